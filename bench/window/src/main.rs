//! The Lab Desk window on big projects, driven through WebDriver (run by `bench/window/run`,
//! which provides the display, the keychain and a release build of the app).
//!
//! One in-process lab-sandbox is seeded with projects of 1,000, 10,000 and 100,000 tasks
//! (about 10 rectangles each, properties, 5 batches, every status) whose images are served by
//! a local HTTP server in this process, and a project with one 4000×3000 image carrying 200
//! annotations. For each size the window is measured: time to the first rows and to all rows
//! (from the click on "Browse all tasks"), a status filter, a sort, scrolling 5,000 rows (every
//! frame's duration, from requestAnimationFrame), the gallery's first screen of thumbnails
//! (cold, then warm), scrolling 5,000 tasks of the gallery, the thumbnail cache's bytes per
//! task, and the resident memory of the app and of its WebKit processes. The viewer: time from
//! a click on the task to its overlay drawn, first and cached.
//!
//! Times are read in the page (`performance.now()` at the click, then each frame) so that
//! WebDriver's own round trips do not count. Output: a markdown table on stdout and in
//! `--out FILE`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use image::{ImageFormat, Rgb, RgbImage};
use labdesk_e2e::{App, Launch, connect_profile};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const LABELS: [(&str, &str, &str); 4] = [
    ("car", "Car", "#e6194b"),
    ("person", "Person", "#3cb44b"),
    ("bike", "Bike", "#4363d8"),
    ("sign", "Sign", "#ffe119"),
];
const STATUSES: [&str; 5] = [
    "pending",
    "complete",
    "to-review",
    "reviewed",
    "configuring",
];
const IMAGES: usize = 24;

fn jpeg(img: &RgbImage) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

/// Street-like pictures: a gradient and a few blocks (JPEG, like camera images).
fn make_images() -> Result<Vec<Vec<u8>>> {
    (0..IMAGES)
        .map(|k| {
            let mut rng = ChaCha8Rng::seed_from_u64(k as u64);
            let base = [
                rng.random_range(40..200u8),
                rng.random_range(40..200u8),
                rng.random_range(40..200u8),
            ];
            let mut img = RgbImage::from_fn(1280, 720, |_, y| {
                let s = (y * 50 / 720) as u8;
                Rgb([
                    base[0].saturating_add(s),
                    base[1],
                    base[2].saturating_sub(s),
                ])
            });
            for _ in 0..8 {
                let (x0, y0) = (rng.random_range(0..1100u32), rng.random_range(0..600u32));
                let c = Rgb([rng.random(), rng.random(), rng.random()]);
                for y in y0..(y0 + 100).min(720) {
                    for x in x0..(x0 + 160).min(1280) {
                        img.put_pixel(x, y, c);
                    }
                }
            }
            jpeg(&img)
        })
        .collect()
}

fn big_image() -> Result<Vec<u8>> {
    let img = RgbImage::from_fn(4000, 3000, |x, y| {
        Rgb([
            (x / 16 % 256) as u8,
            (y / 12 % 256) as u8,
            ((x + y) / 28 % 256) as u8,
        ])
    });
    jpeg(&img)
}

#[derive(Clone)]
struct Images {
    small: std::sync::Arc<Vec<Vec<u8>>>,
    big: std::sync::Arc<Vec<u8>>,
}

async fn small_image(State(s): State<Images>, UrlPath(name): UrlPath<String>) -> impl IntoResponse {
    let k: usize = name.trim_end_matches(".jpg").parse().unwrap_or(0);
    (
        [(header::CONTENT_TYPE, "image/jpeg")],
        s.small[k % s.small.len()].clone(),
    )
}

async fn serve_images(images: Images) -> Result<String> {
    let app = Router::new()
        .route("/img/{name}", get(small_image))
        .route(
            "/big.jpg",
            get(|State(s): State<Images>| async move {
                ([(header::CONTENT_TYPE, "image/jpeg")], (*s.big).clone())
            }),
        )
        .with_state(images);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}"))
}

