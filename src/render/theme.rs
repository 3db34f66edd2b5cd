//! The theme: built-in templates and static files compiled into the binary,
//! overridden file by file by the site's own `templates/` and `static/`.

use std::collections::HashMap;

use include_dir::{Dir, include_dir};
use tera::Tera;

use crate::diag::Diagnostic;
use crate::source::Template;

static BUILTIN_TEMPLATES: Dir = include_dir!("$CARGO_MANIFEST_DIR/templates");
static BUILTIN_STATIC: Dir = include_dir!("$CARGO_MANIFEST_DIR/static");

/// Where a template came from, for error messages.
#[derive(Debug, Clone)]
pub enum TemplateOrigin {
    BuiltIn,
    Site(std::path::PathBuf),
}

pub struct Theme {
    pub tera: Tera,
    origins: HashMap<String, TemplateOrigin>,
    /// Template name → hash of its text and of every template it uses.
    fingerprints: HashMap<String, u64>,
}

impl Theme {
    /// The built-in templates with the site's overrides on top.
    pub fn load(overrides: &[Template]) -> Result<Theme, Vec<Diagnostic>> {
        let mut templates: Vec<(String, String)> = builtin_templates().collect();
        let mut origins: HashMap<String, TemplateOrigin> = templates
            .iter()
            .map(|(name, _)| (name.clone(), TemplateOrigin::BuiltIn))
            .collect();
        for template in overrides {
            origins.insert(template.name.clone(), TemplateOrigin::Site(template.path.clone()));
            match templates.iter_mut().find(|(name, _)| *name == template.name) {
                Some(slot) => slot.1.clone_from(&template.text),
                None => templates.push((template.name.clone(), template.text.clone())),
            }
        }
        let mut tera = new_tera();
        match tera.add_raw_templates(templates.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
            Ok(()) => Ok(Theme {
                tera,
                origins,
                fingerprints: fingerprints(&templates),
            }),
            Err(first) => {
                let theme = Theme {
                    tera: new_tera(),
                    origins,
                    fingerprints: HashMap::new(),
                };
                Err(theme.load_errors(&first, overrides))
            }
        }
    }

    /// Every template that fails on its own, so one run shows them all.
    fn load_errors(&self, first: &tera::Error, overrides: &[Template]) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        for template in overrides {
            let mut tera = new_tera();
            let mut set: Vec<(String, String)> = builtin_templates().collect();
            set.retain(|(name, _)| *name != template.name);
            set.push((template.name.clone(), template.text.clone()));
            if let Err(err) = tera.add_raw_templates(set.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
                errors.push(self.diagnostic(&template.name, &err, None));
            }
        }
        if errors.is_empty() {
            errors.push(self.diagnostic("", first, None));
        }
        errors
    }

    /// A template error as a diagnostic that names the template's file and,
    /// when rendering, the page being rendered.
    pub fn diagnostic(&self, template: &str, err: &tera::Error, page: Option<&str>) -> Diagnostic {
        let mut report = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            report.push_str(&format!("\ncaused by: {inner}"));
            source = inner.source();
        }
        // Tera names templates; say which file that is.
        for (name, origin) in &self.origins {
            let shown = match origin {
                TemplateOrigin::BuiltIn => format!("(built-in template) {name}"),
                TemplateOrigin::Site(_) => format!("templates/{name}"),
            };
            report = report.replace(&format!("--> {name}:"), &format!("--> {shown}:"));
        }
        let mut message = match page {
            Some(page) => format!("cannot render {page} with template `{template}`"),
            None if template.is_empty() => "a template has an error".to_owned(),
            None => format!("template `{template}` has an error"),
        };
        message.push('\n');
        message.push_str(report.trim_end());
        let mut diagnostic = Diagnostic::error(message);
        if let Some(TemplateOrigin::Site(path)) = self.origins.get(template) {
            diagnostic = diagnostic.with_path(path.clone());
        }
        diagnostic
    }

    /// Changes when the template or anything it extends or includes changes.
    pub fn fingerprint(&self, name: &str) -> u64 {
        self.fingerprints.get(name).copied().unwrap_or_default()
    }
}

