//! The sandbox state: one SQLite database (WAL) and a directory of uploaded files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use regex::Regex;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::Config;
use crate::error::{ApiResult, Error};
use crate::grants::{Grant, GrantKey};
use crate::packs::Packs;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (access_id TEXT PRIMARY KEY, secret_key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,
    payload TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_expiry ON tokens (expires_at);
CREATE TABLE IF NOT EXISTS projects (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, status TEXT NOT NULL,
    project_type TEXT NOT NULL, configuration TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, project_id TEXT NOT NULL, name TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS batches_project ON batches (project_id, seq);
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, folder TEXT, batch_id TEXT, mimetype TEXT NOT NULL,
    size INTEGER NOT NULL, storage TEXT NOT NULL, created_at TEXT NOT NULL,
    pack_offset INTEGER);
CREATE TABLE IF NOT EXISTS initial_data (
    id TEXT PRIMARY KEY, batch_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
    configuration_overwrite TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, project_id TEXT NOT NULL,
    batch_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    resources TEXT NOT NULL, properties TEXT NOT NULL,
    data_body TEXT NOT NULL, metadata_body TEXT NOT NULL, data_info TEXT NOT NULL,
    jobs TEXT NOT NULL, metrics TEXT NOT NULL,
    initial_data TEXT NOT NULL, initial_data_id TEXT);
CREATE INDEX IF NOT EXISTS tasks_project ON tasks (project_id, seq);
CREATE INDEX IF NOT EXISTS tasks_batch ON tasks (batch_id, name);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks (project_id, status);
CREATE INDEX IF NOT EXISTS tasks_name ON tasks (project_id, name);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (project_id, created_at);
CREATE INDEX IF NOT EXISTS tasks_updated ON tasks (project_id, updated_at);
"#;

pub(crate) struct Inner {
    pub(crate) conn: Mutex<Connection>,
    pub(crate) files_dir: PathBuf,
    /// Uploaded bytes (files with a `pack_offset`; others are whole files named `storage`).
    pub(crate) packs: Packs,
    pub(crate) config: Config,
    pub(crate) fault_rng: Mutex<ChaCha8Rng>,
    pub(crate) request_log: Option<Mutex<std::fs::File>>,
    /// Access tokens seen valid: token → (subject, expiry in ms). Tokens are only ever deleted
    /// once expired, so a remembered token stays valid until its expiry; this saves a database
    /// query per request.
    pub(crate) access_tokens: Mutex<HashMap<String, (String, i64)>>,
    /// Signs and checks grant tokens (never stored: see `grants`).
    pub(crate) grant_key: GrantKey,
    /// Moves WAL checkpoints (and their fsync) off the serving thread.
    checkpoints: Checkpoints,
}

/// WAL checkpoints on a thread of their own.
///
/// SQLite checkpoints the write-ahead log from the connection that commits, by default every
/// 1,000 pages: a copy of the log into the database and an fsync, on the thread that serves
/// requests (~6 % of its CPU during a create). Here the serving connection only checkpoints as
/// a backstop (a much larger log); a second connection on a background thread runs a passive
/// checkpoint (it never blocks readers or the writer) after every [`Checkpoints::EVERY`]
/// database calls, so the log stays short and is reused from its start.
struct Checkpoints {
    calls: std::sync::atomic::AtomicU32,
    wake: std::sync::mpsc::SyncSender<()>,
}

impl Checkpoints {
    const EVERY: u32 = 64;
    /// Pages after which the serving connection checkpoints itself (if the thread lags).
    const BACKSTOP_PAGES: i64 = 8_192;

    fn start(db_path: &std::path::Path, serving: &Connection) -> rusqlite::Result<Checkpoints> {
        serving.pragma_update(None, "wal_autocheckpoint", Self::BACKSTOP_PAGES)?;
        let conn = Connection::open(db_path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let (wake, rx) = std::sync::mpsc::sync_channel::<()>(1);
        // The thread ends when the sandbox is dropped (the sender with it).
        let spawned = std::thread::Builder::new()
            .name("lab-sandbox-checkpoint".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!("WAL checkpoint failed (retried later): {e}");
                    }
                }
            });
        if let Err(e) = spawned {
            // No thread: the serving connection keeps checkpointing as SQLite does by default.
            tracing::warn!("no checkpoint thread ({e}): checkpoints stay on the serving thread");
            serving.pragma_update(None, "wal_autocheckpoint", 1_000)?;
        }
        Ok(Checkpoints {
            calls: std::sync::atomic::AtomicU32::new(0),
            wake,
        })
    }

    /// Counts a database call; every [`Self::EVERY`] calls, wakes the thread (never waits).
    fn note_call(&self) {
        let n = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .wrapping_add(1);
        if n.is_multiple_of(Self::EVERY) {
            let _ = self.wake.try_send(());
        }
    }
}

