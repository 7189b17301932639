//! Export formats, their options, and which projects each format accepts.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// What the option parsers and [`ExportFormat::from_str`] return.
type Result<T, E = BadOption> = std::result::Result<T, E>;

/// A format option that cannot be used (the command line's `--option key=value`, the SDK's
/// options dict).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BadOption {
    #[error("unknown format \"{0}\": use lab, kili, yolo, mask, coco or yolo-dataset")]
    UnknownFormat(String),
    #[error("options must be a JSON object")]
    NotObject,
    #[error("\"{pair}\" is not key=value (known options: {known})")]
    NotKeyValue { pair: String, known: &'static str },
    #[error("unknown option \"{name}\" (known options: {known})")]
    Unknown { name: String, known: &'static str },
    #[error("seed must be a whole number from 0 to {}, not {value}", u64::MAX)]
    Seed { value: String },
    #[error("semantic_mapping must be a JSON object like {{\"label_id\": [255, 0, 0]}}")]
    MappingNotObject,
    #[error("semantic_mapping[\"{label}\"] must be [r, g, b] with values 0 to 255")]
    MappingColour { label: String },
    #[error("{name} must be true or false, not \"{value}\"")]
    NotBool { name: String, value: String },
    #[error("{name} must be true or false")]
    NotBoolValue { name: String },
    #[error("split {0}: give the train, val and optional test shares, like 0.8,0.2 or 70,20,10")]
    Split(SplitProblem),
}

/// What is wrong with a `split` option.
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SplitProblem {
    #[error("must hold numbers")]
    NotNumbers,
    #[error("must be a list of numbers")]
    NotList,
    #[error("needs two or three shares")]
    ShareCount,
    #[error("cannot hold negative numbers")]
    Negative,
    #[error("needs a train share above 0")]
    NoTrain,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    #[default]
    Lab,
    Kili,
    Yolo,
    Mask,
    /// COCO instances JSON (not an SDK format), optionally with the images in a zip beside it.
    Coco,
    /// A YOLO dataset with the images, split into train/val[/test] (not an SDK format).
    YoloDataset,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 6] = [
        ExportFormat::Lab,
        ExportFormat::Kili,
        ExportFormat::Yolo,
        ExportFormat::Mask,
        ExportFormat::Coco,
        ExportFormat::YoloDataset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Lab => "lab",
            ExportFormat::Kili => "kili",
            ExportFormat::Yolo => "yolo",
            ExportFormat::Mask => "mask",
            ExportFormat::Coco => "coco",
            ExportFormat::YoloDataset => "yolo-dataset",
        }
    }

    /// The version of the written format recorded in the manifest: the SDK formats are the
    /// SDK's (isahitlab 0.17.0, byte for byte); ours have their own layout version.
    pub fn format_version(self) -> &'static str {
        match self {
            ExportFormat::Lab | ExportFormat::Kili | ExportFormat::Yolo | ExportFormat::Mask => {
                "isahitlab-0.17.0"
            }
            ExportFormat::Coco => "coco-instances-1.0",
            ExportFormat::YoloDataset => "ultralytics-yolo-1",
        }
    }

    /// Whether the format is byte-identical to the SDK's export of the same name.
    pub fn is_sdk_format(self) -> bool {
        matches!(
            self,
            ExportFormat::Lab | ExportFormat::Kili | ExportFormat::Yolo | ExportFormat::Mask
        )
    }

    /// Whether the export downloads the tasks' images (always, or when asked).
    pub fn fetches_images(self, options: &ExportOptions) -> bool {
        match self {
            ExportFormat::YoloDataset => true,
            ExportFormat::Coco => options.images,
            _ => false,
        }
    }

    /// The extension an explicit output file name must have (the mask export is a folder).
    pub fn required_extension(self) -> Option<&'static str> {
        match self {
            ExportFormat::Lab | ExportFormat::Kili | ExportFormat::Coco => Some(".json"),
            ExportFormat::Yolo | ExportFormat::YoloDataset => Some(".zip"),
            ExportFormat::Mask => None,
        }
    }

    /// Image tools (without the `iat-`/`tool-iat-` prefix) the format can read.
    fn compatible_tools(self) -> Option<&'static [&'static str]> {
        match self {
            ExportFormat::Lab => None,
            ExportFormat::Kili | ExportFormat::Yolo | ExportFormat::YoloDataset => {
                Some(&["rectangle", "polygon", "polyline", "graph", "segmentation"])
            }
            // COCO instances are areas: lines and keypoint graphs have none.
            ExportFormat::Coco => Some(&["rectangle", "polygon", "segmentation"]),
            ExportFormat::Mask => Some(&["segmentation"]),
        }
    }

    fn refuses_sequences(self) -> bool {
        matches!(
            self,
            ExportFormat::Yolo
                | ExportFormat::Mask
                | ExportFormat::Coco
                | ExportFormat::YoloDataset
        )
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = BadOption;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lab" => Ok(ExportFormat::Lab),
            "kili" => Ok(ExportFormat::Kili),
            "yolo" => Ok(ExportFormat::Yolo),
            "mask" => Ok(ExportFormat::Mask),
            "coco" => Ok(ExportFormat::Coco),
            "yolo-dataset" | "yolo_dataset" => Ok(ExportFormat::YoloDataset),
            other => Err(BadOption::UnknownFormat(other.to_string())),
        }
    }
}

