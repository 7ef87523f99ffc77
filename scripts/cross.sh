#!/usr/bin/env bash
# Builds or type-checks caro-install for every target in .github/targets.json (the list the
# release workflow's matrix is read from, plus the extra targets marked `"release": false`),
# then runs the builds this machine can run (tests/cross/run.sh). Called by scripts/test.sh.
#
# Each target gets its `"cross"` mode from targets.json:
#   check  `cargo check`: nothing can link here (no macOS SDK, no MSVC libraries, no
#          aarch64 musl libc), but every crate, ring's C code and our cfg branches compile
#   build  `cargo build`: linked with a cross linker installed from Debian
#   run    built, then run for real by tests/cross/run.sh
# and each is done twice: the default features (lib, bins, examples, and the tests where
# they compile), and the library as caro links it (`--no-default-features`, with
# examples/caro.rs). Warnings are errors (cargo's `build.warnings = "deny"`, which unlike
# RUSTFLAGS keeps the cached std and dependencies valid, and still fails a warm run).
#
# The dev profile is used without debug info and with every dependency unoptimised, the
# hashing and inflating crates too (Cargo.toml builds those at opt-level 2 for the tests,
# which hash megabytes; nothing here runs long enough to gain from it, and it would only
# slow the first build of every target down).
#
# Toolchain: Debian's rustc-web/cargo-web with rust-web-src rebuild std for each target
# (-Zbuild-std, RUSTC_BOOTSTRAP=1), so no rustup target is needed. The builds go to
# ${CARO_CROSS_CACHE:-~/.cache/caro-install-cross}/<target>, outside the clone, so a second
# run only recompiles what changed.
#
# ring's C code needs a C compiler per target: musl-gcc, the Debian cross gccs, or clang
# with --target. Apple targets have no SDK here: clang compiles ring without the C library
# (ring's own RING_CORE_NOSTDLIBINC mode) and with scripts/cross/apple/TargetConditionals.h,
# a stand-in for the SDK header ring includes. MSVC targets: the same, see msvc_env below.
#
# Usage: bash scripts/cross.sh [TARGET...]   (default: every target in targets.json)
# Environment:
#   CARO_CROSS_CACHE          where the per-target build directories live
#   CARO_CROSS_WINDOWS_TESTS  1 also type-checks/builds the tests on Windows targets; off
#                             until the test suite compiles for Windows (issue 10, part 3)
#   CARO_CROSS_RUN=0          builds only, without tests/cross/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

CACHE=${CARO_CROSS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/caro-install-cross}
WINDOWS_TESTS=${CARO_CROSS_WINDOWS_TESTS:-0}
RUN=${CARO_CROSS_RUN:-1}

