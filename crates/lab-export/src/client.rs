//! The export against a lab server through `lab-client`.

use crate::driver::{EXPORT_OPTIONAL_FIELDS, ExportReport, ExportSpec, Page, export_pages};
use crate::error::{ExportError, Result};
use crate::format::{ExportFormat, ExportOptions};
use futures::StreamExt;
use serde_json::Value;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// What to export and where.
#[derive(Clone, Debug, Default)]
pub struct ExportRequest {
    pub project_id: String,
    /// Task filters as for listing; the project and optional fields are set by the export.
    pub filter: lab_client::TaskFilter,
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

impl ExportRequest {
    pub fn spec(&self) -> ExportSpec {
        ExportSpec {
            project_id: self.project_id.clone(),
            format: self.format,
            output_folder: self.output_folder.clone(),
            output_filename: self.output_filename.clone(),
            options: self.options.clone(),
            overwrite: self.overwrite,
        }
    }
}

/// Exports the tasks matching the request. `progress` gets `lab_client::Progress`
/// updates (done = tasks written, total = tasks matching) after every page.
pub async fn export(
    client: &lab_client::LabClient,
    req: ExportRequest,
    progress: Option<lab_client::ProgressSender>,
    cancel: CancellationToken,
) -> Result<ExportReport> {
    let cfg = tokio::select! {
        c = client.project_configuration(&req.project_id) => c?,
        _ = cancel.cancelled() => return Err(ExportError::Cancelled),
    };
    let mut config = cfg.raw.clone();
    if let Some(obj) = config.as_object_mut() {
        obj.entry("projectType")
            .or_insert_with(|| Value::String(cfg.project_type.clone()));
    }
    let mut filter = req.filter.clone();
    filter.project_id = req.project_id.clone();
    filter.optional_fields = EXPORT_OPTIONAL_FIELDS.map(String::from).to_vec();
    // Pages are fetched and decoded on their own task while the previous ones are written
    // (on the blocking pool): listing and writing overlap, with at most PAGES_AHEAD decoded
    // pages waiting.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Page>>(PAGES_AHEAD);
    let mut listing = Box::pin(client.raw_task_pages(filter));
    let producer = AbortOnDrop(tokio::spawn(async move {
        while let Some(r) = listing.next().await {
            let failed = r.is_err();
            let page = r
                .map(|p| Page {
                    tasks: Vec::new(),
                    raw: p.tasks,
                    loaded: p.loaded,
                    total: p.total,
                })
                .map_err(ExportError::from);
            if tx.send(page).await.is_err() || failed {
                break;
            }
        }
    }));
    let pages = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|page| (page, rx))
    });
    let sink = move |done: u64, total: u64| {
        if let Some(tx) = &progress {
            let _ = tx.send(lab_client::Progress {
                done,
                failed: 0,
                total,
                bytes_sent: 0,
                bytes_total: 0,
                message: None,
            });
        }
    };
    let report = export_pages(&config, &req.spec(), pages, sink, cancel).await;
    drop(producer);
    report
}

/// Decoded pages waiting for the writer.
const PAGES_AHEAD: usize = 2;

/// Stops the listing task when the export ends early (error, cancel, drop).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
