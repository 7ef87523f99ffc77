#!/usr/bin/env bash
# Installs nushell, which Debian bookworm does not package, for the PATH tests
# (tests/it/shells.rs): the npm package `nushell`, whose platform package carries the
# real `nu` binary, into ~/.cache/caro-install-shells (override with CARO_SHELL_TOOLS),
# once. node and npm come from Debian (nodejs npm) through scripts/lib/needs.sh.
#
# Usage: bash tests/shells/install-nu.sh   (scripts/test.sh runs it before cargo test)
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=scripts/lib/needs.sh
. scripts/lib/needs.sh

# 0.101 is the first nushell with user autoload folders; this one is tested.
NUSHELL_VERSION=0.115.1
TOOLS=${CARO_SHELL_TOOLS:-$HOME/.cache/caro-install-shells}

say() { printf '==> %s\n' "$*"; }
err() {
    printf 'error: %s\n' "$1" >&2
    [ $# -lt 2 ] || printf 'help: %s\n' "$2" >&2
    exit 1
}

installed_version() {
    node -p 'require(process.argv[1]).version' "$TOOLS/node_modules/nushell/package.json" 2>/dev/null
}

main() {
    need_packages "nushell's installer" node:nodejs npm:npm
    if [ "$(installed_version)" = "$NUSHELL_VERSION" ]; then
        return 0
    fi
    say "installing nushell $NUSHELL_VERSION from the npm registry into $TOOLS"
    mkdir -p "$TOOLS" || err "cannot create $TOOLS" "set CARO_SHELL_TOOLS to a writable directory"
    [ -f "$TOOLS/package.json" ] || printf '%s\n' '{"private": true}' >"$TOOLS/package.json"
    (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error "nushell@$NUSHELL_VERSION") ||
        err "could not install nushell@$NUSHELL_VERSION from the npm registry" \
            "check that the npm registry is reachable, or run \`npm install nushell@$NUSHELL_VERSION\` in $TOOLS"
    set -- "$TOOLS"/node_modules/@nushell/*/bin/nu
    [ -x "$1" ] || err "the npm package nushell@$NUSHELL_VERSION brought no nu for this platform" \
        "see $TOOLS/node_modules/@nushell for what was installed"
    say "nu $("$1" --version) at $1"
}

main "$@" || exit 1
