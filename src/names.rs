//! The naming table: every file name a release carries, and which build each channel takes.
//!
//! The installer finds what to download by name, and the publisher (`dist`, behind the
//! `publish` feature) writes releases, npm packages, model bundles, the NuGet package, the
//! container image and the Homebrew formula from those same names. Were each side to spell
//! them, one would drift: caro's own NuGet job and npm installer kept downloading the
//! version-less names long after releases stopped carrying them. So every name is made
//! here, once, and both sides call these functions. The module is pure and always
//! compiled: the installer uses it, so it cannot sit behind the `publish` feature.
//!
//! What the table says (see `docs/releases.md` and `docs/channels.md`):
//!
//! | what | name |
//! |---|---|
//! | versioned binary | `{NAME}-{V}-{P}{X}` ([`versioned_binary`]) |
//! | versioned archive | `{NAME}-{V}-{P}.tar.gz`, `.zip` on Windows ([`versioned_archive`]) |
//! | legacy binary | `{NAME}-{P}{X}`, published for caro-install only ([`legacy_binary`]) |
//! | model bundle | `{NAME}-{V}-{P}-with-{M}.tar.gz` ([`bundle`]) |
//! | sidecars | `<asset>.sha256` ([`sidecar`]), `<asset>.minisig` ([`signature`]) |
//! | signature comment | `file:<asset> version:<V>` ([`trusted_comment`]) |
//! | NuGet package | `{NAME}.{V}.nupkg` ([`nuget_package`]) |
//!
//! and, per channel, the platform keys whose builds it takes: [`NUGET_BUILDS`],
//! [`OCI_BUILDS`], [`HOMEBREW_BUILDS`]. A channel reads a build through its versioned
//! release asset, so a unit test below checks that every name any channel reads or writes
//! is one the installer looks for.

use crate::platform::Platform;
use semver::Version;

/// caro's binary name, and the prefix of its assets.
pub const CARO: &str = "caro";

/// This installer's binary name, and the prefix of its assets.
pub const INSTALLER: &str = "caro-install";

/// `{name}-{version}-{platform}{.exe}`: the asset every release from 1.0.3 on carries.
pub fn versioned_binary(name: &str, version: &Version, platform: Platform) -> String {
    format!("{name}-{version}-{platform}{}", platform.exe_suffix())
}

/// `{name}-{version}-{platform}.tar.gz`, or `.zip` for Windows: the optional archive.
pub fn versioned_archive(name: &str, version: &Version, platform: Platform) -> String {
    let extension = if platform.is_windows() {
        "zip"
    } else {
        "tar.gz"
    };
    format!("{name}-{version}-{platform}.{extension}")
}

/// `{name}-{platform}{.exe}`: the version-less name of releases up to 1.0.2, which the
/// bootstrap scripts still fetch for caro-install through `releases/latest/download/`.
pub fn legacy_binary(name: &str, platform: Platform) -> String {
    format!("{name}-{platform}{}", platform.exe_suffix())
}

/// Returns true if and only if new releases of `name` carry the legacy names too: only
/// caro-install's, whose bootstrap scripts need a version-less URL. caro's releases carry
/// versioned names only, so a signed old build can never be served under a name that
/// every release shares.
#[cfg_attr(
    not(any(feature = "publish", test)),
    expect(dead_code, reason = "only the publisher decides which names to write")
)]
pub fn publishes_legacy_names(name: &str) -> bool {
    name == INSTALLER
}

/// `{name}-{version}-{platform}-with-{model}.tar.gz`: the binary with a model, offline
/// from its first run.
pub fn bundle(name: &str, version: &Version, platform: Platform, model: &str) -> String {
    format!("{name}-{version}-{platform}-with-{model}.tar.gz")
}

/// Returns true if and only if `model` may appear in a bundle's name: lower-case ASCII
/// letters, digits, `.` and `-`, starting with a letter or digit (`qwen-1.5b`,
/// `smollm-135m`), so the name never holds a path separator, white space or `-with-` twice.
pub fn is_model_name(model: &str) -> bool {
    model.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && model.len() <= 64
        && !model.contains("with-")
        && model
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
}

