//! The project dashboard in the real window: it reads every task of the demo rectangle
//! project, and its bars open the task browser on exactly the tasks they count — checked
//! against the lab's own answers (a `LabClient` oracle):
//! - a status-per-batch bar, clicked with the mouse → the batch + status the API counts;
//! - a label bar, focused and opened with Enter → the tasks whose annotations have that label
//!   (counted here from the API's task documents);
//! - a day bar (tasks created that UTC day) → the API's count for that date range;
//! - in table mode, an annotator's cell → that annotator's tasks (from the API's jobs).
//!
//! Screenshots `dashboard-en.png`, `dashboard-fr.png` (and `dashboard-tables-en.png`).
//! Run with `tests/e2e/run --test dashboard`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::key::Key;
use lab_client::TaskFilter;
use labdesk_e2e::{App, Launch, STEP, connect_profile, wait_loaded};
use serde_json::{Value, json};

const PROJECT: &str = "demo-rectangle";

/// Label id → ids of the tasks with at least one annotation whose first main label it is.
fn tasks_per_label(tasks: &[Value]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in tasks {
        let id = t["_id"].as_str().unwrap_or_default().to_owned();
        let anns = t["data"]["body"]["annotations"]
            .as_array()
            .or_else(|| t["data"]["metadata"]["body"]["annotations"].as_array())
            .cloned()
            .unwrap_or_default();
        for a in anns {
            if let Some(label) = a["labels"]
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(|l| l["labels"][0]["id"].as_str())
            {
                out.entry(label.to_owned()).or_default().insert(id.clone());
            }
        }
    }
    out
}

/// Opens the project screen from the projects list and waits for the dashboard's figures.
async fn open_project(app: &App) -> Result<()> {
    labdesk_e2e::open_project(app, PROJECT).await?;
    dashboard_done(app).await
}

