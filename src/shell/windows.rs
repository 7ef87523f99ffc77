//! Windows: caro's directory in the user's `Path` (`HKCU\Environment`).
//!
//! Why not `setx`: it truncates values over 1024 characters and turns `REG_EXPAND_SZ` into
//! `REG_SZ`, silently breaking every `%VAR%` entry of the user's Path. So the value is read
//! and written raw, kept `REG_EXPAND_SZ`, and `WM_SETTINGCHANGE` is broadcast so new
//! terminals see it without a log-off. The string logic is pure (and tested on every OS);
//! the registry calls compile only on Windows.

#[cfg(windows)]
use std::path::PathBuf;

#[cfg(windows)]
use crate::{receipt::PathEdit, report::Reporter};

/// How a registry edit is named in the receipt.
pub const REGISTRY_PATH: &str = r"HKCU\Environment\Path";

/// Makes new terminals find `dir`: prepends it to the user's Path unless an entry already
/// names it. Returns what was changed, for the receipt; problems are warnings.
#[cfg(windows)]
pub fn configure_path(
    _env: &crate::env::Env,
    dir: &std::path::Path,
    reporter: &dyn Reporter,
) -> Vec<PathEdit> {
    let dir = dir.to_string_lossy().into_owned();
    match registry::update(|old| add_to_path(old, &dir)) {
        Ok(true) => {
            reporter.info(&format!(
                "added {dir} to your user Path ({REGISTRY_PATH}); open a new terminal to use caro"
            ));
            vec![PathEdit {
                path: PathBuf::from(REGISTRY_PATH),
                line: Some(dir),
                created: false,
                added_newline: false,
                created_dirs: Vec::new(),
            }]
        }
        Ok(false) => Vec::new(),
        Err(error) => {
            reporter.warn(&format!("could not update {REGISTRY_PATH} ({error}); add {dir} to your Path in Settings > Environment Variables"));
            Vec::new()
        }
    }
}

/// The change [`configure_path`] would make: the user's Path, whatever it holds.
#[cfg(windows)]
pub fn preview(_env: &crate::env::Env, _dir: &std::path::Path) -> Vec<(&'static str, PathBuf)> {
    vec![("Windows", PathBuf::from(REGISTRY_PATH))]
}

/// What to do to use caro now: a new terminal picks up the user Path.
#[cfg(windows)]
pub fn use_now_hint(_env: &crate::env::Env) -> Option<String> {
    Some("To use caro, open a new terminal (this one keeps its old Path).".to_string())
}

/// The `name` executables new terminals will find before the one in `dir` once
/// [`configure_path`] added it: those in the system Path, which Windows puts before the
/// user's.
#[cfg(windows)]
pub fn shadowing_after_edit(
    env: &crate::env::Env,
    dir: &std::path::Path,
    name: &str,
    probe: &dyn super::Probe,
) -> Vec<PathBuf> {
    super::shadowing_in(system_path_dirs(env), dir, name, probe)
}

/// Removes the directories recorded in `edits` from the user's Path.
#[cfg(windows)]
pub(super) fn unconfigure_registry(edits: &[PathEdit], reporter: &dyn Reporter) -> Vec<PathBuf> {
    let mut changed = Vec::new();
    for dir in edits.iter().filter_map(|edit| edit.line.as_deref()) {
        match registry::update(|old| remove_from_path(old, dir)) {
            Ok(true) => {
                reporter.info(&format!("removed {dir} from your user Path"));
                changed.push(PathBuf::from(REGISTRY_PATH));
            }
            Ok(false) => {}
            Err(error) => reporter.warn(&format!(
                "could not update {REGISTRY_PATH} ({error}); remove {dir} from your Path yourself"
            )),
        }
    }
    changed
}

/// The edit to undo when `dir` is in the user's Path: how an uninstall without a receipt
/// finds it. `None` when it is not there (or the registry cannot be read).
#[cfg(windows)]
pub fn find_edit(dir: &std::path::Path) -> Option<PathEdit> {
    let dir = dir.to_string_lossy().into_owned();
    let user_path = registry::user_path().ok()?;
    user_path
        .split(';')
        .any(|entry| same_entry(entry, &dir))
        .then(|| PathEdit {
            path: PathBuf::from(REGISTRY_PATH),
            line: Some(dir),
            created: false,
            added_newline: false,
            created_dirs: Vec::new(),
        })
}

/// caro's own `install.ps1`, before caro-install, appended `%LOCALAPPDATA%\caro\bin` to the
/// user's Path (as `REG_SZ`). Installing there over such a setup finds that entry already
/// present and so makes no edit of its own: this takes the entry over instead, so that
/// uninstall removes it. `None` unless `dir` is that folder and the entry is there.
#[cfg(windows)]
pub fn take_over_legacy(
    env: &crate::env::Env,
    dir: &std::path::Path,
    reporter: &dyn Reporter,
) -> Option<PathEdit> {
    let legacy = env.local_app_data().ok()?.join("caro").join("bin");
    if !same_entry(&dir.to_string_lossy(), &legacy.to_string_lossy()) {
        return None;
    }
    let edit = find_edit(dir)?;
    reporter.info(&format!(
        "found {} in your user Path, as caro's old installer left it; caro-install now \
         looks after it, and uninstall removes it",
        dir.display()
    ));
    Some(edit)
}

