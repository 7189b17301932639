//! "Create tasks" (issue 6, create half): dropped / picked files and task lists become a
//! pre-flight table kept here per window session, checked against the batch, then created by a
//! journaled job (lab-jobs) that survives the app being closed or killed.
//!
//! Plain functions over [`CreateState`] hold the logic (tests in create/tests.rs); src-tauri's
//! commands/create.rs holds the one-line adapters.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lab_client::{DuplicatePolicy, LabClient};
use lab_jobs::{
    Check, Item, ItemStatus, Job, JobProgress, JobReport, JobState, Journal, Kind, Preflight,
    RowSource, RunOptions, ScanOptions, Summary,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::activity_store::app_error as activity_error;
use crate::client_errors::{Stage, map};
use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorKind};

/// The most creates a job keeps in flight: the client starts at 8 and adapts up to this on a
/// long thin link, down on 429s, 5xx or timeouts (the same ceiling as `lab create-tasks`).
pub const CONCURRENCY: usize = 32;
/// Where the job labels were kept before the journal held them (imported once, then removed).
const OLD_LABELS_FILE: &str = "labels.json";

/// One row of the pre-flight table as the window shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RowView {
    /// Position in the table (stable for the session).
    pub idx: usize,
    pub source: RowSource,
    /// The local file, as a path the user recognises.
    pub path: Option<String>,
    pub name: String,
    pub size: Option<u64>,
    pub kind: Kind,
    pub format: Option<String>,
    pub checks: Vec<Check>,
    pub skip: bool,
    /// Resources of the task (files, URLs).
    pub resources: usize,
    /// Whether the task carries initial data.
    pub has_data: bool,
}

/// The whole pre-flight table.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreflightView {
    pub rows: Vec<RowView>,
    pub summary: Summary,
    /// Things left out while walking the drop: English and catalogue message each.
    pub warnings: Vec<lab_client::ErrorInfo>,
    pub hidden_skipped: u64,
    /// Some names were never checked against the chosen batch (check again before creating).
    pub needs_batch_check: bool,
}

/// Where the tasks go.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum BatchTarget {
    Existing {
        #[serde(rename = "batchId")]
        batch_id: String,
    },
    New {
        name: String,
    },
}

/// "Create" pressed on the pre-flight screen.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StartRequest {
    pub session: String,
    pub project_id: String,
    pub project_name: String,
    pub target: BatchTarget,
    pub policy: DuplicatePolicy,
}

/// A thumbnail of a row (`url` is a `data:` URL; none for rows without a local image).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Thumb {
    pub idx: usize,
    pub url: Option<String>,
}

/// What a job was, in words (stored beside the journal).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobLabel {
    pub profile_id: String,
    pub profile_name: String,
    pub project_name: String,
    pub batch_name: String,
    /// Rows of the drop not sent, counted when the job was made (none for jobs made before
    /// this was kept), so that a job resumed after a restart still counts every row.
    #[serde(default)]
    pub left_out: Option<LeftOut>,
}

/// Rows of a drop that a job does not send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LeftOut {
    /// Names already in the batch, left out under "Skip existing".
    pub existing: u32,
    /// Rows skipped (invalid, or by hand).
    pub skipped: u32,
}

impl LeftOut {
    /// What a job of `tasks` tasks leaves out of the rows of `pf`.
    fn of(pf: &lab_jobs::Preflight, tasks: usize) -> LeftOut {
        let skipped = pf.rows.iter().filter(|r| r.skip).count();
        let live = pf.rows.len() - skipped;
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        LeftOut {
            existing: n(live.saturating_sub(tasks)),
            skipped: n(skipped),
        }
    }
}

/// A job with its label, for the resume prompt and the upload screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobInfo {
    pub job: Job,
    pub label: JobLabel,
}

/// The per-task outcome of a job (without the task payload).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub idx: u64,
    pub name: String,
    pub status: ItemStatus,
    pub task_id: Option<String>,
    /// Why it failed or was left out: the English and, when it has one, the catalogue message
    /// the window shows in the user's language.
    pub error: Option<lab_client::ErrorInfo>,
    pub attempts: u64,
}

