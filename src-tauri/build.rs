// Generates one permission per app command; capabilities/main-window.json grants them.
const COMMANDS: &[&str] = &[
    "list_profiles",
    "add_profile",
    "update_profile",
    "remove_profile",
    "test_connection",
    "connect",
    "disconnect",
    "current_connection",
    "list_projects",
    "list_batches",
    "project_overview",
    "project_stats",
    "load_tasks",
    "task_rows",
    "task_position",
    "selection_ids",
    "task_names",
    "task_doc",
    "task_visual",
    "refresh_tasks",
    "cancel_job",
    "resource_preview",
    "bulk_preview",
    "run_bulk",
    "list_views",
    "save_view",
    "delete_view",
    "save_csv",
    "system_locale",
    // ship: settings, about, diagnostics
    "get_settings",
    "update_settings",
    "about_info",
    "diagnostics_report",
    "copy_diagnostics",
    "record_error",
    "check_endpoint",
    "create_scan",
    "create_load_list",
    "create_rename",
    "create_set_skip",
    "create_skip_invalid",
    "create_close",
    "create_check",
    "create_thumbnails",
    "create_start",
    "create_resume",
    "create_pause",
    "create_cancel",
    "create_unfinished",
    "create_job",
    "create_job_items",
    "create_discard",
    "dialog_pick_folder",
    "dialog_pick_files",
    "dialog_pick_file",
    "dialog_save_file",
    "notify_if_unfocused",
    "export_prepare",
    "export_check",
    "export_remember_folder",
    "run_export",
    "export_history",
    "open_folder",
    "activity_list",
    "activity_entry",
    "activity_results",
    "activity_plan_undo",
    "activity_undo",
    "activity_export_csv",
];

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
    embed_git_commit();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}
