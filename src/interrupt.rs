//! Ctrl-C and `kill` during an install: the temp files go with the process.
//!
//! A download is written to a temp file beside its final place; a run killed with SIGKILL
//! leaves it for the next run to clean (under the directory lock), which is all SIGKILL
//! allows. SIGINT and SIGTERM can do better: while any temp file exists, a handler is
//! installed that unlinks every registered temp file (unlink is async-signal-safe) and then
//! gives the signal to whatever handled it before, so the process still ends as the user
//! asked, and a host program (caro with its own Ctrl-C handling) keeps its behaviour.
//! When the last temp file is gone the previous handlers are put back.
//!
//! The registry is a fixed array of atomic pointers, since a signal handler may not lock
//! or allocate. Windows has no such signals here; its leftovers are cleaned by the next run.

use std::path::Path;

/// Registers `path` for removal on SIGINT or SIGTERM until [`Registration`] is dropped.
/// When the registry is full the file is simply not registered: the next run cleans it.
pub fn remove_on_interrupt(path: &Path) -> Registration {
    Registration(imp::register(path))
}

/// A temp file's place in the registry; dropping it unregisters the file.
#[derive(Debug)]
pub struct Registration(Option<usize>);

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            imp::unregister(slot);
        }
    }
}

#[cfg(unix)]
mod imp {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicPtr, Ordering};

    const SLOTS: usize = 32;
    const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

    static PATHS: [AtomicPtr<libc::c_char>; SLOTS] =
        [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];

    /// The handlers in place before ours, while ours is installed (`None` otherwise), and
    /// how many files are registered.
    static STATE: Mutex<(usize, Option<[libc::sigaction; 2]>)> = Mutex::new((0, None));

    /// The previous handlers, readable from the signal handler without a lock.
    static PREVIOUS: [AtomicPtr<libc::sigaction>; 2] =
        [const { AtomicPtr::new(std::ptr::null_mut()) }; 2];

    pub fn register(path: &Path) -> Option<usize> {
        let text = CString::new(path.as_os_str().as_bytes()).ok()?;
        let pointer = text.into_raw();
        for (slot, entry) in PATHS.iter().enumerate() {
            if entry
                .compare_exchange(
                    std::ptr::null_mut(),
                    pointer,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
            {
                let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
                state.0 += 1;
                if state.1.is_none() {
                    state.1 = install();
                }
                return Some(slot);
            }
        }
        // SAFETY: `pointer` came from `CString::into_raw` above and was not shared.
        drop(unsafe { CString::from_raw(pointer) });
        None
    }

    pub fn unregister(slot: usize) {
        // The string is leaked rather than freed: a handler running on another thread may
        // still be reading it. A few dozen bytes per temp file, a few files per run.
        PATHS[slot].store(std::ptr::null_mut(), Ordering::SeqCst);
        let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = state.0.saturating_sub(1);
        if state.0 == 0 {
            if let Some(previous) = state.1.take() {
                restore(&previous);
            }
        }
    }

    extern "C" fn on_signal(signal: libc::c_int) {
        for entry in &PATHS {
            let pointer = entry.load(Ordering::SeqCst);
            if !pointer.is_null() {
                // SAFETY: a registered pointer is a valid NUL-terminated string that is
                // never freed; unlink is async-signal-safe.
                unsafe { libc::unlink(pointer) };
            }
        }
        let index = usize::from(signal != libc::SIGINT);
        let previous = PREVIOUS[index].load(Ordering::SeqCst);
        // SAFETY: sigaction and raise are async-signal-safe; `previous` is null or points
        // at a sigaction that is never freed.
        unsafe {
            if previous.is_null() {
                let mut default: libc::sigaction = std::mem::zeroed();
                default.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(signal, &default, std::ptr::null_mut());
            } else {
                libc::sigaction(signal, previous, std::ptr::null_mut());
            }
            libc::raise(signal);
        }
    }

    fn install() -> Option<[libc::sigaction; 2]> {
        // SAFETY: a zeroed sigaction is a valid value; sigaction only reads `ours` and
        // writes the previous handler into `previous`.
        unsafe {
            let mut ours: libc::sigaction = std::mem::zeroed();
            ours.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut ours.sa_mask);
            let mut previous: [libc::sigaction; 2] = std::mem::zeroed();
            for (index, signal) in SIGNALS.iter().enumerate() {
                if libc::sigaction(*signal, std::ptr::null(), &mut previous[index]) != 0 {
                    return None;
                }
                // A signal the process ignores (`nohup`) stays ignored.
                if previous[index].sa_sigaction == libc::SIG_IGN {
                    continue;
                }
                let kept = Box::into_raw(Box::new(previous[index]));
                PREVIOUS[index].store(kept, Ordering::SeqCst);
                libc::sigaction(*signal, &ours, std::ptr::null_mut());
            }
            Some(previous)
        }
    }

    fn restore(previous: &[libc::sigaction; 2]) {
        for (index, signal) in SIGNALS.iter().enumerate() {
            // SAFETY: `previous[index]` is the handler sigaction reported before ours.
            unsafe { libc::sigaction(*signal, &previous[index], std::ptr::null_mut()) };
            // The boxed copy stays allocated: a handler may be reading it right now.
            PREVIOUS[index].store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::path::Path;

    pub fn register(_path: &Path) -> Option<usize> {
        None
    }

    pub fn unregister(_slot: usize) {}
}
