//! Which version `latest` is: the `releases/latest` redirect (or a static mirror's body),
//! then the API; a pinned version needs no request at all.

use crate::download::Http;
use crate::error::{Error, Result};
use crate::receipt;
use crate::release::{self, ReleaseSource, Version, VersionRequest};
use crate::report::Reporter;

/// Resolves `latest` (redirect, then mirror body, then API) or returns the pinned version.
pub fn resolve_version(
    request: &VersionRequest,
    source: &ReleaseSource,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<(Version, String)> {
    let latest = match request {
        VersionRequest::Exact(version) => return Ok((version.clone(), "pinned".to_string())),
        VersionRequest::Latest => resolve_latest(source, http, reporter)?,
    };
    if !latest.0.pre.is_empty() {
        return Err(Error::LatestIsPrerelease {
            repo: source.repo.clone(),
            version: latest.0.to_string(),
        });
    }
    Ok(latest)
}

fn resolve_latest(
    source: &ReleaseSource,
    http: &Http,
    reporter: &dyn Reporter,
) -> Result<(Version, String)> {
    use crate::download::{ApiAnswer, LatestAnswer};
    let latest_url = source.latest_url();
    let answer = http.get_latest(&latest_url, reporter)?;
    let first_missing = answer == LatestAnswer::Status(404);
    let first = match answer {
        LatestAnswer::Redirect(location) => match release::version_from_location(&location) {
            Some(version) => return Ok((version, format!("latest, from {latest_url}"))),
            None => format!("{latest_url} redirected to `{location}`, which is not a release tag"),
        },
        LatestAnswer::Body(body) => match release::version_from_body(&body) {
            Some(version) => return Ok((version, format!("latest, from {latest_url}"))),
            None => format!("{latest_url} answered a body that is not a tag"),
        },
        LatestAnswer::Status(status) => format!("{latest_url} answered HTTP {status}"),
    };
    reporter.detail(&format!("{first}; asking the API"));
    let api_url = source.api_latest_url();
    match http.get_api(&api_url, reporter)? {
        ApiAnswer::Json(json) => match release::version_from_api(&json) {
            Some(version) => Ok((version, format!("latest, from {api_url}"))),
            None => Err(Error::LatestUnknown {
                repo: source.repo.clone(),
                detail: format!("{first}, and {api_url} has no usable `tag_name`"),
            }),
        },
        ApiAnswer::Status(403 | 429, reset) => Err(Error::RateLimited {
            url: api_url,
            reset: reset.map(|at| {
                receipt::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(at))
            }),
        }),
        ApiAnswer::Status(404, _) if first_missing => Err(Error::ReleasesNotFound {
            base_url: source.base_url.clone(),
            repo: source.repo.clone(),
            repo_variable: source.repo_variable,
            detail: format!("{first}, and {api_url} answered HTTP 404"),
        }),
        ApiAnswer::Status(status, _) => Err(Error::LatestUnknown {
            repo: source.repo.clone(),
            detail: format!("{first}, and {api_url} answered HTTP {status}"),
        }),
    }
}
