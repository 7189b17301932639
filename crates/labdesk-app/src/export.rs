//! The window's export flow (owner: export): which formats fit the project, how many tasks the
//! scope holds, where the file goes, the export job itself (lab-export, progress + cancel) and
//! the per-project export history (`export-history.json` in the app config dir).
//!
//! Tauri-free: src-tauri's commands/export.rs holds the one-line adapters.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lab_client::{LabClient, Label, ProjectConfiguration, TaskFilter};
use lab_export::{ExportError, ExportFormat, ExportOptions, ExportRequest};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::activity_store::app_error as activity_error;
use crate::client_errors::{Stage, map};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::store::{read_json, write_json};

/// Export formats as the UI names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(rename = "ExportFormatId")]
pub enum Format {
    Lab,
    Kili,
    Yolo,
    Mask,
    Coco,
    YoloDataset,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Lab,
        Format::Kili,
        Format::Yolo,
        Format::Mask,
        Format::Coco,
        Format::YoloDataset,
    ];

    pub fn lib(self) -> ExportFormat {
        match self {
            Format::Lab => ExportFormat::Lab,
            Format::Kili => ExportFormat::Kili,
            Format::Yolo => ExportFormat::Yolo,
            Format::Mask => ExportFormat::Mask,
            Format::Coco => ExportFormat::Coco,
            Format::YoloDataset => ExportFormat::YoloDataset,
        }
    }

    fn from_lib(f: ExportFormat) -> Format {
        match f {
            ExportFormat::Lab => Format::Lab,
            ExportFormat::Kili => Format::Kili,
            ExportFormat::Yolo => Format::Yolo,
            ExportFormat::Mask => Format::Mask,
            ExportFormat::Coco => Format::Coco,
            ExportFormat::YoloDataset => Format::YoloDataset,
        }
    }

    /// ".json", ".zip", or `None` for the mask export (a folder of PNGs).
    pub fn extension(self) -> Option<&'static str> {
        self.lib().required_extension()
    }
}

/// Which tasks to export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ExportScope {
    /// Every task matching the task browser's filter.
    Filter { filter: Box<TaskFilter> },
    /// The rows the user selected.
    Selection { ids: Vec<String> },
}

impl ExportScope {
    /// The task filter the export runs with (the project always from `project_id`).
    pub fn to_filter(&self, project_id: &str) -> TaskFilter {
        let mut f = match self {
            ExportScope::Filter { filter } => (**filter).clone(),
            ExportScope::Selection { ids } => {
                let mut f = TaskFilter::new(project_id);
                f.task_ids = crate::core::dedup(ids.clone());
                f
            }
        };
        f.project_id = project_id.to_owned();
        f.optional_fields.clear();
        f
    }
}

/// One label → colour of the mask export's semantic mapping (label id, RGB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SemanticColor {
    pub label: String,
    #[ts(type = "[number, number, number]")]
    pub color: [u8; 3],
}

/// Everything needed to run (and run again) an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRecipe {
    pub project_id: String,
    pub scope: ExportScope,
    pub format: Format,
    /// Destination folder.
    pub folder: String,
    /// File name (.json / .zip) or, for masks, the folder name.
    pub file_name: String,
    /// Mask: drop the task name's extension ("a.jpg" → "a.png").
    #[serde(default)]
    pub replace_extension: bool,
    /// Mask: recolour these labels (empty = the original colours).
    #[serde(default)]
    pub semantic_mapping: Vec<SemanticColor>,
    /// Form projects with several image inputs: which one.
    #[serde(default)]
    pub input_id: Option<String>,
    /// COCO: also write the images, in `{name}_images.zip` beside the JSON.
    #[serde(default)]
    pub images: bool,
    /// YOLO dataset: train, val and optional test shares (empty: 80 / 20).
    #[serde(default)]
    pub split: Vec<f64>,
    /// YOLO dataset: the split's seed (the same seed keeps each task in its split).
    #[serde(default)]
    #[ts(type = "number")]
    pub seed: u64,
}

