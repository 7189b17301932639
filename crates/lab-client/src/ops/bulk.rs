//! Bulk actions on task ids: properties, redo, review.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use super::{BulkReport, OutcomeStatus, Progress, ProgressSender, TaskOutcome, emit};
use crate::client::{Call, LabClient, Repeat};
use crate::error::{Invalid, Result};

const PROPERTIES_CHUNK: usize = 200;
const BULK_CONCURRENCY: usize = 8;

/// New property values: only `score` and `custom` exist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PropertiesUpdate {
    /// Score.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub score: Option<serde_json::Number>,
    /// Custom properties.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub custom: Option<Map<String, Value>>,
}

impl PropertiesUpdate {
    /// From a JSON object; keys other than `score` and `custom` are refused.
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = v.as_object().ok_or(Invalid::PropertiesNotObject)?;
        if let Some(k) = obj.keys().find(|k| *k != "score" && *k != "custom") {
            return Err(Invalid::UnknownProperty { name: k.clone() }.into());
        }
        let score = match obj.get("score") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(n.clone()),
            Some(other) => {
                return Err(Invalid::ScoreNotNumber {
                    value: other.to_string(),
                }
                .into());
            }
        };
        let custom = match obj.get("custom") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m.clone()),
            Some(other) => {
                return Err(Invalid::CustomNotObject {
                    value: other.to_string(),
                }
                .into());
            }
        };
        Ok(Self { score, custom })
    }

    fn body(&self, ids: &[String]) -> Value {
        let mut m = Map::new();
        m.insert("taskIds".into(), json!(ids));
        if let Some(s) = &self.score {
            m.insert("score".into(), Value::Number(s.clone()));
        }
        if let Some(c) = &self.custom {
            m.insert("custom".into(), Value::Object(c.clone()));
        }
        Value::Object(m)
    }
}

fn dedupe(ids: Vec<String>) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    let ids: Vec<String> = ids
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty() && seen.insert(i.clone()))
        .collect();
    if ids.is_empty() {
        return Err(Invalid::NoTaskId.into());
    }
    if let Some(bad) = ids.iter().find(|i| i.contains('/') || i.contains('?')) {
        return Err(Invalid::BadTaskId { id: bad.clone() }.into());
    }
    Ok(ids)
}

fn finish(outcomes: Vec<TaskOutcome>) -> BulkReport {
    let count = |st: OutcomeStatus| outcomes.iter().filter(|o| o.status == st).count() as u64;
    BulkReport {
        succeeded: count(OutcomeStatus::Ok),
        failed: count(OutcomeStatus::Failed),
        cancelled: count(OutcomeStatus::Cancelled) > 0,
        outcomes,
    }
}

fn progress_of(done: u64, failed: u64, total: u64) -> Progress {
    Progress {
        done,
        failed,
        total,
        ..Progress::default()
    }
}

/// Set properties of tasks (200 ids a call, like the SDK).
pub async fn update_properties(
    client: &LabClient,
    project_id: &str,
    ids: Vec<String>,
    props: PropertiesUpdate,
    progress: Option<ProgressSender>,
    cancel: CancellationToken,
) -> Result<BulkReport> {
    let ids = dedupe(ids)?;
    if props.score.is_none() && props.custom.is_none() {
        return Err(Invalid::NothingToUpdate.into());
    }
    let total = ids.len() as u64;
    let (mut done, mut failed) = (0, 0);
    let mut outcomes = Vec::with_capacity(ids.len());
    emit(&progress, progress_of(0, 0, total));
    for chunk in ids.chunks(PROPERTIES_CHUNK) {
        if cancel.is_cancelled() {
            outcomes.extend(
                chunk
                    .iter()
                    .map(|id| TaskOutcome::new(id, Some(id.clone()), OutcomeStatus::Cancelled)),
            );
            continue;
        }
        let call = Call::new(
            Method::PATCH,
            format!("api/task-manager/projects/{project_id}/tasks/properties"),
            Repeat::Safe,
        )
        .json(props.body(chunk));
        match client.send_json::<Value>(&call).await {
            Ok(_) => {
                done += chunk.len() as u64;
                outcomes.extend(
                    chunk
                        .iter()
                        .map(|id| TaskOutcome::new(id, Some(id.clone()), OutcomeStatus::Ok)),
                );
            }
            Err(e) => {
                failed += chunk.len() as u64;
                outcomes.extend(
                    chunk
                        .iter()
                        .map(|id| TaskOutcome::failed(id, Some(id.clone()), &e)),
                );
            }
        }
        emit(&progress, progress_of(done, failed, total));
    }
    Ok(finish(outcomes))
}

/// Most task ids one properties call takes.
pub const PROPERTIES_MAX_IDS: usize = PROPERTIES_CHUNK;

/// Values to put back on tasks (an undo): unlike [`PropertiesUpdate`] it can remove, with
/// `score: Some(Value::Null)` and a `null` value in `custom` for a key to drop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PropertiesRestore {
    /// The score to restore (`null`: no score).
    pub score: Option<Value>,
    /// Custom keys to restore (`null`: the key did not exist).
    pub custom: Option<Map<String, Value>>,
}

