//! Static mirrors, and the `releases/latest` clash.
//!
//! A [`Mirror`] lays the same files out as a GitHub-shaped tree for
//! `CARO_INSTALLER_GITHUB_BASE_URL=file://OUT` (or a web server rooted at `OUT`):
//! `OUT/{owner}/{repo}/releases/download/v{V}/` is the directory [`package`](super::package) writes to, and
//! [`Mirror::write_latest`] then marks the version as the latest. github.com answers two
//! questions under `releases/latest`: the installer asks `releases/latest` itself for the
//! tag, and the bootstrap scripts fetch `releases/latest/download/<legacy name>`. On a file
//! system that path is either a file or a directory, never both, so a mirror picks one
//! ([`Latest`]):
//!
//! - [`Latest::TagFile`] (the default) makes `releases/latest` a file holding `v{V}\n`: the
//!   static-mirror answer of docs/releases.md, read by the installer over `file://` and
//!   `http://` alike. The bootstrap scripts then need `CARO_INSTALLER_VERSION=V`, which
//!   makes them fetch the versioned path instead.
//! - [`Latest::DownloadDir`] makes `releases/latest/download/` hold the legacy assets and
//!   their sidecars, so the bootstrap scripts work unchanged. It needs a web server: one
//!   answers the directory `releases/latest` with a redirect to `releases/latest/`, which is
//!   no tag, so the installer falls back to the API. Over `file://` the installer cannot
//!   read a directory as a tag and fails, so use `TagFile` there.
//!
//! Either way the API's answer is written too, at `OUT/api/v3/repos/{owner}/{repo}/releases/latest`
//! as JSON with `tag_name`: `B/api/v3` is where the installer looks for a base URL that is
//! not github.com. A pre-release never becomes the latest, as on GitHub: its assets are
//! laid out and `latest` is left alone.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Asset, copy_hashing, invalid, remove_any};
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::release::{self, Version};

/// Which of the two meanings of `releases/latest` a mirror gives the path; see the module
/// documentation for why it cannot give both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Latest {
    /// `releases/latest` is a file holding `v{V}\n`: works over `file://` and `http://`;
    /// the bootstrap scripts need `CARO_INSTALLER_VERSION`.
    #[default]
    TagFile,
    /// `releases/latest/download/` holds the legacy assets for the bootstrap scripts; the
    /// installer finds the tag through the API JSON. Needs a web server.
    DownloadDir,
}

/// A static mirror of one repository's releases, laid out as github.com serves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    owner: String,
    repo: String,
    latest: Latest,
}

impl Mirror {
    /// A mirror of `repo` (`owner/name`, such as `wildcard/caro`). Each part must be a
    /// plain name (letters, digits, `.`, `-`, `_`, and not `.` or `..`), since it becomes a
    /// directory under the output directory.
    pub fn new(repo: &str, latest: Latest) -> Result<Mirror> {
        let plain = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
        match repo.split_once('/') {
            Some((owner, name)) if plain(owner) && plain(name) => Ok(Mirror {
                owner: owner.to_string(),
                repo: name.to_string(),
                latest,
            }),
            _ => Err(invalid(
                repo,
                "a mirror repository is `owner/name`, such as `wildcard/caro`",
            )),
        }
    }

    /// Which meaning this mirror gives `releases/latest`.
    pub fn latest(&self) -> Latest {
        self.latest
    }

    /// `out/{owner}/{repo}/releases`: what `B/R/releases` is with `B` = `file://out`.
    pub fn releases_dir(&self, out: &Path) -> PathBuf {
        out.join(&self.owner).join(&self.repo).join("releases")
    }

    /// `out/{owner}/{repo}/releases/download/v{V}`: the directory to [`package`](super::package) into.
    pub fn download_dir(&self, out: &Path, version: &Version) -> PathBuf {
        self.releases_dir(out)
            .join("download")
            .join(release::tag(version))
    }

    /// `out/api/v3/repos/{owner}/{repo}/releases/latest`: the API's answer for a base URL
    /// that is not github.com.
    pub fn api_latest_path(&self, out: &Path) -> PathBuf {
        out.join("api/v3/repos")
            .join(&self.owner)
            .join(&self.repo)
            .join("releases/latest")
    }

    /// Marks `version`, already [packaged](super::package) into [`Mirror::download_dir`] as `assets`, as the
    /// latest release: `releases/latest` as chosen by [`Latest`], replacing what was there,
    /// and the API's JSON answer. Returns false, changing nothing, for a pre-release.
    pub fn write_latest(&self, out: &Path, version: &Version, assets: &[Asset]) -> Result<bool> {
        if !version.pre.is_empty() {
            return Ok(false);
        }
        let tag = release::tag(version);
        let latest = self.releases_dir(out).join("latest");
        remove_any(&latest)?;
        match self.latest {
            Latest::TagFile => write_atomically(&latest, format!("{tag}\n").as_bytes())?,
            Latest::DownloadDir => {
                let from = self.download_dir(out, version);
                let to = latest.join("download");
                fs::create_dir_all(&to).map_err(Error::file("create directory", &to))?;
                for asset in assets.iter().filter(|asset| asset.legacy) {
                    let file_name = &asset.file_name;
                    copy_hashing(&from.join(file_name), &to.join(file_name))?;
                    write_atomically(&to.join(asset.sidecar_name()), asset.sidecar().as_bytes())?;
                }
            }
        }
        let json = serde_json::json!({
            "tag_name": tag,
            "name": tag,
            "draft": false,
            "prerelease": false,
        });
        write_atomically(&self.api_latest_path(out), format!("{json}\n").as_bytes())?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn mirrors_take_only_plain_owner_and_name() {
        let mirror = Mirror::new("wildcard/caro", Latest::TagFile).unwrap();
        let out = Path::new("out");
        assert_eq!(
            mirror.download_dir(out, &v("1.2.0")),
            Path::new("out/wildcard/caro/releases/download/v1.2.0")
        );
        assert_eq!(
            mirror.api_latest_path(out),
            Path::new("out/api/v3/repos/wildcard/caro/releases/latest")
        );
        for repo in [
            "caro",
            "wildcard/",
            "/caro",
            "../caro",
            "wildcard/..",
            "a/b/c",
            "a\\b/c",
            "wild card/caro",
        ] {
            let error = Mirror::new(repo, Latest::TagFile).unwrap_err().to_string();
            assert!(error.contains("owner/name"), "{repo}: {error}");
        }
    }
}
