//! Installing caro: settings, the plan, download and verification, atomic placement.
//!
//! The order of the steps is what makes an install safe to interrupt:
//! 1. everything is downloaded into temp files *inside the install directory* (so the final
//!    step is a same-file-system rename) and hashed as it arrives;
//! 2. nothing is made executable or moved before its `.sha256` matched;
//! 3. the binary is fsynced, given mode 0755, run once to check it names the version that
//!    was resolved ([`crate::startup`]), and renamed over the old one in one step.
//!
//! A failure or a kill at any point before step 3 leaves the old binary byte-identical; a
//! temp file left by a killed run is removed by the next run, which holds the directory
//! lock and so knows that no other installer is still writing it.
//!
//! The rooms, by the question they answer:
//! - [`plan`]: what will be done? The request, the settings it resolves to (flags,
//!   then variables, then defaults) and the plan `--dry-run` prints.
//! - [`crate::fetch`] (one floor down, shared with update): is this download the real
//!   thing? Finding the published asset, its sidecar and signature, which version
//!   `latest` is, and the messages for a build that is missing.
//! - [`source`]: building caro with cargo when no prebuilt build exists (`--from-source`).
//! - [`bundle`], [`with_model`]: a model bundle (`--with-model`), unpacked as it streams in,
//!   verified whole, then placed; [`models`]: the bundles a release has.
//! - [`offline`]: installing from a file carried onto the machine (`--from-file`).
//! - this file: doing it, in order: lock, fetch, place, PATH, receipt.
//!
//! How a file is written safely, and the lock, are in [`crate::files`].

pub mod bundle;
pub mod models;
mod obtain;
pub mod offline;
pub mod plan;
pub mod settings;
pub mod source;
pub mod with_model;

use std::fmt;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::checksum::Digest;
use crate::download::Http;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::fetch::{Wanted, find_published, not_built_yet};
use crate::files::{DirLock, TempFile, check_install_dir, lock_wait, remove_leftovers, same_file};
use crate::platform::{Platform, executable_name, local_executable_name};
use crate::receipt::{ModelBundle, PathEdit, Receipt, WrittenFile};
use crate::release::{Program, ReleaseSource, Version};
use crate::report::Reporter;
use crate::shell::{self, RealProbe};
use crate::startup;
use obtain::obtain;
use plan::Plan;
use settings::Settings;

/// What an install did.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The version installed.
    pub version: Version,
    /// The platform installed.
    pub platform: Platform,
    /// The binary's path.
    pub binary: PathBuf,
    /// The asset downloaded, or `None` for a build from source.
    pub asset_url: Option<String>,
    /// The verified digest of the asset.
    pub sha256: Option<Digest>,
    /// The receipt written, if any.
    pub receipt: Option<PathBuf>,
    /// How to use caro in the shell that ran the install, when PATH was configured for new
    /// shells only (nothing when the directory is already on PATH).
    pub use_now: Option<String>,
    /// The model files placed by `--with-model` (written, or found already there), with
    /// their sizes.
    pub models: Vec<(PathBuf, u64)>,
}

impl fmt::Display for Installed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "installed caro {} ({}) to {}",
            self.version,
            self.platform,
            self.binary.display()
        )?;
        for (model, size) in &self.models {
            write!(
                f,
                "\nmodel {} ({})",
                model.display(),
                crate::error::human_size(*size)
            )?;
        }
        if let Some(use_now) = &self.use_now {
            write!(f, "\n{use_now}")?;
        }
        Ok(())
    }
}

/// What [`install`] returns: the plan alone for a dry run, else what was installed.
#[derive(Debug, Clone)]
pub enum InstallOutcome {
    /// `--dry-run`: nothing was changed.
    Planned(Plan),
    /// The install happened.
    Installed(Installed),
    /// This version was there already, as the receipt recorded it: nothing was downloaded
    /// or changed (`--force` installs it again).
    AlreadyInstalled(AlreadyInstalled),
}

/// The version asked for is installed, and its binary is the one the receipt recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlreadyInstalled {
    /// The version installed.
    pub version: Version,
    /// The platform installed.
    pub platform: Platform,
    /// The binary's path.
    pub binary: PathBuf,
}

impl fmt::Display for AlreadyInstalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "caro {} ({}) is already installed at {}; nothing was downloaded",
            self.version,
            self.platform,
            self.binary.display()
        )
    }
}

