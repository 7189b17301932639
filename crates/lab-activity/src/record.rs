//! Bulk actions that keep their record as they go.
//!
//! Before anything is changed the tasks are read and their current values (the keys the
//! change touches) are written as `pending` lines; each chunk sent to the lab is then recorded
//! in its own transaction with its result, the values written and the task's `updatedAt` read
//! back. A crash or a kill leaves every finished chunk on record, and the entry reads as
//! interrupted.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, TryStreamExt};
use lab_client::{
    BulkReport, CancellationToken, ErrorInfo, ErrorKind, LabClient, OutcomeStatus,
    PropertiesUpdate, TaskFilter, TaskOutcome,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{Error, NoTasks, Result};
use crate::store::{ActivityStore, NewEntry};
use crate::{Actor, Change, EntryState, ResultStatus, Target, TaskResult};

/// Task ids read in one call (before and after values).
pub(crate) const READ_CHUNK: usize = 100;
/// Redo/review calls between two records (each task is its own call).
const PER_TASK_CHUNK: usize = 64;

/// What a recorded action is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ActivityPhase"))]
pub enum Phase {
    /// Reading the values the change will replace.
    Reading,
    /// Sending the change.
    Changing,
}

/// Progress of a recorded action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActivityProgress {
    /// The entry being written.
    pub entry: i64,
    /// What is happening.
    pub phase: Phase,
    /// Tasks done in this phase.
    pub done: u64,
    /// Tasks failed so far.
    pub failed: u64,
    /// Tasks in the action.
    pub total: u64,
}

/// Where progress goes.
pub type ProgressSender = tokio::sync::mpsc::UnboundedSender<ActivityProgress>;

pub(crate) fn emit(p: &Option<ProgressSender>, ev: ActivityProgress) {
    if let Some(tx) = p {
        let _ = tx.send(ev);
    }
}

/// The change a bulk action makes.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkChange {
    /// Set score and/or custom properties.
    Properties(PropertiesUpdate),
    /// Send back to annotation (`reset`: back to the initial data).
    Redo {
        /// Reset the data.
        reset: bool,
    },
    /// Send to review.
    Review,
}

impl BulkChange {
    fn change(&self) -> Change {
        match self {
            BulkChange::Properties(p) => Change::Properties {
                score: p.score.clone(),
                custom: p.custom.clone(),
            },
            BulkChange::Redo { reset } => Change::Redo { reset: *reset },
            BulkChange::Review => Change::Review,
        }
    }
}

/// Who acts, where, and on what.
pub struct BulkRun<'a> {
    /// The lab.
    pub client: &'a LabClient,
    /// The log.
    pub store: &'a ActivityStore,
    /// Who.
    pub actor: &'a Actor,
    /// Project.
    pub project_id: &'a str,
    /// Its name when known.
    pub project_name: Option<&'a str>,
    /// How the tasks were chosen.
    pub target: Target,
}

/// An action's result and its entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded<T> {
    /// The entry written.
    pub entry_id: i64,
    /// What the action reports.
    pub report: T,
}

/// Task ids de-duplicated in order, blanks dropped; none, or one with `/` or `?`, refused.
pub fn dedupe_ids(ids: Vec<String>) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    let ids: Vec<String> = ids
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty() && seen.insert(i.clone()))
        .collect();
    if ids.is_empty() {
        return Err(Error::NoTasks(NoTasks::Empty));
    }
    if let Some(bad) = ids.iter().find(|i| i.contains('/') || i.contains('?')) {
        return Err(Error::NoTasks(NoTasks::BadId(bad.clone())));
    }
    Ok(ids)
}

/// The current documents of these tasks (the ones that exist), by id.
pub(crate) async fn read_tasks(
    client: &LabClient,
    project_id: &str,
    ids: &[String],
) -> Result<HashMap<String, Value>> {
    let filter = TaskFilter {
        task_ids: ids.to_vec(),
        ..TaskFilter::new(project_id)
    };
    let pages: Vec<_> = client.task_pages(filter).try_collect().await?;
    let mut out = HashMap::new();
    for p in pages {
        for t in p.tasks {
            if let Some(id) = t.get("_id").and_then(Value::as_str).map(str::to_owned) {
                out.insert(id, t);
            }
        }
    }
    Ok(out)
}

