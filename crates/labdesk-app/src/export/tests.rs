//! Export flow against the in-process demo sandbox (the same one "Local sandbox" starts).

use super::*;
use crate::core::Core;

struct Fixture {
    dir: tempfile::TempDir,
    core: Core,
    history: HistoryStore,
}

impl Fixture {
    /// Runs `recipe` with no progress and no cancel.
    async fn export(
        &self,
        client: &LabClient,
        recipe: ExportRecipe,
        overwrite: bool,
    ) -> AppResult<ExportOutcome> {
        run(
            client,
            &self.history,
            recipe,
            overwrite,
            None,
            |_| {},
            CancellationToken::new(),
        )
        .await
    }

    fn out(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}

async fn connected() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let core = crate::core::test_core_on_demo(dir.path()).await;
    let history = HistoryStore::new(dir.path().join("config"));
    Fixture { dir, core, history }
}

fn status_scope(project: &str, status: &str) -> ExportScope {
    let mut f = TaskFilter::new(project);
    f.statuses = vec![status.into()];
    ExportScope::Filter {
        filter: Box::new(f),
    }
}

/// The complete tasks of the demo's rectangle project, as `format` into `folder/name`.
fn complete_rectangles(format: Format, folder: &Path, name: &str) -> ExportRecipe {
    recipe(
        "demo-rectangle",
        status_scope("demo-rectangle", "complete"),
        format,
        folder,
        name,
    )
}

fn recipe(
    project: &str,
    scope: ExportScope,
    format: Format,
    folder: &Path,
    name: &str,
) -> ExportRecipe {
    ExportRecipe {
        project_id: project.into(),
        scope,
        format,
        folder: folder.display().to_string(),
        file_name: name.into(),
        replace_extension: false,
        semantic_mapping: vec![],
        input_id: None,
        images: false,
        split: vec![],
        seed: 0,
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn plan_counts_the_scope_and_explains_unfit_formats() {
    let f = connected().await;
    let client = f.core.client().await.unwrap();
    let all = client
        .count_tasks(&TaskFilter::new("demo-rectangle"))
        .await
        .unwrap();
    let plan = prepare(
        &client,
        &f.history,
        "demo-rectangle",
        &ExportScope::Filter {
            filter: Box::new(TaskFilter::new("demo-rectangle")),
        },
    )
    .await
    .unwrap();
    assert_eq!(plan.count, all);
    assert!(all > 0);
    let by = |fmt: Format| plan.formats.iter().find(|c| c.format == fmt).unwrap();
    assert!(by(Format::Lab).available && by(Format::Kili).available && by(Format::Yolo).available);
    let mask = by(Format::Mask);
    assert!(!mask.available);
    match mask.misfit.as_ref().unwrap() {
        lab_export::Misfit::ProjectType {
            project_type,
            supported,
        } => {
            assert_eq!(project_type, "iat-rectangle");
            assert!(
                supported.iter().any(|t| t == "iat-segmentation"),
                "{supported:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(by(Format::Lab).extension.as_deref(), Some(".json"));
    assert_eq!(by(Format::Yolo).extension.as_deref(), Some(".zip"));
    assert_eq!(mask.extension, None);
    assert!(by(Format::Yolo).default_name.ends_with(".zip"));
    assert!(!by(Format::Lab).default_name.contains(':'));
    assert_eq!(plan.last_folder, None);

    // a selection counts its distinct ids, without asking the server
    let sel = ExportScope::Selection {
        ids: vec!["a".into(), "b".into(), "a".into()],
    };
    let plan = prepare(&client, &f.history, "demo-segmentation", &sel)
        .await
        .unwrap();
    assert_eq!(plan.count, 2);
    assert!(
        plan.formats
            .iter()
            .all(|c| c.format != Format::Mask || c.available)
    );
    assert!(!plan.mask_labels.is_empty());
    assert!(plan.mask_labels.iter().all(|l| l.b_channel.is_some()));
}

#[tokio::test]
async fn export_equals_the_library_export_and_is_recorded() {
    let f = connected().await;
    let client = f.core.client().await.unwrap();
    let scope = status_scope("demo-rectangle", "complete");
    let ours = f.out("ours");
    let r = recipe(
        "demo-rectangle",
        scope.clone(),
        Format::Yolo,
        &ours,
        "y.zip",
    );
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let out = run(
        &client,
        &f.history,
        r.clone(),
        false,
        None,
        move |p| seen2.lock().unwrap().push(p.done),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        entries(&ours),
        ["y.manifest.json", "y.zip"],
        "no temp file left"
    );
    let expected_count = client
        .count_tasks(&scope.to_filter("demo-rectangle"))
        .await
        .unwrap();
    assert!(expected_count > 0);
    assert_eq!(out.entry.count, expected_count);
    assert_eq!(seen.lock().unwrap().last().copied(), Some(expected_count));

    // the same export straight through lab-export (what `lab export` runs)
    let theirs = f.out("theirs");
    let mut req = to_request(&r, false).unwrap();
    req.output_folder = Some(theirs.clone());
    lab_export::export(&client, req, None, CancellationToken::new())
        .await
        .unwrap();
    let read_zip = |p: PathBuf| {
        let mut z = zip::ZipArchive::new(std::fs::File::open(p).unwrap()).unwrap();
        let mut files = BTreeMap::new();
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            files.insert(e.name().to_owned(), s);
        }
        files
    };
    let a = read_zip(ours.join("y.zip"));
    assert!(a.contains_key("data.yaml"));
    assert_eq!(a, read_zip(theirs.join("y.zip")));

    // history: newest first, with the recipe to run again; the folder is remembered
    let h = f.history.list("demo-rectangle").unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].recipe, r);
    assert_eq!(h[0].path, ours.join("y.zip").display().to_string());
    assert_eq!(
        f.history.last_folder("demo-rectangle").unwrap(),
        Some(ours.display().to_string())
    );
    assert_eq!(f.history.get("demo-rectangle", &h[0].id).unwrap(), h[0]);
}

#[tokio::test]
async fn existing_file_is_reported_and_only_replaced_when_confirmed() {
    let f = connected().await;
    let client = f.core.client().await.unwrap();
    let dir = f.out("o");
    let r = complete_rectangles(Format::Lab, &dir, "tasks.json");
    assert!(!check_target(&r).unwrap().exists);
    std::fs::write(dir.join("tasks.json"), b"keep me").unwrap();
    let c = check_target(&r).unwrap();
    assert!(c.exists);
    assert_eq!(c.folder_files, None, "a file, not a folder");
    assert_eq!(c.path, dir.join("tasks.json").display().to_string());
    let e = f.export(&client, r.clone(), false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("already exists"), "{}", e.message);
    assert_eq!(std::fs::read(dir.join("tasks.json")).unwrap(), b"keep me");
    assert!(f.history.list("demo-rectangle").unwrap().is_empty());
    f.export(&client, r, true).await.unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("tasks.json")).unwrap()).unwrap();
    assert!(!v.as_array().unwrap().is_empty());
    assert_eq!(entries(&dir), ["tasks.json", "tasks.manifest.json"]);
}

