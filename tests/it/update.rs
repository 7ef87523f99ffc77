//! `caro-install update`, `caro-install self-update`, and caro's `self-update` through the
//! library (the `caro` example), against the loopback release server.

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

/// caro 1.0.3 installed from `server` (with PATH configured), then 1.1.0 published as latest.
fn installed_then_released(server: &Server) -> Test {
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new();
    #[cfg(unix)] // shells whose startup files the install configures
    let test = test.tools(&["bash", "zsh", "fish"]);
    let test = test.server(server).pinned("1.0.3", "linux-amd64").arg("-y");
    test.run().success();
    server.caro("1.1.0", "linux-amd64");
    server.latest("1.1.0");
    test
}

/// Every file in HOME outside the install dir and receipt, with its bytes.
#[cfg(unix)]
fn shell_files(test: &Test) -> Vec<(String, Vec<u8>)> {
    test.tree(&test.home())
        .into_iter()
        .filter(|p| !p.starts_with(".local/bin") && !p.ends_with("caro-receipt.json"))
        .map(|p| {
            let bytes = fs::read(test.home().join(&p)).unwrap();
            (p, bytes)
        })
        .collect()
}

fn downloads(server: &Server) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/download/"))
        .count()
}

#[cfg(unix)] // shell startup files (tests/it/windows.rs has the registry's)
#[test]
fn update_moves_to_the_latest_release_and_touches_no_shell_file() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let rc_before = shell_files(&test);
    assert!(rc_before.len() >= 3, "the install configured shells");
    test.run_with(&["update"])
        .success()
        .stderr_has("updated caro 1.0.3 -> 1.1.0");
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.1.0\n"
    );
    let receipt = test.receipt();
    assert_eq!(receipt["version"], "1.1.0");
    assert_eq!(receipt["modify_path"], true);
    assert!(
        receipt["asset_url"]
            .as_str()
            .unwrap()
            .ends_with("caro-1.1.0-linux-amd64")
    );
    assert_eq!(shell_files(&test), rc_before);
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn update_at_latest_downloads_nothing() {
    let server = Server::start();
    let test = installed_then_released(&server);
    test.run_with(&["update"]).success();
    let before = downloads(&server);
    test.run_with(&["update"])
        .success()
        .stderr_has("caro 1.1.0 is up to date");
    assert_eq!(downloads(&server), before);
}

#[test]
fn update_check_reports_and_changes_nothing() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let binary = fs::read(test.bin_dir().join("caro")).unwrap();
    let receipt = fs::read(test.receipt_path()).unwrap();
    let before = downloads(&server);
    let output = test.run_with(&["update", "--check"]).success();
    assert_eq!(
        output.stdout,
        "caro 1.1.0 is available (installed: 1.0.3)\n"
    );
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), binary);
    assert_eq!(fs::read(test.receipt_path()).unwrap(), receipt);
    assert_eq!(downloads(&server), before);
}

#[test]
fn explicit_downgrade_to_a_legacy_release() {
    let server = Server::start();
    let test = installed_then_released(&server);
    test.run_with(&["update"]).success();
    server.asset(
        "wildcard/caro",
        "1.0.2",
        "caro-linux-amd64",
        &stand_in("1.0.2"),
    );
    test.run_with(&["update", "--version", "1.0.2"])
        .success()
        .stderr_has("downgrading caro 1.1.0 -> 1.0.2")
        .stderr_has("downgraded caro 1.1.0 -> 1.0.2")
        .stderr_lacks("updat");
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.2\n"
    );
    // Without --version, latest (1.1.0) is an upgrade again.
    test.run_with(&["update", "--check"])
        .success()
        .stdout_has("caro 1.1.0 is available");
}

#[test]
fn update_without_a_receipt_says_how_to_install() {
    Test::new()
        .arg("update")
        .run()
        .failure()
        .stderr_has("no install receipt at")
        .stderr_has("help:")
        .stderr_has("--install-dir");
}

#[test]
fn update_with_a_corrupt_receipt_names_it() {
    let test = Test::new().arg("update").write_receipt("{\"version\": 3,");
    test.run()
        .failure()
        .stderr_has("is corrupt")
        .stderr_has("caro-receipt.json")
        .stderr_has("help:");
}

