//! The job journal: a SQLite file (`jobs.sqlite3` in the app's data dir) holding each create
//! job and its items, so a job closed or killed mid-batch can be resumed at the next start
//! without creating a duplicate.
//!
//! An item is marked *started* (durably) before its creation is sent, and finished (durably)
//! before progress is reported. When a job runs again, an item that was started before (its
//! creation may have happened) goes through the duplicate check: if its name is in the batch it
//! is marked done with the existing task's id, otherwise it is created. Under the
//! `InsertAnyway` policy there is no duplicate check, so such an item is marked failed with an
//! "uncertain" message instead of being sent twice (check the batch, then "retry failed only").
//!
//! The database uses WAL with `synchronous=NORMAL`: a commit survives the app being killed;
//! after a power loss the last commits may be lost, and the duplicate check covers that too.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lab_client::ops::{CreateObserver, TaskInput, create_tasks_observed, is_local_file};
use lab_client::{
    CancellationToken, Compatibility, CreateOptions, DuplicatePolicy, ErrorInfo, ErrorKind,
    LabClient, OutcomeStatus, TaskFilter, TaskOutcome,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Invalid, ItemNote, Missing, Refused, Result};

/// File name of the journal in its folder.
pub const JOURNAL_FILE: &str = "jobs.sqlite3";

/// State of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum JobState {
    /// Being run (or the app stopped while running it).
    Running,
    /// Created but not run yet, paused, or stopped by an error: can be run (resumed).
    Paused,
    /// Cancelled by the user: not offered for resume.
    Cancelled,
    /// Every item finished (done, skipped or failed).
    Done,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
            Self::Done => "done",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => Self::Running,
            "paused" => Self::Paused,
            "cancelled" => Self::Cancelled,
            "done" => Self::Done,
            _ => return None,
        })
    }
}

/// State of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ItemStatus {
    /// To create.
    Pending,
    /// Created (or found created after a restart); `task_id` is set.
    Done,
    /// Failed; `error` says why.
    Failed,
    /// Left out: the name was already in the batch (policy "skip existing").
    Skipped,
}

impl ItemStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "done" => Self::Done,
            "failed" => Self::Failed,
            "skipped" => Self::Skipped,
            _ => return None,
        })
    }
}

fn policy_str(p: DuplicatePolicy) -> &'static str {
    match p {
        DuplicatePolicy::Refuse => "refuse",
        DuplicatePolicy::SkipExisting => "skipExisting",
        DuplicatePolicy::InsertAnyway => "insertAnyway",
    }
}

fn parse_policy(s: &str) -> Option<DuplicatePolicy> {
    Some(match s {
        "refuse" => DuplicatePolicy::Refuse,
        "skipExisting" => DuplicatePolicy::SkipExisting,
        "insertAnyway" => DuplicatePolicy::InsertAnyway,
        _ => return None,
    })
}

/// A value of a job's row that this version does not know: the row is damaged (or written by
/// a newer Lab Desk), and guessing (a pending item would be created again) is worse than
/// saying so.
fn damaged_job(job: &str, what: &str, value: &str) -> Error {
    Error::State(Refused::DamagedJob {
        job: job.to_string(),
        detail: format!("unknown {what} \"{value}\""),
    })
}

fn damaged_item(job: &str, item: u64, detail: String) -> Error {
    Error::State(Refused::DamagedEntry {
        job: job.to_string(),
        item,
        detail,
    })
}

/// An item's error as the journal keeps it (JSON of [`ErrorInfo`]).
fn store_error(e: &ErrorInfo) -> String {
    serde_json::to_string(e).unwrap_or_else(|_| e.message.clone())
}

/// The journal's format ([`Journal::open`] migrates older ones): 1 kept item errors as English
/// text, 2 keeps them as [`ErrorInfo`] JSON, 3 adds each job's metadata (`jobs.meta`).
pub const JOURNAL_VERSION: i64 = 3;

/// Item counts of a job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobCounts {
    /// Items in the job.
    pub total: u64,
    /// Still to create.
    pub pending: u64,
    /// Created.
    pub done: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped (already in the batch).
    pub skipped: u64,
    /// Bytes of local files of all items.
    pub bytes_total: u64,
    /// Bytes of local files of finished (done / skipped) items.
    pub bytes_done: u64,
}

/// A create job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CreateJob"))]
pub struct Job {
    /// Id (UUID).
    pub id: String,
    /// Project.
    pub project_id: String,
    /// Target batch.
    pub batch_id: String,
    /// RFC 3339.
    pub created_at: String,
    /// Duplicate policy.
    pub policy: DuplicatePolicy,
    /// State.
    pub state: JobState,
    /// Item counts.
    pub counts: JobCounts,
}

/// One task of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Item {
    /// Job.
    pub job_id: String,
    /// Position in the job (0-based).
    pub idx: u64,
    /// Task name.
    pub name: String,
    /// The task to create.
    pub payload: TaskInput,
    /// Status.
    pub status: ItemStatus,
    /// Created task id.
    pub task_id: Option<String>,
    /// Why it failed / was skipped.
    pub error: Option<ErrorInfo>,
    /// Bytes of its local files.
    pub bytes: u64,
    /// Creations started (the first may have happened if the app stopped).
    pub attempts: u64,
}

/// The journal (cheap to clone; one connection behind a mutex).
#[derive(Clone)]
pub struct Journal {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// Transactions that wrote items' progress ([`Journal::apply`]).
    writes: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    policy TEXT NOT NULL,
    state TEXT NOT NULL,
    meta TEXT
);
CREATE TABLE IF NOT EXISTS items (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    task_id TEXT,
    error TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    in_flight INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, idx)
);
CREATE INDEX IF NOT EXISTS items_task_id ON items(task_id);
";

/// Brings a journal of an older format to [`JOURNAL_VERSION`] in one transaction; refuses one
/// of a newer format (its rows may mean what this version cannot read).
fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > JOURNAL_VERSION {
        return Err(Error::State(Refused::NewerJournal {
            path: path.display().to_string(),
            version,
            known: JOURNAL_VERSION,
        }));
    }
    if version == JOURNAL_VERSION {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let step = (|| -> rusqlite::Result<()> {
        // 0 (before versions) and 1: item errors were English text; keep it as the message
        if version < 2 {
            conn.execute(
                "UPDATE items SET error = json_object('kind', 'validation', 'message', error) WHERE error IS NOT NULL",
                [],
            )?;
        }
        // 3: what the app keeps about a job (names to show, counts of the drop), with the job
        if version < 3 && !has_column(conn, "jobs", "meta")? {
            conn.execute_batch("ALTER TABLE jobs ADD COLUMN meta TEXT")?;
        }
        conn.pragma_update(None, "user_version", JOURNAL_VERSION)?;
        Ok(())
    })();
    match step {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
    }
    Ok(())
}

fn has_column(conn: &Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    let mut st = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = st
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names.iter().any(|n| n == column))
}

fn local_bytes(t: &TaskInput) -> u64 {
    t.resources
        .iter()
        .flatten()
        .filter(|r| is_local_file(r))
        .filter_map(|r| std::fs::metadata(r).ok())
        .map(|m| m.len())
        .sum()
}

