//! Fetching a build and proving it is the real thing: the published asset, its `.sha256`
//! sidecar and, with a pinned key, its minisign signature; and what to say when the build
//! is missing (a typo, a wrong mirror, or a release whose builds are still uploading).

mod latest;

pub use latest::resolve_version;

use std::fs::File;
use std::path::Path;

use crate::checksum::{self, Digest};
use crate::download::Http;
use crate::error::{Error, Result};
use crate::extract;
use crate::files::TempFile;
use crate::names;
use crate::platform::{Choice, Platform, executable_name};
use crate::release::{self, AssetKind, ReleaseSource, Version, VersionRequest};
use crate::report::Reporter;
use crate::signature;

/// The asset that was downloaded and verified. Made only by [`VerifiedAsset::new`], which
/// redacts the URL: whatever path a build came by (the release, a bundle, a local file), no
/// password in it reaches the receipt or the terminal.
#[derive(Debug, Clone)]
pub struct VerifiedAsset {
    /// Its URL (or path), userinfo redacted: what is shown and recorded in the receipt.
    pub url: String,
    /// Its digest, as published and as computed.
    pub sha256: Digest,
    /// The platform it is for (the fallback's, when the preferred had none).
    pub platform: Platform,
    /// Keeps struct literals out of other modules: every one goes through `new`.
    _redacted: (),
}

impl VerifiedAsset {
    /// The verified asset at `url` (userinfo redacted here, once for every way in).
    pub fn new(url: &str, sha256: Digest, platform: Platform) -> VerifiedAsset {
        VerifiedAsset {
            url: crate::report::redact_url(url).into_owned(),
            sha256,
            platform,
            _redacted: (),
        }
    }
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
            let sidecar_url = names::sidecar(&url);
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
                version,
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
            return Ok((executable, VerifiedAsset::new(&url, expected, platform)));
        }
    }
    Err(missing_build(wanted, tried, http, reporter))
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
            let sidecar = names::sidecar(&url);
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

/// Verifies `<url>.minisig` against `file` when a key is pinned (docs/security.md): it must
/// be published, made with the key, match the bytes, and name `asset_name` and `version`.
/// Every candidate name goes through here, legacy names included.
fn check_signature(
    url: &str,
    asset_name: &str,
    version: &Version,
    file: &mut File,
    policy: &signature::Policy,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<()> {
    let Some(key) = policy.key() else {
        return Ok(());
    };
    let signature_url = names::signature(url);
    let text = http
        .get_text(&signature_url, signature::MAX_SIGNATURE_BYTES, reporter)?
        .ok_or_else(|| Error::MissingSignature {
            url: signature_url.clone(),
        })?;
    signature::verify(key, &text, file, asset_name, version).map_err(|reason| {
        Error::SignatureInvalid {
            url: signature_url.clone(),
            reason,
        }
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
            let sidecar = source.asset_url(version, &names::sidecar(&candidate.file_name));
            if http.exists(&sidecar, reporter)? {
                reporter.detail(&format!("release {version} exists: {sidecar}"));
                return Ok(true);
            }
        }
    }
    Ok(false)
}
