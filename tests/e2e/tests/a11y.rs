//! Accessibility and language in the real window (owner: a11y):
//! - an axe-core audit of every screen, in the light and the dark theme: no serious or critical
//!   violation;
//! - a keyboard-only walk from the first Tab to a project's task browser and a task's details,
//!   the focused element visibly outlined at each step;
//! - the app started with a French OS locale shows French, with French dates and numbers;
//! - screenshots of the same screens in English and French (`a11y-en-*.png`, `a11y-fr-*.png`).
//!
//! axe-core is not loaded by the app (the CSP allows only the app's own scripts): the test reads
//! ui/node_modules/axe-core/axe.min.js and runs it through WebDriver, which executes scripts in the
//! page itself. Needs `tests/e2e/run` (display, keychain, built app); ignored in plain `cargo test`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::Locator;
use fantoccini::key::Key;
use labdesk_e2e::{App, Launch, STEP, axe_source};
use serde_json::json;

/// A fresh app on the local sandbox, with its own config/data/cache dirs.
async fn launch(root: &tempfile::TempDir, extra_env: &[(&str, &str)]) -> Result<App> {
    let (mut launch, _dirs) = Launch::isolated(root.path())?;
    for (k, v) in extra_env {
        launch.env.push(((*k).to_owned(), (*v).to_owned()));
    }
    let app = App::launch_with(launch).await?;
    app.el("[data-testid=projects] tbody tr button").await?;
    Ok(app)
}

/// One axe violation as printed in the report.
#[derive(Debug)]
struct Violation {
    screen: String,
    id: String,
    impact: String,
    help: String,
    nodes: Vec<String>,
}

impl Violation {
    fn serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "[{}] {} ({}): {}",
            self.screen, self.id, self.impact, self.help
        )?;
        for n in &self.nodes {
            writeln!(f, "    {n}")?;
        }
        Ok(())
    }
}

