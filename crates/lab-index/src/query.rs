//! Task filters answered from the index, with the lab's semantics.
//!
//! Every kind of [`TaskFilter`] is replicated from the lab sandbox's
//! `GET api/task-manager/tasks` (what the client puts on the wire, then how the server
//! reads it):
//!
//! - kinds are combined with AND; values of one list kind with OR (`IN`); empty strings in
//!   a list are dropped (the lab ignores empty query values), and an empty list is no filter;
//! - `statuses` must be lab statuses ([`Error::InvalidStatus`], the lab's 422);
//! - ids, names, batch ids and statuses compare exactly (case-sensitive);
//! - `name_like`: the Rust `regex` dialect, unanchored (`is_match` on the task name), with
//!   the lab's compile size limits; an empty pattern is no filter;
//! - date bounds: the wire text `{op}{value}` is read back as the lab does (so a value that
//!   starts with `=` turns `>` into `>=`), the date normalised to
//!   `YYYY-MM-DDTHH:MM:SS.mmmZ` (naive dates are UTC; `2022-09-19` is midnight; RFC 3339
//!   offsets converted) and compared as text with the stored `createdAt`/`updatedAt`
//!   (`>`, `>=`, `<`, `<=` exactly); several bounds of one field all apply;
//! - `data.k=v` / `properties.k=v`: `k` is a dotted path of object keys; the JSON value at
//!   that path (for data: `data.body` unless missing or `null`, else `data.metadata.body`)
//!   matches when its JSON text is one the string `v` spells: the string itself, or, when
//!   `v` (trimmed) is a finite number, that number (`3` matches `3`, `3.0` and `"3"`), or
//!   when it is `true`/`false`, that boolean. Objects, arrays, `null` and missing keys never
//!   match. Several pairs (even with one key) all apply.
//!
//! The data fallback is per path (as the lab's SQL does it), so `data.o.y` finds
//! `metadata.body.o.y` even when `data.body.o` is an object without `y`.
//!
//! Filterable scalars are kept in a key/value table (dotted path, JSON text) indexed for
//! lookups; keys that SQLite paths or JSON escapes would read differently (with `"`, `\`
//! or control characters) are answered from the stored JSONB with the same SQLite JSON
//! operators the sandbox uses.
//!
//! Known difference: the listing the index is filled from strips `mask` keys from the data
//! bodies (top level and one level down, as the lab does without `data.mask`), so
//! `data.mask`-style filters cannot match locally; [`answerable_locally`] tells.

use lab_client::TaskFilter;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::store::{Index, KV_DATA, KV_PROPERTIES, build_regex, plain_key};

/// The lab's task statuses.
pub const TASK_STATUSES: &[&str] = &[
    "pending",
    "complete",
    "to-review",
    "reviewed",
    "configuring",
];

/// One row of a task table (the window's too: from the lab or from the local copy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaskRow {
    /// `_id`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Batch.
    pub batch_id: String,
    /// `createdAt` as the lab wrote it.
    pub created_at: String,
    /// `updatedAt` as the lab wrote it.
    pub updated_at: String,
    /// Email of the completer of the most recently completed job.
    pub last_annotator: Option<String>,
    /// `properties.score` when it is a number.
    pub score: Option<f64>,
}

/// Column to sort rows by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortKey {
    /// The order in which the index first saw the tasks (the lab's listing order).
    #[default]
    Listing,
    /// Task id.
    Id,
    /// Name (ASCII case-insensitive).
    Name,
    /// Status.
    Status,
    /// Batch id.
    Batch,
    /// Last annotator (ASCII case-insensitive).
    LastAnnotator,
    /// Score (numeric).
    Score,
    /// Creation date.
    CreatedAt,
    /// Update date.
    UpdatedAt,
}

/// A sort order: blanks (no value, empty text) always come last, ties by task id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sort {
    /// Column.
    pub key: SortKey,
    /// Descending instead of ascending.
    pub descending: bool,
}

impl Sort {
    /// Ascending by `key`.
    pub fn asc(key: SortKey) -> Self {
        Sort {
            key,
            descending: false,
        }
    }
    /// Descending by `key`.
    pub fn desc(key: SortKey) -> Self {
        Sort {
            key,
            descending: true,
        }
    }
    fn order_by(&self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        let text = |col: &str, nocase: bool| {
            let coll = if nocase { " COLLATE NOCASE" } else { "" };
            format!("({col} IS NULL OR {col} = '') ASC, {col}{coll} {dir}, id ASC")
        };
        match self.key {
            SortKey::Listing => format!("seq {dir}"),
            SortKey::Id => format!("(id = '') ASC, id {dir}"),
            SortKey::Name => text("name", true),
            SortKey::Status => text("status", false),
            SortKey::Batch => text("batch_id", false),
            SortKey::LastAnnotator => text("last_annotator", true),
            SortKey::Score => format!("(score IS NULL) ASC, score {dir}, id ASC"),
            SortKey::CreatedAt => text("created_at", false),
            SortKey::UpdatedAt => text("updated_at", false),
        }
    }
}

