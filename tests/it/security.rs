//! Hardening: TLS trust, where the token goes, rate limits, kills at random points, and
//! hostile input. Each case ends in a clear error or a correct install, never a panic or a
//! half-written file.

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

const CARO: &str = "wildcard/caro";

fn pinned(test: Test) -> Test {
    test.pinned("1.0.3", "linux-amd64")
        .args(["--no-modify-path", "-y"])
}

fn https_release(pki: &Pki) -> Server {
    let server = Server::start_tls("127.0.0.1", pki);
    server.caro("1.0.3", "linux-amd64");
    server
}

#[test]
fn a_private_ca_is_refused_by_default() {
    let pki = Pki::new();
    let server = https_release(&pki);
    let test = pinned(Test::new().server(&server));
    test.run()
        .failure()
        .stderr_has("request to `https://127.0.0.1")
        .stderr_has("caused by")
        .stderr_has("UnknownIssuer")
        .stderr_has("SSL_CERT_FILE");
    assert!(!test.bin_dir().join("caro").exists());
}

#[test]
fn ssl_cert_file_trusts_a_private_ca() {
    let pki = Pki::new();
    let server = https_release(&pki);
    let test = pinned(Test::new().server(&server));
    let ca = test.root().join("corp-ca.pem");
    pki.write_ca(&ca);
    test.env("SSL_CERT_FILE", ca.to_str().unwrap())
        .run()
        .success();
}

#[test]
fn ssl_cert_dir_trusts_a_private_ca() {
    let pki = Pki::new();
    let server = https_release(&pki);
    let test = pinned(Test::new().server(&server));
    let dir = test.root().join("certs");
    pki.write_ca(&dir.join("corp.pem"));
    fs::write(dir.join("README"), "not a certificate").unwrap();
    test.env("SSL_CERT_DIR", dir.to_str().unwrap())
        .run()
        .success();
}

#[test]
fn a_missing_ssl_cert_file_is_an_error_naming_it() {
    // Read on the first https request (a loopback or file:// mirror never needs it).
    let test = pinned(Test::new())
        .env("CARO_INSTALLER_GITHUB_BASE_URL", "https://127.0.0.1:9")
        .env("SSL_CERT_FILE", "/nonexistent/ca.pem");
    test.run()
        .failure()
        .stderr_has("could not read SSL_CERT_FILE `/nonexistent/ca.pem`");
}

#[test]
fn native_tls_uses_the_operating_system_verifier() {
    let pki = Pki::new();
    let server = https_release(&pki);
    // The OS verifier does not know the private CA...
    pinned(Test::new().server(&server))
        .env("CARO_NATIVE_TLS", "1")
        .run()
        .failure()
        .stderr_has("caused by");
}

// Windows' store is the registry's (adding a root there asks the user), not a file.
#[cfg(unix)]
#[test]
fn native_tls_trusts_what_the_os_store_trusts() {
    let pki = Pki::new();
    let server = https_release(&pki);
    // ...until the OS trust store does: on Linux, rustls-platform-verifier reads the store
    // that SSL_CERT_FILE names (the openssl convention).
    let test = pinned(Test::new().server(&server)).env("CARO_NATIVE_TLS", "1");
    let ca = test.root().join("system-ca.pem");
    pki.write_ca(&ca);
    test.env("SSL_CERT_FILE", ca.to_str().unwrap())
        .run()
        .success();
}

#[test]
fn the_token_never_goes_over_plain_http() {
    let server = Server::start();
    server.file(
        "/api/repos/wildcard/caro/releases/latest",
        r#"{"tag_name":"v1.0.3"}"#,
    );
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .args(["--platform", "linux-amd64", "--no-modify-path"]);
    test.env("CARO_GITHUB_TOKEN", "ghp_secret").run().success();
    let requests = server.requests();
    assert!(requests.len() >= 4, "{requests:?}");
    assert!(
        requests.iter().all(|r| r.header("authorization").is_none()),
        "{requests:?}"
    );
}

#[test]
fn the_token_goes_to_the_https_hosts_but_never_across_a_redirect() {
    let pki = Pki::new();
    let github = Server::start_tls("127.0.0.1", &pki);
    let cdn = Server::start_tls("127.0.0.2", &pki);
    github.file(
        "/api/repos/wildcard/caro/releases/latest",
        r#"{"tag_name":"v1.0.3"}"#,
    );
    let asset = cdn.caro("1.0.3", "linux-amd64");
    github.redirect(&asset, &format!("{}{asset}", cdn.url()));
    github.redirect(
        &format!("{asset}.sha256"),
        &format!("{}{asset}.sha256", cdn.url()),
    );
    let test = Test::new()
        .server(&github)
        .args(["--platform", "linux-amd64", "--no-modify-path"]);
    let ca = test.root().join("ca.pem");
    pki.write_ca(&ca);
    test.env("SSL_CERT_FILE", ca.to_str().unwrap())
        .env("GITHUB_TOKEN", "ghp_secret")
        .run()
        .success();
    for request in github.requests() {
        assert_eq!(
            request.header("authorization"),
            Some("Bearer ghp_secret"),
            "{}",
            request.path
        );
    }
    let cdn_requests = cdn.requests();
    assert_eq!(cdn_requests.len(), 2, "{cdn_requests:?}");
    assert!(
        cdn_requests
            .iter()
            .all(|r| r.header("authorization").is_none()),
        "{cdn_requests:?}"
    );
}

