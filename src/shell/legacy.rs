//! The PATH lines caro's own install scripts wrote before caro-install existed.
//!
//! caro's `install.sh` appended a blank line, `# caro PATH` and `export PATH="DIR:$PATH"`
//! (fish: `set -gx PATH DIR $PATH`) to `~/.bashrc` or `~/.bash_profile`, `~/.zshrc` or
//! fish's `config.fish`; its `setup.sh` the same under `# Added by caro installer` (fish:
//! `fish_add_path DIR`). A user who installed caro that way and now runs caro-install
//! would otherwise keep those lines forever, and `uninstall` would leave caro on PATH. So
//! an install *takes them over*: it records them in the receipt, and `uninstall` removes
//! those whole lines.
//!
//! Only what those scripts wrote is taken, byte for byte: the comment, a PATH line of one
//! of the three forms above naming a plain directory, and the blank line just before. A
//! PATH line with anything else on it (`export PATH="$HOME/.local/bin:$PATH"; source
//! ~/.work-env`) is the user's now: it is reported and left, comment and all. Removal
//! works on whole lines equal to those recorded; it never joins, splits or trims a line.
//! Nothing here writes a file.

use std::path::{Path, PathBuf};

use super::edit::content;
use crate::env::Env;

/// The comment lines the old scripts wrote above their PATH line.
pub const COMMENTS: [&str; 2] = ["# caro PATH", "# Added by caro installer"];

/// What [`find`] sees after one of the old scripts' comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The lines the old script wrote, exactly as they are in the file, endings included:
    /// the blank line before (when there is one), the comment and the PATH line. What the
    /// receipt records and uninstall removes.
    Block(String),
    /// A comment followed by a line the old scripts never wrote as it is: left alone.
    Changed {
        /// Its line number, from 1.
        number: usize,
        /// The line, without its ending.
        line: String,
    },
}

/// The startup files the old scripts wrote to.
pub fn files(env: &Env) -> Vec<PathBuf> {
    let Ok(home) = env.home() else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = [".bashrc", ".bash_profile", ".zshrc"]
        .iter()
        .map(|name| home.join(name))
        .collect();
    if let Some(zdotdir) = env.var("ZDOTDIR") {
        files.push(Path::new(zdotdir).join(".zshrc"));
    }
    files.push(home.join(".config").join("fish").join("config.fish"));
    files
}

/// Returns true if and only if `line` (without its ending) is a PATH line exactly as the
/// old scripts wrote it: `export PATH="DIR:$PATH"`, `set -gx PATH DIR $PATH` or
/// `fish_add_path DIR`, with a plain directory for DIR.
pub fn is_old_path_line(line: &str) -> bool {
    if let Some(dir) = line
        .strip_prefix("export PATH=\"")
        .and_then(|rest| rest.strip_suffix(":$PATH\""))
    {
        return is_plain_dir(dir, false);
    }
    if let Some(dir) = line
        .strip_prefix("set -gx PATH ")
        .and_then(|rest| rest.strip_suffix(" $PATH"))
    {
        return is_plain_dir(dir, true);
    }
    line.strip_prefix("fish_add_path ")
        .is_some_and(|dir| is_plain_dir(dir, true))
}

/// Returns true if and only if `dir` is a directory as the old scripts named one: absolute,
/// or under `$HOME` or `~`, holding nothing a shell would run or expand (no quotes,
/// `$`, backquotes, `;`, `&`, `|`, `#`, …); `bare` for an unquoted word (no blanks).
fn is_plain_dir(dir: &str, bare: bool) -> bool {
    let rest = ["$HOME/", "~/", "/"]
        .iter()
        .find_map(|start| dir.strip_prefix(start));
    let Some(rest) = rest.or((dir == "$HOME").then_some("")) else {
        return false;
    };
    rest.chars().all(|c| {
        let special = c.is_control() || "\"'`$\\;&|<>(){}#*?[]!".contains(c);
        !(special || (bare && c.is_whitespace()))
    })
}

/// The old scripts' lines in `text`: each comment of [`COMMENTS`] on a whole line of its
/// own, followed by a PATH line as the old scripts wrote it, is a [`Found::Block`]; one
/// followed by anything else is [`Found::Changed`].
pub fn find(text: &str) -> Vec<Found> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut found = Vec::new();
    for (index, pair) in lines.windows(2).enumerate() {
        if !COMMENTS.contains(&content(pair[0])) {
            continue;
        }
        if !is_old_path_line(content(pair[1])) {
            found.push(Found::Changed {
                number: index + 2,
                line: content(pair[1]).to_string(),
            });
            continue;
        }
        let mut block = String::new();
        if let Some(blank) = index.checked_sub(1).map(|before| lines[before]) {
            if content(blank).is_empty() {
                block.push_str(blank);
            }
        }
        block.push_str(pair[0]);
        block.push_str(pair[1]);
        found.push(Found::Block(block));
    }
    found
}

/// Returns true if and only if `block` is one [`find`] could have returned: what a receipt
/// may ask uninstall to remove from the old scripts' files.
pub fn is_block(block: &str) -> bool {
    find(block).first() == Some(&Found::Block(block.to_string()))
}

