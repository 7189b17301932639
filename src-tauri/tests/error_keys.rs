//! The error keys the backend sends (`AppError::msg(…, "err.…", …)`, the libraries' `Message`)
//! and the window's catalogue of them (ui/src/i18n/messages/errors.ts) agree: every key sent
//! is in messages.rs, whose English the catalogue has word for word (that the catalogue has
//! exactly those keys in English and French is tsc's check, over the generated `ErrorKey`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("a source folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_none_or(|n| n != "tests.rs")
        {
            out.push(p);
        }
    }
}

fn keys_sent() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_sources(&root.join("src"), &mut files);
    rust_sources(&root.join("../crates/labdesk-app/src"), &mut files);
    let re = Regex::new(r#""(err\.[A-Za-z]+)""#).unwrap();
    let mut keys = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // code only: stop at the unit tests of the file
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        keys.extend(re.captures_iter(code).map(|c| c[1].to_string()));
    }
    keys
}

#[test]
fn every_key_sent_has_its_english_in_the_table() {
    // the window's catalogue is a Record<ErrorKey, …> over exactly OWN and LIBRARY (generated
    // ui/src/bindings/ErrorKey.ts, checked by tsc): a key sent outside them would show English
    let sent = keys_sent();
    assert!(sent.len() >= 10, "found only {sent:?}");
    let table: BTreeSet<String> = labdesk_app::messages::OWN
        .iter()
        .chain(labdesk_app::messages::LIBRARY)
        .map(|(k, _)| (*k).to_owned())
        .collect();
    let missing: Vec<_> = sent.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "keys sent by the backend without their English in messages.rs: {missing:?}"
    );
}

/// The English catalogue: key → message text.
fn english() -> std::collections::BTreeMap<String, String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/i18n/messages/errors.ts");
    let text = std::fs::read_to_string(&p).expect("ui/src/i18n/messages/errors.ts");
    let (en, _) = text.split_once("fr: {").expect("an en and a fr part");
    let re = Regex::new(r#""(err\.[A-Za-z]+)":\s*"((?:[^"\\]|\\.)*)""#).unwrap();
    re.captures_iter(en)
        .map(|c| (c[1].to_string(), unescape(&c[2])))
        .collect()
}

