//! lab-client against a real lab-sandbox on 127.0.0.1:0.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use lab_client::ops::{self, TaskInput};
use lab_client::{
    CancellationToken, ClientOptions, Compatibility, CreateOptions, Credentials, DateRange,
    DuplicatePolicy, ErrorKind, LabClient, OutcomeStatus, ProjectFilter, PropertiesUpdate,
    TaskFilter,
};
use lab_sandbox::{Config, FaultSpec, Running, Sandbox, seed::Seed};
use serde_json::{Value, json};

const RECT: &str = "p-rect";
const FORM: &str = "p-form";
const B1: &str = "b-rect-1";
const B2: &str = "b-rect-2";
const BE: &str = "b-rect-empty";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn labels() -> Value {
    json!({
        "mainLists": [{"name": "Objects", "keys": ["objects"]}],
        "availableLabels": {"objects": [
            {"id": "car", "name": "Car", "color": "#ff0000", "bChannel": 1},
            {"id": "person", "name": "Person", "color": "#00ff00", "bChannel": 2}
        ]}
    })
}

fn rect(label: &str, v: [f64; 4]) -> Value {
    json!({"image": {"width": 40, "height": 30}, "annotations": [{
        "labels": {"Objects": {"labels": [{"id": label, "name": label}]}},
        "polygons": [{"geometry": {"type": "rectangle", "vertices": v}}]}]})
}

fn seed() -> Seed {
    let many: Vec<Value> = (0..250)
        .map(|i| json!({"name": format!("bulk-{i:03}"), "resources": ["https://example.invalid/x.png"]}))
        .collect();
    serde_json::from_value(json!({
        "credentials": [{"access_id": "id", "secret_key": "secret"}],
        "projects": [
            {"_id": RECT, "name": "Rectangles", "projectType": "iat-rectangle",
             "configuration": {"metadata": {"labelOptions": labels()}},
             "batches": [
                {"_id": B1, "name": "first", "tasks": [
                    {"_id": "t1", "name": "alpha.png", "status": "pending",
                     "properties": {"score": 1}, "data": rect("car", [0.1, 0.1, 0.2, 0.2]),
                     "createdAt": "2023-01-01T10:00:00.000Z", "updatedAt": "2023-06-01T10:00:00.000Z"},
                    {"_id": "t2", "name": "beta.png", "status": "complete",
                     "properties": {"score": 2, "custom": {"team": "x"}},
                     "data": rect("car", [0.1, 0.1, 0.2, 0.2]), "body": rect("person", [0.3, 0.3, 0.4, 0.4]),
                     "createdAt": "2024-01-01T10:00:00.000Z", "updatedAt": "2024-06-01T10:00:00.000Z"},
                    {"_id": "t3", "name": "gamma.jpg", "status": "to-review",
                     "createdAt": "2025-01-01T10:00:00.000Z", "updatedAt": "2025-06-01T10:00:00.000Z"}
                ]},
                {"_id": B2, "name": "second", "tasks": many},
                {"_id": BE, "name": "empty"}
             ]},
            {"_id": FORM, "name": "Form", "projectType": "form",
             "configuration": {"metadata": {"inputsLayout": [[[
                {"id": "title", "type": "display-title", "static": true, "submit": false},
                {"id": "comment", "type": "text"},
                {"id": "count", "type": "number"}
             ]]]}},
             "batches": [{"_id": "b-form", "name": "forms"}]}
        ]
    }))
    .expect("seed")
}

struct World {
    _dir: tempfile::TempDir,
    running: Running,
    log: std::path::PathBuf,
}

impl World {
    async fn new(faults: FaultSpec, ttl: Duration) -> Self {
        Self::with(faults, ttl, false).await
    }

    async fn with(faults: FaultSpec, ttl: Duration, compress: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        let mut cfg = Config::new(dir.path().join("data"));
        cfg.faults = faults;
        cfg.token_ttl = ttl;
        cfg.request_log = Some(log.clone());
        cfg.compress = compress;
        let sb = Sandbox::open(cfg).unwrap();
        sb.apply_seed(&seed()).unwrap();
        let running = lab_sandbox::start(sb, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Self {
            _dir: dir,
            running,
            log,
        }
    }

    async fn plain() -> Self {
        Self::new(FaultSpec::default(), Duration::from_secs(3600)).await
    }

    fn client(&self) -> LabClient {
        self.client_with(ClientOptions::default())
    }

    fn client_with(&self, opts: ClientOptions) -> LabClient {
        LabClient::new(
            &self.running.base_url,
            Credentials::new("id", "secret"),
            opts,
        )
        .unwrap()
    }

    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn count(&self, method: &str, suffix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r["method"] == method && r["path"].as_str().unwrap_or("").ends_with(suffix))
            .count()
    }
}