/// Reads in flight at once (like the client's page listing).
const READS_IN_FLIGHT: usize = 4;

/// The tasks of `ids`, [`READ_CHUNK`] ids a read, a few reads at once, chunk by chunk in order.
pub(crate) fn read_chunks<'a>(
    client: &'a LabClient,
    project_id: &'a str,
    ids: &'a [String],
) -> impl futures::Stream<Item = Result<HashMap<String, Value>>> + 'a {
    futures::stream::iter(ids.chunks(READ_CHUNK))
        .map(move |c| read_tasks(client, project_id, c))
        .buffered(READS_IN_FLIGHT)
}

/// The tasks of `ids` that could be read (a failed read leaves its tasks out).
pub(crate) async fn read_what_can_be(
    client: &LabClient,
    project_id: &str,
    ids: &[String],
) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    let mut s = std::pin::pin!(read_chunks(client, project_id, ids));
    while let Some(r) = s.next().await {
        if let Ok(docs) = r {
            out.extend(docs);
        }
    }
    out
}

/// A task's `properties` object (empty when missing).
pub(crate) fn properties_of(task: &Value) -> Map<String, Value> {
    task.get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The values of the keys a properties change touches: `{"score": v|null}` and
/// `{"custom": {k: v|null}}` for each custom key given.
pub(crate) fn touched(
    props: &Map<String, Value>,
    score: bool,
    custom: Option<&Map<String, Value>>,
) -> Value {
    let mut m = Map::new();
    if score {
        m.insert(
            "score".into(),
            props.get("score").cloned().unwrap_or(Value::Null),
        );
    }
    if let Some(keys) = custom {
        let cur = props.get("custom").and_then(Value::as_object);
        let vals: Map<String, Value> = keys
            .keys()
            .map(|k| {
                (
                    k.clone(),
                    cur.and_then(|c| c.get(k)).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        m.insert("custom".into(), Value::Object(vals));
    }
    Value::Object(m)
}

fn name_of(task: &Value) -> Option<String> {
    task.get("name").and_then(Value::as_str).map(String::from)
}

fn updated_at_of(task: &Value) -> Option<String> {
    task.get("updatedAt")
        .and_then(Value::as_str)
        .map(String::from)
}

fn not_found(project_id: &str) -> String {
    format!("Task not found in project {project_id}")
}

/// Runs a bulk action and records it. The returned report has one outcome per distinct id,
/// in order (a task that is not in the project fails with "not found").
pub async fn run_bulk(
    run: BulkRun<'_>,
    ids: Vec<String>,
    change: BulkChange,
    progress: Option<ProgressSender>,
    cancel: CancellationToken,
) -> Result<Recorded<BulkReport>> {
    let ids = dedupe_ids(ids)?;
    if let BulkChange::Properties(p) = &change
        && p.score.is_none()
        && p.custom.is_none()
    {
        return Err(lab_client::Error::from(lab_client::Invalid::NothingToUpdate).into());
    }
    let store = run.store;
    let total = ids.len() as u64;
    let entry = store.begin(NewEntry {
        actor: run.actor,
        project_id: run.project_id,
        project_name: run.project_name,
        target: &run.target,
        change: &change.change(),
        total,
        undo_of: None,
    })?;
    let outcome = bulk_steps(&run, entry, &ids, &change, &progress, &cancel).await;
    match outcome {
        Ok(Steps {
            cancelled,
            rows,
            failures,
        }) => {
            let state = if cancelled {
                EntryState::Cancelled
            } else {
                EntryState::Done
            };
            store.finish(entry, state, None)?;
            Ok(Recorded {
                entry_id: entry,
                report: report_of(&rows, &failures, cancelled),
            })
        }
        Err(e) => {
            // What was sent is on record; the pending lines say what was not.
            let _ = store.finish(entry, EntryState::Failed, Some(&e.to_string()));
            Err(e)
        }
    }
}

/// What the steps did: every line as recorded, and the kind of each failure (by `seq`).
struct Steps {
    cancelled: bool,
    rows: Vec<TaskResult>,
    failures: HashMap<u64, ErrorKind>,
}

/// The steps, recorded as they go.
async fn bulk_steps(
    run: &BulkRun<'_>,
    entry: i64,
    ids: &[String],
    change: &BulkChange,
    progress: &Option<ProgressSender>,
    cancel: &CancellationToken,
) -> Result<Steps> {
    let (client, store, pid) = (run.client, run.store, run.project_id);
    let mut failures = HashMap::new();
    let total = ids.len() as u64;
    let ev = |phase, done, failed| ActivityProgress {
        entry,
        phase,
        done,
        failed,
        total,
    };
    // 1. What is there now.
    let mut read = 0;
    let mut missing = 0;
    let mut rows: Vec<TaskResult> = Vec::with_capacity(ids.len());
    emit(progress, ev(Phase::Reading, 0, 0));
    let mut reads = std::pin::pin!(read_chunks(client, pid, ids));
    for (ci, chunk) in ids.chunks(READ_CHUNK).enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let Some(docs) = reads.next().await else {
            break;
        };
        let docs = docs?;
        let mut lines = Vec::with_capacity(chunk.len());
        for (i, id) in chunk.iter().enumerate() {
            let seq = (ci * READ_CHUNK + i) as u64;
            let mut r = TaskResult::new(seq, id, ResultStatus::Pending);
            match docs.get(id) {
                Some(doc) => {
                    r.task_name = name_of(doc);
                    r.before = Some(match change {
                        BulkChange::Properties(p) => {
                            touched(&properties_of(doc), p.score.is_some(), p.custom.as_ref())
                        }
                        _ => json!({ "status": doc.get("status").cloned().unwrap_or(Value::Null) }),
                    });
                }
                None => {
                    r.status = ResultStatus::Failed;
                    r.message = Some(not_found(pid));
                    failures.insert(seq, ErrorKind::NotFound);
                    missing += 1;
                }
            }
            lines.push(r);
        }
        store.put_results(entry, &lines)?;
        rows.extend(lines);
        read += chunk.len() as u64;
        emit(progress, ev(Phase::Reading, read, missing));
    }
    if cancel.is_cancelled() {
        cancel_rest(store, entry, ids, &mut rows)?;
        return Ok(Steps {
            cancelled: true,
            rows,
            failures,
        });
    }
    // 2. The change, a chunk at a time, each chunk recorded with its result.
    let todo: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == ResultStatus::Pending)
        .map(|(i, _)| i)
        .collect();
    let (mut done, mut failed) = (0u64, missing);
    emit(progress, ev(Phase::Changing, 0, failed));
    let size = match change {
        BulkChange::Properties(_) => lab_client::PROPERTIES_MAX_IDS,
        _ => PER_TASK_CHUNK,
    };
    let mut cancelled = false;
    for chunk in todo.chunks(size) {
        if cancel.is_cancelled() {
            cancelled = true;
            break;
        }
        let chunk_ids: Vec<String> = chunk.iter().map(|&i| rows[i].task_id.clone()).collect();
        let never = CancellationToken::new();
        let report = match change {
            BulkChange::Properties(p) => {
                lab_client::ops::update_properties(
                    client,
                    pid,
                    chunk_ids.clone(),
                    p.clone(),
                    None,
                    never,
                )
                .await?
            }
            BulkChange::Redo { reset } => {
                lab_client::ops::redo(client, pid, chunk_ids.clone(), *reset, None, never).await?
            }
            BulkChange::Review => {
                lab_client::ops::review(client, pid, chunk_ids.clone(), None, never).await?
            }
        };
        let by_id: HashMap<&str, &TaskOutcome> = report
            .outcomes
            .iter()
            .filter_map(|o| o.id.as_deref().map(|id| (id, o)))
            .collect();
        // After values: what was written, and the task's updatedAt read back.
        let written: Vec<String> = chunk_ids
            .iter()
            .filter(|id| {
                by_id
                    .get(id.as_str())
                    .is_some_and(|o| o.status == OutcomeStatus::Ok)
            })
            .cloned()
            .collect();
        // A failed read-back leaves `updatedAt` unknown; the change itself is done.
        let after_docs = read_what_can_be(client, pid, &written).await;
        let mut lines = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let r = &mut rows[i];
            match by_id.get(r.task_id.as_str()) {
                Some(o) if o.status == OutcomeStatus::Ok => {
                    r.status = ResultStatus::Ok;
                    let doc = after_docs.get(&r.task_id);
                    r.updated_at = doc.and_then(updated_at_of);
                    r.after = Some(match change {
                        BulkChange::Properties(p) => written_values(p),
                        _ => {
                            json!({ "status": doc.and_then(|d| d.get("status")).cloned().unwrap_or(Value::Null) })
                        }
                    });
                    done += 1;
                }
                Some(o) => {
                    r.status = ResultStatus::Failed;
                    r.message = o.error.as_ref().map(|e| e.message.clone());
                    if let Some(e) = &o.error {
                        failures.insert(r.seq, e.kind);
                    }
                    failed += 1;
                }
                None => {
                    r.status = ResultStatus::Failed;
                    r.message = Some("No answer for this task".into());
                    failed += 1;
                }
            }
            lines.push(r.clone());
        }
        store.put_results(entry, &lines)?;
        emit(progress, ev(Phase::Changing, done, failed));
    }
    if cancelled {
        cancel_rest(store, entry, ids, &mut rows)?;
    }
    Ok(Steps {
        cancelled,
        rows,
        failures,
    })
}

/// The values a properties update writes, in the shape of [`touched`].
fn written_values(p: &PropertiesUpdate) -> Value {
    let mut m = Map::new();
    if let Some(s) = &p.score {
        m.insert("score".into(), Value::Number(s.clone()));
    }
    if let Some(c) = &p.custom {
        m.insert("custom".into(), Value::Object(c.clone()));
    }
    Value::Object(m)
}

/// Marks the lines not sent (and tasks not even read) as cancelled.
fn cancel_rest(
    store: &ActivityStore,
    entry: i64,
    ids: &[String],
    rows: &mut Vec<TaskResult>,
) -> Result<()> {
    let mut lines = Vec::new();
    for r in rows.iter_mut() {
        if r.status == ResultStatus::Pending {
            r.status = ResultStatus::Cancelled;
            lines.push(r.clone());
        }
    }
    for (seq, id) in ids.iter().enumerate().skip(rows.len()) {
        let r = TaskResult::new(seq as u64, id, ResultStatus::Cancelled);
        lines.push(r.clone());
        rows.push(r);
    }
    store.put_results(entry, &lines)
}

/// The lab client's report, from the recorded lines and the kind of each failure (`seq` →
/// kind; a failure without one is the server's).
pub(crate) fn report_of(
    rows: &[TaskResult],
    failures: &HashMap<u64, ErrorKind>,
    cancelled: bool,
) -> BulkReport {
    let outcomes: Vec<TaskOutcome> = rows
        .iter()
        .map(|r| TaskOutcome {
            task: r.task_id.clone(),
            id: Some(r.task_id.clone()),
            status: match r.status {
                ResultStatus::Ok => OutcomeStatus::Ok,
                ResultStatus::Skipped => OutcomeStatus::Skipped,
                ResultStatus::Failed => OutcomeStatus::Failed,
                ResultStatus::Pending | ResultStatus::Cancelled => OutcomeStatus::Cancelled,
            },
            error: (r.status == ResultStatus::Failed).then(|| {
                ErrorInfo::new(
                    failures.get(&r.seq).copied().unwrap_or(ErrorKind::Server),
                    r.message.clone().unwrap_or_default(),
                )
            }),
        })
        .collect();
    let count = |s: OutcomeStatus| outcomes.iter().filter(|o| o.status == s).count() as u64;
    BulkReport {
        succeeded: count(OutcomeStatus::Ok),
        failed: count(OutcomeStatus::Failed),
        cancelled,
        outcomes,
    }
}

/// Records a create: call [`CreateRecord::begin`] before the first task is sent, then
/// [`CreateRecord::finish`] with the report.
pub struct CreateRecord<'a> {
    store: &'a ActivityStore,
    /// The entry.
    pub entry: i64,
}

