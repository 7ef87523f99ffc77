#!/bin/sh
# install.sh: the bootstrap of caro-install, the installer of caro (https://github.com/wildcard/caro).
#
#   curl --proto '=https' --tlsv1.2 -fsSL https://github.com/wildcard/caro-install/releases/latest/download/install.sh | sh
#   curl ... | sh -s -- --version 1.0.2 --install-dir ~/bin -y
#
# It only detects the platform, downloads the matching caro-install build from the
# caro-install releases, verifies it against its .sha256 and runs it with every argument
# given here (see `caro-install --help`). Everything else is caro-install's job.
#
# Environment: the variables of caro-install (CARO_INSTALL_VERSION, CARO_INSTALL_DIR,
# CARO_INSTALLER_GITHUB_BASE_URL, CARO_PRINT_QUIET, ...) reach it unchanged. This script
# reads CARO_INSTALLER_GITHUB_BASE_URL (default https://github.com), CARO_INSTALLER_REPO
# (default wildcard/caro-install), CARO_INSTALLER_VERSION (which caro-install to fetch,
# default latest), CARO_HTTP_TIMEOUT, CARO_PRINT_QUIET, CARO_PRINT_VERBOSE, and
# CARO_INSTALL_PRINT=platform (print the detected platform key and exit).
#
# Why the whole script is a single { ... } group and the file ends with its closing brace
# and no newline: a shell runs a script command by command while it is still reading it, so
# a download cut short would run whatever had arrived. Putting every definition *and* the
# call to main in one brace group makes the script a single compound command, which no
# shell runs before it has read the closing brace; a file cut anywhere before that brace is
# a syntax error ("unexpected end of file") and runs nothing at all. `main "$@" || exit 1`
# as a plain last line would not be enough: cut right after `main`, it runs main without
# the user's arguments. Because the brace is the very last byte, no strict prefix of this
# file holds the complete group. Keep it that way, and keep editors from adding a final
# newline (tests/bootstrap/run.sh checks both, running the file cut at every line and at
# many byte offsets).
{
set -u

say() {
    [ -n "$_quiet" ] || printf '%s\n' "$1" >&2
}

say_verbose() {
    [ -z "$_verbose" ] || printf '%s\n' "$1" >&2
}

warn() {
    [ -n "$_quiet" ] || printf 'warning: %s\n' "$1" >&2
}

# err MESSAGE [HELP]: print the error, and what the user can do about it, then stop.
err() {
    printf 'error: %s\n' "$1" >&2
    [ $# -lt 2 ] || printf 'help: %s\n' "$2" >&2
    exit 1
}

need_cmd() {
    command -v "$1" >/dev/null 2>&1 ||
        err "this script needs \`$1\` (command not found)" "install \`$1\` with your package manager and run this script again"
}

ensure() {
    "$@" || err "command failed: $*"
}

# Returns true if and only if $1 is a truthy value (1, true, yes or on, in any case), the
# rule caro-install applies to CARO_PRINT_QUIET and friends.
is_truthy() {
    case $1 in
        1 | [Tt][Rr][Uu][Ee] | [Yy][Ee][Ss] | [Oo][Nn]) return 0 ;;
        *) return 1 ;;
    esac
}

# Quiet and verbose follow caro-install: CARO_PRINT_QUIET / -q / --quiet and
# CARO_PRINT_VERBOSE / -v / --verbose (also inside a bundle such as -yq).
read_output_level() {
    _quiet=
    _verbose=
    if is_truthy "${CARO_PRINT_QUIET:-}"; then _quiet=1; fi
    if is_truthy "${CARO_PRINT_VERBOSE:-}"; then _verbose=1; fi
    for _arg in "$@"; do
        case $_arg in
            --) break ;;
            -q | --quiet | -[!-]*q*) _quiet=1 ;;
        esac
        case $_arg in
            -v | --verbose | -[!-]*v*) _verbose=1 ;;
        esac
    done
    if [ -n "$_quiet" ]; then _verbose=; fi
}

