//! HTTP routes of the sandbox.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::store::Sandbox;

mod auth;
pub(crate) use batches::BATCH_STATUSES;
pub(crate) use projects::{PROJECT_STATUSES, PROJECT_TYPES};
pub(crate) use tasks::TASK_STATUSES;
mod batches;
mod create;
mod files;
mod projects;
mod tasks;

pub(crate) fn router(sandbox: Sandbox) -> Router {
    let max = sandbox.config().max_body_bytes;
    let protected = Router::new()
        .route("/api/project-manager/projects", get(projects::list))
        .route(
            "/api/project-configuration-manager/projects/{project_id}/project-configuration",
            get(projects::configuration),
        )
        .route(
            "/api/task-manager/batches",
            get(batches::list).post(batches::create),
        )
        .route(
            "/api/task-manager/batches/{batch_id}",
            get(batches::get_one).delete(batches::delete),
        )
        .route(
            "/api/task-manager/batches/{batch_id}/tasks-duplicate",
            patch(create::duplicates),
        )
        .route(
            "/api/task-manager/batches/{batch_id}/tasks",
            post(create::create_task),
        )
        .route("/api/task-manager/tasks", get(tasks::list))
        .route(
            "/api/task-manager/projects/{project_id}/tasks/properties",
            patch(tasks::properties),
        )
        .route(
            "/api/task-manager/tasks/{task_id}/reset",
            patch(tasks::reset),
        )
        .route(
            "/api/task-manager/tasks/{task_id}/to-review",
            patch(tasks::to_review),
        )
        .route("/api/file-manager/files", post(create::upload))
        .route("/api/file-manager/grant/files", post(create::grant))
        .route(
            "/api/data-manager/import-data/json",
            post(create::import_data),
        );
    // The sandbox's own extension; without it the sandbox answers only the contract's routes
    // (as the real lab does: an uploaded file cannot be downloaded).
    let protected = if sandbox.config().contract_only {
        protected
    } else {
        protected.route(
            "/api/file-manager/files/{file_id}/content",
            get(files::content),
        )
    };
    let protected = protected
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(sandbox.clone(), require_token));
    let router = Router::new()
        .route("/api/user-manager/auth/login", post(auth::login))
        .merge(protected)
        .layer(DefaultBodyLimit::max(max))
        .layer(from_fn_with_state(
            sandbox.clone(),
            crate::fault::middleware,
        ))
        .layer(from_fn_with_state(sandbox.clone(), limit_body));
    // Compression sits inside the request log, which notes each answer's Content-Encoding.
    // Its default predicate leaves images and answers under 32 bytes as they are.
    let router = if sandbox.config().compress {
        router.layer(
            tower_http::compression::CompressionLayer::new()
                .gzip(true)
                .zstd(true),
        )
    } else {
        router
    };
    router
        .layer(from_fn_with_state(
            sandbox.clone(),
            crate::reqlog::middleware,
        ))
        .with_state(sandbox)
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(format!(
        "Cannot {} {}: no such route in the lab API",
        req.method(),
        req.uri().path()
    ))
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!(
            "method {} is not allowed on {}",
            req.method(),
            req.uri().path()
        ),
    )
}

/// 413 early when the declared length is over the limit.
async fn limit_body(State(s): State<Sandbox>, req: Request, next: Next) -> Response {
    let max = s.config().max_body_bytes;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return ApiError::too_large(max).into_response();
    }
    next.run(req).await
}

/// The access id of the caller, set by [`require_token`].
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub String);

async fn require_token(State(s): State<Sandbox>, mut req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let token = match header {
        None => {
            return ApiError::unauthorized(
                "missing Authorization header: log in with POST api/user-manager/auth/login and send `Authorization: Bearer <access_token>`",
            )
            .into_response();
        }
        Some(h) => match h.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => {
                t.trim().to_string()
            }
            _ => {
                return ApiError::unauthorized(
                    "Authorization header must be `Bearer <access_token>`",
                )
                .into_response();
            }
        },
    };
    match s.access_subject(token).await {
        Ok(Some(subject)) => {
            req.extensions_mut().insert(Caller(subject));
            next.run(req).await
        }
        Ok(None) => ApiError::unauthorized(
            "invalid or expired access token: log in again with POST api/user-manager/auth/login",
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

// ---------------------------------------------------------------- extractors

/// A JSON request body; malformed JSON is a 400 with the parser's message.
pub(crate) struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "request body must be a JSON document",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("request body is not valid JSON: {e}")))
    }
}

pub(crate) async fn read_body<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Bytes> {
    Bytes::from_request(req, state).await.map_err(|e| {
        let status = e.status();
        if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, "PAYLOAD_TOO_LARGE", "request body is too large")
        } else {
            ApiError::bad_request(format!("cannot read request body: {e}"))
        }
    })
}

/// One path parameter, with a JSON 400 on malformed values.
pub(crate) struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(v) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::bad_request(format!("invalid path parameter: {e}")))?;
        if v.is_empty() || v.len() > 200 || v.chars().any(char::is_control) {
            return Err(ApiError::bad_request("invalid id in path"));
        }
        Ok(PathId(v))
    }
}

/// Query pairs in order (repeated keys kept).
#[derive(Debug, Default, Clone)]
pub(crate) struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryPairs(
            parts
                .uri
                .query()
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default(),
        ))
    }
}

