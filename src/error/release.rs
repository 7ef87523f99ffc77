//! Finding the release and its build: `latest`, versions, assets, the publisher's input.
//!
//! Each variant is followed by its help: what the user can do about it, phrased for the
//! `invocation` (caro-install's flags, or the host program's command). `mod.rs` says how
//! the groups become the one `Error`.

macro_rules! release_errors {
    ([$next:ident $(, $rest:ident)*] $($done:tt)*) => {
        $next! { [$($rest),*] $($done)*

            /// Neither the `releases/latest` redirect, a mirror's text body, nor the API named
            /// a tag.
            #[error("could not find the latest release of `{repo}`: {}", safe(detail))]
            LatestUnknown {
                /// The `owner/name` repository.
                repo: String,
                /// What each source answered.
                detail: String,
            }
            => help(invocation) {
                Some(format!(
                    "pin a version with {}, which needs no lookup of the latest release",
                    invocation.pin("<VERSION>")
                ))
            }

            /// Neither `releases/latest` nor the API know the repository: the base URL (or the
            /// repository) is wrong, not the version.
            #[error("no releases of `{repo}` were found at `{base_url}`: {detail}")]
            ReleasesNotFound {
                /// `CARO_INSTALLER_GITHUB_BASE_URL` as used.
                base_url: String,
                /// The `owner/name` repository.
                repo: String,
                /// The variable that names the repository: `CARO_INSTALL_REPO` for caro,
                /// `CARO_INSTALLER_REPO` for caro-install.
                repo_variable: &'static str,
                /// What each source answered.
                detail: String,
            }
            => help(invocation) {
                Some(format!(
                    "check CARO_INSTALLER_GITHUB_BASE_URL (now `{base_url}`) and \
                     {repo_variable}: together they must name a GitHub release page or a mirror \
                     of one"
                ))
            }

            /// `latest` resolved to a pre-release, which `latest` never installs.
            #[error("the latest release of `{repo}` is the pre-release `{version}`")]
            LatestIsPrerelease {
                /// The `owner/name` repository.
                repo: String,
                /// The pre-release version.
                version: String,
            }
            => help(invocation) {
                Some(format!("to install it anyway, use {}", invocation.pin(version)))
            }

            /// Not one candidate of any platform, nor the release's page, exists: the version is
            /// wrong, or the base URL is not a release host.
            #[error(
                "no {name} {version} build for platform `{platform}` was found, and release \
                 {version} does not exist at `{releases}`; tried:{}",
                list(tried)
            )]
            ReleaseNotFound {
                /// The binary name.
                name: String,
                /// The requested version.
                version: String,
                /// The platform key.
                platform: String,
                /// The releases page (`CARO_INSTALLER_GITHUB_BASE_URL` and the repository).
                releases: String,
                /// Every asset URL tried, in order.
                tried: Vec<String>,
            }
            => help(invocation) {
                Some(format!(
                    "check that {version} is a released version (see {releases}), and that \
                     CARO_INSTALLER_GITHUB_BASE_URL, the start of that address, points at the \
                     release host"
                ))
            }

            /// `latest` names a release that has no build for this platform yet.
            #[error(
                "the latest release, {name} {version}, has no `{platform}` build yet; tried:{}",
                list(tried)
            )]
            LatestNotBuiltYet {
                /// The binary name.
                name: String,
                /// The latest version.
                version: String,
                /// The platform key.
                platform: String,
                /// Every URL tried, in order (boxed: this variant sets the size of every `Error`).
                tried: Box<[String]>,
                /// The newest earlier release that has this platform's build, when the API said.
                previous: Option<String>,
            }
            => help(invocation) {
                Some(match previous {
                    Some(previous) => format!(
                        "a release is published before its builds are uploaded, which takes a few \
                         minutes: try again soon, or take {previous}, the newest release that has this \
                         build, with {}",
                        invocation.pin(previous)
                    ),
                    None => format!(
                        "a release is published before its builds are uploaded, which takes a few \
                         minutes: try again soon, or pin the release before it with {}",
                        invocation.pin("<VERSION>")
                    ),
                })
            }

            /// Every candidate asset name answered 404.
            #[error(
                "no {name} {version} build for platform `{platform}` was found; tried:{}",
                list(tried)
            )]
            NoAssetForPlatform {
                /// The binary name (`caro` or `caro-install`).
                name: String,
                /// The requested version.
                version: String,
                /// The platform key.
                platform: String,
                /// Every URL tried, in order.
                tried: Vec<String>,
            }
            => help(invocation) {
                let mut help =
                    format!("check that {name} {version} exists and publishes a `{platform}` build");
                if name == "caro" && invocation.hosted {
                    let _ = write!(help, ", or build it with `cargo install caro --locked`");
                } else if name == "caro" {
                    let _ = write!(help, ", or build it with `--from-source` (needs cargo)");
                }
                if platform.ends_with("-musl") {
                    let _ = write!(
                        help,
                        "; a glibc build would not start on this musl system, so none was tried"
                    );
                }
                Some(help)
            }

            /// A release that `dist` cannot lay out as asked: an unknown binary name, no builds,
            /// a platform given twice, a build that is not `KEY=PATH`, a mirror that is not
            /// `owner/name`.
            #[error("cannot package `{input}`: {reason}")]
            InvalidRelease {
                /// The offending value, as given.
                input: String,
                /// What is wrong with it and what it should be.
                reason: String,
            }
            => help(invocation) {
                Some("run `cargo run --example dist -- --help` for the usage".to_string())
            }

        }
    };
}
