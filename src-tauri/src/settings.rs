//! App settings and state in `settings.json` in the app config dir: language, theme, last project
//! and the window's size and position. Never a secret. (Saved views are `views.json`, export
//! recipes and history `export-history.json`, profiles `profiles.json`, all in the same dir.)
//!
//! The file carries a schema `version`; older files are migrated on load (v0 = no version field,
//! flat `locale`/`width`/`height` keys; v1 = `lastProjectId` only). A file that cannot be read as
//! JSON is moved aside to `settings.json.corrupt-<unix secs>` and defaults are used, with a notice
//! the window shows once. Writes go through a temp file + rename.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use labdesk_app::error::{AppError, AppResult, ErrorKind};
use labdesk_app::store::write_json;

/// The current schema version of `settings.json`.
pub const SETTINGS_VERSION: u32 = 2;
pub const FILE_NAME: &str = "settings.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Language {
    /// Follow the OS locale.
    #[default]
    System,
    En,
    Fr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// The project the window showed last, reopened on start when the same profile connects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LastProject {
    pub profile_id: String,
    pub project_id: String,
    pub project_name: String,
}

/// Window geometry in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WindowState {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    #[serde(default)]
    pub maximized: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub language: Language,
    pub theme: Theme,
    pub last_project: Option<LastProject>,
    pub window: Option<WindowState>,
    /// How much of the activity log is kept.
    pub activity_retention: lab_activity::Retention,
    /// Set (not saved) when the file was damaged and reset; the window shows it once.
    #[serde(skip_deserializing)]
    pub startup_notice: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: Language::System,
            theme: Theme::System,
            last_project: None,
            window: None,
            activity_retention: lab_activity::Retention::default(),
            startup_notice: None,
        }
    }
}

#[derive(Serialize)]
struct OnDisk<'a> {
    version: u32,
    #[serde(flatten)]
    settings: &'a Settings,
}

/// Brings a parsed settings document of any known version to the current shape.
pub fn migrate(mut doc: Map<String, Value>) -> Result<Map<String, Value>, String> {
    let version = match doc.get("version") {
        None => 0,
        Some(v) => {
            v.as_u64()
                .ok_or_else(|| "the version field is not a number".to_owned())? as u32
        }
    };
    if version > SETTINGS_VERSION {
        return Err(format!(
            "it was written by a newer Lab Desk (settings version {version})"
        ));
    }
    if version == 0 {
        // v0: {"locale": "fr-FR", "width": 1000, "height": 700, "x": 10, "y": 20, "lastProjectId": "…"}
        if let Some(locale) = doc.remove("locale") {
            let lang = match locale.as_str().map(|s| s.to_ascii_lowercase()) {
                Some(s) if s.starts_with("fr") => "fr",
                Some(s) if s.starts_with("en") => "en",
                _ => "system",
            };
            doc.insert("language".into(), Value::from(lang));
        }
        let num = |d: &Map<String, Value>, k: &str| d.get(k).and_then(Value::as_f64);
        if let (Some(w), Some(h)) = (num(&doc, "width"), num(&doc, "height")) {
            let win = serde_json::json!({
                "x": num(&doc, "x").unwrap_or(0.0),
                "y": num(&doc, "y").unwrap_or(0.0),
                "width": w,
                "height": h,
                "maximized": false,
            });
            doc.insert("window".into(), win);
        }
        for k in ["width", "height", "x", "y"] {
            doc.remove(k);
        }
    }
    if version <= 1 {
        // v1 kept only the project id (and its profile); v2 also keeps the name to show it at once.
        let id = doc.remove("lastProjectId");
        let profile = doc.remove("lastProfileId");
        if let Some(Value::String(project_id)) = id {
            doc.insert(
                "lastProject".into(),
                serde_json::json!({
                    "profileId": profile.and_then(|p| p.as_str().map(str::to_owned)).unwrap_or_default(),
                    "projectId": project_id,
                    "projectName": project_id,
                }),
            );
        }
    }
    doc.insert("version".into(), Value::from(SETTINGS_VERSION));
    Ok(doc)
}

