//! YOLO (v8) labels: `data.yaml` with the classes, one `labels/{task}.txt` per task.
//!
//! Rows: `class x_center y_center width height` for rectangles, `class x y x y…` for polygons
//! and polylines, `class x_center y_center width height x y…` for graphs. Numbers are printed
//! as Python prints them (ints stay ints, floats use `repr`).

use crate::format::{Target, main_labels, main_list_label_ids};
use crate::pyfmt::{float_repr, push_float_repr};
use serde_json::Value;
use std::fmt;

/// A JSON number with Python's int/float distinction and arithmetic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn from_value(v: &Value) -> Num {
        if let Some(i) = v.as_i64() {
            Num::Int(i128::from(i))
        } else if let Some(u) = v.as_u64() {
            Num::Int(i128::from(u))
        } else {
            Num::Float(v.as_f64().unwrap_or(f64::NAN))
        }
    }

    fn f(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn sub(self, o: Num) -> Num {
        match (self, o) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a - b),
            _ => Num::Float(self.f() - o.f()),
        }
    }

    fn add(self, o: Num) -> Num {
        match (self, o) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a + b),
            _ => Num::Float(self.f() + o.f()),
        }
    }

    fn half(self) -> Num {
        Num::Float(self.f() / 2.0)
    }

    fn is_zero(self) -> bool {
        self.f() == 0.0
    }

    fn lt(self, o: Num) -> bool {
        match (self, o) {
            (Num::Int(a), Num::Int(b)) => a < b,
            _ => self.f() < o.f(),
        }
    }
}

impl Num {
    /// Appends the number as Python's `str()` prints it.
    fn push_to(self, out: &mut Vec<u8>) {
        match self {
            Num::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes()),
            Num::Float(x) => push_float_repr(out, x),
        }
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => f.write_str(&float_repr(*x)),
        }
    }
}

/// Python's `min`: the first of the smallest.
fn min(xs: &[Num]) -> Num {
    let mut m = xs[0];
    for x in &xs[1..] {
        if x.lt(m) {
            m = *x;
        }
    }
    m
}

/// Python's `max`: the first of the largest.
fn max(xs: &[Num]) -> Num {
    let mut m = xs[0];
    for x in &xs[1..] {
        if m.lt(*x) {
            m = *x;
        }
    }
    m
}

/// `[left, top, right, bottom]` → centre x, centre y, width, height (empty sides get 0.01).
fn center_and_size(b: [Num; 4]) -> [Num; 4] {
    let (min_x, max_x) = (min(&[b[0], b[2]]), max(&[b[0], b[2]]));
    let (min_y, max_y) = (min(&[b[1], b[3]]), max(&[b[1], b[3]]));
    let mut width = max_x.sub(min_x);
    let mut height = max_y.sub(min_y);
    let cx = min_x.add(width.half());
    let cy = min_y.add(height.half());
    if width.is_zero() {
        width = Num::Float(0.01);
    }
    if height.is_zero() {
        height = Num::Float(0.01);
    }
    [cx, cy, width, height]
}

fn bbox(vertices: &[Num]) -> [Num; 4] {
    let xs: Vec<Num> = vertices.iter().step_by(2).copied().collect();
    let ys: Vec<Num> = vertices.iter().skip(1).step_by(2).copied().collect();
    [min(&xs), min(&ys), max(&xs), max(&ys)]
}

/// Class names (label ids of the main lists) for `data.yaml` and the class indexes.
pub fn classes(target: &Target) -> Vec<String> {
    main_list_label_ids(&target.config)
}

/// `data.yaml` exactly as the SDK writes it.
pub fn data_yaml(classes: &[String]) -> String {
    let names: Vec<String> = classes.iter().map(|c| format!("'{c}'")).collect();
    format!("nc: {}\nnames: [{}]\n", classes.len(), names.join(","))
}

