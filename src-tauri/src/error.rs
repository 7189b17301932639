//! Errors as the window shows them: a stable `kind` the UI can branch on and a plain message.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

/// What went wrong, in categories the UI reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "AppErrorKind")]
pub enum ErrorKind {
    /// Access id or secret key refused.
    WrongCredentials,
    /// The session ended; sign in again.
    Expired,
    /// The endpoint did not answer.
    Unreachable,
    /// The system keychain (Secret Service) is missing or locked.
    Keychain,
    /// The account may not do this.
    Forbidden,
    /// The thing asked for does not exist.
    NotFound,
    /// The input needs fixing before trying again.
    BadInput,
    /// The server failed.
    Server,
    /// The user cancelled.
    Cancelled,
    /// Not connected to any profile yet.
    NotConnected,
    /// Anything else.
    Internal,
}

/// The error every command returns: `{ kind, message }` on the wire, plus `key` and `params`
/// when the window's catalogue (ui/src/i18n/messages/errors.ts) has this message: the window
/// then shows it in the user's language; `message` (English) is the fallback and what the
/// logs and diagnostics keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub params: Option<BTreeMap<String, String>>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            key: None,
            params: None,
        }
    }

    /// Names the catalogue message (`err.…`) the window shows instead of `message`, with the
    /// values of its `{placeholders}`.
    pub fn keyed(mut self, key: &str, params: &[(&str, &str)]) -> Self {
        self.key = Some(key.to_owned());
        self.params = (!params.is_empty()).then(|| {
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        });
        self
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadInput, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    pub fn not_connected() -> Self {
        Self::new(
            ErrorKind::NotConnected,
            "You are not connected. Choose a profile on the connection screen.",
        )
        .keyed("err.notConnected", &[])
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::internal(format!("A local file could not be read or written: {e}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_kind_and_message() {
        let e = AppError::new(
            ErrorKind::WrongCredentials,
            "Wrong access id or secret key.",
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "wrongCredentials", "message": "Wrong access id or secret key."})
        );
    }

    #[test]
    fn a_keyed_error_carries_its_key_and_values() {
        let e = AppError::new(ErrorKind::Unreachable, "Lab Desk could not reach h.")
            .keyed("err.unreachable", &[("host", "h")]);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "unreachable", "message": "Lab Desk could not reach h.",
                "key": "err.unreachable", "params": {"host": "h"}})
        );
    }
}
