//! One integration-test binary: the real `caro-install` against a loopback release server,
//! file:// mirrors and real shells, each in a temp HOME.

mod common;

mod binstall;
mod cli;
mod dist;
mod hostile;
mod install;
mod path;
mod security;
mod signature;
mod snapshots;
mod update;