/// Format options (the SDK's `options` dict).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ExportOptions {
    /// Form projects: the image tool input to export (needed when the form has several).
    #[serde(default)]
    pub input_id: Option<String>,
    /// Mask: drop the task name's extension (`a.jpg` → `a.png` instead of `a.jpg.png`).
    #[serde(default)]
    pub replace_extension: bool,
    /// Mask: label id → RGB colour, applied in order to the pixels of each label's bChannel.
    #[serde(default)]
    pub semantic_mapping: Option<Vec<(String, [u8; 3])>>,
    /// COCO: also write the images, in a zip beside the JSON (`{name}_images.zip`).
    #[serde(default)]
    pub images: bool,
    /// YOLO dataset: the train, val and optional test shares (any positive scale: 8,2 = 0.8,0.2).
    /// Default 0.8 / 0.2.
    #[serde(default)]
    pub split: Option<Vec<f64>>,
    /// YOLO dataset: the split's seed. The same seed puts a task in the same split every time.
    #[serde(default)]
    pub seed: u64,
}

const KNOWN_OPTIONS: &str = "input_id, replace_extension, semantic_mapping, images, split, seed";

impl ExportOptions {
    /// Reads options from a JSON object like the SDK's options dict:
    /// `{"input_id": "img", "replace_extension": true, "semantic_mapping": {"cat": [255, 0, 0]}}`.
    pub fn from_json(v: &Value) -> Result<Self> {
        let Some(obj) = v.as_object() else {
            if v.is_null() {
                return Ok(Self::default());
            }
            return Err(BadOption::NotObject);
        };
        let mut o = Self::default();
        for (k, v) in obj {
            o.set(k, v.clone())?;
        }
        Ok(o)
    }

