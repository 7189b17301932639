//! Export from the real window (owner: export): for each format (lab, kili, yolo, mask), with a
//! filter applied in the task browser, open Export, choose the format, choose the folder in the
//! real GTK folder dialog driven by xdotool, export, and compare with `lab export` for the same
//! filter against the same sandbox. Also: a format that does not fit the project is disabled
//! with its reason; "Run again" from the history; an OS notification when the window is not
//! focused (a stand-in notification daemon on the test's D-Bus session).
//!
//! Run: `tests/e2e/run --test export`.

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
    std::fs::create_dir_all(dir)?;
    let out = Command::new(lab_binary()?)
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
    // our own lab server with the demo workspace (credentials demo/demo)
    let srv_dir = root.path().join("server");
    std::fs::create_dir_all(&srv_dir)?;
    let sandbox = lab_sandbox::Sandbox::open(lab_sandbox::Config::new(&srv_dir))?;
    sandbox.load_demo()?;
    let running = lab_sandbox::start(sandbox, "127.0.0.1:0".parse()?).await?;
    let endpoint = running.base_url.clone();
    let notifyd = FakeNotifyd::start(root.path()).await?;

    let (mut launch, _dirs) = Launch::isolated(&root.path().join("app"))?;
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
    ensure!(
        reason.contains("segmentation"),
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
    app.click("[data-testid=export-overwrite]").await?;
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

    app.quit().await?;
    drop(running);
    Ok(())
}
