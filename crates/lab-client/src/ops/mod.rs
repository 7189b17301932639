//! Long task jobs: create, properties, redo, review. Each takes an optional progress sender
//! and a cancellation token, and reports an outcome per task.

mod bulk;
mod create;
pub mod image_format;
mod input;

pub use bulk::{
    PROPERTIES_MAX_IDS, PropertiesRestore, PropertiesUpdate, redo, restore_properties, review,
    update_properties,
};
pub use create::{CreateObserver, create_tasks, create_tasks_observed, existing_names};
pub use image_format::IMAGE_EXTENSIONS;
pub use input::{TaskInput, is_local_file, kili_to_lab, prepare_tasks, validate_tasks};

use serde::{Deserialize, Serialize};

use crate::error::ErrorInfo;

/// Where progress events go.
pub type ProgressSender = tokio::sync::mpsc::UnboundedSender<Progress>;

/// A progress event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    /// Tasks finished successfully (or skipped).
    pub done: u64,
    /// Tasks failed.
    pub failed: u64,
    /// Tasks in the job.
    pub total: u64,
    /// Bytes of local files uploaded.
    pub bytes_sent: u64,
    /// Bytes of local files to upload.
    pub bytes_total: u64,
    /// What is happening.
    pub message: Option<String>,
}

/// What to do with names already in the batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DuplicatePolicy {
    /// Refuse the whole job if any name exists (SDK default).
    #[default]
    Refuse,
    /// Skip tasks whose name exists.
    SkipExisting,
    /// No check: insert anyway (SDK `disable_unicity_check`).
    InsertAnyway,
}

/// Format of the task data given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Compatibility {
    /// isahit lab format.
    #[default]
    Lab,
    /// Kili `jsonResponse` (`OBJECT_DETECTION_JOB`), converted before creation.
    Kili,
}

/// Options of task creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateOptions {
    /// Check the data against the project's schema (SDK: not `disable_data_check`).
    pub validate_data: bool,
    /// Duplicate names policy.
    pub duplicates: DuplicatePolicy,
    /// Input data format.
    pub compatibility: Compatibility,
    /// Most tasks created at once: the adaptive limit's ceiling (starting at 8), or the
    /// fixed number when the client's `adaptive` option is off.
    pub concurrency: usize,
}

impl Default for CreateOptions {
    fn default() -> Self {
        Self {
            validate_data: true,
            duplicates: DuplicatePolicy::Refuse,
            compatibility: Compatibility::Lab,
            concurrency: 32,
        }
    }
}

/// Result of one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum OutcomeStatus {
    /// Done.
    Ok,
    /// Skipped (name already in the batch).
    Skipped,
    /// Failed; see `error`.
    Failed,
    /// Not started because the job was cancelled.
    Cancelled,
}

/// Outcome of one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaskOutcome {
    /// Task name (creation) or id (bulk actions).
    pub task: String,
    /// Task id when known.
    pub id: Option<String>,
    /// Status.
    pub status: OutcomeStatus,
    /// Error when failed.
    pub error: Option<ErrorInfo>,
}

impl TaskOutcome {
    pub(crate) fn new(task: &str, id: Option<String>, status: OutcomeStatus) -> Self {
        Self {
            task: task.to_string(),
            id,
            status,
            error: None,
        }
    }
    pub(crate) fn failed(task: &str, id: Option<String>, e: &crate::Error) -> Self {
        Self {
            task: task.to_string(),
            id,
            status: OutcomeStatus::Failed,
            error: Some(e.info()),
        }
    }
}

/// Report of a creation job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CreateReport {
    /// One per input task, input order.
    pub outcomes: Vec<TaskOutcome>,
    /// Created.
    pub created: u64,
    /// Skipped as existing.
    pub skipped: u64,
    /// Failed.
    pub failed: u64,
    /// The job was cancelled (some tasks not started).
    pub cancelled: bool,
}

/// Report of a bulk action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkReport {
    /// One per distinct id, input order.
    pub outcomes: Vec<TaskOutcome>,
    /// Succeeded.
    pub succeeded: u64,
    /// Failed.
    pub failed: u64,
    /// The job was cancelled.
    pub cancelled: bool,
}

pub(crate) fn emit(progress: &Option<ProgressSender>, p: Progress) {
    if let Some(tx) = progress {
        let _ = tx.send(p);
    }
}
