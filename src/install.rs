//! Installing caro: settings, the plan, download and verification, atomic placement.
//!
//! The order of the steps is what makes an install safe to interrupt:
//! 1. everything is downloaded into temp files *inside the install directory* (so the final
//!    step is a same-file-system rename) and hashed as it arrives;
//! 2. nothing is made executable or moved before its `.sha256` matched;
//! 3. the binary is fsynced, given mode 0755 and renamed over the old one in one step.
//!
//! A failure or a kill at any point before step 3 leaves the old binary byte-identical; a
//! temp file left by a killed run is removed by the next run, which holds the directory
//! lock and so knows that no other installer is still writing it.

use std::fmt;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::checksum::{self, Digest};
use crate::download::Http;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::extract;
use crate::files::{
    DirLock, TEMP_PREFIX, TempDir, TempFile, check_install_dir, lock_wait, remove_leftovers,
    same_file,
};
use crate::platform::{self, Choice, Facts, Platform};
use crate::receipt::{self, PathEdit, Receipt};
use crate::release::{self, AssetKind, ReleaseSource, Version, VersionRequest};
use crate::report::Reporter;
use crate::shell::{self, unix::RealProbe};
use crate::signature;

/// What the user asked for on the command line, before environment variables and defaults.
#[derive(Debug, Clone, Default)]
pub struct InstallRequest {
    /// `--version`.
    pub version: Option<VersionRequest>,
    /// `--install-dir`.
    pub install_dir: Option<PathBuf>,
    /// `--no-modify-path`.
    pub no_modify_path: bool,
    /// `--platform`.
    pub platform: Option<Platform>,
    /// `--from-source`.
    pub from_source: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `-y`.
    pub yes: bool,
    /// `--require-signature`.
    pub require_signature: bool,
}

/// The request with environment variables and defaults applied: what will be done.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Which version.
    pub version: VersionRequest,
    /// Where the binary goes.
    pub install_dir: PathBuf,
    /// False for `CARO_UNMANAGED_INSTALL`: no PATH edits, no receipt, no installer copy.
    pub managed: bool,
    /// Whether PATH may be configured.
    pub modify_path: bool,
    /// Which platform, and why.
    pub platform: Choice,
    /// Build with cargo instead of downloading.
    pub from_source: bool,
    /// Print the plan, change nothing.
    pub dry_run: bool,
    /// Never prompt.
    pub yes: bool,
    /// The minisign key pinned and whether a signature is required.
    pub signatures: signature::Policy,
}

impl Settings {
    /// Applies SPEC section 9's variables and the defaults to `request`. Flags win over
    /// variables; `detect` runs only when no platform was given.
    pub fn resolve(
        request: InstallRequest,
        env: &Env,
        detect: impl FnOnce() -> Facts,
    ) -> Result<Settings> {
        let version = match request.version {
            Some(version) => version,
            None => match env.var("CARO_INSTALL_VERSION") {
                Some(text) => text.parse().map_err(|_| Error::InvalidVariable {
                    name: "CARO_INSTALL_VERSION",
                    value: text.to_string(),
                    expected: "a valid version: 1.0.2, v1.0.2, 1.1.0-beta.2 or latest",
                })?,
                None => VersionRequest::Latest,
            },
        };
        let unmanaged = env.var("CARO_UNMANAGED_INSTALL").map(PathBuf::from);
        let install_dir = match (&unmanaged, request.install_dir) {
            (Some(dir), _) => dir.clone(),
            (None, Some(dir)) => dir,
            (None, None) => match env.var("CARO_INSTALL_DIR") {
                Some(dir) => PathBuf::from(dir),
                None => default_install_dir(env)?,
            },
        };
        if install_dir.to_string_lossy().trim().is_empty() {
            return Err(Error::EmptyInstallDir);
        }
        let platform = match request.platform {
            Some(platform) => Choice::forced(platform, "--platform"),
            None => match env.var("CARO_INSTALL_PLATFORM") {
                Some(key) => Choice::forced(
                    key.parse().map_err(|_| Error::InvalidVariable {
                        name: "CARO_INSTALL_PLATFORM",
                        value: key.to_string(),
                        expected: "a platform key: linux-amd64, linux-arm64, linux-amd64-musl, \
                                   linux-arm64-musl, macos-intel, macos-silicon, \
                                   windows-amd64 or windows-arm64",
                    })?,
                    "CARO_INSTALL_PLATFORM",
                ),
                None => platform::choose(&detect())?,
            },
        };
        let modify_path =
            unmanaged.is_none() && !request.no_modify_path && !env.flag("CARO_NO_MODIFY_PATH");
        let install_dir = env.absolute(&install_dir);
        check_usable_paths(&install_dir, modify_path, env)?;
        Ok(Settings {
            version,
            install_dir,
            managed: unmanaged.is_none(),
            modify_path,
            platform,
            from_source: request.from_source,
            dry_run: request.dry_run,
            yes: request.yes,
            signatures: signature::Policy::from_env(env, request.require_signature)?,
        })
    }
}

