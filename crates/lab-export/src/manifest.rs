//! The manifest written beside every export (`{name}.manifest.json`): what was exported (the
//! filter or selection, the task ids), how (format and its version, options, Lab Desk's
//! version), when, the counts, and a SHA-256 per written file, so an export can be checked and
//! run again. It is a sidecar: the SDK formats' own files stay byte-identical to the SDK's.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Version of the manifest's own layout.
pub const MANIFEST_VERSION: u32 = 1;

/// Writes through to `inner` and hashes every byte on the way.
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer, the hex SHA-256 and the byte count of what went through.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One file the export wrote.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManifestFile {
    /// Relative to the manifest's folder, with `/` separators.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A task whose image could not be put in the export.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MissingImage {
    pub task_id: String,
    pub task_name: String,
    /// What kind of failure (a stable code for translations).
    pub kind: crate::images::MissKind,
    /// Its detail (a URL, a path, the server's words).
    #[serde(default)]
    pub detail: String,
    /// The whole sentence, in English.
    pub reason: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ManifestCounts {
    pub tasks: u64,
    /// Files written (label files, images, PNGs; tasks for JSON).
    pub files: u64,
    pub warnings: u64,
    pub missing_images: u64,
    /// YOLO dataset: tasks per split, in split order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub splits: Vec<(String, u64)>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManifestFormat {
    pub id: String,
    pub version: String,
    /// Whether the file is byte-identical to the isahitlab SDK's export.
    pub sdk_identical: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Generator {
    pub name: String,
    pub version: String,
}

impl Default for Generator {
    fn default() -> Self {
        Self {
            name: "Lab Desk".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The manifest file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub manifest_version: u32,
    pub generator: Generator,
    /// RFC 3339, local time with its offset.
    pub created_at: String,
    pub project_id: String,
    pub format: ManifestFormat,
    pub options: crate::format::ExportOptions,
    /// The filter or selection the tasks came from (as the caller described it).
    pub scope: Value,
    pub counts: ManifestCounts,
    /// Tasks exported, in export order.
    pub task_ids: Vec<String>,
    pub files: Vec<ManifestFile>,
    /// First warnings (the count is in `counts`).
    pub warnings: Vec<String>,
    pub missing_images: Vec<MissingImage>,
}

/// The manifest path of an export written to `dest` (`a.json` → `a.manifest.json`,
/// folder `masks` → `masks.manifest.json`).
pub fn manifest_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = [".json", ".zip"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(&name);
    dest.with_file_name(format!("{stem}.manifest.json"))
}

/// The COCO export's images zip beside `dest` (`a.json` → `a_images.zip`).
pub fn images_zip_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    dest.with_file_name(format!("{stem}_images.zip"))
}

/// Reads a manifest (for "Run again" and checks), with a message saying what is wrong.
pub fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the manifest {}: {e}", path.display()))?;
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a Lab Desk export manifest: {e}", path.display()))?;
    if m.manifest_version > MANIFEST_VERSION {
        return Err(format!(
            "{} was written by a newer Lab Desk (manifest version {}): update Lab Desk to read it",
            path.display(),
            m.manifest_version
        ));
    }
    Ok(m)
}

/// Checks the files listed in a manifest against their SHA-256: the paths that differ or are
/// gone (empty when the export is intact).
pub fn verify(manifest_file: &Path, m: &Manifest) -> Vec<String> {
    let dir = manifest_file.parent().unwrap_or(Path::new("."));
    m.files
        .iter()
        .filter(|f| {
            let p = dir.join(&f.path);
            let ok = std::fs::File::open(&p).and_then(|mut file| {
                let mut h = HashingWriter::new(io::sink());
                io::copy(&mut file, &mut h)?;
                let (_, hex, n) = h.finish();
                Ok(hex == f.sha256 && n == f.bytes)
            });
            !ok.unwrap_or(false)
        })
        .map(|f| f.path.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_writer_matches_a_one_shot_hash() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (inner, hex, n) = w.finish();
        assert_eq!(inner, b"hello world");
        assert_eq!(n, 11);
        assert_eq!(hex, sha256_hex(b"hello world"));
        assert_eq!(
            hex,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
    }

    #[test]
    fn sidecar_names() {
        assert_eq!(
            manifest_path(Path::new("/o/a.json")),
            PathBuf::from("/o/a.manifest.json")
        );
        assert_eq!(
            manifest_path(Path::new("/o/y.zip")),
            PathBuf::from("/o/y.manifest.json")
        );
        assert_eq!(
            manifest_path(Path::new("/o/masks")),
            PathBuf::from("/o/masks.manifest.json")
        );
        assert_eq!(
            images_zip_path(Path::new("/o/c.json")),
            PathBuf::from("/o/c_images.zip")
        );
    }
}
