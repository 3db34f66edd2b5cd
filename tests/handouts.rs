//! Printable handouts and booklets: the HTML on every build, the QR codes,
//! and (with Chromium) the PDFs of `waymark handouts --pdf`.

mod common;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{TestSite, repo};
use serde_json::Value;

/// The built-in site, built once for the HTML tests.
fn built() -> &'static Path {
    static OUT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let status = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(["build", "--root"])
            .arg(repo())
            .arg("--output")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        (dir, out)
    })
    .1
}

/// Every roadmap of a built site, as its `roadmap.json` says.
fn roadmaps(out: &Path) -> Vec<Value> {
    let mut all: Vec<Value> = fs::read_dir(out.join("roadmaps"))
        .unwrap()
        .flatten()
        .filter_map(|e| fs::read_to_string(e.path().join("roadmap.json")).ok())
        .map(|text| serde_json::from_str(&text).unwrap())
        .collect();
    all.sort_by_key(|r| r["id"].as_str().unwrap().to_owned());
    assert!(all.len() >= 3, "the built-in site has three roadmaps");
    all
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_else(|| panic!("no {key} in {value}"))
}

fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key].as_array().map_or(&[], Vec::as_slice)
}

/// Text as the handout templates escape it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn every_phase_has_a_handout_its_page_links_to_and_every_roadmap_a_booklet() {
    let out = built();
    for roadmap in roadmaps(out) {
        let r = str_of(&roadmap, "id");
        let booklet = fs::read_to_string(out.join(format!("handouts/{r}/index.html"))).unwrap();
        let overview = fs::read_to_string(out.join(format!("roadmaps/{r}/index.html"))).unwrap();
        assert!(
            overview.contains(&format!("href=\"../../handouts/{r}/\">Print the whole roadmap</a>")),
            "the overview of {r} links its booklet"
        );
        for phase in items(&roadmap, "phases") {
            let p = str_of(phase, "id");
            let handout = fs::read_to_string(out.join(format!("handouts/{r}/{p}/index.html"))).unwrap();
            let page = fs::read_to_string(out.join(format!("roadmaps/{r}/{p}/index.html"))).unwrap();
            assert!(
                page.contains(&format!("href=\"../../../handouts/{r}/{p}/\">Print this phase</a>")),
                "the page of {r}/{p} links its handout"
            );
            assert!(handout.contains(&format!("data-phase=\"{r}/{p}\"")));
            assert!(handout.contains(&escaped(str_of(phase, "title"))));
            assert!(
                booklet.contains(&format!("data-phase=\"{r}/{p}\"")),
                "{p} is in the booklet of {r}"
            );
            for topic in items(phase, "topics") {
                let t = str_of(topic, "id");
                assert!(handout.contains(&escaped(str_of(topic, "title"))), "{r}/{p}: topic {t}");
                assert!(handout.contains(&format!("data-topic=\"{r}/{t}\"")));
                for (i, _) in items(topic, "learn").iter().enumerate() {
                    assert!(handout.contains(&format!("data-item=\"{r}/{t}/{i}\"")));
                }
                for resource in items(topic, "resources") {
                    if let Some(url) = resource["url"].as_str() {
                        // Printed in full, as text, not only as a link.
                        assert!(
                            handout.contains(&format!(">{}</a>", escaped(url))),
                            "{r}/{p}: the handout prints {url}"
                        );
                    }
                }
            }
            // No navigation, and no script but the optional progress one
            // (which shows a learner's ticks): a page made for paper.
            let scripts: Vec<&str> = handout.match_indices("<script").map(|(i, _)| &handout[i..]).collect();
            assert_eq!(scripts.len(), 1, "{r}/{p} has other scripts");
            assert!(
                scripts[0].starts_with("<script src=\"../../../progress.js\" defer>"),
                "{r}/{p}"
            );
            assert!(!handout.contains("<nav"), "{r}/{p} has navigation");
        }
    }
}

