//! PATH in real shells (sh, bash, zsh, fish), uninstall and status, each in a temp HOME.

use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// The shells the tests start, on the test's own PATH: the installer sees exactly these
/// as installed, whatever else the machine has.
const SHELLS: [&str; 4] = ["sh", "bash", "zsh", "fish"];

/// The shell's program (failing with its Debian package when it is missing).
fn require(shell: &str) -> PathBuf {
    system_tool(shell)
}

/// A test with one caro release on a server; the install makes the edits.
fn installed(setup: impl FnOnce(Test) -> Test) -> (Test, Server) {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = setup(
        Test::new()
            .tools(&SHELLS)
            .server(&server)
            .pinned("1.0.3", "linux-amd64")
            .arg("-y"),
    );
    test.run().success();
    (test, server)
}

/// Runs `script` in `shell` started with `flags` in a clean environment with the test's
/// HOME; returns stdout lines.
fn in_shell(
    test: &Test,
    shell: &str,
    flags: &str,
    script: &str,
    extra_env: &[(&str, &str)],
) -> Vec<String> {
    let output = Command::new(require(shell))
        .arg(flags)
        .arg(script)
        .env_clear()
        .env("HOME", test.home())
        .env("PATH", test.tools_dir())
        .env("TERM", "dumb")
        .envs(extra_env.iter().copied())
        .current_dir(test.home())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{shell} {flags} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// What `command -v caro` finds and the PATH entries, as seen by `shell flags`.
fn lookup(
    test: &Test,
    shell: &str,
    flags: &str,
    extra_env: &[(&str, &str)],
) -> (String, Vec<String>) {
    let script = match shell {
        "fish" => "command -v caro; string join : $PATH",
        _ => "command -v caro; printf '%s\\n' \"$PATH\"",
    };
    let lines = in_shell(test, shell, flags, script, extra_env);
    assert_eq!(lines.len(), 2, "{shell} {flags}: {lines:?}");
    (
        lines[0].clone(),
        lines[1].split(':').map(str::to_string).collect(),
    )
}

#[track_caller]
fn assert_finds_caro_once(
    test: &Test,
    dir: &Path,
    shell: &str,
    flags: &str,
    extra_env: &[(&str, &str)],
) {
    let (found, path) = lookup(test, shell, flags, extra_env);
    assert_eq!(found, dir.join("caro").to_string_lossy(), "{shell} {flags}");
    let dir = dir.to_string_lossy();
    assert_eq!(
        path.iter().filter(|entry| **entry == dir).count(),
        1,
        "{shell} {flags}: {path:?}"
    );
}

const EVERY_SHELL: [(&str, &str); 7] = [
    ("sh", "-lc"),
    ("bash", "-lc"),
    ("bash", "-ic"),
    ("zsh", "-lc"),
    ("zsh", "-ic"),
    ("fish", "-lc"),
    ("fish", "-ic"),
];

#[test]
fn every_shell_finds_caro_after_one_install() {
    let (test, _server) = installed(|t| t);
    for (shell, flags) in EVERY_SHELL {
        assert_finds_caro_once(&test, &test.bin_dir(), shell, flags, &[]);
    }
}

#[test]
fn nested_shells_keep_one_path_entry() {
    let (test, _server) = installed(|t| t);
    let dir = test.bin_dir().to_string_lossy().into_owned();
    for (shell, inner) in [
        ("sh", "sh -lc 'sh -lc \"printf %s \\\"\\$PATH\\\"\"'"),
        (
            "bash",
            "bash -lc 'bash -ic \"printf %s \\\"\\$PATH\\\"\" 2>/dev/null'",
        ),
        ("zsh", "zsh -lc 'zsh -ic \"printf %s \\\"\\$PATH\\\"\"'"),
        ("fish", "fish -lc 'fish -ic \"string join : \\$PATH\"'"),
    ] {
        let lines = in_shell(&test, shell, "-lc", inner, &[]);
        let entries: Vec<_> = lines.concat().split(':').map(str::to_string).collect();
        assert_eq!(
            entries.iter().filter(|e| **e == dir).count(),
            1,
            "{shell}: {entries:?}"
        );
    }
}

/// Every file under HOME with its bytes and modification time.
fn snapshot(test: &Test) -> Vec<(String, Vec<u8>, i64, i64)> {
    test.tree(&test.home())
        .into_iter()
        .filter(|path| !path.ends_with("caro-receipt.json") && !path.starts_with(".local/bin"))
        .map(|path| {
            let full = test.home().join(&path);
            let meta = fs::metadata(&full).unwrap();
            (
                path,
                fs::read(&full).unwrap(),
                meta.mtime(),
                meta.mtime_nsec(),
            )
        })
        .collect()
}

#[test]
fn second_install_changes_no_file() {
    let (test, _server) = installed(|t| t.write("home/.bashrc", "alias ll='ls -l'\n"));
    let before = snapshot(&test);
    assert!(
        before.len() >= 5,
        "{:?}",
        before.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    test.run()
        .success()
        .stderr_lacks("edited")
        .stderr_lacks("created");
    assert_eq!(snapshot(&test), before);
    let bashrc = fs::read_to_string(test.home().join(".bashrc")).unwrap();
    assert_eq!(
        bashrc.matches("added by caro-install").count(),
        1,
        "{bashrc}"
    );
}

#[test]
fn install_then_uninstall_restores_rc_files_byte_for_byte() {
    let seeded = [
        (".bashrc", "alias ll='ls -l'\nexport EDITOR=vi"),
        (".profile", "# my profile\nexport LANG=C.UTF-8\n"),
        (".bash_profile", "[ -f ~/.bashrc ] && . ~/.bashrc\n"),
        (".zshenv", ""),
    ];
    let (test, _server) = installed(|mut t| {
        for (name, text) in seeded {
            t = t.write(&format!("home/{name}"), text);
        }
        t
    });
    for (name, _) in seeded {
        let text = fs::read_to_string(test.home().join(name)).unwrap();
        assert!(
            text.contains(". \"$HOME/.config/caro/env\" # added by caro-install\n"),
            "{name}: {text:?}"
        );
    }
    let bashrc = fs::read_to_string(test.home().join(".bashrc")).unwrap();
    assert!(
        bashrc.starts_with("alias ll='ls -l'\nexport EDITOR=vi\n. \"$HOME"),
        "newline added first: {bashrc:?}"
    );
    test.run_with(&["uninstall", "-y"]).success();
    for (name, text) in seeded {
        assert_eq!(
            fs::read_to_string(test.home().join(name)).unwrap(),
            text,
            "{name}"
        );
    }
    let left: Vec<_> = test
        .tree(&test.home())
        .into_iter()
        .filter(|p| !seeded.iter().any(|(n, _)| n == p))
        .collect();
    assert_eq!(
        left,
        Vec::<String>::new(),
        "uninstall removed everything it created"
    );
    for dir in [".config/fish", ".config/caro"] {
        assert!(
            !test.home().join(dir).exists(),
            "{dir} was created for us and is empty now"
        );
    }
}

#[test]
fn uninstall_keeps_the_users_own_lines() {
    let guarded = "[ -f ~/.x/env ] && . ~/.x/env\n";
    let (test, _server) = installed(|t| t.write("home/.bashrc", guarded));
    let mut bashrc = fs::read_to_string(test.home().join(".bashrc")).unwrap();
    bashrc.push_str("export AFTER=1\n");
    fs::write(test.home().join(".bashrc"), &bashrc).unwrap();
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(
        fs::read_to_string(test.home().join(".bashrc")).unwrap(),
        format!("{guarded}export AFTER=1\n")
    );
}

#[test]
fn uninstall_without_a_receipt_still_finds_our_lines() {
    let (test, _server) = installed(|t| t.write("home/.bashrc", "export A=1\n"));
    fs::remove_file(test.receipt_path()).unwrap();
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has("restored")
        .stderr_has(".bashrc");
    assert_eq!(
        fs::read_to_string(test.home().join(".bashrc")).unwrap(),
        "export A=1\n"
    );
    assert!(!test.bin_dir().join("caro").exists());
    assert!(!test.home().join(".config/caro/env").exists());
    assert!(!test.home().join(".config/fish/conf.d/caro.fish").exists());
}

#[test]
fn uninstall_without_a_terminal_needs_yes() {
    let (test, _server) = installed(|t| t);
    test.run_with(&["uninstall"])
        .failure()
        .stderr_has("needs confirmation")
        .stderr_has("-y");
    assert!(test.bin_dir().join("caro").exists());
}

#[test]
fn zdotdir_and_xdg_config_home_are_respected() {
    let (test, _server) = installed(|t| {
        let zdotdir = t
            .root()
            .join("home/.config/zsh")
            .to_string_lossy()
            .into_owned();
        let xdg = t.root().join("home/xdg").to_string_lossy().into_owned();
        t.env("ZDOTDIR", &zdotdir).env("XDG_CONFIG_HOME", &xdg)
    });
    assert!(test.home().join(".config/zsh/.zshenv").is_file());
    assert!(!test.home().join(".zshenv").exists());
    assert!(test.home().join("xdg/fish/conf.d/caro.fish").is_file());
    assert!(test.home().join("xdg/caro/env").is_file());
    assert!(test.home().join("xdg/caro/caro-receipt.json").is_file());
    let zdotdir = test.home().join(".config/zsh");
    let xdg = test.home().join("xdg");
    let env = [
        ("ZDOTDIR", zdotdir.to_str().unwrap()),
        ("XDG_CONFIG_HOME", xdg.to_str().unwrap()),
    ];
    for (shell, flags) in [
        ("zsh", "-lc"),
        ("zsh", "-ic"),
        ("fish", "-lc"),
        ("bash", "-ic"),
        ("sh", "-lc"),
    ] {
        assert_finds_caro_once(&test, &test.bin_dir(), shell, flags, &env);
    }
}

#[test]
fn symlinked_bashrc_stays_a_symlink() {
    let (test, _server) = installed(|t| {
        let t = t.write("dotfiles/bashrc", "export FROM_DOTFILES=1");
        symlink(
            t.root().join("dotfiles/bashrc"),
            t.root().join("home/.bashrc"),
        )
        .unwrap();
        t
    });
    let link = test.home().join(".bashrc");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    let target = fs::read_to_string(test.root().join("dotfiles/bashrc")).unwrap();
    assert!(target.ends_with("# added by caro-install\n"), "{target}");
    assert_finds_caro_once(&test, &test.bin_dir(), "bash", "-ic", &[]);
    test.run_with(&["uninstall", "-y"]).success();
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(
        fs::read_to_string(test.root().join("dotfiles/bashrc")).unwrap(),
        "export FROM_DOTFILES=1"
    );
}

#[test]
fn unwritable_rc_file_is_a_warning_with_the_line_to_add() {
    // A link into /proc: read-only, so not edited even by root, which the tests may run as.
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y");
    symlink("/proc/version", test.home().join(".bashrc")).unwrap();
    test.run()
        .success()
        .stderr_has(".bashrc left as it is: it is read-only")
        .stderr_has("add this line to it yourself:\n    . \"$HOME/.config/caro/env\" # added by caro-install")
        .stderr_has("installed caro 1.0.3");
    assert!(
        test.home().join(".profile").is_file(),
        "other files were still configured"
    );
}

#[test]
fn directory_already_on_path_edits_nothing() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y");
    let path = format!(
        "{}:{}/:/nonexistent",
        test.tools_dir().display(),
        test.bin_dir().display()
    );
    let test = test.env("PATH", &path);
    test.run().success();
    let files: Vec<_> = test
        .tree(&test.home())
        .into_iter()
        .filter(|p| !p.starts_with(".local/bin"))
        .collect();
    assert_eq!(files, [".config/caro/caro-receipt.json"]);
    assert_eq!(test.receipt()["path_edits"], serde_json::json!([]));
}

#[test]
fn no_modify_path_creates_nothing() {
    for test in [
        Test::new().arg("--no-modify-path"),
        Test::new().env("CARO_NO_MODIFY_PATH", "1"),
    ] {
        let server = Server::start();
        server.caro("1.0.3", "linux-amd64");
        let test = test
            .server(&server)
            .pinned("1.0.3", "linux-amd64")
            .arg("-y");
        test.run().success().stderr_has("is not on PATH");
        let files: Vec<_> = test
            .tree(&test.home())
            .into_iter()
            .filter(|p| !p.starts_with(".local/bin"))
            .collect();
        assert_eq!(files, [".config/caro/caro-receipt.json"]);
        assert_eq!(test.receipt()["modify_path"], false);
    }
}

#[test]
fn github_path_gets_the_directory_once() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y")
        .write("github_path", "/opt/tool/bin\n");
    let file = test.root().join("github_path");
    let test = test.env("GITHUB_PATH", file.to_str().unwrap());
    test.run().success().stderr_has("GITHUB_PATH");
    test.run().success();
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!("/opt/tool/bin\n{}\n", test.bin_dir().display())
    );
}

