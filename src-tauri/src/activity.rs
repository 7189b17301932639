//! The Activity screen's side: the log (lab-activity's store in the app's data dir, the same
//! file `lab` writes by default), its entries for the connected profile, and undo.
//!
//! Entries are kept per access id: the window lists those of the connected profile's access id
//! (the local sandbox's endpoint changes at each start, its access id does not).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lab_activity::{
    ActivityProgress, ActivityStore, Entry, Query, Retention, TaskResult, UndoPlan, UndoRun,
};
use lab_client::CancellationToken;
use serde::Serialize;
use tauri::State;
use tauri::ipc::Channel;
use ts_rs::TS;

use crate::client_errors::{Stage, map};
use crate::core::Core;
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

/// A page of entries, with the log's state.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    pub entries: Vec<Entry>,
    /// Set when the log was found damaged and started again.
    pub notice: Option<String>,
    /// Bytes the log uses.
    pub size_bytes: u64,
}

/// Task lines of an entry, from `offset`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityResults {
    pub rows: Vec<TaskResult>,
    pub total: u64,
}

/// What an undo did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UndoDone {
    /// The new entry (the undo is on record).
    pub entry: Entry,
}

impl Core {
    /// The connected profile's entries matching `q`.
    pub async fn activity_list(&self, mut q: Query) -> AppResult<ActivityPage> {
        let info = self
            .connection()
            .await
            .ok_or_else(AppError::not_connected)?;
        q.access_id = Some(info.profile.access_id);
        let store = self.activity.store()?;
        Ok(ActivityPage {
            entries: store.list(&q).map_err(|e| app_error(e, ""))?,
            notice: store.notice().map(String::from),
            size_bytes: store.size_bytes().map_err(|e| app_error(e, ""))?,
        })
    }

    pub fn activity_entry(&self, id: i64) -> AppResult<Entry> {
        self.activity
            .store()?
            .entry(id)
            .map_err(|e| app_error(e, ""))
    }

    pub fn activity_results(&self, id: i64, offset: u64, limit: u64) -> AppResult<ActivityResults> {
        let (rows, total) = self
            .activity
            .store()?
            .results(id, offset, limit.min(5000))
            .map_err(|e| app_error(e, ""))?;
        Ok(ActivityResults { rows, total })
    }

    pub async fn activity_plan_undo(&self, id: i64) -> AppResult<UndoPlan> {
        let (client, actor) = self.actor().await?;
        let store = self.activity.store()?;
        lab_activity::plan_undo(&client, &store, &actor.access_id, id)
            .await
            .map_err(|e| app_error(e, client.endpoint()))
    }

    pub async fn activity_undo(
        &self,
        job_id: &str,
        id: i64,
        include: Vec<String>,
        on_progress: impl Fn(ActivityProgress) + Send + 'static,
    ) -> AppResult<UndoDone> {
        let (client, actor) = self.actor().await?;
        let store = self.activity.store()?;
        let job = self.jobs.start(job_id);
        let cancel: CancellationToken = job.token.clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<ActivityProgress>();
        let fwd = tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                on_progress(p);
            }
        });
        let endpoint = client.endpoint().to_owned();
        let store2 = store.clone();
        // lab-client's bulk futures are not provably `Send`: a blocking thread runs them.
        let handle = tokio::runtime::Handle::current();
        let r = tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                lab_activity::undo(
                    UndoRun {
                        client: &client,
                        store: &store2,
                        actor: &actor,
                    },
                    id,
                    &include,
                    Some(tx),
                    cancel,
                )
                .await
            })
        })
        .await
        .map_err(|e| AppError::internal(format!("The undo stopped unexpectedly: {e}")))?;
        let _ = fwd.await;
        let rec = r.map_err(|e| app_error(e, &endpoint))?;
        Ok(UndoDone {
            entry: store.entry(rec.entry_id).map_err(|e| app_error(e, ""))?,
        })
    }

    pub fn activity_export_csv(&self, id: i64, path: String) -> AppResult<String> {
        let store = self.activity.store()?;
        let path = PathBuf::from(path);
        // Written beside, then renamed: a failed write leaves no half file.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        store
            .write_csv(id, &mut tmp)
            .map_err(|e| app_error(e, ""))?;
        tmp.persist(&path).map_err(|e| AppError::from(e.error))?;
        Ok(path.display().to_string())
    }

    /// Applies the retention setting (at start and when it changes); returns entries removed.
    pub fn activity_prune(&self, r: &Retention) -> AppResult<u64> {
        self.activity
            .store()?
            .prune(r)
            .map_err(|e| app_error(e, ""))
    }
}

/// Starts the entry of a create job (before its first task is sent).
pub async fn begin_create(
    core: &Core,
    job: &lab_jobs::Job,
    label: &crate::create::JobLabel,
    new_batch: bool,
) -> AppResult<i64> {
    let (_, actor) = core.actor().await?;
    let store = core.activity.store()?;
    let rec = lab_activity::CreateRecord::begin(
        &store,
        &actor,
        &job.project_id,
        Some(&label.project_name)
            .filter(|n| !n.is_empty())
            .map(String::as_str),
        &job.batch_id,
        &label.batch_name,
        new_batch,
        Some(job.id.clone()),
        job.counts.pending + job.counts.done + job.counts.failed + job.counts.skipped,
    )
    .map_err(|e| app_error(e, ""))?;
    Ok(rec.entry)
}

