//! How the library tells the user what it is doing, without printing anything itself.
//!
//! caro embeds this crate for `caro self-update` and must decide on its own what reaches its
//! terminal, so every message and every progress tick goes through a [`Reporter`] the
//! caller supplies. The `caro-install` binary's reporter (in `cli.rs`) prints to stderr and
//! draws an indicatif progress bar on a terminal; [`Silent`] drops everything.

/// Receives what the installer has to say. Every method has a do-nothing default.
pub trait Reporter: Send + Sync {
    /// A step the user should see (`installed caro 1.0.3 to ...`).
    fn info(&self, _message: &str) {}

    /// Something the user should know about that did not stop the work.
    fn warn(&self, _message: &str) {}

    /// Detail for `--verbose`: each request, each file operation.
    fn detail(&self, _message: &str) {}

    /// A transfer starts; `total` is its size when known.
    fn download_started(&self, _url: &str, _total: Option<u64>) {}

    /// `done` bytes of the current transfer have arrived.
    fn download_progress(&self, _done: u64) {}

    /// The current transfer ended, successfully or not.
    fn download_finished(&self) {}

    /// Asks a yes/no question; `None` when there is no one to ask (no terminal).
    fn confirm(&self, _question: &str) -> Option<bool> {
        None
    }
}

/// A reporter that drops every message and never confirms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Reporter for Silent {}

/// A reporter that hands `inner` every message [`printable`]: what the library gives a
/// host's own reporter (caro's) through [`SelfUpdate`](crate::SelfUpdate), so a host that
/// prints messages as they come prints no escape sequence and no password.
pub struct Printable<'a>(pub &'a dyn Reporter);

impl Reporter for Printable<'_> {
    fn info(&self, message: &str) {
        self.0.info(&printable(message));
    }

    fn warn(&self, message: &str) {
        self.0.warn(&printable(message));
    }

    fn detail(&self, message: &str) {
        self.0.detail(&printable(message));
    }

    fn download_started(&self, url: &str, total: Option<u64>) {
        self.0.download_started(&printable(url), total);
    }

    fn download_progress(&self, done: u64) {
        self.0.download_progress(done);
    }

    fn download_finished(&self) {
        self.0.download_finished();
    }

    fn confirm(&self, question: &str) -> Option<bool> {
        self.0.confirm(&printable(question))
    }
}

/// Text from outside (a receipt field, a server's answer, a file or process name, a version
/// string, a variable's value) made safe to print as one field: every control character
/// (C0, DEL, C1, including the line breaks a field must not have) and every bidirectional
/// override is shown escaped (`\u{1b}`), so such text cannot move the cursor, retitle the
/// window, clear the screen, fake a line of our own, or hide what follows. Text without any
/// is returned as it is, without a copy.
pub fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, false)
}

/// A whole message made safe to print: as [`safe`], except that its line breaks and tabs
/// stay (messages of several lines are ours). What a [`Reporter`] prints goes through it.
pub fn safe_lines(text: &str) -> std::borrow::Cow<'_, str> {
    escape(text, true)
}

/// `url` with its userinfo (`user:password@`) replaced by `***`, for anything shown or
/// stored: a password in a mirror's or a proxy's URL never reaches a message, `-v`, `status`
/// or the receipt. A URL without a scheme (`user:pw@proxy:3128`) is read as an authority.
pub fn redact_url(url: &str) -> std::borrow::Cow<'_, str> {
    let start = url.find("://").map_or(0, |at| at + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    match url[start..end].rfind('@') {
        Some(at) => std::borrow::Cow::Owned(format!("{}***{}", &url[..start], &url[start + at..])),
        None => std::borrow::Cow::Borrowed(url),
    }
}

/// `text` with the userinfo of every URL in it redacted by [`redact_url`]: for messages
/// that quote a URL among other words (an error, a `-v` line). A URL runs from its scheme
/// to the first white space, quote, backtick, bracket or parenthesis.
pub fn redact_urls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return std::borrow::Cow::Borrowed(text);
    }
    let ends_url = |c: char| c.is_whitespace() || "`'\"<>()[]".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = rest[..at].rfind(ends_url).map_or(0, |n| n + 1);
        let end = rest[at..].find(ends_url).map_or(rest.len(), |n| at + n);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    if out == text {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(out)
    }
}

/// A message as it may be printed: URLs' userinfo redacted (`redact_urls`) and control
/// characters escaped (`safe_lines`). The binary's reporter and the library's hosted
/// errors print only through it.
pub fn printable(text: &str) -> String {
    safe_lines(&redact_urls(text)).into_owned()
}

fn escape(text: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| (c.is_control() && !(keep_lines && matches!(c, '\n' | '\t'))) || is_bidi(c);
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                _ => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Returns true if and only if `c` reorders the text around it when shown (the Unicode
/// bidirectional embeddings, overrides and isolates, and the marks).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_not_copied() {
        assert!(matches!(
            safe("caro 1.0.3 ünïcode"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert!(matches!(
            safe_lines("a\nb\tc"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn userinfo_is_redacted_wherever_a_url_is_shown() {
        assert_eq!(
            redact_url("https://me:s3cret@mirror.example/wildcard/caro"),
            "https://***@mirror.example/wildcard/caro"
        );
        assert_eq!(redact_url("me:s3cret@proxy:3128"), "***@proxy:3128");
        assert_eq!(
            redact_url("https://github.com/a@b"),
            "https://github.com/a@b"
        );
        assert_eq!(
            redact_urls("GET `http://u:p@127.0.0.1:1/x` then https://t@h/y, and mail@example.com"),
            "GET `http://***@127.0.0.1:1/x` then https://***@h/y, and mail@example.com"
        );
        assert!(matches!(
            redact_urls("no url at all"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            printable("\u{1b}[31mhttps://u:p@h/"),
            "\\u{1b}[31mhttps://***@h/"
        );
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(safe("\u{1b}]0;owned\u{7}x"), "\\u{1b}]0;owned\\u{7}x");
        assert_eq!(safe("a\r\nb\u{9b}2J"), "a\\r\\nb\\u{9b}2J");
        assert_eq!(safe("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(safe_lines("one\n\u{1b}[2Jtwo\r"), "one\n\\u{1b}[2Jtwo\\r");
    }
}
