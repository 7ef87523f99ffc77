//! `caro-install update`: the caro the receipt installed, moved to latest or to a version.

use super::UpdateOutcome;
use super::UpdateRequest;
use super::owner::managed_caro_on_path;
use super::swap::Target;
use crate::download::Http;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::platform::{self, Choice, Facts};
use crate::receipt::{self, Receipt};
use crate::release::{Program, Version};
use crate::report::Reporter;
use crate::signature;

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
    // Nor one that changed since caro-install wrote it (the user's own build, say).
    if receipt
        .written(&binary)
        .is_some_and(|file| !file.is_unchanged())
    {
        return Err(Error::ChangedSinceInstall { path: binary });
    }
    let target = Target {
        app: Program::Caro.name().to_string(),
        program: Program::Caro,
        source: Program::Caro.source(env),
        binary,
        platform,
        current,
        signatures: signature::Policy::from_env(env, request.require_signature)?,
        receipt: Some((receipt_path, receipt)),
    };
    if !request.check_only {
        env.check_home_owner()?;
    }
    target.update(request, http, reporter)
}
