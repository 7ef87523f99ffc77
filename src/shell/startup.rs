//! The effects of PATH configuration in startup files: writing the env scripts and rc-file lines that
//! [`super::plan_edits`] chose, and undoing exactly those at uninstall.
//!
//! Every write is atomic (temp file beside the target, rename) and keeps the file's mode; a
//! symlinked rc file (dotfile managers) is edited at its target so it stays a symlink. A
//! file that cannot be written is a warning that prints the exact line to add by hand: an
//! rc file is the user's, and failing the whole install over one would be worse.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{Edit, Files, Probe, Shell};
use crate::env::Env;
use crate::receipt::PathEdit;
use crate::report::Reporter;

/// Answers [`Probe`] questions from the real file system and the environment's PATH.
pub struct RealProbe<'a> {
    env: &'a Env,
}

impl<'a> RealProbe<'a> {
    /// A probe for `env`.
    pub fn new(env: &'a Env) -> RealProbe<'a> {
        RealProbe { env }
    }
}

impl Probe for RealProbe<'_> {
    fn exists(&self, path: &Path) -> bool {
        path.symlink_metadata().is_ok()
    }

    fn has_program(&self, name: &str) -> bool {
        self.env
            .path_dirs()
            .iter()
            .any(|dir| dir.join(name).is_file())
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        fs::canonicalize(path).ok()
    }
}

/// The file to read and write for `path`: its final target when it is a symlink.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return fs::canonicalize(path);
    }
    Ok(path.to_path_buf())
}

fn read_or_empty(path: &Path) -> io::Result<(String, bool)> {
    match fs::read_to_string(path) {
        Ok(text) => Ok((text, true)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((String::new(), false)),
        Err(e) => Err(e),
    }
}

/// Writes `text` to `path` atomically, keeping the mode of the file it replaces.
fn write_keeping_mode(path: &Path, text: &str) -> io::Result<()> {
    let mode = fs::metadata(path).ok().map(|m| m.permissions());
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = crate::files::TempFile::create(dir, &name).map_err(io::Error::other)?;
    io::Write::write_all(temp.file_mut(), text.as_bytes())?;
    temp.file_mut().sync_all()?;
    if let Some(mode) = mode {
        temp.file_mut().set_permissions(mode)?;
    }
    temp.replace(path).map_err(io::Error::other)
}

/// Applies one edit: `Ok(None)` when the file already had it, else the record of the change.
fn apply(edit: &Edit) -> io::Result<Option<PathEdit>> {
    let target = resolve(edit.path())?;
    let (text, existed) = read_or_empty(&target)?;
    match edit {
        Edit::OwnFile { path, contents, .. } => {
            let record = PathEdit {
                path: path.clone(),
                line: None,
                created: true,
                added_newline: false,
            };
            if existed && text == *contents {
                return Ok(None);
            }
            if existed && !super::is_own_file(&text) {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "it exists and caro-install did not write it, so it is left as it is",
                ));
            }
            write_keeping_mode(&target, contents)?;
            Ok(Some(record))
        }
        Edit::Line { path, line, .. } => {
            let Some((new, added_newline)) = super::add_line(&text, line) else {
                return Ok(None);
            };
            write_keeping_mode(&target, &new)?;
            Ok(Some(PathEdit {
                path: path.clone(),
                line: Some(line.clone()),
                created: !existed,
                added_newline,
            }))
        }
    }
}

/// The files [`configure`] would change, without writing any: an edit whose file already
/// has its line (or contents) is left out.
pub fn preview(env: &Env, dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let Ok(edits) = super::plan_edits(env, dir, &RealProbe::new(env)) else {
        return Vec::new();
    };
    edits
        .into_iter()
        .filter(|edit| {
            let text = resolve(edit.path())
                .and_then(|target| read_or_empty(&target))
                .map(|(text, _)| text)
                .unwrap_or_default();
            match edit {
                Edit::OwnFile { contents, .. } => text != *contents,
                Edit::Line { line, .. } => !super::has_line(&text, line),
            }
        })
        .map(|edit| (edit.shell().name(), edit.path().to_path_buf()))
        .collect()
}

