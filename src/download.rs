//! Talking to release hosts: streaming downloads with hashing, retries, resume and stall
//! timeouts, and the TLS, proxy and token rules of SPEC section 5.
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

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use ureq::http::{Response, Uri};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::{Agent, Body};

use crate::checksum::Digest;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::release::ReleaseSource;
use crate::report::Reporter;

/// Default seconds without progress before a transfer is abandoned (`CARO_HTTP_TIMEOUT`).
pub const DEFAULT_STALL_SECONDS: u64 = 30;

/// How many times a request is made before its failure is reported.
const ATTEMPTS: u32 = 4;

/// The longest `Retry-After` honoured; beyond it the error is reported at once.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The stall timeout of `env`: `CARO_HTTP_TIMEOUT` seconds, 30 by default.
pub fn stall_timeout(env: &Env) -> Result<Duration> {
    match env.var("CARO_HTTP_TIMEOUT") {
        None => Ok(Duration::from_secs(DEFAULT_STALL_SECONDS)),
        Some(text) => match text.trim().parse::<u64>() {
            Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
            _ => Err(Error::InvalidVariable {
                name: "CARO_HTTP_TIMEOUT",
                value: text.to_string(),
                expected: "a whole number of seconds above 0",
            }),
        },
    }
}

/// The scheme of a URL the installer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `https://`.
    Https,
    /// `http://` to a loopback host.
    LoopbackHttp,
    /// `file://`, for mirrors on disk.
    File,
}

/// Decides whether `url` may be fetched at all, before anything is connected.
pub fn check_url(url: &str) -> Result<Scheme> {
    let refuse = |reason| {
        Err(Error::InsecureUrl {
            url: url.to_string(),
            reason,
        })
    };
    if url.starts_with("file://") {
        return Ok(Scheme::File);
    }
    let Ok(uri) = url.parse::<Uri>() else {
        return refuse("it is not a valid URL");
    };
    match uri.scheme_str() {
        Some("https") => Ok(Scheme::Https),
        Some("http") if uri.host().is_some_and(is_loopback_host) => Ok(Scheme::LoopbackHttp),
        Some("http") => {
            refuse("plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)")
        }
        _ => refuse("only https://, file:// and loopback http:// URLs are supported"),
    }
}

/// Returns true if and only if `host` is `localhost`, in 127.0.0.0/8, or `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The most redirects one request follows before giving up.
const MAX_REDIRECTS: u32 = 10;

/// Decides whether a redirect from `from` (already allowed) to `to` may be followed: `to`
/// must pass [`check_url`] itself, must not be `file://` (a server never points into the
/// local disk), and an https request never continues over plain http, not even to loopback.
pub fn check_redirect(from: &str, to: &str) -> Result<()> {
    let refuse = |reason| {
        Err(Error::InsecureRedirect {
            from: from.to_string(),
            to: to.to_string(),
            reason,
        })
    };
    let scheme = match check_url(to) {
        Ok(scheme) => scheme,
        Err(Error::InsecureUrl { reason, .. }) => return refuse(reason),
        Err(other) => return Err(other),
    };
    match (check_url(from)?, scheme) {
        (_, Scheme::File) => refuse("a redirect may not lead to a file:// URL"),
        (Scheme::Https, Scheme::LoopbackHttp) => {
            refuse("an https download never continues over plain http")
        }
        _ => Ok(()),
    }
}

/// The absolute URL a `Location` header names, relative to the URL that answered it
/// (absolute, scheme-relative `//host/path`, absolute-path `/path`, or relative `path`).
pub fn resolve_location(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if location.contains("://") {
        return Some(location.to_string());
    }
    let uri = base.parse::<Uri>().ok()?;
    let scheme = uri.scheme_str()?;
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    let authority = uri.authority()?.as_str();
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path = uri.path();
    let folder = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let folder = if folder.is_empty() { "/" } else { folder };
    Some(format!("{scheme}://{authority}{folder}{location}"))
}

