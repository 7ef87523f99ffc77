//! `caro-install` installing caro from a loopback release server, a file:// mirror, or cargo.

use std::fs;
use std::time::Duration;

use crate::common::*;

const CARO: &str = "wildcard/caro";

fn pinned(test: Test, version: &str) -> Test {
    test.args(["--version", version, "--no-modify-path", "-y"])
}

#[test]
fn pinned_versioned_install() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.3")
        .arg("--platform")
        .arg("linux-amd64");
    test.run()
        .success()
        .stderr_has("installed caro 1.0.3 (linux-amd64)");
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.3\n"
    );
    assert_no_temp_files(&test.bin_dir());
    // A pinned install needs no API request and no `latest` lookup.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/api") && !r.path.ends_with("/latest"))
    );
}

#[test]
fn legacy_name_is_used_for_old_releases() {
    let server = Server::start();
    let legacy = server.asset(CARO, "1.0.2", "caro-linux-amd64", &stand_in("1.0.2"));
    let test = pinned(Test::new().server(&server), "1.0.2").args(["--platform", "linux-amd64"]);
    test.run().success();
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.2\n"
    );
    assert_eq!(server.hits(&legacy), 1);
    // Tried in order: versioned, archive, then legacy.
    let order: Vec<_> = server
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| !p.ends_with(".sha256"))
        .collect();
    assert_eq!(
        order,
        [
            "/wildcard/caro/releases/download/v1.0.2/caro-1.0.2-linux-amd64",
            "/wildcard/caro/releases/download/v1.0.2/caro-1.0.2-linux-amd64.tar.gz",
            "/wildcard/caro/releases/download/v1.0.2/caro-linux-amd64",
        ]
    );
}

#[test]
fn v_prefixed_version_installs_the_same_release() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "v1.0.3").args(["--platform", "linux-amd64"]);
    test.run().success();
    assert_eq!(test.receipt()["version"], "1.0.3");
}

#[test]
fn prerelease_installs_when_pinned() {
    let server = Server::start();
    server.caro("1.1.0-beta.2", "linux-amd64");
    let test =
        pinned(Test::new().server(&server), "1.1.0-beta.2").args(["--platform", "linux-amd64"]);
    test.run().success();
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.1.0-beta.2\n"
    );
}