/// Refuses paths no shell could use, before anything changes: a line break anywhere in the
/// install directory (a startup-file line cannot hold it), PATH's separator in it when PATH
/// is to be edited (`:`; `;` on Windows), and a line break in `HOME`, `XDG_CONFIG_HOME` or
/// `ZDOTDIR` when caro-install is to write startup files under them. Such an install used to
/// report success while no shell found caro and uninstall could not find its own line.
pub fn check_usable_paths(dir: &Path, modify_path: bool, env: &Env) -> Result<()> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    let text = dir.to_string_lossy();
    let unusable = |what: String, value: &str, reason: &str| Error::UnusablePath {
        what,
        value: value.escape_debug().to_string(),
        reason: reason.to_string(),
    };
    if text.contains(['\n', '\r']) {
        return Err(unusable(
            "the install directory".to_string(),
            &text,
            "it contains a line break, which no startup file or PATH can hold",
        ));
    }
    if modify_path && text.contains(separator) {
        return Err(unusable(
            "the install directory".to_string(),
            &text,
            &format!(
                "it contains `{separator}`, which separates PATH entries, so PATH cannot name it"
            ),
        ));
    }
    if modify_path {
        for name in ["HOME", "XDG_CONFIG_HOME", "ZDOTDIR"] {
            if let Some(value) = env.var(name).filter(|v| v.contains(['\n', '\r'])) {
                return Err(unusable(
                    name.to_string(),
                    value,
                    "it contains a line break, which no startup file can hold",
                ));
            }
        }
    }
    Ok(())
}

/// `~/.local/bin`, or `%LOCALAPPDATA%\caro\bin` on Windows.
pub fn default_install_dir(env: &Env) -> Result<PathBuf> {
    if cfg!(windows) {
        return Ok(env.local_app_data()?.join("caro").join("bin"));
    }
    Ok(env.home()?.join(".local").join("bin"))
}

/// The file name of `name`'s executable on `platform` (`caro`, `caro.exe`).
pub fn executable_name(name: &str, platform: Platform) -> String {
    format!("{name}{}", platform.exe_suffix())
}

/// The file name of `name`'s executable on this machine (`caro`, `caro.exe`), for binaries
/// found by path rather than downloaded for a platform.
pub fn local_executable_name(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// Everything an install will do, computed before doing any of it; `--dry-run` prints it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The resolved version.
    pub version: Version,
    /// How the version was chosen (`pinned`, `latest, from ...`).
    pub version_source: String,
    /// The platform and why.
    pub platform: Choice,
    /// The URLs to try, in order (each verified with its `.sha256`).
    pub urls: Vec<String>,
    /// Build with cargo instead.
    pub from_source: bool,
    /// The binary's final path.
    pub binary: PathBuf,
    /// Where caro-install copies itself, if it does.
    pub installer_copy: Option<PathBuf>,
    /// The receipt, if one is written.
    pub receipt: Option<PathBuf>,
    /// How PATH will be handled.
    pub path: PathPlan,
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "version:  caro {} ({})",
            self.version, self.version_source
        )?;
        writeln!(
            f,
            "platform: {} ({})",
            self.platform.platform, self.platform.reason
        )?;
        if self.from_source {
            writeln!(
                f,
                "source:   cargo install caro --locked --version {}",
                self.version
            )?;
        } else {
            writeln!(
                f,
                "download, first found wins, each verified with its .sha256:"
            )?;
            for url in &self.urls {
                writeln!(f, "  {url}")?;
            }
        }
        writeln!(f, "write:")?;
        writeln!(f, "  {}", self.binary.display())?;
        if let Some(copy) = &self.installer_copy {
            writeln!(
                f,
                "  {} (this installer, for later updates)",
                copy.display()
            )?;
        }
        if let Some(receipt) = &self.receipt {
            writeln!(f, "  {}", receipt.display())?;
        }
        match &self.path {
            PathPlan::LeaveAlone => write!(f, "PATH:     leave PATH alone"),
            PathPlan::AlreadyOnPath => {
                write!(f, "PATH:     the install directory is already on PATH")
            }
            PathPlan::Edit(files) if files.is_empty() => {
                write!(f, "PATH:     every shell file is already set up")
            }
            PathPlan::Edit(files) => {
                write!(f, "PATH:     new shells find caro after these changes:")?;
                for (shell, file) in files {
                    write!(f, "\n  {} ({shell})", file.display())?;
                }
                Ok(())
            }
        }
    }
}

