//! Diagnostics: structured logs (tracing) in the OS log dir with daily rotation, secrets redacted
//! by construction, an in-memory ring buffer of recent errors, the "Copy diagnostics" report and
//! the light reachability check behind the offline banner.
//!
//! Redaction works at three levels: [`Secret`] prints "•••" in Debug and Display; fields whose
//! name says secret/token/password/authorization are written as "•••" whatever their value; and
//! every log line goes through [`scrub`], which masks `Bearer …` values and `secret…=`/`token…=`
//! pairs that slipped into a message text.

use std::collections::VecDeque;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use regex::Regex;
use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::{FmtSpan, Writer};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use ts_rs::TS;

use labdesk_app::error::{AppError, AppResult, ErrorKind};

pub use labdesk_app::secret::{REDACTED, Secret};
/// Log files kept (one per day).
pub const KEEP_LOG_FILES: usize = 7;
pub const LOG_PREFIX: &str = "labdesk";
/// Recent warnings and errors kept in memory for "Copy diagnostics".
pub const RECENT_CAPACITY: usize = 50;

/// True for field names that hold credentials (their values are never written).
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['_', '-'], "");
    [
        "secret",
        "token",
        "password",
        "authorization",
        "cookie",
        "apikey",
        "bearer",
    ]
    .iter()
    .any(|w| n.contains(w))
}

fn scrub_patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        vec![
            // Authorization: Bearer xxx / bearer=xxx
            (
                Regex::new(r"(?i)(bearer[\s:=]+)[A-Za-z0-9._~+/=\-]+").expect("regex"),
                "${1}•••",
            ),
            // secret_key=xxx, "secretKey":"xxx", access_token: xxx, password=xxx, authorization: xxx
            (
                Regex::new(
                    r#"(?i)((?:secret[_-]?key|secret|access[_-]?token|refresh[_-]?token|token|password|authorization)"?\s*[:=]\s*"?)(?:bearer\s+)?[^\s",}&]+"#,
                )
                .expect("regex"),
                "${1}•••",
            ),
        ]
    })
}

/// Masks credentials that appear in free text (a last net under the field-level redaction).
pub fn scrub(text: &str) -> String {
    let mut out = text.to_owned();
    for (re, rep) in scrub_patterns() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *rep).into_owned();
        }
    }
    out
}

/// Writes `name=value` pairs, secrets as "•••"; the message first, unnamed.
fn format_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> + 'static {
    use tracing_subscriber::field::MakeExt;
    tracing_subscriber::fmt::format::debug_fn(|w: &mut Writer<'_>, field: &Field, value| {
        if field.name() == "message" {
            write!(w, "{value:?}")
        } else if is_secret_field(field.name()) {
            write!(w, "{}={REDACTED}", field.name())
        } else {
            write!(w, "{}={value:?}", field.name())
        }
    })
    .delimited(" ")
}

/// A writer that scrubs each formatted event before passing it on.
pub struct ScrubWriter<W: Write>(W);

impl<W: Write> Write for ScrubWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// [`MakeWriter`] wrapper adding [`ScrubWriter`].
pub struct MakeScrub<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for MakeScrub<M> {
    type Writer = ScrubWriter<M::Writer>;
    fn make_writer(&'a self) -> Self::Writer {
        ScrubWriter(self.0.make_writer())
    }
}

/// The daily-rotated log file appender (`labdesk.YYYY-MM-DD.log`, the last 7 kept).
pub fn log_appender(dir: &Path) -> AppResult<RollingFileAppender> {
    std::fs::create_dir_all(dir)?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_PREFIX)
        .filename_suffix("log")
        .max_log_files(KEEP_LOG_FILES)
        .build(dir)
        .map_err(|e| {
            AppError::msg(
                ErrorKind::Internal,
                "err.logFileUnopenable",
                &[("detail", &e.to_string())],
            )
        })
}

/// The file layer: plain-text structured lines (time, level, target, message, key=value).
pub fn file_layer<S>(appender: RollingFileAppender) -> impl Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_target(true)
        .with_span_events(FmtSpan::NONE)
        .fmt_fields(format_fields())
        .with_writer(MakeScrub(appender))
}

