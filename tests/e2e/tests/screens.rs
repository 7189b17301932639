//! Every screen at 1280×800 and at 1024×700, in English and in French: nothing cut, nothing
//! outside the window, no dialog taller than the window, the top bar on one row
//! ([`App::layout_problems`]). A screenshot of each screen in each size and language goes to
//! tests/artifacts/screens/tour-<lang>-<width>-<screen>.png.
//!
//! Run with `tests/e2e/run --test screens`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, ensure};
use labdesk_e2e::{App, Launch, connect_profile, emit_drag, wait_drop_ready};

const SIZES: [(u32, u32); 2] = [(1280, 800), (1024, 700)];
const LANGS: [&str; 2] = ["en", "fr"];

/// The task browser has finished loading (in either language).
async fn browser_loaded(app: &App) -> Result<()> {
    app.el("[data-testid=load-status][data-loading=false]")
        .await?;
    app.el("[data-testid=task-grid] .grid-row").await?;
    labdesk_e2e::wait_rows_read(app).await
}

async fn close_dialog(app: &App) -> Result<()> {
    app.click("dialog[open] .dlg-head button").await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

/// Screenshots the screen and adds what is cut or crowded on it to `problems`.
async fn look(app: &App, tag: &str, screen: &str, problems: &mut Vec<String>) -> Result<()> {
    app.screenshot(&format!("tour-{tag}-{screen}")).await?;
    for p in app.layout_problems().await? {
        problems.push(format!("{tag} {screen}: {p}"));
    }
    Ok(())
}

fn write_drop(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir.join("a folder with a rather long name/sub folder"))?;
    let png = include_bytes!("../../../icons/128x128.png");
    for i in 1..=6 {
        std::fs::write(dir.join(format!("street_scene_{i:03}.png")), png)?;
    }
    std::fs::write(
        dir.join("a folder with a rather long name/sub folder/a_photo_with_a_very_long_file_name_from_a_camera_2026-12-03_15-42-10.png"),
        png,
    )?;
    std::fs::write(dir.join("empty.png"), b"")?;
    std::fs::write(dir.join("notes.txt"), b"not an image")?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run --test screens"]
async fn every_screen_fits_both_sizes_and_languages() -> Result<()> {
    let root = tempfile::tempdir()?;
    let running = labdesk_e2e::demo_server(root.path()).await?;
    let drop = root.path().join("drop");
    write_drop(&drop)?;
    let (mut launch, _) = Launch::isolated(&root.path().join("app"))?;
    launch.env.push(("LANG".into(), "en_US.UTF-8".into()));
    let app = App::launch_with(launch).await?;
    connect_profile(&app, "Screens sandbox", &running.base_url, "demo", "demo").await?;
    let mut problems = Vec::new();
    let mut recorded = false;
    for lang in LANGS {
        app.set_value("[data-testid=language]", lang).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        for (w, h) in SIZES {
            app.client.set_window_size(w, h).await?;
            tokio::time::sleep(Duration::from_millis(400)).await;
            let tag = format!("{lang}-{w}");

            // profiles
            app.click("[data-testid=nav-profiles]").await?;
            app.el("[data-testid=add-profile]").await?;
            look(&app, &tag, "01-profiles", &mut problems).await?;
            app.click("[data-testid=add-profile]").await?;
            app.el("input[name=endpoint]").await?;
            look(&app, &tag, "02-profile-form", &mut problems).await?;

            // projects, a project
            app.click("[data-testid=back-to-projects]").await?;
            app.el("[data-testid=projects] tbody tr").await?;
            look(&app, &tag, "03-projects", &mut problems).await?;
            app.click("button[data-project-id=demo-rectangle]").await?;
            app.el("[data-testid=batches]").await?;
            look(&app, &tag, "04-project", &mut problems).await?;

            // the task browser, a task, the bulk dialogs, the export dialog
            app.click("[data-testid=browse-all]").await?;
            browser_loaded(&app).await?;
            look(&app, &tag, "05-tasks", &mut problems).await?;
            app.click("[data-testid=task-grid] .grid-row [data-col=name]")
                .await?;
            app.el("[data-testid=drawer]").await?;
            look(&app, &tag, "06-task-drawer", &mut problems).await?;
            // the full-screen viewer of that task, then the gallery of the same rows
            app.click("[data-testid=open-full-viewer]").await?;
            app.el("[data-testid=full-viewer] .stage").await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            look(&app, &tag, "06b-full-viewer", &mut problems).await?;
            app.click("[data-testid=viewer-close]").await?;
            app.click("[data-testid=drawer-close]").await?;
            app.click("[data-testid=layout-gallery]").await?;
            app.el("[data-testid=gallery] .cell-card").await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            look(&app, &tag, "06c-gallery", &mut problems).await?;
            app.click("[data-testid=layout-table]").await?;
            app.el("[data-testid=task-grid] .grid-row").await?;
            app.js(
                "const boxes = [...document.querySelectorAll('[data-testid=task-grid] .grid-row input[type=checkbox]')].slice(0, 2); for (const b of boxes) if (!b.checked) b.click(); return boxes.length;",
                vec![],
            )
            .await?;
            app.click("[data-testid=bulk-properties]").await?;
            app.el("[data-testid=bulk-dialog][data-step=choose]")
                .await?;
            app.set_value("input[name=score]", "0.5").await?;
            look(&app, &tag, "07-bulk-choose", &mut problems).await?;
            app.click("dialog[open] .dlg-foot button.primary").await?;
            app.el("[data-testid=bulk-dialog][data-step=preview]")
                .await?;
            look(&app, &tag, "08-bulk-preview", &mut problems).await?;
            if !recorded {
                // one change on record, for the Activity screen
                app.click("[data-testid=confirm-bulk]").await?;
                app.el("[data-testid=bulk-dialog][data-step=done]").await?;
                app.el("[data-testid=bulk-recorded]").await?;
                look(&app, &tag, "09-bulk-done", &mut problems).await?;
                recorded = true;
            }
            close_dialog(&app).await?;
            app.click("[data-testid=bulk-redo]").await?;
            app.el("[data-testid=bulk-dialog][data-step=choose]")
                .await?;
            look(&app, &tag, "10-redo-choose", &mut problems).await?;
            close_dialog(&app).await?;
            app.click("[data-testid=open-export]").await?;
            app.el("[data-testid=export-dialog][data-step=setup] [data-testid=export-count][data-count]")
                .await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            look(&app, &tag, "11-export", &mut problems).await?;
            // a format this project cannot use says why in the app's words
            let reason = app.text("[data-testid=export-reason-mask]").await?;
            let want = match lang {
                "fr" => {
                    "Indisponible pour ce projet\u{a0}: il n’écrit que les projets Image\u{a0}: segmentation\u{a0}; celui-ci est Image\u{a0}: rectangles."
                }
                _ => {
                    "Not available for this project: it writes Image: segmentation projects only; this one is Image: rectangles."
                }
            };
            ensure!(
                reason == want,
                "{lang}: the mask format's reason: {reason:?}"
            );
            close_dialog(&app).await?;

            // create: the drop zone, then a pre-flight with long names and bad files
            app.click(".crumbs button:nth-of-type(2)").await?;
            app.el("[data-testid=open-create]").await?;
            app.click("[data-testid=open-create]").await?;
            app.el("[data-testid=create-dropzone]").await?;
            look(&app, &tag, "12-create", &mut problems).await?;
            wait_drop_ready(&app, std::slice::from_ref(&drop)).await?;
            emit_drag(&app, "drag-drop", std::slice::from_ref(&drop)).await?;
            app.el("[data-testid=create-grid]").await?;
            tokio::time::sleep(Duration::from_millis(500)).await; // thumbnails
            look(&app, &tag, "13-create-preflight", &mut problems).await?;

            // activity: the list and the entry
            app.click("[data-testid=nav-activity]").await?;
            app.el("[data-testid=activity-entries] tbody tr button")
                .await?;
            look(&app, &tag, "14-activity", &mut problems).await?;
            app.click("[data-testid=activity-entries] tbody tr button")
                .await?;
            app.el("[data-testid=activity-lines] tbody tr").await?;
            look(&app, &tag, "15-activity-entry", &mut problems).await?;

            // about
            app.click("[data-testid=open-about]").await?;
            app.el("[data-testid=licence-table]").await?;
            look(&app, &tag, "16-about", &mut problems).await?;
            close_dialog(&app).await?;

            // the display menu: language and theme, closed again by a second click
            app.click("[data-testid=open-display]").await?;
            app.el("#prefs-menu:not([hidden]) [data-testid=theme]")
                .await?;
            look(&app, &tag, "17-display-menu", &mut problems).await?;
            app.click("[data-testid=open-display]").await?;
            app.el("#prefs-menu[hidden]").await?;
        }
    }
    ensure!(
        problems.is_empty(),
        "{} things cut or crowded:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
    app.quit().await
}
