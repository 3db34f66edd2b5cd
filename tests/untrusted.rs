//! Nothing leaked, nothing that could run: files from outside the site are
//! never published, script links are refused on sites that do not trust
//! raw HTML, and `check` fails on whatever `build` fails on.

mod common;

use common::{PHASE_ONE, TestSite};

/// `build` and `check` agree: both fail, both name `needles`.
fn both_fail(site: &TestSite, needles: &[&str]) {
    for command in ["build", "check"] {
        let run = site.run(&[command]);
        run.assert_status(1);
        for needle in needles {
            run.assert_mentions(needle);
        }
    }
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_site_are_errors_in_build_and_check() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "SECRET").unwrap();
    std::fs::create_dir(outside.path().join("shared")).unwrap();
    std::fs::write(outside.path().join("shared/x.txt"), "SECRET TOO").unwrap();
    let site = TestSite::minimal();
    let link = |target: &std::path::Path, at: &str| {
        std::fs::create_dir_all(site.path(at).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, site.path(at)).unwrap();
    };
    link(std::path::Path::new("/proc/self/environ"), "static/env.txt");
    link(&outside.path().join("secret.txt"), "content/x");
    link(&outside.path().join("shared"), "static/shared");
    // A link that stays inside the site is fine.
    site.file("static/real.txt", "ok");
    link(&site.path("static/real.txt"), "content/alias.txt");
    both_fail(
        &site,
        &[
            "static/env.txt",
            "/proc/self/environ",
            "content/x",
            "secret.txt",
            "static/shared",
            "outside the site folder",
        ],
    );
    assert!(!site.path("public").exists());
    std::fs::remove_file(site.path("static/env.txt")).unwrap();
    std::fs::remove_file(site.path("content/x")).unwrap();
    std::fs::remove_file(site.path("static/shared")).unwrap();
    site.build().assert_ok();
    assert_eq!(site.output("alias.txt"), "ok");
    for (_, bytes) in common::snapshot(&site.path("public")) {
        assert!(!String::from_utf8_lossy(&bytes).contains("SECRET"));
    }
}

#[test]
fn a_static_folder_named_like_a_generated_page_fails_check_too() {
    let site = TestSite::minimal();
    site.file("static/404.html/a.txt", "x");
    both_fail(&site, &["static/404.html/a.txt", "404.html", "folder"]);
    let site = TestSite::minimal();
    site.file("static/style.css/a.txt", "x");
    both_fail(&site, &["static/style.css/a.txt", "style.css"]);
}

#[test]
fn script_links_are_errors_at_their_place_where_html_is_not_trusted() {
    let site = TestSite::minimal();
    site.file(
        "site.yaml",
        "title: T\nbase_url: https://example.org/\nmarkdown:\n  allow_html: false\n",
    )
    .file(
        "content/articles/hello.md",
        "---\ntitle: Hello\ndate: 2025-01-02\n---\nFine [x](https://a.org/).\n\nBad [a](JaVaScRiPt:alert(1)) and ![i](data:text/html,x).\n",
    )
    .file(
        "content/roadmaps/demo/phases/01-basics.yaml",
        PHASE_ONE.replace("summary: The start.", "summary: \"See [x](vbscript:msgbox)\""),
    );
    both_fail(
        &site,
        &[
            "hello.md:7:9",
            "`javascript:` scheme",
            "hello.md:7:39",
            "`data:` scheme",
            "01-basics.yaml:4:",
            "`vbscript:` scheme",
        ],
    );
    // A site that trusts its authors keeps the links.
    site.file(
        "site.yaml",
        "title: T\nbase_url: https://example.org/\nmarkdown:\n  allow_html: true\n",
    );
    site.build().assert_ok();
}

#[test]
fn a_byte_order_mark_is_accepted_in_every_yaml_file() {
    let site = TestSite::minimal();
    let bom = |text: &str| format!("\u{feff}{text}");
    site.file("site.yaml", bom(common::MINIMAL_SITE))
        .file("content/roadmaps/demo/roadmap.yaml", bom("title: Demo\n"))
        .file("content/roadmaps/demo/phases/01-basics.yaml", bom(PHASE_ONE));
    site.build().assert_ok();
    assert!(site.output("roadmaps/demo/basics/index.html").contains("First topic"));
}

#[test]
fn nul_bytes_before_a_broken_reference_do_not_panic_and_keep_positions() {
    let site = TestSite::minimal();
    site.file(
        "content/roadmaps/demo/phases/01-basics.yaml",
        PHASE_ONE.replace("summary: The start.", "summary: \"a\\0b\\0 [x](@topic:nope)\""),
    )
    .file(
        "content/articles/hello.md",
        "---\ntitle: Hello\ndate: 2025-01-02\n---\nx\0\0y [a](@topic:missing)\n",
    );
    let run = site.build();
    run.assert_status(1)
        .assert_mentions("01-basics.yaml:4:")
        .assert_mentions("@topic:nope")
        .assert_mentions("hello.md:5:10");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}
