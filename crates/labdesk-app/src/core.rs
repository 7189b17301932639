//! The app's logic, free of Tauri: connection to a profile, projects, task loading in pages,
//! bulk actions with progress and cancellation. src-tauri's commands call into it.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use futures::StreamExt;
use lab_client::ops::{self, BulkReport, PropertiesUpdate};
use lab_client::view::{LabViewOptions, kili_view, lab_view, last_annotator};
use lab_client::{
    Batch, BatchFilter, ClientOptions, ConfigurationSummary, Credentials, LabClient, Project,
    ProjectFilter, TaskFilter,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use ts_rs::TS;

use crate::client_errors::{Stage, map};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::jobs::JobRegistry;
use crate::keychain::SecretStore;
use crate::local_sandbox::{DEMO_ACCESS_ID, DEMO_SECRET_KEY, LocalSandbox};
pub use crate::model::{ConnectionInfo, TaskQuery, TaskRow, TaskView};
use crate::profiles::{LOCAL_SANDBOX_ID, Profile, ProfileDraft, ProfileList, ProfileStore};
use crate::views::{SavedView, ViewStore};
use lab_client::ErrorKind as ClientKind;

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    pub status: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BatchCounts {
    pub batch: Batch,
    pub counts: Vec<StatusCount>,
    pub total: u64,
}

/// Everything the project view shows.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProjectOverview {
    pub project: Project,
    pub summary: ConfigurationSummary,
    pub batches: Vec<BatchCounts>,
}

pub const TASK_STATUSES: [&str; 5] = [
    "pending",
    "complete",
    "to-review",
    "reviewed",
    "configuring",
];

