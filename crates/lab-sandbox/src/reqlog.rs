//! `--request-log FILE`: one JSON line per request, written after the response head.
//!
//! `{"method","path","query":[[k,v]...],"content_type","body","multipart","status","fault"}`
//! `body` is the parsed JSON, or `[[k,v]...]` for form bodies (login `secret_key` is
//! `"REDACTED"`); `multipart` lists `{name, filename?, size}` of each part.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::fault::Injected;
use crate::store::Sandbox;

const REDACTED_KEYS: &[&str] = &["secret_key", "secretKey", "password"];

fn redact_json(v: &mut Value) {
    if let Value::Object(m) = v {
        for (k, val) in m.iter_mut() {
            if REDACTED_KEYS.contains(&k.as_str()) {
                *val = json!("REDACTED");
            } else {
                redact_json(val);
            }
        }
    }
}

async fn multipart_parts(content_type: &str, bytes: Bytes) -> Value {
    let req = match Request::builder()
        .header(CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
    {
        Ok(r) => r,
        Err(_) => return Value::Null,
    };
    let Ok(mut mp) = Multipart::from_request(req, &()).await else {
        return Value::Null;
    };
    let mut parts = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(String::from);
        let size = field.bytes().await.map(|b| b.len()).unwrap_or(0);
        let mut p = json!({ "name": name, "size": size });
        if let Some(f) = filename {
            p["filename"] = json!(f);
        }
        parts.push(p);
    }
    Value::Array(parts)
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if s.to_string().contains("length limit exceeded") {
            return true;
        }
        src = s.source();
    }
    false
}

pub(crate) async fn middleware(State(s): State<Sandbox>, req: Request, next: Next) -> Response {
    let Some(log) = s.inner.request_log.as_ref() else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let max = s.config().max_body_bytes;
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let query: Vec<Value> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| json!([k, v]))
                .collect()
        })
        .unwrap_or_default();
    let mut entry = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": query,
        "content_type": content_type,
        "body": null,
        "multipart": null,
    });
    let response = match axum::body::to_bytes(body, max).await {
        Err(e) => {
            if is_length_limit(&e) {
                ApiError::too_large(max).into_response()
            } else {
                ApiError::bad_request(format!("cannot read request body: {e}")).into_response()
            }
        }
        Ok(bytes) => {
            let ct = content_type.as_deref().unwrap_or_default();
            if ct.starts_with("multipart/") {
                entry["multipart"] = multipart_parts(ct, bytes.clone()).await;
            } else if ct.starts_with("application/x-www-form-urlencoded") {
                let pairs: Vec<Value> = url::form_urlencoded::parse(&bytes)
                    .map(|(k, v)| {
                        if REDACTED_KEYS.contains(&k.as_ref()) {
                            json!([k, "REDACTED"])
                        } else {
                            json!([k, v])
                        }
                    })
                    .collect();
                entry["body"] = Value::Array(pairs);
            } else if !bytes.is_empty() {
                entry["body"] = match serde_json::from_slice::<Value>(&bytes) {
                    Ok(mut v) => {
                        redact_json(&mut v);
                        v
                    }
                    Err(_) => json!({ "unparsed_bytes": bytes.len() }),
                };
            }
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    entry["status"] = json!(response.status().as_u16());
    entry["fault"] = json!(response.extensions().get::<Injected>().map(|f| f.as_str()));
    // only with `--compress`: the answer's encoding (gzip, zstd)
    if let Some(enc) = response
        .headers()
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
    {
        entry["encoding"] = json!(enc);
    }
    let line = entry.to_string();
    let mut f = log.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = writeln!(f, "{line}").and_then(|_| f.flush()) {
        tracing::warn!("cannot write the request log: {e}");
    }
    response
}
