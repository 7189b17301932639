//! The activity database: one SQLite file (WAL) shared by the window and `lab`.
//!
//! The format version lives in `user_version`; an older file is migrated in a transaction, a
//! newer one is refused (never overwritten), a damaged one is moved aside and a fresh log
//! started, with a notice. Every step of an action is its own transaction, so a crash leaves
//! the finished part on record and nothing half-written.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::{
    Actor, Change, Entry, EntryKind, EntryState, NotUndoable, ResultStatus, Source, Target,
    TaskResult, Undoability,
};

/// The format this build writes.
pub const FORMAT: i64 = 1;

const SCHEMA_V1: &str = "
CREATE TABLE entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    profile      TEXT NOT NULL,
    access_id    TEXT NOT NULL,
    endpoint     TEXT NOT NULL,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    project_id   TEXT NOT NULL,
    project_name TEXT,
    target       TEXT NOT NULL,
    change       TEXT NOT NULL,
    state        TEXT NOT NULL,
    pid          INTEGER,
    total        INTEGER NOT NULL DEFAULT 0,
    succeeded    INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    skipped      INTEGER NOT NULL DEFAULT 0,
    message      TEXT,
    undo_of      INTEGER,
    undone_by    INTEGER
);
CREATE INDEX entries_access ON entries(access_id, id);
CREATE TABLE results (
    entry_id   INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    task_id    TEXT NOT NULL,
    task_name  TEXT,
    status     TEXT NOT NULL,
    message    TEXT,
    before     TEXT,
    after      TEXT,
    updated_at TEXT,
    PRIMARY KEY (entry_id, seq)
) WITHOUT ROWID;
CREATE INDEX results_task ON results(task_id);
";

/// How much history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Retention {
    /// The log's size cap in MiB: the oldest entries go first.
    pub max_mib: u32,
    /// Entries older than this many days go (none: kept until the size cap).
    pub max_days: Option<u32>,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_mib: 64,
            max_days: None,
        }
    }
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityQuery"))]
pub struct Query {
    /// Only entries made with this access id.
    pub access_id: Option<String>,
    /// Only this project.
    pub project_id: Option<String>,
    /// Only these kinds (all when empty).
    pub kinds: Vec<EntryKind>,
    /// Only these states (all when empty).
    pub states: Vec<EntryState>,
    /// Words found in the project, batch, file, message, or a task's id or name.
    pub text: Option<String>,
    /// Started at or after (RFC 3339 or `YYYY-MM-DD`).
    pub since: Option<String>,
    /// Started before.
    pub until: Option<String>,
    /// Entries older than this number (paging, newest first).
    pub before_id: Option<i64>,
    /// At most this many (default 200).
    pub limit: Option<u32>,
}

/// The new entry's description.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// Who.
    pub actor: &'a Actor,
    /// Project.
    pub project_id: &'a str,
    /// Its name.
    pub project_name: Option<&'a str>,
    /// Which tasks.
    pub target: &'a Target,
    /// What.
    pub change: &'a Change,
    /// Tasks asked.
    pub total: u64,
    /// The entry it undoes.
    pub undo_of: Option<i64>,
}

