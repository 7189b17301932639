//! The lab format (each task with `data` replaced by its body merged over the metadata body),
//! and the form-task normalisation the other formats share.

use crate::pyfmt;
use serde_json::{Map, Value};

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `data.body` merged over `data.metadata.body`: per key, two non-empty objects are merged
/// (data wins), otherwise the data value unless it is null, otherwise the metadata value.
pub fn merge_bodies(body: Option<&Value>, metadata_body: Option<&Value>) -> Value {
    let empty = Map::new();
    let data = body.and_then(Value::as_object).unwrap_or(&empty);
    let meta = metadata_body.and_then(Value::as_object).unwrap_or(&empty);
    let mut merged = Map::new();
    let keys = data
        .keys()
        .chain(meta.keys().filter(|k| !data.contains_key(*k)));
    for key in keys {
        let d = data.get(key).filter(|v| !v.is_null());
        let m = meta.get(key).filter(|v| !v.is_null());
        match (d, m) {
            (Some(Value::Object(dv)), Some(Value::Object(mv)))
                if !dv.is_empty() && !mv.is_empty() =>
            {
                let mut obj = mv.clone();
                for (k, v) in dv {
                    obj.insert(k.clone(), v.clone());
                }
                merged.insert(key.clone(), Value::Object(obj));
            }
            (Some(d), _) => {
                merged.insert(key.clone(), d.clone());
            }
            (None, Some(m)) => {
                merged.insert(key.clone(), m.clone());
            }
            (None, None) => {}
        }
    }
    Value::Object(merged)
}

/// The task as the lab export writes it: `data` becomes the merged body (`{}` without data,
/// `null` when both bodies are empty) and `jobs` is left out.
pub fn format_task(task: &Value) -> Value {
    let Some(obj) = task.as_object() else {
        return task.clone();
    };
    let data = obj.get("data").filter(|d| truthy(d));
    let merged = match data {
        None => Value::Object(Map::new()),
        Some(d) => {
            let body = d.get("body");
            let meta = d.get("metadata").and_then(|m| m.get("body"));
            if !body.is_some_and(truthy) && !meta.is_some_and(truthy) {
                Value::Null
            } else {
                merge_bodies(body, meta)
            }
        }
    };
    let mut out = Map::with_capacity(obj.len() + 1);
    for (k, v) in obj {
        match k.as_str() {
            "data" => {
                out.insert(k.clone(), merged.clone());
            }
            "jobs" => {}
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if !out.contains_key("data") {
        out.insert("data".into(), merged);
    }
    Value::Object(out)
}

/// One key of the merged body, borrowed from the task.
enum Merged<'a> {
    Value(&'a Value),
    /// Two non-empty objects: the metadata entries with the data's values, then the data's
    /// other entries.
    Objects(&'a Map<String, Value>, &'a Map<String, Value>),
}

/// [`merge_bodies`] without copying: the entries of the merged body, in order.
fn merged_entries<'a>(
    body: Option<&'a Value>,
    metadata_body: Option<&'a Value>,
) -> Vec<(&'a str, Merged<'a>)> {
    let data = body.and_then(Value::as_object);
    let meta = metadata_body.and_then(Value::as_object);
    let get = |m: Option<&'a Map<String, Value>>, k: &str| {
        m.and_then(|m| m.get(k)).filter(|v| !v.is_null())
    };
    let keys = data.into_iter().flat_map(|d| d.keys()).chain(
        meta.into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !data.is_some_and(|d| d.contains_key(*k))),
    );
    let mut out = Vec::new();
    for key in keys {
        let merged = match (get(data, key), get(meta, key)) {
            (Some(Value::Object(dv)), Some(Value::Object(mv)))
                if !dv.is_empty() && !mv.is_empty() =>
            {
                Merged::Objects(mv, dv)
            }
            (Some(d), _) => Merged::Value(d),
            (None, Some(m)) => Merged::Value(m),
            (None, None) => continue,
        };
        out.push((key.as_str(), merged));
    }
    out
}