/// Checks a model name a user gave (`--with-model`, `CARO_INSTALL_MODEL`): `Err` holds the
/// reason when no published bundle name could carry it ([`is_model_name`]'s rule).
pub fn check_model_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".to_string());
    }
    if !is_model_name(name) {
        return Err(
            "a model name has only lower-case letters, digits, `.` and `-`, starts \
             with a letter or digit and is at most 64 long, as in `smollm-135m`"
                .to_string(),
        );
    }
    Ok(())
}

/// `<asset>.sha256`: the GNU-form digest beside every asset.
pub fn sidecar(asset: &str) -> String {
    format!("{asset}.sha256")
}

/// `<asset>.minisig`: the minisign signature beside an asset of a signed release.
pub fn signature(asset: &str) -> String {
    format!("{asset}.minisig")
}

/// The trusted comment a release's signature of `asset` carries: `file:<asset>
/// version:<V>`. Both tokens are covered by the signature, so a signed build cannot be
/// replayed under another file name or another release's tag.
pub fn trusted_comment(asset: &str, version: &Version) -> String {
    format!("file:{asset} version:{version}")
}

/// `{name}.{version}.nupkg`: the file name NuGet gives a package (its id and version).
#[cfg_attr(
    not(any(feature = "publish", test)),
    expect(dead_code, reason = "only the publisher lays out channels")
)]
pub fn nuget_package(name: &str, version: &Version) -> String {
    format!("{name}.{version}.nupkg")
}

/// The builds the NuGet package carries, and where in it: the Windows x86_64 build is
/// `tools/caro.exe` (what caro's feed has always served), Windows on ARM's goes beside it
/// when the release has one. The first is required.
#[cfg_attr(
    not(any(feature = "publish", test)),
    expect(dead_code, reason = "only the publisher lays out channels")
)]
pub const NUGET_BUILDS: [(Platform, &str); 2] = [
    (Platform::WindowsAmd64, "tools"),
    (Platform::WindowsArm64, "tools/arm64"),
];

/// The builds the container image is made of, with the OCI architecture each is for: the
/// static musl builds, which run in an image holding nothing else. Both are required.
#[cfg_attr(
    not(any(feature = "publish", test)),
    expect(dead_code, reason = "only the publisher lays out channels")
)]
pub const OCI_BUILDS: [(Platform, &str); 2] = [
    (Platform::LinuxAmd64Musl, "amd64"),
    (Platform::LinuxArm64Musl, "arm64"),
];

