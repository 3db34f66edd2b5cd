//! The roadmap diagram: phases along a spine with their topics beside them,
//! and the `requires` edges that say more than "the step before", drawn as
//! inline SVG at build time. Laid out from the data alone: a wide variant
//! (a column per phase) and a narrow one (one column, edges as arcs in a
//! gutter) that CSS swaps, so phones reflow instead of shrinking text.
//!
//! Every node is a real link in reading order (SVG document order), with
//! the `data-topic` / `data-phase` keys of the progress contract; colours
//! come from CSS classes, so dark mode and print follow the stylesheet.

use std::fmt::Write;

use serde::Serialize;

use super::svg::{esc, num, text_lines, wrap};
use crate::model::{NodeId, Site};

/// One roadmap as the diagram sees it: titles, links and edges, no coordinates.
#[derive(Debug, Clone, Serialize)]
pub struct Graph {
    pub title: String,
    pub phases: Vec<PhaseNode>,
    /// Prerequisite → the phase or topic that requires it, only those not
    /// implied by reading order.
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseNode {
    /// `roadmap/phase`, the progress key.
    pub key: String,
    pub number: u64,
    pub title: String,
    pub href: String,
    /// Duration and weekly hours, as the overview writes them.
    pub meta: String,
    pub topics: Vec<TopicNode>,
    pub external: Vec<External>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicNode {
    pub key: String,
    pub title: String,
    pub href: String,
    pub optional: bool,
    pub external: Vec<External>,
}

/// A prerequisite in another roadmap, drawn as a small link under what needs it.
#[derive(Debug, Clone, Serialize)]
pub struct External {
    pub key: String,
    pub is_phase: bool,
    pub title: String,
    pub roadmap: String,
    pub href: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum End {
    Phase(usize),
    Topic(usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: End,
    pub to: End,
}

impl Graph {
    /// The diagram's view of roadmap `r`, with links relative to `root`.
    pub fn of(site: &Site, r: usize, root: &str) -> Graph {
        let roadmap = &site.roadmaps[r];
        let external = |node: NodeId| External {
            key: site.qualified_id(node),
            is_phase: matches!(node, NodeId::Phase(..)),
            title: site.title(node).to_owned(),
            roadmap: match node {
                NodeId::Phase(o, _) | NodeId::Topic(o, ..) => site.roadmaps[o].title.clone(),
                _ => String::new(),
            },
            href: format!("{root}{}", site.path(node).as_str()),
        };
        // Where a prerequisite sits in this roadmap, if it does.
        let local = |node: NodeId| match node {
            NodeId::Phase(o, q) if o == r => Some(End::Phase(q)),
            NodeId::Topic(o, q, u) if o == r => Some(End::Topic(q, u)),
            _ => None,
        };
        let mut edges = Vec::new();
        let mut phases = Vec::new();
        for (p, phase) in roadmap.phases.iter().enumerate() {
            let mut phase_external = Vec::new();
            for &req in &phase.requires {
                match local(req) {
                    // The previous phase is what the spine already says.
                    Some(End::Phase(q)) if q + 1 == p => {}
                    Some(from) => edges.push(Edge {
                        from,
                        to: End::Phase(p),
                    }),
                    None if matches!(req, NodeId::Phase(..) | NodeId::Topic(..)) => {
                        phase_external.push(external(req));
                    }
                    None => {}
                }
            }
            let mut topics = Vec::new();
            for (t, topic) in phase.topics.iter().enumerate() {
                let mut topic_external = Vec::new();
                for &req in &topic.requires {
                    match local(req) {
                        // The topic just above is what the list order already says.
                        Some(End::Topic(q, u)) if q == p && u + 1 == t => {}
                        Some(End::Phase(q)) if q == p => {}
                        Some(from) => edges.push(Edge {
                            from,
                            to: End::Topic(p, t),
                        }),
                        None if matches!(req, NodeId::Phase(..) | NodeId::Topic(..)) => {
                            topic_external.push(external(req));
                        }
                        None => {}
                    }
                }
                topics.push(TopicNode {
                    key: format!("{}/{}", roadmap.id, topic.id),
                    title: topic.title.clone(),
                    href: format!("{root}{}", topic.path.as_str()),
                    optional: topic.optional,
                    external: topic_external,
                });
            }
            let meta = match (phase.duration, phase.weekly_hours) {
                (Some(d), Some(h)) => format!("{d} · {h} h/week"),
                (Some(d), None) => d.to_string(),
                (None, Some(h)) => format!("{h} h/week"),
                (None, None) => String::new(),
            };
            phases.push(PhaseNode {
                key: format!("{}/{}", roadmap.id, phase.id),
                number: phase.number,
                title: phase.title.clone(),
                href: format!("{root}{}", phase.path.as_str()),
                meta,
                topics,
                external: phase_external,
            });
        }
        Graph {
            title: roadmap.title.clone(),
            phases,
            edges,
        }
    }

    fn topic_count(&self) -> usize {
        self.phases.iter().map(|p| p.topics.len()).sum()
    }

    /// What the whole picture is, for its accessible name.
    fn label(&self) -> String {
        format!(
            "Diagram of {}: {} phases, {} topics",
            self.title,
            self.phases.len(),
            self.topic_count()
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Phase,
    Topic,
    External,
}

/// A placed node: a link with a box and wrapped text.
#[derive(Debug, Clone)]
struct Node {
    kind: Kind,
    end: Option<End>,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    lines: Vec<String>,
    meta: Vec<String>,
    /// The accessible name.
    label: String,
    href: String,
    /// `data-topic` or `data-phase` key.
    key: String,
    optional: bool,
    /// The phase number; for an external node, 1 when it is a phase.
    number: u64,
    /// Where the title's first baseline starts, from the box's corner.
    text_at: (f64, f64),
    /// The font size the title was wrapped for.
    size: f64,
}

impl Node {
    fn right(&self) -> f64 {
        self.x + self.w
    }
    fn middle(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

/// A laid-out picture: nodes in reading order, then what is drawn behind them.
#[derive(Debug)]
struct Scene {
    class: &'static str,
    width: f64,
    height: f64,
    nodes: Vec<Node>,
    /// Spine, ticks and edges, drawn first so nodes cover them.
    lines: String,
    edges: String,
}

impl Scene {
    fn find(&self, end: End) -> Option<&Node> {
        self.nodes.iter().find(|n| n.end == Some(end))
    }

    fn svg(&self, label: &str) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg class="wm-diagram {}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="group" aria-label="{}">"#,
            self.class,
            esc(label),
            w = num(self.width),
            h = num(self.height),
        );
        let _ = write!(
            out,
            r#"<g class="wm-lines" aria-hidden="true">{}</g><g class="wm-edges" aria-hidden="true">{}</g>"#,
            self.lines, self.edges
        );
        for node in &self.nodes {
            node.svg(&mut out);
        }
        out.push_str("</svg>");
        out
    }
}

const PHASE_SIZE: f64 = 15.0;
const TOPIC_SIZE: f64 = 13.5;
const EXT_SIZE: f64 = 12.0;
/// Columns are narrow: the wide variant's text is a little smaller (see style.css).
const WIDE_TOPIC_SIZE: f64 = 12.5;
const WIDE_PHASE_SIZE: f64 = 13.0;

impl Node {
    fn svg(&self, out: &mut String) {
        let (class, attr) = match self.kind {
            Kind::Phase => ("wm-node wm-phase", "data-phase"),
            Kind::Topic if self.optional => ("wm-node wm-topic wm-optional", "data-topic"),
            Kind::Topic => ("wm-node wm-topic", "data-topic"),
            Kind::External if self.number == 1 => ("wm-node wm-ext", "data-phase"),
            Kind::External => ("wm-node wm-ext", "data-topic"),
        };
        let _ = write!(
            out,
            // The accessible name is the <title>, the full title: what is
            // drawn may be cut short, so an aria-label would not match it.
            r#"<a class="{class}" href="{}" {attr}="{}"><title>{}</title>"#,
            esc(&self.href),
            esc(&self.key),
            esc(&self.label)
        );
        match self.kind {
            Kind::Phase => {
                let _ = write!(
                    out,
                    r#"<rect class="wm-box" x="{}" y="{}" width="{}" height="{}" rx="10"/>"#,
                    num(self.x),
                    num(self.y),
                    num(self.w),
                    num(self.h)
                );
                // The number sits on the spine; the title beside or under it.
                let (cx, cy) = (self.x + 20.0, self.y + 20.0);
                let _ = write!(
                    out,
                    r#"<circle class="wm-step" cx="{}" cy="{}" r="14"/><text class="wm-step-n" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                    num(cx),
                    num(cy),
                    num(cx),
                    num(cy + 4.5),
                    self.number
                );
                let (tx, ty) = (self.x + self.text_at.0, self.y + self.text_at.1);
                text_lines(out, "wm-title", tx, ty, 19.0, &self.lines);
                if !self.meta.is_empty() {
                    let y = ty + 19.0 * self.lines.len() as f64 - 1.0;
                    text_lines(out, "wm-meta", tx, y, 15.0, &self.meta);
                }
            }
            Kind::Topic => {
                let _ = write!(
                    out,
                    r#"<rect class="wm-box" x="{}" y="{}" width="{}" height="{}" rx="8"/>"#,
                    num(self.x),
                    num(self.y),
                    num(self.w),
                    num(self.h)
                );
                text_lines(out, "wm-title", self.x + 10.0, self.y + 20.0, 17.0, &self.lines);
                if !self.meta.is_empty() {
                    let y = self.y + 20.0 + 17.0 * self.lines.len() as f64 - 1.0;
                    text_lines(out, "wm-meta", self.x + 10.0, y, 15.0, &self.meta);
                }
                // A tick shown only when the progress script marks it done.
                let (cx, cy) = (self.right() - 3.0, self.y + 3.0);
                let _ = write!(
                    out,
                    r#"<g class="wm-done" aria-hidden="true"><circle cx="{}" cy="{}" r="7"/><path d="M{} {}l2.5 2.5 4.5-5"/></g>"#,
                    num(cx),
                    num(cy),
                    num(cx - 3.5),
                    num(cy),
                );
            }
            Kind::External => {
                let _ = write!(
                    out,
                    r#"<rect class="wm-box" x="{}" y="{}" width="{}" height="{}" rx="6"/>"#,
                    num(self.x),
                    num(self.y),
                    num(self.w),
                    num(self.h)
                );
                text_lines(out, "wm-ext-text", self.x + 8.0, self.y + 16.0, 15.0, &self.lines);
            }
        }
        out.push_str("</a>");
    }
}

/// An arrowhead with its tip at `(x, y)`, pointing along `(dx, dy)` (a unit vector).
fn arrow(out: &mut String, x: f64, y: f64, dx: f64, dy: f64) {
    let (bx, by) = (x - dx * 6.0, y - dy * 6.0);
    let _ = write!(
        out,
        r#"<path class="wm-arrow" d="M{} {}L{} {}L{} {}Z"/>"#,
        num(x),
        num(y),
        num(bx - dy * 4.0),
        num(by + dx * 4.0),
        num(bx + dy * 4.0),
        num(by - dx * 4.0)
    );
}

fn external_node(ext: &External, x: f64, y: f64, w: f64) -> Node {
    let what = if ext.is_phase { "phase" } else { "topic" };
    // The roadmap's name is in the accessible name and tooltip; the box keeps to the title.
    let lines = wrap(&format!("needs {} ↗", ext.title), w - 16.0, EXT_SIZE, 2);
    Node {
        kind: Kind::External,
        end: None,
        x,
        y,
        w,
        h: 9.0 + 15.0 * lines.len() as f64,
        lines,
        meta: Vec::new(),
        label: format!("Requires the {what} {}, in the roadmap {}", ext.title, ext.roadmap),
        href: ext.href.clone(),
        key: ext.key.clone(),
        optional: false,
        number: u64::from(ext.is_phase),
        text_at: (8.0, 16.0),
        size: EXT_SIZE,
    }
}

fn topic_node(graph: &Graph, p: usize, t: usize, at: (f64, f64, f64), size: f64, max_lines: usize) -> Node {
    let (x, y, w) = at;
    let topic = &graph.phases[p].topics[t];
    let lines = wrap(&topic.title, w - 20.0, size, max_lines);
    let meta: Vec<String> = topic.optional.then(|| "optional".to_owned()).into_iter().collect();
    let h = 12.0 + 17.0 * lines.len() as f64 + 15.0 * meta.len() as f64;
    Node {
        kind: Kind::Topic,
        end: Some(End::Topic(p, t)),
        x,
        y,
        w,
        h,
        lines,
        meta,
        label: format!(
            "{}{}",
            topic.title,
            if topic.optional { " (optional topic)" } else { "" }
        ),
        href: topic.href.clone(),
        key: topic.key.clone(),
        optional: topic.optional,
        number: 0,
        text_at: (10.0, 20.0),
        size,
    }
}

fn phase_node(graph: &Graph, p: usize, x: f64, y: f64, w: f64, title_width: f64) -> Node {
    let phase = &graph.phases[p];
    let lines = wrap(&phase.title, title_width, PHASE_SIZE * 1.06, 3);
    let meta = meta_lines(&phase.meta, title_width);
    let h = 14.0 + 19.0 * lines.len() as f64 + 15.0 * meta.len() as f64;
    Node {
        kind: Kind::Phase,
        end: Some(End::Phase(p)),
        x,
        y,
        w,
        h: h.max(40.0),
        lines,
        meta,
        label: format!("Phase {}: {}", phase.number, phase.title),
        href: phase.href.clone(),
        key: phase.key.clone(),
        optional: false,
        number: phase.number,
        text_at: (42.0, 25.0),
        size: PHASE_SIZE * 1.06,
    }
}

/// "2–3 months · 20–25 h/week" on one line, or split at the dot when narrow.
fn meta_lines(meta: &str, width: f64) -> Vec<String> {
    const SIZE: f64 = 12.0;
    if meta.is_empty() {
        Vec::new()
    } else if super::svg::text_width(meta, SIZE) <= width {
        vec![meta.to_owned()]
    } else {
        meta.split(" · ").flat_map(|part| wrap(part, width, SIZE, 1)).collect()
    }
}

/// One column: the spine on the left, each phase then its topics under
/// it, and the edges as arcs in a gutter on the right.
fn narrow(graph: &Graph) -> Scene {
    const W: f64 = 360.0;
    const SPINE: f64 = 20.0;
    const GUTTER: f64 = 50.0;
    let right = W - GUTTER;
    let box_x = 42.0;
    let mut nodes = Vec::new();
    let mut lines = String::new();
    let mut y = 8.0;
    let mut spine = Vec::new();
    for (p, phase) in graph.phases.iter().enumerate() {
        let node = phase_node(graph, p, 0.0, y, right, right - 50.0);
        spine.push(node.y + 20.0);
        y += node.h + 8.0;
        nodes.push(node);
        for ext in &phase.external {
            let node = external_node(ext, box_x, y, right - box_x);
            y += node.h + 6.0;
            nodes.push(node);
        }
        for t in 0..phase.topics.len() {
            let node = topic_node(graph, p, t, (box_x, y, right - box_x), TOPIC_SIZE, 3);
            let _ = write!(
                lines,
                r#"<path class="wm-tick" d="M{} {}H{}"/>"#,
                num(SPINE),
                num(node.middle()),
                num(box_x)
            );
            let bottom = node.y + node.h;
            y = bottom + 8.0;
            nodes.push(node);
            for ext in &phase.topics[t].external {
                let ext_node = external_node(ext, box_x + 18.0, y, right - box_x - 18.0);
                let _ = write!(
                    lines,
                    r#"<path class="wm-tick" d="M{} {}V{}H{}"/>"#,
                    num(box_x + 9.0),
                    num(bottom),
                    num(ext_node.middle()),
                    num(box_x + 18.0)
                );
                y += ext_node.h + 6.0;
                nodes.push(ext_node);
            }
        }
        y += 10.0;
    }
    if let (Some(first), Some(last)) = (spine.first(), spine.last()) {
        let end = nodes.last().map_or(*last, |n| n.middle());
        let _ = write!(
            lines,
            r#"<path class="wm-spine" d="M{} {}V{}"/>"#,
            num(SPINE),
            num(*first),
            num(end.max(*last))
        );
    }
    let mut scene = Scene {
        class: "wm-narrow",
        width: W,
        height: y,
        nodes,
        lines,
        edges: String::new(),
    };
    let mut edges = String::new();
    for edge in &graph.edges {
        let (Some(a), Some(b)) = (scene.find(edge.from), scene.find(edge.to)) else {
            continue;
        };
        let (y1, y2) = (a.middle(), b.middle());
        let bulge = (10.0 + (y2 - y1).abs() * 0.05).min(GUTTER - 6.0);
        let _ = write!(
            edges,
            r#"<path class="wm-edge" d="M{r} {}C{} {} {} {} {} {}"/>"#,
            num(y1),
            num(right + bulge),
            num(y1),
            num(right + bulge),
            num(y2),
            num(right + 5.0),
            num(y2),
            r = num(right),
        );
        arrow(&mut edges, right, y2, -1.0, 0.0);
    }
    scene.edges = edges;
    scene
}

/// A column per phase: numbers along a horizontal spine, titles under
/// them, topics stacked below; edges run between columns.
fn wide(graph: &Graph) -> Scene {
    const W: f64 = 1100.0;
    let n = graph.phases.len().max(1) as f64;
    // Few phases keep readable columns rather than stretching across the page.
    let col = (W / n).min(260.0);
    let gap = (col * 0.14).clamp(18.0, 40.0);
    let box_w = col - gap;
    let skips = graph
        .edges
        .iter()
        .any(|e| matches!((e.from, e.to), (End::Phase(_), End::Phase(_))));
    let top = if skips { 44.0 } else { 6.0 };
    let column_x = |p: usize| gap / 2.0 + p as f64 * col;
    // Phase heads share one height, so topics start on one line.
    let heads: Vec<Node> = (0..graph.phases.len())
        .map(|p| {
            // The title under the number: columns are too narrow beside it.
            let mut node = phase_node(graph, p, column_x(p), top, box_w, box_w - 16.0);
            node.lines = wrap(&graph.phases[p].title, box_w - 16.0, WIDE_PHASE_SIZE * 1.06, 4);
            node.text_at = (8.0, 58.0);
            node.size = WIDE_PHASE_SIZE * 1.06;
            node.h = 50.0 + 19.0 * node.lines.len() as f64 + 15.0 * node.meta.len() as f64;
            node
        })
        .collect();
    let head_h = heads.iter().map(|h| h.h).fold(40.0, f64::max);
    let mut nodes = Vec::new();
    let mut lines = String::new();
    let mut height: f64 = top + head_h;
    for (p, mut head) in heads.into_iter().enumerate() {
        head.h = head_h;
        let x = head.x;
        let mut y = top + head_h + 12.0;
        nodes.push(head);
        for ext in &graph.phases[p].external {
            let node = external_node(ext, x, y, box_w);
            y += node.h + 6.0;
            nodes.push(node);
        }
        for t in 0..graph.phases[p].topics.len() {
            let node = topic_node(graph, p, t, (x, y, box_w), WIDE_TOPIC_SIZE, 4);
            let bottom = node.y + node.h;
            y = bottom + 10.0;
            nodes.push(node);
            for ext in &graph.phases[p].topics[t].external {
                let ext_node = external_node(ext, x + 12.0, y - 4.0, box_w - 12.0);
                let _ = write!(
                    lines,
                    r#"<path class="wm-tick" d="M{} {}V{}H{}"/>"#,
                    num(x + 6.0),
                    num(bottom),
                    num(ext_node.middle()),
                    num(x + 12.0)
                );
                y = ext_node.y + ext_node.h + 10.0;
                nodes.push(ext_node);
            }
        }
        height = height.max(y);
    }
    let spine_y = top + 20.0;
    if graph.phases.len() > 1 {
        let _ = write!(
            lines,
            r#"<path class="wm-spine" d="M{} {}H{}"/>"#,
            num(column_x(0) + 20.0),
            num(spine_y),
            num(column_x(graph.phases.len() - 1) + 20.0)
        );
    }
    let mut scene = Scene {
        class: "wm-wide",
        width: col * n,
        height: height + 2.0,
        nodes,
        lines,
        edges: String::new(),
    };
    let mut edges = String::new();
    let column = |end: End| match end {
        End::Phase(p) | End::Topic(p, _) => p,
    };
    for edge in &graph.edges {
        let (Some(a), Some(b)) = (scene.find(edge.from), scene.find(edge.to)) else {
            continue;
        };
        let (ca, cb) = (column(edge.from), column(edge.to));
        if let (End::Phase(_), End::Phase(_)) = (edge.from, edge.to) {
            // Over the spine, from number to number.
            let (x1, x2) = (a.x + 20.0, b.x + 20.0);
            let lift = (spine_y - 14.0 - 4.0).min(14.0 + (x2 - x1).abs() * 0.04);
            let _ = write!(
                edges,
                r#"<path class="wm-edge" d="M{} {y}C{} {t} {} {t} {} {}"/>"#,
                num(x1),
                num(x1),
                num(x2),
                num(x2),
                num(spine_y - 20.0),
                y = num(spine_y - 14.0),
                t = num(spine_y - 14.0 - lift * 2.0),
            );
            arrow(&mut edges, x2, spine_y - 14.0, 0.0, 1.0);
            continue;
        }
        let (y1, y2) = (a.middle(), b.middle());
        if ca == cb {
            // Same column: an arc in the gutter on its left.
            let bulge = (8.0 + (y2 - y1).abs() * 0.04).min(gap / 2.0 + 2.0);
            let _ = write!(
                edges,
                r#"<path class="wm-edge" d="M{x} {}C{} {} {} {} {} {}"/>"#,
                num(y1),
                num(a.x - bulge),
                num(y1),
                num(a.x - bulge),
                num(y2),
                num(a.x - 5.0),
                num(y2),
                x = num(a.x),
            );
            arrow(&mut edges, a.x, y2, 1.0, 0.0);
        } else {
            let forward = ca < cb;
            let (x1, x2, dir) = if forward {
                (a.right(), b.x, 1.0)
            } else {
                (a.x, b.right(), -1.0)
            };
            let dx = ((x2 - x1).abs() / 2.0).min(gap * 2.5);
            let _ = write!(
                edges,
                r#"<path class="wm-edge" d="M{} {}C{} {} {} {} {} {}"/>"#,
                num(x1),
                num(y1),
                num(x1 + dir * dx),
                num(y1),
                num(x2 - dir * dx),
                num(y2),
                num(x2 - dir * 5.0),
                num(y2),
            );
            arrow(&mut edges, x2, y2, dir, 0.0);
        }
    }
    scene.edges = edges;
    scene
}

/// The overview's diagram: the wide and the narrow variant (CSS shows one).
pub fn overview(graph: &Graph) -> String {
    if graph.phases.is_empty() {
        return String::new();
    }
    let label = graph.label();
    format!("{}{}", wide(graph).svg(&label), narrow(graph).svg(&label))
}

/// The home page's small picture: numbered phases on a line, a dot per
/// topic under each. Phases are links; topic dots carry their progress key.
pub fn mini(graph: &Graph) -> String {
    let n = graph.phases.len();
    if n == 0 {
        return String::new();
    }
    let step = if n > 1 { (272.0 / (n - 1) as f64).min(64.0) } else { 0.0 };
    let width = (28.0 + step * n.saturating_sub(1) as f64).max(60.0);
    let rows = graph.phases.iter().map(|p| p.topics.len()).max().unwrap_or(0);
    let height = 30.0 + rows as f64 * 9.0 + 4.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="wm-mini" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="group" aria-label="Phases of {}">"#,
        esc(&graph.title),
        w = num(width),
        h = num(height),
    );
    if n > 1 {
        let _ = write!(
            out,
            r#"<path class="wm-spine" aria-hidden="true" d="M14 14H{}"/>"#,
            num(14.0 + step * (n - 1) as f64)
        );
    }
    for (p, phase) in graph.phases.iter().enumerate() {
        let cx = 14.0 + step * p as f64;
        let _ = write!(
            out,
            r#"<a class="wm-node wm-phase" href="{}" data-phase="{}" aria-label="Phase {}: {}"><title>Phase {}: {}</title><circle class="wm-step" cx="{x}" cy="14" r="11"/><text class="wm-step-n" x="{x}" y="18" text-anchor="middle">{}</text></a>"#,
            esc(&phase.href),
            esc(&phase.key),
            phase.number,
            esc(&phase.title),
            phase.number,
            esc(&phase.title),
            phase.number,
            x = num(cx),
        );
        if !phase.topics.is_empty() {
            out.push_str(r#"<g aria-hidden="true">"#);
            for (t, topic) in phase.topics.iter().enumerate() {
                let _ = write!(
                    out,
                    r#"<circle class="wm-dot{}" data-topic="{}" cx="{}" cy="{}" r="3.2"/>"#,
                    if topic.optional { " wm-optional" } else { "" },
                    esc(&topic.key),
                    num(cx),
                    num(34.0 + t as f64 * 9.0)
                );
            }
            out.push_str("</g>");
        }
    }
    out.push_str("</svg>");
    out
}

/// For tests: how wide a text is, to check titles fit their boxes.
#[cfg(test)]
fn fits(node: &Node) -> bool {
    use super::svg::text_width;
    let size = node.size;
    let room = node.w - node.text_at.0 + 2.0;
    node.lines.iter().all(|l| text_width(l, size) <= room) && node.meta.iter().all(|l| text_width(l, 12.0) <= room)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(key: &str, title: &str, optional: bool) -> TopicNode {
        TopicNode {
            key: format!("rm/{key}"),
            title: title.to_owned(),
            href: format!("../{key}/"),
            optional,
            external: Vec::new(),
        }
    }

    fn sample() -> Graph {
        let phase = |n: u64, title: &str, topics: Vec<TopicNode>| PhaseNode {
            key: format!("rm/p{n}"),
            number: n,
            title: title.to_owned(),
            href: format!("p{n}/"),
            meta: "2–3 weeks · 10 h/week".to_owned(),
            topics,
            external: Vec::new(),
        };
        let mut second = vec![
            topic("c", "Convolutional Neural Networks (CNNs)", false),
            topic("d", "A <b>hostile</b> \"title\" & more", true),
        ];
        second[0].external.push(External {
            key: "other/x".into(),
            is_phase: false,
            title: "Model Evaluation".into(),
            roadmap: "Other".into(),
            href: "../../other/x/".into(),
        });
        Graph {
            title: "Road & map".into(),
            phases: vec![
                phase(1, "Basics", vec![topic("a", "Alpha", false), topic("b", "Beta", false)]),
                phase(2, "Deep Learning Libraries & Frameworks", second),
                phase(3, "End", vec![]),
            ],
            edges: vec![
                Edge {
                    from: End::Topic(0, 0),
                    to: End::Topic(1, 1),
                },
                Edge {
                    from: End::Phase(0),
                    to: End::Phase(2),
                },
            ],
        }
    }

    fn overlap(a: &Node, b: &Node) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn layouts_keep_nodes_apart_inside_the_picture_and_in_reading_order() {
        let graph = sample();
        for scene in [wide(&graph), narrow(&graph)] {
            let keys: Vec<&str> = scene.nodes.iter().map(|n| n.key.as_str()).collect();
            assert_eq!(
                keys,
                ["rm/p1", "rm/a", "rm/b", "rm/p2", "rm/c", "other/x", "rm/d", "rm/p3"],
                "{}",
                scene.class
            );
            for (i, a) in scene.nodes.iter().enumerate() {
                assert!(a.x >= 0.0 && a.right() <= scene.width, "{} {a:?}", scene.class);
                assert!(a.y >= 0.0 && a.y + a.h <= scene.height, "{} {a:?}", scene.class);
                assert!(fits(a), "{} text overflows {a:?}", scene.class);
                for b in &scene.nodes[i + 1..] {
                    assert!(!overlap(a, b), "{}: {a:?} overlaps {b:?}", scene.class);
                }
            }
            // Both edges are drawn, each with an arrowhead.
            assert_eq!(scene.edges.matches("wm-edge").count(), 2, "{}", scene.class);
            assert_eq!(scene.edges.matches("wm-arrow").count(), 2, "{}", scene.class);
        }
    }

    #[test]
    fn narrow_layout_stacks_phases_in_order_and_wide_puts_them_side_by_side() {
        let graph = sample();
        let narrow = narrow(&graph);
        let wide = wide(&graph);
        let phases = |s: &Scene| -> Vec<(f64, f64)> {
            s.nodes
                .iter()
                .filter(|n| n.kind == Kind::Phase)
                .map(|n| (n.x, n.y))
                .collect()
        };
        let n = phases(&narrow);
        assert!(n.windows(2).all(|w| w[0].1 < w[1].1 && w[0].0 == w[1].0), "{n:?}");
        let w = phases(&wide);
        assert!(w.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 == w[1].1), "{w:?}");
        assert_eq!(narrow.width, 360.0);
    }

    #[test]
    fn svg_escapes_author_text_and_marks_nodes() {
        let svg = overview(&sample());
        assert!(!svg.contains("<b>"), "{svg}");
        assert!(svg.contains("A &lt;b&gt;hostile&lt;/b&gt; &quot;title&quot; &amp; more"));
        assert!(svg.contains(r#"aria-label="Diagram of Road &amp; map: 3 phases, 4 topics""#));
        assert_eq!(svg.matches(r#"data-topic="rm/a""#).count(), 2);
        assert_eq!(svg.matches(r#"data-phase="rm/p2""#).count(), 2);
        assert!(svg.contains(r#"class="wm-node wm-topic wm-optional" href="../d/" data-topic="rm/d"><title>A &lt;b&gt;hostile&lt;/b&gt; &quot;title&quot; &amp; more (optional topic)</title>"#));
        assert!(svg.contains(r#"class="wm-node wm-ext" href="../../other/x/" data-topic="other/x""#));
        let mini = mini(&sample());
        assert_eq!(mini.matches("<a ").count(), 3);
        assert_eq!(mini.matches("data-topic=").count(), 4);
    }
}
