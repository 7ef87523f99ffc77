//! A stand-in for caro, showing how caro embeds caro-install for `caro self-update`.
//!
//! ```text
//! caro --version                          prints `caro 1.0.3`
//! caro self-update [VERSION] [--check]    updates this very binary through the library
//! ```
//!
//! caro's own Cargo.toml has
//! `caro-install = { version = "0.1", default-features = false }`; this example builds the
//! same way (`cargo build --example caro --no-default-features`), so it proves the library
//! needs neither clap nor indicatif. The tests install it where caro lives and let it
//! replace itself.

use std::process::ExitCode;

/// The version this stand-in plays: the fixture releases offer 1.1.0 as the newer one.
const VERSION: &str = "1.0.3";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version" | "-V") => {
            println!("caro {VERSION}");
            ExitCode::SUCCESS
        }
        Some("self-update") => self_update(&args[1..]),
        _ => {
            eprintln!("usage: caro --version | caro self-update [VERSION] [--check]");
            ExitCode::from(2)
        }
    }
}

fn self_update(args: &[String]) -> ExitCode {
    let check = args.iter().any(|arg| arg == "--check");
    let version = args
        .iter()
        .find(|arg| !arg.starts_with('-'))
        .map(String::as_str);
    let outcome = caro_install::SelfUpdate::new("caro", VERSION)
        .version(version)
        .check_only(check)
        .run();
    match outcome {
        Ok(outcome) => {
            println!("{outcome}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(help) = error.help() {
                eprintln!("help: {help}");
            }
            ExitCode::FAILURE
        }
    }
}
