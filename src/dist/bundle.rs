//! Model bundles: caro and a model in one archive, so caro works offline from its first run.
//!
//! `--bundle NAME=MODEL_FILE:LICENSE_FILE` (repeatable) writes, for every build of the
//! release, `caro-{V}-{KEY}-with-{NAME}.tar.gz` ([`names::bundle`]) beside the release
//! assets, with its `.sha256` sidecar (and `.minisig` when the release is signed). The
//! layout is the one caro's bundle workflow has published, which the installer's
//! `--with-model` reads (`docs/releases.md`):
//!
//! ```text
//! caro                      caro.exe on Windows: the release asset's very bytes
//! models/<model file>       the model, a `.gguf` file
//! licenses/<license file>   the model's licence
//! THIRD_PARTY_NOTICES.txt   what the bundle holds besides caro, and under which licence
//! ```
//!
//! The archive is reproducible (see `docs/channels.md`): the same binary, model and licence
//! give the same bytes, so a bundle can be rebuilt and compared. The binary is taken from
//! the versioned release asset and checked against its digest while it is copied, so a
//! bundle never carries other bytes than the release it belongs to.

use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::archive::{self, Hashing};
use super::{Asset, invalid};
use crate::error::{Error, Result};
use crate::files::TempFile;
use crate::names;
use crate::release::Version;
use crate::report::Silent;

/// One `--bundle NAME=MODEL_FILE:LICENSE_FILE`: a model to publish with every build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSpec {
    /// The model's name in the bundle's file name (`smollm-135m`).
    pub model: String,
    /// The model file; its name becomes `models/<name>`.
    pub model_file: PathBuf,
    /// The model's licence; its name becomes `licenses/<name>`.
    pub license_file: PathBuf,
}

impl FromStr for BundleSpec {
    type Err = Error;

    /// Parses `NAME=MODEL_FILE:LICENSE_FILE`. The `:` after a Windows drive letter at the
    /// start of the model path (`C:\models\m.gguf`) does not separate.
    fn from_str(input: &str) -> Result<BundleSpec> {
        let usage = "a bundle is `NAME=MODEL_FILE:LICENSE_FILE`, such as \
                     `smollm-135m=models/smollm-135m.gguf:licenses/LICENSE-smollm`";
        let Some((model, paths)) = input.split_once('=') else {
            return Err(invalid(input, usage));
        };
        let bytes = paths.as_bytes();
        let drive = bytes.len() > 2
            && bytes[0].is_ascii_alphabetic()
            && bytes[1] == b':'
            && matches!(bytes[2], b'\\' | b'/');
        let skip = if drive { 2 } else { 0 };
        let Some(at) = paths[skip..].find(':').map(|at| at + skip) else {
            return Err(invalid(input, usage));
        };
        let (model_file, license_file) = (&paths[..at], &paths[at + 1..]);
        if model_file.is_empty() || license_file.is_empty() {
            return Err(invalid(input, usage));
        }
        if !names::is_model_name(model) {
            return Err(invalid(
                input,
                &format!(
                    "the model name `{model}` must be lower-case letters, digits, `.` and `-` \
                     (such as `qwen-1.5b`)"
                ),
            ));
        }
        Ok(BundleSpec {
            model: model.to_string(),
            model_file: PathBuf::from(model_file),
            license_file: PathBuf::from(license_file),
        })
    }
}

/// A bundle [`write()`] is to lay out: which release asset and which model, under which name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBundle {
    /// The release asset whose binary goes in (versioned, with its digest).
    pub asset: Asset,
    /// The model it carries.
    pub spec: BundleSpec,
    /// `caro-{V}-{KEY}-with-{NAME}.tar.gz`.
    pub file_name: String,
    /// `models/<model file name>`.
    pub model_entry: String,
    /// `licenses/<license file name>`.
    pub license_entry: String,
}

