#!/usr/bin/env bash
# The npm channel, tested for real and offline: a verdaccio registry on 127.0.0.1 with no
# uplinks (nothing leaves the machine), the packages `dist --npm` lays out from the fixture
# release, published with scripts/npm-publish.sh, installed with `npm install -g` into temp
# prefixes and run through the wrapper.
#
# verdaccio comes from the npm registry into ~/.cache/caro-install-npm (override with
# CARO_NPM_TOOLS), once; node and npm must be installed (Debian: nodejs npm; installed
# with apt-get when running as root). Every npm command runs with its own HOME, PATH,
# user config, cache and registry under a temp dir. Prints `N passed, M failed` last.
#
# Usage: bash tests/npm/run.sh   (from anywhere; builds what it needs with cargo)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
REPO=$(pwd)

# 6.5 is the last line that runs on Node 18 (Debian bookworm's nodejs); 6.9 on needs 22.
VERDACCIO_VERSION=6.5.2
TOOLS=${CARO_NPM_TOOLS:-$HOME/.cache/caro-install-npm}
passed=0
failed=0

say() { printf '\n==> %s\n' "$*"; }
err() {
    printf 'error: %s\n' "$1" >&2
    [ $# -lt 2 ] || printf 'help: %s\n' "$2" >&2
    exit 1
}

# ok NAME: records a pass; bad NAME DETAIL: records a failure and shows the detail.
ok() {
    passed=$((passed + 1))
    printf 'ok    %s\n' "$1"
}
bad() {
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "$1"
    [ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/      /'
}

# expect NAME STATUS PATTERN... : the last command (run with `run`) exited with STATUS and
# its output (stdout and stderr together) holds every fixed-string PATTERN.
expect() {
    local name=$1 status=$2
    shift 2
    if [ "$last_status" != "$status" ]; then
        bad "$name" "exit status $last_status, expected $status; output:
$last_output"
        return
    fi
    local pattern
    for pattern in "$@"; do
        if ! grep -qF -- "$pattern" <<<"$last_output"; then
            bad "$name" "output lacks \`$pattern\`; output:
$last_output"
            return
        fi
    done
    ok "$name"
}

# not_in_output NAME TEXT: the last command's output does not hold TEXT.
not_in_output() {
    if grep -qF -- "$2" <<<"$last_output"; then
        bad "$1" "output holds \`$2\`:
$last_output"
    else
        ok "$1"
    fi
}

# no_raw_controls NAME: the last command's output holds no control character but newline,
# no C1 control or bidirectional override, and no line that claims to be an error of ours
# (`error: forged line`).
no_raw_controls() {
    if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" <<<"$last_output" ||
        grep -q "$(printf '\302\233')\|$(printf '\342\200\256')" <<<"$last_output" ||
        grep -q '^error: forged line' <<<"$last_output"; then
        bad "$1" "$(od -c <<<"$last_output" | head -20)"
    else
        ok "$1"
    fi
}

# run CMD...: runs CMD in the test environment (see `sandbox`), keeping status and output.
run() {
    last_output=$(sandbox "$@" 2>&1)
    last_status=$?
}

# sandbox CMD...: CMD with only the environment the tests build: HOME, PATH, npm's config.
# It execs, so call it in a subshell: `$(sandbox ...)` or `sandbox ... &`, whose $! is then
# the command's own pid.
sandbox() {
    exec env -i \
        HOME="$T/home" PATH="$TEST_PATH" LANG=C.UTF-8 \
        npm_config_userconfig="$T/npmrc" npm_config_globalconfig="$T/global-npmrc" \
        npm_config_cache="$T/npm-cache" npm_config_registry="$REGISTRY" \
        npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
        npm_config_loglevel=warn npm_config_yes=true \
        ${EXTRA_ENV:+"${EXTRA_ENV[@]}"} "$@"
}

# shellcheck source=scripts/lib/needs.sh
. "$REPO/scripts/lib/needs.sh"

need_tools() {
    need_packages "the npm tests" node:nodejs npm:npm curl:curl
    VERDACCIO="$TOOLS/node_modules/verdaccio/bin/verdaccio"
    local installed
    installed=$(node -p 'require(process.argv[1]).version' "$TOOLS/node_modules/verdaccio/package.json" 2>/dev/null)
    if [ ! -f "$VERDACCIO" ] || [ "$installed" != "$VERDACCIO_VERSION" ]; then
        say "installing verdaccio $VERDACCIO_VERSION from the npm registry into $TOOLS"
        mkdir -p "$TOOLS" || err "cannot create $TOOLS" "set CARO_NPM_TOOLS to a writable directory"
        # verdaccio-audit asks for node-fetch's `cjs` dist-tag, which not every registry
        # mirror carries; 2.7.0 is that line.
        printf '%s\n' '{"private": true, "overrides": {"node-fetch": "2.7.0"}}' >"$TOOLS/package.json"
        # Debian bookworm's npm (9.2) cannot read that dist-tag at all ("Invalid comparator:
        # cjs"), overrides or not: a new machine installs verdaccio with npm 10, which that
        # npm installs fine, into a folder of its own. The tests themselves keep the
        # machine's npm, as a user would.
        local installer=(npm)
        if [ "$(npm --version | cut -d. -f1)" -lt 10 ]; then
            say "npm $(npm --version) cannot install verdaccio: installing npm 10 into $TOOLS/npm for that"
            mkdir -p "$TOOLS/npm"
            # A package.json of its own, or npm would install into the folder above.
            printf '%s\n' '{"private": true}' >"$TOOLS/npm/package.json"
            (cd "$TOOLS/npm" && npm install --no-audit --no-fund --loglevel=error npm@10) ||
                err "could not install npm@10 from the npm registry" "check that the npm registry is reachable"
            installer=(node "$TOOLS/npm/node_modules/npm/bin/npm-cli.js")
        fi
        (cd "$TOOLS" && "${installer[@]}" install --no-audit --no-fund --loglevel=error "verdaccio@$VERDACCIO_VERSION") ||
            err "could not install verdaccio@$VERDACCIO_VERSION from the npm registry" \
                "check that the npm registry is reachable, or run \`npm install verdaccio@$VERDACCIO_VERSION\` in $TOOLS"
    fi
}

build() {
    say "building caro-install, the dist command and the caro stand-in"
    cargo build --quiet --bin caro-install --example dist --example caro || err "cargo build failed"
    CARO_INSTALL="$REPO/target/debug/caro-install"
    DIST="$REPO/target/debug/examples/dist"
    CARO_EXAMPLE="$REPO/target/debug/examples/caro"
}

start_registry() {
    PORT=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
    REGISTRY="http://127.0.0.1:$PORT/"
    mkdir -p "$T/verdaccio"
    # No `uplinks` and no `proxy`: a package this registry lacks is a 404, never a fetch.
    cat >"$T/verdaccio/config.yaml" <<EOF
storage: $T/verdaccio/storage
auth:
  htpasswd:
    file: $T/verdaccio/htpasswd
    max_users: 10
packages:
  '@*/*':
    access: \$all
    publish: \$authenticated
  '**':
    access: \$all
    publish: \$authenticated
publish:
  allow_offline: true
# Debug builds of caro-install are tens of MiB.
max_body_size: 500mb
log: { type: stdout, format: pretty, level: warn }
EOF
    env -i HOME="$T/home" PATH="$TEST_PATH" node "$VERDACCIO" --config "$T/verdaccio/config.yaml" \
        --listen "127.0.0.1:$PORT" >"$T/verdaccio.log" 2>&1 &
    VERDACCIO_PID=$!
    local i
    for i in $(seq 1 100); do
        curl -fsS "${REGISTRY}-/ping" >/dev/null 2>&1 && break
        kill -0 "$VERDACCIO_PID" 2>/dev/null || err "verdaccio stopped: $(cat "$T/verdaccio.log")"
        sleep 0.2
    done
    [ "$i" -lt 100 ] || err "verdaccio did not answer on $REGISTRY in 20 s: $(cat "$T/verdaccio.log")"
    local token
    token=$(curl -fsS -X PUT -H 'content-type: application/json' \
        -d '{"name": "publisher", "password": "publisher-password"}' \
        "${REGISTRY}-/user/org.couchdb.user:publisher" |
        node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).token)') ||
        err "could not create a user on the test registry: $(cat "$T/verdaccio.log")"
    printf 'registry=%s\n//127.0.0.1:%s/:_authToken=%s\n' "$REGISTRY" "$PORT" "$token" >"$T/npmrc"
    : >"$T/global-npmrc"
}

cleanup() {
    if [ -n "${VERDACCIO_PID:-}" ]; then
        kill "$VERDACCIO_PID" 2>/dev/null
        wait "$VERDACCIO_PID" 2>/dev/null
    fi
    if [ -n "${CARO_NPM_KEEP:-}" ]; then
        printf 'kept %s\n' "${T:-}"
    elif [ -n "${T:-}" ]; then
        rm -rf "$T"
    fi
}

# layout NAME VERSION OUT KEY=PATH...: runs dist into OUT/release and OUT/npm.
layout() {
    local name=$1 version=$2 out=$3
    shift 3
    "$DIST" --name "$name" --version "$version" --out "$out/release" --npm "$out/npm" "$@" >"$out.log" 2>&1 ||
        err "dist failed for $name $version: $(cat "$out.log")"
}

# fixture_builds VERSION: KEY=PATH for every binary of the fixture release vVERSION.
fixture_builds() {
    local dir="$REPO/fixtures/mirror/wildcard/caro/releases/download/v$1" file key
    for file in "$dir"/caro-"$1"-*; do
        case "$file" in *.sha256) continue ;; esac
        key=${file##*/caro-"$1"-}
        key=${key%.exe}
        printf '%s=%s\n' "$key" "$file"
    done
}

# fake_node FILE PLATFORM ARCH REPORT LIB: a --require preload that makes Node describe
# another machine, so the wrapper can be driven from this one whatever this one is.
# REPORT is what process.report.getReport() returns (JSON), or `none` for a Node without
# process.report; LIB is what the wrapper reads as the listing of /lib (a JSON array), or
# `none` for no /lib. `ldd` is faked apart, on the PATH (see fake_ldd).
fake_node() {
    local report="{ excludeNetwork: false, getReport: () => ($4) }" lib=$5
    [ "$4" != none ] || report=undefined
    [ "$lib" != none ] || lib=null
    cat >"$1" <<EOF
Object.defineProperty(process, "platform", { value: "$2" });
Object.defineProperty(process, "arch", { value: "$3" });
Object.defineProperty(process, "report", { value: $report });
const fs = require("fs");
const readdirSync = fs.readdirSync;
const lib = $lib;
fs.readdirSync = function (dir, ...rest) {
  if (dir !== "/lib") return readdirSync.call(this, dir, ...rest);
  if (lib === null) throw Object.assign(new Error("ENOENT: no such file or directory, scandir '/lib'"), { code: "ENOENT" });
  return lib.slice();
};
EOF
}

# What a glibc and a musl machine show at each stage the wrapper asks, as npm asks them.
GLIBC_REPORT='{ "header": { "glibcVersionRuntime": "2.36" }, "sharedObjects": ["/lib/x86_64-linux-gnu/libc.so.6"] }'
MUSL_REPORT='{ "header": {}, "sharedObjects": ["/lib/ld-musl-x86_64.so.1", "/usr/lib/libstdc++.so.6"] }'
NEITHER_REPORT='{ "header": {}, "sharedObjects": ["/usr/lib/libstdc++.so.6"] }'
GLIBC_LIB='["x86_64-linux-gnu", "ld-linux-x86-64.so.2"]'
MUSL_LIB='["ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1"]'

# fake_ldd: directories to use as the whole PATH of a wrapper run (node is run by its
# absolute path): $T/ldd/glibc and $T/ldd/musl hold an `ldd` that answers as glibc's and
# musl's do, $T/ldd/odd one that names neither, $T/ldd/hangs one that never answers, and
# $T/ldd/none no ldd at all.
fake_ldd() {
    mkdir -p "$T/ldd/glibc" "$T/ldd/musl" "$T/ldd/odd" "$T/ldd/hangs" "$T/ldd/none"
    printf '#!/bin/sh\necho "ldd (Debian GLIBC 2.36-9+deb12u4) 2.36"\necho "Copyright (C) 2022 Free Software Foundation, Inc."\n' >"$T/ldd/glibc/ldd"
    printf '#!/bin/sh\necho "musl libc (x86_64)" >&2\necho "Version 1.2.4" >&2\nexit 1\n' >"$T/ldd/musl/ldd"
    printf '#!/bin/sh\necho "ldd: unrecognized option --version" >&2\nexit 1\n' >"$T/ldd/odd/ldd"
    printf '#!/bin/sh\nexec sleep 30\n' >"$T/ldd/hangs/ldd"
    chmod +x "$T/ldd/glibc/ldd" "$T/ldd/musl/ldd" "$T/ldd/odd/ldd" "$T/ldd/hangs/ldd"
}

# fake_machine FILE PLATFORM ARCH LIBC: a whole glibc or musl machine (every stage agrees);
# for LIBC `-` (macOS, Windows, where the wrapper asks for no libc) glibc's facts all the
# same. Sets FAKE_PATH for its ldd.
fake_machine() {
    if [ "$4" = musl ]; then
        fake_node "$1" "$2" "$3" "$MUSL_REPORT" "$MUSL_LIB"
        FAKE_PATH=$T/ldd/musl
    else
        fake_node "$1" "$2" "$3" "$GLIBC_REPORT" "$GLIBC_LIB"
        FAKE_PATH=$T/ldd/glibc
    fi
}

# as_machine PRELOAD LDD-DIR WRAPPER ARGS...: runs WRAPPER (with `run`) as the machine the
# preload fakes, with only LDD-DIR on PATH.
as_machine() {
    local preload=$1 ldd=$2
    shift 2
    local saved_env=("${EXTRA_ENV[@]}")
    EXTRA_ENV+=("PATH=$ldd")
    run "$NODE" --require "$preload" "$@"
    EXTRA_ENV=("${saved_env[@]}")
}

test_layout_and_publish() {
    say "layout: dist --npm from the fixture release, and the publish script"
    mapfile -t builds < <(fixture_builds 1.1.0)
    layout caro 1.1.0 "$T/caro-1.1.0" "${builds[@]}"
    NPM110="$T/caro-1.1.0/npm"

    run node --check "$NPM110/wildcard-caro/bin/caro.js"
    expect "the wrapper dist wrote is valid JavaScript for this Node" 0
    local requires
    requires=$(grep -o 'require("[^"]*")' "$REPO/npm/wrapper.js" | LC_ALL=C sort -u | tr '\n' ' ')
    if [ "$(wc -c <"$REPO/npm/wrapper.js")" -lt 20000 ] &&
        [ "$requires" = 'require("../release.json") require("child_process") require("crypto") require("fs") require("os") require("path") ' ]; then
        ok "the wrapper is small and needs nothing but Node's own modules"
    else
        bad "the wrapper is small and needs nothing but Node's own modules" "$requires"
    fi

    run sh "$REPO/scripts/npm-publish.sh" --dry-run "$NPM110"
    expect "dry run packs and checks every package, publishes nothing" 0 \
        "checked @wildcard/caro-linux-x64@1.1.0" "checked @wildcard/caro@1.1.0" "nothing was published"
    run npm view @wildcard/caro@1.1.0 version
    expect "the dry run published nothing" 1 "E404"

    cp -r "$NPM110" "$T/broken"
    printf 'x' >>"$T/broken/wildcard-caro-linux-arm64/bin/caro"
    run sh "$REPO/scripts/npm-publish.sh" --dry-run "$T/broken"
    expect "the dry run refuses a binary whose digest is not release.json's" 1 \
        "linux-arm64: " "release.json records"
    rm -rf "$T/broken"

    # A platform package whose own version is not the one the main package pins.
    cp -r "$NPM110" "$T/skewed"
    node -e 'const fs = require("fs"), f = process.argv[1], j = JSON.parse(fs.readFileSync(f, "utf8")); j.version = "1.1.1"; fs.writeFileSync(f, JSON.stringify(j, null, 2))' \
        "$T/skewed/wildcard-caro-linux-arm64/package.json"
    run sh "$REPO/scripts/npm-publish.sh" "$T/skewed"
    expect "publishing refuses a platform package whose version is not the main package's pin" 1 \
        "@wildcard/caro@1.1.0 pins @wildcard/caro-linux-arm64 at 1.1.0, but wildcard-caro-linux-arm64/package.json is @wildcard/caro-linux-arm64@1.1.1" \
        "nothing was published"
    run npm view @wildcard/caro-linux-x64@1.1.0 version
    expect "...before publishing anything, even the packages before it" 1 "E404"
    rm -rf "$T/skewed"
    cp -r "$NPM110" "$T/skewed"
    rm -rf "$T/skewed/wildcard-caro-win32-x64"
    grep -vx wildcard-caro-win32-x64 "$NPM110/publish-order" >"$T/skewed/publish-order"
    run sh "$REPO/scripts/npm-publish.sh" --dry-run "$T/skewed"
    expect "...or a set that lacks a platform package the main package pins" 1 \
        "pins @wildcard/caro-win32-x64 at 1.1.0, which is not in this set"
    rm -rf "$T/skewed"
    cp -r "$NPM110" "$T/skewed"
    node -e 'const fs = require("fs"), f = process.argv[1], j = JSON.parse(fs.readFileSync(f, "utf8")); delete j.preferUnplugged; fs.writeFileSync(f, JSON.stringify(j, null, 2))' \
        "$T/skewed/wildcard-caro-darwin-arm64/package.json"
    run sh "$REPO/scripts/npm-publish.sh" --dry-run "$T/skewed"
    expect "...or a platform package without preferUnplugged (Yarn PnP)" 1 \
        '@wildcard/caro-darwin-arm64@1.1.0 lacks "preferUnplugged": true'
    rm -rf "$T/skewed"

    run sh "$REPO/scripts/npm-publish.sh" "$NPM110"
    expect "publishes every package" 0 "publishing @wildcard/caro@1.1.0 (dist-tag latest)"
    local order
    order=$(grep -o 'publishing [^ ]*' <<<"$last_output" | tail -n 1)
    if [ "$order" = "publishing @wildcard/caro@1.1.0" ] &&
        [ "$(grep -c 'publishing @wildcard/caro-' <<<"$last_output")" = "$(($(wc -l <"$NPM110/publish-order") - 1))" ]; then
        ok "platform packages are published first, the main package last"
    else
        bad "platform packages are published first, the main package last" "$last_output"
    fi
    run sh "$REPO/scripts/npm-publish.sh" "$NPM110"
    expect "a second run skips what the registry has" 0 \
        "skipping @wildcard/caro-linux-x64@1.1.0: already published" "skipping @wildcard/caro@1.1.0: already published"
    run npm view @wildcard/caro@1.1.0 optionalDependencies --json
    expect "the main package pins the platform packages to its version" 0 \
        '"@wildcard/caro-linux-x64": "1.1.0"' '"@wildcard/caro-darwin-arm64": "1.1.0"'
    run npm view @wildcard/caro-linux-x64-musl@1.1.0 preferUnplugged
    expect "platform packages ask Yarn PnP to unpack them (preferUnplugged)" 0 "true"
}

test_install_and_run() {
    say "npm install -g @wildcard/caro, and caro through the wrapper"
    local prefix="$T/prefix-main"
    run npm install -g --prefix "$prefix" @wildcard/caro@1.1.0
    expect "npm install -g @wildcard/caro from the loopback registry" 0
    run "$prefix/bin/caro" --version
    expect "caro --version runs the verified binary" 0 "caro 1.1.0"
    local modules="$prefix/lib/node_modules/@wildcard/caro/node_modules/@wildcard"
    # npm 10 reads the platform packages' `libc` field; Debian bookworm's npm 9.2 does not
    # and installs both Linux packages, after which the wrapper picks by its own detection.
    local other_libc_skipped=1
    [ "$(npm --version | cut -d. -f1)" -ge 10 ] || other_libc_skipped=0
    if [ -d "$modules/caro-linux-x64" ] && [ ! -e "$modules/caro-darwin-arm64" ] &&
        { [ "$other_libc_skipped" = 0 ] || [ ! -e "$modules/caro-linux-x64-musl" ]; }; then
        ok "npm installed only this machine's platform package"
    else
        bad "npm installed only this machine's platform package" "$(ls "$modules" 2>&1)"
    fi
    local binary="$modules/caro-linux-x64/bin/caro"
    if grep -qF "$(sha256sum "$binary" | cut -d' ' -f1)" "$binary.verified" 2>/dev/null; then
        ok "the first run leaves a marker keyed by the digest beside the binary"
    else
        bad "the first run leaves a marker keyed by the digest beside the binary" "$(ls -la "${binary%/*}")"
    fi
    if [ "$(find "${binary%/*}" -mindepth 1 | LC_ALL=C sort | tr '\n' ' ')" = "$binary $binary.verified " ]; then
        ok "...written through a temp file that is gone"
    else
        bad "...written through a temp file that is gone" "$(ls -la "${binary%/*}")"
    fi
    run "$prefix/bin/caro" --version
    expect "a second run (marker in place) runs it" 0 "caro 1.1.0"
    test_marker "$prefix" "$binary"

    printf '\n# tampered\n' >>"$binary"
    run "$prefix/bin/caro" --version
    expect "a tampered binary refuses to run, even with a marker from before" 1 \
        "refusing to run \`$binary\`" "recorded $(node -e 'console.log(require(process.argv[1]).builds["linux-amd64"].sha256)' "$prefix/lib/node_modules/@wildcard/caro/release.json")" \
        "npm install -g @wildcard/caro@1.1.0 --force"
    if grep -q "caro 1.1.0" <<<"$last_output"; then
        bad "the tampered binary did not run" "$last_output"
    else
        ok "the tampered binary did not run"
    fi
}

# test_marker PREFIX BINARY: what is at the marker's path is never written through, and
# a marker never vouches for a binary changed after it was written.
test_marker() {
    local prefix=$1 binary=$2 marker=$2.verified
    say "the verification marker: atomic, never through a symlink"
    printf 'precious\n' >"$T/victim"
    rm -f "$marker"
    ln -s "$T/victim" "$marker"
    run "$prefix/bin/caro" --version
    expect "a symlink planted at the marker's path: the binary is checked and runs" 0 "caro 1.1.0"
    if [ "$(cat "$T/victim")" = precious ] && [ -L "$marker" ]; then
        ok "...and the symlink's target is not written, nor the symlink replaced"
    else
        bad "...and the symlink's target is not written, nor the symlink replaced" "$(cat "$T/victim"; ls -la "$marker")"
    fi
    rm -f "$marker"
    ln -s "$T/made-by-wrapper" "$marker"
    run "$prefix/bin/caro" --version
    expect "a dangling symlink at the marker's path: the binary runs" 0 "caro 1.1.0"
    if [ ! -e "$T/made-by-wrapper" ]; then
        ok "...and no file appears where it points"
    else
        bad "...and no file appears where it points" "$(ls -la "$T/made-by-wrapper")"
    fi
    rm -f "$marker"
    mkfifo "$marker"
    run timeout 20 "$prefix/bin/caro" --version
    expect "a FIFO at the marker's path neither blocks the wrapper nor is replaced" 0 "caro 1.1.0"
    if [ -p "$marker" ]; then ok "...the FIFO is still there"; else bad "...the FIFO is still there" "$(ls -la "$marker")"; fi
    rm -f "$marker"
    run "$prefix/bin/caro" --version
    if [ -f "$marker" ] && [ ! -L "$marker" ]; then
        ok "a regular marker is written again once the path is free"
    else
        bad "a regular marker is written again once the path is free" "$(ls -la "${binary%/*}")"
    fi

    # Changed in place, same size, its modification time put back: the marker's stamp
    # holds the change time and inode too, which cannot be put back.
    cp -p "$binary" "$T/original-binary"
    touch -r "$binary" "$T/mtime"
    printf 'X' | dd of="$binary" bs=1 seek=3 conv=notrunc status=none
    touch -r "$T/mtime" "$binary"
    run "$prefix/bin/caro" --version
    expect "a binary changed after its marker (same size, mtime restored) refuses to run" 1 \
        "refusing to run \`$binary\`"
    cp -p "$T/original-binary" "$binary"
    run "$prefix/bin/caro" --version
    expect "...and runs again once it is the published file" 0 "caro 1.1.0"
}

test_missing_optional_and_unsupported() {
    say "--omit=optional, and machines npm has no build for"
    # In a project: npm 11 still installs optional dependencies of a global (-g) install.
    local project="$T/project-omit"
    mkdir -p "$project"
    printf '%s\n' '{"name": "omits-optional", "private": true}' >"$project/package.json"
    run npm install --prefix "$project" --omit=optional @wildcard/caro@1.1.0
    expect "npm install --omit=optional succeeds" 0
    run "$project/node_modules/.bin/caro" --version
    expect "a missing platform package names the package to install and the one-liner" 1 \
        "the package @wildcard/caro-linux-x64@1.1.0, which holds caro for linux-amd64, is not installed" \
        "npm install -g @wildcard/caro-linux-x64@1.1.0" "--omit=optional" \
        "curl --proto '=https' --tlsv1.2 -fsSL https://github.com/wildcard/caro-install/releases/latest/download/install.sh | sh"

    local wrapper="$T/prefix-main/lib/node_modules/@wildcard/caro/bin/caro.js"
    fake_machine "$T/freebsd.js" freebsd x64 -
    as_machine "$T/freebsd.js" "$FAKE_PATH" "$wrapper" --version
    expect "an unsupported machine says so, with what is built and the one-liner" 1 \
        "has no caro build for freebsd x64" "caro is built for: linux-amd64" \
        "install.sh | sh" "cargo install caro --locked"
    fake_machine "$T/win-arm.js" win32 arm64 -
    as_machine "$T/win-arm.js" "$FAKE_PATH" "$project/node_modules/@wildcard/caro/bin/caro.js" --version
    expect "Windows on ARM without an arm64 build looks for the x86_64 one" 1 \
        "the package @wildcard/caro-win32-x64@1.1.0, which holds caro for windows-amd64, is not installed" \
        "install.ps1 | iex"
    run npm view @wildcard/caro-win32-x64@1.1.0 cpu --json
    expect "...and npm installs that package on arm64 too" 0 '"x64"' '"arm64"'

    # Every row of the generated table leads the wrapper to the package dist made for it,
    # on a machine faked whole (process.report, ldd, /lib), so a row means the same on any
    # machine, musl installed or not.
    local rows platform arch libc key package
    rows=$(node -e 'for (const t of require(process.argv[1]).targets) console.log([t.platform, t.arch, t.libc || "-", t.key].join(" "))' \
        "$T/prefix-main/lib/node_modules/@wildcard/caro/release.json")
    while read -r platform arch libc key; do
        package="@wildcard/caro-$platform-$arch"
        [ "$libc" != musl ] || package="$package-musl"
        fake_machine "$T/row.js" "$platform" "$arch" "$libc"
        as_machine "$T/row.js" "$FAKE_PATH" "$project/node_modules/@wildcard/caro/bin/caro.js"
        if [ "$key" = windows-arm64 ]; then
            # The fixture release has no arm64 build for Windows: the x86_64 one runs there.
            expect "table row $platform $arch -> $key (the x86_64 build)" 1 \
                "the package @wildcard/caro-win32-x64@1.1.0, which holds caro for windows-amd64, is not installed"
        else
            expect "table row $platform $arch${libc/#-/} -> $key" 1 \
                "the package $package@1.1.0, which holds caro for $key, is not installed"
        fi
    done <<<"$rows"
    if [ "$(wc -l <<<"$rows")" = 8 ]; then
        ok "the generated table has 8 rows"
    else
        bad "the generated table has 8 rows" "$rows"
    fi
}

# libc_row NAME REPORT LIB LDD-DIR LIBC: on linux x64 showing REPORT, LIB and the ldd of
# LDD-DIR, the wrapper decides LIBC (it asks for that libc's package).
libc_row() {
    local package=@wildcard/caro-linux-x64
    [ "$5" != musl ] || package=$package-musl
    fake_node "$T/stage.js" linux x64 "$2" "$3"
    as_machine "$T/stage.js" "$4" "$T/project-omit/node_modules/@wildcard/caro/bin/caro.js" --version
    expect "libc: $1 -> $5" 1 "the package $package@1.1.0, which holds caro for linux-amd64${package#*x64}, is not installed"
}

test_libc_detection() {
    say "libc is decided as npm decides it: process.report, then ldd, then /lib"
    # Each row makes the stage under test the only one that says what it decides; every
    # later stage says the opposite.
    libc_row "process.report's glibcVersionRuntime decides first" \
        '{ "header": { "glibcVersionRuntime": "2.36" }, "sharedObjects": ["/lib/ld-musl-x86_64.so.1"] }' \
        "$MUSL_LIB" "$T/ldd/musl" glibc
    libc_row "then an ld-musl entry of its sharedObjects" "$MUSL_REPORT" "$GLIBC_LIB" "$T/ldd/glibc" musl
    libc_row "...or a libc.musl entry" '{ "header": {}, "sharedObjects": ["/lib/libc.musl-aarch64.so.1"] }' \
        "$GLIBC_LIB" "$T/ldd/glibc" musl
    libc_row "then \`ldd --version\` naming musl (on stderr)" "$NEITHER_REPORT" "$GLIBC_LIB" "$T/ldd/musl" musl
    libc_row "...or naming glibc" "$NEITHER_REPORT" "$MUSL_LIB" "$T/ldd/glibc" glibc
    libc_row "...the same without process.report (old Node)" none "$GLIBC_LIB" "$T/ldd/musl" musl
    libc_row "...or when getReport() throws" \
        '(() => { throw new Error("report failed"); })()' "$GLIBC_LIB" "$T/ldd/musl" musl
    libc_row "then the loader files, when ldd names neither" "$NEITHER_REPORT" "$MUSL_LIB" "$T/ldd/odd" musl
    libc_row "...or there is no ldd" none "$MUSL_LIB" "$T/ldd/none" musl
    libc_row "glibc when nothing shows musl" none "$GLIBC_LIB" "$T/ldd/none" glibc
    libc_row "glibc when there is not even a /lib" none none "$T/ldd/none" glibc
    local started=$SECONDS
    libc_row "an ldd that never answers is given up on" "$NEITHER_REPORT" "$MUSL_LIB" "$T/ldd/hangs" musl
    if [ $((SECONDS - started)) -lt 10 ]; then
        ok "...within seconds ($((SECONDS - started)) s)"
    else
        bad "...within seconds" "it took $((SECONDS - started)) s"
    fi

    say "the other libc's package installed, or another platform's"
    # npm, on this (glibc) machine, installed the glibc package; the wrapper finds musl.
    # Made so whatever npm did: an npm that ignores `libc` installed the musl package too.
    cp -a "$T/prefix-main" "$T/prefix-glibc"
    rm -rf "$T/prefix-glibc/lib/node_modules/@wildcard/caro/node_modules/@wildcard/caro-linux-x64-musl"
    local wrapper="$T/prefix-glibc/lib/node_modules/@wildcard/caro/bin/caro.js"
    fake_machine "$T/musl.js" linux x64 musl
    as_machine "$T/musl.js" "$FAKE_PATH" "$wrapper" --version
    expect "musl here, npm installed the glibc package: both named, and the fix" 1 \
        "this machine's C library is musl (from process.report's sharedObjects)" \
        "npm installed @wildcard/caro-linux-x64@1.1.0 (for glibc) instead of @wildcard/caro-linux-x64-musl@1.1.0" \
        "npm install -g --force @wildcard/caro-linux-x64-musl@1.1.0"
    not_in_output "...and blames no --omit=optional" "--omit=optional"
    fake_node "$T/musl-ldd.js" linux x64 none "$GLIBC_LIB"
    as_machine "$T/musl-ldd.js" "$T/ldd/musl" "$wrapper" --version
    expect "...the message says which fact decided" 1 "this machine's C library is musl (from \`ldd --version\`)"
    local fixed="$T/project-fixed"
    mkdir -p "$fixed"
    printf '%s\n' '{"name": "fixed", "private": true}' >"$fixed/package.json"
    run npm install --prefix "$fixed" @wildcard/caro@1.1.0
    expect "npm install @wildcard/caro in a project (npm takes this machine for glibc)" 0
    run npm install --prefix "$fixed" --force @wildcard/caro-linux-x64-musl@1.1.0
    expect "...the fix the message names installs the musl package all the same" 0
    as_machine "$T/musl.js" "$T/ldd/musl" "$fixed/node_modules/@wildcard/caro/bin/caro.js"
    expect "...after which the musl machine runs the musl build" 0 "a stand-in build for linux-amd64-musl"

    # node_modules made by hand, as a copy from elsewhere would be.
    local copied="$T/copied/node_modules/@wildcard"
    mkdir -p "$copied"
    cp -r "$NPM110/wildcard-caro" "$copied/caro"
    cp -r "$NPM110/wildcard-caro-linux-x64-musl" "$copied/caro-linux-x64-musl"
    fake_machine "$T/glibc.js" linux x64 glibc
    as_machine "$T/glibc.js" "$FAKE_PATH" "$copied/caro/bin/caro.js" --version
    expect "glibc here, the musl package installed: both named, and the fix" 1 \
        "this machine's C library is glibc (from process.report's glibcVersionRuntime)" \
        "npm installed @wildcard/caro-linux-x64-musl@1.1.0 (for musl) instead of @wildcard/caro-linux-x64@1.1.0" \
        "npm install -g --force @wildcard/caro-linux-x64@1.1.0"

    rm -rf "$copied/caro-linux-x64-musl"
    cp -r "$NPM110/wildcard-caro-darwin-arm64" "$copied/caro-darwin-arm64"
    as_machine "$T/glibc.js" "$FAKE_PATH" "$copied/caro/bin/caro.js" --version
    expect "node_modules from a Mac says it was installed for another platform, with the fix" 1 \
        "@wildcard/caro-darwin-arm64@1.1.0 is installed for another platform (darwin arm64)" \
        "this machine is linux x64 with glibc and needs @wildcard/caro-linux-x64@1.1.0" \
        "reinstall on this machine: npm install -g @wildcard/caro@1.1.0"
    not_in_output "...and blames no --omit=optional" "--omit=optional"
    node -e 'const fs = require("fs"), f = process.argv[1], j = JSON.parse(fs.readFileSync(f, "utf8"));
        j.version = "1.1.0\u001b[2J\nerror: forged line"; j.cpu = ["arm64\u001b]0;pwned\u0007\u202e"]; fs.writeFileSync(f, JSON.stringify(j))' \
        "$copied/caro-darwin-arm64/package.json"
    as_machine "$T/glibc.js" "$FAKE_PATH" "$copied/caro/bin/caro.js" --version
    expect "...its package.json, if hostile, is shown escaped" 1 \
        '@wildcard/caro-darwin-arm64@1.1.0\x1b[2J\x0aerror: forged line is installed for another platform (darwin arm64\x1b]0;pwned\x07\u{202e})'
    no_raw_controls "...no control character, bidi override or forged line reaches the terminal"
    rm -rf "$copied/caro-darwin-arm64"
    cp -r "$NPM110/wildcard-caro-linux-x64" "$copied/caro-linux-x64"
    fake_machine "$T/win.js" win32 x64 -
    as_machine "$T/win.js" "$FAKE_PATH" "$copied/caro/bin/caro.js" --version
    expect "node_modules from WSL, run by Windows' Node, says so too" 1 \
        "@wildcard/caro-linux-x64@1.1.0 is installed for another platform (linux x64 with glibc)" \
        "this machine is win32 x64 and needs @wildcard/caro-win32-x64@1.1.0"
}

test_exit_codes_and_signals() {
    say "exit codes, signals and arguments pass through; a pre-release is tagged next"
    cat >"$T/stand-in" <<'EOF'
#!/bin/sh
case "${1:-}" in
  --version) echo "caro 2.0.0-rc.1" ;;
  exit) exit "$2" ;;
  args) shift; for a in "$@"; do printf '[%s]\n' "$a"; done ;;
  sleep) trap 'echo got TERM >&2; trap - TERM; kill -TERM $$' TERM; sleep 30 & wait ;;
  die) kill -s "$2" $$; sleep 5 ;;
esac
EOF
    chmod +x "$T/stand-in"
    layout caro 2.0.0-rc.1 "$T/caro-rc" "linux-amd64=$T/stand-in"
    run sh "$REPO/scripts/npm-publish.sh" "$T/caro-rc/npm"
    expect "a pre-release is published under the dist-tag next" 0 "publishing @wildcard/caro@2.0.0-rc.1 (dist-tag next)"
    run npm view @wildcard/caro dist-tags.latest
    expect "latest stays the last release" 0 "1.1.0"

    local prefix="$T/prefix-rc"
    run npm install -g --prefix "$prefix" @wildcard/caro@2.0.0-rc.1
    expect "npm install -g @wildcard/caro@2.0.0-rc.1" 0
    fake_machine "$T/win-x64.js" win32 x64 -
    as_machine "$T/win-x64.js" "$FAKE_PATH" "$prefix/lib/node_modules/@wildcard/caro/bin/caro.js" --version
    expect "a platform key this release lacks offers the PowerShell one-liner on Windows" 1 \
        "caro 2.0.0-rc.1 was not published for windows-amd64" "caro 2.0.0-rc.1 is built for: linux-amd64" \
        "irm https://github.com/wildcard/caro-install/releases/latest/download/install.ps1 | iex"
    run "$prefix/bin/caro" exit 42
    expect "the exit code passes through" 42
    # shellcheck disable=SC2016 # a literal $HOME, which must arrive unexpanded
    run "$prefix/bin/caro" args "two words" "" '$HOME'
    # shellcheck disable=SC2016
    expect "arguments pass through untouched" 0 "[two words]" "[]" '[$HOME]'

    sandbox "$prefix/bin/caro" sleep 2>"$T/sleep.err" &
    local pid=$!
    sleep 1
    kill -TERM "$pid"
    wait "$pid"
    last_status=$?
    last_output=$(cat "$T/sleep.err")
    expect "SIGTERM reaches the binary, and the wrapper dies of it too (143)" 143 "got TERM"

    # A death by any signal is 128+N. Node ignores SIGPIPE and starts its debugger on
    # SIGUSR1, so those two must never be raised again in the wrapper. Node's spawnSync
    # watches the wrapper: a shell would run its own INT trap on a child's death by SIGINT.
    local signal number
    for signal in PIPE USR1 USR2 SEGV QUIT ABRT KILL HUP INT TERM ALRM; do
        number=$(kill -l "$signal")
        # shellcheck disable=SC2016 # JavaScript, not shell
        run "$NODE" -e 'const r = require("child_process").spawnSync(process.argv[1], ["die", process.argv[2]], { stdio: "inherit" });
            console.log(r.signal ? `died of ${r.signal}: ${128 + require("os").constants.signals[r.signal]}` : `exited ${r.status}`)' \
            "$prefix/bin/caro" "$signal"
        case $signal in
        HUP | INT | TERM | KILL | ALRM)
            expect "a child killed by SIG$signal: the wrapper dies of it too ($((128 + number)))" 0 \
                "died of SIG$signal: $((128 + number))" ;;
        *)
            expect "a child killed by SIG$signal: the wrapper exits $((128 + number))" 0 "exited $((128 + number))" ;;
        esac
    done
    run "$prefix/bin/caro" die USR1
    not_in_output "...and SIGUSR1 starts no debugger in the wrapper" "Debugger listening"

    test_binary_path "$prefix"
}

# test_binary_path PREFIX: CARO_BINARY_PATH runs another binary, says so, and is shown
# escaped; a value that would loop or cannot run is refused.
test_binary_path() {
    local prefix=$1
    say "CARO_BINARY_PATH runs another binary"
    printf '#!/bin/sh\necho "another caro: $*"\nexit 7\n' >"$T/another caro"
    chmod +x "$T/another caro"
    EXTRA_ENV=("CARO_BINARY_PATH=$T/another caro")
    run "$prefix/bin/caro" --version
    expect "CARO_BINARY_PATH runs that binary, unchecked, with the arguments and its exit code" 7 \
        "another caro: --version" \
        "note: running \`$T/another caro\` from CARO_BINARY_PATH, unchecked, instead of @wildcard/caro@2.0.0-rc.1's caro"
    if [ "$(grep -c '^note: ' <<<"$last_output")" = 1 ]; then
        ok "...said in one line on stderr"
    else
        bad "...said in one line on stderr" "$last_output"
    fi
    fake_machine "$T/freebsd-arm.js" freebsd arm64 -
    as_machine "$T/freebsd-arm.js" "$FAKE_PATH" "$prefix/lib/node_modules/@wildcard/caro/bin/caro.js" --version
    expect "...also on a machine npm has no build for" 7 "another caro: --version"

    EXTRA_ENV=("CARO_BINARY_PATH=")
    run "$prefix/bin/caro" --version
    expect "an empty CARO_BINARY_PATH is as unset" 0 "caro 2.0.0-rc.1"
    not_in_output "...and says nothing of it" "CARO_BINARY_PATH"
    EXTRA_ENV=("CARO_BINARY_PATH=caro")
    run "$prefix/bin/caro" --version
    expect "a relative CARO_BINARY_PATH is refused (it could find the wrapper itself on PATH)" 1 \
        "CARO_BINARY_PATH is \`caro\`, which is not an absolute path" "unset CARO_BINARY_PATH"
    EXTRA_ENV=("CARO_BINARY_PATH=$prefix/bin/caro")
    run "$prefix/bin/caro" --version
    expect "CARO_BINARY_PATH naming the wrapper itself is refused, not a loop" 1 "which is this npm wrapper"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$prefix/bin/caro" >"$T/runs-caro-again"
    chmod +x "$T/runs-caro-again"
    EXTRA_ENV=("CARO_BINARY_PATH=$T/runs-caro-again")
    run timeout 20 "$prefix/bin/caro" --version
    expect "...and so is one that runs the wrapper again: one round, then a clear error" 1 \
        "CARO_BINARY_PATH is \`$T/runs-caro-again\`, which ran this npm wrapper again"
    EXTRA_ENV=("CARO_BINARY_PATH=$T/no such caro")
    run "$prefix/bin/caro" --version
    expect "a CARO_BINARY_PATH that is not there: what failed and what to do" 1 \
        "cannot run \`$T/no such caro\`: ENOENT" "unset CARO_BINARY_PATH"

    local hostile
    hostile=$(printf '/tmp/\033]0;pwned\007\033[2J\033[31mred\302\233\342\200\256evil\n')
    hostile="$hostile"$'\n'"error: forged line"
    EXTRA_ENV=("CARO_BINARY_PATH=$hostile")
    run "$prefix/bin/caro" --version
    expect "a hostile CARO_BINARY_PATH is printed escaped" 1 \
        "running \`/tmp/\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\x9b\\u{202e}evil\\x0aerror: forged line\`" \
        "cannot run \`/tmp/\\x1b]0;pwned"
    no_raw_controls "...no control character, bidi override or forged line reaches the terminal"
    EXTRA_ENV=()
}

test_defer_to_npm() {
    say "caro self-update and caro-install on npm installs defer to npm"
    mapfile -t builds < <(fixture_builds 1.0.3 | grep -v '^linux-amd64=')
    layout caro 1.0.3 "$T/caro-1.0.3" "linux-amd64=$CARO_EXAMPLE" "${builds[@]}"
    run sh "$REPO/scripts/npm-publish.sh" "$T/caro-1.0.3/npm"
    expect "publish caro 1.0.3 (the self-updating stand-in)" 0
    local prefix="$T/prefix-selfupdate"
    run npm install -g --prefix "$prefix" @wildcard/caro@1.0.3
    expect "npm install -g @wildcard/caro@1.0.3" 0
    EXTRA_ENV=("CARO_INSTALLER_GITHUB_BASE_URL=file://$REPO/fixtures/mirror")
    run "$prefix/bin/caro" self-update
    expect "caro self-update on an npm install names npm's command for the scoped package" 1 \
        "installed by npm" "npm update -g @wildcard/caro"

    layout caro-install 0.1.0 "$T/installer" "linux-amd64=$CARO_INSTALL" "linux-amd64-musl=$CARO_INSTALL"
    run sh "$REPO/scripts/npm-publish.sh" "$T/installer/npm"
    expect "publish caro-install 0.1.0 (its platform packages are scoped, the main one is not)" 0 \
        "publishing @wildcard/caro-install-linux-x64@0.1.0" "publishing caro-install@0.1.0"
    run npx --yes caro-install@0.1.0 -V
    expect "npx caro-install runs the installer" 0 "caro-install 0.1.0"
    EXTRA_ENV+=("CARO_BINARY_PATH=$T/no such caro")
    run npx --yes caro-install@0.1.0 -V
    expect "caro's CARO_BINARY_PATH does not touch caro-install" 0 "caro-install 0.1.0"
    EXTRA_ENV+=("CARO_INSTALLER_BINARY_PATH=$T/another caro")
    run npx --yes caro-install@0.1.0 -V
    expect "caro-install's is CARO_INSTALLER_BINARY_PATH" 7 \
        "another caro: -V" "from CARO_INSTALLER_BINARY_PATH, unchecked, instead of caro-install@0.1.0's caro-install"
    EXTRA_ENV=("CARO_INSTALLER_GITHUB_BASE_URL=file://$REPO/fixtures/mirror")
    run npx --yes caro-install@0.1.0 --bogus-flag
    expect "npx caro-install passes a usage error's exit status 2 through" 2 "--bogus-flag"
    run npx --yes caro-install@0.1.0 --version 1.0.2 --no-modify-path -y
    expect "npx caro-install installs caro from the (file://) release" 0
    run "$T/home/.local/bin/caro" --version
    expect "the caro npx caro-install installed runs" 0 "caro 1.0.2"
    run npx --yes caro-install@0.1.0 self-update
    expect "caro-install self-update under npx says to run npx caro-install@latest" 1 "npx caro-install@latest"

    rm -rf "$T/home/.config/caro" "$T/home/.local/bin/caro"
    local saved=$TEST_PATH
    TEST_PATH="$T/prefix-main/bin:$TEST_PATH"
    run "$CARO_INSTALL" update
    expect "caro-install update with caro from npm on PATH defers to npm" 1 \
        "installed by npm" "npm update -g @wildcard/caro"
    TEST_PATH=$saved
    EXTRA_ENV=()
}

main() {
    need_tools
    build
    T=$(mktemp -d "${TMPDIR:-/tmp}/caro-npm-test.XXXXXX") || err "cannot create a temp dir"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$T/home"
    EXTRA_ENV=()
    # node and npm, and the basic tools of /usr/bin:/bin; nothing else of this machine.
    TEST_PATH="$(dirname "$(command -v node)"):$(dirname "$(command -v npm)"):/usr/bin:/bin"
    NODE=$(command -v node)
    fake_ldd
    start_registry
    say "verdaccio $VERDACCIO_VERSION on $REGISTRY (no uplinks)"

    test_layout_and_publish
    test_install_and_run
    test_missing_optional_and_unsupported
    test_libc_detection
    test_exit_codes_and_signals
    test_defer_to_npm

    printf '\n%s passed, %s failed\n' "$passed" "$failed"
    [ "$failed" = 0 ]
}

main "$@"