fn configuration() -> Value {
    json!({"metadata": {"labelOptions": {
        "mainLists": [{"name": "Objects", "keys": ["objects"]}],
        "availableLabels": {"objects": LABELS.iter().enumerate().map(|(i, (id, name, color))|
            json!({"id": id, "name": name, "color": color, "bChannel": i + 1})).collect::<Vec<_>>()}
    }, "toolOptions": {"sequence": false}}})
}

fn rect(rng: &mut ChaCha8Rng, label: usize) -> Value {
    let (x0, y0) = (rng.random_range(0.0..0.8f64), rng.random_range(0.0..0.8f64));
    let (w, h) = (
        rng.random_range(0.03..0.2f64),
        rng.random_range(0.03..0.2f64),
    );
    let r = |v: f64| (v.min(1.0) * 1e4).round() / 1e4;
    let (id, name, color) = LABELS[label % LABELS.len()];
    json!({"labels": {"objects": {"labels": [{"id": id, "name": name}]}}, "text": name, "color": color,
           "polygons": [{"geometry": {"type": "rectangle", "vertices": [r(x0), r(y0), r(x0 + w), r(y0 + h)]}}]})
}

fn project(id: &str, n: usize, images: &str, rng: &mut ChaCha8Rng) -> Value {
    let batches: Vec<Value> = (0..5)
        .map(|b| {
            let tasks: Vec<Value> = (0..n)
                .filter(|i| i % 5 == b)
                .map(|i| {
                    let annotations: Vec<Value> = (0..rng.random_range(8..=12)).map(|_| {
                        let l = rng.random_range(0..LABELS.len());
                        rect(rng, l)
                    }).collect();
                    let day = 1 + i % 28;
                    json!({
                        "name": format!("img_{i:06}.jpg"),
                        "status": STATUSES[i % STATUSES.len()],
                        "resources": [format!("{images}/img/{}.jpg", i % IMAGES)],
                        "properties": {"score": i % 5, "custom": {"camera": format!("cam-{}", i % 3)}},
                        "data": {"annotations": [], "image": {"width": 1280, "height": 720}},
                        "body": {"annotations": annotations, "image": {"width": 1280, "height": 720}},
                        "createdAt": format!("2026-0{}-{day:02}T10:00:00.000Z", 1 + (i / 28) % 9),
                        "updatedAt": format!("2026-10-{day:02}T12:00:00.000Z"),
                    })
                })
                .collect();
            json!({"_id": format!("{id}-b{b}"), "name": format!("Batch {}", b + 1), "tasks": tasks})
        })
        .collect();
    json!({"_id": id, "name": format!("Bench {n}"), "status": "pending", "projectType": "iat-rectangle",
           "configuration": configuration(), "batches": batches})
}

fn viewer_project(images: &str, rng: &mut ChaCha8Rng) -> Value {
    let anns: Vec<Value> = (0..200).map(|i| rect(rng, i)).collect();
    let few: Vec<Value> = (0..3).map(|i| rect(rng, i)).collect();
    json!({"_id": "bench-viewer", "name": "Bench viewer", "status": "pending", "projectType": "iat-rectangle",
    "configuration": configuration(), "batches": [{"_id": "bench-viewer-b", "name": "Big images", "tasks": [
        {"name": "big_4000x3000.jpg", "status": "complete", "resources": [format!("{images}/big.jpg")],
         "data": {"annotations": []}, "body": {"annotations": anns, "image": {"width": 4000, "height": 3000}}},
        {"name": "small.jpg", "status": "complete", "resources": [format!("{images}/img/1.jpg")],
         "data": {"annotations": []}, "body": {"annotations": few, "image": {"width": 1280, "height": 720}}}
    ]}]})
}

