//! The environment as a value.
//!
//! Every decision the installer makes depends on the user's environment: `HOME`, `PATH`,
//! the `CARO_*` variables of docs/variables.md, whether a terminal is attached. Reading
//! `std::env` deep inside the library would make those decisions impossible to test without
//! mutating the process environment (which races between tests), so the environment is read
//! once, at the edge, into an [`Env`], and passed down. Tests build their own with
//! [`Env::from_vars`].

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};

/// A snapshot of the variables, home directory and working directory the installer uses.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    path: Option<OsString>,
    home: Option<PathBuf>,
    current_dir: Option<PathBuf>,
}

impl Env {
    /// Reads the process environment once: every variable, `PATH` (kept as an `OsString`
    /// since it may not be UTF-8), the home directory and the working directory.
    pub fn from_process() -> Env {
        let vars = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        Env {
            vars,
            path: std::env::var_os("PATH"),
            home: dirs::home_dir(),
            current_dir: std::env::current_dir().ok(),
        }
    }

    /// Builds an environment from explicit variables, for tests and for embedding.
    /// `HOME` (or `USERPROFILE` on Windows) becomes the home directory and `PATH` the search path.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Env
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let home_var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
        Env {
            path: vars.get("PATH").map(OsString::from),
            home: vars
                .get(home_var)
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            current_dir: None,
            vars,
        }
    }

    /// Returns the value of a variable, treating an empty value as unset (as shells do for
    /// `${VAR:-default}`).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Returns true if and only if the variable is set to a truthy value
    /// (`1`, `true`, `yes` or `on`, in any case).
    pub fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|value| {
            matches!(
                value.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
    }

    /// The user's home directory, or an error that says how to set it.
    pub fn home(&self) -> Result<&Path> {
        self.home.as_deref().ok_or(Error::NoHome)
    }

    /// The working directory, used to make relative paths given by the user absolute.
    pub fn current_dir(&self) -> Option<&Path> {
        self.current_dir.as_deref()
    }

    /// The directories of `PATH`, in order, with empty entries dropped.
    pub fn path_dirs(&self) -> Vec<PathBuf> {
        match &self.path {
            Some(path) => std::env::split_paths(path)
                .filter(|dir| !dir.as_os_str().is_empty())
                .collect(),
            None => Vec::new(),
        }
    }

    /// The raw `PATH` value, for child processes.
    pub fn path_var(&self) -> Option<&OsString> {
        self.path.as_ref()
    }

    /// Where caro's configuration and receipt live: `${XDG_CONFIG_HOME:-~/.config}/caro` on
    /// Unix, `%LOCALAPPDATA%\caro` on Windows.
    pub fn caro_config_dir(&self) -> Result<PathBuf> {
        if cfg!(windows) {
            return Ok(self.local_app_data()?.join("caro"));
        }
        Ok(self.xdg_config_home()?.join("caro"))
    }

    /// `$XDG_CONFIG_HOME` when set to an absolute path, else `~/.config` (the XDG rule: a
    /// relative value is ignored).
    pub fn xdg_config_home(&self) -> Result<PathBuf> {
        match self.var("XDG_CONFIG_HOME").map(PathBuf::from) {
            Some(dir) if dir.is_absolute() => Ok(dir),
            _ => Ok(self.home()?.join(".config")),
        }
    }

    /// `%LOCALAPPDATA%`, falling back to `~\AppData\Local`.
    pub fn local_app_data(&self) -> Result<PathBuf> {
        match self.var("LOCALAPPDATA") {
            Some(dir) => Ok(PathBuf::from(dir)),
            None => Ok(self.home()?.join("AppData").join("Local")),
        }
    }

    /// Where caro goes when no directory is asked for: `~/.local/bin`, or
    /// `%LOCALAPPDATA%\caro\bin` on Windows. Install, uninstall and status all start here.
    pub fn default_install_dir(&self) -> Result<PathBuf> {
        if cfg!(windows) {
            return Ok(self.local_app_data()?.join("caro").join("bin"));
        }
        Ok(self.home()?.join(".local").join("bin"))
    }

    /// Where caro looks for its models: `<cache dir>/caro/models` (`dirs::cache_dir()`: Linux
    /// `${XDG_CACHE_HOME:-~/.cache}`, macOS `~/Library/Caches`, Windows `%LOCALAPPDATA%`).
    pub fn models_dir(&self) -> Result<PathBuf> {
        let cache = if cfg!(windows) {
            self.local_app_data()?
        } else if cfg!(target_os = "macos") {
            self.home()?.join("Library").join("Caches")
        } else {
            match self.var("XDG_CACHE_HOME").map(PathBuf::from) {
                Some(dir) if dir.is_absolute() => dir,
                _ => self.home()?.join(".cache"),
            }
        };
        Ok(cache.join("caro").join("models"))
    }

    /// Where the licences and notices go: `<data dir>/caro/licenses` (`dirs::data_dir()`:
    /// Linux `${XDG_DATA_HOME:-~/.local/share}`, macOS `~/Library/Application Support`,
    /// Windows `%APPDATA%`).
    pub fn licenses_dir(&self) -> Result<PathBuf> {
        let data = if cfg!(windows) {
            match self.var("APPDATA") {
                Some(dir) => PathBuf::from(dir),
                None => self.home()?.join("AppData").join("Roaming"),
            }
        } else if cfg!(target_os = "macos") {
            self.home()?.join("Library").join("Application Support")
        } else {
            match self.var("XDG_DATA_HOME").map(PathBuf::from) {
                Some(dir) if dir.is_absolute() => dir,
                _ => self.home()?.join(".local").join("share"),
            }
        };
        Ok(data.join("caro").join("licenses"))
    }

    /// The GitHub token to send to the API and base hosts: `CARO_GITHUB_TOKEN`, then
    /// `GITHUB_TOKEN`.
    pub fn github_token(&self) -> Option<&str> {
        self.var("CARO_GITHUB_TOKEN")
            .or_else(|| self.var("GITHUB_TOKEN"))
    }

    /// Makes a user-supplied path absolute against the working directory, so that what is
    /// printed and written to the receipt does not depend on where the command ran.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        match self.current_dir() {
            Some(cwd) if path.is_relative() => cwd.join(path),
            _ => path.to_path_buf(),
        }
    }
}

