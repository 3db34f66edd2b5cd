//! Syntax highlighting at build time, as CSS classes, so one stylesheet can
//! carry a light and a dark theme and pages stay small.

use std::path::Path;
use std::sync::{Arc, OnceLock, RwLock};

use syntect::highlighting::{Color, Theme, ThemeSet};
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

mod store;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// bat's curated grammars (via two-face): syntect's own set lacks the
/// languages real roadmaps use (Dockerfile, TOML, TSX, Terraform, Kotlin…).
/// Loaded on the first code block, so a site without code never pays for it.
fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

/// The languages a fence may name, with the names that select them, sorted:
/// docs/languages.md is made from this (see its test).
#[cfg(test)]
fn languages() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = syntaxes()
        .syntaxes()
        .iter()
        .filter(|s| !s.hidden && !s.file_extensions.is_empty())
        .map(|s| (s.name.clone(), s.file_extensions.clone()))
        .collect();
    out.sort_by_key(|(name, _)| name.to_lowercase());
    out
}

fn themes() -> &'static ThemeSet {
    static SET: OnceLock<ThemeSet> = OnceLock::new();
    SET.get_or_init(ThemeSet::load_defaults)
}

/// The names `site.yaml` may give as `highlight.theme` and `dark_theme`.
pub fn theme_names() -> Vec<&'static str> {
    themes().themes.keys().map(String::as_str).collect()
}

/// The persistent cache of this process's site, when it has one.
static STORE: RwLock<Option<Arc<store::Store>>> = RwLock::new(None);

fn active_store() -> Option<Arc<store::Store>> {
    STORE.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Uses the highlight cache of the site at `root` for every code block this
/// process highlights from now on. `writable: false` reads it but never
/// writes (`check`).
pub fn use_cache(root: &Path, writable: bool) {
    *STORE.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(store::Store::open(root, writable)));
}

/// Writes what this run highlighted into the cache for the next run, and
/// starts a new run on the written file. A cache that cannot be written
/// costs only speed, so the error is for a warning.
pub fn save_cache() -> Result<(), String> {
    let Some(store) = active_store() else { return Ok(()) };
    let saved = store.save();
    if !matches!(saved, Ok(false)) {
        // The file changed (or this run's part of it is lost): start afresh from disk.
        use_cache(store.root(), true);
    }
    saved
        .map(|_| ())
        .map_err(|err| format!("cannot write the highlight cache {}: {err}", store.path().display()))
}

/// The highlighted HTML of a code block, LZ4-compressed until a page is
/// rendered: highlighted code is most of a big site's HTML and compresses
/// about fivefold, so the resolved site stays small; the cache stores the
/// same bytes, so a cached block is never decompressed until it is written.
#[derive(Debug, Clone)]
pub struct Packed(Arc<[u8]>);

impl Packed {
    fn pack(html: &str) -> Packed {
        Packed(lz4_flex::compress_prepend_size(html.as_bytes()).into())
    }

    pub fn feed(&self, hasher: &mut xxhash_rust::xxh3::Xxh3) {
        hasher.update(&(self.0.len() as u64).to_le_bytes());
        hasher.update(&self.0);
    }

    pub fn unpack_into(&self, out: &mut String) {
        // The bytes are ours, made by `pack` or checked against the cache
        // entry's checksum; still, a failure must not take the build down.
        match lz4_flex::decompress_size_prepended(&self.0).map(String::from_utf8) {
            Ok(Ok(html)) => out.push_str(&html),
            _ => out.push_str("<!-- waymark: this code block could not be unpacked -->"),
        }
    }
}

/// Highlighted HTML for a code block (the inside of `<code>`), or `None` when
/// the language is unknown and the caller should print the code plainly.
pub fn highlight(code: &str, language: &str) -> Option<Packed> {
    let Some(store) = active_store() else {
        return highlight_now(code, language).map(|html| Packed::pack(&html));
    };
    let key = store::key(language, code);
    if let Some(stored) = store.get(key) {
        return Some(Packed(stored.into()));
    }
    let packed = Packed::pack(&highlight_now(code, language)?);
    store.put(key, &packed.0);
    Some(packed)
}

fn highlight_now(code: &str, language: &str) -> Option<String> {
    let set = syntaxes();
    let syntax = set
        .find_syntax_by_token(language)
        .or_else(|| set.find_syntax_by_token(&language.to_ascii_lowercase()))?;
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        // An error here means the grammar itself is broken; fall back to plain text.
        generator.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(generator.finalize())
}

/// The stylesheet for highlighted code: the light theme, and the dark theme
/// under `prefers-color-scheme: dark` unless the page chose light
/// (`data-theme="light"` on `<html>`), or whenever it chose dark.
pub fn stylesheet(light: &str, dark: &str) -> Result<String, String> {
    let theme = |name: &str| {
        themes().themes.get(name).ok_or_else(|| {
            let mut known = theme_names();
            known.sort_unstable();
            let suggestion = crate::diag::closest(name, known.iter().copied())
                .map(|best| format!("did you mean `{best}`? "))
                .unwrap_or_default();
            format!(
                "unknown highlight theme `{name}`: {suggestion}known themes: {}",
                known.join(", ")
            )
        })
    };
    let light_css = css_for_theme_with_class_style(&readable(theme(light)?), CLASS_STYLE)
        .map_err(|e| format!("cannot make CSS for theme `{light}`: {e}"))?;
    let dark_css = css_for_theme_with_class_style(&readable(theme(dark)?), CLASS_STYLE)
        .map_err(|e| format!("cannot make CSS for theme `{dark}`: {e}"))?;
    Ok(format!(
        "/* Code highlighting: {light} (light), {dark} (dark). Generated by waymark. */\n{light_css}\n@media (prefers-color-scheme: dark) {{\n{}\n}}\n{}",
        scoped(&dark_css, ":root:not([data-theme=\"light\"])"),
        scoped(&dark_css, ":root[data-theme=\"dark\"]"),
    ))
}

