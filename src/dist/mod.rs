//! Laying out a release: the packaging side of the naming in `release.rs`.
//!
//! The installer finds assets by name, so the names a release publishes and the names the
//! installer tries must never drift apart. This module writes releases with the very
//! functions the installer reads them with ([`asset_candidates`], [`Platform::key`],
//! [`Digest`]), for caro and for caro-install alike. Given built binaries, [`package`]
//! writes into one directory, for each build:
//!
//! - `NAME-{V}-{P}{X}`, the versioned asset (`docs/releases.md`, releases from 1.0.3 on);
//! - for caro-install only, `NAME-{P}{X}`, the legacy asset, which older installers and
//!   the bootstrap scripts' `releases/latest/download/caro-install-{P}{X}` ask for. caro's
//!   releases carry versioned names only ([`names::publishes_legacy_names`]): a name every
//!   release shares is one an old signed build can be replayed under;
//! - a `.sha256` sidecar beside each, in GNU form (`HEX  name`);
//!
//! and one `SHA256SUMS` over every asset, so `sha256sum -c SHA256SUMS` checks a download
//! by hand. Every file is written to a temp file and renamed into place, so a build may
//! even be packaged from the output directory itself. [`Mirror`] lays the same files out
//! as a static, GitHub-shaped mirror (see [`mirror`] for the `releases/latest` clash).
//!
//! ## Channels
//!
//! Beside the release, from its versioned assets (each checked against its digest as it is
//! read, so a channel never carries other bytes than the release): [`bundle`] (caro with a
//! model, offline from its first run), [`nuget`] (`caro.{V}.nupkg`), [`oci`] (a container
//! image layout, `linux/amd64` and `linux/arm64`), [`homebrew`] (`caro.rb` for the tap), and
//! [`crate::npm`]. Every name comes from [`names`] (`names.rs`), the installer's own table, and
//! every archive is reproducible: the same inputs give the same bytes. `docs/channels.md`
//! says what each holds and how it is checked.
//!
//! ## Why the command is an example
//!
//! The packaging command is `examples/dist.rs`, a thin shell over this module
//! (`cargo run --release --example dist -- --name caro --version 1.2.0 --out dist/ KEY=PATH...`).
//! This module and [`crate::npm`] are the crate's `publish` feature, which is off by
//! default: caro's library and the `caro-install` binary never carry them, and nothing
//! here pulls in a dependency the installer does not already have. The tests and examples
//! turn the feature on through the crate's dev-dependency on itself, so the command needs
//! no flag. caro's release pipeline runs the same command from a pinned checkout of this
//! repository, so both projects publish under names that come from one place. Keeping the
//! logic in the library rather than the example means it is unit-tested with the rest and
//! documented like any other module (`cargo doc --features publish`).

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sha2::Digest as _;

use crate::checksum::Digest;
use crate::error::{Error, Result};
use crate::files::{TempFile, write_atomically};

/// The naming table the publisher and the installer share, for the release workflows'
/// own steps (signing, checks).
pub mod names {
    pub use crate::names::*;
}
use crate::platform::Platform;
use crate::release::{AssetKind, Version, VersionRequest, asset_candidates};
use crate::report::Silent;

mod archive;
pub mod bundle;
pub mod homebrew;
pub mod mirror;
pub mod nuget;
pub mod oci;
mod product;

pub use bundle::BundleSpec;
pub use mirror::{Latest, Mirror};
pub use product::{Product, SourceDate};

/// The binary names this module packages: caro itself and this installer.
pub const NAMES: [&str; 2] = [names::CARO, names::INSTALLER];

/// The checksum file over every asset of a release, in `sha256sum` format.
pub const SUMS_FILE: &str = "SHA256SUMS";

/// One built binary and the platform key it is published under, given on the command line
/// as `KEY=PATH` (`macos-silicon=target/release/caro`). The same file may be given under
/// several keys: caro-install's static musl build is published as both `linux-amd64` and
/// `linux-amd64-musl`, since it runs on both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// The key of docs/platforms.md the binary is published under.
    pub platform: Platform,
    /// Where the built binary is.
    pub path: PathBuf,
}

impl FromStr for Build {
    type Err = Error;

    /// Parses `KEY=PATH`; the key must be one of docs/platforms.md and the path not empty.
    fn from_str(input: &str) -> Result<Build> {
        let Some((key, path)) = input.split_once('=') else {
            return Err(invalid(
                input,
                "a build is `KEY=PATH`, such as `linux-amd64=target/release/caro`",
            ));
        };
        if path.is_empty() {
            return Err(invalid(input, "the path after `=` is empty"));
        }
        Ok(Build {
            platform: key.parse()?,
            path: PathBuf::from(path),
        })
    }
}