/// A WHERE clause and its parameters.
#[derive(Debug, Default)]
pub(crate) struct Where {
    clauses: Vec<String>,
    pub params: Vec<SqlValue>,
}

impl Where {
    fn push(&mut self, clause: impl Into<String>, params: impl IntoIterator<Item = SqlValue>) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }
    /// `column IN (list)` over the non-empty values; nothing when none.
    fn push_in(&mut self, column: &str, values: &[String]) {
        let values: Vec<&String> = values.iter().filter(|v| !v.is_empty()).collect();
        if values.is_empty() {
            return;
        }
        let list = Value::Array(
            values
                .into_iter()
                .map(|v| Value::String(v.clone()))
                .collect(),
        );
        self.push(
            format!("{column} IN (SELECT value FROM json_each(?))"),
            [SqlValue::Text(list.to_string())],
        );
    }
    pub fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }
}

/// Parses a filter date (`2022-09-19 08:30:00`, `2022-09-19`, ISO/RFC 3339) into the
/// stored ISO form so that text comparison is time comparison. Naive dates are UTC.
/// (The lab sandbox's rule, kept identical.)
pub fn normalize_filter_date(s: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    let iso = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
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

fn date_filters(
    field: &'static str,
    column: &str,
    range: &lab_client::DateRange,
    w: &mut Where,
) -> Result<()> {
    for (op, v) in [
        (">", &range.gt),
        (">=", &range.gte),
        ("<", &range.lt),
        ("<=", &range.lte),
    ] {
        let Some(v) = v.as_deref().filter(|v| !v.is_empty()) else {
            continue;
        };
        // What the lab reads back from the wire text `{op}{v}`.
        let wire = format!("{op}{v}");
        let (op, rest) = if let Some(r) = wire.strip_prefix(">=") {
            (">=", r)
        } else if let Some(r) = wire.strip_prefix("<=") {
            ("<=", r)
        } else if let Some(r) = wire.strip_prefix('>') {
            (">", r)
        } else if let Some(r) = wire.strip_prefix('<') {
            ("<", r)
        } else {
            unreachable!("the wire text starts with an operator")
        };
        let date = normalize_filter_date(rest).ok_or_else(|| Error::InvalidDate {
            field,
            value: v.to_string(),
        })?;
        w.push(format!("{column} {op} ?"), [SqlValue::Text(date)]);
    }
    Ok(())
}

/// A SQLite JSON path (`$."a"."b"`) for a dotted key; refuses keys the lab refuses.
fn json_path(key: &str) -> Result<String> {
    let mut p = String::from("$");
    for part in key.split('.') {
        if part.is_empty() || part.contains('"') || part.chars().any(char::is_control) {
            return Err(Error::InvalidFilterKey(key.to_string()));
        }
        p.push_str(&format!(".\"{part}\""));
    }
    Ok(p)
}

/// The JSON texts a query value matches: the string itself, and the number/boolean it spells.
fn json_candidates(value: &str) -> Vec<String> {
    let mut out = vec![Value::String(value.to_string()).to_string()];
    let v = value.trim();
    if let Ok(n) = v.parse::<f64>()
        && n.is_finite()
    {
        out.push(v.to_string());
        out.push(n.to_string());
        if n.fract() == 0.0 && n.abs() < 1e15 {
            out.push(format!("{}", n as i64));
            out.push(format!("{}.0", n as i64));
        }
    }
    if v == "true" || v == "false" {
        out.push(v.to_string());
    }
    out.sort();
    out.dedup();
    out
}

fn scalar_match(expr: &str, value: &str, w: &mut Where) {
    let cands = json_candidates(value);
    let marks = vec!["?"; cands.len()].join(",");
    w.push(
        format!("{expr} IN ({marks})"),
        cands.into_iter().map(SqlValue::Text),
    );
}

/// The same match through the kv table (plain keys only: see [`plain_key`]).
fn kv_match(kind: i64, path: &str, value: &str, w: &mut Where) {
    let cands = json_candidates(value);
    let marks = vec!["?"; cands.len()].join(",");
    w.push(
        format!("seq IN (SELECT task FROM kv WHERE kind = ? AND path = ? AND val IN ({marks}))"),
        [SqlValue::Integer(kind), SqlValue::Text(path.to_string())]
            .into_iter()
            .chain(cands.into_iter().map(SqlValue::Text)),
    );
}

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The WHERE clause of a filter (project included).
pub(crate) fn task_where(f: &TaskFilter) -> Result<Where> {
    if f.project_id.trim().is_empty() {
        return Err(Error::MissingProject);
    }
    let mut w = Where::default();
    w.push("project_id = ?", [SqlValue::Text(f.project_id.clone())]);
    w.push_in("batch_id", &f.batch_ids);
    if let Some(bad) = f
        .statuses
        .iter()
        .find(|s| !s.is_empty() && !TASK_STATUSES.contains(&s.as_str()))
    {
        return Err(Error::InvalidStatus(bad.clone()));
    }
    w.push_in("status", &f.statuses);
    w.push_in("id", &f.task_ids);
    w.push_in("name", &f.names);
    if let Some(re) = f.name_like.as_deref().filter(|s| !s.is_empty()) {
        build_regex(re).map_err(|source| Error::InvalidRegex {
            pattern: re.to_string(),
            source,
        })?;
        w.push("regexp(?, name)", [SqlValue::Text(re.to_string())]);
    }
    date_filters("createdAt", "created_at", &f.created_at, &mut w)?;
    date_filters("updatedAt", "updated_at", &f.updated_at, &mut w)?;
    for (k, v) in &f.properties {
        let p = sql_quote(&json_path(k)?);
        if k.split('.').all(plain_key) {
            kv_match(KV_PROPERTIES, k, v, &mut w);
        } else {
            scalar_match(&format!("(properties -> {p})"), v, &mut w);
        }
    }
    for (k, v) in &f.data {
        let p = sql_quote(&json_path(k)?);
        if k.split('.').all(plain_key) {
            kv_match(KV_DATA, k, v, &mut w);
        } else {
            let expr = format!("COALESCE(NULLIF(data_body -> {p}, 'null'), metadata_body -> {p})");
            scalar_match(&expr, v, &mut w);
        }
    }
    Ok(w)
}

/// Whether the index answers `filter` exactly as the lab would: false when a data filter
/// names a `mask` key that the listing strips (see the module notes).
pub fn answerable_locally(filter: &TaskFilter) -> bool {
    filter.data.iter().all(|(k, _)| {
        let parts: Vec<&str> = k.split('.').collect();
        !(parts.first() == Some(&"mask") || parts.get(1) == Some(&"mask"))
    })
}

fn task_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        id: r.get(0)?,
        name: r.get(1)?,
        status: r.get(2)?,
        batch_id: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        last_annotator: r.get(6)?,
        score: r.get(7)?,
    })
}

