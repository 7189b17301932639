//! The index answers random filters exactly as the lab (sandbox) does.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{PROJECT, STATUSES};
use futures::StreamExt;
use lab_client::{DateRange, TaskFilter};
use lab_index::Index;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

const FILTERS: usize = 1000;

const REGEXES: &[&str] = &[
    r"^img_0[0-4]",
    r"\.png$",
    r"(?i)\.jpe?g$",
    r"(?i)^photo",
    r"1$",
    r"é",
    r"^Scan-\d{2}\.",
    r".",
    r"shared-1[0-9]",
    r"^$",
    r"x\d+$",
    r"[[:upper:]]",
    r"\bphoto\b \d{3}",
];
/// Keys of scalars (present on most or some tasks).
const DATA_KEYS: &[&str] = &[
    "source",
    "weather",
    "n",
    "f",
    "flag",
    "image.width",
    "image.height",
    "meta.k",
    "empty",
    "note",
    "sp ace",
    "back\\slash",
];
/// Keys of objects, arrays or nothing: never match.
const ODD_DATA_KEYS: &[&str] = &["meta", "missing", "tags", "annotations", "image"];
const PROP_KEYS: &[&str] = &[
    "score",
    "custom.priority",
    "custom.source",
    "custom.flag",
    "custom.n",
];
const ODD_PROP_KEYS: &[&str] = &["custom", "nope", "score.x"];
const EXTRA_VALUES: &[&str] = &[
    "3", "3.0", " 3", "2", "2.0", "true", "false", "", "1e0", "high", "null", "camera-A", "foggy",
    "drone", "x", "1", "0.1", "4", "2.5", "320", "100",
];