    /// Reads `key=value` pairs (command line `--option`); values are JSON when they parse as
    /// JSON, plain strings otherwise.
    pub fn from_pairs<S: AsRef<str>>(pairs: &[S]) -> Result<Self> {
        let mut o = Self::default();
        for pair in pairs {
            let pair = pair.as_ref();
            let (k, v) = pair.split_once('=').ok_or_else(|| BadOption::NotKeyValue {
                pair: pair.to_string(),
                known: KNOWN_OPTIONS,
            })?;
            let value =
                serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.to_string()));
            o.set(k.trim(), value)?;
        }
        Ok(o)
    }

    fn set(&mut self, key: &str, value: Value) -> Result<()> {
        match key {
            "input_id" => {
                self.input_id = match value {
                    Value::Null => None,
                    Value::String(s) => Some(s),
                    other => Some(other.to_string()),
                }
            }
            "replace_extension" => self.replace_extension = parse_bool(key, &value)?,
            "images" => self.images = parse_bool(key, &value)?,
            "split" => self.split = parse_split(&value)?,
            "seed" => {
                self.seed = match &value {
                    Value::Null => Some(0),
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                }
                .ok_or_else(|| BadOption::Seed {
                    value: value.to_string(),
                })?
            }
            "semantic_mapping" => {
                self.semantic_mapping = match value {
                    Value::Null => None,
                    Value::Object(m) => Some(parse_mapping(&m)?),
                    _ => {
                        return Err(BadOption::MappingNotObject);
                    }
                }
            }
            other => {
                return Err(BadOption::Unknown {
                    name: other.to_string(),
                    known: KNOWN_OPTIONS,
                });
            }
        }
        Ok(())
    }
}

fn parse_bool(key: &str, value: &Value) -> Result<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        Value::Number(n) => Ok(n.as_f64() != Some(0.0)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(true),
            "false" | "no" | "0" | "off" | "" => Ok(false),
            _ => Err(BadOption::NotBool {
                name: key.to_string(),
                value: s.clone(),
            }),
        },
        _ => Err(BadOption::NotBoolValue {
            name: key.to_string(),
        }),
    }
}

/// `[0.8, 0.2]`, `"0.8,0.2"`, `"70/20/10"`: two or three shares (train, val, test), none
/// negative, not all zero.
fn parse_split(value: &Value) -> Result<Option<Vec<f64>>> {
    let bad = |why: SplitProblem| BadOption::Split(why);
    let shares: Vec<f64> = match value {
        Value::Null => return Ok(None),
        Value::Array(a) => a
            .iter()
            .map(|v| v.as_f64().ok_or_else(|| bad(SplitProblem::NotNumbers)))
            .collect::<Result<_>>()?,
        Value::String(s) => s
            .split([',', '/', ':', ' '])
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .map_err(|_| bad(SplitProblem::NotNumbers))
            })
            .collect::<Result<_>>()?,
        Value::Number(n) => vec![n.as_f64().unwrap_or(f64::NAN)],
        _ => return Err(bad(SplitProblem::NotList)),
    };
    if !(2..=3).contains(&shares.len()) {
        return Err(bad(SplitProblem::ShareCount));
    }
    if shares.iter().any(|s| !s.is_finite() || *s < 0.0) {
        return Err(bad(SplitProblem::Negative));
    }
    if shares[0] <= 0.0 || shares.iter().sum::<f64>() <= 0.0 {
        return Err(bad(SplitProblem::NoTrain));
    }
    Ok(Some(shares))
}

fn parse_mapping(m: &Map<String, Value>) -> Result<Vec<(String, [u8; 3])>> {
    m.iter()
        .map(|(label, rgb)| {
            let bad = || BadOption::MappingColour {
                label: label.clone(),
            };
            let arr = rgb.as_array().ok_or_else(bad)?;
            if arr.len() != 3 {
                return Err(bad());
            }
            let mut out = [0u8; 3];
            for (o, v) in out.iter_mut().zip(arr) {
                *o = v
                    .as_u64()
                    .and_then(|x| u8::try_from(x).ok())
                    .ok_or_else(bad)?;
            }
            Ok((label.clone(), out))
        })
        .collect()
}

/// What a format works on once the project is resolved: the image tool, the configuration
/// holding its labels, and for forms the input whose value is the task body.
#[derive(Clone, Debug)]
pub struct Target {
    /// The SDK's type: `iat-rectangle`… or `tool-iat-rectangle`… for a form input; `None` for
    /// the lab format, which reads any project.
    pub tool_type: Option<String>,
    pub input_id: Option<String>,
    /// The project configuration, or the form input's `config`.
    pub config: Value,
    pub sequence: bool,
}

