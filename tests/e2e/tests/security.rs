//! Security of the real window: the CSP blocks scripts, styles, images and connections from
//! anywhere but the app; after a session that adds a profile, logs in again when the token
//! expires, browses and acts on tasks with the most verbose logs, the secret key and every
//! access token the server issued appear in no file of the app's config, data and cache dirs
//! (webview storage and logs included) and nowhere in the app's output.
//!
//! Needs tests/e2e/run (display, keychain, built app). Ignored in plain `cargo test`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use labdesk_e2e::{App, Launch, connect_profile, files_containing};
use serde_json::{Value, json};

const ACCESS_ID: &str = "sec-access";
const SECRET: &str = "sec-secret-4b1d8e2a9c";
const PROJECT: &str = "5ec000000000000000000001";

fn seed() -> Value {
    let task = |i: usize| {
        json!({
            "_id": format!("5ec0000000000000000000{i:02}"),
            "name": format!("sec-{i:02}.png"),
            "status": "pending",
            "resources": [format!("https://example.invalid/sec-{i:02}.png")],
            "data": { "annotations": [] },
            "initialData": { "annotations": [] },
            "properties": { "score": 0 },
        })
    };
    json!({
        "credentials": [{ "access_id": ACCESS_ID, "secret_key": SECRET }],
        "projects": [{
            "_id": PROJECT,
            "name": "Security check",
            "status": "pending",
            "projectType": "iat-rectangle",
            "configuration": { "metadata": { "labelOptions": {
                "mainLists": [{ "name": "Objects", "keys": ["objects"] }],
                "availableLabels": { "objects": [
                    { "id": "car", "name": "car", "color": "#e6194b", "bChannel": 1 }
                ] }
            }, "toolOptions": { "sequence": false } } },
            "batches": [
                { "_id": "5ec000000000000000000b01", "name": "Only batch",
                  "tasks": (1..=6).map(task).collect::<Vec<_>>() }
            ]
        }]
    })
}

/// A loopback HTTP server that counts the requests it gets (it must get none).
fn spy_server() -> Result<(u16, Arc<AtomicUsize>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let body = "window.__spyRan = true;";
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: {}\r\n\r\n{}",
                body.len(),
                body
            );
        }
    });
    Ok((port, hits))
}