/// Parses the file's bytes (any known version) into settings.
pub fn parse(bytes: &[u8]) -> Result<Settings, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let Value::Object(doc) = v else {
        return Err("it is not a JSON object".into());
    };
    let doc = migrate(doc)?;
    serde_json::from_value(Value::Object(doc)).map_err(|e| e.to_string())
}

/// Settings on disk, cached in memory; every change is written at once.
pub struct SettingsStore {
    path: PathBuf,
    current: Mutex<Settings>,
}

impl SettingsStore {
    /// Loads `config_dir/settings.json`, migrating old versions. A damaged file is moved aside
    /// and defaults are used; `startup_notice` then says so and where the old file went.
    pub fn open(config_dir: &Path) -> Self {
        let path = config_dir.join(FILE_NAME);
        let settings = match std::fs::read(&path) {
            Err(_) => Settings::default(),
            Ok(bytes) => match parse(&bytes) {
                Ok(s) => s,
                Err(why) => {
                    let stamp = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or_default();
                    let backup = path.with_file_name(format!("{FILE_NAME}.corrupt-{stamp}"));
                    let moved = std::fs::rename(&path, &backup).is_ok();
                    tracing::warn!(file = %path.display(), reason = %why, "settings file damaged, using defaults");
                    Settings {
                        startup_notice: Some(if moved {
                            format!(
                                "Your settings file could not be read ({why}). Lab Desk started with default settings and kept the old file as {}.",
                                backup.display()
                            )
                        } else {
                            format!(
                                "Your settings file could not be read ({why}). Lab Desk started with default settings."
                            )
                        }),
                        ..Settings::default()
                    }
                }
            },
        };
        Self {
            path,
            current: Mutex::new(settings),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Settings> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self) -> Settings {
        self.lock().clone()
    }

    /// Applies `f` and saves; on an error (from `f` or the write) nothing changes.
    pub fn try_modify(
        &self,
        f: impl FnOnce(&mut Settings) -> AppResult<()>,
    ) -> AppResult<Settings> {
        let mut cur = self.lock();
        let mut next = cur.clone();
        f(&mut next)?;
        let on_disk = Settings {
            startup_notice: None,
            ..next.clone()
        };
        write_json(
            &self.path,
            &OnDisk {
                version: SETTINGS_VERSION,
                settings: &on_disk,
            },
        )?;
        *cur = next.clone();
        Ok(next)
    }

    pub fn modify(&self, f: impl FnOnce(&mut Settings)) -> AppResult<Settings> {
        self.try_modify(|s| {
            f(s);
            Ok(())
        })
    }

    /// Shallow merge of the top-level keys in `patch` (the UI sends only what it changes).
    /// [`SettingsStore::update`], then the activity log trimmed to a retention that changed.
    pub fn update_and_prune(
        &self,
        patch: Value,
        core: &labdesk_app::core::Core,
    ) -> AppResult<Settings> {
        let retention_changed = patch.get("activityRetention").is_some();
        let s = self.update(patch)?;
        if retention_changed {
            core.activity_prune(&s.activity_retention)?;
        }
        Ok(s)
    }

    pub fn update(&self, patch: Value) -> AppResult<Settings> {
        let Value::Object(patch) = patch else {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.settingsNotObject",
                &[],
            ));
        };
        self.try_modify(|cur| {
            let Value::Object(mut doc) = serde_json::to_value(&*cur)
                .map_err(|e| AppError::internal(format!("could not encode settings: {e}")))?
            else {
                return Err(AppError::internal("settings are not an object"));
            };
            for (k, v) in patch {
                if k == "startupNotice" || k == "window" {
                    continue; // read-only from the window
                }
                if !doc.contains_key(&k) {
                    return Err(AppError::msg(
                        ErrorKind::BadInput,
                        "err.unknownSetting",
                        &[("name", &k)],
                    ));
                }
                doc.insert(k, v);
            }
            let next: Settings = serde_json::from_value(Value::Object(doc)).map_err(|e| {
                AppError::msg(
                    ErrorKind::BadInput,
                    "err.settingInvalid",
                    &[("detail", &e.to_string())],
                )
            })?;
            cur.language = next.language;
            cur.theme = next.theme;
            cur.last_project = next.last_project;
            let r = next.activity_retention;
            if !(1..=10_240).contains(&r.max_mib) || r.max_days == Some(0) {
                return Err(AppError::msg(
                    ErrorKind::BadInput,
                    "err.retentionInvalid",
                    &[],
                ));
            }
            cur.activity_retention = r;
            Ok(())
        })
    }

    pub fn set_window(&self, w: WindowState) -> AppResult<()> {
        if self.get().window == Some(w) {
            return Ok(());
        }
        self.modify(|s| s.window = Some(w)).map(|_| ())
    }
}

