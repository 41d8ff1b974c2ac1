//! Live inputs for `--follow`: a growing file read like `tail -F`, or stdin fed by a pipe that
//! never ends. Both block when no data is there, and say so first (the `idle` hook), so that
//! what was read before the wait goes on to be explained instead of waiting for a full batch.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Duration;

use super::open::{Input, PEEK_LEN, READ_BUFFER};
use super::ReadError;

/// Called before a live input waits for more data; `false` ends the input there (nobody
/// reads what it would give).
pub type Idle = Box<dyn FnMut() -> bool>;

/// How often a followed file is checked for growth, rotation and truncation at its end: a
/// tenth of the one-second latency `--follow` promises, and one `stat` per wait.
pub const POLL: Duration = Duration::from_millis(100);

/// Chunks in flight between the thread that reads stdin and the reader: enough to keep the
/// reader busy while the pipe is refilled, bounded so a fast writer cannot grow memory.
pub const CHUNKS_IN_FLIGHT: usize = 4;

/// Opens `path` (`-`: stdin) to be read as it grows. A regular file is read from its start,
/// then followed across rotation (a new file at the path: read from its start once the old
/// one is read to its end) and truncation (read again from the start). Stdin ends when its
/// writer closes it.
pub fn open(path: &str, idle: Idle) -> Result<Input, ReadError> {
    let io_err = |source| ReadError::Io {
        path: path.to_string(),
        source,
    };
    let source = if path == "-" {
        Source::Chunks(Chunks::new(stdin_chunks()))
    } else {
        Source::File(FollowFile::open(PathBuf::from(path)).map_err(io_err)?)
    };
    live_input(Live { source, idle }).map_err(io_err)
}

/// A live input of the bytes another thread sends, in chunks, until it hangs up (an error it
/// sends ends the input with that error).
pub fn from_chunks(chunks: Receiver<io::Result<Vec<u8>>>, idle: Idle) -> io::Result<Input> {
    live_input(Live {
        source: Source::Chunks(Chunks::new(chunks)),
        idle,
    })
}

fn live_input(mut live: Live) -> io::Result<Input> {
    let head = live.peek()?;
    Ok(Input::live(head, Box::new(live)))
}

/// A live input and what it says before it waits.
struct Live {
    source: Source,
    idle: Idle,
}

enum Source {
    File(FollowFile),
    Chunks(Chunks),
}

impl Live {
    /// Reads what is there now: `None` when reading would wait.
    fn read_now(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        match &mut self.source {
            Source::File(f) => f.read_now(buf),
            Source::Chunks(c) => c.read_now(buf),
        }
    }

    /// Waits for more data (or the end).
    fn wait(&mut self) -> io::Result<()> {
        match &mut self.source {
            Source::File(_) => {
                std::thread::sleep(POLL);
                Ok(())
            }
            Source::Chunks(c) => c.wait(),
        }
    }

    /// What format detection reads: everything there now, up to [`PEEK_LEN`] bytes, and at
    /// least the first line that is not blank (waiting for it if need be).
    fn peek(&mut self) -> io::Result<Vec<u8>> {
        let mut head = vec![0u8; PEEK_LEN];
        let mut len = 0;
        while len < PEEK_LEN {
            match self.read_now(&mut head[len..])? {
                Some(0) => break,
                Some(n) => len += n,
                None if has_line(&head[..len]) => break,
                None => self.wait()?,
            }
        }
        head.truncate(len);
        Ok(head)
    }
}

/// Whether `head` holds a complete line that is not blank.
fn has_line(head: &[u8]) -> bool {
    head.split_inclusive(|&b| b == b'\n')
        .any(|l| l.ends_with(b"\n") && l.iter().any(|b| !b.is_ascii_whitespace()))
}

impl Read for Live {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(n) = self.read_now(buf)? {
                return Ok(n);
            }
            if !(self.idle)() {
                return Ok(0);
            }
            self.wait()?;
        }
    }
}

/// The identity of the file a path names: a rotated log is a new inode at the same path.
fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    (m.dev(), m.ino())
}

/// A file read like `tail -F`.
struct FollowFile {
    path: PathBuf,
    file: File,
    id: (u64, u64),
    /// Bytes read from the current file.
    pos: u64,
    /// The path was seen naming another file at the last poll.
    rotation_seen: bool,
}

impl FollowFile {
    fn open(path: PathBuf) -> io::Result<FollowFile> {
        let file = File::open(&path)?;
        let m = file.metadata()?;
        if !m.is_file() {
            return Err(io::Error::other(
                "--follow reads a regular file or stdin (-), not a directory or device",
            ));
        }
        Ok(FollowFile {
            id: file_id(&m),
            path,
            file,
            pos: 0,
            rotation_seen: false,
        })
    }

