//! Seeing the work, in the real window: the annotations of a task of every project type are
//! drawn over its image in their label's colour (checked by pixels of a screenshot at the
//! place the API's geometry puts them), a label toggled off is gone from the pixels, the
//! gallery shows thumbnails with their annotations, a selection made in the gallery goes to
//! "Send to redo" (the result checked through the API), and the full-screen viewer reviews
//! task by task from the keyboard.
//!
//! Run with `tests/e2e/run --test visual`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use lab_client::{LabClient, TaskFilter};
use lab_visual::{Geometry, Overlay, Shape};
use labdesk_e2e::{App, Launch, STEP, connect_profile, load_seq, wait_loaded};
use serde_json::{Value, json};

/// Opens a demo project's task browser and waits for every row.
async fn browse(app: &App, project: &str) -> Result<()> {
    labdesk_e2e::open_project(app, project).await?;
    let before = load_seq(app).await.unwrap_or(0);
    app.click("[data-testid=browse-all]").await?;
    wait_loaded(app, before).await?;
    Ok(())
}

/// The name of the first row whose status is Complete (a task with annotations).
async fn first_complete(app: &App) -> Result<String> {
    let v = app
        .js(
            "const r = [...document.querySelectorAll('[data-testid=task-grid] .grid-row')].find(r => r.querySelector('[data-col=status]')?.innerText.trim() === 'Complete'); if (!r) return null; r.querySelector('[data-col=name]').click(); return r.dataset.taskName;",
            vec![],
        )
        .await?;
    v.as_str()
        .map(str::to_owned)
        .context("no complete task on screen")
}

async fn oracle_task(client: &LabClient, project: &str, name: &str) -> Result<Value> {
    let mut f = TaskFilter::new(project);
    f.names = vec![name.into()];
    f.optional_fields = vec!["data".into(), "data.mask".into()];
    labdesk_e2e::list_tasks(client, f)
        .await?
        .into_iter()
        .next()
        .with_context(|| format!("{name} is not in {project}"))
}