/// What an install will do about PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPlan {
    /// `--no-modify-path`, or an unmanaged install.
    LeaveAlone,
    /// The directory is on PATH already: nothing to edit.
    AlreadyOnPath,
    /// These files (and the shell each serves) will be created or get a line.
    Edit(Vec<(&'static str, PathBuf)>),
}

/// What an install did.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The version installed.
    pub version: Version,
    /// The platform installed.
    pub platform: Platform,
    /// The binary's path.
    pub binary: PathBuf,
    /// The asset downloaded, or `None` for a build from source.
    pub asset_url: Option<String>,
    /// The verified digest of the asset.
    pub sha256: Option<Digest>,
    /// The receipt written, if any.
    pub receipt: Option<PathBuf>,
    /// How to use caro in the shell that ran the install, when PATH was configured for new
    /// shells only (nothing when the directory is already on PATH).
    pub use_now: Option<String>,
}

impl fmt::Display for Installed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "installed caro {} ({}) to {}",
            self.version,
            self.platform,
            self.binary.display()
        )?;
        if let Some(use_now) = &self.use_now {
            write!(f, "\n{use_now}")?;
        }
        Ok(())
    }
}

/// What [`install`] returns: the plan alone for a dry run, else what was installed.
#[derive(Debug, Clone)]
pub enum InstallOutcome {
    /// `--dry-run`: nothing was changed.
    Planned(Plan),
    /// The install happened.
    Installed(Installed),
}

