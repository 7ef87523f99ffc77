//! Which shells there are and what each reads: the startup files that get a line, the
//! files wholly ours, and the text written into them (pure).

use std::path::{Path, PathBuf};

use super::Probe;
use crate::env::Env;
use crate::error::Result;

/// The env script for the sh family; `{dir}` is replaced with the quoted directory.
const ENV_SH: &str = include_str!("env.sh");

/// The fish conf.d file; `{dir}` is replaced with the quoted directory.
const ENV_FISH: &str = include_str!("env.fish");

/// The comment that marks the lines caro-install adds, so they can be found (and only they
/// removed) even without a receipt.
pub const MARKER: &str = "# added by caro-install";

/// A shell whose new instances must find caro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shell {
    /// POSIX sh and dash (and bash as a login shell without its own profile).
    Posix,
    /// bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

impl Shell {
    /// Every shell, in the order files are listed to the user.
    pub const ALL: [Shell; 4] = [Shell::Posix, Shell::Bash, Shell::Zsh, Shell::Fish];

    /// The shell's name as users type it.
    pub fn name(self) -> &'static str {
        match self {
            Shell::Posix => "sh",
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }
}

/// Where caro-install's own shell files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// The env script the sh family sources: `${XDG_CONFIG_HOME:-~/.config}/caro/env`.
    pub env_script: PathBuf,
    /// fish's file: `${XDG_CONFIG_HOME:-~/.config}/fish/conf.d/caro.fish`.
    pub fish_conf: PathBuf,
}

impl Files {
    /// The paths for `env`.
    pub fn new(env: &Env) -> Result<Files> {
        let config = env.xdg_config_home()?;
        Ok(Files {
            env_script: config.join("caro").join("env"),
            fish_conf: config.join("fish").join("conf.d").join("caro.fish"),
        })
    }
}

/// The startup files of the sh family to put the source line in, per SPEC section 6:
/// `~/.profile` always (created if missing); each existing `~/.bashrc`, `~/.bash_profile`,
/// `~/.bash_login`, and a new `~/.bashrc` when bash is installed and none exists;
/// `$ZDOTDIR/.zshenv` (else `~/.zshenv`) when it exists or zsh is installed.
pub fn rc_files(env: &Env, probe: &dyn Probe) -> Result<Vec<(Shell, PathBuf)>> {
    let home = env.home()?;
    let mut files = vec![(Shell::Posix, home.join(".profile"))];
    let bash: Vec<PathBuf> = [".bashrc", ".bash_profile", ".bash_login"]
        .iter()
        .map(|name| home.join(name))
        .filter(|path| probe.exists(path))
        .collect();
    if bash.is_empty() {
        if probe.has_program("bash") {
            files.push((Shell::Bash, home.join(".bashrc")));
        }
    } else {
        files.extend(bash.into_iter().map(|path| (Shell::Bash, path)));
    }
    let zshenv = zsh_dir(env)?.join(".zshenv");
    if probe.exists(&zshenv) || probe.has_program("zsh") {
        files.push((Shell::Zsh, zshenv));
    }
    Ok(files)
}

/// `$ZDOTDIR` when set, else `$HOME`.
fn zsh_dir(env: &Env) -> Result<PathBuf> {
    match env.var("ZDOTDIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(env.home()?.to_path_buf()),
    }
}

/// The first words of every file caro-install writes wholly (the env scripts): a file at
/// one of our paths that does not start with them is the user's, and is never overwritten
/// or deleted.
pub const OWN_FILE_HEADER: &str = "# caro's PATH setup, written by caro-install";

/// Returns true if and only if `text` is a file caro-install wrote (it starts with
/// [`OWN_FILE_HEADER`]), whatever directory it was written for.
pub fn is_own_file(text: &str) -> bool {
    text.starts_with(OWN_FILE_HEADER)
}

/// Every file caro-install may edit or write in `env`: the sh-family startup files, zsh's
/// `.zshenv` (in `$ZDOTDIR` too), and our own env scripts. A receipt naming any other file
/// is not acted on: uninstall never touches a file caro-install could not have written.
pub fn editable_files(env: &Env) -> Vec<PathBuf> {
    let (Ok(home), Ok(files)) = (env.home(), Files::new(env)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = [
        ".profile",
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".zshenv",
    ]
    .iter()
    .map(|name| home.join(name))
    .collect();
    if let Some(zdotdir) = env.var("ZDOTDIR") {
        paths.push(Path::new(zdotdir).join(".zshenv"));
    }
    paths.push(files.env_script);
    paths.push(files.fish_conf);
    paths
}

/// The env script for the sh family, for `dir`.
pub fn env_script(dir: &Path, home: &Path) -> String {
    ENV_SH.replace("{dir}", &sh_quote(dir, home))
}

/// fish's conf.d file, for `dir`.
pub fn fish_script(dir: &Path, home: &Path) -> String {
    ENV_FISH.replace("{dir}", &fish_quote(dir, home))
}

/// The line that sources the env script: `. "$HOME/.config/caro/env" # added by caro-install`.
pub fn source_line(env_script: &Path, home: &Path) -> String {
    format!(". {} {MARKER}", sh_quote(env_script, home))
}

/// `path` as a double-quoted sh word, written relative to `$HOME` when it is inside it (so
/// a renamed home still works), with `\`, `"`, `$` and `` ` `` escaped.
pub fn sh_quote(path: &Path, home: &Path) -> String {
    quote(path, home, &['\\', '"', '$', '`'])
}

/// `path` as a double-quoted fish word, relative to `$HOME` when inside it (fish has no
/// backquote expansion, so `` ` `` stays as it is).
pub fn fish_quote(path: &Path, home: &Path) -> String {
    quote(path, home, &['\\', '"', '$'])
}

fn quote(path: &Path, home: &Path, special: &[char]) -> String {
    let escape = |text: &str| {
        text.chars()
            .fold(String::with_capacity(text.len()), |mut quoted, c| {
                if special.contains(&c) {
                    quoted.push('\\');
                }
                quoted.push(c);
                quoted
            })
    };
    match path.strip_prefix(home) {
        Ok(rest) if rest.as_os_str().is_empty() => "\"$HOME\"".to_string(),
        Ok(rest) => format!("\"$HOME/{}\"", escape(&rest.to_string_lossy())),
        Err(_) => format!("\"{}\"", escape(&path.to_string_lossy())),
    }
}
