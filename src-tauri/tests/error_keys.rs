//! The error keys the backend sends (`AppError::keyed("err.…")`) and the window's catalogue of
//! them (ui/src/i18n/messages/errors.ts) agree: every key sent has an English and a French
//! message, and every message in the catalogue is one the backend can send.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src-tauri/src").flatten() {
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

/// (English keys, French keys) of the catalogue.
fn catalogue() -> (BTreeSet<String>, BTreeSet<String>) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/i18n/messages/errors.ts");
    let text = std::fs::read_to_string(&p).expect("ui/src/i18n/messages/errors.ts");
    let (en, fr) = text.split_once("fr: {").expect("an en and a fr part");
    let re = Regex::new(r#""(err\.[A-Za-z]+)":"#).unwrap();
    let keys =
        |s: &str| -> BTreeSet<String> { re.captures_iter(s).map(|c| c[1].to_string()).collect() };
    (keys(en), keys(fr))
}

#[test]
fn every_key_sent_is_translated_and_every_translation_is_used() {
    let sent = keys_sent();
    assert!(sent.len() >= 10, "found only {sent:?}");
    let (en, fr) = catalogue();
    let missing_en: Vec<_> = sent.difference(&en).collect();
    let missing_fr: Vec<_> = sent.difference(&fr).collect();
    let unused: Vec<_> = en.difference(&sent).collect();
    assert!(
        missing_en.is_empty() && missing_fr.is_empty(),
        "keys sent by the backend without a message: en {missing_en:?}, fr {missing_fr:?}"
    );
    assert!(
        unused.is_empty(),
        "catalogue keys the backend never sends: {unused:?}"
    );
}

/// The English catalogue: key → message text.
fn english() -> std::collections::BTreeMap<String, String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/i18n/messages/errors.ts");
    let text = std::fs::read_to_string(&p).expect("ui/src/i18n/messages/errors.ts");
    let (en, _) = text.split_once("fr: {").expect("an en and a fr part");
    let re = Regex::new(r#""(err\.[A-Za-z]+)":\s*"((?:[^"\\]|\\.)*)""#).unwrap();
    re.captures_iter(en)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

/// One error of every keyed kind, as the backend builds them.
fn samples() -> Vec<labdesk_lib::error::AppError> {
    use lab_client::ErrorKind as K;
    use labdesk_lib::client_errors::{Stage, map_kind};
    use labdesk_lib::export::{
        ExportRecipe, ExportScope, Format, check_target, io_error, map_export,
    };
    use std::io::{Error as IoError, ErrorKind as Io};
    let mut v = vec![
        map_kind(K::Auth, "401", Stage::SignIn, "lab.example"),
        map_kind(K::Auth, "401", Stage::Session, "lab.example"),
        map_kind(K::Offline, "refused", Stage::Session, "lab.example"),
        map_kind(K::Forbidden, "403", Stage::Session, "lab.example"),
        map_kind(K::Server, "HTTP 502", Stage::Session, "lab.example"),
        map_kind(K::Cancelled, "", Stage::Session, "lab.example"),
        labdesk_lib::error::AppError::not_connected(),
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
    };
    v.push(check_target(&recipe).expect_err("a missing folder is refused"));
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
        let params = e.params.clone().unwrap_or_default();
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
    let all: BTreeSet<String> = en.keys().cloned().collect();
    assert_eq!(covered, all, "every catalogue message has a sample here");
}
