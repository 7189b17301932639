//! "About Lab Desk": version, git commit (embedded by build.rs), and the licences of the crates
//! and npm packages bundled into the app.
//!
//! The licence list is the checked-in file `src-tauri/licenses.json`, generated from
//! `cargo metadata` (normal dependencies of `labdesk` on x86_64 Linux) and `ui/node_modules`
//! (the UI's runtime dependencies). `cargo test -p labdesk about` fails when it is stale;
//! `LABDESK_UPDATE_LICENSES=1 cargo test -p labdesk about` rewrites it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Short git commit of the build, or "unknown" when built outside a git checkout.
pub const COMMIT: &str = env!("LABDESK_GIT_COMMIT");
const LICENSES_JSON: &str = include_str!("../licenses.json");

/// One bundled package and its licence (an SPDX expression).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LicenceEntry {
    /// "crate" or "npm".
    pub source: String,
    pub name: String,
    pub version: String,
    pub licence: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AboutInfo {
    pub version: String,
    pub commit: String,
    pub tauri_version: String,
    pub identifier: String,
    pub licences: Vec<LicenceEntry>,
}

/// The checked-in licence list.
pub fn licences() -> Vec<LicenceEntry> {
    serde_json::from_str(LICENSES_JSON).unwrap_or_default()
}

pub fn about(identifier: &str) -> AboutInfo {
    AboutInfo {
        version: VERSION.into(),
        commit: COMMIT.into(),
        tauri_version: tauri::VERSION.into(),
        identifier: identifier.into(),
        licences: licences(),
    }
}

