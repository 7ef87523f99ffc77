//! Keeping caro and caro-install current: `caro-install update`, `caro-install self-update`,
//! and the [`SelfUpdate`] API that caro links for `caro self-update`.
//!
//! All three are one operation: find the binary to replace and its platform (from the
//! receipt when there is one), resolve the target version, decide with semver rules whether
//! anything needs doing, then download and verify the new build *beside* the old one, run
//! it once (`--version`, or `-V` for caro-install) to prove it starts, and swap it in
//! atomically under the directory lock. A binary some package manager owns (cargo,
//! Homebrew, npm, the system's) is left to that manager, with its upgrade command.
//!
//! ```no_run
//! // In caro's `self-update` command (caro depends on caro-install with
//! // `default-features = false`):
//! let outcome = caro_install::SelfUpdate::new("caro", "1.0.3")
//!     .version(None) // Some("1.2.0") pins a version; None means latest
//!     .check_only(false)
//!     .run()?;
//! println!("{outcome}"); // "caro 1.1.0 is up to date" / "updated caro 1.0.3 -> 1.1.0"
//! # Ok::<(), caro_install::Error>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::download::Http;
use crate::env::Env;
use crate::error::{Error, Invocation, Result};
use crate::files::{self, DirLock};
use crate::install::fetch::{self, VerifiedAsset, Wanted};
use crate::install::plan;
use crate::platform::{self, Choice, Facts};
use crate::receipt::{self, Receipt};
use crate::release::{self, ReleaseSource, Version, VersionRequest};
use crate::report::{Reporter, Silent};
use crate::signature;

/// What an update found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateOutcome {
    /// Nothing to do: the installed version is the target (or newer than `latest`).
    UpToDate {
        /// The program.
        app: String,
        /// Its installed version.
        version: Version,
    },
    /// `check_only`: a different version would be installed.
    Available {
        /// The program.
        app: String,
        /// The installed version.
        current: Version,
        /// The version an update would install.
        target: Version,
    },
    /// The binary was replaced.
    Updated {
        /// The program.
        app: String,
        /// The version replaced.
        from: Version,
        /// The version installed.
        to: Version,
        /// The binary's path.
        path: PathBuf,
    },
}

impl UpdateOutcome {
    /// Returns true if and only if the binary was replaced.
    pub fn is_updated(&self) -> bool {
        matches!(self, UpdateOutcome::Updated { .. })
    }

    /// The version the program is at after this (up to date, or updated), or would be at
    /// (available).
    pub fn target(&self) -> &Version {
        match self {
            UpdateOutcome::UpToDate { version, .. } => version,
            UpdateOutcome::Available { target, .. } => target,
            UpdateOutcome::Updated { to, .. } => to,
        }
    }
}

impl fmt::Display for UpdateOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateOutcome::UpToDate { app, version } => write!(f, "{app} {version} is up to date"),
            UpdateOutcome::Available {
                app,
                current,
                target,
            } if target < current => {
                write!(
                    f,
                    "{app} {target} is available as a downgrade (installed: {current})"
                )
            }
            UpdateOutcome::Available {
                app,
                current,
                target,
            } => {
                write!(f, "{app} {target} is available (installed: {current})")
            }
            UpdateOutcome::Updated {
                app,
                from,
                to,
                path,
            } => {
                write!(f, "updated {app} {from} -> {to} at {}", path.display())
            }
        }
    }
}

/// Whether moving from `current` to `target` is something to do. A lower version happens
/// only when it was named explicitly; `latest` older than what is installed (a pre-release
/// ahead of the last release) means up to date.
pub fn needs_update(current: &Version, target: &Version, explicit: bool) -> bool {
    if release::is_newer(target, current) {
        return true;
    }
    explicit && target != current
}

/// A package manager that owns a binary, and so must be the one to update it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// `cargo install` (`~/.cargo/bin`).
    Cargo,
    /// Homebrew (`Cellar`).
    Homebrew,
    /// npm (`node_modules`).
    Npm,
    /// The system's package manager (`/usr/bin` and friends).
    System,
    /// A NuGet package (`tools/caro.exe` in a package folder).
    NuGet,
    /// A container image (`/usr/local/bin` inside Docker or Podman).
    Container,
}

