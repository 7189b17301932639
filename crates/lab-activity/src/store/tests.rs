use serde_json::json;

use super::*;

fn actor(access_id: &str) -> Actor {
    Actor {
        profile: "Local sandbox".into(),
        access_id: access_id.into(),
        endpoint: "http://127.0.0.1:1/".into(),
        source: Source::Window,
    }
}

fn props_entry(s: &ActivityStore, a: &Actor, project: &str, total: u64) -> i64 {
    s.begin(NewEntry {
        actor: a,
        project_id: project,
        project_name: Some("Rectangles"),
        target: &Target::Selection { count: total },
        change: &Change::Properties {
            score: Some(5.into()),
            custom: None,
        },
        total,
        undo_of: None,
    })
    .unwrap()
}

fn line(seq: u64, id: &str, status: ResultStatus) -> TaskResult {
    TaskResult {
        task_name: Some(format!("{id}.png")),
        before: Some(json!({"score": 1})),
        after: Some(json!({"score": 5})),
        ..TaskResult::new(seq, id, status)
    }
}

#[test]
fn an_entry_keeps_its_lines_and_counts() {
    let d = tempfile::tempdir().unwrap();
    let s = ActivityStore::open(d.path().join("a/activity.sqlite3")).unwrap();
    let a = actor("id");
    let e = props_entry(&s, &a, "p1", 3);
    assert_eq!(s.entry(e).unwrap().state, EntryState::Running);
    assert_eq!(
        s.entry(e).unwrap().undo,
        Undoability::No {
            reason: NotUndoable::StillRunning
        }
    );
    s.put_results(
        e,
        &[
            line(0, "t1", ResultStatus::Ok),
            line(1, "t2", ResultStatus::Failed),
            line(2, "t3", ResultStatus::Pending),
        ],
    )
    .unwrap();
    // A line written again replaces the first (pending, then its result).
    s.put_results(e, &[line(2, "t3", ResultStatus::Ok)])
        .unwrap();
    s.finish(e, EntryState::Done, None).unwrap();
    let got = s.entry(e).unwrap();
    assert_eq!(
        (got.total, got.succeeded, got.failed, got.skipped),
        (3, 2, 1, 0)
    );
    assert_eq!(got.state, EntryState::Done);
    assert_eq!(got.undo, Undoability::Undoable);
    assert!(got.finished_at.is_some());
    let (rows, n) = s.results(e, 1, 10).unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        rows.iter().map(|r| r.task_id.as_str()).collect::<Vec<_>>(),
        ["t2", "t3"]
    );
    assert_eq!(rows[1].before, Some(json!({"score": 1})));
    assert!(matches!(s.entry(e + 1), Err(Error::NoEntry(_))));
}

#[test]
fn list_filters_by_account_kind_state_and_words() {
    let d = tempfile::tempdir().unwrap();
    let s = ActivityStore::open(d.path().join("activity.sqlite3")).unwrap();
    let (a, b) = (actor("alice"), actor("bob"));
    let e1 = props_entry(&s, &a, "p1", 1);
    s.put_results(e1, &[line(0, "cat_42", ResultStatus::Ok)])
        .unwrap();
    s.finish(e1, EntryState::Done, None).unwrap();
    let e2 = s
        .begin(NewEntry {
            actor: &a,
            project_id: "p2",
            project_name: Some("Polygons"),
            target: &Target::Selection { count: 1 },
            change: &Change::Redo { reset: true },
            total: 1,
            undo_of: None,
        })
        .unwrap();
    s.finish(e2, EntryState::Cancelled, Some("stopped by the user"))
        .unwrap();
    let e3 = props_entry(&s, &b, "p1", 1);
    s.finish(e3, EntryState::Done, None).unwrap();

    let ids = |q: Query| -> Vec<i64> { s.list(&q).unwrap().iter().map(|e| e.id).collect() };
    assert_eq!(ids(Query::default()), [e3, e2, e1]);
    let alice = || Query {
        access_id: Some("alice".into()),
        ..Query::default()
    };
    assert_eq!(ids(alice()), [e2, e1]);
    assert_eq!(
        ids(Query {
            kinds: vec![EntryKind::Redo],
            ..alice()
        }),
        [e2]
    );
    assert_eq!(
        ids(Query {
            states: vec![EntryState::Done],
            ..alice()
        }),
        [e1]
    );
    // Words: a task id, a project name, the message, the entry number.
    for (text, want) in [
        ("cat_4", vec![e1]),
        ("polygons", vec![e2]),
        ("stopped user", vec![e2]),
        ("nothing-like-this", vec![]),
    ] {
        assert_eq!(
            ids(Query {
                text: Some(text.into()),
                ..alice()
            }),
            want,
            "{text}"
        );
    }
    // `_` is a letter, not a wildcard.
    assert!(
        ids(Query {
            text: Some("cat_4".replace('_', "x")),
            ..alice()
        })
        .is_empty()
    );
    assert_eq!(
        ids(Query {
            before_id: Some(e2),
            limit: Some(1),
            ..Query::default()
        }),
        [e1]
    );
}