/// How a variable's value is checked before anything uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Whole seconds, from 1 to 3600 (`MAX_SECONDS`): a larger value would overflow a deadline.
    Seconds,
    /// A GitHub repository, `owner/name`: one `/`, letters, digits, `.`, `_` and `-`, no
    /// part that is only dots.
    Repository,
}

/// The longest duration a variable may give: an hour without progress is already a
/// transfer no one is waiting for.
pub const MAX_SECONDS: u64 = 3600;

/// Every variable whose value is checked at the edge, and how: the same table install.sh
/// and install.ps1 apply (docs/security.md, "Values"; tests/bootstrap checks each row).
pub const CHECKED_VARIABLES: &[(&str, Check)] = &[
    ("CARO_HTTP_TIMEOUT", Check::Seconds),
    ("CARO_INSTALL_REPO", Check::Repository),
    ("CARO_INSTALLER_REPO", Check::Repository),
];

impl Env {
    /// Checks every variable of [`CHECKED_VARIABLES`] that is set; the first bad one is an
    /// [`Error::InvalidVariable`] naming it (exit status 2 in the binary). Everything that
    /// makes a request checks this first ([`crate::Http::from_env`]).
    pub fn check_values(&self) -> Result<()> {
        for &(name, check) in CHECKED_VARIABLES {
            let Some(value) = self.var(name) else {
                continue;
            };
            let checked = match check {
                Check::Seconds => parse_seconds(value).map(|_| ()),
                Check::Repository => check_repository(value),
            };
            checked.map_err(|expected| Error::InvalidVariable {
                name,
                value: value.to_string(),
                expected,
            })?;
        }
        Ok(())
    }

