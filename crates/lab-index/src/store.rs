//! The index file: opening (with damage and schema checks), the schema, task rows.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;
use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::error::{Error, Result, is_corruption};

/// Version of the schema below, kept in `PRAGMA user_version`. A file with another version
/// is rebuilt (the index is a cache: a sync fills it again).
pub const SCHEMA_VERSION: i64 = 4;

const SCHEMA: &str = r#"
CREATE TABLE projects (
    project_id TEXT PRIMARY KEY,
    -- local UTC time at which the last complete sync started
    as_of TEXT,
    -- largest updatedAt seen by complete listings (server clock)
    watermark TEXT,
    -- a full mirror finished (else the next sync is a full one)
    full_synced INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_annotator TEXT,
    score,
    -- JSONB of `properties`, `data.body`, `data.metadata.body` (filters)
    properties BLOB,
    data_body BLOB,
    metadata_body BLOB,
    -- the task document as listed (compact JSON)
    doc TEXT NOT NULL,
    UNIQUE (project_id, id)
);
CREATE INDEX tasks_status ON tasks (project_id, status);
CREATE INDEX tasks_batch ON tasks (project_id, batch_id);
CREATE INDEX tasks_name ON tasks (project_id, name);
CREATE INDEX tasks_created ON tasks (project_id, created_at);
CREATE INDEX tasks_updated ON tasks (project_id, updated_at);
-- scalar leaves of properties (kind 0) and of the data as the lab's filters see it (kind 1):
-- `path` is the dotted key, `val` the JSON text of the value
CREATE TABLE kv (
    task INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    path TEXT NOT NULL,
    val TEXT NOT NULL
);
CREATE INDEX kv_lookup ON kv (kind, path, val, task);
CREATE INDEX kv_task ON kv (task);
CREATE TRIGGER tasks_delete_kv AFTER DELETE ON tasks BEGIN
    DELETE FROM kv WHERE task = old.seq;
END;
"#;

/// Tables the schema must have.
const TABLES: &[&str] = &["projects", "tasks", "kv"];

/// What [`Index::open`] found, for the app to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenNotice {
    /// No index file existed (or it was empty): a new, empty index.
    Fresh,
    /// The existing index was opened as it is.
    Opened,
    /// The file was damaged (not a database, failed integrity check, corruption reported):
    /// it was moved aside to `moved_to` (or deleted when `None`) and an empty index made.
    RebuiltDamaged {
        /// What SQLite said.
        reason: String,
        /// Where the damaged file now is.
        moved_to: Option<PathBuf>,
    },
    /// The file had an older (or unknown) schema version: it was deleted and an empty index
    /// made.
    RebuiltOldSchema {
        /// The `user_version` found.
        found: i64,
    },
}

impl OpenNotice {
    /// The index was (re)created empty: a full sync is needed.
    pub fn is_empty_index(&self) -> bool {
        !matches!(self, OpenNotice::Opened)
    }
}

/// How thoroughly [`Index::open_with`] checks an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntegrityCheck {
    /// `PRAGMA quick_check` (O(n), skips index-content checks): the default.
    #[default]
    Quick,
    /// `PRAGMA integrity_check` (slower on large files).
    Full,
    /// No check (corruption is still detected when a query meets it).
    None,
}

/// Options of [`Index::open_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// Check run on an existing file.
    pub integrity: IntegrityCheck,
}

/// A local task index: one SQLite file (WAL), holding any number of projects.
///
/// It stores only what the tasks listing returns (task documents and columns derived from
/// them) and the sync state of each project: never a credential or a token.
#[derive(Debug)]
pub struct Index {
    pub(crate) conn: Connection,
    path: PathBuf,
}

/// Why an existing file cannot be used as it is.
enum Unusable {
    Damaged(String),
    OldSchema(i64),
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Io {
            action: "delete",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Builds a user-supplied regex with the size caps of the lab sandbox.
pub(crate) fn build_regex(pattern: &str) -> std::result::Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 22)
        .build()
}

fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let re: Arc<Regex> = ctx.get_or_create_aux(
                0,
                |v| -> std::result::Result<Regex, Box<dyn std::error::Error + Send + Sync>> {
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

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("task index: journal mode {mode} instead of WAL");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    register_functions(conn)
}

/// Classifies an open error: damage, or a real failure to report.
fn damage_or(e: rusqlite::Error) -> std::result::Result<Unusable, Error> {
    if is_corruption(&e) {
        Ok(Unusable::Damaged(e.to_string()))
    } else {
        Err(e.into())
    }
}

/// Opens an existing file and checks it. `Ok(Err(_))`: open, but not usable as it is.
fn open_existing(
    path: &Path,
    opts: &OpenOptions,
) -> Result<std::result::Result<Connection, Unusable>> {
    let conn = match Connection::open(path) {
        Ok(c) => c,
        Err(e) => return damage_or(e).map(Err),
    };
    let checked = (|| -> rusqlite::Result<std::result::Result<(), Unusable>> {
        configure(&conn)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let names: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if version == 0 && names.is_empty() {
            // An empty database: initialised below like a new file.
            return Ok(Ok(()));
        }
        if version != SCHEMA_VERSION {
            return Ok(Err(Unusable::OldSchema(version)));
        }
        if let Some(missing) = TABLES.iter().find(|t| !names.iter().any(|n| n == *t)) {
            return Ok(Err(Unusable::Damaged(format!(
                "table {missing} is missing"
            ))));
        }
        let pragma = match opts.integrity {
            IntegrityCheck::Quick => Some("PRAGMA quick_check"),
            IntegrityCheck::Full => Some("PRAGMA integrity_check"),
            IntegrityCheck::None => None,
        };
        if let Some(pragma) = pragma {
            let report: Vec<String> = conn
                .prepare(pragma)?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if report.first().map(String::as_str) != Some("ok") {
                return Ok(Err(Unusable::Damaged(report.join("; "))));
            }
        }
        Ok(Ok(()))
    })();
    match checked {
        Ok(Ok(())) => Ok(Ok(conn)),
        Ok(Err(u)) => Ok(Err(u)),
        Err(e) => damage_or(e).map(Err),
    }
}

fn init(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    let has_tables: bool = tx.query_row(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'tasks'",
        [],
        |r| r.get(0),
    )?;
    if !has_tables {
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

fn create_new(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    init(&mut conn)?;
    Ok(conn)
}

impl Index {
    /// Opens (or creates) the index file at `path` with the default checks.
    ///
    /// A damaged file, or one with another schema version, is replaced by an empty index;
    /// the returned [`OpenNotice`] says which, so that the app can tell the user (and run a
    /// full sync). Other failures (permissions, a locked file) are errors.
    pub fn open(path: impl AsRef<Path>) -> Result<(Index, OpenNotice)> {
        Self::open_with(path, &OpenOptions::default())
    }

    /// [`Index::open`] with options.
    pub fn open_with(path: impl AsRef<Path>, opts: &OpenOptions) -> Result<(Index, OpenNotice)> {
        let path = path.as_ref().to_path_buf();
        let existed = std::fs::metadata(&path)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
        if !existed {
            let conn = create_new(&path)?;
            return Ok((Index { conn, path }, OpenNotice::Fresh));
        }
        match open_existing(&path, opts)? {
            Ok(mut conn) => {
                let was_empty: bool = conn.query_row(
                    "SELECT COUNT(*) = 0 FROM sqlite_master WHERE type = 'table'",
                    [],
                    |r| r.get(0),
                )?;
                init(&mut conn)?;
                let notice = if was_empty {
                    OpenNotice::Fresh
                } else {
                    OpenNotice::Opened
                };
                Ok((Index { conn, path }, notice))
            }
            Err(Unusable::OldSchema(found)) => {
                tracing::info!(
                    "task index {}: schema version {found}, rebuilding",
                    path.display()
                );
                Self::discard(&path, false)?;
                let conn = create_new(&path)?;
                Ok((Index { conn, path }, OpenNotice::RebuiltOldSchema { found }))
            }
            Err(Unusable::Damaged(reason)) => {
                tracing::warn!(
                    "task index {} is damaged ({reason}), rebuilding",
                    path.display()
                );
                let moved_to = Self::discard(&path, true)?;
                let conn = create_new(&path)?;
                Ok((
                    Index { conn, path },
                    OpenNotice::RebuiltDamaged { reason, moved_to },
                ))
            }
        }
    }

    /// Removes the file (moved to `<path>.damaged` when `keep`) and its WAL sidecars.
    fn discard(path: &Path, keep: bool) -> Result<Option<PathBuf>> {
        let moved = if keep {
            let to = sidecar(path, ".damaged");
            remove_if_exists(&to)?;
            match std::fs::rename(path, &to) {
                Ok(()) => Some(to),
                Err(e) => {
                    tracing::warn!("cannot move {} aside ({e}); deleting it", path.display());
                    remove_if_exists(path)?;
                    None
                }
            }
        } else {
            remove_if_exists(path)?;
            None
        };
        remove_if_exists(&sidecar(path, "-wal"))?;
        remove_if_exists(&sidecar(path, "-shm"))?;
        Ok(moved)
    }

    /// Replaces a damaged index (after an [`Error::Corrupt`]) with an empty one: the file is
    /// moved aside like [`Index::open`] does.
    pub fn rebuild(self) -> Result<(Index, OpenNotice)> {
        let Index { conn, path } = self;
        drop(conn);
        let moved_to = Self::discard(&path, true)?;
        let conn = create_new(&path)?;
        Ok((
            Index { conn, path },
            OpenNotice::RebuiltDamaged {
                reason: "rebuilt on request after a corruption error".into(),
                moved_to,
            },
        ))
    }

    /// The index file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Projects present in the index (synced at least partly).
    pub fn projects(&self) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare("SELECT project_id FROM projects ORDER BY project_id")?;
        let out = st
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(out)
    }

    /// Sync state of a project, `None` if it was never synced.
    pub fn project_state(&self, project_id: &str) -> Result<Option<ProjectState>> {
        let row = self
            .conn
            .query_row(
                "SELECT as_of, watermark, full_synced FROM projects WHERE project_id = ?1",
                [project_id],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, bool>(2)?,
                    ))
                },
            )
            .optional()?;
        let Some((as_of, watermark, full_synced)) = row else {
            return Ok(None);
        };
        let tasks: u64 = self.conn.query_row(
            "SELECT COUNT(*) FROM tasks WHERE project_id = ?1",
            [project_id],
            |r| r.get(0),
        )?;
        Ok(Some(ProjectState {
            as_of,
            watermark,
            full_synced,
            tasks,
        }))
    }

    /// Forgets a project (its tasks and sync state).
    pub fn remove_project(&mut self, project_id: &str) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let n = tx.execute("DELETE FROM tasks WHERE project_id = ?1", [project_id])?;
        tx.execute("DELETE FROM projects WHERE project_id = ?1", [project_id])?;
        tx.commit()?;
        Ok(n as u64)
    }

    /// The stored document of a task (as the listing returned it, with `data`, `jobs` and
    /// `metrics`), without a request.
    pub fn document(&self, project_id: &str, task_id: &str) -> Result<Option<Value>> {
        let doc: Option<String> = self
            .conn
            .prepare_cached("SELECT doc FROM tasks WHERE project_id = ?1 AND id = ?2")?
            .query_row(params![project_id, task_id], |r| r.get(0))
            .optional()?;
        Ok(doc.and_then(|d| serde_json::from_str(&d).ok()))
    }

    /// Calls `f` with every stored document of a project in listing order, one at a time
    /// (memory flat in the project's size); returns how many.
    pub fn each_document(&self, project_id: &str, mut f: impl FnMut(&Value)) -> Result<u64> {
        let mut st = self
            .conn
            .prepare_cached("SELECT doc FROM tasks WHERE project_id = ?1 ORDER BY seq")?;
        let mut rows = st.query([project_id])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let text: String = r.get(0)?;
            if let Ok(doc) = serde_json::from_str::<Value>(&text) {
                f(&doc);
                n += 1;
            }
        }
        Ok(n)
    }

    /// Every stored document of a project, by task id.
    pub fn documents(&self, project_id: &str) -> Result<HashMap<String, Value>> {
        let mut st = self
            .conn
            .prepare("SELECT id, doc FROM tasks WHERE project_id = ?1 ORDER BY seq")?;
        let rows = st.query_map([project_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, doc) = row?;
            out.insert(id, serde_json::from_str(&doc).unwrap_or(Value::Null));
        }
        Ok(out)
    }

    /// Writes task documents (as the tasks listing returns them, ideally with `data` and
    /// `jobs`) in one transaction. Returns how many rows were added or changed.
    pub fn upsert_tasks(&mut self, project_id: &str, docs: &[Value]) -> Result<u64> {
        let tx = self.conn.transaction()?;
        ensure_project(&tx, project_id)?;
        let mut n = 0;
        for d in docs {
            n += upsert(&tx, project_id, &TaskRecord::from_doc(d)?)?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Deletes tasks by id in one transaction; returns how many rows went.
    pub fn delete_tasks(&mut self, project_id: &str, ids: &[String]) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let n = delete_ids(&tx, project_id, ids)?;
        tx.commit()?;
        Ok(n)
    }
}