/// A sandbox workspace: cheap to clone, shared by every request handler.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("data_dir", &self.inner.config.data_dir)
            .finish()
    }
}

impl Sandbox {
    /// Opens (creating if needed) the data directory, its database and files folder.
    pub fn open(config: Config) -> Result<Sandbox, Error> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| Error::io(&config.data_dir, e))?;
        let files_dir = config.data_dir.join("files");
        std::fs::create_dir_all(&files_dir).map_err(|e| Error::io(&files_dir, e))?;
        let db_path = config.data_dir.join("sandbox.sqlite3");
        let conn = Connection::open(&db_path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        register_functions(&conn)?;
        let checkpoints = Checkpoints::start(&db_path, &conn)?;
        let grant_key = GrantKey::load_or_create(&conn)?;
        let request_log = match &config.request_log {
            Some(p) => {
                if let Some(parent) = p.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                }
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| Error::io(p, e))?;
                Some(Mutex::new(f))
            }
            None => None,
        };
        let fault_rng = Mutex::new(ChaCha8Rng::seed_from_u64(config.fault_seed));
        Ok(Sandbox {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                packs: Packs::new(&files_dir),
                files_dir,
                config,
                fault_rng,
                request_log,
                access_tokens: Mutex::new(HashMap::new()),
                grant_key,
                checkpoints,
            }),
        })
    }

    /// The configuration this sandbox was opened with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Adds (or replaces the secret of) a login credential.
    pub fn add_credentials(&self, access_id: &str, secret_key: &str) -> Result<(), Error> {
        self.with_conn(|c| {
            c.execute(
                "INSERT INTO credentials (access_id, secret_key) VALUES (?1, ?2)
                 ON CONFLICT(access_id) DO UPDATE SET secret_key = excluded.secret_key",
                params![access_id, secret_key],
            )?;
            Ok(())
        })
    }

    pub(crate) fn files_dir(&self) -> &Path {
        &self.inner.files_dir
    }

    /// Runs `f` with the connection on the current thread (library calls, not handlers).
    pub(crate) fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut c = self.inner.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut c)
    }

    /// Runs `f` with the connection (request handlers), inline on the calling task.
    ///
    /// The server runs on one thread of its own (see [`crate::start`]) and the calls here are
    /// short: a lookup, a transaction of a few rows, a page of tasks, the copy of a usual
    /// upload into the page cache (large uploads and file reads go to the blocking pool).
    /// Handing every call to the blocking pool cost more than the calls themselves: during a
    /// 1,000-task create, thread wake-ups (futex calls: ~16–18 % of the sandbox's CPU samples)
    /// were the largest item of its profile, and the create took 0.32 s instead of 0.25 s
    /// (bench/README.md, session 4). The connection waits up to its busy timeout only when
    /// another process on the same data folder holds the write lock (a rare set-up: tests'
    /// twin servers); every request waits with it then.
    pub(crate) async fn db<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut Connection) -> ApiResult<T>,
    {
        let result = {
            let mut c = self.inner.conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut c)
        };
        self.inner.checkpoints.note_call();
        result
    }
}

