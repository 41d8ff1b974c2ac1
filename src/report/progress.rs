//! Progress on stderr while a long input is read: a spinner with the records and alerts so
//! far, drawn only on a terminal (and not with `--quiet`), and only once reading has taken
//! longer than [`SHOW_AFTER`], so that short runs print nothing. Warnings written meanwhile
//! go through [`Warnings`], which lifts the spinner off the line to print each of them whole.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Runs shorter than this show no progress at all.
pub const SHOW_AFTER: Duration = Duration::from_millis(500);

/// Records between two looks at the clock (a look costs far less than a record).
const EVERY: u64 = 256;

type Slot = Rc<RefCell<Option<ProgressBar>>>;

/// Counts records and draws the spinner.
pub struct Ticker {
    enabled: bool,
    start: Instant,
    slot: Slot,
}

impl Ticker {
    pub fn tick(&self, records: u64, alerts: u64) {
        if !self.enabled || records % EVERY != 0 || self.start.elapsed() < SHOW_AFTER {
            return;
        }
        let mut slot = self.slot.borrow_mut();
        let bar = slot.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b
        });
        bar.set_message(format!("reading: {records} records, {alerts} alerts"));
        bar.tick();
    }

    /// Removes the spinner (the report follows, or the run ends).
    pub fn finish(&self) {
        if let Some(b) = self.slot.borrow_mut().take() {
            b.finish_and_clear();
        }
    }
}

/// The warnings' writer: whole lines, printed with the spinner lifted off.
pub struct Warnings<'w> {
    inner: &'w mut dyn Write,
    slot: Slot,
    line: Vec<u8>,
}

impl Write for Warnings<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        if let Some(i) = self.line.iter().rposition(|&b| b == b'\n') {
            let done: Vec<u8> = self.line.drain(..=i).collect();
            let inner = &mut self.inner;
            match self.slot.borrow().as_ref() {
                Some(bar) => bar.suspend(|| inner.write_all(&done))?,
                None => inner.write_all(&done)?,
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            let rest = std::mem::take(&mut self.line);
            self.inner.write_all(&rest)?;
        }
        self.inner.flush()
    }
}

impl Drop for Warnings<'_> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// A ticker and the warnings' writer over `warn`, sharing the spinner.
pub fn progress(warn: &mut dyn Write, enabled: bool) -> (Ticker, Warnings<'_>) {
    let slot: Slot = Rc::new(RefCell::new(None));
    (
        Ticker {
            enabled,
            start: Instant::now(),
            slot: slot.clone(),
        },
        Warnings {
            inner: warn,
            slot,
            line: Vec::new(),
        },
    )
}
