#!/usr/bin/env bash
# Runs the cross builds that can run on this machine (scripts/cross.sh builds them first):
#
#   musl     the static x86_64-unknown-linux-musl caro-install (the build releases publish
#            as linux-amd64 and linux-amd64-musl) installs caro and edits PATH inside a
#            chroot holding only static busybox, the musl loader and a copy of
#            fixtures/mirror: no glibc, no bash, as on Alpine. A login shell then finds caro,
#            and uninstall takes it away again.
#   arm64    the aarch64-unknown-linux-gnu build, under qemu-aarch64-static, chooses
#            linux-arm64 and installs caro 1.1.0 from the fixture mirror.
#
# The builds are read from ${CARO_CROSS_CACHE:-~/.cache/caro-install-cross}/<target>/<target>/debug.
# Nothing touches the network: the mirror is a file:// copy. Needs unshare (util-linux) and
# chroot, as root or in a user namespace. The last line is `N passed, M failed`.
# shellcheck disable=SC2317 # the test functions are called through run_test
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
CACHE=${CARO_CROSS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/caro-install-cross}
MUSL=$CACHE/x86_64-unknown-linux-musl/x86_64-unknown-linux-musl/debug/caro-install
ARM64=$CACHE/aarch64-unknown-linux-gnu/aarch64-unknown-linux-gnu/debug/caro-install

