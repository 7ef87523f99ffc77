#!/usr/bin/env node
// Runs the release binary of this package's command for this machine: the npm side of
// caro-install's npm channel. Plain Node, no dependencies. docs/npm.md describes what it
// decides and why.
//
// ../release.json is written by caro-install's `dist` command: the table from
// process.platform/process.arch/libc to the installer's platform key (generated from the
// installer's own platform code, never edited by hand), and for each key the platform
// package that holds the binary and the binary's sha256 from the GitHub release. Before a
// binary first runs, its sha256 must match; a marker beside it (keyed by the digest and
// the file's size, times and inode) spares later runs the hashing, and where it cannot be
// written every run checks again.
"use strict";

const childProcess = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const release = require("../release.json");

// Older release.json files (before the variable was generated) name none.
const BINARY_PATH_VARIABLE = release.binary_path_variable || "CARO_BINARY_PATH";

function fail(message, help) {
  process.stderr.write(`error: ${message}\n`);
  for (const line of help) process.stderr.write(`help: ${line}\n`);
  process.exit(1);
}

// Text from outside (paths, variable values, fields of a package.json on disk) with control
// characters and bidirectional overrides escaped, so it cannot move the cursor, retitle
// the terminal or hide the text around it.
function escaped(text) {
  return String(text).replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g,
    (c) => {
      const code = c.charCodeAt(0);
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
    },
  );
}

// The same in backticks, for a value of its own.
function shown(text) {
  return `\`${escaped(text)}\``;
}

function oneLiner() {
  return process.platform === "win32"
    ? `or install ${release.name} without npm (PowerShell): ${release.install.windows}`
    : `or install ${release.name} without npm: ${release.install.unix}`;
}

function isMuslFile(file) {
  return typeof file === "string" && (file.includes("libc.musl-") || file.includes("ld-musl-"));
}

// The first line `ldd --version` prints (glibc's on stdout, musl's on stderr), or
// undefined when there is no ldd or it does not answer in time.
function lddFirstLine() {
  let result;
  try {
    result = childProcess.spawnSync("ldd", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 2000,
    });
  } catch (_) {
    return undefined;
  }
  if (result.error) return undefined;
  const text = `${result.stdout || ""}\n${result.stderr || ""}`;
  return text.split("\n").find((line) => line.trim() !== "");
}

// glibc or musl, decided as npm decides it (npm-install-checks reads process.report, and
// detect-libc, which Node's native packages use, asks `ldd`), because npm chose by the same
// facts which platform package to install. Returns { libc, source } on Linux, where
// `source` says which fact decided; undefined elsewhere.
function detectLibc() {
  if (process.platform !== "linux") return undefined;
  let report;
  try {
    const excluded = process.report.excludeNetwork;
    // As npm does: the network part of the report can wait on name lookups.
    process.report.excludeNetwork = true;
    try {
      report = process.report.getReport();
    } finally {
      process.report.excludeNetwork = excluded;
    }
  } catch (_) {
    // No process.report (Node before 12): the next facts decide.
  }
  if (report && report.header && report.header.glibcVersionRuntime) {
    return { libc: "glibc", source: "process.report's glibcVersionRuntime" };
  }
  if (report && Array.isArray(report.sharedObjects) && report.sharedObjects.some(isMuslFile)) {
    return { libc: "musl", source: "process.report's sharedObjects" };
  }
  const ldd = lddFirstLine();
  if (ldd !== undefined && /musl/i.test(ldd)) return { libc: "musl", source: "`ldd --version`" };
  if (ldd !== undefined && /gnu|glibc/i.test(ldd)) return { libc: "glibc", source: "`ldd --version`" };
  try {
    if (fs.readdirSync("/lib").some((name) => name.startsWith("ld-musl-"))) {
      return { libc: "musl", source: "the loader /lib/ld-musl-*" };
    }
  } catch (_) {
    // No /lib to read: assume the common case.
  }
  return { libc: "glibc", source: "no sign of musl in process.report, `ldd --version` or /lib" };
}

function describeMachine(platform, arch, libc) {
  return `${platform} ${arch}${libc ? ` with ${libc}` : ""}`;
}

function platformRow(libc) {
  const c = libc && libc.libc;
  const row = release.targets.find(
    (t) => t.platform === process.platform && t.arch === process.arch && t.libc === c,
  );
  if (row) return row;
  return fail(
    `${release.package}@${release.version} has no ${release.name} build for ${describeMachine(process.platform, process.arch, c)}`,
    [
      `${release.name} is built for: ${Object.keys(release.builds).join(", ")}`,
      oneLiner(),
      `or build it from source: cargo install ${release.name} --locked`,
      `or run a build of your own: set ${BINARY_PATH_VARIABLE} to its absolute path`,
    ],
  );
}

