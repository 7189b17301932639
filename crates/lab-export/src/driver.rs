//! The streaming export: pages of tasks go straight to a temporary file (or folder) in the
//! target folder, renamed into place once complete.

use crate::error::{ExportError, Result};
use crate::format::{ExportFormat, ExportOptions, Target, b_channels, resolve_target};
use crate::names::{NameAllocator, sanitize_stem};
use crate::pyfmt::JsonArrayWriter;
use crate::zipw::ZipStreamWriter;
use crate::{kili, lab, mask, yolo};
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// At most this many warnings are kept in the report (the count is always exact).
pub const MAX_WARNINGS: usize = 100;

/// Where and how to write an export (everything but the task filter).
#[derive(Clone, Debug, Default)]
pub struct ExportSpec {
    pub project_id: String,
    pub format: ExportFormat,
    /// Default: the current folder.
    pub output_folder: Option<PathBuf>,
    /// File name (`.json` for lab/kili, `.zip` for yolo) or folder name (mask).
    /// Default: the SDK's, e.g. `lab_{projectId}_{YYYY-mm-dd_HH:MM:SS}.json`.
    pub output_filename: Option<String>,
    pub options: ExportOptions,
    /// Replace an existing file/folder of the same name.
    pub overwrite: bool,
}

/// What an export wrote.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExportReport {
    pub format: ExportFormat,
    /// The file (lab, kili, yolo) or folder (mask) written.
    pub path: PathBuf,
    /// Tasks exported.
    pub tasks: u64,
    /// Files written: label files in the zip, PNGs in the mask folder (tasks for JSON).
    pub files: u64,
    /// Task names whose file name had to change: (task name, file name written).
    pub renamed: Vec<(String, String)>,
    /// The first warnings (annotations skipped…), and how many there were.
    pub warnings: Vec<String>,
    pub warning_count: u64,
}

/// Where progress goes: tasks written so far, and the total announced by the server.
pub trait ProgressSink: Send {
    fn progress(&mut self, done: u64, total: u64);
}

impl<F: FnMut(u64, u64) + Send> ProgressSink for F {
    fn progress(&mut self, done: u64, total: u64) {
        self(done, total)
    }
}

/// One page of raw tasks as listed (optional fields data, data.mask, jobs, metrics).
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub tasks: Vec<Value>,
    /// Tasks still as JSON text, written after `tasks`: decoded, written and dropped one by one
    /// on the writer's thread (what [`crate::export`] sends: cheaper for the allocator than
    /// tasks decoded on one thread and freed on another).
    pub raw: Vec<Box<serde_json::value::RawValue>>,
    pub loaded: u64,
    pub total: u64,
}

/// The optional fields an export needs (the SDK's).
pub const EXPORT_OPTIONAL_FIELDS: [&str; 4] = ["data", "data.mask", "jobs", "metrics"];

/// The export over any stream of pages (what [`export`] runs once the configuration is known).
pub async fn export_pages<S>(
    config: &Value,
    req: &ExportSpec,
    pages: S,
    mut progress: impl ProgressSink,
    cancel: CancellationToken,
) -> Result<ExportReport>
where
    S: Stream<Item = Result<Page>>,
{
    let target = resolve_target(req.format, config, &req.options)?;
    let dest = destination(req, chrono::Local::now())?;
    if !req.overwrite && dest.exists() {
        return Err(ExportError::AlreadyExists(dest));
    }
    let mut writer = Some(Writer::new(
        req.format,
        target,
        req.options.clone(),
        dest.clone(),
    ));
    let mut pages = std::pin::pin!(pages);
    loop {
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(ExportError::Cancelled),
            p = pages.next() => p,
        };
        let Some(page) = next else { break };
        let page = page?;
        let total = page.total;
        let mut w = writer.take().ok_or(ExportError::Cancelled)?;
        let token = cancel.clone();
        let w = tokio::task::spawn_blocking(move || {
            for task in &page.tasks {
                if token.is_cancelled() {
                    return Err(ExportError::Cancelled);
                }
                w.write_task(task)?;
            }
            for raw in &page.raw {
                if token.is_cancelled() {
                    return Err(ExportError::Cancelled);
                }
                let task: Value = serde_json::from_str(raw.get()).map_err(|e| {
                    ExportError::Client(lab_client::Error::Decode {
                        what: "task".into(),
                        message: e.to_string(),
                    })
                })?;
                w.write_task(&task)?;
            }
            Ok(w)
        })
        .await
        .map_err(|e| ExportError::io(&dest, std::io::Error::other(e.to_string())))??;
        progress.progress(w.tasks, total.max(w.tasks));
        writer = Some(w);
    }
    if cancel.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    let w = writer.take().ok_or(ExportError::Cancelled)?;
    if w.tasks == 0 {
        return Err(ExportError::NothingToExport);
    }
    let overwrite = req.overwrite;
    tokio::task::spawn_blocking(move || w.finish(overwrite))
        .await
        .map_err(|e| ExportError::io(&dest, std::io::Error::other(e.to_string())))?
}

