//! The task creation pipeline: duplicates, uploads, grants, data import, task creation.

use axum::Json;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::tasks::{Fields, load_task};
use super::{Caller, JsonBody, PathId};
use crate::error::{ApiError, ApiResult};
use crate::grants::Grant;
use crate::store::{
    Sandbox, TOKEN_DATA, TOKEN_FILES, TaskRow, api_user, insert_task, new_id, now_iso,
    project_type_of, write_tx,
};

fn batch_project(c: &rusqlite::Connection, batch_id: &str) -> ApiResult<String> {
    // A cached statement reading the one column needed (hot: every upload and create).
    c.prepare_cached("SELECT project_id FROM batches WHERE id = ?1")?
        .query_row([batch_id], |r| r.get::<_, String>(0))
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("batch {batch_id} not found")))
}

pub(crate) async fn duplicates(
    State(s): State<Sandbox>,
    PathId(batch_id): PathId,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Value>> {
    let names: Vec<String> = body
        .get("names")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|v| v.as_str().map(String::from)).collect())
        .ok_or_else(|| ApiError::validation("names is required: a list of task names"))?;
    if names.len() > 500 {
        return Err(ApiError::validation(format!(
            "names has {} entries; send at most 500 per call",
            names.len()
        )));
    }
    let dup = s
        .db(move |c| {
            batch_project(c, &batch_id)?;
            let mut st =
                c.prepare_cached("SELECT 1 FROM tasks WHERE batch_id = ?1 AND name = ?2 LIMIT 1")?;
            let mut out = Vec::new();
            for n in &names {
                if st.exists(params![batch_id, n])? && !out.contains(n) {
                    out.push(n.clone());
                }
            }
            Ok(out)
        })
        .await?;
    Ok(Json(json!({ "duplicate": dup })))
}

/// Keeps only the last path component of a client file name, without control characters.
pub(crate) fn sanitize_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() || clean == "." || clean == ".." {
        "file".into()
    } else {
        clean
    }
}

/// Uploads up to this size are written to their pack on the serving thread (a copy into the
/// page cache: tens of microseconds); larger ones on the blocking pool.
const INLINE_WRITE_MAX: u64 = 1024 * 1024;

pub(crate) async fn upload(
    State(s): State<Sandbox>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut mp = multipart.map_err(|e| {
        ApiError::bad_request(format!(
            "expected a multipart/form-data body with a `file` part: {e}"
        ))
    })?;
    let mut file: Option<(String, Option<String>, Vec<bytes::Bytes>)> = None;
    let mut folder: Option<String> = None;
    let mut batch_id: Option<String> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                let fname = sanitize_file_name(field.file_name().unwrap_or("file"));
                let ct = field.content_type().map(String::from);
                // the chunks as they arrived: stored one after the other, never copied into
                // one buffer (that copy, and the buffer's regrowth, were measurable per upload)
                let mut field = field;
                let mut chunks = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    chunks.push(chunk);
                }
                file = Some((fname, ct, chunks));
            }
            "path" => folder = Some(field.text().await.map_err(multipart_error)?),
            "batchId" => batch_id = Some(field.text().await.map_err(multipart_error)?),
            _ => {
                let _ = field.bytes().await.map_err(multipart_error)?;
            }
        }
    }
    let (name, ct, data) =
        file.ok_or_else(|| ApiError::validation("multipart part `file` is missing"))?;
    let batch_id = batch_id
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ApiError::validation("multipart field `batchId` is missing"))?;
    let mimetype = match ct {
        Some(ct) if ct != "application/octet-stream" && !ct.is_empty() => ct,
        _ => mime_guess::from_path(&name)
            .first_or_octet_stream()
            .essence_str()
            .to_string(),
    };
    let size = data.iter().map(|c| c.len() as i64).sum::<i64>();
    let id = new_id();
    let now = now_iso();
    let doc = json!({
        "_id": id, "name": name, "path": folder, "batchId": batch_id,
        "mimetype": mimetype, "size": size, "createdAt": now,
    });
    // The batch is checked first: an upload to an unknown batch stores nothing. A usual upload
    // is then appended to a pack and recorded in one transaction on the serving thread; a large
    // one is written on the blocking pool first, so that the other requests go on meanwhile.
    let store = |sb: &Sandbox, parts: &[bytes::Bytes]| {
        let parts: Vec<&[u8]> = parts.iter().map(|c| c.as_ref()).collect();
        sb.inner
            .packs
            .append_parts(&parts)
            .map_err(|e| ApiError::internal(format!("cannot store the uploaded file: {e}")))
    };
    let (written, data) = if size as u64 > INLINE_WRITE_MAX {
        let batch = batch_id.clone();
        s.db(move |c| batch_project(c, &batch).map(drop)).await?;
        let sb = s.clone();
        let blob = tokio::task::spawn_blocking(move || store(&sb, &data))
            .await
            .map_err(|e| ApiError::internal(format!("the file write stopped: {e}")))??;
        (Some(blob), Vec::new())
    } else {
        (None, data)
    };
    let sb = s.clone();
    s.db(move |c| {
        let tx = write_tx(c)?;
        batch_project(&tx, &batch_id)?;
        let blob = match written {
            Some(blob) => blob,
            None => store(&sb, &data)?,
        };
        tx.prepare_cached(
            "INSERT INTO files (id, name, folder, batch_id, mimetype, size, storage, created_at, pack_offset)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            id, name, folder, batch_id, mimetype, size, blob.pack, now, blob.offset as i64
        ])?;
        tx.commit()?;
        Ok(())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "uploaded file is too large",
        )
    } else {
        ApiError::bad_request(format!("malformed multipart body: {e}"))
    }
}

