//! Packages built binaries as release assets: the command line of `caro_install::dist`.
//!
//! ```text
//! cargo run --release --example dist -- --name caro --version 1.2.0 --out dist/ \
//!     linux-amd64=path/to/caro macos-silicon=path/to/caro-mlx ...
//! ```
//!
//! See the `dist` module's documentation for the layout, and why this is an example, the
//! `npm` module's for the npm packages `--npm DIR` lays out beside the release, and
//! docs/channels.md for the bundles, NuGet, the container image and Homebrew.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use caro_install::dist::names;
use caro_install::dist::{self, Build, BundleSpec, Latest, Mirror, Product, SourceDate};
use caro_install::npm;
use caro_install::{Error, Platform, Version};

const USAGE: &str = "\
usage: cargo run --release --example dist -- --name NAME --version VERSION --out DIR
           [--tag TAG] [--mirror OWNER/REPO [--latest-download]] [--npm NPMDIR]
           [--bundle MODEL=MODEL_FILE:LICENSE_FILE]... [--nuget DIR] [--homebrew DIR]
           [--oci DIR --created DATE --revision COMMIT] KEY=PATH...

Writes NAME-{VERSION}-{KEY}{.exe} of each build (and for caro-install the legacy
NAME-{KEY}{.exe}), a .sha256 sidecar for each, and SHA256SUMS over all of them, into DIR.
Every channel is checked before anything is written.

  --name NAME          caro or caro-install
  --version VERSION    the release version, 1.2.0 or v1.2.0
  --tag TAG            the git tag being released; it must be vVERSION
  --out DIR            where the assets go
  --mirror OWNER/REPO  lay them out as a static mirror instead: DIR/OWNER/REPO/releases/
                       download/vVERSION/, releases/latest holding the tag, and the API's
                       answer under DIR/api/v3; use CARO_INSTALLER_GITHUB_BASE_URL=file://DIR
  --latest-download    with --mirror: make releases/latest/download/ hold the legacy assets
                       for the bootstrap scripts instead (needs a web server, not file://)
  --npm NPMDIR         also lay out the npm packages of the release in NPMDIR: one per
                       platform and the main package pinning them (@wildcard/caro, or
                       caro-install), with NPMDIR/publish-order listing them platform first
  --bundle MODEL=MODEL_FILE:LICENSE_FILE
                       (repeatable) also write NAME-{VERSION}-{KEY}-with-{MODEL}.tar.gz for
                       each build: caro, models/<model file>, licenses/<licence file> and
                       THIRD_PARTY_NOTICES.txt, with a .sha256 sidecar
  --nuget DIR          also write DIR/NAME.{VERSION}.nupkg (tools/caro.exe: windows-amd64)
  --homebrew DIR       also write DIR/NAME.rb for the tap (macOS and Linux builds)
  --oci DIR            also write an OCI image layout (linux-amd64-musl, linux-arm64-musl)
  --created DATE       the tag's date, YYYY-MM-DDTHH:MM:SSZ: the image's creation time and
                       the time of every entry of the bundles and the image (else 1970)
  --revision COMMIT    the tag's commit id, for the image's annotations
  KEY=PATH             a built binary and its platform key, such as linux-amd64=target/caro
                       (the same file may go under several keys)";

/// The parsed command line.
struct Args {
    name: String,
    version: Version,
    out: PathBuf,
    mirror: Option<Mirror>,
    npm: Option<PathBuf>,
    tag: Option<String>,
    bundles: Vec<BundleSpec>,
    nuget: Option<PathBuf>,
    homebrew: Option<PathBuf>,
    oci: Option<PathBuf>,
    created: Option<SourceDate>,
    revision: Option<String>,
    builds: Vec<Build>,
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            let keys: Vec<_> = Platform::ALL.iter().map(|p| p.key()).collect();
            println!("{USAGE}\n\nplatform keys: {}", keys.join(", "));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\nhelp: run with `--help` for the usage");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            if let Some(help) = error.help() {
                eprintln!("help: {help}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Parses the arguments; `Ok(None)` for `--help`.
fn parse(mut arguments: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let (mut name, mut version, mut out, mut mirror, mut npm) = (None, None, None, None, None);
    let (mut tag, mut nuget, mut homebrew, mut oci, mut created, mut revision) =
        (None, None, None, None, None, None);
    let mut latest = Latest::TagFile;
    let mut builds = Vec::new();
    let mut bundles = Vec::new();
    while let Some(argument) = arguments.next() {
        let (flag, inline) = match argument.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
            _ => (argument.clone(), None),
        };
        let mut value = || {
            inline
                .map(str::to_string)
                .or_else(|| arguments.next())
                .ok_or_else(|| format!("`{flag}` needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--name" => name = Some(value()?),
            "--version" => version = Some(dist::release_version(&value()?).map_err(show)?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--mirror" => mirror = Some(value()?),
            "--latest-download" => latest = Latest::DownloadDir,
            "--npm" => npm = Some(PathBuf::from(value()?)),
            "--tag" => tag = Some(value()?),
            "--bundle" => bundles.push(value()?.parse::<BundleSpec>().map_err(show)?),
            "--nuget" => nuget = Some(PathBuf::from(value()?)),
            "--homebrew" => homebrew = Some(PathBuf::from(value()?)),
            "--oci" => oci = Some(PathBuf::from(value()?)),
            "--created" => created = Some(value()?.parse::<SourceDate>().map_err(show)?),
            "--revision" => revision = Some(value()?),
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            _ => builds.push(argument.parse::<Build>().map_err(show)?),
        }
    }
    let mirror = match mirror {
        Some(repo) => Some(Mirror::new(&repo, latest).map_err(show)?),
        None if latest == Latest::DownloadDir => {
            return Err("`--latest-download` needs `--mirror`".to_string());
        }
        None => None,
    };
    Ok(Some(Args {
        name: name.ok_or("`--name` is required")?,
        version: version.ok_or("`--version` is required")?,
        out: out.ok_or("`--out` is required")?,
        mirror,
        npm,
        tag,
        bundles,
        nuget,
        homebrew,
        oci,
        created,
        revision,
        builds,
    }))
}

/// `file:///abs/path`, with forward slashes also for a Windows path (`file:///C:/dist`).
fn file_url(path: &Path) -> String {
    let path = path.to_string_lossy().replace('\\', "/");
    match path.strip_prefix('/') {
        Some(rest) => format!("file:///{rest}"),
        None => format!("file:///{path}"),
    }
}

/// The minisign secret key to sign the release with, given as the text of its `.key` file
/// (`CARO_DIST_MINISIGN_SECRET_KEY`, password in `CARO_DIST_MINISIGN_PASSWORD` if it is
/// encrypted); `None` when the release is not signed. Read before anything is written, so
/// a wrong key or password stops dist with nothing half signed.
fn signing_key() -> Result<Option<minisign::SecretKey>, Error> {
    let Ok(secret_key) = std::env::var("CARO_DIST_MINISIGN_SECRET_KEY") else {
        return Ok(None);
    };
    let variable = Path::new("CARO_DIST_MINISIGN_SECRET_KEY");
    let key_box = minisign::SecretKeyBox::from_string(&secret_key)
        .map_err(|e| failed("read the minisign key in", variable, e))?;
    // Never prompt (this runs in CI): an unset password means an unencrypted key.
    let password = std::env::var("CARO_DIST_MINISIGN_PASSWORD").unwrap_or_default();
    let key = key_box
        .into_secret_key(Some(password))
        .map_err(|e| failed("unlock the minisign key in", variable, e))?;
    Ok(Some(key))
}

/// A minisign error as the file error it is about.
fn failed(operation: &'static str, path: &Path, error: minisign::PError) -> Error {
    Error::File {
        operation,
        path: path.to_path_buf(),
        source: std::io::Error::other(error.to_string()),
    }
}

/// Signs each asset with `key`, writing `<asset>.minisig` beside it, its trusted comment
/// `file:<asset> version:<V>` (docs/security.md): what the installer verifies.
fn sign(
    key: &minisign::SecretKey,
    dir: &Path,
    version: &Version,
    assets: &[dist::Asset],
) -> Result<(), Error> {
    for asset in assets {
        let path = dir.join(&asset.file_name);
        let file = std::fs::File::open(&path).map_err(Error::file("read", &path))?;
        let trusted = names::trusted_comment(&asset.file_name, version);
        let signature = minisign::sign(None, key, file, Some(&trusted), None)
            .map_err(|e| failed("sign", &path, e))?;
        let signature_path = dir.join(names::signature(&asset.file_name));
        caro_install::write_atomically(&signature_path, signature.into_string().as_bytes())?;
    }
    Ok(())
}

/// The assets `planned` will become, with a placeholder digest: enough for the npm plan's
/// checks, which look at names and versions only.
fn expected_assets(planned: &[dist::Planned]) -> Vec<dist::Asset> {
    planned
        .iter()
        .map(|planned| dist::Asset {
            file_name: planned.file_name.clone(),
            platform: planned.build.platform,
            legacy: planned.legacy,
            sha256: caro_install::Digest([0; 32]),
        })
        .collect()
}

fn show(error: Error) -> String {
    error.to_string()
}

/// What [`check`] found, for [`run`] to write.
struct Checked {
    /// The key to sign with, if the release is signed.
    key: Option<minisign::SecretKey>,
}

/// Checks everything that can be checked before a file is written: the tag, the builds,
/// the signing key, and each channel asked for (its builds, its options, its output
/// folder). The channels are planned from the assets `dist::package` will write, with
/// placeholder digests; [`run`] plans them again from the digests written.
fn check(args: &Args, dir: &Path) -> Result<Checked, Error> {
    let release = format!("{} {}", args.name, args.version);
    if let Some(tag) = &args.tag {
        if *tag != format!("v{}", args.version) {
            return Err(invalid(
                tag,
                &format!(
                    "the tag does not match the version {}: it must be `v{}`",
                    args.version, args.version
                ),
            ));
        }
    }
    let planned = dist::plan(&args.name, &args.version, &args.builds)?;
    dist::check_builds(&args.builds)?;
    let expected = expected_assets(&planned);
    if let Some(npm_dir) = &args.npm {
        let packages = npm::plan(&args.name, &args.version, &expected, dir)?;
        npm::check_output(&packages, npm_dir)?;
    }
    dist::bundle::plan(&args.name, &args.version, &expected, &args.bundles)?;
    if let Some(product) = Product::of(&args.name) {
        if let Some(out) = &args.nuget {
            dist::nuget::plan(&product, &args.version, &expected, out)?;
        }
        if let Some(out) = &args.homebrew {
            dist::homebrew::formula(&product, &args.version, &expected, out)?;
        }
        if let Some(out) = &args.oci {
            let (Some(created), Some(revision)) = (&args.created, &args.revision) else {
                return Err(invalid(
                    &release,
                    "the container image needs `--created` (the tag's date) and `--revision` \
                     (its commit id)",
                ));
            };
            dist::oci::plan(&product, &args.version, &expected, created, revision, out)?;
        }
    }
    Ok(Checked {
        key: signing_key()?,
    })
}

fn invalid(input: &str, reason: &str) -> Error {
    Error::InvalidRelease {
        input: input.to_string(),
        reason: reason.to_string(),
    }
}

fn run(args: &Args) -> Result<(), Error> {
    let dir = match &args.mirror {
        Some(mirror) => mirror.download_dir(&args.out, &args.version),
        None => args.out.clone(),
    };
    // Every channel is checked before any file is written (the release assets included).
    let checked = check(args, &dir)?;
    let binaries = dist::package(&args.name, &args.version, &args.builds, &dir)?;
    println!(
        "{} {}: {} assets in {}",
        args.name,
        args.version,
        binaries.len(),
        dir.display()
    );
    for asset in &binaries {
        println!("  {}  {}", asset.sha256, asset.file_name);
    }
    // Planned again from the assets as written, so the digests are the release's.
    let bundles = dist::bundle::plan(&args.name, &args.version, &binaries, &args.bundles)?;
    let mtime = args.created.as_ref().map_or(0, |date| date.seconds);
    let bundles = dist::bundle::write(&bundles, &args.version, &dir, mtime)?;
    for asset in &bundles {
        println!("  {}  {}", asset.sha256, asset.file_name);
    }
    let assets: Vec<dist::Asset> = binaries.iter().chain(&bundles).cloned().collect();
    if !bundles.is_empty() {
        dist::write_sums(&dir, &assets)?;
    }
    println!("  with a .sha256 sidecar each, and {}", dist::SUMS_FILE);
    if let Some(key) = &checked.key {
        sign(key, &dir, &args.version, &assets)?;
        println!("  and a .minisig signature each");
    }
    if let Some(npm_dir) = &args.npm {
        let packages = npm::plan(&args.name, &args.version, &binaries, &dir)?;
        npm::write(&packages, npm_dir)?;
        println!(
            "npm: {} packages in {}, publish in this order:",
            packages.len(),
            npm_dir.display()
        );
        for package in &packages {
            println!(
                "  {}@{}  ({})",
                package.manifest.name, package.manifest.version, package.dir
            );
        }
    }
    if let Some(product) = Product::of(&args.name) {
        if let Some(out) = &args.nuget {
            let planned = dist::nuget::plan(&product, &args.version, &binaries, out)?;
            let path = dist::nuget::write(&planned, &product, &dir, out)?;
            println!("nuget: {}", path.display());
        }
        if let Some(out) = &args.homebrew {
            let formula = dist::homebrew::formula(&product, &args.version, &binaries, out)?;
            let path = dist::homebrew::write(&product, &formula, out)?;
            println!("homebrew: {}", path.display());
        }
        if let (Some(out), Some(created), Some(revision)) =
            (&args.oci, &args.created, &args.revision)
        {
            let planned =
                dist::oci::plan(&product, &args.version, &binaries, created, revision, out)?;
            let digest = dist::oci::write(&planned, &dir, out)?;
            println!(
                "oci: {} (index sha256:{digest}), push with: skopeo copy --all oci:{}:{} docker://...",
                out.display(),
                out.display(),
                planned.tag
            );
        }
    }
    if let Some(mirror) = &args.mirror {
        if mirror.write_latest(&args.out, &args.version, &assets)? {
            println!("latest: v{}", args.version);
        } else {
            println!("latest: unchanged ({} is a pre-release)", args.version);
        }
        let root = std::path::absolute(&args.out).unwrap_or_else(|_| args.out.clone());
        match mirror.latest() {
            Latest::TagFile => {
                println!("mirror: CARO_INSTALLER_GITHUB_BASE_URL={}", file_url(&root));
            }
            Latest::DownloadDir => println!(
                "mirror: serve {} over http(s) and point CARO_INSTALLER_GITHUB_BASE_URL at it \
                 (releases/latest/download/ does not work over file://)",
                root.display()
            ),
        }
    }
    Ok(())
}
