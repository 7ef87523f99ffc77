//! `--with-model`: model bundles from a loopback release server, unpacked as they stream
//! in, kept and shared with care, listed by `caro-install models`, and attacked.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::bundle::{Bundle, MODEL, bundle_name, model_bytes};
use crate::common::*;

const CARO: &str = "wildcard/caro";
const PLATFORM: &str = "linux-amd64";

/// A test whose cache and data folders are its own, installing caro `version` with the
/// `tiny` bundle.
fn with_model(server: &Server, version: &str) -> Test {
    let test = Test::new().server(server);
    let cache = test.root().join("cache").to_string_lossy().into_owned();
    let data = test.root().join("data").to_string_lossy().into_owned();
    test.env("XDG_CACHE_HOME", &cache)
        .env("XDG_DATA_HOME", &data)
        .pinned(version, PLATFORM)
        .args(["--no-modify-path", "-y", "--with-model", "tiny"])
}

fn models_dir(test: &Test) -> PathBuf {
    test.root().join("cache/caro/models")
}

fn licenses_dir(test: &Test) -> PathBuf {
    test.root().join("data/caro/licenses")
}

/// Publishes `bundle` as caro `version`'s `tiny` bundle; returns its path on the server.
fn publish(server: &Server, version: &str, bundle: &Bundle) -> String {
    server.asset(
        CARO,
        version,
        &bundle_name(version, PLATFORM, "tiny"),
        &bundle.build(),
    )
}

/// The same `test`, run again with other arguments but the same HOME and folders.
fn installed_version(test: &Test) -> String {
    run_installed(&test.bin_dir().join("caro"), "--version")
}

#[track_caller]
fn assert_clean(test: &Test) {
    for dir in [test.bin_dir(), models_dir(test), licenses_dir(test)] {
        assert_no_temp_files(&dir);
    }
}

#[test]
fn with_model_places_caro_the_model_and_the_licences() {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0").arg("-v");
    let output = test.run().success();
    output
        .stderr_has("installed caro 1.2.0 (linux-amd64)")
        .stderr_has("model ")
        .stderr_has(&format!(
            "wrote {}",
            models_dir(&test).join(MODEL).display()
        ));
    assert_eq!(installed_version(&test), "caro 1.2.0\n");
    assert_eq!(
        fs::read(models_dir(&test).join(MODEL)).unwrap(),
        model_bytes(300 * 1024, 1)
    );
    assert!(licenses_dir(&test).join("LICENSE-tiny").is_file());
    assert!(
        licenses_dir(&test)
            .join("THIRD_PARTY_NOTICES.txt")
            .is_file()
    );
    assert_clean(&test);
    let receipt = test.receipt();
    assert_eq!(receipt["model"]["name"], "tiny");
    let files = receipt["files"].as_array().unwrap();
    let model = files
        .iter()
        .find(|f| f["role"] == "model")
        .expect("the model is in the receipt");
    assert_eq!(model["sha256"], sha256_hex(&model_bytes(300 * 1024, 1)));
    assert_eq!(model["size"], 300 * 1024);
    assert!(files.iter().any(|f| f["role"] == "binary"));
    assert_eq!(files.iter().filter(|f| f["role"] == "license").count(), 1);
    // status shows the model, its path and its size.
    test.run_with(&["status"])
        .success()
        .stdout_has("model:     tiny")
        .stdout_has(&format!(
            "{} (300.0 KiB)",
            models_dir(&test).join(MODEL).display()
        ));
}

#[test]
fn dry_run_names_the_bundle_its_size_and_folders() {
    let server = Server::start();
    let bundle = Bundle::new("1.2.0").build();
    let name = bundle_name("1.2.0", PLATFORM, "tiny");
    server.asset(CARO, "1.2.0", &name, &bundle);
    server.file(
        "/api/repos/wildcard/caro/releases/tags/v1.2.0",
        format!(
            r#"{{"assets":[{{"name":"{name}","size":{}}}]}}"#,
            bundle.len()
        ),
    );
    let test = with_model(&server, "1.2.0").arg("--dry-run");
    test.run()
        .success()
        .stdout_has("model:    tiny (")
        .stdout_has(&name)
        .stdout_has(&models_dir(&test).join("*.gguf").display().to_string());
    assert!(!models_dir(&test).exists());
    assert!(!test.bin_dir().join("caro").exists());
}

