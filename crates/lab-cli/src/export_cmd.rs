//! `lab export --project P --format lab|kili|yolo|mask|coco|yolo-dataset [--output-folder D]
//! [--output-filename F] [--option k=v]… [the filters of lab tasks] [--overwrite] [--no-manifest]`

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use lab_client::{DateRange, LabClient, TaskFilter};
use lab_export::{ExportFormat, ExportOptions, ExportRequest};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// Export the tasks of a project to a file (lab, kili, coco: .json; yolo, yolo-dataset: .zip)
/// or a folder of PNG masks (mask), with a manifest beside it ({name}.manifest.json).
#[derive(clap::Args, Debug, Clone)]
pub struct ExportArgs {
    /// Project id.
    #[arg(long)]
    pub project: String,
    /// Output format: lab, kili, yolo or mask (the SDK's, byte for byte); coco (COCO instances
    /// JSON, for detection/segmentation trainers) or yolo-dataset (a zip with images/, labels/
    /// split into train/val[/test] and data.yaml, ready for Ultralytics).
    #[arg(long, value_parser = parse_format)]
    pub format: ExportFormat,
    /// Folder to write into (default: the current folder).
    #[arg(long)]
    pub output_folder: Option<PathBuf>,
    /// File name (.json for lab/kili/coco, .zip for yolo/yolo-dataset) or folder name for mask
    /// (default: lab_{project}_{date}.json, lab_kili_…, lab_yolo_….zip, lab_mask_…, lab_coco_…,
    /// lab_yolo_dataset_….zip).
    #[arg(long)]
    pub output_filename: Option<String>,
    /// Format option as key=value, repeatable: input_id=ID (form projects),
    /// replace_extension=true (mask), semantic_mapping='{"label_id": [255, 0, 0]}' (mask),
    /// images=true (coco: the images in {name}_images.zip beside the JSON),
    /// split=0.8,0.2 or split=70,20,10 (yolo-dataset: train, val, test shares), seed=N
    /// (yolo-dataset: the same seed puts each task in the same split every time).
    #[arg(long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// Replace an existing file or folder of the same name.
    #[arg(long)]
    pub overwrite: bool,
    /// Write no manifest ({name}.manifest.json: filter, task ids, counts, SHA-256 per file).
    #[arg(long)]
    pub no_manifest: bool,
    #[command(flatten)]
    pub filters: ExportFilterArgs,
}

/// The task filters of `lab tasks`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ExportFilterArgs {
    /// Only these batches (repeatable).
    #[arg(long = "batch", value_name = "BATCH_ID")]
    pub batches: Vec<String>,
    /// Only these statuses: pending, complete, to-review, reviewed, configuring (repeatable).
    #[arg(long = "status", value_name = "STATUS",
          value_parser = ["pending", "complete", "to-review", "reviewed", "configuring"])]
    pub statuses: Vec<String>,
    /// Only these task ids (repeatable).
    #[arg(long = "task-id", value_name = "TASK_ID")]
    pub task_ids: Vec<String>,
    /// Only tasks with these exact names (repeatable).
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// Only tasks whose name matches this regular expression.
    #[arg(long)]
    pub name_like: Option<String>,
    /// Only tasks whose data key has this value (data.k=v), repeatable.
    #[arg(long = "data", value_name = "KEY=VALUE", value_parser = parse_kv)]
    pub data: Vec<(String, String)>,
    /// Only tasks whose property has this value (properties.k=v), repeatable.
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = parse_kv)]
    pub properties: Vec<(String, String)>,
    /// Created after this date ("2022-09-19 08:30:00").
    #[arg(long, value_name = "DATE")]
    pub created_gt: Option<String>,
    /// Created at or after this date.
    #[arg(long, value_name = "DATE")]
    pub created_gte: Option<String>,
    /// Created before this date.
    #[arg(long, value_name = "DATE")]
    pub created_lt: Option<String>,
    /// Created at or before this date.
    #[arg(long, value_name = "DATE")]
    pub created_lte: Option<String>,
    /// Updated after this date.
    #[arg(long, value_name = "DATE")]
    pub updated_gt: Option<String>,
    /// Updated at or after this date.
    #[arg(long, value_name = "DATE")]
    pub updated_gte: Option<String>,
    /// Updated before this date.
    #[arg(long, value_name = "DATE")]
    pub updated_lt: Option<String>,
    /// Updated at or before this date.
    #[arg(long, value_name = "DATE")]
    pub updated_lte: Option<String>,
}

