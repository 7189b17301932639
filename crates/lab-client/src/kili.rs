//! Kili assets (`kili.assets()` shape) from lab tasks: the SDK's lab-to-Kili formatting, used
//! by its `tasks(compatibility_mode="kili")` and its Kili export alike (lab-export writes its
//! files from here).
//!
//! `jsonResponse` is Kili's own format: `{"OBJECT_DETECTION_JOB": {"annotations": [...]}}`,
//! for sequences `{"0": {"OBJECT_DETECTION_JOB": …}, "1": {}, …}` (frame index from 0).

use std::borrow::Cow;

use serde_json::{Map, Number, Value, json};

use crate::error::{Invalid, Result};
use crate::types::{ProjectConfiguration, is_iat_input, layout_inputs};

const KILI_TYPES: [&str; 5] = [
    "iat-rectangle",
    "iat-polygon",
    "iat-polyline",
    "iat-graph",
    "iat-segmentation",
];

/// How a configuration is viewed for Kili: the effective type, whether sequence, and the
/// form input holding the image data (if any).
#[derive(Debug, Clone)]
pub struct KiliTarget {
    /// Effective project type (`iat-…`).
    pub project_type: String,
    /// Sequence project.
    pub sequence: bool,
    /// Form input id whose value is the task body.
    pub input_id: Option<String>,
}

impl KiliTarget {
    /// Check that the project can be viewed as Kili assets.
    pub fn new(cfg: &ProjectConfiguration) -> Result<Self> {
        if KILI_TYPES.contains(&cfg.project_type.as_str()) {
            return Ok(Self {
                project_type: cfg.project_type.clone(),
                sequence: cfg.is_sequence(),
                input_id: None,
            });
        }
        if cfg.is_form() {
            let inputs: Vec<Value> = layout_inputs(&cfg.raw["metadata"]["inputsLayout"])
                .into_iter()
                .filter(is_iat_input)
                .collect();
            return match inputs.as_slice() {
                [] => Err(Invalid::KiliFormWithoutImageInput.into()),
                [input] => {
                    let t = input["type"].as_str().unwrap_or_default();
                    Ok(Self {
                        project_type: t.trim_start_matches("tool-").to_string(),
                        sequence: input["config"]["metadata"]["toolOptions"]["sequence"]
                            .as_bool()
                            .unwrap_or(false),
                        input_id: input["id"].as_str().map(str::to_string),
                    })
                }
                _ => Err(Invalid::KiliFormWithSeveralImageInputs.into()),
            };
        }
        Err(Invalid::KiliNotAvailable {
            project_type: cfg.project_type.clone(),
        }
        .into())
    }

    /// For a form task, make the image input's value the task body and resources.
    pub fn normalize<'a>(&self, task: &'a Value) -> Cow<'a, Value> {
        normalize_form_task(task, self.input_id.as_deref())
    }
}

/// For a form's image tool input: the input's value becomes the task body and its resources
/// the task's resources (what the Kili, YOLO and mask exports read).
/// Without an input id (not a form) the task is returned as it is, not copied.
pub fn normalize_form_task<'a>(task: &'a Value, input_id: Option<&str>) -> Cow<'a, Value> {
    let Some(input_id) = input_id else {
        return Cow::Borrowed(task);
    };
    let Some(obj) = task.as_object() else {
        return Cow::Borrowed(task);
    };
    let data = obj.get("data").and_then(Value::as_object);
    let input_value = data
        .and_then(|d| d.get("body"))
        .and_then(|b| b.get(input_id))
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let resources = input_value
        .get("resources")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| Value::Array(vec![]));
    let mut new_data = data.cloned().unwrap_or_default();
    new_data.insert("body".into(), input_value);
    let mut out = obj.clone();
    out.insert("resources".into(), resources);
    out.insert("data".into(), Value::Object(new_data));
    Cow::Owned(Value::Object(out))
}

