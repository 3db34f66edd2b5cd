//! Splitting a Markdown file into its YAML front matter and its body.

use std::ops::Range;

pub struct Split {
    pub yaml: Range<usize>,
    pub body: Range<usize>,
}

pub struct SplitError {
    pub message: String,
    pub hint: String,
    pub offset: usize,
}

/// Finds the front matter between a first line `---` and the next line
/// `---` (or `...`). Byte ranges index the original text.
pub fn split(text: &str) -> Result<Split, SplitError> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let first_line_end = text[start..].find('\n').map_or(text.len(), |i| start + i + 1);
    if text[start..first_line_end].trim_end() != "---" {
        return Err(SplitError {
            message: "missing front matter: the file must start with a line `---`".into(),
            hint: "start with `---`, then `title: …` (and `date: YYYY-MM-DD` for articles), then `---`".into(),
            offset: start,
        });
    }
    let mut line_start = first_line_end;
    while line_start < text.len() {
        let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i + 1);
        let line = text[line_start..line_end].trim_end();
        if line == "---" || line == "..." {
            return Ok(Split {
                yaml: first_line_end..line_start,
                body: line_end..text.len(),
            });
        }
        line_start = line_end;
    }
    Err(SplitError {
        message: "the front matter that starts here is never closed".into(),
        hint: "add a line `---` after the last front matter key".into(),
        offset: start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_body() {
        let text = "---\ntitle: x\n---\nBody\n";
        let split = split(text).ok().unwrap();
        assert_eq!(&text[split.yaml], "title: x\n");
        assert_eq!(&text[split.body], "Body\n");
    }

    #[test]
    fn crlf_and_bom() {
        let text = "\u{feff}---\r\ntitle: x\r\n---\r\nBody";
        let split = split(text).ok().unwrap();
        assert_eq!(&text[split.yaml], "title: x\r\n");
        assert_eq!(&text[split.body], "Body");
    }

    #[test]
    fn unclosed_and_missing() {
        assert!(split("---\ntitle: x\nBody\n").is_err_and(|e| e.message.contains("never closed")));
        assert!(split("title: x\n").is_err_and(|e| e.message.contains("missing front matter")));
    }
}
