//! The streaming export: pages of tasks go straight to a temporary file (or folder) in the
//! target folder, renamed into place once complete.

use crate::error::{BadFileName, ExportError, Result};
use crate::format::{ExportFormat, ExportOptions, Target, b_channels, fit};
use crate::images::{ImageMiss, ImageSource, MissKind, NoImages};
use crate::manifest::{
    Generator, HashingWriter, MANIFEST_VERSION, Manifest, ManifestCounts, ManifestFile,
    ManifestFormat, MissingImage, images_zip_path, manifest_path, sha256_hex,
};
use crate::names::{NameAllocator, sanitize_stem};
use crate::pyfmt::JsonArrayWriter;
use crate::zipw::ZipStreamWriter;
use crate::{coco, dataset, images, kili, lab, mask, yolo};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_util::sync::CancellationToken;

/// Checks that `format` fits the project and finds what it works on.
pub fn resolve_target(
    format: ExportFormat,
    config: &Value,
    options: &ExportOptions,
) -> Result<Target> {
    fit(format, config, options).map_err(|misfit| ExportError::Unsupported { format, misfit })
}

/// Images downloaded at once by the exports that include them.
pub const IMAGE_CONCURRENCY: usize = 8;
/// Downloaded images waiting for the writer (with [`IMAGE_CONCURRENCY`], what bounds memory).
const IMAGES_AHEAD: usize = 4;
/// At most this many missing images are listed (the count is always exact).
pub const MAX_MISSING_LISTED: usize = 10_000;

/// A file or a zip being written, hashed on the way.
type Hashed = BufWriter<HashingWriter<File>>;

/// At most this many warnings are kept in the report (the count is always exact).
pub const MAX_WARNINGS: usize = 100;

/// Where and how to write an export (everything but the task filter).
#[derive(Clone, Debug, Default)]
pub struct ExportSpec {
    pub project_id: String,
    pub format: ExportFormat,
    /// Default: the current folder.
    pub output_folder: Option<PathBuf>,
    /// File name (`.json` for lab/kili, `.zip` for yolo) or folder name (mask).
    /// Default: the SDK's, e.g. `lab_{projectId}_{YYYY-mm-dd_HH:MM:SS}.json`.
    pub output_filename: Option<String>,
    pub options: ExportOptions,
    /// Replace an existing file/folder of the same name.
    pub overwrite: bool,
    /// The filter or selection the tasks come from, as recorded in the manifest.
    pub scope: Option<Value>,
    /// Write no manifest beside the export.
    pub no_manifest: bool,
}

/// What an export wrote.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExportReport {
    pub format: ExportFormat,
    /// The file (lab, kili, yolo) or folder (mask) written.
    pub path: PathBuf,
    /// Tasks exported.
    pub tasks: u64,
    /// Files written: label files in the zip, PNGs in the mask folder (tasks for JSON).
    pub files: u64,
    /// Task names whose file name had to change: (task name, file name written).
    pub renamed: Vec<(String, String)>,
    /// The first warnings (annotations skipped…), and how many there were.
    pub warnings: Vec<String>,
    pub warning_count: u64,
    /// The manifest written beside the export.
    pub manifest: Option<PathBuf>,
    /// COCO with images: the images zip beside the JSON.
    pub images_path: Option<PathBuf>,
    /// Tasks whose image could not be exported, and why (the first [`MAX_MISSING_LISTED`]).
    pub missing_images: Vec<MissingImage>,
    pub missing_image_count: u64,
    /// YOLO dataset: tasks per split.
    pub splits: Vec<(String, u64)>,
}

/// Where progress goes: tasks written so far, and the total announced by the server.
pub trait ProgressSink: Send {
    fn progress(&mut self, done: u64, total: u64);
}

impl<F: FnMut(u64, u64) + Send> ProgressSink for F {
    fn progress(&mut self, done: u64, total: u64) {
        self(done, total)
    }
}

/// One page of raw tasks as listed (optional fields data, data.mask, jobs, metrics).
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub tasks: Vec<Value>,
    /// Tasks still as JSON text, written after `tasks`: decoded, written and dropped one by one
    /// on the writer's thread (what [`crate::export`] sends: cheaper for the allocator than
    /// tasks decoded on one thread and freed on another).
    pub raw: Vec<Box<serde_json::value::RawValue>>,
    pub loaded: u64,
    pub total: u64,
}

/// The optional fields an export needs (the SDK's).
pub const EXPORT_OPTIONAL_FIELDS: [&str; 4] = ["data", "data.mask", "jobs", "metrics"];

/// The export over any stream of pages (what [`export`] runs once the configuration is known),
/// without images.
pub async fn export_pages<S>(
    config: &Value,
    req: &ExportSpec,
    pages: S,
    progress: impl ProgressSink,
    cancel: CancellationToken,
) -> Result<ExportReport>
where
    S: Stream<Item = Result<Page>>,
{
    export_pages_with(config, req, pages, Arc::new(NoImages), progress, cancel).await
}

fn decode_raw(raw: &serde_json::value::RawValue) -> Result<Value> {
    serde_json::from_str(raw.get()).map_err(|e| {
        ExportError::Client(lab_client::Error::Decode {
            what: "task".into(),
            message: e.to_string(),
        })
    })
}

fn join_error(dest: &Path, e: tokio::task::JoinError) -> ExportError {
    ExportError::io(dest, std::io::Error::other(e.to_string()))
}

/// The export over any stream of pages, with the images from `images` for the formats that
/// include them (downloaded [`IMAGE_CONCURRENCY`] at a time while the writer works).
pub async fn export_pages_with<S>(
    config: &Value,
    req: &ExportSpec,
    pages: S,
    images: Arc<dyn ImageSource>,
    mut progress: impl ProgressSink,
    cancel: CancellationToken,
) -> Result<ExportReport>
where
    S: Stream<Item = Result<Page>>,
{
    let target = resolve_target(req.format, config, &req.options)?;
    let dest = destination(req, chrono::Local::now())?;
    if !req.overwrite {
        if dest.exists() {
            return Err(ExportError::AlreadyExists(dest));
        }
        let zip = images_zip_path(&dest);
        if req.format == ExportFormat::Coco && req.options.images && zip.exists() {
            return Err(ExportError::AlreadyExists(zip));
        }
    }
    let writer = Writer::new(req, target, dest.clone());
    let w = if req.format.fetches_images(&req.options) {
        write_with_images(writer, pages, images, &mut progress, &cancel, &dest).await?
    } else {
        write_pages(writer, pages, &mut progress, &cancel, &dest).await?
    };
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    if w.tasks == 0 {
        return Err(ExportError::NothingToExport);
    }
    let overwrite = req.overwrite;
    tokio::task::spawn_blocking(move || w.finish(overwrite))
        .await
        .map_err(|e| join_error(&dest, e))?
}

/// Page by page: each page is written on the blocking pool while the next one is listed.
async fn write_pages<S>(
    writer: Writer,
    pages: S,
    progress: &mut impl ProgressSink,
    cancel: &CancellationToken,
    dest: &Path,
) -> Result<Writer>
where
    S: Stream<Item = Result<Page>>,
{
    let mut writer = Some(writer);
    let mut pages = std::pin::pin!(pages);
    loop {
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(ExportError::Cancelled),
            p = pages.next() => p,
        };
        let Some(page) = next else { break };
        let page = page?;
        let total = page.total;
        let mut w = writer.take().ok_or(ExportError::Cancelled)?;
        let token = cancel.clone();
        let w = tokio::task::spawn_blocking(move || {
            for task in &page.tasks {
                if token.is_cancelled() {
                    return Err(ExportError::Cancelled);
                }
                w.write_task(task, None)?;
            }
            for raw in &page.raw {
                if token.is_cancelled() {
                    return Err(ExportError::Cancelled);
                }
                w.write_task(&decode_raw(raw)?, None)?;
            }
            Ok(w)
        })
        .await
        .map_err(|e| join_error(dest, e))??;
        progress.progress(w.tasks, total.max(w.tasks));
        writer = Some(w);
    }
    writer.ok_or(ExportError::Cancelled)
}

