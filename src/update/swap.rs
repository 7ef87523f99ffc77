//! The running-executable swap and its supervisor: download and verify beside the binary,
//! run the new build once under a time and output bound, then swap it in under the lock.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::caro::record_update;
use super::{UpdateOutcome, UpdateRequest, needs_update};
use crate::download::Http;
use crate::error::{Error, Result};
use crate::fetch::{self, Wanted};
use crate::files::{self, DirLock};
use crate::platform::Choice;
use crate::receipt::Receipt;
use crate::release::{ReleaseSource, Version, VersionRequest};
use crate::report::Reporter;
use crate::signature;

/// What is being updated: which program, from where, which file, for which platform.
pub(super) struct Target {
    pub(super) app: String,
    pub(super) source: ReleaseSource,
    pub(super) binary: PathBuf,
    pub(super) platform: Choice,
    pub(super) current: Version,
    pub(super) signatures: signature::Policy,
    /// The receipt (and its path) to record a replacement in: set when the binary is the
    /// caro the receipt installed.
    pub(super) receipt: Option<(PathBuf, Receipt)>,
}

impl Target {
    /// Updates the binary (and the receipt, when it tracks it).
    pub(super) fn update(
        self,
        request: &UpdateRequest,
        http: &mut Http,
        reporter: &dyn Reporter,
    ) -> Result<UpdateOutcome> {
        http.trust_token_hosts(&self.source);
        let dir = self.binary.parent().unwrap_or(Path::new("."));
        if !request.check_only {
            files::tidy(dir, reporter);
        }
        let explicit = request.version.is_some();
        let requested = request.version.clone().unwrap_or(VersionRequest::Latest);
        let (target, _) = fetch::resolve_version(&requested, &self.source, http, reporter)?;
        if !needs_update(&self.current, &target, explicit) {
            return Ok(UpdateOutcome::UpToDate {
                app: self.app,
                version: self.current,
            });
        }
        let wanted = Wanted {
            name: &self.app,
            source: &self.source,
            version: &target,
            choice: &self.platform,
            dir,
            signatures: &self.signatures,
        };
        if request.check_only {
            // "Available" is a promise that an update would find a verifiable build.
            let url = fetch::find_published(&wanted, http, reporter)
                .map_err(|e| fetch::not_built_yet(e, &requested, &wanted, http, reporter))?;
            reporter.detail(&format!("{url} and its .sha256 are published"));
            return Ok(UpdateOutcome::Available {
                app: self.app,
                current: self.current,
                target,
            });
        }
        files::check_install_dir(dir, reporter)?;
        let _lock = DirLock::acquire(dir, files::lock_wait(http.stall()), reporter)?;
        files::remove_leftovers(dir, reporter);
        let (mut new, asset) = fetch::fetch_verified(&wanted, http, reporter)
            .map_err(|e| fetch::not_built_yet(e, &requested, &wanted, http, reporter))?;
        // Said once the new build is here and verified, not before a lookup that may fail.
        reporter.info(&format!(
            "updating {} {} -> {target}",
            self.app, self.current
        ));
        new.make_executable()?;
        new.check_unchanged()?;
        self.check_starts(new.path(), &target, reporter)?;
        new.replace_running(&self.binary, reporter)?;
        reporter.detail(&format!(
            "verified and placed {} from {}",
            self.binary.display(),
            asset.url
        ));
        if let Some((path, receipt)) = self.receipt {
            record_update(&path, receipt, &target, &asset, reporter)?;
        }
        Ok(UpdateOutcome::Updated {
            app: self.app,
            from: self.current,
            to: target,
            path: self.binary,
        })
    }

    /// Runs the new binary once with its version flag; it must start and exit 0 within
    /// [`SANITY_RUN_SECONDS`]. Its output is read up to [`SANITY_RUN_BYTES`] (the rest is
    /// discarded as it comes, so endless output costs nothing), and it runs without the
    /// GitHub token: a build not yet trusted gets no secrets.
    fn check_starts(&self, path: &Path, target: &Version, reporter: &dyn Reporter) -> Result<()> {
        let flag = if self.app == "caro-install" {
            "-V"
        } else {
            "--version"
        };
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
