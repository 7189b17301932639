//! The Lab Desk window end to end: first run on the local sandbox, a profile whose secret
//! lives in the keychain (and in no file), restart, every filter kind, bulk actions.
//!
//! Needs a display, a running Secret Service and the app built with the custom-protocol
//! feature: run `tests/e2e/run`, which provides all three. Ignored in plain `cargo test`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use fantoccini::Locator;
use fantoccini::key::Key;
use futures::StreamExt;
use lab_client::{ClientOptions, Credentials, LabClient, TaskFilter};
use labdesk_e2e::{App, STEP, files_containing, load_seq, wait_loaded};
use serde_json::{Value, json};

const ACCESS_ID: &str = "e2e-access";
const SECRET: &str = "e2e-secret-7f3a9c";
const PROJECT: &str = "5e2000000000000000000001";
const B1: &str = "5e2000000000000000000b01";
const B2: &str = "5e2000000000000000000b02";

fn task_id(i: usize) -> String {
    format!("5e20000000000000000000{i:02}")
}

fn task_name(i: usize) -> String {
    match i {
        1..=4 => format!("cat_{i:02}.png"),
        5..=8 => format!("dog_{:02}.png", i - 4),
        _ => format!("bird_{:02}.png", i - 8),
    }
}

fn status_of(i: usize) -> &'static str {
    ["reviewed", "complete", "pending", "to-review"][i % 4]
}

/// A project made for the filters: 12 tasks with known names, statuses, dates, data, properties.
fn seed() -> Value {
    let task = |i: usize| {
        json!({
            "_id": task_id(i),
            "name": task_name(i),
            "status": status_of(i),
            "resources": [format!("https://example.invalid/{}", task_name(i))],
            "data": { "annotations": [], "comment": if i.is_multiple_of(3) { "urgent" } else { "normal" } },
            "initialData": { "annotations": [] },
            "properties": { "score": i % 3, "custom": { "team": if i.is_multiple_of(2) { "a" } else { "b" } } },
            "createdAt": format!("2024-01-{i:02}T10:00:00.000Z"),
            "updatedAt": format!("2024-02-{i:02}T12:00:00.000Z"),
        })
    };
    json!({
        "credentials": [{ "access_id": ACCESS_ID, "secret_key": SECRET }],
        "projects": [{
            "_id": PROJECT,
            "name": "E2E filters",
            "status": "pending",
            "projectType": "iat-rectangle",
            "configuration": { "metadata": { "labelOptions": {
                "mainLists": [{ "name": "Objects", "keys": ["objects"] }],
                "availableLabels": { "objects": [
                    { "id": "car", "name": "car", "color": "#e6194b", "bChannel": 1 },
                    { "id": "person", "name": "person", "color": "#3cb44b", "bChannel": 2 }
                ] }
            }, "toolOptions": { "sequence": false } } },
            "batches": [
                { "_id": B1, "name": "Batch one", "tasks": (1..=8).map(task).collect::<Vec<_>>() },
                { "_id": B2, "name": "Batch two", "tasks": (9..=12).map(task).collect::<Vec<_>>() }
            ]
        }]
    })
}

struct Env {
    config: PathBuf,
    data: PathBuf,
    cache: PathBuf,
}

fn env_dirs() -> Result<Env> {
    let get = |k: &str| -> Result<PathBuf> {
        Ok(PathBuf::from(std::env::var(k).with_context(|| {
            format!("{k} is not set: run tests/e2e/run")
        })?))
    };
    Ok(Env {
        config: get("XDG_CONFIG_HOME")?,
        data: get("XDG_DATA_HOME")?,
        cache: get("XDG_CACHE_HOME")?,
    })
}

async fn oracle_count(client: &LabClient, f: &TaskFilter) -> Result<u64> {
    Ok(client.count_tasks(f).await?)
}

async fn oracle_tasks(client: &LabClient, f: TaskFilter) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut pages = Box::pin(client.task_pages(f));
    while let Some(p) = pages.next().await {
        out.extend(p?.tasks);
    }
    Ok(out)
}

