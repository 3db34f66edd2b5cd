//! Progress tracking: the stable-id markup every page carries, the data the
//! script reads, and the script itself in a real browser.

mod common;

use common::TestSite;
use serde_json::{Value, json};

/// The JSON block the progress script reads, parsed.
fn progress_data(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/json" data-waymark-progress>"#)
        .expect("progress data block");
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()];
    serde_json::from_str(body).expect("progress data is JSON")
}

#[test]
fn pages_carry_stable_progress_keys_and_no_controls() {
    let site = TestSite::minimal();
    site.build().assert_ok();

    let phase = site.output("roadmaps/demo/basics/index.html");
    assert!(
        phase.contains(r#"<article class="phase" data-phase="demo/basics">"#),
        "{phase}"
    );
    assert!(phase.contains(r#"data-topic="demo/first-topic""#));
    assert!(phase.contains(r#"<li data-item="demo/first-topic/0">One thing</li>"#));
    assert!(phase.contains(r#"<li data-item="demo/first-topic/1">Another thing</li>"#));
    assert!(!phase.contains("data-progress="), "the old attribute is gone");

    let topic = site.output("roadmaps/demo/basics/first-topic/index.html");
    assert!(topic.contains(r#"<article class="topic" data-topic="demo/first-topic">"#));
    assert!(topic.contains(r#"<li data-item="demo/first-topic/0">"#));

    let overview = site.output("roadmaps/demo/index.html");
    assert!(overview.contains(r#"data-phase="demo/next""#));
    assert!(overview.contains(r#"<li data-topic="demo/third-topic"><a"#));
    // Phases in order with their topics; a topic needs its own requires
    // and its phase's (all non-optional topics of the required phase).
    assert_eq!(
        progress_data(&overview),
        json!({"demo": {
            "phases": [
                {"key": "demo/basics", "topics": ["demo/first-topic", "demo/second-topic"]},
                {"key": "demo/next", "topics": ["demo/third-topic"]},
            ],
            "requires": {
                "demo/second-topic": ["demo/first-topic"],
                "demo/third-topic": ["demo/first-topic", "demo/second-topic"],
            },
        }})
    );

    let home = site.output("index.html");
    assert!(home.contains(r#"data-roadmap="demo""#));
    assert_eq!(
        progress_data(&home)["demo"]["phases"][1]["topics"],
        json!(["demo/third-topic"])
    );
    assert!(home.contains("progress.js"));

    // The script loads where progress shows, not elsewhere.
    for page in [&phase, &topic, &overview, &home] {
        assert!(page.contains(r#"<script src="../../../progress.js" defer>"#) || page.contains("progress.js\" defer"));
    }
    assert!(!site.output("articles/hello/index.html").contains("progress.js"));

    // Without JavaScript there are no controls: the script makes them all.
    for page in [&phase, &topic, &overview, &home] {
        for control in [
            "<button",
            "<input type=\"checkbox\"",
            "status-button",
            "progress-summary",
            "type=\"file\"",
        ] {
            assert!(!page.contains(control), "{control} in the HTML");
        }
    }
}

#[test]
fn progress_and_theme_work_in_a_real_browser() {
    let Some(r) = common::browser_report("progress.mjs", &[]) else {
        return;
    };

    // Tab alone reaches every status button and checkbox of the phase page.
    assert!(r["controls"].as_u64().unwrap() > 10, "{r}");
    assert_eq!(r["reached"], r["controls"], "controls Tab cannot reach");

    // After a reload the phase page shows what the keyboard set.
    let phase = &r["phase"];
    assert_eq!(phase["states"]["machine-learning/python-fundamentals"], "done");
    assert_eq!(phase["states"]["machine-learning/math-check"], "done");
    assert_eq!(phase["states"]["machine-learning/statistical-thinking"], "doing");
    assert_eq!(
        phase["pressed"],
        json!([
            "machine-learning/python-fundamentals:done",
            "machine-learning/math-check:done",
            "machine-learning/statistical-thinking:doing"
        ])
    );
    assert_eq!(phase["ticked"], json!(["machine-learning/python-fundamentals/0"]));
    assert_eq!(phase["summary"], "2 of 3 topics done, 1 in progress");
    assert_eq!(r["topicPage"], json!({"state": "done", "ticked": 1}));

    let overview = &r["overview"];
    assert_eq!(overview["phase"], "2 of 3 topics done, 1 in progress");
    let total = overview["total"].as_str().unwrap();
    assert!(
        total.starts_with("2 of ") && total.ends_with("topics done, 1 in progress"),
        "{total}"
    );
    assert_eq!(overview["pills"].as_array().unwrap().len(), 3);
    let marked = json!([
        "machine-learning/math-check:done",
        "machine-learning/python-fundamentals:done",
        "machine-learning/statistical-thinking:doing"
    ]);
    assert_eq!(overview["diagram"], marked, "the overview's diagram shows the progress");
    assert_eq!(r["homeDiagram"], marked, "the home card's diagram shows the progress");
    let handout = &r["handout"];
    assert_eq!(handout["states"], marked, "the handout shows the progress");
    assert_eq!(handout["ticked"], json!(["machine-learning/python-fundamentals/0"]));
    assert!(handout["buttonsShown"].as_u64().unwrap() >= 3, "{handout}");
    let printed = &r["handoutPrint"];
    assert_eq!(printed["ticked"], handout["ticked"], "ticks print");
    assert_eq!(printed["buttonsShown"], 0, "status buttons do not print");
    assert_eq!(printed["boxesShown"], handout["boxesShown"], "every box prints");
    // Next up: the started prerequisite, not what still waits for it.
    let next: Vec<&str> = overview["nextUp"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(next.iter().any(|t| t.starts_with("Statistical Thinking")), "{next:?}");
    assert!(!next.iter().any(|t| t.starts_with("Linear Algebra")), "{next:?}");
    assert!(!next.iter().any(|t| t.starts_with("Python Fundamentals")), "{next:?}");
    assert!(r["home"].as_str().unwrap().starts_with("2 of "), "{}", r["home"]);

    // Export, reset, import.
    let exported = &r["exported"];
    assert_eq!(exported["format"], "waymark-progress");
    assert_eq!(exported["version"], 1);
    assert_eq!(exported["topics"]["machine-learning/math-check"], "done");
    assert_eq!(exported["items"]["machine-learning/python-fundamentals/0"], true);
    assert!(r["exportName"].as_str().unwrap().ends_with(".json"));
    assert_eq!(r["confirmed"], "confirm", "reset asks first");
    assert_eq!(r["afterReset"]["stored"]["topics"], json!({}));
    assert!(r["afterReset"]["total"].as_str().unwrap().starts_with("Not started: "));
    assert_eq!(r["afterImport"]["pills"], overview["pills"], "import restores");
    assert_eq!(r["afterImport"]["total"], overview["total"]);

    // Finishing the last prerequisite puts Linear Algebra in next up, as a link.
    let unlocked = &r["unlocked"];
    let next: Vec<&str> = unlocked["nextUp"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(next.contains(&"Linear Algebra"), "{next:?}");
    assert!(
        unlocked["nextUpLinks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h.as_str().unwrap().ends_with("mathematics/linear-algebra/")),
        "{unlocked}"
    );

    // The theme toggle switches to dark and stays after a reload.
    let theme = &r["theme"];
    assert_eq!(theme["pressedBefore"], "false");
    assert_eq!(theme["attr"], "dark");
    assert_eq!(theme["stored"], "dark");
    assert_eq!(theme["pressedAfter"], "true");
    assert_ne!(theme["before"], theme["after"], "{theme}");
    assert_eq!(theme["after"], "rgb(17, 22, 29)");
}
