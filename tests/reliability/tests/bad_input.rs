//! The bad-input catalogue: each case gives a clear message naming the fix, and nothing is
//! created or half-written. Cases run concurrently; see README.md for the table.

mod common;

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use common::*;
use lab_client::{ClientOptions, Credentials, ErrorKind, LabClient, TaskFilter};
use serde_json::json;

type CaseFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

struct Case {
    id: &'static str,
    run: CaseFuture,
}

fn case(id: &'static str, f: impl Future<Output = Result<(), String>> + Send + 'static) -> Case {
    Case {
        id,
        run: Box::pin(f),
    }
}

fn contains_all(text: &str, needles: &[&str]) -> Result<(), String> {
    let lower = text.to_lowercase();
    for n in needles {
        if !lower.contains(&n.to_lowercase()) {
            return Err(format!("message lacks {n:?}: {text}"));
        }
    }
    Ok(())
}

/// `lab ARGS` must fail with every needle in its error output.
async fn cli_fails(
    url: String,
    args: Vec<String>,
    needles: &'static [&'static str],
) -> Result<(), String> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = lab(&url, &a).await;
    let (stdout, stderr) = text(&out);
    if out.status.success() {
        return Err(format!("succeeded instead of failing: {stdout}{stderr}"));
    }
    contains_all(&stderr, needles)
}

async fn cli_ok(url: String, args: Vec<String>) -> Result<(), String> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = lab(&url, &a).await;
    if out.status.success() {
        Ok(())
    } else {
        Err(text(&out).1)
    }
}