impl Target {
    /// The tool without prefix: `rectangle`, `polygon`, `segmentation`…
    pub fn tool(&self) -> Option<&str> {
        let t = self.tool_type.as_deref()?;
        Some(
            t.strip_prefix("tool-iat-")
                .or_else(|| t.strip_prefix("iat-"))
                .unwrap_or(t),
        )
    }

    pub fn is_segmentation(&self) -> bool {
        self.tool() == Some("segmentation")
    }
}

/// The inputs of a form layout (`metadata.inputsLayout`: rows → columns → inputs), in order.
pub fn layout_inputs(config: &Value) -> impl Iterator<Item = &Value> {
    config
        .pointer("/metadata/inputsLayout")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
}

fn input_type(input: &Value) -> &str {
    input.get("type").and_then(Value::as_str).unwrap_or("")
}

fn is_sequence(config: &Value) -> bool {
    config
        .pointer("/metadata/toolOptions/sequence")
        .is_some_and(|v| match v {
            Value::Bool(b) => *b,
            Value::Null => false,
            _ => true,
        })
}

const IAT_INPUT_TYPES: [&str; 5] = [
    "tool-iat-rectangle",
    "tool-iat-polygon",
    "tool-iat-polyline",
    "tool-iat-graph",
    "tool-iat-segmentation",
];

/// Why a format does not fit a project: typed, so that the window says it in the user's words
/// (project types by their names); [`Misfit::sentence`] is the English `lab` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Misfit {
    /// An image project of a tool the format does not write.
    #[serde(rename_all = "camelCase")]
    ProjectType {
        /// The project's type (`iat-…`).
        project_type: String,
        /// The project types the format writes (`iat-…`).
        supported: Vec<String>,
    },
    /// Neither an image annotation project nor a form.
    #[serde(rename_all = "camelCase")]
    NotImage {
        /// The project's type.
        project_type: String,
        /// The project types the format writes.
        supported: Vec<String>,
    },
    /// The form input chosen is not an image tool the format writes.
    #[serde(rename_all = "camelCase")]
    InputNotSupported {
        /// The input chosen.
        input_id: String,
        /// The project types the format writes.
        supported: Vec<String>,
    },
    /// The form has no image tool input.
    #[serde(rename_all = "camelCase")]
    NoImageInput {
        /// The project types the format writes.
        supported: Vec<String>,
    },
    /// The form's image input is of a tool the format does not write.
    #[serde(rename_all = "camelCase")]
    FormInput {
        /// The input's type (`tool-iat-…`).
        input_type: String,
        /// The project types the format writes.
        supported: Vec<String>,
    },
    /// The form has several image inputs: one must be chosen.
    #[serde(rename_all = "camelCase")]
    SeveralInputs {
        /// Their ids.
        ids: Vec<String>,
    },
    /// Sequences (video-like projects).
    Sequences,
}

impl Misfit {
    /// The English sentence (what `lab` prints).
    pub fn sentence(&self, format: ExportFormat) -> String {
        let list = |v: &[String]| v.join(", ");
        match self {
            Misfit::ProjectType {
                project_type,
                supported,
            } => format!(
                "the {format} export does not support {project_type} projects (it supports {})",
                list(supported)
            ),
            Misfit::NotImage {
                project_type,
                supported,
            } => format!(
                "the {format} export needs an image annotation project ({}); this project is \"{project_type}\"",
                list(supported)
            ),
            Misfit::InputNotSupported {
                input_id,
                supported,
            } => format!(
                "input_id \"{input_id}\" is not an image tool input the {format} export supports ({})",
                list(supported)
            ),
            Misfit::NoImageInput { supported } => format!(
                "this form has no image tool input: the {format} export needs one ({})",
                list(supported)
            ),
            Misfit::FormInput {
                input_type,
                supported,
            } => format!(
                "the {format} export does not support the form's {input_type} input (it supports {})",
                list(supported)
            ),
            Misfit::SeveralInputs { ids } => format!(
                "this form has {} image tool inputs ({}): choose one with the input_id option",
                ids.len(),
                ids.join(", ")
            ),
            Misfit::Sequences => format!(
                "the {format} export does not support sequences (video-like projects): use the lab or kili format"
            ),
        }
    }
}

