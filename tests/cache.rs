//! The persistent highlight cache: the same output with and without it,
//! whatever state it is in, and never in the published site.

mod common;

use common::{TestSite, published};

const CODE_ARTICLE: &str = "---\ntitle: Code\ndate: 2025-01-03\n---\n```rust\nfn main() { println!(\"hi\"); }\n```\n\n```python\ndef f(x):\n    return x * 2\n```\n\n```toml\n[package]\nname = \"x\"\n```\n";

fn cache_file(site: &TestSite) -> std::path::PathBuf {
    site.path(".waymark-cache/highlight.bin")
}

#[test]
fn output_is_identical_with_and_without_the_cache() {
    let site = TestSite::minimal();
    site.file("content/articles/code.md", CODE_ARTICLE);

    site.run(&["build", "--no-cache", "--output", "plain"]).assert_ok();
    assert!(!cache_file(&site).exists(), "--no-cache writes no cache");
    let plain = published(&site.path("plain"));
    assert!(
        String::from_utf8_lossy(&plain[std::path::Path::new("articles/code/index.html")]).contains("hl-"),
        "the code is highlighted"
    );

    site.run(&["check"]).assert_ok();
    assert!(!cache_file(&site).exists(), "check writes nothing");

    site.run(&["build", "--output", "cold"]).assert_ok();
    let stored = std::fs::read(cache_file(&site)).expect("a build writes the cache");
    assert!(stored.len() > 64, "three blocks are stored");
    site.run(&["build", "--output", "warm"]).assert_ok();
    assert_eq!(
        std::fs::read(cache_file(&site)).unwrap(),
        stored,
        "a build with nothing new leaves it as it was"
    );
    assert_eq!(published(&site.path("cold")), plain);
    assert_eq!(published(&site.path("warm")), plain);

    // Damage every entry's bytes after the header: each is redone, not served.
    let mut damaged = stored.clone();
    for byte in damaged.iter_mut().skip(40).step_by(7) {
        *byte ^= 0x55;
    }
    std::fs::write(cache_file(&site), &damaged).unwrap();
    site.run(&["build", "--output", "damaged"]).assert_ok();
    assert_eq!(published(&site.path("damaged")), plain);

    // A half-written file (a full disk) and a foreign one are no worse.
    std::fs::write(cache_file(&site), &stored[..stored.len() / 2]).unwrap();
    site.run(&["build", "--output", "truncated"]).assert_ok();
    assert_eq!(published(&site.path("truncated")), plain);
    std::fs::write(cache_file(&site), b"not a cache").unwrap();
    site.run(&["build", "--output", "foreign"]).assert_ok();
    assert_eq!(published(&site.path("foreign")), plain);

    // An edited block is highlighted afresh, not taken from the cache.
    site.file("content/articles/code.md", CODE_ARTICLE.replace("x * 2", "x * 3"));
    site.run(&["build", "--output", "edited"]).assert_ok();
    let page = std::path::Path::new("articles/code/index.html");
    assert_ne!(published(&site.path("edited"))[page], plain[page]);
    site.run(&["build", "--no-cache", "--output", "edited-plain"])
        .assert_ok();
    assert_eq!(published(&site.path("edited")), published(&site.path("edited-plain")));
}

#[test]
fn the_cache_is_never_published_nor_an_output_folder() {
    let site = TestSite::minimal();
    site.file("content/articles/code.md", CODE_ARTICLE);
    site.build().assert_ok();
    assert!(cache_file(&site).exists());
    let out = published(&site.path("public"));
    assert!(
        out.keys().all(|p| !p.to_string_lossy().contains("waymark-cache")),
        "{:?}",
        out.keys()
    );
    site.run(&["build", "--output", ".waymark-cache"]).assert_status(2);
    site.run(&["build", "--output", ".waymark-cache/x"]).assert_status(2);
}
