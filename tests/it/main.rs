//! One integration-test binary: the real `caro-install` against a loopback release server,
//! file:// mirrors and real shells, each in a temp HOME.

mod common;

mod api;
mod binstall;
mod bundles;
// nuget, skopeo, umoci and ruby from Debian.
#[cfg(unix)]
mod channels;
mod cli;
#[cfg(unix)] // bash, zsh and fish
mod completions;
mod dist;
mod help;
// By class of attacker; the Unix-only cases (file modes, symlinks, signals) are marked.
mod hostile;
mod install;
#[cfg(unix)] // the managers' layouts, symlinks and shims are simulated as on Unix
mod managers;
mod messages;
// Model bundles: XDG folders, inodes, signals and RLIMIT_FSIZE; the Windows half is to write.
#[cfg(unix)]
mod models;
#[cfg(unix)] // FIFOs and shell stand-ins; the Windows half is to write
mod offline;
#[cfg(unix)] // sh, bash, zsh and fish startup files
mod path;
#[cfg(unix)] // tcsh, csh, xonsh, elvish and nushell startup files
mod shells;
mod signature;
#[cfg(unix)] // the snapshots hold Unix paths and shell advice; Windows ones are still to take
mod snapshots;
mod update;
#[cfg(unix)] // FIFOs, device nodes, file owners
mod user_files;
mod waiting;
#[cfg(windows)]
mod windows;
#[cfg(unix)] // shell stand-ins and Unix paths in edited receipts
mod written;
