//! Typed errors with plain messages; the UI receives them as `{kind, message}`.

use serde::{Serialize, Serializer};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The category of an error, what the UI switches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorKind {
    /// Wrong or missing credentials.
    Auth,
    /// The account may not do this.
    Forbidden,
    /// The project, batch or task does not exist.
    NotFound,
    /// The server refused the request (400).
    BadRequest,
    /// The input is invalid (checked before any call).
    Validation,
    /// The server failed (5xx).
    Server,
    /// Too many requests, even after waiting.
    RateLimited,
    /// The server cannot be reached.
    Offline,
    /// The server did not answer in time.
    Timeout,
    /// The server answered something unexpected.
    Decode,
    /// The job was cancelled.
    Cancelled,
    /// A local file could not be read or written.
    Io,
}

/// What the UI shows for an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorInfo {
    /// Category.
    pub kind: ErrorKind,
    /// Plain-language message.
    pub message: String,
}

/// Errors of the lab client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Credentials refused or missing.
    #[error("{0}")]
    Auth(String),
    /// 403.
    #[error("Access refused by isahit lab: {0}")]
    Forbidden(String),
    /// 404 or missing item.
    #[error("Not found: {0}")]
    NotFound(String),
    /// 400 with optional `errorCode`.
    #[error("{}", bad_request_message(.code.as_deref(), .message))]
    BadRequest {
        /// `errorCode` of the answer, if any.
        code: Option<String>,
        /// Message of the answer.
        message: String,
    },
    /// Local validation failure.
    #[error("{0}")]
    Validation(String),
    /// 5xx or unexpected status.
    #[error(
        "isahit lab server error ({status}): {message}. Try again in a moment; if it keeps failing, check the endpoint or contact isahit lab support."
    )]
    Server {
        /// HTTP status.
        status: u16,
        /// Body excerpt.
        message: String,
    },
    /// A call failed in a way that leaves its effect unknown (it may have happened).
    #[error("{0}")]
    Uncertain(String),
    /// 429 after all retries.
    #[error("isahit lab is rate limiting requests; try again in a moment")]
    RateLimited,
    /// Connection failure.
    #[error(
        "Cannot reach isahit lab at {endpoint}: {message}. Check the endpoint and your network."
    )]
    Offline {
        /// Endpoint.
        endpoint: String,
        /// Underlying failure.
        message: String,
    },
    /// Request timed out.
    #[error("isahit lab did not answer in time ({0})")]
    Timeout(String),
    /// Unexpected answer.
    #[error("Unexpected answer from isahit lab for {what}: {message}")]
    Decode {
        /// Which call.
        what: String,
        /// Includes the JSON path when known.
        message: String,
    },
    /// Cancelled by the user.
    #[error("Cancelled")]
    Cancelled,
    /// Local file error.
    #[error("Cannot read {path}: {source}. Check that the file exists and is readable.")]
    Io {
        /// File concerned.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

fn bad_request_message(code: Option<&str>, message: &str) -> String {
    match code {
        Some(code) => format!("isahit lab refused the request ({code}): {message}"),
        None => format!("isahit lab refused the request: {message}"),
    }
}

impl Error {
    /// Category of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Auth(_) => ErrorKind::Auth,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::BadRequest { .. } => ErrorKind::BadRequest,
            Error::Validation(_) => ErrorKind::Validation,
            Error::Server { .. } | Error::Uncertain(_) => ErrorKind::Server,
            Error::RateLimited => ErrorKind::RateLimited,
            Error::Offline { .. } => ErrorKind::Offline,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// `{kind, message}` for the UI.
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            kind: self.kind(),
            message: self.to_string(),
        }
    }

    /// The `errorCode` of a 400 answer.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Error::BadRequest { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Whether a failed call may have been processed by the server (outcome unknown).
    pub(crate) fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            Error::Server { .. } | Error::Timeout(_) | Error::Offline { .. }
        )
    }

    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.info().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_kind_and_message() {
        let e = Error::BadRequest {
            code: Some("BATCH_LOCKED".into()),
            message: "batch is locked".into(),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "badRequest");
        assert_eq!(
            v["message"],
            "isahit lab refused the request (BATCH_LOCKED): batch is locked"
        );
        assert_eq!(e.error_code(), Some("BATCH_LOCKED"));
    }

    #[test]
    fn kinds_match_variants() {
        assert_eq!(Error::RateLimited.kind(), ErrorKind::RateLimited);
        assert_eq!(Error::Cancelled.kind(), ErrorKind::Cancelled);
        assert!(
            Error::Server {
                status: 502,
                message: String::new()
            }
            .is_ambiguous()
        );
        assert!(!Error::NotFound("x".into()).is_ambiguous());
    }
}