fn issued_tokens(sandbox_dir: &Path) -> Result<Vec<String>> {
    let db = rusqlite::Connection::open_with_flags(
        sandbox_dir.join("sandbox.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let mut stmt = db.prepare("SELECT token FROM tokens")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run"]
async fn csp_and_no_secret_or_token_leaks() -> Result<()> {
    let work =
        PathBuf::from(std::env::var("E2E_WORK").context("run tests/e2e/run")?).join("security");
    let (mut launch, dirs) = Launch::isolated(&work)?;
    let app_output = work.join("app-stderr.log");
    launch.stderr = Some(app_output.clone());
    launch.env.push(("LABDESK_LOG".into(), "trace".into()));
    launch.env.push(("RUST_LOG".into(), "trace".into()));

    // A server whose tokens expire every 4 s, so the app logs in several times.
    let srv_dir = tempfile::tempdir()?;
    let mut cfg = lab_sandbox::Config::new(srv_dir.path());
    cfg.token_ttl = Duration::from_secs(4);
    let sandbox = lab_sandbox::Sandbox::open(cfg)?;
    let seed: lab_sandbox::seed::Seed = serde_json::from_value(seed())?;
    sandbox.apply_seed(&seed)?;
    let running = lab_sandbox::start(sandbox, "127.0.0.1:0".parse()?).await?;
    let endpoint = running.base_url.clone();

    let app = App::launch_with(launch).await?;
    app.el("[data-testid=connected-as]").await?;

    // ---- CSP: nothing from outside the app runs, loads or is fetched ----
    let (port, hits) = spy_server()?;
    let outcome = app
        .client
        .execute_async(
            r#"
            const [port, done] = arguments;
            const violations = [];
            document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
            const remote = document.createElement("script");
            remote.src = `http://127.0.0.1:${port}/evil.js`;
            document.head.appendChild(remote);
            const inline = document.createElement("script");
            inline.textContent = "window.__inlineRan = true;";
            document.head.appendChild(inline);
            const img = document.createElement("img");
            img.src = `http://127.0.0.1:${port}/pixel.png`;
            document.body.appendChild(img);
            const css = document.createElement("link");
            css.rel = "stylesheet";
            css.href = `http://127.0.0.1:${port}/evil.css`;
            document.head.appendChild(css);
            let fetched = "blocked";
            try { await fetch(`http://127.0.0.1:${port}/data`); fetched = "allowed"; } catch (e) { fetched = "blocked"; }
            let evaluated = "blocked";
            try { window.eval("1 + 1"); evaluated = "allowed"; } catch (e) { evaluated = "blocked"; }
            setTimeout(() => done({
              remoteRan: window.__spyRan === true,
              inlineRan: window.__inlineRan === true,
              fetched,
              evaluated,
              violations,
            }), 1500);
            "#,
            vec![json!(port)],
        )
        .await?;
    eprintln!("security: CSP probe {outcome}");
    ensure!(
        outcome["remoteRan"] == json!(false),
        "a remote script ran: {outcome}"
    );
    ensure!(
        outcome["inlineRan"] == json!(false),
        "an injected inline script ran: {outcome}"
    );
    ensure!(
        outcome["fetched"] == json!("blocked"),
        "fetch to another origin was allowed: {outcome}"
    );
    ensure!(
        outcome["evaluated"] == json!("blocked"),
        "eval was allowed: {outcome}"
    );
    let directives = outcome["violations"].to_string();
    for d in ["script-src", "img-src", "connect-src", "style-src"] {
        ensure!(
            directives.contains(d),
            "no {d} violation was reported: {outcome}"
        );
    }
    ensure!(
        hits.load(Ordering::SeqCst) == 0,
        "the window sent {} request(s) to a non-app origin",
        hits.load(Ordering::SeqCst)
    );
    app.screenshot("security-01-after-csp-probe").await?;

    // ---- a session with a real secret, token expiry and every kind of call ----
    connect_profile(&app, "Security server", &endpoint, ACCESS_ID, SECRET).await?;
    // The server drops expired tokens at the next login: collect them while the session runs.
    let mut tokens = std::collections::BTreeSet::new();
    let warnings = || -> Vec<String> {
        std::fs::read_to_string(&app_output)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .map(String::from)
            .collect()
    };
    for round in 0..3 {
        let step = async {
            app.click("[data-testid=projects] tbody tr button").await?;
            app.el("[data-testid=batches]").await?;
            app.click_button("Browse all tasks").await?;
            // the search is over (rows no longer replaced) before a row is opened
            labdesk_e2e::wait_loaded(&app, 0).await?;
            app.click("[data-testid=task-grid] .grid-row [data-col=name]")
                .await?;
            app.el("[data-testid=drawer]")
                .await
                .context("the detail drawer did not open")?;
            Ok::<(), anyhow::Error>(())
        };
        if let Err(e) = step.await {
            // what the window and the app said, for the CI log (warnings carry no secret)
            let _ = app
                .screenshot(&format!("security-fail-round-{round}"))
                .await;
            let alert = app.text("[role=alert]").await.unwrap_or_default();
            bail!(
                "round {round}: {e:#}; alert {alert:?}; app warnings {:#?}",
                warnings()
            );
        }
        tokens.extend(issued_tokens(srv_dir.path())?);
        if round < 2 {
            // let the token expire: the next round logs in again
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        app.click_button("Projects").await?;
        app.el("[data-testid=projects] tbody tr").await?;
    }
    app.screenshot("security-02-session-done").await?;
    app.quit().await?;

    tokens.extend(issued_tokens(srv_dir.path())?);
    ensure!(
        tokens.len() >= 3,
        "the session should have logged in at least 3 times (token TTL 4 s), got {} tokens",
        tokens.len()
    );
    let mut needles: Vec<(String, Vec<u8>)> =
        vec![("the secret key".into(), SECRET.as_bytes().to_vec())];
    for (i, t) in tokens.iter().enumerate() {
        needles.push((format!("access token #{i}"), t.as_bytes().to_vec()));
    }
    let mut scanned = 0;
    let mut leaks = Vec::new();
    for (what, needle) in &needles {
        let mut found = Vec::new();
        for d in &dirs {
            files_containing(d, needle, &mut found, &mut scanned);
        }
        let output = std::fs::read(&app_output).unwrap_or_default();
        if output.windows(needle.len()).any(|w| w == needle.as_slice()) {
            found.push(app_output.clone());
        }
        if !found.is_empty() {
            leaks.push(format!("{what} in {found:?}"));
        }
    }
    let profiles = dirs[0].join("com.isahit.labdesk/profiles.json");
    ensure!(
        std::fs::read_to_string(&profiles)?.contains("Security server"),
        "the scan would be vacuous: {} does not hold the new profile",
        profiles.display()
    );
    ensure!(leaks.is_empty(), "secrets leaked: {leaks:#?}");
    eprintln!(
        "security: scanned {} files ({} needles: the secret and {} tokens) + the app's output: no leak",
        scanned / needles.len(),
        needles.len(),
        tokens.len()
    );
    running.shutdown().await;
    Ok(())
}
