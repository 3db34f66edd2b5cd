//! The site as a graph: references, fragments, requires, backlinks and the
//! link check of `waymark check`.

mod common;

use common::TestSite;

const ARTICLE: &str = "content/articles/hello.md";

#[test]
fn an_article_shows_up_under_referenced_by_of_the_topic_it_links() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    let topic = site.output("roadmaps/demo/basics/first-topic/index.html");
    let section = topic
        .split("id=\"referenced-by\"")
        .nth(1)
        .expect("a Referenced by section");
    assert!(
        section.contains("<a href=\"../../../../articles/hello/\">Hello</a>"),
        "{section}"
    );
    // The topic of phase two links to it too, from a YAML summary.
    assert!(section.contains(">Third topic</a>"), "{section}");
}

#[test]
fn every_reference_form_resolves() {
    let site = TestSite::minimal();
    site.file(
        ARTICLE,
        "---\ntitle: Hello\ndate: 2025-01-02\n---\n\
         [a](@roadmap:demo) [b](@phase:basics) [c](@phase:demo/next) [d](@topic:first-topic) \
         [e](@topic:demo/third-topic) [f](@page:about) [g](@article:hello) [h](@/pages/about.md) \
         [i](@/roadmaps/demo/phases/02-next.yaml) [j](@phase:demo/basics#first-topic) \
         [k](@phase:basics#resources) [l](@roadmap:demo#next) [](@article:hello#a-section)\n\n## A section\n",
    );
    site.build().assert_ok();
    let html = site.output("articles/hello/index.html");
    for href in [
        "../../roadmaps/demo/",
        "../../roadmaps/demo/basics/",
        "../../roadmaps/demo/next/",
        "../../roadmaps/demo/basics/first-topic/",
        "../../roadmaps/demo/next/third-topic/",
        "../../about/",
        "../../articles/hello/",
        "../../roadmaps/demo/basics/#first-topic",
        "../../roadmaps/demo/basics/#resources",
        "../../roadmaps/demo/#next",
    ] {
        assert!(
            html.contains(&format!("href=\"{href}\"")),
            "no link to {href} in {html}"
        );
    }
    assert!(
        html.contains("<a href=\"../../articles/hello/#a-section\">A section</a>"),
        "{html}"
    );
    site.run(&["check"]).assert_ok();
}

#[test]
fn a_broken_reference_points_at_the_link() {
    let site = TestSite::minimal();
    site.file(
        ARTICLE,
        "---\ntitle: Hello\ndate: 2025-01-02\n---\nFirst line.\nSee [x](@topic:frist-topic).\n",
    );
    site.build()
        .assert_status(1)
        .assert_mentions("hello.md:6:9")
        .assert_mentions("points to no topic")
        .assert_mentions("did you mean `@topic:first-topic`?");
}

#[test]
fn a_broken_reference_in_a_yaml_field_points_at_its_line() {
    let site = TestSite::minimal();
    site.file(
        "content/roadmaps/demo/phases/02-next.yaml",
        "title: Next\ntopics:\n  - id: third-topic\n    title: Third\n    why: |\n      Line one.\n      Then [x](@page:nope).\n",
    );
    site.build()
        .assert_status(1)
        .assert_mentions("02-next.yaml:7:16")
        .assert_mentions("points to no page");
}

#[test]
fn an_ambiguous_short_reference_lists_the_qualified_forms() {
    let site = TestSite::minimal();
    site.file("content/roadmaps/other/roadmap.yaml", "title: Other\n")
        .file("content/roadmaps/other/phases/01-basics.yaml", "title: Other basics\n")
        .file(
            ARTICLE,
            "---\ntitle: Hello\ndate: 2025-01-02\n---\nGo to [the basics](@phase:basics).\n",
        );
    site.build()
        .assert_status(1)
        .assert_mentions("hello.md:5:20")
        .assert_mentions("is ambiguous")
        .assert_mentions("`@phase:demo/basics`")
        .assert_mentions("`@phase:other/basics`");
}

#[test]
fn a_missing_fragment_is_an_error_at_the_link() {
    let site = TestSite::minimal();
    site.file(
        ARTICLE,
        "---\ntitle: Hello\ndate: 2025-01-02\n---\n[x](@phase:demo/basics#first-topc)\n",
    );
    site.build()
        .assert_status(1)
        .assert_mentions("hello.md:5:5")
        .assert_mentions("has no section with the id `first-topc`")
        .assert_mentions("did you mean `#first-topic`?");
}

#[test]
fn references_in_code_are_not_resolved() {
    let site = TestSite::minimal();
    site.file(
        ARTICLE,
        "---\ntitle: Hello\ndate: 2025-01-02\n---\n`[x](@topic:nope)`\n\n```\n[y](@topic:nope)\n```\n",
    );
    site.build().assert_ok();
}

#[test]
fn a_requires_cycle_names_every_member() {
    let site = TestSite::minimal();
    site.file(
        "content/roadmaps/demo/phases/03-loop.yaml",
        "title: Loop\ntopics:\n  - id: x\n    title: X\n    requires: [y]\n  - id: y\n    title: Y\n    requires: [z]\n  - id: z\n    title: Z\n    requires: [x]\n",
    );
    let run = site.build();
    run.assert_status(1).assert_mentions("requirements form a cycle");
    let line = run.stderr.lines().find(|l| l.contains("cycle")).unwrap();
    for member in ["demo/x", "demo/y", "demo/z"] {
        assert!(line.contains(member), "{line}");
    }
    run.assert_mentions("03-loop.yaml:");
}

