//! The container image: an OCI image layout, FROM scratch, for `linux/amd64` and `linux/arm64`.
//!
//! `--oci DIR` writes an [OCI image layout](https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
//! that `skopeo copy --all oci:DIR:{V} docker://ghcr.io/wildcard/caro:{V}` pushes as it is:
//!
//! ```text
//! DIR/oci-layout            {"imageLayoutVersion":"1.0.0"}
//! DIR/index.json            one entry: the image index, tagged {V} (org.opencontainers.image.ref.name)
//! DIR/blobs/sha256/...      the image index, and per platform a manifest, a config and one layer
//! ```
//!
//! Each image holds nothing but the static musl build at `/usr/local/bin/caro`, its
//! entrypoint ([`names::OCI_BUILDS`]: the bytes of the release's versioned asset, checked
//! against its digest). The manifests, the index and the configs carry the OCI annotations
//! `org.opencontainers.image.{source,version,revision,licenses,created}`, and `created` is
//! the tag's date as given ([`SourceDate`]), never the clock, which is also every layer
//! entry's time. JSON is written with sorted keys, archives as the `archive` module writes
//! them: the same release gives the same bytes and digests, on any machine, at any time.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::archive::{self, Hashing};
use super::{Asset, Product, SourceDate, invalid};
use crate::checksum::Digest;
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::names;
use crate::release::Version;

/// Where the binary is in the image, and its entrypoint.
pub const ENTRYPOINT: &str = "/usr/local/bin/caro";

const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// What [`write()`] is to lay out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The release assets, each with its OCI architecture.
    pub images: Vec<(Asset, &'static str)>,
    /// The annotations every manifest, the index and the configs carry.
    pub annotations: BTreeMap<String, String>,
    /// The tag in `index.json`: the version.
    pub tag: String,
    /// The tag's date.
    pub created: SourceDate,
}