/// Waits until the drawer's image has loaded and its overlay is drawn.
async fn stage_ready(app: &App) -> Result<()> {
    let deadline = Instant::now() + STEP;
    loop {
        let ok = app
            .js(
                "const i = document.querySelector('[data-testid=drawer] [data-testid=stage-image]'); const s = document.querySelector('[data-testid=drawer] [data-testid=overlay]'); return !!(i && i.complete && i.naturalWidth > 0 && s);",
                vec![],
            )
            .await?;
        if ok == json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let missing = app
                .text("[data-testid=image-missing]")
                .await
                .unwrap_or_default();
            bail!("the drawer's image never loaded ({missing})");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Where a shape's outline surely passes, normalised: the middle of a rectangle's top edge,
/// of a polygon's first edge, a graph's first keypoint.
fn stroke_point(s: &Shape) -> Option<(f64, f64)> {
    match &s.geometry {
        Geometry::Rectangle { x0, y0, x1, .. } => Some(((x0 + x1) / 2.0, *y0)),
        Geometry::Polygon { points } | Geometry::Polyline { points } => {
            let (a, b) = (points.first()?, points.get(1)?);
            Some(((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0))
        }
        Geometry::Graph { points, .. } => points.first().map(|p| (p[0], p[1])),
    }
}

fn rgb(hex: &str) -> [u8; 3] {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

fn distance(a: [u8; 3], b: [u8; 3]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(y)).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// The closest a pixel within `r` of (x, y) in the PNG comes to `colour`.
fn nearest(png: &[u8], x: f64, y: f64, r: i64, colour: [u8; 3]) -> Result<f64> {
    let img = image::load_from_memory(png)?.to_rgb8();
    let mut best = f64::MAX;
    for dy in -r..=r {
        for dx in -r..=r {
            let (px, py) = (x.round() as i64 + dx, y.round() as i64 + dy);
            if px < 0 || py < 0 || px >= i64::from(img.width()) || py >= i64::from(img.height()) {
                continue;
            }
            let p = img.get_pixel(px as u32, py as u32).0;
            best = best.min(distance(p, colour));
        }
    }
    Ok(best)
}

/// The drawn area of the drawer's stage on screen: left, top, width, height.
async fn stage_rect(app: &App) -> Result<(f64, f64, f64, f64)> {
    let v = app
        .js(
            "const r = document.querySelector('[data-testid=drawer] [data-testid=stage]').getBoundingClientRect(); return [r.left, r.top, r.width, r.height];",
            vec![],
        )
        .await?;
    let n = |i: usize| v[i].as_f64().unwrap_or(0.0);
    Ok((n(0), n(1), n(2), n(3)))
}

/// Checks the drawer of `project`'s first complete task: a shape's colour where the API puts
/// it, gone when its label is off, back with "Show all".
async fn check_overlay(app: &App, oracle: &LabClient, project: &str, shot: &str) -> Result<()> {
    browse(app, project).await?;
    let name = first_complete(app).await?;
    app.el("[data-testid=drawer] [data-testid=annotations]")
        .await?;
    stage_ready(app).await?;
    let task = oracle_task(oracle, project, &name).await?;
    let config = oracle.project_configuration(project).await?.raw;
    let tools = lab_visual::overlays(&task, &config).tools;
    let tool: &Overlay = tools.first().context("no image tool")?;
    let (left, top, w, h) = stage_rect(app).await?;
    let shown = app.client.screenshot().await?;
    std::fs::write(
        labdesk_e2e::screens_dir().join(format!("{shot}-shown.png")),
        &shown,
    )?;
    // the first shape whose outline is not under another one's drawing (shapes overlap)
    let mut found = None;
    let mut tried = Vec::new();
    for shape in tool.shapes.iter().filter(|s| s.frame == 0) {
        let Some((nx, ny)) = stroke_point(shape) else {
            continue;
        };
        let (x, y) = (left + nx * w, top + ny * h);
        let d = nearest(&shown, x, y, 2, rgb(&shape.color))?;
        if d <= 60.0 {
            found = Some((shape, x, y));
            break;
        }
        tried.push(format!(
            "{} {} at ({x:.0}, {y:.0}): nearest {d:.0} away",
            shape.name, shape.color
        ));
    }
    let Some((shape, x, y)) = found else {
        bail!("{project} {name}: no shape drawn in its colour where the API puts it: {tried:?}");
    };
    let colour = rgb(&shape.color);

    // the label off: its shapes leave the drawing and the pixels
    app.click(&format!(
        "[data-testid=drawer] [data-testid='legend-{}']",
        shape.label_id
    ))
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = app
        .js(
            "return document.querySelectorAll(`[data-testid=drawer] [data-testid=overlay] [data-label='${arguments[0]}']`).length;",
            vec![json!(shape.label_id)],
        )
        .await?;
    ensure!(
        still == json!(0),
        "{project}: label {} still drawn",
        shape.label_id
    );
    let hidden = app.client.screenshot().await?;
    std::fs::write(
        labdesk_e2e::screens_dir().join(format!("{shot}-hidden.png")),
        &hidden,
    )?;
    let d = nearest(&hidden, x, y, 1, colour)?;
    ensure!(
        d > 25.0,
        "{project} {name}: the {} colour stays at ({x:.0}, {y:.0}) with the label off ({d:.0} away)",
        shape.name
    );
    app.click("[data-testid=drawer] [data-testid=show-all]")
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let back = app.client.screenshot().await?;
    ensure!(
        nearest(&back, x, y, 2, colour)? <= 60.0,
        "{project}: Show all did not draw {} again",
        shape.name
    );
    app.click("[data-testid=drawer-close]").await?;
    Ok(())
}

/// Waits for `n` loaded thumbnails in the gallery.
async fn thumbs_loaded(app: &App, n: usize) -> Result<()> {
    let deadline = Instant::now() + STEP;
    loop {
        let v = app
            .js(
                "return [...document.querySelectorAll('[data-testid=gallery] img.thumb')].filter(i => i.complete && i.naturalWidth > 0).length;",
                vec![],
            )
            .await?;
        if v.as_u64().unwrap_or(0) as usize >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {v} thumbnails loaded, {n} expected");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn status_of(client: &LabClient, project: &str, name: &str) -> Result<String> {
    Ok(oracle_task(client, project, name).await?["status"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// The names of the gallery's cells whose status is Complete, in order, with their index.
async fn complete_cells(app: &App) -> Result<Vec<(usize, String)>> {
    let v = app
        .js(
            "return [...document.querySelectorAll('[data-testid=gallery] .cell-card[data-task-name]')].map((c, i) => [i, c.dataset.taskName, c.querySelector('.status')?.innerText.trim() ?? '']);",
            vec![],
        )
        .await?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .filter(|c| c[2] == json!("Complete"))
        .filter_map(|c| Some((c[0].as_u64()? as usize, c[1].as_str()?.to_string())))
        .collect())
}

async fn click_cell(app: &App, index: usize, modifier: &str) -> Result<()> {
    app.js(
        "const c = document.querySelectorAll('[data-testid=gallery] .cell-card[data-task-name]')[arguments[0]]; const m = arguments[1]; c.dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: m === 'shift', ctrlKey: m === 'ctrl'})); return true;",
        vec![json!(index), json!(modifier)],
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run --test visual"]
async fn overlays_gallery_and_review() -> Result<()> {
    let root = tempfile::tempdir()?;
    let running = labdesk_e2e::demo_server(root.path()).await?;
    let oracle = labdesk_e2e::demo_oracle(&running.base_url)?;
    let (launch, _) = Launch::isolated(&root.path().join("app"))?;
    let app = App::launch_with(launch).await?;
    app.client.set_window_size(1280, 800).await?;
    connect_profile(&app, "Visual sandbox", &running.base_url, "demo", "demo").await?;

    // 1. every project type: the overlay by pixels, a label off and on again
    for (project, shot) in [
        ("demo-rectangle", "visual-01-rectangle"),
        ("demo-polygon", "visual-02-polygon"),
        ("demo-graph", "visual-03-graph"),
        ("demo-segmentation", "visual-04-segmentation"),
        ("demo-form", "visual-05-form"),
    ] {
        check_overlay(&app, &oracle, project, shot)
            .await
            .with_context(|| format!("overlay of {project}"))?;
    }

    // 2. the gallery: thumbnails made by Rust with the annotations drawn in
    browse(&app, "demo-rectangle").await?;
    app.click("[data-testid=layout-gallery]").await?;
    thumbs_loaded(&app, 8).await?;
    app.screenshot("visual-06-gallery").await?;
    let cells = complete_cells(&app).await?;
    ensure!(cells.len() >= 3, "complete cells on screen: {cells:?}");
    // a thumbnail carries its task's label colour where its first shape is
    let (i0, n0) = &cells[0];
    let task = oracle_task(&oracle, "demo-rectangle", n0).await?;
    let config = oracle.project_configuration("demo-rectangle").await?.raw;
    let tool = lab_visual::overlays(&task, &config).tools.remove(0);
    let shape = &tool.shapes[0];
    let rect = app
        .js(
            "const r = document.querySelectorAll('[data-testid=gallery] .cell-card[data-task-name]')[arguments[0]].querySelector('img.thumb').getBoundingClientRect(); return [r.left, r.top, r.width, r.height];",
            vec![json!(i0)],
        )
        .await?;
    let f = |k: usize| rect[k].as_f64().unwrap_or(0.0);
    let (nx, ny) = stroke_point(shape).context("stroke")?;
    let png = app.client.screenshot().await?;
    let d = nearest(
        &png,
        f(0) + nx * f(2),
        f(1) + ny * f(3),
        2,
        rgb(&shape.color),
    )?;
    ensure!(
        d <= 70.0,
        "thumbnail of {n0}: no {} pixel where its box is ({d:.0})",
        shape.color
    );

    // 3. a selection made by looking: click, shift-click a range, ctrl-click one out
    let (a, b) = (cells[0].0, cells[2].0);
    click_cell(&app, a, "").await?;
    click_cell(&app, b, "shift").await?;
    let picked: Vec<usize> = (a..=b).collect();
    let middle = cells[1].0;
    click_cell(&app, middle, "ctrl").await?;
    let status = app.text("[data-testid=load-status]").await?;
    let want = picked.len() - 1;
    ensure!(
        status.contains(&format!("{want} selected")),
        "after click, shift-click and ctrl-click: {status:?} (want {want} selected)"
    );
    let names: Vec<String> = app
        .js(
            "return [...document.querySelectorAll('[data-testid=gallery] .cell-card.selected')].map(c => c.dataset.taskName);",
            vec![],
        )
        .await?
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    ensure!(names.len() == want, "selected cells: {names:?}");
    app.screenshot("visual-07-gallery-selection").await?;
    app.click("[data-testid=bulk-redo]").await?;
    app.el("[data-testid=bulk-dialog][data-step=choose]")
        .await?;
    app.click_button("Preview").await?;
    app.el("[data-testid=bulk-dialog][data-step=preview]")
        .await?;
    let count = app.text("[data-testid=preview-count] strong").await?;
    ensure!(count == want.to_string(), "the redo preview counts {count}");
    app.click("[data-testid=confirm-bulk]").await?;
    app.el("[data-testid=bulk-dialog][data-step=done]").await?;
    app.screenshot("visual-08-gallery-redo-done").await?;
    app.click("dialog[open] .dlg-head button").await?;
    for n in &names {
        let s = status_of(&oracle, "demo-rectangle", n).await?;
        ensure!(s != "complete", "{n} is still {s} after redo");
    }
    let untouched = &cells[1].1;
    ensure!(
        status_of(&oracle, "demo-rectangle", untouched).await? == "complete",
        "{untouched} was ctrl-clicked out of the selection but changed"
    );

    // 4. review by keyboard in the full-screen viewer: next, then V sends it to review
    app.click("[data-testid=layout-table]").await?;
    let first = first_complete(&app).await?;
    app.el("[data-testid=open-full-viewer]").await?;
    app.click("[data-testid=open-full-viewer]").await?;
    let viewer = app.el("[data-testid=full-viewer]").await?;
    let title = app.text("[data-testid=full-viewer] .full-title").await?;
    ensure!(title == first, "the viewer shows {title:?}, not {first:?}");
    viewer.send_keys("n").await?;
    let deadline = Instant::now() + STEP;
    let next = loop {
        let t = app.text("[data-testid=full-viewer] .full-title").await?;
        if !t.is_empty() && t != first {
            break t;
        }
        if Instant::now() > deadline {
            bail!("N did not move to the next task");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    app.screenshot("visual-09-full-viewer").await?;
    let before = status_of(&oracle, "demo-rectangle", &next).await?;
    app.el("[data-testid=full-viewer]")
        .await?
        .send_keys("v")
        .await?;
    app.el("[data-testid=bulk-dialog][data-step=choose]")
        .await?;
    app.click_button("Preview").await?;
    app.el("[data-testid=bulk-dialog][data-step=preview]")
        .await?;
    ensure!(
        app.text("[data-testid=preview-count] strong").await? == "1",
        "the review from the viewer is not on one task"
    );
    app.click("[data-testid=confirm-bulk]").await?;
    app.el("[data-testid=bulk-dialog][data-step=done]").await?;
    app.click("dialog[open] .dlg-head button").await?;
    let after = status_of(&oracle, "demo-rectangle", &next).await?;
    ensure!(
        after == "to-review" || (before == "to-review" && after == before),
        "{next}: {before} → {after} after V in the viewer"
    );
    // the viewer stays on its task
    ensure!(
        app.text("[data-testid=full-viewer] .full-title").await? == next,
        "the viewer left its task after the action"
    );
    app.el("[data-testid=full-viewer]")
        .await?
        .send_keys("\u{e00c}")
        .await?; // Escape
    app.quit().await?;
    running.shutdown().await;
    Ok(())
}
