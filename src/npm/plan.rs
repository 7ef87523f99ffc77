//! What each package holds: the platform packages' manifests and binaries, the main
//! package's pins, wrapper and `release.json`, and the checks that tie their versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::invalid;
use super::targets::{SCOPE, TargetRow, node_target, node_targets, package_dir, platform_package};
use crate::checksum::Digest;
use crate::dist::Asset;
use crate::error::Result;
use crate::platform::Platform;
use crate::release::Version;
use crate::release::npm_package;

/// The generated data file the wrapper reads, in the main package.
pub const RELEASE_FILE: &str = "release.json";

/// The wrapper every main package runs (plain Node, no dependencies).
pub const WRAPPER: &str = include_str!("../../npm/wrapper.js");

/// The one-line installs of README.md, offered by the wrapper where npm has no build.
pub const INSTALL_UNIX: &str = "curl --proto '=https' --tlsv1.2 -fsSL https://github.com/wildcard/caro-install/releases/latest/download/install.sh | sh";
/// The Windows one-liner of README.md.
pub const INSTALL_WINDOWS: &str =
    "irm https://github.com/wildcard/caro-install/releases/latest/download/install.ps1 | iex";

/// A `package.json`, with the fields in the order people expect to read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The package name.
    pub name: String,
    /// The release version.
    pub version: String,
    /// One line about it.
    pub description: String,
    /// The licence expression.
    pub license: String,
    /// Where the source is.
    pub repository: Repository,
    /// Platform packages: the `process.platform` it installs on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub os: Vec<String>,
    /// Platform packages: the `process.arch` it installs on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu: Vec<String>,
    /// Platform packages on Linux: the C library it needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libc: Vec<String>,
    /// The files the tarball holds.
    pub files: Vec<String>,
    /// Platform packages: `true`, so that Yarn Plug'n'Play unpacks the package to disk
    /// instead of leaving the binary inside a zip archive, where it cannot be run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prefer_unplugged: bool,
    /// Main packages: the command and the wrapper it runs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bin: BTreeMap<String, String>,
    /// Main packages: every platform package, pinned to this very version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub optional_dependencies: BTreeMap<String, String>,
    /// Main packages: the oldest Node the wrapper runs on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub engines: BTreeMap<String, String>,
}

/// A `package.json` `repository`, in the object form `npm publish` would otherwise
/// rewrite a plain URL to (with a warning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// Always `git`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `git+https://...git`.
    pub url: String,
}

impl Repository {
    fn this() -> Repository {
        Repository {
            kind: "git".to_string(),
            url: format!("git+{REPOSITORY}.git"),
        }
    }
}

/// What the wrapper reads (`release.json`): the table, and each build's package and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseData {
    /// The command, `caro` or `caro-install`.
    pub name: String,
    /// The main package.
    pub package: String,
    /// The release version.
    pub version: String,
    /// From [`node_targets`].
    pub targets: Vec<TargetRow>,
    /// Per platform key of the release: its package, binary path inside it, and sha256.
    pub builds: BTreeMap<String, BuildData>,
    /// The one-liners to offer where npm has no build.
    pub install: BTreeMap<String, String>,
    /// The variable that makes the wrapper run another binary, from
    /// [`binary_path_variable`].
    pub binary_path_variable: String,
}

/// The environment variable that points `name`'s wrapper at another binary (a local
/// build, or one for a machine npm has no package for): `CARO_BINARY_PATH` for caro, as
/// esbuild has `ESBUILD_BINARY_PATH`. caro-install's is `CARO_INSTALLER_BINARY_PATH`,
/// beside the other `CARO_INSTALLER_` variables about caro-install itself (the
/// `CARO_INSTALL_` ones are about how it installs caro).
pub fn binary_path_variable(name: &str) -> String {
    let stem = match name {
        "caro-install" => "CARO_INSTALLER".to_string(),
        _ => name.to_ascii_uppercase().replace('-', "_"),
    };
    format!("{stem}_BINARY_PATH")
}

/// One build in [`ReleaseData`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildData {
    /// The platform package holding it.
    pub package: String,
    /// The binary's path inside that package.
    pub binary: String,
    /// The sha256 of the release asset, which the binary must have.
    pub sha256: String,
}

/// A file of a package to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    /// Text, written as it is.
    Text(String),
    /// A release asset, copied from `from`; its bytes must hash to `sha256`.
    Binary {
        /// The asset in the release directory.
        from: PathBuf,
        /// Its digest, as the release recorded it.
        sha256: Digest,
    },
}