say() { printf '\n==> %s\n' "$*"; }
err() {
    printf 'error: %s\n' "$1" >&2
    [ $# -lt 2 ] || printf 'help: %s\n' "$2" >&2
    exit 1
}

# --- what this script needs from Debian -------------------------------------------------

# "test:package" pairs; a test is a command name or an absolute path.
NEEDS=(
    /usr/bin/rustc:rustc-web
    /usr/bin/cargo:cargo-web
    /usr/lib/rustlib/src/rust/library/Cargo.lock:rust-web-src
    python3:python3
    dpkg-deb:dpkg
    clang:clang
    llvm-ar:llvm
    lld-link:lld
    musl-gcc:musl-tools
    x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64
    aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
    /usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross
    qemu-aarch64-static:qemu-user-static
)

# shellcheck source=scripts/lib/needs.sh
. "$REPO/scripts/lib/needs.sh"

# from_deb PACKAGE PATH: unpacks Debian's PACKAGE into the cache without installing it
# (once), and prints where its file PATH is.
from_deb() {
    local package=$1 path=$2 dir=$CACHE/debs/$1
    if [ ! -e "$dir/$path" ]; then
        mkdir -p "$CACHE/debs"
        rm -rf "$dir" "$dir.deb"
        (cd "$CACHE/debs" && apt-get download "$package" >/dev/null 2>&1 &&
            mv "$package"_*.deb "$dir.deb") ||
            err "could not download the Debian package $package" \
                "run apt-get update (as root), or check that the Debian archive is reachable"
        dpkg-deb -x "$dir.deb" "$dir"
        [ -e "$dir/$path" ] || err "the Debian package $package has no $path"
    fi
    printf '%s\n' "$dir/$path"
}

# --- per-target settings ---------------------------------------------------------------

# Prints "target<TAB>mode" for every target in .github/targets.json.
read_targets() {
    python3 - "$REPO/.github/targets.json" <<'EOF'
import json, sys
for entry in json.load(open(sys.argv[1])):
    mode = entry["cross"]
    if mode not in ("check", "build", "run"):
        sys.exit(f"{sys.argv[1]}: {entry['target']} has cross = {mode!r}; use check, build or run")
    print(f"{entry['target']}\t{mode}")
EOF
}

# Sets the variables cargo and cc-rs read for target $1 (in this shell: call it in a
# subshell). TARGET_UPPER/target_lower are the two spellings cargo and cc-rs use.
target_env() {
    local target=$1
    local lower=${target//-/_}
    local upper
    upper=$(printf '%s' "$lower" | tr '[:lower:]' '[:upper:]')
    case $target in
    x86_64-unknown-linux-musl)
        # The rebuilt std has none of rustup's self-contained objects: musl-gcc brings musl's
        # crt and libc, and LLVM's libunwind.a (what rustup ships for musl) comes from
        # Debian's libunwind-14-dev, unpacked into the cache (installing it would conflict
        # with libunwind-dev), plus scripts/cross/musl/fortify.c for the one glibc symbol it
        # calls. (gcc's libgcc_eh needs glibc's _dl_find_object.)
        local unwind=$CACHE/$target.unwind llvm
        llvm=$(from_deb libunwind-14-dev usr/lib/llvm-14/lib/libunwind.a) || return 1
        if [ ! -e "$unwind/libunwind.a" ] || [ "$REPO/scripts/cross/musl/fortify.c" -nt "$unwind/libunwind.a" ]; then
            mkdir -p "$unwind"
            cp "$llvm" "$unwind/libunwind.a.tmp"
            musl-gcc -O2 -c "$REPO/scripts/cross/musl/fortify.c" -o "$unwind/fortify.o" &&
                ar rs "$unwind/libunwind.a.tmp" "$unwind/fortify.o" &&
                mv "$unwind/libunwind.a.tmp" "$unwind/libunwind.a" || return 1
        fi
        export "CC_$lower=musl-gcc" "AR_$lower=ar"
        export "CARGO_TARGET_${upper}_LINKER=musl-gcc"
        # musl-gcc's specs know -static but not -static-pie (they would add musl's dynamic
        # loader), so the build is static and not position-independent.
        export "CARGO_TARGET_${upper}_RUSTFLAGS=-C link-self-contained=no -L native=$unwind -C relocation-model=static"
        ;;
    aarch64-unknown-linux-musl)
        # ring builds for aarch64 musl without a C library when the compiler is clang.
        export "CC_$lower=clang" "AR_$lower=llvm-ar"
        ;;
    aarch64-unknown-linux-gnu)
        export "CC_$lower=aarch64-linux-gnu-gcc" "AR_$lower=aarch64-linux-gnu-ar"
        export "CARGO_TARGET_${upper}_LINKER=aarch64-linux-gnu-gcc"
        ;;
    x86_64-pc-windows-gnu)
        export "CC_$lower=x86_64-w64-mingw32-gcc" "AR_$lower=x86_64-w64-mingw32-ar"
        export "CARGO_TARGET_${upper}_LINKER=x86_64-w64-mingw32-gcc"
        ;;
    *-apple-darwin)
        export "CC_$lower=clang" "AR_$lower=llvm-ar"
        # -ffreestanding: clang's x86 intrinsics headers then skip stdlib.h.
        export "CFLAGS_$lower=-ffreestanding -nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -isystem $REPO/scripts/cross/apple"
        ;;
    *-pc-windows-msvc)
        msvc_env "$lower"
        ;;
    *)
        printf 'error: scripts/cross.sh does not know how to compile C code for %s\n' "$target" >&2
        printf 'help: add a case for it to target_env in scripts/cross.sh\n' >&2
        return 1
        ;;
    esac
}

