//! Export errors. Every message says what went wrong and what to do.

use lab_client::Message;
use serde::Serialize;
use std::path::PathBuf;

use crate::format::{ExportFormat, Misfit};

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
    InvalidOption(BadOption),
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

/// A format option that cannot be used (the command line's `--option key=value`, the SDK's
/// options dict).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BadOption {
    #[error("unknown format \"{0}\": use lab, kili, yolo, mask, coco or yolo-dataset")]
    UnknownFormat(String),
    #[error("options must be a JSON object")]
    NotObject,
    #[error("\"{pair}\" is not key=value (known options: {known})")]
    NotKeyValue { pair: String, known: &'static str },
    #[error("unknown option \"{name}\" (known options: {known})")]
    Unknown { name: String, known: &'static str },
    #[error("seed must be a whole number from 0 to {}, not {value}", u64::MAX)]
    Seed { value: String },
    #[error("semantic_mapping must be a JSON object like {{\"label_id\": [255, 0, 0]}}")]
    MappingNotObject,
    #[error("semantic_mapping[\"{label}\"] must be [r, g, b] with values 0 to 255")]
    MappingColour { label: String },
    #[error("{name} must be true or false, not \"{value}\"")]
    NotBool { name: String, value: String },
    #[error("{name} must be true or false")]
    NotBoolValue { name: String },
    #[error("split {0}: give the train, val and optional test shares, like 0.8,0.2 or 70,20,10")]
    Split(SplitProblem),
}

/// What is wrong with a `split` option.
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SplitProblem {
    #[error("must hold numbers")]
    NotNumbers,
    #[error("must be a list of numbers")]
    NotList,
    #[error("needs two or three shares")]
    ShareCount,
    #[error("cannot hold negative numbers")]
    Negative,
    #[error("needs a train share above 0")]
    NoTrain,
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
