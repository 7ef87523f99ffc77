//! What caro-install writes for each shell (pure): its env scripts and drop-ins, the one
//! line a startup file gets, and the directory quoted in each shell's own syntax.
//!
//! Every text names the directory relative to `$HOME` when it is inside it (so a renamed
//! home still works) and escapes what the shell would expand, so a folder named
//! `a"b$c` stays that folder. Every line carries [`MARKER`] and every file starts with
//! [`OWN_FILE_HEADER`], so both can be told from the user's own text.

use std::path::Path;

use super::Shell;

/// The env script for the sh family; `{dir}` is replaced with the quoted directory.
const ENV_SH: &str = include_str!("env.sh");

/// The env script for tcsh and csh.
const ENV_CSH: &str = include_str!("env.csh");

/// fish's conf.d file.
const ENV_FISH: &str = include_str!("env.fish");

/// xonsh's rc.d file.
const ENV_XONSH: &str = include_str!("env.xsh");

/// nushell's autoload file.
const ENV_NU: &str = include_str!("env.nu");

/// The comment that marks the lines caro-install adds, so they can be found (and only they
/// removed) even without a receipt.
pub const MARKER: &str = "# added by caro-install";

/// The first words of every file caro-install writes wholly (the env scripts and
/// drop-ins): a file at one of our paths that does not start with them is the user's, and
/// is never overwritten or deleted.
pub const OWN_FILE_HEADER: &str = "# caro's PATH setup, written by caro-install";

/// How each kind of line caro-install writes begins: with [`MARKER`] at its end, what
/// finds our lines in a startup file when there is no receipt.
const LINE_STARTS: [&str; 4] = [
    ". \"",
    "source ",
    "if (not (has-value $paths ",
    "if (($env:PATH -split ':') -notcontains ",
];

/// Returns true if and only if `text` is a file caro-install wrote (it starts with
/// [`OWN_FILE_HEADER`]), whatever directory it was written for.
pub fn is_own_file(text: &str) -> bool {
    text.starts_with(OWN_FILE_HEADER)
}

/// Returns true if and only if `line` (without its line ending) is one caro-install
/// writes into a startup file, for any directory: one of its forms, ending in [`MARKER`].
pub fn is_marked_line(line: &str) -> bool {
    line.ends_with(&format!(" {MARKER}")) && LINE_STARTS.iter().any(|s| line.starts_with(s))
}

/// The env script for the sh family, for `dir`.
pub fn env_script(dir: &Path, home: &Path) -> String {
    ENV_SH.replace("{dir}", &sh_quote(dir, home))
}

/// The env script for tcsh and csh, for `dir`; `None` when csh cannot quote it (a newline).
pub fn csh_script(dir: &Path, home: &Path) -> Option<String> {
    Some(ENV_CSH.replace("{dir}", &csh_quote(dir, home)?))
}

/// fish's conf.d file, for `dir`.
pub fn fish_script(dir: &Path, home: &Path) -> String {
    ENV_FISH.replace("{dir}", &fish_quote(dir, home))
}

/// xonsh's rc.d file, for `dir`.
pub fn xonsh_script(dir: &Path, home: &Path) -> String {
    ENV_XONSH.replace("{dir}", &python_quote(dir, home))
}

/// nushell's autoload file, for `dir`.
pub fn nu_script(dir: &Path, home: &Path) -> String {
    ENV_NU.replace("{dir}", &nu_quote(dir, home))
}

/// The line that sources the sh env script: `. "$HOME/.config/caro/env" # added by caro-install`.
pub fn source_line(env_script: &Path, home: &Path) -> String {
    format!(". {} {MARKER}", sh_quote(env_script, home))
}

/// The line that sources the csh env script: `source "$HOME"'/.config/caro/env.csh' # …`.
pub fn csh_source_line(csh_script: &Path, home: &Path) -> Option<String> {
    Some(format!("source {} {MARKER}", csh_quote(csh_script, home)?))
}

/// elvish's line in `rc.elv`: prepends `dir` to `$paths` unless it is there.
pub fn elvish_line(dir: &Path, home: &Path) -> String {
    let dir = elvish_quote(dir, home);
    format!("if (not (has-value $paths {dir})) {{ set paths = [{dir} $@paths] }} {MARKER}")
}

/// PowerShell's line in `profile.ps1` (Linux and macOS, where PATH is `:`-separated).
pub fn powershell_line(dir: &Path, home: &Path) -> String {
    let dir = powershell_quote(dir, home);
    format!(
        "if (($env:PATH -split ':') -notcontains {dir}) {{ $env:PATH = {dir} + ':' + $env:PATH }} {MARKER}"
    )
}

