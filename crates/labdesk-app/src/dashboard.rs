//! The project dashboard: one pass over every task of a project (with `data` and `jobs`),
//! counted as it streams by — never holding more than the pages in flight:
//!
//! - tasks per status in each batch;
//! - tasks created and updated per day (per week past [`WEEKS_AFTER_DAYS`], per month past
//!   [`MONTHS_AFTER_DAYS`]), in UTC days, as the lab compares the dates of a task filter;
//! - tasks per last annotator (the completer of the last completed job; "no annotator" is a
//!   bucket of its own), with their task ids so that a bar opens exactly those tasks;
//! - annotations per label (the annotation's first main label, as [`lab_visual::overlays`]
//!   reads it), with the ids of the tasks that have at least one.
//!
//! Tauri-free: src-tauri's `commands::project_stats` is its one-line adapter.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Days, Months, NaiveDate};
use futures::StreamExt;
use lab_client::{BatchFilter, TaskFilter};
use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::client_errors::{Stage, map};
use crate::core::{Core, StatusCount, TASK_STATUSES};
use crate::error::{AppError, AppResult, ErrorKind};

/// Past this many days between the first and the last date, the timeline counts per week.
pub const WEEKS_AFTER_DAYS: i64 = 120;
/// Past this many days (two years), per month: a bar a week would be too thin to click.
pub const MONTHS_AFTER_DAYS: i64 = 730;

/// How far the reading got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatsProgress {
    /// Tasks read so far.
    pub read: u64,
    /// Tasks in the project (as the lab counted them when the reading began).
    pub total: u64,
}

/// The tasks of one batch by status.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BatchStats {
    pub batch_id: String,
    /// The batch's name (its id when the lab did not list it).
    pub name: String,
    /// Statuses with at least one task, in [`ProjectStats::statuses`] order.
    pub counts: Vec<StatusCount>,
    pub total: u64,
}

/// How long a bar of the timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TimeStep {
    Day,
    /// Monday to Sunday.
    Week,
    Month,
}

/// One bar of the timeline: tasks created and updated from `start` (included) to `end`
/// (excluded), both `YYYY-MM-DD` at 00:00 UTC.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TimeBucket {
    pub start: String,
    pub end: String,
    pub created: u64,
    pub updated: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    pub step: TimeStep,
    /// Every day (week, month) from the first date to the last, empty ones included.
    pub buckets: Vec<TimeBucket>,
    /// Tasks without a readable `createdAt`.
    pub undated_created: u64,
    /// Tasks without a readable `updatedAt`.
    pub undated_updated: u64,
}

/// The tasks whose last completed job was completed by `annotator`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnnotatorStats {
    /// The e-mail address; `None`: no completed job.
    pub annotator: Option<String>,
    pub count: u64,
    pub task_ids: Vec<String>,
}

/// One label's annotations over the project.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LabelStats {
    /// The label id (`""`: annotations without a label).
    pub id: String,
    pub name: String,
    /// `#rrggbb`, as the configuration colours it.
    pub color: String,
    /// Annotations with this label.
    pub annotations: u64,
    /// Tasks with at least one such annotation.
    pub tasks: u64,
    pub task_ids: Vec<String>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProjectStats {
    pub project_id: String,
    /// Tasks read.
    pub tasks: u64,
    /// The statuses met, the lab's five first.
    pub statuses: Vec<String>,
    /// In the lab's batch order, then batches the tasks name that the lab did not list.
    pub batches: Vec<BatchStats>,
    pub timeline: Timeline,
    /// Most tasks first; "no annotator" last.
    pub annotators: Vec<AnnotatorStats>,
    /// Whether the project has an image tool (otherwise there are no labels to count).
    pub image_tools: bool,
    /// Every main-list label of the configuration in order (unused ones at 0), then labels met
    /// only in the annotations.
    pub labels: Vec<LabelStats>,
    /// Counted from the local copy of the project, synced with the lab at this time (UTC,
    /// RFC 3339); absent when read from the lab.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

/// The counts being made, task by task.
#[derive(Debug)]
pub struct Tally {
    config: Value,
    tasks: u64,
    statuses: Vec<String>,
    /// batch id → status → tasks, and the order batches were met in.
    batches: HashMap<String, HashMap<String, u64>>,
    batch_order: Vec<String>,
    created: BTreeMap<NaiveDate, u64>,
    updated: BTreeMap<NaiveDate, u64>,
    undated_created: u64,
    undated_updated: u64,
    annotators: HashMap<Option<String>, Vec<String>>,
    image_tools: bool,
    labels: Vec<LabelStats>,
    label_index: HashMap<String, usize>,
}

/// The UTC day of a lab date (`2024-05-01T09:30:00.000Z`, or any RFC 3339 time; a plain
/// `2024-05-01 09:30:00` is taken as UTC, as the lab's filters take it).
pub fn utc_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc).date_naive());
    }
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