/// A file of a release as published: one name of one build, and the digest of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// The file name on the release, such as `caro-1.2.0-linux-amd64`.
    pub file_name: String,
    /// The platform key it was built for.
    pub platform: Platform,
    /// True for the unversioned `NAME-{P}{X}` name, false for `NAME-{V}-{P}{X}`.
    pub legacy: bool,
    /// The SHA-256 of its bytes.
    pub sha256: Digest,
}

impl Asset {
    /// The name of its sidecar: the file name with `.sha256` appended.
    pub fn sidecar_name(&self) -> String {
        format!("{}.sha256", self.file_name)
    }

    /// The sidecar's text in GNU coreutils form, `HEX  name` and a newline: what
    /// `sha256sum` prints, and one of the forms [`crate::parse_sidecar`] reads.
    pub fn sidecar(&self) -> String {
        format!("{}  {}\n", self.sha256, self.file_name)
    }
}

/// The binary names the installer tries for a `name` build on `platform` at `version`:
/// the versioned name first, then the legacy one, taken from [`asset_candidates`] so the
/// two sides cannot disagree. [`plan`] publishes the legacy one for caro-install only.
pub fn asset_names(name: &str, version: &Version, platform: Platform) -> Vec<String> {
    asset_candidates(name, version, platform)
        .into_iter()
        .filter(|candidate| candidate.kind == AssetKind::Binary)
        .map(|candidate| candidate.file_name)
        .collect()
}

/// The text of `SHA256SUMS` for `assets`: one `HEX  name` line per asset, sorted by name,
/// which `sha256sum -c` checks and [`crate::parse_sidecar`] reads.
pub fn sums(assets: &[Asset]) -> String {
    let mut lines: Vec<String> = assets.iter().map(Asset::sidecar).collect();
    lines.sort();
    lines.concat()
}

/// Reads the version a release is made for: `1.2.0` or `v1.2.0` (a tag), pre-releases
/// included; `latest` and anything that is no exact version are refused.
pub fn release_version(input: &str) -> Result<Version> {
    match input.parse::<VersionRequest>()? {
        VersionRequest::Exact(version) => Ok(version),
        VersionRequest::Latest => Err(Error::InvalidVersion {
            input: input.to_string(),
            reason: "a release needs an exact version, such as `1.2.0`".to_string(),
        }),
    }
}

/// An asset [`package`] is to write: which build, under which name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The build whose bytes it is.
    pub build: Build,
    /// Its file name on the release.
    pub file_name: String,
    /// True for the unversioned `NAME-{P}{X}` name.
    pub legacy: bool,
}

/// Checks a request to package `builds` as `name` at `version`, and names the assets it
/// will write, in order: for each build, its versioned name, then for caro-install its
/// legacy name ([`names::publishes_legacy_names`]). Pure; the
/// errors say what to change (an unknown name, no builds, a key given twice).
pub fn plan(name: &str, version: &Version, builds: &[Build]) -> Result<Vec<Planned>> {
    let release = format!("{name} {version}");
    if !NAMES.contains(&name) {
        return Err(invalid(
            name,
            &format!("the binary name is one of {}", NAMES.join(", ")),
        ));
    }
    if !version.build.is_empty() {
        return Err(invalid(
            &release,
            "build metadata (`+...`) is not part of a release tag",
        ));
    }
    if builds.is_empty() {
        return Err(invalid(&release, "no build was given (`KEY=PATH`)"));
    }
    let mut seen = BTreeSet::new();
    let mut planned = Vec::new();
    for build in builds {
        if !seen.insert(build.platform.key()) {
            return Err(invalid(
                &release,
                &format!("the platform `{}` is given twice", build.platform),
            ));
        }
        let published = if names::publishes_legacy_names(name) {
            2
        } else {
            1
        };
        for (index, file_name) in asset_names(name, version, build.platform)
            .into_iter()
            .take(published)
            .enumerate()
        {
            planned.push(Planned {
                build: build.clone(),
                file_name,
                legacy: index > 0,
            });
        }
    }
    Ok(planned)
}

/// Writes the release assets of `builds` into `dir` (created if missing): for each build
/// its versioned and legacy copies, each with a `.sha256` sidecar, then `SHA256SUMS` over
/// all of them. Returns the assets written, in [`plan`]'s order.
pub fn package(name: &str, version: &Version, builds: &[Build], dir: &Path) -> Result<Vec<Asset>> {
    let planned = plan(name, version, builds)?;
    fs::create_dir_all(dir).map_err(Error::file("create directory", dir))?;
    let mut assets = Vec::with_capacity(planned.len());
    for planned in planned {
        let sha256 = copy_hashing(&planned.build.path, &dir.join(&planned.file_name))?;
        let asset = Asset {
            file_name: planned.file_name,
            platform: planned.build.platform,
            legacy: planned.legacy,
            sha256,
        };
        write_atomically(&dir.join(asset.sidecar_name()), asset.sidecar().as_bytes())?;
        assets.push(asset);
    }
    write_sums(dir, &assets)?;
    Ok(assets)
}

