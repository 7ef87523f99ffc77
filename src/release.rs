//! Versions, tags, asset names and where a release lives.
//!
//! All of it is pure: given a version request, a platform and a [`ReleaseSource`], these
//! functions say which URLs to try, in which order, and how to read the answers to the
//! `releases/latest` question. The HTTP itself happens in [`crate::download`], and the
//! orchestration (try the redirect, then the API) in [`crate::install`](mod@crate::install).

use std::fmt;
use std::str::FromStr;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::names;
use crate::platform::Platform;

/// A release version: semantic, without the `v` of its tag.
pub type Version = semver::Version;

/// Which program a release, an update or a start-up check is about. What differs between
/// caro and caro-install (where its releases are, how it prints its version, whether the
/// receipt tracks it) hangs on this, never on comparing names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// caro, from `CARO_INSTALL_REPO`.
    Caro,
    /// caro-install itself, from `CARO_INSTALLER_REPO`.
    Installer,
}

impl Program {
    /// The program for a binary name: `caro-install` is the installer, any other name
    /// (caro, or a program released the same way) is updated as caro is.
    pub fn of(name: &str) -> Program {
        if name == Program::Installer.name() {
            Program::Installer
        } else {
            Program::Caro
        }
    }

    /// The binary's name, without `.exe`.
    pub fn name(self) -> &'static str {
        match self {
            Program::Caro => names::CARO,
            Program::Installer => names::INSTALLER,
        }
    }

    /// Where its releases are published.
    pub fn source(self, env: &Env) -> ReleaseSource {
        match self {
            Program::Caro => ReleaseSource::caro(env),
            Program::Installer => ReleaseSource::installer(env),
        }
    }

    /// The flag that prints its version (caro-install's `--version` takes caro's version).
    pub fn version_flag(self) -> &'static str {
        match self {
            Program::Caro => "--version",
            Program::Installer => "-V",
        }
    }

    /// Returns true if and only if the receipt records this program's installs: caro's
    /// install is tracked (its platform, its asset); caro-install is one build per machine.
    pub fn tracked_by_receipt(self) -> bool {
        self == Program::Caro
    }
}

/// The npm package that ships `app`: caro's is scoped (`@wildcard/caro`), caro-install's is
/// not, so that `npx caro-install` runs it. Any other program keeps its own name.
pub fn npm_package(app: &str) -> String {
    match app {
        "caro" => "@wildcard/caro".to_string(),
        other => other.to_string(),
    }
}

/// What the user asked for: the newest release, or one exact version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRequest {
    /// The newest release that is not a pre-release.
    Latest,
    /// Exactly this version.
    Exact(Version),
}

impl FromStr for VersionRequest {
    type Err = Error;

    /// Accepts `latest`, `1.0.2`, `v1.0.2` and pre-releases like `1.1.0-beta.2`; rejects
    /// anything else (paths, control characters, partial versions) with the reason.
    fn from_str(input: &str) -> Result<VersionRequest> {
        let invalid = |reason: &str| Error::InvalidVersion {
            input: input.escape_debug().to_string(),
            reason: reason.to_string(),
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        if trimmed.eq_ignore_ascii_case("latest") {
            return Ok(VersionRequest::Latest);
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
        {
            return Err(invalid("it contains a path separator or control character"));
        }
        let bare = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
        let version =
            Version::parse(bare).map_err(|e| invalid(&format!("not a semantic version ({e})")))?;
        if !version.build.is_empty() {
            return Err(invalid(
                "build metadata (`+...`) is not part of a release tag",
            ));
        }
        Ok(VersionRequest::Exact(version))
    }
}

impl fmt::Display for VersionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionRequest::Latest => f.write_str("latest"),
            VersionRequest::Exact(version) => write!(f, "{version}"),
        }
    }
}

/// The git tag of a version: `v1.0.2`.
pub fn tag(version: &Version) -> String {
    format!("v{version}")
}

/// How an asset is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    /// The executable itself.
    Binary,
    /// A gzipped tarball holding the executable.
    TarGz,
    /// A zip archive holding the executable.
    Zip,
}

/// One asset name to try, in docs/releases.md's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The file name on the release.
    pub file_name: String,
    /// How it is packaged.
    pub kind: AssetKind,
}

