//! `lab-sandbox serve --addr 127.0.0.1:0 --data-dir DIR [--seed FILE] [--demo] ...`

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lab_sandbox::{Config, FaultSpec, Sandbox, seed::Seed};

#[derive(Parser, Debug)]
#[command(
    name = "lab-sandbox",
    version,
    about = "A local isahit lab for Lab Desk and its tests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the lab API until interrupted.
    Serve(ServeArgs),
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Directory for the database and uploaded files (created if missing).
    #[arg(long)]
    data_dir: PathBuf,
    /// JSON seed file applied at start (idempotent).
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Load the demo workspace (credentials demo/demo).
    #[arg(long)]
    demo: bool,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    token_ttl: u64,
    /// Faults to inject, e.g. "5xx=0.1,429=0.05,reset=0.02,latency=20ms".
    #[arg(long)]
    faults: Option<FaultSpec>,
    /// Seed of the fault generator.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Append one JSON line per request to this file.
    #[arg(long)]
    request_log: Option<PathBuf>,
    /// Allow listening on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// Serve only the routes of the wire contract: no file download extension
    /// (api/file-manager/files/{id}/content answers 404, as on the real lab).
    #[arg(long)]
    contract_only: bool,
    /// Compress answers with gzip or zstd when the client accepts it (Accept-Encoding), as
    /// a web server in front of the real lab may do. Off by default.
    #[arg(long)]
    compress: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LAB_SANDBOX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let Command::Serve(args) = cli.command;
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("lab-sandbox: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    if !args.addr.ip().is_loopback() && !args.allow_remote {
        return Err(format!(
            "refusing to listen on {}: it is not a loopback address. Use --addr 127.0.0.1:PORT, or pass --allow-remote to expose the sandbox to the network",
            args.addr
        ));
    }
    let mut config = Config::new(&args.data_dir);
    config.token_ttl = Duration::from_secs(args.token_ttl);
    config.faults = args.faults.unwrap_or_default();
    config.fault_seed = args.fault_seed;
    config.request_log = args.request_log.clone();
    config.allow_remote = args.allow_remote;
    config.contract_only = args.contract_only;
    config.compress = args.compress;
    let seed = match &args.seed {
        Some(p) => Some(Seed::from_file(p).map_err(|e| format!("cannot read the seed: {e}"))?),
        None => None,
    };
    let sandbox = Sandbox::open(config)
        .map_err(|e| format!("cannot open the data dir {}: {e}", args.data_dir.display()))?;
    if let Some(seed) = &seed {
        sandbox
            .apply_seed(seed)
            .map_err(|e| format!("cannot apply the seed: {e}"))?;
    }
    if args.demo {
        sandbox
            .load_demo()
            .map_err(|e| format!("cannot load the demo: {e}"))?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async move {
        let running = lab_sandbox::start(sandbox, args.addr)
            .await
            .map_err(|e| e.to_string())?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {}", running.base_url)
                .and_then(|_| out.flush())
                .map_err(|e| format!("cannot write to stdout: {e}"))?;
        }
        shutdown_signal().await;
        running.shutdown().await;
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
