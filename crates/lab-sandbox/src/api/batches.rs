//! Batches: list, get, create, delete (with its tasks).

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::{Caller, JsonBody, PageReq, PathId, QueryPairs, Where, check_enum, text};
use crate::error::{ApiError, ApiResult};
use crate::store::{Sandbox, new_id, now_iso, write_tx};

pub(crate) const BATCH_STATUSES: &[&str] = &["pending", "complete", "configuring"];
const COLS: &str = "id, name, project_id, status, created_at, updated_at";

pub(crate) fn batch_doc(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "_id": r.get::<_, String>(0)?,
        "name": r.get::<_, String>(1)?,
        "projectId": r.get::<_, String>(2)?,
        "status": r.get::<_, String>(3)?,
        "createdAt": r.get::<_, String>(4)?,
        "updatedAt": r.get::<_, String>(5)?,
    }))
}

pub(crate) fn find_batch(c: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<Value>> {
    c.query_row(
        &format!("SELECT {COLS} FROM batches WHERE id = ?1"),
        [id],
        batch_doc,
    )
    .optional()
}

pub(crate) async fn list(State(s): State<Sandbox>, q: QueryPairs) -> ApiResult<Json<Value>> {
    let page = PageReq::from_query(&q, 10)?;
    let mut w = Where::default();
    if let Some(p) = q.one("projectId").filter(|v| !v.is_empty()) {
        w.push("project_id = ?", [text(p)]);
    }
    let statuses = q.all("statuses");
    check_enum("statuses", &statuses, BATCH_STATUSES)?;
    w.push_in("status", &statuses);
    if let Some(search) = q.one("search").filter(|v| !v.is_empty()) {
        w.push("instr(lower(name), lower(?)) > 0", [text(search)]);
    }
    Ok(Json(
        super::list_rows(&s, "batches", COLS, w, page, batch_doc).await?,
    ))
}

pub(crate) async fn get_one(
    State(s): State<Sandbox>,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    let idc = id.clone();
    s.db(move |c| Ok(find_batch(c, &idc)?))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("batch {id} not found")))
}

pub(crate) async fn create(
    State(s): State<Sandbox>,
    Extension(_caller): Extension<Caller>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::validation("name is required: a non-empty string"))?
        .to_string();
    if name.chars().count() > 500 {
        return Err(ApiError::validation("name is longer than 500 characters"));
    }
    let project_id = body
        .get("projectId")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::validation("projectId is required: the id of an existing project")
        })?
        .to_string();
    let doc = s
        .db(move |c| {
            let exists: bool = c
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
            let id = new_id();
            let now = now_iso();
            c.execute(
                "INSERT INTO batches (id, project_id, name, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
                params![id, project_id, name, now],
            )?;
            Ok(find_batch(c, &id)?)
        })
        .await?
        .ok_or_else(|| ApiError::internal("batch vanished after creation"))?;
    Ok((StatusCode::CREATED, Json(doc)))
}

pub(crate) async fn delete(State(s): State<Sandbox>, PathId(id): PathId) -> ApiResult<Json<Value>> {
    let idc = id.clone();
    let out = s
        .db(move |c| {
            let tx = write_tx(c)?;
            let Some(mut doc) = find_batch(&tx, &idc)? else {
                return Ok(None);
            };
            let n = tx.execute("DELETE FROM tasks WHERE batch_id = ?1", [&idc])?;
            tx.execute("DELETE FROM batches WHERE id = ?1", [&idc])?;
            tx.commit()?;
            doc["deleted"] = json!(true);
            doc["deletedTasks"] = json!(n);
            Ok(Some(doc))
        })
        .await?;
    out.map(Json)
        .ok_or_else(|| ApiError::not_found(format!("batch {id} not found")))
}
