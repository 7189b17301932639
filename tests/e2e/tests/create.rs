//! "Create tasks" in the real window: a drop (the drag-drop event with paths, and one real X
//! drop from a GTK drag source driven by xdotool) → pre-flight with duplicates and invalid
//! rows → create → the tasks in the task browser; the app SIGKILLed mid-batch, restarted and
//! resumed → exact count, no duplicate; create throughput compared with `lab create-tasks`.
//!
//! Each test has its own lab-sandbox (in this process) and its own XDG dirs (fresh journal).
//! Run with `tests/e2e/run --test create`. Ignored in plain `cargo test`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use futures::StreamExt;
use lab_client::{ClientOptions, Credentials, LabClient, TaskFilter};
use labdesk_e2e::{App, Launch, STEP, emit_drag, parse_loaded, wait_drop_ready};
use serde_json::{Value, json};

const ACCESS_ID: &str = "create-access";
const SECRET: &str = "create-secret-5d81f07b";
const PROJECT: &str = "5e3000000000000000000001";
const B_EXISTING: &str = "5e3000000000000000000b01";
const PNG: &[u8] = include_bytes!("../../../icons/32x32.png");

fn seed() -> Value {
    json!({
        "credentials": [{ "access_id": ACCESS_ID, "secret_key": SECRET }],
        "projects": [{
            "_id": PROJECT,
            "name": "E2E create",
            "status": "pending",
            "projectType": "iat-rectangle",
            "configuration": { "metadata": { "labelOptions": {
                "mainLists": [{ "name": "Objects", "keys": ["objects"] }],
                "availableLabels": { "objects": [
                    { "id": "car", "name": "car", "color": "#e6194b", "bChannel": 1 }
                ] }
            }, "toolOptions": { "sequence": false } } },
            "batches": [
                { "_id": B_EXISTING, "name": "Existing", "tasks": [
                    { "name": "taken.png", "resources": ["https://example.invalid/taken.png"] }
                ] }
            ]
        }]
    })
}

struct Server {
    _dir: tempfile::TempDir,
    running: lab_sandbox::Running,
    client: LabClient,
}

async fn server(faults: &str) -> Result<Server> {
    let dir = tempfile::tempdir()?;
    let mut cfg = lab_sandbox::Config::new(dir.path());
    if !faults.is_empty() {
        cfg.faults = faults
            .parse()
            .map_err(|e| anyhow::anyhow!("faults: {e:?}"))?;
    }
    let sandbox = lab_sandbox::Sandbox::open(cfg)?;
    let seed: lab_sandbox::seed::Seed = serde_json::from_value(seed())?;
    sandbox.apply_seed(&seed)?;
    let running = lab_sandbox::start(sandbox, "127.0.0.1:0".parse()?).await?;
    let client = LabClient::new(
        &running.base_url,
        Credentials {
            access_id: ACCESS_ID.into(),
            secret_key: SECRET.into(),
        },
        ClientOptions::default(),
    )?;
    Ok(Server {
        _dir: dir,
        running,
        client,
    })
}

/// Names of the tasks of a batch, by the API (the oracle).
async fn batch_names(client: &LabClient, batch_id: &str) -> Result<Vec<String>> {
    let mut f = TaskFilter::new(PROJECT);
    f.batch_ids = vec![batch_id.to_owned()];
    let mut out = Vec::new();
    let mut pages = Box::pin(client.task_pages(f));
    while let Some(p) = pages.next().await {
        for t in p?.tasks {
            out.push(t["name"].as_str().unwrap_or_default().to_owned());
        }
    }
    Ok(out)
}

async fn batch_id_by_name(client: &LabClient, name: &str) -> Result<String> {
    let batches = client
        .batches(PROJECT, &lab_client::BatchFilter::default())
        .await?;
    batches
        .into_iter()
        .find(|b| b.name == name)
        .map(|b| b.id)
        .with_context(|| format!("no batch named {name}"))
}

/// The app with its own XDG dirs (fresh profiles and journal), in English.
fn isolated(root: &Path) -> Result<Launch> {
    let (mut launch, _) = Launch::isolated(root)?;
    launch.env.push(("LANG".into(), "C.UTF-8".into()));
    Ok(launch)
}

/// Connects the window to the test sandbox with a new profile.
async fn connect_profile(app: &App, endpoint: &str) -> Result<()> {
    labdesk_e2e::connect_profile(app, "Create server", endpoint, ACCESS_ID, SECRET).await
}

/// A fresh test sandbox and the app (its own dirs) connected to it, on the Create screen.
async fn on_create_screen() -> Result<(Server, tempfile::TempDir, App, Reaper)> {
    let srv = server("").await?;
    let root = tempfile::tempdir()?;
    let app = App::launch_with(isolated(&root.path().join("xdg"))?).await?;
    let reaper = Reaper(app.driver_pid());
    connect_profile(&app, &srv.running.base_url).await?;
    open_create(&app).await?;
    Ok((srv, root, app, reaper))
}

