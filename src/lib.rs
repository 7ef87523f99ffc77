//! # caro-install
//!
//! Installs, updates and removes [caro](https://github.com/wildcard/caro) from GitHub
//! Releases: verified, atomic, and honest in every message. The `caro-install` binary is a
//! thin shell over this library, and caro itself links it for `caro self-update`
//! (with `default-features = false`, which drops clap and indicatif).
//!
//! ## For caro: `caro self-update`
//!
//! ```no_run
//! let outcome = caro_install::SelfUpdate::new("caro", env!("CARGO_PKG_VERSION"))
//!     .version(None) // Some("1.2.0") pins a version; None means latest
//!     .check_only(false)
//!     .run()?;
//! println!("{outcome}"); // up to date, available, or updated
//! # Ok::<(), caro_install::Error>(())
//! ```
//!
//! [`SelfUpdate`] reads the same environment variables as the binary, prints nothing
//! unless given a [`Reporter`], and returns an [`UpdateOutcome`] or an [`Error`] whose
//! message says what to do in the host's words.
//!
//! ## A tour of the pipeline
//!
//! The modules are private; everything a caller compiles against is re-exported here,
//! flat, so moving code between rooms never changes the API. An install runs these stages,
//! one room each (paths are under `src/`):
//!
//! 1. `env.rs`: the environment is read once into an [`Env`] value and passed down, so
//!    every decision below is a function of its inputs.
//! 2. `platform.rs`: [`Facts::detect`] gathers facts about the machine and the pure
//!    [`choose`] maps them to a [`Platform`] key (Rosetta 2, musl, old macOS, Windows on
//!    ARM).
//! 3. `install/plan.rs`: the [`InstallRequest`] (flags) becomes [`Settings`] (flags, then
//!    variables, then defaults) and a [`Plan`], which `--dry-run` prints.
//! 4. `release.rs`: a [`VersionRequest`] (`latest` or exact), the [`Program`] and the
//!    platform give the candidate asset names ([`asset_candidates`]) and URLs of a
//!    [`ReleaseSource`].
//! 5. `download/`: [`Http`] streams each candidate into a temp file beside its destination,
//!    hashing as bytes arrive, with retries, resume and a stall timeout; 404 moves to the
//!    next candidate, nothing else does. Its transport decides which agent, proxy and TLS
//!    roots carry a request, which redirect hops are allowed, and which hosts may see the
//!    token.
//! 6. `fetch/`: `latest` is resolved, and the download must match its `.sha256` sidecar
//!    ([`parse_sidecar`], [`Digest`]) and, with a pinned key, its minisign signature, or
//!    nothing is installed; `extract.rs` takes only the binary out of an archive, and
//!    `startup.rs` runs the new build once to see that it starts and names its version.
//! 7. `install/`: under the directory lock, the verified binary is made executable and
//!    renamed over the old one; caro-install copies itself beside it; `shell/` puts the
//!    directory on PATH; a [`Receipt`] records what was done ([`install`]).
//!
//! Every file name a release carries, and which build each channel takes, comes from one
//! table, `names.rs`, which the installer and the publisher both read.
//!
//! Beneath them all, `files/` writes files safely (a temp file in the destination
//! directory, atomic and durable replacement, the directory lock, the guarded read of files
//! caro-install did not create), and `interrupt.rs` removes temp files on Ctrl-C.
//!
//! Beside the install: `update/` ([`update_caro`], [`update_installer`] and
//! [`SelfUpdate`]), [`uninstall`] and [`Status`]. The publisher, which lays out releases
//! and npm packages (`dist`, `npm`), is the `publish` feature and is not compiled into
//! caro's library or the binary.
//!
//! Everything the library has to say goes through a [`Reporter`]; it never prints.
//! Errors are one [`Error`] enum whose variants carry the URL, path, version or platform
//! involved, with [`Error::help`] saying what the user can do.

#![deny(missing_docs)]

// Every room is private: what callers compile against is the flat list below, so moving
// code between rooms never changes it. `tests/it/api.rs` snapshots that list.
mod checksum;
mod download;
mod env;
mod error;
mod extract;
mod fetch;
mod files;
mod install;
mod interrupt;
mod names;
mod platform;
mod receipt;
mod release;
mod report;
mod shell;
mod signature;
mod startup;
mod status;
mod uninstall;
mod update;

// The publisher (`cargo run --example dist`), never in caro's library or the binary.
#[cfg(feature = "publish")]
pub mod dist;
#[cfg(feature = "publish")]
pub mod npm;

// What caro links for `caro self-update`.
pub use error::{Error, Invocation, Refused, Result};
pub use report::{Reporter, Silent, printable, redact_url, safe};
pub use update::{SelfUpdate, UpdateOutcome};

// The environment, read once.
pub use env::{CHECKED_VARIABLES, Check, Env};

// What the caro-install binary drives: install, update, uninstall, status.
pub use download::Http;
pub use install::models::{ModelListing, list_models};
pub use install::plan::Plan;
pub use install::settings::{InstallRequest, Settings};
pub use install::{AlreadyInstalled, InstallOutcome, Installed, install};
pub use status::Status;
pub use uninstall::{Uninstalled, uninstall};
pub use update::{UpdateRequest, update_caro, update_installer};

// Platforms, versions and checksums: the pure core, for the binary, the fuzzers and tests.
pub use checksum::{Digest, parse_sidecar};
pub use platform::{Arch, Choice, Facts, Libc, Os, Platform, choose};
pub use receipt::Receipt;
pub use release::{Program, ReleaseSource, Version, VersionRequest, asset_candidates};

#[cfg(feature = "publish")]
pub use files::write_atomically;
