//! `fpx explain --redis`: one worker of a consumer group over the Redis stream Suricata writes
//! EVE records to (`eve-log: filetype: redis`, `mode: stream`).
//!
//! Two connections, one per thread:
//! - the *fetcher* reads entries for this consumer (first its own pending ones, left by an
//!   earlier run under the same name; then, every half `--claim-idle`, those other consumers
//!   left pending longer than that, with `XAUTOCLAIM`; then new ones, with `XREADGROUP ... >`)
//!   and hands their `eve` fields to the EVE reader as lines, noting which line is which
//!   entry in the [`Entries`] table;
//! - the *committer*, on the explaining thread, takes each alert's JSON line when it is
//!   written and, in one Lua script per batch, for each entry still pending at this consumer,
//!   adds the result to the results stream and acknowledges the entry. An entry another
//!   worker claimed meanwhile is left to that worker, so a result is written once; a worker
//!   that dies leaves its entries pending, and a live one claims them.
//!
//! Records that are not alerts (flow, dns, stats...) feed this worker's state and are
//! acknowledged once read; alerts once their result is written. Without `--results` the
//! results go to stdout and are acknowledged after they are flushed: a worker killed between
//! the two has them explained again by the one that claims them (at least once, not exactly).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::client::{Client, ClientError, Entry, Url};

/// What a worker reads and where it writes.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    pub url: Url,
    /// The stream Suricata writes (its `key`, `suricata` by default).
    pub key: String,
    pub group: String,
    /// This worker's name in the group; a restarted worker with the same name takes up its
    /// own pending entries first.
    pub consumer: String,
    /// The stream results go to; `None`: stdout.
    pub results: Option<String>,
    /// Approximate length the results stream is trimmed to (`MAXLEN ~`).
    pub results_maxlen: Option<usize>,
    /// How long an entry stays pending at another consumer before this one claims it.
    pub claim_idle: Duration,
}

impl StreamConfig {
    /// The stream as the command line names it (`--redis`, `--stream`, `--group`,
    /// `--consumer`, `--claim-idle`), without a results stream.
    pub fn from_flags(
        url: &str,
        key: &str,
        group: &str,
        consumer: Option<&str>,
        claim_idle: Duration,
    ) -> Result<StreamConfig, String> {
        let url = Url::parse(url).map_err(|e| format!("--redis: {e}"))?;
        for (flag, v) in [("--stream", key), ("--group", group)] {
            if v.is_empty() {
                return Err(format!("{flag}: an empty name"));
            }
        }
        Ok(StreamConfig {
            url,
            key: key.to_string(),
            group: group.to_string(),
            consumer: consumer.map_or_else(default_consumer, str::to_string),
            results: None,
            results_maxlen: None,
            claim_idle,
        })
    }
}

/// A worker's name when none is given: the host's name and the process id, unique among the
/// workers of a group as long as they run.
pub fn default_consumer() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "fpx".to_string());
    format!("{host}-{}", std::process::id())
}

/// Entries read per `XREADGROUP` or `XAUTOCLAIM`: one batch of the reading thread.
pub const FETCH_COUNT: usize = 256;

/// Entries handed to the commit script per call: its arguments (id and result each) stay a
/// few MiB for alert lines of a few KiB.
const COMMIT_COUNT: usize = 256;

/// Longest a fetch blocks waiting for new entries, so that claiming comes round in time.
const MAX_BLOCK: Duration = Duration::from_secs(1);

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest wait between attempts to reconnect after Redis went away.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// For each entry still pending at this consumer: the result added to the results stream
/// (when there is one and the entry has a result) and the entry acknowledged, atomically, so
/// that a worker's death leaves either both or neither. KEYS: the EVE stream[, the results
/// stream]; ARGV: group, consumer, results MAXLEN (0: untrimmed), then id and result pairs
/// (an empty result: acknowledge only). Returns how many entries were this consumer's, and
/// how many results it added.
const COMMIT_SCRIPT: &str = r"
local mine, wrote = 0, 0
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2])
  if #p == 1 then
    if KEYS[2] and ARGV[i + 1] ~= '' then
      if ARGV[3] ~= '0' then
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'id', id, 'consumer', ARGV[2], 'result', ARGV[i + 1])
      else
        redis.call('XADD', KEYS[2], '*', 'id', id, 'consumer', ARGV[2], 'result', ARGV[i + 1])
      end
      wrote = wrote + 1
    end
    redis.call('XACK', KEYS[1], ARGV[1], id)
    mine = mine + 1
  end
