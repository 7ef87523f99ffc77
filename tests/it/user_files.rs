//! The user's startup files under attack: what caro-install may do to them is add and
//! remove whole lines of its own, in regular files the user owns and may write. A line of
//! caro's old install scripts that the user extended stays; a FIFO, a device, a folder, a
//! read-only file or another user's file behind a symlink is never opened, written or
//! replaced, and the user is told the line to add by hand; the install still succeeds.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;

const SOURCE_LINE: &str = ". \"$HOME/.config/caro/env\" # added by caro-install";

/// A test with bash and zsh installed and caro 1.0.3 on a loopback server.
fn test_with(setup: impl FnOnce(Test) -> Test) -> (Test, Server) {
    let server = Server::start();
    server.caro("1.0.3", "linux-amd64");
    let test = Test::new()
        .tools(&["sh", "bash", "zsh"])
        .server(&server)
        .pinned("1.0.3", "linux-amd64")
        .arg("-y");
    (setup(test), server)
}

#[track_caller]
fn read(test: &Test, name: &str) -> String {
    fs::read_to_string(test.home().join(name)).unwrap()
}

#[test]
fn a_users_line_after_the_old_caro_comment_survives_install_and_uninstall() {
    let bashrc = "alias a=b\n\n# caro PATH\nexport PATH=\"$HOME/.local/bin:$PATH\"; source ~/.work-env\nexport B=2\n";
    let (test, _server) = test_with(|t| t.write("home/.bashrc", bashrc));
    test.run()
        .success()
        .stderr_has(".bashrc:4 follows caro's old `# caro PATH` comment but holds more")
        .stderr_has("; source ~/.work-env`), so it is left as it is");
    assert_eq!(read(&test, ".bashrc"), format!("{bashrc}{SOURCE_LINE}\n"));
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(read(&test, ".bashrc"), bashrc);
}

#[test]
fn the_lines_around_an_old_block_are_never_merged() {
    // No final newline, and the user edits the file between install and uninstall.
    let zshrc = "export A=1\n\n# caro PATH\nexport PATH=\"/opt/caro:$PATH\"\nexport B=2";
    let (test, _server) = test_with(|t| t.write("home/.zshrc", zshrc));
    test.run()
        .success()
        .stderr_has("found caro's old PATH setup");
    let edited = read(&test, ".zshrc").replace("\n\n# caro", "\n\nmine\n# caro");
    fs::write(test.home().join(".zshrc"), edited).unwrap();
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(read(&test, ".zshrc"), "export A=1\n\nmine\nexport B=2");
}

#[test]
fn crlf_files_and_files_without_a_final_newline_come_back_byte_for_byte() {
    let zshrc =
        "export A=1\r\n\r\n# caro PATH\r\nexport PATH=\"/opt/caro:$PATH\"\r\nexport B=2\r\n";
    let bashrc = "alias a=b\n\n# Added by caro installer\nexport PATH=\"/opt/caro:$PATH\"";
    let profile = "export LANG=C\r\nexport EDITOR=vi";
    let (test, _server) = test_with(|t| {
        t.write("home/.zshrc", zshrc)
            .write("home/.bashrc", bashrc)
            .write("home/.profile", profile)
    });
    test.run().success();
    assert_eq!(
        read(&test, ".bashrc"),
        format!("{bashrc}\n{SOURCE_LINE}\n"),
        "a newline first, and no line joined"
    );
    assert_eq!(
        read(&test, ".profile"),
        format!("{profile}\n{SOURCE_LINE}\n")
    );
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(read(&test, ".zshrc"), "export A=1\r\nexport B=2\r\n");
    assert_eq!(read(&test, ".bashrc"), "alias a=b\n");
    assert_eq!(read(&test, ".profile"), profile);
}

