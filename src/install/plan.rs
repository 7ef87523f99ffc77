//! What an install will do: the plan, computed before doing any of it.
//!
//! `latest` is resolved here (the redirect, then a mirror's body, then the API), so the plan
//! names a version. Nothing is written while planning, which is what makes `--dry-run`
//! honest.

use std::fmt;
use std::path::PathBuf;

use super::offline;
use crate::download::Http;
use crate::env::Env;
use crate::error::Result;
use crate::fetch::resolve_version;
use crate::platform::{Choice, executable_name};
use crate::receipt;
use crate::release::{self, ReleaseSource, Version};
use crate::report::Reporter;
use crate::shell::{self, RealProbe};

use super::settings::Settings;

/// Everything an install will do, computed before doing any of it; `--dry-run` prints it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The resolved version.
    pub version: Version,
    /// How the version was chosen (`pinned`, `latest, from ...`).
    pub version_source: String,
    /// The platform and why.
    pub platform: Choice,
    /// The URLs to try, in order (each verified with its `.sha256`).
    pub urls: Vec<String>,
    /// Build with cargo instead.
    pub from_source: bool,
    /// The binary's final path.
    pub binary: PathBuf,
    /// Where caro-install copies itself, if it does.
    pub installer_copy: Option<PathBuf>,
    /// The receipt, if one is written.
    pub receipt: Option<PathBuf>,
    /// How PATH will be handled.
    pub path: PathPlan,
    /// Whether the install directory is on this process's PATH already (asked once: PATH
    /// does not change while caro-install runs).
    pub on_path: bool,
    /// The model bundle, with `--with-model`.
    pub bundle: Option<BundlePlan>,
    /// `--from-file`: the local file installed from, instead of `urls`.
    pub from_file: Option<PathBuf>,
}

/// What a model bundle install will fetch and where its parts go.
#[derive(Debug, Clone)]
pub struct BundlePlan {
    /// The model.
    pub model: String,
    /// The bundle's URL, or the local file.
    pub source: String,
    /// Its size, when known (the release's asset list, or the local file).
    pub size: Option<u64>,
    /// Where the model files go.
    pub models_dir: PathBuf,
    /// Where the licences and notices go.
    pub licenses_dir: PathBuf,
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "version:  caro {} ({})",
            self.version, self.version_source
        )?;
        writeln!(
            f,
            "platform: {} ({})",
            self.platform.platform, self.platform.reason
        )?;
        if let Some(path) = &self.from_file {
            writeln!(
                f,
                "from:     {} (verified with its .sha256; no network)",
                path.display()
            )?;
        } else if self.from_source {
            writeln!(
                f,
                "source:   cargo install caro --locked --version {}",
                self.version
            )?;
        } else {
            writeln!(
                f,
                "download, first found wins, each verified with its .sha256:"
            )?;
            for url in &self.urls {
                writeln!(f, "  {url}")?;
            }
        }
        if let Some(bundle) = &self.bundle {
            let size = bundle
                .size
                .map_or("size unknown".to_string(), crate::error::human_size);
            writeln!(f, "model:    {} ({size})", bundle.model)?;
        }
        writeln!(f, "write:")?;
        writeln!(f, "  {}", self.binary.display())?;
        if let Some(bundle) = &self.bundle {
            writeln!(
                f,
                "  {} (the bundle's model files; one already there with the same content is kept)",
                bundle.models_dir.join("*.gguf").display()
            )?;
            writeln!(
                f,
                "  {} (licences and notices)",
                bundle.licenses_dir.join("*").display()
            )?;
        }
        if let Some(copy) = &self.installer_copy {
            writeln!(
                f,
                "  {} (this installer, for later updates)",
                copy.display()
            )?;
        }
        if let Some(receipt) = &self.receipt {
            writeln!(f, "  {}", receipt.display())?;
        }
        match &self.path {
            PathPlan::LeaveAlone => write!(f, "PATH:     leave PATH alone"),
            PathPlan::AlreadyOnPath => {
                write!(f, "PATH:     the install directory is already on PATH")
            }
            PathPlan::Edit(files) if files.is_empty() => {
                write!(f, "PATH:     every shell file is already set up")
            }
            PathPlan::Edit(files) => {
                write!(f, "PATH:     new shells find caro after these changes:")?;
                for (shell, file) in files {
                    write!(f, "\n  {} ({shell})", file.display())?;
                }
                Ok(())
            }
        }
    }
}