end
return {mine, wrote}
";

/// Which line of the reader's input is which stream entry, in line order: filled by the
/// fetcher, emptied by the committer as entries are done. Bounded by what is in flight
/// between them (the channel, the reader, the hold window).
#[derive(Clone, Default)]
pub struct Entries(Arc<Mutex<VecDeque<(u64, String)>>>);

impl Entries {
    fn push(&self, line: u64, id: String) {
        if let Ok(mut t) = self.0.lock() {
            t.push_back((line, id));
        }
    }

    /// The entries of every line below `bound`, taken out.
    fn take_below(&self, bound: u64) -> Vec<(u64, String)> {
        let Ok(mut t) = self.0.lock() else {
            return Vec::new();
        };
        let n = t.iter().take_while(|(l, _)| *l < bound).count();
        t.drain(..n).collect()
    }
}

/// The label of the input in the report: the server and the stream, without credentials.
pub fn input_label(cfg: &StreamConfig) -> String {
    format!("{}/{}", cfg.url, cfg.key)
}

/// Starts the fetcher: the bytes it sends are the entries' EVE lines, in the order it noted
/// them in `entries`. A first connection that fails ends the input with its error; later
/// failures are retried.
pub fn spawn_fetcher(cfg: StreamConfig, entries: Entries) -> Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::sync_channel(crate::input::follow::CHUNKS_IN_FLIGHT);
    std::thread::spawn(move || {
        let mut f = match Fetcher::connect(cfg) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.send(Err(io::Error::other(e.to_string())));
                return;
            }
        };
        let mut lines = Lines {
            entries,
            tx,
            lines: 0,
        };
        f.run(&mut lines);
    });
    rx
}

/// What a [`Fetcher`] hands the entries it reads to.
pub(crate) trait Deliver {
    /// Takes a batch of entries (`client`: the fetcher's connection). Returns whether to go
    /// on reading.
    fn deliver(&mut self, client: &mut Client, got: Vec<Entry>) -> Result<bool, ClientError>;
}

/// Reads the entries meant for one consumer of a group: first its own pending ones (left by
/// an earlier run under the same name), then, every half `claim_idle`, those other consumers
/// left pending longer than that, and new ones in between.
pub(crate) struct Fetcher {
    cfg: StreamConfig,
    client: Client,
}

impl Fetcher {
    pub(crate) fn connect(cfg: StreamConfig) -> Result<Fetcher, ClientError> {
        Ok(Fetcher {
            client: open(&cfg)?,
            cfg,
        })
    }

