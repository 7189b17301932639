//! A lab-sandbox on 127.0.0.1:0 with a varied, generated project.

#![allow(dead_code)]

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use lab_client::{ClientOptions, Credentials, LabClient, TaskFilter};
use lab_sandbox::{Config, FaultSpec, Running, Sandbox, seed::Seed};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

pub const PROJECT: &str = "p-index";
pub const SECRET: &str = "s3cret-key-never-stored";

pub struct Lab {
    pub client: LabClient,
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    _running: Running,
}

impl Lab {
    /// A direct connection to the sandbox database (for changes the API cannot make).
    pub fn db(&self) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(self.dir.path().join("sandbox").join("sandbox.sqlite3"))
            .unwrap();
        c.busy_timeout(Duration::from_secs(10)).unwrap();
        c
    }

    /// Every task document of the project, as the index lists them.
    pub async fn all_docs(&self) -> std::collections::HashMap<String, Value> {
        let mut f = TaskFilter::new(PROJECT);
        f.optional_fields = lab_index::INDEX_FIELDS
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut out = std::collections::HashMap::new();
        let mut pages = std::pin::pin!(self.client.task_pages(f));
        while let Some(p) = pages.next().await {
            for t in p.unwrap().tasks {
                out.insert(t["_id"].as_str().unwrap().to_string(), t);
            }
        }
        out
    }

    /// Ids the lab answers for `filter` (listed without optional fields).
    pub async fn ids(&self, filter: TaskFilter) -> Result<Vec<String>, lab_client::Error> {
        let mut out = Vec::new();
        let mut pages = std::pin::pin!(self.client.task_pages(filter));
        while let Some(p) = pages.next().await {
            for t in p?.tasks {
                out.push(t["_id"].as_str().unwrap().to_string());
            }
        }
        Ok(out)
    }
}

