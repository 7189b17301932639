//! Export from the real window (owner: export): for each format (lab, kili, yolo, mask), with a
//! filter applied in the task browser, open Export, choose the format, choose the folder in the
//! real GTK folder dialog driven by xdotool, export, and compare with `lab export` for the same
//! filter against the same sandbox. Also: a format that does not fit the project is disabled
//! with its reason; "Run again" from the history; an OS notification when the window is not
//! focused (a stand-in notification daemon on the test's D-Bus session).
//! `export_yolo_dataset`: the YOLO dataset (images + labels split into train/val/test with a
//! seed) from the window equals `lab export --format yolo-dataset` with the same split and seed;
//! the done step shows the splits, the manifest and the tasks exported without their image.
//!
//! Run: `tests/e2e/run --test export` (one test: `tests/e2e/run --test export export_yolo_dataset`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use labdesk_e2e::{
    App, Launch, STEP, choose_in_native_dialog, connect_profile, load_seq, screens_dir,
    wait_loaded, wait_x_window,
};

const FOLDER_DIALOG: &str = "Choose the export folder";
const RECT: &str = "demo-rectangle";
const SEG: &str = "demo-segmentation";

/// The `lab` binary built next to the app.
fn lab_binary() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("LAB_BIN") {
        return Ok(PathBuf::from(p));
    }
    let app = labdesk_e2e::app_binary()?;
    let p = app.with_file_name("lab");
    ensure!(
        p.is_file(),
        "{} is missing: build it with `cargo build -p lab-cli` (tests/e2e/run does)",
        p.display()
    );
    Ok(p)
}

/// `lab export` with the same filter into `dir`, named `name`.
fn lab_export(
    endpoint: &str,
    project: &str,
    format: &str,
    status: &str,
    dir: &Path,
    name: &str,
) -> Result<PathBuf> {
    lab_export_with(endpoint, project, format, status, dir, name, &[])
}