/// Fingerprints of every template: its own text plus, transitively, the
/// templates named in its `extends`, `include` and `import` tags. Components
/// are global in Tera 2, so templates defining them count for everyone.
fn fingerprints(templates: &[(String, String)]) -> HashMap<String, u64> {
    use std::hash::{Hash, Hasher};
    let texts: HashMap<&str, &str> = templates.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let hash = |text: &str| {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        text.hash(&mut hasher);
        hasher.finish()
    };
    let components = templates
        .iter()
        .filter(|(_, text)| text.contains("{% component") || text.contains("{%- component"))
        .fold(0u64, |acc, (_, text)| acc ^ hash(text));
    let mut out = HashMap::new();
    for (name, _) in templates {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![name.as_str()];
        let mut combined = xxhash_rust::xxh3::Xxh3::new();
        components.hash(&mut combined);
        while let Some(current) = stack.pop() {
            if !seen.insert(current) {
                continue;
            }
            if let Some(text) = texts.get(current) {
                current.hash(&mut combined);
                hash(text).hash(&mut combined);
                stack.extend(used_templates(text));
            }
        }
        out.insert(name.clone(), combined.finish());
    }
    out
}

/// Template names in `{% extends "…" %}`, `{% include "…" %}`, `{% import "…" %}`.
fn used_templates(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for tag in text.split("{%").skip(1) {
        let tag = tag.trim_start_matches('-').trim_start();
        let rest = ["extends", "include", "import"]
            .iter()
            .find_map(|keyword| tag.strip_prefix(keyword));
        if let Some(rest) = rest {
            let rest = rest.trim_start();
            if let Some(quote) = rest.chars().next().filter(|c| matches!(c, '"' | '\'' | '`')) {
                if let Some(end) = rest[1..].find(quote) {
                    names.push(&rest[1..=end]);
                }
            }
        }
    }
    names
}

/// Warnings for site templates that override no built-in template and that
/// no template uses, when their name is close to a built-in one: most likely
/// a misspelt override (`articel.html`) that silently changes nothing.
pub fn stray_overrides(overrides: &[Template]) -> Vec<Diagnostic> {
    // Runs on every rebuild of `serve`; most sites override nothing.
    if overrides.is_empty() {
        return Vec::new();
    }
    let builtin: Vec<(String, String)> = builtin_templates().collect();
    let used: std::collections::HashSet<&str> = builtin
        .iter()
        .map(|(_, text)| text.as_str())
        .chain(overrides.iter().map(|t| t.text.as_str()))
        .flat_map(used_templates)
        .collect();
    overrides
        .iter()
        .filter(|t| !builtin.iter().any(|(name, _)| *name == t.name) && !used.contains(t.name.as_str()))
        .filter_map(|t| {
            let best = crate::diag::closest(&t.name, builtin.iter().map(|(name, _)| name.as_str()))?;
            Some(
                Diagnostic::warning(format!(
                    "this template overrides no built-in template and no template uses it, so it changes nothing; did you mean `{best}`?"
                ))
                .with_path(std::path::Path::new("templates").join(&t.name))
                .with_hint(format!("rename it to templates/{best} to replace the built-in one")),
            )
        })
        .collect()
}

fn new_tera() -> Tera {
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".xml", ".htm"]);
    tera
}

fn builtin_templates() -> impl Iterator<Item = (String, String)> {
    files_of(&BUILTIN_TEMPLATES)
        .filter_map(|(name, bytes)| std::str::from_utf8(bytes).ok().map(|text| (name, text.to_owned())))
}

/// The built-in static files: `(relative path, contents)`.
pub fn builtin_static() -> impl Iterator<Item = (String, &'static [u8])> {
    files_of(&BUILTIN_STATIC)
}

fn files_of(dir: &'static Dir<'static>) -> impl Iterator<Item = (String, &'static [u8])> {
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for file in dir.files() {
            let name = file.path().to_string_lossy().replace('\\', "/");
            let base = name.rsplit('/').next().unwrap_or(&name);
            if !crate::source::is_ignored_name(base) {
                out.push((name, file.contents()));
            }
        }
        stack.extend(dir.dirs());
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_fingerprints_follow_extends_and_include() {
        let set = |base: &str| {
            vec![
                ("base.html".to_owned(), base.to_owned()),
                (
                    "page.html".to_owned(),
                    "{% extends \"base.html\" %}{% include 'part.html' %}".to_owned(),
                ),
                ("part.html".to_owned(), "part".to_owned()),
                ("other.html".to_owned(), "alone".to_owned()),
            ]
        };
        let a = fingerprints(&set("one"));
        let b = fingerprints(&set("two"));
        assert_ne!(a["page.html"], b["page.html"]);
        assert_ne!(a["base.html"], b["base.html"]);
        assert_eq!(a["other.html"], b["other.html"]);
        assert_eq!(a["part.html"], b["part.html"]);
    }
}
