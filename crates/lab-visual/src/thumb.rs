//! Thumbnails of task images, with their overlay drawn, and a size-capped cache of them.
//!
//! [`make_thumbnail`] decodes any image this build reads (PNG, JPEG, WebP, GIF, BMP, TIFF;
//! the format is guessed from the bytes), refusing images over [`MAX_PIXELS`] before
//! decoding them, turns it upright by its EXIF orientation, scales it down (never up) with a
//! fast filter and encodes it as JPEG. [`ThumbCache`] keeps the JPEGs in a folder, one file a
//! [`ThumbKey`], and evicts the least recently used ones past its cap.

use crate::draw::draw;
use crate::error::{Result, VisualError};
use crate::overlay::Overlay;
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits, RgbImage, RgbaImage};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// The most pixels decoded for a thumbnail (10000 × 10000): a 30000 × 30000 bomb is refused.
pub const MAX_PIXELS: u64 = 100_000_000;
/// The most memory the decoder may allocate for one image.
pub const MAX_DECODE_BYTES: u64 = 1 << 30;
/// The JPEG quality of thumbnails.
pub const JPEG_QUALITY: u8 = 80;
/// Changes whenever thumbnails are drawn differently, so that old cached ones are not used.
const THUMB_VERSION: &str = "lab-visual-thumb-1";

/// A JPEG thumbnail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// A thumbnail of the image in `source` whose longer side is `max_side` pixels (at least 1;
/// smaller images keep their size), with `overlay`'s frame drawn on it when given. Transparent
/// pixels are put on white.
pub fn make_thumbnail(
    source: &[u8],
    max_side: u32,
    overlay: Option<(&Overlay, u32)>,
) -> Result<Thumbnail> {
    let mut img = decode_limited(source)?;
    let max_side = max_side.max(1);
    if img.width().max(img.height()) > max_side {
        img = img.thumbnail(max_side, max_side);
    }
    let mut rgba: RgbaImage = img.into_rgba8();
    if let Some((overlay, frame)) = overlay {
        draw(&mut rgba, overlay, frame, &|_| false);
    }
    let (width, height) = rgba.dimensions();
    let rgb = RgbImage::from_fn(width, height, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let a = u32::from(a);
        let on_white = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([on_white(r), on_white(g), on_white(b)])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| VisualError::Encode(e.to_string()))?;
    Ok(Thumbnail {
        jpeg,
        width,
        height,
    })
}

/// Decodes with the size checked from the header first, then the decoder's own limits.
fn decode_limited(source: &[u8]) -> Result<DynamicImage> {
    let reader = ImageReader::new(Cursor::new(source))
        .with_guessed_format()
        .map_err(|e| VisualError::Undecodable {
            format: None,
            detail: e.to_string(),
        })?;
    let Some(format) = reader.format() else {
        return Err(VisualError::Undecodable {
            format: None,
            detail: "its first bytes are not those of any image format".into(),
        });
    };
    let name = format
        .extensions_str()
        .first()
        .map_or_else(|| format!("{format:?}").to_lowercase(), |e| e.to_string());
    let undecodable = |e: ImageError| VisualError::Undecodable {
        format: Some(name.clone()),
        detail: e.to_string(),
    };
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    let too_large = VisualError::TooLarge {
        width,
        height,
        max_pixels: MAX_PIXELS,
    };
    if u64::from(width) * u64::from(height) > MAX_PIXELS || decoder.total_bytes() > MAX_DECODE_BYTES
    {
        return Err(too_large);
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    if let Err(e) = decoder.set_limits(limits) {
        return Err(match e {
            ImageError::Limits(_) => too_large,
            other => undecodable(other),
        });
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        ImageError::Limits(_) => VisualError::TooLarge {
            width,
            height,
            max_pixels: MAX_PIXELS,
        },
        other => undecodable(other),
    })?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// What a cached thumbnail is of: a task as it was at `updated_at`, at a size, with or
/// without its overlay.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ThumbKey {
    pub task_id: String,
    /// The task's `updatedAt`: a changed task gets a new thumbnail.
    pub updated_at: String,
    pub max_side: u32,
    pub overlay: bool,
}

