//! Export commands: one-line adapters over [`labdesk_app::export`].

use std::path::Path;

use labdesk_app::core::Core;
use labdesk_app::create::CreateState;
use labdesk_app::error::AppResult;
use labdesk_app::export::{
    self as export, ExportOutcome, ExportPlan, ExportProgress, ExportRecipe, ExportScope,
    ExportState, HistoryEntry, TargetCheck,
};
use tauri::ipc::Channel;

type CoreState<'a> = tauri::State<'a, Core>;
type ExportS<'a> = tauri::State<'a, ExportState>;

#[labdesk_macros::command]
pub async fn export_prepare(
    core: CoreState<'_>,
    state: ExportS<'_>,
    project_id: String,
    scope: ExportScope,
) -> AppResult<ExportPlan> {
    export::prepare(&core.client().await?, &state.history, &project_id, &scope).await
}

/// Off the main thread: it may count the files of a large folder in the way.
#[labdesk_macros::command]
pub async fn export_check(recipe: ExportRecipe) -> AppResult<TargetCheck> {
    export::check_target_off_thread(recipe).await
}

#[labdesk_macros::command]
pub fn export_remember_folder(
    state: ExportS<'_>,
    project_id: String,
    folder: String,
) -> AppResult<()> {
    state.history.remember_folder(&project_id, &folder)
}

#[labdesk_macros::command]
pub async fn run_export(
    core: CoreState<'_>,
    state: ExportS<'_>,
    create: tauri::State<'_, CreateState>,
    job_id: String,
    recipe: ExportRecipe,
    overwrite: bool,
    on_progress: Channel<ExportProgress>,
) -> AppResult<ExportOutcome> {
    let progress = move |p| drop(on_progress.send(p));
    export::run_job(&core, &state, &create, &job_id, recipe, overwrite, progress).await
}

#[labdesk_macros::command]
pub fn export_history(state: ExportS<'_>, project_id: String) -> AppResult<Vec<HistoryEntry>> {
    state.history.list(&project_id)
}

#[labdesk_macros::command]
pub fn open_folder(path: String) -> AppResult<()> {
    export::open_folder_of(Path::new(&path))
}