/// The asset names a release publishes for `name` (`caro` or `caro-install`) at `version`
/// on `platform`, in the order they are tried: versioned binary, versioned archive, legacy
/// binary. The next is tried only when the previous answered 404. The names come from
/// `names.rs`, the table `dist` and every channel publish from.
pub fn asset_candidates(name: &str, version: &Version, platform: Platform) -> Vec<Candidate> {
    let archive_kind = if platform.is_windows() {
        AssetKind::Zip
    } else {
        AssetKind::TarGz
    };
    vec![
        Candidate {
            file_name: names::versioned_binary(name, version, platform),
            kind: AssetKind::Binary,
        },
        Candidate {
            file_name: names::versioned_archive(name, version, platform),
            kind: archive_kind,
        },
        Candidate {
            file_name: names::legacy_binary(name, platform),
            kind: AssetKind::Binary,
        },
    ]
}

/// Every name the installer tries: [`asset_candidates`], then the versioned binary under
/// each of the platform's [aliases](Platform::aliases) (hand-uploaded releases), tried
/// only after the canonical names answered 404.
pub fn download_candidates(name: &str, version: &Version, platform: Platform) -> Vec<Candidate> {
    let exe = platform.exe_suffix();
    let mut candidates = asset_candidates(name, version, platform);
    candidates.extend(platform.aliases().iter().map(|alias| Candidate {
        file_name: format!("{name}-{version}-{alias}{exe}"),
        kind: AssetKind::Binary,
    }));
    candidates
}

/// Where a repository's releases are published: base URL, `owner/name`, and the API root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSource {
    /// `CARO_INSTALLER_GITHUB_BASE_URL` without a trailing slash.
    pub base_url: String,
    /// `owner/name`.
    pub repo: String,
    /// `CARO_INSTALLER_API_URL`, or derived from the base URL.
    pub api_url: String,
    /// The variable that sets `repo`, for help lines: `CARO_INSTALL_REPO` (caro, and any
    /// source made with [`ReleaseSource::new`]) or `CARO_INSTALLER_REPO` (caro-install).
    pub repo_variable: &'static str,
}

impl ReleaseSource {
    /// The source for caro (`CARO_INSTALL_REPO`, default `wildcard/caro`).
    pub fn caro(env: &Env) -> ReleaseSource {
        ReleaseSource::new(env, env.var("CARO_INSTALL_REPO").unwrap_or("wildcard/caro"))
    }

    /// The source for caro-install itself (`CARO_INSTALLER_REPO`, default
    /// `wildcard/caro-install`).
    pub fn installer(env: &Env) -> ReleaseSource {
        ReleaseSource {
            repo_variable: "CARO_INSTALLER_REPO",
            ..ReleaseSource::new(
                env,
                env.var("CARO_INSTALLER_REPO")
                    .unwrap_or("wildcard/caro-install"),
            )
        }
    }

    /// A source for `repo` with the base and API URLs of `env`.
    pub fn new(env: &Env, repo: &str) -> ReleaseSource {
        let base_url = env
            .var("CARO_INSTALLER_GITHUB_BASE_URL")
            .unwrap_or("https://github.com")
            .trim_end_matches('/')
            .to_string();
        let api_url = match env.var("CARO_INSTALLER_API_URL") {
            Some(api) => api.trim_end_matches('/').to_string(),
            None if base_url == "https://github.com" => "https://api.github.com".to_string(),
            None => format!("{base_url}/api/v3"),
        };
        ReleaseSource {
            base_url,
            repo: repo.trim_matches('/').to_string(),
            api_url,
            repo_variable: "CARO_INSTALL_REPO",
        }
    }

    /// `B/R/releases/download/v{V}/{file_name}`.
    pub fn asset_url(&self, version: &Version, file_name: &str) -> String {
        format!(
            "{}/{}/releases/download/{}/{file_name}",
            self.base_url,
            self.repo,
            tag(version)
        )
    }

    /// `B/R/releases/tag/v{V}`: the release's page, which exists once the release does.
    pub fn tag_url(&self, version: &Version) -> String {
        format!(
            "{}/{}/releases/tag/{}",
            self.base_url,
            self.repo,
            tag(version)
        )
    }

    /// `B/R/releases/download/v{V}`: a folder on a static mirror (GitHub answers 404).
    pub fn download_folder_url(&self, version: &Version) -> String {
        format!(
            "{}/{}/releases/download/{}",
            self.base_url,
            self.repo,
            tag(version)
        )
    }

    /// `B/R/releases/latest`: a redirect to the tag, or a mirror's text body.
    pub fn latest_url(&self) -> String {
        format!("{}/{}/releases/latest", self.base_url, self.repo)
    }

    /// `API/repos/R/releases?per_page=20`: the newest releases with their assets.
    pub fn api_releases_url(&self) -> String {
        format!("{}/repos/{}/releases?per_page=20", self.api_url, self.repo)
    }

    /// `API/repos/R/releases/latest`.
    pub fn api_latest_url(&self) -> String {
        format!("{}/repos/{}/releases/latest", self.api_url, self.repo)
    }

