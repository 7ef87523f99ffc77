//! One error type for the whole crate.
//!
//! Each variant names the operation that failed and carries what the user needs to act on
//! it: the URL, the path, the version, the platform. The cause, when there is one, sits in
//! `#[source]` so the binary can print the whole chain. [`Error::help`] adds the one thing
//! the user can do about it, printed by the binary as a `help:` line.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

use crate::report::{redact_urls, safe};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while installing, updating or removing caro.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A version string that is neither `latest` nor a semantic version.
    #[error("invalid version `{}`: {}", safe(input), safe(reason))]
    InvalidVersion {
        /// What the user gave.
        input: String,
        /// Why it was rejected.
        reason: String,
    },

    /// A `--platform` / `CARO_INSTALL_PLATFORM` value that is not a key of SPEC section 4.
    #[error("unknown platform `{}`", safe(input))]
    UnknownPlatform {
        /// What the user gave.
        input: String,
        /// The keys there are, comma-separated (given by `platform`, so this module needs
        /// no import of it).
        known: String,
    },

    /// A machine caro has no build for.
    #[error("caro has no build for {os} on {arch}")]
    UnsupportedMachine {
        /// The detected operating system.
        os: String,
        /// The detected CPU architecture.
        arch: String,
    },

    /// A URL that is not https, file, or http to a loopback host.
    #[error("refusing to fetch `{url}`: {reason}")]
    InsecureUrl {
        /// The refused URL.
        url: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// The temp file a download was written and verified in was replaced by another file
    /// before it could be placed or run.
    #[error(
        "`{path}` was replaced by another file after it was downloaded and verified; refusing to place or run it"
    )]
    TempFileReplaced {
        /// The temp file (or the final path, when the swap came during the rename).
        path: PathBuf,
    },

    /// A receipt file far larger than any receipt: not read, since reading it whole would
    /// cost its size in memory.
    #[error(
        "the receipt `{path}` is larger than {limit} bytes, so it is not a receipt caro-install wrote"
    )]
    ReceiptTooLarge {
        /// The receipt path.
        path: PathBuf,
        /// The most a receipt may hold.
        limit: u64,
    },

    /// The receipt names an install directory holding no caro: it was edited, or caro was
    /// removed by hand. Update writes nothing there.
    #[error("the receipt `{}` says caro is at `{}`, but there is no caro there", receipt.display(), safe(&binary.to_string_lossy()))]
    NotInstalledThere {
        /// The receipt.
        receipt: PathBuf,
        /// Where it says caro is.
        binary: PathBuf,
    },

    /// A path that no shell could use (a line break, or PATH's separator).
    #[error("{what} `{value}` cannot be used: {reason}")]
    UnusablePath {
        /// Which path: the install directory, or a variable's name.
        what: String,
        /// The path, with control characters escaped.
        value: String,
        /// Why it cannot work.
        reason: String,
    },

    /// Another process held the install directory's lock for longer than we wait.
    #[error("`{}` is locked by {} and stayed locked for {seconds} s", path.display(), safe(holder.as_deref().unwrap_or("another caro-install")))]
    LockTimeout {
        /// The install directory.
        path: PathBuf,
        /// The process holding it, when the system tells.
        holder: Option<String>,
        /// How long we waited.
        seconds: u64,
    },

    /// A file caro-install did not create, refused by the guarded open
    /// ([`files::read_regular`](crate::files::read_regular)): a FIFO, a device, a folder,
    /// another user's file behind a symlink, a file too large, or a read that hung.
    #[error("refusing to {operation} `{}`", path.display())]
    UnsafeFile {
        /// What was to be done (`read the receipt`, `read the sidecar`).
        operation: &'static str,
        /// The path.
        path: PathBuf,
        /// What was found there.
        #[source]
        refused: Refused,
    },

    /// The install directory's path names a file.
    #[error("the install directory `{path}` is a file, not a directory")]
    InstallDirIsAFile {
        /// The path.
        path: PathBuf,
    },

    /// An install directory others can change files in, where a download could be swapped.
    #[error("refusing to install into `{path}`: {reason}")]
    UnsafeInstallDir {
        /// The directory.
        path: PathBuf,
        /// What makes it unsafe.
        reason: String,
    },

    /// A redirect hop that would leave https, reach plain http off loopback, or change scheme.
    #[error("refusing the redirect from `{from}` to `{to}`: {reason}")]
    InsecureRedirect {
        /// The URL that answered with the redirect.
        from: String,
        /// Where it pointed.
        to: String,
        /// Why the hop was refused.
        reason: &'static str,
    },

    /// A request that failed without an HTTP answer (connect, TLS, reset, stall).
    #[error("request to `{url}` failed")]
    Request {
        /// The URL requested.
        url: String,
        /// The transport's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A download whose body could not be received or written.
    #[error("download of `{url}` failed")]
    Download {
        /// The URL downloaded.
        url: String,
        /// The I/O error, network or disk.
        #[source]
        source: io::Error,
    },

    /// An environment variable with a value that cannot be used.
    #[error("{name} is set to `{}`, which is not {expected}", safe(&redact_urls(value)))]
    InvalidVariable {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },

    /// An HTTP answer that was neither success nor a 404 the caller could handle.
    #[error("`{url}` answered HTTP {status}")]
    HttpStatus {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },

    /// The GitHub API refused with 403 or 429.
    #[error("the GitHub API rate limit was reached at `{url}`{}", reset.as_deref().map(|r| format!(" (resets at {r})")).unwrap_or_default())]
    RateLimited {
        /// The API URL.
        url: String,
        /// When the limit resets, from `x-ratelimit-reset`, as a UTC time.
        reset: Option<String>,
    },

    /// Neither the `releases/latest` redirect, a mirror's text body, nor the API named a tag.
    #[error("could not find the latest release of `{repo}`: {}", safe(detail))]
    LatestUnknown {
        /// The `owner/name` repository.
        repo: String,
        /// What each source answered.
        detail: String,
    },

    /// Neither `releases/latest` nor the API know the repository: the base URL (or the
    /// repository) is wrong, not the version.
    #[error("no releases of `{repo}` were found at `{base_url}`: {detail}")]
    ReleasesNotFound {
        /// `CARO_INSTALLER_GITHUB_BASE_URL` as used.
        base_url: String,
        /// The `owner/name` repository.
        repo: String,
        /// What each source answered.
        detail: String,
    },

    /// `latest` resolved to a pre-release, which `latest` never installs.
    #[error("the latest release of `{repo}` is the pre-release `{version}`")]
    LatestIsPrerelease {
        /// The `owner/name` repository.
        repo: String,
        /// The pre-release version.
        version: String,
    },

    /// Not one candidate of any platform, nor the release's page, exists: the version is
    /// wrong, or the base URL is not a release host.
    #[error("no {name} {version} build for platform `{platform}` was found, and release {version} does not exist at `{releases}` (tried {})", tried.join(", "))]
    ReleaseNotFound {
        /// The binary name.
        name: String,
        /// The requested version.
        version: String,
        /// The platform key.
        platform: String,
        /// The releases page (`CARO_INSTALLER_GITHUB_BASE_URL` and the repository).
        releases: String,
        /// Every asset URL tried, in order.
        tried: Vec<String>,
    },

    /// `latest` names a release that has no build for this platform yet.
    #[error("the latest release, {name} {version}, has no `{platform}` build yet (tried {})", tried.join(", "))]
    LatestNotBuiltYet {
        /// The binary name.
        name: String,
        /// The latest version.
        version: String,
        /// The platform key.
        platform: String,
        /// Every URL tried, in order (boxed: this variant sets the size of every `Error`).
        tried: Box<[String]>,
        /// The newest earlier release that has this platform's build, when the API said.
        previous: Option<String>,
    },

    /// Every candidate asset name answered 404.
    #[error("no {name} {version} build for platform `{platform}` was found (tried {})", tried.join(", "))]
    NoAssetForPlatform {
        /// The binary name (`caro` or `caro-install`).
        name: String,
        /// The requested version.
        version: String,
        /// The platform key.
        platform: String,
        /// Every URL tried, in order.
        tried: Vec<String>,
    },

    /// The `.sha256` sidecar does not exist: the installer fails closed.
    #[error("the checksum file `{url}` is missing, so `{asset}` cannot be verified")]
    MissingSidecar {
        /// The sidecar URL.
        url: String,
        /// The asset it should verify.
        asset: String,
    },

    /// The sidecar exists but holds no usable digest.
    #[error("the checksum file `{url}` is not a sha256 sidecar: {reason}")]
    InvalidSidecar {
        /// The sidecar URL.
        url: String,
        /// What was wrong with it.
        reason: String,
    },

    /// The downloaded bytes do not hash to the published digest.
    #[error(
        "checksum mismatch for `{asset}`\n  expected sha256: {expected}\n  actual sha256:   {actual}"
    )]
    ChecksumMismatch {
        /// The asset URL.
        asset: String,
        /// The digest from the sidecar.
        expected: String,
        /// The digest of what was downloaded.
        actual: String,
    },

    /// `--require-signature` with no public key to verify against.
    #[error("a signature is required, but no minisign public key is pinned")]
    NoSigningKey,

    /// A key is pinned and the release has no signature for the asset.
    #[error("the signature `{url}` is missing, and a signature is required")]
    MissingSignature {
        /// The `.minisig` URL.
        url: String,
    },

    /// The signature does not verify: the asset was not signed by the pinned key.
    #[error("the signature `{url}` does not verify: {reason}")]
    SignatureInvalid {
        /// The `.minisig` URL.
        url: String,
        /// Why.
        reason: String,
    },

    /// An archive entry that would escape the target folder, a link, or too much data.
    #[error("refusing archive `{archive}`: {reason}")]
    UnsafeArchive {
        /// The archive URL.
        archive: String,
        /// The offending entry and why.
        reason: String,
    },

    /// An archive that could not be read.
    #[error("could not read archive `{archive}`")]
    Archive {
        /// The archive URL.
        archive: String,
        /// The decoder's error.
        #[source]
        source: io::Error,
    },

    /// An archive without the binary where SPEC section 3 says it must be.
    #[error("archive `{archive}` has no `{binary}` at its root or inside one top-level folder")]
    BinaryNotInArchive {
        /// The archive URL.
        archive: String,
        /// The binary file name looked for.
        binary: String,
    },

    /// A file system operation failed; names the operation and the path.
    #[error("could not {operation} `{}`", path.display())]
    File {
        /// What was being done, as a verb phrase (`create directory`, `rename into place`).
        operation: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// No home directory to install into or to find the receipt in.
    #[error("cannot find the home directory (HOME is not set)")]
    NoHome,

    /// An install directory that is empty.
    #[error("the install directory is empty")]
    EmptyInstallDir,

    /// The receipt exists but is not valid JSON of the expected shape.
    #[error("the install receipt `{}` is corrupt", path.display())]
    CorruptReceipt {
        /// The receipt path.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },

    /// A building from source was needed but `cargo` is not on `PATH`.
    #[error("building caro {version} from source needs `cargo`, which is not on PATH")]
    CargoMissing {
        /// The version that would have been built.
        version: String,
    },

    /// `cargo install` ran and failed.
    #[error("`{command}` failed ({status})")]
    CargoFailed {
        /// The command line run.
        command: String,
        /// How it exited.
        status: String,
    },

    /// A step needs the user's consent and there is no terminal to ask on.
    #[error("{action} needs confirmation, and there is no terminal to ask on")]
    NeedsConfirmation {
        /// What would have been done.
        action: String,
        /// The flag that gives consent.
        flag: &'static str,
    },

    /// `update` needs the receipt to know what to update.
    #[error("no install receipt at `{}`, so there is no caro installed by caro-install to update", path.display())]
    NoReceipt {
        /// Where the receipt was looked for.
        path: PathBuf,
    },

    /// The binary belongs to a package manager.
    #[error("{app} at `{}` was installed by {manager}, so {manager} updates it: `{command}`", path.display())]
    ManagedElsewhere {
        /// The program.
        app: String,
        /// Its path.
        path: PathBuf,
        /// The manager's name.
        manager: &'static str,
        /// The manager's upgrade command.
        command: String,
    },

    /// The running binary is not the one the receipt says was installed.
    #[error("this {app} runs from `{}`, but the installed copy is at `{}`", running.display(), installed.display())]
    NotTheInstalledCopy {
        /// The program.
        app: String,
        /// The running binary.
        running: PathBuf,
        /// The installed binary.
        installed: PathBuf,
    },

    /// The new build did not start: it was not installed.
    #[error("the new build `{}` failed its start-up check: {}", path.display(), safe(detail))]
    SanityCheck {
        /// The new build (a temp file, now removed).
        path: PathBuf,
        /// What happened.
        detail: String,
    },

    // help: run it as that user, or with `sudo -H` so HOME is root's own; or set
    // CARO_UNMANAGED_INSTALL=<dir> to install into a folder only
    /// Run as root with a `HOME` another user owns (sudo keeping `HOME`): every file written
    /// there (startup files, `.config`, `.local/bin`) would be left owned by root.
    #[error("refusing to write to `{}` as root: it belongs to another user (uid {owner})", home.display())]
    ForeignHome {
        /// The home directory.
        home: PathBuf,
        /// Its owner.
        owner: u32,
    },

    /// An error as [`SelfUpdate`](crate::SelfUpdate) hands it to a host program: the error,
    /// its causes and its help, phrased with the host's command, in one message, so a host
    /// that prints it with `{e}` or anyhow's `{e:#}` still tells its user what to do.
    #[error("{}", hosted_message(error, help.as_deref()))]
    Hosted {
        /// The error itself (see [`Error::kind`]).
        error: Box<Error>,
        /// What the user can do, in the host's words.
        help: Option<String>,
    },

    /// A release that `dist` cannot lay out as asked: an unknown binary name, no builds, a
    /// platform given twice, a build that is not `KEY=PATH`, a mirror that is not `owner/name`.
    #[error("cannot package `{input}`: {reason}")]
    InvalidRelease {
        /// The offending value, as given.
        input: String,
        /// What is wrong with it and what it should be.
        reason: String,
    },

    /// The user answered no.
    #[error("cancelled: {action}")]
    Cancelled {
        /// What was not done.
        action: String,
    },
}

impl Error {
    /// What the user can do about this error, printed as a `help:` line; `None` when there
    /// is nothing useful to suggest.
    pub fn help(&self) -> Option<String> {
        self.help_for(&Invocation::installer())
    }

    /// The error itself: for a [`Error::Hosted`] error the one it wraps, else `self`.
    /// Match on this to tell kinds of failure apart.
    pub fn kind(&self) -> &Error {
        match self {
            Error::Hosted { error, .. } => error.kind(),
            other => other,
        }
    }

    /// Wraps the error for a host program: message, causes and help (phrased for
    /// `invocation`) in its `Display`.
    pub fn hosted(self, invocation: &Invocation) -> Error {
        if let Error::Hosted { .. } = self {
            return self;
        }
        let help = self.help_for(invocation);
        Error::Hosted {
            error: Box::new(self),
            help,
        }
    }

    /// What the user can do, phrased for how they run the update: caro-install's flags, or
    /// the host program's command.
    pub fn help_for(&self, invocation: &Invocation) -> Option<String> {
        let pin = |version: &str| invocation.pin(version);
        let help = match self {
            Error::Hosted { help, .. } => return help.clone(),
            Error::InvalidVersion { .. } => {
                "pass a version like `1.0.2`, `v1.0.2`, `1.1.0-beta.2` or `latest`".to_string()
            }
            Error::UnknownPlatform { known, .. } => format!("use one of: {known}"),
            Error::UnsupportedMachine { .. } => {
                "build it yourself with `cargo install caro --locked`".to_string()
            }
            Error::InsecureUrl { .. } => {
                "use an https:// or file:// URL for CARO_INSTALLER_GITHUB_BASE_URL".to_string()
            }
            Error::ReceiptTooLarge { path, .. } => format!(
                "delete `{}` and install again, or pass `--install-dir`",
                path.display()
            ),
            Error::NotInstalledThere { receipt, .. } => format!(
                "install caro again (`caro-install --install-dir <DIR>`), which writes a new \
                 receipt; or delete `{}` if caro is gone",
                receipt.display()
            ),
            Error::UnusablePath { what, .. } if what.chars().all(|c| c.is_ascii_uppercase() || c == '_') => {
                format!("set {what} to a path without line breaks, or pass --no-modify-path")
            }
            Error::UnusablePath { .. } => "choose an install directory without it with \
                 --install-dir (or CARO_INSTALL_DIR), or pass --no-modify-path and set PATH \
                 yourself"
                .to_string(),
            Error::LockTimeout { .. } => "another install or update is running there (or is \
                 stuck): wait for it to end, or stop it, then run this again"
                .to_string(),
            Error::TempFileReplaced { .. } => "another program or user changed files in the \
                 install directory while caro-install worked there; nothing was installed. \
                 Install into a directory only you can write to (--install-dir)"
                .to_string(),
            Error::InstallDirIsAFile { .. } => {
                "pass the directory to install into with --install-dir (or CARO_INSTALL_DIR)"
                    .to_string()
            }
            Error::UnsafeInstallDir { path, .. } => format!(
                "make it writable by its owner only (`chmod go-w {}`), or choose a directory \
                 only you can write to with --install-dir",
                path.display()
            ),
            Error::InsecureRedirect { .. } => "the release host sent the download somewhere it \
                 may not go; report it to the mirror's operator, or use another mirror with \
                 CARO_INSTALLER_GITHUB_BASE_URL"
                .to_string(),
            Error::Request { .. } => "check your network connection, proxy (HTTPS_PROXY) and \
                 TLS settings (SSL_CERT_FILE), then run the command again"
                .to_string(),
            Error::RateLimited { .. } => format!(
                "set CARO_GITHUB_TOKEN to a GitHub token to raise the limit, or pin a version \
                 with {} (which needs no API request)",
                pin("<VERSION>")
            ),
            Error::ReleasesNotFound { base_url, .. } => format!(
                "check CARO_INSTALLER_GITHUB_BASE_URL (now `{base_url}`) and \
                 CARO_INSTALL_REPO: together they must name a GitHub release page or a mirror \
                 of one"
            ),
            Error::LatestUnknown { .. } => format!(
                "pin a version with {}, which needs no lookup of the latest release",
                pin("<VERSION>")
            ),
            Error::LatestIsPrerelease { version, .. } => {
                format!("to install it anyway, use {}", pin(version))
            }
            Error::ReleaseNotFound {
                version, releases, ..
            } => format!(
                "check that {version} is a released version (see {releases}), and that \
                 CARO_INSTALLER_GITHUB_BASE_URL, the start of that address, points at the \
                 release host"
            ),
            Error::LatestNotBuiltYet {
                previous: Some(previous),
                ..
            } => format!(
                "a release is published before its builds are uploaded, which takes a few \
                 minutes: try again soon, or take {previous}, the newest release that has \
                 this build, with {}",
                pin(previous)
            ),
            Error::LatestNotBuiltYet { .. } => format!(
                "a release is published before its builds are uploaded, which takes a few \
                 minutes: try again soon, or pin the release before it with {}",
                pin("<VERSION>")
            ),
            Error::NoAssetForPlatform {
                name,
                platform,
                version,
                ..
            } => {
                let mut help = format!(
                    "check that {name} {version} exists and publishes a `{platform}` build"
                );
                if name == "caro" && invocation.hosted {
                    let _ = write!(help, ", or build it with `cargo install caro --locked`");
                } else if name == "caro" {
                    let _ = write!(help, ", or build it with `--from-source` (needs cargo)");
                }
                if platform.ends_with("-musl") {
                    let _ = write!(
                        help,
                        "; a glibc build would not start on this musl system, so none was tried"
                    );
                }
                help
            }
            Error::MissingSidecar { .. } | Error::InvalidSidecar { .. } => format!(
                "the release is incomplete or the mirror is broken; nothing was installed. \
                 Report it to the publisher or try another version ({})",
                pin("<VERSION>")
            ),
            Error::ChecksumMismatch { .. } => "the download was corrupted or tampered with; \
                 nothing was installed. Run the command again, and report it if it persists"
                .to_string(),
            Error::InvalidRelease { .. } => {
                "run `cargo run --example dist -- --help` for the usage".to_string()
            }
            Error::NoSigningKey => {
                "set CARO_INSTALL_MINISIGN_PUBKEY to the publisher's minisign public key".to_string()
            }
            Error::MissingSignature { .. } => "with a minisign key pinned, every download must \
                 be signed and nothing unsigned is installed; if this release is known to be \
                 unsigned, unset CARO_INSTALL_MINISIGN_PUBKEY (and drop --require-signature) to \
                 rely on its sha256 alone"
                .to_string(),
            Error::SignatureInvalid { .. } => "the download may have been tampered with; \
                 nothing was installed. Check CARO_INSTALL_MINISIGN_PUBKEY and report it"
                .to_string(),
            Error::NoHome => "set HOME, or pass `--install-dir`".to_string(),
            Error::EmptyInstallDir => "pass a directory to `--install-dir`".to_string(),
            Error::CorruptReceipt { path, .. } => format!(
                "delete `{}` and install again, or pass `--install-dir`",
                path.display()
            ),
            Error::CargoMissing { .. } => {
                "install Rust from https://rustup.rs, then run the command again".to_string()
            }
            Error::NeedsConfirmation { flag, .. } => format!("pass `{flag}` to go ahead"),
            Error::NoReceipt { .. } => "install caro first (`curl -fsSL https://github.com/wildcard/caro-install/releases/latest/download/install.sh | sh`), \
                 or reinstall into its directory with `caro-install --install-dir DIR`"
                .to_string(),
            Error::ManagedElsewhere { command, .. } => format!("update it with {command}"),
            Error::NotTheInstalledCopy { installed, .. } if invocation.hosted => {
                format!("update the installed copy instead: run `{}`", installed.display())
            }
            Error::NotTheInstalledCopy { installed, .. } => {
                format!("run `{}` instead, or `caro-install update`", installed.display())
            }
            Error::SanityCheck { .. } => format!(
                "the release may be broken for this platform; the old binary was kept. Try an \
                 earlier release with {}",
                pin("<VERSION>")
            ),
            Error::UnsafeFile { path, .. } => format!(
                "replace `{}` with a regular file you own (or remove it), then run this again",
                path.display()
            ),
            Error::ForeignHome { .. } => "run it as that user, or with `sudo -H` so HOME is \
                 root's own; or set CARO_UNMANAGED_INSTALL=<dir> to install into a folder only"
                .to_string(),
            Error::InvalidVariable { name, expected, .. } => {
                format!("unset {name}, or set it to {expected}")
            }
            Error::File { .. } => {
                "check that the path exists and that you may write to it".to_string()
            }
            _ => return None,
        };
        Some(help)
    }

    /// A `map_err` adapter: the I/O error of `operation` on `path` as [`Error::File`].
    pub fn file(
        operation: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::File {
            operation,
            path,
            source,
        }
    }
}

/// How the user runs an update, so help lines name the right command: caro-install's own
/// flags, or the command of a host program that links the library (`caro self-update`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The command that updates, e.g. `caro self-update`.
    command: String,
    /// True for a host program: no caro-install flags exist there.
    hosted: bool,
}

