//! The install receipt: what was installed, from where, and which files were edited.
//!
//! The receipt is the single source of truth for `update` (same directory, platform and
//! `modify_path`) and `uninstall` (exactly these files and lines). Its field names follow
//! cargo-dist's receipt so tools that read those can read ours; fields this version does not
//! know are kept as they are, and fields a newer writer added are defaulted when missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::error::{Error, Result};

/// The file name of the receipt inside caro's config directory.
pub const RECEIPT_FILE: &str = "caro-receipt.json";

/// The largest receipt read.
pub const MAX_RECEIPT_BYTES: u64 = 1024 * 1024;

/// Where the receipt lives: `${XDG_CONFIG_HOME:-~/.config}/caro/caro-receipt.json`
/// (`%LOCALAPPDATA%\caro\caro-receipt.json` on Windows).
pub fn receipt_path(env: &Env) -> Result<PathBuf> {
    Ok(env.caro_config_dir()?.join(RECEIPT_FILE))
}

/// The receipt, as written after a successful install.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// The binaries installed into `install_prefix` (`caro`, and `caro-install` when copied).
    #[serde(default)]
    pub binaries: Vec<String>,
    /// The directory the binaries are in.
    #[serde(default)]
    pub install_prefix: PathBuf,
    /// cargo-dist's layout name; always `flat` (binaries directly in `install_prefix`).
    #[serde(default = "flat")]
    pub install_layout: String,
    /// Whether PATH was (or should be) configured; `update` keeps it.
    #[serde(default)]
    pub modify_path: bool,
    /// Which tool wrote the receipt.
    #[serde(default)]
    pub provider: Provider,
    /// Where the release came from.
    #[serde(default)]
    pub source: Source,
    /// The installed caro version, without `v`.
    #[serde(default)]
    pub version: String,
    /// The platform key installed (absent in cargo-dist receipts).
    #[serde(default)]
    pub platform: Option<String>,
    /// The asset downloaded; `None` for a build from source.
    #[serde(default)]
    pub asset_url: Option<String>,
    /// The verified sha256 of that asset.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Every PATH edit made, so `uninstall` can undo exactly those.
    #[serde(default)]
    pub path_edits: Vec<PathEdit>,
    /// When the install finished, RFC 3339 UTC.
    #[serde(default)]
    pub installed_at: Option<String>,
    /// The folders the install created (the install directory, the receipt's folder and
    /// any missing parents), which uninstall removes again once they are empty. Absent
    /// before 0.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<PathBuf>,
    /// Every file caro-install wrote (binaries, env scripts, model files, licences) with
    /// the sha256 of what it wrote: `uninstall` and `update` replace or delete a file only
    /// while it still holds that. Absent before 0.2 (then the names in `binaries` and the
    /// `path_edits` are all there is to go by).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<WrittenFile>,
    /// The model bundle installed with `--with-model`, if any. Absent before 0.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelBundle>,
    /// Fields this version does not know, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A file caro-install wrote, and what it wrote there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenFile {
    /// Where.
    pub path: PathBuf,
    /// The lower-case hex sha256 of the bytes written.
    pub sha256: String,
    /// How many bytes.
    #[serde(default)]
    pub size: u64,
    /// What it is: `binary`, `env-script`, `model`, `license` or `notices`.
    #[serde(default)]
    pub role: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// The model bundle an install unpacked (`--with-model NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelBundle {
    /// The model's name in the bundle's file name (`smollm-135m`).
    pub name: String,
    /// Where the bundle came from: its URL, or the local file for `--from-file`.
    #[serde(default)]
    pub bundle: String,
    /// The bundle's verified sha256.
    #[serde(default)]
    pub sha256: String,
    /// The model files it holds, as placed (also listed in `files` when written).
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl WrittenFile {
    /// The record of `path` as it is now on disk, for `role`; `None` when it cannot be read.
    pub fn of(path: &Path, role: &str) -> Option<WrittenFile> {
        let (sha256, size) = sha256_of_file(path).ok()?;
        Some(WrittenFile {
            path: path.to_path_buf(),
            sha256,
            size,
            role: role.to_string(),
            extra: BTreeMap::new(),
        })
    }

    /// Returns true if and only if `path` is a regular file that still holds exactly what
    /// caro-install wrote there (links are not followed: a link is never ours).
    pub fn is_unchanged(&self) -> bool {
        let regular = self
            .path
            .symlink_metadata()
            .is_ok_and(|m| m.is_file() && m.len() == self.size);
        regular
            && sha256_of_file(&self.path)
                .is_ok_and(|(digest, _)| digest.eq_ignore_ascii_case(&self.sha256))
    }
}