/// The directories of the system Path, which new terminals search before the user's:
/// the entries of this process's `PATH` that are not in the user's Path.
#[cfg(windows)]
pub fn system_path_dirs(env: &crate::env::Env) -> Vec<PathBuf> {
    let user_path = registry::user_path().unwrap_or_default();
    let lookup = |name: &str| {
        env.var(name)
            .or_else(|| env.var(&name.to_uppercase()))
            .map(str::to_string)
    };
    system_entries(&env.path_dirs(), &user_path, lookup)
}

/// The entries of a process's `process_path` that are not in `user_path` (the registry
/// value, whose `%VAR%`s `lookup` expands). Windows builds a new process's PATH as the
/// system Path followed by the user's, so these come first, before caro's directory.
#[cfg_attr(
    not(any(windows, test)),
    expect(
        dead_code,
        reason = "pure, tested on every OS; only Windows edits the registry"
    )
)]
pub fn system_entries(
    process_path: &[std::path::PathBuf],
    user_path: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Vec<std::path::PathBuf> {
    let user: Vec<String> = user_path
        .split(';')
        .map(|entry| expand(entry, &lookup))
        .collect();
    process_path
        .iter()
        .filter(|entry| {
            let entry = entry.to_string_lossy();
            !user.iter().any(|user_entry| same_entry(&entry, user_entry))
        })
        .cloned()
        .collect()
}

/// `entry` with each `%NAME%` replaced by `lookup(NAME)`; unknown names stay as written
/// (as Windows leaves them).
pub fn expand(entry: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(entry.len());
    let mut rest = entry;
    while let Some(start) = rest.find('%') {
        let Some(length) = rest[start + 1..].find('%') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + length];
        out.push_str(&rest[..start]);
        match lookup(name) {
            Some(value) if !name.is_empty() => out.push_str(&value),
            _ => out.push_str(&rest[start..start + length + 2]),
        }
        rest = &rest[start + length + 2..];
    }
    out.push_str(rest);
    out
}

/// Returns true if and only if two Path entries name the same directory: Windows paths are
/// case-insensitive, and a trailing `\` does not matter.
pub fn same_entry(a: &str, b: &str) -> bool {
    let trim = |s: &str| s.trim().trim_end_matches(['\\', '/']).to_lowercase();
    !a.trim().is_empty() && trim(a) == trim(b)
}

/// `old` with `dir` prepended, or `None` when an entry already names `dir`.
#[cfg_attr(
    not(any(windows, test)),
    expect(
        dead_code,
        reason = "pure, tested on every OS; only Windows edits the registry"
    )
)]
pub fn add_to_path(old: &str, dir: &str) -> Option<String> {
    if old.split(';').any(|entry| same_entry(entry, dir)) {
        return None;
    }
    if old.is_empty() {
        return Some(dir.to_string());
    }
    Some(format!("{dir};{old}"))
}

/// `old` without the entries naming `dir`, or `None` when there is none. Other entries,
/// including empty ones the user had, are kept as they were.
#[cfg_attr(
    not(any(windows, test)),
    expect(
        dead_code,
        reason = "pure, tested on every OS; only Windows edits the registry"
    )
)]
pub fn remove_from_path(old: &str, dir: &str) -> Option<String> {
    let entries: Vec<&str> = old.split(';').collect();
    let kept: Vec<&str> = entries
        .iter()
        .copied()
        .filter(|entry| !same_entry(entry, dir))
        .collect();
    if kept.len() == entries.len() {
        return None;
    }
    Some(kept.join(";"))
}

/// Reads and writes `HKCU\Environment\Path` and broadcasts the change.
#[cfg(windows)]
pub mod registry {
    use std::io;

    use winreg::enums::{HKEY_CURRENT_USER, KEY_READ, KEY_WRITE, RegType};
    use winreg::{RegKey, RegValue};