impl Journal {
    /// Open (or create) the journal in `dir` (created if missing).
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let path = dir.join(JOURNAL_FILE);
        let conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn, &path)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path,
            writes: Arc::default(),
        })
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The local file the task `task_id` was created from on this computer (its first local
    /// resource, as given to the create job), if a job here created it and the file still
    /// exists. What exports show or pack when the lab serves no copy of an uploaded file.
    pub fn local_file_of_task(&self, task_id: &str) -> Result<Option<PathBuf>> {
        let payloads: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT payload FROM items WHERE task_id = ?1 ORDER BY rowid DESC",
            )?;
            stmt.query_map([task_id], |r| r.get::<_, String>(0))?
                .collect::<std::result::Result<_, _>>()?
        };
        for payload in payloads {
            let Ok(input) = serde_json::from_str::<TaskInput>(&payload) else {
                continue;
            };
            let found = input
                .resources
                .iter()
                .flatten()
                .find(|r| is_local_file(r))
                .map(PathBuf::from)
                .filter(|p| p.is_file());
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record a new job (state `paused` until it is run) with its tasks, in one transaction.
    pub fn create_job(
        &self,
        project_id: &str,
        batch_id: &str,
        policy: DuplicatePolicy,
        tasks: &[TaskInput],
    ) -> Result<Job> {
        self.create_job_with_meta(project_id, batch_id, policy, tasks, None)
    }

    /// [`Journal::create_job`] with what the app keeps about the job ([`Journal::meta`]), in the
    /// same transaction: a job is never on record without it.
    pub fn create_job_with_meta(
        &self,
        project_id: &str,
        batch_id: &str,
        policy: DuplicatePolicy,
        tasks: &[TaskInput],
        meta: Option<&serde_json::Value>,
    ) -> Result<Job> {
        if tasks.is_empty() {
            return Err(lab_client::Error::from(lab_client::Invalid::NoTaskToCreate).into());
        }
        let id = uuid::Uuid::new_v4().to_string();
        let created_at = chrono::Utc::now().to_rfc3339();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO jobs (id, project_id, batch_id, created_at, policy, state, meta) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, project_id, batch_id, created_at, policy_str(policy), JobState::Paused.as_str(), meta.map(serde_json::Value::to_string)],
        )?;
        {
            let mut ins = tx.prepare(
                "INSERT INTO items (job_id, idx, name, payload, status, bytes) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
            )?;
            for (i, t) in tasks.iter().enumerate() {
                let payload = serde_json::to_string(t).map_err(|e| Invalid::TaskUnstorable {
                    task: t.name.clone(),
                    detail: e.to_string(),
                })?;
                ins.execute(params![
                    id,
                    i as i64,
                    t.name,
                    payload,
                    local_bytes(t) as i64
                ])?;
            }
        }
        tx.commit()?;
        drop(conn);
        self.job(&id)
    }

    fn counts(conn: &Connection, id: &str) -> Result<JobCounts> {
        let mut c = JobCounts::default();
        let mut st = conn.prepare(
            "SELECT status, COUNT(*), COALESCE(SUM(bytes), 0) FROM items WHERE job_id = ?1 GROUP BY status",
        )?;
        let rows = st.query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (s, n, b) = row?;
            let (n, b) = (n as u64, b as u64);
            c.total += n;
            c.bytes_total += b;
            let status = ItemStatus::parse(&s).ok_or_else(|| damaged_job(id, "item status", &s))?;
            match status {
                ItemStatus::Pending => c.pending += n,
                ItemStatus::Done => {
                    c.done += n;
                    c.bytes_done += b;
                }
                ItemStatus::Failed => c.failed += n,
                ItemStatus::Skipped => {
                    c.skipped += n;
                    c.bytes_done += b;
                }
            }
        }
        Ok(c)
    }

    fn read_job(conn: &Connection, id: &str) -> Result<Job> {
        let row = conn
            .query_row(
                "SELECT id, project_id, batch_id, created_at, policy, state FROM jobs WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(Missing::NoJob { id: id.to_string() }))?;
        Ok(Job {
            counts: Self::counts(conn, id)?,
            id: row.0,
            project_id: row.1,
            batch_id: row.2,
            created_at: row.3,
            policy: parse_policy(&row.4).ok_or_else(|| damaged_job(id, "policy", &row.4))?,
            state: JobState::parse(&row.5).ok_or_else(|| damaged_job(id, "state", &row.5))?,
        })
    }

    /// What the app keeps about job `id` (given to [`Journal::create_job_with_meta`] or
    /// [`Journal::set_meta`]); `None` when it gave nothing.
    pub fn meta(&self, id: &str) -> Result<Option<serde_json::Value>> {
        let text: Option<Option<String>> = self
            .conn()
            .query_row("SELECT meta FROM jobs WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        let text = text.ok_or_else(|| Error::NotFound(Missing::NoJob { id: id.to_string() }))?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| {
                Error::State(Refused::DamagedJob {
                    job: id.to_string(),
                    detail: format!("metadata not readable: {e}"),
                })
            })
        })
        .transpose()
    }

    /// Replaces what the app keeps about job `id`.
    pub fn set_meta(&self, id: &str, meta: &serde_json::Value) -> Result<()> {
        let n = self.conn().execute(
            "UPDATE jobs SET meta = ?2 WHERE id = ?1",
            params![id, meta.to_string()],
        )?;
        if n == 0 {
            return Err(Error::NotFound(Missing::NoJob { id: id.to_string() }));
        }
        Ok(())
    }

    /// One job with its counts.
    pub fn job(&self, id: &str) -> Result<Job> {
        Self::read_job(&self.conn(), id)
    }

    /// Every job, newest first.
    pub fn jobs(&self) -> Result<Vec<Job>> {
        let conn = self.conn();
        let ids: Vec<String> = conn
            .prepare("SELECT id FROM jobs ORDER BY created_at DESC, rowid DESC")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| Self::read_job(&conn, id)).collect()
    }

    /// Jobs to offer for resume at start: running (the app stopped) or paused, with items
    /// still pending. Newest first.
    pub fn unfinished_jobs(&self) -> Result<Vec<Job>> {
        Ok(self
            .jobs()?
            .into_iter()
            .filter(|j| {
                matches!(j.state, JobState::Running | JobState::Paused) && j.counts.pending > 0
            })
            .collect())
    }

    /// The items of a job, in order.
    pub fn items(&self, id: &str) -> Result<Vec<Item>> {
        let conn = self.conn();
        Self::read_job(&conn, id)?;
        let mut st = conn.prepare(
            "SELECT idx, name, payload, status, task_id, error, bytes, attempts FROM items WHERE job_id = ?1 ORDER BY idx",
        )?;
        let rows = st.query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (idx, name, payload, status, task_id, error, bytes, attempts) = row?;
            let item = idx as u64;
            let payload: TaskInput = serde_json::from_str(&payload)
                .map_err(|e| damaged_item(id, item, e.to_string()))?;
            let status = ItemStatus::parse(&status)
                .ok_or_else(|| damaged_item(id, item, format!("unknown status \"{status}\"")))?;
            let error = error
                .map(|text| {
                    serde_json::from_str::<ErrorInfo>(&text)
                        .map_err(|e| damaged_item(id, item, format!("error not readable: {e}")))
                })
                .transpose()?;
            out.push(Item {
                job_id: id.to_string(),
                idx: item,
                name,
                payload,
                status,
                task_id,
                error,
                bytes: bytes as u64,
                attempts: attempts as u64,
            });
        }
        Ok(out)
    }

    /// "Retry failed only": failed items become pending again and the job can be run
    /// (state `paused`). Returns how many items were reset.
    pub fn retry_failed(&self, id: &str) -> Result<u64> {
        let conn = self.conn();
        let job = Self::read_job(&conn, id)?;
        if job.state == JobState::Running {
            return Err(Error::State(Refused::RetryWhileRunning));
        }
        let n = conn.execute(
            "UPDATE items SET status = 'pending', error = NULL WHERE job_id = ?1 AND status = 'failed'",
            [id],
        )?;
        conn.execute(
            "UPDATE jobs SET state = ?2 WHERE id = ?1",
            params![id, JobState::Paused.as_str()],
        )?;
        Ok(n as u64)
    }

    /// Mark a job cancelled (e.g. the user answered "no" to "resume?"); its pending items stay
    /// pending and are not offered again.
    pub fn cancel_job(&self, id: &str) -> Result<()> {
        self.set_state(id, JobState::Cancelled)
    }

    /// Delete a job and its items.
    pub fn delete_job(&self, id: &str) -> Result<()> {
        let n = self
            .conn()
            .execute("DELETE FROM jobs WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(Error::NotFound(Missing::NoJob { id: id.to_string() }));
        }
        Ok(())
    }

    fn set_state(&self, id: &str, state: JobState) -> Result<()> {
        let n = self.conn().execute(
            "UPDATE jobs SET state = ?2 WHERE id = ?1",
            params![id, state.as_str()],
        )?;
        if n == 0 {
            return Err(Error::NotFound(Missing::NoJob { id: id.to_string() }));
        }
        Ok(())
    }

    /// Durably note that the creation of an item is about to be sent.
    #[cfg(test)]
    pub(crate) fn mark_started(&self, id: &str, idx: u64) -> Result<()> {
        self.apply(id, &[ItemWrite::Started(idx)])
    }

    /// Item changes of a run, written in one transaction (a run writes its items in groups:
    /// one transaction per [`FLUSH_ITEMS`] items or [`FLUSH_EVERY`], not one per item).
    pub(crate) fn apply(&self, id: &str, writes: &[ItemWrite]) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut started = tx.prepare_cached(
                "UPDATE items SET in_flight = 1, attempts = attempts + 1 WHERE job_id = ?1 AND idx = ?2",
            )?;
            let mut finished = tx.prepare_cached(
                "UPDATE items SET status = ?3, task_id = ?4, error = ?5, in_flight = 0 WHERE job_id = ?1 AND idx = ?2",
            )?;
            let mut unstarted = tx.prepare_cached(
                "UPDATE items SET in_flight = 0, attempts = MAX(attempts - 1, 0) WHERE job_id = ?1 AND idx = ?2",
            )?;
            let mut cleared =
                tx.prepare_cached("UPDATE items SET in_flight = 0 WHERE job_id = ?1 AND idx = ?2")?;
            for w in writes {
                match w {
                    ItemWrite::Started(idx) => started.execute(params![id, *idx as i64])?,
                    ItemWrite::Finished {
                        idx,
                        status,
                        task_id,
                        error,
                    } => finished.execute(params![
                        id,
                        *idx as i64,
                        status.as_str(),
                        task_id.as_deref(),
                        error.as_ref().map(store_error)
                    ])?,
                    ItemWrite::Unstarted(idx) => unstarted.execute(params![id, *idx as i64])?,
                    ItemWrite::ClearInFlight(idx) => cleared.execute(params![id, *idx as i64])?,
                };
            }
        }
        tx.commit()?;
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Transactions that wrote item progress so far (runs batch them; for tests and benches).
    #[doc(hidden)]
    pub fn item_write_transactions(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn finish(
        &self,
        id: &str,
        idx: u64,
        status: ItemStatus,
        task_id: Option<&str>,
        error: Option<&ErrorInfo>,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE items SET status = ?3, task_id = ?4, error = ?5, in_flight = 0 WHERE job_id = ?1 AND idx = ?2",
            params![id, idx as i64, status.as_str(), task_id, error.map(store_error)],
        )?;
        Ok(())
    }

    fn in_flight(&self, id: &str) -> Result<Vec<u64>> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT idx FROM items WHERE job_id = ?1 AND status = 'pending' AND in_flight = 1 ORDER BY idx",
        )?;
        let v = st
            .query_map([id], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(v.into_iter().map(|i| i as u64).collect())
    }
}

