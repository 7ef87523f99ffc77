//! Adding and removing one line in a startup file's text (pure): the only edits
//! caro-install makes to a file it did not write.

/// Returns true if and only if `text` already holds `line` (ignoring surrounding blanks).
pub fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|existing| existing.trim() == line.trim())
}

/// `text` with `line` appended, or `None` when it is already there. The `bool` says whether
/// a newline had to be added first (the file did not end with one), which removal needs
/// to give the file back byte for byte.
pub fn add_line(text: &str, line: &str) -> Option<(String, bool)> {
    if has_line(text, line) {
        return None;
    }
    let needs_newline = !text.is_empty() && !text.ends_with('\n');
    let mut new = String::with_capacity(text.len() + line.len() + 2);
    new.push_str(text);
    if needs_newline {
        new.push('\n');
    }
    new.push_str(line);
    new.push('\n');
    Some((new, needs_newline))
}

/// `line` (one piece of `text.split_inclusive('\n')`) without its line ending, `\n` or
/// `\r\n`: what is compared, while whole lines, endings included, are what is kept or
/// removed.
pub fn content(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// `text` without every whole line that is byte for byte `line` (whatever its ending), or
/// `None` when it has none. No other line is touched: none is joined, split or trimmed.
/// When `added_newline` is true and our line was the last one, the newline added before
/// it is removed too.
pub fn remove_line(text: &str, line: &str, added_newline: bool) -> Option<String> {
    let mut kept = String::with_capacity(text.len());
    let mut removed_last = false;
    let mut removed_any = false;
    for piece in text.split_inclusive('\n') {
        if content(piece) == line {
            removed_any = true;
            removed_last = true;
        } else {
            kept.push_str(piece);
            removed_last = false;
        }
    }
    if !removed_any {
        return None;
    }
    if added_newline && removed_last && kept.ends_with('\n') {
        kept.pop();
    }
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_add_changes_nothing() {
        let (once, added_newline) = add_line("export A=1\n", "LINE").unwrap();
        assert_eq!(once, "export A=1\nLINE\n");
        assert!(!added_newline);
        assert_eq!(add_line(&once, "LINE"), None);
        assert_eq!(add_line("  LINE  \n", "LINE"), None);
    }

    #[test]
    fn add_to_empty_and_unterminated_files() {
        assert_eq!(add_line("", "LINE"), Some(("LINE\n".to_string(), false)));
        assert_eq!(
            add_line("alias x=y", "LINE"),
            Some(("alias x=y\nLINE\n".to_string(), true))
        );
    }

    #[test]
    fn remove_restores_byte_for_byte() {
        for original in ["", "export A=1\n", "alias x=y", "a\r\nb\r\n", "\n\n"] {
            let (added, added_newline) = add_line(original, "LINE").unwrap();
            assert_eq!(
                remove_line(&added, "LINE", added_newline).as_deref(),
                Some(original),
                "{original:?}"
            );
        }
    }

    #[test]
    fn remove_keeps_what_the_user_added_after_us() {
        let (added, added_newline) = add_line("a", "LINE").unwrap();
        let edited = format!("{added}b\n");
        assert_eq!(
            remove_line(&edited, "LINE", added_newline).unwrap(),
            "a\nb\n"
        );
    }

    #[test]
    fn remove_keeps_the_users_own_guarded_lines() {
        let text = "[ -f ~/.x/env ] && . ~/.x/env\n. \"$HOME/.config/caro/env\" # added by caro-install\n. ~/.config/caro/env\n";
        let line = ". \"$HOME/.config/caro/env\" # added by caro-install";
        assert_eq!(
            remove_line(text, line, false).unwrap(),
            "[ -f ~/.x/env ] && . ~/.x/env\n. ~/.config/caro/env\n"
        );
        assert_eq!(remove_line("nothing here\n", line, false), None);
    }

    #[test]
    fn only_whole_lines_equal_to_ours_are_removed() {
        let line = ". \"$HOME/.config/caro/env\" # added by caro-install";
        let text = format!("a\n  {line}\n{line}; echo x\n{line}\r\nb");
        assert_eq!(
            remove_line(&text, line, false).unwrap(),
            format!("a\n  {line}\n{line}; echo x\nb")
        );
    }
}