# Sets _platform to the platform key (docs/platforms.md) of the caro-install build to fetch.
detect_platform() {
    need_cmd uname
    _os=$(uname -s)
    _cpu=$(uname -m)
    case $_os in
        Linux | Darwin) ;;
        MINGW* | MSYS* | CYGWIN* | Windows_NT)
            err "install.sh does not install on Windows ($_os)" \
                "in PowerShell, run: irm $_base/$_repo/releases/latest/download/install.ps1 | iex"
            ;;
        *)
            err "caro-install is not built for the operating system \`$_os\`" \
                "caro-install is built for Linux, macOS and Windows; elsewhere, build caro from source: cargo install caro --locked"
            ;;
    esac
    case $_cpu in
        x86_64 | amd64) _cpu=amd64 ;;
        aarch64 | arm64) _cpu=arm64 ;;
        *)
            err "caro-install is not built for the CPU \`$_cpu\` ($_os)" \
                "caro-install is built for x86_64 and arm64; elsewhere, build caro from source: cargo install caro --locked"
            ;;
    esac
    if [ "$_os" = Darwin ]; then
        # An installer running under Rosetta 2 sees x86_64, but the Mac is arm64.
        if [ "$_cpu" = amd64 ] && [ "$(run_sysctl hw.optional.arm64)" = 1 ]; then _cpu=arm64; fi
        if [ "$_cpu" = arm64 ]; then _platform=macos-silicon; else _platform=macos-intel; fi
    elif is_musl "$_cpu"; then
        _platform=linux-$_cpu-musl
    else
        _platform=linux-$_cpu
    fi
}

# Prints the value of a sysctl, or nothing when it does not exist (Intel Macs have no
# hw.optional.arm64). macOS keeps sysctl in /usr/sbin, which is not always on PATH.
run_sysctl() {
    if command -v sysctl >/dev/null 2>&1; then
        sysctl -n "$1" 2>/dev/null
    elif [ -x /usr/sbin/sysctl ]; then
        /usr/sbin/sysctl -n "$1" 2>/dev/null
    fi
}

# Returns true if and only if this Linux runs programs with musl libc (Alpine). Without
# `ldd` (Alpine has none, and glibc's is a script): the ELF interpreter named inside
# /bin/sh says which loader the system's own programs use; when /bin/sh is static or
# unreadable, fall back to which loader is installed. _CARO_INSTALL_TEST_ROOT moves both
# probes under another root and exists only for tests/bootstrap/run.sh.
is_musl() {
    _root=${_CARO_INSTALL_TEST_ROOT:-}
    _interp=$(LC_ALL=C dd if="$_root/bin/sh" bs=4096 count=1 2>/dev/null |
        LC_ALL=C tr -c 'A-Za-z0-9/._+-' '\n' | sed -n '/^\/.*\/ld-/{p;q;}')
    case $_interp in
        */ld-musl-*) return 0 ;;
        ?*) return 1 ;;
    esac
    if [ "$1" = amd64 ]; then _arch=x86_64; else _arch=aarch64; fi
    [ -e "$_root/lib/ld-musl-$_arch.so.1" ] &&
        ! [ -e "$_root/lib64/ld-linux-x86-64.so.2" ] &&
        ! [ -e "$_root/lib/ld-linux-aarch64.so.1" ]
}

# Returns true if and only if $1 (the host[:port] of an http:// URL) is a loopback address:
# 127.0.0.0/8, [::1] or localhost.
is_loopback() {
    case $1 in
        *@*) return 1 ;;
        '[::1]' | '[::1]:'*) _host='[::1]' _port=${1#'[::1]'} ;;
        *:*) _host=${1%%:*} _port=:${1#*:} ;;
        *) _host=$1 _port= ;;
    esac
    case $_port in
        '') ;;
        : | :*[!0-9]*) return 1 ;;
    esac
    case $_host in
        localhost | '[::1]') return 0 ;;
        127.*) ;;
        *) return 1 ;;
    esac
    _rest=${_host#127.}.
    for _i in 1 2 3; do
        _octet=${_rest%%.*}
        _rest=${_rest#*.}
        case $_octet in
            '' | *[!0-9]* | ????*) return 1 ;;
        esac
        [ "$_octet" -le 255 ] || return 1
    done
    [ -z "$_rest" ]
}

