//! The built-in demo workspace (`--demo`): credentials `demo`/`demo`, one project per
//! type with stable ids, a few hundred tasks in every status, generated PNG images and
//! segmentation masks. Everything is deterministic; loading twice is a no-op.

use std::io::Cursor;

use base64::Engine;
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use image::{ImageFormat, Rgb, RgbImage};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use crate::error::Error;
use crate::store::{Sandbox, TaskRow, insert_task, iso};

pub const DEMO_ACCESS_ID: &str = "demo";
pub const DEMO_SECRET_KEY: &str = "demo";
const DEMO_VERSION: &str = "1";
const W: u32 = 320;
const H: u32 = 240;
const N_IMAGES: usize = 12;

/// What [`Sandbox::load_demo`] made (or found).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSummary {
    pub access_id: String,
    pub secret_key: String,
    pub projects: Vec<DemoProject>,
    pub tasks: usize,
    pub already_loaded: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoProject {
    pub id: String,
    pub name: String,
    pub project_type: String,
    pub batch_ids: Vec<String>,
}

struct Spec {
    id: &'static str,
    name: &'static str,
    ty: &'static str,
    prefix: &'static str,
    batches: &'static [&'static str],
    tasks: usize,
    labels: &'static [(&'static str, &'static str)],
}

const SPECS: &[Spec] = &[
    Spec {
        id: "demo-rectangle",
        name: "Street scenes (rectangles)",
        ty: "iat-rectangle",
        prefix: "street",
        batches: &["Week 18", "Week 19", "Week 20"],
        tasks: 80,
        labels: &[
            ("car", "Car"),
            ("pedestrian", "Pedestrian"),
            ("bicycle", "Bicycle"),
            ("traffic-light", "Traffic light"),
        ],
    },
    Spec {
        id: "demo-polygon",
        name: "Aerial survey (polygons)",
        ty: "iat-polygon",
        prefix: "aerial",
        batches: &["Zone North", "Zone South"],
        tasks: 50,
        labels: &[
            ("building", "Building"),
            ("tree", "Tree"),
            ("road", "Road"),
            ("water", "Water"),
        ],
    },
    Spec {
        id: "demo-segmentation",
        name: "Field crops (segmentation)",
        ty: "iat-segmentation",
        prefix: "field",
        batches: &["Plot A", "Plot B"],
        tasks: 40,
        labels: &[
            ("crop", "Crop"),
            ("weed", "Weed"),
            ("soil", "Soil"),
            ("rock", "Rock"),
        ],
    },
    Spec {
        id: "demo-graph",
        name: "Pose keypoints (graph)",
        ty: "iat-graph",
        prefix: "pose",
        batches: &["Session 1", "Session 2"],
        tasks: 40,
        labels: &[("person", "Person"), ("animal", "Animal")],
    },
    Spec {
        id: "demo-form",
        name: "Parcel inspection (form)",
        ty: "form",
        prefix: "parcel",
        batches: &["Depot Lyon", "Depot Lille"],
        tasks: 40,
        labels: &[
            ("parcel", "Parcel"),
            ("damage", "Damage"),
            ("sticker", "Label sticker"),
        ],
    },
];

const COLORS: &[&str] = &[
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4",
];
const STATUSES: &[&str] = &[
    "pending",
    "complete",
    "complete",
    "to-review",
    "reviewed",
    "pending",
    "complete",
    "reviewed",
    "configuring",
    "to-review",
];
const ANNOTATORS: &[(&str, &str, &str)] = &[
    ("u-alice", "Alice Martin", "alice@demo.lab"),
    ("u-bruno", "Bruno Costa", "bruno@demo.lab"),
    ("u-chen", "Chen Wei", "chen@demo.lab"),
];
const REVIEWER: (&str, &str, &str) = ("u-dana", "Dana Reviewer", "dana@demo.lab");

fn batch_id(spec: &Spec, i: usize) -> String {
    format!("{}-b{}", spec.id, i + 1)
}

fn hex_rgb(c: &str) -> [u8; 3] {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).unwrap_or(0);
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

fn label_options(spec: &Spec) -> Value {
    let labels: Vec<Value> = spec
        .labels
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            json!({"id": id, "name": name, "color": COLORS[i % COLORS.len()], "bChannel": i + 1})
        })
        .collect();
    json!({
        "mainLists": [{"name": "objects", "keys": ["objects"]}],
        "availableLabels": {
            "objects": labels,
            "attributes": [
                {"id": "occluded", "name": "Occluded", "color": "#9e9e9e", "bChannel": 20},
                {"id": "truncated", "name": "Truncated", "color": "#607d8b", "bChannel": 21}
            ]
        }
    })
}

