//! The built-in "Local sandbox" profile: lab-sandbox running in-process on a free loopback
//! port, with the demo workspace kept in the app data dir.

use std::path::{Path, PathBuf};

use lab_sandbox::{Config, Running, Sandbox};

use crate::error::{AppError, AppResult, ErrorKind};

pub const DEMO_ACCESS_ID: &str = "demo";
pub const DEMO_SECRET_KEY: &str = "demo";

/// A running local sandbox. Dropping it stops the server.
pub struct LocalSandbox {
    running: Running,
    pub dir: PathBuf,
}

impl LocalSandbox {
    /// Opens (or creates) the demo workspace in `data_dir/sandbox` and serves it on 127.0.0.1:<free port>.
    pub async fn start(data_dir: &Path) -> AppResult<Self> {
        let dir = data_dir.join("sandbox");
        let cfg = Config::new(dir.clone());
        let sandbox = tokio::task::spawn_blocking(move || -> Result<Sandbox, String> {
            let sb = Sandbox::open(cfg).map_err(|e| e.to_string())?;
            sb.load_demo().map_err(|e| e.to_string())?;
            Ok(sb)
        })
        .await
        .map_err(|e| {
            AppError::msg(
                ErrorKind::Internal,
                "err.sandboxNotStarted",
                &[("detail", &e.to_string())],
            )
        })?
        .map_err(|e| {
            AppError::msg(
                ErrorKind::Internal,
                "err.sandboxData",
                &[("path", &dir.display().to_string()), ("detail", &e)],
            )
        })?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let running = lab_sandbox::start(sandbox, addr).await.map_err(|e| {
            AppError::msg(
                ErrorKind::Internal,
                "err.sandboxNotStarted",
                &[("detail", &e.to_string())],
            )
        })?;
        Ok(Self { running, dir })
    }

    /// `http://127.0.0.1:PORT/`
    pub fn base_url(&self) -> &str {
        &self.running.base_url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_on_loopback_with_the_demo_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let sb = LocalSandbox::start(dir.path()).await.unwrap();
        assert!(sb.base_url().starts_with("http://127.0.0.1:"));
        assert!(sb.dir.join("").exists());
        drop(sb);
        // second start reuses the same workspace (load_demo is idempotent)
        let again = LocalSandbox::start(dir.path()).await.unwrap();
        assert!(again.base_url().ends_with('/'));
    }
}