async fn all(client: &LabClient, f: TaskFilter) -> Vec<Value> {
    let mut out = Vec::new();
    let mut pages = std::pin::pin!(client.task_pages(f));
    while let Some(p) = pages.next().await {
        out.extend(p.unwrap().tasks);
    }
    out
}

async fn names(client: &LabClient, f: TaskFilter) -> Vec<String> {
    let mut n: Vec<String> = all(client, f)
        .await
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

fn in_batch(b: &str) -> TaskFilter {
    TaskFilter {
        project_id: RECT.into(),
        batch_ids: vec![b.into()],
        ..TaskFilter::default()
    }
}

#[tokio::test]
async fn projects_batches_and_configuration() {
    let w = World::plain().await;
    let c = w.client();
    c.check().await.unwrap();
    let ps = c.projects(&ProjectFilter::default()).await.unwrap();
    assert_eq!(ps.len(), 2);
    let only = c
        .projects(&ProjectFilter {
            types: vec!["form".into()],
            ..ProjectFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].id, FORM);
    assert_eq!(c.project(RECT).await.unwrap().name, "Rectangles");
    assert_eq!(
        c.project("nope").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let cfg = c.project_configuration(RECT).await.unwrap();
    assert_eq!(cfg.project_type, "iat-rectangle");
    assert_eq!(cfg.labels().len(), 2);
    let bs = c.batches(RECT, &Default::default()).await.unwrap();
    assert_eq!(bs.len(), 3);
    let b = c.create_batch(RECT, "new one").await.unwrap();
    assert_eq!(c.batch(&b.id).await.unwrap().name, "new one");
    c.delete_batch(&b.id).await.unwrap();
    assert_eq!(
        c.batch(&b.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn wrong_credentials_are_an_auth_error() {
    let w = World::plain().await;
    let c = LabClient::new(
        &w.running.base_url,
        Credentials::new("id", "wrong"),
        ClientOptions::default(),
    )
    .unwrap();
    let e = c.check().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.to_string().contains("access id"), "{e}");
}

#[tokio::test]
async fn offline_endpoint_is_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = LabClient::new(
        &format!("http://{addr}/"),
        Credentials::new("id", "secret"),
        ClientOptions {
            max_retries: 1,
            min_backoff: Duration::from_millis(1),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    assert_eq!(c.check().await.unwrap_err().kind(), ErrorKind::Offline);
}

#[tokio::test]
async fn each_filter_narrows() {
    let w = World::plain().await;
    let c = w.client();
    let base = in_batch(B1);
    assert_eq!(
        names(&c, base.clone()).await,
        ["alpha.png", "beta.png", "gamma.jpg"]
    );
    let cases: Vec<(TaskFilter, Vec<&str>)> = vec![
        (
            TaskFilter {
                statuses: vec!["complete".into(), "to-review".into()],
                ..base.clone()
            },
            vec!["beta.png", "gamma.jpg"],
        ),
        (
            TaskFilter {
                task_ids: vec!["t1".into(), "t3".into()],
                ..base.clone()
            },
            vec!["alpha.png", "gamma.jpg"],
        ),
        (
            TaskFilter {
                names: vec!["beta.png".into()],
                ..base.clone()
            },
            vec!["beta.png"],
        ),
        (
            TaskFilter {
                name_like: Some("^(al|ga)".into()),
                ..base.clone()
            },
            vec!["alpha.png", "gamma.jpg"],
        ),
        (
            TaskFilter {
                properties: vec![("score".into(), "2".into())],
                ..base.clone()
            },
            vec!["beta.png"],
        ),
        (
            TaskFilter {
                created_at: DateRange {
                    gte: Some("2024-01-01 10:00:00".into()),
                    ..DateRange::default()
                },
                ..base.clone()
            },
            vec!["beta.png", "gamma.jpg"],
        ),
        (
            TaskFilter {
                created_at: DateRange {
                    gt: Some("2024-01-01 10:00:00".into()),
                    ..DateRange::default()
                },
                ..base.clone()
            },
            vec!["gamma.jpg"],
        ),
        (
            TaskFilter {
                created_at: DateRange {
                    lte: Some("2024-01-01 10:00:00".into()),
                    ..DateRange::default()
                },
                ..base.clone()
            },
            vec!["alpha.png", "beta.png"],
        ),
        (
            TaskFilter {
                updated_at: DateRange {
                    lt: Some("2024-06-01 10:00:00".into()),
                    ..DateRange::default()
                },
                ..base.clone()
            },
            vec!["alpha.png"],
        ),
        (
            TaskFilter {
                batch_ids: vec![B1.into(), B2.into()],
                names: vec!["alpha.png".into(), "bulk-007".into()],
                ..base.clone()
            },
            vec!["alpha.png", "bulk-007"],
        ),
    ];
    for (f, want) in cases {
        assert_eq!(names(&c, f.clone()).await, want, "filter {f:?}");
        assert_eq!(c.count_tasks(&f).await.unwrap(), want.len() as u64);
    }
    // data filter on the merged body
    let with_data = TaskFilter {
        optional_fields: vec!["data".into()],
        data: vec![("image.width".into(), "40".into())],
        ..base.clone()
    };
    assert_eq!(names(&c, with_data).await, ["alpha.png", "beta.png"]);
}

#[tokio::test]
async fn pages_stream_in_order_with_counts() {
    let w = World::plain().await;
    let c = w.client();
    let mut pages = std::pin::pin!(c.task_pages(in_batch(B2)));
    let mut seen = Vec::new();
    let mut loaded = Vec::new();
    while let Some(p) = pages.next().await {
        let p = p.unwrap();
        assert_eq!(p.total, 250);
        loaded.push(p.loaded);
        seen.extend(
            p.tasks
                .into_iter()
                .map(|t| t["_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(loaded, [100, 200, 250]);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 250);
    // no sleeps: three list calls only
    assert_eq!(w.count("GET", "/api/task-manager/tasks"), 3);
    // same order as a one-page-at-a-time walk
    let seq = w.client_with(ClientOptions {
        page_concurrency: 1,
        ..ClientOptions::default()
    });
    let ids: Vec<String> = all(&seq, in_batch(B2))
        .await
        .iter()
        .map(|t| t["_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, seen);
}

#[tokio::test]
async fn long_id_and_name_lists_are_sent_in_parts() {
    let w = World::plain().await;
    let c = w.client();
    let tasks = all(&c, in_batch(B2)).await;
    assert_eq!(tasks.len(), 250);
    let mut ids: Vec<String> = tasks
        .iter()
        .map(|t| t["_id"].as_str().unwrap().to_string())
        .collect();
    // 249 real ids, repeated once each in part, plus 30 that match nothing
    ids.pop();
    let mut asked = ids.clone();
    asked.extend(ids[..40].iter().cloned());
    asked.extend((0..30).map(|i| format!("0000000000000000000000{i:02}")));
    let before = w.count("GET", "/api/task-manager/tasks");
    let f = TaskFilter {
        project_id: RECT.into(),
        task_ids: asked.clone(),
        ..TaskFilter::default()
    };
    let mut pages = std::pin::pin!(c.task_pages(f.clone()));
    let mut seen = Vec::new();
    let mut last = (0, 0);
    while let Some(p) = pages.next().await {
        let p = p.unwrap();
        assert!(p.loaded <= p.total, "loaded {} of {}", p.loaded, p.total);
        last = (p.loaded, p.total);
        seen.extend(
            p.tasks
                .into_iter()
                .map(|t| t["_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(last, (249, 249), "the last page's total is exact");
    assert_eq!(seen.len(), 249, "each task once");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        ids.iter().collect::<HashSet<_>>()
    );
    // 279 unique ids: three requests of at most 100 ids each
    let listed = w.count("GET", "/api/task-manager/tasks") - before;
    assert_eq!(listed, 3);
    assert!(
        w.requests()
            .iter()
            .filter(|r| r["path"]
                .as_str()
                .unwrap_or("")
                .ends_with("/api/task-manager/tasks"))
            .all(|r| r["query"].as_array().is_some_and(|q| q
                .iter()
                .filter(|kv| kv[0] == "taskIds")
                .count()
                <= 100)),
        "a request carried more than 100 ids"
    );
    assert_eq!(c.count_tasks(&f).await.unwrap(), 249);

    // names: 6,000 names (more than the sandbox's 5,000 values), 250 of them real
    let mut names_asked: Vec<String> = tasks
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names_asked.extend((0..5750).map(|i| format!("no such task {i}")));
    let f = TaskFilter {
        project_id: RECT.into(),
        names: names_asked,
        ..TaskFilter::default()
    };
    assert_eq!(all(&c, f.clone()).await.len(), 250);
    assert_eq!(c.count_tasks(&f).await.unwrap(), 250);
}

#[tokio::test]
async fn views_of_listed_tasks() {
    let w = World::plain().await;
    let c = w.client();
    let cfg = c.project_configuration(RECT).await.unwrap();
    let f = TaskFilter {
        task_ids: vec!["t2".into()],
        optional_fields: vec!["data".into()],
        ..in_batch(B1)
    };
    let t = &all(&c, f).await[0];
    let lab = lab_client::view::lab_view(t, &Default::default());
    assert_eq!(
        lab["data"]["annotations"][0]["labels"]["Objects"]["labels"][0]["id"],
        "person"
    );
    let kili = lab_client::view::kili_view(t, &cfg).unwrap();
    assert_eq!(kili["status"], "LABELED");
    assert_eq!(kili["externalId"], "beta.png");
}

fn png_dir(n: usize) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for i in 0..n {
        std::fs::write(d.path().join(format!("img-{i}.png")), PNG).unwrap();
    }
    std::fs::write(d.path().join(".DS_Store"), b"junk").unwrap();
    d
}

#[tokio::test]
async fn create_with_files_urls_data_and_policies() {
    let w = World::plain().await;
    let c = w.client();
    let dir = png_dir(2);
    let mut tasks = TaskInput::from_files(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(tasks.len(), 2);
    tasks.push(TaskInput {
        name: "remote".into(),
        resources: Some(vec!["https://example.invalid/r.png".into()]),
        data: Some(rect("car", [0.1, 0.2, 0.3, 0.4])),
        properties: Some(json!({"score": 4})),
        ..TaskInput::default()
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let r = ops::create_tasks(
        &c,
        RECT,
        BE,
        tasks.clone(),
        CreateOptions::default(),
        Some(tx),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        (r.created, r.skipped, r.failed, r.cancelled),
        (3, 0, 0, false)
    );
    assert!(r.outcomes.iter().all(|o| o.id.is_some()));
    let mut last = None;
    while let Ok(p) = rx.try_recv() {
        last = Some(p);
    }
    let last = last.unwrap();
    assert_eq!((last.done, last.total), (3, 3));
    assert_eq!(last.bytes_sent, 2 * PNG.len() as u64);
    assert_eq!(w.count("POST", "/api/file-manager/files"), 2);
    assert_eq!(w.count("POST", "/api/file-manager/grant/files"), 2);
    assert_eq!(w.count("POST", "/api/data-manager/import-data/json"), 1);

    // the data was prepared (text and colour from the labels) and stored
    let f = TaskFilter {
        names: vec!["remote".into()],
        optional_fields: vec!["data".into()],
        ..in_batch(BE)
    };
    let t = &all(&c, f).await[0];
    let v = lab_client::view::lab_view(t, &Default::default());
    assert_eq!(v["data"]["annotations"][0]["text"], "Car");
    assert_eq!(v["data"]["annotations"][0]["color"], "#ff0000");
    assert_eq!(t["properties"]["score"], 4);

    // refuse: nothing created, message names the duplicate
    let before = c.count_tasks(&in_batch(BE)).await.unwrap();
    let again = vec![
        tasks[2].clone(),
        TaskInput {
            name: "fresh".into(),
            ..TaskInput::default()
        },
    ];
    let e = ops::create_tasks(
        &c,
        RECT,
        BE,
        again.clone(),
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.to_string().contains("remote"), "{e}");
    assert_eq!(c.count_tasks(&in_batch(BE)).await.unwrap(), before);

    // skip existing
    let opts = CreateOptions {
        duplicates: DuplicatePolicy::SkipExisting,
        ..CreateOptions::default()
    };
    let r = ops::create_tasks(
        &c,
        RECT,
        BE,
        again.clone(),
        opts,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.outcomes[0].status, OutcomeStatus::Skipped);
    assert_eq!(r.outcomes[1].status, OutcomeStatus::Ok);
    assert_eq!(c.count_tasks(&in_batch(BE)).await.unwrap(), before + 1);

    // insert anyway
    let opts = CreateOptions {
        duplicates: DuplicatePolicy::InsertAnyway,
        ..CreateOptions::default()
    };
    let r = ops::create_tasks(
        &c,
        RECT,
        BE,
        vec![again[1].clone()],
        opts,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.created, 1);
    assert_eq!(
        names(
            &c,
            TaskFilter {
                names: vec!["fresh".into()],
                ..in_batch(BE)
            }
        )
        .await
        .len(),
        2
    );

    // names repeated in the request are refused before any call
    let n = w.requests().len();
    let twice = vec![
        TaskInput {
            name: "x".into(),
            ..TaskInput::default()
        };
        2
    ];
    let e = ops::create_tasks(
        &c,
        RECT,
        BE,
        twice,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("more than once"), "{e}");
    assert!(
        w.requests()[n..].iter().all(|r| r["method"] == "GET"),
        "only preflight reads"
    );
}

#[tokio::test]
async fn invalid_data_and_missing_files_create_nothing() {
    let w = World::plain().await;
    let c = w.client();
    let bad = vec![
        TaskInput {
            name: "ok".into(),
            data: Some(rect("car", [0.1, 0.1, 0.2, 0.2])),
            ..TaskInput::default()
        },
        TaskInput {
            name: "bad".into(),
            data: Some(rect("car", [0.1, 0.1, 1.2, 0.2])),
            ..TaskInput::default()
        },
    ];
    let e = ops::create_tasks(
        &c,
        RECT,
        BE,
        bad.clone(),
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(
        e.to_string().contains("bad")
            && e.to_string()
                .contains("/annotations/0/polygons/0/geometry/vertices/2"),
        "{e}"
    );
    let missing = vec![TaskInput {
        name: "m".into(),
        resources: Some(vec!["/no/such/file.png".into()]),
        ..TaskInput::default()
    }];
    let e = ops::create_tasks(
        &c,
        RECT,
        BE,
        missing,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(c.count_tasks(&in_batch(BE)).await.unwrap(), 0);
    // without data check the out-of-range vertex goes through
    let opts = CreateOptions {
        validate_data: false,
        ..CreateOptions::default()
    };
    let r = ops::create_tasks(&c, RECT, BE, bad, opts, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(r.created, 2);
    // form data is checked against the layout
    let form = vec![TaskInput {
        name: "f".into(),
        data: Some(json!({"title": "static"})),
        ..TaskInput::default()
    }];
    let e = ops::create_tasks(
        &c,
        FORM,
        "b-form",
        form,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    let form = vec![TaskInput {
        name: "f".into(),
        data: Some(json!({"comment": "hi", "count": 2})),
        ..TaskInput::default()
    }];
    let r = ops::create_tasks(
        &c,
        FORM,
        "b-form",
        form,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.created, 1);
}

#[tokio::test]
async fn kili_input_with_absolute_vertices() {
    let w = World::plain().await;
    let c = w.client();
    let t = vec![TaskInput {
        name: "kili".into(),
        resources: Some(vec!["https://example.invalid/k.png".into()]),
        data: Some(json!({"resolution": {"width": 40, "height": 30},
            "OBJECT_DETECTION_JOB": {"annotations": [{"categories": [{"name": "person"}],
              "boundingPoly": [{"vertices": [{"x": 4, "y": 3}, {"x": 20, "y": 3}, {"x": 20, "y": 15}, {"x": 4, "y": 15}]}]}]}})),
        ..TaskInput::default()
    }];
    let opts = CreateOptions {
        compatibility: Compatibility::Kili,
        ..CreateOptions::default()
    };
    let r = ops::create_tasks(&c, RECT, BE, t, opts, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(r.created, 1);
    let f = TaskFilter {
        optional_fields: vec!["data".into()],
        ..in_batch(BE)
    };
    let v = lab_client::view::lab_view(&all(&c, f).await[0], &Default::default());
    let a = &v["data"]["annotations"][0];
    assert_eq!(
        a["polygons"][0]["geometry"]["vertices"],
        json!([0.1, 0.1, 0.5, 0.5])
    );
    assert_eq!(a["text"], "Person");
}

#[tokio::test]
async fn properties_redo_review() {
    let w = World::plain().await;
    let c = w.client();
    let ids = vec!["t1".to_string(), "t2".into(), "t1".into()];
    let props = PropertiesUpdate::from_json(&json!({"score": 5, "custom": {"team": "y"}})).unwrap();
    let r = ops::update_properties(&c, RECT, ids.clone(), props, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(r.outcomes.len(), 2, "ids de-duplicated");
    assert_eq!(r.succeeded, 2);
    let f = TaskFilter {
        task_ids: vec!["t1".into(), "t2".into()],
        optional_fields: vec!["data".into()],
        ..in_batch(B1)
    };
    for t in all(&c, f.clone()).await {
        assert_eq!(t["properties"]["score"], 5);
        assert_eq!(t["properties"]["custom"]["team"], "y");
    }
    // redo keeping the state, then with reset: initial data restored
    let r = ops::redo(
        &c,
        RECT,
        vec!["t2".into()],
        false,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.succeeded, 1);
    let t2 = |ts: Vec<Value>| ts.into_iter().find(|t| t["_id"] == "t2").unwrap();
    let kept = t2(all(&c, f.clone()).await);
    assert_eq!(kept["status"], "pending");
    assert_eq!(
        kept["data"]["body"]["annotations"][0]["labels"]["Objects"]["labels"][0]["id"],
        "person"
    );
    ops::redo(
        &c,
        RECT,
        vec!["t2".into()],
        true,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let reset = t2(all(&c, f.clone()).await);
    let merged = lab_client::view::lab_view(&reset, &Default::default());
    assert_eq!(
        merged["data"]["annotations"][0]["labels"]["Objects"]["labels"][0]["id"],
        "car"
    );
    // review; an unknown id fails alone
    let r = ops::review(
        &c,
        RECT,
        vec!["t1".into(), "missing".into()],
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!((r.succeeded, r.failed), (1, 1));
    assert_eq!(
        r.outcomes[1].error.as_ref().unwrap().kind,
        ErrorKind::NotFound
    );
    let t1 = all(
        &c,
        TaskFilter {
            task_ids: vec!["t1".into()],
            ..in_batch(B1)
        },
    )
    .await;
    assert_eq!(t1[0]["status"], "to-review");
    // unknown property keys refused before any call
    assert!(PropertiesUpdate::from_json(&json!({"status": "x"})).is_err());
}

#[tokio::test]
async fn token_refresh_is_single_flight_and_early() {
    let w = World::new(FaultSpec::default(), Duration::from_secs(3600)).await;
    let c = w.client();
    let calls = (0..20).map(|_| {
        let c = c.clone();
        async move { c.count_tasks(&in_batch(B1)).await }
    });
    for r in futures::future::join_all(calls).await {
        assert_eq!(r.unwrap(), 3);
    }
    assert_eq!(
        w.count("POST", "/auth/login"),
        1,
        "one login for 20 concurrent calls"
    );

    // a token living less than the 15 s margin is renewed a third of its life before expiry,
    // not before every call, and never used expired
    let short = World::new(FaultSpec::default(), Duration::from_secs(9)).await;
    let c = short.client();
    for _ in 0..3 {
        assert_eq!(c.count_tasks(&in_batch(B1)).await.unwrap(), 3);
    }
    assert_eq!(short.count("POST", "/auth/login"), 1);
    assert!(short.requests().iter().all(|r| r["status"] != 401));
}

#[tokio::test]
async fn create_300_under_faults_is_exact() {
    let faults: FaultSpec = "5xx=0.1,429=0.05,reset=0.05".parse().unwrap();
    let w = World::new(faults, Duration::from_secs(3600)).await;
    let c = w.client_with(ClientOptions {
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_retries: 10,
        ..ClientOptions::default()
    });
    let tasks: Vec<TaskInput> = (0..300)
        .map(|i| TaskInput {
            name: format!("f-{i:03}"),
            resources: Some(vec![format!("https://example.invalid/{i}.png")]),
            data: (i % 3 == 0).then(|| rect("car", [0.1, 0.1, 0.2, 0.2])),
            ..TaskInput::default()
        })
        .collect();
    let r = ops::create_tasks(
        &c,
        RECT,
        BE,
        tasks,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        r.created,
        300,
        "failures: {:?}",
        r.outcomes
            .iter()
            .filter(|o| o.error.is_some())
            .take(3)
            .collect::<Vec<_>>()
    );
    let got = names(&c, in_batch(BE)).await;
    assert_eq!(got.len(), 300);
    assert_eq!(
        got.iter().collect::<HashSet<_>>().len(),
        300,
        "no duplicate names"
    );
    let faults = w
        .requests()
        .iter()
        .filter(|r| !r["fault"].is_null())
        .count();
    assert!(faults > 20, "the sandbox injected faults ({faults})");
    let rechecks = w
        .requests()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .unwrap_or("")
                .ends_with("/tasks-duplicate")
                && r["body"]["names"].as_array().is_some_and(|n| n.len() == 1)
        })
        .count();
    assert!(
        rechecks > 0,
        "failed creates were re-checked before posting again"
    );
}

#[tokio::test]
async fn cancellation_stops_cleanly() {
    let faults: FaultSpec = "latency=20ms".parse().unwrap();
    let w = World::new(faults, Duration::from_secs(3600)).await;
    let c = w.client();
    let tasks: Vec<TaskInput> = (0..40)
        .map(|i| TaskInput {
            name: format!("c-{i}"),
            ..TaskInput::default()
        })
        .collect();
    let cancel = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<lab_client::Progress>();
    let stopper = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                if p.done >= 3 {
                    cancel.cancel();
                }
            }
        })
    };
    let opts = CreateOptions {
        concurrency: 2,
        ..CreateOptions::default()
    };
    let r = ops::create_tasks(&c, RECT, BE, tasks, opts, Some(tx), cancel)
        .await
        .unwrap();
    stopper.await.unwrap();
    assert!(r.cancelled);
    assert!(r.created >= 3 && r.created < 40, "created {}", r.created);
    assert_eq!(
        r.created
            + r.outcomes
                .iter()
                .filter(|o| o.status == OutcomeStatus::Cancelled)
                .count() as u64,
        40
    );
    assert_eq!(c.count_tasks(&in_batch(BE)).await.unwrap(), r.created);
    // cancelled before start: refused, nothing sent
    let pre = CancellationToken::new();
    pre.cancel();
    let e = ops::create_tasks(
        &c,
        RECT,
        BE,
        vec![TaskInput {
            name: "z".into(),
            ..TaskInput::default()
        }],
        CreateOptions::default(),
        None,
        pre,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
}

#[tokio::test]
async fn uploaded_resources_can_be_fetched_for_previews() {
    let w = World::plain().await;
    let c = w.client();
    let dir = png_dir(1);
    let tasks = TaskInput::from_files(&[dir.path().to_path_buf()]).unwrap();
    ops::create_tasks(
        &c,
        RECT,
        BE,
        tasks,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let t = &all(&c, in_batch(BE)).await[0];
    let res = &t["resources"][0];
    assert_eq!(res["name"], "img-0.png");
    assert_eq!(&c.fetch_resource(res).await.unwrap()[..], PNG);
    let e = c
        .fetch_resource(&json!("resource://bucket/x.png"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn cancelled_bulk_actions_send_nothing() {
    let w = World::plain().await;
    let c = w.client();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<lab_client::Progress>();
    let r = ops::review(
        &c,
        RECT,
        vec!["t1".into(), "t2".into()],
        Some(tx),
        cancel.clone(),
    )
    .await
    .unwrap();
    assert!(r.cancelled);
    assert!(
        r.outcomes
            .iter()
            .all(|o| o.status == OutcomeStatus::Cancelled)
    );
    assert_eq!(rx.recv().await.unwrap().total, 2);
    let props = PropertiesUpdate::from_json(&json!({"score": 1})).unwrap();
    let r = ops::update_properties(&c, RECT, vec!["t1".into()], props, None, cancel.clone())
        .await
        .unwrap();
    assert!(r.cancelled);
    let r = ops::redo(&c, RECT, vec!["t1".into()], true, None, cancel)
        .await
        .unwrap();
    assert_eq!(r.succeeded, 0);
    assert_eq!(
        w.count("PATCH", "/to-review")
            + w.count("PATCH", "/properties")
            + w.count("PATCH", "/reset"),
        0
    );
}

#[tokio::test]
async fn listings_and_creates_work_with_and_without_compressed_answers() {
    let mut seen = Vec::new();
    for compress in [false, true] {
        let w = World::with(FaultSpec::default(), Duration::from_secs(3600), compress).await;
        let c = w.client();
        let tasks: Vec<TaskInput> = (0..30)
            .map(|i| TaskInput {
                name: format!("z-{i:02}"),
                resources: Some(vec![format!("https://example.invalid/{i}.png")]),
                data: Some(rect("car", [0.1, 0.1, 0.2, 0.2])),
                ..TaskInput::default()
            })
            .collect();
        let r = ops::create_tasks(
            &c,
            RECT,
            BE,
            tasks,
            CreateOptions::default(),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!(r.created, 30);
        let project = TaskFilter {
            project_id: RECT.into(),
            ..TaskFilter::default()
        };
        let mut listed: Vec<Value> = all(&c, project)
            .await
            .into_iter()
            .map(|mut t| {
                // ids and times differ between the two sandboxes
                for k in ["_id", "createdAt", "updatedAt", "batchId", "dataId"] {
                    t.as_object_mut().unwrap().remove(k);
                }
                t["data"] = Value::Null;
                t
            })
            .collect();
        listed.sort_by_key(|t| t["name"].to_string());
        let encoded: Vec<String> = w
            .requests()
            .iter()
            .filter_map(|r| r["encoding"].as_str().map(str::to_string))
            .collect();
        if compress {
            // the JSON answers came compressed (the client accepts gzip and zstd)
            assert!(encoded.len() > 30, "{} compressed answers", encoded.len());
            assert!(
                encoded.iter().all(|e| e == "zstd" || e == "gzip"),
                "{encoded:?}"
            );
        } else {
            assert!(encoded.is_empty(), "{encoded:?}");
        }
        seen.push(listed);
    }
    assert_eq!(seen[0], seen[1], "the same tasks either way");
}

#[tokio::test]
async fn adaptive_creates_under_429s_and_latency_are_exact() {
    // 429s (Retry-After 1 s) and 5 ms on every request: the adaptive limit backs off and
    // grows again; every task is created once, no request is sent twice but the refused ones
    let faults: FaultSpec = "429=0.08,latency=5ms".parse().unwrap();
    let w = World::new(faults, Duration::from_secs(3600)).await;
    let c = w.client_with(ClientOptions {
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_retries: 10,
        ..ClientOptions::default()
    });
    let files = png_dir(20);
    let mut tasks = TaskInput::from_files(&[files.path().to_path_buf()]).unwrap();
    tasks.extend((0..100).map(|i| TaskInput {
        name: format!("a-{i:03}"),
        resources: Some(vec![format!("https://example.invalid/{i}.png")]),
        data: (i % 2 == 0).then(|| rect("car", [0.1, 0.1, 0.2, 0.2])),
        ..TaskInput::default()
    }));
    let n = tasks.len();
    let before = c.overload_events();
    let r = ops::create_tasks(
        &c,
        RECT,
        BE,
        tasks,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        r.created as usize,
        n,
        "{:?}",
        r.outcomes.iter().find(|o| o.error.is_some())
    );
    let reqs = w.requests();
    let limited = reqs.iter().filter(|r| r["status"] == 429).count();
    assert!(limited > 5, "the sandbox sent 429s ({limited})");
    assert!(c.overload_events() - before >= limited as u64);
    let ok = |suffix: &str| {
        reqs.iter()
            .filter(|r| {
                r["method"] == "POST"
                    && r["status"]
                        .as_u64()
                        .is_some_and(|s| (200..300).contains(&s))
                    && r["path"].as_str().unwrap_or("").ends_with(suffix)
            })
            .count()
    };
    // exactly one accepted create per task, one upload + one grant per file, one import per data
    assert_eq!(ok(&format!("/batches/{BE}/tasks")), n);
    assert_eq!(ok("/file-manager/files"), 20);
    assert_eq!(ok("/grant/files"), 20);
    assert_eq!(ok("/import-data/json"), 50);
    let got = names(&c, in_batch(BE)).await;
    assert_eq!(got.len(), n);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), n);
}

#[tokio::test]
async fn large_files_are_streamed_and_arrive_whole() {
    let w = World::plain().await;
    let c = w.client();
    let dir = tempfile::tempdir().unwrap();
    // past the inline-read size (256 KiB): sent from disk in chunks
    let mut big = PNG.to_vec();
    big.extend((0..3 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let p = dir.path().join("big.png");
    std::fs::write(&p, &big).unwrap();
    let tasks = TaskInput::from_files(std::slice::from_ref(&p)).unwrap();
    let r = ops::create_tasks(
        &c,
        RECT,
        BE,
        tasks,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.created, 1);
    let t = &all(&c, in_batch(BE)).await[0];
    let got = c.fetch_resource(&t["resources"][0]).await.unwrap();
    assert_eq!(got.len(), big.len());
    assert!(got[..] == big[..], "the bytes uploaded are the file's");
}