impl Manager {
    /// The command that updates `app` through this manager.
    pub fn upgrade_command(self, app: &str) -> String {
        match self {
            Manager::Cargo => format!("cargo install {app} --force --locked"),
            Manager::Homebrew => format!("brew upgrade {app}"),
            Manager::Npm => format!("npm update -g {app}"),
            Manager::System => {
                format!("your package manager (for example `sudo apt upgrade {app}`)")
            }
            Manager::NuGet => format!("Update-Package {app}"),
            Manager::Container => {
                "a newer image (`docker pull` the image this container runs, then recreate it)"
                    .to_string()
            }
        }
    }

    /// The command that updates `app` through this manager when its binary is at `path`
    /// (resolved through symlinks). For npm the path tells how it was installed, and the
    /// command names the npm package ([`npm_package`], scoped where it is): a global
    /// install (`{prefix}/lib/node_modules`, Windows `%APPDATA%\npm\node_modules`), an npx
    /// cache (`_npx`), or a project's `node_modules`.
    pub fn upgrade_command_at(self, app: &str, path: &Path) -> String {
        if self != Manager::Npm {
            return self.upgrade_command(app);
        }
        let package = npm_package(app);
        let parts: Vec<String> = path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let first = parts.iter().position(|p| p == "node_modules");
        if parts.iter().any(|p| p == "_npx") {
            format!("npx {package}@latest")
        } else if first.is_some_and(|i| i > 0 && matches!(parts[i - 1].as_str(), "lib" | "npm")) {
            self.upgrade_command(&package)
        } else {
            format!("npm update {package} (in the project that depends on it)")
        }
    }

    /// The manager's name.
    pub fn name(self) -> &'static str {
        match self {
            Manager::Cargo => "cargo",
            Manager::Homebrew => "Homebrew",
            Manager::Npm => "npm",
            Manager::System => "the system's package manager",
            Manager::NuGet => "NuGet",
            Manager::Container => "its container image",
        }
    }
}

/// The npm package that ships `app`: caro's is scoped (`@wildcard/caro`), caro-install's is
/// not, so that `npx caro-install` runs it. Any other program keeps its own name.
pub fn npm_package(app: &str) -> String {
    match app {
        "caro" => "@wildcard/caro".to_string(),
        other => other.to_string(),
    }
}

/// Which package manager owns the binary at `path` (already resolved through symlinks),
/// if any, when running inside a container (`in_container`, from `/.dockerenv` or
/// `/run/.containerenv`) or not: a binary in `/usr/local/bin` of an image belongs to the
/// image, and replacing it would be lost with the container.
pub fn managed_by_in(
    path: &Path,
    receipt_dir: Option<&Path>,
    in_container: bool,
) -> Option<Manager> {
    let ours = receipt_dir.is_some_and(|receipt_dir| path.parent() == Some(receipt_dir));
    if in_container && !ours && path.starts_with("/usr/local/bin") {
        return Some(Manager::Container);
    }
    managed_by(path, receipt_dir)
}

/// Returns true if and only if this process runs inside a Docker or Podman container.
pub fn in_container() -> bool {
    cfg!(target_os = "linux")
        && (Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists())
}

/// Which package manager owns the binary at `path` (already resolved through symlinks),
/// if any. A binary in `~/.cargo/bin` is ours when our receipt installed it there
/// (`receipt_dir`).
pub fn managed_by(path: &Path, receipt_dir: Option<&Path>) -> Option<Manager> {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let dir = path.parent();
    let ours = receipt_dir.is_some_and(|receipt_dir| dir == Some(receipt_dir));
    if parts.iter().any(|p| p == "Cellar") {
        return Some(Manager::Homebrew);
    }
    if parts.iter().any(|p| p == "node_modules") {
        return Some(Manager::Npm);
    }
    // NuGet: `packages/caro.1.0.2/tools/caro.exe` or `.nuget/packages/caro/1.0.2/tools/`.
    let in_tools = parts.len() >= 3 && parts[parts.len() - 2].eq_ignore_ascii_case("tools");
    let package_folder = parts.iter().any(|p| p.eq_ignore_ascii_case(".nuget"))
        || parts.iter().any(|p| p.eq_ignore_ascii_case("packages"));
    if in_tools && package_folder {
        return Some(Manager::NuGet);
    }
    if parts.windows(2).any(|w| w[0] == ".cargo" && w[1] == "bin") && !ours {
        return Some(Manager::Cargo);
    }
    let system = [
        "/usr/bin",
        "/usr/sbin",
        "/bin",
        "/sbin",
        "/usr/lib",
        "/usr/libexec",
        "/nix/store",
        "/snap",
    ];
    if !ours && system.iter().any(|prefix| path.starts_with(prefix)) {
        return Some(Manager::System);
    }
    None
}

