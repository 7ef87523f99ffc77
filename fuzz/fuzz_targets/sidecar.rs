//! `parse_sidecar` takes whatever a mirror sends back as a `.sha256` (HTML error pages,
//! truncated files, other tools' dialects). It must never panic, and a digest it returns
//! must be one that is written in the sidecar, never one it made up.
//!
//! Input layout: the first line is the asset name, the rest is the sidecar text; both are
//! read as UTF-8, lossily, as the installer does with bytes from the network.

#![no_main]

use caro_install::parse_sidecar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (name, sidecar) = match data.iter().position(|&byte| byte == b'\n') {
        Some(newline) => (&data[..newline], &data[newline + 1..]),
        None => (&b"caro-1.0.3-linux-amd64"[..], data),
    };
    let name = String::from_utf8_lossy(name);
    let text = String::from_utf8_lossy(sidecar);
    if let Ok(digest) = parse_sidecar(&text, &name) {
        let hex = digest.to_string();
        assert!(
            text.to_ascii_lowercase().contains(&hex),
            "digest {hex} is not in the sidecar {text:?}"
        );
    }
});
