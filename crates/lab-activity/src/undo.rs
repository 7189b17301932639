//! Undo: what it would do ([`plan_undo`]) and doing it ([`undo`]).
//!
//! A property change is undone task by task, and only on tasks nobody changed since: the
//! task's touched values must still be the ones the entry wrote, and its `updatedAt` the one
//! read right after. The others are conflicts, listed and left alone unless chosen one by one.
//! The undo is an entry of its own (kind `restore`), so it can be undone too.
//!
//! A create into a batch made for it is undone by deleting that batch (the caller confirms
//! with the number of tasks it has now); a create into an existing batch cannot be.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::StreamExt;
use lab_client::{
    BulkReport, CancellationToken, LabClient, PROPERTIES_MAX_IDS, PropertiesRestore, TaskFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::record::{
    ActivityProgress, Phase, ProgressSender, READ_CHUNK, Recorded, emit, properties_of,
    read_chunks, read_what_can_be, report_of, touched,
};
use crate::store::{ActivityStore, NewEntry};
use crate::{
    Actor, Change, Entry, EntryState, NotUndoable, ResultStatus, Target, TaskResult, Undoability,
};

/// Why a task is not restored by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ConflictReason {
    /// Its values or its `updatedAt` changed since the entry.
    Changed,
    /// It is no longer in the project.
    Gone,
}

/// A task changed since the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conflict {
    /// Task id.
    pub task_id: String,
    /// Its name when known.
    pub task_name: Option<String>,
    /// Why.
    pub reason: ConflictReason,
    /// The values before the entry (what an undo would write).
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub before: Option<Value>,
    /// The values the entry wrote.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub recorded: Option<Value>,
    /// The values now.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub current: Option<Value>,
    /// `updatedAt` right after the entry.
    pub recorded_updated_at: Option<String>,
    /// `updatedAt` now.
    pub current_updated_at: Option<String>,
}

/// A task an undo puts back.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRestore {
    /// The entry's line.
    pub line: TaskResult,
    /// Its values now.
    pub current: Value,
}

/// The batch an undo of a create would delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchUndo {
    /// Batch id.
    pub batch_id: String,
    /// Its name.
    pub batch_name: String,
    /// Tasks the entry created.
    pub created: u64,
    /// Tasks in the batch now (all of them are deleted).
    pub now_in_batch: u64,
}

/// What an undo would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UndoPlan {
    /// The entry.
    pub entry: i64,
    /// Tasks that would be put back.
    pub ready: u64,
    /// Tasks changed since (left alone unless chosen).
    pub conflicts: Vec<Conflict>,
    /// Lines of the entry that changed nothing (failed, cancelled, not sent).
    pub not_changed: u64,
    /// For a create: the batch that would be deleted.
    pub batch: Option<BatchUndo>,
    /// The tasks to put back.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub restores: Vec<TaskRestore>,
}

/// Who undoes, where.
pub struct UndoRun<'a> {
    /// The lab.
    pub client: &'a LabClient,
    /// The log.
    pub store: &'a ActivityStore,
    /// Who (its access id must be the entry's).
    pub actor: &'a Actor,
}

/// JSON values equal, numbers compared by value (`5` and `5.0` are the same score).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// The touched values of a task now, in the shape of a line's `before`.
/// The keys of `shape` (a line's `before`) read from a properties object.
fn in_shape(props: &Map<String, Value>, shape: &Value) -> Value {
    let custom = shape.get("custom").and_then(Value::as_object);
    touched(props, shape.get("score").is_some(), custom)
}

fn undoable(e: &Entry, current_access_id: &str) -> Result<()> {
    match &e.undo {
        Undoability::Undoable => {}
        Undoability::Undone { by } => {
            return Err(Error::AlreadyUndone {
                entry: e.id,
                by: *by,
            });
        }
        Undoability::No { reason } => {
            return Err(Error::NotUndoable {
                entry: e.id,
                reason: *reason,
            });
        }
    }
    if e.actor.access_id != current_access_id {
        return Err(Error::OtherAccount {
            entry: e.id,
            entry_access_id: e.actor.access_id.clone(),
            current_access_id: current_access_id.to_owned(),
        });
    }
    Ok(())
}

