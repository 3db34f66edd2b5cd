//! The one place that talks to the YAML parser (serde_yaml, published as
//! deprecated: keep it swappable). It turns parser errors into plain messages
//! with a line and column, and finds where a value sits in a file when a later
//! stage needs to point at it.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A YAML error: a message for people and a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub hint: Option<String>,
    pub line: usize,
    pub col: usize,
}

/// One step of a path into a YAML document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Key(&'static str),
    Index(usize),
}

/// A path to a value, like `topics[2].why`.
pub type YamlPath = Vec<Step>;

pub fn path_to_string(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Parses a whole document into `T`. An empty document is parsed as an empty
/// mapping, so that the error names the missing keys.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    serde_yaml::from_str(text).map_err(|err| convert(&err, text))
}

fn convert(err: &serde_yaml::Error, text: &str) -> YamlError {
    let (line, col) = err.location().map_or((1, 1), |loc| (loc.line(), loc.column()));
    // serde_yaml writes " at line L column C" into its messages; we report
    // the place ourselves.
    let raw = strip_locations(&err.to_string());
    if let Some(syntax) = explain_syntax(&raw, text, line, col) {
        return syntax;
    }
    let (message, hint) = explain(&raw);
    let (line, col) = match raw.split_once("duplicate field `") {
        Some((_, rest)) => second_key(text, rest.split('`').next().unwrap_or(rest), line, col).unwrap_or((line, col)),
        None => (line, col),
    };
    YamlError {
        message,
        hint,
        line,
        col,
    }
}

fn strip_locations(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find(" at line ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " at line ".len()..];
        // Skip "L column C".
        let skipped = after
            .split_once(" column ")
            .map(|(_, tail)| tail.trim_start_matches(|c: char| c.is_ascii_digit()));
        rest = skipped.unwrap_or(after);
    }
    out.push_str(rest);
    out
}

/// Syntax errors in words an author understands, at the place to fix.
fn explain_syntax(raw: &str, text: &str, line: usize, col: usize) -> Option<YamlError> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?).copied().unwrap_or("");
    let error = |message: &str, hint: &str, line: usize, col: usize| YamlError {
        message: message.to_owned(),
        hint: Some(hint.to_owned()),
        line,
        col,
    };
    if raw.contains("tab character") || (raw.contains("cannot start any token") && here.contains('\t')) {
        let tab_line = (1..=line).rev().find(|&l| {
            lines
                .get(l - 1)
                .is_some_and(|t| t.trim_start_matches(' ').starts_with('\t'))
        });
        let tab_line = tab_line.unwrap_or(line);
        let tab_col = lines
            .get(tab_line - 1)
            .and_then(|t| t.chars().position(|c| c == '\t'))
            .map_or(1, |i| i + 1);
        return Some(error(
            "a tab is used for indentation; YAML allows only spaces",
            "indent with spaces (two per level), not tabs",
            tab_line,
            tab_col,
        ));
    }
    let in_flow = raw.contains("while parsing a flow") || raw.starts_with("did not find expected ',' or");
    for (open, close) in [('[', ']'), ('{', '}')] {
        if !in_flow {
            continue;
        }
        if let Some((bracket_line, bracket_col)) = unclosed(&lines, line, open, close) {
            return Some(error(
                &format!("this `{open}` is never closed"),
                &format!(
                    "close the list with `{close}` on the same line, or write one item per line starting with `- `"
                ),
                bracket_line,
                bracket_col,
            ));
        }
    }
    let misaligned = raw.starts_with("did not find expected '-' indicator")
        || raw.starts_with("did not find expected key")
        || (raw.starts_with("mapping values are not allowed") && looks_like_misindented_key(&lines, line));
    if misaligned {
        let indent = here.chars().take_while(|c| *c == ' ').count();
        return Some(error(
            "this line is indented differently from the lines around it",
            "keys of one mapping must start in the same column, and list items under their key; indent with spaces",
            line,
            indent + 1,
        ));
    }
    let _ = col;
    None
}

