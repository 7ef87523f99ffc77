//! The NuGet package: `caro.{V}.nupkg`, as caro's feed has served it.
//!
//! `--nuget DIR` writes `DIR/{NAME}.{V}.nupkg` ([`names::nuget_package`]): a zip in the
//! Open Packaging layout every NuGet client reads (`[Content_Types].xml`, `_rels/.rels`
//! naming the manifest), the manifest `{NAME}.nuspec` (id, the version from the tag,
//! authors, licence expression, project URL, description), and the builds where caro's
//! feed has always put them ([`names::NUGET_BUILDS`]): `tools/caro.exe` is the Windows
//! x86_64 build, and `tools/arm64/caro.exe` the Windows on ARM one when the release has
//! it. The executables are the release's versioned assets, checked against their digests;
//! the zip is reproducible (see `docs/channels.md`).

use std::io::Write;
use std::path::Path;

use super::archive;
use super::{Asset, Product, invalid};
use crate::error::{Error, Result};
use crate::files::TempFile;
use crate::names;
use crate::release::Version;
use crate::report::Silent;

/// What [`write()`] is to put in the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// `{NAME}.{V}.nupkg`.
    pub file_name: String,
    /// The release assets it carries, each with its path inside the package.
    pub executables: Vec<(Asset, String)>,
    /// The manifest's text.
    pub nuspec: String,
}

/// Plans the package of `product` at `version` from the release's versioned `assets`.
/// Refused: a release without the Windows x86_64 build, and an output folder that holds
/// the package of another version (`out` may not exist yet).
pub fn plan(product: &Product, version: &Version, assets: &[Asset], out: &Path) -> Result<Planned> {
    let mut executables = Vec::new();
    for (index, (platform, folder)) in names::NUGET_BUILDS.iter().enumerate() {
        match assets.iter().find(|a| a.platform == *platform && !a.legacy) {
            Some(asset) => executables.push((
                asset.clone(),
                format!(
                    "{folder}/{}",
                    crate::platform::executable_name(product.name, *platform)
                ),
            )),
            None if index == 0 => {
                return Err(invalid(
                    &format!("{} {version}", product.name),
                    &format!("the NuGet package needs the `{platform}` build (`{platform}=PATH`)"),
                ));
            }
            None => {}
        }
    }
    let file_name = names::nuget_package(product.name, version);
    check_output(product.name, &file_name, out)?;
    Ok(Planned {
        file_name,
        executables,
        nuspec: nuspec(product, version),
    })
}

/// Refuses an output folder holding `{name}.*.nupkg` of another version than `file_name`.
fn check_output(name: &str, file_name: &str, out: &Path) -> Result<()> {
    super::check_output_dir(out)?;
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let existing = entry.file_name().to_string_lossy().into_owned();
        let other_version = existing
            .strip_prefix(&format!("{name}."))
            .and_then(|rest| rest.strip_suffix(".nupkg"))
            .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()));
        if other_version && existing != file_name {
            return Err(invalid(
                &out.join(&existing).display().to_string(),
                &format!(
                    "the NuGet folder holds another version's package; give an empty folder \
                     for `{file_name}`"
                ),
            ));
        }
    }
    Ok(())
}

/// Escapes `text` for XML character data and attribute values.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The manifest: what `nuget pack` would read from caro's `nuget/caro.nuspec`, with the
/// version of the release.
pub fn nuspec(product: &Product, version: &Version) -> String {
    let url = product.homepage();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>{id}</id>
    <version>{version}</version>
    <authors>{authors}</authors>
    <owners>{authors}</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <license type="expression">{license}</license>
    <projectUrl>{url}</projectUrl>
    <description>{description}</description>
    <releaseNotes>{url}/releases/tag/v{version}</releaseNotes>
    <tags>cli shell</tags>
  </metadata>
</package>
"#,
        id = xml(product.name),
        authors = xml(product.authors),
        license = xml(product.license),
        url = xml(&url),
        description = xml(product.description),
    )
}

