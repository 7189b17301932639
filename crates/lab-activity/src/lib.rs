//! Lab Desk's activity log: every create, property update, redo, review and export is kept on
//! record (per profile, in SQLite), with each task's result; property updates and creates into a
//! new batch can be undone, and the undo is itself on record.
//!
//! The window (src-tauri) and `lab` write the same store format, so scripted and clicked
//! changes share one record when they run on the same machine ([`default_path`]).
//!
//! - [`store`]: the database (schema version in `user_version`, WAL, one transaction per step)
//! - [`record`]: bulk actions that record as they go: values before, each chunk's result,
//!   values after, so a crash leaves the finished part on record
//! - [`undo`]: what an undo would do (ready tasks and conflicts), and doing it

pub mod error;
pub mod record;
pub mod store;
pub mod undo;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use error::{Error, NoTasks, Result};
pub use record::{
    ActivityProgress, BulkChange, BulkRun, CreateRecord, Phase, ProgressSender, Recorded,
    dedupe_ids, record_export, run_bulk,
};
pub use store::{ActivityStore, NewEntry, Query, Retention};
pub use undo::{
    BatchUndo, Conflict, ConflictReason, TaskRestore, UndoPlan, UndoRun, plan_undo, same_value,
    undo,
};

/// The Tauri app's identifier: its data folder is `<data dir>/<identifier>`.
pub const APP_IDENTIFIER: &str = "com.isahit.labdesk";

/// The store's file name in the app's data folder.
pub const FILE_NAME: &str = "activity.sqlite3";

/// Where the window keeps the log on this machine (`lab` uses the same file by default).
pub fn default_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join(APP_IDENTIFIER).join(FILE_NAME))
}

/// Who made a change: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Actor {
    /// The profile's name ("Local sandbox", "Production"; `lab` for the command line).
    pub profile: String,
    /// The access id the change was made with.
    pub access_id: String,
    /// The lab's address.
    pub endpoint: String,
    /// Window or command line.
    pub source: Source,
}

/// Where a change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivitySource"))]
pub enum Source {
    /// The Lab Desk window.
    Window,
    /// The `lab` command line.
    Cli,
}

/// What kind of change an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityKind"))]
pub enum EntryKind {
    /// Score and/or custom properties set.
    Properties,
    /// Properties put back by an undo.
    Restore,
    /// Sent back to annotation.
    Redo,
    /// Sent to review.
    Review,
    /// Tasks created.
    Create,
    /// Tasks exported to a file.
    Export,
    /// A batch deleted (the undo of a create into a new batch).
    DeleteBatch,
}

impl EntryKind {
    /// Every kind, in the order the window lists them.
    pub const ALL: [EntryKind; 7] = [
        EntryKind::Create,
        EntryKind::Properties,
        EntryKind::Restore,
        EntryKind::Redo,
        EntryKind::Review,
        EntryKind::Export,
        EntryKind::DeleteBatch,
    ];

