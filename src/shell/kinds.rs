//! Which shells there are and which files each reads at startup (pure): the startup files
//! that get one line, and the files wholly ours that a shell loads on its own.
//!
//! Why these files (docs/shells.md says more):
//! - sh and dash read `~/.profile` as login shells; bash reads the first of
//!   `~/.bash_profile`, `~/.bash_login`, `~/.profile` as a login shell and only `~/.bashrc`
//!   as an interactive one; zsh reads `$ZDOTDIR/.zshenv` for every shell.
//! - tcsh reads `~/.tcshrc`, or `~/.cshrc` when there is none; csh reads `~/.cshrc`; both
//!   for every shell, so one line in the first that exists is enough.
//! - fish, xonsh and nushell load every file of a folder (`conf.d`, `rc.d`, `autoload`),
//!   so they get a file of their own and no user file is touched.
//! - elvish reads only `rc.elv`, and PowerShell only its profile: one marked line there.

use std::path::{Path, PathBuf};

use super::Probe;
use super::scripts;
use crate::env::Env;
use crate::error::Result;

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
    /// tcsh, and csh.
    Tcsh,
    /// xonsh.
    Xonsh,
    /// elvish.
    Elvish,
    /// nushell.
    Nushell,
    /// PowerShell on Linux and macOS (on Windows the user Path serves it).
    Pwsh,
}

impl Shell {
    /// Every shell, in the order files are listed to the user.
    pub const ALL: [Shell; 9] = [
        Shell::Posix,
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Tcsh,
        Shell::Xonsh,
        Shell::Elvish,
        Shell::Nushell,
        Shell::Pwsh,
    ];

    /// The shell's name as users type it to start it.
    pub fn name(self) -> &'static str {
        match self {
            Shell::Posix => "sh",
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
            Shell::Tcsh => "tcsh",
            Shell::Xonsh => "xonsh",
            Shell::Elvish => "elvish",
            Shell::Nushell => "nu",
            Shell::Pwsh => "pwsh",
        }
    }

    /// The line this shell's startup files get for `dir`, and the file of ours it sources
    /// (which must be written first); `None` for a shell that gets a file of its own
    /// instead, and for csh when it cannot quote `dir`.
    pub fn startup_line(
        self,
        dir: &Path,
        home: &Path,
        files: &Files,
    ) -> Option<(String, Option<PathBuf>)> {
        match self {
            Shell::Posix | Shell::Bash | Shell::Zsh => Some((
                scripts::source_line(&files.env_script, home),
                Some(files.env_script.clone()),
            )),
            Shell::Tcsh => {
                scripts::csh_script(dir, home)?;
                let line = scripts::csh_source_line(&files.csh_script, home)?;
                Some((line, Some(files.csh_script.clone())))
            }
            Shell::Elvish => Some((scripts::elvish_line(dir, home), None)),
            Shell::Pwsh => Some((scripts::powershell_line(dir, home), None)),
            Shell::Fish | Shell::Xonsh | Shell::Nushell => None,
        }
    }

    /// The file of ours this shell reads for `dir`, with its whole contents: the env script
    /// it sources (sh family, csh) or its drop-in (fish, xonsh, nushell); `None` for elvish
    /// and PowerShell, whose line stands alone, and for csh when it cannot quote `dir`.
    pub fn own_file<'a>(
        self,
        dir: &Path,
        home: &Path,
        files: &'a Files,
    ) -> Option<(&'a Path, String)> {
        match self {
            Shell::Posix | Shell::Bash | Shell::Zsh => {
                Some((&files.env_script, scripts::env_script(dir, home)))
            }
            Shell::Tcsh => Some((&files.csh_script, scripts::csh_script(dir, home)?)),
            Shell::Fish => Some((&files.fish_conf, scripts::fish_script(dir, home))),
            Shell::Xonsh => Some((&files.xonsh_drop_in, scripts::xonsh_script(dir, home))),
            Shell::Nushell => Some((&files.nu_drop_in, scripts::nu_script(dir, home))),
            Shell::Elvish | Shell::Pwsh => None,
        }
    }

    /// The file wholly ours that this shell loads by itself from a folder it reads at
    /// startup, when it gets one (fish, xonsh, nushell), and the folder whose existence
    /// says the user has set the shell up.
    pub fn drop_in(self, files: &Files) -> Option<(&Path, &Path)> {
        let file = match self {
            Shell::Fish => &files.fish_conf,
            Shell::Xonsh => &files.xonsh_drop_in,
            Shell::Nushell => &files.nu_drop_in,
            Shell::Posix | Shell::Bash | Shell::Zsh | Shell::Tcsh | Shell::Elvish | Shell::Pwsh => {
                return None;
            }
        };
        // `<config>/<shell>/<folder>/caro.<ext>`: the shell's own configuration folder.
        let config = file.ancestors().nth(2).unwrap_or(file);
        Some((file, config))
    }

    /// Returns true if and only if this shell gets its drop-in: it exists already, the
    /// shell's configuration folder exists, or the shell is installed.
    pub fn wants_drop_in(self, files: &Files, probe: &dyn Probe) -> bool {
        self.drop_in(files).is_some_and(|(file, config)| {
            probe.exists(file) || probe.exists(config) || probe.has_program(self.name())
        })
    }
}

