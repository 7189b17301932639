//! Sync against a lab-sandbox: convergence after changes behind the index's back,
//! cancellation, refresh of touched tasks.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{PROJECT, SECRET};
use lab_client::ops::{self, PropertiesUpdate};
use lab_client::{CancellationToken, TaskFilter};
use lab_index::{Error, Index, IntegrityCheck, OpenNotice, OpenOptions, SyncPhase};
use lab_sandbox::seed::Seed;
use serde_json::{Value, json};

fn new_tasks_seed(batch: &str, tasks: Value) -> Seed {
    serde_json::from_value(json!({
        "projects": [{"_id": PROJECT, "name": "Index", "projectType": "iat-rectangle",
            "configuration": {"metadata": {"labelOptions": {"mainLists": [], "availableLabels": {}}}},
            "batches": [{"_id": batch, "name": format!("Batch {}", &batch[1..]), "tasks": tasks}]}]
    }))
    .unwrap()
}

fn ids_in_batch(docs: &HashMap<String, Value>, batch: &str) -> Vec<String> {
    let mut v: Vec<String> = docs
        .values()
        .filter(|d| d["batchId"] == batch)
        .map(|d| d["_id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_sync_converges_and_fetches_only_changes() {
    let lab = common::start(&common::varied_seed(300, 4, 11), Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite3");
    let (mut index, notice) = Index::open(&path).unwrap();
    assert_eq!(notice, OpenNotice::Fresh);
    let cancel = CancellationToken::new();

    let first = index
        .sync(&lab.client, PROJECT, |_| {}, &cancel)
        .await
        .unwrap();
    assert!(first.full);
    assert_eq!(
        (first.fetched, first.upserted, first.deleted),
        (300, 300, 0)
    );
    assert_eq!(first.requests, 3, "300 tasks in pages of 100");
    let before = lab.all_docs().await;
    assert_eq!(index.documents(PROJECT).unwrap(), before);
    // the same documents one at a time
    let mut each = HashMap::new();
    let n = index
        .each_document(PROJECT, |d| {
            each.insert(d["_id"].as_str().unwrap().to_owned(), d.clone());
        })
        .unwrap();
    assert_eq!((n, &each), (300, &before));
    let state = index.project_state(PROJECT).unwrap().unwrap();
    assert!(state.full_synced);
    assert_eq!(state.as_of.as_deref(), Some(first.as_of.as_str()));
    let watermark = state.watermark.clone().unwrap();
    assert_eq!(
        Some(&watermark),
        before
            .values()
            .map(|d| d["updatedAt"].as_str().unwrap().to_string())
            .max()
            .as_ref()
    );

    // Changes behind the index's back.
    let b0 = ids_in_batch(&before, "b0");
    let props_ids = b0[0..5].to_vec();
    let mut custom = serde_json::Map::new();
    custom.insert("checked".into(), json!(true));
    ops::update_properties(
        &lab.client,
        PROJECT,
        props_ids.clone(),
        PropertiesUpdate {
            score: Some(7.into()),
            custom: Some(custom),
        },
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    ops::review(
        &lab.client,
        PROJECT,
        b0[5..8].to_vec(),
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    ops::redo(
        &lab.client,
        PROJECT,
        b0[8..10].to_vec(),
        true,
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    // new tasks (dated now) in b0, new tasks with old dates in b1 (only the counts show them)
    lab.sandbox
        .apply_seed(&new_tasks_seed(
            "b0",
            json!([{"_id": "new-1", "name": "new 1.png"}, {"_id": "new-2", "name": "new 2.png"},
                   {"_id": "new-3", "name": "new 3.png", "properties": {"score": 1}},
                   {"_id": "new-4", "name": "new 4.png", "data": {"source": "drone"}}]),
        ))
        .unwrap();
    lab.sandbox
        .apply_seed(&new_tasks_seed(
            "b1",
            json!([{"_id": "old-1", "name": "old 1.png", "createdAt": "2020-01-01T00:00:00.000Z"},
                   {"_id": "old-2", "name": "old 2.png", "createdAt": "2020-01-01T00:00:00.000Z"}]),
        ))
        .unwrap();
    // tasks deleted one by one (no such call in the contract: straight in the lab's store)
    let b2 = ids_in_batch(&before, "b2");
    let gone = &b2[0..3];
    {
        let db = lab.db();
        for id in gone {
            assert_eq!(
                db.execute("DELETE FROM tasks WHERE id = ?1", [id]).unwrap(),
                1
            );
        }
    }
    // a whole batch deleted through the API
    let b3 = ids_in_batch(&before, "b3");
    assert!(!b3.is_empty());
    lab.client.delete_batch("b3").await.unwrap();

    let after = lab.all_docs().await;
    let since =
        chrono::DateTime::parse_from_rfc3339(&watermark).unwrap() - chrono::Duration::minutes(5);
    let since = since.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let listed_expected = after
        .values()
        .filter(|d| d["updatedAt"].as_str().unwrap() >= since.as_str())
        .count() as u64;

    let mut phases = Vec::new();
    let second = index
        .sync(&lab.client, PROJECT, |p| phases.push(p.phase), &cancel)
        .await
        .unwrap();
    assert!(!second.full);
    assert_eq!(
        index.documents(PROJECT).unwrap(),
        after,
        "index = fresh listing"
    );
    // changed (10) + new (4) + tasks on the old watermark instant, then the 2 old-dated ones
    assert_eq!(second.fetched, listed_expected + 2, "{second:?}");
    assert!(second.fetched < 60, "{second:?}");
    assert_eq!(second.deleted, (gone.len() + b3.len()) as u64, "{second:?}");
    assert_eq!(second.upserted, 10 + 4 + 2, "{second:?}");
    // listing 1 + total 1 + batches 1 + counts 5 (b0..b3, b-empty) + ids of b1, b2 + refresh 1
    assert!(second.requests <= 12, "{second:?}");
    assert!(phases.contains(&SyncPhase::Listing) && phases.contains(&SyncPhase::Checking));
    let state = index.project_state(PROJECT).unwrap().unwrap();
    assert!(state.watermark.unwrap() > watermark, "watermark moved on");

    // nothing changed: the overlap re-reads the latest tasks, writes nothing, deletes nothing
    let third = index
        .sync(&lab.client, PROJECT, |_| {}, &cancel)
        .await
        .unwrap();
    assert_eq!((third.upserted, third.deleted), (0, 0), "{third:?}");
    assert_eq!(third.requests, 2, "listing + total count: {third:?}");
    assert_eq!(index.documents(PROJECT).unwrap(), after);

    // answers from the index equal the lab's for filters touching the changes
    for f in [
        {
            let mut f = TaskFilter::new(PROJECT);
            f.properties = vec![("score".into(), "7".into())];
            f
        },
        {
            let mut f = TaskFilter::new(PROJECT);
            f.statuses = vec!["to-review".into()];
            f.batch_ids = vec!["b0".into(), "b3".into()];
            f
        },
        {
            let mut f = TaskFilter::new(PROJECT);
            f.name_like = Some("^(new|old) ".into());
            f
        },
    ] {
        let mut mine = index.ids(&f).unwrap();
        let mut theirs = lab.ids(f).await.unwrap();
        mine.sort();
        theirs.sort();
        assert_eq!(mine, theirs);
        assert!(!mine.is_empty());
    }

    // the index file never holds the secret
    drop(index);
    for p in [path.clone(), dir.path().join("index.sqlite3-wal")] {
        if let Ok(bytes) = std::fs::read(&p) {
            assert!(
                !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                "secret found in {}",
                p.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_sync_leaves_a_consistent_index() {
    let lab = common::start(&common::varied_seed(500, 3, 5), Duration::from_millis(30)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.sqlite3");
    let (mut index, _) = Index::open(&path).unwrap();
    let cancel = CancellationToken::new();
    let seen = AtomicU64::new(0);
    let c2 = cancel.clone();
    let result = index
        .sync(
            &lab.client,
            PROJECT,
            |p| {
                seen.store(p.done, Ordering::SeqCst);
                if p.done >= 100 {
                    c2.cancel();
                }
            },
            &cancel,
        )
        .await;
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    let state = index.project_state(PROJECT).unwrap().unwrap();
    assert!(!state.full_synced);
    assert_eq!(state.as_of, None);
    assert!(state.tasks >= 100 && state.tasks < 500, "{state:?}");
    assert_eq!(state.tasks, seen.load(Ordering::SeqCst));
    let lab_docs = lab.all_docs().await;
    let partial = index.documents(PROJECT).unwrap();
    for (id, doc) in &partial {
        assert_eq!(Some(doc), lab_docs.get(id), "row {id} is a task as listed");
    }
    drop(index);
    let (mut index, notice) = Index::open_with(
        &path,
        &OpenOptions {
            integrity: IntegrityCheck::Full,
        },
    )
    .unwrap();
    assert_eq!(notice, OpenNotice::Opened);
    assert_eq!(index.documents(PROJECT).unwrap(), partial);
    // the next sync is a full one again and completes the mirror
    let report = index
        .sync(&lab.client, PROJECT, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    assert!(report.full);
    assert_eq!(report.fetched, 500);
    assert_eq!(report.upserted, 500 - partial.len() as u64);
    assert_eq!(index.documents(PROJECT).unwrap(), lab_docs);
    assert!(index.project_state(PROJECT).unwrap().unwrap().full_synced);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_reads_back_touched_tasks() {
    let lab = common::start(&common::varied_seed(120, 2, 3), Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut index, _) = Index::open(dir.path().join("index.sqlite3")).unwrap();
    index
        .sync(&lab.client, PROJECT, |_| {}, &CancellationToken::new())
        .await
        .unwrap();
    let docs = lab.all_docs().await;
    let ids = ids_in_batch(&docs, "b0");
    let (a, b, c, d) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    ops::review(
        &lab.client,
        PROJECT,
        vec![a.clone(), b.clone()],
        None,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    lab.db()
        .execute("DELETE FROM tasks WHERE id = ?1", [c])
        .unwrap();
    let report = index
        .refresh_tasks(
            &lab.client,
            PROJECT,
            &[a.clone(), b.clone(), c.clone(), d.clone(), a.clone()],
        )
        .await
        .unwrap();
    assert_eq!(report.fetched, 3);
    assert_eq!(report.upserted, 2, "d did not change");
    assert_eq!(report.deleted, 1);
    assert_eq!(report.requests, 1);
    assert_eq!(
        index.document(PROJECT, a).unwrap().unwrap()["status"],
        "to-review"
    );
    assert_eq!(index.document(PROJECT, c).unwrap(), None);
    assert_eq!(index.documents(PROJECT).unwrap(), lab.all_docs().await);
}