impl From<Item> for ItemView {
    fn from(i: Item) -> Self {
        Self {
            idx: i.idx,
            name: i.name,
            status: i.status,
            task_id: i.task_id,
            error: i.error,
            attempts: i.attempts,
        }
    }
}

/// How a run of a job ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    pub info: JobInfo,
    pub finished_now: u64,
    /// Why the run stopped before the end (connection lost…); the job can be resumed.
    pub stopped: Option<AppError>,
}

/// State of the create screens: pre-flight tables per window session, the journal, running jobs.
pub struct CreateState {
    dir: PathBuf,
    sessions: Mutex<HashMap<String, Preflight>>,
    journal: Mutex<Option<Journal>>,
    runs: crate::jobs::JobRegistry,
}

/// The label the journal keeps with job `id`. Labels are cosmetic: one missing or unreadable
/// reads as empty (and is logged) rather than blocking the resume of the job.
fn label_of(journal: &Journal, id: &str) -> JobLabel {
    match journal.meta(id) {
        Ok(Some(v)) => serde_json::from_value(v).unwrap_or_else(|e| {
            tracing::warn!("job {id}: label unreadable ({e})");
            JobLabel::default()
        }),
        Ok(None) => JobLabel::default(),
        Err(e) => {
            tracing::warn!("job {id}: label not read ({e})");
            JobLabel::default()
        }
    }
}

/// Moves the labels of an older Lab Desk (a labels.json beside the journal) into the journal,
/// once: a job that already has a label keeps it; the file goes when every label is in (a
/// damaged file is kept aside as labels.json.damaged for a look).
fn import_old_labels(journal: &Journal, path: &Path) {
    if !path.exists() {
        return;
    }
    let all: HashMap<String, JobLabel> = match crate::store::read_json(path) {
        Ok(all) => all,
        Err(e) => {
            let aside = path.with_extension("json.damaged");
            tracing::warn!(
                "old job labels unreadable ({e}); kept as {}",
                aside.display()
            );
            let _ = std::fs::rename(path, &aside);
            return;
        }
    };
    let mut kept = true;
    for (id, label) in all {
        match journal.meta(&id) {
            Ok(None) => {
                let v = serde_json::to_value(&label).unwrap_or_default();
                kept &= journal.set_meta(&id, &v).is_ok();
            }
            Ok(Some(_)) | Err(lab_jobs::Error::NotFound(_)) => {}
            Err(e) => {
                tracing::warn!("job {id}: old label not imported ({e})");
                kept = false;
            }
        }
    }
    if kept {
        let _ = std::fs::remove_file(path);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A lab-jobs error as the window shows it.
pub fn app_error(e: lab_jobs::Error, endpoint: &str) -> AppError {
    match e {
        lab_jobs::Error::Client(c) => map(&c, Stage::Session, endpoint),
        lab_jobs::Error::Stopped(info) => crate::client_errors::map_kind(
            info.kind,
            &info.message,
            info.catalogue,
            Stage::Session,
            &crate::client_errors::host_of(endpoint),
        ),
        e @ lab_jobs::Error::NotFound(_) => {
            AppError::from_library(ErrorKind::NotFound, e.to_string(), e.message())
        }
        e @ (lab_jobs::Error::Input(_)
        | lab_jobs::Error::InFile { .. }
        | lab_jobs::Error::State(_)) => {
            AppError::from_library(ErrorKind::BadInput, e.to_string(), e.message())
        }
        e @ lab_jobs::Error::Io { .. } => AppError::msg(
            ErrorKind::Internal,
            "err.localFileUnreadable",
            &[("detail", &e.to_string())],
        ),
        e @ lab_jobs::Error::Journal(_) => AppError::msg(
            ErrorKind::Internal,
            "err.journalUnwritable",
            &[("detail", &e.to_string())],
        ),
    }
}

fn blocking_failed(e: tokio::task::JoinError) -> AppError {
    AppError::internal(format!(
        "Lab Desk stopped reading the files unexpectedly: {e}"
    ))
}

/// The table as the window shows it.
pub fn view(pf: &Preflight) -> PreflightView {
    PreflightView {
        rows: pf
            .rows
            .iter()
            .enumerate()
            .map(|(idx, r)| RowView {
                idx,
                source: r.source.clone(),
                path: r.path.as_ref().map(|p| p.display().to_string()),
                name: r.name.clone(),
                size: r.size,
                kind: r.kind,
                format: r.format.clone(),
                checks: r.checks.clone(),
                skip: r.skip,
                resources: r.task.resources.as_ref().map_or(0, Vec::len),
                has_data: r.task.data.as_ref().is_some_and(|d| !d.is_null()),
            })
            .collect(),
        summary: pf.summary(),
        warnings: pf
            .warnings
            .iter()
            .map(lab_jobs::ScanWarning::info)
            .collect(),
        hidden_skipped: pf.hidden_skipped as u64,
        needs_batch_check: pf.needs_batch_check(),
    }
}

/// Loads a task list: `.csv` as CSV, anything else as the SDK's JSON list.
pub fn load_list(path: &Path) -> AppResult<Preflight> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let r = if is_csv {
        Preflight::from_csv_file(path)
    } else {
        Preflight::from_json_file(path)
    };
    r.map_err(|e| app_error(e, ""))
}

/// Leaves out (skip = true) every row with a problem that blocks it, or puts them back.
pub fn skip_invalid(pf: &mut Preflight) -> usize {
    let idxs: Vec<usize> = pf
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.skip && r.checks.iter().any(Check::is_blocking))
        .map(|(i, _)| i)
        .collect();
    for &i in &idxs {
        pf.rows[i].skip = true;
    }
    pf.recheck_names();
    idxs.len()
}

