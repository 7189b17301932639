//! The streaming export: pages of tasks go straight to a temporary file (or folder) in the
//! target folder, renamed into place once complete.

use crate::error::{ExportError, Result};
use crate::format::{ExportFormat, ExportOptions, Target, b_channels, resolve_target};
use crate::names::{NameAllocator, sanitize_stem};
use crate::pyfmt::JsonArrayWriter;
use crate::{kili, lab, mask, yolo};
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

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
    pub loaded: u64,
    pub total: u64,
}

/// The optional fields an export needs (the SDK's).
pub const EXPORT_OPTIONAL_FIELDS: [&str; 4] = ["data", "data.mask", "jobs", "metrics"];

/// The export over any stream of pages (what [`export`] runs once the configuration is known).
pub async fn export_pages<S>(
    config: &Value,
    req: &ExportSpec,
    pages: S,
    mut progress: impl ProgressSink,
    cancel: CancellationToken,
) -> Result<ExportReport>
where
    S: Stream<Item = Result<Page>>,
{
    let target = resolve_target(req.format, config, &req.options)?;
    let dest = destination(req, chrono::Local::now())?;
    if !req.overwrite && dest.exists() {
        return Err(ExportError::AlreadyExists(dest));
    }
    let mut writer = Some(Writer::new(
        req.format,
        target,
        req.options.clone(),
        dest.clone(),
    ));
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
                w.write_task(task)?;
            }
            Ok(w)
        })
        .await
        .map_err(|e| ExportError::io(&dest, std::io::Error::other(e.to_string())))??;
        progress.progress(w.tasks, total.max(w.tasks));
        writer = Some(w);
    }
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    let w = writer.take().ok_or(ExportError::Cancelled)?;
    if w.tasks == 0 {
        return Err(ExportError::NothingToExport);
    }
    let overwrite = req.overwrite;
    tokio::task::spawn_blocking(move || w.finish(overwrite))
        .await
        .map_err(|e| ExportError::io(&dest, std::io::Error::other(e.to_string())))?
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
                return Err(ExportError::InvalidFilename(format!(
                    "output file name \"{name}\" is empty or a folder: give a file name"
                )));
            }
            if let Some(ext) = req.format.required_extension()
                && !name.ends_with(ext)
            {
                return Err(ExportError::InvalidFilename(format!(
                    "output file name \"{name}\" must end with {ext} for the {} format",
                    req.format
                )));
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
    }
}

const TEMP_PREFIX: &str = ".lab-export-";

enum Out {
    None,
    Json {
        tmp: tempfile::NamedTempFile,
        w: JsonArrayWriter<BufWriter<File>>,
    },
    Zip {
        tmp: tempfile::NamedTempFile,
        zip: zip::ZipWriter<BufWriter<File>>,
    },
    Dir {
        dir: tempfile::TempDir,
    },
}

struct Writer {
    format: ExportFormat,
    target: Target,
    options: ExportOptions,
    dest: PathBuf,
    out: Out,
    names: NameAllocator,
    classes: Vec<String>,
    b_channels: HashMap<String, i64>,
    tasks: u64,
    files: u64,
    warnings: Vec<String>,
    warning_count: u64,
}

fn zip_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644)
}

fn zip_err(path: &Path, e: zip::result::ZipError) -> ExportError {
    ExportError::io(path, std::io::Error::other(e.to_string()))
}

impl Writer {
    fn new(format: ExportFormat, target: Target, options: ExportOptions, dest: PathBuf) -> Self {
        let mut names = NameAllocator::new();
        names.reserve("data.yaml");
        let classes = if format == ExportFormat::Yolo {
            yolo::classes(&target)
        } else {
            vec![]
        };
        let b_channels = if format == ExportFormat::Mask && options.semantic_mapping.is_some() {
            b_channels(&target.config)
        } else {
            HashMap::new()
        };
        Self {
            format,
            target,
            options,
            dest,
            out: Out::None,
            names,
            classes,
            b_channels,
            tasks: 0,
            files: 0,
            warnings: vec![],
            warning_count: 0,
        }
    }

