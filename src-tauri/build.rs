// Generates one permission per app command (the list: src/command_list.rs, shared with lib.rs);
// capabilities/main-window.json grants them (generated from the same list by the bindings test).
macro_rules! app_commands {
    ($($($path:ident)::+),* $(,)?) => {
        /// The command names: the last segment of each path.
        fn commands() -> &'static [&'static str] {
            let names: Vec<&'static str> = [$(stringify!($($path)::+)),*]
                .iter()
                .map(|p| p.rsplit("::").next().unwrap_or(p).trim())
                .collect();
            names.leak()
        }
    };
}
include!("src/command_list.rs");

/// Embeds the short git commit as LABDESK_GIT_COMMIT ("unknown" outside a git checkout;
/// LABDESK_GIT_COMMIT in the environment wins, e.g. for builds from a source tarball).
fn embed_git_commit() {
    println!("cargo:rerun-if-env-changed=LABDESK_GIT_COMMIT");
    let commit = std::env::var("LABDESK_GIT_COMMIT").ok().or_else(|| {
        let out = std::process::Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()?;
        let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && !s.is_empty()).then_some(s)
    });
    if let Ok(dir) = std::process::Command::new("git")
        .args(["rev-parse", "--absolute-git-dir"])
        .output()
        && dir.status.success()
    {
        let dir = String::from_utf8_lossy(&dir.stdout).trim().to_owned();
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Ok(head) = std::fs::read_to_string(format!("{dir}/HEAD"))
            && let Some(r) = head.strip_prefix("ref: ")
            && std::path::Path::new(&format!("{dir}/{}", r.trim())).exists()
        {
            println!("cargo:rerun-if-changed={dir}/{}", r.trim());
        }
    }
    println!(
        "cargo:rustc-env=LABDESK_GIT_COMMIT={}",
        commit.unwrap_or_else(|| "unknown".into())
    );
}

fn main() {
    println!("cargo:rerun-if-changed=src/command_list.rs");
    embed_git_commit();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands())),
    )
    .expect("tauri build step failed");
}