/// The path the export will have: output folder (default `.`) / output name (default as the
/// SDK's), after checking the name's extension.
pub fn destination(req: &ExportSpec, now: chrono::DateTime<chrono::Local>) -> Result<PathBuf> {
    let folder = req
        .output_folder
        .clone()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let name = match req.output_filename.as_deref() {
        Some(name) => {
            let trimmed = name.trim();
            if trimmed.is_empty() || trimmed.ends_with('/') || trimmed.ends_with('\\') {
                return Err(ExportError::InvalidFilename(format!(
                    "output file name \"{name}\" is empty or a folder: give a file name"
                )));
            }
            // A plain file name: no folder, no "..", not absolute (never write outside the folder).
            let parts: Vec<_> = Path::new(trimmed).components().collect();
            if trimmed.contains('\\')
                || !matches!(parts.as_slice(), [std::path::Component::Normal(_)])
            {
                return Err(ExportError::InvalidFilename(format!(
                    "output file name \"{name}\" must be a plain file name (no folder, \"..\" or leading /): choose the folder with the output folder instead"
                )));
            }
            if let Some(ext) = req.format.required_extension()
                && !name.ends_with(ext)
            {
                return Err(ExportError::InvalidFilename(format!(
                    "output file name \"{name}\" must end with {ext} for the {} format",
                    req.format
                )));
            }
            name.to_string()
        }
        None => default_filename(req.format, &req.project_id, now),
    };
    Ok(folder.join(name))
}

/// The SDK's default names: `lab_{p}_{ts}.json`, `lab_kili_{p}_{ts}.json`,
/// `lab_yolo_{p}_{ts}.zip`, folder `lab_mask_{p}_{YYYY-mm-dd_HHMMSS}`.
pub fn default_filename(
    format: ExportFormat,
    project_id: &str,
    now: chrono::DateTime<chrono::Local>,
) -> String {
    let ts = if cfg!(windows) {
        now.format("%Y-%m-%d_%H-%M-%S").to_string()
    } else {
        now.format("%Y-%m-%d_%H:%M:%S").to_string()
    };
    let p = sanitize_stem(project_id);
    match format {
        ExportFormat::Lab => format!("lab_{p}_{ts}.json"),
        ExportFormat::Kili => format!("lab_kili_{p}_{ts}.json"),
        ExportFormat::Yolo => format!("lab_yolo_{p}_{ts}.zip"),
        ExportFormat::Mask => format!("lab_mask_{p}_{}", now.format("%Y-%m-%d_%H%M%S")),
    }
}

const TEMP_PREFIX: &str = ".lab-export-";

enum Out {
    None,
    Json {
        tmp: tempfile::NamedTempFile,
        w: JsonArrayWriter<BufWriter<File>>,
    },
    Zip {
        tmp: tempfile::NamedTempFile,
        zip: Box<ZipStreamWriter<BufWriter<File>>>,
    },
    Dir {
        dir: tempfile::TempDir,
    },
}

struct Writer {
    format: ExportFormat,
    target: Target,
    options: ExportOptions,
    dest: PathBuf,
    out: Out,
    names: NameAllocator,
    classes: Vec<String>,
    b_channels: HashMap<String, i64>,
    tasks: u64,
    files: u64,
    warnings: Vec<String>,
    warning_count: u64,
}

