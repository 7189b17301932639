//! The window may call exactly its commands, and nothing loads scripts from elsewhere.
//!
//! The commands, their permissions (build.rs) and the window's capability all come from one list,
//! src/command_list.rs (the bindings test generates the capability and fails when it is stale).
//! Any other permission must be justified in `ipc_schema::OTHER_PERMISSIONS` by a use in
//! ui/src/ipc. The CSP must only allow the app's own scripts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use labdesk_lib::ipc_schema::{OTHER_PERMISSIONS, permission};
use serde_json::Value;

// The command names of the one list (the last segment of each path), as build.rs reads them.
macro_rules! app_commands {
    ($($($path:ident)::+),* $(,)?) => {
        fn listed_commands() -> Vec<&'static str> {
            [$(stringify!($($path)::+)),*]
                .iter()
                .map(|p| p.rsplit("::").next().unwrap_or(p).trim())
                .collect()
        }
    };
}
include!("../src/command_list.rs");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
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

#[test]
fn other_permissions_are_justified_and_used() {
    let ipc = ipc_sources();
    for p in granted().iter().filter(|p| p.contains(':')) {
        let (_, proof) = OTHER_PERMISSIONS
            .iter()
            .find(|(name, _)| name == p)
            .unwrap_or_else(|| {
                panic!("permission {p} is not justified in ipc_schema::OTHER_PERMISSIONS")
            });
        assert!(
            ipc.contains(proof),
            "permission {p} is granted but ui/src/ipc does not use {proof}: remove it"
        );
    }
    // the others are exactly the list's commands
    let app: BTreeSet<String> = granted().into_iter().filter(|p| !p.contains(':')).collect();
    let listed: BTreeSet<String> = listed_commands().iter().map(|c| permission(c)).collect();
    assert!(listed.len() > 60);
    assert_eq!(
        app, listed,
        "the capability grants other commands than the list: regenerate it"
    );
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
