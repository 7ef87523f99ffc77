//! `caro-install`: parse the command line, run it, print the error chain with its `help:`,
//! and exit 0 (success, including "already up to date"), 1 (failure) or 2 (usage).

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use caro_install::update::UpdateRequest;
use caro_install::{Env, Error, Facts, Http, Reporter, UpdateOutcome};
use caro_install::{InstallOutcome, InstallRequest, Settings};
use cli::{Cli, Command, InstallArgs, Terminal, UpdateArgs};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    if cli.print_version {
        print_out(&format!("caro-install {}", env!("CARGO_PKG_VERSION")));
        return ExitCode::SUCCESS;
    }
    let env = Env::from_process();
    let terminal = Terminal::new(&cli.output, &env);
    match run(cli, &env, &terminal) {
        Ok(()) => ExitCode::SUCCESS,
        // Declining a prompt is the user's choice, not a failure: a plain note and exit 0,
        // as rustup does when its uninstall is declined.
        Err(Error::Cancelled { action }) => {
            terminal.info(&format!("cancelled {action}: nothing was changed"));
            ExitCode::SUCCESS
        }
        Err(error) => {
            terminal.error(&error);
            if is_usage(&error) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Prints clap's error (with its "did you mean") and exits 2, or 0 for `--help`. A bare
/// `--version` gets a pointer to `-V`: `--version` takes the caro version to install.
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let _ = error.print();
    let bare_version = std::env::args().skip(1).last().as_deref() == Some("--version")
        && matches!(
            error.kind(),
            ErrorKind::InvalidValue | ErrorKind::MissingRequiredArgument | ErrorKind::NoEquals
        );
    if bare_version {
        cli::write_line(
            &mut std::io::stderr(),
            "help: `--version` takes the caro version to install (1.0.2, latest); \
             `caro-install -V` prints caro-install's own version",
        );
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

/// Returns true if and only if `error` is about what the user typed or set (a flag's or a
/// variable's value): exit status 2, like clap's own usage errors.
fn is_usage(error: &Error) -> bool {
    matches!(
        error.kind(),
        Error::InvalidVersion { .. }
            | Error::UnknownPlatform { .. }
            | Error::InvalidVariable { .. }
    )
}

fn run(cli: Cli, env: &Env, terminal: &Terminal) -> Result<(), Error> {
    match cli.command {
        None => install(cli.install, env, terminal),
        Some(Command::Install(args)) => install(args, env, terminal),
        Some(Command::Uninstall { yes }) => {
            env.check_home_owner()?;
            let removed = caro_install::uninstall::uninstall(env, yes, terminal)?;
            terminal.info(&removed.to_string());
            Ok(())
        }
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "caro-install", &mut script);
            print_out(String::from_utf8_lossy(&script).trim_end_matches('\n'));
            Ok(())
        }
        Some(Command::Status) => {
            let status = caro_install::status::Status::gather(env)?.to_string();
            print_out(status.trim_end_matches('\n'));
            Ok(())
        }
        Some(Command::Update(args)) => {
            update(args, env, terminal, caro_install::update::update_caro)
        }
        Some(Command::SelfUpdate(args)) => {
            update(args, env, terminal, caro_install::update::update_installer)
        }
    }
}

/// Prints a line to stdout; a closed pipe is ignored (see [`cli::write_line`]).
fn print_out(text: &str) {
    cli::write_line(&mut std::io::stdout(), text);
}

type UpdateFn = fn(&UpdateRequest, &Env, &mut Http, &dyn Reporter) -> Result<UpdateOutcome, Error>;

fn update(args: UpdateArgs, env: &Env, terminal: &Terminal, update: UpdateFn) -> Result<(), Error> {
    let request = UpdateRequest {
        version: args.version,
        check_only: args.check,
        require_signature: args.require_signature,
    };
    let mut http = Http::from_env(env)?;
    let outcome = update(&request, env, &mut http, terminal)?;
    if args.check {
        print_out(&outcome.to_string());
    } else {
        terminal.info(&outcome.to_string());
    }
    Ok(())
}

fn install(args: InstallArgs, env: &Env, terminal: &Terminal) -> Result<(), Error> {
    let request = InstallRequest {
        version: args.version,
        install_dir: args.install_dir,
        no_modify_path: args.no_modify_path,
        platform: args.platform,
        from_source: args.from_source,
        dry_run: args.dry_run,
        yes: args.yes,
        require_signature: args.require_signature,
    };
    let settings = Settings::resolve(request, env, Facts::detect)?;
    let mut http = Http::from_env(env)?;
    match caro_install::install(&settings, env, &mut http, terminal)? {
        InstallOutcome::Planned(plan) => {
            print_out("caro-install dry run: nothing will be changed");
            print_out(&plan.to_string());
        }
        InstallOutcome::Installed(installed) => terminal.info(&installed.to_string()),
    }
    Ok(())
}
