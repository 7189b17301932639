//! The `lab` binary against a lab-sandbox on 127.0.0.1:0.

use std::path::Path;
use std::process::Output;

use lab_sandbox::{Config, Running, Sandbox, seed::Seed};
use serde_json::{Value, json};

const P: &str = "p-rect";
const B: &str = "b-main";
const E: &str = "b-empty";

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn rect(label: &str) -> Value {
    json!({"image": {"width": 40, "height": 30}, "annotations": [{
        "labels": {"Objects": {"labels": [{"id": label, "name": label}]}},
        "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.5, 0.5]}}]}]})
}

async fn sandbox(dir: &Path) -> Running {
    sandbox_with(dir, lab_sandbox::FaultSpec::default()).await
}

async fn sandbox_with(dir: &Path, faults: lab_sandbox::FaultSpec) -> Running {
    let seed: Seed = serde_json::from_value(json!({
        "credentials": [{"access_id": "id", "secret_key": "secret"}],
        "projects": [{"_id": P, "name": "Rectangles", "projectType": "iat-rectangle",
            "configuration": {"metadata": {"labelOptions": {
                "mainLists": [{"name": "Objects", "keys": ["o"]}],
                "availableLabels": {"o": [{"id": "car", "name": "Car", "color": "#f00", "bChannel": 1},
                                          {"id": "person", "name": "Person", "color": "#0f0", "bChannel": 2}]}}}},
            "batches": [
                {"_id": B, "name": "main", "tasks": [
                    {"_id": "t1", "name": "one.png", "status": "complete", "properties": {"score": 1},
                     "data": rect("car"), "body": rect("person"),
                     "jobs": [{"status": "complete", "state": {"completedAt": "2024-01-01T00:00:00Z", "completedBy": {"email": "ann@x"}}}]},
                    {"_id": "t2", "name": "two.png", "status": "pending"}
                ]},
                {"_id": E, "name": "empty"}
            ]}]
    }))
    .unwrap();
    let mut cfg = Config::new(dir.join("data"));
    cfg.faults = faults;
    let sb = Sandbox::open(cfg).unwrap();
    sb.apply_seed(&seed).unwrap();
    lab_sandbox::start(sb, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn lab(url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(args)
        .env("ISAHIT_LAB_API_ACCESS_ID", "id")
        .env("ISAHIT_LAB_API_SECRET_KEY", "secret")
        .env("ISAHIT_LAB_API_ENDPOINT", url)
        .env("LABDESK_ACTIVITY_DB", activity_db(url))
        .output()
        .await
        .unwrap()
}

/// The activity log of the `lab` runs against one sandbox (a throwaway file, per sandbox).
fn activity_db(url: &str) -> std::path::PathBuf {
    let port: String = url.chars().filter(char::is_ascii_digit).collect();
    std::env::temp_dir()
        .join(format!("lab-cli-tests-{}", std::process::id()))
        .join(format!("activity-{port}.sqlite3"))
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn help_covers_every_command() {
    let o = lab("http://127.0.0.1:9/", &["--help"]).await;
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    for c in [
        "projects",
        "batches",
        "create-batch",
        "tasks",
        "create-tasks",
        "update-properties",
        "redo",
        "review",
        "export",
    ] {
        assert!(text.contains(c), "{c} missing from --help");
    }
    let o = lab("http://127.0.0.1:9/", &["tasks", "--help"]).await;
    let text = String::from_utf8_lossy(&o.stdout);
    for f in [
        "--name-like",
        "--created-gte",
        "--updated-lte",
        "--optional-field",
        "--compatibility",
        "--raw-data",
    ] {
        assert!(text.contains(f), "{f} missing from tasks --help");
    }
}

#[tokio::test]
async fn credentials_problems_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let s = sandbox(dir.path()).await;
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["projects"])
        .env_remove("ISAHIT_LAB_API_ACCESS_ID")
        .env_remove("ISAHIT_LAB_API_SECRET_KEY")
        .env("ISAHIT_LAB_API_ENDPOINT", &s.base_url)
        .output()
        .await
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("ISAHIT_LAB_API_ACCESS_ID"),
        "{}",
        stderr(&o)
    );
    let o = lab(&s.base_url, &["projects", "--secret-key", "wrong"]).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("access id"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("wrong"), "secret printed");
}

#[tokio::test]
async fn listing_commands() {
    let dir = tempfile::tempdir().unwrap();
    let s = sandbox(dir.path()).await;
    let o = lab(&s.base_url, &["projects"]).await;
    ok(&o);
    assert_eq!(lines(&o)[0]["id"], P);
    let o = lab(&s.base_url, &["batches", "--project", P]).await;
    ok(&o);
    assert_eq!(lines(&o).len(), 2);
    let o = lab(
        &s.base_url,
        &["create-batch", "--project", P, "--name", "third"],
    )
    .await;
    ok(&o);
    assert_eq!(lines(&o)[0]["name"], "third");

    // lab view: data merged, lastAnnotator, jobs dropped
    let o = lab(
        &s.base_url,
        &[
            "tasks",
            "--project",
            P,
            "--status",
            "complete",
            "--optional-field",
            "data",
            "--optional-field",
            "lastAnnotator",
            "-q",
        ],
    )
    .await;
    ok(&o);
    let t = lines(&o);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["name"], "one.png");
    assert_eq!(t[0]["lastAnnotator"], "ann@x");
    assert!(t[0].get("jobs").is_none());
    assert_eq!(
        t[0]["data"]["annotations"][0]["labels"]["Objects"]["labels"][0]["id"],
        "person"
    );
    // raw
    let o = lab(
        &s.base_url,
        &["tasks", "--project", P, "--task-id", "t1", "--raw-data"],
    )
    .await;
    ok(&o);
    assert!(lines(&o)[0]["data"]["metadata"].is_object());
    // kili
    let o = lab(
        &s.base_url,
        &[
            "tasks",
            "--project",
            P,
            "--name",
            "one.png",
            "--compatibility",
            "kili",
        ],
    )
    .await;
    ok(&o);
    let k = &lines(&o)[0];
    assert_eq!(k["status"], "LABELED");
    assert_eq!(
        k["latestLabel"]["jsonResponse"]["OBJECT_DETECTION_JOB"]["annotations"][0]["categories"][0]
            ["name"],
        "person"
    );
    // bad filter value refused by the parser
    let o = lab(&s.base_url, &["tasks", "--project", P, "--status", "done"]).await;
    assert!(!o.status.success());
}

#[tokio::test]
async fn create_tasks_from_folder_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = sandbox(dir.path()).await;
    let imgs = dir.path().join("imgs");
    std::fs::create_dir(&imgs).unwrap();
    std::fs::write(imgs.join("a.png"), PNG).unwrap();
    std::fs::write(imgs.join("b.png"), PNG).unwrap();
    std::fs::write(imgs.join(".hidden.png"), PNG).unwrap();
    let folder = imgs.to_str().unwrap();
    let o = lab(
        &s.base_url,
        &["create-tasks", "--project", P, "--batch", E, folder],
    )
    .await;
    ok(&o);
    let out = lines(&o);
    assert_eq!(out.len(), 2);
    assert!(
        out.iter()
            .all(|l| l["status"] == "ok" && l["id"].is_string())
    );
    assert!(stderr(&o).contains("Created 2 task(s)"), "{}", stderr(&o));

    // again: refused, clear message, nothing created
    let o = lab(
        &s.base_url,
        &["create-tasks", "--project", P, "--batch", E, folder],
    )
    .await;
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("already exist") && stderr(&o).contains("a.png"),
        "{}",
        stderr(&o)
    );
    let o = lab(
        &s.base_url,
        &[
            "create-tasks",
            "--project",
            P,
            "--batch",
            E,
            folder,
            "--skip-existing",
        ],
    )
    .await;
    ok(&o);
    assert!(lines(&o).iter().all(|l| l["status"] == "skipped"));

    // SDK tasks file with data; invalid data refused with the path
    let f = dir.path().join("tasks.json");
    std::fs::write(&f, serde_json::to_string(&json!([
        {"name": "remote", "resources": ["https://example.invalid/r.png"], "data": rect("car"), "properties": {"score": 3}}
    ])).unwrap()).unwrap();
    let o = lab(
        &s.base_url,
        &[
            "create-tasks",
            "--project",
            P,
            "--batch",
            E,
            "--tasks",
            f.to_str().unwrap(),
            "--quiet",
        ],
    )
    .await;
    ok(&o);
    let mut bad = rect("car");
    bad["annotations"][0]["polygons"][0]["geometry"]["vertices"][0] = json!(7);
    std::fs::write(
        &f,
        serde_json::to_string(&json!([{"name": "bad", "data": bad}])).unwrap(),
    )
    .unwrap();
    let o = lab(
        &s.base_url,
        &[
            "create-tasks",
            "--project",
            P,
            "--batch",
            E,
            "--tasks",
            f.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("/annotations/0/polygons/0/geometry/vertices/0"),
        "{}",
        stderr(&o)
    );
    let o = lab(
        &s.base_url,
        &["tasks", "--project", P, "--batch", E, "--raw-data"],
    )
    .await;
    ok(&o);
    assert_eq!(lines(&o).len(), 3);
}

#[tokio::test]
async fn bulk_commands() {
    let dir = tempfile::tempdir().unwrap();
    let s = sandbox(dir.path()).await;
    let o = lab(
        &s.base_url,
        &[
            "update-properties",
            "--project",
            P,
            "--task-id",
            "t1",
            "--task-id",
            "t2",
            "--task-id",
            "t1",
            "--score",
            "4",
            "--custom",
            "{\"team\": \"a b\"}",
        ],
    )
    .await;
    ok(&o);
    assert_eq!(lines(&o).len(), 2);
    let o = lab(
        &s.base_url,
        &[
            "update-properties",
            "--project",
            P,
            "--task-id",
            "t1",
            "--custom",
            "[1]",
        ],
    )
    .await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("custom"), "{}", stderr(&o));
    let o = lab(
        &s.base_url,
        &["redo", "--project", P, "--task-id", "t1", "--reset"],
    )
    .await;
    ok(&o);
    let o = lab(&s.base_url, &["tasks", "--project", P, "--task-id", "t1"]).await;
    ok(&o);
    let t = &lines(&o)[0];
    assert_eq!(t["status"], "pending");
    assert_eq!(t["properties"]["score"], 4);
    assert_eq!(t["properties"]["custom"]["team"], "a b");
    assert_eq!(
        t["data"]["annotations"][0]["labels"]["Objects"]["labels"][0]["id"], "car",
        "reset restored the initial data"
    );
    let o = lab(
        &s.base_url,
        &[
            "review",
            "--project",
            P,
            "--task-id",
            "t2",
            "--task-id",
            "nope",
        ],
    )
    .await;
    assert!(!o.status.success(), "one failure → non-zero exit");
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
    let o = lab(
        &s.base_url,
        &[
            "tasks",
            "--project",
            P,
            "--status",
            "to-review",
            "--raw-data",
        ],
    )
    .await;
    ok(&o);
    assert_eq!(lines(&o)[0]["_id"], "t2");
}

#[tokio::test]
async fn create_300_under_faults_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let s = sandbox_with(dir.path(), "5xx=0.1,429=0.05,reset=0.05".parse().unwrap()).await;
    let tasks: Vec<Value> = (0..300)
        .map(|i| json!({"name": format!("f-{i:03}"), "resources": [format!("https://example.invalid/{i}.png")]}))
        .collect();
    let f = dir.path().join("tasks.json");
    std::fs::write(&f, serde_json::to_string(&tasks).unwrap()).unwrap();
    let o = lab(
        &s.base_url,
        &[
            "create-tasks",
            "--project",
            P,
            "--batch",
            E,
            "--tasks",
            f.to_str().unwrap(),
            "-q",
        ],
    )
    .await;
    ok(&o);
    let o = lab(
        &s.base_url,
        &["tasks", "--project", P, "--batch", E, "--raw-data", "-q"],
    )
    .await;
    ok(&o);
    let names: Vec<String> = lines(&o)
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 300);
    assert_eq!(
        names.iter().collect::<std::collections::HashSet<_>>().len(),
        300
    );
}

