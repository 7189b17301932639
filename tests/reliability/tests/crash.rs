//! Crashes: SIGKILL `lab create-tasks` at seeded random points, 10 times, then rerun the
//! same command with --skip-existing → exact count, no duplicates, later creates unaffected.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use serde_json::json;

const N: usize = 600;
const LOCAL: usize = 40;
const BATCH: &str = "b-crash";

/// xorshift64*: reproducible kill points without extra dependencies.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_creates_resume_exactly() {
    let w = World::new("latency=30ms".parse().unwrap(), Duration::from_secs(3600)).await;
    let c = w.client();
    let dir = tempfile::tempdir().unwrap();
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let resource = if i < LOCAL {
                let p = dir.path().join(format!("crash-{i:04}.png"));
                std::fs::write(&p, PNG).unwrap();
                p.display().to_string()
            } else {
                format!("https://example.invalid/crash/{i}.png")
            };
            let data = (i % 3 == 0).then(|| rect("person", [0.2, 0.2, 0.6, 0.6]));
            json!({"name": format!("crash-{i:04}"), "resources": [resource], "data": data})
        })
        .collect();
    let file = dir.path().join("tasks.json");
    std::fs::write(&file, serde_json::to_vec(&tasks).unwrap()).unwrap();
    let file = file.display().to_string();
    let args = [
        "create-tasks",
        "--project",
        P,
        "--batch",
        BATCH,
        "--tasks",
        &file,
        "--skip-existing",
        "--quiet",
    ];

    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut kills = 0;
    let mut counts = Vec::new();
    for _ in 0..30 {
        if kills == 10 {
            break;
        }
        let delay = rng.between(100, 450);
        let mut child = lab_cmd(w.url(), &args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let names = names_of(&batch_tasks(&c, BATCH).await);
        assert_eq!(
            names.iter().collect::<HashSet<_>>().len(),
            names.len(),
            "no duplicate after a kill at {delay} ms"
        );
        if running {
            kills += 1;
            counts.push(names.len());
        }
        if names.len() == N {
            break;
        }
    }
    eprintln!("FIGURES crash: {kills} SIGKILLs mid-job, tasks after each: {counts:?}");
    assert_eq!(
        kills, 10,
        "10 kills landed while the job ran (counts {counts:?})"
    );
    assert!(
        counts.last().copied().unwrap_or(0) > 0,
        "the killed runs made progress"
    );
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "progress kept between runs"
    );

    // resume: the same command finishes the job
    let out = lab(w.url(), &args).await;
    let (_, err) = text(&out);
    assert!(out.status.success(), "resume failed: {err}");
    let names = names_of(&batch_tasks(&c, BATCH).await);
    let expected: Vec<String> = (0..N).map(|i| format!("crash-{i:04}")).collect();
    assert_eq!(names, expected, "exact tasks, no duplicate, none missing");

    // a later create (default policy: refuse duplicates) is unaffected
    let later: Vec<_> = (0..5)
        .map(|i| json!({"name": format!("later-{i}"), "resources": [format!("https://example.invalid/later/{i}.png")]}))
        .collect();
    let later_file = dir.path().join("later.json");
    std::fs::write(&later_file, serde_json::to_vec(&later).unwrap()).unwrap();
    let out = lab(
        w.url(),
        &[
            "create-tasks",
            "--project",
            P,
            "--batch",
            BATCH,
            "--tasks",
            &later_file.display().to_string(),
        ],
    )
    .await;
    assert!(out.status.success(), "later create: {}", text(&out).1);
    assert_eq!(batch_tasks(&c, BATCH).await.len(), N + 5);
    // and the original list is refused as already present (nothing doubled)
    let out = lab(
        w.url(),
        &[
            "create-tasks",
            "--project",
            P,
            "--batch",
            BATCH,
            "--tasks",
            &file,
        ],
    )
    .await;
    assert!(!out.status.success());
    assert!(text(&out).1.contains("--skip-existing"), "{}", text(&out).1);
    assert_eq!(batch_tasks(&c, BATCH).await.len(), N + 5);
}
