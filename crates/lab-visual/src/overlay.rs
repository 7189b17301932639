//! What a task's annotations look like, ready to draw: one [`Overlay`] per image tool.
//!
//! [`overlays`] reads a raw task document (as the API returns it, with `data` and `data.mask`)
//! and its project configuration. Every coordinate it gives is normalised to 0..1 of the image,
//! so an overlay fits the image at any size: the UI draws it in an SVG whose viewBox is
//! `0 0 1 1` stretched over the image, [`draw`](crate::draw::draw) in pixels.
//!
//! Where the annotations are read (the SDK's lab view, data winning over initial data):
//! a key of `data.body` unless it is missing or null, else the same key of
//! `data.metadata.body`; for a form's tool input, of `data.body[inputId]` and
//! `data.metadata.body[inputId]`.
//!
//! - Labels: an annotation's label is its first main label (as the YOLO and COCO exports
//!   take it). A label's colour is the configuration's (`availableLabels[list][].color`, so the
//!   legend and the shapes agree); a label the configuration lacks takes the annotation's own
//!   `color`, else a colour derived from its id (the same every time). An annotation without
//!   a label is kept, under the label id `""` (grey), with a [`OverlayWarning::NoLabel`].
//! - Geometry: `polygons[].geometry` `{type, vertices: [x, y, x, y…], edges?}`; a rectangle is
//!   the box around its vertices (two corners). Segmentation annotations are drawn from
//!   `approximation.polygons`, whose vertices are in pixels (divided here by the image size,
//!   `image` or else the mask's); their holes are not drawn. The mask (`mask`: a PNG data URI,
//!   R,G = instance, B = the label's bChannel) becomes one transparent layer per label.
//! - Sequences (`toolOptions.sequence`): the frames are the task's resources (a form input's
//!   own `resources`), and each polygon says its frame in `timestamp`, counted from 1 (missing:
//!   1), exactly as the isahitlab SDK's Kili export reads it. Outside sequences every shape is on
//!   frame 0. Mask layers are on frame 0.
//!
//! Nothing here panics on junk: what cannot be read is left out with a typed
//! [`OverlayWarning`], and the rest is still shown.

use base64::Engine;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, RgbImage};
use lab_export::format::{
    ExportFormat, ExportOptions, Target, b_channels, main_labels, main_list_labels,
};
use lab_export::lab::normalize_form_task;
use lab_export::mask::decode_data_uri;
use lab_export::resolve_target;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The image tool an overlay comes from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Tool {
    Rectangle,
    Polygon,
    Polyline,
    Graph,
    Segmentation,
}

impl Tool {
    /// The tool of a project type or form input type (`iat-rectangle`, `tool-iat-graph`,
    /// `polygon`…).
    pub fn from_type(name: &str) -> Option<Tool> {
        let t = name
            .strip_prefix("tool-iat-")
            .or_else(|| name.strip_prefix("iat-"))
            .unwrap_or(name);
        Some(match t {
            "rectangle" => Tool::Rectangle,
            "polygon" => Tool::Polygon,
            "polyline" => Tool::Polyline,
            "graph" => Tool::Graph,
            "segmentation" => Tool::Segmentation,
            _ => return None,
        })
    }
}

/// An image size in pixels.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// One entry of an overlay's legend.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LegendLabel {
    /// The label id (`""`: annotations without a label).
    pub id: String,
    /// Its name (the id when it has none).
    pub name: String,
    /// `#rrggbb`, lower case.
    pub color: String,
    /// How many of the task's annotations have this label.
    pub count: u32,
}

/// Where a shape is, normalised to 0..1 of the image (x rightwards, y downwards).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Geometry {
    /// An axis-aligned box: `x0 <= x1`, `y0 <= y1`.
    Rectangle { x0: f64, y0: f64, x1: f64, y1: f64 },
    /// A closed outline.
    Polygon { points: Vec<[f64; 2]> },
    /// An open line.
    Polyline { points: Vec<[f64; 2]> },
    /// Keypoints and the edges between them (indexes into `points`).
    Graph {
        points: Vec<[f64; 2]>,
        edges: Vec<[u32; 2]>,
    },
}

/// One drawable shape (an annotation has one per polygon).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Shape {
    /// The annotation's label (`""` when it has none).
    pub label_id: String,
    /// The label's name.
    pub name: String,
    /// `#rrggbb`: the label's colour in the legend.
    pub color: String,
    /// The frame of a sequence it is on (0 outside sequences).
    pub frame: u32,
    /// The annotation's `uid`.
    pub uid: Option<String>,
    pub geometry: Geometry,
}

/// One label's pixels of a segmentation mask.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MaskLayer {
    pub label_id: String,
    /// The frame it is on (always 0: a task has one mask).
    pub frame: u32,
    /// `data:image/png;base64,…`: an RGBA PNG the mask's size (the image's), the label's
    /// pixels in its colour at 50 % alpha, the others transparent. Empty when the layer was
    /// made for drawing in Rust ([`overlays_for_drawing`]): then `raster` holds it.
    pub png: String,
    /// The same layer as pixels, for drawing in Rust (thumbnails) without a PNG encode and
    /// decode per label; never sent to the window.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub raster: Option<std::sync::Arc<image::RgbaImage>>,
}

/// How mask layers are made: PNG data URIs for the window, or pixels drawn in Rust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MaskOut {
    Png,
    Raster,
}

