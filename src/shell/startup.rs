//! The effects of PATH configuration in startup files: writing the env scripts, drop-ins
//! and lines that [`super::plan_edits`] chose, and undoing exactly those at uninstall.
//! This runs on every OS: a receipt may name such files wherever it was written.
//!
//! Every startup file, env script and drop-in is read through [`files::read_regular_text`]
//! and checked with [`files::check_editable`] first: a FIFO, a device, a socket, a folder,
//! a symlink to another user's file or a read-only file is never opened for reading,
//! written or replaced, and the user gets the exact line to add by hand. Every write is
//! atomic and keeps the file's mode; a symlinked rc file (dotfile managers) is edited at
//! its target so it stays a symlink ([`files::replace_contents`]). A file that cannot be
//! edited is a warning: an rc file is the user's, and failing the whole install over one
//! would be worse.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::legacy::{self, Found};
use super::{Edit, Files, Probe};
use crate::env::Env;
use crate::files::{self, Refused};
use crate::receipt::PathEdit;
use crate::report::Reporter;

/// The largest startup file read: far above any real one, far below what a `/dev/zero`
/// behind a symlink would make of memory (it is refused before any read anyway).
const STARTUP_FILE_LIMIT: u64 = 4 << 20;

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

/// The text of the user's file at `path`, when caro-install may edit it: `Ok(None)` when
/// nothing is there. A symlink that leads nowhere is refused: writing would create a file
/// wherever it points.
fn read_editable(path: &Path) -> Result<Option<String>, Refused> {
    let dangling = path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
        && fs::metadata(path).is_err();
    if dangling {
        return Err(Refused::Io(io::Error::new(
            io::ErrorKind::NotFound,
            "it is a symlink to a file that does not exist",
        )));
    }
    if !files::check_editable(path)? {
        return Ok(None);
    }
    files::read_regular_text(path, STARTUP_FILE_LIMIT)
}

/// An error with its causes, on one line, for a warning.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Why an edit was not made.
enum NotDone {
    /// The file is not one caro-install may read or edit; it was not touched.
    Refused(Refused),
    /// A file of ours is there with the user's own contents.
    NotOurs,
    /// The write failed.
    Write(crate::error::Error),
}

impl std::fmt::Display for NotDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotDone::Refused(refused) => write!(f, "left as it is: {refused}"),
            NotDone::NotOurs => {
                f.write_str("exists and caro-install did not write it, so it is left as it is")
            }
            NotDone::Write(error) => write!(f, "could not write it: {}", with_causes(error)),
        }
    }
}

/// Applies one edit: `Ok(None)` when the file already had it, else the record of the change.
fn apply(edit: &Edit) -> Result<Option<PathEdit>, NotDone> {
    let text = read_editable(edit.path()).map_err(NotDone::Refused)?;
    let existed = text.is_some();
    let text = text.unwrap_or_default();
    match edit {
        Edit::OwnFile { path, contents, .. } => {
            if existed && text == *contents {
                return Ok(None);
            }
            if existed && !super::is_own_file(&text) {
                return Err(NotDone::NotOurs);
            }
            let created_dirs = missing_dirs(path);
            files::replace_contents(path, contents.as_bytes()).map_err(NotDone::Write)?;
            Ok(Some(PathEdit {
                path: path.clone(),
                line: None,
                created: true,
                added_newline: false,
                created_dirs,
            }))
        }
        Edit::Line { path, line, .. } => {
            let Some((new, added_newline)) = super::add_line(&text, line) else {
                return Ok(None);
            };
            let created_dirs = missing_dirs(path);
            files::replace_contents(path, new.as_bytes()).map_err(NotDone::Write)?;
            Ok(Some(PathEdit {
                path: path.clone(),
                line: Some(line.clone()),
                created: !existed,
                added_newline,
                created_dirs,
            }))
        }
    }
}