/// What undoing `entry` would do now (reads the tasks' current values; changes nothing).
pub async fn plan_undo(
    client: &LabClient,
    store: &ActivityStore,
    current_access_id: &str,
    entry: i64,
) -> Result<UndoPlan> {
    let e = store.entry(entry)?;
    undoable(&e, current_access_id)?;
    match &e.change {
        Change::Create {
            batch_id,
            batch_name,
            ..
        } => {
            let batch = match client.batch(batch_id).await {
                Ok(b) => b,
                Err(lab_client::Error::NotFound(_)) => {
                    return Err(Error::NotUndoable {
                        entry,
                        reason: NotUndoable::BatchGone,
                    });
                }
                Err(err) => return Err(err.into()),
            };
            let filter = TaskFilter {
                batch_ids: vec![batch_id.clone()],
                ..TaskFilter::new(&e.project_id)
            };
            let now_in_batch = client.count_tasks(&filter).await?;
            Ok(UndoPlan {
                entry,
                ready: now_in_batch,
                conflicts: Vec::new(),
                not_changed: e.total.saturating_sub(e.succeeded),
                batch: Some(BatchUndo {
                    batch_id: batch_id.clone(),
                    batch_name: if batch.name.is_empty() {
                        batch_name.clone()
                    } else {
                        batch.name.clone()
                    },
                    created: e.succeeded,
                    now_in_batch,
                }),
                restores: Vec::new(),
            })
        }
        Change::Properties { .. } | Change::Restore { .. } => {
            let lines = store.all_results(entry)?;
            let not_changed = lines
                .iter()
                .filter(|l| l.status != ResultStatus::Ok)
                .count() as u64;
            let ok: Vec<TaskResult> = lines
                .into_iter()
                .filter(|l| l.status == ResultStatus::Ok)
                .collect();
            let mut restores = Vec::new();
            let mut conflicts = Vec::new();
            let ids: Vec<String> = ok.iter().map(|l| l.task_id.clone()).collect();
            let mut reads = std::pin::pin!(read_chunks(client, &e.project_id, &ids));
            for part in ok.chunks(READ_CHUNK) {
                let docs = reads.next().await.unwrap_or_else(|| Ok(HashMap::new()))?;
                for line in part {
                    let shape = line.before.clone().unwrap_or(Value::Object(Map::new()));
                    let Some(doc) = docs.get(&line.task_id) else {
                        conflicts.push(Conflict {
                            task_id: line.task_id.clone(),
                            task_name: line.task_name.clone(),
                            reason: ConflictReason::Gone,
                            before: line.before.clone(),
                            recorded: line.after.clone(),
                            current: None,
                            recorded_updated_at: line.updated_at.clone(),
                            current_updated_at: None,
                        });
                        continue;
                    };
                    let current = in_shape(&properties_of(doc), &shape);
                    let now_at = doc.get("updatedAt").and_then(Value::as_str);
                    let values_same = line.after.as_ref().is_some_and(|a| {
                        // `after` holds what was written: compare in the same shape.
                        let written = a.as_object().cloned().unwrap_or_default();
                        same_value(&in_shape(&written, &shape), &current)
                    });
                    let time_same = match (&line.updated_at, now_at) {
                        (Some(then), Some(now)) => then == now,
                        (None, _) => true,
                        (Some(_), None) => false,
                    };
                    if values_same && time_same {
                        restores.push(TaskRestore {
                            line: line.clone(),
                            current,
                        });
                    } else {
                        conflicts.push(Conflict {
                            task_id: line.task_id.clone(),
                            task_name: line.task_name.clone(),
                            reason: ConflictReason::Changed,
                            before: line.before.clone(),
                            recorded: line.after.clone(),
                            current: Some(current),
                            recorded_updated_at: line.updated_at.clone(),
                            current_updated_at: now_at.map(String::from),
                        });
                    }
                }
            }
            Ok(UndoPlan {
                entry,
                ready: restores.len() as u64,
                conflicts,
                not_changed,
                batch: None,
                restores,
            })
        }
        _ => Err(Error::NotUndoable {
            entry,
            reason: NotUndoable::LabCannotReverse,
        }),
    }
}

