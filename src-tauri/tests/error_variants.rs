//! Every variant of the libraries' error enums says its message as data (`lab_client::Message`):
//! its key is in messages.rs `LIBRARY`, and the catalogue's English rendered with its values is
//! the variant's `Display`, word for word.

use std::collections::BTreeSet;

use lab_client::Message;
use labdesk_app::messages::{LIBRARY, render};

/// The English of `m` as the window renders it: its template with its values, `{detail}` being
/// the rendered inner message when it has one.
fn english(m: &Message) -> String {
    let template = LIBRARY
        .iter()
        .find(|(k, _)| *k == m.key)
        .unwrap_or_else(|| panic!("{} is not in messages.rs LIBRARY", m.key))
        .1;
    let detail = m.detail.as_deref().map(english);
    let mut params: Vec<(&str, &str)> = m
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if let Some(d) = &detail {
        assert!(!m.params.contains_key("detail"), "{}: detail twice", m.key);
        params.push(("detail", d));
    }
    let names: BTreeSet<&str> = placeholders(template);
    let given: BTreeSet<&str> = params.iter().map(|(k, _)| *k).collect();
    assert_eq!(names, given, "{}: placeholders and values differ", m.key);
    render(template, &params)
}

fn placeholders(template: &str) -> BTreeSet<&str> {
    let re = regex::Regex::new(r"\{(\w+)\}").unwrap();
    re.captures_iter(template)
        .filter_map(|c| c.get(1).map(|g| g.as_str()))
        .collect()
}

fn check(m: &Message, display: &str) {
    assert_eq!(english(m), display, "{}", m.key);
}

/// A test that `$examples` has one example of each of the `$count` variants (by `$index`) and
/// that each says in the catalogue's English exactly what its `Display` says.
macro_rules! every_variant {
    ($test:ident, $examples:ident, $index:ident, $count:expr) => {
        #[test]
        fn $test() {
            let examples = $examples();
            let seen: BTreeSet<usize> = examples.iter().map($index).collect();
            assert_eq!(seen, (0..$count).collect(), "one example per variant");
            for e in &examples {
                check(&Message::of(e), &e.to_string());
            }
        }
    };
}

