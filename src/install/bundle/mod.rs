//! Model bundles (`--with-model NAME`): caro with its model, taken apart as it arrives.
//!
//! A bundle `caro-{V}-{P}-with-{NAME}.tar.gz` holds at its root `caro` (`caro.exe`),
//! `models/<file>.gguf`, `licenses/<files>` and `THIRD_PARTY_NOTICES.txt` (docs/releases.md).
//! It is a gigabyte for the larger models, so it is never stored whole: the download
//! pipeline hands each chunk to an [`Unpacker`], whose thread decompresses and untars it
//! into temp files *in the destination folders* (so placing is a rename on the same file
//! system) while the pipeline hashes the compressed bytes. Nothing is placed before the
//! whole bundle's sha256 matched its sidecar (and its signature, with a pinned key): only
//! then [`place`] renames the temp files over their final names. A failure or Ctrl-C before
//! that leaves every old file as it was, and the temp files go with the run.
//!
//! The entries are checked as strictly as any archive's (`extract.rs`), and more: only the
//! names above, each once, regular files and folders only, and a cap on the unpacked size
//! read from each entry's header before a byte of it is written.

mod unpack;

pub use unpack::Unpacker;

use std::path::{Path, PathBuf};

use crate::checksum::Digest;
use crate::error::{Error, Result};
use crate::extract;
use crate::files::TempFile;
use crate::names;
use crate::platform::Platform;
use crate::receipt::WrittenFile;
use crate::release::Version;
use crate::report::Reporter;

/// The most bytes a bundle may unpack to: 64 GiB, far above the largest model caro offers
/// (about 1 GB) and below what would surprise anyone.
pub const MAX_BUNDLE_BYTES: u64 = 64 << 30;

/// The most entries a bundle may hold (caro, a few models, a few licences).
pub const MAX_BUNDLE_ENTRIES: usize = 1000;

/// The notices file at a bundle's root.
pub const NOTICES: &str = "THIRD_PARTY_NOTICES.txt";

/// The published name of the bundle of `model` for caro `version` on `platform`.
pub fn bundle_file_name(version: &Version, platform: Platform, model: &str) -> String {
    names::bundle(names::CARO, version, platform, model)
}

/// What a bundle entry is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// `caro` (`caro.exe`) at the root.
    Binary,
    /// `models/<file>.gguf`.
    Model(String),
    /// `licenses/<file>`.
    License(String),
    /// `THIRD_PARTY_NOTICES.txt`.
    Notices,
    /// The folders `models/` and `licenses/` themselves, and `./`.
    Folder,
}

/// Classifies a bundle entry path (`./` prefixes allowed); an error (the reason) for
/// anything hostile or unexpected.
pub fn classify(path: &str, binary: &str) -> Result<Part, String> {
    let parts = extract::entry_parts(path)?;
    let shown = path.escape_debug();
    let plain = |name: &str| !name.starts_with('.') && !name.contains(':');
    Ok(match parts.as_slice() {
        [name] if *name == binary => Part::Binary,
        [name] if *name == NOTICES => Part::Notices,
        // `./` itself, as `tar -C dir -czf bundle.tar.gz .` writes it first.
        [] | ["models"] | ["licenses"] => Part::Folder,
        ["models", file] if file.ends_with(".gguf") && plain(file) => {
            Part::Model((*file).to_string())
        }
        ["licenses", file] if plain(file) => Part::License((*file).to_string()),
        _ => {
            return Err(format!(
                "entry `{shown}` is not part of a model bundle (only `{binary}`, \
                 `models/*.gguf`, `licenses/*` and `{NOTICES}` are)"
            ));
        }
    })
}

/// Refuses a write of `needed` bytes into `folder` when only `available` are free.
pub fn check_space(folder: &Path, needed: u64, available: Option<u64>) -> Result<()> {
    match available {
        Some(available) if available < needed => Err(Error::NotEnoughSpace {
            folder: folder.to_path_buf(),
            needed,
            available,
        }),
        _ => Ok(()),
    }
}

/// The bytes free for this user in the file system holding `dir`; `None` when unknown.
#[cfg(unix)]
pub fn free_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes only into the struct it is given; the path is NUL-terminated.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    // The field types differ between systems (u32 or u64): u128 holds either and the product.
    let free = stat.f_bavail as u128 * stat.f_frsize as u128;
    Some(u64::try_from(free).unwrap_or(u64::MAX))
}

