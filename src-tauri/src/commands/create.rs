//! "Create tasks" commands: one-line adapters over [`labdesk_app::create`].

use lab_jobs::JobProgress;
use labdesk_app::core::Core;
use labdesk_app::create::{
    self as create, CreateState, ItemView, JobInfo, PreflightView, RunResult, StartRequest, Thumb,
};
use labdesk_app::error::AppResult;
use tauri::ipc::Channel;

type C<'a> = tauri::State<'a, Core>;
type S<'a> = tauri::State<'a, CreateState>;

#[labdesk_macros::command]
pub async fn create_scan(
    st: S<'_>,
    session: String,
    paths: Vec<String>,
    append: bool,
) -> AppResult<PreflightView> {
    st.scan(&session, paths, append).await
}

#[labdesk_macros::command]
pub async fn create_load_list(
    st: S<'_>,
    session: String,
    path: String,
    append: bool,
) -> AppResult<PreflightView> {
    st.load(&session, path, append).await
}

#[labdesk_macros::command]
pub fn create_rename(
    st: S<'_>,
    session: String,
    idx: usize,
    name: String,
) -> AppResult<PreflightView> {
    st.rename(&session, idx, &name)
}

#[labdesk_macros::command]
pub fn create_set_skip(
    st: S<'_>,
    session: String,
    idxs: Vec<usize>,
    skip: bool,
) -> AppResult<PreflightView> {
    st.set_skip(&session, &idxs, skip)
}

#[labdesk_macros::command]
pub fn create_skip_invalid(st: S<'_>, session: String) -> AppResult<PreflightView> {
    st.skip_invalid(&session)
}

#[labdesk_macros::command]
pub fn create_close(st: S<'_>, session: String) {
    st.close(&session)
}

#[labdesk_macros::command]
pub async fn create_check(
    core: C<'_>,
    st: S<'_>,
    session: String,
    project_id: String,
    batch_id: Option<String>,
) -> AppResult<PreflightView> {
    create::check(&core, &st, session, project_id, batch_id).await
}

#[labdesk_macros::command]
pub async fn create_thumbnails(
    st: S<'_>,
    session: String,
    idxs: Vec<usize>,
) -> AppResult<Vec<Thumb>> {
    st.thumbnails(&session, idxs).await
}

#[labdesk_macros::command]
pub async fn create_start(
    core: C<'_>,
    st: S<'_>,
    request: StartRequest,
    on_progress: Channel<JobProgress>,
) -> AppResult<RunResult> {
    create::start(&core, &st, request, move |p| drop(on_progress.send(p))).await
}

#[labdesk_macros::command]
pub async fn create_resume(
    core: C<'_>,
    st: S<'_>,
    job_id: String,
    failed_only: bool,
    on_progress: Channel<JobProgress>,
) -> AppResult<RunResult> {
    create::resume(&core, &st, job_id, failed_only, move |p| {
        drop(on_progress.send(p))
    })
    .await
}

#[labdesk_macros::command]
pub fn create_pause(st: S<'_>, job_id: String) -> bool {
    st.pause(&job_id)
}

#[labdesk_macros::command]
pub fn create_cancel(st: S<'_>, job_id: String) -> bool {
    st.cancel(&job_id)
}

#[labdesk_macros::command]
pub fn create_unfinished(st: S<'_>) -> AppResult<Vec<JobInfo>> {
    st.unfinished()
}

#[labdesk_macros::command]
pub fn create_job(st: S<'_>, job_id: String) -> AppResult<JobInfo> {
    st.job(&job_id)
}

#[labdesk_macros::command]
pub fn create_job_items(st: S<'_>, job_id: String) -> AppResult<Vec<ItemView>> {
    st.items(&job_id)
}

#[labdesk_macros::command]
pub fn create_discard(st: S<'_>, job_id: String) -> AppResult<()> {
    st.discard(&job_id)
}
