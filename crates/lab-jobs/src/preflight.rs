//! Pre-flight: dropped files and folders, or a JSON / CSV task list, become rows that are
//! checked before anything is sent (unreadable, empty, unsupported, names repeated in the
//! drop, names already in the batch, data invalid for the project configuration).
//!
//! Listing is cheap (metadata + the first bytes of each file, for content sniffing), so 10,000
//! files list fast; thumbnails are made on demand with [`thumbnail`] / [`Preflight::thumbnail`].
//!
//! CSV format: a header line; the column `name` is required; every column named `resource`
//! (it may repeat) adds a resource (local path, relative to the CSV file, or URL); a column
//! `score` becomes `properties.score` (a number); a column `data` holds the task data as a JSON
//! object; every other column becomes `properties.custom.<column>` (text). Empty cells are left
//! out.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use lab_client::ops::image_format::{Sniffed, is_any_image_extension, sniff};
use lab_client::ops::{TaskInput, existing_names, is_local_file};
use lab_client::{DuplicatePolicy, LabClient, ProjectConfiguration};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Invalid, Missing, Result};

/// Longest task name lab-client accepts.
const MAX_NAME_CHARS: usize = 255;
/// Largest side of a thumbnail, in pixels.
pub const THUMBNAIL_MAX_PX: u32 = 128;

/// What a row's file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "FileKind"))]
pub enum Kind {
    /// PNG, JPEG, WebP, GIF, BMP or TIFF (by content).
    Image,
    /// Readable, but its content is not an image.
    NonImage,
    /// 0 bytes.
    Empty,
    /// Could not be read (permissions, dangling link, missing).
    Unreadable,
    /// An image format the lab does not take (AVIF, HEIC, SVG, ICO, PSD…), or an image
    /// extension whose content is not that image.
    Unsupported,
    /// No local file: the task's resources are URLs / references, or it has none (JSON/CSV rows).
    Remote,
}

/// A problem of a row. Every check but `nameExistsInBatch` blocks the row (fix it or skip it);
/// `nameExistsInBatch` is decided by the duplicate policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RowCheck"))]
pub enum Check {
    /// The file could not be read.
    Unreadable {
        /// Why.
        message: String,
    },
    /// The file is empty.
    Empty,
    /// Not an image, or an image format that is not supported.
    Unsupported {
        /// What it is.
        file: UnsupportedFile,
    },
    /// Another row (not skipped) has the same name.
    NameRepeatedInDrop,
    /// A task of the batch already has this name.
    NameExistsInBatch,
    /// The data does not fit the project configuration.
    DataInvalid {
        /// JSON path in the task (e.g. `data/annotations/0/polygons`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The name is empty, too long or has control characters.
    NameInvalid {
        /// What to change.
        message: String,
    },
}

/// Why a file cannot be sent as an image (shown in the user's language by the window; `Display`
/// gives the English sentence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum UnsupportedFile {
    /// An image format the lab does not take (AVIF, HEIC, SVG…).
    ImageFormat {
        /// The format's name, e.g. `AVIF`.
        format: String,
    },
    /// The name ends in an image extension but the content is not a known image.
    NotThatImage {
        /// The extension, lower case, without the dot.
        ext: String,
    },
    /// Not an image at all.
    NotAnImage,
}

/// The image formats a file can be converted to, for the messages.
pub const SUPPORTED_FORMATS: &str = "PNG, JPEG, WebP, GIF, BMP, TIFF or AVIF";

impl std::fmt::Display for UnsupportedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnsupportedFile::ImageFormat { format } => write!(
                f,
                "{format} images are not supported: convert it to {SUPPORTED_FORMATS}"
            ),
            UnsupportedFile::NotThatImage { ext } => write!(
                f,
                "the name ends in .{ext} but the content is not a known image (damaged or renamed file?)"
            ),
            UnsupportedFile::NotAnImage => write!(f, "not an image ({SUPPORTED_FORMATS})"),
        }
    }
}

impl Check {
    /// Whether the row cannot be created as it is (duplicates are up to the policy).
    pub fn is_blocking(&self) -> bool {
        !matches!(self, Check::NameExistsInBatch)
    }

    fn is_name_check(&self) -> bool {
        matches!(
            self,
            Check::NameRepeatedInDrop | Check::NameExistsInBatch | Check::NameInvalid { .. }
        )
    }
}

/// Where a row comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RowSource {
    /// A dropped / picked file (or a file of a dropped folder).
    File,
    /// Element `index` (0-based) of a JSON task list.
    Json {
        /// Position in the list.
        index: usize,
    },
    /// Line `line` (1-based, header = 1) of a CSV file.
    Csv {
        /// Line number.
        line: u64,
    },
}

/// One task to create, as shown in the pre-flight table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Row {
    /// Where it comes from.
    pub source: RowSource,
    /// The local file (file rows; the first local resource of JSON/CSV rows).
    pub path: Option<PathBuf>,
    /// Task name (editable; default the file name).
    pub name: String,
    /// Size of the local file in bytes.
    pub size: Option<u64>,
    /// What the file is.
    pub kind: Kind,
    /// Image format sniffed from the content: png, jpeg, webp, gif, bmp, tiff.
    pub format: Option<String>,
    /// Problems.
    pub checks: Vec<Check>,
    /// Left out of the creation.
    pub skip: bool,
    /// The task sent (its name is replaced by `name`).
    pub task: TaskInput,
}