impl Writer {
    fn new(format: ExportFormat, target: Target, options: ExportOptions, dest: PathBuf) -> Self {
        let mut names = NameAllocator::new();
        names.reserve("data.yaml");
        let classes = if format == ExportFormat::Yolo {
            yolo::classes(&target)
        } else {
            vec![]
        };
        let b_channels = if format == ExportFormat::Mask && options.semantic_mapping.is_some() {
            b_channels(&target.config)
        } else {
            HashMap::new()
        };
        Self {
            format,
            target,
            options,
            dest,
            out: Out::None,
            names,
            classes,
            b_channels,
            tasks: 0,
            files: 0,
            warnings: vec![],
            warning_count: 0,
        }
    }

    fn parent(&self) -> PathBuf {
        match self.dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// Creates the temporary output on the first task (an empty export writes nothing).
    fn open(&mut self) -> Result<()> {
        if !matches!(self.out, Out::None) {
            return Ok(());
        }
        let parent = self.parent();
        std::fs::create_dir_all(&parent).map_err(|e| ExportError::io(&parent, e))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX);
        self.out = match self.format {
            ExportFormat::Lab | ExportFormat::Kili => {
                let tmp = builder
                    .suffix(".partial")
                    .tempfile_in(&parent)
                    .map_err(|e| ExportError::io(&parent, e))?;
                let f = tmp.reopen().map_err(|e| ExportError::io(tmp.path(), e))?;
                Out::Json {
                    w: JsonArrayWriter::new(BufWriter::with_capacity(256 * 1024, f)),
                    tmp,
                }
            }
            ExportFormat::Yolo => {
                let tmp = builder
                    .suffix(".partial")
                    .tempfile_in(&parent)
                    .map_err(|e| ExportError::io(&parent, e))?;
                let f = tmp.reopen().map_err(|e| ExportError::io(tmp.path(), e))?;
                let mut zip = Box::new(ZipStreamWriter::new(
                    BufWriter::with_capacity(256 * 1024, f),
                    chrono::Local::now().naive_local(),
                    &parent,
                ));
                zip.add_directory("labels/")
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                Out::Zip { tmp, zip }
            }
            ExportFormat::Mask => Out::Dir {
                dir: builder
                    .tempdir_in(&parent)
                    .map_err(|e| ExportError::io(&parent, e))?,
            },
        };
        Ok(())
    }