impl Tally {
    /// Counts for a project whose configuration document is `config`.
    pub fn new(config: Value) -> Self {
        // the legend of a task without annotations: every label of the configuration, in order
        let empty = lab_visual::overlays(&Value::Object(Default::default()), &config);
        let mut tally = Tally {
            config,
            tasks: 0,
            statuses: TASK_STATUSES.iter().map(|s| (*s).to_owned()).collect(),
            batches: HashMap::new(),
            batch_order: Vec::new(),
            created: BTreeMap::new(),
            updated: BTreeMap::new(),
            undated_created: 0,
            undated_updated: 0,
            annotators: HashMap::new(),
            image_tools: !empty.tools.is_empty(),
            labels: Vec::new(),
            label_index: HashMap::new(),
        };
        for tool in &empty.tools {
            for l in &tool.labels {
                tally.label(&l.id, &l.name, &l.color);
            }
        }
        tally
    }

    fn label(&mut self, id: &str, name: &str, color: &str) -> usize {
        if let Some(&i) = self.label_index.get(id) {
            return i;
        }
        let i = self.labels.len();
        self.labels.push(LabelStats {
            id: id.to_owned(),
            name: name.to_owned(),
            color: color.to_owned(),
            annotations: 0,
            tasks: 0,
            task_ids: Vec::new(),
        });
        self.label_index.insert(id.to_owned(), i);
        i
    }

    /// Counts one raw task document (asked with `data` and `jobs`).
    pub fn add(&mut self, task: &Value) {
        self.tasks += 1;
        let id = str_of(task, "_id").to_owned();

        let status = str_of(task, "status");
        if !self.statuses.iter().any(|s| s == status) {
            self.statuses.push(status.to_owned());
        }
        let batch = str_of(task, "batchId");
        if !self.batches.contains_key(batch) {
            self.batch_order.push(batch.to_owned());
        }
        *self
            .batches
            .entry(batch.to_owned())
            .or_default()
            .entry(status.to_owned())
            .or_default() += 1;

        match utc_day(str_of(task, "createdAt")) {
            Some(d) => *self.created.entry(d).or_default() += 1,
            None => self.undated_created += 1,
        }
        match utc_day(str_of(task, "updatedAt")) {
            Some(d) => *self.updated.entry(d).or_default() += 1,
            None => self.undated_updated += 1,
        }

        self.annotators
            .entry(lab_client::view::last_annotator(task))
            .or_default()
            .push(id.clone());

        if self.image_tools {
            let overlays = lab_visual::overlays(task, &self.config);
            let mut seen = HashSet::new();
            for tool in &overlays.tools {
                for l in tool.labels.iter().filter(|l| l.count > 0) {
                    let i = self.label(&l.id, &l.name, &l.color);
                    let entry = &mut self.labels[i];
                    entry.annotations += u64::from(l.count);
                    if seen.insert(i) {
                        entry.tasks += 1;
                        entry.task_ids.push(id.clone());
                    }
                }
            }
        }
    }

