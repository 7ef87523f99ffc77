//! How the library tells the user what it is doing, without printing anything itself.
//!
//! caro embeds this crate for `caro self-update` and must decide on its own what reaches its
//! terminal, so every message and every progress tick goes through a [`Reporter`] the
//! caller supplies. The `caro-install` binary's reporter (in `cli.rs`) prints to stderr and
//! draws an indicatif progress bar on a terminal; [`Silent`] drops everything.

/// Receives what the installer has to say. Every method has a do-nothing default.
pub trait Reporter: Send + Sync {
    /// A step the user should see (`installed caro 1.0.3 to ...`).
    fn info(&self, _message: &str) {}

    /// Something the user should know about that did not stop the work.
    fn warn(&self, _message: &str) {}

    /// Detail for `--verbose`: each request, each file operation.
    fn detail(&self, _message: &str) {}

    /// A transfer starts; `total` is its size when known.
    fn download_started(&self, _url: &str, _total: Option<u64>) {}

    /// `done` bytes of the current transfer have arrived.
    fn download_progress(&self, _done: u64) {}

    /// The current transfer ended, successfully or not.
    fn download_finished(&self) {}

    /// Asks a yes/no question; `None` when there is no one to ask (no terminal).
    fn confirm(&self, _question: &str) -> Option<bool> {
        None
    }
}

/// A reporter that drops every message and never confirms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Reporter for Silent {}
