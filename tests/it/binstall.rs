//! `[package.metadata.binstall]` in Cargo.toml against what `dist` publishes: every URL
//! cargo-binstall would build must name a file of the release, for the platform key the
//! installer itself would choose on that target.

use std::collections::BTreeMap;
use std::fs;

use caro_install::dist::{self, Build};
use caro_install::{Arch, Facts, Libc, Os};
use caro_install::{Platform, Version, choose};

const MANIFEST: &str = include_str!("../../Cargo.toml");
const REPOSITORY: &str = "https://github.com/wildcard/caro-install";

/// The `pkg-url` of each `[package.metadata.binstall.overrides.TARGET]` table, read by
/// hand: the tables are flat `key = "string"` lines, and a TOML parser would be the only
/// reason for another dependency.
fn overrides() -> BTreeMap<String, String> {
    let prefix = "[package.metadata.binstall.overrides.";
    let mut urls = BTreeMap::new();
    let mut target = None;
    for line in MANIFEST.lines().map(str::trim) {
        if line.starts_with('[') {
            target = line
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(']'))
                .map(str::to_string);
        } else if let (Some(target), Some(value)) = (&target, line.strip_prefix("pkg-url = ")) {
            urls.insert(target.clone(), value.trim_matches('"').to_string());
        }
    }
    urls
}

/// Expands cargo-binstall's template variables the way it does for `target`.
fn render(template: &str, target: &str, version: &str) -> String {
    let binary_ext = if target.contains("windows") {
        ".exe"
    } else {
        ""
    };
    template
        .replace("{ repo }", REPOSITORY)
        .replace("{ name }", "caro-install")
        .replace("{ version }", version)
        .replace("{ target }", target)
        .replace("{ binary-ext }", binary_ext)
}

/// The facts the installer would detect on `target`.
fn facts(target: &str) -> Facts {
    let arch = match target.split('-').next() {
        Some("x86_64") => Arch::X86_64,
        Some("aarch64") => Arch::Aarch64,
        other => panic!("unexpected target architecture {other:?}"),
    };
    let os = if target.contains("linux") {
        Os::Linux
    } else if target.contains("apple") {
        Os::Macos
    } else if target.contains("windows") {
        Os::Windows
    } else {
        panic!("unexpected target {target}")
    };
    Facts {
        arm64_hardware: os == Os::Macos && arch == Arch::Aarch64,
        os,
        arch,
        translated: false,
        libc: if target.ends_with("musl") {
            Libc::Musl
        } else {
            Libc::Glibc
        },
        os_version: None,
    }
}

#[test]
fn binstall_urls_name_files_dist_publishes() {
    let version = "0.3.1";
    let root = tempfile::tempdir().unwrap();
    let binary = root.path().join("caro-install");
    fs::write(&binary, b"stand-in").unwrap();
    let builds: Vec<Build> = Platform::ALL
        .iter()
        .map(|&platform| Build {
            platform,
            path: binary.clone(),
        })
        .collect();
    let out = root.path().join("dist");
    dist::package(
        "caro-install",
        &Version::parse(version).unwrap(),
        &builds,
        &out,
    )
    .unwrap();

    let overrides = overrides();
    let mut covered = Vec::new();
    for (target, template) in &overrides {
        let url = render(template, target, version);
        assert!(
            !url.contains('{'),
            "{target}: {url} has an unknown variable"
        );
        let base = format!("{REPOSITORY}/releases/download/v{version}/");
        let file = url
            .strip_prefix(&base)
            .unwrap_or_else(|| panic!("{target}: {url} is not on the release v{version}"));
        assert!(
            out.join(file).is_file(),
            "{target}: dist did not publish {file}"
        );
        assert!(
            out.join(format!("{file}.sha256")).is_file(),
            "{target}: {file} has no sidecar"
        );
        let chosen = choose(&facts(target)).unwrap().platform;
        let versioned =
            &dist::asset_names("caro-install", &Version::parse(version).unwrap(), chosen)[0];
        assert_eq!(
            file, versioned,
            "{target}: the installer would choose {chosen}"
        );
        covered.push(chosen);
    }
    for platform in Platform::ALL {
        assert!(
            covered.contains(&platform),
            "no binstall override serves {platform}"
        );
    }
}

#[test]
fn binstall_takes_the_release_binary_as_it_is() {
    let section = MANIFEST
        .split("[package.metadata.binstall]")
        .nth(1)
        .expect("Cargo.toml has [package.metadata.binstall]");
    let section = section.split("\n[").next().unwrap();
    assert!(section.contains(r#"pkg-fmt = "bin""#), "{section}");
    assert!(
        section.contains(r#"bin-dir = "{ bin }{ binary-ext }""#),
        "{section}"
    );
    assert!(
        MANIFEST.contains(&format!(r#"repository = "{REPOSITORY}""#)),
        "{{ repo }} expands to the repository field"
    );
}