impl<'a> CreateRecord<'a> {
    /// Starts the entry.
    #[allow(clippy::too_many_arguments)]
    pub fn begin(
        store: &'a ActivityStore,
        actor: &Actor,
        project_id: &str,
        project_name: Option<&str>,
        batch_id: &str,
        batch_name: &str,
        new_batch: bool,
        job_id: Option<String>,
        count: u64,
    ) -> Result<Self> {
        let entry = store.begin(NewEntry {
            actor,
            project_id,
            project_name,
            target: &Target::Files { count },
            change: &Change::Create {
                batch_id: batch_id.into(),
                batch_name: batch_name.into(),
                new_batch,
                job_id,
            },
            total: count,
            undo_of: None,
        })?;
        Ok(Self { store, entry })
    }

    /// Records the tasks' results and the end.
    pub fn finish(self, report: &lab_client::CreateReport) -> Result<i64> {
        let rows: Vec<TaskResult> = report
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| TaskResult {
                task_name: Some(o.task.clone()),
                message: o.error.as_ref().map(|e| e.message.clone()),
                ..TaskResult::new(
                    i as u64,
                    o.id.clone().unwrap_or_default(),
                    match o.status {
                        OutcomeStatus::Ok => ResultStatus::Ok,
                        OutcomeStatus::Skipped => ResultStatus::Skipped,
                        OutcomeStatus::Failed => ResultStatus::Failed,
                        OutcomeStatus::Cancelled => ResultStatus::Cancelled,
                    },
                )
            })
            .collect();
        for part in rows.chunks(1000) {
            self.store.put_results(self.entry, part)?;
        }
        let state = if report.cancelled {
            EntryState::Cancelled
        } else {
            EntryState::Done
        };
        self.store.finish(self.entry, state, None)?;
        Ok(self.entry)
    }

    /// Records that it stopped on an error (some tasks may have been created: `created`).
    pub fn fail(self, created: &[(String, String)], message: &str) -> Result<i64> {
        let rows: Vec<TaskResult> = created
            .iter()
            .enumerate()
            .map(|(i, (name, id))| TaskResult {
                task_name: Some(name.clone()),
                ..TaskResult::new(i as u64, id.clone(), ResultStatus::Ok)
            })
            .collect();
        self.store.put_results(self.entry, &rows)?;
        self.store
            .finish(self.entry, EntryState::Failed, Some(message))?;
        Ok(self.entry)
    }
}

/// Records an export that is over: tasks written, tasks that could not be (missing images).
#[allow(clippy::too_many_arguments)]
pub fn record_export(
    store: &ActivityStore,
    actor: &Actor,
    project_id: &str,
    project_name: Option<&str>,
    filter: &TaskFilter,
    format: &str,
    path: &str,
    total: u64,
    written: u64,
    failed: u64,
    state: EntryState,
    message: Option<&str>,
) -> Result<i64> {
    let entry = store.begin(NewEntry {
        actor,
        project_id,
        project_name,
        target: &Target::Filter {
            filter: Box::new(filter.clone()),
        },
        change: &Change::Export {
            format: format.into(),
            path: path.into(),
        },
        total,
        undo_of: None,
    })?;
    store.set_counts(entry, total, written, failed)?;
    store.finish(entry, state, message)?;
    Ok(entry)
}