    /// The duration `name` gives in seconds, checked as [`Check::Seconds`], or `default`.
    pub fn seconds(&self, name: &'static str, default: Duration) -> Result<Duration> {
        match self.var(name) {
            None => Ok(default),
            Some(value) => parse_seconds(value).map_err(|expected| Error::InvalidVariable {
                name,
                value: value.to_string(),
                expected,
            }),
        }
    }

    /// The repository `name` gives, checked as [`Check::Repository`], or `default`.
    pub fn repository<'a>(&'a self, name: &'static str, default: &'a str) -> Result<&'a str> {
        match self.var(name) {
            None => Ok(default),
            Some(value) => {
                check_repository(value)
                    .map(|()| value)
                    .map_err(|expected| Error::InvalidVariable {
                        name,
                        value: value.to_string(),
                        expected,
                    })
            }
        }
    }
}

impl Env {
    /// Refuses to go on as root when the home directory belongs to another user (`sudo`
    /// keeping `HOME`): everything written there would be left owned by root, and that
    /// user could no longer edit their own startup files. Called by everything that
    /// writes to the home directory: install (unless unmanaged), update, uninstall.
    pub fn check_home_owner(&self) -> Result<()> {
        let home = self.home()?;
        match home_owner_if_foreign(home) {
            Some(owner) => Err(Error::ForeignHome {
                home: home.to_path_buf(),
                owner,
            }),
            None => Ok(()),
        }
    }
}

/// The owner of `home` when this process runs as root and another user owns it; `None`
/// elsewhere (Windows has no such case: a home folder is its user's).
fn home_owner_if_foreign(home: &Path) -> Option<u32> {
    #[cfg(unix)]
    fn imp(home: &Path) -> Option<u32> {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        let owner = std::fs::metadata(home).ok()?.uid();
        foreign_home_owner(me, owner)
    }
    #[cfg(not(unix))]
    fn imp(_home: &Path) -> Option<u32> {
        None
    }
    imp(home)
}

/// The owner of a home directory that root must not write to: `Some(owner)` when running
/// as root (`me` is 0) and the home belongs to another user, else `None` (a user in their
/// own home, or root in root's).
#[cfg(any(unix, test))]
pub fn foreign_home_owner(me: u32, owner: u32) -> Option<u32> {
    (me == 0 && owner != 0).then_some(owner)
}

/// Parses whole seconds from 1 to [`MAX_SECONDS`]; the error says what was expected.
pub fn parse_seconds(text: &str) -> std::result::Result<Duration, &'static str> {
    const EXPECTED: &str = "a whole number of seconds from 1 to 3600";
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EXPECTED);
    }
    match text.parse::<u64>() {
        Ok(seconds @ 1..=MAX_SECONDS) => Ok(Duration::from_secs(seconds)),
        _ => Err(EXPECTED),
    }
}

/// Checks that `text` is `owner/name` as install.sh and install.ps1 check it: exactly one
/// `/`, both parts made of ASCII letters, digits, `.`, `_` and `-`, neither part `.`, and
/// no `..` anywhere, so the value can never step out of `B/owner/name/` in a URL.
pub fn check_repository(text: &str) -> std::result::Result<(), &'static str> {
    const EXPECTED: &str =
        "an `owner/name` repository (letters, digits, `.`, `_` and `-`, no `..`)";
    let allowed = |part: &str| {
        !part.is_empty()
            && part != "."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    match text.split_once('/') {
        Some((owner, name)) if allowed(owner) && allowed(name) && !text.contains("..") => Ok(()),
        _ => Err(EXPECTED),
    }
}

