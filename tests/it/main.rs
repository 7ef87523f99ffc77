//! One integration-test binary: the real `caro-install` against a loopback release server,
//! file:// mirrors and real shells, each in a temp HOME.

mod common;

mod binstall;
mod cli;
mod dist;
// By class of attacker; the Unix-only cases (file modes, symlinks, signals) are marked.
mod hostile;
mod install;
#[cfg(unix)] // sh, bash, zsh and fish startup files
mod path;
mod signature;
#[cfg(unix)] // the snapshots hold Unix paths and shell advice; Windows ones are still to take
mod snapshots;
mod update;
#[cfg(windows)]
mod windows;
