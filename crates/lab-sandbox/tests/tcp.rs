//! Tests over real TCP on 127.0.0.1:0 with reqwest.

use std::time::Duration;

use lab_sandbox::seed::{Seed, SeedBatch, SeedCredential, SeedProject, SeedTask};
use lab_sandbox::{Config, Error, FaultSpec, Running, Sandbox, start};
use serde_json::{Value, json};

fn seed() -> Seed {
    Seed {
        credentials: vec![SeedCredential {
            access_id: "bob".into(),
            secret_key: "pw".into(),
        }],
        projects: vec![SeedProject {
            id: None,
            name: "Polygons".into(),
            status: Some("pending".into()),
            project_type: "iat-polygon".into(),
            configuration: None,
            batches: vec![SeedBatch {
                id: None,
                name: "B".into(),
                status: None,
                tasks: vec![SeedTask {
                    name: "a.png".into(),
                    ..Default::default()
                }],
            }],
        }],
    }
}

async fn serve(config: Config) -> (Sandbox, Running) {
    let sandbox = Sandbox::open(config).unwrap();
    sandbox.apply_seed(&seed()).unwrap();
    let running = start(sandbox.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert!(running.base_url.starts_with("http://127.0.0.1:"));
    assert!(running.base_url.ends_with('/'));
    (sandbox, running)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn login(c: &reqwest::Client, base: &str) -> String {
    let resp = c
        .post(format!("{base}api/user-manager/auth/login"))
        .form(&[("access_id", "bob"), ("secret_key", "pw")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn tokens_really_expire() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::new(dir.path());
    cfg.token_ttl = Duration::from_secs(1);
    let (_s, running) = serve(cfg).await;
    let c = client();
    let base = &running.base_url;
    let resp = c
        .post(format!("{base}api/user-manager/auth/login"))
        .form(&[("access_id", "bob"), ("secret_key", "pw")])
        .send()
        .await
        .unwrap();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["expires_in"], json!(1));
    let token = v["access_token"].as_str().unwrap().to_string();
    let url = format!("{base}api/project-manager/projects");
    let ok = c.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let expired = c.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(expired.status(), 401);
    let v: Value = expired.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("expired"));
    running.shutdown().await;
}

/// Outcome of each of `n` unauthenticated requests: a status or "reset".
async fn fault_run(seed: u64, n: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::new(dir.path());
    cfg.faults = "5xx=0.25,429=0.25,reset=0.2,latency=1ms"
        .parse::<FaultSpec>()
        .unwrap();
    cfg.fault_seed = seed;
    let (_s, running) = serve(cfg).await;
    let c = client();
    let mut out = Vec::new();
    for _ in 0..n {
        let r = c
            .get(format!("{}api/project-manager/projects", running.base_url))
            .send()
            .await;
        out.push(match r {
            Err(_) => "reset".to_string(),
            Ok(resp) => {
                let status = resp.status().as_u16();
                if status == 429 {
                    assert_eq!(resp.headers()["retry-after"], "1");
                }
                match resp.bytes().await {
                    Ok(_) => status.to_string(),
                    Err(_) => "reset".to_string(),
                }
            }
        });
    }
    running.shutdown().await;
    out
}

#[tokio::test]
async fn faults_are_reproducible_with_a_seed() {
    let a = fault_run(7, 40).await;
    let b = fault_run(7, 40).await;
    assert_eq!(a, b);
    for kind in ["500", "429", "reset", "401"] {
        assert!(a.iter().any(|o| o == kind), "no {kind} in {a:?}");
    }
    let other = fault_run(8, 40).await;
    assert_ne!(a, other);
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let c = client();
    let (sandbox, running) = serve(Config::new(dir.path())).await;
    let base = running.base_url.clone();
    let token = login(&c, &base).await;
    let projects: Value = c
        .get(format!("{base}api/project-manager/projects"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = projects["docs"][0]["_id"].as_str().unwrap().to_string();
    let batch: Value = c
        .post(format!("{base}api/task-manager/batches"))
        .bearer_auth(&token)
        .json(&json!({"name": "kept", "projectId": pid}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    running.shutdown().await;
    drop(sandbox);

    // Same dir, new process state: the batch, its dates and even the token are still there.
    let sandbox = Sandbox::open(Config::new(dir.path())).unwrap();
    let running = start(sandbox, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let again: Value = c
        .get(format!(
            "{}api/task-manager/batches/{}",
            running.base_url,
            batch["_id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["name"], json!("kept"));
    assert_eq!(again["createdAt"], batch["createdAt"]);
    running.shutdown().await;
}

#[tokio::test]
async fn seeds_apply_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::open(Config::new(dir.path())).unwrap();
    sandbox.apply_seed(&seed()).unwrap();
    sandbox.apply_seed(&seed()).unwrap();
    let running = start(sandbox.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let c = client();
    let token = login(&c, &running.base_url).await;
    let get = |path: &str| {
        let c = c.clone();
        let url = format!("{}{path}", running.base_url);
        let token = token.clone();
        async move {
            c.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        get("api/project-manager/projects").await["totalDocs"],
        json!(1)
    );
    assert_eq!(get("api/task-manager/batches").await["totalDocs"], json!(1));
    assert_eq!(get("api/task-manager/tasks").await["totalDocs"], json!(1));
    // An invalid seed is refused as a whole.
    let mut bad = seed();
    bad.projects[0].project_type = "iat-teapot".into();
    assert!(matches!(sandbox.apply_seed(&bad), Err(Error::Seed(_))));
    running.shutdown().await;
}

#[tokio::test]
async fn start_refuses_non_loopback_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::open(Config::new(dir.path())).unwrap();
    let err = start(sandbox, "0.0.0.0:0".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RemoteNotAllowed(_)));
    assert!(err.to_string().contains("allow-remote"));
}

#[tokio::test]
async fn create_pipeline_and_request_log_over_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let mut cfg = Config::new(dir.path().join("data"));
    cfg.request_log = Some(log.clone());
    let (_s, running) = serve(cfg).await;
    let base = running.base_url.clone();
    let c = client();
    let token = login(&c, &base).await;
    let batches: Value = c
        .get(format!(
            "{base}api/task-manager/batches?pagination=true&page=1&limit=10"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bid = batches["docs"][0]["_id"].as_str().unwrap().to_string();
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3];
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(png.clone()).file_name("img 1.png"),
        )
        .text("path", "0b7c-uuid")
        .text("batchId", bid.clone());
    let file: Value = c
        .post(format!(
            "{base}api/file-manager/files?skipTaskCreation=true"
        ))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fid = file["_id"].as_str().unwrap().to_string();
    let content = c
        .get(format!("{base}api/file-manager/files/{fid}/content"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(content.headers()["content-type"], "image/png");
    assert_eq!(content.bytes().await.unwrap().to_vec(), png);
    let grant: Value = c
        .post(format!("{base}api/file-manager/grant/files"))
        .bearer_auth(&token)
        .json(&json!({"ids": [fid]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resp = c
        .post(format!("{base}api/task-manager/batches/{bid}/tasks"))
        .bearer_auth(&token)
        .json(
            &json!({"name": "img 1.png", "resources": [{"id": fid, "name": "img 1.png"}],
                      "properties": null, "dataId": null,
                      "grantResources": grant["accessToken"], "grantData": null}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let list = c
        .get(format!(
            "{base}api/task-manager/tasks?projectId=x&statuses=pending&statuses=complete&nameLike=x.%2A"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    running.shutdown().await;

    let lines: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["path"], json!("/api/user-manager/auth/login"));
    assert_eq!(
        lines[0]["body"],
        json!([["access_id", "bob"], ["secret_key", "REDACTED"]])
    );
    assert_eq!(lines[0]["status"], json!(201));
    assert_eq!(
        lines[1]["query"],
        json!([["pagination", "true"], ["page", "1"], ["limit", "10"]])
    );
    let mp = &lines[2]["multipart"];
    assert_eq!(
        mp[0],
        json!({"name": "file", "filename": "img 1.png", "size": 7})
    );
    assert_eq!(mp[1]["name"], json!("path"));
    assert_eq!(mp[2]["name"], json!("batchId"));
    assert_eq!(lines[4]["body"], json!({"ids": [fid]}));
    assert_eq!(lines[5]["body"]["name"], json!("img 1.png"));
    assert_eq!(
        lines[6]["query"],
        json!([
            ["projectId", "x"],
            ["statuses", "pending"],
            ["statuses", "complete"],
            ["nameLike", "x.*"]
        ])
    );
    let raw = std::fs::read_to_string(&log).unwrap();
    assert!(!raw.contains("\"pw\""), "secret leaked into the log");
    assert!(!raw.contains(&token), "token leaked into the log");
}

/// The server runs on a thread of its own: a caller that blocks its (single-threaded) runtime
/// is still answered, and shutdown frees the port.
#[tokio::test(flavor = "current_thread")]
async fn serves_from_its_own_thread_even_when_the_caller_blocks() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (_, running) = serve(Config::new(dir.path())).await;
    let addr = running.addr;
    // A blocking request from the runtime's only thread: on the caller's runtime this would
    // never be answered.
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(
        b"GET /api/task-manager/projects HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    running.shutdown().await;
    // the port is free again once shutdown returns
    std::net::TcpListener::bind(addr).expect("the port is released after shutdown");
}
