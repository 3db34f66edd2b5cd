//! Typed field values: identifiers, durations, weekly hours, dates, and the
//! closed sets of resource kinds and costs. Each parses from the text an
//! author writes and says plainly what was expected when it cannot.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An identifier: a roadmap, phase, topic, article or page name, as it
/// appears in URLs and references. Matches `^[a-z0-9]+(-[a-z0-9]+)*$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    pub fn parse(text: &str) -> Result<Id, String> {
        let valid = !text.is_empty()
            && text
                .split('-')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if valid {
            Ok(Id(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a valid id: use lowercase letters, digits and single hyphens, like `{}`",
                suggest_id(text)
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn suggest_id(text: &str) -> String {
    let slug = crate::markdown::slugify(text);
    let slug: String = slug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() { "my-topic".into() } else { slug }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Days,
    Weeks,
    Months,
}

impl TimeUnit {
    fn name(self, plural: bool) -> &'static str {
        match (self, plural) {
            (TimeUnit::Days, false) => "day",
            (TimeUnit::Days, true) => "days",
            (TimeUnit::Weeks, false) => "week",
            (TimeUnit::Weeks, true) => "weeks",
            (TimeUnit::Months, false) => "month",
            (TimeUnit::Months, true) => "months",
        }
    }

    fn in_weeks(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0 / 7.0,
            TimeUnit::Weeks => 1.0,
            // 365.25 / 12 / 7
            TimeUnit::Months => 4.348,
        }
    }
}

/// How long a phase or topic takes: "2-3 months", "1 week", or "ongoing".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duration {
    Range {
        min: u32,
        max: u32,
        unit: TimeUnit,
    },
    Ongoing,
    /// Only for totals of long roadmaps; authors write days, weeks or months.
    Years {
        min: u32,
        max: u32,
    },
}

impl Duration {
    pub fn parse(text: &str) -> Result<Duration, String> {
        let trimmed = text.trim();
        let expected = || {
            format!(
                "`{trimmed}` is not a duration: write \"N unit\" or \"N-M unit\" (unit: days, weeks or months), e.g. \"3-4 weeks\", or \"ongoing\""
            )
        };
        if trimmed.eq_ignore_ascii_case("ongoing") {
            return Ok(Duration::Ongoing);
        }
        let (numbers, unit) = trimmed.rsplit_once(char::is_whitespace).ok_or_else(expected)?;
        let unit = match unit.to_ascii_lowercase().as_str() {
            "day" | "days" => TimeUnit::Days,
            "week" | "weeks" => TimeUnit::Weeks,
            "month" | "months" => TimeUnit::Months,
            _ => return Err(expected()),
        };
        let (min, max) = parse_range(numbers.trim()).ok_or_else(expected)?;
        let (min, max) = (as_count(min).ok_or_else(expected)?, as_count(max).ok_or_else(expected)?);
        if min == 0 || min > max {
            return Err(format!(
                "`{trimmed}` is not a duration: the range must go from a smaller to a larger number, at least 1"
            ));
        }
        Ok(Duration::Range { min, max, unit })
    }

    /// The range in weeks, for summing a roadmap's length; `None` if ongoing.
    pub fn weeks(&self) -> Option<(f64, f64)> {
        match *self {
            Duration::Range { min, max, unit } => {
                Some((f64::from(min) * unit.in_weeks(), f64::from(max) * unit.in_weeks()))
            }
            Duration::Ongoing => None,
            Duration::Years { min, max } => Some((f64::from(min) * 52.18, f64::from(max) * 52.18)),
        }
    }

