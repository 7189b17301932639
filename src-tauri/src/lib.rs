//! Lab Desk desktop shell. Commands (in [`commands`]) are one-line adapters over the plain
//! modules below, which hold the app logic and its tests.

pub mod about;
pub mod activity;
pub mod activity_store;
pub mod client_errors;
pub mod commands;
pub mod core;
pub mod create;
pub mod dashboard;
pub mod diagnostics;
pub mod dialogs;
pub mod error;
pub mod export;
pub mod jobs;
pub mod keychain;
pub mod local_index;
pub mod local_sandbox;
pub mod locale;
pub mod messages;
pub mod model;
pub mod notify;
pub mod profiles;
pub mod progress;
pub mod rows;
pub mod secret;
pub mod settings;
pub mod store;
pub mod views;
pub mod visual;

#[cfg(test)]
mod bindings;

use tauri::Manager;

/// Starts the window.
pub fn run() {
    tauri::Builder::default()
        // thumbnails and task images for the page (visual.rs), bytes without base64
        .register_asynchronous_uri_scheme_protocol("labthumb", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_string();
            tauri::async_runtime::spawn(async move {
                let local = export::journal_files(&app.state::<create::CreateState>());
                let out = visual::serve(
                    &app.state::<core::Core>(),
                    &app.state::<visual::VisualState>(),
                    local,
                    &path,
                )
                .await;
                let response = tauri::http::Response::builder()
                    .status(out.status)
                    .header("Content-Type", out.content_type)
                    .header("Cache-Control", "private, max-age=86400")
                    .body(out.body);
                match response {
                    Ok(r) => responder.respond(r),
                    Err(e) => tracing::warn!("labthumb answer not built: {e}"),
                }
            });
        })
        .setup(|app| {
            // Window tests only (never in a shipped build): let WebDriver deliver a file drop the
            // way the OS does, by emitting `tauri://drag-drop` from the page.
            #[cfg(feature = "e2e")]
            app.add_capability(
                tauri::ipc::CapabilityBuilder::new("e2e-emit")
                    .window("main")
                    .permission("core:event:allow-emit"),
            )?;
            // ship: logs (stderr + rotated file in the OS log dir), settings, window place
            app.manage(diagnostics::init(&app.path().app_log_dir()?));
            let settings = settings::SettingsStore::open(&app.path().app_config_dir()?);
            if let Some(w) = app.get_webview_window("main") {
                settings::restore_window(&w, &settings);
                settings::track_window(app.handle(), &w);
            }
            app.manage(settings);
            let config_dir = app.path().app_config_dir()?;
            let data_dir = app.path().app_data_dir()?;
            app.manage(create::CreateState::new(&data_dir));
            app.manage(visual::VisualState::new(&app.path().app_cache_dir()?));
            app.manage(export::ExportState::new(&config_dir));
            let core = core::Core::new(
                config_dir,
                data_dir,
                Box::new(keychain::KeyringStore::default()),
            );
            app.manage(core);
            // The activity log kept to its retention, off the start-up path (a log that cannot
            // open says so when it is used).
            let retention = app
                .state::<settings::SettingsStore>()
                .get()
                .activity_retention;
            let handle = app.handle().clone();
            std::thread::spawn(move || {
                if let Err(e) = handle.state::<core::Core>().activity_prune(&retention) {
                    tracing::warn!("the activity log could not be trimmed: {e}");
                }
            });
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
            commands::project_stats,
            commands::load_tasks,
            commands::task_rows,
            commands::task_position,
            commands::selection_ids,
            commands::task_names,
            commands::task_doc,
            commands::task_visual,
            commands::refresh_tasks,
            commands::cancel_job,
            commands::resource_preview,
            commands::bulk_preview,
            commands::run_bulk,
            commands::list_views,
            commands::save_view,
            commands::delete_view,
            commands::save_csv,
            locale::system_locale,
            settings::get_settings,
            settings::update_settings,
            about::about_info,
            diagnostics::diagnostics_report,
            diagnostics::copy_diagnostics,
            diagnostics::record_error,
            diagnostics::check_endpoint,
            create::create_scan,
            create::create_load_list,
            create::create_rename,
            create::create_set_skip,
            create::create_skip_invalid,
            create::create_close,
            create::create_check,
            create::create_thumbnails,
            create::create_start,
            create::create_resume,
            create::create_pause,
            create::create_cancel,
            create::create_unfinished,
            create::create_job,
            create::create_job_items,
            create::create_discard,
            dialogs::dialog_pick_folder,
            dialogs::dialog_pick_files,
            dialogs::dialog_pick_file,
            dialogs::dialog_save_file,
            notify::cmd::notify_if_unfocused,
            export::export_prepare,
            export::export_check,
            export::export_remember_folder,
            export::run_export,
            export::export_history,
            export::open_folder,
            activity::activity_list,
            activity::activity_entry,
            activity::activity_results,
            activity::activity_plan_undo,
            activity::activity_undo,
            activity::activity_export_csv,
        ])
        .run(tauri::generate_context!())
        .expect("Lab Desk could not start its window");
}