/// Installs caro as `settings` say.
pub fn install(
    settings: &Settings,
    env: &Env,
    http: &mut Http,
    reporter: &dyn Reporter,
) -> Result<InstallOutcome> {
    let source = ReleaseSource::caro(env);
    http.trust_token_hosts(&source);
    reporter.detail(&format!(
        "platform {} ({})",
        settings.platform.platform, settings.platform.reason
    ));
    let plan = plan::plan(settings, env, http, reporter)?;
    let dir = &settings.install_dir;
    if dir.exists() && !dir.is_dir() {
        return Err(Error::InstallDirIsAFile { path: dir.clone() });
    }
    // What a prebuilt install fetches; a dry run checks that it is published.
    let wanted = Wanted {
        name: "caro",
        source: &source,
        version: &plan.version,
        choice: &plan.platform,
        dir,
        signatures: &settings.signatures,
    };
    // Root in another user's home would leave it owned by root; an unmanaged install
    // writes only its folder. Before "already installed" too: that answer must not hide it.
    if settings.managed && !settings.dry_run {
        env.check_home_owner()?;
    }
    // Checked before the dry run too: a real run would then download nothing, and the
    // plan must not list downloads that would not happen. It speaks of caro alone, so a
    // model asked for is always fetched (a model file already there is kept as it is).
    if !settings.force && !settings.from_source && settings.model.is_none() {
        if let Some(there) = already_installed(settings, &plan) {
            return Ok(InstallOutcome::AlreadyInstalled(there));
        }
    }
    if settings.dry_run {
        // A plan that cannot work says so: its build (or bundle) must be published. A
        // local file was checked while planning, and asks no one.
        match (&settings.local, &settings.model) {
            (Some(_), _) => {}
            (None, Some(model)) => with_model::find_bundle(&wanted, model, http, reporter)?,
            (None, None) if !settings.from_source => {
                find_published(&wanted, http, reporter)
                    .map_err(|e| not_built_yet(e, &settings.version, &wanted, http, reporter))?;
            }
            (None, None) => {}
        }
        return Ok(InstallOutcome::Planned(plan));
    }
    // Folders this install creates, so uninstall can take them away again when empty.
    let mut created_dirs = missing_dirs(dir);
    if let Some(receipt_dir) = plan.receipt.as_deref().and_then(Path::parent) {
        created_dirs.extend(missing_dirs(receipt_dir));
    }
    match fs::create_dir_all(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(not_writable(dir, env));
        }
        result => result.map_err(Error::file("create the install directory", dir))?,
    }
    // Before the checks that warn about the folder's owner: a folder this user cannot
    // write to gets one error that says where to install instead.
    if !may_write(dir) {
        return Err(not_writable(dir, env));
    }
    check_install_dir(dir, reporter)?;
    let _lock = DirLock::acquire(dir, lock_wait(http.stall()), reporter)?;
    remove_leftovers(dir, reporter);

    let destinations = match &settings.model {
        Some(_) => Some(bundle::Destinations {
            binary_dir: dir.clone(),
            binary_name: executable_name("caro", plan.platform.platform),
            models: env.models_dir()?,
            licenses: env.licenses_dir()?,
        }),
        None => None,
    };
    let mut model_dirs = Vec::new();
    if let Some(destinations) = &destinations {
        for folder in [&destinations.models, &destinations.licenses] {
            model_dirs.extend(missing_dirs(folder));
            fs::create_dir_all(folder).map_err(Error::file("create the folder", folder))?;
            bundle::remove_leftovers(folder, reporter);
        }
    }
    let fetched = obtain(
        settings,
        &plan,
        &wanted,
        destinations.as_ref(),
        env,
        http,
        reporter,
    )
    .and_then(|fetched| {
        let platform = fetched
            .asset
            .as_ref()
            .map_or(plan.platform.platform, |a| a.platform);
        // Every install, not only updates, and before any part of a bundle is placed: a
        // build that is not the version resolved (an old signed build served under a newer
        // tag) is never placed (docs/security.md).
        let checked = startup::check_build(
            fetched.binary,
            Program::Caro,
            &plan.version,
            platform,
            reporter,
        )?;
        Ok((checked, fetched.asset, fetched.bundle))
    });
    let (checked, asset, bundle) = match fetched {
        Ok(fetched) => fetched,
        Err(error) => {
            // Folders made for a bundle that never came go again (only while empty).
            for folder in &model_dirs {
                let _ = fs::remove_dir(folder);
            }
            return Err(error);
        }
    };
    created_dirs.extend(model_dirs);
    // The bundle's other parts first: the binary is placed last, once all else is there.
    let PlacedBundle {
        mut written,
        models,
        record: model_record,
    } = match bundle {
        Some((model, rest)) => place_bundle(model, rest, asset.as_ref(), reporter)?,
        None => PlacedBundle::default(),
    };
    checked.place(&plan.binary, reporter)?;
    written.extend(WrittenFile::of(&plan.binary, "binary"));

    let mut binaries = vec!["caro".to_string()];
    if let Some(copy) = &plan.installer_copy {
        copy_self(copy, reporter)?;
        binaries.push("caro-install".to_string());
        written.extend(WrittenFile::of(copy, "binary"));
    }
    #[cfg_attr(
        not(windows),
        expect(unused_mut, reason = "only Windows takes an entry over")
    )]
    let mut path_edits = if settings.modify_path {
        configure_path(env, dir, plan.on_path, reporter)
    } else {
        Vec::new()
    };
    #[cfg(windows)]
    if settings.modify_path && path_edits.is_empty() {
        path_edits.extend(shell::windows::take_over_legacy(env, dir, reporter));
    }
    warn_about_shadowing(env, dir, plan.on_path, settings.modify_path, reporter);
    let use_now = (settings.modify_path && !plan.on_path)
        .then(|| shell::use_now_hint(env))
        .flatten();
    let platform = asset
        .as_ref()
        .map_or(plan.platform.platform, |a| a.platform);
    if let Some(path) = &plan.receipt {
        let mut receipt = Receipt::new(&source.repo, &plan.version.to_string(), dir);
        receipt.binaries = binaries;
        receipt.modify_path = settings.modify_path;
        receipt.platform = Some(platform.key().to_string());
        receipt.asset_url = asset.as_ref().map(|a| a.url.clone());
        receipt.sha256 = asset.as_ref().map(|a| a.sha256.to_string());
        // The env scripts are files caro-install wrote whole: their content is recorded too.
        for edit in path_edits.iter().filter(|e| e.line.is_none()) {
            written.extend(WrittenFile::of(&edit.path, "env-script"));
        }
        receipt.path_edits = path_edits;
        receipt.created_dirs = created_dirs;
        receipt.model = model_record;
        for file in written {
            receipt.record_file(file);
        }
        match Receipt::load(path) {
            Ok(Some(old)) => receipt.carry_over(old),
            Ok(None) => {}
            Err(error) => reporter.warn(&format!("{error}; writing a new one")),
        }
        receipt.save(path)?;
        reporter.detail(&format!("wrote {}", path.display()));
    }
    Ok(InstallOutcome::Installed(Installed {
        version: plan.version,
        platform,
        binary: plan.binary,
        asset_url: asset.as_ref().map(|a| a.url.clone()),
        sha256: asset.map(|a| a.sha256),
        receipt: plan.receipt,
        use_now,
        models,
    }))
}