async fn open_create(app: &App) -> Result<()> {
    app.click(&format!("button[data-project-id='{PROJECT}']"))
        .await?;
    app.click("[data-testid=open-create]").await?;
    app.el("[data-testid=create-dropzone]").await?;
    Ok(())
}

async fn summary(app: &App, want: &str) -> Result<String> {
    app.wait_text("[data-testid=create-summary]", want, |t| t == want)
        .await
}

/// Waits until the upload view says the job is `state` (done, paused, cancelled).
async fn wait_job_state(app: &App, state: &str, wait: Duration) -> Result<String> {
    let deadline = Instant::now() + wait;
    loop {
        let v = app
            .js(
                "const e = document.querySelector('[data-testid=create-progress]'); return e ? [e.dataset.state, document.querySelector('[data-testid=create-counts]').textContent] : null;",
                vec![],
            )
            .await?;
        if let Some(a) = v.as_array()
            && a[0] == state
        {
            return Ok(a[1].as_str().unwrap_or_default().to_owned());
        }
        if Instant::now() > deadline {
            let err = app.text("[role=alert]").await.unwrap_or_default();
            bail!("the job never reached {state} (last {v}, alert {err:?})");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Clicks "Create N tasks" once the screen allows it; if it never does, says why (the
/// screen's blocker line and a screenshot) instead of only "element stayed disabled".
async fn start_create(app: &App) -> Result<()> {
    if let Err(e) = app.click("[data-testid=create-start]").await {
        let _ = app.screenshot("create-start-refused").await;
        let blocker = app
            .text("[data-testid=create-blocker]")
            .await
            .unwrap_or_default();
        let alert = app.text("[role=alert]").await.unwrap_or_default();
        bail!("could not start the creation ({e:#}): blocker {blocker:?}, alert {alert:?}");
    }
    Ok(())
}

/// Chooses "Skip existing", waits for the start button to read `start`, starts, and checks the
/// finished job's counts line is `counts`.
async fn create_skipping_existing(app: &App, start: &str, counts: &str) -> Result<()> {
    app.set_value("[data-testid=create-policy]", "skipExisting")
        .await?;
    app.wait_text("[data-testid=create-start]", start, |t| t == start)
        .await?;
    start_create(app).await?;
    let got = wait_job_state(app, "done", STEP).await?;
    ensure!(got == counts, "counts {got:?}, want {counts:?}");
    Ok(())
}

/// "12 created · 0 already in the batch · 0 failed" → 12
fn created_count(text: &str) -> u64 {
    text.split_whitespace()
        .next()
        .and_then(|n| n.replace([',', '\u{202f}', '\u{a0}'], "").parse().ok())
        .unwrap_or(0)
}

fn write_pngs(dir: &Path, names: impl IntoIterator<Item = String>) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for n in names {
        std::fs::write(dir.join(n), PNG)?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, a keychain and the built app: run tests/e2e/run --test create"]
async fn a_drop_preflight_create_then_browse() -> Result<()> {
    let (srv, root, app, _reaper) = on_create_screen().await?;
    app.screenshot("create-01-empty").await?;

    // good1..5.png, an empty file, a .txt, a name already in the batch, a name repeated (sub/)
    let d = root.path().join("drop");
    write_pngs(&d, (1..=5).map(|i| format!("good{i}.png")))?;
    write_pngs(&d.join("sub"), ["good1.png".to_owned()])?;
    write_pngs(&d, ["taken.png".to_owned(), ".hidden.png".to_owned()])?;
    std::fs::write(d.join("empty.png"), b"")?;
    std::fs::write(d.join("notes.txt"), b"not an image")?;

    wait_drop_ready(&app, std::slice::from_ref(&d)).await?;
    app.screenshot("create-02-drag-over").await?;
    emit_drag(&app, "drag-drop", std::slice::from_ref(&d)).await?;
    app.el("[data-testid=create-grid]").await?;
    ensure!(
        app.el_within(".create-drop-overlay", Duration::from_millis(300))
            .await
            .is_err(),
        "the drop highlight stayed after the drop"
    );
    // before a batch is chosen: names repeated in the drop and bad files already show
    summary(&app, "5 new · 0 duplicates · 4 invalid").await?;
    app.set_value("[data-testid=create-batch]", B_EXISTING)
        .await?;
    summary(&app, "4 new · 1 duplicate · 4 invalid").await?;
    let states = app
        .js(
            "return Object.fromEntries([...document.querySelectorAll('[data-row-name]')].map((e, i) => [i + ':' + e.dataset.rowName, e.dataset.rowState]));",
            vec![],
        )
        .await?;
    let states: HashMap<String, String> = serde_json::from_value(states)?;
    let state_of = |name: &str| -> Vec<&str> {
        let mut v: Vec<(&String, &String)> = states
            .iter()
            .filter(|(k, _)| k.split_once(':').map(|x| x.1) == Some(name))
            .collect();
        v.sort();
        v.into_iter().map(|(_, s)| s.as_str()).collect()
    };
    ensure!(state_of("taken.png") == ["duplicate"], "{states:?}");
    ensure!(state_of("empty.png") == ["invalid"], "{states:?}");
    ensure!(state_of("notes.txt") == ["invalid"], "{states:?}");
    ensure!(
        state_of("good1.png") == ["invalid", "invalid"],
        "{states:?}"
    );
    ensure!(state_of("good2.png") == ["new"], "{states:?}");
    ensure!(
        !states.keys().any(|k| k.ends_with(".hidden.png")),
        "hidden file listed"
    );
    // thumbnails of the visible image rows arrive lazily
    app.el(".create-row .c-thumb img").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.screenshot("create-03-preflight-problems").await?;
    let blocker = app.text("[data-testid=create-blocker]").await?;
    ensure!(blocker.contains("invalid"), "blocker: {blocker:?}");
    // the start button says what stops it, not a count it will not send
    let start = app.text("[data-testid=create-start]").await?;
    ensure!(
        start == "Create: 4 invalid rows to fix or skip first",
        "start button with invalid rows: {start:?}"
    );
    // the File column shows the file's name whole, its folder on a second line
    let file = app
        .js(
            r#"const c = document.querySelector('[data-row-name="good1.png"] .c-file');
               return [c.querySelector('.c-file-name').textContent, c.querySelector('.c-file-dir').textContent, c.title];"#,
            vec![],
        )
        .await?;
    let (fname, fdir, full) = (
        file[0].as_str().unwrap_or_default(),
        file[1].as_str().unwrap_or_default(),
        file[2].as_str().unwrap_or_default(),
    );
    ensure!(
        fname == "good1.png" && !fdir.is_empty() && full == format!("{fdir}/{fname}"),
        "the File cell: {file}"
    );

    // fix: rename the repeated name (the sub-folder's row), skip the bad files
    app.js(
        r#"const rows = [...document.querySelectorAll('[data-row-name="good1.png"]')];
           const input = rows[rows.length - 1].querySelector('input[type=text]');
           const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
           set.call(input, 'good1-sub.png');
           input.dispatchEvent(new Event('input', { bubbles: true }));
           return new Promise((ok) => setTimeout(() => {
             input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
             ok(true);
           }, 200));"#,
        vec![],
    )
    .await?;
    summary(&app, "6 new · 1 duplicate · 2 invalid").await?;
    app.click("[data-testid=create-skip-invalid]").await?;
    summary(&app, "6 new · 1 duplicate · 0 invalid · 2 skipped").await?;
    // Refuse (the default) with a duplicate: nothing can be sent, and the screen says why
    let blocker = app
        .wait_text("[data-testid=create-blocker]", "refuse explanation", |t| {
            t.contains("Skip existing")
        })
        .await?;
    ensure!(
        !app.el("[data-testid=create-start]")
            .await?
            .is_enabled()
            .await?,
        "Create is enabled under Refuse with a duplicate ({blocker})"
    );
    let start = app.text("[data-testid=create-start]").await?;
    ensure!(
        start == "Create: 1 name is already in the batch",
        "start button under Refuse with a duplicate: {start:?}"
    );
    app.screenshot("create-04-refuse-explained").await?;
    ensure!(
        batch_names(&srv.client, B_EXISTING).await?.len() == 1,
        "something was sent before confirming"
    );
    // every row of the drop is counted: the duplicate and the two skipped rows too
    create_skipping_existing(
        &app,
        "Create 6 tasks",
        "6 created · 1 already in the batch · 2 skipped (invalid or by hand) · 0 failed",
    )
    .await?;
    let title = app.text("[data-testid=create-upload-title]").await?;
    ensure!(
        title.starts_with("Tasks created in "),
        "the finished job's heading: {title:?}"
    );
    let none = app.text("[data-testid=create-outcomes-none]").await?;
    ensure!(
        none == "Every task sent was created; 3 rows of the drop were left out (see the counts above).",
        "{none:?}"
    );
    app.screenshot("create-05-done").await?;

    // oracle: exactly the six new names were added, no duplicate
    let names = batch_names(&srv.client, B_EXISTING).await?;
    let mut sorted = names.clone();
    sorted.sort();
    ensure!(
        sorted
            == [
                "good1-sub.png",
                "good1.png",
                "good2.png",
                "good3.png",
                "good4.png",
                "good5.png",
                "taken.png"
            ],
        "batch has {sorted:?}"
    );

    app.click("[data-testid=create-open-tasks]").await?;
    let deadline = Instant::now() + STEP;
    loop {
        let st = app.text("[data-testid=load-status]").await?;
        if parse_loaded(&st) == Some((7, 7)) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the task browser shows {st:?}, want 7 of 7");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    labdesk_e2e::wait_rows_read(&app).await?;
    let shown: Vec<String> = serde_json::from_value(
        app.js(
            "return [...document.querySelectorAll('[data-testid=task-grid] [data-task-name]')].map(e => e.dataset.taskName);",
            vec![],
        )
        .await?,
    )?;
    let shown: HashSet<String> = shown.into_iter().collect();
    ensure!(
        shown.contains("good1-sub.png") && shown.len() == 7,
        "browser shows {shown:?}"
    );
    app.screenshot("create-06-task-browser").await?;
    app.quit().await
}

const DRAG_SOURCE: &str = r#"
import sys, gi
gi.require_version("Gtk", "3.0")
from gi.repository import Gtk, Gdk, GLib
uris = sys.argv[1:]
w = Gtk.Window(title="e2e-drag-source")
w.set_default_size(160, 120)
w.move(20, 640)
b = Gtk.Button(label="drag me")
w.add(b)
b.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
b.drag_source_add_uri_targets()
b.connect("drag-data-get", lambda wd, ctx, data, info, t: data.set_uris(uris))
w.connect("destroy", Gtk.main_quit)
w.show_all()
GLib.timeout_add_seconds(120, Gtk.main_quit)
Gtk.main()
"#;

fn xdotool(args: &[&str]) -> Result<String> {
    let out = std::process::Command::new("xdotool").args(args).output()?;
    ensure!(
        out.status.success(),
        "xdotool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, a keychain and the built app: run tests/e2e/run --test create"]
async fn b_real_x_drop_lists_the_files() -> Result<()> {
    let (_srv, root, app, _reaper) = on_create_screen().await?;
    let d = root.path().join("real");
    write_pngs(&d, ["real-one.png".to_owned(), "real-two.png".to_owned()])?;
    let uris: Vec<String> = ["real-one.png", "real-two.png"]
        .iter()
        .map(|n| format!("file://{}", d.join(n).display()))
        .collect();
    let script = root.path().join("drag_source.py");
    std::fs::write(&script, DRAG_SOURCE)?;
    let _source = KillOnDrop(
        std::process::Command::new("/usr/bin/python3")
            .arg(&script)
            .args(&uris)
            .spawn()
            .context("python3-gi is needed (scripts/setup installs it)")?,
    );
    let deadline = Instant::now() + STEP;
    let win = loop {
        if let Ok(w) = xdotool(&["search", "--onlyvisible", "--name", "e2e-drag-source"])
            && !w.is_empty()
        {
            break w.lines().next().unwrap_or_default().to_owned();
        }
        if Instant::now() > deadline {
            bail!("the GTK drag source window did not show");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let geo = xdotool(&["getwindowgeometry", "--shell", &win])?;
    let val = |k: &str| -> i64 {
        geo.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (sx, sy) = (val("X") + val("WIDTH") / 2, val("Y") + val("HEIGHT") / 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    xdotool(&["mousemove", "--sync", &sx.to_string(), &sy.to_string()])?;
    xdotool(&["mousedown", "1"])?;
    let (tx, ty) = (700i64, 420i64);
    for i in 1..=12 {
        let x = sx + (tx - sx) * i / 12;
        let y = sy + (ty - sy) * i / 12;
        xdotool(&["mousemove", &x.to_string(), &y.to_string()])?;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let over = app
        .el_within(".create-drop-overlay", Duration::from_secs(2))
        .await
        .is_ok();
    if over {
        app.screenshot("create-07-real-drag-over").await?;
    }
    xdotool(&["mouseup", "1"])?;
    summary(&app, "2 new · 0 duplicates · 0 invalid").await?;
    let names: Vec<String> = serde_json::from_value(
        app.js(
            "return [...document.querySelectorAll('[data-row-name]')].map(e => e.dataset.rowName);",
            vec![],
        )
        .await?,
    )?;
    ensure!(
        names == ["real-one.png", "real-two.png"],
        "rows after the real drop: {names:?}"
    );
    ensure!(
        over,
        "no drop highlight while the real drag was over the window"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    app.screenshot("create-08-real-drop").await?;
    app.quit().await
}

/// Kills the app left behind by a failed test (tauri-driver does not always take it down).
struct Reaper(u32);
impl Drop for Reaper {
    fn drop(&mut self) {
        if let Ok(bin) = labdesk_e2e::app_binary() {
            for pid in descendants_running(self.0, &bin) {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

/// Process ids below `root` (children, grandchildren…) whose executable is `exe`.
fn descendants_running(root: u32, exe: &Path) -> Vec<u32> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                && let Some(rest) = stat.rsplit_once(") ").map(|x| x.1)
                && let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok())
            {
                parent.insert(pid, ppid);
            }
        }
    }
    let exe = std::fs::canonicalize(exe).unwrap_or_else(|_| exe.to_path_buf());
    parent
        .keys()
        .copied()
        .filter(|&pid| {
            let mut p = pid;
            for _ in 0..16 {
                match parent.get(&p) {
                    Some(&pp) if pp == root => return true,
                    Some(&pp) if pp > 1 => p = pp,
                    _ => return false,
                }
            }
            false
        })
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == exe))
        .collect()
}

/// A small deterministic generator for the kill points (printed seed → reproducible run).
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// SIGKILLs the one labdesk process under the driver.
fn kill_app(app: &App) -> Result<()> {
    let bin = labdesk_e2e::app_binary()?;
    let pids = descendants_running(app.driver_pid(), &bin);
    ensure!(
        pids.len() == 1,
        "expected one labdesk process, found {pids:?}"
    );
    let st = std::process::Command::new("kill")
        .args(["-KILL", &pids[0].to_string()])
        .status()?;
    ensure!(st.success(), "kill -KILL {} failed", pids[0]);
    Ok(())
}

/// The batch's task names, checked for duplicates.
async fn distinct_names(client: &LabClient, batch: &str) -> Result<usize> {
    let names = batch_names(client, batch).await?;
    let unique: HashSet<&String> = names.iter().collect();
    ensure!(
        unique.len() == names.len(),
        "the batch holds {} tasks but only {} distinct names: a task was created twice",
        names.len(),
        unique.len()
    );
    Ok(names.len())
}

/// Restarts the app and resumes the killed job from the prompt.
async fn launch_and_resume(launch: &Launch) -> Result<(App, Reaper)> {
    let app = App::launch_with(launch.clone()).await?;
    let reaper = Reaper(app.driver_pid());
    app.wait_text("[data-testid=create-resume]", "the resume prompt", |t| {
        t.contains("Killed batch") && t.contains("000 tasks")
    })
    .await?;
    app.click("[data-testid=create-resume] button.primary")
        .await?;
    Ok((app, reaper))
}

/// Drops `dir` on the Create screen, targets a new batch `name` and starts the job.
async fn create_into_new_batch(app: &App, dir: &Path, name: &str, want: &str) -> Result<()> {
    create_into_new_batch_prepared(app, dir, name, want).await?;
    start_create(app).await
}

/// Drops `dir` on the Create screen and targets a new batch `name`, ready to start.
async fn create_into_new_batch_prepared(
    app: &App,
    dir: &Path,
    name: &str,
    want: &str,
) -> Result<()> {
    wait_drop_ready(app, &[dir.to_path_buf()]).await?;
    emit_drag(app, "drag-drop", &[dir.to_path_buf()]).await?;
    app.el("[data-testid=create-grid]").await?;
    app.js(
        "document.querySelectorAll('input[name=create-target]')[1].click(); return true;",
        vec![],
    )
    .await?;
    set_new_batch_name(app, name).await?;
    summary(app, want).await?;
    Ok(())
}

/// The app SIGKILLed at random points of one create job (`E2E_KILLS` times, 10 by default; the
/// points come from `E2E_KILL_SEED` or the clock, printed), each restart resuming it from the
/// journal; then: exactly N tasks with N distinct names, and a later create is unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, a keychain and the built app: run tests/e2e/run --test create"]
async fn c_killed_mid_batch_resumes_to_the_exact_count() -> Result<()> {
    const N: usize = 1000;
    let kills: usize = std::env::var("E2E_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("E2E_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("kill points: E2E_KILL_SEED={seed} E2E_KILLS={kills}");
    let mut rng = SplitMix(seed);
    let srv = server("latency=25ms").await?;
    let root = tempfile::tempdir()?;
    let launch = isolated(&root.path().join("xdg"))?;
    let d = root.path().join("many");
    write_pngs(&d, (0..N).map(|i| format!("img-{i:04}.png")))?;
    // one row skipped before the start: still counted after every restart
    std::fs::write(d.join("broken.png"), b"")?;

    let app = App::launch_with(launch.clone()).await?;
    let reaper = Reaper(app.driver_pid());
    connect_profile(&app, &srv.running.base_url).await?;
    open_create(&app).await?;
    create_into_new_batch_prepared(
        &app,
        &d,
        "Killed batch",
        "1,000 new · 0 duplicates · 1 invalid",
    )
    .await?;
    app.click("[data-testid=create-skip-invalid]").await?;
    summary(&app, "1,000 new · 0 duplicates · 0 invalid · 1 skipped").await?;
    start_create(&app).await?;
    // The first kill comes once the job has created something (the batch exists); each later
    // one after a random number of tasks more, as the window counts them: from none (the job
    // starting up from its journal) to 30 (plus what is in flight and not yet counted), so 10
    // kills leave work to resume however fast the link lets the job go.
    let deadline = Instant::now() + Duration::from_secs(120);
    while created_count(
        &app.text("[data-testid=create-counts]")
            .await
            .unwrap_or_default(),
    ) == 0
    {
        if Instant::now() > deadline {
            app.screenshot("create-09-no-progress").await?;
            let alert = app.text("[role=alert]").await.unwrap_or_default();
            bail!("the job did not progress (alert {alert:?})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut running = Some((app, reaper));
    let mut batch = None;
    let mut log = Vec::new();
    for k in 1..=kills {
        let (app, reaper) = match running.take() {
            Some(r) => r,
            None => {
                let (app, reaper) = launch_and_resume(&launch).await?;
                if k == 2 {
                    app.screenshot("create-10-resumed-after-kill").await?;
                }
                (app, reaper)
            }
        };
        let more = rng.below(31);
        let counted = || async {
            created_count(
                &app.text("[data-testid=create-counts]")
                    .await
                    .unwrap_or_default(),
            )
        };
        let until = Instant::now() + Duration::from_secs(60);
        // a resumed window shows the job's counts once it has read them (tasks were created
        // before every kill)
        let mut from = counted().await;
        while from == 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
            from = counted().await;
        }
        while more > 0 && counted().await < from + more && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let wait = format!("+{more} tasks after {from}");
        if k == 1 {
            app.screenshot("create-09-before-kill").await?;
        }
        kill_app(&app)?;
        drop(app);
        drop(reaper);
        let id = match &batch {
            Some(id) => id,
            None => batch.insert(batch_id_by_name(&srv.client, "Killed batch").await?),
        };
        let n = distinct_names(&srv.client, id).await?;
        println!("measure: kill {k} at {wait}: {n} of {N} in the batch");
        ensure!(
            n < N,
            "the job finished before kill {k} (E2E_KILL_SEED={seed}): nothing left to resume"
        );
        log.push(n);
    }
    let batch = batch.context("no kill happened (E2E_KILLS=0)")?;

    // the last restart: resume to the end
    let (app, _reaper) = match running.take() {
        Some(r) => r,
        None => launch_and_resume(&launch).await?,
    };
    let counts = wait_job_state(&app, "done", Duration::from_secs(240)).await?;
    app.screenshot("create-11-resumed-done").await?;
    let n = distinct_names(&srv.client, &batch).await?;
    println!(
        "measure: {kills} kills (batch at {log:?}), resumed to {n} of {N}; window says {counts:?}"
    );
    ensure!(
        n == N,
        "batch has {n} tasks, want exactly {N}; window says {counts:?}"
    );
    ensure!(
        counts
            == "1,000 created · 0 already in the batch · 1 skipped (invalid or by hand) · 0 failed",
        "window counts after the restarts {counts:?}"
    );

    // a later create in the same app is unaffected, and nothing is left to resume
    app.click_button("Create more tasks").await?;
    let later = root.path().join("later");
    write_pngs(&later, (0..20).map(|i| format!("later-{i:02}.png")))?;
    create_into_new_batch(
        &app,
        &later,
        "After the kills",
        "20 new · 0 duplicates · 0 invalid",
    )
    .await?;
    let counts = wait_job_state(&app, "done", Duration::from_secs(60)).await?;
    let after = batch_id_by_name(&srv.client, "After the kills").await?;
    ensure!(
        distinct_names(&srv.client, &after).await? == 20,
        "the later create made a different count; window says {counts:?}"
    );
    ensure!(
        distinct_names(&srv.client, &batch).await? == N,
        "the later create changed the killed batch"
    );
    app.quit().await?;
    let app = App::launch_with(launch).await?;
    let reaper = Reaper(app.driver_pid());
    app.wait_text("[data-testid=connected-as]", "a connection", |t| {
        !t.is_empty()
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    ensure!(
        app.el_within("[data-testid=create-resume]", Duration::from_millis(300))
            .await
            .is_err(),
        "a finished job is still offered for resuming"
    );
    drop(reaper);
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, a keychain and the built app: run tests/e2e/run --test create"]
async fn d_throughput_window_vs_cli() -> Result<()> {
    const N: usize = 500;
    let srv = server("").await?;
    let root = tempfile::tempdir()?;
    let d = root.path().join("five-hundred");
    write_pngs(&d, (0..N).map(|i| format!("t-{i:04}.png")))?;

    // the CLI on the same sandbox and files, into its own new batch
    let lab = std::env::var("LAB_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            labdesk_e2e::app_binary()
                .map(|b| b.with_file_name("lab"))
                .unwrap_or_default()
        });
    let cli_batch = srv.client.create_batch(PROJECT, "CLI 500").await?;
    let t0 = Instant::now();
    let mut cmd = std::process::Command::new(&lab);
    cmd.args([
        "create-tasks",
        "--project",
        PROJECT,
        "--batch",
        &cli_batch.id,
        "--endpoint",
        &srv.running.base_url,
        "--access-id",
        ACCESS_ID,
        "--secret-key",
        SECRET,
    ])
    .arg(&d)
    .env(
        "LABDESK_ACTIVITY_DB",
        root.path().join("cli-activity.sqlite3"),
    );
    // off the runtime: the sandbox answering the CLI runs on it
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .with_context(|| {
            format!(
                "running {} (build it: cargo build -p lab-cli)",
                lab.display()
            )
        })?;
    let cli = t0.elapsed();
    ensure!(
        out.status.success(),
        "lab create-tasks failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    ensure!(batch_names(&srv.client, &cli_batch.id).await?.len() == N);

    let app = App::launch_with(isolated(&root.path().join("xdg"))?).await?;
    let _reaper = Reaper(app.driver_pid());
    connect_profile(&app, &srv.running.base_url).await?;
    open_create(&app).await?;
    wait_drop_ready(&app, std::slice::from_ref(&d)).await?;
    emit_drag(&app, "drag-drop", std::slice::from_ref(&d)).await?;
    app.el("[data-testid=create-grid]").await?;
    app.js(
        "document.querySelectorAll('input[name=create-target]')[1].click(); return true;",
        vec![],
    )
    .await?;
    set_new_batch_name(&app, "Window 500").await?;
    summary(&app, "500 new · 0 duplicates · 0 invalid").await?;
    let t1 = Instant::now();
    start_create(&app).await?;
    let counts = wait_job_state(&app, "done", Duration::from_secs(300)).await?;
    let window = t1.elapsed();
    let batch = batch_id_by_name(&srv.client, "Window 500").await?;
    ensure!(
        batch_names(&srv.client, &batch).await?.len() == N,
        "{counts}"
    );
    println!(
        "measure: create {N} PNG tasks on the same sandbox: window {:.2} s ({:.0} tasks/s), lab create-tasks {:.2} s ({:.0} tasks/s)",
        window.as_secs_f64(),
        N as f64 / window.as_secs_f64(),
        cli.as_secs_f64(),
        N as f64 / cli.as_secs_f64()
    );
    app.quit().await
}

/// Types the new batch's name and waits until the screen took it (the blocker no longer asks
/// for a name); types it again if a re-render of the target radio swallowed the first value.
async fn set_new_batch_name(app: &App, name: &str) -> Result<()> {
    for _ in 0..5 {
        app.set_value("[data-testid=create-batch-name]", name)
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let typed = app
            .js(
                "const e = document.querySelector('[data-testid=create-batch-name]'); return e ? e.value : '';",
                vec![],
            )
            .await?;
        let blocker = app.text("[data-testid=create-blocker]").await?;
        if typed.as_str() == Some(name) && !blocker.contains("Type a name for the new batch") {
            return Ok(());
        }
    }
    bail!("the new batch name {name:?} did not stick in the Create screen")
}

/// A file that disappears between the pre-flight and the upload fails alone; once it is back,
/// "Retry the failed task" creates just that one: the batch ends with every task once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, a keychain and the built app: run tests/e2e/run --test create"]
async fn e_retry_failed_only() -> Result<()> {
    let (srv, root, app, _reaper) = on_create_screen().await?;
    let d = root.path().join("six");
    write_pngs(&d, (0..6).map(|i| format!("shot-{i}.png")))?;
    create_into_new_batch_prepared(&app, &d, "Retry batch", "6 new · 0 duplicates · 0 invalid")
        .await?;
    // the file goes away after the pre-flight, before the upload
    let gone = root.path().join("shot-3.png.away");
    std::fs::rename(d.join("shot-3.png"), &gone)?;
    start_create(&app).await?;
    let counts = wait_job_state(&app, "done", Duration::from_secs(60)).await?;
    ensure!(
        counts.starts_with("5 created") && counts.contains("1 failed"),
        "after the first run the window says {counts:?}"
    );
    let outcomes = app.text("[data-testid=create-outcomes]").await?;
    ensure!(
        outcomes.contains("shot-3.png"),
        "the failed task is not listed: {outcomes:?}"
    );
    app.screenshot("create-12-one-failed").await?;
    let batch = batch_id_by_name(&srv.client, "Retry batch").await?;
    ensure!(
        distinct_names(&srv.client, &batch).await? == 5,
        "5 tasks expected before the retry"
    );

    // back in place: retry the failed one only
    std::fs::rename(&gone, d.join("shot-3.png"))?;
    let retry = app.text("[data-testid=create-retry-failed]").await?;
    ensure!(
        retry == "Retry the failed task",
        "retry button says {retry:?}"
    );
    app.click("[data-testid=create-retry-failed]").await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let names = batch_names(&srv.client, &batch).await?;
        if names.len() >= 6 {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the retry created {} of 6",
            names.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let counts = wait_job_state(&app, "done", Duration::from_secs(60)).await?;
    app.screenshot("create-13-retried").await?;
    let mut names = batch_names(&srv.client, &batch).await?;
    names.sort();
    ensure!(
        names == (0..6).map(|i| format!("shot-{i}.png")).collect::<Vec<_>>(),
        "batch after the retry: {names:?}; window says {counts:?}"
    );
    ensure!(
        app.el_within(
            "[data-testid=create-retry-failed]",
            Duration::from_millis(300)
        )
        .await
        .is_err(),
        "the retry button is still offered after everything was created"
    );
    app.quit().await
}

/// The English sentences of the create screens (ui/src/i18n/messages/create.ts, plain strings
/// of 12 characters or more, without placeholders): none may show in the French window.
fn english_create_sentences() -> Result<Vec<String>> {
    let path = labdesk_e2e::repo_root().join("ui/src/i18n/messages/create.ts");
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    let en = text
        .split("export const create")
        .next()
        .context("create.ts has no English part")?;
    let re = regex::Regex::new(r#"(?m)^\s*"create\.[^"]+":\s*"([^"{]{12,})",?\s*$"#)?;
    let found: Vec<String> = re.captures_iter(en).map(|c| c[1].to_owned()).collect();
    ensure!(
        found.len() > 30,
        "only {} English sentences found in {}: the check would be vacuous",
        found.len(),
        path.display()
    );
    Ok(found)
}

async fn no_english_on_screen(app: &App, english: &[String], stage: &str) -> Result<()> {
    let shown = app
        .js("return document.body.innerText;", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let leaks: Vec<&String> = english
        .iter()
        .filter(|s| shown.contains(s.as_str()))
        .collect();
    ensure!(
        leaks.is_empty(),
        "{stage}: English text in the French window: {leaks:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, a keychain and the built app: run tests/e2e/run --test create"]
async fn f_create_screens_in_french() -> Result<()> {
    let english = english_create_sentences()?;
    let (srv, root, app, _reaper) = on_create_screen().await?;
    app.set_value("[data-testid=language]", "fr").await?;
    app.wait_text(
        "[data-testid=create-dropzone]",
        "the French drop zone",
        |t| t.contains("Déposez ici des images ou des dossiers"),
    )
    .await?;
    no_english_on_screen(&app, &english, "empty screen").await?;

    // 3 new images, one name already in the batch, an empty file
    let d = root.path().join("drop-fr");
    write_pngs(&d, (1..=3).map(|i| format!("photo{i}.png")))?;
    write_pngs(&d, ["taken.png".to_owned()])?;
    std::fs::write(d.join("vide.png"), b"")?;
    wait_drop_ready(&app, std::slice::from_ref(&d)).await?;
    emit_drag(&app, "drag-drop", std::slice::from_ref(&d)).await?;
    app.el("[data-testid=create-grid]").await?;
    app.set_value("[data-testid=create-batch]", B_EXISTING)
        .await?;
    summary(&app, "3 nouvelles · 1 doublon · 1 invalide").await?;
    let problems = app.text("[data-row-name='vide.png']").await?;
    ensure!(
        problems.contains("Fichier vide (0 octet)"),
        "the empty file's row says {problems:?}"
    );
    let taken = app.text("[data-row-name='taken.png']").await?;
    ensure!(
        taken.contains("Une tâche du lot porte déjà ce nom"),
        "the duplicate's row says {taken:?}"
    );
    let start = app.text("[data-testid=create-start]").await?;
    ensure!(
        start == "Créer\u{a0}: 1 ligne invalide à corriger ou ignorer d’abord",
        "the start button with an invalid row: {start:?}"
    );
    app.click("[data-testid=create-skip-invalid]").await?;
    summary(&app, "3 nouvelles · 1 doublon · 0 invalide · 1 ignorée").await?;
    let blocker = app
        .wait_text(
            "[data-testid=create-blocker]",
            "the refuse explanation",
            |t| t.contains("Ignorer les existants"),
        )
        .await?;
    ensure!(blocker.contains("Refuser"), "blocker: {blocker:?}");
    let start = app.text("[data-testid=create-start]").await?;
    ensure!(
        start == "Créer\u{a0}: 1 nom est déjà dans le lot",
        "the start button under Refuse: {start:?}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await; // thumbnails
    app.screenshot("create-fr-01-preflight").await?;
    no_english_on_screen(&app, &english, "pre-flight").await?;

    create_skipping_existing(
        &app,
        "Créer 3 tâches",
        "3 créées · 1 déjà dans le lot · 1 ignorée (invalide ou à la main) · 0 en échec",
    )
    .await?;
    let title = app.text("[data-testid=create-upload-title]").await?;
    ensure!(
        title.starts_with("Tâches créées dans "),
        "the finished job's heading: {title:?}"
    );
    let state = app.text("[data-testid=create-state]").await?;
    ensure!(state == "Terminé.", "the job's state says {state:?}");
    let progress = app.text("[data-testid=create-progress]").await?;
    ensure!(
        progress.contains("ko sur ") && progress.contains("3 / 3 tâches"),
        "sizes and counts in French: {progress:?}"
    );
    app.screenshot("create-fr-02-done").await?;
    no_english_on_screen(&app, &english, "done").await?;
    let mut names = batch_names(&srv.client, B_EXISTING).await?;
    names.sort();
    ensure!(
        names == ["photo1.png", "photo2.png", "photo3.png", "taken.png"],
        "batch has {names:?}"
    );
    app.quit().await
}
