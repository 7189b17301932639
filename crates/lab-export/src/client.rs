//! The export against a lab server through `lab-client`.

use crate::driver::{EXPORT_OPTIONAL_FIELDS, ExportReport, ExportSpec, Page, export_pages_with};
use crate::error::{ExportError, Result};
use crate::format::{ExportFormat, ExportOptions};
use crate::images::{LabImages, LocalFiles};
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
    /// How the tasks were chosen, for the manifest (default: the filter).
    pub scope: Option<Value>,
    /// Write no manifest beside the export.
    pub no_manifest: bool,
    /// The exports with images: the local files tasks were created from, for the images the
    /// lab does not serve.
    pub local_files: Option<LocalFiles>,
}

impl ExportRequest {
    pub fn spec(&self) -> ExportSpec {
        let scope = self.scope.clone().unwrap_or_else(|| {
            let mut f = self.filter.clone();
            f.project_id = self.project_id.clone();
            f.optional_fields.clear();
            serde_json::json!({"kind": "filter", "filter": f})
        });
        ExportSpec {
            project_id: self.project_id.clone(),
            format: self.format,
            output_folder: self.output_folder.clone(),
            output_filename: self.output_filename.clone(),
            options: self.options.clone(),
            overwrite: self.overwrite,
            scope: Some(scope),
            no_manifest: self.no_manifest,
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
    let listing = client.raw_task_pages(filter);
    let producer = AbortOnDrop(tokio::spawn(list_pages(listing, tx)));
    let pages = ended_pages(rx, producer);
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
    let images = std::sync::Arc::new(LabImages {
        client: client.clone(),
        local: req.local_files.clone(),
    });
    export_pages_with(&config, &req.spec(), pages, images, sink, cancel).await
}

/// Sends the listed pages to the writer; returns once the last page (or an error) is sent.
async fn list_pages(
    listing: impl futures::Stream<Item = lab_client::Result<lab_client::RawTaskPage>> + Send,
    tx: tokio::sync::mpsc::Sender<Result<Page>>,
) {
    let mut listing = std::pin::pin!(listing);
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
}

/// The pages received from the listing task. When the channel closes, the task is checked:
/// a listing that did not end normally (it panicked) is an error, not a shorter export.
fn ended_pages(
    rx: tokio::sync::mpsc::Receiver<Result<Page>>,
    producer: AbortOnDrop,
) -> impl futures::Stream<Item = Result<Page>> {
    futures::stream::unfold(Some((rx, producer)), |state| async move {
        let (mut rx, mut producer) = state?;
        match rx.recv().await {
            Some(page) => Some((page, Some((rx, producer)))),
            None => match (&mut producer.0).await {
                Ok(()) => None,
                Err(e) => Some((Err(ExportError::ListingStopped(e.to_string())), None)),
            },
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: u64) -> lab_client::Result<lab_client::RawTaskPage> {
        Ok(lab_client::RawTaskPage {
            tasks: vec![
                serde_json::value::RawValue::from_string(format!("{{\"n\":{n}}}")).unwrap(),
            ],
            loaded: n,
            total: 3,
        })
    }

    async fn collect(
        listing: impl futures::Stream<Item = lab_client::Result<lab_client::RawTaskPage>>
        + Send
        + 'static,
    ) -> Vec<Result<Page>> {
        let (tx, rx) = tokio::sync::mpsc::channel(PAGES_AHEAD);
        let producer = AbortOnDrop(tokio::spawn(list_pages(listing, tx)));
        ended_pages(rx, producer).collect().await
    }

    #[tokio::test]
    async fn every_page_then_the_end() {
        let got = collect(futures::stream::iter([page(1), page(2), page(3)])).await;
        let loaded: Vec<u64> = got.iter().map(|p| p.as_ref().unwrap().loaded).collect();
        assert_eq!(loaded, [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_listing_that_dies_is_an_error_not_a_shorter_export() {
        let dying = futures::stream::iter([1, 2]).map(|n| {
            if n == 2 {
                panic!("listing bug");
            }
            page(n)
        });
        let got = collect(dying).await;
        assert_eq!(got.len(), 2, "one page, then the error");
        assert_eq!(got[0].as_ref().unwrap().loaded, 1);
        let err = got[1].as_ref().unwrap_err();
        assert!(matches!(err, ExportError::ListingStopped(_)), "{err:?}");
        assert!(err.to_string().contains("Try again"), "{err}");
    }

    #[tokio::test]
    async fn a_failed_page_ends_the_listing_with_its_error() {
        let failing = futures::stream::iter([
            page(1),
            Err(lab_client::Error::Timeout("page 2".into())),
            page(3),
        ]);
        let got = collect(failing).await;
        assert_eq!(got.len(), 2);
        assert!(matches!(got[1], Err(ExportError::Client(_))));
    }
}
