//! Models and offline installs: bundles, the space they need, files carried onto the
//! machine, and files caro-install wrote that someone changed since.
//!
//! Each variant is followed by its help: what the user can do about it, phrased for the
//! `invocation` (caro-install's flags, or the host program's command). `mod.rs` says how
//! the groups become the one `Error`.

macro_rules! models_errors {
    ([$next:ident $(, $rest:ident)*] $($done:tt)*) => {
        $next! { [$($rest),*] $($done)*

            /// Not enough free space for what an install must write (checked before writing).
            #[error(
                "not enough free space in `{}`: {} needed, {} free ({} short)",
                folder.display(),
                human_size(*needed),
                human_size(*available),
                human_size(needed.saturating_sub(*available))
            )]
            NotEnoughSpace {
                /// The folder that would be written.
                folder: PathBuf,
                /// The bytes it would take.
                needed: u64,
                /// The bytes free there.
                available: u64,
            }
            => help(invocation) {
                Some(format!(
                    "free {} in `{}` (or set XDG_CACHE_HOME, or `--install-dir`, to a roomier \
                     disk), then run this again; nothing was changed",
                    human_size(needed.saturating_sub(*available)),
                    folder.display()
                ))
            }

            /// The release has no bundle of this model for this platform.
            #[error("caro {version} has no model bundle `{model}` for {platform} (tried `{url}`)")]
            NoModelBundle {
                /// The model asked for.
                model: String,
                /// The release.
                version: String,
                /// The platform key.
                platform: String,
                /// The bundle URL tried.
                url: String,
                /// The models the release has bundles of for this platform, when known.
                available: Option<Box<[String]>>,
            }
            => help(invocation) {
                Some(match available {
                    Some(names) if !names.is_empty() => format!(
                        "this release has bundles for: {}; pass one of them to `--with-model`",
                        names.join(", ")
                    ),
                    Some(_) => format!(
                        "this release has no model bundle for {platform}; install without \
                         `--with-model`, and caro fetches its model on first use"
                    ),
                    None => "run `caro-install models` to see the bundles a release has".to_string(),
                })
            }

            /// A verified bundle without a part every bundle must have.
            #[error("model bundle `{archive}` has no {missing}")]
            BundleIncomplete {
                /// The bundle's URL or path.
                archive: String,
                /// What is missing.
                missing: String,
            }
            => help(invocation) {
                Some(format!(
                    "the release's bundle is broken; nothing was installed. Try another version \
                     ({})",
                    invocation.pin("<VERSION>")
                ))
            }

            /// `--from-file` with a file that cannot be installed as it is.
            #[error("cannot install from `{}`: {reason}", path.display())]
            LocalFile {
                /// The file given.
                path: PathBuf,
                /// What is wrong.
                reason: String,
                /// What to do.
                help: String,
            }
            => help(invocation) { Some(help.clone()) }

            /// A release's asset list could not be had.
            #[error("cannot list the assets of caro {version} at `{url}`: {reason}")]
            NoAssetList {
                /// The release.
                version: String,
                /// Where it was asked.
                url: String,
                /// Why it failed.
                reason: String,
            }
            => help(invocation) {
                Some(
                    "point CARO_INSTALLER_API_URL at the GitHub API of the release host, or use \
                     a mirror whose release folders can be listed"
                        .to_string(),
                )
            }

            /// A `--with-model` / `CARO_INSTALL_MODEL` value no published name can hold.
            #[error("invalid model name `{input}`: {reason}")]
            InvalidModelName {
                /// What the user gave (escaped).
                input: String,
                /// Why.
                reason: String,
            }
            => help(invocation) {
                Some("pass a model name like `smollm-135m` (`caro-install models` lists them)".into())
            }

            /// A file caro-install wrote that someone changed since: it is left as it is.
            #[error("`{}` changed since caro-install wrote it: left as it is", path.display())]
            ChangedSinceInstall {
                /// The file.
                path: PathBuf,
            }
            => help(invocation) {
                Some(
                    "caro-install only replaces what it wrote; move the file away (or install \
                     into another directory with `--install-dir`), then run this again"
                        .to_string(),
                )
            }
        }
    };
}
