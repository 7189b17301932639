//! The activity log's store for the window (lab-activity's SQLite file in the app's data dir,
//! the same one `lab` writes by default) and its errors as the window shows them. No Tauri and
//! no app state here: [`crate::core::Core`] holds an [`ActivityState`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lab_activity::ActivityStore;

use crate::client_errors::{Stage, map};
use crate::error::{AppError, AppResult, ErrorKind};

/// The log, opened at first use.
pub struct ActivityState {
    path: PathBuf,
    store: Mutex<Option<Arc<ActivityStore>>>,
}

impl ActivityState {
    /// The log at `data_dir/activity.sqlite3`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(lab_activity::FILE_NAME),
            store: Mutex::new(None),
        }
    }

    /// The store (opened, created or started again after damage).
    pub fn store(&self) -> AppResult<Arc<ActivityStore>> {
        let mut g = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = g.as_ref() {
            return Ok(s.clone());
        }
        let s = Arc::new(ActivityStore::open(&self.path).map_err(|e| app_error(e, ""))?);
        if let Some(n) = s.notice() {
            tracing::warn!("{n}");
        }
        *g = Some(s.clone());
        Ok(s)
    }
}

/// A lab-activity error as the window shows it (keyed by its variant, never by its text).
pub fn app_error(e: lab_activity::Error, endpoint: &str) -> AppError {
    use lab_activity::Error as E;
    match e {
        E::Client(c) => map(&c, Stage::Session, endpoint),
        E::NoEntry(id) => AppError::msg(
            ErrorKind::NotFound,
            "err.activityNoEntry",
            &[("entry", &id.to_string())],
        ),
        E::NotUndoable { entry, reason } => not_undoable(entry, reason),
        E::AlreadyUndone { entry, by } => AppError::msg(
            ErrorKind::BadInput,
            "err.activityAlreadyUndone",
            &[("entry", &entry.to_string()), ("by", &by.to_string())],
        ),
        E::OtherAccount {
            entry,
            entry_access_id,
            ..
        } => AppError::msg(
            ErrorKind::BadInput,
            "err.activityOtherAccount",
            &[
                ("entry", &entry.to_string()),
                ("accessId", &entry_access_id),
            ],
        ),
        E::NotAConflict { entry, task_id } => AppError::msg(
            ErrorKind::BadInput,
            "err.activityNotAConflict",
            &[("entry", &entry.to_string()), ("task", &task_id)],
        ),
        E::NoTasks(_) => AppError::msg(ErrorKind::BadInput, "err.nothingToChange", &[]),
        E::NewerFormat { ref path, .. } => AppError::msg(
            ErrorKind::Internal,
            "err.activityNewerFormat",
            &[("path", &path.display().to_string())],
        ),
        other @ (E::Store { .. } | E::Io { .. } | E::UnknownValue { .. }) => AppError::msg(
            ErrorKind::Internal,
            "err.activityStore",
            &[("detail", &other.to_string())],
        ),
    }
}

/// Why an entry cannot be undone, as the window says it.
pub fn not_undoable(entry: i64, r: lab_activity::NotUndoable) -> AppError {
    use lab_activity::NotUndoable as N;
    let id = entry.to_string();
    let p = [("entry", id.as_str())];
    let k = ErrorKind::BadInput;
    match r {
        N::LabCannotReverse => AppError::msg(k, "err.undoLabCannotReverse", &p),
        N::ExistingBatch => AppError::msg(k, "err.undoExistingBatch", &p),
        N::ExportWritesFile => AppError::msg(k, "err.undoExportWritesFile", &p),
        N::Deletion => AppError::msg(k, "err.undoDeletion", &p),
        N::NothingChanged => AppError::msg(k, "err.undoNothingChanged", &p),
        N::StillRunning => AppError::msg(k, "err.undoStillRunning", &p),
        N::BatchGone => AppError::msg(k, "err.undoBatchGone", &p),
        N::AllConflicts => AppError::msg(k, "err.undoAllConflicts", &p),
    }
}
