//! `caro-install status`: what is installed, where, in which version, whether shells find
//! it, and which other copies would run instead.

use std::fmt;
use std::path::PathBuf;

use crate::env::Env;
use crate::error::{Result, human_size};
use crate::platform::local_executable_name;
use crate::receipt::{self, Receipt};
use crate::shell::{self, RealProbe};

/// A snapshot of the installation, printed by `caro-install status`.
#[derive(Debug, Clone)]
pub struct Status {
    /// The receipt's path.
    pub receipt_path: PathBuf,
    /// The receipt, when there is one.
    pub receipt: Option<Receipt>,
    /// Why the receipt could not be read (corrupt, too large), when it could not: status
    /// then shows what it can find without it.
    pub receipt_problem: Option<String>,
    /// The directory caro is (or would be) in.
    pub dir: PathBuf,
    /// Whether the caro binary exists there.
    pub binary_exists: bool,
    /// Whether that directory is on PATH in this shell.
    pub on_path: bool,
    /// Other `caro` executables earlier on PATH.
    pub shadowing: Vec<PathBuf>,
}

impl Status {
    /// Gathers the status for `env`.
    pub fn gather(env: &Env) -> Result<Status> {
        let receipt_path = receipt::receipt_path(env)?;
        let (receipt, receipt_problem) = match Receipt::load(&receipt_path) {
            Ok(receipt) => (receipt, None),
            Err(error) => (None, Some(error.to_string())),
        };
        let dir = match &receipt {
            Some(receipt) => receipt.install_prefix.clone(),
            None => match env.var("CARO_INSTALL_DIR") {
                Some(dir) => env.absolute(std::path::Path::new(dir)),
                None => env.default_install_dir()?,
            },
        };
        let binary = local_executable_name("caro");
        let probe = RealProbe::new(env);
        Ok(Status {
            binary_exists: dir.join(&binary).is_file(),
            on_path: shell::is_on_path(env, &dir, &probe),
            shadowing: shell::shadowing(env, &dir, &binary, &probe),
            receipt_path,
            receipt,
            receipt_problem,
            dir,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let binary = self.dir.join(local_executable_name("caro"));
        match (&self.receipt, self.binary_exists) {
            (Some(receipt), true) => {
                let platform = receipt.platform.as_deref().unwrap_or("unknown platform");
                writeln!(
                    f,
                    "caro {} ({platform}) at {}",
                    receipt.version,
                    binary.display()
                )?;
            }
            (Some(receipt), false) => writeln!(
                f,
                "caro {} was installed, but {} is missing",
                receipt.version,
                binary.display()
            )?,
            (None, true) => writeln!(
                f,
                "caro at {} (not installed by caro-install: no receipt)",
                binary.display()
            )?,
            (None, false) if self.receipt_problem.is_none() => {
                writeln!(
                    f,
                    "caro is not installed (no {}, no receipt at {})",
                    binary.display(),
                    self.receipt_path.display()
                )?;
                return writeln!(f, "to install it, run `caro-install`");
            }
            (None, false) => writeln!(f, "caro is not installed in {}", self.dir.display())?,
        }
        match &self.receipt {
            Some(receipt) => {
                writeln!(f, "receipt:   {}", self.receipt_path.display())?;
                if let Some(at) = &receipt.installed_at {
                    writeln!(f, "installed: {at}")?;
                }
                if let Some(url) = &receipt.asset_url {
                    writeln!(f, "from:      {url}")?;
                }
                if let Some(model) = &receipt.model {
                    writeln!(f, "model:     {}", model.name)?;
                    for path in &model.files {
                        let size = match path.metadata() {
                            Ok(metadata) => human_size(metadata.len()),
                            Err(_) => "missing".to_string(),
                        };
                        writeln!(f, "           {} ({size})", path.display())?;
                    }
                }
                let mut shells: Vec<String> = Vec::new();
                for edit in &receipt.path_edits {
                    let path = edit.path.display().to_string();
                    if !shells.contains(&path) {
                        shells.push(path);
                    }
                }
                match (receipt.modify_path, shells.split_first()) {
                    (false, _) => writeln!(
                        f,
                        "shells:    not configured (installed with --no-modify-path)"
                    )?,
                    (true, None) => writeln!(
                        f,
                        "shells:    no file needed a change (the directory was already on PATH)"
                    )?,
                    (true, Some((first, rest))) => {
                        writeln!(f, "shells:    {first}")?;
                        for path in rest {
                            writeln!(f, "           {path}")?;
                        }
                    }
                }
            }
            None => match &self.receipt_problem {
                Some(problem) => writeln!(f, "receipt:   unusable: {problem}")?,
                None => writeln!(f, "receipt:   none at {}", self.receipt_path.display())?,
            },
        }
        if self.on_path {
            writeln!(
                f,
                "PATH:      {} is on PATH in this shell",
                self.dir.display()
            )?;
        } else {
            let later = match &self.receipt {
                Some(receipt) if receipt.modify_path && !receipt.path_edits.is_empty() => {
                    "; new shells will have it, through the files above"
                }
                Some(receipt) if !receipt.modify_path => {
                    "; add it yourself (installed with --no-modify-path)"
                }
                _ => "",
            };
            writeln!(
                f,
                "PATH:      {} is not on PATH in this shell{later}",
                self.dir.display()
            )?;
        }
        for other in &self.shadowing {
            writeln!(
                f,
                "warning:   {} comes first on PATH and runs instead",
                other.display()
            )?;
        }
        Ok(())
    }
}
