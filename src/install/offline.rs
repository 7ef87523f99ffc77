//! `--from-file PATH`: installing from a file carried onto the machine, without one
//! network request.
//!
//! The file is a bare binary, an archive or a model bundle with its published name
//! (docs/releases.md); the name gives its version, platform and kind. It is verified as a
//! download is: against the `.sha256` beside it (required: fail closed) and, with a pinned
//! key, the `.minisig` beside it. A bare binary under another name is accepted too, its
//! version then read from its `--version` once its digest matched.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::checksum::{self, Digest};
use crate::error::{Error, Result};
use crate::extract;
use crate::fetch::VerifiedAsset;
use crate::files::{self, TempFile};
use crate::platform::Choice;
use crate::platform::{Platform, executable_name};
use crate::release::{AssetKind, Version, VersionRequest};
use crate::report::Reporter;
use crate::signature;

/// What a local file is, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalKind {
    /// The executable itself.
    Binary,
    /// A `.tar.gz` or `.zip` holding it.
    Archive(AssetKind),
    /// A model bundle of this model.
    Bundle(String),
}

/// A local file's published name, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalName {
    /// The version, when the name has one (legacy names do not).
    pub version: Option<Version>,
    /// The platform, when the name has one.
    pub platform: Option<Platform>,
    /// What it holds.
    pub kind: LocalKind,
}

/// Reads a published caro asset name: `caro-{V}-{P}{X}`, `caro-{V}-{P}.tar.gz` (`.zip` on
/// Windows), `caro-{V}-{P}-with-{M}.tar.gz`, or the legacy `caro-{P}{X}`. Any other name
/// is taken as a bare binary of unknown version and platform.
pub fn parse_local_name(name: &str) -> LocalName {
    let unknown = LocalName {
        version: None,
        platform: None,
        kind: LocalKind::Binary,
    };
    let Some(rest) = name.strip_prefix("caro-") else {
        return unknown;
    };
    for platform in Platform::ALL {
        let key = platform.key();
        if rest == format!("{key}{}", platform.exe_suffix()) {
            return LocalName {
                version: None,
                platform: Some(platform),
                kind: LocalKind::Binary,
            };
        }
        let marker = format!("-{key}");
        for (at, _) in rest.match_indices(&marker) {
            let Ok(version) = Version::parse(&rest[..at]) else {
                continue;
            };
            let suffix = &rest[at + marker.len()..];
            let archive = if platform.is_windows() {
                (".zip", AssetKind::Zip)
            } else {
                (".tar.gz", AssetKind::TarGz)
            };
            let kind = if suffix == platform.exe_suffix() {
                LocalKind::Binary
            } else if suffix == archive.0 {
                LocalKind::Archive(archive.1)
            } else if let Some(model) = suffix
                .strip_prefix("-with-")
                .and_then(|s| s.strip_suffix(".tar.gz"))
                .filter(|model| crate::names::check_model_name(model).is_ok())
            {
                LocalKind::Bundle(model.to_string())
            } else {
                continue;
            };
            return LocalName {
                version: Some(version),
                platform: Some(platform),
                kind,
            };
        }
    }
    unknown
}

/// Opens the carried file through the guard (`files::open_regular_shared`): what was looked
/// at by [`check_local_file`] and what is read are the same regular file, so one swapped for
/// a FIFO in between is refused, never read. Another user may own it (a USB stick).
pub fn open_carried(path: &Path) -> Result<File> {
    match crate::files::open_regular_shared(path) {
        Ok(Some(file)) => Ok(file),
        Ok(None) => Err(Error::file("read", path)(
            std::io::ErrorKind::NotFound.into(),
        )),
        Err(refused) => Err(Error::UnsafeFile {
            operation: "read the file to install",
            path: path.to_path_buf(),
            refused,
        }),
    }
}

