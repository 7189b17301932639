//! Secret keys live in the OS keychain (Secret Service on Linux), never in files or logs.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{AppError, AppResult, ErrorKind};

/// Keychain service name under which every Lab Desk secret is stored.
pub const SERVICE: &str = "labdesk";

/// Where secrets are kept. The app uses [`KeyringStore`]; tests use [`MemoryStore`].
pub trait SecretStore: Send + Sync {
    fn set(&self, account: &str, secret: &str) -> AppResult<()>;
    /// `Ok(None)` when there is no entry for this account.
    fn get(&self, account: &str) -> AppResult<Option<String>>;
    /// Deleting a missing entry is not an error.
    fn delete(&self, account: &str) -> AppResult<()>;
}

/// The OS keychain through the `keyring` crate.
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, account: &str) -> AppResult<keyring::Entry> {
        keyring::Entry::new(&self.service, account).map_err(map_keyring_error)
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new(SERVICE)
    }
}

impl SecretStore for KeyringStore {
    fn set(&self, account: &str, secret: &str) -> AppResult<()> {
        self.entry(account)?
            .set_password(secret)
            .map_err(map_keyring_error)
    }

    fn get(&self, account: &str) -> AppResult<Option<String>> {
        match self.entry(account)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }

    fn delete(&self, account: &str) -> AppResult<()> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

/// Turns a keyring failure into a message a non-developer can act on. Never includes the secret.
pub fn map_keyring_error(e: keyring::Error) -> AppError {
    match e {
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            AppError::msg(ErrorKind::Keychain, "err.keychainUnavailable", &[])
        }
        keyring::Error::NoEntry => {
            AppError::msg(ErrorKind::Keychain, "err.secretNotInKeychain", &[])
        }
        other => AppError::msg(
            ErrorKind::Keychain,
            "err.keychainRefused",
            &[("detail", &other.to_string())],
        ),
    }
}

/// In-memory store for tests.
#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<String, String>>,
}

impl SecretStore for MemoryStore {
    fn set(&self, account: &str, secret: &str) -> AppResult<()> {
        self.items
            .lock()
            .map_err(|_| AppError::internal("secret store poisoned"))?
            .insert(account.to_owned(), secret.to_owned());
        Ok(())
    }

    fn get(&self, account: &str) -> AppResult<Option<String>> {
        Ok(self
            .items
            .lock()
            .map_err(|_| AppError::internal("secret store poisoned"))?
            .get(account)
            .cloned())
    }

    fn delete(&self, account: &str) -> AppResult<()> {
        self.items
            .lock()
            .map_err(|_| AppError::internal("secret store poisoned"))?
            .remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip_and_delete_missing_is_ok() {
        let s = MemoryStore::default();
        assert_eq!(s.get("a").unwrap(), None);
        s.set("a", "secret").unwrap();
        assert_eq!(s.get("a").unwrap().as_deref(), Some("secret"));
        s.delete("a").unwrap();
        s.delete("a").unwrap();
        assert_eq!(s.get("a").unwrap(), None);
    }

    #[test]
    fn keychain_errors_are_plain_and_typed() {
        let e = map_keyring_error(keyring::Error::NoStorageAccess(Box::new(
            std::io::Error::other("dbus down"),
        )));
        assert_eq!(e.kind, ErrorKind::Keychain);
        assert!(e.message.contains("keychain"));
        let e = map_keyring_error(keyring::Error::NoEntry);
        assert!(e.message.contains("enter the secret key again"));
    }
}