/// A transaction that takes the write lock at once (`BEGIN IMMEDIATE`). A deferred one that
/// reads before it writes fails with `SQLITE_BUSY_SNAPSHOT`, without waiting, when another
/// connection (a second process on the same data folder) commits in between.
pub(crate) fn write_tx(c: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// Brings a data folder made by an earlier sandbox up to the current schema.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has_pack_offset: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('files') WHERE name = 'pack_offset'",
        [],
        |r| r.get(0),
    )?;
    if !has_pack_offset {
        // Files stored before packs existed stay whole files (a NULL offset).
        conn.execute_batch("ALTER TABLE files ADD COLUMN pack_offset INTEGER")?;
    }
    Ok(())
}

fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let re: Arc<Regex> = ctx.get_or_create_aux(
                0,
                |v| -> Result<Regex, Box<dyn std::error::Error + Send + Sync>> {
                    Ok(build_regex(v.as_str()?)?)
                },
            )?;
            let text = match ctx.get_raw(1).as_str() {
                Ok(t) => t,
                Err(_) => return Ok(false),
            };
            Ok(re.is_match(text))
        },
    )
}

/// Builds a user-supplied regex with a size cap.
pub(crate) fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 22)
        .build()
}

// ---------------------------------------------------------------- time and ids

/// Current time as a Mongo-like ISO string with milliseconds: `2024-05-01T10:00:00.000Z`.
pub(crate) fn now_iso() -> String {
    iso(chrono::Utc::now())
}

pub(crate) fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Parses a filter date (`2022-09-19 08:30:00`, `2022-09-19`, ISO/RFC 3339) into the
/// stored ISO form so that string comparison is time comparison. Naive dates are UTC.
pub(crate) fn parse_filter_date(s: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(iso(t.with_timezone(&Utc)));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), f) {
            return Some(iso(t.and_utc()));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| iso(t.and_utc()))
}

/// A fresh ObjectId-like id: 24 lowercase hex digits.
pub(crate) fn new_id() -> String {
    let mut s = uuid::Uuid::new_v4().simple().to_string();
    s.truncate(24);
    s
}

/// A fresh opaque token.
pub(crate) fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

// ---------------------------------------------------------------- tokens

pub(crate) const TOKEN_ACCESS: &str = "access";
pub(crate) const TOKEN_FILES: &str = "grant-files";
pub(crate) const TOKEN_DATA: &str = "grant-data";

pub(crate) fn issue_token(
    c: &Connection,
    kind: &str,
    subject: &str,
    payload: &Value,
    ttl: std::time::Duration,
) -> rusqlite::Result<String> {
    let now = now_ms();
    c.prepare_cached("DELETE FROM tokens WHERE expires_at <= ?1")?
        .execute([now])?;
    let token = new_token();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
    c.prepare_cached(
        "INSERT INTO tokens (token, kind, subject, payload, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        token,
        kind,
        subject,
        payload.to_string(),
        now.saturating_add(ttl_ms)
    ])?;
    Ok(token)
}

/// Most access tokens remembered by [`Sandbox::access_subject`].
const ACCESS_CACHE_MAX: usize = 4096;

impl Sandbox {
    /// The subject of a live access token, from memory when it was seen before.
    pub(crate) async fn access_subject(&self, token: String) -> ApiResult<Option<String>> {
        let now = now_ms();
        {
            let cache = self
                .inner
                .access_tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((subject, expires)) = cache.get(&token)
                && *expires > now
            {
                return Ok(Some(subject.clone()));
            }
        }
        let key = token.clone();
        let found = self
            .db(move |c| {
                Ok(c.query_row(
                    "SELECT subject, expires_at FROM tokens WHERE token = ?1 AND kind = ?2 AND expires_at > ?3",
                    params![key, TOKEN_ACCESS, now],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
                )
                .optional()?)
            })
            .await?;
        let mut cache = self
            .inner
            .access_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (_, expires)| *expires > now);
        if cache.len() >= ACCESS_CACHE_MAX {
            cache.clear();
        }
        Ok(found.map(|(subject, expires)| {
            cache.insert(token, (subject.clone(), expires));
            subject
        }))
    }
}