/// The builds the Homebrew formula points at, with the Homebrew blocks that pick each
/// (`on_macos`/`on_linux`, then `on_arm`/`on_intel`): the MLX build on Apple Silicon. All
/// are required.
#[cfg_attr(
    not(any(feature = "publish", test)),
    expect(dead_code, reason = "only the publisher lays out channels")
)]
pub const HOMEBREW_BUILDS: [(Platform, &str, &str); 4] = [
    (Platform::MacosSilicon, "on_macos", "on_arm"),
    (Platform::MacosIntel, "on_macos", "on_intel"),
    (Platform::LinuxArm64, "on_linux", "on_arm"),
    (Platform::LinuxAmd64, "on_linux", "on_intel"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{AssetKind, download_candidates};

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    /// The binary names the installer would try for `name` on `platform`.
    fn installer_tries(name: &str, version: &Version, platform: Platform) -> Vec<String> {
        download_candidates(name, version, platform)
            .into_iter()
            .map(|candidate| candidate.file_name)
            .collect()
    }

    #[test]
    fn the_table_spells_every_name() {
        let version = v("1.2.0");
        assert_eq!(
            versioned_binary(CARO, &version, Platform::WindowsArm64),
            "caro-1.2.0-windows-arm64.exe"
        );
        assert_eq!(
            versioned_archive(CARO, &version, Platform::LinuxAmd64Musl),
            "caro-1.2.0-linux-amd64-musl.tar.gz"
        );
        assert_eq!(
            versioned_archive(CARO, &version, Platform::WindowsAmd64),
            "caro-1.2.0-windows-amd64.zip"
        );
        assert_eq!(
            legacy_binary(INSTALLER, Platform::MacosIntel),
            "caro-install-macos-intel"
        );
        assert_eq!(
            bundle(CARO, &version, Platform::MacosSilicon, "qwen-1.5b"),
            "caro-1.2.0-macos-silicon-with-qwen-1.5b.tar.gz"
        );
        assert_eq!(
            sidecar("caro-1.2.0-linux-amd64"),
            "caro-1.2.0-linux-amd64.sha256"
        );
        assert_eq!(
            signature("caro-1.2.0-linux-amd64"),
            "caro-1.2.0-linux-amd64.minisig"
        );
        assert_eq!(nuget_package(CARO, &version), "caro.1.2.0.nupkg");
        assert_eq!(
            trusted_comment("caro-1.2.0-linux-amd64", &version),
            "file:caro-1.2.0-linux-amd64 version:1.2.0"
        );
    }

    #[test]
    fn only_caro_install_keeps_the_legacy_names() {
        assert!(publishes_legacy_names(INSTALLER));
        assert!(!publishes_legacy_names(CARO));
    }

    #[test]
    fn model_names_are_plain() {
        for good in ["qwen-1.5b", "smollm-135m", "7b"] {
            assert!(is_model_name(good), "{good}");
        }
        for bad in [
            "", "-x", ".x", "Qwen", "a/b", "a b", "..", "a\\b", "x-with-y", "é",
        ] {
            assert!(!is_model_name(bad), "{bad:?}");
        }
        assert!(!is_model_name(&"a".repeat(65)));
    }

    /// Every build a channel reads is a versioned asset the installer looks for, on the
    /// very platform it is looked for on: a channel can never be made from a name the
    /// release would not be installed from.
    #[test]
    fn every_channel_reads_names_the_installer_looks_for() {
        let version = v("1.2.0");
        let channels = NUGET_BUILDS
            .iter()
            .map(|(platform, _)| ("nuget", *platform))
            .chain(OCI_BUILDS.iter().map(|(platform, _)| ("oci", *platform)))
            .chain(
                HOMEBREW_BUILDS
                    .iter()
                    .map(|(platform, _, _)| ("homebrew", *platform)),
            )
            .chain(Platform::ALL.iter().map(|platform| ("release", *platform)));
        for (channel, platform) in channels {
            let name = versioned_binary(CARO, &version, platform);
            assert!(
                installer_tries(CARO, &version, platform).contains(&name),
                "{channel} reads `{name}`, which the installer never tries on {platform}"
            );
        }
        for (platform, _) in NUGET_BUILDS {
            assert!(platform.is_windows());
        }
        for (platform, _) in OCI_BUILDS.into_iter().chain(
            HOMEBREW_BUILDS
                .into_iter()
                .map(|(platform, _, arch)| (platform, arch)),
        ) {
            assert!(!platform.is_windows());
        }
    }

    /// The archive and legacy names are the installer's own candidates, in its order.
    #[test]
    fn the_installer_tries_the_tables_names_in_order() {
        let version = v("1.0.3");
        for platform in Platform::ALL {
            let candidates = download_candidates(CARO, &version, platform);
            assert_eq!(
                candidates[0].file_name,
                versioned_binary(CARO, &version, platform)
            );
            assert_eq!(candidates[0].kind, AssetKind::Binary);
            assert_eq!(
                candidates[1].file_name,
                versioned_archive(CARO, &version, platform)
            );
            assert_eq!(candidates[2].file_name, legacy_binary(CARO, platform));
        }
    }

    #[test]
    fn model_names_are_what_a_published_name_can_hold() {
        assert!(check_model_name("smollm-135m").is_ok());
        assert!(check_model_name("qwen-1.5b").is_ok());
        for bad in ["", "../x", "a/b", "Qwen", "-x", ".x", "a b", "a\u{1b}b"] {
            assert!(check_model_name(bad).is_err(), "{bad:?}");
        }
    }
}
