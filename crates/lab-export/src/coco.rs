//! COCO "instances" JSON (not an SDK format): what detection and segmentation trainers read.
//!
//! - `categories`: the labels of the project's main lists, in order, with ids from 1. The ids
//!   depend only on the configuration, so two exports of the same project agree.
//! - `images`: one per exported task, ids from 1 in export order, with the image's pixel size.
//! - `annotations`: one per lab annotation, in pixels. Rectangles and polygons become polygon
//!   `segmentation`s (a rectangle as its 4 corners); segmentation projects take each instance's
//!   pixels from the task's mask (`data.mask`) as compressed RLE, or its approximation polygons
//!   when the task has no mask. `bbox` is `[x, y, width, height]`, `area` the polygon's
//!   (shoelace) or the mask's pixel count. `iscrowd` is 0: every lab annotation is one object.
//!
//! Lab fields that COCO has no place for are kept under `lab_*` keys (task id, name, status,
//! annotation uid), which COCO readers ignore.

use crate::format::{MainLabel, Target, main_labels, main_list_labels};
use image::RgbImage;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The categories and how to find them from a label id.
#[derive(Clone, Debug)]
pub struct Categories {
    labels: Vec<MainLabel>,
    by_id: HashMap<String, u64>,
}

impl Categories {
    pub fn of(target: &Target) -> Self {
        let labels = main_list_labels(&target.config);
        let mut by_id = HashMap::new();
        for (i, l) in labels.iter().enumerate() {
            // A label listed twice keeps its first id.
            by_id.entry(l.id.clone()).or_insert(i as u64 + 1);
        }
        Self { labels, by_id }
    }

