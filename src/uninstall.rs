//! `caro-install uninstall`: remove caro, the copy of caro-install, every PATH edit and the
//! receipt, leaving the user's files as they were before the install.
//!
//! The receipt says exactly what to undo. Without one (deleted, or an install by an older
//! script) the marked lines and our own files are found by looking, so an uninstall never
//! depends on the receipt surviving.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::files::{self, DirLock};
use crate::platform::local_executable_name;
use crate::receipt::{self, PathEdit, Receipt};
use crate::report::Reporter;
use crate::shell;

/// What an uninstall removed.
#[derive(Debug, Clone, Default)]
pub struct Uninstalled {
    /// Binaries deleted.
    pub binaries: Vec<PathBuf>,
    /// Startup files restored and our own files deleted.
    pub path_files: Vec<PathBuf>,
    /// Of those, the startup files given back without our lines (the rest were deleted).
    pub restored: Vec<PathBuf>,
    /// The receipt, if there was one.
    pub receipt: Option<PathBuf>,
    /// Model files, licences and notices removed, and the bytes of models freed.
    pub model_files: Vec<PathBuf>,
    /// The bytes the removed model files held.
    pub freed: u64,
    /// What was left as it is, and why (changed since written, not caro-install's, or the
    /// removal failed).
    pub kept: Vec<(PathBuf, String)>,
}

impl fmt::Display for Uninstalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.binaries.is_empty() && self.path_files.is_empty() && self.receipt.is_none() {
            return f.write_str("caro is not installed: nothing to remove");
        }
        let count = |n: usize, what: &str| match n {
            1 => format!("1 {what}"),
            n => format!("{n} {what}s"),
        };
        let removed_files =
            self.path_files.len() - self.restored.len() + usize::from(self.receipt.is_some());
        let mut done = vec![format!(
            "removed {} and {}",
            count(self.binaries.len(), "binary").replace("binarys", "binaries"),
            count(removed_files, "file")
        )];
        if !self.restored.is_empty() {
            done.push(format!(
                "restored {} without caro-install's lines",
                count(self.restored.len(), "startup file")
            ));
        }
        if !self.model_files.is_empty() {
            done.push(format!(
                "removed {} of the model bundle, freeing {}",
                count(self.model_files.len(), "file"),
                crate::error::human_size(self.freed)
            ));
        }
        write!(f, "uninstalled caro: {}", done.join("; "))?;
        for (path, why) in &self.kept {
            write!(f, "\nkept {}: {why}", path.display())?;
        }
        Ok(())
    }
}

