//! What reaches the user's terminal: a closed pipe never stops an install halfway.

use super::*;

#[cfg(unix)]
#[test]
fn a_closed_pipe_never_stops_an_install_halfway() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .tools(&["sh"])
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-v");
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        writer
    };
    let status = test
        .command()
        .stdin(Stdio::null())
        .stdout(closed())
        .stderr(closed())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(test.receipt_path().is_file(), "the install finished");
    assert!(
        fs::read_to_string(test.home().join(".profile"))
            .unwrap()
            .contains("added by caro-install")
    );
    for args in [
        &["status"][..],
        &["--dry-run", "--version", "1.0.3"],
        &["-V"],
    ] {
        let status = test
            .command_with(args)
            .stdin(Stdio::null())
            .stdout(closed())
            .stderr(closed())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {status}");
    }
}

// Text from outside reaches the terminal escaped: a receipt field, a server's text, a
// build's output, a process name, a variable's value. `\u{1b}]0;...\u{7}` retitles a
// terminal window and `\u{1b}[2J` clears the screen when printed raw.

const ESCAPES: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J";

#[track_caller]
fn assert_no_raw_escape(output: &Output) {
    for (name, text) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        assert!(!text.contains('\u{1b}'), "a raw ESC on {name}:\n{text}");
        assert!(!text.contains('\u{7}'), "a raw BEL on {name}:\n{text}");
    }
}

#[track_caller]
fn assert_escaped(output: &Output) {
    assert_no_raw_escape(output);
    assert!(
        output.stdout.contains("\\u{1b}") || output.stderr.contains("\\u{1b}"),
        "the escape is shown escaped:\n{}{}",
        output.stdout,
        output.stderr
    );
}

#[cfg(unix)]
#[test]
fn receipt_fields_are_printed_escaped_by_status_and_update() {
    let server = Server::start();
    let test = installed(&server);
    edit_receipt(&test, |receipt| {
        receipt["version"] = format!("1.0.3{ESCAPES}").into();
        receipt["platform"] = format!("linux-amd64{ESCAPES}").into();
        receipt["asset_url"] = format!("http://x/{ESCAPES}").into();
    });
    let status = test.run_with(&["status"]);
    assert_escaped(&status);
    let update = test.run_with(&["update", "-v"]);
    assert_escaped(&update);
}

#[test]
fn a_variable_value_is_printed_escaped() {
    let output = Test::new()
        .env("CARO_INSTALL_VERSION", &format!("1.0{ESCAPES}"))
        .arg("--no-modify-path")
        .run()
        .code(2);
    assert_escaped(&output);
    let output = Test::new()
        .pinned("1.0.3", "linux-amd64")
        .env("CARO_INSTALL_REPO", &format!("wildcard/caro{ESCAPES}"))
        .run()
        .code(2);
    assert_escaped(&output);
}

#[cfg(unix)]
#[test]
fn a_servers_text_never_reaches_the_terminal_raw() {
    // A static mirror's `releases/latest` body, which names no tag (not quoted back).
    let server = Server::start();
    server.file("/wildcard/caro/releases/latest", format!("v1.0.3{ESCAPES}"));
    let test =
        Test::new()
            .server(&server)
            .args(["--platform", "linux-amd64", "--no-modify-path", "-v"]);
    assert_no_raw_escape(&test.run().failure());
    // A redirect to a tag that is no version, and the API's `tag_name`.
    let server = Server::start();
    server.redirect(
        "/wildcard/caro/releases/latest",
        &format!(
            "{}/wildcard/caro/releases/tag/v1.0.3%1b]0;x%07",
            server.url()
        ),
    );
    server.file(
        "/api/repos/wildcard/caro/releases/latest",
        serde_json::json!({ "tag_name": format!("v1.0.3{ESCAPES}") }).to_string(),
    );
    let test =
        Test::new()
            .server(&server)
            .args(["--platform", "linux-amd64", "--no-modify-path", "-v"]);
    assert_no_raw_escape(&test.run().failure());
}

#[cfg(unix)]
#[test]
fn a_builds_version_output_is_printed_escaped() {
    let server = Server::start();
    server.asset(
        CARO,
        "1.0.3",
        "caro-1.0.3-linux-amd64",
        &stand_in_saying_raw(&format!("caro 1.0.3{ESCAPES}x")),
    );
    let output = pinned(Test::new().server(&server)).arg("-v").run();
    assert_escaped(&output);
}

/// A stand-in whose `--version` prints `line` byte for byte (printf, not echo).
#[cfg(unix)]
fn stand_in_saying_raw(line: &str) -> Vec<u8> {
    let octal: String = line.bytes().map(|b| format!("\\{b:03o}")).collect();
    format!("#!/bin/sh\nprintf '{octal}\\n'\n").into_bytes()
}

#[cfg(target_os = "linux")]
#[test]
fn the_lock_holders_name_is_printed_escaped() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server)).env("CARO_HTTP_TIMEOUT", "1");
    fs::create_dir_all(test.bin_dir()).unwrap();
    // The kernel names a process after its file: 15 bytes of it.
    let evil = test.root().join("\u{1b}]0;x\u{7}\u{1b}[2J");
    fs::copy(system_tool("flock"), &evil).unwrap();
    let mut holder = Command::new(&evil)
        .arg(test.bin_dir())
        .args([system_tool("sleep").to_str().unwrap(), "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let output = test.run();
    let _ = holder.kill();
    let _ = holder.wait();
    let output = output.failure().stderr_has("is locked by process");
    assert_escaped(&output);
}

#[cfg(unix)]
#[test]
fn a_file_name_is_printed_escaped() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server));
    let dir = test.root().join(format!("bin{ESCAPES}"));
    let output = test.run_with(&[
        "--version",
        "1.0.3",
        "--platform",
        "linux-amd64",
        "--no-modify-path",
        "-v",
        "--install-dir",
        dir.to_str().unwrap(),
    ]);
    assert_escaped(&output);
}