/// A format and whether it fits the project.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FormatChoice {
    pub format: Format,
    pub available: bool,
    /// Why it does not fit (when not available): the window says it in the user's words.
    pub misfit: Option<lab_export::Misfit>,
    /// ".json" / ".zip", or null: the mask export writes a folder.
    pub extension: Option<String>,
    pub default_name: String,
}

/// What the Export dialog shows first.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportPlan {
    pub project_id: String,
    /// Tasks in the scope.
    pub count: u64,
    pub formats: Vec<FormatChoice>,
    /// The folder used last for this project.
    pub last_folder: Option<String>,
    /// Labels with a blue channel (for the mask's semantic mapping).
    pub mask_labels: Vec<Label>,
    /// Image inputs of a form project.
    pub iat_input_ids: Vec<String>,
}

/// Where the export would write and whether something is there already.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TargetCheck {
    pub path: String,
    pub exists: bool,
    /// When what exists is a folder (masks): the files in it (replacing deletes them all).
    pub folder_files: Option<u64>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportProgress {
    pub done: u64,
    pub total: u64,
}

/// One export done, as kept in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub id: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub recipe: ExportRecipe,
    /// Tasks exported.
    pub count: u64,
    /// File (or mask folder) written.
    pub path: String,
    /// The manifest beside it ("Run again" reads its recipe back from the history, and the
    /// manifest says what was written).
    #[serde(default)]
    pub manifest: Option<String>,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportOutcome {
    pub entry: HistoryEntry,
    /// Files written (label files, PNGs; tasks for JSON).
    pub files: u64,
    /// Task names written under another file name: (task name, file name).
    pub renamed: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub warning_count: u64,
    /// COCO with images: the images zip.
    pub images_path: Option<String>,
    /// Tasks whose image is not in the export, and why (the first 100; the count is exact).
    pub missing_images: Vec<MissingImageRow>,
    pub missing_image_count: u64,
    /// YOLO dataset: tasks per split.
    pub splits: Vec<(String, u64)>,
}

/// A task exported without its image.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MissingImageRow {
    pub task_id: String,
    pub task_name: String,
    /// Why, as a code the window translates (`export.missing.{kind}`).
    pub kind: lab_export::MissKind,
    /// The URL, path or server words the sentence quotes.
    pub detail: String,
}

/// Missing images listed in the window (the manifest lists them all).
pub const MISSING_SHOWN: usize = 100;

// ---------- history ----------

pub const HISTORY_VERSION: u32 = 1;
/// Entries kept per project (newest first).
pub const HISTORY_MAX: usize = 50;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryFile {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    projects: BTreeMap<String, ProjectHistory>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectHistory {
    #[serde(default)]
    last_folder: Option<String>,
    #[serde(default)]
    entries: Vec<HistoryEntry>,
}

/// The export history file, one writer at a time.
pub struct HistoryStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl HistoryStore {
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            path: config_dir.into().join("export-history.json"),
            lock: Mutex::new(()),
        }
    }

    fn read(&self) -> AppResult<HistoryFile> {
        let f: HistoryFile = read_json(&self.path)?;
        if f.version > HISTORY_VERSION {
            return Err(AppError::msg(
                ErrorKind::Internal,
                "err.historyTooNew",
                &[("path", &self.path.display().to_string())],
            ));
        }
        Ok(f)
    }

    fn update<T>(&self, f: impl FnOnce(&mut HistoryFile) -> T) -> AppResult<T> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = self.read()?;
        let out = f(&mut file);
        file.version = HISTORY_VERSION;
        write_json(&self.path, &file)?;
        Ok(out)
    }

    /// The project's exports, newest first.
    pub fn list(&self, project_id: &str) -> AppResult<Vec<HistoryEntry>> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        Ok(self
            .read()?
            .projects
            .get(project_id)
            .map(|p| p.entries.clone())
            .unwrap_or_default())
    }

    pub fn last_folder(&self, project_id: &str) -> AppResult<Option<String>> {
        let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        Ok(self
            .read()?
            .projects
            .get(project_id)
            .and_then(|p| p.last_folder.clone()))
    }

    /// Remembers the folder chosen for the project.
    pub fn remember_folder(&self, project_id: &str, folder: &str) -> AppResult<()> {
        self.update(|f| {
            f.projects
                .entry(project_id.to_owned())
                .or_default()
                .last_folder = Some(folder.to_owned());
        })
    }

    /// Adds an export (newest first, at most [`HISTORY_MAX`]) and remembers its folder.
    pub fn record(&self, entry: HistoryEntry) -> AppResult<Vec<HistoryEntry>> {
        self.update(|f| {
            let p = f
                .projects
                .entry(entry.recipe.project_id.clone())
                .or_default();
            p.last_folder = Some(entry.recipe.folder.clone());
            p.entries.insert(0, entry);
            p.entries.truncate(HISTORY_MAX);
            p.entries.clone()
        })
    }

    pub fn get(&self, project_id: &str, id: &str) -> AppResult<HistoryEntry> {
        self.list(project_id)?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| AppError::msg(ErrorKind::NotFound, "err.exportGone", &[]))
    }
}

