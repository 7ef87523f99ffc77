//! Making a new shell of every kind find `caro`: which files, which lines (pure), and the
//! effects that write and undo them.
//!
//! Shells read different files depending on how they start, which is why installers that
//! edit only `~/.profile` or only `~/.bashrc` leave some users with "command not found";
//! [`kinds`] says which shell reads what (and docs/shells.md why). Each shell gets the
//! least that works for every way it starts:
//! - the sh family (sh, dash, bash, zsh) one `. "…/caro/env"` line in each startup file it
//!   reads, and tcsh/csh one `source "…/caro/env.csh"` line: env scripts that prepend the
//!   directory only when PATH lacks it, so nested shells and files that source each other
//!   never duplicate it;
//! - fish, xonsh and nushell a file of their own in the folder they load at startup;
//! - elvish and PowerShell, which read one file only, one marked line that carries the
//!   same guard.
//!
//! The planning ([`plan_edits`]) is a pure function of an [`Env`] and a [`Probe`] that
//! answers "does this file exist, is this shell installed"; [`scripts`] holds the texts,
//! [`edit`] the line editing, [`legacy`] the lines caro's old install scripts wrote.
//! [`startup`] makes and undoes the edits (on every OS, since a receipt may name them);
//! what differs by OS is chosen once below, from [`unix`] or [`windows`].

// Startup files are how Unix shells find PATH; Windows keeps it in the registry. These
// rooms are pure and compile on Windows too (for their tests, and for the probe Windows
// shares), where most of them goes unused. `allow`, not `expect`: an expectation on a
// module is not fulfilled by the dead-code lint of the items inside it (rustc's own limit).
#[cfg_attr(
    windows,
    allow(
        dead_code,
        reason = "startup files are how Unix shells find PATH; Windows keeps it in the registry"
    )
)]
mod edit;
#[cfg_attr(
    windows,
    allow(
        dead_code,
        reason = "startup files are how Unix shells find PATH; Windows keeps it in the registry"
    )
)]
mod kinds;
pub mod legacy;
#[cfg_attr(
    windows,
    allow(
        dead_code,
        reason = "startup files are how Unix shells find PATH; Windows keeps it in the registry"
    )
)]
mod scripts;
#[cfg_attr(
    windows,
    allow(
        dead_code,
        reason = "startup files are how Unix shells find PATH; Windows keeps it in the registry"
    )
)]
mod startup;
#[cfg(unix)]
mod unix;
pub mod windows;

// What differs by OS is chosen here, once: same-named functions in unix.rs and windows.rs.
#[cfg(unix)]
use unix::unconfigure_registry;
#[cfg(unix)]
pub use unix::{configure_path, preview, shadowing_after_edit, use_now_hint};
#[cfg(windows)]
use windows::unconfigure_registry;
#[cfg(windows)]
pub use windows::{configure_path, preview, shadowing_after_edit, use_now_hint};

use edit::{add_line, content, has_line, remove_line};
pub use kinds::{Files, Shell, editable_files, rc_files};
pub use scripts::MARKER;
use scripts::{by_hand, csh_source_line, fish_quote, is_marked_line, is_own_file, sh_quote};
pub use startup::{RealProbe, find_edits};

use std::path::{Component, Path, PathBuf};

use crate::env::Env;
use crate::error::Result;
use crate::receipt::PathEdit;
use crate::report::Reporter;

/// What the pure planning needs to know about the file system and installed programs.
#[cfg_attr(
    windows,
    allow(dead_code, reason = "Windows asks only whether a folder is on PATH")
)]
pub trait Probe {
    /// Returns true if and only if `path` exists (following symlinks or not: a dangling
    /// symlinked rc file still counts as the user's file).
    fn exists(&self, path: &Path) -> bool;
    /// Returns true if and only if the program `name` is installed.
    fn has_program(&self, name: &str) -> bool;
    /// Returns true if and only if `path` is a file (following symlinks).
    fn is_file(&self, path: &Path) -> bool;
    /// `path` with every symlink and `..` resolved, when it exists.
    fn canonical(&self, path: &Path) -> Option<PathBuf>;
}

/// One change to make a shell find caro.
#[cfg_attr(
    windows,
    allow(
        dead_code,
        reason = "startup files are how Unix shells find PATH; Windows keeps it in the registry"
    )
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A file wholly ours (an env script, a drop-in), written with these contents.
    OwnFile {
        /// The shell it serves.
        shell: Shell,
        /// The file.
        path: PathBuf,
        /// Its whole contents.
        contents: String,
    },
    /// A line ensured in a user's startup file.
    Line {
        /// The shell it serves.
        shell: Shell,
        /// The startup file.
        path: PathBuf,
        /// The line, without its newline.
        line: String,
        /// The file of ours the line sources, which must be in place first.
        sources: Option<PathBuf>,
    },
}

