//! Errors of thumbnails and their cache. Every message says what went wrong and what to do.
//!
//! Overlay extraction and drawing have no errors: what they cannot read becomes an
//! [`OverlayWarning`](crate::overlay::OverlayWarning) and the rest is still shown.

use std::path::PathBuf;

/// The result of this crate's fallible calls.
pub type Result<T, E = VisualError> = std::result::Result<T, E>;

/// Why a thumbnail could not be made or cached.
#[derive(thiserror::Error, Debug)]
pub enum VisualError {
    /// The bytes are not an image this build can read.
    #[error(
        "the image cannot be read{}: {detail}. It may be damaged or in a format Lab Desk does not read (it reads PNG, JPEG, WebP, GIF, BMP and TIFF); open it in an image viewer, or upload it again as PNG or JPEG",
        .format.as_deref().map(|f| format!(" as {f}")).unwrap_or_else(|| " (unknown format)".into())
    )]
    Undecodable {
        /// The format guessed from the first bytes (`png`, `jpeg`…), if any.
        format: Option<String>,
        /// What the decoder said.
        detail: String,
    },
    /// The image is too large to decode safely (a decompression bomb or a huge scan).
    #[error(
        "the image is {width}×{height} pixels, more than the {max_pixels} pixels Lab Desk decodes for a preview: open it in an image viewer, or upload a smaller version"
    )]
    TooLarge {
        /// Its width in pixels, as its header states it.
        width: u32,
        /// Its height in pixels, as its header states it.
        height: u32,
        /// The largest number of pixels decoded.
        max_pixels: u64,
    },
    /// The thumbnail could not be encoded (should not happen with a decoded image).
    #[error("cannot encode the thumbnail as JPEG: {0}. Try again; if it happens again, report it")]
    Encode(String),
    /// A file of the thumbnail cache could not be read or written.
    #[error("cannot use the thumbnail cache at {}: {source}. Check that the folder exists, is writable and the disk has free space (or clear the cache)", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
}

impl VisualError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        VisualError::Io {
            path: path.into(),
            source,
        }
    }
}
