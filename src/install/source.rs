//! Building caro from source with cargo, when no prebuilt build exists for this platform.
//!
//! Only ever on request: `--from-source`, or a "yes" typed at a terminal (never `-y`,
//! docs/releases.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::files::{self, TempDir, TempFile};
use crate::platform::{Platform, executable_name};
use crate::release::Version;
use crate::report::Reporter;

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
pub(crate) fn build_from_source(
    version: &Version,
    platform: Platform,
    dir: &Path,
    env: &Env,
    reporter: &dyn Reporter,
) -> Result<TempFile> {
    let cargo = find_cargo(env).ok_or_else(|| Error::CargoMissing {
        version: version.to_string(),
    })?;
    let root = dir.join(format!(
        "{}{}-source",
        files::temp_prefix(),
        std::process::id()
    ));
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