/// Turns a `file://` URL into a path, decoding `%XX` escapes.
pub fn file_url_path(url: &str) -> PathBuf {
    let raw = url.trim_start_matches("file://");
    let raw = raw.strip_prefix("localhost").unwrap_or(raw);
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                decoded.push(u8::try_from(high * 16 + low).unwrap_or(b'%'));
                i += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    let text = String::from_utf8_lossy(&decoded).into_owned();
    // file:///C:/dir on Windows: drop the slash before the drive letter.
    if cfg!(windows) && text.len() > 2 && text.as_bytes()[2] == b':' {
        return PathBuf::from(&text[1..]);
    }
    PathBuf::from(text)
}

/// Returns true if and only if a request to `host` should bypass the proxy per `no_proxy`
/// (`NO_PROXY`: comma-separated hosts or domain suffixes, `*` for all).
pub fn bypasses_proxy(host: &str, no_proxy: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            let entry = match entry.rsplit_once(':') {
                Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
                _ => entry,
            }
            .to_ascii_lowercase();
            host == entry || host.ends_with(&format!(".{entry}"))
        })
}

/// Parses `Retry-After` as delay-seconds (the HTTP-date form is treated as absent).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The pause before attempt `attempt` (1-based retry count): exponential from 250 ms with
/// up to 25% jitter, capped at 8 s, unless the server said how long to wait.
fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait;
    }
    let base = Duration::from_millis(250)
        .saturating_mul(1 << attempt.saturating_sub(1).min(5))
        .min(Duration::from_secs(8));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
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

/// The tries one transfer may make, shared by everything that can fail in it (no answer,
/// a 5xx or 429, a body cut short), so the bound holds for the transfer as a whole.
#[derive(Debug, Default)]
struct Attempts {
    made: u32,
}

impl Attempts {
    /// Counts one more try and returns its number (1-based).
    fn take(&mut self) -> u32 {
        self.made += 1;
        self.made
    }

    /// Returns true if and only if another try may be made.
    fn left(&self) -> bool {
        self.made < ATTEMPTS
    }
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
    /// For loopback `http://`: no TLS, never proxied.
    plain: Agent,
    /// For `https://`, built on the first such request, so an install from a loopback or
    /// file:// mirror never reads certificate stores.
    https: std::sync::Mutex<Option<HttpsAgents>>,
    tls: TlsSource,
    proxy: Option<ureq::Proxy>,
    no_proxy: String,
    token: Option<String>,
    token_hosts: Vec<String>,
}

#[derive(Clone)]
struct HttpsAgents {
    direct: Agent,
    proxied: Option<Agent>,
}

/// Where trusted roots come from: the variables of SPEC section 5, read once.
#[derive(Debug, Clone, Default)]
struct TlsSource {
    native: bool,
    cert_file: Option<String>,
    cert_dir: Option<String>,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("proxied", &self.proxy.is_some())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_hosts", &self.token_hosts)
            .finish()
    }
}

impl Http {
    /// Builds the client from `env`: stall timeout, TLS roots, proxy, token.
    pub fn from_env(env: &Env) -> Result<Http> {
        let stall = stall_timeout(env)?;
        let proxy_url = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .find_map(|name| env.var(name));
        let proxy = match proxy_url {
            Some(url) => Some(ureq::Proxy::new(url).map_err(|e| Error::InvalidVariable {
                name: "HTTPS_PROXY",
                value: format!("{url} ({e})"),
                expected: "a proxy URL like http://proxy.example:3128",
            })?),
            None => None,
        };
        Ok(Http {
            plain: agent(stall, TlsConfig::default(), None),
            https: std::sync::Mutex::new(None),
            tls: TlsSource {
                native: env.flag("CARO_NATIVE_TLS"),
                cert_file: env.var("SSL_CERT_FILE").map(str::to_string),
                cert_dir: env.var("SSL_CERT_DIR").map(str::to_string),
            },
            stall,
            proxy,
            no_proxy: env
                .var("NO_PROXY")
                .or_else(|| env.var("no_proxy"))
                .unwrap_or("")
                .to_string(),
            token: env.github_token().map(str::to_string),
            token_hosts: Vec::new(),
        })
    }

    /// How long a transfer may go without progress.
    pub fn stall(&self) -> Duration {
        self.stall
    }

    /// Allows the token to go to `source`'s base and API hosts (over https only).
    pub fn trust_token_hosts(&mut self, source: &ReleaseSource) {
        for url in [&source.base_url, &source.api_url] {
            let host = url
                .parse::<Uri>()
                .ok()
                .and_then(|u| u.host().map(str::to_ascii_lowercase));
            if let Some(host) = host.filter(|host| !self.token_hosts.contains(host)) {
                self.token_hosts.push(host);
            }
        }
    }

