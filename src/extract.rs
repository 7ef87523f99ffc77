//! Taking the binary out of a `.tar.gz` or `.zip` asset, refusing anything hostile.
//!
//! Only one file is ever written: the binary, streamed into a temp file the caller owns.
//! Every entry is still checked, so an archive with an absolute path, a `..`, or a link
//! anywhere is refused as a whole (a release that ships one is broken or hostile either
//! way), and a cap on the decompressed bytes stops archive bombs before they fill a disk.
//!
//! self_update's `Extract` writes entries to disk as it finds them and has no size cap, so
//! this module uses the same crates it wraps (tar, flate2, zip) directly.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::error::{Error, Result};
use crate::release::AssetKind;

/// The most bytes an archive may expand to (and the binary may have): 1 GiB, ten times
/// the largest caro build.
pub const MAX_EXTRACTED_BYTES: u64 = 1 << 30;

/// What an archive entry is to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRole {
    /// The binary we are looking for.
    Binary,
    /// Something else, safe to skip.
    Other,
}

/// Classifies an entry path: the binary at the root or inside one top-level folder, or
/// something else; an error (the reason) for absolute paths, `..` and NUL bytes.
pub fn classify_entry(path: &str, binary: &str) -> Result<EntryRole, String> {
    let parts = entry_parts(path)?;
    Ok(match parts.as_slice() {
        [name] | [_, name] if *name == binary => EntryRole::Binary,
        _ => EntryRole::Other,
    })
}

/// The names an entry path is made of, without empty and `.` parts; an error (the reason)
/// for absolute paths, `..` and NUL bytes. Every archive and bundle entry passes here.
pub fn entry_parts(path: &str) -> Result<Vec<&str>, String> {
    let shown = path.escape_debug();
    if path.contains('\0') {
        return Err(format!("entry `{shown}` has a NUL byte in its name"));
    }
    let bytes = path.as_bytes();
    let has_drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if path.starts_with('/') || path.starts_with('\\') || has_drive {
        return Err(format!("entry `{shown}` has an absolute path"));
    }
    let mut parts = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                return Err(format!(
                    "entry `{shown}` leaves the target folder with `..`"
                ));
            }
            part => parts.push(part),
        }
    }
    Ok(parts)
}

/// Extracts `binary` from `archive` (rewound first) into `out`; returns its size.
/// `label` (the asset URL) names the archive in errors.
pub fn extract_binary(
    archive: &mut File,
    kind: AssetKind,
    binary: &str,
    out: &mut File,
    label: &str,
    limit: u64,
) -> Result<u64> {
    let read_error = |source| Error::Archive {
        archive: label.to_string(),
        source,
    };
    let unsafe_archive = |reason| Error::UnsafeArchive {
        archive: label.to_string(),
        reason,
    };
    archive.seek(SeekFrom::Start(0)).map_err(read_error)?;
    let found = match kind {
        AssetKind::TarGz => extract_tar_gz(archive, binary, out, limit),
        AssetKind::Zip => extract_zip(archive, binary, out, limit),
        AssetKind::Binary => return Err(unsafe_archive("it is not an archive".to_string())),
    };
    match found {
        Ok(Some(size)) => Ok(size),
        Ok(None) => Err(Error::BinaryNotInArchive {
            archive: label.to_string(),
            binary: binary.to_string(),
        }),
        Err(Problem::Unsafe(reason)) => Err(unsafe_archive(reason)),
        Err(Problem::Io(source)) => Err(read_error(source)),
    }
}

enum Problem {
    Unsafe(String),
    Io(io::Error),
}

impl From<io::Error> for Problem {
    fn from(error: io::Error) -> Problem {
        match error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<TooLarge>())
        {
            Some(TooLarge(limit)) => {
                Problem::Unsafe(format!("it expands to more than {limit} bytes"))
            }
            None => Problem::Io(error),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("more than {0} bytes")]
struct TooLarge(u64);

/// A reader that fails once more than `left` bytes have come through.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or_else(|| io::Error::other(TooLarge(self.limit)))?;
        Ok(n)
    }
}

fn copy_capped(mut entry: impl Read, out: &mut File, limit: u64) -> Result<u64, Problem> {
    let written = io::copy(
        &mut Capped {
            inner: &mut entry,
            left: limit,
            limit,
        },
        out,
    )?;
    out.flush()?;
    Ok(written)
}

fn extract_tar_gz(
    archive: &mut File,
    binary: &str,
    out: &mut File,
    limit: u64,
) -> Result<Option<u64>, Problem> {
    let decoded = Capped {
        inner: flate2::read::GzDecoder::new(archive),
        left: limit,
        limit,
    };
    let mut tar = tar::Archive::new(decoded);
    let mut found = None;
    for entry in tar.entries()? {
        let entry = entry?;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(Problem::Unsafe(format!(
                "entry `{}` is a link",
                path.escape_debug()
            )));
        }
        let role = classify_entry(&path, binary).map_err(Problem::Unsafe)?;
        if !(kind.is_file()
            || kind.is_dir()
            || kind.is_contiguous()
            || kind.is_pax_global_extensions())
        {
            return Err(Problem::Unsafe(format!(
                "entry `{}` is a special file",
                path.escape_debug()
            )));
        }
        if role == EntryRole::Binary && kind.is_file() && found.is_none() {
            found = Some(copy_capped(entry, out, limit)?);
        }
    }
    Ok(found)
}

