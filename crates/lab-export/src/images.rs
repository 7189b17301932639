//! The task images that the COCO (with images) and YOLO dataset exports put beside the labels.
//!
//! A task's image is its first resource: a URL (downloaded), an uploaded file `{id, name}`
//! (downloaded where the lab serves it, otherwise the local file it was created from when this
//! computer knows it) or a `resource://` link (local copy only). An image that cannot be had is
//! reported for its task, with the reason; it is never dropped silently.

use bytes::Bytes;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// Why a task's image is not in an export.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "MissingKind"))]
pub enum MissKind {
    /// The task has no resource.
    NoImage,
    /// An uploaded file the lab does not serve, with no local copy.
    NotServed,
    /// A URL that could not be downloaded.
    DownloadFailed,
    /// A `resource://` link (inside the lab), with no local copy.
    LinkOnly,
    /// The local copy could not be read.
    LocalUnreadable,
    /// What came back is not an image.
    NotAnImage,
    /// The export was given no image source (library use without a lab).
    NoSource,
}

/// Why an image could not be had: its kind, the detail (a URL, a path, the server's or the
/// system's words) and the whole sentence in English (`lab`, the manifest).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageMiss {
    pub kind: MissKind,
    pub detail: String,
    pub reason: String,
}

impl ImageMiss {
    pub fn new(kind: MissKind, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let reason = match kind {
            MissKind::NoImage => "the task has no image".to_string(),
            MissKind::NotServed => format!(
                "the lab does not let its uploaded image be downloaded ({detail}) and this computer has no copy of it"
            ),
            MissKind::DownloadFailed => format!("its image could not be downloaded ({detail})"),
            MissKind::LinkOnly => format!(
                "its image {detail} is a link inside the lab that cannot be downloaded, and this computer has no copy of it"
            ),
            MissKind::LocalUnreadable => {
                format!("the file it was created from cannot be read ({detail})")
            }
            MissKind::NotAnImage => "what was downloaded is not an image".to_string(),
            MissKind::NoSource => "no image source was given".to_string(),
        };
        Self {
            kind,
            detail,
            reason,
        }
    }
}

impl std::fmt::Display for ImageMiss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Where an export gets each task's image bytes.
pub trait ImageSource: Send + Sync {
    /// The bytes of the task's image, or why there are none.
    fn fetch<'a>(&'a self, task: &'a Value) -> BoxFuture<'a, Result<Bytes, ImageMiss>>;
}

/// Finds the local file a task was created from, by task id (the create job journal).
pub type LocalLookup = Arc<dyn Fn(&str) -> Option<PathBuf> + Send + Sync>;

/// A [`LocalLookup`] that can sit in request structs (`Debug`, `Clone`).
#[derive(Clone)]
pub struct LocalFiles(pub LocalLookup);

impl std::fmt::Debug for LocalFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalFiles(..)")
    }
}

/// Images from the lab (URLs and uploaded files), then from the local files.
pub struct LabImages {
    pub client: lab_client::LabClient,
    pub local: Option<LocalFiles>,
}

/// The first resource of a task.
pub fn first_resource(task: &Value) -> Option<&Value> {
    task.get("resources")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
}

impl LabImages {
    async fn local_copy(&self, task: &Value) -> Option<Result<Bytes, ImageMiss>> {
        let id = task.get("_id").and_then(Value::as_str)?;
        let path = (self.local.as_ref()?.0)(id)?;
        Some(match tokio::fs::read(&path).await {
            Ok(b) => Ok(Bytes::from(b)),
            Err(e) => Err(ImageMiss::new(
                MissKind::LocalUnreadable,
                format!("{}: {e}", path.display()),
            )),
        })
    }
}

impl ImageSource for LabImages {
    fn fetch<'a>(&'a self, task: &'a Value) -> BoxFuture<'a, Result<Bytes, ImageMiss>> {
        Box::pin(async move {
            let Some(resource) = first_resource(task) else {
                return Err(ImageMiss::new(MissKind::NoImage, ""));
            };
            let remote = match resource {
                Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => Some(
                    self.client
                        .fetch_resource(resource)
                        .await
                        .map_err(|e| ImageMiss::new(MissKind::DownloadFailed, format!("{s}: {e}"))),
                ),
                Value::Object(_) => Some(
                    self.client
                        .fetch_resource(resource)
                        .await
                        .map_err(|e| ImageMiss::new(MissKind::NotServed, e.to_string())),
                ),
                _ => None,
            };
            match remote {
                Some(Ok(b)) => Ok(b),
                Some(Err(why)) => self.local_copy(task).await.unwrap_or(Err(why)),
                None => self.local_copy(task).await.unwrap_or_else(|| {
                    Err(ImageMiss::new(
                        MissKind::LinkOnly,
                        match resource {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        },
                    ))
                }),
            }
        })
    }
}

/// No images at all (exports run without a lab, in tests).
pub struct NoImages;