#[test]
fn latest_follows_the_redirect_and_never_asks_the_api() {
    let server = Server::start();
    server.latest("1.1.0");
    server.route(
        "/api/repos/wildcard/caro/releases/latest",
        403,
        vec![],
        "rate limited",
    );
    server.caro("1.1.0", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .args(["--no-modify-path", "--platform", "linux-amd64"]);
    test.run().success().stderr_has("installed caro 1.1.0");
    assert_eq!(server.hits("/api/repos/wildcard/caro/releases/latest"), 0);
}

#[test]
fn latest_reads_a_static_mirror_text_body() {
    let server = Server::start();
    server.file("/wildcard/caro/releases/latest", "v1.1.0\n");
    server.caro("1.1.0", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .args(["--no-modify-path", "--platform", "linux-amd64"]);
    test.run().success().stderr_has("installed caro 1.1.0");
    assert_eq!(server.hits("/api/repos/wildcard/caro/releases/latest"), 0);
}

#[test]
fn latest_falls_back_to_the_api() {
    let server = Server::start();
    server.file(
        "/api/repos/wildcard/caro/releases/latest",
        r#"{"tag_name":"v1.1.0","prerelease":false}"#,
    );
    server.caro("1.1.0", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .args(["--no-modify-path", "--platform", "linux-amd64"]);
    test.run().success().stderr_has("installed caro 1.1.0");
    assert_eq!(server.hits("/wildcard/caro/releases/latest"), 1);
    assert_eq!(server.hits("/api/repos/wildcard/caro/releases/latest"), 1);
}

#[test]
fn api_rate_limit_names_the_reset_time_and_the_token() {
    let server = Server::start();
    server.route(
        "/api/repos/wildcard/caro/releases/latest",
        403,
        vec![
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", "1795305300".into()),
        ],
        r#"{"message":"API rate limit exceeded"}"#,
    );
    let test = Test::new()
        .server(&server)
        .args(["--no-modify-path", "--platform", "linux-amd64"]);
    test.run()
        .failure()
        .stderr_has("rate limit")
        .stderr_has("2026-11-21T23:55:00Z")
        .stderr_has("help:")
        .stderr_has("CARO_GITHUB_TOKEN");
    assert_eq!(
        server.hits("/api/repos/wildcard/caro/releases/latest"),
        1,
        "a rate limit is not retried"
    );
}

#[test]
fn latest_never_picks_a_prerelease() {
    let server = Server::start();
    server.latest("1.2.0-rc.1");
    let test = Test::new()
        .server(&server)
        .args(["--no-modify-path", "--platform", "linux-amd64"]);
    test.run()
        .failure()
        .stderr_has("pre-release `1.2.0-rc.1`")
        .stderr_has("--version 1.2.0-rc.1");
}

#[test]
fn checksum_mismatch_keeps_old_binary() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    let wrong = "0".repeat(64);
    server.file(
        &format!("{asset}.sha256"),
        format!("{wrong}  caro-1.0.3-linux-amd64\n"),
    );
    let test = pinned(Test::new().server(&server), "1.0.3")
        .args(["--platform", "linux-amd64"])
        .write_bin("caro", "old caro, byte for byte");
    test.run()
        .failure()
        .stderr_has("checksum mismatch")
        .stderr_has(&format!("expected sha256: {wrong}"))
        .stderr_has(&format!(
            "actual sha256:   {}",
            sha256_hex(&stand_in("1.0.3"))
        ));
    assert_eq!(
        fs::read(test.bin_dir().join("caro")).unwrap(),
        b"old caro, byte for byte"
    );
    assert_no_temp_files(&test.bin_dir());
    assert!(!test.receipt_path().exists());
}

#[test]
fn every_sidecar_form_verifies() {
    let forms = fixtures().join("sidecars");
    let asset = fs::read(forms.join("caro-1.0.3-linux-amd64")).unwrap();
    let mut checked = 0;
    for entry in fs::read_dir(&forms).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".sha256") {
            continue;
        }
        let server = Server::start();
        let path = server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &asset);
        server.file(&format!("{path}.sha256"), fs::read(entry.path()).unwrap());
        let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
        let output = test.run();
        assert_eq!(
            output.code,
            Some(0),
            "sidecar form {name}: {}",
            output.stderr
        );
        checked += 1;
    }
    assert_eq!(checked, 7, "every fixture form was tried");
}

#[test]
fn invalid_sidecars_fail_closed() {
    for entry in fs::read_dir(fixtures().join("sidecars/invalid"))
        .unwrap()
        .flatten()
    {
        let server = Server::start();
        let path = server.caro("1.0.3", "linux-amd64");
        server.file(&format!("{path}.sha256"), fs::read(entry.path()).unwrap());
        let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
        test.run().failure().stderr_has("is not a sha256 sidecar");
        assert!(
            !test.bin_dir().join("caro").exists(),
            "{:?}",
            entry.file_name()
        );
        assert_no_temp_files(&test.bin_dir());
    }
}

#[test]
fn missing_sidecar_fails_closed() {
    let server = Server::start();
    server.file(
        "/wildcard/caro/releases/download/v1.0.3/caro-1.0.3-linux-amd64",
        stand_in("1.0.3"),
    );
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run()
        .failure()
        .stderr_has("caro-1.0.3-linux-amd64.sha256` is missing")
        .stderr_has("nothing was installed");
    assert!(!test.bin_dir().join("caro").exists());
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn unknown_version_names_the_version_and_platform() {
    let server = Server::start();
    let test = pinned(Test::new().server(&server), "9.9.9").args(["--platform", "linux-arm64"]);
    test.run()
        .failure()
        .stderr_has("no caro 9.9.9 build for platform `linux-arm64`")
        .stderr_has("caro-9.9.9-linux-arm64.tar.gz")
        .stderr_has("help:");
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn musl_without_a_musl_build_is_an_error_not_a_glibc_build() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test =
        pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64-musl"]);
    test.run()
        .failure()
        .stderr_has("`linux-amd64-musl`")
        .stderr_has("glibc build would not start");
    assert!(!test.bin_dir().join("caro").exists());
    assert_eq!(
        server.hits("/wildcard/caro/releases/download/v1.0.3/caro-1.0.3-linux-amd64"),
        0
    );
}

#[test]
fn a_single_503_is_retried_and_does_not_fall_back_to_legacy() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    server.asset(
        CARO,
        "1.0.3",
        "caro-linux-amd64",
        b"the legacy build must not be used",
    );
    server.fault_once(&asset, Fault::Status(503, None));
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run().success();
    assert_eq!(server.hits(&asset), 2);
    assert_eq!(
        server.hits("/wildcard/caro/releases/download/v1.0.3/caro-linux-amd64"),
        0
    );
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.3\n"
    );
}

