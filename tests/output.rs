//! The output folder is waymark's only while waymark made it: every way a
//! user can point `--output` at their own files leaves those files as they
//! were, byte for byte (issue: `--output` deleted whatever it was given).

mod common;

use std::fs;
#[cfg(unix)]
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{TestSite, repo, snapshot};

const MARKER: &str = ".waymark-output";

/// A folder of the user's own: a document, a dotfile, a nested folder.
fn bystanders(site: &TestSite, dir: &str) {
    site.file(&format!("{dir}/thesis.txt"), "notes\n")
        .file(&format!("{dir}/.profile"), "export A=1\n")
        .file(&format!("{dir}/tools/bin/tool"), [0u8, 159, 146, 150]);
}

fn no_leftovers(dir: &Path) {
    let leftovers: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".waymark-staging") || name.starts_with(".waymark-previous"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn a_folder_of_the_users_is_refused_and_left_byte_for_byte() {
    let site = TestSite::empty();
    site.run(&["init", "site"]).assert_ok();
    bystanders(&site, "docs");
    let before = snapshot(&site.path("docs"));
    site.run(&["build", "--root", "site", "--output", "docs"])
        .assert_status(2)
        .assert_mentions("refusing to write the site into docs")
        .assert_mentions("not written by waymark")
        .assert_mentions("--force");
    assert_eq!(before, snapshot(&site.path("docs")));
    no_leftovers(site.root());
}

#[test]
fn a_home_folder_and_a_git_folder_are_refused() {
    let site = TestSite::empty();
    site.run(&["init", "site"]).assert_ok();
    // A home folder: toolchains and dotfiles.
    bystanders(&site, "home");
    site.file("home/.cargo/bin/cargo", "binary");
    // The site's own repository history.
    site.file("site/.git/HEAD", "ref: refs/heads/main\n")
        .file("site/.git/objects/ab/cdef", [1u8, 2, 3]);
    let home = snapshot(&site.path("home"));
    let git = snapshot(&site.path("site/.git"));
    for output in ["home", "site/.git"] {
        for command in ["build", "watch"] {
            site.run(&[command, "--root", "site", "--output", output])
                .assert_status(2)
                .assert_mentions("not written by waymark");
        }
    }
    assert_eq!(home, snapshot(&site.path("home")));
    assert_eq!(git, snapshot(&site.path("site/.git")));
}

#[test]
fn an_existing_file_as_output_is_refused_and_left_as_it_is() {
    let site = TestSite::minimal();
    site.file("out.txt", "keep me");
    for command in ["build", "watch"] {
        site.run(&[command, "--output", "out.txt"])
            .assert_status(2)
            .assert_mentions("it is a file");
    }
    assert_eq!(fs::read(site.path("out.txt")).unwrap(), b"keep me");
    no_leftovers(site.root());
}

#[test]
fn force_writes_beside_the_users_files_and_later_removes_only_its_own() {
    let site = TestSite::minimal();
    bystanders(&site, "docs");
    site.file("docs/index.html", "the user's page");
    let mine = |s: &TestSite| {
        let mut files = snapshot(&s.path("docs"));
        files.retain(|path, _| {
            ["thesis.txt", ".profile", "tools/bin/tool"]
                .iter()
                .any(|p| path == Path::new(p))
        });
        files
    };
    let before = mine(&site);
    site.run(&["build", "--output", "docs", "--force"]).assert_ok();
    assert_eq!(before, mine(&site));
    // A file of the same name is replaced: that is what --force allows.
    assert!(
        fs::read_to_string(site.path("docs/index.html"))
            .unwrap()
            .contains("<!DOCTYPE html>")
    );
    assert!(site.path("docs/articles/hello/index.html").exists());

    // Without --force the folder is still the user's.
    site.run(&["build", "--output", "docs"]).assert_status(2);

    // A page the site no longer has is removed; the user's files stay.
    site.remove("content/articles/hello.md");
    site.run(&["build", "--output", "docs", "--force"]).assert_ok();
    assert!(!site.path("docs/articles/hello").exists());
    assert_eq!(before, mine(&site));
    no_leftovers(site.root());
}

#[test]
fn waymarks_own_folder_is_replaced_until_the_user_adds_a_file() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    assert!(site.output_exists(MARKER), "every build marks its folder");
    site.build().assert_ok();
    site.file("public/CNAME", "example.org\n");
    site.build()
        .assert_status(2)
        .assert_mentions("CNAME")
        .assert_mentions("static/");
    assert_eq!(site.output("CNAME"), "example.org\n");
    site.run(&["build", "--force"]).assert_ok();
    assert_eq!(site.output("CNAME"), "example.org\n");
    no_leftovers(site.root());
}

