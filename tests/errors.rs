//! Bad input: every error names the file and the line, exits with status 1,
//! and all errors of a site are reported in one run.

mod common;

use common::TestSite;

const PHASE: &str = "content/roadmaps/demo/phases/01-basics.yaml";

fn fails_with(file: &str, contents: &[u8], place: &str, message: &str) {
    let site = TestSite::minimal();
    site.file(file, contents);
    let run = site.build();
    run.assert_status(1).assert_mentions(place).assert_mentions(message);
    let check = site.run(&["check"]);
    check.assert_status(1).assert_mentions(place);
}

#[test]
fn malformed_yaml() {
    fails_with(
        PHASE,
        b"title: Basics\ntopics: [\n  - id: x\n",
        "01-basics.yaml:2:9",
        "this `[` is never closed",
    );
}

#[test]
fn missing_required_key() {
    fails_with(
        PHASE,
        b"duration: 1 week\n",
        "01-basics.yaml:1:1",
        "missing required key `title`",
    );
}

#[test]
fn typo_in_a_key_suggests_the_right_one() {
    let run = {
        let site = TestSite::minimal();
        site.file(PHASE, "title: Basics\ntopics:\n  - id: a\n    tittle: A\n");
        site.build()
    };
    run.assert_status(1)
        .assert_mentions("01-basics.yaml:4:5")
        .assert_mentions("unknown key `tittle`")
        .assert_mentions("did you mean `title`?");
}

#[test]
fn typo_in_front_matter_counts_lines_from_the_file_start() {
    fails_with(
        "content/articles/hello.md",
        b"---\ntitle: Hello\ndate: 2025-01-02\ntagz: [x]\n---\nBody\n",
        "hello.md:4:1",
        "did you mean `tags`?",
    );
}

#[test]
fn wrong_type() {
    fails_with(
        PHASE,
        b"title: Basics\ntopics: just text\n",
        "01-basics.yaml:2:9",
        "wrong type",
    );
}

#[test]
fn bad_duration() {
    fails_with(
        PHASE,
        b"title: Basics\ntopics:\n  - id: a\n    title: A\n    duration: 3 fortnights\n",
        "01-basics.yaml:5:15",
        "is not a duration",
    );
}

#[test]
fn duplicate_topic_id() {
    let site = TestSite::minimal();
    site.file(
        "content/roadmaps/demo/phases/03-more.yaml",
        "title: More\ntopics:\n  - id: first-topic\n    title: Again\n",
    );
    site.build()
        .assert_status(1)
        .assert_mentions("03-more.yaml:3:9")
        .assert_mentions("duplicate topic id `first-topic`")
        .assert_mentions("01-basics.yaml:6:9");
}

#[test]
fn front_matter_that_never_closes() {
    fails_with(
        "content/articles/hello.md",
        b"---\ntitle: Hello\ndate: 2025-01-02\nBody without end\n",
        "hello.md:1:1",
        "never closed",
    );
}

#[test]
fn non_utf8_file() {
    fails_with(
        "content/articles/hello.md",
        b"---\ntitle: H\xe9llo\n---\n",
        "hello.md:2:9",
        "not valid UTF-8",
    );
}

#[test]
fn invalid_ids_and_dates() {
    let site = TestSite::minimal();
    site.file(PHASE, "title: Basics\ntopics:\n  - id: Bad_Id\n    title: A\n")
        .file("content/articles/hello.md", "---\ntitle: Hello\ndate: 3 March\n---\n");
    site.build()
        .assert_status(1)
        .assert_mentions("01-basics.yaml:3:9")
        .assert_mentions("`Bad_Id` is not a valid id")
        .assert_mentions("hello.md:3:7")
        .assert_mentions("is not a date");
}

#[test]
fn every_error_of_a_site_is_reported_in_one_run() {
    let site = TestSite::minimal();
    site.file(
        PHASE,
        "title: Basics\ntopics:\n  - id: a\n    title: A\n    duration: forever\n",
    )
    .file("content/roadmaps/demo/phases/02-next.yaml", "title: [unclosed\n")
    .file("content/roadmaps/other/roadmap.yaml", "titel: Other\n")
    .file(
        "content/roadmaps/other/phases/01-x.yaml",
        "title: X\nweekly_hours: [1]\n",
    )
    .file("content/articles/hello.md", "---\ntitle: Hello\n")
    .file("content/articles/bytes.md", b"---\ntitle: \xff\n---\n".as_slice())
    .file("content/pages/about.md", "---\ndate: 2025-01-01\n---\n");
    let run = site.build();
    run.assert_status(1)
        .assert_mentions("01-basics.yaml:5:15")
        .assert_mentions("02-next.yaml:")
        .assert_mentions("other/roadmap.yaml:1:1")
        .assert_mentions("01-x.yaml:2:")
        .assert_mentions("hello.md:1:1")
        .assert_mentions("bytes.md:2:")
        .assert_mentions("about.md:2:1")
        .assert_mentions("7 error(s)");
}

