//! Errors as the window shows them: a stable `kind` the UI can branch on and a plain message.

use std::collections::BTreeMap;

use lab_client::Message;
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
    /// The catalogue message filling this one's `{detail}` (a problem inside a file or a task).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, as = "Option<Message>")]
    pub detail: Option<Box<Message>>,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            key: None,
            params: None,
            detail: None,
        }
    }

    /// Names the catalogue message (`err.…`) the window shows instead of `message`, with the
    /// values of its `{placeholders}`.
    fn keyed(mut self, key: &str, params: &[(&str, &str)]) -> Self {
        self.key = Some(key.to_owned());
        self.params = (!params.is_empty()).then(|| {
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        });
        self
    }

    /// The catalogue message `key` (its English in [`crate::messages::OWN`]) with the values of
    /// its `{placeholders}`: the English `message` is rendered from the same template the
    /// window translates.
    pub fn msg(kind: ErrorKind, key: &str, params: &[(&str, &str)]) -> Self {
        let template = crate::messages::english(key);
        debug_assert!(template.is_some(), "{key} has no English in messages.rs");
        Self::new(
            kind,
            crate::messages::render(template.unwrap_or(key), params),
        )
        .keyed(key, params)
    }

    /// A library error: its English `message` (logs, diagnostics, the fallback) and the
    /// catalogue message the library gives for it, when it has one (see
    /// [`lab_client::Message`]).
    pub fn from_library(kind: ErrorKind, message: impl Into<String>, m: Option<Message>) -> Self {
        let mut e = Self::new(kind, message);
        if let Some(m) = m {
            e.key = Some(m.key);
            e.params = (!m.params.is_empty()).then_some(m.params);
            e.detail = m.detail;
        }
        e
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadInput, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    pub fn not_connected() -> Self {
        Self::msg(ErrorKind::NotConnected, "err.notConnected", &[])
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::msg(
            ErrorKind::Internal,
            "err.localFile",
            &[("detail", &e.to_string())],
        )
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
    fn msg_renders_the_english_of_its_key() {
        let e = AppError::msg(ErrorKind::BadInput, "err.noSuchRow", &[("row", "7")]);
        assert_eq!(
            e.message,
            "There is no row 7 in the list: reload the files."
        );
        assert_eq!(e.key.as_deref(), Some("err.noSuchRow"));
        assert_eq!(e.params.unwrap()["row"], "7");
    }

    #[test]
    fn a_library_error_keeps_its_english_and_takes_its_message() {
        let m = Message::new("err.inFile")
            .with("path", "t.csv")
            .with_detail(
                Message::new("err.csvLine")
                    .with("line", 3)
                    .with("detail", "x"),
            );
        let e = AppError::from_library(ErrorKind::BadInput, "t.csv: CSV line 3: x", Some(m));
        assert_eq!(e.message, "t.csv: CSV line 3: x");
        assert_eq!(e.key.as_deref(), Some("err.inFile"));
        assert_eq!(e.params.as_ref().unwrap()["path"], "t.csv");
        let d = e.detail.as_ref().unwrap();
        assert_eq!(
            (d.key.as_str(), d.params["line"].as_str()),
            ("err.csvLine", "3")
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["detail"]["params"]["detail"], "x");
        let e = AppError::from_library(ErrorKind::Internal, "an unknown sentence", None);
        assert_eq!(e.message, "an unknown sentence");
        assert_eq!((e.key, e.params, e.detail), (None, None, None));
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