#[test]
fn self_update_replaces_the_running_caro_install() {
    let server = Server::start();
    server.installer("9.9.9", HOST_PLATFORM);
    let test = Test::new().server(&server);
    let copy = test.bin_dir().join(exe("caro-install"));
    fs::create_dir_all(test.bin_dir()).unwrap();
    fs::copy(BIN, &copy).unwrap();
    let output = test.program(&copy).arg("self-update").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "updated caro-install {} -> 9.9.9",
            env!("CARGO_PKG_VERSION")
        )),
        "{stderr}"
    );
    assert_eq!(run_installed(&copy, "-V"), "caro-install 9.9.9\n");
    assert_no_temp_files(&test.bin_dir());
}

/// The `caro` example (plays caro 1.0.3), built beside the binary under test.
fn example_caro() -> PathBuf {
    example("caro")
}

/// Runs an installed copy of the example with the test's environment (which points at the
/// test's server).
fn caro(test: &Test, binary: &std::path::Path, args: &[&str]) -> Output {
    let output = output_of_new_file(test.program(binary).args(args).stdin(Stdio::null())).unwrap();
    output.into()
}

#[test]
fn caro_replaces_itself_through_the_library() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let installed = test.bin_dir().join("caro");
    fs::copy(example_caro(), &installed).unwrap();
    assert_eq!(run_installed(&installed, "--version"), "caro 1.0.3\n");
    let output = caro(&test, &installed, &["self-update"]).success();
    assert_eq!(
        output.stdout,
        format!("updated caro 1.0.3 -> 1.1.0 at {}\n", installed.display())
    );
    assert_eq!(output.stderr, "", "the library prints nothing by itself");
    assert_eq!(run_installed(&installed, "--version"), "caro 1.1.0\n");
    assert_eq!(test.receipt()["version"], "1.1.0");
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn check_only_reports_the_new_version_and_changes_nothing() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let installed = test.bin_dir().join("caro");
    fs::copy(example_caro(), &installed).unwrap();
    let bytes = fs::read(&installed).unwrap();
    let output = caro(&test, &installed, &["self-update", "--check"]).success();
    assert_eq!(
        output.stdout,
        "caro 1.1.0 is available (installed: 1.0.3)\n"
    );
    assert_eq!(fs::read(&installed).unwrap(), bytes);
    caro(&test, &installed, &["self-update", "1.0.3"])
        .success()
        .stdout_has("caro 1.0.3 is up to date");
}

#[test]
fn a_copy_under_cargo_bin_is_left_to_cargo() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let cargo_copy = test.home().join(".cargo/bin/caro");
    fs::create_dir_all(cargo_copy.parent().unwrap()).unwrap();
    fs::copy(example_caro(), &cargo_copy).unwrap();
    let bytes = fs::read(&cargo_copy).unwrap();
    caro(&test, &cargo_copy, &["self-update"])
        .failure()
        .stderr_has("was installed by cargo")
        .stderr_has("cargo install caro --force --locked");
    assert_eq!(fs::read(&cargo_copy).unwrap(), bytes);
}

#[test]
fn a_copy_elsewhere_names_both_paths() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let elsewhere = test.root().join("elsewhere").join("caro");
    fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    fs::copy(example_caro(), &elsewhere).unwrap();
    caro(&test, &elsewhere, &["self-update"])
        .failure()
        .stderr_has(&elsewhere.display().to_string())
        .stderr_has(&test.bin_dir().join(exe("caro")).display().to_string());
}

#[test]
fn a_killed_update_leaves_the_old_binary_and_the_next_one_succeeds() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .args(["-y", "--no-modify-path"]);
    test.run().success();
    let old = fs::read(test.bin_dir().join("caro")).unwrap();
    let body: Vec<u8> = [stand_in("1.1.0"), vec![b'#'; 1_000_000]].concat();
    let asset = server.asset("wildcard/caro", "1.1.0", "caro-1.1.0-linux-amd64", &body);
    server.latest("1.1.0");
    for delay in [
        Duration::ZERO,
        Duration::from_millis(30),
        Duration::from_millis(120),
    ] {
        server.fault_always(&asset, Fault::Stall(400_000, Duration::from_secs(30)));
        let hits = server.hits(&asset);
        let mut child = test
            .command_with(&["update"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while server.hits(&asset) == hits && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert_eq!(
            fs::read(test.bin_dir().join("caro")).unwrap(),
            old,
            "after a kill {delay:?} into the download"
        );
        assert_eq!(
            run_installed(&test.bin_dir().join("caro"), "--version"),
            "caro 1.0.3\n"
        );
    }
    server.clear_faults(&asset);
    test.run_with(&["update"])
        .success()
        .stderr_has("updated caro 1.0.3 -> 1.1.0");
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), body);
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn two_concurrent_updates_end_with_one_valid_binary() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .args(["-y", "--no-modify-path"]);
    test.run().success();
    let body: Vec<u8> = [stand_in("1.1.0"), vec![b'#'; 2_000_000]].concat();
    server.asset("wildcard/caro", "1.1.0", "caro-1.1.0-linux-amd64", &body);
    server.latest("1.1.0");
    run_concurrently(2, || test.command_with(&["update"]));
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), body);
    assert_eq!(test.receipt()["version"], "1.1.0");
    assert_no_temp_files(&test.bin_dir());
}

