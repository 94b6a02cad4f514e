//! Deterministic zip archives of SCF code packages, with an optional cap on their size.
//!
//! One writer for every place scf-rs makes a package — `scf deploy` (a directory, streamed, capped
//! at what goes inline in a request) and `scf-local` (test and example functions) — so archives
//! come out the same everywhere: entries as given (callers sort them), Deflate, a fixed timestamp,
//! the permission bits given.
#![doc = include_str!("../README.md")]

use std::cell::Cell;
use std::fmt;
use std::io::{Cursor, Read, Seek, SeekFrom, Write};
use std::rc::Rc;

/// Why an archive could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PackageError {
    /// Adding `entry` (or, for `None`, the archive's table of contents) took the archive past
    /// `limit` bytes.
    TooLarge { entry: Option<String>, limit: u64 },
    /// Reading an entry's content failed.
    Read { entry: String, message: String },
    /// The zip writer failed.
    Write(String),
}

impl fmt::Display for PackageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackageError::TooLarge { entry: Some(entry), limit } => {
                write!(f, "with `{entry}` the zip archive grows past {limit} bytes")
            }
            PackageError::TooLarge { entry: None, limit } => {
                write!(f, "with its table of contents the zip archive grows past {limit} bytes")
            }
            PackageError::Read { entry, message } => write!(f, "`{entry}`: {message}"),
            PackageError::Write(message) => write!(f, "cannot write the zip archive: {message}"),
        }
    }
}

impl std::error::Error for PackageError {}

/// Writes a package in memory, entry by entry.
pub struct PackageWriter {
    zip: zip::ZipWriter<CappedBuffer>,
    limit: Option<u64>,
    over: Rc<Cell<bool>>,
}

impl fmt::Debug for PackageWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PackageWriter").field("limit", &self.limit).finish_non_exhaustive()
    }
}

impl PackageWriter {
    /// An empty archive that may not grow past `limit` bytes, if given.
    pub fn new(limit: Option<u64>) -> Self {
        let over = Rc::new(Cell::new(false));
        let buffer = CappedBuffer { buffer: Cursor::default(), limit: limit.unwrap_or(u64::MAX), over: over.clone() };
        Self { zip: zip::ZipWriter::new(buffer), limit, over }
    }

    /// Adds `name` (a `/`-separated path) with `content`, streamed, and the Unix permission bits
    /// `mode` (`0o755` keeps a `bootstrap` executable).
    pub fn add(&mut self, name: &str, content: &mut dyn Read, mode: u32) -> Result<(), PackageError> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode)
            .last_modified_time(zip::DateTime::default());
        let written = self
            .zip
            .start_file(name, options)
            .map_err(std::io::Error::other)
            .and_then(|()| std::io::copy(content, &mut self.zip).map(drop));
        match written {
            Ok(()) => Ok(()),
            Err(_) if self.over.get() => Err(self.too_large(Some(name))),
            // The copy failed on reading, as writing into memory only fails past the cap.
            Err(e) => Err(PackageError::Read { entry: name.to_owned(), message: e.to_string() }),
        }
    }

    /// The finished archive.
    pub fn finish(self) -> Result<Vec<u8>, PackageError> {
        let (over, limit) = (self.over.clone(), self.limit);
        match self.zip.finish() {
            Ok(capped) => Ok(capped.buffer.into_inner()),
            Err(_) if over.get() => Err(PackageError::TooLarge { entry: None, limit: limit.unwrap_or(u64::MAX) }),
            Err(e) => Err(PackageError::Write(e.to_string())),
        }
    }

    fn too_large(&self, entry: Option<&str>) -> PackageError {
        PackageError::TooLarge { entry: entry.map(str::to_owned), limit: self.limit.unwrap_or(u64::MAX) }
    }
}

/// An archive in memory that may not grow past `limit` bytes: the first write beyond it fails, and
/// says so in `over`; the archive is refused from then on, and later writes (the zip writer
/// finishing the archive as it is dropped) go nowhere.
struct CappedBuffer {
    buffer: Cursor<Vec<u8>>,
    limit: u64,
    over: Rc<Cell<bool>>,
}

impl Write for CappedBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.over.get() {
            return Ok(data.len());
        }
        if self.buffer.position().saturating_add(data.len() as u64) > self.limit {
            self.over.set(true);
            return Err(std::io::Error::other("the package is larger than it may be"));
        }
        self.buffer.write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for CappedBuffer {
    fn seek(&mut self, position: SeekFrom) -> std::io::Result<u64> {
        self.buffer.seek(position)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn archive(entries: &[(&str, &[u8], u32)], limit: Option<u64>) -> Result<Vec<u8>, PackageError> {
        let mut writer = PackageWriter::new(limit);
        for (name, mut content, mode) in entries.iter().copied() {
            writer.add(name, &mut content, mode)?;
        }
        writer.finish()
    }

    #[test]
    fn the_same_entries_give_the_same_bytes_with_their_modes() {
        let entries: &[(&str, &[u8], u32)] = &[("bootstrap", b"#!/bin/sh\n", 0o755), ("lib/a.py", b"x = 1\n", 0o644)];
        let first = archive(entries, None).unwrap();
        assert_eq!(first, archive(entries, None).unwrap());
        let mut zip = zip::ZipArchive::new(Cursor::new(first)).unwrap();
        let bootstrap = zip.by_name("bootstrap").unwrap();
        assert_eq!(bootstrap.unix_mode().map(|m| m & 0o777), Some(0o755));
        drop(bootstrap);
        let mut content = String::new();
        zip.by_name("lib/a.py").unwrap().read_to_string(&mut content).unwrap();
        assert_eq!(content, "x = 1\n");
    }

    #[test]
    fn the_cap_names_the_entry_that_broke_it() {
        // Bytes deflate cannot shrink.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..64 * 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let error = archive(&[("small.txt", b"hi", 0o644), ("noise.bin", &noise, 0o644)], Some(16 * 1024)).unwrap_err();
        assert_eq!(error, PackageError::TooLarge { entry: Some("noise.bin".into()), limit: 16 * 1024 });
        assert_eq!(error.to_string(), "with `noise.bin` the zip archive grows past 16384 bytes");
        // What deflate shrinks fits, however large it is.
        let zeros = vec![0u8; 1024 * 1024];
        assert!(archive(&[("zeros.bin", &zeros, 0o644)], Some(16 * 1024)).is_ok());
    }

    #[test]
    fn a_failed_read_is_named() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let mut writer = PackageWriter::new(None);
        let error = writer.add("a.py", &mut Broken, 0o644).unwrap_err();
        assert_eq!(error.to_string(), "`a.py`: disk on fire");
    }
}