/// One of every variant of `lab_client::Invalid`.
fn client_invalid_examples() -> Vec<lab_client::Invalid> {
    vec![
        lab_client::Invalid::BadNamePattern {
            pattern: "<pattern>".into(),
            detail: "<detail>".into(),
        },
        lab_client::Invalid::BadDateCreatedAfter {
            date: "<date>".into(),
        },
        lab_client::Invalid::BadDateCreatedFrom {
            date: "<date>".into(),
        },
        lab_client::Invalid::BadDateCreatedBefore {
            date: "<date>".into(),
        },
        lab_client::Invalid::BadDateCreatedUntil {
            date: "<date>".into(),
        },
        lab_client::Invalid::BadDateUpdatedAfter {
            date: "<date>".into(),
        },
        lab_client::Invalid::BadDateUpdatedFrom {
            date: "<date>".into(),
        },
        lab_client::Invalid::BadDateUpdatedBefore {
            date: "<date>".into(),
        },
        lab_client::Invalid::BadDateUpdatedUntil {
            date: "<date>".into(),
        },
        lab_client::Invalid::BadProjectId { id: "<id>".into() },
        lab_client::Invalid::BadBatchId { id: "<id>".into() },
        lab_client::Invalid::BadFileId { id: "<id>".into() },
        lab_client::Invalid::BadTaskId { id: "<id>".into() },
        lab_client::Invalid::NoTaskId,
        lab_client::Invalid::BatchWithoutName,
        lab_client::Invalid::BadEndpoint {
            endpoint: "<endpoint>".into(),
            detail: "<detail>".into(),
            example: "<example>".into(),
        },
        lab_client::Invalid::EndpointNotHttp {
            endpoint: "<endpoint>".into(),
        },
        lab_client::Invalid::HttpClient {
            detail: "<detail>".into(),
        },
        lab_client::Invalid::BadApiPath {
            path: "<path>".into(),
            detail: "<detail>".into(),
        },
        lab_client::Invalid::BadResourceUrl {
            url: "<url>".into(),
            detail: "<detail>".into(),
        },
        lab_client::Invalid::ResourceWithoutFileId,
        lab_client::Invalid::CannotPreview {
            resource: "<resource>".into(),
        },
        lab_client::Invalid::NotRegularFile {
            path: "<path>".into(),
        },
        lab_client::Invalid::EmptyFile {
            path: "<path>".into(),
        },
        lab_client::Invalid::NotImageName {
            path: "<path>".into(),
            extensions: "<extensions>".into(),
        },
        lab_client::Invalid::UnsupportedImage {
            path: "<path>".into(),
            format: "<format>".into(),
            extensions: "<extensions>".into(),
        },
        lab_client::Invalid::NotImageContent {
            path: "<path>".into(),
        },
        lab_client::Invalid::NoImageFound {
            extensions: "<extensions>".into(),
        },
        lab_client::Invalid::TasksFileShape {
            at: "<at>".into(),
            detail: "<detail>".into(),
        },
        lab_client::Invalid::NoTaskToCreate,
        lab_client::Invalid::TaskWithoutName {
            resources: "<resources>".into(),
        },
        lab_client::Invalid::TaskNameControl {
            name: "<name>".into(),
            character: "<character>".into(),
        },
        lab_client::Invalid::TaskNameTooLong {
            start: "<start>".into(),
            length: 7,
            max: 7,
        },
        lab_client::Invalid::ResourceNotFile {
            task: "<task>".into(),
            resource: "<resource>".into(),
        },
        lab_client::Invalid::ResourceEmpty {
            task: "<task>".into(),
            resource: "<resource>".into(),
        },
        lab_client::Invalid::NamesRepeated {
            count: 7,
            names: "<names>".into(),
        },
        lab_client::Invalid::NamesInBatch {
            count: 7,
            names: "<names>".into(),
        },
        lab_client::Invalid::TaskDataNotObject {
            task: "<task>".into(),
        },
        lab_client::Invalid::VerticesWithoutResolution {
            task: "<task>".into(),
        },
        lab_client::Invalid::BoundingPolyWithoutVertices {
            task: "<task>".into(),
        },
        lab_client::Invalid::NoSuchLabel {
            task: "<task>".into(),
            label: "<label>".into(),
        },
        lab_client::Invalid::InvalidData {
            task: "<task>".into(),
            problems: "<problems>".into(),
        },
        lab_client::Invalid::InvalidKiliData {
            task: "<task>".into(),
            problems: "<problems>".into(),
        },
        lab_client::Invalid::InvalidOverwrite {
            task: "<task>".into(),
            problems: "<problems>".into(),
        },
        lab_client::Invalid::TaskProblem {
            task: "<task>".into(),
            detail: Box::new(lab_client::Invalid::NoTaskId),
        },
        lab_client::Invalid::FormWithoutLayout,
        lab_client::Invalid::NoDataSchema {
            project_type: "<project_type>".into(),
        },
        lab_client::Invalid::BadSchema {
            what: "<what>".into(),
            detail: "<detail>".into(),
        },
        lab_client::Invalid::KiliForForm,
        lab_client::Invalid::KiliForSequence,
        lab_client::Invalid::KiliFormWithoutImageInput,
        lab_client::Invalid::KiliFormWithSeveralImageInputs,
        lab_client::Invalid::KiliNotAvailable {
            project_type: "<project_type>".into(),
        },
        lab_client::Invalid::PropertiesNotObject,
        lab_client::Invalid::UnknownProperty {
            name: "<name>".into(),
        },
        lab_client::Invalid::ScoreNotNumber {
            value: "<value>".into(),
        },
        lab_client::Invalid::CustomNotObject {
            value: "<value>".into(),
        },
        lab_client::Invalid::NothingToUpdate,
        lab_client::Invalid::NothingToRestore,
        lab_client::Invalid::PropertiesCallSize { max: 7, count: 7 },
    ]
}

