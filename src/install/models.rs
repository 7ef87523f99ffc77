//! `caro-install models [--version V]`: the model bundles a release has for this platform,
//! with their sizes.
//!
//! One request: the GitHub API's `repos/R/releases/tags/vV`, whose asset list gives every
//! name and size. A `file://` mirror is a folder: it is listed directly, with no request at
//! all. A static web mirror has no API; there `CARO_INSTALLER_API_URL` may point at a
//! `file://` or http copy of that JSON (what the mirror's generator can write).

use std::fmt;

use crate::download::{ApiAnswer, Http, Scheme, check_url, file_url_path};
use crate::env::Env;
use crate::error::{Error, Result, human_size};
use crate::fetch::resolve_version;
use crate::platform::Platform;
use crate::release::{ReleaseSource, Version, VersionRequest, tag};
use crate::report::Reporter;

/// The bundles of one release for one platform: model name and size in bytes, by name.
pub type Bundles = Vec<(String, u64)>;

/// The `models` listing, printed as a table.
#[derive(Debug, Clone)]
pub struct ModelListing {
    /// The release.
    pub version: Version,
    /// The platform.
    pub platform: Platform,
    /// Its bundles.
    pub bundles: Bundles,
}

impl fmt::Display for ModelListing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bundles.is_empty() {
            return write!(
                f,
                "caro {} has no model bundles for {}",
                self.version, self.platform
            );
        }
        writeln!(
            f,
            "model bundles of caro {} for {} (install one with `--with-model NAME`):",
            self.version, self.platform
        )?;
        let width = self.bundles.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let lines: Vec<String> = self
            .bundles
            .iter()
            .map(|(name, size)| format!("  {name:<width$}  {}", human_size(*size)))
            .collect();
        f.write_str(&lines.join("\n"))
    }
}

/// The bundles among a release's assets (`name`, `size`) for `platform`: the models of
/// `caro-{V}-{P}-with-{M}.tar.gz`, sorted by name. Names no model name could be are
/// skipped, so nothing a server made up reaches the terminal.
pub fn bundles_among(
    assets: impl IntoIterator<Item = (String, u64)>,
    version: &Version,
    platform: Platform,
) -> Bundles {
    let prefix = format!("caro-{version}-{platform}-with-");
    let mut bundles: Bundles = assets
        .into_iter()
        .filter_map(|(name, size)| {
            let model = name.strip_prefix(&prefix)?.strip_suffix(".tar.gz")?;
            crate::names::check_model_name(model).ok()?;
            Some((model.to_string(), size))
        })
        .collect();
    bundles.sort();
    bundles.dedup_by(|a, b| a.0 == b.0);
    bundles
}

/// The names and sizes in a GitHub release's JSON (`assets[].name`, `assets[].size`).
pub fn assets_in_release_json(json: &str) -> Option<Vec<(String, u64)>> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let assets = value.get("assets")?.as_array()?;
    Some(
        assets
            .iter()
            .filter_map(|asset| {
                let name = asset.get("name")?.as_str()?.to_string();
                let size = asset.get("size")?.as_u64()?;
                Some((name, size))
            })
            .collect(),
    )
}

/// The `models` command: the bundles of release `version` (`latest` resolved as for an
/// install) for `platform`.
pub fn list_models(
    version: &VersionRequest,
    platform: Platform,
    env: &Env,
    http: &mut Http,
    reporter: &dyn Reporter,
) -> Result<ModelListing> {
    let source = ReleaseSource::caro(env);
    http.trust_token_hosts(&source);
    let (version, _) = resolve_version(version, &source, http, reporter)?;
    let bundles = list_bundles(&source, &version, platform, http, reporter)?;
    Ok(ModelListing {
        version,
        platform,
        bundles,
    })
}

/// The bundles release `version` of `source` has for `platform`.
pub fn list_bundles(
    source: &ReleaseSource,
    version: &Version,
    platform: Platform,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<Bundles> {
    let failed = |url: &str, reason: String| Error::NoAssetList {
        version: version.to_string(),
        url: url.to_string(),
        reason,
    };
    let folder = source.download_folder_url(version);
    if check_url(&folder)? == Scheme::File {
        let dir = file_url_path(&folder);
        reporter.detail(&format!("list {}", dir.display()));
        let entries = std::fs::read_dir(&dir).map_err(|e| failed(&folder, e.to_string()))?;
        let assets = entries.filter_map(|entry| {
            let entry = entry.ok()?;
            let metadata = entry.metadata().ok().filter(|m| m.is_file())?;
            Some((
                entry.file_name().to_string_lossy().into_owned(),
                metadata.len(),
            ))
        });
        return Ok(bundles_among(assets, version, platform));
    }
    let url = format!(
        "{}/repos/{}/releases/tags/{}",
        source.api_url,
        source.repo,
        tag(version)
    );
    match http.get_api(&url, reporter)? {
        ApiAnswer::Json(json) => match assets_in_release_json(&json) {
            Some(assets) => Ok(bundles_among(assets, version, platform)),
            None => Err(failed(&url, "the answer has no asset list".to_string())),
        },
        ApiAnswer::Status(404, _) => Err(failed(&url, "no such release (HTTP 404)".to_string())),
        ApiAnswer::Status(status, _) => Err(failed(&url, format!("HTTP {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_platforms_bundles_with_their_sizes() {
        let version = Version::parse("1.2.0").unwrap();
        let assets = [
            ("caro-1.2.0-linux-amd64", 5),
            ("caro-1.2.0-linux-amd64-with-smollm-135m.tar.gz", 140),
            ("caro-1.2.0-linux-amd64-with-smollm-135m.tar.gz.sha256", 90),
            ("caro-1.2.0-linux-amd64-with-qwen-1.5b.tar.gz", 1000),
            ("caro-1.2.0-linux-arm64-with-qwen-1.5b.tar.gz", 1000),
            ("caro-1.2.0-linux-amd64-musl-with-x.tar.gz", 1),
            ("caro-1.2.0-linux-amd64-with-\u{1b}[2J.tar.gz", 1),
        ]
        .map(|(n, s)| (n.to_string(), s));
        assert_eq!(
            bundles_among(assets, &version, Platform::LinuxAmd64),
            [
                ("qwen-1.5b".to_string(), 1000),
                ("smollm-135m".to_string(), 140)
            ]
        );
    }

    #[test]
    fn the_api_answer_gives_names_and_sizes() {
        let json = r#"{"tag_name":"v1.2.0","assets":[{"name":"a","size":3},{"name":"b"}]}"#;
        assert_eq!(
            assets_in_release_json(json),
            Some(vec![("a".to_string(), 3)])
        );
        assert_eq!(assets_in_release_json("{}"), None);
    }
}
