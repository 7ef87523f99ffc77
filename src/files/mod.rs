//! Writing files safely: the primitives every module that writes a file goes through.
//!
//! Each one says which guarantee it gives and which it does not:
//!
//! - [`TempFile`] is created *in the destination directory*, so placing it is a rename on
//!   one file system: atomic, never a copy that a crash could leave half-written. It is
//!   removed on drop (and on Ctrl-C, through [`crate::interrupt`]) unless placed, and it
//!   remembers which file it created, so a file swapped in behind it is never placed.
//! - [`write_atomically`] writes a small file (the receipt, a release's sums and manifests)
//!   that way: readers see the old contents or the new, never a mix. It is durable once it
//!   returns: the file is fsynced before the rename and the directory after it (Unix).
//! - Renames are made durable by an fsync of the directory on Unix. Windows has no such
//!   call, so there a power cut right after an install may still undo its last rename.
//! - [`remove_leftovers`] removes what a killed run left: only names with [`TEMP_PREFIX`]
//!   (or [`HOST_TEMP_PREFIX`], caro's own)
//!   and executables moved aside while they ran, never anything else, and only under the
//!   [`DirLock`], which says that no other installer is still writing them.
//! - [`check_install_dir`] refuses a directory in which others could swap files.
//! - [`read_regular`] is the one way to read a file caro-install did not create (startup
//!   files, receipts, sidecars, certificates): never a FIFO, a device or another user's
//!   file behind a symlink, bounded in size and time.
//!
//! Nothing here knows about releases, receipts or shells: this room sits at the bottom of
//! the house, and install, update, uninstall, receipt and shell all build on it.

mod guarded;
mod lock;
mod temp;

pub use guarded::{
    Refused, check_editable, open_regular_shared, read_regular, read_regular_shared,
    read_regular_text,
};
pub use lock::{DirLock, lock_wait, tidy};
pub(crate) use temp::TempDir;
pub use temp::TempFile;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::report::Reporter;

/// The prefix of every temp file and folder caro-install creates; anything with it in an
/// install directory is a leftover of a killed run.
pub const TEMP_PREFIX: &str = ".caro-install-tmp-";

/// The prefix of the temp files of caro when it runs the library (`caro self-update`),
/// also removed as leftovers whichever program finds them.
pub const HOST_TEMP_PREFIX: &str = ".caro-tmp-";

/// The program this process is, when not caro-install: set once by
/// [`SelfUpdate`](crate::SelfUpdate), so the temp files beside the binary carry the name
/// of the program the user ran (`.caro-tmp-…`), not that of a library they never heard of.
static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the program this process is (`caro`), for its temp files; the first call wins. A
/// name with other than letters, digits, `-`, `_` and `.` is ignored.
pub fn set_host(name: &str) {
    let usable = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if usable {
        let _ = HOST.set(name.to_string());
    }
}

/// The prefix of this process's temp files: [`TEMP_PREFIX`], or `.<host>-tmp-` once
/// [`set_host`] named the program.
pub fn temp_prefix() -> String {
    match HOST.get() {
        Some(host) => format!(".{host}-tmp-"),
        None => TEMP_PREFIX.to_string(),
    }
}

/// [`fs::canonicalize`] in the form users know: `C:\x` rather than the `\\?\C:\x` Windows
/// returns (see [`simplified`]); for paths printed or stored, not only compared.
pub fn canonicalize(path: &Path) -> std::io::Result<PathBuf> {
    fs::canonicalize(path).map(simplified)
}

/// `path` without the verbatim prefix `\\?\` when the rest is an ordinary drive path
/// (`\\?\C:\x` becomes `C:\x`) or share (`\\?\UNC\host\share` becomes `\\host\share`)
/// short enough to need no prefix; any other path as it is. Pure, so tested on every OS.
pub fn simplified(path: PathBuf) -> PathBuf {
    let Some(text) = path.to_str() else {
        return path;
    };
    if text.len() >= 260 {
        return path; // past MAX_PATH, only the verbatim form works
    }
    if let Some(share) = text.strip_prefix(r"\\?\UNC\") {
        return PathBuf::from(format!(r"\\{share}"));
    }
    match text.strip_prefix(r"\\?\") {
        Some(rest)
            if rest.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
                && rest.get(1..3) == Some(r":\") =>
        {
            PathBuf::from(rest)
        }
        _ => path,
    }
}

/// Returns true if and only if both paths name the same existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Writes `bytes` to `path` atomically: a temp file beside it, fsync, rename. Creates the
/// parent directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_permissions(path, bytes, None)
}

/// Replaces the contents of the user's file at `path` the way [`write_atomically`] does,
/// as an editor that keeps links would: a symlink is followed and the file it leads to is
/// replaced, so `path` stays a symlink; the mode of the file replaced is kept. Not a check
/// that the file may be edited: callers use [`check_editable`] first.
pub fn replace_contents(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        fs::canonicalize(path).map_err(Error::file("follow the symlink", path))?
    } else {
        path.to_path_buf()
    };
    let permissions = fs::metadata(&target).ok().map(|m| m.permissions());
    write_with_permissions(&target, bytes, permissions)
}

fn write_with_permissions(
    path: &Path,
    bytes: &[u8],
    permissions: Option<fs::Permissions>,
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(Error::file("create directory", dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = TempFile::create(dir, &name)?;
    temp.file_mut()
        .write_all(bytes)
        .map_err(Error::file("write", temp.path()))?;
    temp.file_mut()
        .sync_all()
        .map_err(Error::file("flush", temp.path()))?;
    if let Some(permissions) = permissions {
        temp.file_mut()
            .set_permissions(permissions)
            .map_err(Error::file("set the mode of", temp.path()))?;
    }
    temp.replace(path)
}

/// Flushes a directory entry change (the rename) to disk; best effort, Unix only.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    fn imp(path: &Path) {
        if let Some(Ok(dir)) = path.parent().map(fs::File::open) {
            let _ = dir.sync_all(); // best effort: the rename itself has happened
        }
    }
    #[cfg(not(unix))]
    fn imp(_path: &Path) {}
    imp(path)
}

