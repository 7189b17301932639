//! Core logic against a real in-process lab-sandbox with the demo workspace.

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    core: Core,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let core = test_core(dir.path());
    Fixture { _dir: dir, core }
}

async fn connected() -> Fixture {
    let f = fixture();
    let info = f.core.connect(LOCAL_SANDBOX_ID.into()).await.unwrap();
    assert!(info.endpoint.starts_with("http://127.0.0.1:"));
    f
}

/// Runs a search as set `id` and reads all its rows back by range, in arrival order.
async fn load_as(core: &Core, id: &str, filter: TaskFilter, view: TaskView) -> Vec<TaskRow> {
    let pages = std::sync::Mutex::new(Vec::new());
    let s = core
        .load_tasks(id, TaskQuery { filter, view }, |p| {
            pages.lock().unwrap().push(p.loaded);
            Ok(())
        })
        .await
        .unwrap();
    assert!(!s.cancelled);
    let pages = pages.into_inner().unwrap();
    assert_eq!(pages.last().copied().unwrap_or(0), s.loaded);
    let range = core.task_rows(id, None, 0, u32::MAX).unwrap();
    assert!(range.done);
    assert_eq!(range.rows.len() as u64, s.loaded);
    range.rows
}

async fn load(core: &Core, filter: TaskFilter, view: TaskView) -> Vec<TaskRow> {
    load_as(core, "t", filter, view).await
}

#[tokio::test]
async fn not_connected_is_a_plain_error() {
    let f = fixture();
    let e = f
        .core
        .list_projects(ProjectFilter::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotConnected);
}

#[tokio::test]
async fn local_sandbox_lists_projects_and_overview() {
    let f = connected().await;
    let projects = f
        .core
        .list_projects(ProjectFilter::default())
        .await
        .unwrap();
    assert!(projects.iter().any(|p| p.id == "demo-rectangle"));
    let ov = f
        .core
        .project_overview("demo-rectangle".into())
        .await
        .unwrap();
    assert_eq!(ov.summary.project_type, "iat-rectangle");
    assert!(!ov.batches.is_empty());
    let total: u64 = ov.batches.iter().map(|b| b.total).sum();
    assert!(total > 0);
    assert_eq!(
        f.core.connection().await.unwrap().profile.id,
        LOCAL_SANDBOX_ID
    );
}

#[tokio::test]
async fn status_filter_narrows_and_views_differ() {
    let f = connected().await;
    let all = load(&f.core, TaskFilter::new("demo-rectangle"), TaskView::Raw).await;
    // a status some tasks have and others not, so that the filter has something to leave out
    let status = all
        .iter()
        .map(|r| r.status.clone())
        .find(|s| all.iter().any(|r| r.status != *s))
        .expect("the demo project has tasks in several statuses");
    let want: std::collections::BTreeSet<String> = all
        .iter()
        .filter(|r| r.status == status)
        .map(|r| r.id.clone())
        .collect();
    let mut flt = TaskFilter::new("demo-rectangle");
    flt.statuses = vec![status.clone()];
    let some = load_as(&f.core, "lab", flt, TaskView::Lab).await;
    let got: std::collections::BTreeSet<String> = some.iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        got, want,
        "the {status} filter gives exactly the tasks in {status}"
    );
    assert!(got.len() < all.len());
    // the lab view is not the stored document: same task, another shape
    let id = &some[0].id;
    let raw = f.core.task_doc("t", id).await.unwrap();
    let lab = f.core.task_doc("lab", id).await.unwrap();
    assert_ne!(raw, lab, "the lab view of {id} is the raw document");
    assert!(
        raw.get("_id").is_some(),
        "the raw view keeps the stored fields"
    );
}

#[tokio::test]
async fn overview_counts_ask_a_bounded_number_at_a_time_and_keep_their_order() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let batches: Vec<String> = (0..40).map(|i| format!("b{i}")).collect();
    let statuses = ["pending", "complete", "reviewed"];
    let (now, max) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let out = count_per_batch(&batches, &statuses, |b, s| {
        let (now, max) = (&now, &max);
        let n = b[1..].parse::<u64>().unwrap() * 10
            + statuses.iter().position(|x| *x == s.as_str()).unwrap() as u64;
        async move {
            let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(in_flight, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, ()>(n)
        }
    })
    .await
    .unwrap();
    let most = max.load(Ordering::SeqCst);
    assert!(
        (2..=OVERVIEW_IN_FLIGHT).contains(&most),
        "{most} counts in flight at once"
    );
    assert_eq!(out.len(), 40);
    for (i, per_status) in out.iter().enumerate() {
        let i = i as u64;
        assert_eq!(per_status, &[i * 10, i * 10 + 1, i * 10 + 2]);
    }
    // the first failure is the answer
    let failed = count_per_batch(&batches, &statuses, |b, _| {
        let bad = b == "b7";
        async move { if bad { Err("b7 failed") } else { Ok(1) } }
    })
    .await;
    assert_eq!(failed, Err("b7 failed"));
}

