//! A stand-in shaped like caro for `bench/caro-like.sh`: caro's kind of CLI (clap
//! subcommands, `#[tokio::main]`, anyhow) touching each dependency enough that it is linked
//! as in caro. With `--features self-update` it gains `caro self-update [VERSION] [--check]`
//! through caro-install, the way caro would call it.

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Parser)]
#[command(name = "caro", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a shell command against a safety pattern and print a JSON verdict.
    Check {
        /// The command to check.
        command: String,
        /// A regex of forbidden commands.
        #[arg(long, env = "CARO_DENY", default_value = r"^\s*rm\s+-rf\s+/")]
        deny: String,
    },
    /// Fetch a URL over HTTPS (as caro's remote backends do) with a progress bar.
    Fetch { url: String },
    /// Update caro to the latest release, or to VERSION.
    #[cfg(feature = "self-update")]
    SelfUpdate {
        /// The version to move to (e.g. 1.2.0); latest when left out.
        version: Option<String>,
        /// Only say whether an update is available.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, thiserror::Error)]
enum CaroError {
    #[error("the pattern `{0}` is not a valid regex")]
    Pattern(String, #[source] regex::Error),
}

#[derive(Serialize, Deserialize)]
struct Verdict {
    command: String,
    allowed: bool,
    sha256: String,
    checked_at: chrono::DateTime<chrono::Utc>,
    os: String,
    config_dir: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Check { command, deny } => {
            let deny = Regex::new(&deny).map_err(|e| CaroError::Pattern(deny, e))?;
            let verdict = Verdict {
                allowed: !deny.is_match(&command),
                sha256: format!("{:x}", Sha256::digest(command.as_bytes())),
                command,
                checked_at: chrono::Utc::now(),
                os: os_info::get().to_string(),
                config_dir: dirs::config_dir(),
            };
            println!("{}", serde_json::to_string_pretty(&verdict)?);
        }
        Command::Fetch { url } => {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(100));
            let body: serde_json::Value = client
                .get(&url)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .with_context(|| format!("could not fetch `{url}`"))?
                .json()
                .await?;
            bar.finish_and_clear();
            println!("{body}");
        }
        #[cfg(feature = "self-update")]
        Command::SelfUpdate { version, check } => {
            let update = caro_install::SelfUpdate::new("caro", env!("CARGO_PKG_VERSION"))
                .command("caro self-update")
                .version(version.as_deref())
                .check_only(check);
            // `run` blocks (network, disk, a child process): keep it off the async runtime.
            let outcome = tokio::task::spawn_blocking(move || update.run())
                .await
                .context("the update task stopped")??;
            println!("{outcome}");
        }
    }
    Ok(())
}
