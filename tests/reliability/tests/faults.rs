//! Faults: 1,000-task create, bulk properties/redo/review and an export under
//! `5xx=0.1,429=0.05,reset=0.02` with a 5 s token TTL.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::*;
use lab_client::ops::{self, TaskInput};
use lab_client::{CancellationToken, CreateOptions, OutcomeStatus, PropertiesUpdate, TaskFilter};
use lab_export::{ExportFormat, ExportRequest};
use serde_json::{Value, json};

const N: usize = 1000;
const LOCAL: usize = 40;
const BATCH: &str = "b-faults";

fn fault_counts(reqs: &[Value]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in reqs {
        if let Some(f) = r["fault"].as_str() {
            *m.entry(f.to_string()).or_insert(0) += 1;
        }
    }
    m
}

/// Successful (not faulted, 2xx) requests.
fn ok_requests<'a>(reqs: &'a [Value], method: &str, pred: impl Fn(&str) -> bool) -> Vec<&'a Value> {
    reqs.iter()
        .filter(|r| {
            r["method"] == method
                && r["fault"].is_null()
                && r["status"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
                && pred(r["path"].as_str().unwrap_or(""))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_tasks_bulk_and_export_under_faults() {
    let faults: lab_sandbox::FaultSpec = "5xx=0.1,429=0.05,reset=0.02".parse().unwrap();
    let w = World::new(faults, Duration::from_secs(5)).await;
    let c = w.client();
    let files = tempfile::tempdir().unwrap();

    // --- create: 960 URL tasks (half with data) + 40 local files -------------------------
    let mut tasks = Vec::with_capacity(N);
    for i in 0..N {
        let resource = if i < LOCAL {
            let p = files.path().join(format!("local-{i:04}.png"));
            std::fs::write(&p, PNG).unwrap();
            p.display().to_string()
        } else {
            format!("https://example.invalid/img/{i}.png")
        };
        tasks.push(TaskInput {
            name: format!("task-{i:04}.png"),
            resources: Some(vec![resource]),
            data: (i % 2 == 0).then(|| rect("car", [0.1, 0.1, 0.3, 0.4])),
            ..TaskInput::default()
        });
    }
    let started = Instant::now();
    let r = ops::create_tasks(
        &c,
        P,
        BATCH,
        tasks,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .expect("create job accepted");
    let create_secs = started.elapsed().as_secs_f64();
    let failures: Vec<_> = r
        .outcomes
        .iter()
        .filter(|o| o.status != OutcomeStatus::Ok)
        .take(3)
        .collect();
    assert_eq!(r.created, N as u64, "every task created: {failures:?}");
    let listed = batch_tasks(&c, BATCH).await;
    let names = names_of(&listed);
    assert_eq!(names.len(), N, "exactly {N} tasks");
    assert_eq!(
        names.iter().collect::<HashSet<_>>().len(),
        N,
        "no duplicate names"
    );
    let expected: Vec<String> = (0..N).map(|i| format!("task-{i:04}.png")).collect();
    assert_eq!(names, expected);
    let with_data = listed
        .iter()
        .filter(|t| {
            let merged = lab_client::view::merge_data(
                t["data"].get("body"),
                t["data"]["metadata"].get("body"),
            );
            merged["annotations"].is_array()
        })
        .count();
    assert_eq!(with_data, N / 2, "data attached to every even task");
    let after_create = w.requests();
    let posted = ok_requests(&after_create, "POST", |p| {
        p == format!("/api/task-manager/batches/{BATCH}/tasks")
    });
    assert_eq!(posted.len(), N, "exactly one applied create per task");
    let f_create = fault_counts(&after_create);
    let logins = after_create
        .iter()
        .filter(|r| r["path"] == "/api/user-manager/auth/login")
        .count();

    // ids in name order
    let mut by_name: Vec<(String, String)> = listed
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    by_name.sort();
    let ids: Vec<String> = by_name.into_iter().map(|(_, id)| id).collect();
    let id_set: HashSet<&String> = ids.iter().collect();

    // --- bulk properties ---------------------------------------------------------------------
    let mark = w.requests().len();
    let props =
        PropertiesUpdate::from_json(&json!({"score": 7, "custom": {"run": "faults"}})).unwrap();
    let r = ops::update_properties(&c, P, ids.clone(), props, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!((r.succeeded, r.failed), (N as u64, 0));
    let reqs = w.requests();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for q in ok_requests(&reqs[mark..], "PATCH", |p| p.ends_with("/tasks/properties")) {
        for id in q["body"]["taskIds"].as_array().unwrap() {
            *seen.entry(id.as_str().unwrap().to_string()).or_insert(0) += 1;
        }
    }
    assert_eq!(seen.len(), N, "every task's properties set");
    assert!(
        seen.values().all(|&n| n == 1),
        "each task's properties applied exactly once"
    );
    let f_props = fault_counts(&reqs[mark..]);

    // --- redo (keep state) then review: one applied request per task -------------------------
    for (label, suffix) in [("redo", "/reset"), ("review", "/to-review")] {
        let t0 = Instant::now();
        let mark = w.requests().len();
        let r = if label == "redo" {
            ops::redo(&c, P, ids.clone(), false, None, CancellationToken::new()).await
        } else {
            ops::review(&c, P, ids.clone(), None, CancellationToken::new()).await
        }
        .unwrap();
        assert_eq!((r.succeeded, r.failed), (N as u64, 0), "{label}");
        let reqs = w.requests();
        let mut per: HashMap<String, usize> = HashMap::new();
        for q in ok_requests(&reqs[mark..], "PATCH", |p| p.ends_with(suffix)) {
            let id = q["path"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(4)
                .unwrap()
                .to_string();
            *per.entry(id).or_insert(0) += 1;
        }
        assert_eq!(per.len(), N, "{label}: every task reached");
        assert!(
            per.keys().all(|k| id_set.contains(k)),
            "{label}: only our tasks"
        );
        assert!(
            per.values().all(|&n| n == 1),
            "{label}: each task changed exactly once"
        );
        eprintln!(
            "{label}: {:.1}s, faults {:?}, logins {}",
            t0.elapsed().as_secs_f64(),
            fault_counts(&reqs[mark..]),
            reqs[mark..]
                .iter()
                .filter(|r| r["path"] == "/api/user-manager/auth/login")
                .count()
        );
    }

    // sandbox state: every task reviewed, properties as set, no other task touched
    let listed = batch_tasks(&c, BATCH).await;
    assert_eq!(listed.len(), N);
    for t in &listed {
        assert_eq!(t["status"], "to-review", "{}", t["name"]);
        assert_eq!(t["properties"]["score"], 7, "{}", t["name"]);
        assert_eq!(t["properties"]["custom"]["run"], "faults", "{}", t["name"]);
    }
    let main = batch_tasks(&c, B).await;
    assert_eq!(main.len(), 2);
    assert!(
        main.iter().all(|t| t["status"] != "to-review"),
        "other batches untouched"
    );

    // --- export under faults == fault-free export ----------------------------------------------
    let out = tempfile::tempdir().unwrap();
    let request = |folder: &std::path::Path, name: &str| ExportRequest {
        project_id: P.into(),
        filter: TaskFilter {
            project_id: P.into(),
            batch_ids: vec![BATCH.into()],
            ..TaskFilter::default()
        },
        format: ExportFormat::Lab,
        output_folder: Some(folder.to_path_buf()),
        output_filename: Some(name.into()),
        ..ExportRequest::default()
    };
    let mark = w.requests().len();
    let faulty = lab_export::export(
        &c,
        request(out.path(), "faulty.json"),
        None,
        CancellationToken::new(),
    )
    .await
    .expect("export under faults");
    let f_export = fault_counts(&w.requests()[mark..]);
    let twin = w.fault_free_twin().await;
    let clean_client = client_for(&twin.base_url);
    let clean = lab_export::export(
        &clean_client,
        request(out.path(), "clean.json"),
        None,
        CancellationToken::new(),
    )
    .await
    .expect("fault-free export");
    assert_eq!((faulty.tasks, clean.tasks), (N as u64, N as u64));
    let a: Value = serde_json::from_slice(&std::fs::read(&faulty.path).unwrap()).unwrap();
    let b: Value = serde_json::from_slice(&std::fs::read(&clean.path).unwrap()).unwrap();
    assert_eq!(a.as_array().map(Vec::len), Some(N), "complete export");
    assert_eq!(a, b, "export under faults identical to the fault-free one");
    // the Kili export too, and byte for byte
    assert_eq!(
        std::fs::read(&faulty.path).unwrap(),
        std::fs::read(&clean.path).unwrap(),
        "lab export byte-identical"
    );
    let kili = |name: &str| ExportRequest {
        format: ExportFormat::Kili,
        ..request(out.path(), name)
    };
    let kf = lab_export::export(&c, kili("kili-faulty.json"), None, CancellationToken::new())
        .await
        .expect("kili export under faults");
    let kc = lab_export::export(
        &clean_client,
        kili("kili-clean.json"),
        None,
        CancellationToken::new(),
    )
    .await
    .expect("fault-free kili export");
    assert_eq!((kf.tasks, kc.tasks), (N as u64, N as u64));
    assert_eq!(
        std::fs::read(&kf.path).unwrap(),
        std::fs::read(&kc.path).unwrap(),
        "kili export under faults byte-identical to the fault-free one"
    );
    assert_eq!(
        files_under(out.path()),
        [
            "clean.json",
            "clean.manifest.json",
            "faulty.json",
            "faulty.manifest.json",
            "kili-clean.json",
            "kili-clean.manifest.json",
            "kili-faulty.json",
            "kili-faulty.manifest.json"
        ],
        "no partial files left (each export with its manifest)"
    );

    let total = fault_counts(&w.requests());
    let injected: usize = total.values().sum();
    eprintln!(
        "FIGURES faults: create {create_secs:.1}s, create faults {f_create:?}, logins {logins}, \
         properties faults {f_props:?}, export faults {f_export:?}, total injected {injected} {total:?}, \
         requests {}",
        w.requests().len()
    );
    for k in ["5xx", "429", "reset"] {
        assert!(
            total.get(k).copied().unwrap_or(0) > 0,
            "the sandbox injected {k} faults"
        );
    }
}
