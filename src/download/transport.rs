//! The transport: which agent carries a request (TLS roots, proxy), which URLs and
//! redirect hops are allowed, and which hosts may see the token (docs/releases.md).
//!
//! Nothing here retries or reads a body: that is the transfer's job ([`super::Http`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use ureq::http::{Response, Uri};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::{Agent, Body};

use super::Purpose;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::release::ReleaseSource;
use crate::report::Reporter;

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

/// How requests reach a host: the agents (built once from the environment), the proxy, and
/// the token with the hosts it may go to.
pub struct Transport {
    stall: Duration,
    /// For loopback `http://`: no TLS, never proxied.
    plain: Agent,
    /// For `https://`, built on the first such request, so an install from a loopback or
    /// file:// mirror never reads certificate stores.
    https: Mutex<Option<HttpsAgents>>,
    tls: TlsSource,
    proxy: Option<ureq::Proxy>,
    no_proxy: String,
    token: Option<String>,
    token_hosts: Vec<String>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("proxied", &self.proxy.is_some())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_hosts", &self.token_hosts)
            .finish()
    }
}

impl Transport {
    /// Reads the proxy, TLS and token settings from `env`; `stall` bounds every wait.
    pub fn from_env(env: &Env, stall: Duration) -> Result<Transport> {
        let proxy_url = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .find_map(|name| env.var(name));
        let proxy = match proxy_url {
            Some(url) => Some(ureq::Proxy::new(url).map_err(|e| Error::InvalidVariable {
                name: "HTTPS_PROXY",
                value: format!("{} ({e})", crate::report::redact_url(url)),
                expected: "a proxy URL like http://proxy.example:3128",
            })?),
            None => None,
        };
        Ok(Transport {
            plain: agent(stall, TlsConfig::default(), None),
            https: Mutex::new(None),
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
    fn agent_for(&self, uri: &Uri, reporter: &dyn Reporter) -> Result<Agent> {
        if uri.scheme_str() != Some("https") {
            return Ok(self.plain.clone());
        }
        let mut https = self.https.lock().unwrap_or_else(|e| e.into_inner());
        let agents = match &*https {
            Some(agents) => agents.clone(),
            None => {
                let tls = tls_config(&self.tls, reporter)?;
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

    /// Makes one request to `url` and follows its redirects here, each hop checked by
    /// [`check_redirect`] before it is connected (the token goes with the first request
    /// only). A `releases/latest` request is answered as it is: its redirect is the answer.
    /// Small texts get a total deadline of the stall timeout, so a server dripping one byte
    /// at a time cannot hold the installer.
    pub(super) fn call_following(
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
            let agent = self.agent_for(&uri, reporter)?;
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
}

#[derive(Clone)]
struct HttpsAgents {
    direct: Agent,
    proxied: Option<Agent>,
}

/// Where trusted roots come from: the variables of docs/releases.md, read once.
#[derive(Debug, Clone, Default)]
struct TlsSource {
    native: bool,
    cert_file: Option<String>,
    cert_dir: Option<String>,
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

/// The largest certificate file read (a whole system bundle is about 250 KiB).
const MAX_CERTIFICATES_BYTES: u64 = 16 * 1024 * 1024;

/// The TLS roots of docs/releases.md: Mozilla's bundled roots, plus `SSL_CERT_FILE` and the
/// certificates in `SSL_CERT_DIR` when set (TLS-inspecting corporate proxies), or the
/// operating system's verifier with `CARO_NATIVE_TLS=1`.
fn tls_config(source: &TlsSource, reporter: &dyn Reporter) -> Result<TlsConfig> {
    if source.native {
        return Ok(TlsConfig::builder()
            .root_certs(RootCerts::PlatformVerifier)
            .build());
    }
    let mut extra = Vec::new();
    if let Some(path) = source.cert_file.as_deref() {
        let pem = match crate::files::read_regular_shared(Path::new(path), MAX_CERTIFICATES_BYTES) {
            Ok(Some(pem)) => pem,
            Ok(None) => {
                return Err(Error::file("read SSL_CERT_FILE", path)(
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                ));
            }
            Err(refused) => {
                return Err(Error::UnsafeFile {
                    operation: "read SSL_CERT_FILE",
                    path: path.into(),
                    refused,
                });
            }
        };
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
            // What is not a regular file (a FIFO, a device, a folder), or is too large, is
            // skipped with a warning; it is never opened.
            for path in entries.flatten().map(|entry| entry.path()) {
                match crate::files::read_regular_shared(&path, MAX_CERTIFICATES_BYTES) {
                    Ok(Some(pem)) => extra.extend(parse_certificates(&pem)),
                    Ok(None) => {}
                    Err(why) => reporter.warn(&format!("skipping {}: {why}", path.display())),
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
    use crate::download::Http;

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
