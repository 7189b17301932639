//! Kili assets (`kili.assets()` shape) from lab tasks.
//!
//! `jsonResponse` is Kili's own format: `{"OBJECT_DETECTION_JOB": {"annotations": [...]}}`,
//! for sequences `{"0": {"OBJECT_DETECTION_JOB": …}, "1": {}, …}` (frame index from 0).

use crate::format::{Target, main_labels};
use crate::pyfmt::py_round;
use serde_json::{Map, Number, Value, json};

/// Formats one raw task (as listed with optional fields data, jobs, metrics, data.mask).
/// `warn` receives the SDK's warnings (annotations dropped for lack of an image size…).
pub fn format_task(task: &Value, target: &Target, warn: &mut dyn FnMut(String)) -> Value {
    let task = crate::lab::normalize_form_task(task, target.input_id.as_deref());
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

fn latest_label(task: &Value, target: &Target, warn: &mut dyn FnMut(String)) -> Value {
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
    target: &Target,
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
        .or_else(|| target.tool_type.clone())
        .unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::resolve_target;
    use crate::format::{ExportFormat, ExportOptions};

    fn target(project_type: &str, sequence: bool) -> Target {
        resolve_target(
            ExportFormat::Kili,
            &json!({"projectType": project_type, "metadata": {"toolOptions": {"sequence": sequence}}}),
            &ExportOptions::default(),
        )
        .unwrap()
    }

    fn rect_task() -> Value {
        json!({
            "_id": "t1", "name": "img1.jpg", "status": "complete", "createdAt": "2024-01-01T00:00:00.000Z",
            "resources": [{"id": "f1", "name": "img1.jpg"}, "https://x/y.png"],
            "data": {
                "createdAt": "2024-01-02", "type": "default", "projectType": "iat-rectangle",
                "user": {"id": "u1", "name": "Ada Lovelace King", "email": "ada@x"},
                "body": {
                    "image": {"width": 200, "height": 100},
                    "annotations": [{
                        "labels": {"main": {"labels": [{"id": "cat"}], "children": {"sub": {"labels": [{"id": "tabby"}]}}}},
                        "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.2, 0.5, 0.6]}}]
                    }]
                }
            }
        })
    }

    #[test]
    fn rectangle_task_in_kili_format() {
        let mut warnings = vec![];
        let out = format_task(&rect_task(), &target("iat-rectangle", false), &mut |w| {
            warnings.push(w)
        });
        assert!(warnings.is_empty());
        let want = json!({
            "createdAt": "2024-01-01T00:00:00.000Z",
            "content": "img1.jpg,https://x/y.png",
            "externalId": "img1.jpg",
            "id": "t1",
            "isHoneypot": false,
            "jsonMetadata": {},
            "latestLabel": {
                "author": {"email": "ada@x", "name": "Ada Lovelace King", "firstname": "Ada", "lastname": "Lovelace King", "id": "u1"},
                "createdAt": "2024-01-02",
                "isLatestLabelForUser": true,
                "isSentBackToQueue": false,
                "jsonResponse": {"OBJECT_DETECTION_JOB": {"annotations": [{
                    "boundingPoly": [{
                        "normalizedVertices": [{"x": 0.1, "y": 0.2}, {"x": 0.5, "y": 0.2}, {"x": 0.5, "y": 0.6}, {"x": 0.1, "y": 0.6}],
                        "vertices": [{"x": 20.0, "y": 20.0}, {"x": 100.0, "y": 20.0}, {"x": 100.0, "y": 60.0}, {"x": 20.0, "y": 60.0}]
                    }],
                    "categories": [{"name": "cat"}],
                    "children": {"sub": {"categories": [{"name": "tabby"}]}},
                    "type": "rectangle"
                }]}},
                "labelType": "DEFAULT",
                "modelName": null
            },
            "resolution": {"width": 200, "height": 100},
            "skipped": false,
            "status": "LABELED"
        });
        assert_eq!(out, want);
    }

    #[test]
    fn sequences_are_keyed_by_frame() {
        let mut t = rect_task();
        t["resources"] = json!(["a", "b", "c"]);
        t["data"]["body"]["annotations"][0]["polygons"] = json!([
            {"timestamp": 1, "geometry": {"type": "rectangle", "vertices": [0, 0, 1, 1]}},
            {"timestamp": 3, "geometry": {"type": "rectangle", "vertices": [0, 0, 0.5, 0.5]}}
        ]);
        let out = format_task(&t, &target("iat-rectangle", true), &mut |_| {});
        let jr = &out["latestLabel"]["jsonResponse"];
        let keys: Vec<&String> = jr.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["0", "1", "2"]);
        assert_eq!(jr["1"], json!({}));
        let a0 = &jr["0"]["OBJECT_DETECTION_JOB"]["annotations"][0];
        assert_eq!(
            a0["boundingPoly"][0]["vertices"][2],
            json!({"x": 200.0, "y": 100.0})
        );
        assert_eq!(
            a0["boundingPoly"][0]["normalizedVertices"][2],
            json!({"x": 1, "y": 1})
        );
        assert_eq!(
            jr["2"]["OBJECT_DETECTION_JOB"]["annotations"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn no_image_size_keeps_an_empty_job_and_warns() {
        let mut t = rect_task();
        t["data"]["body"].as_object_mut().unwrap().remove("image");
        let mut warnings = vec![];
        let out = format_task(&t, &target("iat-rectangle", false), &mut |w| {
            warnings.push(w)
        });
        assert_eq!(
            out["latestLabel"]["jsonResponse"],
            json!({"OBJECT_DETECTION_JOB": {"annotations": []}})
        );
        assert_eq!(warnings.len(), 1);
        assert_eq!(out["resolution"], Value::Null);
        // no annotations at all: empty jsonResponse
        t["data"]["body"] = json!({"image": {"width": 1, "height": 1}, "annotations": []});
        let out = format_task(&t, &target("iat-rectangle", false), &mut |_| {});
        assert_eq!(out["latestLabel"]["jsonResponse"], json!({}));
    }

    #[test]
    fn segmentation_uses_absolute_vertices_and_holes() {
        let t = json!({
            "_id": "s", "name": "s.png", "status": "to-review", "createdAt": "c",
            "data": {"createdAt": "d", "type": "review", "projectType": "iat-segmentation", "user": null,
              "body": {"image": {"width": 10, "height": 4}, "annotations": [{
                "labels": {"main": {"labels": [{"id": "road"}]}},
                "approximation": {"polygons": [
                    {"geometry": {"vertices": [0, 0, 5, 0, 5, 2], "holes": [[1, 1, 2, 1, 2, 2]]}},
                    {"geometry": {"vertices": [10, 4, 9, 4, 9, 3]}}
                ], "minus": []}
              }]}}
        });
        let out = format_task(&t, &target("iat-segmentation", false), &mut |_| {});
        assert_eq!(out["status"], "ONGOING");
        assert_eq!(out["content"], "");
        assert_eq!(out["latestLabel"]["labelType"], "REVIEW");
        assert_eq!(out["latestLabel"]["author"], Value::Null);
        let anns = out["latestLabel"]["jsonResponse"]["OBJECT_DETECTION_JOB"]["annotations"]
            .as_array()
            .unwrap();
        assert_eq!(anns.len(), 2);
        assert_eq!(anns[0]["boundingPoly"].as_array().unwrap().len(), 2);
        assert_eq!(
            anns[0]["boundingPoly"][0]["normalizedVertices"][1],
            json!({"x": 0.5, "y": 0.0})
        );
        assert_eq!(
            anns[0]["boundingPoly"][1]["vertices"][0],
            json!({"x": 1, "y": 1})
        );
        assert_eq!(anns[0]["type"], "semantic");
        assert_eq!(anns[0]["mid"].as_str().unwrap().len(), 15);
        assert_eq!(anns[0]["mid"], anns[1]["mid"]);
        let keys: Vec<&String> = anns[0].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["boundingPoly", "categories", "children", "type", "mid"]
        );
    }
}