/// The variant's place in `lab_client::Invalid`: no catch-all, so a new variant fails to compile here until
/// it has an example above.
fn client_invalid_index(e: &lab_client::Invalid) -> usize {
    match e {
        lab_client::Invalid::BadNamePattern { .. } => 0,
        lab_client::Invalid::BadDateCreatedAfter { .. } => 1,
        lab_client::Invalid::BadDateCreatedFrom { .. } => 2,
        lab_client::Invalid::BadDateCreatedBefore { .. } => 3,
        lab_client::Invalid::BadDateCreatedUntil { .. } => 4,
        lab_client::Invalid::BadDateUpdatedAfter { .. } => 5,
        lab_client::Invalid::BadDateUpdatedFrom { .. } => 6,
        lab_client::Invalid::BadDateUpdatedBefore { .. } => 7,
        lab_client::Invalid::BadDateUpdatedUntil { .. } => 8,
        lab_client::Invalid::BadProjectId { .. } => 9,
        lab_client::Invalid::BadBatchId { .. } => 10,
        lab_client::Invalid::BadFileId { .. } => 11,
        lab_client::Invalid::BadTaskId { .. } => 12,
        lab_client::Invalid::NoTaskId => 13,
        lab_client::Invalid::BatchWithoutName => 14,
        lab_client::Invalid::BadEndpoint { .. } => 15,
        lab_client::Invalid::EndpointNotHttp { .. } => 16,
        lab_client::Invalid::HttpClient { .. } => 17,
        lab_client::Invalid::BadApiPath { .. } => 18,
        lab_client::Invalid::BadResourceUrl { .. } => 19,
        lab_client::Invalid::ResourceWithoutFileId => 20,
        lab_client::Invalid::CannotPreview { .. } => 21,
        lab_client::Invalid::NotRegularFile { .. } => 22,
        lab_client::Invalid::EmptyFile { .. } => 23,
        lab_client::Invalid::NotImageName { .. } => 24,
        lab_client::Invalid::UnsupportedImage { .. } => 25,
        lab_client::Invalid::NotImageContent { .. } => 26,
        lab_client::Invalid::NoImageFound { .. } => 27,
        lab_client::Invalid::TasksFileShape { .. } => 28,
        lab_client::Invalid::NoTaskToCreate => 29,
        lab_client::Invalid::TaskWithoutName { .. } => 30,
        lab_client::Invalid::TaskNameControl { .. } => 31,
        lab_client::Invalid::TaskNameTooLong { .. } => 32,
        lab_client::Invalid::ResourceNotFile { .. } => 33,
        lab_client::Invalid::ResourceEmpty { .. } => 34,
        lab_client::Invalid::NamesRepeated { .. } => 35,
        lab_client::Invalid::NamesInBatch { .. } => 36,
        lab_client::Invalid::TaskDataNotObject { .. } => 37,
        lab_client::Invalid::VerticesWithoutResolution { .. } => 38,
        lab_client::Invalid::BoundingPolyWithoutVertices { .. } => 39,
        lab_client::Invalid::NoSuchLabel { .. } => 40,
        lab_client::Invalid::InvalidData { .. } => 41,
        lab_client::Invalid::InvalidKiliData { .. } => 42,
        lab_client::Invalid::InvalidOverwrite { .. } => 43,
        lab_client::Invalid::TaskProblem { .. } => 44,
        lab_client::Invalid::FormWithoutLayout => 45,
        lab_client::Invalid::NoDataSchema { .. } => 46,
        lab_client::Invalid::BadSchema { .. } => 47,
        lab_client::Invalid::KiliForForm => 48,
        lab_client::Invalid::KiliForSequence => 49,
        lab_client::Invalid::KiliFormWithoutImageInput => 50,
        lab_client::Invalid::KiliFormWithSeveralImageInputs => 51,
        lab_client::Invalid::KiliNotAvailable { .. } => 52,
        lab_client::Invalid::PropertiesNotObject => 53,
        lab_client::Invalid::UnknownProperty { .. } => 54,
        lab_client::Invalid::ScoreNotNumber { .. } => 55,
        lab_client::Invalid::CustomNotObject { .. } => 56,
        lab_client::Invalid::NothingToUpdate => 57,
        lab_client::Invalid::NothingToRestore => 58,
        lab_client::Invalid::PropertiesCallSize { .. } => 59,
    }
}

every_variant!(
    every_variant_of_client_invalid_has_its_english_in_the_catalogue,
    client_invalid_examples,
    client_invalid_index,
    60
);

