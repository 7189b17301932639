//! Tasks: list with filters, properties, reset, to-review.

use axum::Json;
use axum::extract::State;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::{
    JsonBody, PageReq, PathId, QueryPairs, Where, check_enum, check_list_sizes, page_json,
    parse_json_col, text,
};
use crate::error::{ApiError, ApiResult};
use crate::store::{Sandbox, build_regex, now_iso, parse_filter_date, write_tx};

pub(crate) const TASK_STATUSES: &[&str] = &[
    "pending",
    "complete",
    "to-review",
    "reviewed",
    "configuring",
];
const OPTIONAL_FIELDS: &[&str] = &["data", "jobs", "metrics", "data.mask", "jobs.history"];

/// Which optional parts of a task document to return.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fields {
    pub data: bool,
    pub mask: bool,
    pub jobs: bool,
    pub history: bool,
    pub metrics: bool,
}

impl Fields {
    pub fn all() -> Self {
        Fields {
            data: true,
            mask: false,
            jobs: true,
            history: false,
            metrics: true,
        }
    }
    fn columns(&self) -> String {
        let mut cols = String::from(
            "id, name, status, batch_id, project_id, resources, properties, created_at, updated_at",
        );
        if self.data {
            cols.push_str(", data_body, metadata_body, data_info");
        }
        if self.jobs {
            cols.push_str(", jobs");
        }
        if self.metrics {
            cols.push_str(", metrics");
        }
        cols
    }
}

fn strip_mask(body: &mut Value) {
    if let Value::Object(m) = body {
        m.remove("mask");
        for v in m.values_mut() {
            if let Value::Object(inner) = v {
                inner.remove("mask");
            }
        }
    }
}

fn task_doc(r: &rusqlite::Row<'_>, f: Fields) -> rusqlite::Result<Value> {
    let mut doc = Map::new();
    doc.insert("_id".into(), json!(r.get::<_, String>(0)?));
    doc.insert("name".into(), json!(r.get::<_, String>(1)?));
    doc.insert("status".into(), json!(r.get::<_, String>(2)?));
    doc.insert("batchId".into(), json!(r.get::<_, String>(3)?));
    doc.insert("projectId".into(), json!(r.get::<_, String>(4)?));
    doc.insert("resources".into(), parse_json_col(&r.get::<_, String>(5)?));
    doc.insert("properties".into(), parse_json_col(&r.get::<_, String>(6)?));
    doc.insert("createdAt".into(), json!(r.get::<_, String>(7)?));
    doc.insert("updatedAt".into(), json!(r.get::<_, String>(8)?));
    let mut i = 9;
    if f.data {
        let mut body = parse_json_col(&r.get::<_, String>(i)?);
        let mut meta = parse_json_col(&r.get::<_, String>(i + 1)?);
        if !f.mask {
            strip_mask(&mut body);
            strip_mask(&mut meta);
        }
        let mut data = Map::new();
        data.insert("body".into(), body);
        data.insert("metadata".into(), json!({ "body": meta }));
        if let Value::Object(info) = parse_json_col(&r.get::<_, String>(i + 2)?) {
            for (k, v) in info {
                data.entry(k).or_insert(v);
            }
        }
        doc.insert("data".into(), Value::Object(data));
        i += 3;
    }
    if f.jobs {
        let mut jobs = parse_json_col(&r.get::<_, String>(i)?);
        if !f.history
            && let Value::Array(list) = &mut jobs
        {
            for j in list.iter_mut() {
                if let Value::Object(m) = j {
                    m.remove("history");
                }
            }
        }
        doc.insert("jobs".into(), jobs);
        i += 1;
    }
    if f.metrics {
        doc.insert("metrics".into(), parse_json_col(&r.get::<_, String>(i)?));
    }
    Ok(Value::Object(doc))
}

/// Loads one task document.
pub(crate) fn load_task(c: &Connection, id: &str, f: Fields) -> rusqlite::Result<Option<Value>> {
    c.prepare_cached(&format!("SELECT {} FROM tasks WHERE id = ?1", f.columns()))?
        .query_row([id], |r| task_doc(r, f))
        .optional()
}

