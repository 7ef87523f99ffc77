//! The read/hash/write pipeline: one pass over a download, hashed and written as it
//! arrives, with memory bounded whatever the size.
//!
//! What the bytes are written into is a [`Sink`]: a file (an asset), or an unpacker that
//! takes a model bundle apart as it arrives (`install/bundle.rs`), so a bundle is
//! downloaded, hashed, decompressed and unpacked in the same single pass.

use std::fs::File;
use std::io::{Read, Write};

use sha2::{Digest as _, Sha256};

use crate::report::Reporter;

/// How much is read from the network at a time.
const CHUNK: usize = 256 * 1024;

/// How many chunks each of the hashing and writing threads may have queued.
const QUEUED: usize = 8;

/// Where the pipeline writes a download: chunk by chunk, in order, from one thread.
pub trait Sink: Send {
    /// Takes the next chunk; an error stops the download (a full disk, a refused entry).
    fn write_chunk(&mut self, chunk: &[u8]) -> std::io::Result<()>;

    /// Says that the bytes `from..from + length` were all handed over (a hint: a file asks
    /// the kernel to start writing them back).
    fn handed_over(&mut self, _from: u64, _length: u64) {}

    /// Empties the sink so a download can start over (a server that ignored `Range`);
    /// returns false when it cannot (an unpacker has used the bytes already), and then the
    /// bytes already taken are skipped in the new answer instead.
    fn start_over(&mut self) -> std::io::Result<bool> {
        Ok(false)
    }

    /// Learns how long the whole download is, before any byte arrives, when the server
    /// says; an error (not enough free space) stops the download before it starts.
    fn expect_length(&mut self, _total: Option<u64>) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink for File {
    fn write_chunk(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.write_all(chunk)
    }

    fn handed_over(&mut self, from: u64, length: u64) {
        start_writeback(self, from, length);
    }

    fn start_over(&mut self) -> std::io::Result<bool> {
        use std::io::{Seek, SeekFrom};
        self.set_len(0)?;
        self.seek(SeekFrom::Start(0))?;
        Ok(true)
    }
}

/// Copies `source` into `file` from offset `already`, hashing every byte; on failure returns
/// how many bytes the file holds in all, and the error. Read errors carry
/// [`ReadFailed`] so the caller can tell a cut connection from a full disk.
///
/// The three jobs run side by side: this thread reads from the network while one thread
/// hashes and another writes, each chunk shared between the two, so the transfer costs
/// about as much as the slowest of the three rather than their sum. Bounded channels keep
/// at most a few megabytes in flight, so memory stays flat whatever the size. A chunk's
/// buffer goes back to the reader once both are done with it, so a download allocates
/// only as many buffers as are ever in flight at once, not one per chunk.
pub(crate) fn copy_hashing(
    source: &mut dyn Read,
    file: &mut dyn Sink,
    hasher: &mut Sha256,
    already: u64,
    reporter: &dyn Reporter,
) -> Result<u64, (u64, std::io::Error)> {
    use std::sync::Arc;
    use std::sync::mpsc::{channel, sync_channel};
    std::thread::scope(|scope| {
        let (to_writer, chunks_to_write) = sync_channel::<Arc<Vec<u8>>>(QUEUED);
        let (to_hasher, chunks_to_hash) = sync_channel::<Arc<Vec<u8>>>(QUEUED);
        // Never more buffers come back than were sent out, so this channel stays small.
        let (give_back, given_back) = channel::<Vec<u8>>();
        let writer_gives_back = give_back.clone();
        let writer =
            scope.spawn(move || write_chunks(file, already, chunks_to_write, &writer_gives_back));
        let hashing = scope.spawn(move || {
            for chunk in chunks_to_hash {
                hasher.update(&*chunk);
                recycle(chunk, &give_back);
            }
        });
        let mut total = already;
        let mut read_error = None;
        loop {
            let mut buffer = given_back
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
            buffer.clear();
            let result = (&mut *source).take(CHUNK as u64).read_to_end(&mut buffer);
            let n = buffer.len();
            if n > 0 {
                let chunk = Arc::new(buffer);
                if to_writer.send(Arc::clone(&chunk)).is_err() || to_hasher.send(chunk).is_err() {
                    break; // the writer stopped: its error is reported below
                }
                total += n as u64;
                reporter.download_progress(total);
            }
            match result {
                Ok(_) if n == 0 => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    read_error = Some(std::io::Error::new(e.kind(), ReadFailed(e)));
                    break;
                }
            }
        }
        drop((to_writer, to_hasher));
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        hashing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match (written, read_error) {
            (Err((written, error)), _) => Err((written, error)),
            (Ok(written), Some(error)) => Err((written, error)),
            (Ok(written), None) => Ok(written),
        }
    })
}

/// Gives `chunk`'s buffer back to the reader when this was the last use of it (the hashing
/// and writing threads each hold one reference; whichever finishes second returns it).
fn recycle(chunk: std::sync::Arc<Vec<u8>>, give_back: &std::sync::mpsc::Sender<Vec<u8>>) {
    if let Some(buffer) = std::sync::Arc::into_inner(chunk) {
        let _ = give_back.send(buffer); // the reader has finished: the buffer is freed
    }
}

/// Writes chunks to `file` as they come; returns the file's length, or its length at the
/// failure and the error. Asks the kernel to start writing back every megabyte, and the
/// tail as soon as the source ends (while the sidecar is fetched and the checks run), so
/// the final fsync has little left to do, for a 5 MiB asset as for a large one.
fn write_chunks(
    file: &mut dyn Sink,
    already: u64,
    chunks: std::sync::mpsc::Receiver<std::sync::Arc<Vec<u8>>>,
    give_back: &std::sync::mpsc::Sender<Vec<u8>>,
) -> Result<u64, (u64, std::io::Error)> {
    const WRITEBACK_EVERY: u64 = 1 << 20;
    let mut written = already;
    let mut flushed = already;
    for chunk in chunks {
        file.write_chunk(&chunk).map_err(|e| (written, e))?;
        written += chunk.len() as u64;
        if written - flushed >= WRITEBACK_EVERY {
            file.handed_over(flushed, written - flushed);
            flushed = written;
        }
        recycle(chunk, give_back);
    }
    if written > flushed {
        file.handed_over(flushed, written - flushed);
    }
    Ok(written)
}

/// Starts writing `length` bytes from `offset` to disk without waiting (Linux's
/// `sync_file_range`); elsewhere a no-op, and the final fsync does all the work.
pub(crate) fn start_writeback(file: &File, offset: u64, length: u64) {
    #[cfg(target_os = "linux")]
    fn imp(file: &File, offset: u64, length: u64) {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(length)) = (i64::try_from(offset), i64::try_from(length)) else {
            return;
        };
        // SAFETY: the descriptor is open for the duration of the call; the call only
        // schedules writeback of pages already written, so it cannot affect memory safety.
        unsafe {
            libc::sync_file_range(
                file.as_raw_fd(),
                offset,
                length,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    fn imp(_file: &File, _offset: u64, _length: u64) {}
    imp(file, offset, length)
}

/// Marks an I/O error as coming from the network side of a copy (unwrapped again for the
/// user by `plain_io` in the parent module).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct ReadFailed(pub(super) std::io::Error);

pub(super) fn is_transient_io(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<ReadFailed>())
}