/// The log.
pub struct ActivityStore {
    path: PathBuf,
    conn: Mutex<Connection>,
    notice: Option<String>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn json_text<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// `f` again while SQLite answers "busy" without waiting (as it does for a change of journal
/// mode while another connection opens the file), for up to 10 s like the busy timeout.
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

fn pid_alive(pid: i64) -> bool {
    if pid == i64::from(std::process::id()) {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // No portable liveness check: assume alive (shown as running) elsewhere.
        true
    }
}

impl ActivityStore {
    /// Opens (or creates) the log at `path`. A damaged file is moved aside as
    /// `<name>.damaged-<time>` and a fresh log started; [`ActivityStore::notice`] then says so.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        match Self::open_at(&path) {
            Ok(conn) => Ok(Self {
                path,
                conn: Mutex::new(conn),
                notice: None,
            }),
            Err(Error::Store { source, .. }) if is_damage(&source) => {
                let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
                let aside = path.with_file_name(format!(
                    "{}.damaged-{stamp}",
                    path.file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("activity")
                ));
                std::fs::rename(&path, &aside).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                for ext in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{ext}", path.display()));
                    let _ = std::fs::remove_file(side);
                }
                let conn = Self::open_at(&path)?;
                Ok(Self {
                    notice: Some(format!(
                        "The activity log was damaged ({source}); it was moved to {} and a new one started.",
                        aside.display()
                    )),
                    path,
                    conn: Mutex::new(conn),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn open_at(path: &Path) -> Result<Connection> {
        let err = |source| Error::Store {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        // A newer file is refused before anything is set on it.
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if version > FORMAT {
            return Err(Error::NewerFormat {
                path: path.to_owned(),
                found: version,
                supported: FORMAT,
            });
        }
        // auto_vacuum must be set before the first table: pruning then gives space back.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
            .map_err(err)?;
        // Switching a new file to WAL needs it alone for a moment, and SQLite answers "busy" at
        // once (no busy timeout) when another process opens it at the same time: try again.
        retry_busy(|| conn.pragma_update(None, "journal_mode", "WAL")).map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        if version < 1 {
            // Two processes may open a new log at once (`lab` runs in parallel): the schema is
            // made under a write lock, by whichever comes first.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let now: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(err)?;
            if now < 1 {
                tx.execute_batch(SCHEMA_V1).map_err(err)?;
                tx.pragma_update(None, "user_version", FORMAT)
                    .map_err(err)?;
            }
            tx.commit().map_err(err)?;
        }
        // A quick check now, so damage is found at open rather than mid-action.
        conn.query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0))
            .map_err(err)?;
        Ok(conn)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Set when the log was damaged and started again.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        |source| Error::Store {
            path: self.path.clone(),
            source,
        }
    }

    /// Records the start of an action; returns its entry number.
    pub fn begin(&self, e: NewEntry<'_>) -> Result<i64> {
        let c = self.conn();
        c.execute(
            "INSERT INTO entries (started_at, profile, access_id, endpoint, source, kind,
                project_id, project_name, target, change, state, pid, total, undo_of)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running', ?11, ?12, ?13)",
            params![
                now(),
                e.actor.profile,
                e.actor.access_id,
                e.actor.endpoint,
                match e.actor.source {
                    Source::Window => "window",
                    Source::Cli => "cli",
                },
                e.change.kind().as_str(),
                e.project_id,
                e.project_name,
                json_text(e.target),
                json_text(e.change),
                i64::from(std::process::id()),
                e.total as i64,
                e.undo_of,
            ],
        )
        .map_err(self.err())?;
        Ok(c.last_insert_rowid())
    }

    /// Writes (or rewrites) task lines of an entry, in one transaction.
    pub fn put_results(&self, entry: i64, rows: &[TaskResult]) -> Result<()> {
        let mut c = self.conn();
        let err = self.err();
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&err)?;
        // The counts follow each line's change of status (a line rewritten: pending, then ok),
        // so that writing a chunk costs the chunk, not the whole entry.
        let (mut ok, mut failed, mut skipped) = (0i64, 0i64, 0i64);
        {
            let mut old = tx
                .prepare_cached("SELECT status FROM results WHERE entry_id = ?1 AND seq = ?2")
                .map_err(&err)?;
            let mut st = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO results
                     (entry_id, seq, task_id, task_name, status, message, before, after, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(&err)?;
            let mut count = |status: &str, d: i64| match status {
                "ok" => ok += d,
                "failed" => failed += d,
                "skipped" | "cancelled" => skipped += d,
                _ => {}
            };
            for r in rows {
                let was: Option<String> = old
                    .query_row(params![entry, r.seq as i64], |x| x.get(0))
                    .optional()
                    .map_err(&err)?;
                if let Some(w) = was {
                    count(&w, -1);
                }
                count(r.status.as_str(), 1);
                st.execute(params![
                    entry,
                    r.seq as i64,
                    r.task_id,
                    r.task_name,
                    r.status.as_str(),
                    r.message,
                    r.before.as_ref().map(json_text),
                    r.after.as_ref().map(json_text),
                    r.updated_at,
                ])
                .map_err(&err)?;
            }
        }
        tx.execute(
            "UPDATE entries SET succeeded = succeeded + ?2, failed = failed + ?3,
                skipped = skipped + ?4 WHERE id = ?1",
            params![entry, ok, failed, skipped],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)
    }