#[test]
fn the_same_model_is_kept_a_different_one_replaced_other_files_untouched() {
    use std::os::unix::fs::MetadataExt;
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    let models = models_dir(&test);
    fs::create_dir_all(&models).unwrap();
    fs::write(models.join(MODEL), model_bytes(300 * 1024, 1)).unwrap();
    fs::write(models.join("mine.gguf"), "the user's own model").unwrap();
    let inode = fs::metadata(models.join(MODEL)).unwrap().ino();
    test.run().success();
    assert_eq!(
        fs::metadata(models.join(MODEL)).unwrap().ino(),
        inode,
        "rewritten"
    );
    // Not written by caro-install: not in the receipt's files, so uninstall leaves it.
    let receipt = test.receipt();
    assert!(
        receipt["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["role"] != "model")
    );

    fs::write(models.join(MODEL), "an older model").unwrap();
    test.run().success();
    assert_eq!(
        fs::read(models.join(MODEL)).unwrap(),
        model_bytes(300 * 1024, 1)
    );
    assert_eq!(
        fs::read(models.join("mine.gguf")).unwrap(),
        b"the user's own model"
    );
    assert_clean(&test);
}

#[test]
fn update_keeps_the_model_and_fetches_no_bundle() {
    let server = Server::start();
    let bundle = publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    server.caro("1.3.0", PLATFORM);
    server.latest("1.3.0");
    test.run_with(&["update"]).success();
    assert_eq!(installed_version(&test), "caro 1.3.0\n");
    assert_eq!(
        fs::read(models_dir(&test).join(MODEL)).unwrap(),
        model_bytes(300 * 1024, 1)
    );
    assert_eq!(server.hits(&bundle), 1);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.contains("-with-") || r.path.starts_with(&bundle))
    );
    assert_eq!(test.receipt()["model"]["name"], "tiny");
    // The updated caro is the one caro-install wrote: uninstall removes it.
    test.run_with(&["uninstall", "-y"]).success();
    assert!(!test.bin_dir().join("caro").exists());
}

#[test]
fn update_with_model_again_replaces_the_model() {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    let newer = Bundle::new("1.3.0").file(&format!("models/{MODEL}"), model_bytes(200 * 1024, 7));
    publish(&server, "1.3.0", &newer);
    server.latest("1.3.0");
    test.run_with(&["update", "--with-model", "tiny"]).success();
    assert_eq!(installed_version(&test), "caro 1.3.0\n");
    assert_eq!(
        fs::read(models_dir(&test).join(MODEL)).unwrap(),
        model_bytes(200 * 1024, 7)
    );
}

#[test]
fn uninstall_removes_unchanged_model_files_and_says_what_it_freed() {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    let licence = licenses_dir(&test).join("LICENSE-tiny");
    fs::write(&licence, "edited by the user").unwrap();
    fs::write(models_dir(&test).join("mine.gguf"), "the user's").unwrap();
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has("freeing 300.0 KiB")
        .stderr_has(&format!("kept {}", licence.display()));
    assert!(!models_dir(&test).join(MODEL).exists());
    assert!(!licenses_dir(&test).join("THIRD_PARTY_NOTICES.txt").exists());
    assert_eq!(fs::read(&licence).unwrap(), b"edited by the user");
    assert!(models_dir(&test).join("mine.gguf").exists());
    assert!(!test.bin_dir().join("caro").exists());
}

#[test]
fn a_cut_download_resumes_and_the_bundle_is_whole() {
    let server = Server::start();
    let path = publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    server.fault_once(&path, Fault::CutAfter(100 * 1024));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    assert_eq!(
        fs::read(models_dir(&test).join(MODEL)).unwrap(),
        model_bytes(300 * 1024, 1)
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == path && r.header("range").is_some()),
        "resumed with Range"
    );
}

