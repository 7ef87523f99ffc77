//! The start-up check: a new build is run once, with its version flag, before it is
//! placed. It must start, exit 0 within [`SANITY_RUN_SECONDS`] and name the version it was
//! published as; anything else means it is not placed. Install and update both run it, so
//! it lives below them.
//!
//! It is the last line against a signed or checksummed build served under the wrong tag:
//! [`check_build`] is the only way to get a [`CheckedBuild`], and a [`CheckedBuild`] is
//! what install and update place, so no new way in can place a build that skipped it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::files::TempFile;
use crate::platform::Platform;
use crate::release::{Program, Version};
use crate::report::Reporter;

/// A new build that is executable, still the file that was verified, and (where it can run
/// here) said it is the version it was published as: ready to be placed.
#[derive(Debug)]
pub struct CheckedBuild(TempFile);

/// Makes `new` executable and runs the start-up check on it: `program`'s version flag must
/// name `version`. It is always tried: a build for another platform that runs here all the
/// same (under emulation) is held to it too. Only a build for a platform this machine does
/// not run (a `--platform` chosen for another one) that cannot even be started is let
/// through without it, which `-v` says; its sha256 and signature are what vouch for it.
pub fn check_build(
    mut new: TempFile,
    program: Program,
    version: &Version,
    platform: Platform,
    reporter: &dyn Reporter,
) -> Result<CheckedBuild> {
    new.make_executable()?;
    new.check_unchanged()?;
    let foreign = !runs_on(platform, std::env::consts::OS, std::env::consts::ARCH);
    let flag = program.version_flag();
    if !run_check(new.path(), flag, version, foreign, reporter)? {
        reporter.detail(&format!(
            "the {platform} build does not start on this machine, so its `{flag}` was not checked"
        ));
    }
    Ok(CheckedBuild(new))
}

impl CheckedBuild {
    /// Puts the build at `target`, which may be running (see
    /// [`TempFile::replace_running`]).
    pub fn place(self, target: &Path, reporter: &dyn Reporter) -> Result<()> {
        self.0.replace_running(target, reporter)
    }
}

/// Returns true if and only if a build for `platform` can run on a machine whose
/// `std::env::consts` are `os` and `arch`: the same OS, and the same architecture or an
/// x86_64 build on an arm64 Mac or Windows (which emulate it). A glibc or musl build counts
/// as Linux either way: if it cannot start, the check says so.
pub fn runs_on(platform: Platform, os: &str, arch: &str) -> bool {
    let (build_os, native) = match platform {
        Platform::LinuxAmd64 | Platform::LinuxAmd64Musl => ("linux", "x86_64"),
        Platform::LinuxArm64 | Platform::LinuxArm64Musl => ("linux", "aarch64"),
        Platform::MacosIntel => ("macos", "x86_64"),
        Platform::MacosSilicon => ("macos", "aarch64"),
        Platform::WindowsAmd64 => ("windows", "x86_64"),
        Platform::WindowsArm64 => ("windows", "aarch64"),
    };
    let same_os = build_os == os;
    same_os && (native == arch || (native == "x86_64" && arch == "aarch64" && os != "linux"))
}

/// Runs the new binary once with its version flag; it must start and exit 0 within
/// [`SANITY_RUN_SECONDS`]. Its output is read up to [`SANITY_RUN_BYTES`] (the rest is
/// discarded as it comes, so endless output costs nothing), and it runs without the
/// GitHub token: a build not yet trusted gets no secrets. When `foreign` (a build for a
/// platform this machine does not run), one that cannot be started at all is `Ok(false)`,
/// not an error.
fn run_check(
    path: &Path,
    flag: &str,
    target: &Version,
    foreign: bool,
    reporter: &dyn Reporter,
) -> Result<bool> {
    let failed = |detail: String| Error::SanityCheck {
        path: path.to_path_buf(),
        detail,
    };
    let mut command = Command::new(path);
    command
        .arg(flag)
        .env_remove("CARO_GITHUB_TOKEN")
        .env_remove("GITHUB_TOKEN")
        // Pipes, not /dev/null: a minimal root (a container, a chroot) may have no /dev,
        // and that must not read as a build that cannot start. Its stdin is closed at once
        // (end of input) and its stderr is read and dropped.
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
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
            Err(e) if foreign && cannot_execute(&e) => return Ok(false),
            result => {
                break result
                    .map_err(|source| failed(format!("it could not be started: {source}")))?;
            }
        }
    };
    // The reader is never joined: a process the build left behind may hold its output
    // open, and waiting for that would be the unbounded wait this avoids.
    drop(child.stdin.take());
    if let Some(mut stderr) = child.stderr.take() {
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    }
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
    Ok(true)
}

/// Returns true if and only if `error` says the file is no executable this system runs
/// (ENOEXEC on Unix; ERROR_BAD_EXE_FORMAT on Windows).
fn cannot_execute(error: &std::io::Error) -> bool {
    const ENOEXEC: i32 = 8;
    const ERROR_BAD_EXE_FORMAT: i32 = 193;
    let code = if cfg!(windows) {
        ERROR_BAD_EXE_FORMAT
    } else {
        ENOEXEC
    };
    error.raw_os_error() == Some(code)
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
    fn only_builds_this_machine_runs_are_started() {
        assert!(runs_on(Platform::LinuxAmd64, "linux", "x86_64"));
        assert!(runs_on(Platform::LinuxAmd64Musl, "linux", "x86_64"));
        assert!(!runs_on(Platform::LinuxArm64, "linux", "x86_64"));
        assert!(!runs_on(Platform::LinuxAmd64, "linux", "aarch64"));
        assert!(!runs_on(Platform::WindowsAmd64, "linux", "x86_64"));
        assert!(runs_on(Platform::WindowsAmd64, "windows", "x86_64"));
        assert!(runs_on(Platform::WindowsAmd64, "windows", "aarch64"));
        assert!(runs_on(Platform::MacosIntel, "macos", "aarch64"));
        assert!(runs_on(Platform::MacosSilicon, "macos", "aarch64"));
        assert!(!runs_on(Platform::MacosSilicon, "macos", "x86_64"));
        assert!(!runs_on(Platform::MacosIntel, "linux", "x86_64"));
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
