//! What a hostile mirror (or whoever can change a release) can serve: archives that explode
//! or escape, builds that never exit.

use super::*;

#[test]
fn an_archive_bomb_is_refused() {
    let server = Server::start();
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let mut header = tar::Header::new_gnu();
    let size = (1u64 << 30) + 4096;
    header.set_size(size);
    header.set_mode(0o644);
    header.set_path("caro-1.0.3/zeros").unwrap();
    header.set_cksum();
    builder
        .append(&header, std::io::repeat(0).take(size))
        .unwrap();
    let archive = builder.into_inner().unwrap().finish().unwrap();
    assert!(
        archive.len() < 16 << 20,
        "the bomb is small: {} bytes",
        archive.len()
    );
    server.asset(CARO, "1.0.3", "caro-1.0.3-linux-amd64.tar.gz", &archive);
    let test = pinned_yes(Test::new().server(&server));
    test.run()
        .failure()
        .stderr_has("refusing archive")
        .stderr_has("expands to more than 1073741824 bytes");
    assert!(!test.bin_dir().join("caro").exists());
    assert_no_temp_files(&test.bin_dir());
}

use std::io::Read as _;

#[test]
fn a_zip_entry_with_an_absolute_path_is_refused() {
    use std::io::Write;
    let server = Server::start();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("caro.exe", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"MZ").unwrap();
    zip.start_file("/etc/caro.exe", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"owned").unwrap();
    let archive = zip.finish().unwrap().into_inner();
    server.asset(CARO, "1.0.3", "caro-1.0.3-windows-amd64.zip", &archive);
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "windows-amd64")
        .arg("--no-modify-path");
    test.run()
        .failure()
        .stderr_has("`/etc/caro.exe` has an absolute path");
    assert!(!test.bin_dir().join("caro.exe").exists());
}

#[cfg(unix)]
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

#[cfg(unix)]
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

// Signed downgrades: a signature binds the version, and the start-up check runs on every
// install, so an old build served under a newer tag is never placed.

/// A mirror whose release 1.1.0 holds only the legacy name `caro-linux-amd64`, with the
/// genuinely signed 1.0.2 build (and its sidecar and signature) copied in: what anyone who
/// can write a release can do, since the legacy name is the same in every release.
#[cfg(unix)]
fn replayed_legacy_release(key: &minisign::KeyPair, trusted: &str) -> Server {
    let server = Server::start();
    let old = stand_in("1.0.2");
    let asset = server.asset(CARO, "1.1.0", "caro-linux-amd64", &old);
    server.file(
        &format!("{asset}.minisig"),
        crate::signature::sign_with_comment(key, &old, trusted),
    );
    server
}

#[cfg(unix)]
fn installed_1_0_2(server: &Server, key: &minisign::KeyPair) -> Test {
    let old = stand_in("1.0.2");
    let asset = server.asset(CARO, "1.0.2", "caro-1.0.2-linux-amd64", &old);
    server.file(
        &format!("{asset}.minisig"),
        crate::signature::sign_as(key, &old, "caro-1.0.2-linux-amd64", "1.0.2"),
    );
    let test = Test::new()
        .server(server)
        .pinned("1.0.2", "linux-amd64")
        .args(["--no-modify-path", "--require-signature"])
        .env("CARO_INSTALL_MINISIGN_PUBKEY", &key.pk.to_base64());
    test.run().success();
    test
}

#[cfg(unix)]
#[test]
fn a_signed_old_legacy_build_under_a_newer_tag_is_refused() {
    let key = crate::signature::key();
    // Signed as the publisher now signs it, and as releases before the version was bound
    // were signed: neither names 1.1.0.
    for trusted in [
        "file:caro-linux-amd64 version:1.0.2",
        "file:caro-linux-amd64",
        "timestamp:1700000000\tfile:caro-linux-amd64\thashed",
    ] {
        let server = replayed_legacy_release(&key, trusted);
        let test = installed_1_0_2(&server, &key);
        let receipt = fs::read(test.receipt_path()).unwrap();
        let binary = fs::read(test.bin_dir().join("caro")).unwrap();
        test.run_with(&[
            "--version",
            "1.1.0",
            "--platform",
            "linux-amd64",
            "--no-modify-path",
            "--require-signature",
        ])
        .failure()
        .stderr_has("caro-linux-amd64.minisig")
        .stderr_has("not `file:caro-linux-amd64 version:1.1.0`")
        .stderr_has("help:");
        assert_eq!(fs::read(test.receipt_path()).unwrap(), receipt, "{trusted}");
        assert_eq!(fs::read(test.bin_dir().join("caro")).unwrap(), binary);
        assert_no_temp_files(&test.bin_dir());
    }
}

