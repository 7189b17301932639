//! Seeing the work: a task's annotations as drawable overlays (the viewer), its image, and
//! gallery thumbnails with the overlays drawn, made here (decode + resize in Rust) and kept in
//! a capped disk cache. The window reads images through the app's `labthumb` protocol
//! ([`serve`]), so no image travels as base64 and the page never decodes a full-size image to
//! draw a thumbnail.
//!
//! Images come from the lab when it serves them, else from the file a task was created from on
//! this computer (the create journal), else the viewer says why there is none
//! ([`lab_export::MissKind`]). No Tauri here: lib.rs bridges [`serve`] to the protocol.

use crate::core::Core;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::rows::Search;
use bytes::Bytes;
use lab_export::{ImageMiss, ImageSource, LabImages, LocalFiles, MissKind};
use lab_visual::{TaskOverlays, ThumbCache, ThumbKey};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use ts_rs::TS;

/// Bytes of thumbnails kept on disk.
pub const THUMB_CACHE_BYTES: u64 = 512 << 20;
/// Thumbnails made at once at most (each decodes one full image); one core is always left to
/// the window (see [`workers`]).
pub const THUMB_WORKERS: usize = 4;

/// Thumbnails made at once on this machine: up to [`THUMB_WORKERS`], one core less than it has.
fn workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    cores.saturating_sub(1).clamp(1, THUMB_WORKERS)
}
/// Images read at once for thumbnails (network bound).
pub const THUMB_FETCHES: usize = 8;
/// Full images kept in memory for the viewer (the one shown and its neighbours).
const IMAGES_KEPT: usize = 6;
/// Thumbnail sizes the window may ask for (longest side, pixels).
pub const THUMB_SIZES: std::ops::RangeInclusive<u32> = 32..=1024;

/// What the viewer draws for one task.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaskVisual {
    pub task_id: String,
    pub overlays: TaskOverlays,
    /// One per resource (frame): its image or why there is none.
    pub images: Vec<ImageState>,
}

/// Whether a resource's image can be shown (`labthumb://…/image/{i}/{set}/{task}`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ImageState {
    Ready {
        /// The resource as the task names it (file name or address).
        label: String,
    },
    Missing {
        label: String,
        kind: MissKind,
        detail: String,
    },
}

/// The viewer's and the gallery's state: the thumbnail cache, project configurations,
/// the last images read.
pub struct VisualState {
    thumbs: Option<ThumbCache>,
    workers: Semaphore,
    fetches: Semaphore,
    configs: Mutex<HashMap<String, Arc<Value>>>,
    images: Mutex<VecDeque<(String, Bytes)>>,
}

impl VisualState {
    /// Thumbnails in `cache_dir` (made if missing; without a usable folder they are made
    /// each time, not kept).
    pub fn new(cache_dir: &Path) -> Self {
        let thumbs = match ThumbCache::open(cache_dir.join("thumbnails"), THUMB_CACHE_BYTES) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(
                    "thumbnail cache unusable in {}: {e}; thumbnails are not kept",
                    cache_dir.display()
                );
                None
            }
        };
        Self {
            thumbs,
            workers: Semaphore::new(workers()),
            fetches: Semaphore::new(THUMB_FETCHES),
            configs: Mutex::new(HashMap::new()),
            images: Mutex::new(VecDeque::new()),
        }
    }

    /// Bytes the thumbnail cache holds.
    pub fn cache_bytes(&self) -> u64 {
        self.thumbs.as_ref().map_or(0, ThumbCache::bytes_used)
    }

    fn kept_image(&self, key: &str) -> Option<Bytes> {
        let images = self.images.lock().unwrap_or_else(|p| p.into_inner());
        images
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, b)| b.clone())
    }

    fn keep_image(&self, key: String, bytes: Bytes) {
        let mut images = self.images.lock().unwrap_or_else(|p| p.into_inner());
        images.retain(|(k, _)| *k != key);
        while images.len() >= IMAGES_KEPT {
            images.pop_front();
        }
        images.push_back((key, bytes));
    }

    /// A project's configuration, read once per session.
    async fn config(&self, core: &Core, project_id: &str) -> AppResult<Arc<Value>> {
        if let Some(c) = self
            .configs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(project_id)
        {
            return Ok(c.clone());
        }
        let cfg = Arc::new(core.project_configuration(project_id).await?);
        self.configs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(project_id.to_string(), cfg.clone());
        Ok(cfg)
    }
}

fn resource_label(r: &Value) -> String {
    match r {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("name")
            .or_else(|| o.get("id"))
            .and_then(Value::as_str)
            .map_or_else(|| r.to_string(), str::to_string),
        other => other.to_string(),
    }
}

