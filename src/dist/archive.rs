//! Reproducible archives: the same inputs give the same bytes, whoever runs `dist` and when.
//!
//! Model bundles and the container image's layers are gzipped tarballs, and the NuGet
//! package is a zip; what would make two runs differ is fixed here once: every tar entry
//! has owner and group 0 with empty names, a fixed mode and a fixed time, and comes in the
//! order the caller gives; the gzip header carries no time and no file name; zip entries
//! carry the zip epoch (1980-01-01) as their time. Bytes are hashed as they are written,
//! so a digest never needs a second read, and a source is hashed as it is read, so a
//! release asset that changed since its digest was taken is caught before anything is
//! kept.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::Digest as _;

use crate::checksum::Digest;
use crate::error::{Error, Result};

/// A writer that hashes and counts what passes through it.
pub(crate) struct Hashing<W> {
    inner: W,
    hasher: sha2::Sha256,
    length: u64,
}

impl<W: Write> Hashing<W> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: W) -> Hashing<W> {
        Hashing {
            inner,
            hasher: sha2::Sha256::new(),
            length: 0,
        }
    }

    /// The inner writer, the SHA-256 of what was written and its length.
    pub(crate) fn finish(self) -> (W, Digest, u64) {
        (
            self.inner,
            Digest(self.hasher.finalize().into()),
            self.length,
        )
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        self.length += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A gzip stream over `inner` whose header holds no time and no file name.
pub(crate) fn gzip<W: Write>(inner: W) -> flate2::write::GzEncoder<W> {
    flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(inner, flate2::Compression::default())
}

/// A tar header for an entry of `size` bytes: POSIX ustar, owner and group 0 with no
/// names, `mode`, and the time `mtime` (seconds since 1970).
fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header.set_size(size);
    header
}

/// Appends the directory `path` (written with a trailing `/`), mode 0755.
pub(crate) fn append_dir<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    mtime: u64,
    archive: &Path,
) -> Result<()> {
    let mut header = header(tar::EntryType::Directory, 0o755, 0, mtime);
    tar.append_data(
        &mut header,
        format!("{}/", path.trim_end_matches('/')),
        io::empty(),
    )
    .map_err(Error::file("write", archive))
}

/// Appends the file `from` as `path` with `mode`, and returns its SHA-256. A file that
/// changes size while it is read is an error, never a corrupt entry.
pub(crate) fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    mode: u32,
    from: &Path,
    mtime: u64,
    archive: &Path,
) -> Result<Digest> {
    let source = File::open(from).map_err(Error::file("open", from))?;
    let size = source.metadata().map_err(Error::file("read", from))?.len();
    let mut header = header(tar::EntryType::Regular, mode, size, mtime);
    let mut reader = HashingReader::new(source.take(size));
    tar.append_data(&mut header, path, &mut reader)
        .map_err(|error| match error.kind() {
            io::ErrorKind::UnexpectedEof => {
                Error::file("read", from)(io::Error::other("the file shrank while it was read"))
            }
            _ => Error::file("write", archive)(error),
        })?;
    if reader.length != size
        || reader
            .inner
            .into_inner()
            .read(&mut [0])
            .is_ok_and(|n| n > 0)
    {
        return Err(Error::file("read", from)(io::Error::other(
            "the file changed size while it was read",
        )));
    }
    Ok(Digest(reader.hasher.finalize().into()))
}

/// Appends `bytes` as the file `path` with `mode`.
pub(crate) fn append_bytes<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    mode: u32,
    bytes: &[u8],
    mtime: u64,
    archive: &Path,
) -> Result<()> {
    let mut header = header(tar::EntryType::Regular, mode, bytes.len() as u64, mtime);
    tar.append_data(&mut header, path, bytes)
        .map_err(Error::file("write", archive))
}

/// A reader that hashes and counts what it reads.
struct HashingReader<R> {
    inner: R,
    hasher: sha2::Sha256,
    length: u64,
}

impl<R> HashingReader<R> {
    fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: sha2::Sha256::new(),
            length: 0,
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..read]);
        self.length += read as u64;
        Ok(read)
    }
}

/// Reads all of `from` (a release asset a channel embeds), checking that its bytes hash
/// to `expected`: the digest the release's sidecar gives.
pub(crate) fn read_checked(from: &Path, expected: &Digest) -> Result<Vec<u8>> {
    let bytes = std::fs::read(from).map_err(Error::file("read", from))?;
    let actual = Digest(sha2::Sha256::digest(&bytes).into());
    if &actual != expected {
        return Err(Error::file("read", from)(io::Error::other(format!(
            "its sha256 is {actual}, not the release's {expected}: the asset changed since \
             it was published"
        ))));
    }
    Ok(bytes)
}

/// The SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> Digest {
    Digest(sha2::Sha256::digest(bytes).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_headers_carry_no_time() {
        let mut encoder = gzip(Vec::new());
        encoder.write_all(b"caro").unwrap();
        let bytes = encoder.finish().unwrap();
        // ID1 ID2 CM FLG, then MTIME (4 bytes, zero), XFL, OS.
        assert_eq!(&bytes[..4], [0x1f, 0x8b, 8, 0]);
        assert_eq!(&bytes[4..8], [0, 0, 0, 0]);
        assert_eq!(bytes[9], 255);
    }

    #[test]
    fn tar_entries_have_fixed_owner_mode_and_time() {
        let mut tar = tar::Builder::new(Vec::new());
        append_dir(&mut tar, "models", 7, Path::new("a.tar")).unwrap();
        append_bytes(
            &mut tar,
            "models/m.gguf",
            0o644,
            b"GGUF",
            7,
            Path::new("a.tar"),
        )
        .unwrap();
        let bytes = tar.into_inner().unwrap();
        let mut archive = tar::Archive::new(&bytes[..]);
        let entries: Vec<_> = archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let header = entry.header();
                (
                    entry.path().unwrap().to_string_lossy().into_owned(),
                    header.mode().unwrap(),
                    header.uid().unwrap(),
                    header.mtime().unwrap(),
                    header.username().unwrap().unwrap_or("").to_string(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("models/".to_string(), 0o755, 0, 7, String::new()),
                ("models/m.gguf".to_string(), 0o644, 0, 7, String::new()),
            ]
        );
    }

    #[test]
    fn a_changed_asset_is_refused_by_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("caro-1.2.0-windows-amd64.exe");
        std::fs::write(&path, b"MZ").unwrap();
        assert_eq!(read_checked(&path, &sha256(b"MZ")).unwrap(), b"MZ");
        let error = read_checked(&path, &sha256(b"MZ!")).unwrap_err();
        let cause = std::error::Error::source(&error).unwrap().to_string();
        assert!(cause.contains("the asset changed"), "{cause}");
    }
}