/// A change to one item of a run ([`Journal::apply`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ItemWrite {
    /// Its creation is about to be sent: in flight, one attempt more.
    Started(u64),
    /// Its outcome.
    Finished {
        idx: u64,
        status: ItemStatus,
        task_id: Option<String>,
        error: Option<ErrorInfo>,
    },
    /// Started but never sent (cancelled first): not an attempt, so a later run does not take
    /// a same-named task in the batch for one it created.
    Unstarted(u64),
    /// Its creation may have happened (the connection dropped): no longer in flight, the
    /// attempt counted, resolved by name at the next run.
    ClearInFlight(u64),
}

/// Where job progress events go.
pub type JobProgressSender = tokio::sync::mpsc::UnboundedSender<JobProgress>;

/// The last item finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemUpdate {
    /// Position in the job.
    pub idx: u64,
    /// Task name.
    pub name: String,
    /// New status.
    pub status: ItemStatus,
    /// Created task id.
    pub task_id: Option<String>,
    /// Why it failed / was skipped.
    pub error: Option<ErrorInfo>,
}

/// A progress event of a job (sent after the journal is written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobProgress {
    /// Job.
    pub job_id: String,
    /// Counts (tasks and bytes) over the whole job, earlier runs included.
    pub counts: JobCounts,
    /// Time since this run started.
    pub elapsed_ms: u64,
    /// Estimated time left, from this run's rate (bytes when the job uploads files, tasks
    /// otherwise); `None` until something finished.
    pub eta_ms: Option<u64>,
    /// The item that just finished.
    pub item: Option<ItemUpdate>,
    /// What the run is doing, on the events where that changes.
    pub phase: Option<JobPhase>,
}

/// What a run of a job is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum JobPhase {
    /// Sending the creations.
    Creating,
    /// Every item finished.
    Finished,
    /// Cancelled by the user.
    Cancelled,
    /// Stopped by an error (the job can be resumed).
    Stopped,
    /// Paused by the user.
    Paused,
}

/// Options of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunOptions {
    /// Tasks created at once.
    pub concurrency: usize,
    /// Check the data against the project's schema before each creation.
    pub validate_data: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            validate_data: true,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobReport {
    /// The job after the run.
    pub job: Job,
    /// Items finished by this run.
    pub finished_now: u64,
}

fn estimate(counts: &JobCounts, start: &JobCounts, elapsed: Duration) -> Option<u64> {
    let tasks_now = counts.done + counts.failed + counts.skipped;
    let tasks_before = start.done + start.failed + start.skipped;
    let (done_run, left) = if counts.bytes_total > 0 {
        (
            counts.bytes_done.saturating_sub(start.bytes_done),
            counts.bytes_total.saturating_sub(counts.bytes_done),
        )
    } else {
        (tasks_now.saturating_sub(tasks_before), counts.pending)
    };
    if counts.pending == 0 {
        return Some(0);
    }
    if done_run == 0 {
        return None;
    }
    let ms = elapsed.as_millis() as f64 * left as f64 / done_run as f64;
    Some(ms.round() as u64)
}

async fn find_task_id(client: &LabClient, job: &Job, name: &str) -> Option<String> {
    let filter = TaskFilter {
        project_id: job.project_id.clone(),
        batch_ids: vec![job.batch_id.clone()],
        names: vec![name.to_string()],
        ..TaskFilter::default()
    };
    let mut pages = std::pin::pin!(client.task_pages(filter));
    while let Some(Ok(page)) = pages.next().await {
        if let Some(id) = page
            .tasks
            .iter()
            .filter(|t| t["name"] == name)
            .find_map(|t| t["_id"].as_str())
        {
            return Some(id.to_string());
        }
    }
    None
}

fn stops_the_job(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Auth | ErrorKind::Forbidden | ErrorKind::Offline | ErrorKind::Timeout
    )
}

/// Items marked started per journal transaction, ahead of their sending.
const MARK_AHEAD: usize = 32;
/// Outcomes written per journal transaction at most…
const FLUSH_ITEMS: usize = 64;
/// …and at least this often; progress goes out at most this often too.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Items per call when a call refused as a whole is split (then one by one).
const REFUSED_GROUP: usize = 64;

/// A run's journal writes and progress, fed by the create pipeline ([`CreateObserver`]).
struct RunState<'a> {
    journal: &'a Journal,
    job_id: &'a str,
    policy: DuplicatePolicy,
    /// Stops the sending of new items (a connection failure, a journal that cannot be written).
    stop: &'a CancellationToken,
    inner: Mutex<RunInner>,
}

struct GroupItem {
    idx: u64,
    name: String,
    tried_before: bool,
    finished: bool,
}

struct RunInner {
    /// The items of the create call under way, by position.
    group: Vec<GroupItem>,
    /// Positions below this one are marked started (or finished before any marking).
    marked: usize,
    buffer: Vec<ItemWrite>,
    last_flush: Instant,
    /// Counts as the journal has them (after the last write).
    counts: Option<JobCounts>,
    counts_changed: bool,
    latest: Option<ItemUpdate>,
    /// Bytes done when the call under way started, and uploaded by it since.
    group_base_bytes: u64,
    group_sent: u64,
    bytes_reported: u64,
    finished: u64,
    resolve: Vec<(u64, String)>,
    stop_error: Option<Error>,
    journal_error: Option<Error>,
}

/// What a run left to its caller.
struct RunOutcome {
    finished: u64,
    /// Items skipped as existing after an earlier attempt: created then, their ids to find.
    resolve: Vec<(u64, String)>,
    stop_error: Option<Error>,
    journal_error: Option<Error>,
}