#[test]
fn another_caro_earlier_on_path_is_reported() {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y")
        .write("other/caro", "#!/bin/sh\n");
    let other = test.root().join("other");
    let path = format!(
        "{}:{}:{}",
        other.display(),
        test.bin_dir().display(),
        test.tools_dir().display()
    );
    let test = test.env("PATH", &path);
    test.run().success().stderr_has(&format!(
        "another caro at {}/caro comes first on PATH",
        other.display()
    ));
    test.run_with(&["status"]).stdout_has("comes first on PATH");
}

#[test]
fn status_reports_version_receipt_shells_and_path() {
    let (test, _server) = installed(|t| t);
    let output = test.run_with(&["status"]).success();
    assert!(
        output.stdout.starts_with(&format!(
            "caro 1.0.3 (linux-amd64) at {}/caro\n",
            test.bin_dir().display()
        )),
        "{}",
        output.stdout
    );
    let output = output
        .stdout_has(&format!("receipt:   {}", test.receipt_path().display()))
        .stdout_has(".bashrc")
        .stdout_has("is not on PATH in this shell");
    assert!(output.stdout.contains("caro.fish"), "{}", output.stdout);
    Test::new()
        .arg("status")
        .run()
        .success()
        .stdout_has("caro is not installed")
        .stdout_has("no receipt at");
}

