//! What an install will do: the request, the settings it resolves to, and the plan.
//!
//! Flags win over environment variables, which win over defaults; `latest` is resolved
//! here (the redirect, then a mirror's body, then the API), so the plan names a version.
//! Nothing is written while planning, which is what makes `--dry-run` honest.

use std::fmt;
use std::path::{Path, PathBuf};

use super::offline::{self, LocalName};
use crate::download::Http;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fetch::resolve_version;
use crate::names;
use crate::platform::{self, Choice, Facts, Platform, executable_name};
use crate::receipt;
use crate::release::{self, ReleaseSource, Version, VersionRequest};
use crate::report::Reporter;
use crate::shell::{self, RealProbe};
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
    /// `--force`: download and install even when this version is installed.
    pub force: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `-y`.
    pub yes: bool,
    /// `--require-signature`.
    pub require_signature: bool,
    /// `--with-model NAME`.
    pub with_model: Option<String>,
    /// `--from-file PATH`.
    pub from_file: Option<PathBuf>,
}

impl InstallRequest {
    /// The request an `update --with-model` or `update --from-file` starts from: the
    /// receipt's directory, platform and PATH choice. Like `update`, it only replaces a
    /// caro that is where the receipt says and still holds what caro-install wrote there.
    pub fn from_receipt(env: &Env) -> Result<InstallRequest> {
        let path = receipt::receipt_path(env)?;
        let Some(receipt) = receipt::Receipt::load(&path)? else {
            return Err(Error::NoReceipt { path });
        };
        let platform: Option<Platform> = match receipt.platform.as_deref() {
            Some(key) => Some(key.parse()?),
            None => None,
        };
        let binary = receipt
            .install_prefix
            .join(platform::local_executable_name("caro"));
        if !receipt.install_prefix.is_absolute() || !binary.is_file() {
            return Err(Error::NotInstalledThere {
                receipt: path,
                binary,
            });
        }
        if receipt
            .written(&binary)
            .is_some_and(|file| !file.is_unchanged())
        {
            return Err(Error::ChangedSinceInstall { path: binary });
        }
        Ok(InstallRequest {
            install_dir: Some(receipt.install_prefix.clone()),
            no_modify_path: !receipt.modify_path,
            platform,
            ..InstallRequest::default()
        })
    }
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
    /// Install even when the receipt says this version is there.
    pub force: bool,
    /// Print the plan, change nothing.
    pub dry_run: bool,
    /// Never prompt.
    pub yes: bool,
    /// The minisign key pinned and whether a signature is required.
    pub signatures: signature::Policy,
    /// The model whose bundle is installed (`--with-model`, `CARO_INSTALL_MODEL`, or the
    /// bundle given to `--from-file`).
    pub model: Option<String>,
    /// `--from-file`: the local file (absolute) and what its name says.
    pub local: Option<(PathBuf, LocalName)>,
}

