//! Projects, batches, configuration, filters and the calls that read them.

use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Call, LabClient, Repeat, decode};
use crate::error::{Error, Invalid, Result};

/// Page size the SDK uses for tasks.
pub const TASK_PAGE_LIMIT: u64 = 100;
/// Most task ids (or names) one task listing request carries: [`TaskFilter::split_long_lists`].
pub const LIST_CHUNK: usize = 100;
/// Page size the SDK uses for projects and batches.
pub const SMALL_PAGE_LIMIT: u64 = 10;

/// Paginated answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Paginated<T> {
    pub docs: Vec<T>,
    pub total_docs: u64,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub total_pages: Option<u64>,
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default)]
    pub has_next_page: bool,
    #[serde(default)]
    pub next_page: Option<u64>,
}

/// Filters of the project list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectFilter {
    /// Only these ids.
    pub ids: Vec<String>,
    /// configuring, pending, complete, toBeDeleted, deleted, archived.
    pub statuses: Vec<String>,
    /// form, iat-rectangle, iat-polygon, iat-segmentation, iat-graph, iat-polyline.
    pub types: Vec<String>,
    /// Quick search.
    pub search: Option<String>,
}

/// Filters of the batch list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchFilter {
    /// pending, complete, configuring.
    pub statuses: Vec<String>,
    /// Quick search.
    pub search: Option<String>,
}

/// A project as the API sends it (`type` and/or `projectType`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectWire {
    #[serde(alias = "_id")]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    project_type: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

impl From<ProjectWire> for Project {
    fn from(w: ProjectWire) -> Self {
        Self {
            id: w.id,
            name: w.name,
            project_type: w.project_type.or(w.kind),
            status: w.status,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A project.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", from = "ProjectWire")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Project {
    /// `_id`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Project type (`projectType` or `type` on the wire).
    pub project_type: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Creation date.
    pub created_at: Option<String>,
    /// Last update.
    pub updated_at: Option<String>,
}

/// A batch.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Batch {
    /// `_id`.
    #[serde(alias = "_id")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Status.
    #[serde(default)]
    pub status: Option<String>,
    /// Creation date.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A label of the configuration's main lists.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Label {
    /// Label id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Colour.
    pub color: Option<String>,
    /// Blue channel used by segmentation masks.
    pub b_channel: Option<i64>,
    /// Main list name.
    pub list: String,
}

/// What the UI shows of a configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConfigurationSummary {
    /// Project type.
    pub project_type: String,
    /// Sequence (video-like) project.
    pub sequence: bool,
    /// Labels of the main lists.
    pub labels: Vec<Label>,
    /// Image tool inputs of a form project.
    pub iat_input_ids: Vec<String>,
}

/// A project configuration: the type plus the whole raw document.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectConfiguration {
    /// `projectType`.
    pub project_type: String,
    /// The whole document as received.
    pub raw: Value,
}

impl<'de> Deserialize<'de> for ProjectConfiguration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        Self::from_value(raw).map_err(serde::de::Error::custom)
    }
}

/// Flatten an inputs layout (rows → columns → inputs).
pub(crate) fn layout_inputs(layout: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for row in layout.as_array().into_iter().flatten() {
        for col in row.as_array().into_iter().flatten() {
            for input in col.as_array().into_iter().flatten() {
                out.push(input.clone());
            }
        }
    }
    out
}

pub(crate) fn is_iat_input(input: &Value) -> bool {
    input
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("tool-iat"))
}

/// Labels of the main lists of a configuration document (`{metadata:{labelOptions}}`).
pub(crate) fn labels_of(doc: &Value) -> Vec<Label> {
    let opts = &doc["metadata"]["labelOptions"];
    let mut out = Vec::new();
    for list in opts["mainLists"].as_array().into_iter().flatten() {
        let list_name = list["name"].as_str().unwrap_or_default().to_string();
        for key in list["keys"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            for l in opts["availableLabels"][key]
                .as_array()
                .into_iter()
                .flatten()
            {
                out.push(Label {
                    id: value_str(&l["id"]),
                    name: value_str(&l["name"]),
                    color: l["color"].as_str().map(str::to_string),
                    b_channel: l["bChannel"].as_i64(),
                    list: list_name.clone(),
                });
            }
        }
    }
    out
}

