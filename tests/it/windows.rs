//! Windows for real: `caro-install.exe` and caro's stand-ins (real Windows programs: the
//! `stand_in` and `caro` examples) against the loopback release server, with the user's
//! Path in the registry. Natively on the GitHub windows job; here under Wine
//! (tests/windows/run.sh).
//!
//! `HKCU\Environment\Path` is one value for the whole run, so every test that reads or
//! writes it holds [`UserPath`]: it sets the value the test starts from and puts back
//! the one it found (a developer's own Path survives a test run).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use winreg::enums::{HKEY_CURRENT_USER, KEY_READ, KEY_WRITE, RegType};
use winreg::{RegKey, RegValue};

use crate::common::*;

const PLATFORM: &str = "windows-amd64";

static REGISTRY: Mutex<()> = Mutex::new(());

/// The user's Path, held by one test at a time.
pub struct UserPath {
    _held: MutexGuard<'static, ()>,
    found: Option<RegValue>,
}

fn environment() -> RegKey {
    RegKey::predef(HKEY_CURRENT_USER)
        .open_subkey_with_flags("Environment", KEY_READ | KEY_WRITE)
        .expect("open HKCU\\Environment")
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect()
}

impl UserPath {
    /// Takes the registry as it is, to give back at the end.
    pub fn hold() -> UserPath {
        let held = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        UserPath {
            _held: held,
            found: environment().get_raw_value("Path").ok(),
        }
    }

    /// Takes the registry and sets the user's Path to `value` of type `vtype`.
    fn set(value: &str, vtype: RegType) -> UserPath {
        let held = UserPath::hold();
        let bytes = utf16(value);
        environment()
            .set_raw_value("Path", &RegValue { bytes, vtype })
            .unwrap();
        held
    }

    /// The value now and its type.
    #[track_caller]
    fn now(&self) -> (String, RegType) {
        let value = environment()
            .get_raw_value("Path")
            .expect("the user's Path is set");
        let units: Vec<u16> = value
            .bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        let text = String::from_utf16_lossy(&units);
        (text.trim_end_matches('\0').to_string(), value.vtype)
    }
}

impl Drop for UserPath {
    fn drop(&mut self) {
        let _ = match self.found.take() {
            Some(value) => environment().set_raw_value("Path", &value),
            None => environment().delete_value("Path"),
        };
    }
}

/// A user's Path with an expandable entry, an empty one and a trailing backslash.
const USERS_PATH: &str = r"C:\Tools;%USERPROFILE%\bin;;C:\Other\";

/// Publishes a real Windows caro `version` (`caro-{V}-windows-amd64.exe`).
fn publish(server: &Server, version: &str) {
    server.asset(
        "wildcard/caro",
        version,
        &format!("caro-{version}-{PLATFORM}.exe"),
        &stand_in(version),
    );
}

fn caro_exe(test: &Test) -> PathBuf {
    test.bin_dir().join("caro.exe")
}

fn installer_exe(test: &Test) -> PathBuf {
    test.bin_dir().join("caro-install.exe")
}

