//! The activity log in the window: a property update from the task browser is on record, the
//! Activity screen shows it with each task's values before and after, someone else changes one
//! of the tasks, the undo lists that task as a conflict and leaves it alone, the other task gets
//! its old values back (checked through the API); the entry saved as CSV through the native
//! dialog; the screen in English and in French.
//!
//! Run with `tests/e2e/run --test activity`.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use futures::TryStreamExt;
use lab_client::{
    CancellationToken, ClientOptions, Credentials, LabClient, PropertiesUpdate, TaskFilter,
};
use labdesk_e2e::{App, Launch, connect_profile, wait_loaded};
use serde_json::{Value, json};

const RECT: &str = "demo-rectangle";

async fn tasks(client: &LabClient, ids: &[String]) -> Result<Vec<Value>> {
    let pages: Vec<_> = client
        .task_pages(TaskFilter {
            task_ids: ids.to_vec(),
            ..TaskFilter::new(RECT)
        })
        .try_collect()
        .await?;
    let mut all: Vec<Value> = pages.into_iter().flat_map(|p| p.tasks).collect();
    all.sort_by_key(|t| {
        ids.iter()
            .position(|i| Some(i.as_str()) == t["_id"].as_str())
            .unwrap_or(usize::MAX)
    });
    Ok(all)
}

