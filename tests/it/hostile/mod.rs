//! The adversarial suite, one file per class of attacker or input (docs/security.md names
//! the classes, who may write what, and the entry points each file covers). The helpers the
//! classes share live here.

use std::fs;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::process::Stdio;
#[cfg(unix)]
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::common::*;

mod home;
mod interrupt;
// Modes, symlinks, ownership and locks of Unix.
#[cfg(unix)]
mod local_user;
mod mirror;
mod network;
mod output;
mod secrets;
mod values;

const CARO: &str = "wildcard/caro";

fn pinned_yes(test: Test) -> Test {
    test.pinned("1.0.3", "linux-amd64")
        .args(["--no-modify-path", "-y"])
}

fn https_release(pki: &Pki) -> Server {
    let server = Server::start_tls("127.0.0.1", pki);
    server.caro("1.0.3", "linux-amd64");
    server
}

fn pinned(test: Test) -> Test {
    test.pinned("1.0.3", "linux-amd64").arg("--no-modify-path")
}

#[cfg(unix)]
/// A stand-in caro big enough to be caught mid-download.
fn big_stand_in(version: &str) -> Vec<u8> {
    let mut body = stand_in(version);
    body.extend(std::iter::repeat_n(b'#', 200_000));
    body.push(b'\n');
    body
}

#[cfg(unix)]
/// Waits (bounded) for caro-install's temp file to appear in `dir` and returns it.
#[track_caller]
fn wait_for_temp_file(dir: &Path, child: &mut Child) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().contains(".caro-install-tmp-"))
        });
        if let Some(path) = found {
            return path;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "caro-install ended before its download began"
        );
        assert!(Instant::now() < deadline, "no temp file appeared in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
/// Puts `evil` at `path` by rename, as another user with write access to the folder could.
fn swap_in(path: &Path, evil: &[u8]) {
    let staged = path.with_extension("evil");
    fs::write(&staged, evil).unwrap();
    fs::set_permissions(&staged, fs::Permissions::from_mode(0o755)).unwrap();
    fs::rename(&staged, path).unwrap();
}

#[cfg(unix)]
fn finish(child: Child) -> Output {
    child.wait_with_output().unwrap().into()
}

#[cfg(unix)]
fn spawn(test: &Test, args: &[&str]) -> Child {
    test.command_with(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[cfg(unix)]
fn installed(server: &Server) -> Test {
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .tools(&["sh"])
        .server(server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y");
    test.run().success();
    test
}

#[cfg(unix)]
fn edit_receipt(test: &Test, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut receipt = test.receipt();
    edit(&mut receipt);
    fs::write(test.receipt_path(), receipt.to_string()).unwrap();
}

#[cfg(unix)]
fn installed_with(server: &Server, setup: impl FnOnce(Test) -> Test) -> Test {
    server.caro("1.0.3", "linux-amd64");
    let test = setup(
        Test::new()
            .tools(&["sh"])
            .server(server)
            .pinned("1.0.3", "linux-amd64")
            .arg("-y"),
    );
    test.run().success();
    test
}

/// Runs `test` with `args`, failing the test (instead of hanging it) if caro-install is
/// still running after 30 s: for files that would block a plain open or read.
#[cfg(unix)]
#[track_caller]
fn run_bounded(test: &Test, args: &[&str]) -> Output {
    let mut child = spawn(test, args);
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("caro-install {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    finish(child)
}

/// Makes a FIFO at `path` (creating its folder): a plain open of it blocks until a writer
/// comes, which never does.
#[cfg(unix)]
fn make_fifo(path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new(system_tool("mkfifo"))
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}
