//! Waiting is never silent: a mirror that accepts connections and never answers. Within
//! about 2 s the user sees which host is waited on, each retry is shown without `-v`, and
//! the timeout's error is a sentence whose help names `CARO_HTTP_TIMEOUT` and the mirror
//! variable. Bounded: `CARO_HTTP_TIMEOUT=3`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::*;

/// A loopback server that accepts every connection and never says a word; returns its
/// base URL. The connections stay open until the test binary ends.
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}

#[test]
fn a_mirror_that_never_answers_is_named_within_2_seconds_and_its_timeout_says_what_to_do() {
    let base = silent_server();
    let test = Test::new()
        .env("CARO_INSTALLER_GITHUB_BASE_URL", &base)
        .env("CARO_INSTALLER_API_URL", &format!("{base}/api"))
        .env("CARO_HTTP_TIMEOUT", "3")
        .args([
            "--version",
            "1.0.3",
            "--platform",
            "linux-amd64",
            "--no-modify-path",
        ]);
    let started = Instant::now();
    let mut child = test
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send((started.elapsed(), line));
        }
    });
    let mut seen = Vec::new();
    while let Ok(line) = received.recv_timeout(Duration::from_secs(30)) {
        seen.push(line);
    }
    let status = child.wait().unwrap();
    let elapsed = started.elapsed();
    let text: Vec<String> = seen
        .iter()
        .map(|(at, line)| format!("{at:.1?} {line}"))
        .collect();
    let text = text.join("\n");
    assert_eq!(status.code(), Some(1), "{text}");
    let host = base.trim_start_matches("http://");
    // Said before the first timeout (3 s), which is at about 2 s.
    let (at, _) = seen
        .iter()
        .find(|(_, line)| line.contains(&format!("waiting for {host}")))
        .unwrap_or_else(|| panic!("no waiting line:\n{text}"));
    assert!(*at < Duration::from_secs(3), "said at {at:?}:\n{text}");
    assert!(text.contains("trying again"), "the retry is shown:\n{text}");
    let error = &seen
        .iter()
        .find(|(_, l)| l.starts_with("error:"))
        .unwrap()
        .1;
    assert!(
        error.contains(&format!("`{host}` did not answer within 3 s, asked twice")),
        "{text}"
    );
    assert!(
        text.contains("help:") && text.contains("CARO_HTTP_TIMEOUT"),
        "{text}"
    );
    assert!(text.contains("CARO_INSTALLER_GITHUB_BASE_URL"), "{text}");
    for noise in ["caused by: timeout", "io:", "global"] {
        assert!(!text.contains(noise), "{noise}:\n{text}");
    }
    // Two tries of 3 s each and a short pause, not four.
    assert!(
        elapsed < Duration::from_secs(12),
        "took {elapsed:?}:\n{text}"
    );
    assert_no_temp_files(&test.bin_dir());
}
