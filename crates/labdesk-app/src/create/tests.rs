//! Create logic against the app's real in-process lab-sandbox (demo workspace).

use super::*;
use crate::core::Core;
use crate::profiles::LOCAL_SANDBOX_ID;
use futures::StreamExt;
use lab_client::TaskFilter;

const PNG: &[u8] = include_bytes!("../../../../icons/32x32.png");
const PROJECT: &str = "demo-rectangle";
const BATCH: &str = "demo-rectangle-b1";

struct Fx {
    dir: tempfile::TempDir,
    core: Core,
    st: CreateState,
}

async fn fixture() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let core = crate::core::test_core_on_demo(dir.path()).await;
    let st = CreateState::new(core.data_dir());
    Fx { dir, core, st }
}

/// good: a.png b.png c.png; sub/a.png repeats a name; empty.png (0 bytes); notes.txt; .hidden.png
fn drop_folder(root: &Path) -> PathBuf {
    let d = root.join("drop");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    for n in ["a.png", "b.png", "c.png", "sub/a.png", ".hidden.png"] {
        std::fs::write(d.join(n), PNG).unwrap();
    }
    std::fs::write(d.join("empty.png"), b"").unwrap();
    std::fs::write(d.join("notes.txt"), b"hello").unwrap();
    d
}

fn summary(n: usize, d: usize, i: usize, s: usize) -> Summary {
    Summary {
        new: n,
        duplicates: d,
        invalid: i,
        skipped: s,
    }
}

async fn names_in(core: &Core, batch: &str) -> Vec<String> {
    let client = core.client().await.unwrap();
    let mut f = TaskFilter::new(PROJECT);
    f.batch_ids = vec![batch.to_owned()];
    let mut out = Vec::new();
    let mut pages = Box::pin(client.task_pages(f));
    while let Some(p) = pages.next().await {
        for t in p.unwrap().tasks {
            out.push(t["name"].as_str().unwrap_or_default().to_owned());
        }
    }
    out
}

#[tokio::test]
async fn a_dropped_folder_is_listed_with_its_problems() {
    let fx = fixture().await;
    let d = drop_folder(fx.dir.path());
    let v = fx
        .st
        .scan("s", vec![d.display().to_string()], false)
        .await
        .unwrap();
    let names: Vec<&str> = v.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["a.png", "b.png", "c.png", "empty.png", "notes.txt", "a.png"]
    );
    assert_eq!(v.hidden_skipped, 1);
    assert_eq!(v.rows[3].checks, [Check::Empty]);
    assert!(matches!(v.rows[4].checks[0], Check::Unsupported { .. }));
    assert_eq!(v.rows[4].kind, Kind::NonImage);
    assert!(v.rows[0].checks.contains(&Check::NameRepeatedInDrop));
    assert_eq!(v.summary, summary(2, 0, 4, 0));
    // fixing: rename the repeated one, skip the invalid files
    let v = fx.st.rename("s", 5, "a-sub.png").unwrap();
    assert_eq!(v.summary, summary(4, 0, 2, 0));
    let v = fx.st.skip_invalid("s").unwrap();
    assert_eq!(v.summary, summary(4, 0, 0, 2));
    assert!(v.rows[3].skip && v.rows[4].skip);
    // a second drop appends and rechecks names
    let v = fx
        .st
        .scan("s", vec![d.join("b.png").display().to_string()], true)
        .await
        .unwrap();
    assert_eq!(v.rows.len(), 7);
    assert_eq!(v.summary, summary(3, 0, 2, 2));
    assert!(fx.st.rename("s", 99, "x").is_err());
    assert!(fx.st.set_skip("s", &[99], true).is_err());
    // a list with one bad row changes none of them
    assert!(fx.st.set_skip("s", &[0, 99], true).is_err());
    assert!(!fx.st.view("s").unwrap().rows[0].skip);
    fx.st.close("s");
    assert_eq!(fx.st.view("s").unwrap_err().kind, ErrorKind::BadInput);
}

