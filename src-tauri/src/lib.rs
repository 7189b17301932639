//! Lab Desk desktop shell: the window, its commands ([`commands`], one-line adapters over the
//! app core, [`labdesk_app`]) and what needs the OS or Tauri (dialogs, notifications, settings
//! and the window's place, diagnostics, the about box, the OS locale).

pub mod about;
pub mod commands;
pub mod diagnostics;
pub mod dialogs;
pub mod ipc_schema;
pub mod locale;
pub mod notify;
pub mod settings;

#[cfg(test)]
mod bindings;

use labdesk_app::{core, create, export, keychain, visual};
use tauri::Manager;

/// Expands the command list (command_list.rs) into the invoke handler and, for the bindings
/// test, each command's description.
macro_rules! app_commands {
    ($($($path:ident)::+),* $(,)?) => {
        fn invoke_handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($($path)::+),*]
        }

        /// Every command of the list, described from its signature.
        #[cfg(test)]
        pub(crate) fn command_docs(cfg: &ts_rs::Config) -> Vec<ipc_schema::CommandDoc> {
            use ipc_schema::Described;
            vec![$(<$($path)::+>::describe(cfg)),*]
        }
    };
}
include!("command_list.rs");

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
        .invoke_handler(invoke_handler())
        .run(tauri::generate_context!())
        .expect("Lab Desk could not start its window");
}
