//! Keeping caro and caro-install current: `caro-install update`, `caro-install self-update`,
//! and the [`SelfUpdate`] API that caro links for `caro self-update`.
//!
//! All three are one operation: find the binary to replace and its platform (from the
//! receipt when there is one), resolve the target version, decide with semver rules whether
//! anything needs doing, then download and verify the new build *beside* the old one, run
//! it once (`--version`, or `-V` for caro-install) to prove it starts, and swap it in
//! atomically under the directory lock. A binary some package manager owns (cargo,
//! Homebrew, npm, pnpm, Yarn, the system's) is left to that manager, with its upgrade command.
//!
//! ```no_run
//! // In caro's `self-update` command (caro depends on caro-install with
//! // `default-features = false`):
//! let outcome = caro_install::SelfUpdate::new("caro", "1.0.3")
//!     .version(None) // Some("1.2.0") pins a version; None means latest
//!     .check_only(false)
//!     .run()?;
//! println!("{outcome}"); // "caro 1.1.0 is up to date" / "updated caro 1.0.3 -> 1.1.0"
//! # Ok::<(), caro_install::Error>(())
//! ```

mod api;
mod caro;
mod ourselves;
mod owner;
mod swap;

use std::fmt;
use std::path::PathBuf;

use crate::release::{self, Version, VersionRequest};

pub use api::SelfUpdate;
pub use caro::update_caro;
pub use ourselves::update_installer;

/// What an update found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateOutcome {
    /// Nothing to do: the installed version is the target (or newer than `latest`).
    UpToDate {
        /// The program.
        app: String,
        /// Its installed version.
        version: Version,
    },
    /// `check_only`: a different version would be installed.
    Available {
        /// The program.
        app: String,
        /// The installed version.
        current: Version,
        /// The version an update would install.
        target: Version,
    },
    /// The binary was replaced.
    Updated {
        /// The program.
        app: String,
        /// The version replaced.
        from: Version,
        /// The version installed.
        to: Version,
        /// The binary's path.
        path: PathBuf,
    },
}

impl UpdateOutcome {
    /// Returns true if and only if the binary was replaced.
    pub fn is_updated(&self) -> bool {
        matches!(self, UpdateOutcome::Updated { .. })
    }

    /// The version the program is at after this (up to date, or updated), or would be at
    /// (available).
    pub fn target(&self) -> &Version {
        match self {
            UpdateOutcome::UpToDate { version, .. } => version,
            UpdateOutcome::Available { target, .. } => target,
            UpdateOutcome::Updated { to, .. } => to,
        }
    }
}

impl fmt::Display for UpdateOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateOutcome::UpToDate { app, version } => write!(f, "{app} {version} is up to date"),
            UpdateOutcome::Available {
                app,
                current,
                target,
            } if target < current => {
                write!(
                    f,
                    "{app} {target} is available as a downgrade (installed: {current})"
                )
            }
            UpdateOutcome::Available {
                app,
                current,
                target,
            } => {
                write!(f, "{app} {target} is available (installed: {current})")
            }
            UpdateOutcome::Updated {
                app,
                from,
                to,
                path,
            } => {
                let moved = if to < from { "downgraded" } else { "updated" };
                write!(f, "{moved} {app} {from} -> {to} at {}", path.display())
            }
        }
    }
}

/// Whether moving from `current` to `target` is something to do. A lower version happens
/// only when it was named explicitly; `latest` older than what is installed (a pre-release
/// ahead of the last release) means up to date.
pub fn needs_update(current: &Version, target: &Version, explicit: bool) -> bool {
    if release::is_newer(target, current) {
        return true;
    }
    explicit && target != current
}

/// The `caro-install update` request.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    /// `--version`; `None` is latest.
    pub version: Option<VersionRequest>,
    /// `--check`.
    pub check_only: bool,
    /// `--require-signature`.
    pub require_signature: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn newer_latest_is_an_update() {
        assert!(needs_update(&v("1.0.3"), &v("1.1.0"), false));
        assert!(!needs_update(&v("1.1.0"), &v("1.1.0"), false));
        assert!(!needs_update(&v("1.1.0"), &v("1.1.0"), true));
    }

    #[test]
    fn lower_version_only_when_named() {
        assert!(!needs_update(&v("1.1.0"), &v("1.0.2"), false));
        assert!(needs_update(&v("1.1.0"), &v("1.0.2"), true));
        // A pre-release ahead of the last release is not "downgraded" to it by `latest`.
        assert!(!needs_update(&v("1.2.0-beta.1"), &v("1.1.0"), false));
        assert!(needs_update(&v("1.1.0-beta.2"), &v("1.1.0"), false));
    }

    #[test]
    fn outcomes_read_as_sentences() {
        let up = UpdateOutcome::UpToDate {
            app: "caro".into(),
            version: v("1.1.0"),
        };
        assert_eq!(up.to_string(), "caro 1.1.0 is up to date");
        let available = UpdateOutcome::Available {
            app: "caro".into(),
            current: v("1.0.3"),
            target: v("1.1.0"),
        };
        assert_eq!(
            available.to_string(),
            "caro 1.1.0 is available (installed: 1.0.3)"
        );
        let updated = UpdateOutcome::Updated {
            app: "caro".into(),
            from: v("1.0.3"),
            to: v("1.1.0"),
            path: "/b/caro".into(),
        };
        assert_eq!(
            updated.to_string(),
            "updated caro 1.0.3 -> 1.1.0 at /b/caro"
        );
        let downgraded = UpdateOutcome::Updated {
            app: "caro".into(),
            from: v("1.1.0"),
            to: v("1.0.2"),
            path: "/b/caro".into(),
        };
        assert_eq!(
            downgraded.to_string(),
            "downgraded caro 1.1.0 -> 1.0.2 at /b/caro"
        );
    }
}
