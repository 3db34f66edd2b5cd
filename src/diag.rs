//! Diagnostics: what went wrong, where (file and byte span), and what to do
//! about it. Every stage reports into these types so that one run can show
//! every error of a site at once, on the terminal or in the preview overlay.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::{self, Files};
use codespan_reporting::term::{self, termcolor};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u32);

impl FileId {
    /// Its place in the [`SourceMap`], for tables indexed by file.
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// One source file as it was read: its path (relative to the site root, for
/// messages) and its text, with line starts for turning offsets into lines.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// Byte offset of a 1-based line and column (in characters); clamped to the text.
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        rest[..line_end]
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(start + line_end, |(i, _)| start + i)
    }
}

/// Every file read during a run, so diagnostics can quote them. Files are
/// shared, so the preview can keep an unchanged file from one load to the
/// next without copying it.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<std::sync::Arc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.add_shared(std::sync::Arc::new(file))
    }

    pub fn add_shared(&mut self, file: std::sync::Arc<SourceFile>) -> FileId {
        self.files.push(file);
        FileId(u32::try_from(self.files.len() - 1).expect("fewer than 4 billion files"))
    }

    pub(crate) fn shared(&self, id: FileId) -> &std::sync::Arc<SourceFile> {
        &self.files[id.0 as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// Where a diagnostic points: a byte range of a file in the [`SourceMap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub file: FileId,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Self {
        Span { file, range }
    }

    pub fn at(file: FileId, offset: usize) -> Self {
        Span {
            file,
            range: offset..offset,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// The file and place, when the problem is in a source file.
    pub span: Option<Span>,
    /// A path to name when there is no span (a folder, an unreadable file).
    pub path: Option<PathBuf>,
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            path: None,
            hints: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `path:line:col`, or the path alone, or nothing.
    pub fn location(&self, sources: &SourceMap) -> Option<String> {
        match (&self.span, &self.path) {
            (Some(span), _) => {
                let file = sources.get(span.file);
                let (line, col) = file.line_col(span.range.start);
                Some(format!("{}:{line}:{col}", file.path.display()))
            }
            (None, Some(path)) => Some(path.display().to_string()),
            (None, None) => None,
        }
    }

    /// A one-line form, `path:line:col: error: message (hint)`, for logs and tests.
    pub fn one_line(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        if let Some(loc) = self.location(sources) {
            out.push_str(&loc);
            out.push_str(": ");
        }
        out.push_str(match self.severity {
            Severity::Error => "error: ",
            Severity::Warning => "warning: ",
        });
        out.push_str(&self.message);
        for hint in &self.hints {
            out.push_str(" — ");
            out.push_str(hint);
        }
        out
    }
}

/// The diagnostics of one run. Stages push into it and keep going, so that a
/// site with ten mistakes shows all ten.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(diagnostics);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Errors first, each kind in file order, so the output reads top to bottom.
    pub fn sort(&mut self, sources: &SourceMap) {
        self.items.sort_by_cached_key(|d| {
            let place = d
                .span
                .as_ref()
                .map(|s| (sources.get(s.file).path.clone(), s.range.start, s.range.end));
            let path = d.path.clone();
            (
                d.severity,
                place.clone().map(|p| p.0).or(path),
                place.map(|p| (p.1, p.2)),
            )
        });
        self.items
            .dedup_by(|a, b| a.message == b.message && a.span == b.span && a.path == b.path);
    }

    /// Prints every diagnostic with the source line it points at.
    pub fn emit(&self, sources: &SourceMap, color: bool) {
        let choice = if color {
            termcolor::ColorChoice::Auto
        } else {
            termcolor::ColorChoice::Never
        };
        let mut stderr = termcolor::StandardStream::stderr(choice);
        for diagnostic in &self.items {
            render(diagnostic, sources, &mut stderr);
        }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(items: Vec<Diagnostic>) -> Self {
        Diagnostics { items }
    }
}

fn render(diagnostic: &Diagnostic, sources: &SourceMap, out: &mut dyn termcolor::WriteColor) {
    let mut cs = match diagnostic.severity {
        Severity::Error => CsDiagnostic::error(),
        Severity::Warning => CsDiagnostic::warning(),
    };
    let mut message = diagnostic.message.clone();
    match &diagnostic.span {
        Some(span) => {
            let file = sources.get(span.file);
            let end = span.range.end.max(span.range.start).min(file.text.len());
            let start = span.range.start.min(end);
            cs = cs.with_labels(vec![Label::primary(span.file, start..end)]);
        }
        None => {
            if let Some(path) = &diagnostic.path {
                message = format!("{}: {message}", path.display());
            }
        }
    }
    cs = cs
        .with_message(message)
        .with_notes(diagnostic.hints.iter().map(|h| format!("hint: {h}")).collect());
    let config = term::Config::default();
    // Writing to a terminal or a Vec only fails if stderr is gone; nothing to do then.
    let _ = term::emit_to_write_style(out, &config, sources, &cs);
}

impl<'a> Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = String;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<String, files::Error> {
        Ok(self.get(id).path.display().to_string())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, files::Error> {
        Ok(&self.get(id).text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, files::Error> {
        Ok(self.get(id).line_col(byte_index).0 - 1)
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, files::Error> {
        let file = self.get(id);
        let start = *file.line_starts.get(line_index).ok_or(files::Error::LineTooLarge {
            given: line_index,
            max: file.line_starts.len() - 1,
        })?;
        let end = file.line_starts.get(line_index + 1).copied().unwrap_or(file.text.len());
        Ok(start..end)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// The known name closest to `unknown`, if any is close enough to be a typo.
pub fn closest<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(unknown, k), k))
        .filter(|&(distance, k)| distance <= (k.len().max(unknown.len()) / 3).max(2))
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let file = SourceFile::new("x".into(), "ab\ncé d\n".into());
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(3), (2, 1));
        // "é" is two bytes: the space after it is the third character.
        assert_eq!(file.line_col(6), (2, 3));
        assert_eq!(file.offset(2, 3), 6);
        assert_eq!(file.offset(9, 1), file.text.len());
    }

    #[test]
    fn closest_suggests_typos_only() {
        let keys = ["title", "summary", "duration"];
        assert_eq!(closest("tittle", keys), Some("title"));
        assert_eq!(closest("durration", keys), Some("duration"));
        assert_eq!(closest("colour", keys), None);
    }
}
