//! The HTTP core: login and token refresh, retries, error mapping, decoding.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::error::{AuthFailure, Error, Invalid, Result};

/// Default isahit lab endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://hub-api.isahit.com/";
/// Refresh the token this long before it expires (as the SDK does).
const REFRESH_SPAN: Duration = Duration::from_secs(15);
const LOGIN_PATH: &str = "api/user-manager/auth/login";
/// Longest wait honoured from a `Retry-After` header.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Shortest timeout of a file upload.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// API credentials: an access id and its secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access id.
    pub access_id: String,
    /// Secret key (never printed).
    pub secret_key: String,
}

impl Credentials {
    /// Build credentials.
    pub fn new(access_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            access_id: access_id.into(),
            secret_key: secret_key.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_id", &self.access_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Tuning of the client.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Timeout of one request.
    pub timeout: Duration,
    /// Retries of a call that is safe to repeat.
    pub max_retries: usize,
    /// First backoff delay.
    pub min_backoff: Duration,
    /// Longest backoff delay.
    pub max_backoff: Duration,
    /// Task pages fetched at once once the total is known: where the adaptive limit starts
    /// (the fixed number when `adaptive` is off).
    pub page_concurrency: usize,
    /// Most task pages in flight the adaptive limit may reach.
    pub page_concurrency_max: usize,
    /// Adapt the number of jobs in flight (task creations, pages) to the latency seen and
    /// back off on 429s, 5xx and timeouts ([`crate::adaptive::Limiter`]); off: fixed numbers
    /// (`page_concurrency`, the create job's `concurrency`).
    pub adaptive: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            max_retries: 6,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            page_concurrency: 4,
            page_concurrency_max: 32,
            adaptive: true,
        }
    }
}

#[derive(Clone)]
struct Token {
    value: Arc<str>,
    expires_at: Instant,
    /// Renew this long before expiry: 15 s, or a third of short lifetimes (so a 5 s
    /// token is not renewed before every call).
    margin: Duration,
}

struct Inner {
    endpoint: url::Url,
    endpoint_str: String,
    creds: Credentials,
    opts: ClientOptions,
    http: reqwest::Client,
    token: Mutex<Option<Token>>,
    /// Answers that say the server or the link is overloaded (429, 5xx, timeouts): what the
    /// adaptive concurrency ([`crate::adaptive::Limiter`]) backs off on.
    overloads: std::sync::atomic::AtomicU64,
}

/// isahit lab API client. Cheap to clone; clones share the connection pool and the token.
#[derive(Clone)]
pub struct LabClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for LabClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabClient")
            .field("endpoint", &self.inner.endpoint_str)
            .field("creds", &self.inner.creds)
            .finish()
    }
}

/// Whether a call may be repeated after an uncertain failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Repeating has no further effect: retry 5xx, 429, connection errors, timeouts.
    Safe,
    /// Might create something twice: retry only when the request surely was not processed
    /// (429, connection refused).
    Unsafe,
}

/// Request body.
#[derive(Clone, Debug)]
pub(crate) enum Payload {
    None,
    Json(Value),
    Multipart {
        fields: Vec<(String, String)>,
        file_field: String,
        file_name: String,
        mime: String,
        body: FileBody,
    },
}

/// The file of a multipart upload.
#[derive(Clone, Debug)]
pub(crate) enum FileBody {
    /// Read already (small files).
    Bytes(Bytes),
    /// Streamed from disk as it is sent, `len` bytes (each attempt reads the file again), so
    /// memory stays flat whatever the file's size.
    Path { path: std::path::PathBuf, len: u64 },
}

/// Bytes read from disk per chunk of a streamed upload.
const STREAM_CHUNK: usize = 256 * 1024;

impl FileBody {
    fn len(&self) -> u64 {
        match self {
            FileBody::Bytes(b) => b.len() as u64,
            FileBody::Path { len, .. } => *len,
        }
    }

