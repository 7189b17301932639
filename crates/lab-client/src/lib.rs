//! isahit lab API client and task operations (list, create, properties, redo, review),
//! request for request like the isahitlab Python SDK. No UI code here.

pub mod adaptive;
mod client;
pub mod error;
pub mod kili;
mod message;
pub mod ops;
pub mod schema;
mod types;
pub mod view;

pub use client::{ClientOptions, Credentials, DEFAULT_ENDPOINT, LabClient};
pub use error::{AuthFailure, Error, ErrorInfo, ErrorKind, Invalid, Result};
pub use message::Message;
pub use ops::{
    BulkReport, Compatibility, CreateOptions, CreateReport, DuplicatePolicy, OutcomeStatus,
    PROPERTIES_MAX_IDS, Progress, ProgressSender, PropertiesRestore, PropertiesUpdate, TaskInput,
    TaskOutcome,
};
pub use tokio_util::sync::CancellationToken;
pub use types::{
    Batch, BatchFilter, ConfigurationSummary, DateRange, Label, Project, ProjectConfiguration,
    ProjectFilter, RawTaskPage, TASK_PAGE_LIMIT, TaskFilter, TaskPage, is_filter_date,
};