/// Ids of an annotation's main labels: `{list: {labels: [{id}…], children?}}` in order.
pub fn main_labels(labels: Option<&Value>) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(obj) = labels.and_then(Value::as_object) {
        for value in obj.values() {
            for l in value
                .get("labels")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(l.get("id").cloned().unwrap_or(Value::Null));
            }
        }
    }
    out
}

/// Python's `round(x, ndigits)` for floats (correctly rounded, ties to even on the exact value).
pub fn py_round(x: f64, ndigits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.ndigits$}").parse().unwrap_or(x)
}

/// One raw task (as listed with optional fields data, jobs, metrics, data.mask) as a Kili
/// asset: what the SDK's `tasks(compatibility_mode="kili")` gives and its Kili export writes.
/// `warn` receives the SDK's warnings (annotations dropped for lack of an image size…).
pub fn asset(task: &Value, target: &KiliTarget, warn: &mut dyn FnMut(String)) -> Value {
    let task = target.normalize(task);
    let name = task.get("name").cloned().unwrap_or(Value::Null);
    let resolution = task
        .get("data")
        .and_then(|d| d.get("body"))
        .and_then(|b| b.get("image"))
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "createdAt": task.get("createdAt").cloned().unwrap_or(Value::Null),
        "content": content(&task),
        "externalId": name,
        "id": task.get("_id").cloned().unwrap_or(Value::Null),
        "isHoneypot": false,
        "jsonMetadata": {},
        "latestLabel": latest_label(&task, target, warn),
        "resolution": resolution,
        "skipped": false,
        "status": status(task.get("status").and_then(Value::as_str).unwrap_or("")),
    })
}

fn status(s: &str) -> &'static str {
    match s {
        "complete" => "LABELED",
        "reviewed" => "REVIEWED",
        "to-review" => "ONGOING",
        _ => "TODO",
    }
}

