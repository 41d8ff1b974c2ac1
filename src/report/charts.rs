//! The HTML report's charts, drawn as inline SVG from the overview's counts: alerts over time
//! by verdict, the top signatures, the top root causes and the fp_probability histogram.
//! Every label is escaped; each bar carries a `<title>` with its numbers for the hover.

use std::fmt::Write as _;

use super::escape::{html, terminal};
use super::overview::{minute, Cause, Charts, P_BINS, VERDICTS};

/// Bars shown in the top-N charts.
pub const TOP: usize = 10;

/// Colours of the verdicts, in [`VERDICTS`] order.
pub const COLOURS: [&str; 4] = ["#c0392b", "#d4a017", "#2e86c1", "#27ae60"];

const WIDTH: f64 = 720.0;

/// A label from the input: controls and bidi marks visible, then HTML-escaped.
fn text(s: &str) -> String {
    html(&terminal(s)).into_owned()
}

fn colour_of(verdict: &str) -> &'static str {
    VERDICTS
        .iter()
        .position(|v| *v == verdict)
        .map_or("#888888", |i| COLOURS[i])
}

/// Labels cut for a chart's left margin.
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn open(svg: &mut String, id: &str, label: &str, height: f64) {
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" aria-label="{}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">"#,
        html(label)
    );
}

/// A legend of the verdicts along the top.
fn legend(svg: &mut String) {
    for (i, v) in VERDICTS.iter().enumerate() {
        let x = 10.0 + i as f64 * 150.0;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="4" width="10" height="10" fill="{}"/><text x="{}" y="13" class="legend">{v}</text>"#,
            COLOURS[i],
            x + 14.0
        );
    }
}

