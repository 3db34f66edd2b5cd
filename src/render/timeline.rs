//! A roadmap's plan in time: when each phase starts and ends, how many
//! hours it asks for, and the totals, all from the phases' `duration` and
//! `weekly_hours`. One computation feeds the overview's header, the
//! timeline (inline SVG, wide and narrow variants) and the pace planner,
//! so they always agree.

use std::fmt::Write;

use serde::Serialize;

use super::svg::{esc, num, wrap};
use crate::model::{Duration, Hours, Phase};

/// A roadmap's length as the header says it: the phases' durations summed
/// (rounded, see [`Duration::total`]), and whether a phase never ends.
pub fn length(phases: &[Phase]) -> (Option<Duration>, bool) {
    (
        Duration::total(phases.iter().filter_map(|p| p.duration)),
        phases.iter().any(|p| p.duration == Some(Duration::Ongoing)),
    )
}

/// One phase in time. Weeks count from the start of the roadmap.
#[derive(Debug, Clone, Serialize)]
pub struct PhasePlan {
    pub number: u64,
    pub title: String,
    pub duration: Option<String>,
    pub weekly_hours: Option<String>,
    /// How long it takes at the suggested pace, in weeks; `None` if ongoing or not given.
    #[serde(skip)]
    pub weeks: Option<(f64, f64)>,
    /// The same as text for pace.js: "4.348 8.696".
    pub weeks_data: Option<String>,
    /// Hours of study as text for pace.js: "87 174".
    pub hours_data: Option<String>,
    pub ongoing: bool,
    /// When it starts at the shorter and at the longer estimates.
    #[serde(skip)]
    pub start: (f64, f64),
    /// Hours of study: duration × weekly hours.
    #[serde(skip)]
    pub hours: Option<(f64, f64)>,
    /// "ends in week 3–5" at the suggested pace, for the table.
    pub ends: String,
    /// "2–3 weeks", for the table.
    pub takes: String,
}

/// The whole plan, with totals as numbers and as words.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub phases: Vec<PhasePlan>,
    /// The header's length.
    pub calendar: Option<Duration>,
    pub ongoing: bool,
    /// Summed weeks of the phases that have a finite duration.
    pub weeks: Option<(f64, f64)>,
    /// Summed hours of the phases that give both duration and weekly hours, rounded.
    pub hours: Option<(u64, u64)>,
    /// The lightest and heaviest weekly load over the phases.
    pub weekly: Option<Hours>,
    /// How many phases have an hours estimate, of how many.
    pub phases_with_hours: usize,
    pub hours_text: Option<String>,
    pub weekly_text: Option<String>,
    /// What the roadmap takes at 10 hours a week: the static pace example.
    pub part_time: Option<String>,
    /// The whole roadmap at the suggested pace, for the table.
    pub takes: Option<String>,
}

/// The learner's example pace shown without JavaScript.
pub const PART_TIME_HOURS: f64 = 10.0;

impl Plan {
    pub fn of(phases: &[Phase]) -> Plan {
        let (calendar, ongoing) = length(phases);
        let mut at = (0.0, 0.0);
        let mut plans = Vec::new();
        for phase in phases {
            let weeks = phase.duration.and_then(|d| d.weeks());
            let hours = weeks.zip(phase.weekly_hours).map(|((a, b), h)| (a * h.min, b * h.max));
            let start = at;
            if let Some((a, b)) = weeks {
                at = (at.0 + a, at.1 + b);
            }
            let ongoing = phase.duration == Some(Duration::Ongoing);
            plans.push(PhasePlan {
                number: phase.number,
                title: phase.title.clone(),
                duration: phase.duration.map(|d| d.to_string()),
                weekly_hours: phase.weekly_hours.map(|h| h.to_string()),
                weeks,
                weeks_data: weeks.map(|(a, b)| format!("{} {}", precise(a), precise(b))),
                hours_data: hours.map(|(a, b)| format!("{} {}", precise(a), precise(b))),
                ongoing,
                start,
                hours,
                ends: match weeks {
                    Some(_) => format!("after {}", span(at.0, at.1)),
                    None if ongoing => "ongoing".to_owned(),
                    None => "—".to_owned(),
                },
                takes: match weeks {
                    Some((a, b)) => span(a, b),
                    None if ongoing => "ongoing".to_owned(),
                    None => "not estimated".to_owned(),
                },
            });
        }
        let weeks = plans.iter().any(|p| p.weeks.is_some()).then_some(at);
        let with_hours: Vec<(f64, f64)> = plans.iter().filter_map(|p| p.hours).collect();
        let hours = (!with_hours.is_empty()).then(|| {
            let (a, b) = with_hours.iter().fold((0.0, 0.0), |s, h| (s.0 + h.0, s.1 + h.1));
            (a.round() as u64, b.round() as u64)
        });
        let loads: Vec<Hours> = phases.iter().filter_map(|p| p.weekly_hours).collect();
        let weekly = (!loads.is_empty()).then(|| Hours {
            min: loads.iter().map(|h| h.min).fold(f64::INFINITY, f64::min),
            max: loads.iter().map(|h| h.max).fold(0.0, f64::max),
        });
        let part_time = weeks.map(|_| {
            let (a, b) = at_pace(&plans, PART_TIME_HOURS);
            span(a, b)
        });
        Plan {
            hours_text: hours.map(|(a, b)| {
                if a == b {
                    format!("{} hours", thousands(a))
                } else {
                    format!("{}–{} hours", thousands(a), thousands(b))
                }
            }),
            weekly_text: weekly.map(|h| format!("{h} hours a week")),
            phases_with_hours: with_hours.len(),
            phases: plans,
            calendar,
            ongoing,
            takes: weeks.map(|(a, b)| span(a, b)),
            weeks,
            hours,
            weekly,
            part_time,
        }
    }