/// One npm package to lay out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The directory under the output directory, from [`package_dir`].
    pub dir: String,
    /// Its `package.json`.
    pub manifest: Manifest,
    /// Its other files, by path inside the package.
    pub files: Vec<(String, Contents)>,
}

const REPOSITORY: &str = "https://github.com/wildcard/caro-install";

/// Plans the npm packages of `name` at `version` from the versioned `assets` that
/// [`crate::dist::package`] wrote into `release_dir`: the platform packages in [`Platform::ALL`]'s
/// order, then the main package. Pure; [`check`] has run on the result.
pub fn plan(
    name: &str,
    version: &Version,
    assets: &[Asset],
    release_dir: &Path,
) -> Result<Vec<Package>> {
    let version_text = version.to_string();
    let main = npm_package(name);
    let mut builds = BTreeMap::new();
    let mut packages = Vec::new();
    let mut pins = BTreeMap::new();
    for platform in Platform::ALL {
        let Some(asset) = assets
            .iter()
            .find(|asset| asset.platform == platform && !asset.legacy)
        else {
            continue;
        };
        let node = node_target(platform);
        let package = platform_package(name, platform);
        let binary = format!("bin/{name}{}", platform.exe_suffix());
        packages.push(Package {
            dir: package_dir(&package),
            manifest: Manifest {
                name: package.clone(),
                version: version_text.clone(),
                description: format!(
                    "The {name} {version_text} binary for {platform} ({}); installed by {main}",
                    node.suffix()
                ),
                license: "MIT OR Apache-2.0".to_string(),
                repository: Repository::this(),
                os: vec![node.platform.to_string()],
                cpu: cpus(platform, assets),
                libc: node.libc.map(str::to_string).into_iter().collect(),
                files: vec![binary.clone()],
                prefer_unplugged: true,
                bin: BTreeMap::new(),
                optional_dependencies: BTreeMap::new(),
                engines: BTreeMap::new(),
            },
            files: vec![(
                binary.clone(),
                Contents::Binary {
                    from: release_dir.join(&asset.file_name),
                    sha256: asset.sha256,
                },
            )],
        });
        pins.insert(package.clone(), version_text.clone());
        builds.insert(
            platform.key().to_string(),
            BuildData {
                package,
                binary,
                sha256: asset.sha256.to_string(),
            },
        );
    }
    if packages.is_empty() {
        return Err(invalid(
            &format!("{name} {version}"),
            "no versioned asset to make npm packages of",
        ));
    }
    let data = ReleaseData {
        name: name.to_string(),
        package: main.clone(),
        version: version_text.clone(),
        targets: node_targets(),
        builds,
        install: BTreeMap::from([
            ("unix".to_string(), INSTALL_UNIX.to_string()),
            ("windows".to_string(), INSTALL_WINDOWS.to_string()),
        ]),
        binary_path_variable: binary_path_variable(name),
    };
    let wrapper = format!("bin/{name}.js");
    let release_json = serde_json::to_string_pretty(&data).expect("plain data serialises") + "\n";
    packages.push(Package {
        dir: package_dir(&main),
        manifest: Manifest {
            name: main.clone(),
            version: version_text.clone(),
            description: format!(
                "{name} through npm: runs the {name} release binary for this platform, sha256-verified"
            ),
            license: "MIT OR Apache-2.0".to_string(),
            repository: Repository::this(),
            os: Vec::new(),
            cpu: Vec::new(),
            libc: Vec::new(),
            files: vec![wrapper.clone(), RELEASE_FILE.to_string()],
            prefer_unplugged: false,
            bin: BTreeMap::from([(name.to_string(), wrapper.clone())]),
            optional_dependencies: pins,
            engines: BTreeMap::from([("node".to_string(), ">=14".to_string())]),
        },
        files: vec![
            (wrapper, Contents::Text(WRAPPER.to_string())),
            (RELEASE_FILE.to_string(), Contents::Text(release_json)),
            ("README.md".to_string(), Contents::Text(readme(name, &main))),
        ],
    });
    check(&packages, version)?;
    Ok(packages)
}

/// The `cpu` field of `platform`'s package: its own, plus that of every machine that falls
/// back to it because the release has no build of its own (a Windows on ARM Node installs
/// the x86_64 package when there is no arm64 one, and the wrapper runs it).
fn cpus(platform: Platform, assets: &[Asset]) -> Vec<String> {
    let built = |key: Platform| assets.iter().any(|a| a.platform == key && !a.legacy);
    let mut cpus = vec![node_target(platform).arch.to_string()];
    for row in node_targets() {
        if row.fallback == Some(platform)
            && !built(row.key)
            && !cpus.contains(&row.node.arch.to_string())
        {
            cpus.push(row.node.arch.to_string());
        }
    }
    cpus
}

