//! Values from the command line and the environment are checked before anything changes.

use super::*;

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

#[cfg(unix)]
#[test]
fn paths_no_shell_can_use_are_refused_before_anything_changes() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new().tools(&["sh"]).server(&server);
    let colon = test.root().join("a:b");
    let newline = test.root().join("a\nb");
    for dir in [&colon, &newline] {
        Test::new()
            .server(&server)
            .pinned("1.0.3", "linux-amd64")
            .args(["--install-dir", dir.to_str().unwrap()])
            .run()
            .failure()
            .stderr_has("cannot be used")
            .stderr_has("help:");
        assert!(!dir.exists());
    }
    // With --no-modify-path a `:` is fine: PATH never names the folder.
    pinned(Test::new().server(&server))
        .args(["--install-dir", colon.to_str().unwrap()])
        .run()
        .success();
    let odd_home = test.root().join("home\nx");
    let bin = test.root().join("bin");
    test.env("HOME", odd_home.to_str().unwrap())
        .pinned("1.0.3", "linux-amd64")
        .args(["--install-dir", bin.to_str().unwrap()])
        .run()
        .failure()
        .stderr_has("HOME `")
        .stderr_has("line break");
    assert!(!bin.exists());
}