impl Index {
    /// Ids of the tasks matching `filter`, in listing order.
    pub fn ids(&self, filter: &TaskFilter) -> Result<Vec<String>> {
        let w = task_where(filter)?;
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT id FROM tasks WHERE {} ORDER BY seq",
            w.sql()
        ))?;
        let out = st
            .query_map(rusqlite::params_from_iter(w.params.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(out)
    }

    /// The rows matching `filter` in listing order, each with its stored document while
    /// the documents read so far stay under `doc_budget` bytes (`None` after: the caller
    /// reads those with [`Index::document`] when it needs them). Documents past the budget
    /// are not read from the file.
    pub fn rows_with_docs(
        &self,
        filter: &TaskFilter,
        doc_budget: usize,
    ) -> Result<Vec<(TaskRow, Option<String>)>> {
        let w = task_where(filter)?;
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT id, name, status, batch_id, created_at, updated_at, last_annotator, score, doc
             FROM tasks WHERE {} ORDER BY seq",
            w.sql()
        ))?;
        let mut rows = st.query(rusqlite::params_from_iter(w.params.iter()))?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(r) = rows.next()? {
            let row = task_row(r)?;
            let doc = if bytes < doc_budget {
                let d: String = r.get(8)?;
                bytes += d.len();
                Some(d)
            } else {
                None
            };
            out.push((row, doc));
        }
        Ok(out)
    }

    /// Number of tasks matching `filter`.
    pub fn count(&self, filter: &TaskFilter) -> Result<u64> {
        let w = task_where(filter)?;
        let n: u64 = self
            .conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM tasks WHERE {}", w.sql()))?
            .query_row(rusqlite::params_from_iter(w.params.iter()), |r| r.get(0))?;
        Ok(n)
    }

    /// Every row matching `filter`, sorted.
    pub fn rows(&self, filter: &TaskFilter, sort: Sort) -> Result<Vec<TaskRow>> {
        self.rows_page(filter, sort, 0, None)
    }

    /// A page of the rows matching `filter`, sorted: `limit` rows (all when `None`) from
    /// `offset`.
    pub fn rows_page(
        &self,
        filter: &TaskFilter,
        sort: Sort,
        offset: u64,
        limit: Option<u64>,
    ) -> Result<Vec<TaskRow>> {
        let w = task_where(filter)?;
        let mut params = w.params.clone();
        let limit = limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1);
        params.push(SqlValue::Integer(limit));
        params.push(SqlValue::Integer(offset.min(i64::MAX as u64) as i64));
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT id, name, status, batch_id, created_at, updated_at, last_annotator, score
             FROM tasks WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
            w.sql(),
            sort.order_by()
        ))?;
        let out = st
            .query_map(rusqlite::params_from_iter(params.iter()), task_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_client::DateRange;
    use serde_json::json;

    fn doc(id: &str, name: &str, score: Value, annot: Option<&str>) -> Value {
        let jobs = match annot {
            Some(a) => {
                json!([{"status": "complete", "state": {"completedAt": "2024-01-01", "completedBy": {"email": a}}}])
            }
            None => json!([]),
        };
        json!({"_id": id, "name": name, "status": "pending", "batchId": "b", "projectId": "p",
               "properties": {"score": score, "custom": {"n": 3, "s": "3", "f": 2.0, "t": true, "z": null}},
               "createdAt": format!("2024-01-0{}T00:00:00.000Z", id.len()), "updatedAt": "2024-02-01T00:00:00.000Z",
               "jobs": jobs,
               "data": {"body": {"w": null, "o": {"x": 1}, "k": "body"}, "metadata": {"body": {"w": "meta", "o": {"x": 2, "y": 5}, "k": "meta"}}}})
    }

    fn index() -> (tempfile::TempDir, Index) {
        let dir = tempfile::tempdir().unwrap();
        let (mut ix, _) = Index::open(dir.path().join("i.sqlite3")).unwrap();
        ix.upsert_tasks(
            "p",
            &[
                doc("a", "Zeta", json!(3), Some("bob@x")),
                doc("bb", "alpha", json!(1.5), None),
                doc("ccc", "", Value::Null, Some("Al@x")),
            ],
        )
        .unwrap();
        (dir, ix)
    }

    fn with(f: impl FnOnce(&mut TaskFilter)) -> TaskFilter {
        let mut t = TaskFilter::new("p");
        f(&mut t);
        t
    }

    #[test]
    fn value_comparisons_follow_the_lab() {
        let (_d, ix) = index();
        let props = |k: &str, v: &str| {
            ix.count(&with(|f| f.properties = vec![(k.into(), v.into())]))
                .unwrap()
        };
        assert_eq!(props("custom.n", "3"), 3);
        assert_eq!(props("custom.n", "3.0"), 3);
        assert_eq!(props("custom.n", " 3 "), 3);
        assert_eq!(props("custom.s", "3"), 3, "string \"3\" matches 3");
        assert_eq!(props("custom.s", "3.0"), 0, "but not 3.0");
        assert_eq!(props("custom.f", "2"), 3);
        assert_eq!(props("custom.t", "true"), 3);
        assert_eq!(props("custom.t", "1"), 0);
        assert_eq!(props("custom.z", "null"), 0, "null never matches");
        assert_eq!(props("custom.missing", ""), 0);
        assert_eq!(props("custom", "{}"), 0, "objects never match");
        assert_eq!(props("score", "1.5"), 1);
        let data = |k: &str, v: &str| {
            ix.count(&with(|f| f.data = vec![(k.into(), v.into())]))
                .unwrap()
        };
        assert_eq!(data("w", "meta"), 3, "null data falls back to metadata");
        assert_eq!(data("k", "body"), 3, "data wins");
        assert_eq!(data("k", "meta"), 0);
        assert_eq!(data("o.x", "1"), 3);
        assert_eq!(
            data("o.y", "5"),
            3,
            "the fallback is per path, as on the lab"
        );
        assert_eq!(data("o.x", "2"), 0);
        assert!(matches!(
            ix.count(&with(|f| f.data = vec![("a..b".into(), "1".into())])),
            Err(Error::InvalidFilterKey(_))
        ));
    }

    #[test]
    fn rows_carry_their_documents_until_the_budget_is_spent() {
        let (_d, ix) = index();
        let all = ix
            .rows_with_docs(&TaskFilter::new("p"), usize::MAX)
            .unwrap();
        let ids: Vec<&str> = all.iter().map(|(r, _)| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "bb", "ccc"]);
        assert_eq!(all[0].0.last_annotator.as_deref(), Some("bob@x"));
        assert_eq!((all[0].0.score, all[2].0.score), (Some(3.0), None));
        for (row, doc) in &all {
            let doc: Value = serde_json::from_str(doc.as_deref().unwrap()).unwrap();
            assert_eq!(doc["_id"], row.id.as_str());
        }
        // the first document spends the budget: the others are left in the file
        let some = ix.rows_with_docs(&TaskFilter::new("p"), 1).unwrap();
        let kept: Vec<bool> = some.iter().map(|(_, d)| d.is_some()).collect();
        assert_eq!(kept, [true, false, false]);
        assert_eq!(
            ix.rows_with_docs(&with(|f| f.statuses = vec!["complete".into()]), 1 << 20)
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn lists_regex_dates_and_errors() {
        let (_d, ix) = index();
        let ids = |f: TaskFilter| ix.ids(&f).unwrap();
        assert_eq!(
            ids(with(|f| f.task_ids = vec!["bb".into(), "".into()])),
            ["bb"]
        );
        assert_eq!(ids(with(|f| f.statuses = vec!["".into()])).len(), 3);
        assert_eq!(ids(with(|f| f.name_like = Some("^[a-z]".into()))), ["bb"]);
        assert_eq!(ids(with(|f| f.name_like = Some("(?i)^z".into()))), ["a"]);
        let range = |r: DateRange| ids(with(|f| f.created_at = r));
        assert_eq!(
            range(DateRange {
                gte: Some("2024-01-02".into()),
                ..DateRange::default()
            }),
            ["bb", "ccc"]
        );
        assert_eq!(
            range(DateRange {
                gt: Some("2024-01-02 00:00:00".into()),
                ..DateRange::default()
            }),
            ["ccc"]
        );
        assert_eq!(
            range(DateRange {
                gt: Some("=2024-01-02 00:00:00".into()),
                ..DateRange::default()
            }),
            ["bb", "ccc"],
            "the wire text >=… is read as >="
        );
        assert_eq!(
            range(DateRange {
                lte: Some("2024-01-02T02:00:00+02:00".into()),
                ..DateRange::default()
            }),
            ["a", "bb"]
        );
        assert!(matches!(
            ix.ids(&with(|f| f.statuses = vec!["done".into()])),
            Err(Error::InvalidStatus(_))
        ));
        assert!(matches!(
            ix.ids(&with(|f| f.name_like = Some("[".into()))),
            Err(Error::InvalidRegex { .. })
        ));
        assert!(matches!(
            ix.ids(&with(|f| f.updated_at.lt = Some(" ".into()))),
            Err(Error::InvalidDate { .. })
        ));
        assert!(matches!(
            ix.ids(&TaskFilter::default()),
            Err(Error::MissingProject)
        ));
    }

    #[test]
    fn sorting_puts_blanks_last() {
        let (_d, ix) = index();
        let order = |s: Sort| {
            ix.rows(&TaskFilter::new("p"), s)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(order(Sort::asc(SortKey::Name)), ["bb", "a", "ccc"]);
        assert_eq!(order(Sort::desc(SortKey::Name)), ["a", "bb", "ccc"]);
        assert_eq!(order(Sort::asc(SortKey::Score)), ["bb", "a", "ccc"]);
        assert_eq!(order(Sort::desc(SortKey::Score)), ["a", "bb", "ccc"]);
        assert_eq!(order(Sort::asc(SortKey::LastAnnotator)), ["ccc", "a", "bb"]);
        assert_eq!(
            order(Sort::desc(SortKey::LastAnnotator)),
            ["a", "ccc", "bb"]
        );
        assert_eq!(order(Sort::desc(SortKey::CreatedAt)), ["ccc", "bb", "a"]);
        assert_eq!(order(Sort::default()), ["a", "bb", "ccc"]);
        let page = ix
            .rows_page(&TaskFilter::new("p"), Sort::asc(SortKey::Id), 1, Some(1))
            .unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].id, "bb");
        assert_eq!(page[0].score, Some(1.5));
        assert!(answerable_locally(&TaskFilter::new("p")));
        assert!(!answerable_locally(&with(
            |f| f.data = vec![("image.mask".into(), "x".into())]
        )));
    }
}
