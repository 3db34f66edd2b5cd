//! `waymark build`, `check` and `init` end to end, on fixture sites and on
//! the built-in site.

mod common;

use common::{TestSite, links, repo, snapshot};

#[test]
fn builtin_site_has_every_url_of_the_contract() {
    let out = tempfile::tempdir().unwrap();
    let site = TestSite::empty();
    let output = out.path().join("public");
    site.run(&[
        "build",
        "--root",
        repo().to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ])
    .assert_ok();
    let exists = |p: &str| output.join(p).exists();
    for fixed in [
        "index.html",
        "404.html",
        "sitemap.xml",
        "atom.xml",
        "robots.txt",
        "articles/index.html",
        "tags/index.html",
        "resources/index.html",
        "about/index.html",
        "style.css",
        "highlight.css",
    ] {
        assert!(exists(fixed), "missing {fixed}");
    }
    let home = std::fs::read_to_string(output.join("index.html")).unwrap();
    let home_links = links(&home);
    for roadmap in ["machine-learning", "ml-fast-track", "ml-career"] {
        let overview = format!("roadmaps/{roadmap}/");
        assert!(exists(&format!("{overview}index.html")), "{roadmap} overview");
        assert!(exists(&format!("{overview}roadmap.json")), "{roadmap} json");
        assert!(
            home_links.iter().any(|l| l.ends_with(&overview)),
            "home links to {roadmap}"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(output.join(format!("{overview}roadmap.json"))).unwrap()).unwrap();
        let phases = json["phases"].as_array().unwrap();
        for (i, phase) in phases.iter().enumerate() {
            let id = phase["id"].as_str().unwrap();
            let html = std::fs::read_to_string(output.join(format!("{overview}{id}/index.html"))).unwrap();
            let page_links = links(&html);
            for topic in phase["topics"].as_array().unwrap() {
                let tid = topic["id"].as_str().unwrap();
                assert!(exists(&format!("{overview}{id}/{tid}/index.html")), "topic page {tid}");
                assert!(
                    page_links.iter().any(|l| l.ends_with(&format!("/{id}/{tid}/"))),
                    "{id} links to {tid}"
                );
            }
            if i > 0 {
                let prev = phases[i - 1]["id"].as_str().unwrap();
                assert!(html.contains("rel=\"prev\"") && page_links.iter().any(|l| l.ends_with(&format!("/{prev}/"))));
            }
            if let Some(next) = phases.get(i + 1) {
                let next = next["id"].as_str().unwrap();
                assert!(html.contains("rel=\"next\"") && page_links.iter().any(|l| l.ends_with(&format!("/{next}/"))));
            }
        }
    }
    assert_eq!(
        std::fs::read_dir(output.join("roadmaps/machine-learning"))
            .unwrap()
            .filter(
                |e| ["faq", "careers", "tips", "library"].contains(&e.as_ref().unwrap().file_name().to_str().unwrap())
            )
            .count(),
        4,
        "the extra pages of machine-learning"
    );
    for article in std::fs::read_dir(repo().join("content/articles")).unwrap() {
        let name = article.unwrap().file_name();
        let slug = name.to_str().unwrap().trim_end_matches(".md");
        assert!(exists(&format!("articles/{slug}/index.html")), "article {slug}");
    }
    let tags = std::fs::read_to_string(output.join("tags/index.html")).unwrap();
    let first_tag = links(&tags)
        .into_iter()
        .find(|l| l.starts_with("../tags/"))
        .expect("a tag link");
    assert!(exists(&format!("{}index.html", first_tag.trim_start_matches("../"))));
}

#[test]
fn init_makes_a_site_that_builds_and_refuses_a_non_empty_folder() {
    let site = TestSite::empty();
    site.run(&["init", "new-site"]).assert_ok();
    site.run(&["build", "--root", "new-site", "--output", "new-site/public"])
        .assert_ok();
    let out = site.path("new-site/public");
    assert!(out.join("roadmaps/git/basics/commits/index.html").exists());
    assert!(out.join("articles/welcome/index.html").exists());
    site.run(&["init", "new-site"])
        .assert_status(2)
        .assert_mentions("not empty");
}

