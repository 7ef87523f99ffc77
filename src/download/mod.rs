//! Talking to release hosts: streaming downloads with hashing, retries, resume and stall
//! timeouts, and the TLS, proxy and token rules of docs/releases.md.
//!
//! Why it is shaped like this:
//! - **One pass.** A download is hashed as its bytes arrive and written straight to a file
//!   beside its final place, so memory stays flat whatever the size and the digest is ready
//!   the moment the last byte lands.
//! - **404 is an answer, not a failure.** Callers try asset names in order and move on only
//!   when one is missing, so [`Http`] returns `None` for 404 and retries everything that
//!   might be passing (connect errors, resets, 5xx, 429) before reporting an error. A 503
//!   therefore never makes the installer fall back to a legacy asset name.
//! - **Stalls, not size, end a transfer.** `CARO_HTTP_TIMEOUT` bounds the wait for each read,
//!   never the whole transfer; a cut connection resumes with a `Range` request.
//! - **Nothing secret leaks.** The token goes only to the configured API and base hosts over
//!   https, and never on a redirect; plain http is refused before connecting unless the host
//!   is loopback.
//! - **Every hop is checked.** Redirects are followed here, not inside ureq, so each hop
//!   passes [`check_redirect`]: https never downgrades to http, plain http only between
//!   loopback hosts, no other scheme. A mirror cannot be turned into a cleartext download by
//!   one `302`.
//!
//! Three rooms below this one: [`transport`] (agents, TLS roots, proxy, which URLs and hops
//! are allowed, which hosts see the token), `pipeline.rs` (the read/hash/write pass) and
//! `retry.rs` (how long to wait, how often to ask again, and the causes as users read them).
//! This file is the transfer: what each request is for, retries, resume, and the answers.

mod pipeline;
mod retry;
pub mod transport;

pub use pipeline::Sink;
pub(crate) use pipeline::{copy_hashing, start_writeback};

pub use transport::{Scheme, check_url, file_url_path};

use std::fs::File;
use std::io::Read;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use ureq::Body;
use ureq::http::Response;

use crate::checksum::Digest;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::release::ReleaseSource;
use crate::report::Reporter;
use pipeline::is_transient_io;
pub use retry::parse_retry_after;
use retry::{
    Attempts, MAX_RETRY_AFTER, SLOW_ANSWER, backoff, host_of, is_transient, plain, plain_io,
    try_count,
};
use transport::Transport;

/// Default seconds without progress before a transfer is abandoned (`CARO_HTTP_TIMEOUT`).
pub const DEFAULT_STALL_SECONDS: u64 = 30;

/// The stall timeout of `env`: `CARO_HTTP_TIMEOUT` seconds (checked and capped as
/// [`crate::env::Check::Seconds`]), 30 by default.
pub fn stall_timeout(env: &Env) -> Result<Duration> {
    env.seconds(
        "CARO_HTTP_TIMEOUT",
        Duration::from_secs(DEFAULT_STALL_SECONDS),
    )
}

/// What a request is for, which decides how it is made and which answers are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// An asset, from byte `from` on (above 0: a resume with `Range`).
    Asset { from: u64 },
    /// A small text: a sidecar, a signature, a mirror's `latest`.
    Text,
    /// `releases/latest`, whose redirect is the answer: not followed.
    Latest,
    /// The GitHub API: JSON, and a 429 is the rate limit, reported rather than retried.
    Api,
    /// Does it exist? A `HEAD` request: nothing is downloaded.
    Probe,
}

/// What `releases/latest` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LatestAnswer {
    /// A 3xx with this `Location`.
    Redirect(String),
    /// A 200 with this body (a static mirror's `v1.2.3`).
    Body(String),
    /// Any other status.
    Status(u16),
}

/// What the API's `releases/latest` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiAnswer {
    /// 200 with this JSON.
    Json(String),
    /// Any other status, with its `x-ratelimit-reset` when present.
    Status(u16, Option<u64>),
}

/// The result of a streaming download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Downloaded {
    /// The SHA-256 of every byte written.
    pub sha256: Digest,
    /// How many bytes were written.
    pub bytes: u64,
}

/// The HTTP client, configured once from the environment.
pub struct Http {
    stall: Duration,
    transport: Transport,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("stall", &self.stall)
            .field("transport", &self.transport)
            .finish()
    }
}

