//! Local isahit-lab compatible server: the API of `shared/lab-api.md` over SQLite and
//! files on disk. Used as the app's embedded workspace and as the target of every test.
//!
//! ```no_run
//! # async fn demo() -> Result<(), lab_sandbox::Error> {
//! let sandbox = lab_sandbox::Sandbox::open(lab_sandbox::Config::new("/tmp/lab"))?;
//! sandbox.load_demo()?;
//! let running = lab_sandbox::start(sandbox, "127.0.0.1:0".parse().unwrap()).await?;
//! println!("{}", running.base_url); // http://127.0.0.1:PORT/
//! running.shutdown().await;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

mod api;
pub mod demo;
mod error;
mod fault;
mod packs;
mod reqlog;
pub mod seed;
mod store;

pub use demo::{DemoProject, DemoSummary};
pub use error::Error;
pub use fault::{FaultSpec, FaultSpecError};
pub use store::Sandbox;

/// How a sandbox is opened and served.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory holding `sandbox.sqlite3` and `files/` (created if missing).
    pub data_dir: PathBuf,
    /// Lifetime of access tokens (and grant tokens). Default 3600 s.
    pub token_ttl: Duration,
    /// Faults injected on API routes. Default: none.
    pub faults: FaultSpec,
    /// Seed of the fault RNG (same seed + same request order = same faults).
    pub fault_seed: u64,
    /// Append one JSON line per request to this file.
    pub request_log: Option<PathBuf>,
    /// Larger request bodies get 413. Default 64 MiB.
    pub max_body_bytes: usize,
    /// Allow [`start`] on a non-loopback address.
    pub allow_remote: bool,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            token_ttl: Duration::from_secs(3600),
            faults: FaultSpec::default(),
            fault_seed: 0,
            request_log: None,
            max_body_bytes: 64 * 1024 * 1024,
            allow_remote: false,
        }
    }
}

/// The HTTP router of a sandbox (faults, request log and body limit included).
pub fn app(sandbox: Sandbox) -> axum::Router {
    api::router(sandbox)
}

/// A server started by [`start`]. Dropping it stops the server too.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT/`, with the trailing slash the SDK needs.
    pub base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting connections and waits (up to 5 s) for in-flight requests.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    /// Waits until the server stops (it only stops through `shutdown`/drop or an error).
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `addr` (port 0 = any free port) and serves the sandbox on a spawned task.
pub async fn start(sandbox: Sandbox, addr: SocketAddr) -> Result<Running, Error> {
    if !addr.ip().is_loopback() && !sandbox.config().allow_remote {
        return Err(Error::RemoteNotAllowed(addr));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| Error::Bind { addr, source })?;
    let router = app(sandbox);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = result {
            tracing::error!("sandbox server stopped: {e}");
        }
    });
    Ok(Running {
        addr: local,
        base_url: format!("http://{local}/"),
        shutdown: Some(tx),
        task: Some(task),
    })
}