pub(crate) fn value_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl ProjectConfiguration {
    /// From a raw configuration document.
    pub fn from_value(raw: Value) -> Result<Self> {
        let project_type = raw
            .get("projectType")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Decode {
                what: "project configuration".into(),
                message: "at `projectType`: missing or not a string".into(),
            })?
            .to_string();
        Ok(Self { project_type, raw })
    }
    /// Sequence (video-like) project.
    pub fn is_sequence(&self) -> bool {
        self.raw["metadata"]["toolOptions"]["sequence"]
            .as_bool()
            .unwrap_or(false)
    }
    /// Image annotation project (`iat-*`).
    pub fn is_iat(&self) -> bool {
        self.project_type.starts_with("iat-")
    }
    /// Form project.
    pub fn is_form(&self) -> bool {
        self.project_type == "form"
    }
    /// Labels of the main lists.
    pub fn labels(&self) -> Vec<Label> {
        labels_of(&self.raw)
    }
    /// All inputs of the layout (form projects).
    pub fn inputs(&self) -> Vec<Value> {
        layout_inputs(&self.raw["metadata"]["inputsLayout"])
    }
    /// Image tool inputs of the layout (form projects).
    pub fn iat_inputs(&self) -> Vec<Value> {
        self.inputs().into_iter().filter(is_iat_input).collect()
    }
    /// Summary for the UI.
    pub fn summary(&self) -> ConfigurationSummary {
        ConfigurationSummary {
            project_type: self.project_type.clone(),
            sequence: self.is_sequence(),
            labels: self.labels(),
            iat_input_ids: self
                .iat_inputs()
                .iter()
                .map(|i| value_str(&i["id"]))
                .collect(),
        }
    }
}

/// Bounds on a date (`"2022-09-19 08:30:00"`), each optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DateRange {
    /// After.
    pub gt: Option<String>,
    /// At or after.
    pub gte: Option<String>,
    /// Before.
    pub lt: Option<String>,
    /// At or before.
    pub lte: Option<String>,
}

impl DateRange {
    fn push(&self, key: &str, q: &mut Vec<(String, String)>) {
        for (op, v) in [
            (">", &self.gt),
            (">=", &self.gte),
            ("<", &self.lt),
            ("<=", &self.lte),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push((key.to_string(), format!("{op}{v}")));
            }
        }
    }
}

/// Every filter of the SDK's `tasks()`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaskFilter {
    /// Project (required).
    pub project_id: String,
    /// Batches.
    pub batch_ids: Vec<String>,
    /// pending, complete, to-review, reviewed, configuring.
    pub statuses: Vec<String>,
    /// Task ids.
    pub task_ids: Vec<String>,
    /// Exact names.
    pub names: Vec<String>,
    /// Name regular expression.
    pub name_like: Option<String>,
    /// Creation date bounds.
    pub created_at: DateRange,
    /// Update date bounds.
    pub updated_at: DateRange,
    /// data, jobs, metrics, data.mask, jobs.history, lastAnnotator.
    pub optional_fields: Vec<String>,
    /// `data.k=v` filters.
    pub data: Vec<(String, String)>,
    /// `properties.k=v` filters.
    pub properties: Vec<(String, String)>,
}

impl TaskFilter {
    /// Every task of a project.
    pub fn new(project_id: impl Into<String>) -> Self {
        Self {
            project_id: project_id.into(),
            ..Self::default()
        }
    }