    /// Fetches until `to` says to stop; reconnects when Redis goes away.
    pub(crate) fn run(&mut self, to: &mut dyn Deliver) {
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.fetch(to) {
                Ok(()) => return,
                Err(e) => {
                    eprintln!(
                        "fpx: {}: {}; reconnecting in {} s",
                        crate::report::escape::terminal(&input_label(&self.cfg)),
                        crate::report::escape::terminal(&e.to_string()),
                        backoff.as_secs()
                    );
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    if let Ok(c) = open(&self.cfg) {
                        self.client = c;
                        backoff = Duration::from_secs(1);
                    }
                }
            }
        }
    }

    /// Returns `Ok` when `to` is done, an error when Redis is gone.
    fn fetch(&mut self, to: &mut dyn Deliver) -> Result<(), ClientError> {
        let mut start = "0".to_string();
        loop {
            let c = &self.cfg;
            let got =
                self.client
                    .xreadgroup(&c.group, &c.consumer, &c.key, FETCH_COUNT, None, &start)?;
            let Some(last) = got.last() else { break };
            start = last.id.clone();
            if !self.hand(to, got)? {
                return Ok(());
            }
        }
        let claim_every = (self.cfg.claim_idle / 2).max(Duration::from_millis(100));
        let block = claim_every.min(MAX_BLOCK);
        let mut next_claim = Instant::now();
        loop {
            if Instant::now() >= next_claim {
                if !self.claim(to)? {
                    return Ok(());
                }
                next_claim = Instant::now() + claim_every;
            }
            let c = &self.cfg;
            let block_ms = u64::try_from(block.as_millis()).unwrap_or(u64::MAX);
            let got = self.client.xreadgroup(
                &c.group,
                &c.consumer,
                &c.key,
                FETCH_COUNT,
                Some(block_ms),
                ">",
            )?;
            if !self.hand(to, got)? {
                return Ok(());
            }
        }
    }

    /// Claims what other consumers left pending longer than `claim_idle`.
    fn claim(&mut self, to: &mut dyn Deliver) -> Result<bool, ClientError> {
        let idle_ms = u64::try_from(self.cfg.claim_idle.as_millis()).unwrap_or(u64::MAX);
        let mut cursor = "0-0".to_string();
        loop {
            let cfg = &self.cfg;
            let c = self.client.xautoclaim(
                &cfg.key,
                &cfg.group,
                &cfg.consumer,
                idle_ms,
                &cursor,
                FETCH_COUNT,
            )?;
            if !c.deleted.is_empty() {
                // Redis drops them from the pending list itself.
                say_lost(&self.cfg, c.deleted.len());
            }
            if !c.entries.is_empty() && !self.hand(to, c.entries)? {
                return Ok(false);
            }
            if c.next_start == "0-0" || c.next_start.is_empty() {
                return Ok(true);
            }
            cursor = c.next_start;
        }
    }

    /// Hands entries on, after acknowledging those trimmed away (`MAXLEN`) while they were
    /// pending: they have no fields left.
    fn hand(&mut self, to: &mut dyn Deliver, mut got: Vec<Entry>) -> Result<bool, ClientError> {
        let gone: Vec<String> = got
            .iter()
            .filter(|e| e.fields.is_empty())
            .map(|e| e.id.clone())
            .collect();
        if !gone.is_empty() {
            got.retain(|e| !e.fields.is_empty());
            let ids: Vec<&str> = gone.iter().map(String::as_str).collect();
            self.client.xack(&self.cfg.key, &self.cfg.group, &ids)?;
            say_lost(&self.cfg, gone.len());
        }
        if got.is_empty() {
            return Ok(true);
        }
        to.deliver(&mut self.client, got)
    }
}

fn say_lost(cfg: &StreamConfig, n: usize) {
    eprintln!(
        "fpx: {}: {n} pending entries were trimmed from the stream (its MAXLEN) before they \
         were explained",
        crate::report::escape::terminal(&input_label(cfg))
    );
}

/// Hands entries to the EVE reader as lines, noting which line is which entry.
struct Lines {
    entries: Entries,
    tx: SyncSender<io::Result<Vec<u8>>>,
    /// Lines sent so far (the reader numbers them from 1).
    lines: u64,
}

impl Deliver for Lines {
    fn deliver(&mut self, _: &mut Client, got: Vec<Entry>) -> Result<bool, ClientError> {
        let mut chunk = Vec::new();
        for e in got {
            self.lines += 1;
            push_line(&mut chunk, e.field(b"eve"));
            self.entries.push(self.lines, e.id);
        }
        Ok(self.tx.send(Ok(chunk)).is_ok())
    }
}