fn configuration(spec: &Spec) -> Value {
    if spec.ty == "form" {
        let tool_cfg = json!({
            "projectType": "iat-rectangle",
            "metadata": {"labelOptions": label_options(spec), "toolOptions": {"sequence": false}}
        });
        json!({"metadata": {"inputsLayout": [
            [[{"id": "title", "type": "display-title", "static": true, "submit": false,
               "config": {"text": "Check the parcel photo"}}]],
            [
                [{"id": "photo", "type": "tool-iat-rectangle", "submit": true, "config": tool_cfg}],
                [
                    {"id": "quality", "type": "radio", "submit": true,
                     "settings": {"required": true, "options": [
                        {"name": "Good", "value": "good"}, {"name": "Blurry", "value": "blurry"},
                        {"name": "Unusable", "value": "unusable"}]}},
                    {"id": "damaged", "type": "checkbox", "submit": true},
                    {"id": "comment", "type": "textarea", "submit": true},
                    {"id": "reference", "type": "text", "submit": true}
                ]
            ]
        ], "toolOptions": {"sequence": false}}})
    } else {
        json!({"metadata": {"labelOptions": label_options(spec), "toolOptions": {"sequence": false}}})
    }
}

#[derive(Clone, Copy)]
struct Obj {
    label: usize,
    ellipse: bool,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Obj {
    fn contains(&self, x: f64, y: f64) -> bool {
        if self.ellipse {
            let (cx, cy) = ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0);
            let (rx, ry) = ((self.x1 - self.x0) / 2.0, (self.y1 - self.y0) / 2.0);
            ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0
        } else {
            x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
        }
    }
    /// Outline in pixels.
    fn outline(&self) -> Vec<(f64, f64)> {
        if self.ellipse {
            let (cx, cy) = ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0);
            let (rx, ry) = ((self.x1 - self.x0) / 2.0, (self.y1 - self.y0) / 2.0);
            (0..10)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / 10.0;
                    ((cx + rx * a.cos()).round(), (cy + ry * a.sin()).round())
                })
                .collect()
        } else {
            vec![
                (self.x0, self.y0),
                (self.x1, self.y0),
                (self.x1, self.y1),
                (self.x0, self.y1),
            ]
        }
    }
}

fn scene(k: usize, n_labels: usize) -> Vec<Obj> {
    let mut rng = ChaCha8Rng::seed_from_u64(1000 + k as u64);
    let n = rng.random_range(2..=4);
    (0..n)
        .map(|_| {
            let w = rng.random_range(30..110) as f64;
            let h = rng.random_range(30..90) as f64;
            let x0 = rng.random_range(5..(W as i64 - w as i64 - 5)) as f64;
            let y0 = rng.random_range(5..(H as i64 - h as i64 - 5)) as f64;
            Obj {
                label: rng.random_range(0..n_labels),
                ellipse: rng.random_bool(0.5),
                x0,
                y0,
                x1: x0 + w,
                y1: y0 + h,
            }
        })
        .collect()
}

fn png_bytes(img: &RgbImage) -> Result<Vec<u8>, Error> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| Error::Demo(format!("PNG encoding failed: {e}")))?;
    Ok(out.into_inner())
}

fn draw_image(k: usize, objs: &[Obj]) -> RgbImage {
    let base = [
        (k * 37 % 160) as u8 + 40,
        (k * 71 % 120) as u8 + 60,
        (k * 13 % 100) as u8 + 90,
    ];
    RgbImage::from_fn(W, H, |x, y| {
        let (fx, fy) = (x as f64 + 0.5, y as f64 + 0.5);
        for o in objs.iter().rev() {
            if o.contains(fx, fy) {
                // The object in a muted, shaded tone of its label's colour: the overlay drawn
                // over it in the pure colour stands out.
                let c = hex_rgb(COLORS[o.label % COLORS.len()]);
                let down = ((fy - o.y0) / (o.y1 - o.y0)).clamp(0.0, 1.0);
                let k = 0.5 - 0.2 * down;
                let mix = |v: u8| (f64::from(v) * k + 70.0 * (1.0 - k)).round() as u8;
                return Rgb([mix(c[0]), mix(c[1]), mix(c[2])]);
            }
        }
        let shade = (y * 60 / H) as u8;
        Rgb([
            base[0].saturating_add(shade),
            base[1].saturating_add(shade / 2),
            base[2].saturating_sub(shade),
        ])
    })
}

