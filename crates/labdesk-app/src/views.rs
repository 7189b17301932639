//! Saved views: named filters per project, in `views.json` in the app config dir.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{AppError, AppResult, ErrorKind};
use crate::store::{read_json, write_json};

/// A named task filter with its view mode and visible columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedView {
    pub name: String,
    /// The filter form's state, as the UI keeps it.
    #[ts(type = "unknown")]
    pub form: serde_json::Value,
    pub view: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ViewsFile {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    projects: BTreeMap<String, Vec<SavedView>>,
}

pub struct ViewStore {
    path: PathBuf,
}

impl ViewStore {
    pub fn new(config_dir: impl Into<PathBuf>) -> Self {
        Self {
            path: config_dir.into().join("views.json"),
        }
    }

    pub fn list(&self, project_id: &str) -> AppResult<Vec<SavedView>> {
        let f: ViewsFile = read_json(&self.path)?;
        Ok(f.projects.get(project_id).cloned().unwrap_or_default())
    }

    /// Saves (or replaces, by name) a view; returns the project's views.
    pub fn save(&self, project_id: &str, view: SavedView) -> AppResult<Vec<SavedView>> {
        let name = view.name.trim().to_owned();
        if name.is_empty() {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.viewNameMissing",
                &[],
            ));
        }
        let mut f: ViewsFile = read_json(&self.path)?;
        f.version = 1;
        let list = f.projects.entry(project_id.to_owned()).or_default();
        let view = SavedView { name, ..view };
        match list.iter_mut().find(|v| v.name == view.name) {
            Some(v) => *v = view,
            None => list.push(view),
        }
        let out = list.clone();
        write_json(&self.path, &f)?;
        Ok(out)
    }

    pub fn delete(&self, project_id: &str, name: &str) -> AppResult<Vec<SavedView>> {
        let mut f: ViewsFile = read_json(&self.path)?;
        let list = f.projects.entry(project_id.to_owned()).or_default();
        list.retain(|v| v.name != name);
        let out = list.clone();
        write_json(&self.path, &f)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, n: i64) -> SavedView {
        SavedView {
            name: name.into(),
            form: serde_json::json!({ "n": n }),
            view: "lab".into(),
            columns: vec!["name".into()],
        }
    }

    #[test]
    fn views_are_per_project_and_replace_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let s = ViewStore::new(dir.path());
        s.save("p1", v("Done", 1)).unwrap();
        s.save("p1", v("Done", 2)).unwrap();
        s.save("p2", v("Other", 3)).unwrap();
        let p1 = s.list("p1").unwrap();
        assert_eq!(p1.len(), 1);
        assert_eq!(p1[0].form["n"], 2);
        assert_eq!(s.delete("p1", "Done").unwrap().len(), 0);
        assert_eq!(s.list("p2").unwrap().len(), 1);
        assert!(s.save("p1", v("  ", 1)).is_err());
    }
}
