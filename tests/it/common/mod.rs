//! Shared test helpers: the loopback release server and a fluent builder that runs the real
//! `caro-install` binary in a temp HOME with a clean environment.
//!
//! The builder hides what differs between Unix and Windows (in the spirit of rustup's
//! `src/test/clitools.rs`), so one test runs on both: the home variable (`HOME` or
//! `USERPROFILE`, plus `LOCALAPPDATA` and `TEMP` inside the temp dir on Windows), where caro
//! and its receipt go ([`Test::bin_dir`], [`Test::receipt_path`]), executable names
//! ([`exe`]). On Windows the user's Path lives in the registry, one
//! value for every test: so tests there run with `CARO_NO_MODIFY_PATH=1` unless they take
//! the registry with [`Test::registry`] (tests/it/windows.rs).

#[cfg(unix)] // used by the model and offline tests, Unix-only for now
pub mod bundle;
pub mod server;
pub mod tls;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use server::{Fault, Server, sha256_hex, stand_in, stand_in_padded};
pub use tls::Pki;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_caro-install");

/// A base URL that can never be reached (plain http to a non-loopback host is refused
/// before connecting), so a test that forgets to point at its server fails loudly.
const UNREACHABLE: &str = "http://caro-tests.invalid";

/// `name` as an executable file name on this OS: `caro`, or `caro.exe` on Windows.
pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// An example program (`caro`, `stand_in`, `dist`), built beside the binary under test.
///
/// `cargo test --test it` builds the binary under test but not the examples as programs
/// (and `--all-targets` builds them only as test harnesses), so the first call in a test
/// process runs `cargo build --examples` itself, with the cargo, manifest, target
/// directory and profile of this test build: an edit to the library is always what the
/// tests run, never an example left from an earlier build. When the examples are up to
/// date this costs cargo's freshness check, under a second.
///
/// Where the tests run under an emulator that cannot start cargo (Wine:
/// tests/windows/run.sh builds the examples just before `cargo test` and sets
/// `CARO_TEST_EXAMPLES=prebuilt`), the examples are taken as built.
#[track_caller]
pub fn example(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let profile_dir = Path::new(BIN).parent().unwrap();
    let prebuilt = std::env::var_os("CARO_TEST_EXAMPLES").is_some_and(|value| value == "prebuilt");
    if !prebuilt {
        if let Err(error) = BUILT.get_or_init(|| build_examples(profile_dir)) {
            panic!("{error}");
        }
    }
    let path = profile_dir.join("examples").join(exe(name));
    assert!(
        path.is_file(),
        "{} is missing: CARO_TEST_EXAMPLES=prebuilt is set, so the examples must be built \
         first (`cargo build --examples` with the same target and profile)",
        path.display()
    );
    path
}

/// Runs `cargo build --examples` into the target directory and profile that `profile_dir`
/// (`target/debug`, `target/release`, ...) belongs to.
fn build_examples(profile_dir: &Path) -> Result<(), String> {
    let target_dir = profile_dir.parent().unwrap();
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => "dev",
        Some(name) => name,
    };
    let cargo = env!("CARGO");
    let mut command = Command::new(cargo);
    // cargo gives this test process the variables it gives the crate (`CARGO_PKG_NAME`,
    // `CARGO_MANIFEST_DIR`, ...). Some build scripts (ring's) rerun when those change, so
    // passed on they would rebuild half the dependencies here, and again in the next
    // `cargo test`. Only the ones the user sets (`CARGO_HOME`, `CARGO_TARGET_DIR`, ...) stay.
    for (name, _) in std::env::vars_os() {
        if is_set_by_cargo_for_the_crate(&name.to_string_lossy()) {
            command.env_remove(&name);
        }
    }
    let output = command
        .args(["build", "--quiet", "--examples", "--profile", profile])
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("could not run `{cargo}` to build the examples: {error}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`cargo build --examples --profile {profile}` failed, so the tests that run an \
         example cannot:\n{}",
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Returns true if and only if cargo sets the variable `name` for the crate it builds and
/// runs (not for cargo itself to read).
fn is_set_by_cargo_for_the_crate(name: &str) -> bool {
    const PREFIXES: [&str; 4] = [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
    ];
    PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        || matches!(
            name,
            "CARGO_PRIMARY_PACKAGE" | "CARGO_TARGET_TMPDIR" | "OUT_DIR"
        )
}

/// The platform key of the machine the tests run on, as caro-install detects it for
/// itself (`self-update`).
pub const HOST_PLATFORM: &str = if cfg!(windows) {
    "windows-amd64"
} else {
    "linux-amd64"
};

/// A test: a temp directory with a HOME inside, and the command to run.
#[must_use]
pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    /// The user's Path this test holds ([`Test::edits_path`]).
    #[cfg(windows)]
    user_path: Option<crate::windows::UserPath>,
}