/// Task by task: images are downloaded [`IMAGE_CONCURRENCY`] at a time, in order, and handed
/// to one writer thread through a short queue, so memory stays flat in the task count.
async fn write_with_images<S>(
    mut writer: Writer,
    pages: S,
    images: Arc<dyn ImageSource>,
    progress: &mut impl ProgressSink,
    cancel: &CancellationToken,
    dest: &Path,
) -> Result<Writer>
where
    S: Stream<Item = Result<Page>>,
{
    let input_id = writer.target.input_id.clone();
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<(Value, std::result::Result<Bytes, ImageMiss>)>(IMAGES_AHEAD);
    let written = Arc::new(AtomicU64::new(0));
    let token = cancel.clone();
    let counter = written.clone();
    let handle = tokio::task::spawn_blocking(move || {
        while let Some((task, image)) = rx.blocking_recv() {
            if token.is_cancelled() {
                return Err(ExportError::Cancelled);
            }
            writer.write_task(&task, Some(image))?;
            counter.store(writer.tasks, Ordering::Relaxed);
        }
        Ok(writer)
    });
    let tasks = pages.flat_map(|page| {
        let items: Vec<Result<(Value, u64)>> = match page {
            Ok(p) => {
                let total = p.total;
                let mut v: Vec<Result<(Value, u64)>> =
                    p.tasks.into_iter().map(|t| Ok((t, total))).collect();
                v.extend(p.raw.iter().map(|r| decode_raw(r).map(|t| (t, total))));
                v
            }
            Err(e) => vec![Err(e)],
        };
        futures::stream::iter(items)
    });
    let fetched = tasks
        .map(|item| {
            let images = images.clone();
            let input_id = input_id.clone();
            async move {
                let (task, total) = item?;
                let image = {
                    let norm = lab::normalize_form_task(&task, input_id.as_deref());
                    images.fetch(&norm).await
                };
                Ok::<_, ExportError>((task, image, total))
            }
        })
        .buffered(IMAGE_CONCURRENCY);
    let mut fetched = std::pin::pin!(fetched);
    let mut last_reported = 0u64;
    let mut failure: Option<ExportError> = None;
    loop {
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => { failure = Some(ExportError::Cancelled); break; }
            n = fetched.next() => n,
        };
        let Some(item) = next else { break };
        let (task, image, total) = match item {
            Ok(x) => x,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        if tx.send((task, image)).await.is_err() {
            // The writer stopped: its error is the one to report.
            break;
        }
        let done = written.load(Ordering::Relaxed);
        let step = (total / 200).max(1);
        if done >= last_reported + step || done == total {
            progress.progress(done, total.max(done));
            last_reported = done;
        }
    }
    drop(tx);
    let result = handle.await.map_err(|e| join_error(dest, e))?;
    if let Some(e) = failure {
        return Err(e);
    }
    let w = result?;
    progress.progress(w.tasks, w.tasks.max(last_reported));
    Ok(w)
}

/// The path the export will have: output folder (default `.`) / output name (default as the
/// SDK's), after checking the name's extension.
pub fn destination(req: &ExportSpec, now: chrono::DateTime<chrono::Local>) -> Result<PathBuf> {
    let folder = req
        .output_folder
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let name = match req.output_filename.as_deref() {
        Some(name) => {
            let trimmed = name.trim();
            if trimmed.is_empty() || trimmed.ends_with('/') || trimmed.ends_with('\\') {
                return Err(ExportError::InvalidFilename(BadFileName::ExportNameEmpty {
                    name: name.to_string(),
                }));
            }
            // A plain file name: no folder, no "..", not absolute (never write outside the folder).
            let parts: Vec<_> = Path::new(trimmed).components().collect();
            if trimmed.contains('\\')
                || !matches!(parts.as_slice(), [std::path::Component::Normal(_)])
            {
                return Err(ExportError::InvalidFilename(
                    BadFileName::ExportNameNotPlain {
                        name: name.to_string(),
                    },
                ));
            }
            if let Some(ext) = req.format.required_extension()
                && !name.ends_with(ext)
            {
                return Err(ExportError::InvalidFilename(
                    BadFileName::ExportNameExtension {
                        name: name.to_string(),
                        extension: ext.to_string(),
                        format: req.format.to_string(),
                    },
                ));
            }
            name.to_string()
        }
        None => default_filename(req.format, &req.project_id, now),
    };
    Ok(folder.join(name))
}

/// The SDK's default names: `lab_{p}_{ts}.json`, `lab_kili_{p}_{ts}.json`,
/// `lab_yolo_{p}_{ts}.zip`, folder `lab_mask_{p}_{YYYY-mm-dd_HHMMSS}`.
pub fn default_filename(
    format: ExportFormat,
    project_id: &str,
    now: chrono::DateTime<chrono::Local>,
) -> String {
    let ts = if cfg!(windows) {
        now.format("%Y-%m-%d_%H-%M-%S").to_string()
    } else {
        now.format("%Y-%m-%d_%H:%M:%S").to_string()
    };
    let p = sanitize_stem(project_id);
    match format {
        ExportFormat::Lab => format!("lab_{p}_{ts}.json"),
        ExportFormat::Kili => format!("lab_kili_{p}_{ts}.json"),
        ExportFormat::Yolo => format!("lab_yolo_{p}_{ts}.zip"),
        ExportFormat::Mask => format!("lab_mask_{p}_{}", now.format("%Y-%m-%d_%H%M%S")),
        ExportFormat::Coco => format!("lab_coco_{p}_{ts}.json"),
        ExportFormat::YoloDataset => format!("lab_yolo_dataset_{p}_{ts}.zip"),
    }
}

const TEMP_PREFIX: &str = ".lab-export-";

/// A temporary file in the export folder, written through a hash.
fn hashed_temp(parent: &Path) -> Result<(tempfile::NamedTempFile, Hashed)> {
    let tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(".partial")
        .tempfile_in(parent)
        .map_err(|e| ExportError::io(parent, e))?;
    let f = tmp.reopen().map_err(|e| ExportError::io(tmp.path(), e))?;
    Ok((
        tmp,
        BufWriter::with_capacity(256 * 1024, HashingWriter::new(f)),
    ))
}

/// Flushes a hashed writer to disk: the file, its SHA-256 and size.
fn close_hashed(path: &Path, w: Hashed) -> Result<(String, u64)> {
    let h = w
        .into_inner()
        .map_err(|e| ExportError::io(path, e.into_error()))?;
    let (f, sha, bytes) = h.finish();
    f.sync_all().map_err(|e| ExportError::io(path, e))?;
    Ok((sha, bytes))
}

struct CocoOut {
    tmp: tempfile::NamedTempFile,
    w: Hashed,
    /// Annotations, spooled until the images are all written.
    ann: BufWriter<File>,
    images: Option<(tempfile::NamedTempFile, Box<ZipStreamWriter<Hashed>>)>,
    first_image: bool,
    first_ann: bool,
}

