//! The running-executable swap and its supervisor: download and verify beside the binary,
//! run the new build once under a time and output bound, then swap it in under the lock.

use std::path::{Path, PathBuf};

use super::{UpdateOutcome, UpdateRequest, needs_update};
use crate::download::Http;
use crate::error::Result;
use crate::fetch::{self, VerifiedAsset, Wanted};
use crate::files::{self, DirLock};
use crate::platform::Choice;
use crate::receipt::{self, Receipt};
use crate::release::{Program, ReleaseSource, Version, VersionRequest};
use crate::report::Reporter;
use crate::signature;
use crate::startup;

/// What is being updated: which program, from where, which file, for which platform.
pub(super) struct Target {
    pub(super) app: String,
    pub(super) program: Program,
    pub(super) source: ReleaseSource,
    pub(super) binary: PathBuf,
    pub(super) platform: Choice,
    pub(super) current: Version,
    pub(super) signatures: signature::Policy,
    /// The receipt (and its path) to record a replacement in: set when the binary is the
    /// caro the receipt installed.
    pub(super) receipt: Option<(PathBuf, Receipt)>,
}

impl Target {
    /// Updates the binary (and the receipt, when it tracks it).
    pub(super) fn update(
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
        let (target, _) = fetch::resolve_version(&requested, &self.source, http, reporter)?;
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
        let (new, asset) = fetch::fetch_verified(&wanted, http, reporter)
            .map_err(|e| fetch::not_built_yet(e, &requested, &wanted, http, reporter))?;
        // Said once the new build is here and verified, not before a lookup that may fail.
        let moving = if target < self.current {
            "downgrading"
        } else {
            "updating"
        };
        reporter.info(&format!(
            "{moving} {} {} -> {target}",
            self.app, self.current
        ));
        startup::check_build(new, self.program, &target, asset.platform, reporter)?
            .place(&self.binary, reporter)?;
        reporter.detail(&format!(
            "verified and placed {} from {}",
            self.binary.display(),
            asset.url
        ));
        if let Some((path, receipt)) = self.receipt {
            record_update(&path, receipt, &target, &asset, &self.binary, reporter)?;
        }
        Ok(UpdateOutcome::Updated {
            app: self.app,
            from: self.current,
            to: target,
            path: self.binary,
        })
    }
}

/// Writes the new version and asset into the receipt, keeping everything else (directory,
/// platform, `modify_path`, PATH edits, unknown fields).
fn record_update(
    path: &Path,
    mut receipt: Receipt,
    version: &Version,
    asset: &VerifiedAsset,
    binary: &Path,
    reporter: &dyn Reporter,
) -> Result<()> {
    receipt.version = version.to_string();
    receipt.asset_url = Some(asset.url.clone());
    receipt.sha256 = Some(asset.sha256.to_string());
    receipt.platform = Some(asset.platform.key().to_string());
    receipt.installed_at = Some(receipt::rfc3339(std::time::SystemTime::now()));
    receipt.record_binary(binary);
    receipt.save(path)?;
    reporter.detail(&format!("updated {}", path.display()));
    Ok(())
}
