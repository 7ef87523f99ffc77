//! The unpacking half of a bundle install: an [`Unpacker`] is the download pipeline's
//! [`Sink`]; its own thread gunzips and untars what arrives into temp files beside their
//! places, checking every entry before a byte of it is written.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};

use super::{
    Destinations, MAX_BUNDLE_BYTES, MAX_BUNDLE_ENTRIES, NOTICES, Part, Unpacked, UnpackedBundle,
    check_space, classify, free_space,
};
use crate::checksum::Digest;
use crate::download::Sink;
use crate::error::{Error, Result};
use crate::files::TempFile;

/// A [`Sink`] that unpacks a bundle as it arrives, on a thread of its own, and feeds a
/// pinned key's signature check on the way.
pub struct Unpacker<'a> {
    chunks: Option<SyncSender<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
    worker: Option<JoinHandle<Result<UnpackedBundle>>>,
    signature: Option<minisign_verify::StreamVerifier<'a>>,
    models: PathBuf,
    /// Why the download was stopped before it began (too little space), when it was.
    refusal: Option<Error>,
}

impl<'a> Unpacker<'a> {
    /// Starts the unpacking thread for `destinations`; `label` names the bundle in errors.
    pub fn start(
        destinations: &Destinations,
        label: &str,
        signature: Option<minisign_verify::StreamVerifier<'a>>,
    ) -> Unpacker<'a> {
        let (to_worker, chunks) = sync_channel::<Vec<u8>>(16);
        let (give_back, spare) = channel();
        let models = destinations.models.clone();
        let destinations = destinations.clone();
        let label = label.to_string();
        let worker = std::thread::spawn(move || {
            let reader = ChannelReader {
                chunks,
                give_back,
                current: Vec::new(),
                at: 0,
            };
            unpack(reader, &destinations, &label)
        });
        Unpacker {
            chunks: Some(to_worker),
            spare,
            worker: Some(worker),
            signature,
            models,
            refusal: None,
        }
    }

    /// Waits for the unpacking thread to take in everything sent and returns what it
    /// unpacked, and the signature state for the caller to finish.
    pub fn finish(
        mut self,
    ) -> (
        Result<UnpackedBundle>,
        Option<minisign_verify::StreamVerifier<'a>>,
    ) {
        drop(self.chunks.take());
        let result = match self.worker.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Ok(UnpackedBundle::default()),
        };
        let result = match self.refusal.take() {
            Some(refusal) => Err(refusal),
            None => result,
        };
        (result, self.signature.take())
    }
}

impl Sink for Unpacker<'_> {
    fn write_chunk(&mut self, chunk: &[u8]) -> io::Result<()> {
        if let Some(verifier) = &mut self.signature {
            verifier.update(chunk);
        }
        let mut buffer = self.spare.try_recv().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(chunk);
        let sent = self.chunks.as_ref().map(|chunks| chunks.send(buffer));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(io::Error::other("the bundle could not be unpacked")),
        }
    }

    fn expect_length(&mut self, total: Option<u64>) -> io::Result<()> {
        // A model hardly compresses: the bundle's length is about what the models need.
        let Some(total) = total else { return Ok(()) };
        check_space(&self.models, total, free_space(&self.models)).map_err(|refusal| {
            let error = io::Error::other(refusal.to_string());
            self.refusal = Some(refusal);
            error
        })
    }
}