impl<'a> RunState<'a> {
    fn new(
        journal: &'a Journal,
        job_id: &'a str,
        policy: DuplicatePolicy,
        stop: &'a CancellationToken,
    ) -> Self {
        Self {
            journal,
            job_id,
            policy,
            stop,
            inner: Mutex::new(RunInner {
                group: Vec::new(),
                marked: 0,
                buffer: Vec::new(),
                last_flush: Instant::now(),
                counts: None,
                counts_changed: false,
                latest: None,
                group_base_bytes: 0,
                group_sent: 0,
                bytes_reported: 0,
                finished: 0,
                resolve: Vec::new(),
                stop_error: None,
                journal_error: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, RunInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A create call starts on these items (positions = the call's task indexes).
    fn begin_group(&self, items: &[Item]) {
        let mut s = self.lock();
        self.flush_locked(&mut s);
        s.group = items
            .iter()
            .map(|it| GroupItem {
                idx: it.idx,
                name: it.name.clone(),
                tried_before: it.attempts > 0,
                finished: false,
            })
            .collect();
        s.marked = 0;
        s.group_base_bytes = s.counts.map_or(0, |c| c.bytes_done);
        s.group_sent = 0;
    }

    fn push(&self, w: ItemWrite) {
        let mut s = self.lock();
        if matches!(w, ItemWrite::Finished { .. }) {
            s.finished += 1;
        }
        s.buffer.push(w);
    }

    fn stopping(&self) -> bool {
        let s = self.lock();
        s.stop_error.is_some() || s.journal_error.is_some()
    }

    fn add_bytes(&self, sent_in_group: u64) {
        let mut s = self.lock();
        s.group_sent = s.group_sent.max(sent_in_group);
    }

    fn flush(&self) {
        let mut s = self.lock();
        self.flush_locked(&mut s);
    }

    fn flush_locked(&self, s: &mut RunInner) {
        s.last_flush = Instant::now();
        if s.buffer.is_empty() || s.journal_error.is_some() {
            return;
        }
        let writes = std::mem::take(&mut s.buffer);
        let written = self
            .journal
            .apply(self.job_id, &writes)
            .and_then(|()| self.journal.job(self.job_id));
        match written {
            Ok(job) => {
                s.counts = Some(job.counts);
                s.counts_changed = true;
            }
            Err(e) => {
                // Nothing more is sent that the journal cannot record.
                s.journal_error = Some(e);
                self.stop.cancel();
            }
        }
    }

    /// Counts (as written) and the last item finished, when something moved since the last
    /// call.
    fn news(&self) -> Option<(JobCounts, Option<ItemUpdate>)> {
        let mut s = self.lock();
        let mut counts = s.counts?;
        let bytes = (s.group_base_bytes + s.group_sent)
            .max(counts.bytes_done)
            .min(counts.bytes_total);
        if !s.counts_changed && bytes == s.bytes_reported {
            return None;
        }
        s.counts_changed = false;
        s.bytes_reported = bytes;
        counts.bytes_done = bytes;
        Some((counts, s.latest.take()))
    }

    fn finish(&self) -> RunOutcome {
        let mut s = self.lock();
        self.flush_locked(&mut s);
        RunOutcome {
            finished: s.finished,
            resolve: std::mem::take(&mut s.resolve),
            stop_error: s.stop_error.take(),
            journal_error: s.journal_error.take(),
        }
    }
}

impl CreateObserver for RunState<'_> {
    fn starting(&self, index: usize) -> bool {
        let mut s = self.lock();
        if s.journal_error.is_some() {
            return false;
        }
        if index >= s.marked {
            // the next MARK_AHEAD items (not finished yet) in one transaction, written before
            // the first of them is sent
            let end = (index + MARK_AHEAD).min(s.group.len());
            let marks: Vec<ItemWrite> = s.group[index..end]
                .iter()
                .filter(|g| !g.finished)
                .map(|g| ItemWrite::Started(g.idx))
                .collect();
            s.buffer.extend(marks);
            s.marked = end;
            self.flush_locked(&mut s);
        }
        s.journal_error.is_none()
    }

    fn finished(&self, index: usize, outcome: &TaskOutcome) {
        let mut s = self.lock();
        let Some(g) = s.group.get_mut(index) else {
            return;
        };
        g.finished = true;
        let (idx, tried_before, name) = (g.idx, g.tried_before, g.name.clone());
        let was_marked = index < s.marked;
        let (status, task_id, error) = match outcome.status {
            OutcomeStatus::Ok => (ItemStatus::Done, outcome.id.clone(), None),
            OutcomeStatus::Skipped if tried_before => {
                // Created by an earlier, interrupted attempt: its id is looked up after the
                // run (the item stays in flight until then).
                s.resolve.push((idx, name));
                return;
            }
            OutcomeStatus::Skipped => (
                ItemStatus::Skipped,
                None,
                Some(ItemNote::NameInBatch.info()),
            ),
            OutcomeStatus::Cancelled => {
                // Never sent: stays pending, not an attempt.
                if was_marked {
                    s.buffer.push(ItemWrite::Unstarted(idx));
                }
                return;
            }
            OutcomeStatus::Failed => match &outcome.error {
                Some(e) if stops_the_job(e.kind) => {
                    // Its creation may have happened: attempts > 0, resolved by name at the
                    // next run. Under "insert anyway" there is no name check: the item stays
                    // in flight so the next run reports it as in doubt instead of sending it
                    // again (which could create a duplicate).
                    if self.policy != DuplicatePolicy::InsertAnyway {
                        s.buffer.push(ItemWrite::ClearInFlight(idx));
                    }
                    if s.stop_error.is_none() {
                        s.stop_error = Some(Error::Stopped(e.clone()));
                    }
                    self.stop.cancel();
                    return;
                }
                Some(e) => (ItemStatus::Failed, None, Some(e.clone())),
                None => (ItemStatus::Failed, None, Some(ItemNote::NotCreated.info())),
            },
        };
        s.buffer.push(ItemWrite::Finished {
            idx,
            status,
            task_id: task_id.clone(),
            error: error.clone(),
        });
        s.finished += 1;
        s.latest = Some(ItemUpdate {
            idx,
            name,
            status,
            task_id,
            error,
        });
        if s.buffer.len() >= FLUSH_ITEMS || s.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush_locked(&mut s);
        }
    }
}

/// Create the pending items of a job through lab-client's create pipeline (upload, grant,
/// data, create; transient failures retried by the client), `opts.concurrency` at a time.
///
/// Each item is marked started before it is sent and finished before progress is reported.
/// Items started by an earlier run (killed mid-job) are resolved by the duplicate check: a
/// name found in the batch is marked done, never created again. `pause` or `cancel` stop
/// sending new items (those in flight finish) and leave the job `paused` / `cancelled`; a
/// paused job is resumed by calling this again. Network / authorisation failures pause the
/// job and return the error. `Refuse` refuses a job not started yet whose names exist in the
/// batch (nothing created).
pub async fn run_create_job(
    client: &LabClient,
    journal: &Journal,
    job_id: &str,
    progress: Option<JobProgressSender>,
    cancel: CancellationToken,
    pause: CancellationToken,
    opts: RunOptions,
) -> Result<JobReport> {
    let job = journal.job(job_id)?;
    if job.state == JobState::Cancelled {
        return Err(Error::State(Refused::JobCancelled));
    }
    let items: Vec<Item> = journal
        .items(job_id)?
        .into_iter()
        .filter(|i| i.status == ItemStatus::Pending)
        .collect();
    let reporter = Reporter {
        tx: progress,
        job_id,
        start_counts: job.counts,
        started: Instant::now(),
    };
    if items.is_empty() {
        journal.set_state(job_id, JobState::Done)?;
        reporter.emit(journal, Some(JobPhase::Finished))?;
        return Ok(JobReport {
            job: journal.job(job_id)?,
            finished_now: 0,
        });
    }
    let (todo, mut finished_now) = prepare(client, journal, &job, items).await?;
    reporter.emit(journal, Some(JobPhase::Creating))?;
    let (fatal, outcome) = send_items(
        client, journal, &job, todo, &opts, &cancel, &pause, &reporter,
    )
    .await;
    finished_now += outcome.finished;
    if let Some(e) = outcome.journal_error {
        return Err(e);
    }
    finished_now += record_found(client, journal, &job, outcome.resolve).await?;
    let stop_error = fatal.or(outcome.stop_error);
    let phase = finish(journal, job_id, cancel.is_cancelled(), stop_error.is_some())?;
    reporter.emit(journal, Some(phase))?;
    if let Some(e) = stop_error {
        return Err(e);
    }
    Ok(JobReport {
        job: journal.job(job_id)?,
        finished_now,
    })
}

/// Progress events of one run (counts over the whole job, the estimate from this run's rate).
struct Reporter<'a> {
    tx: Option<JobProgressSender>,
    job_id: &'a str,
    start_counts: JobCounts,
    started: Instant,
}

impl Reporter<'_> {
    fn send(&self, counts: JobCounts, item: Option<ItemUpdate>, phase: Option<JobPhase>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(JobProgress {
                job_id: self.job_id.to_string(),
                eta_ms: estimate(&counts, &self.start_counts, self.started.elapsed()),
                elapsed_ms: self.started.elapsed().as_millis() as u64,
                counts,
                item,
                phase,
            });
        }
    }

    /// The counts as the journal has them now, with the run's phase.
    fn emit(&self, journal: &Journal, phase: Option<JobPhase>) -> Result<()> {
        if self.tx.is_some() {
            self.send(journal.job(self.job_id)?.counts, None, phase);
        }
        Ok(())
    }
}

