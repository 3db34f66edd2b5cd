//! The roadmap diagram, timeline and pace planner on built sites: every
//! phase and topic is a link in the diagram, the timeline's totals agree
//! with the phase files (computed here independently from the YAML), author
//! text is escaped, and the pace planner works in a real browser.

mod common;

use std::fs;

use common::{TestSite, repo};

/// The `<svg class="CLASS …">…</svg>` elements of a page.
fn svgs<'a>(html: &'a str, class: &str) -> Vec<&'a str> {
    let open = format!("<svg class=\"{class}");
    html.match_indices(&open)
        .map(|(start, _)| {
            let end = html[start..].find("</svg>").expect("closed svg") + start + 6;
            &html[start..end]
        })
        .collect()
}

/// Weeks in a duration as authors write it ("2-3 months", "1 week"); `None` if ongoing.
fn weeks(text: &str) -> Option<(f64, f64)> {
    if text.trim() == "ongoing" {
        return None;
    }
    let (numbers, unit) = text.trim().rsplit_once(' ').unwrap();
    let per = match unit.trim_end_matches('s') {
        "day" => 1.0 / 7.0,
        "week" => 1.0,
        "month" => 365.25 / 12.0 / 7.0,
        other => panic!("unit {other}"),
    };
    let (a, b) = numbers.split_once(['-', '–']).unwrap_or((numbers, numbers));
    Some((
        a.trim().parse::<f64>().unwrap() * per,
        b.trim().parse::<f64>().unwrap() * per,
    ))
}

fn hours(value: &serde_yaml::Value) -> (f64, f64) {
    match value {
        serde_yaml::Value::Number(n) => (n.as_f64().unwrap(), n.as_f64().unwrap()),
        serde_yaml::Value::String(s) => {
            let (a, b) = s.split_once('-').unwrap_or((s, s));
            (a.trim().parse().unwrap(), b.trim().parse().unwrap())
        }
        other => panic!("weekly_hours {other:?}"),
    }
}

fn number(text: &str) -> f64 {
    text.replace(',', "").parse().unwrap()
}