enum Out {
    None,
    Json {
        tmp: tempfile::NamedTempFile,
        w: JsonArrayWriter<Hashed>,
    },
    Zip {
        tmp: tempfile::NamedTempFile,
        zip: Box<ZipStreamWriter<Hashed>>,
    },
    Dir {
        dir: tempfile::TempDir,
    },
    Coco(Box<CocoOut>),
}

struct Writer {
    format: ExportFormat,
    target: Target,
    options: ExportOptions,
    project_id: String,
    scope: Value,
    manifest: bool,
    dest: PathBuf,
    out: Out,
    names: NameAllocator,
    classes: Vec<String>,
    b_channels: HashMap<String, i64>,
    categories: Option<coco::Categories>,
    next_annotation: u64,
    /// YOLO dataset: normalised shares, and tasks per split.
    shares: Vec<f64>,
    split_counts: Vec<u64>,
    tasks: u64,
    files: u64,
    task_ids: Vec<String>,
    /// Files of the mask folder (name, bytes, SHA-256).
    dir_files: Vec<ManifestFile>,
    warnings: Vec<String>,
    warning_count: u64,
    missing: Vec<MissingImage>,
    missing_count: u64,
}

impl Writer {
    fn new(req: &ExportSpec, target: Target, dest: PathBuf) -> Self {
        let format = req.format;
        let options = req.options.clone();
        let mut names = NameAllocator::new();
        names.reserve("data.yaml");
        let classes = if matches!(format, ExportFormat::Yolo | ExportFormat::YoloDataset) {
            yolo::classes(&target)
        } else {
            vec![]
        };
        let b_channels = if format == ExportFormat::Mask && options.semantic_mapping.is_some() {
            b_channels(&target.config)
        } else {
            HashMap::new()
        };
        let categories = (format == ExportFormat::Coco).then(|| coco::Categories::of(&target));
        let shares = if format == ExportFormat::YoloDataset {
            dataset::normalized(options.split.as_deref())
        } else {
            vec![]
        };
        Self {
            format,
            split_counts: vec![0; shares.len()],
            shares,
            target,
            options,
            project_id: req.project_id.clone(),
            scope: req.scope.clone().unwrap_or(Value::Null),
            manifest: !req.no_manifest,
            dest,
            out: Out::None,
            names,
            classes,
            b_channels,
            categories,
            next_annotation: 1,
            tasks: 0,
            files: 0,
            task_ids: Vec::new(),
            dir_files: Vec::new(),
            warnings: vec![],
            warning_count: 0,
            missing: vec![],
            missing_count: 0,
        }
    }

    fn parent(&self) -> PathBuf {
        match self.dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The splits with a share, in order (YOLO dataset).
    fn used_splits(&self) -> Vec<&'static str> {
        self.shares
            .iter()
            .zip(dataset::SPLITS)
            .filter(|(s, _)| **s > 0.0)
            .map(|(_, n)| n)
            .collect()
    }

    fn new_zip(
        &self,
        parent: &Path,
    ) -> Result<(tempfile::NamedTempFile, Box<ZipStreamWriter<Hashed>>)> {
        let (tmp, w) = hashed_temp(parent)?;
        let zip = Box::new(ZipStreamWriter::new(
            w,
            chrono::Local::now().naive_local(),
            parent,
        ));
        Ok((tmp, zip))
    }

    /// Creates the temporary output on the first task (an empty export writes nothing).
    fn open(&mut self) -> Result<()> {
        if !matches!(self.out, Out::None) {
            return Ok(());
        }
        let parent = self.parent();
        std::fs::create_dir_all(&parent).map_err(|e| ExportError::io(&parent, e))?;
        self.out = match self.format {
            ExportFormat::Lab | ExportFormat::Kili => {
                let (tmp, w) = hashed_temp(&parent)?;
                Out::Json {
                    w: JsonArrayWriter::new(w),
                    tmp,
                }
            }
            ExportFormat::Yolo => {
                let (tmp, mut zip) = self.new_zip(&parent)?;
                zip.add_directory("labels/")
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                Out::Zip { tmp, zip }
            }
            ExportFormat::YoloDataset => {
                let (tmp, mut zip) = self.new_zip(&parent)?;
                let mut dirs = vec!["images/".to_string(), "labels/".to_string()];
                for s in self.used_splits() {
                    dirs.push(format!("images/{s}/"));
                    dirs.push(format!("labels/{s}/"));
                }
                dirs.sort();
                for d in dirs {
                    zip.add_directory(&d)
                        .map_err(|e| ExportError::io(tmp.path(), e))?;
                }
                Out::Zip { tmp, zip }
            }
            ExportFormat::Mask => Out::Dir {
                dir: tempfile::Builder::new()
                    .prefix(TEMP_PREFIX)
                    .tempdir_in(&parent)
                    .map_err(|e| ExportError::io(&parent, e))?,
            },
            ExportFormat::Coco => {
                let (tmp, mut w) = hashed_temp(&parent)?;
                let ann =
                    tempfile::tempfile_in(&parent).map_err(|e| ExportError::io(&parent, e))?;
                let categories = self
                    .categories
                    .as_ref()
                    .map(coco::Categories::to_json)
                    .unwrap_or(Value::Array(vec![]));
                let info = serde_json::json!({
                    "description": format!("isahit lab project {}", self.project_id),
                    "version": "1.0",
                    "contributor": "Lab Desk",
                    "date_created": chrono::Local::now().to_rfc3339(),
                    "lab_project_id": self.project_id,
                });
                let head = format!(
                    "{{\n\"info\": {},\n\"licenses\": [],\n\"categories\": {},\n\"images\": [",
                    info, categories
                );
                w.write_all(head.as_bytes())
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                let images = if self.options.images {
                    Some(self.new_zip(&parent)?)
                } else {
                    None
                };
                Out::Coco(Box::new(CocoOut {
                    tmp,
                    w,
                    ann: BufWriter::with_capacity(256 * 1024, ann),
                    images,
                    first_image: true,
                    first_ann: true,
                }))
            }
        };
        Ok(())
    }

