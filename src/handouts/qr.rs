//! QR codes as inline SVG, drawn at build time: one `<path>` of unit
//! squares on a white quiet zone, so it prints crisply at any size.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Modules of quiet zone around the code (the standard asks for four).
const QUIET: usize = 4;

/// An inline SVG QR code for `text`, labelled for screen readers; `None`
/// when the text is too long for a QR code.
pub fn svg(text: &str, label: &str) -> Option<String> {
    // The preview renders every handout on each edit, and choosing a QR
    // code's mask is costly; the same URL always gives the same code.
    static DRAWN: Mutex<BTreeMap<(String, String), Option<String>>> = Mutex::new(BTreeMap::new());
    let key = (text.to_owned(), label.to_owned());
    if let Some(svg) = DRAWN.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return svg.clone();
    }
    let svg = draw(text, label);
    DRAWN.lock().unwrap_or_else(|p| p.into_inner()).insert(key, svg.clone());
    svg
}

fn draw(text: &str, label: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET;
    let mut path = String::with_capacity(width * width * 4);
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    Some(format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"{label}\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>",
        label = escape(label)
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_a_square_code_with_a_quiet_zone() {
        let svg = super::svg("https://example.org/roadmaps/a/b/", "QR code of <b>").unwrap();
        assert!(svg.starts_with("<svg"));
        // 33 bytes at level M need version 3: 29 modules, plus 4 on each side.
        assert!(svg.contains("viewBox=\"0 0 37 37\""), "{svg}");
        assert!(svg.contains("aria-label=\"QR code of &lt;b&gt;\""));
        assert!(!svg.contains("M0 0h1"), "the quiet zone stays white");
    }
}
