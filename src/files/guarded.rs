//! The one guarded way to read a file caro-install did not create: a startup file, a
//! receipt, a sidecar on a `file://` mirror, a certificate, a model already on disk.
//!
//! Why a guard: such a path is chosen by whoever could write to the user's home or to a
//! mirror, and a plain `open` + `read_to_end` trusts it completely. A FIFO there blocks the
//! open (or the read) forever; `/dev/zero` reads until memory runs out; a symlink to a
//! device or to another user's file makes an "edit" replace something that is not the
//! user's startup file at all. So [`read_regular`]:
//!
//! 1. looks before it opens: only a regular file (or a symlink leading to a regular file
//!    the user owns) is opened at all; a FIFO, a device, a socket or a folder never is;
//! 2. opens without blocking (`O_NONBLOCK`, `O_NOCTTY`) and checks that what it opened is
//!    the very file it looked at (device and inode), so a swap between look and open is
//!    caught;
//! 3. reads at most `limit` bytes, and gives up after [`READ_TIMEOUT`] (a hung network
//!    file system).
//!
//! [`check_editable`] adds what an edit needs: the file is not read-only. What is refused
//! is a [`Refused`], which says what was found, so the caller can tell the user what to do
//! (for a startup file: the line to add by hand).
//!
//! Guarantees it does not give: a file can still change after it was read (callers that
//! replace it do so atomically and compare what they read); on Windows there are no FIFOs
//! or device files to meet in a home folder, and ownership is not checked.

use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

pub use crate::error::Refused;

/// How long one guarded read may take before it is abandoned.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the regular file at `path`, at most `limit` bytes of it. `Ok(None)` when nothing
/// is there (not even a dangling symlink's target); a [`Refused`] for anything that is not
/// a regular file (or a symlink to a regular file the user owns), for a file over `limit`,
/// and for a read that does not finish within [`READ_TIMEOUT`].
pub fn read_regular(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Refused> {
    let Some(metadata) = look(path)? else {
        return Ok(None);
    };
    if metadata.len() > limit {
        return Err(Refused::TooLarge(limit));
    }
    let path = path.to_path_buf();
    let (send, receive) = std::sync::mpsc::channel();
    // The read runs on its own thread so that a file system that never answers costs a
    // thread, not the install; the thread is left behind on a timeout.
    std::thread::spawn(move || {
        let _ = send.send(open_and_read(&path, &metadata, limit));
    });
    match receive.recv_timeout(READ_TIMEOUT) {
        Ok(result) => result.map(Some),
        Err(_) => Err(Refused::TimedOut(READ_TIMEOUT)),
    }
}

/// Reads the regular file at `path` as text (see [`read_regular`]); bytes that are not
/// UTF-8 are an [`Refused::Io`] of kind `InvalidData`.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<Option<String>, Refused> {
    match read_regular(path, limit)? {
        None => Ok(None),
        Some(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
            Refused::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                "it is not UTF-8 text",
            ))
        }),
    }
}

/// Checks that the file at `path` may be edited: a regular file (see [`read_regular`]'s
/// rules for symlinks) whose owner may write it. `Ok(false)` when nothing is there.
pub fn check_editable(path: &Path) -> Result<bool, Refused> {
    let Some(metadata) = look(path)? else {
        return Ok(false);
    };
    if read_only(&metadata) {
        return Err(Refused::ReadOnly);
    }
    Ok(true)
}

/// Opens the regular file at `path` for reading, as [`read_regular`] would, except that a
/// symlink may lead to a file anyone owns: for files that are only read and verified, never
/// edited, such as an asset or a sidecar on a `file://` mirror or a certificate (the system's
/// certificate folders are links to files root owns). `Ok(None)` when nothing is there. A
/// FIFO, a device, a socket or a folder is refused without being opened.
pub fn open_regular_shared(path: &Path) -> Result<Option<fs::File>, Refused> {
    let Some(looked) = look_following(path, false)? else {
        return Ok(None);
    };
    let file = open_nonblocking(path).map_err(Refused::Io)?;
    let opened = file.metadata().map_err(Refused::Io)?;
    if !opened.is_file() {
        return Err(Refused::NotRegular(kind_of(&opened)));
    }
    if !same_inode(&looked, &opened) {
        return Err(Refused::Swapped);
    }
    Ok(Some(file))
}

/// Reads at most `limit` bytes of the regular file at `path`, opened as
/// [`open_regular_shared`] opens it, within [`READ_TIMEOUT`].
pub fn read_regular_shared(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Refused> {
    let Some(file) = open_regular_shared(path)? else {
        return Ok(None);
    };
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = file.take(limit + 1).read_to_end(&mut bytes);
        let _ = send.send(read.map(|_| bytes));
    });
    match receive.recv_timeout(READ_TIMEOUT) {
        Ok(Ok(bytes)) if bytes.len() as u64 > limit => Err(Refused::TooLarge(limit)),
        Ok(Ok(bytes)) => Ok(Some(bytes)),
        Ok(Err(e)) => Err(Refused::Io(e)),
        Err(_) => Err(Refused::TimedOut(READ_TIMEOUT)),
    }
}

/// Returns the metadata of the regular file at `path` (through a symlink, which must lead
/// to a file the user owns), `None` when nothing is there, or why it is refused. Nothing is
/// opened.
fn look(path: &Path) -> Result<Option<fs::Metadata>, Refused> {
    look_following(path, true)
}