/// A rectangle in logical pixels (a monitor's work area).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// How much of the window must be on a screen to keep its place (title bar reachable).
const MIN_VISIBLE: f64 = 120.0;

/// Where to put a restored window: unchanged when enough of it is on a monitor; otherwise moved
/// onto the first (primary) monitor, shrunk to fit it. `None` when there is no monitor to check.
pub fn clamp_to_screens(w: WindowState, monitors: &[Rect], min: (f64, f64)) -> Option<WindowState> {
    let first = monitors.first()?;
    let width = w.width.max(min.0);
    let height = w.height.max(min.1);
    let visible = |m: &Rect| {
        let ix = (w.x + width).min(m.x + m.width) - w.x.max(m.x);
        let iy = (w.y + height).min(m.y + m.height) - w.y.max(m.y);
        // the top edge (title bar) must be on this monitor
        ix >= MIN_VISIBLE && iy >= MIN_VISIBLE.min(height) && w.y >= m.y && w.y < m.y + m.height
    };
    if let Some(m) = monitors.iter().find(|m| visible(m)) {
        return Some(WindowState {
            width: width.min(m.width),
            height: height.min(m.height),
            ..w
        });
    }
    let width = width.min(first.width);
    let height = height.min(first.height);
    Some(WindowState {
        x: first.x + (first.width - width) / 2.0,
        y: first.y + (first.height - height) / 2.0,
        width,
        height,
        maximized: w.maximized,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path) -> SettingsStore {
        SettingsStore::open(dir)
    }

    #[test]
    fn defaults_when_no_file_and_changes_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        assert_eq!(s.get(), Settings::default());
        s.update(serde_json::json!({"language": "fr", "lastProject": {"profileId": "local-sandbox", "projectId": "p1", "projectName": "Demo"}}))
            .unwrap();
        s.set_window(WindowState {
            x: 10.0,
            y: 20.0,
            width: 1000.0,
            height: 700.0,
            maximized: false,
        })
        .unwrap();
        let again = store(dir.path()).get();
        assert_eq!(again.language, Language::Fr);
        assert_eq!(again.last_project.unwrap().project_name, "Demo");
        assert_eq!(again.window.unwrap().width, 1000.0);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.contains("\"version\": 2"), "{text}");
        assert!(!dir.path().join("settings.json.tmp").exists());
    }

    #[test]
    fn update_merges_only_the_given_keys_and_refuses_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        s.update(serde_json::json!({"theme": "dark"})).unwrap();
        let after = s.update(serde_json::json!({"language": "en"})).unwrap();
        assert_eq!(after.theme, Theme::Dark);
        assert_eq!(after.language, Language::En);
        let e = s.update(serde_json::json!({"language": "de"})).unwrap_err();
        assert!(e.message.contains("not valid"), "{}", e.message);
        let e = s.update(serde_json::json!({"secretKey": "x"})).unwrap_err();
        assert!(e.message.contains("Unknown setting"));
        let e = s
            .update(serde_json::json!({"lastProject": {"projectId": 3}}))
            .unwrap_err();
        assert!(e.message.contains("not valid"), "{}", e.message);
        // nothing of the refused updates was kept
        assert_eq!(store(dir.path()).get().language, Language::En);
    }

    #[test]
    fn v0_file_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE_NAME),
            r#"{"locale":"fr-FR","width":1111,"height":777,"x":5,"y":6,"lastProjectId":"p9","lastProfileId":"prof"}"#,
        )
        .unwrap();
        let s = store(dir.path()).get();
        assert_eq!(s.language, Language::Fr);
        assert_eq!(
            s.window,
            Some(WindowState {
                x: 5.0,
                y: 6.0,
                width: 1111.0,
                height: 777.0,
                maximized: false
            })
        );
        let lp = s.last_project.unwrap();
        assert_eq!(
            (lp.profile_id.as_str(), lp.project_id.as_str()),
            ("prof", "p9")
        );
        assert!(s.startup_notice.is_none());
    }

    #[test]
    fn v1_file_is_migrated_and_saved_as_current() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE_NAME),
            r#"{"version":1,"language":"en","theme":"light","lastProjectId":"p2"}"#,
        )
        .unwrap();
        let st = store(dir.path());
        let s = st.get();
        assert_eq!(s.theme, Theme::Light);
        assert_eq!(s.last_project.unwrap().project_id, "p2");
        st.update(serde_json::json!({"language": "fr"})).unwrap();
        let v: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(FILE_NAME)).unwrap()).unwrap();
        assert_eq!(v["version"], 2);
        assert!(v.get("lastProjectId").is_none());
        assert_eq!(v["lastProject"]["projectId"], "p2");
    }

    #[test]
    fn corrupt_file_is_backed_up_and_defaults_used_with_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"{\"language\": \"fr\", oops").unwrap();
        let st = store(dir.path());
        let s = st.get();
        assert_eq!(s.language, Language::System);
        let notice = s.startup_notice.expect("a notice");
        assert!(notice.contains("could not be read"), "{notice}");
        let backups: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("settings.json.corrupt-")
            })
            .collect();
        assert_eq!(backups.len(), 1);
        assert_eq!(
            std::fs::read(backups[0].path()).unwrap(),
            b"{\"language\": \"fr\", oops"
        );
        assert!(!dir.path().join(FILE_NAME).exists());
        // the notice is not written to disk
        st.update(serde_json::json!({"theme": "dark"})).unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!text.contains("could not be read"), "{text}");
    }

    #[test]
    fn newer_version_is_not_overwritten_silently() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), br#"{"version": 99}"#).unwrap();
        let s = store(dir.path()).get();
        assert!(s.startup_notice.unwrap().contains("newer Lab Desk"));
    }

    #[test]
    fn clamp_keeps_visible_windows_and_moves_lost_ones() {
        let screens = [
            Rect {
                x: 0.0,
                y: 0.0,
                width: 1280.0,
                height: 800.0,
            },
            Rect {
                x: 1280.0,
                y: 0.0,
                width: 1920.0,
                height: 1080.0,
            },
        ];
        let w = |x, y, width, height| WindowState {
            x,
            y,
            width,
            height,
            maximized: false,
        };
        // on the second screen: kept
        let k =
            clamp_to_screens(w(1500.0, 100.0, 1000.0, 700.0), &screens, (900.0, 600.0)).unwrap();
        assert_eq!(k, w(1500.0, 100.0, 1000.0, 700.0));
        // a screen that is gone: centred on the first, shrunk to fit
        let m = clamp_to_screens(
            w(5000.0, 3000.0, 1600.0, 1000.0),
            &screens[..1],
            (900.0, 600.0),
        )
        .unwrap();
        assert_eq!(m, w(0.0, 0.0, 1280.0, 800.0));
        // title bar above the screen: moved
        let t =
            clamp_to_screens(w(100.0, -500.0, 1000.0, 700.0), &screens, (900.0, 600.0)).unwrap();
        assert_eq!(t, w(140.0, 50.0, 1000.0, 700.0));
        // below the minimum size: grown to it
        let g = clamp_to_screens(w(10.0, 10.0, 100.0, 100.0), &screens, (900.0, 600.0)).unwrap();
        assert_eq!(g, w(10.0, 10.0, 900.0, 600.0));
        assert!(clamp_to_screens(w(0.0, 0.0, 1.0, 1.0), &[], (1.0, 1.0)).is_none());
    }
}

