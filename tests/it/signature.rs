//! minisign signatures (docs/security.md), with throwaway keys made in the test.

use std::fs;
use std::io::Cursor;
use std::process::Command;

use minisign::KeyPair;

use crate::common::*;

pub fn key() -> KeyPair {
    KeyPair::generate_unencrypted_keypair().unwrap()
}

/// A signature of `bytes` whose trusted comment names `file` and `version`, as `dist`
/// writes it (docs/security.md).
pub fn sign_as(key: &KeyPair, bytes: &[u8], file: &str, version: &str) -> String {
    sign_with_comment(key, bytes, &format!("file:{file} version:{version}"))
}

/// A signature of `bytes` with the trusted comment `trusted`.
pub fn sign_with_comment(key: &KeyPair, bytes: &[u8], trusted: &str) -> String {
    minisign::sign(None, &key.sk, Cursor::new(bytes), Some(trusted), None)
        .unwrap()
        .into_string()
}

fn sign(key: &KeyPair, bytes: &[u8]) -> String {
    sign_as(key, bytes, "caro-1.0.3-linux-amd64", "1.0.3")
}

/// caro 1.0.3 published with a signature by `signer` of `signed` bytes.
fn signed_release(signer: &KeyPair, signed: &[u8]) -> Server {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    server.file(&format!("{asset}.minisig"), sign(signer, signed));
    server
}

fn install(server: &Server, pinned: &KeyPair) -> Test {
    Test::new()
        .server(server)
        .pinned("1.0.3", "linux-amd64")
        .args(["--no-modify-path", "-v"])
        .env("CARO_INSTALL_MINISIGN_PUBKEY", &pinned.pk.to_base64())
}

#[test]
fn a_signed_release_verifies_with_the_pinned_key() {
    let key = key();
    let server = signed_release(&key, &stand_in("1.0.3"));
    install(&server, &key)
        .arg("--require-signature")
        .run()
        .success()
        .stderr_has("verified the minisign signature");
}

#[test]
fn a_signature_of_other_bytes_installs_nothing() {
    let key = key();
    let server = signed_release(&key, b"what the maintainers built");
    let test = install(&server, &key).write_bin("caro", "old");
    test.run()
        .failure()
        .stderr_has("does not verify: it does not match the downloaded file")
        .stderr_has("help:");
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), b"old");
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let (maintainers, attacker) = (key(), key());
    let server = signed_release(&attacker, &stand_in("1.0.3"));
    install(&server, &maintainers)
        .run()
        .failure()
        .stderr_has("made with another key than the pinned one");
}

// The contract changed (docs/security.md): with a key pinned, a missing `.minisig` refuses (it used to install with
// a note, so deleting the signature was enough to skip the check).
#[test]
fn with_a_pinned_key_a_deleted_signature_installs_nothing() {
    let key = key();
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    for extra in [None, Some("--require-signature")] {
        let test = install(&server, &key).args(extra).write_bin("caro", "old");
        test.run()
            .failure()
            .stderr_has("caro-1.0.3-linux-amd64.minisig` is missing")
            .stderr_has("help:");
        assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), b"old");
        assert_no_temp_files(&test.bin_dir());
    }
}

#[test]
fn without_a_pinned_key_an_unsigned_release_installs_on_its_sha256() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .args(["--no-modify-path", "-v"])
        .run()
        .success()
        .stderr_lacks("minisig");
}

#[test]
fn a_signed_old_version_replayed_as_a_new_one_is_refused() {
    let key = key();
    let server = Server::start();
    // The attacker serves the genuinely signed 1.0.2 build and signature as 1.0.3.
    let old_bytes = stand_in("1.0.2");
    let asset = server.asset(
        "wildcard/caro",
        "1.0.3",
        "caro-1.0.3-linux-amd64",
        &old_bytes,
    );
    server.file(
        &format!("{asset}.minisig"),
        sign_as(&key, &old_bytes, "caro-1.0.2-linux-amd64", "1.0.2"),
    );
    let test = install(&server, &key).write_bin("caro", "old");
    test.run()
        .failure()
        .stderr_has("it signs another file")
        .stderr_has("file:caro-1.0.2-linux-amd64")
        .stderr_has("help:");
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), b"old");
}

#[test]
fn another_platforms_signed_build_is_refused() {
    let key = key();
    let server = Server::start();
    let arm = stand_in("1.0.3");
    let asset = server.asset("wildcard/caro", "1.0.3", "caro-1.0.3-linux-amd64", &arm);
    server.file(
        &format!("{asset}.minisig"),
        sign_as(&key, &arm, "caro-1.0.3-linux-arm64", "1.0.3"),
    );
    let test = install(&server, &key);
    test.run()
        .failure()
        .stderr_has("file:caro-1.0.3-linux-arm64");
    assert!(!test.bin_dir().join("caro").exists());
}

#[test]
fn require_signature_without_a_pinned_key_is_an_error() {
    Test::new()
        .args(["--version", "1.0.3", "--require-signature"])
        .run()
        .failure()
        .stderr_has("no minisign public key is pinned")
        .stderr_has("CARO_INSTALL_MINISIGN_PUBKEY");
}

#[test]
fn dist_signs_releases_that_then_install_with_a_required_signature() {
    // A release key is kept encrypted, its password in a second CI secret.
    let key = KeyPair::generate_encrypted_keypair(Some("release password".to_string())).unwrap();
    let root = tempfile::tempdir().unwrap();
    let build = root.path().join("caro");
    fs::write(&build, stand_in("2.0.0")).unwrap();
    let dist = example("dist");
    let out = root.path().join("mirror");
    let output = Command::new(&dist)
        .args([
            "--name",
            "caro",
            "--version",
            "2.0.0",
            "--out",
            out.to_str().unwrap(),
            "--mirror",
            "wildcard/caro",
        ])
        .arg(format!("linux-amd64={}", build.display()))
        .env(
            "CARO_DIST_MINISIGN_SECRET_KEY",
            key.sk.to_box(None).unwrap().into_string(),
        )
        .env("CARO_DIST_MINISIGN_PASSWORD", "release password")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signature =
        out.join("wildcard/caro/releases/download/v2.0.0/caro-2.0.0-linux-amd64.minisig");
    assert!(
        signature.is_file(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    Test::new()
        .env("CARO_INSTALLER_GITHUB_BASE_URL", &file_url(&out))
        .env("CARO_INSTALL_MINISIGN_PUBKEY", &key.pk.to_base64())
        .pinned("2.0.0", "linux-amd64")
        .args(["--no-modify-path", "--require-signature"])
        .run()
        .success()
        .stderr_has("installed caro 2.0.0");
}