#[test]
fn a_running_entry_of_a_dead_process_reads_as_interrupted() {
    let d = tempfile::tempdir().unwrap();
    let s = ActivityStore::open(d.path().join("activity.sqlite3")).unwrap();
    let e = props_entry(&s, &actor("id"), "p1", 2);
    s.put_results(e, &[line(0, "t1", ResultStatus::Ok)])
        .unwrap();
    // As if written by a process that is gone.
    s.conn()
        .execute("UPDATE entries SET pid = 999999999 WHERE id = ?1", [e])
        .unwrap();
    let got = s.entry(e).unwrap();
    assert_eq!(got.state, EntryState::Interrupted);
    assert_eq!(
        got.undo,
        Undoability::Undoable,
        "its finished part can be undone"
    );
    let q = Query {
        states: vec![EntryState::Interrupted],
        ..Query::default()
    };
    assert_eq!(s.list(&q).unwrap().len(), 1);
    let q = Query {
        states: vec![EntryState::Running],
        ..Query::default()
    };
    assert!(s.list(&q).unwrap().is_empty());
}

#[test]
fn kinds_say_whether_and_why_not_undoable() {
    let d = tempfile::tempdir().unwrap();
    let s = ActivityStore::open(d.path().join("activity.sqlite3")).unwrap();
    let a = actor("id");
    let cases = [
        (
            Change::Redo { reset: false },
            Some(NotUndoable::LabCannotReverse),
        ),
        (Change::Review, Some(NotUndoable::LabCannotReverse)),
        (
            Change::Create {
                batch_id: "b".into(),
                batch_name: "B".into(),
                new_batch: false,
                job_id: None,
            },
            Some(NotUndoable::ExistingBatch),
        ),
        (
            Change::Create {
                batch_id: "b".into(),
                batch_name: "B".into(),
                new_batch: true,
                job_id: None,
            },
            None,
        ),
        (
            Change::Export {
                format: "coco".into(),
                path: "/tmp/x".into(),
            },
            Some(NotUndoable::ExportWritesFile),
        ),
    ];
    for (change, want) in cases {
        let e = s
            .begin(NewEntry {
                actor: &a,
                project_id: "p",
                project_name: None,
                target: &Target::Selection { count: 1 },
                change: &change,
                total: 1,
                undo_of: None,
            })
            .unwrap();
        s.put_results(e, &[TaskResult::new(0, "t1", ResultStatus::Ok)])
            .unwrap();
        s.finish(e, EntryState::Done, None).unwrap();
        let got = s.entry(e).unwrap();
        assert_eq!(got.kind, change.kind());
        assert_eq!(got.change, change);
        match want {
            Some(reason) => assert_eq!(got.undo, Undoability::No { reason }),
            None => assert_eq!(got.undo, Undoability::Undoable),
        }
    }
    // Claimed by an undo, then given back.
    let e = props_entry(&s, &a, "p", 1);
    s.put_results(e, &[line(0, "t1", ResultStatus::Ok)])
        .unwrap();
    s.finish(e, EntryState::Done, None).unwrap();
    assert!(s.claim_undo(e, 77).unwrap());
    assert!(!s.claim_undo(e, 78).unwrap(), "a second undo must not run");
    assert_eq!(s.entry(e).unwrap().undo, Undoability::Undone { by: 77 });
    s.release_undo(e, 77).unwrap();
    assert_eq!(s.entry(e).unwrap().undo, Undoability::Undoable);
}

