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
        .stdout_has("caro-install install --help");
    // The install options and the variables are in `install --help` (tests/it/help.rs).
    Test::new()
        .args(["install", "--help"])
        .run()
        .success()
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
    // A bad value is a usage error, like the flag's (exit 2; it was 1 before issue 14).
    Test::new()
        .env("CARO_HTTP_TIMEOUT", "soon")
        .args(["--version", "1.0.3"])
        .run()
        .code(2)
        .stderr_has("CARO_HTTP_TIMEOUT");
    Test::new()
        .env("CARO_INSTALL_VERSION", "1.0.2/../../x")
        .run()
        .code(2)
        .stderr_has("CARO_INSTALL_VERSION is set to `1.0.2/../../x`, which is not a valid version");
    Test::new()
        .env("CARO_INSTALL_PLATFORM", "linux-x86")
        .run()
        .code(2)
        .stderr_has("CARO_INSTALL_PLATFORM is set to `linux-x86`")
        .stderr_has("linux-amd64");
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
        .pinned("1.0.3", "linux-amd64")
        .run()
        .failure()
        .stderr_has("error: ")
        .stderr_lacks("\x1b[");
}

#[test]
fn verbose_says_every_request_the_platform_and_why() {
    let server = Server::start();
    let asset = server.caro("1.0.3", HOST_PLATFORM);
    let test = Test::new()
        .server(&server)
        .args(["--version", "1.0.3", "--no-modify-path", "-v"]);
    let why = if cfg!(windows) {
        "platform windows-amd64 (Windows x86_64)"
    } else {
        "platform linux-amd64 (Linux x86_64 with glibc)"
    };
    test.run()
        .success()
        .stderr_has(&format!("GET {}{asset}\n", server.url()))
        .stderr_has(&format!("GET {}{asset}.sha256", server.url()))
        .stderr_has(why)
        .stderr_has("placed ");
    let quiet = Test::new()
        .server(&server)
        .args(["--version", "1.0.3", "--no-modify-path"])
        .env("CARO_PRINT_QUIET", "1");
    assert_eq!(quiet.run().success().stderr, "");
}

#[cfg(unix)] // a pseudo-terminal through util-linux `script`
#[test]
fn progress_bar_and_colour_only_on_a_terminal() {
    let server = Server::start();
    let body = [stand_in("1.0.3"), vec![b'#'; 4 << 20]].concat();
    let asset = server.asset("wildcard/caro", "1.0.3", "caro-1.0.3-linux-amd64", &body);
    let test = Test::new().server(&server).args([
        "--version",
        "1.0.3",
        "--no-modify-path",
        "--platform",
        "linux-amd64",
    ]);
    // A pause mid-download (then a resume) gives the bar time to draw.
    server.fault_once(
        &asset,
        Fault::Stall(1 << 20, std::time::Duration::from_millis(400)),
    );
    let on_terminal = test.run_in_terminal().success();
    assert!(
        on_terminal.stdout.contains("caro-1.0.3-linux-amd64 ["),
        "no bar on a terminal:\n{}",
        on_terminal.stdout
    );
    server.fault_once(
        &asset,
        Fault::Stall(1 << 20, std::time::Duration::from_millis(400)),
    );
    test.run()
        .success()
        .stderr_lacks("caro-1.0.3-linux-amd64 [")
        .stderr_lacks("\x1b[");
    // Errors are red on a terminal, unless NO_COLOR is set.
    let failing = Test::new().server(&server).pinned("9.9.9", "linux-amd64");
    assert!(
        failing
            .run_in_terminal()
            .stdout
            .contains("\x1b[1;31merror:")
    );
    let plain = failing.env("NO_COLOR", "1").run_in_terminal();
    assert!(
        plain.stdout.contains("error: no caro 9.9.9") && !plain.stdout.contains("\x1b[1;31m"),
        "{}",
        plain.stdout
    );
}

#[test]
fn a_typo_gets_a_suggestion_and_a_bare_version_points_to_v() {
    Test::new()
        .arg("instal")
        .run()
        .code(2)
        .stderr_has("similar")
        .stderr_has("install");
    Test::new()
        .arg("--version")
        .run()
        .code(2)
        .stderr_has("`caro-install -V` prints caro-install's own version");
}

#[cfg(unix)] // the advice names a Unix shell's env script
#[test]
fn the_last_lines_say_how_to_use_caro_in_this_shell() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .tools(&["sh"])
        .server(&server)
        .pinned("1.0.3", "linux-amd64");
    let output = test.run().success();
    assert!(
        output.stderr.ends_with(
            "To use caro in this shell now, run (new shells find it on their own):\n    . \"$HOME/.config/caro/env\"\n"
        ),
        "{}",
        output.stderr
    );
    // Already on PATH: nothing to say.
    let on_path = format!(
        "{}:{}",
        test.bin_dir().display(),
        test.tools_dir().display()
    );
    test.env("PATH", &on_path)
        .run()
        .success()
        .stderr_lacks("To use caro");
}