/// Removes caro as the receipt (or, without one, a search) says. Asks first unless `yes`;
/// with no terminal to ask on, refuses without `yes`.
pub fn uninstall(env: &Env, yes: bool, reporter: &dyn Reporter) -> Result<Uninstalled> {
    let receipt_path = receipt::receipt_path(env)?;
    let receipt = match Receipt::load(&receipt_path) {
        Ok(receipt) => receipt,
        Err(error) => {
            reporter.warn(&format!("{error}; looking for caro's files instead"));
            None
        }
    };
    let dir = match &receipt {
        Some(receipt) if !receipt.install_prefix.as_os_str().is_empty() => {
            receipt.install_prefix.clone()
        }
        _ => match env.var("CARO_INSTALL_DIR") {
            Some(dir) => env.absolute(Path::new(dir)),
            None => env.default_install_dir()?,
        },
    };
    // With a receipt, only what it lists (and caro-install could have made) is undone: a
    // marked line it does not list was there before the install, and stays.
    let (binaries, edits) = match &receipt {
        Some(receipt) => trusted_parts(receipt, &dir, env, reporter),
        None => found_parts(env, &dir, reporter),
    };
    // An env script caro-install wrote whole, and someone changed since, is theirs now.
    let mut kept = Vec::new();
    let edits = edits
        .into_iter()
        .filter(|edit| {
            let recorded = receipt.as_ref().and_then(|r| r.written(&edit.path));
            let changed = edit.line.is_none()
                && edit.path.symlink_metadata().is_ok()
                && recorded.is_some_and(|f| !f.is_unchanged());
            if changed {
                kept.push((edit.path.clone(), CHANGED.to_string()));
            }
            !changed
        })
        .collect::<Vec<_>>();
    let receipt_dir = receipt_path.parent().map(Path::to_path_buf);
    let receipt_file = receipt_path.is_file().then_some(receipt_path);
    if binaries.is_empty() && edits.is_empty() && receipt_file.is_none() {
        return Ok(Uninstalled::default());
    }

    if !yes {
        let question = format!(
            "Remove caro from {} and undo its PATH changes?",
            dir.display()
        );
        match reporter.confirm(&question) {
            Some(true) => {}
            Some(false) => {
                return Err(Error::Cancelled {
                    action: "uninstalling caro".to_string(),
                });
            }
            None => {
                return Err(Error::NeedsConfirmation {
                    action: "uninstalling caro".to_string(),
                    flag: "-y",
                });
            }
        }
    }

    let lock = if dir.is_dir() {
        let stall = crate::download::stall_timeout(env)?;
        Some(DirLock::acquire(&dir, files::lock_wait(stall), reporter)?)
    } else {
        None
    };
    if dir.is_dir() {
        files::remove_leftovers(&dir, reporter);
    }
    let mut removed_binaries = Vec::new();
    for binary in binaries {
        // A binary the receipt recorded goes only while it holds what was written
        // (receipts before 0.2 recorded no digest: their binaries go by name). caro-install's
        // own copy goes by name too: `self-update` replaces it without a receipt to update.
        // A receipt that records files but not this one (its install_prefix edited to
        // point elsewhere, say) names a binary caro-install never wrote.
        let ours = binary.file_name() == Some(local_executable_name("caro-install").as_ref());
        if let Some(receipt) = receipt.as_ref().filter(|r| !ours && !r.files.is_empty()) {
            match receipt.written(&binary) {
                Some(file) if file.is_unchanged() => {}
                Some(_) => {
                    kept.push((binary, CHANGED.to_string()));
                    continue;
                }
                None => {
                    kept.push((binary, NOT_WRITTEN.to_string()));
                    continue;
                }
            }
        }
        match remove_binary(&binary, &dir) {
            Ok(()) => {
                reporter.info(&format!("removed {}", binary.display()));
                removed_binaries.push(binary);
            }
            Err(error) => kept.push((binary, error.to_string())),
        }
    }
    let binaries = removed_binaries;
    let (model_files, freed) = match &receipt {
        Some(receipt) => remove_model_files(receipt, env, &mut kept, reporter),
        None => (Vec::new(), 0),
    };
    let path_files = shell::unconfigure_path(&edits, reporter);
    drop(lock); // on Windows, this deletes the lock file
    remove_own_install_dir(env, &dir);
    let mut receipt_file = receipt_file;
    if let Some(path) = receipt_file.take() {
        match fs::remove_file(&path) {
            Ok(()) => {
                reporter.info(&format!("removed {}", path.display()));
                if let Some(config) = path.parent() {
                    let _ = fs::remove_dir(config); // only when empty
                }
                receipt_file = Some(path);
            }
            Err(error) => kept.push((path, format!("it could not be removed: {error}"))),
        }
    }
    if let Some(receipt) = &receipt {
        let mut made_for = vec![dir.clone()];
        made_for.extend(receipt_dir.clone());
        made_for.extend(env.models_dir().ok());
        made_for.extend(env.licenses_dir().ok());
        remove_created_dirs(receipt, &made_for, reporter);
    }
    for (path, why) in &kept {
        reporter.warn(&format!("left {} as it is: {why}", path.display()));
    }
    // What is still there was given back without our lines; the rest was deleted.
    let restored = path_files
        .iter()
        .filter(|path| {
            path.symlink_metadata().is_ok() || *path == Path::new(shell::windows::REGISTRY_PATH)
        })
        .cloned()
        .collect();
    Ok(Uninstalled {
        binaries,
        path_files,
        restored,
        receipt: receipt_file,
        model_files,
        freed,
        kept,
    })
}

/// Why a file caro-install wrote is left: its content is not what was written.
const CHANGED: &str = "it changed since caro-install wrote it";

/// Why a file the receipt names is left: the receipt records no content written there.
const NOT_WRITTEN: &str = "the receipt does not record caro-install writing it";

/// Removes the model files, licences and notices the receipt recorded, each only while it
/// holds what was written and only where an install puts them (directly in the models or
/// licences folder of `env`: a receipt naming any other path is someone's edit). Returns
/// what was removed and the bytes of models freed; adds what was left to `kept`.
fn remove_model_files(
    receipt: &Receipt,
    env: &Env,
    kept: &mut Vec<(PathBuf, String)>,
    reporter: &dyn Reporter,
) -> (Vec<PathBuf>, u64) {
    let models = env.models_dir().ok();
    let licenses = env.licenses_dir().ok();
    let mut removed = Vec::new();
    let mut freed = 0;
    for file in &receipt.files {
        let folder = match file.role.as_str() {
            "model" => &models,
            "license" | "notices" => &licenses,
            _ => continue,
        };
        if removed.contains(&file.path) {
            continue; // listed twice
        }
        if folder.as_deref() != file.path.parent() {
            reporter.warn(&format!(
                "the receipt lists {} as a {}, where caro-install never puts one; left alone",
                file.path.display(),
                file.role
            ));
            continue;
        }
        if file.path.symlink_metadata().is_err() {
            continue; // already gone
        }
        if !file.is_unchanged() {
            kept.push((file.path.clone(), CHANGED.to_string()));
            continue;
        }
        match fs::remove_file(&file.path) {
            Ok(()) => {
                reporter.info(&format!("removed {}", file.path.display()));
                if file.role == "model" {
                    freed += file.size;
                }
                removed.push(file.path.clone());
            }
            Err(error) => kept.push((
                file.path.clone(),
                format!("it could not be removed: {error}"),
            )),
        }
    }
    (removed, freed)
}