#[test]
fn the_default_output_is_public_inside_the_site() {
    let site = TestSite::empty();
    site.run(&["init", "site"]).assert_ok();
    site.run(&["build", "--root", "site"]).assert_ok();
    assert!(site.path("site/public/index.html").exists());
    assert!(!site.path("public").exists());
    // A relative --output is relative to the current folder.
    site.run(&["build", "--root", "site", "--output", "elsewhere"])
        .assert_ok();
    assert!(site.path("elsewhere/index.html").exists());
}

#[test]
fn leftovers_of_killed_builds_are_cleaned_only_when_they_are_waymarks() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    // A staging folder of a process that is gone, and one of the user's
    // that only looks like it.
    let dead_pid = u32::MAX - 7;
    site.file(
        ".waymark-staging-public-dead/.waymark-output",
        format!("{{\"format\":\"waymark-output\",\"building_pid\":{dead_pid},\"files\":[]}}"),
    )
    .file(".waymark-staging-public-dead/index.html", "half");
    site.file(".waymark-staging-public-mine/notes.txt", "mine");
    // A previous output set aside by a swap, and a look-alike holding a file
    // its marker does not list.
    site.file(
        ".waymark-previous-public-old/.waymark-output",
        "{\"format\":\"waymark-output\",\"files\":[\"index.html\"]}",
    )
    .file(".waymark-previous-public-old/index.html", "old");
    site.file(
        ".waymark-previous-public-odd/.waymark-output",
        "{\"format\":\"waymark-output\",\"files\":[]}",
    )
    .file(".waymark-previous-public-odd/thesis.txt", "mine too");
    site.build().assert_ok();
    assert!(!site.path(".waymark-staging-public-dead").exists());
    assert!(!site.path(".waymark-previous-public-old").exists());
    assert_eq!(
        fs::read_to_string(site.path(".waymark-staging-public-mine/notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        fs::read_to_string(site.path(".waymark-previous-public-odd/thesis.txt")).unwrap(),
        "mine too"
    );
}

#[test]
fn an_output_set_aside_by_a_killed_swap_is_put_back() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    let before = snapshot(&site.path("public"));
    fs::rename(site.path("public"), site.path(".waymark-previous-public-x1")).unwrap();
    site.file("content/roadmaps/demo/phases/01-basics.yaml", "title: [broken\n");
    site.build().assert_status(1);
    assert_eq!(before, snapshot(&site.path("public")));
    no_leftovers(site.root());
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_previous_output_whole() {
    let site = TestSite::empty();
    let out = site.path("out");
    let build = || {
        Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(["build", "--root", repo().to_str().unwrap(), "--output"])
            .arg(&out)
            .output()
            .unwrap()
    };
    assert!(build().status.success());
    let complete = snapshot(&out);
    for delay_ms in [5, 20, 40, 80, 120, 200, 300] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_waymark"))
            .args(["build", "--root", repo().to_str().unwrap(), "--output"])
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // The same content builds the same bytes: old or new, it is whole.
        if out.exists() {
            assert_eq!(complete, snapshot(&out), "killed after {delay_ms} ms");
        }
    }
    assert!(build().status.success());
    assert_eq!(complete, snapshot(&out));
    no_leftovers(site.root());
}