/// Sync state of one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectState {
    /// Local UTC time (RFC 3339) at which the last finished sync started: the index holds
    /// every change made on the lab before it (minus what the sync could not see).
    pub as_of: Option<String>,
    /// Largest `updatedAt` seen (lab clock); incremental syncs list from it minus the overlap.
    pub watermark: Option<String>,
    /// A full mirror finished.
    pub full_synced: bool,
    /// Tasks of the project in the index.
    pub tasks: u64,
}

pub(crate) fn ensure_project(c: &Connection, project_id: &str) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT OR IGNORE INTO projects (project_id) VALUES (?1)")?
        .execute([project_id])?;
    Ok(())
}

pub(crate) fn delete_ids(c: &Connection, project_id: &str, ids: &[String]) -> Result<u64> {
    let mut st = c.prepare_cached("DELETE FROM tasks WHERE project_id = ?1 AND id = ?2")?;
    let mut n = 0;
    for id in ids {
        n += st.execute(params![project_id, id])? as u64;
    }
    Ok(n)
}

/// The columns of one task, derived from its listed document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskRecord {
    pub id: String,
    pub name: String,
    pub status: String,
    pub batch_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_annotator: Option<String>,
    pub score: rusqlite::types::Value,
    pub properties: Option<String>,
    pub data_body: Option<String>,
    pub metadata_body: Option<String>,
    pub doc: String,
    /// `(kind, path, JSON text)` of every filterable scalar.
    pub kv: Vec<(i64, String, String)>,
}