#[tokio::test]
async fn thumbnails_only_for_local_images() {
    let fx = fixture().await;
    let d = drop_folder(fx.dir.path());
    fx.st
        .scan("s", vec![d.display().to_string()], false)
        .await
        .unwrap();
    let th = fx.st.thumbnails("s", vec![0, 3, 4, 42]).await.unwrap();
    let by: HashMap<usize, Option<String>> = th.into_iter().map(|t| (t.idx, t.url)).collect();
    assert!(
        by[&0]
            .as_deref()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(by[&3], None);
    assert_eq!(by[&4], None);
    assert!(!by.contains_key(&42));
}

#[tokio::test]
async fn task_lists_load_and_bad_ones_say_where() {
    let fx = fixture().await;
    let root = fx.dir.path();
    std::fs::write(root.join("img.png"), PNG).unwrap();
    std::fs::write(
        root.join("list.csv"),
        "name,resource,score\none,img.png,3\ntwo,https://example.invalid/x.png,\n",
    )
    .unwrap();
    let v = fx
        .st
        .load("s", root.join("list.csv").display().to_string(), false)
        .await
        .unwrap();
    assert_eq!(v.rows.len(), 2);
    assert_eq!(v.rows[0].kind, Kind::Image);
    assert_eq!(v.rows[1].kind, Kind::Remote);
    assert_eq!(v.summary, summary(2, 0, 0, 0));
    std::fs::write(root.join("list.json"), r#"[{"name": "j", "resources": 3}]"#).unwrap();
    let e = fx
        .st
        .load("s", root.join("list.json").display().to_string(), true)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("list.json"), "{}", e.message);
    // the table is unchanged by a refused list
    assert_eq!(fx.st.view("s").unwrap().rows.len(), 2);
}

#[tokio::test]
async fn duplicates_follow_the_policy_and_the_job_creates_exactly_the_new_tasks() {
    let fx = fixture().await;
    let existing = names_in(&fx.core, BATCH).await;
    let taken = existing[0].clone();
    let d = fx.dir.path().join("imgs");
    std::fs::create_dir_all(&d).unwrap();
    for n in ["n1.png", "n2.png", "n3.png"] {
        std::fs::write(d.join(n), PNG).unwrap();
    }
    std::fs::write(d.join(&taken), PNG).unwrap();
    std::fs::write(d.join("empty.png"), b"").unwrap();
    fx.st
        .scan("s", vec![d.display().to_string()], false)
        .await
        .unwrap();
    fx.st.skip_invalid("s").unwrap();
    let v = check(
        &fx.core,
        &fx.st,
        "s".into(),
        PROJECT.into(),
        Some(BATCH.into()),
    )
    .await
    .unwrap();
    assert_eq!(v.summary, summary(3, 1, 0, 1));
    assert!(!v.needs_batch_check);
    let client = fx.core.client().await.unwrap();
    let mut req = StartRequest {
        session: "s".into(),
        project_id: PROJECT.into(),
        project_name: "Demo".into(),
        target: BatchTarget::Existing {
            batch_id: BATCH.into(),
        },
        policy: DuplicatePolicy::Refuse,
    };
    let e = fx
        .st
        .prepare(&client, ("local-sandbox", "Local"), &req)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("skip existing"), "{}", e.message);
    assert!(fx.st.journal().unwrap().jobs().unwrap().is_empty());

    req.policy = DuplicatePolicy::SkipExisting;
    let job = fx
        .st
        .prepare(&client, ("local-sandbox", "Local"), &req)
        .await
        .unwrap();
    assert_eq!(job.counts.total, 3);
    let unfinished = fx.st.unfinished().unwrap();
    assert_eq!(unfinished.len(), 1);
    // the rows left out are on record with the job: a resume after a restart counts them
    assert_eq!(
        unfinished[0].label.left_out,
        Some(LeftOut {
            existing: 1,
            skipped: 1
        })
    );
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let ev = events.clone();
    let r = fx
        .st
        .run(&client, &job.id, move |p| ev.lock().unwrap().push(p))
        .await
        .unwrap();
    assert!(r.stopped.is_none());
    assert_eq!(r.info.job.state, JobState::Done);
    assert_eq!(r.info.job.counts.done, 3);
    assert_eq!(r.info.label.project_name, "Demo");
    assert!(!r.info.label.batch_name.is_empty());
    {
        let events = events.lock().unwrap();
        // progress is coalesced (at most ten events a second), the last one names an item
        let with_items = events.iter().filter(|p| p.item.is_some()).count();
        assert!((1..=3).contains(&with_items), "{with_items}");
        assert_eq!(events.last().unwrap().counts.done, 3);
        assert_eq!(
            events.last().unwrap().phase,
            Some(lab_jobs::JobPhase::Finished)
        );
    }
    let after = names_in(&fx.core, BATCH).await;
    assert_eq!(after.len(), existing.len() + 3);
    assert_eq!(after.iter().filter(|n| **n == taken).count(), 1);
    let items = fx.st.items(&job.id).unwrap();
    assert!(
        items
            .iter()
            .all(|i| i.status == ItemStatus::Done && i.task_id.is_some())
    );
    assert!(fx.st.unfinished().unwrap().is_empty());
    // nothing failed: "retry failed only" says so
    assert_eq!(
        fx.st.reopen_failed(&job.id).unwrap_err().kind,
        ErrorKind::BadInput
    );
}

