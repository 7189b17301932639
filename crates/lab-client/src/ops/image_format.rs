//! The image files tasks are created from, in one place: `lab create-tasks`, the window's
//! pre-flight and file picker (its list is generated into ui/src/bindings), and the exports
//! that copy images all read these lists and this sniffing.

/// Extensions (lower case, no dot) of the image files a task can be created from: formats a
/// browser shows, so the lab's web annotation tool can.
pub const IMAGE_EXTENSIONS: [&str; 10] = [
    "jpg", "jpeg", "jpe", "png", "gif", "bmp", "webp", "tif", "tiff", "avif",
];

/// Extensions of image formats the lab does not take (a browser does not show them). A file
/// with one of these, or with an image extension whose content is no known image, is told
/// apart from "not an image" in the messages.
pub const OTHER_IMAGE_EXTENSIONS: [&str; 6] = ["heic", "heif", "svg", "ico", "psd", "jp2"];

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// An image a task can be created from: `png`, `jpeg`, `gif`, `webp`, `bmp`, `tiff`, `avif`.
    Image(&'static str),
    /// An image format the lab does not take, by its usual name (`HEIC/HEIF`, `SVG`…).
    OtherImage(&'static str),
    /// Not a known image.
    Unknown,
}

/// How many first bytes [`sniff`] reads at most.
pub const SNIFF_BYTES: usize = 64;

/// The format told by the first bytes of a file (give at least [`SNIFF_BYTES`] when the file
/// has them).
pub fn sniff(head: &[u8]) -> Sniffed {
    use Sniffed::{Image, OtherImage, Unknown};
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Image("png");
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Image("jpeg");
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Image("gif");
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Image("webp");
    }
    if head.starts_with(b"BM") && head.len() >= 14 {
        return Image("bmp");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Image("tiff");
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        if brand == b"avif" || brand == b"avis" {
            return Image("avif");
        }
        if [b"heic", b"heix", b"hevc", b"mif1", b"msf1"]
            .iter()
            .any(|b| b.as_slice() == brand)
        {
            return OtherImage("HEIC/HEIF");
        }
    }
    if head.starts_with(&[0, 0, 1, 0]) {
        return OtherImage("ICO");
    }
    if head.starts_with(b"8BPS") {
        return OtherImage("PSD");
    }
    if head.starts_with(b"\0\0\0\x0cjP  ") || head.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
        return OtherImage("JPEG 2000");
    }
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    if text.contains("<svg") {
        return OtherImage("SVG");
    }
    Unknown
}

/// The lower-case extension of a file name (without the dot), if any.
pub fn extension_of(name: &str) -> Option<String> {
    std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Whether the name ends in an extension of [`IMAGE_EXTENSIONS`].
pub fn has_image_extension(name: &str) -> bool {
    extension_of(name).is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// Whether `ext` (lower case, no dot) is an image extension, taken or not.
pub fn is_any_image_extension(ext: &str) -> bool {
    IMAGE_EXTENSIONS.contains(&ext) || OTHER_IMAGE_EXTENSIONS.contains(&ext)
}

/// Whether the name ends in any image extension, taken or not.
pub fn claims_to_be_an_image(name: &str) -> bool {
    extension_of(name).is_some_and(|e| is_any_image_extension(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Sniffed::Image("png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Sniffed::Image("jpeg"));
        assert_eq!(sniff(b"GIF89a......"), Sniffed::Image("gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Sniffed::Image("webp"));
        assert_eq!(sniff(b"BM\0\0\0\0\0\0\0\0\0\0\0\0"), Sniffed::Image("bmp"));
        assert_eq!(sniff(b"II*\0...."), Sniffed::Image("tiff"));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif"), Sniffed::Image("avif"));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic"),
            Sniffed::OtherImage("HEIC/HEIF")
        );
        assert_eq!(sniff(b"<?xml?><svg xmlns"), Sniffed::OtherImage("SVG"));
        assert_eq!(sniff(b"8BPS...."), Sniffed::OtherImage("PSD"));
        assert_eq!(sniff(b"hello, world"), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
        // a bare "BM" is not enough for a bitmap
        assert_eq!(sniff(b"BM"), Sniffed::Unknown);
    }

    #[test]
    fn extensions_are_read_whatever_their_case() {
        assert!(has_image_extension("a/b/Photo.JPG"));
        assert!(has_image_extension("x.avif"));
        assert!(!has_image_extension("x.heic"));
        assert!(claims_to_be_an_image("x.heic"));
        assert!(!claims_to_be_an_image("notes.txt"));
        assert!(!has_image_extension("no-extension"));
        // every format a task is created from can also be named by its extension
        for head in [
            &b"\x89PNG\r\n\x1a\n"[..],
            &[0xFF, 0xD8, 0xFF],
            b"GIF87a",
            b"RIFF\0\0\0\0WEBP",
            b"BM\0\0\0\0\0\0\0\0\0\0\0\0",
            b"MM\0*",
            b"\0\0\0\x1cftypavis",
        ] {
            let Sniffed::Image(format) = sniff(head) else {
                panic!("{head:?} is not sniffed as an image")
            };
            assert!(IMAGE_EXTENSIONS.contains(&format), "{format}");
        }
    }
}