/// A line that holds a `key:` but starts in another column than the key
/// on the line before it: a mistake of indentation, not of quoting.
fn looks_like_misindented_key(lines: &[&str], line: usize) -> bool {
    let key_indent = |text: &str| -> Option<usize> {
        let body = text.trim_start_matches(' ');
        let body = body.strip_prefix("- ").unwrap_or(body);
        let name_end = body.find(':')?;
        let name = &body[..name_end];
        (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .then(|| text.len() - body.len())
    };
    let Some(here) = lines.get(line.wrapping_sub(1)).and_then(|t| key_indent(t)) else {
        return false;
    };
    let previous = lines[..line - 1]
        .iter()
        .rev()
        .find(|t| !t.trim().is_empty() && !t.trim_start().starts_with('#'));
    previous
        .and_then(|t| key_indent(t))
        .is_some_and(|before| before != here)
}

/// The last bracket opened before `line` (inclusive) that is not closed.
fn unclosed(lines: &[&str], line: usize, open: char, close: char) -> Option<(usize, usize)> {
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for (l, text) in lines.iter().enumerate().take(line) {
        let mut quote: Option<char> = None;
        for (c, ch) in text.chars().enumerate() {
            match (quote, ch) {
                (Some(q), ch) if ch == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(ch),
                (None, '#') if c == 0 || text.chars().nth(c - 1).is_some_and(char::is_whitespace) => break,
                (None, ch) if ch == open => stack.push((l + 1, c + 1)),
                (None, ch) if ch == close => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    stack.pop()
}

/// Where the second `key:` of the mapping at (`line`, `col`) is.
fn second_key(text: &str, key: &str, line: usize, col: usize) -> Option<(usize, usize)> {
    let mut seen = 0;
    for (l, content) in text.lines().enumerate().skip(line.saturating_sub(1)) {
        let body = content.trim_start_matches(' ');
        let body = body.strip_prefix("- ").unwrap_or(body);
        let at = content.len() - body.len() + 1;
        let is_key = body
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'));
        if is_key && at == col {
            seen += 1;
            if seen == 2 {
                return Some((l + 1, at));
            }
        }
    }
    None
}

/// Rewrites serde's wording into the project's ("key", not "field") and adds
/// a suggestion where one helps.
fn explain(raw: &str) -> (String, Option<String>) {
    // "topics[1].resources[0]: unknown field `tittle`, expected one of `title`, `by`"
    let (place, message) = match raw.split_once(": ") {
        Some((place, rest)) if !place.contains(' ') && (place.contains('.') || place.contains('[')) => {
            (Some(place), rest)
        }
        Some((place, rest)) if !place.contains(' ') && !rest.is_empty() && is_key(place) => (Some(place), rest),
        _ => (None, raw),
    };
    let within = place.map(|p| format!(" in `{p}`")).unwrap_or_default();

    for (prefix, noun) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (unknown, expected) = rest.split_once('`').unwrap_or((rest, ""));
            let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            let hint = match crate::diag::closest(unknown, known.iter().copied()) {
                Some(best) => Some(format!("did you mean `{best}`?")),
                None if known.is_empty() => None,
                None if noun == "key" => Some(format!(
                    "known keys here: {}; free-form data goes under `extra`",
                    join_ticked(&known)
                )),
                None => Some(format!("expected one of {}", join_ticked(&known))),
            };
            return (format!("unknown {noun} `{unknown}`{within}"), hint);
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return (format!("missing required key `{key}`{within}"), None);
    }
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return (format!("key `{key}` is given twice{within}"), None);
    }
    if message.starts_with("invalid type: map, expected a string") {
        return (
            format!("expected text, found a mapping{within}"),
            Some("put the text in quotes: an unquoted `: ` starts a mapping".into()),
        );
    }
    if message.starts_with("mapping values are not allowed") {
        return (
            format!("{message}{within}"),
            Some("a `: ` inside an unquoted value starts a mapping: put the value in quotes".into()),
        );
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        return (format!("wrong type{within}: found {rest}"), None);
    }
    (format!("{message}{within}"), None)
}

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn join_ticked(items: &[&str]) -> String {
    items.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

/// Where the value at `path` starts: its 1-based line and column. `None` if
/// the document does not parse or has no such value.
///
/// serde_yaml keeps no positions in its values, but it stamps the position of
/// the current value on any error raised while deserializing it. So we walk
/// to the value and fail there on purpose. Only error paths call this.
pub fn locate(text: &str, path: &[Step]) -> Option<(usize, usize)> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    match (Locate { path }).deserialize(deserializer) {
        Err(err) if err.to_string().contains(FOUND) => err.location().map(|loc| (loc.line(), loc.column())),
        _ => None,
    }
}

const FOUND: &str = "\u{1}waymark-located\u{1}";

struct Locate<'p> {
    path: &'p [Step],
}

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.path.split_first() {
            None => deserializer.deserialize_any(Found),
            Some((step, rest)) => deserializer.deserialize_any(Walk { step, rest }),
        }
    }
}

/// Fails on whatever value it meets, so the parser stamps that value's position.
struct Found;

impl<'de> Visitor<'de> for Found {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_some<D: de::Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
}

struct Walk<'p> {
    step: &'p Step,
    rest: &'p [Step],
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping or a sequence")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if matches!(self.step, Step::Key(k) if *k == key) {
                return map.next_value_seed(Locate { path: self.rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            if matches!(self.step, Step::Index(i) if *i == index) {
                return seq.next_element_seed(Locate { path: self.rest }).map(|_| ());
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        title: String,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        id: String,
        #[serde(default)]
        why: Option<String>,
    }

    #[test]
    fn unknown_key_suggests_the_closest() {
        let err = from_str::<Doc>("tittle: x\n").unwrap_err();
        assert_eq!(err.message, "unknown key `tittle`");
        assert_eq!(err.hint.as_deref(), Some("did you mean `title`?"));
        assert_eq!((err.line, err.col), (1, 1));
    }

    #[test]
    fn nested_unknown_key_names_where() {
        let err = from_str::<Doc>("title: x\nitems:\n  - id: a\n    whyy: b\n").unwrap_err();
        assert_eq!(err.message, "unknown key `whyy` in `items[0]`");
        assert_eq!((err.line, err.col), (4, 5));
    }

    #[test]
    fn missing_key_and_empty_document() {
        let err = from_str::<Doc>("").unwrap_err();
        assert_eq!(err.message, "missing required key `title`");
        let err = from_str::<Doc>("title: x\nitems:\n  - why: b\n").unwrap_err();
        assert_eq!(err.message, "missing required key `id` in `items[0]`");
        assert_eq!(err.line, 3);
    }

    #[test]
    fn syntax_error_has_a_line() {
        let err = from_str::<Doc>("title: x\nitems: [a\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
    }

    #[test]
    fn locate_finds_values_and_block_scalars() {
        let text = "title: x\nitems:\n  - id: a\n  - id: b\n    why: |\n      text\n";
        let path = [Step::Key("items"), Step::Index(1), Step::Key("id")];
        assert_eq!(locate(text, &path), Some((4, 9)));
        let path = [Step::Key("items"), Step::Index(1), Step::Key("why")];
        assert_eq!(locate(text, &path), Some((5, 10)));
        let path = [Step::Key("items"), Step::Index(5)];
        assert_eq!(locate(text, &path), None);
        assert_eq!(path_to_string(&path), "items[5]");
    }
}