/// The mask of the SDK convention: R,G = instance id (from 2), B = the label's bChannel.
fn draw_mask(objs: &[Obj]) -> RgbImage {
    RgbImage::from_fn(W, H, |x, y| {
        let (fx, fy) = (x as f64 + 0.5, y as f64 + 0.5);
        for (i, o) in objs.iter().enumerate().rev() {
            if o.contains(fx, fy) {
                let inst = i + 2;
                return Rgb([(inst % 256) as u8, (inst / 256) as u8, (o.label + 1) as u8]);
            }
        }
        Rgb([0, 0, 0])
    })
}

fn r4(v: f64) -> f64 {
    ((v * 10000.0).round() / 10000.0).clamp(0.0, 1.0)
}

fn normalized(points: &[(f64, f64)]) -> Vec<f64> {
    points
        .iter()
        .flat_map(|(x, y)| [r4(x / W as f64), r4(y / H as f64)])
        .collect()
}

fn label_ref(spec: &Spec, label: usize) -> Value {
    let (id, name) = spec.labels[label % spec.labels.len()];
    json!({"objects": {"labels": [{"id": id, "name": name}]}})
}

fn annotations(spec: &Spec, tool: &str, objs: &[Obj], task: usize) -> Vec<Value> {
    objs.iter()
        .enumerate()
        .map(|(i, o)| {
            let label = o.label % spec.labels.len();
            let color = COLORS[label % COLORS.len()];
            let text = spec.labels[label].1;
            let uid = format!("a{task:04}{i}");
            match tool {
                "iat-rectangle" => json!({
                    "uid": uid, "labels": label_ref(spec, label), "color": color, "text": text,
                    "polygons": [{"id": format!("{uid}p"), "color": color, "geometry": {
                        "type": "rectangle",
                        "vertices": normalized(&[(o.x0, o.y0), (o.x1, o.y1)])}}]
                }),
                "iat-polygon" => json!({
                    "uid": uid, "labels": label_ref(spec, label), "color": color, "text": text,
                    "polygons": [{"id": format!("{uid}p"), "color": color, "geometry": {
                        "type": "polygon", "vertices": normalized(&o.outline())}}]
                }),
                "iat-graph" => {
                    let cx = (o.x0 + o.x1) / 2.0;
                    let pts = [
                        (cx, o.y0),
                        (cx, (o.y0 + o.y1) / 2.0),
                        (o.x0, o.y1),
                        (o.x1, o.y1),
                    ];
                    json!({
                        "uid": uid, "labels": label_ref(spec, label), "color": color, "text": text,
                        "polygons": [{"id": format!("{uid}p"), "color": color, "geometry": {
                            "type": "graph", "vertices": normalized(&pts),
                            "edges": [[0, 1], [1, 2], [1, 3]]}}]
                    })
                }
                _ => {
                    let inst = i + 2;
                    let px: Vec<f64> = o.outline().iter().flat_map(|(x, y)| [*x, *y]).collect();
                    json!({
                        "uid": uid, "labels": label_ref(spec, label), "color": color, "text": text,
                        "polygons": [inst % 256, inst / 256, label + 1],
                        "approximation": {"polygons": [{"color": color, "geometry": {
                            "type": "polygon", "vertices": px, "holes": []}}], "minus": []}
                    })
                }
            }
        })
        .collect()
}

fn user(u: (&str, &str, &str)) -> Value {
    json!({"id": u.0, "name": u.1, "email": u.2})
}

