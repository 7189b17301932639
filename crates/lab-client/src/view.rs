//! The output modes of the SDK's `tasks()`: raw documents, the "lab" view (data merged
//! over metadata) and the Kili compatibility view.

use serde_json::{Map, Value, json};

use crate::error::{Invalid, Result};
use crate::types::{ProjectConfiguration, is_iat_input, layout_inputs};

/// Options of the lab view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabViewOptions {
    /// Add `lastAnnotator`.
    pub last_annotator: bool,
    /// Keep `jobs` (asked explicitly); otherwise it is removed.
    pub keep_jobs: bool,
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
    }
}

/// Merge `data.body` over `data.metadata.body`: objects merged key by key, data winning.
pub fn merge_data(body: Option<&Value>, metadata_body: Option<&Value>) -> Value {
    let empty = Map::new();
    let data = body.and_then(Value::as_object).unwrap_or(&empty);
    let meta = metadata_body.and_then(Value::as_object).unwrap_or(&empty);
    let mut merged = Map::new();
    let keys = data
        .keys()
        .chain(meta.keys().filter(|k| !data.contains_key(*k)));
    for key in keys {
        let d = data.get(key);
        let m = meta.get(key);
        match (d, m) {
            (Some(Value::Object(dv)), Some(Value::Object(mv))) if truthy(d) && truthy(m) => {
                let mut o = mv.clone();
                for (k, v) in dv {
                    o.insert(k.clone(), v.clone());
                }
                merged.insert(key.clone(), Value::Object(o));
            }
            (Some(d), _) if !d.is_null() => {
                merged.insert(key.clone(), d.clone());
            }
            (_, Some(m)) if !m.is_null() => {
                merged.insert(key.clone(), m.clone());
            }
            _ => {}
        }
    }
    Value::Object(merged)
}

fn merged_task_data(task: &Value) -> Value {
    let data = task.get("data");
    if !truthy(data) {
        return json!({});
    }
    let data = data.unwrap_or(&Value::Null);
    let body = data.get("body");
    let meta = data.get("metadata").and_then(|m| m.get("body"));
    if !truthy(body) && !truthy(meta) {
        return Value::Null;
    }
    merge_data(body, meta)
}

