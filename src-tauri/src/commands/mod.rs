//! Tauri commands: one-line adapters from IPC to the app core ([`labdesk_app`]).

pub mod activity;
pub mod create;
pub mod export;

use lab_client::{Batch, Project, ProjectFilter};
use tauri::State;
use tauri::ipc::Channel;

use labdesk_app::core::{
    BulkPreview, BulkProgress, BulkRequest, BulkResult, BulkTarget, ConnectionInfo, Core,
    LoadSummary, ProjectOverview, TaskPageEvent, TaskQuery,
};
use labdesk_app::error::{AppError, AppResult};
use labdesk_app::profiles::{Profile, ProfileDraft, ProfileList};
use labdesk_app::rows::{RowRange, SortSpec};
use labdesk_app::views::SavedView;

type S<'a> = State<'a, Core>;

fn channel_closed(e: tauri::Error) -> AppError {
    AppError::internal(format!("The window stopped listening: {e}"))
}

#[labdesk_macros::command]
pub fn list_profiles(core: S<'_>) -> AppResult<ProfileList> {
    core.list_profiles()
}

#[labdesk_macros::command]
pub fn add_profile(core: S<'_>, draft: ProfileDraft) -> AppResult<Profile> {
    core.add_profile(draft)
}

#[labdesk_macros::command]
pub fn update_profile(core: S<'_>, id: String, draft: ProfileDraft) -> AppResult<Profile> {
    core.update_profile(id, draft)
}

#[labdesk_macros::command]
pub async fn remove_profile(core: S<'_>, id: String) -> AppResult<()> {
    core.remove_profile(id).await
}

#[labdesk_macros::command]
pub async fn test_connection(
    core: S<'_>,
    id: Option<String>,
    draft: ProfileDraft,
) -> AppResult<()> {
    core.test_connection(id, draft).await
}

#[labdesk_macros::command]
pub async fn connect(core: S<'_>, profile_id: String) -> AppResult<ConnectionInfo> {
    core.connect(profile_id).await
}

#[labdesk_macros::command]
pub async fn disconnect(core: S<'_>) -> AppResult<()> {
    core.disconnect().await
}

#[labdesk_macros::command]
pub async fn current_connection(core: S<'_>) -> AppResult<Option<ConnectionInfo>> {
    Ok(core.connection().await)
}

#[labdesk_macros::command]
pub async fn list_projects(core: S<'_>, filter: ProjectFilter) -> AppResult<Vec<Project>> {
    core.list_projects(filter).await
}

#[labdesk_macros::command]
pub async fn list_batches(core: S<'_>, project_id: String) -> AppResult<Vec<Batch>> {
    core.list_batches(project_id).await
}

#[labdesk_macros::command]
pub async fn project_overview(core: S<'_>, project_id: String) -> AppResult<ProjectOverview> {
    core.project_overview(project_id).await
}

#[labdesk_macros::command]
pub async fn load_tasks(
    core: S<'_>,
    job_id: String,
    query: TaskQuery,
    on_page: Channel<TaskPageEvent>,
) -> AppResult<LoadSummary> {
    core.load_tasks(&job_id, query, |p| on_page.send(p).map_err(channel_closed))
        .await
}

#[labdesk_macros::command]
pub fn task_rows(
    core: S<'_>,
    set_id: String,
    sort: Option<SortSpec>,
    start: u32,
    end: u32,
) -> AppResult<RowRange> {
    core.task_rows(&set_id, sort, start, end)
}

#[labdesk_macros::command]
pub fn task_position(
    core: S<'_>,
    set_id: String,
    sort: Option<SortSpec>,
    task_id: String,
) -> AppResult<Option<u32>> {
    core.task_position(&set_id, sort, &task_id)
}

#[labdesk_macros::command]
pub fn selection_ids(core: S<'_>, set_id: String, except: Vec<String>) -> AppResult<Vec<String>> {
    core.selection_ids(&set_id, except)
}

#[labdesk_macros::command]
pub fn task_names(
    core: S<'_>,
    set_id: String,
    ids: Vec<String>,
) -> AppResult<std::collections::HashMap<String, String>> {
    core.task_names(&set_id, ids)
}

#[labdesk_macros::command]
pub async fn task_doc(
    core: S<'_>,
    set_id: String,
    task_id: String,
) -> AppResult<serde_json::Value> {
    core.task_doc(&set_id, &task_id).await
}

#[labdesk_macros::command]
pub async fn refresh_tasks(core: S<'_>, set_id: String, ids: Vec<String>) -> AppResult<u32> {
    core.refresh_tasks(&set_id, ids).await
}

#[labdesk_macros::command]
pub async fn task_visual(
    core: S<'_>,
    visual: tauri::State<'_, labdesk_app::visual::VisualState>,
    create: tauri::State<'_, labdesk_app::create::CreateState>,
    set_id: String,
    task_id: String,
) -> AppResult<labdesk_app::visual::TaskVisual> {
    let local = labdesk_app::export::journal_files(&create);
    labdesk_app::visual::task_visual(&core, &visual, local, &set_id, &task_id).await
}

#[labdesk_macros::command]
pub fn cancel_job(core: S<'_>, job_id: String) -> bool {
    core.cancel_job(&job_id)
}

#[labdesk_macros::command]
pub async fn resource_preview(core: S<'_>, resource: serde_json::Value) -> AppResult<String> {
    core.resource_preview(resource).await
}

#[labdesk_macros::command]
pub async fn bulk_preview(
    core: S<'_>,
    project_id: String,
    target: BulkTarget,
) -> AppResult<BulkPreview> {
    core.bulk_preview(project_id, target).await
}

#[labdesk_macros::command]
pub async fn run_bulk(
    core: S<'_>,
    job_id: String,
    request: BulkRequest,
    on_progress: Channel<BulkProgress>,
) -> AppResult<BulkResult> {
    core.run_bulk(&job_id, request, move |p| drop(on_progress.send(p)))
        .await
}

#[labdesk_macros::command]
pub fn list_views(core: S<'_>, project_id: String) -> AppResult<Vec<SavedView>> {
    core.list_views(project_id)
}

#[labdesk_macros::command]
pub fn save_view(core: S<'_>, project_id: String, view: SavedView) -> AppResult<Vec<SavedView>> {
    core.save_view(project_id, view)
}

#[labdesk_macros::command]
pub fn delete_view(core: S<'_>, project_id: String, name: String) -> AppResult<Vec<SavedView>> {
    core.delete_view(project_id, name)
}

/// "Save as CSV" through the native save dialog (export); `None` when the user cancelled.
#[labdesk_macros::command]
pub async fn save_csv(
    app: tauri::AppHandle,
    title: String,
    stem: String,
    content: String,
) -> AppResult<Option<String>> {
    crate::dialogs::save_csv_dialog(&app, &title, &stem, &content).await
}

/// The project dashboard's figures, read in one pass over the tasks (a job: `cancel_job`).
#[labdesk_macros::command]
pub async fn project_stats(
    core: S<'_>,
    project_id: String,
    job_id: String,
    on_progress: Channel<labdesk_app::dashboard::StatsProgress>,
) -> AppResult<labdesk_app::dashboard::ProjectStats> {
    let job = core.jobs.start(&job_id);
    labdesk_app::dashboard::project_stats(
        &core,
        &project_id,
        move |p| drop(on_progress.send(p)),
        job.token.clone(),
    )
    .await
}
