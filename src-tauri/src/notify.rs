//! OS notifications when a long job ends while the window is not in focus. Owner: export.
//!
//! Sent through the desktop's notification service on the D-Bus session bus
//! (org.freedesktop.Notifications, via notify-rust's libdbus backend). Without a session bus or
//! a notification daemon nothing is shown: the failure is logged, never raised.

use tauri::{AppHandle, Manager, Runtime};

/// App name shown by the notification daemon.
pub const APP_NAME: &str = "Lab Desk";

/// Shows `title` / `body` as an OS notification when no window of the app has the focus.
/// Returns at once (the D-Bus call runs on a blocking thread); failures are only logged.
/// Returns whether a notification was attempted.
pub fn notify_if_unfocused<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) -> bool {
    let focused = app
        .webview_windows()
        .values()
        .any(|w| w.is_focused().unwrap_or(false));
    if !should_notify(focused, title) {
        return false;
    }
    let (title, body) = (title.to_owned(), body.to_owned());
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = send(&title, &body) {
            tracing::info!("no OS notification shown (no notification service?): {e}");
        }
    });
    true
}

/// Whether to notify: only when the window is not focused and there is something to say.
pub fn should_notify(window_focused: bool, title: &str) -> bool {
    !window_focused && !title.trim().is_empty()
}

/// Sends one notification now (blocking D-Bus call); `Err` with the reason when no
/// notification service answers.
pub fn send(title: &str, body: &str) -> Result<(), String> {
    notify_rust::Notification::new()
        .appname(APP_NAME)
        .summary(title)
        .body(body)
        .show()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Commands (one-line adapters).
pub mod cmd {
    use tauri::AppHandle;

    /// Notification for the end of a long job (texts translated by the UI). Async so it runs
    /// off the main thread (the focus query goes through the event loop).
    #[labdesk_macros::command]
    pub async fn notify_if_unfocused(
        app: AppHandle,
        title: String,
        body: String,
    ) -> labdesk_app::error::AppResult<bool> {
        Ok(super::notify_if_unfocused(&app, &title, &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifies_only_when_unfocused_and_non_empty() {
        assert!(should_notify(false, "Export finished"));
        assert!(!should_notify(true, "Export finished"));
        assert!(!should_notify(false, "  "));
    }

    /// Without a reachable session bus the send fails with a reason instead of panicking.
    /// Runs itself in a child process so the bus address can be changed safely.
    #[test]
    fn fails_quietly_without_a_notification_service() {
        if std::env::var_os("LABDESK_NOTIFY_CHILD").is_some() {
            let r = send("t", "b");
            assert!(r.is_err(), "no bus, yet the notification was sent: {r:?}");
            assert!(!r.unwrap_err().is_empty());
            return;
        }
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "notify::tests::fails_quietly_without_a_notification_service",
                "--nocapture",
            ])
            .env("LABDESK_NOTIFY_CHILD", "1")
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/labdesk-no-bus",
            )
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {text}");
        assert!(
            text.contains("1 passed"),
            "the child did not run the test: {text}"
        );
    }
}
