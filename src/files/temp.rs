//! [`TempFile`]: a file written beside its final place and renamed over it; [`TempDir`].

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

#[cfg(windows)]
use super::same_file;
use super::{sync_parent, temp_prefix};
use crate::error::{Error, Result};
use crate::report::Reporter;

/// A temp file in the destination directory, removed on drop unless persisted.
///
/// It remembers which file it created (device and inode on Unix): the digest covers the
/// bytes written through the open descriptor, but placing and the start-up check go by
/// path, so before either the path must still name that same file. Anyone who could swap
/// it (the same user, root, or another user in a shared directory, which
/// [`check_install_dir`](super::check_install_dir) refuses) is caught here instead of
/// getting their file installed.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    file: Option<File>,
    identity: Option<FileIdentity>,
    /// Removes the file on Ctrl-C or SIGTERM while it exists.
    _interrupt: crate::interrupt::Registration,
}

/// What tells one file from another whatever its name: device and inode on Unix; nothing
/// elsewhere (Windows cannot rename or replace a file another process holds open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    #[cfg(unix)]
    fn of(metadata: &fs::Metadata) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        Some(FileIdentity {
            device: metadata.dev(),
            inode: metadata.ino(),
        })
    }

    #[cfg(not(unix))]
    fn of(_metadata: &fs::Metadata) -> Option<FileIdentity> {
        None
    }
}

static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// `dir/.caro-install-tmp-<pid>-<n>-<name>` (`.caro-tmp-` inside caro): the counter keeps this process's temp files
/// apart, the pid those of installers running beside it.
fn unique_path(dir: &Path, name: &str) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(
        "{}{}-{n}-{name}",
        temp_prefix(),
        std::process::id()
    ))
}