#[test]
fn persistent_5xx_ends_with_the_url_and_status() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    server.fault_always(&asset, Fault::Status(502, None));
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run()
        .failure()
        .stderr_has(&format!("{asset}` answered HTTP 502"));
    assert_eq!(server.hits(&asset), 4, "bounded retries");
    assert_eq!(
        server.hits("/wildcard/caro/releases/download/v1.0.3/caro-linux-amd64"),
        0
    );
}

#[test]
fn a_cut_connection_resumes_with_range() {
    let server = Server::start();
    let pattern: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let body = stand_in_padded("1.0.3", &pattern);
    let asset = server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &body);
    server.fault_once(&asset, Fault::CutAfter(500_000));
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run().success();
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), body);
    let ranges: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == asset)
        .map(|r| r.header("range").map(str::to_string))
        .collect();
    assert_eq!(ranges, [None, Some("bytes=500000-".to_string())]);
}

#[test]
fn a_server_ignoring_range_restarts_cleanly() {
    let server = Server::start();
    let pattern: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_be_bytes()).collect();
    let body = stand_in_padded("1.0.3", &pattern);
    let asset = server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &body);
    server
        .fault_once(&asset, Fault::CutAfter(123_456))
        .ignore_range();
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run().success();
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), body);
}

#[test]
fn a_connection_cut_every_time_never_installs_a_partial_file() {
    let server = Server::start();
    let body = vec![7u8; 200_000];
    let asset = server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &body);
    server
        .fault_always(&asset, Fault::CutAfter(50_000))
        .ignore_range();
    let test = pinned(Test::new().server(&server), "1.0.3")
        .args(["--platform", "linux-amd64"])
        .write_bin("caro", "old");
    test.run().failure().stderr_has(&asset);
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), b"old");
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn a_stalled_transfer_ends_after_the_timeout() {
    let server = Server::start();
    let asset = server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &vec![1u8; 100_000]);
    server.fault_always(&asset, Fault::Stall(1000, Duration::from_secs(30)));
    let test = pinned(Test::new().server(&server), "1.0.3")
        .args(["--platform", "linux-amd64"])
        .env("CARO_HTTP_TIMEOUT", "1");
    let started = std::time::Instant::now();
    test.run()
        .failure()
        .stderr_has(&asset)
        .stderr_has("no data arrived for 1 s (CARO_HTTP_TIMEOUT)")
        .stderr_has("help: the host stopped sending")
        .stderr_lacks("timeout: per read");
    // Four attempts of a 1 s stall plus backoff; far below the server's 30 s silence.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    let test = pinned(Test::new(), "1.0.3")
        .args(["--platform", "linux-amd64"])
        .env("CARO_INSTALLER_GITHUB_BASE_URL", "http://203.0.113.7:1");
    test.run()
        .failure()
        .stderr_has("refusing to fetch `http://203.0.113.7:1/wildcard/caro/releases/download/v1.0.3/caro-1.0.3-linux-amd64`")
        .stderr_has("plain http is allowed only for loopback hosts")
        .stderr_lacks("caused by");
}

#[test]
fn platform_flag_picks_the_mlx_build() {
    let server = Server::start();
    let mlx = server.caro("1.0.3", "macos-silicon");
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "macos-silicon"]);
    test.run()
        .success()
        .stderr_has("installed caro 1.0.3 (macos-silicon)");
    assert_eq!(server.hits(&mlx), 1);
    assert_eq!(test.receipt()["platform"], "macos-silicon");
}

fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (name, body) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o755);
        // Written by hand so hostile names (`../x`) get in: `set_path` would refuse them.
        let raw = &mut header.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, *body).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn tar_gz_asset_with_a_top_level_folder() {
    let server = Server::start();
    let archive = tar_gz(&[
        ("caro-1.0.3-linux-amd64/README.md", b"hi"),
        ("caro-1.0.3-linux-amd64/caro", &stand_in("1.0.3")),
    ]);
    server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64.tar.gz", &archive);
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run().success();
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.3\n"
    );
    assert_eq!(test.tree(&test.bin_dir()), ["caro", "caro-install"]);
    assert!(
        test.receipt()["asset_url"]
            .as_str()
            .unwrap()
            .ends_with(".tar.gz")
    );
}

