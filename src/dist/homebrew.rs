//! The Homebrew formula: `caro.rb` for caro's tap.
//!
//! `--homebrew DIR` writes `DIR/{NAME}.rb`: for each macOS and Linux build
//! ([`names::HOMEBREW_BUILDS`]) the `url` of its versioned release asset and the `sha256`
//! its sidecar gives, chosen by `on_macos`/`on_linux` and `on_arm`/`on_intel` (on Apple
//! Silicon, the MLX build); the licence; and a `test do` block that runs `caro --version`
//! and expects the version. The tap's maintainers commit the file as it is, and
//! `brew upgrade caro` then installs the very bytes the release published; caro-install
//! defers to it for a Homebrew copy.

use std::path::Path;

use super::{Asset, Product, invalid};
use crate::error::Result;
use crate::names;
use crate::release::{self, Version};

/// What every formula dist writes says of itself, and what an earlier one must say to be
/// replaced.
const MARK: &str = "written by caro-install's `dist --homebrew`";

/// The formula's file name: `{NAME}.rb`.
pub fn file_name(product: &Product) -> String {
    format!("{}.rb", product.name)
}

/// The Ruby class of a formula: `caro` is `Caro`, `caro-install` is `CaroInstall`.
fn class_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Homebrew's `license` line: a single SPDX id, or `any_of:` for an `OR` expression.
fn license(expression: &str) -> String {
    let ids: Vec<String> = expression
        .split(" OR ")
        .map(|id| format!("{:?}", id.trim()))
        .collect();
    match ids.as_slice() {
        [one] => format!("license {one}"),
        many => format!("license any_of: [{}]", many.join(", ")),
    }
}

/// The asset URL on GitHub: `https://github.com/{repo}/releases/download/v{V}/{asset}`.
pub fn asset_url(product: &Product, version: &Version, asset: &str) -> String {
    format!(
        "{}/releases/download/{}/{asset}",
        product.homepage(),
        release::tag(version)
    )
}

/// The formula for `product` at `version`, from the release's versioned `assets` and their
/// digests. Refused: a release without one of the four builds, and an output folder whose
/// formula is of another version (`out` may not exist yet).
pub fn formula(
    product: &Product,
    version: &Version,
    assets: &[Asset],
    out: &Path,
) -> Result<String> {
    let mut blocks = String::new();
    for os in ["on_macos", "on_linux"] {
        blocks.push_str(&format!("\n  {os} do\n"));
        for (platform, _, cpu) in names::HOMEBREW_BUILDS.iter().filter(|row| row.1 == os) {
            let Some(asset) = assets.iter().find(|a| a.platform == *platform && !a.legacy) else {
                return Err(invalid(
                    &format!("{} {version}", product.name),
                    &format!(
                        "the Homebrew formula needs the `{platform}` build (`{platform}=PATH`)"
                    ),
                ));
            };
            let note = if platform.is_apple_silicon() {
                "      # The MLX build, for Apple Silicon.\n"
            } else {
                ""
            };
            blocks.push_str(&format!(
                "    {cpu} do\n{note}      url \"{url}\"\n      sha256 \"{sha256}\"\n    end\n",
                url = asset_url(product, version, &asset.file_name),
                sha256 = asset.sha256,
            ));
        }
        blocks.push_str("  end\n");
    }
    check_output(product, version, out)?;
    Ok(format!(
        "# typed: false\n\
         # frozen_string_literal: true\n\
         \n\
         # {name} {version}, written by caro-install's `dist --homebrew` from the release's own\n\
         # assets: each url is a versioned asset, each sha256 the digest its sidecar gives.\n\
         class {class} < Formula\n  \
           desc {desc:?}\n  \
           homepage {homepage:?}\n  \
           version {version_text:?}\n  \
           {license}\n\
         {blocks}\n  \
           def install\n    \
             bin.install Dir[\"{name}-#{{version}}-*\"].fetch(0) => {name:?}\n  \
           end\n\
         \n  \
           test do\n    \
             assert_match \"{name} #{{version}}\", shell_output(\"#{{bin}}/{name} --version\")\n  \
           end\n\
         end\n",
        name = product.name,
        class = class_name(product.name),
        desc = product.description,
        homepage = product.homepage(),
        version_text = version.to_string(),
        license = license(product.license),
    ))
}

/// Refuses an output folder whose formula was written for another version.
fn check_output(product: &Product, version: &Version, out: &Path) -> Result<()> {
    super::check_output_dir(out)?;
    let path = out.join(file_name(product));
    let Some(existing) = super::read_earlier_output(&path)? else {
        return Ok(());
    };
    let wanted = format!("version {:?}", version.to_string());
    let ours = existing.contains(MARK);
    if ours && existing.lines().any(|line| line.trim() == wanted) {
        return Ok(());
    }
    let reason = if ours {
        format!("the formula there is not of {version}; give an empty folder")
    } else {
        "the formula there was not written by dist, which replaces only its own; give an \
         empty folder"
            .to_string()
    };
    Err(invalid(&path.display().to_string(), &reason))
}

/// Writes the formula into `out` (created if missing) and returns its path.
pub fn write(product: &Product, text: &str, out: &Path) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(out).map_err(crate::error::Error::file("create directory", out))?;
    let path = out.join(file_name(product));
    crate::files::write_atomically(&path, text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Digest;
    use crate::platform::Platform;

    fn assets() -> Vec<Asset> {
        names::HOMEBREW_BUILDS
            .iter()
            .enumerate()
            .map(|(index, (platform, _, _))| Asset {
                file_name: names::versioned_binary("caro", &Version::new(1, 2, 0), *platform),
                platform: *platform,
                legacy: false,
                sha256: Digest([index as u8; 32]),
            })
            .collect()
    }

    #[test]
    fn every_build_has_its_url_and_digest_under_its_block() {
        let product = Product::of("caro").unwrap();
        let text = formula(
            &product,
            &Version::new(1, 2, 0),
            &assets(),
            Path::new("none"),
        )
        .unwrap();
        let silicon = text.find("caro-1.2.0-macos-silicon").unwrap();
        assert!(text[..silicon].contains("on_macos do\n    on_arm do\n      # The MLX build"));
        assert!(text.contains(&format!("sha256 \"{}\"", Digest([0; 32]))));
        assert!(text.contains(
            "url \"https://github.com/wildcard/caro/releases/download/v1.2.0/caro-1.2.0-linux-amd64\""
        ));
        assert!(text.contains("license \"AGPL-3.0-only\""));
        assert!(text.contains("class Caro < Formula"));
        assert!(text.contains("shell_output(\"#{bin}/caro --version\")"));
    }

    #[test]
    fn a_missing_build_is_named() {
        let product = Product::of("caro").unwrap();
        let mut assets = assets();
        assets.retain(|asset| asset.platform != Platform::LinuxArm64);
        let error = formula(&product, &Version::new(1, 2, 0), &assets, Path::new("none"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs the `linux-arm64` build"), "{error}");
    }

    #[test]
    fn names_and_licences_read_as_ruby() {
        assert_eq!(class_name("caro-install"), "CaroInstall");
        assert_eq!(
            license("MIT OR Apache-2.0"),
            "license any_of: [\"MIT\", \"Apache-2.0\"]"
        );
    }
}
