//! The Activity screen's side: the log (lab-activity's store in the app's data dir, the same
//! file `lab` writes by default), its entries for the connected profile, and undo.
//!
//! Entries are kept per access id: the window lists those of the connected profile's access id
//! (the local sandbox's endpoint changes at each start, its access id does not).

use std::path::{Path, PathBuf};

use lab_activity::{ActivityProgress, Entry, Query, Retention, TaskResult, UndoPlan, UndoRun};
use lab_client::CancellationToken;
use serde::Serialize;
use ts_rs::TS;

use crate::activity_store::app_error;
use crate::core::Core;
use crate::error::{AppError, AppResult};

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
        let (tx, fwd) = crate::progress::forward::<ActivityProgress>(on_progress);
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
        fwd.finish().await;
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