#[tokio::test]
async fn a_new_batch_is_created_and_named_on_the_same_screen() {
    let fx = fixture().await;
    let d = fx.dir.path().join("imgs");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("x.png"), PNG).unwrap();
    fx.st
        .scan("s", vec![d.display().to_string()], false)
        .await
        .unwrap();
    let client = fx.core.client().await.unwrap();
    let mut req = StartRequest {
        session: "s".into(),
        project_id: PROJECT.into(),
        project_name: "Demo".into(),
        target: BatchTarget::New { name: "  ".into() },
        policy: DuplicatePolicy::Refuse,
    };
    let e = fx.st.prepare(&client, ("p", "P"), &req).await.unwrap_err();
    assert!(
        e.message.contains("name for the new batch"),
        "{}",
        e.message
    );
    req.target = BatchTarget::New {
        name: "Created from tests".into(),
    };
    let r = start(&fx.core, &fx.st, req, |_| {}).await.unwrap();
    let job = r.info.job.clone();
    assert_eq!(r.info.label.batch_name, "Created from tests");
    assert_eq!(names_in(&fx.core, &job.batch_id).await, ["x.png"]);

    // On record as a create into a new batch, with the task; undone by deleting the batch.
    let page = fx
        .core
        .activity_list(lab_activity::Query::default())
        .await
        .unwrap();
    let e = &page.entries[0];
    assert_eq!(e.kind, lab_activity::EntryKind::Create);
    assert_eq!((e.state, e.succeeded), (lab_activity::EntryState::Done, 1));
    assert!(matches!(
        &e.change,
        lab_activity::Change::Create { new_batch: true, batch_id, job_id: Some(j), .. }
            if *batch_id == job.batch_id && *j == job.id
    ));
    let lines = fx.core.activity_results(e.id, 0, 10).unwrap();
    assert_eq!(lines.rows[0].task_name.as_deref(), Some("x.png"));
    let plan = fx.core.activity_plan_undo(e.id).await.unwrap();
    assert_eq!(plan.batch.as_ref().map(|b| b.now_in_batch), Some(1));
    let done = fx
        .core
        .activity_undo("u", e.id, vec![], |_| {})
        .await
        .unwrap();
    assert_eq!(done.entry.kind, lab_activity::EntryKind::DeleteBatch);
    assert!(names_in(&fx.core, &job.batch_id).await.is_empty());
}