/// `text` without the whole lines of `block`, or `None` when they are not there as they
/// were recorded. The blank line before the comment goes only while it is still there.
pub fn remove_block(text: &str, block: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let wanted: Vec<&str> = block.split_inclusive('\n').map(content).collect();
    let blank_first = wanted.first().is_some_and(|line| line.is_empty());
    let attempts = [Some(&wanted[..]), blank_first.then(|| &wanted[1..])];
    for wanted in attempts.into_iter().flatten() {
        if wanted.is_empty() {
            continue;
        }
        let at = lines.windows(wanted.len()).position(|window| {
            window
                .iter()
                .zip(wanted)
                .all(|(line, want)| content(line) == *want)
        });
        if let Some(at) = at {
            let kept: String = lines[..at]
                .iter()
                .chain(&lines[at + wanted.len()..])
                .copied()
                .collect();
            return Some(kept);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTALL_SH: &str = "\n# caro PATH\nexport PATH=\"/home/u/.local/bin:$PATH\"\n";
    const SETUP_SH_FISH: &str = "\n# Added by caro installer\nfish_add_path /home/u/.local/bin\n";

    fn blocks(text: &str) -> Vec<String> {
        find(text)
            .into_iter()
            .filter_map(|found| match found {
                Found::Block(block) => Some(block),
                Found::Changed { .. } => None,
            })
            .collect()
    }

    #[test]
    fn the_lines_the_old_scripts_appended_are_found_whole() {
        let before = "alias ll='ls -l'\n";
        let text = format!("{before}{INSTALL_SH}");
        assert_eq!(blocks(&text), [INSTALL_SH]);
        assert_eq!(remove_block(&text, INSTALL_SH).unwrap(), before);
        let fish = format!("set -gx EDITOR vi\n{SETUP_SH_FISH}");
        assert_eq!(blocks(&fish), [SETUP_SH_FISH]);
        assert!(is_block(INSTALL_SH) && is_block(SETUP_SH_FISH));
        assert!(is_old_path_line("set -gx PATH $HOME/.cargo/bin $PATH"));
        assert!(is_old_path_line("export PATH=\"$HOME/my tools/bin:$PATH\""));
    }

    #[test]
    fn a_path_line_with_anything_more_is_the_users_and_reported() {
        let text = "# caro PATH\nexport PATH=\"$HOME/.local/bin:$PATH\"; source ~/.work-env\n";
        assert_eq!(
            find(text),
            [Found::Changed {
                number: 2,
                line: "export PATH=\"$HOME/.local/bin:$PATH\"; source ~/.work-env".into()
            }]
        );
        for line in [
            " export PATH=\"/x:$PATH\"",
            "export PATH=\"/x:$PATH\" ",
            "export PATH=\"$(curl x):$PATH\"",
            "export PATH=\"/x:$PATH\" # mine",
            "fish_add_path /x; rm -rf ~",
            "set -gx PATH /x /y $PATH",
            "export PATH=\"relative:$PATH\"",
        ] {
            assert!(!is_old_path_line(line), "{line}");
        }
    }

    #[test]
    fn a_comment_without_its_path_line_or_another_comment_is_not_ours() {
        assert!(blocks("# caro PATH\nalias caro=x\n").is_empty());
        assert!(find("# my caro PATH\nexport PATH=\"/x:$PATH\"\n").is_empty());
        assert!(find("export PATH=\"/x:$PATH\"\n").is_empty());
        assert!(!is_block("ssh-ed25519 AAAA me\n"));
        assert!(!is_block("# caro PATH\nrm -rf ~\n"));
    }

    #[test]
    fn removal_takes_whole_lines_and_merges_none() {
        // The user put a line between the blank line and the comment, and no newline at
        // the end: the lines around stay as they are, none joined.
        let block = "\n# caro PATH\nexport PATH=\"/x:$PATH\"";
        let text = "a\n\nmine\n# caro PATH\nexport PATH=\"/x:$PATH\"\nb";
        assert_eq!(remove_block(text, block).unwrap(), "a\n\nmine\nb");
        // CRLF endings: the lines are found and go with their endings.
        let crlf = "a\r\n\r\n# caro PATH\r\nexport PATH=\"/x:$PATH\"\r\nb\r\n";
        let found = blocks(crlf);
        assert_eq!(found, ["\r\n# caro PATH\r\nexport PATH=\"/x:$PATH\"\r\n"]);
        assert_eq!(remove_block(crlf, &found[0]).unwrap(), "a\r\nb\r\n");
        assert_eq!(remove_block("a\n# caro PATH\nother\n", block), None);
    }

    #[test]
    fn a_block_at_the_top_of_a_file_has_no_blank_line_to_take() {
        let text = "# caro PATH\nexport PATH=\"/x:$PATH\"\nalias a=b\n";
        assert_eq!(blocks(text), ["# caro PATH\nexport PATH=\"/x:$PATH\"\n"]);
    }
}