/// Checks that every manifest carries `version`, and that the main package (the last)
/// pins each platform package to exactly it: the invariant npm users rely on, since a
/// main package that pins another version runs another build than its digests describe.
pub fn check(packages: &[Package], version: &Version) -> Result<()> {
    let version = version.to_string();
    let Some((main, platforms)) = packages.split_last() else {
        return Err(invalid(&version, "no npm package was planned"));
    };
    for package in packages {
        if package.manifest.version != version {
            return Err(invalid(
                &package.manifest.name,
                &format!(
                    "its version is {}, but the release is {version}",
                    package.manifest.version
                ),
            ));
        }
    }
    for (dependency, pinned) in &main.manifest.optional_dependencies {
        if *pinned != version {
            return Err(invalid(
                &main.manifest.name,
                &format!("it pins `{dependency}` to {pinned}, but the release is {version}"),
            ));
        }
    }
    let planned: Vec<&String> = platforms.iter().map(|p| &p.manifest.name).collect();
    let pinned: Vec<&String> = main.manifest.optional_dependencies.keys().collect();
    let mut sorted = planned.clone();
    sorted.sort();
    if sorted != pinned {
        return Err(invalid(
            &main.manifest.name,
            "its optionalDependencies are not exactly the platform packages",
        ));
    }
    Ok(())
}