pub(crate) fn fit(
    format: ExportFormat,
    config: &Value,
    options: &ExportOptions,
) -> std::result::Result<Target, Misfit> {
    let project_type = config
        .get("projectType")
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(tools) = format.compatible_tools() else {
        return Ok(Target {
            tool_type: None,
            input_id: None,
            config: config.clone(),
            sequence: is_sequence(config),
        });
    };
    let supported = supported_list(tools);
    let target = if let Some(tool) = project_type.strip_prefix("iat-") {
        if !tools.contains(&tool) {
            return Err(Misfit::ProjectType {
                project_type: project_type.to_string(),
                supported,
            });
        }
        Target {
            tool_type: Some(project_type.to_string()),
            input_id: None,
            config: config.clone(),
            sequence: is_sequence(config),
        }
    } else if project_type == "form" {
        let input = if let Some(id) = options.input_id.as_deref() {
            let found =
                layout_inputs(config).find(|i| i.get("id").and_then(Value::as_str) == Some(id));
            match found {
                Some(i)
                    if input_type(i)
                        .strip_prefix("tool-iat-")
                        .is_some_and(|t| tools.contains(&t)) =>
                {
                    i
                }
                _ => {
                    return Err(Misfit::InputNotSupported {
                        input_id: id.to_string(),
                        supported,
                    });
                }
            }
        } else {
            // Like the SDK: any image tool input counts, the only one is taken.
            let candidates: Vec<&Value> = layout_inputs(config)
                .filter(|i| IAT_INPUT_TYPES.contains(&input_type(i)))
                .collect();
            match candidates.as_slice() {
                [] => {
                    return Err(Misfit::NoImageInput { supported });
                }
                [one] => {
                    let t = input_type(one).trim_start_matches("tool-iat-");
                    if !tools.contains(&t) {
                        return Err(Misfit::FormInput {
                            input_type: input_type(one).to_string(),
                            supported,
                        });
                    }
                    *one
                }
                many => {
                    let ids: Vec<&str> = many
                        .iter()
                        .filter_map(|i| i.get("id").and_then(Value::as_str))
                        .collect();
                    return Err(Misfit::SeveralInputs {
                        ids: ids.into_iter().map(str::to_string).collect(),
                    });
                }
            }
        };
        let cfg = input.get("config").cloned().unwrap_or(Value::Null);
        Target {
            tool_type: Some(input_type(input).to_string()),
            input_id: input.get("id").and_then(Value::as_str).map(str::to_string),
            sequence: is_sequence(&cfg),
            config: cfg,
        }
    } else {
        return Err(Misfit::NotImage {
            project_type: project_type.to_string(),
            supported,
        });
    };
    if format.refuses_sequences() && target.sequence {
        return Err(Misfit::Sequences);
    }
    Ok(target)
}

fn supported_list(tools: &[&str]) -> Vec<String> {
    tools.iter().map(|t| format!("iat-{t}")).collect()
}

/// For the UI: every format with `Ok` or the reason it does not fit this project.
pub fn supported_formats(
    project_type: &str,
    config: &Value,
) -> Vec<(ExportFormat, std::result::Result<(), Misfit>)> {
    let mut cfg = config.clone();
    if let Some(obj) = cfg.as_object_mut() {
        obj.entry("projectType")
            .or_insert_with(|| Value::String(project_type.to_string()));
    }
    ExportFormat::ALL
        .into_iter()
        .map(|f| {
            let r = fit(f, &cfg, &ExportOptions::default()).map(|_| ());
            (f, r)
        })
        .collect()
}

