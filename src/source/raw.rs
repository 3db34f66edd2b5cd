//! Raw types that mirror the files authors write, key for key. Unknown keys
//! are refused here; values are checked and typed in `resolve`.

use serde::Deserialize;

use crate::model::{Extra, Paper};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub title: String,
    pub base_url: String,
    pub description: Option<String>,
    pub language: Option<String>,
    pub author: Option<String>,
    pub highlight: Option<RawHighlight>,
    pub handouts: Option<RawHandouts>,
    pub markdown: Option<RawMarkdownConfig>,
    #[serde(default)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHighlight {
    pub theme: Option<String>,
    pub dark_theme: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHandouts {
    pub paper: Option<Paper>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMarkdownConfig {
    pub allow_html: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoadmap {
    pub title: String,
    pub summary: Option<String>,
    pub audience: Option<String>,
    pub order: Option<i64>,
    #[serde(default)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub title: String,
    pub duration: Option<Scalar>,
    pub weekly_hours: Option<Scalar>,
    pub summary: Option<String>,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub topics: Vec<RawTopic>,
    pub milestone: Option<String>,
    pub assessment: Option<String>,
    #[serde(default)]
    pub projects: Vec<RawProject>,
    #[serde(default)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub id: String,
    pub title: String,
    pub duration: Option<Scalar>,
    #[serde(default)]
    pub optional: bool,
    pub summary: Option<String>,
    pub why: Option<String>,
    #[serde(default)]
    pub learn: Vec<String>,
    #[serde(default)]
    pub resources: Vec<RawResource>,
    #[serde(default)]
    pub exercises: Vec<String>,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResource {
    pub title: String,
    pub by: Option<String>,
    pub url: Option<String>,
    /// Checked while resolving, so that every bad value of a file is
    /// reported in one run, not only the first.
    pub kind: Option<Scalar>,
    pub cost: Option<Scalar>,
    pub note: Option<String>,
    #[serde(default)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProject {
    pub title: String,
    pub description: Option<String>,
    #[serde(default)]
    pub extra: Extra,
}

/// Front matter of an article, a standalone page or a roadmap's extra page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFrontMatter {
    pub title: String,
    pub subtitle: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub date: Option<Scalar>,
    pub updated: Option<Scalar>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub roadmap: Option<String>,
    #[serde(default)]
    pub draft: bool,
    pub hero_image: Option<String>,
    #[serde(default)]
    pub extra: Extra,
}

/// A value authors may write as a number or as text (`25`, `"20-30"`,
/// `2025-03-03`); its meaning is checked later, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a piece of text")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}
