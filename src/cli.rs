//! The command line (clap) and the terminal [`Reporter`] (indicatif): the only file that
//! knows either crate, so the library builds without both.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use clap::{Args, CommandFactory, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use caro_install::{Env, Platform, Reporter, VersionRequest};

/// Installs, updates and removes caro from GitHub Releases.
#[derive(Debug, Parser)]
#[command(
    name = "caro-install",
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    after_help = "The install options, which work without `install` too: `caro-install install -h`
With every environment variable: `caro-install install --help`"
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

/// The environment variables, one a line, for `install --help` (the long help).
const ENVIRONMENT: &str = "\
Environment (a flag wins over its variable):
  CARO_INSTALL_VERSION    --version
  CARO_INSTALL_MODEL      --with-model
  CARO_INSTALL_DIR        --install-dir
  CARO_NO_MODIFY_PATH=1   --no-modify-path
  CARO_INSTALL_PLATFORM   --platform
  CARO_UNMANAGED_INSTALL  install into this folder only: no PATH, no receipt
  CARO_INSTALL_REPO       caro's repository (owner/name)
  CARO_INSTALLER_REPO     caro-install's repository, for self-update
  CARO_INSTALLER_GITHUB_BASE_URL  a mirror of https://github.com
  CARO_INSTALLER_API_URL  the GitHub API of that mirror
  CARO_GITHUB_TOKEN       a token for the GitHub API (or GITHUB_TOKEN)
  CARO_HTTP_TIMEOUT       seconds to wait for an answer or for data (30)
  CARO_NATIVE_TLS=1       trust the system's certificates
  CARO_INSTALL_MINISIGN_PUBKEY  the publisher's minisign key
  CARO_PRINT_QUIET=1      -q;  CARO_PRINT_VERBOSE=1  -v
  SSL_CERT_FILE, SSL_CERT_DIR, HTTPS_PROXY, ALL_PROXY, NO_PROXY, NO_COLOR";

/// Where each shell loads completions from for good, for `completions --help`.
const COMPLETIONS_HELP: &str = "\
Install it for good (new shells load it):
  bash  caro-install completions bash \\
          > ~/.local/share/bash-completion/completions/caro-install
  zsh   caro-install completions zsh > ~/.zfunc/_caro-install
          and in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)
  fish  caro-install completions fish \\
          > ~/.config/fish/completions/caro-install.fish
  PowerShell  caro-install completions powershell >> $PROFILE
Or in this shell only: source <(caro-install completions bash)  (zsh alike,
after compinit; fish: caro-install completions fish | source)";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install caro (the default command)
    #[command(after_long_help = ENVIRONMENT)]
    Install(InstallArgs),
    /// Move the installed caro to the latest version, or to --version
    Update(UpdateArgs),
    /// Remove caro, caro-install, every PATH edit and the receipt
    Uninstall {
        /// Never prompt
        #[arg(short = 'y', long)]
        yes: bool,
    },
    /// Replace this caro-install with its latest release
    SelfUpdate(SelfUpdateArgs),
    /// Show what is installed, where, PATH state, shadowing copies
    Status,
    /// List the model bundles of a release, with their sizes
    Models {
        /// The caro release to look at: 1.0.2, v1.0.2 or latest [default: latest]
        #[arg(long, value_name = "VERSION", value_parser = parse_version)]
        version: Option<VersionRequest>,

        /// Skip detection and use this platform key [env: CARO_INSTALL_PLATFORM]
        #[arg(long, value_name = "KEY", value_parser = parse_platform)]
        platform: Option<Platform>,
    },
    /// Print a completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// `--install-dir`'s help: the default differs by OS (the README).
#[cfg(windows)]
const INSTALL_DIR_HELP: &str = r"Where caro goes [default: %LOCALAPPDATA%\caro\bin]";
#[cfg(not(windows))]
const INSTALL_DIR_HELP: &str = "Where caro goes [default: ~/.local/bin]";

#[derive(Debug, Clone, Args, Default)]
pub struct InstallArgs {
    /// caro version: 1.0.2, v1.0.2, 1.1.0-beta.2 or latest
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub version: Option<VersionRequest>,

    /// Where caro goes (the help text names this OS's default)
    #[arg(long, value_name = "DIR", help = INSTALL_DIR_HELP)]
    pub install_dir: Option<PathBuf>,

    /// Touch no shell file and no registry value
    #[arg(long)]
    pub no_modify_path: bool,

    /// Use this platform key instead of detecting it
    #[arg(long, value_name = "KEY", value_parser = parse_platform)]
    pub platform: Option<Platform>,

    /// Build with `cargo install` instead of downloading
    #[arg(long)]
    pub from_source: bool,

    /// Download and install even when this version is installed
    #[arg(long, short = 'f')]
    pub force: bool,

    /// Print the plan (version, URLs, files) and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Never prompt
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Refuse a release without a minisign signature
    #[arg(long)]
    pub require_signature: bool,

    /// Install caro with the model bundle NAME (offline from its first run)
    #[arg(long, value_name = "NAME", conflicts_with = "from_source")]
    pub with_model: Option<String>,

    /// Install a file as published, checked against PATH.sha256; no network
    #[arg(long, value_name = "PATH", conflicts_with = "from_source")]
    pub from_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SelfUpdateArgs {
    /// Version to move to [default: latest]
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub version: Option<VersionRequest>,

    /// Report whether an update is available and change nothing
    #[arg(long)]
    pub check: bool,

    /// Never prompt
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Refuse a release without a minisign signature
    #[arg(long)]
    pub require_signature: bool,
}

/// `update`'s flags: those of `self-update`, and a model or a local file to move to.
#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub common: SelfUpdateArgs,

    /// Also replace the model with bundle NAME (update keeps it otherwise)
    #[arg(long, value_name = "NAME", conflicts_with = "check")]
    pub with_model: Option<String>,

    /// Update from a file as published, checked against PATH.sha256
    #[arg(long, value_name = "PATH", conflicts_with = "check")]
    pub from_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct Output {
    /// Errors only
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,

    /// Say every request and file operation
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,
}

/// The widest help clap lays out, on however wide a terminal: longer lines are hard to read.
const MAX_HELP_WIDTH: usize = 100;

/// The command line as parsed and as `--help` shows it: wrapped to the terminal's width
/// (at most [`MAX_HELP_WIDTH`]); when stdout is no terminal (a pipe, a test), to `COLUMNS`
/// or else 80, where clap would take 100. The install options are left out of the top
/// level's help, whose last lines say where they are: with them it would not fit on a
/// 24-line screen.
pub fn command() -> clap::Command {
    let install_options: Vec<clap::Id> = InstallArgs::augment_args(clap::Command::new("install"))
        .get_arguments()
        .map(|argument| argument.get_id().clone())
        .collect();
    let command = Cli::command()
        .max_term_width(MAX_HELP_WIDTH)
        .mut_args(|argument| {
            let hide = install_options.contains(argument.get_id());
            argument.hide(hide)
        });
    if std::io::stdout().is_terminal() {
        return command;
    }
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.trim().parse::<usize>().ok())
        .filter(|width| *width > 0)
        .unwrap_or(80);
    command.term_width(width.min(MAX_HELP_WIDTH))
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