// Without a key only the sha256 vouches for a build, and a release's writer can make that
// match anything: the start-up check is what refuses the old build under the new tag.
#[cfg(unix)]
#[test]
fn an_old_build_under_a_newer_tag_is_never_placed_even_unsigned() {
    let server = Server::start();
    server.asset(CARO, "1.1.0", "caro-linux-amd64", &stand_in("1.0.2"));
    let test = Test::new()
        .server(&server)
        .pinned("1.1.0", "linux-amd64")
        .arg("--no-modify-path");
    test.run()
        .failure()
        .stderr_has("failed its start-up check")
        .stderr_has("not version 1.1.0")
        .stderr_has("help:");
    assert!(!test.bin_dir().join("caro").exists());
    assert!(!test.receipt_path().exists());
    assert_no_temp_files(&test.bin_dir());
}

// A file:// mirror's files are opened through the guard: a FIFO (or a device) as the
// sidecar, the signature or the asset is refused without being opened.

#[cfg(unix)]
#[test]
fn a_fifo_on_a_file_mirror_hangs_nothing() {
    for fifo in ["caro-1.0.3-linux-amd64.sha256", "caro-1.0.3-linux-amd64"] {
        let test = Test::new();
        let mirror = test.root().join("mirror");
        let release = mirror.join("wildcard/caro/releases/download/v1.0.3");
        let body = stand_in("1.0.3");
        fs::create_dir_all(&release).unwrap();
        fs::write(release.join("caro-1.0.3-linux-amd64"), &body).unwrap();
        fs::write(
            release.join("caro-1.0.3-linux-amd64.sha256"),
            sha256_hex(&body),
        )
        .unwrap();
        fs::remove_file(release.join(fifo)).unwrap();
        make_fifo(&release.join(fifo));
        let test = test.env("CARO_INSTALLER_GITHUB_BASE_URL", &file_url(&mirror));
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
        .failure()
        .stderr_has("a FIFO")
        .stderr_has("help:");
        assert!(!test.bin_dir().join("caro").exists(), "{fifo}");
        assert_no_temp_files(&test.bin_dir());
    }
}

#[cfg(unix)]
#[test]
fn update_refuses_a_signed_old_legacy_build_under_a_newer_tag() {
    let key = crate::signature::key();
    let server = replayed_legacy_release(&key, "file:caro-linux-amd64 version:1.0.2");
    let test = installed_1_0_2(&server, &key);
    server.latest("1.1.0");
    let receipt = fs::read(test.receipt_path()).unwrap();
    for args in [
        &["update", "--require-signature"][..],
        &["update", "--version", "1.1.0"],
    ] {
        test.run_with(args)
            .failure()
            .stderr_has("not `file:caro-linux-amd64 version:1.1.0`");
    }
    assert_eq!(fs::read(test.receipt_path()).unwrap(), receipt);
    assert_eq!(
        run_installed(&test.bin_dir().join("caro"), "--version"),
        "caro 1.0.2\n"
    );
}

// A build for another platform (`--platform`) is held to the start-up check whenever it
// runs here at all (a script, an emulator); only one that cannot start is let through.
#[cfg(unix)]
#[test]
fn another_platforms_build_is_checked_when_it_runs_here() {
    let server = Server::start();
    server.asset(CARO, "1.1.0", "caro-1.1.0-linux-arm64", &stand_in("1.0.2"));
    let test = Test::new()
        .server(&server)
        .pinned("1.1.0", "linux-arm64")
        .arg("--no-modify-path");
    test.run().failure().stderr_has("not version 1.1.0");
    assert!(!test.bin_dir().join("caro").exists());
    // ELF bytes for no machine this is: no exec, so no check, and -v says so.
    let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
    elf.resize(64, 0);
    server.asset(CARO, "1.1.0", "caro-1.1.0-macos-silicon", &elf);
    test.run_with(&[
        "--version",
        "1.1.0",
        "--platform",
        "macos-silicon",
        "--no-modify-path",
        "-v",
    ])
    .success()
    .stderr_has("does not start on this machine, so its `--version` was not checked");
}
