//! No secret in any output or file: a password in a mirror's URL or a proxy setting is
//! never printed (messages, `-v`, `status`) nor stored (the receipt, which anyone may read).

use super::*;

const PASSWORD: &str = "s3cretpw";

#[track_caller]
fn assert_no_secret(what: &str, text: &str) {
    assert!(!text.contains(PASSWORD), "the password in {what}:\n{text}");
}

#[test]
fn a_password_in_the_base_url_is_never_printed_or_stored() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let base = server
        .url()
        .replacen("http://", &format!("http://mirror:{PASSWORD}@"), 1);
    let test = Test::new()
        .server(&server)
        .env("CARO_INSTALLER_GITHUB_BASE_URL", &base)
        .pinned("1.0.3", "linux-amd64")
        .args(["--no-modify-path", "-v"]);
    let install = test.run().success();
    assert_no_secret("install -v", &install.stderr);
    assert_no_secret("install -v", &install.stdout);
    assert!(
        install.stderr.contains("mirror:***@") || install.stderr.contains("://***@"),
        "{}",
        install.stderr
    );
    let receipt = fs::read_to_string(test.receipt_path()).unwrap();
    assert_no_secret("the receipt", &receipt);
    let status = test.run_with(&["status"]).success();
    assert_no_secret("status", &status.stdout);
    let update = test.run_with(&["update", "-v", "--version", "1.0.4"]);
    assert_no_secret("update -v", &update.stderr);
    // A 404 names the URL in an error.
    let missing = test.run_with(&["--version", "9.9.9", "--platform", "linux-amd64", "-v"]);
    assert_no_secret("an error", &missing.stderr);
}

#[test]
fn an_invalid_proxy_is_reported_without_its_password() {
    for proxy in [
        format!("http://user:{PASSWORD}@[not-a-host"),
        format!("socks9://user:{PASSWORD}@proxy:1080"),
    ] {
        let output = Test::new()
            .pinned("1.0.3", "linux-amd64")
            .env("HTTPS_PROXY", &proxy)
            .run()
            .code(2)
            .stderr_has("HTTPS_PROXY");
        assert_no_secret("the proxy error", &output.stderr);
    }
}

#[test]
fn a_stored_password_from_an_older_receipt_is_not_printed_by_status() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("--no-modify-path");
    test.run().success();
    let mut receipt = test.receipt();
    receipt["asset_url"] = format!("https://me:{PASSWORD}@mirror.example/caro").into();
    fs::write(test.receipt_path(), receipt.to_string()).unwrap();
    let status = test.run_with(&["status"]).success();
    assert_no_secret("status", &status.stdout);
}