/// A page of rows has arrived in the search's set (the rows are read by range).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaskPageEvent {
    pub loaded: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LoadSummary {
    pub loaded: u64,
    pub total: u64,
    pub cancelled: bool,
    /// The lab, or the local copy of the project (up to date, or as it was when offline).
    pub source: crate::local_index::TaskSource,
    /// When rows come from the local copy: the time (UTC, RFC 3339) of its last sync.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

/// Which tasks a bulk action applies to.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum BulkTarget {
    /// The rows the user selected.
    Selection { ids: Vec<String> },
    /// Every task matching the filter.
    Filter { filter: Box<TaskFilter> },
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum BulkAction {
    Properties {
        score: Option<f64>,
        #[ts(type = "Record<string, unknown> | null")]
        custom: Option<serde_json::Map<String, serde_json::Value>>,
    },
    Redo {
        reset: bool,
    },
    Review,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    pub project_id: String,
    /// The project's name, for the activity log.
    #[serde(default)]
    #[ts(optional)]
    pub project_name: Option<String>,
    pub target: BulkTarget,
    pub action: BulkAction,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaskBrief {
    pub id: String,
    pub name: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BulkPreview {
    pub count: u64,
    pub sample: Vec<TaskBrief>,
}

/// Progress of a bulk action: first the matching tasks are listed, then changed.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BulkProgress {
    pub phase: String,
    pub done: u64,
    pub failed: u64,
    pub total: u64,
}

/// One per-task line of a bulk result.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BulkResultRow {
    pub task_id: String,
    pub ok: bool,
    pub status: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    pub rows: Vec<BulkResultRow>,
    pub succeeded: u64,
    pub failed: u64,
    pub cancelled: bool,
    /// The activity entry recording it.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<i64>,
}

struct Connection {
    info: ConnectionInfo,
    client: LabClient,
}

/// App state shared by every command.
pub struct Core {
    pub profiles: ProfileStore,
    pub views: ViewStore,
    pub secrets: Box<dyn SecretStore>,
    pub jobs: JobRegistry,
    pub activity: crate::activity_store::ActivityState,
    /// The task browser's searches.
    pub rows: crate::rows::RowStore,
    /// Local copies of mirrored projects (searches answered without listing them again).
    pub index: Arc<crate::local_index::LocalIndex>,
    data_dir: PathBuf,
    conn: Mutex<Option<Arc<Connection>>>,
    sandbox: Mutex<Option<LocalSandbox>>,
}

fn str_field(v: &serde_json::Value, k: &str) -> String {
    v.get(k)
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Builds a table row from a raw task document.
pub fn task_row(raw: &serde_json::Value) -> TaskRow {
    TaskRow {
        id: str_field(raw, "_id"),
        name: str_field(raw, "name"),
        status: str_field(raw, "status"),
        batch_id: str_field(raw, "batchId"),
        created_at: str_field(raw, "createdAt"),
        updated_at: str_field(raw, "updatedAt"),
        last_annotator: last_annotator(raw),
        score: raw
            .get("properties")
            .and_then(|p| p.get("score"))
            .and_then(|s| s.as_f64()),
    }
}

/// Who acts for the activity log: the profile's name and access id (the built-in local sandbox
/// under its fixed access id, whatever port it runs on this time).
pub fn actor_of(info: &ConnectionInfo) -> lab_activity::Actor {
    lab_activity::Actor {
        profile: info.profile.name.clone(),
        access_id: info.profile.access_id.clone(),
        endpoint: info.endpoint.clone(),
        source: lab_activity::Source::Window,
    }
}

/// Turns a lab-client bulk report into result rows.
pub fn bulk_result(report: BulkReport) -> BulkResult {
    let rows = report
        .outcomes
        .into_iter()
        .map(|o| {
            let ok = matches!(o.status, ops::OutcomeStatus::Ok);
            let status = match o.status {
                ops::OutcomeStatus::Ok => "done",
                ops::OutcomeStatus::Skipped => "skipped",
                ops::OutcomeStatus::Failed => "failed",
                ops::OutcomeStatus::Cancelled => "cancelled",
            };
            BulkResultRow {
                task_id: o.id.unwrap_or(o.task),
                ok,
                status: status.into(),
                message: o.error.map(|e| e.message).unwrap_or_default(),
            }
        })
        .collect();
    BulkResult {
        rows,
        succeeded: report.succeeded,
        failed: report.failed,
        cancelled: report.cancelled,
        entry_id: None,
    }
}

/// Guesses an image MIME type from its first bytes.
pub fn sniff_mime(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF8") {
        "image/gif"
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.starts_with(b"BM") {
        "image/bmp"
    } else {
        "application/octet-stream"
    }
}

impl Core {
    pub fn new(config_dir: PathBuf, data_dir: PathBuf, secrets: Box<dyn SecretStore>) -> Self {
        Self {
            profiles: ProfileStore::new(&config_dir),
            views: ViewStore::new(&config_dir),
            secrets,
            jobs: JobRegistry::default(),
            activity: crate::activity_store::ActivityState::new(&data_dir),
            rows: crate::rows::RowStore::default(),
            index: Arc::new(crate::local_index::LocalIndex::new(&data_dir)),
            data_dir,
            conn: Mutex::new(None),
            sandbox: Mutex::new(None),
        }
    }

    // ---------- profiles ----------

    pub fn list_profiles(&self) -> AppResult<ProfileList> {
        self.profiles.list()
    }

    pub fn add_profile(&self, draft: ProfileDraft) -> AppResult<Profile> {
        self.profiles.add(&draft, self.secrets.as_ref())
    }

    pub fn update_profile(&self, id: String, draft: ProfileDraft) -> AppResult<Profile> {
        self.profiles.update(&id, &draft, self.secrets.as_ref())
    }

    pub async fn remove_profile(&self, id: String) -> AppResult<()> {
        self.profiles.remove(&id, self.secrets.as_ref())?;
        let mut conn = self.conn.lock().await;
        if conn.as_ref().is_some_and(|c| c.info.profile.id == id) {
            *conn = None;
        }
        Ok(())
    }

    async fn sandbox_url(&self) -> AppResult<String> {
        let mut sb = self.sandbox.lock().await;
        if sb.is_none() {
            *sb = Some(LocalSandbox::start(&self.data_dir).await?);
        }
        Ok(sb
            .as_ref()
            .map(|s| s.base_url().to_owned())
            .unwrap_or_default())
    }

    async fn client_for(
        &self,
        profile: &Profile,
        secret: Option<String>,
        opts: ClientOptions,
    ) -> AppResult<LabClient> {
        let (endpoint, creds) = if profile.id == LOCAL_SANDBOX_ID {
            (
                self.sandbox_url().await?,
                Credentials {
                    access_id: DEMO_ACCESS_ID.into(),
                    secret_key: DEMO_SECRET_KEY.into(),
                },
            )
        } else {
            let secret = match secret {
                Some(s) if !s.is_empty() => s,
                _ => self.secrets.get(&profile.id)?.ok_or_else(|| {
                    AppError::msg(ErrorKind::Keychain, "err.secretNotInKeychain", &[])
                })?,
            };
            (
                profile.endpoint.clone(),
                Credentials {
                    access_id: profile.access_id.clone(),
                    secret_key: secret,
                },
            )
        };
        LabClient::new(&endpoint, creds, opts).map_err(|e| map(&e, Stage::SignIn, &endpoint))
    }

    /// "Test connection" on the form: signs in with the draft (or the stored secret when the
    /// draft's is empty and `id` names a saved profile). Nothing is saved.
    pub async fn test_connection(&self, id: Option<String>, draft: ProfileDraft) -> AppResult<()> {
        let profile = match id.as_deref() {
            Some(LOCAL_SANDBOX_ID) => crate::profiles::local_sandbox_profile(),
            _ => {
                let d = crate::profiles::validate(&draft, id.is_none())?;
                Profile {
                    id: id.clone().unwrap_or_default(),
                    name: d.name,
                    endpoint: d.endpoint,
                    access_id: d.access_id,
                    builtin: false,
                }
            }
        };
        // answer fast: one retry, short timeout
        let quick = ClientOptions {
            max_retries: 1,
            timeout: std::time::Duration::from_secs(15),
            ..ClientOptions::default()
        };
        let client = self
            .client_for(&profile, Some(draft.secret_key.trim().to_owned()), quick)
            .await?;
        client
            .check()
            .await
            .map_err(|e| map(&e, Stage::SignIn, client.endpoint()))
    }

    /// Signs in with a saved profile and makes it the current connection.
    pub async fn connect(&self, profile_id: String) -> AppResult<ConnectionInfo> {
        let profile = self.profiles.get(&profile_id)?;
        let client = self
            .client_for(&profile, None, ClientOptions::default())
            .await?;
        client
            .check()
            .await
            .map_err(|e| map(&e, Stage::SignIn, client.endpoint()))?;
        let info = ConnectionInfo {
            profile,
            endpoint: client.endpoint().to_owned(),
        };
        self.profiles.set_last(&profile_id)?;
        *self.conn.lock().await = Some(Arc::new(Connection {
            info: info.clone(),
            client,
        }));
        Ok(info)
    }

    pub async fn disconnect(&self) -> AppResult<()> {
        *self.conn.lock().await = None;
        Ok(())
    }

    pub async fn connection(&self) -> Option<ConnectionInfo> {
        self.conn.lock().await.as_ref().map(|c| c.info.clone())
    }

    async fn current(&self) -> AppResult<Arc<Connection>> {
        self.conn
            .lock()
            .await
            .clone()
            .ok_or_else(AppError::not_connected)
    }

    /// The connected client (cheap clone), for modules that run their own jobs.
    pub async fn client(&self) -> AppResult<LabClient> {
        Ok(self.current().await?.client.clone())
    }

    /// The connected client and who acts, for the activity log (never a secret).
    pub async fn actor(&self) -> AppResult<(LabClient, lab_activity::Actor)> {
        let c = self.current().await?;
        Ok((c.client.clone(), actor_of(&c.info)))
    }

    /// The app's data dir (journals, history, local sandbox).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    fn err(c: &Connection) -> impl Fn(lab_client::Error) -> AppError + '_ {
        move |e| map(&e, Stage::Session, c.client.endpoint())
    }

    // ---------- projects ----------

    pub async fn list_projects(&self, filter: ProjectFilter) -> AppResult<Vec<Project>> {
        let c = self.current().await?;
        c.client.projects(&filter).await.map_err(Self::err(&c))
    }

    pub async fn list_batches(&self, project_id: String) -> AppResult<Vec<Batch>> {
        let c = self.current().await?;
        c.client
            .batches(&project_id, &BatchFilter::default())
            .await
            .map_err(Self::err(&c))
    }

    pub async fn project_overview(&self, project_id: String) -> AppResult<ProjectOverview> {
        let c = self.current().await?;
        let e = Self::err(&c);
        let all = BatchFilter::default();
        let (project, cfg, batches) = futures::try_join!(
            c.client.project(&project_id),
            c.client.project_configuration(&project_id),
            c.client.batches(&project_id, &all),
        )
        .map_err(&e)?;
        let ids: Vec<String> = batches.iter().map(|b| b.id.clone()).collect();
        let per_batch = count_per_batch(&ids, &TASK_STATUSES, |batch, status| {
            let mut f = TaskFilter::new(project_id.clone());
            f.batch_ids = vec![batch];
            f.statuses = vec![status];
            let client = c.client.clone();
            async move { client.count_tasks(&f).await }
        })
        .await
        .map_err(&e)?;
        let counts = batches
            .into_iter()
            .zip(per_batch)
            .map(|(batch, per_status)| {
                let counts: Vec<StatusCount> = TASK_STATUSES
                    .iter()
                    .zip(per_status)
                    .filter(|(_, n)| *n > 0)
                    .map(|(s, n)| StatusCount {
                        status: (*s).to_owned(),
                        count: n,
                    })
                    .collect();
                let total = counts.iter().map(|c| c.count).sum();
                BatchCounts {
                    batch,
                    counts,
                    total,
                }
            })
            .collect();
        Ok(ProjectOverview {
            project,
            summary: cfg.summary(),
            batches: counts,
        })
    }

    // ---------- tasks ----------

    /// Streams the matching tasks page by page to `on_page` until done or cancelled.
    /// Runs a search: its pages fill the row set `job_id` ([`Core::task_rows`] reads it) and
    /// `on_page` says how far it got.
    pub async fn load_tasks(
        &self,
        job_id: &str,
        query: TaskQuery,
        on_page: impl Fn(TaskPageEvent) -> AppResult<()>,
    ) -> AppResult<LoadSummary> {
        let job = self.jobs.start(job_id);
        let cancel = job.token.clone();
        let c = self.current().await?;
        let e = Self::err(&c);
        let search = self.rows.begin(job_id, query.clone());
        if let Some(summary) = self
            .load_from_index(&c, &search, &query.filter, &cancel, &on_page)
            .await?
        {
            return Ok(summary);
        }
        let mut stream = Box::pin(c.client.raw_task_pages(query.filter.clone()));
        let (mut loaded, mut total) = (0, 0);
        let lab = crate::local_index::TaskSource::Lab;
        loop {
            let next = tokio::select! {
                _ = cancel.cancelled() => return Ok(LoadSummary { loaded, total, cancelled: true, source: lab, as_of: None }),
                n = stream.next() => n,
            };
            let Some(page) = next else { break };
            let page = page.map_err(&e)?;
            let rows: Vec<(TaskRow, &str)> = page
                .tasks
                .iter()
                .filter_map(|t| {
                    let v: serde_json::Value = serde_json::from_str(t.get()).ok()?;
                    Some((task_row(&v), t.get()))
                })
                .collect();
            {
                let mut set = search.rows();
                for (row, text) in rows {
                    set.push(row, text);
                }
            }
            loaded = page.loaded;
            total = page.total;
            on_page(TaskPageEvent { loaded, total })?;
        }
        search.rows().finish();
        // the next searches of this project are answered from a local copy
        self.index
            .mirror_later(c.info.clone(), c.client.clone(), &query.filter);
        Ok(LoadSummary {
            loaded,
            total,
            cancelled: false,
            source: lab,
            as_of: None,
        })
    }

    /// Fills `search` from the local copy of the project when there is a finished one and it
    /// can answer the filter: the copy is synced first (only the changes are listed); when
    /// the lab does not answer, the copy is used as it was. `None`: ask the lab.
    async fn load_from_index(
        &self,
        c: &Connection,
        search: &crate::rows::Search,
        filter: &TaskFilter,
        cancel: &lab_client::CancellationToken,
        on_page: &impl Fn(TaskPageEvent) -> AppResult<()>,
    ) -> AppResult<Option<LoadSummary>> {
        use crate::local_index::{LocalIndex, TaskSource};
        if !lab_index::answerable_locally(filter) {
            return Ok(None);
        }
        let Some(mut held) = self.index.try_hold(&c.info) else {
            return Ok(None);
        };
        let project = filter.project_id.as_str();
        if !LocalIndex::mirrored(&mut held, project) {
            return Ok(None);
        }
        let mut source = TaskSource::Index;
        match held.index().sync(&c.client, project, |_| {}, cancel).await {
            Ok(_) => {}
            Err(lab_index::Error::Cancelled) => {
                return Ok(Some(LoadSummary {
                    loaded: 0,
                    total: 0,
                    cancelled: true,
                    source,
                    as_of: None,
                }));
            }
            Err(lab_index::Error::Lab(e)) => {
                let err = Self::err(c)(e);
                if matches!(err.kind, ErrorKind::Unreachable | ErrorKind::Server) {
                    source = TaskSource::IndexOffline;
                } else {
                    return Err(err);
                }
            }
            Err(e) => {
                if e.is_corrupt() {
                    held.rebuild();
                } else {
                    tracing::warn!("task index not synced, asking the lab: {e}");
                }
                return Ok(None);
            }
        }
        // a filter the copy refuses (bad regex, date): the lab's answer says what to fix
        let Ok(rows) = held.index().rows_with_docs(filter, crate::rows::DOC_BUDGET) else {
            return Ok(None);
        };
        let as_of = held
            .index()
            .project_state(project)
            .ok()
            .flatten()
            .and_then(|s| s.as_of);
        drop(held);
        let total = rows.len() as u64;
        let mut loaded = 0;
        for chunk in rows.chunks(5000) {
            if cancel.is_cancelled() {
                return Ok(Some(LoadSummary {
                    loaded,
                    total,
                    cancelled: true,
                    source,
                    as_of,
                }));
            }
            {
                let mut set = search.rows();
                for (row, doc) in chunk {
                    set.push_maybe(row.clone(), doc.as_deref());
                }
            }
            loaded += chunk.len() as u64;
            on_page(TaskPageEvent { loaded, total })?;
        }
        search.rows().finish();
        Ok(Some(LoadSummary {
            loaded,
            total,
            cancelled: false,
            source,
            as_of,
        }))
    }

    pub(crate) fn search(&self, set_id: &str) -> AppResult<Arc<crate::rows::Search>> {
        self.rows
            .get(set_id)
            .ok_or_else(|| AppError::msg(ErrorKind::NotFound, "err.searchGone", &[]))
    }

    /// Rows `start..end` of search `set_id` in `sort` order.
    pub fn task_rows(
        &self,
        set_id: &str,
        sort: Option<crate::rows::SortSpec>,
        start: u32,
        end: u32,
    ) -> AppResult<crate::rows::RowRange> {
        // a search the window started may not have made its set yet (the two calls race):
        // no rows so far, the search's progress asks again
        match self.rows.get(set_id) {
            Some(s) => Ok(s.rows().range(sort, start, end)),
            None => Ok(crate::rows::RowRange {
                start: 0,
                rows: Vec::new(),
                count: 0,
                done: false,
            }),
        }
    }

    /// Where task `task_id` is in search `set_id` in `sort` order.
    pub fn task_position(
        &self,
        set_id: &str,
        sort: Option<crate::rows::SortSpec>,
        task_id: &str,
    ) -> AppResult<Option<u32>> {
        Ok(self.search(set_id)?.rows().position(sort, task_id))
    }

    /// Every task of search `set_id` but `except` ("select all matching").
    pub fn selection_ids(&self, set_id: &str, except: Vec<String>) -> AppResult<Vec<String>> {
        let except: std::collections::HashSet<String> = except.into_iter().collect();
        Ok(self.search(set_id)?.rows().ids_except(&except))
    }

    /// The names of `ids` in search `set_id`.
    pub fn task_names(
        &self,
        set_id: &str,
        ids: Vec<String>,
    ) -> AppResult<std::collections::HashMap<String, String>> {
        Ok(self.search(set_id)?.rows().names(&ids))
    }

    /// The raw document of task `task_id` of search `set_id`: as listed when the set kept it,
    /// else read again from the lab with the search's optional fields.
    pub async fn raw_task(&self, set_id: &str, task_id: &str) -> AppResult<serde_json::Value> {
        let search = self.search(set_id)?;
        let kept = search.rows().doc(task_id);
        if let Some(doc) = kept {
            return Ok(doc);
        }
        let filter = search.query.filter.clone();
        // then the local copy, when free (it holds every optional field)
        if let Some(info) = self.connection().await
            && let Some(mut held) = self.index.try_hold(&info)
            && let Ok(Some(doc)) = held.index().document(&filter.project_id, task_id)
        {
            return Ok(doc);
        }
        self.fetch_task(&filter.project_id, task_id, filter.optional_fields.clone())
            .await
    }

    /// Reads tasks `ids` of search `set_id` again from the lab after an action changed them, and
    /// puts them in place in the set (tasks gone from the lab keep their old row). Returns how
    /// many were refreshed.
    pub async fn refresh_tasks(&self, set_id: &str, ids: Vec<String>) -> AppResult<u32> {
        let search = self.search(set_id)?;
        let c = self.current().await?;
        let e = Self::err(&c);
        let mut done = 0;
        let ids_all = dedup(ids);
        for chunk in ids_all.chunks(100) {
            let mut filter = TaskFilter::new(search.query.filter.project_id.clone());
            filter.task_ids = chunk.to_vec();
            filter.optional_fields = search.query.filter.optional_fields.clone();
            let mut stream = Box::pin(c.client.raw_task_pages(filter));
            while let Some(page) = stream.next().await {
                let page = page.map_err(&e)?;
                let mut set = search.rows();
                for t in &page.tasks {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(t.get()) {
                        set.refresh(task_row(&v), t.get());
                        done += 1;
                    }
                }
            }
        }
        // the local copy follows (when busy, its next sync lists the changes anyway)
        let project = search.query.filter.project_id.as_str();
        if let Some(mut held) = self.index.try_hold(&c.info)
            && crate::local_index::LocalIndex::mirrored(&mut held, project)
            && let Err(e) = held
                .index()
                .refresh_tasks(&c.client, project, &ids_all)
                .await
        {
            tracing::info!("task index not refreshed: {e}");
        }
        Ok(done)
    }

    /// A project's configuration document.
    pub async fn project_configuration(&self, project_id: &str) -> AppResult<serde_json::Value> {
        let c = self.current().await?;
        let e = Self::err(&c);
        Ok(c.client
            .project_configuration(project_id)
            .await
            .map_err(&e)?
            .raw)
    }

    /// One task by id with `optional_fields`.
    pub async fn fetch_task(
        &self,
        project_id: &str,
        task_id: &str,
        optional_fields: Vec<String>,
    ) -> AppResult<serde_json::Value> {
        let c = self.current().await?;
        let e = Self::err(&c);
        let mut filter = TaskFilter::new(project_id);
        filter.task_ids = vec![task_id.to_string()];
        filter.optional_fields = optional_fields;
        let mut stream = Box::pin(c.client.task_pages(filter));
        while let Some(page) = stream.next().await {
            let page = page.map_err(&e)?;
            if let Some(t) = page.tasks.into_iter().next() {
                return Ok(t);
            }
        }
        Err(AppError::msg(
            ErrorKind::NotFound,
            "err.taskGone",
            &[("id", task_id)],
        ))
    }

    /// Task `task_id` of search `set_id` in the search's view (the drawer's document).
    pub async fn task_doc(&self, set_id: &str, task_id: &str) -> AppResult<serde_json::Value> {
        let search = self.search(set_id)?;
        let raw = self.raw_task(set_id, task_id).await?;
        let query = &search.query;
        let opts = LabViewOptions {
            last_annotator: query.filter.wants_last_annotator(),
            keep_jobs: query.filter.wants_jobs(),
        };
        Ok(match query.view {
            TaskView::Raw => raw,
            TaskView::Lab => lab_view(&raw, &opts),
            TaskView::Kili => {
                let c = self.current().await?;
                let e = Self::err(&c);
                let cfg = c
                    .client
                    .project_configuration(&query.filter.project_id)
                    .await
                    .map_err(&e)?;
                kili_view(&raw, &cfg).map_err(&e)?
            }
        })
    }

    /// An image preview of one resource as a `data:` URL (no remote content in the webview).
    pub async fn resource_preview(&self, resource: serde_json::Value) -> AppResult<String> {
        let c = self.current().await?;
        let bytes = match c.client.fetch_resource(&resource).await {
            Ok(b) => b,
            Err(e) => return Err(preview_error(&resource, &e, c.client.endpoint())),
        };
        let mime = sniff_mime(&bytes);
        if !mime.starts_with("image/") {
            return Err(AppError::msg(ErrorKind::BadInput, "err.notAnImage", &[]));
        }
        Ok(format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        ))
    }

    // ---------- bulk actions ----------

    pub async fn bulk_preview(
        &self,
        project_id: String,
        target: BulkTarget,
    ) -> AppResult<BulkPreview> {
        let c = self.current().await?;
        let e = Self::err(&c);
        let (mut filter, count) = match target {
            BulkTarget::Selection { ids } => {
                let mut ids = dedup(ids);
                let n = ids.len() as u64;
                ids.truncate(5);
                let mut f = TaskFilter::new(project_id);
                f.task_ids = ids;
                (f, Some(n))
            }
            BulkTarget::Filter { filter } => (*filter, None),
        };
        filter.optional_fields.clear();
        let count = match count {
            Some(n) => n,
            None => c.client.count_tasks(&filter).await.map_err(&e)?,
        };
        let mut sample = Vec::new();
        let mut pages = Box::pin(c.client.task_pages(filter));
        if let Some(page) = pages.next().await {
            for t in page.map_err(&e)?.tasks.iter().take(5) {
                sample.push(TaskBrief {
                    id: str_field(t, "_id"),
                    name: str_field(t, "name"),
                    status: str_field(t, "status"),
                });
            }
        }
        Ok(BulkPreview { count, sample })
    }

    /// Runs a bulk action, reporting progress; returns one result row per task.
    pub async fn run_bulk(
        &self,
        job_id: &str,
        req: BulkRequest,
        on_progress: impl Fn(BulkProgress) + Send + Sync + 'static,
    ) -> AppResult<BulkResult> {
        if let BulkAction::Properties { score, custom } = &req.action
            && score.is_none()
            && custom.as_ref().is_none_or(|m| m.is_empty())
        {
            return Err(AppError::msg(ErrorKind::BadInput, "err.nothingToSet", &[]));
        }
        let job = self.jobs.start(job_id);
        let cancel = job.token.clone();
        let c = self.current().await?;
        let e = Self::err(&c);
        let on_progress = Arc::new(on_progress);
        let (ids, target) = match req.target {
            BulkTarget::Selection { ids } => {
                let ids = dedup(ids);
                let count = ids.len() as u64;
                (ids, lab_activity::Target::Selection { count })
            }
            BulkTarget::Filter { mut filter } => {
                filter.optional_fields.clear();
                let mut ids = Vec::new();
                let mut pages = Box::pin(c.client.task_pages((*filter).clone()));
                loop {
                    let next = tokio::select! {
                        _ = cancel.cancelled() => return Ok(BulkResult { rows: vec![], succeeded: 0, failed: 0, cancelled: true, entry_id: None }),
                        n = pages.next() => n,
                    };
                    let Some(page) = next else { break };
                    let page = page.map_err(&e)?;
                    ids.extend(page.tasks.iter().map(|t| str_field(t, "_id")));
                    on_progress(BulkProgress {
                        phase: "listing".into(),
                        done: page.loaded,
                        failed: 0,
                        total: page.total,
                    });
                }
                (ids, lab_activity::Target::Filter { filter })
            }
        };
        if ids.is_empty() {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.nothingToChange",
                &[],
            ));
        }
        let store = self.activity.store()?;
        let (tx, fwd) = {
            let on_progress = on_progress.clone();
            crate::progress::forward(move |p: lab_activity::ActivityProgress| {
                on_progress(BulkProgress {
                    phase: match p.phase {
                        lab_activity::Phase::Reading => "reading",
                        lab_activity::Phase::Changing => "changing",
                    }
                    .into(),
                    done: p.done,
                    failed: p.failed,
                    total: p.total,
                })
            })
        };
        // The lab-client bulk futures are not provably `Send` (a higher-ranked closure inside),
        // so they run on a blocking thread of the same runtime. Each chunk is on record as it
        // finishes (lab-activity), with the values it replaced.
        let client = c.client.clone();
        let actor = actor_of(&c.info);
        let pid = req.project_id;
        let project_name = req.project_name;
        let change = match req.action {
            BulkAction::Properties { score, custom } => {
                lab_activity::BulkChange::Properties(PropertiesUpdate {
                    score: score.and_then(json_number),
                    custom: custom.filter(|m| !m.is_empty()),
                })
            }
            BulkAction::Redo { reset } => lab_activity::BulkChange::Redo { reset },
            BulkAction::Review => lab_activity::BulkChange::Review,
        };
        let handle = tokio::runtime::Handle::current();
        let endpoint = c.client.endpoint().to_owned();
        let rec = tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                lab_activity::run_bulk(
                    lab_activity::BulkRun {
                        client: &client,
                        store: &store,
                        actor: &actor,
                        project_id: &pid,
                        project_name: project_name.as_deref(),
                        target,
                    },
                    ids,
                    change,
                    Some(tx),
                    cancel,
                )
                .await
            })
        })
        .await
        .map_err(|e| AppError::internal(format!("The bulk action stopped unexpectedly: {e}")))?
        .map_err(|x| crate::activity_store::app_error(x, &endpoint))?;
        fwd.finish().await;
        let mut result = bulk_result(rec.report);
        result.entry_id = Some(rec.entry_id);
        Ok(result)
    }

    /// Asks a running job to stop; false when it already ended.
    pub fn cancel_job(&self, job_id: &str) -> bool {
        self.jobs.cancel(job_id)
    }

    // ---------- saved views ----------

    pub fn list_views(&self, project_id: String) -> AppResult<Vec<SavedView>> {
        self.views.list(&project_id)
    }

    pub fn save_view(&self, project_id: String, view: SavedView) -> AppResult<Vec<SavedView>> {
        self.views.save(&project_id, view)
    }

    pub fn delete_view(&self, project_id: String, name: String) -> AppResult<Vec<SavedView>> {
        self.views.delete(&project_id, &name)
    }
}