/// Writes a create job's per-task results into its entry (after each run: start, resume,
/// retry), and its state. A job never recorded (started before the log existed) is left out.
pub fn sync_create(core: &Core, items: &[crate::create::ItemView], job: &lab_jobs::Job) {
    let r = (|| -> AppResult<()> {
        let store = core.activity.store()?;
        let Some(entry) = store.entry_for_job(&job.id).map_err(|e| app_error(e, ""))? else {
            return Ok(());
        };
        let rows: Vec<TaskResult> = items
            .iter()
            .map(|i| TaskResult {
                task_name: Some(i.name.clone()),
                message: i.error.as_ref().map(|e| e.message.clone()),
                ..TaskResult::new(
                    i.idx,
                    i.task_id.clone().unwrap_or_default(),
                    match i.status {
                        lab_jobs::ItemStatus::Done => lab_activity::ResultStatus::Ok,
                        lab_jobs::ItemStatus::Skipped => lab_activity::ResultStatus::Skipped,
                        lab_jobs::ItemStatus::Failed => lab_activity::ResultStatus::Failed,
                        lab_jobs::ItemStatus::Pending => lab_activity::ResultStatus::Pending,
                    },
                )
            })
            .collect();
        for part in rows.chunks(1000) {
            store
                .put_results(entry, part)
                .map_err(|e| app_error(e, ""))?;
        }
        let (state, message) = match job.state {
            lab_jobs::JobState::Done => (lab_activity::EntryState::Done, None),
            lab_jobs::JobState::Cancelled => (lab_activity::EntryState::Cancelled, None),
            lab_jobs::JobState::Paused | lab_jobs::JobState::Running => (
                lab_activity::EntryState::Cancelled,
                Some("paused or stopped before the end: it can be resumed from Create"),
            ),
        };
        store
            .finish(entry, state, message)
            .map_err(|e| app_error(e, ""))
    })();
    if let Err(e) = r {
        tracing::warn!("the create worked but its activity entry could not be written: {e}");
    }
}

/// Marks a create job's entry running again (resumed).
pub fn reopen_create(core: &Core, job_id: &str) {
    if let Ok(store) = core.activity.store()
        && let Ok(Some(entry)) = store.entry_for_job(job_id)
    {
        let _ = store.reopen(entry);
    }
}

/// Records an export that is over.
pub fn record_export(
    core: &Core,
    actor: &lab_activity::Actor,
    recipe: &crate::export::ExportRecipe,
    project_name: Option<&str>,
    outcome: &Result<crate::export::ExportOutcome, AppError>,
) {
    let r = (|| -> AppResult<i64> {
        let store = core.activity.store()?;
        let filter = crate::export::to_request(recipe, false)
            .map(|r| r.filter)
            .unwrap_or_else(|_| lab_client::TaskFilter::new(&recipe.project_id));
        let format = serde_json::to_value(recipe.format)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let (path, total, written, missing, state, message) = match outcome {
            Ok(o) => (
                o.entry.path.clone(),
                o.entry.count,
                o.entry.count.saturating_sub(o.missing_image_count),
                o.missing_image_count,
                lab_activity::EntryState::Done,
                None,
            ),
            Err(e) if e.kind == ErrorKind::Cancelled => (
                String::new(),
                0,
                0,
                0,
                lab_activity::EntryState::Cancelled,
                Some(e.message.clone()),
            ),
            Err(e) => (
                String::new(),
                0,
                0,
                0,
                lab_activity::EntryState::Failed,
                Some(e.message.clone()),
            ),
        };
        lab_activity::record_export(
            &store,
            actor,
            &recipe.project_id,
            project_name,
            &filter,
            &format,
            &path,
            total,
            written,
            missing,
            state,
            message.as_deref(),
        )
        .map_err(|e| app_error(e, ""))
    })();
    if let Err(e) = r {
        tracing::warn!("the export ran but its activity entry could not be written: {e}");
    }
}

type S<'a> = State<'a, Core>;

#[tauri::command]
pub async fn activity_list(core: S<'_>, query: Query) -> AppResult<ActivityPage> {
    core.activity_list(query).await
}

#[tauri::command]
pub fn activity_entry(core: S<'_>, id: i64) -> AppResult<Entry> {
    core.activity_entry(id)
}

#[tauri::command]
pub fn activity_results(
    core: S<'_>,
    id: i64,
    offset: u64,
    limit: u64,
) -> AppResult<ActivityResults> {
    core.activity_results(id, offset, limit)
}

#[tauri::command]
pub async fn activity_plan_undo(core: S<'_>, id: i64) -> AppResult<UndoPlan> {
    core.activity_plan_undo(id).await
}

#[tauri::command]
pub async fn activity_undo(
    core: S<'_>,
    job_id: String,
    id: i64,
    include: Vec<String>,
    on_progress: Channel<ActivityProgress>,
) -> AppResult<UndoDone> {
    core.activity_undo(&job_id, id, include, move |p| drop(on_progress.send(p)))
        .await
}

#[tauri::command]
pub fn activity_export_csv(core: S<'_>, id: i64, path: String) -> AppResult<String> {
    core.activity_export_csv(id, path)
}