# The value checks of docs/security.md ("Values"): the same table as CHECKED_VARIABLES in
# src/env.rs and the patterns in install.ps1 (tests/bootstrap/values.tsv holds the cases).
#
# check_repository NAME VALUE EXAMPLE: stops unless VALUE is `owner/name`: one `/`, both
# parts letters, digits, `.`, `_` and `-`, neither part `.`, no `..` anywhere.
check_repository() {
    case $2 in
        */*/* | /* | */ | ./* | */. | *..* | *[!A-Za-z0-9._/-]*) ;;
        ?*/?*) return 0 ;;
    esac
    err "$1=\`$2\` is not an owner/name repository" "unset it, or set it like $3"
}

# check_seconds NAME VALUE: stops unless VALUE is whole seconds from 1 to 3600 (a larger
# value would overflow the binary's deadlines).
check_seconds() {
    case $2 in
        '' | *[!0-9]*) ;;
        *)
            _digits=${2#"${2%%[!0]*}"}
            case $_digits in
                '' | ?????*) ;;
                *) [ "$_digits" -gt 3600 ] || return 0 ;;
            esac
            ;;
    esac
    err "$1=\`$2\` is not a whole number of seconds from 1 to 3600" "unset it, or set it like 30"
}

# Reads the mirror settings and sets _base, _repo, _proto (what curl may speak),
# _timeout and _version. Any plain http:// that is not loopback is refused here, before any request.
read_source() {
    _base=${CARO_INSTALLER_GITHUB_BASE_URL:-https://github.com}
    while :; do
        case $_base in
            */) _base=${_base%/} ;;
            *) break ;;
        esac
    done
    _repo=${CARO_INSTALLER_REPO:-wildcard/caro-install}
    check_repository CARO_INSTALLER_REPO "$_repo" wildcard/caro-install
    # caro-install reads this one; refused here too, before anything is downloaded.
    check_repository CARO_INSTALL_REPO "${CARO_INSTALL_REPO:-wildcard/caro}" wildcard/caro
    check_seconds CARO_HTTP_TIMEOUT "${CARO_HTTP_TIMEOUT:-30}"
    _timeout=$_digits
    case $_base in
        https://*) _proto='=https' ;;
        file://*) _proto='=file' ;;
        http://*)
            _authority=${_base#http://}
            _authority=${_authority%%/*}
            is_loopback "$_authority" ||
                err "refusing the plain http:// address \`$_base\` (CARO_INSTALLER_GITHUB_BASE_URL): only https://, file:// and loopback http:// are allowed" \
                    "use https:// for your mirror"
            _proto='=http,https'
            ;;
        *) err "CARO_INSTALLER_GITHUB_BASE_URL=\`$_base\` is not an https:// or file:// address" "unset it to download from GitHub, or set it to your mirror, like https://github.example.com" ;;
    esac
    _version=${CARO_INSTALLER_VERSION:-latest}
    _version=${_version#v}
    case $_version in
        latest) ;;
        [0-9]*) case $_version in *[!0-9A-Za-z.+-]*) _version= ;; esac ;;
        *) _version= ;;
    esac
    [ -n "$_version" ] ||
        err "CARO_INSTALLER_VERSION=\`${CARO_INSTALLER_VERSION:-}\` is not a version" "set it like 0.1.0 or v0.1.0, or unset it to fetch the latest caro-install"
}

# Sets _downloader to curl, wget or copy (a file:// mirror without curl).
choose_downloader() {
    _downloader=
    _snap_curl=
    _curl=$(command -v curl 2>/dev/null) || _curl=
    case $_curl in
        '') ;;
        # Snap's curl is confined and cannot write to the temporary directory.
        */snap/bin/curl) _snap_curl=$_curl ;;
        *) _downloader=curl ;;
    esac
    if [ -n "$_downloader" ]; then
        :
    elif [ "$_proto" = '=file' ]; then
        _downloader=copy
    elif command -v wget >/dev/null 2>&1; then
        _downloader=wget
        [ -z "$_snap_curl" ] || warn "not using the snap curl at $_snap_curl, which cannot write outside its sandbox; using wget"
        if ! wget --help 2>&1 | grep -q -e --https-only; then
            _wget_basic=1
            if [ "$_proto" = '=https' ]; then
                warn "this wget (BusyBox?) cannot be limited to HTTPS and TLS 1.2, nor kept from following a redirect; install curl for that"
            else
                warn "this wget (BusyBox?) cannot be kept from following a redirect off this machine; install curl for that"
            fi
        fi
        # wget reads only the lower-case proxy variables.
        if [ -z "${https_proxy:-}" ] && [ -n "${HTTPS_PROXY:-}" ]; then export https_proxy="$HTTPS_PROXY"; fi
        if [ -z "${no_proxy:-}" ] && [ -n "${NO_PROXY:-}" ]; then export no_proxy="$NO_PROXY"; fi
    elif [ -n "$_snap_curl" ]; then
        err "the curl at $_snap_curl is a snap, which cannot write outside its sandbox" \
            "install curl from your distribution (for example: sudo snap remove curl && sudo apt-get install curl) or install wget"
    else
        err "this script needs curl or wget to download caro-install" \
            "install curl with your package manager (apt-get install curl, dnf install curl, apk add curl) and run it again"
    fi
    say_verbose "downloading with $_downloader"
}