/// Makes new shells find `dir`: applies every planned edit, printing each file changed and
/// warning (with the line to add by hand) for each that could not be; appends `dir` to
/// `$GITHUB_PATH` inside GitHub Actions. Returns the records for the receipt.
pub fn configure(env: &Env, dir: &Path, reporter: &dyn Reporter) -> Vec<PathEdit> {
    let edits = match super::plan_edits(env, dir, &RealProbe::new(env)) {
        Ok(edits) => edits,
        Err(error) => {
            reporter.warn(&format!(
                "could not configure PATH: {error}; add {} to PATH yourself",
                dir.display()
            ));
            return Vec::new();
        }
    };
    let mut records = Vec::new();
    // The startup-file lines source the env script: if that file is the user's own, a line
    // sourcing it would not find caro, so none is added.
    let mut env_script_is_ours = true;
    for edit in &edits {
        if let (Edit::Line { .. }, false) = (edit, env_script_is_ours) {
            continue;
        }
        match apply(edit) {
            Ok(Some(record)) => {
                reporter.info(&format!(
                    "{} {} ({})",
                    if record.created { "created" } else { "edited" },
                    edit.path().display(),
                    edit.shell().name()
                ));
                records.push(record);
            }
            Ok(None) => reporter.detail(&format!("{} already set up", edit.path().display())),
            Err(error) => {
                if let Edit::OwnFile {
                    shell: Shell::Posix,
                    ..
                } = edit
                {
                    env_script_is_ours = false;
                }
                let by_hand = match edit {
                    Edit::Line { line, .. } => line.clone(),
                    Edit::OwnFile {
                        shell: Shell::Fish, ..
                    } => format!("fish_add_path {}", dir.display()),
                    Edit::OwnFile { .. } => format!("export PATH=\"{}:$PATH\"", dir.display()),
                };
                reporter.warn(&format!(
                    "could not write {} ({error}); to make {} find caro, add this line to it yourself:\n    {by_hand}",
                    edit.path().display(),
                    edit.shell().name()
                ));
            }
        }
    }
    append_github_path(env, dir, reporter);
    records.extend(take_over_legacy(env, reporter));
    records
}

/// Finds the PATH blocks caro's old install scripts appended (see [`super::legacy`]) and
/// returns them as edits for the receipt, so uninstall removes them; nothing is written.
fn take_over_legacy(env: &Env, reporter: &dyn Reporter) -> Vec<PathEdit> {
    let mut records = Vec::new();
    for path in super::legacy::files(env) {
        let Ok(text) = resolve(&path).and_then(fs::read_to_string) else {
            continue;
        };
        for block in super::legacy::find_blocks(&text) {
            reporter.info(&format!(
                "found caro's old PATH setup in {} (`{}`); caro-install now looks after it, \
                 and uninstall removes it",
                path.display(),
                block.trim().replace('\n', " / ")
            ));
            records.push(PathEdit {
                path: path.clone(),
                line: Some(block),
                created: false,
                added_newline: false,
            });
        }
    }
    records
}

/// The lines that make the current shell find caro: source our env script, and fish's
/// file when there is one; only files caro-install wrote are named.
pub fn use_now_hint(env: &Env) -> Option<String> {
    let home = env.home().ok()?;
    let files = Files::new(env).ok()?;
    let ours = |path: &Path| fs::read_to_string(path).is_ok_and(|t| super::is_own_file(&t));
    if !ours(&files.env_script) {
        return None;
    }
    let sh = format!(". {}", super::sh_quote(&files.env_script, home));
    let mut hint =
        "To use caro in this shell now, run (new shells find it on their own):".to_string();
    if ours(&files.fish_conf) {
        let fish = format!("source {}", super::fish_quote(&files.fish_conf, home));
        hint.push_str(&format!(
            "\n    {sh}    # sh, bash, zsh\n    {fish}    # fish"
        ));
    } else {
        hint.push_str(&format!("\n    {sh}"));
    }
    Some(hint)
}

/// Inside GitHub Actions, makes later steps of the job find `dir` too.
fn append_github_path(env: &Env, dir: &Path, reporter: &dyn Reporter) {
    let Some(file) = env.var("GITHUB_PATH") else {
        return;
    };
    let line = dir.to_string_lossy();
    let result = read_or_empty(Path::new(file)).and_then(|(text, _)| {
        if super::has_line(&text, &line) {
            return Ok(false);
        }
        let mut appended = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)?;
        io::Write::write_all(&mut appended, format!("{line}\n").as_bytes()).map(|()| true)
    });
    match result {
        Ok(true) => reporter.info(&format!(
            "added {line} to GITHUB_PATH for the next steps of this job"
        )),
        Ok(false) => {}
        Err(error) => reporter.warn(&format!(
            "could not append to GITHUB_PATH `{file}`: {error}"
        )),
    }
}

