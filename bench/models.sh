#!/usr/bin/env bash
# Benchmarks `caro-install --with-model` (issue 22): a model bundle downloaded, hashed,
# gunzipped and untarred in one streaming pass, against what a careful user would run and
# against the durable floor.
#
#     bash bench/models.sh
#
# python3's http.server on 127.0.0.1 serves a 128 MiB bundle in the release layout
# (`caro-{V}-{P}-with-{M}.tar.gz` + `.sha256`: caro, models/bench.gguf of incompressible
# bytes, licenses/, THIRD_PARTY_NOTICES.txt), and three ways of installing it run in turn,
# BENCH_RUNS times each, so every round sees the same machine:
#
#   (a) caro-install --with-model bench   one pass; fsyncs the model and caro, renames
#   (b) curl -o bundle && curl -o .sha256 && sha256sum -c && tar -xzf    the careful user
#   (c) curl -o bundle && sync bundle     the floor: the bytes on disk, nothing checked
#
# Each run starts from nothing (the previous run's files are removed first, the same way
# for all three), so (a) writes the model rather than finding it there. It prints the
# medians, the ratios of the medians (a/b and a/c) with their targets (<= 0.6 and <= 1.3)
# and the peak memory of (a) (/usr/bin/time's maximum resident set size, as -v prints it;
# target < 16 MiB) with its CPU seconds: on a busy machine the wall time of a pass that
# hashes twice (the bundle, then each file for the receipt) follows its CPU share. A benchmark, not a
# test: it fails only when it cannot measure. Everything is in one temp dir under
# ${TMPDIR:-/tmp}, removed on exit with the server it started; it talks to 127.0.0.1 only.
#
# Knobs: BENCH_RUNS (7), BENCH_SIZE_MIB (128), CARO_INSTALL_BIN (a built binary to use
# instead of `cargo build --release`).

set -euo pipefail

readonly VERSION=1.2.0
readonly PLATFORM=linux-amd64
readonly MODEL=bench
readonly BUNDLE="caro-${VERSION}-${PLATFORM}-with-${MODEL}.tar.gz"
readonly BUNDLE_PATH="wildcard/caro/releases/download/v${VERSION}/${BUNDLE}"
readonly RUNS="${BENCH_RUNS:-7}"
readonly SIZE_MIB="${BENCH_SIZE_MIB:-128}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
WORK=""
SERVER_PID=""

say() { printf 'bench: %s\n' "$*"; }
err() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        rm -rf -- "$WORK"
    fi
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

seconds() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t) ? "PASS" : "MISS" }'; }

make_bundle() {
    local stage="$WORK/stage" dir="$WORK/mirror/${BUNDLE_PATH%/*}"
    mkdir -p "$stage/models" "$stage/licenses" "$dir"
    printf '#!/bin/sh\necho "caro %s"\n' "$VERSION" >"$stage/caro"
    chmod 0755 "$stage/caro"
    # A model barely compresses: random bytes are the honest stand-in.
    head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$stage/models/${MODEL}.gguf"
    printf 'Apache-2.0, for the bench model\n' >"$stage/licenses/LICENSE-${MODEL}"
    printf 'notices\n' >"$stage/THIRD_PARTY_NOTICES.txt"
    # As caro's bundle workflow would: the folder's contents, `./` first.
    tar -C "$stage" -cf - . | gzip -1 >"$dir/$BUNDLE"
    (cd "$dir" && sha256sum "$BUNDLE" >"$BUNDLE.sha256")
    rm -rf "$stage"
}

start_server() {
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    python3 -m http.server --bind 127.0.0.1 --directory "$WORK/mirror" "$port" \
        >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    local _
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/$BUNDLE_PATH.sha256" 2>/dev/null && break
        sleep 0.1
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$port/$BUNDLE_PATH.sha256" ||
        err "python3 -m http.server did not start (see $WORK/server.log)"
    URL="http://127.0.0.1:$port/$BUNDLE_PATH"
}

# The three ways; each removes what its previous run left first.
run_caro_install() {
    rm -rf "$WORK/a"
    mkdir -p "$WORK/a/home"
    env -i PATH=/usr/bin:/bin HOME="$WORK/a/home" \
        XDG_CACHE_HOME="$WORK/a/cache" XDG_DATA_HOME="$WORK/a/data" \
        CARO_INSTALLER_GITHUB_BASE_URL="${URL%%/wildcard/*}" \
        CARO_UNMANAGED_INSTALL="$WORK/a/bin" \
        /usr/bin/time -f '%M %U %S' -o "$WORK/a.rss" \
        "$BIN" --version "$VERSION" --platform "$PLATFORM" -y -q --with-model "$MODEL"
}