#[test]
fn caros_old_path_lines_are_taken_over_once_and_removed_by_uninstall() {
    let old_bash = "alias ll='ls -l'\n\n# caro PATH\nexport PATH=\"$HOME/.cargo/bin:$PATH\"\n";
    let old_fish = "set -gx EDITOR vi\n\n# Added by caro installer\nset -gx PATH /opt/caro $PATH\n";
    let (test, _server) = installed(|t| {
        t.write("home/.zshrc", old_bash)
            .write("home/.config/fish/config.fish", old_fish)
            .arg("--force")
    });
    // A second install (the old scripts' `--force` is accepted) records nothing twice.
    test.run()
        .success()
        .stderr_has("found caro's old PATH setup in");
    let edits = test.receipt()["path_edits"].as_array().unwrap().clone();
    let legacy: Vec<_> = edits
        .iter()
        .filter(|e| e["line"].as_str().is_some_and(|l| l.contains("\n")))
        .collect();
    assert_eq!(legacy.len(), 2, "{edits:#?}");
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(
        fs::read_to_string(test.home().join(".zshrc")).unwrap(),
        "alias ll='ls -l'\n"
    );
    assert_eq!(
        fs::read_to_string(test.home().join(".config/fish/config.fish")).unwrap(),
        "set -gx EDITOR vi\n"
    );
}

