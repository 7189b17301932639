//! `POST api/user-manager/auth/login` (form-encoded `access_id`, `secret_key`).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension;
use serde_json::{Value, json};

use super::read_body;
use crate::error::{ApiError, ApiResult};
use crate::store::{Sandbox, TOKEN_ACCESS, issue_token};

pub(crate) async fn login(State(s): State<Sandbox>, req: Request) -> ApiResult<Response> {
    let is_json = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let body = read_body(req, &()).await?;
    let (mut access_id, mut secret_key) = (None::<String>, None::<String>);
    if is_json {
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("login body is not valid JSON: {e}")))?;
        access_id = v.get("access_id").and_then(Value::as_str).map(String::from);
        secret_key = v
            .get("secret_key")
            .and_then(Value::as_str)
            .map(String::from);
    } else {
        for (k, v) in url::form_urlencoded::parse(&body) {
            match k.as_ref() {
                "access_id" => access_id = Some(v.into_owned()),
                "secret_key" => secret_key = Some(v.into_owned()),
                _ => {}
            }
        }
    }
    let (Some(access_id), Some(secret_key)) = (
        access_id.filter(|v| !v.is_empty()),
        secret_key.filter(|v| !v.is_empty()),
    ) else {
        return Err(ApiError::validation(
            "login needs a form-encoded body with access_id and secret_key",
        ));
    };
    let ttl = s.config().token_ttl;
    let token = s
        .db(move |c| {
            let stored: Option<String> = c
                .query_row(
                    "SELECT secret_key FROM credentials WHERE access_id = ?1",
                    [&access_id],
                    |r| r.get(0),
                )
                .optional()?;
            if stored.as_deref() != Some(secret_key.as_str()) {
                return Ok(None);
            }
            Ok(Some(issue_token(
                c,
                TOKEN_ACCESS,
                &access_id,
                &Value::Null,
                ttl,
            )?))
        })
        .await?;
    match token {
        Some(t) => Ok((
            StatusCode::CREATED,
            axum::Json(json!({ "access_token": t, "expires_in": ttl.as_secs() })),
        )
            .into_response()),
        None => Err(ApiError::unauthorized(
            "wrong access id or secret key: check the credentials of your workspace",
        )),
    }
}