/// What could not be read, and was left out or guessed. Typed, so that the window says it in
/// the user's words. `annotation` is the index in the task's annotations.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OverlayWarning {
    /// A label the configuration's main lists do not have (once per label): it is shown with
    /// the annotation's colour or a derived one.
    #[serde(rename_all = "camelCase")]
    UnknownLabel { label_id: String },
    /// An annotation without a label: shown in grey under the label id `""`.
    #[serde(rename_all = "camelCase")]
    NoLabel {
        annotation: u32,
        uid: Option<String>,
    },
    /// The annotations are not a list: none is shown.
    MalformedAnnotations,
    /// An annotation that is not an object, or whose polygons are not a list: left out.
    #[serde(rename_all = "camelCase")]
    MalformedAnnotation { annotation: u32 },
    /// A shape without vertices, or with a vertex that is not a finite number: left out.
    #[serde(rename_all = "camelCase")]
    BadVertices {
        annotation: u32,
        uid: Option<String>,
    },
    /// A shape with an odd number of coordinates: left out.
    #[serde(rename_all = "camelCase")]
    OddVertexCount {
        annotation: u32,
        uid: Option<String>,
        count: u32,
    },
    /// A shape with too few points for its type (a polygon under 3, a line under 2, a
    /// rectangle without area, a graph without points): left out.
    #[serde(rename_all = "camelCase")]
    ShapeTooSmall {
        annotation: u32,
        uid: Option<String>,
        points: u32,
    },
    /// A geometry type this tool does not know: left out.
    #[serde(rename_all = "camelCase")]
    UnknownGeometry {
        annotation: u32,
        uid: Option<String>,
        geometry_type: String,
    },
    /// A graph edge that is not two indexes of the graph's points: that edge is left out.
    #[serde(rename_all = "camelCase")]
    BadEdge {
        annotation: u32,
        uid: Option<String>,
        edge: u32,
    },
    /// A sequence polygon whose `timestamp` is not a frame number from 1: put on frame 0.
    #[serde(rename_all = "camelCase")]
    BadFrame {
        annotation: u32,
        uid: Option<String>,
    },
    /// A sequence polygon on a frame past the task's resources: kept, never on screen.
    #[serde(rename_all = "camelCase")]
    FrameOutOfRange {
        annotation: u32,
        uid: Option<String>,
        frame: u32,
        frames: u32,
    },
    /// A label colour that is not `#rgb`/`#rrggbb`: a derived colour is used.
    #[serde(rename_all = "camelCase")]
    InvalidColor { label_id: String, color: String },
    /// Neither the task nor its mask says the image size, which segmentation outlines (in
    /// pixels) need: they are left out.
    NoImageSize,
    /// The mask is not a readable PNG data URI: no mask layer.
    #[serde(rename_all = "camelCase")]
    MaskUnreadable { detail: String },
    /// The mask's size is not the stated image size: the layers are the mask's size,
    /// stretched over the image.
    #[serde(rename_all = "camelCase")]
    MaskSizeMismatch { mask: Size, image: Size },
    /// Mask pixels that match no annotation and no label's bChannel: not shown.
    #[serde(rename_all = "camelCase")]
    MaskUnmatched { pixels: u32 },
}

/// The annotations of one image tool of a task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Overlay {
    /// The form input (`None` for an image annotation project).
    pub input_id: Option<String>,
    /// The form input's title, when its configuration has one.
    pub title: Option<String>,
    pub tool: Tool,
    /// How many frames the tool's resources make (1 outside sequences).
    pub frames: u32,
    /// The image size the task states (or its mask's).
    pub image: Option<Size>,
    /// Every main-list label of the configuration in order, then labels met only in the
    /// annotations, in the order met.
    pub labels: Vec<LegendLabel>,
    pub shapes: Vec<Shape>,
    pub masks: Vec<MaskLayer>,
    pub warnings: Vec<OverlayWarning>,
}

/// Every image tool of a task.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaskOverlays {
    /// One per image tool: one for an `iat-*` project, one per image tool input of a form
    /// (none for any other project).
    pub tools: Vec<Overlay>,
    /// The most frames of any tool (1 outside sequences, 0 without tools).
    pub frames: u32,
}

/// The overlays of a raw task document of the project whose configuration is `config`.
pub fn overlays(task: &Value, config: &Value) -> TaskOverlays {
    overlays_as(task, config, MaskOut::Png)
}

/// [`overlays`] for drawing in Rust (thumbnails): mask layers as pixels
/// ([`MaskLayer::raster`]), not PNG data URIs.
pub fn overlays_for_drawing(task: &Value, config: &Value) -> TaskOverlays {
    overlays_as(task, config, MaskOut::Raster)
}

fn overlays_as(task: &Value, config: &Value, out: MaskOut) -> TaskOverlays {
    let project_type = config
        .get("projectType")
        .and_then(Value::as_str)
        .or_else(|| task.pointer("/data/projectType").and_then(Value::as_str))
        .unwrap_or("")
        .to_string();
    // resolve_target reads the type from the configuration.
    let mut cfg = match config {
        Value::Object(_) => config.clone(),
        _ => Value::Object(Map::new()),
    };
    if let Some(obj) = cfg.as_object_mut() {
        obj.insert("projectType".into(), Value::String(project_type.clone()));
    }
    let mut tools = Vec::new();
    if project_type.starts_with("iat-") {
        if let Some(target) = resolve(&cfg, None) {
            tools.extend(tool_overlay(task, &target, None, out));
        }
    } else if project_type == "form" {
        for input in lab_export::format::layout_inputs(&cfg) {
            let is_tool = input
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("tool-iat-"));
            let Some(id) = input.get("id").and_then(Value::as_str) else {
                continue;
            };
            if !is_tool {
                continue;
            }
            if let Some(target) = resolve(&cfg, Some(id)) {
                tools.extend(tool_overlay(task, &target, input_title(input), out));
            }
        }
    }
    let frames = tools.iter().map(|t| t.frames).max().unwrap_or(0);
    TaskOverlays { tools, frames }
}

/// The project (or form input) as the exports see it; the Kili format takes every tool and
/// sequences.
fn resolve(config: &Value, input_id: Option<&str>) -> Option<Target> {
    let options = ExportOptions {
        input_id: input_id.map(str::to_string),
        ..ExportOptions::default()
    };
    resolve_target(ExportFormat::Kili, config, &options).ok()
}

/// A form input's title: the first non-empty `title`, `label` or `name` of the input, its
/// `settings` or its `config`.
fn input_title(input: &Value) -> Option<String> {
    let places = [
        "/title",
        "/label",
        "/name",
        "/settings/title",
        "/settings/label",
        "/config/title",
        "/config/label",
        "/config/name",
    ];
    places
        .iter()
        .filter_map(|p| input.pointer(p).and_then(Value::as_str))
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_string)
}

/// A key of the body, else of the metadata body (null counts as missing).
struct Body<'a> {
    body: Option<&'a Value>,
    meta: Option<&'a Value>,
}

impl<'a> Body<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        let pick = |v: Option<&'a Value>| v.and_then(|b| b.get(key)).filter(|v| !v.is_null());
        pick(self.body).or_else(|| pick(self.meta))
    }
}

fn read_size(image: Option<&Value>) -> Option<Size> {
    let image = image?;
    let w = image.get("width")?.as_f64()?;
    let h = image.get("height")?.as_f64()?;
    (w >= 1.0 && h >= 1.0 && w < 1e6 && h < 1e6).then(|| Size {
        width: w.round() as u32,
        height: h.round() as u32,
    })
}

fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

const UNLABELLED_COLOR: [u8; 3] = [0x9e, 0x9e, 0x9e];
const MASK_ALPHA: u8 = 128;

