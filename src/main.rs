//! `caro-install`: parse the command line, run it, print the error chain with its `help:`,
//! and exit 0 (success, including "already up to date"), 1 (failure) or 2 (usage).

mod cli;
mod completions;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use caro_install::UpdateRequest;
use caro_install::{Env, Error, Facts, Http, Reporter, UpdateOutcome};
use caro_install::{InstallOutcome, InstallRequest, Settings};
use cli::{Cli, Command, InstallArgs, SelfUpdateArgs, Terminal};

fn main() -> ExitCode {
    let cli = match cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
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
            | Error::InvalidModelName { .. }
    )
}

fn run(cli: Cli, env: &Env, terminal: &Terminal) -> Result<(), Error> {
    match cli.command {
        None => install(cli.install, env, terminal),
        Some(Command::Install(args)) => install(args, env, terminal),
        Some(Command::Uninstall { yes }) => {
            env.check_home_owner()?;
            let removed = caro_install::uninstall(env, yes, terminal)?;
            terminal.info(&removed.to_string());
            Ok(())
        }
        Some(Command::Completions { shell }) => {
            let script = completions::script(shell, &mut Cli::command(), "caro-install");
            print_out(script.trim_end_matches('\n'));
            Ok(())
        }
        Some(Command::Status) => {
            let status = caro_install::Status::gather(env)?.to_string();
            print_out(status.trim_end_matches('\n'));
            Ok(())
        }
        Some(Command::Update(args)) if args.with_model.is_some() || args.from_file.is_some() => {
            // A new model, or a file carried in: an install into the receipt's place.
            let request = caro_install::InstallRequest::from_receipt(env)?;
            let args = InstallArgs {
                version: args.common.version,
                yes: true,
                require_signature: args.common.require_signature,
                with_model: args.with_model,
                from_file: args.from_file,
                ..InstallArgs::default()
            };
            install_request(args, request, env, terminal)
        }
        Some(Command::Update(args)) => {
            update(args.common, env, terminal, caro_install::update_caro)
        }
        Some(Command::Models { version, platform }) => {
            let settings = Settings::resolve(
                InstallRequest {
                    version,
                    platform,
                    ..InstallRequest::default()
                },
                env,
                Facts::detect,
            )?;
            let mut http = Http::from_env(env)?;
            let listing = caro_install::list_models(
                &settings.version,
                settings.platform.platform,
                env,
                &mut http,
                terminal,
            )?;
            print_out(&listing.to_string());
            Ok(())
        }
        Some(Command::SelfUpdate(args)) => {
            update(args, env, terminal, caro_install::update_installer)
        }
    }
}

/// Prints a line to stdout; a closed pipe is ignored (see [`cli::write_line`]).
fn print_out(text: &str) {
    cli::write_line(&mut std::io::stdout(), text);
}

type UpdateFn = fn(&UpdateRequest, &Env, &mut Http, &dyn Reporter) -> Result<UpdateOutcome, Error>;

fn update(
    args: SelfUpdateArgs,
    env: &Env,
    terminal: &Terminal,
    update: UpdateFn,
) -> Result<(), Error> {
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
    install_request(args, InstallRequest::default(), env, terminal)
}

/// Installs as `args` say, over the defaults in `base` (an update's receipt).
fn install_request(
    args: InstallArgs,
    base: InstallRequest,
    env: &Env,
    terminal: &Terminal,
) -> Result<(), Error> {
    let request = InstallRequest {
        version: args.version.or(base.version),
        install_dir: args.install_dir.or(base.install_dir),
        no_modify_path: args.no_modify_path || base.no_modify_path,
        platform: args.platform.or(base.platform),
        from_source: args.from_source,
        force: args.force,
        dry_run: args.dry_run,
        yes: args.yes,
        require_signature: args.require_signature,
        with_model: args.with_model,
        from_file: args.from_file,
    };
    let settings = Settings::resolve(request, env, Facts::detect)?;
    let mut http = Http::from_env(env)?;
    match caro_install::install(&settings, env, &mut http, terminal)? {
        InstallOutcome::Planned(plan) => {
            print_out("caro-install dry run: nothing will be changed");
            print_out(&plan.to_string());
        }
        InstallOutcome::Installed(installed) => terminal.info(&installed.to_string()),
        InstallOutcome::AlreadyInstalled(there) => {
            terminal.info(&format!("{there} (`--force` installs it again)"));
        }
    }
    Ok(())
}