/// The batch name must be usable before anything is created.
pub fn check_batch_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.batchNameMissing",
            &[],
        ));
    }
    if n.chars().count() > 255 || n.chars().any(char::is_control) {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.batchNameInvalid",
            &[],
        ));
    }
    Ok(n.to_owned())
}

impl CreateState {
    /// State keeping its journal in `data_dir/jobs`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("jobs"),
            sessions: Mutex::new(HashMap::new()),
            journal: Mutex::new(None),
            runs: crate::jobs::JobRegistry::default(),
        }
    }

    /// The journal (opened on first use).
    pub fn journal(&self) -> AppResult<Journal> {
        let mut j = lock(&self.journal);
        if let Some(j) = j.as_ref() {
            return Ok(j.clone());
        }
        let opened = Journal::open(&self.dir).map_err(|e| app_error(e, ""))?;
        import_old_labels(&opened, &self.dir.join(OLD_LABELS_FILE));
        *j = Some(opened.clone());
        Ok(opened)
    }

    fn with_session<T>(
        &self,
        session: &str,
        f: impl FnOnce(&mut Preflight) -> AppResult<T>,
    ) -> AppResult<T> {
        let mut s = lock(&self.sessions);
        let pf = s
            .get_mut(session)
            .ok_or_else(|| AppError::msg(ErrorKind::BadInput, "err.fileListGone", &[]))?;
        f(pf)
    }

    fn snapshot(&self, session: &str) -> AppResult<Preflight> {
        self.with_session(session, |pf| Ok(pf.clone()))
    }

    /// Puts `pf` in the session: replaces its rows, or appends them (a second drop).
    pub fn merge(&self, session: &str, pf: Preflight, append: bool) -> PreflightView {
        let mut s = lock(&self.sessions);
        let cur = s.entry(session.to_owned()).or_default();
        if append {
            let (existing, checked) = (cur.existing.clone(), cur.checked_names.clone());
            cur.extend(pf);
            cur.existing = existing;
            cur.checked_names = checked;
            cur.recheck_names();
        } else {
            *cur = pf;
        }
        view(cur)
    }

    /// Files and folders dropped or picked.
    pub async fn scan(
        &self,
        session: &str,
        paths: Vec<String>,
        append: bool,
    ) -> AppResult<PreflightView> {
        if paths.is_empty() {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.nothingDropped",
                &[],
            ));
        }
        let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
        let pf = tokio::task::spawn_blocking(move || {
            Preflight::from_paths(&paths, &ScanOptions::default())
        })
        .await
        .map_err(blocking_failed)?;
        Ok(self.merge(session, pf, append))
    }

    /// A JSON or CSV task list.
    pub async fn load(
        &self,
        session: &str,
        path: String,
        append: bool,
    ) -> AppResult<PreflightView> {
        let p = PathBuf::from(path);
        let pf = tokio::task::spawn_blocking(move || load_list(&p))
            .await
            .map_err(blocking_failed)??;
        Ok(self.merge(session, pf, append))
    }

    pub fn view(&self, session: &str) -> AppResult<PreflightView> {
        self.with_session(session, |pf| Ok(view(pf)))
    }

    pub fn rename(&self, session: &str, idx: usize, name: &str) -> AppResult<PreflightView> {
        self.with_session(session, |pf| {
            pf.rename(idx, name).map_err(|e| app_error(e, ""))?;
            Ok(view(pf))
        })
    }

    pub fn set_skip(&self, session: &str, idxs: &[usize], skip: bool) -> AppResult<PreflightView> {
        self.with_session(session, |pf| {
            // all rows checked before any is changed: a bad index changes nothing
            if let Some(i) = idxs.iter().find(|&&i| i >= pf.rows.len()) {
                return Err(AppError::msg(
                    ErrorKind::BadInput,
                    "err.noSuchRow",
                    &[("row", &i.to_string())],
                ));
            }
            for &i in idxs {
                pf.rows[i].skip = skip;
            }
            pf.recheck_names();
            Ok(view(pf))
        })
    }

    pub fn skip_invalid(&self, session: &str) -> AppResult<PreflightView> {
        self.with_session(session, |pf| {
            skip_invalid(pf);
            Ok(view(pf))
        })
    }

    /// Forgets the session's table.
    pub fn close(&self, session: &str) {
        lock(&self.sessions).remove(session);
    }

    /// Checks names against `batch_id` (none = a new batch) and data against the project.
    pub async fn check(
        &self,
        client: &LabClient,
        session: &str,
        project_id: &str,
        batch_id: Option<&str>,
    ) -> AppResult<PreflightView> {
        let mut pf = self.snapshot(session)?;
        lab_jobs::check_against_batch(client, project_id, batch_id, &mut pf)
            .await
            .map_err(|e| app_error(e, client.endpoint()))?;
        // Keep the user's edits made meanwhile: copy the check results onto the current table.
        self.with_session(session, |cur| {
            cur.existing = pf.existing;
            cur.checked_names = pf.checked_names;
            if cur.rows.len() == pf.rows.len() {
                for (c, p) in cur.rows.iter_mut().zip(pf.rows) {
                    c.checks.retain(|k| !matches!(k, Check::DataInvalid { .. }));
                    c.checks.extend(
                        p.checks
                            .into_iter()
                            .filter(|k| matches!(k, Check::DataInvalid { .. })),
                    );
                }
            }
            cur.recheck_names();
            Ok(view(cur))
        })
    }

    /// Thumbnails of the rows `idxs` (made on two threads).
    pub async fn thumbnails(&self, session: &str, idxs: Vec<usize>) -> AppResult<Vec<Thumb>> {
        let jobs: Vec<(usize, Option<PathBuf>)> = self.with_session(session, |pf| {
            Ok(idxs
                .iter()
                .filter_map(|&i| pf.rows.get(i).map(|r| (i, r)))
                .map(|(i, r)| {
                    let p = match (&r.path, r.kind) {
                        (Some(p), Kind::Image) => Some(p.clone()),
                        _ => None,
                    };
                    (i, p)
                })
                .collect())
        })?;
        tokio::task::spawn_blocking(move || {
            let make = |chunk: &[(usize, Option<PathBuf>)]| -> Vec<Thumb> {
                chunk
                    .iter()
                    .map(|(i, p)| Thumb {
                        idx: *i,
                        url: p.as_ref().and_then(|p| {
                            lab_jobs::thumbnail(p, lab_jobs::preflight::THUMBNAIL_MAX_PX).ok()
                        }),
                    })
                    .collect()
            };
            let mid = jobs.len().div_ceil(2);
            let (a, b) = jobs.split_at(mid);
            std::thread::scope(|s| {
                let h = s.spawn(|| make(b));
                let mut out = make(a);
                out.extend(h.join().unwrap_or_default());
                out
            })
        })
        .await
        .map_err(blocking_failed)
    }

    // ---------- jobs ----------

    pub fn info(&self, job: Job) -> JobInfo {
        let label = self
            .journal()
            .map(|j| label_of(&j, &job.id))
            .unwrap_or_default();
        JobInfo { job, label }
    }

    /// Jobs left unfinished (app closed or killed mid-batch, paused): "resume?".
    pub fn unfinished(&self) -> AppResult<Vec<JobInfo>> {
        let running = self.runs.ids();
        let jobs = self
            .journal()?
            .unfinished_jobs()
            .map_err(|e| app_error(e, ""))?;
        let journal = self.journal()?;
        Ok(jobs
            .into_iter()
            .filter(|j| !running.contains(&j.id))
            .map(|job| JobInfo {
                label: label_of(&journal, &job.id),
                job,
            })
            .collect())
    }

    pub fn job(&self, job_id: &str) -> AppResult<JobInfo> {
        let job = self.journal()?.job(job_id).map_err(|e| app_error(e, ""))?;
        Ok(self.info(job))
    }

    pub fn items(&self, job_id: &str) -> AppResult<Vec<ItemView>> {
        Ok(self
            .journal()?
            .items(job_id)
            .map_err(|e| app_error(e, ""))?
            .into_iter()
            .map(ItemView::from)
            .collect())
    }

    /// "Don't resume": the job is closed (its tasks created so far stay).
    pub fn discard(&self, job_id: &str) -> AppResult<()> {
        if self.runs.is_running(job_id) {
            return Err(AppError::msg(ErrorKind::BadInput, "err.jobRunning", &[]));
        }
        self.journal()?
            .cancel_job(job_id)
            .map_err(|e| app_error(e, ""))
    }

    pub fn pause(&self, job_id: &str) -> bool {
        self.runs.pause(job_id)
    }

    pub fn cancel(&self, job_id: &str) -> bool {
        self.runs.cancel(job_id)
    }

    /// Records the job of a start request: the batch (created when new) and the journal entry.
    pub async fn prepare(
        &self,
        client: &LabClient,
        profile: (&str, &str),
        req: &StartRequest,
    ) -> AppResult<Job> {
        let e = |x| app_error(x, client.endpoint());
        let mut pf = self.snapshot(&req.session)?;
        let existing_id = match &req.target {
            BatchTarget::Existing { batch_id } => Some(batch_id.as_str()),
            BatchTarget::New { .. } => None,
        };
        if pf.needs_batch_check() {
            lab_jobs::check_against_batch(client, &req.project_id, existing_id, &mut pf)
                .await
                .map_err(e)?;
            self.with_session(&req.session, |cur| {
                cur.existing = pf.existing.clone();
                cur.checked_names = pf.checked_names.clone();
                cur.recheck_names();
                Ok(())
            })?;
        }
        let tasks = pf.tasks_to_create(req.policy).map_err(e)?;
        let (batch_id, batch_name) = match &req.target {
            BatchTarget::Existing { batch_id } => {
                let b = client
                    .batch(batch_id)
                    .await
                    .map_err(|x| map(&x, Stage::Session, client.endpoint()))?;
                (b.id, b.name)
            }
            BatchTarget::New { name } => {
                let name = check_batch_name(name)?;
                let b = client
                    .create_batch(&req.project_id, &name)
                    .await
                    .map_err(|x| map(&x, Stage::Session, client.endpoint()))?;
                (b.id, b.name)
            }
        };
        let label = JobLabel {
            profile_id: profile.0.to_owned(),
            profile_name: profile.1.to_owned(),
            project_name: req.project_name.clone(),
            batch_name,
            left_out: Some(LeftOut::of(&pf, tasks.len())),
        };
        let meta = serde_json::to_value(&label).map_err(|x| AppError::internal(x.to_string()))?;
        self.journal()?
            .create_job_with_meta(&req.project_id, &batch_id, req.policy, &tasks, Some(&meta))
            .map_err(e)
    }

    /// Runs (or resumes) a job until it ends, is paused / cancelled, or the connection stops it.
    pub async fn run(
        &self,
        client: &LabClient,
        job_id: &str,
        on_progress: impl Fn(JobProgress) + Send + 'static,
    ) -> AppResult<RunResult> {
        let journal = self.journal()?;
        let run = self
            .runs
            .start_alone(job_id)
            .ok_or_else(|| AppError::msg(ErrorKind::BadInput, "err.jobAlreadyRunning", &[]))?;
        let (cancel, pause) = (run.token.clone(), run.pause.clone());
        let (tx, fwd) = crate::progress::forward::<JobProgress>(on_progress);
        let opts = RunOptions {
            concurrency: CONCURRENCY,
            validate_data: true,
        };
        let r =
            lab_jobs::run_create_job(client, &journal, job_id, Some(tx), cancel, pause, opts).await;
        fwd.finish().await;
        match r {
            Ok(JobReport { job, finished_now }) => Ok(RunResult {
                info: self.info(job),
                finished_now,
                stopped: None,
            }),
            Err(err) => {
                let app = app_error(err, client.endpoint());
                // A job that could not go on (refused, connection lost) stays resumable.
                let job = journal.job(job_id).map_err(|e| app_error(e, ""))?;
                if job.counts.done + job.counts.failed + job.counts.skipped == 0
                    && job.state == JobState::Paused
                    && app.kind == ErrorKind::BadInput
                {
                    // Refused before anything was created: nothing to resume.
                    let _ = journal.delete_job(job_id);
                    return Err(app);
                }
                Ok(RunResult {
                    info: self.info(job),
                    finished_now: 0,
                    stopped: Some(app),
                })
            }
        }
    }

    /// "Retry failed only": failed items back to pending, then run.
    pub fn reopen_failed(&self, job_id: &str) -> AppResult<u64> {
        let n = self
            .journal()?
            .retry_failed(job_id)
            .map_err(|e| app_error(e, ""))?;
        if n == 0 {
            return Err(AppError::msg(
                ErrorKind::BadInput,
                "err.nothingToRetry",
                &[],
            ));
        }
        Ok(n)
    }
}

