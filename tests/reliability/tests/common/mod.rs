//! Shared helpers: a seeded sandbox on 127.0.0.1:0, its request log, the `lab` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use futures::StreamExt;
use lab_client::{ClientOptions, Credentials, LabClient, TaskFilter};
use lab_sandbox::{Config, FaultSpec, Running, Sandbox, seed::Seed};
use serde_json::{Value, json};

pub const ACCESS_ID: &str = "rel-id";
pub const SECRET: &str = "rel-secret-3f9c2a71d6";
pub const P: &str = "p-rect";
pub const B: &str = "b-main";
pub const E: &str = "b-empty";

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

pub fn rect(label: &str, v: [f64; 4]) -> Value {
    json!({"image": {"width": 40, "height": 30}, "annotations": [{
        "labels": {"Objects": {"labels": [{"id": label, "name": label}]}},
        "polygons": [{"geometry": {"type": "rectangle", "vertices": v}}]}]})
}

pub fn seed() -> Seed {
    serde_json::from_value(json!({
        "credentials": [{"access_id": ACCESS_ID, "secret_key": SECRET}],
        "projects": [{"_id": P, "name": "Rectangles", "projectType": "iat-rectangle",
            "configuration": {"metadata": {"labelOptions": {
                "mainLists": [{"name": "Objects", "keys": ["o"]}],
                "availableLabels": {"o": [{"id": "car", "name": "Car", "color": "#ff0000", "bChannel": 1},
                                          {"id": "person", "name": "Person", "color": "#00ff00", "bChannel": 2}]}}}},
            "batches": [
                {"_id": B, "name": "main", "tasks": [
                    {"_id": "t1", "name": "one.png", "status": "complete", "properties": {"score": 1},
                     "data": rect("car", [0.1, 0.1, 0.5, 0.5])},
                    {"_id": "t2", "name": "two.png", "status": "pending"}
                ]},
                {"_id": E, "name": "empty"},
                {"_id": "b-faults", "name": "faults"},
                {"_id": "b-crash", "name": "crash"},
                {"_id": "b-names", "name": "odd names"}
            ]}]
    }))
    .expect("seed")
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub running: Running,
    pub log: PathBuf,
}

impl World {
    pub async fn new(faults: FaultSpec, ttl: Duration) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        let mut cfg = Config::new(dir.path().join("data"));
        cfg.faults = faults;
        cfg.fault_seed = 8;
        cfg.token_ttl = ttl;
        cfg.request_log = Some(log.clone());
        let sb = Sandbox::open(cfg).unwrap();
        sb.apply_seed(&seed()).unwrap();
        let running = lab_sandbox::start(sb, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Self { dir, running, log }
    }

    pub async fn plain() -> Self {
        Self::new(FaultSpec::default(), Duration::from_secs(3600)).await
    }

    /// A second, fault-free server over the same data directory.
    pub async fn fault_free_twin(&self) -> Running {
        let sb = Sandbox::open(Config::new(self.dir.path().join("data"))).unwrap();
        lab_sandbox::start(sb, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap()
    }

    pub fn url(&self) -> &str {
        &self.running.base_url
    }

    pub fn client(&self) -> LabClient {
        client_for(&self.running.base_url)
    }

    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

pub fn client_for(url: &str) -> LabClient {
    LabClient::new(
        url,
        Credentials::new(ACCESS_ID, SECRET),
        ClientOptions {
            min_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(500),
            max_retries: 10,
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

/// Every raw task of a batch.
pub async fn batch_tasks(client: &LabClient, batch: &str) -> Vec<Value> {
    let f = TaskFilter {
        project_id: P.into(),
        batch_ids: vec![batch.into()],
        optional_fields: vec!["data".into()],
        ..TaskFilter::default()
    };
    let mut out = Vec::new();
    let mut pages = std::pin::pin!(client.task_pages(f));
    while let Some(p) = pages.next().await {
        out.extend(p.expect("list tasks").tasks);
    }
    out
}

pub fn names_of(tasks: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = tasks
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect();
    n.sort();
    n
}

/// The `lab` binary: $LAB_BIN, else next to this test in the target dir
/// (built by `cargo test --workspace` / `cargo nextest run --workspace`, or `cargo build -p lab-cli`).
pub fn lab_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("LAB_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(Path::parent).unwrap();
    let bin = debug.join("lab");
    assert!(
        bin.exists(),
        "the lab binary is missing at {}: run `cargo build -p lab-cli` first (or set LAB_BIN)",
        bin.display()
    );
    bin
}

/// A throwaway activity log per sandbox (never the user's).
pub fn activity_db(url: &str) -> PathBuf {
    let port: String = url.chars().filter(char::is_ascii_digit).collect();
    std::env::temp_dir()
        .join(format!("lab-reliability-{}", std::process::id()))
        .join(format!("activity-{port}.sqlite3"))
}

pub fn lab_cmd(url: &str, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(lab_bin());
    c.args(args)
        .env("ISAHIT_LAB_API_ACCESS_ID", ACCESS_ID)
        .env("ISAHIT_LAB_API_SECRET_KEY", SECRET)
        .env("ISAHIT_LAB_API_ENDPOINT", url)
        .env("LABDESK_ACTIVITY_DB", activity_db(url))
        .env_remove("RUST_LOG");
    c
}

/// Run `lab` off the async runtime (the sandbox runs on it).
pub async fn lab(url: &str, args: &[&str]) -> Output {
    let mut c = lab_cmd(url, args);
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Files under a folder, recursively (relative paths), sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
