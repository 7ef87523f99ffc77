//! Where the new build comes from: a file carried onto the machine, a model bundle, the
//! release's asset, or (asked for, or agreed to at a terminal) a build from source. Each
//! is verified on the way in; none is placed here.

use super::plan::Plan;
use super::settings::Settings;
use super::source::{build_from_source, find_cargo};
use super::{bundle, offline, with_model};
use crate::download::Http;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fetch::{Wanted, fetch_verified, not_built_yet};
use crate::files::TempFile;
use crate::report::Reporter;

/// What was fetched and verified, not yet placed.
pub(super) struct Fetched {
    /// The new binary, in a temp file in the install directory.
    pub(super) binary: TempFile,
    /// Where it came from; `None` for a build from source.
    pub(super) asset: Option<crate::fetch::VerifiedAsset>,
    /// The model name and the rest of a bundle.
    pub(super) bundle: Option<(String, bundle::UnpackedBundle)>,
}

/// Fetches the build `plan` names, as `settings` ask: from a local file, a model bundle,
/// the release's asset, or a source build.
pub(super) fn obtain(
    settings: &Settings,
    plan: &Plan,
    wanted: &Wanted,
    destinations: Option<&bundle::Destinations>,
    env: &Env,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<Fetched> {
    let platform = plan.platform.platform;
    let from_bundle = |verified: with_model::VerifiedBundle| Fetched {
        binary: verified.binary.temp,
        asset: Some(verified.asset),
        bundle: Some((verified.model, verified.rest)),
    };
    if let Some((path, local)) = &settings.local {
        if let (offline::LocalKind::Bundle(model), Some(destinations)) = (&local.kind, destinations)
        {
            return with_model::open_bundle(
                path,
                model,
                &plan.version,
                platform,
                destinations,
                &settings.signatures,
                reporter,
            )
            .map(from_bundle);
        }
        let (binary, asset) = offline::fetch_local(
            path,
            &local.kind,
            &plan.version,
            platform,
            &settings.install_dir,
            &settings.signatures,
            reporter,
        )?;
        return Ok(Fetched {
            binary,
            asset: Some(asset),
            bundle: None,
        });
    }
    if let (Some(model), Some(destinations)) = (&settings.model, destinations) {
        return with_model::fetch_bundle(wanted, model, destinations, http, reporter)
            .map(from_bundle);
    }
    let (binary, asset) = if settings.from_source {
        (
            build_from_source(
                &plan.version,
                platform,
                &settings.install_dir,
                env,
                reporter,
            )?,
            None,
        )
    } else {
        match fetch_verified(wanted, http, reporter)
            .map_err(|e| not_built_yet(e, &settings.version, wanted, http, reporter))
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
                // `-y` skips the question, and so answers no: it never consents to a build.
                let asked = !settings.yes && find_cargo(env).is_some();
                if !asked || reporter.confirm(&question) != Some(true) {
                    return Err(Error::NoAssetForPlatform {
                        name,
                        version,
                        platform,
                        tried,
                    });
                }
                (
                    build_from_source(
                        &plan.version,
                        plan.platform.platform,
                        &settings.install_dir,
                        env,
                        reporter,
                    )?,
                    None,
                )
            }
            Err(error) => return Err(error),
        }
    };
    Ok(Fetched {
        binary,
        asset,
        bundle: None,
    })
}