#[test]
fn models_lists_this_platforms_bundles_with_sizes_in_one_request() {
    let server = Server::start();
    server.file(
        "/api/repos/wildcard/caro/releases/tags/v1.2.0",
        r#"{"assets":[
            {"name":"caro-1.2.0-linux-amd64","size":5000000},
            {"name":"caro-1.2.0-linux-amd64-with-smollm-135m.tar.gz","size":141557760},
            {"name":"caro-1.2.0-linux-amd64-with-qwen-1.5b.tar.gz","size":1181116006},
            {"name":"caro-1.2.0-macos-silicon-with-qwen-1.5b.tar.gz","size":1}]}"#,
    );
    let test = Test::new().server(&server);
    test.run_with(&["models", "--version", "1.2.0", "--platform", PLATFORM])
        .success()
        .stdout_has("qwen-1.5b    1.1 GiB")
        .stdout_has("smollm-135m  135.0 MiB");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn models_lists_a_file_mirror_folder() {
    let test = Test::new();
    let folder = test
        .root()
        .join("mirror/wildcard/caro/releases/download/v1.2.0");
    fs::create_dir_all(&folder).unwrap();
    fs::write(
        folder.join(bundle_name("1.2.0", PLATFORM, "tiny")),
        vec![0u8; 2048],
    )
    .unwrap();
    let base = file_url(&test.root().join("mirror"));
    test.env("CARO_INSTALLER_GITHUB_BASE_URL", &base)
        .args(["models", "--version", "1.2.0", "--platform", PLATFORM])
        .run()
        .success()
        .stdout_has("tiny  2.0 KiB");
}

#[test]
fn a_missing_bundle_names_the_ones_there_are() {
    let server = Server::start();
    server.file(
        "/api/repos/wildcard/caro/releases/tags/v1.2.0",
        r#"{"assets":[{"name":"caro-1.2.0-linux-amd64-with-smollm-135m.tar.gz","size":9}]}"#,
    );
    let test = with_model(&server, "1.2.0");
    test.run()
        .failure()
        .stderr_has("caro 1.2.0 has no model bundle `tiny` for linux-amd64")
        .stderr_has("help: this release has bundles for: smollm-135m");
    assert!(!test.bin_dir().join("caro").exists());
    assert!(
        !models_dir(&test).exists(),
        "the folders made for it went again"
    );
}

#[test]
fn a_bad_model_name_is_a_usage_error() {
    Test::new()
        .args([
            "--with-model",
            "../../etc",
            "--version",
            "1.2.0",
            "--platform",
            PLATFORM,
        ])
        .run()
        .code(2)
        .stderr_has("invalid model name `../../etc`");
}

/// Installs 1.2.0 with its bundle, then tries 1.3.0 with `bundle`: the attempt must fail
/// with `message`, leaving the old caro, the old model and no temp file.
#[track_caller]
fn refused(bundle: Bundle, message: &str) {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    publish(&server, "1.3.0", &bundle);
    let attempt = with_model_again(&test, "1.3.0");
    attempt.failure().stderr_has(message).stderr_has("help:");
    assert_old_state_kept(&test);
}

fn with_model_again(test: &Test, version: &str) -> Output {
    test.run_with(&with_model_args(version))
}

/// The arguments of an install of `version` with the `tiny` bundle, for a test's later runs.
fn with_model_args(version: &str) -> [&str; 8] {
    [
        "--version",
        version,
        "--platform",
        PLATFORM,
        "--no-modify-path",
        "-y",
        "--with-model",
        "tiny",
    ]
}

#[track_caller]
fn assert_old_state_kept(test: &Test) {
    assert_eq!(installed_version(test), "caro 1.2.0\n");
    assert_eq!(
        fs::read(models_dir(test).join(MODEL)).unwrap(),
        model_bytes(300 * 1024, 1)
    );
    assert_eq!(test.receipt()["version"], "1.2.0");
    assert_clean(test);
}