/// The task with resource `i` as its only one (the image sources read the first).
fn with_resource(task: &Value, i: usize) -> Value {
    let mut t = task.clone();
    if let Some(r) = task
        .get("resources")
        .and_then(Value::as_array)
        .and_then(|a| a.get(i))
        && let Some(o) = t.as_object_mut()
    {
        o.insert("resources".into(), Value::Array(vec![r.clone()]));
    }
    t
}

fn resources(task: &Value) -> Vec<Value> {
    task.get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn has_annotations_data(task: &Value, segmentation: bool) -> bool {
    let Some(data) = task.get("data").filter(|d| d.is_object()) else {
        return false;
    };
    !segmentation
        || data.pointer("/body/mask").is_some()
        || data
            .get("body")
            .is_none_or(|b| b.get("annotations").is_none())
}

/// A segmentation project, or a form with a segmentation tool input (its tasks' masks are an
/// optional field of their own).
fn is_segmentation(config: &Value) -> bool {
    let tool = |t: Option<&str>| t.is_some_and(|t| t.ends_with("segmentation"));
    tool(config.get("projectType").and_then(Value::as_str))
        || lab_export::format::layout_inputs(config)
            .any(|input| tool(input.get("type").and_then(Value::as_str)))
}

/// The raw task with what overlays need (`data`, and `data.mask` for segmentation).
async fn overlay_task(
    core: &Core,
    search: &Search,
    set_id: &str,
    task_id: &str,
    config: &Value,
) -> AppResult<Value> {
    let seg = is_segmentation(config);
    let kept = core.raw_task(set_id, task_id).await?;
    if has_annotations_data(&kept, seg) {
        return Ok(kept);
    }
    let mut fields = vec!["data".to_string()];
    if seg {
        fields.push("data.mask".into());
    }
    core.fetch_task(&search.query.filter.project_id, task_id, fields)
        .await
}

fn miss_error(m: &ImageMiss) -> AppError {
    AppError::msg(
        ErrorKind::NotFound,
        "err.imageMissing",
        &[("reason", m.reason.as_str())],
    )
}

async fn image_bytes(
    core: &Core,
    local: Option<LocalFiles>,
    task: &Value,
    i: usize,
) -> AppResult<Result<Bytes, ImageMiss>> {
    let source = LabImages {
        client: core.client().await?,
        local,
    };
    let one = with_resource(task, i);
    Ok(match source.fetch(&one).await {
        Ok(b) if image::guess_format(&b).is_ok() => Ok(b),
        Ok(_) => Err(ImageMiss::new(MissKind::NotAnImage, "")),
        Err(m) => Err(m),
    })
}

fn image_key(set_id: &str, task_id: &str, i: usize) -> String {
    format!("{set_id}/{task_id}/{i}")
}

/// What the viewer needs for task `task_id` of search `set_id`: its overlays and, per
/// resource, whether its image can be shown (the first one is read and kept for [`serve`]).
pub async fn task_visual(
    core: &Core,
    state: &VisualState,
    local: Option<LocalFiles>,
    set_id: &str,
    task_id: &str,
) -> AppResult<TaskVisual> {
    let search = core.search(set_id)?;
    let project_id = search.query.filter.project_id.clone();
    let config = state.config(core, &project_id).await?;
    let task = overlay_task(core, &search, set_id, task_id, &config).await?;
    let overlays = lab_visual::overlays(&task, &config);
    let list = resources(&task);
    let mut images = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let label = resource_label(r);
        // the first image is read now (its reason shown if it fails); the others when asked
        if i > 0 {
            images.push(ImageState::Ready { label });
            continue;
        }
        match image_bytes(core, local.clone(), &task, i).await? {
            Ok(b) => {
                state.keep_image(image_key(set_id, task_id, i), b);
                images.push(ImageState::Ready { label });
            }
            Err(m) => images.push(ImageState::Missing {
                label,
                kind: m.kind,
                detail: m.detail,
            }),
        }
    }
    Ok(TaskVisual {
        task_id: task_id.to_string(),
        overlays,
        images,
    })
}

/// Image `i` of a task as it is.
async fn full_image(
    core: &Core,
    state: &VisualState,
    local: Option<LocalFiles>,
    set_id: &str,
    task_id: &str,
    i: usize,
) -> AppResult<Bytes> {
    let key = image_key(set_id, task_id, i);
    if let Some(b) = state.kept_image(&key) {
        return Ok(b);
    }
    let task = core.raw_task(set_id, task_id).await?;
    match image_bytes(core, local, &task, i).await? {
        Ok(b) => {
            state.keep_image(key, b.clone());
            Ok(b)
        }
        Err(m) => Err(miss_error(&m)),
    }
}