# MSVC targets: clang compiles ring's C code in MSVC mode, without a C library, and
# llvm-lib archives it. The one MSVC header ring asks for there (stdlib.h, for
# _byteswap_ulong) is a stand-in in scripts/cross/msvc/; mingw-w64's does not parse in
# MSVC mode. Nothing links: there are no MSVC import libraries here.
msvc_env() {
    local lower=$1
    export "CC_$lower=clang" "AR_$lower=llvm-lib"
    export "CFLAGS_$lower=-ffreestanding -nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -isystem $REPO/scripts/cross/msvc"
}

# --- building ------------------------------------------------------------------------

# cargo_for TARGET SUBCOMMAND ARGS...: Debian's cargo, std rebuilt for TARGET.
# Cargo.toml's own per-crate opt-levels (the hashing and inflating crates), set back to 0.
# shellcheck source=scripts/lib/hot-crates.sh
. scripts/lib/hot-crates.sh
UNOPTIMISED=()
for crate in $(hot_crates); do
    UNOPTIMISED+=(--config "profile.dev.package.$crate.opt-level=0")
done

cargo_for() {
    local target=$1 subcommand=$2
    shift 2
    env -u RUSTUP_TOOLCHAIN -u RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
        RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        /usr/bin/cargo "$subcommand" --quiet --locked \
        -Zbuild-std=std,panic_abort -Zwarnings --config 'build.warnings="deny"' \
        --config 'profile.dev.debug=false' --config 'profile.dev.package."*".opt-level=0' \
        "${UNOPTIMISED[@]}" \
        --target "$target" --target-dir "$CACHE/$target" "$@"
}

is_windows() { case $1 in *-windows-*) return 0 ;; *) return 1 ;; esac; }

# do_target TARGET MODE: builds or checks both feature sets; prints one line of result.
do_target() {
    local target=$1 mode=$2 subcommand=check scope=(--all-targets) verb=type-checked
    [ "$mode" = check ] || { subcommand=build verb=built; }
    if is_windows "$target" && [ "$WINDOWS_TESTS" != 1 ]; then
        # The tests do not compile for Windows yet; CARO_CROSS_WINDOWS_TESTS=1 adds them.
        scope=(--lib --bins --examples)
    fi
    local log="$CACHE/$target.log" start=$SECONDS
    mkdir -p "$CACHE"
    if (
        target_env "$target" || exit 1
        cargo_for "$target" "$subcommand" "${scope[@]}" &&
            cargo_for "$target" "$subcommand" --lib --example caro --no-default-features
    ) >"$log" 2>&1; then
        printf '%-28s %-13s %s (default features: %s; --no-default-features: lib, example caro)  %ss\n' \
            "$target" "$verb" "ok" "${scope[*]#--}" "$((SECONDS - start))"
        return 0
    fi
    printf '%-28s %-13s FAILED after %ss (log: %s)\n' "$target" "${verb%ed}" \
        "$((SECONDS - start))" "$log"
    # shellcheck disable=SC2016 # the backquotes are cargo's, not a command
    if is_windows "$target" && grep -qF 'could not compile `caro-install`' "$log"; then
        echo "    our own code fails on Windows: cfg(windows) code belongs to the Windows port (issue 10, part 2)"
    fi
    grep -E '^(error|warning)(\[|:)' -A 8 "$log" | head -n 60 | sed 's/^/    | /'
    return 1
}

main() {
    need_packages "the cross builds" "${NEEDS[@]}"
    local wanted=("$@") failed=() runnable=0 target mode
    say "cross builds into $CACHE (first run: std and every dependency per target)"
    while IFS=$'\t' read -r target mode; do
        if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $target "* ]]; then
            continue
        fi
        if do_target "$target" "$mode"; then
            [ "$mode" != run ] || runnable=$((runnable + 1))
        else
            failed+=("$target")
        fi
    done < <(read_targets)

    # tests/cross/run.sh runs every "run" target, so it needs all of them built.
    if [ "$RUN" = 1 ] && [ "$runnable" -eq "$(read_targets | grep -c $'\trun$')" ]; then
        say "the builds that run here (tests/cross/run.sh)"
        CARO_CROSS_CACHE=$CACHE bash tests/cross/run.sh || failed+=("tests/cross/run.sh")
    fi
    if [ ${#failed[@]} -gt 0 ]; then
        err "cross builds failed: ${failed[*]}" "the log of each is named above"
    fi
    say "every target built or type-checked"
}

main "$@"
