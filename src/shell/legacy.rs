//! The PATH lines caro's own install scripts wrote before caro-install existed.
//!
//! caro's `install.sh` appended `\n# caro PATH\nexport PATH="DIR:$PATH"\n` (fish:
//! `set -gx PATH DIR $PATH`) to `~/.bashrc` or `~/.bash_profile`, `~/.zshrc` or fish's
//! `config.fish`, and its `setup.sh` the same under `# Added by caro installer`. A user who
//! installed caro that way and now runs caro-install would otherwise keep those lines
//! forever, and `uninstall` would leave caro on PATH. So an install *takes them over*: it
//! reports each block it finds, records it in the receipt (once, however often it runs),
//! and `uninstall` removes exactly those bytes. Nothing here writes a file.

use std::path::{Path, PathBuf};

use crate::env::Env;

/// The comment lines the old scripts wrote above their PATH line.
pub const COMMENTS: [&str; 2] = ["# caro PATH", "# Added by caro installer"];

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

/// Returns true if and only if `line` sets PATH the way the old scripts did.
fn sets_path(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("export PATH=")
        || line.starts_with("set -gx PATH ")
        || line.starts_with("fish_add_path ")
}

/// The old scripts' blocks in `text`, each exactly as it was appended: the blank line they
/// wrote before it (when present), the comment, and the PATH line, each with its newline.
pub fn find_blocks(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut blocks = Vec::new();
    for (index, pair) in lines.windows(2).enumerate() {
        let comment = pair[0].trim_end_matches(['\n', '\r']);
        if !COMMENTS.contains(&comment) || !sets_path(pair[1]) {
            continue;
        }
        let blank_before = index > 0 && lines[index - 1] == "\n";
        let mut block = String::new();
        if blank_before {
            block.push('\n');
        }
        block.push_str(pair[0]);
        block.push_str(pair[1]);
        blocks.push(block);
    }
    blocks
}

/// Returns true if and only if `block` is one [`find_blocks`] could have returned: what a
/// receipt may ask uninstall to remove from the old scripts' files.
pub fn is_block(block: &str) -> bool {
    let trimmed = block.strip_prefix('\n').unwrap_or(block);
    find_blocks(trimmed).first().map(String::as_str) == Some(trimmed)
}

/// `text` without `block`, or `None` when it is not there.
pub fn remove_block(text: &str, block: &str) -> Option<String> {
    text.contains(block).then(|| text.replacen(block, "", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTALL_SH: &str = "\n# caro PATH\nexport PATH=\"/home/u/.local/bin:$PATH\"\n";
    const SETUP_SH_FISH: &str =
        "\n# Added by caro installer\nset -gx PATH /home/u/.local/bin $PATH\n";

    #[test]
    fn the_blocks_the_old_scripts_appended_are_found_whole() {
        let before = "alias ll='ls -l'\n";
        let text = format!("{before}{INSTALL_SH}");
        assert_eq!(find_blocks(&text), [INSTALL_SH]);
        assert_eq!(remove_block(&text, INSTALL_SH).unwrap(), before);
        let fish = format!("set -gx EDITOR vi\n{SETUP_SH_FISH}");
        assert_eq!(find_blocks(&fish), [SETUP_SH_FISH]);
        assert!(is_block(INSTALL_SH) && is_block(SETUP_SH_FISH));
    }

    #[test]
    fn a_comment_without_its_path_line_or_another_comment_is_not_ours() {
        assert!(find_blocks("# caro PATH\nalias caro=x\n").is_empty());
        assert!(find_blocks("# my caro PATH\nexport PATH=\"/x:$PATH\"\n").is_empty());
        assert!(find_blocks("export PATH=\"/x:$PATH\"\n").is_empty());
        assert!(!is_block("ssh-ed25519 AAAA me\n"));
        assert!(!is_block("# caro PATH\nrm -rf ~\n"));
    }

    #[test]
    fn a_block_at_the_top_of_a_file_has_no_blank_line_to_take() {
        let text = "# caro PATH\nexport PATH=\"/x:$PATH\"\nalias a=b\n";
        assert_eq!(
            find_blocks(text),
            ["# caro PATH\nexport PATH=\"/x:$PATH\"\n"]
        );
    }
}