    fn body(&self) -> reqwest::Body {
        match self {
            FileBody::Bytes(b) => reqwest::Body::from(b.clone()),
            FileBody::Path { path, len } => {
                let (path, len) = (path.clone(), *len);
                let stream = async_stream::try_stream! {
                    use tokio::io::AsyncReadExt;
                    let file = tokio::fs::File::open(&path).await?;
                    // exactly the length announced, even if the file grew meanwhile
                    let mut file = file.take(len);
                    let mut sent = 0u64;
                    loop {
                        let mut buf = bytes::BytesMut::with_capacity(STREAM_CHUNK);
                        let n = file.read_buf(&mut buf).await?;
                        if n == 0 {
                            break;
                        }
                        sent += n as u64;
                        yield buf.freeze();
                    }
                    if sent < len {
                        Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!("{} got shorter while it was sent", path.display()),
                        ))?;
                    }
                };
                let stream: std::pin::Pin<
                    Box<dyn futures::Stream<Item = std::io::Result<Bytes>> + Send>,
                > = Box::pin(stream);
                reqwest::Body::wrap_stream(stream)
            }
        }
    }
}

/// One API call.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub payload: Payload,
    pub repeat: Repeat,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path, Repeat::Safe)
    }
    pub fn new(method: Method, path: impl Into<String>, repeat: Repeat) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            payload: Payload::None,
            repeat,
        }
    }
    pub fn query(mut self, query: Vec<(String, String)>) -> Self {
        self.query = query;
        self
    }
    pub fn json(mut self, body: Value) -> Self {
        self.payload = Payload::Json(body);
        self
    }
}

/// A failed attempt and whether to try again.
struct Attempt {
    error: Error,
    retry: bool,
    retry_after: Option<Duration>,
    unauthorized: bool,
    /// The connection could not be opened (refused, DNS): retried only a few times, so a
    /// wrong or stopped endpoint is reported in about a second rather than after every retry.
    connect_failed: bool,
}

/// Retries of a call whose connection cannot be opened.
const MAX_CONNECT_RETRIES: usize = 3;

/// The retry decision, counting connection failures in `refused`.
fn should_retry(a: &Attempt, refused: &std::sync::atomic::AtomicUsize) -> bool {
    if !a.retry {
        return false;
    }
    !a.connect_failed
        || refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < MAX_CONNECT_RETRIES
}

impl Attempt {
    fn fatal(error: Error) -> Self {
        Self {
            error,
            retry: false,
            retry_after: None,
            unauthorized: false,
            connect_failed: false,
        }
    }
}

/// Encode like Python's `urlencode` (quote_plus): space → `+`, only `A-Za-z0-9_.-~` kept.
pub(crate) fn form_encode(pairs: &[(String, String)]) -> String {
    fn enc(s: &str, out: &mut String) {
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        enc(k, &mut out);
        out.push('=');
        enc(v, &mut out);
    }
    out
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text.to_string()
    }
}

/// Message of a JSON error answer (`message` may be a string or a list), else the body.
fn answer_message(body: &[u8]) -> (Option<String>, String) {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let code = v
            .get("errorCode")
            .and_then(|c| {
                c.as_str()
                    .map(str::to_string)
                    .or_else(|| Some(c.to_string()))
            })
            .filter(|c| c != "null");
        let message = match v.get("message") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect::<Vec<_>>()
                .join("; "),
            _ => v
                .get("error")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| excerpt(body)),
        };
        (code, message)
    } else {
        (None, excerpt(body))
    }
}

fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    if secs.is_finite() && secs >= 0.0 {
        Some(Duration::from_secs_f64(secs).min(MAX_RETRY_AFTER))
    } else {
        None
    }
}

/// Decode JSON naming the failing path.
pub(crate) fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"<") {
        return Err(Error::Decode {
            what: what.to_string(),
            message: "the server answered with an HTML page, not JSON: the endpoint is probably not the isahit lab API (check the endpoint URL, e.g. https://hub-api.isahit.com/)".into(),
        });
    }
    // Fast path (task pages are the hot path): plain serde_json. The path-tracking decoder
    // only runs again when this fails, to name the failing JSON path.
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Ok(v);
    }
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Error::Decode {
            what: what.to_string(),
            message: if path.is_empty() || path == "." {
                inner.to_string()
            } else {
                format!("at `{path}`: {inner}")
            },
        }
    })
}