/// `#rgb` or `#rrggbb` (any case, `#` optional) → RGB.
pub fn parse_color(s: &str) -> Option<[u8; 3]> {
    let hex = s.trim();
    let hex = hex.strip_prefix('#').unwrap_or(hex);
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(hex, 16).ok()?;
    match hex.len() {
        6 => Some([(v >> 16) as u8, (v >> 8) as u8, v as u8]),
        3 => {
            let d = |n: u32| ((n & 0xf) * 17) as u8;
            Some([d(v >> 8), d(v >> 4), d(v)])
        }
        _ => None,
    }
}

/// `#rrggbb`.
pub fn color_string(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// A colour for a label the configuration does not colour: derived from its id (FNV-1a hash
/// → hue), so it is the same in every run and on every machine.
pub fn fallback_color(label_id: &str) -> [u8; 3] {
    if label_id.is_empty() {
        return UNLABELLED_COLOR;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let hue = (h % 360) as f64;
    hsl_to_rgb(hue, 0.7, 0.5)
}

fn hsl_to_rgb(h: f64, s: f64, l: f64) -> [u8; 3] {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let q = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    [q(r), q(g), q(b)]
}

/// The legend being built: configuration labels first, others as met.
struct Legend {
    labels: Vec<LegendLabel>,
    rgb: Vec<[u8; 3]>,
    index: HashMap<String, usize>,
    /// Colours of every available label (later lists win, like the bChannels).
    config_colors: HashMap<String, String>,
}

impl Legend {
    fn of(config: &Value, warnings: &mut Vec<OverlayWarning>) -> Self {
        let mut config_colors = HashMap::new();
        if let Some(avail) = config
            .pointer("/metadata/labelOptions/availableLabels")
            .and_then(Value::as_object)
        {
            for label in avail.values().filter_map(Value::as_array).flatten() {
                let id = label.get("id").and_then(id_string);
                let color = label.get("color").and_then(Value::as_str);
                if let (Some(id), Some(color)) = (id, color) {
                    config_colors.insert(id, color.to_string());
                }
            }
        }
        let mut legend = Legend {
            labels: Vec::new(),
            rgb: Vec::new(),
            index: HashMap::new(),
            config_colors,
        };
        for l in main_list_labels(config) {
            if legend.index.contains_key(&l.id) {
                continue;
            }
            let rgb = legend
                .config_rgb(&l.id, warnings)
                .unwrap_or_else(|| fallback_color(&l.id));
            legend.push(l.id, l.name, rgb);
        }
        legend
    }

    /// The configuration's colour of a label (warning when it is unreadable).
    fn config_rgb(&self, id: &str, warnings: &mut Vec<OverlayWarning>) -> Option<[u8; 3]> {
        let color = self.config_colors.get(id)?;
        let rgb = parse_color(color);
        if rgb.is_none() {
            warnings.push(OverlayWarning::InvalidColor {
                label_id: id.to_string(),
                color: color.clone(),
            });
            return Some(fallback_color(id));
        }
        rgb
    }

    fn push(&mut self, id: String, name: String, rgb: [u8; 3]) -> usize {
        let i = self.labels.len();
        self.index.insert(id.clone(), i);
        self.labels.push(LegendLabel {
            id,
            name,
            color: color_string(rgb),
            count: 0,
        });
        self.rgb.push(rgb);
        i
    }

    /// The legend entry of an annotation's label, added (with a warning) when new.
    fn entry(&mut self, id: &str, annotation: &Value, warnings: &mut Vec<OverlayWarning>) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        if id.is_empty() {
            return self.push(String::new(), String::new(), UNLABELLED_COLOR);
        }
        warnings.push(OverlayWarning::UnknownLabel {
            label_id: id.to_string(),
        });
        let name = label_name(annotation, id).unwrap_or_else(|| id.to_string());
        let rgb = self
            .config_rgb(id, warnings)
            .or_else(|| {
                annotation
                    .get("color")
                    .and_then(Value::as_str)
                    .and_then(parse_color)
            })
            .unwrap_or_else(|| fallback_color(id));
        self.push(id.to_string(), name, rgb)
    }
}

/// The name an annotation gives its label `id`.
fn label_name(annotation: &Value, id: &str) -> Option<String> {
    annotation
        .get("labels")?
        .as_object()?
        .values()
        .filter_map(|l| l.get("labels").and_then(Value::as_array))
        .flatten()
        .find(|l| l.get("id").and_then(id_string).as_deref() == Some(id))
        .and_then(|l| l.get("name").and_then(Value::as_str))
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string)
}

/// Why a vertex list was refused.
enum VertexProblem {
    Bad,
    Odd(usize),
}

fn read_points(v: Option<&Value>, scale: (f64, f64)) -> Result<Vec<[f64; 2]>, VertexProblem> {
    let arr = v.and_then(Value::as_array).ok_or(VertexProblem::Bad)?;
    let mut nums = Vec::with_capacity(arr.len());
    for x in arr {
        match x.as_f64() {
            Some(f) if f.is_finite() => nums.push(f),
            _ => return Err(VertexProblem::Bad),
        }
    }
    if nums.len() % 2 == 1 {
        return Err(VertexProblem::Odd(nums.len()));
    }
    Ok(nums
        .chunks_exact(2)
        .map(|p| [p[0] / scale.0, p[1] / scale.1])
        .collect())
}

/// A sequence polygon's frame: its 1-based `timestamp` (number or numeric string), 1 when
/// missing.
fn read_frame(polygon: &Value) -> Option<u32> {
    let t = match polygon.get("timestamp") {
        None | Some(Value::Null) => return Some(0),
        Some(Value::Number(n)) => n.as_f64()?,
        Some(Value::String(s)) => s.trim().parse::<f64>().ok()?,
        Some(_) => return None,
    };
    if !t.is_finite() || t < 1.0 || t > f64::from(u32::MAX) {
        return None;
    }
    Some(t.trunc() as u32 - 1)
}

/// The mask colour of a segmentation annotation: `polygons: [r, g, b]`, not black.
fn instance_colour(annotation: &Value) -> Option<[u8; 3]> {
    let arr = annotation.get("polygons")?.as_array()?;
    if arr.len() != 3 {
        return None;
    }
    let mut c = [0u8; 3];
    for (o, v) in c.iter_mut().zip(arr) {
        *o = u8::try_from(v.as_u64()?).ok()?;
    }
    (c != [0, 0, 0]).then_some(c)
}