/// The connected client and profile; a job started with another profile is not resumed with
/// this one.
async fn connected(
    core: &Core,
    label: Option<&JobLabel>,
) -> AppResult<(LabClient, String, String)> {
    let info = core
        .connection()
        .await
        .ok_or_else(AppError::not_connected)?;
    if let Some(l) = label
        && !l.profile_id.is_empty()
        && l.profile_id != info.profile.id
    {
        return Err(AppError::msg(
            ErrorKind::BadInput,
            "err.jobOtherProfile",
            &[("profile", &l.profile_name)],
        ));
    }
    Ok((core.client().await?, info.profile.id, info.profile.name))
}

/// Start: check, record, create the batch if new, then run.
pub async fn start(
    core: &Core,
    state: &CreateState,
    req: StartRequest,
    on_progress: impl Fn(JobProgress) + Send + 'static,
) -> AppResult<RunResult> {
    let (client, pid, pname) = connected(core, None).await?;
    let job = state.prepare(&client, (&pid, &pname), &req).await?;
    // On record before the first task is sent; the tasks' results after each run.
    let new_batch = matches!(req.target, BatchTarget::New { .. });
    if let Err(e) = begin_create(core, &job, &state.info(job.clone()).label, new_batch).await {
        tracing::warn!("the create job could not be put on record: {e}");
    }
    let r = state.run(&client, &job.id, on_progress).await;
    record_run(core, state, &job.id);
    r
}