/// The bytes free for this user in the file system holding `dir`; `None` when unknown.
#[cfg(windows)]
pub fn free_space(dir: &Path) -> Option<u64> {
    use std::os::windows::ffi::OsStrExt;
    let wide: Vec<u16> = dir.as_os_str().encode_wide().chain(Some(0)).collect();
    let mut free = 0u64;
    // SAFETY: the path is NUL-terminated; the call writes only the counters it is given.
    let ok = unsafe {
        windows_sys::Win32::Storage::FileSystem::GetDiskFreeSpaceExW(
            wide.as_ptr(),
            &mut free,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    (ok != 0).then_some(free)
}

/// Removes the temp files a killed bundle install left in `dir` (the models or licences
/// folder, which no directory lock covers): only `.caro-install-tmp-<pid>-…` files whose
/// process is gone, so an installer running beside this one keeps its own. A reused pid
/// keeps a leftover for a later run: the safe direction. Unix only (Windows has no cheap
/// "is this pid alive"; its leftovers stay).
pub fn remove_leftovers(dir: &Path, reporter: &dyn Reporter) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = leftover_pid(&name) else {
            continue;
        };
        if entry.file_type().is_ok_and(|t| t.is_file()) && !is_running(pid) {
            let path = entry.path();
            if std::fs::remove_file(&path).is_ok() {
                reporter.detail(&format!(
                    "removed {}, left by an interrupted run",
                    path.display()
                ));
            }
        }
    }
}

/// The pid in a temp file's name `.caro-install-tmp-<pid>-<n>-<name>`.
pub fn leftover_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(crate::files::TEMP_PREFIX)?;
    rest.split('-').next()?.parse().ok()
}

