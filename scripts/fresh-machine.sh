#!/usr/bin/env bash
# The check before a release: does the README's test command pass on a brand-new machine?
#
#   sudo bash scripts/fresh-machine.sh [BRANCH]      (default: the branch checked out here)
#
# Makes a new Debian bookworm root with debootstrap in a folder (CARO_FRESH_ROOT, default
# /var/tmp/caro-fresh-machine), with nothing added but git and ca-certificates (what a
# machine needs to have installed Rust and to clone), makes this machine's Rust toolchain
# visible inside, read-only (~/.rustup and ~/.cargo/bin: never the cargo registry, never
# ~/.cache), clones BRANCH's last commit there, and runs `./scripts/test.sh` as root inside,
# so every package the command needs must be installed by the command itself. Uncommitted
# changes are not part of the check.
#
# Not a step of the test command: it takes well over an hour and needs root (debootstrap,
# mounts, chroot). The mounts live in a mount namespace of their own, so they vanish when
# the check ends, however it ends; the root folder stays for a look and is replaced by the
# next run. Environment: CARO_FRESH_ROOT, CARO_FRESH_MIRROR (a Debian mirror), and
# CARO_FRESH_COMMAND to run one step instead of the whole command (e.g. `bash
# tests/npm/run.sh`), to check again a step that failed there without the hour.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly ROOT="${CARO_FRESH_ROOT:-/var/tmp/caro-fresh-machine}"
readonly MIRROR="${CARO_FRESH_MIRROR:-http://deb.debian.org/debian}"
readonly SUITE=bookworm
# A file only this script writes: the root folder is removed only when it holds it.
readonly MARK=.caro-fresh-machine

say() { printf '\n==> %s\n' "$*"; }
err() {
    printf 'error: %s\n' "$1" >&2
    [ $# -lt 2 ] || printf 'help: %s\n' "$2" >&2
    exit 1
}

minutes() { printf '%d min %02d s' "$(($1 / 60))" "$(($1 % 60))"; }

# Removes the root of an earlier run, if this script made it and nothing is mounted in it.
remove_old_root() {
    [ -e "$ROOT" ] || return 0
    [ -f "$ROOT/$MARK" ] || err "\`$ROOT\` exists and was not made by this script" \
        "remove it yourself, or choose another folder with CARO_FRESH_ROOT"
    if grep -qF " $ROOT/" /proc/self/mountinfo; then
        err "something is still mounted under \`$ROOT\`" "unmount it (findmnt -R $ROOT), then run again"
    fi
    say "removing the root of the last run ($ROOT)"
    rm -rf --one-file-system "$ROOT"
}

make_root() {
    say "debootstrap $SUITE into $ROOT (from $MIRROR)"
    local start=$SECONDS
    mkdir -p "$ROOT"
    touch "$ROOT/$MARK"
    debootstrap --include=git,ca-certificates "$SUITE" "$ROOT" "$MIRROR"
    # What a new bookworm machine's apt reads, with the updates and security archives.
    rm -f "$ROOT/etc/apt/sources.list"
    cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
    copy_network_trust
    mkdir -p "$ROOT/root/.rustup" "$ROOT/root/.cargo/bin"
    printf 'debootstrap took %s\n' "$(minutes $((SECONDS - start)))"
}

# The network this machine sits on may inspect TLS with a CA of its own (added to the
# system bundle here): the new machine, on the same network, trusts it too, or neither
# cargo nor npm could reach their registries. Only certificates are copied, no settings.
copy_network_trust() {
    local host=/etc/ssl/certs/ca-certificates.crt extra="$ROOT/usr/local/share/ca-certificates"
    [ -f "$host" ] || return 0
    python3 - "$host" "$ROOT/etc/ssl/certs/ca-certificates.crt" "$extra" <<'PY'
import re, sys
pem = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)
host, new, extra = (open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3])
known = set(pem.findall(new))
for n, cert in enumerate(c for c in pem.findall(host) if c not in known):
    with open(f"{extra}/caro-fresh-machine-{n}.crt", "w") as f:
        f.write(cert + "\n")
PY
    if ls "$extra"/caro-fresh-machine-*.crt >/dev/null 2>&1; then
        printf 'this machine trusts %s certificate(s) beyond Debian'"'"'s: the new machine trusts them too\n' \
            "$(find "$extra" -name 'caro-fresh-machine-*.crt' | wc -l)"
        chroot "$ROOT" update-ca-certificates >/dev/null 2>&1
    fi
}

# Runs the clone and the test command in the root, in a mount namespace of its own.
run_test_command() {
    local branch=$1 command=${CARO_FRESH_COMMAND:-./scripts/test.sh}
    # shellcheck disable=SC2016 # expanded inside the new namespace
    unshare --mount --propagation private -- bash -euc '
        root=$1 branch=$2 command=$3
        # The root a mount point of its own, as / is on a real machine: unshare --mount
        # (the bootstrap and cross tests) cannot make / private otherwise.
        mount --bind "$root" "$root"
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --rbind /dev "$root/dev"
        for dir in .rustup .cargo/bin; do
            mount --bind "$HOME/$dir" "$root/root/$dir"
            mount -o remount,bind,ro "$root/root/$dir"
        done
        # Node and pip carry their own roots: point them at the system bundle, which
        # holds the network'"'"'s CA when there is one (copy_network_trust).
        exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
            NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
            PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
            PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            bash -euc "
                cd /root
                git clone --quiet --branch $branch /tmp/caro-install.bundle caro-install
                cd caro-install
                git log -1 --format=\"testing %h %s\"
                cargo --version
                start=\$SECONDS
                status=0
                $command || status=\$?
                echo \"$command took \$(((SECONDS - start) / 60)) min \$(((SECONDS - start) % 60)) s, exit status \$status\"
                exit \$status
            "
    ' fresh-machine "$ROOT" "$branch" "$command"
}

main() {
    [ "$(id -u)" = 0 ] || err "debootstrap, the mounts and chroot need root" "run it as root: sudo bash $0"
    # shellcheck source=scripts/lib/needs.sh
    . scripts/lib/needs.sh
    need_packages "the new-machine check" debootstrap:debootstrap git:git unshare:util-linux \
        chroot:coreutils python3:python3
    local branch=${1:-$(git symbolic-ref --short HEAD)}
    git rev-parse --verify --quiet "refs/heads/$branch" >/dev/null ||
        err "\`$branch\` is not a branch of this repository" "name one: git branch --list"
    local start=$SECONDS
    remove_old_root
    make_root
    git bundle create "$ROOT/tmp/caro-install.bundle" "$branch" 2>/dev/null
    say "the test command on the new machine (branch $branch, $(git rev-parse --short "$branch"))"
    local status=0
    run_test_command "$branch" || status=$?
    say "the new-machine check took $(minutes $((SECONDS - start))) in all, exit status $status (root kept in $ROOT)"
    return "$status"
}

main "$@" || exit 1