/// Resident memory (KiB) of the app and of every process under it (WebKit's).
fn rss_kib() -> Result<(u64, u64)> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut comm: HashMap<u32, String> = HashMap::new();
    let mut rss: HashMap<u32, u64> = HashMap::new();
    for e in std::fs::read_dir("/proc")?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let (Some(a), Some(b)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        comm.insert(pid, stat[a + 1..b].to_string());
        let ppid = stat[b + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        parent.insert(pid, ppid);
        if let Ok(status) = std::fs::read_to_string(e.path().join("status"))
            && let Some(line) = status.lines().find(|l| l.starts_with("VmRSS:"))
        {
            rss.insert(
                pid,
                line.split_whitespace()
                    .nth(1)
                    .and_then(|x| x.parse().ok())
                    .unwrap_or(0),
            );
        }
    }
    let app = comm
        .iter()
        .find(|(_, c)| c.as_str() == "labdesk")
        .map(|(p, _)| *p)
        .context("no labdesk process")?;
    let under = |mut p: u32| {
        while p > 1 {
            if p == app {
                return true;
            }
            p = parent.get(&p).copied().unwrap_or(0);
        }
        false
    };
    let app_rss = rss.get(&app).copied().unwrap_or(0);
    let webkit: u64 = rss
        .iter()
        .filter(|(p, _)| **p != app && under(**p))
        .map(|(_, r)| r)
        .sum();
    Ok((app_rss, webkit))
}

