//! What another local user (or another process) can do: swap a file in a shared
//! directory, hold the lock.

use super::*;

#[cfg(unix)]
#[test]
fn a_temp_file_swapped_during_the_download_is_never_placed() {
    let server = Server::start();
    let asset = server.asset(
        CARO,
        "1.0.3",
        "caro-1.0.3-linux-amd64",
        &big_stand_in("1.0.3"),
    );
    server.fault_once(&asset, Fault::Stall(1_000, Duration::from_millis(1_500)));
    let test = pinned(Test::new().server(&server)).write("home/.local/bin/caro", "old");
    let mut child = spawn(
        &test,
        &[
            "--version",
            "1.0.3",
            "--platform",
            "linux-amd64",
            "--no-modify-path",
        ],
    );
    let temp = wait_for_temp_file(&test.bin_dir(), &mut child);
    swap_in(&temp, b"#!/bin/sh\necho owned\n");
    finish(child)
        .failure()
        .stderr_has("was replaced by another file after it was downloaded and verified")
        .stderr_has("help:");
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), b"old");
}

#[cfg(unix)]
#[test]
fn an_update_never_runs_a_swapped_build() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("--no-modify-path");
    test.run().success();
    let asset = server.asset(
        CARO,
        "1.1.0",
        "caro-1.1.0-linux-amd64",
        &big_stand_in("1.1.0"),
    );
    server.latest("1.1.0");
    server.fault_once(&asset, Fault::Stall(1_000, Duration::from_millis(1_500)));
    let mut child = spawn(&test, &["update"]);
    let temp = wait_for_temp_file(&test.bin_dir(), &mut child);
    let marker = test.root().join("ran");
    swap_in(
        &temp,
        format!("#!/bin/sh\necho caro 1.1.0\n: > '{}'\n", marker.display()).as_bytes(),
    );
    finish(child).failure().stderr_has("was replaced");
    assert!(!marker.exists(), "the swapped build was run");
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.3\n"
    );
}

#[cfg(unix)]
#[test]
fn a_directory_anyone_can_write_to_is_refused() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new().server(&server);
    let shared = test.root().join("shared");
    fs::create_dir_all(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    let test = pinned(test).args(["--install-dir", shared.to_str().unwrap()]);
    test.run()
        .failure()
        .stderr_has("every user can replace files in it (mode 777")
        .stderr_has("chmod go-w");
    assert!(fs::read_dir(&shared).unwrap().next().is_none());
    // With the sticky bit (like /tmp) others cannot rename our files: allowed.
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    pinned(Test::new().server(&server))
        .args(["--install-dir", shared.to_str().unwrap()])
        .run()
        .success();
}

#[cfg(unix)]
#[test]
fn a_lock_held_by_another_process_is_named_and_given_up_on() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server)).env("CARO_HTTP_TIMEOUT", "1");
    fs::create_dir_all(test.bin_dir()).unwrap();
    let mut holder = Command::new(system_tool("flock"))
        .arg(test.bin_dir())
        .args([system_tool("sleep").to_str().unwrap(), "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let output = test.run();
    let _ = holder.kill();
    let _ = holder.wait();
    output
        .failure()
        .stderr_has("is locked by process")
        .stderr_has("stayed locked for 4 s")
        .stderr_has("help:");
    assert!(!test.bin_dir().join("caro").exists());
}

// Root and other users' homes: `sudo caro-install` keeping HOME would leave that user's
// startup files, `.config` and `.local/bin` owned by root. These run as root (the test
// machine's user), with a HOME owned by uid 65534 (nobody).

/// Returns true if and only if this test runs as root: what it creates is root's.
#[cfg(unix)]
fn is_root(test: &Test) -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(test.root()).unwrap().uid() == 0
}

#[cfg(unix)]
#[test]
fn root_in_another_users_home_is_refused_with_advice() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .tools(&["sh"])
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y");
    assert!(
        is_root(&test),
        "this test needs root (it plays `sudo` keeping HOME); run the suite as root"
    );
    // Installed once as the home's owner would have; then root comes with that HOME.
    test.run().success();
    server.caro("1.0.4", "linux-amd64");
    std::os::unix::fs::chown(test.home(), Some(65534), Some(65534)).unwrap();
    let before = test.tree(&test.home());
    for args in [
        &["--version", "1.0.3", "--platform", "linux-amd64", "-y"][..],
        &["update", "--version", "1.0.4"],
        &["uninstall", "-y"],
    ] {
        test.run_with(args)
            .failure()
            .stderr_has("refusing to write to")
            .stderr_has("as root: it belongs to another user (uid 65534)")
            .stderr_has("sudo -H");
        assert_eq!(
            test.tree(&test.home()),
            before,
            "{args:?} wrote to the home"
        );
    }
    // An unmanaged install writes only its folder: allowed.
    let unmanaged = test.root().join("ci-bin");
    let output = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .env("CARO_UNMANAGED_INSTALL", unmanaged.to_str().unwrap());
    std::os::unix::fs::chown(output.home(), Some(65534), Some(65534)).unwrap();
    let home_before = output.tree(&output.home());
    output.run().success();
    assert!(unmanaged.join("caro").exists());
    assert_eq!(output.tree(&output.home()), home_before);
}

#[cfg(unix)]
#[test]
fn an_install_dir_symlinked_by_another_user_is_refused() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned(Test::new().server(&server));
    let elsewhere = test.root().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let link = test.root().join("bin-link");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
    test.run_with(&[
        "--version",
        "1.0.3",
        "--platform",
        "linux-amd64",
        "--no-modify-path",
        "--install-dir",
        link.to_str().unwrap(),
    ])
    .failure()
    .stderr_has("is a symlink that another user (uid 65534) placed")
    .stderr_has("help:");
    assert!(!elsewhere.join("caro").exists());
    // The user's own symlink is theirs to point where they like.
    std::os::unix::fs::lchown(&link, Some(0), Some(0)).unwrap();
    test.run_with(&[
        "--version",
        "1.0.3",
        "--platform",
        "linux-amd64",
        "--no-modify-path",
        "--install-dir",
        link.to_str().unwrap(),
    ])
    .success();
    assert!(elsewhere.join("caro").exists());
}