impl TempFile {
    /// Creates `dir/.caro-install-tmp-<pid>-<n>-<name>`, failing if it exists.
    pub fn create(dir: &Path, name: &str) -> Result<TempFile> {
        let path = unique_path(dir, name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(Error::file("create a temp file in", dir))?;
        Ok(TempFile::opened(path, file))
    }

    /// Moves an existing file (a cargo build) into a temp file in `dir`.
    pub(crate) fn adopt(dir: &Path, existing: &Path) -> Result<TempFile> {
        let path = unique_path(dir, "built");
        fs::rename(existing, &path).map_err(Error::file("move the built binary from", existing))?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(Error::file("open", &path))?;
        Ok(TempFile::opened(path, file))
    }

    /// The temp file at `path`, open as `file`: its identity remembered, and registered
    /// for removal on Ctrl-C.
    fn opened(path: PathBuf, file: File) -> TempFile {
        let identity = file.metadata().ok().as_ref().and_then(FileIdentity::of);
        TempFile {
            _interrupt: crate::interrupt::remove_on_interrupt(&path),
            path,
            file: Some(file),
            identity,
        }
    }

    /// The open file.
    ///
    /// # Panics
    /// After [`make_executable`](Self::make_executable), which closes it.
    pub fn file_mut(&mut self) -> &mut File {
        self.file
            .as_mut()
            .expect("the file is open until made executable")
    }

    /// The temp file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the file to disk, makes it executable (0755 on Unix) and closes it, so it can
    /// be run (Linux refuses to run a file still open for writing).
    pub fn make_executable(&mut self) -> Result<()> {
        let path = self.path.clone();
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        file.sync_all().map_err(Error::file("flush", &path))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o755))
                .map_err(Error::file("make executable", &path))?;
        }
        Ok(())
    }

    /// Makes the file executable, flushes it to disk and puts it at `target` (see
    /// [`replace_running`](Self::replace_running)).
    pub fn persist(mut self, target: &Path, reporter: &dyn Reporter) -> Result<()> {
        self.make_executable()?;
        self.replace_running(target, reporter)
    }

    /// Puts an executable (already [`make_executable`](Self::make_executable)) at `target`,
    /// which may be running (this very program, or a caro the user has open).
    ///
    /// On Unix a rename replaces a running file. Windows refuses to overwrite a running
    /// executable but lets it be renamed, so there the old one is moved aside first (to a
    /// temp name in the same directory), the new one is moved in, and if that fails the old
    /// one is moved back. The old one is then deleted: at once when nothing runs it; after
    /// this process exits when it is this process; otherwise by the next run that takes
    /// the directory lock ([`remove_leftovers`](super::remove_leftovers)).
    pub fn replace_running(mut self, target: &Path, reporter: &dyn Reporter) -> Result<()> {
        drop(self.file.take());
        #[cfg(windows)]
        if target.exists() {
            self.check_unchanged()?;
            let aside = aside_path(target);
            let running_self = std::env::current_exe().is_ok_and(|exe| same_file(&exe, target));
            swap_in(&self.path, target, &aside, |from, to| fs::rename(from, to))
                .map_err(Error::file("replace", target))?;
            self.path = PathBuf::new();
            if let Some(said) = dispose_aside(&aside, running_self).describe(target, &aside) {
                reporter.detail(&said);
            }
            reporter.detail(&format!("placed {}", target.display()));
            return Ok(());
        }
        self.replace(target)?;
        reporter.detail(&format!("placed {}", target.display()));
        Ok(())
    }

    /// Checks that the temp file's path still names the file this process wrote (and
    /// hashed), so nothing swapped in behind it is run or placed.
    pub fn check_unchanged(&self) -> Result<()> {
        let Some(identity) = self.identity else {
            return Ok(());
        };
        let now = fs::symlink_metadata(&self.path)
            .ok()
            .as_ref()
            .and_then(FileIdentity::of);
        if now == Some(identity) {
            return Ok(());
        }
        Err(Error::TempFileReplaced {
            path: self.path.clone(),
        })
    }

    /// Renames the file over `target` as it is (no mode change) and syncs the directory,
    /// after checking the path still names the file written; and checks again afterwards
    /// that `target` is that file, so a swap in the instant between is reported, not hidden.
    pub fn replace(mut self, target: &Path) -> Result<()> {
        drop(self.file.take());
        self.check_unchanged()?;
        fs::rename(&self.path, target).map_err(Error::file("move into place", target))?;
        self.path = PathBuf::new();
        sync_parent(target);
        let placed = fs::symlink_metadata(target)
            .ok()
            .as_ref()
            .and_then(FileIdentity::of);
        if self.identity.is_some() && placed != self.identity {
            return Err(Error::TempFileReplaced {
                path: target.to_path_buf(),
            });
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Where a running `target` is moved aside: a temp name in its directory, so that the move
/// is a rename on one file system and [`remove_leftovers`](super::remove_leftovers) finds
/// what is left.
#[cfg(any(windows, test))]
fn aside_path(target: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(
        "{}{}-{n}-old-{name}",
        temp_prefix(),
        std::process::id()
    ))
}

/// What becomes of an old executable moved aside because it was running, so the message
/// says what will really happen (it used to promise "it goes once it stops", which
/// nothing did).
#[cfg(any(windows, test))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsideFate {
    /// Nothing ran it after all: it was removed at once.
    Removed,
    /// It is this very process: removed as it exits (self-replace's helper).
    AtExit,
    /// Windows removes it at the next restart (`MoveFileExW` with
    /// `MOVEFILE_DELAY_UNTIL_REBOOT`, which only an administrator may ask for).
    AtRestart,
    /// The next caro-install run (install, update, self-update) removes it under the
    /// directory lock ([`remove_leftovers`](super::remove_leftovers)).
    NextRun,
}

#[cfg(any(windows, test))]
impl AsideFate {
    /// The `-v` line for `target`'s old copy at `aside`; `None` when it is gone already.
    pub fn describe(self, target: &Path, aside: &Path) -> Option<String> {
        let (target, aside) = (target.display(), aside.display());
        let when = match self {
            AsideFate::Removed => return None,
            AsideFate::AtExit => "it is removed as this process exits",
            AsideFate::AtRestart => "it still runs, so Windows removes it at the next restart",
            AsideFate::NextRun => {
                "it still runs, so the next caro-install run (install, update or \
                 self-update) removes it"
            }
        };
        Some(format!(
            "moved the running {target} aside to {aside}; {when}"
        ))
    }
}