#[test]
fn minimal_site_written_from_the_contract_builds() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    for page in [
        "index.html",
        "roadmaps/demo/index.html",
        "roadmaps/demo/basics/index.html",
        "roadmaps/demo/basics/first-topic/index.html",
        "roadmaps/demo/next/third-topic/index.html",
        "articles/hello/index.html",
        "tags/news/index.html",
        "about/index.html",
    ] {
        assert!(site.output_exists(page), "missing {page}");
    }
    let topic = site.output("roadmaps/demo/next/third-topic/index.html");
    assert!(
        topic.contains(r#"<a href="../../../../roadmaps/demo/basics/first-topic/">the first</a>"#),
        "{topic}"
    );
    let article = site.output("articles/hello/index.html");
    assert!(article.contains(">First topic</a>"), "empty link text takes the title");
}

#[test]
fn check_validates_without_writing() {
    let site = TestSite::minimal();
    site.run(&["check"]).assert_ok().assert_mentions("no errors");
    assert!(!site.path("public").exists());
}

#[test]
fn failed_build_leaves_the_previous_output_byte_for_byte() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    let before = snapshot(&site.path("public"));
    site.file("content/roadmaps/demo/phases/01-basics.yaml", "title: [broken\n");
    site.build().assert_status(1);
    assert_eq!(before, snapshot(&site.path("public")));
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".waymark"))
        .collect();
    assert!(leftovers.is_empty(), "staging folders left behind");
}

#[test]
fn refuses_output_folders_that_hold_sources() {
    let site = TestSite::minimal();
    for output in ["content", ".", "templates", "content/public", ".."] {
        site.run(&["build", "--output", output])
            .assert_status(2)
            .assert_mentions("refusing to write the site into");
    }
    assert!(site.path("content/roadmaps/demo/roadmap.yaml").exists());
}

#[test]
fn base_url_with_a_path_keeps_every_link_inside_it() {
    let site = TestSite::minimal();
    site.file("site.yaml", "title: T\nbase_url: https://example.org/sub/\n");
    site.build().assert_ok();
    let public = site.path("public");
    for (path, bytes) in snapshot(&public) {
        let name = path.to_string_lossy().replace('\\', "/");
        if !name.ends_with(".html") && !name.ends_with(".xml") {
            continue;
        }
        let page_url = url::Url::parse("https://example.org/sub/")
            .unwrap()
            .join(&name)
            .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        for link in links(&text).into_iter().chain(xml_locs(&text)) {
            let resolved = page_url.join(&link).unwrap();
            if resolved.host_str() == Some("example.org") {
                assert!(
                    resolved.path().starts_with("/sub/"),
                    "{link} on {name} leaves /sub/: {resolved}"
                );
            }
        }
    }
    assert!(
        site.output("sitemap.xml")
            .contains("<loc>https://example.org/sub/roadmaps/demo/</loc>")
    );
    assert!(
        site.output("atom.xml")
            .contains("https://example.org/sub/articles/hello/")
    );
}

fn xml_locs(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"<(?:loc|id)>([^<]*)</").unwrap();
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

