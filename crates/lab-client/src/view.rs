//! The output modes of the SDK's `tasks()`: raw documents, the "lab" view (data merged
//! over metadata) and the Kili compatibility view.

use serde_json::{Map, Value, json};

use crate::error::Result;
use crate::types::ProjectConfiguration;

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

pub use crate::kili::KiliTarget;

/// A raw task document as a Kili asset (Kili's own shape: `jsonResponse` holds the job once;
/// for sequences it maps frame index → jobs).
pub fn kili_view(task: &Value, cfg: &ProjectConfiguration) -> Result<Value> {
    let target = KiliTarget::new(cfg)?;
    Ok(kili_view_with(task, &target))
}

/// [`kili_view`] with a prepared target (saves re-reading the configuration per task); the
/// SDK's warnings go to the log.
pub fn kili_view_with(task: &Value, target: &KiliTarget) -> Value {
    crate::kili::asset(task, target, &mut |w| tracing::warn!("{w}"))
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
