//! `--from-file`: installing from a file carried onto the machine, with the network
//! unreachable (a dead base URL and a dead proxy) and a loopback server that must see
//! nothing.

use std::fs;
use std::path::PathBuf;

use crate::common::bundle::{Bundle, MODEL, bundle_name, model_bytes};
use crate::common::*;

const PLATFORM: &str = "linux-amd64";
const DEAD: &str = "http://127.0.0.1:9";

/// A test with no reachable network: every request would go to a dead port or to
/// `server`, which the test then checks saw nothing.
fn offline(server: &Server) -> Test {
    let test = Test::new();
    let cache = test.root().join("cache").to_string_lossy().into_owned();
    let data = test.root().join("data").to_string_lossy().into_owned();
    test.env("CARO_INSTALLER_GITHUB_BASE_URL", &server.url())
        .env("CARO_INSTALLER_API_URL", DEAD)
        .env("HTTPS_PROXY", DEAD)
        .env("HTTP_PROXY", DEAD)
        .env("ALL_PROXY", DEAD)
        .env("XDG_CACHE_HOME", &cache)
        .env("XDG_DATA_HOME", &data)
        .args(["--no-modify-path", "-y"])
}

/// Writes `name` with `bytes` and its sidecar into the test's `carried/` folder.
fn carry(test: &Test, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = test.root().join("carried");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    fs::write(
        dir.join(format!("{name}.sha256")),
        format!("{}  {name}\n", sha256_hex(bytes)),
    )
    .unwrap();
    path
}

fn from_file(test: Test, path: &std::path::Path) -> Test {
    test.args([
        "--from-file",
        path.to_str().unwrap(),
        "--platform",
        PLATFORM,
    ])
}

#[track_caller]
fn assert_no_requests(server: &Server) {
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn a_bare_binary_installs_without_one_request() {
    let server = Server::start();
    let test = offline(&server);
    let path = carry(&test, "caro-1.2.0-linux-amd64", &stand_in("1.2.0"));
    let test = from_file(test, &path);
    test.run()
        .success()
        .stderr_has("installed caro 1.2.0 (linux-amd64)");
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.2.0\n"
    );
    assert_no_requests(&server);
    assert_eq!(test.receipt()["asset_url"], path.display().to_string());
}

#[test]
fn an_archive_installs_its_binary() {
    let server = Server::start();
    let test = offline(&server);
    let archive = {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        let body = stand_in("1.2.0");
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o755);
        header.set_cksum();
        builder
            .append_data(&mut header, "caro-1.2.0-linux-amd64/caro", body.as_slice())
            .unwrap();
        builder.into_inner().unwrap().finish().unwrap()
    };
    let path = carry(&test, "caro-1.2.0-linux-amd64.tar.gz", &archive);
    let test = from_file(test, &path);
    test.run().success();
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.2.0\n"
    );
    assert_no_requests(&server);
}

#[test]
fn a_bundle_installs_caro_and_its_model_offline() {
    let server = Server::start();
    let test = offline(&server);
    let name = bundle_name("1.2.0", PLATFORM, "tiny");
    let path = carry(&test, &name, &Bundle::new("1.2.0").build());
    let test = from_file(test, &path);
    test.run().success();
    assert_eq!(
        fs::read(test.root().join("cache/caro/models").join(MODEL)).unwrap(),
        model_bytes(300 * 1024, 1)
    );
    assert_eq!(test.receipt()["model"]["name"], "tiny");
    assert_no_requests(&server);
}

#[test]
fn a_missing_sidecar_is_refused() {
    let server = Server::start();
    let test = offline(&server);
    let path = carry(&test, "caro-1.2.0-linux-amd64", &stand_in("1.2.0"));
    fs::remove_file(path.with_file_name("caro-1.2.0-linux-amd64.sha256")).unwrap();
    let test = from_file(test, &path);
    test.run()
        .failure()
        .stderr_has(".sha256")
        .stderr_has("help:");
    assert!(!test.bin_dir().join("caro").exists());
    assert_no_requests(&server);
}

