//! Task creation with the SDK's pipeline, bounded concurrency and retry-safe creates.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::input::{TaskInput, is_local_file, kili_to_lab, prepare_tasks, validate_tasks};
use super::{
    Compatibility, CreateOptions, CreateReport, DuplicatePolicy, OutcomeStatus, Progress,
    ProgressSender, TaskOutcome, emit,
};
use crate::client::{Call, FileBody, LabClient, Payload, Repeat};
use crate::error::{Error, Invalid, Result};
use crate::types::{TaskFilter, TaskPage};

const DUPLICATE_CHUNK: usize = 500;

fn list_some(names: &[String]) -> String {
    let shown = names
        .iter()
        .take(3)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 3 {
        format!("{shown} and {} more", names.len() - 3)
    } else {
        shown
    }
}

/// Names already in the batch among `names` (the tasks-duplicate route, in chunks of 500),
/// each once, in the order the server answers.
pub async fn existing_names(
    client: &LabClient,
    batch_id: &str,
    names: &[String],
) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Answer {
        duplicate: Vec<String>,
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for chunk in names.chunks(DUPLICATE_CHUNK) {
        let call = Call::new(
            Method::PATCH,
            format!("api/task-manager/batches/{batch_id}/tasks-duplicate"),
            Repeat::Safe,
        )
        .json(json!({ "names": chunk }));
        let a: Answer = client.send_json(&call).await?;
        for n in a.duplicate {
            if seen.insert(n.clone()) {
                out.push(n);
            }
        }
    }
    Ok(out)
}

/// Longest task name accepted (names become file names in exports).
pub(crate) const MAX_NAME_CHARS: usize = 255;

/// Names without control characters and not too long; properties only score/custom.
fn check_names_and_properties(tasks: &[TaskInput]) -> Result<()> {
    for t in tasks {
        if let Some(c) = t.name.chars().find(|c| c.is_control()) {
            return Err(Invalid::TaskNameControl {
                name: format!("{:?}", t.name),
                character: format!("{c:?}"),
            }
            .into());
        }
        let n = t.name.chars().count();
        if n > MAX_NAME_CHARS {
            let short: String = t.name.chars().take(40).collect();
            return Err(Invalid::TaskNameTooLong {
                start: short,
                length: n,
                max: MAX_NAME_CHARS,
            }
            .into());
        }
        if let Some(p) = t.properties.as_ref().filter(|p| !p.is_null()) {
            super::PropertiesUpdate::from_json(p).map_err(|e| Invalid::in_task(&t.name, e))?;
        }
    }
    Ok(())
}

struct Shared {
    client: LabClient,
    project_id: String,
    batch_id: String,
    policy: DuplicatePolicy,
    progress: Option<ProgressSender>,
    done: AtomicU64,
    failed: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_total: u64,
    total: u64,
}

impl Shared {
    fn report(&self, message: Option<String>) {
        emit(
            &self.progress,
            Progress {
                done: self.done.load(Ordering::SeqCst),
                failed: self.failed.load(Ordering::SeqCst),
                total: self.total,
                bytes_sent: self.bytes_sent.load(Ordering::SeqCst),
                bytes_total: self.bytes_total,
                message,
            },
        );
    }
}

/// Files up to this size are read whole on the calling task; larger ones are streamed from
/// disk as they are sent.
const INLINE_READ_MAX: u64 = 256 * 1024;

/// Reads a small file to upload on the calling task: that takes less than handing the read
/// to the blocking pool and waking the task again (1,000 uploads of 97 KB: 0.237 → 0.218 s
/// with `lab`, bench/README.md).
fn read_file(path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut buf)?;
    Ok(buf)
}

/// The body of a file to upload: a small file read whole, a larger one streamed from disk
/// (256 KiB at a time, read again by each attempt), so that memory stays flat whatever the
/// files' sizes and a long read (a big file, a slow network share) never holds up the others.
fn file_body(path: &str) -> std::io::Result<FileBody> {
    let len = std::fs::metadata(path)?.len();
    if len > INLINE_READ_MAX {
        return Ok(FileBody::Path {
            path: path.into(),
            len,
        });
    }
    read_file(path).map(|b| FileBody::Bytes(b.into()))
}

