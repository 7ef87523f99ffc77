#!/bin/sh
# Publishes the npm packages that `cargo run --example dist -- ... --npm DIR` laid out, in
# the order of DIR/publish-order: every platform package first, the main package last, so
# the main package never points at a platform package the registry does not have yet.
#
# Before anything is published, the set is checked as a whole: the main package comes last
# and pins exactly the platform packages of the set, each at the version that package's
# own package.json carries, which is the main package's; platform packages carry
# `preferUnplugged` (Yarn Plug'n'Play must unpack their binaries). Then every package is
# packed (`npm pack --dry-run --json`) and checked: each file its package.json lists is in
# the tarball, binaries are executable, and the main package records the sha256 the
# binary in each platform package really has. One disagreement and nothing is published.
# A package whose version the registry has already (`npm view NAME@VERSION`) is skipped,
# so a re-run after a failure finishes the job. A pre-release is published under the
# dist-tag `next`, never `latest`.
#
# Usage: sh scripts/npm-publish.sh [--dry-run] DIR [-- NPM-PUBLISH-ARGS...]
#   --dry-run   pack and check everything, publish nothing
#   after --, arguments for `npm publish`, such as --provenance (in GitHub Actions)
# The registry and its token come from npm's own configuration (npm_config_registry, .npmrc).
set -u

say() {
    printf '%s\n' "$1" >&2
}

