//! `--help` as a user reads it on an 80x24 terminal: every line fits in 80 columns, no
//! word is cut in two, and each help fits on one screen or says where the rest is.

use crate::common::*;

/// Every help there is: `-h` and `--help`, of the top level and of each subcommand.
const HELPS: [&[&str]; 14] = [
    &["-h"],
    &["--help"],
    &["install", "-h"],
    &["install", "--help"],
    &["update", "-h"],
    &["update", "--help"],
    &["uninstall", "-h"],
    &["uninstall", "--help"],
    &["self-update", "-h"],
    &["self-update", "--help"],
    &["status", "-h"],
    &["status", "--help"],
    &["completions", "-h"],
    &["completions", "--help"],
];

/// The helps allowed more than a screen, and the line of their short form that says so.
const LONG: [(&str, &str); 1] = [("install --help", "see a summary with '-h'")];

#[cfg(unix)] // the snapshot holds the Unix default folder
#[test]
fn every_help_fits_80_columns_and_one_screen() {
    let mut snapshot = String::new();
    for args in HELPS {
        // A pipe, as in the tests: 80 columns unless COLUMNS says otherwise.
        let output = Test::new().args(args).run().success();
        let text = output.stdout;
        let command = args.join(" ");
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "`caro-install {command}` has a line of {} columns:\n{line}",
                line.chars().count()
            );
        }
        let lines = text.lines().count();
        match LONG.iter().find(|(long, _)| *long == command) {
            Some((_, note)) => assert!(text.contains(note), "{command}:\n{text}"),
            None => assert!(
                lines <= 24,
                "`caro-install {command}` is {lines} lines:\n{text}"
            ),
        }
        snapshot.push_str(&format!("$ caro-install {command}\n{text}\n"));
    }
    // Words that used to be cut at the 80th column stay whole.
    for phrase in ["[default: ~/.local/bin]", "caro-install install --help"] {
        assert!(snapshot.contains(phrase), "{phrase}");
    }
    assert_snapshot("help", &snapshot, &[]);
}

#[test]
fn install_summary_points_to_the_long_help() {
    Test::new()
        .args(["install", "-h"])
        .run()
        .success()
        .stdout_has("(see more with '--help')");
}

#[test]
fn help_follows_columns_and_is_never_wider_than_100() {
    let narrow = Test::new().arg("-h").env("COLUMNS", "60").run().success();
    assert!(
        narrow.stdout.lines().all(|line| line.chars().count() <= 60),
        "{}",
        narrow.stdout
    );
    let wide = Test::new().arg("-h").env("COLUMNS", "200").run().success();
    assert!(
        wide.stdout.lines().all(|line| line.chars().count() <= 100),
        "{}",
        wide.stdout
    );
}