/// Recent warnings and errors (redacted), newest last.
#[derive(Clone, Default)]
pub struct RecentErrors(Arc<Mutex<VecDeque<String>>>);

impl RecentErrors {
    pub fn push(&self, line: String) {
        let mut q = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() == RECENT_CAPACITY {
            q.pop_front();
        }
        q.push_back(scrub(&line));
    }
    pub fn list(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

struct LineVisitor(String);

impl Visit for LineVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        use fmt::Write as _;
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else if is_secret_field(field.name()) {
            let _ = write!(self.0, " {}={REDACTED}", field.name());
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for RecentErrors {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let mut v = LineVisitor(String::new());
        event.record(&mut v);
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        self.push(format!(
            "{now} {level} {}: {}",
            event.metadata().target(),
            v.0.trim()
        ));
    }
}

/// Diagnostics state kept by the app.
pub struct Diagnostics {
    pub log_dir: PathBuf,
    pub recent: RecentErrors,
    clipboard: Mutex<Option<arboard::Clipboard>>,
}

impl Diagnostics {
    pub fn new(log_dir: PathBuf, recent: RecentErrors) -> Self {
        Self {
            log_dir,
            recent,
            clipboard: Mutex::new(None),
        }
    }

    /// Puts `text` on the system clipboard. The clipboard object is kept so the text stays
    /// available after the call (X11 serves it from this process).
    pub fn copy_to_clipboard(&self, text: &str) -> AppResult<()> {
        let mut cb = self.clipboard.lock().unwrap_or_else(|p| p.into_inner());
        if cb.is_none() {
            *cb = Some(arboard::Clipboard::new().map_err(|e| {
                AppError::msg(
                    ErrorKind::Internal,
                    "err.clipboardUnavailable",
                    &[("detail", &e.to_string())],
                )
            })?);
        }
        cb.as_mut()
            .map(|c| c.set_text(text.to_owned()))
            .transpose()
            .map_err(|e| {
                AppError::msg(
                    ErrorKind::Internal,
                    "err.clipboardFailed",
                    &[("detail", &e.to_string())],
                )
            })?;
        Ok(())
    }
}

/// Sets the global subscriber: stderr (`LABDESK_LOG`, default warn), the rotated log file in
/// `log_dir` (info, `LABDESK_FILE_LOG` to change) and the recent-errors buffer.
pub fn init(log_dir: &Path) -> Diagnostics {
    use tracing_subscriber::EnvFilter;
    let recent = RecentErrors::default();
    let env = |var: &str, default: &str| {
        EnvFilter::try_from_env(var).unwrap_or_else(|_| EnvFilter::new(default))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .fmt_fields(format_fields())
        .with_writer(MakeScrub(std::io::stderr))
        .with_filter(env("LABDESK_LOG", "warn"));
    let file = log_appender(log_dir).ok().map(|a| {
        file_layer(a).with_filter(env(
            "LABDESK_FILE_LOG",
            "info,hyper=warn,reqwest=warn,tao=warn,wry=warn",
        ))
    });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .with(recent.clone())
        .try_init();
    Diagnostics::new(log_dir.to_owned(), recent)
}

/// The host of an endpoint URL (never the path, query or credentials).
pub fn endpoint_host(endpoint: &str) -> String {
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
        })
        .unwrap_or_else(|| "(not a web address)".into())
}

/// A light reachability check: opens (and closes) a TCP connection to the endpoint's host.
pub async fn probe(endpoint: &str, timeout: Duration) -> Result<(), String> {
    let url = url::Url::parse(endpoint).map_err(|e| format!("not a web address: {e}"))?;
    let host = url.host_str().ok_or("the address has no host")?.to_owned();
    let port = url
        .port_or_known_default()
        .ok_or("the address has no port")?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    match tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("{host}:{port}: {e}")),
        Err(_) => Err(format!(
            "{host}:{port}: no answer within {} s",
            timeout.as_secs()
        )),
    }
}

/// What "Copy diagnostics" puts on the clipboard.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticsReport {
    pub text: String,
}

