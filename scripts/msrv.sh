#!/usr/bin/env bash
# The crate builds with caro's Rust (MSRV 1.85, docs/receipt.md): checks the library caro links
# (`--no-default-features`) and the binary with a real Rust 1.85 compiler.
#
# rustup cannot download toolchains here, but Debian bookworm ships rustc-web 1.85: its
# packages (rustc, its std, and the LLVM it links) are unpacked into
# ~/.cache/caro-install-msrv, beside the machine's own toolchains and changing none of them,
# and cargo runs with RUSTC pointing at that compiler. A first run downloads about 90 MB and
# checks the crate in about two minutes; later runs take seconds.
#
# CARO_MSRV_RUSTC=/path/to/rustc uses that compiler instead (GitHub's runners, with
# rustup's 1.85). The tests and their dev-dependencies (rcgen, time) need a newer Rust: they run on the
# everyday toolchain, and caro never builds them.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\([0-9.]*\)".*/\1/p' Cargo.toml)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/caro-install-msrv"
root="$cache/root"
rustc_wrapper="$cache/rustc-$msrv"

say() { printf '==> %s\n' "$*"; }
fail() {
    printf 'error: %s\n' "$1" >&2
    [ $# -gt 1 ] && printf 'help: %s\n' "$2" >&2
    exit 1
}

# The unpacked LLVM links against system libraries (libz3, libxml2, libedit, ...) that a
# machine without Debian's own LLVM may lack: installs the ones its package depends on, as
# scripts/lib/needs.sh does (apt-get as root, else an error naming them).
install_llvm_dependencies() {
    local package missing=()
    for package in $(dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g'); do
        dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null | grep -q '^ii' ||
            missing+=("$package")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    if [ "$(id -u)" = 0 ]; then
        say "installing ${missing[*]} with apt-get (libraries the Rust $msrv compiler links)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null && return 0
    fi
    fail "the Rust $msrv compiler needs ${missing[*]}" "install them with: sudo apt-get install ${missing[*]}"
}

# A Rust of that version given by hand (rustup's, on a runner that can download it).
if [ -n "${CARO_MSRV_RUSTC:-}" ]; then
    rustc_wrapper="$CARO_MSRV_RUSTC"
elif [ ! -x "$rustc_wrapper" ]; then
    command -v apt-get >/dev/null || fail "the MSRV check needs Debian's apt-get to fetch rustc-web $msrv" \
        "check the crate with a Rust $msrv toolchain yourself: cargo +$msrv check --lib --no-default-features"
    [ -n "$(apt-cache madison rustc-web 2>/dev/null | head -1)" ] || apt-get update -qq
    version=$(apt-cache madison rustc-web | awk -v v="$msrv" '$3 ~ "^"v"\\." {print $3; exit}')
    [ -n "$version" ] || fail "Debian offers no rustc-web $msrv.x" \
        "run apt-get update, or check with a Rust $msrv toolchain: cargo +$msrv check --lib --no-default-features"
    llvm=$(apt-cache show "rustc-web=$version" | sed -n 's/.*libLLVM-\([0-9]*\).*/\1/p' | head -1)
    llvm=${llvm:-19}
    say "fetching rustc-web $version (and libllvm$llvm) into $cache"
    downloads=$(mktemp -d)
    trap 'rm -rf "$downloads"' EXIT
    (cd "$downloads" && apt-get download -qq "rustc-web=$version" "libstd-rust-web-dev=$version" \
        "libstd-rust-web-$msrv=$version" "libllvm$llvm" 2>/dev/null) ||
        fail "could not download rustc-web $version" "run apt-get update and try again"
    install_llvm_dependencies "$downloads"/libllvm*.deb
    mkdir -p "$root"
    for deb in "$downloads"/*.deb; do dpkg-deb -x "$deb" "$root"; done
    cat > "$rustc_wrapper" <<EOF
#!/bin/sh
LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$root/usr/bin/rustc" "\$@"
EOF
    chmod +x "$rustc_wrapper"
fi

if ! "$rustc_wrapper" --version | grep -q "^rustc $msrv"; then
    # Fetched here: the next run fetches it again instead of failing the same way.
    [ -n "${CARO_MSRV_RUSTC:-}" ] || rm -f "$rustc_wrapper"
    fail "$rustc_wrapper is not rustc $msrv" "delete $cache and run this again"
fi

export RUSTC="$rustc_wrapper" CARGO_TARGET_DIR="$cache/target" RUSTFLAGS="-D warnings"
say "rustc $msrv: the library caro links (--no-default-features)"
cargo check --quiet --locked --lib --no-default-features
say "rustc $msrv: the library and the caro-install binary (default features)"
cargo check --quiet --locked --lib --bins
say "the crate builds with Rust $msrv"
