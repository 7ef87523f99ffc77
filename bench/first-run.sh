#!/usr/bin/env bash
# How long a newcomer waits on a cold clone, for each opt-level of the dependencies in the
# dev profile (issue 13 item 6): Cargo.toml's `[profile.dev.package."*"]` trades a longer
# first build for faster tests, and this measures both sides of that trade.
#
#     bash bench/first-run.sh
#
# For each level in BENCH_OPT_LEVELS (default "hot 2 0"; the first is the baseline), with
# `--config 'profile.dev.package."*".opt-level=N'` (and the same N for each of HOT_CRATES,
# which Cargo.toml names one by one) so Cargo.toml is not edited, and a target dir of its
# own under ~/.cache/caro-install-bench/first-run (emptied first). The level `hot` is what
# Cargo.toml sets: every dependency at 0 but the ones the tests spend their time in
# (HOT_CRATES below: hashing and inflating) at 2.
#
#   bin    cold `cargo build --bin caro-install`: what scripts/demo.sh builds
#   tests  cold `cargo build --tests --examples`: what the test command builds
#   run    `cargo test --all-targets` once everything is built: test execution only
#
# Crates are fetched first (`cargo fetch`, untimed), as on a clone whose crates are already
# downloaded. The phases run level by level inside each phase, so a drift in the machine's
# speed spreads over all levels; each figure is printed with its ratio to the baseline level
# measured in the same run. The machine is shared: quote the ratios, not the seconds.
#
# BENCH_PHASES (default "bin tests run") picks phases; `run` needs `tests` in the same call.
#
# Takes about 10-20 minutes on 2 cores (two cold debug builds and one test run per level;
# the levels at 2 take most of it).
# It fails only when it cannot measure (a build that fails); a failing test run is reported
# and timed, but marked.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly CACHE="${HOME}/.cache/caro-install-bench/first-run"
read -r -a LEVELS <<<"${BENCH_OPT_LEVELS:-hot 2 0}"
readonly LEVELS
read -r -a PHASES <<<"${BENCH_PHASES:-bin tests run}"
readonly PHASES
# The dependencies Cargo.toml's dev profile builds at opt-level 2, read from Cargo.toml.
# shellcheck source=scripts/lib/hot-crates.sh
. "$(dirname "$0")/../scripts/lib/hot-crates.sh"
HOT_CRATES="$(cd "$(dirname "$0")/.." && hot_crates | tr '\n' ' ')"
readonly HOT_CRATES

say() { printf 'first-run: %s\n' "$*"; }
err() {
    printf 'first-run: error: %s\n' "$*" >&2
    exit 1
}

# now: microseconds since the epoch, without forking.
now() {
    local t="$EPOCHREALTIME"
    printf '%s' "${t/./}"
}

seconds() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1e6 }'; }

# cargo_at LEVEL DIR ARGS...: cargo with the dependency opt-level overridden, in DIR.
cargo_at() {
    local level="$1" dir="$2" crate
    shift 2
    local all="$level" hot="$level"
    if [ "$level" = hot ]; then
        all=0 hot=2
    fi
    local -a config=(--config "profile.dev.package.\"*\".opt-level=$all")
    for crate in $HOT_CRATES; do
        config+=(--config "profile.dev.package.$crate.opt-level=$hot")
    done
    (cd "$ROOT" && CARGO_TARGET_DIR="$dir" cargo "$@" "${config[@]}")
}

# timed_phase PHASE LEVEL DIR ARGS...: runs cargo, prints and keeps the wall time.
# A failing `cargo test` is timed and marked; a failing build stops the script.
declare -A TIMES=() MARKS=()
timed_phase() {
    local phase="$1" level="$2" dir="$3" start end status=0 log
    shift 3
    log="$CACHE/$phase-opt$level.log"
    start="$(now)"
    cargo_at "$level" "$dir" "$@" >"$log" 2>&1 || status=$?
    end="$(now)"
    if [ "$status" != 0 ]; then
        if [ "$phase" != run ]; then
            tail -n 20 "$log" >&2
            err "\`cargo $*\` at opt-level $level failed (log: $log)"
        fi
        MARKS["$phase/$level"]=" (tests FAILED, exit $status: $log)"
    fi
    TIMES["$phase/$level"]="$((end - start))"
    say "  $phase, opt-level $level: $(seconds "$((end - start))") s${MARKS["$phase/$level"]:-}"
}

