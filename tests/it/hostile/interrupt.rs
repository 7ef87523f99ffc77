//! Kills and Ctrl-C at any point leave the old binary and no temp file.

use super::*;

#[test]
fn install_killed_at_random_points_keeps_the_old_binary() {
    let server = Server::start();
    let body: Vec<u8> = [stand_in("1.0.3"), vec![b'#'; 3_000_000]].concat();
    server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64", &body);
    let test = pinned_yes(Test::new().server(&server)).write_bin("caro", "#!/bin/sh\necho old\n");
    let old = fs::read(test.bin_dir().join("caro")).unwrap();
    for delay_ms in [0, 2, 5, 10, 20, 40, 80] {
        let mut child = test
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let now = fs::read(test.bin_dir().join("caro")).unwrap();
        assert!(
            now == old || now == body,
            "after {delay_ms} ms: a partial binary of {} bytes",
            now.len()
        );
        if now == body {
            fs::write(test.bin_dir().join("caro"), &old).unwrap();
        }
    }
    test.run().success();
    assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), body);
    assert_no_temp_files(&test.bin_dir());
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_download_leaves_no_temp_file() {
    let server = Server::start();
    let asset = server.asset(
        CARO,
        "1.0.3",
        "caro-1.0.3-linux-amd64",
        &big_stand_in("1.0.3"),
    );
    server.fault_once(&asset, Fault::Stall(1_000, Duration::from_secs(10)));
    let test = Test::new().server(&server);
    fs::create_dir_all(test.bin_dir()).unwrap();
    for signal in ["-INT", "-TERM"] {
        server.fault_once(&asset, Fault::Stall(1_000, Duration::from_secs(10)));
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
        wait_for_temp_file(&test.bin_dir(), &mut child);
        let killed = Command::new(system_tool("kill"))
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), None, "ended by the signal: {status}");
        assert_no_temp_files(&test.bin_dir());
    }
}