impl LabClient {
    /// A client for `endpoint` (a trailing `/` is added when missing).
    pub fn new(endpoint: &str, creds: Credentials, opts: ClientOptions) -> Result<Self> {
        let trimmed = endpoint.trim();
        if creds.access_id.trim().is_empty() || creds.secret_key.trim().is_empty() {
            return Err(Error::Auth(AuthFailure::NoCredentials));
        }
        let with_slash = if trimmed.ends_with('/') {
            trimmed.to_string()
        } else {
            format!("{trimmed}/")
        };
        let url = url::Url::parse(&with_slash).map_err(|e| {
            Error::from(Invalid::BadEndpoint {
                endpoint: trimmed.to_string(),
                detail: e.to_string(),
                example: DEFAULT_ENDPOINT.to_string(),
            })
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(Invalid::EndpointNotHttp {
                endpoint: trimmed.to_string(),
            }
            .into());
        }
        let http = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(Duration::from_secs(10).min(opts.timeout))
            .user_agent(concat!("labdesk-lab-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Invalid::HttpClient {
                detail: e.to_string(),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                endpoint_str: url.to_string(),
                endpoint: url,
                creds,
                opts,
                http,
                token: Mutex::new(None),
                overloads: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// The normalised endpoint (with trailing `/`).
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint_str
    }

    pub(crate) fn options(&self) -> &ClientOptions {
        &self.inner.opts
    }

    /// Overload answers seen so far by this client and its clones (429, 5xx, timeouts).
    pub fn overload_events(&self) -> u64 {
        self.inner
            .overloads
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn note_overload(&self) {
        self.inner
            .overloads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// A limiter of jobs in flight, as the options say: adaptive from `initial` up to `max`,
    /// or `fixed`.
    pub(crate) fn limiter(
        &self,
        initial: usize,
        max: usize,
        fixed: usize,
    ) -> crate::adaptive::Limiter {
        if self.inner.opts.adaptive {
            crate::adaptive::Limiter::adaptive(initial, max)
        } else {
            crate::adaptive::Limiter::fixed(fixed)
        }
    }

    /// Log in now (the "Test connection" button).
    pub async fn check(&self) -> Result<()> {
        let mut guard = self.inner.token.lock().await;
        *guard = Some(self.login().await?);
        Ok(())
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.inner.opts.min_backoff)
            .with_max_delay(self.inner.opts.max_backoff)
            .with_max_times(self.inner.opts.max_retries)
            .with_jitter()
    }

    fn url(&self, path: &str, query: &[(String, String)]) -> Result<url::Url> {
        let mut url = self
            .inner
            .endpoint
            .join(path)
            .map_err(|e| Invalid::BadApiPath {
                path: path.to_string(),
                detail: e.to_string(),
            })?;
        if !query.is_empty() {
            url.set_query(Some(&form_encode(query)));
        }
        Ok(url)
    }

    fn offline(&self, e: &reqwest::Error) -> Error {
        let mut message = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            message = format!("{message}: {s}");
            src = s.source();
        }
        Error::Offline {
            endpoint: self.inner.endpoint_str.clone(),
            message,
        }
    }

    /// A TLS handshake failure (wrong scheme, bad certificate), named as such.
    fn tls_failure(&self, e: &reqwest::Error) -> Option<Error> {
        let mut chain = Vec::new();
        let mut src: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = src {
            chain.push(s.to_string());
            src = s.source();
        }
        let text = chain.join(": ");
        let lower = text.to_ascii_lowercase();
        let tls = [
            "tls",
            "certificate",
            "handshake",
            "invalidcontenttype",
            "corrupt message",
        ]
        .iter()
        .any(|w| lower.contains(w));
        tls.then(|| Error::Offline {
            endpoint: self.inner.endpoint_str.clone(),
            message: format!(
                "the secure (https) connection failed ({text}); check that the endpoint starts with the right scheme (http:// or https://) and that its certificate is valid"
            ),
        })
    }

    async fn login(&self) -> Result<Token> {
        let url = self.url(LOGIN_PATH, &[])?;
        let form = vec![
            ("access_id".to_string(), self.inner.creds.access_id.clone()),
            (
                "secret_key".to_string(),
                self.inner.creds.secret_key.clone(),
            ),
        ];
        let attempt = || async {
            let res = self
                .inner
                .http
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form_encode(&form))
                .send()
                .await;
            self.classify(res, Repeat::Safe).await
        };
        let started = Instant::now();
        let refused = std::sync::atomic::AtomicUsize::new(0);
        let (status, _, body) = attempt
            .retry(self.backoff())
            .when(|a: &Attempt| should_retry(a, &refused))
            .adjust(|a: &Attempt, d| d.map(|d| a.retry_after.unwrap_or(d)))
            .await
            .map_err(|a| {
                if a.unauthorized {
                    Error::Auth(AuthFailure::LoginRefused)
                } else {
                    a.error
                }
            })?;
        if status != StatusCode::CREATED && status != StatusCode::OK {
            return Err(Error::Auth(AuthFailure::LoginStatus {
                status: status.to_string(),
                body: excerpt(&body),
            }));
        }
        #[derive(serde::Deserialize)]
        struct LoginAnswer {
            access_token: String,
            expires_in: f64,
        }
        let answer: LoginAnswer = decode("login", &body)?;
        let ttl = Duration::from_secs_f64(answer.expires_in.max(0.0));
        Ok(Token {
            value: answer.access_token.into(),
            expires_at: started + ttl,
            margin: REFRESH_SPAN.min(ttl / 3),
        })
    }

    /// Current token, logging in (once, for all concurrent callers) when near expiry.
    async fn token(&self) -> Result<Arc<str>> {
        let mut guard = self.inner.token.lock().await;
        if let Some(t) = guard.as_ref()
            && Instant::now() + t.margin < t.expires_at
        {
            return Ok(t.value.clone());
        }
        let t = self.login().await?;
        let v = t.value.clone();
        *guard = Some(t);
        Ok(v)
    }

    async fn invalidate(&self, used: &Arc<str>) {
        let mut guard = self.inner.token.lock().await;
        if guard.as_ref().is_some_and(|t| Arc::ptr_eq(&t.value, used)) {
            *guard = None;
        }
    }

    async fn classify(
        &self,
        res: reqwest::Result<reqwest::Response>,
        repeat: Repeat,
    ) -> std::result::Result<(StatusCode, HeaderMap, Bytes), Attempt> {
        let res = match res {
            Ok(r) => r,
            Err(e) => {
                let sure_not_sent = e.is_connect();
                if let Some(tls) = self.tls_failure(&e) {
                    // A handshake that failed once fails again: do not retry.
                    return Err(Attempt::fatal(tls));
                }
                let error = if e.is_timeout() {
                    self.note_overload();
                    Error::Timeout(e.to_string())
                } else {
                    self.offline(&e)
                };
                return Err(Attempt {
                    error,
                    retry: repeat == Repeat::Safe || sure_not_sent,
                    retry_after: None,
                    unauthorized: false,
                    connect_failed: sure_not_sent,
                });
            }
        };
        let status = res.status();
        let headers = res.headers().clone();
        let body = match res.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let error = if e.is_timeout() {
                    self.note_overload();
                    Error::Timeout(e.to_string())
                } else {
                    self.offline(&e)
                };
                return Err(Attempt {
                    error,
                    retry: repeat == Repeat::Safe,
                    retry_after: None,
                    unauthorized: false,
                    connect_failed: false,
                });
            }
        };
        if status.is_success() {
            return Ok((status, headers, body));
        }
        let (code, message) = answer_message(&body);
        if status.as_u16() == 429 || status.is_server_error() {
            self.note_overload();
        }
        let attempt = match status.as_u16() {
            401 => Attempt {
                error: Error::Auth(AuthFailure::CredentialsRefused),
                retry: false,
                retry_after: None,
                unauthorized: true,
                connect_failed: false,
            },
            400 | 422 => Attempt::fatal(Error::BadRequest { code, message }),
            403 => Attempt::fatal(Error::Forbidden(message)),
            404 => Attempt::fatal(Error::NotFound(message)),
            429 => Attempt {
                error: Error::RateLimited,
                retry: true,
                retry_after: parse_retry_after(&headers),
                unauthorized: false,
                connect_failed: false,
            },
            s => Attempt {
                error: Error::Server { status: s, message },
                retry: s >= 500 && repeat == Repeat::Safe,
                retry_after: parse_retry_after(&headers),
                unauthorized: false,
                connect_failed: false,
            },
        };
        Err(attempt)
    }

