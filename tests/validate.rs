//! The built-in site and an `init` site are valid HTML, as judged by the Nu
//! HTML checker (vnu), the W3C's own validator.

mod common;

use std::process::Command;

use common::{TestSite, browser_dir, have_command, repo, require};

fn vnu_errors(site_dir: &std::path::Path) -> Vec<String> {
    let jar = browser_dir().join("node_modules/vnu-jar/build/dist/vnu.jar");
    let out = Command::new("java")
        .args([
            "-jar",
            jar.to_str().unwrap(),
            "--errors-only",
            "--format",
            "json",
            "--exit-zero-always",
            "--skip-non-html",
        ])
        .arg(site_dir)
        .output()
        .expect("run vnu");
    let report: serde_json::Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|e| panic!("vnu output is not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "error")
        .map(|m| format!("{}:{}: {}", m["url"], m["lastLine"], m["message"]))
        .collect()
}

fn vnu_available() -> bool {
    require("java", have_command("java"))
        && require(
            "vnu.jar (npm packages of tests/browser)",
            common::npm_packages() && browser_dir().join("node_modules/vnu-jar/build/dist/vnu.jar").exists(),
        )
}

#[test]
fn builtin_and_init_sites_are_valid_html() {
    if !vnu_available() {
        return;
    }
    let site = TestSite::empty();
    site.run(&["build", "--root", repo().to_str().unwrap(), "--output", "builtin"])
        .assert_ok();
    site.run(&["init", "fresh"]).assert_ok();
    site.run(&["build", "--root", "fresh", "--output", "fresh-out"])
        .assert_ok();
    let mut errors = vnu_errors(&site.path("builtin"));
    errors.extend(vnu_errors(&site.path("fresh-out")));
    assert!(
        errors.is_empty(),
        "{} HTML errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
