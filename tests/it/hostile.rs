//! Hardening II: what an attacker on the network, another user of a shared directory, an
//! edited receipt or a closed pipe could do, each held by a test that failed before the fix.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const CARO: &str = "wildcard/caro";

fn pinned(test: Test) -> Test {
    test.pinned("1.0.3", "linux-amd64").arg("--no-modify-path")
}

/// A stand-in caro big enough to be caught mid-download.
fn big_stand_in(version: &str) -> Vec<u8> {
    let mut body = stand_in(version);
    body.extend(std::iter::repeat_n(b'#', 200_000));
    body.push(b'\n');
    body
}

/// Waits (bounded) for caro-install's temp file to appear in `dir` and returns it.
#[track_caller]
fn wait_for_temp_file(dir: &Path, child: &mut Child) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().contains(".caro-install-tmp-"))
        });
        if let Some(path) = found {
            return path;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "caro-install ended before its download began"
        );
        assert!(Instant::now() < deadline, "no temp file appeared in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Puts `evil` at `path` by rename, as another user with write access to the folder could.
fn swap_in(path: &Path, evil: &[u8]) {
    let staged = path.with_extension("evil");
    fs::write(&staged, evil).unwrap();
    fs::set_permissions(&staged, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(&staged, path).unwrap();
}

fn finish(child: Child) -> Output {
    child.wait_with_output().unwrap().into()
}

fn spawn(test: &Test, args: &[&str]) -> Child {
    test.command_with(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

// 1. Redirects: every hop keeps the plain-http rule.

#[test]
fn an_https_redirect_to_plain_http_is_refused_and_named() {
    let pki = Pki::new();
    let github = Server::start_tls("127.0.0.1", &pki);
    let cleartext = Server::start();
    let asset = cleartext.caro("1.0.3", "linux-amd64");
    github.redirect(&asset, &format!("{}{asset}", cleartext.url()));
    let test = pinned(Test::new().server(&github)).write("home/.local/bin/caro", "old");
    let ca = test.root().join("ca.pem");
    pki.write_ca(&ca);
    test.env("SSL_CERT_FILE", ca.to_str().unwrap())
        .run()
        .failure()
        .stderr_has("refusing the redirect from `https://127.0.0.1")
        .stderr_has(&format!("to `{}{asset}`", cleartext.url()))
        .stderr_has("never continues over plain http")
        .stderr_has("help:");
    assert!(cleartext.requests().is_empty(), "nothing went in cleartext");
}

#[test]
fn a_redirect_off_loopback_or_to_another_scheme_is_refused() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    let port = server.url().rsplit(':').next().unwrap().to_string();
    for (location, reason) in [
        (
            format!("http://[::ffff:127.0.0.1]:{port}{asset}"),
            "plain http is allowed only for loopback hosts",
        ),
        (
            format!("http://loopback.invalid:{port}{asset}"),
            "plain http is allowed only for loopback hosts",
        ),
        (
            "file:///etc/passwd".to_string(),
            "may not lead to a file://",
        ),
        ("ftp://127.0.0.1/caro".to_string(), "only https://"),
    ] {
        let redirecting = Server::start();
        redirecting.redirect(&asset, &location);
        let test = pinned(Test::new().server(&redirecting));
        test.run()
            .failure()
            .stderr_has(&format!("to `{location}`"))
            .stderr_has(reason);
        assert!(!test.bin_dir().join("caro").exists(), "{location}");
    }
}

// 3. The hash-then-place gap.

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

// 4. and 5. The receipt is not trusted blindly; files the user had are theirs.

fn installed(server: &Server) -> Test {
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .tools(&["sh"])
        .server(server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y");
    test.run().success();
    test
}

fn edit_receipt(test: &Test, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut receipt = test.receipt();
    edit(&mut receipt);
    fs::write(test.receipt_path(), receipt.to_string()).unwrap();
}

#[test]
fn uninstall_touches_nothing_an_edited_receipt_adds() {
    let server = Server::start();
    let test = installed(&server);
    let keys = test.home().join(".ssh/authorized_keys");
    let notes = test.home().join("notes");
    fs::create_dir_all(keys.parent().unwrap()).unwrap();
    fs::write(&keys, "ssh-ed25519 AAAA me\n").unwrap();
    fs::write(&notes, "mine").unwrap();
    edit_receipt(&test, |receipt| {
        receipt["binaries"]
            .as_array_mut()
            .unwrap()
            .push(notes.to_str().unwrap().into());
        receipt["path_edits"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "path": keys, "line": null, "created": true, "added_newline": false
            }));
        receipt["path_edits"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "path": test.home().join(".profile"), "line": "ssh-ed25519 AAAA me",
                "created": false, "added_newline": false
            }));
    });
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has(&format!("the binary `{}`", notes.display()))
        .stderr_has(&format!("an edit of {}", keys.display()))
        .stderr_has("which caro-install never makes; left alone");
    assert_eq!(fs::read_to_string(&keys).unwrap(), "ssh-ed25519 AAAA me\n");
    assert_eq!(fs::read_to_string(&notes).unwrap(), "mine");
    assert!(!test.bin_dir().join("caro").exists());
}