    fn warn(&mut self, task: &str, message: String) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("task \"{task}\": {message}"));
        }
    }

    fn write_task(&mut self, task: &Value) -> Result<()> {
        self.open()?;
        let name = match task.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let mut warnings = Vec::new();
        let mut warn = |m: String| warnings.push(m);
        match &mut self.out {
            Out::None => {}
            Out::Json { tmp, w } => {
                let written = if self.format == ExportFormat::Kili {
                    w.push(&kili::format_task(task, &self.target, &mut warn))
                } else {
                    w.push_with(|out| lab::push_task(out, task, 1))
                };
                written.map_err(|e| ExportError::io(tmp.path(), e))?;
                self.files += 1;
            }
            Out::Zip { tmp, zip } => {
                let text = yolo::format_task(task, &self.target, &self.classes, &mut warn);
                let file = self.names.allocate(&name, &name, ".txt");
                zip.add_file(&format!("labels/{file}"), text.as_bytes())
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                self.files += 1;
            }
            Out::Dir { dir } => {
                if let Some(uri) = mask::mask_of(task, self.target.input_id.as_deref()) {
                    match mask::render(
                        &uri,
                        self.options.semantic_mapping.as_deref(),
                        &self.b_channels,
                    ) {
                        Ok(png) => {
                            let stem = mask::file_stem(&name, self.options.replace_extension);
                            let file = self.names.allocate(&name, stem, ".png");
                            let path = dir.path().join(&file);
                            std::fs::write(&path, png).map_err(|e| ExportError::io(&path, e))?;
                            self.files += 1;
                        }
                        Err(e) => warn(format!("mask skipped: {e}")),
                    }
                }
            }
        }
        for w in warnings {
            self.warn(&name, w);
        }
        self.tasks += 1;
        Ok(())
    }

    fn finish(self, overwrite: bool) -> Result<ExportReport> {
        let dest = self.dest.clone();
        let no_clobber = |e: tempfile::PersistError| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                ExportError::AlreadyExists(dest.clone())
            } else {
                ExportError::io(&dest, e.error)
            }
        };
        match self.out {
            Out::None => return Err(ExportError::NothingToExport),
            Out::Json { tmp, w } => {
                let mut buf = w.finish().map_err(|e| ExportError::io(tmp.path(), e))?;
                buf.flush().map_err(|e| ExportError::io(tmp.path(), e))?;
                let f = buf
                    .into_inner()
                    .map_err(|e| ExportError::io(tmp.path(), e.into_error()))?;
                f.sync_all().map_err(|e| ExportError::io(tmp.path(), e))?;
                persist(tmp, &dest, overwrite).map_err(no_clobber)?;
            }
            Out::Zip { tmp, mut zip } => {
                zip.add_file("data.yaml", yolo::data_yaml(&self.classes).as_bytes())
                    .map_err(|e| ExportError::io(tmp.path(), e))?;
                let buf = zip.finish().map_err(|e| ExportError::io(tmp.path(), e))?;
                let f = buf
                    .into_inner()
                    .map_err(|e| ExportError::io(tmp.path(), e.into_error()))?;
                f.sync_all().map_err(|e| ExportError::io(tmp.path(), e))?;
                persist(tmp, &dest, overwrite).map_err(no_clobber)?;
            }
            Out::Dir { dir } => persist_dir(dir, &dest, overwrite)?,
        }
        let path = std::path::absolute(&dest).unwrap_or(dest);
        Ok(ExportReport {
            format: self.format,
            path,
            tasks: self.tasks,
            files: self.files,
            renamed: self.names.into_renamed(),
            warnings: self.warnings,
            warning_count: self.warning_count,
        })
    }
}

fn persist(
    tmp: tempfile::NamedTempFile,
    dest: &Path,
    overwrite: bool,
) -> std::result::Result<(), tempfile::PersistError> {
    if overwrite {
        tmp.persist(dest).map(drop)
    } else {
        tmp.persist_noclobber(dest).map(drop)
    }
}

