//! What someone on the network (or a proxy, or the server) can do: TLS trust, where the
//! token goes, redirects, slow or failing answers.

use super::*;

#[test]
fn a_private_ca_is_refused_by_default() {
    let pki = Pki::new();
    let server = https_release(&pki);
    let test = pinned_yes(Test::new().server(&server));
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
    let test = pinned_yes(Test::new().server(&server));
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
    let test = pinned_yes(Test::new().server(&server));
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
    let test = pinned_yes(Test::new())
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
    pinned_yes(Test::new().server(&server))
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
    let test = pinned_yes(Test::new().server(&server)).env("CARO_NATIVE_TLS", "1");
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
    pinned_yes(Test::new().server(&server)).run().success();
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
    pinned_yes(Test::new().server(&server)).run().success();
    // 250 ms, 500 ms, 1 s, each with up to 25% jitter.
    assert!(
        started.elapsed() >= Duration::from_millis(1750),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.hits(&asset), 4);
}

#[test]
fn a_huge_sidecar_is_refused() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    server.file(&format!("{asset}.sha256"), "0".repeat(1 << 20));
    let test = pinned_yes(Test::new().server(&server));
    test.run()
        .failure()
        .stderr_has(".sha256")
        .stderr_has("larger than 65536 bytes");
    assert!(!test.bin_dir().join("caro").exists());
}

#[cfg(unix)]
#[test]
fn an_https_redirect_to_plain_http_is_refused_and_named() {
    let pki = Pki::new();
    let github = Server::start_tls("127.0.0.1", &pki);
    let cleartext = Server::start();
    let asset = cleartext.caro("1.0.3", "linux-amd64");
    github.redirect(&asset, &format!("{}{asset}", cleartext.url()));
    let test = pinned(Test::new().server(&github)).write("home/.local/bin/caro", "old");
    let ca = test.root().join("ca.pem");
    pki.write_ca(&ca);
    test.env("SSL_CERT_FILE", ca.to_str().unwrap())
        .run()
        .failure()
        .stderr_has("refusing the redirect from `https://127.0.0.1")
        .stderr_has(&format!("to `{}{asset}`", cleartext.url()))
        .stderr_has("never continues over plain http")
        .stderr_has("help:");
    assert!(cleartext.requests().is_empty(), "nothing went in cleartext");
}

#[cfg(unix)]
#[test]
fn a_redirect_off_loopback_or_to_another_scheme_is_refused() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    let port = server.url().rsplit(':').next().unwrap().to_string();
    for (location, reason) in [
        (
            format!("http://[::ffff:127.0.0.1]:{port}{asset}"),
            "plain http is allowed only for loopback hosts",
        ),
        (
            format!("http://loopback.invalid:{port}{asset}"),
            "plain http is allowed only for loopback hosts",
        ),
        (
            "file:///etc/passwd".to_string(),
            "may not lead to a file://",
        ),
        ("ftp://127.0.0.1/caro".to_string(), "only https://"),
    ] {
        let redirecting = Server::start();
        redirecting.redirect(&asset, &location);
        let test = pinned(Test::new().server(&redirecting));
        test.run()
            .failure()
            .stderr_has(&format!("to `{location}`"))
            .stderr_has(reason);
        assert!(!test.bin_dir().join("caro").exists(), "{location}");
    }
}

#[cfg(unix)]
#[test]
fn a_sidecar_dripping_one_byte_at_a_time_is_cut_off() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    server.fault_always(
        &format!("{asset}.sha256"),
        Fault::Drip(Duration::from_millis(500)),
    );
    pinned(Test::new().server(&server))
        .env("CARO_HTTP_TIMEOUT", "1")
        .run()
        .failure()
        .stderr_has(&format!("{asset}.sha256"));
}