/// `[Content_Types].xml`: every part of the package has a content type, or the Open
/// Packaging readers of older NuGet clients refuse it.
const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="exe" ContentType="application/octet" />
</Types>
"#;

/// `_rels/.rels`, naming the manifest.
fn relationships(name: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{name}.nuspec" Id="R0" />
</Relationships>
"#
    )
}

/// Writes the package into `out` (created if missing), each executable read from
/// `release_dir` and checked against its digest before anything is written. Returns the
/// package's path.
pub fn write(
    planned: &Planned,
    product: &Product,
    release_dir: &Path,
    out: &Path,
) -> Result<std::path::PathBuf> {
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".to_string(), CONTENT_TYPES.into()),
        (
            "_rels/.rels".to_string(),
            relationships(product.name).into(),
        ),
        (
            format!("{}.nuspec", product.name),
            planned.nuspec.clone().into(),
        ),
    ];
    for (asset, inside) in &planned.executables {
        let bytes = archive::read_checked(&release_dir.join(&asset.file_name), &asset.sha256)?;
        parts.push((inside.clone(), bytes));
    }
    std::fs::create_dir_all(out).map_err(Error::file("create directory", out))?;
    let path = out.join(&planned.file_name);
    let mut temp = TempFile::create(out, &planned.file_name)?;
    let mut zip = zip::ZipWriter::new(temp.file_mut());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in &parts {
        zip.start_file(name.as_str(), options)
            .map_err(|error| Error::file("write", &path)(std::io::Error::other(error)))?;
        zip.write_all(bytes).map_err(Error::file("write", &path))?;
    }
    zip.finish()
        .map_err(|error| Error::file("write", &path)(std::io::Error::other(error)))?;
    temp.persist(&path, &Silent)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    use crate::dist::test_asset as asset;

    #[test]
    fn the_nuspec_has_the_tags_version_and_the_licence_expression() {
        let text = nuspec(&Product::of("caro").unwrap(), &Version::new(1, 2, 0));
        for line in [
            "<id>caro</id>",
            "<version>1.2.0</version>",
            r#"<license type="expression">AGPL-3.0-only</license>"#,
            "<projectUrl>https://github.com/wildcard/caro</projectUrl>",
        ] {
            assert!(text.contains(line), "{line}\n{text}");
        }
    }

    #[test]
    fn the_x86_64_build_is_required_and_arm64_goes_beside_it() {
        let product = Product::of("caro").unwrap();
        let version = Version::new(1, 2, 0);
        let dir = Path::new("does-not-exist");
        let error = plan(&product, &version, &[asset(Platform::WindowsArm64)], dir)
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs the `windows-amd64` build"), "{error}");
        let both = [asset(Platform::WindowsAmd64), asset(Platform::WindowsArm64)];
        let planned = plan(&product, &version, &both, dir).unwrap();
        let inside: Vec<_> = planned
            .executables
            .iter()
            .map(|(_, at)| at.as_str())
            .collect();
        assert_eq!(inside, ["tools/caro.exe", "tools/arm64/caro.exe"]);
        assert_eq!(planned.file_name, "caro.1.2.0.nupkg");
    }

    #[test]
    fn another_versions_package_in_the_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("caro.1.1.0.nupkg"), b"PK").unwrap();
        std::fs::write(dir.path().join("caro-notes.txt"), b"mine").unwrap();
        let product = Product::of("caro").unwrap();
        let error = plan(
            &product,
            &Version::new(1, 2, 0),
            &[asset(Platform::WindowsAmd64)],
            dir.path(),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("caro.1.1.0.nupkg"), "{error}");
        std::fs::remove_file(dir.path().join("caro.1.1.0.nupkg")).unwrap();
        std::fs::write(dir.path().join("caro.1.2.0.nupkg"), b"PK").unwrap();
        assert!(
            plan(
                &product,
                &Version::new(1, 2, 0),
                &[asset(Platform::WindowsAmd64)],
                dir.path()
            )
            .is_ok()
        );
    }
}