#[test]
fn retry_after_is_honoured() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    server.fault_once(&asset, Fault::Status(429, Some(2)));
    let started = Instant::now();
    pinned(Test::new().server(&server)).run().success();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited only {:?}",
        started.elapsed()
    );
    assert_eq!(server.hits(&asset), 2);
}

#[test]
fn a_5xx_burst_is_retried_with_backoff_and_then_succeeds() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    for status in [500, 502, 503] {
        server.fault_once(&asset, Fault::Status(status, None));
    }
    let started = Instant::now();
    pinned(Test::new().server(&server)).run().success();
    // 250 ms, 500 ms, 1 s, each with up to 25% jitter.
    assert!(
        started.elapsed() >= Duration::from_millis(1750),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.hits(&asset), 4);
}

#[test]
fn install_killed_at_random_points_keeps_the_old_binary() {
    let server = Server::start();
    let body: Vec<u8> = [stand_in("1.0.3"), vec![b'#'; 3_000_000]].concat();
    server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &body);
    let test = pinned(Test::new().server(&server)).write_bin("caro", "#!/bin/sh\necho old\n");
    let old = fs::read(test.bin_dir().join("caro")).unwrap();
    for delay_ms in [0, 2, 5, 10, 20, 40, 80] {
        let mut child = test
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let now = fs::read(test.bin_dir().join("caro")).unwrap();
        assert!(
            now == old || now == body,
            "after {delay_ms} ms: a partial binary of {} bytes",
            now.len()
        );
        if now == body {
            fs::write(test.bin_dir().join("caro"), &old).unwrap();
        }
    }
    test.run().success();
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), body);
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn a_huge_sidecar_is_refused() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    server.file(&format!("{asset}.sha256"), "0".repeat(1 << 20));
    let test = pinned(Test::new().server(&server));
    test.run()
        .failure()
        .stderr_has(".sha256")
        .stderr_has("larger than 65536 bytes");
    assert!(!test.bin_dir().join("caro").exists());
}

#[test]
fn an_archive_bomb_is_refused() {
    let server = Server::start();
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let mut header = tar::Header::new_gnu();
    let size = (1u64 << 30) + 4096;
    header.set_size(size);
    header.set_mode(0o644);
    header.set_path("caro-1.0.3/zeros").unwrap();
    header.set_cksum();
    builder
        .append(&header, std::io::repeat(0).take(size))
        .unwrap();
    let archive = builder.into_inner().unwrap().finish().unwrap();
    assert!(
        archive.len() < 16 << 20,
        "the bomb is small: {} bytes",
        archive.len()
    );
    server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64.tar.gz", &archive);
    let test = pinned(Test::new().server(&server));
    test.run()
        .failure()
        .stderr_has("refusing archive")
        .stderr_has("expands to more than 1073741824 bytes");
    assert!(!test.bin_dir().join("caro").exists());
    assert_no_temp_files(&test.bin_dir());
}

use std::io::Read as _;

#[test]
fn a_zip_entry_with_an_absolute_path_is_refused() {
    use std::io::Write;
    let server = Server::start();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("caro.exe", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"MZ").unwrap();
    zip.start_file("/etc/caro.exe", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"owned").unwrap();
    let archive = zip.finish().unwrap().into_inner();
    server.asset(CARO, "1.0.3", "caro-1.0.3-windows-amd64.zip", &archive);
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "windows-amd64")
        .arg("--no-modify-path");
    test.run()
        .failure()
        .stderr_has("`/etc/caro.exe` has an absolute path");
    assert!(!test.bin_dir().join("caro.exe").exists());
}

#[test]
fn hostile_versions_and_platforms_are_usage_errors() {
    for version in [
        "../../x",
        "1.0\u{7}.2",
        "1.0.3/../../etc",
        "v",
        "1.0.3 ; rm -rf ~",
    ] {
        Test::new()
            .args(["--version", version])
            .run()
            .code(2)
            .stderr_has("invalid version");
    }
    Test::new()
        .args(["--platform", "../linux-amd64"])
        .run()
        .code(2)
        .stderr_has("unknown platform");
}

#[test]
fn an_empty_install_dir_is_an_error() {
    Test::new()
        .args(["--version", "1.0.3", "--install-dir", ""])
        .run()
        .code(2)
        .stderr_has("a value is required for '--install-dir <DIR>'");
    Test::new()
        .args(["--version", "1.0.3", "--install-dir", " "])
        .run()
        .failure()
        .stderr_has("the install directory is empty")
        .stderr_has("help:");
    Test::new()
        .args(["--version", "1.0.3"])
        .env("CARO_UNMANAGED_INSTALL", " ")
        .run()
        .failure()
        .stderr_has("the install directory is empty");
}

#[test]
fn a_corrupt_receipt_is_replaced_by_a_fresh_install() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server)).write_receipt("\u{0}garbage");
    test.run()
        .success()
        .stderr_has("is corrupt; writing a new one");
    assert_eq!(test.receipt()["version"], "1.0.3");
}