    /// Returns true if and only if the token may be sent with a request to `url`.
    pub fn sends_token_to(&self, url: &str) -> bool {
        let Ok(uri) = url.parse::<Uri>() else {
            return false;
        };
        self.token.is_some()
            && uri.scheme_str() == Some("https")
            && uri
                .host()
                .is_some_and(|host| self.token_hosts.contains(&host.to_ascii_lowercase()))
    }

    /// The agent for `uri`: the plain one for (loopback) http, else the https one through
    /// the proxy unless the host is loopback or in `NO_PROXY`.
    fn agent_for(&self, uri: &Uri) -> Result<Agent> {
        if uri.scheme_str() != Some("https") {
            return Ok(self.plain.clone());
        }
        let mut https = self.https.lock().unwrap_or_else(|e| e.into_inner());
        let agents = match &*https {
            Some(agents) => agents.clone(),
            None => {
                let tls = tls_config(&self.tls)?;
                let agents = HttpsAgents {
                    direct: agent(self.stall, tls.clone(), None),
                    proxied: self
                        .proxy
                        .clone()
                        .map(|proxy| agent(self.stall, tls, Some(proxy))),
                };
                *https = Some(agents.clone());
                agents
            }
        };
        let host = uri.host().unwrap_or("");
        Ok(match agents.proxied {
            Some(proxied) if !is_loopback_host(host) && !bypasses_proxy(host, &self.no_proxy) => {
                proxied
            }
            _ => agents.direct,
        })
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
            let retry_after = match self.call_following(url, purpose, range_from, reporter)? {
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
                    reporter.detail(&format!("{url} answered HTTP {status}; retrying"));
                    retry_after
                }
                Err(error) if attempts.left() && is_transient(&error) => {
                    reporter.detail(&format!("{url}: {error}; retrying"));
                    None
                }
                Err(error) => {
                    return Err(Error::Request {
                        url: url.to_string(),
                        source: Box::new(error),
                    });
                }
            };
            std::thread::sleep(backoff(attempt, retry_after));
        }
    }

    /// Makes one request to `url` and follows its redirects here, each hop checked by
    /// [`check_redirect`] before it is connected (the token goes with the first request
    /// only). A `releases/latest` request is answered as it is: its redirect is the answer.
    /// Small texts get a total deadline of the stall timeout, so a server dripping one byte
    /// at a time cannot hold the installer.
    fn call_following(
        &self,
        url: &str,
        purpose: Purpose,
        range_from: Option<u64>,
        reporter: &dyn Reporter,
    ) -> Result<Result<Response<Body>, ureq::Error>> {
        let mut current = url.to_string();
        for hop in 0..=MAX_REDIRECTS {
            let uri: Uri = current.parse().map_err(|e| Error::Request {
                url: current.clone(),
                source: Box::new(e),
            })?;
            let agent = self.agent_for(&uri)?;
            let mut request = if purpose == Purpose::Probe {
                agent.head(&current)
            } else {
                agent.get(&current)
            };
            if hop == 0 && self.sends_token_to(&current) {
                request = request.header(
                    "Authorization",
                    format!("Bearer {}", self.token.as_deref().unwrap_or("")),
                );
            }
            if let Some(from) = range_from {
                request = request.header("Range", format!("bytes={from}-"));
            }
            if purpose == Purpose::Api {
                request = request.header("Accept", "application/vnd.github+json");
            }
            if !matches!(purpose, Purpose::Asset { .. }) {
                request = request.config().timeout_global(Some(self.stall)).build();
            }
            let response = match request.call() {
                Ok(response) => response,
                Err(error) => return Ok(Err(error)),
            };
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok());
            let (true, Some(location), false) = (
                (300..400).contains(&status),
                location,
                purpose == Purpose::Latest,
            ) else {
                return Ok(Ok(response));
            };
            let next =
                resolve_location(&current, location).ok_or_else(|| Error::InsecureRedirect {
                    from: current.clone(),
                    to: location.to_string(),
                    reason: "the Location header is not a URL",
                })?;
            check_redirect(&current, &next)?;
            reporter.detail(&format!("{current} redirected to {next}"));
            current = next;
        }
        Err(Error::Request {
            url: url.to_string(),
            source: format!("more than {MAX_REDIRECTS} redirects").into(),
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
        let read_error = |source| Error::Request {
            url: url.to_string(),
            source,
        };
        if check_url(url)? == Scheme::File {
            reporter.detail(&format!("read {url}"));
            let path = file_url_path(url);
            if path.is_dir() {
                // A mirror's `releases/latest/download/` folder: no text here, like a 404.
                return Ok(None);
            }
            return match std::fs::File::open(path) {
                Ok(file) => read_limited(file, limit)
                    .map(Some)
                    .map_err(|e| read_error(Box::new(e))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(read_error(Box::new(e))),
            };
        }
        let response = self.get(url, Purpose::Text, &mut Attempts::default(), reporter)?;
        match response.status().as_u16() {
            200 => read_limited(response.into_body().into_reader(), limit)
                .map(Some)
                .map_err(|e| read_error(Box::new(e))),
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
                        source: Box::new(e),
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
        let write_error = |source| Error::Download {
            url: url.to_string(),
            source,
        };
        if check_url(url)? == Scheme::File {
            reporter.detail(&format!("read {url}"));
            let mut source = match File::open(file_url_path(url)) {
                Ok(source) => source,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(write_error(e)),
            };
            let total = source.metadata().ok().map(|m| m.len());
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
                200 => {
                    if written > 0 {
                        reporter.detail(&format!("{url} ignored the Range request; starting over"));
                        file.set_len(0)
                            .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop))
                            .map_err(write_error)?;
                        hasher = Sha256::new();
                        written = 0;
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
            reporter.download_started(url, length.map(|l| l + written));
            let mut body = response.into_body().into_reader();
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
                    reporter.detail(&format!(
                        "{url}: connection lost after {total} bytes ({error}); resuming"
                    ));
                    written = total;
                }
                Err((_, error)) => return Err(write_error(error)),
            }
        }
    }
}