    fn parent(&self) -> PathBuf {
        match self.dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// Creates the temporary output on the first task (an empty export writes nothing).
    fn open(&mut self) -> Result<()> {
        if !matches!(self.out, Out::None) {
            return Ok(());
        }
        let parent = self.parent();
        std::fs::create_dir_all(&parent).map_err(|e| ExportError::io(&parent, e))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX);
        self.out = match self.format {
            ExportFormat::Lab | ExportFormat::Kili => {
                let tmp = builder
                    .suffix(".partial")
                    .tempfile_in(&parent)
                    .map_err(|e| ExportError::io(&parent, e))?;
                let f = tmp.reopen().map_err(|e| ExportError::io(tmp.path(), e))?;
                Out::Json {
                    w: JsonArrayWriter::new(BufWriter::with_capacity(256 * 1024, f)),
                    tmp,
                }
            }
            ExportFormat::Yolo => {
                let tmp = builder
                    .suffix(".partial")
                    .tempfile_in(&parent)
                    .map_err(|e| ExportError::io(&parent, e))?;
                let f = tmp.reopen().map_err(|e| ExportError::io(tmp.path(), e))?;
                let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(256 * 1024, f));
                zip.add_directory("labels/", zip_options())
                    .map_err(|e| zip_err(tmp.path(), e))?;
                Out::Zip { tmp, zip }
            }
            ExportFormat::Mask => Out::Dir {
                dir: builder
                    .tempdir_in(&parent)
                    .map_err(|e| ExportError::io(&parent, e))?,
            },
        };
        Ok(())
    }

    fn warn(&mut self, task: &str, message: String) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("task \"{task}\": {message}"));
        }
    }

    fn write_task(&mut self, task: &Value) -> Result<()> {
        self.open()?;
        let name = match task.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let mut warnings = Vec::new();
        let mut warn = |m: String| warnings.push(m);
        match &mut self.out {
            Out::None => {}
            Out::Json { tmp, w } => {
                let item = if self.format == ExportFormat::Kili {
                    kili::format_task(task, &self.target, &mut warn)
                } else {
                    lab::format_task(task)
                };
                w.push(&item).map_err(|e| ExportError::io(tmp.path(), e))?;
                self.files += 1;
            }
            Out::Zip { tmp, zip } => {
                let text = yolo::format_task(task, &self.target, &self.classes, &mut warn);
                let file = self.names.allocate(&name, &name, ".txt");
                zip.start_file(format!("labels/{file}"), zip_options())
                    .map_err(|e| zip_err(tmp.path(), e))?;
                zip.write_all(text.as_bytes())
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                self.files += 1;
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
                            std::fs::write(&path, png).map_err(|e| ExportError::io(&path, e))?;
                            self.files += 1;
                        }
                        Err(e) => warn(format!("mask skipped: {e}")),
                    }
                }
            }
        }
        for w in warnings {
            self.warn(&name, w);
        }
        self.tasks += 1;
        Ok(())
    }

    fn finish(self, overwrite: bool) -> Result<ExportReport> {
        let dest = self.dest.clone();
        let no_clobber = |e: tempfile::PersistError| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                ExportError::AlreadyExists(dest.clone())
            } else {
                ExportError::io(&dest, e.error)
            }
        };
        match self.out {
            Out::None => return Err(ExportError::NothingToExport),
            Out::Json { tmp, w } => {
                let mut buf = w.finish().map_err(|e| ExportError::io(tmp.path(), e))?;
                buf.flush().map_err(|e| ExportError::io(tmp.path(), e))?;
                let f = buf
                    .into_inner()
                    .map_err(|e| ExportError::io(tmp.path(), e.into_error()))?;
                f.sync_all().map_err(|e| ExportError::io(tmp.path(), e))?;
                persist(tmp, &dest, overwrite).map_err(no_clobber)?;
            }
            Out::Zip { tmp, mut zip } => {
                zip.start_file("data.yaml", zip_options())
                    .map_err(|e| zip_err(tmp.path(), e))?;
                zip.write_all(yolo::data_yaml(&self.classes).as_bytes())
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                let buf = zip.finish().map_err(|e| zip_err(tmp.path(), e))?;
                let f = buf
                    .into_inner()
                    .map_err(|e| ExportError::io(tmp.path(), e.into_error()))?;
                f.sync_all().map_err(|e| ExportError::io(tmp.path(), e))?;
                persist(tmp, &dest, overwrite).map_err(no_clobber)?;
            }
            Out::Dir { dir } => persist_dir(dir, &dest, overwrite)?,
        }
        let path = std::path::absolute(&dest).unwrap_or(dest);
        Ok(ExportReport {
            format: self.format,
            path,
            tasks: self.tasks,
            files: self.files,
            renamed: self.names.into_renamed(),
            warnings: self.warnings,
            warning_count: self.warning_count,
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
            let _ = aside;
        }
        return Err(ExportError::io(dest, e));
    }
    // Renamed: nothing left for the TempDir to delete.
    let _ = dir.keep();
    drop(old);
    Ok(())
}