#[test]
fn update_writes_nowhere_an_edited_install_prefix_points() {
    let server = Server::start();
    let test = installed(&server);
    let elsewhere = test.root().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    edit_receipt(&test, |receipt| {
        receipt["install_prefix"] = elsewhere.to_str().unwrap().into();
    });
    server.caro("1.1.0", "linux-amd64");
    server.latest("1.1.0");
    test.run_with(&["update"])
        .failure()
        .stderr_has("but there is no caro there")
        .stderr_has("help:");
    assert!(fs::read_dir(&elsewhere).unwrap().next().is_none());
}

#[test]
fn an_env_script_the_user_wrote_is_neither_overwritten_nor_deleted() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let mine = "# my own env\nexport EDITOR=vi\n";
    let fish = "set -gx EDITOR vi\n";
    let test = Test::new()
        .tools(&["sh", "fish"])
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y")
        .write("home/.config/caro/env", mine)
        .write("home/.config/fish/conf.d/caro.fish", fish);
    test.run()
        .success()
        .stderr_has("caro-install did not write it, so it is left as it is");
    let env_script = test.home().join(".config/caro/env");
    let fish_conf = test.home().join(".config/fish/conf.d/caro.fish");
    assert_eq!(fs::read_to_string(&env_script).unwrap(), mine);
    assert_eq!(fs::read_to_string(&fish_conf).unwrap(), fish);
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(fs::read_to_string(&env_script).unwrap(), mine);
    assert_eq!(fs::read_to_string(&fish_conf).unwrap(), fish);
    // Without a receipt too (the uninstall took away the folder it had created).
    fs::create_dir_all(test.bin_dir()).unwrap();
    fs::write(test.bin_dir().join("caro"), "my own build").unwrap();
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has("no receipt says caro-install installed it");
    assert_eq!(fs::read_to_string(&env_script).unwrap(), mine);
    assert_eq!(
        fs::read_to_string(test.bin_dir().join("caro")).unwrap(),
        "my own build"
    );
}

#[test]
fn a_marked_line_that_was_there_before_stays_after_uninstall() {
    let server = Server::start();
    let line = ". \"$HOME/.config/caro/env\" # added by caro-install\n";
    let test = installed_with(&server, |t| t.write("home/.profile", line));
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(
        fs::read_to_string(test.home().join(".profile")).unwrap(),
        line
    );
}

fn installed_with(server: &Server, setup: impl FnOnce(Test) -> Test) -> Test {
    server.caro("1.0.3", "linux-amd64");
    let test = setup(
        Test::new()
            .tools(&["sh"])
            .server(server)
            .pinned("1.0.3", "linux-amd64")
            .arg("-y"),
    );
    test.run().success();
    test
}

// 6. A closed pipe never stops an install halfway.

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

// 7. Ctrl-C takes the temp file with it.

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

// 8. Bounded waits and reads.

#[test]
fn a_new_build_that_never_exits_fails_the_update_and_gets_no_token() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("--no-modify-path");
    test.run().success();
    let token_seen = test.root().join("token");
    let endless = format!(
        "#!/bin/sh\necho \"${{CARO_GITHUB_TOKEN:-none}}\" > '{}'\nexec {} caro\n",
        token_seen.display(),
        system_tool("yes").display()
    );
    server.asset(CARO, "1.1.0", "caro-1.1.0-linux-amd64", endless.as_bytes());
    server.latest("1.1.0");
    let test = test.env("CARO_GITHUB_TOKEN", "ghp_secret");
    test.run_with(&["update"])
        .failure()
        .stderr_has("did not exit within 10 s");
    assert_eq!(fs::read_to_string(&token_seen).unwrap(), "none\n");
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.3\n"
    );
}

#[test]
fn a_sidecar_dripping_one_byte_at_a_time_is_cut_off() {
    let server = Server::start();
    let asset = server.caro("1.0.3", "linux-amd64");
    server.fault_always(
        &format!("{asset}.sha256"),
        Fault::Drip(Duration::from_millis(500)),
    );
    pinned(Test::new().server(&server))
        .env("CARO_HTTP_TIMEOUT", "1")
        .run()
        .failure()
        .stderr_has(&format!("{asset}.sha256"));
}

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

#[test]
fn a_huge_receipt_is_not_read_whole() {
    let server = Server::start();
    let test = installed(&server);
    let mut huge = test.receipt().to_string().into_bytes();
    huge.resize(3 << 20, b' ');
    fs::write(test.receipt_path(), huge).unwrap();
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has("larger than 1048576 bytes");
}

#[test]
fn a_zip_listing_too_many_entries_is_refused_before_it_is_read() {
    use std::io::Write;
    let server = Server::start();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..1_001 {
        zip.start_file(
            format!("doc{index}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
    }
    zip.start_file("caro.exe", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"MZ").unwrap();
    let archive = zip.finish().unwrap().into_inner();
    server.asset(CARO, "1.0.3", "caro-1.0.3-windows-amd64.zip", &archive);
    Test::new()
        .server(&server)
        .pinned("1.0.3", "windows-amd64")
        .arg("--no-modify-path")
        .run()
        .failure()
        .stderr_has("it lists 1002 entries, more than the 1000");
}

// 9. Paths that cannot work are refused before anything changes.

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