// ---- labels (from the configuration a target works on) ----

/// Label ids of the main lists, in order (YOLO class indexes).
pub fn main_list_label_ids(config: &Value) -> Vec<String> {
    main_list_labels(config).into_iter().map(|l| l.id).collect()
}

/// The labels of the main lists in order, with their names (the id when a label has no name)
/// and their list's name: COCO categories, YOLO dataset class names.
pub fn main_list_labels(config: &Value) -> Vec<MainLabel> {
    let mut out = Vec::new();
    let lists = config
        .pointer("/metadata/labelOptions/mainLists")
        .and_then(Value::as_array);
    let available = config.pointer("/metadata/labelOptions/availableLabels");
    for list in lists.into_iter().flatten() {
        let list_name = list.get("name").and_then(Value::as_str).unwrap_or("");
        for key in list
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let labels = available.and_then(|a| a.get(key)).and_then(Value::as_array);
            for label in labels.into_iter().flatten() {
                let Some(id) = label.get("id") else { continue };
                let id = match id {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let name = label
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| !n.trim().is_empty())
                    .map_or_else(|| id.clone(), str::to_string);
                out.push(MainLabel {
                    id,
                    name,
                    list: list_name.to_string(),
                });
            }
        }
    }
    out
}

/// One label of a main list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MainLabel {
    pub id: String,
    pub name: String,
    /// The main list's name.
    pub list: String,
}

/// Label id → bChannel over all available labels (later lists win, like a dict update).
pub fn b_channels(config: &Value) -> std::collections::HashMap<String, i64> {
    let mut out = std::collections::HashMap::new();
    if let Some(avail) = config
        .pointer("/metadata/labelOptions/availableLabels")
        .and_then(Value::as_object)
    {
        for labels in avail.values().filter_map(Value::as_array) {
            for label in labels {
                if let Some(id) = label.get("id").and_then(Value::as_str) {
                    let b = label.get("bChannel").and_then(Value::as_i64).unwrap_or(0);
                    out.insert(id.to_string(), b);
                }
            }
        }
    }
    out
}

