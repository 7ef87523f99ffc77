//! Which copy is this, and who owns it: the package manager that installed a binary (and
//! so must update it), and the running program's target, checked against the receipt.

use std::path::{Path, PathBuf};

use super::swap::Target;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::files;
use crate::platform::{self, Choice, Facts};
use crate::receipt::{self, Receipt};
use crate::release::{Program, Version, npm_package};
use crate::signature;

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

/// The first `caro` on `PATH`, resolved through symlinks (npm's `bin/caro` links into
/// `node_modules`), as a [`Error::ManagedElsewhere`] when a package manager owns it.
pub(super) fn managed_caro_on_path(env: &Env) -> Option<Error> {
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

/// The target for a running program: refuses binaries a package manager owns, and a
/// binary other than the one the receipt installed.
pub(super) fn running_target(
    app: &str,
    program: Program,
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
        Some(key) if program.tracked_by_receipt() => Choice::forced(key.parse()?, "the receipt"),
        _ => platform::choose(&Facts::detect())?,
    };
    let installed_here = receipt_dir.is_some() && binary.parent() == receipt_dir.as_deref();
    Ok(Target {
        app: app.to_string(),
        program,
        source: program.source(env),
        binary,
        platform,
        current,
        signatures,
        receipt: receipt
            .filter(|_| program.tracked_by_receipt() && installed_here)
            .map(|receipt| (receipt_path, receipt)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A copy the formula installed is Homebrew's, under either prefix (macOS on Apple Silicon
    /// and Intel, and Linuxbrew), so caro-install leaves its updates to `brew upgrade caro`.
    #[test]
    fn homebrew_copies_under_every_prefix_are_left_to_brew() {
        for path in [
            "/opt/homebrew/Cellar/caro/1.1.0/bin/caro",
            "/usr/local/Cellar/caro/1.1.0/bin/caro",
            "/home/linuxbrew/.linuxbrew/Cellar/caro/1.1.0/bin/caro",
        ] {
            assert_eq!(
                managed_by(Path::new(path), None),
                Some(Manager::Homebrew),
                "{path}"
            );
        }
    }
}
