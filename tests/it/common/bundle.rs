//! Model bundles for the tests, shaped like caro's bundle workflow publishes them
//! (`caro`, `models/<file>.gguf`, `licenses/<files>`, `THIRD_PARTY_NOTICES.txt`), and
//! hostile ones: entries with `..`, absolute paths, links, sizes that lie.

use std::io::Write;

use super::server::stand_in;

/// One entry of a bundle.
#[derive(Debug, Clone)]
enum Entry {
    File(String, Vec<u8>),
    Folder(String),
    Link(String, String, tar::EntryType),
    /// A header declaring `size` bytes, followed by `bytes` only (a size that lies).
    Declared(String, u64, Vec<u8>),
}

/// A bundle under construction.
#[derive(Debug, Clone)]
#[must_use]
pub struct Bundle {
    entries: Vec<Entry>,
}

/// The model file the standard bundle holds.
pub const MODEL: &str = "tiny.gguf";

/// A few hundred KiB of a made-up model: not all zeros, so it does not compress away.
pub fn model_bytes(size: usize, seed: u8) -> Vec<u8> {
    let mut state = u32::from(seed) | 0x1234_0000;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

impl Bundle {
    /// caro `version` (a stand-in), `models/tiny.gguf`, a licence and the notices.
    pub fn new(version: &str) -> Bundle {
        Bundle {
            entries: Vec::new(),
        }
        .file("caro", stand_in(version))
        .folder("models/")
        .file(&format!("models/{MODEL}"), model_bytes(300 * 1024, 1))
        .folder("licenses/")
        .file("licenses/LICENSE-tiny", "MIT, for the test model\n")
        .file("THIRD_PARTY_NOTICES.txt", "notices\n")
    }

    /// Adds (or replaces) a regular file.
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Bundle {
        self = self.without(path);
        self.entries
            .push(Entry::File(path.to_string(), bytes.into()));
        self
    }

    /// Adds a second regular file at `path`, keeping the first.
    pub fn again(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Bundle {
        self.entries
            .push(Entry::File(path.to_string(), bytes.into()));
        self
    }

    /// Adds a folder entry.
    pub fn folder(mut self, path: &str) -> Bundle {
        self.entries.push(Entry::Folder(path.to_string()));
        self
    }

    /// Adds a symbolic link.
    pub fn symlink(mut self, path: &str, target: &str) -> Bundle {
        self.entries.push(Entry::Link(
            path.to_string(),
            target.to_string(),
            tar::EntryType::Symlink,
        ));
        self
    }

    /// Adds a hard link.
    pub fn hard_link(mut self, path: &str, target: &str) -> Bundle {
        self.entries.push(Entry::Link(
            path.to_string(),
            target.to_string(),
            tar::EntryType::Link,
        ));
        self
    }

    /// Adds an entry whose header declares `size` bytes but which carries `bytes`.
    pub fn declared(mut self, path: &str, size: u64, bytes: impl Into<Vec<u8>>) -> Bundle {
        self.entries
            .push(Entry::Declared(path.to_string(), size, bytes.into()));
        self
    }

    /// Removes every entry at `path`.
    pub fn without(mut self, path: &str) -> Bundle {
        self.entries.retain(|entry| match entry {
            Entry::File(p, _)
            | Entry::Folder(p)
            | Entry::Link(p, _, _)
            | Entry::Declared(p, _, _) => p != path,
        });
        self
    }

    /// The `.tar.gz` bytes. Paths are written into the header as they are (the tar
    /// crate's own `set_path` refuses `..` and absolute paths, which these tests need).
    pub fn build(&self) -> Vec<u8> {
        let mut tar = Vec::new();
        for entry in &self.entries {
            let (path, kind, size, data, link): (&str, _, u64, &[u8], Option<&str>) = match entry {
                Entry::File(path, bytes) => (
                    path,
                    tar::EntryType::Regular,
                    bytes.len() as u64,
                    bytes,
                    None,
                ),
                Entry::Folder(path) => (path, tar::EntryType::Directory, 0, &[], None),
                Entry::Link(path, target, kind) => (path, *kind, 0, &[], Some(target)),
                Entry::Declared(path, size, bytes) => {
                    (path, tar::EntryType::Regular, *size, bytes, None)
                }
            };
            let mut header = tar::Header::new_gnu();
            let name = &mut header.as_old_mut().name;
            name.fill(0);
            name[..path.len()].copy_from_slice(path.as_bytes());
            if let Some(target) = link {
                let linkname = &mut header.as_old_mut().linkname;
                linkname[..target.len()].copy_from_slice(target.as_bytes());
            }
            header.set_entry_type(kind);
            header.set_size(size);
            header.set_mode(if path == "caro" || kind.is_dir() {
                0o755
            } else {
                0o644
            });
            header.set_mtime(0);
            header.set_cksum();
            tar.extend_from_slice(header.as_bytes());
            tar.extend_from_slice(data);
            if matches!(entry, Entry::Declared(..)) {
                // The rest is missing: the stream ends here, as a lying header leaves it.
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(&tar).unwrap();
                return encoder.finish().unwrap();
            }
            let padding = (512 - data.len() % 512) % 512;
            tar.extend(std::iter::repeat_n(0u8, padding));
        }
        tar.extend(std::iter::repeat_n(0u8, 1024));
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&tar).unwrap();
        encoder.finish().unwrap()
    }
}

/// The published name of a bundle.
pub fn bundle_name(version: &str, platform: &str, model: &str) -> String {
    format!("caro-{version}-{platform}-with-{model}.tar.gz")
}