/// Reads the chunks the pipeline sends, in order, giving each buffer back when used up.
struct ChannelReader {
    chunks: Receiver<Vec<u8>>,
    give_back: Sender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            let Ok(next) = self.chunks.recv() else {
                return Ok(0);
            };
            let used = std::mem::replace(&mut self.current, next);
            let _ = self.give_back.send(used);
            self.at = 0;
        }
        let n = buffer.len().min(self.current.len() - self.at);
        buffer[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The unpacking thread: gunzip and untar `reader` into temp files, checking every entry.
/// On a refused entry it stops at once (the pipeline then stops too); on damaged data it
/// reads on to the end, so the caller can tell a corrupt download (its digest differs)
/// from a bundle published broken.
fn unpack(
    mut reader: ChannelReader,
    destinations: &Destinations,
    label: &str,
) -> Result<UnpackedBundle> {
    let result = unpack_entries(&mut reader, destinations, label);
    if matches!(result, Err(Error::Archive { .. }) | Ok(_)) {
        let _ = io::copy(&mut reader, &mut io::sink());
    }
    result
}

fn unpack_entries(
    reader: &mut ChannelReader,
    destinations: &Destinations,
    label: &str,
) -> Result<UnpackedBundle> {
    let damaged = |source| Error::Archive {
        archive: label.to_string(),
        source,
    };
    let refused = |reason: String| Error::UnsafeArchive {
        archive: label.to_string(),
        reason,
    };
    let mut decoder = flate2::read::GzDecoder::new(reader);
    let mut tar = tar::Archive::new(&mut decoder);
    let mut bundle = UnpackedBundle::default();
    let mut seen = BTreeSet::new();
    let mut total = 0u64;
    for (index, entry) in tar.entries().map_err(damaged)?.enumerate() {
        let mut entry = entry.map_err(damaged)?;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let shown = path.escape_debug().to_string();
        if index >= MAX_BUNDLE_ENTRIES {
            return Err(refused(format!(
                "it has more than {MAX_BUNDLE_ENTRIES} entries"
            )));
        }
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(refused(format!("entry `{shown}` is a link")));
        }
        let part = classify(&path, &destinations.binary_name).map_err(refused)?;
        let is_file = kind.is_file() || kind.is_contiguous();
        match (&part, is_file, kind.is_dir()) {
            (Part::Folder, _, true) => continue,
            (Part::Folder, _, false) | (_, false, _) => {
                return Err(refused(format!(
                    "entry `{shown}` is not a regular file where one is expected"
                )));
            }
            _ => {}
        }
        if !seen.insert(part.clone()) {
            return Err(refused(format!("entry `{shown}` is there twice")));
        }
        let size = entry.header().size().map_err(damaged)?;
        total = total.saturating_add(size);
        if total > MAX_BUNDLE_BYTES {
            return Err(refused(format!(
                "it expands to more than {MAX_BUNDLE_BYTES} bytes"
            )));
        }
        let (dir, name) = match &part {
            Part::Binary => (&destinations.binary_dir, destinations.binary_name.clone()),
            Part::Model(name) => (&destinations.models, name.clone()),
            Part::License(name) => (&destinations.licenses, name.clone()),
            Part::Notices => (&destinations.licenses, NOTICES.to_string()),
            Part::Folder => unreachable!("folders were skipped above"),
        };
        check_space(dir, size, free_space(dir))?;
        let mut temp = TempFile::create(dir, &name)?;
        let (sha256, written) = copy_entry(&mut entry, temp.file_mut(), size)
            .map_err(|e| Error::file("write", temp.path())(e))?;
        if written != size {
            return Err(damaged(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("entry `{shown}` is cut short"),
            )));
        }
        bundle.parts.push(Unpacked {
            target: dir.join(&name),
            part,
            temp,
            sha256,
            size,
        });
    }
    // The rest of the gzip stream: its checksum is only checked at its end.
    io::copy(&mut decoder, &mut io::sink()).map_err(damaged)?;
    Ok(bundle)
}

/// Copies an entry into its temp file, hashing it; asks the kernel to write back as it
/// goes, so the fsync before placing has little left to do.
fn copy_entry(
    entry: &mut impl Read,
    file: &mut std::fs::File,
    size: u64,
) -> io::Result<(Digest, u64)> {
    const WRITEBACK_EVERY: u64 = 8 << 20;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let (mut written, mut flushed) = (0u64, 0u64);
    let mut limited = entry.take(size);
    loop {
        let n = match limited.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n])?;
        written += n as u64;
        if written - flushed >= WRITEBACK_EVERY {
            crate::download::start_writeback(file, flushed, written - flushed);
            flushed = written;
        }
    }
    crate::download::start_writeback(file, flushed, written - flushed);
    Ok((Digest(hasher.finalize().into()), written))
}
