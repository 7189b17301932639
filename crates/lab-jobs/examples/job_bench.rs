//! The window's create job engine from a terminal, for the network bench (bench/network):
//! the same `Journal` + `run_create_job` the desktop app runs, its journal in a folder given.
//!
//! ```text
//! ISAHIT_LAB_API_ENDPOINT=… ISAHIT_LAB_API_ACCESS_ID=… ISAHIT_LAB_API_SECRET_KEY=… \
//!   job_bench --project P --batch B --journal-dir DIR [--concurrency 32] FILE_OR_FOLDER…
//! ```
//! Prints one JSON line: the job's counts, the progress events received, the journal's item
//! write transactions and the seconds taken (journal creation included).

use std::path::PathBuf;
use std::time::Instant;

use lab_client::{
    CancellationToken, ClientOptions, Credentials, DuplicatePolicy, LabClient, TaskInput,
};
use lab_jobs::{Journal, RunOptions, run_create_job};

fn usage() -> ! {
    eprintln!(
        "usage: job_bench --project P --batch B --journal-dir DIR [--concurrency N] FILE_OR_FOLDER…"
    );
    std::process::exit(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (mut project, mut batch, mut dir, mut conc) = (None, None, None, 32usize);
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--project" => project = Some(value()),
            "--batch" => batch = Some(value()),
            "--journal-dir" => dir = Some(PathBuf::from(value())),
            "--concurrency" => conc = value().parse().unwrap_or_else(|_| usage()),
            _ if a.starts_with("--") => usage(),
            _ => paths.push(PathBuf::from(a)),
        }
    }
    let (Some(project), Some(batch), Some(dir)) = (project, batch, dir) else {
        usage()
    };
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let client = LabClient::new(
        &env("ISAHIT_LAB_API_ENDPOINT"),
        Credentials::new(
            env("ISAHIT_LAB_API_ACCESS_ID"),
            env("ISAHIT_LAB_API_SECRET_KEY"),
        ),
        ClientOptions::default(),
    )
    .expect("client");
    let started = Instant::now();
    let tasks = TaskInput::from_files(&paths).expect("files");
    let journal = Journal::open(&dir).expect("journal");
    let job = journal
        .create_job(&project, &batch, DuplicatePolicy::Refuse, &tasks)
        .expect("job recorded");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let events = tokio::spawn(async move {
        let mut n = 0u64;
        while rx.recv().await.is_some() {
            n += 1;
        }
        n
    });
    let report = run_create_job(
        &client,
        &journal,
        &job.id,
        Some(tx),
        CancellationToken::new(),
        CancellationToken::new(),
        RunOptions {
            concurrency: conc,
            validate_data: true,
        },
    )
    .await;
    let secs = started.elapsed().as_secs_f64();
    let events = events.await.unwrap_or(0);
    match report {
        Ok(r) => {
            let c = r.job.counts;
            println!(
                "{}",
                serde_json::json!({
                    "tasks": c.total, "done": c.done, "failed": c.failed, "skipped": c.skipped,
                    "pending": c.pending, "progress_events": events,
                    "journal_writes": journal.item_write_transactions(), "seconds": secs,
                })
            );
            if c.done != c.total {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("job_bench: {e}");
            std::process::exit(1);
        }
    }
}
