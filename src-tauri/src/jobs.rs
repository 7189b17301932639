//! Registry of running jobs: job id → cancellation token.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct JobRegistry {
    jobs: Mutex<HashMap<String, CancellationToken>>,
}

/// Removes the job from the registry when dropped (job finished, failed or panicked).
pub struct JobGuard<'a> {
    registry: &'a JobRegistry,
    pub id: String,
    pub token: CancellationToken,
}

impl Drop for JobGuard<'_> {
    fn drop(&mut self) {
        self.registry.finish(&self.id);
    }
}

impl JobRegistry {
    /// Registers a new job under `id` (a fresh id is made when empty).
    pub fn start(&self, id: &str) -> JobGuard<'_> {
        let id = if id.is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            id.to_owned()
        };
        let token = CancellationToken::new();
        if let Ok(mut jobs) = self.jobs.lock()
            && let Some(old) = jobs.insert(id.clone(), token.clone())
        {
            old.cancel();
        }
        JobGuard {
            registry: self,
            id,
            token,
        }
    }

    /// Asks the job to stop. Returns false when no such job runs.
    pub fn cancel(&self, id: &str) -> bool {
        match self.jobs.lock() {
            Ok(jobs) => match jobs.get(id) {
                Some(t) => {
                    t.cancel();
                    true
                }
                None => false,
            },
            Err(_) => false,
        }
    }

    pub fn finish(&self, id: &str) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.remove(id);
        }
    }

    pub fn running(&self) -> usize {
        self.jobs.lock().map(|j| j.len()).unwrap_or(0)
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
    fn empty_id_gets_a_fresh_one() {
        let reg = JobRegistry::default();
        let a = reg.start("");
        let b = reg.start("");
        assert_ne!(a.id, b.id);
        assert_eq!(reg.running(), 2);
    }
}