    /// `lastAnnotator` asked.
    pub fn wants_last_annotator(&self) -> bool {
        self.optional_fields.iter().any(|f| f == "lastAnnotator")
    }

    /// `jobs` asked explicitly.
    pub fn wants_jobs(&self) -> bool {
        self.optional_fields.iter().any(|f| f == "jobs")
    }

    /// Check the filter before any request: a `name_like` that the `regex` crate compiles
    /// (the server's dialect may differ slightly) and dates in a format the lab accepts:
    /// `YYYY-MM-DD HH:MM:SS` (the SDK's), also `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, a `T`
    /// instead of the space, fractional seconds and RFC 3339 (`…Z`, `…+02:00`).
    pub fn validate(&self) -> Result<()> {
        check_id(IdOf::Project, &self.project_id)?;
        if let Some(re) = self.name_like.as_deref().filter(|s| !s.is_empty())
            && let Err(e) = regex::Regex::new(re)
        {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("").trim().to_string();
            return Err(Invalid::BadNamePattern {
                pattern: re.to_string(),
                detail: last,
            }
            .into());
        }
        type Bad = fn(String) -> Invalid;
        let checks: [(&Option<String>, Bad); 8] = [
            (&self.created_at.gt, |date| Invalid::BadDateCreatedAfter {
                date,
            }),
            (&self.created_at.gte, |date| Invalid::BadDateCreatedFrom {
                date,
            }),
            (&self.created_at.lt, |date| Invalid::BadDateCreatedBefore {
                date,
            }),
            (&self.created_at.lte, |date| Invalid::BadDateCreatedUntil {
                date,
            }),
            (&self.updated_at.gt, |date| Invalid::BadDateUpdatedAfter {
                date,
            }),
            (&self.updated_at.gte, |date| Invalid::BadDateUpdatedFrom {
                date,
            }),
            (&self.updated_at.lt, |date| Invalid::BadDateUpdatedBefore {
                date,
            }),
            (&self.updated_at.lte, |date| Invalid::BadDateUpdatedUntil {
                date,
            }),
        ];
        for (value, bad) in checks {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty())
                && !is_filter_date(v)
            {
                return Err(bad(v.to_string()).into());
            }
        }
        Ok(())
    }

    /// The filter as several filters of at most [`LIST_CHUNK`] task ids (or, when the ids
    /// are few, task names) each, when it asks for more: the lab takes such lists as repeated
    /// query keys, and thousands of them make a URL that servers refuse (the sandbox takes at
    /// most 5,000 values; real proxies often stop at 8 KB). Duplicates are dropped, so the
    /// parts match disjoint tasks and their results add up. `None` when one request does.
    pub fn split_long_lists(&self) -> Option<Vec<TaskFilter>> {
        fn unique(v: &[String]) -> Vec<String> {
            let mut seen = std::collections::HashSet::new();
            v.iter()
                .filter(|s| seen.insert(s.as_str()))
                .cloned()
                .collect()
        }
        let (ids, names) = if self.task_ids.len() > LIST_CHUNK {
            (unique(&self.task_ids), None)
        } else if self.names.len() > LIST_CHUNK {
            (Vec::new(), Some(unique(&self.names)))
        } else {
            return None;
        };
        let parts = match names {
            None => ids
                .chunks(LIST_CHUNK)
                .map(|c| TaskFilter {
                    task_ids: c.to_vec(),
                    ..self.clone()
                })
                .collect(),
            Some(names) => names
                .chunks(LIST_CHUNK)
                .map(|c| TaskFilter {
                    names: c.to_vec(),
                    ..self.clone()
                })
                .collect(),
        };
        Some(parts)
    }

    /// Entries of the list a split filter was split on (ids, else names).
    fn list_len(&self) -> usize {
        if self.task_ids.is_empty() {
            self.names.len()
        } else {
            self.task_ids.len()
        }
    }

    /// Query pairs in the SDK's order and encoding (lists as repeated keys).
    pub fn query(&self, page: u64, limit: u64) -> Vec<(String, String)> {
        let mut q: Vec<(String, String)> = vec![
            ("pagination".into(), "true".into()),
            ("page".into(), page.to_string()),
            ("limit".into(), limit.to_string()),
            ("projectId".into(), self.project_id.clone()),
        ];
        let many = |q: &mut Vec<(String, String)>, key: &str, vals: &[String]| {
            for v in vals {
                q.push((key.to_string(), v.clone()));
            }
        };
        many(&mut q, "batchIds", &self.batch_ids);
        many(&mut q, "statuses", &self.statuses);
        if let Some(re) = self.name_like.as_deref().filter(|s| !s.is_empty()) {
            q.push(("nameLike".into(), re.to_string()));
        }
        many(&mut q, "taskIds", &self.task_ids);
        many(&mut q, "taskNames", &self.names);
        let mut fields: Vec<String> = self
            .optional_fields
            .iter()
            .filter(|f| *f != "lastAnnotator")
            .cloned()
            .collect();
        if self.wants_last_annotator() {
            // The SDK asks for jobs and appends "jobs" once more; same wire for parity.
            if !fields.iter().any(|f| f == "jobs") {
                fields.push("jobs".into());
            }
            fields.push("jobs".into());
        }
        many(&mut q, "optionalFields", &fields);
        self.created_at.push("createdAt", &mut q);
        self.updated_at.push("updatedAt", &mut q);
        for (k, v) in &self.data {
            q.push((format!("data.{k}"), v.clone()));
        }
        for (k, v) in &self.properties {
            q.push((format!("properties.{k}"), v.clone()));
        }
        q
    }
}

