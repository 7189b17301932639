//! Uploaded file contents, appended to pack files (`files/pack-NNNNNN`) rather than written one
//! file per upload.
//!
//! Profiled during a 1,000-image create (`perf record` on the sandbox, ext4): creating one inode
//! per upload (ext4's free-inode search and the directory lock every concurrent upload waits
//! on) took over a third of the sandbox's CPU and made it the bottleneck of the create path.
//! A pack is one open file: an upload reserves its byte range under a short lock, then writes
//! it with a positional write outside the lock, so concurrent uploads do not wait for each
//! other's bytes. The database row (pack name, offset, size) is only written once the bytes
//! are, so a row never points at a range that was not written; a crash can at worst leave
//! unreferenced bytes at the end of a pack.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A pack is closed and a new one started past this size.
const PACK_LIMIT: u64 = 256 * 1024 * 1024;
const PREFIX: &str = "pack-";

/// Where an upload's bytes are: `pack` (a file name in the files folder) at `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobRef {
    pub pack: String,
    pub offset: u64,
}

struct Current {
    number: u32,
    file: Arc<File>,
    len: u64,
}

pub(crate) struct Packs {
    dir: PathBuf,
    limit: u64,
    current: Mutex<Option<Current>>,
}

/// The pack name for `number`; names are generated here only (checked when read back).
fn pack_name(number: u32) -> String {
    format!("{PREFIX}{number:06}")
}

/// The number of a pack file name written by [`pack_name`].
fn pack_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix(PREFIX)?;
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

impl Packs {
    pub(crate) fn new(dir: &Path) -> Packs {
        Packs::with_limit(dir, PACK_LIMIT)
    }

    fn with_limit(dir: &Path, limit: u64) -> Packs {
        Packs {
            dir: dir.to_path_buf(),
            limit,
            current: Mutex::new(None),
        }
    }