/// The install `plan` would make when it is there already: the receipt names this
/// version, platform, folder and PATH choice, the binary there still hashes to the digest
/// the receipt recorded (so it is the very file downloaded and verified then, not one
/// changed since), and the copy of caro-install is in place. Anything else installs.
fn already_installed(settings: &Settings, plan: &Plan) -> Option<AlreadyInstalled> {
    let receipt = Receipt::load(plan.receipt.as_deref()?).ok()??;
    let platform = plan.platform.platform;
    let same = receipt.version == plan.version.to_string()
        && receipt.platform.as_deref() == Some(platform.key())
        && receipt.modify_path == settings.modify_path
        && same_file(&receipt.install_prefix, &settings.install_dir)
        && plan.installer_copy.as_deref().is_none_or(Path::is_file);
    let recorded = receipt.sha256.as_deref()?;
    let (actual, _) = crate::receipt::sha256_of_file(&plan.binary).ok()?;
    (same && actual.eq_ignore_ascii_case(recorded)).then(|| AlreadyInstalled {
        version: plan.version.clone(),
        platform,
        binary: plan.binary.clone(),
    })
}

/// [`Error::InstallDirNotWritable`] for `dir`, suggesting the default folder when it is
/// another one.
fn not_writable(dir: &Path, env: &Env) -> Error {
    Error::InstallDirNotWritable {
        path: dir.to_path_buf(),
        default: env
            .default_install_dir()
            .ok()
            .filter(|default| default != dir),
    }
}

/// Returns true if and only if this user may create files in `dir` (`access(W_OK)`, which
/// knows root and ACLs); on Windows true, and a failure to write says what it is.
fn may_write(dir: &Path) -> bool {
    #[cfg(unix)]
    fn imp(dir: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
            return true;
        };
        // SAFETY: `path` is a valid NUL-terminated string for the duration of the call.
        unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 }
    }
    #[cfg(not(unix))]
    fn imp(_dir: &Path) -> bool {
        true
    }
    imp(dir)
}