phase_bin() {
    local level
    say "phase bin: cold cargo build --bin caro-install"
    for level in "${LEVELS[@]}"; do
        rm -rf -- "$CACHE/opt$level-bin"
        timed_phase bin "$level" "$CACHE/opt$level-bin" build --bin caro-install
        rm -rf -- "$CACHE/opt$level-bin"
    done
}

phase_tests() {
    local level
    say "phase tests: cold cargo build --tests --examples"
    for level in "${LEVELS[@]}"; do
        rm -rf -- "$CACHE/opt$level-tests"
        timed_phase tests "$level" "$CACHE/opt$level-tests" build --tests --examples
        # Whatever `cargo test --all-targets` builds beyond that, built now and untimed.
        cargo_at "$level" "$CACHE/opt$level-tests" test --all-targets --no-run \
            >"$CACHE/no-run-opt$level.log" 2>&1 ||
            err "cargo test --all-targets --no-run at opt-level $level failed (log: $CACHE/no-run-opt$level.log)"
    done
}

phase_run() {
    local level
    say "phase run: cargo test --all-targets, everything built"
    for level in "${LEVELS[@]}"; do
        timed_phase run "$level" "$CACHE/opt$level-tests" test --all-targets
    done
}

main() {
    command -v cargo >/dev/null 2>&1 || err "cargo is missing: install Rust with rustup"
    if [ -n "${RUSTC_WRAPPER:-}" ]; then
        err "RUSTC_WRAPPER is set ($RUSTC_WRAPPER): a compiler cache would make the cold builds warm; unset it"
    fi
    mkdir -p "$CACHE"
    say "fetching crates (untimed): cargo fetch"
    (cd "$ROOT" && cargo fetch --quiet) || err "cargo fetch failed (crates.io must be reachable once)"

    local level load_before
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
    say "levels: ${LEVELS[*]} (baseline ${LEVELS[0]}); $(nproc) cores, load $load_before"

    local phase
    for phase in "${PHASES[@]}"; do
        case "$phase" in
            bin | tests | run) ;;
            *) err "BENCH_PHASES: unknown phase \`$phase\` (bin, tests, run)" ;;
        esac
    done
    if [[ " ${PHASES[*]} " == *" run "* && " ${PHASES[*]} " != *" tests "* ]]; then
        err "BENCH_PHASES: the run phase needs the tests phase (it runs what that builds)"
    fi
    for phase in "${PHASES[@]}"; do
        "phase_$phase"
    done
    for level in "${LEVELS[@]}"; do
        rm -rf -- "$CACHE/opt$level-tests"
    done

    local base="${LEVELS[0]}"
    echo
    echo "## First run (\`bash bench/first-run.sh\`)"
    echo
    echo "$(nproc) cores, load $load_before at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
    echo "ratios are against opt-level $base measured in the same run."
    echo
    local header="| opt-level" rule="|---"
    for phase in "${PHASES[@]}"; do
        case "$phase" in
            bin) header+=" | cold build --bin caro-install" ;;
            tests) header+=" | cold build --tests --examples" ;;
            run) header+=" | test --all-targets (run only)" ;;
        esac
        rule+="|---"
    done
    echo "$header |"
    echo "$rule|"
    for level in "${LEVELS[@]}"; do
        local row="| $level"
        for phase in "${PHASES[@]}"; do
            row+=" | $(seconds "${TIMES["$phase/$level"]}") s ($(awk -v a="${TIMES["$phase/$level"]}" \
                -v b="${TIMES["$phase/$base"]}" 'BEGIN { printf "%.2f", a / b }') x)${MARKS["$phase/$level"]:-}"
        done
        echo "$row |"
    done
    echo
    echo "Targets: the demo (bin) under 180 s on a cold clone with crates fetched; the whole"
    echo "test command under 600 s warm."
}

main "$@"
