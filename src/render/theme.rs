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
            Ok(()) => Ok(Theme { tera, origins }),
            Err(first) => {
                let theme = Theme {
                    tera: new_tera(),
                    origins,
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

    pub fn has(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }
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

/// The built-in templates, for `waymark init` and for tests.
pub fn builtin_template_names() -> Vec<String> {
    builtin_templates().map(|(name, _)| name).collect()
}
