//! [`DirLock`]: one installer at a time in an install directory.

use std::fs::File;
use std::path::Path;

use super::remove_leftovers;
use crate::error::{Error, Result};
use crate::report::Reporter;

/// An exclusive lock on an install directory, held while installing or updating there.
///
/// On Unix the directory itself is locked (flock on its descriptor), which leaves no lock
/// file behind. Windows cannot lock a directory, so it locks `.caro-install.lock` inside it,
/// opened delete-on-close: Windows deletes the file when the last installer holding it open
/// closes it, so none is left behind either (and an uninstall can remove the folder). While
/// that deletion is pending, the name cannot be opened, so a newcomer retries briefly
/// rather than lock a second file of the same name.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock, waiting (and saying so) while another installer holds it, for at
    /// most `wait`: then it gives up, naming the process that holds it where the system
    /// tells (Linux), so a stuck or foreign installer never makes this one hang.
    pub fn acquire(
        dir: &Path,
        wait: std::time::Duration,
        reporter: &dyn Reporter,
    ) -> Result<DirLock> {
        let file = open_lock(dir).map_err(Error::file("open for locking", dir))?;
        let deadline = std::time::Instant::now() + wait;
        let mut said = false;
        loop {
            match try_lock_exclusive(&file) {
                Ok(true) => return Ok(DirLock { _file: file }),
                Ok(false) => {}
                Err(e) => return Err(Error::file("lock", dir)(e)),
            }
            let holder = lock_holder(&file);
            if std::time::Instant::now() >= deadline {
                return Err(Error::LockTimeout {
                    path: dir.to_path_buf(),
                    holder,
                    seconds: wait.as_secs(),
                });
            }
            if !said {
                reporter.info(&format!(
                    "waiting for {} working in {} (at most {} s)",
                    holder.as_deref().unwrap_or("another caro-install"),
                    dir.display(),
                    wait.as_secs()
                ));
                said = true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Takes the lock only if no other installer holds it.
    pub fn try_acquire(dir: &Path) -> Option<DirLock> {
        let file = open_lock(dir).ok()?;
        try_lock_exclusive(&file)
            .ok()?
            .then_some(DirLock { _file: file })
    }
}

/// Removes what earlier runs left in `dir` ([`remove_leftovers`]) when no other installer
/// is working there, without waiting for one: how an old executable moved aside while it
/// ran goes on a later start, even one that has nothing to update.
pub fn tidy(dir: &Path, reporter: &dyn Reporter) {
    if let Some(_lock) = DirLock::try_acquire(dir) {
        remove_leftovers(dir, reporter);
    }
}

// The platform's lock primitives, chosen once: each module has `open_lock`,
// `try_lock_exclusive` and `lock_holder` with the same signatures and meaning.
#[cfg(unix)]
use unix::{lock_holder, open_lock, try_lock_exclusive};
#[cfg(windows)]
use windows::{lock_holder, open_lock, try_lock_exclusive};

#[cfg(unix)]
mod unix {
    use std::fs::File;
    use std::path::Path;

    /// The directory itself is what is locked: no lock file.
    pub(super) fn open_lock(dir: &Path) -> std::io::Result<File> {
        File::open(dir)
    }

    /// flock, released when the file is closed (also by a crash); `Ok(false)` when another
    /// process holds it. `std::fs::File::try_lock` does the same from Rust 1.89; caro builds
    /// with 1.85.
    pub(super) fn try_lock_exclusive(file: &File) -> std::io::Result<bool> {
        use std::os::fd::AsRawFd;
        // SAFETY: flock only reads the descriptor, which `file` keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        if error.kind() == std::io::ErrorKind::WouldBlock {
            return Ok(false);
        }
        Err(error)
    }

    /// Who holds the lock on `file`: "process 1234 (caro-install)", from `/proc/locks` on
    /// Linux; `None` on other Unixes or when it cannot be told.
    pub(super) fn lock_holder(file: &File) -> Option<String> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        use std::fs;
        use std::os::unix::fs::MetadataExt;
        let inode = file.metadata().ok()?.ino();
        let locks = fs::read_to_string("/proc/locks").ok()?;
        let pid = super::lock_holder_pid(&locks, inode)?;
        let name = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let name = name.trim();
        Some(if name.is_empty() {
            format!("process {pid}")
        } else {
            format!("process {pid} ({name})")
        })
    }
}

