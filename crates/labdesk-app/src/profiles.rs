//! Connection profiles: name, endpoint and access id in `profiles.json` in the app config dir.
//! The secret key goes to the keychain (see [`crate::keychain`]) and never into the file.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{AppError, AppResult, ErrorKind};
use crate::keychain::SecretStore;
use crate::store::{read_json, write_json};

/// Id of the built-in profile that runs the local sandbox.
pub const LOCAL_SANDBOX_ID: &str = "local-sandbox";
pub const DEFAULT_ENDPOINT: &str = "https://hub-api.isahit.com/";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    pub access_id: String,
    /// True for the built-in "Local sandbox" profile (cannot be edited or removed).
    #[serde(default)]
    pub builtin: bool,
}

/// What the connection form sends when adding or editing a profile.
/// Its Debug output hides the secret key (see [`crate::secret::Secret`]).
#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileDraft {
    pub name: String,
    pub endpoint: String,
    pub access_id: String,
    /// Required when adding; when editing, empty keeps the stored secret.
    #[serde(default)]
    pub secret_key: String,
}

impl std::fmt::Debug for ProfileDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileDraft")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("access_id", &self.access_id)
            .field("secret_key", &crate::secret::Secret::new(""))
            .finish()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileFile {
    #[serde(default = "schema_version")]
    version: u32,
    #[serde(default)]
    profiles: Vec<Profile>,
    #[serde(default)]
    last_profile_id: Option<String>,
}

fn schema_version() -> u32 {
    1
}

/// The profile list as shown on the connection screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileList {
    pub profiles: Vec<Profile>,
    /// The profile to select on start: the last used one, else the local sandbox.
    pub default_profile_id: String,
}

pub fn local_sandbox_profile() -> Profile {
    Profile {
        id: LOCAL_SANDBOX_ID.into(),
        name: "Local sandbox".into(),
        endpoint: "(started by Lab Desk on this computer)".into(),
        access_id: "demo".into(),
        builtin: true,
    }
}

/// Checks and normalises a draft: trims, requires every field, endpoint http(s) with a trailing slash.
pub fn validate(draft: &ProfileDraft, adding: bool) -> AppResult<ProfileDraft> {
    let name = draft.name.trim();
    if name.is_empty() {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.profileNameMissing",
            &[],
        ));
    }
    let mut endpoint = draft.endpoint.trim().to_owned();
    if endpoint.is_empty() {
        endpoint = DEFAULT_ENDPOINT.into();
    }
    let url = url::Url::parse(&endpoint)
        .map_err(|_| AppError::msg(ErrorKind::BadInput, "err.endpointNotUrl", &[]))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.endpointScheme",
            &[],
        ));
    }
    if !endpoint.ends_with('/') {
        endpoint.push('/');
    }
    let access_id = draft.access_id.trim();
    if access_id.is_empty() {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.accessIdMissing",
            &[],
        ));
    }
    if adding && draft.secret_key.trim().is_empty() {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.secretKeyMissing",
            &[],
        ));
    }
    Ok(ProfileDraft {
        name: name.into(),
        endpoint,
        access_id: access_id.into(),
        secret_key: draft.secret_key.trim().into(),
    })
}

/// Profiles on disk plus their secrets in a [`SecretStore`].
pub struct ProfileStore {
    path: PathBuf,
}

