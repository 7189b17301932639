//! The activity log against a real lab-sandbox on 127.0.0.1:0: bulk changes on record, undo
//! with conflicts, undo of a create, a process killed mid-action.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use futures::TryStreamExt;
use lab_activity::{
    ActivityStore, Actor, BulkChange, BulkRun, Change, ConflictReason, CreateRecord, EntryKind,
    EntryState, Error, NotUndoable, ResultStatus, Source, Target, UndoRun, Undoability, plan_undo,
    run_bulk, undo,
};
use lab_client::{
    CancellationToken, ClientOptions, CreateOptions, Credentials, LabClient, PropertiesUpdate,
    TaskFilter, TaskInput,
};
use lab_sandbox::{Config, Sandbox, seed::Seed};
use serde_json::{Map, Value, json};

const PROJECT: &str = "p-rect";
const BATCH: &str = "b-rect";
const N: usize = 1000;

fn seed(n: usize) -> Seed {
    // Varied starting values: with and without a score, custom keys present or not, and a
    // custom key the change does not touch.
    let tasks: Vec<Value> = (0..n)
        .map(|i| {
            let mut t = json!({"_id": format!("t{i:04}"), "name": format!("img-{i:04}.png"),
                "resources": ["https://example.invalid/a.png"]});
            let props = match i % 4 {
                0 => json!({"score": i % 7, "custom": {"team": "a", "keep": i}}),
                1 => json!({"custom": {"keep": i}}),
                2 => json!({"score": 2.5}),
                _ => json!({"score": 1, "custom": {"team": "b", "new": "old"}}),
            };
            t["properties"] = props;
            t
        })
        .collect();
    serde_json::from_value(json!({
        "credentials": [{"access_id": "id", "secret_key": "secret"},
                        {"access_id": "other", "secret_key": "secret2"}],
        "projects": [{"_id": PROJECT, "name": "Rectangles", "projectType": "iat-rectangle",
            "configuration": {"metadata": {"labelOptions": {
                "mainLists": [{"name": "Objects", "keys": ["objects"]}],
                "availableLabels": {"objects": [{"id": "car", "name": "Car", "color": "#ff0000"}]}}}},
            "batches": [{"_id": BATCH, "name": "first", "tasks": tasks}]}]
    }))
    .unwrap()
}

fn sandbox(dir: &Path, n: usize) -> Sandbox {
    let sb = Sandbox::open(Config::new(dir.join("sandbox"))).unwrap();
    sb.apply_seed(&seed(n)).unwrap();
    sb
}

fn client(url: &str) -> LabClient {
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

fn actor() -> Actor {
    Actor {
        profile: "Local sandbox".into(),
        access_id: "id".into(),
        endpoint: "http://127.0.0.1/".into(),
        source: Source::Window,
    }
}

struct Env {
    client: LabClient,
    store: ActivityStore,
    _running: lab_sandbox::Running,
    _dir: tempfile::TempDir,
}

async fn env(n: usize) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let running = lab_sandbox::start(sandbox(dir.path(), n), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    Env {
        client: client(&running.base_url),
        store: ActivityStore::open(dir.path().join("app/activity.sqlite3")).unwrap(),
        _running: running,
        _dir: dir,
    }
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("t{i:04}")).collect()
}

/// Every task's properties, by id; an empty `custom` object counts as none (it holds no value).
async fn properties(client: &LabClient) -> HashMap<String, Value> {
    let pages: Vec<_> = client
        .task_pages(TaskFilter::new(PROJECT))
        .try_collect()
        .await
        .unwrap();
    pages
        .into_iter()
        .flat_map(|p| p.tasks)
        .map(|t| {
            let mut props = t["properties"].as_object().cloned().unwrap_or_default();
            if props
                .get("custom")
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
            {
                props.remove("custom");
            }
            (t["_id"].as_str().unwrap().to_owned(), Value::Object(props))
        })
        .collect()
}

fn change() -> PropertiesUpdate {
    PropertiesUpdate::from_json(&json!({"score": 9, "custom": {"team": "z", "new": 1}})).unwrap()
}