#[test]
fn a_phase_may_only_require_earlier_phases() {
    let site = TestSite::minimal();
    site.file(
        "content/roadmaps/demo/phases/01-basics.yaml",
        "title: Basics\nrequires: [next]\n",
    );
    site.build()
        .assert_status(1)
        .assert_mentions("01-basics.yaml:2:")
        .assert_mentions("may only require earlier phases");
}

#[test]
fn requires_and_required_by_are_shown_both_ways() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    let second = site.output("roadmaps/demo/basics/second-topic/index.html");
    assert!(second.contains("id=\"requires\""), "{second}");
    assert!(second.contains(">First topic</a>"));
    let first = site.output("roadmaps/demo/basics/first-topic/index.html");
    let required_by = first.split("id=\"required-by\"").nth(1).expect("Required by");
    assert!(required_by.contains(">Second topic</a>"), "{required_by}");
    let basics = site.output("roadmaps/demo/basics/index.html");
    assert!(
        basics
            .split("id=\"required-by\"")
            .nth(1)
            .unwrap()
            .contains(">Next steps</a>")
    );
}

#[test]
fn navigation_has_breadcrumbs_and_neighbours() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    let topic = site.output("roadmaps/demo/basics/second-topic/index.html");
    assert!(topic.contains("aria-label=\"Breadcrumb\""));
    assert!(topic.contains("rel=\"prev\"") && topic.contains(">First topic</a>"));
    // The next topic is in the next phase.
    assert!(
        topic.contains("rel=\"next\" href=\"../../../../roadmaps/demo/next/third-topic/\"")
            || topic.contains("href=\"../../../../roadmaps/demo/next/third-topic/\" rel=\"next\""),
        "{topic}"
    );
    let overview = site.output("roadmaps/demo/index.html");
    assert!(
        overview.contains("id=\"articles\"") && overview.contains(">Hello</a>"),
        "articles with roadmap: demo"
    );
}

#[test]
fn resources_are_deduplicated_into_the_catalog() {
    let site = TestSite::minimal();
    site.file(
        "content/roadmaps/demo/phases/02-next.yaml",
        "title: Next\ntopics:\n  - id: third-topic\n    title: Third\n    resources:\n      - title: A Book Again\n        by: Someone\n        kind: book\n      - title: Site\n        url: https://Example.org/x/\n  - id: fourth\n    title: Fourth\n    resources:\n      - title: A Book\n        by: Someone\n      - title: Same site\n        url: http://example.org/x\n        cost: paid\n",
    );
    site.build().assert_ok();
    let catalog = site.output("resources/index.html");
    assert_eq!(catalog.matches("class=\"resource\"").count(), 3, "{catalog}");
    let book = catalog
        .split("id=\"r-a-book\"")
        .nth(1)
        .unwrap()
        .split("</li>")
        .next()
        .unwrap();
    assert!(
        book.contains(">First topic</a>") && book.contains(">Fourth</a>"),
        "{book}"
    );
    assert!(
        catalog.contains("data-cost=\"paid\""),
        "a later appearance fills in the cost"
    );
}

#[test]
fn check_reports_broken_plain_links_from_markdown_and_templates() {
    let site = TestSite::minimal();
    site.file(
        ARTICLE,
        "---\ntitle: Hello\ndate: 2025-01-02\n---\n[a](/nowhere/) [b](../../about/#nope) [ok](/about/)\n",
    )
    .file(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}<a href=\"{{ root }}missing-page/\">x</a>{% endblock content %}",
    );
    let run = site.run(&["check"]);
    run.assert_status(1)
        .assert_mentions("broken link on /articles/hello/: `../../nowhere/` → /nowhere/ does not exist")
        .assert_mentions("content/articles/hello.md")
        .assert_mentions("has no element with id `nope`")
        .assert_mentions("`../missing-page/` → /missing-page/ does not exist");
    assert!(!run.stderr.contains("/about/ does not exist"));
}

#[test]
fn check_reports_each_distinct_broken_link_once() {
    let site = TestSite::minimal();
    site.file(
        ARTICLE,
        "---\ntitle: Hello\ndate: 2025-01-02\n---\n![a](../../../../a.png) ![b](../../../../b.png) [c](/gone/) [c again](/gone/)\n",
    )
    .file(
        "content/pages/about.md",
        "---\ntitle: About\n---\n[c](/gone/)\n",
    );
    let run = site.run(&["check"]);
    run.assert_status(1)
        .assert_mentions("`../../../../a.png`")
        .assert_mentions("`../../../../b.png`")
        .assert_mentions("the same broken link is on 1 more page(s)");
    assert_eq!(run.stderr.matches("/gone/ does not exist").count(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("on 2 more page"), "{}", run.stderr);
    run.assert_mentions("the site has 3 error(s)");
}

#[test]
fn requires_into_another_roadmap_names_that_roadmap() {
    let site = TestSite::minimal();
    site.file("content/roadmaps/other/roadmap.yaml", "title: Other Roadmap\n")
        .file(
            "content/roadmaps/other/phases/01-start.yaml",
            "title: Start\ntopics:\n  - id: elsewhere\n    title: Elsewhere\n",
        )
        .file(
            "content/roadmaps/demo/phases/02-next.yaml",
            "title: Next steps\nrequires: [basics]\ntopics:\n  - id: third-topic\n    title: Third topic\n    requires: [other/elsewhere, first-topic]\n",
        );
    site.build().assert_ok();
    let topic = site.output("roadmaps/demo/next/third-topic/index.html");
    assert!(topic.contains(">Elsewhere (Other Roadmap)</a>"), "{topic}");
    assert!(
        topic.contains(">First topic</a>"),
        "a topic of the same roadmap keeps its title alone"
    );
    assert!(
        site.output("roadmaps/demo/next/index.html")
            .contains(">Elsewhere (Other Roadmap)</a>")
    );
}