/// Undoes `entry`: re-plans (the tasks may have changed since the plan was shown), then puts
/// back the ready tasks and the conflicts in `include`; a create's batch is deleted. Returns
/// the new entry (an undo is on record, and can itself be undone when it restored values).
pub async fn undo(
    run: UndoRun<'_>,
    entry: i64,
    include: &[String],
    progress: Option<ProgressSender>,
    cancel: CancellationToken,
) -> Result<Recorded<BulkReport>> {
    let UndoRun {
        client,
        store,
        actor,
    } = run;
    let plan = plan_undo(client, store, &actor.access_id, entry).await?;
    let e = store.entry(entry)?;
    if let Some(b) = &plan.batch {
        return delete_batch(client, store, actor, &e, b).await;
    }
    let wanted: HashSet<&str> = include.iter().map(String::as_str).collect();
    let mut restores = plan.restores;
    for id in &wanted {
        match plan.conflicts.iter().find(|c| c.task_id == *id) {
            Some(c) if c.reason == ConflictReason::Changed => restores.push(TaskRestore {
                line: TaskResult {
                    task_name: c.task_name.clone(),
                    before: c.before.clone(),
                    ..TaskResult::new(0, c.task_id.clone(), ResultStatus::Ok)
                },
                current: c.current.clone().unwrap_or(Value::Null),
            }),
            _ => {
                return Err(Error::NotAConflict {
                    entry,
                    task_id: (*id).to_owned(),
                });
            }
        }
    }
    if restores.is_empty() {
        return Err(Error::NotUndoable {
            entry,
            reason: NotUndoable::AllConflicts,
        });
    }
    // The conflicts left alone are on record too (skipped, with their values now and why).
    let left: Vec<&Conflict> = plan
        .conflicts
        .iter()
        .filter(|c| !wanted.contains(c.task_id.as_str()))
        .collect();
    let total = (restores.len() + left.len()) as u64;
    let new = store.begin(NewEntry {
        actor,
        project_id: &e.project_id,
        project_name: e.project_name.as_deref(),
        target: &Target::Entry { entry },
        change: &Change::Restore { of: entry },
        total,
        undo_of: Some(entry),
    })?;
    if !store.claim_undo(entry, new)? {
        let by = match store.entry(entry)?.undo {
            Undoability::Undone { by } => by,
            _ => 0,
        };
        store.finish(
            new,
            EntryState::Failed,
            Some(&format!("entry #{entry} was undone meanwhile by #{by}")),
        )?;
        return Err(Error::AlreadyUndone { entry, by });
    }
    // Lines first, all pending with the values they replace (crash-safe like any bulk action).
    let lines: Vec<TaskResult> = restores
        .iter()
        .enumerate()
        .map(|(i, r)| TaskResult {
            task_name: r.line.task_name.clone(),
            before: Some(r.current.clone()),
            ..TaskResult::new(i as u64, r.line.task_id.clone(), ResultStatus::Pending)
        })
        .collect();
    for part in lines.chunks(1000) {
        store.put_results(new, part)?;
    }
    let skipped: Vec<TaskResult> = left
        .iter()
        .enumerate()
        .map(|(i, c)| TaskResult {
            task_name: c.task_name.clone(),
            before: c.current.clone(),
            message: Some(match c.reason {
                ConflictReason::Changed => format!("changed since entry #{entry}: left alone"),
                ConflictReason::Gone => "no longer in the project".to_owned(),
            }),
            ..TaskResult::new(
                (restores.len() + i) as u64,
                c.task_id.clone(),
                ResultStatus::Skipped,
            )
        })
        .collect();
    for part in skipped.chunks(1000) {
        store.put_results(new, part)?;
    }
    // Tasks that get the same values go together, 200 a call.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in restores.iter().enumerate() {
        let key = r
            .line
            .before
            .as_ref()
            .map(Value::to_string)
            .unwrap_or_default();
        groups.entry(key).or_default().push(i);
    }
    let ev = |done, failed| ActivityProgress {
        entry: new,
        phase: Phase::Changing,
        done,
        failed,
        total,
    };
    let (mut done, mut failed) = (0u64, 0u64);
    let mut cancelled = false;
    let mut lines = lines;
    let mut failures = HashMap::new();
    emit(&progress, ev(0, 0));
    'groups: for idx in groups.values() {
        let before = restores[idx[0]].line.before.clone().unwrap_or(Value::Null);
        let restore = PropertiesRestore {
            score: before.get("score").cloned(),
            custom: before.get("custom").and_then(Value::as_object).cloned(),
        };
        for chunk in idx.chunks(PROPERTIES_MAX_IDS) {
            if cancel.is_cancelled() {
                cancelled = true;
                break 'groups;
            }
            let ids: Vec<String> = chunk.iter().map(|&i| lines[i].task_id.clone()).collect();
            let sent =
                lab_client::ops::restore_properties(client, &e.project_id, &ids, &restore).await;
            let after_docs = if sent.is_ok() {
                read_what_can_be(client, &e.project_id, &ids).await
            } else {
                HashMap::new()
            };
            let mut rows = Vec::with_capacity(chunk.len());
            for &i in chunk {
                let l = &mut lines[i];
                match &sent {
                    Ok(()) => {
                        l.status = ResultStatus::Ok;
                        l.after = Some(before.clone());
                        l.updated_at = after_docs
                            .get(&l.task_id)
                            .and_then(|d| d.get("updatedAt"))
                            .and_then(Value::as_str)
                            .map(String::from);
                        done += 1;
                    }
                    Err(err) => {
                        l.status = ResultStatus::Failed;
                        l.message = Some(err.to_string());
                        failures.insert(l.seq, err.kind());
                        failed += 1;
                    }
                }
                rows.push(l.clone());
            }
            store.put_results(new, &rows)?;
            emit(&progress, ev(done, failed));
        }
    }
    if cancelled {
        let rest: Vec<TaskResult> = lines
            .iter_mut()
            .filter(|l| l.status == ResultStatus::Pending)
            .map(|l| {
                l.status = ResultStatus::Cancelled;
                l.clone()
            })
            .collect();
        store.put_results(new, &rest)?;
    }
    let state = if cancelled {
        EntryState::Cancelled
    } else {
        EntryState::Done
    };
    store.finish(new, state, None)?;
    if done == 0 {
        // Nothing was put back: the entry can still be undone.
        store.release_undo(entry, new)?;
    }
    lines.extend(skipped);
    Ok(Recorded {
        entry_id: new,
        report: report_of(&lines, &failures, cancelled),
    })
}

