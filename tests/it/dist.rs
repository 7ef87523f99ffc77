//! The release pipeline's packaging (`caro_install::dist`) against the real installer: what
//! `dist` lays out, `caro-install` must install, with no network (a `file://` mirror).

use std::fs;

use caro_install::dist::{self, Build, Latest, Mirror};
use caro_install::{Platform, Version};

fn version(text: &str) -> Version {
    Version::parse(text).unwrap()
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("caro-dist-")
        .tempdir()
        .expect("create a temp dir")
}

#[test]
fn every_asset_has_a_sidecar_the_installer_accepts() {
    let root = temp_dir();
    let binary = root.path().join("caro.exe");
    fs::write(&binary, b"MZ stand-in").unwrap();
    let builds = [
        Build {
            platform: Platform::WindowsAmd64,
            path: binary.clone(),
        },
        Build {
            platform: Platform::WindowsArm64,
            path: binary,
        },
    ];
    let out = root.path().join("dist");
    let assets = dist::package("caro", &version("1.2.0"), &builds, &out).unwrap();
    let names: Vec<_> = assets.iter().map(|a| a.file_name.as_str()).collect();
    // caro's releases carry versioned names only: no `caro-windows-amd64.exe` that every
    // release shares, under which an old signed build could be replayed.
    assert_eq!(
        names,
        [
            "caro-1.2.0-windows-amd64.exe",
            "caro-1.2.0-windows-arm64.exe",
        ]
    );
    assert!(!out.join("caro-windows-amd64.exe").exists());
    let sums = fs::read_to_string(out.join(dist::SUMS_FILE)).unwrap();
    for asset in &assets {
        assert_eq!(
            fs::read(out.join(&asset.file_name)).unwrap(),
            b"MZ stand-in"
        );
        let sidecar = fs::read_to_string(out.join(asset.sidecar_name())).unwrap();
        assert_eq!(sidecar, format!("{}  {}\n", asset.sha256, asset.file_name));
        assert_eq!(
            caro_install::parse_sidecar(&sidecar, &asset.file_name),
            Ok(asset.sha256)
        );
        assert_eq!(
            caro_install::parse_sidecar(&sums, &asset.file_name),
            Ok(asset.sha256)
        );
    }
}

