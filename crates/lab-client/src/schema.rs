//! JSON Schemas (draft 2020-12) that task data must satisfy before creation, chosen from
//! the project type like the SDK does, and the validation itself.

use serde_json::{Value, json};

use crate::error::{Error, Invalid, Result};
use crate::types::{ProjectConfiguration, layout_inputs};

/// Shared definitions (vertices in [0, 1], label trees).
fn defs() -> Value {
    let vertex = json!({ "$ref": "#/$defs/vertex" });
    json!({
        "vertex": { "type": "number", "minimum": 0, "maximum": 1 },
        "polygonVertices": { "type": "array", "items": vertex },
        "rectangleVertices": { "type": "array", "prefixItems": [vertex, vertex, vertex, vertex] },
        "graphVertices": { "type": "array", "prefixItems": [vertex, vertex] },
        "labelTree": {
            "type": "object",
            "patternProperties": {
                "^[0-9a-zA-Z_ -]+$": {
                    "type": "object",
                    "properties": {
                        "labels": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": { "type": "string" },
                                    "name": { "type": "string" },
                                    "displayName": { "type": ["string", "null"] },
                                    "uid": { "type": "string" }
                                },
                                "required": ["id", "name"]
                            }
                        },
                        "children": { "$ref": "#/$defs/labelTree" }
                    },
                    "additionalProperties": false
                }
            },
            "additionalProperties": false
        }
    })
}

/// Which image-annotation variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IatKind {
    /// Polygons and polylines.
    Generic,
    /// Rectangles (4 vertices, type rectangle).
    Rectangle,
    /// Graphs (vertices + edges).
    Graph,
    /// Segmentation (with optional PNG mask).
    Segmentation,
}

impl IatKind {
    /// From a project type or a form tool input type.
    pub fn from_type(t: &str) -> Option<Self> {
        match t.trim_start_matches("tool-") {
            "iat-rectangle" => Some(Self::Rectangle),
            "iat-graph" => Some(Self::Graph),
            "iat-segmentation" => Some(Self::Segmentation),
            "iat-polygon" | "iat-polyline" => Some(Self::Generic),
            _ => None,
        }
    }
}

/// Image-annotation data schema without `$defs` (they sit at the document root).
fn iat_body(kind: IatKind) -> Value {
    let mut geometry = json!({
        "type": "object",
        "properties": {
            "vertices": { "$ref": "#/$defs/polygonVertices" },
            "type": { "enum": ["polygon", "graph"] }
        },
        "required": ["vertices", "type"]
    });
    match kind {
        IatKind::Rectangle => {
            geometry["properties"]["vertices"] = json!({ "$ref": "#/$defs/rectangleVertices" });
            geometry["properties"]["type"] = json!({ "const": "rectangle" });
        }
        IatKind::Graph => {
            geometry["properties"]["vertices"] = json!({ "$ref": "#/$defs/graphVertices" });
            geometry["properties"]["type"] = json!({ "const": "graph" });
            geometry["properties"]["edges"] = json!({
                "type": "array",
                "items": { "type": "array", "prefixItems": [{ "type": "number" }, { "type": "number" }] }
            });
            geometry["required"] = json!(["vertices", "type", "edges"]);
        }
        _ => {}
    }
    let polygons = if kind == IatKind::Segmentation {
        json!({ "type": "array", "prefixItems": [{ "type": "number" }, { "type": "number" }, { "type": "number" }] })
    } else {
        json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": { "type": "string" },
                    "color": { "type": "string" },
                    "geometry": geometry,
                    "groupId": { "type": "string" },
                    "text": { "type": "string" }
                },
                "required": ["geometry"]
            }
        })
    };
    let mut schema = json!({
        "type": "object",
        "properties": {
            "resources": { "type": "array", "items": { "type": "string" } },
            "annotations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "uid": { "type": "string" },
                        "color": { "type": "string" },
                        "text": { "type": "string" },
                        "polygons": polygons,
                        "labels": { "$ref": "#/$defs/labelTree" }
                    },
                    "required": ["polygons"]
                }
            },
            "image": {
                "type": "object",
                "properties": { "width": { "type": "number" }, "height": { "type": "number" } }
            }
        },
        "required": ["annotations"],
        "additionalProperties": false
    });
    if kind == IatKind::Segmentation {
        schema["properties"]["mask"] =
            json!({ "type": "string", "pattern": "^data:image/png;base64," });
    }
    schema
}

