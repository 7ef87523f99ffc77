//! Fetching a model bundle and proving it is the real thing, from a release or from a
//! local file: the sidecar (and signature) are read first, the bundle is unpacked as it
//! streams in ([`bundle::Unpacker`]), and only a bundle whose every byte matched is
//! handed on to be placed.

use std::path::Path;

use sha2::{Digest as _, Sha256};

use super::bundle::{self, Destinations, Unpacked, UnpackedBundle, Unpacker};
use crate::checksum::{self, Digest};
use crate::download::{Downloaded, Http, Sink};
use crate::error::{Error, Result};
use crate::fetch::{VerifiedAsset, Wanted};
use crate::names;
use crate::platform::Platform;
use crate::release::Version;
use crate::report::Reporter;
use crate::signature;

/// A bundle whose digest (and signature) matched, unpacked into temp files.
#[derive(Debug)]
pub struct VerifiedBundle {
    /// The model name.
    pub model: String,
    /// The binary, in a temp file in the install directory.
    pub binary: Unpacked,
    /// The models, licences and notices, in temp files beside their places.
    pub rest: UnpackedBundle,
    /// Where it came from and its digest.
    pub asset: VerifiedAsset,
}

/// What a bundle's bytes must match: its sidecar's digest and, with a pinned key, its
/// minisign signature's text.
struct Expected {
    sha256: Digest,
    signature: Option<(String, String)>,
    /// The trusted comment a signature must carry: `file:<bundle> version:<V>`.
    comment: String,
}

