//! Export errors. Every message says what went wrong and what to do.

use serde::Serialize;
use std::path::PathBuf;

pub type Result<T, E = ExportError> = std::result::Result<T, E>;

#[derive(thiserror::Error, Debug)]
pub enum ExportError {
    #[error("nothing to export: no task matches the filters")]
    NothingToExport,
    #[error("{0}")]
    Unsupported(String),
    #[error("invalid export option: {0}")]
    InvalidOption(String),
    #[error("{0}")]
    InvalidFilename(String),
    #[error("{} already exists: choose another output name or allow overwriting", .0.display())]
    AlreadyExists(PathBuf),
    #[error("export cancelled; nothing was written")]
    Cancelled,
    #[error("cannot write {}: {source}. Choose a folder you can write to, with enough free space.", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Client(#[from] lab_client::Error),
    /// The listing of tasks ended without reaching the last page (its task failed: a bug).
    #[error(
        "the task listing stopped before the last page because of an internal error ({0}); nothing was written. Try again; if it happens again, report it with the diagnostics (About, Copy diagnostics)"
    )]
    ListingStopped(String),
}

/// Kinds of errors as the UI sees them.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    NothingToExport,
    Unsupported,
    InvalidOption,
    AlreadyExists,
    Cancelled,
    Io,
    Client,
}

#[derive(Serialize, Clone, Debug)]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    pub message: String,
}

impl ExportError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ExportError::NothingToExport => ErrorKind::NothingToExport,
            ExportError::Unsupported(_) => ErrorKind::Unsupported,
            ExportError::InvalidOption(_) | ExportError::InvalidFilename(_) => {
                ErrorKind::InvalidOption
            }
            ExportError::AlreadyExists(_) => ErrorKind::AlreadyExists,
            ExportError::Cancelled => ErrorKind::Cancelled,
            ExportError::Io { .. } => ErrorKind::Io,
            ExportError::Client(_) | ExportError::ListingStopped(_) => ErrorKind::Client,
        }
    }

    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            kind: self.kind(),
            message: self.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ExportError::Io {
            path: path.into(),
            source,
        }
    }
}

impl Serialize for ExportError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.info().serialize(s)
    }
}