#[tokio::test]
async fn unfinished_jobs_are_offered_and_can_be_discarded_or_resumed_with_their_profile() {
    let fx = fixture().await;
    let d = fx.dir.path().join("imgs");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("r1.png"), PNG).unwrap();
    std::fs::write(d.join("r2.png"), PNG).unwrap();
    fx.st
        .scan("s", vec![d.display().to_string()], false)
        .await
        .unwrap();
    let client = fx.core.client().await.unwrap();
    let req = StartRequest {
        session: "s".into(),
        project_id: PROJECT.into(),
        project_name: "Demo".into(),
        target: BatchTarget::New { name: "R".into() },
        policy: DuplicatePolicy::SkipExisting,
    };
    let a = fx
        .st
        .prepare(&client, ("other", "Other"), &req)
        .await
        .unwrap();
    let b = fx
        .st
        .prepare(&client, (LOCAL_SANDBOX_ID, "Local"), &req)
        .await
        .unwrap();
    let list = fx.st.unfinished().unwrap();
    assert_eq!(list.len(), 2);
    // a job of another profile is not resumed with this connection
    let e = connected(&fx.core, Some(&fx.st.job(&a.id).unwrap().label))
        .await
        .unwrap_err();
    assert!(e.message.contains("Other"), "{}", e.message);
    fx.st.discard(&a.id).unwrap();
    let list = fx.st.unfinished().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].job.id, b.id);
    assert_eq!(list[0].label.profile_name, "Local");
    assert_eq!(list[0].job.counts.total, 2);
    // a fresh state (app restart) finds the same journal
    let again = CreateState::new(fx.core.data_dir());
    assert_eq!(again.unfinished().unwrap().len(), 1);
    let (c, _, _) = connected(&fx.core, Some(&list[0].label)).await.unwrap();
    let r = again.run(&c, &b.id, |_| {}).await.unwrap();
    assert_eq!(r.info.job.counts.done, 2);
    assert!(again.unfinished().unwrap().is_empty());
}

#[test]
fn errors_say_what_to_do() {
    let e = app_error(
        lab_jobs::Error::Input(lab_jobs::Invalid::CsvLine {
            line: 3,
            detail: "fix it".into(),
        }),
        "",
    );
    assert_eq!(
        (e.kind, e.message.as_str(), e.key.as_deref()),
        (
            ErrorKind::BadInput,
            "CSV line 3: fix it",
            Some("err.csvLine")
        )
    );
    let e = app_error(
        lab_jobs::Error::NotFound(lab_jobs::Missing::NoJob { id: "j1".into() }),
        "",
    );
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.key.as_deref(), Some("err.noJob"));
    assert_eq!(e.params.unwrap()["id"], "j1");
    assert_eq!(check_batch_name(" Week 3 ").unwrap(), "Week 3");
    assert!(check_batch_name(&"x".repeat(300)).is_err());
}

#[tokio::test]
async fn labels_live_in_the_journal_and_an_old_labels_file_is_imported_once() {
    let fx = fixture().await;
    let dir = fx.core.data_dir().join("jobs");
    let tasks = vec![lab_client::ops::TaskInput {
        name: "a.png".into(),
        ..Default::default()
    }];
    let (old, labelled) = {
        let j = lab_jobs::Journal::open(&dir).unwrap();
        let old = j
            .create_job("p", "b", DuplicatePolicy::Refuse, &tasks)
            .unwrap();
        let mine = serde_json::json!({"profileId": "x", "profileName": "X", "projectName": "P",
            "batchName": "Kept", "leftOut": null});
        let labelled = j
            .create_job_with_meta("p", "b", DuplicatePolicy::Refuse, &tasks, Some(&mine))
            .unwrap();
        (old, labelled)
    };
    let label = |batch: &str| JobLabel {
        batch_name: batch.into(),
        ..JobLabel::default()
    };
    let file: HashMap<String, JobLabel> = [
        (old.id.clone(), label("Week 1")),
        (labelled.id.clone(), label("Not this")),
        ("a-job-deleted-since".to_string(), label("Gone")),
    ]
    .into();
    let path = dir.join(OLD_LABELS_FILE);
    crate::store::write_json(&path, &file).unwrap();
    assert_eq!(fx.st.job(&old.id).unwrap().label.batch_name, "Week 1");
    assert_eq!(fx.st.job(&labelled.id).unwrap().label.batch_name, "Kept");
    assert!(!path.exists(), "imported, then removed");
    // read from the journal from now on (a new state: nothing cached)
    let again = CreateState::new(fx.core.data_dir());
    assert_eq!(again.job(&old.id).unwrap().label.batch_name, "Week 1");
}

#[tokio::test]
async fn a_damaged_old_labels_file_is_kept_aside() {
    let fx = fixture().await;
    let dir = fx.core.data_dir().join("jobs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(OLD_LABELS_FILE);
    std::fs::write(&path, b"{ not json").unwrap();
    assert!(fx.st.journal().unwrap().jobs().unwrap().is_empty());
    assert_eq!(
        std::fs::read(path.with_extension("json.damaged")).unwrap(),
        b"{ not json"
    );
    assert!(!path.exists());
}