/// A JSON path (`$."a"."b"`) for a dotted key; refuses keys SQLite paths cannot hold.
fn json_path(key: &str) -> ApiResult<String> {
    let mut p = String::from("$");
    for part in key.split('.') {
        if part.is_empty() || part.contains('"') || part.chars().any(char::is_control) {
            return Err(ApiError::bad_request(format!(
                "invalid filter key \"{key}\": use data.<field> or properties.<field>"
            )));
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

/// SQL matching the scalar at `path` of a JSON expression against a query string value.
fn scalar_match(expr: &str, value: &str, w: &mut Where) {
    let cands = json_candidates(value);
    let marks = vec!["?"; cands.len()].join(",");
    w.push(format!("{expr} IN ({marks})"), cands.into_iter().map(text));
}

fn date_filters(q: &QueryPairs, key: &str, column: &str, w: &mut Where) -> ApiResult<()> {
    for v in q.all(key) {
        let (op, rest) = if let Some(r) = v.strip_prefix(">=") {
            (">=", r)
        } else if let Some(r) = v.strip_prefix("<=") {
            ("<=", r)
        } else if let Some(r) = v.strip_prefix('>') {
            (">", r)
        } else if let Some(r) = v.strip_prefix('<') {
            ("<", r)
        } else {
            return Err(ApiError::bad_request(format!(
                "{key} \"{v}\" must start with >, >=, < or <= followed by a date like 2022-09-19 08:30:00"
            )));
        };
        let date = parse_filter_date(rest).ok_or_else(|| {
            ApiError::bad_request(format!(
                "{key}: \"{rest}\" is not a date like 2022-09-19 08:30:00"
            ))
        })?;
        w.push(format!("{column} {op} ?"), [text(date)]);
    }
    Ok(())
}

pub(crate) fn parse_fields(q: &QueryPairs) -> ApiResult<Fields> {
    let requested = q.all("optionalFields");
    check_enum("optionalFields", &requested, OPTIONAL_FIELDS)?;
    let has = |k: &str| requested.iter().any(|v| v == k);
    Ok(Fields {
        data: has("data") || has("data.mask"),
        mask: has("data.mask"),
        jobs: has("jobs") || has("jobs.history"),
        history: has("jobs.history"),
        metrics: has("metrics"),
    })
}

/// Builds the WHERE of a task search from the query of `GET api/task-manager/tasks`.
pub(crate) fn task_filter(q: &QueryPairs) -> ApiResult<Where> {
    check_list_sizes(q)?;
    let mut w = Where::default();
    let by_id = !q.all("taskIds").is_empty();
    if let Some(p) = q.one("projectId").filter(|v| !v.is_empty()) {
        // With task ids, the id index finds the few rows (the unary `+` keeps SQLite from
        // walking the whole project through its (project_id, seq) index for the ORDER BY).
        w.push(
            if by_id {
                "+project_id = ?"
            } else {
                "project_id = ?"
            },
            [text(p)],
        );
    }
    w.push_in("batch_id", &q.all("batchIds"));
    let statuses = q.all("statuses");
    check_enum("statuses", &statuses, TASK_STATUSES)?;
    w.push_in("status", &statuses);
    w.push_in("id", &q.all("taskIds"));
    w.push_in("name", &q.all("taskNames"));
    for re in q.all("nameLike") {
        build_regex(&re).map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "INVALID_REGEX",
                format!("nameLike is not a valid regular expression: {e}"),
            )
        })?;
        w.push("regexp(?, name)", [text(re)]);
    }
    date_filters(q, "createdAt", "created_at", &mut w)?;
    date_filters(q, "updatedAt", "updated_at", &mut w)?;
    // Small properties documents first, then the (bigger) data bodies.
    for (k, v) in &q.0 {
        if let Some(field) = k.strip_prefix("properties.") {
            let p = sql_quote(&json_path(field)?);
            scalar_match(&format!("(properties -> {p})"), v, &mut w);
        }
    }
    for (k, v) in &q.0 {
        if let Some(field) = k.strip_prefix("data.") {
            // The merged view: data.body wins over data.metadata.body unless absent/null.
            let p = sql_quote(&json_path(field)?);
            let expr = format!("COALESCE(NULLIF(data_body -> {p}, 'null'), metadata_body -> {p})");
            scalar_match(&expr, v, &mut w);
        }
    }
    Ok(w)
}

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn col<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'a str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn push_str(out: &mut String, s: &str) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

/// Appends a stored JSON column as it is, or rewritten by `fix` when `needle` occurs in it.
fn push_json(out: &mut String, raw: &str, needle: Option<&str>, fix: impl FnOnce(&mut Value)) {
    match needle {
        Some(n) if raw.contains(n) => {
            let mut v = parse_json_col(raw);
            fix(&mut v);
            out.push_str(&v.to_string());
        }
        _ if raw.is_empty() => out.push_str("null"),
        _ => out.push_str(raw),
    }
}

