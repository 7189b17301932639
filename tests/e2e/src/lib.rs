//! Helpers for the Lab Desk window tests: start the app through tauri-driver
//! (WebKitWebDriver), find and drive elements, take screenshots.
//!
//! The tests themselves are in `tests/window.rs` and are `#[ignore]`d: they need a display,
//! a keychain and a built app, which `tests/e2e/run` provides.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a step may take before the test fails (generous: 2 shared cores).
pub const STEP: Duration = Duration::from_secs(45);

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Path of the app binary under test (`LABDESK_BIN`).
pub fn app_binary() -> Result<PathBuf> {
    let p = std::env::var("LABDESK_BIN").context("LABDESK_BIN is not set: run tests/e2e/run")?;
    let p = PathBuf::from(p);
    if !p.is_file() {
        bail!("LABDESK_BIN {} does not exist", p.display());
    }
    Ok(p)
}

/// The repository root of the checkout the tests run in. Read at run time (cargo and nextest
/// set `CARGO_MANIFEST_DIR` for the test process), not baked in at compile time: with a
/// shared `CARGO_TARGET_DIR`, a test binary built in another clone is reused as is, and a
/// compile-time path would point into that clone.
pub fn repo_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}

/// Where screenshots go (`LABDESK_SCREENS`, default tests/artifacts/screens).
pub fn screens_dir() -> PathBuf {
    std::env::var("LABDESK_SCREENS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("tests/artifacts/screens"))
}

/// The axe-core build shipped in ui/node_modules (a devDependency, exact version in
/// ui/package.json). The app does not load it (its CSP allows only its own scripts): tests
/// inject it through WebDriver.
pub fn axe_source() -> Result<String> {
    let p = repo_root().join("ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&p).with_context(|| {
        format!(
            "reading {} (run `npm ci` in ui/: axe-core is a devDependency)",
            p.display()
        )
    })
}

/// Extra settings for [`App::launch_with`].
#[derive(Debug, Default, Clone)]
pub struct Launch {
    /// Environment variables set for tauri-driver, hence for WebKitWebDriver and the app.
    pub env: Vec<(String, String)>,
    /// Where the app's (and the drivers') stderr goes; inherited when `None`.
    pub stderr: Option<PathBuf>,
}

impl Launch {
    /// Fresh XDG config/data/cache dirs under `root` for an app that must not see other tests'
    /// state (profiles, journals, settings). Returns the settings and the three dirs.
    pub fn isolated(root: &Path) -> Result<(Launch, [PathBuf; 3])> {
        let dirs = ["config", "data", "cache"].map(|d| root.join(d));
        for d in &dirs {
            std::fs::create_dir_all(d)?;
        }
        let env = vec![
            ("XDG_CONFIG_HOME".into(), dirs[0].display().to_string()),
            ("XDG_DATA_HOME".into(), dirs[1].display().to_string()),
            ("XDG_CACHE_HOME".into(), dirs[2].display().to_string()),
        ];
        Ok((Launch { env, stderr: None }, dirs))
    }
}

/// Stops a tauri-driver with SIGTERM (not SIGKILL, so it also stops WebKitWebDriver and the
/// app), then SIGKILL if it is still there after 5 s.
fn stop_child(driver: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &driver.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = driver.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// A tauri-driver whose session is not open yet: stopped if the launch fails.
struct Starting(Option<Child>);

impl Starting {
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.0.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    fn take(&mut self) -> Child {
        self.0.take().expect("the driver is taken once")
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            stop_child(child);
        }
    }
}

