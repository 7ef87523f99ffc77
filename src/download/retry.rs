//! Patience: how long to wait for an answer, how often to ask again, and what the user is
//! told meanwhile and at the end, in their words rather than the transport's.

use std::time::Duration;

use super::pipeline;

/// How many times a request is made before its failure is reported.
pub(super) const ATTEMPTS: u32 = 4;

/// How many of those may end with no answer within the timeout: a host silent for
/// `CARO_HTTP_TIMEOUT` seconds is asked once more, not three times more.
pub(super) const TIMEOUTS: u32 = 2;

/// How long a request may go unanswered before the user is told which host is waited on.
pub(super) const SLOW_ANSWER: Duration = Duration::from_secs(2);

/// The longest `Retry-After` honoured; beyond it the error is reported at once.
pub(super) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Parses `Retry-After` as delay-seconds (the HTTP-date form is treated as absent).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The pause before attempt `attempt` (1-based retry count): exponential from 250 ms with
/// up to 25% jitter, capped at 8 s, unless the server said how long to wait.
pub(super) fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait;
    }
    let base = Duration::from_millis(250)
        .saturating_mul(1 << attempt.saturating_sub(1).min(5))
        .min(Duration::from_secs(8));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

/// The tries one transfer may make, shared by everything that can fail in it (no answer,
/// a 5xx or 429, a body cut short), so the bound holds for the transfer as a whole.
#[derive(Debug, Default)]
pub(super) struct Attempts {
    pub(super) made: u32,
    /// How many ended with no answer within the timeout.
    timeouts: u32,
}

impl Attempts {
    /// Counts one more try and returns its number (1-based).
    pub(super) fn take(&mut self) -> u32 {
        self.made += 1;
        self.made
    }

    /// Returns true if and only if another try may be made.
    pub(super) fn left(&self) -> bool {
        self.made < ATTEMPTS
    }

    /// Counts a try that got no answer in time; returns true if and only if another may
    /// be made.
    pub(super) fn timed_out(&mut self) -> bool {
        self.timeouts += 1;
        self.left() && self.timeouts < TIMEOUTS
    }
}

pub(super) fn is_transient(error: &ureq::Error) -> bool {
    matches!(
        error,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
    )
}

/// The host and port of `url`, as the user would name it (`github.com`, `127.0.0.1:8080`).
pub(super) fn host_of(url: &str) -> String {
    url.parse::<ureq::http::Uri>()
        .ok()
        .and_then(|uri| uri.authority().map(|a| a.as_str().to_string()))
        .map(|authority| match authority.rsplit_once('@') {
            Some((_, host)) => host.to_string(), // never a password from the URL
            None => authority,
        })
        .unwrap_or_else(|| url.to_string())
}

/// ` (try 2 of 4)`: which try comes next.
pub(super) fn try_count(next: u32) -> String {
    format!(" (try {next} of {ATTEMPTS})")
}

/// The transport's error as a cause a user reads: the operating system's own error for
/// an I/O failure (without ureq's `io:` prefix), a sentence for the rest that ureq names
/// in its own terms (`host not found`, `connection failed`).
pub(super) fn plain(error: ureq::Error) -> Box<dyn std::error::Error + Send + Sync> {
    match error {
        ureq::Error::Io(error) => Box::new(error),
        ureq::Error::HostNotFound => "the host name was not found (DNS)".into(),
        ureq::Error::ConnectionFailed => "the connection could not be made".into(),
        ureq::Error::Timeout(_) => "no answer in time (CARO_HTTP_TIMEOUT)".into(),
        other => Box::new(other),
    }
}

/// An I/O error of a body read or a copy as a user reads it: the network's error unwrapped
/// from the pipeline's marker and from ureq (no `io:` or `timeout: per read`), a stall as
/// the seconds no data came; a disk error as it is.
pub(super) fn plain_io(error: std::io::Error, stall: Duration) -> std::io::Error {
    let kind = error.kind();
    if error.get_ref().is_none() {
        return error; // the operating system's own error, with its code
    }
    let Some(inner) = error.into_inner() else {
        return std::io::Error::from(kind);
    };
    let inner = match inner.downcast::<pipeline::ReadFailed>() {
        Ok(read) => return plain_io(read.0, stall),
        Err(inner) => inner,
    };
    match inner.downcast::<ureq::Error>() {
        Ok(error) => match *error {
            ureq::Error::Io(error) => plain_io(error, stall),
            ureq::Error::Timeout(_) => std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "no data arrived for {} s (CARO_HTTP_TIMEOUT)",
                    stall.as_secs()
                ),
            ),
            other => std::io::Error::new(kind, plain(other)),
        },
        Err(inner) => std::io::Error::new(kind, inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1, None) >= Duration::from_millis(250));
        assert!(backoff(1, None) < Duration::from_millis(320));
        assert!(backoff(3, None) >= Duration::from_millis(1000));
        assert!(backoff(30, None) <= Duration::from_secs(10));
        assert_eq!(
            backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn hosts_are_named_without_credentials() {
        assert_eq!(host_of("https://github.com/wildcard/caro"), "github.com");
        assert_eq!(host_of("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
        assert_eq!(
            host_of("https://user:secret@mirror.example/x"),
            "mirror.example"
        );
    }

    #[test]
    fn causes_read_without_ureq_prefixes() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let text = plain(ureq::Error::Io(refused)).to_string();
        assert!(!text.starts_with("io:"), "{text}");
        let stalled = std::io::Error::other(pipeline::ReadFailed(std::io::Error::other(
            ureq::Error::Timeout(ureq::Timeout::PerRead),
        )));
        assert_eq!(
            plain_io(stalled, Duration::from_secs(7)).to_string(),
            "no data arrived for 7 s (CARO_HTTP_TIMEOUT)"
        );
        let disk = std::io::Error::from_raw_os_error(28);
        assert_eq!(
            plain_io(disk, Duration::from_secs(7)).raw_os_error(),
            Some(28),
            "the operating system's error is kept whole"
        );
    }
}
