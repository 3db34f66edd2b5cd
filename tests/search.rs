//! Search in a real browser: the box on every page finds roadmaps, topics,
//! resources and articles from the offline index.

mod common;

use common::TestSite;

#[test]
fn search_finds_topics_and_resources_in_a_real_browser() {
    let Some(report) = common::browser_report("search.mjs", &["linear algebra", "PyTorch", "Kaggle", "zzzz-nothing"])
    else {
        return;
    };
    let results = |query: &str| report["results"][query].as_array().unwrap().clone();

    let algebra = results("linear algebra");
    assert_eq!(algebra[0]["title"], "Linear Algebra", "{algebra:?}");
    assert_eq!(
        algebra[0]["href"],
        "./roadmaps/machine-learning/mathematics/linear-algebra/"
    );

    let pytorch = results("PyTorch");
    assert!(
        pytorch
            .iter()
            .any(|r| r["kind"] == "resource" && r["title"].as_str().unwrap().contains("PyTorch"))
    );
    assert!(pytorch.iter().any(|r| r["kind"] == "topic"), "{pytorch:?}");

    let kaggle = results("Kaggle");
    assert!(kaggle.len() >= 3, "{kaggle:?}");
    assert!(kaggle.iter().all(|r| r["href"].as_str().unwrap().starts_with("./")));

    assert!(results("zzzz-nothing").is_empty());
    assert_eq!(
        report["navigated"],
        "/roadmaps/machine-learning/mathematics/linear-algebra/"
    );
}

#[test]
fn search_index_lists_every_kind_of_page() {
    let site = TestSite::minimal();
    site.build().assert_ok();
    let index: serde_json::Value = serde_json::from_str(&site.output("search-index.json")).unwrap();
    let entries = index["entries"].as_array().unwrap();
    let kinds: std::collections::BTreeSet<&str> = entries.iter().map(|e| e[2].as_str().unwrap()).collect();
    for kind in ["roadmap", "phase", "topic", "resource", "article", "page"] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
    let resource = entries.iter().find(|e| e[2] == "resource").unwrap();
    assert_eq!(resource[1], "resources/#r-a-book");
    assert!(site.output("resources/index.html").contains("id=\"r-a-book\""));
}