#[tokio::test]
async fn cancel_and_empty_results_leave_nothing() {
    let f = connected().await;
    let client = f.core.client().await.unwrap();
    let dir = f.out("o");
    let r = complete_rectangles(Format::Kili, &dir, "k.json");
    let cancel = CancellationToken::new();
    cancel.cancel();
    let e = run(&client, &f.history, r, false, None, |_| {}, cancel)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Cancelled);
    assert!(entries(&dir).is_empty());

    let mut none = TaskFilter::new("demo-rectangle");
    none.names = vec!["no such task".into()];
    let r = recipe(
        "demo-rectangle",
        ExportScope::Filter {
            filter: Box::new(none),
        },
        Format::Lab,
        &dir,
        "l.json",
    );
    let e = f.export(&client, r, false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("nothing to export"), "{}", e.message);
    assert!(entries(&dir).is_empty());
    assert!(f.history.list("demo-rectangle").unwrap().is_empty());
}

#[tokio::test]
async fn mask_export_writes_a_folder_with_the_options() {
    let f = connected().await;
    let client = f.core.client().await.unwrap();
    let dir = f.out("o");
    let plan = prepare(
        &client,
        &f.history,
        "demo-segmentation",
        &status_scope("demo-segmentation", "complete"),
    )
    .await
    .unwrap();
    let label = plan.mask_labels[0].id.clone();
    let mut r = recipe(
        "demo-segmentation",
        status_scope("demo-segmentation", "complete"),
        Format::Mask,
        &dir,
        "masks",
    );
    r.replace_extension = true;
    r.semantic_mapping = vec![SemanticColor {
        label,
        color: [255, 0, 0],
    }];
    let out = f.export(&client, r, false).await.unwrap();
    assert_eq!(out.entry.path, dir.join("masks").display().to_string());
    let pngs = entries(&dir.join("masks"));
    assert!(!pngs.is_empty());
    // replace_extension: "scene_01.png" is written as "scene_01.png", never "scene_01.png.png"
    assert!(
        pngs.iter()
            .all(|n| n.ends_with(".png") && !n.ends_with(".png.png")),
        "{pngs:?}"
    );
    assert_eq!(entries(&dir), ["masks", "masks.manifest.json"]);
}

