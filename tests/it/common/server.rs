//! A loopback HTTP/1.1 release server with fault knobs.
//!
//! It serves whatever a test puts in it (assets, sidecars, redirects, API answers), logs
//! every request with its headers, and can misbehave on purpose: answer a status a number of
//! times, cut a body after N bytes, stall mid-body, or ignore `Range`. Every connection is
//! closed after one answer, which keeps the parsing trivially correct.

use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::tls::Pki;

/// One logged request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A misbehaviour for the next request(s) to a path.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status (with an optional `Retry-After`) instead of the route.
    Status(u16, Option<u64>),
    /// Send the headers with the full length, then only this many body bytes, then close.
    CutAfter(usize),
    /// Send the headers and this many body bytes, then go silent for this long.
    Stall(usize, Duration),
    /// Send the body one byte at a time with this pause between bytes: never a stall,
    /// never done.
    #[cfg_attr(
        not(unix),
        expect(
            dead_code,
            reason = "only tests/it/hostile.rs drips, Unix-only for now"
        )
    )]
    Drip(Duration),
}

#[derive(Debug, Clone)]
struct Route {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    faults: HashMap<String, VecDeque<Fault>>,
    persistent_faults: HashMap<String, Fault>,
    ignore_range: bool,
    log: Vec<Request>,
}

/// The server; it stops accepting when dropped (the listener thread is detached and idle).
pub struct Server {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    scheme: &'static str,
}

impl Server {
    /// Starts a server on 127.0.0.1 and a free port.
    pub fn start() -> Server {
        Server::start_on("127.0.0.1")
    }

    /// Starts a server on another loopback address (127.0.0.2 plays a CDN host).
    pub fn start_on(ip: &str) -> Server {
        Server::listen(ip, None)
    }

    /// Starts an HTTPS server on `ip` with a certificate from `pki`'s private CA.
    pub fn start_tls(ip: &str, pki: &Pki) -> Server {
        Server::listen(ip, Some(pki.server_config()))
    }

    fn listen(ip: &str, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let listener = TcpListener::bind((ip, 0)).expect("bind a loopback port");
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        let scheme = if tls.is_some() { "https" } else { "http" };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = match tls {
                        None => serve(stream, &state),
                        Some(config) => match rustls::ServerConnection::new(config) {
                            Ok(connection) => {
                                serve(rustls::StreamOwned::new(connection, stream), &state)
                            }
                            Err(_) => Ok(()),
                        },
                    };
                });
            }
        });
        Server {
            address,
            state,
            scheme,
        }
    }

    /// `http://127.0.0.1:PORT` (or `https://`).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.address)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Serves `body` with 200 at `path`.
    pub fn file(&self, path: &str, body: impl Into<Vec<u8>>) -> &Server {
        self.route(path, 200, vec![], body)
    }

    /// Serves any status, headers and body at `path`.
    pub fn route(
        &self,
        path: &str,
        status: u16,
        headers: Vec<(&str, String)>,
        body: impl Into<Vec<u8>>,
    ) -> &Server {
        let headers = headers
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        self.state().routes.insert(
            path.to_string(),
            Route {
                status,
                headers,
                body: body.into(),
            },
        );
        self
    }

    /// Answers `path` with a 302 to `location`.
    pub fn redirect(&self, path: &str, location: &str) -> &Server {
        self.route(
            path,
            302,
            vec![("Location", location.to_string())],
            Vec::new(),
        )
    }

    /// Misbehaves once on the next request to `path` (queued after earlier ones).
    pub fn fault_once(&self, path: &str, fault: Fault) -> &Server {
        self.state()
            .faults
            .entry(path.to_string())
            .or_default()
            .push_back(fault);
        self
    }

    /// Misbehaves on every request to `path`.
    pub fn fault_always(&self, path: &str, fault: Fault) -> &Server {
        self.state()
            .persistent_faults
            .insert(path.to_string(), fault);
        self
    }

    /// Stops misbehaving on `path`.
    pub fn clear_faults(&self, path: &str) -> &Server {
        let mut state = self.state();
        state.faults.remove(path);
        state.persistent_faults.remove(path);
        drop(state);
        self
    }

    /// Publishes caro-install `version` for `platform` and points its `releases/latest` at
    /// it; the build is a [`stand_in`] answering `-V` like the real one.
    pub fn installer(&self, version: &str, platform: &str) -> String {
        let body = stand_in_saying(&format!("caro-install {version}"));
        let path = self.asset(
            "wildcard/caro-install",
            version,
            &format!(
                "caro-install-{version}-{platform}{}",
                std::env::consts::EXE_SUFFIX
            ),
            &body,
        );
        let location = format!(
            "{}/wildcard/caro-install/releases/tag/v{version}",
            self.url()
        );
        self.redirect("/wildcard/caro-install/releases/latest", &location);
        path
    }

    /// Answers `Range` requests with the whole body and 200.
    pub fn ignore_range(&self) -> &Server {
        self.state().ignore_range = true;
        self
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state().log.clone()
    }

    /// How many requests went to `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.state().log.iter().filter(|r| r.path == path).count()
    }

    /// Publishes a release asset of `repo` at `version` with a GNU sidecar; returns its path.
    pub fn asset(&self, repo: &str, version: &str, name: &str, body: &[u8]) -> String {
        let path = format!("/{repo}/releases/download/v{version}/{name}");
        self.file(&path, body.to_vec());
        self.file(
            &format!("{path}.sha256"),
            format!("{}  {name}\n", sha256_hex(body)),
        );
        path
    }

    /// Publishes the standard stand-in caro binary for `version` on `platform` under the
    /// versioned name (`.exe` for Windows); returns the asset path.
    pub fn caro(&self, version: &str, platform: &str) -> String {
        let suffix = if platform.starts_with("windows") {
            ".exe"
        } else {
            ""
        };
        self.asset(
            "wildcard/caro",
            version,
            &format!("caro-{version}-{platform}{suffix}"),
            &stand_in(version),
        )
    }

    /// Makes `releases/latest` of caro redirect to `version`'s tag, as github.com does.
    pub fn latest(&self, version: &str) -> &Server {
        let location = format!("{}/wildcard/caro/releases/tag/v{version}", self.url());
        self.redirect("/wildcard/caro/releases/latest", &location)
    }
}

