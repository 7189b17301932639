//! Maps lab-client errors to the plain messages the window shows.

use lab_client::{ErrorKind as ClientKind, Message};

use crate::error::{AppError, ErrorKind};

/// Where the error happened: while signing in, an auth refusal means wrong credentials;
/// later on it means the session expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    SignIn,
    Session,
}

pub fn map(e: &lab_client::Error, stage: Stage, endpoint: &str) -> AppError {
    map_kind(
        e.kind(),
        &e.to_string(),
        e.message(),
        stage,
        &host_of(endpoint),
    )
}

/// The host an endpoint names, as messages say it ("lab.example"); the endpoint itself when it
/// is not a URL.
pub fn host_of(endpoint: &str) -> String {
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| endpoint.to_owned())
}

/// An error of `kind` with its English `detail` and its catalogue message (see
/// [`lab_client::Error::message`]), as the window shows it.
pub fn map_kind(
    kind: ClientKind,
    detail: &str,
    catalogue: Option<Message>,
    stage: Stage,
    host: &str,
) -> AppError {
    match (kind, stage) {
        (ClientKind::Auth, Stage::SignIn) => {
            AppError::msg(ErrorKind::WrongCredentials, "err.wrongCredentials", &[])
        }
        (ClientKind::Auth, Stage::Session) => AppError::msg(ErrorKind::Expired, "err.expired", &[]),
        (ClientKind::Offline | ClientKind::Timeout, _) => {
            AppError::msg(ErrorKind::Unreachable, "err.unreachable", &[("host", host)])
        }
        (ClientKind::Forbidden, _) => AppError::msg(ErrorKind::Forbidden, "err.forbidden", &[]),
        (ClientKind::NotFound, _) => AppError::from_library(ErrorKind::NotFound, detail, catalogue),
        (ClientKind::BadRequest | ClientKind::Validation, _) => {
            AppError::from_library(ErrorKind::BadInput, detail, catalogue)
        }
        (ClientKind::Server | ClientKind::RateLimited, _) => {
            AppError::msg(ErrorKind::Server, "err.server", &[("detail", detail)])
        }
        (ClientKind::Cancelled, _) => AppError::msg(ErrorKind::Cancelled, "err.cancelled", &[]),
        _ => AppError::from_library(ErrorKind::Internal, detail, catalogue),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_means_wrong_credentials_at_sign_in_and_expired_later() {
        let a = map_kind(ClientKind::Auth, "401", None, Stage::SignIn, "h");
        assert_eq!(a.kind, ErrorKind::WrongCredentials);
        let b = map_kind(ClientKind::Auth, "401", None, Stage::Session, "h");
        assert_eq!(b.kind, ErrorKind::Expired);
    }

    #[test]
    fn offline_names_the_host() {
        let e = map_kind(
            ClientKind::Offline,
            "conn refused",
            None,
            Stage::SignIn,
            "lab.example",
        );
        assert_eq!(e.kind, ErrorKind::Unreachable);
        assert!(e.message.contains("lab.example"));
    }

    #[test]
    fn a_refusal_is_keyed_from_the_error_itself() {
        let e = lab_client::Error::BadRequest {
            code: Some("BATCH_LOCKED".into()),
            message: "locked (for now): yes".into(),
        };
        let a = map(&e, Stage::Session, "https://lab.example/");
        assert_eq!(a.kind, ErrorKind::BadInput);
        assert_eq!(a.key.as_deref(), Some("err.refusedWithCode"));
        let p = a.params.unwrap();
        assert_eq!(
            (p["code"].as_str(), p["detail"].as_str()),
            ("BATCH_LOCKED", "locked (for now): yes")
        );
        let e = lab_client::Error::from(lab_client::Invalid::BadTaskId { id: "x y".into() });
        let a = map(&e, Stage::Session, "https://lab.example/");
        assert_eq!(a.key.as_deref(), Some("err.badTaskId"));
        assert_eq!(a.message, "\"x y\" is not a valid task id");
    }
}
