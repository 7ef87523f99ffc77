# shellcheck shell=bash
# The dependencies Cargo.toml's dev profile builds optimised (its `[profile.dev.package.NAME]`
# sections), read from Cargo.toml itself: the one list that scripts/cross.sh and
# bench/first-run.sh override, so the three can never disagree.
# Usage: . scripts/lib/hot-crates.sh; hot_crates   (run from the repository root)
hot_crates() {
    awk '
        /^\[profile\.dev\.package\.[A-Za-z0-9_-]+\]$/ {
            name = $0; sub(/^\[profile\.dev\.package\./, "", name); sub(/\]$/, "", name); next
        }
        /^\[/ { name = "" }
        name != "" && /^opt-level/ { print name; name = "" }
    ' Cargo.toml
}