#[test]
fn booklet_ids_are_unique_and_cross_references_are_absolute() {
    let out = built();
    let ids = regex::Regex::new(r#"\sid="([^"]+)""#).unwrap();
    for roadmap in roadmaps(out) {
        let r = str_of(&roadmap, "id");
        let booklet = fs::read_to_string(out.join(format!("handouts/{r}/index.html"))).unwrap();
        let mut seen = HashSet::new();
        for id in ids.captures_iter(&booklet) {
            assert!(
                seen.insert(id[1].to_owned()),
                "id {} twice in the booklet of {r}",
                &id[1]
            );
        }
        assert!(seen.len() > 20);
        // Links leave the handout only for the live site or the resources.
        for link in common::links(&booklet) {
            assert!(
                link.starts_with("https://")
                    || link.starts_with("http://")
                    || link.starts_with('#')
                    || ["../../handout.css", "../../progress.js", "../../favicon.svg"].contains(&link.as_str()),
                "a relative link in the booklet of {r}: {link}"
            );
        }
    }
    let handout = fs::read_to_string(out.join("handouts/machine-learning/mathematics/index.html")).unwrap();
    assert!(
        handout.contains("https://waymark.example.org/roadmaps/machine-learning/"),
        "cross-references print the live address"
    );
}

#[test]
fn the_paper_size_comes_from_site_yaml() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    assert!(
        site.output("handouts/demo/basics/index.html")
            .contains("@page { size: A4; }")
    );
    let yaml = format!("{}handouts:\n  paper: Letter\n", common::MINIMAL_SITE);
    site.file("site.yaml", yaml);
    site.build().assert_ok();
    let handout = site.output("handouts/demo/basics/index.html");
    assert!(handout.contains("@page { size: Letter; }"));
    // A cross-reference in Markdown points at the live site.
    let next = site.output("handouts/demo/next/index.html");
    assert!(
        next.contains("href=\"https://example.org/roadmaps/demo/basics/first-topic/\""),
        "{next}"
    );
    assert!(site.output_exists("handout.css"));
}

/// The QR code's dark modules, read back from the SVG path the handout draws.
fn qr_matrix(html: &str) -> (usize, HashSet<(usize, usize)>) {
    let svg_start = html.find("<svg class=\"qr\"").expect("a QR code");
    let svg = &html[svg_start..];
    let size: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let d = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
    let re = regex::Regex::new(r"M(\d+) (\d+)h1v1h-1z").unwrap();
    let dark: HashSet<(usize, usize)> = re
        .captures_iter(d)
        .map(|c| (c[1].parse().unwrap(), c[2].parse().unwrap()))
        .collect();
    assert_eq!(re.replace_all(d, ""), "", "the path holds only unit squares");
    (size, dark)
}