/// Checks that `path` is a regular file (a link to one is fine: the user named it) and
/// returns its file name.
pub fn check_local_file(path: &Path) -> Result<String> {
    let refuse = |reason: &str, help: &str| Error::LocalFile {
        path: path.to_path_buf(),
        reason: reason.to_string(),
        help: help.to_string(),
    };
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => {}
        Ok(_) => {
            return Err(refuse(
                "it is not a regular file",
                "pass the path of a caro release asset, archive or model bundle",
            ));
        }
        Err(e) => {
            return Err(refuse(
                &format!("it cannot be read ({e})"),
                "check the path; the file and its `.sha256` must be on this machine",
            ));
        }
    }
    Ok(path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// The digest `path.sha256` gives for `file_name`; a missing sidecar is an error, as on
/// the network.
pub fn sidecar_digest(path: &Path, file_name: &str) -> Result<Digest> {
    let sidecar = sidecar_path(path, "sha256");
    let text = files::read_regular_text(&sidecar, checksum::MAX_SIDECAR_BYTES)
        .map_err(|refused| Error::UnsafeFile {
            operation: "read the sidecar",
            path: sidecar.clone(),
            refused,
        })?
        .ok_or_else(|| Error::MissingSidecar {
            url: sidecar.display().to_string(),
            asset: path.display().to_string(),
        })?;
    checksum::parse_sidecar(&text, file_name).map_err(|reason| Error::InvalidSidecar {
        url: sidecar.display().to_string(),
        reason,
    })
}

/// The text of `path.minisig`, and its path as text, when a key is pinned.
pub fn signature_text(path: &Path) -> Result<(String, String)> {
    let signature = sidecar_path(path, "minisig");
    let shown = signature.display().to_string();
    let text = files::read_regular_text(&signature, signature::MAX_SIGNATURE_BYTES)
        .map_err(|refused| Error::UnsafeFile {
            operation: "read the signature",
            path: signature.clone(),
            refused,
        })?
        .ok_or_else(|| Error::MissingSignature { url: shown.clone() })?;
    Ok((shown, text))
}

fn sidecar_path(path: &Path, extension: &str) -> PathBuf {
    let mut text = path.as_os_str().to_owned();
    text.push(format!(".{extension}"));
    PathBuf::from(text)
}

/// Copies the bare binary or archive at `path` into a temp file in `dir`, hashing it,
/// checks the digest and the signature, and extracts the binary from an archive: the
/// local twin of [`crate::fetch::fetch_verified`].
pub fn fetch_local(
    path: &Path,
    kind: &LocalKind,
    version: &Version,
    platform: Platform,
    dir: &Path,
    signatures: &signature::Policy,
    reporter: &dyn Reporter,
) -> Result<(TempFile, VerifiedAsset)> {
    let label = path.display().to_string();
    let file_name = check_local_file(path)?;
    let expected = sidecar_digest(path, &file_name)?;
    let mut copy = TempFile::create(dir, &file_name)?;
    let mut source = open_carried(path)?;
    let mut hasher = Sha256::new();
    let bytes =
        crate::download::copy_hashing(&mut source, copy.file_mut(), &mut hasher, 0, reporter)
            .map_err(|(_, source)| Error::Download {
                url: label.clone(),
                source,
            })?;
    let actual = Digest(hasher.finalize().into());
    if actual != expected {
        return Err(Error::ChecksumMismatch {
            asset: label,
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    }
    reporter.detail(&format!(
        "verified {label} ({bytes} bytes, sha256 {expected})"
    ));
    if let Some(key) = signatures.key() {
        let (url, text) = signature_text(path)?;
        signature::verify(key, &text, copy.file_mut(), &file_name, version).map_err(|reason| {
            Error::SignatureInvalid {
                url: url.clone(),
                reason,
            }
        })?;
        reporter.detail(&format!("verified the minisign signature {url}"));
    }
    let binary = match kind {
        LocalKind::Archive(kind) => {
            let name = executable_name("caro", platform);
            let mut out = TempFile::create(dir, &name)?;
            extract::extract_binary(
                copy.file_mut(),
                *kind,
                &name,
                out.file_mut(),
                &label,
                extract::MAX_EXTRACTED_BYTES,
            )?;
            out
        }
        _ => copy,
    };
    Ok((binary, VerifiedAsset::new(&label, expected, platform)))
}

/// How long a binary of unknown version may take to say its version.
const VERSION_SECONDS: u64 = 10;

/// Runs the verified binary at `path` with `--version` (bounded in time and output, no
/// token in its environment) and reads `caro X.Y.Z` from what it prints.
pub fn version_of(path: &Path) -> Result<Version> {
    let failed = |reason: String| Error::LocalFile {
        path: path.to_path_buf(),
        reason,
        help: "name the file as published (`caro-{VERSION}-{PLATFORM}`), so its version \
               need not be asked"
            .to_string(),
    };
    let mut child = Command::new(path)
        .arg("--version")
        .env_remove("CARO_GITHUB_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => failed(
                "its name gives no version, and it is not executable to ask it (`chmod +x` it)"
                    .to_string(),
            ),
            _ => failed(format!("its version could not be asked: {e}")),
        })?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().ok().flatten() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(VERSION_SECONDS) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed(format!(
                "`--version` did not answer within {VERSION_SECONDS} s"
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut output = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = stdout.take(4096).read_to_end(&mut output);
    }
    let text = String::from_utf8_lossy(&output);
    let version = text
        .split_whitespace()
        .skip_while(|word| *word != "caro")
        .nth(1)
        .and_then(|word| Version::parse(word.trim_start_matches('v')).ok());
    match version {
        Some(version) if status.success() => Ok(version),
        _ => Err(failed(format!(
            "its `--version` printed no caro version: `{}`",
            text.trim().escape_debug()
        ))),
    }
}

/// Checks that a local file can be what was asked for: its name's version and platform
/// agree with `--version` and this machine (or `--platform`), and a bundle is given when a
/// model is wanted. Returns the model to install: the bundle's.
pub fn check_local(
    path: &Path,
    name: &LocalName,
    version: &VersionRequest,
    platform: &Choice,
    model: Option<String>,
) -> Result<Option<String>> {
    let refuse = |reason: String, help: String| Error::LocalFile {
        path: path.to_path_buf(),
        reason,
        help,
    };
    if let (Some(named), VersionRequest::Exact(asked)) = (&name.version, version) {
        if named != asked {
            return Err(refuse(
                format!("its name says caro {named}, not {asked}"),
                "drop `--version`: the file's name gives its version".to_string(),
            ));
        }
    }
    if let Some(named) = name.platform {
        if named != platform.platform && Some(named) != platform.fallback {
            return Err(refuse(
                format!(
                    "it is for {named}, and this install is for {}",
                    platform.platform
                ),
                format!(
                    "use the file for {}, or pass `--platform {named}` if this machine runs it",
                    platform.platform
                ),
            ));
        }
    }
    match (&name.kind, model) {
        (LocalKind::Bundle(bundled), Some(asked)) if *bundled != asked => Err(refuse(
            format!("it is the bundle of `{bundled}`, not of `{asked}`"),
            format!("pass `--with-model {bundled}`, or the bundle of `{asked}`"),
        )),
        (LocalKind::Bundle(bundled), _) => Ok(Some(bundled.clone())),
        (_, Some(asked)) => Err(refuse(
            format!("it is not a model bundle, and `--with-model {asked}` asks for one"),
            format!(
                "pass the bundle `caro-VERSION-PLATFORM-with-{asked}.tar.gz`, or drop `--with-model`"
            ),
        )),
        (_, None) => Ok(None),
    }
}

/// The version of a local file: from its name, or else (a bare binary under another name)
/// from its `--version`, once its digest matched its sidecar. No network.
pub fn local_version(path: &Path, name: &LocalName) -> Result<(Version, String)> {
    if let Some(version) = &name.version {
        return Ok((version.clone(), "from the file's name".to_string()));
    }
    let file_name = check_local_file(path)?;
    let expected = sidecar_digest(path, &file_name)?;
    let (actual, _) = crate::receipt::sha256_of_file(path).map_err(Error::file("read", path))?;
    if !actual.eq_ignore_ascii_case(&expected.to_string()) {
        return Err(Error::ChecksumMismatch {
            asset: path.display().to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok((version_of(path)?, "from the binary's --version".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Option<Version> {
        Some(Version::parse(text).unwrap())
    }

    #[test]
    fn published_names_give_version_platform_and_kind() {
        let name = parse_local_name("caro-1.2.0-linux-amd64");
        assert_eq!(name.version, v("1.2.0"));
        assert_eq!(name.platform, Some(Platform::LinuxAmd64));
        assert_eq!(name.kind, LocalKind::Binary);
        let name = parse_local_name("caro-1.1.0-beta.2-linux-arm64-musl.tar.gz");
        assert_eq!(name.version, v("1.1.0-beta.2"));
        assert_eq!(name.platform, Some(Platform::LinuxArm64Musl));
        assert_eq!(name.kind, LocalKind::Archive(AssetKind::TarGz));
        let name = parse_local_name("caro-1.2.0-windows-amd64.zip");
        assert_eq!(name.kind, LocalKind::Archive(AssetKind::Zip));
        let name = parse_local_name("caro-1.2.0-macos-silicon-with-qwen-1.5b.tar.gz");
        assert_eq!(name.platform, Some(Platform::MacosSilicon));
        assert_eq!(name.kind, LocalKind::Bundle("qwen-1.5b".into()));
        let name = parse_local_name("caro-linux-amd64");
        assert_eq!(
            (name.version, name.platform),
            (None, Some(Platform::LinuxAmd64))
        );
    }

    #[test]
    fn other_names_are_bare_binaries_of_unknown_version() {
        for name in [
            "caro",
            "my-caro",
            "caro-1.2.0-linux-amd64.zip",
            "caro-1.2.0-windows-amd64.tar.gz",
            "caro-1.2.0-linux-amd64-with-../x.tar.gz",
            "caro-x-linux-amd64",
        ] {
            let parsed = parse_local_name(name);
            assert_eq!(
                (parsed.version, parsed.platform, parsed.kind),
                (None, None, LocalKind::Binary),
                "{name}"
            );
        }
    }
}
