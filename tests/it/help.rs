//! `--help` as a user reads it on an 80x24 terminal: every line fits in 80 columns, no
//! word is cut in two, and each help fits on one screen or says where the rest is.

use crate::common::*;

#[cfg(unix)]
/// Every help there is: `-h` and `--help` of the top level and of each subcommand its
/// help lists (so a new subcommand is checked without a change here).
fn helps() -> Vec<Vec<String>> {
    let top = Test::new().arg("-h").run().success().stdout;
    let subcommands: Vec<String> = top
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect();
    assert!(subcommands.len() >= 6, "{top}");
    let mut helps = vec![vec!["-h".to_string()], vec!["--help".to_string()]];
    for subcommand in subcommands {
        for flag in ["-h", "--help"] {
            helps.push(vec![subcommand.clone(), flag.to_string()]);
        }
    }
    helps
}

#[cfg(unix)]
/// The helps allowed more than a screen, and the line of their short form that says so.
const LONG: [(&str, &str); 1] = [("install --help", "see a summary with '-h'")];

#[cfg(unix)] // the snapshot holds the Unix default folder
#[test]
fn every_help_fits_80_columns_and_one_screen() {
    let mut snapshot = String::new();
    for args in helps() {
        // A pipe, as in the tests: 80 columns unless COLUMNS says otherwise.
        let output = Test::new().args(&args).run().success();
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