fn content(task: &Value) -> String {
    let Some(resources) = task.get("resources").and_then(Value::as_array) else {
        return String::new();
    };
    resources
        .iter()
        .map(|r| match r {
            Value::Object(o) => match o.get("name").or_else(|| o.get("id")) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            },
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn latest_label(task: &Value, target: &KiliTarget, warn: &mut dyn FnMut(String)) -> Value {
    let Some(data) = task.get("data").and_then(Value::as_object) else {
        return Value::Null;
    };
    if data.is_empty() {
        return Value::Null;
    }
    let author = match data.get("user") {
        Some(u) if u.as_object().is_some_and(|o| !o.is_empty()) => {
            let name = u.get("name").and_then(Value::as_str).unwrap_or("");
            let (first, last) = name.split_once(' ').unwrap_or((name, ""));
            json!({
                "email": u.get("email").cloned().unwrap_or(Value::Null),
                "name": name,
                "firstname": first,
                "lastname": last,
                "id": u.get("id").cloned().unwrap_or(Value::Null),
            })
        }
        _ => Value::Null,
    };
    let label_type = if data.get("type").and_then(Value::as_str) == Some("review") {
        "REVIEW"
    } else {
        "DEFAULT"
    };
    json!({
        "author": author,
        "createdAt": data.get("createdAt").cloned().unwrap_or(Value::Null),
        "isLatestLabelForUser": true,
        "isSentBackToQueue": false,
        "jsonResponse": json_response(task, data, target, warn),
        "labelType": label_type,
        "modelName": null,
    })
}

fn json_response(
    task: &Value,
    data: &Map<String, Value>,
    target: &KiliTarget,
    warn: &mut dyn FnMut(String),
) -> Value {
    let Some(body) = data.get("body") else {
        return Value::Null;
    };
    // Like the SDK, the task's own data.projectType picks the formatting.
    let project_type = data
        .get("projectType")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| target.project_type.clone());
    let frames = target.sequence.then(|| {
        task.get("resources")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    });
    let annotations = match project_type.as_str() {
        "iat-rectangle" => polygon_annotations(body, "rectangle", frames, warn),
        "iat-polygon" => polygon_annotations(body, "polygon", frames, warn),
        "iat-segmentation" => return segmentation_response(body, warn),
        other => {
            warn(format!(
                "Kili annotations are not available for project type \"{other}\""
            ));
            Value::Object(Map::new())
        }
    };
    match annotations {
        // Kili's real format: the jobs (or frames) are the jsonResponse.
        Value::Object(_) => annotations,
        // No image size: the SDK keeps an empty job.
        other => json!({"OBJECT_DETECTION_JOB": {"annotations": other}}),
    }
}

fn number(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn dims(image: &Value) -> (f64, f64) {
    (
        image.get("width").map_or(f64::NAN, num),
        image.get("height").map_or(f64::NAN, num),
    )
}

fn pairs(vertices: &[Value]) -> impl Iterator<Item = (&Value, &Value)> {
    vertices
        .chunks(2)
        .map(|c| (&c[0], c.get(1).unwrap_or(&Value::Null)))
}

/// Normalised vertices given: keep them, and absolute ones rounded to 2 decimals.
fn vertices_from_normalized(vertices: &[Value], image: &Value) -> Value {
    let (w, h) = dims(image);
    let normalized: Vec<Value> = pairs(vertices)
        .map(|(x, y)| json!({"x": x, "y": y}))
        .collect();
    let absolute: Vec<Value> = pairs(vertices)
        .map(|(x, y)| json!({"x": number(py_round(num(x) * w, 2)), "y": number(py_round(num(y) * h, 2))}))
        .collect();
    json!({"normalizedVertices": normalized, "vertices": absolute})
}

/// Absolute vertices given (segmentation): keep them, and normalised ones divided by the size.
fn vertices_from_absolute(vertices: &[Value], image: &Value) -> Value {
    let (w, h) = dims(image);
    let absolute: Vec<Value> = pairs(vertices)
        .map(|(x, y)| json!({"x": x, "y": y}))
        .collect();
    let normalized: Vec<Value> = pairs(vertices)
        .map(|(x, y)| json!({"x": number(num(x) / w), "y": number(num(y) / h)}))
        .collect();
    json!({"normalizedVertices": normalized, "vertices": absolute})
}

fn has_image(body: &Value) -> bool {
    body.get("image")
        .is_some_and(|i| !(i.is_null() || i.as_object().is_some_and(Map::is_empty)))
}

fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn categories(labels: Option<&Value>) -> Value {
    Value::Array(
        main_labels(labels)
            .into_iter()
            .map(|id| json!({"name": id}))
            .collect(),
    )
}

/// Child label lists, flattened: `{listKey: {"categories": [{"name": id}]}}` for every list
/// below the top level.
fn children(labels: Option<&Value>, children_only: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(obj) = labels.and_then(Value::as_object) else {
        return out;
    };
    for (list, value) in obj {
        if !children_only {
            let cats: Vec<Value> = array(value.get("labels"))
                .iter()
                .map(|l| json!({"name": l.get("id").cloned().unwrap_or(Value::Null)}))
                .collect();
            out.insert(list.clone(), json!({"categories": cats}));
        }
        let kids = value.get("children");
        let non_empty = match kids {
            Some(Value::Object(o)) => !o.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            _ => false,
        };
        if non_empty {
            for (k, v) in children(kids, false) {
                out.insert(k, v);
            }
        }
    }
    out
}

fn frame_of(polygon: &Value) -> i64 {
    match polygon.get("timestamp") {
        None => 0,
        Some(Value::Number(n)) => {
            n.as_i64()
                .unwrap_or_else(|| n.as_f64().unwrap_or(1.0) as i64)
                - 1
        }
        Some(Value::String(s)) => s.trim().parse::<i64>().unwrap_or(1) - 1,
        Some(_) => 0,
    }
}

/// Rectangle/polygon annotations: `{"OBJECT_DETECTION_JOB": {"annotations": [...]}}` (or `{}`
/// without annotations); for sequences a map frame → that. Without an image size: `[]`.
fn polygon_annotations(
    body: &Value,
    kind: &str,
    frames: Option<usize>,
    warn: &mut dyn FnMut(String),
) -> Value {
    let annotations = array(body.get("annotations"));
    if !has_image(body) {
        if !annotations.is_empty() {
            warn("annotations ignored: the task has no image size".into());
        }
        return Value::Array(vec![]);
    }
    let image = &body["image"];
    // frame key → annotations (insertion order kept)
    let mut by_frame: Vec<(String, Vec<Value>)> = match frames {
        Some(n) => (0..n).map(|i| (i.to_string(), Vec::new())).collect(),
        None => vec![("none".into(), Vec::new())],
    };
    for annotation in annotations {
        let labels = annotation.get("labels");
        let cats = categories(labels);
        let kids = Value::Object(children(labels, true));
        let mut polys: Vec<(String, Vec<Value>)> = Vec::new();
        for polygon in array(annotation.get("polygons")) {
            let vertices = array(polygon.pointer("/geometry/vertices"));
            let corners;
            let vertices = if kind == "rectangle" && vertices.len() >= 4 {
                let (l, t, r, b) = (&vertices[0], &vertices[1], &vertices[2], &vertices[3]);
                corners = [l, t, r, t, r, b, l, b].map(Clone::clone);
                &corners[..]
            } else {
                vertices
            };
            let key = if frames.is_some() {
                frame_of(polygon).to_string()
            } else {
                "none".into()
            };
            let poly = vertices_from_normalized(vertices, image);
            match polys.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(poly),
                None => polys.push((key, vec![poly])),
            }
        }
        for (key, bounding) in polys {
            let entry = json!({
                "boundingPoly": bounding,
                "categories": cats.clone(),
                "children": kids.clone(),
                "type": kind,
            });
            match by_frame.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(entry),
                None => by_frame.push((key, vec![entry])),
            }
        }
    }
    let job = |anns: Vec<Value>| {
        if anns.is_empty() {
            json!({})
        } else {
            json!({"OBJECT_DETECTION_JOB": {"annotations": anns}})
        }
    };
    match frames {
        Some(_) => Value::Object(by_frame.into_iter().map(|(k, a)| (k, job(a))).collect()),
        None => job(by_frame.pop().map(|(_, a)| a).unwrap_or_default()),
    }
}

