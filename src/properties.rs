//! Property tests: arbitrary input never panics, and valid input comes back
//! as it went in. `cargo test` runs a bounded number of cases; set
//! `PROPTEST_CASES` (as `scripts/fuzz` does) to run many more. Inputs that
//! ever failed are kept in `proptest-regressions/` and rerun first.

use proptest::prelude::*;

use crate::markdown::{self, ParseOptions};
use crate::model::{Duration, Hours, Id, SitePath};
use crate::serve::http::site_key;
use crate::source::frontmatter;
use crate::source::raw::{RawFrontMatter, RawPhase};
use crate::source::yaml::{self, Step};

/// Text with the characters that trouble parsers: NUL, BOM, CR, tabs,
/// multi-byte letters, YAML and Markdown punctuation.
fn awkward_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            any::<char>().prop_map(String::from),
            Just("\0".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("\r\n".to_owned()),
            Just("\n".to_owned()),
            Just("\t".to_owned()),
            Just("---\n".to_owned()),
            Just("é".to_owned()),
            Just("[x](@topic:a/b#c)".to_owned()),
            Just("](".to_owned()),
            Just(": ".to_owned()),
            Just("- ".to_owned()),
            Just("```".to_owned()),
            Just("<a href=\"javascript:x\">".to_owned()),
            "[a-z]{1,6}".prop_map(|s| s),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

fn id() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}"
}

fn on_boundaries(text: &str, range: &std::ops::Range<usize>) -> bool {
    range.start <= range.end && text.is_char_boundary(range.start) && text.is_char_boundary(range.end)
}

proptest! {
    #[test]
    fn front_matter_split_never_panics_and_stays_in_bounds(text in awkward_text()) {
        if let Ok(split) = frontmatter::split(&text) {
            prop_assert!(on_boundaries(&text, &split.yaml));
            prop_assert!(on_boundaries(&text, &split.body));
            prop_assert!(split.yaml.end <= split.body.start || split.body.is_empty());
        } else if let Err(err) = frontmatter::split(&text) {
            prop_assert!(err.offset <= text.len());
        }
    }

    #[test]
    fn front_matter_round_trips(title in "[A-Za-z][A-Za-z ]{0,20}", body in awkward_text()) {
        let yaml = format!("title: \"{title}\"\n");
        let text = format!("---\n{yaml}---\n{body}");
        let split = frontmatter::split(&text).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(&text[split.yaml.clone()], yaml.as_str());
        prop_assert_eq!(&text[split.body.clone()], body.as_str());
        let parsed: RawFrontMatter = yaml::from_str(&text[split.yaml]).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(parsed.title, title);
    }

    #[test]
    fn phase_yaml_never_panics_and_errors_have_a_place(text in awkward_text()) {
        match yaml::from_str::<RawPhase>(&text) {
            Ok(_) => {}
            Err(err) => {
                prop_assert!(err.line >= 1 && err.col >= 1);
                prop_assert!(err.line <= text.lines().count() + 2, "line {} of {:?}", err.line, text);
            }
        }
        let _ = yaml::locate(&text, &[Step::Key("topics"), Step::Index(0), Step::Key("why")]);
    }

    #[test]
    fn phase_yaml_round_trips(title in "[A-Za-z][A-Za-z ]{0,20}", topic in id(), n in 1u32..12, m in 0u32..12) {
        let text = format!(
            "title: \"{title}\"\nduration: {n}-{} weeks\ntopics:\n  - id: {topic}\n    title: T\n",
            n + m
        );
        let phase: RawPhase = yaml::from_str(&text).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(phase.title, title);
        prop_assert_eq!(&phase.topics[0].id, &topic);
        prop_assert_eq!(yaml::locate(&text, &[Step::Key("topics"), Step::Index(0), Step::Key("id")]), Some((4, 9)));
    }

    #[test]
    fn durations_and_hours_never_panic(text in awkward_text()) {
        let _ = Duration::parse(&text);
        let _ = Hours::parse(&text);
        let _ = Id::parse(&text);
    }

    #[test]
    fn durations_round_trip(min in 1u32..100, extra in 0u32..100, unit in prop::sample::select(vec!["day", "days", "week", "weeks", "month", "months"]), dash in prop::sample::select(vec!["-", "–", " - "])) {
        let text = if extra == 0 { format!("{min} {unit}") } else { format!("{min}{dash}{} {unit}", min + extra) };
        let parsed = Duration::parse(&text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(Duration::parse(&parsed.to_string()), Ok(parsed));
    }

    #[test]
    fn hours_round_trip(min in 1u32..80, extra in 0u32..80) {
        let text = if extra == 0 { format!("{min}") } else { format!("{min}-{}", min + extra) };
        let parsed = Hours::parse(&text).map_err(TestCaseError::fail)?;
        let again = Hours::parse(&parsed.to_string()).map_err(TestCaseError::fail)?;
        prop_assert_eq!((again.min, again.max), (parsed.min, parsed.max));
    }

    #[test]
    fn ids_round_trip(text in id()) {
        let parsed = Id::parse(&text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn markdown_never_panics_and_positions_point_into_the_text(text in awkward_text(), allow_html in any::<bool>()) {
        let opts = ParseOptions { allow_html, ..ParseOptions::default() };
        let parsed = markdown::parse(&text, &opts);
        for link in &parsed.links {
            prop_assert!(link.range.end <= text.len() && on_boundaries(&text, &link.range), "{:?} in {:?}", link, text);
        }
        for problem in parsed.warnings.iter().chain(&parsed.errors) {
            prop_assert!(problem.range.end <= text.len() && on_boundaries(&text, &problem.range));
        }
        let targets = parsed
            .links
            .iter()
            .map(|_| markdown::LinkTarget { href: "x/".into(), title: "X".into() })
            .collect();
        let html = parsed.resolve(targets).html_for("./");
        if !allow_html {
            let lower = html.to_ascii_lowercase();
            prop_assert!(!lower.contains("<a href=\"javascript:") && !lower.contains("<script"), "{}", html);
        }
    }

    #[test]
    fn request_paths_never_leave_the_site(path in awkward_text()) {
        let path = format!("/{path}");
        if let Some(key) = site_key(&path) {
            prop_assert!(!key.split('/').any(|s| s == ".." || s == "."));
            prop_assert!(!key.contains('\\') && !key.contains('\0') && !key.starts_with('/'));
        }
    }

    #[test]
    fn page_paths_are_folders_with_an_index(segments in proptest::collection::vec(id(), 0..5)) {
        let path = SitePath::page(&segments);
        let file = path.output_file();
        prop_assert!(file.ends_with("index.html"));
        prop_assert_eq!(file.components().count(), segments.len() + 1);
        prop_assert_eq!(path.root_prefix().matches("../").count(), segments.len());
    }
}