/// What placing a bundle's parts did.
#[derive(Debug, Default)]
struct PlacedBundle {
    /// The files written (a file found already holding its content is not one).
    written: Vec<WrittenFile>,
    /// Each model's path and size.
    models: Vec<(PathBuf, u64)>,
    /// The receipt's record of the bundle.
    record: Option<ModelBundle>,
}

/// Places a verified bundle's models, licences and notices.
fn place_bundle(
    model: String,
    rest: bundle::UnpackedBundle,
    asset: Option<&crate::fetch::VerifiedAsset>,
    reporter: &dyn Reporter,
) -> Result<PlacedBundle> {
    let (written, placed) = bundle::place(rest, reporter)?;
    let models = placed
        .iter()
        .map(|path| {
            (
                path.clone(),
                fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            )
        })
        .collect();
    let record = ModelBundle {
        name: model,
        bundle: asset.map(|a| a.url.clone()).unwrap_or_default(),
        sha256: asset.map(|a| a.sha256.to_string()).unwrap_or_default(),
        files: placed,
        extra: Default::default(),
    };
    Ok(PlacedBundle {
        written,
        models,
        record: Some(record),
    })
}

/// Configures PATH for `dir` unless it is already on PATH; returns the edits made.
fn configure_path(env: &Env, dir: &Path, on_path: bool, reporter: &dyn Reporter) -> Vec<PathEdit> {
    if on_path {
        reporter.detail(&format!(
            "{} is already on PATH; no shell file needs a change",
            dir.display()
        ));
        return Vec::new();
    }
    shell::configure_path(env, dir, reporter)
}

/// Warns when a shell would run another `caro` than the one in `dir`: one earlier on PATH,
/// or (when PATH is left alone and `dir` is not on it) any one on PATH; after a PATH edit,
/// one that new shells still find first (on Windows, in the system Path).
fn warn_about_shadowing(
    env: &Env,
    dir: &Path,
    on_path: bool,
    modified_path: bool,
    reporter: &dyn Reporter,
) {
    let probe = RealProbe::new(env);
    let name = local_executable_name("caro");
    let others = if !on_path && modified_path {
        shell::shadowing_after_edit(env, dir, &name, &probe)
    } else {
        shell::shadowing(env, dir, &name, &probe)
    };
    if !on_path && !modified_path {
        reporter.warn(&format!(
            "{} is not on PATH; add it, or run caro as {}",
            dir.display(),
            dir.join(&name).display()
        ));
    }
    for other in others {
        reporter.warn(&format!(
            "another caro at {} comes first on PATH, so `caro` runs that one; remove it or put {} before its directory",
            other.display(),
            dir.display()
        ));
    }
}

/// `path` and those of its parents that do not exist yet, deepest first.
fn missing_dirs(path: &Path) -> Vec<PathBuf> {
    path.ancestors()
        .take_while(|dir| !dir.as_os_str().is_empty() && dir.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect()
}

/// Copies the running caro-install to `target` so `caro-install update` works later,
/// unless it already runs from there.
fn copy_self(target: &Path, reporter: &dyn Reporter) -> Result<()> {
    let current = std::env::current_exe()
        .map_err(Error::file("find the running executable", "caro-install"))?;
    if same_file(&current, target) {
        return Ok(());
    }
    // A reinstall usually finds this very build there already: reading 2-3 MB to compare
    // costs far less than writing and fsyncing a copy.
    if same_contents(&current, target) {
        reporter.detail(&format!("{} is this build already", target.display()));
        return Ok(());
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temp = TempFile::create(dir, "caro-install")?;
    let mut source = File::open(&current).map_err(Error::file("read", &current))?;
    std::io::copy(&mut source, temp.file_mut())
        .map_err(Error::file("copy caro-install to", target))?;
    temp.persist(target, reporter)
}

/// Returns true if and only if both files exist and hold the same bytes.
fn same_contents(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    // `b` is whatever is at the target: opened through the guard, so a FIFO there is
    // "different" (and then replaced by rename), never a hang.
    let (Ok(mut a), Ok(Some(mut b))) = (File::open(a), crate::files::open_regular_shared(b)) else {
        return false;
    };
    let same_length = match (a.metadata(), b.metadata()) {
        (Ok(ma), Ok(mb)) => ma.len() == mb.len() && mb.is_file(),
        _ => false,
    };
    if !same_length {
        return false;
    }
    let (mut buffer_a, mut buffer_b) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let Ok(n) = a.read(&mut buffer_a) else {
            return false;
        };
        if n == 0 {
            return true;
        }
        if b.read_exact(&mut buffer_b[..n]).is_err() || buffer_a[..n] != buffer_b[..n] {
            return false;
        }
    }
}