    /// The figures, batches in the order of `batches` (id, name) then those only met.
    pub fn finish(self, project_id: &str, batches: &[(String, String)]) -> ProjectStats {
        let mut order: Vec<(String, String)> = batches.to_vec();
        for b in &self.batch_order {
            if !batches.iter().any(|(id, _)| id == b) {
                order.push((b.clone(), b.clone()));
            }
        }
        let batch_stats = order
            .into_iter()
            .map(|(batch_id, name)| {
                let per = self.batches.get(&batch_id);
                let counts: Vec<StatusCount> = self
                    .statuses
                    .iter()
                    .filter_map(|s| {
                        let n = per.and_then(|m| m.get(s)).copied().unwrap_or(0);
                        (n > 0).then(|| StatusCount {
                            status: s.clone(),
                            count: n,
                        })
                    })
                    .collect();
                let total = counts.iter().map(|c| c.count).sum();
                BatchStats {
                    batch_id,
                    name,
                    counts,
                    total,
                }
            })
            .collect();

        let mut annotators: Vec<AnnotatorStats> = self
            .annotators
            .into_iter()
            .map(|(annotator, task_ids)| AnnotatorStats {
                annotator,
                count: task_ids.len() as u64,
                task_ids,
            })
            .collect();
        annotators.sort_by(|a, b| {
            a.annotator
                .is_none()
                .cmp(&b.annotator.is_none())
                .then(b.count.cmp(&a.count))
                .then(a.annotator.cmp(&b.annotator))
        });

        ProjectStats {
            project_id: project_id.to_owned(),
            tasks: self.tasks,
            statuses: self.statuses,
            batches: batch_stats,
            timeline: timeline(
                &self.created,
                &self.updated,
                self.undated_created,
                self.undated_updated,
            ),
            annotators,
            image_tools: self.image_tools,
            labels: self.labels,
            as_of: None,
        }
    }
}

/// The first day of the bar that `d` falls in.
fn bucket_start(step: TimeStep, d: NaiveDate) -> NaiveDate {
    match step {
        TimeStep::Day => d,
        TimeStep::Week => d - Days::new(u64::from(d.weekday().num_days_from_monday())),
        TimeStep::Month => d.with_day(1).unwrap_or(d),
    }
}

fn next_bucket(step: TimeStep, d: NaiveDate) -> NaiveDate {
    let next = match step {
        TimeStep::Day => d.checked_add_days(Days::new(1)),
        TimeStep::Week => d.checked_add_days(Days::new(7)),
        TimeStep::Month => d.checked_add_months(Months::new(1)),
    };
    next.unwrap_or(NaiveDate::MAX)
}

/// Per-day counts gathered into bars from the first date to the last.
fn timeline(
    created: &BTreeMap<NaiveDate, u64>,
    updated: &BTreeMap<NaiveDate, u64>,
    undated_created: u64,
    undated_updated: u64,
) -> Timeline {
    let first = created.keys().chain(updated.keys()).min().copied();
    let last = created.keys().chain(updated.keys()).max().copied();
    let (Some(first), Some(last)) = (first, last) else {
        return Timeline {
            step: TimeStep::Day,
            buckets: Vec::new(),
            undated_created,
            undated_updated,
        };
    };
    let span = (last - first).num_days();
    let step = if span > MONTHS_AFTER_DAYS {
        TimeStep::Month
    } else if span > WEEKS_AFTER_DAYS {
        TimeStep::Week
    } else {
        TimeStep::Day
    };
    let mut bars: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    let mut start = bucket_start(step, first);
    while start <= last {
        bars.insert(start, (0, 0));
        start = next_bucket(step, start);
    }
    for (d, n) in created {
        bars.entry(bucket_start(step, *d)).or_default().0 += n;
    }
    for (d, n) in updated {
        bars.entry(bucket_start(step, *d)).or_default().1 += n;
    }
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    Timeline {
        step,
        buckets: bars
            .into_iter()
            .map(|(start, (created, updated))| TimeBucket {
                start: day(start),
                end: day(next_bucket(step, start)),
                created,
                updated,
            })
            .collect(),
        undated_created,
        undated_updated,
    }
}

