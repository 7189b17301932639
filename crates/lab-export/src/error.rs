//! Export errors. Every message says what went wrong and what to do.

use lab_client::Message;
use serde::Serialize;
use std::path::PathBuf;

use crate::format::{BadOption, ExportFormat, Misfit};

pub type Result<T, E = ExportError> = std::result::Result<T, E>;

#[derive(thiserror::Error, Debug)]
pub enum ExportError {
    #[error("nothing to export: no task matches the filters")]
    NothingToExport,
    #[error("{}", .misfit.sentence(*.format))]
    Unsupported {
        format: ExportFormat,
        misfit: Misfit,
    },
    #[error("invalid export option: {0}")]
    InvalidOption(#[from] BadOption),
    #[error("{0}")]
    InvalidFilename(BadFileName),
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
        "The task listing stopped before the last page because of an internal error ({0}); nothing was written. Try again; if it happens again, report it with the diagnostics (About, Copy diagnostics)."
    )]
    ListingStopped(String),
}

/// An output file name that cannot be used. Serialises as `{"key", "params"}` (catalogue key
/// `err.<variant in camelCase>`, English = `Display`).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "key", content = "params", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum BadFileName {
    #[error("Output file name \"{name}\" is empty or a folder: give a file name.")]
    ExportNameEmpty { name: String },
    #[error(
        "Output file name \"{name}\" must be a plain file name (no folder, \"..\" or leading /): choose the folder with the output folder instead."
    )]
    ExportNameNotPlain { name: String },
    #[error("Output file name \"{name}\" must end with {extension} for the {format} format.")]
    ExportNameExtension {
        name: String,
        extension: String,
        format: String,
    },
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
            ExportError::Unsupported { .. } => ErrorKind::Unsupported,
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

    /// The error as a catalogue message (see [`lab_client::Message`]), for those the window's
    /// catalogue words from this crate's fields: file names, a listing that stopped and the
    /// lab's errors. The others a window words itself from the variant.
    pub fn message(&self) -> Option<Message> {
        match self {
            ExportError::InvalidFilename(b) => Some(Message::of(b)),
            ExportError::ListingStopped(detail) => {
                Some(Message::new("err.listingStopped").with("detail", detail))
            }
            ExportError::Client(c) => c.message(),
            ExportError::NothingToExport
            | ExportError::Unsupported { .. }
            | ExportError::InvalidOption(_)
            | ExportError::AlreadyExists(_)
            | ExportError::Cancelled
            | ExportError::Io { .. } => None,
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
