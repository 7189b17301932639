//! The `--seed FILE` format, applied idempotently (same `_id`s or same names: no duplicates).
//!
//! ```json
//! {"credentials": [{"access_id": "a", "secret_key": "s"}],
//!  "projects": [{"_id": "p1", "name": "P", "status": "pending", "projectType": "iat-rectangle",
//!    "configuration": {"metadata": {"labelOptions": {}}},
//!    "batches": [{"_id": "b1", "name": "B", "tasks": [{"name": "t1.png"}]}]}]}
//! ```
//! `tasks` is a sandbox extension: `data` is the initial data (metadata body and body),
//! `body` (optional) replaces the data body (annotations).

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::store::{Sandbox, TaskRow, insert_task, new_id, now_iso};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Seed {
    #[serde(default)]
    pub credentials: Vec<SeedCredential>,
    #[serde(default)]
    pub projects: Vec<SeedProject>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeedCredential {
    pub access_id: String,
    pub secret_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeedProject {
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "projectType")]
    pub project_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Value>,
    #[serde(default)]
    pub batches: Vec<SeedBatch>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeedBatch {
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<SeedTask>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SeedTask {
    #[serde(rename = "_id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default)]
    pub resources: Vec<Value>,
    /// Initial data: becomes `data.metadata.body` (and `data.body` unless `body` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Current data body (annotations), if different from the initial data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Value>,
    #[serde(rename = "createdAt", default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt", default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Seed {
    /// Reads a seed file, with the file name in the error.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Seed, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::Seed(format!("{}: {e}", path.display())))
    }
}

fn check_id(what: &str, id: &str) -> Result<(), Error> {
    if id.is_empty() || id.len() > 200 || id.chars().any(|c| c.is_control() || c == '/') {
        return Err(Error::Seed(format!(
            "{what} _id \"{id}\" must be 1-200 characters without '/' or control characters"
        )));
    }
    Ok(())
}

fn check_one_of(what: &str, v: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&v) {
        Ok(())
    } else {
        Err(Error::Seed(format!(
            "{what} \"{v}\" is not one of {}",
            allowed.join(", ")
        )))
    }
}

