//! Router tests through `tower::ServiceExt::oneshot`.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::seed::{Seed, SeedBatch, SeedCredential, SeedProject, SeedTask};
use crate::{Config, Sandbox, app};

struct Env {
    _dir: tempfile::TempDir,
    sandbox: Sandbox,
    app: Router,
    token: String,
}

fn seed() -> Seed {
    Seed {
        credentials: vec![SeedCredential {
            access_id: "alice".into(),
            secret_key: "s3cret".into(),
        }],
        projects: vec![SeedProject {
            id: Some("p1".into()),
            name: "Rectangles".into(),
            status: None,
            project_type: "iat-rectangle".into(),
            configuration: Some(json!({"labelOptions": {"mainLists": [], "availableLabels": {}}})),
            batches: vec![SeedBatch {
                id: Some("b1".into()),
                name: "Batch 1".into(),
                status: None,
                tasks: vec![
                    SeedTask {
                        id: Some("t1".into()),
                        name: "one.png".into(),
                        status: Some("complete".into()),
                        data: Some(json!({"comment": "initial", "n": 3, "flag": true})),
                        body: Some(json!({"comment": "annotated", "annotations": [1]})),
                        properties: Some(json!({"score": 3, "custom": {"team": "a"}})),
                        created_at: Some("2024-01-01T10:00:00.000Z".into()),
                        updated_at: Some("2024-01-02T10:00:00.000Z".into()),
                        ..Default::default()
                    },
                    SeedTask {
                        id: Some("t2".into()),
                        name: "two.png".into(),
                        data: Some(json!({"comment": "urgent", "n": 4})),
                        properties: Some(json!({"score": 3.5})),
                        created_at: Some("2024-01-03T10:00:00.000Z".into()),
                        ..Default::default()
                    },
                    SeedTask {
                        id: Some("t3".into()),
                        name: "three.jpg".into(),
                        status: Some("reviewed".into()),
                        created_at: Some("2024-01-05T10:00:00.000Z".into()),
                        ..Default::default()
                    },
                ],
            }],
        }],
    }
}

async fn env_with(config: impl FnOnce(&mut Config)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::new(dir.path().join("data"));
    config(&mut cfg);
    let sandbox = Sandbox::open(cfg).unwrap();
    sandbox.apply_seed(&seed()).unwrap();
    let app = app(sandbox.clone());
    let token = login_as(&app, "alice", "s3cret").await;
    Env {
        _dir: dir,
        sandbox,
        app,
        token,
    }
}

async fn env() -> Env {
    env_with(|_| {}).await
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&bytes)}))
    };
    (status, v)
}