/// Removes the old executable at `aside`, or arranges its removal: at this process's exit
/// when it is this process, else at the next restart when Windows lets us ask (an
/// administrator), else by the next run; says which.
#[cfg(windows)]
fn dispose_aside(aside: &Path, running_self: bool) -> AsideFate {
    if fs::remove_file(aside).is_ok() {
        return AsideFate::Removed;
    }
    if running_self && self_replace::self_delete_at(aside).is_ok() {
        return AsideFate::AtExit;
    }
    if remove_at_restart(aside) {
        return AsideFate::AtRestart;
    }
    AsideFate::NextRun
}

/// Asks Windows to delete `path` at the next restart; false when refused (not an
/// administrator: the request is written to `HKLM`).
#[cfg(windows)]
fn remove_at_restart(path: &Path) -> bool {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Storage::FileSystem::{MOVEFILE_DELAY_UNTIL_REBOOT, MoveFileExW};
    let wide: Vec<u16> = path.as_os_str().encode_wide().chain([0]).collect();
    // SAFETY: `wide` is a NUL-terminated UTF-16 path that outlives the call; a null new
    // name asks for deletion.
    unsafe { MoveFileExW(wide.as_ptr(), std::ptr::null(), MOVEFILE_DELAY_UNTIL_REBOOT) != 0 }
}

/// Moves `target` to `aside` and `new` to `target`; if the second move fails, moves
/// `aside` back, so `target` is the old file again. `rename` is [`fs::rename`] (tests pass
/// a failing one).
#[cfg(any(windows, test))]
fn swap_in(
    new: &Path,
    target: &Path,
    aside: &Path,
    rename: impl Fn(&Path, &Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    rename(target, aside)?;
    if let Err(error) = rename(new, target) {
        rename(aside, target)?;
        return Err(error);
    }
    Ok(())
}

/// A temp directory removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::remove_leftovers;
    use std::io::Write;

    #[test]
    fn the_message_says_when_the_old_executable_really_goes() {
        let (target, aside) = (Path::new("caro.exe"), Path::new(".old-caro.exe"));
        assert_eq!(AsideFate::Removed.describe(target, aside), None);
        let said = |fate: AsideFate| fate.describe(target, aside).unwrap();
        assert!(said(AsideFate::AtExit).contains("removed as this process exits"));
        assert!(said(AsideFate::AtRestart).contains("at the next restart"));
        assert!(said(AsideFate::NextRun).contains("the next caro-install run"));
        for fate in [AsideFate::AtExit, AsideFate::AtRestart, AsideFate::NextRun] {
            assert!(!said(fate).contains("once it stops"), "{fate:?}");
            assert!(said(fate).contains(".old-caro.exe"));
        }
    }

    #[test]
    fn temp_file_is_removed_unless_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let temp = TempFile::create(dir.path(), "caro").unwrap();
        let path = temp.path().to_path_buf();
        assert!(path.exists());
        drop(temp);
        assert!(!path.exists());
        let mut temp = TempFile::create(dir.path(), "caro").unwrap();
        temp.file_mut().write_all(b"new").unwrap();
        temp.persist(&dir.path().join("caro"), &crate::report::Silent)
            .unwrap();
        assert_eq!(fs::read(dir.path().join("caro")).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_move_in_puts_the_old_executable_back() {
        let dir = tempfile::tempdir().unwrap();
        let (new, target) = (dir.path().join("new"), dir.path().join("caro"));
        fs::write(&new, "new").unwrap();
        fs::write(&target, "old").unwrap();
        let aside = aside_path(&target);
        let error = swap_in(&new, &target, &aside, |from, to| {
            if from == new {
                return Err(std::io::Error::other("disk full"));
            }
            fs::rename(from, to)
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "disk full");
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert!(!aside.exists());
        swap_in(&new, &target, &aside, |from, to| fs::rename(from, to)).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::read(&aside).unwrap(), b"old");
        remove_leftovers(dir.path(), &crate::report::Silent);
        assert!(!aside.exists(), "the next run removes what was moved aside");
    }
}