#[test]
fn author_data_is_escaped_everywhere() {
    let site = TestSite::minimal();
    let evil = r#"Tom & "Jerry" <script>alert(1)</script>"#;
    site.file(
        "site.yaml",
        format!(
            "title: '{}'\nbase_url: https://example.org/\ndescription: '{}'\n",
            evil.replace('\'', "''"),
            evil
        ),
    )
    .file(
        "content/articles/evil.md",
        format!("---\ntitle: '{evil}'\ndescription: '{evil}'\ndate: 2025-01-01\ntags: ['{evil}']\n---\nBody\n"),
    )
    .file("content/roadmaps/demo/roadmap.yaml", format!("title: '{evil}'\n"));
    site.build().assert_ok();
    for (path, bytes) in snapshot(&site.path("public")) {
        if path.extension().is_some_and(|e| e == "json") {
            continue; // JSON strings may hold `<`; checked by parsing below
        }
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("<script>alert(1)"), "unescaped in {}", path.display());
    }
    let json: serde_json::Value = serde_json::from_str(&site.output("roadmaps/demo/roadmap.json")).unwrap();
    assert_eq!(json["title"], evil);
    assert!(
        site.output("atom.xml")
            .contains("Tom &amp; &quot;Jerry&quot; &lt;script&gt;")
    );
}

#[test]
fn raw_html_in_markdown_is_kept_unless_disallowed() {
    let site = TestSite::minimal();
    site.file(
        "content/pages/raw.md",
        "---\ntitle: Raw\n---\n<div class=\"box\">kept</div>\n",
    );
    site.build().assert_ok();
    assert!(site.output("raw/index.html").contains("<div class=\"box\">kept</div>"));
    site.file(
        "site.yaml",
        format!("{}markdown:\n  allow_html: false\n", common::MINIMAL_SITE),
    );
    site.build().assert_ok();
    assert!(
        site.output("raw/index.html")
            .contains("&lt;div class=\"box\"&gt;kept&lt;/div&gt;")
    );
}

#[test]
fn site_templates_and_static_override_the_builtin_ones() {
    let site = TestSite::minimal();
    site.file(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}<p id=\"custom\">{{ doc.title }}</p>{% endblock content %}",
    )
    .file("static/style.css", "body { color: red }")
    .file("static/extra/file.txt", "as is")
    .file("content/articles/images/pic.png", [0x89, b'P', b'N', b'G']);
    site.build().assert_ok();
    assert!(site.output("about/index.html").contains("<p id=\"custom\">About</p>"));
    assert_eq!(site.output("style.css"), "body { color: red }");
    assert_eq!(site.output("extra/file.txt"), "as is");
    assert!(site.output_exists("articles/images/pic.png"));
    assert!(site.output_exists("favicon.svg"), "other built-in files stay");
}

#[test]
fn drafts_are_built_only_when_asked() {
    let site = TestSite::minimal();
    site.file(
        "content/articles/wip.md",
        "---\ntitle: WIP\ndate: 2025-02-01\ndraft: true\n---\nSoon.\n",
    );
    site.build().assert_ok();
    assert!(!site.output_exists("articles/wip/index.html"));
    site.run(&["build", "--drafts"]).assert_ok();
    assert!(site.output_exists("articles/wip/index.html"));
}

#[test]
fn code_blocks_are_highlighted_with_both_themes() {
    let site = TestSite::minimal();
    site.file(
        "content/articles/code.md",
        "---\ntitle: Code\ndate: 2025-01-01\n---\n```rust\nfn main() {}\n```\n",
    );
    site.build().assert_ok();
    let html = site.output("articles/code/index.html");
    assert!(
        html.contains("<pre class=\"code hl-code\" data-lang=\"rust\" tabindex=\"0\">"),
        "{html}"
    );
    assert!(html.contains("class=\"hl-"), "{html}");
    let css = site.output("highlight.css");
    assert!(css.contains("prefers-color-scheme: dark"));
}

#[test]
fn markdown_in_content_is_never_run_through_tera() {
    let site = TestSite::minimal();
    site.file(
        "content/pages/braces.md",
        "---\ntitle: Braces\n---\nKeep {{ site.title }} and {% if x %} as text.\n",
    );
    site.build().assert_ok();
    assert!(
        site.output("braces/index.html")
            .contains("Keep {{ site.title }} and {% if x %} as text.")
    );
}