    fn build(&self, call: &Call, url: url::Url, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut req = self.inner.http.request(call.method.clone(), url);
        if let Some(token) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        match &call.payload {
            Payload::None => req,
            Payload::Json(v) => req.json(v),
            Payload::Multipart {
                fields,
                file_field,
                file_name,
                mime,
                body,
            } => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in fields {
                    form = form.text(k.clone(), v.clone());
                }
                // With its length known the body is sent with a Content-Length (as the SDK
                // sends it) rather than in chunks; `Bytes` clones share the buffer, a file on
                // disk is read again by each attempt.
                let len = body.len();
                let part = reqwest::multipart::Part::stream_with_length(body.body(), len)
                    .file_name(file_name.clone())
                    .mime_str(mime)
                    .unwrap_or_else(|_| {
                        reqwest::multipart::Part::stream_with_length(body.body(), len)
                    });
                form = form.part(file_field.clone(), part);
                // Large images on slow links: give uploads more time than other calls.
                req.multipart(form)
                    .timeout(self.inner.opts.timeout.max(UPLOAD_TIMEOUT))
            }
        }
    }

    /// Run a call with auth, retries and error mapping; returns the raw body.
    pub(crate) async fn send(&self, call: &Call) -> Result<Bytes> {
        let url = self.url(&call.path, &call.query)?;
        let mut relogged = false;
        loop {
            let token = self.token().await?;
            let attempt = || async {
                let res = self.build(call, url.clone(), Some(&token)).send().await;
                self.classify(res, call.repeat).await
            };
            let refused = std::sync::atomic::AtomicUsize::new(0);
            let result = attempt
                .retry(self.backoff())
                .when(|a: &Attempt| should_retry(a, &refused))
                .adjust(|a: &Attempt, d| d.map(|d| a.retry_after.unwrap_or(d)))
                .notify(|a: &Attempt, d| {
                    tracing::debug!(path = %call.path, wait = ?d, "retrying after: {}", a.error);
                })
                .await;
            match result {
                Ok((_, _, body)) => return Ok(body),
                Err(a) if a.unauthorized && !relogged => {
                    relogged = true;
                    self.invalidate(&token).await;
                }
                Err(a) => return Err(a.error),
            }
        }
    }

    /// Run a call and decode its JSON answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let body = self.send(call).await?;
        decode(&format!("{} {}", call.method, call.path), &body)
    }

    /// GET an absolute URL without credentials (resources on other hosts).
    pub(crate) async fn get_external(&self, url: &str) -> Result<Bytes> {
        let url = url::Url::parse(url).map_err(|e| Invalid::BadResourceUrl {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
        let attempt = || async {
            let res = self.inner.http.get(url.clone()).send().await;
            self.classify(res, Repeat::Safe).await
        };
        let refused = std::sync::atomic::AtomicUsize::new(0);
        attempt
            .retry(self.backoff())
            .when(|a: &Attempt| should_retry(a, &refused))
            .adjust(|a: &Attempt, d| d.map(|d| a.retry_after.unwrap_or(d)))
            .await
            .map(|(_, _, b)| b)
            .map_err(|a| a.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_matches_python_quote_plus() {
        let q = vec![
            ("nameLike".to_string(), "x.*".to_string()),
            ("createdAt".to_string(), ">=2022-01-01 00:00:00".to_string()),
            ("taskNames".to_string(), "n 1/é".to_string()),
        ];
        assert_eq!(
            form_encode(&q),
            "nameLike=x.%2A&createdAt=%3E%3D2022-01-01+00%3A00%3A00&taskNames=n+1%2F%C3%A9"
        );
    }

    #[test]
    fn credentials_debug_redacts_secret() {
        let c = Credentials::new("id-1", "s3cr3t");
        let shown = format!("{c:?}");
        assert!(shown.contains("id-1"));
        assert!(!shown.contains("s3cr3t"));
    }

    #[test]
    fn endpoint_gets_trailing_slash_and_is_checked() {
        let c = LabClient::new(
            "http://127.0.0.1:9/base",
            Credentials::new("a", "b"),
            ClientOptions::default(),
        )
        .unwrap();
        assert_eq!(c.endpoint(), "http://127.0.0.1:9/base/");
        assert_eq!(
            c.url("api/x", &[]).unwrap().as_str(),
            "http://127.0.0.1:9/base/api/x"
        );
        let e = LabClient::new(
            "ftp://x",
            Credentials::new("a", "b"),
            ClientOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Validation);
        let e = LabClient::new(
            "http://x/",
            Credentials::new("", "b"),
            ClientOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Auth);
    }

    #[test]
    fn decode_names_json_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct P {
            docs: Vec<D>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct D {
            name: String,
        }
        let e = decode::<P>("tasks", br#"{"docs":[{"name":"a"},{"name":3}]}"#).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Decode);
        assert!(e.to_string().contains("docs[1].name"), "{e}");
    }

    #[test]
    fn error_answers_are_read() {
        let (code, msg) = answer_message(br#"{"errorCode":"E1","message":["a","b"]}"#);
        assert_eq!(code.as_deref(), Some("E1"));
        assert_eq!(msg, "a; b");
        let (code, msg) = answer_message(b"plain");
        assert_eq!(code, None);
        assert_eq!(msg, "plain");
    }

    mod mock {
        use super::super::*;
        use axum::Router;
        use axum::http::{HeaderMap as AxHeaders, StatusCode as AxStatus};
        use axum::routing::{any, post};
        use std::sync::atomic::{AtomicUsize, Ordering};

        #[derive(Default)]
        struct Counts {
            logins: AtomicUsize,
            calls: AtomicUsize,
        }

        async fn serve(mode: &'static str) -> (LabClient, Arc<Counts>) {
            let counts = Arc::new(Counts::default());
            let c1 = counts.clone();
            let c2 = counts.clone();
            let app = Router::new()
                .route(
                    "/api/user-manager/auth/login",
                    post(move || {
                        let c = c1.clone();
                        async move {
                            let n = c.logins.fetch_add(1, Ordering::SeqCst) + 1;
                            (
                                AxStatus::CREATED,
                                format!(r#"{{"access_token":"tok-{n}","expires_in":3600}}"#),
                            )
                        }
                    }),
                )
                .route(
                    "/api/x",
                    any(move |h: AxHeaders| {
                        let c = c2.clone();
                        async move {
                            let n = c.calls.fetch_add(1, Ordering::SeqCst) + 1;
                            let auth = h
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string();
                            let mut headers = AxHeaders::new();
                            let status = match mode {
                                "stale-token" if auth == "Bearer tok-1" => AxStatus::UNAUTHORIZED,
                                "always-401" => AxStatus::UNAUTHORIZED,
                                "429-once" if n == 1 => {
                                    headers.insert("retry-after", "0".parse().unwrap());
                                    AxStatus::TOO_MANY_REQUESTS
                                }
                                "500" => AxStatus::INTERNAL_SERVER_ERROR,
                                "400" => AxStatus::BAD_REQUEST,
                                _ => AxStatus::OK,
                            };
                            let body = if status == AxStatus::BAD_REQUEST {
                                r#"{"errorCode":"NAME_TAKEN","message":"name taken"}"#
                            } else {
                                "{}"
                            };
                            (status, headers, body)
                        }
                    }),
                );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            let client = LabClient::new(
                &format!("http://{addr}"),
                Credentials::new("id", "secret"),
                ClientOptions {
                    min_backoff: Duration::from_millis(1),
                    max_backoff: Duration::from_millis(5),
                    max_retries: 3,
                    ..ClientOptions::default()
                },
            )
            .unwrap();
            (client, counts)
        }

        #[tokio::test]
        async fn unauthorized_relogs_in_once() {
            let (c, n) = serve("stale-token").await;
            c.send(&Call::get("api/x")).await.unwrap();
            assert_eq!(n.logins.load(Ordering::SeqCst), 2);
            let (c, n) = serve("always-401").await;
            let e = c.send(&Call::get("api/x")).await.unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Auth);
            assert_eq!(
                n.logins.load(Ordering::SeqCst),
                2,
                "one re-login, then give up"
            );
            assert_eq!(n.calls.load(Ordering::SeqCst), 2);
        }

        #[tokio::test]
        async fn rate_limit_and_server_errors() {
            let (c, n) = serve("429-once").await;
            c.send(&Call::get("api/x")).await.unwrap();
            assert_eq!(n.calls.load(Ordering::SeqCst), 2);
            let (c, n) = serve("500").await;
            let e = c.send(&Call::get("api/x")).await.unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Server);
            assert_eq!(
                n.calls.load(Ordering::SeqCst),
                4,
                "safe call: 1 + 3 retries"
            );
            let (c, n) = serve("500").await;
            let post = Call::new(Method::POST, "api/x", Repeat::Unsafe).json(serde_json::json!({}));
            assert!(c.send(&post).await.is_err());
            assert_eq!(
                n.calls.load(Ordering::SeqCst),
                1,
                "unsafe call not repeated"
            );
            let (c, _) = serve("400").await;
            let e = c.send(&Call::get("api/x")).await.unwrap_err();
            assert_eq!(e.error_code(), Some("NAME_TAKEN"));
            assert!(e.to_string().contains("name taken"));
        }
    }
}