/// Reads every task of `project_id` once and counts it (see the module). `on_progress` hears
/// after each page; `cancel` stops the reading with an error of kind `Cancelled`.
pub async fn project_stats(
    core: &Core,
    project_id: &str,
    on_progress: impl Fn(StatsProgress) + Send + Sync,
    cancel: CancellationToken,
) -> AppResult<ProjectStats> {
    let client = core.client().await?;
    let e = |x: lab_client::Error| map(&x, Stage::Session, client.endpoint());
    let cancelled = || AppError::msg(ErrorKind::Cancelled, "err.statsCancelled", &[]);
    let every_batch = BatchFilter::default();
    let (cfg, batches) = tokio::select! {
        _ = cancel.cancelled() => return Err(cancelled()),
        r = async {
            futures::try_join!(
                client.project_configuration(project_id),
                client.batches(project_id, &every_batch),
            )
        } => r.map_err(e)?,
    };
    let batches: Vec<(String, String)> = batches.into_iter().map(|b| (b.id, b.name)).collect();
    let mut tally = Tally::new(cfg.raw);
    if let Some(as_of) =
        from_local_copy(core, &client, project_id, &mut tally, &on_progress, &cancel).await?
    {
        return Ok(ProjectStats {
            as_of: Some(as_of),
            ..tally.finish(project_id, &batches)
        });
    }
    let mut filter = TaskFilter::new(project_id);
    filter.optional_fields = vec!["data".into(), "jobs".into()];
    let mut pages = Box::pin(client.task_pages(filter));
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return Err(cancelled()),
            n = pages.next() => n,
        };
        let Some(page) = next else { break };
        let page = page.map_err(e)?;
        for task in &page.tasks {
            tally.add(task);
        }
        on_progress(StatsProgress {
            read: tally.tasks,
            total: page.total.max(tally.tasks),
        });
    }
    Ok(tally.finish(project_id, &batches))
}

