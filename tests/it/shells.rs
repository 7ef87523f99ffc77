//! PATH in the real tcsh, csh, xonsh, elvish and nushell, each started in the test's temp
//! HOME with only the PATH the test builds; PowerShell, which cannot be installed here,
//! by the text of its line (its logic is unit-tested in src/shell).
//!
//! tcsh, xonsh and elvish are Debian packages (`apt-get install tcsh xonsh elvish`);
//! nushell comes from the npm package `nushell`, installed by tests/shells/install-nu.sh
//! into ~/.cache/caro-install-shells (or `CARO_SHELL_TOOLS`). A missing shell fails the
//! test, naming what installs it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

/// The real `nu` binary from the npm package `nushell`.
#[track_caller]
fn nu() -> PathBuf {
    let tools = std::env::var_os("CARO_SHELL_TOOLS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/caro-install-shells"))
        })
        .unwrap_or_default();
    let platforms = tools.join("node_modules/@nushell");
    fs::read_dir(&platforms)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin/nu"))
        .find(|nu| nu.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`nu` is not installed in {}: run `bash tests/shells/install-nu.sh` (npm \
                 package `nushell`; scripts/test.sh does)",
                platforms.display()
            )
        })
}

/// A test whose PATH holds `shells` (and `sh`, which the stand-in caro is a script for).
fn with_shells(shells: &[&str]) -> Test {
    let test = Test::new().tools(&["sh"]);
    for shell in shells {
        let program = match *shell {
            "nu" => nu(),
            other => system_tool(other),
        };
        symlink(program, test.tools_dir().join(shell)).unwrap();
    }
    test
}

/// Installs caro 1.0.3 from a loopback server into `test`'s HOME; returns what it printed.
fn install(test: Test) -> (Test, Server, Output) {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = test
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y");
    let output = test.run().success();
    (test, server, output)
}

/// Runs `shell args…` with `input` on stdin, in a clean environment: the test's HOME and
/// `path` as PATH. Returns stdout and stderr together.
fn run_shell(test: &Test, shell: &str, args: &[&str], input: &str, path: &str) -> String {
    let mut child = Command::new(test.tools_dir().join(shell))
        .args(args)
        .env_clear()
        .env("HOME", test.home())
        .env("PATH", path)
        .env("TERM", "dumb")
        .current_dir(test.home())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{shell} {args:?}: {text}");
    text
}

/// Asserts that what a shell printed shows it ran caro by name, and a `PATH=` line with
/// caro's directory once, first.
#[track_caller]
fn assert_finds_caro_once(test: &Test, shell: &str, output: &str) {
    assert!(
        output.contains("caro 1.0.3"),
        "{shell} did not run caro: {output}"
    );
    let path = output
        .lines()
        .find_map(|line| line.split_once("PATH=").map(|(_, path)| path))
        .unwrap_or_else(|| panic!("{shell} printed no PATH: {output}"));
    let dir = test.bin_dir().to_string_lossy().into_owned();
    let entries: Vec<&str> = path.trim().split(':').collect();
    assert_eq!(
        entries.iter().filter(|e| **e == dir).count(),
        1,
        "{shell}: {entries:?}"
    );
    assert_eq!(entries[0], dir, "{shell}: {entries:?}");
}

/// How each shell is asked for PATH and to run caro, as a login or interactive shell (the
/// ways that read startup files): arguments and stdin.
fn probes(shell: &str) -> Vec<(Vec<&'static str>, &'static str)> {
    match shell {
        "tcsh" | "csh" => vec![
            (vec!["-c", "echo PATH=$PATH; caro --version"], ""),
            (vec!["-l"], "echo PATH=$PATH\ncaro --version\n"),
        ],
        "xonsh" => vec![
            (
                vec![
                    "-i",
                    "-c",
                    "print('PATH=' + ':'.join($PATH))\ncaro --version",
                ],
                "",
            ),
            (
                vec![
                    "-l",
                    "-c",
                    "print('PATH=' + ':'.join($PATH))\ncaro --version",
                ],
                "",
            ),
        ],
        // elvish reads rc.elv only when interactive, which it is with code on stdin.
        "elvish" => vec![(vec![], "echo PATH=$E:PATH\ncaro --version\n")],
        "nu" => vec![
            (
                vec![
                    "-e",
                    "print $'PATH=($env.PATH | str join \":\")'; ^caro --version; exit",
                ],
                "",
            ),
            (
                vec![
                    "-l",
                    "-e",
                    "print $'PATH=($env.PATH | str join \":\")'; ^caro --version; exit",
                ],
                "",
            ),
        ],
        other => panic!("no probe for {other}"),
    }
}