fn rooted(mut body: Value) -> Value {
    body["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    body["$defs"] = defs();
    body
}

/// Schema of an image-annotation project's data.
pub fn iat_schema(kind: IatKind) -> Value {
    rooted(iat_body(kind))
}

fn string_or_number() -> Value {
    json!({ "oneOf": [{ "type": "string" }, { "type": "number" }] })
}

fn string_or_strings() -> Value {
    json!({ "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }] })
}

fn input_schema(input: &Value) -> Value {
    let t = input["type"].as_str().unwrap_or_default();
    if let Some(kind) = IatKind::from_type(t).filter(|_| t.starts_with("tool-iat")) {
        let mut s = iat_body(kind);
        s["properties"]["resources"] = string_or_strings();
        return s;
    }
    match t {
        "checkbox" | "radio" | "text" | "textarea" | "url" => string_or_number(),
        "date" | "display-text" | "display-title" | "email" | "hidden" => {
            json!({ "type": "string" })
        }
        "display-resource" | "display-resource-carousel" => string_or_strings(),
        "number" => json!({ "type": "number" }),
        _ => json!({}),
    }
}

/// Inputs that can be set when a task is created (the SDK's rule).
fn settable_inputs(cfg: &ProjectConfiguration) -> Result<Vec<Value>> {
    let layout = &cfg.raw["metadata"]["inputsLayout"];
    if layout.as_array().is_none_or(|a| a.is_empty()) {
        return Err(Invalid::FormWithoutLayout.into());
    }
    Ok(layout_inputs(layout)
        .into_iter()
        .filter(|i| {
            i.get("submit") != Some(&Value::Bool(false)) || i["static"] != Value::Bool(true)
        })
        .collect())
}

fn form_root(properties: serde_json::Map<String, Value>) -> Value {
    rooted(json!({
        "type": "object",
        "properties": properties,
        "patternProperties": { "^_meta_": {} },
        "additionalProperties": false
    }))
}

/// Schema of a form project's data, built from its layout.
pub fn form_schema(cfg: &ProjectConfiguration) -> Result<Value> {
    let mut props = serde_json::Map::new();
    for input in settable_inputs(cfg)? {
        props.insert(crate::types::value_str(&input["id"]), input_schema(&input));
    }
    Ok(form_root(props))
}

fn options_schema() -> Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "name": { "type": "string" }, "value": { "type": "string" }, "group": { "type": "string" }
            },
            "required": ["name", "value"]
        }
    })
}

/// Schema of `project_configuration_overwrite` for a form project.
pub fn form_overwrite_schema(cfg: &ProjectConfiguration) -> Result<Value> {
    let mut props = serde_json::Map::new();
    for input in settable_inputs(cfg)? {
        let settings = match input["type"].as_str().unwrap_or_default() {
            "radio" => json!({ "required": { "type": "boolean" }, "options": options_schema() }),
            "listbox" => json!({
                "multiple": { "type": "boolean" }, "required": { "type": "boolean" }, "options": options_schema()
            }),
            "form-group" => json!({
                "minNumber": { "type": "number" }, "maxNumber": { "type": "number" },
                "startingItemsNumber": { "type": "number" }
            }),
            _ => continue,
        };
        let mut s = json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "settings": { "type": "object", "additionalProperties": false, "properties": settings }
            }
        });
        if input["type"] == "form-group" {
            s["properties"]["configurationOverwrite"] = json!({ "type": "object" });
        }
        props.insert(crate::types::value_str(&input["id"]), s);
    }
    Ok(form_root(props))
}