/// Puts loose `labelOptions`/`inputsLayout`/`toolOptions` under `metadata`.
pub(crate) fn normalize_configuration(cfg: Option<&Value>) -> Value {
    let mut m = match cfg {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    if !m.contains_key("metadata") {
        let mut meta = Map::new();
        for k in ["labelOptions", "inputsLayout", "toolOptions"] {
            if let Some(v) = m.remove(k) {
                meta.insert(k.into(), v);
            }
        }
        m.insert("metadata".into(), Value::Object(meta));
    }
    m.remove("projectType");
    Value::Object(m)
}

impl Sandbox {
    /// Applies a seed in one transaction. Projects and batches are matched by `_id`, else
    /// by name (batches within their project); existing ones are updated, tasks that
    /// already exist (same `_id`, or same name in the batch) are left as they are.
    pub fn apply_seed(&self, seed: &Seed) -> Result<(), Error> {
        use crate::api::{BATCH_STATUSES, PROJECT_STATUSES, PROJECT_TYPES, TASK_STATUSES};
        for p in &seed.projects {
            if p.name.trim().is_empty() {
                return Err(Error::Seed("a project has an empty name".into()));
            }
            check_one_of("projectType", &p.project_type, PROJECT_TYPES)?;
            if let Some(s) = &p.status {
                check_one_of("project status", s, PROJECT_STATUSES)?;
            }
            if let Some(id) = &p.id {
                check_id("project", id)?;
            }
            for b in &p.batches {
                if b.name.trim().is_empty() {
                    return Err(Error::Seed(format!(
                        "project {}: a batch has an empty name",
                        p.name
                    )));
                }
                if let Some(id) = &b.id {
                    check_id("batch", id)?;
                }
                if let Some(s) = &b.status {
                    check_one_of("batch status", s, BATCH_STATUSES)?;
                }
                for t in &b.tasks {
                    if t.name.is_empty() {
                        return Err(Error::Seed(format!(
                            "batch {}: a task has an empty name",
                            b.name
                        )));
                    }
                    if let Some(id) = &t.id {
                        check_id("task", id)?;
                    }
                    if let Some(s) = &t.status {
                        check_one_of("task status", s, TASK_STATUSES)?;
                    }
                }
            }
        }
        for c in &seed.credentials {
            if c.access_id.is_empty() || c.secret_key.is_empty() {
                return Err(Error::Seed(
                    "credentials need a non-empty access_id and secret_key".into(),
                ));
            }
        }
        self.with_conn(|c| {
            let tx = c.transaction()?;
            for cred in &seed.credentials {
                tx.execute(
                    "INSERT INTO credentials (access_id, secret_key) VALUES (?1, ?2)
                     ON CONFLICT(access_id) DO UPDATE SET secret_key = excluded.secret_key",
                    params![cred.access_id, cred.secret_key],
                )?;
            }
            for p in &seed.projects {
                apply_project(&tx, p)?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}

fn apply_project(c: &Connection, p: &SeedProject) -> Result<(), Error> {
    let now = now_iso();
    let existing: Option<String> = match &p.id {
        Some(id) => c
            .query_row("SELECT id FROM projects WHERE id = ?1", [id], |r| r.get(0))
            .optional()?,
        None => c
            .query_row(
                "SELECT id FROM projects WHERE name = ?1 ORDER BY seq LIMIT 1",
                [&p.name],
                |r| r.get(0),
            )
            .optional()?,
    };
    let cfg = normalize_configuration(p.configuration.as_ref()).to_string();
    let status = p.status.clone().unwrap_or_else(|| "pending".into());
    let pid = match existing {
        Some(id) => {
            c.execute(
                "UPDATE projects SET name = ?1, status = ?2, project_type = ?3, configuration = ?4,
                    updated_at = ?5
                 WHERE id = ?6 AND (name != ?1 OR status != ?2 OR project_type != ?3 OR configuration != ?4)",
                params![p.name, status, p.project_type, cfg, now, id],
            )?;
            id
        }
        None => {
            let id = p.id.clone().unwrap_or_else(new_id);
            c.execute(
                "INSERT INTO projects (id, name, status, project_type, configuration, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id, p.name, status, p.project_type, cfg, now],
            )?;
            id
        }
    };
    for b in &p.batches {
        let existing: Option<(String, String)> = match &b.id {
            Some(id) => c
                .query_row(
                    "SELECT id, project_id FROM batches WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            None => c
                .query_row(
                    "SELECT id, project_id FROM batches WHERE project_id = ?1 AND name = ?2 ORDER BY seq LIMIT 1",
                    params![pid, b.name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
        };
        let status = b.status.clone().unwrap_or_else(|| "pending".into());
        let bid = match existing {
            Some((id, owner)) => {
                if owner != pid {
                    return Err(Error::Seed(format!(
                        "batch {id} already belongs to project {owner}, not {pid}"
                    )));
                }
                c.execute(
                    "UPDATE batches SET name = ?1, status = ?2, updated_at = ?3
                     WHERE id = ?4 AND (name != ?1 OR status != ?2)",
                    params![b.name, status, now, id],
                )?;
                id
            }
            None => {
                let id = b.id.clone().unwrap_or_else(new_id);
                c.execute(
                    "INSERT INTO batches (id, project_id, name, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    params![id, pid, b.name, status, now],
                )?;
                id
            }
        };
        for t in &b.tasks {
            let exists = match &t.id {
                Some(id) => c
                    .prepare_cached("SELECT 1 FROM tasks WHERE id = ?1")?
                    .exists([id])?,
                None => c
                    .prepare_cached("SELECT 1 FROM tasks WHERE batch_id = ?1 AND name = ?2")?
                    .exists(params![bid, t.name])?,
            };
            if exists {
                continue;
            }
            let initial = t.data.clone().unwrap_or_else(|| json!({}));
            let created = t.created_at.clone().unwrap_or_else(|| now.clone());
            let row = TaskRow {
                id: t.id.clone().unwrap_or_else(new_id),
                project_id: pid.clone(),
                batch_id: bid.clone(),
                name: t.name.clone(),
                status: t.status.clone().unwrap_or_else(|| "pending".into()),
                updated_at: t.updated_at.clone().unwrap_or_else(|| created.clone()),
                created_at: created.clone(),
                resources: Value::Array(t.resources.clone()),
                properties: t.properties.clone().unwrap_or_else(|| json!({})),
                data_body: t.body.clone().unwrap_or_else(|| initial.clone()),
                metadata_body: initial.clone(),
                data_info: json!({
                    "createdAt": created, "type": "default",
                    "user": {"id": "seed", "name": "Seed Loader", "email": "seed@sandbox.local"},
                    "projectType": p.project_type,
                }),
                jobs: t.jobs.clone().unwrap_or_else(|| json!([])),
                metrics: t.metrics.clone().unwrap_or_else(|| json!({})),
                initial_data: initial,
                initial_data_id: None,
            };
            insert_task(c, &row)?;
        }
    }
    Ok(())
}
