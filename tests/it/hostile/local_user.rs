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