    fn warn(&mut self, task: &str, message: String) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("task \"{task}\": {message}"));
        }
    }

    fn miss(&mut self, id: &str, name: &str, why: ImageMiss) {
        self.missing_count += 1;
        if self.missing.len() < MAX_MISSING_LISTED {
            self.missing.push(MissingImage {
                task_id: id.to_string(),
                task_name: name.to_string(),
                kind: why.kind,
                detail: why.detail,
                reason: why.reason,
            });
        }
    }

    /// Writes one raw task; `image` is its image for the formats that include images.
    fn write_task(
        &mut self,
        task: &Value,
        image: Option<std::result::Result<Bytes, ImageMiss>>,
    ) -> Result<()> {
        self.open()?;
        let name = match task.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let id = task
            .get("_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut warnings = Vec::new();
        let mut warn = |m: String| warnings.push(m);
        let mut missing: Option<ImageMiss> = None;
        match &mut self.out {
            Out::None => {}
            Out::Json { tmp, w } => {
                let written = if self.format == ExportFormat::Kili {
                    w.push(&kili::format_task(task, &self.target, &mut warn))
                } else {
                    w.push_with(|out| lab::push_task(out, task, 1))
                };
                written.map_err(|e| ExportError::io(tmp.path(), e))?;
                self.files += 1;
            }
            Out::Zip { tmp, zip } if self.format == ExportFormat::Yolo => {
                let text = yolo::format_task(task, &self.target, &self.classes, &mut warn);
                let file = self.names.allocate(&name, &name, ".txt");
                zip.add_file(&format!("labels/{file}"), text.as_bytes())
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                self.files += 1;
            }
            Out::Zip { tmp, zip } => {
                // YOLO dataset: the image and its labels, or nothing and the reason.
                match image {
                    Some(Ok(bytes)) => match images::sniff_extension(&bytes) {
                        Some(ext) => {
                            let split = dataset::split_of(&self.shares, self.options.seed, &id);
                            let split_name = dataset::SPLITS[split];
                            let stem = self.names.allocate(&name, images::stem_of(&name), "");
                            let text =
                                yolo::format_task(task, &self.target, &self.classes, &mut warn);
                            zip.add_stored(&format!("images/{split_name}/{stem}{ext}"), &bytes)
                                .map_err(|e| ExportError::io(tmp.path(), e))?;
                            zip.add_file(
                                &format!("labels/{split_name}/{stem}.txt"),
                                text.as_bytes(),
                            )
                            .map_err(|e| ExportError::io(tmp.path(), e))?;
                            self.split_counts[split] += 1;
                            self.files += 2;
                        }
                        None => {
                            missing = Some(ImageMiss::new(MissKind::NotAnImage, ""));
                        }
                    },
                    Some(Err(why)) => missing = Some(why),
                    None => missing = Some(ImageMiss::new(MissKind::NoSource, "")),
                }
            }
            Out::Dir { dir } => {
                if let Some(uri) = mask::mask_of(task, self.target.input_id.as_deref()) {
                    match mask::render(
                        &uri,
                        self.options.semantic_mapping.as_deref(),
                        &self.b_channels,
                    ) {
                        Ok(png) => {
                            let stem = mask::file_stem(&name, self.options.replace_extension);
                            let file = self.names.allocate(&name, stem, ".png");
                            let path = dir.path().join(&file);
                            std::fs::write(&path, &png).map_err(|e| ExportError::io(&path, e))?;
                            self.files += 1;
                            if self.manifest {
                                self.dir_files.push(ManifestFile {
                                    path: file,
                                    bytes: png.len() as u64,
                                    sha256: sha256_hex(&png),
                                });
                            }
                        }
                        Err(e) => warn(format!("mask skipped: {e}")),
                    }
                }
            }
            Out::Coco(out) => {
                let norm = lab::normalize_form_task(task, self.target.input_id.as_deref());
                let mut size = coco::stated_size(&norm);
                let mut ext = images::expected_extension(&norm, &name);
                let mut bytes_ok: Option<Bytes> = None;
                match image {
                    Some(Ok(bytes)) => match images::sniff_extension(&bytes) {
                        Some(e) => {
                            if images::image_extension(&ext).as_deref() != Some(e)
                                && !(e == ".jpg" && ext == ".jpeg")
                            {
                                ext = e.to_string();
                            }
                            size = size.or_else(|| images::pixel_size(&bytes));
                            bytes_ok = Some(bytes);
                        }
                        None => missing = Some(ImageMiss::new(MissKind::NotAnImage, "")),
                    },
                    Some(Err(why)) => missing = Some(why),
                    None => {}
                }
                let file = self.names.allocate(&name, images::stem_of(&name), &ext);
                match size {
                    None => warn(
                        "its image size is unknown (the task data has no image width and height): left out of the COCO file".into(),
                    ),
                    Some((w, h)) => {
                        let image_id = self.tasks + 1;
                        let entry = serde_json::json!({
                            "id": image_id, "file_name": file, "width": w, "height": h,
                            "lab_task_id": id, "lab_task_name": name,
                            "lab_status": task.get("status").cloned().unwrap_or(Value::Null),
                        });
                        let sep: &[u8] = if out.first_image { b"\n" } else { b",\n" };
                        out.first_image = false;
                        out.w
                            .write_all(sep)
                            .and_then(|()| serde_json::to_writer(&mut out.w, &entry).map_err(std::io::Error::from))
                            .map_err(|e| ExportError::io(out.tmp.path(), e))?;
                        if let Some(cats) = &self.categories {
                            let anns = coco::format_task(
                                &norm,
                                &self.target,
                                cats,
                                image_id,
                                (w, h),
                                &mut self.next_annotation,
                                &mut warn,
                            );
                            for a in anns.annotations {
                                let sep: &[u8] = if out.first_ann { b"\n" } else { b",\n" };
                                out.first_ann = false;
                                out.ann
                                    .write_all(sep)
                                    .and_then(|()| serde_json::to_writer(&mut out.ann, &a).map_err(std::io::Error::from))
                                    .map_err(|e| ExportError::io(out.tmp.path(), e))?;
                            }
                        }
                        self.files += 1;
                    }
                }
                if let (Some(bytes), Some((tmp, zip))) = (bytes_ok, out.images.as_mut()) {
                    zip.add_stored(&file, &bytes)
                        .map_err(|e| ExportError::io(tmp.path(), e))?;
                    self.files += 1;
                }
            }
        }
        for w in warnings {
            self.warn(&name, w);
        }
        if let Some(why) = missing {
            // Listed apart from the warnings (which are about annotations).
            self.miss(&id, &name, why);
        }
        self.tasks += 1;
        if self.manifest {
            self.task_ids.push(id);
        }
        Ok(())
    }

    fn finish(mut self, overwrite: bool) -> Result<ExportReport> {
        let dest = self.dest.clone();
        let no_clobber = |path: &Path| {
            let path = path.to_path_buf();
            move |e: tempfile::PersistError| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    ExportError::AlreadyExists(path.clone())
                } else {
                    ExportError::io(&path, e.error)
                }
            }
        };
        let file_name = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        // Files to move into place (temporary, destination), and what the manifest lists.
        let mut moves: Vec<(tempfile::NamedTempFile, PathBuf)> = Vec::new();
        let mut listed: Vec<ManifestFile> = Vec::new();
        let mut images_path = None;
        let mut dir_out = None;
        match std::mem::replace(&mut self.out, Out::None) {
            Out::None => return Err(ExportError::NothingToExport),
            Out::Json { tmp, w } => {
                let mut buf = w.finish().map_err(|e| ExportError::io(tmp.path(), e))?;
                buf.flush().map_err(|e| ExportError::io(tmp.path(), e))?;
                let (sha256, bytes) = close_hashed(tmp.path(), buf)?;
                listed.push(ManifestFile {
                    path: file_name(&dest),
                    bytes,
                    sha256,
                });
                moves.push((tmp, dest.clone()));
            }
            Out::Zip { tmp, mut zip } => {
                let yaml = if self.format == ExportFormat::YoloDataset {
                    let names: Vec<String> = crate::format::main_list_labels(&self.target.config)
                        .into_iter()
                        .map(|l| l.name)
                        .collect();
                    dataset::data_yaml(&self.used_splits(), &names)
                } else {
                    yolo::data_yaml(&self.classes)
                };
                zip.add_file("data.yaml", yaml.as_bytes())
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                let buf = zip.finish().map_err(|e| ExportError::io(tmp.path(), e))?;
                let (sha256, bytes) = close_hashed(tmp.path(), buf)?;
                listed.push(ManifestFile {
                    path: file_name(&dest),
                    bytes,
                    sha256,
                });
                moves.push((tmp, dest.clone()));
            }
            Out::Dir { dir } => {
                let folder = file_name(&dest);
                for f in &mut self.dir_files {
                    f.path = format!("{folder}/{}", f.path);
                }
                listed.append(&mut self.dir_files);
                dir_out = Some(dir);
            }
            Out::Coco(out) => {
                let CocoOut {
                    tmp,
                    mut w,
                    ann,
                    images,
                    ..
                } = *out;
                let mut ann = ann
                    .into_inner()
                    .map_err(|e| ExportError::io(tmp.path(), e.into_error()))?;
                use std::io::{Seek, SeekFrom};
                ann.seek(SeekFrom::Start(0))
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                w.write_all(b"\n],\n\"annotations\": [")
                    .and_then(|()| std::io::copy(&mut ann, &mut w).map(drop))
                    .and_then(|()| w.write_all(b"\n]\n}\n"))
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                let (sha256, bytes) = close_hashed(tmp.path(), w)?;
                listed.push(ManifestFile {
                    path: file_name(&dest),
                    bytes,
                    sha256,
                });
                moves.push((tmp, dest.clone()));
                if let Some((ztmp, zip)) = images {
                    let buf = zip.finish().map_err(|e| ExportError::io(ztmp.path(), e))?;
                    let (sha256, bytes) = close_hashed(ztmp.path(), buf)?;
                    let zpath = images_zip_path(&dest);
                    listed.push(ManifestFile {
                        path: file_name(&zpath),
                        bytes,
                        sha256,
                    });
                    images_path = Some(std::path::absolute(&zpath).unwrap_or(zpath.clone()));
                    moves.push((ztmp, zpath));
                }
            }
        }
        let splits: Vec<(String, u64)> = self
            .used_splits()
            .into_iter()
            .zip(
                self.shares
                    .iter()
                    .zip(&self.split_counts)
                    .filter(|(s, _)| **s > 0.0),
            )
            .map(|(n, (_, c))| (n.to_string(), *c))
            .collect();
        // The manifest is written first, moved into place last: an export is never listed
        // by a manifest before its files are there.
        let manifest = if self.manifest {
            let m = Manifest {
                manifest_version: MANIFEST_VERSION,
                generator: Generator::default(),
                created_at: chrono::Local::now().to_rfc3339(),
                project_id: self.project_id.clone(),
                format: ManifestFormat {
                    id: self.format.as_str().to_string(),
                    version: self.format.format_version().to_string(),
                    sdk_identical: self.format.is_sdk_format(),
                },
                options: self.options.clone(),
                scope: self.scope.clone(),
                counts: ManifestCounts {
                    tasks: self.tasks,
                    files: self.files,
                    warnings: self.warning_count,
                    missing_images: self.missing_count,
                    splits: splits.clone(),
                },
                task_ids: std::mem::take(&mut self.task_ids),
                files: listed,
                warnings: self.warnings.clone(),
                missing_images: self.missing.clone(),
            };
            let parent = self.parent();
            let mut tmp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .suffix(".partial")
                .tempfile_in(&parent)
                .map_err(|e| ExportError::io(&parent, e))?;
            serde_json::to_writer_pretty(BufWriter::new(tmp.as_file_mut()), &m)
                .map_err(std::io::Error::from)
                .and_then(|()| tmp.as_file().sync_all())
                .map_err(|e| ExportError::io(tmp.path(), e))?;
            Some((tmp, manifest_path(&dest)))
        } else {
            None
        };
        for (tmp, path) in moves {
            persist(tmp, &path, overwrite).map_err(no_clobber(&path))?;
        }
        if let Some(dir) = dir_out {
            persist_dir(dir, &dest, overwrite)?;
        }
        let manifest = match manifest {
            Some((tmp, path)) => {
                // Replaces the manifest of an earlier export of the same name.
                tmp.persist(&path)
                    .map_err(|e| ExportError::io(&path, e.error))?;
                Some(std::path::absolute(&path).unwrap_or(path))
            }
            None => None,
        };
        let path = std::path::absolute(&dest).unwrap_or(dest);
        Ok(ExportReport {
            format: self.format,
            path,
            tasks: self.tasks,
            files: self.files,
            renamed: self.names.into_renamed(),
            warnings: self.warnings,
            warning_count: self.warning_count,
            manifest,
            images_path,
            missing_images: self.missing,
            missing_image_count: self.missing_count,
            splits,
        })
    }
}