/// Schema of Kili-format input data (`OBJECT_DETECTION_JOB` + optional `resolution`).
pub fn kili_schema() -> Value {
    let unit = json!({ "type": "number", "minimum": 0, "exclusiveMaximum": 1 });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "OBJECT_DETECTION_JOB": {
                "type": "object",
                "properties": {
                    "annotations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "boundingPoly": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "normalizedVertices": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "properties": { "x": unit, "y": unit },
                                                    "required": ["x", "y"]
                                                }
                                            },
                                            "vertices": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "properties": { "x": { "type": "number" }, "y": { "type": "number" } },
                                                    "required": ["x", "y"]
                                                }
                                            }
                                        },
                                        "anyOf": [{ "required": ["normalizedVertices"] }, { "required": ["vertices"] }]
                                    }
                                },
                                "categories": {
                                    "type": "array",
                                    "items": { "type": "object", "properties": { "name": { "type": "string" } } }
                                }
                            },
                            "required": ["boundingPoly"]
                        }
                    }
                },
                "required": ["annotations"]
            },
            "resolution": {
                "type": "object",
                "properties": { "width": { "type": "number" }, "height": { "type": "number" } }
            }
        },
        "required": ["OBJECT_DETECTION_JOB"]
    })
}

/// Data schema for a project (lab format).
pub fn data_schema(cfg: &ProjectConfiguration) -> Result<Value> {
    if cfg.is_form() {
        return form_schema(cfg);
    }
    IatKind::from_type(&cfg.project_type)
        .map(iat_schema)
        .ok_or_else(|| {
            Error::from(Invalid::NoDataSchema {
                project_type: cfg.project_type.clone(),
            })
        })
}

/// What a [`Checker`] checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// A task's lab data.
    Data,
    /// A task's data in the Kili format.
    KiliData,
    /// A form task's `project_configuration_overwrite`.
    Overwrite,
}

impl Checked {
    fn name(self) -> &'static str {
        match self {
            Checked::Data => "data",
            Checked::KiliData => "Kili data",
            Checked::Overwrite => "project_configuration_overwrite",
        }
    }
}

/// A compiled schema.
pub struct Checker {
    validator: jsonschema::Validator,
    what: Checked,
}

impl Checker {
    /// Compile.
    pub fn new(schema: &Value, what: Checked) -> Result<Self> {
        let validator = jsonschema::draft202012::new(schema).map_err(|e| Invalid::BadSchema {
            what: what.name().to_string(),
            detail: e.to_string(),
        })?;
        Ok(Self { validator, what })
    }