/// The `caro-install update` request.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    /// `--version`; `None` is latest.
    pub version: Option<VersionRequest>,
    /// `--check`.
    pub check_only: bool,
    /// `--require-signature`.
    pub require_signature: bool,
}

/// `caro-install update`: moves the caro of the receipt to latest or to the requested version,
/// in the same directory, for the same platform, never touching shell files.
pub fn update_caro(
    request: &UpdateRequest,
    env: &Env,
    http: &mut Http,
    reporter: &dyn Reporter,
) -> Result<UpdateOutcome> {
    let receipt_path = receipt::receipt_path(env)?;
    let Some(receipt) = Receipt::load(&receipt_path)? else {
        // No receipt: a caro on PATH that npm (or another manager) owns is theirs to update.
        if let Some(error) = managed_caro_on_path(env) {
            return Err(error);
        }
        return Err(Error::NoReceipt { path: receipt_path });
    };
    let current = Version::parse(&receipt.version).map_err(|e| Error::InvalidVersion {
        input: receipt.version.clone(),
        reason: format!(
            "the receipt `{}` holds no valid version ({e})",
            receipt_path.display()
        ),
    })?;
    let platform = match receipt.platform.as_deref() {
        Some(key) => Choice::forced(key.parse()?, "the receipt"),
        None => platform::choose(&Facts::detect())?,
    };
    // The receipt is a file the user (or anyone with their rights) can edit: update only
    // replaces a caro that is already where the receipt says, never writes a new file.
    let binary = receipt
        .install_prefix
        .join(platform::executable_name("caro", platform.platform));
    if !receipt.install_prefix.is_absolute() || !binary.is_file() {
        return Err(Error::NotInstalledThere {
            receipt: receipt_path,
            binary,
        });
    }
    let target = Target {
        app: "caro".to_string(),
        source: ReleaseSource::caro(env),
        binary,
        platform,
        current,
        signatures: signature::Policy::from_env(env, request.require_signature)?,
        receipt: Some((receipt_path, receipt)),
    };
    target.update(request, http, reporter)
}

/// The first `caro` on `PATH`, resolved through symlinks (npm's `bin/caro` links into
/// `node_modules`), as a [`Error::ManagedElsewhere`] when a package manager owns it.
fn managed_caro_on_path(env: &Env) -> Option<Error> {
    let name = platform::local_executable_name("caro");
    let found = env
        .path_dirs()
        .into_iter()
        .map(|dir| dir.join(&name))
        .find(|path| path.is_file())?;
    let binary = std::fs::canonicalize(&found).unwrap_or(found);
    let manager = managed_by(&binary, None)?;
    Some(Error::ManagedElsewhere {
        app: "caro".to_string(),
        command: manager.upgrade_command_at("caro", &binary),
        path: binary,
        manager: manager.name(),
    })
}

/// Writes the new version and asset into the receipt, keeping everything else (directory,
/// platform, `modify_path`, PATH edits, unknown fields).
fn record_update(
    path: &Path,
    mut receipt: Receipt,
    version: &Version,
    asset: &VerifiedAsset,
    reporter: &dyn Reporter,
) -> Result<()> {
    receipt.version = version.to_string();
    receipt.asset_url = Some(asset.url.clone());
    receipt.sha256 = Some(asset.sha256.to_string());
    receipt.platform = Some(asset.platform.key().to_string());
    receipt.installed_at = Some(receipt::rfc3339(std::time::SystemTime::now()));
    receipt.save(path)?;
    reporter.detail(&format!("updated {}", path.display()));
    Ok(())
}