W=$(mktemp -d "${TMPDIR:-/tmp}/caro-cross-test.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
REPORT_LOG=$W/out
# shellcheck source=tests/lib/report.sh
. "$REPO/tests/lib/report.sh"

# expect_in FILE TEXT: FILE contains TEXT.
expect_in() {
    grep -qF -- "$2" "$1" || problem "$(basename "$1") lacks \`$2\`"
}

# elf_machine FILE: the ELF e_machine of FILE in decimal (62 x86_64, 183 aarch64), and
# whether it asks for a program interpreter (a dynamic loader).
elf_machine() {
    python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
machine = struct.unpack_from("<H", data, 18)[0]
phoff, = struct.unpack_from("<Q", data, 0x20)
size, count = struct.unpack_from("<HH", data, 0x36)
interp = any(struct.unpack_from("<I", data, phoff + i * size)[0] == 3 for i in range(count))
print(machine, "dynamic" if interp else "static")
EOF
}

for tool in python3:python3 qemu-aarch64-static:qemu-user-static chroot:coreutils \
    unshare:util-linux apt-get:apt dpkg-deb:dpkg; do
    if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
        failed=$((failed + 1))
        printf "FAIL  tool \`%s\` is available\n        install it: apt-get install %s\n" \
            "${tool%%:*}" "${tool#*:}"
    fi
done
for build in "$MUSL" "$ARM64"; do
    if [ ! -x "$build" ]; then
        failed=$((failed + 1))
        printf 'FAIL  %s exists\n        build it with: bash scripts/cross.sh\n' "$build"
    fi
done
[ "$failed" -eq 0 ] || { summary; exit; }

# --- musl: a busybox-only chroot ------------------------------------------------------------

# busybox-static is taken from its Debian package without installing it (it would replace
# the dynamic busybox the bootstrap tests use); the .deb is kept in the cache.
busybox_static() {
    local debs=$CACHE/debs bin=$CACHE/busybox-static/bin/busybox
    [ -x "$bin" ] && return 0
    mkdir -p "$debs"
    if ! ls "$debs"/busybox-static_*.deb >/dev/null 2>&1; then
        (cd "$debs" && apt-get download busybox-static >/dev/null 2>&1) ||
            { [ "$(id -u)" = 0 ] && apt-get update -qq &&
                (cd "$debs" && apt-get download busybox-static >/dev/null); } ||
            return 1
    fi
    local deb=("$debs"/busybox-static_*.deb)
    rm -rf "$CACHE/busybox-static.tmp"
    dpkg-deb -x "${deb[0]}" "$CACHE/busybox-static.tmp" &&
        mkdir -p "$CACHE/busybox-static/bin" &&
        mv "$CACHE/busybox-static.tmp/bin/busybox" "$bin"
}

ROOT=$W/root
# in_root COMMAND...: runs COMMAND in the chroot with an empty environment but HOME and PATH,
# and a /proc of its own (as a real system has: caro-install finds itself through
# /proc/self/exe), mounted in a private mount namespace that goes away with it.
in_root() {
    local enter=(unshare --mount --pid --fork --mount-proc="$ROOT/proc")
    [ "$(id -u)" = 0 ] || enter=(unshare --map-root-user --mount --pid --fork --mount-proc="$ROOT/proc")
    "${enter[@]}" chroot "$ROOT" /bin/busybox env -i HOME=/home/user PATH=/usr/local/bin:/bin "$@"
}

make_root() {
    busybox_static || return 1
    # No /dev at all, not even /dev/null: the install (its start-up check of the new build
    # included) must not need one.
    mkdir -p "$ROOT"/{bin,lib,proc,tmp,home/user,usr/local/bin,mirror}
    cp "$CACHE/busybox-static/bin/busybox" "$ROOT/bin/busybox"
    # The musl loader, as Alpine has it: how caro-install tells musl from glibc when
    # /bin/sh is static.
    cp "$(readlink -f /lib/ld-musl-x86_64.so.1)" "$ROOT/lib/ld-musl-x86_64.so.1"
    cp "$MUSL" "$ROOT/usr/local/bin/caro-install"
    cp -R "$REPO/fixtures/mirror/." "$ROOT/mirror/"
    in_root /bin/busybox --install -s /bin
}

test_the_root_has_no_glibc_and_no_bash() {
    local found
    found=$(cd "$ROOT" && find . \( -name 'libc.so*' -o -name 'ld-linux*' -o -name bash \) -print)
    [ -z "$found" ] || problem "the chroot holds $found"
    [ "$(elf_machine "$MUSL")" = "62 static" ] ||
        problem "the musl build is not a static x86_64 binary: $(elf_machine "$MUSL")"
    # No caro before the install, so the check after it can fail.
    if in_root /bin/sh -l -c 'command -v caro' >"$W/out" 2>&1; then
        problem "a login shell finds caro before the install"
    fi
}

test_musl_installs_and_edits_path() {
    if ! in_root CARO_INSTALLER_GITHUB_BASE_URL=file:///mirror /usr/local/bin/caro-install \
        --version 1.1.0 -y -v >"$W/out" 2>&1; then
        problem "caro-install --version 1.1.0 -y -v failed in the chroot"
        return
    fi
    expect_in "$W/out" "linux-amd64-musl"
    expect_in "$W/out" "musl libc"
    cmp -s "$ROOT/home/user/.local/bin/caro" \
        "$ROOT/mirror/wildcard/caro/releases/download/v1.1.0/caro-1.1.0-linux-amd64-musl" ||
        problem "the installed caro is not caro-1.1.0-linux-amd64-musl from the mirror"
    cmp -s "$ROOT/home/user/.local/bin/caro-install" "$MUSL" ||
        problem "caro-install did not copy itself next to caro"
    if [ -f "$ROOT/home/user/.profile" ]; then
        expect_in "$ROOT/home/user/.profile" ".config/caro/env"
    else
        problem "the install did not create .profile"
    fi
    # A new login shell (busybox ash reads ~/.profile) finds caro through that edit alone.
    in_root /bin/sh -l -c 'command -v caro && caro --version && caro' >"$W/out" 2>&1 ||
        problem "a login shell does not run caro"
    expect_in "$W/out" "/home/user/.local/bin/caro"
    expect_in "$W/out" "caro 1.1.0"
    expect_in "$W/out" "a stand-in build for linux-amd64-musl"
}

test_musl_uninstall_undoes_it() {
    if ! in_root /home/user/.local/bin/caro-install uninstall -y >"$W/out" 2>&1; then
        problem "caro-install uninstall -y failed in the chroot"
        return
    fi
    [ ! -e "$ROOT/home/user/.local/bin/caro" ] || problem "caro is still there"
    if in_root /bin/sh -l -c 'command -v caro' >>"$W/out" 2>&1; then
        problem "a login shell still finds caro after uninstall"
    fi
}

if make_root >"$W/out" 2>&1; then
    run_test "musl chroot: no glibc, no bash, static caro-install" test_the_root_has_no_glibc_and_no_bash
    run_test "musl chroot: install picks linux-amd64-musl, a login shell finds caro" \
        test_musl_installs_and_edits_path
    run_test "musl chroot: uninstall removes caro and the PATH edit" test_musl_uninstall_undoes_it
else
    failed=$((failed + 1))
    printf 'FAIL  a busybox-only chroot can be made\n'
    sed 's/^/        | /' "$W/out"
    printf '        help: it needs busybox-static (apt-get download busybox-static), chroot and unshare\n'
fi

# --- arm64: qemu-aarch64-static -------------------------------------------------------------

# on_arm64 ARGS...: the aarch64 build under qemu, with a fresh HOME and a minimal PATH.
on_arm64() {
    env -i HOME="$W/arm64-home" PATH=/usr/bin:/bin QEMU_LD_PREFIX=/usr/aarch64-linux-gnu \
        CARO_INSTALLER_GITHUB_BASE_URL="file://$REPO/fixtures/mirror" \
        qemu-aarch64-static "$ARM64" "$@"
}

test_arm64_chooses_linux_arm64() {
    [ "$(elf_machine "$ARM64")" = "183 dynamic" ] ||
        problem "the arm64 build is not a dynamic aarch64 binary: $(elf_machine "$ARM64")"
    mkdir -p "$W/arm64-home"
    if ! on_arm64 --version 1.1.0 --dry-run -v >"$W/out" 2>&1; then
        problem "caro-install --dry-run failed under qemu"
        return
    fi
    expect_in "$W/out" "Linux aarch64 with glibc"
    expect_in "$W/out" "releases/download/v1.1.0/caro-1.1.0-linux-arm64"
    if grep -qF 'linux-amd64' "$W/out"; then problem "the plan mentions linux-amd64"; fi
}

test_arm64_installs() {
    local dir=$W/arm64-bin
    if ! on_arm64 --version 1.1.0 --install-dir "$dir" --no-modify-path -y >"$W/out" 2>&1; then
        problem "caro-install --version 1.1.0 failed under qemu"
        return
    fi
    cmp -s "$dir/caro" "$REPO/fixtures/mirror/wildcard/caro/releases/download/v1.1.0/caro-1.1.0-linux-arm64" ||
        problem "$dir/caro is not caro-1.1.0-linux-arm64 from the mirror"
    cmp -s "$dir/caro-install" "$ARM64" || problem "caro-install did not copy itself next to caro"
    expect_in "$W/arm64-home/.config/caro/caro-receipt.json" '"platform": "linux-arm64"'
}

run_test "arm64 under qemu: --dry-run picks linux-arm64" test_arm64_chooses_linux_arm64
run_test "arm64 under qemu: installs caro 1.1.0 for linux-arm64" test_arm64_installs

summary