#[cfg(windows)]
mod windows {
    use std::fs::File;
    use std::path::Path;

    /// The lock file's name: Windows cannot lock a directory.
    const LOCK_FILE: &str = ".caro-install.lock";

    /// `.caro-install.lock`, opened delete-on-close; while a last holder's close deletes it,
    /// the name cannot be opened, so a newcomer retries briefly.
    pub(super) fn open_lock(dir: &Path) -> std::io::Result<File> {
        use std::fs::OpenOptions;
        use std::os::windows::fs::OpenOptionsExt;
        use windows_sys::Win32::Foundation::{GENERIC_READ, GENERIC_WRITE};
        use windows_sys::Win32::Storage::FileSystem::{
            DELETE, FILE_FLAG_DELETE_ON_CLOSE, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
        };
        let path = dir.join(LOCK_FILE);
        let mut pending = 0;
        loop {
            let opened = OpenOptions::new()
                .write(true) // std requires it to create; access_mode below sets the rights
                .create(true)
                .truncate(false)
                .access_mode(GENERIC_READ | GENERIC_WRITE | DELETE)
                .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
                .custom_flags(FILE_FLAG_DELETE_ON_CLOSE)
                .open(&path);
            match opened {
                // Access denied while the last holder's close deletes the file: a moment.
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && pending < 100 => {
                    pending += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// LockFileEx, released when the file is closed (also by a crash); `Ok(false)` when
    /// another process holds it.
    pub(super) fn try_lock_exclusive(file: &File) -> std::io::Result<bool> {
        use std::os::windows::io::AsRawHandle;
        use windows_sys::Win32::Foundation::ERROR_LOCK_VIOLATION;
        use windows_sys::Win32::Storage::FileSystem::{
            LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, LockFileEx,
        };
        use windows_sys::Win32::System::IO::OVERLAPPED;
        // SAFETY: a zeroed OVERLAPPED is valid (offset 0, no event); LockFileEx only uses
        // the handle, which `file` keeps open, and the OVERLAPPED for this call.
        let locked = unsafe {
            let mut overlapped: OVERLAPPED = std::mem::zeroed();
            LockFileEx(
                file.as_raw_handle() as _,
                LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
                0,
                u32::MAX,
                u32::MAX,
                &mut overlapped,
            )
        };
        if locked != 0 {
            return Ok(true);
        }
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() == Some(ERROR_LOCK_VIOLATION as i32) {
            return Ok(false);
        }
        Err(error)
    }

    /// Windows does not tell who holds a lock.
    pub(super) fn lock_holder(_file: &File) -> Option<String> {
        None
    }
}

/// The pid holding a `FLOCK` on the file with `inode`, from the text of `/proc/locks`
/// (`1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF`; a waiting request has `->`).
#[cfg(unix)]
fn lock_holder_pid(locks: &str, inode: u64) -> Option<u32> {
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) != Some(&"FLOCK") {
            return None;
        }
        let device = fields.get(5)?;
        let file_inode = device.rsplit(':').next()?.parse::<u64>().ok()?;
        (file_inode == inode).then(|| fields.get(4)?.parse().ok())?
    })
}

/// How long to wait for another installer's lock: four stall timeouts
/// (`CARO_HTTP_TIMEOUT`, 30 s by default), the time one of its requests may take in all.
pub fn lock_wait(stall: std::time::Duration) -> std::time::Duration {
    stall.saturating_mul(4)
}