/// The export module's app state (`app.manage(ExportState::new(config_dir))`).
pub struct ExportState {
    pub history: HistoryStore,
}

impl ExportState {
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            history: HistoryStore::new(config_dir),
        }
    }
}

// ---------- plain logic ----------

/// Default file (or mask folder) name: the SDK's, with '-' for ':' so it is valid everywhere.
pub fn default_name(
    format: Format,
    project_id: &str,
    now: chrono::DateTime<chrono::Local>,
) -> String {
    lab_export::default_filename(format.lib(), project_id, now).replace(':', "-")
}

/// Every format with whether it fits this project and why not.
pub fn format_choices(
    cfg: &ProjectConfiguration,
    project_id: &str,
    now: chrono::DateTime<chrono::Local>,
) -> Vec<FormatChoice> {
    lab_export::supported_formats(&cfg.project_type, &cfg.raw)
        .into_iter()
        .map(|(f, ok)| {
            let format = Format::from_lib(f);
            FormatChoice {
                format,
                available: ok.is_ok(),
                misfit: ok.err(),
                extension: format.extension().map(str::to_owned),
                default_name: default_name(format, project_id, now),
            }
        })
        .collect()
}

/// The lab-export request for a recipe.
pub fn to_request(recipe: &ExportRecipe, overwrite: bool) -> AppResult<ExportRequest> {
    let folder = recipe.folder.trim();
    if folder.is_empty() {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.chooseExportFolder",
            &[],
        ));
    }
    let name = recipe.file_name.trim();
    if name.is_empty() {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.exportFileNameMissing",
            &[],
        ));
    }
    let semantic_mapping = if recipe.format == Format::Mask && !recipe.semantic_mapping.is_empty() {
        Some(
            recipe
                .semantic_mapping
                .iter()
                .map(|m| (m.label.clone(), m.color))
                .collect(),
        )
    } else {
        None
    };
    let split = if recipe.format == Format::YoloDataset && !recipe.split.is_empty() {
        Some(recipe.split.clone())
    } else {
        None
    };
    let mut options = ExportOptions {
        input_id: recipe.input_id.clone().filter(|s| !s.is_empty()),
        replace_extension: recipe.format == Format::Mask && recipe.replace_extension,
        semantic_mapping,
        images: recipe.format == Format::Coco && recipe.images,
        split: None,
        seed: if recipe.format == Format::YoloDataset {
            recipe.seed
        } else {
            0
        },
    };
    if let Some(split) = split {
        // Checked like `lab export --option split=…` (two or three shares, train above 0).
        let parsed = ExportOptions::from_json(&serde_json::json!({ "split": split }))
            .map_err(|e| map_export(e.into(), ""))?;
        options.split = parsed.split;
    }
    let scope = serde_json::to_value(&recipe.scope).ok();
    Ok(ExportRequest {
        project_id: recipe.project_id.clone(),
        filter: recipe.scope.to_filter(&recipe.project_id),
        format: recipe.format.lib(),
        output_folder: Some(PathBuf::from(folder)),
        output_filename: Some(name.to_owned()),
        options,
        overwrite,
        scope,
        ..Default::default()
    })
}