#[test]
fn archive_with_a_dotdot_entry_is_refused() {
    let server = Server::start();
    let archive = tar_gz(&[("caro", &stand_in("1.0.3")), ("../escape", b"owned")]);
    server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64.tar.gz", &archive);
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run()
        .failure()
        .stderr_has("refusing archive")
        .stderr_has("`../escape` leaves the target folder");
    assert!(!test.bin_dir().join("caro").exists());
    assert!(!test.home().join(".local/escape").exists());
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn zip_asset_for_windows() {
    use std::io::Write;
    let server = Server::start();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("caro.exe", zip::write::SimpleFileOptions::default())
        .unwrap();
    // A build that names its version: on Windows, the start-up check runs it.
    zip.write_all(&stand_in("1.0.3")).unwrap();
    let archive = zip.finish().unwrap().into_inner();
    server.asset(CARO, "1.0.3", "caro-1.0.3-windows-amd64.zip", &archive);
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "windows-amd64"]);
    test.run().success();
    assert_eq!(
        fs::read(test.bin_dir().join("caro.exe")).unwrap(),
        stand_in("1.0.3")
    );
}

#[test]
fn receipt_records_the_install() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .edits_path()
        .pinned("1.0.3", "linux-amd64")
        .arg("-y");
    test.run().success();
    let receipt = test.receipt();
    assert_eq!(
        receipt["binaries"],
        serde_json::json!(["caro", "caro-install"])
    );
    assert_eq!(
        receipt["install_prefix"],
        test.bin_dir().to_string_lossy().as_ref()
    );
    assert_eq!(receipt["install_layout"], "flat");
    assert_eq!(receipt["modify_path"], true);
    assert_eq!(receipt["provider"]["source"], "caro-install");
    assert_eq!(
        receipt["source"],
        serde_json::json!({"app_name": "caro", "name": "caro", "owner": "wildcard", "release_type": "github"})
    );
    assert_eq!(receipt["version"], "1.0.3");
    assert_eq!(receipt["platform"], "linux-amd64");
    assert_eq!(receipt["asset_url"], format!("{}{asset}", server.url()));
    assert_eq!(receipt["sha256"], sha256_hex(&stand_in("1.0.3")));
    assert!(receipt["installed_at"].as_str().unwrap().ends_with('Z'));
    // caro-install copied itself beside caro, byte for byte.
    assert_eq!(
        fs::read(test.bin_dir().join("caro-install")).unwrap(),
        fs::read(BIN).unwrap()
    );
}

#[cfg(unix)] // XDG_CONFIG_HOME is the Unix convention
#[test]
fn receipt_goes_to_xdg_config_home() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    let config = test.root().join("xdg");
    let test = test.env("XDG_CONFIG_HOME", config.to_str().unwrap());
    test.run().success();
    assert!(config.join("caro/caro-receipt.json").is_file());
    assert!(!test.receipt_path().exists());
}

#[test]
fn install_dir_with_a_space() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    let dir = test.root().join("my tools/bin dir");
    let test = test.arg("--install-dir").arg(dir.to_str().unwrap());
    test.run().success();
    assert_eq!(
        run_installed(&dir.join("caro"), "--version"),
        "caro 1.0.3\n"
    );
    assert_eq!(
        test.receipt()["install_prefix"],
        dir.to_string_lossy().as_ref()
    );
}

#[test]
fn relative_install_dir_is_made_absolute() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.3").args([
        "--platform",
        "linux-amd64",
        "--install-dir",
        "rel/bin",
    ]);
    test.run().success();
    assert!(test.root().join("rel/bin/caro").is_file());
    assert_eq!(
        test.receipt()["install_prefix"],
        test.root().join("rel/bin").to_string_lossy().as_ref()
    );
}

#[test]
fn unmanaged_install_writes_only_the_binary() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new().server(&server).pinned("1.0.3", "linux-amd64");
    let dir = test.root().join("ci-bin");
    let test = test.env("CARO_UNMANAGED_INSTALL", dir.to_str().unwrap());
    test.run().success();
    assert_eq!(test.tree(&dir), ["caro"]);
    assert_eq!(
        test.tree(&test.home()),
        Vec::<String>::new(),
        "no receipt, no rc file, nothing in HOME"
    );
}

