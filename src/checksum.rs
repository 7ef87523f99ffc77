//! Reading `.sha256` sidecars and comparing digests.
//!
//! Release tools write sidecars in several dialects, and a user-facing installer has to take
//! them all: a bare `HEX`, GNU coreutils' `HEX  name` and binary-mode `HEX *name`, and BSD's
//! `SHA256 (name) = HEX`, in any letter case, with CRLF or LF line ends. What it must never
//! do is guess: a sidecar that holds no digest (an HTML error page from a mirror, say) is
//! an error, and so is a sidecar with several entries none of which names the asset.

use std::fmt;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Parses 64 hexadecimal digits, in any case.
    pub fn from_hex(hex: &str) -> Option<Digest> {
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let digit = |c: u8| char::from(c).to_digit(16);
            *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
        }
        Some(Digest(bytes))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// The largest sidecar read; a real one is under 200 bytes.
pub const MAX_SIDECAR_BYTES: u64 = 64 * 1024;

/// Reads the digest for `asset_name` out of a sidecar's text.
///
/// A single entry is taken whatever file name it carries: the sidecar is bound to the asset
/// by its URL (`<asset>.sha256`), and release tools disagree on which name to write. With
/// several entries (a `SHA256SUMS`-style file), the one naming `asset_name` is taken.
/// The error is a sentence saying what was wrong.
pub fn parse_sidecar(text: &str, asset_name: &str) -> Result<Digest, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let entries: Vec<(Digest, Option<&str>)> = text
        .lines()
        .map(|line| line.trim_end_matches('\r').trim())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| parse_line(line).ok_or(line))
        .collect::<Result<_, _>>()
        .map_err(|line| {
            let shown: String = line.chars().take(60).collect();
            format!(
                "the line `{}` is not `HEX`, `HEX  name`, `HEX *name` or `SHA256 (name) = HEX`",
                shown.escape_debug()
            )
        })?;
    match entries.as_slice() {
        [] => Err("it is empty".to_string()),
        [(digest, _)] => Ok(*digest),
        many => many
            .iter()
            .find(|(_, name)| name.is_some_and(|name| file_name(name) == asset_name))
            .map(|(digest, _)| *digest)
            .ok_or_else(|| format!("it lists {} files and none is `{asset_name}`", many.len())),
    }
}

/// One sidecar line: the digest and the file name it carries, if any.
fn parse_line(line: &str) -> Option<(Digest, Option<&str>)> {
    if let Some(rest) = line
        .strip_prefix("SHA256 (")
        .or_else(|| line.strip_prefix("sha256 ("))
    {
        let (name, hex) = rest.rsplit_once(") = ")?;
        return Some((Digest::from_hex(hex.trim())?, Some(name)));
    }
    let (hex, name) = match line.split_once(char::is_whitespace) {
        Some((hex, name)) => (hex, Some(name.trim_start().trim_start_matches('*'))),
        None => (line, None),
    };
    Some((Digest::from_hex(hex)?, name.filter(|n| !n.is_empty())))
}

/// The last path component of a name in a sidecar (`./dist/caro-1.0.3` -> `caro-1.0.3`).
fn file_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

    #[test]
    fn every_accepted_form_gives_the_same_digest() {
        let expected = Digest::from_hex(HEX).unwrap();
        let upper = HEX.to_uppercase();
        for text in [
            HEX.to_string(),
            format!("{HEX}\n"),
            format!("{HEX}  caro-1.0.3-linux-amd64\n"),
            format!("{HEX} *caro-1.0.3-linux-amd64\r\n"),
            format!("SHA256 (caro-1.0.3-linux-amd64) = {HEX}\n"),
            format!("{upper}  caro-1.0.3-linux-amd64"),
            format!("SHA256 (caro-1.0.3-linux-amd64) = {upper}\r\n"),
        ] {
            assert_eq!(
                parse_sidecar(&text, "caro-1.0.3-linux-amd64"),
                Ok(expected),
                "{text:?}"
            );
        }
    }

    #[test]
    fn several_entries_pick_the_asset() {
        let other = "0".repeat(64);
        let text =
            format!("{other}  caro-1.0.3-macos-intel\n{HEX}  ./dist/caro-1.0.3-linux-amd64\n");
        assert_eq!(
            parse_sidecar(&text, "caro-1.0.3-linux-amd64")
                .unwrap()
                .to_string(),
            HEX
        );
        let error = parse_sidecar(&text, "caro-1.0.3-windows-amd64.exe").unwrap_err();
        assert!(
            error.contains("none is `caro-1.0.3-windows-amd64.exe`"),
            "{error}"
        );
    }

    #[test]
    fn html_or_garbage_is_rejected() {
        for text in [
            "<html><body>Not Found</body></html>",
            "abc",
            "",
            "\n\n",
            &HEX[..63],
            &format!("{HEX}0"),
        ] {
            assert!(parse_sidecar(text, "caro").is_err(), "{text:?}");
        }
        let error = parse_sidecar("<!DOCTYPE html>", "caro").unwrap_err();
        assert!(error.contains("<!DOCTYPE html>"), "{error}");
    }

    #[test]
    fn digest_displays_as_lower_hex() {
        assert_eq!(
            Digest::from_hex(&HEX.to_uppercase()).unwrap().to_string(),
            HEX
        );
        assert_eq!(Digest::from_hex("zz".repeat(32).as_str()), None);
    }
}