fn parse_format(s: &str) -> Result<ExportFormat, String> {
    s.parse()
        .map_err(|e: lab_export::BadOption| lab_export::ExportError::from(e).to_string())
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("\"{s}\" is not KEY=VALUE"))
}

impl ExportFilterArgs {
    pub fn to_filter(&self, project_id: &str) -> TaskFilter {
        TaskFilter {
            project_id: project_id.to_string(),
            batch_ids: self.batches.clone(),
            statuses: self.statuses.clone(),
            task_ids: self.task_ids.clone(),
            names: self.names.clone(),
            name_like: self.name_like.clone(),
            created_at: DateRange {
                gt: self.created_gt.clone(),
                gte: self.created_gte.clone(),
                lt: self.created_lt.clone(),
                lte: self.created_lte.clone(),
            },
            updated_at: DateRange {
                gt: self.updated_gt.clone(),
                gte: self.updated_gte.clone(),
                lt: self.updated_lt.clone(),
                lte: self.updated_lte.clone(),
            },
            optional_fields: vec![],
            data: self.data.clone(),
            properties: self.properties.clone(),
        }
    }
}

impl ExportArgs {
    pub fn to_request(&self) -> anyhow::Result<ExportRequest> {
        let options =
            ExportOptions::from_pairs(&self.options).map_err(lab_export::ExportError::from)?;
        Ok(ExportRequest {
            project_id: self.project.clone(),
            filter: self.filters.to_filter(&self.project),
            format: self.format,
            output_folder: self.output_folder.clone(),
            output_filename: self.output_filename.clone(),
            options,
            overwrite: self.overwrite,
            no_manifest: self.no_manifest,
            ..Default::default()
        })
    }
}