/// The recipe's output folder must exist.
fn existing_folder(recipe: &ExportRecipe) -> AppResult<()> {
    let folder = PathBuf::from(recipe.folder.trim());
    if !folder.is_dir() {
        let f = folder.display().to_string();
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.folderMissing",
            &[("folder", &f)],
        ));
    }
    Ok(())
}

/// Where the recipe writes, whether that exists already; a bad name or folder is an error
/// saying what to fix.
pub fn check_target(recipe: &ExportRecipe) -> AppResult<TargetCheck> {
    let req = to_request(recipe, false)?;
    existing_folder(recipe)?;
    let path = lab_export::destination(&req.spec(), chrono::Local::now())
        .map_err(|e| map_export(e, ""))?;
    let is_folder = path.is_dir() && !path.is_symlink();
    if is_folder && recipe.format != Format::Mask {
        // a JSON or zip file cannot replace a folder: say so now, not after the download
        let p = path.display().to_string();
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.isFolder",
            &[("path", &p)],
        ));
    }
    let folder_files = is_folder.then(|| count_files(&path)).filter(|&n| n > 0);
    Ok(TargetCheck {
        exists: path.exists() || path.is_symlink(),
        path: path.display().to_string(),
        folder_files,
    })
}

/// Files (not folders) under `dir`, links not followed.
fn count_files(dir: &Path) -> u64 {
    let mut n = 0;
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => todo.push(e.path()),
                Ok(_) => n += 1,
                Err(_) => {}
            }
        }
    }
    n
}

/// An I/O failure on `path` as a message saying what to do.
pub fn io_error(path: &Path, e: &std::io::Error) -> AppError {
    use std::io::ErrorKind as K;
    let p = path.display().to_string();
    let key = match e.kind() {
        K::PermissionDenied | K::ReadOnlyFilesystem => "err.folderNotWritable",
        K::StorageFull | K::QuotaExceeded => "err.diskFull",
        K::NotFound => "err.folderGone",
        K::IsADirectory => "err.isFolder",
        _ => {
            let detail = e.to_string();
            return AppError::msg(
                ErrorKind::BadInput,
                "err.cannotWrite",
                &[("path", &p), ("detail", &detail)],
            );
        }
    };
    AppError::msg(ErrorKind::BadInput, key, &[("path", &p)])
}

/// A lab-export error as the window shows it.
pub fn map_export(e: ExportError, endpoint: &str) -> AppError {
    match e {
        ExportError::Cancelled => AppError::msg(ErrorKind::Cancelled, "err.exportCancelled", &[]),
        ExportError::NothingToExport => {
            AppError::msg(ErrorKind::BadInput, "err.nothingToExport", &[])
        }
        ExportError::AlreadyExists(p) => AppError::msg(
            ErrorKind::BadInput,
            "err.alreadyExists",
            &[("path", &p.display().to_string())],
        ),
        ExportError::Io { path, source } => io_error(&path, &source),
        ExportError::Client(c) => map(&c, Stage::Session, endpoint),
        ExportError::Unsupported { format, .. } => AppError::msg(
            ErrorKind::BadInput,
            "err.formatUnsupported",
            &[("format", &format.to_string())],
        ),
        ExportError::InvalidOption(o) => AppError::msg(
            ErrorKind::BadInput,
            "err.exportOption",
            &[("detail", &o.to_string())],
        ),
        e @ ExportError::InvalidFilename(_) => {
            AppError::from_library(ErrorKind::BadInput, e.to_string(), e.message())
        }
        e @ ExportError::ListingStopped(_) => {
            AppError::from_library(ErrorKind::Internal, e.to_string(), e.message())
        }
    }
}