/// The lower-case hex sha256 of the file at `path` and its length, read in one pass. Only a
/// regular file is opened (`files::open_regular_shared`): a FIFO or a device put where a
/// binary or a model was is an error, never a read that hangs or never ends.
pub fn sha256_of_file(path: &Path) -> std::io::Result<(String, u64)> {
    use sha2::Digest as _;
    use std::io::Read;
    let mut file = match crate::files::open_regular_shared(path) {
        Ok(Some(file)) => file,
        Ok(None) => return Err(std::io::ErrorKind::NotFound.into()),
        Err(refused) => return Err(std::io::Error::other(refused.to_string())),
    };
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    Ok((
        crate::checksum::Digest(hasher.finalize().into()).to_string(),
        total,
    ))
}

fn flat() -> String {
    "flat".to_string()
}

/// cargo-dist's `provider` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    /// The installer's name.
    #[serde(default)]
    pub source: String,
    /// The installer's version.
    #[serde(default)]
    pub version: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// cargo-dist's `source` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The application name.
    #[serde(default)]
    pub app_name: String,
    /// The repository name.
    #[serde(default)]
    pub name: String,
    /// The repository owner.
    #[serde(default)]
    pub owner: String,
    /// `github`.
    #[serde(default)]
    pub release_type: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// One change made to make caro reachable on PATH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathEdit {
    /// The file (or registry value, or `GITHUB_PATH` file) changed.
    pub path: PathBuf,
    /// The line added, if the edit was a line.
    #[serde(default)]
    pub line: Option<String>,
    /// Whether the file was created by us (and so may be removed when emptied).
    #[serde(default)]
    pub created: bool,
    /// Whether a newline was added before the line because the file lacked a final one;
    /// removing the line removes it too, so the file comes back byte-identical.
    #[serde(default)]
    pub added_newline: bool,
    /// The folders made for the file, deepest first, which uninstall removes again once
    /// the file is gone and they are empty. Absent before 0.2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<PathBuf>,
}

impl Receipt {
    /// A receipt for a fresh install of `version` from `repo` (`owner/name`).
    pub fn new(repo: &str, version: &str, install_prefix: &Path) -> Receipt {
        let (owner, name) = repo.split_once('/').unwrap_or(("", repo));
        Receipt {
            binaries: vec!["caro".to_string()],
            install_prefix: install_prefix.to_path_buf(),
            install_layout: flat(),
            modify_path: false,
            provider: Provider {
                source: "caro-install".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                extra: BTreeMap::new(),
            },
            source: Source {
                app_name: "caro".to_string(),
                name: name.to_string(),
                owner: owner.to_string(),
                release_type: "github".to_string(),
                extra: BTreeMap::new(),
            },
            version: version.to_string(),
            platform: None,
            asset_url: None,
            sha256: None,
            path_edits: Vec::new(),
            installed_at: Some(rfc3339(SystemTime::now())),
            created_dirs: Vec::new(),
            files: Vec::new(),
            model: None,
            extra: BTreeMap::new(),
        }
    }