    /// A total of several durations, rounded to whole weeks or months.
    pub fn total(parts: impl IntoIterator<Item = Duration>) -> Option<Duration> {
        let (mut min, mut max, mut any) = (0.0, 0.0, false);
        for part in parts {
            if let Some((a, b)) = part.weeks() {
                min += a;
                max += b;
                any = true;
            }
        }
        if !any {
            return None;
        }
        // Long totals read better in years; input units stop at months.
        let per_year = 52.18;
        if max >= 3.0 * per_year {
            let min = ((min / per_year).round() as u32).max(1);
            let max = ((max / per_year).round() as u32).max(min);
            return Some(Duration::Years { min, max });
        }
        let (unit, per) = if max >= 13.0 {
            (TimeUnit::Months, TimeUnit::Months.in_weeks())
        } else {
            (TimeUnit::Weeks, 1.0)
        };
        let min = ((min / per).round() as u32).max(1);
        let max = ((max / per).round() as u32).max(min);
        Some(Duration::Range { min, max, unit })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Duration::Ongoing => f.write_str("ongoing"),
            Duration::Range { min, max, unit } if min == max => {
                write!(f, "{min} {}", unit.name(min != 1))
            }
            Duration::Range { min, max, unit } => write!(f, "{min}–{max} {}", unit.name(true)),
            Duration::Years { min, max } if min == max => {
                write!(f, "{min} year{}", if min == 1 { "" } else { "s" })
            }
            Duration::Years { min, max } => write!(f, "{min}–{max} years"),
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("text", &self.to_string())?;
        match *self {
            Duration::Range { min, max, unit } => {
                map.serialize_entry("min", &min)?;
                map.serialize_entry("max", &max)?;
                map.serialize_entry("unit", &unit)?;
                map.serialize_entry("ongoing", &false)?;
            }
            Duration::Ongoing => map.serialize_entry("ongoing", &true)?,
            Duration::Years { min, max } => {
                map.serialize_entry("min", &min)?;
                map.serialize_entry("max", &max)?;
                map.serialize_entry("unit", "years")?;
                map.serialize_entry("ongoing", &false)?;
            }
        }
        map.end()
    }
}

fn parse_range(text: &str) -> Option<(f64, f64)> {
    let parse = |s: &str| s.trim().parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0);
    match text.split_once(['-', '–', '—']) {
        Some((a, b)) => Some((parse(a)?, parse(b)?)),
        None => {
            let n = parse(text)?;
            Some((n, n))
        }
    }
}

fn as_count(n: f64) -> Option<u32> {
    (n.fract() == 0.0 && n <= f64::from(u32::MAX)).then_some(n as u32)
}

/// Hours a week: a number or a range, "20-30".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hours {
    pub min: f64,
    pub max: f64,
}

impl Hours {
    pub fn parse(text: &str) -> Result<Hours, String> {
        let trimmed = text.trim();
        let bare = trimmed
            .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '/' || c.is_whitespace())
            .trim();
        match parse_range(bare) {
            Some((min, max)) if min <= max && max <= 168.0 && max > 0.0 => Ok(Hours { min, max }),
            _ => Err(format!(
                "`{trimmed}` is not a number of hours a week: write a number like 25, or a range like \"20-30\" (at most 168)"
            )),
        }
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}–{}", self.min, self.max)
        }
    }
}

impl Serialize for Hours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("text", &self.to_string())?;
        map.serialize_entry("min", &self.min)?;
        map.serialize_entry("max", &self.max)?;
        map.end()
    }
}

/// A date as authors write it (`2025-03-03`), or a full RFC 3339 date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(time::OffsetDateTime);

impl Date {
    pub fn parse(text: &str) -> Result<Date, String> {
        use time::format_description::well_known::Rfc3339;
        let trimmed = text.trim();
        let day = time::macros::format_description!("[year]-[month]-[day]");
        if let Ok(date) = time::Date::parse(trimmed, &day) {
            return Ok(Date(date.midnight().assume_utc()));
        }
        time::OffsetDateTime::parse(trimmed, &Rfc3339)
            .map(Date)
            .map_err(|_| {
                format!(
                    "`{trimmed}` is not a date: write YYYY-MM-DD (like 2025-03-03) or an RFC 3339 date-time (like 2025-03-03T09:00:00Z)"
                )
            })
    }

    /// Feeds the instant and its offset to `hasher`. Not `Hash`: equal
    /// dates (the same instant) with other offsets print differently.
    pub fn feed(&self, hasher: &mut impl std::hash::Hasher) {
        hasher.write_i128(self.0.unix_timestamp_nanos());
        hasher.write_i32(self.0.offset().whole_seconds());
    }

    /// `2025-03-03`.
    pub fn iso_date(&self) -> String {
        let d = self.0.date();
        format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
    }

