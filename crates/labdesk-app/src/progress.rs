//! Progress of a library job to the window: the library sends events on a channel, a task of
//! their own hands each to the command's callback (a `tauri::ipc::Channel` in the shell).

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

/// The end of a forwarding: awaited once the job is over, so its last event reaches the
/// window before the command answers.
pub struct Forwarder(JoinHandle<()>);

impl Forwarder {
    /// Waits until every event sent so far has been handed over (the senders are dropped).
    pub async fn finish(self) {
        let _ = self.0.await;
    }
}

/// A sender for a library job's events and the task that hands each to `on_event`.
pub fn forward<T: Send + 'static>(
    on_event: impl Fn(T) + Send + 'static,
) -> (UnboundedSender<T>, Forwarder) {
    let (tx, mut rx) = unbounded_channel::<T>();
    let task = tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            on_event(e);
        }
    });
    (tx, Forwarder(task))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn every_event_is_handed_over_in_order_before_finish_returns() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let (tx, fwd) = super::forward(move |n: u32| s.lock().unwrap().push(n));
        for n in 0..100 {
            tx.send(n).unwrap();
        }
        drop(tx);
        fwd.finish().await;
        assert_eq!(*seen.lock().unwrap(), (0..100).collect::<Vec<_>>());
    }
}
