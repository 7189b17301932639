//! Filters over 100,000 indexed tasks answer well under 100 ms.

use std::time::{Duration, Instant};

use lab_client::{DateRange, TaskFilter};
use lab_index::{Index, Sort, SortKey};
use serde_json::{Value, json};

const N: usize = 100_000;
const STATUSES: &[&str] = &[
    "pending",
    "complete",
    "to-review",
    "reviewed",
    "configuring",
];

fn doc(i: usize) -> Value {
    let day = i % 28 + 1;
    json!({
        "_id": format!("t{i:06}"), "name": format!("img_{i:06}.png"),
        "status": STATUSES[i % 5], "batchId": format!("b{}", i % 50), "projectId": "big",
        "resources": ["https://example.invalid/x.png"],
        "properties": {"score": i % 7, "custom": {"team": format!("team-{}", i % 9)}},
        "createdAt": format!("2024-02-{day:02}T{:02}:00:00.000Z", i % 24),
        "updatedAt": format!("2024-03-{day:02}T{:02}:{:02}:00.000Z", i % 24, i % 60),
        "jobs": [], "metrics": {},
        "data": {"body": {"annotations": []}, "metadata": {"body": {"source": (["camera-A", "drone"][i % 2]), "n": i % 10}}}
    })
}

/// Best of three runs (the first also warms the statement cache).
fn time(f: impl Fn() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..3 {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed());
    }
    (best, n)
}

#[test]
fn filters_over_100k_tasks_are_fast() {
    let dir = tempfile::tempdir().unwrap();
    let (mut index, _) = Index::open(dir.path().join("big.sqlite3")).unwrap();
    let t = Instant::now();
    for chunk in (0..N).collect::<Vec<_>>().chunks(10_000) {
        let docs: Vec<Value> = chunk.iter().map(|i| doc(*i)).collect();
        index.upsert_tasks("big", &docs).unwrap();
    }
    eprintln!("inserted {N} tasks in {:?}", t.elapsed());
    let with = |f: &dyn Fn(&mut TaskFilter)| {
        let mut t = TaskFilter::new("big");
        f(&mut t);
        t
    };
    let indexed: Vec<(&str, TaskFilter, usize)> = vec![
        (
            "status",
            with(&|f| f.statuses = vec!["complete".into()]),
            N / 5,
        ),
        (
            "batch",
            with(&|f| f.batch_ids = vec!["b7".into(), "b8".into()]),
            N / 25,
        ),
        (
            "status+batch",
            with(&|f| {
                f.statuses = vec!["pending".into()];
                f.batch_ids = vec!["b5".into()];
            }),
            N / 50,
        ),
        (
            "ids",
            with(&|f| f.task_ids = (0..500).map(|i| format!("t{:06}", i * 7)).collect()),
            500,
        ),
        (
            "names",
            with(&|f| f.names = vec!["img_000042.png".into()]),
            1,
        ),
        (
            "updated range",
            with(&|f| {
                f.updated_at = DateRange {
                    gte: Some("2024-03-10".into()),
                    lt: Some("2024-03-11".into()),
                    ..DateRange::default()
                }
            }),
            (0..N).filter(|i| i % 28 + 1 == 10).count(),
        ),
        (
            "data (key/value table)",
            with(&|f| f.data = vec![("source".into(), "drone".into())]),
            N / 2,
        ),
        (
            "properties (key/value table)",
            with(&|f| f.properties = vec![("custom.team".into(), "team-3".into())]),
            (0..N).filter(|i| i % 9 == 3).count(),
        ),
    ];
    for (what, f, expected) in &indexed {
        let (d, n) = time(|| index.count(f).unwrap() as usize);
        eprintln!("count {what}: {n} in {d:?}");
        assert_eq!(n, *expected, "{what}");
        assert!(d < Duration::from_millis(100), "count {what} took {d:?}");
        let (d, n) = time(|| index.ids(f).unwrap().len());
        eprintln!("ids {what}: {n} in {d:?}");
        assert!(d < Duration::from_millis(100), "ids {what} took {d:?}");
    }
    // a regex is a pass over the project's names: reported, with a looser bound
    let scans: Vec<(&str, TaskFilter, usize)> = vec![(
        "nameLike",
        with(&|f| f.name_like = Some(r"_00000[0-9]\.png$".into())),
        10,
    )];
    for (what, f, expected) in &scans {
        let (d, n) = time(|| index.count(f).unwrap() as usize);
        eprintln!("count {what} (scan of names): {n} in {d:?}");
        assert_eq!(n, *expected, "{what}");
        assert!(d < Duration::from_millis(500), "count {what} took {d:?}");
    }
    let f = with(&|f| f.statuses = vec!["reviewed".into()]);
    let (d, n) = time(|| {
        index
            .rows_page(&f, Sort::desc(SortKey::Score), 0, Some(200))
            .unwrap()
            .len()
    });
    eprintln!("rows sorted by score, first 200 of {}: {d:?}", N / 5);
    assert_eq!(n, 200);
    assert!(d < Duration::from_millis(100), "sorted page took {d:?}");
}
