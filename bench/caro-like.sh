#!/usr/bin/env bash
# What `caro self-update` through caro-install costs caro (issue 12, "Measures"):
#
#     bash bench/caro-like.sh
#
# bench/caro-like is a stand-in shaped like caro: a subset of caro's real [dependencies]
# (clap, tokio, reqwest 0.11 with rustls, indicatif 0.17, anyhow, ...), `#[tokio::main]`,
# caro's own [profile.release], and `rust-version = "1.85"`. Its `self-update` feature adds
# `caro-install = { path = "../..", default-features = false }` and the subcommand. This
# script
#
#   1. builds it `--release` without and with `--features self-update` and prints both
#      `ls -l` sizes and the difference (bytes and %),
#   2. prints the duplicate crates (`cargo tree -d -e normal`) that appear only with the
#      feature, each with the crates that pull in that version,
#   3. checks it with `--features self-update` using a real Rust 1.85 (the compiler that
#      scripts/msrv.sh unpacks; it runs that script first when the compiler is missing).
#
# Everything builds from bench/caro-like/Cargo.lock (`--locked`), made by the MSRV-aware
# resolver so that Rust 1.85 can build it:
#     CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback cargo generate-lockfile
# and into ${XDG_CACHE_HOME:-~/.cache}/caro-install-bench/caro-like, never the repository's
# target/. Two cold release builds take 10-20 minutes on 2 busy cores; later runs rebuild only
# what changed. It measures and never fails on a size: only when a build or the check fails.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CRATE="$ROOT/bench/caro-like"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}"
TARGET="$CACHE/caro-install-bench/caro-like"
MSRV=$(sed -n 's/^rust-version = "\([0-9.]*\)".*/\1/p' "$CRATE/Cargo.toml")
MSRV_RUSTC="$CACHE/caro-install-msrv/rustc-$MSRV"

say() { printf '==> %s\n' "$*"; }
fail() {
    printf 'error: %s\n' "$1" >&2
    [ $# -gt 1 ] && printf 'help: %s\n' "$2" >&2
    exit 1
}

# Builds the stand-in with the given cargo arguments and copies the binary to $1, since
# both builds write the same target/release/caro-like.
build() {
    local copy="$1"
    shift
    CARGO_TARGET_DIR="$TARGET" cargo build --quiet --release --locked "$@" ||
        fail "the caro-like build failed (cargo build --release $*)" \
            "run it in $CRATE to see why; after changing Cargo.toml regenerate Cargo.lock (see the top of this script)"
    cp "$TARGET/release/caro-like" "$copy"
}

# Prints the duplicate crates, one `name vX.Y.Z` a line, sorted.
duplicates() {
    cargo tree --quiet --locked -d -e normal --depth 0 "$@" | grep . | sort -u
}

# Prints the crates that depend directly on one version of a crate (`name@version`).
dependents() {
    cargo tree --quiet --locked -e normal --features self-update -i "$1" --depth 1 --prefix none |
        tail -n +2 | awk '{print $1 " " $2}' | sort -u | paste -sd, - | sed 's/,/, /g'
}

size() { stat -c %s "$1"; }

main() {
    cd "$CRATE"
    mkdir -p "$TARGET"

    say "release build without caro-install ($(rustc --version))"
    build "$TARGET/caro-like-without"
    say "release build with --features self-update"
    build "$TARGET/caro-like-with" --features self-update
    local before after
    before=$(size "$TARGET/caro-like-without")
    after=$(size "$TARGET/caro-like-with")
    ls -l "$TARGET/caro-like-without" "$TARGET/caro-like-with"
    awk -v b="$before" -v a="$after" 'BEGIN {
        printf "size: %d -> %d bytes (%.2f -> %.2f MiB): +%d bytes (+%.1f KiB, +%.1f%%)\n",
            b, a, b / 1048576, a / 1048576, a - b, (a - b) / 1024, 100 * (a - b) / b }'

    say "duplicate crates (cargo tree -d -e normal) only with --features self-update"
    local added
    added=$(comm -13 <(duplicates) <(duplicates --features self-update))
    if [ -z "$added" ]; then
        echo "none"
    else
        while read -r name version; do
            printf '%-32s <- %s\n' "$name $version" "$(dependents "$name@${version#v}")"
        done <<<"$added"
    fi
    echo "(already duplicated without it: $(duplicates | paste -sd, - | sed 's/,/, /g'))"

    if [ ! -x "$MSRV_RUSTC" ]; then
        say "no Rust $MSRV compiler yet: scripts/msrv.sh unpacks one (a few minutes)"
        bash "$ROOT/scripts/msrv.sh"
    fi
    say "check with $("$MSRV_RUSTC" --version) and --features self-update"
    RUSTC="$MSRV_RUSTC" CARGO_TARGET_DIR="$TARGET/msrv" cargo check --quiet --locked --features self-update ||
        fail "the caro-like crate does not build with Rust $MSRV" \
            "a dependency may need a newer Rust: regenerate Cargo.lock with the MSRV-aware resolver (see the top of this script)"
    say "caro-like with caro-install builds with Rust $MSRV"
}

main "$@"
