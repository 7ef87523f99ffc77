//! The channels `dist` lays out beside a release (docs/channels.md), each checked by the
//! tool its users install with: Debian's `nuget` installs the package from a folder feed,
//! `skopeo` and `umoci` read the image layout and unpack its root, whose `caro` then runs,
//! and `ruby -c` parses the Homebrew formula. The builds are the fixture mirror's stand-ins
//! for caro 1.1.0 (`fixtures/mirror`), as a release workflow would download them. A missing
//! tool fails the test, naming its Debian package (scripts/test.sh installs them).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Test, example, fixtures, sha256_hex, system_tool};

/// The fixture release the channels are made from.
const VERSION: &str = "1.1.0";

/// The tag's date and commit the image records.
const CREATED: &str = "2026-01-31T12:00:00Z";
const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

/// The fixture mirror's release folder of `version`.
fn release(version: &str) -> PathBuf {
    fixtures().join(format!("mirror/wildcard/caro/releases/download/v{version}"))
}

/// `KEY=PATH` for every versioned binary of the fixture release.
fn fixture_builds() -> Vec<String> {
    let dir = release(VERSION);
    let prefix = format!("caro-{VERSION}-");
    let mut builds: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.ends_with(".sha256"))
        .filter_map(|name| {
            let key = name
                .strip_prefix(&prefix)?
                .trim_end_matches(".exe")
                .to_string();
            Some(format!("{key}={}", dir.join(&name).display()))
        })
        .collect();
    builds.sort();
    assert_eq!(builds.len(), 7, "{builds:?}");
    builds
}