impl ImageSource for NoImages {
    fn fetch<'a>(&'a self, _task: &'a Value) -> BoxFuture<'a, Result<Bytes, ImageMiss>> {
        Box::pin(async { Err(ImageMiss::new(MissKind::NoSource, "")) })
    }
}

/// The extension of a name when it is an image one (lower case, with the dot), from the
/// extensions tasks are created from (`lab_client::ops::IMAGE_EXTENSIONS`).
pub fn image_extension(name: &str) -> Option<String> {
    let i = name.rfind('.')?;
    let ext = name[i..].to_ascii_lowercase();
    lab_client::ops::IMAGE_EXTENSIONS
        .contains(&&ext[1..])
        .then_some(ext)
}

/// The task name without an image extension (`cat.jpg` → `cat`; `v1.2` stays).
pub fn stem_of(name: &str) -> &str {
    match image_extension(name) {
        Some(ext) if name.len() > ext.len() => &name[..name.len() - ext.len()],
        _ => name,
    }
}

/// The extension the image's bytes call for, if they are an image.
pub fn sniff_extension(bytes: &[u8]) -> Option<&'static str> {
    use image::ImageFormat as F;
    Some(match image::guess_format(bytes).ok()? {
        F::Png => ".png",
        F::Jpeg => ".jpg",
        F::Gif => ".gif",
        F::WebP => ".webp",
        F::Bmp => ".bmp",
        F::Tiff => ".tiff",
        _ => return None,
    })
}

/// The image's pixel size read from its header (PNG and JPEG), without decoding it.
pub fn pixel_size(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// The extension for a task's image file without its bytes: the resource's name, the task
/// name, else `.jpg`.
pub fn expected_extension(task: &Value, name: &str) -> String {
    let from_resource = first_resource(task).and_then(|r| match r {
        Value::String(s) => {
            let path = s.split(['?', '#']).next().unwrap_or(s);
            image_extension(path)
        }
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .and_then(image_extension),
        _ => None,
    });
    from_resource
        .or_else(|| image_extension(name))
        .unwrap_or_else(|| ".jpg".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_extensions() {
        assert_eq!(stem_of("cat.JPG"), "cat");
        assert_eq!(stem_of("v1.2"), "v1.2");
        assert_eq!(stem_of(".png"), ".png");
        assert_eq!(
            expected_extension(&json!({"resources": ["https://x/a.PNG?sig=1"]}), "t"),
            ".png"
        );
        assert_eq!(
            expected_extension(&json!({"resources": [{"id": "f", "name": "b.jpeg"}]}), "t"),
            ".jpeg"
        );
        assert_eq!(expected_extension(&json!({}), "t.webp"), ".webp");
        assert_eq!(expected_extension(&json!({}), "t"), ".jpg");
        let png = {
            let mut out = std::io::Cursor::new(Vec::new());
            image::DynamicImage::new_rgb8(3, 2)
                .write_to(&mut out, image::ImageFormat::Png)
                .unwrap();
            out.into_inner()
        };
        assert_eq!(sniff_extension(&png), Some(".png"));
        assert_eq!(pixel_size(&png), Some((3, 2)));
        assert_eq!(sniff_extension(b"hello"), None);
    }

    #[tokio::test]
    async fn local_copy_stands_in_for_what_the_lab_does_not_serve() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.png");
        std::fs::write(&file, b"bytes").unwrap();
        let client = lab_client::LabClient::new(
            "http://127.0.0.1:9/",
            lab_client::Credentials::new("id", "secret"),
            lab_client::ClientOptions::default(),
        )
        .unwrap();
        let f2 = file.clone();
        let src = LabImages {
            client: client.clone(),
            local: Some(LocalFiles(Arc::new(move |id: &str| {
                (id == "t1").then(|| f2.clone())
            }))),
        };
        let t = json!({"_id": "t1", "resources": ["resource://bucket/a.png"]});
        assert_eq!(src.fetch(&t).await.unwrap(), Bytes::from_static(b"bytes"));
        let t = json!({"_id": "t2", "resources": ["resource://bucket/a.png"]});
        let e = src.fetch(&t).await.unwrap_err();
        assert_eq!(e.kind, MissKind::LinkOnly);
        assert_eq!(e.detail, "resource://bucket/a.png");
        assert!(
            e.reason.contains("resource://bucket/a.png") && e.reason.contains("no copy"),
            "{e}"
        );
        let t = json!({"_id": "t2", "resources": []});
        assert_eq!(
            src.fetch(&t).await.unwrap_err().reason,
            "the task has no image"
        );
        // The local file gone: said so, with its path.
        std::fs::remove_file(&file).unwrap();
        let t = json!({"_id": "t1", "resources": ["resource://bucket/a.png"]});
        let e = src.fetch(&t).await.unwrap_err();
        assert_eq!(e.kind, MissKind::LocalUnreadable, "{e}");
        assert!(e.detail.contains("a.png"), "{e}");
    }
}
