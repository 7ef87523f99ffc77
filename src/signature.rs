//! minisign signatures (docs/security.md): verification beyond sha256.
//!
//! A `.sha256` sidecar proves the download is what the release host serves, not that the
//! release host serves what caro's maintainers built: whoever can change a release can
//! change both the asset and its sidecar. A minisign signature made with a key that never
//! leaves the maintainers closes that gap. When a public key is pinned (built in, or
//! `CARO_INSTALL_MINISIGN_PUBKEY`), `<asset>.minisig` must exist and verify or nothing is
//! installed; without a pinned key, `--require-signature` makes that an error too.
//!
//! A valid signature alone proves only that the maintainers signed *some* file: the signed
//! 1.0.2 served as 1.0.3, or the arm64 build served as amd64, verifies just as well. So the
//! signature's trusted comment (which the signature covers) must be exactly
//! `file:<asset name> version:<V>`, as our `dist` writes it: the very file that was asked
//! for *and* the version it was published as. The name alone is not enough: a legacy name
//! (`caro-linux-amd64`) is the same in every release, so an old signed legacy build served
//! under a newer tag would name the right file (docs/security.md).
//! Releases are signed in pre-hashed mode (minisign's default since 0.8), which verifies a
//! file of any size in one streaming pass.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use minisign_verify::{PublicKey, Signature};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::names;
use crate::release::Version;

/// caro's release signing key, built in once caro signs its releases. Until then a key is
/// pinned with `CARO_INSTALL_MINISIGN_PUBKEY`.
pub const BUILT_IN_KEY: Option<&str> = None;

/// The largest `.minisig` read; a real one is about 300 bytes.
pub const MAX_SIGNATURE_BYTES: u64 = 4096;

/// What to demand of signatures for one install or update.
#[derive(Clone, Default)]
pub struct Policy {
    key: Option<PublicKey>,
    /// `--require-signature`: a missing `.minisig` is an error.
    pub require: bool,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("key", &self.key.is_some())
            .field("require", &self.require)
            .finish()
    }
}

impl Policy {
    /// The policy for `env`: the key of `CARO_INSTALL_MINISIGN_PUBKEY` (a base64 key line,
    /// or a whole `.pub` file's text), else the built-in key. Requiring a signature with no
    /// key pinned is an error, since nothing could verify it.
    pub fn from_env(env: &Env, require: bool) -> Result<Policy> {
        let text = env.var("CARO_INSTALL_MINISIGN_PUBKEY").or(BUILT_IN_KEY);
        let key = match text {
            Some(text) => {
                Some(
                    parse_public_key(text).map_err(|reason| Error::InvalidVariable {
                        name: "CARO_INSTALL_MINISIGN_PUBKEY",
                        value: format!("{} ({reason})", text.trim()),
                        expected: "a minisign public key (the `RW...` line of a .pub file)",
                    })?,
                )
            }
            None => None,
        };
        if require && key.is_none() {
            return Err(Error::NoSigningKey);
        }
        Ok(Policy { key, require })
    }

    /// The pinned key, if any.
    pub fn key(&self) -> Option<&PublicKey> {
        self.key.as_ref()
    }
}

/// Parses a public key given as its base64 line or as a whole `.pub` file.
pub fn parse_public_key(text: &str) -> Result<PublicKey, String> {
    let text = text.trim();
    let result = if text.contains('\n') {
        PublicKey::decode(text)
    } else {
        PublicKey::from_base64(text)
    };
    result.map_err(|e| e.to_string())
}

/// Checks that `signature` (a `.minisig` file's text) signs the contents of `file` with
/// `key`, and that its trusted comment is `names::trusted_comment(asset_name, version)`
/// (`file:<asset> version:<V>`, compared whole: nothing added or left out); the
/// error is a sentence saying what is wrong.
pub fn verify(
    key: &PublicKey,
    signature: &str,
    file: &mut File,
    asset_name: &str,
    version: &Version,
) -> Result<(), String> {
    let signature = Signature::decode(signature)
        .map_err(|e| format!("it is not a minisign signature ({e})"))?;
    let mut verifier = key.verify_stream(&signature).map_err(|e| match e {
        minisign_verify::Error::UnexpectedKeyId => {
            "it was made with another key than the pinned one".to_string()
        }
        minisign_verify::Error::UnsupportedLegacyMode => {
            "it is a legacy (not pre-hashed) signature; sign with minisign 0.8 or later".to_string()
        }
        other => other.to_string(),
    })?;
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut buffer = vec![0u8; 128 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => verifier.update(&buffer[..n]),
            Err(e) => return Err(e.to_string()),
        }
    }
    verifier
        .finalize()
        .map_err(|_| "it does not match the downloaded file".to_string())?;
    let comment = signature.trusted_comment();
    let expected = names::trusted_comment(asset_name, version);
    if comment == expected {
        return Ok(());
    }
    Err(format!(
        "it signs another file or version: its trusted comment is `{}`, not `{expected}` \
         (a signed build replayed under another name or tag)",
        crate::report::safe(comment)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_rejected_with_the_variable_name() {
        let env = Env::from_vars([("CARO_INSTALL_MINISIGN_PUBKEY", "not a key")]);
        let error = Policy::from_env(&env, false).unwrap_err();
        assert!(
            error.to_string().contains("CARO_INSTALL_MINISIGN_PUBKEY"),
            "{error}"
        );
    }

    #[test]
    fn requiring_a_signature_needs_a_key() {
        assert!(matches!(
            Policy::from_env(&Env::default(), true),
            Err(Error::NoSigningKey)
        ));
        assert!(
            Policy::from_env(&Env::default(), false)
                .unwrap()
                .key()
                .is_none()
        );
    }

    #[test]
    fn the_trusted_comment_names_the_file_and_the_version() {
        let v103 = Version::parse("1.0.3").unwrap();
        assert_eq!(
            names::trusted_comment("caro-linux-amd64", &v103),
            "file:caro-linux-amd64 version:1.0.3"
        );
        assert_eq!(
            names::trusted_comment(
                "caro-1.1.0-beta.2-linux-amd64",
                &Version::parse("1.1.0-beta.2").unwrap()
            ),
            "file:caro-1.1.0-beta.2-linux-amd64 version:1.1.0-beta.2"
        );
    }

    #[test]
    fn a_pub_file_or_its_key_line_both_parse() {
        let line = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
        assert!(parse_public_key(line).is_ok());
        let file = format!("untrusted comment: minisign public key E7620F1842B4E81F\n{line}\n");
        assert!(parse_public_key(&file).is_ok());
    }
}