#[cfg(unix)] // the fixture mirror's builds are shell scripts
#[test]
fn file_mirror_installs_offline() {
    let mirror = file_url(&fixtures().join("mirror"));
    let test = Test::new()
        .env("CARO_INSTALLER_GITHUB_BASE_URL", &mirror)
        .args(["--no-modify-path", "--platform", "linux-amd64"]);
    test.run()
        .success()
        .stderr_has("installed caro 1.1.0 (linux-amd64)");
    assert!(run_installed(&test.bin_dir().join("caro"), "--version").starts_with("caro 1.1.0"));
    let legacy = Test::new()
        .env("CARO_INSTALLER_GITHUB_BASE_URL", &mirror)
        .args([
            "--version",
            "1.0.2",
            "--no-modify-path",
            "--platform",
            "linux-amd64",
        ]);
    legacy.run().success();
    assert!(run_installed(&legacy.bin_dir().join("caro"), "--version").starts_with("caro 1.0.2"));
}

#[test]
fn fixture_mirror_sidecars_match_their_assets() {
    let mut checked = 0;
    let releases = fixtures().join("mirror/wildcard/caro/releases/download");
    for release in fs::read_dir(releases).unwrap().flatten() {
        for entry in fs::read_dir(release.path()).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "sha256") {
                continue;
            }
            let sidecar = fs::read_to_string(
                path.with_file_name(format!("{}.sha256", entry.file_name().to_string_lossy())),
            )
            .unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let digest = caro_install::parse_sidecar(&sidecar, &name).unwrap();
            assert_eq!(
                digest.to_string(),
                sha256_hex(&fs::read(&path).unwrap()),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 17, "checked {checked}");
}

#[cfg(unix)] // the plan lists the shell files
#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let server = Server::start();
    server.latest("1.1.0");
    server.caro("1.1.0", "macos-silicon");
    let test = Test::new()
        .tools(&["bash", "zsh", "fish"])
        .server(&server)
        .args(["--dry-run", "--platform", "macos-silicon"]);
    let output = test.run().success();
    let base = server.url();
    let expected = format!(
        "caro-install dry run: nothing will be changed
version:  caro 1.1.0 (latest, from {base}/wildcard/caro/releases/latest)
platform: macos-silicon (given by --platform)
download, first found wins, each verified with its .sha256:
  {base}/wildcard/caro/releases/download/v1.1.0/caro-1.1.0-macos-silicon
  {base}/wildcard/caro/releases/download/v1.1.0/caro-1.1.0-macos-silicon.tar.gz
  {base}/wildcard/caro/releases/download/v1.1.0/caro-macos-silicon
  {base}/wildcard/caro/releases/download/v1.1.0/caro-1.1.0-macos-aarch64
  {base}/wildcard/caro/releases/download/v1.1.0/caro-1.1.0-macos-arm64
  {base}/wildcard/caro/releases/download/v1.1.0/caro-1.1.0-darwin-arm64
  {base}/wildcard/caro/releases/download/v1.1.0/caro-1.1.0-aarch64-apple-darwin
write:
  {home}/.local/bin/caro
  {home}/.local/bin/caro-install (this installer, for later updates)
  {home}/.config/caro/caro-receipt.json
PATH:     new shells find caro after these changes:
  {home}/.config/caro/env (sh)
  {home}/.config/fish/conf.d/caro.fish (fish)
  {home}/.profile (sh)
  {home}/.bashrc (bash)
  {home}/.zshenv (zsh)
",
        home = test.home().display()
    );
    assert_eq!(output.stdout, expected);
    assert_eq!(test.tree(&test.home()), Vec::<String>::new());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.method == "HEAD" || !r.path.contains("/download/")),
        "a dry run downloads nothing (it only asks, with HEAD, that its build exists)"
    );
}

#[test]
fn four_concurrent_installs_leave_one_valid_binary() {
    let server = Server::start();
    let body: Vec<u8> = [stand_in("1.0.3"), vec![b'#'; 2_000_000]].concat();
    server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &body);
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    run_concurrently(4, || test.command());
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), body);
    assert_eq!(test.tree(&test.bin_dir()), ["caro", "caro-install"]);
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.3\n"
    );
}

