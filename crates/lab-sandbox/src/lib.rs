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
mod grants;
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
    /// Serve only the routes of the wire contract (no `files/{id}/content` extension), to
    /// test what a client does against the real lab.
    pub contract_only: bool,
    /// Compress answers (gzip or zstd, as the request's `Accept-Encoding` asks), as a web
    /// server in front of the real lab may or may not do. Default: off (identity answers).
    pub compress: bool,
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
            contract_only: false,
            compress: false,
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
    /// Asks for a graceful stop (in-flight requests finish).
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Stops at once (what is in flight is dropped).
    abort: Option<tokio::sync::oneshot::Sender<()>>,
    /// Completes when the server's thread has stopped serving.
    done: Option<tokio::sync::oneshot::Receiver<()>>,
}

impl Running {
    /// Stops accepting connections and waits (up to 5 s) for in-flight requests.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut done) = self.done.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut done)
                .await
                .is_err()
        {
            if let Some(abort) = self.abort.take() {
                let _ = abort.send(());
            }
            let _ = done.await;
        }
    }

    /// Waits until the server stops (it only stops through `shutdown`/drop or an error).
    pub async fn wait(mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

/// Dropping asks for a graceful stop and returns at once (the server's thread finishes the
/// requests in flight, then ends); `shutdown` waits for it.
impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `addr` (port 0 = any free port) and serves the sandbox from a thread of its own.
///
/// The server runs on a single-threaded runtime on that thread, whatever runtime the caller
/// uses (the app's, a test's): its database calls are short and run inline (see
/// `Sandbox::db`), so one thread serves more requests per second than a pool that hands
/// every call from thread to thread, and the caller's runtime is never blocked by them.
pub async fn start(sandbox: Sandbox, addr: SocketAddr) -> Result<Running, Error> {
    if !addr.ip().is_loopback() && !sandbox.config().allow_remote {
        return Err(Error::RemoteNotAllowed(addr));
    }
    let bind = |source| Error::Bind { addr, source };
    let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let local = listener.local_addr().map_err(bind)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(bind)?;
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let (abort_tx, abort_rx) = tokio::sync::oneshot::channel::<()>();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<std::io::Result<()>>();
    std::thread::Builder::new()
        .name("lab-sandbox".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => {
                        let _ = ready_tx.send(Ok(()));
                        l
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let serve =
                    axum::serve(listener, app(sandbox)).with_graceful_shutdown(async move {
                        let _ = shutdown_rx.await;
                    });
                // only an explicit abort (from `shutdown` after its 5 s) cuts requests short:
                // a dropped `Running` drops the abort sender too, and then the graceful
                // shutdown it asked for goes on
                tokio::select! {
                    result = serve => {
                        if let Err(e) = result {
                            tracing::error!("sandbox server stopped: {e}");
                        }
                    }
                    Ok(()) = abort_rx => {}
                }
            });
            // the runtime (and any request still in it) is dropped before `done` is sent
            drop(runtime);
            let _ = done_tx.send(());
        })
        .map_err(bind)?;
    ready_rx
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("the server thread ended")))
        .map_err(bind)?;
    Ok(Running {
        addr: local,
        base_url: format!("http://{local}/"),
        shutdown: Some(shutdown_tx),
        abort: Some(abort_tx),
        done: Some(done_rx),
    })
}
