#!/bin/sh
# Cargo's runner for the x86_64-pc-windows-gnu target (CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER):
# runs a Windows test binary under Wine, in the prefix tests/windows/run.sh prepared.
set -eu
: "${CARO_WINEPREFIX:?run the Windows tests through tests/windows/run.sh, which prepares the Wine prefix}"
export WINEPREFIX="$CARO_WINEPREFIX"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
exec wine "$@"
