//! A small streaming zip writer for the YOLO export: many small entries whose bytes are known
//! up front, written one after the other with their sizes and CRC in the local header.
//!
//! Compared with a general zip library it keeps memory flat: the central directory is kept
//! as its final bytes (about 80 bytes per entry) and spilled to an unnamed temporary file past
//! [`CD_SPILL_BYTES`]; one deflate state is reused for every entry. Entries smaller than
//! [`DEFLATE_MIN_BYTES`] are stored: deflating them saves a few bytes at the price of resetting
//! the compressor's tables (128 KiB) each time. Zip64 records are written when offsets or the
//! entry count need them.

use flate2::{Compress, Compression, FlushCompress, Status};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Entries at least this long are deflated; shorter ones are stored.
pub const DEFLATE_MIN_BYTES: usize = 1024;
/// The central directory is moved to a temporary file once it holds this many bytes.
pub const CD_SPILL_BYTES: usize = 1 << 20;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
/// "Made by" Unix (3), spec 2.0 / 4.5 (zip64).
const MADE_BY_UNIX: u16 = 3 << 8;
const V20: u16 = 20;
const V45: u16 = 45;
const FLAG_UTF8: u16 = 1 << 11;
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATED: u16 = 8;

/// DOS date and time of a local time (zip's timestamp format, 2-second precision).
pub fn dos_time(t: chrono::NaiveDateTime) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    let year = t.year().clamp(1980, 2107) as u16;
    let date = ((year - 1980) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    (date, time)
}

/// Where the central directory accumulates.
struct CentralDir {
    buf: Vec<u8>,
    spill: Option<File>,
    len: u64,
    entries: u64,
}

/// Writes a zip archive entry by entry to `W`.
pub struct ZipStreamWriter<W: Write> {
    out: W,
    offset: u64,
    cd: CentralDir,
    deflate: Compress,
    scratch: Vec<u8>,
    dos_date: u16,
    dos_time: u16,
    spill_dir: std::path::PathBuf,
    /// Tests: write zip64 records even when not needed.
    force_zip64: bool,
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn too_big(what: &str) -> io::Error {
    io::Error::other(format!("{what} is too large for a zip entry"))
}

impl<W: Write> ZipStreamWriter<W> {
    /// A writer stamping every entry with `modified` (local time); the central directory may
    /// spill into an unnamed temporary file in `spill_dir`.
    pub fn new(out: W, modified: chrono::NaiveDateTime, spill_dir: &Path) -> Self {
        let (dos_date, dos_time) = dos_time(modified);
        Self {
            out,
            offset: 0,
            cd: CentralDir {
                buf: Vec::with_capacity(64 * 1024),
                spill: None,
                len: 0,
                entries: 0,
            },
            deflate: Compress::new(Compression::default(), false),
            scratch: Vec::new(),
            dos_date,
            dos_time,
            spill_dir: spill_dir.to_path_buf(),
            force_zip64: false,
        }
    }

    #[cfg(test)]
    fn force_zip64(mut self) -> Self {
        self.force_zip64 = true;
        self
    }

    /// Number of entries written so far.
    pub fn entries(&self) -> u64 {
        self.cd.entries
    }

    /// Adds a directory entry (`name` ends with `/`).
    pub fn add_directory(&mut self, name: &str) -> io::Result<()> {
        self.add(name, &[], true, false)
    }

    /// Adds a file entry holding `data` (deflated when that makes it smaller).
    pub fn add_file(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        self.add(name, data, false, true)
    }

    /// Adds a file entry holding `data` as it is: for bytes already compressed (images),
    /// where deflating costs time and saves nothing.
    pub fn add_stored(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        self.add(name, data, false, false)
    }