fn segmentation_response(body: &Value, warn: &mut dyn FnMut(String)) -> Value {
    let annotations = array(body.get("annotations"));
    let mut out = Vec::new();
    if !has_image(body) {
        if !annotations.is_empty() {
            warn("annotations ignored: the task has no image size".into());
        }
        return json!({"OBJECT_DETECTION_JOB": {"annotations": out}});
    }
    let image = &body["image"];
    for annotation in annotations {
        let approx = annotation.get("approximation");
        let polygons = array(approx.and_then(|a| a.get("polygons")));
        let minus: Vec<Value> = array(approx.and_then(|a| a.get("minus")))
            .iter()
            .map(|p| vertices_from_absolute(array(p.pointer("/geometry/vertices")), image))
            .collect();
        let labels = annotation.get("labels");
        let cats = categories(labels);
        let kids = Value::Object(children(labels, true));
        let mid: String = uuid::Uuid::new_v4().simple().to_string()[..15].to_string();
        for (i, polygon) in polygons.iter().enumerate() {
            let mut bounding = vec![vertices_from_absolute(
                array(polygon.pointer("/geometry/vertices")),
                image,
            )];
            if !minus.is_empty() {
                // Old style: minus polygons belong to the annotation, listed once.
                if i == 0 {
                    bounding.extend(minus.iter().cloned());
                }
            } else {
                for hole in array(polygon.pointer("/geometry/holes")) {
                    bounding.push(vertices_from_absolute(array(Some(hole)), image));
                }
            }
            out.push(json!({
                "boundingPoly": bounding,
                "categories": cats.clone(),
                "children": kids.clone(),
                "type": "semantic",
                "mid": mid,
            }));
        }
    }
    json!({"OBJECT_DETECTION_JOB": {"annotations": out}})
}