/// How much is read from the network at a time.
const CHUNK: usize = 256 * 1024;

/// Copies `source` into `file` from offset `already`, hashing every byte; on failure returns
/// how many bytes the file holds in all, and the error. Read errors carry
/// [`ReadFailed`] so the caller can tell a cut connection from a full disk.
///
/// The three jobs run side by side: this thread reads from the network while one thread
/// hashes and another writes, each chunk shared between the two, so the transfer costs
/// about as much as the slowest of the three rather than their sum. Bounded channels keep
/// at most a few megabytes in flight, so memory stays flat whatever the size.
fn copy_hashing(
    source: &mut dyn Read,
    file: &mut File,
    hasher: &mut Sha256,
    already: u64,
    reporter: &dyn Reporter,
) -> Result<u64, (u64, std::io::Error)> {
    use std::sync::Arc;
    use std::sync::mpsc::sync_channel;
    std::thread::scope(|scope| {
        let (to_writer, chunks_to_write) = sync_channel::<Arc<Vec<u8>>>(8);
        let (to_hasher, chunks_to_hash) = sync_channel::<Arc<Vec<u8>>>(8);
        let writer = scope.spawn(move || write_chunks(file, already, chunks_to_write));
        let hashing = scope.spawn(move || {
            chunks_to_hash
                .into_iter()
                .for_each(|chunk| hasher.update(&*chunk))
        });
        let mut total = already;
        let mut read_error = None;
        loop {
            let mut buffer = Vec::with_capacity(CHUNK);
            let result = (&mut *source).take(CHUNK as u64).read_to_end(&mut buffer);
            let n = buffer.len();
            if n > 0 {
                let chunk = Arc::new(buffer);
                if to_writer.send(Arc::clone(&chunk)).is_err() || to_hasher.send(chunk).is_err() {
                    break; // the writer stopped: its error is reported below
                }
                total += n as u64;
                reporter.download_progress(total);
            }
            match result {
                Ok(_) if n == 0 => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    read_error = Some(std::io::Error::new(e.kind(), ReadFailed(e)));
                    break;
                }
            }
        }
        drop((to_writer, to_hasher));
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        hashing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match (written, read_error) {
            (Err((written, error)), _) => Err((written, error)),
            (Ok(written), Some(error)) => Err((written, error)),
            (Ok(written), None) => Ok(written),
        }
    })
}