/// The main package's README: what it runs, what it checks, how it updates.
fn readme(name: &str, main: &str) -> String {
    format!(
        "# {main}\n\n\
         Runs the `{name}` release binary for this machine. npm installs exactly one platform\n\
         package (`{SCOPE}/{name}-<os>-<cpu>`) as an optional dependency; before its first run the\n\
         `{name}` command checks that binary's sha256 against the digest this package recorded\n\
         when it was packaged from the GitHub release, and refuses to run it on a mismatch.\n\n\
         Update with `npm update -g {main}`. Without npm, or on a machine npm has no build for:\n\n\
         ```sh\n{INSTALL_UNIX}\n```\n\n```powershell\n{INSTALL_WINDOWS}\n```\n\n\
         See {REPOSITORY}#readme.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(platform: Platform, legacy: bool) -> Asset {
        let version = Version::parse("1.2.0").unwrap();
        let names = crate::dist::asset_names("caro", &version, platform);
        Asset {
            file_name: names[usize::from(legacy)].clone(),
            platform,
            legacy,
            sha256: Digest([7; 32]),
        }
    }

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn the_main_package_pins_every_platform_package_to_the_release() {
        let assets = [
            asset(Platform::LinuxAmd64, false),
            asset(Platform::LinuxAmd64, true),
            asset(Platform::LinuxAmd64Musl, false),
            asset(Platform::WindowsAmd64, false),
        ];
        let packages = plan("caro", &v("1.2.0"), &assets, Path::new("rel")).unwrap();
        let dirs: Vec<_> = packages.iter().map(|p| p.dir.as_str()).collect();
        assert_eq!(
            dirs,
            [
                "wildcard-caro-linux-x64",
                "wildcard-caro-linux-x64-musl",
                "wildcard-caro-win32-x64",
                "wildcard-caro",
            ]
        );
        let main = &packages[3].manifest;
        assert_eq!(main.name, "@wildcard/caro");
        assert_eq!(main.bin["caro"], "bin/caro.js");
        assert_eq!(
            main.optional_dependencies,
            BTreeMap::from(
                [
                    "@wildcard/caro-linux-x64",
                    "@wildcard/caro-linux-x64-musl",
                    "@wildcard/caro-win32-x64"
                ]
                .map(|name| (name.to_string(), "1.2.0".to_string()))
            )
        );
        let musl = &packages[1].manifest;
        assert_eq!(
            (&musl.os[..], &musl.cpu[..]),
            (&["linux".to_string()][..], &["x64".to_string()][..])
        );
        assert_eq!(musl.libc, ["musl"]);
        // Yarn Plug'n'Play must unpack the binaries, and only them.
        assert!(packages[..3].iter().all(|p| p.manifest.prefer_unplugged));
        assert!(!main.prefer_unplugged);
        assert_eq!(packages[0].manifest.libc, ["glibc"]);
        assert!(packages[2].manifest.libc.is_empty());
        assert_eq!(packages[2].manifest.files, ["bin/caro.exe"]);
        assert_eq!(
            packages[0].files[0].1,
            Contents::Binary {
                from: PathBuf::from("rel/caro-1.2.0-linux-amd64"),
                sha256: Digest([7; 32])
            }
        );
    }

    #[test]
    fn release_json_carries_the_generated_table_and_digests() {
        let assets = [asset(Platform::MacosSilicon, false)];
        let packages = plan("caro-install", &v("0.2.0"), &assets, Path::new("rel")).unwrap();
        let main = packages.last().unwrap();
        assert_eq!(main.manifest.name, "caro-install");
        let (_, Contents::Text(json)) = main
            .files
            .iter()
            .find(|(path, _)| path == RELEASE_FILE)
            .unwrap()
        else {
            panic!("release.json is text");
        };
        let data: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            data["builds"]["macos-silicon"]["package"],
            "@wildcard/caro-install-darwin-arm64"
        );
        assert_eq!(data["builds"]["macos-silicon"]["sha256"], "07".repeat(32));
        assert_eq!(data["binary_path_variable"], "CARO_INSTALLER_BINARY_PATH");
        let rows = data["targets"].as_array().unwrap();
        assert_eq!(rows.len(), node_targets().len());
        assert!(rows.contains(&serde_json::json!(
            {"platform": "linux", "arch": "arm64", "libc": "musl", "key": "linux-arm64-musl"}
        )));
        assert!(rows.contains(&serde_json::json!(
            {"platform": "darwin", "arch": "arm64", "key": "macos-silicon"}
        )));
        assert!(rows.contains(&serde_json::json!(
            {"platform": "win32", "arch": "arm64", "key": "windows-arm64", "fallback": "windows-amd64"}
        )));
    }

    #[test]
    fn a_version_mismatch_anywhere_is_refused() {
        let assets = [
            asset(Platform::LinuxAmd64, false),
            asset(Platform::LinuxArm64, false),
        ];
        let good = plan("caro", &v("1.2.0"), &assets, Path::new("rel")).unwrap();

        let mut platform_off = good.clone();
        platform_off[1].manifest.version = "1.1.9".to_string();
        let message = check(&platform_off, &v("1.2.0")).unwrap_err().to_string();
        assert!(
            message.contains("@wildcard/caro-linux-arm64") && message.contains("1.1.9"),
            "{message}"
        );

        let mut pin_off = good.clone();
        pin_off[2]
            .manifest
            .optional_dependencies
            .insert("@wildcard/caro-linux-x64".to_string(), "1.1.9".to_string());
        let message = check(&pin_off, &v("1.2.0")).unwrap_err().to_string();
        assert!(
            message.contains("pins `@wildcard/caro-linux-x64` to 1.1.9"),
            "{message}"
        );

        let mut missing_pin = good;
        missing_pin[2]
            .manifest
            .optional_dependencies
            .remove("@wildcard/caro-linux-arm64");
        assert!(check(&missing_pin, &v("1.2.0")).is_err());
    }

    #[test]
    fn windows_on_arm_gets_the_x86_64_package_only_without_its_own() {
        let x64_only = [asset(Platform::WindowsAmd64, false)];
        let packages = plan("caro", &v("1.2.0"), &x64_only, Path::new("rel")).unwrap();
        assert_eq!(packages[0].manifest.cpu, ["x64", "arm64"]);
        let both = [
            asset(Platform::WindowsAmd64, false),
            asset(Platform::WindowsArm64, false),
        ];
        let packages = plan("caro", &v("1.2.0"), &both, Path::new("rel")).unwrap();
        assert_eq!(packages[0].manifest.cpu, ["x64"]);
        assert_eq!(packages[1].manifest.cpu, ["arm64"]);
        let row = node_targets()
            .into_iter()
            .find(|row| row.key == Platform::WindowsArm64)
            .unwrap();
        assert_eq!(row.fallback, Some(Platform::WindowsAmd64));
    }

    #[test]
    fn nothing_to_package_is_an_error() {
        let legacy_only = [asset(Platform::LinuxAmd64, true)];
        let message = plan("caro", &v("1.2.0"), &legacy_only, Path::new("rel"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("no versioned asset"), "{message}");
    }

    #[test]
    fn the_wrapper_offers_the_readme_one_liners() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(INSTALL_UNIX),
            "README.md lacks {INSTALL_UNIX}"
        );
        assert!(
            readme.contains(INSTALL_WINDOWS),
            "README.md lacks {INSTALL_WINDOWS}"
        );
    }

    #[test]
    fn each_command_has_its_own_binary_path_variable() {
        assert_eq!(binary_path_variable("caro"), "CARO_BINARY_PATH");
        assert_eq!(
            binary_path_variable("caro-install"),
            "CARO_INSTALLER_BINARY_PATH"
        );
        assert_eq!(binary_path_variable("my-tool"), "MY_TOOL_BINARY_PATH");
    }
}
