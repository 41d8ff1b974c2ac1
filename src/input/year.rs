//! The year of timestamps written without one (Snort fast/full alerts, syslog lines), shared by
//! every text reader: `--year`, else a date stated in the text before the record (a mail
//! `Date:` or Outlook `Sent:` header), else the file's modification year.

use crate::model::time::month_from_abbrev;
use crate::model::YearSource;

use super::ReadContext;

/// What is known about the year of timestamps written without one, in the order of trust:
/// `--year`, a date stated in the text before the alert, the file's modification year.
#[derive(Clone, Copy, Debug, Default)]
pub struct YearHints {
    pub flag: Option<i32>,
    /// Year and month of the latest date line (a mail `Date:` header) seen so far.
    pub surrounding: Option<(i32, u32)>,
    pub mtime: Option<i32>,
}

impl YearHints {
    /// The hints an input starts with: `--year` and the file's modification year.
    pub fn new(ctx: &ReadContext<'_>) -> Self {
        YearHints {
            flag: ctx.year,
            surrounding: None,
            mtime: ctx.mtime_year,
        }
    }

    /// Remembers a date stated on a line outside any record; returns whether it was one.
    pub fn observe(&mut self, line: &str) -> bool {
        match stated_date(line) {
            Some(d) => {
                self.surrounding = Some(d);
                true
            }
            None => false,
        }
    }

    /// The year for a timestamp of month `month` and where it came from.
    pub fn year_for(&self, month: u32) -> (Option<i32>, YearSource) {
        if let Some(y) = self.flag {
            return (Some(y), YearSource::Flag);
        }
        if let Some((y, m)) = self.surrounding {
            // A mail is written after the alert it quotes: a later month than the mail's
            // belongs to the year before.
            let y = if month > m { y - 1 } else { y };
            return (Some(y), YearSource::Surrounding);
        }
        if let Some(y) = self.mtime {
            return (Some(y), YearSource::FileModified);
        }
        (None, YearSource::Unknown)
    }
}

/// Earliest and latest years accepted from surrounding text; other four-digit numbers on a
/// `Date:` line are not years.
const YEAR_RANGE: std::ops::RangeInclusive<u32> = 1980..=2100;

/// Year and month stated on a mail header line (`Date: Mon, 13 Aug 2001 16:39:55 -0700`,
/// Outlook's `Sent: Monday, August 13, 2001 4:39 PM`).
pub fn stated_date(line: &str) -> Option<(i32, u32)> {
    let t = line.trim_start().trim_start_matches('>').trim_start();
    let lower_head = t.get(..5).map(str::to_ascii_lowercase)?;
    if lower_head != "date:" && lower_head != "sent:" {
        return None;
    }
    let mut month = None;
    let mut year = None;
    for w in t[5..].split(|c: char| !c.is_ascii_alphanumeric()) {
        if w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(y) = w.parse::<u32>() {
                if YEAR_RANGE.contains(&y) && year.is_none() {
                    year = Some(y as i32);
                }
            }
        } else if month.is_none() && w.len() >= 3 && w.bytes().all(|b| b.is_ascii_alphabetic()) {
            // Three letters, or the full name: `Mon` and `Monday` are not months, `Mar` is.
            if let Some(m) = month_from_abbrev(w) {
                if w.len() == 3 || is_full_month(w, m) {
                    month = Some(m);
                }
            }
        }
    }
    Some((year?, month?))
}

fn is_full_month(w: &str, m: u32) -> bool {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    NAMES
        .get(m as usize - 1)
        .is_some_and(|n| n.eq_ignore_ascii_case(w))
}
