//! What the bytes must prove before they are used: sidecar, digest, signature, archive,
//! start-up.
//!
//! Each variant is followed by its help: what the user can do about it, phrased for the
//! `invocation` (caro-install's flags, or the host program's command). `mod.rs` says how
//! the groups become the one `Error`.

macro_rules! verify_errors {
    ([$next:ident $(, $rest:ident)*] $($done:tt)*) => {
        $next! { [$($rest),*] $($done)*

            /// The `.sha256` sidecar does not exist: the installer fails closed.
            #[error("the checksum file `{url}` is missing, so `{asset}` cannot be verified")]
            MissingSidecar {
                /// The sidecar URL.
                url: String,
                /// The asset it should verify.
                asset: String,
            }
            => help(invocation) {
                Some(broken_release(invocation))
            }

            /// The sidecar exists but holds no usable digest.
            #[error("the checksum file `{url}` is not a sha256 sidecar: {reason}")]
            InvalidSidecar {
                /// The sidecar URL.
                url: String,
                /// What was wrong with it.
                reason: String,
            }
            => help(invocation) {
                Some(broken_release(invocation))
            }

            /// The downloaded bytes do not hash to the published digest.
            #[error(
                "checksum mismatch for `{asset}`\n  expected sha256: {expected}\n  \
                 actual sha256:   {actual}"
            )]
            ChecksumMismatch {
                /// The asset URL.
                asset: String,
                /// The digest from the sidecar.
                expected: String,
                /// The digest of what was downloaded.
                actual: String,
            }
            => help(invocation) {
                Some("the download was corrupted or tampered with; \
                 nothing was installed. Run the command again, and report it if it persists"
                .to_string())
            }

            /// `--require-signature` with no public key to verify against.
            #[error("a signature is required, but no minisign public key is pinned")]
            NoSigningKey
            => help(invocation) {
                Some("set CARO_INSTALL_MINISIGN_PUBKEY to the publisher's minisign public key".into())
            }

            /// A key is pinned and the release has no signature for the asset.
            #[error("the signature `{url}` is missing, and a signature is required")]
            MissingSignature {
                /// The `.minisig` URL.
                url: String,
            }
            => help(invocation) {
                let drop_flag = if invocation.hosted { "" } else { " (and drop --require-signature)" };
                Some(format!(
                    "with a minisign key pinned, every download must be signed and nothing \
                     unsigned is installed; if this release is known to be unsigned, unset \
                     CARO_INSTALL_MINISIGN_PUBKEY{drop_flag} to rely on its sha256 alone"
                ))
            }

            /// The signature does not verify: the asset was not signed by the pinned key.
            #[error("the signature `{url}` does not verify: {reason}")]
            SignatureInvalid {
                /// The `.minisig` URL.
                url: String,
                /// Why.
                reason: String,
            }
            => help(invocation) {
                Some("the download may have been tampered with; \
                 nothing was installed. Check CARO_INSTALL_MINISIGN_PUBKEY and report it"
                .to_string())
            }

            /// An archive entry that would escape the target folder, a link, or too much data.
            #[error("refusing archive `{archive}`: {reason}")]
            UnsafeArchive {
                /// The archive URL.
                archive: String,
                /// The offending entry and why.
                reason: String,
            }
            => help(invocation) {
                Some(
                    "the release's archive is broken or hostile; nothing was installed. Report \
                     it to the publisher, or try another version"
                        .to_string(),
                )
            }

            /// An archive that could not be read.
            #[error("could not read archive `{archive}`")]
            Archive {
                /// The archive URL.
                archive: String,
                /// The decoder's error.
                #[source]
                source: io::Error,
            }
            => help(invocation) {
                Some(
                    "the archive is damaged or not what its name says; nothing was installed. \
                     Download it again, or report it to the publisher"
                        .to_string(),
                )
            }

            /// An archive without the binary where docs/releases.md says it must be.
            #[error("archive `{archive}` has no `{binary}` at its root or inside one top-level \
                     folder")]
            BinaryNotInArchive {
                /// The archive URL.
                archive: String,
                /// The binary file name looked for.
                binary: String,
            }
            => help(invocation) {
                Some(format!(
                    "the release's archive does not hold `{binary}`; report it to the publisher, or pin \
                     another version with {}",
                    invocation.pin("<VERSION>")
                ))
            }

            /// The new build did not start: it was not installed.
            #[error(
                "the new build `{}` failed its start-up check: {}",
                path.display(),
                safe(detail)
            )]
            SanityCheck {
                /// The new build (a temp file, now removed).
                path: PathBuf,
                /// What happened.
                detail: String,
            }
            => help(invocation) {
                Some(format!(
                    "the release may be broken for this platform; the old binary was kept. Try an \
                     earlier release with {}",
                    invocation.pin("<VERSION>")
                ))
            }

            /// The temp file a download was written and verified in was replaced by another file
            /// before it could be placed or run.
            #[error(
                "`{path}` was replaced by another file after it was downloaded and verified; \
                 refusing to place or run it"
            )]
            TempFileReplaced {
                /// The temp file (or the final path, when the swap came during the rename).
                path: PathBuf,
            }
            => help(invocation) {
                Some(if invocation.hosted {
                    "another program or user changed files in the folder while the update \
                     worked there; nothing was replaced. Keep the program in a folder only you \
                     can write to"
                        .to_string()
                } else {
                    "another program or user changed files in the install directory while \
                     caro-install worked there; nothing was installed. Install into a \
                     directory only you can write to (--install-dir)"
                        .to_string()
                })
            }

        }
    };
}