fn persist_dir(dir: tempfile::TempDir, dest: &Path, overwrite: bool) -> Result<()> {
    let mut old: Option<tempfile::TempDir> = None;
    if dest.exists() || dest.is_symlink() {
        if !overwrite {
            return Err(ExportError::AlreadyExists(dest.to_path_buf()));
        }
        if dest.is_dir() && !dest.is_symlink() {
            // Move the old folder aside (deleted when `old` drops) so the new one can take its place.
            let parent = dest.parent().unwrap_or(Path::new("."));
            let aside = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempdir_in(parent)
                .map_err(|e| ExportError::io(parent, e))?;
            std::fs::rename(dest, aside.path().join("old"))
                .map_err(|e| ExportError::io(dest, e))?;
            old = Some(aside);
        } else {
            std::fs::remove_file(dest).map_err(|e| ExportError::io(dest, e))?;
        }
    }
    let path = dir.path().to_path_buf();
    if let Err(e) = std::fs::rename(&path, dest) {
        if let Some(aside) = &old {
            // Put the old folder back: a failed export changes nothing.
            let _ = std::fs::rename(aside.path().join("old"), dest);
        }
        return Err(ExportError::io(dest, e));
    }
    // Renamed: nothing left for the TempDir to delete.
    let _ = dir.keep();
    drop(old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Read;

    fn rect_config() -> Value {
        json!({"projectType": "iat-rectangle", "metadata": {"labelOptions": {
            "mainLists": [{"name": "m", "keys": ["l"]}],
            "availableLabels": {"l": [{"id": "cat", "bChannel": 7}, {"id": "dog", "bChannel": 9}]}
        }}})
    }

    fn task(i: usize, name: &str) -> Value {
        json!({"_id": format!("t{i}"), "name": name, "status": "complete", "createdAt": "2024-01-01",
        "resources": ["https://x/a.png"], "jobs": [],
        "data": {"createdAt": "c", "type": "default", "projectType": "iat-rectangle", "user": null,
          "body": {"image": {"width": 10, "height": 10}, "annotations": [
            {"labels": {"m": {"labels": [{"id": "dog"}]}}, "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.1, 0.1, 0.3, 0.5]}}]}
          ]}}})
    }

    fn pages(tasks: Vec<Value>, per_page: usize) -> Vec<Result<Page>> {
        let total = tasks.len() as u64;
        let mut out = vec![];
        let mut loaded = 0;
        for chunk in tasks.chunks(per_page) {
            loaded += chunk.len() as u64;
            out.push(Ok(Page {
                tasks: chunk.to_vec(),
                loaded,
                total,
                ..Page::default()
            }));
        }
        out
    }

    fn spec(dir: &Path, format: ExportFormat, name: Option<&str>) -> ExportSpec {
        ExportSpec {
            project_id: "p1".into(),
            format,
            output_folder: Some(dir.to_path_buf()),
            output_filename: name.map(str::to_string),
            ..Default::default()
        }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    async fn run(
        config: &Value,
        spec: &ExportSpec,
        pages: Vec<Result<Page>>,
    ) -> (Result<ExportReport>, Vec<(u64, u64)>) {
        let mut seen = vec![];
        let r = export_pages(
            config,
            spec,
            futures::stream::iter(pages),
            |d, t| seen.push((d, t)),
            CancellationToken::new(),
        )
        .await;
        (r, seen)
    }

    #[tokio::test]
    async fn lab_json_is_written_like_python_and_renamed_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let tasks: Vec<Value> = (0..5).map(|i| task(i, &format!("n{i}"))).collect();
        let (r, seen) = run(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Lab, Some("out.json")),
            pages(tasks.clone(), 2),
        )
        .await;
        let r = r.unwrap();
        assert_eq!(r.tasks, 5);
        assert_eq!(seen, vec![(2, 5), (4, 5), (5, 5)]);
        assert_eq!(entries(dir.path()), ["out.json"]);
        let text = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
        let mut want = Vec::new();
        let items: Vec<Value> = tasks.iter().map(crate::lab::format_task).collect();
        crate::pyfmt::write_json(&mut want, &Value::Array(items), 0).unwrap();
        assert_eq!(text.as_bytes(), want.as_slice());
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert!(parsed[0].get("jobs").is_none());
    }

    #[tokio::test]
    async fn kili_export_and_extension_checks() {
        let dir = tempfile::tempdir().unwrap();
        let (r, _) = run(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Kili, None),
            pages(vec![task(0, "a")], 10),
        )
        .await;
        let r = r.unwrap();
        let name = r.path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("lab_kili_p1_") && name.ends_with(".json"),
            "{name}"
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&r.path).unwrap()).unwrap();
        assert_eq!(
            v[0]["latestLabel"]["jsonResponse"]["OBJECT_DETECTION_JOB"]["annotations"][0]["categories"],
            json!([{"name": "dog"}])
        );
        for (format, bad) in [
            (ExportFormat::Kili, "x.zip"),
            (ExportFormat::Lab, "x.JSON"),
            (ExportFormat::Yolo, "x.json"),
            (ExportFormat::Lab, ""),
        ] {
            let (r, _) = run(
                &rect_config(),
                &spec(dir.path(), format, Some(bad)),
                pages(vec![task(0, "a")], 10),
            )
            .await;
            assert!(
                matches!(r, Err(ExportError::InvalidFilename(_))),
                "{bad}: {r:?}"
            );
        }
    }

    #[tokio::test]
    async fn empty_result_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub");
        for format in ExportFormat::ALL {
            let cfg = json!({"projectType": "iat-segmentation", "metadata": {}});
            let (r, _) = run(&cfg, &spec(&out, format, None), vec![Ok(Page::default())]).await;
            let e = r.unwrap_err();
            assert!(matches!(e, ExportError::NothingToExport), "{e:?}");
            assert!(e.to_string().contains("nothing to export"));
        }
        assert!(!out.exists());
    }

    #[tokio::test]
    async fn unfit_format_is_refused_before_anything() {
        let dir = tempfile::tempdir().unwrap();
        let (r, _) = run(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Mask, None),
            pages(vec![task(0, "a")], 10),
        )
        .await;
        let e = r.unwrap_err();
        assert!(matches!(e, ExportError::Unsupported(_)));
        assert!(e.to_string().contains("iat-segmentation"), "{e}");
        let seq =
            json!({"projectType": "iat-polygon", "metadata": {"toolOptions": {"sequence": true}}});
        let (r, _) = run(&seq, &spec(dir.path(), ExportFormat::Yolo, None), vec![]).await;
        assert!(r.unwrap_err().to_string().contains("sequences"));
        assert!(entries(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn cancel_mid_export_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        let first = pages((0..10).map(|i| task(i, "n")).collect(), 5);
        let stream = futures::stream::iter(first).chain(futures::stream::once(async move {
            c2.cancel();
            futures::future::pending::<Result<Page>>().await
        }));
        let r = export_pages(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Yolo, Some("a.zip")),
            stream,
            |_, _| {},
            cancel,
        )
        .await;
        assert!(matches!(r, Err(ExportError::Cancelled)), "{r:?}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }

    #[tokio::test]
    async fn failed_listing_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for format in [ExportFormat::Lab, ExportFormat::Kili, ExportFormat::Yolo] {
            let mut p = pages((0..4).map(|i| task(i, "n")).collect(), 2);
            p.insert(
                1,
                Err(ExportError::Client(lab_client::Error::Server {
                    status: 500,
                    message: "boom".into(),
                })),
            );
            let (r, _) = run(&rect_config(), &spec(dir.path(), format, None), p).await;
            assert!(matches!(r, Err(ExportError::Client(_))), "{r:?}");
        }
        assert!(entries(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn existing_files_are_kept_unless_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.json"), "old").unwrap();
        let mut s = spec(dir.path(), ExportFormat::Lab, Some("x.json"));
        let (r, _) = run(&rect_config(), &s, pages(vec![task(0, "a")], 1)).await;
        assert!(matches!(r, Err(ExportError::AlreadyExists(_))));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("x.json")).unwrap(),
            "old"
        );
        s.overwrite = true;
        let (r, _) = run(&rect_config(), &s, pages(vec![task(0, "a")], 1)).await;
        r.unwrap();
        assert!(
            std::fs::read_to_string(dir.path().join("x.json"))
                .unwrap()
                .starts_with("[\n")
        );
        assert_eq!(entries(dir.path()), ["x.json"]);
    }

    fn read_zip(path: &Path) -> Vec<(String, String)> {
        let mut z = zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
        let mut out = vec![];
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            out.push((f.name().to_string(), s));
        }
        out
    }

    #[tokio::test]
    async fn yolo_zip_with_hostile_and_duplicate_names() {
        let dir = tempfile::tempdir().unwrap();
        let long = "x".repeat(400);
        let names = [
            "../../evil",
            "a/b",
            "ok.jpg",
            "ok.jpg",
            "bell\u{7}",
            long.as_str(),
            "data.yaml",
        ];
        let tasks: Vec<Value> = names.iter().enumerate().map(|(i, n)| task(i, n)).collect();
        let (r, _) = run(
            &rect_config(),
            &spec(dir.path(), ExportFormat::Yolo, Some("y.zip")),
            pages(tasks, 3),
        )
        .await;
        let r = r.unwrap();
        let entries = read_zip(&dir.path().join("y.zip"));
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "labels/");
        assert_eq!(names.last(), Some(&"data.yaml"));
        assert_eq!(entries.last().unwrap().1, "nc: 2\nnames: ['cat','dog']\n");
        for n in &names[1..names.len() - 1] {
            let rest = n.strip_prefix("labels/").unwrap();
            assert!(!rest.contains('/') && !rest.contains('\\'), "{n}");
            assert!(matches!(
                Path::new(rest).components().collect::<Vec<_>>().as_slice(),
                [std::path::Component::Normal(_)]
            ));
            assert!(!rest.chars().any(char::is_control));
            assert!(rest.len() <= 255);
        }
        assert!(names.contains(&"labels/.._.._evil.txt"));
        assert!(names.contains(&"labels/a_b.txt"));
        assert!(names.contains(&"labels/ok.jpg.txt") && names.contains(&"labels/ok.jpg_2.txt"));
        assert!(names.contains(&"labels/data.yaml.txt"));
        assert_eq!(
            entries[1].1,
            "1 0.2 0.30000000000000004 0.19999999999999998 0.4\n"
        ); // as Python prints it
        let renamed: Vec<&str> = r.renamed.iter().map(|(from, _)| from.as_str()).collect();
        assert_eq!(
            renamed,
            ["../../evil", "a/b", "ok.jpg", "bell\u{7}", long.as_str()]
        );
        assert_eq!(r.files, 7);
    }

    #[tokio::test]
    async fn mask_folder_with_options_and_hostile_names() {
        use image::{DynamicImage, Rgb, RgbImage};
        let dir = tempfile::tempdir().unwrap();
        let cfg = json!({"projectType": "iat-segmentation", "metadata": {"labelOptions": {
            "mainLists": [{"name": "m", "keys": ["l"]}],
            "availableLabels": {"l": [{"id": "cat", "bChannel": 7}]}
        }}});
        let mut img = RgbImage::new(2, 2);
        img.put_pixel(0, 0, Rgb([2, 0, 7]));
        let uri = crate::mask::data_uri(&DynamicImage::ImageRgb8(img));
        let t = |name: &str, mask: Option<&str>| json!({"name": name, "data": {"body": {"mask": mask}}});
        let tasks = vec![
            t("a.jpg", Some(&uri)),
            t("../up.jpg", Some(&uri)),
            t("none.jpg", None),
            t("bad.jpg", Some("data:image/png;base64,AAAA")),
        ];
        let mut s = spec(dir.path(), ExportFormat::Mask, Some("masks"));
        s.options = ExportOptions::from_pairs(&[
            "replace_extension=true",
            r#"semantic_mapping={"cat": [255, 0, 0]}"#,
        ])
        .unwrap();
        let (r, _) = run(&cfg, &s, pages(tasks, 2)).await;
        let r = r.unwrap();
        assert_eq!(entries(dir.path()), ["masks"]);
        assert_eq!(entries(&dir.path().join("masks")), [".._up.png", "a.png"]);
        assert_eq!(r.tasks, 4);
        assert_eq!(r.files, 2);
        assert_eq!(r.warning_count, 1);
        assert!(r.warnings[0].contains("bad.jpg"));
        let png = image::open(dir.path().join("masks/a.png"))
            .unwrap()
            .to_rgb8();
        assert_eq!(png.get_pixel(0, 0).0, [255, 0, 0]);
        assert_eq!(png.get_pixel(1, 1).0, [0, 0, 0]);
        // the folder exists now: refused, then replaced with overwrite
        let (r2, _) = run(&cfg, &s, pages(vec![t("b.jpg", Some(&uri))], 2)).await;
        assert!(matches!(r2, Err(ExportError::AlreadyExists(_))));
        s.overwrite = true;
        let (r3, _) = run(&cfg, &s, pages(vec![t("b.jpg", Some(&uri))], 2)).await;
        r3.unwrap();
        assert_eq!(entries(&dir.path().join("masks")), ["b.png"]);
        assert_eq!(entries(dir.path()), ["masks"]);
    }

    #[test]
    fn default_names_like_the_sdk() {
        use chrono::TimeZone;
        let now = chrono::Local.with_ymd_and_hms(2024, 3, 5, 7, 8, 9).unwrap();
        assert_eq!(
            default_filename(ExportFormat::Lab, "p", now),
            "lab_p_2024-03-05_07:08:09.json"
        );
        assert_eq!(
            default_filename(ExportFormat::Kili, "p", now),
            "lab_kili_p_2024-03-05_07:08:09.json"
        );
        assert_eq!(
            default_filename(ExportFormat::Yolo, "p", now),
            "lab_yolo_p_2024-03-05_07:08:09.zip"
        );
        assert_eq!(
            default_filename(ExportFormat::Mask, "p", now),
            "lab_mask_p_2024-03-05_070809"
        );
        let s = ExportSpec {
            project_id: "p".into(),
            ..Default::default()
        };
        assert_eq!(
            destination(&s, now).unwrap(),
            PathBuf::from("./lab_p_2024-03-05_07:08:09.json")
        );
    }
}