/// Kind of a [`TaskRecord::kv`] entry.
pub(crate) const KV_PROPERTIES: i64 = 0;
/// Kind of a [`TaskRecord::kv`] entry.
pub(crate) const KV_DATA: i64 = 1;

/// A key segment the kv table holds: one that SQLite's `$."key"` path reads literally and
/// that serde_json writes unescaped (filters on other keys use the JSON columns).
pub(crate) fn plain_key(k: &str) -> bool {
    !k.is_empty()
        && !k
            .chars()
            .any(|c| c == '.' || c == '"' || c == '\\' || c.is_control())
}

/// Scalar leaves reachable through objects with plain keys: `(dotted path, value)`.
fn leaves<'a>(v: &'a Value, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            if !plain_key(k) {
                continue;
            }
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match child {
                Value::Object(_) => leaves(child, &path, out),
                Value::Array(_) | Value::Null => {}
                _ => out.push((path, child)),
            }
        }
    }
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.as_object()?.get(k))
}

/// The filterable scalars of a task: properties as they are; data as the lab's filter reads
/// it, path by path: `data.body` unless missing or `null` there, else `data.metadata.body`.
fn kv_of(doc: &Value) -> Vec<(i64, String, String)> {
    let mut out = Vec::new();
    let mut found = Vec::new();
    if let Some(p) = doc.get("properties") {
        leaves(p, "", &mut found);
    }
    for (path, v) in found.drain(..) {
        out.push((KV_PROPERTIES, path, v.to_string()));
    }
    let body = doc.pointer("/data/body");
    let meta = doc.pointer("/data/metadata/body");
    if let Some(b) = body {
        leaves(b, "", &mut found);
    }
    for (path, v) in found.drain(..) {
        out.push((KV_DATA, path, v.to_string()));
    }
    if let Some(m) = meta {
        leaves(m, "", &mut found);
    }
    for (path, v) in found {
        let shadowed = body
            .and_then(|b| lookup(b, &path))
            .is_some_and(|d| !d.is_null());
        if !shadowed {
            out.push((KV_DATA, path, v.to_string()));
        }
    }
    out
}

