//! Making a new shell of every kind find `caro`: which files, which lines (pure).
//!
//! Shells read different files depending on how they start, which is why installers that
//! edit only `~/.profile` or only `~/.bashrc` leave some users with "command not found":
//! - a **login** shell (a terminal on macOS, an SSH session, `bash -l`) reads `~/.profile`
//!   (sh, dash) or the first of `~/.bash_profile`, `~/.bash_login`, `~/.profile` (bash);
//! - an **interactive non-login** bash (a new terminal tab on most Linux desktops) reads
//!   only `~/.bashrc`;
//! - **zsh** reads `$ZDOTDIR/.zshenv` (default `~/.zshenv`) for every shell, login or not,
//!   interactive or not, so one line there covers all of them;
//! - **fish** reads every file in `conf.d`, so it gets a file of its own.
//!
//! So the sh family gets one `. "…/env"` line in each of those files, sourcing an env
//! script that prepends the directory only when PATH lacks it (nested shells, and files
//! that source each other, never duplicate it); fish gets `conf.d/caro.fish` with the
//! same guard. Everything here is a pure function of an [`Env`] and a [`Probe`] that
//! answers "does this file exist, is this shell installed"; the effects are in [`startup`]
//! and (for the registry) [`windows`].

mod edit;
mod kinds;
pub mod legacy;
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

pub use edit::{add_line, has_line, is_our_line, remove_line};
pub use kinds::{
    Files, MARKER, OWN_FILE_HEADER, Shell, editable_files, env_script, fish_quote, fish_script,
    is_own_file, rc_files, sh_quote, source_line,
};
pub use startup::{RealProbe, find_edits};

use std::path::{Component, Path, PathBuf};

use crate::env::Env;
use crate::error::Result;
use crate::receipt::PathEdit;
use crate::report::Reporter;

/// What the pure planning needs to know about the file system and installed programs.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A file wholly ours (the env script, fish's conf.d file), written with these contents.
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
    },
}

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
/// never sources a file that does not exist yet), then the lines.
pub fn plan_edits(env: &Env, dir: &Path, probe: &dyn Probe) -> Result<Vec<Edit>> {
    let home = env.home()?;
    let files = Files::new(env)?;
    let mut edits = vec![Edit::OwnFile {
        shell: Shell::Posix,
        path: files.env_script.clone(),
        contents: env_script(dir, home),
    }];
    let fish_config = files
        .fish_conf
        .parent()
        .and_then(Path::parent)
        .unwrap_or(home);
    if probe.exists(&files.fish_conf) || probe.exists(fish_config) || probe.has_program("fish") {
        edits.push(Edit::OwnFile {
            shell: Shell::Fish,
            path: files.fish_conf,
            contents: fish_script(dir, home),
        });
    }
    let line = source_line(&files.env_script, home);
    for (shell, path) in rc_files(env, probe)? {
        edits.push(Edit::Line {
            shell,
            path,
            line: line.clone(),
        });
    }
    Ok(edits)
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
mod tests {
    use super::*;
    use crate::env::HOME_VAR;
    use std::collections::HashSet;

    struct FakeProbe {
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

    fn probe(files: &[&str], programs: &[&'static str]) -> FakeProbe {
        FakeProbe {
            files: files.iter().map(PathBuf::from).collect(),
            programs: programs.to_vec(),
        }
    }

    fn env() -> Env {
        Env::from_vars([(HOME_VAR, "/home/u")])
    }

    fn paths(files: Vec<(Shell, PathBuf)>) -> Vec<String> {
        files
            .into_iter()
            .map(|(shell, path)| {
                let path = path.to_string_lossy().replace('\\', "/");
                format!("{}:{path}", shell.name())
            })
            .collect()
    }

    #[test]
    fn profile_always_and_bashrc_created_when_bash_is_installed() {
        let files = rc_files(&env(), &probe(&[], &["bash"])).unwrap();
        assert_eq!(
            paths(files),
            ["sh:/home/u/.profile", "bash:/home/u/.bashrc"]
        );
    }

    #[test]
    fn every_existing_bash_file_and_no_new_one() {
        let files = rc_files(
            &env(),
            &probe(&["/home/u/.bash_profile", "/home/u/.bash_login"], &["bash"]),
        )
        .unwrap();
        assert_eq!(
            paths(files),
            [
                "sh:/home/u/.profile",
                "bash:/home/u/.bash_profile",
                "bash:/home/u/.bash_login"
            ]
        );
    }

    #[test]
    fn no_bash_no_bashrc() {
        let files = rc_files(&env(), &probe(&[], &[])).unwrap();
        assert_eq!(paths(files), ["sh:/home/u/.profile"]);
    }

    #[test]
    fn zshenv_follows_zdotdir() {
        let files = rc_files(&env(), &probe(&[], &["zsh"])).unwrap();
        assert_eq!(paths(files), ["sh:/home/u/.profile", "zsh:/home/u/.zshenv"]);
        let env = Env::from_vars([(HOME_VAR, "/home/u"), ("ZDOTDIR", "/home/u/.config/zsh")]);
        let files = rc_files(&env, &probe(&["/home/u/.config/zsh/.zshenv"], &[])).unwrap();
        assert_eq!(
            paths(files),
            ["sh:/home/u/.profile", "zsh:/home/u/.config/zsh/.zshenv"]
        );
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

    #[test]
    fn no_fish_no_fish_file() {
        let edits = plan_edits(&env(), Path::new("/opt/bin"), &probe(&[], &[])).unwrap();
        assert!(edits.iter().all(|e| e.shell() != Shell::Fish), "{edits:?}");
    }

    #[test]
    fn scripts_name_the_directory_relative_to_home() {
        let home = Path::new("/home/u");
        let sh = env_script(Path::new("/home/u/.local/bin"), home);
        assert!(sh.contains("*:\"$HOME/.local/bin\":*) ;;"), "{sh}");
        assert!(
            sh.contains("export PATH=\"$HOME/.local/bin\"\"${PATH:+:$PATH}\""),
            "{sh}"
        );
        let fish = fish_script(Path::new("/opt/caro bin"), home);
        assert!(
            fish.contains("if not contains -- \"/opt/caro bin\" $PATH"),
            "{fish}"
        );
    }

    #[test]
    fn quoting_escapes_what_the_shell_would_expand() {
        let home = Path::new("/home/u");
        assert_eq!(
            sh_quote(Path::new("/opt/a\"b$c`d\\e"), home),
            "\"/opt/a\\\"b\\$c\\`d\\\\e\""
        );
        assert_eq!(fish_quote(Path::new("/home/u/$x"), home), "\"$HOME/\\$x\"");
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