/// Resolves `latest` (redirect, then mirror body, then API) or returns the pinned version.
pub fn resolve_version(
    request: &VersionRequest,
    source: &ReleaseSource,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<(Version, String)> {
    let latest = match request {
        VersionRequest::Exact(version) => return Ok((version.clone(), "pinned".to_string())),
        VersionRequest::Latest => resolve_latest(source, http, reporter)?,
    };
    if !latest.0.pre.is_empty() {
        return Err(Error::LatestIsPrerelease {
            repo: source.repo.clone(),
            version: latest.0.to_string(),
        });
    }
    Ok(latest)
}

fn resolve_latest(
    source: &ReleaseSource,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<(Version, String)> {
    use crate::download::{ApiAnswer, LatestAnswer};
    let latest_url = source.latest_url();
    let answer = http.get_latest(&latest_url, reporter)?;
    let first_missing = answer == LatestAnswer::Status(404);
    let first = match answer {
        LatestAnswer::Redirect(location) => match release::version_from_location(&location) {
            Some(version) => return Ok((version, format!("latest, from {latest_url}"))),
            None => format!("{latest_url} redirected to `{location}`, which is not a release tag"),
        },
        LatestAnswer::Body(body) => match release::version_from_body(&body) {
            Some(version) => return Ok((version, format!("latest, from {latest_url}"))),
            None => format!("{latest_url} answered a body that is not a tag"),
        },
        LatestAnswer::Status(status) => format!("{latest_url} answered HTTP {status}"),
    };
    reporter.detail(&format!("{first}; asking the API"));
    let api_url = source.api_latest_url();
    match http.get_api(&api_url, reporter)? {
        ApiAnswer::Json(json) => match release::version_from_api(&json) {
            Some(version) => Ok((version, format!("latest, from {api_url}"))),
            None => Err(Error::LatestUnknown {
                repo: source.repo.clone(),
                detail: format!("{first}, and {api_url} has no usable `tag_name`"),
            }),
        },
        ApiAnswer::Status(403 | 429, reset) => Err(Error::RateLimited {
            url: api_url,
            reset: reset.map(|at| {
                receipt::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(at))
            }),
        }),
        ApiAnswer::Status(404, _) if first_missing => Err(Error::ReleasesNotFound {
            base_url: source.base_url.clone(),
            repo: source.repo.clone(),
            detail: format!("{first}, and {api_url} answered HTTP 404"),
        }),
        ApiAnswer::Status(status, _) => Err(Error::LatestUnknown {
            repo: source.repo.clone(),
            detail: format!("{first}, and {api_url} answered HTTP {status}"),
        }),
    }
}

/// Computes the plan for `settings` (resolving `latest`, which reads from the network).
pub fn plan(settings: &Settings, env: &Env, http: &Http, reporter: &dyn Reporter) -> Result<Plan> {
    let source = ReleaseSource::caro(env);
    let (version, version_source) = resolve_version(&settings.version, &source, http, reporter)?;
    let mut urls = Vec::new();
    for platform in [Some(settings.platform.platform), settings.platform.fallback]
        .into_iter()
        .flatten()
    {
        for candidate in release::asset_candidates("caro", &version, platform) {
            urls.push(source.asset_url(&version, &candidate.file_name));
        }
    }
    let installer_name = executable_name("caro-install", settings.platform.platform);
    Ok(Plan {
        binary: settings
            .install_dir
            .join(executable_name("caro", settings.platform.platform)),
        installer_copy: settings
            .managed
            .then(|| settings.install_dir.join(installer_name)),
        receipt: if settings.managed {
            Some(receipt::receipt_path(env)?)
        } else {
            None
        },
        path: if !settings.modify_path {
            PathPlan::LeaveAlone
        } else if shell::is_on_path(env, &settings.install_dir, &RealProbe::new(env)) {
            PathPlan::AlreadyOnPath
        } else {
            PathPlan::Edit(shell::preview(env, &settings.install_dir))
        },
        from_source: settings.from_source,
        platform: settings.platform.clone(),
        version,
        version_source,
        urls,
    })
}

/// Installs caro as `settings` say.
pub fn install(
    settings: &Settings,
    env: &Env,
    http: &mut Http,
    reporter: &dyn Reporter,
) -> Result<InstallOutcome> {
    let source = ReleaseSource::caro(env);
    http.trust_token_hosts(&source);
    reporter.detail(&format!(
        "platform {} ({})",
        settings.platform.platform, settings.platform.reason
    ));
    let plan = plan(settings, env, http, reporter)?;
    let dir = &settings.install_dir;
    if dir.exists() && !dir.is_dir() {
        return Err(Error::InstallDirIsAFile { path: dir.clone() });
    }
    if settings.dry_run {
        // A plan that cannot work says so: its build must be published.
        if !settings.from_source {
            let wanted = Wanted {
                name: "caro",
                source: &source,
                version: &plan.version,
                choice: &plan.platform,
                dir,
                signatures: &settings.signatures,
            };
            find_published(&wanted, http, reporter)
                .map_err(|e| not_built_yet(e, &settings.version, &wanted, http, reporter))?;
        }
        return Ok(InstallOutcome::Planned(plan));
    }
    // Folders this install creates, so uninstall can take them away again when empty.
    let mut created_dirs = missing_dirs(dir);
    if let Some(receipt_dir) = plan.receipt.as_deref().and_then(Path::parent) {
        created_dirs.extend(missing_dirs(receipt_dir));
    }
    fs::create_dir_all(dir).map_err(Error::file("create the install directory", dir))?;
    check_install_dir(dir, reporter)?;
    let _lock = DirLock::acquire(dir, lock_wait(http.stall()), reporter)?;
    remove_leftovers(dir, reporter);

    let (placed, asset) = if settings.from_source {
        (
            build_from_source(&plan.version, plan.platform.platform, dir, env, reporter)?,
            None,
        )
    } else {
        let wanted = Wanted {
            name: "caro",
            source: &source,
            version: &plan.version,
            choice: &plan.platform,
            dir,
            signatures: &settings.signatures,
        };
        match fetch_verified(&wanted, http, reporter)
            .map_err(|e| not_built_yet(e, &settings.version, &wanted, http, reporter))
        {
            Ok((file, asset)) => (file, Some(asset)),
            Err(Error::NoAssetForPlatform {
                name,
                version,
                platform,
                tried,
            }) => {
                // A source build takes minutes and runs code from crates.io: it needs
                // `--from-source` or a "yes" typed at a terminal, never `-y` alone.
                let question = format!(
                    "No prebuilt caro {version} for {platform}. Build it from source with cargo (this takes minutes)?"
                );
                if find_cargo(env).is_none() || reporter.confirm(&question) != Some(true) {
                    return Err(Error::NoAssetForPlatform {
                        name,
                        version,
                        platform,
                        tried,
                    });
                }
                (
                    build_from_source(&plan.version, plan.platform.platform, dir, env, reporter)?,
                    None,
                )
            }
            Err(error) => return Err(error),
        }
    };
    placed.persist(&plan.binary, reporter)?;

    let mut binaries = vec!["caro".to_string()];
    if let Some(copy) = &plan.installer_copy {
        copy_self(copy, reporter)?;
        binaries.push("caro-install".to_string());
    }
    #[cfg_attr(
        not(windows),
        expect(unused_mut, reason = "only Windows takes an entry over")
    )]
    let mut path_edits = if settings.modify_path {
        configure_path(env, dir, reporter)
    } else {
        Vec::new()
    };
    #[cfg(windows)]
    if settings.modify_path && path_edits.is_empty() {
        path_edits.extend(shell::windows::take_over_legacy(env, dir, reporter));
    }
    warn_about_shadowing(env, dir, settings.modify_path, reporter);
    let use_now = (settings.modify_path && !shell::is_on_path(env, dir, &RealProbe::new(env)))
        .then(|| shell::use_now_hint(env))
        .flatten();
    let platform = asset
        .as_ref()
        .map_or(plan.platform.platform, |a| a.platform);
    if let Some(path) = &plan.receipt {
        let mut receipt = Receipt::new(&source.repo, &plan.version.to_string(), dir);
        receipt.binaries = binaries;
        receipt.modify_path = settings.modify_path;
        receipt.platform = Some(platform.key().to_string());
        receipt.asset_url = asset.as_ref().map(|a| a.url.clone());
        receipt.sha256 = asset.as_ref().map(|a| a.sha256.to_string());
        receipt.path_edits = path_edits;
        receipt.created_dirs = created_dirs;
        match Receipt::load(path) {
            Ok(Some(old)) => receipt.carry_over(old),
            Ok(None) => {}
            Err(error) => reporter.warn(&format!("{error}; writing a new one")),
        }
        receipt.save(path)?;
        reporter.detail(&format!("wrote {}", path.display()));
    }
    Ok(InstallOutcome::Installed(Installed {
        version: plan.version,
        platform,
        binary: plan.binary,
        asset_url: asset.as_ref().map(|a| a.url.clone()),
        sha256: asset.map(|a| a.sha256),
        receipt: plan.receipt,
        use_now,
    }))
}