/// A score as JSON: whole numbers stay integers (4, not 4.0), like the SDK sends them.
pub fn json_number(x: f64) -> Option<serde_json::Number> {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Some(serde_json::Number::from(x as i64))
    } else {
        serde_json::Number::from_f64(x)
    }
}

/// Removes repeated ids, keeping the first occurrence's order.
pub fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter()
        .filter(|i| !i.is_empty() && seen.insert(i.clone()))
        .collect()
}

/// Why a resource could not be shown. An image on another host that does not answer says
/// nothing about the lab: it is not "unreachable" (which puts the whole window offline and
/// reloads the screen when the lab answers again), it names that host.
fn preview_error(resource: &serde_json::Value, e: &lab_client::Error, endpoint: &str) -> AppError {
    let external = resource
        .as_str()
        .and_then(|s| url::Url::parse(s).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    match external {
        Some(u) if matches!(e.kind(), ClientKind::Offline | ClientKind::Timeout) => {
            let host = u.host_str().unwrap_or_default().to_owned();
            AppError::msg(
                ErrorKind::NotFound,
                "err.resourceUnreachable",
                &[("host", host.as_str())],
            )
        }
        _ => map(e, Stage::Session, endpoint),
    }
}

/// Count requests of the project overview in flight at once (a project with 200 batches makes
/// 1,000 of them: they must not all open a connection at the same time).
pub const OVERVIEW_IN_FLIGHT: usize = 8;

/// The task count of each batch in each status (`out[batch][status]`, in the order given),
/// asking `count` at most [`OVERVIEW_IN_FLIGHT`] at a time; the first error ends it.
async fn count_per_batch<F, Fut, E>(
    batches: &[String],
    statuses: &[&str],
    count: F,
) -> Result<Vec<Vec<u64>>, E>
where
    F: Fn(String, String) -> Fut,
    Fut: std::future::Future<Output = Result<u64, E>>,
{
    use futures::{StreamExt, TryStreamExt};
    if statuses.is_empty() {
        return Ok(vec![Vec::new(); batches.len()]);
    }
    // owned pairs: the stream holds no borrow across its awaits (the command's future is Send)
    let pairs: Vec<(String, String)> = batches
        .iter()
        .flat_map(|b| statuses.iter().map(move |s| (b.clone(), (*s).to_owned())))
        .collect();
    let flat: Vec<u64> = futures::stream::iter(pairs)
        .map(|(b, s)| count(b, s))
        .buffered(OVERVIEW_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(flat.chunks(statuses.len()).map(<[u64]>::to_vec).collect())
}

/// A Core in `dir` (config/ and data/ inside) with an in-memory keychain: for tests, here and in
/// the crates that use the core (src-tauri's diagnostics tests).
pub fn test_core(dir: &std::path::Path) -> Core {
    Core::new(
        dir.join("config"),
        dir.join("data"),
        Box::new(crate::keychain::MemoryStore::default()),
    )
}

/// [`test_core`] connected to its local demo sandbox (tests).
#[cfg(test)]
pub(crate) async fn test_core_on_demo(dir: &std::path::Path) -> Core {
    let core = test_core(dir);
    core.connect(crate::profiles::LOCAL_SANDBOX_ID.into())
        .await
        .expect("the local demo sandbox starts");
    core
}

#[cfg(test)]
impl Core {
    /// Stops the built-in sandbox: the lab goes offline.
    pub(crate) async fn stop_local_sandbox(&self) {
        *self.sandbox.lock().await = None;
    }
}

#[cfg(test)]
mod tests;
