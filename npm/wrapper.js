#!/usr/bin/env node
// Runs the release binary of this package's command for this machine: the npm side of
// caro-install's npm channel. Plain Node, no dependencies.
//
// ../release.json is written by caro-install's `dist` command: the table from
// process.platform/process.arch/libc to the installer's platform key (generated from the
// installer's own platform code, never edited by hand), and for each key the platform
// package that holds the binary and the binary's sha256 from the GitHub release. Before a
// binary first runs, its sha256 must match; a marker beside it (keyed by the digest, the
// size and the mtime) spares later runs the hashing, and where it cannot be written every
// run checks again.
"use strict";

const childProcess = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const release = require("../release.json");

function fail(message, help) {
  process.stderr.write(`error: ${message}\n`);
  for (const line of help) process.stderr.write(`help: ${line}\n`);
  process.exit(1);
}

function oneLiner() {
  return process.platform === "win32"
    ? `or install ${release.name} without npm (PowerShell): ${release.install.windows}`
    : `or install ${release.name} without npm: ${release.install.unix}`;
}

// glibc or musl, as npm's own `libc` field tells them apart.
function libc() {
  if (process.platform !== "linux") return undefined;
  try {
    const header = process.report.getReport().header;
    if (header.glibcVersionRuntime) return "glibc";
  } catch (_) {
    // No process.report (very old Node): look for musl's loader instead.
  }
  try {
    if (fs.readdirSync("/lib").some((name) => name.startsWith("ld-musl-"))) return "musl";
  } catch (_) {
    // No /lib to read: assume the common case.
  }
  return "glibc";
}

function platformRow() {
  const c = libc();
  const row = release.targets.find(
    (t) => t.platform === process.platform && t.arch === process.arch && t.libc === c,
  );
  if (row) return row;
  const machine = `${process.platform} ${process.arch}${c ? ` (${c})` : ""}`;
  return fail(`${release.package}@${release.version} has no ${release.name} build for ${machine}`, [
    `${release.name} is built for: ${Object.keys(release.builds).join(", ")}`,
    oneLiner(),
    `or build it from source: cargo install ${release.name} --locked`,
  ]);
}

function findBinary(row) {
  // Windows on ARM runs the x86_64 build under emulation when there is no arm64 one; its
  // package then lists arm64 among its cpus, so npm installs it there.
  const key = release.builds[row.key] || !row.fallback ? row.key : row.fallback;
  const build = release.builds[key];
  if (!build) {
    return fail(`${release.name} ${release.version} was not published for ${key}`, [
      `${release.name} ${release.version} is built for: ${Object.keys(release.builds).join(", ")}`,
      oneLiner(),
    ]);
  }
  let manifest;
  try {
    manifest = require.resolve(`${build.package}/package.json`);
  } catch (_) {
    const wanted = `${build.package}@${release.version}`;
    return fail(
      `the package ${wanted}, which holds ${release.name} for ${key}, is not installed` +
        " (npm skips optional dependencies with --omit=optional or --no-optional)",
      [
        `install it beside ${release.package}: npm install -g ${wanted} (without -g inside a project)`,
        `or reinstall ${release.package} without --omit=optional / --no-optional`,
        oneLiner(),
      ],
    );
  }
  const dir = path.dirname(manifest);
  const found = JSON.parse(fs.readFileSync(manifest, "utf8")).version;
  if (found !== release.version) {
    return fail(
      `${build.package} ${found} is installed, but ${release.package} ${release.version} needs ${release.version}`,
      [`install the matching one: npm install -g ${build.package}@${release.version}`],
    );
  }
  return { binary: path.join(dir, build.binary), sha256: build.sha256, key };
}

function sha256Of(file) {
  const hash = crypto.createHash("sha256");
  const buffer = Buffer.alloc(1 << 16);
  const fd = fs.openSync(file, "r");
  try {
    let read;
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) {
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

// Checks the binary against the release's digest, once per (digest, size, mtime).
function verify({ binary, sha256 }) {
  let stat;
  try {
    stat = fs.statSync(binary);
  } catch (error) {
    return fail(`cannot read ${binary}: ${error.message}`, [
      `reinstall it: npm install -g ${release.package}@${release.version}`,
    ]);
  }
  const marker = `${binary}.verified`;
  const stamp = `${sha256} ${stat.size} ${stat.mtimeMs}\n`;
  try {
    if (fs.readFileSync(marker, "utf8") === stamp) return;
  } catch (_) {
    // Not verified yet, or the marker is unreadable: check now.
  }
  const actual = sha256Of(binary);
  if (actual !== sha256) {
    return fail(
      `refusing to run ${binary}: its sha256 is ${actual}, but ${release.package}@${release.version} recorded ${sha256}`,
      [
        "the file was changed after it was installed, or the package is not the one published",
        `reinstall it: npm install -g ${release.package}@${release.version} --force`,
        oneLiner(),
      ],
    );
  }
  if (process.platform !== "win32" && (stat.mode & 0o111) === 0) {
    try {
      fs.chmodSync(binary, 0o755);
    } catch (_) {
      // Spawning will say what is wrong.
    }
  }
  try {
    fs.writeFileSync(marker, stamp);
  } catch (_) {
    // A read-only install: check again next time.
  }
}

function run({ binary }) {
  const child = childProcess.spawn(binary, process.argv.slice(2), { stdio: "inherit" });
  // A terminal sends SIGINT/SIGQUIT to the whole foreground group, so the child has them
  // already: the wrapper only waits. Signals sent to the wrapper alone are passed on.
  const waitOnly = ["SIGINT", "SIGQUIT"];
  const passOn = ["SIGTERM", "SIGHUP", "SIGUSR2"];
  const handlers = new Map();
  for (const signal of [...waitOnly, ...passOn]) {
    const handler = () => {
      if (passOn.includes(signal)) child.kill(signal);
    };
    try {
      process.on(signal, handler);
      handlers.set(signal, handler);
    } catch (_) {
      // Not a signal on this platform.
    }
  }
  child.on("error", (error) => {
    fail(`cannot run ${binary}: ${error.message}`, [
      `reinstall it: npm install -g ${release.package}@${release.version} --force`,
    ]);
  });
  child.on("exit", (code, signal) => {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
    if (signal) {
      // Die of the same signal, so the caller sees what the child saw.
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code === null ? 1 : code);
  });
}

const found = findBinary(platformRow());
verify(found);
run(found);