/// Installs with `setup` done to HOME first; checks the install succeeded, warned about
/// `name` with `reason` and the line to add by hand, within a few seconds, and recorded no
/// edit of it.
#[track_caller]
fn refused(name: &str, reason: &str, setup: impl FnOnce(&Path)) -> Test {
    let (test, _server) = test_with(|t| t);
    setup(&test.home());
    let started = Instant::now();
    test.run()
        .success()
        .stderr_has(&format!("{name} left as it is: {reason}"))
        .stderr_has(&format!("add this line to it yourself:\n    {SOURCE_LINE}"))
        .stderr_has("installed caro 1.0.3");
    assert!(started.elapsed() < Duration::from_secs(20), "it hung");
    let edits = test.receipt()["path_edits"].to_string();
    assert!(!edits.contains(&format!("/{name}\"")), "{edits}");
    assert!(
        read(&test, ".config/caro/env").contains("export PATH"),
        "the rest is still configured"
    );
    test
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
}

#[test]
fn a_fifo_is_never_opened() {
    let test = refused(".bash_login", "it is a FIFO, not a regular file", |home| {
        mkfifo(&home.join(".bash_login"))
    });
    let kind = fs::symlink_metadata(test.home().join(".bash_login")).unwrap();
    assert!(kind.file_type().is_fifo());
    test.run_with(&["uninstall", "-y"]).success();
    assert!(
        fs::symlink_metadata(test.home().join(".bash_login"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn a_bashrc_linked_to_dev_null_is_not_replaced() {
    let test = refused(".bashrc", "it is a device, not a regular file", |home| {
        symlink("/dev/null", home.join(".bashrc")).unwrap()
    });
    let link = test.home().join(".bashrc");
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("/dev/null"));
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn a_profile_linked_to_dev_zero_neither_hangs_nor_grows() {
    let test = refused(".profile", "it is a device, not a regular file", |home| {
        symlink("/dev/zero", home.join(".profile")).unwrap()
    });
    assert_eq!(
        fs::read_link(test.home().join(".profile")).unwrap(),
        Path::new("/dev/zero")
    );
}

#[test]
fn a_folder_where_a_startup_file_should_be_is_left() {
    let test = refused(".bashrc", "it is a folder, not a regular file", |home| {
        fs::create_dir(home.join(".bashrc")).unwrap()
    });
    assert!(test.home().join(".bashrc").is_dir());
}

#[test]
fn a_read_only_startup_file_is_not_edited() {
    let test = refused(".bashrc", "it is read-only", |home| {
        fs::write(home.join(".bashrc"), "alias a=b\n").unwrap();
        fs::set_permissions(home.join(".bashrc"), fs::Permissions::from_mode(0o444)).unwrap();
    });
    assert_eq!(read(&test, ".bashrc"), "alias a=b\n");
}

#[test]
fn a_symlink_to_another_users_file_is_not_followed() {
    let mut target = None;
    let test = refused(
        ".bashrc",
        "it is a symlink to a file another user owns",
        |home| {
            let theirs = home.parent().unwrap().join("theirs");
            fs::write(&theirs, "alias a=b\n").unwrap();
            // As root (these tests are) the file can be given away; as another user it already
            // is another's when it is not ours, which is what the check looks at.
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            symlink(&theirs, home.join(".bashrc")).unwrap();
            target = Some(theirs);
        },
    );
    let theirs = target.unwrap();
    assert_eq!(fs::read_to_string(&theirs).unwrap(), "alias a=b\n");
    assert_eq!(fs::metadata(&theirs).unwrap().uid(), 65534);
    assert!(
        test.home()
            .join(".bashrc")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_symlink_to_the_users_own_file_is_edited_at_its_target() {
    let (test, _server) = test_with(|t| t.write("dotfiles/profile", "export A=1\n"));
    let target = test.root().join("dotfiles/profile");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    symlink(&target, test.home().join(".profile")).unwrap();
    test.run().success();
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        format!("export A=1\n{SOURCE_LINE}\n")
    );
    assert_eq!(
        fs::metadata(&target).unwrap().mode() & 0o777,
        0o640,
        "mode kept"
    );
    assert!(
        test.home()
            .join(".profile")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
    test.run_with(&["uninstall", "-y"]).success();
    assert_eq!(fs::read_to_string(&target).unwrap(), "export A=1\n");
}