fn score(t: &Value) -> Option<f64> {
    t["properties"]["score"].as_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run --test activity"]
async fn activity_update_see_undo_check() -> Result<()> {
    let root = tempfile::tempdir()?;
    let running = labdesk_e2e::demo_server(root.path()).await?;
    let endpoint = running.base_url.clone();
    let oracle = LabClient::new(
        &endpoint,
        Credentials {
            access_id: "demo".into(),
            secret_key: "demo".into(),
        },
        ClientOptions::default(),
    )?;
    // the first two tasks in the browser's (server) order
    let first: Vec<_> = oracle
        .task_pages(TaskFilter::new(RECT))
        .try_collect()
        .await?;
    let two: Vec<Value> = first[0].tasks.iter().take(2).cloned().collect();
    let ids: Vec<String> = two
        .iter()
        .map(|t| t["_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let names: Vec<String> = two
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let before = tasks(&oracle, &ids).await?;

    let (mut launch, dirs) = Launch::isolated(&root.path().join("app"))?;
    launch.env.push(("LANG".into(), "en_US.UTF-8".into()));
    let app = App::launch_with(launch).await?;
    connect_profile(&app, "Activity sandbox", &endpoint, "demo", "demo").await?;

    // ---- 1. a property update from the task browser ----
    app.click(".crumbs button").await?;
    app.click(&format!("button[data-project-id={RECT}]"))
        .await?;
    app.el("[data-testid=batches]").await?;
    app.click_button("Browse all tasks").await?;
    wait_loaded(&app, 0).await?;
    for n in &names {
        let e = app.el(&format!("input[aria-label='Select {n}']")).await?;
        if !e.is_selected().await? {
            e.click().await?;
        }
    }
    app.click_button("Update properties…").await?;
    app.el("[data-testid=bulk-dialog][data-step=choose]")
        .await?;
    app.set_value("input[name=score]", "9").await?;
    app.click_button("Preview").await?;
    app.el("[data-testid=bulk-dialog][data-step=preview]")
        .await?;
    app.click("[data-testid=confirm-bulk]").await?;
    app.el("[data-testid=bulk-dialog][data-step=done]").await?;
    let recorded = app
        .wait_text("[data-testid=bulk-recorded]", "the activity note", |t| {
            t.contains("activity #")
        })
        .await?;
    ensure!(
        recorded.contains("undo it from the Activity screen"),
        "{recorded}"
    );
    app.screenshot("activity-00-bulk-recorded").await?;
    app.click_button("Close").await?;
    let changed = tasks(&oracle, &ids).await?;
    ensure!(
        changed.iter().all(|t| score(t) == Some(9.0)),
        "score not set: {changed:?}"
    );

    // someone else changes the second task meanwhile
    tokio::time::sleep(Duration::from_millis(10)).await;
    lab_client::ops::update_properties(
        &oracle,
        RECT,
        vec![ids[1].clone()],
        PropertiesUpdate::from_json(&json!({"score": 5}))?,
        None,
        CancellationToken::new(),
    )
    .await?;

    // ---- 2. the Activity screen: the entry, each task's values before and after ----
    app.click("[data-testid=nav-activity]").await?;
    app.el("[data-testid=activity-entries] tbody tr").await?;
    let row = app.text("[data-testid=activity-entries] tbody tr").await?;
    ensure!(
        row.contains("Properties") && row.contains("score 9") && row.contains("2 / 2"),
        "the newest entry: {row:?}"
    );
    app.click("[data-testid=activity-entries] tbody tr button")
        .await?;
    app.el("[data-testid=activity-lines] tbody tr").await?;
    let lines = app.text("[data-testid=activity-lines]").await?;
    ensure!(
        names.iter().all(|n| lines.contains(n.as_str())) && lines.contains("→ score 9"),
        "the task lines: {lines:?}"
    );
    app.screenshot("activity-01-entry-en").await?;

    // ---- 3. undo: one task is a conflict, left alone ----
    app.click("[data-testid=activity-check-undo]").await?;
    let plan = app
        .wait_text("[data-testid=activity-plan]", "the undo plan", |t| {
            t.contains("will get back")
        })
        .await?;
    ensure!(plan.starts_with("1 task"), "plan: {plan:?}");
    let conflicts = app.text("[data-testid=activity-conflicts] tbody").await?;
    ensure!(
        conflicts.contains(names[1].as_str()) && conflicts.contains("score 5"),
        "conflicts: {conflicts:?}"
    );
    app.screenshot("activity-02-undo-plan-en").await?;
    app.click("[data-testid=activity-do-undo]").await?;
    app.wait_text(
        "[data-testid=activity-detail] h2",
        "the undo's own entry",
        |t| t.contains("Entry #2"),
    )
    .await?;
    app.el("[data-testid=activity-lines] tbody tr").await?;
    app.screenshot("activity-03-undone-en").await?;
    // a smaller window: the list and the entry stack instead of being cut
    app.client.set_window_size(1024, 700).await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let fits = app
        .js(
            "const d = document.querySelector('[data-testid=activity-detail]').getBoundingClientRect(); const l = document.querySelector('[data-testid=activity-entries]').parentElement; return d.left >= 0 && d.right <= window.innerWidth + 1 && l.scrollWidth <= l.clientWidth + 1;",
            vec![],
        )
        .await?;
    app.screenshot("activity-03b-undone-1024").await?;
    ensure!(
        fits == json!(true),
        "the entry panel or the list is cut at 1024×700"
    );
    app.client.set_window_size(1280, 800).await?;
    tokio::time::sleep(Duration::from_millis(400)).await;

    // the API says: the first task is back to its value, the second keeps the other change
    let after = tasks(&oracle, &ids).await?;
    ensure!(
        score(&after[0]) == score(&before[0])
            && after[0]["properties"].get("score").is_some()
                == before[0]["properties"].get("score").is_some(),
        "first task not restored: {} (before {})",
        after[0]["properties"],
        before[0]["properties"]
    );
    ensure!(
        score(&after[1]) == Some(5.0),
        "the conflict was touched: {}",
        after[1]["properties"]
    );

    // ---- 4. the entry as CSV, where the native dialog says ----
    let csv = root.path().join("entry-2.csv");
    app.click("[data-testid=activity-save-csv]").await?;
    labdesk_e2e::save_in_native_dialog("Save the entry as CSV", &csv).await?;
    app.wait_text(
        "[data-testid=activity-detail] [role=status]",
        "saved",
        |t| t.contains("Saved as"),
    )
    .await?;
    let text = std::fs::read_to_string(&csv).with_context(|| csv.display().to_string())?;
    // the task restored, then the conflict left alone
    ensure!(
        text.lines().count() == 3
            && text
                .lines()
                .nth(1)
                .is_some_and(|l| l.contains(&ids[0]) && l.contains(",ok,"))
            && text
                .lines()
                .nth(2)
                .is_some_and(|l| l.contains(&ids[1]) && l.contains(",skipped,")),
        "csv: {text}"
    );

    // the log is the app's, in its data dir (the same file `lab` reads by default)
    ensure!(
        dirs[1]
            .join("com.isahit.labdesk")
            .join("activity.sqlite3")
            .is_file(),
        "no activity log in the app's data dir"
    );

    // ---- 5. in French ----
    app.set_value("[data-testid=language]", "fr").await?;
    app.wait_text("[data-testid=activity-screen] h1", "French title", |t| {
        t == "Activité"
    })
    .await?;
    app.click("[data-testid=activity-entries] tbody tr:last-child button")
        .await?;
    app.wait_text("[data-testid=activity-detail] h2", "the first entry", |t| {
        t.contains("n°\u{a0}1")
    })
    .await?;
    app.el("[data-testid=activity-lines] tbody tr").await?;
    let undone = app.text("[data-testid=activity-undo]").await?;
    ensure!(undone.contains("Annulée par l’entrée"), "{undone:?}");
    app.screenshot("activity-04-entry-fr").await?;

    // ---- 6. "Open these tasks": the task browser on exactly the entry's tasks ----
    app.click("[data-testid=activity-open-tasks]").await?;
    // (in French: "2 sur 2 chargées")
    app.wait_text(
        "[data-testid=load-status][data-loading=false]",
        "the entry's two tasks",
        |t| t.starts_with("2 sur 2"),
    )
    .await?;
    for n in &names {
        app.el(&format!("input[aria-label='Sélectionner {n}']"))
            .await
            .with_context(|| format!("{n} is not in the browser"))?;
    }
    app.screenshot("activity-05-open-tasks-fr").await?;

    // ---- 7. in French too: an empty date bound, the bulk preview's change ----
    let empty = app
        .js(
            "const e = document.querySelector('input[name=created-from]'); return [e.type, e.placeholder];",
            vec![],
        )
        .await?;
    ensure!(
        empty == json!(["text", "n’importe quand"]),
        "the empty date field in French: {empty}"
    );
    for n in &names {
        let e = app
            .el(&format!("input[aria-label='Sélectionner {n}']"))
            .await?;
        if !e.is_selected().await? {
            e.click().await?;
        }
    }
    app.click_button("Modifier les propriétés…").await?;
    app.el("[data-testid=bulk-dialog][data-step=choose]")
        .await?;
    app.set_value("input[name=score]", "0.5").await?;
    app.click_button("Aperçu").await?;
    let change = app
        .wait_text(
            "[data-testid=preview-change]",
            "the change in French",
            |t| !t.is_empty(),
        )
        .await?;
    ensure!(
        change == "score → 0,5 sur 2 tâches",
        "the bulk preview in French: {change:?}"
    );
    app.screenshot("activity-06-bulk-preview-fr").await?;
    app.quit().await?;
    Ok(())
}
