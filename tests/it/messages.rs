//! Every message true and short: what users read when something is missing or wrong, held
//! as snapshots (tests/it/snapshots/nothing-installed.txt here, errors.txt in
//! snapshots.rs), and the facts behind each one checked.

use std::fs;

use crate::common::*;

#[cfg(unix)]
/// `$ caro-install ARGS` and what it printed on stderr (and stdout), with the run's
/// temp HOME and server address as names.
fn transcript(test: &Test, server: Option<&Server>, args: &[&str]) -> String {
    let output = test.run_with(args);
    let mut text = format!(
        "$ caro-install {}\n{}{}",
        args.join(" "),
        output.stdout,
        output.stderr
    );
    text = text.replace(&test.root().display().to_string(), "{root}");
    if let Some(server) = server {
        text = text.replace(&server.url(), "{base}");
    }
    text + "\n"
}

#[cfg(unix)]
#[test]
fn nothing_installed_says_how_to_install() {
    let test = Test::new();
    let mut text = transcript(&test, None, &["status"]);
    text += &transcript(&test, None, &["update"]);
    assert!(text.contains("caro is not installed (no "), "{text}");
    assert!(text.contains("run `caro-install`"), "{text}");
    assert!(!text.contains("a new shell will have it"), "{text}");
    assert!(
        text.contains("`caro-install --install-dir <DIR>`"),
        "{text}"
    );
    assert_snapshot("nothing-installed", &text, &[]);
}

#[cfg(unix)]
#[test]
fn tried_urls_are_listed_one_per_line_and_the_dry_run_lists_the_same() {
    let urls = |text: &str, base: &str| -> Vec<String> {
        text.lines()
            .filter_map(|line| line.strip_prefix("  "))
            .filter(|line| line.starts_with("http"))
            .map(|line| line.replace(base, "{base}"))
            .collect()
    };
    // A release without a linux-amd64 build: the error lists every URL tried.
    let missing = Server::start();
    missing.caro("1.0.3", "macos-intel");
    let test = Test::new().server(&missing).tools(&["sh"]);
    let failed = test
        .run_with(&["--version", "1.0.3", "--platform", "linux-amd64"])
        .failure();
    let tried = urls(&failed.stderr, &missing.url());
    assert_eq!(tried.len(), 5, "{}", failed.stderr);
    // One that has it: the dry run lists those same URLs, in the same order.
    let present = Server::start();
    present.caro("1.0.3", "linux-amd64");
    let test = Test::new().server(&present).tools(&["sh"]);
    let planned = test
        .run_with(&[
            "--version",
            "1.0.3",
            "--platform",
            "linux-amd64",
            "--dry-run",
        ])
        .success();
    assert_eq!(urls(&planned.stdout, &present.url()), tried);
}

#[test]
fn self_update_names_the_installer_repository_variable() {
    let test = Test::new()
        .env("CARO_INSTALLER_GITHUB_BASE_URL", "file:///nonexistent")
        .env("CARO_INSTALLER_API_URL", "file:///nonexistent/api");
    test.run_with(&["self-update"])
        .failure()
        .stderr_has("CARO_INSTALLER_REPO")
        .stderr_lacks("CARO_INSTALL_REPO");
}

/// A folder this user may not write to: root-owned and run as `nobody` when the tests run
/// as root (root may write anywhere), else a read-only folder of the user's own.
#[cfg(unix)]
#[test]
fn a_folder_you_may_not_write_to_gets_one_error_naming_one_that_works() {
    use std::os::unix::fs::PermissionsExt;
    let test = Test::new();
    let locked = test.root().join("system-bin");
    fs::create_dir_all(&locked).unwrap();
    let args = [
        "--version",
        "1.0.3",
        "--platform",
        "linux-amd64",
        "--install-dir",
        &locked.display().to_string(),
    ]
    .map(str::to_string);
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let output = if root {
        // Everything but the locked folder becomes nobody's, as a user's own files are.
        for path in [test.root().to_path_buf(), test.home(), test.tools_dir()] {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        }
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = test.program(system_tool("setpriv"));
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
            .args(&args);
        Output::from(command.stdin(std::process::Stdio::null()).output().unwrap())
    } else {
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
        test.run_with(&args.each_ref().map(String::as_str))
    };
    let output = output.failure();
    let text = output
        .stderr
        .replace(&test.root().display().to_string(), "{root}");
    assert_eq!(
        text,
        "error: you may not write to the install directory `{root}/system-bin`\n\
         help: install into `{root}/home/.local/bin`, the default (leave out --install-dir \
         and CARO_INSTALL_DIR), or into another folder you own with --install-dir\n",
        "one error, no warning about the folder's owner first"
    );
}

#[test]
fn inside_caro_helps_speak_caros_command_and_temp_files_carry_its_name() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("--no-modify-path");
    test.run().success();
    server.caro("1.1.0", "linux-amd64");
    server.latest("1.1.0");
    // A copy elsewhere: the help runs the installed copy's own `self-update`.
    let elsewhere = test.root().join("elsewhere").join(exe("caro"));
    fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    fs::copy(example("caro"), &elsewhere).unwrap();
    let installed = test.bin_dir().join(exe("caro"));
    let output = output_of_new_file(test.program(&elsewhere).arg("self-update")).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("run `{} self-update`", installed.display())),
        "{stderr}"
    );
    #[cfg(unix)]
    {
        // A folder every user may write to: the help names no caro-install flag.
        use std::os::unix::fs::PermissionsExt;
        fs::copy(example("caro"), &installed).unwrap();
        let dir = test.bin_dir();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let output = output_of_new_file(test.program(&installed).arg("self-update")).unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(
            stderr.contains("every user can replace files in it"),
            "{stderr}"
        );
        assert!(!stderr.contains("--install-dir"), "{stderr}");
        // A temp file left by a killed `caro self-update` is named for caro, and removed by
        // the next run of either program.
        fs::write(dir.join(".caro-tmp-1-0-caro"), "partial").unwrap();
        let output = output_of_new_file(test.program(&installed).arg("self-update")).unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_no_temp_files(&dir);
    }
}