impl Env {
    async fn call(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut b = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.token));
        let body = match body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        send(&self.app, b.body(body).unwrap()).await
    }
    /// POST a task to `batch`'s creation endpoint.
    async fn create_in(&self, batch: &str, body: Value) -> (StatusCode, Value) {
        let url = format!("/api/task-manager/batches/{batch}/tasks");
        self.call("POST", &url, Some(body)).await
    }
    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.call("GET", uri, None).await
    }
    async fn names(&self, query: &str) -> Vec<String> {
        let (s, v) = self
            .get(&format!(
                "/api/task-manager/tasks?projectId=p1&limit=100&{query}"
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{query}: {v}");
        v["docs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    }
    async fn upload(&self, filename: &str, bytes: &[u8], batch: &str) -> (StatusCode, Value) {
        let boundary = "XbOuNdArYx";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n../../evil\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"batchId\"\r\n\r\n{batch}\r\n--{boundary}--\r\n"
            )
            .as_bytes(),
        );
        send(
            &self.app,
            Request::post("/api/file-manager/files?skipTaskCreation=true")
                .header("authorization", format!("Bearer {}", self.token))
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

#[tokio::test]
async fn login_answers_201_with_expiry_and_refuses_bad_credentials() {
    let e = env().await;
    let login = |body: &'static str, ct: &'static str| {
        Request::post("/api/user-manager/auth/login")
            .header("content-type", ct)
            .body(Body::from(body))
            .unwrap()
    };
    let form = "application/x-www-form-urlencoded";
    let (s, v) = send(&e.app, login("access_id=alice&secret_key=s3cret", form)).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["expires_in"], json!(3600));
    let (s, v) = send(&e.app, login("access_id=alice&secret_key=nope", form)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(v["statusCode"], json!(401));
    let (s, v) = send(&e.app, login("access_id=alice", form)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["errorCode"].is_string());
    let (s, _) = send(
        &e.app,
        login(
            r#"{"access_id":"alice","secret_key":"s3cret"}"#,
            "application/json",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = send(&e.app, login("{not json", "application/json")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn every_route_but_login_needs_a_valid_token() {
    let e = env().await;
    let routes = [
        ("GET", "/api/project-manager/projects"),
        (
            "GET",
            "/api/project-configuration-manager/projects/p1/project-configuration",
        ),
        ("GET", "/api/task-manager/batches"),
        ("POST", "/api/task-manager/batches"),
        ("GET", "/api/task-manager/batches/b1"),
        ("DELETE", "/api/task-manager/batches/b1"),
        ("PATCH", "/api/task-manager/batches/b1/tasks-duplicate"),
        ("POST", "/api/task-manager/batches/b1/tasks"),
        ("GET", "/api/task-manager/tasks"),
        ("PATCH", "/api/task-manager/projects/p1/tasks/properties"),
        ("PATCH", "/api/task-manager/tasks/t1/reset"),
        ("PATCH", "/api/task-manager/tasks/t1/to-review"),
        ("POST", "/api/file-manager/files"),
        ("GET", "/api/file-manager/files/x/content"),
        ("POST", "/api/file-manager/grant/files"),
        ("POST", "/api/data-manager/import-data/json"),
        ("GET", "/api/nothing-here"),
    ];
    for (m, p) in routes {
        for auth in [
            None,
            Some("Bearer nope"),
            Some("Basic abc"),
            Some("Bearer "),
        ] {
            let mut b = Request::builder().method(m).uri(p);
            if let Some(a) = auth {
                b = b.header("authorization", a);
            }
            let (s, v) = send(&e.app, b.body(Body::empty()).unwrap()).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {p} {auth:?}: {v}");
            assert_eq!(v["statusCode"], json!(401));
        }
    }
    // The batch survived all those unauthenticated DELETEs.
    assert_eq!(
        e.get("/api/task-manager/batches/b1").await.0,
        StatusCode::OK
    );
    assert_eq!(e.get("/api/nothing-here").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pagination_has_the_documented_shape() {
    let e = env().await;
    let (s, v) = e
        .get("/api/task-manager/tasks?pagination=true&page=1&limit=2&projectId=p1")
        .await;
    assert_eq!(s, StatusCode::OK);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "docs",
            "totalDocs",
            "limit",
            "totalPages",
            "page",
            "pagingCounter",
            "hasPrevPage",
            "hasNextPage",
            "prevPage",
            "nextPage"
        ]
    );
    assert_eq!(v["totalDocs"], json!(3));
    assert_eq!(v["totalPages"], json!(2));
    assert_eq!(v["nextPage"], json!(2));
    assert_eq!(v["prevPage"], Value::Null);
    assert_eq!(v["docs"].as_array().unwrap().len(), 2);
    let (_, v) = e
        .get("/api/task-manager/tasks?pagination=true&page=2&limit=2&projectId=p1")
        .await;
    assert_eq!(v["docs"].as_array().unwrap().len(), 1);
    assert_eq!(v["pagingCounter"], json!(3));
    assert_eq!(v["hasNextPage"], json!(false));
    assert_eq!(v["nextPage"], Value::Null);
    assert_eq!(v["prevPage"], json!(1));
    let (_, v) = e
        .get("/api/task-manager/tasks?limit=5000&projectId=p1")
        .await;
    assert_eq!(v["limit"], json!(1000));
    for bad in [
        "page=0",
        "page=x",
        "limit=-1",
        "limit=1.5",
        "pagination=maybe",
    ] {
        let (s, v) = e.get(&format!("/api/task-manager/tasks?{bad}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(v["message"].as_str().unwrap().len() > 10);
    }
    let (_, v) = e.get("/api/project-manager/projects?page=1&limit=10").await;
    assert_eq!(v["totalDocs"], json!(1));
    assert_eq!(v["docs"][0]["_id"], json!("p1"));
}

#[tokio::test]
async fn every_task_filter_narrows_exactly() {
    let e = env().await;
    let all = ["one.png", "two.png", "three.jpg"];
    assert_eq!(e.names("").await, all);
    assert_eq!(
        e.names("statuses=complete&statuses=reviewed").await,
        ["one.png", "three.jpg"]
    );
    assert_eq!(e.names("batchIds=b1").await, all);
    assert!(e.names("batchIds=other").await.is_empty());
    assert_eq!(
        e.names("taskIds=t2&taskIds=t3").await,
        ["two.png", "three.jpg"]
    );
    assert_eq!(
        e.names("taskNames=two.png&taskNames=nope").await,
        ["two.png"]
    );
    assert_eq!(e.names("nameLike=%5Et.*%5C.png%24").await, ["two.png"]);
    assert_eq!(e.names("nameLike=e%5C.").await, ["one.png", "three.jpg"]);
    assert_eq!(
        e.names("createdAt=%3E%3D2024-01-03+10%3A00%3A00").await,
        ["two.png", "three.jpg"]
    );
    assert_eq!(
        e.names("createdAt=%3E2024-01-03+10%3A00%3A00").await,
        ["three.jpg"]
    );
    assert_eq!(
        e.names("createdAt=%3E2024-01-01+00%3A00%3A00&createdAt=%3C%3D2024-01-03+10%3A00%3A00")
            .await,
        ["one.png", "two.png"]
    );
    assert_eq!(
        e.names("createdAt=%3C2024-01-03T10:00:00.000Z").await,
        ["one.png"]
    );
    assert_eq!(
        e.names("updatedAt=%3E2024-01-02+10%3A00%3A00").await,
        ["two.png", "three.jpg"]
    );
    assert_eq!(
        e.names("updatedAt=%3E%3D2024-01-02+10%3A00%3A00")
            .await
            .len(),
        3
    );
    assert_eq!(
        e.names("updatedAt=%3C%3D2024-01-02+10%3A00%3A00").await,
        ["one.png"]
    );
    // data.k on the merged data: data.body wins over data.metadata.body.
    assert_eq!(e.names("data.comment=annotated").await, ["one.png"]);
    assert!(e.names("data.comment=initial").await.is_empty());
    assert_eq!(e.names("data.comment=urgent").await, ["two.png"]);
    assert_eq!(e.names("data.n=3").await, ["one.png"]);
    assert_eq!(e.names("data.flag=true").await, ["one.png"]);
    assert_eq!(e.names("properties.score=3").await, ["one.png"]);
    assert_eq!(e.names("properties.score=3.5").await, ["two.png"]);
    assert_eq!(e.names("properties.custom.team=a").await, ["one.png"]);
    assert!(e.names("properties.score=x").await.is_empty());
    for (bad, code) in [
        ("nameLike=(", "INVALID_REGEX"),
        ("statuses=done", "VALIDATION_ERROR"),
        ("createdAt=2024-01-01", "BAD_REQUEST"),
        ("createdAt=%3Etomorrow", "BAD_REQUEST"),
        ("optionalFields=everything", "VALIDATION_ERROR"),
        ("data.a%22b=1", "BAD_REQUEST"),
        (
            &(0..6000)
                .map(|i| format!("x={}", i % 10))
                .collect::<Vec<_>>()
                .join("&"),
            "BAD_REQUEST",
        ),
    ] {
        let (s, v) = e.get(&format!("/api/task-manager/tasks?{bad}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert_eq!(v["errorCode"], json!(code), "{bad}");
    }
}

#[tokio::test]
async fn optional_fields_decide_the_returned_keys() {
    let e = env().await;
    e.sandbox.load_demo().unwrap();
    let q = "/api/task-manager/tasks?projectId=demo-segmentation&statuses=complete&limit=1";
    let (_, v) = e.get(q).await;
    let doc = &v["docs"][0];
    assert!(doc.get("data").is_none() && doc.get("jobs").is_none() && doc.get("metrics").is_none());
    for k in [
        "_id",
        "name",
        "status",
        "batchId",
        "projectId",
        "resources",
        "properties",
        "createdAt",
        "updatedAt",
    ] {
        assert!(doc.get(k).is_some(), "missing {k}");
    }
    let (_, v) = e
        .get(&format!("{q}&optionalFields=data&optionalFields=jobs"))
        .await;
    let doc = &v["docs"][0];
    assert!(doc["data"]["body"]["annotations"].is_array());
    assert!(
        doc["data"]["body"].get("mask").is_none(),
        "mask stripped without data.mask"
    );
    assert!(doc["data"]["metadata"]["body"]["image"].is_object());
    for k in ["createdAt", "type", "user", "projectType"] {
        assert!(doc["data"].get(k).is_some(), "data.{k}");
    }
    assert!(doc["jobs"][0]["state"]["completedBy"]["email"].is_string());
    assert!(doc["jobs"][0].get("history").is_none());
    assert!(doc.get("metrics").is_none());
    let (_, v) = e
        .get(&format!(
            "{q}&optionalFields=data&optionalFields=data.mask&optionalFields=jobs.history&optionalFields=metrics"
        ))
        .await;
    let doc = &v["docs"][0];
    assert!(
        doc["data"]["body"]["mask"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert!(doc["jobs"][0]["history"].is_array());
    assert!(doc["metrics"].is_object());
}

#[tokio::test]
async fn demo_covers_every_type_and_status() {
    let e = env().await;
    let summary = e.sandbox.load_demo().unwrap();
    assert!(!summary.already_loaded);
    assert!(e.sandbox.load_demo().unwrap().already_loaded);
    let (_, v) = e
        .get("/api/project-manager/projects?limit=100&search=zzz")
        .await;
    assert_eq!(v["totalDocs"], json!(0));
    let (_, v) = e
        .get("/api/project-manager/projects?search=SEGMENTATION")
        .await;
    assert_eq!(v["totalDocs"], json!(1));
    for ty in [
        "iat-rectangle",
        "iat-polygon",
        "iat-segmentation",
        "iat-graph",
        "form",
    ] {
        let (_, v) = e
            .get(&format!("/api/project-manager/projects?types={ty}"))
            .await;
        let demo: Vec<&Value> = v["docs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["_id"].as_str().unwrap().starts_with("demo-"))
            .collect();
        assert_eq!(demo.len(), 1, "{ty}");
        assert!(
            v["docs"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["type"] == json!(ty))
        );
        let pid = demo[0]["_id"].as_str().unwrap().to_string();
        let (s, cfg) = e
            .get(&format!(
                "/api/project-configuration-manager/projects/{pid}/project-configuration"
            ))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(cfg["projectType"], json!(ty));
        for st in [
            "pending",
            "complete",
            "to-review",
            "reviewed",
            "configuring",
        ] {
            let (_, v) = e
                .get(&format!(
                    "/api/task-manager/tasks?projectId={pid}&statuses={st}&limit=1"
                ))
                .await;
            assert!(
                v["totalDocs"].as_i64().unwrap() > 0,
                "{pid} has no {st} task"
            );
        }
    }
    let (_, v) = e.get("/api/task-manager/tasks?limit=1").await;
    assert_eq!(v["totalDocs"], json!(summary.tasks + 3));
    // Demo images are served by the content extension.
    let (_, v) = e
        .get("/api/task-manager/tasks?projectId=demo-rectangle&limit=1")
        .await;
    let file_id = v["docs"][0]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = e
        .app
        .clone()
        .oneshot(
            Request::get(format!("/api/file-manager/files/{file_id}/content"))
                .header("authorization", format!("Bearer {}", e.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
}

#[tokio::test]
async fn creation_pipeline_checks_grants() {
    let e = env().await;
    let (s, batch) = e
        .call(
            "POST",
            "/api/task-manager/batches",
            Some(json!({"name": "New", "projectId": "p1"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{batch}");
    let bid = batch["_id"].as_str().unwrap().to_string();
    let (s, v) = e
        .call(
            "POST",
            "/api/task-manager/batches",
            Some(json!({"name": "x", "projectId": "nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");

    let (s, file) = e
        .upload("../../../etc/passwd.png", b"\x89PNG fake", &bid)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{file}");
    assert_eq!(file["name"], json!("passwd.png"));
    let fid = file["_id"].as_str().unwrap().to_string();
    // Only sandbox-named files exist on disk, inside files/.
    let stored: Vec<_> = std::fs::read_dir(e.sandbox.files_dir()).unwrap().collect();
    assert_eq!(stored.len(), 1);
    assert!(!e.sandbox.config().data_dir.join("evil").exists());

    let (s, grant) = e
        .call(
            "POST",
            "/api/file-manager/grant/files",
            Some(json!({"ids": [fid]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let gr = grant["accessToken"].as_str().unwrap().to_string();
    let (s, _) = e
        .call(
            "POST",
            "/api/file-manager/grant/files",
            Some(json!({"ids": ["missing"]})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, data) = e
        .call(
            "POST",
            "/api/data-manager/import-data/json?skipTaskCreation=true&grantAccess=true",
            Some(json!({"batchId": bid, "name": "new.png", "body": {
                "annotations": [], "note": "hello", "__project_configuration_overwrite__": null}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{data}");
    let did = data["initialDataId"].as_str().unwrap().to_string();
    let gd = data["accessToken"].as_str().unwrap().to_string();

    let (s, dup) = e
        .call(
            "PATCH",
            &format!("/api/task-manager/batches/{bid}/tasks-duplicate"),
            Some(json!({"names": ["new.png"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(dup["duplicate"], json!([]));

    let tasks_url = format!("/api/task-manager/batches/{bid}/tasks");
    let create = |body: Value| e.call("POST", &tasks_url, Some(body));
    let file_ref = json!({"id": fid, "name": "passwd.png"});
    // Missing or wrong grants.
    let (s, _) =
        create(json!({"name": "x", "resources": [file_ref], "grantResources": null})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = create(json!({"name": "x", "resources": [file_ref], "grantResources": gd})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = create(json!({"name": "x", "dataId": did, "grantData": gr})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = create(json!({"name": "x", "resources": ["/home/me/img.png"]})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _) = create(json!({"resources": []})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (s, task) = create(json!({
        "name": "new.png",
        "resources": [file_ref, "https://example.invalid/a.png", "resource://ds/1"],
        "properties": {"score": 1}, "dataId": did, "grantResources": gr, "grantData": gd,
    }))
    .await;
    assert_eq!(s, StatusCode::CREATED, "{task}");
    assert_eq!(task["status"], json!("pending"));
    assert_eq!(task["projectId"], json!("p1"));
    assert_eq!(task["resources"][1], json!("https://example.invalid/a.png"));
    assert_eq!(task["data"]["body"]["note"], json!("hello"));
    assert!(
        task["data"]["body"]
            .get("__project_configuration_overwrite__")
            .is_none()
    );
    assert_eq!(task["data"]["metadata"]["body"]["note"], json!("hello"));
    assert_eq!(task["data"]["projectType"], json!("iat-rectangle"));

    let (_, dup) = e
        .call(
            "PATCH",
            &format!("/api/task-manager/batches/{bid}/tasks-duplicate"),
            Some(json!({"names": ["new.png", "other.png", "new.png"]})),
        )
        .await;
    assert_eq!(dup["duplicate"], json!(["new.png"]));
    let names: Vec<String> = (0..501).map(|i| format!("n{i}")).collect();
    let (s, _) = e
        .call(
            "PATCH",
            &format!("/api/task-manager/batches/{bid}/tasks-duplicate"),
            Some(json!({"names": names})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Delete the batch: its tasks go too.
    let (s, v) = e
        .call("DELETE", &format!("/api/task-manager/batches/{bid}"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["deletedTasks"], json!(1));
    assert_eq!(
        e.get(&format!("/api/task-manager/batches/{bid}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(e.names("taskNames=new.png").await.is_empty());
}

#[tokio::test]
async fn properties_reset_and_review_change_tasks() {
    let e = env().await;
    let url = "/api/task-manager/projects/p1/tasks/properties";
    let (s, v) = e
        .call(
            "PATCH",
            url,
            Some(json!({"taskIds": ["t1"], "status": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap().contains("status"));
    let many: Vec<String> = (0..201).map(|i| format!("t{i}")).collect();
    let (s, _) = e
        .call("PATCH", url, Some(json!({"taskIds": many, "score": 1})))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = e
        .call(
            "PATCH",
            url,
            Some(json!({"taskIds": ["t1"], "score": "high"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = e
        .call(
            "PATCH",
            "/api/task-manager/projects/nope/tasks/properties",
            Some(json!({"taskIds": ["t1"], "score": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = e
        .call(
            "PATCH",
            url,
            Some(json!({"taskIds": ["t1", "t2", "t1", "ghost"], "score": 5, "custom": {"team": "b", "x": 1}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["updated"], json!(2));
    let (_, v) = e
        .get("/api/task-manager/tasks?projectId=p1&taskIds=t1")
        .await;
    let t1 = &v["docs"][0];
    assert_eq!(
        t1["properties"],
        json!({"score": 5, "custom": {"team": "b", "x": 1}})
    );
    assert!(t1["updatedAt"].as_str().unwrap() > "2024-01-02T10:00:00.000Z");

    // keepState=true keeps the data; keepState=false restores the initial data.
    let (s, v) = e
        .call(
            "PATCH",
            "/api/task-manager/tasks/t1/reset?projectId=p1&keepState=true",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], json!("pending"));
    assert_eq!(v["data"]["body"]["comment"], json!("annotated"));
    let (_, v) = e
        .call(
            "PATCH",
            "/api/task-manager/tasks/t1/reset?projectId=p1&keepState=false",
            None,
        )
        .await;
    assert_eq!(
        v["data"]["body"],
        json!({"comment": "initial", "n": 3, "flag": true})
    );
    assert_eq!(e.names("data.comment=initial").await, ["one.png"]);
    let (s, _) = e
        .call(
            "PATCH",
            "/api/task-manager/tasks/t1/reset?projectId=p1&keepState=perhaps",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = e
        .call(
            "PATCH",
            "/api/task-manager/tasks/t1/reset?projectId=other",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, v) = e
        .call(
            "PATCH",
            "/api/task-manager/tasks/t2/to-review?projectId=p1",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], json!("to-review"));
    assert_eq!(e.names("statuses=to-review").await, ["two.png"]);
    let (s, _) = e
        .call(
            "PATCH",
            "/api/task-manager/tasks/ghost/to-review?projectId=p1",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let e = env_with(|c| c.max_body_bytes = 1024).await;
    let req = |body: Vec<u8>, ct: &str| {
        Request::post("/api/task-manager/batches")
            .header("authorization", format!("Bearer {}", e.token))
            .header("content-type", ct)
            .body(Body::from(body))
            .unwrap()
    };
    let (s, v) = send(&e.app, req(b"{\"name\": ".to_vec(), "application/json")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap().contains("JSON"), "{v}");
    let (s, _) = send(&e.app, req(b"".to_vec(), "application/json")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = send(&e.app, req(b"[1,2]".to_vec(), "application/json")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = send(&e.app, req(vec![b' '; 4096], "application/json")).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["statusCode"], json!(413));
    // Chunked (no content-length) bodies are limited too.
    let stream = futures::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(vec![b' '; 512])));
    let r = Request::post("/api/task-manager/batches")
        .header("authorization", format!("Bearer {}", e.token))
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap();
    let (s, _) = send(&e.app, r).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, _) = e.upload("big.png", &[0u8; 4096], "b1").await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let r = Request::post("/api/file-manager/files")
        .header("authorization", format!("Bearer {}", e.token))
        .header("content-type", "multipart/form-data; boundary=zz")
        .body(Body::from("garbage"))
        .unwrap();
    let (s, v) = send(&e.app, r).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _) = e.get("/api/task-manager/tasks/%FF%FE/to-review").await;
    assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::METHOD_NOT_ALLOWED);
    let (s, _) = e
        .call(
            "PATCH",
            "/api/task-manager/tasks/..%2F..%2Fsandbox.sqlite3/to-review",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = e
        .get("/api/file-manager/files/..%2Fsandbox.sqlite3/content")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn raw_list_documents_equal_the_parsed_ones() {
    use super::tasks::{Fields, load_task};
    let e = env().await;
    e.sandbox.load_demo().unwrap();
    let combos: [&[&str]; 5] = [
        &[],
        &["data"],
        &["data", "data.mask", "jobs", "jobs.history", "metrics"],
        &["jobs", "metrics"],
        &["data.mask"],
    ];
    for combo in combos {
        let extra: String = combo
            .iter()
            .map(|f| format!("&optionalFields={f}"))
            .collect();
        for pid in ["demo-segmentation", "demo-form", "p1"] {
            let (s, v) = e
                .get(&format!(
                    "/api/task-manager/tasks?projectId={pid}&limit=50{extra}"
                ))
                .await;
            assert_eq!(s, StatusCode::OK);
            let fields = Fields {
                data: combo.contains(&"data") || combo.contains(&"data.mask"),
                mask: combo.contains(&"data.mask"),
                jobs: combo.contains(&"jobs") || combo.contains(&"jobs.history"),
                history: combo.contains(&"jobs.history"),
                metrics: combo.contains(&"metrics"),
            };
            let docs = v["docs"].as_array().unwrap();
            assert!(!docs.is_empty());
            for d in docs {
                let id = d["_id"].as_str().unwrap().to_string();
                let parsed = e
                    .sandbox
                    .with_conn(|c| Ok(load_task(c, &id, fields)?))
                    .unwrap()
                    .unwrap();
                assert_eq!(d, &parsed, "{pid} {combo:?}");
            }
        }
    }
}

#[tokio::test]
async fn projects_and_batches_filter_and_404() {
    let e = env().await;
    e.sandbox.load_demo().unwrap();
    let total = |v: &Value| v["totalDocs"].as_i64().unwrap();
    let (_, v) = e
        .get("/api/project-manager/projects?ids=p1&ids=demo-graph&limit=10")
        .await;
    assert_eq!(total(&v), 2);
    let (_, v) = e
        .get("/api/project-manager/projects?statuses=pending")
        .await;
    assert_eq!(total(&v), 6);
    let (_, v) = e
        .get("/api/project-manager/projects?statuses=archived")
        .await;
    assert_eq!(total(&v), 0);
    let (s, _) = e
        .get("/api/project-manager/projects?types=iat-teapot")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, v) = e
        .get("/api/project-manager/projects?pagination=false")
        .await;
    assert_eq!(v.as_array().unwrap().len(), 6);

    let (_, v) = e
        .get("/api/task-manager/batches?projectId=demo-rectangle")
        .await;
    assert_eq!(total(&v), 3);
    let (_, v) = e
        .get("/api/task-manager/batches?projectId=demo-rectangle&statuses=configuring")
        .await;
    assert_eq!(total(&v), 1);
    assert_eq!(v["docs"][0]["_id"], json!("demo-rectangle-b3"));
    let (_, v) = e.get("/api/task-manager/batches?search=week+19").await;
    assert_eq!(total(&v), 1);
    assert_eq!(v["docs"][0]["projectId"], json!("demo-rectangle"));
    let (s, _) = e.get("/api/task-manager/batches?statuses=done").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (s, v) = e
        .get("/api/project-configuration-manager/projects/nope/project-configuration")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["statusCode"], json!(404));
    let (s, v) = e
        .get("/api/project-configuration-manager/projects/p1/project-configuration")
        .await;
    assert_eq!(s, StatusCode::OK);
    // Loose labelOptions in the seed were moved under metadata.
    assert!(v["metadata"]["labelOptions"]["mainLists"].is_array());
    assert_eq!(v["projectType"], json!("iat-rectangle"));
    let (_, v) = e
        .get("/api/project-configuration-manager/projects/demo-form/project-configuration")
        .await;
    let layout = v["metadata"]["inputsLayout"].to_string();
    assert!(layout.contains("tool-iat-rectangle"));
    let rows = v["metadata"]["inputsLayout"].as_array().unwrap();
    let inputs: Vec<&Value> = rows
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .flat_map(|col| col.as_array().unwrap())
        .collect();
    assert!(inputs.len() >= 5);
    for input in inputs {
        assert!(
            input.get("submit").is_some(),
            "the SDK reads input['submit']: {input}"
        );
    }
    let (s, _) = e.get("/api/task-manager/batches/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = e
        .call("DELETE", "/api/task-manager/batches/nope", None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A data folder from before pack files: its files table has no `pack_offset` and its files
/// are whole files. Opening it migrates the table; old and new uploads are both served.
#[tokio::test]
async fn a_data_folder_from_before_packs_is_migrated_and_still_served() {
    let e = env_with(|cfg| {
        let files = cfg.data_dir.join("files");
        std::fs::create_dir_all(&files).unwrap();
        std::fs::write(files.join("0123abcd"), b"old bytes").unwrap();
        let c = rusqlite::Connection::open(cfg.data_dir.join("sandbox.sqlite3")).unwrap();
        c.execute_batch(
            "CREATE TABLE files (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, folder TEXT, batch_id TEXT,
                mimetype TEXT NOT NULL, size INTEGER NOT NULL, storage TEXT NOT NULL,
                created_at TEXT NOT NULL);
             INSERT INTO files VALUES ('legacy', 'old.png', NULL, 'b1', 'image/png', 9,
                '0123abcd', '2024-01-01T00:00:00.000Z');",
        )
        .unwrap();
    })
    .await;
    let get = |id: String| {
        let app = e.app.clone();
        let token = e.token.clone();
        async move {
            let resp = app
                .oneshot(
                    Request::get(format!("/api/file-manager/files/{id}/content"))
                        .header("authorization", format!("Bearer {token}"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, bytes.to_vec())
        }
    };
    assert_eq!(
        get("legacy".into()).await,
        (StatusCode::OK, b"old bytes".to_vec())
    );
    let (s, file) = e.upload("new.png", b"\x89PNG new bytes", "b1").await;
    assert_eq!(s, StatusCode::CREATED, "{file}");
    let id = file["_id"].as_str().unwrap().to_string();
    assert_eq!(
        get(id).await,
        (StatusCode::OK, b"\x89PNG new bytes".to_vec())
    );
}

#[tokio::test]
async fn an_upload_to_an_unknown_batch_stores_nothing() {
    let e = env().await;
    let (s, v) = e.upload("a.png", b"\x89PNG bytes", "no-such-batch").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let stored: Vec<_> = std::fs::read_dir(e.sandbox.files_dir())
        .unwrap()
        .flatten()
        .filter(|f| f.metadata().unwrap().len() > 0)
        .collect();
    assert!(stored.is_empty(), "{stored:?}");
}

/// Logs `access_id` in on `app` and returns its access token.
async fn login_as(app: &Router, access_id: &str, secret: &str) -> String {
    let (status, body) = send(
        app,
        Request::post("/api/user-manager/auth/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "access_id={access_id}&secret_key={secret}"
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn grants_hold_for_their_kind_caller_and_lifetime_and_survive_a_restart() {
    let mut e = env().await;
    let (s, file) = e.upload("a.png", b"\x89PNG a", "b1").await;
    assert_eq!(s, StatusCode::CREATED, "{file}");
    let fid = file["_id"].as_str().unwrap().to_string();
    let (_, grant) = e
        .call(
            "POST",
            "/api/file-manager/grant/files",
            Some(json!({"ids": [fid]})),
        )
        .await;
    let gr = grant["accessToken"].as_str().unwrap().to_string();
    let (_, data) = e
        .call(
            "POST",
            "/api/data-manager/import-data/json?skipTaskCreation=true&grantAccess=true",
            Some(json!({"batchId": "b1", "name": "a.png", "body": {"note": "x"}})),
        )
        .await;
    let did = data["initialDataId"].as_str().unwrap().to_string();
    let file_ref = json!({"id": fid, "name": "a.png"});
    // a files grant is not a data grant
    let (s, v) = e
        .create_in("b1", json!({"name": "x", "dataId": did, "grantData": gr}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // an unknown batch is a 404 whatever the grant
    let (s, v) = e
        .create_in(
            "nope",
            json!({"name": "x", "resources": [file_ref], "grantResources": "forged"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    // an expired grant (signed here, for this caller)
    let expired = e.sandbox.inner.grant_key.issue(&crate::grants::Grant {
        kind: crate::store::TOKEN_FILES.into(),
        subject: "alice".into(),
        ids: vec![fid.clone()],
        expires_ms: crate::store::now_ms() - 1,
    });
    let (s, v) = e
        .create_in(
            "b1",
            json!({"name": "x", "resources": [file_ref], "grantResources": expired}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v.to_string().contains("expired"), "{v}");
    // another access id cannot use alice's grant
    e.sandbox.add_credentials("bob", "b0b").unwrap();
    let alice = std::mem::replace(&mut e.token, login_as(&e.app, "bob", "b0b").await);
    let (s, v) = e
        .create_in(
            "b1",
            json!({"name": "x", "resources": [file_ref], "grantResources": gr}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v.to_string().contains("another access id"), "{v}");
    // a second server on the same data folder (as after a restart) takes alice's grant
    let again = Sandbox::open(Config::new(e.sandbox.config().data_dir.clone())).unwrap();
    e.app = app(again);
    e.token = login_as(&e.app, "alice", "s3cret").await;
    assert_ne!(e.token, alice);
    let (s, v) = e
        .create_in(
            "b1",
            json!({"name": "a.png", "resources": [file_ref], "grantResources": gr}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["resources"][0]["id"], json!(fid));
}

#[tokio::test]
async fn contract_only_serves_no_file_content() {
    let e = env_with(|c| c.contract_only = true).await;
    e.sandbox.load_demo().unwrap();
    let (_, v) = e
        .get("/api/task-manager/tasks?projectId=demo-rectangle&limit=1")
        .await;
    let file_id = v["docs"][0]["resources"][0]["id"].as_str().unwrap();
    let (status, body) = e
        .get(&format!("/api/file-manager/files/{file_id}/content"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The contract's routes still answer.
    let (status, _) = e.get("/api/project-manager/projects").await;
    assert_eq!(status, StatusCode::OK);
}