/// The same document as [`task_doc`], written straight from the stored JSON text
/// (only bodies holding a mask and jobs holding a history are parsed).
fn task_doc_raw(r: &rusqlite::Row<'_>, f: Fields, out: &mut String) -> rusqlite::Result<()> {
    for (i, key) in ["_id", "name", "status", "batchId", "projectId"]
        .iter()
        .enumerate()
    {
        out.push_str(if i == 0 { "{\"" } else { ",\"" });
        out.push_str(key);
        out.push_str("\":");
        push_str(out, col(r, i)?);
    }
    out.push_str(",\"resources\":");
    push_json(out, col(r, 5)?, None, |_| {});
    out.push_str(",\"properties\":");
    push_json(out, col(r, 6)?, None, |_| {});
    out.push_str(",\"createdAt\":");
    push_str(out, col(r, 7)?);
    out.push_str(",\"updatedAt\":");
    push_str(out, col(r, 8)?);
    let mut i = 9;
    if f.data {
        let needle = if f.mask { None } else { Some("\"mask\"") };
        out.push_str(",\"data\":{\"body\":");
        push_json(out, col(r, i)?, needle, strip_mask);
        out.push_str(",\"metadata\":{\"body\":");
        push_json(out, col(r, i + 1)?, needle, strip_mask);
        out.push('}');
        let info = col(r, i + 2)?.trim();
        if info.len() > 2 && info.starts_with('{') && info.ends_with('}') {
            out.push(',');
            out.push_str(&info[1..info.len() - 1]);
        }
        out.push('}');
        i += 3;
    }
    if f.jobs {
        out.push_str(",\"jobs\":");
        let needle = if f.history { None } else { Some("\"history\"") };
        push_json(out, col(r, i)?, needle, |jobs| {
            if let Value::Array(list) = jobs {
                for j in list.iter_mut() {
                    if let Value::Object(m) = j {
                        m.remove("history");
                    }
                }
            }
        });
        i += 1;
    }
    if f.metrics {
        out.push_str(",\"metrics\":");
        push_json(out, col(r, i)?, None, |_| {});
    }
    out.push('}');
    Ok(())
}