/// `caro-install self-update`: the same for the running caro-install.
pub fn update_installer(
    request: &UpdateRequest,
    env: &Env,
    http: &mut Http,
    reporter: &dyn Reporter,
) -> Result<UpdateOutcome> {
    let current = Version::parse(env!("CARGO_PKG_VERSION")).expect("the crate version is semver");
    update_running("caro-install", current, request, env, http, reporter)
}

/// Updates the running executable of `app` (`caro` through [`SelfUpdate`], or
/// caro-install itself).
fn update_running(
    app: &str,
    current: Version,
    request: &UpdateRequest,
    env: &Env,
    http: &mut Http,
    reporter: &dyn Reporter,
) -> Result<UpdateOutcome> {
    let source = if app == "caro-install" {
        ReleaseSource::installer(env)
    } else {
        ReleaseSource::caro(env)
    };
    let executable = std::env::current_exe()
        .map_err(Error::file("find the running executable", app.to_string()))?;
    let signatures = signature::Policy::from_env(env, request.require_signature)?;
    running_target(app, source, executable, current, env, signatures)?
        .update(request, http, reporter)
}

/// What is being updated: which program, from where, which file, for which platform.
struct Target {
    app: String,
    source: ReleaseSource,
    binary: PathBuf,
    platform: Choice,
    current: Version,
    signatures: signature::Policy,
    /// The receipt (and its path) to record a replacement in: set when the binary is the
    /// caro the receipt installed.
    receipt: Option<(PathBuf, Receipt)>,
}

/// The target for a running program: refuses binaries a package manager owns, and a
/// binary other than the one the receipt installed.
fn running_target(
    app: &str,
    source: ReleaseSource,
    executable: PathBuf,
    current: Version,
    env: &Env,
    signatures: signature::Policy,
) -> Result<Target> {
    let binary = files::canonicalize(&executable).unwrap_or(executable);
    let receipt_path = receipt::receipt_path(env)?;
    let receipt = Receipt::load(&receipt_path).ok().flatten();
    let receipt_dir = receipt.as_ref().map(|r| {
        files::canonicalize(&r.install_prefix).unwrap_or_else(|_| r.install_prefix.clone())
    });
    if let Some(manager) = managed_by_in(&binary, receipt_dir.as_deref(), in_container()) {
        return Err(Error::ManagedElsewhere {
            app: app.to_string(),
            command: manager.upgrade_command_at(app, &binary),
            path: binary,
            manager: manager.name(),
        });
    }
    let listed = receipt
        .as_ref()
        .is_some_and(|r| r.binaries.iter().any(|b| b == app));
    if let Some(receipt_dir) = receipt_dir
        .as_ref()
        .filter(|dir| listed && binary.parent() != Some(dir.as_path()))
    {
        return Err(Error::NotTheInstalledCopy {
            app: app.to_string(),
            running: binary,
            installed: receipt_dir.join(platform::local_executable_name(app)),
        });
    }
    // caro keeps the platform it was installed for (`--platform` may have chosen it);
    // caro-install is one build per machine, so it is detected.
    let platform = match receipt.as_ref().and_then(|r| r.platform.as_deref()) {
        Some(key) if app != "caro-install" => Choice::forced(key.parse()?, "the receipt"),
        _ => platform::choose(&Facts::detect())?,
    };
    let installed_here = receipt_dir.is_some() && binary.parent() == receipt_dir.as_deref();
    Ok(Target {
        app: app.to_string(),
        source,
        binary,
        platform,
        current,
        signatures,
        receipt: receipt
            .filter(|_| app == "caro" && installed_here)
            .map(|receipt| (receipt_path, receipt)),
    })
}