err() {
    printf 'error: %s\n' "$1" >&2
    [ $# -lt 2 ] || printf 'help: %s\n' "$2" >&2
    exit 1
}

need_cmd() {
    command -v "$1" >/dev/null 2>&1 ||
        err "this needs \`$1\`, which is not installed" "install Node.js and npm (Debian: apt-get install nodejs npm)"
}

# field FILE EXPRESSION: prints EXPRESSION of the JSON in FILE (bound to `j`).
field() {
    # shellcheck disable=SC2016 # JavaScript, not shell
    node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(eval(process.argv[2]))' "$1" "$2"
}

# check_pack DIR PACKAGE: packs DIR/PACKAGE without writing a tarball and checks it.
check_pack() {
    listing=$(cd "$1/$2" && npm pack --dry-run --json --ignore-scripts </dev/null 2>/dev/null) ||
        err "\`npm pack --dry-run\` failed in $1/$2" "run it there by hand to see why"
    # shellcheck disable=SC2016 # JavaScript, not shell
    printf '%s' "$listing" | node -e '
        const fs = require("fs"), path = require("path"), crypto = require("crypto");
        const [root, dir] = process.argv.slice(1);
        const pack = JSON.parse(fs.readFileSync(0, "utf8"))[0];
        const manifest = JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8"));
        const problems = [];
        const packed = new Map(pack.files.map((f) => [f.path, f]));
        if (pack.name !== manifest.name || pack.version !== manifest.version) {
            problems.push(`packs as ${pack.name}@${pack.version}`);
        }
        for (const file of manifest.files) {
            if (!packed.has(file)) problems.push(`${file} is not in the tarball`);
        }
        const deps = manifest.optionalDependencies || {};
        if (manifest.os) {
            for (const file of manifest.files) {
                const entry = packed.get(file);
                if (entry && (entry.mode & 0o111) === 0) problems.push(`${file} is not executable in the tarball`);
            }
        } else {
            const release = JSON.parse(fs.readFileSync(path.join(root, dir, "release.json"), "utf8"));
            if (release.version !== manifest.version) problems.push(`release.json is for ${release.version}`);
            for (const [key, build] of Object.entries(release.builds)) {
                if (deps[build.package] !== manifest.version) {
                    problems.push(`${key}: ${build.package} is pinned at ${deps[build.package]}, not ${manifest.version}`);
                    continue;
                }
                const other = path.join(root, build.package.replace(/^@/, "").replace("/", "-"));
                const binary = path.join(other, build.binary);
                let actual = "missing";
                try { actual = crypto.createHash("sha256").update(fs.readFileSync(binary)).digest("hex"); } catch (_) {}
                if (actual !== build.sha256) problems.push(`${key}: ${binary} has sha256 ${actual}, release.json records ${build.sha256}`);
            }
            if (Object.keys(deps).length !== Object.keys(release.builds).length) {
                problems.push("optionalDependencies and release.json list different packages");
            }
        }
        if (problems.length) {
            for (const p of problems) process.stderr.write(`error: ${manifest.name}@${manifest.version}: ${p}\n`);
            process.exit(1);
        }
        console.log(`checked ${pack.name}@${pack.version}: ${pack.files.length} files, ${pack.size} bytes packed`);
    ' "$1" "$2" || err "the npm packages in $1 are not fit to publish (above)" \
        "lay them out again with \`cargo run --example dist -- ... --npm DIR\`"
}

# check_set DIR: the packages of DIR/publish-order agree with each other (see the top).
check_set() {
    # shellcheck disable=SC2016 # JavaScript, not shell
    node -e '
        const fs = require("fs"), path = require("path");
        const root = process.argv[1];
        const dirs = fs.readFileSync(path.join(root, "publish-order"), "utf8").split("\n").filter(Boolean);
        const read = (dir) => JSON.parse(fs.readFileSync(path.join(root, dir, "package.json"), "utf8"));
        const main = read(dirs[dirs.length - 1]);
        const platforms = dirs.slice(0, -1).map((dir) => ({ dir, manifest: read(dir) }));
        const problems = [];
        if (main.os || !main.optionalDependencies) {
            problems.push(`the last package of publish-order, ${main.name}, is not a main package`);
        }
        const pins = main.optionalDependencies || {};
        for (const { dir, manifest } of platforms) {
            const pin = pins[manifest.name];
            if (pin === undefined) {
                problems.push(`${manifest.name}@${manifest.version} (${dir}) is not among the optionalDependencies of ${main.name}`);
            } else if (manifest.version !== pin || pin !== main.version) {
                problems.push(`${main.name}@${main.version} pins ${manifest.name} at ${pin}, but ${dir}/package.json is ${manifest.name}@${manifest.version}`);
            }
            if (manifest.preferUnplugged !== true) {
                problems.push(`${manifest.name}@${manifest.version} lacks "preferUnplugged": true, without which Yarn PnP cannot run its binary`);
            }
        }
        const laidOut = new Set(platforms.map((p) => p.manifest.name));
        for (const [name, pin] of Object.entries(pins)) {
            if (!laidOut.has(name)) problems.push(`${main.name}@${main.version} pins ${name} at ${pin}, which is not in this set`);
        }
        for (const p of problems) process.stderr.write(`error: ${p}\n`);
        if (problems.length) process.exit(1);
        console.log(`checked the set: ${main.name}@${main.version} pins its ${platforms.length} platform packages at their own version`);
    ' "$1" || err "the npm packages in $1 disagree (above); nothing was published" \
        "lay them out again with \`cargo run --example dist -- ... --npm DIR\`"
}

main() {
    dry_run=false
    if [ "${1:-}" = --dry-run ]; then
        dry_run=true
        shift
    fi
    [ $# -ge 1 ] || err "usage: sh scripts/npm-publish.sh [--dry-run] DIR [-- NPM-PUBLISH-ARGS...]"
    dir=$1
    shift
    [ "${1:-}" != -- ] || shift
    need_cmd node
    need_cmd npm
    order="$dir/publish-order"
    [ -s "$order" ] || err "$order is missing or empty" \
        "lay the packages out with \`cargo run --example dist -- ... --npm $dir\`"

    check_set "$dir"
    while IFS= read -r package; do
        check_pack "$dir" "$package"
    done <"$order"
    if $dry_run; then
        say "dry run: every package packs and checks; nothing was published"
        return 0
    fi

    while IFS= read -r package; do
        name=$(field "$dir/$package/package.json" j.name) || err "cannot read $dir/$package/package.json"
        version=$(field "$dir/$package/package.json" j.version) || err "cannot read $dir/$package/package.json"
        if npm view "$name@$version" version </dev/null 2>/dev/null | grep -qxF "$version"; then
            say "skipping $name@$version: already published"
            continue
        fi
        tag=latest
        case "$version" in *-*) tag=next ;; esac
        say "publishing $name@$version (dist-tag $tag)"
        (cd "$dir/$package" && npm publish --access public --tag "$tag" --ignore-scripts "$@" </dev/null) ||
            err "publishing $name@$version failed; nothing after it was published" \
                "fix the cause and run this again: what is published already is skipped"
    done <"$order"
}

main "$@" || exit 1