/// [`look`], where `own_targets` says whether a symlink must lead to a file the user owns.
fn look_following(path: &Path, own_targets: bool) -> Result<Option<fs::Metadata>, Refused> {
    let link = match fs::symlink_metadata(path) {
        Ok(link) => link,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Refused::Io(e)),
    };
    let metadata = if link.file_type().is_symlink() {
        match fs::metadata(path) {
            Ok(target) => target,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Refused::Io(e)),
        }
    } else {
        link.clone()
    };
    if !metadata.is_file() {
        return Err(Refused::NotRegular(kind_of(&metadata)));
    }
    if own_targets && link.file_type().is_symlink() && !owned_by_me(&metadata) {
        return Err(Refused::NotYours);
    }
    Ok(Some(metadata))
}

/// Opens without blocking, checks the open file is the one looked at, and reads it.
fn open_and_read(path: &Path, looked: &fs::Metadata, limit: u64) -> Result<Vec<u8>, Refused> {
    let file = open_nonblocking(path).map_err(Refused::Io)?;
    let opened = file.metadata().map_err(Refused::Io)?;
    if !opened.is_file() {
        return Err(Refused::NotRegular(kind_of(&opened)));
    }
    if !same_inode(looked, &opened) {
        return Err(Refused::Swapped);
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Refused::TooLarge(limit));
    }
    Ok(bytes)
}

#[cfg(unix)]
use unix::{kind_of, open_nonblocking, owned_by_me, read_only, same_inode};
#[cfg(not(unix))]
use windows::{kind_of, open_nonblocking, owned_by_me, read_only, same_inode};

#[cfg(unix)]
mod unix {
    use std::fs::{self, File, OpenOptions};
    use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
    use std::path::Path;

    pub(super) fn open_nonblocking(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
    }

    pub(super) fn kind_of(metadata: &fs::Metadata) -> &'static str {
        let kind = metadata.file_type();
        if kind.is_dir() {
            "a folder"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        }
    }

    pub(super) fn owned_by_me(metadata: &fs::Metadata) -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        metadata.uid() == unsafe { libc::geteuid() }
    }

    pub(super) fn read_only(metadata: &fs::Metadata) -> bool {
        metadata.mode() & 0o200 == 0
    }

    pub(super) fn same_inode(a: &fs::Metadata, b: &fs::Metadata) -> bool {
        a.dev() == b.dev() && a.ino() == b.ino()
    }
}

#[cfg(not(unix))]
mod windows {
    use std::fs::{self, File};
    use std::path::Path;

    pub(super) fn open_nonblocking(path: &Path) -> std::io::Result<File> {
        File::open(path)
    }

    pub(super) fn kind_of(metadata: &fs::Metadata) -> &'static str {
        if metadata.is_dir() {
            "a folder"
        } else {
            "not a regular file"
        }
    }

    pub(super) fn owned_by_me(_metadata: &fs::Metadata) -> bool {
        true
    }

    pub(super) fn read_only(metadata: &fs::Metadata) -> bool {
        metadata.permissions().readonly()
    }

    pub(super) fn same_inode(_a: &fs::Metadata, _b: &fs::Metadata) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rc");
        assert!(read_regular(&path, 10).unwrap().is_none());
        fs::write(&path, "export A=1\n").unwrap();
        assert_eq!(read_regular(&path, 100).unwrap().unwrap(), b"export A=1\n");
        assert!(matches!(read_regular(&path, 4), Err(Refused::TooLarge(4))));
    }

    #[test]
    fn a_folder_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let refused = read_regular(dir.path(), 10).unwrap_err();
        assert!(
            matches!(refused, Refused::NotRegular("a folder")),
            "{refused}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_and_a_device_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_regular(&fifo, 10),
            Err(Refused::NotRegular("a FIFO"))
        ));
        assert!(matches!(check_editable(&fifo), Err(Refused::NotRegular(_))));
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(matches!(
            read_regular(&zero, 10),
            Err(Refused::NotRegular("a device"))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_to_my_file_is_followed_and_a_dangling_one_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        fs::write(&target, "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(read_regular(&link, 10).unwrap().unwrap(), b"x");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("gone"), &dangling).unwrap();
        assert!(read_regular(&dangling, 10).unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn shared_reads_refuse_what_is_not_a_file_but_follow_anyones_links() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            open_regular_shared(&fifo),
            Err(Refused::NotRegular("a FIFO"))
        ));
        assert!(matches!(
            read_regular_shared(Path::new("/dev/null"), 10),
            Err(Refused::NotRegular("a device"))
        ));
        // /etc/passwd is root's: a symlink to it is read for a certificate folder.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
        assert!(read_regular_shared(&link, 1 << 20).unwrap().is_some());
        assert!(matches!(
            read_regular_shared(&link, 1),
            Err(Refused::TooLarge(1))
        ));
        assert!(
            open_regular_shared(&dir.path().join("none"))
                .unwrap()
                .is_none()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_file_is_not_editable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rc");
        fs::write(&path, "x").unwrap();
        assert!(check_editable(&path).unwrap());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
        assert!(matches!(check_editable(&path), Err(Refused::ReadOnly)));
        assert!(!check_editable(&dir.path().join("none")).unwrap());
    }
}
