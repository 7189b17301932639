//! `export` end to end: lab-client against an in-process lab-sandbox with the demo data.

use lab_client::{ClientOptions, Credentials, LabClient, TaskFilter};
use lab_export::{ExportError, ExportFormat, ExportOptions, ExportRequest, export};
use tokio_util::sync::CancellationToken;

async fn demo() -> (
    tempfile::TempDir,
    lab_sandbox::Running,
    LabClient,
    lab_sandbox::DemoSummary,
) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox =
        lab_sandbox::Sandbox::open(lab_sandbox::Config::new(dir.path().join("data"))).unwrap();
    let summary = sandbox.load_demo().unwrap();
    let running = lab_sandbox::start(sandbox, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = LabClient::new(
        &running.base_url,
        Credentials::new(summary.access_id.clone(), summary.secret_key.clone()),
        ClientOptions::default(),
    )
    .unwrap();
    (dir, running, client, summary)
}

fn request(project: &str, format: ExportFormat, out: &std::path::Path) -> ExportRequest {
    ExportRequest {
        project_id: project.into(),
        filter: TaskFilter::new(project),
        format,
        output_folder: Some(out.to_path_buf()),
        output_filename: None,
        options: ExportOptions::default(),
        overwrite: false,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_every_demo_project_with_progress() {
    let (dir, _running, client, summary) = demo().await;
    for project in &summary.projects {
        let total = client
            .count_tasks(&TaskFilter::new(&project.id))
            .await
            .unwrap();
        for format in ExportFormat::ALL {
            let out = dir.path().join(format!("{}-{format}", project.id));
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let r = export(
                &client,
                request(&project.id, format, &out),
                Some(tx),
                CancellationToken::new(),
            )
            .await;
            let fits = lab_export::supported_formats(
                &project.project_type,
                &client.project_configuration(&project.id).await.unwrap().raw,
            )
            .into_iter()
            .find(|(f, _)| *f == format)
            .unwrap()
            .1;
            match (r, fits) {
                (Ok(report), Ok(())) => {
                    assert_eq!(report.tasks, total, "{} {format}", project.id);
                    assert!(report.path.starts_with(std::path::absolute(&out).unwrap()));
                    assert!(report.path.exists());
                    let mut last = None;
                    while let Ok(p) = rx.try_recv() {
                        last = Some(p);
                    }
                    let last = last.expect("progress sent");
                    assert_eq!((last.done, last.total), (total, total));
                    let leftovers: Vec<_> = std::fs::read_dir(&out)
                        .unwrap()
                        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                        .filter(|n| n.starts_with(".lab-export-"))
                        .collect();
                    assert!(leftovers.is_empty(), "{leftovers:?}");
                }
                (Err(ExportError::Unsupported { .. }), Err(_)) => assert!(!out.exists()),
                (r, fits) => panic!(
                    "{} {format}: {r:?} but supported_formats says {fits:?}",
                    project.id
                ),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_before_start_writes_nothing() {
    let (dir, _running, client, summary) = demo().await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let out = dir.path().join("out");
    let r = export(
        &client,
        request(&summary.projects[0].id, ExportFormat::Lab, &out),
        None,
        cancel,
    )
    .await;
    assert!(matches!(r, Err(ExportError::Cancelled)), "{r:?}");
    assert!(!out.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_match_is_nothing_to_export() {
    let (dir, _running, client, summary) = demo().await;
    let project = &summary.projects[0].id;
    let mut req = request(project, ExportFormat::Lab, &dir.path().join("out"));
    req.filter.names = vec!["no such task".into()];
    let e = export(&client, req, None, CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(e, ExportError::NothingToExport), "{e:?}");
    assert_eq!(
        e.info().message,
        "nothing to export: no task matches the filters"
    );
    assert!(!dir.path().join("out").exists());
}