    /// The human page for the releases, for help messages.
    pub fn releases_page(&self) -> String {
        format!("{}/{}/releases", self.base_url, self.repo)
    }
}

/// Reads the version out of a `releases/latest` redirect's `Location`
/// (`.../releases/tag/v1.2.3`); `None` if it is not a tag URL.
pub fn version_from_location(location: &str) -> Option<Version> {
    let (_, tag) = location.trim().rsplit_once("/releases/tag/")?;
    version_from_tag(tag.split(['?', '#']).next()?)
}

/// Reads the version out of a static mirror's `releases/latest` body: just `v1.2.3`, with
/// optional surrounding white space.
pub fn version_from_body(body: &str) -> Option<Version> {
    let body = body.trim();
    if body.lines().count() != 1 {
        return None;
    }
    version_from_tag(body)
}

/// Reads `tag_name` from the API's `releases/latest` JSON.
pub fn version_from_api(json: &str) -> Option<Version> {
    #[derive(serde::Deserialize)]
    struct Release {
        tag_name: String,
    }
    version_from_tag(&serde_json::from_str::<Release>(json).ok()?.tag_name)
}

/// The newest release in the API's release list (`json`, newest first) that is neither a
/// draft nor a pre-release, is not `except`, and publishes one of `assets`: which release
/// to offer while `latest` has no build for this platform yet.
pub fn newest_release_with(json: &str, assets: &[String], except: &Version) -> Option<Version> {
    #[derive(serde::Deserialize)]
    struct Asset {
        name: String,
    }
    #[derive(serde::Deserialize)]
    struct Release {
        tag_name: String,
        #[serde(default)]
        draft: bool,
        #[serde(default)]
        prerelease: bool,
        #[serde(default)]
        assets: Vec<Asset>,
    }
    let releases: Vec<Release> = serde_json::from_str(json).ok()?;
    releases
        .into_iter()
        .filter(|r| !r.draft && !r.prerelease)
        .filter_map(|r| Some((version_from_tag(&r.tag_name)?, r.assets)))
        .filter(|(version, _)| version != except && version.pre.is_empty())
        .find(|(version, published)| {
            let names: Vec<String> = assets
                .iter()
                .map(|a| a.replace("{V}", &version.to_string()))
                .collect();
            published.iter().any(|asset| names.contains(&asset.name))
        })
        .map(|(version, _)| version)
}

fn version_from_tag(tag: &str) -> Option<Version> {
    let bare = tag.strip_prefix(['v', 'V'])?;
    Version::parse(bare).ok()
}

