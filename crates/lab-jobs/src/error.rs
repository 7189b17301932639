//! Errors of lab-jobs; they reach the UI as `{kind, message}` like lab-client's.

use lab_client::{ErrorInfo, ErrorKind};
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
    Input(String),
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
    NotFound(String),
    /// The job cannot do that in its state (e.g. run a cancelled job).
    #[error("{0}")]
    State(String),
    /// A task's creation hit a problem that stops the whole job (connection lost, session
    /// ended, not allowed); the job is paused and can be resumed.
    #[error("{}", .0.message)]
    Stopped(ErrorInfo),
}

impl Error {
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
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.info().serialize(s)
    }
}