/// What an install will do about PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPlan {
    /// `--no-modify-path`, or an unmanaged install.
    LeaveAlone,
    /// The directory is on PATH already: nothing to edit.
    AlreadyOnPath,
    /// These files (and the shell each serves) will be created or get a line.
    Edit(Vec<(&'static str, PathBuf)>),
}

/// Computes the plan for `settings` (resolving `latest`, which reads from the network).
pub fn plan(settings: &Settings, env: &Env, http: &Http, reporter: &dyn Reporter) -> Result<Plan> {
    let source = ReleaseSource::caro(env);
    let (version, version_source) = match &settings.local {
        Some((path, name)) => offline::local_version(path, name)?,
        None => resolve_version(&settings.version, &source, http, reporter)?,
    };
    let mut urls = Vec::new();
    for platform in [Some(settings.platform.platform), settings.platform.fallback]
        .into_iter()
        .flatten()
        .filter(|_| settings.local.is_none() && settings.model.is_none())
    {
        // Every name a real run tries, the aliases of hand-uploaded releases included.
        for candidate in release::download_candidates("caro", &version, platform) {
            urls.push(source.asset_url(&version, &candidate.file_name));
        }
    }
    let bundle = plan_bundle(settings, &version, &source, env, http, reporter)?;
    if let (Some(bundle), None) = (&bundle, &settings.local) {
        urls.push(bundle.source.clone());
    }
    let installer_name = executable_name("caro-install", settings.platform.platform);
    let on_path = shell::is_on_path(env, &settings.install_dir, &RealProbe::new(env));
    Ok(Plan {
        binary: settings
            .install_dir
            .join(executable_name("caro", settings.platform.platform)),
        installer_copy: settings
            .managed
            .then(|| settings.install_dir.join(installer_name)),
        receipt: if settings.managed {
            Some(receipt::receipt_path(env)?)
        } else {
            None
        },
        path: if !settings.modify_path {
            PathPlan::LeaveAlone
        } else if on_path {
            PathPlan::AlreadyOnPath
        } else {
            PathPlan::Edit(shell::preview(env, &settings.install_dir))
        },
        on_path,
        from_source: settings.from_source,
        platform: settings.platform.clone(),
        version,
        version_source,
        urls,
        bundle,
        from_file: settings.local.as_ref().map(|(path, _)| path.clone()),
    })
}

/// What `settings` will do about a model bundle, for the plan (`--dry-run`): its URL (or
/// the local file), size and destinations. The size of a bundle on the network costs one
/// request (the release's asset list), made for a dry run only.
pub fn plan_bundle(
    settings: &Settings,
    version: &Version,
    source: &ReleaseSource,
    env: &Env,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<Option<BundlePlan>> {
    let Some(model) = &settings.model else {
        return Ok(None);
    };
    let platform = settings.platform.platform;
    let (source_text, size) = match &settings.local {
        Some((path, _)) => (
            path.display().to_string(),
            std::fs::metadata(path).ok().map(|m| m.len()),
        ),
        None => {
            let name = super::bundle::bundle_file_name(version, platform, model);
            let size = settings
                .dry_run
                .then(|| {
                    super::models::list_bundles(source, version, platform, http, reporter)
                        .ok()?
                        .into_iter()
                        .find(|(name, _)| name == model)
                        .map(|(_, size)| size)
                })
                .flatten();
            (source.asset_url(version, &name), size)
        }
    };
    Ok(Some(BundlePlan {
        model: model.clone(),
        source: source_text,
        size,
        models_dir: env.models_dir()?,
        licenses_dir: env.licenses_dir()?,
    }))
}