impl Test {
    /// A fresh temp HOME, a PATH of the test's own making (an empty `tools` folder that
    /// [`Test::tools`] fills), and no network base URL. Nothing the machine has installed
    /// (a Debian `cargo` in `/usr/bin`, say) is on it unless a test asks for it.
    pub fn new() -> Test {
        let dir = tempfile::Builder::new()
            .prefix("caro-it-")
            .tempdir()
            .expect("create a temp dir");
        fs::create_dir_all(dir.path().join("home")).unwrap();
        fs::create_dir_all(dir.path().join("tools")).unwrap();
        let home = dir.path().join("home").to_string_lossy().into_owned();
        let tools = dir.path().join("tools").to_string_lossy().into_owned();
        let mut env = BTreeMap::from([
            ("PATH".to_string(), tools),
            (
                "CARO_INSTALLER_GITHUB_BASE_URL".to_string(),
                UNREACHABLE.to_string(),
            ),
            (
                "CARO_INSTALLER_API_URL".to_string(),
                format!("{UNREACHABLE}/api"),
            ),
        ]);
        if cfg!(windows) {
            let local = dir.path().join(r"home\AppData\Local");
            let temp = dir.path().join("temp");
            fs::create_dir_all(&local).unwrap();
            fs::create_dir_all(&temp).unwrap();
            let temp = temp.to_string_lossy().into_owned();
            for (name, value) in [
                ("USERPROFILE", home),
                ("LOCALAPPDATA", local.to_string_lossy().into_owned()),
                ("TEMP", temp.clone()),
                ("TMP", temp),
                ("CARO_NO_MODIFY_PATH", "1".to_string()),
            ] {
                env.insert(name.to_string(), value);
            }
            // Windows programs need these to start networking and find system files.
            for name in ["SystemRoot", "windir"] {
                if let Some(value) = std::env::var_os(name) {
                    env.insert(name.to_string(), value.to_string_lossy().into_owned());
                }
            }
        } else {
            env.insert("HOME".to_string(), home);
        }
        Test {
            dir,
            args: Vec::new(),
            env,
            #[cfg(windows)]
            user_path: None,
        }
    }

    /// Points the base and API URLs at `server` (API under `/api`).
    pub fn server(self, server: &Server) -> Test {
        self.env("CARO_INSTALLER_GITHUB_BASE_URL", &server.url())
            .env("CARO_INSTALLER_API_URL", &format!("{}/api", server.url()))
    }