#[cfg(unix)]
#[test]
fn a_rebuild_links_unchanged_files_and_writes_changed_or_hand_edited_ones() {
    use std::os::unix::fs::MetadataExt;
    let site = TestSite::minimal();
    site.build().assert_ok();
    let inode = |path: &str| fs::metadata(site.path(&format!("public/{path}"))).unwrap().ino();
    let about = inode("about/index.html");
    let hello = inode("articles/hello/index.html");
    let style = inode("style.css");

    // A page edited by hand after the build, keeping its size: the next
    // build must not carry the edit over.
    let page = site.path("public/about/index.html");
    let original = fs::read(&page).unwrap();
    let mut edited = original.clone();
    edited[0] = b'X';
    std::thread::sleep(Duration::from_millis(20));
    fs::write(&page, &edited).unwrap();

    // The about page itself stays the same: only the hand edit makes it
    // differ from what the build would link.
    site.file(
        "content/articles/hello.md",
        "---\ntitle: Hello again\ndate: 2025-01-02\ntags: [news]\nroadmap: demo\n---\nChanged.\n",
    );
    site.build().assert_ok();
    assert_eq!(inode("style.css"), style, "an unchanged file is the same file, linked");
    assert_ne!(inode("articles/hello/index.html"), hello, "a changed page is written");
    assert!(site.output("articles/hello/index.html").contains("Hello again"));
    assert_ne!(inode("about/index.html"), about);
    assert!(fs::read(&page).unwrap() == original, "the hand edit is gone");
    // An output file shares its data only with the replaced output kept in
    // the cache folder.
    let spare = inodes_under(&site.path(".waymark-cache/previous-outputs"));
    for entry in walkdir::WalkDir::new(site.path("public")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let meta = entry.metadata().unwrap();
            let links = 1 + u64::from(spare.contains(&meta.ino()));
            assert_eq!(meta.nlink(), links, "{}", entry.path().display());
        }
    }
    no_leftovers(site.root());
}

#[cfg(unix)]
fn inodes_under(dir: &Path) -> std::collections::BTreeSet<u64> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().unwrap().ino())
        .collect()
}

/// Without the cache, the replaced output is deleted: nothing is kept and
/// no output file shares its data.
#[cfg(unix)]
#[test]
fn without_the_cache_the_replaced_output_is_deleted() {
    use std::os::unix::fs::MetadataExt;
    let site = TestSite::minimal();
    for _ in 0..3 {
        site.run(&["build", "--no-cache"]).assert_ok();
    }
    assert!(!site.path(".waymark-cache/previous-outputs").exists());
    for entry in walkdir::WalkDir::new(site.path("public")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            assert_eq!(entry.metadata().unwrap().nlink(), 1, "{}", entry.path().display());
        }
    }
    no_leftovers(site.root());
}