impl QueryPairs {
    /// All non-empty values of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// The last value of `key`.
    pub fn one(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    pub fn bool(&self, key: &str, default: bool) -> ApiResult<bool> {
        match self.one(key) {
            None | Some("") => Ok(default),
            Some("true") | Some("1") => Ok(true),
            Some("false") | Some("0") => Ok(false),
            Some(v) => Err(ApiError::bad_request(format!(
                "query parameter {key} must be true or false, not \"{v}\""
            ))),
        }
    }
}

// ---------------------------------------------------------------- pagination

pub(crate) const MAX_LIMIT: i64 = 1000;
/// Most values one repeated query key may carry.
pub(crate) const MAX_LIST: usize = 5000;

/// Refuses queries with more than [`MAX_LIST`] values in total.
pub(crate) fn check_list_sizes(q: &QueryPairs) -> ApiResult<()> {
    if q.0.len() > MAX_LIST {
        return Err(ApiError::bad_request(format!(
            "the query has {} parameters; send at most {MAX_LIST} (split long id lists)",
            q.0.len()
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct PageReq {
    pub paginated: bool,
    pub page: i64,
    pub limit: i64,
}

impl PageReq {
    pub fn from_query(q: &QueryPairs, default_limit: i64) -> ApiResult<Self> {
        let paginated = q.bool("pagination", true)?;
        let int = |key: &str, default: i64| -> ApiResult<i64> {
            match q.one(key) {
                None | Some("") => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "query parameter {key} must be a positive integer, not \"{v}\""
                        ))
                    }),
            }
        };
        let page = int("page", 1)?;
        let limit = int("limit", default_limit)?.min(MAX_LIMIT);
        if page > 10_000_000 {
            return Err(ApiError::bad_request("page is too large"));
        }
        Ok(PageReq {
            paginated,
            page,
            limit,
        })
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.limit
    }
}

/// The mongoose-paginate shape.
pub(crate) fn page_json(docs: Vec<Value>, total: i64, p: PageReq) -> Value {
    let total_pages = ((total + p.limit - 1) / p.limit).max(1);
    let has_prev = p.page > 1;
    let has_next = p.page < total_pages;
    json!({
        "docs": docs,
        "totalDocs": total,
        "limit": p.limit,
        "totalPages": total_pages,
        "page": p.page,
        "pagingCounter": (p.page - 1) * p.limit + 1,
        "hasPrevPage": has_prev,
        "hasNextPage": has_next,
        "prevPage": if has_prev { json!(p.page - 1) } else { Value::Null },
        "nextPage": if has_next { json!(p.page + 1) } else { Value::Null },
    })
}

/// Answers a simple list route (projects, batches): one `table` filtered by `w`, ordered by
/// insertion, as a page (or a plain array when pagination is off).
pub(crate) async fn list_rows(
    s: &crate::store::Sandbox,
    table: &'static str,
    cols: &'static str,
    w: Where,
    page: PageReq,
    doc: fn(&rusqlite::Row<'_>) -> rusqlite::Result<Value>,
) -> ApiResult<Value> {
    let (docs, total) = s
        .db(move |c| {
            let wh = w.sql();
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM {table} {wh}"),
                rusqlite::params_from_iter(w.params.iter()),
                |r| r.get(0),
            )?;
            let mut params = w.params.clone();
            let sql = if page.paginated {
                params.push(page.limit.into());
                params.push(page.offset().into());
                format!("SELECT {cols} FROM {table} {wh} ORDER BY seq LIMIT ? OFFSET ?")
            } else {
                format!("SELECT {cols} FROM {table} {wh} ORDER BY seq")
            };
            let mut st = c.prepare(&sql)?;
            let docs = st
                .query_map(rusqlite::params_from_iter(params.iter()), doc)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((docs, total))
        })
        .await?;
    Ok(if page.paginated {
        page_json(docs, total, page)
    } else {
        Value::Array(docs)
    })
}

/// Collects `WHERE` clauses and their positional parameters.
#[derive(Default)]
pub(crate) struct Where {
    clauses: Vec<String>,
    pub params: Vec<rusqlite::types::Value>,
}

impl Where {
    pub fn push(
        &mut self,
        clause: impl Into<String>,
        params: impl IntoIterator<Item = rusqlite::types::Value>,
    ) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }
    pub fn push_in(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        if values.len() > MAX_LIST {
            // Refused earlier by `check_list_sizes`; never build a statement SQLite would refuse.
            self.clauses.push("0".into());
            return;
        }
        let marks = vec!["?"; values.len()].join(",");
        self.push(
            format!("{column} IN ({marks})"),
            values
                .iter()
                .map(|v| rusqlite::types::Value::Text(v.clone())),
        );
    }
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// Refuses values not in `allowed`.
pub(crate) fn check_enum(key: &str, values: &[String], allowed: &[&str]) -> ApiResult<()> {
    for v in values {
        if !allowed.contains(&v.as_str()) {
            return Err(ApiError::validation(format!(
                "{key}: \"{v}\" is not one of {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

pub(crate) fn text(v: impl Into<String>) -> rusqlite::types::Value {
    rusqlite::types::Value::Text(v.into())
}

pub(crate) fn parse_json_col(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