/// Undoes `edits`: removes our lines (giving back byte-identical files where we only
/// added a line), deletes the files we created that are now empty and our own files.
/// Returns the files changed; problems are warnings.
pub fn unconfigure(edits: &[PathEdit], reporter: &dyn Reporter) -> Vec<PathBuf> {
    let mut changed = Vec::new();
    for edit in edits {
        match undo(edit) {
            Ok(Undone::NotOurs) => reporter.warn(&format!(
                "left {} as it is: caro-install did not write it",
                edit.path.display()
            )),
            Ok(Undone::Changed) => {
                // A file we created and only held our line is deleted, not restored.
                let verb = if edit.path.symlink_metadata().is_ok() {
                    "restored"
                } else {
                    "removed"
                };
                reporter.info(&format!("{verb} {}", edit.path.display()));
                changed.push(edit.path.clone());
            }
            Ok(Undone::Nothing) => {
                reporter.detail(&format!("{} had nothing of ours", edit.path.display()))
            }
            Err(error) => {
                let what = edit
                    .line
                    .as_deref()
                    .map(|l| format!("remove the line `{l}`"))
                    .unwrap_or_else(|| "delete it".to_string());
                reporter.warn(&format!(
                    "could not change {} ({error}); {what} yourself",
                    edit.path.display()
                ));
            }
        }
    }
    changed
}

/// What undoing one edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Undone {
    /// The line was removed or our file deleted.
    Changed,
    /// The file had nothing of ours (already undone, or never there).
    Nothing,
    /// The file at our path is the user's own: left alone.
    NotOurs,
}

fn undo(edit: &PathEdit) -> io::Result<Undone> {
    let Some(line) = &edit.line else {
        match fs::read_to_string(&edit.path) {
            Ok(text) if !super::is_own_file(&text) => return Ok(Undone::NotOurs),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Undone::Nothing),
            Err(e) => return Err(e),
        }
        fs::remove_file(&edit.path)?;
        // The folders made for our own files (fish/conf.d, fish), when now empty.
        for dir in edit.path.ancestors().skip(1).take(2) {
            if fs::remove_dir(dir).is_err() {
                break;
            }
        }
        return Ok(Undone::Changed);
    };
    let target = resolve(&edit.path)?;
    let (text, existed) = read_or_empty(&target)?;
    if !existed {
        return Ok(Undone::Nothing);
    }
    // A block of caro's old install scripts: comment and PATH line, taken over at install.
    let removed = if line.contains('\n') {
        super::legacy::remove_block(&text, line)
    } else {
        super::remove_line(&text, line, edit.added_newline)
    };
    let Some(new) = removed else {
        return Ok(Undone::Nothing);
    };
    if edit.created
        && new.trim().is_empty()
        && !edit.path.symlink_metadata()?.file_type().is_symlink()
    {
        fs::remove_file(&edit.path)?;
    } else {
        write_keeping_mode(&target, &new)?;
    }
    Ok(Undone::Changed)
}

/// Finds our edits without a receipt: our own files where they exist, and every sh-family
/// startup file holding one of our lines.
pub fn find_edits(env: &Env) -> Vec<PathEdit> {
    let Ok(files) = Files::new(env) else {
        return Vec::new();
    };
    let Ok(home) = env.home() else {
        return Vec::new();
    };
    let line = super::source_line(&files.env_script, home);
    let mut found = Vec::new();
    let own_files = [&files.env_script, &files.fish_conf];
    let startup_files = super::editable_files(env)
        .into_iter()
        .filter(|path| !own_files.contains(&path));
    for path in startup_files {
        let has_ours = resolve(&path)
            .and_then(fs::read_to_string)
            .is_ok_and(|text| text.lines().any(|l| super::is_our_line(l, &line)));
        if has_ours && !found.iter().any(|e: &PathEdit| e.path == path) {
            found.push(PathEdit {
                path,
                line: Some(line.clone()),
                created: false,
                added_newline: false,
            });
        }
    }
    for path in [files.env_script, files.fish_conf] {
        if fs::read_to_string(&path).is_ok_and(|text| super::is_own_file(&text)) {
            found.push(PathEdit {
                path,
                line: None,
                created: true,
                added_newline: false,
            });
        }
    }
    found
}