/// The binaries and edits of `receipt` that caro-install could have made: our two binary
/// names (nothing with a path in it), and lines carrying our marker or our own files, in
/// the files docs/shells.md lists. A receipt is a file anyone with the user's rights can
/// edit, so whatever else it names is reported and left alone.
fn trusted_parts(
    receipt: &Receipt,
    dir: &Path,
    env: &Env,
    reporter: &dyn Reporter,
) -> (Vec<PathBuf>, Vec<PathEdit>) {
    let mut binaries = Vec::new();
    let mut names = receipt.binaries.clone();
    names.sort();
    names.dedup();
    for name in &names {
        if name != "caro" && name != "caro-install" {
            reporter.warn(&format!(
                "the receipt lists the binary `{name}`, which caro-install never installs; left alone"
            ));
            continue;
        }
        let path = dir.join(local_executable_name(name));
        if path.symlink_metadata().is_ok() {
            binaries.push(path);
        }
    }
    let editable = shell::editable_files(env);
    let legacy_files = shell::legacy::files(env);
    let mut edits = Vec::new();
    for edit in &receipt.path_edits {
        let registry = cfg!(windows) && edit.path == Path::new(shell::windows::REGISTRY_PATH);
        let known_file = editable.contains(&edit.path);
        let our_line = edit
            .line
            .as_deref()
            .is_none_or(|line| registry || line.trim_end().ends_with(shell::MARKER));
        let legacy_block = legacy_files.contains(&edit.path)
            && edit.line.as_deref().is_some_and(shell::legacy::is_block);
        if ((registry || known_file) && our_line) || legacy_block {
            edits.push(edit.clone());
        } else {
            reporter.warn(&format!(
                "the receipt lists an edit of {}, which caro-install never makes; left alone",
                edit.path.display()
            ));
        }
    }
    (binaries, edits)
}

/// Removes the folders the install created, deepest first, once they are empty: only
/// `made_for` (the install directory, the receipt's folder, the models and licences
/// folders) and their parents (what an install can have created), whatever else an edited
/// receipt lists.
fn remove_created_dirs(receipt: &Receipt, made_for: &[PathBuf], reporter: &dyn Reporter) {
    let mut dirs: Vec<&PathBuf> = receipt
        .created_dirs
        .iter()
        .filter(|created| made_for.iter().any(|dir| dir.starts_with(created)))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    dirs.retain(|dir| seen.insert(*dir)); // an edited receipt may list one twice
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for created in dirs {
        if fs::remove_dir(created).is_ok() {
            reporter.info(&format!("removed the empty folder {}", created.display()));
        }
    }
}

/// Without a receipt: the marked lines and our own files, found by looking; and the
/// binaries in `dir` only when caro-install's own copy is there too, the sign of an install
/// by caro-install (a `caro` alone may be the user's own build, which is never deleted).
fn found_parts(env: &Env, dir: &Path, reporter: &dyn Reporter) -> (Vec<PathBuf>, Vec<PathEdit>) {
    let installer = dir.join(local_executable_name("caro-install"));
    let caro = dir.join(local_executable_name("caro"));
    let binaries = if installer.symlink_metadata().is_ok() {
        [caro, installer]
            .into_iter()
            .filter(|path| path.symlink_metadata().is_ok())
            .collect()
    } else {
        if caro.symlink_metadata().is_ok() {
            reporter.warn(&format!(
                "left {}: no receipt says caro-install installed it; delete it yourself if it should go",
                caro.display()
            ));
        }
        Vec::new()
    };
    (binaries, found_edits(env, dir))
}

/// Removes the install directory when it is empty and was made for caro alone: the
/// Windows default `%LOCALAPPDATA%\caro\bin` (`bin` inside caro's own folder). A
/// directory shared with other programs, such as `~/.local/bin`, stays.
fn remove_own_install_dir(env: &Env, dir: &Path) {
    let own = env
        .caro_config_dir()
        .is_ok_and(|config| dir == config.join("bin"));
    if own {
        let _ = fs::remove_dir(dir); // only when empty
    }
}

/// Edits found without the receipt: marked lines and our files; on Windows, `dir` when it
/// is in the user's Path.
fn found_edits(env: &Env, dir: &Path) -> Vec<PathEdit> {
    #[cfg(windows)]
    fn registry(dir: &Path) -> Vec<PathEdit> {
        shell::windows::find_edit(dir).into_iter().collect()
    }
    #[cfg(not(windows))]
    fn registry(_dir: &Path) -> Vec<PathEdit> {
        Vec::new()
    }
    [shell::find_edits(env), registry(dir)].concat()
}

/// Deletes a binary, including the running caro-install (Windows cannot delete a running
/// executable: self-replace moves it out of `dir`, to `%TEMP%`, and deletes it once this
/// process exits, so `dir` can go now).
fn remove_binary(path: &Path, dir: &Path) -> Result<()> {
    let running = std::env::current_exe()
        .ok()
        .is_some_and(|exe| files::same_file(&exe, path));
    if running && cfg!(windows) {
        return self_replace::self_delete_outside_path(dir)
            .map_err(Error::file("remove the running", path));
    }
    fs::remove_file(path).map_err(Error::file("remove", path))
}