    /// The user's Path value as text (empty when unset), and whether it was `REG_SZ`.
    fn read(key: &RegKey) -> io::Result<String> {
        match key.get_raw_value("Path") {
            Ok(value) => {
                let units: Vec<u16> = value
                    .bytes
                    .chunks_exact(2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]))
                    .collect();
                let text = String::from_utf16_lossy(&units);
                Ok(text.trim_end_matches('\0').to_string())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(e),
        }
    }

    fn write(key: &RegKey, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return key.delete_value("Path");
        }
        let bytes: Vec<u8> = text
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        key.set_raw_value(
            "Path",
            &RegValue {
                bytes,
                vtype: RegType::REG_EXPAND_SZ,
            },
        )
    }

    /// The user's Path value as it is stored (`%VAR%`s unexpanded; empty when unset).
    pub fn user_path() -> io::Result<String> {
        read(&environment()?)
    }

    fn environment() -> io::Result<RegKey> {
        RegKey::predef(HKEY_CURRENT_USER)
            .open_subkey_with_flags("Environment", KEY_READ | KEY_WRITE)
    }

    /// Applies `change` to the user's Path; returns true if and only if it changed.
    pub fn update(change: impl FnOnce(&str) -> Option<String>) -> io::Result<bool> {
        let key = environment()?;
        let old = read(&key)?;
        let Some(new) = change(&old) else {
            return Ok(false);
        };
        write(&key, &new)?;
        broadcast();
        Ok(true)
    }

    /// Tells running programs (Explorer, new terminals) that the environment changed.
    fn broadcast() {
        use windows_sys::Win32::UI::WindowsAndMessaging::{
            HWND_BROADCAST, SMTO_ABORTIFHUNG, SendMessageTimeoutW, WM_SETTINGCHANGE,
        };
        let name: Vec<u16> = "Environment".encode_utf16().chain([0]).collect();
        let mut result = 0usize;
        // SAFETY: `name` is a NUL-terminated UTF-16 string that outlives the call; the
        // result pointer is valid for one usize.
        unsafe {
            SendMessageTimeoutW(
                HWND_BROADCAST,
                WM_SETTINGCHANGE,
                0,
                name.as_ptr() as isize,
                SMTO_ABORTIFHUNG,
                5000,
                &mut result,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_prepends_when_absent() {
        assert_eq!(
            add_to_path(r"C:\Windows;C:\Tools", r"C:\Users\u\AppData\Local\caro\bin").unwrap(),
            r"C:\Users\u\AppData\Local\caro\bin;C:\Windows;C:\Tools"
        );
    }

    #[test]
    fn add_to_empty_path_is_just_the_directory() {
        assert_eq!(add_to_path("", r"C:\caro\bin").unwrap(), r"C:\caro\bin");
    }

    #[test]
    fn present_in_another_case_or_with_a_trailing_backslash() {
        assert_eq!(
            add_to_path(r"c:\CARO\bin\;C:\Windows", r"C:\caro\bin"),
            None
        );
        assert_eq!(
            add_to_path(r"C:\Windows;C:\caro\bin", r"C:\caro\bin\"),
            None
        );
    }

    #[test]
    fn remove_takes_only_our_entry() {
        assert_eq!(
            remove_from_path(r"C:\caro\bin;C:\Windows", r"C:\caro\bin").unwrap(),
            r"C:\Windows"
        );
        assert_eq!(
            remove_from_path(r"C:\Windows;C:\CARO\BIN\", r"C:\caro\bin").unwrap(),
            r"C:\Windows"
        );
        assert_eq!(
            remove_from_path(r"C:\caro\bin", r"C:\caro\bin").unwrap(),
            ""
        );
        assert_eq!(remove_from_path(r"C:\Windows", r"C:\caro\bin"), None);
    }

    #[test]
    fn semicolon_leftovers_of_the_user_are_kept() {
        let (added, dir) = (
            add_to_path(r"C:\Windows;;C:\Tools;", r"C:\caro\bin").unwrap(),
            r"C:\caro\bin",
        );
        assert_eq!(added, r"C:\caro\bin;C:\Windows;;C:\Tools;");
        assert_eq!(
            remove_from_path(&added, dir).unwrap(),
            r"C:\Windows;;C:\Tools;"
        );
    }

    #[test]
    fn system_entries_are_those_not_in_the_user_path() {
        let process: Vec<std::path::PathBuf> = [
            r"C:\Windows\system32",
            r"C:\Windows",
            r"C:\Users\u\AppData\Local\caro\bin",
            r"C:\Users\u\tools",
        ]
        .iter()
        .map(Into::into)
        .collect();
        let user = r"%LOCALAPPDATA%\caro\bin;C:\Users\u\Tools\";
        let lookup =
            |name: &str| (name == "LOCALAPPDATA").then(|| r"C:\Users\u\AppData\Local".to_string());
        assert_eq!(
            system_entries(&process, user, lookup),
            [
                std::path::PathBuf::from(r"C:\Windows\system32"),
                std::path::PathBuf::from(r"C:\Windows")
            ]
        );
    }

    #[test]
    fn expand_replaces_known_variables_only() {
        let lookup = |name: &str| (name == "A").then(|| "x".to_string());
        assert_eq!(expand(r"%A%\b;%B%\c;50%;%%", lookup), r"x\b;%B%\c;50%;%%");
    }

    #[test]
    fn empty_entries_never_match() {
        assert!(!same_entry("", ""));
        assert_eq!(add_to_path(";", r"C:\caro\bin").unwrap(), r"C:\caro\bin;;");
    }
}