#[tokio::test]
async fn training_formats_with_the_demo_images() {
    let f = connected().await;
    let client = f.core.client().await.unwrap();
    let dir = f.out("train");
    // COCO of the segmentation project, with its images.
    let seg = "demo-segmentation";
    let mut r = recipe(
        seg,
        status_scope(seg, "complete"),
        Format::Coco,
        &dir,
        "seg.json",
    );
    r.images = true;
    let out = f.export(&client, r, false).await.unwrap();
    assert!(out.entry.count > 0);
    assert_eq!(out.missing_image_count, 0, "{:?}", out.missing_images);
    assert_eq!(
        entries(&dir),
        ["seg.json", "seg.manifest.json", "seg_images.zip"]
    );
    let manifest = out.entry.manifest.clone().unwrap();
    let m = lab_export::read_manifest(Path::new(&manifest)).unwrap();
    assert_eq!(m.task_ids.len() as u64, out.entry.count);
    assert_eq!(m.scope["kind"], "filter");
    assert_eq!(
        m.scope["filter"]["statuses"],
        serde_json::json!(["complete"])
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("seg.json")).unwrap()).unwrap();
    let anns = v["annotations"].as_array().unwrap();
    assert!(!anns.is_empty());
    // The demo's segmentation tasks have masks: their instances are RLE.
    assert!(
        anns.iter().all(|a| a["segmentation"]["counts"].is_string()),
        "{}",
        anns[0]
    );
    // YOLO dataset of the rectangle project: each task's image and labels in one split.
    let mut r = complete_rectangles(Format::YoloDataset, &dir, "rect.zip");
    r.split = vec![1.0, 1.0];
    r.seed = 3;
    let out = f.export(&client, r.clone(), false).await.unwrap();
    assert_eq!(out.missing_image_count, 0);
    let in_splits: u64 = out.splits.iter().map(|(_, n)| n).sum();
    assert_eq!(in_splits, out.entry.count);
    assert_eq!(out.files, 2 * out.entry.count);
    // A bad split is refused before anything is written.
    r.split = vec![1.0];
    r.file_name = "bad.zip".into();
    let e = f.export(&client, r, false).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(!dir.join("bad.zip").exists());
}

#[test]
fn requests_carry_the_recipe() {
    let dir = Path::new("/tmp");
    let mut r = recipe(
        "p",
        ExportScope::Selection {
            ids: vec!["t1".into(), "t1".into(), "t2".into()],
        },
        Format::Mask,
        dir,
        "m",
    );
    r.replace_extension = true;
    r.semantic_mapping = vec![SemanticColor {
        label: "cat".into(),
        color: [1, 2, 3],
    }];
    let req = to_request(&r, true).unwrap();
    assert_eq!(req.filter.project_id, "p");
    assert_eq!(req.filter.task_ids, ["t1", "t2"]);
    assert!(req.options.replace_extension && req.overwrite);
    assert_eq!(
        req.options.semantic_mapping,
        Some(vec![("cat".into(), [1, 2, 3])])
    );
    assert_eq!(req.output_folder.as_deref(), Some(dir));

    // mask options mean nothing to other formats
    r.format = Format::Lab;
    r.file_name = "a.json".into();
    let req = to_request(&r, false).unwrap();
    assert!(!req.options.replace_extension);
    assert_eq!(req.options.semantic_mapping, None);

    r.folder = " ".into();
    assert!(
        to_request(&r, false)
            .unwrap_err()
            .message
            .contains("Choose the folder")
    );
    r.folder = "/tmp".into();
    r.file_name = "".into();
    assert!(
        to_request(&r, false)
            .unwrap_err()
            .message
            .contains("file name")
    );
}

#[test]
fn bad_names_and_folders_are_explained_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = recipe(
        "p",
        ExportScope::Selection {
            ids: vec!["t".into()],
        },
        Format::Yolo,
        dir.path(),
        "out.json",
    );
    let e = check_target(&r).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains(".zip"), "{}", e.message);
    r.file_name = "../out.zip".into();
    assert!(
        check_target(&r)
            .unwrap_err()
            .message
            .contains("plain file name")
    );
    r.file_name = "out.zip".into();
    r.folder = dir.path().join("gone").display().to_string();
    assert!(
        check_target(&r)
            .unwrap_err()
            .message
            .contains("does not exist")
    );
}