#[test]
fn a_bundle_without_a_model_is_refused() {
    refused(
        Bundle::new("1.3.0").without(&format!("models/{MODEL}")),
        "has no model file",
    );
}

#[test]
fn a_bundle_without_caro_is_refused() {
    refused(
        Bundle::new("1.3.0").without("caro"),
        "has no `caro` at its root",
    );
}

#[test]
fn a_bundle_for_another_platform_is_refused() {
    // A Windows build under the Linux name: it cannot start here.
    let windows = [b"MZ".as_slice(), &[0u8; 300]].concat();
    refused(
        Bundle::new("1.3.0").file("caro", windows),
        "failed its start-up check",
    );
}

#[test]
fn hostile_entries_are_refused() {
    for (bundle, message) in [
        (
            Bundle::new("1.3.0").file("../caro", "x"),
            "leaves the target folder",
        ),
        (Bundle::new("1.3.0").file("/etc/caro", "x"), "absolute path"),
        (
            Bundle::new("1.3.0").file("models/../../x.gguf", "x"),
            "leaves the target folder",
        ),
        (
            Bundle::new("1.3.0").symlink("models/link.gguf", "/etc/passwd"),
            "is a link",
        ),
        (
            Bundle::new("1.3.0").hard_link("models/hard.gguf", "caro"),
            "is a link",
        ),
        (
            Bundle::new("1.3.0").file("README.md", "x"),
            "is not part of a model bundle",
        ),
        (
            Bundle::new("1.3.0").file("models/a/b.gguf", "x"),
            "is not part of a model bundle",
        ),
        (
            Bundle::new("1.3.0").declared("models/huge.gguf", 70 << 30, "x"),
            "expands to more than",
        ),
    ] {
        refused(bundle, message);
    }
}

#[test]
fn a_twice_listed_entry_is_refused() {
    refused(
        Bundle::new("1.3.0").again(&format!("models/{MODEL}"), "a second model"),
        "is there twice",
    );
}

#[test]
fn a_truncated_bundle_is_refused() {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    let path = publish(&server, "1.3.0", &Bundle::new("1.3.0"));
    let full = Bundle::new("1.3.0").build();
    server.file(&path, full[..full.len() / 2].to_vec());
    with_model_again(&test, "1.3.0")
        .failure()
        .stderr_has("checksum mismatch");
    assert_old_state_kept(&test);
}

#[test]
fn a_tampered_bundle_is_refused() {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    let path = publish(&server, "1.3.0", &Bundle::new("1.3.0"));
    let mut tampered = Bundle::new("1.3.0").build();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x55;
    server.file(&path, tampered);
    with_model_again(&test, "1.3.0")
        .failure()
        .stderr_has("checksum mismatch");
    assert_old_state_kept(&test);
}

#[test]
fn a_missing_sidecar_is_refused_before_the_download() {
    let server = Server::start();
    let name = bundle_name("1.2.0", PLATFORM, "tiny");
    let path = format!("/{CARO}/releases/download/v1.2.0/{name}");
    server.file(&path, Bundle::new("1.2.0").build());
    let test = with_model(&server, "1.2.0");
    test.run().failure().stderr_has(".sha256");
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path != path || r.method == "HEAD")
    );
    assert!(!test.bin_dir().join("caro").exists());
}

#[test]
fn a_full_disk_halfway_leaves_everything_as_it_was() {
    use std::os::unix::process::CommandExt;
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    let big = Bundle::new("1.3.0").file(&format!("models/{MODEL}"), model_bytes(3 << 20, 9));
    publish(&server, "1.3.0", &big);
    let mut command = test.command_with(&with_model_args("1.3.0"));
    // No file may grow past 1 MiB: the write of the 3 MiB model fails halfway, with
    // EFBIG, as a full disk fails it with ENOSPC.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 1 << 20,
                rlim_max: 1 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output: Output = command.output().unwrap().into();
    output.failure().stderr_has("could not write");
    assert_old_state_kept(&test);
}