/// Appends an entry's EVE record as one line. Line ends inside it (not valid in a JSON text
/// outside strings, nor raw inside them) become spaces, so that one entry stays one line; an
/// entry without an `eve` field becomes `{}`, which the reader counts as a record without an
/// event type.
fn push_line(chunk: &mut Vec<u8>, eve: Option<&[u8]>) {
    match eve {
        Some(e) if !e.iter().all(u8::is_ascii_whitespace) => {
            chunk.extend(
                e.iter()
                    .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
            )
        }
        _ => chunk.extend_from_slice(b"{}"),
    }
    chunk.push(b'\n');
}

/// Connects and makes sure the group exists (created at the start of the stream: a new group
/// explains what the stream still holds).
pub(crate) fn open(cfg: &StreamConfig) -> Result<Client, ClientError> {
    let mut c = Client::connect(&cfg.url, CONNECT_TIMEOUT)?;
    c.xgroup_create(&cfg.key, &cfg.group, "0")?;
    Ok(c)
}

/// The report lines the explain job writes, kept for the committer.
#[derive(Clone, Default)]
pub struct Captured(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }

    /// Gives a taken buffer back, emptied, so that its memory serves the next round (it
    /// holds a round's lines, several MiB: grown again each round, it cost 9 % of a worker's
    /// time in page faults).
    fn give_back(&self, mut buf: Vec<u8>) {
        buf.clear();
        let mut b = self.0.borrow_mut();
        if b.is_empty() && buf.capacity() > b.capacity() {
            *b = buf;
        }
    }
}

/// The lines of `out`, each with its line end, found with `memchr`.
fn lines(out: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = out;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// What a worker did, for its summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// Alerts whose results this worker wrote.
    pub results: u64,
    /// Entries acknowledged.
    pub acknowledged: u64,
    /// Entries another worker had claimed by the time this one was done with them.
    pub claimed_away: u64,
}

/// Hands results over and acknowledges entries (see the module documentation).
pub struct Committer<'o> {
    cfg: StreamConfig,
    client: Client,
    entries: Entries,
    captured: Captured,
    stdout: Box<dyn Write + 'o>,
    pub committed: Committed,
}

