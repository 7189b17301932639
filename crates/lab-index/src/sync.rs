//! Filling the index from the lab: a full mirror, then incremental syncs.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use lab_client::{BatchFilter, CancellationToken, LabClient, TaskFilter};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::store::{Index, TaskRecord, delete_ids, ensure_project, upsert};

/// Optional fields the index lists tasks with (the stored document has them).
pub const INDEX_FIELDS: &[&str] = &["data", "jobs", "metrics"];

/// Tuning of [`Index::sync_with`].
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Incremental syncs list tasks with `updatedAt >=` the largest `updatedAt` seen minus
    /// this window: it covers writes committed out of timestamp order and same-second
    /// writes. Default 5 minutes.
    pub overlap: Duration,
    /// Mirror everything again even when an incremental sync would do.
    pub force_full: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            overlap: Duration::from_secs(300),
            force_full: false,
        }
    }
}

/// What a sync is doing, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SyncPhase {
    /// Listing tasks (all of them, or the changed ones).
    Listing,
    /// Comparing task counts to find deletions.
    Checking,
    /// Listing the ids of batches whose counts differ, fetching/deleting the difference.
    Reconciling,
}

/// Progress of a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgress {
    /// Phase.
    pub phase: SyncPhase,
    /// Items done in this phase (tasks listed, batches checked).
    pub done: u64,
    /// Items of this phase, when known.
    pub total: Option<u64>,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// Task documents received (with data).
    pub fetched: u64,
    /// Rows added or changed.
    pub upserted: u64,
    /// Rows deleted (tasks gone from the lab).
    pub deleted: u64,
    /// Requests made to the lab.
    pub requests: u64,
    /// A full mirror (first sync, forced, or after an unfinished one).
    pub full: bool,
    /// Local UTC time (RFC 3339) at which this sync started.
    pub as_of: String,
}

/// What [`Index::refresh_tasks`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// Task documents received.
    pub fetched: u64,
    /// Rows added or changed.
    pub upserted: u64,
    /// Rows deleted (asked-for tasks the lab no longer has).
    pub deleted: u64,
    /// Requests made to the lab.
    pub requests: u64,
}

fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// `watermark - overlap` as a filter date, `None` when the watermark is not a date.
fn since(watermark: &str, overlap: Duration) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(watermark.trim()).ok()?;
    let back = chrono::Duration::from_std(overlap).ok()?;
    let t = t.with_timezone(&chrono::Utc).checked_sub_signed(back)?;
    Some(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn listing_filter(project_id: &str) -> TaskFilter {
    let mut f = TaskFilter::new(project_id);
    f.optional_fields = INDEX_FIELDS.iter().map(|s| s.to_string()).collect();
    f
}

/// Pages requested by a walk of `n` items at `per_page` a page (at least one request).
fn pages(n: usize, per_page: usize) -> u64 {
    n.div_ceil(per_page).max(1) as u64
}

/// Result of a listing written into the index.
#[derive(Default)]
struct Listed {
    fetched: u64,
    upserted: u64,
    requests: u64,
    /// `totalDocs` of the first page.
    first_total: u64,
    seen: HashSet<String>,
    max_updated: Option<String>,
}

impl Listed {
    /// Every task the first page announced was received (no page shifted under us).
    fn complete(&self) -> bool {
        self.seen.len() as u64 >= self.first_total
    }
}

fn max_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b > a { b } else { a }),
        (a, b) => a.or(b),
    }
}

