//! Which caro build fits this machine.
//!
//! Choosing is split in two so the interesting part can be tested on any machine:
//! [`Facts::detect`] only gathers facts (OS, CPU, Rosetta 2 translation, libc, OS version),
//! and [`choose`] is a pure function from those facts to a [`Choice`]: the platform key,
//! the one fallback that is still correct when the release lacks that key, and the reason,
//! which `--verbose` and `--dry-run` print. The gathering is in `detect.rs`.
//!
//! Two cases drive the design. On Apple Silicon the installer may itself run under Rosetta 2
//! (an x86_64 binary), yet the user wants the native MLX build, so translation counts as
//! Apple Silicon. And a musl system must never get a glibc build: it would install fine and
//! then fail to start with a confusing "not found", so musl has no fallback.

mod detect;

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A platform key of docs/platforms.md: the `{P}` in asset names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// Linux x86_64, glibc.
    LinuxAmd64,
    /// Linux aarch64, glibc.
    LinuxArm64,
    /// Linux x86_64, musl (Alpine).
    LinuxAmd64Musl,
    /// Linux aarch64, musl (Alpine).
    LinuxArm64Musl,
    /// macOS x86_64, also Apple Silicon below macOS 13.5.
    MacosIntel,
    /// macOS arm64: the MLX build.
    MacosSilicon,
    /// Windows x86_64.
    WindowsAmd64,
    /// Windows on ARM.
    WindowsArm64,
}

impl Platform {
    /// Every platform, in the order of docs/platforms.md.
    pub const ALL: [Platform; 8] = [
        Platform::LinuxAmd64,
        Platform::LinuxArm64,
        Platform::LinuxAmd64Musl,
        Platform::LinuxArm64Musl,
        Platform::MacosIntel,
        Platform::MacosSilicon,
        Platform::WindowsAmd64,
        Platform::WindowsArm64,
    ];

    /// The key used in asset names, such as `linux-amd64`.
    pub fn key(self) -> &'static str {
        match self {
            Platform::LinuxAmd64 => "linux-amd64",
            Platform::LinuxArm64 => "linux-arm64",
            Platform::LinuxAmd64Musl => "linux-amd64-musl",
            Platform::LinuxArm64Musl => "linux-arm64-musl",
            Platform::MacosIntel => "macos-intel",
            Platform::MacosSilicon => "macos-silicon",
            Platform::WindowsAmd64 => "windows-amd64",
            Platform::WindowsArm64 => "windows-arm64",
        }
    }

    /// Other names releases have used for this platform, tried only after the canonical
    /// names answered 404: caro's betas were uploaded by hand as
    /// `caro-1.1.0-beta.2-macos-aarch64`, and other tools publish Rust target triples or
    /// `darwin-arm64`.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Platform::LinuxAmd64 => &["linux-x86_64", "x86_64-unknown-linux-gnu"],
            Platform::LinuxArm64 => &["linux-aarch64", "aarch64-unknown-linux-gnu"],
            Platform::LinuxAmd64Musl => &["linux-x86_64-musl", "x86_64-unknown-linux-musl"],
            Platform::LinuxArm64Musl => &["linux-aarch64-musl", "aarch64-unknown-linux-musl"],
            Platform::MacosIntel => &["macos-x86_64", "darwin-amd64", "x86_64-apple-darwin"],
            Platform::MacosSilicon => &[
                "macos-aarch64",
                "macos-arm64",
                "darwin-arm64",
                "aarch64-apple-darwin",
            ],
            Platform::WindowsAmd64 => &["windows-x86_64", "x86_64-pc-windows-msvc"],
            Platform::WindowsArm64 => &["windows-aarch64", "aarch64-pc-windows-msvc"],
        }
    }

    /// Returns true if and only if binaries for this platform are Windows executables.
    pub fn is_windows(self) -> bool {
        matches!(self, Platform::WindowsAmd64 | Platform::WindowsArm64)
    }

    /// The executable suffix, `.exe` on Windows, else empty: the `{X}` in asset names.
    pub fn exe_suffix(self) -> &'static str {
        if self.is_windows() { ".exe" } else { "" }
    }

    /// Returns true if and only if this is the Apple Silicon (MLX) build, which a source
    /// build compiles with `--features embedded-mlx`.
    pub fn is_apple_silicon(self) -> bool {
        self == Platform::MacosSilicon
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(input: &str) -> Result<Platform> {
        let wanted = input.trim().to_ascii_lowercase();
        Platform::ALL
            .into_iter()
            .find(|p| p.key() == wanted)
            .ok_or_else(|| Error::UnknownPlatform {
                input: input.to_string(),
                known: Platform::ALL.map(Platform::key).join(", "),
            })
    }
}