/// The job's results into its activity entry.
fn record_run(core: &Core, state: &CreateState, job_id: &str) {
    if let (Ok(info), Ok(items)) = (state.job(job_id), state.items(job_id)) {
        sync_create(core, &items, &info.job);
    }
}

/// Resume a job (after a restart, a pause or a stop), or retry its failed tasks.
pub async fn resume(
    core: &Core,
    state: &CreateState,
    job_id: String,
    failed_only: bool,
    on_progress: impl Fn(JobProgress) + Send + 'static,
) -> AppResult<RunResult> {
    let info = state.job(&job_id)?;
    let (client, _, _) = connected(core, Some(&info.label)).await?;
    if failed_only {
        state.reopen_failed(&job_id)?;
    }
    reopen_create(core, &job_id);
    let r = state.run(&client, &job_id, on_progress).await;
    record_run(core, state, &job_id);
    r
}

pub async fn check(
    core: &Core,
    state: &CreateState,
    session: String,
    project_id: String,
    batch_id: Option<String>,
) -> AppResult<PreflightView> {
    let client = core.client().await?;
    state
        .check(&client, &session, &project_id, batch_id.as_deref())
        .await
}

// ---------- the activity log ----------

/// Starts the entry of a create job (before its first task is sent).
pub async fn begin_create(
    core: &Core,
    job: &lab_jobs::Job,
    label: &JobLabel,
    new_batch: bool,
) -> AppResult<i64> {
    let (_, actor) = core.actor().await?;
    let store = core.activity.store()?;
    let rec = lab_activity::CreateRecord::begin(
        &store,
        &actor,
        &job.project_id,
        Some(&label.project_name)
            .filter(|n| !n.is_empty())
            .map(String::as_str),
        &job.batch_id,
        &label.batch_name,
        new_batch,
        Some(job.id.clone()),
        job.counts.pending + job.counts.done + job.counts.failed + job.counts.skipped,
    )
    .map_err(|e| activity_error(e, ""))?;
    Ok(rec.entry)
}