impl Index {
    /// Lists `filter` and upserts every page in a transaction of its own.
    async fn list_into<P: FnMut(SyncProgress) + Send>(
        &mut self,
        client: &LabClient,
        project_id: &str,
        filter: TaskFilter,
        cancel: &CancellationToken,
        progress: &mut P,
    ) -> Result<Listed> {
        let mut out = Listed::default();
        let mut stream = std::pin::pin!(client.task_pages(filter));
        loop {
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                p = stream.next() => p,
            };
            let Some(page) = next else { break };
            let page = page?;
            out.requests += 1;
            if out.requests == 1 {
                out.first_total = page.total;
            }
            let records = page
                .tasks
                .iter()
                .map(TaskRecord::from_doc)
                .collect::<Result<Vec<_>>>()?;
            let tx = self.conn.transaction()?;
            ensure_project(&tx, project_id)?;
            for r in &records {
                out.upserted += upsert(&tx, project_id, r)?;
            }
            tx.commit()?;
            for r in records {
                out.max_updated = max_opt(out.max_updated.take(), Some(r.updated_at));
                out.seen.insert(r.id);
            }
            out.fetched += page.tasks.len() as u64;
            progress(SyncProgress {
                phase: SyncPhase::Listing,
                done: out.fetched,
                total: Some(page.total),
            });
        }
        Ok(out)
    }

    fn state_row(&self, project_id: &str) -> Result<Option<(Option<String>, bool)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT watermark, full_synced FROM projects WHERE project_id = ?1",
                [project_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// [`Index::sync_with`] with the default options.
    pub async fn sync<P: FnMut(SyncProgress) + Send>(
        &mut self,
        client: &LabClient,
        project_id: &str,
        progress: P,
        cancel: &CancellationToken,
    ) -> Result<SyncReport> {
        self.sync_with(
            client,
            project_id,
            &SyncOptions::default(),
            progress,
            cancel,
        )
        .await
    }

    /// Brings the index's copy of `project_id` up to date with the lab.
    ///
    /// The first sync (or one after an unfinished full sync, or `force_full`) mirrors every
    /// task of the project, then deletes the rows the listing did not return. Later syncs
    /// list only the tasks with `updatedAt >=` the watermark minus
    /// [`SyncOptions::overlap`] and upsert them; then deletions are found by counts: the
    /// project's total on the lab against the index's, and when they differ, per batch (the
    /// lab's batches and the index's): the ids (and `updatedAt`) of every batch whose count
    /// differs are listed, rows the lab no longer has are deleted and tasks the index lacks
    /// or holds stale are fetched.
    ///
    /// Every page is written in its own transaction, so a cancelled (`Err(Cancelled)`) or
    /// failed sync leaves a consistent index (each row a task as the lab listed it); the
    /// project's state ("as of", watermark) only moves when a sync finishes.
    pub async fn sync_with<P: FnMut(SyncProgress) + Send>(
        &mut self,
        client: &LabClient,
        project_id: &str,
        opts: &SyncOptions,
        mut progress: P,
        cancel: &CancellationToken,
    ) -> Result<SyncReport> {
        if project_id.trim().is_empty() {
            return Err(Error::MissingProject);
        }
        let as_of = now_iso();
        let state = self.state_row(project_id)?;
        let since = match &state {
            Some((Some(w), true)) if !opts.force_full => since(w, opts.overlap),
            _ => None,
        };
        let Some(since) = since else {
            return self
                .full_sync(client, project_id, as_of, &mut progress, cancel)
                .await;
        };
        let previous = state.and_then(|(w, _)| w);
        let mut filter = listing_filter(project_id);
        filter.updated_at.gte = Some(since);
        let listed = self
            .list_into(client, project_id, filter, cancel, &mut progress)
            .await?;
        let mut report = SyncReport {
            fetched: listed.fetched,
            upserted: listed.upserted,
            deleted: 0,
            requests: listed.requests,
            full: false,
            as_of: as_of.clone(),
        };
        self.reconcile(client, project_id, &mut report, &mut progress, cancel)
            .await?;
        let watermark = if listed.complete() {
            max_opt(previous, listed.max_updated)
        } else {
            previous
        };
        self.conn.execute(
            "UPDATE projects SET as_of = ?2, watermark = ?3 WHERE project_id = ?1",
            params![project_id, as_of, watermark],
        )?;
        Ok(report)
    }

    async fn full_sync<P: FnMut(SyncProgress) + Send>(
        &mut self,
        client: &LabClient,
        project_id: &str,
        as_of: String,
        progress: &mut P,
        cancel: &CancellationToken,
    ) -> Result<SyncReport> {
        let listed = self
            .list_into(
                client,
                project_id,
                listing_filter(project_id),
                cancel,
                progress,
            )
            .await?;
        let mut report = SyncReport {
            fetched: listed.fetched,
            upserted: listed.upserted,
            deleted: 0,
            requests: listed.requests,
            full: true,
            as_of: as_of.clone(),
        };
        let tx = self.conn.transaction()?;
        ensure_project(&tx, project_id)?;
        if listed.complete() {
            let stale: Vec<String> = tx
                .prepare("SELECT id FROM tasks WHERE project_id = ?1")?
                .query_map([project_id], |r| r.get::<_, String>(0))?
                .filter(|id| id.as_ref().map_or(true, |id| !listed.seen.contains(id)))
                .collect::<rusqlite::Result<_>>()?;
            report.deleted = delete_ids(&tx, project_id, &stale)?;
            tx.execute(
                "UPDATE projects SET as_of = ?2, watermark = ?3, full_synced = 1
                 WHERE project_id = ?1",
                params![project_id, as_of, listed.max_updated],
            )?;
        } else {
            // Tasks were deleted while listing (pages shifted): keep every row, and mirror
            // again next time.
            tracing::info!(
                "task index: full listing of {project_id} got {} of {} tasks; not finished",
                listed.seen.len(),
                listed.first_total
            );
        }
        tx.commit()?;
        Ok(report)
    }

    /// Finds deletions (and missed tasks) by comparing counts; see [`Index::sync_with`].
    async fn reconcile<P: FnMut(SyncProgress) + Send>(
        &mut self,
        client: &LabClient,
        project_id: &str,
        report: &mut SyncReport,
        progress: &mut P,
        cancel: &CancellationToken,
    ) -> Result<()> {
        progress(SyncProgress {
            phase: SyncPhase::Checking,
            done: 0,
            total: None,
        });
        let lab_total =
            cancellable(cancel, client.count_tasks(&TaskFilter::new(project_id))).await??;
        report.requests += 1;
        let local_total: u64 = self.conn.query_row(
            "SELECT COUNT(*) FROM tasks WHERE project_id = ?1",
            [project_id],
            |r| r.get(0),
        )?;
        if lab_total == local_total {
            return Ok(());
        }
        let lab_batches =
            cancellable(cancel, client.batches(project_id, &BatchFilter::default())).await??;
        report.requests += pages(lab_batches.len(), 10);
        let mut local: HashMap<String, u64> = HashMap::new();
        {
            let mut st = self.conn.prepare(
                "SELECT batch_id, COUNT(*) FROM tasks WHERE project_id = ?1 GROUP BY batch_id",
            )?;
            let rows = st.query_map([project_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            for row in rows {
                let (b, n): (String, u64) = row?;
                local.insert(b, n);
            }
        }
        let mut batches: Vec<String> = lab_batches.into_iter().map(|b| b.id).collect();
        let mut local_only: Vec<String> = local
            .keys()
            .filter(|b| !batches.contains(b))
            .cloned()
            .collect();
        local_only.sort();
        batches.extend(local_only);
        let total = batches.len() as u64;
        let counts: Vec<(String, u64)> = {
            let mut counted = futures::stream::iter(batches.into_iter().map(|b| {
                let mut f = TaskFilter::new(project_id);
                f.batch_ids = vec![b.clone()];
                async move {
                    // An empty batch id cannot be asked for: count it as gone.
                    if b.is_empty() {
                        return Ok::<_, Error>((b, 0, false));
                    }
                    let n = client.count_tasks(&f).await?;
                    Ok((b, n, true))
                }
            }))
            .buffered(4);
            let mut out = Vec::new();
            loop {
                let next = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return Err(Error::Cancelled),
                    n = counted.next() => n,
                };
                let Some(n) = next else { break };
                let (b, n, asked) = n?;
                if asked {
                    report.requests += 1;
                }
                out.push((b, n));
                progress(SyncProgress {
                    phase: SyncPhase::Checking,
                    done: out.len() as u64,
                    total: Some(total),
                });
            }
            out
        };
        for (batch, lab_count) in counts {
            let local_count = local.get(&batch).copied().unwrap_or(0);
            if lab_count == local_count {
                continue;
            }
            self.reconcile_batch(client, project_id, &batch, lab_count, report, cancel)
                .await?;
            progress(SyncProgress {
                phase: SyncPhase::Reconciling,
                done: report.deleted,
                total: None,
            });
        }
        Ok(())
    }

    async fn reconcile_batch(
        &mut self,
        client: &LabClient,
        project_id: &str,
        batch: &str,
        lab_count: u64,
        report: &mut SyncReport,
        cancel: &CancellationToken,
    ) -> Result<()> {
        // The lab's ids and update dates in this batch (small documents, no data).
        let mut lab: HashMap<String, String> = HashMap::new();
        if lab_count > 0 && !batch.is_empty() {
            let mut f = TaskFilter::new(project_id);
            f.batch_ids = vec![batch.to_string()];
            let mut stream = std::pin::pin!(client.task_pages(f));
            loop {
                let next = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return Err(Error::Cancelled),
                    p = stream.next() => p,
                };
                let Some(page) = next else { break };
                let page = page?;
                report.requests += 1;
                for t in &page.tasks {
                    if let Some(id) = t.get("_id").and_then(Value::as_str) {
                        let updated = t.get("updatedAt").and_then(Value::as_str).unwrap_or("");
                        lab.insert(id.to_string(), updated.to_string());
                    }
                }
            }
        }
        let mine: Vec<(String, String)> = self
            .conn
            .prepare("SELECT id, updated_at FROM tasks WHERE project_id = ?1 AND batch_id = ?2")?
            .query_map(params![project_id, batch], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mine_map: HashMap<&str, &str> =
            mine.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let gone: Vec<String> = mine
            .iter()
            .filter(|(id, _)| !lab.contains_key(id))
            .map(|(id, _)| id.clone())
            .collect();
        let mut fetch: Vec<String> = lab
            .iter()
            .filter(|(id, up)| mine_map.get(id.as_str()) != Some(&up.as_str()))
            .map(|(id, _)| id.clone())
            .collect();
        fetch.sort();
        report.deleted += self.delete_tasks(project_id, &gone)?;
        if !fetch.is_empty() {
            let r = cancellable(cancel, self.refresh_tasks(client, project_id, &fetch)).await??;
            report.fetched += r.fetched;
            report.upserted += r.upserted;
            report.deleted += r.deleted;
            report.requests += r.requests;
        }
        Ok(())
    }

    /// Re-reads specific tasks (after an action touched them) and upserts them; asked-for
    /// tasks the lab no longer lists are deleted from the index.
    pub async fn refresh_tasks(
        &mut self,
        client: &LabClient,
        project_id: &str,
        ids: &[String],
    ) -> Result<RefreshReport> {
        if project_id.trim().is_empty() {
            return Err(Error::MissingProject);
        }
        let mut seen_ask = HashSet::new();
        let ids: Vec<String> = ids
            .iter()
            .filter(|id| !id.is_empty() && seen_ask.insert(id.as_str()))
            .cloned()
            .collect();
        let mut report = RefreshReport::default();
        if ids.is_empty() {
            return Ok(report);
        }
        let mut filter = listing_filter(project_id);
        filter.task_ids = ids.clone();
        let listed = self
            .list_into(
                client,
                project_id,
                filter,
                &CancellationToken::new(),
                &mut |_| {},
            )
            .await?;
        report.fetched = listed.fetched;
        report.upserted = listed.upserted;
        report.requests = listed.requests;
        let gone: Vec<String> = ids
            .into_iter()
            .filter(|id| !listed.seen.contains(id))
            .collect();
        report.deleted = self.delete_tasks(project_id, &gone)?;
        Ok(report)
    }
}

/// Runs `fut` unless `cancel` fires first.
async fn cancellable<T>(
    cancel: &CancellationToken,
    fut: impl std::future::Future<Output = T>,
) -> Result<T> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::Cancelled),
        v = fut => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_subtracts_the_overlap() {
        assert_eq!(
            since("2024-05-01T10:00:00.000Z", Duration::from_secs(120)).as_deref(),
            Some("2024-05-01T09:58:00.000Z")
        );
        assert_eq!(since("not a date", Duration::from_secs(1)), None);
        assert_eq!(
            max_opt(Some("2024-01-02".into()), Some("2024-01-01".into())).as_deref(),
            Some("2024-01-02")
        );
        assert_eq!(pages(0, 10), 1);
        assert_eq!(pages(21, 10), 3);
    }
}