/// Returns true if and only if moving from `installed` to `candidate` is an upgrade
/// (semver order, so `1.1.0-beta.2 < 1.1.0`).
pub fn is_newer(candidate: &Version, installed: &Version) -> bool {
    candidate > installed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn the_newest_stable_release_with_the_build_is_offered() {
        let json = r#"[
            {"tag_name": "v1.2.0", "assets": [{"name": "caro-1.2.0-macos-intel"}]},
            {"tag_name": "v1.2.0-beta.1", "prerelease": true,
             "assets": [{"name": "caro-1.2.0-beta.1-linux-amd64"}]},
            {"tag_name": "v1.1.9", "draft": true, "assets": [{"name": "caro-1.1.9-linux-amd64"}]},
            {"tag_name": "v1.1.3", "assets": [{"name": "caro-1.1.3-linux-amd64.tar.gz"}]},
            {"tag_name": "v1.0.2", "assets": [{"name": "caro-linux-amd64"}]}
        ]"#;
        let assets = [
            "caro-{V}-linux-amd64".to_string(),
            "caro-{V}-linux-amd64.tar.gz".to_string(),
        ];
        let latest = Version::parse("1.2.0").unwrap();
        assert_eq!(
            newest_release_with(json, &assets, &latest),
            Some(Version::parse("1.1.3").unwrap())
        );
        assert_eq!(newest_release_with("not json", &assets, &latest), None);
    }

    #[test]
    fn version_requests_parse() {
        assert_eq!(
            "1.0.2".parse::<VersionRequest>().unwrap(),
            VersionRequest::Exact(v("1.0.2"))
        );
        assert_eq!(
            "v1.0.2".parse::<VersionRequest>().unwrap(),
            VersionRequest::Exact(v("1.0.2"))
        );
        assert_eq!(
            "1.1.0-beta.2".parse::<VersionRequest>().unwrap(),
            VersionRequest::Exact(v("1.1.0-beta.2"))
        );
        assert_eq!(
            "latest".parse::<VersionRequest>().unwrap(),
            VersionRequest::Latest
        );
        assert_eq!(
            " LATEST ".parse::<VersionRequest>().unwrap(),
            VersionRequest::Latest
        );
    }

    #[test]
    fn hostile_versions_are_rejected_with_a_reason() {
        for input in [
            "",
            "../../x",
            "1.0",
            "1.0.2/../x",
            "1.0.2\u{7}",
            "vv1.0.2",
            "1.0.2+build",
            "1.0.2 latest",
        ] {
            let error = input.parse::<VersionRequest>();
            assert!(
                matches!(error, Err(Error::InvalidVersion { .. })),
                "{input:?} -> {error:?}"
            );
        }
        // Trailing white space alone is trimmed (env vars often carry a newline), but a
        // control character inside is not.
        assert!("1.0.2\n".parse::<VersionRequest>().is_ok());
        assert!("1.0\u{7}.2".parse::<VersionRequest>().is_err());
        let message = "../../x".parse::<VersionRequest>().unwrap_err().to_string();
        assert!(
            message.contains("../../x") && message.contains("path separator"),
            "{message}"
        );
    }

    #[test]
    fn candidates_are_versioned_then_archive_then_legacy() {
        let names: Vec<_> = asset_candidates("caro", &v("1.0.3"), Platform::LinuxAmd64)
            .into_iter()
            .map(|c| c.file_name)
            .collect();
        assert_eq!(
            names,
            [
                "caro-1.0.3-linux-amd64",
                "caro-1.0.3-linux-amd64.tar.gz",
                "caro-linux-amd64"
            ]
        );
        let windows = asset_candidates("caro", &v("1.0.3"), Platform::WindowsAmd64);
        assert_eq!(windows[0].file_name, "caro-1.0.3-windows-amd64.exe");
        assert_eq!(
            (windows[1].file_name.as_str(), windows[1].kind),
            ("caro-1.0.3-windows-amd64.zip", AssetKind::Zip)
        );
        assert_eq!(windows[2].file_name, "caro-windows-amd64.exe");
    }

    #[test]
    fn urls_follow_the_release_layout() {
        let env = Env::from_vars([("CARO_INSTALLER_GITHUB_BASE_URL", "https://ghe.example/")]);
        let source = ReleaseSource::caro(&env);
        assert_eq!(
            source.asset_url(&v("1.0.3"), "caro-1.0.3-linux-amd64"),
            "https://ghe.example/wildcard/caro/releases/download/v1.0.3/caro-1.0.3-linux-amd64"
        );
        assert_eq!(
            source.latest_url(),
            "https://ghe.example/wildcard/caro/releases/latest"
        );
        assert_eq!(
            source.api_latest_url(),
            "https://ghe.example/api/v3/repos/wildcard/caro/releases/latest"
        );
        let github = ReleaseSource::caro(&Env::default());
        assert_eq!(
            github.api_latest_url(),
            "https://api.github.com/repos/wildcard/caro/releases/latest"
        );
        let installer = ReleaseSource::installer(&Env::from_vars([(
            "CARO_INSTALLER_API_URL",
            "http://127.0.0.1:9/",
        )]));
        assert_eq!(
            installer.api_latest_url(),
            "http://127.0.0.1:9/repos/wildcard/caro-install/releases/latest"
        );
    }

    #[test]
    fn latest_answers_parse() {
        assert_eq!(
            version_from_location("https://github.com/wildcard/caro/releases/tag/v1.1.0"),
            Some(v("1.1.0"))
        );
        assert_eq!(
            version_from_location("/wildcard/caro/releases/tag/v1.1.0-rc.1"),
            Some(v("1.1.0-rc.1"))
        );
        assert_eq!(version_from_location("https://github.com/login"), None);
        assert_eq!(version_from_body("v1.1.0\n"), Some(v("1.1.0")));
        assert_eq!(version_from_body("<html>v1.1.0</html>"), None);
        assert_eq!(version_from_body("v1.1.0\nv1.0.0"), None);
        assert_eq!(
            version_from_api(r#"{"tag_name":"v1.1.0","prerelease":false}"#),
            Some(v("1.1.0"))
        );
        assert_eq!(version_from_api(r#"{"message":"Not Found"}"#), None);
    }

    #[test]
    fn newer_uses_semver_order() {
        assert!(is_newer(&v("1.1.0"), &v("1.0.3")));
        assert!(is_newer(&v("1.1.0"), &v("1.1.0-beta.2")));
        assert!(!is_newer(&v("1.0.3"), &v("1.0.3")));
        assert!(!is_newer(&v("1.0.10"), &v("1.1.0")));
    }
}