/// Where caro-install's own shell files live, and the single files elvish and PowerShell
/// read, all under `${XDG_CONFIG_HOME:-~/.config}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// The env script the sh family sources: `caro/env`.
    pub env_script: PathBuf,
    /// The env script tcsh and csh source: `caro/env.csh`.
    pub csh_script: PathBuf,
    /// fish's file: `fish/conf.d/caro.fish`.
    pub fish_conf: PathBuf,
    /// xonsh's file: `xonsh/rc.d/caro.xsh`.
    pub xonsh_drop_in: PathBuf,
    /// nushell's file: `nushell/autoload/caro.nu`.
    pub nu_drop_in: PathBuf,
    /// elvish's startup file, which gets a line: `elvish/rc.elv`.
    pub elvish_rc: PathBuf,
    /// PowerShell's profile for every host, which gets a line: `powershell/profile.ps1`
    /// (pwsh too looks under `XDG_CONFIG_HOME` when it is set).
    pub powershell_profile: PathBuf,
}

impl Files {
    /// The paths for `env`.
    pub fn new(env: &Env) -> Result<Files> {
        let config = env.xdg_config_home()?;
        Ok(Files {
            env_script: config.join("caro").join("env"),
            csh_script: config.join("caro").join("env.csh"),
            fish_conf: config.join("fish").join("conf.d").join("caro.fish"),
            xonsh_drop_in: config.join("xonsh").join("rc.d").join("caro.xsh"),
            nu_drop_in: config.join("nushell").join("autoload").join("caro.nu"),
            elvish_rc: config.join("elvish").join("rc.elv"),
            powershell_profile: config.join("powershell").join("profile.ps1"),
        })
    }

    /// Our own files (env scripts and drop-ins), which uninstall deletes.
    pub fn own(&self) -> [&PathBuf; 5] {
        [
            &self.env_script,
            &self.csh_script,
            &self.fish_conf,
            &self.xonsh_drop_in,
            &self.nu_drop_in,
        ]
    }
}

/// The startup files that get a line, each with the shell it serves:
/// - `~/.profile` always (created if missing);
/// - each existing `~/.bashrc`, `~/.bash_profile`, `~/.bash_login`, and a new `~/.bashrc`
///   when bash is installed and none exists;
/// - `$ZDOTDIR/.zshenv` (else `~/.zshenv`) when it exists or zsh is installed;
/// - an existing `~/.tcshrc`, else an existing `~/.cshrc`, else a new `~/.tcshrc` when
///   tcsh is installed;
/// - elvish's `rc.elv` and PowerShell's `profile.ps1` when they exist or the shell is
///   installed.
pub fn rc_files(env: &Env, probe: &dyn Probe) -> Result<Vec<(Shell, PathBuf)>> {
    let home = env.home()?;
    let files = Files::new(env)?;
    let mut found = vec![(Shell::Posix, home.join(".profile"))];
    let bash: Vec<PathBuf> = [".bashrc", ".bash_profile", ".bash_login"]
        .iter()
        .map(|name| home.join(name))
        .filter(|path| probe.exists(path))
        .collect();
    if bash.is_empty() {
        if probe.has_program("bash") {
            found.push((Shell::Bash, home.join(".bashrc")));
        }
    } else {
        found.extend(bash.into_iter().map(|path| (Shell::Bash, path)));
    }
    let zshenv = zsh_dir(env)?.join(".zshenv");
    if probe.exists(&zshenv) || probe.has_program("zsh") {
        found.push((Shell::Zsh, zshenv));
    }
    let tcshrc = home.join(".tcshrc");
    let cshrc = home.join(".cshrc");
    if probe.exists(&tcshrc) || (!probe.exists(&cshrc) && probe.has_program("tcsh")) {
        found.push((Shell::Tcsh, tcshrc));
    } else if probe.exists(&cshrc) {
        found.push((Shell::Tcsh, cshrc));
    }
    for (shell, path) in [
        (Shell::Elvish, files.elvish_rc),
        (Shell::Pwsh, files.powershell_profile),
    ] {
        if probe.exists(&path) || probe.has_program(shell.name()) {
            found.push((shell, path));
        }
    }
    Ok(found)
}

