//! A stand-in for caro, shaped like the real one, showing how caro embeds caro-install for
//! `caro self-update`.
//!
//! ```text
//! caro --version                          prints `caro 1.0.3`
//! caro self-update [VERSION] [--check]    updates this very binary through the library
//! ```
//!
//! Like caro it has a clap subcommand, a `#[tokio::main]` async main that calls the
//! (blocking) update on `spawn_blocking`, anyhow for errors, and a [`Reporter`] that draws
//! progress on a terminal. caro's Cargo.toml has
//! `caro-install = { version = "0.1", default-features = false }`; this example builds the
//! same way (`cargo build --example caro --no-default-features`), so it proves the library
//! needs neither clap nor indicatif of its own. The tests install it where caro lives and
//! let it replace itself.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use caro_install::{Reporter, SelfUpdate};
use clap::{Parser, Subcommand};

/// The version this stand-in plays (the fixture releases offer 1.1.0 as the newer one);
/// caro passes `env!("CARGO_PKG_VERSION")`.
const VERSION: &str = "1.0.3";

#[derive(Parser)]
#[command(name = "caro", version = VERSION, disable_version_flag = true)]
struct Cli {
    /// Print the version.
    #[arg(short = 'V', long = "version")]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Update caro to the latest release, or to VERSION.
    SelfUpdate {
        /// The version to move to (e.g. 1.2.0); latest when left out.
        version: Option<String>,
        /// Only say whether an update is available.
        #[arg(long)]
        check: bool,
    },
}

/// Draws download progress on stderr when it is a terminal, and says nothing else: caro
/// decides what its users read.
struct Progress {
    terminal: bool,
}

impl Reporter for Progress {
    fn download_started(&self, url: &str, _total: Option<u64>) {
        if self.terminal {
            let name = url.rsplit('/').next().unwrap_or(url);
            let _ = write!(std::io::stderr(), "downloading {name}");
        }
    }

    fn download_progress(&self, done: u64) {
        if self.terminal {
            let _ = write!(std::io::stderr(), "\rdownloading: {} KiB", done / 1024);
        }
    }

    fn download_finished(&self) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.version {
        println!("caro {VERSION}");
        return ExitCode::SUCCESS;
    }
    let result = match cli.command {
        Some(Command::SelfUpdate { version, check }) => self_update(version, check).await,
        None => {
            eprintln!("usage: caro --version | caro self-update [VERSION] [--check]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The library's errors carry their help in `Display`, so anyhow's usual
            // printing tells the user what to do.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn self_update(version: Option<String>, check: bool) -> anyhow::Result<()> {
    let update = SelfUpdate::new("caro", VERSION)
        .command("caro self-update")
        .version(version.as_deref())
        .check_only(check)
        .reporter(Progress {
            terminal: std::io::stderr().is_terminal(),
        });
    // `run` blocks (network, disk, a child process): keep it off the async runtime.
    let outcome = tokio::task::spawn_blocking(move || update.run())
        .await
        .context("the update task stopped")??;
    println!("{outcome}");
    Ok(())
}