/// Returns true if and only if a process with this pid may still be running (on Windows,
/// always: nothing is removed there).
fn is_running(pid: u32) -> bool {
    #[cfg(unix)]
    fn imp(pid: u32) -> bool {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        alive || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    fn imp(_pid: u32) -> bool {
        true
    }
    imp(pid)
}

/// Where a bundle's parts go.
#[derive(Debug, Clone)]
pub struct Destinations {
    /// The binary's folder (the install directory) and its file name there.
    pub binary_dir: PathBuf,
    /// `caro` or `caro.exe`.
    pub binary_name: String,
    /// [`models_dir`].
    pub models: PathBuf,
    /// [`licenses_dir`].
    pub licenses: PathBuf,
}

/// A part unpacked into a temp file beside its final place, with what it holds.
#[derive(Debug)]
pub struct Unpacked {
    /// Which part.
    pub part: Part,
    /// The temp file.
    pub temp: TempFile,
    /// Its final path.
    pub target: PathBuf,
    /// The sha256 of its content.
    pub sha256: Digest,
    /// Its size.
    pub size: u64,
}

/// A whole bundle, unpacked into temp files, not yet verified or placed.
#[derive(Debug, Default)]
pub struct UnpackedBundle {
    /// Every part, in the bundle's order.
    pub parts: Vec<Unpacked>,
}

impl UnpackedBundle {
    /// Takes the binary out; the bundle keeps the rest.
    pub fn take_binary(&mut self) -> Option<Unpacked> {
        let at = self.parts.iter().position(|p| p.part == Part::Binary)?;
        Some(self.parts.remove(at))
    }

    /// The model parts.
    pub fn models(&self) -> impl Iterator<Item = &Unpacked> {
        self.parts
            .iter()
            .filter(|p| matches!(p.part, Part::Model(_)))
    }
}

/// Checks that a verified bundle holds what one must: the binary and at least one model.
pub fn check_complete(bundle: &UnpackedBundle, label: &str, binary: &str) -> Result<()> {
    let missing = if !bundle.parts.iter().any(|p| p.part == Part::Binary) {
        format!("`{binary}` at its root")
    } else if bundle.models().next().is_none() {
        "model file (`models/*.gguf`)".to_string()
    } else {
        return Ok(());
    };
    Err(Error::BundleIncomplete {
        archive: label.to_string(),
        missing,
    })
}

/// Places the verified parts other than the binary: a file already there with the same
/// content is left as it is (and not counted as written); another is replaced
/// atomically. Returns what was written, for the receipt, and every model's final path.
pub fn place(
    bundle: UnpackedBundle,
    reporter: &dyn Reporter,
) -> Result<(Vec<WrittenFile>, Vec<PathBuf>)> {
    // Every target is checked before any is replaced, so a refusal places nothing.
    for unpacked in &bundle.parts {
        let target = &unpacked.target;
        if target.symlink_metadata().is_ok_and(|m| !m.is_file()) {
            return Err(Error::UnsafeFile {
                operation: "replace",
                path: target.clone(),
                refused: crate::files::Refused::NotRegular("a link, a folder or a special file"),
            });
        }
    }
    let mut written = Vec::new();
    let mut models = Vec::new();
    for mut unpacked in bundle.parts {
        let role = match unpacked.part {
            Part::Model(_) => "model",
            Part::License(_) => "license",
            Part::Notices => "notices",
            Part::Binary | Part::Folder => continue,
        };
        if role == "model" {
            models.push(unpacked.target.clone());
        }
        let record = WrittenFile {
            path: unpacked.target.clone(),
            sha256: unpacked.sha256.to_string(),
            size: unpacked.size,
            role: role.to_string(),
            extra: Default::default(),
        };
        if record.is_unchanged() {
            reporter.detail(&format!(
                "kept {} ({} bytes): it already holds this content",
                unpacked.target.display(),
                unpacked.size
            ));
            continue;
        }
        let target = &unpacked.target;
        unpacked
            .temp
            .file_mut()
            .sync_all()
            .map_err(Error::file("flush", target))?;
        unpacked.temp.replace(target)?;
        reporter.detail(&format!(
            "wrote {} ({} bytes, sha256 {})",
            target.display(),
            unpacked.size,
            unpacked.sha256
        ));
        written.push(record);
    }
    Ok((written, models))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_entries_and_nothing_else() {
        assert_eq!(classify("caro", "caro"), Ok(Part::Binary));
        assert_eq!(classify("./caro", "caro"), Ok(Part::Binary));
        assert_eq!(classify("models/", "caro"), Ok(Part::Folder));
        assert_eq!(classify("./", "caro"), Ok(Part::Folder));
        assert_eq!(
            classify("./models/m.gguf", "caro"),
            Ok(Part::Model("m.gguf".into()))
        );
        assert_eq!(
            classify("models/smollm.gguf", "caro"),
            Ok(Part::Model("smollm.gguf".into()))
        );
        assert_eq!(
            classify("licenses/LICENSE-smollm", "caro"),
            Ok(Part::License("LICENSE-smollm".into()))
        );
        assert_eq!(classify(NOTICES, "caro"), Ok(Part::Notices));
        for hostile in [
            "../caro",
            "/caro",
            "models/../../x.gguf",
            "models/a/b.gguf",
            "models/x.bin",
            "models/.hidden.gguf",
            "bin/caro",
            "caro.exe",
            "README.md",
        ] {
            assert!(classify(hostile, "caro").is_err(), "{hostile}");
        }
        assert_eq!(classify("caro.exe", "caro.exe"), Ok(Part::Binary));
    }

    #[test]
    fn a_leftover_names_the_process_that_left_it() {
        assert_eq!(
            leftover_pid(".caro-install-tmp-4242-3-tiny.gguf"),
            Some(4242)
        );
        assert_eq!(leftover_pid(".caro-install-tmp-x-3-tiny.gguf"), None);
        assert_eq!(leftover_pid("tiny.gguf"), None);
        assert!(is_running(std::process::id()));
    }

    #[test]
    fn bundle_names_follow_the_release_layout() {
        let version = Version::parse("1.2.0").unwrap();
        assert_eq!(
            bundle_file_name(&version, Platform::LinuxAmd64, "smollm-135m"),
            "caro-1.2.0-linux-amd64-with-smollm-135m.tar.gz"
        );
    }

    #[test]
    fn space_is_refused_only_when_known_short() {
        let folder = Path::new("/cache/caro/models");
        assert!(check_space(folder, 10, Some(10)).is_ok());
        assert!(check_space(folder, 10, None).is_ok());
        let error = check_space(folder, 3 << 20, Some(1 << 20)).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("/cache/caro/models"), "{text}");
        assert!(text.contains("2.0 MiB"), "{text}");
    }
}