/// Writes chunks to `file` as they come; returns the file's length, or its length at the
/// failure and the error. Asks the kernel to start writing back every few megabytes, so
/// the final fsync has little left to do.
fn write_chunks(
    file: &mut File,
    already: u64,
    chunks: std::sync::mpsc::Receiver<std::sync::Arc<Vec<u8>>>,
) -> Result<u64, (u64, std::io::Error)> {
    const WRITEBACK_EVERY: u64 = 8 << 20;
    let mut written = already;
    let mut flushed = already;
    for chunk in chunks {
        file.write_all(&chunk).map_err(|e| (written, e))?;
        written += chunk.len() as u64;
        if written - flushed >= WRITEBACK_EVERY {
            start_writeback(file, flushed, written - flushed);
            flushed = written;
        }
    }
    Ok(written)
}

/// Starts writing `length` bytes from `offset` to disk without waiting (Linux's
/// `sync_file_range`); elsewhere a no-op, and the final fsync does all the work.
fn start_writeback(file: &File, offset: u64, length: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(length)) = (i64::try_from(offset), i64::try_from(length)) else {
            return;
        };
        // SAFETY: the descriptor is open for the duration of the call; the call only
        // schedules writeback of pages already written, so it cannot affect memory safety.
        unsafe {
            libc::sync_file_range(
                file.as_raw_fd(),
                offset,
                length,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, length);
}

/// Marks an I/O error as coming from the network side of a copy.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ReadFailed(std::io::Error);

fn is_transient_io(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<ReadFailed>())
}

fn is_transient(error: &ureq::Error) -> bool {
    matches!(
        error,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
    )
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

/// An agent with the installer's settings: statuses as answers (not errors), the stall
/// timeout on connect, headers and every read (never a total limit), no credentials across
/// redirects.
fn agent(stall: Duration, tls: TlsConfig, proxy: Option<ureq::Proxy>) -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(concat!("caro-install/", env!("CARGO_PKG_VERSION")))
        .timeout_connect(Some(stall))
        .timeout_recv_response(Some(stall))
        .timeout_per_read(Some(stall))
        // Redirects are followed by `Http::call_following`, which checks every hop.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .tls_config(tls)
        .proxy(proxy)
        .build()
        .into()
}

/// The TLS roots of SPEC section 5: Mozilla's bundled roots, plus `SSL_CERT_FILE` and the
/// certificates in `SSL_CERT_DIR` when set (TLS-inspecting corporate proxies), or the
/// operating system's verifier with `CARO_NATIVE_TLS=1`.
fn tls_config(source: &TlsSource) -> Result<TlsConfig> {
    if source.native {
        return Ok(TlsConfig::builder()
            .root_certs(RootCerts::PlatformVerifier)
            .build());
    }
    let mut extra = Vec::new();
    if let Some(path) = source.cert_file.as_deref() {
        let pem = std::fs::read(path).map_err(Error::file("read SSL_CERT_FILE", path))?;
        extra.extend(parse_certificates(&pem));
        if extra.is_empty() {
            return Err(Error::File {
                operation: "find a PEM certificate in SSL_CERT_FILE",
                path: path.into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "no certificate in the file",
                ),
            });
        }
    }
    if let Some(dir) = source.cert_dir.as_deref() {
        for directory in std::env::split_paths(dir) {
            let entries = std::fs::read_dir(&directory)
                .map_err(Error::file("read SSL_CERT_DIR", &directory))?;
            for entry in entries.flatten() {
                if let Ok(pem) = std::fs::read(entry.path()) {
                    extra.extend(parse_certificates(&pem));
                }
            }
        }
    }
    if extra.is_empty() {
        return Ok(TlsConfig::builder().root_certs(RootCerts::WebPki).build());
    }
    let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned());
    let roots: Vec<_> = bundled.chain(extra).collect();
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::from(roots))
        .build())
}