/// Alerts per time bucket, stacked by verdict.
pub fn over_time(c: &Charts) -> String {
    let mut svg = String::new();
    let height = 220.0;
    open(
        &mut svg,
        "chart-time",
        "alerts over time by verdict",
        height,
    );
    legend(&mut svg);
    let (Some(first), Some(last)) = (c.times.keys().next(), c.times.keys().next_back()) else {
        svg.push_str(r#"<text x="10" y="60">no alert with a known time</text></svg>"#);
        return svg;
    };
    let n = (last.saturating_sub(*first).saturating_add(1)).max(1) as f64;
    let max = c
        .times
        .values()
        .map(|v| v.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (left, top, plot_w, plot_h) = (50.0, 34.0, WIDTH - 60.0, height - 70.0);
    let bar = plot_w / n;
    for (k, counts) in &c.times {
        let x = left + k.saturating_sub(*first) as f64 * bar;
        let mut y = top + plot_h;
        let total: u64 = counts.iter().sum();
        let when = minute(k.saturating_mul(c.bucket));
        for (i, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let h = *n as f64 / max * plot_h;
            y -= h;
            let _ = write!(
                svg,
                r#"<rect class="bar" x="{x:.2}" y="{y:.2}" width="{:.2}" height="{h:.2}" fill="{}"><title>{when}: {n} {} of {total}</title></rect>"#,
                // Thin bars of a long span stay visible.
                (bar - 0.5).max(2.0),
                COLOURS[i],
                VERDICTS[i]
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{0}" x2="{1}" y2="{0}" class="axis"/><text x="{left}" y="{2}" class="tick">{3}</text><text x="{1}" y="{2}" class="tick" text-anchor="end">{4}</text><text x="{5}" y="{top}" class="tick" text-anchor="end">{6}</text><text x="{5}" y="{0}" class="tick" text-anchor="end">0</text></svg>"#,
        top + plot_h,
        left + plot_w,
        top + plot_h + 16.0,
        minute(first.saturating_mul(c.bucket)),
        minute(last.saturating_add(1).saturating_mul(c.bucket)),
        left - 4.0,
        max as u64
    );
    svg
}

/// Horizontal bars: a label, and counts stacked by verdict.
fn bars(id: &str, label: &str, rows: &[(String, [u64; 4])]) -> String {
    let mut svg = String::new();
    let row_h = 22.0;
    let height = 30.0 + rows.len().max(1) as f64 * row_h;
    open(&mut svg, id, label, height);
    legend(&mut svg);
    let max = rows
        .iter()
        .map(|(_, c)| c.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (left, plot_w) = (300.0, WIDTH - 360.0);
    for (r, (name, counts)) in rows.iter().enumerate() {
        let y = 24.0 + r as f64 * row_h;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" class="label" text-anchor="end"><title>{}</title>{}</text>"#,
            left - 6.0,
            y + 14.0,
            text(name),
            text(&short(name, 44))
        );
        let mut x = left;
        let total: u64 = counts.iter().sum();
        for (i, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let w = *n as f64 / max * plot_w;
            let _ = write!(
                svg,
                r#"<rect class="bar" x="{x:.2}" y="{y:.1}" width="{w:.2}" height="{:.1}" fill="{}"><title>{}: {n} {} of {total}</title></rect>"#,
                row_h - 6.0,
                COLOURS[i],
                text(name),
                VERDICTS[i]
            );
            x += w;
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="tick">{total}</text>"#,
            x + 4.0,
            y + 14.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The signatures with the most alerts.
pub fn top_signatures(c: &Charts) -> String {
    let mut rows: Vec<(String, [u64; 4])> =
        c.signatures.iter().map(|(k, v)| (k.clone(), *v)).collect();
    rows.sort_by(|a, b| {
        b.1.iter()
            .sum::<u64>()
            .cmp(&a.1.iter().sum::<u64>())
            .then(a.0.cmp(&b.0))
    });
    rows.truncate(TOP);
    bars("chart-signatures", "top signatures by alerts", &rows)
}

/// The root causes with the most records, each in its verdict's colour.
pub fn top_clusters(causes: &[Cause]) -> String {
    let rows: Vec<(String, [u64; 4])> = causes
        .iter()
        .take(TOP)
        .enumerate()
        .map(|(i, c)| {
            let mut counts = [0; 4];
            let slot = VERDICTS.iter().position(|v| *v == c.verdict).unwrap_or(1);
            counts[slot] = c.members;
            (format!("{}. {}", i + 1, c.label), counts)
        })
        .collect();
    bars("chart-clusters", "top root causes by records", &rows)
}

/// Alerts per fp_probability bin, stacked by verdict.
pub fn p_histogram(c: &Charts) -> String {
    let mut svg = String::new();
    let height = 220.0;
    open(&mut svg, "chart-p", "histogram of fp_probability", height);
    legend(&mut svg);
    let max = c
        .p_bins
        .iter()
        .map(|v| v.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (left, top, plot_w, plot_h) = (50.0, 34.0, WIDTH - 60.0, height - 70.0);
    let bar = plot_w / P_BINS as f64;
    for (b, counts) in c.p_bins.iter().enumerate() {
        let x = left + b as f64 * bar;
        let mut y = top + plot_h;
        let lo = b as f64 / P_BINS as f64;
        let hi = (b + 1) as f64 / P_BINS as f64;
        for (i, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let h = *n as f64 / max * plot_h;
            y -= h;
            let _ = write!(
                svg,
                r#"<rect class="bar" x="{x:.2}" y="{y:.2}" width="{:.2}" height="{h:.2}" fill="{}"><title>fp_probability {lo:.2}–{hi:.2}: {n} {}</title></rect>"#,
                bar - 2.0,
                COLOURS[i],
                VERDICTS[i]
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{0}" x2="{1}" y2="{0}" class="axis"/><text x="{left}" y="{2}" class="tick">0</text><text x="{3}" y="{2}" class="tick" text-anchor="middle">0.5</text><text x="{1}" y="{2}" class="tick" text-anchor="end">1</text><text x="{4}" y="{top}" class="tick" text-anchor="end">{5}</text></svg>"#,
        top + plot_h,
        left + plot_w,
        top + plot_h + 16.0,
        left + plot_w / 2.0,
        left - 4.0,
        max as u64
    );
    svg
}

/// A verdict's colour, for the tables.
pub fn verdict_colour(verdict: &str) -> &'static str {
    colour_of(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_draw_extreme_and_empty_inputs() {
        let empty = Charts::default();
        assert!(over_time(&empty).contains("no alert with a known time"));
        assert!(p_histogram(&empty).starts_with("<svg"));
        let mut c = Charts::default();
        for t in [i64::MIN, -1, 0, i64::MAX] {
            c.add_for_tests(Some(t), "<b>x</b>\u{1b}", "true_positive", f64::NAN);
        }
        let svg = over_time(&c);
        assert!(svg.ends_with("</svg>"));
        let top = top_signatures(&c);
        assert!(top.contains("&lt;b&gt;x&lt;/b&gt;\\x1b"), "{top}");
        assert!(!top.contains('\u{1b}'));
    }
}