#[test]
fn csv_has_one_line_per_task() {
    let d = tempfile::tempdir().unwrap();
    let s = ActivityStore::open(d.path().join("activity.sqlite3")).unwrap();
    let e = props_entry(&s, &actor("id"), "p1", 2);
    s.put_results(
        e,
        &[
            line(0, "t1", ResultStatus::Ok),
            TaskResult {
                message: Some("Task not found, \"really\"".into()),
                ..TaskResult::new(1, "t2", ResultStatus::Failed)
            },
        ],
    )
    .unwrap();
    s.finish(e, EntryState::Done, None).unwrap();
    let mut out = Vec::new();
    s.write_csv(e, &mut out).unwrap();
    let mut r = csv::Reader::from_reader(out.as_slice());
    let head = r.headers().unwrap().clone();
    assert_eq!(&head[7], "task_id");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][7], "t1");
    assert_eq!(&rows[0][9], "ok");
    assert_eq!(&rows[0][11], r#"{"score":1}"#);
    assert_eq!(&rows[0][12], r#"{"score":5}"#);
    assert_eq!(&rows[1][9], "failed");
    assert_eq!(&rows[1][10], "Task not found, \"really\"");
}

#[test]
fn prune_keeps_the_log_under_its_cap_oldest_first() {
    let d = tempfile::tempdir().unwrap();
    let s = ActivityStore::open(d.path().join("activity.sqlite3")).unwrap();
    let a = actor("id");
    let big = "x".repeat(2000);
    let mut ids = Vec::new();
    for _ in 0..30 {
        let e = props_entry(&s, &a, "p", 100);
        let rows: Vec<TaskResult> = (0..100)
            .map(|i| TaskResult {
                message: Some(big.clone()),
                ..TaskResult::new(i, format!("t{i}"), ResultStatus::Ok)
            })
            .collect();
        s.put_results(e, &rows).unwrap();
        s.finish(e, EntryState::Done, None).unwrap();
        ids.push(e);
    }
    assert!(s.size_bytes().unwrap() > 5 * 1024 * 1024);
    let gone = s
        .prune(&Retention {
            max_mib: 2,
            max_days: None,
        })
        .unwrap();
    assert!(gone > 0);
    assert!(s.size_bytes().unwrap() <= 2 * 1024 * 1024);
    let left: Vec<i64> = s
        .list(&Query::default())
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left.len() as u64, 30 - gone);
    assert_eq!(left[0], *ids.last().unwrap(), "the newest stays");
    // Their lines went with them.
    assert_eq!(s.results(ids[0], 0, 10).unwrap().1, 0);
    // Space is given back to the file system.
    let file = std::fs::metadata(s.path()).unwrap().len();
    s.conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    assert!(
        std::fs::metadata(s.path()).unwrap().len() <= file.max(3 * 1024 * 1024),
        "file still {file} bytes"
    );
    // By age: entries older than the limit go.
    s.conn()
        .execute(
            "UPDATE entries SET started_at = '2020-01-01T00:00:00.000Z' WHERE id = ?1",
            [left[1]],
        )
        .unwrap();
    let gone = s
        .prune(&Retention {
            max_mib: 64,
            max_days: Some(30),
        })
        .unwrap();
    assert_eq!(gone, 1);
    assert!(matches!(s.entry(left[1]), Err(Error::NoEntry(_))));
}

#[test]
fn a_newer_log_is_refused_and_left_alone() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("activity.sqlite3");
    drop(ActivityStore::open(&p).unwrap());
    {
        let c = Connection::open(&p).unwrap();
        c.pragma_update(None, "user_version", FORMAT + 1).unwrap();
    }
    let before = std::fs::read(&p).unwrap();
    match ActivityStore::open(&p) {
        Err(e @ Error::NewerFormat { .. }) => {
            assert!(e.to_string().contains("update Lab Desk"), "{e}");
            assert_eq!(e.code(), "newerFormat");
        }
        other => panic!("expected NewerFormat, got {:?}", other.map(|_| ())),
    }
    assert!(
        std::fs::read(&p).unwrap() == before,
        "the newer file was changed"
    );
}

#[test]
fn a_damaged_log_is_moved_aside_and_a_new_one_started() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("activity.sqlite3");
    std::fs::write(&p, b"this is not a database at all, just some bytes ......").unwrap();
    let s = ActivityStore::open(&p).unwrap();
    let notice = s.notice().expect("a notice").to_owned();
    assert!(notice.contains("moved to"), "{notice}");
    let aside: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert!(
        std::fs::read(aside[0].path()).unwrap()
            == b"this is not a database at all, just some bytes ......",
        "the damaged file is kept as it was"
    );
    let e = props_entry(&s, &actor("id"), "p", 1);
    assert_eq!(s.entry(e).unwrap().id, e);
}

#[test]
fn a_new_log_opened_by_many_at_once_is_made_once() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("activity.sqlite3");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let p = p.clone();
            std::thread::spawn(move || {
                let s = ActivityStore::open(&p)?;
                let e = props_entry(&s, &actor("id"), "p", 50);
                // and they write their lines at the same time, each line twice (pending, done)
                for i in 0..50 {
                    s.put_results(e, &[line(i, &format!("t{i}"), ResultStatus::Pending)])?;
                    s.put_results(e, &[line(i, &format!("t{i}"), ResultStatus::Ok)])?;
                }
                Ok::<_, Error>(())
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let s = ActivityStore::open(&p).unwrap();
    let all = s.list(&Query::default()).unwrap();
    assert_eq!(all.len(), 8);
    assert!(
        all.iter().all(|e| e.succeeded == 50 && e.failed == 0),
        "{all:?}"
    );
}