    pub fn arg(mut self, arg: impl AsRef<str>) -> Test {
        self.args.push(arg.as_ref().to_string());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Test {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// `--version VERSION --platform PLATFORM`: an install that asks no one for `latest`
    /// and detects nothing.
    pub fn pinned(self, version: &str, platform: &str) -> Test {
        self.args(["--version", version, "--platform", platform])
    }

    pub fn env(mut self, name: &str, value: &str) -> Test {
        self.env.insert(name.to_string(), value.to_string());
        self
    }

    /// Writes a file under the temp dir (creating parents); `path` is relative to it.
    pub fn write(self, path: &str, contents: impl AsRef<[u8]>) -> Test {
        write_file(&self.dir.path().join(path), contents);
        self
    }

    /// Lets caro-install edit the user's Path in the registry (tests/it/windows.rs), which
    /// the test proves it holds for itself with `held`.
    #[cfg(windows)]
    pub fn registry(mut self, held: &crate::windows::UserPath) -> Test {
        let _ = held;
        self.env.remove("CARO_NO_MODIFY_PATH");
        self
    }

    /// Lets caro-install configure PATH as it does for users: nothing to do on Unix (the
    /// temp HOME has the shell files); on Windows this test holds the user's Path in the
    /// registry until it ends, and gets back the value it found.
    pub fn edits_path(self) -> Test {
        #[cfg(windows)]
        {
            let held = crate::windows::UserPath::hold();
            let mut test = self.registry(&held);
            test.user_path = Some(held);
            test
        }
        #[cfg(not(windows))]
        self
    }

    /// Writes a file in the default install directory (an "old caro").
    pub fn write_bin(self, name: &str, contents: impl AsRef<[u8]>) -> Test {
        let path = self.bin_dir().join(name);
        write_file(&path, contents);
        self
    }

    /// Writes the receipt file, whatever `contents` holds.
    pub fn write_receipt(self, contents: impl AsRef<[u8]>) -> Test {
        write_file(&self.receipt_path(), contents);
        self
    }

    /// Puts the machine's `names` (shells, `mkdir`, ...) into the test's PATH folder,
    /// failing with the Debian package to install when one is missing.
    #[cfg(unix)]
    pub fn tools(self, names: &[&str]) -> Test {
        for name in names {
            let target = self.tools_dir().join(name);
            if target.exists() {
                continue;
            }
            std::os::unix::fs::symlink(system_tool(name), target).expect("link a tool");
        }
        self
    }

    /// The folder that is the test's PATH.
    pub fn tools_dir(&self) -> PathBuf {
        self.dir.path().join("tools")
    }

    /// The temp dir.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `$HOME`.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The default install directory: `$HOME/.local/bin`, or `%LOCALAPPDATA%\caro\bin`.
    pub fn bin_dir(&self) -> PathBuf {
        if cfg!(windows) {
            return self.caro_dir().join("bin");
        }
        self.home().join(".local/bin")
    }

    /// caro's configuration directory: `$HOME/.config/caro`, or `%LOCALAPPDATA%\caro`.
    pub fn caro_dir(&self) -> PathBuf {
        if cfg!(windows) {
            return self.home().join(r"AppData\Local\caro");
        }
        self.home().join(".config/caro")
    }

    /// The default receipt path.
    pub fn receipt_path(&self) -> PathBuf {
        self.caro_dir().join("caro-receipt.json")
    }

    /// The receipt as JSON.
    #[track_caller]
    pub fn receipt(&self) -> serde_json::Value {
        let text = fs::read_to_string(self.receipt_path()).expect("a receipt was written");
        serde_json::from_str(&text).expect("the receipt is JSON")
    }

    /// The command, ready to spawn (for tests that need the child process).
    pub fn command(&self) -> Command {
        self.command_with(&self.args)
    }

    /// The command with this test's environment and other arguments.
    pub fn command_with<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = self.program(BIN);
        command.args(args);
        command
    }

    /// Another program (an installed caro) with this test's environment, in its temp dir.
    pub fn program(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .envs(&self.env)
            .current_dir(self.dir.path());
        command
    }

    /// Runs the binary and returns what it did.
    pub fn run(&self) -> Output {
        self.run_args(&self.args)
    }

    /// Runs the binary with this test's environment and other arguments: a second command
    /// on the same HOME (`status`, `uninstall -y`).
    pub fn run_with(&self, args: &[&str]) -> Output {
        self.run_args(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    fn run_args(&self, args: &[String]) -> Output {
        let mut command = self.command_with(args);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Wine's CreateProcess now and then fails with ERROR_INTERNAL_ERROR (1359) under
        // load, before caro-install runs at all: only that is tried again, twice. Windows
        // itself does not do this, and any answer caro-install gives is taken as it is.
        let mut tries = 0;
        loop {
            match command.output() {
                Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < 2 => {
                    tries += 1
                }
                result => return result.expect("run caro-install").into(),
            }
        }
    }

    /// Runs the binary with a pseudo-terminal as stdin, stdout and stderr (through
    /// util-linux's `script`); everything it wrote comes back as stdout.
    #[cfg(unix)]
    pub fn run_in_terminal(&self) -> Output {
        self.run_in_terminal_with_input("")
    }

    /// Runs the binary on a pseudo-terminal, typing `input` at it (answers to prompts).
    #[cfg(unix)]
    pub fn run_in_terminal_with_input(&self, input: &str) -> Output {
        use std::io::Write;
        assert!(
            Path::new("/usr/bin/script").is_file(),
            "`script` is not installed: run `apt-get install bsdutils` (scripts/test.sh does)"
        );
        let quote = |word: &str| format!("'{}'", word.replace('\'', "'\\''"));
        let line: Vec<String> = std::iter::once(BIN)
            .chain(self.args.iter().map(String::as_str))
            .map(quote)
            .collect();
        let mut child = Command::new("/usr/bin/script")
            .args(["-qec", &line.join(" "), "/dev/null"])
            .env_clear()
            .envs(&self.env)
            .env("TERM", "xterm")
            .current_dir(self.dir.path())
            .stdin(if input.is_empty() {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run script");
        if let Some(mut stdin) = child.stdin.take() {
            // Typed after the program has had time to ask.
            std::thread::sleep(std::time::Duration::from_millis(500));
            stdin.write_all(input.as_bytes()).expect("type into script");
        }
        child.wait_with_output().expect("run script").into()
    }

    /// Lists every file under `dir` (relative paths with `/`, sorted), for "nothing else was
    /// written".
    pub fn tree(&self, dir: &Path) -> Vec<String> {
        let mut files = Vec::new();
        walk(dir, dir, &mut files);
        files.sort();
        files
    }
}

/// Where the machine has `name`, or a panic naming the Debian package that provides it.
#[cfg(unix)]
#[track_caller]
pub fn system_tool(name: &str) -> PathBuf {
    let package = match name {
        "sh" => "dash",
        "mkdir" | "chmod" | "cat" | "sleep" | "ls" | "mv" | "cp" | "rm" => "coreutils",
        "script" => "bsdutils",
        "setpriv" => "util-linux",
        other => other,
    };
    ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed: run `apt-get install {package}` (scripts/test.sh does)"
            )
        })
}

fn write_file(path: &Path, contents: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk(root, &path, files);
        } else {
            let relative: Vec<_> = path
                .strip_prefix(root)
                .unwrap()
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            files.push(relative.join("/"));
        }
    }
}

