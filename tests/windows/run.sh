#!/usr/bin/env bash
# The Windows tests, run for real under Wine: builds caro-install, its examples and its
# tests for x86_64-pc-windows-gnu (Debian's rustc-web rebuilds std for the target, mingw
# links), prepares a Wine prefix once (cached under ~/.cache), and runs `cargo test` with
# every test binary started by tests/windows/runner.sh. The unit tests, the portable
# integration tests and the Windows ones (tests/it/windows.rs: registry Path, the running
# exe swap, the lock) all run; the GitHub windows job runs the same tests natively.
#
# Wine 8.0 lacks bcryptprimitives.dll, whose ProcessPrng every Rust program imports:
# tests/windows/bcryptprimitives.c stands in for it, built into the prefix.
#
# Arguments go to `cargo test` (after the target): `bash tests/windows/run.sh windows::`.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf '\n==> %s\n' "$*"; }

readonly triple=x86_64-pc-windows-gnu
readonly cache="${XDG_CACHE_HOME:-$HOME/.cache}"
export CARO_WINEPREFIX="${CARO_WINEPREFIX:-$cache/caro-install-wine}"
export CARGO_TARGET_DIR="${CARO_WINDOWS_TARGET_DIR:-$cache/caro-install-cross/$triple}"

# shellcheck source=scripts/lib/needs.sh
. scripts/lib/needs.sh

# Debian's toolchain, not rustup's: it has the std source to rebuild for the target.
debian_cargo() {
    env -u RUSTUP_TOOLCHAIN RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$PWD/tests/windows/runner.sh" \
        /usr/bin/cargo "$1" -Zbuild-std=std,panic_abort --target "$triple" "${@:2}"
}

# Creates the prefix once (wineboot takes a while), then keeps the stand-in DLL current.
prepare_prefix() {
    export WINEPREFIX="$CARO_WINEPREFIX" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        say "creating the Wine prefix $WINEPREFIX (once)"
        mkdir -p "$WINEPREFIX"
        WINEARCH=win64 wineboot --init >/dev/null 2>&1
        wineserver --wait
    fi
    local dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
    local built="$CARGO_TARGET_DIR/bcryptprimitives.dll"
    if [ ! -f "$built" ] || [ tests/windows/bcryptprimitives.c -nt "$built" ] ||
        [ tests/windows/bcryptprimitives.def -nt "$built" ]; then
        mkdir -p "$CARGO_TARGET_DIR"
        x86_64-w64-mingw32-gcc -shared -O2 -s -o "$built" \
            tests/windows/bcryptprimitives.c tests/windows/bcryptprimitives.def -ladvapi32
    fi
    cmp -s "$built" "$dll" || cp "$built" "$dll"
}

main() {
    need_packages "the Windows tests" /usr/lib/wine/wine64:wine64 wine:wine \
        x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64 /usr/bin/rustc:rustc-web \
        /usr/bin/cargo:cargo-web /usr/lib/rustlib/src/rust/library:rust-web-src
    prepare_prefix
    say "building for $triple (std rebuilt once, cached in $CARGO_TARGET_DIR)"
    # The integration tests run the examples (caro's stand-in) as programs. Natively they
    # build them themselves, but cargo cannot run under Wine: so they are built here, just
    # before the tests, and CARO_TEST_EXAMPLES=prebuilt tells the tests so.
    debian_cargo build --quiet --bins --examples
    say "cargo test --target $triple, under Wine"
    CARO_TEST_EXAMPLES=prebuilt debian_cargo test --quiet --no-fail-fast --tests "$@"
}

main "$@"
