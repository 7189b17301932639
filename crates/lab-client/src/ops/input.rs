//! Task inputs: the SDK's create_tasks list, files and folders, validation, preparation
//! and Kili conversion.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::image_format::{IMAGE_EXTENSIONS, SNIFF_BYTES, Sniffed, has_image_extension, sniff};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Compatibility;
use crate::error::{Error, Invalid, Result};
use crate::schema::{Checked, Checker, data_schema, form_overwrite_schema, kili_schema};
use crate::types::{ProjectConfiguration, is_iat_input, layout_inputs, value_str};

/// One task to create: the dict the SDK's `create_tasks` takes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaskInput {
    /// Name, unique in the batch.
    pub name: String,
    /// Local paths, `http(s)://` URLs or `resource://` references.
    #[serde(default)]
    pub resources: Option<Vec<String>>,
    /// Initial data.
    #[serde(default)]
    pub data: Option<Value>,
    /// Properties (`score`, `custom`).
    #[serde(default)]
    pub properties: Option<Value>,
    /// Form configuration overwrite.
    #[serde(default)]
    pub project_configuration_overwrite: Option<Value>,
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

fn is_image(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(has_image_extension)
}

/// Refuse a file given as an image that is empty, unreadable or not an image.
fn check_image(p: &Path) -> Result<()> {
    use std::io::Read;
    let shown = p.display().to_string();
    let meta = std::fs::metadata(p).map_err(|e| Error::io(shown.to_string(), e))?;
    if !meta.is_file() {
        return Err(Invalid::NotRegularFile { path: shown }.into());
    }
    if meta.len() == 0 {
        return Err(Invalid::EmptyFile { path: shown }.into());
    }
    if !is_image(p) {
        return Err(Invalid::NotImageName {
            path: shown,
            extensions: IMAGE_EXTENSIONS.join(", "),
        }
        .into());
    }
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    std::fs::File::open(p)
        .and_then(|f| f.take(SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| Error::io(shown.to_string(), e))?;
    match sniff(&head) {
        Sniffed::Image(_) => Ok(()),
        Sniffed::OtherImage(format) => Err(Invalid::UnsupportedImage {
            path: shown,
            format: format.to_string(),
            extensions: IMAGE_EXTENSIONS.join(", "),
        }
        .into()),
        Sniffed::Unknown => Err(Invalid::NotImageContent { path: shown }.into()),
    }
}

fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    // Symbolic links may lead back to a folder already walked: walk each real folder once.
    let real = std::fs::canonicalize(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    if !visited.insert(real) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if is_hidden(&p) {
            continue;
        }
        if p.is_dir() {
            walk(&p, out, visited)?;
        } else if is_image(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// Whether a resource string designates a local file (not a URL, not `resource://`).
pub fn is_local_file(resource: &str) -> bool {
    let lower = resource.to_ascii_lowercase();
    !(lower.starts_with("http://")
        || lower.starts_with("https://")
        || resource.starts_with("resource://"))
}

impl TaskInput {
    /// One task per image of the given files and folders (folders walked recursively,
    /// hidden entries skipped), named by the file name.
    pub fn from_files(paths: &[PathBuf]) -> Result<Vec<TaskInput>> {
        let mut files = Vec::new();
        let mut visited = std::collections::HashSet::new();
        for p in paths {
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p.display().to_string(), e))?;
            if meta.is_dir() {
                walk(p, &mut files, &mut visited)?;
            } else if !is_hidden(p) {
                files.push(p.clone());
            }
        }
        if files.is_empty() {
            return Err(Invalid::NoImageFound {
                extensions: IMAGE_EXTENSIONS.join(", "),
            }
            .into());
        }
        // Every file checked before anything is sent: empty, unreadable or non-image files
        // refuse the whole job (nothing half-created).
        for f in &files {
            check_image(f)?;
        }
        Ok(files
            .into_iter()
            .map(|f| TaskInput {
                name: f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                resources: Some(vec![f.to_string_lossy().into_owned()]),
                ..TaskInput::default()
            })
            .collect())
    }

    /// Parse the SDK's create_tasks list (JSON array).
    pub fn list_from_json(text: &str) -> Result<Vec<TaskInput>> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            Error::from(Invalid::TasksFileShape {
                at: e.path().to_string(),
                detail: e.into_inner().to_string(),
            })
        })
    }
}

