//! The machine's files: the install directory, its lock, the receipt, and files
//! caro-install did not create.
//!
//! Each variant is followed by its help: what the user can do about it, phrased for the
//! `invocation` (caro-install's flags, or the host program's command). `mod.rs` says how
//! the groups become the one `Error`.

macro_rules! local_errors {
    ([$next:ident $(, $rest:ident)*] $($done:tt)*) => {
        $next! { [$($rest),*] $($done)*

            /// A file system operation failed; names the operation and the path.
            #[error("could not {operation} `{}`", path.display())]
            File {
                /// What was being done, as a verb phrase (`create directory`, `rename into place`).
                operation: &'static str,
                /// The path it was done to.
                path: PathBuf,
                /// The operating system's error.
                #[source]
                source: io::Error,
            }
            => help(invocation) {
                Some("check that the path exists and that you may write to it".to_string())
            }

            /// A file caro-install did not create, refused by the guarded open
            /// (`files::read_regular`): a FIFO, a device, a folder,
            /// another user's file behind a symlink, a file too large, or a read that hung.
            #[error("refusing to {operation} `{}`", path.display())]
            UnsafeFile {
                /// What was to be done (`read the receipt`, `read the sidecar`).
                operation: &'static str,
                /// The path.
                path: PathBuf,
                /// What was found there.
                #[source]
                refused: Refused,
            }
            => help(invocation) {
                Some(format!(
                    "replace `{}` with a regular file you own (or remove it), then run this again",
                    path.display()
                ))
            }

            /// The install directory's path names a file.
            #[error("the install directory `{path}` is a file, not a directory")]
            InstallDirIsAFile {
                /// The path.
                path: PathBuf,
            }
            => help(invocation) {
                Some("pass the directory to install into with --install-dir (or CARO_INSTALL_DIR)"
                .to_string())
            }

            /// An install directory others can change files in, where a download could be swapped.
            #[error("refusing to install into `{path}`: {reason}")]
            UnsafeInstallDir {
                /// The directory.
                path: PathBuf,
                /// What makes it unsafe.
                reason: String,
            }
            => help(invocation) {
                let instead = if invocation.hosted {
                    "move the program to a folder only you can write to"
                } else {
                    "choose a directory only you can write to with --install-dir"
                };
                Some(format!(
                    "make it writable by its owner only (`chmod go-w {}`), or {instead}",
                    path.display()
                ))
            }

            /// Another process held the install directory's lock for longer than we wait.
            #[error(
                "`{}` is locked by {} and stayed locked for {seconds} s",
                path.display(),
                safe(holder.as_deref().unwrap_or("another caro-install"))
            )]
            LockTimeout {
                /// The install directory.
                path: PathBuf,
                /// The process holding it, when the system tells.
                holder: Option<String>,
                /// How long we waited.
                seconds: u64,
            }
            => help(invocation) {
                Some("another install or update is running there (or is \
                 stuck): wait for it to end, or stop it, then run this again"
                .to_string())
            }

            /// A receipt file far larger than any receipt: not read, since reading it whole would
            /// cost its size in memory.
            #[error(
                "the receipt `{path}` is larger than {limit} bytes, so it is not a receipt \
                 caro-install wrote"
            )]
            ReceiptTooLarge {
                /// The receipt path.
                path: PathBuf,
                /// The most a receipt may hold.
                limit: u64,
            }
            => help(invocation) {
                Some(format!(
                    "delete `{}` and install again, or pass `--install-dir`",
                    path.display()
                ))
            }

            /// The receipt exists but is not valid JSON of the expected shape.
            #[error("the install receipt `{}` is corrupt", path.display())]
            CorruptReceipt {
                /// The receipt path.
                path: PathBuf,
                /// The parser's error.
                #[source]
                source: serde_json::Error,
            }
            => help(invocation) {
                Some(format!(
                    "delete `{}` and install again, or pass `--install-dir`",
                    path.display()
                ))
            }

            /// The receipt names an install directory holding no caro: it was edited, or caro was
            /// removed by hand. Update writes nothing there.
            #[error(
                "the receipt `{}` says caro is at `{}`, but there is no caro there",
                receipt.display(),
                safe(&binary.to_string_lossy())
            )]
            NotInstalledThere {
                /// The receipt.
                receipt: PathBuf,
                /// Where it says caro is.
                binary: PathBuf,
            }
            => help(invocation) {
                Some(format!(
                    "install caro again (`caro-install --install-dir <DIR>`), which writes a new \
                     receipt; or delete `{}` if caro is gone",
                    receipt.display()
                ))
            }

            /// `update` needs the receipt to know what to update.
            #[error("no install receipt at `{}`, so there is no caro installed by caro-install to \
                     update", path.display())]
            NoReceipt {
                /// Where the receipt was looked for.
                path: PathBuf,
            }
            => help(invocation) {
                Some(
                    "to install caro, run `caro-install`; if it is installed in another \
                     folder, `caro-install --install-dir <DIR>` installs it there again with a \
                     receipt"
                        .to_string(),
                )
            }

            /// An install directory this user may not write to (or create), such as
            /// `/usr/local/bin` for a user other than root.
            #[error("you may not write to the install directory `{}`", path.display())]
            InstallDirNotWritable {
                /// The directory (or the parent that could not be written, to create it).
                path: PathBuf,
                /// The default install directory, when it is another one: what to use instead.
                default: Option<PathBuf>,
            }
            => help(invocation) {
                Some(match default {
                    Some(default) => format!(
                        "install into `{}`, the default (leave out --install-dir and \
                         CARO_INSTALL_DIR), or into another folder you own with --install-dir",
                        default.display()
                    ),
                    None => "install into a folder you own with --install-dir".to_string(),
                })
            }

        }
    };
}
