//! Where a value of a loaded file sits, for error messages. Markdown bodies
//! know their offsets; YAML values are found on demand (only on error paths).

use std::ops::Range;

use crate::diag::{FileId, SourceMap, Span};
use crate::source::yaml::{self, Step};

/// The origin of a piece of text: a YAML value of a file (by path), or the
/// Markdown body of a file.
#[derive(Debug, Clone)]
pub enum Origin {
    Yaml {
        file: FileId,
        /// Byte range of the YAML in the file (front matter or whole file).
        yaml: Range<usize>,
        path: Vec<Step>,
    },
    Body {
        file: FileId,
        start: usize,
    },
}

impl Origin {
    pub fn yaml(file: FileId, yaml: Range<usize>, path: Vec<Step>) -> Origin {
        Origin::Yaml { file, yaml, path }
    }

    pub fn file(&self) -> FileId {
        match self {
            Origin::Yaml { file, .. } | Origin::Body { file, .. } => *file,
        }
    }

    /// A child value: `topics[2]` → `topics[2].why`. Bodies have no children.
    pub fn child(&self, step: Step) -> Origin {
        match self {
            Origin::Yaml { file, yaml, path } => {
                let mut path = path.clone();
                path.push(step);
                Origin::Yaml {
                    file: *file,
                    yaml: yaml.clone(),
                    path,
                }
            }
            body => body.clone(),
        }
    }

    /// Where the value itself starts.
    pub fn span(&self, map: &SourceMap) -> Span {
        match self {
            Origin::Body { file, start } => Span::at(*file, *start),
            Origin::Yaml { file, yaml, path } => Span::at(*file, value_offset(map, *file, yaml, path)),
        }
    }

    /// Where `range` of the value's text (as parsed) sits in the file.
    pub fn span_within(&self, map: &SourceMap, value: &str, range: Range<usize>) -> Span {
        match self {
            Origin::Body { file, start } => Span::new(*file, start + range.start..start + range.end),
            Origin::Yaml { file, yaml, path } => {
                let base = value_offset(map, *file, yaml, path);
                let text = &map.get(*file).text;
                let (Some(needle), Some(before)) = (value.get(range.clone()), value.get(..range.start)) else {
                    return Span::at(*file, base);
                };
                // Scalars may be quoted, folded or indented, so offsets inside
                // the value do not map 1:1; the same text, counted from the
                // value's start, does.
                let nth = before.matches(needle).count();
                let end_of_yaml = yaml.end.max(base);
                let found = text
                    .get(base..end_of_yaml)
                    .and_then(|rest| rest.match_indices(needle).nth(nth))
                    .map(|(i, _)| base + i);
                match found {
                    Some(start) => Span::new(*file, start..start + needle.len()),
                    None => Span::at(*file, base),
                }
            }
        }
    }
}

fn value_offset(map: &SourceMap, file: FileId, yaml_range: &Range<usize>, path: &[Step]) -> usize {
    let source = map.get(file);
    let yaml_text = &source.text[yaml_range.clone()];
    match yaml::locate(yaml_text, path) {
        Some((line, col)) => {
            let first_line = source.line_col(yaml_range.start).0;
            source.offset(first_line + line - 1, col)
        }
        None => yaml_range.start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;

    #[test]
    fn finds_text_inside_block_scalars_of_front_matter() {
        let mut map = SourceMap::default();
        let text = "---\ntitle: x\nsummary: |\n  First line\n  See [a](@topic:x).\n---\nbody\n";
        let file = map.add(SourceFile::new("a.md".into(), text.into()));
        let yaml = 4..text.find("---\nbody").unwrap();
        let origin = Origin::yaml(file, yaml, vec![Step::Key("summary")]);
        let value = "First line\nSee [a](@topic:x).\n";
        let start = value.find('@').unwrap();
        let span = origin.span_within(&map, value, start..start + 8);
        assert_eq!(map.get(file).line_col(span.range.start), (5, 11));
        assert_eq!(map.get(file).line_col(origin.span(&map).range.start), (3, 10));
    }
}