/// Writes `dir/SHA256SUMS` over `assets` (the binaries, and the bundles when there are
/// some), replacing the one [`package`] wrote.
pub fn write_sums(dir: &Path, assets: &[Asset]) -> Result<()> {
    write_atomically(&dir.join(SUMS_FILE), sums(assets).as_bytes())
}

/// Checks that a channel's output folder `out` is a folder, or does not exist yet: a file
/// (or a symlink) there is refused before anything is written.
pub(crate) fn check_output_dir(out: &Path) -> Result<()> {
    match fs::symlink_metadata(out) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(Error::file("read", out)(error)),
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(invalid(
            &out.display().to_string(),
            "a channel's output is a folder, and this is not one; give a new or empty folder",
        )),
    }
}

/// Reads a small text file dist may have written in an earlier run (a formula, an image
/// index), to see which version it is of: `None` when there is none. Anything but a
/// regular file (a symlink, a FIFO that would block the read, a device) or a file larger
/// than 1 MiB is refused, naming the path, and never read.
pub(crate) fn read_earlier_output(path: &Path) -> Result<Option<String>> {
    let meta = match fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(Error::file("read", path)(error)),
        Ok(meta) => meta,
    };
    if !meta.is_file() || meta.len() > 1024 * 1024 {
        return Err(invalid(
            &path.display().to_string(),
            "it is not a file dist wrote (not a regular file, or larger than 1 MiB); \
             give an empty folder",
        ));
    }
    fs::read_to_string(path)
        .map(Some)
        .map_err(Error::file("read", path))
}

/// Checks that every build is a regular file, before anything is written.
pub fn check_builds(builds: &[Build]) -> Result<()> {
    for build in builds {
        if !fs::metadata(&build.path).is_ok_and(|meta| meta.is_file()) {
            return Err(invalid(
                &format!("{}={}", build.platform, build.path.display()),
                "the build is not a file",
            ));
        }
    }
    Ok(())
}

/// The error for a release that cannot be laid out as asked, naming the offending `input`.
fn invalid(input: &str, reason: &str) -> Error {
    Error::InvalidRelease {
        input: input.to_string(),
        reason: reason.to_string(),
    }
}

/// Copies `from` to `to` through a temp file beside `to`, hashing the bytes written, and
/// makes the result executable. `from` may be `to` itself.
pub(crate) fn copy_hashing(from: &Path, to: &Path) -> Result<Digest> {
    let mut source = File::open(from).map_err(Error::file("open", from))?;
    let dir = to.parent().unwrap_or(Path::new("."));
    let name = to.file_name().unwrap_or_default().to_string_lossy();
    let mut temp = TempFile::create(dir, &name)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(Error::file("read", from)(error)),
        };
        hasher.update(&buffer[..read]);
        temp.file_mut()
            .write_all(&buffer[..read])
            .map_err(Error::file("write", to))?;
    }
    temp.persist(to, &Silent)?;
    Ok(Digest(hasher.finalize().into()))
}

/// Removes `path`, a file or a directory tree; nothing to do when it does not exist.
fn remove_any(path: &Path) -> Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => Err(error),
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    };
    removed.map_err(Error::file("remove", path))
}