# allowed_hop FROM TO: returns true if and only if a redirect from FROM to TO keeps the rule
# of the base URL, as caro-install's check_redirect does: https anywhere; plain http only
# from plain http, and only to a loopback host; no other scheme.
allowed_hop() {
    case $2 in
        https://*) return 0 ;;
        http://*)
            case $1 in http://*) ;; *) return 1 ;; esac
            _authority=${2#http://}
            _authority=${_authority%%[/?#]*}
            is_loopback "$_authority"
            ;;
        *) return 1 ;;
    esac
}

# download URL FILE: returns 0 when FILE holds URL, 4 when the server has no such file
# (404), 1 after printing why anything else failed. Redirects are followed here, one hop
# at a time, each checked by allowed_hop before it is requested: neither curl nor wget is
# let follow one by itself (curl cannot check a hop's host, only its scheme).
download() {
    _hop=$1
    _hops=0
    while :; do
        say_verbose "GET $_hop"
        rm -f "$2" "$_tmp/download.log"
        _next=
        case $_downloader in
            curl)
                _code=$(curl --proto "$_proto" --tlsv1.2 --fail --retry 3 --silent --show-error \
                    --connect-timeout 30 --speed-limit 1 --speed-time "$_timeout" \
                    --write-out '%{http_code} %{redirect_url}' --output "$2" "$_hop" 2>"$_tmp/download.log")
                _status=$?
                case $_status/$_code in
                    0/3[0-9][0-9]' '?*) _next=${_code#* } ;;
                    0/*) return 0 ;;
                    22/404* | 37/*) return 4 ;;
                esac
                ;;
            wget)
                if [ -n "${_wget_basic:-}" ]; then
                    # BusyBox wget cannot be kept from following a redirect (warned above).
                    wget -O "$2" "$_hop" 2>"$_tmp/download.log"
                elif [ "$_proto" = '=https' ]; then
                    wget --https-only --secure-protocol=TLSv1_2 --tries=3 --timeout="$_timeout" \
                        --max-redirect=0 --output-document="$2" "$_hop" 2>"$_tmp/download.log"
                else
                    wget --max-redirect=0 -O "$2" "$_hop" 2>"$_tmp/download.log"
                fi
                _status=$?
                [ "$_status" != 0 ] || return 0
                _next=$(sed -n 's/^Location: \([^ ]*\) \[following\]$/\1/p' "$_tmp/download.log" | sed -n 1p)
                case $_next in
                    /*)
                        _origin=${_hop#*://}
                        _next=${_hop%%://*}://${_origin%%/*}$_next
                        ;;
                esac
                [ -n "$_next" ] || ! grep -q -e 'ERROR 404' -e 'HTTP/[0-9.]* 404' "$_tmp/download.log" || return 4
                ;;
            copy)
                _path=${_hop#file://}
                case $_path in localhost/*) _path=${_path#localhost} ;; esac
                [ -f "$_path" ] || return 4
                cp "$_path" "$2" 2>"$_tmp/download.log" && return 0
                ;;
        esac
        [ -n "$_next" ] || break
        _hops=$((_hops + 1))
        if [ "$_hops" -gt 10 ] || ! allowed_hop "$_hop" "$_next"; then
            printf 'error: refusing the redirect from %s to %s: %s\n' "$_hop" "$_next" \
                "only https://, or plain http:// from a loopback mirror to a loopback host, is followed (10 hops at most)" >&2
            return 1
        fi
        _hop=$_next
    done
    printf 'error: could not download %s\n' "$_hop" >&2
    sed 's/^/  /' "$_tmp/download.log" >&2
    return 1
}

# Sets _sha_tool to the first of sha256sum, shasum and openssl found, or stops: without a
# way to verify, nothing is downloaded or run.
choose_sha256_tool() {
    for _sha_tool in sha256sum shasum openssl; do
        if command -v "$_sha_tool" >/dev/null 2>&1; then return 0; fi
    done
    err "this script needs sha256sum, shasum or openssl to verify caro-install, and found none" \
        "install coreutils (sha256sum) or openssl and run it again"
}

# Prints the sha256 of FILE in lower-case hex.
file_sha256() {
    case $_sha_tool in
        sha256sum) sha256sum <"$1" ;;
        shasum) shasum -a 256 <"$1" ;;
        openssl) openssl dgst -sha256 <"$1" | sed 's/^.*= *//' ;;
    esac | sed -n 's/^\([0-9A-Fa-f]\{64\}\).*/\1/p' | tr 'A-F' 'a-f'
}

# Prints the digest a .sha256 sidecar holds, in lower-case hex, or nothing when it holds
# none. Accepted: `HEX`, `HEX  name`, `HEX *name`, `SHA256 (name) = HEX`; any case, CRLF.
sidecar_sha256() {
    tr -d '\r' <"$1" | sed -n '/[^[:space:]]/{p;q;}' | tr '[:upper:]' '[:lower:]' |
        sed -n -e 's/^sha256 (.*) *= *\([0-9a-f]\{64\}\)[[:space:]]*$/\1/p' -e t \
            -e 's/^[[:space:]]*\([0-9a-f]\{64\}\)\([[:space:]].*\)\{0,1\}$/\1/p'
}

# try_fetch URL: fetches URL into _exe and sets _url; returns 1 on a 404 (adding URL to
# _tried) and stops on any other failure.
try_fetch() {
    _url=$1
    download "$_url" "$_exe"
    case $? in
        0) return 0 ;;
        4) _tried="$_tried${_tried:+, }$_url" && return 1 ;;
        *) exit 1 ;;
    esac
}