/// Before anything is sent: a job under "refuse" not started yet is refused when a name is in
/// the batch already (nothing created); the job is marked running; under "insert anyway" an
/// item whose creation may have happened (in flight when the app stopped) fails as in doubt
/// rather than being sent again. Returns the items to send and how many finished here.
async fn prepare(
    client: &LabClient,
    journal: &Journal,
    job: &Job,
    items: Vec<Item>,
) -> Result<(Vec<Item>, u64)> {
    if job.policy == DuplicatePolicy::Refuse
        && job.counts.pending == job.counts.total
        && items.iter().all(|i| i.attempts == 0)
    {
        let names: Vec<String> = items.iter().map(|i| i.name.clone()).collect();
        let existing = lab_client::ops::existing_names(client, &job.batch_id, &names).await?;
        if !existing.is_empty() {
            journal.set_state(&job.id, JobState::Paused)?;
            let shown = existing.iter().take(3).cloned().collect::<Vec<_>>();
            return Err(Invalid::JobNamesInBatch {
                count: existing.len(),
                names: format!(
                    "{}{}",
                    shown.join(", "),
                    if existing.len() > 3 { ", …" } else { "" }
                ),
            }
            .into());
        }
    }
    journal.set_state(&job.id, JobState::Running)?;
    let mut in_doubt = std::collections::HashSet::new();
    if job.policy == DuplicatePolicy::InsertAnyway {
        for idx in journal.in_flight(&job.id)? {
            in_doubt.insert(idx);
            let note = ItemNote::InDoubt.info();
            journal.finish(&job.id, idx, ItemStatus::Failed, None, Some(&note))?;
        }
    }
    let finished = in_doubt.len() as u64;
    let todo = items
        .into_iter()
        .filter(|i| !in_doubt.contains(&i.idx))
        .collect();
    Ok((todo, finished))
}

/// Sends the items and records their outcomes, until all are done or the run stops (cancel,
/// pause, an error that stops the job). Returns the error that stopped it before anything was
/// sent, and what the run recorded.
///
/// The items go through one create_tasks_observed call (one project / configuration /
/// duplicate check, the adaptive number of creations in flight, no pause between groups).
/// The journal is written in groups: items are marked started MARK_AHEAD at a time before
/// the first of them is sent, outcomes are written FLUSH_ITEMS at a time or every
/// FLUSH_EVERY, and progress (counts as written) goes out at most every FLUSH_EVERY.
#[allow(clippy::too_many_arguments)]
async fn send_items(
    client: &LabClient,
    journal: &Journal,
    job: &Job,
    todo: Vec<Item>,
    opts: &RunOptions,
    cancel: &CancellationToken,
    pause: &CancellationToken,
    reporter: &Reporter<'_>,
) -> (Option<Error>, RunOutcome) {
    let inner_cancel = CancellationToken::new();
    let all_done = CancellationToken::new();
    let run = RunState::new(journal, &job.id, job.policy, &inner_cancel);
    let (ptx, mut prx) = tokio::sync::mpsc::unbounded_channel::<lab_client::ops::Progress>();
    let stopped = || cancel.is_cancelled() || pause.is_cancelled();
    let create = async {
        let fatal = send_groups(client, job, todo, opts, &run, &ptx, &inner_cancel, stopped).await;
        run.flush();
        all_done.cancel();
        fatal
    };
    // pause / cancel reach the tasks not sent yet
    let watch = async {
        tokio::select! {
            _ = cancel.cancelled() => inner_cancel.cancel(),
            _ = pause.cancelled() => inner_cancel.cancel(),
            _ = all_done.cancelled() => {}
        }
    };
    // bytes uploaded, from the create pipeline (tasks are counted as the journal records them)
    let forward = async {
        loop {
            tokio::select! {
                p = prx.recv() => match p {
                    Some(p) => run.add_bytes(p.bytes_sent),
                    None => break,
                },
                _ = all_done.cancelled() => break,
            }
        }
    };
    // the journal written and progress sent every FLUSH_EVERY at most
    let ticker = async {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    run.flush();
                    if let Some((counts, item)) = run.news() {
                        reporter.send(counts, item, None);
                    }
                }
                _ = all_done.cancelled() => break,
            }
        }
    };
    let (fatal, (), (), ()) = futures::join!(create, watch, forward, ticker);
    drop(ptx);
    let outcome = run.finish();
    if let Some((counts, item)) = run.news() {
        reporter.send(counts, item, None);
    }
    (fatal, outcome)
}

/// The create calls of a run. A call refused as a whole (a file gone since the pre-flight,
/// data that does not fit…) is split: groups of REFUSED_GROUP items, then one by one, so each
/// item gets its own outcome. Returns the error that stops the job, if one came.
#[allow(clippy::too_many_arguments)]
async fn send_groups(
    client: &LabClient,
    job: &Job,
    todo: Vec<Item>,
    opts: &RunOptions,
    run: &RunState<'_>,
    ptx: &tokio::sync::mpsc::UnboundedSender<lab_client::ops::Progress>,
    inner_cancel: &CancellationToken,
    stopped: impl Fn() -> bool,
) -> Option<Error> {
    let item_policy = match job.policy {
        DuplicatePolicy::InsertAnyway => DuplicatePolicy::InsertAnyway,
        _ => DuplicatePolicy::SkipExisting,
    };
    let mut groups: std::collections::VecDeque<(Vec<Item>, usize)> =
        std::collections::VecDeque::from([(todo, 0)]);
    while let Some((group, level)) = groups.pop_front() {
        if stopped() || run.stopping() {
            break;
        }
        let tasks: Vec<TaskInput> = group
            .iter()
            .map(|it| TaskInput {
                name: it.name.clone(),
                ..it.payload.clone()
            })
            .collect();
        run.begin_group(&group);
        let single = group.len() == 1 && level > 0;
        let res = create_tasks_observed(
            client,
            &job.project_id,
            &job.batch_id,
            tasks,
            CreateOptions {
                validate_data: opts.validate_data,
                duplicates: item_policy,
                compatibility: Compatibility::Lab,
                concurrency: opts.concurrency.max(1),
            },
            (!single).then(|| ptx.clone()),
            inner_cancel.clone(),
            run,
        )
        .await;
        match res {
            Ok(_) => {}
            // refused before any creation was sent
            Err(e) if stops_the_job(e.kind()) => return Some(e.into()),
            Err(e) if group.len() == 1 => {
                run.push(ItemWrite::Finished {
                    idx: group[0].idx,
                    status: ItemStatus::Failed,
                    task_id: None,
                    error: Some(e.info()),
                });
            }
            Err(_) => {
                let size = if level == 0 { REFUSED_GROUP } else { 1 };
                let parts: Vec<Vec<Item>> = group.chunks(size).map(<[Item]>::to_vec).collect();
                for part in parts.into_iter().rev() {
                    groups.push_front((part, level + 1));
                }
            }
        }
    }
    None
}

/// Items found in the batch after an interrupted attempt were created then: done, with their
/// id. Returns how many.
async fn record_found(
    client: &LabClient,
    journal: &Journal,
    job: &Job,
    found: Vec<(u64, String)>,
) -> Result<u64> {
    let mut resolved = Vec::new();
    for (idx, name) in found {
        resolved.push(ItemWrite::Finished {
            idx,
            status: ItemStatus::Done,
            task_id: find_task_id(client, job, &name).await,
            error: None,
        });
    }
    journal.apply(&job.id, &resolved)?;
    Ok(resolved.len() as u64)
}