fn str_field(doc: &Value, key: &str) -> String {
    doc.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl TaskRecord {
    pub fn from_doc(doc: &Value) -> Result<TaskRecord> {
        let id = doc
            .get("_id")
            .and_then(Value::as_str)
            .ok_or(Error::TaskWithoutId)?
            .to_string();
        let score = match doc.pointer("/properties/score") {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => rusqlite::types::Value::Integer(i),
                None => n
                    .as_f64()
                    .map(rusqlite::types::Value::Real)
                    .unwrap_or(rusqlite::types::Value::Null),
            },
            _ => rusqlite::types::Value::Null,
        };
        let json = |v: Option<&Value>| v.map(Value::to_string);
        Ok(TaskRecord {
            name: str_field(doc, "name"),
            status: str_field(doc, "status"),
            batch_id: str_field(doc, "batchId"),
            created_at: str_field(doc, "createdAt"),
            updated_at: str_field(doc, "updatedAt"),
            last_annotator: lab_client::view::last_annotator(doc),
            score,
            properties: json(doc.get("properties")),
            data_body: json(doc.pointer("/data/body")),
            metadata_body: json(doc.pointer("/data/metadata/body")),
            doc: serde_json::to_string(doc)?,
            kv: kv_of(doc),
            id,
        })
    }
}