async fn upload(s: &Shared, path: &str) -> Result<Value> {
    let body = file_body(path).map_err(|e| Error::io(path, e))?;
    let len = match &body {
        FileBody::Bytes(b) => b.len() as u64,
        FileBody::Path { len, .. } => *len,
    };
    let file_name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let mime = mime_guess::from_path(path)
        .first_or_octet_stream()
        .essence_str()
        .to_string();
    let mut call = Call::new(Method::POST, "api/file-manager/files", Repeat::Safe)
        .query(vec![("skipTaskCreation".into(), "true".into())]);
    call.payload = Payload::Multipart {
        fields: vec![
            ("path".into(), uuid::Uuid::new_v4().to_string()),
            ("batchId".into(), s.batch_id.clone()),
        ],
        file_field: "file".into(),
        file_name,
        mime,
        body,
    };
    #[derive(Deserialize)]
    struct Uploaded {
        #[serde(rename = "_id")]
        id: String,
        name: String,
    }
    let up: Uploaded = s.client.send_json(&call).await?;
    s.bytes_sent.fetch_add(len, Ordering::SeqCst);
    Ok(json!({ "id": up.id, "name": up.name }))
}

/// Find the id of the task named `name` in the batch (after an uncertain create).
async fn find_task_id(s: &Shared, name: &str) -> Result<Option<String>> {
    let filter = TaskFilter {
        project_id: s.project_id.clone(),
        batch_ids: vec![s.batch_id.clone()],
        names: vec![name.to_string()],
        ..TaskFilter::default()
    };
    let mut pages = std::pin::pin!(s.client.task_pages(filter));
    while let Some(page) = pages.next().await {
        let TaskPage { tasks, .. } = page?;
        if let Some(id) = tasks
            .iter()
            .filter(|t| t["name"] == name)
            .find_map(|t| t["_id"].as_str())
        {
            return Ok(Some(id.to_string()));
        }
    }
    Ok(None)
}

/// POST the task; after an uncertain failure, re-check the name before posting again.
async fn post_task(s: &Shared, name: &str, body: &Value) -> Result<String> {
    let call = Call::new(
        Method::POST,
        format!("api/task-manager/batches/{}/tasks", s.batch_id),
        Repeat::Unsafe,
    )
    .json(body.clone());
    let opts = s.client.options().clone();
    let mut delay = opts.min_backoff;
    let mut attempt = 0;
    loop {
        let err = match s.client.send_json::<Value>(&call).await {
            Ok(created) => {
                return created["_id"]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Error::Decode {
                        what: "created task".into(),
                        message: "at `_id`: missing".into(),
                    });
            }
            Err(e) => e,
        };
        attempt += 1;
        if !err.is_ambiguous() || attempt > opts.max_retries {
            return Err(err);
        }
        if s.policy == DuplicatePolicy::InsertAnyway {
            // Without a duplicate check a second post could create the task twice.
            return Err(Error::Uncertain {
                name: name.to_string(),
                detail: err.to_string(),
            });
        }
        let jitter = rand::random_range(0.5..1.5);
        tokio::time::sleep(delay.mul_f64(jitter)).await;
        delay = (delay * 2).min(opts.max_backoff);
        tracing::debug!(
            task = name,
            "create failed ({err}); checking whether it exists"
        );
        let exists = !existing_names(&s.client, &s.batch_id, &[name.to_string()])
            .await?
            .is_empty();
        if exists && let Some(id) = find_task_id(s, name).await? {
            return Ok(id);
        }
    }
}

/// Whether the create was refused because a grant token had expired meanwhile
/// (retries and rate limits can outlast short grant lifetimes).
fn is_grant_expired(e: &Error) -> bool {
    matches!(e, Error::Forbidden(m) if m.to_ascii_lowercase().contains("grant"))
}

