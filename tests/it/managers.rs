//! A caro that a package manager installed is that manager's to update: pnpm, Yarn and
//! Homebrew (macOS and Linuxbrew) installs, each simulated as the manager lays it out (a
//! fake tree in a temp HOME, a link or shim on PATH), from `caro-install update` and from
//! caro's own `self-update` through the library.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::common::*;

/// pnpm's global bin shim (written by @zkochan/cmd-shim): a script, not a link.
const PNPM_SHIM: &str = r#"#!/bin/sh
basedir=$(dirname "$(echo "$0" | sed -e 's,\\,/,g')")

case `uname` in
    *CYGWIN*) basedir=`cygpath -w "$basedir"`;;
esac

if [ -x "$basedir/node" ]; then
  exec "$basedir/node"  "$basedir/global/5/node_modules/@wildcard/caro/bin/caro" "$@"
else
  exec node  "$basedir/global/5/node_modules/@wildcard/caro/bin/caro" "$@"
fi
"#;

/// The platform package's binary inside pnpm's global store.
const PNPM_STORE_BINARY: &str = ".local/share/pnpm/global/5/node_modules/.pnpm/@wildcard+caro-linux-x64@1.2.0/node_modules/@wildcard/caro-linux-x64/bin/caro";

fn write(path: &Path, contents: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

fn link(target: &Path, link: &Path) {
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// `caro-install update` with no receipt and PATH = the test's tools, then `bin`.
fn update_with_path(test: &Test, bin: &Path) -> Output {
    let path = format!("{}:{}", test.tools_dir().display(), bin.display());
    let output = test
        .command_with(&["update"])
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Output::from(output)
}

#[test]
fn a_pnpm_global_caro_is_left_to_pnpm() {
    let test = Test::new();
    let pnpm_home = test.home().join(".local/share/pnpm");
    write(&test.home().join(PNPM_STORE_BINARY), "binary");
    let package = pnpm_home.join("global/5/node_modules/@wildcard/caro");
    write(&package.join("bin/caro"), "#!/usr/bin/env node\n");
    write(&pnpm_home.join("caro"), PNPM_SHIM);
    update_with_path(&test, &pnpm_home)
        .failure()
        .stderr_has("was installed by pnpm, so pnpm updates it: `pnpm update -g @wildcard/caro`")
        .stderr_lacks("no install receipt")
        .stderr_lacks("curl");
}

#[test]
fn a_yarn_global_caro_is_left_to_yarn() {
    let test = Test::new();
    let package = test
        .home()
        .join(".config/yarn/global/node_modules/@wildcard/caro");
    write(&package.join("bin/caro"), "#!/usr/bin/env node\n");
    let bin = test.home().join(".yarn/bin");
    link(&package.join("bin/caro"), &bin.join("caro"));
    update_with_path(&test, &bin)
        .failure()
        .stderr_has(
            "was installed by Yarn, so Yarn updates it: `yarn global upgrade @wildcard/caro`",
        )
        .stderr_lacks("no install receipt");
}

#[test]
fn project_installs_name_their_managers_project_command() {
    for (lockfile, command) in [
        ("pnpm-lock.yaml", "pnpm update @wildcard/caro"),
        ("yarn.lock", "yarn upgrade @wildcard/caro"),
        ("package-lock.json", "npm update @wildcard/caro"),
    ] {
        let test = Test::new();
        let project = test.home().join("project");
        write(&project.join(lockfile), "");
        let package = project.join("node_modules/@wildcard/caro");
        write(&package.join("bin/caro"), "#!/usr/bin/env node\n");
        let bin = project.join("node_modules/.bin");
        link(Path::new("../@wildcard/caro/bin/caro"), &bin.join("caro"));
        update_with_path(&test, &bin)
            .failure()
            .stderr_has(&format!("`{command} (in the project that depends on it)`"));
    }
}

#[test]
fn homebrew_on_macos_and_linuxbrew_are_left_to_brew() {
    for prefix in ["opt/homebrew", "usr/local", "home/linuxbrew/.linuxbrew"] {
        let test = Test::new();
        let prefix = test.root().join(prefix);
        let cellar = prefix.join("Cellar/caro/1.2.0/bin/caro");
        write(&cellar, "binary");
        link(
            Path::new("../Cellar/caro/1.2.0/bin/caro"),
            &prefix.join("bin/caro"),
        );
        update_with_path(&test, &prefix.join("bin"))
            .failure()
            .stderr_has("was installed by Homebrew, so Homebrew updates it: `brew upgrade caro`");
    }
}

/// The `caro` example (plays caro 1.0.3) copied to `path`.
fn place_caro(path: &Path) -> PathBuf {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::copy(example("caro"), path).unwrap();
    path.to_path_buf()
}

#[test]
fn caro_itself_names_the_pnpm_and_yarn_commands() {
    for (relative, command) in [
        (PNPM_STORE_BINARY, "pnpm update -g @wildcard/caro"),
        (
            ".config/yarn/global/node_modules/@wildcard/caro-linux-x64/bin/caro",
            "yarn global upgrade @wildcard/caro",
        ),
    ] {
        let test = Test::new();
        let caro = place_caro(&test.home().join(relative));
        let output =
            output_of_new_file(test.program(&caro).arg("self-update").stdin(Stdio::null()))
                .unwrap();
        let output = Output::from(output).failure();
        output
            .stderr_has(&format!("`{command}`"))
            .stderr_lacks("caro-install");
        assert_eq!(fs::read(&caro).unwrap(), fs::read(example("caro")).unwrap());
    }
}