/// A stand-in caro whose `--version` prints `caro {version}`.
pub fn stand_in(version: &str) -> Vec<u8> {
    stand_in_saying(&format!("caro {version}"))
}

/// A stand-in build whose `--version` (and `-V`) prints `line`: a shell script on Unix; on
/// Windows the `stand_in` example with `line` appended (see examples/stand_in.rs).
pub fn stand_in_saying(line: &str) -> Vec<u8> {
    if cfg!(windows) {
        static PROGRAM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let program = PROGRAM.get_or_init(|| std::fs::read(super::example("stand_in")).unwrap());
        return [
            program.as_slice(),
            format!("\n#stand-in: {line}\n").as_bytes(),
        ]
        .concat();
    }
    format!("#!/bin/sh\necho \"{line}\"\n").into_bytes()
}

/// A stand-in caro of `version` followed by `padding`: a large or patterned build (for
/// resumes and ranges) that still passes the start-up check every install runs.
pub fn stand_in_padded(version: &str, padding: &[u8]) -> Vec<u8> {
    let mut body = stand_in(version);
    if !cfg!(windows) {
        body.extend_from_slice(b"exit 0\n");
    }
    body.extend_from_slice(padding);
    body
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A connection the server answers on: plain TCP or TLS over it.
trait Connection: Read + Write {
    /// Closes the connection: `clean` sends TLS close_notify first; otherwise the TCP
    /// connection is simply cut, as a crashed server or a broken network would.
    fn close(&mut self, clean: bool);
}

impl Connection for TcpStream {
    fn close(&mut self, clean: bool) {
        if clean {
            // Let the client read everything, then close.
            let _ = self.shutdown(Shutdown::Write);
            let _ = self.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = self.read(&mut [0u8; 64]);
        }
        let _ = self.shutdown(Shutdown::Both);
    }
}

impl Connection for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn close(&mut self, clean: bool) {
        if clean {
            self.conn.send_close_notify();
            let _ = self.flush();
        }
        let _ = self.sock.shutdown(Shutdown::Both);
    }
}

/// Reads the request head (request line and headers) a byte at a time, so nothing of the
/// connection is buffered away from the writer.
fn read_head(stream: &mut impl Read) -> std::io::Result<Request> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let method = request_line
        .split_whitespace()
        .next()
        .unwrap_or("GET")
        .to_string();
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Ok(Request {
        method,
        path,
        headers,
    })
}

fn serve(mut stream: impl Connection, state: &Mutex<State>) -> std::io::Result<()> {
    let request = read_head(&mut stream)?;
    let head_only = request.method == "HEAD";
    let path = request.path.clone();
    let range_from = request
        .header("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
    let (route, fault, ignore_range) = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        state.log.push(request);
        let fault = match state.faults.get_mut(&path).and_then(VecDeque::pop_front) {
            Some(fault) => Some(fault),
            None => state.persistent_faults.get(&path).cloned(),
        };
        (state.routes.get(&path).cloned(), fault, state.ignore_range)
    };
    let mut route = route.unwrap_or(Route {
        status: 404,
        headers: vec![],
        body: b"Not Found".to_vec(),
    });
    if let Some(Fault::Status(status, retry_after)) = fault {
        route = Route {
            status,
            headers: retry_after
                .map(|s| ("Retry-After".to_string(), s.to_string()))
                .into_iter()
                .collect(),
            body: format!("status {status}").into_bytes(),
        };
    }
    let mut status = route.status;
    let mut extra = route.headers.clone();
    let mut body = route.body.clone();
    if let (Some(from), 200, false) = (range_from, status, ignore_range)
        && from <= body.len()
    {
        extra.push((
            "Content-Range".to_string(),
            format!(
                "bytes {from}-{}/{}",
                body.len().saturating_sub(1),
                body.len()
            ),
        ));
        body = body[from..].to_vec();
        status = 206;
    }
    let reason = match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in &extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if head_only {
        stream.flush()?;
        stream.close(true);
        return Ok(());
    }
    match fault {
        Some(Fault::CutAfter(n)) => {
            stream.write_all(&body[..n.min(body.len())])?;
            stream.flush()?;
            stream.close(false);
        }
        Some(Fault::Drip(pause)) => {
            for byte in &body {
                stream.write_all(std::slice::from_ref(byte))?;
                stream.flush()?;
                std::thread::sleep(pause);
            }
            stream.close(true);
        }
        Some(Fault::Stall(n, wait)) => {
            stream.write_all(&body[..n.min(body.len())])?;
            stream.flush()?;
            std::thread::sleep(wait);
            stream.close(false);
        }
        _ => {
            stream.write_all(&body)?;
            stream.flush()?;
            stream.close(true);
        }
    }
    Ok(())
}