fn persist(
    tmp: tempfile::NamedTempFile,
    dest: &Path,
    overwrite: bool,
) -> std::result::Result<(), tempfile::PersistError> {
    if overwrite {
        tmp.persist(dest).map(drop)
    } else {
        tmp.persist_noclobber(dest).map(drop)
    }
}

fn persist_dir(dir: tempfile::TempDir, dest: &Path, overwrite: bool) -> Result<()> {
    let mut old: Option<tempfile::TempDir> = None;
    if dest.exists() || dest.is_symlink() {
        if !overwrite {
            return Err(ExportError::AlreadyExists(dest.to_path_buf()));
        }
        if dest.is_dir() && !dest.is_symlink() {
            // Move the old folder aside (deleted when `old` drops) so the new one can take its place.
            let parent = dest.parent().unwrap_or(Path::new("."));
            let aside = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempdir_in(parent)
                .map_err(|e| ExportError::io(parent, e))?;
            std::fs::rename(dest, aside.path().join("old"))
                .map_err(|e| ExportError::io(dest, e))?;
            old = Some(aside);
        } else {
            std::fs::remove_file(dest).map_err(|e| ExportError::io(dest, e))?;
        }
    }
    let path = dir.path().to_path_buf();
    if let Err(e) = std::fs::rename(&path, dest) {
        if let Some(aside) = &old {
            // Put the old folder back: a failed export changes nothing.
            let _ = std::fs::rename(aside.path().join("old"), dest);
        }
        return Err(ExportError::io(dest, e));
    }
    // Renamed: nothing left for the TempDir to delete.
    let _ = dir.keep();
    drop(old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Read;

    fn rect_config() -> Value {
        json!({"projectType": "iat-rectangle", "metadata": {"labelOptions": {
            "mainLists": [{"name": "m", "keys": ["l"]}],
            "availableLabels": {"l": [{"id": "cat", "bChannel": 7}, {"id": "dog", "bChannel": 9}]}
        }}})
    }

    fn task(i: usize, name: &str) -> Value {
        json!({"_id": format!("t{i}"), "name": name, "status": "complete", "createdAt": "2024-01-01",
        "resources": ["https://x/a.png"], "jobs": [],
        "data": {"createdAt": "c", "type": "default", "projectType": "iat-rectangle", "user": null,
          "body": {"image": {"width": 10, "height": 10}, "annotations": [
            {"labels": {"m": {"labels": [{"id": "dog"}]}}, "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.3, 0.5]}}]}
          ]}}})
    }

    fn pages(tasks: Vec<Value>, per_page: usize) -> Vec<Result<Page>> {
        let total = tasks.len() as u64;
        let mut out = vec![];
        let mut loaded = 0;
        for chunk in tasks.chunks(per_page) {
            loaded += chunk.len() as u64;
            out.push(Ok(Page {
                tasks: chunk.to_vec(),
                loaded,
                total,
                ..Page::default()
            }));
        }
        out
    }

    fn spec(dir: &Path, format: ExportFormat, name: Option<&str>) -> ExportSpec {
        ExportSpec {
            project_id: "p1".into(),
            format,
            output_folder: Some(dir.to_path_buf()),
            output_filename: name.map(str::to_string),
            ..Default::default()
        }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    async fn run(
        config: &Value,
        spec: &ExportSpec,
        pages: Vec<Result<Page>>,
    ) -> (Result<ExportReport>, Vec<(u64, u64)>) {
        let mut seen = vec![];
        let r = export_pages(
            config,
            spec,
            futures::stream::iter(pages),
            |d, t| seen.push((d, t)),
            CancellationToken::new(),
        )
        .await;
        (r, seen)
    }

    #[tokio::test]
    async fn lab_json_is_written_like_python_and_renamed_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let tasks: Vec<Value> = (0..5).map(|i| task(i, &format!("n{i}"))).collect();
        let (r, seen) = run(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Lab, Some("out.json")),
            pages(tasks.clone(), 2),
        )
        .await;
        let r = r.unwrap();
        assert_eq!(r.tasks, 5);
        assert_eq!(seen, vec![(2, 5), (4, 5), (5, 5)]);
        assert_eq!(entries(dir.path()), ["out.json", "out.manifest.json"]);
        // The manifest lists the tasks and the file with its hash.
        let m = crate::manifest::read_manifest(&dir.path().join("out.manifest.json")).unwrap();
        assert_eq!(
            r.manifest.as_deref(),
            Some(&*dir.path().join("out.manifest.json"))
        );
        assert_eq!(m.task_ids, ["t0", "t1", "t2", "t3", "t4"]);
        assert_eq!(m.counts.tasks, 5);
        assert_eq!(m.format.id, "lab");
        assert!(m.format.sdk_identical);
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files[0].path, "out.json");
        let bytes = std::fs::read(dir.path().join("out.json")).unwrap();
        assert_eq!(m.files[0].sha256, crate::manifest::sha256_hex(&bytes));
        assert_eq!(m.files[0].bytes, bytes.len() as u64);
        assert!(crate::manifest::verify(&dir.path().join("out.manifest.json"), &m).is_empty());
        std::fs::write(dir.path().join("out.json"), b"changed").unwrap();
        assert_eq!(
            crate::manifest::verify(&dir.path().join("out.manifest.json"), &m),
            ["out.json"]
        );
        std::fs::write(dir.path().join("out.json"), &bytes).unwrap();
        let text = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
        let mut want = Vec::new();
        let items: Vec<Value> = tasks.iter().map(crate::lab::format_task).collect();
        crate::pyfmt::write_json(&mut want, &Value::Array(items), 0).unwrap();
        assert_eq!(text.as_bytes(), want.as_slice());
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert!(parsed[0].get("jobs").is_none());
    }

    #[tokio::test]
    async fn kili_export_and_extension_checks() {
        let dir = tempfile::tempdir().unwrap();
        let (r, _) = run(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Kili, None),
            pages(vec![task(0, "a")], 10),
        )
        .await;
        let r = r.unwrap();
        let name = r.path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("lab_kili_p1_") && name.ends_with(".json"),
            "{name}"
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&r.path).unwrap()).unwrap();
        assert_eq!(
            v[0]["latestLabel"]["jsonResponse"]["OBJECT_DETECTION_JOB"]["annotations"][0]["categories"],
            json!([{"name": "dog"}])
        );
        for (format, bad) in [
            (ExportFormat::Kili, "x.zip"),
            (ExportFormat::Lab, "x.JSON"),
            (ExportFormat::Yolo, "x.json"),
            (ExportFormat::Lab, ""),
        ] {
            let (r, _) = run(
                &rect_config(),
                &spec(dir.path(), format, Some(bad)),
                pages(vec![task(0, "a")], 10),
            )
            .await;
            assert!(
                matches!(r, Err(ExportError::InvalidFilename(_))),
                "{bad}: {r:?}"
            );
        }
    }

    #[tokio::test]
    async fn empty_result_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub");
        for format in ExportFormat::ALL {
            let cfg = json!({"projectType": "iat-segmentation", "metadata": {}});
            let (r, _) = run(&cfg, &spec(&out, format, None), vec![Ok(Page::default())]).await;
            let e = r.unwrap_err();
            assert!(matches!(e, ExportError::NothingToExport), "{e:?}");
            assert!(e.to_string().contains("nothing to export"));
        }
        assert!(!out.exists());
    }

    #[tokio::test]
    async fn unfit_format_is_refused_before_anything() {
        let dir = tempfile::tempdir().unwrap();
        let (r, _) = run(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Mask, None),
            pages(vec![task(0, "a")], 10),
        )
        .await;
        let e = r.unwrap_err();
        assert!(matches!(e, ExportError::Unsupported { .. }));
        assert!(e.to_string().contains("iat-segmentation"), "{e}");
        let seq =
            json!({"projectType": "iat-polygon", "metadata": {"toolOptions": {"sequence": true}}});
        let (r, _) = run(&seq, &spec(dir.path(), ExportFormat::Yolo, None), vec![]).await;
        assert!(r.unwrap_err().to_string().contains("sequences"));
        assert!(entries(dir.path()).is_empty());
    }

    /// Two pages of tasks, then `cancel` is cancelled while the next page is awaited.
    fn cancelled_after_two_pages(
        cancel: &CancellationToken,
    ) -> impl Stream<Item = Result<Page>> + use<> {
        let c2 = cancel.clone();
        let first = pages((0..10).map(|i| task(i, "n")).collect(), 5);
        futures::stream::iter(first).chain(futures::stream::once(async move {
            c2.cancel();
            futures::future::pending::<Result<Page>>().await
        }))
    }

    #[tokio::test]
    async fn cancel_mid_export_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let stream = cancelled_after_two_pages(&cancel);
        let r = export_pages(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Yolo, Some("a.zip")),
            stream,
            |_, _| {},
            cancel,
        )
        .await;
        assert!(matches!(r, Err(ExportError::Cancelled)), "{r:?}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }

    #[tokio::test]
    async fn failed_listing_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for format in [ExportFormat::Lab, ExportFormat::Kili, ExportFormat::Yolo] {
            let mut p = pages((0..4).map(|i| task(i, "n")).collect(), 2);
            p.insert(
                1,
                Err(ExportError::Client(lab_client::Error::Server {
                    status: 500,
                    message: "boom".into(),
                })),
            );
            let (r, _) = run(&rect_config(), &spec(dir.path(), format, None), p).await;
            assert!(matches!(r, Err(ExportError::Client(_))), "{r:?}");
        }
        assert!(entries(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn existing_files_are_kept_unless_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.json"), "old").unwrap();
        let mut s = spec(dir.path(), ExportFormat::Lab, Some("x.json"));
        let (r, _) = run(&rect_config(), &s, pages(vec![task(0, "a")], 1)).await;
        assert!(matches!(r, Err(ExportError::AlreadyExists(_))));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("x.json")).unwrap(),
            "old"
        );
        s.overwrite = true;
        let (r, _) = run(&rect_config(), &s, pages(vec![task(0, "a")], 1)).await;
        r.unwrap();
        assert!(
            std::fs::read_to_string(dir.path().join("x.json"))
                .unwrap()
                .starts_with("[\n")
        );
        assert_eq!(entries(dir.path()), ["x.json", "x.manifest.json"]);
    }

    fn read_zip(path: &Path) -> Vec<(String, String)> {
        let mut z = zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
        let mut out = vec![];
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            out.push((f.name().to_string(), s));
        }
        out
    }

    #[tokio::test]
    async fn yolo_zip_with_hostile_and_duplicate_names() {
        let dir = tempfile::tempdir().unwrap();
        let long = "x".repeat(400);
        let names = [
            "../../evil",
            "a/b",
            "ok.jpg",
            "ok.jpg",
            "bell\u{7}",
            long.as_str(),
            "data.yaml",
        ];
        let tasks: Vec<Value> = names.iter().enumerate().map(|(i, n)| task(i, n)).collect();
        let (r, _) = run(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Yolo, Some("y.zip")),
            pages(tasks, 3),
        )
        .await;
        let r = r.unwrap();
        let entries = read_zip(&dir.path().join("y.zip"));
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "labels/");
        assert_eq!(names.last(), Some(&"data.yaml"));
        assert_eq!(entries.last().unwrap().1, "nc: 2\nnames: ['cat','dog']\n");
        for n in &names[1..names.len() - 1] {
            let rest = n.strip_prefix("labels/").unwrap();
            assert!(!rest.contains('/') && !rest.contains('\\'), "{n}");
            assert!(matches!(
                Path::new(rest).components().collect::<Vec<_>>().as_slice(),
                [std::path::Component::Normal(_)]
            ));
            assert!(!rest.chars().any(char::is_control));
            assert!(rest.len() <= 255);
        }
        assert!(names.contains(&"labels/.._.._evil.txt"));
        assert!(names.contains(&"labels/a_b.txt"));
        assert!(names.contains(&"labels/ok.jpg.txt") && names.contains(&"labels/ok.jpg_2.txt"));
        assert!(names.contains(&"labels/data.yaml.txt"));
        assert_eq!(
            entries[1].1,
            "1 0.2 0.30000000000000004 0.19999999999999998 0.4\n"
        ); // as Python prints it
        let renamed: Vec<&str> = r.renamed.iter().map(|(from, _)| from.as_str()).collect();
        assert_eq!(
            renamed,
            ["../../evil", "a/b", "ok.jpg", "bell\u{7}", long.as_str()]
        );
        assert_eq!(r.files, 7);
    }

    #[tokio::test]
    async fn mask_folder_with_options_and_hostile_names() {
        use image::{DynamicImage, Rgb, RgbImage};
        let dir = tempfile::tempdir().unwrap();
        let cfg = json!({"projectType": "iat-segmentation", "metadata": {"labelOptions": {
            "mainLists": [{"name": "m", "keys": ["l"]}],
            "availableLabels": {"l": [{"id": "cat", "bChannel": 7}]}
        }}});
        let mut img = RgbImage::new(2, 2);
        img.put_pixel(0, 0, Rgb([2, 0, 7]));
        let uri = crate::mask::data_uri(&DynamicImage::ImageRgb8(img));
        let t = |name: &str, mask: Option<&str>| json!({"name": name, "data": {"body": {"mask": mask}}});
        let tasks = vec![
            t("a.jpg", Some(&uri)),
            t("../up.jpg", Some(&uri)),
            t("none.jpg", None),
            t("bad.jpg", Some("data:image/png;base64,AAAA")),
        ];
        let mut s = spec(dir.path(), ExportFormat::Mask, Some("masks"));
        s.options = ExportOptions::from_pairs(&[
            "replace_extension=true",
            r#"semantic_mapping={"cat": [255, 0, 0]}"#,
        ])
        .unwrap();
        let (r, _) = run(&cfg, &s, pages(tasks, 2)).await;
        let r = r.unwrap();
        assert_eq!(entries(dir.path()), ["masks", "masks.manifest.json"]);
        assert_eq!(entries(&dir.path().join("masks")), [".._up.png", "a.png"]);
        let m = crate::manifest::read_manifest(&dir.path().join("masks.manifest.json")).unwrap();
        let listed: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(listed, ["masks/a.png", "masks/.._up.png"]);
        assert!(crate::manifest::verify(&dir.path().join("masks.manifest.json"), &m).is_empty());
        assert_eq!(r.tasks, 4);
        assert_eq!(r.files, 2);
        assert_eq!(r.warning_count, 1);
        assert!(r.warnings[0].contains("bad.jpg"));
        let png = image::open(dir.path().join("masks/a.png"))
            .unwrap()
            .to_rgb8();
        assert_eq!(png.get_pixel(0, 0).0, [255, 0, 0]);
        assert_eq!(png.get_pixel(1, 1).0, [0, 0, 0]);
        // the folder exists now: refused, then replaced with overwrite
        let (r2, _) = run(&cfg, &s, pages(vec![t("b.jpg", Some(&uri))], 2)).await;
        assert!(matches!(r2, Err(ExportError::AlreadyExists(_))));
        s.overwrite = true;
        let (r3, _) = run(&cfg, &s, pages(vec![t("b.jpg", Some(&uri))], 2)).await;
        r3.unwrap();
        assert_eq!(entries(&dir.path().join("masks")), ["b.png"]);
        assert_eq!(entries(dir.path()), ["masks", "masks.manifest.json"]);
    }

    /// Images for tests: a small PNG for every task, except the ids in `missing`.
    struct FakeImages {
        missing: Vec<String>,
        png: Bytes,
    }

    impl FakeImages {
        fn new(missing: &[&str]) -> Arc<Self> {
            let mut out = std::io::Cursor::new(Vec::new());
            image::DynamicImage::new_rgb8(10, 10)
                .write_to(&mut out, image::ImageFormat::Png)
                .unwrap();
            Arc::new(Self {
                missing: missing.iter().map(|s| s.to_string()).collect(),
                png: Bytes::from(out.into_inner()),
            })
        }
    }

    impl ImageSource for FakeImages {
        fn fetch<'a>(
            &'a self,
            task: &'a Value,
        ) -> futures::future::BoxFuture<'a, std::result::Result<Bytes, ImageMiss>> {
            Box::pin(async move {
                let id = task["_id"].as_str().unwrap_or_default();
                if self.missing.iter().any(|m| m == id) {
                    Err(ImageMiss::new(
                        MissKind::DownloadFailed,
                        format!("{id} is gone"),
                    ))
                } else {
                    Ok(self.png.clone())
                }
            })
        }
    }

    async fn run_with(
        config: &Value,
        spec: &ExportSpec,
        pages: Vec<Result<Page>>,
        images: Arc<dyn ImageSource>,
    ) -> Result<ExportReport> {
        export_pages_with(
            config,
            spec,
            futures::stream::iter(pages),
            images,
            |_: u64, _: u64| {},
            CancellationToken::new(),
        )
        .await
    }

    fn zip_names(path: &Path) -> Vec<String> {
        let z = zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
        z.file_names().map(str::to_string).collect()
    }

    #[tokio::test]
    async fn coco_with_images_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut tasks: Vec<Value> = (0..4).map(|i| task(i, &format!("img{i}.png"))).collect();
        // No size and no image: left out with a warning.
        tasks[3]["data"]["body"]["image"] = json!({});
        let mut s = spec(dir.path(), ExportFormat::Coco, Some("c.json"));
        s.options.images = true;
        let r = run_with(
            &rect_config(),
            &s,
            pages(tasks, 3),
            FakeImages::new(&["t1", "t3"]),
        )
        .await
        .unwrap();
        assert_eq!(
            entries(dir.path()),
            ["c.json", "c.manifest.json", "c_images.zip"]
        );
        assert_eq!(r.tasks, 4);
        assert_eq!(r.missing_image_count, 2);
        assert_eq!(r.missing_images[0].task_id, "t1");
        assert_eq!(r.missing_images[0].kind, MissKind::DownloadFailed);
        assert_eq!(r.missing_images[0].detail, "t1 is gone");
        assert_eq!(
            r.missing_images[0].reason,
            "its image could not be downloaded (t1 is gone)"
        );
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("img3.png") && w.contains("size"))
        );
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("c.json")).unwrap())
                .unwrap();
        assert_eq!(
            v["categories"][1],
            json!({"id": 2, "name": "dog", "supercategory": "m", "lab_label_id": "dog"})
        );
        let imgs = v["images"].as_array().unwrap();
        assert_eq!(imgs.len(), 3);
        assert_eq!(imgs[0]["file_name"], "img0.png");
        assert_eq!(
            (imgs[0]["width"].as_u64(), imgs[0]["height"].as_u64()),
            (Some(10), Some(10))
        );
        let anns = v["annotations"].as_array().unwrap();
        assert_eq!(anns.len(), 3);
        assert_eq!(anns[2]["image_id"], imgs[2]["id"]);
        assert_eq!(anns[0]["bbox"], json!([1.0, 1.0, 2.0, 4.0]));
        assert_eq!(anns[0]["category_id"], 2);
        // Only the images that could be had are in the zip (t0, t2; t3 has no size but its image).
        assert_eq!(
            zip_names(&dir.path().join("c_images.zip")),
            ["img0.png", "img2.png"]
        );
        let m = crate::manifest::read_manifest(&dir.path().join("c.manifest.json")).unwrap();
        let files: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(files, ["c.json", "c_images.zip"]);
        assert!(!m.format.sdk_identical);
        assert_eq!(m.missing_images.len(), 2);
        assert!(crate::manifest::verify(&dir.path().join("c.manifest.json"), &m).is_empty());
        // Again without images: the same ids and file names, no zip.
        let mut s2 = spec(dir.path(), ExportFormat::Coco, Some("c2.json"));
        s2.options.images = false;
        let tasks: Vec<Value> = (0..3).map(|i| task(i, &format!("img{i}.png"))).collect();
        run(&rect_config(), &s2, pages(tasks, 3)).await.0.unwrap();
        let v2: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("c2.json")).unwrap())
                .unwrap();
        assert_eq!(v2["categories"], v["categories"]);
        assert_eq!(v2["images"][1]["file_name"], "img1.png");
        assert!(!dir.path().join("c2_images.zip").exists());
    }

    #[tokio::test]
    async fn yolo_dataset_splits_images_and_labels_stably() {
        let dir = tempfile::tempdir().unwrap();
        let tasks: Vec<Value> = (0..60).map(|i| task(i, &format!("p{i}.jpg"))).collect();
        let mut s = spec(dir.path(), ExportFormat::YoloDataset, Some("d.zip"));
        s.options.split = Some(vec![0.6, 0.2, 0.2]);
        s.options.seed = 7;
        let r = run_with(
            &rect_config(),
            &s,
            pages(tasks.clone(), 25),
            FakeImages::new(&["t5"]),
        )
        .await
        .unwrap();
        assert_eq!(r.tasks, 60);
        assert_eq!(r.missing_image_count, 1);
        assert_eq!(r.missing_images[0].task_name, "p5.jpg");
        let total: u64 = r.splits.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 59);
        assert_eq!(r.splits.len(), 3);
        assert!(r.splits.iter().all(|(_, n)| *n > 0), "{:?}", r.splits);
        let names = zip_names(&dir.path().join("d.zip"));
        let mut split_of = HashMap::new();
        for n in &names {
            if let Some(rest) = n.strip_prefix("images/")
                && let Some((split, file)) = rest.split_once('/')
                && !file.is_empty()
            {
                let stem = file.strip_suffix(".png").unwrap();
                assert!(names.contains(&format!("labels/{split}/{stem}.txt")), "{n}");
                split_of.insert(stem.to_string(), split.to_string());
            }
        }
        assert_eq!(split_of.len(), 59);
        assert!(!split_of.contains_key("p5"));
        let mut z = zip::ZipArchive::new(File::open(dir.path().join("d.zip")).unwrap()).unwrap();
        let mut yaml = String::new();
        z.by_name("data.yaml")
            .unwrap()
            .read_to_string(&mut yaml)
            .unwrap();
        assert!(
            yaml.contains("train: images/train\nval: images/val\ntest: images/test\n"),
            "{yaml}"
        );
        assert!(
            yaml.contains("nc: 2\nnames:\n  0: 'cat'\n  1: 'dog'\n"),
            "{yaml}"
        );
        let mut label = String::new();
        z.by_name(&format!("labels/{}/p0.txt", split_of["p0"]))
            .unwrap()
            .read_to_string(&mut label)
            .unwrap();
        assert_eq!(label, "1 0.2 0.30000000000000004 0.19999999999999998 0.4\n");
        // Fewer tasks, in another order: each keeps its split.
        let mut again: Vec<Value> = tasks[..30].to_vec();
        again.reverse();
        let s2 = ExportSpec {
            output_filename: Some("d2.zip".into()),
            ..s.clone()
        };
        run_with(&rect_config(), &s2, pages(again, 7), FakeImages::new(&[]))
            .await
            .unwrap();
        for n in zip_names(&dir.path().join("d2.zip")) {
            if let Some(rest) = n.strip_prefix("images/")
                && let Some((split, file)) = rest.split_once('/')
                && let Some(stem) = file.strip_suffix(".png")
                && stem != "p5"
            {
                assert_eq!(split_of[stem], split, "{stem}");
            }
        }
    }

    #[tokio::test]
    async fn image_exports_cancel_and_refuse_like_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let stream = cancelled_after_two_pages(&cancel);
        let r = export_pages_with(
            &rect_config(),
            &spec(dir.path(), ExportFormat::YoloDataset, Some("a.zip")),
            stream,
            FakeImages::new(&[]),
            |_: u64, _: u64| {},
            cancel,
        )
        .await;
        assert!(matches!(r, Err(ExportError::Cancelled)), "{r:?}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
        // A listing that fails midway leaves nothing either.
        let mut p = pages((0..4).map(|i| task(i, "n")).collect(), 2);
        p.insert(
            1,
            Err(ExportError::Client(lab_client::Error::Server {
                status: 500,
                message: "boom".into(),
            })),
        );
        let mut s = spec(dir.path(), ExportFormat::Coco, Some("c.json"));
        s.options.images = true;
        let r = run_with(&rect_config(), &s, p, FakeImages::new(&[])).await;
        assert!(matches!(r, Err(ExportError::Client(_))), "{r:?}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
        // An existing images zip is not replaced without overwrite.
        std::fs::write(dir.path().join("c_images.zip"), b"old").unwrap();
        let r = run_with(
            &rect_config(),
            &s,
            pages(vec![task(0, "a")], 1),
            FakeImages::new(&[]),
        )
        .await;
        assert!(matches!(r, Err(ExportError::AlreadyExists(_))), "{r:?}");
        assert_eq!(
            std::fs::read(dir.path().join("c_images.zip")).unwrap(),
            b"old"
        );
    }

    #[test]
    fn default_names_like_the_sdk() {
        use chrono::TimeZone;
        let now = chrono::Local.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).unwrap();
        assert_eq!(
            default_filename(ExportFormat::Lab, "p", now),
            "lab_p_2024-03-05_07:08:09.json"
        );
        assert_eq!(
            default_filename(ExportFormat::Kili, "p", now),
            "lab_kili_p_2024-03-05_07:08:09.json"
        );
        assert_eq!(
            default_filename(ExportFormat::Yolo, "p", now),
            "lab_yolo_p_2024-03-05_07:08:09.zip"
        );
        assert_eq!(
            default_filename(ExportFormat::Mask, "p", now),
            "lab_mask_p_2024-03-05_070809"
        );
        let s = ExportSpec {
            project_id: "p".into(),
            ..Default::default()
        };
        assert_eq!(
            destination(&s, now).unwrap(),
            PathBuf::from("./lab_p_2024-03-05_07:08:09.json")
        );
    }
}
