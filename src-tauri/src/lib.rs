//! Lab Desk desktop shell. Commands (in [`commands`]) are one-line adapters over the plain
//! modules below, which hold the app logic and its tests.

pub mod client_errors;
pub mod commands;
pub mod core;
pub mod error;
pub mod jobs;
pub mod keychain;
pub mod local_sandbox;
pub mod profiles;
pub mod store;
pub mod views;

#[cfg(test)]
mod bindings;

use tauri::Manager;

/// Starts the window.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LABDESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    tauri::Builder::default()
        .setup(|app| {
            let config_dir = app.path().app_config_dir()?;
            let data_dir = app.path().app_data_dir()?;
            let downloads = app
                .path()
                .download_dir()
                .unwrap_or_else(|_| data_dir.join("results"));
            app.manage(
                core::Core::new(
                    config_dir,
                    data_dir,
                    Box::new(keychain::KeyringStore::default()),
                )
                .with_downloads_dir(downloads),
            );
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_profiles,
            commands::add_profile,
            commands::update_profile,
            commands::remove_profile,
            commands::test_connection,
            commands::connect,
            commands::disconnect,
            commands::current_connection,
            commands::list_projects,
            commands::list_batches,
            commands::project_overview,
            commands::load_tasks,
            commands::cancel_job,
            commands::resource_preview,
            commands::bulk_preview,
            commands::run_bulk,
            commands::list_views,
            commands::save_view,
            commands::delete_view,
            commands::save_csv,
        ])
        .run(tauri::generate_context!())
        .expect("Lab Desk could not start its window");
}