#[test]
fn stale_temp_files_are_cleaned_by_the_next_run() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.3")
        .args(["--platform", "linux-amd64"])
        .write_bin(
            ".caro-install-tmp-99999-0-caro-1.0.3-linux-amd64",
            "half a download",
        );
    test.run().success();
    assert_no_temp_files(&test.bin_dir());
}

/// A fake `cargo` that records its arguments and "builds" caro into `--root`/bin: a shell
/// script, so the `--from-source` tests run on Unix only.
#[cfg(unix)]
fn fake_cargo(test: Test) -> Test {
    let log = test.root().join("cargo-args");
    let script = format!(
        r#"#!/bin/sh
printf '%s\n' "$@" > '{log}'
root=""
version=""
while [ $# -gt 0 ]; do
  [ "$1" = "--root" ] && root="$2"
  [ "$1" = "--version" ] && version="$2"
  shift
done
mkdir -p "$root/bin"
printf '#!/bin/sh\necho "caro %s built from source"\n' "$version" > "$root/bin/caro"
chmod +x "$root/bin/caro"
"#,
        log = log.display()
    );
    let test = test.write("tools/cargo", script).tools(&["mkdir", "chmod"]);
    {
        use std::os::unix::fs::PermissionsExt;
        let cargo = test.tools_dir().join("cargo");
        fs::set_permissions(cargo, fs::Permissions::from_mode(0o755)).unwrap();
    }
    test
}

#[cfg(unix)]
fn cargo_args(test: &Test) -> Vec<String> {
    fs::read_to_string(test.root().join("cargo-args"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[cfg(unix)]
#[test]
fn from_source_runs_cargo_install_with_mlx_on_apple_silicon() {
    let test = fake_cargo(pinned(Test::new(), "1.0.3").args([
        "--from-source",
        "--platform",
        "macos-silicon",
    ]));
    test.run()
        .success()
        .stderr_has("building caro 1.0.3 from source");
    let args = cargo_args(&test);
    assert_eq!(
        args[..5],
        ["install", "caro", "--locked", "--version", "1.0.3"]
    );
    assert_eq!(args[5], "--root");
    assert!(
        args[6].starts_with(test.bin_dir().join(".caro-install-tmp-").to_str().unwrap()),
        "{}",
        args[6]
    );
    assert_eq!(args[7..], ["--features", "embedded-mlx"]);
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.3 built from source\n"
    );
    assert_no_temp_files(&test.bin_dir());
    assert_eq!(test.receipt()["asset_url"], serde_json::Value::Null);
}

// The contract changed (docs/releases.md): `-y` only skips prompts and never consents to
// a source build (it used to, so a typo in `--version` ran `cargo install` from crates.io). A "yes" typed at a
// terminal prompt does, when the release exists without this platform's build.
#[cfg(unix)]
#[test]
fn no_asset_and_yes_never_builds_from_source() {
    let server = Server::start();
    server.caro("1.0.3", "macos-intel");
    let test = fake_cargo(
        pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]),
    );
    test.run()
        .failure()
        .stderr_has("no caro 1.0.3 build for platform `linux-amd64`")
        .stderr_has("--from-source");
    assert!(!test.root().join("cargo-args").exists());
}

#[cfg(unix)]
#[test]
fn no_asset_and_yes_at_the_prompt_builds_from_source() {
    let server = Server::start();
    server.caro("1.0.3", "macos-intel");
    let test = fake_cargo(
        Test::new()
            .server(&server)
            .pinned("1.0.3", "linux-amd64")
            .arg("--no-modify-path"),
    );
    test.run_in_terminal_with_input("y\n")
        .success()
        .stdout_has("Build it from source with cargo");
    assert_eq!(
        cargo_args(&test).len(),
        7,
        "no mlx feature on linux: {:?}",
        cargo_args(&test)
    );
}

/// At a terminal too, `-y` skips the question rather than answering it: nothing is asked,
/// and nothing is built.
#[cfg(unix)]
#[test]
fn yes_at_a_terminal_skips_the_source_build_question() {
    let server = Server::start();
    server.caro("1.0.3", "macos-intel");
    let test = fake_cargo(
        Test::new()
            .server(&server)
            .pinned("1.0.3", "linux-amd64")
            .args(["--no-modify-path", "-y"]),
    );
    let output = test
        .run_in_terminal_with_input("")
        .failure()
        .stdout_has("no caro 1.0.3 build for platform `linux-amd64`");
    assert!(
        !output.stdout.contains("Build it from source"),
        "-y asked the question:\n{}",
        output.stdout
    );
    assert!(!test.root().join("cargo-args").exists());
}

#[cfg(unix)]
#[test]
fn a_version_that_does_not_exist_is_never_built_even_with_yes() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = fake_cargo(
        pinned(Test::new().server(&server), "1.0.9").args(["--platform", "linux-amd64"]),
    );
    test.run()
        .failure()
        .stderr_has("release 1.0.9 does not exist")
        .stderr_has("caro-1.0.9-linux-amd64.tar.gz")
        .stderr_has("help:")
        .stderr_has("CARO_INSTALLER_GITHUB_BASE_URL")
        .stderr_lacks("building caro");
    assert!(!test.root().join("cargo-args").exists());
}

