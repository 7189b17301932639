//! Native file dialogs (rfd with its GTK 3 backend; the xdg-portal backend answers nothing when
//! no portal runs). Owner: export.
//!
//! GTK threading: rfd's async dialogs queue their work on the default GLib main context with
//! `g_idle_add`, which Tauri's main loop (the GTK main thread) dispatches; the dialog is built,
//! shown and answered on that thread and the future resolves on whatever task awaits it. So the
//! functions here are plain `async fn`s usable from any async command. (rfd's *blocking* calls
//! would deadlock if called on the main thread: never use them in the app.)
//!
//! Titles come from the UI (translated); tests find the dialog window by that title.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use labdesk_app::error::AppResult;

/// A file-type filter of an open/save dialog: `{ name: "Images", extensions: ["png", "jpg"] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DialogFilter {
    pub name: String,
    /// Extensions without the dot.
    pub extensions: Vec<String>,
}

fn base(title: &str, start: Option<&Path>, filters: &[DialogFilter]) -> rfd::AsyncFileDialog {
    let mut d = rfd::AsyncFileDialog::new().set_title(title);
    if let Some(dir) = start.filter(|d| d.is_dir()) {
        d = d.set_directory(dir);
    }
    for f in filters {
        let exts: Vec<&str> = f
            .extensions
            .iter()
            .map(|e| e.trim_start_matches('.'))
            .filter(|e| !e.is_empty())
            .collect();
        if !exts.is_empty() {
            d = d.add_filter(&f.name, exts.as_slice());
        }
    }
    d
}

/// "Choose a folder": the chosen folder, or `None` when the user cancelled.
pub async fn pick_folder(title: &str, start: Option<&Path>) -> Option<PathBuf> {
    base(title, start, &[])
        .set_can_create_directories(true)
        .pick_folder()
        .await
        .map(|h| h.path().to_path_buf())
}

/// "Choose files" (several allowed), restricted by `filters` when given; empty when cancelled.
pub async fn pick_files(
    title: &str,
    filters: &[DialogFilter],
    start: Option<&Path>,
) -> Vec<PathBuf> {
    base(title, start, filters)
        .pick_files()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|h| h.path().to_path_buf())
        .collect()
}

/// "Choose a file": one file, or `None` when cancelled.
pub async fn pick_file(
    title: &str,
    filters: &[DialogFilter],
    start: Option<&Path>,
) -> Option<PathBuf> {
    base(title, start, filters)
        .pick_file()
        .await
        .map(|h| h.path().to_path_buf())
}

/// "Save as": proposes `default_name` (given the extension when it lacks it); GTK asks before
/// replacing an existing file. The answer always ends with `.extension` when one is given.
/// `None` when cancelled.
pub async fn save_file(
    title: &str,
    default_name: &str,
    extension: Option<&str>,
    start: Option<&Path>,
) -> Option<PathBuf> {
    let ext = extension
        .map(|e| e.trim_start_matches('.'))
        .filter(|e| !e.is_empty());
    let filters: Vec<DialogFilter> = ext
        .map(|e| DialogFilter {
            name: format!(".{e}"),
            extensions: vec![e.to_owned()],
        })
        .into_iter()
        .collect();
    let name = match ext {
        Some(e) => with_extension(Path::new(default_name), e)
            .to_string_lossy()
            .into_owned(),
        None => default_name.to_owned(),
    };
    let chosen = base(title, start, &filters)
        .set_can_create_directories(true)
        .set_file_name(name)
        .save_file()
        .await
        .map(|h| h.path().to_path_buf())?;
    Some(match ext {
        Some(e) => with_extension(&chosen, e),
        None => chosen,
    })
}

/// `path` ending with `.ext` (case-insensitive check; appended when missing, never replaced:
/// "data.v2" becomes "data.v2.csv").
pub fn with_extension(path: &Path, ext: &str) -> PathBuf {
    let ext = ext.trim_start_matches('.');
    let has = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext));
    if has || ext.is_empty() {
        path.to_path_buf()
    } else {
        let mut s = path.as_os_str().to_owned();
        s.push(".");
        s.push(ext);
        PathBuf::from(s)
    }
}

// ---------- commands (one-line adapters) ----------

fn opt_path(p: &Option<String>) -> Option<&Path> {
    p.as_deref().filter(|s| !s.is_empty()).map(Path::new)
}

fn shown(p: PathBuf) -> String {
    p.display().to_string()
}

#[labdesk_macros::command]
pub async fn dialog_pick_folder(title: String, start: Option<String>) -> AppResult<Option<String>> {
    Ok(pick_folder(&title, opt_path(&start)).await.map(shown))
}

#[labdesk_macros::command]
pub async fn dialog_pick_files(
    title: String,
    filters: Vec<DialogFilter>,
    start: Option<String>,
) -> AppResult<Vec<String>> {
    Ok(pick_files(&title, &filters, opt_path(&start))
        .await
        .into_iter()
        .map(shown)
        .collect())
}

#[labdesk_macros::command]
pub async fn dialog_pick_file(
    title: String,
    filters: Vec<DialogFilter>,
    start: Option<String>,
) -> AppResult<Option<String>> {
    Ok(pick_file(&title, &filters, opt_path(&start))
        .await
        .map(shown))
}

#[labdesk_macros::command]
pub async fn dialog_save_file(
    title: String,
    default_name: String,
    extension: Option<String>,
    start: Option<String>,
) -> AppResult<Option<String>> {
    Ok(save_file(
        &title,
        &default_name,
        extension.as_deref(),
        opt_path(&start),
    )
    .await
    .map(shown))
}

/// "Save as" through the native dialog, then an atomic write. `None` when the user cancelled;
/// returns the path written.
pub async fn save_text_as(
    title: &str,
    default_name: &str,
    extension: &str,
    content: &str,
    start: Option<&Path>,
) -> AppResult<Option<String>> {
    let Some(path) = save_file(title, default_name, Some(extension), start).await else {
        return Ok(None);
    };
    labdesk_app::export::write_atomic(&path, content.as_bytes())?;
    Ok(Some(path.display().to_string()))
}

/// "Save as CSV": the native save dialog (starting in Downloads) proposing `{stem}-{date}.csv`,
/// then an atomic write; `None` when cancelled.
pub async fn save_csv_dialog<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    title: &str,
    stem: &str,
    content: &str,
) -> AppResult<Option<String>> {
    use tauri::Manager;
    let start = app.path().download_dir().ok();
    let name = labdesk_app::export::csv_default_name(stem, chrono::Local::now());
    save_text_as(title, &name, "csv", content, start.as_deref()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_is_appended_only_when_missing() {
        assert_eq!(
            with_extension(Path::new("/tmp/a"), "csv"),
            PathBuf::from("/tmp/a.csv")
        );
        assert_eq!(
            with_extension(Path::new("/tmp/a.CSV"), ".csv"),
            PathBuf::from("/tmp/a.CSV")
        );
        assert_eq!(
            with_extension(Path::new("data.v2"), "csv"),
            PathBuf::from("data.v2.csv")
        );
        assert_eq!(with_extension(Path::new("x"), ""), PathBuf::from("x"));
    }

    #[test]
    fn filters_deserialise_from_the_ui_shape() {
        let f: DialogFilter = serde_json::from_value(
            serde_json::json!({"name": "Images", "extensions": ["png", ".jpg"]}),
        )
        .unwrap();
        assert_eq!(f.name, "Images");
        assert_eq!(f.extensions, ["png", ".jpg"]);
    }
}
