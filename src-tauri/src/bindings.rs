//! Generates the UI's TypeScript types (ui/src/bindings) from the Rust types with ts-rs.
//! `cargo test -p labdesk bindings` fails when the checked-in files differ;
//! `LABDESK_UPDATE_BINDINGS=1 cargo test -p labdesk bindings` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

use crate::core::*;
use crate::error::AppError;
use crate::profiles::{Profile, ProfileDraft, ProfileList};
use crate::views::SavedView;

fn export_into(dir: &Path) {
    let cfg = Config::new().with_large_int("number").with_out_dir(dir);
    macro_rules! all {
        ($($t:ty),* $(,)?) => { $( <$t>::export_all(&cfg).expect(stringify!($t)); )* };
    }
    all!(
        AppError,
        Profile,
        ProfileDraft,
        ProfileList,
        SavedView,
        ConnectionInfo,
        ProjectOverview,
        TaskView,
        TaskQuery,
        TaskRow,
        TaskPageEvent,
        LoadSummary,
        BulkTarget,
        BulkAction,
        BulkRequest,
        BulkPreview,
        BulkProgress,
        BulkResult,
        lab_client::Project,
        lab_client::ProjectFilter,
        crate::dialogs::DialogFilter,
        crate::export::ExportScope,
        crate::export::ExportRecipe,
        crate::export::ExportPlan,
        crate::export::TargetCheck,
        crate::export::ExportProgress,
        crate::export::ExportOutcome,
        crate::export::MissingImageRow,
        lab_export::MissKind,
        lab_export::Misfit,
        crate::export::HistoryEntry,
        crate::settings::Settings,
        crate::about::AboutInfo,
        crate::diagnostics::DiagnosticsReport,
        crate::create::RowView,
        crate::create::PreflightView,
        crate::create::BatchTarget,
        crate::create::StartRequest,
        crate::create::Thumb,
        crate::create::JobLabel,
        crate::create::LeftOut,
        crate::create::JobInfo,
        crate::create::ItemView,
        crate::create::RunResult,
        lab_jobs::JobProgress,
        lab_activity::Entry,
        lab_activity::Query,
        lab_activity::TaskResult,
        lab_activity::UndoPlan,
        lab_activity::ActivityProgress,
        lab_activity::Retention,
        crate::activity::ActivityPage,
        crate::activity::ActivityResults,
        crate::activity::UndoDone,
    );
}

fn read_dir(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "ts") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                out.insert(PathBuf::from(e.file_name()), text);
            }
        }
    }
    out
}

#[test]
fn bindings_are_up_to_date() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
    let tmp = tempfile::tempdir().unwrap();
    export_into(tmp.path());
    let fresh = read_dir(tmp.path());
    assert!(fresh.contains_key(Path::new("TaskFilter.ts")));
    if std::env::var("LABDESK_UPDATE_BINDINGS").is_ok_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(&checked_in);
        std::fs::create_dir_all(&checked_in).unwrap();
        for (name, text) in &fresh {
            std::fs::write(checked_in.join(name), text).unwrap();
        }
    }
    let current = read_dir(&checked_in);
    assert!(
        current == fresh,
        "ui/src/bindings is out of date: run `LABDESK_UPDATE_BINDINGS=1 cargo test -p labdesk bindings` and commit the result"
    );
}