# Fetches the caro-install build for _platform into _exe: the legacy name from the latest
# release (GitHub redirects releases/latest/download/NAME with no API request), or for a
# pinned CARO_INSTALLER_VERSION the versioned name, then the legacy name, from that tag.
fetch_installer() {
    _exe=$_tmp/caro-install
    _tried=
    if [ "$_version" = latest ]; then
        _what="caro-install"
        say "downloading $_what for $_platform"
        try_fetch "$_base/$_repo/releases/latest/download/caro-install-$_platform" && return 0
        _help="the published builds are listed at $_base/$_repo/releases"
    else
        _what="caro-install $_version"
        say "downloading $_what for $_platform"
        try_fetch "$_base/$_repo/releases/download/v$_version/caro-install-$_version-$_platform" && return 0
        try_fetch "$_base/$_repo/releases/download/v$_version/caro-install-$_platform" && return 0
        _help="check CARO_INSTALLER_VERSION=$_version against $_base/$_repo/releases, or unset it to fetch the latest caro-install"
    fi
    if [ "$_base" != https://github.com ]; then
        _help="$_help; check that the mirror $_base (CARO_INSTALLER_GITHUB_BASE_URL) holds the releases of $_repo"
    fi
    err "no $_what build for \`$_platform\` was found (404 from $_tried)" \
        "$_help; caro can also be built from source: cargo install caro --locked"
}

# Checks _exe against the sidecar at _url.sha256, failing closed.
verify_installer() {
    _sidecar=$_tmp/caro-install.sha256
    download "$_url.sha256" "$_sidecar"
    case $? in
        0) ;;
        4) err "the checksum file $_url.sha256 does not exist (404), so the download cannot be verified; nothing was run" \
            "report it at https://github.com/wildcard/caro-install/issues" ;;
        *) exit 1 ;;
    esac
    _expected=$(sidecar_sha256 "$_sidecar")
    [ -n "$_expected" ] ||
        err "the checksum file $_url.sha256 holds no sha256 digest; nothing was run" \
            "report it at https://github.com/wildcard/caro-install/issues"
    _actual=$(file_sha256 "$_exe")
    [ -n "$_actual" ] || err "could not compute the sha256 of $_exe with $_sha_tool"
    if [ "$_expected" != "$_actual" ]; then
        rm -f "$_exe"
        err "checksum mismatch for $_url; nothing was run
  expected sha256: $_expected (from $_url.sha256)
  actual sha256:   $_actual" \
            "the download was corrupted or tampered with; try again, and if it persists report it at https://github.com/wildcard/caro-install/issues"
    fi
    say_verbose "sha256 $_actual matches $_url.sha256"
}