/// The gallery thumbnail of a task (annotations drawn), from the cache or made now.
pub async fn thumbnail(
    core: &Core,
    state: &VisualState,
    local: Option<LocalFiles>,
    set_id: &str,
    task_id: &str,
    size: u32,
) -> AppResult<Vec<u8>> {
    let search = core.search(set_id)?;
    let updated = search
        .rows()
        .row(task_id)
        .map(|r| r.updated_at.clone())
        .ok_or_else(|| AppError::msg(ErrorKind::NotFound, "err.taskGone", &[("id", task_id)]))?;
    let key = ThumbKey::new(task_id, &updated, size, true);
    if let Some(b) = state.thumbs.as_ref().and_then(|c| c.get(&key)) {
        return Ok(b);
    }
    let project_id = search.query.filter.project_id.clone();
    let config = state.config(core, &project_id).await?;
    let (task, bytes) = {
        let _fetching = state
            .fetches
            .acquire()
            .await
            .map_err(|_| AppError::msg(ErrorKind::Internal, "err.shuttingDown", &[]))?;
        // made by another request while this one waited
        if let Some(b) = state.thumbs.as_ref().and_then(|c| c.get(&key)) {
            return Ok(b);
        }
        let task = overlay_task(core, &search, set_id, task_id, &config).await?;
        match image_bytes(core, local, &task, 0).await? {
            Ok(b) => (task, b),
            Err(m) => return Err(miss_error(&m)),
        }
    };
    // decoding is the CPU part: a core stays free for the window
    let _permit = state
        .workers
        .acquire()
        .await
        .map_err(|_| AppError::msg(ErrorKind::Internal, "err.shuttingDown", &[]))?;
    let overlays = lab_visual::overlays_for_drawing(&task, &config);
    let made = tokio::task::spawn_blocking(move || {
        let first = overlays.tools.first().map(|o| (o, 0));
        lab_visual::make_thumbnail(&bytes, size, first)
    })
    .await
    .map_err(|e| AppError::internal(format!("thumbnail worker: {e}")))?
    .map_err(|e| {
        AppError::msg(
            ErrorKind::BadInput,
            "err.thumbnailFailed",
            &[("reason", e.to_string().as_str())],
        )
    })?;
    if let Some(cache) = &state.thumbs
        && let Err(e) = cache.put(&key, &made.jpeg)
    {
        tracing::warn!("thumbnail not kept: {e}");
    }
    Ok(made.jpeg)
}