/// One page of tasks: raw documents plus counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TaskPage {
    /// Raw task documents, in server order.
    pub tasks: Vec<Value>,
    /// Tasks loaded so far (this page included).
    pub loaded: u64,
    /// Total matching tasks.
    pub total: u64,
}

/// One page of tasks, each still JSON text (see [`LabClient::raw_task_pages`]).
#[derive(Debug)]
pub struct RawTaskPage {
    /// Task documents as the server wrote them, in server order.
    pub tasks: Vec<Box<serde_json::value::RawValue>>,
    /// Tasks loaded so far (this page included).
    pub loaded: u64,
    /// Total matching tasks.
    pub total: u64,
}

fn project_query(f: &ProjectFilter, page: u64) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = vec![
        ("pagination".into(), "true".into()),
        ("page".into(), page.to_string()),
        ("limit".into(), SMALL_PAGE_LIMIT.to_string()),
    ];
    for v in &f.ids {
        q.push(("ids".into(), v.clone()));
    }
    for v in &f.statuses {
        q.push(("statuses".into(), v.clone()));
    }
    for v in &f.types {
        q.push(("types".into(), v.clone()));
    }
    if let Some(s) = f.search.as_deref().filter(|s| !s.is_empty()) {
        q.push(("search".into(), s.to_string()));
    }
    q
}

fn batch_query(project_id: &str, f: &BatchFilter, page: u64) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = vec![
        ("pagination".into(), "true".into()),
        ("page".into(), page.to_string()),
        ("limit".into(), SMALL_PAGE_LIMIT.to_string()),
        ("projectId".into(), project_id.to_string()),
    ];
    for v in &f.statuses {
        q.push(("statuses".into(), v.clone()));
    }
    if let Some(s) = f.search.as_deref().filter(|s| !s.is_empty()) {
        q.push(("search".into(), s.to_string()));
    }
    q
}