/// Runs the `dist` example in `root` with `args`; returns its exit status, stdout and stderr.
fn dist(root: &Path, args: &[String]) -> (bool, String, String) {
    let output = Command::new(example("dist"))
        .args(args)
        .current_dir(root)
        .env_clear()
        .output()
        .expect("run the dist example");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Lays the fixture release out in `root` with every channel: `root/release`,
/// `root/nuget`, `root/oci`, `root/brew`.
#[track_caller]
fn lay_out(root: &Path) {
    let mut args: Vec<String> = [
        "--name",
        "caro",
        "--version",
        VERSION,
        "--tag",
        "v1.1.0",
        "--out",
        "release",
        "--nuget",
        "nuget",
        "--oci",
        "oci",
        "--homebrew",
        "brew",
        "--created",
        CREATED,
        "--revision",
        REVISION,
    ]
    .map(String::from)
    .to_vec();
    args.extend(fixture_builds());
    let (ok, stdout, stderr) = dist(root, &args);
    assert!(ok, "dist failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
}

/// Runs `program` (a system tool in the test's PATH) and returns its stdout, failing with
/// everything it printed when it fails.
#[track_caller]
fn run(test: &Test, program: &str, args: &[&str]) -> String {
    let output = test
        .program(system_tool(program))
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("run {program}: {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every file under `dir`, by relative path, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    found
}

#[test]
fn nuget_installs_the_package_from_a_folder_feed_with_the_release_exe() {
    let test = Test::new().tools(&["nuget"]);
    lay_out(test.root());
    let feed = test.root().join("nuget");
    let names: Vec<_> = files(&feed).into_keys().collect();
    assert_eq!(names, ["caro.1.1.0.nupkg"]);
    run(
        &test,
        "nuget",
        &[
            "install",
            "caro",
            "-Version",
            VERSION,
            "-Source",
            feed.to_str().unwrap(),
            "-OutputDirectory",
            "packages",
            "-NonInteractive",
        ],
    );
    let path = test.root().join("packages/caro.1.1.0/tools/caro.exe");
    // That caro-install leaves such a copy to NuGet is a unit test of update/owner.rs
    // (`nuget_packages_and_container_images_are_recognised`), on this very layout.
    let installed = fs::read(&path).unwrap();
    let asset = fs::read(release(VERSION).join("caro-1.1.0-windows-amd64.exe")).unwrap();
    assert!(
        installed == asset,
        "tools/caro.exe is not the release's asset"
    );
    // The fixture release has no Windows on ARM build, so the package has none either.
    assert!(!test.root().join("packages/caro.1.1.0/tools/arm64").exists());
}

#[test]
fn the_image_has_both_platforms_and_its_amd64_root_runs_caro() {
    let test = Test::new().tools(&["skopeo", "umoci"]);
    lay_out(test.root());
    let image = format!("oci:{}:{VERSION}", test.root().join("oci").display());
    let index: serde_json::Value =
        serde_json::from_str(&run(&test, "skopeo", &["inspect", "--raw", &image])).unwrap();
    let platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}/{}", m["platform"]["os"], m["platform"]["architecture"]))
        .collect();
    assert_eq!(platforms, [r#""linux"/"amd64""#, r#""linux"/"arm64""#]);
    let annotations = &index["annotations"];
    for (key, value) in [
        ("source", "https://github.com/wildcard/caro"),
        ("version", VERSION),
        ("revision", REVISION),
        ("licenses", "AGPL-3.0-only"),
        ("created", CREATED),
    ] {
        assert_eq!(
            annotations[format!("org.opencontainers.image.{key}")],
            value
        );
    }
    // What `skopeo copy --all` pushes: every blob arrives under the digest dist gave it.
    let copy = test.root().join("copy");
    let copied = format!("oci:{}:{VERSION}", copy.display());
    run(
        &test,
        "skopeo",
        &["copy", "--quiet", "--all", &image, &copied],
    );
    let blobs = |dir: &Path| files(&dir.join("blobs")).into_keys().collect::<Vec<_>>();
    assert_eq!(blobs(&copy), blobs(&test.root().join("oci")));
    for arch in ["amd64", "arm64"] {
        let config: serde_json::Value = serde_json::from_str(&run(
            &test,
            "skopeo",
            &["--override-arch", arch, "inspect", "--config", &image],
        ))
        .unwrap();
        assert_eq!(config["architecture"], arch);
        assert_eq!(config["created"], CREATED);
        assert_eq!(config["config"]["Entrypoint"][0], "/usr/local/bin/caro");
    }
    // umoci unpacks one image: the amd64 one, copied out of the index by skopeo.
    let single = format!("oci:{}:amd64", test.root().join("single").display());
    run(
        &test,
        "skopeo",
        &[
            "--override-arch",
            "amd64",
            "copy",
            "--quiet",
            &image,
            &single,
        ],
    );
    let layout = format!("{}:amd64", test.root().join("single").display());
    let bundle = test.root().join("unpacked");
    // `--rootless`: CI runs the tests as a normal user, and root needs no more.
    run(
        &test,
        "umoci",
        &[
            "unpack",
            "--rootless",
            "--image",
            &layout,
            bundle.to_str().unwrap(),
        ],
    );
    let caro = bundle.join("rootfs/usr/local/bin/caro");
    assert_eq!(
        fs::read(&caro).unwrap(),
        fs::read(release(VERSION).join("caro-1.1.0-linux-amd64-musl")).unwrap()
    );
    let output = test.program(&caro).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "caro 1.1.0");
    let rootfs: Vec<_> = files(&bundle.join("rootfs")).into_keys().collect();
    assert_eq!(rootfs, ["usr/local/bin/caro"], "FROM scratch: nothing else");
}

#[test]
fn every_channel_is_byte_reproducible() {
    let (first, second) = (Test::new(), Test::new());
    lay_out(first.root());
    lay_out(second.root());
    for dir in ["release", "nuget", "oci", "brew"] {
        let (a, b) = (
            files(&first.root().join(dir)),
            files(&second.root().join(dir)),
        );
        assert!(!a.is_empty(), "{dir} is empty");
        assert!(a == b, "{dir} differs between two runs");
    }
}

#[test]
fn the_formula_parses_and_points_at_what_dist_wrote() {
    let test = Test::new().tools(&["ruby"]);
    lay_out(test.root());
    let formula = test.root().join("brew/caro.rb");
    assert_eq!(
        run(&test, "ruby", &["-c", formula.to_str().unwrap()]).trim(),
        "Syntax OK"
    );
    let text = fs::read_to_string(&formula).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut checked = Vec::new();
    for pair in lines.windows(2) {
        let Some(url) = pair[0].strip_prefix("url \"") else {
            continue;
        };
        let url = url.trim_end_matches('"');
        let sha256 = pair[1]
            .strip_prefix("sha256 \"")
            .unwrap()
            .trim_end_matches('"');
        let prefix = "https://github.com/wildcard/caro/releases/download/v1.1.0/";
        let asset = url.strip_prefix(prefix).unwrap_or_else(|| panic!("{url}"));
        let bytes = fs::read(test.root().join("release").join(asset)).unwrap();
        assert_eq!(sha256, sha256_hex(&bytes), "{asset}");
        checked.push(asset.to_string());
    }
    assert_eq!(
        checked,
        [
            "caro-1.1.0-macos-silicon",
            "caro-1.1.0-macos-intel",
            "caro-1.1.0-linux-arm64",
            "caro-1.1.0-linux-amd64"
        ]
    );
    assert!(text.contains("assert_match \"caro #{version}\""), "{text}");
}

/// A file a case puts in the way first: its path and bytes.
type Existing = Option<(&'static str, &'static [u8])>;

/// Bad input stops dist before it writes anything, naming what is wrong.
#[test]
fn bad_input_writes_nothing() {
    let without_windows: Vec<String> = fixture_builds()
        .into_iter()
        .filter(|build| !build.starts_with("windows-"))
        .collect();
    let base = |extra: &[&str], builds: &[String]| -> Vec<String> {
        let mut args: Vec<String> = ["--name", "caro", "--version", VERSION, "--out", "release"]
            .iter()
            .chain(extra)
            .map(|arg| arg.to_string())
            .collect();
        args.extend(builds.iter().cloned());
        args
    };
    let all = fixture_builds();
    let without_linux_amd64: Vec<String> = all
        .iter()
        .filter(|build| !build.starts_with("linux-amd64="))
        .cloned()
        .collect();
    let oci = ["--oci", "oci", "--created", CREATED, "--revision", REVISION];
    let cases: Vec<(Vec<String>, &str, Existing)> = vec![
        (
            base(&["--nuget", "nuget"], &without_windows),
            "needs the `windows-amd64` build",
            None,
        ),
        (
            base(&["--homebrew", "brew"], &without_linux_amd64),
            "needs the `linux-amd64` build",
            None,
        ),
        (base(&oci[..2], &all), "needs `--created`", None),
        (
            base(&["--tag", "v1.2.0"], &all),
            "`v1.2.0`: the tag does not match the version 1.1.0",
            None,
        ),
        (
            base(&["--bundle", "m=missing.gguf:LICENSE"], &all),
            "the model file of `m` does not exist",
            None,
        ),
        (
            base(&["--nuget", "nuget"], &all),
            "caro.1.0.3.nupkg`: the NuGet folder holds another version's package",
            Some(("nuget/caro.1.0.3.nupkg", b"PK")),
        ),
        (
            base(&["--homebrew", "brew"], &all),
            "the formula there is not of 1.1.0",
            Some((
                "brew/caro.rb",
                b"# written by caro-install's `dist --homebrew`\nclass Caro < Formula\n  version \"1.0.3\"\nend\n",
            )),
        ),
        (
            base(&["--homebrew", "brew"], &all),
            "the formula there was not written by dist",
            Some((
                "brew/caro.rb",
                b"class Caro < Formula\n  version \"1.1.0\" # the tap's own\nend\n",
            )),
        ),
        (
            base(&["--nuget", "nuget"], &all),
            "a channel's output is a folder, and this is not one",
            Some(("nuget", b"a file")),
        ),
        (
            base(&oci, &all),
            "the image folder holds files but no image layout",
            Some(("oci/notes.txt", b"mine")),
        ),
    ];
    for (args, expected, existing) in cases {
        let test = Test::new();
        if let Some((path, bytes)) = existing {
            let path = test.root().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, bytes).unwrap();
        }
        let before = files(test.root());
        let (ok, stdout, stderr) = dist(test.root(), &args);
        assert!(!ok, "{args:?} succeeded:\n{stdout}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("help: "), "{stderr}");
        assert!(
            !test.root().join("release").exists(),
            "{args:?} wrote the release"
        );
        assert!(files(test.root()) == before, "{args:?} changed a file");
    }
}

/// A FIFO, or a symlink, where dist looks for its earlier output is refused at once: never
/// read (a FIFO would block the run forever), never followed.
#[test]
fn a_fifo_or_a_symlink_in_an_output_folder_is_refused_without_reading_it() {
    let mut args: Vec<String> = [
        "--name",
        "caro",
        "--version",
        VERSION,
        "--out",
        "release",
        "--homebrew",
        "brew",
        "--oci",
        "oci",
        "--created",
        CREATED,
        "--revision",
        REVISION,
    ]
    .map(String::from)
    .to_vec();
    args.extend(fixture_builds());
    for (path, make) in [
        ("brew/caro.rb", "fifo"),
        ("oci/index.json", "fifo"),
        ("brew/caro.rb", "symlink"),
    ] {
        let test = Test::new();
        let path = test.root().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        if make == "fifo" {
            use std::os::unix::ffi::OsStrExt;
            let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
            // SAFETY: `name` is a valid NUL-terminated path that outlives the call.
            assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        } else {
            fs::write(test.root().join("elsewhere.rb"), "version \"1.1.0\"").unwrap();
            std::os::unix::fs::symlink(test.root().join("elsewhere.rb"), &path).unwrap();
        }
        let (ok, _, stderr) = dist(test.root(), &args);
        assert!(!ok);
        assert!(
            stderr.contains("not a regular file"),
            "{make} {}: {stderr}",
            path.display()
        );
        assert!(!test.root().join("release").exists());
    }
}
