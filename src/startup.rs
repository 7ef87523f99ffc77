//! The start-up check: a new build is run once, with its version flag, before it is
//! placed. It must start, exit 0 within [`SANITY_RUN_SECONDS`] and name the version it was
//! published as; anything else means it is not placed. Install and update both run it, so
//! it lives below them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::release::Version;
use crate::report::Reporter;

/// Runs the new binary once with its version flag; it must start and exit 0 within
/// [`SANITY_RUN_SECONDS`]. Its output is read up to [`SANITY_RUN_BYTES`] (the rest is
/// discarded as it comes, so endless output costs nothing), and it runs without the
/// GitHub token: a build not yet trusted gets no secrets.
pub fn check_starts(
    path: &Path,
    flag: &str,
    target: &Version,
    reporter: &dyn Reporter,
) -> Result<()> {
    let failed = |detail: String| Error::SanityCheck {
        path: path.to_path_buf(),
        detail,
    };
    let mut command = Command::new(path);
    command
        .arg(flag)
        .env_remove("CARO_GITHUB_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    // In a host with other threads (caro's runtime), one that forks while the new build
    // was still open for writing keeps it open until its exec: "text file busy" for a
    // moment. That, and only that, is tried again, for at most a second.
    let mut busy = 0;
    let mut child = loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(TEXT_FILE_BUSY) && busy < 50 => {
                busy += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            result => {
                break result
                    .map_err(|source| failed(format!("it could not be started: {source}")))?;
            }
        }
    };
    // The reader is never joined: a process the build left behind may hold its output
    // open, and waiting for that would be the unbounded wait this avoids.
    let stdout = child.stdout.take();
    let (send, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut stdout) = stdout {
            use std::io::Read;
            let _ = (&mut stdout).take(SANITY_RUN_BYTES).read_to_end(&mut kept);
            let _ = send.send(kept);
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        }
    });
    let deadline = Instant::now() + Duration::from_secs(SANITY_RUN_SECONDS);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!(
                    "`{flag}` did not exit within {SANITY_RUN_SECONDS} s"
                )));
            }
            Err(source) => return Err(failed(format!("waiting for it failed: {source}"))),
        }
    };
    let output = output
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .unwrap_or_default();
    if !status.success() {
        return Err(failed(format!("`{flag}` exited with {status}")));
    }
    let said = String::from_utf8_lossy(&output);
    let said = said.trim();
    reporter.detail(&format!("the new build says: {said}"));
    // A build that reports another version would be "updated" again on every run.
    if !reports_version(said, target) {
        return Err(failed(format!(
            "`{flag}` printed `{}`, not version {target}: the release's build does not \
             match its tag",
            said.lines().next().unwrap_or("")
        )));
    }
    Ok(())
}

/// Returns true if and only if `output` (of `--version`) names `version` as a word of its
/// own (`caro 1.1.0`, `caro v1.1.0 (abc123)`; not `1.1.01`).
pub fn reports_version(output: &str, version: &Version) -> bool {
    let wanted = version.to_string();
    output
        .split(|c: char| c.is_whitespace() || "()[],;\"'".contains(c))
        .any(|word| word.trim_start_matches(['v', 'V']) == wanted)
}

/// ETXTBSY, "text file busy", on Linux and the BSDs alike.
const TEXT_FILE_BUSY: i32 = 26;

/// How long the new build's start-up check may run.
pub const SANITY_RUN_SECONDS: u64 = 10;

/// How much of the start-up check's output is kept.
pub const SANITY_RUN_BYTES: u64 = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::Version;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn the_start_up_check_looks_for_the_version_as_a_word() {
        assert!(reports_version("caro 1.1.0", &v("1.1.0")));
        assert!(reports_version(
            "caro v1.1.0 (abc1234 2026-01-01)",
            &v("1.1.0")
        ));
        assert!(reports_version(
            "caro-install 1.1.0-beta.2\n",
            &v("1.1.0-beta.2")
        ));
        assert!(!reports_version("caro 1.0.3", &v("1.1.0")));
        assert!(!reports_version("caro 1.1.01", &v("1.1.0")));
        assert!(!reports_version("", &v("1.1.0")));
    }
}