impl Settings {
    /// Applies the variables of docs/variables.md and the defaults to `request`. Flags win over
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
                None => env.default_install_dir()?,
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
        let model = match request
            .with_model
            .as_deref()
            .or(env.var("CARO_INSTALL_MODEL"))
        {
            Some(name) => {
                names::check_model_name(name).map_err(|reason| Error::InvalidModelName {
                    input: name.escape_debug().to_string(),
                    reason,
                })?;
                Some(name.to_string())
            }
            None => None,
        };
        let local = request.from_file.map(|path| {
            let name =
                offline::parse_local_name(&path.file_name().unwrap_or_default().to_string_lossy());
            (env.absolute(&path), name)
        });
        let model = match &local {
            Some((path, name)) => offline::check_local(path, name, &version, &platform, model)?,
            None => model,
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
            force: request.force,
            dry_run: request.dry_run,
            yes: request.yes,
            signatures: signature::Policy::from_env(env, request.require_signature)?,
            model,
            local,
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
    /// The model bundle, with `--with-model`.
    pub bundle: Option<BundlePlan>,
    /// `--from-file`: the local file installed from, instead of `urls`.
    pub from_file: Option<PathBuf>,
}

/// What a model bundle install will fetch and where its parts go.
#[derive(Debug, Clone)]
pub struct BundlePlan {
    /// The model.
    pub model: String,
    /// The bundle's URL, or the local file.
    pub source: String,
    /// Its size, when known (the release's asset list, or the local file).
    pub size: Option<u64>,
    /// Where the model files go.
    pub models_dir: PathBuf,
    /// Where the licences and notices go.
    pub licenses_dir: PathBuf,
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
        if let Some(path) = &self.from_file {
            writeln!(
                f,
                "from:     {} (verified with its .sha256; no network)",
                path.display()
            )?;
        } else if self.from_source {
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
        if let Some(bundle) = &self.bundle {
            let size = bundle
                .size
                .map_or("size unknown".to_string(), crate::error::human_size);
            writeln!(f, "model:    {} ({size})", bundle.model)?;
        }
        writeln!(f, "write:")?;
        writeln!(f, "  {}", self.binary.display())?;
        if let Some(bundle) = &self.bundle {
            writeln!(
                f,
                "  {} (the bundle's model files; one already there with the same content is kept)",
                bundle.models_dir.join("*.gguf").display()
            )?;
            writeln!(
                f,
                "  {} (licences and notices)",
                bundle.licenses_dir.join("*").display()
            )?;
        }
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

/// Computes the plan for `settings` (resolving `latest`, which reads from the network).
pub fn plan(settings: &Settings, env: &Env, http: &Http, reporter: &dyn Reporter) -> Result<Plan> {
    let source = ReleaseSource::caro(env);
    let (version, version_source) = match &settings.local {
        Some((path, name)) => offline::local_version(path, name)?,
        None => resolve_version(&settings.version, &source, http, reporter)?,
    };
    let mut urls = Vec::new();
    for platform in [Some(settings.platform.platform), settings.platform.fallback]
        .into_iter()
        .flatten()
        .filter(|_| settings.local.is_none() && settings.model.is_none())
    {
        // Every name a real run tries, the aliases of hand-uploaded releases included.
        for candidate in release::download_candidates("caro", &version, platform) {
            urls.push(source.asset_url(&version, &candidate.file_name));
        }
    }
    let bundle = plan_bundle(settings, &version, &source, env, http, reporter)?;
    if let (Some(bundle), None) = (&bundle, &settings.local) {
        urls.push(bundle.source.clone());
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
        bundle,
        from_file: settings.local.as_ref().map(|(path, _)| path.clone()),
    })
}

/// What `settings` will do about a model bundle, for the plan (`--dry-run`): its URL (or
/// the local file), size and destinations. The size of a bundle on the network costs one
/// request (the release's asset list), made for a dry run only.
pub fn plan_bundle(
    settings: &Settings,
    version: &Version,
    source: &ReleaseSource,
    env: &Env,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<Option<BundlePlan>> {
    let Some(model) = &settings.model else {
        return Ok(None);
    };
    let platform = settings.platform.platform;
    let (source_text, size) = match &settings.local {
        Some((path, _)) => (
            path.display().to_string(),
            std::fs::metadata(path).ok().map(|m| m.len()),
        ),
        None => {
            let name = super::bundle::bundle_file_name(version, platform, model);
            let size = settings
                .dry_run
                .then(|| {
                    super::models::list_bundles(source, version, platform, http, reporter)
                        .ok()?
                        .into_iter()
                        .find(|(name, _)| name == model)
                        .map(|(_, size)| size)
                })
                .flatten();
            (source.asset_url(version, &name), size)
        }
    };
    Ok(Some(BundlePlan {
        model: model.clone(),
        source: source_text,
        size,
        models_dir: env.models_dir()?,
        licenses_dir: env.licenses_dir()?,
    }))
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