// ---------- the window (Tauri side; the logic above is tested without a window) ----------

/// Puts the main window where it was last time, kept on a visible screen.
pub fn restore_window(w: &tauri::WebviewWindow, store: &SettingsStore) {
    let Some(saved) = store.get().window else {
        return;
    };
    let monitors: Vec<Rect> = w
        .available_monitors()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let sf = m.scale_factor();
            let p = m.position().to_logical::<f64>(sf);
            let s = m.size().to_logical::<f64>(sf);
            Rect {
                x: p.x,
                y: p.y,
                width: s.width,
                height: s.height,
            }
        })
        .collect();
    let Some(place) = clamp_to_screens(saved, &monitors, (900.0, 600.0)) else {
        return;
    };
    let _ = w.set_size(tauri::LogicalSize::new(place.width, place.height));
    let _ = w.set_position(tauri::LogicalPosition::new(place.x, place.y));
    if place.maximized {
        let _ = w.maximize();
    }
}

fn current_geometry(w: &tauri::WebviewWindow) -> Option<WindowState> {
    let sf = w.scale_factor().ok()?;
    let maximized = w.is_maximized().unwrap_or(false);
    if w.is_minimized().unwrap_or(false) {
        return None;
    }
    let p = w.outer_position().ok()?.to_logical::<f64>(sf);
    let s = w.inner_size().ok()?.to_logical::<f64>(sf);
    Some(WindowState {
        x: p.x,
        y: p.y,
        width: s.width,
        height: s.height,
        maximized,
    })
}

