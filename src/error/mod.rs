//! One error type for the whole crate, with what to do about each error beside it.
//!
//! Each variant names the operation that failed and carries what the user needs to act on
//! it: the URL, the path, the version, the platform. The cause, when there is one, sits in
//! `#[source]` so the binary can print the whole chain. [`Error::help`] adds the one thing
//! the user can do about it, printed by the binary as a `help:` line.
//!
//! Why the variants live in one file per concept (`input.rs`, `network.rs`, `release.rs`,
//! `verify.rs`, `local.rs`, `models.rs`, `update.rs`), each followed by its help: a new variant must come
//! with an answer to "what do I do now?", written where the variant is, and a reader finds
//! both together. The groups are joined into the one flat [`Error`] by [`define_errors!`]:
//! each group is a small macro that appends its variants and hands the list on to the next
//! (`input_errors! { [network_errors, ...] }`), and the last builds the enum and the
//! exhaustive match of [`Error::help_for`]. No wildcard arm exists, so the compiler refuses a
//! variant without a help; a variant with nothing to suggest says `None` and why.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

mod refused;

use crate::report::{redact_urls, safe};

pub use refused::Refused;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Builds [`Error`] and its help from every group's variants. Each entry is a variant as it
/// would be written in the enum, then `=> help(invocation) { ... }`, a block of type
/// `Option<String>` that may use the variant's fields by name and `invocation`.
macro_rules! define_errors {
    ([] $(
        $(#[$meta:meta])*
        $variant:ident $({ $( $(#[$field_meta:meta])* $field:ident : $type:ty ),* $(,)? })?
        => help($invocation:ident) $help:block
    )*) => {
        /// Everything that can go wrong while installing, updating or removing caro.
        #[derive(Debug, thiserror::Error)]
        #[non_exhaustive]
        pub enum Error {
            $(
                $(#[$meta])*
                $variant $({ $( $(#[$field_meta])* $field : $type ),* })?,
            )*
        }

        impl Error {
            /// What the user can do, phrased for how they run the update: caro-install's
            /// flags, or the host program's command. `None` when there is nothing to do.
            pub fn help_for(&self, invocation: &Invocation) -> Option<String> {
                match self {
                    $(
                        // Each help uses the fields it needs; the pattern binds them all.
                        #[allow(unused_variables, reason = "a help reads only some fields")]
                        Error::$variant { $($( $field ),*)? } => {
                            let $invocation = invocation;
                            $help
                        }
                    )*
                }
            }
        }
    };
}

#[macro_use]
mod input;
#[macro_use]
mod local;
#[macro_use]
mod models;
#[macro_use]
mod network;
#[macro_use]
mod release;
#[macro_use]
mod update;
#[macro_use]
mod verify;

input_errors! {
    [network_errors, release_errors, verify_errors, local_errors, models_errors, update_errors, define_errors]
}

impl Error {
    /// What the user can do about this error, printed as a `help:` line; `None` when there
    /// is nothing useful to suggest.
    pub fn help(&self) -> Option<String> {
        self.help_for(&Invocation::installer())
    }

    /// The error itself: for a [`Error::Hosted`] error the one it wraps, else `self`.
    /// Match on this to tell kinds of failure apart.
    pub fn kind(&self) -> &Error {
        match self {
            Error::Hosted { error, .. } => error.kind(),
            other => other,
        }
    }

    /// Wraps the error for a host program: message, causes and help (phrased for
    /// `invocation`) in its `Display`.
    pub fn hosted(self, invocation: &Invocation) -> Error {
        if let Error::Hosted { .. } = self {
            return self;
        }
        let help = self.help_for(invocation);
        Error::Hosted {
            error: Box::new(self),
            help,
        }
    }

    /// A `map_err` adapter: the I/O error of `operation` on `path` as [`Error::File`].
    pub fn file(
        operation: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::File {
            operation,
            path,
            source,
        }
    }
}

/// The help shared by a missing and an unusable sidecar.
fn broken_release(invocation: &Invocation) -> String {
    format!(
        "the release is incomplete or the mirror is broken; nothing was installed. Report it \
         to the publisher or try another version ({})",
        invocation.pin("<VERSION>")
    )
}

/// How the user runs an update, so help lines name the right command: caro-install's own
/// flags, or the command of a host program that links the library (`caro self-update`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The command that updates, e.g. `caro self-update`.
    command: String,
    /// True for a host program: no caro-install flags exist there.
    hosted: bool,
}

impl Invocation {
    /// The `caro-install` binary: versions are pinned with `--version`.
    pub fn installer() -> Invocation {
        Invocation {
            command: "caro-install".to_string(),
            hosted: false,
        }
    }

    /// A host program's update command, which takes the version as its argument
    /// (`caro self-update 1.2.0`).
    pub fn host(command: &str) -> Invocation {
        Invocation {
            command: command.trim().to_string(),
            hosted: true,
        }
    }

    /// The update command run from the binary at `path` (`/opt/caro/caro self-update`):
    /// the host's command with its program replaced by the path.
    pub fn run_at(&self, path: &std::path::Path) -> String {
        let arguments = self
            .command
            .split_once(' ')
            .map(|(_, rest)| format!(" {rest}"))
            .unwrap_or_default();
        format!("{}{arguments}", path.display())
    }

    /// How to ask for `version`, in backticks.
    pub fn pin(&self, version: &str) -> String {
        if self.hosted {
            format!("`{} {version}`", self.command)
        } else {
            format!("`--version {version}`")
        }
    }
}

/// A byte count as people read it: `812 bytes`, `1.5 KiB`, `135.2 MiB`, `1.1 GiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Each item on a line of its own, indented: the URLs an error tried.
fn list(items: &[String]) -> String {
    items.iter().map(|item| format!("\n  {item}")).collect()
}

/// `once`, `twice`, `3 times`.
fn tries_text(tries: u32) -> String {
    match tries {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
}

/// The message of an [`Error::Hosted`]: the error and every cause on one line, then its help.
fn hosted_message(error: &Error, help: Option<&str>) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    if let Some(help) = help {
        let _ = write!(message, "\nhelp: {help}");
    }
    // What the host prints as it is: text from outside escaped, passwords redacted.
    crate::report::printable(&message)
}