/// Counts the tasks of the project's local copy when it has a finished one (synced first,
/// only the changes listed): a dashboard visit then reads no task from the lab. Returns the
/// copy's time; `None` when there is no copy, it is busy, or it could not be synced: the lab
/// is read instead.
async fn from_local_copy(
    core: &Core,
    client: &lab_client::LabClient,
    project_id: &str,
    tally: &mut Tally,
    on_progress: &(impl Fn(StatsProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> AppResult<Option<String>> {
    let Some(info) = core.connection().await else {
        return Ok(None);
    };
    let Some(mut held) = core.index.try_hold(&info) else {
        return Ok(None);
    };
    if !crate::local_index::LocalIndex::mirrored(&mut held, project_id) {
        return Ok(None);
    }
    match held.index().sync(client, project_id, |_| {}, cancel).await {
        Ok(_) => {}
        Err(lab_index::Error::Cancelled) => {
            return Err(AppError::msg(
                ErrorKind::Cancelled,
                "err.statsCancelled",
                &[],
            ));
        }
        Err(e) => {
            tracing::info!("dashboard: local copy not synced, reading the lab: {e}");
            if e.is_corrupt() {
                held.rebuild();
            }
            return Ok(None);
        }
    }
    let state = held.index().project_state(project_id).ok().flatten();
    let total = state.as_ref().map_or(0, |s| s.tasks);
    let as_of = state.and_then(|s| s.as_of).unwrap_or_default();
    let read = held.index().each_document(project_id, |doc| {
        tally.add(doc);
        if tally.tasks.is_multiple_of(5000) {
            on_progress(StatsProgress {
                read: tally.tasks,
                total: total.max(tally.tasks),
            });
        }
    });
    match read {
        Ok(n) => {
            on_progress(StatsProgress { read: n, total: n });
            Ok(Some(as_of))
        }
        // a tally half made from the copy is thrown away with this error; a damaged copy is
        // made again, so the next visit reads the lab
        Err(e) => {
            if e.is_corrupt() {
                held.rebuild();
            }
            Err(AppError::msg(
                ErrorKind::Internal,
                "err.localCopy",
                &[("detail", &e.to_string())],
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stats_of(tasks: &[Value]) -> ProjectStats {
        let mut t = Tally::new(json!({"projectType": "iat-rectangle", "metadata": {}}));
        for task in tasks {
            t.add(task);
        }
        t.finish("p", &[("b1".into(), "Batch one".into())])
    }

    fn task(id: &str, created: &str, updated: &str) -> Value {
        json!({"_id": id, "status": "pending", "batchId": "b1", "createdAt": created, "updatedAt": updated})
    }

    #[test]
    fn a_short_span_counts_per_day_with_empty_days_in_between() {
        let s = stats_of(&[
            task("a", "2024-05-01T09:00:00.000Z", "2024-05-01T10:00:00.000Z"),
            task("b", "2024-05-01T23:59:59.999Z", "2024-05-04T00:00:00.000Z"),
            task("c", "not a date", "2024-05-03T12:00:00+02:00"),
        ]);
        let tl = &s.timeline;
        assert_eq!(tl.step, TimeStep::Day);
        let got: Vec<(&str, &str, u64, u64)> = tl
            .buckets
            .iter()
            .map(|b| (b.start.as_str(), b.end.as_str(), b.created, b.updated))
            .collect();
        assert_eq!(
            got,
            [
                ("2024-05-01", "2024-05-02", 2, 1),
                ("2024-05-02", "2024-05-03", 0, 0),
                ("2024-05-03", "2024-05-04", 0, 1),
                ("2024-05-04", "2024-05-05", 0, 1),
            ]
        );
        assert_eq!(tl.undated_created, 1);
        assert_eq!(tl.undated_updated, 0);
    }

    #[test]
    fn over_120_days_counts_per_week_from_monday_and_over_two_years_per_month() {
        // 2024-01-03 is a Wednesday; 2024-06-01 is 150 days later
        let s = stats_of(&[
            task("a", "2024-01-03T08:00:00Z", "2024-01-07T08:00:00Z"),
            task("b", "2024-06-01T08:00:00Z", "2024-06-01T08:00:00Z"),
        ]);
        let tl = &s.timeline;
        assert_eq!(tl.step, TimeStep::Week);
        assert_eq!(tl.buckets[0].start, "2024-01-01");
        assert_eq!(tl.buckets[0].end, "2024-01-08");
        assert_eq!((tl.buckets[0].created, tl.buckets[0].updated), (1, 1));
        let last = tl.buckets.last().unwrap();
        assert_eq!(last.start, "2024-05-27");
        assert_eq!((last.created, last.updated), (1, 1));
        assert_eq!(tl.buckets.len(), 22);
        assert!(tl.buckets.windows(2).all(|w| w[0].end == w[1].start));

        let s = stats_of(&[
            task("a", "2022-01-31T08:00:00Z", "2022-01-31T08:00:00Z"),
            task("b", "2024-03-15T08:00:00Z", "2024-03-15T08:00:00Z"),
        ]);
        let tl = &s.timeline;
        assert_eq!(tl.step, TimeStep::Month);
        assert_eq!(
            (tl.buckets[0].start.as_str(), tl.buckets[0].end.as_str()),
            ("2022-01-01", "2022-02-01")
        );
        assert_eq!(tl.buckets.len(), 27);
        assert_eq!(tl.buckets.last().unwrap().end, "2024-04-01");
    }

    #[test]
    fn batches_statuses_and_annotators_are_counted_in_order() {
        let done = |id: &str, status: &str, batch: &str, by: &str, at: &str| {
            json!({"_id": id, "status": status, "batchId": batch,
                   "createdAt": "2024-05-01T00:00:00Z", "updatedAt": "2024-05-01T00:00:00Z",
                   "jobs": [{"status": "complete", "state": {"completedAt": at, "completedBy": {"email": by}}}]})
        };
        let s = stats_of(&[
            done("t1", "complete", "b1", "ann@x", "2024-05-01T01:00:00Z"),
            done("t2", "complete", "b2", "ann@x", "2024-05-01T01:00:00Z"),
            done("t3", "reviewed", "b1", "bob@x", "2024-05-01T01:00:00Z"),
            task("t4", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z"),
            task("t5", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z"),
            task("t6", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z"),
            json!({"_id": "t7", "status": "archived", "batchId": "b1"}),
        ]);
        assert_eq!(s.tasks, 7);
        assert_eq!(s.statuses.last().map(String::as_str), Some("archived"));
        let b: Vec<(&str, &str, u64)> = s
            .batches
            .iter()
            .map(|b| (b.batch_id.as_str(), b.name.as_str(), b.total))
            .collect();
        assert_eq!(b, [("b1", "Batch one", 6), ("b2", "b2", 1)]);
        let b1: Vec<(&str, u64)> = s.batches[0]
            .counts
            .iter()
            .map(|c| (c.status.as_str(), c.count))
            .collect();
        assert_eq!(
            b1,
            [
                ("pending", 3),
                ("complete", 1),
                ("reviewed", 1),
                ("archived", 1)
            ]
        );
        let a: Vec<(Option<&str>, u64)> = s
            .annotators
            .iter()
            .map(|a| (a.annotator.as_deref(), a.count))
            .collect();
        // no annotator last although it has the most tasks
        assert_eq!(a, [(Some("ann@x"), 2), (Some("bob@x"), 1), (None, 4)]);
        assert_eq!(s.annotators[0].task_ids, ["t1", "t2"]);
        assert_eq!(s.timeline.undated_created, 1);
        assert!(!s.labels.iter().any(|l| l.annotations > 0));
    }

    #[test]
    fn labels_are_summed_over_annotations_and_tasks_with_configuration_colours() {
        let config = json!({"projectType": "iat-rectangle", "metadata": {"labelOptions": {
        "mainLists": [{"name": "main", "keys": ["objects"]}],
        "availableLabels": {"objects": [
            {"id": "car", "name": "Car", "color": "#FF0000"},
            {"id": "bus", "name": "Bus", "color": "#00ff00"},
            {"id": "tram", "name": "Tram", "color": "#0000ff"}
        ]}}}});
        let ann = |label: &str| {
            json!({"labels": {"objects": {"labels": [{"id": label}]}},
                   "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.5, 0.5]}}]})
        };
        let with = |id: &str, anns: Vec<Value>| {
            json!({"_id": id, "status": "complete", "batchId": "b",
                   "data": {"body": {"annotations": anns}}})
        };
        let mut t = Tally::new(config);
        t.add(&with("t1", vec![ann("car"), ann("car"), ann("bus")]));
        t.add(&with("t2", vec![ann("car")]));
        t.add(&with("t3", vec![]));
        t.add(&with("t4", vec![json!({"polygons": []})]));
        let s = t.finish("p", &[]);
        assert!(s.image_tools);
        let got: Vec<(&str, &str, u64, u64, Vec<&str>)> = s
            .labels
            .iter()
            .map(|l| {
                (
                    l.id.as_str(),
                    l.color.as_str(),
                    l.annotations,
                    l.tasks,
                    l.task_ids.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("car", "#ff0000", 3, 2, vec!["t1", "t2"]),
                ("bus", "#00ff00", 1, 1, vec!["t1"]),
                ("tram", "#0000ff", 0, 0, vec![]),
                ("", "#9e9e9e", 1, 1, vec!["t4"]),
            ]
        );
    }

    #[test]
    fn a_form_without_image_tool_has_no_labels() {
        let t = Tally::new(
            json!({"projectType": "form", "metadata": {"inputsLayout": [[[
                {"id": "q", "type": "text"}
            ]]]}}),
        );
        let s = t.finish("p", &[]);
        assert!(!s.image_tools);
        assert!(s.labels.is_empty());
        assert_eq!(s.timeline.buckets, []);
    }

    // ---------- against the demo sandbox, numbers checked through the API ----------

    async fn demo() -> (tempfile::TempDir, Core) {
        let dir = tempfile::tempdir().unwrap();
        let core = crate::core::test_core_on_demo(dir.path()).await;
        (dir, core)
    }

    async fn stats(core: &Core, project: &str) -> (ProjectStats, Vec<StatsProgress>) {
        let seen = std::sync::Mutex::new(Vec::new());
        let s = project_stats(
            core,
            project,
            |p| seen.lock().unwrap().push(p),
            CancellationToken::new(),
        )
        .await
        .unwrap();
        (s, seen.into_inner().unwrap())
    }

    async fn count(core: &Core, f: impl FnOnce(&mut TaskFilter)) -> u64 {
        let mut filter = TaskFilter::new("demo-rectangle");
        f(&mut filter);
        core.client()
            .await
            .unwrap()
            .count_tasks(&filter)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_visit_after_the_project_is_mirrored_counts_the_synced_local_copy_the_same() {
        let (_d, core) = demo().await;
        let project = "demo-rectangle";
        let (lab, _) = stats(&core, project).await;
        assert_eq!(lab.as_of, None);
        let client = core.client().await.unwrap();
        let info = core.connection().await.unwrap();
        let mut held = core.index.try_hold(&info).expect("free");
        held.index()
            .sync(&client, project, |_| {}, &CancellationToken::new())
            .await
            .unwrap();
        drop(held);
        let (copy, progress) = stats(&core, project).await;
        assert!(copy.as_of.is_some(), "counted from the copy");
        let plain = |s: &ProjectStats| {
            let mut v = serde_json::to_value(s).unwrap();
            v.as_object_mut().unwrap().remove("asOf");
            v
        };
        assert_eq!(plain(&copy), plain(&lab));
        let last = progress.last().unwrap();
        assert_eq!((last.read, last.total), (lab.tasks, lab.tasks));
        // a change behind the window's back is counted (the copy syncs first)
        let mut pending = TaskFilter::new(project);
        pending.statuses = vec!["complete".into()];
        let done = client.count_tasks(&pending).await.unwrap();
        assert!(done > 0);
        let mut ids = Vec::new();
        let mut pages = Box::pin(client.task_pages(pending.clone()));
        while let Some(p) = pages.next().await {
            ids.extend(
                p.unwrap()
                    .tasks
                    .iter()
                    .map(|t| t["_id"].as_str().unwrap().to_owned()),
            );
        }
        lab_client::ops::redo(&client, project, ids, true, None, CancellationToken::new())
            .await
            .unwrap();
        let (after, _) = stats(&core, project).await;
        assert!(after.as_of.is_some());
        let complete: u64 = after
            .batches
            .iter()
            .flat_map(|b| &b.counts)
            .filter(|c| c.status == "complete")
            .map(|c| c.count)
            .sum();
        assert_eq!(complete, 0, "every complete task was sent to redo");
    }

    #[tokio::test]
    async fn status_per_batch_matches_the_labs_counts() {
        let (_d, core) = demo().await;
        let (s, progress) = stats(&core, "demo-rectangle").await;
        let all = count(&core, |_| {}).await;
        assert_eq!(s.tasks, all);
        assert!(all > 0);
        let last = progress.last().unwrap();
        assert_eq!((last.read, last.total), (all, all));
        assert!(progress.windows(2).all(|w| w[0].read <= w[1].read));
        // the lab's batches, in its order
        let lab_batches = core
            .list_batches("demo-rectangle".into())
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.id)
            .collect::<Vec<_>>();
        let ours: Vec<String> = s.batches.iter().map(|b| b.batch_id.clone()).collect();
        assert_eq!(ours, lab_batches);
        for status in TASK_STATUSES {
            let sum: u64 = s
                .batches
                .iter()
                .flat_map(|b| &b.counts)
                .filter(|c| c.status == status)
                .map(|c| c.count)
                .sum();
            let want = count(&core, |f| f.statuses = vec![status.into()]).await;
            assert_eq!(sum, want, "tasks in {status}");
        }
        let mut several = 0;
        for b in &s.batches {
            for c in &b.counts {
                let want = count(&core, |f| {
                    f.batch_ids = vec![b.batch_id.clone()];
                    f.statuses = vec![c.status.clone()];
                })
                .await;
                assert_eq!(c.count, want, "{} in {}", c.status, b.name);
            }
            several += usize::from(b.counts.len() > 1);
        }
        assert!(several > 0, "the demo has batches with several statuses");
    }

    #[tokio::test]
    async fn each_day_is_what_the_labs_date_filter_finds() {
        let (_d, core) = demo().await;
        let (s, _) = stats(&core, "demo-rectangle").await;
        let tl = &s.timeline;
        assert_eq!(tl.step, TimeStep::Day);
        assert_eq!((tl.undated_created, tl.undated_updated), (0, 0));
        assert_eq!(tl.buckets.iter().map(|b| b.created).sum::<u64>(), s.tasks);
        assert_eq!(tl.buckets.iter().map(|b| b.updated).sum::<u64>(), s.tasks);
        assert!(tl.buckets.len() >= 2, "{:?}", tl.buckets);
        for b in &tl.buckets {
            let (from, to) = (
                format!("{} 00:00:00", b.start),
                format!("{} 00:00:00", b.end),
            );
            let created = count(&core, |f| {
                f.created_at.gte = Some(from.clone());
                f.created_at.lt = Some(to.clone());
            })
            .await;
            let updated = count(&core, |f| {
                f.updated_at.gte = Some(from.clone());
                f.updated_at.lt = Some(to.clone());
            })
            .await;
            assert_eq!((b.created, b.updated), (created, updated), "{}", b.start);
        }
    }

    #[tokio::test]
    async fn annotators_cover_every_task_once_and_unannotated_tasks_have_none() {
        let (_d, core) = demo().await;
        let (s, _) = stats(&core, "demo-rectangle").await;
        let ids: Vec<&String> = s.annotators.iter().flat_map(|a| &a.task_ids).collect();
        assert_eq!(ids.len() as u64, s.tasks);
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        for a in &s.annotators {
            assert_eq!(a.count, a.task_ids.len() as u64);
        }
        assert!(
            s.annotators
                .iter()
                .filter(|a| a.annotator.is_some())
                .count()
                >= 2
        );
        // in the demo, only complete, to-review and reviewed tasks have a completed job
        let none = s.annotators.iter().find(|a| a.annotator.is_none()).unwrap();
        let unannotated = count(&core, |f| {
            f.statuses = vec!["pending".into(), "configuring".into()]
        })
        .await;
        assert_eq!(none.count, unannotated);
        assert!(s.annotators.last().unwrap().annotator.is_none());
    }

    /// Annotations per first main label, counted from the documents without lab-visual.
    /// `input`: the form input holding the image tool's value.
    async fn independent_label_count(
        core: &Core,
        project: &str,
        input: Option<&str>,
    ) -> BTreeMap<String, (u64, HashSet<String>)> {
        let mut filter = TaskFilter::new(project);
        filter.optional_fields = vec!["data".into()];
        let client = core.client().await.unwrap();
        let mut pages = Box::pin(client.task_pages(filter));
        let mut out: BTreeMap<String, (u64, HashSet<String>)> = BTreeMap::new();
        while let Some(page) = pages.next().await {
            for t in page.unwrap().tasks {
                let id = t["_id"].as_str().unwrap().to_owned();
                let at = |body: &Value| match input {
                    Some(k) => body[k]["annotations"].clone(),
                    None => body["annotations"].clone(),
                };
                let anns = match at(&t["data"]["body"]) {
                    Value::Array(a) => a,
                    _ => at(&t["data"]["metadata"]["body"])
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                };
                for a in anns {
                    let first = a["labels"]
                        .as_object()
                        .and_then(|o| o.values().next())
                        .and_then(|l| l["labels"][0]["id"].as_str())
                        .unwrap_or_default()
                        .to_owned();
                    let e = out.entry(first).or_default();
                    e.0 += 1;
                    e.1.insert(id.clone());
                }
            }
        }
        out
    }

    #[tokio::test]
    async fn label_counts_match_a_count_of_the_annotations() {
        let (_d, core) = demo().await;
        for (project, input) in [
            ("demo-rectangle", None),
            ("demo-polygon", None),
            ("demo-graph", None),
            ("demo-form", Some("photo")),
        ] {
            let (s, _) = stats(&core, project).await;
            assert!(s.image_tools);
            let want = independent_label_count(&core, project, input).await;
            assert!(!want.is_empty(), "{project} has annotations");
            let got: BTreeMap<String, (u64, HashSet<String>)> = s
                .labels
                .iter()
                .filter(|l| l.annotations > 0)
                .map(|l| {
                    assert_eq!(l.tasks, l.task_ids.len() as u64);
                    (
                        l.id.clone(),
                        (l.annotations, l.task_ids.iter().cloned().collect()),
                    )
                })
                .collect();
            assert_eq!(got, want, "{project}");
            // every label of the configuration's main list, in its configured colour
            let cfg = core.project_configuration(project).await.unwrap();
            let tool_cfg = match input {
                Some(_) => &cfg["metadata"]["inputsLayout"][1][0][0]["config"],
                None => &cfg,
            };
            let configured = tool_cfg["metadata"]["labelOptions"]["availableLabels"]["objects"]
                .as_array()
                .unwrap();
            let ids: Vec<&str> = s.labels.iter().map(|l| l.id.as_str()).collect();
            let want_ids: Vec<&str> = configured
                .iter()
                .map(|l| l["id"].as_str().unwrap())
                .collect();
            assert_eq!(ids[..want_ids.len()], want_ids[..], "{project}");
            for (ours, l) in s.labels.iter().zip(configured) {
                assert_eq!(
                    ours.color,
                    l["color"].as_str().unwrap().to_ascii_lowercase(),
                    "{project} {}",
                    ours.id
                );
            }
        }
    }

    #[tokio::test]
    async fn a_cancelled_reading_says_so() {
        let (_d, core) = demo().await;
        let token = CancellationToken::new();
        token.cancel();
        let e = project_stats(&core, "demo-rectangle", |_| {}, token)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert_eq!(e.key.as_deref(), Some("err.statsCancelled"));
    }
}