#[tokio::test]
async fn history_and_undo_over_the_activity_log() {
    let dir = tempfile::tempdir().unwrap();
    let s = sandbox(dir.path()).await;
    let url = s.base_url.as_str();
    let o = lab(
        url,
        &[
            "update-properties",
            "--project",
            P,
            "--task-id",
            "t1",
            "--task-id",
            "t2",
            "--score",
            "7",
            "--custom",
            "{\"team\": \"z\"}",
        ],
    )
    .await;
    ok(&o);
    assert_eq!(lines(&o).len(), 2, "stdout stays one outcome per task");
    assert!(
        stderr(&o).contains("Recorded as activity #"),
        "{}",
        stderr(&o)
    );
    let o = lab(url, &["redo", "--project", P, "--task-id", "t2"]).await;
    ok(&o);

    // history: newest first, both entries, JSON lines with --json
    let o = lab(url, &["history", "--json"]).await;
    ok(&o);
    let entries = lines(&o);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["kind"], "redo");
    assert_eq!(entries[1]["kind"], "properties");
    assert_eq!(entries[1]["succeeded"], 2);
    assert_eq!(entries[1]["actor"]["profile"], "lab");
    assert_eq!(entries[1]["actor"]["source"], "cli");
    let props = entries[1]["id"].as_i64().unwrap().to_string();
    let redo = entries[0]["id"].as_i64().unwrap().to_string();
    let o = lab(url, &["history", "--kind", "properties"]).await;
    ok(&o);
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        table.contains(&format!("#{props}")) && !table.contains(&format!("#{redo} ")),
        "{table}"
    );
    assert!(table.contains("undoable"), "{table}");
    // another account's history is not shown unless asked
    let o = tokio::process::Command::new(env!("CARGO_BIN_EXE_lab"))
        .args(["history", "--json", "--access-id", "someone-else"])
        .env("LABDESK_ACTIVITY_DB", activity_db(url))
        .output()
        .await
        .unwrap();
    ok(&o);
    assert!(lines(&o).is_empty());

    // one entry, with each task's values before and after; as CSV
    let o = lab(url, &["history", &props]).await;
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.contains("t1 one.png"), "{text}");
    assert!(
        text.contains(r#"{"score":1,"custom":{"team":null}} -> {"score":7,"custom":{"team":"z"}}"#),
        "{text}"
    );
    let o = lab(url, &["history", &props, "--csv"]).await;
    ok(&o);
    let csv = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.lines().next().unwrap().contains("task_id"));

    // redo cannot be undone, and says why
    let o = lab(url, &["undo", &redo, "--yes"]).await;
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("cannot take back a redo"),
        "{}",
        stderr(&o)
    );
    // not a terminal and no --yes: asks for --yes, changes nothing
    let o = lab(url, &["undo", &props]).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    let o = lab(url, &["undo", &props, "--dry-run"]).await;
    ok(&o);
    // t2 was sent to redo since: its updatedAt moved, it is a conflict
    assert!(
        stderr(&o).contains("Ready to restore: 1 task(s)"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("Changed since"), "{}", stderr(&o));
    assert!(stderr(&o).contains("t2 two.png: now"), "{}", stderr(&o));
    let o = lab(url, &["tasks", "--project", P, "--task-id", "t1"]).await;
    assert_eq!(lines(&o)[0]["properties"]["score"], 7);

    let o = lab(url, &["undo", &props, "--yes", "--include", "t1"]).await;
    assert!(!o.status.success(), "t1 is not a conflict");
    assert!(stderr(&o).contains("not a conflict"), "{}", stderr(&o));
    let o = lab(url, &["undo", &props, "--yes", "--include", "t2"]).await;
    ok(&o);
    assert!(stderr(&o).contains("Restored 2 task(s)"), "{}", stderr(&o));
    let o = lab(url, &["tasks", "--project", P]).await;
    let tasks = lines(&o);
    let t1 = tasks.iter().find(|t| t["_id"] == "t1").unwrap();
    let t2 = tasks.iter().find(|t| t["_id"] == "t2").unwrap();
    assert_eq!(t1["properties"]["score"], 1);
    assert!(t1["properties"]["custom"].get("team").is_none(), "{t1}");
    assert!(t2["properties"].get("score").is_none(), "{t2}");
    // a second undo is refused; the undo is itself on record
    let o = lab(url, &["undo", &props, "--yes"]).await;
    assert!(!o.status.success());
    assert!(stderr(&o).contains("undone already"), "{}", stderr(&o));
    let o = lab(url, &["history", "--json", "--kind", "restore"]).await;
    assert_eq!(lines(&o).len(), 1);
    let o = lab(url, &["undo", "999", "--yes"]).await;
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no activity entry #999"),
        "{}",
        stderr(&o)
    );
}
