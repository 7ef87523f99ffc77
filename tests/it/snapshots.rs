//! What users read, held as snapshots (tests/it/snapshots/*.txt): the last lines of an
//! install, status, and the common errors (help is in tests/it/help.rs). A change to any
//! of them shows as a diff.

use crate::common::*;

fn pinned(server: &Server) -> Test {
    Test::new()
        .tools(&["sh"])
        .server(server)
        .pinned("1.0.3", "linux-amd64")
}

#[cfg(unix)]
#[test]
fn install_then_status_then_uninstall() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(&server);
    let home = test.home().display().to_string();
    let base = server.url();
    let names = [(home.as_str(), "{home}"), (base.as_str(), "{base}")];
    let installed = test.run().success();
    assert_snapshot("install", &installed.stderr, &names);
    let status = test.run_with(&["status"]).success();
    let status = status
        .stdout
        .lines()
        .map(|line| match line.strip_prefix("installed: ") {
            Some(_) => "installed: {time}",
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_snapshot("status", &status, &names);
    let uninstalled = test.run_with(&["uninstall", "-y"]).success();
    assert_snapshot("uninstall", &uninstalled.stderr, &names);
}

#[test]
fn errors() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let base = server.url();
    let mut text = String::new();
    for args in [
        &["--version", "1.0.9", "--platform", "linux-amd64"][..],
        &["--version", "1.0.3", "--platform", "macos-silicon"],
        &["update"],
    ] {
        let test = Test::new().server(&server).args(args);
        let home = test.home().display().to_string();
        let stderr = test.run().stderr.replace(&home, "{home}");
        text.push_str(&format!("$ caro-install {}\n{stderr}\n", args.join(" ")));
    }
    assert_snapshot("errors", &text, &[(base.as_str(), "{base}")]);
}
