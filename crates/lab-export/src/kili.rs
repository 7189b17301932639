//! Kili assets (`kili.assets()` shape) from lab tasks, for the Kili export: the formatting is
//! lab-client's ([`lab_client::kili`]), the one `lab tasks --compat kili` and the window's Kili
//! view use too.

use crate::format::Target;
use lab_client::kili::{KiliTarget, asset};
use serde_json::Value;

/// Formats one raw task (as listed with optional fields data, jobs, metrics, data.mask).
/// `warn` receives the SDK's warnings (annotations dropped for lack of an image size…).
pub fn format_task(task: &Value, target: &Target, warn: &mut dyn FnMut(String)) -> Value {
    let kili = KiliTarget {
        project_type: target.tool_type.clone().unwrap_or_default(),
        sequence: target.sequence,
        input_id: target.input_id.clone(),
    };
    asset(task, &kili, warn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::resolve_target;
    use crate::format::{ExportFormat, ExportOptions};
    use serde_json::json;

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