#[test]
fn history_is_capped_versioned_and_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::new(dir.path());
    assert!(store.list("p").unwrap().is_empty());
    store.remember_folder("p", "/data/exports").unwrap();
    assert_eq!(
        store.last_folder("p").unwrap().as_deref(),
        Some("/data/exports")
    );
    let mut r = recipe(
        "p",
        ExportScope::Selection {
            ids: vec!["t".into()],
        },
        Format::Lab,
        Path::new("/x"),
        "a.json",
    );
    for i in 0..(HISTORY_MAX + 3) {
        r.file_name = format!("{i}.json");
        store
            .record(HistoryEntry {
                id: i.to_string(),
                at: "2026-01-01T00:00:00Z".into(),
                recipe: r.clone(),
                count: 1,
                path: format!("/x/{i}.json"),
                manifest: None,
            })
            .unwrap();
    }
    let again = HistoryStore::new(dir.path());
    let h = again.list("p").unwrap();
    assert_eq!(h.len(), HISTORY_MAX);
    assert_eq!(h[0].id, (HISTORY_MAX + 2).to_string(), "newest first");
    assert_eq!(again.last_folder("p").unwrap().as_deref(), Some("/x"));
    assert!(again.list("other").unwrap().is_empty());
    assert_eq!(
        again.get("p", "nope").unwrap_err().kind,
        ErrorKind::NotFound
    );
    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("export-history.json")).unwrap())
            .unwrap();
    assert_eq!(raw["version"], HISTORY_VERSION);
    assert_eq!(raw["projects"]["p"]["lastFolder"], "/x");

    // a file from a newer version is left alone, with a message
    std::fs::write(
        dir.path().join("export-history.json"),
        br#"{"version": 99, "projects": {}}"#,
    )
    .unwrap();
    let e = again.list("p").unwrap_err();
    assert!(e.message.contains("newer Lab Desk"), "{}", e.message);
    assert!(again.remember_folder("p", "/y").is_err());
    let still: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("export-history.json")).unwrap())
            .unwrap();
    assert_eq!(still["version"], 99);
}

#[test]
fn atomic_write_replaces_whole_files_and_explains_failures() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.csv");
    write_atomic(&p, b"a,b\n").unwrap();
    write_atomic(&p, b"c\n").unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"c\n");
    assert_eq!(entries(dir.path()), ["r.csv"]);
    let e = write_atomic(&dir.path().join("missing/r.csv"), b"x").unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert!(e.message.contains("does not exist"), "{}", e.message);
    let full = io_error(&p, &std::io::Error::from(std::io::ErrorKind::StorageFull));
    assert!(full.message.contains("disk is full"));
    let ro = io_error(
        &p,
        &std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    );
    assert!(ro.message.contains("not writable"));
}

#[test]
fn csv_names_are_safe_and_dated() {
    use chrono::TimeZone;
    let now = chrono::Local.with_ymd_and_hms(2026, 3, 5, 7, 8, 9).unwrap();
    assert_eq!(
        csv_default_name("labdesk-redo-results", now),
        "labdesk-redo-results-2026-03-05_07-08-09.csv"
    );
    assert_eq!(
        csv_default_name("a/b c", now),
        "a-b-c-2026-03-05_07-08-09.csv"
    );
    assert_eq!(
        csv_default_name("//", now),
        "labdesk-2026-03-05_07-08-09.csv"
    );
}

#[test]
fn open_folder_needs_an_existing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.json");
    std::fs::write(&file, b"[]").unwrap();
    assert_eq!(folder_of(&file).unwrap(), dir.path());
    assert_eq!(folder_of(dir.path()).unwrap(), dir.path());
    let e = folder_of(&dir.path().join("gone/f.json")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[test]
fn scope_and_recipe_use_the_ui_shape() {
    let r: ExportRecipe = serde_json::from_value(serde_json::json!({
        "projectId": "p",
        "scope": {"kind": "selection", "ids": ["t1"]},
        "format": "yolo",
        "folder": "/tmp",
        "fileName": "a.zip"
    }))
    .unwrap();
    assert_eq!(r.format, Format::Yolo);
    assert!(!r.replace_extension && r.semantic_mapping.is_empty());
    let s = serde_json::to_value(status_scope("p", "complete")).unwrap();
    assert_eq!(s["kind"], "filter");
    assert_eq!(s["filter"]["statuses"][0], "complete");
}

#[test]
fn a_folder_in_the_way_counts_the_files_replacing_would_delete() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("masks");
    std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
    for p in ["a.png", "b.png", "sub/c.png", "sub/deeper/d.png"] {
        std::fs::write(d.join(p), b"x").unwrap();
    }
    std::os::unix::fs::symlink(t.path(), d.join("loop")).unwrap();
    assert_eq!(
        super::count_files(&d),
        5,
        "4 files and a link (not followed)"
    );
    assert_eq!(super::count_files(&t.path().join("missing")), 0);
}

#[tokio::test]
async fn a_folder_in_the_way_of_a_file_export_is_refused_before_anything_runs() {
    let f = connected().await;
    let dir = f.out("o");
    std::fs::create_dir_all(dir.join("tasks.json")).unwrap();
    let r = complete_rectangles(Format::Lab, &dir, "tasks.json");
    let e = check_target(&r).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput);
    assert_eq!(e.key.as_deref(), Some("err.isFolder"));
    assert!(e.message.contains("is a folder"), "{}", e.message);
}
