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
        (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error "verdaccio@$VERDACCIO_VERSION") ||
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

# fake_platform FILE PLATFORM ARCH [LIBC]: a --require preload that makes Node report
# another machine, so the wrapper's table can be driven from this one.
fake_platform() {
    local glibc='"2.36"'
    [ "${4:-glibc}" = musl ] && glibc=undefined
    cat >"$1" <<EOF
Object.defineProperty(process, "platform", { value: "$2" });
Object.defineProperty(process, "arch", { value: "$3" });
const report = process.report;
Object.defineProperty(process, "report", { value: { getReport: () => ({ header: { glibcVersionRuntime: $glibc } }) } });
EOF
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
    if [ "$(wc -c <"$REPO/npm/wrapper.js")" -lt 10000 ] &&
        [ "$requires" = 'require("../release.json") require("child_process") require("crypto") require("fs") require("path") ' ]; then
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
    if [ -d "$modules/caro-linux-x64" ] && [ ! -e "$modules/caro-linux-x64-musl" ] && [ ! -e "$modules/caro-darwin-arm64" ]; then
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
    run "$prefix/bin/caro" --version
    expect "a second run (marker in place) runs it" 0 "caro 1.1.0"

    printf '\n# tampered\n' >>"$binary"
    run "$prefix/bin/caro" --version
    expect "a tampered binary refuses to run, even with a marker from before" 1 \
        "refusing to run $binary" "recorded $(node -e 'console.log(require(process.argv[1]).builds["linux-amd64"].sha256)' "$prefix/lib/node_modules/@wildcard/caro/release.json")" \
        "npm install -g @wildcard/caro@1.1.0 --force"
    if grep -q "caro 1.1.0" <<<"$last_output"; then
        bad "the tampered binary did not run" "$last_output"
    else
        ok "the tampered binary did not run"
    fi
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
    fake_platform "$T/freebsd.js" freebsd x64
    run node --require "$T/freebsd.js" "$wrapper" --version
    expect "an unsupported machine says so, with what is built and the one-liner" 1 \
        "has no caro build for freebsd x64" "caro is built for: linux-amd64" \
        "install.sh | sh" "cargo install caro --locked"
    fake_platform "$T/win-arm.js" win32 arm64
    run node --require "$T/win-arm.js" "$wrapper" --version
    expect "Windows on ARM without an arm64 build looks for the x86_64 one" 1 \
        "the package @wildcard/caro-win32-x64@1.1.0, which holds caro for windows-amd64, is not installed" \
        "install.ps1 | iex"
    run npm view @wildcard/caro-win32-x64@1.1.0 cpu --json
    expect "...and npm installs that package on arm64 too" 0 '"x64"' '"arm64"'

    # Every row of the generated table leads the wrapper to the package dist made for it.
    local rows row platform arch libc key package all=true
    rows=$(node -e 'for (const t of require(process.argv[1]).targets) console.log([t.platform, t.arch, t.libc || "-", t.key].join(" "))' \
        "$T/prefix-main/lib/node_modules/@wildcard/caro/release.json")
    while read -r platform arch libc key; do
        package="@wildcard/caro-$platform-$arch"
        [ "$libc" != musl ] || package="$package-musl"
        fake_platform "$T/row.js" "$platform" "$arch" "$libc"
        row=$(sandbox node --require "$T/row.js" "$project/node_modules/@wildcard/caro/bin/caro.js" 2>&1)
        if [ "$key" = windows-arm64 ]; then
            # The fixture release has no arm64 build for Windows: the x86_64 one runs there.
            grep -qF "the package @wildcard/caro-win32-x64@1.1.0, which holds caro for windows-amd64" <<<"$row" ||
                { all=false; bad "table row $platform $arch $libc" "$row"; }
        elif ! grep -qF "the package $package@1.1.0, which holds caro for $key, is not installed" <<<"$row"; then
            all=false
            bad "table row $platform $arch $libc -> $key" "$row"
        fi
    done <<<"$rows"
    if $all && [ "$(wc -l <<<"$rows")" = 8 ]; then
        ok "each of the 8 rows of the generated table leads to its own platform package"
    elif $all; then
        bad "the generated table has 8 rows" "$rows"
    fi
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
    fake_platform "$T/win-x64.js" win32 x64
    run node --require "$T/win-x64.js" "$prefix/lib/node_modules/@wildcard/caro/bin/caro.js" --version
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
    start_registry
    say "verdaccio $VERDACCIO_VERSION on $REGISTRY (no uplinks)"

    test_layout_and_publish
    test_install_and_run
    test_missing_optional_and_unsupported
    test_exit_codes_and_signals
    test_defer_to_npm

    printf '\n%s passed, %s failed\n' "$passed" "$failed"
    [ "$failed" = 0 ]
}

main "$@"