/// A caro 1.2.0 asset for `platform` with a zero digest: what the channels' unit tests
/// lay out.
#[cfg(test)]
pub(crate) fn test_asset(platform: crate::platform::Platform) -> Asset {
    Asset {
        file_name: names::versioned_binary("caro", &Version::new(1, 2, 0), platform),
        platform,
        legacy: false,
        sha256: crate::checksum::Digest([0; 32]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    fn build(platform: Platform) -> Build {
        Build {
            platform,
            path: PathBuf::from(format!("target/{platform}/caro")),
        }
    }

    #[test]
    fn names_are_the_installers_candidates() {
        assert_eq!(
            asset_names("caro", &v("1.2.0"), Platform::MacosSilicon),
            ["caro-1.2.0-macos-silicon", "caro-macos-silicon"]
        );
        assert_eq!(
            asset_names("caro-install", &v("0.1.0"), Platform::WindowsArm64),
            [
                "caro-install-0.1.0-windows-arm64.exe",
                "caro-install-windows-arm64.exe"
            ]
        );
    }

    #[test]
    fn plan_lists_versioned_then_legacy_per_build_for_caro_install_only() {
        let builds = [build(Platform::LinuxAmd64), build(Platform::WindowsAmd64)];
        let rows = |name| -> Vec<_> {
            plan(name, &v("1.2.0"), &builds)
                .unwrap()
                .into_iter()
                .map(|planned| {
                    (
                        planned.build.platform.key(),
                        planned.file_name,
                        planned.legacy,
                    )
                })
                .collect()
        };
        let row = |key, name: &str, legacy| (key, name.to_string(), legacy);
        assert_eq!(
            rows("caro-install"),
            [
                row("linux-amd64", "caro-install-1.2.0-linux-amd64", false),
                row("linux-amd64", "caro-install-linux-amd64", true),
                row(
                    "windows-amd64",
                    "caro-install-1.2.0-windows-amd64.exe",
                    false
                ),
                row("windows-amd64", "caro-install-windows-amd64.exe", true),
            ]
        );
        assert_eq!(
            rows("caro"),
            [
                row("linux-amd64", "caro-1.2.0-linux-amd64", false),
                row("windows-amd64", "caro-1.2.0-windows-amd64.exe", false),
            ]
        );
    }

    #[test]
    fn bad_requests_are_refused_with_the_reason() {
        let one = [build(Platform::LinuxAmd64)];
        let twice = [build(Platform::LinuxAmd64), build(Platform::LinuxAmd64)];
        for (name, version, builds, expected) in [
            ("cargo", "1.2.0", &one[..], "one of caro, caro-install"),
            ("../caro", "1.2.0", &one[..], "one of caro, caro-install"),
            ("caro", "1.2.0+git", &one[..], "build metadata"),
            ("caro", "1.2.0", &[][..], "no build was given"),
            ("caro", "1.2.0", &twice[..], "`linux-amd64` is given twice"),
        ] {
            let message = plan(name, &v(version), builds).unwrap_err().to_string();
            assert!(message.contains(expected), "{name} {version}: {message}");
        }
    }

    #[test]
    fn the_same_binary_may_go_under_two_keys() {
        let musl = Build {
            platform: Platform::LinuxAmd64Musl,
            ..build(Platform::LinuxAmd64)
        };
        let planned = plan(
            "caro-install",
            &v("0.1.0"),
            &[build(Platform::LinuxAmd64), musl],
        )
        .unwrap();
        assert_eq!(planned.len(), 4);
        assert_eq!(planned[2].file_name, "caro-install-0.1.0-linux-amd64-musl");
    }

    #[test]
    fn builds_parse_from_key_equals_path() {
        assert_eq!(
            "macos-silicon=target/mlx/caro".parse::<Build>().unwrap(),
            Build {
                platform: Platform::MacosSilicon,
                path: PathBuf::from("target/mlx/caro")
            }
        );
        // Only the first `=` separates: paths may hold one.
        assert_eq!(
            "linux-amd64=a=b".parse::<Build>().unwrap().path,
            PathBuf::from("a=b")
        );
        assert!(matches!(
            "linux-x86=caro".parse::<Build>(),
            Err(Error::UnknownPlatform { .. })
        ));
        for input in ["target/release/caro", "linux-amd64="] {
            let message = input.parse::<Build>().unwrap_err().to_string();
            assert!(message.contains(input), "{message}");
        }
    }

    #[test]
    fn sidecars_and_sums_are_what_sha256sum_prints_and_the_installer_reads() {
        let hex = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
        let asset = |file_name: &str| Asset {
            file_name: file_name.to_string(),
            platform: Platform::LinuxAmd64,
            legacy: false,
            sha256: Digest::from_hex(hex).unwrap(),
        };
        let versioned = asset("caro-1.2.0-linux-amd64");
        assert_eq!(versioned.sidecar_name(), "caro-1.2.0-linux-amd64.sha256");
        assert_eq!(
            versioned.sidecar(),
            format!("{hex}  caro-1.2.0-linux-amd64\n")
        );
        assert_eq!(
            crate::checksum::parse_sidecar(&versioned.sidecar(), &versioned.file_name),
            Ok(versioned.sha256)
        );
        let sums = sums(&[versioned, asset("caro-linux-amd64"), asset("caro-1.2.0-a")]);
        assert_eq!(
            sums.lines()
                .map(|line| line.split_once("  ").unwrap().1)
                .collect::<Vec<_>>(),
            ["caro-1.2.0-a", "caro-1.2.0-linux-amd64", "caro-linux-amd64"]
        );
        assert!(crate::checksum::parse_sidecar(&sums, "caro-linux-amd64").is_ok());
    }

    #[test]
    fn release_versions_are_exact() {
        assert_eq!(release_version("v1.2.0").unwrap(), v("1.2.0"));
        assert_eq!(release_version("1.3.0-rc.1").unwrap(), v("1.3.0-rc.1"));
        for input in ["latest", "1.2", "", "../1.2.0"] {
            assert!(
                matches!(release_version(input), Err(Error::InvalidVersion { .. })),
                "{input:?}"
            );
        }
    }
}