/// Inputs of the report, gathered by the command.
pub struct ReportInput<'a> {
    pub version: &'a str,
    pub commit: &'a str,
    pub tauri: &'a str,
    pub webview: &'a str,
    pub os: String,
    pub locale: &'a str,
    /// "local sandbox" or "custom profile" (never the access id).
    pub profile_kind: Option<&'a str>,
    pub endpoint: Option<&'a str>,
    pub log_dir: &'a Path,
    pub recent: Vec<String>,
}

/// The plain-text report: versions, OS, the endpoint's host only, recent errors.
pub fn report_text(i: &ReportInput<'_>) -> String {
    let mut s = String::new();
    use fmt::Write as _;
    let _ = writeln!(s, "Lab Desk {} (commit {})", i.version, i.commit);
    let _ = writeln!(s, "Tauri {}", i.tauri);
    let _ = writeln!(s, "Web view: {}", i.webview);
    let _ = writeln!(s, "OS: {}", i.os);
    let _ = writeln!(s, "Locale: {}", i.locale);
    match (i.profile_kind, i.endpoint) {
        (Some(k), Some(e)) => {
            let _ = writeln!(s, "Connection: {k}, endpoint host {}", endpoint_host(e));
        }
        _ => {
            let _ = writeln!(s, "Connection: not connected");
        }
    }
    let _ = writeln!(s, "Logs: {}", i.log_dir.display());
    if i.recent.is_empty() {
        let _ = writeln!(s, "Recent errors: none");
    } else {
        let _ = writeln!(s, "Recent errors ({}):", i.recent.len());
        for e in &i.recent {
            let _ = writeln!(s, "  {e}");
        }
    }
    scrub(&s)
}

/// A description of the OS: `/etc/os-release` PRETTY_NAME when there is one, plus OS and arch.
pub fn os_description() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        });
    let base = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    match pretty {
        Some(p) => format!("{p} ({base})"),
        None => base,
    }
}

// ---------- commands ----------

async fn report(
    core: &labdesk_app::core::Core,
    diag: &Diagnostics,
    locale: &str,
    webview: &str,
) -> DiagnosticsReport {
    let conn = core.connection().await;
    let text = report_text(&ReportInput {
        version: crate::about::VERSION,
        commit: crate::about::COMMIT,
        tauri: tauri::VERSION,
        webview,
        os: os_description(),
        locale,
        profile_kind: conn.as_ref().map(|c| {
            if c.profile.builtin {
                "local sandbox"
            } else {
                "custom profile"
            }
        }),
        endpoint: conn.as_ref().map(|c| c.endpoint.as_str()),
        log_dir: &diag.log_dir,
        recent: diag.recent.list(),
    });
    DiagnosticsReport { text }
}

#[labdesk_macros::command]
pub async fn diagnostics_report(
    core: tauri::State<'_, labdesk_app::core::Core>,
    diag: tauri::State<'_, Diagnostics>,
    locale: String,
    webview: String,
) -> AppResult<DiagnosticsReport> {
    Ok(report(&core, &diag, &locale, &webview).await)
}

#[labdesk_macros::command]
pub async fn copy_diagnostics(
    core: tauri::State<'_, labdesk_app::core::Core>,
    diag: tauri::State<'_, Diagnostics>,
    locale: String,
    webview: String,
) -> AppResult<DiagnosticsReport> {
    let r = report(&core, &diag, &locale, &webview).await;
    diag.copy_to_clipboard(&r.text)?;
    Ok(r)
}

/// An error the window showed, kept in the log and the recent-errors list.
#[labdesk_macros::command]
pub fn record_error(kind: String, message: String) {
    tracing::warn!(target: "labdesk::ui", kind = %kind, "{}", scrub(&message));
}

/// Whether the connected endpoint answers (a TCP connection, 4 s at most).
#[labdesk_macros::command]
pub async fn check_endpoint(core: tauri::State<'_, labdesk_app::core::Core>) -> AppResult<()> {
    let Some(conn) = core.connection().await else {
        return Ok(());
    };
    probe(&conn.endpoint, Duration::from_secs(4))
        .await
        .map_err(|why| {
            tracing::info!(reason = %why, "endpoint unreachable");
            AppError::msg(
                ErrorKind::Unreachable,
                "err.endpointUnreachable",
                &[("host", &endpoint_host(&conn.endpoint))],
            )
        })
}

#[cfg(test)]
mod tests;