impl Target {
    /// Updates the binary (and the receipt, when it tracks it).
    fn update(
        self,
        request: &UpdateRequest,
        http: &mut Http,
        reporter: &dyn Reporter,
    ) -> Result<UpdateOutcome> {
        http.trust_token_hosts(&self.source);
        let dir = self.binary.parent().unwrap_or(Path::new("."));
        if !request.check_only {
            files::tidy(dir, reporter);
        }
        let explicit = request.version.is_some();
        let requested = request.version.clone().unwrap_or(VersionRequest::Latest);
        let (target, _) = plan::resolve_version(&requested, &self.source, http, reporter)?;
        if !needs_update(&self.current, &target, explicit) {
            return Ok(UpdateOutcome::UpToDate {
                app: self.app,
                version: self.current,
            });
        }
        let wanted = Wanted {
            name: &self.app,
            source: &self.source,
            version: &target,
            choice: &self.platform,
            dir,
            signatures: &self.signatures,
        };
        if request.check_only {
            // "Available" is a promise that an update would find a verifiable build.
            let url = fetch::find_published(&wanted, http, reporter)
                .map_err(|e| fetch::not_built_yet(e, &requested, &wanted, http, reporter))?;
            reporter.detail(&format!("{url} and its .sha256 are published"));
            return Ok(UpdateOutcome::Available {
                app: self.app,
                current: self.current,
                target,
            });
        }
        files::check_install_dir(dir, reporter)?;
        let _lock = DirLock::acquire(dir, files::lock_wait(http.stall()), reporter)?;
        files::remove_leftovers(dir, reporter);
        let (mut new, asset) = fetch::fetch_verified(&wanted, http, reporter)
            .map_err(|e| fetch::not_built_yet(e, &requested, &wanted, http, reporter))?;
        // Said once the new build is here and verified, not before a lookup that may fail.
        reporter.info(&format!(
            "updating {} {} -> {target}",
            self.app, self.current
        ));
        new.make_executable()?;
        new.check_unchanged()?;
        self.check_starts(new.path(), &target, reporter)?;
        new.replace_running(&self.binary, reporter)?;
        reporter.detail(&format!(
            "verified and placed {} from {}",
            self.binary.display(),
            asset.url
        ));
        if let Some((path, receipt)) = self.receipt {
            record_update(&path, receipt, &target, &asset, reporter)?;
        }
        Ok(UpdateOutcome::Updated {
            app: self.app,
            from: self.current,
            to: target,
            path: self.binary,
        })
    }

    /// Runs the new binary once with its version flag; it must start and exit 0 within
    /// [`SANITY_RUN_SECONDS`]. Its output is read up to [`SANITY_RUN_BYTES`] (the rest is
    /// discarded as it comes, so endless output costs nothing), and it runs without the
    /// GitHub token: a build not yet trusted gets no secrets.
    fn check_starts(&self, path: &Path, target: &Version, reporter: &dyn Reporter) -> Result<()> {
        let flag = if self.app == "caro-install" {
            "-V"
        } else {
            "--version"
        };
        let failed = |detail: String| Error::SanityCheck {
            path: path.to_path_buf(),
            detail,
        };
        let mut command = Command::new(path);
        command
            .arg(flag)
            .env_remove("CARO_GITHUB_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        // In a host with other threads (caro's runtime), one that forks while the new build
        // was still open for writing keeps it open until its exec: "text file busy" for a
        // moment. That, and only that, is tried again, for at most a second.
        let mut busy = 0;
        let mut child = loop {
            match command.spawn() {
                Err(e) if e.raw_os_error() == Some(TEXT_FILE_BUSY) && busy < 50 => {
                    busy += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                result => {
                    break result
                        .map_err(|source| failed(format!("it could not be started: {source}")))?;
                }
            }
        };
        // The reader is never joined: a process the build left behind may hold its output
        // open, and waiting for that would be the unbounded wait this avoids.
        let stdout = child.stdout.take();
        let (send, output) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            if let Some(mut stdout) = stdout {
                use std::io::Read;
                let _ = (&mut stdout).take(SANITY_RUN_BYTES).read_to_end(&mut kept);
                let _ = send.send(kept);
                let _ = std::io::copy(&mut stdout, &mut std::io::sink());
            }
        });
        let deadline = Instant::now() + Duration::from_secs(SANITY_RUN_SECONDS);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(failed(format!(
                        "`{flag}` did not exit within {SANITY_RUN_SECONDS} s"
                    )));
                }
                Err(source) => return Err(failed(format!("waiting for it failed: {source}"))),
            }
        };
        let output = output
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_default();
        if !status.success() {
            return Err(failed(format!("`{flag}` exited with {status}")));
        }
        let said = String::from_utf8_lossy(&output);
        let said = said.trim();
        reporter.detail(&format!("the new build says: {said}"));
        // A build that reports another version would be "updated" again on every run.
        if !reports_version(said, target) {
            return Err(failed(format!(
                "`{flag}` printed `{}`, not version {target}: the release's build does not \
                 match its tag",
                said.lines().next().unwrap_or("")
            )));
        }
        Ok(())
    }
}