/// `$ZDOTDIR` when set, else `$HOME`.
fn zsh_dir(env: &Env) -> Result<PathBuf> {
    match env.var("ZDOTDIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(env.home()?.to_path_buf()),
    }
}

/// Every file caro-install may edit or write in `env`: the startup files of every shell
/// (zsh's `.zshenv` in `$ZDOTDIR` too), and our own files. A receipt naming any other file
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
        ".tcshrc",
        ".cshrc",
    ]
    .iter()
    .map(|name| home.join(name))
    .collect();
    if let Some(zdotdir) = env.var("ZDOTDIR") {
        paths.push(Path::new(zdotdir).join(".zshenv"));
    }
    paths.push(files.elvish_rc.clone());
    paths.push(files.powershell_profile.clone());
    paths.extend(files.own().into_iter().cloned());
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::HOME_VAR;
    use crate::shell::tests::{env, probe};

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

    #[test]
    fn tcshrc_first_then_cshrc_then_a_new_tcshrc_only_with_tcsh() {
        let tcsh = |files: &[&str], programs: &[&'static str]| {
            paths(rc_files(&env(), &probe(files, programs)).unwrap())[1..].to_vec()
        };
        let both = ["/home/u/.tcshrc", "/home/u/.cshrc"];
        assert_eq!(tcsh(&both, &[]), ["tcsh:/home/u/.tcshrc"]);
        assert_eq!(tcsh(&both[1..], &["tcsh"]), ["tcsh:/home/u/.cshrc"]);
        assert_eq!(tcsh(&[], &["tcsh"]), ["tcsh:/home/u/.tcshrc"]);
        assert!(tcsh(&[], &["csh"]).is_empty());
    }

    #[cfg(unix)] // the fake probe's paths are written with `/`
    #[test]
    fn elvish_and_powershell_get_a_line_when_installed_or_already_set_up() {
        let files = rc_files(&env(), &probe(&[], &["elvish", "pwsh"])).unwrap();
        assert_eq!(
            paths(files)[1..],
            [
                "elvish:/home/u/.config/elvish/rc.elv",
                "pwsh:/home/u/.config/powershell/profile.ps1"
            ]
        );
        let existing = ["/home/u/.config/powershell/profile.ps1"];
        let files = rc_files(&env(), &probe(&existing, &[])).unwrap();
        assert_eq!(
            paths(files)[1..],
            ["pwsh:/home/u/.config/powershell/profile.ps1"]
        );
        assert_eq!(rc_files(&env(), &probe(&[], &[])).unwrap().len(), 1);
    }

    #[cfg(unix)] // the fake probe's paths are written with `/`
    #[test]
    fn drop_ins_when_installed_or_the_config_folder_exists() {
        let files = Files::new(&env()).unwrap();
        let none = probe(&[], &[]);
        assert!(Shell::ALL.iter().all(|s| !s.wants_drop_in(&files, &none)));
        assert!(Shell::Nushell.wants_drop_in(&files, &probe(&[], &["nu"])));
        assert!(Shell::Xonsh.wants_drop_in(&files, &probe(&["/home/u/.config/xonsh"], &[])));
        assert!(!Shell::Xonsh.wants_drop_in(&files, &probe(&["/home/u/.config"], &[])));
        assert!(!Shell::Elvish.wants_drop_in(&files, &probe(&[], &["elvish"])));
    }
}
