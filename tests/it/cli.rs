//! The command line itself: help, version, usage errors and their exit codes.

use crate::common::*;

#[test]
fn help_lists_the_commands_and_exits_0() {
    Test::new()
        .arg("--help")
        .run()
        .success()
        .stdout_has("install")
        .stdout_has("self-update")
        .stdout_has("--version <VERSION>")
        .stdout_has("CARO_INSTALL_DIR");
}

#[test]
fn capital_v_prints_the_installer_version() {
    let output = Test::new().arg("-V").run().success();
    assert_eq!(
        output.stdout,
        format!("caro-install {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn version_flag_needs_a_value() {
    Test::new()
        .arg("--version")
        .run()
        .code(2)
        .stderr_has("a value is required");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    Test::new()
        .arg("--frobnicate")
        .run()
        .code(2)
        .stderr_has("--frobnicate");
}

#[test]
fn bad_version_is_a_usage_error_with_help() {
    Test::new()
        .args(["--version", "../../x"])
        .run()
        .code(2)
        .stderr_has("invalid version `../../x`")
        .stderr_has("help:");
}

#[test]
fn unknown_platform_lists_the_keys() {
    Test::new()
        .args(["--platform", "linux-x86"])
        .run()
        .code(2)
        .stderr_has("linux-amd64, linux-arm64");
}

#[test]
fn bad_environment_values_fail_with_their_name() {
    Test::new()
        .env("CARO_HTTP_TIMEOUT", "soon")
        .args(["--version", "1.0.3"])
        .run()
        .failure()
        .stderr_has("CARO_HTTP_TIMEOUT");
    Test::new()
        .env("CARO_INSTALL_VERSION", "1.0.2/../../x")
        .run()
        .failure()
        .stderr_has("invalid version");
}

#[test]
fn install_subcommand_takes_the_same_options() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new().server(&server).args([
        "install",
        "--version",
        "1.0.3",
        "--platform",
        "linux-amd64",
        "--no-modify-path",
        "-q",
    ]);
    let output = test.run().success();
    assert_eq!(output.stderr, "", "quiet prints nothing on success");
}

#[test]
fn errors_are_not_coloured_in_pipes() {
    Test::new()
        .args(["--version", "1.0.3", "--platform", "linux-amd64"])
        .run()
        .failure()
        .stderr_has("error: ")
        .stderr_lacks("\x1b[");
}

#[test]
fn verbose_says_every_request_the_platform_and_why() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .args(["--version", "1.0.3", "--no-modify-path", "-v"]);
    test.run()
        .success()
        .stderr_has(&format!("GET {}{asset}\n", server.url()))
        .stderr_has(&format!("GET {}{asset}.sha256", server.url()))
        .stderr_has("platform linux-amd64 (Linux x86_64 with glibc)")
        .stderr_has("placed ");
    let quiet = Test::new()
        .server(&server)
        .args(["--version", "1.0.3", "--no-modify-path"])
        .env("CARO_PRINT_QUIET", "1");
    assert_eq!(quiet.run().success().stderr, "");
}
