//! The `lab-sandbox` binary: first stdout line, refusals, seeds.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lab-sandbox");

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let re = regex::Regex::new(r"^listening on http://127\.0\.0\.1:([0-9]+)/\n$").unwrap();
    assert!(re.is_match(&line), "first line was {line:?}");
    let base = line
        .trim_end()
        .trim_start_matches("listening on ")
        .to_string();
    Server { child, base }
}

async fn login(base: &str, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}api/user-manager/auth/login"))
        .form(&[("access_id", id), ("secret_key", secret)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn demo_server_prints_its_url_first_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("dir");
    let s = spawn(&[
        "--addr",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--demo",
    ]);
    let resp = login(&s.base, "demo", "demo").await;
    assert_eq!(resp.status(), 201);
    let token = resp.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}api/task-manager/tasks?projectId=demo-form&limit=1",
            s.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["totalDocs"], serde_json::json!(40));
    drop(s);
    // A second start on the same dir skips the (already loaded) demo and keeps the data.
    let s = spawn(&["--data-dir", data.to_str().unwrap(), "--demo"]);
    assert_eq!(login(&s.base, "demo", "demo").await.status(), 201);
}

#[tokio::test]
async fn seed_file_gives_credentials_and_stays_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"credentials": [{"access_id": "ci", "secret_key": "k"}],
            "projects": [{"name": "P", "projectType": "form",
              "configuration": {"metadata": {"inputsLayout": []}},
              "batches": [{"name": "B1"}, {"name": "B2"}]}]}"#,
    )
    .unwrap();
    let data = dir.path().join("data");
    for _ in 0..2 {
        let s = spawn(&[
            "--data-dir",
            data.to_str().unwrap(),
            "--seed",
            seed.to_str().unwrap(),
            "--token-ttl",
            "60",
        ]);
        let resp = login(&s.base, "ci", "k").await;
        assert_eq!(resp.status(), 201);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["expires_in"], serde_json::json!(60));
        let v: serde_json::Value = reqwest::Client::new()
            .get(format!("{}api/task-manager/batches", s.base))
            .bearer_auth(body["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["totalDocs"], serde_json::json!(2));
    }
}

fn run_fail(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).arg("serve").args(args).output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing on stdout when failing");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn bad_invocations_fail_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (_, err) = run_fail(&["--addr", "0.0.0.0:0", "--data-dir", d]);
    assert!(err.contains("--allow-remote"), "{err}");
    let (code, err) = run_fail(&["--data-dir", d, "--faults", "5xx=7"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid fault spec"), "{err}");
    let (_, err) = run_fail(&["--data-dir", d, "--seed", "/nonexistent/seed.json"]);
    assert!(err.contains("seed"), "{err}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"projects\": [{\"name\": 1}]}").unwrap();
    let (_, err) = run_fail(&["--data-dir", d, "--seed", bad.to_str().unwrap()]);
    assert!(err.contains("bad.json"), "{err}");
}