fn expect_err<T: std::fmt::Debug>(
    r: Result<T, lab_client::Error>,
    kind: ErrorKind,
    needles: &[&str],
) -> Result<(), String> {
    match r {
        Ok(v) => Err(format!("expected a {kind:?} error, got {v:?}")),
        Err(e) if e.kind() != kind => {
            Err(format!("expected kind {kind:?}, got {:?}: {e}", e.kind()))
        }
        Err(e) => contains_all(&e.to_string(), needles),
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn create_args(batch: &str, rest: &[&str]) -> Vec<String> {
    let mut v = s(&["create-tasks", "--project", P, "--batch", batch, "--quiet"]);
    v.extend(s(rest));
    v
}

fn write_tasks(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

/// A tiny server answering every request with `status` and `body` (HTML, plain text…).
async fn fake_server(status: u16, body: &'static str) -> String {
    let app = axum::Router::new().fallback(move || async move {
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            [("content-type", "text/html")],
            body,
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/")
}

fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/")
}

fn fast_client(url: &str, secret: &str) -> LabClient {
    LabClient::new(
        url,
        Credentials::new(ACCESS_ID, secret),
        ClientOptions {
            min_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            max_retries: 2,
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

fn sh(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_catalogue() {
    let w = World::plain().await;
    let url = w.url().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_path_buf();
    let p = |name: &str| d.join(name).display().to_string();
    let html = fake_server(200, "<!doctype html><html><body>Welcome</body></html>").await;
    let broken = fake_server(500, "Internal Server Error: upstream exploded").await;
    let tls = html.replace("http://", "https://");
    let closed = closed_port();

    // --- files ------------------------------------------------------------------------------
    std::fs::write(d.join("empty.png"), b"").unwrap();
    assert!(sh(&format!("mkfifo {}", p("pipe.png"))), "mkfifo");
    std::os::unix::fs::symlink(d.join("missing.png"), d.join("dangling.png")).unwrap();
    std::os::unix::fs::symlink(d.join("self.png"), d.join("self.png")).unwrap();
    std::fs::create_dir(d.join("empty-folder")).unwrap();
    std::fs::write(d.join("notes.txt"), b"not an image").unwrap();
    std::fs::write(d.join("fake.png"), b"hello, I am text").unwrap();
    for sub in ["r1", "r2"] {
        std::fs::create_dir(d.join(sub)).unwrap();
        std::fs::write(d.join(sub).join("same.png"), PNG).unwrap();
    }
    // a folder of 10,000 images, one of them empty; and a folder of 10,000 non-images
    std::fs::create_dir(d.join("ten-thousand")).unwrap();
    std::fs::create_dir(d.join("ten-thousand-text")).unwrap();
    for i in 0..10_000 {
        let bytes: &[u8] = if i == 7_777 { b"" } else { PNG };
        std::fs::write(
            d.join("ten-thousand").join(format!("img-{i:05}.png")),
            bytes,
        )
        .unwrap();
        std::fs::write(
            d.join("ten-thousand-text").join(format!("doc-{i:05}.txt")),
            b"x",
        )
        .unwrap();
    }
    // a symlink loop: loop/a.png, loop/self -> loop, loop/sub/up -> ..
    std::fs::create_dir_all(d.join("loop/sub")).unwrap();
    std::fs::write(d.join("loop/a.png"), PNG).unwrap();
    std::os::unix::fs::symlink(d.join("loop"), d.join("loop/self")).unwrap();
    std::os::unix::fs::symlink("..", d.join("loop/sub/up")).unwrap();

    // --- task lists ---------------------------------------------------------------------------
    let invalid_json = write_tasks(&d, "invalid.json", r#"[{"name": "a",}]"#);
    let not_list = write_tasks(&d, "object.json", r#"{"name": "a"}"#);
    let no_name = write_tasks(
        &d,
        "noname.json",
        r#"[{"resources": ["https://example.invalid/a.png"]}]"#,
    );
    let blank_name = write_tasks(&d, "blank.json", r#"[{"name": "  "}]"#);
    let control = write_tasks(
        &d,
        "control.json",
        &json!([{"name": "bad\nname"}]).to_string(),
    );
    let long = write_tasks(
        &d,
        "long.json",
        &json!([{"name": "n".repeat(1000)}]).to_string(),
    );
    let bad_data = write_tasks(
        &d,
        "baddata.json",
        &json!([{"name": "ok"}, {"name": "bad-data", "data": {"annotations": "nope"}}]).to_string(),
    );
    let bad_props = write_tasks(
        &d,
        "badprops.json",
        &json!([{"name": "p", "properties": {"status": "complete"}}]).to_string(),
    );
    let bad_score = write_tasks(
        &d,
        "badscore.json",
        &json!([{"name": "p", "properties": {"score": "high"}}]).to_string(),
    );
    let existing = write_tasks(
        &d,
        "existing.json",
        &json!([{"name": "new-one"}, {"name": "one.png"}]).to_string(),
    );
    let missing_resource = write_tasks(
        &d,
        "missingres.json",
        &json!([{"name": "m", "resources": ["http//typo.example/a.png"]}]).to_string(),
    );
    let odd_names = write_tasks(
        &d,
        "odd.json",
        &json!([{"name": "a/b.png"}, {"name": "../../escape.png"}, {"name": "ünï cødé ✓.png"}])
            .to_string(),
    );

    // --- export destinations ----------------------------------------------------------------
    std::fs::write(d.join("a-file"), b"x").unwrap();
    std::fs::create_dir(d.join("out")).unwrap();
    std::fs::write(d.join("out/taken.json"), b"keep me").unwrap();
    let tmpfs = d.join("tiny");
    std::fs::create_dir(&tmpfs).unwrap();
    let mounted = sh(&format!(
        "mount -t tmpfs -o size=1m tmpfs {}",
        tmpfs.display()
    ));
    if mounted {
        // fill the 1 MiB tmpfs so that any export runs out of space
        sh(&format!(
            "dd if=/dev/zero of={}/filler bs=64k count=100 2>/dev/null",
            tmpfs.display()
        ));
    } else {
        eprintln!("SKIP full-disk case: `mount -t tmpfs` failed (needs root / CAP_SYS_ADMIN)");
    }

    let u = || url.clone();
    let mut cases: Vec<Case> = vec![
        // files and folders
        case(
            "zero-byte image",
            cli_fails(
                u(),
                create_args(E, &[&p("empty.png")]),
                &["empty (0 bytes)", "replace it"],
            ),
        ),
        case(
            "FIFO named like an image (unreadable special file)",
            cli_fails(
                u(),
                create_args(E, &[&p("pipe.png")]),
                &["not a regular file"],
            ),
        ),
        case(
            "dangling symlink",
            cli_fails(
                u(),
                create_args(E, &[&p("dangling.png")]),
                &["cannot read", "dangling.png", "exists"],
            ),
        ),
        case(
            "self-referencing symlink (ELOOP)",
            cli_fails(
                u(),
                create_args(E, &[&p("self.png")]),
                &["cannot read", "symbolic links"],
            ),
        ),
        case(
            "empty folder",
            cli_fails(
                u(),
                create_args(E, &[&p("empty-folder")]),
                &["no image found", "check the paths"],
            ),
        ),
        case(
            "non-image file given explicitly",
            cli_fails(
                u(),
                create_args(E, &[&p("notes.txt")]),
                &["not an image", "leave it out"],
            ),
        ),
        case(
            "text renamed .png",
            cli_fails(
                u(),
                create_args(E, &[&p("fake.png")]),
                &["content is not an image"],
            ),
        ),
        case(
            "folder of 10,000 images with one empty",
            cli_fails(
                u(),
                create_args(E, &[&p("ten-thousand")]),
                &["img-07777.png", "empty (0 bytes)"],
            ),
        ),
        case(
            "folder of 10,000 non-image files",
            cli_fails(
                u(),
                create_args(E, &[&p("ten-thousand-text")]),
                &["no image found"],
            ),
        ),
        case(
            "same file name in two folders",
            cli_fails(
                u(),
                create_args(E, &[&p("r1"), &p("r2")]),
                &["more than once", "same.png", "rename"],
            ),
        ),
        case(
            "missing path",
            cli_fails(
                u(),
                create_args(E, &[&p("nowhere.png")]),
                &["cannot read", "nowhere.png"],
            ),
        ),
        // task lists
        case(
            "invalid JSON task list",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &invalid_json]),
                &["tasks file", "line 1"],
            ),
        ),
        case(
            "task list that is not a list",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &not_list]),
                &["not a list of tasks"],
            ),
        ),
        case(
            "task without name",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &no_name]),
                &["missing field `name`"],
            ),
        ),
        case(
            "blank task name",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &blank_name]),
                &["needs a name"],
            ),
        ),
        case(
            "name with control characters",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &control]),
                &["control character", "remove it"],
            ),
        ),
        case(
            "name of 1,000 characters",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &long]),
                &["1000 characters", "at most 255"],
            ),
        ),
        case(
            "data failing the schema",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &bad_data]),
                &["bad-data", "annotations"],
            ),
        ),
        case(
            "properties other than score/custom",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &bad_props]),
                &[
                    "unknown property \"status\"",
                    "only \"score\" and \"custom\"",
                ],
            ),
        ),
        case(
            "score that is not a number",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &bad_score]),
                &["score must be a number"],
            ),
        ),
        case(
            "tasks file missing",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &p("absent.json")]),
                &["cannot read the tasks file"],
            ),
        ),
        case(
            "malformed URL taken as a local path",
            cli_fails(
                u(),
                create_args(E, &["--tasks", &missing_resource]),
                &["cannot read", "http//typo.example"],
            ),
        ),
        case(
            "name already in the batch",
            cli_fails(
                u(),
                create_args(B, &["--tasks", &existing]),
                &["already exist", "one.png", "--skip-existing"],
            ),
        ),
        case(
            "unknown project",
            cli_fails(
                u(),
                s(&[
                    "create-tasks",
                    "--project",
                    "nope",
                    "--batch",
                    E,
                    "--quiet",
                    &p("r1"),
                ]),
                &["not found"],
            ),
        ),
        case(
            "concurrency 0",
            cli_fails(
                u(),
                create_args(E, &["--concurrency", "0", &p("r1")]),
                &["concurrency"],
            ),
        ),
        // bulk actions
        case(
            "update-properties --score abc",
            cli_fails(
                u(),
                s(&[
                    "update-properties",
                    "--project",
                    P,
                    "--task-id",
                    "t1",
                    "--score",
                    "abc",
                ]),
                &["--score must be a number"],
            ),
        ),
        case(
            "update-properties --custom not an object",
            cli_fails(
                u(),
                s(&[
                    "update-properties",
                    "--project",
                    P,
                    "--task-id",
                    "t1",
                    "--custom",
                    "[1]",
                ]),
                &["\"custom\" must be a json object"],
            ),
        ),
        case(
            "update-properties with nothing to set",
            cli_fails(
                u(),
                s(&["update-properties", "--project", P, "--task-id", "t1"]),
                &["nothing to update", "--score"],
            ),
        ),
        case(
            "task id with a slash",
            cli_fails(
                u(),
                s(&["redo", "--project", P, "--task-id", "../t1"]),
                &["not a valid task id"],
            ),
        ),
        case(
            "unknown task id",
            cli_fails(
                u(),
                s(&["review", "--project", P, "--task-id", "no-such-task"]),
                &["no-such-task", "not found", "1 task(s) failed"],
            ),
        ),
        // filters: checked before any request
        case(
            "invalid regex",
            cli_fails(
                u(),
                s(&["tasks", "--project", P, "--name-like", "img-[0-9"]),
                &["not a valid regular expression", "escape"],
            ),
        ),
        case(
            "date in the wrong format",
            cli_fails(
                u(),
                s(&["tasks", "--project", P, "--created-gt", "19/09/2022"]),
                &["19/09/2022", "YYYY-MM-DD HH:MM:SS"],
            ),
        ),
        case(
            "impossible date",
            cli_fails(
                u(),
                s(&[
                    "tasks",
                    "--project",
                    P,
                    "--updated-lte",
                    "2024-02-30 10:00:00",
                ]),
                &["not a valid date"],
            ),
        ),
        // endpoints and credentials
        case("wrong credentials", {
            let url = u();
            async move {
                let out = lab_cmd(&url, &["projects"])
                    .env("ISAHIT_LAB_API_SECRET_KEY", "wrong-secret")
                    .output()
                    .unwrap();
                if out.status.success() {
                    return Err("succeeded".into());
                }
                contains_all(&text(&out).1, &["check your access id and secret key"])
            }
        }),
        case("no credentials", {
            let url = u();
            async move {
                let out = lab_cmd(&url, &["projects"])
                    .env_remove("ISAHIT_LAB_API_SECRET_KEY")
                    .output()
                    .unwrap();
                if out.status.success() {
                    return Err("succeeded".into());
                }
                contains_all(
                    &text(&out).1,
                    &["no credentials", "ISAHIT_LAB_API_SECRET_KEY"],
                )
            }
        }),
        case(
            "endpoint that is not a URL",
            cli_fails("not a url".into(), s(&["projects"]), &["not a valid URL"]),
        ),
        case("unreachable endpoint (closed port)", {
            let c = fast_client(&closed, SECRET);
            async move {
                expect_err(
                    c.projects(&Default::default()).await,
                    ErrorKind::Offline,
                    &["cannot reach", "check the endpoint"],
                )
            }
        }),
        case("endpoint answering HTML", {
            let c = fast_client(&html, SECRET);
            async move {
                expect_err(
                    c.projects(&Default::default()).await,
                    ErrorKind::Decode,
                    &["HTML page", "check the endpoint URL"],
                )
            }
        }),
        case("TLS failure (https to a plain-HTTP port)", {
            let c = fast_client(&tls, SECRET);
            async move { expect_err(c.check().await, ErrorKind::Offline, &["https", "scheme"]) }
        }),
        case("500 whose body is not JSON", {
            let c = fast_client(&broken, SECRET);
            async move {
                expect_err(
                    c.check().await,
                    ErrorKind::Server,
                    &["(500)", "upstream exploded", "try again"],
                )
            }
        }),
        case("wrong credentials (library kind)", {
            let c = fast_client(&url, "wrong");
            async move {
                expect_err(
                    c.check().await,
                    ErrorKind::Auth,
                    &["check your access id and secret key"],
                )
            }
        }),
        case("invalid regex (library kind, no request)", {
            let c = fast_client(&url, SECRET);
            async move {
                let mut f = TaskFilter::new(P);
                f.name_like = Some("(unclosed".into());
                expect_err(
                    c.count_tasks(&f).await,
                    ErrorKind::Validation,
                    &["regular expression"],
                )
            }
        }),
        // exports
        case(
            "export folder under a regular file",
            cli_fails(
                u(),
                s(&[
                    "export",
                    "--project",
                    P,
                    "--format",
                    "lab",
                    "--output-folder",
                    &p("a-file/sub"),
                    "--quiet",
                ]),
                &["cannot write", "a-file", "choose a folder you can write to"],
            ),
        ),
        case(
            "export over an existing file",
            cli_fails(
                u(),
                s(&[
                    "export",
                    "--project",
                    P,
                    "--format",
                    "lab",
                    "--output-folder",
                    &p("out"),
                    "--output-filename",
                    "taken.json",
                    "--quiet",
                ]),
                &["already exists", "overwrit"],
            ),
        ),
        case(
            "export with nothing matching",
            cli_fails(
                u(),
                s(&[
                    "export",
                    "--project",
                    P,
                    "--format",
                    "lab",
                    "--batch",
                    E,
                    "--output-folder",
                    &p("out"),
                    "--quiet",
                ]),
                &["nothing to export"],
            ),
        ),
        case(
            "export with an invalid regex",
            cli_fails(
                u(),
                s(&[
                    "export",
                    "--project",
                    P,
                    "--format",
                    "lab",
                    "--name-like",
                    "[",
                    "--output-folder",
                    &p("out"),
                    "--quiet",
                ]),
                &["regular expression"],
            ),
        ),
    ];
    cases.push(case(
        "unreachable endpoint (CLI, default retries)",
        cli_fails(
            closed.clone(),
            s(&["projects"]),
            &["cannot reach", "connection refused", "check the endpoint"],
        ),
    ));
    cases.push(case(
        "endpoint answering HTML (CLI)",
        cli_fails(
            html.clone(),
            s(&["projects"]),
            &["HTML page", "check the endpoint URL"],
        ),
    ));
    if mounted {
        cases.push(case(
            "full disk (1 MiB tmpfs)",
            cli_fails(
                u(),
                s(&[
                    "export",
                    "--project",
                    P,
                    "--format",
                    "lab",
                    "--output-folder",
                    &tmpfs.display().to_string(),
                    "--quiet",
                ]),
                &["cannot write", "no space left", "enough free space"],
            ),
        ));
    }
    // accepted, but handled exactly: odd names are kept verbatim, a symlink loop is walked once
    cases.push(case(
        "names with / and .. and unicode (accepted verbatim)",
        {
            let (url, odd) = (u(), odd_names.clone());
            async move { cli_ok(url, create_args("b-names", &["--tasks", &odd])).await }
        },
    ));
    cases.push(case("symlink loop in a folder", {
        let (url, dir) = (u(), p("loop"));
        async move { cli_ok(url, create_args("b-names", &[&dir])).await }
    }));

    let total = cases.len();
    let ids: Vec<&str> = cases.iter().map(|c| c.id).collect();
    let results = futures::future::join_all(cases.into_iter().map(|c| {
        let id = c.id;
        async move {
            (
                id,
                tokio::time::timeout(Duration::from_secs(120), c.run).await,
            )
        }
    }))
    .await;
    let mut failures = Vec::new();
    for (id, r) in results {
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(format!("{id}: {e}")),
            Err(_) => failures.push(format!("{id}: timed out")),
        }
    }
    if mounted {
        let left = files_under(&tmpfs);
        sh(&format!("umount {}", tmpfs.display()));
        assert_eq!(left, ["filler"], "no partial export on the full disk");
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total >= 30, "catalogue has {total} cases: {ids:?}");

    // nothing lost, nothing half-created, nothing half-written
    let c = w.client();
    assert_eq!(
        batch_tasks(&c, E).await.len(),
        0,
        "no task created in the target batch"
    );
    let main = batch_tasks(&c, B).await;
    assert_eq!(
        names_of(&main),
        ["one.png", "two.png"],
        "existing tasks untouched"
    );
    assert_eq!(
        main.iter().find(|t| t["_id"] == "t1").unwrap()["properties"]["score"],
        1
    );
    assert_eq!(
        names_of(&batch_tasks(&c, "b-names").await),
        ["../../escape.png", "a.png", "a/b.png", "ünï cødé ✓.png"],
        "odd names kept verbatim; the looping folder walked once (a.png once)"
    );
    assert_eq!(
        files_under(&d.join("out")),
        ["taken.json"],
        "no partial export file"
    );
    assert_eq!(std::fs::read(d.join("out/taken.json")).unwrap(), b"keep me");
    assert!(!d.join("a-file/sub").exists());
    let listing = w.requests();
    assert!(
        !listing
            .iter()
            .any(|r| r["query"].to_string().contains("img-[0-9")
                || r["query"].to_string().contains("19/09/2022")),
        "invalid filters never reached the server"
    );
    eprintln!("FIGURES bad input: {total} cases handled");
}