fn has_data(d: &Option<Value>) -> bool {
    match d {
        None | Some(Value::Null) => false,
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// Check every task's data against the project's schema (or the Kili schema).
pub fn validate_tasks(
    tasks: &[TaskInput],
    cfg: &ProjectConfiguration,
    compat: Compatibility,
) -> Result<()> {
    let checker = match compat {
        Compatibility::Kili => Checker::new(&kili_schema(), Checked::KiliData)?,
        Compatibility::Lab => Checker::new(&data_schema(cfg)?, Checked::Data)?,
    };
    for t in tasks.iter().filter(|t| has_data(&t.data)) {
        checker.check(&t.name, t.data.as_ref().unwrap_or(&Value::Null))?;
    }
    if compat == Compatibility::Lab && cfg.is_form() {
        let ow = Checker::new(&form_overwrite_schema(cfg)?, Checked::Overwrite)?;
        for t in &tasks.to_vec() {
            if let Some(o) = t
                .project_configuration_overwrite
                .as_ref()
                .filter(|o| !o.is_null())
            {
                ow.check(&t.name, o)?;
            }
        }
    }
    Ok(())
}

/// label id → (name, colour) over every available label of a configuration document.
fn label_map(doc: &Value) -> HashMap<String, (String, Option<String>)> {
    let mut m = HashMap::new();
    for (_, list) in doc["metadata"]["labelOptions"]["availableLabels"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for l in list.as_array().into_iter().flatten() {
            m.insert(
                value_str(&l["id"]),
                (
                    value_str(&l["name"]),
                    l["color"].as_str().map(str::to_string),
                ),
            );
        }
    }
    m
}

fn prepare_annotations(data: &mut Value, labels: &HashMap<String, (String, Option<String>)>) {
    let Some(anns) = data.get_mut("annotations").and_then(Value::as_array_mut) else {
        return;
    };
    for a in anns.iter_mut().filter_map(Value::as_object_mut) {
        let mut texts = Vec::new();
        let mut colors = Vec::new();
        for (_, list) in a
            .get("labels")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for l in list["labels"].as_array().into_iter().flatten() {
                if let Some((name, color)) = labels.get(&value_str(&l["id"])) {
                    texts.push(name.clone());
                    if let Some(c) = color {
                        colors.push(c.clone());
                    }
                }
            }
        }
        if !texts.is_empty() && !a.contains_key("text") {
            a.insert("text".into(), Value::String(texts.join(", ")));
        }
        if let Some(c) = colors.last()
            && !a.contains_key("color")
        {
            a.insert("color".into(), Value::String(c.clone()));
        }
    }
}

/// Give each annotation without `text`/`color` the names and last colour of its labels.
pub fn prepare_tasks(tasks: &mut [TaskInput], cfg: &ProjectConfiguration) {
    if cfg.is_iat() {
        let labels = label_map(&cfg.raw);
        for t in tasks.iter_mut() {
            if let Some(d) = t.data.as_mut() {
                prepare_annotations(d, &labels);
            }
        }
    } else if cfg.is_form() {
        let inputs: Vec<Value> = layout_inputs(&cfg.raw["metadata"]["inputsLayout"])
            .into_iter()
            .filter(is_iat_input)
            .collect();
        for input in inputs {
            let id = value_str(&input["id"]);
            let labels = label_map(&input["config"]);
            for t in tasks.iter_mut() {
                if let Some(v) = t.data.as_mut().and_then(|d| d.get_mut(&id)) {
                    prepare_annotations(v, &labels);
                }
            }
        }
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// Flat `[x0, y0, x1, y1, …]` from Kili points, normalised by the resolution if absolute.
fn kili_vertices(bp: &Value, resolution: Option<(f64, f64)>, task: &str) -> Result<Vec<f64>> {
    let (pts, scale) = if let Some(p) = bp.get("normalizedVertices") {
        (p, (1.0, 1.0))
    } else if let Some(p) = bp.get("vertices") {
        let (w, h) = resolution.ok_or_else(|| {
            Error::from(Invalid::VerticesWithoutResolution {
                task: task.to_string(),
            })
        })?;
        (p, (w, h))
    } else {
        return Err(Invalid::BoundingPolyWithoutVertices {
            task: task.to_string(),
        }
        .into());
    };
    Ok(pts
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| [num(&p["x"]) / scale.0, num(&p["y"]) / scale.1])
        .collect())
}

fn find_main_label(label_id: &str, cfg: &ProjectConfiguration) -> Option<Value> {
    let opts = &cfg.raw["metadata"]["labelOptions"];
    for list in opts["mainLists"].as_array().into_iter().flatten() {
        for key in list["keys"].as_array().into_iter().flatten() {
            for l in opts["availableLabels"][key.as_str().unwrap_or_default()]
                .as_array()
                .into_iter()
                .flatten()
            {
                if value_str(&l["id"]) == label_id {
                    let mut m = Map::new();
                    m.insert(
                        value_str(&list["name"]),
                        json!({"labels": [{"id": l["id"], "name": l["name"]}]}),
                    );
                    return Some(Value::Object(m));
                }
            }
        }
    }
    None
}

/// Convert Kili-format data (`OBJECT_DETECTION_JOB`) to lab annotations; absolute
/// `vertices` are normalised with the data's `resolution`.
pub fn kili_to_lab(tasks: Vec<TaskInput>, cfg: &ProjectConfiguration) -> Result<Vec<TaskInput>> {
    if cfg.is_form() {
        return Err(Invalid::KiliForForm.into());
    }
    if cfg.is_sequence() {
        return Err(Invalid::KiliForSequence.into());
    }
    let rectangle = cfg.project_type == "iat-rectangle";
    let mut out = Vec::with_capacity(tasks.len());
    for mut t in tasks {
        if let Some(data) = t.data.take().filter(|d| !d.is_null()) {
            let resolution = data.get("resolution").and_then(|r| {
                let w = r.get("width")?.as_f64()?;
                let h = r.get("height")?.as_f64()?;
                (w > 0.0 && h > 0.0).then_some((w, h))
            });
            let mut anns = Vec::new();
            for a in data["OBJECT_DETECTION_JOB"]["annotations"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let mut polygons = Vec::new();
                for bp in a["boundingPoly"].as_array().into_iter().flatten() {
                    let v = kili_vertices(bp, resolution, &t.name)?;
                    let geometry = if rectangle {
                        let xs = v.iter().step_by(2);
                        let ys = v.iter().skip(1).step_by(2);
                        let min = |i: &mut dyn Iterator<Item = &f64>| {
                            i.fold(f64::INFINITY, |a, b| a.min(*b))
                        };
                        let (minx, miny) = (min(&mut xs.clone()), min(&mut ys.clone()));
                        let maxx = xs.fold(f64::NEG_INFINITY, |a, b| a.max(*b));
                        let maxy = ys.fold(f64::NEG_INFINITY, |a, b| a.max(*b));
                        json!({"vertices": [minx, miny, maxx, maxy], "type": "rectangle"})
                    } else {
                        json!({"vertices": v, "type": "polygon"})
                    };
                    polygons.push(json!({ "geometry": geometry }));
                }
                let mut labels = json!({});
                if let Some(id) = a["categories"][0]["name"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                {
                    labels = find_main_label(id, cfg).ok_or_else(|| {
                        Error::from(Invalid::NoSuchLabel {
                            task: t.name.clone(),
                            label: id.to_string(),
                        })
                    })?;
                }
                if a.get("children")
                    .is_some_and(|c| c.as_object().is_some_and(|o| !o.is_empty()))
                {
                    tracing::warn!("Kili \"children\" are not converted (task {})", t.name);
                }
                anns.push(json!({ "polygons": polygons, "labels": labels }));
            }
            t.data = Some(json!({ "annotations": anns }));
        }
        out.push(t);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect_cfg() -> ProjectConfiguration {
        ProjectConfiguration::from_value(json!({"projectType": "iat-rectangle", "metadata": {
            "labelOptions": {
                "mainLists": [{"name": "animals", "keys": ["k"]}],
                "availableLabels": {"k": [
                    {"id": "cat", "name": "Cat", "color": "#f00"},
                    {"id": "dog", "name": "Dog", "color": "#0f0"}
                ]}
            }
        }}))
        .unwrap()
    }

    #[test]
    fn files_and_folders_make_tasks_skipping_hidden() {
        const PNG_HEAD: &[u8] = b"\x89PNG\r\n\x1a\n....";
        const JPG_HEAD: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.png"), PNG_HEAD).unwrap();
        std::fs::write(dir.path().join("a.JPG"), JPG_HEAD).unwrap();
        std::fs::write(dir.path().join(".hidden.png"), b"x").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/c.jpeg"), JPG_HEAD).unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/d.png"), b"x").unwrap();
        let tasks = TaskInput::from_files(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a.JPG", "b.png", "c.jpeg"]);
        assert!(tasks[2].resources.as_ref().unwrap()[0].ends_with("sub/c.jpeg"));
        let empty = tempfile::tempdir().unwrap();
        assert!(TaskInput::from_files(&[empty.path().to_path_buf()]).is_err());
        // an image name over text content, or an explicit non-image, refuses the whole list
        std::fs::write(dir.path().join("sub/fake.png"), b"text").unwrap();
        let e = TaskInput::from_files(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(e.to_string().contains("not an image"), "{e}");
        let e = TaskInput::from_files(&[dir.path().join("notes.txt")]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Validation);
    }

    #[test]
    fn sdk_task_list_parses_and_names_bad_path() {
        let t = TaskInput::list_from_json(
            r#"[{"name":"a","resources":["https://x/a.jpg"],"data":{"annotations":[]},"properties":{"score":1}}]"#,
        )
        .unwrap();
        assert_eq!(t[0].name, "a");
        let e = TaskInput::list_from_json(r#"[{"name":"a"},{"name":5}]"#).unwrap_err();
        assert!(e.to_string().contains("[1].name"), "{e}");
    }

    #[test]
    fn prepare_sets_text_and_last_colour() {
        let mut t = vec![TaskInput {
            name: "a".into(),
            data: Some(json!({"annotations": [
                {"labels": {"animals": {"labels": [{"id": "cat", "name": "Cat"}, {"id": "dog", "name": "Dog"}]}}, "polygons": []},
                {"labels": {"animals": {"labels": [{"id": "cat", "name": "Cat"}]}}, "polygons": [], "text": "keep"}
            ]})),
            ..TaskInput::default()
        }];
        prepare_tasks(&mut t, &rect_cfg());
        let a = &t[0].data.as_ref().unwrap()["annotations"];
        assert_eq!(a[0]["text"], "Cat, Dog");
        assert_eq!(a[0]["color"], "#0f0");
        assert_eq!(a[1]["text"], "keep");
        assert_eq!(a[1]["color"], "#f00");
    }

    #[test]
    fn kili_absolute_vertices_use_resolution() {
        let t = vec![TaskInput {
            name: "k".into(),
            data: Some(json!({"resolution": {"width": 200, "height": 100},
                "OBJECT_DETECTION_JOB": {"annotations": [{"categories": [{"name": "dog"}],
                  "boundingPoly": [{"vertices": [{"x": 20, "y": 10}, {"x": 100, "y": 10}, {"x": 100, "y": 50}, {"x": 20, "y": 50}]}]}]}})),
            ..TaskInput::default()
        }];
        let cfg = rect_cfg();
        validate_tasks(&t, &cfg, Compatibility::Kili).unwrap();
        let out = kili_to_lab(t, &cfg).unwrap();
        let data = out[0].data.as_ref().unwrap();
        assert_eq!(
            data["annotations"][0]["polygons"][0]["geometry"],
            json!({"vertices": [0.1, 0.1, 0.5, 0.5], "type": "rectangle"})
        );
        assert_eq!(
            data["annotations"][0]["labels"],
            json!({"animals": {"labels": [{"id": "dog", "name": "Dog"}]}})
        );
        validate_tasks(&out, &cfg, Compatibility::Lab).unwrap();
        let no_res = vec![TaskInput {
            name: "k".into(),
            data: Some(
                json!({"OBJECT_DETECTION_JOB": {"annotations": [{"boundingPoly": [{"vertices": [{"x": 1, "y": 1}]}]}]}}),
            ),
            ..TaskInput::default()
        }];
        assert!(
            kili_to_lab(no_res, &cfg)
                .unwrap_err()
                .to_string()
                .contains("resolution")
        );
    }

    #[test]
    fn local_file_detection() {
        assert!(is_local_file("./a.jpg"));
        assert!(!is_local_file("HTTPS://x/a.jpg"));
        assert!(!is_local_file("resource://ds/a.jpg"));
    }
}
