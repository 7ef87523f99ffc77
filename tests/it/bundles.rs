//! Model bundles as `dist --bundle` lays them out (docs/channels.md), and the fixture
//! mirror's caro 1.2.0, whose bundles the installer's `--with-model` tests install.
//!
//! `fixtures/mirror/wildcard/caro/releases/download/v1.2.0/` is generated, not written by
//! hand: [`the_fixture_release_1_2_0_is_what_dist_lays_out`] lays it out again from the
//! stand-ins and the model below and compares byte for byte, which also proves the bundles
//! reproducible. After changing the generator or the publisher, run it with
//! `UPDATE_FIXTURES=1` to rewrite the folder, then read the diff.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{example, fixtures};

/// The fixture release with bundles; `releases/latest` stays at 1.1.0.
const VERSION: &str = "1.2.0";

/// Its bundled model: `caro-1.2.0-{KEY}-with-smollm-135m.tar.gz`.
const MODEL: &str = "smollm-135m";

/// The platforms of the fixture mirror's releases (no Windows on ARM build).
const KEYS: [&str; 7] = [
    "linux-amd64",
    "linux-amd64-musl",
    "linux-arm64",
    "linux-arm64-musl",
    "macos-intel",
    "macos-silicon",
    "windows-amd64",
];

/// The fixture mirror's stand-in for caro `version` on `key`: a shell script, like 1.1.0's.
fn stand_in(version: &str, key: &str) -> String {
    format!(
        "#!/bin/sh\n\
         # Stand-in for caro {version} ({key}) from caro-install's fixture mirror.\n\
         case \"${{1:-}}\" in\n  \
           --version|-V) echo \"caro {version}\" ;;\n  \
           *) echo \"caro {version}: a stand-in build for {key}, installed from caro-install's fixture mirror\" ;;\n\
         esac\n"
    )
}

/// A stand-in model: the GGUF magic, then 4 KiB of fixed pseudo-random bytes.
fn model_bytes() -> Vec<u8> {
    let mut bytes = b"GGUF".to_vec();
    let mut state: u32 = 0x2545_f491;
    while bytes.len() < 4096 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bytes.push(state as u8);
    }
    bytes
}

/// Lays out caro 1.2.0 with the smollm-135m bundle into `root/out`, from inputs written
/// into `root/inputs`; returns the output folder.
#[track_caller]
fn lay_out(root: &Path) -> PathBuf {
    let inputs = root.join("inputs");
    fs::create_dir_all(&inputs).unwrap();
    let mut args: Vec<String> = ["--name", "caro", "--version", VERSION, "--out", "out"]
        .map(String::from)
        .to_vec();
    args.extend(["--created", "2026-01-31T12:00:00Z"].map(String::from));
    let model = inputs.join(format!("{MODEL}.gguf"));
    let license = inputs.join(format!("{MODEL}-LICENSE.txt"));
    fs::write(&model, model_bytes()).unwrap();
    fs::write(
        &license,
        "Apache License, Version 2.0: a stand-in licence text for caro-install's fixture mirror\n",
    )
    .unwrap();
    args.push("--bundle".to_string());
    args.push(format!("{MODEL}={}:{}", model.display(), license.display()));
    for key in KEYS {
        let build = inputs.join(key);
        fs::write(&build, stand_in(VERSION, key)).unwrap();
        args.push(format!("{key}={}", build.display()));
    }
    let output = Command::new(example("dist"))
        .args(&args)
        .current_dir(root)
        .env_clear()
        .output()
        .expect("run the dist example");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    root.join("out")
}