#[tokio::test]
async fn wrong_secret_is_reported_as_wrong_credentials() {
    let f = connected().await;
    let url = f.core.connection().await.unwrap().endpoint;
    let draft = ProfileDraft {
        name: "X".into(),
        endpoint: url,
        access_id: "demo".into(),
        secret_key: "not-the-secret".into(),
    };
    let e = f
        .core
        .test_connection(None, draft.clone())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::WrongCredentials);
    let ok = ProfileDraft {
        secret_key: "demo".into(),
        ..draft
    };
    f.core.test_connection(None, ok.clone()).await.unwrap();
    let p = f.core.add_profile(ok).unwrap();
    let info = f.core.connect(p.id.clone()).await.unwrap();
    assert_eq!(info.profile.id, p.id);
    assert_eq!(f.core.list_profiles().unwrap().default_profile_id, p.id);
}

#[tokio::test]
async fn unreachable_endpoint_is_reported_plainly() {
    let f = fixture();
    let draft = ProfileDraft {
        name: "X".into(),
        endpoint: "http://127.0.0.1:9/".into(),
        access_id: "a".into(),
        secret_key: "b".into(),
    };
    let e = f.core.test_connection(None, draft).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unreachable, "{e:?}");
}

#[tokio::test]
async fn bulk_properties_on_selection_then_review() {
    let f = connected().await;
    let rows = load(&f.core, TaskFilter::new("demo-rectangle"), TaskView::Raw).await;
    let ids: Vec<String> = rows.iter().take(2).map(|r| r.id.clone()).collect();
    let preview = f
        .core
        .bulk_preview(
            "demo-rectangle".into(),
            BulkTarget::Selection { ids: ids.clone() },
        )
        .await
        .unwrap();
    assert_eq!(preview.count, 2);
    let progress = Arc::new(std::sync::Mutex::new(Vec::new()));
    let p2 = progress.clone();
    let mut custom = serde_json::Map::new();
    custom.insert("team".into(), serde_json::json!("e2e"));
    let res = f
        .core
        .run_bulk(
            "b1",
            BulkRequest {
                project_id: "demo-rectangle".into(),
                project_name: None,
                target: BulkTarget::Selection { ids: ids.clone() },
                action: BulkAction::Properties {
                    score: Some(4.0),
                    custom: Some(custom),
                },
            },
            move |p| p2.lock().unwrap().push(p),
        )
        .await
        .unwrap();
    assert_eq!(res.succeeded, 2, "{res:?}");
    let mut flt = TaskFilter::new("demo-rectangle");
    flt.properties = vec![("score".into(), "4".into())];
    let scored = load(&f.core, flt.clone(), TaskView::Raw).await;
    assert!(ids.iter().all(|i| scored.iter().any(|r| &r.id == i)));
    assert!(
        progress
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.phase == "reading"),
        "the values before are read first"
    );

    // On record for this profile, undoable; the undo puts the scores back.
    let entry = res.entry_id.expect("an activity entry");
    let page = f
        .core
        .activity_list(lab_activity::Query::default())
        .await
        .unwrap();
    assert_eq!(page.entries[0].id, entry);
    assert_eq!(page.entries[0].kind, lab_activity::EntryKind::Properties);
    assert_eq!(page.entries[0].actor.source, lab_activity::Source::Window);
    let lines = f.core.activity_results(entry, 0, 10).unwrap();
    assert_eq!(lines.total, 2);
    let plan = f.core.activity_plan_undo(entry).await.unwrap();
    assert_eq!((plan.ready, plan.conflicts.len()), (2, 0));
    let done = f
        .core
        .activity_undo("u1", entry, vec![], |_| {})
        .await
        .unwrap();
    assert_eq!(done.entry.kind, lab_activity::EntryKind::Restore);
    assert_eq!(done.entry.succeeded, 2);
    let after: Vec<_> = load(&f.core, TaskFilter::new("demo-rectangle"), TaskView::Raw)
        .await
        .into_iter()
        .filter(|r| ids.contains(&r.id))
        .collect();
    for (r, before) in after.iter().zip(rows.iter().take(2)) {
        assert_eq!(r.score, before.score, "{} restored", r.id);
    }
    let e = f
        .core
        .activity_undo("u2", entry, vec![], |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("err.activityAlreadyUndone"), "{e:?}");
    let res = f
        .core
        .run_bulk(
            "b2",
            BulkRequest {
                project_id: "demo-rectangle".into(),
                project_name: None,
                target: BulkTarget::Selection { ids: ids.clone() },
                action: BulkAction::Review,
            },
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(res.rows.len(), 2);
    assert!(res.rows.iter().all(|r| r.ok), "{res:?}");
}