pub fn client(url: &str) -> LabClient {
    LabClient::new(
        url,
        Credentials::new("id", SECRET),
        ClientOptions {
            min_backoff: Duration::from_millis(10),
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

pub async fn start(seed: &Seed, latency: Duration) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::new(dir.path().join("sandbox"));
    cfg.faults = FaultSpec {
        latency,
        ..FaultSpec::default()
    };
    let sandbox = Sandbox::open(cfg).unwrap();
    sandbox.add_credentials("id", SECRET).unwrap();
    sandbox.apply_seed(seed).unwrap();
    let running = lab_sandbox::start(sandbox.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    Lab {
        client: client(&running.base_url),
        sandbox,
        dir,
        _running: running,
    }
}

pub const STATUSES: &[&str] = &[
    "pending",
    "complete",
    "to-review",
    "reviewed",
    "configuring",
];
pub const EMAILS: &[&str] = &["alice@demo.lab", "bruno@demo.lab", "chen@demo.lab"];

/// An ISO date with milliseconds.
pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A seed of `n` varied tasks in `batches` batches (+ one empty batch) of [`PROJECT`].
pub fn varied_seed(n: usize, batches: usize, rng_seed: u64) -> Seed {
    let mut rng = ChaCha8Rng::seed_from_u64(rng_seed);
    let base = chrono::DateTime::parse_from_rfc3339("2024-03-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    // A few instants shared by many tasks, so that date bounds hit rows exactly.
    let instants: Vec<chrono::DateTime<chrono::Utc>> = (0..40)
        .map(|k| {
            let ms = if k % 4 == 0 { 250 } else { 0 };
            base + chrono::Duration::hours(k * 13) + chrono::Duration::milliseconds(ms)
        })
        .collect();
    let mut per_batch: Vec<Vec<Value>> = vec![Vec::new(); batches];
    let mut names = HashSet::new();
    for i in 0..n {
        let b = rng.random_range(0..batches);
        let mut name = match i % 5 {
            0 => format!("img_{i:04}.png"),
            1 => format!("Scan-{i}.JPG"),
            2 => format!("photo {i}.png"),
            3 => format!("café_{i}.jpeg"),
            _ => format!("shared-{}.png", (i / 5) % 20),
        };
        if !names.insert((b, name.clone())) {
            name = format!("{name}-x{i}");
            names.insert((b, name.clone()));
        }
        let created = *instants.choose(&mut rng).unwrap();
        let updated = if rng.random_bool(0.3) {
            created
        } else {
            *instants
                .iter()
                .filter(|t| **t >= created)
                .collect::<Vec<_>>()
                .choose(&mut rng)
                .unwrap()
                .to_owned()
        };
        let mut meta = Map::new();
        meta.insert(
            "source".into(),
            json!(["camera-A", "camera-B", "drone"].choose(&mut rng).unwrap()),
        );
        if rng.random_bool(0.8) {
            meta.insert(
                "weather".into(),
                [json!("sunny"), json!("rain"), Value::Null]
                    .choose(&mut rng)
                    .unwrap()
                    .clone(),
            );
        }
        meta.insert(
            "n".into(),
            if rng.random_bool(0.2) {
                json!("3")
            } else {
                json!(rng.random_range(0..5))
            },
        );
        meta.insert(
            "f".into(),
            [json!(1.5), json!(2.0), json!(0.1), json!(3)]
                .choose(&mut rng)
                .unwrap()
                .clone(),
        );
        meta.insert("flag".into(), json!(rng.random_bool(0.5)));
        meta.insert(
            "image".into(),
            json!({"width": *[320, 640].choose(&mut rng).unwrap(), "height": 240}),
        );
        if rng.random_bool(0.3) {
            meta.insert(
                "meta".into(),
                [
                    json!({"k": "x"}),
                    json!({"k": 1}),
                    json!({"k": true}),
                    json!("flat"),
                ]
                .choose(&mut rng)
                .unwrap()
                .clone(),
            );
        }
        if rng.random_bool(0.2) {
            meta.insert("tags".into(), json!(["a", "b"]));
        }
        if rng.random_bool(0.1) {
            meta.insert("empty".into(), json!(""));
        }
        if rng.random_bool(0.15) {
            meta.insert(
                "note".into(),
                [
                    json!("say \"hi\"\nnow \\ é"),
                    json!("tab\there"),
                    json!("plain"),
                ]
                .choose(&mut rng)
                .unwrap()
                .clone(),
            );
        }
        if rng.random_bool(0.15) {
            meta.insert("sp ace".into(), json!(rng.random_range(0..2)));
            meta.insert("back\\slash".into(), json!(rng.random_range(0..2)));
        }
        let meta = Value::Object(meta);
        let body = match rng.random_range(0..5) {
            0 => None,
            1 => Some(json!({"weather": "foggy", "annotations": []})),
            2 => Some(json!({"weather": null, "image": {"width": 100}, "annotations": []})),
            3 => {
                let mut b = meta.clone();
                b["source"] = json!("drone");
                b["n"] = json!(4.0);
                Some(b)
            }
            _ => Some(json!({"annotations": [], "meta": {"k": "body"}})),
        };
        let mut props = Map::new();
        match rng.random_range(0..4) {
            0 => {}
            1 => {
                props.insert("score".into(), json!(2.5));
            }
            _ => {
                props.insert("score".into(), json!(rng.random_range(0..5)));
            }
        }
        if rng.random_bool(0.4) {
            props.insert(
                "custom".into(),
                json!({
                    "priority": ([json!(1), json!(2), json!("high")].choose(&mut rng).unwrap()),
                    "source": (["x", "y"].choose(&mut rng).unwrap()),
                    "flag": rng.random_bool(0.5),
                    "n": ([json!(3), json!("3"), json!(3.5)].choose(&mut rng).unwrap()),
                }),
            );
        }
        let status = *STATUSES.choose(&mut rng).unwrap();
        let jobs = if status == "complete" || status == "reviewed" {
            json!([{"status": "complete", "state": {"completedAt": iso(updated),
                "completedBy": {"email": (EMAILS.choose(&mut rng).unwrap())}}}])
        } else {
            json!([])
        };
        let mut t = json!({"_id": format!("t{i:04}"), "name": name, "status": status,
            "resources": ["https://example.invalid/x.png"], "data": meta,
            "properties": props, "jobs": jobs,
            "createdAt": iso(created), "updatedAt": iso(updated)});
        if let Some(b) = body {
            t["body"] = b;
        }
        per_batch[b].push(t);
    }
    let mut batch_docs: Vec<Value> = per_batch
        .into_iter()
        .enumerate()
        .map(|(k, tasks)| json!({"_id": format!("b{k}"), "name": format!("Batch {k}"), "tasks": tasks}))
        .collect();
    batch_docs.push(json!({"_id": "b-empty", "name": "Empty"}));
    serde_json::from_value(json!({
        "projects": [{"_id": PROJECT, "name": "Index", "projectType": "iat-rectangle",
            "configuration": {"metadata": {"labelOptions": {"mainLists": [], "availableLabels": {}}}},
            "batches": batch_docs}]
    }))
    .unwrap()
}