/// Checks that the bundle of `model` is published, with its sidecar, without downloading
/// it (`--dry-run`).
pub fn find_bundle(
    wanted: &Wanted,
    model: &str,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<()> {
    let platform = wanted.choice.platform;
    let file_name = bundle::bundle_file_name(wanted.version, platform, model);
    let url = wanted.source.asset_url(wanted.version, &file_name);
    if !http.exists(&url, reporter)? {
        return Err(missing_bundle(wanted, model, url, http, reporter));
    }
    let sidecar = names::sidecar(&url);
    if !http.exists(&sidecar, reporter)? {
        return Err(Error::MissingSidecar {
            url: sidecar,
            asset: url,
        });
    }
    Ok(())
}

/// The error for a bundle that is not published, naming the ones that are (one more
/// request: the release's asset list).
fn missing_bundle(
    wanted: &Wanted,
    model: &str,
    url: String,
    http: &Http,
    reporter: &dyn Reporter,
) -> Error {
    let platform = wanted.choice.platform;
    let available =
        super::models::list_bundles(wanted.source, wanted.version, platform, http, reporter)
            .ok()
            .map(|listing| {
                listing
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect::<Box<[String]>>()
            });
    Error::NoModelBundle {
        model: model.to_string(),
        version: wanted.version.to_string(),
        platform: platform.key().to_string(),
        url,
        available,
    }
}

/// Downloads and unpacks the bundle of `model` for the caro release and platform `wanted`
/// names (its preferred platform: a bundle has no emulation fallback).
pub fn fetch_bundle(
    wanted: &Wanted,
    model: &str,
    destinations: &Destinations,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<VerifiedBundle> {
    let Wanted {
        source,
        version,
        signatures,
        ..
    } = *wanted;
    let platform = wanted.choice.platform;
    let file_name = bundle::bundle_file_name(version, platform, model);
    let url = source.asset_url(version, &file_name);
    let missing = || missing_bundle(wanted, model, url.clone(), http, reporter);
    let sidecar_url = names::sidecar(&url);
    let Some(text) = http.get_text(&sidecar_url, checksum::MAX_SIDECAR_BYTES, reporter)? else {
        if http.exists(&url, reporter)? {
            return Err(Error::MissingSidecar {
                url: sidecar_url,
                asset: url,
            });
        }
        return Err(missing());
    };
    let sha256 =
        checksum::parse_sidecar(&text, &file_name).map_err(|reason| Error::InvalidSidecar {
            url: sidecar_url.clone(),
            reason,
        })?;
    let signature = match signatures.key() {
        None => None,
        Some(_) => {
            let signature_url = names::signature(&url);
            let text = http
                .get_text(&signature_url, signature::MAX_SIGNATURE_BYTES, reporter)?
                .ok_or_else(|| Error::MissingSignature {
                    url: signature_url.clone(),
                })?;
            Some((signature_url, text))
        }
    };
    let expected = Expected {
        sha256,
        signature,
        comment: names::trusted_comment(&file_name, version),
    };
    let verified = unpack_verified(
        &url,
        &expected,
        destinations,
        signatures,
        reporter,
        |sink| http.download_into(&url, sink, reporter),
    )?;
    let Some((binary, rest)) = verified else {
        return Err(missing());
    };
    Ok(VerifiedBundle {
        model: model.to_string(),
        binary,
        rest,
        asset: VerifiedAsset::new(&url, sha256, platform),
    })
}

/// Unpacks the bundle at `path` (`--from-file`), verified against `path.sha256` (and
/// `path.minisig` with a pinned key) beside it. Not one network request.
pub fn open_bundle(
    path: &Path,
    model: &str,
    version: &Version,
    platform: Platform,
    destinations: &Destinations,
    signatures: &signature::Policy,
    reporter: &dyn Reporter,
) -> Result<VerifiedBundle> {
    let label = path.display().to_string();
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sha256 = super::offline::sidecar_digest(path, &file_name)?;
    let signature = match signatures.key() {
        None => None,
        Some(_) => Some(super::offline::signature_text(path)?),
    };
    let expected = Expected {
        sha256,
        signature,
        comment: names::trusted_comment(&file_name, version),
    };
    let verified = unpack_verified(
        &label,
        &expected,
        destinations,
        signatures,
        reporter,
        |sink| {
            let mut file = super::offline::open_carried(path)?;
            let total = file.metadata().ok().map(|m| m.len());
            sink.expect_length(total)
                .map_err(|source| Error::Download {
                    url: label.clone(),
                    source,
                })?;
            let mut hasher = Sha256::new();
            reporter.download_started(&label, total);
            let copied = crate::download::copy_hashing(&mut file, sink, &mut hasher, 0, reporter);
            reporter.download_finished();
            let bytes = copied.map_err(|(_, source)| Error::Download {
                url: label.clone(),
                source,
            })?;
            Ok(Some(Downloaded {
                sha256: Digest(hasher.finalize().into()),
                bytes,
            }))
        },
    )?;
    let (binary, rest) =
        verified.ok_or_else(|| Error::file("read", path)(std::io::ErrorKind::NotFound.into()))?;
    Ok(VerifiedBundle {
        model: model.to_string(),
        binary,
        rest,
        asset: VerifiedAsset::new(&label, sha256, platform),
    })
}

/// Streams the bundle through an [`Unpacker`] with `transfer`, then checks, in this order:
/// the digest (a damaged or tampered download says so, whatever else went wrong with it),
/// the signature, the unpacking, and that the bundle holds a binary and a model. `None`
/// when `transfer` found nothing (404). On any failure the temp files are gone.
fn unpack_verified(
    label: &str,
    expected: &Expected,
    destinations: &Destinations,
    signatures: &signature::Policy,
    reporter: &dyn Reporter,
    transfer: impl FnOnce(&mut Unpacker<'_>) -> Result<Option<Downloaded>>,
) -> Result<Option<(Unpacked, UnpackedBundle)>> {
    let decoded = match (&expected.signature, signatures.key()) {
        (Some((url, text)), Some(_)) => Some((
            url,
            minisign_verify::Signature::decode(text).map_err(|e| Error::SignatureInvalid {
                url: url.clone(),
                reason: format!("it is not a minisign signature ({e})"),
            })?,
        )),
        _ => None,
    };
    let verifier =
        match (&decoded, signatures.key()) {
            (Some((url, signature)), Some(key)) => Some(key.verify_stream(signature).map_err(
                |e| Error::SignatureInvalid {
                    url: (*url).clone(),
                    reason: match e {
                        minisign_verify::Error::UnexpectedKeyId => {
                            "it was made with another key than the pinned one".to_string()
                        }
                        other => other.to_string(),
                    },
                },
            )?),
            _ => None,
        };
    let mut unpacker = Unpacker::start(destinations, label, verifier);
    let transferred = transfer(&mut unpacker);
    let (unpacked, verifier) = unpacker.finish();
    let downloaded = match (transferred, unpacked) {
        (Ok(Some(downloaded)), unpacked) => {
            if downloaded.sha256 != expected.sha256 {
                return Err(Error::ChecksumMismatch {
                    asset: label.to_string(),
                    expected: expected.sha256.to_string(),
                    actual: downloaded.sha256.to_string(),
                });
            }
            (downloaded, unpacked)
        }
        (Ok(None), _) => return Ok(None),
        // A damaged stream is what a cut transfer looks like to the unpacker: the transfer's
        // error says why. Any other reason (a refused entry, no space) stopped the transfer.
        (Err(error), Err(Error::Archive { .. })) => return Err(error),
        (Err(_), Err(reason)) => return Err(reason),
        (Err(error), Ok(_)) => return Err(error),
    };
    let (downloaded, unpacked) = downloaded;
    reporter.detail(&format!(
        "verified {label} ({} bytes, sha256 {})",
        downloaded.bytes, expected.sha256
    ));
    if let (Some(mut verifier), Some((url, signature))) = (verifier, &decoded) {
        verifier.finalize().map_err(|_| Error::SignatureInvalid {
            url: (*url).clone(),
            reason: "it does not match the downloaded file".to_string(),
        })?;
        let comment = signature.trusted_comment();
        let wanted = &expected.comment;
        if comment != wanted {
            return Err(Error::SignatureInvalid {
                url: (*url).clone(),
                reason: format!(
                    "it signs another file or version: its trusted comment is `{}`, not \
                     `{wanted}` (a signed build replayed under another name or tag)",
                    crate::report::safe(comment)
                ),
            });
        }
        reporter.detail(&format!("verified the minisign signature {url}"));
    }
    let mut unpacked = unpacked?;
    bundle::check_complete(&unpacked, label, &destinations.binary_name)?;
    let binary = unpacked
        .take_binary()
        .expect("check_complete found the binary");
    Ok(Some((binary, unpacked)))
}