/// One of every variant of `lab_jobs::Invalid`.
fn jobs_invalid_examples() -> Vec<lab_jobs::Invalid> {
    vec![
        lab_jobs::Invalid::CsvNoTaskLine,
        lab_jobs::Invalid::CsvHeader {
            detail: "<detail>".into(),
        },
        lab_jobs::Invalid::CsvNoNameColumn {
            columns: "<columns>".into(),
        },
        lab_jobs::Invalid::CsvUnnamedColumn,
        lab_jobs::Invalid::CsvColumnTwice {
            column: "<column>".into(),
        },
        lab_jobs::Invalid::CsvScoreNotNumber {
            line: 7,
            value: "<value>".into(),
        },
        lab_jobs::Invalid::CsvDataNotJson {
            line: 7,
            detail: "<detail>".into(),
        },
        lab_jobs::Invalid::CsvDataNotObject { line: 7 },
        lab_jobs::Invalid::CsvLine {
            line: 7,
            detail: "<detail>".into(),
        },
        lab_jobs::Invalid::ImageUndecodable {
            path: "<path>".into(),
            detail: "<detail>".into(),
        },
        lab_jobs::Invalid::ThumbnailNotMade {
            path: "<path>".into(),
            detail: "<detail>".into(),
        },
        lab_jobs::Invalid::DataSchemaUnusable {
            detail: "<detail>".into(),
        },
        lab_jobs::Invalid::TaskUnstorable {
            task: "<task>".into(),
            detail: "<detail>".into(),
        },
        lab_jobs::Invalid::RowsWithProblems {
            count: 7,
            names: "<names>".into(),
        },
        lab_jobs::Invalid::RowNamesInBatch {
            count: 7,
            names: "<names>".into(),
        },
        lab_jobs::Invalid::JobNamesInBatch {
            count: 7,
            names: "<names>".into(),
        },
        lab_jobs::Invalid::NothingToCreate,
    ]
}

/// The variant's place in `lab_jobs::Invalid`: no catch-all, so a new variant fails to compile here until
/// it has an example above.
fn jobs_invalid_index(e: &lab_jobs::Invalid) -> usize {
    match e {
        lab_jobs::Invalid::CsvNoTaskLine => 0,
        lab_jobs::Invalid::CsvHeader { .. } => 1,
        lab_jobs::Invalid::CsvNoNameColumn { .. } => 2,
        lab_jobs::Invalid::CsvUnnamedColumn => 3,
        lab_jobs::Invalid::CsvColumnTwice { .. } => 4,
        lab_jobs::Invalid::CsvScoreNotNumber { .. } => 5,
        lab_jobs::Invalid::CsvDataNotJson { .. } => 6,
        lab_jobs::Invalid::CsvDataNotObject { .. } => 7,
        lab_jobs::Invalid::CsvLine { .. } => 8,
        lab_jobs::Invalid::ImageUndecodable { .. } => 9,
        lab_jobs::Invalid::ThumbnailNotMade { .. } => 10,
        lab_jobs::Invalid::DataSchemaUnusable { .. } => 11,
        lab_jobs::Invalid::TaskUnstorable { .. } => 12,
        lab_jobs::Invalid::RowsWithProblems { .. } => 13,
        lab_jobs::Invalid::RowNamesInBatch { .. } => 14,
        lab_jobs::Invalid::JobNamesInBatch { .. } => 15,
        lab_jobs::Invalid::NothingToCreate => 16,
    }
}

every_variant!(
    every_variant_of_jobs_invalid_has_its_english_in_the_catalogue,
    jobs_invalid_examples,
    jobs_invalid_index,
    17
);

/// One of every variant of `lab_jobs::Missing`.
fn jobs_missing_examples() -> Vec<lab_jobs::Missing> {
    vec![
        lab_jobs::Missing::NoRow { row: 7, count: 7 },
        lab_jobs::Missing::NoJob { id: "<id>".into() },
    ]
}

/// The variant's place in `lab_jobs::Missing`: no catch-all, so a new variant fails to compile here until
/// it has an example above.
fn jobs_missing_index(e: &lab_jobs::Missing) -> usize {
    match e {
        lab_jobs::Missing::NoRow { .. } => 0,
        lab_jobs::Missing::NoJob { .. } => 1,
    }
}

every_variant!(
    every_variant_of_jobs_missing_has_its_english_in_the_catalogue,
    jobs_missing_examples,
    jobs_missing_index,
    2
);

/// One of every variant of `lab_jobs::Refused`.
fn jobs_refused_examples() -> Vec<lab_jobs::Refused> {
    vec![
        lab_jobs::Refused::RetryWhileRunning,
        lab_jobs::Refused::JobCancelled,
        lab_jobs::Refused::DamagedEntry {
            job: "<job>".into(),
            item: 7,
            detail: "<detail>".into(),
        },
        lab_jobs::Refused::DamagedJob {
            job: "<job>".into(),
            detail: "<detail>".into(),
        },
        lab_jobs::Refused::NewerJournal {
            path: "<path>".into(),
            version: 3,
            known: 2,
        },
    ]
}

