//! Window tests of issue 9 (owner: ship): settings persist across a restart (window size,
//! language, last project), About shows the version and the licences, "Copy diagnostics" puts a
//! report without secrets on the clipboard, and the offline banner appears when the lab server
//! stops and clears on Retry once it is back. Screenshots: ship-*.png.
//!
//! Run with `tests/e2e/run --test ship`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use labdesk_e2e::{App, Launch, files_containing, wait_x_window};
use serde_json::{Value, json};

const ACCESS_ID: &str = "ship-e2e";
const SECRET: &str = "ship-E2E-secret-9f3c2a71";
const PROFILE_ID: &str = "ship-e2e-profile";

fn run(cmd: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .with_context(|| format!("{cmd} is missing: run scripts/setup"))?;
    ensure!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn start_server(dir: &Path, port: u16) -> Result<lab_sandbox::Running> {
    let sb = lab_sandbox::Sandbox::open(lab_sandbox::Config::new(dir))?;
    sb.load_demo()?;
    sb.add_credentials(ACCESS_ID, SECRET)?;
    Ok(lab_sandbox::start(sb, ([127, 0, 0, 1], port).into()).await?)
}

async fn html_lang(app: &App) -> Result<String> {
    Ok(app
        .js("return document.documentElement.lang;", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

async fn wait_lang(app: &App, want: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + labdesk_e2e::STEP;
    loop {
        let l = html_lang(app).await?;
        if l == want {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("the window's language stayed {l:?}, expected {want:?}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn wait_gone(app: &App, css: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + labdesk_e2e::STEP;
    loop {
        let n = app
            .js(
                "return document.querySelectorAll(arguments[0]).length;",
                vec![json!(css)],
            )
            .await?;
        if n == json!(0) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("{css} is still shown");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn settings_file(config: &Path) -> PathBuf {
    config.join("com.isahit.labdesk/settings.json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run --test ship"]
async fn settings_about_diagnostics_offline() -> Result<()> {
    let root = tempfile::tempdir()?;
    let (launch, [config, data, cache]) = Launch::isolated(root.path())?;
    let launch = Launch {
        stderr: Some(root.path().join("app-stderr.log")),
        ..launch
    };

    // A lab server of our own (stopped and started again on the same port later).
    let srv_dir = root.path().join("server");
    let running = start_server(&srv_dir, 0).await?;
    let port = running.addr.port();
    let endpoint = running.base_url.clone();

    // A saved profile for it: name/endpoint/access id in profiles.json, secret in the keychain.
    let app_config = config.join("com.isahit.labdesk");
    std::fs::create_dir_all(&app_config)?;
    std::fs::write(
        app_config.join("profiles.json"),
        serde_json::to_vec_pretty(&json!({
            "version": 1,
            "profiles": [{"id": PROFILE_ID, "name": "Ship server", "endpoint": endpoint,
                          "accessId": ACCESS_ID, "builtin": false}],
            "lastProfileId": PROFILE_ID,
        }))?,
    )?;
    let mut store = Command::new("secret-tool")
        .args([
            "store",
            "--label=labdesk ship e2e",
            "service",
            "labdesk",
            "username",
            PROFILE_ID,
            "target",
            "default",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    {
        use std::io::Write;
        store
            .stdin
            .take()
            .context("stdin")?
            .write_all(SECRET.as_bytes())?;
    }
    ensure!(store.wait()?.success(), "secret-tool store failed");

    // ---- 1. first start: connect, open a project, switch to French, resize the window ----
    let app = App::launch_with(launch.clone()).await?;
    app.wait_text("[data-testid=connected-as]", "Ship server", |t| {
        t.contains("Ship server")
    })
    .await?;
    app.el("[data-testid=projects] tbody tr").await?;
    let project_name = app
        .text("[data-testid=projects] tbody tr button")
        .await?
        .trim()
        .to_owned();
    app.click("[data-testid=projects] tbody tr button").await?;
    app.el("[data-testid=batches]").await?;
    app.set_value("[data-testid=language]", "fr").await?;
    wait_lang(&app, "fr").await?;
    wait_x_window("Lab Desk", labdesk_e2e::STEP).await?;
    // Resize every visible "Lab Desk" window: a window left by an earlier test may be listed first.
    let wins = run(
        "xdotool",
        &["search", "--onlyvisible", "--name", "Lab Desk"],
    )?;
    for win in wins.lines().map(str::trim).filter(|w| !w.is_empty()) {
        let _ = run("xdotool", &["windowsize", win, "1040", "720"]);
    }
    // the size is saved (debounced) once the window reports it
    let sf = settings_file(&config);
    let deadline = std::time::Instant::now() + labdesk_e2e::STEP;
    loop {
        let s: Value = std::fs::read(&sf)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if s["window"]["width"].as_f64() == Some(1040.0) {
            break;
        }
        if std::time::Instant::now() > deadline {
            bail!("the window size was not saved: {s}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.screenshot("ship-01-project-in-french").await?;

    // ---- 2. About: version, commit, searchable licences ----
    app.click("[data-testid=open-about]").await?;
    let version = app
        .wait_text("[data-testid=about-version]", "the version", |t| {
            !t.trim().is_empty()
        })
        .await?;
    ensure!(
        version.trim() == env!("CARGO_PKG_VERSION"),
        "About shows version {version:?}"
    );
    let commit = app.text("[data-testid=about-commit]").await?;
    ensure!(!commit.trim().is_empty(), "no commit in About");
    let count = app
        .wait_text("[data-testid=licence-count]", "a licence count", |t| {
            t.chars().any(|c| c.is_ascii_digit())
        })
        .await?;
    let n: u64 = count
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()?;
    ensure!(n > 100, "only {n} licences listed: {count:?}");
    app.screenshot("ship-02-about").await?;
    app.set_value("[data-testid=licence-search]", "react MIT")
        .await?;
    let rows = app
        .wait_text("[data-testid=licence-table] tbody", "react rows", |t| {
            t.contains("react-dom")
        })
        .await?;
    ensure!(
        !rows.contains("serde"),
        "the search did not narrow the list"
    );
    app.screenshot("ship-03-about-licence-search").await?;

    // ---- 3. Copy diagnostics: on the clipboard, host only, no secret ----
    app.click("[data-testid=copy-diagnostics]").await?;
    app.el("[data-testid=copy-status]").await?;
    let shown = app.text("[data-testid=diagnostics-text]").await?;
    let clip = run("xclip", &["-selection", "clipboard", "-o"])?;
    ensure!(
        clip.trim() == shown.trim(),
        "clipboard {clip:?} differs from the report shown {shown:?}"
    );
    ensure!(
        clip.contains(&format!("Lab Desk {}", env!("CARGO_PKG_VERSION"))),
        "{clip}"
    );
    ensure!(
        clip.contains(&format!("endpoint host 127.0.0.1:{port}")),
        "{clip}"
    );
    ensure!(!clip.contains(SECRET), "the secret is in the diagnostics");
    ensure!(
        !clip.contains(ACCESS_ID),
        "the access id is in the diagnostics"
    );
    app.screenshot("ship-04-diagnostics-copied").await?;
    app.js(
        "document.querySelector('dialog[open]')?.dispatchEvent(new Event('cancel', {cancelable: true})); return true;",
        vec![],
    )
    .await?;
    wait_gone(&app, "[data-testid=about-dialog]").await?;

    // ---- 4. the server stops: offline banner; Retry clears it once it is back ----
    running.shutdown().await;
    // any call to the server now fails: go back to the project list
    app.click(".crumbs button").await?;
    app.el("[data-testid=offline-banner]").await?;
    app.screenshot("ship-05-offline-banner").await?;
    app.click("[data-testid=offline-retry]").await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    app.el_within("[data-testid=offline-banner]", Duration::from_secs(1))
        .await
        .context("the banner went away while the server is still down")?;
    let running = start_server(&srv_dir, port).await?;
    app.click("[data-testid=offline-retry]").await?;
    wait_gone(&app, "[data-testid=offline-banner]").await?;
    // the screens reload once the server answers again
    app.el("[data-testid=projects] tbody tr").await?;
    app.screenshot("ship-06-back-online").await?;
    // reopen the project so it is the last one for the restart
    app.click("[data-testid=projects] tbody tr button").await?;
    app.el("[data-testid=batches]").await?;
    let deadline = std::time::Instant::now() + labdesk_e2e::STEP;
    while !std::fs::read_to_string(&sf).is_ok_and(|t| t.contains("\"projectName\"")) {
        if std::time::Instant::now() > deadline {
            bail!("the last project was not saved");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.quit().await?;

    // ---- 5. restart: same language, size and project ----
    let app = App::launch_with(launch.clone()).await?;
    wait_lang(&app, "fr").await?;
    app.wait_text("[data-testid=connected-as]", "Ship server", |t| {
        t.contains("Ship server")
    })
    .await?;
    app.el("[data-testid=batches]").await?;
    let crumbs = app.text(".crumbs").await?;
    ensure!(
        crumbs.contains(&project_name),
        "the last project {project_name:?} was not reopened: {crumbs:?}"
    );
    let width = app.js("return window.innerWidth;", vec![]).await?;
    let height = app.js("return window.innerHeight;", vec![]).await?;
    let (w, h) = (
        width.as_f64().unwrap_or(0.0),
        height.as_f64().unwrap_or(0.0),
    );
    ensure!(
        (w - 1040.0).abs() <= 2.0 && (h - 720.0).abs() <= 2.0,
        "window restored at {w}x{h}, expected 1040x720"
    );
    app.screenshot("ship-07-restart-restored").await?;
    app.quit().await?;
    running.shutdown().await;

    // ---- 6. on disk: settings v2, a log file, the secret nowhere ----
    let s: Value = serde_json::from_slice(&std::fs::read(&sf)?)?;
    ensure!(s["version"] == 2 && s["language"] == "fr", "{s}");
    ensure!(s["lastProject"]["profileId"] == PROFILE_ID, "{s}");
    let logs = data.join("com.isahit.labdesk/logs");
    let n_logs = std::fs::read_dir(&logs)
        .with_context(|| format!("no log dir {}", logs.display()))?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .count();
    ensure!(n_logs >= 1, "no log file in {}", logs.display());
    let mut leaks = Vec::new();
    for d in [&config, &data, &cache] {
        files_containing(d, SECRET.as_bytes(), &mut leaks, &mut 0);
    }
    ensure!(leaks.is_empty(), "the secret key was written to {leaks:?}");
    Ok(())
}