async fn dashboard_done(app: &App) -> Result<()> {
    let deadline = Instant::now() + STEP;
    loop {
        let state = app
            .js(
                "const d = document.querySelector('[data-testid=dashboard]'); return d ? d.dataset.state : '';",
                vec![],
            )
            .await?;
        if state == json!("done")
            && app
                .js(
                    "return !!document.querySelector('[data-testid=dash-status] svg .dash-bar, [data-testid=dash-tables]:checked');",
                    vec![],
                )
                .await?
                == json!(true)
        {
            return Ok(());
        }
        if state == json!("error") || Instant::now() > deadline {
            let err = app.text("[data-testid=dashboard] [role=alert]").await?;
            let page = app.text("main").await?;
            app.screenshot("dashboard-failed").await?;
            bail!(
                "the dashboard did not finish (state {state}, error {err:?}); the page says {page:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn scroll_to_dashboard(app: &App) -> Result<()> {
    app.js(
        "document.querySelector('[data-testid=dashboard]').scrollIntoView({block: 'start'}); return true;",
        vec![],
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// The task browser has opened and loaded: (loaded, total).
async fn browser_count(app: &App) -> Result<u64> {
    app.el("[data-testid=load-status]").await?;
    let (loaded, total) = wait_loaded(app, 0).await?;
    ensure!(loaded == total, "{loaded} of {total} loaded");
    Ok(total)
}

async fn back_to_project(app: &App) -> Result<()> {
    app.click(".crumbs button:nth-of-type(2)").await?;
    dashboard_done(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run --test dashboard"]
async fn dashboard_bars_open_exactly_their_tasks() -> Result<()> {
    let root = tempfile::tempdir()?;
    let running = labdesk_e2e::demo_server(root.path()).await?;
    let oracle = labdesk_e2e::demo_oracle(&running.base_url)?;
    let (mut launch, _) = Launch::isolated(&root.path().join("app"))?;
    launch.env.push(("LANG".into(), "en_US.UTF-8".into()));
    let app = App::launch_with(launch).await?;
    app.client.set_window_size(1280, 800).await?;
    connect_profile(&app, "Dashboard sandbox", &running.base_url, "demo", "demo").await?;
    open_project(&app).await?;

    // the progress line is gone, every batch has its row of bars
    let mut every = TaskFilter::new(PROJECT);
    every.optional_fields = vec!["data".into(), "jobs".into()];
    let tasks = labdesk_e2e::list_tasks(&oracle, every).await?;
    let as_of = app.text("[data-testid=dash-as-of]").await?;
    ensure!(
        as_of.starts_with(&format!("{} tasks read", tasks.len())),
        "the dashboard says {as_of:?} for {} tasks",
        tasks.len()
    );
    scroll_to_dashboard(&app).await?;
    app.screenshot("dashboard-en").await?;
    let problems = app.layout_problems().await?;
    ensure!(problems.is_empty(), "layout: {problems:?}");

    // 1. a status-per-batch bar, by mouse: batch 2's to-review tasks (a status with a dash)
    let batch = format!("{PROJECT}-b2");
    let mut f = TaskFilter::new(PROJECT);
    f.batch_ids = vec![batch.clone()];
    f.statuses = vec!["to-review".into()];
    let want = oracle.count_tasks(&f).await?;
    ensure!(want > 0, "the demo has to-review tasks in {batch}");
    app.click(&format!("[data-testid=bar-status-{batch}-to-review]"))
        .await?;
    let got = browser_count(&app).await?;
    ensure!(
        got == want,
        "the {batch} to-review bar opened {got} tasks; the lab has {want}"
    );
    eprintln!("dashboard: the {batch} to-review bar opened {got} tasks");
    back_to_project(&app).await?;

    // 2. a label bar, by keyboard: focus it, Enter
    let per_label = tasks_per_label(&tasks);
    let (label, ids) = per_label
        .iter()
        .find(|(l, _)| l.as_str() == "pedestrian")
        .or_else(|| per_label.iter().next())
        .context("no annotation in the demo project")?;
    let css = format!("[data-testid=bar-label-{label}]");
    app.el(&css).await?;
    app.js(
        "const b = document.querySelector(arguments[0]); b.scrollIntoView({block: 'center'}); b.focus(); return document.activeElement === b;",
        vec![json!(css)],
    )
    .await?
    .as_bool()
    .filter(|f| *f)
    .context("the label bar does not take the focus")?;
    let ring = app
        .js(
            "return !!document.querySelector('[data-testid=dash-labels] .dash-ring');",
            vec![],
        )
        .await?;
    ensure!(ring == json!(true), "a focused bar shows no focus ring");
    app.screenshot("dashboard-label-focused").await?;
    app.press(Key::Enter).await?;
    let got = browser_count(&app).await?;
    ensure!(
        got == ids.len() as u64,
        "the {label} bar opened {got} tasks; {} tasks have a {label} annotation",
        ids.len()
    );
    let names: BTreeSet<String> = tasks
        .iter()
        .filter(|t| t["_id"].as_str().is_some_and(|id| ids.contains(id)))
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    let shown: BTreeSet<String> = app
        .js(
            "return [...document.querySelectorAll('[data-testid=task-grid] .grid-row[data-task-name]')].map(r => r.dataset.taskName);",
            vec![],
        )
        .await?
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    ensure!(
        !shown.is_empty() && shown.is_subset(&names),
        "rows that have no {label} annotation: {:?}",
        shown.difference(&names).collect::<Vec<_>>()
    );
    back_to_project(&app).await?;

    // 3. a day bar: the tasks created that UTC day
    let day = app
        .js(
            "const b = document.querySelector('[data-testid^=bar-created-]'); return b ? b.dataset.testid.slice('bar-created-'.length) : null;",
            vec![],
        )
        .await?
        .as_str()
        .map(str::to_owned)
        .context("no day bar")?;
    let start = chrono_day(&day)?;
    let mut f = TaskFilter::new(PROJECT);
    f.created_at.gte = Some(format!("{day} 00:00:00"));
    f.created_at.lt = Some(format!("{} 00:00:00", start.1));
    let want = oracle.count_tasks(&f).await?;
    app.click(&format!("[data-testid=bar-created-{day}]"))
        .await?;
    let got = browser_count(&app).await?;
    ensure!(
        got == want,
        "the {day} bar opened {got} tasks; the lab created {want} that day"
    );
    back_to_project(&app).await?;

    // 4. the tables: an annotator's count opens that annotator's tasks
    app.click("[data-testid=dash-tables]").await?;
    app.el("[data-testid=cell-bar-annotator-0]").await?;
    scroll_to_dashboard(&app).await?;
    app.screenshot("dashboard-tables-en").await?;
    let problems = app.layout_problems().await?;
    ensure!(problems.is_empty(), "layout with tables: {problems:?}");
    let mut per_annotator: BTreeMap<String, u64> = BTreeMap::new();
    for t in &tasks {
        if let Some(a) = lab_client::view::last_annotator(t) {
            *per_annotator.entry(a).or_default() += 1;
        }
    }
    let top = per_annotator
        .values()
        .copied()
        .max()
        .context("no annotator")?;
    let cell = app.text("[data-testid=cell-bar-annotator-0]").await?;
    ensure!(
        cell == top.to_string(),
        "the first annotator has {cell}, the API says {top}"
    );
    app.click("[data-testid=cell-bar-annotator-0]").await?;
    let got = browser_count(&app).await?;
    ensure!(
        got == top,
        "the annotator cell opened {got} tasks, not {top}"
    );
    back_to_project(&app).await?;
    app.click("[data-testid=dash-tables]").await?;

    // 5. in French
    app.set_value("[data-testid=language]", "fr").await?;
    app.wait_text("[data-testid=dash-as-of]", "French", |t| {
        t.contains("tâches lues")
    })
    .await?;
    scroll_to_dashboard(&app).await?;
    app.screenshot("dashboard-fr").await?;
    let problems = app.layout_problems().await?;
    ensure!(problems.is_empty(), "layout in French: {problems:?}");
    // the dark theme: the chart colours and the label outlines on a dark panel
    app.set_value("[data-testid=theme]", "dark").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.screenshot("dashboard-dark-fr").await?;
    app.set_value("[data-testid=theme]", "system").await?;
    app.set_value("[data-testid=language]", "en").await?;
    app.quit().await?;
    Ok(())
}

/// `YYYY-MM-DD` and the day after it.
fn chrono_day(day: &str) -> Result<(String, String)> {
    let mut it = day.split('-').map(str::parse::<i32>);
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) = (it.next(), it.next(), it.next()) else {
        bail!("{day} is not a day");
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let last = days[(m - 1) as usize];
    let (y2, m2, d2) = if d < last {
        (y, m, d + 1)
    } else if m < 12 {
        (y, m + 1, 1)
    } else {
        (y + 1, 1, 1)
    };
    Ok((day.to_owned(), format!("{y2:04}-{m2:02}-{d2:02}")))
}