/// What a run printed and how it exited.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(output: std::process::Output) -> Output {
        Output {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Output {
    #[track_caller]
    pub fn code(self, expected: i32) -> Output {
        assert_eq!(
            self.code,
            Some(expected),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(self) -> Output {
        self.code(0)
    }

    #[track_caller]
    pub fn failure(self) -> Output {
        self.code(1)
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Output {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_lacks(self, needle: &str) -> Output {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Output {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Starts `count` copies of `command` at once and asserts every one succeeds.
#[track_caller]
pub fn run_concurrently(count: usize, command: impl Fn() -> Command) {
    let children: Vec<_> = (0..count)
        .map(|_| {
            command()
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn caro-install")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Runs an installed binary and returns its stdout.
#[track_caller]
pub fn run_installed(path: &Path, arg: &str) -> String {
    let output = output_of_new_file(Command::new(path).arg(arg))
        .unwrap_or_else(|e| panic!("run {}: {e}", path.display()));
    assert!(output.status.success(), "{} {arg} failed", path.display());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs a program the test has just written. Tests run in parallel threads, and a thread
/// that forks while this one still has the file open for writing holds it open in its
/// child until that child execs, so for a moment exec fails with "text file busy"
/// (ETXTBSY): that, and only that, is retried.
pub fn output_of_new_file(command: &mut Command) -> std::io::Result<std::process::Output> {
    let mut tries = 0;
    loop {
        match command.output() {
            Err(e) if e.raw_os_error() == Some(26) && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// Asserts that `dir` holds no temp file of caro-install.
#[track_caller]
pub fn assert_no_temp_files(dir: &Path) {
    let leftovers: Vec<_> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| {
                    name.starts_with(".caro-install-tmp-") || name.starts_with(".caro-tmp-")
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        leftovers.is_empty(),
        "temp files left in {}: {leftovers:?}",
        dir.display()
    );
}

/// The repository's `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A `file://` URL for a path: `file:///tmp/x`, or `file:///C:/x` on Windows.
pub fn file_url(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    match text.starts_with('/') {
        true => format!("file://{text}"),
        false => format!("file:///{text}"),
    }
}

/// Compares what users read with `tests/it/snapshots/<name>.txt`, so a change to a message
/// is a reviewed change: run with `UPDATE_SNAPSHOTS=1` to rewrite the file, then read the
/// diff. `replace` turns run-specific text (the temp HOME, the server's port) into names.
#[track_caller]
pub fn assert_snapshot(name: &str, actual: &str, replace: &[(&str, &str)]) {
    let mut text = actual.to_string();
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &text).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    assert_eq!(
        text, expected,
        "{name} changed (run with UPDATE_SNAPSHOTS=1 to accept)"
    );
}