pub use lab_client::kili::main_labels;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::resolve_target;
    use serde_json::json;

    fn form(inputs: Value) -> Value {
        json!({"projectType": "form", "metadata": {"inputsLayout": [[inputs]]}})
    }

    #[test]
    fn formats_refuse_unfit_projects_with_reasons() {
        let seg = json!({"projectType": "iat-segmentation", "metadata": {}});
        let rect_seq = json!({"projectType": "iat-rectangle", "metadata": {"toolOptions": {"sequence": true}}});
        let f = supported_formats("iat-segmentation", &seg);
        assert!(f.iter().all(|(_, r)| r.is_ok()));
        let f = supported_formats("iat-rectangle", &rect_seq);
        let get = |f: &[(ExportFormat, std::result::Result<(), Misfit>)], x| {
            f.iter()
                .find(|(k, _)| *k == x)
                .unwrap()
                .1
                .clone()
                .map_err(|m| m.sentence(x))
        };
        assert!(get(&f, ExportFormat::Lab).is_ok());
        assert!(get(&f, ExportFormat::Kili).is_ok());
        assert!(
            get(&f, ExportFormat::Yolo)
                .unwrap_err()
                .contains("sequences")
        );
        assert!(get(&f, ExportFormat::Mask).is_err());
        let f = supported_formats("form", &form(json!([{"id": "t", "type": "text"}])));
        assert!(get(&f, ExportFormat::Lab).is_ok());
        assert!(
            get(&f, ExportFormat::Kili)
                .unwrap_err()
                .contains("no image tool input")
        );
    }

    #[test]
    fn form_input_is_found_or_must_be_chosen() {
        let one = form(json!([
            {"id": "t", "type": "text"},
            {"id": "img", "type": "tool-iat-polygon", "config": {"metadata": {"labelOptions": {}}}}
        ]));
        let t = resolve_target(ExportFormat::Yolo, &one, &ExportOptions::default()).unwrap();
        assert_eq!(t.input_id.as_deref(), Some("img"));
        assert_eq!(t.tool(), Some("polygon"));
        assert!(resolve_target(ExportFormat::Mask, &one, &ExportOptions::default()).is_err());

        let two = form(json!([
            {"id": "a", "type": "tool-iat-polygon", "config": {}},
            {"id": "b", "type": "tool-iat-segmentation", "config": {}}
        ]));
        let e = resolve_target(ExportFormat::Kili, &two, &ExportOptions::default()).unwrap_err();
        assert!(e.to_string().contains("input_id"), "{e}");
        let opts = ExportOptions {
            input_id: Some("b".into()),
            ..Default::default()
        };
        let t = resolve_target(ExportFormat::Mask, &two, &opts).unwrap();
        assert_eq!(t.tool_type.as_deref(), Some("tool-iat-segmentation"));
        let opts = ExportOptions {
            input_id: Some("zz".into()),
            ..Default::default()
        };
        assert!(resolve_target(ExportFormat::Kili, &two, &opts).is_err());
    }

    #[test]
    fn options_parse_from_pairs_and_json() {
        let o = ExportOptions::from_pairs(&[
            "replace_extension=true",
            "input_id=img",
            r#"semantic_mapping={"cat": [255, 0, 0], "dog": [0, 0, 255]}"#,
        ])
        .unwrap();
        assert!(o.replace_extension);
        assert_eq!(o.input_id.as_deref(), Some("img"));
        assert_eq!(
            o.semantic_mapping.unwrap(),
            vec![("cat".into(), [255, 0, 0]), ("dog".into(), [0, 0, 255])]
        );
        assert!(ExportOptions::from_pairs(&["colour=1"]).is_err());
        assert!(ExportOptions::from_pairs(&["replace_extension"]).is_err());
        assert!(ExportOptions::from_pairs(&[r#"semantic_mapping={"a": [256, 0, 0]}"#]).is_err());
        let o = ExportOptions::from_pairs(&["split=70/20/10", "seed=12", "images=yes"]).unwrap();
        assert_eq!(o.split, Some(vec![70.0, 20.0, 10.0]));
        assert_eq!((o.seed, o.images), (12, true));
        let o = ExportOptions::from_json(&json!({"split": [0.9, 0.1]})).unwrap();
        assert_eq!(o.split, Some(vec![0.9, 0.1]));
        for bad in [
            "split=1",
            "split=0,1",
            "split=1,-1",
            "split=a,b",
            "split=1,1,1,1",
            "seed=-1",
            "images=maybe",
        ] {
            let e = ExportOptions::from_pairs(&[bad]).unwrap_err().to_string();
            assert!(
                e.contains("split") || e.contains("seed") || e.contains("images"),
                "{bad}: {e}"
            );
        }
        let j = ExportOptions::from_json(&json!({"replace_extension": false})).unwrap();
        assert_eq!(j, ExportOptions::default());
    }

    #[test]
    fn labels_of_main_lists_in_order() {
        let cfg = json!({"metadata": {"labelOptions": {
            "mainLists": [{"name": "m", "keys": ["b", "a"]}],
            "availableLabels": {"a": [{"id": "x", "bChannel": 3}], "b": [{"id": "y", "bChannel": 4}], "c": [{"id": "z", "bChannel": 5}]}
        }}});
        assert_eq!(main_list_label_ids(&cfg), ["y", "x"]);
        let b = b_channels(&cfg);
        assert_eq!(b["z"], 5);
        assert_eq!(b["x"], 3);
        assert_eq!(
            main_labels(Some(
                &json!({"l1": {"labels": [{"id": "a"}, {"id": "b"}]}, "l2": {"labels": [{"id": "c"}]}})
            )),
            vec![json!("a"), json!("b"), json!("c")]
        );
    }
}
