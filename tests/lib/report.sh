# Reporting for the shell-script test suites (tests/bootstrap/run.sh, tests/cross/run.sh):
# sourced, not run. A test is a function that calls `problem "..."` for every expectation
# that does not hold; `run_test` runs it and prints `ok` or `FAIL` with the problems and
# the tail of the log its commands wrote; `summary` prints the counts and fails when any
# test failed.
#
# The sourcing script sets REPORT_LOG (the file whose tail a failure shows; emptied before
# each test) and may set REPORT_LOG_LABEL and REPORT_LOG_LINES.
# shellcheck shell=bash

passed=0
failed=0
problems=()
: "${REPORT_LOG_LABEL:=output of the last run}"
: "${REPORT_LOG_LINES:=20}"

problem() { problems+=("$1"); }

# run_test NAME FUNCTION [ARGS...]
run_test() {
    local name=$1
    shift
    problems=()
    : >"$REPORT_LOG"
    "$@"
    if [ ${#problems[@]} -eq 0 ]; then
        passed=$((passed + 1))
        printf 'ok    %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAIL  %s\n' "$name"
        printf '        %s\n' "${problems[@]}"
        if [ -s "$REPORT_LOG" ]; then
            printf '        --- %s:\n' "$REPORT_LOG_LABEL"
            tail -n "$REPORT_LOG_LINES" "$REPORT_LOG" | sed 's/^/        | /'
        fi
    fi
}

# fail_now NAME [DETAIL]: a failure found outside a test function (a setup step).
fail_now() {
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "$1"
    [ $# -lt 2 ] || printf '        %s\n' "$2"
}

# summary: the counts; fails when any test failed.
summary() {
    printf '%d passed, %d failed\n' "$passed" "$failed"
    [ "$failed" -eq 0 ]
}