/// The variable [`Env::from_vars`] takes the home directory from on this OS, for tests
/// that build an environment with a home in it.
#[cfg(test)]
pub(crate) const HOME_VAR: &str = if cfg!(windows) { "USERPROFILE" } else { "HOME" };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_variable_counts_as_unset() {
        let env = Env::from_vars([("CARO_INSTALL_DIR", "")]);
        assert_eq!(env.var("CARO_INSTALL_DIR"), None);
    }

    #[test]
    fn flag_accepts_common_truthy_spellings() {
        for value in ["1", "true", "YES", "on"] {
            assert!(Env::from_vars([("X", value)]).flag("X"), "{value}");
        }
        for value in ["0", "false", "", "no"] {
            assert!(!Env::from_vars([("X", value)]).flag("X"), "{value}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn relative_xdg_config_home_is_ignored() {
        let env = Env::from_vars([("HOME", "/home/u"), ("XDG_CONFIG_HOME", "rel/dir")]);
        assert_eq!(
            env.caro_config_dir().unwrap(),
            PathBuf::from("/home/u/.config/caro")
        );
        let env = Env::from_vars([("HOME", "/home/u"), ("XDG_CONFIG_HOME", "/x")]);
        assert_eq!(env.caro_config_dir().unwrap(), PathBuf::from("/x/caro"));
    }

    #[test]
    fn seconds_are_whole_and_capped() {
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_seconds("3600"), Ok(Duration::from_secs(3600)));
        for bad in [
            "0",
            "3601",
            "18446744073709551615",
            "99999999999999999999999",
            "-1",
            " 5",
            "1.5",
            "5s",
            "",
        ] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repositories_look_like_owner_slash_name() {
        for good in ["wildcard/caro", "my-org/caro_fork", "a.b/c.d", "o/.github"] {
            assert_eq!(check_repository(good), Ok(()), "{good}");
        }
        for bad in [
            "caro",
            "a/b/c",
            "/a/b",
            "a/b/",
            "a/",
            "/b",
            "../x",
            "a/..",
            "a/b..c",
            "./x",
            "a/.",
            "a/b c",
            "a/b?x",
            "a/b#x",
            "a/b%2e",
            "a\\b",
            "a/b\u{1b}",
        ] {
            assert!(check_repository(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_checked_variable_is_checked() {
        for &(name, _) in CHECKED_VARIABLES {
            let env = Env::from_vars([(name, "../../x")]);
            let error = env.check_values().unwrap_err();
            assert!(matches!(error, Error::InvalidVariable { name: n, .. } if n == name));
        }
        assert!(Env::default().check_values().is_ok());
    }

    #[test]
    fn only_root_in_another_users_home_is_refused() {
        assert_eq!(foreign_home_owner(0, 1000), Some(1000));
        assert_eq!(foreign_home_owner(0, 0), None);
        assert_eq!(foreign_home_owner(1000, 1000), None);
        // Another user's home as a normal user: the file system already says no.
        assert_eq!(foreign_home_owner(1000, 1001), None);
    }

    #[test]
    fn caro_token_wins_over_github_token() {
        let env = Env::from_vars([("GITHUB_TOKEN", "b"), ("CARO_GITHUB_TOKEN", "a")]);
        assert_eq!(env.github_token(), Some("a"));
        let env = Env::from_vars([("GITHUB_TOKEN", "b")]);
        assert_eq!(env.github_token(), Some("b"));
    }

    #[cfg(unix)]
    #[test]
    fn path_dirs_skips_empty_entries() {
        let env = Env::from_vars([("PATH", "/a::/b:")]);
        assert_eq!(
            env.path_dirs(),
            vec![PathBuf::from("/a"), PathBuf::from("/b")]
        );
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn model_and_licence_folders_follow_xdg() {
        let env = Env::from_vars([("HOME", "/h"), ("XDG_CACHE_HOME", "/c")]);
        assert_eq!(env.models_dir().unwrap(), Path::new("/c/caro/models"));
        assert_eq!(
            env.licenses_dir().unwrap(),
            Path::new("/h/.local/share/caro/licenses")
        );
        let env = Env::from_vars([("HOME", "/h"), ("XDG_CACHE_HOME", "relative")]);
        assert_eq!(
            env.models_dir().unwrap(),
            Path::new("/h/.cache/caro/models")
        );
    }
}