    /// At the end of the current file: whether the path now names another file (rotated) or
    /// a shorter one (truncated), and if so, switches to reading it from its start.
    fn switched(&mut self) -> io::Result<bool> {
        let Ok(m) = std::fs::metadata(&self.path) else {
            // Removed and not yet recreated: keep the old file, which may still grow.
            return Ok(false);
        };
        if file_id(&m) != self.id {
            // A writer still holding the old file may add to it a moment after the rename
            // (until it reopens): it gets one more poll before the new file is read.
            if !std::mem::replace(&mut self.rotation_seen, true) {
                return Ok(false);
            }
            self.rotation_seen = false;
            match File::open(&self.path) {
                Ok(f) => {
                    self.file = f;
                    self.id = file_id(&m);
                    self.pos = 0;
                    return Ok(true);
                }
                // Replaced again between the stat and the open: the next poll sees it.
                Err(_) => return Ok(false),
            }
        }
        if m.len() < self.pos {
            use std::io::Seek;
            self.file.seek(io::SeekFrom::Start(0))?;
            self.pos = 0;
            return Ok(true);
        }
        Ok(false)
    }

    fn read_now(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        loop {
            let n = self.file.read(buf)?;
            if n > 0 || buf.is_empty() {
                self.pos += n as u64;
                return Ok(Some(n));
            }
            if !self.switched()? {
                return Ok(None);
            }
        }
    }
}

/// Stdin read on a thread of its own, so that the reader can tell "no data yet" from "more
/// data": a read on a pipe blocks with no way to ask first.
fn stdin_chunks() -> Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::sync_channel(CHUNKS_IN_FLIGHT);
    // The thread ends at the end of stdin, or when the reader is gone; until then it is
    // blocked in `read`, holding nothing but the stdin handle.
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        loop {
            let mut chunk = vec![0u8; READ_BUFFER];
            match stdin.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => {
                    chunk.truncate(n);
                    if tx.send(Ok(chunk)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    });
    rx
}

/// Bytes that come in chunks from another thread.
struct Chunks {
    chunks: Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
    ended: bool,
}

impl Chunks {
    fn new(chunks: Receiver<io::Result<Vec<u8>>>) -> Chunks {
        Chunks {
            chunks,
            current: Vec::new(),
            at: 0,
            ended: false,
        }
    }

    fn read_now(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        if self.at == self.current.len() && !self.ended {
            match self.chunks.try_recv() {
                Ok(c) => self.take(c)?,
                Err(TryRecvError::Disconnected) => self.ended = true,
                Err(TryRecvError::Empty) => return Ok(None),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(Some(n))
    }

    /// Waits for the next chunk (or the end).
    fn wait(&mut self) -> io::Result<()> {
        match self.chunks.recv() {
            Ok(c) => self.take(c),
            Err(_) => {
                self.ended = true;
                Ok(())
            }
        }
    }

    fn take(&mut self, chunk: io::Result<Vec<u8>>) -> io::Result<()> {
        self.current = chunk?;
        self.at = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fpx-follow-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Reads lines from a followed file on a thread, sending them as they come.
    fn follow_lines(path: PathBuf) -> (mpsc::Receiver<String>, Arc<Mutex<u32>>) {
        let waits = Arc::new(Mutex::new(0u32));
        let w = Arc::clone(&waits);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let idle: Idle = Box::new(move || {
                *w.lock().unwrap() += 1;
                true
            });
            let mut input = open(path.to_str().unwrap(), idle).unwrap();
            let mut line = String::new();
            while input.reader().read_line(&mut line).unwrap_or(0) > 0 {
                if tx.send(std::mem::take(&mut line)).is_err() {
                    return;
                }
            }
        });
        (rx, waits)
    }

    fn next(rx: &mpsc::Receiver<String>) -> String {
        rx.recv_timeout(Duration::from_secs(5))
            .expect("a line within 5 s")
    }

    #[test]
    fn follows_growth_rotation_and_truncation() {
        let dir = temp("rotate");
        let path = dir.join("eve.json");
        std::fs::write(&path, "{\"a\":1}\n").unwrap();
        let (rx, waits) = follow_lines(path.clone());
        assert_eq!(next(&rx), "{\"a\":1}\n");
        // At the end of the file the reader says it waits, before it waits.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while *waits.lock().unwrap() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the reader said it waited"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // Growth.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"a\":2}\n").unwrap();
        assert_eq!(next(&rx), "{\"a\":2}\n");
        // Rotation: the old file is renamed, a new one takes its path.
        std::fs::rename(&path, dir.join("eve.json.1")).unwrap();
        f.write_all(b"{\"a\":3}\n").unwrap();
        std::fs::write(&path, "{\"b\":1}\n").unwrap();
        assert_eq!(next(&rx), "{\"a\":3}\n");
        assert_eq!(next(&rx), "{\"b\":1}\n");
        // Truncation (copytruncate): read again from the start. The new content is shorter
        // than what was read, so the reader sees the truncation whenever it looks.
        std::fs::write(&path, "{}\n").unwrap();
        assert_eq!(next(&rx), "{}\n");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_directory_is_not_followed() {
        let dir = temp("dir");
        let e = open(dir.to_str().unwrap(), Box::new(|| true))
            .err()
            .unwrap();
        assert!(e.to_string().contains("regular file"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_peek_takes_what_is_there_and_at_least_a_line() {
        assert!(has_line(b"\n\n{}\n"));
        assert!(!has_line(b"\n \n"));
        assert!(!has_line(b"{\"x\":"));
    }
}