async fn create_one(s: &Shared, task: &TaskInput) -> Result<String> {
    let mut resources = Vec::new();
    let mut file_ids = Vec::new();
    for r in task.resources.iter().flatten() {
        if is_local_file(r) {
            let up = upload(s, r).await?;
            file_ids.push(up["id"].clone());
            resources.push(up);
        } else {
            resources.push(Value::String(r.clone()));
        }
    }
    let mut tries = 0;
    loop {
        match grant_and_post(s, task, &resources, &file_ids).await {
            Err(e) if is_grant_expired(&e) && tries < 3 => {
                tries += 1;
                tracing::debug!(task = %task.name, "grant expired before the create; granting again");
            }
            other => return other,
        }
    }
}

/// Grants (files, data) then the create itself.
async fn grant_and_post(
    s: &Shared,
    task: &TaskInput,
    resources: &[Value],
    file_ids: &[Value],
) -> Result<String> {
    let mut grant_resources = Value::Null;
    if !file_ids.is_empty() {
        let call = Call::new(Method::POST, "api/file-manager/grant/files", Repeat::Safe)
            .json(json!({ "ids": file_ids }));
        let a: Value = s.client.send_json(&call).await?;
        grant_resources = a.get("accessToken").cloned().unwrap_or(Value::Null);
    }
    let (mut data_id, mut grant_data) = (Value::Null, Value::Null);
    let has_data = match &task.data {
        None | Some(Value::Null) => false,
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    };
    if has_data {
        let mut body = task
            .data
            .as_ref()
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| {
                Error::from(Invalid::TaskDataNotObject {
                    task: task.name.clone(),
                })
            })?;
        body.insert(
            "__project_configuration_overwrite__".into(),
            task.project_configuration_overwrite
                .clone()
                .unwrap_or(Value::Null),
        );
        let call = Call::new(
            Method::POST,
            "api/data-manager/import-data/json",
            Repeat::Safe,
        )
        .query(vec![
            ("skipTaskCreation".into(), "true".into()),
            ("grantAccess".into(), "true".into()),
        ])
        .json(json!({ "batchId": s.batch_id, "name": task.name, "body": body }));
        let a: Value = s.client.send_json(&call).await?;
        data_id = a.get("initialDataId").cloned().unwrap_or(Value::Null);
        grant_data = a.get("accessToken").cloned().unwrap_or(Value::Null);
    }
    let body = json!({
        "name": task.name,
        "resources": resources,
        "properties": task.properties.clone().unwrap_or(Value::Null),
        "dataId": data_id,
        "grantResources": grant_resources,
        "grantData": grant_data,
    });
    post_task(s, &task.name, &body).await
}

/// What a job engine learns from [`create_tasks_observed`] as the tasks go (the window's
/// job journal). Called on the task driving the creates: keep both quick.
pub trait CreateObserver: Send + Sync {
    /// Task `index` (its position in the tasks given) is about to start: nothing of it has
    /// been sent yet. Called in input order, only for tasks that are sent. `false` stops the
    /// run there: this task and the next ones are not started (outcome `Cancelled`).
    fn starting(&self, index: usize) -> bool;
    /// Task `index` has its outcome (created, failed, skipped, cancelled), as soon as known.
    fn finished(&self, index: usize, outcome: &TaskOutcome);
}

struct NoObserver;

impl CreateObserver for NoObserver {
    fn starting(&self, _: usize) -> bool {
        true
    }
    fn finished(&self, _: usize, _: &TaskOutcome) {}
}

/// Create tasks in a batch like the SDK's `create_tasks`: checks first (project, data,
/// duplicates, local files), then one pipeline per task (upload, grant, import data, create),
/// at most `opts.concurrency` at a time: the number in flight adapts to the latency seen and
/// backs off on 429s, 5xx and timeouts ([`crate::adaptive::Limiter`]; fixed when the
/// client's `adaptive` option is off). Returns `Err` only when the job is refused before
/// anything is created; per-task failures are in the report.
pub async fn create_tasks(
    client: &LabClient,
    project_id: &str,
    batch_id: &str,
    tasks: Vec<TaskInput>,
    opts: CreateOptions,
    progress: Option<ProgressSender>,
    cancel: CancellationToken,
) -> Result<CreateReport> {
    create_tasks_observed(
        client,
        project_id,
        batch_id,
        tasks,
        opts,
        progress,
        cancel,
        &NoObserver,
    )
    .await
}