async fn delete_batch(
    client: &LabClient,
    store: &ActivityStore,
    actor: &Actor,
    e: &Entry,
    b: &BatchUndo,
) -> Result<Recorded<BulkReport>> {
    let new = store.begin(NewEntry {
        actor,
        project_id: &e.project_id,
        project_name: e.project_name.as_deref(),
        target: &Target::Entry { entry: e.id },
        change: &Change::DeleteBatch {
            batch_id: b.batch_id.clone(),
            batch_name: b.batch_name.clone(),
            tasks: b.now_in_batch,
            of: e.id,
        },
        total: b.now_in_batch,
        undo_of: Some(e.id),
    })?;
    if !store.claim_undo(e.id, new)? {
        let by = match store.entry(e.id)?.undo {
            Undoability::Undone { by } => by,
            _ => 0,
        };
        store.finish(new, EntryState::Failed, Some("undone meanwhile"))?;
        return Err(Error::AlreadyUndone { entry: e.id, by });
    }
    match client.delete_batch(&b.batch_id).await {
        Ok(()) => {
            store.set_counts(new, b.now_in_batch, b.now_in_batch, 0)?;
            store.finish(new, EntryState::Done, None)?;
            Ok(Recorded {
                entry_id: new,
                report: BulkReport {
                    succeeded: b.now_in_batch,
                    ..BulkReport::default()
                },
            })
        }
        Err(err) => {
            store.set_counts(new, b.now_in_batch, 0, 0)?;
            store.finish(new, EntryState::Failed, Some(&err.to_string()))?;
            store.release_undo(e.id, new)?;
            Err(err.into())
        }
    }
}