/// What the `labthumb` protocol answers: status, content type, body.
pub struct Served {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

fn parse_path(path: &str) -> Option<(String, u32, String, String)> {
    let decoded = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8()
        .ok()?;
    let mut parts = decoded.split('/');
    let what = parts.next()?.to_string();
    let n: u32 = parts.next()?.parse().ok()?;
    let set = parts.next()?.to_string();
    let task = parts.next()?.to_string();
    if parts.next().is_some() || set.is_empty() || task.is_empty() {
        return None;
    }
    Some((what, n, set, task))
}

/// Answers `labthumb://localhost/{thumb/{size}|image/{resource}}/{set}/{task}`: a thumbnail
/// (JPEG) or a task's image as it is. Errors answer a status with the English reason as text
/// (the page shows its own placeholder; the viewer knows the reason from [`task_visual`]).
pub async fn serve(
    core: &Core,
    state: &VisualState,
    local: Option<LocalFiles>,
    path: &str,
) -> Served {
    let text = |status: u16, body: String| Served {
        status,
        content_type: "text/plain; charset=utf-8",
        body: body.into_bytes(),
    };
    let Some((what, n, set, task)) = parse_path(path) else {
        return text(400, format!("not a Lab Desk image address: {path}"));
    };
    let out = match what.as_str() {
        "thumb" if THUMB_SIZES.contains(&n) => thumbnail(core, state, local, &set, &task, n)
            .await
            .map(|b| ("image/jpeg", b)),
        "image" => full_image(core, state, local, &set, &task, n as usize)
            .await
            .map(|b| (crate::core::sniff_mime(&b), b.to_vec())),
        _ => return text(400, format!("not a Lab Desk image address: {path}")),
    };
    match out {
        Ok((content_type, body)) => Served {
            status: 200,
            content_type,
            body,
        },
        Err(e) => text(
            match e.kind {
                ErrorKind::NotFound => 404,
                ErrorKind::BadInput => 422,
                ErrorKind::Unreachable => 503,
                _ => 500,
            },
            e.message,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{TaskQuery, TaskView};
    use lab_client::TaskFilter;

    /// A search of `project` on the demo sandbox, as set "s"; returns the first complete task.
    async fn searched(core: &Core, project: &str) -> String {
        let mut f = TaskFilter::new(project);
        f.statuses = vec!["complete".into()];
        f.optional_fields = vec!["data".into()];
        core.load_tasks(
            "s",
            TaskQuery {
                filter: f,
                view: TaskView::Lab,
            },
            |_| Ok(()),
        )
        .await
        .unwrap();
        core.task_rows("s", None, 0, 1).unwrap().rows[0].id.clone()
    }

    #[tokio::test]
    async fn the_viewer_gets_overlays_and_an_image_of_every_demo_type() {
        let dir = tempfile::tempdir().unwrap();
        let core = crate::core::test_core_on_demo(dir.path()).await;
        let state = VisualState::new(&dir.path().join("cache"));
        for project in [
            "demo-rectangle",
            "demo-polygon",
            "demo-graph",
            "demo-segmentation",
            "demo-form",
        ] {
            let id = searched(&core, project).await;
            let v = task_visual(&core, &state, None, "s", &id).await.unwrap();
            let tool = &v.overlays.tools[0];
            assert!(!tool.shapes.is_empty(), "{project}: no shape");
            let counted: u32 = tool.labels.iter().map(|l| l.count).sum();
            assert!(counted > 0, "{project}: legend counts nothing");
            if project == "demo-segmentation" {
                // the mask is read even though the search did not ask for data.mask
                assert!(!tool.masks.is_empty(), "segmentation without mask layers");
            }
            assert!(
                matches!(v.images[0], ImageState::Ready { .. }),
                "{project}: {:?}",
                v.images
            );
            // the protocol serves the image the viewer was told about
            let served = serve(&core, &state, None, &format!("image/0/s/{id}")).await;
            assert_eq!(
                (served.status, served.content_type),
                (200, "image/png"),
                "{project}"
            );
        }
    }

    #[tokio::test]
    async fn thumbnails_are_made_once_then_read_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let core = crate::core::test_core_on_demo(dir.path()).await;
        let state = VisualState::new(&dir.path().join("cache"));
        let id = searched(&core, "demo-rectangle").await;
        let first = serve(&core, &state, None, &format!("thumb%2F200%2Fs%2F{id}")).await;
        assert_eq!((first.status, first.content_type), (200, "image/jpeg"));
        let img = image::load_from_memory(&first.body).unwrap();
        assert_eq!(
            img.width().max(img.height()),
            200,
            "the longer side is the size asked"
        );
        assert!(state.cache_bytes() > 0, "the thumbnail was kept");
        let again = thumbnail(&core, &state, None, "s", &id, 200).await.unwrap();
        assert_eq!(again, first.body);
        // sizes out of range and unknown tasks are refused with a status, not a crash
        assert_eq!(
            serve(&core, &state, None, &format!("thumb/5000/s/{id}"))
                .await
                .status,
            400
        );
        assert_eq!(
            serve(&core, &state, None, "thumb/200/s/no-such-task")
                .await
                .status,
            404
        );
    }

    #[tokio::test]
    async fn an_image_the_lab_cannot_give_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let core = crate::core::test_core_on_demo(dir.path()).await;
        let id = searched(&core, "demo-rectangle").await;
        // a task pointing at a link inside the lab: no bytes, the reason typed
        let task = serde_json::json!({"_id": id, "resources": ["resource://bucket/a.png"]});
        let miss = image_bytes(&core, None, &task, 0)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(miss.kind, MissKind::LinkOnly);
        // ...unless this computer has the file it was created from
        let file = dir.path().join("a.png");
        std::fs::write(&file, include_bytes!("../../../icons/32x32.png")).unwrap();
        let local = LocalFiles(Arc::new(move |_: &str| Some(file.clone())));
        let bytes = image_bytes(&core, Some(local), &task, 0)
            .await
            .unwrap()
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"));
    }

    #[test]
    fn addresses_parse_and_junk_is_refused() {
        assert_eq!(
            parse_path("/thumb%2F360%2Fset-1%2Ftask-2"),
            Some(("thumb".into(), 360, "set-1".into(), "task-2".into()))
        );
        assert_eq!(
            parse_path("image/0/s/t"),
            Some(("image".into(), 0, "s".into(), "t".into()))
        );
        assert_eq!(parse_path("thumb/x/s/t"), None);
        assert_eq!(parse_path("thumb/1/s/t/extra"), None);
        assert_eq!(parse_path("thumb/1//t"), None);
    }

    #[test]
    fn one_resource_at_a_time_for_the_image_sources() {
        let t = serde_json::json!({"_id": "t", "resources": ["a.png", "b.png"]});
        assert_eq!(
            with_resource(&t, 1)["resources"],
            serde_json::json!(["b.png"])
        );
        assert_eq!(
            with_resource(&t, 5)["resources"],
            serde_json::json!(["a.png", "b.png"])
        );
        assert_eq!(
            resource_label(&serde_json::json!({"id": "f1", "name": "x.png"})),
            "x.png"
        );
    }
}