    /// Sets an entry's counts when its tasks are not listed one by one (an export).
    pub fn set_counts(&self, entry: i64, total: u64, succeeded: u64, failed: u64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE entries SET total = ?2, succeeded = ?3, failed = ?4 WHERE id = ?1",
                params![entry, total as i64, succeeded as i64, failed as i64],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Sets the number of tasks asked (known once a filter is listed).
    pub fn set_total(&self, entry: i64, total: u64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE entries SET total = ?2 WHERE id = ?1",
                params![entry, total as i64],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Records the end of an action.
    pub fn finish(&self, entry: i64, state: EntryState, message: Option<&str>) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE entries SET state = ?2, finished_at = ?3, message = ?4, pid = NULL
                 WHERE id = ?1",
                params![entry, state.as_str(), now(), message],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// The create entry of a window create job (its journal id), if recorded.
    pub fn entry_for_job(&self, job_id: &str) -> Result<Option<i64>> {
        self.conn()
            .query_row(
                "SELECT id FROM entries WHERE kind = 'create'
                 AND json_extract(change, '$.jobId') = ?1 ORDER BY id DESC LIMIT 1",
                [job_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())
    }

    /// Marks an entry running again (a create job resumed), in this process.
    pub fn reopen(&self, entry: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE entries SET state = 'running', finished_at = NULL, message = NULL, pid = ?2
                 WHERE id = ?1",
                params![entry, i64::from(std::process::id())],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Marks `entry` as being undone by `by`; false when another undo got there first.
    pub fn claim_undo(&self, entry: i64, by: i64) -> Result<bool> {
        let n = self
            .conn()
            .execute(
                "UPDATE entries SET undone_by = ?2 WHERE id = ?1 AND undone_by IS NULL",
                params![entry, by],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }

    /// Gives back a claim (the undo changed nothing).
    pub fn release_undo(&self, entry: i64, by: i64) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE entries SET undone_by = NULL WHERE id = ?1 AND undone_by = ?2",
                params![entry, by],
            )
            .map_err(self.err())?;
        Ok(())
    }

    const ENTRY_COLS: &'static str = "id, started_at, finished_at, profile, access_id, endpoint,
        source, kind, project_id, project_name, target, change, state, pid, total, succeeded,
        failed, skipped, message, undo_of, undone_by";

    fn entry_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
        Ok(RawEntry {
            id: r.get(0)?,
            started_at: r.get(1)?,
            finished_at: r.get(2)?,
            profile: r.get(3)?,
            access_id: r.get(4)?,
            endpoint: r.get(5)?,
            source: r.get(6)?,
            kind: r.get(7)?,
            project_id: r.get(8)?,
            project_name: r.get(9)?,
            target: r.get(10)?,
            change: r.get(11)?,
            state: r.get(12)?,
            pid: r.get(13)?,
            total: r.get(14)?,
            succeeded: r.get(15)?,
            failed: r.get(16)?,
            skipped: r.get(17)?,
            message: r.get(18)?,
            undo_of: r.get(19)?,
            undone_by: r.get(20)?,
        })
    }

    /// One entry.
    pub fn entry(&self, id: i64) -> Result<Entry> {
        let raw = self
            .conn()
            .query_row(
                &format!("SELECT {} FROM entries WHERE id = ?1", Self::ENTRY_COLS),
                [id],
                Self::entry_of,
            )
            .optional()
            .map_err(self.err())?
            .ok_or(Error::NoEntry(id))?;
        raw.decode()
    }

    /// Entries, newest first.
    pub fn list(&self, q: &Query) -> Result<Vec<Entry>> {
        let mut sql = format!("SELECT {} FROM entries WHERE 1 = 1", Self::ENTRY_COLS);
        let mut args: Vec<String> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: String| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(a) = &q.access_id {
            arg(&mut sql, " AND access_id = ?", a.clone());
        }
        if let Some(p) = &q.project_id {
            arg(&mut sql, " AND project_id = ?", p.clone());
        }
        if let Some(s) = &q.since {
            arg(&mut sql, " AND started_at >= ?", s.clone());
        }
        if let Some(u) = &q.until {
            arg(&mut sql, " AND started_at < ?", u.clone());
        }
        if let Some(b) = q.before_id {
            arg(&mut sql, " AND id < ?", b.to_string());
        }
        if !q.kinds.is_empty() {
            let list: Vec<String> = q
                .kinds
                .iter()
                .map(|k| format!("'{}'", k.as_str()))
                .collect();
            sql.push_str(&format!(" AND kind IN ({})", list.join(",")));
        }
        if !q.states.is_empty() {
            // `interrupted` is also a running entry whose process is gone: filtered below.
            let mut list: Vec<String> = q
                .states
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            if q.states.contains(&EntryState::Interrupted) {
                list.push("'running'".into());
            }
            sql.push_str(&format!(" AND state IN ({})", list.join(",")));
        }
        if let Some(t) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            for word in t.split_whitespace() {
                let like = format!(
                    "%{}%",
                    word.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                );
                args.push(like);
                let n = args.len();
                sql.push_str(&format!(
                    " AND (project_name LIKE ?{n} ESCAPE '\\' OR project_id LIKE ?{n} ESCAPE '\\'
                      OR change LIKE ?{n} ESCAPE '\\' OR message LIKE ?{n} ESCAPE '\\'
                      OR profile LIKE ?{n} ESCAPE '\\' OR CAST(id AS TEXT) = trim(?{n}, '%')
                      OR EXISTS (SELECT 1 FROM results r WHERE r.entry_id = entries.id
                          AND (r.task_id LIKE ?{n} ESCAPE '\\' OR r.task_name LIKE ?{n} ESCAPE '\\')))"
                ));
            }
        }
        let limit = q.limit.unwrap_or(200).clamp(1, 5000);
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
        let c = self.conn();
        let mut st = c.prepare(&sql).map_err(self.err())?;
        let raws = st
            .query_map(params_from_iter(args.iter()), Self::entry_of)
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        drop(st);
        drop(c);
        let mut out = Vec::with_capacity(raws.len());
        for r in raws {
            let e = r.decode()?;
            if q.states.is_empty() || q.states.contains(&e.state) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// An entry's task lines from `offset`, at most `limit`; and how many there are.
    pub fn results(&self, entry: i64, offset: u64, limit: u64) -> Result<(Vec<TaskResult>, u64)> {
        let c = self.conn();
        let total: i64 = c
            .query_row(
                "SELECT count(*) FROM results WHERE entry_id = ?1",
                [entry],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        let mut st = c
            .prepare_cached(
                "SELECT seq, task_id, task_name, status, message, before, after, updated_at
                 FROM results WHERE entry_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
            )
            .map_err(self.err())?;
        let raws = st
            .query_map(
                params![entry, limit.min(i64::MAX as u64) as i64, offset as i64],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                },
            )
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        let mut rows = Vec::with_capacity(raws.len());
        for (seq, task_id, task_name, status, message, before, after, updated_at) in raws {
            let status = ResultStatus::parse(&status).ok_or(Error::UnknownValue {
                entry,
                field: "result status",
                value: status,
            })?;
            let parse = |t: Option<String>| -> Result<Option<Value>> {
                t.map(|t| {
                    serde_json::from_str(&t).map_err(|_| Error::UnknownValue {
                        entry,
                        field: "result values",
                        value: t,
                    })
                })
                .transpose()
            };
            rows.push(TaskResult {
                seq: seq as u64,
                task_id,
                task_name,
                status,
                message,
                before: parse(before)?,
                after: parse(after)?,
                updated_at,
            });
        }
        Ok((rows, total as u64))
    }

    /// Every task line of an entry.
    pub fn all_results(&self, entry: i64) -> Result<Vec<TaskResult>> {
        Ok(self.results(entry, 0, u64::MAX)?.0)
    }

    /// Writes an entry and its task lines as CSV (one line per task).
    pub fn write_csv(&self, entry: i64, out: impl std::io::Write) -> Result<()> {
        let e = self.entry(entry)?;
        let rows = self.all_results(entry)?;
        let mut w = csv::Writer::from_writer(out);
        let io = |source: csv::Error| Error::Io {
            path: PathBuf::from("csv"),
            source: std::io::Error::other(source),
        };
        w.write_record([
            "entry",
            "started_at",
            "profile",
            "access_id",
            "kind",
            "project_id",
            "project_name",
            "task_id",
            "task_name",
            "result",
            "message",
            "before",
            "after",
            "updated_at",
        ])
        .map_err(io)?;
        let id = e.id.to_string();
        let text = |v: &Option<Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
        for r in &rows {
            w.write_record([
                id.as_str(),
                e.started_at.as_str(),
                e.actor.profile.as_str(),
                e.actor.access_id.as_str(),
                e.kind.as_str(),
                e.project_id.as_str(),
                e.project_name.as_deref().unwrap_or(""),
                r.task_id.as_str(),
                r.task_name.as_deref().unwrap_or(""),
                r.status.as_str(),
                r.message.as_deref().unwrap_or(""),
                text(&r.before).as_str(),
                text(&r.after).as_str(),
                r.updated_at.as_deref().unwrap_or(""),
            ])
            .map_err(io)?;
        }
        w.flush().map_err(|source| Error::Io {
            path: PathBuf::from("csv"),
            source,
        })
    }

    /// Bytes the log uses (pages in use).
    pub fn size_bytes(&self) -> Result<u64> {
        let c = self.conn();
        let q = |p: &str| -> Result<i64> {
            c.pragma_query_value(None, p, |r| r.get(0))
                .map_err(self.err())
        };
        let (pages, free, size) = (q("page_count")?, q("freelist_count")?, q("page_size")?);
        Ok(((pages - free).max(0) * size) as u64)
    }

    /// Removes the oldest finished entries past the retention; returns how many went.
    pub fn prune(&self, r: &Retention) -> Result<u64> {
        let mut gone = 0u64;
        if let Some(days) = r.max_days {
            let cut = (chrono::Utc::now() - chrono::Duration::days(i64::from(days)))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            gone += self
                .conn()
                .execute(
                    "DELETE FROM entries WHERE started_at < ?1 AND state != 'running'",
                    [cut],
                )
                .map_err(self.err())? as u64;
        }
        let cap = u64::from(r.max_mib.max(1)) * 1024 * 1024;
        while self.size_bytes()? > cap {
            let n = self
                .conn()
                .execute(
                    "DELETE FROM entries WHERE id IN (
                        SELECT id FROM entries WHERE state != 'running' ORDER BY id
                        LIMIT max(1, (SELECT count(*) FROM entries) / 10))",
                    [],
                )
                .map_err(self.err())? as u64;
            if n == 0 {
                break;
            }
            gone += n;
        }
        if gone > 0 {
            self.conn()
                .execute_batch("PRAGMA incremental_vacuum;")
                .map_err(self.err())?;
        }
        Ok(gone)
    }
}

struct RawEntry {
    id: i64,
    started_at: String,
    finished_at: Option<String>,
    profile: String,
    access_id: String,
    endpoint: String,
    source: String,
    kind: String,
    project_id: String,
    project_name: Option<String>,
    target: String,
    change: String,
    state: String,
    pid: Option<i64>,
    total: i64,
    succeeded: i64,
    failed: i64,
    skipped: i64,
    message: Option<String>,
    undo_of: Option<i64>,
    undone_by: Option<i64>,
}

impl RawEntry {
    fn decode(self) -> Result<Entry> {
        let id = self.id;
        let unknown = |field: &'static str, value: &str| Error::UnknownValue {
            entry: id,
            field,
            value: value.to_owned(),
        };
        let source = match self.source.as_str() {
            "window" => Source::Window,
            "cli" => Source::Cli,
            other => return Err(unknown("source", other)),
        };
        let kind = EntryKind::parse(&self.kind).ok_or_else(|| unknown("kind", &self.kind))?;
        let mut state =
            EntryState::parse(&self.state).ok_or_else(|| unknown("state", &self.state))?;
        if state == EntryState::Running && !self.pid.is_some_and(pid_alive) {
            state = EntryState::Interrupted;
        }
        let target: Target =
            serde_json::from_str(&self.target).map_err(|_| unknown("target", &self.target))?;
        let change: Change =
            serde_json::from_str(&self.change).map_err(|_| unknown("change", &self.change))?;
        if change.kind() != kind {
            return Err(unknown("change", &self.change));
        }
        let undo = match (self.undone_by, &change) {
            (Some(by), _) => Undoability::Undone { by },
            (None, _) if state == EntryState::Running => Undoability::No {
                reason: NotUndoable::StillRunning,
            },
            (None, Change::Properties { .. } | Change::Restore { .. }) if self.succeeded == 0 => {
                Undoability::No {
                    reason: NotUndoable::NothingChanged,
                }
            }
            (None, Change::Properties { .. } | Change::Restore { .. }) => Undoability::Undoable,
            (None, Change::Redo { .. } | Change::Review) => Undoability::No {
                reason: NotUndoable::LabCannotReverse,
            },
            (
                None,
                Change::Create {
                    new_batch: true, ..
                },
            ) if self.succeeded == 0 => Undoability::No {
                reason: NotUndoable::NothingChanged,
            },
            (
                None,
                Change::Create {
                    new_batch: true, ..
                },
            ) => Undoability::Undoable,
            (None, Change::Create { .. }) => Undoability::No {
                reason: NotUndoable::ExistingBatch,
            },
            (None, Change::Export { .. }) => Undoability::No {
                reason: NotUndoable::ExportWritesFile,
            },
            (None, Change::DeleteBatch { .. }) => Undoability::No {
                reason: NotUndoable::Deletion,
            },
        };
        Ok(Entry {
            id,
            started_at: self.started_at,
            finished_at: self.finished_at,
            actor: Actor {
                profile: self.profile,
                access_id: self.access_id,
                endpoint: self.endpoint,
                source,
            },
            kind,
            project_id: self.project_id,
            project_name: self.project_name,
            target,
            change,
            state,
            total: self.total.max(0) as u64,
            succeeded: self.succeeded.max(0) as u64,
            failed: self.failed.max(0) as u64,
            skipped: self.skipped.max(0) as u64,
            message: self.message,
            undo_of: self.undo_of,
            undo,
        })
    }
}

#[cfg(test)]
mod tests;