/// Crates in the normal-dependency closure of `root` in a `cargo metadata` document
/// (build and dev dependencies are not shipped), `root` itself excluded.
pub fn crate_licences(metadata: &Value, root: &str) -> Vec<LicenceEntry> {
    let packages: BTreeMap<&str, &Value> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let Some(root_id) = packages
        .iter()
        .find(|(_, p)| p["name"] == root)
        .map(|(id, _)| *id)
    else {
        return Vec::new();
    };
    let mut seen = BTreeSet::from([root_id]);
    let mut todo = vec![root_id];
    while let Some(id) = todo.pop() {
        let Some(node) = nodes.get(id) else { continue };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let normal = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null());
            if let Some(pkg) = dep["pkg"].as_str()
                && normal
                && seen.insert(pkg)
            {
                todo.push(pkg);
            }
        }
    }
    let mut out: Vec<LicenceEntry> = seen
        .into_iter()
        .filter(|id| *id != root_id)
        .filter_map(|id| packages.get(id))
        .map(|p| LicenceEntry {
            source: "crate".into(),
            name: p["name"].as_str().unwrap_or_default().into(),
            version: p["version"].as_str().unwrap_or_default().into(),
            licence: p["license"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| {
                    p["license_file"]
                        .as_str()
                        .map(|_| "see licence file".to_owned())
                })
                .unwrap_or_else(|| "unknown".into()),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn npm_licence(pkg: &Value) -> String {
    match &pkg["license"] {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .into(),
        _ => match pkg["licenses"].as_array() {
            Some(l) => l
                .iter()
                .filter_map(|x| x["type"].as_str())
                .collect::<Vec<_>>()
                .join(" OR "),
            None => "unknown".into(),
        },
    }
}

/// npm packages the UI bundle ships: `dependencies` of `ui/package.json`, recursively through
/// `node_modules` (dev dependencies only build it).
pub fn npm_licences(ui_dir: &Path) -> Vec<LicenceEntry> {
    let read = |p: &Path| -> Option<Value> { serde_json::from_slice(&std::fs::read(p).ok()?).ok() };
    let Some(root) = read(&ui_dir.join("package.json")) else {
        return Vec::new();
    };
    let deps = |v: &Value| -> Vec<String> {
        v["dependencies"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut seen = BTreeSet::new();
    let mut todo = deps(&root);
    let mut out = Vec::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(pkg) = read(&ui_dir.join("node_modules").join(&name).join("package.json")) else {
            continue;
        };
        out.push(LicenceEntry {
            source: "npm".into(),
            name: name.clone(),
            version: pkg["version"].as_str().unwrap_or_default().into(),
            licence: npm_licence(&pkg),
        });
        todo.extend(deps(&pkg));
    }
    out.sort();
    out
}

/// Everything, crates first then npm, each sorted by name.
pub fn generate(workspace: &Path, metadata: &Value) -> Vec<LicenceEntry> {
    let mut all = crate_licences(metadata, "labdesk");
    all.extend(npm_licences(&workspace.join("ui")));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_closure_follows_normal_deps_only() {
        let meta = serde_json::json!({
            "packages": [
                {"id": "app", "name": "labdesk", "version": "0.1.0", "license": "MIT"},
                {"id": "a", "name": "a", "version": "1.0.0", "license": "MIT OR Apache-2.0"},
                {"id": "b", "name": "b", "version": "2.0.0", "license": null, "license_file": "LICENSE"},
                {"id": "dev", "name": "devonly", "version": "1.0.0", "license": "GPL-3.0"},
                {"id": "bld", "name": "buildonly", "version": "1.0.0", "license": "GPL-3.0"}
            ],
            "resolve": {"nodes": [
                {"id": "app", "deps": [
                    {"pkg": "a", "dep_kinds": [{"kind": null}]},
                    {"pkg": "dev", "dep_kinds": [{"kind": "dev"}]},
                    {"pkg": "bld", "dep_kinds": [{"kind": "build"}]}
                ]},
                {"id": "a", "deps": [{"pkg": "b", "dep_kinds": [{"kind": null}]}]},
                {"id": "b", "deps": []}
            ]}
        });
        let l = crate_licences(&meta, "labdesk");
        let names: Vec<_> = l.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(l[1].licence, "see licence file");
    }

    #[test]
    fn npm_runtime_deps_are_walked_recursively() {
        let dir = tempfile::tempdir().unwrap();
        let w = |p: &str, v: Value| {
            let f = dir.path().join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, v.to_string()).unwrap();
        };
        w(
            "package.json",
            serde_json::json!({"dependencies": {"react-dom": "1"}, "devDependencies": {"vite": "1"}}),
        );
        w(
            "node_modules/react-dom/package.json",
            serde_json::json!({"version": "19.0.0", "license": "MIT", "dependencies": {"scheduler": "1"}}),
        );
        w(
            "node_modules/scheduler/package.json",
            serde_json::json!({"version": "0.27.0", "license": {"type": "ISC"}}),
        );
        w(
            "node_modules/vite/package.json",
            serde_json::json!({"version": "8.0.0", "license": "MIT"}),
        );
        let l = npm_licences(dir.path());
        let got: Vec<_> = l
            .iter()
            .map(|e| (e.name.as_str(), e.licence.as_str()))
            .collect();
        assert_eq!(got, [("react-dom", "MIT"), ("scheduler", "ISC")]);
    }

    /// The checked-in list matches the current Cargo.lock and ui/node_modules.
    #[test]
    fn licence_file_is_up_to_date() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let workspace = manifest.parent().unwrap();
        if !workspace.join("ui/node_modules").is_dir() {
            panic!("ui/node_modules is missing: run `npm ci` in ui/ (scripts/setup does)");
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--locked",
                "--offline",
                "--filter-platform",
                "x86_64-unknown-linux-gnu",
            ])
            .current_dir(workspace)
            .output()
            .expect("cargo metadata runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
        let fresh = generate(workspace, &meta);
        assert!(
            fresh
                .iter()
                .any(|e| e.name == "tauri" && e.source == "crate")
        );
        assert!(fresh.iter().any(|e| e.name == "react" && e.source == "npm"));
        assert!(
            !fresh.iter().any(|e| e.name == "vite"),
            "dev-only npm package listed"
        );
        let path = manifest.join("licenses.json");
        let updating = std::env::var("LABDESK_UPDATE_LICENSES").is_ok_and(|v| v == "1");
        if updating {
            let mut text = serde_json::to_string_pretty(&fresh).unwrap();
            text.push('\n');
            std::fs::write(&path, text).unwrap();
        }
        let current: Vec<LicenceEntry> =
            serde_json::from_slice(&std::fs::read(&path).unwrap_or_default()).unwrap_or_default();
        assert!(
            current == fresh,
            "src-tauri/licenses.json is stale: run `LABDESK_UPDATE_LICENSES=1 cargo test -p labdesk about` and commit it"
        );
        if !updating {
            assert_eq!(licences(), current, "the embedded list is the file's");
        }
    }

    #[test]
    fn about_reports_this_build() {
        let a = about("com.isahit.labdesk");
        assert_eq!(a.version, env!("CARGO_PKG_VERSION"));
        assert!(!a.commit.is_empty());
        assert!(a.tauri_version.starts_with('2'));
        assert!(!a.licences.is_empty());
    }
}

#[labdesk_macros::command]
pub fn about_info(app: tauri::AppHandle) -> AboutInfo {
    about(&app.config().identifier)
}
