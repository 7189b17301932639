//! The lab format (each task with `data` replaced by its body merged over the metadata body),
//! and the form-task normalisation the other formats share.

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

/// For a form's image tool input: the input's value becomes the task body and its resources
/// the task's resources (what the Kili, YOLO and mask exports read).
pub fn normalize_form_task(task: &Value, input_id: Option<&str>) -> Value {
    let Some(input_id) = input_id else {
        return task.clone();
    };
    let Some(obj) = task.as_object() else {
        return task.clone();
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
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let n = normalize_form_task(&json!({"name": "n"}), Some("img"));
        assert_eq!(n["resources"], json!([]));
        assert_eq!(n["data"]["body"], json!({}));
        assert_eq!(normalize_form_task(&t, None), t);
    }
}