/// Starts a page-side recorder: `window.__bench` gets `first` (ms to `first_css` present) and
/// `done` (ms to `done_js` true), both from now.
async fn record(app: &App, first_css: &str, done_js: &str, click_css: &str) -> Result<(f64, f64)> {
    app.js(
        &format!(
            r#"const [firstCss, clickCss] = arguments;
               const done = () => {{ {done_js} }};
               const b = window.__bench = {{ first: null, done: null }};
               const t0 = performance.now();
               const tick = () => {{
                 const t = performance.now() - t0;
                 if (b.first === null && document.querySelector(firstCss)) b.first = t;
                 if (b.first !== null && done()) {{ b.done = t; return; }}
                 if (t < 900000) requestAnimationFrame(tick);
               }};
               document.querySelector(clickCss).click();
               requestAnimationFrame(tick);
               return true;"#
        ),
        vec![json!(first_css), json!(click_css)],
    )
    .await
    .with_context(|| format!("clicking {click_css}"))?;
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let b = app.js("return window.__bench;", vec![]).await?;
        if let (Some(f), Some(d)) = (b["first"].as_f64(), b["done"].as_f64()) {
            return Ok((f, d));
        }
        if Instant::now() > deadline {
            bail!("{click_css}: never done: {b}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the last search's rows came from: "lab", or the local copy's note.
async fn source(app: &App) -> Result<String> {
    let v = app
        .js(
            "const e = document.querySelector('[data-testid=load-source]'); return e ? e.textContent : 'lab';",
            vec![],
        )
        .await?;
    Ok(v.as_str().unwrap_or("lab").to_owned())
}

const LOADED: &str = "const s = document.querySelector('[data-testid=load-status]'); const m = s && s.innerText.match(/([\\d,\\s\\u202f]+) of ([\\d,\\s\\u202f]+) loaded/); return !!(s && s.dataset.loading === 'false' && Number(s.dataset.seq) > (window.__seq0 ?? -1) && m && m[1] === m[2]);";

/// Scrolls `el` by `rows` rows of `row_px` over frames of `per_frame` rows; returns the frame
/// durations (ms) and how many frames ended with rows still being read (placeholders).
async fn scroll_frames(
    app: &App,
    css: &str,
    rows: u32,
    row_px: f64,
    per_frame: u32,
) -> Result<(Vec<f64>, u64)> {
    app.js(
        r#"const [css, rows, rowPx, perFrame] = arguments;
           const el = document.querySelector(css);
           el.scrollTop = 0;
           const out = window.__frames = { frames: [], pending: 0, done: false };
           let last = null, moved = 0;
           const tick = (ts) => {
             if (last !== null) out.frames.push(ts - last);
             last = ts;
             if (el.querySelector('.pending')) out.pending++;
             if (moved >= rows) { out.done = true; return; }
             moved += perFrame;
             el.scrollTop = moved * rowPx;
             requestAnimationFrame(tick);
           };
           requestAnimationFrame(tick);
           return true;"#,
        vec![json!(css), json!(rows), json!(row_px), json!(per_frame)],
    )
    .await
    .with_context(|| format!("scrolling {css}"))?;
    loop {
        let f = app.js("return window.__frames;", vec![]).await?;
        if f["done"] == json!(true) {
            let frames = f["frames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_f64)
                .collect();
            return Ok((frames, f["pending"].as_u64().unwrap_or(0)));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn stats(frames: &[f64]) -> (f64, f64) {
    let mut v = frames.to_vec();
    v.sort_by(f64::total_cmp);
    let p95 = v
        .get(((v.len() as f64) * 0.95) as usize)
        .copied()
        .unwrap_or(0.0);
    (v.last().copied().unwrap_or(0.0), p95)
}

async fn open_project(app: &App, id: &str) -> Result<()> {
    app.js(
        "document.querySelector('nav.crumbs > button')?.click(); return true;",
        vec![],
    )
    .await?;
    app.click(&format!("button[data-project-id={id}]")).await?;
    app.el("[data-testid=batches]").await?;
    Ok(())
}

async fn mark_seq(app: &App) -> Result<()> {
    app.js(
        "const s = document.querySelector('[data-testid=load-status]'); window.__seq0 = s ? Number(s.dataset.seq) : -1; return true;",
        vec![],
    )
    .await?;
    Ok(())
}

fn dir_bytes(dir: &Path) -> (u64, u64) {
    let (mut bytes, mut files) = (0, 0);
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                let (b, f) = dir_bytes(&p);
                bytes += b;
                files += f;
            } else if let Ok(m) = e.metadata() {
                bytes += m.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

#[derive(Default)]
struct Row {
    n: usize,
    first: f64,
    all: f64,
    filter: f64,
    /// Where the status filter's rows came from ("lab" or the copy's note).
    filter_src: String,
    /// Seconds from all rows (first search) until a search was answered from the local copy.
    mirror_s: f64,
    /// A status filter answered from the local copy (synced first).
    filter_copy: f64,
    /// Every row again, from the local copy.
    all_copy: f64,
    /// Reopening the project: first rows / all rows, from the local copy.
    reopen_first: f64,
    reopen_all: f64,
    sort: f64,
    scroll_max: f64,
    scroll_p95: f64,
    scroll_pending: u64,
    gallery_cold: f64,
    gallery_warm: f64,
    gallery_max: f64,
    gallery_p95: f64,
    thumb_bytes: f64,
    app_rss: u64,
    webkit_rss: u64,
    dom_nodes: u64,
    idle_p95: f64,
}

const THUMBS_DONE: &str = "const cells = document.querySelectorAll('[data-testid=gallery] .cell-card[data-task-name]'); const imgs = [...document.querySelectorAll('[data-testid=gallery] img.thumb')]; const missing = document.querySelectorAll('[data-testid=gallery] .cell-card[data-task-name] .thumb-missing').length; return cells.length > 0 && imgs.every(i => i.complete) && imgs.filter(i => i.naturalWidth > 0).length + missing >= cells.length;";

async fn measure(app: &App, n: usize, cache: &Path) -> Result<Row> {
    let id = format!("bench-{n}");
    let mut row = Row {
        n,
        ..Row::default()
    };
    app.js(
        "window.__errs = []; window.addEventListener('error', (e) => window.__errs.push(String(e.message))); const ce = console.error; console.error = (...a) => { window.__errs.push(a.map(String).join(' ').slice(0, 400)); ce(...a); }; return true;",
        vec![],
    )
    .await?;
    open_project(app, &id).await?;
    mark_seq(app).await?;
    let (first, all) = record(
        app,
        "[data-testid=task-grid] .grid-row[data-task-name]",
        LOADED,
        "[data-testid=browse-all]",
    )
    .await?;
    (row.first, row.all) = (first, all);
    let loaded_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    (row.app_rss, row.webkit_rss) = rss_kib()?;
    row.dom_nodes = app
        .js("return document.getElementsByTagName('*').length;", vec![])
        .await?
        .as_u64()
        .unwrap_or(0);

    // the same loop without scrolling: what a frame costs here with nothing to do
    let (idle, _) = scroll_frames(app, "[data-testid=task-grid]", 30, 0.0, 1).await?;
    row.idle_p95 = stats(&idle).1;
    let (frames, pending) =
        scroll_frames(app, "[data-testid=task-grid]", 5000.min(n as u32), 32.0, 40).await?;
    (row.scroll_max, row.scroll_p95) = stats(&frames);
    row.scroll_pending = pending;

    // a status filter (answered by the lab: a new search)
    app.js(
        "document.querySelector('input[name=status][value=complete]').click(); return true;",
        vec![],
    )
    .await?;
    mark_seq(app).await?;
    let (_, filter) = record(
        app,
        "[data-testid=task-grid] .grid-row[data-task-name]",
        LOADED,
        "[data-testid=apply-filter]",
    )
    .await?;
    row.filter = filter;
    row.filter_src = source(app).await?;
    app.js(
        "document.querySelector('input[name=status][value=complete]').click(); return true;",
        vec![],
    )
    .await?;
    mark_seq(app).await?;
    record(
        app,
        "[data-testid=task-grid] .grid-row[data-task-name]",
        LOADED,
        "[data-testid=apply-filter]",
    )
    .await?;

    // the local copy: mirrored in the background after the first search; search again
    // until the copy answers, then the same filter from it, and the project reopened
    let deadline = Instant::now() + Duration::from_secs(600);
    while source(app).await? == "lab" {
        if Instant::now() > deadline {
            bail!("the project was never answered from the local copy");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        mark_seq(app).await?;
        record(
            app,
            "[data-testid=task-grid] .grid-row[data-task-name]",
            LOADED,
            "[data-testid=apply-filter]",
        )
        .await?;
    }
    row.mirror_s = loaded_at.elapsed().as_secs_f64();
    app.js(
        "document.querySelector('input[name=status][value=complete]').click(); return true;",
        vec![],
    )
    .await?;
    mark_seq(app).await?;
    row.filter_copy = record(
        app,
        "[data-testid=task-grid] .grid-row[data-task-name]",
        LOADED,
        "[data-testid=apply-filter]",
    )
    .await?
    .1;
    app.js(
        "document.querySelector('input[name=status][value=complete]').click(); return true;",
        vec![],
    )
    .await?;
    mark_seq(app).await?;
    row.all_copy = record(
        app,
        "[data-testid=task-grid] .grid-row[data-task-name]",
        LOADED,
        "[data-testid=apply-filter]",
    )
    .await?
    .1;
    open_project(app, &id).await?;
    mark_seq(app).await?;
    (row.reopen_first, row.reopen_all) = record(
        app,
        "[data-testid=task-grid] .grid-row[data-task-name]",
        LOADED,
        "[data-testid=browse-all]",
    )
    .await?;
    ensure!(
        source(app).await? != "lab",
        "the reopened project was not answered from the local copy"
    );

    // a sort by name, descending after ascending (rows read again in the new order)
    let before = app.js("return document.querySelector('[data-testid=task-grid] .grid-row[data-task-name]').dataset.taskName;", vec![]).await?;
    app.js("window.__before = arguments[0]; return true;", vec![before])
        .await?;
    app.js("document.querySelector('[data-testid=task-grid] .grid-head button[data-col=name]').click(); return true;", vec![]).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, sort) = record(
        app,
        "[data-testid=task-grid] .grid-row[data-task-name]",
        "const r = document.querySelector('[data-testid=task-grid] .grid-row[data-task-name]'); return !!r && r.dataset.taskName !== window.__before && !document.querySelector('[data-testid=task-grid] .pending');",
        "[data-testid=task-grid] .grid-head button[data-col=name]",
    )
    .await?;
    row.sort = sort;

    // the gallery: first screen cold (no thumbnail made yet), then warm
    let (_, cold) = record(
        app,
        "[data-testid=gallery] .cell-card[data-task-name]",
        THUMBS_DONE,
        "[data-testid=layout-gallery]",
    )
    .await?;
    row.gallery_cold = cold;
    app.click("[data-testid=layout-table]").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, warm) = record(
        app,
        "[data-testid=gallery] .cell-card[data-task-name]",
        THUMBS_DONE,
        "[data-testid=layout-gallery]",
    )
    .await?;
    row.gallery_warm = warm;
    let lines = app.js("const g = document.querySelector('[data-testid=gallery]'); return Number(g.getAttribute('aria-colcount'));", vec![]).await?.as_u64().unwrap_or(4).max(1) as u32;
    let (frames, _) = scroll_frames(
        app,
        "[data-testid=gallery]",
        5000.min(n as u32) / lines,
        206.0,
        4,
    )
    .await?;
    (row.gallery_max, row.gallery_p95) = stats(&frames);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (bytes, files) = dir_bytes(cache);
    row.thumb_bytes = if files > 0 {
        bytes as f64 / files as f64
    } else {
        0.0
    };
    if std::env::var_os("BENCH_SHOTS").is_some() {
        std::fs::write("/tmp/bench-last.png", app.client.screenshot().await?)?;
        eprintln!(
            "page errors: {}",
            app.js("return window.__errs ?? [];", vec![]).await?
        );
    }
    app.js(
        "document.querySelector('[data-testid=layout-table]').click(); return true;",
        vec![],
    )
    .await
    .context("back to the table")?;
    Ok(row)
}

async fn viewer(app: &App) -> Result<(f64, f64)> {
    open_project(app, "bench-viewer").await?;
    mark_seq(app).await?;
    record(
        app,
        "[data-testid=task-grid] .grid-row[data-task-name]",
        LOADED,
        "[data-testid=browse-all]",
    )
    .await?;
    let big =
        "[data-testid=task-grid] .grid-row[data-task-name='big_4000x3000.jpg'] [data-col=name]";
    let small = "[data-testid=task-grid] .grid-row[data-task-name='small.jpg'] [data-col=name]";
    let drawn = "const i = document.querySelector('[data-testid=drawer] [data-testid=stage-image]'); return !!(i && i.complete && i.naturalWidth === 4000 && document.querySelectorAll('[data-testid=drawer] [data-testid=overlay] g[data-label]').length >= 200);";
    let (_, cold) = record(app, "[data-testid=drawer]", drawn, big).await?;
    app.click(small).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_, warm) = record(app, "[data-testid=drawer]", drawn, big).await?;
    Ok((cold, warm))
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let sizes: Vec<usize> = arg("--sizes")
        .unwrap_or_else(|| "1000,10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()
        .context("--sizes: comma-separated task counts")?;
    let out: Option<PathBuf> = arg("--out").map(PathBuf::from);
    let root = tempfile::tempdir()?;

    let t = Instant::now();
    let images = Images {
        small: std::sync::Arc::new(make_images()?),
        big: std::sync::Arc::new(big_image()?),
    };
    let base = serve_images(images).await?;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut projects: Vec<Value> = sizes
        .iter()
        .map(|&n| project(&format!("bench-{n}"), n, &base, &mut rng))
        .collect();
    projects.push(viewer_project(&base, &mut rng));
    let seed: lab_sandbox::seed::Seed = serde_json::from_value(json!({
        "credentials": [{"access_id": "bench", "secret_key": "bench-secret"}],
        "projects": projects,
    }))?;
    let dir = root.path().join("server");
    std::fs::create_dir_all(&dir)?;
    let sandbox = lab_sandbox::Sandbox::open(lab_sandbox::Config::new(&dir))?;
    sandbox.apply_seed(&seed)?;
    drop(seed);
    let running = lab_sandbox::start(sandbox, "127.0.0.1:0".parse()?).await?;
    eprintln!(
        "window bench: seeded {sizes:?} in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let (launch, dirs) = Launch::isolated(&root.path().join("app"))?;
    let app = App::launch_with(launch).await?;
    app.client.set_window_size(1280, 800).await?;
    connect_profile(&app, "Bench", &running.base_url, "bench", "bench-secret").await?;
    let thumbs = dirs[2].join("com.isahit.labdesk").join("thumbnails");

    let mut rows = Vec::new();
    for &n in &sizes {
        eprintln!("window bench: {n} tasks");
        let r = measure(&app, n, &thumbs)
            .await
            .with_context(|| format!("{n} tasks"))?;
        rows.push(r);
    }
    let (v_cold, v_warm) = viewer(&app).await?;
    app.quit().await?;
    running.shutdown().await;

    let mut md = String::new();
    md.push_str(&format!(
        "# Window benchmark, {}\n\nRelease build, 1280×800 under Xvfb, WebKitGTK; in-process lab-sandbox; times in ms measured in the page from the click.\n\n",
        chrono::Local::now().format("%Y-%m-%d %H:%M")
    ));
    md.push_str("Local copy (lab-index): the status filter of the first table is answered by whatever was ready (its source in the second table); the copy is mirrored in the background after the first search, then searches sync it and answer from it.\n\n| tasks | status filter: source | copy ready after (s) | status filter from the copy | all rows from the copy | reopen: first / all rows |\n|---:|---|---:|---:|---:|---|\n");
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.0} / {:.0} |\n",
            r.n, r.filter_src, r.mirror_s, r.filter_copy, r.all_copy, r.reopen_first, r.reopen_all
        ));
    }
    md.push('\n');
    md.push_str("| tasks | first rows | all rows | status filter | sort | idle frame p95 | scroll 5k rows: max / p95 frame (frames with rows still read) | gallery first screen cold / warm | gallery scroll 5k: max / p95 frame | thumbnail bytes/task | RSS app / WebKit (MiB) | DOM nodes |\n|---:|---:|---:|---:|---:|---:|---|---|---|---:|---|---:|\n");
    for r in &rows {
        md.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} / {:.0} ({}) | {:.0} / {:.0} | {:.0} / {:.0} | {:.0} | {:.0} / {:.0} | {} |\n",
            r.n, r.first, r.all, r.filter, r.sort, r.idle_p95, r.scroll_max, r.scroll_p95, r.scroll_pending,
            r.gallery_cold, r.gallery_warm, r.gallery_max, r.gallery_p95, r.thumb_bytes,
            r.app_rss as f64 / 1024.0, r.webkit_rss as f64 / 1024.0, r.dom_nodes
        ));
    }
    if let (Some(a), Some(b)) = (rows.first(), rows.last())
        && a.n != b.n
    {
        let total = |r: &Row| (r.app_rss + r.webkit_rss) as f64;
        md.push_str(&format!(
            "\nTotal RSS at {} tasks: {:.2}× that at {}.\n",
            b.n,
            total(b) / total(a),
            a.n
        ));
    }
    md.push_str(&format!(
        "\nViewer, 4000×3000 JPEG with 200 rectangles: click → image decoded and overlay drawn {v_cold:.0} ms the first time, {v_warm:.0} ms once the image is cached.\n"
    ));
    println!("{md}");
    if let Some(p) = out {
        std::fs::write(&p, &md).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}