/// Returns true if and only if `revision` looks like a git commit: 7 to 64 lower-case hex.
fn is_revision(revision: &str) -> bool {
    (7..=64).contains(&revision.len())
        && revision
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Plans the image of `product` at `version` from the release's versioned `assets`.
/// Refused before anything is written: a missing musl build, a revision that is no commit
/// id, and an output folder that is not an image layout of this version (`out` may not
/// exist, or be empty).
pub fn plan(
    product: &Product,
    version: &Version,
    assets: &[Asset],
    created: &SourceDate,
    revision: &str,
    out: &Path,
) -> Result<Planned> {
    let release = format!("{} {version}", product.name);
    let mut images = Vec::new();
    for (platform, architecture) in names::OCI_BUILDS {
        let Some(asset) = assets.iter().find(|a| a.platform == platform && !a.legacy) else {
            return Err(invalid(
                &release,
                &format!(
                    "the container image needs the static `{platform}` build (`{platform}=PATH`)"
                ),
            ));
        };
        images.push((asset.clone(), architecture));
    }
    if !is_revision(revision) {
        return Err(invalid(
            revision,
            "the revision is the tag's commit id (`--revision $(git rev-parse TAG)`)",
        ));
    }
    check_output(&version.to_string(), out)?;
    let annotations = BTreeMap::from(
        [
            ("source", product.homepage()),
            ("version", version.to_string()),
            ("revision", revision.to_string()),
            ("licenses", product.license.to_string()),
            ("created", created.text.clone()),
            ("title", product.name.to_string()),
            ("description", product.description.to_string()),
        ]
        .map(|(key, value)| (format!("org.opencontainers.image.{key}"), value)),
    );
    Ok(Planned {
        images,
        annotations,
        tag: version.to_string(),
        created: created.clone(),
    })
}

/// Refuses an output folder that holds anything but an image layout tagged `tag`.
fn check_output(tag: &str, out: &Path) -> Result<()> {
    super::check_output_dir(out)?;
    let Ok(mut entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    if entries.next().is_none() {
        return Ok(());
    }
    let refuse = |reason: &str| invalid(&out.display().to_string(), reason);
    let index = super::read_earlier_output(&out.join("index.json"))?.ok_or_else(|| {
        refuse("the image folder holds files but no image layout; give an empty folder")
    })?;
    let index: Value = serde_json::from_str(&index)
        .map_err(|_| refuse("its index.json is not JSON; give an empty folder"))?;
    let tags: Vec<&str> = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["annotations"][REF_NAME].as_str())
        .collect();
    if tags != [tag] {
        return Err(refuse(&format!(
            "the image folder holds another version ({}); give an empty folder for {tag}",
            tags.join(", ")
        )));
    }
    Ok(())
}

/// A descriptor of a blob.
fn descriptor(media_type: &str, digest: &Digest, size: u64) -> Value {
    json!({ "mediaType": media_type, "digest": format!("sha256:{digest}"), "size": size })
}

/// Writes `bytes` as a blob of `out` and returns its digest and size.
fn put_blob(out: &Path, bytes: &[u8]) -> Result<(Digest, u64)> {
    let digest = archive::sha256(bytes);
    write_atomically(&out.join("blobs/sha256").join(digest.to_string()), bytes)?;
    Ok((digest, bytes.len() as u64))
}

/// JSON with sorted keys and no white space: the same value, the same bytes.
fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// The one layer of an image: `/usr/local/bin/caro` and its folders, gzipped. Returns the
/// compressed bytes and the digest of the uncompressed tar (the config's `diff_id`).
fn layer(binary: &[u8], mtime: u64, out: &Path) -> Result<(Vec<u8>, Digest)> {
    let path = out.join("blobs");
    let uncompressed = Hashing::new(archive::gzip(Vec::new()));
    let mut tar = tar::Builder::new(uncompressed);
    for folder in ["usr", "usr/local", "usr/local/bin"] {
        archive::append_dir(&mut tar, folder, mtime, &path)?;
    }
    let file = ENTRYPOINT.trim_start_matches('/');
    archive::append_bytes(&mut tar, file, 0o755, binary, mtime, &path)?;
    let uncompressed = tar.into_inner().map_err(Error::file("write", &path))?;
    let (gzip, diff_id, _) = uncompressed.finish();
    let compressed = gzip.finish().map_err(Error::file("write", &path))?;
    Ok((compressed, diff_id))
}

/// Writes the image layout into `out`, each binary read from `release_dir` and checked
/// against its digest first; `index.json` is written last, so an interrupted run leaves
/// no index naming missing blobs. Returns the digest of the image index.
pub fn write(planned: &Planned, release_dir: &Path, out: &Path) -> Result<Digest> {
    let mut binaries = Vec::new();
    for (asset, _) in &planned.images {
        binaries.push(archive::read_checked(
            &release_dir.join(&asset.file_name),
            &asset.sha256,
        )?);
    }
    std::fs::create_dir_all(out.join("blobs/sha256"))
        .map_err(Error::file("create directory", out))?;
    let created = planned.created.text.as_str();
    let mut manifests = Vec::new();
    for ((_, architecture), binary) in planned.images.iter().zip(&binaries) {
        let (layer, diff_id) = layer(binary, planned.created.seconds, out)?;
        let (layer_digest, layer_size) = put_blob(out, &layer)?;
        let config = json!({
            "architecture": architecture,
            "os": "linux",
            "created": created,
            "config": {
                "Entrypoint": [ENTRYPOINT],
                "Env": ["PATH=/usr/local/bin"],
                "Labels": planned.annotations,
            },
            "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{diff_id}")] },
            "history": [{ "created": created, "created_by": "caro-install dist --oci" }],
        });
        let (config_digest, config_size) = put_blob(out, &to_bytes(&config))?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": descriptor(CONFIG, &config_digest, config_size),
            "layers": [descriptor(LAYER, &layer_digest, layer_size)],
            "annotations": planned.annotations,
        });
        let (digest, size) = put_blob(out, &to_bytes(&manifest))?;
        let mut entry = descriptor(MANIFEST, &digest, size);
        entry["platform"] = json!({ "architecture": architecture, "os": "linux" });
        manifests.push(entry);
    }
    let image_index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": manifests,
        "annotations": planned.annotations,
    });
    let (index_digest, index_size) = put_blob(out, &to_bytes(&image_index))?;
    let mut tagged = descriptor(INDEX, &index_digest, index_size);
    tagged["annotations"] = json!({ REF_NAME: planned.tag });
    write_atomically(
        &out.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    let layout_index = json!({ "schemaVersion": 2, "mediaType": INDEX, "manifests": [tagged] });
    write_atomically(&out.join("index.json"), &to_bytes(&layout_index))?;
    Ok(index_digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    use crate::dist::test_asset as asset;

    fn date() -> SourceDate {
        "2026-01-31T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn both_musl_builds_and_a_commit_id_are_required() {
        let product = Product::of("caro").unwrap();
        let version = Version::new(1, 2, 0);
        let out = Path::new("does-not-exist");
        let amd64 = [asset(Platform::LinuxAmd64Musl), asset(Platform::LinuxAmd64)];
        let error = plan(&product, &version, &amd64, &date(), "abcdef1", out)
            .unwrap_err()
            .to_string();
        assert!(error.contains("static `linux-arm64-musl` build"), "{error}");
        let both = [
            asset(Platform::LinuxAmd64Musl),
            asset(Platform::LinuxArm64Musl),
        ];
        for revision in ["", "main", "ABCDEF1", "abc"] {
            let error = plan(&product, &version, &both, &date(), revision, out)
                .unwrap_err()
                .to_string();
            assert!(error.contains("commit id"), "{revision}: {error}");
        }
        let planned = plan(&product, &version, &both, &date(), "abcdef1", out).unwrap();
        assert_eq!(
            planned.annotations["org.opencontainers.image.created"],
            "2026-01-31T12:00:00Z"
        );
        assert_eq!(
            planned.annotations["org.opencontainers.image.licenses"],
            "AGPL-3.0-only"
        );
        assert_eq!(
            planned
                .images
                .iter()
                .map(|(_, arch)| *arch)
                .collect::<Vec<_>>(),
            ["amd64", "arm64"]
        );
    }

    #[test]
    fn a_folder_of_other_files_or_versions_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_output("1.2.0", dir.path()).is_ok());
        std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        let error = check_output("1.2.0", dir.path()).unwrap_err().to_string();
        assert!(error.contains("no image layout"), "{error}");
        let index = json!({ "manifests": [{ "annotations": { REF_NAME: "1.1.0" } }] });
        std::fs::write(dir.path().join("index.json"), to_bytes(&index)).unwrap();
        let error = check_output("1.2.0", dir.path()).unwrap_err().to_string();
        assert!(error.contains("another version (1.1.0)"), "{error}");
        assert!(check_output("1.1.0", dir.path()).is_ok());
    }
}
