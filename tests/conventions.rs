//! Names as people type them: `.yml` as well as `.yaml`, "did you mean"
//! for misspelt roadmaps in references, and a misspelt template override.

mod common;

use common::{MINIMAL_SITE, PHASE_ONE, PHASE_TWO, TestSite};

#[test]
fn yml_files_are_read_like_yaml_files() {
    let site = TestSite::empty();
    site.file("site.yml", MINIMAL_SITE)
        .file("content/roadmaps/web-dev/roadmap.yml", "title: Web\n")
        .file("content/roadmaps/web-dev/phases/01-basics.yml", PHASE_ONE)
        .file(
            "content/roadmaps/web-dev/phases/02-next.yaml",
            PHASE_TWO.replace("demo/", "web-dev/"),
        );
    site.build().assert_ok();
    assert!(
        site.output("roadmaps/web-dev/basics/index.html")
            .contains("First topic")
    );
    assert!(site.output("roadmaps/web-dev/index.html").contains("Web"));

    site.file("site.yaml", MINIMAL_SITE);
    site.build()
        .assert_status(1)
        .assert_mentions("both site.yaml and site.yml");
    site.remove("site.yaml");
    site.file("content/roadmaps/web-dev/roadmap.yaml", "title: Web\n");
    site.build().assert_status(1).assert_mentions("two overview files");
}

#[test]
fn a_misspelt_roadmap_in_a_reference_gets_the_right_qualified_form() {
    let site = TestSite::empty();
    site.file("site.yaml", MINIMAL_SITE)
        .file("content/roadmaps/web-dev/roadmap.yaml", "title: Web\n")
        .file(
            "content/roadmaps/web-dev/phases/01-basics.yaml",
            "title: Basics\ntopics:\n  - id: http\n    title: HTTP\n",
        )
        .file(
            "content/articles/a.md",
            "---\ntitle: A\ndate: 2025-01-01\n---\n[x](@topic:webdev/http) [y](@phase:web/basics)\n",
        );
    site.build()
        .assert_status(1)
        .assert_mentions("did you mean `@topic:web-dev/http`?")
        .assert_mentions("did you mean `@phase:web-dev/basics`?");
}

#[test]
fn a_misspelt_template_override_is_a_warning_naming_the_built_in_one() {
    let site = TestSite::minimal();
    site.file("templates/articel.html", "{% extends \"base.html\" %}");
    // A partial that an override uses is not stray.
    site.file("templates/partials/mine.html", "<p>mine</p>").file(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}{% include \"partials/mine.html\" %}{% endblock content %}",
    );
    let run = site.build();
    run.assert_ok()
        .assert_mentions("templates/articel.html")
        .assert_mentions("did you mean `article.html`?");
    assert!(!run.stderr.contains("partials/mine.html"), "{}", run.stderr);
    assert!(site.output("about/index.html").contains("<p>mine</p>"));
}

/// Every `id="…"` of a page, in order.
fn ids(html: &str) -> Vec<String> {
    html.split(" id=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

fn assert_once(ids: &[String], id: &str) {
    assert_eq!(ids.iter().filter(|i| *i == id).count(), 1, "id {id} in {ids:?}");
}

#[test]
fn the_author_owns_the_id_space_and_the_pages_sections_yield() {
    let site = TestSite::empty();
    site.file("site.yaml", MINIMAL_SITE)
        .file("content/roadmaps/web/roadmap.yaml", "title: Web\n")
        .file(
            "content/roadmaps/web/phases/01-basics.yaml",
            "title: Basics\nduration: 2 weeks\ntopics:\n  - id: resources\n    title: Finding resources\n    resources:\n      - title: MDN\n        url: https://developer.mozilla.org/\n  - id: main\n    title: Main ideas\n    exercises:\n      - Do it.\n  - id: topics\n    title: Picking topics\n",
        )
        .file("content/roadmaps/web/phases/02-timeline.yaml", "title: Timeline\ntopics:\n  - id: dates\n    title: Dates\n")
        .file(
            "content/articles/a.md",
            "---\ntitle: A\ndate: 2025-01-01\n---\n[](@phase:basics#resources) [](@phase:basics#wm-resources) [](@roadmap:web#timeline) [](@roadmap:web#wm-timeline)\n",
        );
    site.build().assert_ok();
    site.run(&["check"]).assert_ok();

    let phase = site.output("roadmaps/web/basics/index.html");
    let phase_ids = ids(&phase);
    for id in [
        "resources",
        "main",
        "topics",
        "wm-resources",
        "wm-main",
        "wm-topics",
        "exercises",
    ] {
        assert_once(&phase_ids, id);
    }
    assert!(
        phase.contains(r#"<section class="topic-card" id="resources""#),
        "{phase}"
    );
    assert!(phase.contains(r##"<a href="#wm-resources">Resources</a>"##), "{phase}");
    assert!(
        phase.contains(r##"href="#wm-main""##),
        "the skip link follows main: {phase}"
    );

    let overview = site.output("roadmaps/web/index.html");
    let overview_ids = ids(&overview);
    for id in ["timeline", "wm-timeline"] {
        assert_once(&overview_ids, id);
    }
    assert!(
        overview.contains(r#"<li class="phase-item" id="timeline""#),
        "{overview}"
    );

    let article = site.output("articles/a/index.html");
    for href in [
        "/roadmaps/web/basics/#resources\">Finding resources",
        "/roadmaps/web/basics/#wm-resources\">Resources",
    ] {
        assert!(article.contains(href), "{href} in {article}");
    }
}