/// The folders missing above `file`, deepest first: those writing it will create.
fn missing_dirs(file: &Path) -> Vec<PathBuf> {
    file.ancestors()
        .skip(1)
        .take_while(|dir| !dir.as_os_str().is_empty() && dir.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect()
}

/// Removes the folders `edit` records as made for its file, deepest first, while they are
/// empty; only folders above the file, whatever else a receipt may list.
fn remove_created_dirs(edit: &PathEdit) {
    for dir in &edit.created_dirs {
        let above = edit.path.ancestors().skip(1).any(|parent| parent == dir);
        if !above || fs::remove_dir(dir).is_err() {
            break;
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
            let text = read_editable(edit.path())
                .ok()
                .flatten()
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
    // A line sources a file of ours: when that file could not be written (it is the
    // user's own, say), the line would not find caro, so it is not added.
    let mut missing: Vec<&Path> = Vec::new();
    for edit in &edits {
        if let Edit::Line {
            sources: Some(script),
            ..
        } = edit
        {
            if missing.contains(&script.as_path()) {
                continue;
            }
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
            Err(not_done) => {
                let by_hand = match edit {
                    Edit::Line { line, .. } => line.clone(),
                    Edit::OwnFile { path, shell, .. } => {
                        missing.push(path);
                        super::by_hand(*shell, dir)
                    }
                };
                reporter.warn(&format!(
                    "{} {not_done}; to make {} find caro, add this line to it yourself:\n    {by_hand}",
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

/// Finds the lines caro's old install scripts appended (see [`legacy`]) and returns them
/// as edits for the receipt, so uninstall removes them; reports those the user changed,
/// which stay. Nothing is written.
fn take_over_legacy(env: &Env, reporter: &dyn Reporter) -> Vec<PathEdit> {
    let mut records = Vec::new();
    for path in legacy::files(env) {
        let Ok(Some(text)) = read_editable(&path) else {
            continue;
        };
        for found in legacy::find(&text) {
            match found {
                Found::Block(block) => {
                    reporter.info(&format!(
                        "found caro's old PATH setup in {} (`{}`); caro-install now looks \
                         after it, and uninstall removes it",
                        path.display(),
                        block
                            .lines()
                            .filter(|line| !line.is_empty())
                            .collect::<Vec<_>>()
                            .join(" / ")
                    ));
                    records.push(PathEdit {
                        path: path.clone(),
                        line: Some(block),
                        created: false,
                        added_newline: false,
                        created_dirs: Vec::new(),
                    });
                }
                Found::Changed { number, line } => reporter.warn(&format!(
                    "{}:{number} follows caro's old `# caro PATH` comment but holds more than \
                     caro's old installer wrote (`{line}`), so it is left as it is; remove \
                     caro's part of it yourself if caro-install should look after PATH",
                    path.display()
                )),
            }
        }
    }
    records
}

/// The lines that make the current shell find caro: source our env scripts (and fish's
/// file); only files caro-install wrote are named.
pub fn use_now_hint(env: &Env) -> Option<String> {
    let home = env.home().ok()?;
    let files = Files::new(env).ok()?;
    let ours = |path: &Path| {
        files::read_regular_text(path, STARTUP_FILE_LIMIT)
            .is_ok_and(|text| text.is_some_and(|t| super::is_own_file(&t)))
    };
    if !ours(&files.env_script) {
        return None;
    }
    let mut commands = vec![(
        format!(". {}", super::sh_quote(&files.env_script, home)),
        "sh, bash, zsh",
    )];
    if ours(&files.fish_conf) {
        let fish = format!("source {}", super::fish_quote(&files.fish_conf, home));
        commands.push((fish, "fish"));
    }
    if ours(&files.csh_script) {
        if let Some(line) = super::csh_source_line(&files.csh_script, home) {
            let csh = line.trim_end_matches(super::MARKER).trim_end().to_string();
            commands.push((csh, "tcsh, csh"));
        }
    }
    let mut hint =
        "To use caro in this shell now, run (new shells find it on their own):".to_string();
    if let [(sh, _)] = &commands[..] {
        hint.push_str(&format!("\n    {sh}"));
    } else {
        for (command, shells) in &commands {
            hint.push_str(&format!("\n    {command}    # {shells}"));
        }
    }
    Some(hint)
}

/// Inside GitHub Actions, makes later steps of the job find `dir` too.
fn append_github_path(env: &Env, dir: &Path, reporter: &dyn Reporter) {
    let Some(file) = env.var("GITHUB_PATH") else {
        return;
    };
    let line = dir.to_string_lossy();
    let result = read_editable(Path::new(file))
        .map_err(|refused| io::Error::other(refused.to_string()))
        .and_then(|text| {
            if super::has_line(&text.unwrap_or_default(), &line) {
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
            Err(reason) => {
                let what = edit
                    .line
                    .as_deref()
                    .map(|l| format!("remove the line `{}`", l.trim().replace('\n', "` and `")))
                    .unwrap_or_else(|| "delete it".to_string());
                reporter.warn(&format!(
                    "could not change {} ({reason}); {what} yourself",
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

fn undo(edit: &PathEdit) -> Result<Undone, String> {
    let text = read_editable(&edit.path).map_err(|refused| refused.to_string())?;
    let Some(text) = text else {
        return Ok(Undone::Nothing);
    };
    let Some(line) = &edit.line else {
        if !super::is_own_file(&text) {
            return Ok(Undone::NotOurs);
        }
        fs::remove_file(&edit.path).map_err(|e| e.to_string())?;
        remove_created_dirs(edit);
        return Ok(Undone::Changed);
    };
    // Lines of caro's old install scripts, taken over at install, hold their endings.
    let removed = if line.contains('\n') {
        legacy::remove_block(&text, line)
    } else {
        super::remove_line(&text, line, edit.added_newline)
    };
    let Some(new) = removed else {
        return Ok(Undone::Nothing);
    };
    let symlink = edit
        .path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    if edit.created && new.trim().is_empty() && !symlink {
        fs::remove_file(&edit.path).map_err(|e| e.to_string())?;
        remove_created_dirs(edit);
    } else {
        files::replace_contents(&edit.path, new.as_bytes()).map_err(|e| with_causes(&e))?;
    }
    Ok(Undone::Changed)
}

/// Finds our edits without a receipt: our own files where they exist, and every line of
/// ours (see [`super::is_marked_line`]) in a startup file, each recorded as it is.
pub fn find_edits(env: &Env) -> Vec<PathEdit> {
    let Ok(files) = Files::new(env) else {
        return Vec::new();
    };
    let own = files.own();
    let mut found = Vec::new();
    let startup_files = super::editable_files(env)
        .into_iter()
        .filter(|path| !own.contains(&path));
    for path in startup_files {
        let Ok(Some(text)) = read_editable(&path) else {
            continue;
        };
        for piece in text.split_inclusive('\n') {
            let line = super::content(piece);
            let known = found
                .iter()
                .any(|e: &PathEdit| e.path == path && e.line.as_deref() == Some(line));
            if super::is_marked_line(line) && !known {
                found.push(PathEdit {
                    path: path.clone(),
                    line: Some(line.to_string()),
                    created: false,
                    added_newline: false,
                    created_dirs: Vec::new(),
                });
            }
        }
    }
    for path in own {
        if let Ok(Some(text)) = read_editable(path) {
            if super::is_own_file(&text) {
                found.push(PathEdit {
                    path: path.clone(),
                    line: None,
                    created: true,
                    added_newline: false,
                    created_dirs: Vec::new(),
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_empty_folders_above_the_file_are_removed() {
        let home = tempfile::tempdir().unwrap();
        let file = home.path().join("a/b/caro.fish");
        assert_eq!(
            missing_dirs(&file),
            [home.path().join("a/b"), home.path().join("a")]
        );
        let elsewhere = home.path().join("mine");
        fs::create_dir_all(home.path().join("a/b")).unwrap();
        fs::create_dir(&elsewhere).unwrap();
        let edit = |created_dirs| PathEdit {
            path: file.clone(),
            line: None,
            created: true,
            added_newline: false,
            created_dirs,
        };
        remove_created_dirs(&edit(vec![elsewhere.clone()]));
        assert!(elsewhere.is_dir(), "not above the file: kept");
        fs::write(home.path().join("a/keep"), "").unwrap();
        remove_created_dirs(&edit(vec![home.path().join("a/b"), home.path().join("a")]));
        assert!(!home.path().join("a/b").exists());
        assert!(home.path().join("a").is_dir(), "not empty: kept");
    }
}