/// Writes a create job's per-task results into its entry (after each run: start, resume,
/// retry), and its state. A job never recorded (started before the log existed) is left out.
pub fn sync_create(core: &Core, items: &[ItemView], job: &lab_jobs::Job) {
    let r = (|| -> AppResult<()> {
        let store = core.activity.store()?;
        let Some(entry) = store
            .entry_for_job(&job.id)
            .map_err(|e| activity_error(e, ""))?
        else {
            return Ok(());
        };
        let rows: Vec<lab_activity::TaskResult> = items
            .iter()
            .map(|i| lab_activity::TaskResult {
                task_name: Some(i.name.clone()),
                message: i.error.as_ref().map(|e| e.message.clone()),
                ..lab_activity::TaskResult::new(
                    i.idx,
                    i.task_id.clone().unwrap_or_default(),
                    match i.status {
                        lab_jobs::ItemStatus::Done => lab_activity::ResultStatus::Ok,
                        lab_jobs::ItemStatus::Skipped => lab_activity::ResultStatus::Skipped,
                        lab_jobs::ItemStatus::Failed => lab_activity::ResultStatus::Failed,
                        lab_jobs::ItemStatus::Pending => lab_activity::ResultStatus::Pending,
                    },
                )
            })
            .collect();
        for part in rows.chunks(1000) {
            store
                .put_results(entry, part)
                .map_err(|e| activity_error(e, ""))?;
        }
        let (state, message) = match job.state {
            lab_jobs::JobState::Done => (lab_activity::EntryState::Done, None),
            lab_jobs::JobState::Cancelled => (lab_activity::EntryState::Cancelled, None),
            lab_jobs::JobState::Paused | lab_jobs::JobState::Running => (
                lab_activity::EntryState::Cancelled,
                Some("paused or stopped before the end: it can be resumed from Create"),
            ),
        };
        store
            .finish(entry, state, message)
            .map_err(|e| activity_error(e, ""))
    })();
    if let Err(e) = r {
        tracing::warn!("the create worked but its activity entry could not be written: {e}");
    }
}

/// Marks a create job's entry running again (resumed).
pub fn reopen_create(core: &Core, job_id: &str) {
    if let Ok(store) = core.activity.store()
        && let Ok(Some(entry)) = store.entry_for_job(job_id)
    {
        let _ = store.reopen(entry);
    }
}

#[cfg(test)]
mod tests;