fn run<'a>(e: &'a Env, actor: &'a Actor) -> BulkRun<'a> {
    BulkRun {
        client: &e.client,
        store: &e.store,
        actor,
        project_id: PROJECT,
        project_name: Some("Rectangles"),
        target: Target::Selection { count: N as u64 },
    }
}

/// Undoes `entry` as `actor`, restoring also the conflicts in `include`.
async fn undo_as(
    actor: &Actor,
    client: &LabClient,
    store: &ActivityStore,
    entry: i64,
    include: &[String],
) -> Result<lab_activity::Recorded<lab_client::BulkReport>, Error> {
    undo(
        UndoRun {
            client,
            store,
            actor,
        },
        entry,
        include,
        None,
        CancellationToken::new(),
    )
    .await
}

async fn set_props(client: &LabClient, ids: &[String], body: Value) {
    let p = PropertiesUpdate::from_json(&body).unwrap();
    let r = lab_client::ops::update_properties(
        client,
        PROJECT,
        ids.to_vec(),
        p,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(r.succeeded, ids.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_1000_property_updates_restores_exactly_the_old_values() {
    let e = env(N).await;
    let a = actor();
    let before = properties(&e.client).await;
    let rec = run_bulk(
        run(&e, &a),
        ids(N),
        BulkChange::Properties(change()),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(rec.report.succeeded, N as u64);
    let entry = e.store.entry(rec.entry_id).unwrap();
    assert_eq!(entry.state, EntryState::Done);
    assert_eq!(
        (entry.total, entry.succeeded, entry.failed),
        (1000, 1000, 0)
    );
    assert_eq!(entry.undo, Undoability::Undoable);
    let lines = e.store.all_results(rec.entry_id).unwrap();
    assert_eq!(lines.len(), N);
    assert_eq!(
        lines[1].before,
        Some(json!({"score": null, "custom": {"team": null, "new": null}}))
    );
    assert_eq!(lines[0].task_name.as_deref(), Some("img-0000.png"));
    assert!(lines.iter().all(|l| l.updated_at.is_some()));
    let changed = properties(&e.client).await;
    assert_eq!(
        changed["t0001"],
        json!({"score": 9, "custom": {"keep": 1, "team": "z", "new": 1}})
    );

    let plan = plan_undo(&e.client, &e.store, "id", rec.entry_id)
        .await
        .unwrap();
    assert_eq!((plan.ready, plan.conflicts.len()), (N as u64, 0));
    let u = undo_as(&a, &e.client, &e.store, rec.entry_id, &[])
        .await
        .unwrap();
    assert_eq!(u.report.succeeded, N as u64);
    assert_eq!(
        properties(&e.client).await,
        before,
        "every value exactly as before"
    );

    // The undo is on record, and marks the entry.
    let ue = e.store.entry(u.entry_id).unwrap();
    assert_eq!(ue.kind, EntryKind::Restore);
    assert_eq!(ue.undo_of, Some(rec.entry_id));
    assert_eq!(
        ue.target,
        Target::Entry {
            entry: rec.entry_id
        }
    );
    assert_eq!(
        e.store.entry(rec.entry_id).unwrap().undo,
        Undoability::Undone { by: u.entry_id }
    );
    match undo_as(&a, &e.client, &e.store, rec.entry_id, &[]).await {
        Err(Error::AlreadyUndone { by, .. }) => assert_eq!(by, u.entry_id),
        other => panic!(
            "a second undo must be refused: {:?}",
            other.map(|r| r.entry_id)
        ),
    }

    // The undo undone: the change is back.
    let uu = undo_as(&a, &e.client, &e.store, u.entry_id, &[])
        .await
        .unwrap();
    assert_eq!(uu.report.succeeded, N as u64);
    assert_eq!(properties(&e.client).await, changed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_changes_are_exactly_the_ten_conflicts() {
    let e = env(N).await;
    let a = actor();
    let original = properties(&e.client).await;
    let rec = run_bulk(
        run(&e, &a),
        ids(N),
        BulkChange::Properties(change()),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    // Someone else changes 10 tasks: 4 get another score, 3 another custom value, and 3 the
    // very same values again (only their updatedAt says so).
    let all = ids(N);
    let touched: Vec<String> = [3, 77, 150, 201, 399, 400, 555, 742, 901, 999]
        .iter()
        .map(|&i| all[i].clone())
        .collect();
    set_props(&e.client, &touched[0..4], json!({"score": 4})).await;
    set_props(&e.client, &touched[4..7], json!({"custom": {"team": "y"}})).await;
    set_props(
        &e.client,
        &touched[7..10],
        json!({"score": 9, "custom": {"team": "z", "new": 1}}),
    )
    .await;
    let after_others = properties(&e.client).await;

    let plan = plan_undo(&e.client, &e.store, "id", rec.entry_id)
        .await
        .unwrap();
    let mut conflicts: Vec<String> = plan.conflicts.iter().map(|c| c.task_id.clone()).collect();
    conflicts.sort();
    assert_eq!(conflicts, touched, "exactly the tasks changed since");
    assert!(
        plan.conflicts
            .iter()
            .all(|c| c.reason == ConflictReason::Changed)
    );
    assert_eq!(plan.ready, (N - 10) as u64);
    let c = plan
        .conflicts
        .iter()
        .find(|c| c.task_id == touched[0])
        .unwrap();
    assert_eq!(c.current.as_ref().unwrap()["score"], json!(4));
    assert_eq!(c.recorded.as_ref().unwrap()["score"], json!(9));

    // A task that is not a conflict cannot be "included".
    match undo_as(&a, &e.client, &e.store, rec.entry_id, &[all[0].clone()]).await {
        Err(Error::NotAConflict { task_id, .. }) => assert_eq!(task_id, all[0]),
        other => panic!("expected NotAConflict: {:?}", other.map(|r| r.entry_id)),
    }
    // Nothing was written by the refused undo.
    assert_eq!(properties(&e.client).await, after_others);

    // Undo with one conflict chosen: the other nine are left alone.
    let u = undo_as(&a, &e.client, &e.store, rec.entry_id, &[touched[5].clone()])
        .await
        .unwrap();
    assert_eq!(u.report.succeeded, (N - 9) as u64);
    // the nine left alone are on record in the undo, as left out, with their values now
    let ue = e.store.entry(u.entry_id).unwrap();
    assert_eq!(
        (ue.total, ue.succeeded, ue.skipped),
        (N as u64 - 9 + 9, N as u64 - 9, 9)
    );
    let left: Vec<_> = e
        .store
        .all_results(u.entry_id)
        .unwrap()
        .into_iter()
        .filter(|l| l.status == ResultStatus::Skipped)
        .collect();
    assert_eq!(left.len(), 9);
    assert!(left.iter().all(|l| {
        l.message
            .as_deref()
            .is_some_and(|m| m.contains("left alone"))
    }));
    assert!(!left.iter().any(|l| l.task_id == touched[5]));
    let now = properties(&e.client).await;
    for id in &all {
        if touched.contains(id) && *id != touched[5] {
            assert_eq!(
                now[id], after_others[id],
                "{id} was changed by someone else: left alone"
            );
        } else {
            assert_eq!(now[id], original[id], "{id} restored");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_tasks_fail_and_the_others_are_done() {
    let e = env(5).await;
    let a = actor();
    let rec = run_bulk(
        run(&e, &a),
        vec![
            "t0001".into(),
            "nope".into(),
            "t0001".into(),
            " t0002 ".into(),
        ],
        BulkChange::Properties(PropertiesUpdate::from_json(&json!({"score": 3})).unwrap()),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(rec.report.outcomes.len(), 3, "de-duplicated, trimmed");
    assert_eq!((rec.report.succeeded, rec.report.failed), (2, 1));
    let lines = e.store.all_results(rec.entry_id).unwrap();
    assert_eq!(lines[1].task_id, "nope");
    assert_eq!(lines[1].status, ResultStatus::Failed);
    assert!(lines[1].message.as_deref().unwrap().contains("not found"));
    assert!(matches!(
        run_bulk(
            run(&e, &a),
            vec![" ".into()],
            BulkChange::Review,
            None,
            CancellationToken::new()
        )
        .await,
        Err(Error::NoTasks(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redo_and_review_are_recorded_but_not_undoable() {
    let e = env(5).await;
    let a = actor();
    let rec = run_bulk(
        run(&e, &a),
        vec!["t0001".into(), "t0002".into()],
        BulkChange::Review,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let entry = e.store.entry(rec.entry_id).unwrap();
    assert_eq!(entry.kind, EntryKind::Review);
    assert_eq!(
        entry.undo,
        Undoability::No {
            reason: NotUndoable::LabCannotReverse
        }
    );
    let lines = e.store.all_results(rec.entry_id).unwrap();
    assert_eq!(lines[0].before, Some(json!({"status": "pending"})));
    assert_eq!(lines[0].after, Some(json!({"status": "to-review"})));
    match plan_undo(&e.client, &e.store, "id", rec.entry_id).await {
        Err(err @ Error::NotUndoable { .. }) => {
            assert!(err.to_string().contains("open these tasks"), "{err}")
        }
        other => panic!("expected NotUndoable: {other:?}"),
    }
    let rec = run_bulk(
        run(&e, &a),
        vec!["t0001".into()],
        BulkChange::Redo { reset: true },
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let entry = e.store.entry(rec.entry_id).unwrap();
    assert_eq!(entry.change, Change::Redo { reset: true });
    assert_eq!(entry.succeeded, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_same_account_can_undo() {
    let e = env(5).await;
    let a = actor();
    let rec = run_bulk(
        run(&e, &a),
        vec!["t0001".into()],
        BulkChange::Properties(PropertiesUpdate::from_json(&json!({"score": 3})).unwrap()),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    match plan_undo(&e.client, &e.store, "other", rec.entry_id).await {
        Err(Error::OtherAccount {
            entry_access_id, ..
        }) => assert_eq!(entry_access_id, "id"),
        other => panic!("expected OtherAccount: {other:?}"),
    }
}

async fn create_recorded(e: &Env, batch_id: &str, new_batch: bool, n: usize) -> i64 {
    let rec = CreateRecord::begin(
        &e.store,
        &actor(),
        PROJECT,
        Some("Rectangles"),
        batch_id,
        "made here",
        new_batch,
        None,
        n as u64,
    )
    .unwrap();
    let tasks: Vec<TaskInput> = (0..n)
        .map(|i| TaskInput {
            name: format!("new-{i}.png"),
            resources: Some(vec!["https://example.invalid/n.png".into()]),
            data: None,
            properties: None,
            project_configuration_overwrite: None,
        })
        .collect();
    let report = lab_client::ops::create_tasks(
        &e.client,
        PROJECT,
        batch_id,
        tasks,
        CreateOptions::default(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.created, n as u64);
    rec.finish(&report).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_a_create_into_a_new_batch_deletes_it() {
    let e = env(3).await;
    let a = actor();
    let batch = e.client.create_batch(PROJECT, "made here").await.unwrap();
    let entry = create_recorded(&e, &batch.id, true, 4).await;
    let got = e.store.entry(entry).unwrap();
    assert_eq!((got.kind, got.succeeded), (EntryKind::Create, 4));
    assert_eq!(got.undo, Undoability::Undoable);
    let lines = e.store.all_results(entry).unwrap();
    assert_eq!(lines[0].task_name.as_deref(), Some("new-0.png"));
    assert!(!lines[0].task_id.is_empty());

    let plan = plan_undo(&e.client, &e.store, "id", entry).await.unwrap();
    let b = plan.batch.expect("a batch to delete");
    assert_eq!((b.created, b.now_in_batch), (4, 4));
    let u = undo_as(&a, &e.client, &e.store, entry, &[]).await.unwrap();
    assert!(matches!(
        e.client.batch(&batch.id).await,
        Err(lab_client::Error::NotFound(_))
    ));
    let del = e.store.entry(u.entry_id).unwrap();
    assert_eq!(del.kind, EntryKind::DeleteBatch);
    assert_eq!(
        del.undo,
        Undoability::No {
            reason: NotUndoable::Deletion
        }
    );
    // The seeded tasks are all still there.
    assert_eq!(properties(&e.client).await.len(), 3);

    // Into an existing batch: refused, with the reason, nothing deleted.
    let entry = create_recorded(&e, BATCH, false, 2).await;
    match plan_undo(&e.client, &e.store, "id", entry).await {
        Err(Error::NotUndoable { reason, .. }) => assert_eq!(reason, NotUndoable::ExistingBatch),
        other => panic!("expected NotUndoable: {other:?}"),
    }
    assert_eq!(properties(&e.client).await.len(), 5);
}

// ---------------------------------------------------------------------------------------
// A process killed mid-action
// ---------------------------------------------------------------------------------------

/// Properties calls seen; every call after the first `pass` waits forever before reaching
/// the lab (so the lab has exactly what the log says is done).
struct Gate {
    calls: AtomicUsize,
    pass: AtomicUsize,
}

async fn gate_layer(State(g): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::PATCH && req.uri().path().ends_with("/tasks/properties")
    {
        let n = g.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n > g.pass.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    }
    next.run(req).await
}

const CHILD_ENV: &str = "LAB_ACTIVITY_KILL_CHILD";

/// Helper process of `a_kill_mid_action_leaves_the_finished_part_on_record`.
#[test]
#[ignore = "run as a child process by a_kill_mid_action_leaves_the_finished_part_on_record"]
fn child_runner() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (url, db) = spec.split_once('\n').unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = client(url);
        let store = ActivityStore::open(db).unwrap();
        let a = actor();
        let _ = run_bulk(
            BulkRun {
                client: &client,
                store: &store,
                actor: &a,
                project_id: PROJECT,
                project_name: None,
                target: Target::Selection { count: N as u64 },
            },
            ids(N),
            BulkChange::Properties(change()),
            None,
            CancellationToken::new(),
        )
        .await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_mid_action_leaves_the_finished_part_on_record() {
    let dir = tempfile::tempdir().unwrap();
    let original = {
        let sb = sandbox(dir.path(), N);
        let gate = Arc::new(Gate {
            calls: AtomicUsize::new(0),
            pass: AtomicUsize::new(2),
        });
        let router = lab_sandbox::app(sb).layer(axum::middleware::from_fn_with_state(
            gate.clone(),
            gate_layer,
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (url, gate)
    };
    let (url, gate) = original;
    let lab = client(&url);
    let before = properties(&lab).await;
    let db = dir.path().join("app/activity.sqlite3");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_runner",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, format!("{url}\n{}", db.display()))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Two chunks of 200 pass and are recorded; the third is held.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the child did not get to the third chunk"
        );
        if gate.calls.load(Ordering::SeqCst) > 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Its record of the second chunk is written after the call returns: wait for it.
    let store = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the second chunk was never recorded"
        );
        if let Ok(s) = ActivityStore::open(&db)
            && s.list(&Default::default())
                .unwrap()
                .first()
                .map(|e| e.succeeded)
                == Some(400)
        {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        child.try_wait().unwrap().is_none(),
        "the child ended before being killed"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let entry = store.list(&Default::default()).unwrap().remove(0);
    assert_eq!(entry.state, EntryState::Interrupted);
    assert_eq!((entry.total, entry.succeeded, entry.failed), (1000, 400, 0));
    let lines = store.all_results(entry.id).unwrap();
    assert_eq!(
        lines.len(),
        N,
        "every task has its line, with its value before"
    );
    assert!(lines.iter().all(|l| l.before.is_some()));
    let pending = lines
        .iter()
        .filter(|l| l.status == ResultStatus::Pending)
        .count();
    assert_eq!(pending, 600);
    // The log says exactly what the lab has.
    let now = properties(&lab).await;
    for l in &lines {
        let changed = now[&l.task_id] != before[&l.task_id];
        assert_eq!(changed, l.status == ResultStatus::Ok, "{}", l.task_id);
    }
    // And its finished part can be undone.
    gate.pass.store(usize::MAX, Ordering::SeqCst);
    assert_eq!(entry.undo, Undoability::Undoable);
    let a = actor();
    let u = undo_as(&a, &lab, &store, entry.id, &[]).await.unwrap();
    assert_eq!(u.report.succeeded, 400);
    assert_eq!(properties(&lab).await, before);
}