    fn compress(&mut self, data: &[u8]) -> io::Result<bool> {
        self.deflate.reset();
        self.scratch.clear();
        self.scratch.reserve(data.len() + data.len() / 8 + 64);
        loop {
            let before = self.deflate.total_in() as usize;
            let status = self
                .deflate
                .compress_vec(&data[before..], &mut self.scratch, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            match status {
                Status::StreamEnd => break,
                Status::Ok | Status::BufError => {
                    let more = self.scratch.capacity().max(64);
                    self.scratch.reserve(more);
                }
            }
        }
        Ok(self.scratch.len() < data.len())
    }

    fn add(&mut self, name: &str, data: &[u8], dir: bool, deflate: bool) -> io::Result<()> {
        let name_len = u16::try_from(name.len()).map_err(|_| too_big("an entry name"))?;
        let deflated = deflate && !dir && data.len() >= DEFLATE_MIN_BYTES && self.compress(data)?;
        let (method, body): (u16, &[u8]) = if deflated {
            (METHOD_DEFLATED, &self.scratch)
        } else {
            (METHOD_STORED, data)
        };
        let crc = crc32fast::hash(data);
        let size = u32::try_from(data.len())
            .ok()
            .filter(|s| *s != u32::MAX)
            .ok_or_else(|| too_big("an entry"))?;
        let csize = body.len() as u32;
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };

        let mut h = Vec::with_capacity(30 + name.len());
        put32(&mut h, LOCAL_SIG);
        put16(&mut h, V20);
        put16(&mut h, flags);
        put16(&mut h, method);
        put16(&mut h, self.dos_time);
        put16(&mut h, self.dos_date);
        put32(&mut h, crc);
        put32(&mut h, csize);
        put32(&mut h, size);
        put16(&mut h, name_len);
        put16(&mut h, 0);
        h.extend_from_slice(name.as_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(body)?;

        let offset = self.offset;
        let zip64 = self.force_zip64 || offset >= u64::from(u32::MAX);
        let c = &mut self.cd.buf;
        let start = c.len();
        put32(c, CENTRAL_SIG);
        put16(c, MADE_BY_UNIX | if zip64 { V45 } else { V20 });
        put16(c, if zip64 { V45 } else { V20 });
        put16(c, flags);
        put16(c, method);
        put16(c, self.dos_time);
        put16(c, self.dos_date);
        put32(c, crc);
        put32(c, csize);
        put32(c, size);
        put16(c, name_len);
        put16(c, if zip64 { 12 } else { 0 });
        put16(c, 0); // comment
        put16(c, 0); // disk
        put16(c, 0); // internal attributes
        let mode: u32 = if dir { 0o040755 } else { 0o100644 };
        put32(c, (mode << 16) | if dir { 0x10 } else { 0 });
        put32(c, if zip64 { u32::MAX } else { offset as u32 });
        c.extend_from_slice(name.as_bytes());
        if zip64 {
            put16(c, 0x0001);
            put16(c, 8);
            put64(c, offset);
        }
        self.cd.len += (c.len() - start) as u64;
        self.cd.entries += 1;
        self.offset += (h.len() + body.len()) as u64;
        if self.cd.buf.len() >= CD_SPILL_BYTES {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        if self.cd.spill.is_none() {
            self.cd.spill = Some(tempfile::tempfile_in(&self.spill_dir)?);
        }
        if let Some(f) = self.cd.spill.as_mut() {
            f.write_all(&self.cd.buf)?;
        }
        self.cd.buf.clear();
        Ok(())
    }

    /// Writes the central directory and the end records; returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        let cd_offset = self.offset;
        if let Some(mut f) = self.cd.spill.take() {
            f.seek(SeekFrom::Start(0))?;
            let mut chunk = vec![0u8; 256 * 1024];
            loop {
                let n = f.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                self.out.write_all(&chunk[..n])?;
            }
        }
        self.out.write_all(&self.cd.buf)?;
        let cd_len = self.cd.len;
        let entries = self.cd.entries;
        let end_offset = cd_offset + cd_len;
        let zip64 = self.force_zip64
            || entries >= u64::from(u16::MAX)
            || cd_offset >= u64::from(u32::MAX)
            || cd_len >= u64::from(u32::MAX);
        let mut e = Vec::with_capacity(98);
        if zip64 {
            put32(&mut e, EOCD64_SIG);
            put64(&mut e, 44);
            put16(&mut e, MADE_BY_UNIX | V45);
            put16(&mut e, V45);
            put32(&mut e, 0);
            put32(&mut e, 0);
            put64(&mut e, entries);
            put64(&mut e, entries);
            put64(&mut e, cd_len);
            put64(&mut e, cd_offset);
            put32(&mut e, EOCD64_LOCATOR_SIG);
            put32(&mut e, 0);
            put64(&mut e, end_offset);
            put32(&mut e, 1);
        }
        put32(&mut e, EOCD_SIG);
        put16(&mut e, 0);
        put16(&mut e, 0);
        let count = if zip64 { u16::MAX } else { entries as u16 };
        put16(&mut e, count);
        put16(&mut e, count);
        put32(&mut e, if zip64 { u32::MAX } else { cd_len as u32 });
        put32(&mut e, if zip64 { u32::MAX } else { cd_offset as u32 });
        put16(&mut e, 0);
        self.out.write_all(&e)?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn when() -> chrono::NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2024, 3, 5)
            .unwrap()
            .and_hms_opt(7, 8, 10)
            .unwrap()
    }