pub(crate) async fn list(
    State(s): State<Sandbox>,
    q: QueryPairs,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let page = PageReq::from_query(&q, 10)?;
    let fields = parse_fields(&q)?;
    let w = task_filter(&q)?;
    let body = s
        .db(move |c| {
            let wh = w.sql();
            let total: i64 = c
                .prepare_cached(&format!("SELECT COUNT(*) FROM tasks {wh}"))?
                .query_row(rusqlite::params_from_iter(w.params.iter()), |r| r.get(0))?;
            let mut params = w.params.clone();
            let sql = if page.paginated {
                params.push(page.limit.into());
                params.push(page.offset().into());
                format!(
                    "SELECT {} FROM tasks {wh} ORDER BY seq LIMIT ? OFFSET ?",
                    fields.columns()
                )
            } else {
                format!("SELECT {} FROM tasks {wh} ORDER BY seq", fields.columns())
            };
            let mut st = c.prepare_cached(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
            let mut docs = String::with_capacity(64 * 1024);
            let mut first = true;
            while let Some(r) = rows.next()? {
                if !first {
                    docs.push(',');
                }
                first = false;
                task_doc_raw(r, fields, &mut docs)?;
            }
            Ok(if page.paginated {
                let meta = page_json(Vec::new(), total, page).to_string();
                // `{"docs":[]` then the pagination keys.
                format!("{{\"docs\":[{docs}]{}", &meta[10..])
            } else {
                format!("[{docs}]")
            })
        })
        .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

pub(crate) async fn properties(
    State(s): State<Sandbox>,
    PathId(project_id): PathId,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let Value::Object(body) = body else {
        return Err(ApiError::validation(
            "body must be a JSON object {taskIds, score?, custom?}",
        ));
    };
    for k in body.keys() {
        if !matches!(k.as_str(), "taskIds" | "score" | "custom") {
            return Err(ApiError::validation(format!(
                "unknown property \"{k}\": only score and custom can be updated"
            )));
        }
    }
    let ids: Vec<String> = match body.get("taskIds") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().map(String::from))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ApiError::validation("taskIds must be a list of task id strings"))?,
        _ => {
            return Err(ApiError::validation(
                "taskIds is required: a non-empty list of task ids",
            ));
        }
    };
    if ids.len() > 200 {
        return Err(ApiError::validation(format!(
            "taskIds has {} ids; send at most 200 per call",
            ids.len()
        )));
    }
    let score = body.get("score").cloned();
    if let Some(sc) = &score
        && !(sc.is_number() || sc.is_null())
    {
        return Err(ApiError::validation(
            "score must be a number (or null to remove it)",
        ));
    }
    let custom = body.get("custom").cloned();
    if let Some(cu) = &custom
        && !(cu.is_object() || cu.is_null())
    {
        return Err(ApiError::validation(
            "custom must be an object of custom properties (or null to remove them)",
        ));
    }
    if score.is_none() && custom.is_none() {
        return Err(ApiError::validation(
            "nothing to update: give score and/or custom",
        ));
    }
    let updated = s
        .db(move |c| {
            let tx = write_tx(c)?;
            let exists = tx
                .query_row(
                    "SELECT 1 FROM projects WHERE id = ?1",
                    [&project_id],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !exists {
                return Err(ApiError::not_found(format!(
                    "project {project_id} not found"
                )));
            }
            let now = now_iso();
            let mut seen = std::collections::HashSet::new();
            let mut n = 0u64;
            for id in &ids {
                if !seen.insert(id.as_str()) {
                    continue;
                }
                let props: Option<String> = tx
                    .query_row(
                        "SELECT properties FROM tasks WHERE id = ?1 AND project_id = ?2",
                        params![id, project_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(props) = props else { continue };
                let mut props = match parse_json_col(&props) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                match &score {
                    Some(Value::Null) => {
                        props.remove("score");
                    }
                    Some(v) => {
                        props.insert("score".into(), v.clone());
                    }
                    None => {}
                }
                match &custom {
                    Some(Value::Null) => {
                        props.remove("custom");
                    }
                    Some(Value::Object(new)) => {
                        let entry = props
                            .entry("custom")
                            .or_insert_with(|| Value::Object(Map::new()));
                        if !entry.is_object() {
                            *entry = Value::Object(Map::new());
                        }
                        if let Value::Object(cur) = entry {
                            for (k, v) in new {
                                if v.is_null() {
                                    cur.remove(k);
                                } else {
                                    cur.insert(k.clone(), v.clone());
                                }
                            }
                        }
                    }
                    _ => {}
                }
                tx.execute(
                    "UPDATE tasks SET properties = ?1, updated_at = ?2 WHERE id = ?3",
                    params![Value::Object(props).to_string(), now, id],
                )?;
                n += 1;
            }
            tx.commit()?;
            Ok(n)
        })
        .await?;
    Ok(Json(json!({ "updated": updated })))
}

/// Checks the task exists (in `projectId` when given) and returns its project id.
fn task_in_project(c: &Connection, task_id: &str, project_id: Option<&str>) -> ApiResult<()> {
    let pid: Option<String> = c
        .query_row(
            "SELECT project_id FROM tasks WHERE id = ?1",
            [task_id],
            |r| r.get(0),
        )
        .optional()?;
    match (pid, project_id) {
        (None, _) => Err(ApiError::not_found(format!("task {task_id} not found"))),
        (Some(p), Some(want)) if !want.is_empty() && p != want => Err(ApiError::not_found(
            format!("task {task_id} not found in project {want}"),
        )),
        _ => Ok(()),
    }
}

pub(crate) async fn reset(
    State(s): State<Sandbox>,
    PathId(task_id): PathId,
    q: QueryPairs,
) -> ApiResult<Json<Value>> {
    let keep_state = q.bool("keepState", true)?;
    let project_id = q.one("projectId").map(String::from);
    let doc = s
        .db(move |c| {
            let tx = write_tx(c)?;
            task_in_project(&tx, &task_id, project_id.as_deref())?;
            let now = now_iso();
            if keep_state {
                tx.execute(
                    "UPDATE tasks SET status = 'pending', updated_at = ?1 WHERE id = ?2",
                    params![now, task_id],
                )?;
            } else {
                let info: String = tx.query_row(
                    "SELECT data_info FROM tasks WHERE id = ?1",
                    [&task_id],
                    |r| r.get(0),
                )?;
                let mut info = parse_json_col(&info);
                if let Value::Object(m) = &mut info {
                    m.insert("createdAt".into(), json!(now));
                    m.insert("type".into(), json!("default"));
                }
                tx.execute(
                    "UPDATE tasks SET status = 'pending', updated_at = ?1,
                        data_body = initial_data, metadata_body = initial_data, data_info = ?2
                     WHERE id = ?3",
                    params![now, info.to_string(), task_id],
                )?;
            }
            let doc = load_task(&tx, &task_id, Fields::all())?;
            tx.commit()?;
            Ok(doc)
        })
        .await?;
    doc.map(Json)
        .ok_or_else(|| ApiError::internal("task vanished during reset"))
}

pub(crate) async fn to_review(
    State(s): State<Sandbox>,
    PathId(task_id): PathId,
    q: QueryPairs,
) -> ApiResult<Json<Value>> {
    let project_id = q.one("projectId").map(String::from);
    let doc = s
        .db(move |c| {
            let tx = write_tx(c)?;
            task_in_project(&tx, &task_id, project_id.as_deref())?;
            tx.execute(
                "UPDATE tasks SET status = 'to-review', updated_at = ?1 WHERE id = ?2",
                params![now_iso(), task_id],
            )?;
            let doc = load_task(&tx, &task_id, Fields::all())?;
            tx.commit()?;
            Ok(doc)
        })
        .await?;
    doc.map(Json)
        .ok_or_else(|| ApiError::internal("task vanished during to-review"))
}