/// Configures PATH for `dir` unless it is already on PATH; returns the edits made.
fn configure_path(env: &Env, dir: &Path, reporter: &dyn Reporter) -> Vec<PathEdit> {
    if shell::is_on_path(env, dir, &RealProbe::new(env)) {
        reporter.detail(&format!(
            "{} is already on PATH; no shell file needs a change",
            dir.display()
        ));
        return Vec::new();
    }
    shell::configure_path(env, dir, reporter)
}

/// Warns when a shell would run another `caro` than the one in `dir`: one earlier on PATH,
/// or (when PATH is left alone and `dir` is not on it) any one on PATH; after a PATH edit,
/// one that new shells still find first (on Windows, in the system Path).
fn warn_about_shadowing(env: &Env, dir: &Path, modified_path: bool, reporter: &dyn Reporter) {
    let probe = RealProbe::new(env);
    let on_path = shell::is_on_path(env, dir, &probe);
    let name = local_executable_name("caro");
    let others = if !on_path && modified_path {
        shell::shadowing_after_edit(env, dir, &name, &probe)
    } else {
        shell::shadowing(env, dir, &name, &probe)
    };
    if !on_path && !modified_path {
        reporter.warn(&format!(
            "{} is not on PATH; add it, or run caro as {}",
            dir.display(),
            dir.join(&name).display()
        ));
    }
    for other in others {
        reporter.warn(&format!(
            "another caro at {} comes first on PATH, so `caro` runs that one; remove it or put {} before its directory",
            other.display(),
            dir.display()
        ));
    }
}

/// The asset that was downloaded and verified.
#[derive(Debug, Clone)]
pub struct VerifiedAsset {
    /// Its URL.
    pub url: String,
    /// Its digest, as published and as computed.
    pub sha256: Digest,
    /// The platform it is for (the fallback's, when the preferred had none).
    pub platform: Platform,
}

