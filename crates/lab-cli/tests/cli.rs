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
        .output()
        .await
        .unwrap()
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