/// The job's state after a run: cancelled, done when nothing is pending, else paused (stopped
/// by an error or by the user), and the phase that says which.
fn finish(journal: &Journal, job_id: &str, cancelled: bool, stopped: bool) -> Result<JobPhase> {
    let counts = journal.job(job_id)?.counts;
    let (state, phase) = if cancelled {
        (JobState::Cancelled, JobPhase::Cancelled)
    } else if counts.pending == 0 {
        (JobState::Done, JobPhase::Finished)
    } else if stopped {
        (JobState::Paused, JobPhase::Stopped)
    } else {
        (JobState::Paused, JobPhase::Paused)
    };
    journal.set_state(job_id, state)?;
    Ok(phase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{self, BATCH, EMPTY_BATCH, PROJECT};
    use std::collections::HashSet;

    /// Runs the job with no progress, cancel or pause, and the default options.
    async fn run_job(client: &LabClient, journal: &Journal, id: &str) -> Result<JobReport> {
        run_create_job(
            client,
            journal,
            id,
            None,
            CancellationToken::new(),
            CancellationToken::new(),
            RunOptions::default(),
        )
        .await
    }

    /// Creates `task` in the empty batch outside the job (as another user or app would).
    async fn create_elsewhere(client: &LabClient, task: TaskInput) -> lab_client::CreateReport {
        lab_client::ops::create_tasks(
            client,
            PROJECT,
            EMPTY_BATCH,
            vec![task],
            CreateOptions::default(),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap()
    }

    /// A journal in a fresh folder holding one job: `n` images to create into `batch`.
    struct JobFixture {
        t: tempfile::TempDir,
        journal: Journal,
        tasks: Vec<TaskInput>,
        job: Job,
    }

    fn job_fixture(n: usize, batch: &str, policy: DuplicatePolicy) -> JobFixture {
        let t = tempfile::tempdir().unwrap();
        let journal = Journal::open(t.path()).unwrap();
        let tasks = file_tasks(&t.path().join("imgs"), n);
        let job = journal.create_job(PROJECT, batch, policy, &tasks).unwrap();
        JobFixture {
            t,
            journal,
            tasks,
            job,
        }
    }

    fn file_tasks(dir: &Path, n: usize) -> Vec<TaskInput> {
        test_support::png_files(dir, n)
            .into_iter()
            .map(|p| TaskInput {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                resources: Some(vec![p.to_string_lossy().into_owned()]),
                ..TaskInput::default()
            })
            .collect()
    }

    /// Every item done with a distinct task id, and the batch holds each name exactly once.
    async fn assert_exact(client: &LabClient, journal: &Journal, job: &str, batch: &str, n: usize) {
        let items = journal.items(job).unwrap();
        assert_eq!(items.len(), n);
        assert!(
            items.iter().all(|i| i.status == ItemStatus::Done),
            "{:?}",
            items
                .iter()
                .filter(|i| i.status != ItemStatus::Done)
                .collect::<Vec<_>>()
        );
        let ids: HashSet<_> = items.iter().map(|i| i.task_id.clone().unwrap()).collect();
        assert_eq!(ids.len(), n);
        let names = test_support::batch_names(client, batch).await;
        let mut expected: Vec<String> = items.iter().map(|i| i.name.clone()).collect();
        expected.sort();
        assert_eq!(names, expected, "batch must hold each task exactly once");
    }

    #[tokio::test]
    async fn runs_a_job_with_progress_in_tasks_and_bytes() {
        let lab = test_support::lab(Duration::ZERO).await;
        let t = tempfile::tempdir().unwrap();
        let journal = Journal::open(&t.path().join("data")).unwrap();
        let tasks = file_tasks(&t.path().join("imgs"), 12);
        let job = journal
            .create_job(PROJECT, EMPTY_BATCH, DuplicatePolicy::Refuse, &tasks)
            .unwrap();
        assert_eq!(job.state, JobState::Paused);
        assert!(job.counts.bytes_total > 0);
        assert_eq!(journal.unfinished_jobs().unwrap().len(), 1);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let report = run_create_job(
            &lab.client,
            &journal,
            &job.id,
            Some(tx),
            CancellationToken::new(),
            CancellationToken::new(),
            RunOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(report.finished_now, 12);
        assert_eq!(report.job.state, JobState::Done);
        assert_eq!(report.job.counts.done, 12);
        assert_eq!(report.job.counts.bytes_done, job.counts.bytes_total);
        assert_exact(&lab.client, &journal, &job.id, EMPTY_BATCH, 12).await;
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        // progress is coalesced (at most one event per FLUSH_EVERY, with the last item done)
        let with_items = events.iter().filter(|e| e.item.is_some()).count();
        assert!((1..=12).contains(&with_items), "{with_items}");
        let done: Vec<u64> = events.iter().map(|e| e.counts.done).collect();
        assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
        let last = events.last().unwrap();
        assert_eq!(
            (last.counts.done, last.eta_ms, last.phase),
            (12, Some(0), Some(JobPhase::Finished))
        );
        assert!(journal.unfinished_jobs().unwrap().is_empty());
        // each created task leads back to the file it was made from
        let items = journal.items(&job.id).unwrap();
        let first = &items[0];
        assert_eq!(
            journal
                .local_file_of_task(first.task_id.as_deref().unwrap())
                .unwrap()
                .as_deref()
                .map(|p| p.to_string_lossy().into_owned()),
            first.payload.resources.as_ref().unwrap().first().cloned()
        );
        assert_eq!(journal.local_file_of_task("no-such-task").unwrap(), None);
        std::fs::remove_file(first.payload.resources.as_ref().unwrap()[0].as_str()).unwrap();
        assert_eq!(
            journal
                .local_file_of_task(first.task_id.as_deref().unwrap())
                .unwrap(),
            None,
            "a file gone from the disk is not offered"
        );
        // running a finished job again creates nothing
        let again = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!(again.finished_now, 0);
        assert_eq!(
            test_support::batch_names(&lab.client, EMPTY_BATCH)
                .await
                .len(),
            12
        );
    }

    #[tokio::test]
    async fn a_long_job_writes_the_journal_and_progress_in_groups() {
        let lab = test_support::lab(Duration::ZERO).await;
        let t = tempfile::tempdir().unwrap();
        let journal = Journal::open(&t.path().join("data")).unwrap();
        let n = 300;
        let tasks: Vec<TaskInput> = (0..n)
            .map(|i| TaskInput {
                name: format!("g-{i:03}"),
                resources: Some(vec![format!("https://example.invalid/{i}.png")]),
                ..TaskInput::default()
            })
            .collect();
        let job = journal
            .create_job(PROJECT, EMPTY_BATCH, DuplicatePolicy::Refuse, &tasks)
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let started = Instant::now();
        let report = run_create_job(
            &lab.client,
            &journal,
            &job.id,
            Some(tx),
            CancellationToken::new(),
            CancellationToken::new(),
            RunOptions::default(),
        )
        .await
        .unwrap();
        let ticks = started.elapsed().as_millis() as u64 / FLUSH_EVERY.as_millis() as u64 + 1;
        assert_eq!(report.finished_now, n as u64);
        assert_exact(&lab.client, &journal, &job.id, EMPTY_BATCH, n).await;
        // one transaction per MARK_AHEAD items started, per FLUSH_ITEMS outcomes or per
        // FLUSH_EVERY: never one per item
        let writes = journal.item_write_transactions();
        let bound = (n / MARK_AHEAD) as u64 + 1 + (n / FLUSH_ITEMS) as u64 + 1 + ticks;
        assert!(
            writes <= bound,
            "{writes} transactions for {n} items (bound {bound})"
        );
        assert!(writes < n as u64 / 4, "{writes} transactions for {n} items");
        // progress: at most one event per FLUSH_EVERY, plus the start and the end
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        assert!(
            events.len() as u64 <= ticks + 3,
            "{} events in {ticks} ticks",
            events.len()
        );
        let done: Vec<u64> = events.iter().map(|e| e.counts.done).collect();
        assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
        assert_eq!(events.last().unwrap().counts.done, n as u64);
        // every event's counts were in the journal when it was sent: never ahead of it
        let items = journal.items(&job.id).unwrap();
        assert!(
            items
                .iter()
                .all(|i| i.status == ItemStatus::Done && i.attempts == 1)
        );
    }

    #[tokio::test]
    async fn refuse_policy_refuses_existing_names_and_skip_existing_skips_them() {
        let lab = test_support::lab(Duration::ZERO).await;
        let t = tempfile::tempdir().unwrap();
        let journal = Journal::open(t.path()).unwrap();
        let mut tasks = file_tasks(&t.path().join("imgs"), 2);
        tasks[0].name = "alpha.png".into(); // already in BATCH
        let job = journal
            .create_job(PROJECT, BATCH, DuplicatePolicy::Refuse, &tasks)
            .unwrap();
        let e = run_job(&lab.client, &journal, &job.id).await.unwrap_err();
        assert!(e.to_string().contains("alpha.png"), "{e}");
        assert_eq!(
            test_support::batch_names(&lab.client, BATCH).await,
            ["alpha.png"]
        );
        assert_eq!(journal.job(&job.id).unwrap().state, JobState::Paused);

        let job = journal
            .create_job(PROJECT, BATCH, DuplicatePolicy::SkipExisting, &tasks)
            .unwrap();
        let r = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!((r.job.counts.done, r.job.counts.skipped), (1, 1));
        let items = journal.items(&job.id).unwrap();
        assert_eq!(items[0].status, ItemStatus::Skipped);
        assert_eq!(
            test_support::batch_names(&lab.client, BATCH).await,
            ["alpha.png", "img-0001.png"]
        );
    }

    #[tokio::test]
    async fn retry_failed_only_recreates_just_the_failed_items() {
        let lab = test_support::lab(Duration::ZERO).await;
        let JobFixture {
            t: _t,
            journal,
            tasks,
            job,
        } = job_fixture(4, EMPTY_BATCH, DuplicatePolicy::Refuse);
        let missing = tasks[2].resources.as_ref().unwrap()[0].clone();
        let keep = std::fs::read(&missing).unwrap();
        std::fs::remove_file(&missing).unwrap();
        let r = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!(
            (r.job.counts.done, r.job.counts.failed, r.job.state),
            (3, 1, JobState::Done)
        );
        let failed = &journal.items(&job.id).unwrap()[2];
        assert_eq!(failed.status, ItemStatus::Failed);
        // kept as data: the English and the catalogue message naming the file
        let e = failed.error.as_ref().unwrap();
        assert!(e.message.contains("img-0002.png"), "{failed:?}");
        let m = e.catalogue.as_ref().expect("a catalogue message");
        assert!(
            m.params.values().any(|v| v.contains("img-0002.png")),
            "{m:?}"
        );
        std::fs::write(&missing, keep).unwrap();
        assert_eq!(journal.retry_failed(&job.id).unwrap(), 1);
        assert_eq!(journal.unfinished_jobs().unwrap()[0].id, job.id);
        let r = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!(r.finished_now, 1);
        assert_exact(&lab.client, &journal, &job.id, EMPTY_BATCH, 4).await;
    }

    #[tokio::test]
    async fn started_items_are_resolved_by_the_duplicate_check() {
        let lab = test_support::lab(Duration::ZERO).await;
        let JobFixture {
            t: _t,
            journal,
            tasks,
            job,
        } = job_fixture(3, EMPTY_BATCH, DuplicatePolicy::Refuse);
        // As if the app was killed: item 0 created but not marked, item 1 started, never sent.
        journal.mark_started(&job.id, 0).unwrap();
        journal.mark_started(&job.id, 1).unwrap();
        journal.set_state(&job.id, JobState::Running).unwrap();
        let pre = create_elsewhere(&lab.client, tasks[0].clone()).await;
        let pre_id = pre.outcomes[0].id.clone().unwrap();
        assert_eq!(journal.unfinished_jobs().unwrap()[0].id, job.id);
        let r = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!(r.job.state, JobState::Done);
        assert_exact(&lab.client, &journal, &job.id, EMPTY_BATCH, 3).await;
        assert_eq!(
            journal.items(&job.id).unwrap()[0].task_id.as_deref(),
            Some(pre_id.as_str())
        );
    }

    #[tokio::test]
    async fn a_run_stopped_before_sending_leaves_no_attempt_behind() {
        let lab = test_support::lab(Duration::ZERO).await;
        let JobFixture {
            t: _t,
            journal,
            tasks,
            job,
        } = job_fixture(2, EMPTY_BATCH, DuplicatePolicy::SkipExisting);
        // offline: the first chunk is marked started, then refused before any creation is sent
        let offline = LabClient::new(
            "http://127.0.0.1:9/",
            lab_client::Credentials {
                access_id: "id".into(),
                secret_key: "secret".into(),
            },
            lab_client::ClientOptions {
                max_retries: 0,
                ..lab_client::ClientOptions::default()
            },
        )
        .unwrap();
        let stopped = run_job(&offline, &journal, &job.id).await;
        assert!(stopped.is_err(), "{stopped:?}");
        assert!(
            journal
                .items(&job.id)
                .unwrap()
                .iter()
                .all(|i| i.attempts == 0 && i.status == ItemStatus::Pending),
            "{:?}",
            journal.items(&job.id).unwrap()
        );
        // meanwhile someone else creates a task with the first name: the job, which never sent
        // it, skips it as "already in the batch" (it does not take that task for its own)
        let theirs = create_elsewhere(&lab.client, tasks[0].clone()).await;
        assert_eq!(theirs.created, 1);
        run_job(&lab.client, &journal, &job.id).await.unwrap();
        let items = journal.items(&job.id).unwrap();
        assert_eq!(items[0].status, ItemStatus::Skipped, "{:?}", items[0]);
        assert_eq!(items[0].task_id, None);
        assert_eq!(items[1].status, ItemStatus::Done);
    }

    #[tokio::test]
    async fn a_started_job_under_refuse_is_not_refused_as_a_whole_on_resume() {
        let lab = test_support::lab(Duration::ZERO).await;
        let JobFixture {
            t: _t,
            journal,
            tasks,
            job,
        } = job_fixture(2, EMPTY_BATCH, DuplicatePolicy::Refuse);
        // item 0 created by this job, then it stopped; someone creates item 1's name meanwhile
        let first = create_elsewhere(&lab.client, tasks[0].clone()).await;
        journal
            .finish(
                &job.id,
                0,
                ItemStatus::Done,
                first.outcomes[0].id.as_deref(),
                None,
            )
            .unwrap();
        create_elsewhere(&lab.client, tasks[1].clone()).await;
        let r = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!(r.job.state, JobState::Done);
        assert_eq!(
            journal.items(&job.id).unwrap()[1].status,
            ItemStatus::Skipped
        );
    }

    #[tokio::test]
    async fn insert_anyway_never_resends_an_uncertain_item() {
        let lab = test_support::lab(Duration::ZERO).await;
        let JobFixture {
            t: _t,
            journal,
            tasks: _tasks,
            job,
        } = job_fixture(2, EMPTY_BATCH, DuplicatePolicy::InsertAnyway);
        journal.mark_started(&job.id, 0).unwrap();
        let r = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!((r.job.counts.done, r.job.counts.failed), (1, 1));
        let it = &journal.items(&job.id).unwrap()[0];
        assert_eq!(it.error, Some(ItemNote::InDoubt.info()));
        assert!(
            it.error
                .as_ref()
                .unwrap()
                .message
                .contains("may or may not")
        );
        assert_eq!(
            test_support::batch_names(&lab.client, EMPTY_BATCH).await,
            ["img-0001.png"]
        );
    }

    /// Waits until `cond` holds (polling every 10 ms, at most 60 s).
    async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
        for _ in 0..6000 {
            if cond() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("never happened: {what}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pause_then_resume_and_cancel() {
        let lab = test_support::lab(Duration::from_millis(15)).await;
        let JobFixture {
            t: _t,
            journal,
            tasks: _tasks,
            job,
        } = job_fixture(16, EMPTY_BATCH, DuplicatePolicy::Refuse);
        let pause = CancellationToken::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let run = {
            let (c, j, id, p) = (
                lab.client.clone(),
                journal.clone(),
                job.id.clone(),
                pause.clone(),
            );
            tokio::spawn(async move {
                run_create_job(
                    &c,
                    &j,
                    &id,
                    Some(tx),
                    CancellationToken::new(),
                    p,
                    RunOptions {
                        concurrency: 2,
                        ..RunOptions::default()
                    },
                )
                .await
            })
        };
        while let Some(e) = rx.recv().await {
            if e.counts.done >= 2 {
                assert!(e.eta_ms.is_some());
                pause.cancel();
                break;
            }
        }
        let r = run.await.unwrap().unwrap();
        assert_eq!(r.job.state, JobState::Paused);
        assert!(r.job.counts.pending > 0, "{:?}", r.job.counts);
        assert_eq!(journal.unfinished_jobs().unwrap()[0].id, job.id);
        let created = test_support::batch_names(&lab.client, EMPTY_BATCH)
            .await
            .len() as u64;
        assert_eq!(created, r.job.counts.done);

        // cancel before anything: cancelled, not offered again, cannot be run
        let cancel = CancellationToken::new();
        cancel.cancel();
        let r = run_create_job(
            &lab.client,
            &journal,
            &job.id,
            None,
            cancel,
            CancellationToken::new(),
            RunOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(r.job.state, JobState::Cancelled);
        assert!(journal.unfinished_jobs().unwrap().is_empty());
        assert!(matches!(
            run_job(&lab.client, &journal, &job.id).await,
            Err(Error::State(_))
        ));
    }

    /// Server-side creations that the journal does not know as done (the kill window).
    async fn unjournaled(lab: &test_support::Lab, journal: &Journal, job: &str) -> usize {
        let on_server = test_support::batch_names(&lab.client, EMPTY_BATCH)
            .await
            .len();
        let done = journal.job(job).unwrap().counts.done as usize;
        on_server - done
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropped_runner_resumes_with_exact_count() {
        // Creations after the 5th are made on the server but their answers never arrive.
        let (lab, gate) = test_support::gated_lab(5).await;
        let JobFixture {
            t: _t,
            journal,
            tasks: _tasks,
            job,
        } = job_fixture(20, EMPTY_BATCH, DuplicatePolicy::Refuse);
        let run = {
            let (c, j, id) = (lab.client.clone(), journal.clone(), job.id.clone());
            tokio::spawn(async move { run_job(&c, &j, &id).await })
        };
        wait_until("a creation held", || {
            gate.created.load(std::sync::atomic::Ordering::SeqCst) > 5
        })
        .await;
        run.abort(); // the runner is dropped mid-creation
        assert!(run.await.unwrap_err().is_cancelled());
        let mid = journal.job(&job.id).unwrap();
        assert_eq!(mid.state, JobState::Running);
        assert!(mid.counts.pending > 0);
        assert!(
            unjournaled(&lab, &journal, &job.id).await >= 1,
            "a created task is not journaled"
        );
        assert_eq!(journal.unfinished_jobs().unwrap()[0].id, job.id);
        gate.release();
        let r = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!(r.job.state, JobState::Done);
        assert_exact(&lab.client, &journal, &job.id, EMPTY_BATCH, 20).await;
    }

    /// A journal as Lab Desk wrote it before formats were numbered: item errors in English.
    fn old_journal(dir: &Path, error: &str, status: &str, state: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let c = Connection::open(dir.join(JOURNAL_FILE)).unwrap();
        // the tables as they were then (no jobs.meta)
        let before = SCHEMA.replace(
            "    state TEXT NOT NULL,\n    meta TEXT\n",
            "    state TEXT NOT NULL\n",
        );
        assert_ne!(before, SCHEMA);
        c.execute_batch(&before).unwrap();
        c.execute(
            "INSERT INTO jobs VALUES ('j1', 'p', 'b', '2026-11-01T00:00:00Z', 'skipExisting', ?1)",
            [state],
        )
        .unwrap();
        c.execute(
            "INSERT INTO items (job_id, idx, name, payload, status, error) VALUES ('j1', 0, 'a.png', '{\"name\":\"a.png\"}', ?1, ?2)",
            params![status, error],
        )
        .unwrap();
    }

    #[test]
    fn an_old_journal_is_migrated_once_and_keeps_its_errors_english() {
        let t = tempfile::tempdir().unwrap();
        old_journal(t.path(), "The lab refused: \"bad\"", "failed", "done");
        let journal = Journal::open(t.path()).unwrap();
        let items = journal.items("j1").unwrap();
        assert_eq!(
            items[0].error,
            Some(ErrorInfo::new(
                ErrorKind::Validation,
                "The lab refused: \"bad\""
            ))
        );
        let version: i64 = journal
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, JOURNAL_VERSION);
        drop(journal);
        // opened again: already migrated, the error is not wrapped a second time
        let journal = Journal::open(t.path()).unwrap();
        assert_eq!(
            journal.items("j1").unwrap()[0]
                .error
                .as_ref()
                .unwrap()
                .message,
            "The lab refused: \"bad\""
        );
    }

    #[test]
    fn a_job_keeps_the_apps_metadata_with_it() {
        let t = tempfile::tempdir().unwrap();
        let journal = Journal::open(t.path()).unwrap();
        let tasks = vec![TaskInput {
            name: "a".into(),
            ..TaskInput::default()
        }];
        let meta = serde_json::json!({"projectName": "Demo", "leftOut": {"existing": 2}});
        let job = journal
            .create_job_with_meta(PROJECT, BATCH, DuplicatePolicy::Refuse, &tasks, Some(&meta))
            .unwrap();
        assert_eq!(journal.meta(&job.id).unwrap(), Some(meta));
        let plain = journal
            .create_job(PROJECT, BATCH, DuplicatePolicy::Refuse, &tasks)
            .unwrap();
        assert_eq!(journal.meta(&plain.id).unwrap(), None);
        journal.set_meta(&plain.id, &serde_json::json!(1)).unwrap();
        assert_eq!(journal.meta(&plain.id).unwrap(), Some(serde_json::json!(1)));
        assert!(matches!(
            journal.meta("nope").unwrap_err(),
            Error::NotFound(Missing::NoJob { .. })
        ));
        assert!(journal.set_meta("nope", &serde_json::json!(1)).is_err());
        // a journal of format 2 gets the column, its jobs none
        let t = tempfile::tempdir().unwrap();
        old_journal(t.path(), "x", "failed", "done");
        let journal = Journal::open(t.path()).unwrap();
        assert_eq!(journal.meta("j1").unwrap(), None);
    }

    #[test]
    fn a_newer_journal_is_refused_and_left_as_it_is() {
        let t = tempfile::tempdir().unwrap();
        old_journal(t.path(), "x", "failed", "done");
        let c = Connection::open(t.path().join(JOURNAL_FILE)).unwrap();
        c.pragma_update(None, "user_version", JOURNAL_VERSION + 1)
            .unwrap();
        drop(c);
        let e = Journal::open(t.path()).unwrap_err();
        assert!(
            matches!(&e, Error::State(Refused::NewerJournal { version, known, .. })
                if *version == JOURNAL_VERSION + 1 && *known == JOURNAL_VERSION),
            "{e}"
        );
        assert!(e.to_string().contains("update Lab Desk"), "{e}");
        let c = Connection::open(t.path().join(JOURNAL_FILE)).unwrap();
        let error: String = c
            .query_row("SELECT error FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(error, "x", "not migrated");
    }

    #[test]
    fn unknown_values_are_a_damaged_entry_not_a_guess() {
        // an item status this version does not know: not taken for pending (created again)
        let t = tempfile::tempdir().unwrap();
        old_journal(t.path(), "x", "creating", "paused");
        let journal = Journal::open(t.path()).unwrap();
        let e = journal.items("j1").unwrap_err();
        assert!(
            matches!(&e, Error::State(Refused::DamagedJob { job, detail })
                if job == "j1" && detail.contains("\"creating\"")),
            "{e}"
        );
        assert!(journal.unfinished_jobs().is_err());
        // a job state it does not know
        let t = tempfile::tempdir().unwrap();
        old_journal(t.path(), "x", "failed", "resting");
        let journal = Journal::open(t.path()).unwrap();
        let e = journal.job("j1").unwrap_err();
        assert!(e.to_string().contains("unknown state \"resting\""), "{e}");
        // an error that is not the stored form
        let t = tempfile::tempdir().unwrap();
        old_journal(t.path(), "x", "failed", "done");
        let journal = Journal::open(t.path()).unwrap();
        journal
            .conn()
            .execute("UPDATE items SET error = '{not json'", [])
            .unwrap();
        let e = journal.items("j1").unwrap_err();
        assert!(
            matches!(&e, Error::State(Refused::DamagedEntry { item: 0, .. })),
            "{e}"
        );
    }

    const CHILD_ENV: &str = "LAB_JOBS_KILL_CHILD";

    /// Helper process of `killed_process_resumes_with_exact_count` (does nothing otherwise).
    #[test]
    #[ignore = "run as a child process by killed_process_resumes_with_exact_count"]
    fn child_runner() {
        let Ok(spec) = std::env::var(CHILD_ENV) else {
            return;
        };
        let mut parts = spec.splitn(3, '\n');
        let (url, dir, job) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let client = test_support::client(url);
            let journal = Journal::open(Path::new(dir)).unwrap();
            run_job(&client, &journal, job).await.unwrap();
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn killed_process_resumes_with_exact_count() {
        let (lab, gate) = test_support::gated_lab(6).await;
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("data");
        let journal = Journal::open(&dir).unwrap();
        let tasks = file_tasks(&t.path().join("imgs"), 30);
        let job = journal
            .create_job(PROJECT, EMPTY_BATCH, DuplicatePolicy::SkipExisting, &tasks)
            .unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "journal::tests::child_runner",
                "--include-ignored",
                "--nocapture",
            ])
            .env(
                CHILD_ENV,
                format!("{}\n{}\n{}", lab.base_url, dir.display(), job.id),
            )
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_until("a creation held", || {
            gate.created.load(std::sync::atomic::Ordering::SeqCst) > 6
        })
        .await;
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended before being killed"
        );
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mid = journal.job(&job.id).unwrap();
        assert_eq!(mid.state, JobState::Running);
        assert!(mid.counts.pending > 0, "{:?}", mid.counts);
        assert!(
            unjournaled(&lab, &journal, &job.id).await >= 1,
            "a created task is not journaled"
        );
        assert_eq!(journal.unfinished_jobs().unwrap()[0].id, job.id);

        // "resume?" at the next start, from a fresh journal connection
        gate.release();
        let journal = Journal::open(&dir).unwrap();
        let r = run_job(&lab.client, &journal, &job.id).await.unwrap();
        assert_eq!(r.job.state, JobState::Done);
        assert_eq!(r.job.counts.done, 30);
        assert_exact(&lab.client, &journal, &job.id, EMPTY_BATCH, 30).await;
    }
}
