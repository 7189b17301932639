//! Lab tasks made visible: what their annotations look like, drawn on their images, and
//! cached thumbnails of them.
//!
//! 1. [`overlay`]: [`overlays`] turns a raw task document and its project configuration into
//!    one [`Overlay`] per image tool — the legend (every label of the configuration's main
//!    lists with its colour and count), the shapes (rectangles, polygons, polylines, graphs)
//!    with coordinates normalised to 0..1 of the image, one transparent PNG layer per label of
//!    a segmentation mask, and typed warnings for whatever could not be read. Serialisable
//!    (camelCase) for the desktop UI, which draws it as SVG over the image.
//! 2. [`draw`](mod@draw): [`draw()`](draw::draw) paints an overlay's frame onto an RGBA
//!    image of any size: masks blended, outlines in label colours, keypoints as dots, hidden
//!    labels left out.
//! 3. [`thumb`]: [`make_thumbnail`] decodes an image safely (size-limited), scales it down,
//!    draws the overlay and encodes a JPEG; [`ThumbCache`] keeps thumbnails in a folder
//!    capped in bytes, evicting the least recently used.
//!
//! Nothing here touches the network: the caller brings the task, the configuration and the
//! image bytes.

pub mod draw;
pub mod error;
pub mod overlay;
pub mod thumb;

pub use draw::line_width;
pub use error::{Result, VisualError};
pub use overlay::{
    Geometry, LegendLabel, MaskLayer, Overlay, OverlayWarning, Shape, Size, TaskOverlays, Tool,
    overlays, overlays_for_drawing,
};
pub use thumb::{ThumbCache, ThumbKey, Thumbnail, make_thumbnail};