/// The operating system family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Os {
    /// Linux.
    Linux,
    /// macOS.
    Macos,
    /// Windows.
    Windows,
    /// Anything else, by name.
    Other(String),
}

/// The CPU architecture the installer runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arch {
    /// x86_64 / amd64.
    X86_64,
    /// aarch64 / arm64.
    Aarch64,
    /// Anything else, by name.
    Other(String),
}

/// The C library of a Linux system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    /// GNU libc (or not Linux, or could not tell: the common case).
    Glibc,
    /// musl (Alpine and friends).
    Musl,
}

/// What detection found out about the machine; the only input of [`choose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The operating system.
    pub os: Os,
    /// The architecture this process runs as (x86_64 under Rosetta 2 on Apple Silicon).
    pub arch: Arch,
    /// macOS: this process is translated by Rosetta 2 (`sysctl.proc_translated`).
    pub translated: bool,
    /// macOS: the hardware is arm64 whatever this process runs as (`hw.optional.arm64`).
    pub arm64_hardware: bool,
    /// Linux: the C library.
    pub libc: Libc,
    /// The OS version as (major, minor, patch), when known; used for macOS.
    pub os_version: Option<(u64, u64, u64)>,
}

/// The outcome of [`choose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The platform to look for first.
    pub platform: Platform,
    /// A platform to use when the release has no build for `platform`, and still runs here
    /// (Windows on ARM runs x86_64 builds under emulation). `None` where nothing else runs.
    pub fallback: Option<Platform>,
    /// Why this platform, in words, for `--verbose` and `--dry-run`.
    pub reason: String,
}

impl Choice {
    /// A choice the user made with `--platform` or `CARO_INSTALL_PLATFORM`.
    pub fn forced(platform: Platform, source: &str) -> Choice {
        Choice {
            platform,
            fallback: None,
            reason: format!("given by {source}"),
        }
    }
}

/// The first macOS version MLX supports: below it, Apple Silicon gets the Intel build.
pub const MLX_MINIMUM_MACOS: (u64, u64, u64) = (13, 5, 0);

