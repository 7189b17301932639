//! `tauri info`-style validation of the bundle settings for every platform (the .deb is built and
//! installed by tests/package/run; the macOS .dmg and Windows .msi/NSIS settings are checked here
//! even though they are not built on this machine).
//!
//! The schema is the one shipped in the Tauri CLI npm package (`ui/node_modules/@tauri-apps/cli/
//! config.schema.json`), so the check runs offline and follows the CLI version in package-lock.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn conf() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tauri.conf.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn schema() -> jsonschema::Validator {
    let p = root().join("ui/node_modules/@tauri-apps/cli/config.schema.json");
    let text = std::fs::read(&p).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run `npm ci` in ui/ (scripts/setup does)",
            p.display()
        )
    });
    let schema: Value = serde_json::from_slice(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the Tauri config schema compiles")
}

fn errors(v: &jsonschema::Validator, c: &Value) -> Vec<String> {
    v.iter_errors(c)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn config_matches_the_tauri_schema() {
    let v = schema();
    let c = conf();
    let errs = errors(&v, &c);
    assert!(errs.is_empty(), "tauri.conf.json: {errs:#?}");
    // the schema really checks the platform sections: a wrong value is refused
    let mut bad = c.clone();
    bad["bundle"]["windows"]["nsis"]["installMode"] = json!("everyone");
    bad["bundle"]["macOS"]["dmg"]["windowSize"] = json!({"width": "wide"});
    let errs = errors(&v, &bad);
    assert!(errs.len() >= 2, "{errs:#?}");
}

#[test]
fn names_and_versions_agree() {
    let c = conf();
    assert_eq!(c["productName"], "Lab Desk");
    assert_eq!(c["mainBinaryName"], "labdesk");
    assert_eq!(c["app"]["windows"][0]["title"], "Lab Desk");
    assert_eq!(
        c["version"],
        env!("CARGO_PKG_VERSION"),
        "tauri.conf.json vs Cargo"
    );
    let ui: Value =
        serde_json::from_slice(&std::fs::read(root().join("ui/package.json")).unwrap()).unwrap();
    assert_eq!(
        ui["version"],
        env!("CARGO_PKG_VERSION"),
        "ui/package.json vs Cargo"
    );
    let id = c["identifier"].as_str().unwrap();
    let re = regex::Regex::new(r"^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*){2,}$").unwrap();
    assert!(re.is_match(id), "identifier {id} is not reverse DNS");
    assert!(
        !id.ends_with(".app"),
        "macOS refuses identifiers ending in .app"
    );
    let b = &c["bundle"];
    for k in [
        "publisher",
        "copyright",
        "license",
        "category",
        "shortDescription",
    ] {
        assert!(
            b[k].as_str().is_some_and(|s| !s.trim().is_empty()),
            "bundle.{k}"
        );
    }
}

/// (width, height, bit depth, colour type) from a PNG header.
fn png_header(bytes: &[u8]) -> Option<(u32, u32, u8, u8)> {
    if bytes.len() < 29 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Some((be(16), be(20), bytes[24], bytes[25]))
}

#[test]
fn every_icon_exists_and_pngs_are_rgba_at_their_size() {
    let c = conf();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let icons: Vec<&str> = c["bundle"]["icon"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for want in [".png", ".icns", ".ico"] {
        assert!(icons.iter().any(|i| i.ends_with(want)), "no {want} icon");
    }
    let size_re = regex::Regex::new(r"(\d+)x(\d+)(@2x)?\.png$").unwrap();
    for icon in &icons {
        let bytes = std::fs::read(dir.join(icon)).unwrap_or_else(|_| panic!("{icon} missing"));
        if icon.ends_with(".png") {
            let (w, h, depth, colour) = png_header(&bytes).unwrap_or_else(|| panic!("{icon}"));
            assert_eq!((depth, colour), (8, 6), "{icon} must be 8-bit RGBA");
            assert_eq!(w, h, "{icon} must be square");
            if let Some(m) = size_re.captures(icon) {
                let n: u32 = m[1].parse().unwrap();
                let scale = if m.get(3).is_some() { 2 } else { 1 };
                assert_eq!(w, n * scale, "{icon} size");
            }
        } else if icon.ends_with(".icns") {
            assert_eq!(&bytes[..4], b"icns", "{icon}");
            let len = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
            assert_eq!(len, bytes.len(), "{icon} length");
            // entries: 4-byte type + 4-byte length each
            let mut types = Vec::new();
            let mut i = 8;
            while i + 8 <= bytes.len() {
                types.push(String::from_utf8_lossy(&bytes[i..i + 4]).into_owned());
                let l = u32::from_be_bytes([bytes[i + 4], bytes[i + 5], bytes[i + 6], bytes[i + 7]])
                    as usize;
                assert!(l >= 8, "{icon}: bad entry");
                i += l;
            }
            for t in ["ic07", "ic08", "ic09", "ic10"] {
                assert!(types.iter().any(|x| x == t), "{icon} lacks {t}: {types:?}");
            }
        } else if icon.ends_with(".ico") {
            assert_eq!(&bytes[..4], &[0, 0, 1, 0], "{icon} is not an .ico");
            let count = u16::from_le_bytes([bytes[4], bytes[5]]) as usize;
            let sizes: Vec<u32> = (0..count)
                .map(|k| {
                    let w = bytes[6 + 16 * k];
                    if w == 0 { 256 } else { u32::from(w) }
                })
                .collect();
            for s in [16, 32, 48, 256] {
                assert!(sizes.contains(&s), "{icon} lacks {s}px: {sizes:?}");
            }
        }
    }
    // the sizes the Linux desktop (and `tauri icon`) use are all there
    for n in [
        "32x32.png",
        "64x64.png",
        "128x128.png",
        "128x128@2x.png",
        "icon.png",
    ] {
        assert!(
            icons.iter().any(|i| i.ends_with(n)),
            "bundle.icon lacks {n}"
        );
    }
}

#[test]
fn platform_bundles_are_configured() {
    let c = conf();
    let b = &c["bundle"];
    // macOS .dmg
    let min = b["macOS"]["minimumSystemVersion"].as_str().unwrap();
    let parts: Vec<u32> = min.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(
        parts >= vec![10, 15],
        "macOS {min}: WebKit APIs used need 10.15+"
    );
    assert!(b["macOS"]["dmg"]["windowSize"]["width"].as_u64().unwrap() >= 400);
    // Windows .msi (WiX) and NSIS, both in English and French
    let wix: Vec<&str> = b["windows"]["wix"]["language"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(wix.contains(&"en-US") && wix.contains(&"fr-FR"), "{wix:?}");
    let upgrade = b["windows"]["wix"]["upgradeCode"].as_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(upgrade).is_ok(),
        "WiX upgradeCode must stay a fixed UUID"
    );
    let nsis: Vec<&str> = b["windows"]["nsis"]["languages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        nsis.contains(&"English") && nsis.contains(&"French"),
        "{nsis:?}"
    );
    assert_eq!(b["windows"]["nsis"]["installMode"], "currentUser");
    // Linux .deb
    assert!(b["targets"].as_array().unwrap().contains(&json!("deb")));
    assert!(b["linux"]["deb"]["section"].is_string());
}
