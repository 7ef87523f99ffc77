//! Updates and hosts: package managers, the running copy, source builds, and errors as a
//! host program shows them.
//!
//! Each variant is followed by its help: what the user can do about it, phrased for the
//! `invocation` (caro-install's flags, or the host program's command). `mod.rs` says how
//! the groups become the one `Error`.

macro_rules! update_errors {
    ([$next:ident $(, $rest:ident)*] $($done:tt)*) => {
        $next! { [$($rest),*] $($done)*

            /// The binary belongs to a package manager.
            #[error("{app} at `{}` was installed by {manager}, so {manager} updates it: \
                     `{command}`", path.display())]
            ManagedElsewhere {
                /// The program.
                app: String,
                /// Its path.
                path: PathBuf,
                /// The manager's name.
                manager: &'static str,
                /// The manager's upgrade command.
                command: String,
            }
            => help(invocation) {
                Some(format!("update it with {command}"))
            }

            /// The running binary is not the one the receipt says was installed.
            #[error("this {app} runs from `{}`, but the installed copy is at `{}`", running.display(), installed.display())]
            NotTheInstalledCopy {
                /// The program.
                app: String,
                /// The running binary.
                running: PathBuf,
                /// The installed binary.
                installed: PathBuf,
            }
            => help(invocation) {
                Some(if invocation.hosted {
                    format!(
                        "update the installed copy instead: run `{}`",
                        invocation.run_at(installed)
                    )
                } else {
                    format!("run `{}` instead, or `caro-install update`", installed.display())
                })
            }

            /// A building from source was needed but `cargo` is not on `PATH`.
            #[error("building caro {version} from source needs `cargo`, which is not on PATH")]
            CargoMissing {
                /// The version that would have been built.
                version: String,
            }
            => help(invocation) {
                Some("install Rust from https://rustup.rs, then run the command again".to_string())
            }

            /// `cargo install` ran and failed.
            #[error("`{command}` failed ({status})")]
            CargoFailed {
                /// The command line run.
                command: String,
                /// How it exited.
                status: String,
            }
            => help(invocation) {
                Some("cargo's own output above says what failed; nothing was installed, and an \
                installed caro was left as it was"
                   .to_string())
            }

            /// An error as [`SelfUpdate`](crate::SelfUpdate) hands it to a host program: the error,
            /// its causes and its help, phrased with the host's command, in one message, so a host
            /// that prints it with `{e}` or anyhow's `{e:#}` still tells its user what to do.
            #[error("{}", hosted_message(error, help.as_deref()))]
            Hosted {
                /// The error itself (see [`Error::kind`]).
                error: Box<Error>,
                /// What the user can do, in the host's words.
                help: Option<String>,
            }
            => help(invocation) { help.clone() }

        }
    };
}