fn parse_certificates(pem: &[u8]) -> Vec<ureq::tls::Certificate<'static>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_for_loopback() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://127.1.2.3/x",
            "http://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert_eq!(check_url(url).unwrap(), Scheme::LoopbackHttp, "{url}");
        }
        for url in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "http://127.0.0.1.nip.io/x",
            "ftp://x/y",
        ] {
            assert!(
                matches!(check_url(url), Err(Error::InsecureUrl { .. })),
                "{url}"
            );
        }
        assert_eq!(check_url("https://github.com/a").unwrap(), Scheme::Https);
        assert_eq!(check_url("file:///tmp/mirror").unwrap(), Scheme::File);
    }

    #[cfg(unix)]
    #[test]
    fn file_urls_decode_escapes() {
        assert_eq!(
            file_url_path("file:///tmp/my%20mirror/a"),
            PathBuf::from("/tmp/my mirror/a")
        );
        assert_eq!(
            file_url_path("file:///tmp/plain dir/a"),
            PathBuf::from("/tmp/plain dir/a")
        );
        assert_eq!(
            file_url_path("file://localhost/tmp/a"),
            PathBuf::from("/tmp/a")
        );
        assert_eq!(
            file_url_path("file:///tmp/100%"),
            PathBuf::from("/tmp/100%")
        );
    }

    #[test]
    fn every_redirect_hop_keeps_the_plain_http_rule() {
        let allowed = [
            ("https://github.com/a", "https://objects.example/b"),
            ("http://127.0.0.1:1/a", "http://localhost:2/b"),
            ("http://127.0.0.1:1/a", "https://cdn.example/b"),
        ];
        for (from, to) in allowed {
            assert!(check_redirect(from, to).is_ok(), "{from} -> {to}");
        }
        let refused = [
            ("https://github.com/a", "http://cdn.example/b"),
            ("https://127.0.0.1:1/a", "http://127.0.0.1:1/b"),
            ("http://127.0.0.1:1/a", "http://[::ffff:127.0.0.1]:1/b"),
            ("http://127.0.0.1:1/a", "http://loopback.example/b"),
            ("https://github.com/a", "file:///etc/passwd"),
            ("https://github.com/a", "ftp://github.com/b"),
        ];
        for (from, to) in refused {
            let error = check_redirect(from, to).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(from) && message.contains(to),
                "{from} -> {to}: {message}"
            );
        }
    }

    #[test]
    fn locations_resolve_against_the_url_that_answered() {
        let base = "https://host.example/o/r/releases/download/v1/caro";
        for (location, expected) in [
            ("https://cdn.example/x", "https://cdn.example/x"),
            ("//cdn.example/x", "https://cdn.example/x"),
            ("/x/y", "https://host.example/x/y"),
            (
                "other",
                "https://host.example/o/r/releases/download/v1/other",
            ),
        ] {
            assert_eq!(
                resolve_location(base, location).as_deref(),
                Some(expected),
                "{location}"
            );
        }
    }

    #[test]
    fn no_proxy_matches_hosts_and_suffixes() {
        assert!(bypasses_proxy("github.com", "github.com"));
        assert!(bypasses_proxy("api.github.com", ".github.com"));
        assert!(bypasses_proxy(
            "api.github.com",
            "example.org, github.com:443"
        ));
        assert!(bypasses_proxy("anything", "*"));
        assert!(!bypasses_proxy("notgithub.com", "github.com"));
        assert!(!bypasses_proxy("github.com", ""));
    }

    #[test]
    fn retry_after_takes_seconds() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1, None) >= Duration::from_millis(250));
        assert!(backoff(1, None) < Duration::from_millis(320));
        assert!(backoff(3, None) >= Duration::from_millis(1000));
        assert!(backoff(30, None) <= Duration::from_secs(10));
        assert_eq!(
            backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn content_range_gives_the_start() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes */200"), None);
    }

    #[test]
    fn token_goes_only_to_trusted_https_hosts() {
        let env = Env::from_vars([("CARO_GITHUB_TOKEN", "secret")]);
        let mut http = Http::from_env(&env).unwrap();
        http.trust_token_hosts(&ReleaseSource::caro(&env));
        assert!(http.sends_token_to("https://api.github.com/repos/wildcard/caro/releases/latest"));
        assert!(http.sends_token_to("https://github.com/wildcard/caro/releases/latest"));
        assert!(!http.sends_token_to("https://objects.githubusercontent.com/x"));
        assert!(!http.sends_token_to("http://github.com/x"));
        assert!(!format!("{http:?}").contains("secret"));
    }
}