    /// Records `file` as written, replacing an earlier record of the same path.
    pub fn record_file(&mut self, file: WrittenFile) {
        self.files.retain(|known| known.path != file.path);
        self.files.push(file);
    }

    /// What caro-install wrote at `path`, if the receipt says.
    pub fn written(&self, path: &Path) -> Option<&WrittenFile> {
        self.files.iter().find(|file| file.path == path)
    }

    /// Records the binary at `path` again, as it is now on disk: after `update` replaced
    /// it, its new content is the one caro-install wrote. The path is the file replaced,
    /// not a name rebuilt from this machine's conventions (a `--platform` build for
    /// another OS keeps that OS's name).
    pub fn record_binary(&mut self, path: &Path) {
        if let Some(file) = WrittenFile::of(path, "binary") {
            self.record_file(file);
        }
    }

    /// Keeps what an earlier receipt knew that a reinstall does not redo: fields this
    /// version does not know, the files written before (a model kept by an install without
    /// `--with-model` is still the one caro-install wrote), the model, and the PATH edits made before (a reinstall finds the lines
    /// in place and makes no new edit, but uninstall must still undo the old ones; the
    /// earlier record wins, as it knows whether the file was created).
    pub fn carry_over(&mut self, old: Receipt) {
        let mut edits = old.path_edits;
        for edit in std::mem::take(&mut self.path_edits) {
            if !edits
                .iter()
                .any(|known| known.path == edit.path && known.line == edit.line)
            {
                edits.push(edit);
            }
        }
        self.path_edits = edits;
        for dir in old.created_dirs {
            if !self.created_dirs.contains(&dir) {
                self.created_dirs.push(dir);
            }
        }
        for file in old.files {
            if self.written(&file.path).is_none() {
                self.files.push(file);
            }
        }
        if self.model.is_none() {
            self.model = old.model;
        }
        self.extra = old.extra;
    }

