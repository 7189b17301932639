//! Projects and project configurations.

use axum::Json;
use axum::extract::State;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{PageReq, PathId, QueryPairs, Where, check_enum, parse_json_col, text};
use crate::error::{ApiError, ApiResult};
use crate::store::Sandbox;

pub(crate) const PROJECT_STATUSES: &[&str] = &[
    "configuring",
    "pending",
    "complete",
    "toBeDeleted",
    "deleted",
    "archived",
];
pub(crate) const PROJECT_TYPES: &[&str] = &[
    "form",
    "iat-rectangle",
    "iat-polygon",
    "iat-segmentation",
    "iat-graph",
    "iat-polyline",
];

const COLS: &str = "id, name, status, project_type, created_at, updated_at";

fn project_doc(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let ty: String = r.get(3)?;
    Ok(json!({
        "_id": r.get::<_, String>(0)?,
        "name": r.get::<_, String>(1)?,
        "status": r.get::<_, String>(2)?,
        "type": ty,
        "projectType": ty,
        "createdAt": r.get::<_, String>(4)?,
        "updatedAt": r.get::<_, String>(5)?,
    }))
}

pub(crate) async fn list(State(s): State<Sandbox>, q: QueryPairs) -> ApiResult<Json<Value>> {
    let page = PageReq::from_query(&q, 10)?;
    super::check_list_sizes(&q)?;
    let mut w = Where::default();
    let ids = q.all("ids");
    w.push_in("id", &ids);
    let statuses = q.all("statuses");
    check_enum("statuses", &statuses, PROJECT_STATUSES)?;
    w.push_in("status", &statuses);
    let types = q.all("types");
    check_enum("types", &types, PROJECT_TYPES)?;
    w.push_in("project_type", &types);
    if let Some(search) = q.one("search").filter(|v| !v.is_empty()) {
        w.push("instr(lower(name), lower(?)) > 0", [text(search)]);
    }
    Ok(Json(
        super::list_rows(&s, "projects", COLS, w, page, project_doc).await?,
    ))
}

pub(crate) async fn configuration(
    State(s): State<Sandbox>,
    PathId(project_id): PathId,
) -> ApiResult<Json<Value>> {
    let pid = project_id.clone();
    let row: Option<(String, String)> = s
        .db(move |c| {
            Ok(c.query_row(
                "SELECT project_type, configuration FROM projects WHERE id = ?1",
                [&pid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
        .await?;
    let Some((ty, cfg)) = row else {
        return Err(ApiError::not_found(format!(
            "project {project_id} not found"
        )));
    };
    let cfg = match parse_json_col(&cfg) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let mut out = Map::new();
    out.insert("_id".into(), json!(format!("{project_id}-configuration")));
    out.insert("projectId".into(), json!(project_id));
    out.insert("projectType".into(), json!(ty));
    for (k, v) in cfg {
        if k != "projectType" && k != "projectId" && k != "_id" {
            out.insert(k, v);
        }
    }
    out.entry("metadata").or_insert_with(|| json!({}));
    Ok(Json(Value::Object(out)))
}