    fn read_back(bytes: Vec<u8>) -> Vec<(String, Vec<u8>, bool, zip::CompressionMethod)> {
        let mut z = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        (0..z.len())
            .map(|i| {
                let mut f = z.by_index(i).unwrap();
                let mut data = Vec::new();
                f.read_to_end(&mut data).unwrap();
                (f.name().to_string(), data, f.is_dir(), f.compression())
            })
            .collect()
    }

    fn sample(n: usize) -> Vec<(String, Vec<u8>)> {
        (0..n)
            .map(|i| {
                let text = format!("{} 0.{i} 0.5 0.25 0.125\n", i % 3).repeat(i % 90);
                (format!("labels/t-{i}é.txt"), text.into_bytes())
            })
            .collect()
    }

    fn write(entries: &[(String, Vec<u8>)], zip64: bool, dir: &Path) -> Vec<u8> {
        let mut w = ZipStreamWriter::new(Vec::new(), when(), dir);
        if zip64 {
            w = w.force_zip64();
        }
        w.add_directory("labels/").unwrap();
        for (n, d) in entries {
            w.add_file(n, d).unwrap();
        }
        assert_eq!(w.entries(), entries.len() as u64 + 1);
        w.finish().unwrap()
    }

    #[test]
    fn entries_read_back_stored_and_deflated() {
        let dir = tempfile::tempdir().unwrap();
        let entries = sample(200);
        for zip64 in [false, true] {
            let got = read_back(write(&entries, zip64, dir.path()));
            assert_eq!(got.len(), 201);
            assert_eq!(got[0].0, "labels/");
            assert!(got[0].2);
            for ((name, data), (gn, gd, is_dir, _)) in entries.iter().zip(&got[1..]) {
                assert_eq!((name, data), (gn, gd));
                assert!(!is_dir);
            }
            let methods: Vec<_> = got.iter().map(|g| g.3).collect();
            assert!(methods.contains(&zip::CompressionMethod::Deflated));
            assert!(methods.contains(&zip::CompressionMethod::Stored));
        }
        // The SDK's reader is Python's zipfile: checked by tests/sdk; here the format's
        // timestamps and permissions.
        let bytes = write(&entries[..3], false, dir.path());
        let mut z = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        let f = z.by_index(1).unwrap();
        assert_eq!(f.unix_mode(), Some(0o100644));
        let t = f.last_modified().unwrap();
        assert_eq!((t.year(), t.month(), t.day()), (2024, 3, 5));
        assert_eq!((t.hour(), t.minute(), t.second()), (7, 8, 10));
    }

    #[test]
    fn large_central_directory_spills_and_counts_past_65535() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ZipStreamWriter::new(Vec::new(), when(), dir.path());
        let n = 70_000;
        for i in 0..n {
            w.add_file(&format!("labels/{i:06}.txt"), format!("{i}\n").as_bytes())
                .unwrap();
        }
        assert!(w.cd.spill.is_some());
        assert!(w.cd.buf.len() < CD_SPILL_BYTES);
        let bytes = w.finish().unwrap();
        let mut z = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        assert_eq!(z.len(), n);
        let mut s = String::new();
        z.by_name("labels/069999.txt")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "69999\n");
    }
}
