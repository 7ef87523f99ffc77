#!/usr/bin/env bash
# Tests for install.sh, the bootstrap of caro-install (tests/bootstrap/README.md has the
# list). Run from anywhere: bash tests/bootstrap/run.sh
#
# install.sh runs for real, under dash, bash, busybox sh and zsh in sh emulation, with a
# temporary HOME and a minimal PATH, against a release mirror built here from
# target/debug/caro-install and fixtures/mirror, served by serve.py on 127.0.0.1 (and as a
# file:// mirror). Nothing touches the internet. The last line is `N passed, M failed`; the
# exit status is non-zero when anything failed.

set -u

cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
# CARO_BOOTSTRAP_SCRIPT tests another copy of install.sh (to check that these tests catch a broken one).
SCRIPT=${CARO_BOOTSTRAP_SCRIPT:-$REPO/install.sh}
BINARY=$REPO/target/debug/caro-install

W=$(mktemp -d "${TMPDIR:-/tmp}/caro-bootstrap-test.XXXXXX") || exit 1
REPORT_LOG=$W/err REPORT_LOG_LABEL="stderr of the last run" REPORT_LOG_LINES=15
# shellcheck source=tests/lib/report.sh
. "$REPO/tests/lib/report.sh"
SERVER_PID=
finish() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; fi
    rm -rf "$W"
}
trap finish EXIT
trap 'exit 130' INT TERM

# --- tools --------------------------------------------------------------------------------

APT_HINT="apt-get install dash zsh busybox shellcheck python3 curl wget bsdutils util-linux"
declare -A TOOL
for tool in dash zsh busybox shellcheck python3 curl wget bash script setsid; do
    TOOL[$tool]=$(command -v "$tool" 2>/dev/null || true)
    if [ -z "${TOOL[$tool]}" ]; then
        fail_now "tool \`$tool\` is available" "missing: install it (Debian/Ubuntu: $APT_HINT)"
    fi
done

# Shell name -> the command that runs a script file with it (arguments follow).
declare -A SHELL_CMD=(
    [dash]="${TOOL[dash]}"
    [bash]="${TOOL[bash]}"
    [busybox]="${TOOL[busybox]} sh"
    [zsh]="${TOOL[zsh]} --emulate sh"
)
SHELLS=()
for name in dash bash busybox zsh; do
    [ -n "${TOOL[$name]}" ] && SHELLS+=("$name")
done
if [ -z "${TOOL[python3]}" ] || [ -z "${TOOL[curl]}" ]; then
    summary
    exit 1
fi

# --- the caro-install build ---------------------------------------------------------------

if [ ! -x "$BINARY" ] ||
    [ -n "$(find src Cargo.toml Cargo.lock -newer "$BINARY" -print -quit 2>/dev/null)" ]; then
    echo "building target/debug/caro-install (cargo build --offline)"
    if ! cargo build --offline --quiet --bin caro-install; then
        fail_now "cargo build --offline" "could not build target/debug/caro-install"
        summary
        exit 1
    fi
fi

# --- the mirror ---------------------------------------------------------------------------

M=$W/mirror
MARKER=$W/marker
sha256_of() { sha256sum <"$1" | cut -d' ' -f1; }
GENUINE_SHA=$(sha256_of "$BINARY")