#[test]
fn errors_never_panic_on_odd_files() {
    let site = TestSite::minimal();
    site.file(PHASE, "")
        .file(
            "content/roadmaps/demo/phases/02-next.yaml",
            "- a list\n- not a mapping\n",
        )
        .file("content/articles/hello.md", "---\n---\n")
        .file("content/articles/empty.md", "")
        .file("content/roadmaps/demo/phases/x.yaml", "title: no number\n")
        .file("content/notes.yaml", "stray: file\n");
    let run = site.build();
    run.assert_status(1);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run.assert_mentions("must start with its number")
        .assert_mentions("content/notes.yaml")
        .assert_mentions("missing front matter");
}

#[test]
fn a_folder_without_site_yaml_is_wrong_usage() {
    let site = TestSite::empty();
    for command in ["build", "check", "watch", "serve"] {
        site.run(&[command, "--root", "nowhere"])
            .assert_status(2)
            .assert_mentions("no site.yaml in nowhere");
    }
}

#[test]
fn a_tab_says_to_indent_with_spaces() {
    fails_with(
        PHASE,
        b"title: Basics\nduration: 1 week\n\tsummary: x\n",
        "01-basics.yaml:3:1",
        "a tab is used for indentation",
    );
}

#[test]
fn a_bad_indentation_says_so_rather_than_to_quote() {
    for text in [
        "title: Basics\ntopics:\n  - id: a\n    title: A\n   summary: x\n",
        "title: Basics\ntopics:\n  - id: a\n    title: A\n     summary: x\n",
    ] {
        let site = TestSite::minimal();
        site.file(PHASE, text);
        let run = site.build();
        run.assert_status(1)
            .assert_mentions("01-basics.yaml:5:")
            .assert_mentions("indented differently");
        assert!(!run.stderr.contains("quotes"), "{}", run.stderr);
    }
}

#[test]
fn a_duplicate_key_points_at_the_second_one() {
    fails_with(
        PHASE,
        b"title: Basics\ntopics:\n  - id: a\n    title: A\n    id: b\n",
        "01-basics.yaml:5:5",
        "key `id` is given twice",
    );
}

#[test]
fn every_bad_value_of_one_resource_is_reported() {
    let site = TestSite::minimal();
    site.file(
        PHASE,
        "title: Basics\ntopics:\n  - id: a\n    title: A\n    resources:\n      - title: R\n        kind: youtube\n        cost: Free\n",
    );
    site.build()
        .assert_status(1)
        .assert_mentions("01-basics.yaml:7:15")
        .assert_mentions("unknown resource kind `youtube`")
        .assert_mentions("01-basics.yaml:8:15")
        .assert_mentions("did you mean `free`?");
}

#[test]
fn a_byte_order_mark_keeps_positions_right() {
    fails_with(
        PHASE,
        "\u{feff}title: Basics\ntopics:\n  - id: a\n    tittle: A\n".as_bytes(),
        "01-basics.yaml:4:5",
        "did you mean `title`?",
    );
}

#[test]
fn a_refused_topic_is_reported_once_not_again_where_it_is_named() {
    let site = TestSite::minimal();
    site.file(
        PHASE,
        "title: Basics\ntopics:\n  - id: Bad_Id\n    title: A\n  - id: b\n    title: B\n    requires: [Bad_Id, demo/Bad_Id]\n    summary: \"[x](@topic:Bad_Id)\"\n",
    );
    let run = site.build();
    run.assert_status(1).assert_mentions("`Bad_Id` is not a valid id");
    // The message and the source line it quotes; nothing else names it.
    assert_eq!(run.stderr.matches("Bad_Id").count(), 2, "{}", run.stderr);
    assert!(!run.stderr.contains("requires` names"), "{}", run.stderr);
}

