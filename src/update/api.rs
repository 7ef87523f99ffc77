//! [`SelfUpdate`]: the API caro links for `caro self-update`.

use std::fmt;

use super::ourselves::update_running;
use super::{UpdateOutcome, UpdateRequest};
use crate::download::Http;
use crate::env::Env;
use crate::error::{Error, Invocation, Result};
use crate::release::Version;
use crate::report::{Reporter, Silent};

/// `caro self-update` as a library call: caro (or any program released the same way) updates
/// the running binary. Reads the same environment variables as `caro-install`; prints
/// nothing unless given a [`Reporter`]. Its errors speak the host's language: every help
/// names the host's command ([`SelfUpdate::command`], `caro self-update` by default), never
/// caro-install's flags, and is part of the error's `Display`.
///
/// ```no_run
/// let version: Option<String> = None; // what clap gives for an optional argument
/// let outcome = caro_install::SelfUpdate::new("caro", "1.0.3")
///     .command("caro self-update")
///     .version(version.as_deref())
///     .check_only(true)
///     .run()?;
/// if !outcome.is_updated() {
///     println!("{outcome}"); // "caro 1.1.0 is available (installed: 1.0.3)"
/// }
/// # Ok::<(), caro_install::Error>(())
/// ```
pub struct SelfUpdate {
    app: String,
    current: String,
    version: Option<String>,
    command: Option<String>,
    check_only: bool,
    require_signature: bool,
    env: Option<Env>,
    reporter: Box<dyn Reporter>,
}

impl fmt::Debug for SelfUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelfUpdate")
            .field("app", &self.app)
            .field("current", &self.current)
            .field("version", &self.version)
            .field("check_only", &self.check_only)
            .finish_non_exhaustive()
    }
}

impl SelfUpdate {
    /// An update of the running `app` (`caro`), currently at `current_version`
    /// (`env!("CARGO_PKG_VERSION")`), to the latest release.
    pub fn new(app: &str, current_version: &str) -> SelfUpdate {
        SelfUpdate {
            app: app.to_string(),
            current: current_version.to_string(),
            version: None,
            command: None,
            check_only: false,
            require_signature: false,
            env: None,
            reporter: Box::new(Silent),
        }
    }

    /// Pins the version to move to (`Some("1.2.0")`, `v` prefix accepted); `None` means
    /// latest. A pinned lower version is a downgrade, done because it was asked for. What
    /// clap gives for an optional argument passes as `.version(version.as_deref())`.
    ///
    /// (It takes `Option<&str>` rather than `Option<impl AsRef<str>>`: with the latter the
    /// contract's own `.version(None)` would not compile, as `None` names no type.)
    pub fn version(mut self, version: Option<&str>) -> SelfUpdate {
        self.version = version.map(str::to_string);
        self
    }

    /// How the user runs this update (`caro self-update`, the default for app `caro`): help
    /// lines say `caro self-update 1.2.0` to pin a version. The command must take the
    /// version as its argument.
    pub fn command(mut self, command: &str) -> SelfUpdate {
        self.command = Some(command.to_string());
        self
    }

    /// When true, only reports whether an update is available and changes nothing.
    pub fn check_only(mut self, check_only: bool) -> SelfUpdate {
        self.check_only = check_only;
        self
    }

    /// When true, a release without a minisign signature is refused (a key must be pinned:
    /// built in or `CARO_INSTALL_MINISIGN_PUBKEY`). With a pinned key, a published
    /// signature is always checked.
    pub fn require_signature(mut self, require: bool) -> SelfUpdate {
        self.require_signature = require;
        self
    }

    /// Where progress and messages go (default: nowhere).
    pub fn reporter(mut self, reporter: impl Reporter + 'static) -> SelfUpdate {
        self.reporter = Box::new(reporter);
        self
    }

    /// Uses `env` instead of the process environment.
    pub fn env(mut self, env: Env) -> SelfUpdate {
        self.env = Some(env);
        self
    }

    /// Runs the update. It **blocks** (network, disk, the new build's start-up check): from
    /// async code, call it on a blocking thread, e.g. in tokio
    /// `tokio::task::spawn_blocking(move || update.run()).await?`.
    ///
    /// # Errors
    ///
    /// Every failure is an [`Error::Hosted`], whose `Display` holds the error, its causes
    /// and what to do, in the words of [`SelfUpdate::command`]; [`Error::kind`] gives the
    /// failure to match on. Among them: the binary belongs to a package manager
    /// ([`Error::ManagedElsewhere`], naming its upgrade command), the version or its build
    /// does not exist, a download or check failed (the running binary is then untouched).
    pub fn run(self) -> Result<UpdateOutcome> {
        let invocation = Invocation::host(
            self.command
                .as_deref()
                .unwrap_or(&format!("{} self-update", self.app)),
        );
        self.run_unhosted()
            .map_err(|error| error.hosted(&invocation))
    }

    fn run_unhosted(self) -> Result<UpdateOutcome> {
        crate::files::set_host(&self.app);
        let env = self.env.unwrap_or_else(Env::from_process);
        let current =
            Version::parse(self.current.trim().trim_start_matches(['v', 'V'])).map_err(|e| {
                Error::InvalidVersion {
                    input: self.current.clone(),
                    reason: format!("the running version is not semver ({e})"),
                }
            })?;
        let request = UpdateRequest {
            version: self.version.as_deref().map(str::parse).transpose()?,
            check_only: self.check_only,
            require_signature: self.require_signature,
        };
        let mut http = Http::from_env(&env)?;
        update_running(
            &self.app,
            current,
            &request,
            &env,
            &mut http,
            &crate::report::Printable(self.reporter.as_ref()),
        )
    }
}