# publish DIR NAME SOURCE [SIDECAR]: copies SOURCE to DIR/NAME with a NAME.sha256 sidecar in
# the GNU form, or holding SIDECAR (a printf format, so \r\n can be spelled out).
publish() {
    mkdir -p "$1"
    cp "$3" "$1/$2"
    if [ $# -ge 4 ]; then
        # shellcheck disable=SC2059 # the sidecar text is a printf format on purpose
        printf "$4" >"$1/$2.sha256"
    else
        printf '%s  %s\n' "$(sha256_of "$1/$2")" "$2" >"$1/$2.sha256"
    fi
}

# A "caro-install" that only proves it ran.
printf '#!/bin/sh\n: >"%s"\necho "marker ran"\n' "$MARKER" >"$W/marker-installer"
chmod 755 "$W/marker-installer"
MARKER_SHA=$(sha256_of "$W/marker-installer")

CI=$M/wildcard/caro-install/releases
publish "$CI/latest/download" caro-install-linux-amd64 "$BINARY"
# The pinned release uses the BSD sidecar form, upper case, CRLF.
publish "$CI/download/v0.1.0" caro-install-0.1.0-linux-amd64 "$BINARY" \
    "SHA256 (caro-install-0.1.0-linux-amd64) = $(sha256_of "$BINARY" | tr a-f A-F)\r\n"
# A release that only has the legacy name.
publish "$CI/download/v0.0.9" caro-install-linux-amd64 "$BINARY"
mkdir -p "$M/wildcard"
cp -R "$REPO/fixtures/mirror/wildcard/caro" "$M/wildcard/caro"

T=$M/test
# The marker installer with its true sidecar: what the cut script would run if it ran.
publish "$T/marker/releases/latest/download" caro-install-linux-amd64 "$W/marker-installer"
# Tampered: the marker installer served with the genuine caro-install's sidecar.
publish "$T/tampered/releases/latest/download" caro-install-linux-amd64 "$W/marker-installer" \
    "$GENUINE_SHA  caro-install-linux-amd64\n"
# No sidecar at all, and a sidecar that holds no digest.
publish "$T/nosidecar/releases/latest/download" caro-install-linux-amd64 "$W/marker-installer"
rm "$T/nosidecar/releases/latest/download/caro-install-linux-amd64.sha256"
publish "$T/badsidecar/releases/latest/download" caro-install-linux-amd64 "$W/marker-installer" \
    "not a digest  caro-install-linux-amd64\n"
mkdir -p "$T/empty/releases"
# Redirects (serve.py answers NAME.redirect with a 302): off loopback to a name that curl
# would resolve to this very server, so following it would show in the log; and to a
# loopback host, which is followed.
D=releases/latest/download
mkdir -p "$T/redirect-off/$D" "$T/redirect-loopback/$D"
printf 'http://elsewhere.localhost:{port}/test/marker/%s/caro-install-linux-amd64\n' "$D" \
    >"$T/redirect-off/$D/caro-install-linux-amd64.redirect"
cp "$T/marker/$D/caro-install-linux-amd64.sha256" "$T/redirect-off/$D/"
printf 'http://localhost:{port}/wildcard/caro-install/%s/caro-install-linux-amd64\n' "$D" \
    >"$T/redirect-loopback/$D/caro-install-linux-amd64.redirect"
cp "$CI/latest/download/caro-install-linux-amd64.sha256" "$T/redirect-loopback/$D/"
# An installer that says whether its stdin is a terminal.
printf '#!/bin/sh\nif [ -t 0 ]; then echo "stdin: terminal"; else echo "stdin: not a terminal"; fi\n' >"$W/tty-installer"
publish "$T/tty/releases/latest/download" caro-install-linux-amd64 "$W/tty-installer"
# Every accepted sidecar form, for an installer that prints `form ok`.
printf '#!/bin/sh\necho "form ok"\n' >"$W/form-installer"
FORM_SHA=$(sha256_of "$W/form-installer")
FORM_SHA_UPPER=$(printf '%s' "$FORM_SHA" | tr a-f A-F)
declare -A FORMS=(
    [bare]="$FORM_SHA\n"
    [bare-no-newline]="$FORM_SHA"
    [gnu-text]="$FORM_SHA  caro-install-linux-amd64\n"
    [gnu-binary]="$FORM_SHA *caro-install-linux-amd64\n"
    [bsd]="SHA256 (caro-install-linux-amd64) = $FORM_SHA\n"
    [upper-crlf]="$FORM_SHA_UPPER  caro-install-linux-amd64\r\n"
    [bsd-upper-crlf]="SHA256 (caro-install-linux-amd64) = $FORM_SHA_UPPER\r\n"
    [leading-blank-line]="\n$FORM_SHA  caro-install-linux-amd64\n"
)
for form in "${!FORMS[@]}"; do
    publish "$T/form-$form/releases/latest/download" caro-install-linux-amd64 "$W/form-installer" \
        "${FORMS[$form]}"
done

# --- the server ---------------------------------------------------------------------------

LOG=$W/requests.log
"${TOOL[python3]}" "$REPO/tests/bootstrap/serve.py" "$M" "$LOG" >"$W/port" 2>"$W/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do
    [ -s "$W/port" ] && break
    sleep 0.05
done
PORT=$(head -n 1 "$W/port")
if [ -z "$PORT" ]; then
    fail_now "serve.py starts" "$(cat "$W/server.err")"
    summary
    exit 1
fi
BASE=http://127.0.0.1:$PORT

# --- running install.sh -------------------------------------------------------------------

# A minimal PATH: only what install.sh and caro-install may use.
make_bin() {
    local dir=$1
    shift
    mkdir -p "$dir"
    local tool
    for tool in "$@"; do
        ln -sf "$(command -v "$tool")" "$dir/$tool"
    done
}
BASIC_TOOLS=(uname mktemp chmod rm sed tr grep dd cat cp)
make_bin "$W/bin" "${BASIC_TOOLS[@]}" curl sha256sum
make_bin "$W/bin-wget" "${BASIC_TOOLS[@]}" wget sha256sum
mkdir -p "$W/bin-busybox-wget"
make_bin "$W/bin-busybox-wget" "${BASIC_TOOLS[@]}" sha256sum
ln -sf "${TOOL[busybox]}" "$W/bin-busybox-wget/wget"
make_bin "$W/bin-nosha" "${BASIC_TOOLS[@]}" curl
make_bin "$W/bin-shasum" "${BASIC_TOOLS[@]}" curl shasum perl
make_bin "$W/bin-openssl" "${BASIC_TOOLS[@]}" curl openssl
make_bin "$W/bin-nodownloader" "${BASIC_TOOLS[@]}" sha256sum

# Fakes: uname and sysctl answering from FAKE_* variables, a snap curl, and a curl and
# wget that only record that they were called.
mkdir -p "$W/fake" "$W/snap/bin" "$W/spy"
cat >"$W/fake/uname" <<'EOF'
#!/bin/sh
case ${1:-} in
    -m) echo "$FAKE_UNAME_M" ;;
    *) echo "$FAKE_UNAME_S" ;;
esac
EOF
cat >"$W/fake/sysctl" <<'EOF'
#!/bin/sh
if [ "${1:-}" = -n ] && [ "${2:-}" = hw.optional.arm64 ] && [ -n "${FAKE_ARM64:-}" ]; then
    echo "$FAKE_ARM64"
