//! What the user asked for, and the settings it resolves to: flags win over environment
//! variables, which win over defaults. Nothing is resolved over the network here.

use std::path::{Path, PathBuf};

use super::offline::{self, LocalName};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::names;
use crate::platform::{self, Choice, Facts, Platform};
use crate::receipt;
use crate::release::VersionRequest;
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
    /// Never prompt: a question without a safe default (building from source when no
    /// build is published) is not asked, and so answered no.
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