    /// Reads the receipt at `path`: `None` when there is none, an error naming the file
    /// when it is not valid.
    pub fn load(path: &Path) -> Result<Option<Receipt>> {
        // A receipt is a few hundred bytes; it is read through the guard, so a FIFO or a
        // device put there is refused instead of hanging or filling memory.
        let bytes = match crate::files::read_regular(path, MAX_RECEIPT_BYTES) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(crate::files::Refused::TooLarge(_)) => {
                return Err(Error::ReceiptTooLarge {
                    path: path.to_path_buf(),
                    limit: MAX_RECEIPT_BYTES,
                });
            }
            Err(refused) => {
                return Err(Error::UnsafeFile {
                    operation: "read the receipt",
                    path: path.to_path_buf(),
                    refused,
                });
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| Error::CorruptReceipt {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Writes the receipt to `path` atomically (temp file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut json = serde_json::to_string_pretty(self).expect("a receipt always serialises");
        json.push('\n');
        crate::files::write_atomically(path, json.as_bytes())
    }
}

/// Formats a time as RFC 3339 in UTC, to the second (`2026-11-21T23:55:00Z`).
pub fn rfc3339(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // Days to civil date: Howard Hinnant's algorithm.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_305_300)),
            "2026-11-21T23:55:00Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn cargo_dist_receipt_loads_with_defaults_and_keeps_unknown_fields() {
        let json = r#"{"binaries":["caro"],"binary_aliases":{},"install_layout":"flat",
            "install_prefix":"/home/u/.local/bin","modify_path":true,
            "provider":{"source":"cargo-dist","version":"0.28.0"},
            "source":{"app_name":"caro","name":"caro","owner":"wildcard","release_type":"github"},
            "version":"1.0.2"}"#;
        let receipt: Receipt = serde_json::from_str(json).unwrap();
        assert_eq!(receipt.version, "1.0.2");
        assert_eq!(receipt.platform, None);
        assert!(receipt.path_edits.is_empty());
        let again = serde_json::to_value(&receipt).unwrap();
        assert_eq!(again["binary_aliases"], serde_json::json!({}));
        assert_eq!(again["provider"]["source"], "cargo-dist");
    }

    #[test]
    fn a_reinstall_keeps_earlier_path_edits_and_unknown_fields() {
        let edit = |path: &str, created| PathEdit {
            path: path.into(),
            line: None,
            created,
            added_newline: false,
            created_dirs: Vec::new(),
        };
        let mut old = Receipt::new("wildcard/caro", "1.0.2", Path::new("/b"));
        old.path_edits = vec![edit("/h/.profile", true)];
        old.extra
            .insert("future_field".into(), serde_json::json!(1));
        let mut new = Receipt::new("wildcard/caro", "1.0.3", Path::new("/b"));
        new.path_edits = vec![edit("/h/.profile", false), edit("/h/.zshenv", true)];
        new.carry_over(old);
        assert_eq!(
            new.path_edits,
            [edit("/h/.profile", true), edit("/h/.zshenv", true)]
        );
        assert_eq!(new.extra["future_field"], 1);
        assert_eq!(new.version, "1.0.3");
    }

    #[test]
    fn files_and_model_are_optional_and_keep_unknown_fields() {
        let json = r#"{"binaries":["caro"],"install_prefix":"/b","version":"1.2.0",
            "files":[{"path":"/c/caro/models/m.gguf","sha256":"ab","size":2,"role":"model",
                      "mode":"0644"}],
            "model":{"name":"m","bundle":"u","sha256":"cd","files":["/c/caro/models/m.gguf"],
                     "quantisation":"q4"}}"#;
        let receipt: Receipt = serde_json::from_str(json).unwrap();
        assert_eq!(receipt.files[0].role, "model");
        assert_eq!(receipt.model.as_ref().unwrap().name, "m");
        let again = serde_json::to_value(&receipt).unwrap();
        assert_eq!(again["files"][0]["mode"], "0644");
        assert_eq!(again["model"]["quantisation"], "q4");
        // A receipt written before 0.2 has neither, and writes neither back.
        let old: Receipt = serde_json::from_str(r#"{"version":"1.0.2"}"#).unwrap();
        let again = serde_json::to_value(&old).unwrap();
        assert!(again.get("files").is_none() && again.get("model").is_none());
    }

    #[test]
    fn a_reinstall_without_a_model_keeps_the_model_and_its_files() {
        let file = |path: &str, sha256: &str| WrittenFile {
            path: path.into(),
            sha256: sha256.into(),
            size: 1,
            role: "model".into(),
            extra: BTreeMap::new(),
        };
        let mut old = Receipt::new("wildcard/caro", "1.2.0", Path::new("/b"));
        old.files = vec![file("/m/a.gguf", "aa"), file("/b/caro", "old")];
        old.model = Some(ModelBundle {
            name: "m".into(),
            bundle: String::new(),
            sha256: String::new(),
            files: vec!["/m/a.gguf".into()],
            extra: BTreeMap::new(),
        });
        let mut new = Receipt::new("wildcard/caro", "1.3.0", Path::new("/b"));
        new.record_file(file("/b/caro", "new"));
        new.carry_over(old);
        assert_eq!(new.written(Path::new("/b/caro")).unwrap().sha256, "new");
        assert_eq!(new.written(Path::new("/m/a.gguf")).unwrap().sha256, "aa");
        assert_eq!(new.model.unwrap().name, "m");
    }

    #[test]
    fn corrupt_receipt_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RECEIPT_FILE);
        std::fs::write(&path, "{not json").unwrap();
        let error = Receipt::load(&path).unwrap_err();
        assert!(matches!(error, Error::CorruptReceipt { .. }));
        assert!(error.to_string().contains(RECEIPT_FILE), "{error}");
        assert!(
            Receipt::load(&dir.path().join("none.json"))
                .unwrap()
                .is_none()
        );
    }
}