else
    echo "sysctl: unknown oid '${2:-}'" >&2
    exit 1
fi
EOF
printf '#!/bin/sh\necho "snap curl called" >>"%s"\nexit 1\n' "$W/snap-called" >"$W/snap/bin/curl"
for tool in curl wget; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 7\n' "$tool" "$W/spy-called" >"$W/spy/$tool"
done
chmod 755 "$W"/fake/* "$W"/snap/bin/curl "$W"/spy/*

# install_sh SHELL [VAR=VALUE...] -- [ARGS...]: runs install.sh from a file with SHELL in a
# fresh HOME ($H) with only the given variables (plus HOME, PATH=$W/bin, TMPDIR and the
# mirror) in its environment. Sets $status; output in $W/out and $W/err.
install_sh() {
    local shell=$1
    shift
    local vars=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        vars+=("$1")
        shift
    done
    shift
    new_home
    # shellcheck disable=SC2086 # SHELL_CMD holds a command and its options
    env -i HOME="$H" PATH="$W/bin" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        "${vars[@]}" ${SHELL_CMD[$shell]} "$SCRIPT" "$@" </dev/null >"$W/out" 2>"$W/err"
    status=$?
}

# The same, with the script piped to `SHELL -s -- ARGS` as in `curl ... | sh -s -- ARGS`.
install_sh_piped() {
    local shell=$1
    shift
    local vars=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        vars+=("$1")
        shift
    done
    shift
    new_home
    # shellcheck disable=SC2086,SC2002 # `cat | sh` is the form under test
    cat "$SCRIPT" | env -i HOME="$H" PATH="$W/bin" TMPDIR="$W/tmp" \
        CARO_INSTALLER_GITHUB_BASE_URL="$BASE" "${vars[@]}" \
        ${SHELL_CMD[$shell]} -s -- "$@" >"$W/out" 2>"$W/err"
    status=$?
}

new_home() {
    rm -rf "${W:?}/home" "${W:?}/tmp" "$MARKER"
    mkdir -p "$W/home" "$W/tmp"
    H=$W/home
    : >"$LOG"
}

# --- expectations -------------------------------------------------------------------------

expect_status() {
    [ "$status" = "$1" ] || problem "exit status $status, expected $1"
}
expect_in() { # FILE TEXT
    grep -qF -- "$2" "$1" || problem "$(basename "$1") lacks: $2"
}
expect_not_in() {
    ! grep -qF -- "$2" "$1" || problem "$(basename "$1") should not contain: $2"
}
expect_caro() { # VERSION
    local got
    got=$("$H/.local/bin/caro" --version 2>&1)
    [ "$got" = "caro $1" ] || problem "\$HOME/.local/bin/caro --version printed \`$got\`, expected \`caro $1\`"
}
expect_no_marker() {
    [ ! -e "$MARKER" ] || problem "the downloaded file was run (marker created)"
}
expect_no_request() {
    [ ! -s "$LOG" ] || problem "requests were made: $(tr '\n' ';' <"$LOG")"
}
expect_requested() { # PATH
    grep -q "^GET $1\( \|\$\)" "$LOG" || problem "no request for $1 (log: $(grep ^GET "$LOG" | tr '\n' ';'))"
}
expect_tmp_clean() {
    [ -z "$(ls -A "$W/tmp" 2>/dev/null)" ] || problem "temporary files left in TMPDIR: $(ls -A "$W/tmp")"
}
CI_PATH=/wildcard/caro-install/releases

# --- tests --------------------------------------------------------------------------------

t_shellcheck() {
    shellcheck -s sh -S warning "$SCRIPT" >"$W/err" 2>&1 || problem "shellcheck -s sh -S warning install.sh reports warnings"
    shellcheck -s sh "$SCRIPT" >"$W/err" 2>&1 || problem "shellcheck -s sh install.sh reports notes"
}

t_ends_with_brace() {
    [ "$(tail -c 1 "$SCRIPT")" = "}" ] ||
        problem "install.sh must end with the closing brace of its { ... } group and no newline after it (see its header)"
    [ "$(grep -c '^{$' "$SCRIPT")" = 1 ] || problem "install.sh must open exactly one top-level { group"
    tail -n 3 "$SCRIPT" | grep -qF 'main "$@"' || problem "main \"\$@\" must be the last command of the group"
}

t_install() { # SHELL
    install_sh "$1" -- --version 1.0.3 -y --no-modify-path
    expect_status 0
    expect_caro 1.0.3
    expect_requested "$CI_PATH/latest/download/caro-install-linux-amd64"
    expect_requested "$CI_PATH/latest/download/caro-install-linux-amd64.sha256"
    [ -x "$H/.local/bin/caro-install" ] || problem "caro-install did not copy itself next to caro"
    expect_tmp_clean
    grep -q authorization "$LOG" && problem "a request carried an Authorization header"
}

t_install_piped() { # SHELL
    install_sh_piped "$1" -- --version 1.0.3 -y --no-modify-path
    expect_status 0
    expect_caro 1.0.3
    expect_tmp_clean
}

t_pinned() { # SHELL VERSION
    install_sh "$1" CARO_INSTALLER_VERSION="$2" -- --version 1.0.3 -y --no-modify-path
    expect_status 0
    expect_caro 1.0.3
    expect_requested "$CI_PATH/download/v0.1.0/caro-install-0.1.0-linux-amd64"
    expect_requested "$CI_PATH/download/v0.1.0/caro-install-0.1.0-linux-amd64.sha256"
    grep -q "latest" <(grep caro-install "$LOG") && problem "a pinned caro-install asked for latest"
}

t_pinned_legacy_name() {
    install_sh dash CARO_INSTALLER_VERSION=0.0.9 -- -V
    expect_status 0
    expect_in "$W/out" "caro-install 0.1.0"
    expect_requested "$CI_PATH/download/v0.0.9/caro-install-0.0.9-linux-amd64"
    expect_requested "$CI_PATH/download/v0.0.9/caro-install-linux-amd64"
}

t_pinned_missing() {
    install_sh dash CARO_INSTALLER_VERSION=9.9.9 -- -y
    expect_status 1
    expect_in "$W/err" "error: no caro-install 9.9.9 build for \`linux-amd64\` was found"
    expect_in "$W/err" "help: check CARO_INSTALLER_VERSION=9.9.9"
}

t_latest_caro() {
    install_sh bash -- -y --no-modify-path
    expect_status 0
    expect_caro 1.1.0
}

t_file_mirror() { # BIN_DIR
    local bin=$1
    new_home
    env -i HOME="$H" PATH="$bin" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="file://$M" \
        "${TOOL[dash]}" "$SCRIPT" --version 1.0.3 -y --no-modify-path </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 0
    expect_caro 1.0.3
    expect_no_request
    expect_tmp_clean
}

t_wget() {
    new_home
    env -i HOME="$H" PATH="$W/bin-wget" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        "${TOOL[dash]}" "$SCRIPT" --version 1.0.3 -y --no-modify-path </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 0
    expect_caro 1.0.3
    expect_requested "$CI_PATH/latest/download/caro-install-linux-amd64.sha256"
    # A 404 through wget is still "no build".
    new_home
    env -i HOME="$H" PATH="$W/bin-wget" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO=test/empty "${TOOL[dash]}" "$SCRIPT" -y </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "error: no caro-install build for \`linux-amd64\` was found"
    expect_tmp_clean
}

t_busybox_wget() {
    new_home
    env -i HOME="$H" PATH="$W/bin-busybox-wget" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        "${TOOL[dash]}" "$SCRIPT" --version 1.0.3 -y --no-modify-path </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 0
    expect_caro 1.0.3
    new_home
    env -i HOME="$H" PATH="$W/bin-busybox-wget" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO=test/empty "${TOOL[dash]}" "$SCRIPT" -y </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "error: no caro-install build for \`linux-amd64\` was found"
}

t_file_mirror_missing() { # BIN_DIR
    new_home
    env -i HOME="$H" PATH="$1" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="file://$M" \
        CARO_INSTALLER_REPO=test/empty "${TOOL[dash]}" "$SCRIPT" -y </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "error: no caro-install build for \`linux-amd64\` was found (404 from file://$M/test/empty/"
    expect_tmp_clean
}

t_other_sha_tool() { # BIN_DIR
    new_home
    env -i HOME="$H" PATH="$1" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO=test/form-gnu-text "${TOOL[dash]}" "$SCRIPT" </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 0
    expect_in "$W/out" "form ok"
    new_home
    env -i HOME="$H" PATH="$1" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO=test/tampered "${TOOL[dash]}" "$SCRIPT" </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "checksum mismatch"
    expect_no_marker
}

t_sidecar_form() { # FORM
    install_sh dash CARO_INSTALLER_REPO="test/form-$1" --
    expect_status 0
    expect_in "$W/out" "form ok"
}

t_tampered() { # SHELL
    install_sh "$1" CARO_INSTALLER_REPO=test/tampered -- --version 1.0.3 -y
    expect_status 1
    expect_in "$W/err" "error: checksum mismatch"
    expect_in "$W/err" "expected sha256: $GENUINE_SHA"
    expect_in "$W/err" "actual sha256:   $MARKER_SHA"
    expect_in "$W/err" "help: "
    expect_no_marker
    expect_tmp_clean
}

t_sidecar_missing() {
    install_sh dash CARO_INSTALLER_REPO=test/nosidecar -- -y
    expect_status 1
    expect_in "$W/err" "caro-install-linux-amd64.sha256 does not exist (404)"
    expect_no_marker
    install_sh dash CARO_INSTALLER_REPO=test/badsidecar -- -y
    expect_status 1
    expect_in "$W/err" "holds no sha256 digest"
    expect_no_marker
    expect_tmp_clean
}

t_no_build() {
    install_sh dash CARO_INSTALLER_REPO=test/empty -- -y
    expect_status 1
    expect_in "$W/err" "error: no caro-install build for \`linux-amd64\` was found (404 from $BASE/test/empty/releases/latest/download/caro-install-linux-amd64)"
    expect_in "$W/err" "help: "
    expect_tmp_clean
}

t_no_sha_tool() {
    new_home
    env -i HOME="$H" PATH="$W/bin-nosha" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO=test/marker "${TOOL[dash]}" "$SCRIPT" -y </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "error: this script needs sha256sum, shasum or openssl"
    expect_no_request
    expect_no_marker
}

t_no_downloader() {
    new_home
    env -i HOME="$H" PATH="$W/bin-nodownloader" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        "${TOOL[dash]}" "$SCRIPT" -y </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "error: this script needs curl or wget"
    expect_no_request
}

t_refused_base() { # URL
    new_home
    rm -f "$W/spy-called"
    env -i HOME="$H" PATH="$W/spy:$W/bin" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$1" \
        "${TOOL[dash]}" "$SCRIPT" -y </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "error: "
    [ ! -e "$W/spy-called" ] || problem "a download was attempted: $(cat "$W/spy-called")"
}

# Every line of tests/bootstrap/values.tsv: install.sh gives the table's verdict before any
# request (CARO_INSTALL_PRINT=platform stops right after the checks).
t_values_table() { # SHELL
    local name verdict value
    while IFS=$'\t' read -r name verdict value; do
        case $name in '' | '#'*) continue ;; esac
        install_sh "$1" CARO_INSTALL_PRINT=platform "$name=$value" --
        case $verdict/$status in
            ok/0 | bad/1) ;;
            *)
                problem "$name=\`$value\`: exit status $status, the table says $verdict"
                ;;
        esac
        if [ "$verdict" = bad ]; then
            expect_in "$W/err" "error: $name=\`$value\` is not"
            expect_in "$W/err" "help: unset it"
        fi
        expect_no_request
    done <"$REPO/tests/bootstrap/values.tsv"
}

t_values_ps1() {
    "${TOOL[python3]}" "$REPO/tests/bootstrap/values_ps1.py" "$REPO/install.ps1" "$REPO/tests/bootstrap/values.tsv" >"$W/err" 2>&1 ||
        problem "install.ps1's patterns disagree with tests/bootstrap/values.tsv"
}

# A loopback mirror's redirect to plain http off loopback is refused before it is requested
# (as caro-install refuses it), with curl and with wget; nothing is run.
t_redirect_off_loopback() { # BIN_DIR
    new_home
    env -i HOME="$H" PATH="$1" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO=test/redirect-off "${TOOL[dash]}" "$SCRIPT" -y </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "error: refusing the redirect from $BASE/test/redirect-off/"
    expect_in "$W/err" "to http://elsewhere.localhost:"
    expect_requested "/test/redirect-off/releases/latest/download/caro-install-linux-amd64"
    ! grep -q "/test/marker/" "$LOG" || problem "the redirect was followed: $(tr '\n' ';' <"$LOG")"
    expect_no_marker
    expect_tmp_clean
}

t_redirect_to_loopback() { # BIN_DIR
    new_home
    env -i HOME="$H" PATH="$1" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO=test/redirect-loopback "${TOOL[dash]}" "$SCRIPT" --version 1.0.3 -y --no-modify-path \
        </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 0
    expect_caro 1.0.3
    expect_requested "$CI_PATH/latest/download/caro-install-linux-amd64"
}

t_snap_curl() {
    new_home
    rm -f "$W/snap-called"
    env -i HOME="$H" PATH="$W/snap/bin:$W/bin-nodownloader" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        "${TOOL[dash]}" "$SCRIPT" -y </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 1
    expect_in "$W/err" "is a snap, which cannot write outside its sandbox"
    expect_in "$W/err" "help: "
    [ ! -e "$W/snap-called" ] || problem "the snap curl was called"
    expect_no_request
    # With wget available, the snap curl is passed over for it.
    new_home
    env -i HOME="$H" PATH="$W/snap/bin:$W/bin-wget" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        "${TOOL[dash]}" "$SCRIPT" --version 1.0.3 -y --no-modify-path </dev/null >"$W/out" 2>"$W/err"
    status=$?
    expect_status 0
    expect_caro 1.0.3
    [ ! -e "$W/snap-called" ] || problem "the snap curl was called"
}

t_exit_status_passes_through() {
    install_sh dash -- --no-such-option
    expect_status 2
    expect_in "$W/err" "--no-such-option"
    expect_tmp_clean
    install_sh dash -- -V
    expect_status 0
    expect_in "$W/out" "caro-install 0.1.0"
}

t_quiet() {
    install_sh dash CARO_PRINT_QUIET=1 -- --version 1.0.3 -y --no-modify-path
    expect_status 0
    expect_caro 1.0.3
    expect_not_in "$W/err" "downloading"
    install_sh dash -- --version 1.0.3 -yq --no-modify-path
    expect_status 0
    expect_not_in "$W/err" "downloading"
    install_sh dash -- --version 1.0.3 -y --no-modify-path
    expect_in "$W/err" "downloading caro-install for linux-amd64"
}

# curl ... | sh: caro-install gets the terminal as stdin when there is one (for its prompts),
# and stdin as it is when there is none.
t_tty() {
    rm -f "$W/err"
    script -qec "cat '$SCRIPT' | env -i HOME='$W/home' PATH='$W/bin' TMPDIR='$W/tmp' \
        CARO_INSTALLER_GITHUB_BASE_URL='$BASE' CARO_INSTALLER_REPO=test/tty ${TOOL[dash]} -s" /dev/null \
        </dev/null >"$W/out" 2>&1
    status=$?
    expect_status 0
    expect_in "$W/out" "stdin: terminal"
    # shellcheck disable=SC2002 # `cat | sh` is the form under test
    cat "$SCRIPT" | setsid -w env -i HOME="$W/home" PATH="$W/bin" TMPDIR="$W/tmp" \
        CARO_INSTALLER_GITHUB_BASE_URL="$BASE" CARO_INSTALLER_REPO=test/tty "${TOOL[dash]}" -s >"$W/out" 2>"$W/err"
    status=$?
    expect_status 0
    expect_in "$W/out" "stdin: not a terminal"
}

t_verbose() {
    install_sh dash CARO_PRINT_VERBOSE=1 CARO_INSTALLER_REPO=test/form-bsd --
    expect_status 0
    expect_in "$W/err" "GET $BASE/test/form-bsd/releases/latest/download/caro-install-linux-amd64.sha256"
    expect_in "$W/err" "sha256 $FORM_SHA matches"
}

t_ps1_lint() {
    "${TOOL[python3]}" "$REPO/tests/bootstrap/ps1_lint.py" "$REPO/install.ps1" "$REPO/tests/bootstrap/windows-mirror.ps1" >"$W/err" 2>&1 ||
        problem "ps1_lint.py reports problems"
}

t_token_not_sent() {
    install_sh dash CARO_GITHUB_TOKEN=secret-token -- --version 1.0.3 -y --no-modify-path
    expect_status 0
    if grep caro-install/ "$LOG" | grep -q authorization; then
        problem "install.sh sent an Authorization header"
    fi
}

# platform SHELL EXPECTED [VAR=VALUE...]: CARO_INSTALL_PRINT=platform with fakes on PATH.
t_platform() {
    local shell=$1 expected=$2
    shift 2
    # shellcheck disable=SC2086
    env -i PATH="$W/fake:$W/bin" HOME="$W" CARO_INSTALL_PRINT=platform "$@" \
        ${SHELL_CMD[$shell]} "$SCRIPT" </dev/null >"$W/out" 2>"$W/err"
    status=$?
    case $expected in
        error:*)
            expect_status 1
            expect_in "$W/err" "${expected#error:}"
            ;;
        *)
            expect_status 0
            [ "$(cat "$W/out")" = "$expected" ] || problem "printed \`$(cat "$W/out")\`, expected \`$expected\`"
            ;;
    esac
}

t_platform_here() { # SHELL
    # shellcheck disable=SC2086
    env -i PATH="$W/bin" HOME="$W" CARO_INSTALL_PRINT=platform ${SHELL_CMD[$1]} "$SCRIPT" >"$W/out" 2>"$W/err"
    status=$?
    expect_status 0
    [ "$(cat "$W/out")" = linux-amd64 ] || problem "printed \`$(cat "$W/out")\`, expected linux-amd64"
}

# Fake system roots for the libc probe: /bin/sh naming a loader, or static with loaders.
make_root() { # DIR INTERPRETER [LOADER...]
    local dir=$1 interp=$2
    shift 2
    mkdir -p "$dir/bin" "$dir/lib" "$dir/lib64"
    { printf '\177ELF\002\001\001\000'; head -c 500 /dev/zero; printf '%s\000' "$interp"; head -c 2000 /dev/zero; } >"$dir/bin/sh"
    local loader
    for loader in "$@"; do : >"$dir/$loader"; done
}
make_root "$W/root-musl-amd64" /lib/ld-musl-x86_64.so.1
make_root "$W/root-musl-arm64" /lib/ld-musl-aarch64.so.1
make_root "$W/root-glibc" /lib64/ld-linux-x86-64.so.2 lib/ld-musl-x86_64.so.1
make_root "$W/root-static-musl" "" lib/ld-musl-x86_64.so.1
make_root "$W/root-static-both" "" lib/ld-musl-x86_64.so.1 lib64/ld-linux-x86-64.so.2

PLATFORM_CASES=(
    "macos-silicon|FAKE_UNAME_S=Darwin FAKE_UNAME_M=x86_64 FAKE_ARM64=1"
    "macos-intel|FAKE_UNAME_S=Darwin FAKE_UNAME_M=x86_64 FAKE_ARM64=0"
    "macos-intel|FAKE_UNAME_S=Darwin FAKE_UNAME_M=x86_64"
    "macos-silicon|FAKE_UNAME_S=Darwin FAKE_UNAME_M=arm64"
    "linux-amd64|FAKE_UNAME_S=Linux FAKE_UNAME_M=x86_64"
    "linux-arm64|FAKE_UNAME_S=Linux FAKE_UNAME_M=aarch64"
    "linux-amd64-musl|FAKE_UNAME_S=Linux FAKE_UNAME_M=x86_64 _CARO_INSTALL_TEST_ROOT=$W/root-musl-amd64"
    "linux-arm64-musl|FAKE_UNAME_S=Linux FAKE_UNAME_M=aarch64 _CARO_INSTALL_TEST_ROOT=$W/root-musl-arm64"
    "linux-amd64|FAKE_UNAME_S=Linux FAKE_UNAME_M=x86_64 _CARO_INSTALL_TEST_ROOT=$W/root-glibc"
    "linux-amd64-musl|FAKE_UNAME_S=Linux FAKE_UNAME_M=x86_64 _CARO_INSTALL_TEST_ROOT=$W/root-static-musl"
    "linux-amd64|FAKE_UNAME_S=Linux FAKE_UNAME_M=x86_64 _CARO_INSTALL_TEST_ROOT=$W/root-static-both"
    "error:install.ps1|FAKE_UNAME_S=MINGW64_NT-10.0-19045 FAKE_UNAME_M=x86_64"
    "error:install.ps1|FAKE_UNAME_S=MSYS_NT-10.0-19045 FAKE_UNAME_M=x86_64"
    "error:install.ps1|FAKE_UNAME_S=CYGWIN_NT-10.0 FAKE_UNAME_M=x86_64"
    "error:not built for the operating system \`FreeBSD\`|FAKE_UNAME_S=FreeBSD FAKE_UNAME_M=amd64"
    "error:not built for the CPU \`i686\`|FAKE_UNAME_S=Linux FAKE_UNAME_M=i686"
)

# The script cut short must make no request and run nothing. The full script, which here
# fetches the marker installer, is the control: it must make requests and run it.
cut_offsets() {
    local size lines_start
    size=$(wc -c <"$SCRIPT")
    {
        echo 0
        # every line boundary
        awk '{ n += length($0) + 1; print n }' "$SCRIPT"
        # every byte of the last 3 lines
        lines_start=$(($(head -n "$(($(wc -l <"$SCRIPT") - 2))" "$SCRIPT" | wc -c)))
        seq "$lines_start" "$((size - 1))"
        # a few hundred spread offsets
        seq 7 $((size / 300 + 1)) "$((size - 1))"
    } | awk -v size="$size" '$1 < size' | sort -n -u
}

t_cut() { # SHELL PIPED
    local shell=$1 piped=$2 offset bad=() count=0
    rm -f "$MARKER"
    : >"$LOG"
    while read -r offset; do
        head -c "$offset" "$SCRIPT" >"$W/cut.sh"
        if [ "$piped" = piped ]; then
            # shellcheck disable=SC2086
            env -i HOME="$W/home" PATH="$W/bin" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
                CARO_INSTALLER_REPO=test/marker ${SHELL_CMD[$shell]} -s -- --version 1.0.3 -y \
                <"$W/cut.sh" >/dev/null 2>&1
        else
            # shellcheck disable=SC2086
            env -i HOME="$W/home" PATH="$W/bin" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
                CARO_INSTALLER_REPO=test/marker ${SHELL_CMD[$shell]} "$W/cut.sh" --version 1.0.3 -y \
                </dev/null >/dev/null 2>&1
        fi
        count=$((count + 1))
        if [ -s "$LOG" ] || [ -e "$MARKER" ]; then
            bad+=("$offset")
            rm -f "$MARKER"
            : >"$LOG"
        fi
    done < <(cut_offsets)
    [ ${#bad[@]} -eq 0 ] || problem "cut at byte offsets ${bad[*]} (of $count tried) made a request or ran the download"
    [ "$count" -gt 300 ] || problem "only $count cut offsets were tried"
    # The control: the whole file does fetch and run the marker installer.
    # shellcheck disable=SC2086
    env -i HOME="$W/home" PATH="$W/bin" TMPDIR="$W/tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO=test/marker ${SHELL_CMD[$shell]} "$SCRIPT" </dev/null >"$W/out" 2>"$W/err"
    if [ ! -s "$LOG" ] || [ ! -e "$MARKER" ]; then
        problem "control: the whole script did not fetch and run the marker installer"
    fi
}

# noexec temporary directories need a private mount namespace (unshare, as root or in a
# user namespace).
t_noexec() { # HOME_NOEXEC
    local prefix
    if unshare -rm true 2>/dev/null; then prefix=(unshare -rm); else prefix=(unshare -m); fi
    new_home
    rm -f "$MARKER"
    mkdir -p "$W/noexec-tmp" "$W/noexec-home"
    local home=$W/home repo=wildcard/caro-install
    [ "$1" = home-noexec ] && home=$W/noexec-home repo=test/marker
    # shellcheck disable=SC2016 # the inner script expands its own variables
    "${prefix[@]}" env -i HOME="$home" PATH="$W/bin" TMPDIR="$W/noexec-tmp" CARO_INSTALLER_GITHUB_BASE_URL="$BASE" \
        CARO_INSTALLER_REPO="$repo" NOEXEC_TMP="$W/noexec-tmp" NOEXEC_HOME="$W/noexec-home" MOUNT_HOME="$1" MOUNT="$(command -v mount)" \
        "${TOOL[dash]}" -c '
            "$MOUNT" -t tmpfs -o noexec tmpfs "$NOEXEC_TMP" || exit 99
            if [ "$MOUNT_HOME" = home-noexec ]; then "$MOUNT" -t tmpfs -o noexec tmpfs "$NOEXEC_HOME" || exit 99; fi
            exec "$0" "$@"' "${TOOL[dash]}" "$SCRIPT" --version 1.0.3 -y --no-modify-path </dev/null >"$W/out" 2>"$W/err"
    status=$?
    if [ "$1" = home-noexec ]; then
        expect_status 1
        expect_in "$W/err" "error: found no temporary directory where a program may run"
        expect_in "$W/err" "help: set TMPDIR"
        expect_no_marker
    else
        expect_status 0
        expect_caro 1.0.3
        [ -z "$(find "$H" -maxdepth 1 -name '.caro-install.*')" ] || problem "the temporary directory in HOME was left behind"
    fi
}

# --- run ----------------------------------------------------------------------------------

echo "install.sh against $BASE and file://$M"
run_test "shellcheck -s sh -S warning install.sh is clean" t_shellcheck
run_test "install.sh is one { ... } group ending in its closing brace" t_ends_with_brace

for shell in "${SHELLS[@]}"; do
    run_test "$shell: CARO_INSTALL_PRINT=platform prints linux-amd64 here" t_platform_here "$shell"
done
for shell in "${SHELLS[@]}"; do
    for case in "${PLATFORM_CASES[@]}"; do
        expected=${case%%|*}
        read -r -a vars <<<"${case#*|}"
        run_test "$shell: platform ${vars[*]#FAKE_} -> ${expected}" t_platform "$shell" "$expected" "${vars[@]}"
    done
done

for shell in "${SHELLS[@]}"; do
    run_test "$shell: install.sh --version 1.0.3 -y --no-modify-path installs caro 1.0.3" t_install "$shell"
    run_test "$shell: cat install.sh | sh -s -- --version 1.0.3 ... installs caro 1.0.3" t_install_piped "$shell"
    run_test "$shell: CARO_INSTALLER_VERSION=0.1.0 fetches the pinned caro-install" t_pinned "$shell" 0.1.0
    run_test "$shell: a tampered caro-install fails with both digests and never runs" t_tampered "$shell"
done
run_test "CARO_INSTALLER_VERSION=v0.1.0 (leading v) fetches the pinned caro-install" t_pinned dash v0.1.0
run_test "a pinned release with only the legacy name is used" t_pinned_legacy_name
run_test "a pinned caro-install that does not exist is a clear error" t_pinned_missing
run_test "without --version, caro latest (1.1.0) is installed" t_latest_caro
run_test "file:// mirror with curl" t_file_mirror "$W/bin"
run_test "file:// mirror without curl or wget" t_file_mirror "$W/bin-nodownloader"
run_test "wget is used when curl is missing; its 404 is still 'no build'" t_wget
run_test "BusyBox wget works against a loopback mirror; its 404 is still 'no build'" t_busybox_wget
run_test "file:// mirror without the build (curl) is 'no build'" t_file_mirror_missing "$W/bin"
run_test "file:// mirror without the build (no curl) is 'no build'" t_file_mirror_missing "$W/bin-nodownloader"
run_test "shasum verifies when sha256sum is missing" t_other_sha_tool "$W/bin-shasum"
run_test "openssl verifies when sha256sum and shasum are missing" t_other_sha_tool "$W/bin-openssl"
for form in "${!FORMS[@]}"; do
    run_test "sidecar form $form is accepted" t_sidecar_form "$form"
done
run_test "a missing or digest-less sidecar fails closed" t_sidecar_missing
run_test "no caro-install for the platform (404) is a clear error with help" t_no_build
run_test "no sha256 tool is a hard failure before any request" t_no_sha_tool
run_test "no curl and no wget is a clear error" t_no_downloader
for url in http://example.com http://127.0.0.1.example.com:8080 http://127.0.0.1@example.com \
    http://127.0.0.256 http://localhost.example.com ftp://127.0.0.1; do
    run_test "base url $url is refused before any download" t_refused_base "$url"
done
for shell in "${SHELLS[@]}"; do
    run_test "$shell: every line of the table of value checks (values.tsv) holds in install.sh" t_values_table "$shell"
done
run_test "install.ps1's value patterns give every line of values.tsv its verdict" t_values_ps1
run_test "curl: a redirect to plain http off loopback is refused before it is requested" t_redirect_off_loopback "$W/bin"
run_test "wget: a redirect to plain http off loopback is refused before it is requested" t_redirect_off_loopback "$W/bin-wget"
run_test "curl: a redirect to a loopback host is followed" t_redirect_to_loopback "$W/bin"
run_test "wget: a redirect to a loopback host is followed" t_redirect_to_loopback "$W/bin-wget"
run_test "snap curl is refused (and passed over for wget)" t_snap_curl
run_test "caro-install's exit status and output pass through" t_exit_status_passes_through
run_test "CARO_PRINT_QUIET=1 and -q silence install.sh" t_quiet
run_test "CARO_GITHUB_TOKEN is not sent by install.sh" t_token_not_sent
run_test "-v / CARO_PRINT_VERBOSE=1 shows each request and the verified digest" t_verbose
run_test "piped: caro-install's stdin is /dev/tty when there is a terminal, else left as is" t_tty
run_test "install.ps1 and windows-mirror.ps1: ASCII, brackets and strings closed, no aliases" t_ps1_lint

for shell in "${SHELLS[@]}"; do
    run_test "$shell: install.sh cut short (every line, last 3 lines bytewise, spread offsets) makes no request" t_cut "$shell" file
done
run_test "dash: install.sh cut short and piped to sh -s makes no request" t_cut dash piped

if unshare -rm true 2>/dev/null || { [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; }; then
    run_test "a noexec TMPDIR falls back to HOME" t_noexec tmp-noexec
    run_test "noexec TMPDIR and HOME is a clear error and runs nothing" t_noexec home-noexec
else
    # A skipped test is a test that cannot fail: count it as failed, with what to do.
    printf 'FAIL  noexec temporary directories: unshare cannot create a mount namespace here\n'
    printf '      (run as root, or enable unprivileged user namespaces; util-linux provides unshare)\n'
    failed=$((failed + 1))
fi
summary