/// The most entries a zip may list: caro's archives hold one binary and a few documents,
/// and the zip reader keeps the whole central directory in memory, so a zip of hundreds of
/// thousands of empty entries would cost memory in proportion before any check ran.
pub const MAX_ZIP_ENTRIES: u64 = 1000;

/// The number of entries a zip's end-of-central-directory record declares, read from its
/// last 64 KiB; `None` when there is no such record (then the zip reader reports it) and
/// `u64::MAX` for a zip64 archive (which names its count elsewhere, and which no caro
/// release needs).
pub fn zip_entry_count(tail: &[u8]) -> Option<u64> {
    const SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    let at = tail.windows(4).rposition(|w| w == SIGNATURE)?;
    let record = tail.get(at..at + 22)?;
    let count = u16::from_le_bytes([record[10], record[11]]);
    Some(if count == u16::MAX {
        u64::MAX
    } else {
        u64::from(count)
    })
}

fn extract_zip(
    archive: &mut File,
    binary: &str,
    out: &mut File,
    limit: u64,
) -> Result<Option<u64>, Problem> {
    use std::io::{Seek, SeekFrom};
    let length = archive.seek(SeekFrom::End(0))?;
    let tail_length = length.min(64 * 1024 + 22);
    archive.seek(SeekFrom::Start(length - tail_length))?;
    let mut tail = Vec::with_capacity(tail_length as usize);
    (&mut *archive).take(tail_length).read_to_end(&mut tail)?;
    archive.seek(SeekFrom::Start(0))?;
    if let Some(count) = zip_entry_count(&tail).filter(|&count| count > MAX_ZIP_ENTRIES) {
        return Err(Problem::Unsafe(format!(
            "it lists {} entries, more than the {MAX_ZIP_ENTRIES} an install archive may have",
            if count == u64::MAX {
                "a zip64 number of".to_string()
            } else {
                count.to_string()
            }
        )));
    }
    let mut zip = zip::ZipArchive::new(archive).map_err(|e| Problem::Io(io::Error::other(e)))?;
    let mut found = None;
    for index in 0..zip.len() {
        let entry = zip
            .by_index(index)
            .map_err(|e| Problem::Io(io::Error::other(e)))?;
        let path = entry.name().to_string();
        const S_IFMT: u32 = 0o170000;
        const S_IFLNK: u32 = 0o120000;
        if entry
            .unix_mode()
            .is_some_and(|mode| mode & S_IFMT == S_IFLNK)
        {
            return Err(Problem::Unsafe(format!(
                "entry `{}` is a link",
                path.escape_debug()
            )));
        }
        let role = classify_entry(&path, binary).map_err(Problem::Unsafe)?;
        if role == EntryRole::Binary && !entry.is_dir() && found.is_none() {
            if entry.size() > limit {
                return Err(Problem::Unsafe(format!(
                    "entry `{}` is larger than {limit} bytes",
                    path.escape_debug()
                )));
            }
            found = Some(copy_capped(entry, out, limit)?);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_at_root_or_in_one_folder() {
        assert_eq!(classify_entry("caro", "caro"), Ok(EntryRole::Binary));
        assert_eq!(classify_entry("./caro", "caro"), Ok(EntryRole::Binary));
        assert_eq!(
            classify_entry("caro-1.0.3-linux-amd64/caro", "caro"),
            Ok(EntryRole::Binary)
        );
        assert_eq!(classify_entry("a/b/caro", "caro"), Ok(EntryRole::Other));
        assert_eq!(classify_entry("caro-1.0.3/", "caro"), Ok(EntryRole::Other));
        assert_eq!(classify_entry("README.md", "caro"), Ok(EntryRole::Other));
        assert_eq!(
            classify_entry("dir\\caro.exe", "caro.exe"),
            Ok(EntryRole::Binary)
        );
    }

    #[test]
    fn the_declared_zip_entry_count_is_read_from_the_end_record() {
        let mut tail = vec![0u8; 40];
        tail.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0x10, 0x27, 0x10, 0x27]);
        tail.extend_from_slice(&[0u8; 10]);
        assert_eq!(zip_entry_count(&tail), Some(10_000));
        assert_eq!(zip_entry_count(&tail[..40]), None);
        let last = tail.len() - 12;
        tail[last] = 0xff;
        tail[last + 1] = 0xff;
        assert_eq!(zip_entry_count(&tail), Some(u64::MAX));
    }

    #[test]
    fn hostile_paths_are_refused() {
        for path in [
            "/etc/passwd",
            "\\windows\\x",
            "C:/x/caro",
            "../caro",
            "a/../../caro",
            "a/..\\..\\caro",
            "ca\0ro",
        ] {
            assert!(classify_entry(path, "caro").is_err(), "{path:?}");
        }
        let reason = classify_entry("../../caro", "caro").unwrap_err();
        assert!(
            reason.contains("../../caro") && reason.contains(".."),
            "{reason}"
        );
    }
}
