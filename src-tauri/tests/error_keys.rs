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
