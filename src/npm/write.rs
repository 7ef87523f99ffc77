//! Laying the planned packages out on disk, after checking that nothing of another
//! release is in the way.

use std::fs;
use std::path::Path;

use super::invalid;
use super::plan::{Contents, Manifest, Package};
use crate::dist;
use crate::error::{Error, Result};
use crate::files::write_atomically;

/// The file listing the package directories in the order they must be published.
pub const PUBLISH_ORDER_FILE: &str = "publish-order";

/// Refuses an output directory that holds another release of the same packages: a
/// package directory whose `package.json` names another version. Reads only.
pub fn check_output(packages: &[Package], out: &Path) -> Result<()> {
    for package in packages {
        let path = out.join(&package.dir).join("package.json");
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(Error::file("read", &path)(error)),
        };
        let existing: std::result::Result<Manifest, _> = serde_json::from_str(&text);
        match existing {
            Ok(existing)
                if existing.name == package.manifest.name
                    && existing.version == package.manifest.version => {}
            Ok(existing) => {
                return Err(invalid(
                    &path.display().to_string(),
                    &format!(
                        "it already holds {}@{}, not {}@{}; remove it or choose another npm directory",
                        existing.name,
                        existing.version,
                        package.manifest.name,
                        package.manifest.version
                    ),
                ));
            }
            Err(error) => {
                return Err(invalid(
                    &path.display().to_string(),
                    &format!(
                        "it is no package.json this command wrote ({error}); remove it or choose another npm directory"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Writes `packages` under `out` (created if missing) and the publish order: after
/// [`check_output`], so a mismatch leaves every file as it was. Each binary is copied with
/// its digest checked against the release's, in case the asset changed since.
pub fn write(packages: &[Package], out: &Path) -> Result<()> {
    check_output(packages, out)?;
    for package in packages {
        let dir = out.join(&package.dir);
        for (path, contents) in &package.files {
            let target = dir.join(path);
            match contents {
                Contents::Text(text) => write_atomically(&target, text.as_bytes())?,
                Contents::Binary { from, sha256 } => {
                    let parent = target.parent().unwrap_or(&dir);
                    fs::create_dir_all(parent).map_err(Error::file("create directory", parent))?;
                    let copied = dist::copy_hashing(from, &target)?;
                    if copied != *sha256 {
                        return Err(invalid(
                            &from.display().to_string(),
                            &format!(
                                "it changed since it was packaged: its sha256 is {copied}, the release recorded {sha256}"
                            ),
                        ));
                    }
                }
            }
        }
        let manifest =
            serde_json::to_string_pretty(&package.manifest).expect("plain data serialises") + "\n";
        write_atomically(&dir.join("package.json"), manifest.as_bytes())?;
    }
    let order: String = packages.iter().map(|p| format!("{}\n", p.dir)).collect();
    write_atomically(&out.join(PUBLISH_ORDER_FILE), order.as_bytes())
}