impl Sandbox {
    /// Loads the demo workspace (idempotent: a second call only reports it).
    pub fn load_demo(&self) -> Result<DemoSummary, Error> {
        self.add_credentials(DEMO_ACCESS_ID, DEMO_SECRET_KEY)?;
        let projects: Vec<DemoProject> = SPECS
            .iter()
            .map(|s| DemoProject {
                id: s.id.into(),
                name: s.name.into(),
                project_type: s.ty.into(),
                batch_ids: (0..s.batches.len()).map(|i| batch_id(s, i)).collect(),
            })
            .collect();
        let total: usize = SPECS.iter().map(|s| s.tasks).sum();
        let mut summary = DemoSummary {
            access_id: DEMO_ACCESS_ID.into(),
            secret_key: DEMO_SECRET_KEY.into(),
            projects,
            tasks: total,
            already_loaded: true,
        };
        let loaded: Option<String> = self.with_conn(|c| {
            Ok(
                c.query_row("SELECT value FROM meta WHERE key = 'demo'", [], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })?;
        if loaded.as_deref() == Some(DEMO_VERSION) {
            return Ok(summary);
        }
        summary.already_loaded = false;

        // Images and masks (shared by tasks: image k of every project).
        let scenes: Vec<Vec<Obj>> = (0..N_IMAGES).map(|k| scene(k, 4)).collect();
        let mut files = Vec::new();
        for (k, objs) in scenes.iter().enumerate() {
            let bytes = png_bytes(&draw_image(k, objs))?;
            let storage = format!("demo-image-{k:02}");
            let path = self.files_dir().join(&storage);
            std::fs::write(&path, &bytes).map_err(|e| Error::io(&path, e))?;
            files.push((format!("demo-file-{k:02}"), bytes.len(), storage));
        }
        let masks: Vec<String> = scenes
            .iter()
            .map(|objs| {
                png_bytes(&draw_mask(objs)).map(|b| {
                    format!(
                        "data:image/png;base64,{}",
                        base64::engine::general_purpose::STANDARD.encode(b)
                    )
                })
            })
            .collect::<Result<_, _>>()?;

        let base = Utc
            .with_ymd_and_hms(2024, 5, 1, 8, 0, 0)
            .single()
            .ok_or_else(|| Error::Demo("bad base date".into()))?;
        self.with_conn(|c| {
            let tx = c.transaction()?;
            let created = iso(base);
            for (k, (id, size, storage)) in files.iter().enumerate() {
                tx.execute(
                    "INSERT OR REPLACE INTO files (id, name, folder, batch_id, mimetype, size, storage, created_at)
                     VALUES (?1, ?2, 'demo', NULL, 'image/png', ?3, ?4, ?5)",
                    params![id, format!("scene_{k:02}.png"), *size as i64, storage, created],
                )?;
            }
            let mut rng = ChaCha8Rng::seed_from_u64(42);
            for (pi, spec) in SPECS.iter().enumerate() {
                let p_created = base + ChronoDuration::days(pi as i64);
                tx.execute(
                    "INSERT OR REPLACE INTO projects (id, name, status, project_type, configuration, created_at, updated_at)
                     VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?5)",
                    params![spec.id, spec.name, spec.ty, configuration(spec).to_string(), iso(p_created)],
                )?;
                for (bi, bname) in spec.batches.iter().enumerate() {
                    let status = if bi + 1 == spec.batches.len() && bi > 1 { "configuring" } else { "pending" };
                    tx.execute(
                        "INSERT OR REPLACE INTO batches (id, project_id, name, status, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                        params![batch_id(spec, bi), spec.id, bname, status,
                                iso(p_created + ChronoDuration::hours(bi as i64))],
                    )?;
                }
                for t in 0..spec.tasks {
                    let row = demo_task(spec, t, &mut rng, &scenes, &masks, p_created);
                    tx.execute("DELETE FROM tasks WHERE id = ?1", [&row.id])?;
                    insert_task(&tx, &row)?;
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('demo', ?1)",
                [DEMO_VERSION],
            )?;
            tx.commit()?;
            Ok(())
        })?;
        Ok(summary)
    }
}

fn demo_task(
    spec: &Spec,
    t: usize,
    rng: &mut ChaCha8Rng,
    scenes: &[Vec<Obj>],
    masks: &[String],
    p_created: chrono::DateTime<Utc>,
) -> TaskRow {
    let k = (t * 7 + spec.tasks) % N_IMAGES;
    let objs: Vec<Obj> = scenes[k].clone();
    let status = STATUSES[(t + spec.prefix.len()) % STATUSES.len()];
    let batch = t * spec.batches.len() / spec.tasks;
    let created = p_created + ChronoDuration::minutes(90 + 17 * t as i64);
    let annotated = matches!(status, "complete" | "to-review" | "reviewed");
    let updated = if status == "pending" || status == "configuring" {
        created
    } else {
        created + ChronoDuration::hours(2 + (t % 30) as i64)
    };
    let name = format!("{}_{:04}.png", spec.prefix, t + 1);
    let file = json!({"id": format!("demo-file-{k:02}"), "name": format!("scene_{k:02}.png")});
    let annotator = ANNOTATORS[t % ANNOTATORS.len()];
    let sources = ["camera-A", "camera-B", "drone"];
    let source = sources[t % sources.len()];
    let weather = if t.is_multiple_of(4) {
        "rainy"
    } else {
        "sunny"
    };
    let image = json!({"width": W, "height": H});

    let tool = if spec.ty == "form" {
        "iat-rectangle"
    } else {
        spec.ty
    };
    let mut body = serde_json::Map::new();
    if annotated {
        body.insert(
            "annotations".into(),
            json!(annotations(spec, tool, &objs, t)),
        );
        body.insert("image".into(), image.clone());
        if spec.ty == "iat-segmentation" {
            body.insert("mask".into(), json!(masks[k]));
        }
        if t.is_multiple_of(5) {
            // A reviewer corrected the metadata: data.body wins in the merged view.
            body.insert("weather".into(), json!("foggy"));
        }
    }
    let (metadata, body) = if spec.ty == "form" {
        let reference = format!("REF-{:05}", 1000 + t);
        let meta = json!({
            "reference": reference,
            "photo": {"image": image, "resources": [format!("scene_{k:02}.png")]},
        });
        let mut fb = serde_json::Map::new();
        if annotated {
            let mut photo = body.clone();
            photo.remove("weather");
            photo.insert("resources".into(), json!([format!("scene_{k:02}.png")]));
            fb.insert("photo".into(), Value::Object(photo));
            let q = ["good", "good", "blurry", "unusable"][t % 4];
            fb.insert("quality".into(), json!(q));
            fb.insert(
                "damaged".into(),
                json!(if t.is_multiple_of(3) { 1 } else { 0 }),
            );
            fb.insert(
                "comment".into(),
                json!(if t.is_multiple_of(3) {
                    "corner crushed"
                } else {
                    ""
                }),
            );
            fb.insert("reference".into(), json!(reference));
        }
        (meta, Value::Object(fb))
    } else {
        (
            json!({"image": image, "source": source, "weather": weather}),
            Value::Object(body),
        )
    };

    let mut properties = serde_json::Map::new();
    if annotated {
        properties.insert("score".into(), json!(1 + (t % 5)));
    }
    if t.is_multiple_of(3) {
        properties.insert(
            "custom".into(),
            json!({"priority": if t.is_multiple_of(2) { "high" } else { "normal" }, "source": source}),
        );
    }

    let done_at = iso(updated - ChronoDuration::minutes(30));
    let mut jobs = Vec::new();
    if annotated {
        jobs.push(json!({
            "_id": format!("{}-t{:04}-j1", spec.id, t + 1),
            "type": "annotation", "status": "complete",
            "state": {"completedAt": done_at, "completedBy": {"email": annotator.2}},
            "history": [
                {"action": "assigned", "at": iso(created + ChronoDuration::minutes(10)), "by": annotator.2},
                {"action": "completed", "at": done_at, "by": annotator.2}
            ]
        }));
    }
    if status == "reviewed" {
        let at = iso(updated);
        jobs.push(json!({
            "_id": format!("{}-t{:04}-j2", spec.id, t + 1),
            "type": "review", "status": "complete",
            "state": {"completedAt": at, "completedBy": {"email": REVIEWER.2}},
            "history": [{"action": "completed", "at": at, "by": REVIEWER.2}]
        }));
    }
    if status == "pending" && t % 2 == 1 {
        jobs.push(json!({
            "_id": format!("{}-t{:04}-j1", spec.id, t + 1),
            "type": "annotation", "status": "pending", "state": {}, "history": []
        }));
    }
    let metrics = if annotated {
        json!({"annotationTime": rng.random_range(20..400), "annotationsCount": objs.len(),
               "reviewTime": if status == "reviewed" { rng.random_range(10..120) } else { 0 }})
    } else {
        json!({})
    };
    let data_user = if status == "reviewed" {
        user(REVIEWER)
    } else if annotated {
        user(annotator)
    } else {
        json!({"id": "u-system", "name": "Lab System", "email": "system@demo.lab"})
    };
    TaskRow {
        id: format!("{}-t{:04}", spec.id, t + 1),
        project_id: spec.id.into(),
        batch_id: batch_id(spec, batch),
        name,
        status: status.into(),
        created_at: iso(created),
        updated_at: iso(updated),
        resources: json!([file]),
        properties: Value::Object(properties),
        data_body: body,
        metadata_body: metadata.clone(),
        data_info: json!({
            "createdAt": iso(updated),
            "type": if status == "reviewed" { "review" } else { "default" },
            "user": data_user,
            "projectType": spec.ty,
        }),
        jobs: Value::Array(jobs),
        metrics,
        initial_data: metadata,
        initial_data_id: None,
    }
}