/// The variant's place in `lab_jobs::Refused`: no catch-all, so a new variant fails to compile here until
/// it has an example above.
fn jobs_refused_index(e: &lab_jobs::Refused) -> usize {
    match e {
        lab_jobs::Refused::RetryWhileRunning => 0,
        lab_jobs::Refused::JobCancelled => 1,
        lab_jobs::Refused::DamagedEntry { .. } => 2,
        lab_jobs::Refused::DamagedJob { .. } => 3,
        lab_jobs::Refused::NewerJournal { .. } => 4,
    }
}

every_variant!(
    every_variant_of_jobs_refused_has_its_english_in_the_catalogue,
    jobs_refused_examples,
    jobs_refused_index,
    5
);

/// One of every variant of `lab_jobs::ItemNote`.
fn jobs_item_note_examples() -> Vec<lab_jobs::ItemNote> {
    vec![
        lab_jobs::ItemNote::NameInBatch,
        lab_jobs::ItemNote::NotCreated,
        lab_jobs::ItemNote::InDoubt,
    ]
}

/// The variant's place in `lab_jobs::ItemNote` (no catch-all).
fn jobs_item_note_index(e: &lab_jobs::ItemNote) -> usize {
    match e {
        lab_jobs::ItemNote::NameInBatch => 0,
        lab_jobs::ItemNote::NotCreated => 1,
        lab_jobs::ItemNote::InDoubt => 2,
    }
}

every_variant!(
    every_variant_of_jobs_item_note_has_its_english_in_the_catalogue,
    jobs_item_note_examples,
    jobs_item_note_index,
    3
);

/// One of every variant of `lab_export::BadFileName`.
fn export_badfilename_examples() -> Vec<lab_export::BadFileName> {
    vec![
        lab_export::BadFileName::ExportNameEmpty {
            name: "<name>".into(),
        },
        lab_export::BadFileName::ExportNameNotPlain {
            name: "<name>".into(),
        },
        lab_export::BadFileName::ExportNameExtension {
            name: "<name>".into(),
            extension: "<extension>".into(),
            format: "<format>".into(),
        },
    ]
}

/// The variant's place in `lab_export::BadFileName`: no catch-all, so a new variant fails to compile here until
/// it has an example above.
fn export_badfilename_index(e: &lab_export::BadFileName) -> usize {
    match e {
        lab_export::BadFileName::ExportNameEmpty { .. } => 0,
        lab_export::BadFileName::ExportNameNotPlain { .. } => 1,
        lab_export::BadFileName::ExportNameExtension { .. } => 2,
    }
}

every_variant!(
    every_variant_of_export_badfilename_has_its_english_in_the_catalogue,
    export_badfilename_examples,
    export_badfilename_index,
    3
);

/// One of every variant of `lab_jobs::ScanWarning`.
fn jobs_scan_warning_examples() -> Vec<lab_jobs::ScanWarning> {
    vec![
        lab_jobs::ScanWarning::FolderUnopenable {
            path: "<path>".into(),
            detail: "<detail>".into(),
        },
        lab_jobs::ScanWarning::FolderLoop {
            path: "<path>".into(),
            target: "<target>".into(),
        },
        lab_jobs::ScanWarning::FolderUnlistable {
            path: "<path>".into(),
            detail: "<detail>".into(),
        },
        lab_jobs::ScanWarning::FolderTooDeep {
            path: "<path>".into(),
            levels: 3,
        },
    ]
}

/// The variant's place in `lab_jobs::ScanWarning` (no catch-all).
fn jobs_scan_warning_index(e: &lab_jobs::ScanWarning) -> usize {
    match e {
        lab_jobs::ScanWarning::FolderUnopenable { .. } => 0,
        lab_jobs::ScanWarning::FolderLoop { .. } => 1,
        lab_jobs::ScanWarning::FolderUnlistable { .. } => 2,
        lab_jobs::ScanWarning::FolderTooDeep { .. } => 3,
    }
}

every_variant!(
    every_variant_of_jobs_scan_warning_has_its_english_in_the_catalogue,
    jobs_scan_warning_examples,
    jobs_scan_warning_index,
    4
);
