//! Activity log commands: one-line adapters over [`labdesk_app::activity`].

use lab_activity::{ActivityProgress, Entry, Query, UndoPlan};
use labdesk_app::activity::{ActivityPage, ActivityResults, UndoDone};
use labdesk_app::core::Core;
use labdesk_app::error::AppResult;
use tauri::State;
use tauri::ipc::Channel;

type S<'a> = State<'a, Core>;

#[labdesk_macros::command]
pub async fn activity_list(core: S<'_>, query: Query) -> AppResult<ActivityPage> {
    core.activity_list(query).await
}

#[labdesk_macros::command]
pub fn activity_entry(core: S<'_>, id: i64) -> AppResult<Entry> {
    core.activity_entry(id)
}

#[labdesk_macros::command]
pub fn activity_results(
    core: S<'_>,
    id: i64,
    offset: u64,
    limit: u64,
) -> AppResult<ActivityResults> {
    core.activity_results(id, offset, limit)
}

#[labdesk_macros::command]
pub async fn activity_plan_undo(core: S<'_>, id: i64) -> AppResult<UndoPlan> {
    core.activity_plan_undo(id).await
}

#[labdesk_macros::command]
pub async fn activity_undo(
    core: S<'_>,
    job_id: String,
    id: i64,
    include: Vec<String>,
    on_progress: Channel<ActivityProgress>,
) -> AppResult<UndoDone> {
    core.activity_undo(&job_id, id, include, move |p| drop(on_progress.send(p)))
        .await
}

#[labdesk_macros::command]
pub fn activity_export_csv(core: S<'_>, id: i64, path: String) -> AppResult<String> {
    core.activity_export_csv(id, path)
}