run_careful() {
    rm -rf "$WORK/b"
    mkdir -p "$WORK/b/out"
    (
        cd "$WORK/b"
        curl -fsS -o "$BUNDLE" "$URL" &&
            curl -fsS -o "$BUNDLE.sha256" "$URL.sha256" &&
            sha256sum -c --quiet "$BUNDLE.sha256" &&
            tar -xzf "$BUNDLE" -C out
    )
}

run_floor() {
    rm -rf "$WORK/c"
    mkdir -p "$WORK/c"
    curl -fsS -o "$WORK/c/$BUNDLE" "$URL" && sync "$WORK/c/$BUNDLE"
}

main() {
    # shellcheck source=scripts/lib/needs.sh
    . "$ROOT/scripts/lib/needs.sh"
    need_packages "bench/models.sh" python3:python3 curl:curl sha256sum:coreutils \
        gzip:gzip tar:tar /usr/bin/time:time
    trap cleanup EXIT
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/caro-models-bench.XXXXXX")"
    if [ -n "${CARO_INSTALL_BIN:-}" ]; then
        BIN="$CARO_INSTALL_BIN"
    else
        say "building caro-install (release)"
        (cd "$ROOT" && cargo build --release --quiet --bin caro-install) ||
            err "cargo build --release failed"
        BIN="$ROOT/target/release/caro-install"
    fi
    [ -x "$BIN" ] || err "no caro-install at $BIN"
    say "making a ${SIZE_MIB} MiB bundle"
    make_bundle
    start_server
    say "serving $URL"
    # A warm-up of each, so the first round does not pay for cold caches alone; each run
    # is also a check that the way works at all.
    run_caro_install || err "caro-install --with-model failed"
    [ -f "$WORK/a/cache/caro/models/${MODEL}.gguf" ] || err "caro-install placed no model"
    run_careful || err "the careful pipeline failed"
    run_floor || err "curl failed"
    local a=() b=() c=() rss=() cpu=() i start
    for i in $(seq 1 "$RUNS"); do
        start="$(now)"
        run_caro_install || err "caro-install --with-model failed in round $i"
        a+=("$(($(now) - start))")
        rss+=("$(awk '{ print $1 }' "$WORK/a.rss")")
        cpu+=("$(awk '{ printf "%d", ($2 + $3) * 1e6 }' "$WORK/a.rss")")
        start="$(now)"
        run_careful || err "the careful pipeline failed in round $i"
        b+=("$(($(now) - start))")
        start="$(now)"
        run_floor || err "curl failed in round $i"
        c+=("$(($(now) - start))")
        say "round $i: a $(seconds "${a[-1]}") s, b $(seconds "${b[-1]}") s, c $(seconds "${c[-1]}") s, peak $((rss[-1] / 1024)) MiB, cpu $(seconds "${cpu[-1]}") s"
    done
    local ma mb mc peak
    ma="$(median "${a[@]}")"
    mb="$(median "${b[@]}")"
    mc="$(median "${c[@]}")"
    peak="$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)"
    printf '\n%s MiB bundle, %s rounds, %s cores, medians:\n' "$SIZE_MIB" "$RUNS" "$(nproc)"
    printf '  (a) caro-install --with-model   %s s (%s s of CPU)\n' "$(seconds "$ma")" \
        "$(seconds "$(median "${cpu[@]}")")"
    printf '  (b) curl + sha256sum + tar -xzf %s s\n' "$(seconds "$mb")"
    printf '  (c) curl + sync (floor)         %s s\n' "$(seconds "$mc")"
    local ab ac
    ab="$(ratio "$ma" "$mb")"
    ac="$(ratio "$ma" "$mc")"
    printf '  a/b %s (target <= 0.6) %s\n' "$ab" "$(verdict "$ab" 0.6)"
    printf '  a/c %s (target <= 1.3) %s\n' "$ac" "$(verdict "$ac" 1.3)"
    printf '  peak memory of (a) %s KiB (target < 16384) %s\n' "$peak" \
        "$(awk -v p="$peak" 'BEGIN { print (p < 16384) ? "PASS" : "MISS" }')"
}

main "$@" || exit 1