#[test]
fn completions_load_in_each_real_shell() {
    let test = Test::new().tools(&SHELLS);
    let script = |shell: &str| {
        let output = test.run_with(&["completions", shell]).success();
        let path = test.root().join(format!("completion.{shell}"));
        fs::write(&path, output.stdout).unwrap();
        path
    };
    let bash = script("bash");
    let found = in_shell(
        &test,
        "bash",
        "-c",
        &format!("source '{}' && complete -p caro-install", bash.display()),
        &[],
    );
    assert!(found.join("\n").contains("caro-install"), "{found:?}");
    let zsh = script("zsh");
    let found = in_shell(
        &test,
        "zsh",
        "-fc",
        &format!(
            "autoload -U compinit && compinit -u -D && source '{}' && print -r -- ${{_comps[caro-install]}}",
            zsh.display()
        ),
        &[],
    );
    assert_eq!(found, ["_caro-install"]);
    let fish = script("fish");
    let found = in_shell(
        &test,
        "fish",
        "-c",
        &format!(
            "source '{}'; complete -C 'caro-install upd'",
            fish.display()
        ),
        &[],
    );
    assert!(found.iter().any(|l| l.starts_with("update")), "{found:?}");
    // No PowerShell here: its script is checked for the registration it makes.
    let powershell = fs::read_to_string(script("powershell")).unwrap();
    assert!(
        powershell.contains("Register-ArgumentCompleter -Native -CommandName 'caro-install'"),
        "{powershell}"
    );
}

#[test]
fn uninstall_removes_the_empty_folders_the_install_created_and_no_others() {
    let (test, _server) = installed(|t| t);
    test.run_with(&["uninstall", "-y"])
        .success()
        .stderr_has("removed the empty folder");
    assert!(!test.home().join(".local").exists());
    assert!(!test.home().join(".config/caro").exists());
    // A folder that was there before the install stays, empty or not.
    let (test, _server) = installed(|t| t.write("home/.local/bin/.keep", ""));
    fs::remove_file(test.bin_dir().join(".keep")).unwrap();
    test.run_with(&["uninstall", "-y"]).success();
    assert!(test.bin_dir().is_dir());
}