#[test]
fn the_download_dir_layout_serves_the_bootstrap_names_and_the_api_answer() {
    let root = temp_dir();
    let binary = root.path().join("caro-install");
    fs::write(&binary, b"static musl build").unwrap();
    let builds = ["linux-amd64", "linux-amd64-musl"].map(|key| Build {
        platform: key.parse().unwrap(),
        path: binary.clone(),
    });
    let out = root.path().join("mirror");
    let version = version("0.2.0");
    let releases = out.join("wildcard/caro-install/releases");

    // First as a tag file, then switched to the directory layout, then back: each
    // replaces what the other left at `releases/latest`.
    for latest in [Latest::TagFile, Latest::DownloadDir, Latest::TagFile] {
        let mirror = Mirror::new("wildcard/caro-install", latest).unwrap();
        let assets = dist::package(
            "caro-install",
            &version,
            &builds,
            &mirror.download_dir(&out, &version),
        )
        .unwrap();
        assert!(mirror.write_latest(&out, &version, &assets).unwrap());
        if latest == Latest::DownloadDir {
            let download = releases.join("latest/download");
            let mut names: Vec<_> = fs::read_dir(&download)
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            assert_eq!(
                names,
                [
                    "caro-install-linux-amd64",
                    "caro-install-linux-amd64-musl",
                    "caro-install-linux-amd64-musl.sha256",
                    "caro-install-linux-amd64.sha256",
                ]
            );
            assert_eq!(
                fs::read(download.join("caro-install-linux-amd64-musl")).unwrap(),
                b"static musl build"
            );
        } else {
            assert_eq!(
                fs::read_to_string(releases.join("latest")).unwrap(),
                "v0.2.0\n"
            );
        }
        let api = fs::read_to_string(mirror.api_latest_path(&out)).unwrap();
        assert!(api.contains(r#""tag_name":"v0.2.0""#), "{api}");
    }
}

#[test]
fn packaging_in_place_keeps_the_bytes() {
    let root = temp_dir();
    let out = root.path().join("dist");
    fs::create_dir_all(&out).unwrap();
    let legacy = out.join("caro-linux-amd64");
    fs::write(&legacy, b"built into dist").unwrap();
    let build = Build {
        platform: Platform::LinuxAmd64,
        path: legacy.clone(),
    };
    dist::package("caro", &version("1.2.0"), &[build], &out).unwrap();
    assert_eq!(fs::read(&legacy).unwrap(), b"built into dist");
    assert_eq!(
        fs::read(out.join("caro-1.2.0-linux-amd64")).unwrap(),
        b"built into dist"
    );
}

#[test]
fn a_missing_build_names_its_path_and_writes_no_sums() {
    let root = temp_dir();
    let missing = root.path().join("target/release/caro");
    let build = Build {
        platform: Platform::LinuxAmd64,
        path: missing.clone(),
    };
    let out = root.path().join("dist");
    let error = dist::package("caro", &version("1.2.0"), &[build], &out).unwrap_err();
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );
    assert!(!out.join(dist::SUMS_FILE).exists());
}

/// The installs themselves: a shell-script stand-in for caro, so Unix only (the Windows
/// bootstrap job of .github/workflows/ci.yml covers Windows with a real executable).
#[cfg(unix)]
mod installs {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use caro_install::Platform;
    use caro_install::dist::{self, Build, Latest, Mirror};

    use super::{temp_dir, version};

    /// The version the stand-in prints and the mirror publishes.
    const VERSION: &str = "9.9.9";

    /// A stand-in caro: a shell script that prints `caro 9.9.9`.
    fn stand_in(dir: &Path) -> PathBuf {
        let path = dir.join("stand-in-caro");
        fs::write(&path, format!("#!/bin/sh\necho \"caro {VERSION}\"\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// The stand-in under every key a Unix machine may choose, so detection picks any of them.
    fn unix_builds(path: &Path) -> Vec<Build> {
        Platform::ALL
            .into_iter()
            .filter(|platform| !platform.is_windows())
            .map(|platform| Build {
                platform,
                path: path.to_path_buf(),
            })
            .collect()
    }

    /// Lays out caro `text_version` from the stand-in as a `file://` mirror of `wildcard/caro`
    /// under `out`, with `releases/latest` as a tag file.
    fn lay_out_caro(out: &Path, stand_in: &Path, text_version: &str) -> (Mirror, Vec<dist::Asset>) {
        let mirror = Mirror::new("wildcard/caro", Latest::TagFile).unwrap();
        let version = version(text_version);
        let assets = dist::package(
            "caro",
            &version,
            &unix_builds(stand_in),
            &mirror.download_dir(out, &version),
        )
        .unwrap();
        mirror.write_latest(out, &version, &assets).unwrap();
        (mirror, assets)
    }

    /// Runs the real `caro-install` with `args`, a clean environment, HOME and XDG_CONFIG_HOME
    /// under `root`, and the base URL at the mirror in `root/mirror`.
    fn caro_install(root: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_caro-install"))
            .args(args)
            .arg("--install-dir")
            .arg(root.join("bin"))
            .args(["--no-modify-path", "-y"])
            .env_clear()
            .env("PATH", root.join("no-tools"))
            .env("HOME", root.join("home"))
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env(
                "CARO_INSTALLER_GITHUB_BASE_URL",
                format!("file://{}", root.join("mirror").display()),
            )
            .output()
            .expect("run caro-install")
    }

    #[track_caller]
    fn assert_success(output: &Output) {
        assert!(
            output.status.success(),
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Runs the installed caro and returns what it printed.
    #[track_caller]
    fn run_installed(root: &Path) -> String {
        let output = Command::new(root.join("bin/caro"))
            .output()
            .expect("run the installed caro");
        assert_success(&output);
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    #[test]
    fn a_mirror_laid_out_by_dist_installs_a_pinned_version() {
        let root = temp_dir();
        fs::create_dir_all(root.path().join("home")).unwrap();
        let stand_in = stand_in(root.path());
        lay_out_caro(&root.path().join("mirror"), &stand_in, VERSION);

        let output = caro_install(root.path(), &["--version", VERSION]);
        assert_success(&output);
        assert_eq!(run_installed(root.path()), format!("caro {VERSION}"));
    }

    #[test]
    fn latest_resolves_from_the_mirror_and_skips_a_pre_release() {
        let root = temp_dir();
        fs::create_dir_all(root.path().join("home")).unwrap();
        let stand_in = stand_in(root.path());
        let out = root.path().join("mirror");
        let (mirror, _) = lay_out_caro(&out, &stand_in, VERSION);
        let latest = out.join("wildcard/caro/releases/latest");
        assert_eq!(fs::read_to_string(&latest).unwrap(), "v9.9.9\n");

        // A later pre-release is laid out beside it but does not become the latest.
        let rc = version("10.0.0-rc.1");
        let assets = dist::package(
            "caro",
            &rc,
            &unix_builds(&stand_in),
            &mirror.download_dir(&out, &rc),
        )
        .unwrap();
        assert!(!mirror.write_latest(&out, &rc, &assets).unwrap());
        assert_eq!(fs::read_to_string(&latest).unwrap(), "v9.9.9\n");

        let output = caro_install(root.path(), &[]);
        assert_success(&output);
        assert_eq!(run_installed(root.path()), format!("caro {VERSION}"));
    }

    #[test]
    fn sha256sum_checks_every_asset_in_the_output_dir() {
        let root = temp_dir();
        let stand_in = stand_in(root.path());
        let out = root.path().join("dist");
        let assets =
            dist::package("caro", &version(VERSION), &unix_builds(&stand_in), &out).unwrap();
        assert_eq!(assets.len(), 6, "the versioned name of each of six builds");

        // GNU coreutils where it exists, else the shasum every macOS has.
        let checked = Command::new("sha256sum")
            .args(["-c", dist::SUMS_FILE])
            .current_dir(&out)
            .output()
            .or_else(|_| {
                Command::new("shasum")
                    .args(["-a", "256", "-c", dist::SUMS_FILE])
                    .current_dir(&out)
                    .output()
            })
            .expect("run sha256sum or shasum");
        assert_success(&checked);
        let report = String::from_utf8_lossy(&checked.stdout);
        for asset in &assets {
            assert!(
                report.contains(&format!("{}: OK", asset.file_name)),
                "{report}"
            );
        }
    }
}

#[test]
fn npm_packages_of_another_version_in_the_way_are_refused_before_writing() {
    let root = temp_dir();
    let binary = root.path().join("caro");
    fs::write(&binary, b"#!/bin/sh\necho caro\n").unwrap();
    let builds = [Build {
        platform: Platform::LinuxAmd64,
        path: binary,
    }];
    let npm_dir = root.path().join("npm");
    let lay_out = |text: &str| {
        let version = version(text);
        let release = root.path().join(text);
        let assets = dist::package("caro", &version, &builds, &release).unwrap();
        let packages = caro_install::npm::plan("caro", &version, &assets, &release).unwrap();
        caro_install::npm::write(&packages, &npm_dir)
    };
    lay_out("1.2.0").unwrap();
    // The same release again is fine: dist may be re-run.
    lay_out("1.2.0").unwrap();
    let manifest = npm_dir.join("wildcard-caro-linux-x64/package.json");
    let before = fs::read(&manifest).unwrap();
    let message = lay_out("1.3.0").unwrap_err().to_string();
    assert!(
        message.contains("@wildcard/caro-linux-x64@1.2.0") && message.contains("1.3.0"),
        "{message}"
    );
    assert_eq!(fs::read(&manifest).unwrap(), before);
    let wrapper = fs::read_to_string(npm_dir.join("wildcard-caro/bin/caro.js")).unwrap();
    assert_eq!(wrapper, caro_install::npm::WRAPPER);
    let data = fs::read_to_string(npm_dir.join("wildcard-caro/release.json")).unwrap();
    assert!(data.contains(r#""version": "1.2.0""#), "{data}");
}

/// A signature binds the asset's name and the release's version (docs/security.md), for
/// the binaries and the bundles alike; caro gets no legacy copy to sign.
#[test]
fn signatures_name_the_file_and_the_version() {
    let key = minisign::KeyPair::generate_encrypted_keypair(Some("pw".to_string())).unwrap();
    let root = temp_dir();
    let binary = root.path().join("caro");
    fs::write(&binary, b"#!/bin/sh\necho caro 2.0.0\n").unwrap();
    fs::write(root.path().join("m.gguf"), b"GGUF").unwrap();
    fs::write(root.path().join("LICENSE"), b"Apache-2.0").unwrap();
    let output = std::process::Command::new(crate::common::example("dist"))
        .args(["--name", "caro", "--version", "2.0.0", "--out", "out"])
        .args(["--bundle", "m=m.gguf:LICENSE"])
        .arg(format!("linux-amd64={}", binary.display()))
        .current_dir(root.path())
        .env_clear()
        .env(
            "CARO_DIST_MINISIGN_SECRET_KEY",
            key.sk.to_box(None).unwrap().into_string(),
        )
        .env("CARO_DIST_MINISIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = root.path().join("out");
    let mut signed: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter_map(|name| name.strip_suffix(".minisig").map(str::to_string))
        .collect();
    signed.sort();
    assert_eq!(
        signed,
        [
            "caro-2.0.0-linux-amd64",
            "caro-2.0.0-linux-amd64-with-m.tar.gz"
        ]
    );
    for asset in signed {
        let text = fs::read_to_string(out.join(format!("{asset}.minisig"))).unwrap();
        let comment = text
            .lines()
            .find_map(|line| line.strip_prefix("trusted comment: "))
            .unwrap();
        assert_eq!(comment, format!("file:{asset} version:2.0.0"));
        assert_eq!(
            comment,
            caro_install::dist::names::trusted_comment(&asset, &version("2.0.0"))
        );
    }
}

/// A signing key that cannot be read stops dist before it writes anything, so a release is
/// never published half signed. (A wrong password is refused at the same point; it is not
/// tried here, as unlocking a key costs seconds of scrypt in a debug build.)
#[test]
fn a_bad_signing_key_writes_nothing() {
    let root = temp_dir();
    let binary = root.path().join("caro");
    fs::write(&binary, b"#!/bin/sh\necho caro 2.0.0\n").unwrap();
    let output = std::process::Command::new(crate::common::example("dist"))
        .args(["--name", "caro", "--version", "2.0.0", "--out", "out"])
        .arg(format!("linux-amd64={}", binary.display()))
        .current_dir(root.path())
        .env_clear()
        .env("CARO_DIST_MINISIGN_SECRET_KEY", "not a key")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("the minisign key in `CARO_DIST_MINISIGN_SECRET_KEY`"),
        "{stderr}"
    );
    assert!(!root.path().join("out").exists(), "{stderr}");
}