/// Runs axe-core on the whole page (WCAG 2.x A/AA and best practices).
async fn audit(app: &App, screen: &str, found: &mut Vec<Violation>) -> Result<()> {
    let loaded = app
        .js(
            "return typeof window.axe === 'object' && typeof window.axe.run === 'function';",
            vec![],
        )
        .await?;
    if loaded != json!(true) {
        let src = axe_source()?;
        let kind = app
            .js(&format!("{src}\n;return typeof window.axe;"), vec![])
            .await
            .context("injecting axe-core")?;
        ensure!(
            kind == json!("object"),
            "axe-core did not load: window.axe is {kind}"
        );
    }
    let res = app
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               window.axe.run(document, {
                 runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
                 resultTypes: ['violations'],
               }).then(
                 (r) => done({ ok: true, rules: r.passes.length + r.violations.length + r.incomplete.length,
                   violations: r.violations.map((v) => ({ id: v.id, impact: v.impact || '', help: v.help,
                     nodes: v.nodes.slice(0, 6).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 300)) })) }),
                 (e) => done({ ok: false, error: String((e && e.stack) || e) }),
               );"#,
            vec![],
        )
        .await
        .with_context(|| format!("running axe on {screen}"))?;
    ensure!(
        res["ok"] == json!(true),
        "axe failed on {screen}: {}",
        res["error"]
    );
    let list = res["violations"].as_array().cloned().unwrap_or_default();
    let mut serious = 0;
    for v in list {
        let viol = Violation {
            screen: screen.to_owned(),
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            impact: v["impact"].as_str().unwrap_or_default().to_owned(),
            help: v["help"].as_str().unwrap_or_default().to_owned(),
            nodes: v["nodes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        };
        if viol.serious() {
            serious += 1;
        }
        found.push(viol);
    }
    eprintln!(
        "a11y: axe on {screen}: {} rules checked, {} violation(s), {serious} serious/critical",
        res["rules"],
        found.iter().filter(|v| v.screen == screen).count()
    );
    Ok(())
}

/// Waits until `script` (a JS expression body returning a boolean) is true.
async fn wait_js(app: &App, what: &str, script: &str) -> Result<()> {
    let deadline = Instant::now() + STEP;
    loop {
        if app.js(script, vec![]).await? == json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn wait_gone(app: &App, css: &str) -> Result<()> {
    let deadline = Instant::now() + STEP;
    while app.client.find(Locator::Css(css)).await.is_ok() {
        if Instant::now() > deadline {
            bail!("{css} is still there");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Waits for the task table to have finished loading rows.
async fn wait_rows(app: &App) -> Result<()> {
    wait_js(
        app,
        "the task list",
        "const s = document.querySelector('[data-testid=load-status]');
         return !!s && s.dataset.loading === 'false' && !!document.querySelector('[data-testid=task-grid] .grid-row')
           && !document.querySelector('[data-testid=task-grid] .grid-row.pending');",
    )
    .await
}

/// Chooses the theme in the top bar and checks the page really changed colours.
async fn set_theme(app: &App, theme: &str) -> Result<()> {
    app.set_value("[data-testid=theme]", theme).await?;
    let expect_bg = if theme == "dark" {
        "rgb(22, 25, 29)"
    } else {
        "rgb(246, 247, 249)"
    };
    wait_js(
        app,
        &format!("the {theme} theme"),
        &format!("return getComputedStyle(document.body).backgroundColor === '{expect_bg}';"),
    )
    .await
}

/// Walks every screen, auditing and taking screenshots named `a11y-<prefix>-<screen>.png`.
async fn walk_screens(app: &App, prefix: &str, found: &mut Vec<Violation>) -> Result<()> {
    let shot = |name: &str| format!("a11y-{prefix}-{name}");
    // projects
    app.el("[data-testid=projects] tbody tr button").await?;
    audit(app, &shot("projects"), found).await?;
    app.screenshot(&shot("01-projects")).await?;
    // project view (the demo project with batches)
    app.click("[data-testid=projects] tbody tr button").await?;
    app.el("[data-testid=batches]").await?;
    audit(app, &shot("project"), found).await?;
    app.screenshot(&shot("02-project")).await?;
    // create screen, when the project view offers it
    if app
        .client
        .find(Locator::Css("[data-testid=open-create]"))
        .await
        .is_ok()
    {
        app.click("[data-testid=open-create]").await?;
        app.el("[data-testid=create-screen]").await?;
        audit(app, &shot("create"), found).await?;
        app.screenshot(&shot("03-create")).await?;
        // back to the project through the breadcrumb (the project's name)
        app.click(".crumbs button:nth-of-type(2)").await?;
        app.el("[data-testid=batches]").await?;
    }
    // task browser with rows
    app.click("[data-testid=browse-all]").await?;
    wait_rows(app).await?;
    audit(app, &shot("tasks"), found).await?;
    app.screenshot(&shot("04-tasks")).await?;
    // details drawer
    app.click("[data-testid=task-grid] .grid-row [data-col=name]")
        .await?;
    app.el("[data-testid=drawer]").await?;
    tokio::time::sleep(Duration::from_millis(800)).await; // the preview
    audit(app, &shot("drawer"), found).await?;
    app.screenshot(&shot("05-drawer")).await?;
    app.click("[data-testid=drawer-close]").await?;
    wait_gone(app, "[data-testid=drawer]").await?;
    // bulk dialog on two selected tasks
    for i in 1..=2 {
        app.click(&format!(
            "[data-testid=task-grid] .grid-row:nth-child({i}) input[type=checkbox]"
        ))
        .await?;
    }
    // opened from the keyboard: focus on the button, Enter
    app.js(
        "document.querySelector('[data-testid=bulk-properties]').focus(); return true;",
        vec![],
    )
    .await?;
    app.press(Key::Enter).await?;
    app.el("[data-testid=bulk-dialog][data-step=choose]")
        .await?;
    audit(app, &shot("bulk"), found).await?;
    app.screenshot(&shot("06-bulk")).await?;
    // Escape closes the dialog and gives focus back to the button that opened it
    app.press(Key::Escape).await?;
    wait_gone(app, "[data-testid=bulk-dialog]").await?;
    let back = app
        .js(
            "return document.activeElement && document.activeElement.dataset.testid || '';",
            vec![],
        )
        .await?;
    ensure!(
        back == json!("bulk-properties"),
        "after Escape the focus is on {back}, not on the button that opened the dialog"
    );
    // export dialog, when the task browser offers it
    if app
        .client
        .find(Locator::Css("[data-testid=open-export]"))
        .await
        .is_ok()
    {
        app.click("[data-testid=open-export]").await?;
        app.el("[data-testid=export-dialog]").await?;
        tokio::time::sleep(Duration::from_millis(800)).await; // the count
        audit(app, &shot("export"), found).await?;
        app.screenshot(&shot("07-export")).await?;
        app.press(Key::Escape).await?;
        wait_gone(app, "[data-testid=export-dialog]").await?;
    }
    // about / diagnostics, when the top bar offers it
    if app
        .client
        .find(Locator::Css("[data-testid=open-about]"))
        .await
        .is_ok()
    {
        app.click("[data-testid=open-about]").await?;
        app.el("[data-testid=about-dialog]").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        audit(app, &shot("about"), found).await?;
        app.screenshot(&shot("08-about")).await?;
        app.press(Key::Escape).await?;
        wait_gone(app, "[data-testid=about-dialog]").await?;
    }
    // connection screen with the profile form open
    app.click("[data-testid=nav-profiles]").await?;
    app.click("[data-testid=add-profile]").await?;
    app.el("input[name=name]").await?;
    audit(app, &shot("connection"), found).await?;
    app.screenshot(&shot("09-connection")).await?;
    app.click("[data-testid=back-to-projects]").await?;
    app.el("[data-testid=projects] tbody tr button").await?;
    Ok(())
}

fn report(found: &[Violation]) -> Result<()> {
    for v in found.iter().filter(|v| !v.serious()) {
        eprint!("a11y: (not serious) {v}");
    }
    let serious: Vec<&Violation> = found.iter().filter(|v| v.serious()).collect();
    for v in &serious {
        eprint!("a11y: SERIOUS {v}");
    }
    eprintln!(
        "a11y: audit total: {} violation(s), {} serious/critical",
        found.len(),
        serious.len()
    );
    ensure!(
        serious.is_empty(),
        "{} serious/critical accessibility violation(s), listed above",
        serious.len()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run"]
async fn a11y_audit_every_screen_light_and_dark() -> Result<()> {
    let root = tempfile::tempdir()?;
    let app = launch(&root, &[("LANG", "en_US.UTF-8"), ("LC_ALL", "en_US.UTF-8")]).await?;
    let lang = app
        .js("return document.documentElement.lang;", vec![])
        .await?;
    ensure!(lang == json!("en"), "the English window says lang={lang}");
    let mut found = Vec::new();
    set_theme(&app, "light").await?;
    walk_screens(&app, "en", &mut found).await?;
    set_theme(&app, "dark").await?;
    walk_screens(&app, "en-dark", &mut found).await?;
    app.quit().await?;
    report(&found)
}

/// What has the keyboard focus: a short description, whether a focus ring is drawn, and whether
/// it is the same element as at the previous call.
async fn focused(app: &App) -> Result<(String, bool, bool)> {
    let v = app
        .js(
            r#"const e = document.activeElement;
               const same = window.__a11yLastFocus === e;
               window.__a11yLastFocus = e;
               if (!e || e === document.body) return ['(body)', false, same];
               const s = getComputedStyle(e);
               const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
               const r = e.getBoundingClientRect();
               const onScreen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight;
               const label = e.labels && e.labels[0] ? e.labels[0].textContent : '';
               const name = (e.getAttribute('aria-label') || label || e.textContent || e.getAttribute('placeholder') || '').trim().slice(0, 40);
               const what = e.tagName.toLowerCase() + (e.dataset.testid ? '[' + e.dataset.testid + ']' : '')
                 + (e.name ? '[name=' + e.name + ']' : '') + (e.type === 'datetime-local' ? '[datetime-local]' : '')
                 + ' "' + name + '"';
               return [what, ring && onScreen, same];"#,
            vec![],
        )
        .await?;
    Ok((
        v[0].as_str().unwrap_or_default().to_owned(),
        v[1].as_bool().unwrap_or(false),
        v[2].as_bool().unwrap_or(false),
    ))
}

/// Presses Tab until the script `reached` (JS returning a boolean) holds; every stop must have
/// moved the focus and show a focus ring. Returns the number of Tab presses.
async fn tab_until(app: &App, what: &str, max: usize, reached: &str) -> Result<usize> {
    focused(app).await?; // remember where the walk starts
    for n in 1..=max {
        app.press(Key::Tab).await?;
        let (desc, ring, same) = focused(app).await?;
        // a date-and-time field has one Tab stop per part (day, month, year, hour…)
        ensure!(
            !same || desc.contains("[datetime-local]"),
            "Tab did not move the focus (still on {desc})"
        );
        ensure!(ring, "Tab stop {n} ({desc}) has no visible focus ring");
        eprintln!("a11y: tab {n}: {desc}");
        if app.js(reached, vec![]).await? == json!(true) {
            return Ok(n);
        }
    }
    bail!("{what} not reached in {max} Tab presses")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run"]
async fn a11y_keyboard_walk_to_the_task_details() -> Result<()> {
    let root = tempfile::tempdir()?;
    let app = launch(&root, &[("LANG", "en_US.UTF-8"), ("LC_ALL", "en_US.UTF-8")]).await?;
    // from the very start of the page
    app.js(
        "document.activeElement && document.activeElement.blur(); return true;",
        vec![],
    )
    .await?;
    app.press(Key::Tab).await?;
    let (first, ring, _) = focused(&app).await?;
    ensure!(
        first.contains("Skip to content"),
        "the first Tab stop is {first}, not the skip link"
    );
    ensure!(ring, "the skip link is not visible when focused");
    app.screenshot("a11y-kbd-01-skip-link").await?;
    // to the first project (its link carries data-project-id) and open it with Enter
    let n = tab_until(
        &app,
        "a project link",
        40,
        "return !!document.activeElement.dataset.projectId;",
    )
    .await?;
    eprintln!("a11y: measure: {n} Tab presses from the skip link to the first project");
    app.screenshot("a11y-kbd-02-project-focused").await?;
    app.press(Key::Enter).await?;
    app.el("[data-testid=batches]").await?;
    // "Browse all tasks" has the focus on arrival; Enter opens the task browser
    wait_js(
        &app,
        "focus on Browse all tasks",
        "return document.activeElement && document.activeElement.dataset.testid === 'browse-all';",
    )
    .await?;
    let (desc, ring, _) = focused(&app).await?;
    ensure!(ring, "{desc} has no visible focus ring");
    app.press(Key::Enter).await?;
    wait_rows(&app).await?;
    // Tab through the filter form and the toolbars to the table
    let n = tab_until(
        &app,
        "the task table",
        150,
        "return document.activeElement.dataset.testid === 'task-grid';",
    )
    .await?;
    eprintln!("a11y: measure: {n} Tab presses from the page start to the task table");
    app.press(Key::Down).await?;
    wait_js(
        &app,
        "an active row",
        "return !!document.querySelector('[data-testid=task-grid] .grid-row.active');",
    )
    .await?;
    let ring = app
        .js("const r = document.querySelector('.grid-row.active'); return getComputedStyle(r).outlineStyle !== 'none';", vec![])
        .await?;
    ensure!(ring == json!(true), "the active row has no focus ring");
    app.screenshot("a11y-kbd-03-table-row").await?;
    // Space selects the row, Enter opens its details, Escape closes them
    app.press(Key::Space).await?;
    wait_js(
        &app,
        "a selected row",
        "return !!document.querySelector('.grid-row.active[aria-selected=true]');",
    )
    .await?;
    app.press(Key::Enter).await?;
    app.el("[data-testid=drawer]").await?;
    app.screenshot("a11y-kbd-04-details").await?;
    app.press(Key::Escape).await?;
    wait_gone(&app, "[data-testid=drawer]").await?;
    let still = app
        .js(
            "return document.activeElement && document.activeElement.dataset.testid || '';",
            vec![],
        )
        .await?;
    ensure!(
        still == json!("task-grid"),
        "after Escape the focus is on {still}, not the table"
    );
    app.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "window test: needs Xvfb, a keychain and the built app; run tests/e2e/run"]
async fn a11y_french_locale() -> Result<()> {
    let root = tempfile::tempdir()?;
    let app = launch(
        &root,
        &[
            ("LANG", "fr_FR.UTF-8"),
            ("LC_ALL", "fr_FR.UTF-8"),
            ("LANGUAGE", "fr_FR:fr"),
        ],
    )
    .await?;
    // the OS locale decides: French texts, lang="fr"
    app.wait_text("h1", "Projets", |t| t == "Projets").await?;
    let lang = app
        .js("return document.documentElement.lang;", vec![])
        .await?;
    ensure!(lang == json!("fr"), "html lang is {lang}");
    let title = app.js("return document.title;", vec![]).await?;
    ensure!(title == json!("Projets · Lab Desk"), "window title {title}");
    let conn = app.text("[data-testid=connected-as]").await?;
    ensure!(conn.contains("Connecté\u{a0}:"), "top bar says {conn:?}");
    // dates in French ("12 mars 2026, 14:05")
    let date = app
        .text("[data-testid=projects] tbody tr td:nth-child(4)")
        .await?;
    ensure!(
        french_date(&date),
        "the project's date is not French: {date:?}"
    );
    let status = app
        .text("[data-testid=projects] tbody tr td:nth-child(3)")
        .await?;
    ensure!(
        ["En configuration", "En cours", "Terminé", "Archivé"].contains(&status.as_str()),
        "project status {status:?}"
    );
    let mut found = Vec::new();
    walk_screens(&app, "fr", &mut found).await?;
    // texts of the task browser and the numbers in the load status
    app.click("[data-testid=projects] tbody tr button").await?;
    app.click("[data-testid=browse-all]").await?;
    wait_rows(&app).await?;
    let st = app.text("[data-testid=load-status]").await?;
    ensure!(
        st.contains(" sur ") && st.contains("chargées"),
        "load status {st:?}"
    );
    let search = app.text("[data-testid=apply-filter]").await?;
    ensure!(search == "Rechercher", "search button says {search:?}");
    let updated = app
        .text("[data-testid=task-grid] .grid-row [data-col=updatedAt]")
        .await?;
    ensure!(french_date(&updated), "task date not French: {updated:?}");
    // the language menu switches to English at once, and back
    app.set_value("[data-testid=language]", "en").await?;
    app.wait_text("[data-testid=apply-filter]", "Search", |t| t == "Search")
        .await?;
    app.set_value("[data-testid=language]", "fr").await?;
    app.wait_text("[data-testid=apply-filter]", "Rechercher", |t| {
        t == "Rechercher"
    })
    .await?;
    // an error composed by the backend is shown in French too (a profile whose server is down)
    app.click_button("Profils…").await?;
    app.click_button("Ajouter un profil…").await?;
    app.set_value("input[name=name]", "Serveur arrêté").await?;
    app.set_value("input[name=endpoint]", "http://127.0.0.1:9/")
        .await?;
    app.set_value("input[name=accessId]", "quelqu-un").await?;
    app.set_value("input[name=secretKey]", "pas-un-secret")
        .await?;
    app.click_button("Tester la connexion").await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let alert = loop {
        let v = app
            .js(
                "return [...document.querySelectorAll('[role=alert]')].map(e => e.textContent).join(' | ');",
                vec![],
            )
            .await?;
        let text = v.as_str().unwrap_or_default().to_owned();
        if text.contains("n’a pas pu joindre 127.0.0.1") {
            break text;
        }
        ensure!(
            Instant::now() < deadline,
            "no French error for a server that does not answer; alerts: {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    ensure!(
        !alert.contains("could not reach"),
        "the English message is shown too: {alert:?}"
    );
    app.screenshot("a11y-fr-10-backend-error").await?;
    app.quit().await?;
    report(&found)
}

/// A French medium date: "12 mars 2026" (day, abbreviated French month, year).
fn french_date(s: &str) -> bool {
    const MONTHS: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    let words: Vec<&str> = s.split(char::is_whitespace).collect();
    words.windows(3).any(|w| {
        let year = w[2].trim_end_matches(',');
        !w[0].is_empty()
            && w[0].chars().all(|c| c.is_ascii_digit())
            && MONTHS.contains(&w[1])
            && year.len() == 4
            && year.chars().all(|c| c.is_ascii_digit())
    })
}

#[test]
fn recognises_french_dates() {
    assert!(french_date("12 mars 2026, 14:05"));
    assert!(french_date("3 févr. 2024 à 09:00"));
    assert!(!french_date("Mar 12, 2026, 2:05 PM"));
}