/// Runs `program` with the test's environment.
fn run(test: &Test, program: &Path, args: &[&str]) -> Output {
    test.program(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
        .into()
}

/// Every file under `dir`, or none when it does not exist.
fn files(test: &Test, dir: &Path) -> Vec<String> {
    test.tree(dir)
}

/// Waits (up to 20 s) until `dir` holds exactly the files `expected` names, then asserts
/// it: what a process deleting itself after its exit leaves takes a moment to go.
#[track_caller]
fn assert_settles_to(test: &Test, dir: &Path, expected: &[&str]) {
    let start = Instant::now();
    while files(test, dir) != expected && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(files(test, dir), expected, "in {}", dir.display());
}

/// Waits (up to 20 s) until `dir` holds no file, then asserts it.
#[track_caller]
fn assert_empties(test: &Test, dir: &Path) {
    assert_settles_to(test, dir, &[]);
}

fn temp_dir(test: &Test) -> PathBuf {
    test.root().join("temp")
}

#[test]
fn install_prepends_the_user_path_once_and_uninstall_restores_it() {
    let user_path = UserPath::set(USERS_PATH, RegType::REG_EXPAND_SZ);
    let server = Server::start();
    publish(&server, "1.0.3");
    server.latest("1.0.3");
    let test = Test::new().server(&server).registry(&user_path).arg("-y");
    let bin = test.bin_dir();
    test.run()
        .success()
        .stderr_has(&format!("added {} to your user Path", bin.display()));
    let prepended = format!("{};{USERS_PATH}", bin.display());
    assert_eq!(user_path.now(), (prepended.clone(), RegType::REG_EXPAND_SZ));
    assert_eq!(run_installed(&caro_exe(&test), "--version"), "caro 1.0.3\n");
    assert_eq!(files(&test, &bin), ["caro-install.exe", "caro.exe"]);
    let receipt = test.receipt();
    assert_eq!(receipt["platform"], PLATFORM);
    assert_eq!(receipt["path_edits"][0]["path"], r"HKCU\Environment\Path");

    test.run().success();
    assert_eq!(
        user_path.now().0,
        prepended,
        "a second install adds no entry"
    );

    run(&test, &installer_exe(&test), &["status"])
        .success()
        .stdout_has(&format!(
            "caro 1.0.3 ({PLATFORM}) at {}",
            caro_exe(&test).display()
        ));

    // The installed copy uninstalls everything, itself included.
    let output = run(&test, &installer_exe(&test), &["uninstall", "-y"]).success();
    assert!(!output.stderr.contains(r"\\?\"), "{}", output.stderr);
    assert_eq!(
        user_path.now(),
        (USERS_PATH.to_string(), RegType::REG_EXPAND_SZ)
    );
    assert!(
        !test.caro_dir().exists(),
        "{:?}",
        files(&test, &test.caro_dir())
    );
    assert_empties(&test, &temp_dir(&test));
}

#[test]
fn uninstall_restores_a_path_that_was_unset() {
    let user_path = UserPath::set("", RegType::REG_EXPAND_SZ);
    environment().delete_value("Path").unwrap();
    let server = Server::start();
    publish(&server, "1.0.3");
    let test = Test::new()
        .server(&server)
        .registry(&user_path)
        .args(["--version", "1.0.3", "-y"]);
    test.run().success();
    assert_eq!(user_path.now().0, test.bin_dir().display().to_string());
    test.run_with(&["uninstall", "-y"]).success();
    assert!(environment().get_raw_value("Path").is_err());
    assert!(!test.caro_dir().exists());
}

#[test]
fn no_modify_path_and_unmanaged_installs_leave_the_registry_alone() {
    let user_path = UserPath::set(USERS_PATH, RegType::REG_EXPAND_SZ);
    let server = Server::start();
    publish(&server, "1.0.3");
    let test = Test::new().server(&server).registry(&user_path).args([
        "--version",
        "1.0.3",
        "-y",
        "--no-modify-path",
    ]);
    test.run().success().stderr_has(&format!(
        "is not on PATH; add it, or run caro as {}",
        caro_exe(&test).display()
    ));
    assert_eq!(user_path.now().0, USERS_PATH);
    assert_eq!(test.receipt()["modify_path"], false);

    let ci = test.root().join("ci");
    let unmanaged = Test::new()
        .server(&server)
        .registry(&user_path)
        .args(["--version", "1.0.3", "-y"])
        .env("CARO_UNMANAGED_INSTALL", ci.to_str().unwrap());
    unmanaged.run().success();
    assert_eq!(files(&unmanaged, &ci), ["caro.exe"]);
    assert!(
        !unmanaged.caro_dir().exists(),
        "no receipt, no copy of caro-install"
    );
    assert_eq!(user_path.now().0, USERS_PATH);
}

#[test]
fn uninstall_with_nothing_installed_asks_nothing() {
    let user_path = UserPath::set(USERS_PATH, RegType::REG_EXPAND_SZ);
    let test = Test::new().registry(&user_path);
    let output = test.run_with(&["uninstall"]).success();
    assert!(
        format!("{}{}", output.stdout, output.stderr).contains("nothing to remove"),
        "{output:?}"
    );
    assert_eq!(user_path.now().0, USERS_PATH);
}

#[test]
fn a_caro_in_the_system_path_is_reported_at_install() {
    let user_path = UserPath::set(USERS_PATH, RegType::REG_EXPAND_SZ);
    let server = Server::start();
    publish(&server, "1.0.3");
    let test = Test::new();
    let system = test.root().join("system");
    let path = format!("{};{}", test.tools_dir().display(), system.display());
    let test = test
        .server(&server)
        .registry(&user_path)
        .args(["--version", "1.0.3", "-y"])
        .env("PATH", &path)
        .write("system/caro.exe", stand_in("0.9.0"));
    test.run().success().stderr_has(&format!(
        "another caro at {} comes first on PATH",
        system.join("caro.exe").display()
    ));
}

/// caro 1.0.3 installed (PATH left alone), then 1.1.0 published as latest.
fn installed_then_released(server: &Server) -> Test {
    publish(server, "1.0.3");
    let test = Test::new()
        .server(server)
        .args(["--version", "1.0.3", "-y", "--no-modify-path"]);
    test.run().success();
    publish(server, "1.1.0");
    server.latest("1.1.0");
    test
}

/// Starts the installed caro and leaves it running until the returned child's stdin closes.
fn start_caro(test: &Test) -> Child {
    test.program(caro_exe(test))
        .arg("--wait")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn update_replaces_a_running_caro_and_a_later_run_removes_the_old_one() {
    let server = Server::start();
    let test = installed_then_released(&server);
    let relocated = test
        .bin_dir()
        .join(".caro-install.abcdefghij.__relocated__.exe");
    fs::write(&relocated, "left by self-replace").unwrap();
    let mut running = start_caro(&test);
    test.run_with(&["update"])
        .success()
        .stderr_has("updated caro 1.0.3 -> 1.1.0");
    assert_eq!(run_installed(&caro_exe(&test), "--version"), "caro 1.1.0\n");
    assert!(!relocated.exists(), "self-replace's leftover is removed");
    drop(running.stdin.take());
    assert!(running.wait().unwrap().success(), "the old caro ran on");
    test.run_with(&["update"])
        .success()
        .stderr_has("caro 1.1.0 is up to date");
    assert_eq!(
        files(&test, &test.bin_dir()),
        ["caro-install.exe", "caro.exe"]
    );
}

#[test]
fn self_update_replaces_the_running_exe_and_the_old_one_goes() {
    let server = Server::start();
    let test = installed_then_released(&server);
    server.installer("9.9.9", PLATFORM);
    run(&test, &installer_exe(&test), &["self-update"])
        .success()
        .stderr_has(&format!(
            "updated caro-install {} -> 9.9.9 at {}",
            env!("CARGO_PKG_VERSION"),
            installer_exe(&test).display()
        ));
    assert_eq!(
        run_installed(&installer_exe(&test), "-V"),
        "caro-install 9.9.9\n"
    );
    assert_settles_to(&test, &test.bin_dir(), &["caro-install.exe", "caro.exe"]);
    assert_empties(&test, &temp_dir(&test));
}

#[test]
fn caro_self_update_through_the_library() {
    let server = Server::start();
    let test = installed_then_released(&server);
    fs::copy(example("caro"), caro_exe(&test)).unwrap();
    let output = run(&test, &caro_exe(&test), &["self-update"]).success();
    assert_eq!(
        output.stdout,
        format!(
            "updated caro 1.0.3 -> 1.1.0 at {}\n",
            caro_exe(&test).display()
        )
    );
    assert_eq!(run_installed(&caro_exe(&test), "--version"), "caro 1.1.0\n");
    assert_eq!(test.receipt()["version"], "1.1.0");
    assert_settles_to(&test, &test.bin_dir(), &["caro-install.exe", "caro.exe"]);
    assert_empties(&test, &temp_dir(&test));
}

#[test]
fn an_installer_holding_the_lock_makes_the_next_one_wait() {
    use std::os::windows::fs::OpenOptionsExt;
    let server = Server::start();
    publish(&server, "1.0.3");
    let test = Test::new()
        .server(&server)
        .args(["--version", "1.0.3", "-y", "--no-modify-path"]);
    fs::create_dir_all(test.bin_dir()).unwrap();
    // As caro-install opens it: shared, deleted when the last holder closes it.
    let lock = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .access_mode(0x8000_0000 | 0x4000_0000 | 0x0001_0000) // read, write, delete
        .share_mode(7)
        .custom_flags(0x0400_0000) // FILE_FLAG_DELETE_ON_CLOSE
        .open(test.bin_dir().join(".caro-install.lock"))
        .unwrap();
    lock.lock().unwrap();
    let child = test.command().stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !caro_exe(&test).exists(),
        "nothing is placed while the lock is held"
    );
    drop(lock);
    let output: Output = child.wait_with_output().unwrap().into();
    output
        .success()
        .stderr_has("waiting for another caro-install working in");
    assert_eq!(
        files(&test, &test.bin_dir()),
        ["caro-install.exe", "caro.exe"]
    );
}

#[test]
fn help_names_the_windows_default_directory() {
    // The install options' help (the top level points there).
    Test::new()
        .args(["install", "--help"])
        .run()
        .success()
        .stdout_has(r"[default: %LOCALAPPDATA%\caro\bin]");
}

#[test]
fn an_entry_caros_old_installer_appended_is_taken_over_and_removed_by_uninstall() {
    let server = Server::start();
    publish(&server, "1.0.3");
    server.latest("1.0.3");
    let held = UserPath::hold();
    let test = Test::new().server(&server).registry(&held).arg("-y");
    drop(held);
    // caro's install.ps1 did `SetEnvironmentVariable("Path", "$userPath;$installDir", "User")`.
    let old = format!(r"C:\Tools;{}", test.bin_dir().display());
    let user_path = UserPath::set(&old, RegType::REG_SZ);
    test.run()
        .success()
        .stderr_has("as caro's old installer left it");
    assert_eq!(user_path.now().0, old, "no second entry");
    let receipt = test.receipt();
    assert_eq!(receipt["path_edits"][0]["path"], r"HKCU\Environment\Path");
    test.run().success();
    assert_eq!(
        test.receipt()["path_edits"].as_array().unwrap().len(),
        1,
        "recorded once"
    );
    run(&test, &installer_exe(&test), &["uninstall", "-y"]).success();
    assert_eq!(user_path.now().0, r"C:\Tools");
}