/// Returns true if and only if `output` (of `--version`) names `version` as a word of its
/// own (`caro 1.1.0`, `caro v1.1.0 (abc123)`; not `1.1.01`).
pub fn reports_version(output: &str, version: &Version) -> bool {
    let wanted = version.to_string();
    output
        .split(|c: char| c.is_whitespace() || "()[],;\"'".contains(c))
        .any(|word| word.trim_start_matches(['v', 'V']) == wanted)
}

/// ETXTBSY, "text file busy", on Linux and the BSDs alike.
const TEXT_FILE_BUSY: i32 = 26;

/// How long the new build's start-up check may run.
pub const SANITY_RUN_SECONDS: u64 = 10;

/// How much of the start-up check's output is kept.
pub const SANITY_RUN_BYTES: u64 = 64 * 1024;

/// `caro self-update` as a library call: caro (or any program released the same way) updates
/// the running binary. Reads the same environment variables as `caro-install`; prints
/// nothing unless given a [`Reporter`]. Its errors speak the host's language: every help
/// names the host's command ([`SelfUpdate::command`], `caro self-update` by default), never
/// caro-install's flags, and is part of the error's `Display`.
///
/// ```no_run
/// let version: Option<String> = None; // what clap gives for an optional argument
/// let outcome = caro_install::SelfUpdate::new("caro", "1.0.3")
///     .command("caro self-update")
///     .version(version.as_deref())
///     .check_only(true)
///     .run()?;
/// if !outcome.is_updated() {
///     println!("{outcome}"); // "caro 1.1.0 is available (installed: 1.0.3)"
/// }
/// # Ok::<(), caro_install::Error>(())
/// ```
pub struct SelfUpdate {
    app: String,
    current: String,
    version: Option<String>,
    command: Option<String>,
    check_only: bool,
    require_signature: bool,
    env: Option<Env>,
    reporter: Box<dyn Reporter>,
}

impl fmt::Debug for SelfUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelfUpdate")
            .field("app", &self.app)
            .field("current", &self.current)
            .field("version", &self.version)
            .field("check_only", &self.check_only)
            .finish_non_exhaustive()
    }
}

impl SelfUpdate {
    /// An update of the running `app` (`caro`), currently at `current_version`
    /// (`env!("CARGO_PKG_VERSION")`), to the latest release.
    pub fn new(app: &str, current_version: &str) -> SelfUpdate {
        SelfUpdate {
            app: app.to_string(),
            current: current_version.to_string(),
            version: None,
            command: None,
            check_only: false,
            require_signature: false,
            env: None,
            reporter: Box::new(Silent),
        }
    }

    /// Pins the version to move to (`Some("1.2.0")`, `v` prefix accepted); `None` means
    /// latest. A pinned lower version is a downgrade, done because it was asked for. What
    /// clap gives for an optional argument passes as `.version(version.as_deref())`.
    ///
    /// (It takes `Option<&str>` rather than `Option<impl AsRef<str>>`: with the latter the
    /// contract's own `.version(None)` would not compile, as `None` names no type.)
    pub fn version(mut self, version: Option<&str>) -> SelfUpdate {
        self.version = version.map(str::to_string);
        self
    }

    /// How the user runs this update (`caro self-update`, the default for app `caro`): help
    /// lines say `caro self-update 1.2.0` to pin a version. The command must take the
    /// version as its argument.
    pub fn command(mut self, command: &str) -> SelfUpdate {
        self.command = Some(command.to_string());
        self
    }