impl Invocation {
    /// The `caro-install` binary: versions are pinned with `--version`.
    pub fn installer() -> Invocation {
        Invocation {
            command: "caro-install".to_string(),
            hosted: false,
        }
    }

    /// A host program's update command, which takes the version as its argument
    /// (`caro self-update 1.2.0`).
    pub fn host(command: &str) -> Invocation {
        Invocation {
            command: command.trim().to_string(),
            hosted: true,
        }
    }

    /// How to ask for `version`, in backticks.
    pub fn pin(&self, version: &str) -> String {
        if self.hosted {
            format!("`{} {version}`", self.command)
        } else {
            format!("`--version {version}`")
        }
    }
}

/// The message of an [`Error::Hosted`]: the error and every cause on one line, then its help.
fn hosted_message(error: &Error, help: Option<&str>) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = write!(message, ": {cause}");
        source = cause.source();
    }
    if let Some(help) = help {
        let _ = write!(message, "\nhelp: {help}");
    }
    // What the host prints as it is: text from outside escaped, passwords redacted.
    crate::report::printable(&message)
}

/// Why a path was not read or edited.
#[derive(Debug)]
#[non_exhaustive]
pub enum Refused {
    /// Something other than a regular file is there (`a FIFO`, `a device`, `a socket`,
    /// `a folder`).
    NotRegular(&'static str),
    /// A symlink that leads to a regular file another user owns.
    NotYours,
    /// A file larger than the caller's bound, in bytes.
    TooLarge(u64),
    /// A file with no write permission for its owner: not edited.
    ReadOnly,
    /// The read took longer than [`READ_TIMEOUT`](crate::files::READ_TIMEOUT).
    TimedOut,
    /// The file changed between the look and the open.
    Swapped,
    /// The operating system refused (permissions, I/O error).
    Io(io::Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            Refused::NotYours => f.write_str("it is a symlink to a file another user owns"),
            Refused::TooLarge(limit) => write!(f, "it is larger than {limit} bytes"),
            Refused::ReadOnly => f.write_str("it is read-only"),
            Refused::TimedOut => write!(
                f,
                "reading it took longer than {} s",
                crate::files::READ_TIMEOUT.as_secs()
            ),
            Refused::Swapped => f.write_str("it was replaced while it was being opened"),
            Refused::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for Refused {}