/// A date the lab's task filters accept (see [`TaskFilter::validate`]).
pub fn is_filter_date(s: &str) -> bool {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let s = s.trim();
    if DateTime::parse_from_rfc3339(s).is_ok() {
        return true;
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .any(|f| NaiveDateTime::parse_from_str(naive, f).is_ok())
        || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// What an id names, for [`check_id`]'s refusal.
#[derive(Clone, Copy)]
enum IdOf {
    Project,
    Batch,
    File,
}

fn check_id(what: IdOf, id: &str) -> Result<()> {
    if id.trim().is_empty() || id.contains('/') || id.contains('?') || id.contains('#') {
        let id = id.to_string();
        return Err(match what {
            IdOf::Project => Invalid::BadProjectId { id },
            IdOf::Batch => Invalid::BadBatchId { id },
            IdOf::File => Invalid::BadFileId { id },
        }
        .into());
    }
    Ok(())
}

impl LabClient {
    async fn walk<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: impl Fn(u64) -> Vec<(String, String)>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let p: Paginated<T> = self.send_json(&Call::get(path).query(query(page))).await?;
            out.extend(p.docs);
            match (p.has_next_page, p.next_page) {
                (true, Some(next)) if next > page => page = next,
                (true, None) => page += 1,
                _ => break,
            }
        }
        Ok(out)
    }

    /// Projects matching the filter.
    pub async fn projects(&self, f: &ProjectFilter) -> Result<Vec<Project>> {
        self.walk("api/project-manager/projects", |p| project_query(f, p))
            .await
    }

    /// One project by id.
    pub async fn project(&self, id: &str) -> Result<Project> {
        check_id(IdOf::Project, id)?;
        let f = ProjectFilter {
            ids: vec![id.to_string()],
            ..ProjectFilter::default()
        };
        self.projects(&f)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::NotFound(format!("project {id} (check the project id)")))
    }

    /// Configuration of a project.
    pub async fn project_configuration(&self, project_id: &str) -> Result<ProjectConfiguration> {
        check_id(IdOf::Project, project_id)?;
        let path = format!(
            "api/project-configuration-manager/projects/{project_id}/project-configuration"
        );
        let body = self.send(&Call::get(&path)).await?;
        let raw: Value = decode("project configuration", &body)?;
        ProjectConfiguration::from_value(raw)
    }

    /// Batches of a project.
    pub async fn batches(&self, project_id: &str, f: &BatchFilter) -> Result<Vec<Batch>> {
        check_id(IdOf::Project, project_id)?;
        self.walk("api/task-manager/batches", |p| {
            batch_query(project_id, f, p)
        })
        .await
    }

    /// One batch.
    pub async fn batch(&self, batch_id: &str) -> Result<Batch> {
        check_id(IdOf::Batch, batch_id)?;
        self.send_json(&Call::get(format!("api/task-manager/batches/{batch_id}")))
            .await
    }

    /// Create a batch.
    pub async fn create_batch(&self, project_id: &str, name: &str) -> Result<Batch> {
        check_id(IdOf::Project, project_id)?;
        if name.trim().is_empty() {
            return Err(Invalid::BatchWithoutName.into());
        }
        let call = Call::new(Method::POST, "api/task-manager/batches", Repeat::Unsafe)
            .json(serde_json::json!({ "name": name, "projectId": project_id }));
        self.send_json(&call).await
    }

    /// Delete a batch and its tasks.
    pub async fn delete_batch(&self, batch_id: &str) -> Result<()> {
        check_id(IdOf::Batch, batch_id)?;
        let call = Call::new(
            Method::DELETE,
            format!("api/task-manager/batches/{batch_id}"),
            Repeat::Safe,
        );
        self.send(&call).await.map(|_| ())
    }

    pub(crate) async fn tasks_page<T: serde::de::DeserializeOwned>(
        &self,
        filter: &TaskFilter,
        page: u64,
        limit: u64,
    ) -> Result<Paginated<T>> {
        self.send_json(&Call::get("api/task-manager/tasks").query(filter.query(page, limit)))
            .await
    }

    /// Number of tasks matching the filter (a long id or name list is counted part by part:
    /// [`TaskFilter::split_long_lists`]).
    pub async fn count_tasks(&self, filter: &TaskFilter) -> Result<u64> {
        filter.validate()?;
        let Some(parts) = filter.split_long_lists() else {
            return Ok(self
                .tasks_page::<serde::de::IgnoredAny>(filter, 1, 1)
                .await?
                .total_docs);
        };
        let conc = self.options().page_concurrency.max(1);
        let counts: Vec<u64> = futures::stream::iter(parts)
            .map(|part| async move {
                Ok::<_, Error>(
                    self.tasks_page::<serde::de::IgnoredAny>(&part, 1, 1)
                        .await?
                        .total_docs,
                )
            })
            .buffered(conc)
            .try_collect()
            .await?;
        Ok(counts.iter().sum())
    }

    /// Pages of matching tasks (raw documents), in order. Pages after the first are
    /// fetched a few at a time once the total is known.
    pub fn task_pages(
        &self,
        filter: TaskFilter,
    ) -> impl Stream<Item = Result<TaskPage>> + Send + 'static {
        self.task_pages_of::<Value>(filter).map(|r| {
            r.map(|(tasks, loaded, total)| TaskPage {
                tasks,
                loaded,
                total,
            })
        })
    }

    /// [`LabClient::task_pages`] with each task left undecoded (its JSON text): for callers
    /// that decode, use and drop every task on one thread (the export's writer), which keeps
    /// the allocator's per-thread caches warm. Same requests, same order.
    pub fn raw_task_pages(
        &self,
        filter: TaskFilter,
    ) -> impl Stream<Item = Result<RawTaskPage>> + Send + 'static {
        self.task_pages_of::<Box<serde_json::value::RawValue>>(filter)
            .map(|r| {
                r.map(|(tasks, loaded, total)| RawTaskPage {
                    tasks,
                    loaded,
                    total,
                })
            })
    }

    /// Pages of `(docs, loaded, total)`. A filter with a long id or name list is listed part
    /// by part ([`TaskFilter::split_long_lists`]), a few parts at a time, in order; its total
    /// is the tasks found so far plus the list entries still to ask (exact at the end).
    fn task_pages_of<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        filter: TaskFilter,
    ) -> futures::stream::BoxStream<'static, Result<(Vec<T>, u64, u64)>> {
        let Some(parts) = filter.split_long_lists() else {
            return self.task_pages_plain(filter).boxed();
        };
        let client = self.clone();
        async_stream::try_stream! {
            filter.validate()?;
            let mut left: u64 = parts.iter().map(|p| p.list_len() as u64).sum();
            let conc = client.options().page_concurrency.max(1);
            let mut done = futures::stream::iter(parts)
                .map(|part| {
                    let c = client.clone();
                    async move {
                        let asked = part.list_len() as u64;
                        let pages: Vec<(Vec<T>, u64, u64)> =
                            c.task_pages_plain::<T>(part).try_collect().await?;
                        Ok::<_, Error>((asked, pages))
                    }
                })
                .buffered(conc);
            let mut loaded = 0u64;
            while let Some(part) = done.next().await {
                let (asked, pages) = part?;
                left -= asked;
                for (docs, _, _) in pages {
                    loaded += docs.len() as u64;
                    yield (docs, loaded, loaded + left);
                }
            }
        }
        .boxed()
    }

    /// Pages of `(docs, loaded, total)` of one request's filter.
    fn task_pages_plain<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        filter: TaskFilter,
    ) -> impl Stream<Item = Result<(Vec<T>, u64, u64)>> + Send + 'static {
        let client = self.clone();
        async_stream::try_stream! {
            filter.validate()?;
            let limit = TASK_PAGE_LIMIT;
            let first = client.tasks_page::<T>(&filter, 1, limit).await?;
            let per_page = first.limit.filter(|l| *l > 0).unwrap_or(limit);
            let total = first.total_docs;
            let pages = first
                .total_pages
                .unwrap_or_else(|| total.div_ceil(per_page));
            let mut more = first.has_next_page;
            let mut loaded = first.docs.len() as u64;
            yield (first.docs, loaded, total);
            let mut next = 2;
            if more && pages >= 2 {
                // The pages left, known from the first: requested ahead, as many in flight as
                // the adaptive limit allows, yielded in order.
                let opts = client.options();
                let initial = opts.page_concurrency.max(1);
                let limiter = client.limiter(
                    initial,
                    opts.page_concurrency_max.max(initial),
                    initial,
                );
                let mut overloads_seen = client.overload_events();
                let mut numbers = 2..=pages;
                let mut pending = futures::stream::FuturesOrdered::new();
                loop {
                    while pending.len() < limiter.limit() {
                        let Some(p) = numbers.next() else { break };
                        let c = client.clone();
                        let f = filter.clone();
                        pending.push_back(async move {
                            let started = std::time::Instant::now();
                            let page = c.tasks_page::<T>(&f, p, limit).await;
                            (page, started.elapsed())
                        });
                    }
                    let Some((page, latency)) = pending.next().await else {
                        break;
                    };
                    let overloads = client.overload_events();
                    if overloads > overloads_seen {
                        overloads_seen = overloads;
                        limiter.overload();
                    } else if page.is_ok() {
                        limiter.record(latency, pending.len() + 1);
                    }
                    let page = page?;
                    let number = page.page.unwrap_or(next);
                    loaded = (number - 1) * per_page + page.docs.len() as u64;
                    more = page.has_next_page;
                    next = number + 1;
                    yield (page.docs, loaded, page.total_docs.max(loaded));
                }
            }
            // Tasks added while listing: walk on like the SDK.
            while more && next > 1 {
                let page = client.tasks_page::<T>(&filter, next, limit).await?;
                let number = page.page.unwrap_or(next);
                loaded = (number - 1) * per_page + page.docs.len() as u64;
                more = page.has_next_page && !page.docs.is_empty();
                next = number + 1;
                yield (page.docs, loaded, page.total_docs.max(loaded));
            }
        }
    }

    /// Bytes of a task resource for previews: an `http(s)` URL string, or an uploaded
    /// file `{id, name}` (read from `api/file-manager/files/{id}/content`).
    pub async fn fetch_resource(&self, resource: &Value) -> Result<bytes::Bytes> {
        match resource {
            Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
                self.get_external(s).await
            }
            Value::Object(o) => {
                let id = o
                    .get("id")
                    .or_else(|| o.get("_id"))
                    .and_then(Value::as_str)
                    .ok_or(Invalid::ResourceWithoutFileId)?;
                check_id(IdOf::File, id)?;
                self.send(&Call::get(format!("api/file-manager/files/{id}/content")))
                    .await
            }
            other => Err(Invalid::CannotPreview {
                resource: other.to_string(),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_validation_before_any_request() {
        for ok in [
            "2022-09-19 08:30:00",
            "2022-09-19",
            "2022-09-19T08:30:00Z",
            "2022-09-19T08:30:00.123+02:00",
            "2022-09-19 08:30",
        ] {
            assert!(is_filter_date(ok), "{ok}");
        }
        for bad in [
            "19/09/2022",
            "2022-13-01",
            "yesterday",
            "2022-09-19 25:00:00",
            "2022-9-1x",
        ] {
            assert!(!is_filter_date(bad), "{bad}");
        }
        let mut f = TaskFilter::new("p");
        f.name_like = Some("img-[0-9".into());
        let e = f.validate().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Validation);
        assert!(
            e.to_string().contains("not a valid regular expression"),
            "{e}"
        );
        f.name_like = Some("img-[0-9]+".into());
        f.updated_at.lt = Some("31/12/2024".into());
        let e = f.validate().unwrap_err();
        assert!(e.to_string().contains("YYYY-MM-DD HH:MM:SS"), "{e}");
        f.updated_at.lt = Some("2024-12-31".into());
        f.validate().unwrap();
    }
    use crate::client::form_encode;

    #[test]
    fn task_query_matches_sdk_wire() {
        let f = TaskFilter {
            project_id: "p".into(),
            statuses: vec!["pending".into()],
            name_like: Some("x.*".into()),
            task_ids: vec!["a".into(), "b".into()],
            names: vec!["n 1".into(), "n2".into()],
            optional_fields: vec!["data".into(), "jobs".into()],
            created_at: DateRange {
                gte: Some("2022-01-01 00:00:00".into()),
                lt: Some("2023-01-01 00:00:00".into()),
                ..DateRange::default()
            },
            data: vec![("comment".into(), "urgent".into())],
            properties: vec![("score".into(), "3".into())],
            ..TaskFilter::default()
        };
        assert_eq!(
            form_encode(&f.query(1, 100)),
            "pagination=true&page=1&limit=100&projectId=p&statuses=pending&nameLike=x.%2A&taskIds=a&taskIds=b&taskNames=n+1&taskNames=n2&optionalFields=data&optionalFields=jobs&createdAt=%3E%3D2022-01-01+00%3A00%3A00&createdAt=%3C2023-01-01+00%3A00%3A00&data.comment=urgent&properties.score=3"
        );
    }

    #[test]
    fn last_annotator_becomes_jobs_like_the_sdk() {
        let mut f = TaskFilter::new("p");
        f.optional_fields = vec!["data".into(), "lastAnnotator".into()];
        let q = form_encode(&f.query(2, 100));
        assert_eq!(
            q,
            "pagination=true&page=2&limit=100&projectId=p&optionalFields=data&optionalFields=jobs&optionalFields=jobs"
        );
        assert!(f.wants_last_annotator());
        assert!(!f.wants_jobs());
    }

    #[test]
    fn project_and_batch_queries() {
        let f = ProjectFilter {
            ids: vec!["a".into()],
            types: vec!["form".into()],
            search: Some("cats".into()),
            ..ProjectFilter::default()
        };
        assert_eq!(
            form_encode(&project_query(&f, 1)),
            "pagination=true&page=1&limit=10&ids=a&types=form&search=cats"
        );
        let b = BatchFilter {
            statuses: vec!["pending".into()],
            search: None,
        };
        assert_eq!(
            form_encode(&batch_query("p", &b, 3)),
            "pagination=true&page=3&limit=10&projectId=p&statuses=pending"
        );
    }

    #[test]
    fn configuration_labels_and_inputs() {
        let cfg = ProjectConfiguration::from_value(serde_json::json!({
            "projectType": "form",
            "metadata": {
                "toolOptions": {"sequence": true},
                "labelOptions": {
                    "mainLists": [{"name": "main", "keys": ["k1", "k2"]}],
                    "availableLabels": {
                        "k1": [{"id": "cat", "name": "Cat", "color": "#f00", "bChannel": 1}],
                        "k2": [{"id": "dog", "name": "Dog", "color": "#0f0", "bChannel": 2}],
                        "unused": [{"id": "x", "name": "X"}]
                    }
                },
                "inputsLayout": [[[{"id": "t", "type": "text"}], [{"id": "img", "type": "tool-iat-rectangle"}]]]
            }
        }))
        .unwrap();
        let s = cfg.summary();
        assert!(s.sequence);
        assert_eq!(
            s.labels.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
            ["cat", "dog"]
        );
        assert_eq!(s.labels[1].b_channel, Some(2));
        assert_eq!(s.iat_input_ids, ["img"]);
        assert!(ProjectConfiguration::from_value(serde_json::json!({})).is_err());
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id(IdOf::Batch, "abc").is_ok());
        assert!(check_id(IdOf::Batch, "a/../b").is_err());
        assert!(check_id(IdOf::Batch, " ").is_err());
    }
}
