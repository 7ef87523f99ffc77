//! Reaching the release host: URLs, redirects, requests and HTTP answers.
//!
//! Each variant is followed by its help: what the user can do about it, phrased for the
//! `invocation` (caro-install's flags, or the host program's command). `mod.rs` says how
//! the groups become the one `Error`.

macro_rules! network_errors {
    ([$next:ident $(, $rest:ident)*] $($done:tt)*) => {
        $next! { [$($rest),*] $($done)*

            /// A URL that is not https, file, or http to a loopback host.
            #[error("refusing to fetch `{url}`: {reason}")]
            InsecureUrl {
                /// The refused URL.
                url: String,
                /// Why it was refused.
                reason: &'static str,
            }
            => help(invocation) {
                Some("use an https:// or file:// URL for CARO_INSTALLER_GITHUB_BASE_URL".into())
            }

            /// A redirect hop that would leave https, reach plain http off loopback, or change
            /// scheme.
            #[error("refusing the redirect from `{from}` to `{to}`: {reason}")]
            InsecureRedirect {
                /// The URL that answered with the redirect.
                from: String,
                /// Where it pointed.
                to: String,
                /// Why the hop was refused.
                reason: &'static str,
            }
            => help(invocation) {
                Some("the release host sent the download somewhere it \
                 may not go; report it to the mirror's operator, or use another mirror with \
                 CARO_INSTALLER_GITHUB_BASE_URL"
                .to_string())
            }

            /// A request that failed without an HTTP answer (connect, TLS, reset, stall).
            #[error("request to `{url}` failed")]
            Request {
                /// The URL requested.
                url: String,
                /// The transport's error.
                #[source]
                source: Box<dyn std::error::Error + Send + Sync>,
            }
            => help(invocation) {
                Some("check your network connection, proxy (HTTPS_PROXY) and \
                 TLS settings (SSL_CERT_FILE), then run the command again"
                .to_string())
            }

            /// A download whose body could not be received or written.
            #[error("download of `{url}` failed")]
            Download {
                /// The URL downloaded.
                url: String,
                /// The I/O error, network or disk.
                #[source]
                source: io::Error,
            }
            => help(invocation) {
                Some(if source.kind() == io::ErrorKind::TimedOut {
                    "the host stopped sending: run the command again, wait longer with \
                     CARO_HTTP_TIMEOUT, or use a mirror with CARO_INSTALLER_GITHUB_BASE_URL"
                        .to_string()
                } else {
                    "check your network connection and the free space where the file is \
                     written, then run the command again"
                        .to_string()
                })
            }

            /// An HTTP answer that was neither success nor a 404 the caller could handle.
            #[error("`{url}` answered HTTP {status}")]
            HttpStatus {
                /// The URL requested.
                url: String,
                /// The status code.
                status: u16,
            }
            => help(invocation) {
                Some("the release host answered with an error: if it persists, check \
                CARO_INSTALLER_GITHUB_BASE_URL and CARO_INSTALL_REPO, or try again later"
                   .to_string())
            }

            /// The GitHub API refused with 403 or 429.
            #[error("the GitHub API rate limit was reached at `{url}`{}", reset.as_deref().map(|r| format!(" (resets at {r})")).unwrap_or_default())]
            RateLimited {
                /// The API URL.
                url: String,
                /// When the limit resets, from `x-ratelimit-reset`, as a UTC time.
                reset: Option<String>,
            }
            => help(invocation) {
                Some(format!(
                    "set CARO_GITHUB_TOKEN to a GitHub token to raise the limit, or pin a version \
                     with {} (which needs no API request)",
                    invocation.pin("<VERSION>")
                ))
            }

            /// A host that took every connection but never answered within the timeout, on
            /// every try: the network is down or filtered, or the host (a mirror) hangs.
            #[error("`{host}` did not answer within {seconds} s, asked {}: `{url}`", tries_text(*tries))]
            NoAnswer {
                /// The host and port waited on.
                host: String,
                /// The URL requested.
                url: String,
                /// `CARO_HTTP_TIMEOUT`, in seconds.
                seconds: u64,
                /// How many times it was asked.
                tries: u32,
            }
            => help(invocation) {
                Some(format!(
                    "the network may be down, or the host too slow or blocked from here: try \
                     again later, wait longer with CARO_HTTP_TIMEOUT (now {seconds} s), or use a \
                     mirror with CARO_INSTALLER_GITHUB_BASE_URL"
                ))
            }

        }
    };
}