    /// `[{id, name, supercategory, lab_label_id}]`, ids from 1 in label order.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    json!({"id": i + 1, "name": l.name, "supercategory": l.list, "lab_label_id": l.id})
                })
                .collect(),
        )
    }

    pub fn id_of(&self, label_id: &str) -> Option<u64> {
        self.by_id.get(label_id).copied()
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The image size a task's data states (`data.body.image`, over `data.metadata.body.image`).
pub fn stated_size(task: &Value) -> Option<(u32, u32)> {
    let data = task.get("data")?;
    let read = |b: Option<&Value>| -> Option<(u32, u32)> {
        let img = b?.get("image")?;
        let w = img.get("width")?.as_f64()?;
        let h = img.get("height")?.as_f64()?;
        (w >= 1.0 && h >= 1.0 && w < 1e6 && h < 1e6).then(|| (w.round() as u32, h.round() as u32))
    };
    read(data.get("body")).or_else(|| read(data.pointer("/metadata/body")))
}

/// One task in COCO terms.
#[derive(Debug, Default)]
pub struct TaskAnnotations {
    pub annotations: Vec<Value>,
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn numbers(v: Option<&Value>) -> Vec<f64> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Shoelace area of a flat `[x, y, x, y…]` polygon.
pub fn polygon_area(p: &[f64]) -> f64 {
    let n = p.len() / 2;
    if n < 3 {
        return 0.0;
    }
    let mut twice = 0.0;
    for i in 0..n {
        let (x0, y0) = (p[2 * i], p[2 * i + 1]);
        let j = (i + 1) % n;
        let (x1, y1) = (p[2 * j], p[2 * j + 1]);
        twice += x0 * y1 - x1 * y0;
    }
    (twice / 2.0).abs()
}

/// `[x, y, width, height]` around flat polygons.
fn bbox_of(polys: &[Vec<f64>]) -> [f64; 4] {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in polys {
        for pt in p.chunks_exact(2) {
            x0 = x0.min(pt[0]);
            x1 = x1.max(pt[0]);
            y0 = y0.min(pt[1]);
            y1 = y1.max(pt[1]);
        }
    }
    [round3(x0), round3(y0), round3(x1 - x0), round3(y1 - y0)]
}

/// The COCO annotations of one (form-normalised) raw task whose image is `size` pixels.
/// `next_id` is the id of the next annotation (ids run over the whole export).
pub fn format_task(
    task: &Value,
    target: &Target,
    categories: &Categories,
    image_id: u64,
    size: (u32, u32),
    next_id: &mut u64,
    warn: &mut dyn FnMut(String),
) -> TaskAnnotations {
    let body = task.get("data").and_then(|d| d.get("body"));
    let annotations = body
        .and_then(|b| b.get("annotations"))
        .and_then(Value::as_array);
    let segmentation = target.is_segmentation();
    let mask = if segmentation {
        body.and_then(|b| b.get("mask"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .and_then(|uri| match crate::mask::decode_data_uri(uri) {
                Ok(m) => Some(m),
                Err(e) => {
                    warn(format!(
                        "mask unreadable ({e}): its approximation polygons are used"
                    ));
                    None
                }
            })
    } else {
        None
    };
    // Instances of the mask: annotation index → colour.
    let mut colours: Vec<Option<[u8; 3]>> = Vec::new();
    if let Some(list) = annotations {
        for a in list {
            colours.push(if mask.is_some() {
                instance_colour(a)
            } else {
                None
            });
        }
    }
    let instances = mask
        .as_ref()
        .map(|m| {
            let wanted: Vec<[u8; 3]> = colours.iter().flatten().copied().collect();
            encode_instances(m, &wanted)
        })
        .unwrap_or_default();

    let (w, h) = (f64::from(size.0), f64::from(size.1));
    let mut out = TaskAnnotations::default();
    for (i, a) in annotations.into_iter().flatten().enumerate() {
        let Some(label) = main_labels(a.get("labels")).into_iter().next() else {
            warn("an annotation without a label was left out".into());
            continue;
        };
        let label = label
            .as_str()
            .map_or_else(|| label.to_string(), str::to_string);
        let Some(category) = categories.id_of(&label) else {
            warn(format!(
                "label \"{label}\" is not in the project's main lists: its annotation was left out"
            ));
            continue;
        };
        let mut entry = serde_json::Map::new();
        entry.insert("id".into(), json!(*next_id));
        entry.insert("image_id".into(), json!(image_id));
        entry.insert("category_id".into(), json!(category));
        let from_mask = colours
            .get(i)
            .copied()
            .flatten()
            .and_then(|c| instances.get(&c));
        if let Some(inst) = from_mask {
            let (mh, mw) = (inst.size[0], inst.size[1]);
            entry.insert(
                "segmentation".into(),
                json!({"size": [mh, mw], "counts": rle_string(&inst.counts)}),
            );
            entry.insert("area".into(), json!(inst.area));
            entry.insert(
                "bbox".into(),
                json!([
                    inst.bbox[0],
                    inst.bbox[1],
                    inst.bbox[2] - inst.bbox[0] + 1,
                    inst.bbox[3] - inst.bbox[1] + 1
                ]),
            );
        } else {
            let polys = if segmentation {
                a.pointer("/approximation/polygons")
            } else {
                a.get("polygons")
            };
            let mut rings: Vec<Vec<f64>> = Vec::new();
            for p in polys.and_then(Value::as_array).into_iter().flatten() {
                let v = numbers(p.pointer("/geometry/vertices"));
                let kind = p.pointer("/geometry/type").and_then(Value::as_str);
                // Segmentation approximations are in pixels already; the others are 0..1.
                let (sx, sy) = if segmentation { (1.0, 1.0) } else { (w, h) };
                let ring: Vec<f64> = if kind == Some("rectangle") && v.len() >= 4 {
                    let (l, r) = (v[0].min(v[2]) * sx, v[0].max(v[2]) * sx);
                    let (t, b) = (v[1].min(v[3]) * sy, v[1].max(v[3]) * sy);
                    vec![l, t, r, t, r, b, l, b]
                } else {
                    v.chunks_exact(2)
                        .flat_map(|pt| [pt[0] * sx, pt[1] * sy])
                        .collect()
                };
                if ring.len() < 6 {
                    warn("a shape with fewer than 3 points was left out".into());
                    continue;
                }
                rings.push(ring.into_iter().map(round3).collect());
            }
            if rings.is_empty() {
                if colours.get(i).copied().flatten().is_some() {
                    warn(format!(
                        "the \"{label}\" instance has no pixel in the mask and no polygon: left out"
                    ));
                }
                continue;
            }
            let area: f64 = rings.iter().map(|r| polygon_area(r)).sum();
            entry.insert("bbox".into(), json!(bbox_of(&rings)));
            entry.insert("area".into(), json!(round3(area)));
            entry.insert("segmentation".into(), json!(rings));
        }
        entry.insert("iscrowd".into(), json!(0));
        if let Some(uid) = a.get("uid").filter(|u| !u.is_null()) {
            entry.insert("lab_uid".into(), uid.clone());
        }
        *next_id += 1;
        out.annotations.push(Value::Object(entry));
    }
    out
}

/// The mask colour of a segmentation annotation (`polygons: [r, g, b]`, instance in r and g,
/// the label's bChannel in b).
fn instance_colour(a: &Value) -> Option<[u8; 3]> {
    let arr = a.get("polygons")?.as_array()?;
    if arr.len() != 3 {
        return None;
    }
    let mut c = [0u8; 3];
    for (o, v) in c.iter_mut().zip(arr) {
        *o = u8::try_from(v.as_u64()?).ok()?;
    }
    (c != [0, 0, 0]).then_some(c)
}

/// One instance's pixels as COCO RLE.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// `[height, width]`.
    pub size: [u32; 2],
    /// Run lengths in column-major order, starting with a run of background.
    pub counts: Vec<u64>,
    pub area: u64,
    /// Inclusive pixel box: left, top, right, bottom.
    pub bbox: [u32; 4],
}

struct Builder {
    counts: Vec<u64>,
    /// Column-major index just past the last pixel of the instance seen so far.
    end: u64,
    area: u64,
    bbox: [u32; 4],
}

/// Encodes every colour of `wanted` present in the mask in one column-major pass.
pub fn encode_instances(mask: &RgbImage, wanted: &[[u8; 3]]) -> HashMap<[u8; 3], Instance> {
    let (w, h) = mask.dimensions();
    let mut builders: HashMap<[u8; 3], Builder> = HashMap::new();
    if wanted.is_empty() {
        return HashMap::new();
    }
    let wanted: std::collections::HashSet<[u8; 3]> = wanted.iter().copied().collect();
    let raw = mask.as_raw();
    let mut last: Option<([u8; 3], bool)> = None;
    for x in 0..w {
        for y in 0..h {
            let o = (y as usize * w as usize + x as usize) * 3;
            let c = [raw[o], raw[o + 1], raw[o + 2]];
            if c == [0, 0, 0] {
                continue;
            }
            let hit = match last {
                Some((lc, hit)) if lc == c => hit,
                _ => {
                    let hit = wanted.contains(&c);
                    last = Some((c, hit));
                    hit
                }
            };
            if !hit {
                continue;
            }
            let pos = u64::from(x) * u64::from(h) + u64::from(y);
            let b = builders.entry(c).or_insert_with(|| Builder {
                counts: Vec::new(),
                end: 0,
                area: 0,
                bbox: [x, y, x, y],
            });
            if b.end == pos && !b.counts.is_empty() {
                if let Some(run) = b.counts.last_mut() {
                    *run += 1;
                }
            } else {
                // A gap of background (possibly 0 for the very first pixel), then a new run.
                b.counts.push(pos - b.end);
                b.counts.push(1);
            }
            b.end = pos + 1;
            b.area += 1;
            b.bbox = [
                b.bbox[0].min(x),
                b.bbox[1].min(y),
                b.bbox[2].max(x),
                b.bbox[3].max(y),
            ];
        }
    }
    let total = u64::from(w) * u64::from(h);
    builders
        .into_iter()
        .map(|(c, mut b)| {
            if b.end < total {
                b.counts.push(total - b.end);
            }
            (
                c,
                Instance {
                    size: [h, w],
                    counts: b.counts,
                    area: b.area,
                    bbox: b.bbox,
                },
            )
        })
        .collect()
}

/// COCO's compressed RLE string: each count (from the third on, as the difference with the
/// count two before) in 5-bit groups, low first, each group + 48 as a character, bit 0x20
/// marking that more groups follow and bit 0x10 of the last group carrying the sign.
pub fn rle_string(counts: &[u64]) -> String {
    let mut s = String::with_capacity(counts.len() * 2);
    for (i, &c) in counts.iter().enumerate() {
        let mut x = c as i64;
        if i > 2 {
            x -= counts[i - 2] as i64;
        }
        loop {
            let mut g = (x & 0x1f) as u8;
            x >>= 5;
            let more = if g & 0x10 != 0 { x != -1 } else { x != 0 };
            if more {
                g |= 0x20;
            }
            s.push(char::from(g + 48));
            if !more {
                break;
            }
        }
    }
    s
}

/// Decodes [`rle_string`] (tests, and readers of our own files).
pub fn rle_counts(s: &str) -> Vec<u64> {
    let bytes = s.as_bytes();
    let mut out: Vec<u64> = Vec::new();
    let mut p = 0;
    while p < bytes.len() {
        let mut x: i64 = 0;
        let mut k = 0;
        loop {
            let c = i64::from(bytes[p]) - 48;
            x |= (c & 0x1f) << (5 * k);
            let more = c & 0x20 != 0;
            p += 1;
            k += 1;
            if !more && (c & 0x10) != 0 {
                x |= -1i64 << (5 * k);
            }
            if !more || p >= bytes.len() {
                break;
            }
        }
        if out.len() > 2 {
            x += out[out.len() - 2] as i64;
        }
        out.push(x.max(0) as u64);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::resolve_target;
    use crate::format::{ExportFormat, ExportOptions};
    use image::Rgb;

    fn config(project_type: &str) -> Value {
        json!({"projectType": project_type, "metadata": {"labelOptions": {
            "mainLists": [{"name": "objects", "keys": ["l"]}],
            "availableLabels": {"l": [
                {"id": "cat", "name": "Cat", "bChannel": 1},
                {"id": "dog", "bChannel": 2}
            ]}
        }}})
    }

    fn target(project_type: &str) -> Target {
        resolve_target(
            ExportFormat::Coco,
            &config(project_type),
            &ExportOptions::default(),
        )
        .unwrap()
    }

    fn label(id: &str) -> Value {
        json!({"objects": {"labels": [{"id": id}]}})
    }

    #[test]
    fn categories_are_stable_from_one() {
        let t = target("iat-rectangle");
        let c = Categories::of(&t);
        assert_eq!(
            c.to_json(),
            json!([
                {"id": 1, "name": "Cat", "supercategory": "objects", "lab_label_id": "cat"},
                {"id": 2, "name": "dog", "supercategory": "objects", "lab_label_id": "dog"}
            ])
        );
        assert_eq!(c.id_of("dog"), Some(2));
        assert_eq!(c.id_of("bird"), None);
        // Graphs and polylines have no area: refused with a reason.
        let e = resolve_target(
            ExportFormat::Coco,
            &config("iat-polyline"),
            &ExportOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("iat-rectangle"), "{e}");
    }

    #[test]
    fn rectangles_and_polygons_in_pixels() {
        let t = target("iat-rectangle");
        let c = Categories::of(&t);
        let task = json!({"data": {"body": {"annotations": [
            {"uid": "u1", "labels": label("dog"), "polygons": [
                {"geometry": {"type": "rectangle", "vertices": [0.5, 0.1, 0.25, 0.6]}}]},
            {"labels": label("bird"), "polygons": [
                {"geometry": {"type": "rectangle", "vertices": [0, 0, 1, 1]}}]},
            {"labels": label("cat"), "polygons": [
                {"geometry": {"type": "polygon", "vertices": [0, 0, 1, 0, 0, 1]}}]}
        ]}}});
        let mut next = 7;
        let mut warnings = vec![];
        let out = format_task(&task, &t, &c, 3, (200, 100), &mut next, &mut |w| {
            warnings.push(w)
        });
        assert_eq!(next, 9);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("bird"));
        let a = &out.annotations[0];
        assert_eq!(a["id"], 7);
        assert_eq!(a["image_id"], 3);
        assert_eq!(a["category_id"], 2);
        assert_eq!(a["bbox"], json!([50.0, 10.0, 50.0, 50.0]));
        assert_eq!(a["area"], json!(2500.0));
        assert_eq!(
            a["segmentation"],
            json!([[50.0, 10.0, 100.0, 10.0, 100.0, 60.0, 50.0, 60.0]])
        );
        assert_eq!(a["iscrowd"], 0);
        assert_eq!(a["lab_uid"], "u1");
        let p = &out.annotations[1];
        assert_eq!(p["category_id"], 1);
        assert_eq!(p["area"], json!(10000.0));
        assert_eq!(p["bbox"], json!([0.0, 0.0, 200.0, 100.0]));
    }

    #[test]
    fn segmentation_instances_from_the_mask_as_rle() {
        let t = target("iat-segmentation");
        let c = Categories::of(&t);
        // 4 wide, 3 high: the dog instance (2, 0, 2) covers column 1 rows 0-1 and (3, 2).
        let mut m = RgbImage::new(4, 3);
        m.put_pixel(1, 0, Rgb([2, 0, 2]));
        m.put_pixel(1, 1, Rgb([2, 0, 2]));
        m.put_pixel(3, 2, Rgb([2, 0, 2]));
        m.put_pixel(0, 0, Rgb([3, 0, 1]));
        let uri = crate::mask::data_uri(&image::DynamicImage::ImageRgb8(m));
        let task = json!({"data": {"body": {"mask": uri, "annotations": [
            {"labels": label("dog"), "polygons": [2, 0, 2], "approximation": {"polygons": []}},
            {"labels": label("cat"), "polygons": [3, 0, 1]},
            {"labels": label("cat"), "polygons": [9, 0, 1], "approximation": {"polygons": [
                {"geometry": {"type": "polygon", "vertices": [0, 0, 4, 0, 4, 3]}}]}}
        ]}}});
        let mut next = 1;
        let out = format_task(&task, &t, &c, 1, (4, 3), &mut next, &mut |_| {});
        let dog = &out.annotations[0];
        assert_eq!(dog["area"], 3);
        assert_eq!(dog["bbox"], json!([1, 0, 3, 3]));
        assert_eq!(dog["segmentation"]["size"], json!([3, 4]));
        // column-major: col 0 = 3 zeros, col 1 = 2 ones then 1 zero, col 2 = 3 zeros, col 3 = 2 zeros then 1 one
        let counts = rle_counts(dog["segmentation"]["counts"].as_str().unwrap());
        assert_eq!(counts, vec![3, 2, 6, 1]);
        let cat = &out.annotations[1];
        assert_eq!(
            rle_counts(cat["segmentation"]["counts"].as_str().unwrap()),
            vec![0, 1, 11]
        );
        // Not in the mask: its approximation polygon (already in pixels).
        let third = &out.annotations[2];
        assert_eq!(third["area"], json!(6.0));
        assert_eq!(
            third["segmentation"],
            json!([[0.0, 0.0, 4.0, 0.0, 4.0, 3.0]])
        );
    }

    #[test]
    fn rle_strings_round_trip_like_cocos() {
        // Values from pycocotools' encoder for small masks.
        assert_eq!(rle_string(&[3, 2, 6, 1]), "326O");
        assert_eq!(rle_string(&[0, 1, 11]), "01;");
        for counts in [
            vec![0, 1, 11],
            vec![100_000, 3, 5, 70_000, 1],
            vec![1, 1, 1, 1, 1, 40, 2, 90_000, 17],
        ] {
            assert_eq!(rle_counts(&rle_string(&counts)), counts);
        }
    }

    #[test]
    fn stated_size_reads_body_then_metadata() {
        assert_eq!(
            stated_size(&json!({"data": {"body": {"image": {"width": 640, "height": 480}}}})),
            Some((640, 480))
        );
        assert_eq!(
            stated_size(
                &json!({"data": {"body": {}, "metadata": {"body": {"image": {"width": 3.0, "height": 2}}}}})
            ),
            Some((3, 2))
        );
        assert_eq!(
            stated_size(&json!({"data": {"body": {"image": {"width": 0, "height": 2}}}})),
            None
        );
    }
}