/// Puts `scope` in front of every selector of syntect's CSS (one rule head
/// per line, ending in `{`), so the theme toggle can switch the dark rules.
fn scoped(css: &str, scope: &str) -> String {
    let mut out = String::with_capacity(css.len() * 2);
    for line in css.lines() {
        match line.trim_end().strip_suffix('{') {
            Some(selectors) if !line.trim_start().starts_with('@') => {
                let scoped: Vec<String> = selectors.split(',').map(|s| format!("{scope} {}", s.trim())).collect();
                out.push_str(&scoped.join(", "));
                out.push_str(" {");
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// WCAG AA for normal text.
const MIN_CONTRAST: f64 = 4.5;

/// A copy of the theme whose text colours all reach [`MIN_CONTRAST`] on its
/// background: many popular themes draw comments too faint to read, which
/// also fails accessibility checks. Colours are darkened (or lightened, on a
/// dark background) only as far as needed.
fn readable(theme: &Theme) -> Theme {
    let mut theme = theme.clone();
    let background = theme.settings.background.unwrap_or(Color::WHITE);
    if let Some(fg) = theme.settings.foreground.as_mut() {
        *fg = with_contrast(*fg, background);
    }
    for item in &mut theme.scopes {
        if let Some(fg) = item.style.foreground.as_mut() {
            *fg = with_contrast(*fg, item.style.background.unwrap_or(background));
        }
    }
    theme
}

fn luminance(c: Color) -> f64 {
    let channel = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
}

fn contrast(a: Color, b: Color) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn with_contrast(fg: Color, bg: Color) -> Color {
    let target = if luminance(bg) > 0.18 { 0u8 } else { 255u8 };
    let mut color = Color { a: 255, ..fg };
    for step in 1..=20 {
        if contrast(color, bg) >= MIN_CONTRAST {
            break;
        }
        let mix = |from: u8| {
            let t = f64::from(step) / 20.0;
            (f64::from(from) * (1.0 - t) + f64::from(target) * t).round() as u8
        };
        color = Color {
            r: mix(fg.r),
            g: mix(fg.g),
            b: mix(fg.b),
            a: 255,
        };
    }
    color
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/languages.md lists what the grammar set really holds; run with
    /// `WAYMARK_BLESS=1` to write it again after changing the set.
    #[test]
    fn the_languages_page_lists_the_grammars() {
        let mut page = String::from(
            "# Languages highlighted in code blocks\n\n\
             A fenced code block is highlighted when its language (the word after\n\
             ```` ``` ````) is one of the names below, in any letter case. The grammars\n\
             are bat's curated set (the `two-face` crate). `text`, `txt`, `plain`,\n\
             `plaintext`, `none` and `output` mean \"no highlighting\"; any other\n\
             unknown name is shown as plain text with a warning.\n\n\
             This page is generated from the grammar set by a test.\n\n\
             | language | names for the fence |\n| --- | --- |\n",
        );
        for (name, tokens) in languages() {
            let tokens: Vec<String> = tokens.iter().map(|t| format!("`{t}`")).collect();
            page.push_str(&format!(
                "| {} | {} |\n",
                name.replace('|', "\\|"),
                tokens.join(", ").replace('|', "\\|")
            ));
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/languages.md");
        if std::env::var_os("WAYMARK_BLESS").is_some() {
            std::fs::write(&path, &page).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            page,
            "run with WAYMARK_BLESS=1"
        );
        for wanted in [
            "dockerfile",
            "graphql",
            "jsx",
            "tsx",
            "toml",
            "tf",
            "hcl",
            "kt",
            "swift",
            "ps1",
            "vue",
            "svelte",
        ] {
            assert!(
                highlight_now("x = 1\n", wanted).is_some(),
                "{wanted} is not highlighted"
            );
        }
    }

    #[test]
    fn known_language_gets_classes() {
        let mut html = String::new();
        highlight("fn main() {}\n", "rust").unwrap().unpack_into(&mut html);
        assert!(html.contains("hl-"), "{html}");
        assert!(highlight("x", "no-such-language").is_none());
    }

    fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color { r, g, b, a: 255 }
    }

    #[test]
    fn faint_colours_are_made_readable() {
        let white = Color::WHITE;
        let grey = rgb(0x96, 0x98, 0x96);
        assert!(contrast(grey, white) < MIN_CONTRAST);
        assert!(contrast(with_contrast(grey, white), white) >= MIN_CONTRAST);
        let (dark, dim) = (rgb(0x2b, 0x30, 0x3b), rgb(0x65, 0x73, 0x7e));
        assert!(contrast(with_contrast(dim, dark), dark) >= MIN_CONTRAST);
        let black = rgb(0, 0, 0);
        assert_eq!(with_contrast(black, white), black, "good colours stay");
    }

    #[test]
    fn stylesheet_has_both_themes() {
        let css = stylesheet("InspiredGitHub", "base16-ocean.dark").unwrap();
        assert!(css.contains("prefers-color-scheme: dark"));
        assert!(css.contains(":root:not([data-theme=\"light\"]) .hl-code {"), "{css}");
        assert!(css.contains(":root[data-theme=\"dark\"] .hl-code {"), "{css}");
        let err = stylesheet("InspiredGithub", "base16-ocean.dark").unwrap_err();
        assert!(err.contains("did you mean `InspiredGitHub`?"), "{err}");
    }
}