    /// When true, only reports whether an update is available and changes nothing.
    pub fn check_only(mut self, check_only: bool) -> SelfUpdate {
        self.check_only = check_only;
        self
    }

    /// When true, a release without a minisign signature is refused (a key must be pinned:
    /// built in or `CARO_INSTALL_MINISIGN_PUBKEY`). With a pinned key, a published
    /// signature is always checked.
    pub fn require_signature(mut self, require: bool) -> SelfUpdate {
        self.require_signature = require;
        self
    }

    /// Where progress and messages go (default: nowhere).
    pub fn reporter(mut self, reporter: impl Reporter + 'static) -> SelfUpdate {
        self.reporter = Box::new(reporter);
        self
    }

    /// Uses `env` instead of the process environment.
    pub fn env(mut self, env: Env) -> SelfUpdate {
        self.env = Some(env);
        self
    }

    /// Runs the update. It **blocks** (network, disk, the new build's start-up check): from
    /// async code, call it on a blocking thread, e.g. in tokio
    /// `tokio::task::spawn_blocking(move || update.run()).await?`.
    ///
    /// # Errors
    ///
    /// Every failure is an [`Error::Hosted`], whose `Display` holds the error, its causes
    /// and what to do, in the words of [`SelfUpdate::command`]; [`Error::kind`] gives the
    /// failure to match on. Among them: the binary belongs to a package manager
    /// ([`Error::ManagedElsewhere`], naming its upgrade command), the version or its build
    /// does not exist, a download or check failed (the running binary is then untouched).
    pub fn run(self) -> Result<UpdateOutcome> {
        let invocation = Invocation::host(
            self.command
                .as_deref()
                .unwrap_or(&format!("{} self-update", self.app)),
        );
        self.run_unhosted()
            .map_err(|error| error.hosted(&invocation))
    }

