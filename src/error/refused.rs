//! [`Refused`]: why the guarded read (`files::read_regular`) left a path alone.

use std::io;

/// Why a path was not read or edited.
#[derive(Debug)]
#[non_exhaustive]
pub enum Refused {
    /// Something other than a regular file is there (`a FIFO`, `a device`, `a socket`,
    /// `a folder`).
    NotRegular(&'static str),
    /// A symlink that leads to a regular file another user owns.
    NotYours,
    /// A file larger than the caller's bound, in bytes.
    TooLarge(u64),
    /// A file with no write permission for its owner: not edited.
    ReadOnly,
    /// The read took longer than the guarded read allows (10 s).
    TimedOut(std::time::Duration),
    /// The file changed between the look and the open.
    Swapped,
    /// The operating system refused (permissions, I/O error).
    Io(io::Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            Refused::NotYours => f.write_str("it is a symlink to a file another user owns"),
            Refused::TooLarge(limit) => write!(f, "it is larger than {limit} bytes"),
            Refused::ReadOnly => f.write_str("it is read-only"),
            Refused::TimedOut(limit) => {
                write!(f, "reading it took longer than {} s", limit.as_secs())
            }
            Refused::Swapped => f.write_str("it was replaced while it was being opened"),
            Refused::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for Refused {}