/// Clicks Search and waits until this search has loaded everything; returns (loaded, total).
async fn search(app: &App) -> Result<(u64, u64)> {
    let before = load_seq(app).await?;
    app.click("[data-testid=apply-filter]").await?;
    wait_loaded(app, before).await
}

/// Names of the rows in the table (all fit on screen in the filter project).
async fn row_names(app: &App) -> Result<Vec<String>> {
    let v = app
        .js(
            "return [...document.querySelectorAll('[data-testid=task-grid] [data-task-name]')].map(e => e.dataset.taskName);",
            vec![],
        )
        .await?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn names(ids: impl IntoIterator<Item = usize>) -> Vec<String> {
    sorted(ids.into_iter().map(task_name).collect())
}

async fn clear_filters(app: &App) -> Result<()> {
    app.click_button("Clear filters").await
}

/// One filter case: set the form, search, compare with what we seeded and with the API.
async fn check_filter(
    app: &App,
    oracle: &LabClient,
    shot: &str,
    expected: Vec<String>,
    filter: TaskFilter,
) -> Result<()> {
    let (loaded, total) = search(app).await?;
    let shown = sorted(row_names(app).await?);
    app.screenshot(shot).await?;
    ensure!(
        shown == expected,
        "{shot}: table shows {shown:?}, expected {expected:?}"
    );
    ensure!(
        loaded == total && total as usize == expected.len(),
        "{shot}: count {loaded}/{total}"
    );
    let n = oracle_count(oracle, &filter).await?;
    ensure!(
        n == total,
        "{shot}: the API counts {n} for the same filter, the window {total}"
    );
    ensure!(total < 12, "{shot}: the filter did not narrow the 12 tasks");
    Ok(())
}

async fn set_checkbox(app: &App, css: &str, on: bool) -> Result<()> {
    let e = app.el(css).await?;
    if e.is_selected().await? != on {
        e.click().await?;
    }
    Ok(())
}

async fn open_bulk(app: &App, button: &str) -> Result<()> {
    app.click_button(button).await?;
    app.el("[data-testid=bulk-dialog][data-step=choose]")
        .await?;
    Ok(())
}

/// Preview → confirm → wait for results; returns the result rows' texts.
async fn preview_confirm(
    app: &App,
    shot: &str,
    expect_count: u64,
    expect_change: &str,
) -> Result<Vec<String>> {
    app.click_button("Preview").await?;
    app.el("[data-testid=bulk-dialog][data-step=preview]")
        .await?;
    // the preview states the change itself, not only how many tasks
    let change = app.text("[data-testid=preview-change]").await?;
    ensure!(
        change == expect_change,
        "{shot}: the preview says {change:?}, expected {expect_change:?}"
    );
    let count = app.text("[data-testid=preview-count] strong").await?;
    app.screenshot(&format!("{shot}-preview")).await?;
    ensure!(
        count == expect_count.to_string(),
        "{shot}: preview says {count} tasks, expected {expect_count}"
    );
    app.click("[data-testid=confirm-bulk]").await?;
    app.el("[data-testid=bulk-dialog][data-step=done]").await?;
    app.screenshot(&format!("{shot}-results")).await?;
    let rows = app
        .js(
            "return [...document.querySelectorAll('[data-testid=bulk-results] tbody tr')].map(r => r.innerText);",
            vec![],
        )
        .await?;
    Ok(rows
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

async fn close_dialog(app: &App) -> Result<()> {
    app.click_button("Close").await?;
    let deadline = std::time::Instant::now() + STEP;
    while app
        .client
        .find(Locator::Css("[data-testid=bulk-dialog]"))
        .await
        .is_ok()
    {
        if std::time::Instant::now() > deadline {
            bail!("the dialog did not close");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run"]
async fn window_end_to_end() -> Result<()> {
    let dirs = env_dirs()?;
    // Our own lab server for the "remote" profile, with a project made for the filters.
    let srv_dir = tempfile::tempdir()?;
    let sandbox = lab_sandbox::Sandbox::open(lab_sandbox::Config::new(srv_dir.path()))?;
    sandbox.load_demo()?;
    let seed: lab_sandbox::seed::Seed = serde_json::from_value(seed())?;
    sandbox.apply_seed(&seed)?;
    let running = lab_sandbox::start(sandbox, "127.0.0.1:0".parse()?).await?;
    let endpoint = running.base_url.clone();
    let oracle = LabClient::new(
        &endpoint,
        Credentials {
            access_id: ACCESS_ID.into(),
            secret_key: SECRET.into(),
        },
        ClientOptions::default(),
    )?;

    // ---- 1. first run opens on the local sandbox ----
    let started = std::time::Instant::now();
    let app = App::launch().await?;
    app.wait_text("[data-testid=connected-as]", "Local sandbox", |t| {
        t.contains("Local sandbox")
    })
    .await?;
    app.el("[data-testid=projects] tbody tr").await?;
    eprintln!(
        "measure: first run, launch to project list on the local sandbox: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    app.screenshot("01-first-run-projects").await?;
    // project view and task browser of a demo project, with the detail drawer
    app.click("[data-testid=projects] tbody tr button").await?;
    app.el("[data-testid=batches]").await?;
    app.screenshot("02-project-view").await?;
    app.click_button("Browse all tasks").await?;
    wait_loaded(&app, 0).await?;
    app.screenshot("03-task-browser").await?;
    // keyboard: into the table, first row, details with Enter
    let grid = app.el("[data-testid=task-grid]").await?;
    app.js(
        "document.querySelector('[data-testid=task-grid]').focus(); return true;",
        vec![],
    )
    .await?;
    grid.send_keys(&format!(
        "{}{}",
        char::from(Key::Down),
        char::from(Key::Enter)
    ))
    .await?;
    if app
        .el_within("[data-testid=drawer]", Duration::from_secs(5))
        .await
        .is_err()
    {
        // the pointer way: a click on a row opens its details
        app.click("[data-testid=task-grid] .grid-row [data-col=name]")
            .await?;
    }
    app.el("[data-testid=drawer]").await?;
    tokio::time::sleep(Duration::from_millis(800)).await; // let the preview arrive
    app.screenshot("04-task-browser-drawer").await?;

    // ---- 2. add a profile: messages for wrong / unreachable, secret in the keychain only ----
    app.click_button("Profiles…").await?;
    app.click_button("Add a profile…").await?;
    app.set_value("input[name=name]", "E2E server").await?;
    app.set_value("input[name=endpoint]", "http://127.0.0.1:9/")
        .await?;
    app.set_value("input[name=accessId]", ACCESS_ID).await?;
    app.set_value("input[name=secretKey]", "wrong-secret")
        .await?;
    app.click_button("Test connection").await?;
    app.wait_text("[role=alert]", "unreachable message", |t| {
        t.contains("Cannot reach the server")
    })
    .await?;
    app.screenshot("04-connection-unreachable").await?;
    app.set_value("input[name=endpoint]", &endpoint).await?;
    app.click_button("Test connection").await?;
    app.wait_text("[role=alert]", "wrong credentials message", |t| {
        t.contains("Wrong credentials")
    })
    .await?;
    app.screenshot("05-connection-wrong-credentials").await?;
    app.set_value("input[name=secretKey]", SECRET).await?;
    app.click_button("Test connection").await?;
    app.wait_text(".banner.ok", "success", |t| t.contains("Connection works"))
        .await?;
    app.screenshot("06-connection-test-ok").await?;
    app.click_button("Save and connect").await?;
    app.wait_text("[data-testid=connected-as]", "E2E server", |t| {
        t.contains("E2E server")
    })
    .await?;
    app.screenshot("07-connected-projects").await?;

    let profiles_file = dirs.config.join("com.isahit.labdesk/profiles.json");
    let profiles: Value = serde_json::from_str(&std::fs::read_to_string(&profiles_file)?)?;
    let id = profiles["profiles"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "E2E server"))
        .and_then(|p| p["id"].as_str())
        .context("the new profile is not in profiles.json")?
        .to_owned();
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "labdesk", "username", &id])
        .output()?;
    ensure!(
        String::from_utf8_lossy(&out.stdout).trim() == SECRET,
        "the secret is not in the keychain (secret-tool said {:?})",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut leaks = Vec::new();
    for d in [&dirs.config, &dirs.data, &dirs.cache] {
        files_containing(d, SECRET.as_bytes(), &mut leaks, &mut 0);
    }
    ensure!(leaks.is_empty(), "the secret key was written to {leaks:?}");

    // ---- 3. restart: still connected to the same profile ----
    app.quit().await?;
    let app = App::launch().await?;
    app.wait_text(
        "[data-testid=connected-as]",
        "E2E server after restart",
        |t| t.contains("E2E server"),
    )
    .await?;
    app.el("[data-testid=projects] tbody tr").await?;
    app.screenshot("08-restart-still-connected").await?;

    // ---- 4. project view of the filter project ----
    app.click(&format!("button[data-project-id='{PROJECT}']"))
        .await?;
    app.wait_text("[data-testid=batches] tfoot", "12 tasks", |t| {
        t.contains("12")
    })
    .await?;
    let batches = app.text("[data-testid=batches] tbody").await?;
    ensure!(
        batches.contains("Batch one") && batches.contains("Batch two"),
        "batches: {batches}"
    );
    app.screenshot("09-project-batches").await?;
    app.click_button("Browse all tasks").await?;
    let (_, total) = wait_loaded(&app, 0).await?;
    ensure!(
        total == 12,
        "the project has 12 tasks, the window says {total}"
    );
    app.screenshot("10-tasks-all").await?;

    // ---- 5. each filter kind narrows the table correctly ----
    let base = || TaskFilter::new(PROJECT);

    set_checkbox(&app, &format!("input[name=batch][value='{B2}']"), true).await?;
    check_filter(
        &app,
        &oracle,
        "11-filter-batch",
        names(9..=12),
        TaskFilter {
            batch_ids: vec![B2.into()],
            ..base()
        },
    )
    .await?;
    clear_filters(&app).await?;

    set_checkbox(&app, "input[name=status][value=complete]", true).await?;
    let complete: Vec<usize> = (1..=12).filter(|i| status_of(*i) == "complete").collect();
    check_filter(
        &app,
        &oracle,
        "12-filter-status",
        names(complete.clone()),
        TaskFilter {
            statuses: vec!["complete".into()],
            ..base()
        },
    )
    .await?;
    clear_filters(&app).await?;

    app.set_value("textarea[name=names]", "cat_02.png\ndog_03.png\n")
        .await?;
    check_filter(
        &app,
        &oracle,
        "13-filter-names",
        names([2, 7]),
        TaskFilter {
            names: vec![task_name(2), task_name(7)],
            ..base()
        },
    )
    .await?;
    clear_filters(&app).await?;

    app.set_value(
        "textarea[name=taskIds]",
        &format!("{}, {}\n{}", task_id(3), task_id(7), task_id(11)),
    )
    .await?;
    check_filter(
        &app,
        &oracle,
        "14-filter-task-ids",
        names([3, 7, 11]),
        TaskFilter {
            task_ids: vec![task_id(3), task_id(7), task_id(11)],
            ..base()
        },
    )
    .await?;
    // the project was mirrored after its first search: these searches came from the local
    // copy, synced with the lab each time (and still equal to the API's answers above)
    app.wait_text("[data-testid=load-source]", "the local copy's note", |t| {
        t.starts_with("Local copy, ")
    })
    .await?;
    clear_filters(&app).await?;

    // the pattern is checked as you type
    app.set_value("input[name=nameLike]", "^dog_0[12").await?;
    app.wait_text(".filters .error", "regex error", |t| {
        t.contains("not valid")
    })
    .await?;
    let disabled = !app
        .el("[data-testid=apply-filter]")
        .await?
        .is_enabled()
        .await?;
    ensure!(disabled, "Search stays enabled with an invalid pattern");
    app.screenshot("15-filter-regex-invalid").await?;
    app.set_value("input[name=nameLike]", "^dog_0[12]").await?;
    check_filter(
        &app,
        &oracle,
        "16-filter-name-regex",
        names([5, 6]),
        TaskFilter {
            name_like: Some("^dog_0[12]".into()),
            ..base()
        },
    )
    .await?;
    clear_filters(&app).await?;

    app.click_button("+ Add a data key").await?;
    app.set_value("input[name=data-key]", "comment").await?;
    app.set_value("input[name=data-value]", "urgent").await?;
    check_filter(
        &app,
        &oracle,
        "17-filter-data",
        names([3, 6, 9, 12]),
        TaskFilter {
            data: vec![("comment".into(), "urgent".into())],
            ..base()
        },
    )
    .await?;
    clear_filters(&app).await?;

    app.click_button("+ Add a property").await?;
    app.set_value("input[name=properties-key]", "score").await?;
    app.set_value("input[name=properties-value]", "2").await?;
    check_filter(
        &app,
        &oracle,
        "18-filter-property",
        names([2, 5, 8, 11]),
        TaskFilter {
            properties: vec![("score".into(), "2".into())],
            ..base()
        },
    )
    .await?;
    clear_filters(&app).await?;

    // an empty date bound reads "any time", not a greyed sample date that looks already set
    let empty = app
        .js(
            "const e = document.querySelector('input[name=created-from]'); return [e.type, e.placeholder, e.value];",
            vec![],
        )
        .await?;
    ensure!(
        empty == json!(["text", "any time", ""]),
        "the empty created-from field: {empty}"
    );
    app.set_value("input[name=created-from]", "2024-01-05T00:00:00")
        .await?;
    app.set_value("select[name=created-to-op]", "<").await?;
    app.set_value("input[name=created-to]", "2024-01-09T00:00:00")
        .await?;
    let mut f = base();
    f.created_at.gte = Some("2024-01-05 00:00:00".into());
    f.created_at.lt = Some("2024-01-09 00:00:00".into());
    check_filter(&app, &oracle, "19-filter-created-range", names(5..=8), f).await?;
    clear_filters(&app).await?;

    app.set_value("select[name=updated-from-op]", ">").await?;
    app.set_value("input[name=updated-from]", "2024-02-10T12:00:00")
        .await?;
    let mut f = base();
    f.updated_at.gt = Some("2024-02-10 12:00:00".into());
    check_filter(&app, &oracle, "20-filter-updated-after", names([11, 12]), f).await?;
    clear_filters(&app).await?;

    // ---- 6. bulk: properties on a selection ----
    let (_, total) = search(&app).await?;
    ensure!(total == 12, "cleared filter shows {total}");
    for i in [1, 2] {
        set_checkbox(
            &app,
            &format!("input[aria-label='Select {}']", task_name(i)),
            true,
        )
        .await?;
    }
    open_bulk(&app, "Update properties…").await?;
    app.set_value("input[name=score]", "4").await?;
    app.click_button("+ Add a custom property").await?;
    app.set_value("input[name=custom-key]", "team").await?;
    app.set_value("input[name=custom-value]", "e2e").await?;
    app.screenshot("21-bulk-properties-form").await?;
    let rows = preview_confirm(
        &app,
        "22-bulk-properties",
        2,
        "score → 4, team → e2e on 2 tasks",
    )
    .await?;
    ensure!(
        rows.len() == 2 && rows.iter().all(|r| r.contains("done")),
        "results: {rows:?}"
    );
    // results saved as CSV, where the user says in the native save dialog
    let csv_dir = tempfile::tempdir()?;
    let csv_target = csv_dir.path().join("bulk-results.csv");
    app.click_button("Save as CSV").await?;
    labdesk_e2e::save_in_native_dialog("Save the results as CSV", &csv_target).await?;
    let notice = app
        .wait_text("[data-testid=bulk-dialog] .banner.ok", "saved", |t| {
            t.contains("Saved as")
        })
        .await?;
    let csv_path = notice
        .trim()
        .trim_start_matches("Saved as")
        .trim()
        .to_owned();
    ensure!(
        Path::new(&csv_path) == csv_target,
        "saved to {csv_path}, not where the dialog said ({})",
        csv_target.display()
    );
    let csv = std::fs::read_to_string(&csv_path).with_context(|| format!("reading {csv_path}"))?;
    ensure!(
        csv.starts_with("task_id,task_name,result,message") && csv.lines().count() == 3,
        "csv: {csv}"
    );
    close_dialog(&app).await?;
    for t in oracle_tasks(
        &oracle,
        TaskFilter {
            task_ids: vec![task_id(1), task_id(2)],
            ..base()
        },
    )
    .await?
    {
        ensure!(
            t["properties"]["score"] == json!(4) || t["properties"]["score"] == json!(4.0),
            "score not set: {t}"
        );
        ensure!(
            t["properties"]["custom"]["team"] == "e2e",
            "custom not set: {t}"
        );
    }
    // …and the property filter finds them
    clear_filters(&app).await?;
    app.click_button("+ Add a property").await?;
    app.set_value("input[name=properties-key]", "score").await?;
    app.set_value("input[name=properties-value]", "4").await?;
    check_filter(
        &app,
        &oracle,
        "23-filter-property-after-bulk",
        names([1, 2]),
        TaskFilter {
            properties: vec![("score".into(), "4".into())],
            ..base()
        },
    )
    .await?;
    clear_filters(&app).await?;

    // ---- 7. bulk: redo everything matching a filter (keep work), reset warned ----
    set_checkbox(&app, "input[name=status][value=complete]", true).await?;
    let (n, _) = search(&app).await?;
    ensure!(n == complete.len() as u64, "complete tasks: {n}");
    open_bulk(&app, "Send to redo…").await?;
    app.click("input[name=redo][value=reset]").await?;
    app.wait_text(
        "[data-testid=bulk-dialog] .banner.warn",
        "reset warning",
        |t| t.contains("cannot be undone"),
    )
    .await?;
    app.screenshot("24-bulk-redo-reset-warning").await?;
    app.click("input[name=redo][value=keep]").await?;
    let rows = preview_confirm(
        &app,
        "25-bulk-redo",
        complete.len() as u64,
        &format!("sent to redo, work kept on {} tasks", complete.len()),
    )
    .await?;
    ensure!(
        rows.len() == complete.len() && rows.iter().all(|r| r.contains("done")),
        "results: {rows:?}"
    );
    close_dialog(&app).await?;
    let still = oracle_count(
        &oracle,
        &TaskFilter {
            statuses: vec!["complete".into()],
            ..base()
        },
    )
    .await?;
    ensure!(still == 0, "{still} tasks are still complete after redo");
    clear_filters(&app).await?;

    // ---- 8. bulk: review on a selection ----
    let _ = search(&app).await?;
    for i in [9, 10] {
        set_checkbox(
            &app,
            &format!("input[aria-label='Select {}']", task_name(i)),
            true,
        )
        .await?;
    }
    open_bulk(&app, "Send to review…").await?;
    let rows = preview_confirm(&app, "26-bulk-review", 2, "sent to review on 2 tasks").await?;
    ensure!(
        rows.len() == 2 && rows.iter().all(|r| r.contains("done")),
        "results: {rows:?}"
    );
    close_dialog(&app).await?;
    for t in oracle_tasks(
        &oracle,
        TaskFilter {
            task_ids: vec![task_id(9), task_id(10)],
            ..base()
        },
    )
    .await?
    {
        ensure!(t["status"] == "to-review", "not sent to review: {t}");
    }
    let _ = wait_loaded(&app, 0).await?;
    app.screenshot("27-tasks-after-bulk").await?;
    if let Ok(out) = std::process::Command::new("ps")
        .args([
            "-C",
            "labdesk,WebKitWebProces,WebKitNetworkPr",
            "-o",
            "rss=",
        ])
        .output()
    {
        let kb: u64 = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|x| x.parse::<u64>().ok())
            .sum();
        eprintln!(
            "measure: resident memory of labdesk + its WebKit processes after the run: {} MiB",
            kb / 1024
        );
    }

    app.quit().await?;
    drop(running);
    Ok(())
}