/// Every way `shell` starts finds caro once, and once again when PATH already has it (as in
/// a shell started from one of these).
#[track_caller]
fn assert_every_start_finds_caro_once(test: &Test, shell: &str) {
    let tools = test.tools_dir().to_string_lossy().into_owned();
    let nested = format!("{}:{tools}", test.bin_dir().display());
    for (args, input) in probes(shell) {
        for path in [&tools, &nested] {
            let output = run_shell(test, shell, &args, input, path);
            assert_finds_caro_once(test, shell, &output);
        }
    }
}

#[test]
fn tcsh_xonsh_elvish_and_nushell_find_caro_after_one_install() {
    let shells = ["tcsh", "xonsh", "elvish", "nu"];
    let (test, _server, output) = install(with_shells(&shells));
    for file in [
        ".tcshrc",
        ".config/caro/env.csh",
        ".config/xonsh/rc.d/caro.xsh",
        ".config/elvish/rc.elv",
        ".config/nushell/autoload/caro.nu",
    ] {
        assert!(
            output
                .stderr
                .contains(&test.home().join(file).display().to_string()),
            "{file} is not reported: {}",
            output.stderr
        );
        assert!(test.home().join(file).is_file(), "{file}");
    }
    for shell in shells {
        assert_every_start_finds_caro_once(&test, shell);
    }
    let edits = test.receipt()["path_edits"].to_string();
    for file in ["env.csh", ".tcshrc", "caro.xsh", "rc.elv", "caro.nu"] {
        assert!(edits.contains(file), "{file} not in the receipt: {edits}");
    }
}

#[test]
fn nested_tcsh_and_nushell_keep_one_path_entry() {
    let (test, _server, _) = install(with_shells(&["tcsh", "nu"]));
    let tools = test.tools_dir().to_string_lossy().into_owned();
    let output = run_shell(
        &test,
        "tcsh",
        &["-c", "tcsh -c 'echo PATH=$PATH; caro --version'"],
        "",
        &tools,
    );
    assert_finds_caro_once(&test, "tcsh in tcsh", &output);
    let inner =
        "nu -e \"print ('PATH=' + ($env.PATH | str join ':')); ^caro --version; exit\"; exit";
    let output = run_shell(&test, "nu", &["-e", inner], "", &tools);
    assert_finds_caro_once(&test, "nu in nu", &output);
}

#[test]
fn csh_gets_the_line_in_an_existing_cshrc() {
    let test = with_shells(&["csh", "tcsh"]).write("home/.cshrc", "set history = 100\n");
    let (test, _server, _) = install(test);
    assert!(!test.home().join(".tcshrc").exists());
    let cshrc = fs::read_to_string(test.home().join(".cshrc")).unwrap();
    assert_eq!(
        cshrc,
        "set history = 100\nsource \"$HOME\"'/.config/caro/env.csh' # added by caro-install\n"
    );
    assert_every_start_finds_caro_once(&test, "csh");
}

#[test]
fn uninstall_gives_every_shells_files_back_byte_for_byte() {
    let seeded = [
        ("home/.tcshrc", "alias ll ls -l"),
        ("home/.config/elvish/rc.elv", "var x = 1\r\n"),
        ("home/.config/xonsh/rc.d/mine.xsh", "$EDITOR = 'vi'\n"),
        (
            "home/.config/nushell/config.nu",
            "$env.config.show_banner = false\n",
        ),
    ];
    let mut test = with_shells(&["tcsh", "xonsh", "elvish", "nu"]);
    for (path, text) in seeded {
        test = test.write(path, text);
    }
    let (test, _server, _) = install(test);
    test.run()
        .success()
        .stderr_lacks("edited")
        .stderr_lacks("created");
    let tcshrc = fs::read_to_string(test.home().join(".tcshrc")).unwrap();
    assert_eq!(
        tcshrc.matches("added by caro-install").count(),
        1,
        "{tcshrc}"
    );
    test.run_with(&["uninstall", "-y"]).success();
    for (path, text) in seeded {
        assert_eq!(
            fs::read_to_string(test.root().join(path)).unwrap(),
            text,
            "{path}"
        );
    }
    for gone in [
        ".config/caro/env.csh",
        ".config/xonsh/rc.d/caro.xsh",
        ".config/nushell/autoload",
    ] {
        assert!(!test.home().join(gone).exists(), "{gone} is still there");
    }
}