impl ThumbKey {
    pub fn new(
        task_id: impl Into<String>,
        updated_at: impl Into<String>,
        max_side: u32,
        overlay: bool,
    ) -> Self {
        ThumbKey {
            task_id: task_id.into(),
            updated_at: updated_at.into(),
            max_side,
            overlay,
        }
    }

    /// The cache file's name: the SHA-256 of the key's fields (and of the thumbnail drawing
    /// version) in hex, then `.jpg`.
    pub fn file_name(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            THUMB_VERSION.as_bytes(),
            self.task_id.as_bytes(),
            self.updated_at.as_bytes(),
        ] {
            // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.update(self.max_side.to_le_bytes());
        h.update([u8::from(self.overlay)]);
        format!("{}.jpg", hex::encode(h.finalize()))
    }
}

fn is_entry_name(name: &str) -> bool {
    name.strip_suffix(".jpg")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

const TEMP_PREFIX: &str = ".tmp-";
/// Temporary files older than this are left-overs of a crash, removed on open.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// A folder of thumbnails holding at most `cap_bytes` (least recently used evicted first).
///
/// Safe to share between threads and processes: files are written to a temporary name and
/// renamed into place, and a file that vanishes under a reader is a miss.
#[derive(Clone, Debug)]
pub struct ThumbCache {
    dir: PathBuf,
    cap_bytes: u64,
}

impl ThumbCache {
    /// Opens (and creates) the cache folder, removing stale temporary files.
    pub fn open(dir: impl Into<PathBuf>, cap_bytes: u64) -> Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| VisualError::io(&dir, e))?;
        let entries = fs::read_dir(&dir).map_err(|e| VisualError::io(&dir, e))?;
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TEMP);
            if name.to_string_lossy().starts_with(TEMP_PREFIX) && stale {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(ThumbCache { dir, cap_bytes })
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The most bytes the cache keeps.
    pub fn cap_bytes(&self) -> u64 {
        self.cap_bytes
    }

    fn path(&self, key: &ThumbKey) -> PathBuf {
        self.dir.join(key.file_name())
    }

    /// The cached bytes of `key`, marking them as just used.
    pub fn get(&self, key: &ThumbKey) -> Option<Vec<u8>> {
        let path = self.path(key);
        let bytes = fs::read(&path).ok()?;
        // Recency is the file's mtime; failing to bump it only makes eviction less exact.
        if let Ok(f) = fs::File::options().write(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Some(bytes)
    }

    /// Stores `bytes` for `key` (replacing what was there), then evicts the least recently
    /// used files until the cache holds at most its cap (the new file is the most recently
    /// used: files written within the clock's granularity tie). Bytes larger than the cap are
    /// not kept.
    pub fn put(&self, key: &ThumbKey, bytes: &[u8]) -> Result<()> {
        let path = self.path(key);
        if bytes.len() as u64 > self.cap_bytes {
            let _ = fs::remove_file(&path);
            return Ok(());
        }
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let temp = self.dir.join(format!(
            "{TEMP_PREFIX}{}-{}-{}",
            key.file_name(),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let written = fs::File::create(&temp)
            .and_then(|mut f| f.write_all(bytes))
            .and_then(|()| fs::rename(&temp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(VisualError::io(&path, e));
        }
        self.evict(&key.file_name())
    }

    /// The cache's files: (last used, name, size).
    fn entries(&self) -> Result<Vec<(SystemTime, String, u64)>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)
            .map_err(|e| VisualError::io(&self.dir, e))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_entry_name(&name) {
                continue;
            }
            // Vanished meanwhile (another process evicted it): not counted.
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            out.push((used, name, meta.len()));
        }
        Ok(out)
    }

    /// Removes the least recently used files (never `keep`, the one just written) until the
    /// cache is within its cap.
    fn evict(&self, keep: &str) -> Result<()> {
        let mut entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.2).sum();
        if total <= self.cap_bytes {
            return Ok(());
        }
        entries.sort();
        for (_, name, size) in entries {
            if total <= self.cap_bytes {
                break;
            }
            if name == keep {
                continue;
            }
            let path = self.dir.join(&name);
            match fs::remove_file(&path) {
                Ok(()) => total -= size,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= size,
                Err(e) => return Err(VisualError::io(path, e)),
            }
        }
        Ok(())
    }

    /// The bytes the cache's files hold now.
    pub fn bytes_used(&self) -> u64 {
        self.entries()
            .map(|e| e.iter().map(|e| e.2).sum())
            .unwrap_or(0)
    }

    /// Removes every cached thumbnail.
    pub fn clear(&self) -> Result<()> {
        for (_, name, _) in self.entries()? {
            let path = self.dir.join(name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(VisualError::io(path, e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::overlays;
    use crate::overlay::tests::{config, task};
    use image::{ImageFormat, Rgb};
    use serde_json::json;

    fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn decode(jpeg: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
            .unwrap()
            .to_rgb8()
    }

    #[test]
    fn large_image_becomes_a_thumbnail_with_its_overlay() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(4000, 3000, Rgb([128, 128, 128])));
        let png = encode(&img, ImageFormat::Png);
        let cfg = config("iat-rectangle", &["car"]);
        let t = task(
            json!({"annotations": [{"labels": {"objects": {"labels": [{"id": "car"}]}},
            "polygons": [{"geometry": {"type": "rectangle", "vertices": [0.25, 0.25, 0.75, 0.75]}}]}]}),
        );
        let ov = overlays(&t, &cfg).tools.remove(0);
        let th = make_thumbnail(&png, 256, Some((&ov, 0))).unwrap();
        assert_eq!((th.width, th.height), (256, 192));
        let back = decode(&th.jpeg);
        assert_eq!(back.dimensions(), (256, 192));
        // The left edge at x = 64 is the label's red (#e6194b), give or take JPEG.
        let p = back.get_pixel(64, 96).0;
        assert!(p[0] > 150 && p[1] < 110 && p[0] > p[2] + 60, "{p:?}");
        let inside = back.get_pixel(128, 96).0;
        assert!(inside.iter().all(|c| c.abs_diff(128) < 12), "{inside:?}");

        let plain = make_thumbnail(&png, 256, None).unwrap();
        let p = decode(&plain.jpeg).get_pixel(64, 96).0;
        assert!(p.iter().all(|c| c.abs_diff(128) < 12), "{p:?}");
    }

    #[test]
    fn small_images_are_not_upscaled_and_formats_are_guessed() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(100, 40, Rgb([10, 200, 10])));
        for format in [
            ImageFormat::Png,
            ImageFormat::Jpeg,
            ImageFormat::WebP,
            ImageFormat::Gif,
            ImageFormat::Bmp,
            ImageFormat::Tiff,
        ] {
            let bytes = encode(&img, format);
            let th =
                make_thumbnail(&bytes, 256, None).unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!((th.width, th.height), (100, 40), "{format:?}");
        }
        let tall = encode(
            &DynamicImage::ImageRgb8(RgbImage::new(30, 600)),
            ImageFormat::Png,
        );
        let th = make_thumbnail(&tall, 64, None).unwrap();
        assert_eq!((th.width, th.height), (3, 64));
        // Transparent pixels go on white, not black.
        let clear = encode(
            &DynamicImage::ImageRgba8(RgbaImage::new(8, 8)),
            ImageFormat::Png,
        );
        let th = make_thumbnail(&clear, 64, None).unwrap();
        assert!(decode(&th.jpeg).get_pixel(4, 4).0.iter().all(|&c| c > 240));
    }

    #[test]
    fn garbage_is_undecodable() {
        let e = make_thumbnail(b"certainly not an image", 256, None).unwrap_err();
        assert!(
            matches!(e, VisualError::Undecodable { format: None, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("upload it again"), "{e}");
        // A PNG signature with nothing valid after it.
        let mut broken = b"\x89PNG\r\n\x1a\n".to_vec();
        broken.extend_from_slice(&[0; 40]);
        let e = make_thumbnail(&broken, 256, None).unwrap_err();
        assert!(
            matches!(&e, VisualError::Undecodable { format: Some(f), .. } if f == "png"),
            "{e:?}"
        );
        assert!(make_thumbnail(&[], 256, None).is_err());
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_decoding() {
        // A valid PNG header announcing 30000 × 30000 RGB pixels (2.7 GB decoded).
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&30000u32.to_be_bytes());
        ihdr.extend_from_slice(&30000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(
            &mut png,
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut png, b"IEND", &[]);
        let e = make_thumbnail(&png, 256, None).unwrap_err();
        assert!(
            matches!(
                e,
                VisualError::TooLarge {
                    width: 30000,
                    height: 30000,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("30000×30000"), "{e}");
    }

    #[test]
    fn keys_differ_by_every_field() {
        let k = ThumbKey::new("t1", "2024-05-01T08:00:00Z", 256, true);
        let name = k.file_name();
        assert!(is_entry_name(&name), "{name}");
        assert_eq!(name, k.clone().file_name());
        for other in [
            ThumbKey::new("t2", "2024-05-01T08:00:00Z", 256, true),
            ThumbKey::new("t1", "2024-05-01T08:00:01Z", 256, true),
            ThumbKey::new("t1", "2024-05-01T08:00:00Z", 512, true),
            ThumbKey::new("t1", "2024-05-01T08:00:00Z", 256, false),
            ThumbKey::new("t12024-05-01T08:00:00", "Z", 256, true),
        ] {
            assert_ne!(other.file_name(), name, "{other:?}");
        }
    }

    fn age(cache: &ThumbCache, key: &ThumbKey, secs: u64) {
        let f = fs::File::options()
            .write(true)
            .open(cache.dir().join(key.file_name()))
            .unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(secs))
            .unwrap();
    }

    #[test]
    fn cache_returns_what_was_put() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbCache::open(dir.path().join("thumbs"), 10_000).unwrap();
        let k = ThumbKey::new("t", "u", 256, false);
        assert_eq!(cache.get(&k), None);
        cache.put(&k, b"first").unwrap();
        assert_eq!(cache.get(&k).as_deref(), Some(&b"first"[..]));
        cache.put(&k, b"second!").unwrap();
        assert_eq!(cache.get(&k).as_deref(), Some(&b"second!"[..]));
        assert_eq!(cache.bytes_used(), 7);
        // No temporary file left behind, foreign files untouched and not counted.
        fs::write(cache.dir().join("notes.txt"), b"keep me").unwrap();
        let names: Vec<String> = fs::read_dir(cache.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(cache.bytes_used(), 7);
        // Too large for the cap: not kept.
        cache.put(&k, &vec![0; 10_001]).unwrap();
        assert_eq!(cache.get(&k), None);
        cache.put(&k, b"x").unwrap();
        cache.clear().unwrap();
        assert_eq!(cache.bytes_used(), 0);
        assert!(cache.dir().join("notes.txt").exists());
    }

    #[test]
    fn cache_evicts_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbCache::open(dir.path(), 350).unwrap();
        let keys: Vec<ThumbKey> = (0..5)
            .map(|i| ThumbKey::new(format!("t{i}"), "u", 256, true))
            .collect();
        for (i, k) in keys.iter().take(3).enumerate() {
            cache.put(k, &[i as u8; 100]).unwrap();
        }
        // a used 300 s ago, b 200 s, c 100 s; then a is read again.
        age(&cache, &keys[0], 300);
        age(&cache, &keys[1], 200);
        age(&cache, &keys[2], 100);
        assert!(cache.get(&keys[0]).is_some());
        cache.put(&keys[3], &[3; 100]).unwrap();
        assert_eq!(cache.bytes_used(), 300);
        assert!(
            cache.get(&keys[1]).is_none(),
            "b was the least recently used"
        );
        assert!(cache.get(&keys[2]).is_some());
        assert!(cache.get(&keys[0]).is_some());
        assert!(cache.get(&keys[3]).is_some());
        age(&cache, &keys[0], 50);
        cache.put(&keys[4], &[4; 200]).unwrap();
        assert!(cache.bytes_used() <= 350);
        assert!(cache.get(&keys[0]).is_none());
        assert!(cache.get(&keys[4]).is_some());
        // Whatever the sizes, a put leaves the cache within its cap.
        for i in 0..30u32 {
            let k = ThumbKey::new(format!("n{i}"), "u", 64, false);
            cache
                .put(&k, &vec![1; (i as usize * 37) % 300 + 1])
                .unwrap();
            assert!(cache.bytes_used() <= 350, "after put {i}");
            assert!(cache.get(&k).is_some(), "the newest is kept");
        }
    }
}