#[cfg(unix)]
#[test]
fn no_asset_without_consent_does_not_build() {
    let server = Server::start();
    server.caro("1.0.3", "macos-intel");
    let test = fake_cargo(Test::new().server(&server).pinned("1.0.3", "linux-amd64"));
    test.run()
        .failure()
        .stderr_has("no caro 1.0.3 build")
        .stderr_has("--from-source");
    assert!(!test.root().join("cargo-args").exists());
}

#[test]
fn from_source_without_cargo_says_how_to_get_it() {
    let test = pinned(Test::new(), "1.0.3")
        .args(["--from-source", "--platform", "linux-amd64"])
        .env("PATH", "/nonexistent");
    test.run()
        .failure()
        .stderr_has("needs `cargo`")
        .stderr_has("https://rustup.rs");
}

#[test]
fn one_bound_covers_statuses_and_cut_bodies_together() {
    let server = Server::start();
    let asset = server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &vec![9u8; 200_000]);
    server
        .fault_once(&asset, Fault::Status(503, None))
        .fault_once(&asset, Fault::Status(502, None));
    server
        .fault_always(&asset, Fault::CutAfter(1_000))
        .ignore_range();
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run().failure().stderr_has(&asset);
    assert_eq!(
        server.hits(&asset),
        4,
        "two statuses and two cut bodies: four tries in all"
    );
}

#[test]
fn a_hand_uploaded_release_under_an_alias_installs_after_the_canonical_names() {
    let server = Server::start();
    let asset = server.asset(
        CARO,
        "1.1.0-beta.2",
        "caro-1.1.0-beta.2-macos-aarch64",
        &stand_in("1.1.0-beta.2"),
    );
    let test =
        pinned(Test::new().server(&server), "1.1.0-beta.2").args(["--platform", "macos-silicon"]);
    test.run().success();
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.1.0-beta.2\n"
    );
    let canonical =
        "/wildcard/caro/releases/download/v1.1.0-beta.2/caro-1.1.0-beta.2-macos-silicon";
    let order: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    let first_canonical = order.iter().position(|p| p == canonical).unwrap();
    let alias = order.iter().position(|p| *p == asset).unwrap();
    assert!(first_canonical < alias, "{order:?}");
}

#[test]
fn latest_without_this_platforms_build_says_the_builds_are_not_there_yet() {
    let server = Server::start();
    server.caro("1.1.0", "macos-intel");
    server.latest("1.1.0");
    let test = Test::new()
        .server(&server)
        .args(["--platform", "linux-amd64", "--no-modify-path"]);
    test.run()
        .failure()
        .stderr_has("the latest release, caro 1.1.0, has no `linux-amd64` build yet")
        .stderr_has("try again soon, or pin the release before it with `--version <VERSION>`");
}

#[test]
fn a_dry_run_of_a_version_that_does_not_exist_fails() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.9").args([
        "--platform",
        "linux-amd64",
        "--dry-run",
    ]);
    test.run()
        .failure()
        .stderr_has("release 1.0.9 does not exist");
    assert_eq!(test.tree(&test.home()), Vec::<String>::new());
}

#[test]
fn an_install_directory_that_is_a_file_is_named_as_such() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    let bin_dir = test.bin_dir();
    fs::create_dir_all(bin_dir.parent().unwrap()).unwrap();
    fs::write(&bin_dir, "a file").unwrap();
    test.run()
        .failure()
        .stderr_has("is a file, not a directory")
        .stderr_has("--install-dir")
        .stderr_lacks("File exists");
}