#[test]
fn built_in_overviews_draw_every_phase_and_topic_and_honest_totals() {
    let site = TestSite::empty();
    site.run(&["build", "--root", repo().to_str().unwrap(), "--output", "out"])
        .assert_ok();
    let study_re = regex::Regex::new(r"Study time</dt><dd>about ([\d,]+)(?:–([\d,]+))? hours").unwrap();
    let length_re = regex::Regex::new(r"<dt>Length</dt><dd>about ([^<]+)</dd>").unwrap();
    let mut roadmaps = 0;
    for entry in fs::read_dir(repo().join("content/roadmaps")).unwrap() {
        let dir = entry.unwrap().path();
        let id = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let html = fs::read_to_string(site.path(&format!("out/roadmaps/{id}/index.html"))).unwrap();
        let diagrams = svgs(&html, "wm-diagram");
        assert_eq!(diagrams.len(), 2, "{id}: a wide and a narrow diagram");
        let mut phase_files: Vec<_> = fs::read_dir(dir.join("phases"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        phase_files.sort();
        let (mut total_min, mut total_max) = (0.0, 0.0);
        let (mut hours_min, mut hours_max) = (0.0, 0.0);
        for file in &phase_files {
            let stem = file.file_stem().unwrap().to_str().unwrap();
            let phase_id = stem.split_once('-').unwrap().1;
            let yaml: serde_yaml::Value = serde_yaml::from_str(&fs::read_to_string(file).unwrap()).unwrap();
            let href = format!("href=\"../../roadmaps/{id}/{phase_id}/\" data-phase=\"{id}/{phase_id}\"");
            for svg in &diagrams {
                assert!(svg.contains(&href), "{id}: no link to phase {phase_id}");
            }
            for topic in yaml["topics"].as_sequence().unwrap() {
                let topic_id = topic["id"].as_str().unwrap();
                let href =
                    format!("href=\"../../roadmaps/{id}/{phase_id}/{topic_id}/\" data-topic=\"{id}/{topic_id}\"");
                for svg in &diagrams {
                    assert!(svg.contains(&href), "{id}: no link to topic {topic_id}");
                }
            }
            let span = yaml["duration"].as_str().and_then(weeks);
            if let Some((a, b)) = span {
                total_min += a;
                total_max += b;
                if let Some(h) = yaml.get("weekly_hours") {
                    let (h0, h1) = hours(h);
                    hours_min += a * h0;
                    hours_max += b * h1;
                }
            }
        }
        // The timeline's study time is the phases' duration × weekly hours.
        let totals = html
            .split("<dl class=\"facts wm-totals\">")
            .nth(1)
            .expect("totals")
            .split("</dl>")
            .next()
            .unwrap();
        let study = study_re
            .captures(totals)
            .unwrap_or_else(|| panic!("{id}: no study time in {totals}"));
        assert_eq!(number(&study[1]), hours_min.round(), "{id}");
        assert_eq!(
            number(study.get(2).map_or(&study[1], |m| m.as_str())),
            hours_max.round(),
            "{id}"
        );
        // Calendar time: the header's length, and the summed weeks in whole months or years.
        let length = length_re.captures(&html).unwrap()[1].to_owned();
        assert!(
            totals.contains(&format!("<dt>Calendar time</dt><dd>about {length}</dd>")),
            "{id}: {length} vs {totals}"
        );
        let (unit, per) = if total_max >= 3.0 * 52.18 {
            ("years", 52.18)
        } else {
            ("months", 365.25 / 12.0 / 7.0)
        };
        let expected = format!("{}–{} {unit}", (total_min / per).round(), (total_max / per).round());
        assert!(length.starts_with(&expected), "{id}: {length} is not {expected}");
        // The chart draws one bar per phase with a duration and one for the whole roadmap.
        let timelines = svgs(&html, "wm-timeline");
        assert_eq!(timelines.len(), 2, "{id}");
        let finite = phase_files
            .iter()
            .filter(|f| {
                let yaml: serde_yaml::Value = serde_yaml::from_str(&fs::read_to_string(f).unwrap()).unwrap();
                yaml["duration"].as_str().and_then(weeks).is_some()
            })
            .count();
        for svg in &timelines {
            assert_eq!(svg.matches("class=\"wm-bar\"").count(), finite + 1, "{id}");
        }
        // Arrows: every `requires` in this roadmap except the previous phase
        // and the topic just above; requires on another roadmap are links instead.
        let yamls: Vec<serde_yaml::Value> = phase_files
            .iter()
            .map(|f| serde_yaml::from_str(&fs::read_to_string(f).unwrap()).unwrap())
            .collect();
        let mut expected_edges = 0;
        let mut external = 0;
        for (p, yaml) in yamls.iter().enumerate() {
            let previous_phase = p.checked_sub(1).map(|q| {
                phase_files[q]
                    .file_stem()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .split_once('-')
                    .unwrap()
                    .1
                    .to_owned()
            });
            for req in yaml["requires"].as_sequence().into_iter().flatten() {
                let req = req.as_str().unwrap();
                if req.contains('/') {
                    external += 1;
                } else if Some(req) != previous_phase.as_deref() {
                    expected_edges += 1;
                }
            }
            let topics = yaml["topics"].as_sequence().unwrap();
            for (t, topic) in topics.iter().enumerate() {
                for req in topic["requires"].as_sequence().into_iter().flatten() {
                    let req = req.as_str().unwrap();
                    let just_above = t > 0 && topics[t - 1]["id"].as_str() == Some(req);
                    if req.contains('/') {
                        external += 1;
                    } else if !just_above {
                        expected_edges += 1;
                    }
                }
            }
        }
        for svg in &diagrams {
            assert_eq!(svg.matches("class=\"wm-edge\"").count(), expected_edges, "{id}");
            assert_eq!(svg.matches("class=\"wm-node wm-ext\"").count(), external, "{id}");
        }
        roadmaps += 1;
    }
    assert_eq!(roadmaps, 3);
    let fast = fs::read_to_string(site.path("out/roadmaps/ml-fast-track/index.html")).unwrap();
    assert!(fast.contains(
        "class=\"wm-node wm-ext\" href=\"../../roadmaps/machine-learning/classical-ml/model-evaluation/\" data-topic=\"machine-learning/model-evaluation\""
    ));
    // Home cards carry the small version, a link per phase.
    let home = fs::read_to_string(site.path("out/index.html")).unwrap();
    let minis = svgs(&home, "wm-mini");
    assert_eq!(minis.len(), 3);
    assert!(
        minis[0]
            .contains("href=\"./roadmaps/machine-learning/mathematics/\" data-phase=\"machine-learning/mathematics\"")
    );
    assert!(minis[0].contains("data-topic=\"machine-learning/linear-algebra\""));
}

#[test]
fn fixture_site_gets_diagram_timeline_and_escaped_titles() {
    let site = TestSite::minimal();
    site.file(
        "content/roadmaps/demo/phases/01-basics.yaml",
        common::PHASE_ONE.replace("title: Basics", "title: \"<script>alert(1)</script> & \\\"Basics\\\"\""),
    );
    site.build().assert_ok();
    let html = site.output("roadmaps/demo/index.html");
    let diagrams = svgs(&html, "wm-diagram");
    assert_eq!(diagrams.len(), 2);
    for svg in diagrams.iter().chain(svgs(&html, "wm-timeline").iter()) {
        assert!(!svg.contains("<script>"), "unescaped title in {svg}");
    }
    assert!(
        diagrams[0].contains("<title>Phase 1: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Basics&quot;</title>")
    );
    for topic in ["basics/first-topic", "basics/second-topic", "next/third-topic"] {
        let id = topic.split('/').nth(1).unwrap();
        assert!(diagrams[1].contains(&format!(
            "href=\"../../roadmaps/demo/{topic}/\" data-topic=\"demo/{id}\""
        )));
    }
    // 2–3 weeks at 5 h/week; the second phase gives no weekly hours.
    assert!(
        html.contains(
            "<dt>Study time</dt><dd>about 10–15 hours <span class=\"wm-note\">(1 of 2 phases give weekly hours)</span>"
        ),
        "{html}"
    );
    assert!(html.contains("<dt>Calendar time</dt><dd>about 6–7 weeks</dd>"));
    assert!(html.contains("data-weeks=\"2 3\" data-hours=\"10 15\""));
    assert!(html.contains("<script src=\"../../pace.js\" defer></script>"));
    assert!(
        !site.output("index.html").contains("pace.js"),
        "pace.js loads only on overviews"
    );
    assert!(site.output("index.html").contains("&lt;script&gt;alert(1)"));
}

#[test]
fn pace_planner_recomputes_ends_in_a_real_browser() {
    let Some(report) = common::browser_report("pace.mjs", &["roadmaps/machine-learning/"]) else {
        return;
    };
    assert_eq!(report["formVisible"], true);
    let ends = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let (before, slow, fast) = (ends("before"), ends("slow"), ends("fast"));
    assert_eq!(before.len(), 9, "8 phases and the total: {before:?}");
    assert_ne!(before, slow);
    assert_ne!(slow, fast);
    // At 5 h/week the mathematics phase (2–3 months at 20–25 h) takes about 8–15 months.
    assert_eq!(report["slowTakes"], "8–15 months", "{report}");
    assert!(
        report["result"]
            .as_str()
            .unwrap()
            .starts_with("At 5 hours a week: about"),
        "{report}"
    );
    assert_eq!(report["live"], "polite");
    // The pace survives a reload, and a start date turns ends into dates.
    assert_eq!(report["reloadedHours"], "40");
    assert_eq!(ends("reloaded"), fast);
    assert!(report["dated"].as_str().unwrap().contains("2030"), "{report}");
    assert_eq!(report["stored"]["hours"], 40);
}