fn push_merged(out: &mut Vec<u8>, entries: &[(&str, Merged<'_>)], level: usize) {
    if entries.is_empty() {
        out.extend_from_slice(b"{}");
        return;
    }
    for (i, (k, v)) in entries.iter().enumerate() {
        out.push(if i == 0 { b'{' } else { b',' });
        pyfmt::push_indent(out, level + 1);
        pyfmt::push_json_string(out, k);
        out.extend_from_slice(b": ");
        match v {
            Merged::Value(v) => pyfmt::push_json(out, v, level + 1),
            Merged::Objects(meta, data) => {
                let entries = meta
                    .iter()
                    .map(|(k, v)| (k.as_str(), data.get(k).unwrap_or(v)))
                    .chain(
                        data.iter()
                            .filter(|(k, _)| !meta.contains_key(*k))
                            .map(|(k, v)| (k.as_str(), v)),
                    );
                pyfmt::push_json_entries(out, entries, level + 1);
            }
        }
    }
    pyfmt::push_indent(out, level);
    out.push(b'}');
}

/// Appends [`format_task`] of `task` as [`pyfmt::push_json`] would write it at `level`,
/// without building the formatted task (the export's hot path).
pub fn push_task(out: &mut Vec<u8>, task: &Value, level: usize) {
    let Some(obj) = task.as_object() else {
        pyfmt::push_json(out, task, level);
        return;
    };
    let data = obj.get("data").filter(|d| truthy(d));
    let write_data = |out: &mut Vec<u8>| match data {
        None => out.extend_from_slice(b"{}"),
        Some(d) => {
            let body = d.get("body");
            let meta = d.get("metadata").and_then(|m| m.get("body"));
            if !body.is_some_and(truthy) && !meta.is_some_and(truthy) {
                out.extend_from_slice(b"null");
            } else {
                push_merged(out, &merged_entries(body, meta), level + 1);
            }
        }
    };
    let mut any = false;
    let mut open = |out: &mut Vec<u8>, key: &str| {
        out.push(if any { b',' } else { b'{' });
        any = true;
        pyfmt::push_indent(out, level + 1);
        pyfmt::push_json_string(out, key);
        out.extend_from_slice(b": ");
    };
    for (k, v) in obj {
        match k.as_str() {
            "data" => {
                open(out, k);
                write_data(out);
            }
            "jobs" => {}
            _ => {
                open(out, k);
                pyfmt::push_json(out, v, level + 1);
            }
        }
    }
    if !obj.contains_key("data") {
        open(out, "data");
        write_data(out);
    }
    pyfmt::push_indent(out, level);
    out.push(b'}');
}

pub use lab_client::kili::normalize_form_task;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::borrow::Cow;

    #[test]
    fn merge_follows_sdk_rules() {
        let body = json!({"a": {"x": 1}, "b": null, "c": 0, "d": {}, "f": [1]});
        let meta = json!({"a": {"x": 2, "y": 3}, "b": "m", "d": {"k": 1}, "e": null, "g": true});
        let m = merge_bodies(Some(&body), Some(&meta));
        assert_eq!(
            m,
            json!({"a": {"x": 1, "y": 3}, "b": "m", "c": 0, "d": {}, "f": [1], "g": true})
        );
        assert_eq!(merge_bodies(None, None), json!({}));
    }

    #[test]
    fn lab_task_has_merged_data_and_no_jobs() {
        let t = json!({"_id": "1", "data": {"body": {"annotations": []}, "metadata": {"body": {"image": {"width": 2}}}, "type": "x"}, "jobs": [], "name": "n"});
        let f = format_task(&t);
        assert_eq!(
            f,
            json!({"_id": "1", "data": {"annotations": [], "image": {"width": 2}}, "name": "n"})
        );
        // key order kept: data stays where it was
        let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["_id", "data", "name"]);
        assert_eq!(format_task(&json!({"_id": "1"}))["data"], json!({}));
        assert_eq!(format_task(&json!({"data": null}))["data"], json!({}));
        assert_eq!(
            format_task(&json!({"data": {"body": {}, "metadata": {"body": null}}}))["data"],
            Value::Null
        );
    }

    fn pushed(task: &Value) -> String {
        let mut out = Vec::new();
        push_task(&mut out, task, 1);
        String::from_utf8(out).unwrap()
    }

    fn formatted(task: &Value) -> String {
        let mut out = Vec::new();
        pyfmt::push_json(&mut out, &format_task(task), 1);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn push_task_writes_what_format_task_formats() {
        let tasks = [
            json!({"_id": "1", "data": {"body": {"annotations": [], "z": {"a": 1, "b": 2}, "n": null}, "metadata": {"body": {"image": {"width": 2}, "z": {"c": 3, "a": 9}, "n": 4.5}}, "type": "x"}, "jobs": [], "name": "n"}),
            json!({"_id": "1"}),
            json!({"data": null, "jobs": [1]}),
            json!({"jobs": [1], "data": {"body": {}, "metadata": {"body": null}}, "x": "é"}),
            json!({"data": {"body": {"a": {}}, "metadata": {"body": {"a": {"k": 1}}}}}),
            json!({"data": {"body": {"a": {"k": 1}}, "metadata": {"body": {"a": {}}}}}),
            json!({"data": {"body": "text", "metadata": {"body": {"m": [1, 2.0]}}}}),
            json!({"data": {"metadata": {"body": {"m": null}}}}),
            json!({"data": {"body": {"m": null}}}),
            json!({}),
            json!([1, {"a": 2}]),
            json!("just a string"),
        ];
        for t in &tasks {
            assert_eq!(pushed(t), formatted(t), "{t}");
        }
    }

    #[test]
    fn form_task_takes_the_input_value() {
        let t = json!({"name": "n", "resources": ["x"], "data": {"projectType": "form", "body": {"img": {"annotations": [1], "resources": ["r.png"]}, "txt": "a"}}});
        let n = normalize_form_task(&t, Some("img"));
        assert_eq!(n["resources"], json!(["r.png"]));
        assert_eq!(
            n["data"]["body"],
            json!({"annotations": [1], "resources": ["r.png"]})
        );
        assert_eq!(n["data"]["projectType"], "form");
        let bare = json!({"name": "n"});
        let n = normalize_form_task(&bare, Some("img"));
        assert_eq!(n["resources"], json!([]));
        assert_eq!(n["data"]["body"], json!({}));
        assert!(matches!(normalize_form_task(&t, None), Cow::Borrowed(b) if *b == t));
    }
}
