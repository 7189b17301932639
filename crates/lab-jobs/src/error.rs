//! Errors of lab-jobs; they reach the UI as `{kind, message}` like lab-client's.

use lab_client::{ErrorInfo, ErrorKind, Message};
use serde::{Serialize, Serializer};

/// Result with this crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(thiserror::Error, Debug)]
pub enum Error {
    /// An API call failed.
    #[error(transparent)]
    Client(#[from] lab_client::Error),
    /// A task list (JSON or CSV) or a request is not usable; the message says where and what to do.
    #[error("{0}")]
    Input(#[from] Invalid),
    /// A task list file is not usable: `source` says where in it and what to do.
    #[error("{path}: {source}")]
    InFile {
        /// The file, as the user gave it.
        path: String,
        /// The problem.
        source: Box<Error>,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The job journal (SQLite) failed.
    #[error("job journal: {0}")]
    Journal(#[from] rusqlite::Error),
    /// No such job (or row).
    #[error("{0}")]
    NotFound(Missing),
    /// The job cannot do that in its state (e.g. run a cancelled job), or its journal entry is
    /// damaged.
    #[error("{0}")]
    State(Refused),
    /// A task's creation hit a problem that stops the whole job (connection lost, session
    /// ended, not allowed); the job is paused and can be resumed.
    #[error("{}", .0.message)]
    Stopped(ErrorInfo),
}

/// A task list or a create table that cannot be used as it is. Like lab-client's
/// [`lab_client::Invalid`], each variant serialises as `{"key", "params"}`: catalogue key
/// `err.<variant in camelCase>`, English = `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "key", content = "params", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum Invalid {
    #[error("The CSV has a header but no task line: add one line per task")]
    CsvNoTaskLine,
    #[error("CSV header (line 1): {detail}")]
    CsvHeader { detail: String },
    #[error(
        "CSV line 1: no `name` column (columns found: {columns}); the header must be like `name,resource,...`"
    )]
    CsvNoNameColumn { columns: String },
    #[error("CSV line 1: a column has no name; name every column of the header")]
    CsvUnnamedColumn,
    #[error("CSV line 1: the column `{column}` appears twice (only `resource` may repeat)")]
    CsvColumnTwice { column: String },
    #[error("CSV line {line}, column `score`: \"{value}\" is not a number")]
    CsvScoreNotNumber { line: u64, value: String },
    #[error("CSV line {line}, column `data`: not JSON ({detail}); write the data as a JSON object")]
    CsvDataNotJson { line: u64, detail: String },
    #[error(
        "CSV line {line}, column `data`: must be a JSON object like {{\"annotations\": [...]}}"
    )]
    CsvDataNotObject { line: u64 },
    #[error("CSV line {line}: {detail}")]
    CsvLine { line: u64, detail: String },
    #[error("{path}: cannot decode the image: {detail}")]
    ImageUndecodable { path: String, detail: String },
    #[error("{path}: cannot make a thumbnail: {detail}")]
    ThumbnailNotMade { path: String, detail: String },
    #[error("The project's data schema is not usable: {detail}")]
    DataSchemaUnusable { detail: String },
    #[error("Task \"{task}\" cannot be kept in the job journal: {detail}")]
    TaskUnstorable { task: String, detail: String },
    #[error("{count} row(s) have problems ({names}): fix or skip them first")]
    RowsWithProblems { count: usize, names: String },
    #[error(
        "{count} name(s) already exist in the batch ({names}): rename or skip them, or choose \"skip existing\" or \"insert anyway\""
    )]
    RowNamesInBatch { count: usize, names: String },
    #[error(
        "{count} task name(s) already exist in the batch ({names}): rename them, or choose \"skip existing\" or \"insert anyway\""
    )]
    JobNamesInBatch { count: usize, names: String },
    #[error("Nothing to create: every row is skipped or already in the batch")]
    NothingToCreate,
}

/// What was not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "key", content = "params", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum Missing {
    #[error("There is no row {row} in the list (it has {count} rows): reload the files.")]
    NoRow { row: usize, count: usize },
    #[error("There is no job {id} in the job journal: it may have been deleted.")]
    NoJob { id: String },
}

/// What a job cannot do now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "key", content = "params", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum Refused {
    #[error("The job is running: pause it or wait for it to end before retrying failed items")]
    RetryWhileRunning,
    #[error("This job was cancelled: start a new one (or use \"retry failed only\" to reopen it)")]
    JobCancelled,
    #[error(
        "Job {job}, item {item}: damaged journal entry ({detail}); delete the job and create its tasks again"
    )]
    DamagedEntry {
        job: String,
        item: u64,
        detail: String,
    },
    #[error(
        "Job {job}: damaged journal entry ({detail}); delete the job and create its tasks again"
    )]
    DamagedJob { job: String, detail: String },
    #[error(
        "The job journal {path} was written by a newer Lab Desk (format {version}, this one reads up to {known}): update Lab Desk to see and resume its jobs"
    )]
    NewerJournal {
        path: String,
        version: i64,
        known: i64,
    },
}

/// Why an item of a job was left out or not created when the lab gave no error for it: kept
/// with the item as an [`ErrorInfo`] like the lab's errors, so the window words it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "key", content = "params", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum ItemNote {
    #[error("A task with this name is already in the batch")]
    NameInBatch,
    #[error("Not created: the lab gave no reason")]
    NotCreated,
    #[error(
        "The app stopped while this task was being created: it may or may not exist (no duplicate check under \"insert anyway\"); check the batch, then use \"retry failed only\" if it is missing"
    )]
    InDoubt,
}

impl ItemNote {
    /// The note as an item's error.
    pub fn info(self) -> ErrorInfo {
        ErrorInfo {
            kind: ErrorKind::Validation,
            message: self.to_string(),
            catalogue: Some(Message::of(&self)),
        }
    }
}

impl Error {
    /// The error as a catalogue message (see [`lab_client::Message`]), when it has one.
    pub fn message(&self) -> Option<Message> {
        match self {
            Self::Client(e) => e.message(),
            Self::Input(i) => Some(Message::of(i)),
            Self::InFile { path, source } => {
                let inner = source.message()?;
                Some(
                    Message::new("err.inFile")
                        .with("path", path)
                        .with_detail(inner),
                )
            }
            Self::NotFound(m) => Some(Message::of(m)),
            Self::State(r) => Some(Message::of(r)),
            Self::Stopped(info) => info.catalogue.clone(),
            Self::Io { .. } | Self::Journal(_) => None,
        }
    }

    /// `self` as a problem of the task list `path` (errors about its content only).
    pub(crate) fn in_file(self, path: &std::path::Path) -> Self {
        match self {
            e @ (Self::Input(_) | Self::Client(lab_client::Error::Validation(_))) => Self::InFile {
                path: path.display().to_string(),
                source: Box::new(e),
            },
            e => e,
        }
    }

    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// The kind the UI shows.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Client(e) => e.kind(),
            Self::Input(_) => ErrorKind::Validation,
            Self::InFile { source, .. } => source.kind(),
            Self::Io { .. } | Self::Journal(_) => ErrorKind::Io,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::State(_) => ErrorKind::BadRequest,
            Self::Stopped(info) => info.kind,
        }
    }

    /// `{kind, message}` for the UI.
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            kind: self.kind(),
            message: self.to_string(),
            catalogue: self.message(),
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.info().serialize(s)
    }
}
