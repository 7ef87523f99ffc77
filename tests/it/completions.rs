//! Completions that complete: each shell is *asked* for the candidates of a command line,
//! as a Tab would, with the script `caro-install completions SHELL` prints loaded into it
//! (bash: the completion function with COMP_WORDS set; zsh: Tab on a pseudo-terminal;
//! fish: `complete -C`). Each runs in a throwaway HOME with a PATH the test builds.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// The lines each shell is asked about, and candidates each answer must hold.
const CASES: [(&str, &[&str]); 6] = [
    ("caro-install up", &["update"]),
    (
        "caro-install update --",
        &["--check", "--version", "--require-signature"],
    ),
    ("caro-install self-update --c", &["--check"]),
    (
        "caro-install install --",
        &["--install-dir", "--dry-run", "--force"],
    ),
    ("caro-install uninstall --", &["--yes"]),
    (
        "caro-install completions ",
        &["bash", "zsh", "fish", "powershell"],
    ),
];

/// Writes the script for `shell` into the test's folder.
fn script(test: &Test, shell: &str) -> PathBuf {
    let output = test.run_with(&["completions", shell]).success();
    let path = test.root().join(format!("completion.{shell}"));
    fs::write(&path, output.stdout).unwrap();
    path
}

/// Runs `shell args` in the test's HOME and PATH, killed after 30 s; returns its stdout.
#[track_caller]
fn ask(test: &Test, shell: &str, args: &[&str]) -> Vec<String> {
    let mut child = Command::new(system_tool(shell))
        .args(args)
        .env_clear()
        .env("HOME", test.home())
        .env("PATH", test.tools_dir())
        .env("TERM", "dumb")
        .current_dir(test.home())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{shell} {args:?} did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{shell} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

#[track_caller]
fn assert_offers(shell: &str, line: &str, found: &[String], expected: &[&str]) {
    for candidate in expected {
        assert!(
            found
                .iter()
                .any(|f| f == candidate || f.starts_with(&format!("{candidate}\t"))),
            "{shell} offers no `{candidate}` for `{line}`: {found:?}"
        );
    }
}

#[test]
fn bash_completes_every_subcommand_and_the_shell_names() {
    let test = Test::new().tools(&["bash"]);
    let script = script(&test, "bash");
    for (line, expected) in CASES {
        // As bash calls a completion function: the words so far, the index of the word
        // under the cursor, and $1 $2 $3 = command, current word, previous word.
        let words: Vec<&str> = if line.ends_with(' ') {
            line.split_whitespace().chain([""]).collect()
        } else {
            line.split_whitespace().collect()
        };
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let current = words.len() - 1;
        let call = format!(
            "source '{}' || exit 1\n\
             COMP_WORDS=({}); COMP_CWORD={current}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n\
             _caro__install caro-install '{}' '{}' || true\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            quoted.join(" "),
            words[current],
            words[current - 1],
        );
        let found = ask(&test, "bash", &["--norc", "--noprofile", "-c", &call]);
        assert_offers("bash", line, &found, expected);
    }
    // The registration names the function the test called.
    let registered = ask(
        &test,
        "bash",
        &[
            "-c",
            &format!("source '{}'; complete -p caro-install", script.display()),
        ],
    );
    assert!(
        registered.join("\n").contains("-F _caro__install"),
        "{registered:?}"
    );
}

#[test]
fn zsh_completes_every_subcommand_and_the_shell_names() {
    let test = Test::new().tools(&["zsh"]);
    let script = script(&test, "zsh");
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/completions/capture.zsh");
    for (line, expected) in CASES {
        let found = ask(
            &test,
            "zsh",
            &[
                "-f",
                &harness.to_string_lossy(),
                &script.to_string_lossy(),
                line,
            ],
        );
        assert_offers("zsh", line, &found, expected);
    }
}

#[test]
fn fish_completes_every_subcommand_and_the_shell_names() {
    let test = Test::new().tools(&["fish"]);
    let script = script(&test, "fish");
    for (line, expected) in CASES {
        let call = format!("source '{}'; complete -C '{line}'", script.display());
        let found = ask(&test, "fish", &["--no-config", "-c", &call]);
        assert_offers("fish", line, &found, expected);
    }
}

#[test]
fn completions_help_says_where_each_shell_loads_them_for_good() {
    Test::new()
        .args(["completions", "--help"])
        .run()
        .success()
        .stdout_has("~/.local/share/bash-completion/completions/caro-install")
        .stdout_has("~/.zfunc/_caro-install")
        .stdout_has("~/.config/fish/completions/caro-install.fish")
        .stdout_has("$PROFILE");
}
