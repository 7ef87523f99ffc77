# need_packages WHAT TEST:PACKAGE...: makes sure the Debian packages the caller needs are
# there. Sourced, not run (by scripts/test.sh, scripts/cross.sh, tests/windows/run.sh and
# tests/npm/run.sh).
#
# Each TEST is an absolute path that must exist or a command that must be on PATH; the
# PACKAGE after the colon provides it. What is missing is installed with apt-get when
# running as root where apt-get exists; otherwise, or when apt-get fails, it stops with an
# error that names WHAT needs them and the command to run. Never a silent skip.
# shellcheck shell=bash

need_packages() {
    local what=$1 need package
    shift
    local missing=()
    for need in "$@"; do
        case ${need%%:*} in
        /*) [ -e "${need%%:*}" ] && continue ;;
        *) command -v "${need%%:*}" >/dev/null 2>&1 && continue ;;
        esac
        package=${need#*:}
        case " ${missing[*]} " in *" $package "*) ;; *) missing+=("$package") ;; esac
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        printf '==> installing %s with apt-get\n' "${missing[*]}"
        if apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
            return 0
        fi
        printf 'error: apt-get could not install %s, which %s need\n' "${missing[*]}" "$what" >&2
    else
        printf 'error: %s need %s\n' "$what" "${missing[*]}" >&2
    fi
    printf 'help: install them with: sudo apt-get install %s\n' "${missing[*]}" >&2
    exit 1
}