/// What a user adds by hand to make `shell` find `dir` when caro-install could not write
/// its file: one line in the shell's own syntax.
pub fn by_hand(shell: Shell, dir: &Path) -> String {
    let shown = dir.to_string_lossy();
    match shell {
        Shell::Posix | Shell::Bash | Shell::Zsh => format!("export PATH=\"{shown}:$PATH\""),
        Shell::Fish => format!("fish_add_path {shown}"),
        Shell::Tcsh => format!("setenv PATH \"{shown}:$PATH\""),
        Shell::Xonsh => format!("$PATH.insert(0, \"{shown}\")"),
        Shell::Nushell => format!("$env.PATH = ($env.PATH | prepend \"{shown}\")"),
        Shell::Elvish => format!("set paths = ['{shown}' $@paths]"),
        Shell::Pwsh => format!("$env:PATH = '{shown}:' + $env:PATH"),
    }
}

/// `path` as a double-quoted sh word, with `\`, `"`, `$` and `` ` `` escaped.
pub fn sh_quote(path: &Path, home: &Path) -> String {
    let quote = |text: &str| format!("\"{}\"", escape(text, &['\\', '"', '$', '`'], "\\"));
    relative(
        path,
        home,
        "\"$HOME\"",
        |rest| format!("\"$HOME/{}", &quote(rest)[1..]),
        quote,
    )
}

/// `path` as a double-quoted fish word (fish has no backquote expansion).
pub fn fish_quote(path: &Path, home: &Path) -> String {
    let quote = |text: &str| format!("\"{}\"", escape(text, &['\\', '"', '$'], "\\"));
    relative(
        path,
        home,
        "\"$HOME\"",
        |rest| format!("\"$HOME/{}", &quote(rest)[1..]),
        quote,
    )
}

/// `path` as a csh word: `"$HOME"` then single quotes, where `'` is written `'\''` and `!`
/// (history) `\!`. `None` for a newline, which csh cannot quote.
pub fn csh_quote(path: &Path, home: &Path) -> Option<String> {
    if path.to_string_lossy().contains(['\n', '\r']) {
        return None;
    }
    let quote = |text: &str| {
        let text = text.replace('\'', "'\\''").replace('!', "\\!");
        format!("'{text}'")
    };
    Some(relative(
        path,
        home,
        "\"$HOME\"",
        |rest| format!("\"$HOME\"{}", quote(&format!("/{rest}"))),
        quote,
    ))
}

/// `path` as a Python (xonsh) string expression.
pub fn python_quote(path: &Path, home: &Path) -> String {
    let quote = |text: &str| {
        let text = escape(text, &['\\', '"'], "\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("\"{text}\"")
    };
    relative(
        path,
        home,
        "$HOME",
        |rest| format!("($HOME + {})", quote(&format!("/{rest}"))),
        quote,
    )
}

/// `path` as a nushell expression.
pub fn nu_quote(path: &Path, home: &Path) -> String {
    let quote = |text: &str| {
        let text = escape(text, &['\\', '"'], "\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r")
            .replace('\t', "\\t");
        format!("\"{text}\"")
    };
    relative(
        path,
        home,
        "$env.HOME",
        |rest| format!("($env.HOME | path join {})", quote(rest)),
        quote,
    )
}

/// `path` as an elvish word: `$E:HOME` compounded with a single-quoted rest (`''` is `'`).
pub fn elvish_quote(path: &Path, home: &Path) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    relative(
        path,
        home,
        "$E:HOME",
        |rest| format!("$E:HOME{}", quote(&format!("/{rest}"))),
        quote,
    )
}

/// `path` as a PowerShell expression; in single quotes every kind of single quote
/// PowerShell accepts (`'`, `‘`, `’`, `‚`, `‛`) is doubled.
pub fn powershell_quote(path: &Path, home: &Path) -> String {
    let quote = |text: &str| {
        let quoted: String = text
            .chars()
            .flat_map(|c| {
                let twice = matches!(c, '\'' | '‘' | '’' | '‚' | '‛');
                std::iter::repeat_n(c, if twice { 2 } else { 1 })
            })
            .collect();
        format!("'{quoted}'")
    };
    relative(
        path,
        home,
        "$HOME",
        |rest| format!("($HOME + {})", quote(&format!("/{rest}"))),
        quote,
    )
}