/// Inserts or replaces a row; 1 when something changed, 0 when the stored document is the
/// same.
pub(crate) fn upsert(c: &Connection, project_id: &str, t: &TaskRecord) -> Result<u64> {
    let n = c
        .prepare_cached(
            "INSERT INTO tasks (project_id, id, name, status, batch_id, created_at, updated_at,
                last_annotator, score, properties, data_body, metadata_body, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, jsonb(?10), jsonb(?11), jsonb(?12), ?13)
             ON CONFLICT (project_id, id) DO UPDATE SET
                name = excluded.name, status = excluded.status, batch_id = excluded.batch_id,
                created_at = excluded.created_at, updated_at = excluded.updated_at,
                last_annotator = excluded.last_annotator, score = excluded.score,
                properties = excluded.properties, data_body = excluded.data_body,
                metadata_body = excluded.metadata_body, doc = excluded.doc
             WHERE tasks.doc IS NOT excluded.doc",
        )?
        .execute(params![
            project_id,
            t.id,
            t.name,
            t.status,
            t.batch_id,
            t.created_at,
            t.updated_at,
            t.last_annotator,
            t.score,
            t.properties,
            t.data_body,
            t.metadata_body,
            t.doc,
        ])?;
    if n > 0 {
        let seq: i64 = c
            .prepare_cached("SELECT seq FROM tasks WHERE project_id = ?1 AND id = ?2")?
            .query_row(params![project_id, t.id], |r| r.get(0))?;
        c.prepare_cached("DELETE FROM kv WHERE task = ?1")?
            .execute([seq])?;
        let mut ins =
            c.prepare_cached("INSERT INTO kv (task, kind, path, val) VALUES (?1, ?2, ?3, ?4)")?;
        for (kind, path, val) in &t.kv {
            ins.execute(params![seq, kind, path, val])?;
        }
    }
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(id: &str) -> Value {
        json!({"_id": id, "name": format!("{id}.png"), "status": "pending", "batchId": "b",
               "projectId": "p", "properties": {"score": 2}, "createdAt": "2024-01-01T00:00:00.000Z",
               "updatedAt": "2024-01-02T00:00:00.000Z", "data": {"body": {"a": 1}, "metadata": {"body": {}}}})
    }

    #[test]
    fn fresh_then_opened_keeps_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i.sqlite3");
        let (mut ix, n) = Index::open(&p).unwrap();
        assert_eq!(n, OpenNotice::Fresh);
        assert_eq!(ix.upsert_tasks("p", &[doc("t1"), doc("t2")]).unwrap(), 2);
        assert_eq!(
            ix.upsert_tasks("p", &[doc("t1")]).unwrap(),
            0,
            "same doc: no change"
        );
        let mode: String = ix
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(ix);
        let (ix, n) = Index::open(&p).unwrap();
        assert_eq!(n, OpenNotice::Opened);
        assert_eq!(ix.document("p", "t2").unwrap().unwrap(), doc("t2"));
        let v: i64 = ix
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn projects_are_kept_apart() {
        let dir = tempfile::tempdir().unwrap();
        let (mut ix, _) = Index::open(dir.path().join("i.sqlite3")).unwrap();
        ix.upsert_tasks("p", &[doc("t1"), doc("t2")]).unwrap();
        ix.upsert_tasks("q", &[doc("t1")]).unwrap();
        assert_eq!(ix.projects().unwrap(), ["p", "q"]);
        let ids = |ix: &Index, p: &str| ix.ids(&lab_client::TaskFilter::new(p)).unwrap();
        assert_eq!(ids(&ix, "p"), ["t1", "t2"]);
        assert_eq!(ids(&ix, "q"), ["t1"]);
        assert_eq!(
            ix.delete_tasks("p", &["t1".into(), "zz".into()]).unwrap(),
            1
        );
        assert_eq!(ids(&ix, "q"), ["t1"]);
        let mut f = lab_client::TaskFilter::new("p");
        f.data = vec![("a".into(), "1".into())];
        assert_eq!(ix.ids(&f).unwrap(), ["t2"]);
        assert_eq!(ix.remove_project("p").unwrap(), 1);
        assert_eq!(ix.projects().unwrap(), ["q"]);
        let kv: i64 = ix
            .conn
            .query_row("SELECT COUNT(*) FROM kv", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kv, 2, "only q's task keeps key/value rows (score, a)");
    }

    #[test]
    fn garbage_file_is_rebuilt_and_usable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i.sqlite3");
        std::fs::write(
            &p,
            b"this is not a database, just some bytes ......".repeat(200),
        )
        .unwrap();
        let (mut ix, n) = Index::open(&p).unwrap();
        match n {
            OpenNotice::RebuiltDamaged { moved_to, .. } => {
                let moved = moved_to.expect("moved aside");
                assert!(std::fs::read(moved).unwrap().starts_with(b"this is not"));
            }
            other => panic!("expected RebuiltDamaged, got {other:?}"),
        }
        assert_eq!(ix.upsert_tasks("p", &[doc("t1")]).unwrap(), 1);
        assert_eq!(ix.project_state("p").unwrap().unwrap().tasks, 1);
    }

    #[test]
    fn damaged_pages_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i.sqlite3");
        {
            let (mut ix, _) = Index::open(&p).unwrap();
            let docs: Vec<Value> = (0..2000).map(|i| doc(&format!("t{i}"))).collect();
            ix.upsert_tasks("p", &docs).unwrap();
            ix.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .unwrap();
        }
        let mut bytes = std::fs::read(&p).unwrap();
        assert!(bytes.len() > 64 * 1024);
        // keep the header page, scribble over the b-tree pages after it
        for (i, b) in bytes[4096..].iter_mut().enumerate() {
            *b = (i * 7 % 251) as u8;
        }
        std::fs::write(&p, &bytes).unwrap();
        // without the open check, the first query meets the damage: a typed error, then a
        // rebuild on request
        let (ix, n) = Index::open_with(
            &p,
            &OpenOptions {
                integrity: IntegrityCheck::None,
            },
        )
        .unwrap();
        assert_eq!(n, OpenNotice::Opened);
        let err = ix.documents("p").unwrap_err();
        assert!(err.is_corrupt(), "{err:?}");
        let (ix, n) = ix.rebuild().unwrap();
        assert!(matches!(n, OpenNotice::RebuiltDamaged { .. }));
        assert_eq!(ix.project_state("p").unwrap(), None);
        drop(ix);
        // with the default check, open finds it
        std::fs::write(&p, &bytes).unwrap();
        let (ix, n) = Index::open(&p).unwrap();
        assert!(
            matches!(n, OpenNotice::RebuiltDamaged { .. }),
            "expected RebuiltDamaged, got {n:?}"
        );
        assert_eq!(ix.projects().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn old_schema_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i.sqlite3");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch(
                "CREATE TABLE tasks (id TEXT, token TEXT); INSERT INTO tasks VALUES ('a', 'b');
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let (mut ix, n) = Index::open(&p).unwrap();
        assert_eq!(n, OpenNotice::RebuiltOldSchema { found: 1 });
        assert_eq!(ix.upsert_tasks("p", &[doc("t1")]).unwrap(), 1);
        // a newer (unknown) version too
        drop(ix);
        {
            let c = Connection::open(&p).unwrap();
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let (_, n) = Index::open(&p).unwrap();
        assert_eq!(
            n,
            OpenNotice::RebuiltOldSchema {
                found: SCHEMA_VERSION + 1
            }
        );
    }

    #[test]
    fn rebuild_after_corruption_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i.sqlite3");
        let (mut ix, _) = Index::open(&p).unwrap();
        ix.upsert_tasks("p", &[doc("t1")]).unwrap();
        let (ix, n) = ix.rebuild().unwrap();
        assert!(matches!(
            n,
            OpenNotice::RebuiltDamaged {
                moved_to: Some(_),
                ..
            }
        ));
        assert!(ix.project_state("p").unwrap().is_none());
    }

    #[test]
    fn record_columns_from_document() {
        let mut d = doc("t9");
        d["jobs"] = json!([
            {"status": "complete", "state": {"completedAt": "2024-01-01", "completedBy": {"email": "a@x"}}},
            {"status": "complete", "state": {"completedAt": "2024-02-01", "completedBy": {"email": "b@x"}}},
            {"status": "pending", "state": {}}
        ]);
        d["properties"]["score"] = json!(2.5);
        let r = TaskRecord::from_doc(&d).unwrap();
        assert_eq!(r.last_annotator.as_deref(), Some("b@x"));
        assert_eq!(r.score, rusqlite::types::Value::Real(2.5));
        assert_eq!(r.batch_id, "b");
        assert!(matches!(
            TaskRecord::from_doc(&json!({"name": "x"})),
            Err(Error::TaskWithoutId)
        ));
    }
}
