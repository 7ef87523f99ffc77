//! Packages built binaries as release assets: the command line of `caro_install::dist`.
//!
//! ```text
//! cargo run --release --example dist -- --name caro --version 1.2.0 --out dist/ \
//!     linux-amd64=path/to/caro macos-silicon=path/to/caro-mlx ...
//! ```
//!
//! See the `dist` module's documentation for the layout, and why this is an example, and the
//! `npm` module's for the npm packages `--npm DIR` lays out beside the release.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use caro_install::dist::{self, Build, Latest, Mirror};
use caro_install::npm;
use caro_install::{Error, Platform, Version};

const USAGE: &str = "\
usage: cargo run --release --example dist -- --name NAME --version VERSION --out DIR
           [--mirror OWNER/REPO [--latest-download]] [--npm NPMDIR] KEY=PATH...

Writes NAME-{VERSION}-{KEY}{.exe} and the legacy NAME-{KEY}{.exe} of each build, a .sha256
sidecar for each, and SHA256SUMS over all of them, into DIR.

  --name NAME          caro or caro-install
  --version VERSION    the release version, 1.2.0 or v1.2.0
  --out DIR            where the assets go
  --mirror OWNER/REPO  lay them out as a static mirror instead: DIR/OWNER/REPO/releases/
                       download/vVERSION/, releases/latest holding the tag, and the API's
                       answer under DIR/api/v3; use CARO_INSTALLER_GITHUB_BASE_URL=file://DIR
  --latest-download    with --mirror: make releases/latest/download/ hold the legacy assets
                       for the bootstrap scripts instead (needs a web server, not file://)
  --npm NPMDIR         also lay out the npm packages of the release in NPMDIR: one per
                       platform and the main package pinning them (@wildcard/caro, or
                       caro-install), with NPMDIR/publish-order listing them platform first
  KEY=PATH             a built binary and its platform key, such as linux-amd64=target/caro
                       (the same file may go under several keys)";

/// The parsed command line.
struct Args {
    name: String,
    version: Version,
    out: PathBuf,
    mirror: Option<Mirror>,
    npm: Option<PathBuf>,
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
    let mut latest = Latest::TagFile;
    let mut builds = Vec::new();
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

/// Signs each asset with the minisign secret key given as the text of its `.key` file
/// (`CARO_DIST_MINISIGN_SECRET_KEY`, password in `CARO_DIST_MINISIGN_PASSWORD` if it is
/// encrypted), writing `<asset>.minisig` beside it: what SPEC section 7 verifies.
fn sign(
    secret_key: &str,
    dir: &Path,
    assets: &[dist::Asset],
    version: &caro_install::Version,
) -> Result<(), Error> {
    let failed = |operation, path: &Path, error: minisign::PError| Error::File {
        operation,
        path: path.to_path_buf(),
        source: std::io::Error::other(error.to_string()),
    };
    let key_box = minisign::SecretKeyBox::from_string(secret_key).map_err(|e| {
        failed(
            "read the minisign key in",
            Path::new("CARO_DIST_MINISIGN_SECRET_KEY"),
            e,
        )
    })?;
    // Never prompt (this runs in CI): an unset password means an unencrypted key.
    let password = std::env::var("CARO_DIST_MINISIGN_PASSWORD").unwrap_or_default();
    let key = key_box.into_secret_key(Some(password)).map_err(|e| {
        failed(
            "unlock the minisign key in",
            Path::new("CARO_DIST_MINISIGN_SECRET_KEY"),
            e,
        )
    })?;
    for asset in assets {
        let path = dir.join(&asset.file_name);
        let file = std::fs::File::open(&path).map_err(Error::file("read", &path))?;
        // What the installer requires, word for word (docs/security.md).
        let trusted = caro_install::signature::trusted_comment(&asset.file_name, version);
        let signature = minisign::sign(None, &key, file, Some(&trusted), None)
            .map_err(|e| failed("sign", &path, e))?;
        let signature_path = dir.join(format!("{}.minisig", asset.file_name));
        caro_install::files::write_atomically(&signature_path, signature.into_string().as_bytes())?;
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

fn run(args: &Args) -> Result<(), Error> {
    let dir = match &args.mirror {
        Some(mirror) => mirror.download_dir(&args.out, &args.version),
        None => args.out.clone(),
    };
    // Every npm manifest is checked before any file is written (the release assets included).
    let npm_plan = match &args.npm {
        Some(_) => {
            let planned = dist::plan(&args.name, &args.version, &args.builds)?;
            Some(npm::plan(
                &args.name,
                &args.version,
                &expected_assets(&planned),
                &dir,
            )?)
        }
        None => None,
    };
    if let (Some(packages), Some(npm_dir)) = (&npm_plan, &args.npm) {
        npm::check_output(packages, npm_dir)?;
    }
    let assets = dist::package(&args.name, &args.version, &args.builds, &dir)?;
    println!(
        "{} {}: {} assets in {}",
        args.name,
        args.version,
        assets.len(),
        dir.display()
    );
    for asset in &assets {
        println!("  {}  {}", asset.sha256, asset.file_name);
    }
    println!("  with a .sha256 sidecar each, and {}", dist::SUMS_FILE);
    if let Ok(secret_key) = std::env::var("CARO_DIST_MINISIGN_SECRET_KEY") {
        sign(&secret_key, &dir, &assets, &args.version)?;
        println!("  and a .minisig signature each");
    }
    if let Some(npm_dir) = &args.npm {
        // Planned again from the assets as written, so the digests are the release's.
        let packages = npm::plan(&args.name, &args.version, &assets, &dir)?;
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