/// `path` written as `at_home` when it is `home`, `under_home(rest)` when inside it, and
/// `absolute(path)` otherwise.
fn relative(
    path: &Path,
    home: &Path,
    at_home: &str,
    under_home: impl Fn(&str) -> String,
    absolute: impl Fn(&str) -> String,
) -> String {
    match path.strip_prefix(home) {
        Ok(rest) if rest.as_os_str().is_empty() => at_home.to_string(),
        Ok(rest) => under_home(&rest.to_string_lossy()),
        Err(_) => absolute(&path.to_string_lossy()),
    }
}

/// `text` with `escape` written before every character in `special`.
fn escape(text: &str, special: &[char], escape: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if special.contains(&c) {
            escaped.push_str(escape);
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: &str = "/home/u";

    fn home() -> &'static Path {
        Path::new(HOME)
    }

    #[test]
    fn scripts_name_the_directory_relative_to_home() {
        let sh = env_script(Path::new("/home/u/.local/bin"), home());
        assert!(sh.contains("*:\"$HOME/.local/bin\":*) ;;"), "{sh}");
        assert!(
            sh.contains("export PATH=\"$HOME/.local/bin\"\"${PATH:+:$PATH}\""),
            "{sh}"
        );
        let fish = fish_script(Path::new("/opt/caro bin"), home());
        assert!(
            fish.contains("if not contains -- \"/opt/caro bin\" $PATH"),
            "{fish}"
        );
        let csh = csh_script(Path::new("/home/u/.local/bin"), home()).unwrap();
        assert!(
            csh.contains("set _caro_dir = \"$HOME\"'/.local/bin'\n"),
            "{csh}"
        );
        let xonsh = xonsh_script(Path::new("/home/u/.local/bin"), home());
        assert!(
            xonsh.contains("if ($HOME + \"/.local/bin\") not in $PATH:\n"),
            "{xonsh}"
        );
        let nu = nu_script(Path::new("/opt/bin"), home());
        assert!(nu.contains("prepend \"/opt/bin\")"), "{nu}");
        for text in [sh, fish, csh, xonsh, nu] {
            assert!(is_own_file(&text), "{text}");
        }
    }

    #[test]
    fn quoting_escapes_what_each_shell_would_expand() {
        let odd = Path::new("/opt/a\"b$c`d\\e'f!g");
        assert_eq!(sh_quote(odd, home()), "\"/opt/a\\\"b\\$c\\`d\\\\e'f!g\"");
        assert_eq!(
            fish_quote(Path::new("/home/u/$x"), home()),
            "\"$HOME/\\$x\""
        );
        assert_eq!(
            csh_quote(odd, home()).unwrap(),
            "'/opt/a\"b$c`d\\e'\\''f\\!g'"
        );
        assert_eq!(csh_quote(Path::new("/opt/a\nb"), home()), None);
        assert_eq!(python_quote(odd, home()), "\"/opt/a\\\"b$c`d\\\\e'f!g\"");
        assert_eq!(nu_quote(odd, home()), "\"/opt/a\\\"b$c`d\\\\e'f!g\"");
        assert_eq!(
            nu_quote(Path::new("/home/u/.local/bin"), home()),
            "($env.HOME | path join \".local/bin\")"
        );
        assert_eq!(elvish_quote(odd, home()), "'/opt/a\"b$c`d\\e''f!g'");
        assert_eq!(
            powershell_quote(Path::new("/home/u/it’s"), home()),
            "($HOME + '/it’’s')"
        );
    }

    #[test]
    fn each_line_is_marked_and_recognised() {
        let dir = Path::new("/home/u/.local/bin");
        let lines = [
            source_line(Path::new("/home/u/.config/caro/env"), home()),
            csh_source_line(Path::new("/home/u/.config/caro/env.csh"), home()).unwrap(),
            elvish_line(dir, home()),
            powershell_line(dir, home()),
        ];
        assert_eq!(
            lines,
            [
                ". \"$HOME/.config/caro/env\" # added by caro-install",
                "source \"$HOME\"'/.config/caro/env.csh' # added by caro-install",
                "if (not (has-value $paths $E:HOME'/.local/bin')) { set paths = [$E:HOME'/.local/bin' $@paths] } # added by caro-install",
                "if (($env:PATH -split ':') -notcontains ($HOME + '/.local/bin')) { $env:PATH = ($HOME + '/.local/bin') + ':' + $env:PATH } # added by caro-install",
            ]
        );
        for line in &lines {
            assert!(is_marked_line(line), "{line}");
        }
        assert!(!is_marked_line("echo hi # added by caro-install"));
        assert!(!is_marked_line(". ~/.config/caro/env"));
    }
}