/// Picks the platform key for the machine described by `facts`.
pub fn choose(facts: &Facts) -> Result<Choice> {
    let unsupported = || Error::UnsupportedMachine {
        os: format!("{:?}", facts.os).to_lowercase(),
        arch: match &facts.arch {
            Arch::X86_64 => "x86_64".to_string(),
            Arch::Aarch64 => "aarch64".to_string(),
            Arch::Other(name) => name.clone(),
        },
    };
    let choice = |platform, fallback, reason: &str| Choice {
        platform,
        fallback,
        reason: reason.to_string(),
    };
    Ok(match (&facts.os, &facts.arch) {
        (Os::Linux, Arch::X86_64) if facts.libc == Libc::Musl => choice(
            Platform::LinuxAmd64Musl,
            None,
            "Linux x86_64 with musl libc; a glibc build would not start here",
        ),
        (Os::Linux, Arch::Aarch64) if facts.libc == Libc::Musl => choice(
            Platform::LinuxArm64Musl,
            None,
            "Linux aarch64 with musl libc; a glibc build would not start here",
        ),
        (Os::Linux, Arch::X86_64) => choice(Platform::LinuxAmd64, None, "Linux x86_64 with glibc"),
        (Os::Linux, Arch::Aarch64) => {
            choice(Platform::LinuxArm64, None, "Linux aarch64 with glibc")
        }
        (Os::Macos, Arch::X86_64 | Arch::Aarch64) => {
            let silicon = facts.arch == Arch::Aarch64 || facts.translated || facts.arm64_hardware;
            let rosetta = facts.arch == Arch::X86_64 && silicon;
            match (silicon, facts.os_version) {
                (false, _) => choice(Platform::MacosIntel, None, "macOS on an Intel Mac"),
                (true, Some(version)) if version < MLX_MINIMUM_MACOS => Choice {
                    platform: Platform::MacosIntel,
                    fallback: None,
                    reason: format!(
                        "Apple Silicon on macOS {}.{}.{}, below MLX's minimum {}.{}; \
                         the Intel build runs under Rosetta 2",
                        version.0, version.1, version.2, MLX_MINIMUM_MACOS.0, MLX_MINIMUM_MACOS.1
                    ),
                },
                (true, _) if rosetta => choice(
                    Platform::MacosSilicon,
                    None,
                    "Apple Silicon (this installer runs under Rosetta 2); the native MLX build",
                ),
                (true, _) => choice(Platform::MacosSilicon, None, "Apple Silicon; the MLX build"),
            }
        }
        (Os::Windows, Arch::X86_64) => choice(Platform::WindowsAmd64, None, "Windows x86_64"),
        (Os::Windows, Arch::Aarch64) => choice(
            Platform::WindowsArm64,
            Some(Platform::WindowsAmd64),
            "Windows on ARM; the x86_64 build runs under emulation when no ARM build is published",
        ),
        _ => return Err(unsupported()),
    })
}

/// The file name of `name`'s executable on `platform` (`caro`, `caro.exe`).
pub fn executable_name(name: &str, platform: Platform) -> String {
    format!("{name}{}", platform.exe_suffix())
}