/// Downloads the first existing candidate of `name` at `version` for `choice` into a temp
/// file in `dir`, verifies it against its sidecar, and extracts it if it is an archive.
/// The returned temp file holds the bare executable, not yet executable.
pub fn fetch_verified(
    wanted: &Wanted,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<(TempFile, VerifiedAsset)> {
    let Wanted {
        name,
        source,
        version,
        choice,
        dir,
        signatures,
    } = *wanted;
    let mut tried = Vec::new();
    for platform in [Some(choice.platform), choice.fallback]
        .into_iter()
        .flatten()
    {
        if platform != choice.platform {
            reporter.warn(&format!(
                "no {name} {version} build for {}; using the {platform} build, which runs under emulation",
                choice.platform
            ));
        }
        for candidate in release::download_candidates(name, version, platform) {
            let url = source.asset_url(version, &candidate.file_name);
            let mut download = TempFile::create(dir, &candidate.file_name)?;
            let Some(downloaded) = http.download(&url, download.file_mut(), reporter)? else {
                reporter.detail(&format!("{url}: not found (404)"));
                tried.push(url);
                continue;
            };
            let sidecar_url = format!("{url}.sha256");
            let text = http
                .get_text(&sidecar_url, checksum::MAX_SIDECAR_BYTES, reporter)?
                .ok_or_else(|| Error::MissingSidecar {
                    url: sidecar_url.clone(),
                    asset: url.clone(),
                })?;
            let expected =
                checksum::parse_sidecar(&text, &candidate.file_name).map_err(|reason| {
                    Error::InvalidSidecar {
                        url: sidecar_url.clone(),
                        reason,
                    }
                })?;
            if expected != downloaded.sha256 {
                return Err(Error::ChecksumMismatch {
                    asset: url,
                    expected: expected.to_string(),
                    actual: downloaded.sha256.to_string(),
                });
            }
            reporter.detail(&format!(
                "verified {url} ({} bytes, sha256 {expected})",
                downloaded.bytes
            ));
            check_signature(
                &url,
                &candidate.file_name,
                download.file_mut(),
                signatures,
                http,
                reporter,
            )?;
            let executable = match candidate.kind {
                AssetKind::Binary => download,
                kind => {
                    let binary = executable_name(name, platform);
                    let mut out = TempFile::create(dir, &binary)?;
                    extract::extract_binary(
                        download.file_mut(),
                        kind,
                        &binary,
                        out.file_mut(),
                        &url,
                        extract::MAX_EXTRACTED_BYTES,
                    )?;
                    out
                }
            };
            return Ok((
                executable,
                VerifiedAsset {
                    url,
                    sha256: expected,
                    platform,
                },
            ));
        }
    }
    Err(missing_build(wanted, tried, http, reporter))
}

/// `path` and those of its parents that do not exist yet, deepest first.
fn missing_dirs(path: &Path) -> Vec<PathBuf> {
    path.ancestors()
        .take_while(|dir| !dir.as_os_str().is_empty() && dir.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect()
}

/// For `latest`, a missing build is news about the release, not the platform: caro creates
/// its release before the builds are uploaded, so for a few minutes `latest` has none. The
/// API's release list then says which earlier release has this platform's build.
pub fn not_built_yet(
    error: Error,
    requested: &VersionRequest,
    wanted: &Wanted,
    http: &Http,
    reporter: &dyn Reporter,
) -> Error {
    match (error, requested) {
        (
            Error::NoAssetForPlatform {
                name,
                version,
                platform,
                tried,
            },
            VersionRequest::Latest,
        ) => Error::LatestNotBuiltYet {
            previous: previous_with_build(wanted, http, reporter).map(|v| v.to_string()),
            name,
            version,
            platform,
            tried: tried.into_boxed_slice(),
        },
        (error, _) => error,
    }
}

/// The newest release before `wanted`'s with a build for its platform, from the API's
/// release list; `None` when the API cannot say (a static mirror, a rate limit).
fn previous_with_build(wanted: &Wanted, http: &Http, reporter: &dyn Reporter) -> Option<Version> {
    use crate::download::ApiAnswer;
    let ApiAnswer::Json(json) = http
        .get_api(&wanted.source.api_releases_url(), reporter)
        .ok()?
    else {
        return None;
    };
    // Asset names with `{V}` for the version, as each release would name them.
    let placeholder = Version::new(0, 0, 0);
    let assets: Vec<String> = [Some(wanted.choice.platform), wanted.choice.fallback]
        .into_iter()
        .flatten()
        .flat_map(|platform| release::download_candidates(wanted.name, &placeholder, platform))
        .map(|candidate| candidate.file_name.replace("0.0.0", "{V}"))
        .collect();
    release::newest_release_with(&json, &assets, wanted.version)
}

/// Checks that `wanted` is published (its asset and sidecar exist) without downloading
/// it, and returns the asset's URL: what an "update available" answer rests on.
pub fn find_published(wanted: &Wanted, http: &Http, reporter: &dyn Reporter) -> Result<String> {
    let mut tried = Vec::new();
    for platform in [Some(wanted.choice.platform), wanted.choice.fallback]
        .into_iter()
        .flatten()
    {
        for candidate in release::download_candidates(wanted.name, wanted.version, platform) {
            let url = wanted
                .source
                .asset_url(wanted.version, &candidate.file_name);
            if !http.exists(&url, reporter)? {
                tried.push(url);
                continue;
            }
            let sidecar = format!("{url}.sha256");
            if !http.exists(&sidecar, reporter)? {
                return Err(Error::MissingSidecar {
                    url: sidecar,
                    asset: url,
                });
            }
            return Ok(url);
        }
    }
    Err(missing_build(wanted, tried, http, reporter))
}

/// The error for a build of `wanted` that is not published: [`Error::ReleaseNotFound`]
/// when the release itself does not exist (a typo, a wrong mirror), else
/// [`Error::NoAssetForPlatform`]. A failure to ask counts as "exists", the milder claim.
fn missing_build(
    wanted: &Wanted,
    tried: Vec<String>,
    http: &Http,
    reporter: &dyn Reporter,
) -> Error {
    let (name, version) = (wanted.name.to_string(), wanted.version.to_string());
    let platform = wanted.choice.platform.key().to_string();
    if !release_exists(wanted.name, wanted.source, wanted.version, http, reporter).unwrap_or(true) {
        return Error::ReleaseNotFound {
            name,
            version,
            platform,
            releases: wanted.source.releases_page(),
            tried,
        };
    }
    Error::NoAssetForPlatform {
        name,
        version,
        platform,
        tried,
    }
}

/// What [`fetch_verified`] fetches: which program, from which release, for which platform,
/// into which directory, and what signatures it demands.
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'a> {
    /// The binary name (`caro`, `caro-install`).
    pub name: &'a str,
    /// Where its releases are.
    pub source: &'a ReleaseSource,
    /// The version.
    pub version: &'a Version,
    /// The platform and its fallback.
    pub choice: &'a Choice,
    /// The directory the temp files go in (the binary's).
    pub dir: &'a Path,
    /// The signature policy.
    pub signatures: &'a signature::Policy,
}

/// Verifies `<url>.minisig` against `file` when a key is pinned (SPEC section 7): it must be
/// published, made with the key, match the bytes, and name `asset_name`.
fn check_signature(
    url: &str,
    asset_name: &str,
    file: &mut File,
    policy: &signature::Policy,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<()> {
    let Some(key) = policy.key() else {
        return Ok(());
    };
    let signature_url = format!("{url}.minisig");
    let text = http
        .get_text(&signature_url, signature::MAX_SIGNATURE_BYTES, reporter)?
        .ok_or_else(|| Error::MissingSignature {
            url: signature_url.clone(),
        })?;
    signature::verify(key, &text, file, asset_name).map_err(|reason| Error::SignatureInvalid {
        url: signature_url.clone(),
        reason,
    })?;
    reporter.detail(&format!("verified the minisign signature {signature_url}"));
    Ok(())
}

/// Returns true if and only if release `version` exists although this platform's asset
/// does not: its tag page answers, its folder exists (static mirrors), or another
/// platform's build is published. A version that does not exist at all (a typo, or a
/// wrong mirror) is then an error, never a source build.
fn release_exists(
    name: &str,
    source: &ReleaseSource,
    version: &Version,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<bool> {
    for url in [source.tag_url(version), source.download_folder_url(version)] {
        if http.exists(&url, reporter)? {
            return Ok(true);
        }
    }
    for platform in Platform::ALL {
        for candidate in release::asset_candidates(name, version, platform) {
            let sidecar = source.asset_url(version, &format!("{}.sha256", candidate.file_name));
            if http.exists(&sidecar, reporter)? {
                reporter.detail(&format!("release {version} exists: {sidecar}"));
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Finds `cargo` on the environment's PATH.
pub fn find_cargo(env: &Env) -> Option<PathBuf> {
    let name = if cfg!(windows) { "cargo.exe" } else { "cargo" };
    env.path_dirs()
        .into_iter()
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// Runs `cargo install caro --locked --version V --root <temp>` inside the install directory
/// (adding `--features embedded-mlx` for Apple Silicon) and returns the built binary as a
/// temp file ready to be placed.
fn build_from_source(
    version: &Version,
    platform: Platform,
    dir: &Path,
    env: &Env,
    reporter: &dyn Reporter,
) -> Result<TempFile> {
    let cargo = find_cargo(env).ok_or_else(|| Error::CargoMissing {
        version: version.to_string(),
    })?;
    let root = dir.join(format!("{TEMP_PREFIX}{}-source", std::process::id()));
    let root_guard = TempDir(root.clone());
    let mut command = Command::new(&cargo);
    command
        .args([
            "install",
            "caro",
            "--locked",
            "--version",
            &version.to_string(),
            "--root",
        ])
        .arg(&root);
    if platform.is_apple_silicon() {
        command.args(["--features", "embedded-mlx"]);
    }
    if let Some(path) = env.path_var() {
        command.env("PATH", path);
    }
    let shown = format!(
        "cargo install caro --locked --version {version} --root {}",
        root.display()
    );
    reporter.info(&format!("building caro {version} from source: {shown}"));
    let status = command.status().map_err(|source| Error::CargoFailed {
        command: shown.clone(),
        status: source.to_string(),
    })?;
    if !status.success() {
        return Err(Error::CargoFailed {
            command: shown,
            status: status.to_string(),
        });
    }
    let built = root.join("bin").join(executable_name("caro", platform));
    let temp = TempFile::adopt(dir, &built)?;
    drop(root_guard);
    Ok(temp)
}

/// Copies the running caro-install to `target` so `caro-install update` works later,
/// unless it already runs from there.
fn copy_self(target: &Path, reporter: &dyn Reporter) -> Result<()> {
    let current = std::env::current_exe()
        .map_err(Error::file("find the running executable", "caro-install"))?;
    if same_file(&current, target) {
        return Ok(());
    }
    // A reinstall usually finds this very build there already: reading 2-3 MB to compare
    // costs far less than writing and fsyncing a copy.
    if same_contents(&current, target) {
        reporter.detail(&format!("{} is this build already", target.display()));
        return Ok(());
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temp = TempFile::create(dir, "caro-install")?;
    let mut source = File::open(&current).map_err(Error::file("read", &current))?;
    std::io::copy(&mut source, temp.file_mut())
        .map_err(Error::file("copy caro-install to", target))?;
    temp.persist(target, reporter)
}

/// Returns true if and only if both files exist and hold the same bytes.
fn same_contents(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (Ok(mut a), Ok(mut b)) = (File::open(a), File::open(b)) else {
        return false;
    };
    let same_length = match (a.metadata(), b.metadata()) {
        (Ok(ma), Ok(mb)) => ma.len() == mb.len() && mb.is_file(),
        _ => false,
    };
    if !same_length {
        return false;
    }
    let (mut buffer_a, mut buffer_b) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let Ok(n) = a.read(&mut buffer_a) else {
            return false;
        };
        if n == 0 {
            return true;
        }
        if b.read_exact(&mut buffer_b[..n]).is_err() || buffer_a[..n] != buffer_b[..n] {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::HOME_VAR;

    fn request() -> InstallRequest {
        InstallRequest::default()
    }

    fn linux() -> Facts {
        Facts {
            os: platform::Os::Linux,
            arch: platform::Arch::X86_64,
            translated: false,
            arm64_hardware: false,
            libc: platform::Libc::Glibc,
            os_version: None,
        }
    }

    #[cfg(unix)]
    #[test]
    fn defaults_come_from_home() {
        let env = Env::from_vars([(HOME_VAR, "/home/u")]);
        let settings = Settings::resolve(request(), &env, linux).unwrap();
        assert_eq!(settings.install_dir, PathBuf::from("/home/u/.local/bin"));
        assert_eq!(settings.version, VersionRequest::Latest);
        assert!(settings.managed && settings.modify_path);
        assert_eq!(settings.platform.platform, Platform::LinuxAmd64);
    }

    #[cfg(unix)]
    #[test]
    fn flags_win_over_variables() {
        let env = Env::from_vars([
            (HOME_VAR, "/home/u"),
            ("CARO_INSTALL_VERSION", "1.0.2"),
            ("CARO_INSTALL_DIR", "/opt/env"),
            ("CARO_INSTALL_PLATFORM", "linux-arm64"),
        ]);
        let from_env = Settings::resolve(request(), &env, || {
            unreachable!("no detection when a platform is given")
        })
        .unwrap();
        assert_eq!(from_env.version.to_string(), "1.0.2");
        assert_eq!(from_env.install_dir, PathBuf::from("/opt/env"));
        assert_eq!(from_env.platform.platform, Platform::LinuxArm64);
        let flags = InstallRequest {
            version: Some("1.0.3".parse().unwrap()),
            install_dir: Some("/opt/flag".into()),
            platform: Some(Platform::MacosSilicon),
            ..request()
        };
        let settings = Settings::resolve(flags, &env, linux).unwrap();
        assert_eq!(settings.version.to_string(), "1.0.3");
        assert_eq!(settings.install_dir, PathBuf::from("/opt/flag"));
        assert_eq!(settings.platform.platform, Platform::MacosSilicon);
        assert!(settings.platform.reason.contains("--platform"));
    }

    #[cfg(unix)]
    #[test]
    fn unmanaged_install_touches_nothing_else() {
        let env = Env::from_vars([(HOME_VAR, "/home/u"), ("CARO_UNMANAGED_INSTALL", "/ci/bin")]);
        let settings = Settings::resolve(
            InstallRequest {
                install_dir: Some("/ignored".into()),
                ..request()
            },
            &env,
            linux,
        )
        .unwrap();
        assert_eq!(settings.install_dir, PathBuf::from("/ci/bin"));
        assert!(!settings.managed && !settings.modify_path);
    }

    #[test]
    fn no_modify_path_from_flag_or_variable() {
        let env = Env::from_vars([(HOME_VAR, "/home/u"), ("CARO_NO_MODIFY_PATH", "1")]);
        assert!(
            !Settings::resolve(request(), &env, linux)
                .unwrap()
                .modify_path
        );
        let env = Env::from_vars([(HOME_VAR, "/home/u")]);
        let settings = Settings::resolve(
            InstallRequest {
                no_modify_path: true,
                ..request()
            },
            &env,
            linux,
        )
        .unwrap();
        assert!(!settings.modify_path);
    }

    #[test]
    fn bad_variables_are_errors_naming_them() {
        let env = Env::from_vars([
            (HOME_VAR, "/home/u"),
            ("CARO_INSTALL_PLATFORM", "linux-x86"),
        ]);
        let error = Settings::resolve(request(), &env, linux).unwrap_err();
        assert!(error.to_string().contains("linux-x86"), "{error}");
        let env = Env::from_vars([(HOME_VAR, "/home/u"), ("CARO_INSTALL_VERSION", "../../x")]);
        // Since issue 14 a bad variable is named as the variable (a usage error, exit 2).
        assert!(matches!(
            Settings::resolve(request(), &env, linux),
            Err(Error::InvalidVariable {
                name: "CARO_INSTALL_VERSION",
                ..
            })
        ));
        let env = Env::from_vars([("PATH", "/bin")]);
        assert!(matches!(
            Settings::resolve(request(), &env, linux),
            Err(Error::NoHome)
        ));
    }

    #[test]
    fn empty_install_dir_is_refused() {
        let env = Env::from_vars([(HOME_VAR, "/home/u")]);
        let error = Settings::resolve(
            InstallRequest {
                install_dir: Some(PathBuf::new()),
                ..request()
            },
            &env,
            linux,
        );
        assert!(matches!(error, Err(Error::EmptyInstallDir)));
    }
}