    /// The chart: wide and narrow variants, CSS shows one.
    pub fn svg(&self, title: &str) -> String {
        if self.weeks.is_none() && !self.ongoing {
            return String::new();
        }
        let label = format!(
            "Timeline of {title}: {}",
            self.calendar.map_or_else(
                || "ongoing".to_owned(),
                |d| { format!("about {d}{}", if self.ongoing { ", then ongoing" } else { "" }) }
            )
        );
        format!("{}{}", self.chart(&label, true), self.chart(&label, false))
    }

    fn chart(&self, label: &str, wide: bool) -> String {
        let (width, label_w, row_h) = if wide {
            (1000.0, 320.0, 40.0)
        } else {
            (360.0, 0.0, 60.0)
        };
        let (left, right) = (if wide { label_w + 10.0 } else { 8.0 }, width - 16.0);
        let total = self.weeks.map_or(4.0, |w| w.1.max(1.0));
        // Room after the end for open-ended phases.
        let end = if self.ongoing { total * 1.18 } else { total };
        let scale = |weeks: f64| left + (right - left) * weeks / end;
        let (unit, per, step) = axis(total, if wide { 9 } else { 5 });
        let rows = self.phases.len() + 1;
        let top = 8.0;
        let axis_y = top + rows as f64 * row_h + 4.0;
        let height = axis_y + 34.0;
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg class="wm-timeline {}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}">"#,
            if wide { "wm-wide" } else { "wm-narrow" },
            esc(label),
            w = num(width),
            h = num(height),
        );
        // Grid and axis labels.
        let mut tick = 0.0;
        while tick * per <= end + 1e-9 {
            let x = scale(tick * per);
            let _ = write!(
                out,
                r#"<path class="wm-grid" d="M{x} {}V{}"/><text class="wm-axis" x="{x}" y="{}" text-anchor="middle">{}</text>"#,
                num(top),
                num(axis_y),
                num(axis_y + 16.0),
                tick,
                x = num(x),
            );
            tick += step;
        }
        let _ = write!(
            out,
            r#"<text class="wm-axis wm-axis-unit" x="{}" y="{}" text-anchor="end">{unit} from the start</text>"#,
            num(right),
            num(axis_y + 31.0)
        );
        let bar_h = if wide { 16.0 } else { 12.0 };
        for (i, phase) in self.phases.iter().enumerate() {
            let y = top + i as f64 * row_h;
            let bar_y = if wide { y + (row_h - bar_h) / 2.0 } else { y + 38.0 };
            let title = format!("{} · {}", phase.number, phase.title);
            let meta = match (&phase.duration, &phase.weekly_hours) {
                (Some(d), Some(h)) => format!("{d} · {h} h/week"),
                (Some(d), None) => d.clone(),
                (None, Some(h)) => format!("{h} h/week"),
                (None, None) => "no duration given".to_owned(),
            };
            if wide {
                let line = wrap(&title, label_w - 10.0, 13.5, 1);
                let _ = write!(
                    out,
                    r#"<text class="wm-tl-label" x="0" y="{}">{}</text><text class="wm-tl-meta" x="0" y="{}">{}</text>"#,
                    num(y + 17.0),
                    esc(&line[0]),
                    num(y + 33.0),
                    esc(&meta)
                );
            } else {
                let line = wrap(&title, right - left, 13.0, 1);
                let _ = write!(
                    out,
                    r#"<text class="wm-tl-label" x="{x}" y="{}">{}</text><text class="wm-tl-meta" x="{x}" y="{}">{}</text>"#,
                    num(y + 14.0),
                    esc(&line[0]),
                    num(y + 30.0),
                    esc(&meta),
                    x = num(left),
                );
            }
            let (s0, s1) = phase.start;
            match phase.weeks {
                Some((a, b)) => bar(&mut out, scale(s0), scale(s0 + a), scale(s1 + b), bar_y, bar_h),
                None if phase.ongoing => {
                    let x = scale(s0);
                    let _ = write!(
                        out,
                        r#"<path class="wm-bar wm-bar-ongoing" d="M{} {}H{}M{} {}H{}"/><path class="wm-arrow-open" d="M{} {}l7 {}l-7 {}"/>"#,
                        num(x),
                        num(bar_y + 0.75),
                        num(right - 10.0),
                        num(x),
                        num(bar_y + bar_h - 0.75),
                        num(right - 10.0),
                        num(right - 7.0),
                        num(bar_y - 2.0),
                        num(bar_h / 2.0 + 2.0),
                        num(bar_h / 2.0 + 2.0),
                    );
                    let _ = write!(
                        out,
                        r#"<rect class="wm-bar-fill-ongoing" x="{}" y="{}" width="{}" height="{}"/>"#,
                        num(x),
                        num(bar_y),
                        num((right - 10.0 - x).max(0.0)),
                        num(bar_h)
                    );
                }
                None => {}
            }
        }
        // The whole roadmap.
        let y = top + self.phases.len() as f64 * row_h;
        let bar_y = if wide { y + (row_h - bar_h) / 2.0 } else { y + 38.0 };
        let total_text = match (self.calendar, self.ongoing) {
            (Some(d), true) => format!("about {d}, then ongoing"),
            (Some(d), false) => format!("about {d}"),
            (None, _) => "ongoing".to_owned(),
        };
        if wide {
            let _ = write!(
                out,
                r#"<text class="wm-tl-label wm-tl-total" x="0" y="{}">Whole roadmap</text><text class="wm-tl-meta" x="0" y="{}">{}</text>"#,
                num(y + 17.0),
                num(y + 33.0),
                esc(&total_text)
            );
        } else {
            let _ = write!(
                out,
                r#"<text class="wm-tl-label wm-tl-total" x="{x}" y="{}">Whole roadmap</text><text class="wm-tl-meta" x="{x}" y="{}">{}</text>"#,
                num(y + 14.0),
                num(y + 30.0),
                esc(&total_text),
                x = num(left),
            );
        }
        if let Some((a, b)) = self.weeks {
            bar(&mut out, scale(0.0), scale(a), scale(b), bar_y, bar_h);
        }
        out.push_str("</svg>");
        out
    }
}

