//! Timestamps as written and as parsed, with the source of the year for formats that omit it.
//!
//! Civil-date arithmetic is done here (proleptic Gregorian, days since 1970-01-01) rather than
//! through a date crate: the readers need only a handful of conversions, all of them total.

use std::borrow::Cow;
use std::fmt;

/// Where the year of a timestamp came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearSource {
    /// The record states its own year (EVE, Suricata fast.log, `-y` Snort output).
    Written,
    /// `--year` on the command line.
    Flag,
    /// A date stated around the record, such as a mail `Date:` header.
    Surrounding,
    /// The modification time of the input file.
    FileModified,
    /// No year could be found; the date is not known.
    Unknown,
}

impl YearSource {
    pub fn as_str(self) -> &'static str {
        match self {
            YearSource::Written => "written",
            YearSource::Flag => "flag",
            YearSource::Surrounding => "surrounding_text",
            YearSource::FileModified => "file_mtime",
            YearSource::Unknown => "unknown",
        }
    }
}

/// A timestamp: the text as the sensor wrote it and, where it could be parsed, the instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp<'a> {
    pub raw: Cow<'a, str>,
    /// Microseconds since 1970-01-01T00:00:00Z; for records without a zone, the wall-clock
    /// time read as UTC.
    pub unix_micros: Option<i64>,
    /// The UTC offset written with the time, in seconds, when one was written.
    pub utc_offset_secs: Option<i32>,
    pub year_source: YearSource,
}

impl<'a> Timestamp<'a> {
    pub fn unparsed(raw: &'a str) -> Timestamp<'a> {
        Timestamp {
            raw: Cow::Borrowed(raw),
            unix_micros: None,
            utc_offset_secs: None,
            year_source: YearSource::Unknown,
        }
    }

    /// Why the time cannot be the record's real time, when it cannot: before 1995 (no
    /// Snort or Suricata sensor wrote alerts then; a zero or garbage time field reads as
    /// 1970) or more than a day after this run.
    pub fn implausible(&self) -> Option<&'static str> {
        /// 1995-01-01T00:00:00Z.
        const EARLIEST: i64 = 788_918_400_000_000;
        let t = self.unix_micros?;
        if t < EARLIEST {
            return Some("before 1995: not a time a sensor wrote");
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(i64::MAX, |d| d.as_micros() as i64);
        (t > now.saturating_add(86_400_000_000))
            .then_some("in the future: the sensor's clock was wrong")
    }

    /// The civil date (year, month, day) in the record's own zone, if the instant is known.
    pub fn date(&self) -> Option<(i32, u32, u32)> {
        let local = self.unix_micros? + i64::from(self.utc_offset_secs.unwrap_or(0)) * 1_000_000;
        Some(civil_from_days(local.div_euclid(86_400_000_000)))
    }

    pub fn into_owned(self) -> Timestamp<'static> {
        Timestamp {
            raw: Cow::Owned(self.raw.into_owned()),
            unix_micros: self.unix_micros,
            utc_offset_secs: self.utc_offset_secs,
            year_source: self.year_source,
        }
    }

    /// The instant as RFC 3339 in UTC (`2001-08-13T08:12:47.743103Z`).
    pub fn rfc3339(&self) -> Option<Rfc3339> {
        self.unix_micros.map(Rfc3339)
    }
}

/// Display adapter printing microseconds since the epoch as RFC 3339 UTC.
#[derive(Clone, Copy, Debug)]
pub struct Rfc3339(pub i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400_000_000);
        let rem = self.0.rem_euclid(86_400_000_000);
        let (y, m, d) = civil_from_days(days);
        let secs = rem / 1_000_000;
        let micros = rem % 1_000_000;
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

/// Whether a civil date exists.
pub fn valid_date(y: i32, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    d <= dim[(m - 1) as usize]
}

/// Microseconds since the epoch of a civil date and time, or `None` if any field is out of range.
pub fn micros_from_parts(
    y: i32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    micros: u32,
) -> Option<i64> {
    if !valid_date(y, mo, d) || h > 23 || mi > 59 || s > 60 || micros > 999_999 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(
        ((days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)) * 1_000_000)
            + i64::from(micros),
    )
}

/// Parses a fraction of a second written with 1 to 9 digits into microseconds.
pub fn fraction_to_micros(digits: &str) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: u32 = 0;
    for (i, b) in digits.bytes().enumerate() {
        if i < 6 {
            v = v * 10 + u32::from(b - b'0');
        }
    }
    for _ in digits.len()..6 {
        v *= 10;
    }
    Some(v)
}

/// Month number of an English three-letter month name (`Jan`..`Dec`, any case).
pub fn month_from_abbrev(s: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let s = s.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(s))
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-1_000_000i64, -1, 0, 1, 11_547, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(11_547), (2001, 8, 13));
    }

    #[test]
    fn formats_rfc3339() {
        let t = micros_from_parts(2001, 8, 13, 8, 12, 47, 743_103).unwrap();
        assert_eq!(Rfc3339(t).to_string(), "2001-08-13T08:12:47.743103Z");
        assert!(micros_from_parts(2001, 2, 29, 0, 0, 0, 0).is_none());
        assert!(micros_from_parts(2000, 2, 29, 0, 0, 0, 0).is_some());
    }

    #[test]
    fn fractions() {
        assert_eq!(fraction_to_micros("743103"), Some(743_103));
        assert_eq!(fraction_to_micros("5"), Some(500_000));
        assert_eq!(fraction_to_micros("123456789"), Some(123_456));
        assert_eq!(fraction_to_micros(""), None);
        assert_eq!(month_from_abbrev("Aug"), Some(8));
        assert_eq!(month_from_abbrev("sep"), Some(9));
    }

    #[test]
    fn implausible_times_are_named() {
        let at = |micros| Timestamp {
            raw: Cow::Borrowed(""),
            unix_micros: Some(micros),
            utc_offset_secs: Some(0),
            year_source: YearSource::Written,
        };
        assert!(at(0).implausible().unwrap().contains("before 1995"));
        assert_eq!(at(997_690_367_000_000).implausible(), None);
        assert!(at(i64::MAX / 2).implausible().unwrap().contains("future"));
    }
}
