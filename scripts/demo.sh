#!/usr/bin/env bash
# The main job, offline: build caro-install, then install caro from the fixture mirror in
# fixtures/mirror (a file:// copy of a GitHub release layout) into a throwaway HOME under
# target/demo, and run the installed caro. Extra arguments go to caro-install
# (try `--version 1.0.2`, `--dry-run` or `-v`).
set -euo pipefail
cd "$(dirname "$0")/.."

# ring compiles C: a machine with only rustup's Rust may have no C compiler yet.
# shellcheck source=scripts/lib/needs.sh
. scripts/lib/needs.sh
need_packages "the demo" cc:gcc

# Only the binary, with cargo's own progress: a first build on a small machine takes
# a minute or more, and a silent one looks hung.
if [ ! -x target/debug/caro-install ]; then
    echo "==> building caro-install (the first build compiles its dependencies: about a minute on 2 cores)" >&2
fi
cargo build --bin caro-install
demo="$PWD/target/demo"
rm -rf "$demo"
mkdir -p "$demo/home"

export HOME="$demo/home"
export CARO_INSTALLER_GITHUB_BASE_URL="file://$PWD/fixtures/mirror"
unset XDG_CONFIG_HOME ZDOTDIR CARO_INSTALL_DIR CARO_UNMANAGED_INSTALL

./target/debug/caro-install "$@"

if [ -x "$HOME/.local/bin/caro" ]; then
    echo
    echo "\$ $HOME/.local/bin/caro"
    "$HOME/.local/bin/caro"
    echo
    echo "files written under the demo HOME ($HOME):"
    (cd "$HOME" && find . -type f | sort | sed 's|^\./|  |')
fi