fn count32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The overlay of one image tool (`None` when the target's tool is not an image tool).
fn tool_overlay(
    task: &Value,
    target: &Target,
    title: Option<String>,
    out: MaskOut,
) -> Option<Overlay> {
    let tool = Tool::from_type(target.tool()?)?;
    let input_id = target.input_id.as_deref();
    let normalized = normalize_form_task(task, input_id);
    let meta = task
        .pointer("/data/metadata/body")
        .and_then(|m| match input_id {
            Some(id) => m.get(id),
            None => Some(m),
        });
    let body = Body {
        body: normalized.pointer("/data/body"),
        meta,
    };
    let frames = if target.sequence {
        let resources = match input_id {
            Some(_) => body.get("resources"),
            None => task.get("resources"),
        };
        count32(resources.and_then(Value::as_array).map_or(0, Vec::len)).max(1)
    } else {
        1
    };
    let mut warnings = Vec::new();
    let mut image = read_size(body.get("image"));

    let mask = if tool == Tool::Segmentation {
        body.get("mask")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .and_then(|uri| match decode_data_uri(uri) {
                Ok(m) => Some(m),
                Err(detail) => {
                    warnings.push(OverlayWarning::MaskUnreadable { detail });
                    None
                }
            })
    } else {
        None
    };
    if let Some(m) = &mask {
        let mask_size = Size {
            width: m.width(),
            height: m.height(),
        };
        match image {
            Some(img) if img != mask_size => warnings.push(OverlayWarning::MaskSizeMismatch {
                mask: mask_size,
                image: img,
            }),
            Some(_) => {}
            None => image = Some(mask_size),
        }
    }

    let mut legend = Legend::of(&target.config, &mut warnings);
    let mut shapes = Vec::new();
    // Instance colour → legend index.
    let mut instances: HashMap<[u8; 3], usize> = HashMap::new();
    let annotations = match body.get("annotations") {
        None => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            warnings.push(OverlayWarning::MalformedAnnotations);
            &[][..]
        }
    };
    let mut no_size_warned = false;
    for (i, a) in annotations.iter().enumerate() {
        let annotation = count32(i);
        if !a.is_object() {
            warnings.push(OverlayWarning::MalformedAnnotation { annotation });
            continue;
        }
        let uid = a.get("uid").and_then(id_string);
        let label_id = main_labels(a.get("labels"))
            .first()
            .and_then(id_string)
            .unwrap_or_default();
        if label_id.is_empty() {
            warnings.push(OverlayWarning::NoLabel {
                annotation,
                uid: uid.clone(),
            });
        }
        let li = legend.entry(&label_id, a, &mut warnings);
        legend.labels[li].count = legend.labels[li].count.saturating_add(1);

        let polygons = if tool == Tool::Segmentation {
            if let Some(c) = instance_colour(a) {
                instances.insert(c, li);
            }
            a.pointer("/approximation/polygons")
        } else {
            a.get("polygons")
        };
        let polygons = match polygons {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(p)) => p.as_slice(),
            Some(_) => {
                warnings.push(OverlayWarning::MalformedAnnotation { annotation });
                continue;
            }
        };
        let scale = if tool == Tool::Segmentation {
            match image {
                Some(s) => (f64::from(s.width), f64::from(s.height)),
                None => {
                    if !polygons.is_empty() && !no_size_warned {
                        warnings.push(OverlayWarning::NoImageSize);
                        no_size_warned = true;
                    }
                    continue;
                }
            }
        } else {
            (1.0, 1.0)
        };
        for p in polygons {
            let geometry = p.get("geometry");
            let kind = geometry
                .and_then(|g| g.get("type"))
                .and_then(Value::as_str)
                .unwrap_or(match tool {
                    Tool::Rectangle => "rectangle",
                    Tool::Polyline => "polyline",
                    Tool::Graph => "graph",
                    Tool::Polygon | Tool::Segmentation => "polygon",
                });
            let points = match read_points(geometry.and_then(|g| g.get("vertices")), scale) {
                Ok(p) => p,
                Err(VertexProblem::Bad) => {
                    warnings.push(OverlayWarning::BadVertices {
                        annotation,
                        uid: uid.clone(),
                    });
                    continue;
                }
                Err(VertexProblem::Odd(n)) => {
                    warnings.push(OverlayWarning::OddVertexCount {
                        annotation,
                        uid: uid.clone(),
                        count: count32(n),
                    });
                    continue;
                }
            };
            let too_small = |warnings: &mut Vec<OverlayWarning>| {
                warnings.push(OverlayWarning::ShapeTooSmall {
                    annotation,
                    uid: uid.clone(),
                    points: count32(points.len()),
                });
            };
            let geometry = match kind {
                "rectangle" => {
                    let (mut x0, mut y0) = (f64::INFINITY, f64::INFINITY);
                    let (mut x1, mut y1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
                    for [x, y] in &points {
                        x0 = x0.min(*x);
                        y0 = y0.min(*y);
                        x1 = x1.max(*x);
                        y1 = y1.max(*y);
                    }
                    if points.len() < 2 || x1 <= x0 || y1 <= y0 {
                        too_small(&mut warnings);
                        continue;
                    }
                    Geometry::Rectangle { x0, y0, x1, y1 }
                }
                "polygon" if points.len() >= 3 => Geometry::Polygon { points },
                "polyline" if points.len() >= 2 => Geometry::Polyline { points },
                "graph" if !points.is_empty() => {
                    let edges = read_edges(
                        geometry.and_then(|g| g.get("edges")),
                        points.len(),
                        annotation,
                        &uid,
                        &mut warnings,
                    );
                    Geometry::Graph { points, edges }
                }
                "polygon" | "polyline" | "graph" => {
                    too_small(&mut warnings);
                    continue;
                }
                other => {
                    warnings.push(OverlayWarning::UnknownGeometry {
                        annotation,
                        uid: uid.clone(),
                        geometry_type: other.to_string(),
                    });
                    continue;
                }
            };
            let frame = if target.sequence {
                match read_frame(p) {
                    Some(f) => f,
                    None => {
                        warnings.push(OverlayWarning::BadFrame {
                            annotation,
                            uid: uid.clone(),
                        });
                        0
                    }
                }
            } else {
                0
            };
            if frame >= frames {
                warnings.push(OverlayWarning::FrameOutOfRange {
                    annotation,
                    uid: uid.clone(),
                    frame,
                    frames,
                });
            }
            let entry = &legend.labels[li];
            shapes.push(Shape {
                label_id: entry.id.clone(),
                name: entry.name.clone(),
                color: entry.color.clone(),
                frame,
                uid: uid.clone(),
                geometry,
            });
        }
    }

    let masks = match &mask {
        Some(m) => mask_layers(m, &instances, &target.config, &legend, &mut warnings, out),
        None => Vec::new(),
    };
    Some(Overlay {
        input_id: target.input_id.clone(),
        title,
        tool,
        frames,
        image,
        labels: legend.labels,
        shapes,
        masks,
        warnings,
    })
}

