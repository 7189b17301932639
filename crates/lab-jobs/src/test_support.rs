//! Shared test helpers: a lab-sandbox on 127.0.0.1:0 with a rectangle project.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use lab_client::{ClientOptions, Credentials, LabClient, TaskFilter};
use lab_sandbox::{Config, FaultSpec, Running, Sandbox, seed::Seed};
use serde_json::json;

pub const PROJECT: &str = "p-rect";
pub const BATCH: &str = "b-rect";
pub const EMPTY_BATCH: &str = "b-empty";

pub struct Lab {
    pub base_url: String,
    pub client: LabClient,
    _running: Option<Running>,
    _dir: tempfile::TempDir,
}

/// Task creations seen by a gated sandbox; the response of every creation after the first
/// `hold_after` ones is held forever (the task exists, the client never hears it), until
/// `release`.
pub struct Gate {
    pub created: AtomicUsize,
    hold_after: AtomicUsize,
}

impl Gate {
    pub fn release(&self) {
        self.hold_after.store(usize::MAX, Ordering::SeqCst);
    }
}

async fn gate_layer(State(g): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let create = req.method() == axum::http::Method::POST
        && path.starts_with("/api/task-manager/batches/")
        && path.ends_with("/tasks");
    let resp = next.run(req).await;
    if create && resp.status().is_success() {
        let n = g.created.fetch_add(1, Ordering::SeqCst) + 1;
        if n > g.hold_after.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    }
    resp
}

/// A sandbox whose task creations pass through a [`Gate`].
pub async fn gated_lab(hold_after: usize) -> (Lab, Arc<Gate>) {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox(dir.path(), Duration::from_millis(5));
    let gate = Arc::new(Gate {
        created: AtomicUsize::new(0),
        hold_after: AtomicUsize::new(hold_after),
    });
    let router = lab_sandbox::app(sb).layer(axum::middleware::from_fn_with_state(
        gate.clone(),
        gate_layer,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let lab = Lab {
        client: client(&base_url),
        base_url,
        _running: None,
        _dir: dir,
    };
    (lab, gate)
}

pub async fn lab(latency: Duration) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox(dir.path(), latency);
    let running = lab_sandbox::start(sb, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    Lab {
        client: client(&running.base_url),
        base_url: running.base_url.clone(),
        _running: Some(running),
        _dir: dir,
    }
}

fn sandbox(dir: &Path, latency: Duration) -> Sandbox {
    let mut cfg = Config::new(dir.join("sandbox"));
    cfg.faults = FaultSpec {
        latency,
        ..FaultSpec::default()
    };
    let sb = Sandbox::open(cfg).unwrap();
    let seed: Seed = serde_json::from_value(json!({
        "credentials": [{"access_id": "id", "secret_key": "secret"}],
        "projects": [{"_id": PROJECT, "name": "Rectangles", "projectType": "iat-rectangle",
            "configuration": {"metadata": {"labelOptions": {
                "mainLists": [{"name": "Objects", "keys": ["objects"]}],
                "availableLabels": {"objects": [{"id": "car", "name": "Car", "color": "#ff0000"}]}}}},
            "batches": [
                {"_id": BATCH, "name": "first", "tasks": [
                    {"_id": "t1", "name": "alpha.png", "resources": ["https://example.invalid/a.png"]}]},
                {"_id": EMPTY_BATCH, "name": "empty"}
            ]}]
    }))
    .unwrap();
    sb.apply_seed(&seed).unwrap();
    sb
}

pub fn client(url: &str) -> LabClient {
    LabClient::new(
        url,
        Credentials {
            access_id: "id".into(),
            secret_key: "secret".into(),
        },
        ClientOptions::default(),
    )
    .unwrap()
}

/// A small real PNG (`w`×`h`).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// `n` PNG files `img-0000.png`… in `dir`.
pub fn png_files(dir: &Path, n: usize) -> Vec<std::path::PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let bytes = png(4, 3);
    (0..n)
        .map(|i| {
            let p = dir.join(format!("img-{i:04}.png"));
            std::fs::write(&p, &bytes).unwrap();
            p
        })
        .collect()
}

/// Names of the tasks of a batch (with repeats).
pub async fn batch_names(client: &LabClient, batch: &str) -> Vec<String> {
    use futures::StreamExt;
    let filter = TaskFilter {
        project_id: PROJECT.into(),
        batch_ids: vec![batch.into()],
        ..TaskFilter::default()
    };
    let mut pages = std::pin::pin!(client.task_pages(filter));
    let mut names = Vec::new();
    while let Some(p) = pages.next().await {
        for t in p.unwrap().tasks {
            names.push(t["name"].as_str().unwrap().to_string());
        }
    }
    names.sort();
    names
}
