//! Gathering the facts [`choose`](super::choose) decides on: the OS and CPU the process
//! runs as, Rosetta 2 translation and the arm64 hardware flag (macOS), the libc (Linux, from
//! the ELF interpreter of `/bin/sh`), and the macOS version. Nothing here decides anything.

use super::{Arch, Facts, Libc, Os};

impl Facts {
    /// Gathers the facts about the machine this process runs on.
    pub fn detect() -> Facts {
        let os = match std::env::consts::OS {
            "linux" => Os::Linux,
            "macos" => Os::Macos,
            "windows" => Os::Windows,
            other => Os::Other(other.to_string()),
        };
        let arch = match std::env::consts::ARCH {
            "x86_64" => Arch::X86_64,
            "aarch64" => Arch::Aarch64,
            other => Arch::Other(other.to_string()),
        };
        let os_version = if os == Os::Macos {
            match os_info::get().version() {
                os_info::Version::Semantic(major, minor, patch) => Some((*major, *minor, *patch)),
                _ => None,
            }
        } else {
            None
        };
        Facts {
            translated: sysctl_flag("sysctl.proc_translated"),
            arm64_hardware: sysctl_flag("hw.optional.arm64"),
            libc: if os == Os::Linux {
                detect_libc()
            } else {
                Libc::Glibc
            },
            os,
            arch,
            os_version,
        }
    }
}

/// Reads a boolean macOS sysctl; false when it does not exist (Intel Macs lack both).
fn sysctl_flag(name: &str) -> bool {
    #[cfg(target_os = "macos")]
    fn imp(name: &str) -> bool {
        let Ok(name) = std::ffi::CString::new(name) else {
            return false;
        };
        let mut value: libc::c_int = 0;
        let mut size = std::mem::size_of::<libc::c_int>();
        // SAFETY: `value` and `size` are valid for writes of `size` bytes; no new value is set.
        let status = unsafe {
            libc::sysctlbyname(
                name.as_ptr(),
                (&mut value as *mut libc::c_int).cast(),
                &mut size,
                std::ptr::null_mut(),
                0,
            )
        };
        status == 0 && value == 1
    }
    #[cfg(not(target_os = "macos"))]
    fn imp(_name: &str) -> bool {
        false
    }
    imp(name)
}

/// Tells musl from glibc without `ldd` (absent on minimal images): the ELF interpreter of
/// `/bin/sh` names the dynamic loader, and musl's is `ld-musl-*`. When `/bin/sh` is static
/// or unreadable, the presence of a musl loader and absence of a glibc one decides.
fn detect_libc() -> Libc {
    let interpreter = std::fs::read("/bin/sh")
        .ok()
        .and_then(|bytes| elf_interpreter(&bytes));
    if let Some(interpreter) = interpreter {
        return libc_of_interpreter(&interpreter);
    }
    let has_musl_loader = std::fs::read_dir("/lib").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("ld-musl-"))
    });
    let has_glibc_loader = ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"]
        .iter()
        .any(|p| std::path::Path::new(p).exists());
    if has_musl_loader && !has_glibc_loader {
        Libc::Musl
    } else {
        Libc::Glibc
    }
}

/// Which libc a dynamic loader path belongs to.
fn libc_of_interpreter(interpreter: &str) -> Libc {
    if interpreter.contains("musl") {
        Libc::Musl
    } else {
        Libc::Glibc
    }
}

/// The `PT_INTERP` of a 64-bit little-endian ELF file, or `None` for anything else.
fn elf_interpreter(elf: &[u8]) -> Option<String> {
    let u16_at = |at: usize| Some(u16::from_le_bytes(elf.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(elf.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(elf.get(at..at + 8)?.try_into().ok()?));
    // Magic, ELFCLASS64, little-endian.
    if elf.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let program_headers = usize::try_from(u64_at(0x20)?).ok()?;
    let entry_size = usize::from(u16_at(0x36)?);
    let count = usize::from(u16_at(0x38)?);
    const PT_INTERP: u32 = 3;
    (0..count).find_map(|i| {
        let header = program_headers.checked_add(i.checked_mul(entry_size)?)?;
        if u32_at(header)? != PT_INTERP {
            return None;
        }
        let offset = usize::try_from(u64_at(header + 0x08)?).ok()?;
        let size = usize::try_from(u64_at(header + 0x20)?).ok()?;
        let raw = elf.get(offset..offset.checked_add(size)?)?;
        let raw = raw.split(|&b| b == 0).next()?;
        Some(String::from_utf8_lossy(raw).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musl_loader_means_musl() {
        assert_eq!(libc_of_interpreter("/lib/ld-musl-x86_64.so.1"), Libc::Musl);
        assert_eq!(
            libc_of_interpreter("/lib64/ld-linux-x86-64.so.2"),
            Libc::Glibc
        );
    }

    #[test]
    fn elf_interpreter_of_garbage_is_none() {
        assert_eq!(elf_interpreter(b"#!/bin/sh\n"), None);
        assert_eq!(elf_interpreter(b"\x7fELF\x02\x01"), None);
        assert_eq!(elf_interpreter(&[]), None);
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn this_glibc_machine_is_detected_as_glibc() {
        // The tests run on Debian (glibc), whose /bin/sh is dynamically linked.
        let interpreter = elf_interpreter(&std::fs::read("/bin/sh").unwrap());
        assert!(
            interpreter.as_deref().is_some_and(|i| i.starts_with('/')),
            "{interpreter:?}"
        );
        assert_eq!(detect_libc(), Libc::Glibc);
    }
}
