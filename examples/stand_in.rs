//! A stand-in release build for the tests on Windows, where a `#!/bin/sh` script cannot run.
//!
//! The tests publish this one executable as any version of caro or caro-install by
//! appending a line to it: `\n#stand-in: caro 1.1.0\n` (padding may follow). Windows (and
//! Linux) run an executable with bytes after its end as they run it without; this program
//! reads its own file, and `--version` or `-V` print that line (`caro 1.1.0`), like the
//! shell-script stand-ins do on Unix. Every version so gets its own bytes and sha256.
//! `--wait` keeps it running until its stdin closes: a caro the user has open while an
//! update replaces it.

use std::process::ExitCode;

/// What precedes the line to print, appended to the file.
const MARKER: &[u8] = b"\n#stand-in: ";

fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    if arg.as_deref() == Some("--wait") {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        return ExitCode::SUCCESS;
    }
    if !matches!(arg.as_deref(), Some("--version" | "-V")) {
        eprintln!("usage: stand_in --version | --wait");
        return ExitCode::from(2);
    }
    let bytes = std::env::current_exe()
        .and_then(std::fs::read)
        .unwrap_or_default();
    // The last marker in the file (this program's own copy of it comes earlier), up to the
    // end of its line: tests may pad the file after it.
    match bytes.windows(MARKER.len()).rposition(|w| w == MARKER) {
        Some(at) => {
            let rest = &bytes[at + MARKER.len()..];
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            println!("{}", String::from_utf8_lossy(&rest[..end]).trim_end());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("stand_in: no `#stand-in:` line at the end of this file");
            ExitCode::FAILURE
        }
    }
}