#[cfg_attr(
    windows,
    allow(
        dead_code,
        reason = "startup files are how Unix shells find PATH; Windows keeps it in the registry"
    )
)]
impl Edit {
    /// The file this edit changes.
    pub fn path(&self) -> &Path {
        match self {
            Edit::OwnFile { path, .. } | Edit::Line { path, .. } => path,
        }
    }

    /// The shell this edit serves.
    pub fn shell(&self) -> Shell {
        match self {
            Edit::OwnFile { shell, .. } | Edit::Line { shell, .. } => *shell,
        }
    }
}

/// Undoes `edits` (from the receipt, or found by [`find_edits`]); returns the files
/// changed.
pub fn unconfigure_path(edits: &[PathEdit], reporter: &dyn Reporter) -> Vec<PathBuf> {
    let (registry, files): (Vec<PathEdit>, Vec<PathEdit>) = edits
        .iter()
        .cloned()
        .partition(|edit| edit.path == Path::new(windows::REGISTRY_PATH));
    let changed = startup::unconfigure(&files, reporter);
    [changed, unconfigure_registry(&registry, reporter)].concat()
}

/// Every edit that makes new shells find `dir`, in order: our own files first (so a line
/// never sources a file that does not exist yet), then the lines. A shell whose syntax
/// cannot hold `dir` on one line (csh and a newline) gets nothing.
#[cfg_attr(
    windows,
    allow(
        dead_code,
        reason = "startup files are how Unix shells find PATH; Windows keeps it in the registry"
    )
)]
pub fn plan_edits(env: &Env, dir: &Path, probe: &dyn Probe) -> Result<Vec<Edit>> {
    let home = env.home()?;
    let files = Files::new(env)?;
    let mut own_files: Vec<Edit> = Vec::new();
    let mut add_own_file = |shell: Shell| {
        if let Some((path, contents)) = shell.own_file(dir, home, &files) {
            if own_files.iter().all(|edit| edit.path() != path) {
                own_files.push(Edit::OwnFile {
                    shell,
                    path: path.to_path_buf(),
                    contents,
                });
            }
        }
    };
    let mut lines = Vec::new();
    for (shell, path) in rc_files(env, probe)? {
        let Some((line, sources)) = shell.startup_line(dir, home, &files) else {
            continue;
        };
        if sources.is_some() {
            add_own_file(shell);
        }
        lines.push(Edit::Line {
            shell,
            path,
            line,
            sources,
        });
    }
    for shell in Shell::ALL {
        if shell.wants_drop_in(&files, probe) {
            add_own_file(shell);
        }
    }
    own_files.extend(lines);
    Ok(own_files)
}

/// Normalises a path for comparison: the file system's canonical form when it exists
/// (symlinks and `..` resolved), else lexically without `.`, `..` and trailing slashes.
pub fn normalize(path: &Path, probe: &dyn Probe) -> PathBuf {
    probe.canonical(path).unwrap_or_else(|| {
        let mut lexical = PathBuf::new();
        for component in path.components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => {
                    lexical.pop();
                }
                other => lexical.push(other),
            }
        }
        lexical
    })
}

/// Returns true if and only if `dir` is on the environment's PATH (normalised comparison).
pub fn is_on_path(env: &Env, dir: &Path, probe: &dyn Probe) -> bool {
    let dir = normalize(dir, probe);
    env.path_dirs()
        .iter()
        .any(|entry| normalize(entry, probe) == dir)
}

/// The `name` executables on PATH that a shell would find before the one in `dir`: all of
/// them when `dir` is not on PATH.
pub fn shadowing(env: &Env, dir: &Path, name: &str, probe: &dyn Probe) -> Vec<PathBuf> {
    shadowing_in(env.path_dirs(), dir, name, probe)
}