#[test]
fn a_fifo_as_sidecar_is_refused_without_hanging() {
    let server = Server::start();
    let test = offline(&server);
    let path = carry(&test, "caro-1.2.0-linux-amd64", &stand_in("1.2.0"));
    let sidecar = path.with_file_name("caro-1.2.0-linux-amd64.sha256");
    fs::remove_file(&sidecar).unwrap();
    let c_path = std::ffi::CString::new(sidecar.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    from_file(test, &path)
        .run()
        .failure()
        .stderr_has("not a regular file");
}

#[test]
fn a_file_that_does_not_match_its_sidecar_is_refused() {
    let server = Server::start();
    let test = offline(&server);
    let path = carry(&test, "caro-1.2.0-linux-amd64", &stand_in("1.2.0"));
    fs::write(&path, stand_in("6.6.6")).unwrap();
    let test = from_file(test, &path);
    test.run().failure().stderr_has("checksum mismatch");
    assert!(!test.bin_dir().join("caro").exists());
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn an_unnamed_binary_says_its_version() {
    let server = Server::start();
    let test = offline(&server);
    use std::os::unix::fs::PermissionsExt;
    let path = carry(&test, "caro-from-a-colleague", &stand_in("1.2.5"));
    let test = from_file(test, &path);
    test.run().failure().stderr_has("`chmod +x` it");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    test.run()
        .success()
        .stderr_has("installed caro 1.2.5 (linux-amd64)");
    assert_no_requests(&server);
}

#[test]
fn a_file_for_another_platform_is_refused_by_its_name() {
    let server = Server::start();
    let test = offline(&server);
    let path = carry(&test, "caro-1.2.0-macos-silicon", &stand_in("1.2.0"));
    from_file(test, &path)
        .run()
        .failure()
        .stderr_has("it is for macos-silicon, and this install is for linux-amd64")
        .stderr_has("help: use the file for linux-amd64");
}

#[test]
fn with_model_needs_a_bundle() {
    let server = Server::start();
    let test = offline(&server);
    let path = carry(&test, "caro-1.2.0-linux-amd64", &stand_in("1.2.0"));
    from_file(test, &path)
        .args(["--with-model", "tiny"])
        .run()
        .code(1)
        .stderr_has("is not a model bundle");
}

#[test]
fn update_from_a_file_replaces_the_installed_caro() {
    let server = Server::start();
    let test = offline(&server);
    let first = carry(&test, "caro-1.2.0-linux-amd64", &stand_in("1.2.0"));
    let newer = carry(&test, "caro-1.3.0-linux-amd64", &stand_in("1.3.0"));
    let test = from_file(test, &first);
    test.run().success();
    test.run_with(&["update", "--from-file", newer.to_str().unwrap()])
        .success()
        .stderr_has("installed caro 1.3.0");
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.3.0\n"
    );
    assert_eq!(test.receipt()["version"], "1.3.0");
    assert_no_requests(&server);
}

#[test]
fn with_a_pinned_key_a_file_without_its_signature_is_refused() {
    let key = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let server = Server::start();
    let test = offline(&server).env("CARO_INSTALL_MINISIGN_PUBKEY", &key.pk.to_base64());
    let name = bundle_name("1.2.0", PLATFORM, "tiny");
    let path = carry(&test, &name, &Bundle::new("1.2.0").build());
    let test = from_file(test, &path);
    test.run().failure().stderr_has(".minisig");
    assert!(!test.bin_dir().join("caro").exists());
    assert!(!test.root().join("cache/caro/models").join(MODEL).exists());
    assert_no_requests(&server);
}

/// The home class for the carried file itself: a FIFO given as the file is refused
/// without hanging, as its sidecar is.
#[test]
fn a_fifo_as_the_carried_file_is_refused_without_hanging() {
    let server = Server::start();
    let test = offline(&server);
    let path = carry(&test, "caro-1.2.0-linux-amd64", &stand_in("1.2.0"));
    fs::remove_file(&path).unwrap();
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    from_file(test, &path)
        .run()
        .failure()
        .stderr_has("not a regular file");
    assert_no_requests(&server);
}

/// The output class for `--from-file`: a carried file's name with escape sequences in it
/// reaches the terminal escaped, in `-v` and in the error.
#[test]
fn a_carried_files_name_is_printed_escaped() {
    let server = Server::start();
    let test = offline(&server);
    let path = carry(&test, "caro\u{1b}]0;pwned\u{7}", &stand_in("1.2.0"));
    fs::write(&path, stand_in("6.6.6")).unwrap();
    let output = from_file(test, &path).arg("-v").run().failure();
    assert!(
        !output.stderr.contains('\u{1b}') && !output.stdout.contains('\u{1b}'),
        "a raw escape reached the terminal: {:?}",
        output.stderr
    );
    assert!(
        output.stderr.contains("checksum mismatch"),
        "{}",
        output.stderr
    );
    assert_no_requests(&server);
}