impl Row {
    /// The task to create, named as the row.
    pub fn task_input(&self) -> TaskInput {
        TaskInput {
            name: self.name.clone(),
            ..self.task.clone()
        }
    }

    fn is_blocked(&self, policy: DuplicatePolicy) -> bool {
        self.checks.iter().any(|c| match c {
            Check::NameRepeatedInDrop => policy != DuplicatePolicy::InsertAnyway,
            c => c.is_blocking(),
        })
    }

    fn is_duplicate(&self) -> bool {
        self.checks.contains(&Check::NameExistsInBatch)
    }
}

/// "N new · N duplicates · N invalid" (+ skipped). Every row is in exactly one count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "PreflightSummary"))]
pub struct Summary {
    /// Rows to create with no problem.
    pub new: usize,
    /// Rows (not invalid) whose name exists in the batch.
    pub duplicates: usize,
    /// Rows with a blocking problem (not skipped).
    pub invalid: usize,
    /// Rows the user skipped.
    pub skipped: usize,
}

/// How folders are walked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScanOptions {
    /// Folder levels walked below a dropped folder (0 = only its own files).
    pub max_depth: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self { max_depth: 32 }
    }
}

/// Something left out while walking a dropped folder. Serialises as `{"key", "params"}`
/// (catalogue key `err.<variant>`, English = `Display`), like the crate's errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "key", content = "params", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum ScanWarning {
    #[error("{path}: cannot open the folder: {detail}")]
    FolderUnopenable { path: String, detail: String },
    #[error(
        "{path}: not followed, it leads back to {target} (symbolic link loop or folder already listed)"
    )]
    FolderLoop { path: String, target: String },
    #[error("{path}: cannot list the folder: {detail}")]
    FolderUnlistable { path: String, detail: String },
    #[error("{path}: not opened, it is more than {levels} folder levels deep")]
    FolderTooDeep { path: String, levels: usize },
}

impl ScanWarning {
    /// The warning as the window shows it: its English and its catalogue message.
    pub fn info(&self) -> lab_client::ErrorInfo {
        lab_client::ErrorInfo {
            kind: lab_client::ErrorKind::Io,
            message: self.to_string(),
            catalogue: Some(lab_client::Message::of(self)),
        }
    }
}

/// The pre-flight table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preflight {
    /// Rows, in a deterministic order (drop order; folder entries by name).
    pub rows: Vec<Row>,
    /// Things left out while walking (symlink loops, folders too deep).
    pub warnings: Vec<ScanWarning>,
    /// Hidden files and folders left out.
    pub hidden_skipped: usize,
    /// Names found in the batch at the last [`check_against_batch`].
    pub existing: HashSet<String>,
    /// Names checked at the last [`check_against_batch`].
    pub checked_names: HashSet<String>,
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

struct FileFacts {
    size: Option<u64>,
    kind: Kind,
    format: Option<String>,
    check: Option<Check>,
}

/// Size, kind and problem of a local file (reads at most 64 bytes).
fn inspect(path: &Path) -> FileFacts {
    let unreadable = |message: String| FileFacts {
        size: None,
        kind: Kind::Unreadable,
        format: None,
        check: Some(Check::Unreadable { message }),
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return unreadable(format!("cannot read it: {e}")),
    };
    if !meta.is_file() {
        return unreadable("not a regular file".into());
    }
    let size = meta.len();
    if size == 0 {
        return FileFacts {
            size: Some(0),
            kind: Kind::Empty,
            format: None,
            check: Some(Check::Empty),
        };
    }
    let mut head = [0u8; 64];
    let n = match std::fs::File::open(path).and_then(|f| {
        let mut n = 0;
        let mut f = f.take(64);
        loop {
            let k = f.read(&mut head[n..])?;
            if k == 0 {
                break Ok(n);
            }
            n += k;
        }
    }) {
        Ok(n) => n,
        Err(e) => return unreadable(format!("cannot read it: {e}")),
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match sniff(&head[..n]) {
        Sniffed::Image(f) => FileFacts {
            size: Some(size),
            kind: Kind::Image,
            format: Some(f.to_string()),
            check: None,
        },
        Sniffed::OtherImage(what) => FileFacts {
            size: Some(size),
            kind: Kind::Unsupported,
            format: None,
            check: Some(Check::Unsupported {
                file: UnsupportedFile::ImageFormat {
                    format: what.to_owned(),
                },
            }),
        },
        Sniffed::Unknown if is_any_image_extension(&ext) => FileFacts {
            size: Some(size),
            kind: Kind::Unsupported,
            format: None,
            check: Some(Check::Unsupported {
                file: UnsupportedFile::NotThatImage { ext },
            }),
        },
        Sniffed::Unknown => FileFacts {
            size: Some(size),
            kind: Kind::NonImage,
            format: None,
            check: Some(Check::Unsupported {
                file: UnsupportedFile::NotAnImage,
            }),
        },
    }
}

fn file_row(path: PathBuf) -> Row {
    let facts = inspect(&path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Problem files are shown as invalid (not silently left out): the user skips or fixes them.
    let skip = false;
    Row {
        source: RowSource::File,
        name: name.clone(),
        size: facts.size,
        kind: facts.kind,
        format: facts.format,
        checks: facts.check.into_iter().collect(),
        skip,
        task: TaskInput {
            name,
            resources: Some(vec![path.to_string_lossy().into_owned()]),
            ..TaskInput::default()
        },
        path: Some(path),
    }
}

/// A row of a JSON / CSV list: local resources resolved against `base`, the first one inspected.
fn task_row(mut task: TaskInput, source: RowSource, base: Option<&Path>) -> Row {
    let mut first_local = None;
    for r in task.resources.iter_mut().flatten() {
        if is_local_file(r) {
            let p = Path::new(r.as_str());
            let p = match base {
                Some(b) if p.is_relative() => b.join(p),
                _ => p.to_path_buf(),
            };
            *r = p.to_string_lossy().into_owned();
            if first_local.is_none() {
                first_local = Some(p);
            }
        }
    }
    let (size, kind, format, checks) = match &first_local {
        Some(p) => {
            let f = inspect(p);
            (f.size, f.kind, f.format, f.check.into_iter().collect())
        }
        None => (None, Kind::Remote, None, Vec::new()),
    };
    Row {
        source,
        path: first_local,
        name: task.name.clone(),
        size,
        kind,
        format,
        checks,
        skip: false,
        task,
    }
}

fn name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("every task needs a name: type one".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!("contains a control character ({c:?}): remove it"));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Some(format!(
            "{n} characters long: shorten it to at most {MAX_NAME_CHARS}"
        ));
    }
    None
}

