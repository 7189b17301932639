//! Errors of the activity log. Each variant carries typed fields; `Display` is the English
//! sentence `lab` prints, and [`Error::code`] is the stable code the window translates.

use std::path::PathBuf;

use crate::NotUndoable;

/// Result with this crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(thiserror::Error, Debug)]
pub enum Error {
    /// A call to the lab failed.
    #[error(transparent)]
    Client(#[from] lab_client::Error),
    /// The log's database failed.
    #[error("activity log ({path}): {source}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The log's folder or file could not be created or written.
    #[error("activity log ({path}): {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The log was written by a newer Lab Desk.
    #[error(
        "The activity log {path} was written by a newer Lab Desk (format {found}, this one reads up to {supported}): update Lab Desk"
    )]
    NewerFormat {
        /// The database file.
        path: PathBuf,
        /// Its format version.
        found: i64,
        /// The newest this build reads.
        supported: i64,
    },
    /// A stored value is not one this build knows (a damaged or hand-edited row).
    #[error("Activity entry #{entry}: unknown {field} \"{value}\" (the log may be damaged)")]
    UnknownValue {
        /// The entry.
        entry: i64,
        /// Which column.
        field: &'static str,
        /// What was found.
        value: String,
    },
    /// No entry with that number.
    #[error("There is no activity entry #{0}: run `lab history` to see the entries")]
    NoEntry(i64),
    /// The entry cannot be undone.
    #[error("Activity entry #{entry} cannot be undone: {reason}")]
    NotUndoable {
        /// The entry.
        entry: i64,
        /// Why.
        reason: NotUndoable,
    },
    /// The entry was undone already.
    #[error(
        "Activity entry #{entry} was undone already, by entry #{by} (undo #{by} to put it back)"
    )]
    AlreadyUndone {
        /// The entry.
        entry: i64,
        /// The undo entry.
        by: i64,
    },
    /// The entry was made with other credentials than the ones connected now.
    #[error(
        "Activity entry #{entry} was made with access id {entry_access_id}; connect with that access id to undo it (now: {current_access_id})"
    )]
    OtherAccount {
        /// The entry.
        entry: i64,
        /// Its access id.
        entry_access_id: String,
        /// The one connected now.
        current_access_id: String,
    },
    /// A task chosen to be restored despite a conflict is not one of the entry's conflicts.
    #[error("Task {task_id} is not a conflict of activity entry #{entry}")]
    NotAConflict {
        /// The entry.
        entry: i64,
        /// The task.
        task_id: String,
    },
    /// No task id given, or an invalid one.
    #[error("{0}")]
    NoTasks(NoTasks),
}

/// Why a list of task ids is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoTasks {
    /// The list is empty.
    Empty,
    /// An id with `/` or `?`.
    BadId(String),
}

impl std::fmt::Display for NoTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoTasks::Empty => f.write_str("No task id given"),
            NoTasks::BadId(id) => write!(f, "\"{id}\" is not a valid task id"),
        }
    }
}

impl Error {
    /// A stable code (the window's message key is `activity.err.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Client(_) => "client",
            Error::Store { .. } => "store",
            Error::Io { .. } => "io",
            Error::NewerFormat { .. } => "newerFormat",
            Error::UnknownValue { .. } => "unknownValue",
            Error::NoEntry(_) => "noEntry",
            Error::NotUndoable { .. } => "notUndoable",
            Error::AlreadyUndone { .. } => "alreadyUndone",
            Error::OtherAccount { .. } => "otherAccount",
            Error::NotAConflict { .. } => "notAConflict",
            Error::NoTasks(_) => "noTasks",
        }
    }
}
