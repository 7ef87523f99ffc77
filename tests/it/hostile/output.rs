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