impl<'o> Committer<'o> {
    pub fn connect(
        cfg: StreamConfig,
        entries: Entries,
        captured: Captured,
        stdout: Box<dyn Write + 'o>,
    ) -> Result<Committer<'o>, ClientError> {
        Ok(Committer {
            client: open(&cfg)?,
            cfg,
            entries,
            captured,
            stdout,
            committed: Committed::default(),
        })
    }

    /// The table the fetcher fills for this committer.
    pub fn entries(&self) -> Entries {
        self.entries.clone()
    }

    /// `released`: the lines of the alerts written since the last call, in order, their JSON
    /// lines first in what was captured (the lines after them, the clusters and summary at
    /// the end, go to stdout). Every entry of a line below `done_below` is done.
    pub fn commit(&mut self, released: &[u64], done_below: u64) -> io::Result<()> {
        let out = self.captured.take();
        let result = self.commit_lines(&out, released, done_below);
        self.captured.give_back(out);
        result
    }

    fn commit_lines(&mut self, out: &[u8], released: &[u64], done_below: u64) -> io::Result<()> {
        let mut lines = lines(out);
        let mut results: VecDeque<(u64, &[u8])> = released
            .iter()
            .copied()
            .zip(lines.by_ref())
            .map(|(l, json)| (l, json.strip_suffix(b"\n").unwrap_or(json)))
            .collect();
        let rest: Vec<&[u8]> = lines.collect();
        let done = self.entries.take_below(done_below);
        let mut batch: Vec<(&str, Vec<u8>)> = Vec::with_capacity(done.len().min(COMMIT_COUNT));
        for (line, id) in &done {
            let result = match results.front() {
                Some((l, json)) if l == line => {
                    let r = with_stream_id(json, id);
                    results.pop_front();
                    r
                }
                _ => Vec::new(),
            };
            batch.push((id, result));
            if batch.len() == COMMIT_COUNT {
                self.hand_over(&batch)?;
                batch.clear();
            }
        }
        self.hand_over(&batch)?;
        if !results.is_empty() {
            return Err(io::Error::other(format!(
                "{} results without their stream entry",
                results.len()
            )));
        }
        for l in rest {
            self.stdout.write_all(l)?;
        }
        self.stdout.flush()
    }

    /// Writes results and acknowledges their entries, one script call.
    fn hand_over(&mut self, batch: &[(&str, Vec<u8>)]) -> io::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let to_stdout = self.cfg.results.is_none();
        if to_stdout {
            for (_, r) in batch.iter().filter(|(_, r)| !r.is_empty()) {
                self.stdout.write_all(r)?;
                self.stdout.write_all(b"\n")?;
            }
            self.stdout.flush()?;
        }
        let maxlen = self.cfg.results_maxlen.unwrap_or(0).to_string();
        let mut args: Vec<&[u8]> = vec![
            self.cfg.group.as_bytes(),
            self.cfg.consumer.as_bytes(),
            maxlen.as_bytes(),
        ];
        for (id, r) in batch {
            args.push(id.as_bytes());
            args.push(if to_stdout { b"" } else { r });
        }
        let mut keys = vec![self.cfg.key.as_str()];
        keys.extend(self.cfg.results.as_deref());
        let reply = self
            .client
            .eval(COMMIT_SCRIPT, &keys, &args)
            .map_err(|e| io::Error::other(e.to_string()))?;
        let counts: Vec<u64> = reply
            .as_array()
            .unwrap_or_default()
            .iter()
            .map(|r| r.as_int().and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
            .collect();
        let (mine, wrote) = (
            counts.first().copied().unwrap_or(0),
            counts.get(1).copied().unwrap_or(0),
        );
        self.committed.acknowledged += mine;
        self.committed.claimed_away += (batch.len() as u64).saturating_sub(mine);
        self.committed.results += if to_stdout {
            batch.iter().filter(|(_, r)| !r.is_empty()).count() as u64
        } else {
            wrote
        };
        Ok(())
    }
}

/// An alert's JSON line with the stream entry it explains, first: `{"stream_id":"…",…}`.
fn with_stream_id(json: &[u8], id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + id.len() + 16);
    match json.strip_prefix(b"{") {
        Some(rest) => {
            out.extend_from_slice(b"{\"stream_id\":");
            // Redis stream ids are digits and a dash; serde_json escapes anything else.
            let _ = serde_json::to_writer(&mut out, id);
            out.push(b',');
            out.extend_from_slice(rest);
        }
        None => out.extend_from_slice(json),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_ends() {
        let v: Vec<&[u8]> = lines(b"a\nbc\n\nd").collect();
        assert_eq!(v, [&b"a\n"[..], b"bc\n", b"\n", b"d"]);
        assert_eq!(lines(b"").count(), 0);
    }

    #[test]
    fn one_entry_is_one_line() {
        let mut chunk = Vec::new();
        push_line(&mut chunk, Some(b"{\"a\":\n1}\r"));
        push_line(&mut chunk, None);
        push_line(&mut chunk, Some(b"  "));
        assert_eq!(chunk, b"{\"a\": 1} \n{}\n{}\n");
    }

    #[test]
    fn entries_are_taken_below_a_line() {
        let e = Entries::default();
        for (l, id) in [(1, "1-0"), (2, "2-0"), (3, "3-0")] {
            e.push(l, id.into());
        }
        assert_eq!(
            e.take_below(3),
            vec![(1, "1-0".to_string()), (2, "2-0".to_string())]
        );
        assert!(e.take_below(3).is_empty());
        assert_eq!(e.take_below(u64::MAX).len(), 1);
    }

    #[test]
    fn the_stream_id_comes_first() {
        assert_eq!(
            with_stream_id(b"{\"kind\":\"alert\"}", "17-0"),
            b"{\"stream_id\":\"17-0\",\"kind\":\"alert\"}"
        );
    }
}