fn read_edges(
    edges: Option<&Value>,
    n_points: usize,
    annotation: u32,
    uid: &Option<String>,
    warnings: &mut Vec<OverlayWarning>,
) -> Vec<[u32; 2]> {
    let index = |v: &Value| -> Option<u32> {
        let f = v.as_f64()?;
        (f.fract() == 0.0 && f >= 0.0 && f < n_points as f64).then_some(f as u32)
    };
    let mut out = Vec::new();
    for (k, e) in edges
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let pair = e
            .as_array()
            .filter(|p| p.len() == 2)
            .and_then(|p| Some([index(&p[0])?, index(&p[1])?]));
        match pair {
            Some(p) => out.push(p),
            None => warnings.push(OverlayWarning::BadEdge {
                annotation,
                uid: uid.clone(),
                edge: count32(k),
            }),
        }
    }
    out
}

/// One RGBA layer per label present in the mask: a pixel is a label's when its colour is one
/// of that label's annotations' instance colours, else when its blue is the label's bChannel.
fn mask_layers(
    mask: &RgbImage,
    instances: &HashMap<[u8; 3], usize>,
    config: &Value,
    legend: &Legend,
    warnings: &mut Vec<OverlayWarning>,
    how: MaskOut,
) -> Vec<MaskLayer> {
    let mut by_b: HashMap<u8, usize> = HashMap::new();
    for (id, b) in b_channels(config) {
        if let (Some(&li), Ok(b)) = (legend.index.get(&id), u8::try_from(b))
            && b != 0
        {
            by_b.entry(b).or_insert(li);
        }
    }
    const NONE: u16 = u16::MAX;
    let mut owner: Vec<u16> = Vec::with_capacity(mask.as_raw().len() / 3);
    let mut present = vec![false; legend.labels.len()];
    let mut unmatched: usize = 0;
    let mut last: Option<([u8; 3], u16)> = None;
    for px in mask.as_raw().chunks_exact(3) {
        let c = [px[0], px[1], px[2]];
        if c == [0, 0, 0] {
            owner.push(NONE);
            continue;
        }
        let o = match last {
            Some((lc, o)) if lc == c => o,
            _ => {
                let li = instances
                    .get(&c)
                    .or_else(|| by_b.get(&c[2]))
                    .and_then(|&li| u16::try_from(li).ok())
                    .filter(|&li| li != NONE)
                    .unwrap_or(NONE);
                last = Some((c, li));
                li
            }
        };
        if o == NONE {
            unmatched += 1;
        } else {
            present[usize::from(o)] = true;
        }
        owner.push(o);
    }
    if unmatched > 0 {
        warnings.push(OverlayWarning::MaskUnmatched {
            pixels: count32(unmatched),
        });
    }
    let (w, h) = mask.dimensions();
    let mut rgba = vec![0u8; owner.len() * 4];
    let mut out = Vec::new();
    for (li, _) in present.iter().enumerate().filter(|(_, p)| **p) {
        let [r, g, b] = legend.rgb[li];
        for (px, &o) in rgba.chunks_exact_mut(4).zip(&owner) {
            let on = usize::from(o) == li && o != NONE;
            px.copy_from_slice(&if on { [r, g, b, MASK_ALPHA] } else { [0; 4] });
        }
        let label_id = legend.labels[li].id.clone();
        if how == MaskOut::Raster {
            if let Some(img) = image::RgbaImage::from_raw(w, h, rgba.clone()) {
                out.push(MaskLayer {
                    label_id,
                    frame: 0,
                    png: String::new(),
                    raster: Some(std::sync::Arc::new(img)),
                });
            }
            continue;
        }
        let mut png = Vec::new();
        let encoded =
            PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Sub)
                .write_image(&rgba, w, h, image::ExtendedColorType::Rgba8);
        match encoded {
            Ok(()) => out.push(MaskLayer {
                label_id,
                frame: 0,
                png: format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(&png)
                ),
                raster: None,
            }),
            Err(e) => warnings.push(OverlayWarning::MaskUnreadable {
                detail: format!("cannot encode the layer: {e}"),
            }),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::{Rgb, Rgba, RgbaImage};
    use serde_json::json;

    pub(crate) const COLORS: [&str; 4] = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8"];

    /// Label options like the demo workspace's.
    pub(crate) fn label_options(labels: &[&str]) -> Value {
        let l: Vec<Value> = labels
            .iter()
            .enumerate()
            .map(|(i, id)| {
                json!({"id": id, "name": id.to_uppercase(), "color": COLORS[i % 4], "bChannel": i + 1})
            })
            .collect();
        json!({
            "mainLists": [{"name": "objects", "keys": ["objects"]}],
            "availableLabels": {
                "objects": l,
                "attributes": [{"id": "occluded", "name": "Occluded", "color": "#9e9e9e", "bChannel": 20}]
            }
        })
    }

    pub(crate) fn config(ty: &str, labels: &[&str]) -> Value {
        json!({"projectType": ty, "metadata": {"labelOptions": label_options(labels), "toolOptions": {"sequence": false}}})
    }

    fn lab(id: &str) -> Value {
        json!({"objects": {"labels": [{"id": id, "name": id}]}})
    }

    pub(crate) fn task(body: Value) -> Value {
        json!({"_id": "t1", "name": "a.png", "resources": [{"id": "f", "name": "a.png"}],
               "data": {"body": body, "metadata": {"body": {"image": {"width": 320, "height": 240}}}}})
    }

    fn rect(uid: &str, label: &str, v: [f64; 4]) -> Value {
        json!({"uid": uid, "labels": lab(label), "color": "#000000",
               "polygons": [{"geometry": {"type": "rectangle", "vertices": v}}]})
    }

    #[test]
    fn rectangles_are_normalised_boxes_with_legend_counts() {
        let cfg = config("iat-rectangle", &["car", "pedestrian", "bicycle"]);
        let t = task(json!({"annotations": [
            rect("a", "car", [0.5, 0.6, 0.25, 0.1]),
            rect("b", "car", [0.1, 0.1, 0.2, 0.2]),
            rect("c", "bicycle", [0.3, 0.3, 0.4, 0.4]),
        ]}));
        let o = overlays(&t, &cfg);
        assert_eq!(o.frames, 1);
        assert_eq!(o.tools.len(), 1);
        let ov = &o.tools[0];
        assert_eq!(ov.tool, Tool::Rectangle);
        assert_eq!(ov.input_id, None);
        // The size comes from the metadata body when the data body has none.
        assert_eq!(
            ov.image,
            Some(Size {
                width: 320,
                height: 240
            })
        );
        let legend: Vec<(&str, &str, u32)> = ov
            .labels
            .iter()
            .map(|l| (l.id.as_str(), l.color.as_str(), l.count))
            .collect();
        assert_eq!(
            legend,
            [
                ("car", "#e6194b", 2),
                ("pedestrian", "#3cb44b", 0),
                ("bicycle", "#ffe119", 1)
            ]
        );
        assert_eq!(ov.labels[0].name, "CAR");
        assert_eq!(ov.shapes.len(), 3);
        assert_eq!(
            ov.shapes[0].geometry,
            Geometry::Rectangle {
                x0: 0.25,
                y0: 0.1,
                x1: 0.5,
                y1: 0.6
            }
        );
        // The configuration's colour wins over the annotation's own.
        assert_eq!(ov.shapes[0].color, "#e6194b");
        assert_eq!(ov.shapes[0].uid.as_deref(), Some("a"));
        assert_eq!(ov.shapes[2].label_id, "bicycle");
        assert!(ov.warnings.is_empty(), "{:?}", ov.warnings);
        assert!(ov.masks.is_empty());
    }

    #[test]
    fn polygons_polylines_and_graphs_keep_their_points() {
        let cfg = config("iat-polygon", &["building"]);
        let t = task(json!({"annotations": [
            {"uid": "p", "labels": lab("building"), "polygons": [
                {"geometry": {"type": "polygon", "vertices": [0.1, 0.2, 0.3, 0.2, 0.2, 0.4]}},
                {"geometry": {"type": "polyline", "vertices": [0.0, 0.0, 1, 1]}}
            ]}
        ]}));
        let ov = &overlays(&t, &cfg).tools[0];
        assert_eq!(ov.tool, Tool::Polygon);
        assert_eq!(
            ov.shapes[0].geometry,
            Geometry::Polygon {
                points: vec![[0.1, 0.2], [0.3, 0.2], [0.2, 0.4]]
            }
        );
        assert_eq!(
            ov.shapes[1].geometry,
            Geometry::Polyline {
                points: vec![[0.0, 0.0], [1.0, 1.0]]
            }
        );
        assert_eq!(ov.labels[0].count, 1, "an annotation counts once");

        let cfg = config("iat-graph", &["person", "animal"]);
        let t = task(
            json!({"annotations": [{"uid": "g", "labels": lab("person"), "polygons": [
            {"geometry": {"type": "graph", "vertices": [0.5, 0.1, 0.5, 0.5, 0.3, 0.9, 0.7, 0.9],
                          "edges": [[0, 1], [1, 2], [1.0, 3], [1, 9], "x", [2]]}}]}]}),
        );
        let ov = &overlays(&t, &cfg).tools[0];
        assert_eq!(ov.tool, Tool::Graph);
        let Geometry::Graph { points, edges } = &ov.shapes[0].geometry else {
            panic!("not a graph: {:?}", ov.shapes[0].geometry);
        };
        assert_eq!(points.len(), 4);
        assert_eq!(edges, &[[0, 1], [1, 2], [1, 3]]);
        let bad: Vec<u32> = ov
            .warnings
            .iter()
            .filter_map(|w| match w {
                OverlayWarning::BadEdge { edge, .. } => Some(*edge),
                _ => None,
            })
            .collect();
        assert_eq!(bad, [3, 4, 5]);
    }

    fn png_uri(img: &RgbImage) -> String {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(out.into_inner())
        )
    }

    pub(crate) fn decode_layer(uri: &str) -> RgbaImage {
        let b64 = uri.split_once(',').unwrap().1;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        image::load_from_memory(&bytes).unwrap().to_rgba8()
    }

    #[test]
    fn segmentation_outlines_in_pixels_and_masks_recoloured() {
        let cfg = config("iat-segmentation", &["crop", "weed", "soil"]);
        // Instance 2 = crop (b 1) on the left, instance 3 = weed (b 2) on the right, and a
        // stray soil pixel matched by its bChannel only.
        let mut mask = RgbImage::new(40, 20);
        for y in 5..15 {
            for x in 2..12 {
                mask.put_pixel(x, y, Rgb([2, 0, 1]));
            }
            for x in 25..35 {
                mask.put_pixel(x, y, Rgb([3, 0, 2]));
            }
        }
        mask.put_pixel(39, 19, Rgb([9, 0, 3]));
        mask.put_pixel(39, 0, Rgb([9, 0, 77])); // matches nothing
        let body = json!({
            "image": {"width": 40, "height": 20},
            "mask": png_uri(&mask),
            "annotations": [
                {"uid": "c", "labels": lab("crop"), "polygons": [2, 0, 1],
                 "approximation": {"polygons": [{"geometry": {"type": "polygon",
                    "vertices": [2, 5, 12, 5, 12, 15, 2, 15], "holes": []}}], "minus": []}},
                {"uid": "w", "labels": lab("weed"), "polygons": [3, 0, 2],
                 "approximation": {"polygons": [{"geometry": {"type": "polygon",
                    "vertices": [25, 5, 35, 5, 35, 15]}}]}}
            ]
        });
        let t = json!({"_id": "s", "data": {"body": body}});
        let ov = &overlays(&t, &cfg).tools[0];
        assert_eq!(ov.tool, Tool::Segmentation);
        assert_eq!(
            ov.shapes[0].geometry,
            Geometry::Polygon {
                points: vec![[0.05, 0.25], [0.3, 0.25], [0.3, 0.75], [0.05, 0.75]]
            }
        );
        let ids: Vec<&str> = ov.masks.iter().map(|m| m.label_id.as_str()).collect();
        assert_eq!(ids, ["crop", "weed", "soil"]);
        let crop = decode_layer(&ov.masks[0].png);
        assert_eq!(crop.dimensions(), (40, 20));
        assert_eq!(crop.get_pixel(5, 10), &Rgba([0xe6, 0x19, 0x4b, MASK_ALPHA]));
        assert_eq!(crop.get_pixel(30, 10)[3], 0, "weed pixel not in crop layer");
        assert_eq!(crop.get_pixel(0, 0)[3], 0, "background transparent");
        let weed = decode_layer(&ov.masks[1].png);
        assert_eq!(
            weed.get_pixel(30, 10),
            &Rgba([0x3c, 0xb4, 0x4b, MASK_ALPHA])
        );
        let soil = decode_layer(&ov.masks[2].png);
        assert_eq!(soil.get_pixel(39, 19)[3], MASK_ALPHA);
        assert_eq!(ov.warnings, [OverlayWarning::MaskUnmatched { pixels: 1 }]);
    }

    #[test]
    fn segmentation_without_size_uses_the_mask_or_warns() {
        let cfg = config("iat-segmentation", &["crop"]);
        let a = json!({"labels": lab("crop"), "polygons": [2, 0, 1],
            "approximation": {"polygons": [{"geometry": {"type": "polygon", "vertices": [0, 0, 10, 0, 10, 10]}}]}});
        let t = json!({"data": {"body": {"mask": png_uri(&RgbImage::new(20, 10)), "annotations": [a.clone()]}}});
        let ov = &overlays(&t, &cfg).tools[0];
        assert_eq!(
            ov.image,
            Some(Size {
                width: 20,
                height: 10
            })
        );
        assert_eq!(
            ov.shapes[0].geometry,
            Geometry::Polygon {
                points: vec![[0.0, 0.0], [0.5, 0.0], [0.5, 1.0]]
            }
        );
        let t =
            json!({"data": {"body": {"mask": "data:image/png;base64,AAAA", "annotations": [a]}}});
        let ov = &overlays(&t, &cfg).tools[0];
        assert!(ov.shapes.is_empty());
        assert!(ov.masks.is_empty());
        assert!(matches!(
            ov.warnings[0],
            OverlayWarning::MaskUnreadable { .. }
        ));
        assert!(ov.warnings.contains(&OverlayWarning::NoImageSize));
    }

    fn form_config() -> Value {
        let tool_cfg = json!({"projectType": "iat-rectangle",
            "metadata": {"labelOptions": label_options(&["parcel", "damage"]), "toolOptions": {"sequence": false}}});
        json!({"projectType": "form", "metadata": {"inputsLayout": [
            [[{"id": "title", "type": "display-title", "static": true, "config": {"text": "Check"}}]],
            [
                [{"id": "photo", "type": "tool-iat-rectangle", "submit": true, "config": tool_cfg}],
                [{"id": "quality", "type": "radio"}, {"id": "comment", "type": "textarea"}],
                [{"id": "zone", "type": "tool-iat-polygon", "label": "Damaged zone",
                  "config": {"metadata": {"labelOptions": label_options(&["dent"])}}}]
            ]
        ]}})
    }

    #[test]
    fn form_has_one_overlay_per_tool_input() {
        let t = json!({"_id": "f", "resources": [], "data": {
            "body": {
                "photo": {"image": {"width": 100, "height": 50}, "resources": ["scene.png"],
                          "annotations": [rect("r", "damage", [0.1, 0.2, 0.3, 0.4])]},
                "quality": "good"
            },
            "metadata": {"body": {"zone": {"image": {"width": 10, "height": 10}}}}
        }});
        let o = overlays(&t, &form_config());
        assert_eq!(o.tools.len(), 2);
        let photo = &o.tools[0];
        assert_eq!(photo.input_id.as_deref(), Some("photo"));
        assert_eq!(photo.title, None);
        assert_eq!(photo.tool, Tool::Rectangle);
        assert_eq!(
            photo.image,
            Some(Size {
                width: 100,
                height: 50
            })
        );
        assert_eq!(photo.labels[1].id, "damage");
        assert_eq!(photo.labels[1].count, 1);
        assert_eq!(photo.shapes[0].label_id, "damage");
        let zone = &o.tools[1];
        assert_eq!(zone.input_id.as_deref(), Some("zone"));
        assert_eq!(zone.title.as_deref(), Some("Damaged zone"));
        assert_eq!(zone.tool, Tool::Polygon);
        assert_eq!(zone.image.map(|s| s.width), Some(10));
        assert_eq!(zone.labels[0].id, "dent");
        assert!(zone.shapes.is_empty());

        // A form without an image tool, and other project types: nothing to draw.
        let text_form = json!({"projectType": "form", "metadata": {"inputsLayout": [[[{"id": "t", "type": "text"}]]]}});
        assert_eq!(overlays(&t, &text_form), TaskOverlays::default());
        assert!(
            overlays(&t, &json!({"projectType": "text"}))
                .tools
                .is_empty()
        );
        assert!(overlays(&t, &json!(null)).tools.is_empty());
    }

    #[test]
    fn project_type_can_come_from_the_task() {
        let mut cfg = config("x", &["car"]);
        cfg.as_object_mut().unwrap().remove("projectType");
        let mut t = task(json!({"annotations": [rect("a", "car", [0.1, 0.1, 0.2, 0.2])]}));
        t["data"]["projectType"] = json!("iat-rectangle");
        assert_eq!(overlays(&t, &cfg).tools[0].shapes.len(), 1);
    }

    #[test]
    fn unknown_and_missing_labels_get_stable_colours() {
        let cfg = config("iat-rectangle", &["car"]);
        let t = task(json!({"annotations": [
            {"uid": "u1", "labels": {"objects": {"labels": [{"id": "truck", "name": "Truck"}]}},
             "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.2, 0.2]}}]},
            {"uid": "u2", "labels": lab("truck"),
             "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.2, 0.2]}}]},
            {"uid": "u3", "labels": lab("van"), "color": "#ABC",
             "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.2, 0.2]}}]},
            {"uid": "u4", "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.2, 0.2]}}]},
        ]}));
        let ov = &overlays(&t, &cfg).tools[0];
        let ids: Vec<(&str, &str, u32)> = ov
            .labels
            .iter()
            .map(|l| (l.id.as_str(), l.name.as_str(), l.count))
            .collect();
        assert_eq!(
            ids,
            [
                ("car", "CAR", 0),
                ("truck", "Truck", 2),
                ("van", "van", 1),
                ("", "", 1)
            ]
        );
        let truck = color_string(fallback_color("truck"));
        assert_eq!(ov.labels[1].color, truck);
        assert_eq!(truck, color_string(fallback_color("truck")));
        assert_ne!(truck, color_string(fallback_color("trucks")));
        assert_eq!(ov.labels[2].color, "#aabbcc", "the annotation's own colour");
        assert_eq!(ov.labels[3].color, "#9e9e9e");
        assert_eq!(ov.shapes.len(), 4);
        assert_eq!(ov.shapes[1].color, truck);
        assert_eq!(
            ov.warnings,
            [
                OverlayWarning::UnknownLabel {
                    label_id: "truck".into()
                },
                OverlayWarning::UnknownLabel {
                    label_id: "van".into()
                },
                OverlayWarning::NoLabel {
                    annotation: 3,
                    uid: Some("u4".into())
                },
            ]
        );
    }

    #[test]
    fn junk_is_skipped_with_warnings() {
        let cfg = config("iat-polygon", &["building"]);
        let geo = |g: Value| json!({"uid": "j", "labels": lab("building"), "polygons": [{"geometry": g}]});
        let t = task(json!({"annotations": [
            "not an object",
            {"labels": lab("building"), "polygons": 7},
            geo(json!({"type": "polygon", "vertices": [0.1, "x", 0.2, 0.3, 0.4, 0.5]})),
            geo(json!({"type": "polygon", "vertices": [0.1, 0.2, 0.3]})),
            geo(json!({"type": "polygon", "vertices": [0.1, 0.2, 0.3, 0.4]})),
            geo(json!({"type": "circle", "vertices": [0.1, 0.2]})),
            geo(json!({"type": "rectangle", "vertices": [0.1, 0.2, 0.1, 0.5]})),
            geo(json!({"type": "polygon"})),
            geo(json!(null)),
            {"labels": {"objects": "nope"}, "polygons": [{"geometry": {"vertices": [0, 0, 1, 0, 1, 1]}}]},
            geo(json!({"type": "polygon", "vertices": [0.1, 0.1, 0.9, 0.1, 0.5, 0.9]})),
        ]}));
        let ov = &overlays(&t, &cfg).tools[0];
        // Only the last two (the untyped polygon takes the tool's type) survive.
        assert_eq!(ov.shapes.len(), 2, "{:?}", ov.shapes);
        let kinds: Vec<String> = ov
            .warnings
            .iter()
            .map(|w| {
                serde_json::to_value(w).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "malformedAnnotation",
                "malformedAnnotation",
                "badVertices",
                "oddVertexCount",
                "shapeTooSmall",
                "unknownGeometry",
                "shapeTooSmall",
                "badVertices",
                "badVertices",
                "noLabel",
            ]
        );
        // NaN cannot be in JSON, but a non-number annotations field can.
        let t = task(json!({"annotations": {"a": 1}}));
        assert_eq!(
            overlays(&t, &cfg).tools[0].warnings,
            [OverlayWarning::MalformedAnnotations]
        );
        let t = json!({"data": "junk"});
        assert!(overlays(&t, &cfg).tools[0].shapes.is_empty());
        assert!(overlays(&json!(42), &cfg).tools[0].shapes.is_empty());
    }

    #[test]
    fn sequences_put_polygons_on_their_timestamp_frame() {
        let mut cfg = config("iat-rectangle", &["car"]);
        cfg["metadata"]["toolOptions"]["sequence"] = json!(true);
        let poly = |ts: Value| json!({"timestamp": ts, "geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.2, 0.2]}});
        let mut t = task(
            json!({"annotations": [{"uid": "s", "labels": lab("car"), "polygons": [
                {"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.2, 0.2]}},
                poly(json!(2)), poly(json!("3")), poly(json!(0)), poly(json!(7))
            ]}]}),
        );
        t["resources"] = json!(["a.png", "b.png", "c.png"]);
        let o = overlays(&t, &cfg);
        assert_eq!(o.frames, 3);
        let ov = &o.tools[0];
        let frames: Vec<u32> = ov.shapes.iter().map(|s| s.frame).collect();
        assert_eq!(frames, [0, 1, 2, 0, 6]);
        assert_eq!(ov.labels[0].count, 1);
        assert_eq!(
            ov.warnings,
            [
                OverlayWarning::BadFrame {
                    annotation: 0,
                    uid: Some("s".into())
                },
                OverlayWarning::FrameOutOfRange {
                    annotation: 0,
                    uid: Some("s".into()),
                    frame: 6,
                    frames: 3
                }
            ]
        );
        // Outside sequences the timestamp means nothing.
        cfg["metadata"]["toolOptions"]["sequence"] = json!(false);
        let o = overlays(&t, &cfg);
        assert_eq!(o.frames, 1);
        assert!(o.tools[0].shapes.iter().all(|s| s.frame == 0));
    }

    #[test]
    fn serialises_camel_case_with_tags() {
        let cfg = config("iat-graph", &["person"]);
        let t = task(
            json!({"annotations": [{"uid": "g", "labels": lab("person"), "polygons": [
            {"geometry": {"type": "graph", "vertices": [0.5, 0.5], "edges": []}}]}]}),
        );
        let v = serde_json::to_value(overlays(&t, &cfg)).unwrap();
        let tool = &v["tools"][0];
        assert_eq!(tool["tool"], "graph");
        assert_eq!(tool["inputId"], Value::Null);
        assert_eq!(tool["shapes"][0]["labelId"], "person");
        assert_eq!(
            tool["shapes"][0]["geometry"],
            json!({"type": "graph", "points": [[0.5, 0.5]], "edges": []})
        );
        let w = serde_json::to_value(OverlayWarning::UnknownLabel {
            label_id: "x".into(),
        })
        .unwrap();
        assert_eq!(w, json!({"kind": "unknownLabel", "labelId": "x"}));
        let back: TaskOverlays = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(back).unwrap(), v);
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("#E6194B"), Some([0xe6, 0x19, 0x4b]));
        assert_eq!(parse_color("#abc"), Some([0xaa, 0xbb, 0xcc]));
        assert_eq!(parse_color("red"), None);
        assert_eq!(parse_color("#12345"), None);
        assert_eq!(parse_color("#+12345"), None);
        let cfg = json!({"projectType": "iat-rectangle", "metadata": {"labelOptions": {
            "mainLists": [{"name": "m", "keys": ["k"]}],
            "availableLabels": {"k": [{"id": "a", "color": "blue"}]}}}});
        let ov = &overlays(&task(json!({})), &cfg).tools[0];
        assert_eq!(ov.labels[0].color, color_string(fallback_color("a")));
        assert_eq!(
            ov.warnings,
            [OverlayWarning::InvalidColor {
                label_id: "a".into(),
                color: "blue".into()
            }]
        );
    }
}

#[cfg(all(test, feature = "ts"))]
mod ts_tests {
    use super::*;
    use ts_rs::TS;

    #[test]
    fn typescript_matches_the_json() {
        let cfg = ts_rs::Config::default();
        let g = Geometry::decl(&cfg);
        assert!(g.contains("\"type\": \"rectangle\""), "{g}");
        assert!(g.contains("points: Array<[number, number]>"), "{g}");
        let w = OverlayWarning::decl(&cfg);
        assert!(
            w.contains("\"kind\": \"unknownLabel\", labelId: string"),
            "{w}"
        );
    }
}