/// A file's name, which must be plain (no separators, not `.` or `..`) and printable.
fn plain_file_name(path: &Path, what: &str) -> Result<String> {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .filter(|name| {
            !name.is_empty()
                && !name.starts_with('.')
                && !name.chars().any(|c| c.is_control() || c == '\\')
        })
        .ok_or_else(|| {
            invalid(
                &path.display().to_string(),
                &format!("the {what} needs a plain file name"),
            )
        })?;
    Ok(name.to_string())
}

/// Checks the bundles of `name` at `version`: one per versioned asset and spec. Refused
/// before anything is written: bundles of anything but caro, a model name given twice, a
/// model file that is not a `.gguf` file, a model or licence file that is missing.
pub fn plan(
    name: &str,
    version: &Version,
    assets: &[Asset],
    specs: &[BundleSpec],
) -> Result<Vec<PlannedBundle>> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    if name != names::CARO {
        return Err(invalid(
            name,
            "model bundles are made of caro's builds only (`--name caro`)",
        ));
    }
    let mut planned = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        if specs[..index].iter().any(|other| other.model == spec.model) {
            return Err(invalid(
                &spec.model,
                "the model is given twice (`--bundle`)",
            ));
        }
        let model_entry = plain_file_name(&spec.model_file, "model file")?;
        if !model_entry.ends_with(".gguf") {
            return Err(invalid(
                &spec.model_file.display().to_string(),
                "a bundle's model is a `.gguf` file, which caro loads",
            ));
        }
        let license_entry = plain_file_name(&spec.license_file, "licence file")?;
        for (path, what) in [(&spec.model_file, "model"), (&spec.license_file, "licence")] {
            if !fs::metadata(path).is_ok_and(|meta| meta.is_file()) {
                return Err(invalid(
                    &path.display().to_string(),
                    &format!("the {what} file of `{}` does not exist", spec.model),
                ));
            }
        }
        for asset in assets.iter().filter(|asset| !asset.legacy) {
            planned.push(PlannedBundle {
                asset: asset.clone(),
                spec: spec.clone(),
                file_name: names::bundle(name, version, asset.platform, &spec.model),
                model_entry: format!("models/{model_entry}"),
                license_entry: format!("licenses/{license_entry}"),
            });
        }
    }
    Ok(planned)
}

/// The text of `THIRD_PARTY_NOTICES.txt`: what the bundle holds besides caro.
pub fn notices(bundle: &PlannedBundle, version: &Version) -> String {
    format!(
        "THIRD PARTY NOTICES\n\
         ===================\n\
         \n\
         This bundle holds caro {version} for {platform} and a third-party model:\n\
         \n\
         Model: {model}\n\
         File: {model_entry}\n\
         License: see {license_entry}\n\
         \n\
         The model file is distributed unmodified, under its own licence; caro itself is\n\
         under the licence of its repository.\n",
        platform = bundle.asset.platform,
        model = bundle.spec.model,
        model_entry = bundle.model_entry,
        license_entry = bundle.license_entry,
    )
}