#[test]
fn a_mirror_that_is_not_there_points_at_the_base_url() {
    let test = Test::new()
        .env("CARO_INSTALLER_GITHUB_BASE_URL", "file:///nonexistent")
        .env("CARO_INSTALLER_API_URL", "file:///nonexistent/api")
        .args(["--platform", "linux-amd64"]);
    test.run()
        .failure()
        .stderr_has("no releases of `wildcard/caro` were found at `file:///nonexistent`")
        .stderr_has("check CARO_INSTALLER_GITHUB_BASE_URL (now `file:///nonexistent`)")
        .stderr_lacks("--version");
}

#[cfg(unix)]
#[test]
fn a_reinstall_keeps_the_same_caro_install_copy() {
    use std::os::unix::fs::MetadataExt;
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    // `--force`: the same version again is otherwise "already installed", copying nothing.
    let test = pinned(Test::new().server(&server), "1.0.3").args([
        "--platform",
        "linux-amd64",
        "-v",
        "--force",
    ]);
    test.run().success();
    let copy = test.bin_dir().join("caro-install");
    let inode = fs::metadata(&copy).unwrap().ino();
    test.run().success().stderr_has("is this build already");
    assert_eq!(
        fs::metadata(&copy).unwrap().ino(),
        inode,
        "not written again"
    );
}

#[test]
fn latest_without_this_platforms_build_names_the_newest_release_that_has_one() {
    let server = Server::start();
    server.caro("1.1.0", "macos-intel");
    server.caro("1.0.3", "linux-amd64");
    server.latest("1.1.0");
    server.file(
        "/api/repos/wildcard/caro/releases?per_page=20",
        r#"[{"tag_name": "v1.1.0", "assets": [{"name": "caro-1.1.0-macos-intel"}]},
            {"tag_name": "v1.0.3", "assets": [{"name": "caro-1.0.3-linux-amd64"}]}]"#,
    );
    Test::new()
        .server(&server)
        .args(["--platform", "linux-amd64", "--no-modify-path"])
        .run()
        .failure()
        .stderr_has("has no `linux-amd64` build yet")
        .stderr_has(
            "or take 1.0.3, the newest release that has this build, with `--version 1.0.3`",
        );
}

/// Requests for release assets (not their `.sha256`), in the order made.
fn asset_requests(server: &Server) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/download/") && !r.path.ends_with(".sha256"))
        .count()
}

#[test]
fn the_same_version_again_is_already_installed_and_downloads_nothing() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run().success();
    let binary = test.bin_dir().join("caro");
    let before = asset_requests(&server);
    let receipt = fs::read(test.receipt_path()).unwrap();
    test.run()
        .success()
        .stderr_has(&format!(
            "caro 1.0.3 (linux-amd64) is already installed at {}; nothing was downloaded",
            binary.display()
        ))
        .stderr_has("`--force` installs it again")
        .stderr_lacks("installed caro");
    assert_eq!(asset_requests(&server), before, "no asset was requested");
    assert_eq!(fs::read(test.receipt_path()).unwrap(), receipt);
    // The dry run says the same, and lists no download that would not happen.
    test.run_with(&[
        "--version",
        "1.0.3",
        "--platform",
        "linux-amd64",
        "--no-modify-path",
        "--dry-run",
    ])
    .success()
    .stderr_has("is already installed at");
    // `--force` downloads and installs it again.
    test.run_with(&[
        "--version",
        "1.0.3",
        "--platform",
        "linux-amd64",
        "--no-modify-path",
        "-y",
        "--force",
    ])
    .success()
    .stderr_has("installed caro 1.0.3 (linux-amd64)");
    assert_eq!(asset_requests(&server), before + 1);
}

#[test]
fn a_binary_changed_since_its_install_is_installed_again() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server), "1.0.3").args(["--platform", "linux-amd64"]);
    test.run().success();
    let binary = test.bin_dir().join("caro");
    fs::write(&binary, "#!/bin/sh\necho tampered\n").unwrap();
    test.run()
        .success()
        .stderr_has("installed caro 1.0.3 (linux-amd64)");
    assert_eq!(run_installed(&binary, "--version"), "caro 1.0.3\n");
    // Another version, or another platform, is an install too.
    server.caro("1.0.4", "linux-amd64");
    test.run_with(&[
        "--version",
        "1.0.4",
        "--platform",
        "linux-amd64",
        "--no-modify-path",
        "-y",
    ])
    .success()
    .stderr_has("installed caro 1.0.4");
}
