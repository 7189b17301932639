//! The window may call exactly what the UI uses, and nothing loads scripts from elsewhere.
//!
//! Four lists must agree: the commands build.rs turns into permissions, the commands registered in
//! `generate_handler!`, the `allow-<command>` permissions granted to the window, and the commands
//! the UI invokes (ui/src/ipc). Any other permission must be justified below by a use in ui/src/ipc.
//! The CSP must only allow the app's own scripts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

/// Non-command permissions the window may hold, each with a string that proves its use in
/// ui/src/ipc (so a permission cannot outlive the code that needed it).
const JUSTIFIED: &[(&str, &str)] = &[
    // Window drag-and-drop of files ("drop files to create tasks") is delivered as events.
    ("core:event:allow-listen", "onDragDropEvent"),
    ("core:event:allow-unlisten", "onDragDropEvent"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

fn build_rs_commands() -> BTreeSet<String> {
    let src = read(&root().join("build.rs"));
    let start = src.find("COMMANDS").expect("build.rs has COMMANDS");
    let end = start + src[start..].find("];").expect("COMMANDS ends with ];");
    Regex::new(r#""([a-z0-9_]+)""#)
        .unwrap()
        .captures_iter(&src[start..end])
        .map(|c| c[1].to_owned())
        .collect()
}

fn handler_commands() -> BTreeSet<String> {
    let src = read(&root().join("src/lib.rs"));
    let start = src
        .find("generate_handler![")
        .expect("lib.rs calls generate_handler!")
        + "generate_handler![".len();
    let end = start + src[start..].find(']').expect("generate_handler! ends");
    src[start..end]
        .split(',')
        .map(|s| s.trim().rsplit("::").next().unwrap_or_default().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn capability() -> Value {
    serde_json::from_str(&read(&root().join("capabilities/main-window.json")))
        .expect("capabilities/main-window.json is JSON")
}

fn granted() -> Vec<String> {
    capability()["permissions"]
        .as_array()
        .expect("permissions is a list")
        .iter()
        .map(|p| match p {
            Value::String(s) => s.clone(),
            other => other["identifier"]
                .as_str()
                .expect("permission object has an identifier")
                .to_owned(),
        })
        .collect()
}

fn ipc_sources() -> String {
    let dir = root().join("../ui/src/ipc");
    let mut out = String::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("ui/src/ipc exists")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "ts" || x == "tsx")
                && !p.to_string_lossy().contains(".test.")
        })
        .collect();
    files.sort();
    for f in files {
        out.push_str(&read(&f));
        out.push('\n');
    }
    out
}

fn ui_commands() -> BTreeSet<String> {
    let src = ipc_sources();
    Regex::new(r#"\b(?:call|invoke)\s*(?:<[^()]*?>)?\(\s*["']([a-z0-9_]+)["']"#)
        .unwrap()
        .captures_iter(&src)
        .map(|c| c[1].to_owned())
        .collect()
}

#[test]
fn the_four_command_lists_agree() {
    let built = build_rs_commands();
    let handled = handler_commands();
    let allowed: BTreeSet<String> = granted()
        .iter()
        .filter(|p| !p.contains(':'))
        .map(|p| {
            p.strip_prefix("allow-")
                .unwrap_or_else(|| panic!("app permission {p} is not an allow-<command>"))
                .replace('-', "_")
        })
        .collect();
    let used = ui_commands();
    assert!(!built.is_empty() && !used.is_empty());
    assert_eq!(
        built, handled,
        "build.rs COMMANDS and generate_handler! differ"
    );
    assert_eq!(
        built, allowed,
        "build.rs COMMANDS and the window's allow-* permissions differ"
    );
    assert_eq!(
        built, used,
        "registered commands and the commands ui/src/ipc invokes differ: remove unused commands or call them"
    );
}

#[test]
fn other_permissions_are_justified_and_used() {
    let ipc = ipc_sources();
    for p in granted().iter().filter(|p| p.contains(':')) {
        let (_, proof) = JUSTIFIED
            .iter()
            .find(|(name, _)| name == p)
            .unwrap_or_else(|| {
                panic!("permission {p} is not justified in tests/capabilities.rs JUSTIFIED")
            });
        assert!(
            ipc.contains(proof),
            "permission {p} is granted but ui/src/ipc does not use {proof}: remove it"
        );
    }
    let cap = capability();
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    assert!(
        cap.get("remote").is_none(),
        "no remote URL may use the app's commands"
    );
}

#[test]
fn the_window_cannot_emit_events_outside_test_builds() {
    // Only the `e2e` feature (window tests) adds `core:event:allow-emit`, at run time.
    assert!(!granted().iter().any(|p| p.contains("allow-emit")));
    let lib = read(&root().join("src/lib.rs"));
    let at = lib
        .find("core:event:allow-emit")
        .expect("lib.rs adds the e2e capability");
    assert!(
        lib[..at]
            .rfind("#[cfg(feature = \"e2e\")]")
            .is_some_and(|c| at - c < 400),
        "the emit capability must be behind #[cfg(feature = \"e2e\")]"
    );
}

#[test]
fn csp_only_allows_the_apps_own_scripts() {
    let conf: Value =
        serde_json::from_str(&read(&root().join("tauri.conf.json"))).expect("tauri.conf.json");
    assert_eq!(
        conf["app"]["withGlobalTauri"],
        Value::Bool(false),
        "withGlobalTauri exposes the API to every script"
    );
    let csp = &conf["app"]["security"]["csp"];
    let directive = |k: &str| csp[k].as_str().unwrap_or_default().to_owned();
    assert_eq!(directive("default-src"), "'self'");
    assert_eq!(directive("script-src"), "'self'");
    assert_eq!(directive("object-src"), "'none'");
    assert_eq!(directive("base-uri"), "'none'");
    for (k, v) in csp.as_object().expect("csp is an object of directives") {
        let v = v.as_str().unwrap_or_default();
        for bad in ["'unsafe-eval'", "http:", "https:", "*", "data:"] {
            let images = k == "img-src" && bad == "data:";
            assert!(
                images || !v.split_whitespace().any(|s| s == bad),
                "CSP {k} allows {bad}"
            );
        }
        if k == "connect-src" {
            for source in v.split_whitespace() {
                assert!(
                    ["ipc:", "http://ipc.localhost"].contains(&source),
                    "the window may only connect to the app's IPC, not {source}"
                );
            }
        }
        if k == "script-src" {
            assert!(
                !v.contains("unsafe-inline"),
                "inline scripts must stay blocked"
            );
        }
    }
    assert!(
        conf["app"]["security"]["dangerousDisableAssetCspModification"].is_null(),
        "Tauri's CSP hashes/nonces must stay on"
    );
}