# Creates _tmp, a private temporary directory where programs may run: $TMPDIR (or /tmp),
# then $XDG_RUNTIME_DIR, then $HOME, since any of them may be mounted noexec.
make_temp_dir() {
    _tried=
    for _parent in "${TMPDIR:-/tmp}" "${XDG_RUNTIME_DIR:-}" "${HOME:-}"; do
        if [ -z "$_parent" ] || [ ! -d "$_parent" ]; then continue; fi
        _tmp=$(mktemp -d "${_parent%/}/.caro-install.XXXXXXXX" 2>/dev/null) || _tmp=
        if [ -n "$_tmp" ]; then
            printf '#!/bin/sh\nexit 0\n' >"$_tmp/probe" && chmod 700 "$_tmp/probe" &&
                "$_tmp/probe" 2>/dev/null && rm -f "$_tmp/probe" && return 0
            rm -rf "$_tmp"
            _tmp=
        fi
        _tried="$_tried${_tried:+, }$_parent"
    done
    err "found no temporary directory where a program may run (tried ${_tried:-none}; mounted noexec?)" \
        "set TMPDIR to a directory on a file system mounted without noexec and run this again, as in: curl ... | TMPDIR=/path/to/dir sh"
}

cleanup() {
    if [ -n "${_tmp:-}" ]; then rm -rf "$_tmp"; fi
}

# Runs caro-install with the user's arguments and returns its exit status. When the script
# itself arrived on stdin (curl ... | sh), caro-install gets the terminal for its prompts.
run_installer() {
    if [ ! -t 0 ] && (: </dev/tty) 2>/dev/null; then
        "$_exe" "$@" </dev/tty
    else
        "$_exe" "$@"
    fi
}

main() {
    read_output_level "$@"
    read_source
    detect_platform
    case ${CARO_INSTALL_PRINT:-} in
        '') ;;
        platform)
            printf '%s\n' "$_platform"
            return 0
            ;;
        *) err "CARO_INSTALL_PRINT=\`$CARO_INSTALL_PRINT\` is not known" "the only value is platform" ;;
    esac
    need_cmd mktemp
    need_cmd chmod
    need_cmd rm
    need_cmd sed
    need_cmd tr
    need_cmd grep
    choose_sha256_tool
    choose_downloader

    _tmp=
    trap cleanup EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    make_temp_dir

    fetch_installer
    verify_installer
    ensure chmod 700 "$_exe"
    run_installer "$@"
}

# The exit status is caro-install's: `exit` without a number keeps main's.
main "$@" || exit
}