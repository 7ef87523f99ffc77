//! One integration-test binary: the real `caro-install` against a loopback release server,
//! file:// mirrors and real shells, each in a temp HOME.

mod common;

mod binstall;
mod cli;
mod dist;
mod hostile;
mod install;
#[cfg(unix)] // sh, bash, zsh and fish startup files
mod path;
mod security;
mod signature;
mod snapshots;
mod update;
#[cfg(windows)]
mod windows;
