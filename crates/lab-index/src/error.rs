//! Errors of the task index.

use std::path::PathBuf;

/// Result of index operations.
pub type Result<T> = std::result::Result<T, Error>;

/// What can go wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite reported that the index file is damaged (`SQLITE_CORRUPT`, `SQLITE_NOTADB`).
    /// [`crate::Index::rebuild`] replaces it with an empty index.
    #[error("the task index file is damaged ({source}); it must be rebuilt")]
    Corrupt {
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// Any other SQLite error (disk full, locked by another process, ...).
    #[error("task index database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// A file operation on the index file (moving a damaged file aside, deleting an old one).
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The lab (through lab-client) answered an error or could not be reached.
    #[error(transparent)]
    Lab(#[from] lab_client::Error),
    /// The filter has no project id.
    #[error("the filter has no project id")]
    MissingProject,
    /// `name_like` does not compile (the lab answers 400 INVALID_REGEX).
    #[error("nameLike is not a valid regular expression: {source}")]
    InvalidRegex {
        /// The pattern.
        pattern: String,
        /// The compiler's error.
        #[source]
        source: regex::Error,
    },
    /// A date bound is not a date the lab accepts (the lab answers 400).
    #[error("{field}: \"{value}\" is not a date like 2022-09-19 08:30:00")]
    InvalidDate {
        /// `createdAt` or `updatedAt`.
        field: &'static str,
        /// The bound as given.
        value: String,
    },
    /// A status that is not one of the lab's task statuses (the lab answers 422).
    #[error("statuses: \"{0}\" is not one of pending, complete, to-review, reviewed, configuring")]
    InvalidStatus(String),
    /// A `data.k`/`properties.k` key the lab refuses (empty part, `"` or a control character).
    #[error("invalid filter key \"{0}\": use data.<field> or properties.<field>")]
    InvalidFilterKey(String),
    /// A task document without a string `_id`.
    #[error("a task document has no string _id")]
    TaskWithoutId,
    /// A task document could not be written as JSON.
    #[error("cannot encode a task document: {0}")]
    Json(#[from] serde_json::Error),
    /// The sync was cancelled; what was committed before stays (every page is a transaction).
    #[error("the index sync was cancelled")]
    Cancelled,
}

/// The SQLite result codes that mean "the file is damaged".
pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

impl From<rusqlite::Error> for Error {
    fn from(source: rusqlite::Error) -> Self {
        if is_corruption(&source) {
            Error::Corrupt { source }
        } else {
            Error::Sqlite(source)
        }
    }
}

impl Error {
    /// The index file is damaged: call [`crate::Index::rebuild`] and sync again.
    pub fn is_corrupt(&self) -> bool {
        matches!(self, Error::Corrupt { .. })
    }
}
