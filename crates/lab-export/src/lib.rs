//! Export of lab tasks to the lab, Kili, YOLO and mask formats, streamed page by page and
//! identical to the isahitlab SDK's output (see ../../shared/lab-api.md), and to two formats
//! the SDK has not: COCO instances (`coco`) and a YOLO dataset with its images and splits
//! (`dataset`). Every export gets a manifest beside it (`manifest`).
//!
//! The formatters are pure functions over raw task documents (`kili::format_task`,
//! `yolo::format_task`, `lab::format_task`, `mask::render`); [`export`] streams a project's
//! tasks into a temporary file in the target folder and renames it into place when complete.

pub mod client;
pub mod coco;
pub mod dataset;
pub mod driver;
pub mod error;
pub mod format;
pub mod images;
pub mod kili;
pub mod lab;
pub mod manifest;
pub mod mask;
pub mod names;
pub mod pyfmt;
pub mod yolo;
pub mod zipw;

pub use client::{ExportRequest, export};
pub use driver::resolve_target;
pub use driver::{
    EXPORT_OPTIONAL_FIELDS, ExportReport, ExportSpec, IMAGE_CONCURRENCY, Page, ProgressSink,
    default_filename, destination, export_pages, export_pages_with,
};
pub use error::{BadFileName, ErrorInfo, ErrorKind, ExportError, Result};
pub use format::{
    BadOption, ExportFormat, ExportOptions, Misfit, SplitProblem, Target, supported_formats,
};
pub use images::{ImageMiss, ImageSource, LabImages, LocalFiles, MissKind};
pub use manifest::{Manifest, MissingImage, manifest_path, read_manifest};