pub(crate) async fn grant(
    State(s): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let ids: Vec<String> = body
        .get("ids")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .and_then(|a| a.iter().map(|v| v.as_str().map(String::from)).collect())
        .ok_or_else(|| ApiError::validation("ids is required: a non-empty list of file ids"))?;
    let ids = s
        .db(move |c| {
            for id in &ids {
                let exists = c
                    .prepare_cached("SELECT 1 FROM files WHERE id = ?1")?
                    .exists([id])?;
                if !exists {
                    return Err(ApiError::not_found(format!("file {id} not found")));
                }
            }
            Ok(ids)
        })
        .await?;
    let token = s.issue_grant(TOKEN_FILES, &caller.0, ids);
    Ok((StatusCode::CREATED, Json(json!({ "accessToken": token }))))
}

pub(crate) async fn import_data(
    State(s): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let batch_id = body
        .get("batchId")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::validation("batchId is required"))?
        .to_string();
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::validation("name is required: the task name"))?
        .to_string();
    let Some(Value::Object(mut data)) = body.get("body").cloned() else {
        return Err(ApiError::validation(
            "body is required: a JSON object of initial data",
        ));
    };
    let overwrite = data
        .remove("__project_configuration_overwrite__")
        .filter(|v| !v.is_null());
    let id = s
        .db(move |c| {
            batch_project(c, &batch_id)?;
            let id = new_id();
            c.execute(
                "INSERT INTO initial_data (id, batch_id, name, body, configuration_overwrite, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    batch_id,
                    name,
                    Value::Object(data).to_string(),
                    overwrite.map(|v| v.to_string()),
                    now_iso()
                ],
            )?;
            Ok(id)
        })
        .await?;
    let token = s.issue_grant(TOKEN_DATA, &caller.0, vec![id.clone()]);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "initialDataId": id, "accessToken": token })),
    ))
}

/// The grant a create presents in `field`: present, signed by this data folder, live, of
/// `kind`, and issued to the caller (a grant is not transferable to another access id).
fn presented_grant(
    s: &Sandbox,
    kind: &str,
    token: Option<&str>,
    caller: &str,
    missing: &str,
    field: &str,
) -> ApiResult<Grant> {
    let token = token.ok_or_else(|| ApiError::forbidden(missing))?;
    let grant = s
        .check_grant(kind, token)
        .ok_or_else(|| ApiError::forbidden(format!("{field} token is invalid or expired")))?;
    if grant.subject != caller {
        return Err(ApiError::forbidden(format!(
            "{field} was granted to another access id"
        )));
    }
    Ok(grant)
}

fn opt_str<'a>(body: &'a Value, key: &str) -> ApiResult<Option<&'a str>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::validation(format!(
            "{key} must be a string or null"
        ))),
    }
}

