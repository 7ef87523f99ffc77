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

// Every value is checked at the edge (src/env.rs, `CHECKED_VARIABLES`): a usage error
// naming the variable, exit 2, before any request; never a panic.

#[test]
fn a_huge_timeout_is_a_usage_error_not_a_panic() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    for value in [
        "18446744073709551615",
        "99999999999999999999999",
        "3601",
        "0",
        "-1",
    ] {
        let output = pinned(Test::new().server(&server))
            .env("CARO_HTTP_TIMEOUT", value)
            .run()
            .code(2)
            .stderr_has(&format!("CARO_HTTP_TIMEOUT is set to `{value}`"))
            .stderr_has("from 1 to 3600")
            .stderr_lacks("panicked");
        assert!(output.stderr.contains("help:"), "{}", output.stderr);
    }
    for args in [&["uninstall", "-y"][..], &["update"], &["self-update"]] {
        Test::new()
            .env("CARO_HTTP_TIMEOUT", "18446744073709551615")
            .args(args.iter().copied())
            .run()
            .stderr_lacks("panicked");
    }
    assert!(server.requests().is_empty(), "no request with a bad value");
}

#[test]
fn repositories_must_look_like_owner_slash_name() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    for (variable, args) in [
        (
            "CARO_INSTALL_REPO",
            &["--version", "1.0.3", "--platform", "linux-amd64"][..],
        ),
        ("CARO_INSTALLER_REPO", &["self-update"][..]),
    ] {
        for value in [
            "wildcard/../caro",
            "../../x/y",
            "wildcard/caro/../../z",
            "a/b?x=",
            "a/b#",
            "./caro",
            "wildcard",
        ] {
            Test::new()
                .server(&server)
                .env(variable, value)
                .args(args.iter().copied())
                .run()
                .code(2)
                .stderr_has(&format!("{variable} is set to `{value}`"))
                .stderr_has("owner/name");
        }
    }
    assert!(server.requests().is_empty(), "no request with a bad value");
}

/// Every line of tests/bootstrap/values.tsv, the table install.sh and install.ps1 are held
/// to as well (tests/bootstrap/run.sh), gets its verdict from the library's one check.
#[test]
fn the_table_of_value_checks_holds_in_the_binary() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bootstrap/values.tsv");
    let table = fs::read_to_string(&path).unwrap();
    let mut rows = 0;
    for line in table
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut fields = line.splitn(3, '\t');
        let (name, verdict, value) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        let checked = caro_install::Env::from_vars([(name, value)]).check_values();
        assert_eq!(
            checked.is_ok(),
            verdict == "ok",
            "{name}={value:?}: {checked:?}"
        );
        rows += 1;
    }
    let variables: std::collections::BTreeSet<_> =
        table.lines().filter_map(|l| l.split('\t').next()).collect();
    for (name, _) in caro_install::CHECKED_VARIABLES {
        assert!(
            variables.contains(name),
            "values.tsv has no line for {name}"
        );
    }
    assert!(rows > 20);
}