/// The text of `labels/{task}.txt` for one raw task.
pub fn format_task(
    task: &Value,
    target: &Target,
    classes: &[String],
    warn: &mut dyn FnMut(String),
) -> String {
    let task = crate::lab::normalize_form_task(task, target.input_id.as_deref());
    let body = task.get("data").and_then(|d| d.get("body"));
    let image = body
        .and_then(|b| b.get("image"))
        .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()));
    let segmentation = target.is_segmentation();
    let mut out: Vec<u8> = Vec::new();
    let annotations = body
        .and_then(|b| b.get("annotations"))
        .and_then(Value::as_array);
    for annotation in annotations.into_iter().flatten() {
        let polygons = if segmentation {
            annotation.pointer("/approximation/polygons")
        } else {
            annotation.get("polygons")
        };
        let label = main_labels(annotation.get("labels")).into_iter().next();
        let index: i64 = match &label {
            None => -1,
            Some(id) => {
                let id_str = id.as_str().map_or_else(|| id.to_string(), str::to_string);
                match classes.iter().position(|c| *c == id_str) {
                    Some(i) => i as i64,
                    None => {
                        warn(format!(
                            "label \"{id_str}\" is not in the project's main lists: written as class -1"
                        ));
                        -1
                    }
                }
            }
        };
        for polygon in polygons.and_then(Value::as_array).into_iter().flatten() {
            let raw: Vec<Num> = polygon
                .pointer("/geometry/vertices")
                .and_then(Value::as_array)
                .map(|v| v.iter().map(Num::from_value).collect())
                .unwrap_or_default();
            let mut vertices = match (segmentation, image) {
                (true, Some(img)) => {
                    let w = img
                        .get("width")
                        .map_or(f64::NAN, |v| Num::from_value(v).f());
                    let h = img
                        .get("height")
                        .map_or(f64::NAN, |v| Num::from_value(v).f());
                    raw.iter()
                        .enumerate()
                        .map(|(i, v)| Num::Float(v.f() / if i % 2 == 0 { w } else { h }))
                        .collect()
                }
                _ => raw,
            };
            let kind = polygon.pointer("/geometry/type").and_then(Value::as_str);
            if kind == Some("rectangle") && vertices.len() >= 4 {
                vertices =
                    center_and_size([vertices[0], vertices[1], vertices[2], vertices[3]]).to_vec();
            } else if kind == Some("graph") && vertices.len() >= 2 {
                let mut v = center_and_size(bbox(&vertices)).to_vec();
                v.extend_from_slice(&vertices);
                vertices = v;
            }
            let mut b = itoa::Buffer::new();
            out.extend_from_slice(b.format(index).as_bytes());
            for v in &vertices {
                out.push(b' ');
                v.push_to(&mut out);
            }
            out.push(b'\n');
        }
    }
    // Only ASCII digits, signs, spaces and letters of inf/nan are written.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::resolve_target;
    use crate::format::{ExportFormat, ExportOptions};
    use serde_json::json;

    fn target(project_type: &str) -> Target {
        let cfg = json!({"projectType": project_type, "metadata": {"labelOptions": {
            "mainLists": [{"name": "m", "keys": ["l"]}],
            "availableLabels": {"l": [{"id": "cat"}, {"id": "dog"}]}
        }}});
        resolve_target(ExportFormat::Yolo, &cfg, &ExportOptions::default()).unwrap()
    }

    fn task(annotations: Value) -> Value {
        json!({"name": "t", "data": {"body": {"image": {"width": 200, "height": 100}, "annotations": annotations}}})
    }

    fn label(id: &str) -> Value {
        json!({"m": {"labels": [{"id": id}]}})
    }

    #[test]
    fn yaml_like_sdk() {
        let t = target("iat-rectangle");
        let c = classes(&t);
        assert_eq!(data_yaml(&c), "nc: 2\nnames: ['cat','dog']\n");
        assert_eq!(data_yaml(&[]), "nc: 0\nnames: []\n");
    }

    #[test]
    fn rectangle_rows_keep_python_number_types() {
        let t = target("iat-rectangle");
        let c = classes(&t);
        let text = format_task(
            &task(json!([
                {"labels": label("dog"), "polygons": [
                    {"geometry": {"type": "rectangle", "vertices": [0.1, 0.2, 0.5, 0.6]}},
                    {"geometry": {"type": "rectangle", "vertices": [0, 0, 1, 1]}},
                    {"geometry": {"type": "rectangle", "vertices": [0.3, 0.3, 0.3, 0.5]}}
                ]},
                {"polygons": [{"geometry": {"type": "rectangle", "vertices": [1, 1, 0, 0]}}]}
            ])),
            &t,
            &c,
            &mut |_| {},
        );
        assert_eq!(
            text,
            "1 0.30000000000000004 0.4 0.4 0.39999999999999997\n1 0.5 0.5 1 1\n1 0.3 0.4 0.01 0.2\n-1 0.5 0.5 1 1\n"
        );
    }

    #[test]
    fn polygon_graph_and_segmentation_rows() {
        let t = target("iat-graph");
        let c = classes(&t);
        let text = format_task(
            &task(json!([{"labels": label("cat"), "polygons": [
                {"geometry": {"type": "graph", "vertices": [0.2, 0.2, 0.4, 0.8, 0.6, 0.5]}}
            ]}])),
            &t,
            &c,
            &mut |_| {},
        );
        assert_eq!(
            text,
            "0 0.4 0.5 0.39999999999999997 0.6000000000000001 0.2 0.2 0.4 0.8 0.6 0.5\n"
        );
        let t = target("iat-polyline");
        let text = format_task(
            &task(json!([{"labels": label("cat"), "polygons": [
                {"geometry": {"type": "polyline", "vertices": [0, 0.5, 1, 1.0]}}
            ]}])),
            &t,
            &c,
            &mut |_| {},
        );
        assert_eq!(text, "0 0 0.5 1 1.0\n");
        let t = target("iat-segmentation");
        let mut warnings = vec![];
        let text = format_task(
            &task(
                json!([{"labels": label("bird"), "approximation": {"polygons": [
                    {"geometry": {"type": "polygon", "vertices": [20, 10, 100, 50, 200, 100]}}
                ]}}]),
            ),
            &t,
            &c,
            &mut |w| warnings.push(w),
        );
        assert_eq!(text, "-1 0.1 0.1 0.5 0.5 1.0 1.0\n");
        assert_eq!(warnings.len(), 1);
        assert_eq!(format_task(&json!({"name": "x"}), &t, &c, &mut |_| {}), "");
    }

    #[test]
    fn form_task_reads_its_tool_input() {
        let cfg = json!({"projectType": "form", "metadata": {"inputsLayout": [[[
            {"id": "note", "type": "text"},
            {"id": "pic", "type": "tool-iat-rectangle", "config": {"metadata": {"labelOptions": {
                "mainLists": [{"name": "m", "keys": ["l"]}],
                "availableLabels": {"l": [{"id": "cat"}, {"id": "dog"}]}
            }}}}
        ]]]}});
        let t = resolve_target(ExportFormat::Yolo, &cfg, &ExportOptions::default()).unwrap();
        let c = classes(&t);
        assert_eq!(c, ["cat", "dog"]);
        let task = json!({"name": "f", "data": {"projectType": "form", "body": {"note": "x", "pic": {
            "image": {"width": 2, "height": 2},
            "annotations": [{"labels": label("dog"), "polygons": [{"geometry": {"type": "rectangle", "vertices": [0, 0, 0.5, 0.5]}}]}]
        }}}});
        assert_eq!(
            format_task(&task, &t, &c, &mut |_| {}),
            "1 0.25 0.25 0.5 0.5\n"
        );
    }
}
