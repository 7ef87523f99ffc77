//! `caro-install completions <SHELL>`: clap_complete's scripts, with the two gaps it leaves
//! for this command mended, so that every shell completes every subcommand's options and
//! the shell names after `completions` (tests/it/completions.rs asks each shell).
//!
//! - **bash**: for a program name with a hyphen, clap_complete names the top command
//!   `caro__install` where it tracks the words typed, but `caro__subcmd__install` in the
//!   labels that list each subcommand's options, so nothing after a subcommand matched
//!   (`caro-install update --<TAB>` offered nothing). The labels are renamed to match.
//! - **fish**: positional values (`completions <TAB>`) get no completion line, so fish
//!   offered file names: one line per subcommand positional with known values is added.

use clap::Command;
use clap_complete::Shell;

/// The completion script for `shell`, for the program `name` described by `command`.
pub fn script(shell: Shell, command: &mut Command, name: &str) -> String {
    let mut bytes = Vec::new();
    clap_complete::generate(shell, command, name, &mut bytes);
    let script = String::from_utf8_lossy(&bytes).into_owned();
    match shell {
        Shell::Bash => mend_bash(&script, name),
        Shell::Fish => script + &fish_positionals(command, name),
        _ => script,
    }
}

/// Renames the labels of the bash script's second `case` to the names its first `case`
/// gives (`caro__subcmd__install__subcmd__update` becomes `caro__install__subcmd__update`).
fn mend_bash(script: &str, name: &str) -> String {
    let tracked = name.replace('-', "__");
    let labelled = name.replace('-', "__subcmd__");
    if tracked == labelled {
        return script.to_string();
    }
    script.replace(&labelled, &tracked)
}

/// A fish `complete` line for each positional argument with possible values in each
/// subcommand: `complete -c caro-install -n "__fish_caro_install_using_subcommand
/// completions" -f -a "bash elvish fish powershell zsh"`.
fn fish_positionals(command: &Command, name: &str) -> String {
    let function = format!("__fish_{}_using_subcommand", name.replace('-', "_"));
    let mut lines = String::new();
    for subcommand in command.get_subcommands() {
        for argument in subcommand.get_positionals() {
            let values: Vec<String> = argument
                .get_possible_values()
                .iter()
                .filter(|value| !value.is_hide_set())
                .map(|value| value.get_name().to_string())
                .collect();
            if values.is_empty() {
                continue;
            }
            lines.push_str(&format!(
                "complete -c {name} -n \"{function} {}\" -f -a \"{}\"\n",
                subcommand.get_name(),
                values.join(" ")
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_labels_take_the_names_the_words_are_tracked_by() {
        let script = "cmd=\"caro__install__subcmd__update\"\n        caro__subcmd__install__subcmd__update)\n";
        assert_eq!(
            mend_bash(script, "caro-install"),
            "cmd=\"caro__install__subcmd__update\"\n        caro__install__subcmd__update)\n"
        );
        assert_eq!(
            mend_bash(script, "caro"),
            script,
            "no hyphen, nothing to mend"
        );
    }
}