/// A range bar: solid up to the shorter estimate, lighter up to the longer.
fn bar(out: &mut String, x0: f64, x_min: f64, x_max: f64, y: f64, h: f64) {
    let _ = write!(
        out,
        r#"<rect class="wm-bar-max" x="{}" y="{}" width="{}" height="{}" rx="3"/><rect class="wm-bar" x="{}" y="{}" width="{}" height="{}" rx="3"/>"#,
        num(x0),
        num(y),
        num((x_max - x0).max(2.0)),
        num(h),
        num(x0),
        num(y),
        num((x_min - x0).max(2.0)),
        num(h)
    );
}

/// The axis unit for a total length in weeks: its name, its length in
/// weeks, and a tick step (in that unit) giving at most `max_ticks` ticks.
fn axis(total_weeks: f64, max_ticks: usize) -> (&'static str, f64, f64) {
    let (unit, per) = if total_weeks <= 16.0 {
        ("weeks", 1.0)
    } else if total_weeks <= 36.0 * MONTH {
        ("months", MONTH)
    } else {
        ("years", 52.18)
    };
    let count = total_weeks / per;
    let step = [1.0, 2.0, 3.0, 4.0, 6.0, 12.0, 24.0]
        .into_iter()
        .find(|s| count / s <= max_ticks as f64)
        .unwrap_or(48.0);
    (unit, per, step)
}

/// Weeks in a month (365.25 / 12 / 7), as durations count them.
const MONTH: f64 = 4.348;

/// A span of weeks in words: weeks up to a quarter, then months, then years.
/// pace.js words spans the same way.
pub fn span(min: f64, max: f64) -> String {
    let (a, b, unit) = if max < 13.0 {
        (min.round().max(1.0), max.round().max(1.0), "week")
    } else if max < 36.0 * MONTH {
        ((min / MONTH).round().max(1.0), (max / MONTH).round().max(1.0), "month")
    } else {
        ((min / 52.18).round().max(1.0), (max / 52.18).round().max(1.0), "year")
    };
    if a == b {
        format!("{a} {unit}{}", if a == 1.0 { "" } else { "s" })
    } else {
        format!("{a}–{b} {unit}s")
    }
}