/// Email of the completer of the most recently completed job.
pub fn last_annotator(task: &Value) -> Option<String> {
    let jobs = task.get("jobs")?.as_array()?;
    let mut done: Vec<&Value> = jobs
        .iter()
        .filter(|j| j.get("status").and_then(Value::as_str) == Some("complete"))
        .collect();
    let at = |j: &Value| {
        j.pointer("/state/completedAt")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    done.sort_by_key(|b| std::cmp::Reverse(at(b)));
    done.first()?
        .pointer("/state/completedBy/email")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The SDK's default ("lab") view of a raw task document.
pub fn lab_view(task: &Value, opts: &LabViewOptions) -> Value {
    // Clone everything but `data` (replaced below, in place: key order kept).
    let mut out = Map::new();
    for (k, v) in task.as_object().into_iter().flatten() {
        let v = if k == "data" { Value::Null } else { v.clone() };
        out.insert(k.clone(), v);
    }
    out.insert("data".into(), merged_task_data(task));
    if opts.last_annotator {
        out.insert(
            "lastAnnotator".into(),
            last_annotator(task)
                .map(Value::String)
                .unwrap_or(Value::Null),
        );
    }
    if !opts.keep_jobs {
        out.remove("jobs");
    }
    Value::Object(out)
}

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
    pub fn normalize(&self, task: &Value) -> Value {
        let Some(input) = &self.input_id else {
            return task.clone();
        };
        let mut out = task.as_object().cloned().unwrap_or_default();
        let value = task
            .pointer("/data/body")
            .and_then(|b| b.get(input))
            .cloned()
            .unwrap_or_else(|| json!({}));
        out.insert(
            "resources".into(),
            value.get("resources").cloned().unwrap_or_else(|| json!([])),
        );
        let mut data = task
            .get("data")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        data.insert("body".into(), value);
        out.insert("data".into(), Value::Object(data));
        Value::Object(out)
    }
}

fn round2(x: f64) -> f64 {
    format!("{x:.2}").parse().unwrap_or(x)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn points(vertices: &[Value]) -> Vec<(f64, f64)> {
    vertices
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (num(&c[0]), num(&c[1])))
        .collect()
}

fn pts_json(p: &[(f64, f64)]) -> Value {
    Value::Array(p.iter().map(|(x, y)| json!({"x": x, "y": y})).collect())
}

/// `{normalizedVertices, vertices}` of a polygon; `absolute` says the input is in pixels.
fn kili_poly(vertices: &[Value], size: &Value, absolute: bool) -> Value {
    let w = num(&size["width"]);
    let h = num(&size["height"]);
    let p = points(vertices);
    let (norm, abs): (Vec<_>, Vec<_>) = if absolute {
        (p.iter().map(|(x, y)| (x / w, y / h)).collect(), p.clone())
    } else {
        (
            p.clone(),
            p.iter()
                .map(|(x, y)| (round2(x * w), round2(y * h)))
                .collect(),
        )
    };
    json!({ "normalizedVertices": pts_json(&norm), "vertices": pts_json(&abs) })
}

fn bbox_to_corners(v: &[Value]) -> Vec<Value> {
    if v.len() != 4 {
        return v.to_vec();
    }
    let (a, b, c, d) = (&v[0], &v[1], &v[2], &v[3]);
    vec![
        a.clone(),
        b.clone(),
        c.clone(),
        b.clone(),
        c.clone(),
        d.clone(),
        a.clone(),
        d.clone(),
    ]
}

fn main_label_ids(labels: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for (_, list) in labels.as_object().into_iter().flatten() {
        for l in list["labels"].as_array().into_iter().flatten() {
            out.push(json!({ "name": l["id"] }));
        }
    }
    out
}

fn kili_children(labels: &Value, children_only: bool) -> Map<String, Value> {
    let mut out = Map::new();
    for (list, v) in labels.as_object().into_iter().flatten() {
        if !children_only {
            let cats: Vec<Value> = v["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| json!({"name": l["id"]}))
                .collect();
            out.insert(list.clone(), json!({ "categories": cats }));
        }
        if v.get("children").is_some_and(|c| truthy(Some(c))) {
            out.extend(kili_children(&v["children"], false));
        }
    }
    out
}

fn polygon_response(body: &Value, kind: &str, frames: Option<usize>) -> Value {
    let annotations = body["annotations"].as_array().cloned().unwrap_or_default();
    let size = &body["image"];
    if !truthy(Some(size)) {
        if !annotations.is_empty() {
            tracing::warn!("annotations ignored: the task data has no image size");
        }
        return match frames {
            Some(_) => json!({}),
            None => json!({"OBJECT_DETECTION_JOB": {"annotations": []}}),
        };
    }
    // frame key ("none" for non-sequences) → annotations
    let mut by_frame: Vec<(String, Vec<Value>)> = match frames {
        Some(n) => (0..n).map(|i| (i.to_string(), Vec::new())).collect(),
        None => vec![("none".into(), Vec::new())],
    };
    for a in &annotations {
        let labels = a.get("labels").cloned().unwrap_or_else(|| json!({}));
        let base = json!({
            "boundingPoly": [],
            "categories": main_label_ids(&labels),
            "children": kili_children(&labels, true),
            "type": kind,
        });
        let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
        for p in a["polygons"].as_array().into_iter().flatten() {
            let mut v = p["geometry"]["vertices"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if kind == "rectangle" {
                v = bbox_to_corners(&v);
            }
            let frame = match frames {
                Some(_) => {
                    let ts = p.get("timestamp").map(num).unwrap_or(1.0) as i64;
                    (ts - 1).to_string()
                }
                None => "none".into(),
            };
            let poly = kili_poly(&v, size, false);
            match groups.iter_mut().find(|(k, _)| *k == frame) {
                Some((_, g)) => g.push(poly),
                None => groups.push((frame, vec![poly])),
            }
        }
        for (frame, polys) in groups {
            let mut ann = base.clone();
            ann["boundingPoly"] = Value::Array(polys);
            match by_frame.iter_mut().find(|(k, _)| *k == frame) {
                Some((_, list)) => list.push(ann),
                None => by_frame.push((frame, vec![ann])),
            }
        }
    }
    let job = |anns: Vec<Value>| json!({"OBJECT_DETECTION_JOB": {"annotations": anns}});
    match frames {
        Some(_) => {
            let mut m = Map::new();
            for (k, anns) in by_frame {
                m.insert(
                    k,
                    if anns.is_empty() {
                        json!({})
                    } else {
                        job(anns)
                    },
                );
            }
            Value::Object(m)
        }
        None => job(by_frame.pop().map(|(_, a)| a).unwrap_or_default()),
    }
}

fn segmentation_response(body: &Value) -> Value {
    let annotations = body["annotations"].as_array().cloned().unwrap_or_default();
    let size = &body["image"];
    let mut out = Vec::new();
    if !truthy(Some(size)) {
        if !annotations.is_empty() {
            tracing::warn!("annotations ignored: the task data has no image size");
        }
        return json!({"OBJECT_DETECTION_JOB": {"annotations": out}});
    }
    for a in &annotations {
        let labels = a.get("labels").cloned().unwrap_or_else(|| json!({}));
        let mid: String = uuid::Uuid::new_v4().simple().to_string()[..15].to_string();
        let approx = &a["approximation"];
        let minus: Vec<Value> = approx["minus"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let v = p["geometry"]["vertices"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                kili_poly(&v, size, true)
            })
            .collect();
        for (i, p) in approx["polygons"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let v = p["geometry"]["vertices"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut polys = vec![kili_poly(&v, size, true)];
            if !minus.is_empty() {
                if i == 0 {
                    polys.extend(minus.iter().cloned());
                }
            } else {
                for hole in p["geometry"]["holes"].as_array().into_iter().flatten() {
                    polys.push(kili_poly(
                        hole.as_array().map(Vec::as_slice).unwrap_or(&[]),
                        size,
                        true,
                    ));
                }
            }
            out.push(json!({
                "boundingPoly": polys,
                "categories": main_label_ids(&labels),
                "children": kili_children(&labels, true),
                "type": "semantic",
                "mid": mid,
            }));
        }
    }
    json!({"OBJECT_DETECTION_JOB": {"annotations": out}})
}

fn kili_status(status: Option<&str>) -> &'static str {
    match status {
        Some("complete") => "LABELED",
        Some("reviewed") => "REVIEWED",
        Some("to-review") => "ONGOING",
        _ => "TODO",
    }
}

fn kili_author(data: &Value) -> Value {
    let user = &data["user"];
    if !truthy(Some(user)) {
        return Value::Null;
    }
    let name = user["name"].as_str().unwrap_or_default();
    let mut parts = name.split(' ');
    let first = parts.next().unwrap_or(name).to_string();
    let last = parts.collect::<Vec<_>>().join(" ");
    json!({
        "email": user["email"], "name": name, "firstname": first,
        "lastname": last, "id": user["id"],
    })
}

/// A raw task document as a Kili asset (Kili's own shape: `jsonResponse` holds the job once;
/// for sequences it maps frame index → jobs).
pub fn kili_view(task: &Value, cfg: &ProjectConfiguration) -> Result<Value> {
    let target = KiliTarget::new(cfg)?;
    Ok(kili_view_with(task, &target))
}

/// [`kili_view`] with a prepared target (saves re-reading the configuration per task).
pub fn kili_view_with(task: &Value, target: &KiliTarget) -> Value {
    let task = target.normalize(task);
    let resources = task["resources"].as_array().cloned().unwrap_or_default();
    let content = resources
        .iter()
        .map(|r| match r {
            Value::Object(o) => o
                .get("name")
                .or_else(|| o.get("id"))
                .map(crate::types::value_str)
                .unwrap_or_default(),
            other => crate::types::value_str(other),
        })
        .collect::<Vec<_>>()
        .join(",");
    let data = task.get("data");
    let latest = if !truthy(data) {
        Value::Null
    } else {
        let data = data.unwrap_or(&Value::Null);
        let response = match data.get("body") {
            None => Value::Null,
            Some(body) => {
                let kind = data["projectType"]
                    .as_str()
                    .filter(|t| KILI_TYPES.contains(t))
                    .unwrap_or(&target.project_type);
                let frames = target.sequence.then_some(resources.len());
                match kind {
                    "iat-rectangle" => polygon_response(body, "rectangle", frames),
                    "iat-polygon" => polygon_response(body, "polygon", frames),
                    "iat-segmentation" => segmentation_response(body),
                    other => {
                        tracing::warn!("Kili annotations are not available for {other} projects");
                        json!({"OBJECT_DETECTION_JOB": {"annotations": []}})
                    }
                }
            }
        };
        json!({
            "author": kili_author(data),
            "createdAt": data.get("createdAt").cloned().unwrap_or(Value::Null),
            "isLatestLabelForUser": true,
            "isSentBackToQueue": false,
            "jsonResponse": response,
            "labelType": if data["type"] == "review" { "REVIEW" } else { "DEFAULT" },
            "modelName": null,
        })
    };
    json!({
        "createdAt": task.get("createdAt").cloned().unwrap_or(Value::Null),
        "content": content,
        "externalId": task.get("name").cloned().unwrap_or(Value::Null),
        "id": task.get("_id").cloned().unwrap_or(Value::Null),
        "isHoneypot": false,
        "jsonMetadata": {},
        "latestLabel": latest,
        "resolution": task.pointer("/data/body/image").cloned().unwrap_or(Value::Null),
        "skipped": false,
        "status": kili_status(task["status"].as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_prefers_data_and_merges_objects() {
        let m = merge_data(
            Some(&json!({"a": {"x": 1}, "b": 2, "n": null})),
            Some(&json!({"a": {"x": 0, "y": 3}, "c": 4, "n": 5})),
        );
        assert_eq!(m, json!({"a": {"x": 1, "y": 3}, "b": 2, "n": 5, "c": 4}));
    }

    #[test]
    fn lab_view_merges_and_drops_jobs() {
        let t = json!({
            "_id": "t1", "name": "a.jpg",
            "data": {"body": {"annotations": [1]}, "metadata": {"body": {"image": {"width": 2}}}},
            "jobs": [
                {"status": "complete", "state": {"completedAt": "2024-01-01", "completedBy": {"email": "old@x"}}},
                {"status": "complete", "state": {"completedAt": "2024-02-01", "completedBy": {"email": "new@x"}}},
                {"status": "pending", "state": {"completedAt": "2025-01-01", "completedBy": {"email": "no@x"}}}
            ]
        });
        let v = lab_view(
            &t,
            &LabViewOptions {
                last_annotator: true,
                keep_jobs: false,
            },
        );
        assert_eq!(
            v["data"],
            json!({"annotations": [1], "image": {"width": 2}})
        );
        assert_eq!(v["lastAnnotator"], "new@x");
        assert!(v.get("jobs").is_none());
        let raw_no_data = lab_view(&json!({"_id": "x"}), &LabViewOptions::default());
        assert_eq!(raw_no_data["data"], json!({}));
        let empty = lab_view(&json!({"data": {"body": {}}}), &LabViewOptions::default());
        assert_eq!(empty["data"], Value::Null);
    }

    fn rect_cfg() -> ProjectConfiguration {
        ProjectConfiguration::from_value(json!({"projectType": "iat-rectangle", "metadata": {}}))
            .unwrap()
    }

    #[test]
    fn kili_view_of_rectangle_task() {
        let t = json!({
            "_id": "t1", "name": "a.jpg", "status": "complete", "createdAt": "c",
            "resources": [{"id": "f1", "name": "a.jpg"}],
            "data": {"createdAt": "d", "type": "default", "projectType": "iat-rectangle",
                "user": {"id": "u", "name": "Ada Love Lace", "email": "a@x"},
                "body": {"image": {"width": 200, "height": 100}, "annotations": [
                    {"labels": {"main": {"labels": [{"id": "cat", "name": "Cat"}]}},
                     "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.2, 0.5, 0.6]}}]}
                ]}}
        });
        let k = kili_view(&t, &rect_cfg()).unwrap();
        assert_eq!(k["status"], "LABELED");
        assert_eq!(k["content"], "a.jpg");
        assert_eq!(k["externalId"], "a.jpg");
        assert_eq!(k["resolution"], json!({"width": 200, "height": 100}));
        let ll = &k["latestLabel"];
        assert_eq!(ll["author"]["lastname"], "Love Lace");
        let ann = &ll["jsonResponse"]["OBJECT_DETECTION_JOB"]["annotations"][0];
        assert_eq!(ann["categories"], json!([{"name": "cat"}]));
        let bp = &ann["boundingPoly"][0];
        assert_eq!(bp["normalizedVertices"].as_array().unwrap().len(), 4);
        assert_eq!(bp["vertices"][2], json!({"x": 100.0, "y": 60.0}));
    }

    #[test]
    fn kili_view_refuses_forms_without_tool() {
        let cfg = ProjectConfiguration::from_value(json!({"projectType": "form",
            "metadata": {"inputsLayout": [[[{"id": "t", "type": "text"}]]]}}))
        .unwrap();
        assert!(kili_view(&json!({}), &cfg).is_err());
    }
}
