//! Maps lab-client errors to the plain messages the window shows.

use lab_client::ErrorKind as ClientKind;

use crate::error::{AppError, ErrorKind};

/// Where the error happened: while signing in, an auth refusal means wrong credentials;
/// later on it means the session expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    SignIn,
    Session,
}

pub fn map(e: &lab_client::Error, stage: Stage, endpoint: &str) -> AppError {
    let host = url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| endpoint.to_owned());
    map_kind(e.kind(), &e.to_string(), stage, &host)
}

pub fn map_kind(kind: ClientKind, detail: &str, stage: Stage, host: &str) -> AppError {
    match (kind, stage) {
        (ClientKind::Auth, Stage::SignIn) => AppError::new(
            ErrorKind::WrongCredentials,
            "The access id or the secret key is wrong. Check both in the profile and try again.",
        )
        .keyed("err.wrongCredentials", &[]),
        (ClientKind::Auth, Stage::Session) => AppError::new(
            ErrorKind::Expired,
            "Your session has expired or your key was revoked. Connect again from the connection screen.",
        )
        .keyed("err.expired", &[]),
        (ClientKind::Offline | ClientKind::Timeout, _) => AppError::new(
            ErrorKind::Unreachable,
            format!(
                "Lab Desk could not reach {host}. Check the endpoint address and your network, then try again."
            ),
        )
        .keyed("err.unreachable", &[("host", host)]),
        (ClientKind::Forbidden, _) => AppError::new(
            ErrorKind::Forbidden,
            "Your account is not allowed to do this. Ask the project owner for access.",
        )
        .keyed("err.forbidden", &[]),
        // the client's message already says "Not found: …"
        (ClientKind::NotFound, _) if detail.starts_with("Not found: ") => {
            AppError::from_library(ErrorKind::NotFound, detail)
        }
        (ClientKind::NotFound, _) => {
            AppError::from_library(ErrorKind::NotFound, format!("Not found: {detail}"))
        }
        (ClientKind::BadRequest | ClientKind::Validation, _) => {
            AppError::from_library(ErrorKind::BadInput, detail)
        }
        (ClientKind::Server | ClientKind::RateLimited, _) => AppError::new(
            ErrorKind::Server,
            format!("The server had a problem ({detail}). Try again in a moment."),
        )
        .keyed("err.server", &[("detail", detail)]),
        (ClientKind::Cancelled, _) => {
            AppError::new(ErrorKind::Cancelled, "Cancelled.").keyed("err.cancelled", &[])
        }
        _ => AppError::from_library(ErrorKind::Internal, detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_means_wrong_credentials_at_sign_in_and_expired_later() {
        let a = map_kind(ClientKind::Auth, "401", Stage::SignIn, "h");
        assert_eq!(a.kind, ErrorKind::WrongCredentials);
        let b = map_kind(ClientKind::Auth, "401", Stage::Session, "h");
        assert_eq!(b.kind, ErrorKind::Expired);
    }

    #[test]
    fn offline_names_the_host() {
        let e = map_kind(
            ClientKind::Offline,
            "conn refused",
            Stage::SignIn,
            "lab.example",
        );
        assert_eq!(e.kind, ErrorKind::Unreachable);
        assert!(e.message.contains("lab.example"));
    }
}