/// Counts the scope and lists the formats for the Export dialog.
pub async fn prepare(
    client: &LabClient,
    history: &HistoryStore,
    project_id: &str,
    scope: &ExportScope,
) -> AppResult<ExportPlan> {
    let e = |err: lab_client::Error| map(&err, Stage::Session, client.endpoint());
    let cfg = client.project_configuration(project_id).await.map_err(e)?;
    let count = match scope {
        ExportScope::Selection { ids } => crate::core::dedup(ids.clone()).len() as u64,
        ExportScope::Filter { .. } => client
            .count_tasks(&scope.to_filter(project_id))
            .await
            .map_err(e)?,
    };
    let summary = cfg.summary();
    Ok(ExportPlan {
        project_id: project_id.to_owned(),
        count,
        formats: format_choices(&cfg, project_id, chrono::Local::now()),
        // A damaged history file must not keep the user from exporting: only the remembered
        // folder is lost (the history screen reports the problem itself).
        last_folder: history.last_folder(project_id).unwrap_or_else(|e| {
            tracing::warn!("export history unreadable, no remembered folder: {e}");
            None
        }),
        mask_labels: summary
            .labels
            .into_iter()
            .filter(|l| l.b_channel.is_some())
            .collect(),
        iat_input_ids: summary.iat_input_ids,
    })
}

/// Runs the export, sending progress; records it in the history when it succeeded.
/// `local_files` finds the file a task was created from on this computer (the create
/// journal), for the exports with images when the lab does not serve an uploaded file.
pub async fn run(
    client: &LabClient,
    history: &HistoryStore,
    recipe: ExportRecipe,
    overwrite: bool,
    local_files: Option<lab_export::LocalFiles>,
    on_progress: impl Fn(ExportProgress) + Send + 'static,
    cancel: CancellationToken,
) -> AppResult<ExportOutcome> {
    let mut req = to_request(&recipe, overwrite)?;
    req.local_files = local_files;
    existing_folder(&recipe)?;
    let (tx, fwd) = crate::progress::forward(move |p: lab_client::Progress| {
        on_progress(ExportProgress {
            done: p.done,
            total: p.total,
        })
    });
    let result = lab_export::export(client, req, Some(tx), cancel).await;
    fwd.finish().await;
    let report = result.map_err(|e| map_export(e, client.endpoint()))?;
    let entry = HistoryEntry {
        id: uuid::Uuid::new_v4().to_string(),
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        count: report.tasks,
        path: report.path.display().to_string(),
        manifest: report.manifest.as_ref().map(|p| p.display().to_string()),
        recipe,
    };
    if let Err(e) = history.record(entry.clone()) {
        tracing::warn!("the export worked but could not be added to the history: {e}");
    }
    Ok(ExportOutcome {
        entry,
        files: report.files,
        renamed: report.renamed,
        warnings: report.warnings,
        warning_count: report.warning_count,
        images_path: report.images_path.map(|p| p.display().to_string()),
        missing_images: report
            .missing_images
            .into_iter()
            .take(MISSING_SHOWN)
            .map(|m| MissingImageRow {
                task_id: m.task_id,
                task_name: m.task_name,
                kind: m.kind,
                detail: m.detail,
            })
            .collect(),
        missing_image_count: report.missing_image_count,
        splits: report.splits,
    })
}

/// The create journal as a [`lab_export::LocalFiles`] lookup (task id → the file it was
/// created from), if the journal can be opened.
pub fn journal_files(create: &crate::create::CreateState) -> Option<lab_export::LocalFiles> {
    let journal = create.journal().ok()?;
    Some(lab_export::LocalFiles(std::sync::Arc::new(
        move |task_id: &str| match journal.local_file_of_task(task_id) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("create journal unreadable while looking up a task's file: {e}");
                None
            }
        },
    )))
}

/// Writes `bytes` to `path` through a temporary file in the same folder, renamed into place:
/// a failure never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> AppResult<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".labdesk-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| io_error(path, &e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| io_error(path, &e))?;
    tmp.persist(path).map_err(|e| io_error(path, &e.error))?;
    Ok(())
}

/// `{stem}-{YYYY-mm-dd_HH-MM-SS}.csv` with the stem reduced to letters, digits, '-' and '_'.
pub fn csv_default_name(stem: &str, now: chrono::DateTime<chrono::Local>) -> String {
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = if safe.trim_matches('-').is_empty() {
        "labdesk".to_owned()
    } else {
        safe
    };
    format!("{safe}-{}.csv", now.format("%Y-%m-%d_%H-%M-%S"))
}