    /// RFC 3339, for feeds and sitemaps.
    pub fn rfc3339(&self) -> String {
        use time::format_description::well_known::Rfc3339;
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| format!("{}T00:00:00Z", self.iso_date()))
    }

    /// `3 March 2025`, for people.
    pub fn human(&self) -> String {
        let d = self.0.date();
        format!("{} {} {}", d.day(), d.month(), d.year())
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        // A binary serializer is a fingerprint: the instant says it all,
        // without formatting three strings.
        if !s.is_human_readable() {
            return (self.0.unix_timestamp_nanos(), self.0.offset().whole_seconds()).serialize(s);
        }
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("iso", &self.iso_date())?;
        map.serialize_entry("rfc3339", &self.rfc3339())?;
        map.serialize_entry("human", &self.human())?;
        map.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    #[default]
    Article,
    Book,
    Course,
    Video,
    Docs,
    Paper,
    Tool,
    Interactive,
    Community,
    Practice,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 10] = [
        ResourceKind::Course,
        ResourceKind::Book,
        ResourceKind::Video,
        ResourceKind::Article,
        ResourceKind::Docs,
        ResourceKind::Paper,
        ResourceKind::Tool,
        ResourceKind::Interactive,
        ResourceKind::Community,
        ResourceKind::Practice,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ResourceKind::Article => "article",
            ResourceKind::Book => "book",
            ResourceKind::Course => "course",
            ResourceKind::Video => "video",
            ResourceKind::Docs => "docs",
            ResourceKind::Paper => "paper",
            ResourceKind::Tool => "tool",
            ResourceKind::Interactive => "interactive",
            ResourceKind::Community => "community",
            ResourceKind::Practice => "practice",
        }
    }

    /// The plural heading used in the resource catalog.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Article => "Articles",
            ResourceKind::Book => "Books",
            ResourceKind::Course => "Courses",
            ResourceKind::Video => "Videos",
            ResourceKind::Docs => "Documentation",
            ResourceKind::Paper => "Papers",
            ResourceKind::Tool => "Tools",
            ResourceKind::Interactive => "Interactive",
            ResourceKind::Community => "Communities",
            ResourceKind::Practice => "Practice",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cost {
    Free,
    FreeAudit,
    Freemium,
    Paid,
}

impl Cost {
    pub const ALL: [Cost; 4] = [Cost::Free, Cost::FreeAudit, Cost::Freemium, Cost::Paid];

    pub fn key(self) -> &'static str {
        match self {
            Cost::Free => "free",
            Cost::FreeAudit => "free-audit",
            Cost::Freemium => "freemium",
            Cost::Paid => "paid",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Cost::Free => "Free",
            Cost::FreeAudit => "Free to audit",
            Cost::Freemium => "Freemium",
            Cost::Paid => "Paid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(Id::parse("linear-algebra").is_ok());
        assert!(Id::parse("cs231n").is_ok());
        for bad in ["", "Linear", "a--b", "-a", "a-", "a_b", "é"] {
            assert!(Id::parse(bad).is_err(), "{bad}");
        }
        assert!(Id::parse("Linear Algebra").unwrap_err().contains("`linear-algebra`"));
    }

    #[test]
    fn durations() {
        let d = Duration::parse("2–3 months").unwrap();
        assert_eq!(
            d,
            Duration::Range {
                min: 2,
                max: 3,
                unit: TimeUnit::Months
            }
        );
        assert_eq!(d.to_string(), "2–3 months");
        assert_eq!(Duration::parse("1 week").unwrap().to_string(), "1 week");
        assert_eq!(Duration::parse("3-4 Weeks").unwrap().to_string(), "3–4 weeks");
        assert_eq!(Duration::parse("ongoing").unwrap(), Duration::Ongoing);
        for bad in [
            "3 fortnights",
            "weeks",
            "4-2 weeks",
            "0 days",
            "1.5 weeks",
            "two weeks",
            "",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn duration_totals() {
        let parts = ["1-2 weeks", "2-3 months", "4-6 weeks"].map(|s| Duration::parse(s).unwrap());
        assert_eq!(Duration::total(parts).unwrap().to_string(), "3–5 months");
        assert_eq!(Duration::total([Duration::Ongoing]), None);
        let career = ["12-24 months", "24-48 months", "36-60 months"].map(|s| Duration::parse(s).unwrap());
        assert_eq!(Duration::total(career).unwrap().to_string(), "6–11 years");
    }

    #[test]
    fn hours() {
        assert_eq!(Hours::parse("20-30").unwrap(), Hours { min: 20.0, max: 30.0 });
        assert_eq!(Hours::parse("25").unwrap().to_string(), "25");
        assert_eq!(Hours::parse("20 hrs/week").unwrap().to_string(), "20");
        assert!(Hours::parse("lots").is_err());
        assert!(Hours::parse("200").is_err());
    }

    #[test]
    fn dates() {
        let d = Date::parse("2025-03-03").unwrap();
        assert_eq!(d.iso_date(), "2025-03-03");
        assert_eq!(d.rfc3339(), "2025-03-03T00:00:00Z");
        assert_eq!(d.human(), "3 March 2025");
        assert!(Date::parse("2025-03-03T10:00:00+02:00").is_ok());
        assert!(Date::parse("2025-13-01").is_err());
        assert!(Date::parse("March 3").is_err());
    }
}