impl Http {
    /// Builds the client from `env`: stall timeout, TLS roots, proxy, token. Every value
    /// of [`crate::env::CHECKED_VARIABLES`] is checked first, so nothing that makes a
    /// request can start with a value the bootstraps would refuse.
    pub fn from_env(env: &Env) -> Result<Http> {
        env.check_values()?;
        let stall = stall_timeout(env)?;
        Ok(Http {
            stall,
            transport: Transport::from_env(env, stall)?,
        })
    }

    /// How long a transfer may go without progress.
    pub fn stall(&self) -> Duration {
        self.stall
    }

    /// Allows the token to go to `source`'s base and API hosts (over https only).
    pub fn trust_token_hosts(&mut self, source: &ReleaseSource) {
        self.transport.trust_token_hosts(source);
    }

    /// Returns true if and only if the token may be sent with a request to `url`.
    pub fn sends_token_to(&self, url: &str) -> bool {
        self.transport.sends_token_to(url)
    }

    /// One GET, made as `purpose` says, retried for connect errors, 5xx and (except for the
    /// API) 429 while `attempts` has tries left.
    /// Returns the first answer that is not retryable, or the last one once attempts run out.
    fn get(
        &self,
        url: &str,
        purpose: Purpose,
        attempts: &mut Attempts,
        reporter: &dyn Reporter,
    ) -> Result<Response<Body>> {
        check_url(url)?;
        let range_from = match purpose {
            Purpose::Asset { from } if from > 0 => Some(from),
            _ => None,
        };
        loop {
            let attempt = attempts.take();
            let suffix = range_from
                .map(|from| format!(" (resuming at byte {from})"))
                .unwrap_or_default();
            let method = if purpose == Purpose::Probe {
                "HEAD"
            } else {
                "GET"
            };
            reporter.detail(&format!("{method} {url}{suffix}"));
            let answer = self.call_watched(url, purpose, range_from, reporter)?;
            let retry_after = match answer {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retryable = status >= 500 || (status == 429 && purpose != Purpose::Api);
                    if !retryable || !attempts.left() {
                        if status >= 500 || status == 429 {
                            return Err(Error::HttpStatus {
                                url: url.to_string(),
                                status,
                            });
                        }
                        return Ok(response);
                    }
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    if retry_after.is_some_and(|wait| wait > MAX_RETRY_AFTER) {
                        return Err(Error::HttpStatus {
                            url: url.to_string(),
                            status,
                        });
                    }
                    reporter.info(&format!(
                        "{} answered HTTP {status}; trying again{}",
                        host_of(url),
                        try_count(attempt + 1)
                    ));
                    retry_after
                }
                Err(ureq::Error::Timeout(_)) => {
                    if !attempts.timed_out() {
                        return Err(Error::NoAnswer {
                            host: host_of(url),
                            url: url.to_string(),
                            seconds: self.stall.as_secs(),
                            tries: attempts.made,
                        });
                    }
                    reporter.info(&format!(
                        "no answer from {} within {} s; trying again, once",
                        host_of(url),
                        self.stall.as_secs(),
                    ));
                    None
                }
                Err(error) if attempts.left() && is_transient(&error) => {
                    reporter.info(&format!(
                        "{}: {}; trying again{}",
                        host_of(url),
                        plain(error),
                        try_count(attempt + 1)
                    ));
                    None
                }
                Err(error) => {
                    return Err(Error::Request {
                        url: url.to_string(),
                        source: plain(error),
                    });
                }
            };
            std::thread::sleep(backoff(attempt, retry_after));
        }
    }

    /// [`Transport::call_following`], and when no answer has come after [`SLOW_ANSWER`],
    /// a line saying which host is waited on and for how long at most: a mirror that
    /// accepts and never answers is otherwise a blank screen until the timeout.
    fn call_watched(
        &self,
        url: &str,
        purpose: Purpose,
        range_from: Option<u64>,
        reporter: &dyn Reporter,
    ) -> Result<Result<Response<Body>, ureq::Error>> {
        let (answered, waiting) = std::sync::mpsc::channel::<()>();
        let host = host_of(url);
        let seconds = self.stall.as_secs();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    waiting.recv_timeout(SLOW_ANSWER)
                {
                    reporter.info(&format!(
                        "waiting for {host} to answer (at most {seconds} s, CARO_HTTP_TIMEOUT)"
                    ));
                }
            });
            let answer = self
                .transport
                .call_following(url, purpose, range_from, reporter);
            drop(answered);
            answer
        })
    }

    /// Returns whether `url` exists: a 2xx answer (the body is not read), or for `file://`
    /// a file or folder at its path; a 404 is `false`, any other answer an error.
    pub fn exists(&self, url: &str, reporter: &dyn Reporter) -> Result<bool> {
        if check_url(url)? == Scheme::File {
            return Ok(file_url_path(url).exists());
        }
        let response = self.get(url, Purpose::Probe, &mut Attempts::default(), reporter)?;
        match response.status().as_u16() {
            200..=299 => Ok(true),
            404 | 410 => Ok(false),
            status => Err(Error::HttpStatus {
                url: url.to_string(),
                status,
            }),
        }
    }

    /// Fetches a small text (a sidecar, a mirror's `latest`): `None` on 404, an error on any
    /// other failure or when it is larger than `limit` bytes.
    pub fn get_text(
        &self,
        url: &str,
        limit: u64,
        reporter: &dyn Reporter,
    ) -> Result<Option<String>> {
        let read_error = |source: std::io::Error| Error::Request {
            url: url.to_string(),
            source: Box::new(plain_io(source, self.stall)),
        };
        if check_url(url)? == Scheme::File {
            reporter.detail(&format!("read {url}"));
            let path = file_url_path(url);
            if path.is_dir() {
                // A mirror's `releases/latest/download/` folder: no text here, like a 404.
                return Ok(None);
            }
            // A mirror's file is read through the guard: a FIFO there never hangs us.
            return match crate::files::open_regular_shared(&path) {
                Ok(Some(file)) => read_limited(file, limit).map(Some).map_err(read_error),
                Ok(None) => Ok(None),
                Err(refused) => Err(Error::UnsafeFile {
                    operation: "read",
                    path,
                    refused,
                }),
            };
        }
        let response = self.get(url, Purpose::Text, &mut Attempts::default(), reporter)?;
        match response.status().as_u16() {
            200 => read_limited(response.into_body().into_reader(), limit)
                .map(Some)
                .map_err(read_error),
            404 => Ok(None),
            status => Err(Error::HttpStatus {
                url: url.to_string(),
                status,
            }),
        }
    }

    /// Asks `releases/latest` without following its redirect.
    pub fn get_latest(&self, url: &str, reporter: &dyn Reporter) -> Result<LatestAnswer> {
        if check_url(url)? == Scheme::File {
            return Ok(match self.get_text(url, 1024, reporter)? {
                Some(body) => LatestAnswer::Body(body),
                None => LatestAnswer::Status(404),
            });
        }
        let response = self.get(url, Purpose::Latest, &mut Attempts::default(), reporter)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok());
            return Ok(match location {
                Some(location) => LatestAnswer::Redirect(location.to_string()),
                None => LatestAnswer::Status(status),
            });
        }
        if status == 200 {
            // A real GitHub page would be HTML of many kilobytes: only a short body can be a tag.
            let body = read_limited(response.into_body().into_reader(), 1024).unwrap_or_default();
            return Ok(LatestAnswer::Body(body));
        }
        Ok(LatestAnswer::Status(status))
    }

    /// Asks the API's `releases/latest`; 403 and 429 are answered, not retried, so the
    /// caller can report the rate limit with its reset time.
    pub fn get_api(&self, url: &str, reporter: &dyn Reporter) -> Result<ApiAnswer> {
        if check_url(url)? == Scheme::File {
            return Ok(match self.get_text(url, 1024 * 1024, reporter)? {
                Some(json) => ApiAnswer::Json(json),
                None => ApiAnswer::Status(404, None),
            });
        }
        let response = self.get(url, Purpose::Api, &mut Attempts::default(), reporter)?;
        let status = response.status().as_u16();
        if status == 200 {
            let json =
                read_limited(response.into_body().into_reader(), 1024 * 1024).map_err(|e| {
                    Error::Request {
                        url: url.to_string(),
                        source: Box::new(plain_io(e, self.stall)),
                    }
                })?;
            return Ok(ApiAnswer::Json(json));
        }
        let reset = response
            .headers()
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        Ok(ApiAnswer::Status(status, reset))
    }

    /// Streams `url` into `file`, hashing as it goes; `None` on 404. A connection cut mid-body
    /// resumes with `Range` from the last byte written (or starts over when the server
    /// ignores `Range`); the digest always covers the whole file.
    pub fn download(
        &self,
        url: &str,
        file: &mut File,
        reporter: &dyn Reporter,
    ) -> Result<Option<Downloaded>> {
        self.download_into(url, file, reporter)
    }

    /// Streams `url` into `sink` as [`download`](Self::download) does into a file: hashed as
    /// it arrives, resumed with `Range` when cut. A sink that cannot start over (an
    /// unpacker) gets each byte once: when a server ignores `Range`, the bytes it already
    /// took are skipped in the new answer, and the digest covers exactly what it took.
    pub fn download_into(
        &self,
        url: &str,
        file: &mut dyn Sink,
        reporter: &dyn Reporter,
    ) -> Result<Option<Downloaded>> {
        let write_error = |source| Error::Download {
            url: url.to_string(),
            source: plain_io(source, self.stall),
        };
        if check_url(url)? == Scheme::File {
            reporter.detail(&format!("read {url}"));
            let path = file_url_path(url);
            let mut source = match crate::files::open_regular_shared(&path) {
                Ok(Some(source)) => source,
                Ok(None) => return Ok(None),
                Err(refused) => {
                    return Err(Error::UnsafeFile {
                        operation: "read",
                        path,
                        refused,
                    });
                }
            };
            let total = source.metadata().ok().map(|m| m.len());
            file.expect_length(total).map_err(write_error)?;
            reporter.download_started(url, total);
            let mut hasher = Sha256::new();
            let copied = copy_hashing(&mut source, file, &mut hasher, 0, reporter);
            reporter.download_finished();
            let bytes = copied.map_err(|(_, e)| write_error(e))?;
            return Ok(Some(Downloaded {
                sha256: Digest(hasher.finalize().into()),
                bytes,
            }));
        }

        let mut hasher = Sha256::new();
        let mut written: u64 = 0;
        // Bytes of the next answer that the sink already has (see above).
        let mut skip: u64 = 0;
        let mut attempts = Attempts::default();
        loop {
            let resume_from = (written > 0).then_some(written);
            let response = self.get(
                url,
                Purpose::Asset { from: written },
                &mut attempts,
                reporter,
            )?;
            let status = response.status().as_u16();
            let length = response
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            match status {
                404 if written == 0 => return Ok(None),
                200 if written == 0 => file.expect_length(length).map_err(write_error)?,
                200 => {
                    reporter.detail(&format!("{url} ignored the Range request; starting over"));
                    if file.start_over().map_err(write_error)? {
                        hasher = Sha256::new();
                        written = 0;
                    } else {
                        skip = written;
                    }
                }
                206 if resume_from.is_some() => {
                    let start = response
                        .headers()
                        .get("content-range")
                        .and_then(|v| v.to_str().ok())
                        .and_then(content_range_start);
                    if start != Some(written) {
                        return Err(Error::HttpStatus {
                            url: url.to_string(),
                            status,
                        });
                    }
                }
                status => {
                    return Err(Error::HttpStatus {
                        url: url.to_string(),
                        status,
                    });
                }
            }
            reporter.download_started(url, length.map(|l| l + written - skip));
            let mut body = response.into_body().into_reader();
            if skip > 0 {
                let skipped = std::io::copy(&mut (&mut body).take(skip), &mut std::io::sink());
                if skipped.ok() != Some(skip) {
                    return Err(Error::HttpStatus {
                        url: url.to_string(),
                        status,
                    });
                }
                skip = 0;
            }
            let result = copy_hashing(&mut body, file, &mut hasher, written, reporter);
            reporter.download_finished();
            match result {
                Ok(total) => {
                    return Ok(Some(Downloaded {
                        sha256: Digest(hasher.finalize().into()),
                        bytes: total,
                    }));
                }
                Err((total, error)) if attempts.left() && is_transient_io(&error) => {
                    if total == written {
                        std::thread::sleep(backoff(attempts.made, None));
                    }
                    reporter.info(&format!(
                        "{}: {} after {total} bytes; resuming{}",
                        host_of(url),
                        plain_io(error, self.stall),
                        try_count(attempts.made + 1)
                    ));
                    written = total;
                }
                Err((_, error)) => return Err(write_error(error)),
            }
        }
    }
}

/// The first byte of `bytes 100-199/200`.
fn content_range_start(value: &str) -> Option<u64> {
    value
        .trim()
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}

fn read_limited(reader: impl Read, limit: u64) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the answer is larger than {limit} bytes"),
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_gives_the_start() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes */200"), None);
    }
}