impl Preflight {
    /// Rows of dropped / picked files and folders. Folders are walked (entries by name, hidden
    /// ones left out, at most `opts.max_depth` levels, symlink loops not followed); a dropped
    /// path that does not exist becomes an unreadable row.
    pub fn from_paths(paths: &[PathBuf], opts: &ScanOptions) -> Self {
        let mut pf = Preflight::default();
        let mut visited = HashSet::new();
        for p in paths {
            if is_hidden(p) {
                pf.hidden_skipped += 1;
                continue;
            }
            if std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
                pf.walk(p, 0, opts, &mut visited);
            } else {
                pf.rows.push(file_row(p.clone()));
            }
        }
        pf.recheck_names();
        pf
    }

    fn walk(
        &mut self,
        dir: &Path,
        depth: usize,
        opts: &ScanOptions,
        visited: &mut HashSet<PathBuf>,
    ) {
        let canonical = match std::fs::canonicalize(dir) {
            Ok(c) => c,
            Err(e) => {
                self.warnings.push(ScanWarning::FolderUnopenable {
                    path: dir.display().to_string(),
                    detail: e.to_string(),
                });
                return;
            }
        };
        if !visited.insert(canonical.clone()) {
            self.warnings.push(ScanWarning::FolderLoop {
                path: dir.display().to_string(),
                target: canonical.display().to_string(),
            });
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => {
                self.warnings.push(ScanWarning::FolderUnlistable {
                    path: dir.display().to_string(),
                    detail: e.to_string(),
                });
                return;
            }
        };
        let mut names: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        names.sort();
        for name in names {
            let p = dir.join(&name);
            if name.to_string_lossy().starts_with('.') {
                self.hidden_skipped += 1;
                continue;
            }
            if std::fs::metadata(&p).is_ok_and(|m| m.is_dir()) {
                if depth >= opts.max_depth {
                    self.warnings.push(ScanWarning::FolderTooDeep {
                        path: p.display().to_string(),
                        levels: opts.max_depth,
                    });
                } else {
                    self.walk(&p, depth + 1, opts, visited);
                }
            } else {
                self.rows.push(file_row(p));
            }
        }
    }

    /// Rows of a JSON task list (the SDK's create_tasks format). Relative local resources are
    /// resolved against `base` (the list's folder). The error names the element and field.
    pub fn from_json_str(text: &str, base: Option<&Path>) -> Result<Self> {
        let tasks = TaskInput::list_from_json(text)?;
        let mut pf = Preflight {
            rows: tasks
                .into_iter()
                .enumerate()
                .map(|(index, t)| task_row(t, RowSource::Json { index }, base))
                .collect(),
            ..Preflight::default()
        };
        pf.recheck_names();
        Ok(pf)
    }

    /// [`Preflight::from_json_str`] of a file (relative resources against its folder).
    pub fn from_json_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        Self::from_json_str(&text, path.parent()).map_err(|e| e.in_file(path))
    }

    /// Rows of a CSV (see the module doc for the columns). Errors name the line and column.
    pub fn from_csv_str(text: &str, base: Option<&Path>) -> Result<Self> {
        let mut rd = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = rd
            .headers()
            .map_err(|e| Invalid::CsvHeader {
                detail: e.to_string(),
            })?
            .iter()
            .map(str::to_string)
            .collect();
        if !headers.iter().any(|h| h == "name") {
            return Err(Invalid::CsvNoNameColumn {
                columns: headers.join(", "),
            }
            .into());
        }
        let mut seen = HashSet::new();
        for h in &headers {
            if h.is_empty() {
                return Err(Invalid::CsvUnnamedColumn.into());
            }
            if h != "resource" && !seen.insert(h.as_str()) {
                return Err(Invalid::CsvColumnTwice { column: h.clone() }.into());
            }
        }
        let mut pf = Preflight::default();
        for rec in rd.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                Invalid::CsvLine {
                    line,
                    detail: e.to_string(),
                }
            })?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let mut task = TaskInput::default();
            let mut resources = Vec::new();
            let mut custom = Map::new();
            let mut props = Map::new();
            for (h, v) in headers.iter().zip(rec.iter()) {
                if v.is_empty() {
                    continue;
                }
                match h.as_str() {
                    "name" => task.name = v.to_string(),
                    "resource" => resources.push(v.to_string()),
                    "score" => {
                        let n: f64 = v.parse().map_err(|_| Invalid::CsvScoreNotNumber {
                            line,
                            value: v.to_string(),
                        })?;
                        props.insert("score".into(), Value::from(n));
                    }
                    "data" => {
                        let d: Value =
                            serde_json::from_str(v).map_err(|e| Invalid::CsvDataNotJson {
                                line,
                                detail: e.to_string(),
                            })?;
                        if !d.is_object() {
                            return Err(Invalid::CsvDataNotObject { line }.into());
                        }
                        task.data = Some(d);
                    }
                    other => {
                        custom.insert(other.to_string(), Value::String(v.to_string()));
                    }
                }
            }
            if !resources.is_empty() {
                task.resources = Some(resources);
            }
            if !custom.is_empty() {
                props.insert("custom".into(), Value::Object(custom));
            }
            if !props.is_empty() {
                task.properties = Some(Value::Object(props));
            }
            pf.rows.push(task_row(task, RowSource::Csv { line }, base));
        }
        if pf.rows.is_empty() {
            return Err(Invalid::CsvNoTaskLine.into());
        }
        pf.recheck_names();
        Ok(pf)
    }

    /// [`Preflight::from_csv_str`] of a file (relative resources against its folder).
    pub fn from_csv_file(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path.display().to_string(), e))?;
        Self::from_csv_str(&text, path.parent()).map_err(|e| e.in_file(path))
    }

    /// Add rows (e.g. a second drop) and recheck the names.
    pub fn extend(&mut self, other: Preflight) {
        self.rows.extend(other.rows);
        self.warnings.extend(other.warnings);
        self.hidden_skipped += other.hidden_skipped;
        self.recheck_names();
    }

    fn row_mut(&mut self, idx: usize) -> Result<&mut Row> {
        let n = self.rows.len();
        self.rows
            .get_mut(idx)
            .ok_or(Error::NotFound(Missing::NoRow { row: idx, count: n }))
    }

    /// Rename a row; repeated / existing names are rechecked for every row.
    pub fn rename(&mut self, idx: usize, name: &str) -> Result<()> {
        self.row_mut(idx)?.name = name.to_string();
        self.recheck_names();
        Ok(())
    }

    /// Skip (or un-skip) a row; names are rechecked (a skipped row repeats no name).
    pub fn set_skip(&mut self, idx: usize, skip: bool) -> Result<()> {
        self.row_mut(idx)?.skip = skip;
        self.recheck_names();
        Ok(())
    }

    /// Whether some name was never checked against the batch (after a rename or an extend):
    /// call [`check_against_batch`] again before creating.
    pub fn needs_batch_check(&self) -> bool {
        self.rows
            .iter()
            .any(|r| !r.skip && !self.checked_names.contains(&r.name))
    }

    /// Recompute the name checks (repeated in the drop among rows not skipped, known to exist
    /// in the batch, invalid).
    pub fn recheck_names(&mut self) {
        let mut count: HashMap<String, usize> = HashMap::new();
        for r in self.rows.iter().filter(|r| !r.skip) {
            *count.entry(r.name.clone()).or_default() += 1;
        }
        for r in &mut self.rows {
            r.checks.retain(|c| !c.is_name_check());
            if let Some(message) = name_problem(&r.name) {
                r.checks.push(Check::NameInvalid { message });
            }
            if !r.skip && count.get(&r.name).copied().unwrap_or(0) > 1 {
                r.checks.push(Check::NameRepeatedInDrop);
            }
            if self.existing.contains(&r.name) {
                r.checks.push(Check::NameExistsInBatch);
            }
        }
    }

    /// The counts of the summary line.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.rows {
            if r.skip {
                s.skipped += 1;
            } else if r.is_blocked(DuplicatePolicy::Refuse) {
                s.invalid += 1;
            } else if r.is_duplicate() {
                s.duplicates += 1;
            } else {
                s.new += 1;
            }
        }
        s
    }

    /// The tasks to create under `policy`: rows not skipped; with `SkipExisting` the rows whose
    /// name exists are left out. Refused (with what to do) while a row not skipped has a
    /// blocking problem, or with `Refuse` while a name exists in the batch.
    pub fn tasks_to_create(&self, policy: DuplicatePolicy) -> Result<Vec<TaskInput>> {
        let live = || self.rows.iter().filter(|r| !r.skip);
        let blocked: Vec<&str> = live()
            .filter(|r| r.is_blocked(policy))
            .map(|r| r.name.as_str())
            .collect();
        if !blocked.is_empty() {
            return Err(Invalid::RowsWithProblems {
                count: blocked.len(),
                names: list_some(&blocked),
            }
            .into());
        }
        let dupes: Vec<&str> = live()
            .filter(|r| r.is_duplicate())
            .map(|r| r.name.as_str())
            .collect();
        if policy == DuplicatePolicy::Refuse && !dupes.is_empty() {
            return Err(Invalid::RowNamesInBatch {
                count: dupes.len(),
                names: list_some(&dupes),
            }
            .into());
        }
        let tasks: Vec<TaskInput> = live()
            .filter(|r| !(policy == DuplicatePolicy::SkipExisting && r.is_duplicate()))
            .map(Row::task_input)
            .collect();
        if tasks.is_empty() {
            return Err(Invalid::NothingToCreate.into());
        }
        Ok(tasks)
    }

    /// Thumbnail of row `idx` (see [`thumbnail`]); `None` for rows without a local image.
    pub fn thumbnail(&self, idx: usize) -> Result<Option<String>> {
        let r = self.rows.get(idx).ok_or(Error::NotFound(Missing::NoRow {
            row: idx,
            count: self.rows.len(),
        }))?;
        match (&r.path, r.kind, r.format.as_deref()) {
            // no AVIF decoder is built in: such a row shows the no-thumbnail placeholder
            (_, _, Some("avif")) => Ok(None),
            (Some(p), Kind::Image, _) => thumbnail(p, THUMBNAIL_MAX_PX).map(Some),
            _ => Ok(None),
        }
    }
}