/// The output a build replaces is kept in the cache, and the next build
/// takes it over as its staging folder: after every kind of change, files
/// unchanged since stay the very same files, and the output is byte for
/// byte a fresh build's.
#[cfg(unix)]
#[test]
fn a_rebuild_takes_over_the_output_before_last_and_builds_the_same_bytes() {
    use std::os::unix::fs::MetadataExt;
    let site = TestSite::minimal();
    let inode = |path: &str| fs::metadata(site.path(&format!("public/{path}"))).unwrap().ino();
    let same_as_fresh = |what: &str| {
        let _ = fs::remove_dir_all(site.path("fresh"));
        site.run(&["build", "--no-cache", "--output", "fresh"]).assert_ok();
        assert!(
            common::published(&site.path("public")) == common::published(&site.path("fresh")),
            "after {what}, the output differs from a fresh build"
        );
        no_leftovers(site.root());
    };
    site.file("static/notes.txt", "a file\n");
    site.build().assert_ok();
    let about = inode("about/index.html");
    let style = inode("style.css");
    site.build().assert_ok();
    let spares: Vec<_> = fs::read_dir(site.path(".waymark-cache/previous-outputs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(spares.len(), 1, "the replaced output is kept: {spares:?}");
    assert!(spares[0].join(MARKER).is_file());

    // Each build below takes over the output of the one before last.
    site.file(
        "content/articles/hello.md",
        "---
title: Hello again
date: 2025-01-02
tags: [news]
roadmap: demo
---
Changed.
",
    );
    site.build().assert_ok();
    same_as_fresh("an article edit");
    assert_eq!(
        inode("about/index.html"),
        about,
        "an unchanged page stays the same file"
    );
    assert!(site.output("articles/hello/index.html").contains("Hello again"));

    // A file where the output before last had a folder, and a folder
    // where it had a file; an article gone.
    site.remove("content/articles/hello.md");
    site.file("static/articles/hello", "now a file\n");
    site.remove("static/notes.txt");
    site.file("static/notes.txt/inside.txt", "a folder now\n");
    site.build().assert_ok();
    same_as_fresh("a page replaced by a file");
    site.build().assert_ok();
    same_as_fresh("a page replaced by a file, once more");
    assert_eq!(site.output("articles/hello"), "now a file\n");

    site.remove("static/articles/hello");
    site.remove("static/notes.txt/inside.txt");
    site.file(
        "content/articles/hello.md",
        "---
title: Hello back
date: 2025-01-02
tags: [news]
roadmap: demo
---
Back.
",
    );
    site.build().assert_ok();
    same_as_fresh("the article back");
    site.build().assert_ok();
    same_as_fresh("the article back, once more");
    assert_eq!(inode("style.css"), style, "an unchanged file stays the same file");

    // A page edited by hand shares its data with the kept copy: the edit
    // must not survive in either.
    let page = site.path("public/about/index.html");
    let original = fs::read(&page).unwrap();
    let mut edited = original.clone();
    edited[0] = b'X';
    fs::OpenOptions::new()
        .write(true)
        .open(&page)
        .unwrap()
        .write_all(&edited)
        .unwrap();
    site.build().assert_ok();
    same_as_fresh("a hand edit");
    site.build().assert_ok();
    same_as_fresh("a hand edit, once more");

    // A build that fails after writing most pages: the kept copy shares
    // its files with the live output, which must stay as it was.
    site.build().assert_ok();
    let before = common::published(&site.path("public"));
    let config = fs::read_to_string(site.path("site.yaml")).unwrap();
    site.file("site.yaml", config.replace("Test Site", "Renamed Site"));
    site.file(
        "templates/article.html",
        "{% extends \"base.html\" %}{% block content %}{{ doc.no_such_key.deeper }}{% endblock content %}",
    );
    site.build().assert_status(1);
    assert!(
        common::published(&site.path("public")) == before,
        "a failed build changed the output"
    );
    no_leftovers(site.root());
}

/// After each kind of edit, a rebuild that keeps unchanged pages gives the
/// same output as a fresh build into an empty folder.
#[cfg(unix)]
#[test]
fn a_rebuild_keeps_only_pages_whose_inputs_did_not_change() {
    use std::os::unix::fs::MetadataExt;
    let site = TestSite::minimal();
    site.build().assert_ok();
    let inodes = |site: &TestSite| -> std::collections::BTreeMap<std::path::PathBuf, u64> {
        walkdir::WalkDir::new(site.path("public"))
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file() && e.file_name() != MARKER)
            .map(|e| (e.path().to_path_buf(), e.metadata().unwrap().ino()))
            .collect()
    };
    let same_as_fresh = |site: &TestSite, what: &str| {
        let _ = fs::remove_dir_all(site.path("fresh"));
        site.run(&["build", "--no-cache", "--output", "fresh"]).assert_ok();
        assert!(
            common::published(&site.path("public")) == common::published(&site.path("fresh")),
            "after {what}, the rebuilt output differs from a fresh build"
        );
    };

    let before = inodes(&site);
    site.build().assert_ok();
    assert_eq!(inodes(&site), before, "nothing changed: every file is kept");

    site.file(
        "content/articles/hello.md",
        "---\ntitle: Hello renamed\ndate: 2025-01-02\ntags: [news]\nroadmap: demo\n---\nRead [](@topic:demo/first-topic).\n",
    );
    site.build().assert_ok();
    same_as_fresh(&site, "a title edit");
    let after = inodes(&site);
    let rewritten: Vec<_> = after.iter().filter(|(p, i)| before.get(*p) != Some(i)).collect();
    assert!(rewritten.len() < after.len() / 2, "most files are kept: {rewritten:?}");
    assert!(site.output("tags/news/index.html").contains("Hello renamed"));

    site.file(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}<h1>{{ doc.title }}!</h1>{% endblock content %}",
    );
    site.build().assert_ok();
    same_as_fresh(&site, "a template edit");
    assert!(site.output("about/index.html").contains("About!"));

    site.file(
        "site.yaml",
        fs::read_to_string(site.path("site.yaml"))
            .unwrap()
            .replace("Test Site", "Renamed Site"),
    );
    site.build().assert_ok();
    same_as_fresh(&site, "a site title edit");
    assert!(
        site.output("roadmaps/demo/basics/first-topic/index.html")
            .contains("Renamed Site")
    );
}