    /// Creates the pack this store appends to: the first number after every pack in the folder
    /// (a new file, never one another process or an earlier run wrote to).
    fn open_current(&self) -> io::Result<Current> {
        let mut number = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            if let Some(n) = pack_number(&entry?.file_name().to_string_lossy()) {
                number = number.max(n);
            }
        }
        self.new_pack(number + 1)
    }

    /// Creates pack `number`, or the next free number after it.
    fn new_pack(&self, mut number: u32) -> io::Result<Current> {
        loop {
            match OpenOptions::new()
                .create_new(true)
                .read(true)
                .write(true)
                .open(self.dir.join(pack_name(number)))
            {
                Ok(file) => {
                    return Ok(Current {
                        number,
                        file: Arc::new(file),
                        len: 0,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && number < 999_999 => {
                    number += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Stores `bytes`, returning where they are. Blocking.
    #[cfg(test)]
    pub(crate) fn append(&self, bytes: &[u8]) -> io::Result<BlobRef> {
        self.append_parts(&[bytes])
    }

    /// Stores the concatenation of `parts` (an upload as it arrived, chunk by chunk: no copy
    /// into one buffer first), returning where it is. Blocking.
    pub(crate) fn append_parts(&self, parts: &[&[u8]]) -> io::Result<BlobRef> {
        let n: u64 = parts.iter().map(|p| p.len() as u64).sum();
        let (file, at) = {
            let mut guard = self.current.lock().unwrap_or_else(|p| p.into_inner());
            let cur = match guard.take() {
                Some(c) => c,
                None => self.open_current()?,
            };
            let cur = if cur.len > 0 && cur.len + n > self.limit {
                self.new_pack(cur.number + 1)?
            } else {
                cur
            };
            let at = BlobRef {
                pack: pack_name(cur.number),
                offset: cur.len,
            };
            let file = cur.file.clone();
            *guard = Some(Current {
                len: cur.len + n,
                ..cur
            });
            (file, at)
        };
        let mut offset = at.offset;
        for part in parts {
            file.write_all_at(part, offset)?;
            offset += part.len() as u64;
        }
        Ok(at)
    }

    /// Reads `size` bytes of `pack` at `offset`. Blocking.
    pub(crate) fn read(&self, pack: &str, offset: u64, size: u64) -> io::Result<Vec<u8>> {
        if pack_number(pack).is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{pack:?} is not a pack name"),
            ));
        }
        let file = File::open(self.dir.join(pack))?;
        let size = usize::try_from(size)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "size out of range"))?;
        let mut buf = vec![0; size];
        file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_read_back_and_roll_over_to_a_new_pack() {
        let dir = tempfile::tempdir().unwrap();
        let packs = Packs::with_limit(dir.path(), 10);
        let a = packs.append(b"hello").unwrap();
        let b = packs.append(b"world").unwrap();
        let c = packs.append(b"!").unwrap();
        assert_eq!((a.pack.as_str(), a.offset), ("pack-000001", 0));
        assert_eq!((b.pack.as_str(), b.offset), ("pack-000001", 5));
        assert_eq!((c.pack.as_str(), c.offset), ("pack-000002", 0));
        assert_eq!(packs.read(&a.pack, a.offset, 5).unwrap(), b"hello");
        assert_eq!(packs.read(&b.pack, b.offset, 5).unwrap(), b"world");
        assert_eq!(packs.read(&c.pack, c.offset, 1).unwrap(), b"!");
        // larger than a pack: still stored whole, in a pack of its own
        let big = packs.append(&[7u8; 25]).unwrap();
        assert_eq!((big.pack.as_str(), big.offset), ("pack-000003", 0));
        assert_eq!(packs.read(&big.pack, 0, 25).unwrap(), vec![7u8; 25]);
    }

    #[test]
    fn an_upload_in_chunks_is_stored_as_one_range() {
        let dir = tempfile::tempdir().unwrap();
        let packs = Packs::with_limit(dir.path(), 1 << 20);
        let before = packs.append(b"x").unwrap();
        let at = packs
            .append_parts(&[b"chunk one, ", b"", b"chunk two, ", b"end"])
            .unwrap();
        let after = packs.append(b"y").unwrap();
        assert_eq!(at.offset, before.offset + 1);
        assert_eq!(
            packs.read(&at.pack, at.offset, 25).unwrap(),
            b"chunk one, chunk two, end"
        );
        assert_eq!(
            after.offset,
            at.offset + 25,
            "the next upload starts after it"
        );
        assert_eq!(packs.read(&after.pack, after.offset, 1).unwrap(), b"y");
    }

    #[test]
    fn a_reopened_store_never_writes_into_an_existing_pack() {
        let dir = tempfile::tempdir().unwrap();
        let first = Packs::with_limit(dir.path(), 100);
        let a = first.append(b"abc").unwrap();
        drop(first);
        // as after a power failure: the pack lost its bytes, the record of `a` survived
        std::fs::write(dir.path().join(&a.pack), b"").unwrap();
        let again = Packs::with_limit(dir.path(), 100);
        let b = again.append(b"def").unwrap();
        assert_eq!((b.pack.as_str(), b.offset), ("pack-000002", 0));
        // `a` is missing (an error), not served with `b`'s bytes
        assert!(again.read(&a.pack, a.offset, 3).is_err());
        assert_eq!(again.read(&b.pack, 0, 3).unwrap(), b"def");
    }

    #[test]
    fn two_stores_on_one_folder_write_to_different_packs() {
        let dir = tempfile::tempdir().unwrap();
        let one = Packs::with_limit(dir.path(), 100);
        let two = Packs::with_limit(dir.path(), 100);
        let a = one.append(b"one").unwrap();
        let b = two.append(b"two").unwrap();
        assert_ne!(a.pack, b.pack);
        assert_eq!(one.read(&a.pack, 0, 3).unwrap(), b"one");
        assert_eq!(two.read(&b.pack, 0, 3).unwrap(), b"two");
    }

    #[test]
    fn concurrent_appends_never_overlap() {
        let dir = tempfile::tempdir().unwrap();
        let packs = Arc::new(Packs::with_limit(dir.path(), 1 << 20));
        let handles: Vec<_> = (0..8u8)
            .map(|t| {
                let packs = packs.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .map(|i| {
                            let body = vec![t; 100 + i];
                            (packs.append(&body).unwrap(), body)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (at, body) in h.join().unwrap() {
                let got = packs.read(&at.pack, at.offset, body.len() as u64).unwrap();
                assert_eq!(got, body);
            }
        }
    }

    #[test]
    fn refuses_names_it_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        let packs = Packs::new(dir.path());
        for bad in [
            "../etc/passwd",
            "pack-1",
            "pack-00000a",
            "pack-000001/..",
            "",
        ] {
            let e = packs.read(bad, 0, 1).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{bad}");
        }
        // a range past the end is an error, not zeros
        packs.append(b"ab").unwrap();
        assert!(packs.read("pack-000001", 1, 5).is_err());
    }
}
