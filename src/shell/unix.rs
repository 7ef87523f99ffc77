//! Unix: new shells find caro through their startup files (see [`super::startup`]); there
//! is no registry. The same functions for Windows are in [`super::windows`].

use std::path::{Path, PathBuf};

use super::{Probe, startup};
use crate::env::Env;
use crate::receipt::PathEdit;
use crate::report::Reporter;

/// Makes new shells find `dir`; returns what was changed, for the receipt. Problems are
/// warnings, never errors.
pub fn configure_path(env: &Env, dir: &Path, reporter: &dyn Reporter) -> Vec<PathEdit> {
    startup::configure(env, dir, reporter)
}

/// The files [`configure_path`] would change for `dir`, with the shell each serves, read
/// but not written: what `--dry-run` prints.
pub fn preview(env: &Env, dir: &Path) -> Vec<(&'static str, PathBuf)> {
    startup::preview(env, dir)
}

/// What to run to use caro in the current shell once PATH is configured for new shells,
/// as rustup and uv say it: source the env script. `None` when there is nothing of ours
/// to source.
pub fn use_now_hint(env: &Env) -> Option<String> {
    startup::use_now_hint(env)
}

/// The `name` executables new shells will find before the one in `dir` once
/// [`configure_path`] added it: none, since the env scripts put `dir` first.
pub fn shadowing_after_edit(
    _env: &Env,
    _dir: &Path,
    _name: &str,
    _probe: &dyn Probe,
) -> Vec<PathBuf> {
    Vec::new()
}

/// Registry edits in a receipt (written on Windows) mean nothing here: nothing is undone.
pub(super) fn unconfigure_registry(_edits: &[PathEdit], _reporter: &dyn Reporter) -> Vec<PathBuf> {
    Vec::new()
}
