//! Page parts drawn from the model when a page is rendered (diagrams,
//! timelines, embedded JSON). The preview fingerprints every page on every
//! rebuild, and most pages do not change: a fingerprint takes what a part
//! is drawn from, never the drawing.

use serde::Serialize;

/// A part of a page, drawn by `draw` from `from` alone.
pub struct Drawn<T> {
    from: T,
    draw: fn(&T) -> String,
}

impl<T: Serialize> Drawn<T> {
    pub fn new(from: T, draw: fn(&T) -> String) -> Drawn<T> {
        Drawn { from, draw }
    }
}

impl<T: Serialize> Serialize for Drawn<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Only fingerprints use a binary serializer. A drawing is a function
        // of what it is drawn from, so that stands for it.
        if serializer.is_human_readable() {
            serializer.serialize_str(&(self.draw)(&self.from))
        } else {
            self.from.serialize(serializer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shout(text: &&str) -> String {
        text.to_uppercase()
    }

    #[test]
    fn a_template_gets_the_drawing_and_a_fingerprint_what_it_is_drawn_from() {
        let drawn = Drawn::new("quiet", shout);
        let mut tera = tera::Tera::default();
        tera.add_raw_templates([("t", "{{ part }}")]).unwrap();
        let page = tera::Context::from_serialize(&serde_json::json!({ "part": "" })).map(|mut page| {
            page.insert("part", &drawn);
            page
        });
        assert_eq!(tera.render("t", &page.unwrap()).unwrap(), "QUIET");
        assert_eq!(
            super::super::data_fingerprint(&drawn),
            super::super::data_fingerprint(&"quiet")
        );
        assert_ne!(
            super::super::data_fingerprint(&drawn),
            super::super::data_fingerprint(&Drawn::new("loud", shout))
        );
    }
}