#[test]
fn uninstall_without_a_receipt_finds_every_shells_lines_and_files() {
    let test = with_shells(&["tcsh", "elvish"]).write("home/.config/elvish/rc.elv", "var x = 1\n");
    let (test, _server, _) = install(test);
    fs::remove_file(test.receipt_path()).unwrap();
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(
        fs::read_to_string(test.home().join(".config/elvish/rc.elv")).unwrap(),
        "var x = 1\n"
    );
    // Without the receipt there is no telling that the install created it: left, empty.
    assert_eq!(fs::read_to_string(test.home().join(".tcshrc")).unwrap(), "");
    assert!(!test.home().join(".config/caro/env.csh").exists());
}

/// A stand-in `pwsh` on PATH: PowerShell cannot be installed here, but caro-install only
/// asks whether it is.
fn with_fake_pwsh() -> Test {
    let test = Test::new().tools(&["sh"]);
    let pwsh = test.tools_dir().join("pwsh");
    fs::write(&pwsh, "#!/bin/sh\nexit 1\n").unwrap();
    fs::set_permissions(&pwsh, fs::Permissions::from_mode(0o755)).unwrap();
    test
}

#[test]
fn powershell_gets_its_line_in_the_profile_and_loses_it_at_uninstall() {
    const LINE: &str = "if (($env:PATH -split ':') -notcontains ($HOME + '/.local/bin')) { $env:PATH = ($HOME + '/.local/bin') + ':' + $env:PATH } # added by caro-install\n";
    let profile = ".config/powershell/profile.ps1";
    // Installed, no profile yet: one is created with the line, and removed at uninstall.
    let (test, _server, _) = install(with_fake_pwsh());
    assert_eq!(fs::read_to_string(test.home().join(profile)).unwrap(), LINE);
    test.run_with(&["uninstall", "-y"]).success();
    assert!(
        !test.home().join(".config/powershell").exists(),
        "made for it, so removed"
    );
    // Not installed, but a profile exists: the line goes after the user's, then goes.
    let mine = "Set-PSReadLineOption -EditMode Emacs";
    let (test, _server, _) = install(Test::new().write(&format!("home/{profile}"), mine));
    assert_eq!(
        fs::read_to_string(test.home().join(profile)).unwrap(),
        format!("{mine}\n{LINE}")
    );
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(fs::read_to_string(test.home().join(profile)).unwrap(), mine);
}

#[test]
fn update_edits_no_file_of_any_shell() {
    let (test, server, _) = install(with_shells(&["tcsh", "xonsh", "elvish", "nu"]));
    let files = |test: &Test| -> Vec<(String, Vec<u8>)> {
        test.tree(&test.home())
            .into_iter()
            .filter(|p| !p.starts_with(".local/bin") && !p.ends_with("caro-receipt.json"))
            .map(|p| (p.clone(), fs::read(test.home().join(&p)).unwrap()))
            .collect()
    };
    let before = files(&test);
    assert!(
        before.len() >= 7,
        "{:?}",
        before.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    server.caro("1.1.0", "linux-amd64");
    server.latest("1.1.0");
    test.run_with(&["update"])
        .success()
        .stderr_has("updated caro 1.0.3 -> 1.1.0")
        .stderr_lacks("edited")
        .stderr_lacks("created");
    assert_eq!(files(&test), before);
}

#[test]
fn uninstall_removes_the_folders_made_for_each_shell_and_keeps_those_that_were_there() {
    let mut test = with_shells(&["xonsh", "elvish", "nu", "fish"]);
    fs::create_dir_all(test.home().join(".config/fish/conf.d")).unwrap();
    fs::create_dir_all(test.home().join(".config/xonsh")).unwrap();
    test = test.write("home/.config/keep", "");
    let (test, _server, _) = install(test);
    assert!(test.home().join(".config/elvish/rc.elv").is_file());
    test.run_with(&["uninstall", "-y"]).success();
    for made in ["elvish", "nushell", "xonsh/rc.d"] {
        assert!(!test.home().join(".config").join(made).exists(), "{made}");
    }
    for kept in ["fish/conf.d", "xonsh"] {
        assert!(test.home().join(".config").join(kept).is_dir(), "{kept}");
    }
}