#[test]
fn inside_caro_every_help_names_caro_self_update() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let installed = test.bin_dir().join("caro");
    fs::copy(example_caro(), &installed).unwrap();
    // A version that does not exist: the help says how caro pins one, never `--version`
    // (caro's own main would swallow that flag) nor `--from-source`.
    let output = caro(&test, &installed, &["self-update", "9.9.9"]).failure();
    let output = output
        .stderr_has("release 9.9.9 does not exist")
        .stderr_has("help:")
        .stderr_lacks("--version")
        .stderr_lacks("--from-source")
        .stderr_lacks("caro-install update");
    assert!(output.stderr.starts_with("error: "), "{}", output.stderr);
    // A pre-release `latest` names `caro self-update <version>`.
    server.latest("1.2.0-beta.1");
    caro(&test, &installed, &["self-update"])
        .failure()
        .stderr_has("use `caro self-update 1.2.0-beta.1`");
}

#[test]
fn a_caro_owned_by_cargo_says_the_cargo_command_however_it_is_printed() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let cargo_copy = test.home().join(".cargo/bin/caro");
    fs::create_dir_all(cargo_copy.parent().unwrap()).unwrap();
    fs::copy(example_caro(), &cargo_copy).unwrap();
    // The example prints with anyhow's `{e:#}`; the message itself carries the command.
    caro(&test, &cargo_copy, &["self-update"])
        .failure()
        .stderr_has("so cargo updates it: `cargo install caro --force --locked`")
        .stderr_lacks("caro-install does not replace it");
}

#[test]
fn check_says_available_only_for_a_published_build() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let installed = test.bin_dir().join("caro");
    fs::copy(example_caro(), &installed).unwrap();
    let before = downloads(&server);
    caro(&test, &installed, &["self-update", "--check", "9.9.9"])
        .failure()
        .stderr_has("release 9.9.9 does not exist")
        .stderr_lacks("is available");
    // The release exists, its sidecar does not: not "available" either.
    server.file(
        "/wildcard/caro/releases/download/v1.2.0/caro-1.2.0-linux-amd64",
        stand_in("1.2.0"),
    );
    caro(&test, &installed, &["self-update", "--check", "1.2.0"])
        .failure()
        .stderr_has("caro-1.2.0-linux-amd64.sha256` is missing");
    assert_eq!(downloads(&server), before, "--check downloads nothing");
}

#[test]
fn a_new_build_reporting_the_old_version_is_not_installed() {
    let server = Server::start();
    let test = installed_then_released(&server);
    // The 1.2.0 release's build still says 1.0.3: it would be "updated" on every run.
    server.asset(
        "wildcard/caro",
        "1.2.0",
        "caro-1.2.0-linux-amd64",
        &stand_in("1.0.3"),
    );
    test.run_with(&["update", "--version", "1.2.0"])
        .failure()
        .stderr_has("printed `caro 1.0.3`, not version 1.2.0")
        .stderr_has("help:");
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.3\n"
    );
}

#[test]
fn update_refreshes_the_installed_time_that_status_shows() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let mut receipt = test.receipt();
    receipt["installed_at"] = "2000-01-01T00:00:00Z".into();
    fs::write(test.receipt_path(), receipt.to_string()).unwrap();
    test.run_with(&["update"]).success();
    let status = test.run_with(&["status"]).success();
    assert!(
        !status.stdout.contains("installed: 2000-01-01"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("caro 1.1.0"), "{}", status.stdout);
}