/// The file name of `name`'s executable on this machine (`caro`, `caro.exe`), for binaries
/// found by path rather than downloaded for a platform.
pub fn local_executable_name(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(os: Os, arch: Arch) -> Facts {
        Facts {
            os,
            arch,
            translated: false,
            arm64_hardware: false,
            libc: Libc::Glibc,
            os_version: None,
        }
    }

    #[test]
    fn every_row_of_the_platform_table() {
        let mac = |arch, translated, arm64_hardware, version| Facts {
            translated,
            arm64_hardware,
            os_version: Some(version),
            ..facts(Os::Macos, arch)
        };
        let musl = |arch| Facts {
            libc: Libc::Musl,
            ..facts(Os::Linux, arch)
        };
        use Platform::*;
        let table: Vec<(&str, Facts, Platform, Option<Platform>)> = vec![
            (
                "linux x86_64 glibc",
                facts(Os::Linux, Arch::X86_64),
                LinuxAmd64,
                None,
            ),
            (
                "linux aarch64 glibc",
                facts(Os::Linux, Arch::Aarch64),
                LinuxArm64,
                None,
            ),
            ("alpine x86_64", musl(Arch::X86_64), LinuxAmd64Musl, None),
            ("alpine aarch64", musl(Arch::Aarch64), LinuxArm64Musl, None),
            (
                "intel mac",
                mac(Arch::X86_64, false, false, (14, 0, 0)),
                MacosIntel,
                None,
            ),
            (
                "apple silicon native",
                mac(Arch::Aarch64, false, true, (14, 2, 1)),
                MacosSilicon,
                None,
            ),
            (
                "apple silicon 13.5 exactly",
                mac(Arch::Aarch64, false, true, (13, 5, 0)),
                MacosSilicon,
                None,
            ),
            (
                "rosetta 2 by proc_translated",
                mac(Arch::X86_64, true, false, (14, 0, 0)),
                MacosSilicon,
                None,
            ),
            (
                "rosetta 2 by hw.optional.arm64",
                mac(Arch::X86_64, false, true, (15, 1, 0)),
                MacosSilicon,
                None,
            ),
            (
                "apple silicon below 13.5",
                mac(Arch::Aarch64, false, true, (13, 4, 1)),
                MacosIntel,
                None,
            ),
            (
                "rosetta below 13.5",
                mac(Arch::X86_64, true, true, (12, 7, 0)),
                MacosIntel,
                None,
            ),
            (
                "rosetta 2 on 13.5 exactly",
                mac(Arch::X86_64, true, true, (13, 5, 0)),
                MacosSilicon,
                None,
            ),
            (
                "apple silicon on 13.10 (compared as numbers, not text)",
                mac(Arch::Aarch64, false, true, (13, 10, 0)),
                MacosSilicon,
                None,
            ),
            (
                "intel mac below 13.5 (MLX's minimum is for Apple Silicon only)",
                mac(Arch::X86_64, false, false, (12, 7, 0)),
                MacosIntel,
                None,
            ),
            (
                "apple silicon, macOS version unknown",
                Facts {
                    arm64_hardware: true,
                    ..facts(Os::Macos, Arch::Aarch64)
                },
                MacosSilicon,
                None,
            ),
            (
                "rosetta 2, macOS version unknown",
                Facts {
                    translated: true,
                    arm64_hardware: true,
                    ..facts(Os::Macos, Arch::X86_64)
                },
                MacosSilicon,
                None,
            ),
            (
                "windows x86_64",
                facts(Os::Windows, Arch::X86_64),
                WindowsAmd64,
                None,
            ),
            (
                "windows on arm",
                facts(Os::Windows, Arch::Aarch64),
                WindowsArm64,
                Some(WindowsAmd64),
            ),
        ];
        for (name, facts, platform, fallback) in table {
            let choice = choose(&facts).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                (choice.platform, choice.fallback),
                (platform, fallback),
                "{name}"
            );
            assert!(!choice.reason.is_empty(), "{name}: a reason is printed");
        }
    }

    #[test]
    fn old_macos_on_apple_silicon_says_why() {
        let facts = Facts {
            arm64_hardware: true,
            os_version: Some((13, 4, 0)),
            ..facts(Os::Macos, Arch::Aarch64)
        };
        let reason = choose(&facts).unwrap().reason;
        assert!(
            reason.contains("13.4.0") && reason.contains("13.5"),
            "{reason}"
        );
    }

    #[test]
    fn rosetta_says_why_the_native_build() {
        let facts = Facts {
            translated: true,
            arm64_hardware: true,
            os_version: Some((14, 0, 0)),
            ..facts(Os::Macos, Arch::X86_64)
        };
        let reason = choose(&facts).unwrap().reason;
        assert!(reason.contains("Rosetta 2"), "{reason}");
    }

    #[test]
    fn musl_never_falls_back_to_glibc() {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let choice = choose(&Facts {
                libc: Libc::Musl,
                ..facts(Os::Linux, arch)
            })
            .unwrap();
            assert_eq!(choice.fallback, None);
        }
    }

    #[test]
    fn unknown_machine_is_an_error_naming_it() {
        let error = choose(&facts(Os::Other("freebsd".into()), Arch::X86_64)).unwrap_err();
        assert!(error.to_string().contains("x86_64"), "{error}");
        let error = choose(&facts(Os::Linux, Arch::Other("riscv64".into()))).unwrap_err();
        assert!(error.to_string().contains("riscv64"), "{error}");
    }

    #[test]
    fn keys_round_trip() {
        for platform in Platform::ALL {
            assert_eq!(platform.key().parse::<Platform>().unwrap(), platform);
            assert_eq!(platform.to_string(), platform.key());
        }
        assert!("linux-x86".parse::<Platform>().is_err());
        assert_eq!(
            " MACOS-SILICON ".parse::<Platform>().unwrap(),
            Platform::MacosSilicon
        );
    }
}
