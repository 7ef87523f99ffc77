//! The command line (clap) and the terminal [`Reporter`] (indicatif): the only file that
//! knows either crate, so the library builds without both.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use caro_install::{Env, Platform, Reporter, VersionRequest};

/// Installs, updates and removes caro from GitHub Releases.
#[derive(Debug, Parser)]
#[command(
    name = "caro-install",
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    after_help = "Environment: CARO_INSTALL_VERSION, CARO_INSTALL_DIR, CARO_NO_MODIFY_PATH, \
CARO_UNMANAGED_INSTALL, CARO_INSTALL_PLATFORM, CARO_INSTALLER_GITHUB_BASE_URL, \
CARO_INSTALLER_API_URL, CARO_INSTALL_REPO, CARO_INSTALLER_REPO, CARO_GITHUB_TOKEN, \
CARO_HTTP_TIMEOUT, CARO_NATIVE_TLS, CARO_PRINT_QUIET, CARO_PRINT_VERBOSE, SSL_CERT_FILE, \
SSL_CERT_DIR, HTTPS_PROXY, ALL_PROXY, NO_PROXY, NO_COLOR"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub install: InstallArgs,

    #[command(flatten)]
    pub output: Output,

    /// Print caro-install's own version and exit
    #[arg(short = 'V', global = true)]
    pub print_version: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install caro (the default command)
    Install(InstallArgs),
    /// Move the installed caro to the latest version, or to --version
    Update(UpdateArgs),
    /// Remove caro, caro-install's own copy, every PATH edit and the receipt
    Uninstall {
        /// Never prompt
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Replace this caro-install with the latest caro-install release
    SelfUpdate(UpdateArgs),
    /// Show what is installed, where, which version, PATH state, shadowing copies
    Status,
    /// Print the completion script for a shell: bash, zsh, fish or powershell
    #[command(after_help = "Load it in the current shell:
  bash:        source <(caro-install completions bash)
  zsh:         source <(caro-install completions zsh)   (after compinit)
  fish:        caro-install completions fish | source
  PowerShell:  caro-install completions powershell | Out-String | Invoke-Expression")]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// `--install-dir`'s help: the default differs by OS (SPEC section 2).
#[cfg(windows)]
const INSTALL_DIR_HELP: &str =
    r"Where the caro binary goes [env: CARO_INSTALL_DIR] [default: %LOCALAPPDATA%\caro\bin]";
#[cfg(not(windows))]
const INSTALL_DIR_HELP: &str =
    "Where the caro binary goes [env: CARO_INSTALL_DIR] [default: ~/.local/bin]";

#[derive(Debug, Clone, Args, Default)]
pub struct InstallArgs {
    /// caro version: 1.0.2, v1.0.2, 1.1.0-beta.2 or latest [env: CARO_INSTALL_VERSION] [default: latest]
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub version: Option<VersionRequest>,

    /// Where the caro binary goes (the help text names this OS's default)
    #[arg(long, value_name = "DIR", help = INSTALL_DIR_HELP)]
    pub install_dir: Option<PathBuf>,

    /// Touch no shell file and no registry value [env: CARO_NO_MODIFY_PATH=1]
    #[arg(long)]
    pub no_modify_path: bool,

    /// Skip detection and use this platform key [env: CARO_INSTALL_PLATFORM]
    #[arg(long, value_name = "KEY", value_parser = parse_platform)]
    pub platform: Option<Platform>,

    /// Build with `cargo install` instead of downloading
    #[arg(long)]
    pub from_source: bool,

    /// Accepted for caro's old install scripts (`sh -s -- --force`): an install always
    /// replaces the binary, so it changes nothing
    #[arg(long, short = 'f', hide = true)]
    pub force: bool,

    /// Print the plan (version, platform, URLs, files) and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Never prompt
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Refuse a release without a minisign signature (needs a pinned key:
    /// CARO_INSTALL_MINISIGN_PUBKEY)
    #[arg(long)]
    pub require_signature: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// Version to move to [default: latest]
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub version: Option<VersionRequest>,

    /// Report whether an update is available and change nothing
    #[arg(long)]
    pub check: bool,

    /// Never prompt
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Refuse a release without a minisign signature (needs CARO_INSTALL_MINISIGN_PUBKEY)
    #[arg(long)]
    pub require_signature: bool,
}

#[derive(Debug, Clone, Args)]
pub struct Output {
    /// Errors only [env: CARO_PRINT_QUIET=1]
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,

    /// Say every request and file operation [env: CARO_PRINT_VERBOSE=1]
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
}

fn parse_version(text: &str) -> Result<VersionRequest, String> {
    text.parse().map_err(|e: caro_install::Error| {
        format!(
            "{e}\n\n{}",
            e.help().map(|h| format!("help: {h}")).unwrap_or_default()
        )
    })
}

fn parse_platform(text: &str) -> Result<Platform, String> {
    text.parse().map_err(|e: caro_install::Error| {
        format!(
            "{e}\n\n{}",
            e.help().map(|h| format!("help: {h}")).unwrap_or_default()
        )
    })
}

/// How much the terminal reporter says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Quiet,
    Normal,
    Verbose,
}

/// Writes `text` and a newline, ignoring failure: output that cannot be written (a closed
/// pipe, as in `caro-install | head -1`) must never stop an install halfway, which
/// `println!` would do by panicking. What is written is [`caro_install::printable`]:
/// control characters from outside escaped, passwords in URLs redacted.
pub fn write_line(out: &mut dyn Write, text: &str) {
    let _ = writeln!(out, "{}", caro_install::printable(text));
}

/// `prefix` painted, then `text` made printable: our own escape codes go around the text
/// from outside, never inside it, so none of its own gets through.
fn painted_line(terminal: &Terminal, code: &str, prefix: &str, text: &str) -> String {
    format!(
        "{} {}",
        terminal.paint(code, prefix),
        caro_install::printable(text)
    )
}

/// Prints to stderr; draws a progress bar only when stderr is a terminal.
pub struct Terminal {
    level: Level,
    color: bool,
    interactive: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Terminal {
    pub fn new(output: &Output, env: &Env) -> Terminal {
        let level = if output.quiet || env.flag("CARO_PRINT_QUIET") {
            Level::Quiet
        } else if output.verbose || env.flag("CARO_PRINT_VERBOSE") {
            Level::Verbose
        } else {
            Level::Normal
        };
        let interactive = std::io::stderr().is_terminal();
        Terminal {
            level,
            color: interactive && env.var("NO_COLOR").is_none() && env.var("TERM") != Some("dumb"),
            interactive,
            bar: Mutex::new(None),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Writes a line that is already printable (see [`painted_line`]) to stderr.
    fn line(&self, text: &str) {
        let bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        let write = || {
            let _ = writeln!(std::io::stderr(), "{text}");
        };
        match bar.as_ref() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Prints an error, its causes and its help; shown at every level.
    pub fn error(&self, error: &caro_install::Error) {
        let mut text = painted_line(self, "1;31", "error:", &error.to_string());
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str("\n  ");
            text.push_str(&painted_line(self, "2", "caused by:", &cause.to_string()));
            source = cause.source();
        }
        if let Some(help) = error.help() {
            text.push('\n');
            text.push_str(&painted_line(self, "1;36", "help:", &help));
        }
        self.line(&text);
    }
}

impl Reporter for Terminal {
    fn info(&self, message: &str) {
        if self.level >= Level::Normal {
            self.line(&caro_install::printable(message));
        }
    }

    fn warn(&self, message: &str) {
        if self.level >= Level::Normal {
            self.line(&painted_line(self, "1;33", "warning:", message));
        }
    }

    fn detail(&self, message: &str) {
        if self.level >= Level::Verbose {
            self.line(&self.paint("2", &caro_install::printable(message)));
        }
    }

    fn download_started(&self, url: &str, total: Option<u64>) {
        if !self.interactive || self.level == Level::Quiet {
            return;
        }
        let name = url.rsplit('/').next().unwrap_or(url).to_string();
        let bar = match total {
            // `wide_bar` takes what the terminal's width leaves, so the line never wraps:
            // at 80 columns the bar gets about 20, at 60 a few, and the figures stay.
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{msg} {bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_message(caro_install::printable(&name));
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn download_progress(&self, done: u64) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.set_position(done);
        }
    }

    fn download_finished(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }

    fn confirm(&self, question: &str) -> Option<bool> {
        if !std::io::stdin().is_terminal() || !self.interactive {
            return None;
        }
        let _ = write!(
            std::io::stderr(),
            "{} [y/N] ",
            caro_install::printable(question)
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).ok()?;
        Some(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }
}
