//! The data the window and the modules behind it share (the connection, a task query, a row
//! of the task table): plain types with no behaviour, so the row store and the local index can
//! use them without depending on [`crate::core`].

use lab_client::TaskFilter;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::profiles::Profile;

/// The profile the window is connected to.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    pub profile: Profile,
    pub endpoint: String,
}

/// How each task is shown: the server document, the SDK's lab view, or a Kili asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TaskView {
    Raw,
    Lab,
    Kili,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaskQuery {
    pub filter: TaskFilter,
    pub view: TaskView,
}

/// One row of the task table (the task itself: `Core::task_doc`); the local copy gives the same.
pub use lab_index::TaskRow;