/// The anchor task most of the time (so that combined filters still match something), else
/// any task.
fn pick<'a>(rng: &mut ChaCha8Rng, docs: &'a [Value], anchor: &'a Value) -> &'a Value {
    if rng.random_bool(0.7) {
        anchor
    } else {
        docs.choose(rng).unwrap()
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// A value for key `k` of `kind` (data or properties): one some task has, or a tricky one.
fn value_for(rng: &mut ChaCha8Rng, docs: &[Value], anchor: &Value, kind: &str, k: &str) -> String {
    if rng.random_bool(0.85) {
        // the anchor's value, else that of a task that has the key
        for attempt in 0..8 {
            let doc = if attempt == 0 {
                pick(rng, docs, anchor)
            } else {
                docs.choose(rng).unwrap()
            };
            let found = if kind == "data" {
                lookup(&doc["data"]["body"], k)
                    .filter(|v| !v.is_null())
                    .or_else(|| lookup(&doc["data"]["metadata"]["body"], k))
            } else {
                lookup(&doc["properties"], k)
            };
            if let Some(s) = found.and_then(scalar_text) {
                return s;
            }
        }
    }
    EXTRA_VALUES.choose(rng).unwrap().to_string()
}

/// A bound near a stored date, written in one of the formats the lab accepts.
fn date_bound(rng: &mut ChaCha8Rng, docs: &[Value], anchor: &Value, field: &str) -> String {
    let doc = pick(rng, docs, anchor);
    let raw = doc[field].as_str().unwrap();
    let t = chrono::DateTime::parse_from_rfc3339(raw)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let t = match rng.random_range(0..6) {
        0 => t + chrono::Duration::milliseconds(1),
        1 => t - chrono::Duration::milliseconds(1),
        _ => t,
    };
    match rng.random_range(0..6) {
        0 | 1 => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        2 => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        3 => t.format("%Y-%m-%d").to_string(),
        4 => (t + chrono::Duration::hours(2))
            .format("%Y-%m-%dT%H:%M:%S%.3f+02:00")
            .to_string(),
        _ => t.format("%Y-%m-%d %H:%M").to_string(),
    }
}

fn date_range(rng: &mut ChaCha8Rng, docs: &[Value], anchor: &Value, field: &str) -> DateRange {
    let mut a = date_bound(rng, docs, anchor, field);
    let mut b = date_bound(rng, docs, anchor, field);
    let norm = |s: &str| lab_index::normalize_filter_date(s).unwrap();
    if norm(&a) > norm(&b) {
        std::mem::swap(&mut a, &mut b);
    }
    let mut r = DateRange::default();
    if rng.random_bool(0.6) {
        if rng.random_bool(0.5) {
            r.gt = Some(a.clone());
        } else {
            r.gte = Some(a.clone());
        }
    }
    if rng.random_bool(0.6) {
        if rng.random_bool(0.5) {
            r.lt = Some(b.clone());
        } else {
            r.lte = Some(b.clone());
        }
    }
    if rng.random_bool(0.1) {
        // every bound at once, one of them exactly on a stored date
        r.gte = Some(a.clone());
        r.gt = Some(date_bound(rng, docs, anchor, field));
    }
    r
}

fn random_filter(rng: &mut ChaCha8Rng, docs: &[Value]) -> TaskFilter {
    let mut f = TaskFilter::new(PROJECT);
    let anchor = docs.choose(rng).unwrap();
    let p = 0.25;
    if rng.random_bool(p) {
        let mut b: Vec<String> = (0..rng.random_range(1..=2))
            .map(|_| format!("b{}", rng.random_range(0..5)))
            .collect();
        b.push(
            pick(rng, docs, anchor)["batchId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        if rng.random_bool(0.2) {
            b.push(["b-empty", "nope", ""].choose(rng).unwrap().to_string());
        }
        f.batch_ids = b;
    }
    if rng.random_bool(p) {
        let mut s: Vec<String> = STATUSES.iter().map(|s| s.to_string()).collect();
        s.shuffle(rng);
        s.truncate(rng.random_range(1..=3));
        s.push(
            pick(rng, docs, anchor)["status"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        f.statuses = s;
    }
    if rng.random_bool(0.15) {
        let n = if rng.random_bool(0.15) {
            150
        } else {
            rng.random_range(1..8)
        };
        let mut ids: Vec<String> = docs
            .choose_multiple(rng, n)
            .map(|d| d["_id"].as_str().unwrap().to_string())
            .collect();
        if rng.random_bool(0.3) {
            ids.push("no-such-task".into());
        }
        ids.push(pick(rng, docs, anchor)["_id"].as_str().unwrap().to_string());
        f.task_ids = ids;
    }
    if rng.random_bool(0.15) {
        let n = rng.random_range(1..6);
        f.names = docs
            .choose_multiple(rng, n)
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect();
        f.names.push(
            pick(rng, docs, anchor)["name"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    if rng.random_bool(p) {
        f.name_like = Some(if rng.random_bool(0.7) {
            REGEXES.choose(rng).unwrap().to_string()
        } else {
            // a literal prefix of a real name, escaped
            let name = pick(rng, docs, anchor)["name"].as_str().unwrap();
            let cut: String = name.chars().take(rng.random_range(1..6)).collect();
            format!("^{}", regex::escape(&cut))
        });
    }
    if rng.random_bool(p) {
        f.created_at = date_range(rng, docs, anchor, "createdAt");
    }
    if rng.random_bool(p) {
        f.updated_at = date_range(rng, docs, anchor, "updatedAt");
    }
    for _ in 0..[0, 0, 0, 1, 1, 2].choose(rng).copied().unwrap() {
        let k = if rng.random_bool(0.9) {
            DATA_KEYS
        } else {
            ODD_DATA_KEYS
        }
        .choose(rng)
        .unwrap();
        let v = value_for(rng, docs, anchor, "data", k);
        f.data.push((k.to_string(), v));
    }
    for _ in 0..[0, 0, 0, 1, 1, 2].choose(rng).copied().unwrap() {
        let k = if rng.random_bool(0.9) {
            PROP_KEYS
        } else {
            ODD_PROP_KEYS
        }
        .choose(rng)
        .unwrap();
        let v = value_for(rng, docs, anchor, "properties", k);
        f.properties.push((k.to_string(), v));
    }
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_filters_match_the_lab() {
    let started = Instant::now();
    let lab = common::start(&common::varied_seed(900, 5, 7), Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut index, _) = Index::open(dir.path().join("index.sqlite3")).unwrap();
    let cancel = lab_client::CancellationToken::new();
    let report = index
        .sync(&lab.client, PROJECT, |_| {}, &cancel)
        .await
        .unwrap();
    assert_eq!(report.fetched, 900);
    assert!(report.full);
    // sorted: the same filters every run
    let mut docs: Vec<Value> = lab.all_docs().await.into_values().collect();
    docs.sort_by(|a, b| a["_id"].as_str().cmp(&b["_id"].as_str()));
    assert_eq!(docs.len(), 900);
    let synced = started.elapsed();

    let mut rng = ChaCha8Rng::seed_from_u64(20_261_204);
    let filters: Vec<TaskFilter> = (0..FILTERS)
        .map(|_| random_filter(&mut rng, &docs))
        .collect();
    let local: Vec<_> = filters.iter().map(|f| index.ids(f)).collect();
    let local_counts: Vec<_> = filters.iter().map(|f| index.count(f)).collect();
    let remote: Vec<_> = futures::stream::iter(filters.iter().cloned())
        .map(|f| lab.ids(f))
        .buffered(4)
        .collect()
        .await;

    let mut mismatches = Vec::new();
    let (mut empty, mut nonempty, mut errors) = (0, 0, 0);
    for (i, f) in filters.iter().enumerate() {
        match (&local[i], &remote[i]) {
            (Ok(l), Ok(r)) => {
                let ls: BTreeSet<&String> = l.iter().collect();
                let rs: BTreeSet<&String> = r.iter().collect();
                assert_eq!(ls.len(), l.len(), "index ids are unique");
                if ls != rs {
                    mismatches.push(format!(
                        "filter #{i}: {}\n  only in index: {:?}\n  only on lab: {:?}",
                        serde_json::to_string(f).unwrap(),
                        ls.difference(&rs).take(10).collect::<Vec<_>>(),
                        rs.difference(&ls).take(10).collect::<Vec<_>>()
                    ));
                }
                assert_eq!(
                    *local_counts[i].as_ref().unwrap(),
                    l.len() as u64,
                    "count agrees with ids"
                );
                if l.is_empty() {
                    empty += 1;
                } else {
                    nonempty += 1;
                }
            }
            (Err(_), Err(_)) => errors += 1,
            (l, r) => mismatches.push(format!(
                "filter #{i}: {}\n  index: {:?}\n  lab: {:?}",
                serde_json::to_string(f).unwrap(),
                l.as_ref().map(Vec::len),
                r.as_ref().map(Vec::len)
            )),
        }
    }
    eprintln!(
        "differential: {FILTERS} filters ({nonempty} non-empty, {empty} empty, {errors} errors on both sides); sync {synced:?}, total {:?}",
        started.elapsed()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // the random filters are not degenerate
    assert!(nonempty > FILTERS * 2 / 5, "{nonempty} non-empty results");
    assert!(empty > 50, "{empty} empty results");
}
