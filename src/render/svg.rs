//! Small helpers for SVG drawn as text: escaping author strings, wrapping
//! titles to a width without a font engine, and compact numbers.

use std::fmt::Write;

/// Escapes text for SVG/HTML text content and double- or single-quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::markdown::escape_attr_into(text, &mut out);
    out
}

/// A coordinate with at most one decimal, so the markup stays small.
pub fn num(n: f64) -> String {
    let rounded = (n * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// The width of a text in a proportional sans-serif, estimated per
/// character (the build has no fonts): wide letters count more.
pub fn text_width(text: &str, size: f64) -> f64 {
    let ems: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.3,
            'f' | 't' | 'r' | 'I' | '(' | ')' | '-' => 0.38,
            'm' | 'w' | 'M' | 'W' | '&' | '@' | '—' => 0.86,
            c if c.is_uppercase() => 0.66,
            c if c.is_ascii_digit() => 0.56,
            _ => 0.54,
        })
        .sum();
    // Calibrated against Chromium's default sans-serif, with a margin.
    ems * size * 1.12
}

/// Splits `text` into at most `max_lines` lines no wider than `width`;
/// what does not fit ends in an ellipsis (the full text is in the label).
pub fn wrap(text: &str, width: f64, size: f64, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, size) <= width || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_owned()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    // A single word wider than the box is cut too.
    let cut = |line: &str| -> String {
        let mut out = String::new();
        for c in line.chars() {
            if text_width(&format!("{out}{c}…"), size) > width {
                break;
            }
            out.push(c);
        }
        format!("{}…", out.trim_end())
    };
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.pop().unwrap_or_default();
        lines.push(cut(&last));
    }
    lines
        .into_iter()
        .map(|line| {
            if text_width(&line, size) > width {
                cut(&line)
            } else {
                line
            }
        })
        .collect()
}

/// `<text>` with one `<tspan>` per line, the first baseline at `y`.
pub fn text_lines(out: &mut String, class: &str, x: f64, y: f64, line_height: f64, lines: &[String]) {
    let _ = write!(out, r#"<text class="{class}" x="{}" y="{}">"#, num(x), num(y));
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            let _ = write!(out, "<tspan>{}</tspan>", esc(line));
        } else {
            let _ = write!(
                out,
                r#"<tspan x="{}" dy="{}">{}</tspan>"#,
                num(x),
                num(line_height),
                esc(line)
            );
        }
    }
    out.push_str("</text>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-0.04), "0");
    }

    #[test]
    fn wrapping_keeps_words_and_width() {
        let lines = wrap("Deep Learning Libraries & Frameworks", 120.0, 13.0, 3);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| text_width(l, 13.0) <= 120.0), "{lines:?}");
        assert_eq!(lines.join(" "), "Deep Learning Libraries & Frameworks");
        let short = wrap("NumPy", 120.0, 13.0, 3);
        assert_eq!(short, ["NumPy"]);
    }

    #[test]
    fn wrapping_cuts_what_does_not_fit() {
        let lines = wrap("one two three four five six seven eight nine ten", 60.0, 13.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        let long = wrap("Supercalifragilisticexpialidocious", 60.0, 13.0, 2);
        assert_eq!(long.len(), 1);
        assert!(long[0].ends_with('…') && text_width(&long[0], 13.0) <= 60.0, "{long:?}");
    }
}