/// Every file directly in `dir`, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().into_string().unwrap(),
                fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_fixture_release_1_2_0_is_what_dist_lays_out() {
    let root = tempfile::tempdir().unwrap();
    let mut fresh = files(&lay_out(root.path()));
    // Every file of a fixture release has a sidecar (tests/it/install.rs checks them all),
    // and the sidecars already say what SHA256SUMS would.
    fresh.remove("SHA256SUMS").expect("dist writes SHA256SUMS");
    let fixture = fixtures().join(format!("mirror/wildcard/caro/releases/download/v{VERSION}"));
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let _ = fs::remove_dir_all(&fixture);
        fs::create_dir_all(&fixture).unwrap();
        for (name, bytes) in &fresh {
            fs::write(fixture.join(name), bytes).unwrap();
        }
    }
    let committed = files(&fixture);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "run with UPDATE_FIXTURES=1 to lay the fixture release out again"
    );
    for (name, bytes) in &fresh {
        assert!(
            committed[name] == *bytes,
            "{name} differs from what dist lays out: the bundles are not reproducible, or \
             the fixture is stale (UPDATE_FIXTURES=1 rewrites it)"
        );
    }
    assert_eq!(
        fresh.len(),
        KEYS.len() * 4,
        "binaries, bundles and their sidecars"
    );
}

#[test]
fn each_bundle_holds_the_release_binary_the_model_and_the_notices() {
    let dir = fixtures().join(format!("mirror/wildcard/caro/releases/download/v{VERSION}"));
    for key in KEYS {
        let name = format!("caro-{VERSION}-{key}-with-{MODEL}.tar.gz");
        let bytes = fs::read(dir.join(&name)).unwrap();
        assert_eq!(
            &bytes[4..8],
            [0, 0, 0, 0],
            "{name}: a gzip header with a time"
        );
        let sidecar = fs::read_to_string(dir.join(format!("{name}.sha256"))).unwrap();
        assert_eq!(
            caro_install::parse_sidecar(&sidecar, &name)
                .unwrap()
                .to_string(),
            crate::common::sha256_hex(&bytes)
        );
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        let mut entries = Vec::new();
        let mut contents = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let header = entry.header();
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            entries.push(path.clone());
            contents.insert(path, data);
        }
        let binary = if key.starts_with("windows") {
            "caro.exe"
        } else {
            "caro"
        };
        assert_eq!(
            entries,
            [
                binary,
                "models/",
                "models/smollm-135m.gguf",
                "licenses/",
                "licenses/smollm-135m-LICENSE.txt",
                "THIRD_PARTY_NOTICES.txt"
            ],
            "{name}"
        );
        let exe = if key.starts_with("windows") {
            ".exe"
        } else {
            ""
        };
        let asset = fs::read(dir.join(format!("caro-{VERSION}-{key}{exe}"))).unwrap();
        assert!(
            contents[binary] == asset,
            "{name}: caro is not the release's"
        );
        assert!(contents["models/smollm-135m.gguf"] == model_bytes());
        let notices = String::from_utf8(contents["THIRD_PARTY_NOTICES.txt"].clone()).unwrap();
        assert!(notices.contains("Model: smollm-135m"), "{notices}");
    }
}

/// A bundle that would not install (another binary's, a model that is no `.gguf`, a
/// name that is no plain word) is refused before anything is written.
#[test]
fn bad_bundles_write_nothing() {
    let root = tempfile::tempdir().unwrap();
    let build = root.path().join("caro");
    fs::write(&build, stand_in(VERSION, "linux-amd64")).unwrap();
    fs::write(root.path().join("m.gguf"), model_bytes()).unwrap();
    fs::write(root.path().join("m.bin"), model_bytes()).unwrap();
    fs::write(root.path().join("LICENSE"), "Apache-2.0").unwrap();
    for (name, bundle, expected) in [
        ("caro-install", "m=m.gguf:LICENSE", "caro's builds only"),
        (
            "caro",
            "m=m.bin:LICENSE",
            "a bundle's model is a `.gguf` file",
        ),
        (
            "caro",
            "m=m.gguf:NOTICE",
            "the licence file of `m` does not exist",
        ),
        ("caro", "../m=m.gguf:LICENSE", "must be lower-case letters"),
        (
            "caro",
            "m=m.gguf",
            "a bundle is `NAME=MODEL_FILE:LICENSE_FILE`",
        ),
    ] {
        let output = Command::new(example("dist"))
            .args(["--name", name, "--version", VERSION, "--out", "out"])
            .args([
                "--bundle",
                bundle,
                &format!("linux-amd64={}", build.display()),
            ])
            .current_dir(root.path())
            .env_clear()
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{bundle}");
        assert!(stderr.contains(expected), "{bundle}: {stderr}");
        assert!(!root.path().join("out").exists(), "{bundle} wrote files");
    }
}
