//! `caro-install self-update`, and the running program's update that [`SelfUpdate`] runs.
//!
//! [`SelfUpdate`]: super::SelfUpdate

use super::owner::running_target;
use super::{UpdateOutcome, UpdateRequest};
use crate::download::Http;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::release::{Program, Version};
use crate::report::Reporter;
use crate::signature;

/// `caro-install self-update`: the same for the running caro-install.
pub fn update_installer(
    request: &UpdateRequest,
    env: &Env,
    http: &mut Http,
    reporter: &dyn Reporter,
) -> Result<UpdateOutcome> {
    let current = Version::parse(env!("CARGO_PKG_VERSION")).expect("the crate version is semver");
    update_running(
        Program::Installer.name(),
        current,
        request,
        env,
        http,
        reporter,
    )
}

/// Updates the running executable of `app` (`caro` through [`SelfUpdate`], or
/// caro-install itself).
pub(super) fn update_running(
    app: &str,
    current: Version,
    request: &UpdateRequest,
    env: &Env,
    http: &mut Http,
    reporter: &dyn Reporter,
) -> Result<UpdateOutcome> {
    let executable = std::env::current_exe()
        .map_err(Error::file("find the running executable", app.to_string()))?;
    let signatures = signature::Policy::from_env(env, request.require_signature)?;
    if !request.check_only {
        env.check_home_owner()?;
    }
    running_target(app, Program::of(app), executable, current, env, signatures)?
        .update(request, http, reporter)
}
