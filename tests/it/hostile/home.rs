//! A tampered home directory: an edited, huge or corrupt receipt, files the user wrote where
//! caro-install writes its own.

use super::*;

#[cfg(unix)]
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

#[cfg(unix)]
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

#[cfg(unix)]
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

#[cfg(unix)]
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

#[cfg(unix)]
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
fn a_corrupt_receipt_is_replaced_by_a_fresh_install() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = pinned_yes(Test::new().server(&server)).write_receipt("\u{0}garbage");
    test.run()
        .success()
        .stderr_has("is corrupt; writing a new one");
    assert_eq!(test.receipt()["version"], "1.0.3");
}

// Files that are not regular files, where caro-install reads one it did not create: each is
// refused (or skipped) without being opened, so nothing hangs (src/files/guarded.rs).

#[cfg(unix)]
#[test]
fn a_fifo_as_the_receipt_hangs_nothing() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("--no-modify-path");
    make_fifo(&test.receipt_path());
    // status reports what it found, the receipt's problem included.
    run_bounded(&test, &["status"])
        .success()
        .stdout_has("refusing to read the receipt");
    // update refuses; uninstall and install do without it (and say so).
    for args in [
        &["update"][..],
        &["uninstall", "-y"],
        &[
            "--version",
            "1.0.3",
            "--platform",
            "linux-amd64",
            "--no-modify-path",
        ],
    ] {
        run_bounded(&test, args).stderr_has("refusing to read the receipt");
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_in_ssl_cert_dir_is_skipped_and_one_as_ssl_cert_file_refused() {
    let pki = Pki::new();
    let server = https_release(&pki);
    let test = pinned_yes(Test::new().server(&server));
    let dir = test.root().join("certs");
    pki.write_ca(&dir.join("corp.pem"));
    make_fifo(&dir.join("0000.pem"));
    fs::create_dir_all(dir.join("folder.pem")).unwrap();
    let with_dir = test.env("SSL_CERT_DIR", dir.to_str().unwrap());
    run_bounded(
        &with_dir,
        &[
            "--version",
            "1.0.3",
            "--platform",
            "linux-amd64",
            "-y",
            "--no-modify-path",
        ],
    )
    .success()
    .stderr_has("warning: skipping")
    .stderr_has("0000.pem");
    let fifo = dir.join("0000.pem");
    let with_file = with_dir.env("SSL_CERT_FILE", fifo.to_str().unwrap());
    run_bounded(
        &with_file,
        &[
            "--version",
            "1.0.3",
            "--platform",
            "linux-amd64",
            "-y",
            "--no-modify-path",
            // The same version again would be "already installed", with no request at all.
            "--force",
        ],
    )
    .failure()
    .stderr_has("refusing to read SSL_CERT_FILE")
    .stderr_has("a FIFO");
}

#[cfg(unix)]
#[test]
fn a_fifo_where_caro_install_copies_itself_hangs_nothing() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("--no-modify-path");
    make_fifo(&test.bin_dir().join("caro-install"));
    run_bounded(
        &test,
        &[
            "--version",
            "1.0.3",
            "--platform",
            "linux-amd64",
            "--no-modify-path",
        ],
    )
    .success();
    assert!(test.bin_dir().join("caro").is_file());
}

/// A FIFO where the installed caro was: the next install's "already installed" check, which
/// hashes that file, neither hangs nor reads it; the install goes on and puts caro back.
#[cfg(unix)]
#[test]
fn a_fifo_where_caro_was_hangs_nothing() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("--no-modify-path");
    test.run().success();
    let caro = test.bin_dir().join("caro");
    fs::remove_file(&caro).unwrap();
    make_fifo(&caro);
    run_bounded(
        &test,
        &[
            "--version",
            "1.0.3",
            "--platform",
            "linux-amd64",
            "--no-modify-path",
        ],
    )
    .success()
    .stderr_lacks("already installed");
    assert!(fs::metadata(&caro).unwrap().is_file(), "caro is not back");
}