/// Weeks the phases take at `hours` a week: a phase with weekly hours
/// takes its hours ÷ the pace; one without keeps its calendar length.
pub fn at_pace(phases: &[PhasePlan], hours: f64) -> (f64, f64) {
    phases.iter().fold((0.0, 0.0), |sum, p| match (p.hours, p.weeks) {
        (Some((a, b)), _) => (sum.0 + a / hours, sum.1 + b / hours),
        (None, Some((a, b))) => (sum.0 + a, sum.1 + b),
        (None, None) => sum,
    })
}

/// A number for a data attribute: three decimals at most.
fn precise(n: f64) -> String {
    let s = format!("{n:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Id;

    fn phase(n: u64, duration: &str, hours: Option<&str>) -> Phase {
        Phase {
            id: Id::parse(&format!("p{n}")).unwrap(),
            number: n,
            title: format!("Phase <{n}>"),
            duration: Some(Duration::parse(duration).unwrap()),
            weekly_hours: hours.map(|h| Hours::parse(h).unwrap()),
            summary: None,
            requires: Vec::new(),
            topics: Vec::new(),
            milestone: None,
            assessment: None,
            projects: Vec::new(),
            extra: Default::default(),
            path: crate::model::SitePath::page(["r", "p"]),
            source: crate::diag::SourceMap::default().add(crate::diag::SourceFile::new("p.yaml".into(), String::new())),
        }
    }

    #[test]
    fn totals_add_up_the_phases() {
        let phases = [
            phase(1, "1-2 weeks", Some("20")),
            phase(2, "2-3 months", Some("20-25")),
            phase(3, "ongoing", Some("10")),
        ];
        let plan = Plan::of(&phases);
        let (w0, w1) = plan.weeks.unwrap();
        assert!((w0 - (1.0 + 2.0 * MONTH)).abs() < 1e-9 && (w1 - (2.0 + 3.0 * MONTH)).abs() < 1e-9);
        // 1×20 + 8.696×20 = 193.9; 2×20 + 13.044×25 = 366.1
        assert_eq!(plan.hours, Some((194, 366)));
        assert_eq!(plan.hours_text.as_deref(), Some("194–366 hours"));
        assert_eq!(plan.weekly_text.as_deref(), Some("10–25 hours a week"));
        assert_eq!(plan.phases_with_hours, 2);
        assert!(plan.ongoing);
        assert_eq!(plan.calendar, length(&phases).0);
        assert_eq!(plan.phases[1].start, (1.0, 2.0));
        assert_eq!(plan.phases[2].takes, "ongoing");
        // At 10 h/week: 193.9/10 .. 366.1/10 weeks.
        assert_eq!(plan.part_time.as_deref(), Some("4–8 months"));
    }

    #[test]
    fn phases_without_hours_keep_their_length_at_any_pace() {
        let phases = [phase(1, "4 weeks", Some("10")), phase(2, "2 weeks", None)];
        let plan = Plan::of(&phases);
        assert_eq!(at_pace(&plan.phases, 20.0), (2.0 + 2.0, 2.0 + 2.0));
        assert_eq!(plan.hours, Some((40, 40)));
        assert_eq!(plan.hours_text.as_deref(), Some("40 hours"));
    }

    #[test]
    fn spans_and_axes_pick_readable_units() {
        assert_eq!(span(0.4, 0.7), "1 week");
        assert_eq!(span(3.0, 5.0), "3–5 weeks");
        assert_eq!(span(20.0, 30.0), "5–7 months");
        assert_eq!(span(300.0, 580.0), "6–11 years");
        assert_eq!(axis(10.0, 9), ("weeks", 1.0, 2.0));
        assert_eq!(axis(40.0, 9).0, "months");
        assert_eq!(axis(580.0, 5), ("years", 52.18, 3.0));
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn chart_draws_a_bar_per_phase_and_escapes_titles() {
        let phases = [phase(1, "1-2 weeks", Some("20")), phase(2, "ongoing", None)];
        let svg = Plan::of(&phases).svg("A & B");
        assert!(
            svg.contains(r#"aria-label="Timeline of A &amp; B: about 1–2 weeks, then ongoing""#),
            "{svg}"
        );
        assert!(svg.contains("Phase &lt;1&gt;") && !svg.contains("<1>"));
        // Wide and narrow: a range for phase 1 and the total, an open bar for phase 2.
        assert_eq!(svg.matches(r#"class="wm-bar""#).count(), 4);
        assert_eq!(svg.matches("wm-bar-ongoing").count(), 2);
    }
}
