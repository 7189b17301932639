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
    "load_tasks",
    "cancel_job",
    "resource_preview",
    "bulk_preview",
    "run_bulk",
    "list_views",
    "save_view",
    "delete_view",
    "save_csv",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step failed");
}