    /// The stored (and command-line) name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Properties => "properties",
            EntryKind::Restore => "restore",
            EntryKind::Redo => "redo",
            EntryKind::Review => "review",
            EntryKind::Create => "create",
            EntryKind::Export => "export",
            EntryKind::DeleteBatch => "deleteBatch",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityState"))]
pub enum EntryState {
    /// Still going (in a process that is alive).
    Running,
    /// Finished (some tasks may have failed: see the counts).
    Done,
    /// Stopped by the user; the finished part is on record.
    Cancelled,
    /// Stopped by an error before the end (`message` says which).
    Failed,
    /// The process ended mid-way (crash, killed); the finished part is on record.
    Interrupted,
}

impl EntryState {
    /// Every state.
    pub const ALL: [EntryState; 5] = [
        EntryState::Running,
        EntryState::Done,
        EntryState::Cancelled,
        EntryState::Failed,
        EntryState::Interrupted,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Running => "running",
            EntryState::Done => "done",
            EntryState::Cancelled => "cancelled",
            EntryState::Failed => "failed",
            EntryState::Interrupted => "interrupted",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Which tasks the change was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityTarget"))]
pub enum Target {
    /// Tasks picked one by one.
    Selection {
        /// How many.
        count: u64,
    },
    /// Every task matching a filter (as it matched then).
    Filter {
        /// The filter.
        filter: Box<lab_client::TaskFilter>,
    },
    /// Files or a task list dropped to create tasks.
    Files {
        /// Tasks asked for.
        count: u64,
    },
    /// The tasks of an undone entry.
    Entry {
        /// The entry undone.
        entry: i64,
    },
}

/// What the change was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityChange"))]
pub enum Change {
    /// Properties set (a `null` custom value removes the key).
    #[serde(rename_all = "camelCase")]
    Properties {
        /// New score.
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        score: Option<serde_json::Number>,
        /// New custom properties.
        #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
        custom: Option<Map<String, Value>>,
    },
    /// The values before an entry put back.
    #[serde(rename_all = "camelCase")]
    Restore {
        /// The entry undone.
        of: i64,
    },
    /// Sent to redo.
    #[serde(rename_all = "camelCase")]
    Redo {
        /// Data reset to the initial data.
        reset: bool,
    },
    /// Sent to review.
    Review,
    /// Tasks created in a batch.
    #[serde(rename_all = "camelCase")]
    Create {
        /// The batch.
        batch_id: String,
        /// Its name.
        batch_name: String,
        /// The batch was made for this create (then undo deletes it).
        new_batch: bool,
        /// The create job (the window's journal) when there is one.
        job_id: Option<String>,
    },
    /// Tasks written to a file.
    #[serde(rename_all = "camelCase")]
    Export {
        /// Format (lab, kili, yolo, mask, coco, yolo-dataset).
        format: String,
        /// The file or folder written.
        path: String,
    },
    /// A batch deleted.
    #[serde(rename_all = "camelCase")]
    DeleteBatch {
        /// The batch.
        batch_id: String,
        /// Its name.
        batch_name: String,
        /// Tasks it had when deleted.
        tasks: u64,
        /// The create entry undone.
        of: i64,
    },
}

impl Change {
    /// The entry kind this change is.
    pub fn kind(&self) -> EntryKind {
        match self {
            Change::Properties { .. } => EntryKind::Properties,
            Change::Restore { .. } => EntryKind::Restore,
            Change::Redo { .. } => EntryKind::Redo,
            Change::Review => EntryKind::Review,
            Change::Create { .. } => EntryKind::Create,
            Change::Export { .. } => EntryKind::Export,
            Change::DeleteBatch { .. } => EntryKind::DeleteBatch,
        }
    }
}

/// One task's result in an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityResultStatus"))]
pub enum ResultStatus {
    /// Not sent yet (an interrupted entry's unfinished part).
    Pending,
    /// Done.
    Ok,
    /// Left out (e.g. name already in the batch).
    Skipped,
    /// Failed: `message` says why.
    Failed,
    /// Not sent: the action was cancelled.
    Cancelled,
}

impl ResultStatus {
    const ALL: [ResultStatus; 5] = [
        ResultStatus::Pending,
        ResultStatus::Ok,
        ResultStatus::Skipped,
        ResultStatus::Failed,
        ResultStatus::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Pending => "pending",
            ResultStatus::Ok => "ok",
            ResultStatus::Skipped => "skipped",
            ResultStatus::Failed => "failed",
            ResultStatus::Cancelled => "cancelled",
        }
    }

    /// From its stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One task line of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityResult"))]
pub struct TaskResult {
    /// Order in the entry.
    pub seq: u64,
    /// Task id (empty for a task that could not be created).
    pub task_id: String,
    /// Task name when known.
    pub task_name: Option<String>,
    /// Result.
    pub status: ResultStatus,
    /// Why it failed or was left out.
    pub message: Option<String>,
    /// The values the change replaced (properties: the keys it touched; redo/review: status).
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub before: Option<Value>,
    /// The values it wrote.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub after: Option<Value>,
    /// The task's `updatedAt` right after the change (what an undo compares against).
    pub updated_at: Option<String>,
}

impl TaskResult {
    /// A line with just a status.
    pub fn new(seq: u64, task_id: impl Into<String>, status: ResultStatus) -> Self {
        Self {
            seq,
            task_id: task_id.into(),
            task_name: None,
            status,
            message: None,
            before: None,
            after: None,
            updated_at: None,
        }
    }
}

/// Why an entry cannot be undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum NotUndoable {
    /// Redo and review: the lab's API has no way to put a task back.
    LabCannotReverse,
    /// Tasks created into a batch that existed before: deleting the batch would delete others.
    ExistingBatch,
    /// An export only wrote a file.
    ExportWritesFile,
    /// A deleted batch cannot be brought back.
    Deletion,
    /// Nothing was changed.
    NothingChanged,
    /// It has not finished.
    StillRunning,
    /// The batch of a create is no longer in the lab.
    BatchGone,
    /// Every task changed since: none is put back unless chosen one by one.
    AllConflicts,
}

impl std::fmt::Display for NotUndoable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotUndoable::LabCannotReverse => {
                "the lab's API cannot take back a redo or a review; open these tasks to act on them again"
            }
            NotUndoable::ExistingBatch => {
                "the tasks were created in a batch that existed before, and the lab can only delete a whole batch"
            }
            NotUndoable::ExportWritesFile => {
                "an export only wrote a file and changed nothing in the lab; delete the file if it is not wanted"
            }
            NotUndoable::Deletion => "a deleted batch cannot be brought back",
            NotUndoable::NothingChanged => "it changed nothing",
            NotUndoable::StillRunning => "it has not finished yet",
            NotUndoable::BatchGone => "its batch is no longer in the lab",
            NotUndoable::AllConflicts => {
                "every task was changed since; choose the ones to restore anyway (lab undo N --include TASK_ID)"
            }
        })
    }
}

/// Can an entry be undone now?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Undoability {
    /// Yes (see the plan for conflicts).
    Undoable,
    /// Already undone by that entry.
    Undone {
        /// The undo entry.
        by: i64,
    },
    /// No, for this reason.
    No {
        /// Why.
        reason: NotUndoable,
    },
}

/// One change on record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityEntry"))]
pub struct Entry {
    /// Its number.
    pub id: i64,
    /// Start (RFC 3339, UTC).
    pub started_at: String,
    /// End, when finished.
    pub finished_at: Option<String>,
    /// Who.
    pub actor: Actor,
    /// Kind.
    pub kind: EntryKind,
    /// Project.
    pub project_id: String,
    /// Project name when known.
    pub project_name: Option<String>,
    /// Which tasks.
    pub target: Target,
    /// What.
    pub change: Change,
    /// Where it is.
    pub state: EntryState,
    /// Tasks asked.
    pub total: u64,
    /// Tasks done.
    pub succeeded: u64,
    /// Tasks failed.
    pub failed: u64,
    /// Tasks left out or cancelled.
    pub skipped: u64,
    /// Why it stopped, or a note.
    pub message: Option<String>,
    /// The entry this one undid.
    pub undo_of: Option<i64>,
    /// Can it be undone.
    pub undo: Undoability,
}