// The installed package.json of `name` and its folder, or undefined.
function installed(name) {
  try {
    const manifest = require.resolve(`${name}/package.json`);
    return { dir: path.dirname(manifest), json: JSON.parse(fs.readFileSync(manifest, "utf8")) };
  } catch (_) {
    return undefined;
  }
}

function describePackage(json) {
  const list = (field) => (Array.isArray(json[field]) ? escaped(json[field].join("/")) : undefined);
  return describeMachine(list("os") || "?", list("cpu") || "?", list("libc"));
}

// The platform package for this machine is missing: says why as precisely as the
// installed packages allow.
function missing(build, key, libc) {
  const wanted = `${build.package}@${release.version}`;
  const others = Object.values(release.builds)
    .filter((other) => other.package !== build.package)
    .map((other) => ({ package: other.package, found: installed(other.package) }))
    .filter((other) => other.found);
  const sameMachine = others.find(
    (other) =>
      Array.isArray(other.found.json.os) &&
      other.found.json.os.includes(process.platform) &&
      Array.isArray(other.found.json.cpu) &&
      other.found.json.cpu.includes(process.arch),
  );
  if (libc && sameMachine) {
    const theirs = escaped([].concat(sameMachine.found.json.libc || []).join("/")) || "another C library";
    return fail(
      `this machine's C library is ${libc.libc} (from ${libc.source}), but npm installed ` +
        `${sameMachine.package}@${escaped(sameMachine.found.json.version)} (for ${theirs}) instead of ${wanted}, ` +
        `which holds ${release.name} for ${key}`,
      [
        `npm decided the C library otherwise; install the ${libc.libc} build beside ${release.package}: ` +
          `npm install -g --force ${wanted} (without -g inside a project; --force, since npm takes it for another machine's)`,
        oneLiner(),
      ],
    );
  }
  if (others.length > 0) {
    const other = others[0];
    return fail(
      `${other.package}@${escaped(other.found.json.version)} is installed for another platform ` +
        `(${describePackage(other.found.json)}), but this machine is ` +
        `${describeMachine(process.platform, process.arch, libc && libc.libc)} and needs ${wanted}`,
      [
        "npm installs only the build for the machine it runs on: these node_modules were installed " +
          "on another machine and copied here (into a container, or between Windows and WSL)",
        `reinstall on this machine: npm install -g ${release.package}@${release.version}` +
          " (inside a project: delete node_modules and run npm install)",
        oneLiner(),
      ],
    );
  }
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

function findBinary(row, libc) {
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
  const found = installed(build.package);
  if (!found) return missing(build, key, libc);
  if (found.json.version !== release.version) {
    return fail(
      `${build.package} ${shown(found.json.version)} is installed, but ${release.package} ${release.version} needs ${release.version}`,
      [`install the matching one: npm install -g ${build.package}@${release.version}`],
    );
  }
  return { binary: path.join(found.dir, build.binary), sha256: build.sha256, key };
}

// Set in the environment of a binary run through BINARY_PATH_VARIABLE, so that a binary
// which runs this wrapper again (a script calling `caro`) is stopped, not repeated forever.
const OVERRIDE_RAN = "CARO_NPM_OVERRIDE_RAN";

// CARO_BINARY_PATH (CARO_INSTALLER_BINARY_PATH for caro-install): run that binary, unchecked,
// instead of the platform package's. Said on stderr every time, so it is never forgotten.
function overridden() {
  const value = process.env[BINARY_PATH_VARIABLE];
  if (value === undefined || value === "") return undefined;
  const unset = `or unset ${BINARY_PATH_VARIABLE} to run the ${release.name} that ${release.package} installed`;
  if (process.env[OVERRIDE_RAN] === BINARY_PATH_VARIABLE) {
    return fail(`${BINARY_PATH_VARIABLE} is ${shown(value)}, which ran this npm wrapper again`, [
      `set it to the absolute path of a ${release.name} binary, not of something that runs \`${release.name}\` from PATH`,
      unset,
    ]);
  }
  if (!path.isAbsolute(value)) {
    return fail(`${BINARY_PATH_VARIABLE} is ${shown(value)}, which is not an absolute path`, [
      `set it to the absolute path of a ${release.name} binary`,
      unset,
    ]);
  }
  let self = false;
  try {
    self = fs.realpathSync(value) === fs.realpathSync(__filename);
  } catch (_) {
    // Not there: spawning says so.
  }
  if (self) {
    return fail(`${BINARY_PATH_VARIABLE} is ${shown(value)}, which is this npm wrapper, not a ${release.name} binary`, [
      `set it to the absolute path of a ${release.name} binary`,
      unset,
    ]);
  }
  process.stderr.write(
    `note: running ${shown(value)} from ${BINARY_PATH_VARIABLE}, unchecked, instead of ${release.package}@${release.version}'s ${release.name}\n`,
  );
  return {
    binary: value,
    env: { ...process.env, [OVERRIDE_RAN]: BINARY_PATH_VARIABLE },
    help: [`set ${BINARY_PATH_VARIABLE} to the absolute path of a ${release.name} binary`, unset],
  };
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

const MARKER_LIMIT = 512;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW || 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK || 0;

// What the marker records about a verified binary. The change time and inode cannot be
// set back by hand the way the modification time can (`touch -r`), so a binary altered
// after it was verified is hashed again even when its size and mtime are restored.
function stampOf(sha256, stat) {
  return `${sha256} ${stat.size} ${stat.mtimeMs} ${stat.ctimeMs} ${stat.ino}\n`;
}

// The marker's text when it is a small regular file: never read through a symlink (which
// could vouch for a binary with another file's text), never a FIFO or device (which could
// block or never end). Undefined otherwise.
function readMarker(marker) {
  let fd;
  try {
    if (!fs.lstatSync(marker).isFile()) return undefined;
    fd = fs.openSync(marker, fs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > MARKER_LIMIT) return undefined;
    const buffer = Buffer.alloc(MARKER_LIMIT);
    const read = fs.readSync(fd, buffer, 0, MARKER_LIMIT, 0);
    return buffer.toString("utf8", 0, read);
  } catch (_) {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

// Writes the marker atomically: a new temp file beside it (created with O_EXCL, so it is
// never an existing file or a symlink's target), then renamed over it, which replaces a
// name, never the file a symlink points to. Anything at the marker's path that is not a
// regular file was not written here and is left alone; so is every failure (a read-only
// install checks again next run).
function writeMarker(marker, stamp) {
  try {
    if (!fs.lstatSync(marker).isFile()) return;
  } catch (error) {
    if (error.code !== "ENOENT") return;
  }
  const temp = path.join(
    path.dirname(marker),
    `.${path.basename(marker)}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`,
  );
  let fd;
  let created = false;
  try {
    fd = fs.openSync(temp, "wx", 0o644);
    created = true;
    fs.writeSync(fd, stamp);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, marker);
    created = false;
  } catch (_) {
    // Checked again next run.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    if (created) {
      try {
        fs.unlinkSync(temp);
      } catch (_) {
        // Gone already.
      }
    }
  }
}

// Checks the binary against the release's digest, once per stamp (see stampOf).
function verify({ binary, sha256 }) {
  let stat;
  try {
    stat = fs.statSync(binary);
  } catch (error) {
    return fail(`cannot read ${shown(binary)}: ${error.code || shown(error.message)}`, [
      `reinstall it: npm install -g ${release.package}@${release.version}`,
    ]);
  }
  const marker = `${binary}.verified`;
  if (readMarker(marker) === stampOf(sha256, stat)) return;
  const actual = sha256Of(binary);
  if (actual !== sha256) {
    return fail(
      `refusing to run ${shown(binary)}: its sha256 is ${actual}, but ${release.package}@${release.version} recorded ${sha256}`,
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
      stat = fs.statSync(binary);
    } catch (_) {
      // Spawning will say what is wrong.
    }
  }
  writeMarker(marker, stampOf(sha256, stat));
}

// Signals the wrapper dies of itself when the child died of them, so that its caller sees
// a death by signal (a shell script's loop stops on SIGINT as it would for the binary).
// Node keeps their default action. Every other signal gives the exit status 128+N
// directly: Node ignores SIGPIPE, starts its debugger on SIGUSR1, and others would leave
// a core dump of Node beside the child's.
const RAISE_AGAIN = ["SIGHUP", "SIGINT", "SIGTERM", "SIGKILL", "SIGALRM"];

function exitAsChild(code, signal) {
  if (!signal) return process.exit(code === null ? 1 : code);
  const number = os.constants.signals[signal];
  const status = number ? 128 + number : 1;
  if (process.platform !== "win32" && RAISE_AGAIN.includes(signal)) {
    process.kill(process.pid, signal);
    // Should Node survive it after all, still exit as a death by that signal would.
    setTimeout(() => process.exit(status), 1000);
    return undefined;
  }
  return process.exit(status);
}

function run({ binary, env, help }) {
  const child = childProcess.spawn(binary, process.argv.slice(2), { stdio: "inherit", env: env || process.env });
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
    fail(
      `cannot run ${shown(binary)}: ${error.code || shown(error.message)}`,
      help || [`reinstall it: npm install -g ${release.package}@${release.version} --force`],
    );
  });
  child.on("exit", (code, signal) => {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
    exitAsChild(code, signal);
  });
}

function main() {
  const override = overridden();
  if (override) return run(override);
  const libc = detectLibc();
  const found = findBinary(platformRow(libc), libc);
  verify(found);
  return run(found);
}

main();