/// Returns `(subject, payload)` of a live token of that kind.
impl Sandbox {
    /// A grant token of `kind` for `ids`, issued to `subject`, valid for the token lifetime.
    pub(crate) fn issue_grant(&self, kind: &str, subject: &str, ids: Vec<String>) -> String {
        let ttl_ms = i64::try_from(self.config().token_ttl.as_millis()).unwrap_or(i64::MAX / 2);
        self.inner.grant_key.issue(&Grant {
            kind: kind.into(),
            subject: subject.into(),
            ids,
            expires_ms: now_ms().saturating_add(ttl_ms),
        })
    }

    /// The grant of a live token of `kind` signed by this data folder, if it is one.
    pub(crate) fn check_grant(&self, kind: &str, token: &str) -> Option<Grant> {
        self.inner.grant_key.check(kind, token, now_ms())
    }
}

// ---------------------------------------------------------------- tasks

/// Every stored column of a task.
#[derive(Debug, Clone)]
pub(crate) struct TaskRow {
    pub id: String,
    pub project_id: String,
    pub batch_id: String,
    pub name: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub resources: Value,
    pub properties: Value,
    pub data_body: Value,
    pub metadata_body: Value,
    /// `{createdAt, type, user, projectType}` of the task data.
    pub data_info: Value,
    pub jobs: Value,
    pub metrics: Value,
    pub initial_data: Value,
    pub initial_data_id: Option<String>,
}

pub(crate) fn insert_task(c: &Connection, t: &TaskRow) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO tasks (id, project_id, batch_id, name, status, created_at, updated_at,
            resources, properties, data_body, metadata_body, data_info, jobs, metrics,
            initial_data, initial_data_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        t.id,
        t.project_id,
        t.batch_id,
        t.name,
        t.status,
        t.created_at,
        t.updated_at,
        t.resources.to_string(),
        t.properties.to_string(),
        t.data_body.to_string(),
        t.metadata_body.to_string(),
        t.data_info.to_string(),
        t.jobs.to_string(),
        t.metrics.to_string(),
        t.initial_data.to_string(),
        t.initial_data_id,
    ])?;
    Ok(())
}

/// The user recorded as author of data written through the API.
pub(crate) fn api_user(access_id: &str) -> Value {
    serde_json::json!({
        "id": access_id,
        "name": access_id,
        "email": format!("{access_id}@sandbox.local"),
    })
}

pub(crate) fn project_type_of(
    c: &Connection,
    project_id: &str,
) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT project_type FROM projects WHERE id = ?1")?
        .query_row([project_id], |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_dates_normalise_to_iso() {
        assert_eq!(
            parse_filter_date("2022-09-19 08:30:00").as_deref(),
            Some("2022-09-19T08:30:00.000Z")
        );
        assert_eq!(
            parse_filter_date("2022-09-19T08:30:00.123Z").as_deref(),
            Some("2022-09-19T08:30:00.123Z")
        );
        assert_eq!(
            parse_filter_date("2022-09-19T10:30:00+02:00").as_deref(),
            Some("2022-09-19T08:30:00.000Z")
        );
        assert_eq!(
            parse_filter_date("2022-09-19").as_deref(),
            Some("2022-09-19T00:00:00.000Z")
        );
        assert_eq!(parse_filter_date("yesterday"), None);
        assert_eq!(parse_filter_date("2022-13-45 00:00:00"), None);
    }

    #[test]
    fn ids_are_24_hex() {
        let id = new_id();
        assert_eq!(id.len(), 24);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(new_id(), id);
    }
}