/// The `name` executables in `entries` before the one naming `dir`.
pub(crate) fn shadowing_in(
    entries: Vec<PathBuf>,
    dir: &Path,
    name: &str,
    probe: &dyn Probe,
) -> Vec<PathBuf> {
    let dir = normalize(dir, probe);
    let mut found = Vec::new();
    for entry in entries {
        if normalize(&entry, probe) == dir {
            break;
        }
        let candidate = entry.join(name);
        if probe.is_file(&candidate) && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    found
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::env::HOME_VAR;
    use std::collections::HashSet;

    pub(super) struct FakeProbe {
        files: HashSet<PathBuf>,
        programs: Vec<&'static str>,
    }

    impl Probe for FakeProbe {
        fn exists(&self, path: &Path) -> bool {
            self.files.contains(path)
        }
        fn has_program(&self, name: &str) -> bool {
            self.programs.contains(&name)
        }
        fn is_file(&self, path: &Path) -> bool {
            self.files.contains(path)
        }
        fn canonical(&self, _path: &Path) -> Option<PathBuf> {
            None
        }
    }

    pub(super) fn probe(files: &[&str], programs: &[&'static str]) -> FakeProbe {
        FakeProbe {
            files: files.iter().map(PathBuf::from).collect(),
            programs: programs.to_vec(),
        }
    }

    pub(super) fn env() -> Env {
        Env::from_vars([(HOME_VAR, "/home/u")])
    }

    #[cfg(unix)] // "/home/u/cfg" is not absolute on Windows, so XDG_CONFIG_HOME is ignored
    #[test]
    fn fish_gets_a_conf_d_file_under_xdg_config_home() {
        let env = Env::from_vars([(HOME_VAR, "/home/u"), ("XDG_CONFIG_HOME", "/home/u/cfg")]);
        let edits = plan_edits(
            &env,
            Path::new("/home/u/.local/bin"),
            &probe(&[], &["fish"]),
        )
        .unwrap();
        let fish = edits.iter().find(|e| e.shell() == Shell::Fish).unwrap();
        assert_eq!(fish.path(), Path::new("/home/u/cfg/fish/conf.d/caro.fish"));
        assert_eq!(edits[0].path(), Path::new("/home/u/cfg/caro/env"));
        let Edit::Line { line, .. } = &edits[2] else {
            panic!("{edits:?}")
        };
        assert_eq!(line, ". \"$HOME/cfg/caro/env\" # added by caro-install");
    }

    #[cfg(unix)]
    #[test]
    fn every_shell_installed_gets_its_file_or_line_and_own_files_come_first() {
        let programs = [
            "bash", "zsh", "fish", "tcsh", "xonsh", "elvish", "nu", "pwsh",
        ];
        let edits = plan_edits(&env(), Path::new("/opt/bin"), &probe(&[], &programs)).unwrap();
        let shown: Vec<String> = edits
            .iter()
            .map(|edit| {
                let kind = if matches!(edit, Edit::Line { .. }) {
                    "line"
                } else {
                    "file"
                };
                let path = edit.path().strip_prefix("/home/u").unwrap().display();
                format!("{} {kind} {path}", edit.shell().name())
            })
            .collect();
        assert_eq!(
            shown,
            [
                "sh file .config/caro/env",
                "tcsh file .config/caro/env.csh",
                "fish file .config/fish/conf.d/caro.fish",
                "xonsh file .config/xonsh/rc.d/caro.xsh",
                "nu file .config/nushell/autoload/caro.nu",
                "sh line .profile",
                "bash line .bashrc",
                "zsh line .zshenv",
                "tcsh line .tcshrc",
                "elvish line .config/elvish/rc.elv",
                "pwsh line .config/powershell/profile.ps1",
            ]
        );
        let Edit::Line { sources, .. } = &edits[8] else {
            panic!("{edits:?}")
        };
        assert_eq!(
            sources.as_deref(),
            Some(Path::new("/home/u/.config/caro/env.csh"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn csh_gets_nothing_for_a_directory_it_cannot_quote() {
        let edits = plan_edits(&env(), Path::new("/opt/a\nb"), &probe(&[], &["tcsh"])).unwrap();
        assert!(edits.iter().all(|e| e.shell() != Shell::Tcsh), "{edits:?}");
    }

    #[test]
    fn no_fish_no_fish_file() {
        let edits = plan_edits(&env(), Path::new("/opt/bin"), &probe(&[], &[])).unwrap();
        assert!(edits.iter().all(|e| e.shell() != Shell::Fish), "{edits:?}");
    }

    #[cfg(unix)]
    #[test]
    fn path_comparison_ignores_trailing_slashes_and_dots() {
        let env = Env::from_vars([("PATH", "/usr/bin:/opt/caro/bin/:/bin")]);
        let probe = probe(&[], &[]);
        assert!(is_on_path(&env, Path::new("/opt/caro/bin"), &probe));
        assert!(is_on_path(
            &env,
            Path::new("/opt/caro/lib/../bin/."),
            &probe
        ));
        assert!(!is_on_path(&env, Path::new("/opt/caro"), &probe));
    }

    #[cfg(unix)]
    #[test]
    fn only_copies_earlier_on_path_shadow_ours() {
        let probe = probe(
            &["/usr/local/bin/caro", "/usr/bin/caro", "/opt/late/caro"],
            &[],
        );
        let env = Env::from_vars([(
            "PATH",
            "/usr/local/bin:/usr/bin:/home/u/.local/bin:/opt/late",
        )]);
        let found = shadowing(&env, Path::new("/home/u/.local/bin"), "caro", &probe);
        assert_eq!(
            found,
            [
                PathBuf::from("/usr/local/bin/caro"),
                PathBuf::from("/usr/bin/caro")
            ]
        );
        // Not on PATH: every copy on PATH runs instead.
        let env = Env::from_vars([("PATH", "/usr/bin:/opt/late")]);
        assert_eq!(
            shadowing(&env, Path::new("/home/u/.local/bin"), "caro", &probe).len(),
            2
        );
    }
}
