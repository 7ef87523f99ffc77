//! `--version` and `CARO_INSTALL_VERSION` are user input that ends up in URLs and file
//! names. Parsing must never panic, and an exact version must print as something that
//! parses back to itself and holds no path separator or control character.

#![no_main]

use caro_install::VersionRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(VersionRequest::Exact(version)) = input.parse::<VersionRequest>() {
        let shown = version.to_string();
        assert!(
            !shown
                .chars()
                .any(|c| c == '/' || c == '\\' || c.is_control()),
            "{input:?} gave the version {shown:?}"
        );
        match shown.parse::<VersionRequest>() {
            Ok(VersionRequest::Exact(again)) => assert_eq!(again, version, "{input:?}"),
            other => panic!("{input:?} gave {shown:?}, which parses as {other:?}"),
        }
    }
});