/// The text of a TypeScript string literal's body (the escapes errors.ts uses).
fn unescape(s: &str) -> String {
    s.replace("\\u00a0", "\u{a0}")
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

/// Rust code (not unit tests) of the shell and the app core outside messages.rs, where the keys
/// are sent.
fn code_outside_the_table() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_sources(&root.join("src"), &mut files);
    rust_sources(&root.join("../crates/labdesk-app/src"), &mut files);
    files
        .iter()
        .filter(|f| f.file_name().is_none_or(|n| n != "messages.rs"))
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_catalogue_has_the_english_of_every_backend_message() {
    use labdesk_app::messages::{LIBRARY, OWN};
    let en = english();
    for (key, template) in OWN.iter().chain(LIBRARY) {
        assert_eq!(
            en.get(*key).map(String::as_str),
            Some(*template),
            "{key}: the window's English differs from messages.rs"
        );
    }
}

#[test]
fn every_message_composed_here_is_sent_somewhere() {
    let code = code_outside_the_table();
    let unused: Vec<_> = labdesk_app::messages::OWN
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !code.contains(&format!("\"{k}\"")))
        .collect();
    assert!(
        unused.is_empty(),
        "keys of messages.rs OWN never sent: {unused:?}"
    );
    // and every key given to AppError::msg has its English there
    let own: BTreeSet<&str> = labdesk_app::messages::OWN.iter().map(|(k, _)| *k).collect();
    let call = Regex::new(r#"AppError::msg\(\s*[\w:]+,\s*"(err\.[A-Za-z]+)""#).unwrap();
    let calls: Vec<String> = call
        .captures_iter(&code)
        .map(|c| c[1].to_string())
        .collect();
    assert!(calls.len() >= own.len(), "found only {calls:?}");
    let missing: Vec<_> = calls.iter().filter(|k| !own.contains(k.as_str())).collect();
    assert!(
        missing.is_empty(),
        "keys sent with AppError::msg but not in OWN: {missing:?}"
    );
}

/// One error of every keyed kind, as the backend builds them.
fn samples() -> Vec<labdesk_app::error::AppError> {
    use lab_client::ErrorKind as K;
    use labdesk_app::client_errors::{Stage, map_kind};
    use labdesk_app::export::{
        ExportRecipe, ExportScope, Format, check_target, io_error, map_export,
    };
    use std::io::{Error as IoError, ErrorKind as Io};
    let mut v = vec![
        map_kind(K::Auth, "401", None, Stage::SignIn, "lab.example"),
        map_kind(K::Auth, "401", None, Stage::Session, "lab.example"),
        map_kind(K::Offline, "refused", None, Stage::Session, "lab.example"),
        map_kind(K::Forbidden, "403", None, Stage::Session, "lab.example"),
        map_kind(K::Server, "HTTP 502", None, Stage::Session, "lab.example"),
        map_kind(K::Cancelled, "", None, Stage::Session, "lab.example"),
        labdesk_app::error::AppError::not_connected(),
        map_export(lab_export::ExportError::Cancelled, ""),
        map_export(lab_export::ExportError::NothingToExport, ""),
        map_export(
            lab_export::ExportError::AlreadyExists("/tmp/out/tasks.json".into()),
            "",
        ),
    ];
    let p = Path::new("/tmp/out/tasks.json");
    for kind in [
        Io::PermissionDenied,
        Io::StorageFull,
        Io::NotFound,
        Io::IsADirectory,
        Io::Other,
    ] {
        v.push(io_error(p, &IoError::new(kind, "os says no")));
    }
    let recipe = ExportRecipe {
        project_id: "p".into(),
        scope: ExportScope::Selection {
            ids: vec!["t1".into()],
        },
        format: Format::Lab,
        folder: "/no/such/folder/for/lab/desk".into(),
        file_name: "tasks.json".into(),
        replace_extension: false,
        semantic_mapping: vec![],
        input_id: None,
        images: false,
        split: vec![],
        seed: 0,
    };
    v.push(check_target(&recipe).expect_err("a missing folder is refused"));
    v.extend(library_samples());
    v
}

/// Errors of lab-client, lab-jobs and lab-export with the libraries' real wording, as the
/// backend maps them: each carries its key.
fn library_samples() -> Vec<labdesk_app::error::AppError> {
    use labdesk_app::client_errors::{Stage, map};
    use labdesk_app::export::{ExportRecipe, ExportScope, Format, check_target, map_export};
    let client = |e: lab_client::Error| map(&e, Stage::Session, "http://lab.example/");
    let mut v = Vec::new();

    // task filters: a bad pattern, a bad date in each of the eight date fields
    let mut f = lab_client::TaskFilter::new("p");
    f.name_like = Some("img_(".into());
    v.push(client(f.validate().expect_err("an unclosed group")));
    for created in [true, false] {
        for slot in 0..4 {
            let mut f = lab_client::TaskFilter::new("p");
            let range = if created {
                &mut f.created_at
            } else {
                &mut f.updated_at
            };
            let date = Some("19/09/2022".to_owned());
            match slot {
                0 => range.gt = date,
                1 => range.gte = date,
                2 => range.lt = date,
                _ => range.lte = date,
            }
            v.push(client(f.validate().expect_err("a date the lab refuses")));
        }
    }

    // answers of the server, local files
    v.push(client(lab_client::Error::BadRequest {
        code: Some("BATCH_LOCKED".into()),
        message: "batch is locked".into(),
    }));
    v.push(client(lab_client::Error::BadRequest {
        code: None,
        message: "bad things".into(),
    }));
    v.push(client(lab_client::Error::NotFound(
        "project p1 (check the project id)".into(),
    )));
    v.push(client(lab_client::Error::Decode {
        what: "tasks".into(),
        message: "missing field `_id` at tasks[0]".into(),
    }));

    // tasks refused before anything is sent (the endpoint is never contacted)
    let lab = lab_client::LabClient::new(
        "http://127.0.0.1:9/",
        lab_client::Credentials::new("id", "secret"),
        lab_client::ClientOptions::default(),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let refused = |tasks: Vec<lab_client::ops::TaskInput>| {
        let e = runtime
            .block_on(lab_client::ops::create_tasks(
                &lab,
                "p",
                "b",
                tasks,
                lab_client::ops::CreateOptions::default(),
                None,
                tokio_util::sync::CancellationToken::new(),
            ))
            .expect_err("refused before any call");
        client(e)
    };
    let named = |name: &str| lab_client::ops::TaskInput {
        name: name.into(),
        ..Default::default()
    };
    v.push(refused(vec![]));
    v.push(refused(vec![named("  ")]));
    v.push(refused(vec![named("a\u{7}b.png")]));
    v.push(refused(vec![named(&"n".repeat(300))]));

    // images dropped to create tasks
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let from = |p: std::path::PathBuf| {
        client(lab_client::ops::TaskInput::from_files(&[p]).expect_err("refused"))
    };
    v.push(from(file("empty.png", b"")));
    v.push(from(file("notes.txt", b"hello")));
    v.push(from(file("fake.png", b"hello, not a png")));
    v.push(from(dir.path().join("missing.png")));
    let empty = dir.path().join("nothing-here");
    std::fs::create_dir(&empty).unwrap();
    v.push(from(empty));

    // the create table (lab-jobs)
    use lab_client::ops::DuplicatePolicy;
    use lab_jobs::Preflight;
    let jobs = |e: lab_jobs::Error| labdesk_app::create::app_error(e, "http://lab.example/");
    let list = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let r = if name.ends_with(".csv") {
            Preflight::from_csv_file(&p)
        } else {
            Preflight::from_json_file(&p)
        };
        jobs(r.expect_err("a task list the window refuses"))
    };
    v.push(list("header-only.csv", "name,resource\n"));
    v.push(list("no-name.csv", "title,resource\nx,y\n"));
    v.push(list("blank-column.csv", "name,,resource\nx,1,y\n"));
    v.push(list("twice.csv", "name,tag,tag\nx,1,2\n"));
    v.push(list("score.csv", "name,score\nx,high\n"));
    v.push(list("data.csv", "name,data\nx,{oops\n"));
    v.push(list("data-list.csv", "name,data\nx,[1]\n"));
    v.push(list("ragged.csv", "name,resource\nx,y,z\n"));
    v.push(list("tasks.json", "{\"name\": \"x\"}"));
    let mut pf = Preflight::from_csv_str("name,resource\na,/no/such/image.png\n", None).unwrap();
    v.push(jobs(
        pf.tasks_to_create(DuplicatePolicy::Refuse)
            .expect_err("a missing image blocks its row"),
    ));
    pf.set_skip(0, true).unwrap();
    v.push(jobs(
        pf.tasks_to_create(DuplicatePolicy::Refuse)
            .expect_err("every row skipped"),
    ));

    // export file names and a listing that stopped
    let recipe = |name: &str| ExportRecipe {
        project_id: "p".into(),
        scope: ExportScope::Selection {
            ids: vec!["t1".into()],
        },
        format: Format::Lab,
        folder: dir.path().display().to_string(),
        file_name: name.into(),
        replace_extension: false,
        semantic_mapping: vec![],
        input_id: None,
        images: false,
        split: vec![],
        seed: 0,
    };
    for name in ["../tasks.json", "tasks.txt"] {
        v.push(check_target(&recipe(name)).expect_err("a bad file name"));
    }
    v.push(map_export(
        lab_export::ExportError::ListingStopped("page 3 failed".into()),
        "",
    ));
    v
}

#[test]
fn the_catalogue_says_in_english_what_the_backend_says() {
    let en = english();
    let placeholder = Regex::new(r"\{(\w+)\}").unwrap();
    let mut covered = BTreeSet::new();
    for e in samples() {
        let key = e.key.clone().unwrap_or_else(|| panic!("no key on {e:?}"));
        let template = en
            .get(&key)
            .unwrap_or_else(|| panic!("{key} is not in the catalogue"));
        let mut params = e.params.clone().unwrap_or_default();
        if let Some(d) = &e.detail {
            params.insert("detail".into(), render_message(&en, d));
        }
        let names: BTreeSet<String> = placeholder
            .captures_iter(template)
            .map(|c| c[1].to_string())
            .collect();
        assert_eq!(
            names,
            params.keys().cloned().collect::<BTreeSet<_>>(),
            "{key}: the message's placeholders and the values sent differ"
        );
        let rendered =
            placeholder.replace_all(template, |c: &regex::Captures| params[&c[1]].clone());
        assert_eq!(
            rendered, e.message,
            "{key}: the window's English differs from the backend's"
        );
        covered.insert(key);
    }
    // the messages composed from messages.rs are rendered from the catalogue's English
    // (checked above); every variant of the libraries' errors is checked by
    // tests/error_variants.rs
    covered.extend(
        labdesk_app::messages::OWN
            .iter()
            .map(|(k, _)| (*k).to_string()),
    );
    covered.extend(
        labdesk_app::messages::LIBRARY
            .iter()
            .map(|(k, _)| (*k).to_string()),
    );
    let all: BTreeSet<String> = en.keys().cloned().collect();
    assert_eq!(covered, all, "every catalogue message has a sample here");
}

/// The catalogue's English of `m`, its inner message filling `{detail}`.
fn render_message(
    en: &std::collections::BTreeMap<String, String>,
    m: &lab_client::Message,
) -> String {
    let template = en
        .get(&m.key)
        .unwrap_or_else(|| panic!("{} is not in the catalogue", m.key));
    let mut params: Vec<(String, String)> = m
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(d) = &m.detail {
        params.push(("detail".into(), render_message(en, d)));
    }
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    labdesk_app::messages::render(template, &refs)
}
