//! npm packages for a release: the packaging side of the npm channel, beside [`crate::dist`].
//!
//! JavaScript users reach Rust CLIs through npm as one main package with an optional
//! dependency per platform. npm installs only the platform package whose `os`, `cpu` and
//! `libc` fields match the machine, and a small wrapper in the main package finds it and
//! runs its binary. This module lays out those packages from the assets [`dist::package`]
//! wrote, so the npm channel ships the very bytes (and digests) of the GitHub release:
//!
//! ```text
//! OUT/wildcard-caro-linux-x64/    @wildcard/caro-linux-x64    os linux, cpu x64, libc glibc
//!     package.json, bin/caro
//! OUT/wildcard-caro-darwin-arm64/ @wildcard/caro-darwin-arm64 (the MLX build, macos-silicon)
//! ...
//! OUT/wildcard-caro/              @wildcard/caro: optionalDependencies pin every one above
//!     package.json, README.md, release.json, bin/caro.js (the wrapper, npm/wrapper.js)
//! OUT/publish-order               the directories, platform packages first, main last
//! ```
//!
//! ## Why the table is generated
//!
//! The wrapper has to map `process.platform`, `process.arch` and the C library to a platform
//! key exactly as the installer does, or npm users would get another build than curl users.
//! So it holds no table of its own: [`node_targets`] runs the installer's pure
//! [`choose`] over every machine Node describes, and the result goes into `release.json`
//! beside the wrapper, together with each build's package name and sha256 from the release.
//! The wrapper checks the binary against that digest before the first run: the digest
//! travels in the main package, so a platform package that was swapped or altered on disk
//! cannot vouch for itself.
//!
//! ## Names
//!
//! The main packages are `@wildcard/caro` and the unscoped `caro-install` (so that
//! `npx caro-install` works); see `release::npm_package`. Platform packages are
//! `@wildcard/{name}-{os}-{cpu}` with Node's spellings (`linux-x64`, `darwin-arm64`,
//! `win32-x64`) and `-musl` for musl builds: the suffix reads as what npm matches on, and
//! the scope means only the project can publish a package the main one depends on.
//!
//! Every version comes from the one release version given to [`plan`]; [`plan`] checks
//! every manifest against it, and against what an earlier run left in the output
//! directory, before [`write()`] touches a file.
//!
//! One file per question: `targets.rs` (which package serves which machine), `plan.rs`
//! (what each package holds, and the version checks), `write.rs` (laying them on disk).
//!
//! [`dist::package`]: crate::dist::package
//! [`choose`]: crate::platform::choose

mod plan;
mod targets;
mod write;

pub use plan::{
    BuildData, Contents, INSTALL_UNIX, INSTALL_WINDOWS, Manifest, Package, RELEASE_FILE,
    ReleaseData, Repository, WRAPPER, binary_path_variable, check, plan,
};
pub use targets::{
    NodeTarget, SCOPE, TargetRow, node_target, node_targets, package_dir, platform_package,
};
pub use write::{PUBLISH_ORDER_FILE, check_output, write};

use crate::error::Error;

fn invalid(input: &str, reason: &str) -> Error {
    Error::InvalidRelease {
        input: input.to_string(),
        reason: reason.to_string(),
    }
}