/// The tasks created at once when a run starts (the adaptive limit grows from there).
const INITIAL_CONCURRENCY: usize = 8;

/// [`create_tasks`] telling `observer` when each task starts and finishes.
#[allow(clippy::too_many_arguments)]
pub async fn create_tasks_observed(
    client: &LabClient,
    project_id: &str,
    batch_id: &str,
    tasks: Vec<TaskInput>,
    opts: CreateOptions,
    progress: Option<ProgressSender>,
    cancel: CancellationToken,
    observer: &dyn CreateObserver,
) -> Result<CreateReport> {
    if tasks.is_empty() {
        return Err(Invalid::NoTaskToCreate.into());
    }
    if let Some(t) = tasks.iter().find(|t| t.name.trim().is_empty()) {
        return Err(Invalid::TaskWithoutName {
            resources: format!("{:?}", t.resources.clone().unwrap_or_default()),
        }
        .into());
    }
    check_names_and_properties(&tasks)?;
    if cancel.is_cancelled() {
        return Err(Error::Cancelled);
    }
    client.project(project_id).await?;
    let cfg = client.project_configuration(project_id).await?;
    let mut tasks = tasks;
    if opts.compatibility == Compatibility::Kili {
        validate_tasks(&tasks, &cfg, Compatibility::Kili)?;
        tasks = kili_to_lab(tasks, &cfg)?;
    }
    if opts.validate_data {
        validate_tasks(&tasks, &cfg, Compatibility::Lab)?;
    }
    prepare_tasks(&mut tasks, &cfg);

    // Local files must be readable before anything is sent.
    let mut bytes_total = 0;
    for t in &tasks {
        for r in t.resources.iter().flatten().filter(|r| is_local_file(r)) {
            let meta = std::fs::metadata(r).map_err(|e| Error::io(r.as_str(), e))?;
            if !meta.is_file() {
                return Err(Invalid::ResourceNotFile {
                    task: t.name.clone(),
                    resource: r.clone(),
                }
                .into());
            }
            if meta.len() == 0 {
                return Err(Invalid::ResourceEmpty {
                    task: t.name.clone(),
                    resource: r.clone(),
                }
                .into());
            }
            bytes_total += meta.len();
        }
    }

    let mut skip: HashSet<String> = HashSet::new();
    if opts.duplicates != DuplicatePolicy::InsertAnyway {
        let mut seen = HashSet::new();
        let mut dupes = Vec::new();
        for t in &tasks {
            if !seen.insert(t.name.clone()) && !dupes.contains(&t.name) {
                dupes.push(t.name.clone());
            }
        }
        if !dupes.is_empty() {
            return Err(Invalid::NamesRepeated {
                count: dupes.len(),
                names: list_some(&dupes),
            }
            .into());
        }
        let names: Vec<String> = tasks.iter().map(|t| t.name.clone()).collect();
        let existing = existing_names(client, batch_id, &names).await?;
        if !existing.is_empty() {
            if opts.duplicates == DuplicatePolicy::Refuse {
                return Err(Invalid::NamesInBatch {
                    count: existing.len(),
                    names: list_some(&existing),
                }
                .into());
            }
            tracing::warn!(
                "{} task name(s) already exist in the batch and are skipped: {}",
                existing.len(),
                list_some(&existing)
            );
            skip.extend(existing);
        }
    }

    let shared = Arc::new(Shared {
        client: client.clone(),
        project_id: project_id.to_string(),
        batch_id: batch_id.to_string(),
        policy: opts.duplicates,
        progress,
        done: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        bytes_sent: AtomicU64::new(0),
        bytes_total,
        total: tasks.len() as u64,
    });
    shared.report(Some("Creating tasks".into()));

    let mut outcomes: Vec<Option<TaskOutcome>> = vec![None; tasks.len()];
    let mut todo = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if skip.contains(&t.name) {
            let o = TaskOutcome::new(&t.name, None, OutcomeStatus::Skipped);
            observer.finished(i, &o);
            outcomes[i] = Some(o);
            shared.done.fetch_add(1, Ordering::SeqCst);
        } else {
            todo.push((i, t));
        }
    }
    if !skip.is_empty() {
        shared.report(None);
    }

    let max = opts.concurrency.max(1);
    let limiter = client.limiter(INITIAL_CONCURRENCY.min(max), max, max);
    let mut overloads_seen = client.overload_events();
    let mut todo = todo.into_iter();
    let mut running = FuturesUnordered::new();
    let mut stopped = false;
    loop {
        while !stopped && running.len() < limiter.limit() {
            let Some((i, t)) = todo.next() else { break };
            if cancel.is_cancelled() || !observer.starting(i) {
                let o = TaskOutcome::new(&t.name, None, OutcomeStatus::Cancelled);
                observer.finished(i, &o);
                outcomes[i] = Some(o);
                stopped = true;
                break;
            }
            let s = shared.clone();
            running.push(async move {
                let started = Instant::now();
                let r = create_one(&s, &t).await;
                (i, t.name, r, started.elapsed())
            });
        }
        let Some((i, name, r, latency)) = running.next().await else {
            break;
        };
        let overloads = client.overload_events();
        if overloads > overloads_seen {
            overloads_seen = overloads;
            limiter.overload();
        } else if r.is_ok() {
            limiter.record(latency, running.len() + 1);
        }
        let outcome = match r {
            Ok(id) => {
                shared.done.fetch_add(1, Ordering::SeqCst);
                TaskOutcome::new(&name, Some(id), OutcomeStatus::Ok)
            }
            Err(e) => {
                shared.failed.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(task = %name, "creation failed: {e}");
                TaskOutcome::failed(&name, None, &e)
            }
        };
        observer.finished(i, &outcome);
        outcomes[i] = Some(outcome);
        shared.report(None);
    }
    // not started: cancelled
    for (i, t) in todo {
        let o = TaskOutcome::new(&t.name, None, OutcomeStatus::Cancelled);
        observer.finished(i, &o);
        outcomes[i] = Some(o);
    }
    tracing::debug!(
        peak = limiter.peak(),
        last = limiter.limit(),
        overloads = limiter.overloads(),
        "create: tasks in flight"
    );

    let outcomes: Vec<TaskOutcome> = outcomes.into_iter().flatten().collect();
    let count = |st: OutcomeStatus| outcomes.iter().filter(|o| o.status == st).count() as u64;
    let report = CreateReport {
        created: count(OutcomeStatus::Ok),
        skipped: count(OutcomeStatus::Skipped),
        failed: count(OutcomeStatus::Failed),
        cancelled: count(OutcomeStatus::Cancelled) > 0,
        outcomes,
    };
    shared.report(Some(if report.cancelled {
        "Cancelled".into()
    } else {
        "Finished".into()
    }));
    Ok(report)
}

#[cfg(test)]
mod read_tests {
    use super::{FileBody, INLINE_READ_MAX, file_body};

    #[test]
    fn small_files_are_read_whole_and_large_ones_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let small: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let large: Vec<u8> = (0..INLINE_READ_MAX as u32 + 7)
            .map(|i| (i % 253) as u8)
            .collect();
        let p = dir.path().join("small.png");
        std::fs::write(&p, &small).unwrap();
        match file_body(p.to_str().unwrap()).unwrap() {
            FileBody::Bytes(b) => assert_eq!(&b[..], &small[..]),
            other => panic!("small file not read whole: {other:?}"),
        }
        let p = dir.path().join("large.png");
        std::fs::write(&p, &large).unwrap();
        match file_body(p.to_str().unwrap()).unwrap() {
            FileBody::Path { path, len } => {
                assert_eq!(path, p);
                assert_eq!(len, large.len() as u64);
            }
            other => panic!("large file not streamed: {other:?}"),
        }
        let missing = dir.path().join("missing.png");
        let err = file_body(missing.to_str().unwrap()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
