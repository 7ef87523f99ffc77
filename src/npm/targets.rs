//! Which platform package serves which machine: the table the wrapper reads, from the
//! installer's own [`choose`], and the package names that follow from it.

use serde::Serialize;

use crate::platform::{Arch, Facts, Libc, Os, Platform, choose};

/// The npm organisation every platform package is published under.
pub const SCOPE: &str = "@wildcard";

/// A machine as Node describes it: `process.platform`, `process.arch`, and the C library
/// on Linux. The same strings are npm's `os`, `cpu` and `libc` package fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NodeTarget {
    /// `process.platform`: `linux`, `darwin` or `win32`.
    pub platform: &'static str,
    /// `process.arch`: `x64` or `arm64`.
    pub arch: &'static str,
    /// `glibc` or `musl` on Linux, absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub libc: Option<&'static str>,
}

impl NodeTarget {
    /// The suffix of its platform package name: `linux-x64`, `linux-x64-musl`, `win32-arm64`.
    pub fn suffix(self) -> String {
        match self.libc {
            Some("musl") => format!("{}-{}-musl", self.platform, self.arch),
            _ => format!("{}-{}", self.platform, self.arch),
        }
    }
}

/// One row of the wrapper's table: a machine and the key the installer picks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TargetRow {
    /// The machine, in Node's words.
    #[serde(flatten)]
    pub node: NodeTarget,
    /// The platform key [`choose`] gives it.
    #[serde(serialize_with = "serialize_key")]
    pub key: Platform,
    /// The key to run when the release has no `key` build ([`choose`]'s fallback: Windows
    /// on ARM runs the x86_64 build under emulation).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_fallback"
    )]
    pub fallback: Option<Platform>,
}

fn serialize_fallback<S: serde::Serializer>(
    fallback: &Option<Platform>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match fallback {
        Some(platform) => serializer.serialize_str(platform.key()),
        None => serializer.serialize_none(),
    }
}

fn serialize_key<S: serde::Serializer>(
    platform: &Platform,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(platform.key())
}

/// Every machine Node can describe that some platform key serves, with that key: the
/// installer's [`choose`] run over `linux`/`darwin`/`win32` × `x64`/`arm64` (× glibc/musl
/// on Linux). On macOS the row stands for a current release on native hardware: Node
/// cannot see Rosetta 2 or the OS version the way the installer does.
pub fn node_targets() -> Vec<TargetRow> {
    let systems = [
        ("linux", Os::Linux),
        ("darwin", Os::Macos),
        ("win32", Os::Windows),
    ];
    let cpus = [("x64", Arch::X86_64), ("arm64", Arch::Aarch64)];
    let mut rows = Vec::new();
    for (platform, os) in systems {
        for (arch, cpu) in &cpus {
            let libcs: &[(Option<&'static str>, Libc)] = if os == Os::Linux {
                &[(Some("glibc"), Libc::Glibc), (Some("musl"), Libc::Musl)]
            } else {
                &[(None, Libc::Glibc)]
            };
            for &(libc_name, libc) in libcs {
                let facts = Facts {
                    os: os.clone(),
                    arch: cpu.clone(),
                    translated: false,
                    arm64_hardware: os == Os::Macos && *cpu == Arch::Aarch64,
                    libc,
                    os_version: None,
                };
                if let Ok(choice) = choose(&facts) {
                    rows.push(TargetRow {
                        node: NodeTarget {
                            platform,
                            arch,
                            libc: libc_name,
                        },
                        key: choice.platform,
                        fallback: choice.fallback,
                    });
                }
            }
        }
    }
    rows
}

/// The machine a platform key's npm package is for (its `os`, `cpu`, `libc`).
pub fn node_target(platform: Platform) -> NodeTarget {
    node_targets()
        .into_iter()
        .find(|row| row.key == platform)
        .map(|row| row.node)
        .expect("every platform key has a row: a unit test holds this")
}

/// The name of `name`'s platform package for `platform`: `@wildcard/caro-linux-x64`.
pub fn platform_package(name: &str, platform: Platform) -> String {
    format!("{SCOPE}/{name}-{}", node_target(platform).suffix())
}

/// The directory a package is laid out in: its name without `@`, `/` made `-`.
pub fn package_dir(package: &str) -> String {
    package.trim_start_matches('@').replace('/', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_table_covers_every_platform_key_once() {
        let rows = node_targets();
        for platform in Platform::ALL {
            let count = rows.iter().filter(|row| row.key == platform).count();
            assert_eq!(count, 1, "{platform}");
        }
        // Node's own spellings, which npm's os/cpu/libc fields use too.
        for row in &rows {
            assert!(["linux", "darwin", "win32"].contains(&row.node.platform));
            assert!(["x64", "arm64"].contains(&row.node.arch));
            assert_eq!(row.node.libc.is_some(), row.node.platform == "linux");
        }
    }

    #[test]
    fn package_names_read_as_what_npm_matches() {
        let names: Vec<_> = Platform::ALL
            .iter()
            .map(|&p| platform_package("caro", p))
            .collect();
        assert_eq!(
            names,
            [
                "@wildcard/caro-linux-x64",
                "@wildcard/caro-linux-arm64",
                "@wildcard/caro-linux-x64-musl",
                "@wildcard/caro-linux-arm64-musl",
                "@wildcard/caro-darwin-x64",
                "@wildcard/caro-darwin-arm64",
                "@wildcard/caro-win32-x64",
                "@wildcard/caro-win32-arm64",
            ]
        );
        assert_eq!(
            platform_package("caro-install", Platform::LinuxAmd64Musl),
            "@wildcard/caro-install-linux-x64-musl"
        );
        assert_eq!(package_dir("@wildcard/caro"), "wildcard-caro");
        assert_eq!(package_dir("caro-install"), "caro-install");
    }
}