impl ProfileStore {
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            path: config_dir.into().join("profiles.json"),
        }
    }

    fn load(&self) -> AppResult<ProfileFile> {
        read_json(&self.path)
    }

    fn save(&self, f: &ProfileFile) -> AppResult<()> {
        write_json(&self.path, f)
    }

    /// Every profile, the local sandbox first.
    pub fn list(&self) -> AppResult<ProfileList> {
        let f = self.load()?;
        let mut profiles = vec![local_sandbox_profile()];
        profiles.extend(f.profiles.iter().cloned());
        let default_profile_id = f
            .last_profile_id
            .filter(|id| profiles.iter().any(|p| &p.id == id))
            .unwrap_or_else(|| LOCAL_SANDBOX_ID.into());
        Ok(ProfileList {
            profiles,
            default_profile_id,
        })
    }

    pub fn get(&self, id: &str) -> AppResult<Profile> {
        if id == LOCAL_SANDBOX_ID {
            return Ok(local_sandbox_profile());
        }
        self.load()?
            .profiles
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| AppError::msg(ErrorKind::NotFound, "err.profileGone", &[]))
    }

    /// Adds a profile; the secret goes to `secrets` first so a keychain failure leaves no profile behind.
    pub fn add(&self, draft: &ProfileDraft, secrets: &dyn SecretStore) -> AppResult<Profile> {
        let d = validate(draft, true)?;
        let mut f = self.load()?;
        if f.profiles
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&d.name))
            || d.name.eq_ignore_ascii_case("Local sandbox")
        {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.profileNameTaken",
                &[("name", &d.name)],
            ));
        }
        let profile = Profile {
            id: uuid::Uuid::new_v4().to_string(),
            name: d.name,
            endpoint: d.endpoint,
            access_id: d.access_id,
            builtin: false,
        };
        secrets.set(&profile.id, &d.secret_key)?;
        f.profiles.push(profile.clone());
        if let Err(e) = self.save(&f) {
            let _ = secrets.delete(&profile.id);
            return Err(e);
        }
        Ok(profile)
    }

    /// Edits a profile; an empty secret keeps the stored one.
    pub fn update(
        &self,
        id: &str,
        draft: &ProfileDraft,
        secrets: &dyn SecretStore,
    ) -> AppResult<Profile> {
        if id == LOCAL_SANDBOX_ID {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.sandboxProfileReadOnly",
                &[],
            ));
        }
        let d = validate(draft, false)?;
        let mut f = self.load()?;
        if f.profiles
            .iter()
            .any(|p| p.id != id && p.name.eq_ignore_ascii_case(&d.name))
        {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.profileNameTaken",
                &[("name", &d.name)],
            ));
        }
        let p = f
            .profiles
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| AppError::msg(ErrorKind::NotFound, "err.profileGone", &[]))?;
        p.name = d.name;
        p.endpoint = d.endpoint;
        p.access_id = d.access_id;
        let updated = p.clone();
        if !d.secret_key.is_empty() {
            secrets.set(id, &d.secret_key)?;
        }
        self.save(&f)?;
        Ok(updated)
    }

    /// Removes the profile and its keychain entry.
    pub fn remove(&self, id: &str, secrets: &dyn SecretStore) -> AppResult<()> {
        if id == LOCAL_SANDBOX_ID {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.sandboxProfileUndeletable",
                &[],
            ));
        }
        let mut f = self.load()?;
        let before = f.profiles.len();
        f.profiles.retain(|p| p.id != id);
        if f.profiles.len() == before {
            return Err(AppError::msg(ErrorKind::NotFound, "err.profileGone", &[]));
        }
        if f.last_profile_id.as_deref() == Some(id) {
            f.last_profile_id = None;
        }
        secrets.delete(id)?;
        self.save(&f)
    }

    pub fn set_last(&self, id: &str) -> AppResult<()> {
        let mut f = self.load()?;
        f.last_profile_id = Some(id.into());
        self.save(&f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryStore;

    fn draft(name: &str, secret: &str) -> ProfileDraft {
        ProfileDraft {
            name: name.into(),
            endpoint: "http://127.0.0.1:9/api".into(),
            access_id: "acc".into(),
            secret_key: secret.into(),
        }
    }

    #[test]
    fn first_run_defaults_to_local_sandbox() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path());
        let l = store.list().unwrap();
        assert_eq!(l.default_profile_id, LOCAL_SANDBOX_ID);
        assert_eq!(l.profiles.len(), 1);
        assert!(l.profiles[0].builtin);
    }

    #[test]
    fn add_keeps_secret_out_of_the_file_and_in_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path());
        let secrets = MemoryStore::default();
        let p = store.add(&draft("Work", "s3cr3t-value"), &secrets).unwrap();
        assert_eq!(p.endpoint, "http://127.0.0.1:9/api/");
        let text = std::fs::read_to_string(dir.path().join("profiles.json")).unwrap();
        assert!(!text.contains("s3cr3t-value"));
        assert!(text.contains("Work"));
        assert_eq!(secrets.get(&p.id).unwrap().as_deref(), Some("s3cr3t-value"));
        store.set_last(&p.id).unwrap();
        assert_eq!(store.list().unwrap().default_profile_id, p.id);
    }

    #[test]
    fn edit_with_empty_secret_keeps_it_and_remove_deletes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path());
        let secrets = MemoryStore::default();
        let p = store.add(&draft("Work", "one"), &secrets).unwrap();
        let u = store.update(&p.id, &draft("Work 2", ""), &secrets).unwrap();
        assert_eq!(u.name, "Work 2");
        assert_eq!(secrets.get(&p.id).unwrap().as_deref(), Some("one"));
        store.remove(&p.id, &secrets).unwrap();
        assert_eq!(secrets.get(&p.id).unwrap(), None);
        assert_eq!(store.list().unwrap().profiles.len(), 1);
    }

    #[test]
    fn validation_messages_are_plain() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path());
        let secrets = MemoryStore::default();
        let e = store.add(&draft("", "x"), &secrets).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadInput);
        let e = store.add(&draft("A", ""), &secrets).unwrap_err();
        assert!(e.message.contains("secret key"));
        let mut d = draft("A", "x");
        d.endpoint = "ftp://x".into();
        assert!(store.add(&d, &secrets).is_err());
        store.add(&draft("A", "x"), &secrets).unwrap();
        let e = store.add(&draft("a", "x"), &secrets).unwrap_err();
        assert!(e.message.contains("already exists"));
        assert!(store.remove(LOCAL_SANDBOX_ID, &secrets).is_err());
    }
}
