//! Errors as the window shows them: a stable `kind` the UI can branch on and a plain message.

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

/// The error every command returns: `{ kind, message }` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
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
}