#[test]
fn ctrl_c_halfway_leaves_the_old_caro_and_model() {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run().success();
    let big = Bundle::new("1.3.0").file(&format!("models/{MODEL}"), model_bytes(2 << 20, 3));
    let path = publish(&server, "1.3.0", &big);
    server.fault_always(&path, Fault::Stall(1 << 20, Duration::from_secs(30)));
    let mut command = test.command_with(&with_model_args("1.3.0"));
    // A harness started in the background (`cargo test &`) hands its children SIGINT
    // ignored, and a program keeps an ignored SIGINT ignored: give this one the default.
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let models = models_dir(&test);
    let started = std::time::Instant::now();
    while !has_temp_file(&models) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the unpacking never began"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_old_state_kept(&test);
}

fn has_temp_file(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".caro-install-tmp-")
        })
    })
}

/// A minisign signature of `bytes` naming `file` of release 1.2.0, as `dist` writes it
/// (`file:<asset> version:<V>`), by a throwaway key.
fn signed(key: &minisign::KeyPair, bytes: &[u8], file: &str) -> String {
    let trusted = format!("file:{file} version:1.2.0");
    minisign::sign(
        None,
        &key.sk,
        std::io::Cursor::new(bytes),
        Some(&trusted),
        None,
    )
    .unwrap()
    .into_string()
}

#[test]
fn a_signed_bundle_verifies_as_it_streams_and_a_forged_one_places_nothing() {
    let key = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let server = Server::start();
    let name = bundle_name("1.2.0", PLATFORM, "tiny");
    let bytes = Bundle::new("1.2.0").build();
    let path = server.asset(CARO, "1.2.0", &name, &bytes);
    server.file(&format!("{path}.minisig"), signed(&key, &bytes, &name));
    let test = with_model(&server, "1.2.0")
        .env("CARO_INSTALL_MINISIGN_PUBKEY", &key.pk.to_base64())
        .arg("-v");
    test.run()
        .success()
        .stderr_has("verified the minisign signature");

    // Signed by the right key, but for other bytes: nothing of 1.3.0 is placed.
    let newer = Bundle::new("1.3.0").build();
    let path = publish(&server, "1.3.0", &Bundle::new("1.3.0"));
    let other = bundle_name("1.3.0", PLATFORM, "tiny");
    server.file(
        &format!("{path}.minisig"),
        signed(&key, b"other bytes", &other),
    );
    let _ = newer;
    with_model_again(&test, "1.3.0")
        .failure()
        .stderr_has("does not verify");
    assert_old_state_kept(&test);
}

#[test]
fn what_users_read_of_a_model_install() {
    let server = Server::start();
    let bundle = Bundle::new("1.2.0").build();
    let name = bundle_name("1.2.0", PLATFORM, "tiny");
    server.asset(CARO, "1.2.0", &name, &bundle);
    server.file(
        "/api/repos/wildcard/caro/releases/tags/v1.2.0",
        format!(
            r#"{{"assets":[{{"name":"{name}","size":{}}},{{"name":"{}","size":141557760}}]}}"#,
            bundle.len(),
            bundle_name("1.2.0", PLATFORM, "smollm-135m")
        ),
    );
    let test = with_model(&server, "1.2.0");
    let root = test.root().display().to_string();
    let base = server.url();
    let names = [(root.as_str(), "{root}"), (base.as_str(), "{base}")];
    let size = format!("({:.1} KiB)", bundle.len() as f64 / 1024.0);
    let planned = test.run_with(&[
        "--version",
        "1.2.0",
        "--platform",
        PLATFORM,
        "--no-modify-path",
        "--with-model",
        "tiny",
        "--dry-run",
    ]);
    let planned = planned.success().stdout.replace(&size, "({size})");
    assert_snapshot("models-dry-run", &planned, &names);
    let listed = test.run_with(&["models", "--version", "1.2.0", "--platform", PLATFORM]);
    let listed = listed
        .success()
        .stdout
        .replace(&size[1..size.len() - 1], "{size}");
    assert_snapshot("models-list", &listed, &names);
    let installed = test.run().success();
    assert_snapshot("models-install", &installed.stderr, &names);
    let missing = test.run_with(&[
        "--version",
        "1.2.0",
        "--platform",
        PLATFORM,
        "--no-modify-path",
        "--with-model",
        "qwen-1.5b",
    ]);
    assert_snapshot("models-missing", &missing.failure().stderr, &names);
    let removed = test.run_with(&["uninstall", "-y"]).success();
    assert_snapshot("models-uninstall", &removed.stderr, &names);
}