    /// Check one value; the error names the task, the JSON path and the problem.
    pub fn check(&self, task_name: &str, value: &Value) -> Result<()> {
        let errors: Vec<String> = self
            .validator
            .iter_errors(value)
            .take(3)
            .map(|e| {
                let path = e.instance_path().to_string();
                let path = if path.is_empty() {
                    "/".to_string()
                } else {
                    path
                };
                format!("at {path}: {e}")
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            let (task, problems) = (task_name.to_string(), errors.join("; "));
            Err(match self.what {
                Checked::Data => Invalid::InvalidData { task, problems },
                Checked::KiliData => Invalid::InvalidKiliData { task, problems },
                Checked::Overwrite => Invalid::InvalidOverwrite { task, problems },
            }
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(v: Value) -> ProjectConfiguration {
        ProjectConfiguration::from_value(v).unwrap()
    }

    #[test]
    fn rectangle_schema_accepts_and_refuses() {
        let c = Checker::new(&iat_schema(IatKind::Rectangle), Checked::Data).unwrap();
        let ok = json!({"annotations": [{"labels": {"main list": {"labels": [{"id": "cat", "name": "Cat"}]}},
            "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.5, 0.5]}}]}],
            "image": {"width": 10, "height": 10}});
        c.check("a", &ok).unwrap();
        let bad = json!({"annotations": [{"polygons": [{"geometry": {"type": "polygon", "vertices": [0.1, 1.5, 0.5, 0.5]}}]}]});
        let e = c.check("a", &bad).unwrap_err().to_string();
        assert!(e.contains("Task \"a\""), "{e}");
        assert!(e.contains("/annotations/0/polygons/0/geometry"), "{e}");
        assert!(
            c.check("a", &json!({"annotations": [], "extra": 1}))
                .is_err()
        );
        assert!(c.check("a", &json!({})).is_err());
    }

    #[test]
    fn graph_needs_edges() {
        let c = Checker::new(&iat_schema(IatKind::Graph), Checked::Data).unwrap();
        let g = json!({"annotations": [{"polygons": [{"geometry": {"type": "graph", "vertices": [0.1, 0.2]}}]}]});
        assert!(c.check("g", &g).is_err());
        let g = json!({"annotations": [{"polygons": [{"geometry": {"type": "graph", "vertices": [0.1, 0.2], "edges": [[0, 1]]}}]}]});
        c.check("g", &g).unwrap();
    }

    #[test]
    fn segmentation_mask_must_be_png_data_uri() {
        let c = Checker::new(&iat_schema(IatKind::Segmentation), Checked::Data).unwrap();
        c.check(
            "s",
            &json!({"annotations": [], "mask": "data:image/png;base64,AAA"}),
        )
        .unwrap();
        assert!(
            c.check(
                "s",
                &json!({"annotations": [], "mask": "data:image/jpeg;base64,AAA"})
            )
            .is_err()
        );
    }

    #[test]
    fn form_schema_from_layout() {
        let c = cfg(
            json!({"projectType": "form", "metadata": {"inputsLayout": [[[
                {"id": "title", "type": "display-title", "static": true, "submit": false},
                {"id": "comment", "type": "text"},
                {"id": "n", "type": "number", "submit": true},
                {"id": "choice", "type": "radio"},
                {"id": "img", "type": "tool-iat-rectangle"}
            ]]]}}),
        );
        let ch = Checker::new(&form_schema(&c).unwrap(), Checked::Data).unwrap();
        ch.check(
            "f",
            &json!({"comment": "x", "n": 2, "_meta_x": [1],
            "img": {"resources": "https://x/y.jpg", "annotations": []}}),
        )
        .unwrap();
        assert!(ch.check("f", &json!({"title": "static input"})).is_err());
        assert!(ch.check("f", &json!({"n": "two"})).is_err());
        assert!(ch.check("f", &json!({"img": {"annotations": [{"polygons": [{"geometry": {"type": "rectangle", "vertices": [2, 0, 0, 0]}}]}]}})).is_err());
        let ow = Checker::new(&form_overwrite_schema(&c).unwrap(), Checked::Overwrite).unwrap();
        ow.check(
            "f",
            &json!({"choice": {"settings": {"options": [{"name": "A", "value": "a"}]}}}),
        )
        .unwrap();
        assert!(ow.check("f", &json!({"comment": {}})).is_err());
        assert!(
            ow.check(
                "f",
                &json!({"choice": {"settings": {"options": [{"name": "A"}]}}})
            )
            .is_err()
        );
    }

    #[test]
    fn kili_schema_checks_vertices() {
        let c = Checker::new(&kili_schema(), Checked::KiliData).unwrap();
        c.check("k", &json!({"OBJECT_DETECTION_JOB": {"annotations": [{"boundingPoly": [{"vertices": [{"x": 5, "y": 6}]}]}]}, "resolution": {"width": 10, "height": 10}})).unwrap();
        assert!(c.check("k", &json!({"OBJECT_DETECTION_JOB": {"annotations": [{"boundingPoly": [{"normalizedVertices": [{"x": 1, "y": 0}]}]}]}})).is_err());
        assert!(
            c.check(
                "k",
                &json!({"OBJECT_DETECTION_JOB": {"annotations": [{"boundingPoly": [{}]}]}})
            )
            .is_err()
        );
    }
}