/// Runs the export with a progress bar (unless `quiet`); Ctrl-C cancels and leaves nothing.
/// Prints the path written on stdout; renamings and warnings on stderr.
pub async fn run(
    client: &LabClient,
    args: ExportArgs,
    quiet: bool,
    store: &lab_activity::ActivityStore,
    actor: &lab_activity::Actor,
) -> anyhow::Result<()> {
    let req = args.to_request()?;
    let (project_id, filter, format) = (
        req.project_id.clone(),
        req.filter.clone(),
        req.format.to_string(),
    );
    let cancel = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<lab_client::Progress>();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(0);
        b.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} tasks ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message(format!("exporting ({})", req.format));
        b
    };
    let bar2 = bar.clone();
    let ui = tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            bar2.set_length(p.total);
            bar2.set_position(p.done);
        }
    });
    let ctrl_c = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        })
    };
    let result = lab_export::export(client, req, Some(tx), cancel).await;
    ctrl_c.abort();
    let _ = ui.await;
    bar.finish_and_clear();
    let entry = match &result {
        Ok(r) => lab_activity::record_export(
            store,
            actor,
            &project_id,
            None,
            &filter,
            &format,
            &r.path.display().to_string(),
            r.tasks,
            r.tasks.saturating_sub(r.missing_image_count),
            r.missing_image_count,
            lab_activity::EntryState::Done,
            None,
        )?,
        Err(e) => lab_activity::record_export(
            store,
            actor,
            &project_id,
            None,
            &filter,
            &format,
            "",
            0,
            0,
            0,
            lab_activity::EntryState::Failed,
            Some(&e.to_string()),
        )?,
    };
    if !quiet {
        eprintln!("Recorded as activity #{entry} (lab history {entry})");
    }
    let report = result.context("export failed")?;
    for (from, to) in &report.renamed {
        eprintln!("renamed: task {from:?} written as {to:?}");
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if report.warning_count > report.warnings.len() as u64 {
        eprintln!(
            "warning: … and {} more warnings",
            report.warning_count - report.warnings.len() as u64
        );
    }
    const MISSING_PRINTED: usize = 20;
    for m in report.missing_images.iter().take(MISSING_PRINTED) {
        eprintln!("missing image: task {:?}: {}", m.task_name, m.reason);
    }
    if report.missing_image_count > 0 {
        eprintln!(
            "missing images: {} task(s) exported without their image (all listed in the manifest)",
            report.missing_image_count
        );
    }
    if !quiet {
        eprintln!(
            "exported {} tasks ({} files) to {}",
            report.tasks,
            report.files,
            report.path.display()
        );
        if !report.splits.is_empty() {
            let splits: Vec<String> = report
                .splits
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect();
            eprintln!("splits: {}", splits.join(", "));
        }
        if let Some(p) = &report.images_path {
            eprintln!("images: {}", p.display());
        }
        if let Some(p) = &report.manifest {
            eprintln!("manifest: {}", p.display());
        }
    }
    println!("{}", report.path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: ExportArgs,
    }

    #[test]
    fn parses_the_contract_command_line() {
        let cli = Cli::try_parse_from([
            "lab",
            "--project",
            "p1",
            "--format",
            "mask",
            "--output-folder",
            "out",
            "--output-filename",
            "m",
            "--option",
            "replace_extension=true",
            "--option",
            r#"semantic_mapping={"cat": [1, 2, 3]}"#,
            "--status",
            "complete",
            "--status",
            "reviewed",
            "--created-gte",
            "2024-01-01 00:00:00",
            "--data",
            "k=v=w",
            "--overwrite",
        ])
        .unwrap();
        let req = cli.args.to_request().unwrap();
        assert_eq!(req.format, ExportFormat::Mask);
        assert_eq!(req.filter.project_id, "p1");
        assert_eq!(req.filter.statuses, ["complete", "reviewed"]);
        assert_eq!(
            req.filter.created_at.gte.as_deref(),
            Some("2024-01-01 00:00:00")
        );
        assert_eq!(req.filter.data, [("k".to_string(), "v=w".to_string())]);
        assert!(req.options.replace_extension && req.overwrite);
        assert_eq!(
            req.options.semantic_mapping,
            Some(vec![("cat".to_string(), [1, 2, 3])])
        );
        assert!(Cli::try_parse_from(["lab", "--project", "p", "--format", "png"]).is_err());
        let ds = Cli::try_parse_from([
            "lab",
            "--project",
            "p",
            "--format",
            "yolo-dataset",
            "--option",
            "split=70,20,10",
            "--option",
            "seed=9",
            "--no-manifest",
        ])
        .unwrap();
        let req = ds.args.to_request().unwrap();
        assert_eq!(req.format, ExportFormat::YoloDataset);
        assert_eq!(req.options.split, Some(vec![70.0, 20.0, 10.0]));
        assert_eq!(req.options.seed, 9);
        assert!(req.no_manifest);
        let coco = Cli::try_parse_from([
            "lab",
            "--project",
            "p",
            "--format",
            "coco",
            "--option",
            "images=yes",
        ])
        .unwrap();
        let req = coco.args.to_request().unwrap();
        assert_eq!(req.format, ExportFormat::Coco);
        assert!(req.options.images && !req.no_manifest);
        let bad_split = Cli::try_parse_from([
            "lab",
            "--project",
            "p",
            "--format",
            "yolo-dataset",
            "--option",
            "split=1",
        ])
        .unwrap();
        let e = bad_split.args.to_request().unwrap_err().to_string();
        assert!(e.contains("two or three shares"), "{e}");
        let bad = Cli::try_parse_from([
            "lab",
            "--project",
            "p",
            "--format",
            "lab",
            "--option",
            "nope=1",
        ])
        .unwrap();
        assert!(bad.args.to_request().is_err());
    }
}
