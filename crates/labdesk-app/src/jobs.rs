//! Registry of running jobs (loading, bulk, export, undo, create): job id → its cancel and
//! pause tokens. One type for every job of the window; a job leaves it when its guard drops
//! (finished, failed or panicked). A lock poisoned by a panic elsewhere is recovered: the map
//! is only ever changed by single inserts and removes, so it stays consistent.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tokio_util::sync::CancellationToken;

/// The tokens of one running job.
#[derive(Clone, Default)]
struct Handles {
    cancel: CancellationToken,
    pause: CancellationToken,
}

#[derive(Default)]
pub struct JobRegistry {
    jobs: Mutex<HashMap<String, Handles>>,
}

/// Removes the job from the registry when dropped (job finished, failed or panicked).
pub struct JobGuard<'a> {
    registry: &'a JobRegistry,
    pub id: String,
    /// Cancelled by [`JobRegistry::cancel`] (or a newer job of the same id).
    pub token: CancellationToken,
    /// Cancelled by [`JobRegistry::pause`] (jobs that can stop and be resumed).
    pub pause: CancellationToken,
}

impl Drop for JobGuard<'_> {
    fn drop(&mut self) {
        self.registry.finish(&self.id);
    }
}

impl JobRegistry {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Handles>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn guard(&self, id: String, h: Handles) -> JobGuard<'_> {
        JobGuard {
            registry: self,
            id,
            token: h.cancel,
            pause: h.pause,
        }
    }

    /// Registers a new job under `id` (a fresh id is made when empty); a job already running
    /// under that id is cancelled (a newer search replaces an older one).
    pub fn start(&self, id: &str) -> JobGuard<'_> {
        let id = if id.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            id.to_owned()
        };
        let h = Handles::default();
        if let Some(old) = self.lock().insert(id.clone(), h.clone()) {
            old.cancel.cancel();
        }
        self.guard(id, h)
    }

    /// Registers job `id` unless one runs under that id already (`None` then): for jobs that
    /// must not run twice at once (a create job).
    pub fn start_alone(&self, id: &str) -> Option<JobGuard<'_>> {
        let mut jobs = self.lock();
        if jobs.contains_key(id) {
            return None;
        }
        let h = Handles::default();
        jobs.insert(id.to_owned(), h.clone());
        drop(jobs);
        Some(self.guard(id.to_owned(), h))
    }

    /// Asks the job to stop. Returns false when no such job runs.
    pub fn cancel(&self, id: &str) -> bool {
        self.lock().get(id).is_some_and(|h| {
            h.cancel.cancel();
            true
        })
    }

    /// Asks the job to pause (stop, to be resumed). Returns false when no such job runs.
    pub fn pause(&self, id: &str) -> bool {
        self.lock().get(id).is_some_and(|h| {
            h.pause.cancel();
            true
        })
    }

    /// Whether a job runs under `id`.
    pub fn is_running(&self, id: &str) -> bool {
        self.lock().contains_key(id)
    }

    /// The ids of the jobs running.
    pub fn ids(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    pub fn finish(&self, id: &str) {
        self.lock().remove(id);
    }

    pub fn running(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_reaches_the_token_and_guard_unregisters() {
        let reg = JobRegistry::default();
        {
            let guard = reg.start("j1");
            assert_eq!(reg.running(), 1);
            assert!(!guard.token.is_cancelled());
            assert!(reg.cancel("j1"));
            assert!(guard.token.is_cancelled());
        }
        assert_eq!(reg.running(), 0);
        assert!(!reg.cancel("j1"));
    }

    #[test]
    fn a_second_start_replaces_and_start_alone_refuses() {
        let reg = JobRegistry::default();
        let first = reg.start("s");
        let second = reg.start("s");
        assert!(first.token.is_cancelled(), "the older job is cancelled");
        assert!(!second.token.is_cancelled());
        drop(first);
        drop(second);
        let alone = reg.start_alone("c").expect("nothing runs as c");
        assert!(reg.start_alone("c").is_none(), "c runs already");
        assert_eq!(reg.ids(), ["c"]);
        assert!(reg.pause("c") && alone.pause.is_cancelled());
        assert!(!alone.token.is_cancelled(), "a pause is not a cancel");
        drop(alone);
        assert!(!reg.is_running("c") && !reg.pause("c"));
    }

    #[test]
    fn a_poisoned_lock_is_recovered() {
        let reg = std::sync::Arc::new(JobRegistry::default());
        let r = reg.clone();
        let _ = std::thread::spawn(move || {
            let _g = r.jobs.lock().unwrap();
            panic!("a panic while holding the lock");
        })
        .join();
        assert!(reg.jobs.is_poisoned());
        let g = reg.start("j");
        assert!(reg.cancel("j") && g.token.is_cancelled());
    }

    #[test]
    fn empty_id_gets_a_fresh_one() {
        let reg = JobRegistry::default();
        let a = reg.start("");
        let b = reg.start("");
        assert_ne!(a.id, b.id);
        assert_eq!(reg.running(), 2);
    }
}