#[test]
fn an_article_naming_no_roadmap_of_the_site_is_told_the_closest() {
    fails_with(
        "content/articles/hello.md",
        b"---\ntitle: Hello\ndate: 2025-01-02\nroadmap: dmeo\n---\nHi.\n",
        "hello.md:4:10",
        "did you mean `demo`?",
    );
}

#[test]
fn a_roadmap_yaml_that_fails_to_load_is_the_only_error_reported() {
    let site = TestSite::minimal();
    // The minimal site's article says `roadmap: demo`; a page links into it by path.
    site.file("content/roadmaps/demo/roadmap.yaml", "title: [\n")
        .file("content/roadmaps/demo/faq.md", "---\ntitle: FAQ\n---\nAsk.\n")
        .file(
            "content/pages/help.md",
            "---\ntitle: Help\n---\nSee [the FAQ](@/roadmaps/demo/faq.md).\n",
        );
    let run = site.build();
    run.assert_status(1).assert_mentions("roadmap.yaml:1:");
    assert!(!run.stderr.contains("unknown roadmap"), "{}", run.stderr);
    assert!(!run.stderr.contains("points to no file"), "{}", run.stderr);
    assert!(run.stderr.contains("1 error(s)"), "{}", run.stderr);
}

#[test]
fn two_sources_on_one_url_are_both_reported_at_their_place() {
    let site = TestSite::minimal();
    site.file("static/tags/news/index.html", "<!doctype html><title>mine</title>")
        .file("static/about/index.html", "<!doctype html><title>mine</title>")
        .file(
            "content/roadmaps/demo/basics.md",
            "---\ntitle: Basics, the page\n---\nText.\n",
        );
    let run = site.build();
    run.assert_status(1)
        .assert_mentions("would both be written to /tags/news/index.html")
        .assert_mentions("the other one is at content/articles/hello.md:4:7")
        .assert_mentions("would both be written to /about/index.html")
        .assert_mentions("content/pages/about.md:1:1")
        .assert_mentions("static/about/index.html")
        .assert_mentions("content/roadmaps/demo/basics.md:1:1")
        .assert_mentions("the phase is content/roadmaps/demo/phases/01-basics.yaml:1:1");
}

#[test]
fn badly_named_pages_are_all_reported_with_the_other_errors() {
    let site = TestSite::minimal();
    site.file("content/pages/tags.md", "---\ntitle: Tags\n---\nMine.\n")
        .file(
            "content/articles/Bad_Name.md",
            "---\ntitle: Bad\ndate: 2025-01-01\n---\nx\n",
        )
        .file(
            "content/articles/good.md",
            "---\ntitle: Good\ndate: 2025-01-01\nupdated: soon\n---\nx\n",
        )
        .file(
            "content/articles/later.md",
            "---\ntitle: Later\ndate: 2025-01-02\n---\n[x](@article:good)\n",
        );
    site.build()
        .assert_status(1)
        .assert_mentions("a standalone page cannot be called `tags`")
        .assert_mentions("content/pages/tags.md")
        .assert_mentions("`Bad_Name` is not a valid page name")
        .assert_mentions("content/articles/Bad_Name.md")
        .assert_mentions("good.md:4:10")
        .assert_mentions("3 error(s)");
}

#[test]
fn a_tag_without_letters_is_reported_in_every_file_that_uses_it() {
    let site = TestSite::minimal();
    site.file(
        "content/articles/one.md",
        "---\ntitle: One\ndate: 2025-01-01\ntags: ['!!', rust]\n---\nx\n",
    )
    .file(
        "content/articles/two.md",
        "---\ntitle: Two\ndate: 2025-01-02\ntags: [Rust, '!!']\n---\nx\n",
    );
    site.build()
        .assert_status(1)
        .assert_mentions("the tag `!!` has no letters or digits")
        .assert_mentions("content/articles/one.md")
        .assert_mentions("content/articles/two.md")
        .assert_mentions("2 error(s)");
}

#[test]
fn a_file_where_a_page_needs_a_folder_is_an_error() {
    let site = TestSite::minimal();
    site.file(
        "content/articles/hello.md",
        "---\ntitle: Hello\ndate: 2025-01-01\n---\nx\n",
    )
    .file("static/articles/hello", "not a folder")
    .file("static/tags", "not a folder either");
    site.build()
        .assert_status(1)
        .assert_mentions("needs /articles/hello to be a folder")
        .assert_mentions("static/articles/hello is written there as a file")
        .assert_mentions("needs /tags to be a folder")
        .assert_mentions("static/tags is written there as a file");
}
