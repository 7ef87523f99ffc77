//! What the user gave: flags, variables, paths, consent.
//!
//! Each variant is followed by its help: what the user can do about it, phrased for the
//! `invocation` (caro-install's flags, or the host program's command). `mod.rs` says how
//! the groups become the one `Error`.

macro_rules! input_errors {
    ([$next:ident $(, $rest:ident)*] $($done:tt)*) => {
        $next! { [$($rest),*] $($done)*

            /// A version string that is neither `latest` nor a semantic version.
            #[error("invalid version `{}`: {}", safe(input), safe(reason))]
            InvalidVersion {
                /// What the user gave.
                input: String,
                /// Why it was rejected.
                reason: String,
            }
            => help(invocation) {
                Some("pass a version like `1.0.2`, `v1.0.2`, `1.1.0-beta.2` or `latest`".into())
            }

            /// A `--platform` / `CARO_INSTALL_PLATFORM` value that is not a key of docs/platforms.md.
            #[error("unknown platform `{}`", safe(input))]
            UnknownPlatform {
                /// What the user gave.
                input: String,
                /// The keys there are, comma-separated (given by `platform`, so this module needs
                /// no import of it).
                known: String,
            }
            => help(invocation) {
                Some(format!("use one of: {known}"))
            }

            /// A machine caro has no build for.
            #[error("caro has no build for {os} on {arch}")]
            UnsupportedMachine {
                /// The detected operating system.
                os: String,
                /// The detected CPU architecture.
                arch: String,
            }
            => help(invocation) {
                Some("build it yourself with `cargo install caro --locked`".to_string())
            }

            /// An environment variable with a value that cannot be used.
            #[error(
                "{name} is set to `{}`, which is not {expected}",
                safe(&redact_urls(value))
            )]
            InvalidVariable {
                /// The variable.
                name: &'static str,
                /// Its value.
                value: String,
                /// What it should be.
                expected: &'static str,
            }
            => help(invocation) {
                Some(format!("unset {name}, or set it to {expected}"))
            }

            /// A path that no shell could use (a line break, or PATH's separator).
            #[error("{what} `{value}` cannot be used: {reason}")]
            UnusablePath {
                /// Which path: the install directory, or a variable's name.
                what: String,
                /// The path, with control characters escaped.
                value: String,
                /// Why it cannot work.
                reason: String,
            }
            => help(invocation) {
                Some(if what.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                    format!("set {what} to a path without line breaks, or pass --no-modify-path")
                } else {
                    "choose an install directory without it with --install-dir (or CARO_INSTALL_DIR), \
                     or pass --no-modify-path and set PATH yourself"
                        .to_string()
                })
            }

            /// No home directory to install into or to find the receipt in.
            #[error("cannot find the home directory (HOME is not set)")]
            NoHome
            => help(invocation) {
                Some(if invocation.hosted {
                    "set HOME to your home folder".to_string()
                } else {
                    // `--install-dir` alone would not do: the receipt lives under HOME too.
                    "set HOME, or install into one folder with no receipt and no PATH edits: \
                     CARO_UNMANAGED_INSTALL=<DIR>"
                        .to_string()
                })
            }

            /// An install directory that is empty.
            #[error("the install directory is empty")]
            EmptyInstallDir
            => help(invocation) {
                Some("pass a directory to `--install-dir`".to_string())
            }

            /// A step needs the user's consent and there is no terminal to ask on.
            #[error("{action} needs confirmation, and there is no terminal to ask on")]
            NeedsConfirmation {
                /// What would have been done.
                action: String,
                /// The flag that gives consent.
                flag: &'static str,
            }
            => help(invocation) {
                Some(format!("pass `{flag}` to go ahead"))
            }

            /// The user answered no.
            #[error("cancelled: {action}")]
            Cancelled {
                /// What was not done.
                action: String,
            }
            // Nothing to do: the user chose this, and the binary says so in a note.
            => help(invocation) { None }

            /// Run as root with a `HOME` another user owns (sudo keeping `HOME`): every file
            /// written there (startup files, `.config`, `.local/bin`) would be left owned by root.
            #[error(
                "refusing to write to `{}` as root: it belongs to another user (uid {owner})",
                home.display()
            )]
            ForeignHome {
                /// The home directory.
                home: PathBuf,
                /// Its owner.
                owner: u32,
            }
            => help(invocation) {
                Some(
                    "run it as that user, or with `sudo -H` so HOME is root's own; or set \
                     CARO_UNMANAGED_INSTALL=<dir> to install into a folder only"
                        .to_string(),
                )
            }

        }
    };
}