#[test]
fn a_symlink_where_the_model_goes_is_refused_and_its_target_untouched() {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    let models = models_dir(&test);
    fs::create_dir_all(&models).unwrap();
    let precious = test.root().join("precious");
    fs::write(&precious, "the user's").unwrap();
    std::os::unix::fs::symlink(&precious, models.join(MODEL)).unwrap();
    test.run().failure().stderr_has("not a regular file");
    assert_eq!(fs::read_to_string(&precious).unwrap(), "the user's");
    assert!(
        fs::symlink_metadata(models.join(MODEL))
            .unwrap()
            .is_symlink()
    );
    assert!(!test.bin_dir().join("caro").exists());
    assert!(!licenses_dir(&test).join("LICENSE-tiny").exists());
    assert_clean(&test);
}

#[test]
fn what_a_killed_run_left_goes_and_a_running_ones_stays() {
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    let models = models_dir(&test);
    fs::create_dir_all(&models).unwrap();
    // pid_max is at most 2^22: this pid cannot be running.
    let dead = models.join(".caro-install-tmp-4194305-0-tiny.gguf");
    let alive = models.join(format!(
        ".caro-install-tmp-{}-0-tiny.gguf",
        std::process::id()
    ));
    fs::write(&dead, "half a model").unwrap();
    fs::write(&alive, "another installer's").unwrap();
    test.run().success();
    assert!(!dead.exists());
    assert!(alive.exists());
}

/// The secrets class (tests/it/hostile/secrets.rs) for the bundle path too: a password in
/// the mirror's URL reaches neither the terminal nor the receipt (its `asset_url` and the
/// model's `bundle`), whichever way the build came in.
#[test]
fn a_password_in_the_base_url_is_not_stored_for_a_model_bundle() {
    const PASSWORD: &str = "s3cretpw";
    let server = Server::start();
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let base = server
        .url()
        .replacen("http://", &format!("http://mirror:{PASSWORD}@"), 1);
    let test = with_model(&server, "1.2.0")
        .env("CARO_INSTALLER_GITHUB_BASE_URL", &base)
        .arg("-v");
    let output = test.run().success();
    assert!(!output.stderr.contains(PASSWORD), "{}", output.stderr);
    let receipt = fs::read_to_string(test.receipt_path()).unwrap();
    assert!(!receipt.contains(PASSWORD), "{receipt}");
    assert!(receipt.contains("with-tiny.tar.gz"), "{receipt}");
}

/// A model asked for with the version already installed (without one) is installed: "already
/// installed" speaks of caro alone, and must not swallow the model.
#[test]
fn a_model_for_the_version_already_installed_is_installed_all_the_same() {
    let server = Server::start();
    server.caro("1.2.0", PLATFORM);
    publish(&server, "1.2.0", &Bundle::new("1.2.0"));
    let test = with_model(&server, "1.2.0");
    test.run_with(&[
        "--version",
        "1.2.0",
        "--platform",
        PLATFORM,
        "--no-modify-path",
        "-y",
    ])
    .success();
    assert!(!models_dir(&test).join(MODEL).exists());
    with_model_again(&test, "1.2.0").success();
    assert_eq!(
        fs::read(models_dir(&test).join(MODEL)).unwrap(),
        model_bytes(300 * 1024, 1)
    );
}