/// Removes temp files and folders a killed run left in `dir`, and old executables moved
/// aside while they ran (also self-replace's `*.__relocated__.exe`, which earlier versions
/// left). Only safe under [`DirLock`]; one still running stays until a later run.
pub fn remove_leftovers(dir: &Path, reporter: &dyn Reporter) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !is_leftover(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if removed.is_ok() {
            let what = if entry.file_name().to_string_lossy().contains("-old-") {
                "an old executable moved aside while it ran"
            } else {
                "left by an interrupted run"
            };
            reporter.detail(&format!("removed {}, {what}", path.display()));
        }
    }
}

/// Returns true if and only if `name` is a file caro-install leaves only when interrupted
/// or while an old executable still runs: its temp files, and self-replace's relocated
/// copies of caro-install or caro (`.caro-install.<random>.__relocated__.exe`).
fn is_leftover(name: &str) -> bool {
    let relocated = name
        .strip_suffix(".__relocated__.exe")
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.rsplit_once('.'))
        .is_some_and(|(stem, _)| stem == "caro" || stem == "caro-install");
    name.starts_with(TEMP_PREFIX)
        || name.starts_with(HOST_TEMP_PREFIX)
        || name.starts_with(&temp_prefix())
        || relocated
}

/// Checks that others cannot swap files in `dir` while caro-install works there: a
/// directory anyone may write to without the sticky bit is refused; one a group may write
/// to, or one owned by another user, is a warning (Homebrew's `/usr/local/bin` is
/// group-writable by design). Unix only: Windows folders under `%LOCALAPPDATA%` are the
/// user's own.
pub fn check_install_dir(dir: &Path, reporter: &dyn Reporter) -> Result<()> {
    #[cfg(unix)]
    fn imp(dir: &Path, reporter: &dyn Reporter) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        // A symlink another user placed decides where caro goes: refused, unless root's.
        let link = fs::symlink_metadata(dir).map_err(Error::file("inspect", dir))?;
        if link.file_type().is_symlink() && link.uid() != me && link.uid() != 0 {
            return Err(Error::UnsafeInstallDir {
                path: dir.to_path_buf(),
                reason: format!(
                    "it is a symlink that another user (uid {}) placed, so they choose where \
                     caro goes",
                    link.uid()
                ),
            });
        }
        let metadata = fs::metadata(dir).map_err(Error::file("inspect", dir))?;
        let mode = metadata.mode();
        let sticky = mode & 0o1000 != 0;
        if mode & 0o002 != 0 && !sticky {
            return Err(Error::UnsafeInstallDir {
                path: dir.to_path_buf(),
                reason: format!(
                    "every user can replace files in it (mode {:o}, no sticky bit), so a \
                     verified download could be swapped before it is placed",
                    mode & 0o7777
                ),
            });
        }
        if mode & 0o020 != 0 && !sticky {
            reporter.warn(&format!(
                "other members of group {} can replace files in {} (mode {:o}); caro is \
                 verified when placed, but not afterwards",
                metadata.gid(),
                dir.display(),
                mode & 0o7777
            ));
        }
        if metadata.uid() != me {
            reporter.warn(&format!(
                "{} belongs to another user (uid {}), who can replace caro there at any time",
                dir.display(),
                metadata.uid()
            ));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    fn imp(_dir: &Path, _reporter: &dyn Reporter) -> Result<()> {
        Ok(())
    }
    imp(dir, reporter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_paths_are_shown_plainly() {
        let plain = |text: &str| simplified(PathBuf::from(text));
        assert_eq!(
            plain(r"\\?\C:\Users\u\caro.exe"),
            PathBuf::from(r"C:\Users\u\caro.exe")
        );
        assert_eq!(
            plain(r"\\?\UNC\host\share\caro.exe"),
            PathBuf::from(r"\\host\share\caro.exe")
        );
        for kept in [
            r"\\?\Volume{x}\caro.exe",
            r"C:\caro.exe",
            "/usr/bin/caro",
            r"\\?\C:",
        ] {
            assert_eq!(plain(kept), PathBuf::from(kept));
        }
        let long = format!(r"\\?\C:\{}", "a".repeat(300));
        assert_eq!(plain(&long), PathBuf::from(&long));
    }

    #[test]
    fn executables_moved_aside_are_leftovers_and_others_are_not() {
        assert!(is_leftover(".caro-install-tmp-7-0-old-caro.exe"));
        assert!(is_leftover(".caro-install.qwertyuiop.__relocated__.exe"));
        assert!(is_leftover(".caro.qwertyuiop.__relocated__.exe"));
        assert!(!is_leftover(".other.qwertyuiop.__relocated__.exe"));
        assert!(!is_leftover("caro.exe"));
        assert!(!is_leftover(".caro-install.lock"));
    }

    #[test]
    fn leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(format!("{TEMP_PREFIX}1-0-caro")), "partial").unwrap();
        fs::create_dir(dir.path().join(format!("{TEMP_PREFIX}1-source"))).unwrap();
        fs::write(dir.path().join("caro"), "keep").unwrap();
        remove_leftovers(dir.path(), &crate::report::Silent);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["caro"]);
    }
}
