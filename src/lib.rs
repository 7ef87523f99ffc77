//! # caro-install
//!
//! Installs, updates and removes [caro](https://github.com/wildcard/caro) from GitHub
//! Releases: verified, atomic, and honest in every message. The `caro-install` binary is a
//! thin shell over this library, and caro itself links it for `caro self-update`
//! (with `default-features = false`, which drops clap and indicatif).
//!
//! ## A tour of the pipeline
//!
//! An install runs these stages, one module each:
//!
//! 1. [`env`](mod@env): the environment is read once into an [`Env`] value and passed down,
//!    so every decision below is a function of its inputs.
//! 2. [`platform`]: [`Facts::detect`] gathers facts about the machine and the pure
//!    [`choose`] maps them to a [`Platform`] key (Rosetta 2, musl, old macOS, Windows on ARM).
//! 3. [`install::plan`]: the [`InstallRequest`] (flags) becomes [`Settings`] (flags, then
//!    variables, then defaults) and a [`Plan`]; `latest` is resolved here, and `--dry-run`
//!    prints the plan and stops.
//! 4. [`release`]: a [`VersionRequest`] (`latest` or exact) and the platform give the
//!    candidate asset names ([`asset_candidates`]) and URLs of a [`ReleaseSource`].
//! 5. [`download`]: [`Http`] streams each candidate into a temp file beside its
//!    destination, hashing as bytes arrive, with retries, resume and a stall timeout; 404
//!    moves to the next candidate, nothing else does. Its [`transport`](download::transport)
//!    decides which agent, proxy and TLS roots carry a request, which redirect hops are
//!    allowed, and which hosts may see the token.
//! 6. [`fetch`]: the download must match its `.sha256` sidecar ([`checksum`],
//!    [`parse_sidecar`]) and, with a pinned key, its minisign signature ([`signature`]), or
//!    nothing is installed; [`extract`] then takes only the binary out of an archive.
//! 7. [`install`](mod@install): under the directory lock, the verified binary is made
//!    executable and renamed over the old one; caro-install copies itself beside it;
//!    [`shell`] puts the directory on PATH; a [`Receipt`] records what was done.
//!
//! Beneath them all, [`files`] writes files safely: a [`TempFile`](files::TempFile) in the
//! destination directory, atomic and durable replacement, the [`DirLock`](files::DirLock),
//! and the cleanup of what a killed run left. Every module that writes a file goes
//! through it, and nothing in it knows about releases. [`interrupt`] removes temp files on
//! Ctrl-C.
//!
//! Beside the install: [`update`] (`update`, `self-update`, and [`SelfUpdate`], the API
//! caro links for `caro self-update`), [`uninstall`] and [`status`]. The publisher, which
//! lays out releases and npm packages (`dist`, `npm`), is the `publish` feature and is not
//! compiled into caro's library or the binary.
//!
//! Everything the library has to say goes through a [`Reporter`]; it never prints.
//! Errors are one [`Error`] enum whose variants carry the URL, path, version or platform
//! involved, with [`Error::help`] saying what the user can do.

#![deny(missing_docs)]

pub mod checksum;
#[cfg(feature = "publish")]
pub mod dist;
pub mod download;
pub mod env;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod files;
pub mod install;
pub mod interrupt;
#[cfg(feature = "publish")]
pub mod npm;
pub mod platform;
pub mod receipt;
pub mod release;
pub mod report;
pub mod shell;
pub mod signature;
pub mod startup;
pub mod status;
pub mod uninstall;
pub mod update;

pub use checksum::{Digest, parse_sidecar};
pub use download::Http;
pub use env::Env;
pub use error::{Error, Invocation, Result};
pub use install::plan::{InstallRequest, Plan, Settings};
pub use install::{InstallOutcome, Installed, install};
pub use platform::{Choice, Facts, Platform, choose};
pub use receipt::Receipt;
pub use release::{ReleaseSource, Version, VersionRequest, asset_candidates};
pub use report::{Reporter, Silent, printable, redact_url, safe};
pub use update::{SelfUpdate, UpdateOutcome};