/// The script behind [`App::layout_problems`].
const LAYOUT_CHECK: &str = r#"
const W = document.documentElement.clientWidth, H = window.innerHeight;
const out = [];
const name = (e) => {
  const t = (e.getAttribute('aria-label') || e.innerText || e.getAttribute('placeholder') || e.getAttribute('name') || '')
    .trim().replace(/\s+/g, ' ').slice(0, 50);
  const id = e.dataset && e.dataset.testid ? '[' + e.dataset.testid + ']' : '';
  return e.tagName.toLowerCase() + id + ' "' + t + '"';
};
const shown = (e) => {
  const r = e.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return false;
  const s = getComputedStyle(e);
  return s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0';
};
const scrolls = (s) => /(auto|scroll)/.test(s.overflowX) || /(auto|scroll)/.test(s.overflowY);
const clips = (s) => /(hidden|clip)/.test(s.overflowX) || /(hidden|clip)/.test(s.overflowY);
const titled = (e) => !!e.closest('[title]');
const page = document.documentElement.scrollWidth;
if (page > W + 1) out.push('the page scrolls sideways (' + page + ' px wide in ' + W + ')');
const seen = new Set();
const sel = 'button, input, select, textarea, a[href], h1, h2, h3, label, th, legend, summary, [role=status], [role=alert], p, dt, dd, li, td';
const hasText = (e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
for (const e of document.querySelectorAll('body *')) {
  if (!e.matches(sel) && !hasText(e)) continue;
  if (e.closest('option, script, style, svg')) continue;
  if (!shown(e) || e.closest('.sr-only, [aria-hidden=true]')) continue;
  const r = e.getBoundingClientRect();
  // the nearest box that scrolls, and any box in between that clips without scrolling
  // (a fixed box leaves its ancestors' clipping: stop at it)
  let scroller = null, clipper = null;
  const fixed = (x) => getComputedStyle(x).position === 'fixed';
  for (let p = fixed(e) ? null : e.parentElement; p && p !== document.body; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (scrolls(s)) { scroller = p; break; }
    if (!clipper && clips(s)) clipper = p;
    if (s.position === 'fixed') break;
  }
  const report = (msg) => { const m = name(e) + ' ' + msg; if (!seen.has(m)) { seen.add(m); out.push(m); } };
  if (!scroller && (r.right > W + 1 || r.left < -1))
    report('is outside the window (x ' + Math.round(r.left) + '–' + Math.round(r.right) + ' of ' + W + ')');
  if (clipper && !titled(e)) {
    const c = clipper.getBoundingClientRect();
    if (r.right > c.right + 2 || r.left < c.left - 2 || r.bottom > c.bottom + 2 || r.top < c.top - 2)
      report('is cut by its box (' + name(clipper) + ')');
  }
  const s = getComputedStyle(e);
  const own = /(hidden|clip)/.test(s.overflowX) || s.textOverflow === 'ellipsis';
  if (own && e.tagName !== 'INPUT' && e.tagName !== 'TEXTAREA' && e.tagName !== 'SELECT'
      && e.scrollWidth > e.clientWidth + 1 && !titled(e))
    report('is cut (' + e.scrollWidth + ' px of text in ' + e.clientWidth + ')');
  if (e.tagName === 'BUTTON' && e.innerText.trim()) {
    const lh = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.25;
    const inner = e.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
    if (inner > 2.5 * lh) report('breaks onto ' + Math.round(inner / lh) + ' lines');
  }
}
// a box that scrolls sideways hides part of its rows; only boxes made for wide content
// (marked data-wide: the task table with many columns, raw JSON) may
for (const e of document.querySelectorAll('*')) {
  if (e === document.documentElement || e === document.body || !shown(e)) continue;
  const s = getComputedStyle(e);
  if (!/(auto|scroll)/.test(s.overflowX) || e.scrollWidth <= e.clientWidth + 1) continue;
  if (e.closest('[data-wide]') || e.tagName === 'TEXTAREA' || e.tagName === 'PRE' || e.tagName === 'INPUT') continue;
  out.push(name(e).slice(0, 50) + ' scrolls sideways (' + e.scrollWidth + ' px of content in ' + e.clientWidth + ')');
}
for (const d of document.querySelectorAll('[role=dialog], dialog[open]')) {
  if (!shown(d)) continue;
  const r = d.getBoundingClientRect();
  if (r.bottom > H + 1 || r.top < -1 || r.right > W + 1 || r.left < -1)
    out.push(name(d).slice(0, 40) + ' does not fit the window (' + Math.round(r.width) + '×' + Math.round(r.height) + ' in ' + W + '×' + H + ')');
}
// groups laid out to stay on one row (data-one-row: the bulk actions)
for (const g of document.querySelectorAll('[data-one-row]')) {
  if (!shown(g)) continue;
  const ys = [...g.children].filter(shown).map((c) => { const r = c.getBoundingClientRect(); return r.top + r.height / 2; });
  if (ys.length && Math.max(...ys) - Math.min(...ys) > 12) out.push(name(g).slice(0, 50) + ' takes more than one row');
}
const bar = document.querySelector('.topbar');
if (bar) {
  const ys = [...bar.children].filter(shown).map((c) => { const r = c.getBoundingClientRect(); return r.top + r.height / 2; });
  if (ys.length && Math.max(...ys) - Math.min(...ys) > 12) out.push('the top bar takes more than one row');
}
return out;
"#;

/// A running app window driven over WebDriver. Dropping it ends the app and tauri-driver.
pub struct App {
    pub client: Client,
    driver: Child,
}

impl App {
    /// Starts tauri-driver on a free port and opens a session on the app (starts the app).
    pub async fn launch() -> Result<App> {
        App::launch_with(Launch::default()).await
    }

    /// Like [`App::launch`] with extra environment for the app (e.g. its own XDG dirs, LANG,
    /// LABDESK_LOG) and, optionally, the app's stderr (and tauri-driver's) written to a file.
    pub async fn launch_with(opts: Launch) -> Result<App> {
        // A session can fail to open for reasons outside the app: a port picked by
        // `free_port` taken by another process before the driver binds it, or the driver
        // dropping the first request while WebKitWebDriver starts. Such a launch is retried on
        // fresh ports; an app that really cannot start fails every attempt.
        const ATTEMPTS: u32 = 3;
        let mut attempt = 1;
        loop {
            match App::try_launch(&opts, attempt > 1).await {
                Ok(app) => return Ok(app),
                Err(e) if attempt < ATTEMPTS => {
                    eprintln!(
                        "e2e: launch attempt {attempt} failed ({e:#}); trying again on new ports"
                    );
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(e.context(format!("after {ATTEMPTS} launch attempts"))),
            }
        }
    }

    async fn try_launch(opts: &Launch, append_log: bool) -> Result<App> {
        let bin = app_binary()?;
        let port = free_port()?;
        let mut native = free_port()?;
        while native == port {
            native = free_port()?;
        }
        let stderr = match &opts.stderr {
            Some(path) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append_log)
                    .truncate(!append_log)
                    .open(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            ),
            None => Stdio::inherit(),
        };
        let driver = Command::new(
            std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()),
        )
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .envs(opts.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .context(
            "could not start tauri-driver (cargo install tauri-driver --version '^2' --locked)",
        )?;
        // From here on, a failure must not leave the driver (and the app under it) running.
        let mut starting = Starting(Some(driver));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("tauri-driver did not open port {port}");
            }
            if let Some(status) = starting.exited() {
                bail!("tauri-driver exited ({status}) before opening port {port}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert(
            "tauri:options".into(),
            json!({ "application": bin.display().to_string() }),
        );
        let client = ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("could not open a WebDriver session on the app")?;
        Ok(App {
            client,
            driver: starting.take(),
        })
    }

    /// Process id of tauri-driver (the app runs below it: tauri-driver → WebKitWebDriver → app).
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    /// Ends the session (closes the app) and stops tauri-driver with SIGTERM.
    pub async fn quit(mut self) -> Result<()> {
        let client = self.client.clone();
        let _ = client.close().await;
        self.stop_driver();
        Ok(())
    }

    fn stop_driver(&mut self) {
        stop_child(&mut self.driver);
    }

    /// Waits for an element matching `css` (visible or not).
    pub async fn el(&self, css: &str) -> Result<Element> {
        self.el_within(css, STEP).await
    }

    /// Like [`App::el`] with another wait.
    ///
    /// WebKitWebDriver once answered a find, in the middle of a full suite, with an error that
    /// had no message (visual.rs, "no element matches [data-testid=browse-all]: webdriver
    /// returned error: "), where the element was on the page. Such an answer says nothing about
    /// the page: it is printed with its code (to find its cause in the loop's logs) and the
    /// search goes on until `wait`; any error with a message fails at once, as before.
    pub async fn el_within(&self, css: &str, wait: Duration) -> Result<Element> {
        let deadline = Instant::now() + wait;
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(e) => return Ok(e),
                Err(e) => match find_answer(&e) {
                    FindAnswer::NotYet => {}
                    FindAnswer::Unexplained(code) => {
                        eprintln!(
                            "e2e: WebDriver answered a find of {css} with {code} and no message; searching again"
                        );
                    }
                    FindAnswer::Failed => {
                        return Err(e).with_context(|| format!("no element matches {css}"));
                    }
                },
            }
            if Instant::now() >= deadline {
                bail!("no element matches {css} (after {wait:?})");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits for a button (or link-like button) whose text contains `text`, then clicks it.
    pub async fn click_button(&self, text: &str) -> Result<()> {
        let xpath = format!(
            "//button[contains(normalize-space(.), {})]",
            xpath_literal(text)
        );
        let b = self
            .client
            .wait()
            .at_most(STEP)
            .for_element(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no button says {text:?}"))?;
        self.wait_enabled(&b).await?;
        b.click()
            .await
            .with_context(|| format!("clicking {text:?}"))?;
        Ok(())
    }

    async fn wait_enabled(&self, e: &Element) -> Result<()> {
        let deadline = Instant::now() + STEP;
        while !e.is_enabled().await? {
            if Instant::now() > deadline {
                bail!("element stayed disabled");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Clicks the element `css` once it is enabled. React may replace the node between
    /// finding it and clicking it (a re-render after data arrives): WebKit then answers
    /// "Node … was not found", and the element is found again (3 tries).
    pub async fn click(&self, css: &str) -> Result<()> {
        let mut tries = 0;
        loop {
            tries += 1;
            let attempt = async {
                let e = self.el(css).await?;
                self.wait_enabled(&e).await?;
                e.click().await.with_context(|| format!("clicking {css}"))?;
                Ok::<(), anyhow::Error>(())
            }
            .await;
            match attempt {
                Err(e) if tries < 3 && is_stale(&e) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => return other.with_context(|| format!("clicking {css}")),
            }
        }
    }

    /// Sets an input/textarea/select value the way React notices (native setter + events).
    pub async fn set_value(&self, css: &str, value: &str) -> Result<()> {
        // An input enabled by the previous step may still be disabled until React re-renders
        // (which may also replace the node: found again then).
        let mut tries = 0;
        loop {
            tries += 1;
            let e = self.el(css).await?;
            match self.wait_enabled(&e).await {
                Err(err) if tries < 3 && is_stale(&err) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => {
                    other.with_context(|| format!("waiting for {css} to be enabled"))?;
                    break;
                }
            }
        }
        self.client
            .execute(
                r#"const [sel, v] = arguments;
                   const el = document.querySelector(sel);
                   const proto = Object.getPrototypeOf(el);
                   Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, v);
                   el.dispatchEvent(new Event('input', { bubbles: true }));
                   el.dispatchEvent(new Event('change', { bubbles: true }));
                   return true;"#,
                vec![json!(css), json!(value)],
            )
            .await
            .with_context(|| format!("setting {css}"))?;
        Ok(())
    }

    /// Text content of the first element matching `css` (empty when absent).
    pub async fn text(&self, css: &str) -> Result<String> {
        let v = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
                vec![json!(css)],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Polls until the text of `css` satisfies `pred`; returns that text.
    pub async fn wait_text(
        &self,
        css: &str,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + STEP;
        loop {
            let t = self.text(css).await?;
            if pred(&t) {
                return Ok(t);
            }
            if Instant::now() > deadline {
                bail!("{css} never showed {what}; last text: {t:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Presses and releases a key like a keyboard does: it goes to whatever has the focus
    /// (element "send keys" would focus the element first, which resets date fields to their
    /// first part).
    pub async fn press(&self, key: fantoccini::key::Key) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let value = char::from(key);
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client.perform_actions(keys).await?;
        Ok(())
    }

    /// Runs a script and returns its JSON result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client.execute(script, args).await?)
    }

    /// What a user would see as cut or crowded on the current screen, one sentence each:
    /// the page scrolling sideways; a control, heading or text outside the window or clipped
    /// by a box that does not scroll (and has no tooltip to read it whole); a button whose
    /// words break onto three lines; a box that scrolls sideways (unless marked `data-wide`);
    /// a dialog taller or wider than the window; a top bar on
    /// more than one row. Empty when the screen is clean.
    pub async fn layout_problems(&self) -> Result<Vec<String>> {
        let v = self.js(LAYOUT_CHECK, vec![]).await?;
        Ok(v.as_array()
            .context("the layout check returned no list")?
            .iter()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect())
    }

    /// Saves a PNG of the window's content as `<screens>/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = screens_dir();
        std::fs::create_dir_all(&dir)?;
        // let the last state change paint
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Ok(None) = self.driver.try_wait() {
            self.stop_driver();
        }
    }
}

/// Waits for a visible X window whose title contains `title` (e.g. a native GTK dialog);
/// returns its X window id. (export)
pub async fn wait_x_window(title: &str, wait: Duration) -> Result<String> {
    let deadline = Instant::now() + wait;
    loop {
        let out = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", title])
            .output()
            .context("xdotool is missing: run scripts/setup")?;
        let ids = String::from_utf8_lossy(&out.stdout);
        if let Some(id) = ids.lines().map(str::trim).find(|l| !l.is_empty()) {
            return Ok(id.to_owned());
        }
        if Instant::now() > deadline {
            bail!("no window titled {title:?} appeared");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs xdotool with `args`; fails when it does.
fn xdo(args: &[&str]) -> Result<()> {
    let st = Command::new("xdotool")
        .args(args)
        .status()
        .context("xdotool is missing: run scripts/setup")?;
    if !st.success() {
        bail!("xdotool {args:?} failed");
    }
    Ok(())
}

/// Waits until no visible window is titled `title` (a dialog that accepted its input).
async fn wait_dialog_gone(title: &str, path: &Path) -> Result<()> {
    let deadline = Instant::now() + STEP;
    loop {
        let out = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", title])
            .output()?;
        if String::from_utf8_lossy(&out.stdout).trim().is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the dialog {title:?} did not accept {}", path.display());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Drives a GTK *save* dialog titled `title`: types the absolute `path` into its name field
/// (GTK accepts a full path there) and confirms.
pub async fn save_in_native_dialog(title: &str, path: &Path) -> Result<()> {
    type_path_in_dialog(title, path, &["ctrl+a"]).await
}

/// Drives a native GTK file chooser titled `title` to `path` with real key presses
/// (see /work/shared/gui-testing.md): focus it, leave "Recent", type the path, Return.
/// Works for folder, open and save dialogs. (export)
pub async fn choose_in_native_dialog(title: &str, path: &Path) -> Result<()> {
    type_path_in_dialog(title, path, &["alt+Home", "ctrl+l"]).await
}

/// Focuses the dialog titled `title` once GTK has mapped it, presses `keys` (each followed by
/// a short pause), types `path`, presses Return and waits for the dialog to close.
async fn type_path_in_dialog(title: &str, path: &Path, keys: &[&str]) -> Result<()> {
    let w = wait_x_window(title, STEP).await?;
    // let GTK finish mapping the dialog before typing
    tokio::time::sleep(Duration::from_millis(500)).await;
    xdo(&["windowfocus", "--sync", &w])?;
    for key in keys {
        xdo(&["key", key])?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    xdo(&["type", "--delay", "10", &path.display().to_string()])?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    xdo(&["key", "Return"])?;
    wait_dialog_gone(title, path).await
}

/// Every file under `dir` whose bytes contain `needle` (links to files are read, links to
/// folders not followed, so a loop cannot trap the scan); `seen` counts the files read.
pub fn files_containing(dir: &Path, needle: &[u8], out: &mut Vec<PathBuf>, seen: &mut usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            files_containing(&p, needle, out, seen);
        } else if ft.is_file() || (ft.is_symlink() && p.is_file()) {
            *seen += 1;
            if let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                out.push(p);
            }
        }
    }
}

/// Our own lab server with the demo workspace (credentials demo/demo), its data in
/// `root/server`, on 127.0.0.1:0.
pub async fn demo_server(root: &Path) -> Result<lab_sandbox::Running> {
    let dir = root.join("server");
    std::fs::create_dir_all(&dir)?;
    let sandbox = lab_sandbox::Sandbox::open(lab_sandbox::Config::new(&dir))?;
    sandbox.load_demo()?;
    Ok(lab_sandbox::start(sandbox, "127.0.0.1:0".parse()?).await?)
}

/// A client of the demo server (demo/demo), to check what the window did against the API.
pub fn demo_oracle(base_url: &str) -> Result<lab_client::LabClient> {
    Ok(lab_client::LabClient::new(
        base_url,
        lab_client::Credentials::new("demo", "demo"),
        lab_client::ClientOptions::default(),
    )?)
}

/// Every task matching `filter`, as the API gives them.
pub async fn list_tasks(
    client: &lab_client::LabClient,
    filter: lab_client::TaskFilter,
) -> Result<Vec<Value>> {
    use futures::StreamExt;
    let mut pages = Box::pin(client.task_pages(filter));
    let mut out = Vec::new();
    while let Some(p) = pages.next().await {
        out.extend(p?.tasks);
    }
    Ok(out)
}

/// Goes back to the projects list (from wherever the window is) and opens `project`'s screen.
pub async fn open_project(app: &App, project: &str) -> Result<()> {
    app.js(
        "document.querySelector('nav.crumbs > button')?.click(); return true;",
        vec![],
    )
    .await?;
    app.click(&format!("button[data-project-id={project}]"))
        .await?;
    app.el("[data-testid=batches]").await?;
    Ok(())
}

/// Adds a profile named `name` for `endpoint` through the profile form (the secret goes to
/// the keychain) and connects with it.
pub async fn connect_profile(
    app: &App,
    name: &str,
    endpoint: &str,
    access_id: &str,
    secret: &str,
) -> Result<()> {
    app.wait_text("[data-testid=connected-as]", "a connection", |t| {
        !t.is_empty()
    })
    .await?;
    app.click_button("Profiles…").await?;
    app.click_button("Add a profile…").await?;
    app.set_value("input[name=name]", name).await?;
    app.set_value("input[name=endpoint]", endpoint).await?;
    app.set_value("input[name=accessId]", access_id).await?;
    app.set_value("input[name=secretKey]", secret).await?;
    app.click_button("Save and connect").await?;
    app.wait_text("[data-testid=connected-as]", name, |t| t.contains(name))
        .await?;
    Ok(())
}

/// Emits a webview drag-drop event as the OS would (`kind`: drag-enter, drag-drop, drag-leave).
pub async fn emit_drag(app: &App, kind: &str, paths: &[PathBuf]) -> Result<()> {
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    app.js(
        r#"const [event, paths] = arguments;
           const payload = event === 'tauri://drag-leave' ? null : { paths, position: { x: 400, y: 300 } };
           return window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload }).then(() => true);"#,
        vec![json!(format!("tauri://{kind}")), json!(paths)],
    )
    .await
    .with_context(|| format!("emitting tauri://{kind}"))?;
    Ok(())
}

/// Waits until the screen listens to drops: a drag-enter shows the highlight.
pub async fn wait_drop_ready(app: &App, paths: &[PathBuf]) -> Result<()> {
    let deadline = Instant::now() + STEP;
    loop {
        emit_drag(app, "drag-enter", paths).await?;
        if app
            .el_within(".create-drop-overlay", Duration::from_millis(500))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the create screen never reacted to a drag-enter");
        }
    }
}

/// Waits until the task browser's search numbered above `after_seq` has loaded and the rows
/// on screen have been read (no placeholder row or cell left); returns (loaded, total).
pub async fn wait_loaded(app: &App, after_seq: u64) -> Result<(u64, u64)> {
    let done = wait_searched(app, after_seq).await?;
    wait_rows_read(app).await?;
    Ok(done)
}

/// Waits until the rows on screen of the table or gallery have been read (a finished search
/// shows placeholders until its rows come back by range).
pub async fn wait_rows_read(app: &App) -> Result<()> {
    let deadline = Instant::now() + STEP;
    const PLACEHOLDERS: &str = "return document.querySelectorAll('[data-testid=task-grid] .grid-row.pending, [data-testid=gallery] .cell-card.pending').length;";
    loop {
        let left = app.js(PLACEHOLDERS, vec![]).await?.as_u64().unwrap_or(0);
        if left == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{left} rows on screen were never read");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The search part of [`wait_loaded`]: its status says everything was loaded.
async fn wait_searched(app: &App, after_seq: u64) -> Result<(u64, u64)> {
    let deadline = Instant::now() + STEP;
    loop {
        let st = app.el("[data-testid=load-status]").await?;
        let seq: u64 = st
            .attr("data-seq")
            .await?
            .unwrap_or_default()
            .parse()
            .unwrap_or(0);
        let loading = st.attr("data-loading").await?.unwrap_or_default();
        let text = st.text().await?;
        if seq > after_seq
            && loading == "false"
            && let Some((l, t)) = parse_loaded(&text)
        {
            ensure!(l == t, "the search finished with {l} of {t} tasks loaded");
            return Ok((l, t));
        }
        if Instant::now() > deadline {
            let err = app.text("[role=alert]").await.unwrap_or_default();
            bail!("the task search never finished (status {text:?}, error {err:?})");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The current search number of the task browser (see [`wait_loaded`]).
pub async fn load_seq(app: &App) -> Result<u64> {
    Ok(app
        .el("[data-testid=load-status]")
        .await?
        .attr("data-seq")
        .await?
        .unwrap_or_default()
        .parse()
        .unwrap_or(0))
}

/// Quotes `s` as an XPath string literal.
pub fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// Parses "12 of 40 loaded" into (12, 40).
pub fn parse_loaded(text: &str) -> Option<(u64, u64)> {
    let mut it = text.split_whitespace();
    let loaded = it.next()?.parse().ok()?;
    if it.next()? != "of" {
        return None;
    }
    let total = it.next()?.parse().ok()?;
    if it.next()? != "loaded" {
        return None;
    }
    Some((loaded, total))
}

/// A WebDriver error saying the element was replaced in the page since it was found.
/// What a failed find says about the page.
#[derive(Debug, PartialEq)]
enum FindAnswer {
    /// No such element (yet).
    NotYet,
    /// An error code with no message: nothing known about the page.
    Unexplained(String),
    /// A real failure (the session is gone, the selector is wrong…).
    Failed,
}

fn find_answer(e: &fantoccini::error::CmdError) -> FindAnswer {
    use fantoccini::error::{CmdError, ErrorStatus};
    match e {
        CmdError::Standard(w) if w.error == ErrorStatus::NoSuchElement => FindAnswer::NotYet,
        CmdError::Standard(w) if w.message.trim().is_empty() => {
            FindAnswer::Unexplained(format!("{:?}", w.error))
        }
        _ => FindAnswer::Failed,
    }
}

fn is_stale(e: &anyhow::Error) -> bool {
    let text = format!("{e:#}");
    text.contains("was not found") || text.to_ascii_lowercase().contains("stale element")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_find_without_message_is_told_from_a_missing_element_and_a_failure() {
        use fantoccini::error::{CmdError, ErrorStatus, WebDriver};
        let answer = |status, message: &'static str| {
            find_answer(&CmdError::Standard(WebDriver::new(status, message)))
        };
        assert_eq!(
            answer(ErrorStatus::NoSuchElement, "none"),
            FindAnswer::NotYet
        );
        assert_eq!(
            answer(ErrorStatus::UnknownError, ""),
            FindAnswer::Unexplained("UnknownError".into())
        );
        assert_eq!(
            answer(ErrorStatus::InvalidSelector, "bad css"),
            FindAnswer::Failed
        );
        assert_eq!(find_answer(&CmdError::WaitTimeout), FindAnswer::Failed);
    }

    #[test]
    fn replaced_nodes_are_told_from_other_failures() {
        assert!(is_stale(&anyhow::anyhow!(
            "webdriver returned error: Node with identifier 'node-B05' was not found"
        )));
        assert!(is_stale(
            &anyhow::anyhow!("stale element reference").context("clicking #x")
        ));
        assert!(!is_stale(&anyhow::anyhow!("element stayed disabled")));
    }

    #[test]
    fn parses_the_load_status() {
        assert_eq!(parse_loaded("12 of 40 loaded · 2 selected"), Some((12, 40)));
        assert_eq!(parse_loaded("Loading…"), None);
    }

    #[test]
    fn quotes_xpath_literals() {
        assert_eq!(xpath_literal("a"), "'a'");
        assert_eq!(xpath_literal("it's"), "\"it's\"");
        assert_eq!(xpath_literal("a'b\"c"), "concat('a', \"'\", 'b\"c')");
    }
}
