//! Issue 20, class 3: uninstall and update act only on what caro-install wrote (the
//! receipt's sha256 of each file), whatever an edited receipt says, and uninstall always
//! finishes, saying what it left.

use std::fs;

use crate::common::*;

const PLATFORM: &str = "linux-amd64";

/// caro 1.2.0 installed from `server` into the test's HOME.
fn installed(server: &Server) -> Test {
    server.caro("1.2.0", PLATFORM);
    let test = Test::new()
        .server(server)
        .pinned("1.2.0", PLATFORM)
        .args(["--no-modify-path", "-y"]);
    test.run().success();
    test
}

/// Rewrites the receipt with `edit`.
fn edit_receipt(test: &Test, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut receipt = test.receipt();
    edit(&mut receipt);
    fs::write(test.receipt_path(), receipt.to_string()).unwrap();
}

#[test]
fn the_receipt_records_the_digest_of_each_binary() {
    let server = Server::start();
    let test = installed(&server);
    let receipt = test.receipt();
    let caro = test.bin_dir().join("caro");
    let file = receipt["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == caro.to_str().unwrap())
        .expect("caro is recorded");
    assert_eq!(file["sha256"], sha256_hex(&fs::read(&caro).unwrap()));
    assert_eq!(file["role"], "binary");
}

#[test]
fn a_changed_caro_is_kept_by_uninstall_and_refused_by_update() {
    let server = Server::start();
    let test = installed(&server);
    let caro = test.bin_dir().join("caro");
    fs::write(&caro, "#!/bin/sh\necho my own build\n").unwrap();
    server.caro("1.3.0", PLATFORM);
    server.latest("1.3.0");
    test.run_with(&["update"])
        .failure()
        .stderr_has("changed since caro-install wrote it")
        .stderr_has("help:");
    assert_eq!(
        fs::read_to_string(&caro).unwrap(),
        "#!/bin/sh\necho my own build\n"
    );
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has(&format!(
            "kept {}: it changed since caro-install wrote it",
            caro.display()
        ));
    assert!(caro.exists());
    assert!(!test.receipt_path().exists());
}

#[test]
fn an_install_prefix_pointing_elsewhere_deletes_nothing_there() {
    let server = Server::start();
    let test = installed(&server);
    let elsewhere = test.root().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join("caro"), "someone else's caro").unwrap();
    edit_receipt(&test, |receipt| {
        receipt["install_prefix"] = elsewhere.to_str().unwrap().into();
    });
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has("kept");
    assert_eq!(
        fs::read_to_string(elsewhere.join("caro")).unwrap(),
        "someone else's caro"
    );
}

#[test]
fn duplicates_missing_files_and_odd_entries_do_not_stop_uninstall() {
    let server = Server::start();
    let test = installed(&server);
    let precious = test.home().join("precious.gguf");
    fs::write(&precious, "not a model of ours").unwrap();
    let models = test.home().join(".cache/caro/models");
    edit_receipt(&test, |receipt| {
        receipt["binaries"] = serde_json::json!(["caro", "caro", "caro-install", "../../bin/sh"]);
        let files = receipt["files"].as_array_mut().unwrap();
        files.push(serde_json::json!({
            "path": precious, "sha256": sha256_hex(b"not a model of ours"),
            "size": 19, "role": "model"
        }));
        files.push(serde_json::json!({
            "path": models.join("gone.gguf"), "sha256": "00", "size": 1, "role": "model"
        }));
        files.push(serde_json::json!({"path": 7, "odd": true}));
        receipt["created_dirs"] = serde_json::json!(["/", "/etc", test.home()]);
    });
    // An entry of the wrong shape makes the receipt unreadable as a whole: uninstall
    // says so and finds caro-install's files by looking instead.
    test.run_with(&["uninstall", "-y"]).success();
    assert!(!test.bin_dir().join("caro").exists());
    assert!(precious.exists());
    assert!(test.home().exists());
}

#[test]
fn well_formed_but_hostile_entries_are_each_refused_and_the_rest_done() {
    let server = Server::start();
    let test = installed(&server);
    let precious = test.home().join("precious.gguf");
    fs::write(&precious, "not a model of ours").unwrap();
    let models = test.home().join(".cache/caro/models");
    edit_receipt(&test, |receipt| {
        receipt["binaries"] = serde_json::json!(["caro", "caro", "caro-install", "../../bin/sh"]);
        let files = receipt["files"].as_array_mut().unwrap();
        files.push(serde_json::json!({
            "path": precious, "sha256": sha256_hex(b"not a model of ours"),
            "size": 19, "role": "model"
        }));
        files.push(serde_json::json!({
            "path": models.join("gone.gguf"), "sha256": "00", "size": 1, "role": "model"
        }));
        receipt["created_dirs"] = serde_json::json!(["/", "/etc", test.home()]);
    });
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has("which caro-install never installs")
        .stderr_has("where caro-install never puts one");
    assert!(!test.bin_dir().join("caro").exists());
    assert!(!test.bin_dir().join("caro-install").exists());
    assert!(precious.exists());
    assert!(test.home().exists());
    assert!(!test.receipt_path().exists());
}

#[test]
fn a_changed_env_script_is_kept_and_an_unchanged_one_removed() {
    let server = Server::start();
    server.caro("1.2.0", PLATFORM);
    let test = Test::new()
        .tools(&["sh"])
        .server(&server)
        .pinned("1.2.0", PLATFORM)
        .arg("-y");
    test.run().success();
    let env_script = test.caro_dir().join("env");
    let recorded = test.receipt()["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == env_script.to_str().unwrap() && f["role"] == "env-script");
    assert!(recorded, "the env script's digest is in the receipt");
    let mut text = fs::read_to_string(&env_script).unwrap();
    text.push_str("export MY_OWN=1\n");
    fs::write(&env_script, &text).unwrap();
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has(&format!("kept {}", env_script.display()));
    assert_eq!(fs::read_to_string(&env_script).unwrap(), text);

    let again = Test::new()
        .tools(&["sh"])
        .server(&server)
        .pinned("1.2.0", PLATFORM)
        .arg("-y");
    again.run().success();
    again.run_with(&["uninstall", "-y"]).success();
    assert!(!again.caro_dir().join("env").exists());
}