/// [`lab_export`] with format options (`key=value`, each passed as `--option key=value`).
fn lab_export_with(
    endpoint: &str,
    project: &str,
    format: &str,
    status: &str,
    dir: &Path,
    name: &str,
    options: &[&str],
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let options: Vec<&str> = options.iter().flat_map(|o| ["--option", o]).collect();
    let out = Command::new(lab_binary()?)
        .env(
            "LABDESK_ACTIVITY_DB",
            std::env::temp_dir().join(format!("lab-e2e-{}-activity.sqlite3", std::process::id())),
        )
        .args([
            "--endpoint",
            endpoint,
            "--access-id",
            "demo",
            "--secret-key",
            "demo",
            "--quiet",
            "export",
            "--project",
            project,
            "--format",
            format,
            "--status",
            status,
            "--output-folder",
            &dir.display().to_string(),
            "--output-filename",
            name,
        ])
        .args(&options)
        .output()?;
    ensure!(
        out.status.success(),
        "lab export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(dir.join(name))
}

fn zip_entries(p: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    // the e2e crate has no zip reader: `unzip -Z1` lists, `unzip -p` reads
    let list = Command::new("unzip").arg("-Z1").arg(p).output()?;
    ensure!(list.status.success(), "unzip -Z1 {} failed", p.display());
    let mut out = BTreeMap::new();
    for name in String::from_utf8_lossy(&list.stdout).lines() {
        let body = Command::new("unzip").arg("-p").arg(p).arg(name).output()?;
        ensure!(body.status.success(), "unzip -p {name} failed");
        out.insert(name.to_owned(), body.stdout);
    }
    Ok(out)
}

fn dir_files(p: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(p)? {
        let e = e?;
        out.insert(
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read(e.path())?,
        );
    }
    Ok(out)
}

/// The window's export equals `lab export`'s: same bytes (lab, kili), same zip entries
/// (yolo), same PNG files (mask: identical bytes, hence identical pixels).
fn same_export(format: &str, ours: &Path, theirs: &Path) -> Result<usize> {
    match format {
        "lab" | "kili" => {
            let a = std::fs::read(ours)?;
            let b = std::fs::read(theirs)?;
            ensure!(
                a == b,
                "{format}: {} differs from lab export's",
                ours.display()
            );
            let v: serde_json::Value = serde_json::from_slice(&a)?;
            Ok(v.as_array().map(Vec::len).unwrap_or(0))
        }
        "yolo" => {
            let a = zip_entries(ours)?;
            let b = zip_entries(theirs)?;
            ensure!(
                a.keys().collect::<Vec<_>>() == b.keys().collect::<Vec<_>>(),
                "yolo: entries {:?} vs {:?}",
                a.keys(),
                b.keys()
            );
            ensure!(a == b, "yolo: an entry differs from lab export's");
            ensure!(a.contains_key("data.yaml"), "yolo: no data.yaml");
            Ok(a.len())
        }
        _ => {
            let a = dir_files(ours)?;
            let b = dir_files(theirs)?;
            ensure!(
                a.keys().collect::<Vec<_>>() == b.keys().collect::<Vec<_>>(),
                "mask: files {:?} vs {:?}",
                a.keys(),
                b.keys()
            );
            ensure!(a == b, "mask: a PNG differs from lab export's");
            ensure!(
                a.values().all(|png| png.starts_with(b"\x89PNG")),
                "mask: not PNG files"
            );
            Ok(a.len())
        }
    }
}

/// A whole-screen capture (shows native dialogs, which WebDriver screenshots do not).
fn screen_capture(name: &str) -> Result<PathBuf> {
    let dir = screens_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.png"));
    let st = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .status()?;
    ensure!(st.success(), "import (imagemagick) failed");
    Ok(path)
}

/// A stand-in notification daemon on the session bus that appends "app\tsummary\tbody" lines.
struct FakeNotifyd {
    child: Child,
    log: PathBuf,
}

const NOTIFYD: &str = r#"
import sys, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
log = sys.argv[1]
class N(dbus.service.Object):
    @dbus.service.method("org.freedesktop.Notifications", in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, rid, icon, summary, body, actions, hints, timeout):
        with open(log, "a") as f:
            f.write("%s\t%s\t%s\n" % (app, summary, body))
        return 7
    @dbus.service.method("org.freedesktop.Notifications", out_signature="as")
    def GetCapabilities(self):
        return ["body"]
    @dbus.service.method("org.freedesktop.Notifications", out_signature="ssss")
    def GetServerInformation(self):
        return ("e2e-notifyd", "labdesk", "1", "1.2")
    @dbus.service.method("org.freedesktop.Notifications", in_signature="u")
    def CloseNotification(self, i):
        pass
bus = dbus.SessionBus()
name = dbus.service.BusName("org.freedesktop.Notifications", bus)
N(bus, "/org/freedesktop/Notifications")
open(log + ".ready", "w").close()
GLib.MainLoop().run()
"#;

impl FakeNotifyd {
    async fn start(dir: &Path) -> Result<FakeNotifyd> {
        let log = dir.join("notifications.log");
        let child = Command::new("/usr/bin/python3")
            .args(["-c", NOTIFYD])
            .arg(&log)
            .stdout(Stdio::null())
            .spawn()
            .context("python3 with dbus and gi is needed for the notification test")?;
        let ready = log.with_extension("log.ready");
        let deadline = Instant::now() + Duration::from_secs(15);
        while !ready.exists() {
            ensure!(
                Instant::now() < deadline,
                "the stand-in notification daemon did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(FakeNotifyd { child, log })
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for FakeNotifyd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_until<F, Fut>(what: &str, mut f: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + STEP;
    loop {
        if f().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Opens the project's task browser with the status filter applied; returns the task count.
async fn browse_filtered(app: &App, project: &str, status: &str) -> Result<u64> {
    app.click(".crumbs button").await?; // Projects
    app.click(&format!("button[data-project-id={project}]"))
        .await?;
    app.el("[data-testid=batches]").await?;
    app.click_button("Browse all tasks").await?;
    app.el("[data-testid=load-status][data-loading=false]")
        .await?;
    app.click(&format!("input[name=status][value={status}]"))
        .await?;
    let before = load_seq(app).await?;
    app.click("[data-testid=apply-filter]").await?;
    Ok(wait_loaded(app, before).await?.1)
}

/// Opens the Export dialog and waits for the task count; returns it.
async fn open_export(app: &App) -> Result<u64> {
    app.click("[data-testid=open-export]").await?;
    app.el("[data-testid=export-dialog][data-step=setup]")
        .await?;
    let deadline = Instant::now() + STEP;
    loop {
        let c = app
            .el("[data-testid=export-count]")
            .await?
            .attr("data-count")
            .await?
            .unwrap_or_default();
        if let Ok(n) = c.parse::<u64>() {
            return Ok(n);
        }
        if Instant::now() > deadline {
            let err = app.text("[data-testid=export-dialog] [role=alert]").await?;
            bail!("the export dialog never counted the tasks ({err})");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn close_export(app: &App) -> Result<()> {
    app.click_button("Close").await?;
    wait_until("the export dialog to close", || async {
        Ok(app
            .client
            .find(fantoccini::Locator::Css("[data-testid=export-dialog]"))
            .await
            .is_err())
    })
    .await
}

/// Serious and critical axe-core violations (WCAG 2.x A/AA) inside the export dialog, as
/// "rule: target" lines (axe-core from ui/node_modules, injected like tests/a11y.rs does).
async fn axe_serious_in_dialog(app: &App) -> Result<Vec<String>> {
    let loaded = app
        .js("return typeof window.axe === 'object';", vec![])
        .await?;
    if loaded != serde_json::json!(true) {
        let src = labdesk_e2e::axe_source()?;
        app.js(&format!("{src}\n;return typeof window.axe;"), vec![])
            .await
            .context("injecting axe-core")?;
    }
    let res = app
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               window.axe.run(document.querySelector('[data-testid=export-dialog]'), {
                 runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
                 resultTypes: ['violations'],
               }).then(
                 (r) => done({ ok: true, bad: r.violations
                   .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                   .flatMap((v) => v.nodes.map((n) => v.id + ': ' + n.target.join(' '))) }),
                 (e) => done({ ok: false, error: String(e) }),
               );"#,
            vec![],
        )
        .await
        .context("running axe on the export dialog")?;
    ensure!(
        res["ok"] == serde_json::json!(true),
        "axe failed: {}",
        res["error"]
    );
    Ok(res["bad"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Scrolls the element to the middle of the dialog's scroll area, then clicks it (at the
/// bottom edge, the dialog's footer would take the click).
async fn click_in_view(app: &App, css: &str) -> Result<()> {
    app.el(css).await?;
    app.js(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' }); return true;",
        vec![serde_json::json!(css)],
    )
    .await?;
    app.click(css).await
}

/// Chooses the folder through the native dialog (the first time with a full-screen capture).
async fn choose_folder(app: &App, dir: &Path, capture: Option<&str>) -> Result<()> {
    app.click("[data-testid=export-choose-folder]").await?;
    if let Some(name) = capture {
        wait_x_window(FOLDER_DIALOG, STEP).await?;
        tokio::time::sleep(Duration::from_millis(800)).await;
        screen_capture(name)?;
    }
    choose_in_native_dialog(FOLDER_DIALOG, dir).await?;
    let want = dir.display().to_string();
    app.wait_text("[data-testid=export-folder]", "the chosen folder", |t| {
        t == want
    })
    .await?;
    Ok(())
}

/// Format, name, export; waits for the result and returns the path written.
async fn run_export(app: &App, format: &str, name: &str, shot: &str) -> Result<PathBuf> {
    app.click(&format!("input[name=export-format][value={format}]"))
        .await?;
    app.set_value("#export-file-name", name).await?;
    app.el("[data-testid=export-target]").await?;
    app.screenshot(&format!("export-{shot}-setup")).await?;
    app.click("[data-testid=export-run]").await?;
    let done = app
        .el("[data-testid=export-dialog][data-step=done]")
        .await
        .map_err(|e| e.context("the export did not finish"));
    if let Err(e) = done {
        let err = app.text("[data-testid=export-dialog] [role=alert]").await?;
        bail!("{e:#}: {err}");
    }
    let path = app
        .el("[data-testid=export-result]")
        .await?
        .attr("data-path")
        .await?
        .unwrap_or_default();
    app.screenshot(&format!("export-{shot}-done")).await?;
    Ok(PathBuf::from(path))
}

/// One export in the window (see [`run_export`]) compared with `lab export` of the same project,
/// format and status filter: same bytes (lab, kili), same zip entries (yolo), same PNGs (mask).
/// Formats with one item per task must hold `count` items. Returns the path the window wrote.
#[allow(clippy::too_many_arguments)]
async fn export_like_cli(
    app: &App,
    endpoint: &str,
    project: &str,
    format: &str,
    name: &str,
    shot: &str,
    cli_dir: &Path,
    count: u64,
) -> Result<PathBuf> {
    let ours = run_export(app, format, name, shot).await?;
    let theirs = lab_export(endpoint, project, format, "complete", cli_dir, name)?;
    let n = same_export(format, &ours, &theirs)?;
    eprintln!("export {format}: {n} items, identical to lab export");
    if format != "yolo" {
        ensure!(
            n as u64 == count,
            "{format}: {n} items written, {count} expected"
        );
    }
    Ok(ours)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run --test export"]
async fn export_end_to_end() -> Result<()> {
    let root = tempfile::tempdir()?;
    let running = labdesk_e2e::demo_server(root.path()).await?;
    let endpoint = running.base_url.clone();
    let notifyd = FakeNotifyd::start(root.path()).await?;

    let (mut launch, dirs) = Launch::isolated(&root.path().join("app"))?;
    // "Open folder" runs xdg-open: a stand-in on the app's PATH records what it was asked to open
    let fake_bin = root.path().join("bin");
    std::fs::create_dir_all(&fake_bin)?;
    let opened = root.path().join("opened.log");
    let script = fake_bin.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            opened.display()
        ),
    )?;
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let path = std::env::var("PATH").unwrap_or_default();
    launch
        .env
        .push(("PATH".into(), format!("{}:{path}", fake_bin.display())));
    let app = App::launch_with(launch).await?;
    connect_profile(&app, "Export sandbox", &endpoint, "demo", "demo").await?;

    let out = root.path().join("out");
    let cli = root.path().join("cli");

    // ---- rectangles: lab, kili, yolo with the status filter; mask disabled with its reason ----
    let shown = browse_filtered(&app, RECT, "complete").await?;
    ensure!(shown > 0, "no complete task in {RECT}");
    let count = open_export(&app).await?;
    ensure!(
        count == shown,
        "the dialog counts {count}, the browser shows {shown}"
    );
    let mask = app.el("input[name=export-format][value=mask]").await?;
    ensure!(!mask.is_enabled().await?, "mask is offered for rectangles");
    let reason = app.text("[data-testid=export-reason-mask]").await?;
    // in the app's words, never the internal type ids
    ensure!(
        reason
            == "Not available for this project: it writes Image: segmentation projects only; this one is Image: rectangles.",
        "the reason for the disabled mask format: {reason:?}"
    );
    app.screenshot("export-01-dialog-disabled-mask").await?;
    let rect_dir = out.join("rect");
    std::fs::create_dir_all(&rect_dir)?;
    choose_folder(&app, &rect_dir, Some("export-02-native-folder-dialog")).await?;
    for (i, (format, name)) in [
        ("lab", "e2e-lab.json"),
        ("kili", "e2e-kili.json"),
        ("yolo", "e2e-yolo.zip"),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            app.click_button("Export again").await?;
            app.el("[data-testid=export-dialog][data-step=setup]")
                .await?;
        }
        let shot = format!("{:02}-{format}", i + 3);
        let ours = export_like_cli(
            &app,
            &endpoint,
            RECT,
            format,
            name,
            &shot,
            &cli.join("rect"),
            count,
        )
        .await?;
        ensure!(ours == rect_dir.join(name), "wrote {}", ours.display());
        if i == 0 {
            // "Open folder" opens the destination folder in the file manager
            app.click("[data-testid=export-open-folder]").await?;
            let want = rect_dir.display().to_string();
            wait_until("xdg-open on the export folder", || async {
                Ok(std::fs::read_to_string(&opened)
                    .unwrap_or_default()
                    .lines()
                    .any(|l| l == want))
            })
            .await?;
        }
    }

    // ---- run again from the history: same recipe, same filter; replacing is confirmed ----
    app.el("[data-testid=export-history-row]").await?;
    app.screenshot("export-06-history").await?;
    let first_format = app
        .el("[data-testid=export-history-row]")
        .await?
        .attr("data-format")
        .await?
        .unwrap_or_default();
    ensure!(
        first_format == "yolo",
        "newest history row is {first_format}"
    );
    std::fs::remove_file(rect_dir.join("e2e-yolo.zip"))?;
    app.click_button("Run again").await?;
    app.el("[data-testid=export-dialog][data-step=setup]")
        .await?;
    app.wait_text("[data-testid=export-count]", "the count", |t| {
        !t.is_empty() && !t.contains('…')
    })
    .await?;
    app.el("[data-testid=export-target]").await?;
    app.screenshot("export-07-run-again").await?;
    app.click("[data-testid=export-run]").await?;
    app.el("[data-testid=export-dialog][data-step=done]")
        .await?;
    same_export(
        "yolo",
        &rect_dir.join("e2e-yolo.zip"),
        &cli.join("rect/e2e-yolo.zip"),
    )?;
    // a second run finds the file: a warning, and nothing happens until "Replace it" is ticked
    app.click_button("Export again").await?;
    app.el("[data-testid=export-exists]").await?;
    let run = app.el("[data-testid=export-run]").await?;
    ensure!(
        !run.is_enabled().await?,
        "Export is enabled over an existing file"
    );
    app.screenshot("export-08-overwrite-warning").await?;
    click_in_view(&app, "[data-testid=export-overwrite]").await?;
    app.click("[data-testid=export-run]").await?;
    app.el("[data-testid=export-dialog][data-step=done]")
        .await?;
    same_export(
        "yolo",
        &rect_dir.join("e2e-yolo.zip"),
        &cli.join("rect/e2e-yolo.zip"),
    )?;
    let leftovers: Vec<_> = std::fs::read_dir(&rect_dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    ensure!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    close_export(&app).await?;

    // ---- segmentation: mask folder ----
    let shown = browse_filtered(&app, SEG, "complete").await?;
    ensure!(shown > 0, "no complete task in {SEG}");
    let count = open_export(&app).await?;
    ensure!(
        count == shown,
        "mask: the dialog counts {count}, the browser {shown}"
    );
    let seg_dir = out.join("seg");
    std::fs::create_dir_all(&seg_dir)?;
    choose_folder(&app, &seg_dir, None).await?;
    export_like_cli(
        &app,
        &endpoint,
        SEG,
        "mask",
        "e2e-masks",
        "09-mask",
        &cli.join("seg"),
        count,
    )
    .await?;

    // ---- OS notification when the window is not focused ----
    app.click_button("Export again").await?;
    app.click("input[name=export-format][value=lab]").await?;
    app.set_value("#export-file-name", "e2e-notify.json")
        .await?;
    app.el("[data-testid=export-target]").await?;
    let mut thief = Command::new("xmessage")
        .args(["-title", "labdesk-focus-thief", "focus elsewhere"])
        .spawn()?;
    let w = wait_x_window("labdesk-focus-thief", STEP).await?;
    Command::new("xdotool")
        .args(["windowfocus", "--sync", &w])
        .status()?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.click("[data-testid=export-run]").await?;
    app.el("[data-testid=export-dialog][data-step=done]")
        .await?;
    let notified = wait_until("a notification", || async {
        Ok(notifyd
            .lines()
            .iter()
            .any(|l| l.starts_with("Lab Desk\tExport finished\t")))
    })
    .await;
    screen_capture("export-10-notification-unfocused")?;
    let _ = thief.kill();
    let _ = thief.wait();
    notified.with_context(|| format!("notifications seen: {:?}", notifyd.lines()))?;
    let line = notifyd.lines().into_iter().last().unwrap_or_default();
    ensure!(
        line.contains("e2e-notify.json"),
        "the notification does not name the file: {line}"
    );

    // every export is on the activity log, with its format, file, project name and count
    let log =
        rusqlite::Connection::open(dirs[1].join("com.isahit.labdesk").join("activity.sqlite3"))?;
    let exports: Vec<(String, String, Option<String>, i64)> = log
        .prepare(
            "SELECT json_extract(change, '$.format'), json_extract(change, '$.path'),
                    project_name, succeeded FROM entries WHERE kind = 'export' ORDER BY id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    ensure!(
        exports.iter().any(|(f, p, name, n)| f == "lab"
            && p.ends_with("e2e-lab.json")
            && name.as_deref().is_some_and(|n| !n.is_empty())
            && *n > 0),
        "the lab export is not on the activity log: {exports:?}"
    );
    ensure!(
        exports
            .iter()
            .any(|(_, p, _, _)| p.ends_with("e2e-notify.json")),
        "the last export is not on the activity log: {exports:?}"
    );

    app.quit().await?;
    drop(running);
    Ok(())
}

/// One split of a YOLO dataset zip: (image file names, label file stems).
type SplitFiles = (Vec<String>, Vec<String>);

/// Entries of a YOLO dataset zip by split: split → (image file names with their extension,
/// label stems). Fails on an entry outside `data.yaml`, `images/{split}/` and `labels/{split}/`.
fn dataset_layout(entries: &BTreeMap<String, Vec<u8>>) -> Result<BTreeMap<String, SplitFiles>> {
    let mut out: BTreeMap<String, SplitFiles> = BTreeMap::new();
    for name in entries.keys() {
        if name == "data.yaml" || name == "images/" || name == "labels/" {
            continue;
        }
        let (kind, rest) = name
            .split_once('/')
            .with_context(|| format!("unexpected entry {name}"))?;
        let (split, file) = rest
            .split_once('/')
            .with_context(|| format!("unexpected entry {name}"))?;
        ensure!(
            ["train", "val", "test"].contains(&split),
            "entry {name} is not in a train/val/test folder"
        );
        let e = out.entry(split.to_owned()).or_default();
        if file.is_empty() {
            continue; // the folder itself
        }
        match kind {
            "images" => e.0.push(file.to_owned()),
            "labels" => {
                let stem = file
                    .strip_suffix(".txt")
                    .with_context(|| format!("label {name} is not a .txt"))?;
                e.1.push(stem.to_owned());
            }
            _ => bail!("unexpected entry {name}"),
        }
    }
    Ok(out)
}

/// The YOLO dataset with images from the window, on the rectangles' complete tasks with a
/// 70 / 20 / 10 split and seed 7, equals `lab export --format yolo-dataset` with the same split
/// and seed: same entries, same labels, same image bytes. One demo image is removed from the
/// server first, so the tasks using it are exported without their image and the window says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run --test export"]
async fn export_yolo_dataset() -> Result<()> {
    let root = tempfile::tempdir()?;
    let srv_dir = root.path().join("server");
    std::fs::create_dir_all(&srv_dir)?;
    let sandbox = lab_sandbox::Sandbox::open(lab_sandbox::Config::new(&srv_dir))?;
    sandbox.load_demo()?;
    // one image gone from the server's files: its tasks cannot get their image
    let mut gone = Vec::new();
    let mut seen = 0;
    labdesk_e2e::files_containing(&srv_dir, b"\x89PNG", &mut gone, &mut seen);
    let gone = gone
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == "demo-image-03"))
        .context("the demo image demo-image-03 is not among the sandbox files")?;
    std::fs::remove_file(&gone)?;
    let running = lab_sandbox::start(sandbox, "127.0.0.1:0".parse()?).await?;
    let endpoint = running.base_url.clone();

    let (launch, _dirs) = Launch::isolated(&root.path().join("app"))?;
    let app = App::launch_with(launch).await?;
    connect_profile(&app, "Dataset sandbox", &endpoint, "demo", "demo").await?;

    let shown = browse_filtered(&app, RECT, "complete").await?;
    ensure!(shown > 0, "no complete task in {RECT}");
    let count = open_export(&app).await?;
    ensure!(
        count == shown,
        "the dialog counts {count}, the browser {shown}"
    );
    // both training formats are offered for rectangles, each saying what it is for
    for f in ["coco", "yolo-dataset"] {
        let input = app
            .el(&format!("input[name=export-format][value={f}]"))
            .await?;
        ensure!(
            input.is_enabled().await?,
            "{f} is not offered for rectangles"
        );
        let purpose = app
            .text(&format!("[data-testid=export-purpose-{f}]"))
            .await?;
        ensure!(!purpose.trim().is_empty(), "{f} has no purpose line");
    }
    let dir = root.path().join("out");
    std::fs::create_dir_all(&dir)?;
    choose_folder(&app, &dir, None).await?;

    let name = "e2e-dataset.zip";
    app.click("input[name=export-format][value=yolo-dataset]")
        .await?;
    // a wrong split is refused before anything is sent
    app.set_value("[data-testid=export-split-train]", "0")
        .await?;
    app.wait_text(
        "[data-testid=export-split-result]",
        "the split error",
        |t| t.contains("above 0"),
    )
    .await?;
    let run = app.el("[data-testid=export-run]").await?;
    ensure!(
        !run.is_enabled().await?,
        "Export is enabled with a train share of 0"
    );
    app.set_value("[data-testid=export-split-train]", "70")
        .await?;
    app.set_value("[data-testid=export-split-val]", "20")
        .await?;
    app.set_value("[data-testid=export-split-test]", "10")
        .await?;
    app.set_value("[data-testid=export-seed]", "7").await?;
    let normalised = app
        .wait_text("[data-testid=export-split-result]", "the shares", |t| {
            t.contains("test 10")
        })
        .await?;
    ensure!(
        normalised.contains("train 70") && normalised.contains("val 20"),
        "normalised split: {normalised:?}"
    );
    app.js(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' }); return true;",
        vec![serde_json::json!("[data-testid=export-split]")],
    )
    .await?;
    app.screenshot("export-11-yolo-dataset-split").await?;
    let bad = axe_serious_in_dialog(&app).await?;
    ensure!(bad.is_empty(), "axe, split options: {bad:?}");
    let ours = run_export(&app, "yolo-dataset", name, "11-yolo-dataset").await?;
    ensure!(ours == dir.join(name), "wrote {}", ours.display());

    // the done step: tasks per split, the manifest, the tasks without their image
    let splits_line = app.text("[data-testid=export-splits]").await?;
    let manifest = app.text("[data-testid=export-manifest]").await?;
    let want_manifest = dir.join("e2e-dataset.manifest.json");
    ensure!(
        manifest.contains(&want_manifest.display().to_string()),
        "manifest line {manifest:?}"
    );
    ensure!(want_manifest.is_file(), "no manifest beside the zip");
    let missing = app.el("[data-testid=export-missing-images]").await?;
    let missing_count: u64 = missing
        .attr("data-count")
        .await?
        .unwrap_or_default()
        .parse()
        .context("the missing-image count")?;
    let missing_text = missing.text().await?;
    ensure!(
        missing_count > 0
            && missing_text.contains(&format!("{missing_count} task"))
            && missing_text.contains("without"),
        "missing images warning: {missing_text:?}"
    );
    let rows = app
        .client
        .find_all(fantoccini::Locator::Css(
            "[data-testid=export-missing-images] li",
        ))
        .await?;
    ensure!(
        rows.len() as u64 == missing_count,
        "{} rows listed for {missing_count} tasks without their image",
        rows.len()
    );
    screen_capture("export-12-yolo-dataset-done-screen")?;
    let bad = axe_serious_in_dialog(&app).await?;
    ensure!(bad.is_empty(), "axe, done step: {bad:?}");

    // the zip: data.yaml, every image paired with its label file, the counts the window shows
    let a = zip_entries(&ours)?;
    let yaml = String::from_utf8_lossy(a.get("data.yaml").context("no data.yaml")?).into_owned();
    ensure!(
        yaml.contains("train: images/train") && yaml.contains("names:"),
        "data.yaml: {yaml}"
    );
    let layout = dataset_layout(&a)?;
    let mut images = 0u64;
    let mut shown_parts = Vec::new();
    for (split, (imgs, labels)) in &layout {
        let mut stems: Vec<String> = imgs
            .iter()
            .map(|f| {
                ensure!(f.ends_with(".png"), "{split}: {f} is not a PNG");
                ensure!(
                    a[&format!("images/{split}/{f}")].starts_with(b"\x89PNG"),
                    "{split}/{f}: not PNG bytes"
                );
                Ok(f.trim_end_matches(".png").to_owned())
            })
            .collect::<Result<_>>()?;
        stems.sort();
        let mut labels = labels.clone();
        labels.sort();
        ensure!(
            stems == labels,
            "{split}: images {stems:?} vs labels {labels:?}"
        );
        ensure!(
            yaml.contains(&format!("{split}: images/{split}")),
            "data.yaml has no {split}"
        );
        images += stems.len() as u64;
        if !stems.is_empty() {
            shown_parts.push(format!("{split} {}", stems.len()));
        }
    }
    ensure!(
        layout.get("train").is_some_and(|(i, _)| !i.is_empty()),
        "no image in train: {layout:?}"
    );
    ensure!(
        images + missing_count == count,
        "{images} images + {missing_count} missing for {count} tasks"
    );
    // the window lists the splits in train, val, test order
    let order = ["train", "val", "test"];
    shown_parts.sort_by_key(|p| order.iter().position(|o| p.starts_with(o)));
    ensure!(
        splits_line.contains(&shown_parts.join(" · ")),
        "the window says {splits_line:?}, the zip holds {shown_parts:?}"
    );

    // the same as `lab export` with the same split and seed
    let theirs = lab_export_with(
        &endpoint,
        RECT,
        "yolo-dataset",
        "complete",
        &root.path().join("cli"),
        name,
        &["split=70,20,10", "seed=7"],
    )?;
    let b = zip_entries(&theirs)?;
    ensure!(
        a.keys().collect::<Vec<_>>() == b.keys().collect::<Vec<_>>(),
        "yolo-dataset: entries {:?} vs lab export's {:?}",
        a.keys(),
        b.keys()
    );
    for (k, v) in &a {
        ensure!(b[k] == *v, "yolo-dataset: {k} differs from lab export's");
    }
    eprintln!(
        "export yolo-dataset: {} entries ({shown_parts:?}, {missing_count} without image), identical to lab export",
        a.len()
    );

    // "Run again" brings back the split and the seed
    app.click_button("Run again").await?;
    app.el("[data-testid=export-dialog][data-step=setup]")
        .await?;
    // the options show once the formats are loaded, with the recipe's format chosen
    app.el("[data-testid=export-split-train]").await?;
    let fields = app
        .js(
            r#"return ["train", "val", "test"].map((k) => {
                 const e = document.querySelector(`[data-testid=export-split-${k}]`);
                 return e ? e.value : null;
               }).concat([document.querySelector("[data-testid=export-seed]")?.value ?? null]);"#,
            vec![],
        )
        .await?;
    ensure!(
        fields == serde_json::json!(["70", "20", "10", "7"]),
        "Run again shows the split and seed {fields}"
    );
    app.screenshot("export-13-yolo-dataset-run-again").await?;
    app.click_button("Cancel").await?;
    wait_until("the export dialog to close", || async {
        Ok(app
            .client
            .find(fantoccini::Locator::Css("[data-testid=export-dialog]"))
            .await
            .is_err())
    })
    .await?;

    app.quit().await?;
    drop(running);
    Ok(())
}