/// The folder to show for a path: itself when a folder, else its parent.
pub fn folder_of(path: &Path) -> AppResult<PathBuf> {
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    if dir.as_os_str().is_empty() || !dir.is_dir() {
        return Err(AppError::msg(
            ErrorKind::NotFound,
            "err.folderMoved",
            &[("path", &path.display().to_string())],
        ));
    }
    Ok(dir)
}

/// Opens the folder holding `path` in the OS file manager.
pub fn open_folder_of(path: &Path) -> AppResult<()> {
    let dir = folder_of(path)?;
    opener::open(&dir).map_err(|e| {
        AppError::msg(
            ErrorKind::Internal,
            "err.fileManager",
            &[
                ("detail", &e.to_string()),
                ("folder", &dir.display().to_string()),
            ],
        )
    })
}

// ---------- the window's export job ----------

/// [`check_target`] on a blocking thread (it may count the files of a large folder in the way).
pub async fn check_target_off_thread(recipe: ExportRecipe) -> AppResult<TargetCheck> {
    tokio::task::spawn_blocking(move || check_target(&recipe))
        .await
        .map_err(|e| AppError::internal(format!("the folder check failed: {e}")))?
}

/// The window's export: job `job_id` (cancelled through the core's job registry), the local
/// files of the create journal for images the lab cannot serve, and its activity entry.
pub async fn run_job(
    core: &crate::core::Core,
    state: &ExportState,
    create: &crate::create::CreateState,
    job_id: &str,
    recipe: ExportRecipe,
    overwrite: bool,
    progress: impl Fn(ExportProgress) + Send + 'static,
) -> AppResult<ExportOutcome> {
    let job = core.jobs.start(job_id);
    let (client, actor) = core.actor().await?;
    let out = run(
        &client,
        &state.history,
        recipe.clone(),
        overwrite,
        journal_files(create),
        progress,
        job.token.clone(),
    )
    .await;
    // the project's name for the log (the export itself does not need it)
    let project_name = client
        .project(&recipe.project_id)
        .await
        .ok()
        .map(|p| p.name);
    record_export(core, &actor, &recipe, project_name.as_deref(), &out);
    out
}

// ---------- the activity log ----------

/// Records an export that is over.
pub fn record_export(
    core: &crate::core::Core,
    actor: &lab_activity::Actor,
    recipe: &ExportRecipe,
    project_name: Option<&str>,
    outcome: &Result<ExportOutcome, AppError>,
) {
    let r = (|| -> AppResult<i64> {
        let store = core.activity.store()?;
        let filter = to_request(recipe, false)
            .map(|r| r.filter)
            .unwrap_or_else(|_| lab_client::TaskFilter::new(&recipe.project_id));
        let format = serde_json::to_value(recipe.format)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let (path, total, written, missing, state, message) = match outcome {
            Ok(o) => (
                o.entry.path.clone(),
                o.entry.count,
                o.entry.count.saturating_sub(o.missing_image_count),
                o.missing_image_count,
                lab_activity::EntryState::Done,
                None,
            ),
            Err(e) if e.kind == ErrorKind::Cancelled => (
                String::new(),
                0,
                0,
                0,
                lab_activity::EntryState::Cancelled,
                Some(e.message.clone()),
            ),
            Err(e) => (
                String::new(),
                0,
                0,
                0,
                lab_activity::EntryState::Failed,
                Some(e.message.clone()),
            ),
        };
        lab_activity::record_export(
            &store,
            actor,
            &recipe.project_id,
            project_name,
            &filter,
            &format,
            &path,
            total,
            written,
            missing,
            state,
            message.as_deref(),
        )
        .map_err(|e| activity_error(e, ""))
    })();
    if let Err(e) = r {
        tracing::warn!("the export ran but its activity entry could not be written: {e}");
    }
}

#[cfg(test)]
mod tests;