#[test]
fn the_qr_code_decodes_to_the_phase_url() {
    let out = built();
    for (r, p) in [("machine-learning", "mathematics"), ("ml-career", "foundations")] {
        let html = fs::read_to_string(out.join(format!("handouts/{r}/{p}/index.html"))).unwrap();
        let (size, dark) = qr_matrix(&html);
        const SCALE: usize = 4;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(size * SCALE, size * SCALE, |x, y| {
            if dark.contains(&(x / SCALE, y / SCALE)) { 0 } else { 255 }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in {r}/{p}");
        let (_, text) = grids[0].decode().expect("the QR code decodes");
        let url = format!("https://waymark.example.org/roadmaps/{r}/{p}/");
        assert_eq!(text, url);
        assert!(
            html.contains(&format!("<span class=\"url\">{url}</span>")),
            "the URL is printed beside it"
        );
    }
}

#[test]
fn handouts_command_writes_only_the_handouts() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    site.run(&["handouts"]).assert_ok();
    let print = |relative: &str| site.path("print").join(relative).exists();
    assert!(print("handouts/demo/basics/index.html"));
    assert!(print("handouts/demo/index.html"));
    assert!(print("handout.css"));
    assert!(print("progress.js") && print("favicon.svg"), "what the handouts load");
    assert!(!print("index.html"), "only the handouts tree");
    assert!(!print("style.css"));
    assert!(site.output_exists("index.html"), "the site built in public/ stays");

    site.run(&["handouts", "--output", "one", "--roadmap", "demo", "--phase", "next"])
        .assert_ok();
    assert!(site.path("one/handouts/demo/next/index.html").exists());
    assert!(!site.path("one/handouts/demo/basics/index.html").exists());
    assert!(
        !site.path("one/handouts/demo/index.html").exists(),
        "no booklet for one phase"
    );

    site.run(&["handouts", "--roadmap", "nope"])
        .assert_status(2)
        .assert_mentions("no roadmap `nope`");
    site.run(&["handouts", "--phase", "nope"])
        .assert_status(2)
        .assert_mentions("no phase `nope`");
    site.run(&["handouts", "--output", "content"]).assert_status(2);
}

#[test]
fn without_chromium_pdf_fails_clearly() {
    let site = TestSite::minimal();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(args)
            .current_dir(site.root())
            .env("PATH", "")
            .env_remove("WAYMARK_CHROME")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (status, stderr) = run(&["handouts", "--pdf", "--chrome", "/nonexistent"]);
    assert_eq!(status, Some(1), "{stderr}");
    assert!(
        stderr.contains("/nonexistent") && stderr.contains("apt-get install chromium"),
        "{stderr}"
    );
    let (status, stderr) = run(&["handouts", "--pdf"]);
    assert_eq!(status, Some(1), "{stderr}");
    assert!(
        stderr.contains("no Chromium found") && stderr.contains("apt-get install chromium"),
        "{stderr}"
    );
    let (status, stderr) = run(&["build", "--pdf"]);
    assert_eq!(status, Some(1), "{stderr}");
    assert!(stderr.contains("no Chromium found"), "{stderr}");
    assert!(!site.output_exists("index.html"), "nothing was built");
}

// ---------------------------------------------------------------- PDFs

/// pdftotext answers `-v`, not `--version`.
fn have_pdftotext() -> bool {
    Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn pdftotext(pdf: &Path, pages: Option<(usize, usize)>) -> String {
    let mut command = Command::new("pdftotext");
    if let Some((first, last)) = pages {
        command.args(["-f", &first.to_string(), "-l", &last.to_string()]);
    }
    let out = command.arg("-layout").arg(pdf).arg("-").output().expect("pdftotext");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The built-in site printed on `paper`: every phase handout, every
/// booklet, page counts, outlines, the booklet's contents.
fn check_pdfs(paper: &str) {
    if !common::require("chromium", common::have_command("chromium"))
        || !common::require("pdftotext (poppler-utils)", have_pdftotext())
    {
        return;
    }
    let site = TestSite::empty();
    let yaml = fs::read_to_string(repo().join("site.yaml")).unwrap();
    let yaml = yaml.replace("paper: A4", &format!("paper: {paper}"));
    assert!(yaml.contains(&format!("paper: {paper}")));
    site.file("site.yaml", yaml);
    copy_dir(&repo().join("content"), &site.path("content"));
    let run = site.run(&["handouts", "--pdf"]);
    run.assert_ok();
    eprintln!("{paper}: {}", run.stderr.trim());
    let out = site.path("print");
    let html_out = built();
    let mut report = Vec::new();
    for roadmap in roadmaps(html_out) {
        let r = str_of(&roadmap, "id");
        let booklet = out.join(format!("handouts/{r}/{r}.pdf"));
        let mut sum = 0;
        let mut phase_pages = Vec::new();
        for phase in items(&roadmap, "phases") {
            let p = str_of(phase, "id");
            let pdf = out.join(format!("handouts/{r}/{p}/{r}-{p}.pdf"));
            let pages = waymark::handouts::pdf::page_count(&pdf).unwrap();
            report.push(format!("{r}/{p}: {pages}"));
            assert!((1..=6).contains(&pages), "{r}/{p} is {pages} pages on {paper}");
            sum += pages;
            phase_pages.push(pages);
            let text = pdftotext(&pdf, None);
            let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                flat.contains(str_of(phase, "title")),
                "{r}/{p}: the PDF text has the phase title"
            );
            for topic in items(phase, "topics") {
                let title = str_of(topic, "title");
                assert!(flat.contains(title), "{r}/{p}: the PDF text has {title}");
                for resource in items(topic, "resources") {
                    if let Some(url) = resource["url"].as_str() {
                        assert!(text.contains(url), "{r}/{p}: the PDF text has {url}");
                    }
                }
            }
        }
        let total = waymark::handouts::pdf::page_count(&booklet).unwrap();
        report.push(format!("{r} booklet: {total}"));
        assert_eq!(
            total,
            sum + 2,
            "{r}: the booklet is its handouts, a cover and a contents page"
        );

        let outline = waymark::handouts::pdf::outline(&booklet).unwrap();
        let squash = |t: &str| t.split_whitespace().collect::<String>();
        // Chromium drops the space where a heading wraps.
        let titles: HashMap<String, usize> = outline.iter().map(|(_, t, p)| (squash(t), *p)).collect();
        let contents = pdftotext(&booklet, Some((2, 2)));
        let mut expected_start = 3;
        for (phase, pages) in items(&roadmap, "phases").iter().zip(&phase_pages) {
            let heading = format!("Phase {}: {}", phase["number"], str_of(phase, "title"));
            let start = *titles
                .get(&squash(&heading))
                .unwrap_or_else(|| panic!("{r}: no bookmark {heading:?} in {outline:?}"));
            assert_eq!(
                start, expected_start,
                "{r}: {heading} starts after the phases before it"
            );
            // The contents line of this phase ends with its first page.
            let line = contents
                .lines()
                .find(|l| squash(l).contains(&squash(&heading)))
                .unwrap_or_else(|| panic!("{r}: {heading} is not in the contents:\n{contents}"));
            assert!(
                line.trim_end().ends_with(&format!(" {start}")),
                "{r}: the contents say {line:?}, the phase starts on page {start}"
            );
            for topic in items(phase, "topics") {
                let title = str_of(topic, "title");
                assert!(
                    outline.iter().any(|(_, t, _)| squash(t).starts_with(&squash(title))),
                    "{r}: no bookmark for topic {title}"
                );
            }
            expected_start += pages;
        }
    }
    eprintln!("pages on {paper}: {}", report.join(", "));
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn pdfs_on_a4() {
    check_pdfs("A4");
}

#[test]
fn pdfs_on_letter() {
    check_pdfs("Letter");
}

#[test]
fn handout_phases_leave_out_what_links_to_them() {
    let site = TestSite::minimal();
    let probe = "{% if phase.referenced_by is defined or phase.required_by is defined %}phase has backlinks{% endif %}\
        {% for topic in phase.topics %}{% if topic.referenced_by is defined or topic.required_by is defined %}topic has backlinks{% endif %}{% endfor %}\
        {% for topic in phase.topics %}<p>{{ topic.title }}</p>{% endfor %}";
    site.file("templates/handout.html", probe).file(
        "templates/phase.html",
        format!(
            "{{% extends \"base.html\" %}}{{% block content %}}{}{{% endblock %}}",
            probe
        ),
    );
    site.build().assert_ok();
    let handout = site.output("handouts/demo/basics/index.html");
    assert!(handout.contains("<p>First topic</p>"), "{handout}");
    assert!(!handout.contains("backlinks"), "{handout}");
    // The phase's own page still has them.
    let page = site.output("roadmaps/demo/basics/index.html");
    assert!(
        page.contains("phase has backlinks") && page.contains("topic has backlinks"),
        "{page}"
    );
}