/// Saves the window's geometry after moves and resizes (debounced) and when it closes.
pub fn track_window(app: &tauri::AppHandle, w: &tauri::WebviewWindow) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use tauri::Manager;
    let pending = std::sync::Arc::new(AtomicBool::new(false));
    let app = app.clone();
    let win = w.clone();
    w.on_window_event(move |e| {
        let now = match e {
            tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_) => false,
            tauri::WindowEvent::CloseRequested { .. } | tauri::WindowEvent::Destroyed => true,
            _ => return,
        };
        let save = {
            let app = app.clone();
            let win = win.clone();
            move || {
                let (Some(store), Some(mut g)) =
                    (app.try_state::<SettingsStore>(), current_geometry(&win))
                else {
                    return;
                };
                if g.maximized {
                    // keep the restored size under the maximized one
                    if let Some(old) = store.get().window {
                        g = WindowState {
                            maximized: true,
                            ..old
                        };
                    }
                }
                if let Err(e) = store.set_window(g) {
                    tracing::warn!(error = %e, "window position not saved");
                }
            }
        };
        if now {
            save();
        } else if !pending.swap(true, Ordering::SeqCst) {
            let pending = pending.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(400));
                pending.store(false, Ordering::SeqCst);
                save();
            });
        }
    });
}

// ---------- commands ----------

#[labdesk_macros::command]
pub fn get_settings(store: tauri::State<'_, SettingsStore>) -> Settings {
    store.get()
}

#[labdesk_macros::command]
pub fn update_settings(
    store: tauri::State<'_, SettingsStore>,
    core: tauri::State<'_, labdesk_app::core::Core>,
    patch: Value,
) -> AppResult<Settings> {
    store.update_and_prune(patch, &core)
}