#[tokio::test]
async fn empty_properties_update_is_refused_before_anything() {
    let f = connected().await;
    let e = f
        .core
        .run_bulk(
            "x",
            BulkRequest {
                project_id: "demo-rectangle".into(),
                project_name: None,
                target: BulkTarget::Selection {
                    ids: vec!["a".into()],
                },
                action: BulkAction::Properties {
                    score: None,
                    custom: None,
                },
            },
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
}

#[test]
fn dedup_keeps_first_order() {
    assert_eq!(
        dedup(vec!["b".into(), "a".into(), "b".into(), "".into()]),
        vec!["b".to_string(), "a".to_string()]
    );
}

#[test]
fn sniffs_common_images() {
    assert_eq!(sniff_mime(b"\x89PNG\r\n"), "image/png");
    assert_eq!(sniff_mime(&[0xFF, 0xD8, 0xFF, 0xE0]), "image/jpeg");
    assert_eq!(sniff_mime(b"hello"), "application/octet-stream");
}

#[test]
fn whole_scores_are_sent_as_integers() {
    assert_eq!(json_number(4.0).unwrap().to_string(), "4");
    assert_eq!(json_number(2.5).unwrap().to_string(), "2.5");
    assert!(json_number(f64::NAN).is_none());
}

#[tokio::test]
async fn an_image_host_that_does_not_answer_is_not_the_lab_offline() {
    let f = connected().await;
    // port 9 (discard) refuses at once on loopback
    let e = f
        .core
        .resource_preview(serde_json::json!("http://127.0.0.1:9/photo.png"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e:?}");
    assert_eq!(e.key.as_deref(), Some("err.resourceUnreachable"));
    assert!(
        e.message.contains("127.0.0.1 does not answer"),
        "{}",
        e.message
    );
    // a file of the lab that is not there is still the lab's answer
    let e = f
        .core
        .resource_preview(serde_json::json!({"id": "0123456789abcdef01234567"}))
        .await
        .unwrap_err();
    assert_ne!(e.kind, ErrorKind::Unreachable, "{e:?}");
}

#[tokio::test]
async fn a_changed_task_is_refreshed_in_place_and_a_document_not_kept_is_read_again() {
    let f = connected().await;
    let rows = load(&f.core, TaskFilter::new("demo-rectangle"), TaskView::Raw).await;
    let id = rows[3].id.clone();
    let before = f.core.task_rows("t", None, 3, 4).unwrap().rows[0].clone();
    assert_eq!(before.id, id);
    // another client changes the task behind the window's back
    let client = f.core.client().await.unwrap();
    ops::update_properties(
        &client,
        "demo-rectangle",
        vec![id.clone()],
        PropertiesUpdate {
            score: json_number(9.25),
            custom: None,
        },
        None,
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        f.core.refresh_tasks("t", vec![id.clone()]).await.unwrap(),
        1
    );
    let after = f.core.task_rows("t", None, 3, 4).unwrap().rows[0].clone();
    assert_eq!((after.id.as_str(), after.score), (id.as_str(), Some(9.25)));
    assert_eq!(
        f.core.task_rows("t", None, 0, u32::MAX).unwrap().rows.len(),
        rows.len()
    );
    // the document read again from the lab is the one the set holds
    let kept = f.core.raw_task("t", &id).await.unwrap();
    let fetched = f
        .core
        .fetch_task("demo-rectangle", &id, vec![])
        .await
        .unwrap();
    assert_eq!(kept["properties"]["score"], fetched["properties"]["score"]);
    assert_eq!(kept["_id"], fetched["_id"]);
    // a search the window has not started yet has no rows; an unknown task says so
    let none = f.core.task_rows("not-started", None, 0, 10).unwrap();
    assert_eq!((none.count, none.rows.len(), none.done), (0, 0, false));
    let e = f
        .core
        .fetch_task("demo-rectangle", "no-such-task", vec![])
        .await;
    assert_eq!(e.unwrap_err().kind, ErrorKind::NotFound);
}

/// Runs a search as set `id` and returns its summary and row ids (arrival order).
async fn search(core: &Core, id: &str, filter: TaskFilter) -> (LoadSummary, Vec<String>) {
    let s = core
        .load_tasks(
            id,
            TaskQuery {
                filter,
                view: TaskView::Raw,
            },
            |_| Ok(()),
        )
        .await
        .unwrap();
    let rows = core.task_rows(id, None, 0, u32::MAX).unwrap();
    assert!(rows.done);
    (s, rows.rows.into_iter().map(|r| r.id).collect())
}

/// Waits until the background mirror of `project` has finished.
async fn mirrored(core: &Core, project: &str) {
    for _ in 0..400 {
        let info = core.connection().await.unwrap();
        if let Some(mut held) = core.index.try_hold(&info)
            && crate::local_index::LocalIndex::mirrored(&mut held, project)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{project} was not mirrored");
}

#[tokio::test]
async fn searches_after_the_first_come_from_the_synced_local_copy_and_offline_from_the_copy_as_it_was()
 {
    use crate::local_index::TaskSource;
    let f = connected().await;
    let project = "demo-rectangle";
    let (first, all) = search(&f.core, "a", TaskFilter::new(project)).await;
    assert_eq!(
        (first.source, first.as_of.as_deref()),
        (TaskSource::Lab, None)
    );
    mirrored(&f.core, project).await;

    // the same searches from the copy: the lab's tasks, in the lab's order
    let (again, ids) = search(&f.core, "b", TaskFilter::new(project)).await;
    assert_eq!(again.source, TaskSource::Index);
    assert!(again.as_of.is_some());
    assert_eq!(ids, all);
    let client = f.core.client().await.unwrap();
    // rows and documents of the copy are the lab's
    let lab_rows = load_as(&f.core, "lab-rows", TaskFilter::new(project), TaskView::Raw).await;
    let copy_rows = f.core.task_rows("b", None, 0, u32::MAX).unwrap().rows;
    assert_eq!(copy_rows, lab_rows);
    let doc = f.core.raw_task("b", &all[1]).await.unwrap();
    let fetched = f
        .core
        .fetch_task(project, &all[1], vec!["data".into(), "jobs".into()])
        .await
        .unwrap();
    assert_eq!(doc["_id"], fetched["_id"]);
    assert_eq!(doc["data"], fetched["data"]);
    assert_eq!(doc["jobs"], fetched["jobs"]);
    for status in ["pending", "complete", "to-review"] {
        let mut flt = TaskFilter::new(project);
        flt.statuses = vec![status.into()];
        let (s, ids) = search(&f.core, "c", flt.clone()).await;
        assert_eq!(s.source, TaskSource::Index);
        let mut lab: Vec<String> = Vec::new();
        let mut pages = Box::pin(client.task_pages(flt.clone()));
        while let Some(p) = pages.next().await {
            let p = p.unwrap();
            lab.extend(
                p.tasks
                    .iter()
                    .map(|t| t["_id"].as_str().unwrap().to_owned()),
            );
        }
        assert_eq!(ids, lab, "{status}");
    }

    // a change made behind the window's back is seen by the next search (the copy syncs)
    let id = all[2].clone();
    ops::redo(
        &client,
        project,
        vec![id.clone()],
        true,
        None,
        tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
    let mut pending = TaskFilter::new(project);
    pending.statuses = vec!["pending".into()];
    let (s, ids) = search(&f.core, "d", pending.clone()).await;
    assert_eq!(s.source, TaskSource::Index);
    assert!(ids.contains(&id), "the task sent to redo is pending now");
    assert_eq!(
        ids.len() as u64,
        client.count_tasks(&pending).await.unwrap()
    );

    // a filter the copy cannot answer (a mask key) goes to the lab
    let mut masks = TaskFilter::new(project);
    masks.data = vec![("mask".into(), "x".into())];
    let (s, _) = search(&f.core, "e", masks).await;
    assert_eq!(s.source, TaskSource::Lab);

    // the lab stops answering: the copy as it was, said so
    f.core.stop_local_sandbox().await;
    let (s, ids_offline) = search(&f.core, "f", pending).await;
    assert_eq!(s.source, TaskSource::IndexOffline);
    assert!(s.as_of.is_some());
    assert_eq!(ids_offline, ids);
}