/// One properties call for at most [`PROPERTIES_MAX_IDS`] tasks that all get the same values.
pub async fn restore_properties(
    client: &LabClient,
    project_id: &str,
    ids: &[String],
    restore: &PropertiesRestore,
) -> Result<()> {
    if ids.is_empty() || ids.len() > PROPERTIES_CHUNK {
        return Err(Invalid::PropertiesCallSize {
            max: PROPERTIES_CHUNK,
            count: ids.len(),
        }
        .into());
    }
    if restore.score.is_none() && restore.custom.is_none() {
        return Err(Invalid::NothingToRestore.into());
    }
    let mut m = Map::new();
    m.insert("taskIds".into(), json!(ids));
    if let Some(s) = &restore.score {
        m.insert("score".into(), s.clone());
    }
    if let Some(c) = &restore.custom {
        m.insert("custom".into(), Value::Object(c.clone()));
    }
    let call = Call::new(
        Method::PATCH,
        format!("api/task-manager/projects/{project_id}/tasks/properties"),
        Repeat::Safe,
    )
    .json(Value::Object(m));
    client.send_json::<Value>(&call).await.map(|_| ())
}

async fn per_task(
    client: &LabClient,
    ids: Vec<String>,
    make: impl Fn(&str) -> Call,
    progress: Option<ProgressSender>,
    cancel: CancellationToken,
) -> Result<BulkReport> {
    let ids = dedupe(ids)?;
    let total = ids.len() as u64;
    let done = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    emit(&progress, progress_of(0, 0, total));
    // Unordered: a task waiting on a Retry-After or a backoff must not hold back the others
    // (ordered buffering would stall every slot behind it); outcomes are put back in order.
    let calls: Vec<(usize, String, Call)> = ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let call = make(&id);
            (i, id, call)
        })
        .collect();
    let mut results: Vec<(usize, TaskOutcome)> = futures::stream::iter(calls)
        .map(|(i, id, call)| {
            let (done, failed, cancel, progress) = (&done, &failed, &cancel, &progress);
            async move {
                if cancel.is_cancelled() {
                    return (
                        i,
                        TaskOutcome::new(&id, Some(id.clone()), OutcomeStatus::Cancelled),
                    );
                }
                let o = match client.send(&call).await {
                    Ok(_) => {
                        done.fetch_add(1, Ordering::SeqCst);
                        TaskOutcome::new(&id, Some(id.clone()), OutcomeStatus::Ok)
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::SeqCst);
                        TaskOutcome::failed(&id, Some(id.clone()), &e)
                    }
                };
                emit(
                    progress,
                    progress_of(
                        done.load(Ordering::SeqCst),
                        failed.load(Ordering::SeqCst),
                        total,
                    ),
                );
                (i, o)
            }
        })
        .buffer_unordered(BULK_CONCURRENCY)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    Ok(finish(results.into_iter().map(|(_, o)| o).collect()))
}

/// Send tasks back to annotation; `reset` restores their initial data.
pub async fn redo(
    client: &LabClient,
    project_id: &str,
    ids: Vec<String>,
    reset: bool,
    progress: Option<ProgressSender>,
    cancel: CancellationToken,
) -> Result<BulkReport> {
    let keep = if reset { "false" } else { "true" };
    per_task(
        client,
        ids,
        |id| {
            Call::new(
                Method::PATCH,
                format!("api/task-manager/tasks/{id}/reset"),
                Repeat::Safe,
            )
            .query(vec![
                ("projectId".into(), project_id.to_string()),
                ("keepState".into(), keep.to_string()),
            ])
        },
        progress,
        cancel,
    )
    .await
}

/// Send tasks to review.
pub async fn review(
    client: &LabClient,
    project_id: &str,
    ids: Vec<String>,
    progress: Option<ProgressSender>,
    cancel: CancellationToken,
) -> Result<BulkReport> {
    per_task(
        client,
        ids,
        |id| {
            Call::new(
                Method::PATCH,
                format!("api/task-manager/tasks/{id}/to-review"),
                Repeat::Safe,
            )
            .query(vec![("projectId".into(), project_id.to_string())])
        },
        progress,
        cancel,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_only_score_and_custom() {
        let p = PropertiesUpdate::from_json(&json!({"score": 3, "custom": {"k": "v"}})).unwrap();
        assert_eq!(
            p.body(&["a".into()]),
            json!({"taskIds": ["a"], "score": 3, "custom": {"k": "v"}})
        );
        let e = PropertiesUpdate::from_json(&json!({"score": 1, "status": "x"})).unwrap_err();
        assert!(e.to_string().contains("status"));
        assert!(PropertiesUpdate::from_json(&json!({"score": "high"})).is_err());
    }

    #[test]
    fn bulk_futures_are_send() {
        // usable from a #[tauri::command] / tokio::spawn
        fn is_send<T: Send>(_: T) {}
        let c = LabClient::new(
            "http://127.0.0.1:9/",
            crate::Credentials::new("a", "b"),
            crate::ClientOptions::default(),
        )
        .unwrap();
        is_send(redo(
            &c,
            "p",
            vec!["t".into()],
            false,
            None,
            CancellationToken::new(),
        ));
        is_send(review(
            &c,
            "p",
            vec!["t".into()],
            None,
            CancellationToken::new(),
        ));
        let props = PropertiesUpdate::from_json(&json!({"score": 1})).unwrap();
        is_send(update_properties(
            &c,
            "p",
            vec!["t".into()],
            props,
            None,
            CancellationToken::new(),
        ));
    }

    #[test]
    fn ids_deduplicated_in_order() {
        assert_eq!(
            dedupe(vec!["b".into(), "a".into(), "b".into(), " ".into()]).unwrap(),
            ["b", "a"]
        );
        assert!(dedupe(vec![]).is_err());
    }
}