fn list_some(names: &[&str]) -> String {
    let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        format!("{shown} and {} more", names.len() - 3)
    } else {
        shown
    }
}

/// A PNG thumbnail (at most `max_px` on its longest side, aspect kept) as a
/// `data:image/png;base64,…` URL.
pub fn thumbnail(path: &Path, max_px: u32) -> Result<String> {
    let img = image::ImageReader::open(path)
        .map_err(|e| Error::io(path.display().to_string(), e))?
        .with_guessed_format()
        .map_err(|e| Error::io(path.display().to_string(), e))?
        .decode()
        .map_err(|e| Invalid::ImageUndecodable {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
    let small = img.thumbnail(max_px.max(1), max_px.max(1));
    let mut png = Vec::new();
    small
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Invalid::ThumbnailNotMade {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

/// JSON-schema problems of `value` as `(path, message)`; path prefixed by `prefix`.
fn schema_problems(validator: &jsonschema::Validator, prefix: &str, value: &Value) -> Vec<Check> {
    validator
        .iter_errors(value)
        .take(5)
        .map(|e| {
            let p = e.instance_path().to_string();
            Check::DataInvalid {
                path: format!("{prefix}{p}"),
                message: e.to_string(),
            }
        })
        .collect()
}

/// Check the data of every row against the project's configuration (lab-client's schemas),
/// replacing earlier data checks.
pub fn check_data(pf: &mut Preflight, cfg: &ProjectConfiguration) -> Result<()> {
    let compile = |schema: &Value| {
        jsonschema::draft202012::new(schema).map_err(|e| Invalid::DataSchemaUnusable {
            detail: e.to_string(),
        })
    };
    let data = compile(&lab_client::schema::data_schema(cfg)?)?;
    let overwrite = if cfg.is_form() {
        Some(compile(&lab_client::schema::form_overwrite_schema(cfg)?)?)
    } else {
        None
    };
    for r in &mut pf.rows {
        r.checks.retain(|c| !matches!(c, Check::DataInvalid { .. }));
        let mut found = Vec::new();
        match &r.task.data {
            None | Some(Value::Null) => {}
            Some(Value::Object(o)) if o.is_empty() => {}
            Some(d) => found.extend(schema_problems(&data, "data", d)),
        }
        if let (Some(v), Some(o)) = (
            &overwrite,
            r.task
                .project_configuration_overwrite
                .as_ref()
                .filter(|o| !o.is_null()),
        ) {
            found.extend(schema_problems(v, "project_configuration_overwrite", o));
        }
        r.checks.extend(found);
    }
    Ok(())
}

/// Check the rows against the lab: names already in `batch_id` (the tasks-duplicate route; no
/// batch = a batch still to be created, nothing exists) and data against the configuration of
/// `project_id`. Updates the checks in place.
pub async fn check_against_batch(
    client: &LabClient,
    project_id: &str,
    batch_id: Option<&str>,
    pf: &mut Preflight,
) -> Result<()> {
    let cfg = client.project_configuration(project_id).await?;
    let mut names: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for r in &pf.rows {
        if seen.insert(r.name.clone()) {
            names.push(r.name.clone());
        }
    }
    let existing = match batch_id {
        Some(b) => existing_names(client, b, &names).await?,
        None => Vec::new(),
    };
    pf.existing = existing.into_iter().collect();
    pf.checked_names = names.into_iter().collect();
    check_data(pf, &cfg)?;
    pf.recheck_names();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{self, BATCH, EMPTY_BATCH, PROJECT};
    use std::time::Duration;

    fn names(pf: &Preflight) -> Vec<&str> {
        pf.rows.iter().map(|r| r.name.as_str()).collect()
    }

    fn row<'a>(pf: &'a Preflight, rel: &str) -> &'a Row {
        pf.rows
            .iter()
            .find(|r| r.path.as_ref().is_some_and(|p| p.ends_with(rel)))
            .unwrap_or_else(|| panic!("no row for {rel}: {:?}", names(pf)))
    }

    #[test]
    fn walks_a_tree_skipping_hidden_flagging_problems_and_loops() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("drop");
        std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        let png = test_support::png(3, 2);
        std::fs::write(d.join("b.png"), &png).unwrap();
        std::fs::write(d.join("a.PNG"), &png).unwrap();
        std::fs::write(d.join("photo.jpg"), &png).unwrap(); // PNG content, .jpg name: sniffed
        std::fs::write(d.join(".hidden.png"), &png).unwrap();
        std::fs::write(d.join(".git/x.png"), &png).unwrap();
        std::fs::write(d.join("notes.txt"), "hello").unwrap();
        std::fs::write(d.join("empty.png"), "").unwrap();
        std::fs::write(d.join("fake.png"), "not a png at all").unwrap();
        std::fs::write(d.join("pic.avif"), b"\0\0\0\x1cftypavif\0\0\0\0").unwrap();
        std::fs::write(d.join("phone.heic"), b"\0\0\0\x18ftypheic\0\0\0\0").unwrap();
        std::fs::write(d.join("sub/b.png"), &png).unwrap();
        std::fs::write(d.join("sub/deeper/c.gif"), b"GIF89a\x01\0\x01\0\0\0\0;").unwrap();
        std::os::unix::fs::symlink(&d, d.join("sub/loop")).unwrap();
        let lone = t.path().join("lone.webp");
        std::fs::write(&lone, b"RIFF\x10\0\0\0WEBPVP8 ").unwrap();

        let pf = Preflight::from_paths(&[d.clone(), lone.clone()], &ScanOptions::default());
        assert_eq!(
            names(&pf),
            [
                "a.PNG",
                "b.png",
                "empty.png",
                "fake.png",
                "notes.txt",
                "phone.heic",
                "photo.jpg",
                "pic.avif",
                "b.png",
                "c.gif",
                "lone.webp"
            ]
        );
        assert_eq!(pf.hidden_skipped, 2);
        assert!(
            pf.warnings.iter().any(|w| matches!(w,
                ScanWarning::FolderLoop { path, .. } if path.ends_with("sub/loop"))
                && w.to_string().contains("loop")),
            "{:?}",
            pf.warnings
        );
        let a = row(&pf, "drop/a.PNG");
        assert_eq!(
            (a.kind, a.format.as_deref(), a.size),
            (Kind::Image, Some("png"), Some(png.len() as u64))
        );
        assert!(a.checks.is_empty() && !a.skip);
        assert_eq!(row(&pf, "photo.jpg").format.as_deref(), Some("png"));
        assert_eq!(row(&pf, "c.gif").format.as_deref(), Some("gif"));
        assert_eq!(row(&pf, "lone.webp").format.as_deref(), Some("webp"));
        let e = row(&pf, "empty.png");
        assert_eq!((e.kind, e.skip), (Kind::Empty, false));
        assert_eq!(e.checks, [Check::Empty]);
        let n = row(&pf, "notes.txt");
        assert_eq!(n.kind, Kind::NonImage);
        assert_eq!(
            n.checks,
            [Check::Unsupported {
                file: UnsupportedFile::NotAnImage
            }]
        );
        let f = row(&pf, "fake.png");
        assert_eq!(f.kind, Kind::Unsupported);
        assert_eq!(
            f.checks,
            [Check::Unsupported {
                file: UnsupportedFile::NotThatImage { ext: "png".into() }
            }]
        );
        assert_eq!(
            UnsupportedFile::NotThatImage { ext: "png".into() }.to_string(),
            "the name ends in .png but the content is not a known image (damaged or renamed file?)"
        );
        // AVIF is taken (as by `lab create-tasks`); HEIC is an image the lab does not take
        let av = row(&pf, "pic.avif");
        assert_eq!((av.kind, av.format.as_deref()), (Kind::Image, Some("avif")));
        assert!(av.checks.is_empty(), "{:?}", av.checks);
        assert_eq!(
            pf.thumbnail(pf.rows.iter().position(|r| r.name == "pic.avif").unwrap())
                .unwrap(),
            None
        );
        let heic = row(&pf, "phone.heic");
        assert_eq!(
            heic.checks,
            [Check::Unsupported {
                file: UnsupportedFile::ImageFormat {
                    format: "HEIC/HEIF".into()
                }
            }]
        );
        // b.png twice in the drop
        assert!(
            row(&pf, "drop/b.png")
                .checks
                .contains(&Check::NameRepeatedInDrop)
        );
        assert!(
            row(&pf, "sub/b.png")
                .checks
                .contains(&Check::NameRepeatedInDrop)
        );
        assert_eq!(
            pf.summary(),
            Summary {
                new: 5,
                duplicates: 0,
                invalid: 6,
                skipped: 0
            }
        );
        // the same drop lists the same way
        assert_eq!(
            Preflight::from_paths(&[d, lone], &ScanOptions::default()),
            pf
        );
    }

    #[test]
    fn depth_is_bounded_and_missing_paths_are_unreadable() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("a/b")).unwrap();
        std::fs::write(t.path().join("a/top.png"), test_support::png(1, 1)).unwrap();
        std::fs::write(t.path().join("a/b/deep.png"), test_support::png(1, 1)).unwrap();
        let missing = t.path().join("gone.png");
        let pf = Preflight::from_paths(
            &[t.path().join("a"), missing],
            &ScanOptions { max_depth: 0 },
        );
        assert_eq!(names(&pf), ["top.png", "gone.png"]);
        assert!(
            pf.warnings[0]
                .to_string()
                .contains("more than 0 folder levels")
                && matches!(
                    &pf.warnings[0],
                    ScanWarning::FolderTooDeep { levels: 0, .. }
                ),
            "{:?}",
            pf.warnings
        );
        let g = &pf.rows[1];
        assert_eq!(g.kind, Kind::Unreadable);
        assert!(matches!(&g.checks[0], Check::Unreadable { .. }));
    }

    #[test]
    fn ten_thousand_files_listed_in_order() {
        let t = tempfile::tempdir().unwrap();
        let files = test_support::png_files(&t.path().join("big"), 10_000);
        let pf = Preflight::from_paths(&[t.path().join("big")], &ScanOptions::default());
        assert_eq!(pf.rows.len(), 10_000);
        let listed: Vec<_> = pf.rows.iter().map(|r| r.path.clone().unwrap()).collect();
        assert_eq!(listed, files);
        assert!(
            pf.rows
                .iter()
                .all(|r| r.kind == Kind::Image && r.checks.is_empty())
        );
        assert_eq!(pf.summary().new, 10_000);
    }

    #[test]
    fn thumbnail_is_a_small_png_data_url() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("wide.png");
        std::fs::write(&p, test_support::png(300, 150)).unwrap();
        std::fs::write(t.path().join("x.txt"), "text").unwrap();
        let pf = Preflight::from_paths(&[p, t.path().join("x.txt")], &ScanOptions::default());
        let url = pf.thumbnail(0).unwrap().unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (128, 64));
        assert_eq!(pf.thumbnail(1).unwrap(), None);
        assert!(matches!(pf.thumbnail(5), Err(Error::NotFound(_))));
    }

    #[test]
    fn rename_and_skip_recheck_repeated_names() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("x")).unwrap();
        std::fs::write(t.path().join("a.png"), test_support::png(1, 1)).unwrap();
        std::fs::write(t.path().join("x/a.png"), test_support::png(1, 1)).unwrap();
        std::fs::write(t.path().join("c.png"), test_support::png(1, 1)).unwrap();
        let mut pf = Preflight::from_paths(
            &[
                t.path().join("a.png"),
                t.path().join("x"),
                t.path().join("c.png"),
            ],
            &ScanOptions::default(),
        );
        assert_eq!(pf.summary().invalid, 2);
        pf.rename(1, "a-2.png").unwrap();
        assert!(pf.rows.iter().all(|r| r.checks.is_empty()));
        assert_eq!(pf.rows[1].task_input().name, "a-2.png");
        pf.rename(2, "a.png").unwrap();
        assert_eq!(pf.rows[0].checks, [Check::NameRepeatedInDrop]);
        pf.set_skip(0, true).unwrap();
        assert!(pf.rows[2].checks.is_empty());
        assert_eq!(
            pf.summary(),
            Summary {
                new: 2,
                duplicates: 0,
                invalid: 0,
                skipped: 1
            }
        );
        pf.rename(2, "").unwrap();
        assert!(matches!(&pf.rows[2].checks[0], Check::NameInvalid { .. }));
        assert!(pf.tasks_to_create(DuplicatePolicy::SkipExisting).is_err());
        assert!(pf.rename(9, "z").is_err());
    }

    #[test]
    fn json_list_loads_and_errors_name_the_element() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("one.png"), test_support::png(2, 2)).unwrap();
        let text = r#"[
            {"name": "one", "resources": ["one.png"], "properties": {"score": 2}},
            {"name": "remote", "resources": ["https://example.invalid/r.png"], "data": {"annotations": []}}
        ]"#;
        let list = t.path().join("tasks.json");
        std::fs::write(&list, text).unwrap();
        let pf = Preflight::from_json_file(&list).unwrap();
        assert_eq!(names(&pf), ["one", "remote"]);
        assert_eq!(pf.rows[0].source, RowSource::Json { index: 0 });
        assert_eq!(pf.rows[0].kind, Kind::Image);
        assert_eq!(
            pf.rows[0].task.resources.as_ref().unwrap()[0],
            t.path().join("one.png").to_string_lossy()
        );
        assert_eq!(pf.rows[1].kind, Kind::Remote);

        let bad = r#"[{"name": "a"}, {"name": "b", "resources": "x.png"}]"#;
        let e = Preflight::from_json_str(bad, None).unwrap_err().to_string();
        assert!(e.contains("[1].resources"), "{e}");
        std::fs::write(&list, "[{\"name\": \"a\"},\n {\"name\": 3}]").unwrap();
        let e = Preflight::from_json_file(&list).unwrap_err().to_string();
        assert!(
            e.contains("tasks.json") && e.contains("[1].name") && e.contains("line 2"),
            "{e}"
        );
    }

    #[test]
    fn csv_loads_columns_and_errors_name_line_and_column() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("p.png"), test_support::png(2, 2)).unwrap();
        let text = "name,resource,resource,score,team,data\n\
                    first,p.png,https://example.invalid/2.png,0.5,red,\n\
                    \"second, with comma\",https://example.invalid/s.png,,,,\"{\"\"annotations\"\": []}\"\n";
        let csv = t.path().join("list.csv");
        std::fs::write(&csv, text).unwrap();
        let pf = Preflight::from_csv_file(&csv).unwrap();
        assert_eq!(names(&pf), ["first", "second, with comma"]);
        let first = &pf.rows[0];
        assert_eq!(first.source, RowSource::Csv { line: 2 });
        assert_eq!(first.kind, Kind::Image);
        assert_eq!(first.task.resources.as_ref().unwrap().len(), 2);
        assert_eq!(
            first.task.properties,
            Some(serde_json::json!({"score": 0.5, "custom": {"team": "red"}}))
        );
        assert_eq!(pf.rows[1].task.properties, None);
        assert_eq!(
            pf.rows[1].task.data,
            Some(serde_json::json!({"annotations": []}))
        );

        let e = Preflight::from_csv_str("name,score\na,1\nb,high\n", None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3") && e.contains("`score`") && e.contains("high"),
            "{e}"
        );
        let e = Preflight::from_csv_str("name,resource\na,x\nb,y,z\n", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
        let e = Preflight::from_csv_str("title,resource\na,x\n", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `name` column") && e.contains("title"), "{e}");
        let e = Preflight::from_csv_str("name,data\na,{oops\n", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("`data`"), "{e}");
        let e = Preflight::from_csv_str("name\n", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no task line"), "{e}");
    }

    #[tokio::test]
    async fn batch_check_flags_existing_names_and_invalid_data() {
        let lab = test_support::lab(Duration::ZERO).await;
        let text = r#"[
            {"name": "alpha.png", "resources": ["https://example.invalid/a.png"]},
            {"name": "new.png", "resources": ["https://example.invalid/n.png"]},
            {"name": "bad.png", "resources": ["https://example.invalid/b.png"],
             "data": {"annotations": [{"polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 7, 0.2, 0.2]}}]}]}}
        ]"#;
        let mut pf = Preflight::from_json_str(text, None).unwrap();
        check_against_batch(&lab.client, PROJECT, Some(BATCH), &mut pf)
            .await
            .unwrap();
        assert_eq!(pf.rows[0].checks, [Check::NameExistsInBatch]);
        assert!(pf.rows[1].checks.is_empty());
        match &pf.rows[2].checks[0] {
            Check::DataInvalid { path, .. } => {
                assert!(path.starts_with("data/annotations/0/polygons"), "{path}")
            }
            c => panic!("{c:?}"),
        }
        assert_eq!(
            pf.summary(),
            Summary {
                new: 1,
                duplicates: 1,
                invalid: 1,
                skipped: 0
            }
        );
        assert!(!pf.needs_batch_check());
        let e = pf
            .tasks_to_create(DuplicatePolicy::SkipExisting)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.png"), "{e}");
        pf.set_skip(2, true).unwrap();
        let e = pf
            .tasks_to_create(DuplicatePolicy::Refuse)
            .unwrap_err()
            .to_string();
        assert!(e.contains("alpha.png"), "{e}");
        let tasks = pf.tasks_to_create(DuplicatePolicy::SkipExisting).unwrap();
        assert_eq!(
            tasks.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["new.png"]
        );
        assert_eq!(
            pf.tasks_to_create(DuplicatePolicy::InsertAnyway)
                .unwrap()
                .len(),
            2
        );
        // renaming the duplicate makes it new, but unchecked until the next batch check
        pf.rename(0, "alpha-2.png").unwrap();
        assert!(pf.rows[0].checks.is_empty());
        assert!(pf.needs_batch_check());
        // a batch still to be created has no duplicates
        let mut pf2 = Preflight::from_json_str(text, None).unwrap();
        check_against_batch(&lab.client, PROJECT, None, &mut pf2)
            .await
            .unwrap();
        assert!(pf2.rows[0].checks.is_empty());
        check_against_batch(&lab.client, PROJECT, Some(EMPTY_BATCH), &mut pf2)
            .await
            .unwrap();
        assert!(pf2.rows[0].checks.is_empty());
    }
}
