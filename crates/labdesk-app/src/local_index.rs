//! The task browser's local copy of a project (lab-index): once a project has been mirrored,
//! a search brings the copy up to date (an incremental sync, two requests when nothing
//! changed) and answers from it, so filters on 100,000 tasks do not list them again; when the
//! lab stops answering, the copy is shown as it was, with its time.
//!
//! One SQLite file per profile and lab, under `<data dir>/index/`. A project is mirrored in
//! the background after its first search from the lab; until then (and whenever the copy
//! is busy syncing, damaged, or cannot answer a filter) searches go to the lab as before.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lab_client::{CancellationToken, LabClient, TaskFilter};
use lab_index::{Index, OpenNotice};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, MutexGuard};
use ts_rs::TS;

use crate::model::ConnectionInfo;

/// Where a search's rows came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TaskSource {
    /// Listed from the lab.
    Lab,
    /// The local copy, brought up to date with the lab just before.
    Index,
    /// The local copy as it was: the lab did not answer.
    IndexOffline,
}

struct Slot {
    key: String,
    index: Index,
}

/// The open index file of the current profile (one at a time).
pub struct LocalIndex {
    dir: PathBuf,
    slot: Mutex<Option<Slot>>,
}

/// The index of one profile, held while a search or a sync uses it.
pub struct Held<'a>(MutexGuard<'a, Option<Slot>>);

impl Held<'_> {
    pub fn index(&mut self) -> &mut Index {
        // a Held is only made with the slot filled
        &mut self.0.as_mut().expect("index slot filled").index
    }

    /// Replaces a damaged file by an empty index (kept aside by lab-index).
    pub fn rebuild(&mut self) {
        if let Some(slot) = self.0.take() {
            let path = slot.index.path().to_path_buf();
            match slot.index.rebuild() {
                Ok((index, notice)) => {
                    tracing::warn!(?notice, "task index rebuilt");
                    *self.0 = Some(Slot {
                        key: slot.key,
                        index,
                    });
                }
                Err(e) => tracing::warn!(path = %path.display(), "task index not rebuilt: {e}"),
            }
        }
    }
}

/// The file name of a profile's index: its id and a digest of the lab it talks to, so that
/// editing a profile's endpoint or access id starts a new copy.
fn key_of(info: &ConnectionInfo) -> String {
    let p = &info.profile;
    let mut h = Sha256::new();
    h.update(p.endpoint.trim().as_bytes());
    h.update([0]);
    h.update(p.access_id.as_bytes());
    let digest = h.finalize();
    let safe: String =
        p.id.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{safe}-{hex}")
}

impl LocalIndex {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("index"),
            slot: Mutex::new(None),
        }
    }

    /// The index of `info`'s profile, opened (or made) if needed; `None` while another search
    /// or a background sync holds it, or when the file cannot be opened (then the lab answers).
    pub fn try_hold(&self, info: &ConnectionInfo) -> Option<Held<'_>> {
        let mut guard = self.slot.try_lock().ok()?;
        let key = key_of(info);
        if guard.as_ref().is_none_or(|s| s.key != key) {
            *guard = None;
            if let Err(e) = std::fs::create_dir_all(&self.dir) {
                tracing::warn!(dir = %self.dir.display(), "no task index: {e}");
                return None;
            }
            let path = self.dir.join(format!("{key}.sqlite3"));
            match Index::open(&path) {
                Ok((index, notice)) => {
                    if !matches!(notice, OpenNotice::Fresh | OpenNotice::Opened) {
                        tracing::warn!(?notice, "task index replaced");
                    }
                    *guard = Some(Slot { key, index });
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), "task index not opened: {e}");
                    return None;
                }
            }
        }
        Some(Held(guard))
    }

    /// Whether `project_id` has a finished mirror in `held`.
    pub fn mirrored(held: &mut Held<'_>, project_id: &str) -> bool {
        matches!(held.index().project_state(project_id), Ok(Some(s)) if s.full_synced)
    }

    /// Mirrors `project_id` in the background unless it is already (or the index is busy).
    pub fn mirror_later(
        self: &Arc<Self>,
        info: ConnectionInfo,
        client: LabClient,
        filter: &TaskFilter,
    ) {
        if !lab_index::answerable_locally(filter) {
            return;
        }
        let project = filter.project_id.clone();
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let Some(mut held) = me.try_hold(&info) else {
                return;
            };
            if Self::mirrored(&mut held, &project) {
                return;
            }
            let cancel = CancellationToken::new();
            match held.index().sync(&client, &project, |_| {}, &cancel).await {
                Ok(r) => tracing::info!(
                    project,
                    tasks = r.upserted,
                    requests = r.requests,
                    "project mirrored"
                ),
                Err(e) if e.is_corrupt() => held.rebuild(),
                Err(e) => tracing::info!(project, "project not mirrored: {e}"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::Profile;

    fn info(id: &str, endpoint: &str, access: &str) -> ConnectionInfo {
        ConnectionInfo {
            profile: Profile {
                id: id.into(),
                name: "n".into(),
                endpoint: endpoint.into(),
                access_id: access.into(),
                builtin: false,
            },
            endpoint: endpoint.into(),
        }
    }

    #[test]
    fn each_profile_and_lab_has_its_own_file() {
        let a = key_of(&info("p1", "https://lab.example/", "me"));
        assert_eq!(a, key_of(&info("p1", " https://lab.example/ ", "me")));
        assert_ne!(a, key_of(&info("p1", "https://other.example/", "me")));
        assert_ne!(a, key_of(&info("p1", "https://lab.example/", "you")));
        assert_ne!(a, key_of(&info("p2", "https://lab.example/", "me")));
        let odd = key_of(&info("../x y", "e", "a"));
        assert!(odd.starts_with("___x_y-"), "{odd}");
    }

    #[tokio::test]
    async fn a_held_index_is_not_handed_out_twice() {
        let dir = tempfile::tempdir().unwrap();
        let ix = LocalIndex::new(dir.path());
        let i = info("p1", "https://lab.example/", "me");
        let mut held = ix.try_hold(&i).expect("opened");
        assert!(ix.try_hold(&i).is_none(), "busy while held");
        assert!(!LocalIndex::mirrored(&mut held, "proj"));
        drop(held);
        assert!(ix.try_hold(&i).is_some());
        assert!(dir.path().join("index").read_dir().unwrap().count() >= 1);
    }
}