pub(crate) async fn create_task(
    State(s): State<Sandbox>,
    Extension(caller): Extension<Caller>,
    PathId(batch_id): PathId,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if !body.is_object() {
        return Err(ApiError::validation("body must be a JSON object"));
    }
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::validation("name is required: a non-empty string"))?
        .to_string();
    let resources: Vec<Value> = match body.get("resources") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(ApiError::validation("resources must be a list")),
    };
    let properties = match body.get("properties") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(ApiError::validation("properties must be an object or null")),
    };
    let data_id = opt_str(&body, "dataId")?.map(String::from);
    let grant_resources = opt_str(&body, "grantResources")?.map(String::from);
    let grant_data = opt_str(&body, "grantData")?.map(String::from);
    for r in &resources {
        match r {
            Value::String(u) => {
                let l = u.to_ascii_lowercase();
                if !(l.starts_with("http://")
                    || l.starts_with("https://")
                    || u.starts_with("resource://"))
                {
                    return Err(ApiError::validation(format!(
                        "resource \"{u}\" is not an http(s) URL or a resource:// reference: upload local files first and pass {{id, name}}"
                    )));
                }
            }
            Value::Object(m) if m.get("id").and_then(Value::as_str).is_some() => {}
            _ => {
                return Err(ApiError::validation(
                    "each resource must be a URL string, a resource:// string or {id, name} of an uploaded file",
                ));
            }
        }
    }
    let sb = s.clone();
    let doc = s
        .db(move |c| {
            let tx = write_tx(c)?;
            let project_id = batch_project(&tx, &batch_id)?;
            let project_type = project_type_of(&tx, &project_id)?.unwrap_or_default();
            // grants are checked after the batch (an unknown batch is a 404 whatever the grants)
            let files_grant = if resources.iter().any(Value::is_object) {
                Some(presented_grant(
                    &sb,
                    TOKEN_FILES,
                    grant_resources.as_deref(),
                    &caller.0,
                    "grantResources is required to use uploaded files: call POST api/file-manager/grant/files",
                    "grantResources",
                )?)
            } else {
                None
            };
            let data_grant = match &data_id {
                Some(_) => Some(presented_grant(
                    &sb,
                    TOKEN_DATA,
                    grant_data.as_deref(),
                    &caller.0,
                    "grantData is required with dataId: use the accessToken of import-data",
                    "grantData",
                )?),
                None => None,
            };
            let mut stored_resources = Vec::with_capacity(resources.len());
            for r in &resources {
                if let Value::Object(m) = r {
                    let id = m.get("id").and_then(Value::as_str).unwrap_or_default();
                    let grant = files_grant
                        .as_ref()
                        .expect("checked above");
                    if !grant.covers(id) {
                        return Err(ApiError::forbidden(format!(
                            "file {id} is not granted by grantResources"
                        )));
                    }
                    let fname: Option<String> = tx
                        .prepare_cached("SELECT name FROM files WHERE id = ?1")?
                        .query_row([id], |r| r.get(0))
                        .optional()?;
                    let Some(fname) = fname else {
                        return Err(ApiError::not_found(format!("file {id} not found")));
                    };
                    let name = m
                        .get("name")
                        .and_then(Value::as_str)
                        .map(String::from)
                        .unwrap_or(fname);
                    stored_resources.push(json!({ "id": id, "name": name }));
                } else {
                    stored_resources.push(r.clone());
                }
            }
            let mut initial = json!({});
            if let Some(data_id) = &data_id {
                let grant = data_grant.as_ref().expect("checked above");
                if !grant.covers(data_id) {
                    return Err(ApiError::forbidden(format!(
                        "data {data_id} is not granted by grantData"
                    )));
                }
                let body: Option<String> = tx
                    .query_row(
                        "SELECT body FROM initial_data WHERE id = ?1",
                        [data_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let body =
                    body.ok_or_else(|| ApiError::not_found(format!("data {data_id} not found")))?;
                initial = serde_json::from_str(&body).unwrap_or_else(|_| json!({}));
            }
            let now = now_iso();
            let id = new_id();
            let row = TaskRow {
                id: id.clone(),
                project_id,
                batch_id: batch_id.clone(),
                name,
                status: "pending".into(),
                created_at: now.clone(),
                updated_at: now.clone(),
                resources: Value::Array(stored_resources),
                properties,
                data_body: initial.clone(),
                metadata_body: initial.clone(),
                data_info: json!({
                    "createdAt": now, "type": "default",
                    "user": api_user(&caller.0), "projectType": project_type,
                }),
                jobs: json!([]),
                metrics: json!({}),
                initial_data: initial,
                initial_data_id: data_id,
            };
            insert_task(&tx, &row)?;
            let doc = load_task(
                &tx,
                &id,
                Fields {
                    mask: true,
                    ..Fields::all()
                },
            )?;
            tx.commit()?;
            Ok(doc)
        })
        .await?
        .ok_or_else(|| ApiError::internal("task vanished after creation"))?;
    Ok((StatusCode::CREATED, Json(doc)))
}

#[cfg(test)]
mod tests {
    use super::sanitize_file_name;

    #[test]
    fn file_names_cannot_escape() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("..\\..\\win.ini"), "win.ini");
        assert_eq!(sanitize_file_name(".."), "file");
        assert_eq!(sanitize_file_name("a/"), "file");
        assert_eq!(sanitize_file_name("img 1.png"), "img 1.png");
        assert_eq!(sanitize_file_name("x\u{0}y.png"), "xy.png");
    }
}
