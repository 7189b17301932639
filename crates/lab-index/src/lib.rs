//! A local SQLite task index, per profile (one file, the caller's choice) and project: task
//! filters of large projects answered instantly, without a request.
//!
//! ```no_run
//! # async fn demo(client: lab_client::LabClient) -> Result<(), lab_index::Error> {
//! use lab_index::{Index, OpenNotice, Sort, SortKey};
//! let (mut index, notice) = Index::open("/path/to/profile-index.sqlite3")?;
//! if let OpenNotice::RebuiltDamaged { .. } = notice { /* tell the user */ }
//! let cancel = lab_client::CancellationToken::new();
//! let report = index.sync(&client, "project-id", |_progress| {}, &cancel).await?;
//! let mut filter = lab_client::TaskFilter::new("project-id");
//! filter.statuses = vec!["complete".into()];
//! let rows = index.rows(&filter, Sort::desc(SortKey::UpdatedAt))?;
//! # let _ = (report, rows); Ok(()) }
//! ```
//!
//! - [`Index::open`]: WAL, `synchronous=NORMAL`, the schema version in `user_version`;
//!   damaged or old files are rebuilt empty and an [`OpenNotice`] says so.
//! - [`Index::sync`]: a full mirror first, then incremental syncs (see [`Index::sync_with`]).
//! - [`Index::ids`], [`Index::count`], [`Index::rows`]: every [`lab_client::TaskFilter`]
//!   kind, with the lab's semantics (see the [`query`] module).
//! - [`Index::refresh_tasks`]: re-read tasks an action touched.
//!
//! The index stores task data from the tasks listing only, never credentials or tokens.

mod error;
pub mod query;
mod store;
mod sync;

pub use error::{Error, Result};
pub use query::{Sort, SortKey, TASK_STATUSES, TaskRow, answerable_locally, normalize_filter_date};
pub use store::{Index, IntegrityCheck, OpenNotice, OpenOptions, ProjectState, SCHEMA_VERSION};
pub use sync::{INDEX_FIELDS, RefreshReport, SyncOptions, SyncPhase, SyncProgress, SyncReport};