    fn run_unhosted(self) -> Result<UpdateOutcome> {
        let env = self.env.unwrap_or_else(Env::from_process);
        let current =
            Version::parse(self.current.trim().trim_start_matches(['v', 'V'])).map_err(|e| {
                Error::InvalidVersion {
                    input: self.current.clone(),
                    reason: format!("the running version is not semver ({e})"),
                }
            })?;
        let request = UpdateRequest {
            version: self.version.as_deref().map(str::parse).transpose()?,
            check_only: self.check_only,
            require_signature: self.require_signature,
        };
        let mut http = Http::from_env(&env)?;
        update_running(
            &self.app,
            current,
            &request,
            &env,
            &mut http,
            self.reporter.as_ref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn the_start_up_check_looks_for_the_version_as_a_word() {
        assert!(reports_version("caro 1.1.0", &v("1.1.0")));
        assert!(reports_version(
            "caro v1.1.0 (abc1234 2026-01-01)",
            &v("1.1.0")
        ));
        assert!(reports_version(
            "caro-install 1.1.0-beta.2\n",
            &v("1.1.0-beta.2")
        ));
        assert!(!reports_version("caro 1.0.3", &v("1.1.0")));
        assert!(!reports_version("caro 1.1.01", &v("1.1.0")));
        assert!(!reports_version("", &v("1.1.0")));
    }

    #[test]
    fn newer_latest_is_an_update() {
        assert!(needs_update(&v("1.0.3"), &v("1.1.0"), false));
        assert!(!needs_update(&v("1.1.0"), &v("1.1.0"), false));
        assert!(!needs_update(&v("1.1.0"), &v("1.1.0"), true));
    }

    #[test]
    fn lower_version_only_when_named() {
        assert!(!needs_update(&v("1.1.0"), &v("1.0.2"), false));
        assert!(needs_update(&v("1.1.0"), &v("1.0.2"), true));
        // A pre-release ahead of the last release is not "downgraded" to it by `latest`.
        assert!(!needs_update(&v("1.2.0-beta.1"), &v("1.1.0"), false));
        assert!(needs_update(&v("1.1.0-beta.2"), &v("1.1.0"), false));
    }

    #[test]
    fn nuget_packages_and_container_images_are_recognised() {
        let nuget = [
            r"C:\proj\packages\caro.1.0.2\tools\caro.exe",
            r"C:\Users\u\.nuget\packages\caro\1.0.2\tools\caro.exe",
        ];
        for path in nuget {
            let path = PathBuf::from(path.replace('\\', std::path::MAIN_SEPARATOR_STR));
            assert_eq!(managed_by(&path, None), Some(Manager::NuGet), "{path:?}");
        }
        assert_eq!(
            managed_by(Path::new("/home/u/tools/caro"), None),
            None,
            "a folder named tools alone is not a package"
        );
        let image = Path::new("/usr/local/bin/caro");
        assert_eq!(managed_by_in(image, None, true), Some(Manager::Container));
        assert_eq!(managed_by_in(image, None, false), None);
        assert_eq!(
            managed_by_in(image, Some(Path::new("/usr/local/bin")), true),
            None,
            "installed there by caro-install inside the container: ours"
        );
        assert_eq!(
            Manager::NuGet.upgrade_command("caro"),
            "Update-Package caro"
        );
    }

    #[test]
    fn package_managers_are_recognised() {
        let cases = [
            ("/home/u/.cargo/bin/caro", Some(Manager::Cargo)),
            (
                "/opt/homebrew/Cellar/caro/1.0.3/bin/caro",
                Some(Manager::Homebrew),
            ),
            (
                "/usr/local/lib/node_modules/caro/bin/caro",
                Some(Manager::Npm),
            ),
            ("/usr/bin/caro", Some(Manager::System)),
            ("/home/u/.local/bin/caro", None),
            ("/opt/tools/caro", None),
        ];
        for (path, manager) in cases {
            assert_eq!(managed_by(Path::new(path), None), manager, "{path}");
        }
        assert_eq!(
            managed_by(
                Path::new("/home/u/.cargo/bin/caro"),
                Some(Path::new("/home/u/.cargo/bin"))
            ),
            None
        );
        assert_eq!(
            Manager::Cargo.upgrade_command("caro"),
            "cargo install caro --force --locked"
        );
        assert_eq!(
            Manager::Homebrew.upgrade_command("caro"),
            "brew upgrade caro"
        );
        assert_eq!(Manager::Npm.upgrade_command("caro"), "npm update -g caro");
    }

    #[test]
    fn npm_installs_get_the_command_for_how_they_were_installed() {
        let cases = [
            (
                "caro",
                "/usr/local/lib/node_modules/@wildcard/caro/node_modules/@wildcard/caro-linux-x64/bin/caro",
                "npm update -g @wildcard/caro",
            ),
            (
                "caro-install",
                "/home/u/.npm/_npx/1a2b/node_modules/@wildcard/caro-install-linux-x64/bin/caro-install",
                "npx caro-install@latest",
            ),
            (
                "caro",
                "/home/u/project/node_modules/@wildcard/caro-linux-x64/bin/caro",
                "npm update @wildcard/caro (in the project that depends on it)",
            ),
        ];
        for (app, path, command) in cases {
            assert_eq!(
                managed_by(Path::new(path), None),
                Some(Manager::Npm),
                "{path}"
            );
            assert_eq!(
                Manager::Npm.upgrade_command_at(app, Path::new(path)),
                command,
                "{path}"
            );
        }
        assert_eq!(
            Manager::Cargo.upgrade_command_at("caro", Path::new("/home/u/.cargo/bin/caro")),
            "cargo install caro --force --locked"
        );
    }

    #[test]
    fn outcomes_read_as_sentences() {
        let up = UpdateOutcome::UpToDate {
            app: "caro".into(),
            version: v("1.1.0"),
        };
        assert_eq!(up.to_string(), "caro 1.1.0 is up to date");
        let available = UpdateOutcome::Available {
            app: "caro".into(),
            current: v("1.0.3"),
            target: v("1.1.0"),
        };
        assert_eq!(
            available.to_string(),
            "caro 1.1.0 is available (installed: 1.0.3)"
        );
        let updated = UpdateOutcome::Updated {
            app: "caro".into(),
            from: v("1.0.3"),
            to: v("1.1.0"),
            path: "/b/caro".into(),
        };
        assert_eq!(
            updated.to_string(),
            "updated caro 1.0.3 -> 1.1.0 at /b/caro"
        );
    }
}