/// Writes each planned bundle into `release_dir`, where the release assets are, with its
/// sidecar; `mtime` is every entry's time. Returns the bundles as assets.
pub fn write(
    bundles: &[PlannedBundle],
    version: &Version,
    release_dir: &Path,
    mtime: u64,
) -> Result<Vec<Asset>> {
    let mut written = Vec::with_capacity(bundles.len());
    for bundle in bundles {
        let path = release_dir.join(&bundle.file_name);
        let mut temp = TempFile::create(release_dir, &bundle.file_name)?;
        let hashing = Hashing::new(temp.file_mut());
        let mut tar = tar::Builder::new(archive::gzip(hashing));
        let platform = bundle.asset.platform;
        let binary = crate::platform::executable_name(names::CARO, platform);
        let from = release_dir.join(&bundle.asset.file_name);
        let digest = archive::append_file(&mut tar, &binary, 0o755, &from, mtime, &path)?;
        if digest != bundle.asset.sha256 {
            return Err(Error::file("read", &from)(std::io::Error::other(format!(
                "its sha256 is {digest}, not the release's {}",
                bundle.asset.sha256
            ))));
        }
        archive::append_dir(&mut tar, "models", mtime, &path)?;
        archive::append_file(
            &mut tar,
            &bundle.model_entry,
            0o644,
            &bundle.spec.model_file,
            mtime,
            &path,
        )?;
        archive::append_dir(&mut tar, "licenses", mtime, &path)?;
        archive::append_file(
            &mut tar,
            &bundle.license_entry,
            0o644,
            &bundle.spec.license_file,
            mtime,
            &path,
        )?;
        let notices = notices(bundle, version);
        archive::append_bytes(
            &mut tar,
            "THIRD_PARTY_NOTICES.txt",
            0o644,
            notices.as_bytes(),
            mtime,
            &path,
        )?;
        let gzip = tar.into_inner().map_err(Error::file("write", &path))?;
        let hashing = gzip.finish().map_err(Error::file("write", &path))?;
        let (_, sha256, _) = hashing.finish();
        temp.persist(&path, &Silent)?;
        let asset = Asset {
            file_name: bundle.file_name.clone(),
            platform,
            legacy: false,
            sha256,
        };
        crate::files::write_atomically(
            &release_dir.join(asset.sidecar_name()),
            asset.sidecar().as_bytes(),
        )?;
        written.push(asset);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Digest;
    use crate::platform::Platform;

    #[test]
    fn specs_parse_name_model_and_licence() {
        let spec: BundleSpec = "smollm-135m=m/smollm-135m.gguf:l/LICENSE".parse().unwrap();
        assert_eq!(spec.model, "smollm-135m");
        assert_eq!(spec.model_file, PathBuf::from("m/smollm-135m.gguf"));
        assert_eq!(spec.license_file, PathBuf::from("l/LICENSE"));
        let windows: BundleSpec = r"qwen-1.5b=C:\m\q.gguf:C:\l\LICENSE".parse().unwrap();
        assert_eq!(windows.model_file, PathBuf::from(r"C:\m\q.gguf"));
        assert_eq!(windows.license_file, PathBuf::from(r"C:\l\LICENSE"));
        for bad in [
            "smollm",
            "smollm=m.gguf",
            "smollm=:LICENSE",
            "smollm=m.gguf:",
            "Smollm=m.gguf:L",
            "../x=m.gguf:L",
            "=m.gguf:L",
        ] {
            let error = bad.parse::<BundleSpec>().unwrap_err().to_string();
            assert!(error.contains(bad), "{bad}: {error}");
        }
    }

    #[test]
    fn bundles_are_for_caro_and_gguf_models_only() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.gguf");
        let license = dir.path().join("LICENSE");
        fs::write(&model, b"GGUF").unwrap();
        fs::write(&license, b"Apache-2.0").unwrap();
        let spec = BundleSpec {
            model: "m".to_string(),
            model_file: model.clone(),
            license_file: license.clone(),
        };
        let version = Version::new(1, 2, 0);
        let asset = Asset {
            file_name: "caro-1.2.0-linux-amd64".to_string(),
            platform: Platform::LinuxAmd64,
            legacy: false,
            sha256: Digest([0; 32]),
        };
        let planned = plan(
            "caro",
            &version,
            std::slice::from_ref(&asset),
            std::slice::from_ref(&spec),
        )
        .unwrap();
        assert_eq!(planned[0].file_name, "caro-1.2.0-linux-amd64-with-m.tar.gz");
        assert_eq!(planned[0].model_entry, "models/m.gguf");
        let refuse = |name: &str, specs: &[BundleSpec], expected: &str| {
            let error = plan(name, &version, std::slice::from_ref(&asset), specs)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{error}");
        };
        refuse(
            "caro-install",
            std::slice::from_ref(&spec),
            "caro's builds only",
        );
        refuse("caro", &[spec.clone(), spec.clone()], "given twice");
        let not_gguf = BundleSpec {
            model_file: license.clone(),
            ..spec.clone()
        };
        refuse("caro", &[not_gguf], "`.gguf` file");
        let missing = BundleSpec {
            license_file: dir.path().join("NOPE"),
            ..spec
        };
        refuse("caro", &[missing], "licence file of `m` does not exist");
    }
}
