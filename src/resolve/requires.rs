//! Prerequisites: `requires` of phases and topics become edges between
//! nodes; a phase may only require earlier phases, and no chain of
//! requirements may loop back on itself.

use std::collections::{HashMap, HashSet};

use super::{Origin, PendingRequires, refs::Scope};
use crate::diag::{Diagnostic, SourceMap};
use crate::model::{NodeId, Site};

pub fn resolve(
    site: &mut Site,
    pending: Vec<PendingRequires>,
    scope: &Scope,
    map: &SourceMap,
    diags: &mut Vec<Diagnostic>,
) {
    let mut edges: Vec<(NodeId, NodeId, Origin)> = Vec::new();
    for PendingRequires { owner, entries } in pending {
        let mut seen = HashSet::new();
        for (entry, origin) in entries {
            match lookup(site, owner, &entry) {
                Ok(target) => {
                    if !seen.insert(target) {
                        continue;
                    }
                    if let (NodeId::Phase(r, p), NodeId::Phase(tr, tp)) = (owner, target) {
                        if r == tr && tp >= p {
                            let message = if tp == p {
                                "a phase cannot require itself".to_owned()
                            } else {
                                format!(
                                    "phase `{}` comes after this one: a phase may only require earlier phases",
                                    site.phase(tr, tp).id
                                )
                            };
                            diags.push(Diagnostic::error(message).with_span(origin.span(map)));
                            continue;
                        }
                    }
                    edges.push((owner, target, origin));
                }
                Err((message, hint, roadmap)) => {
                    if scope.roadmap_incomplete(roadmap.as_deref()) {
                        continue; // it may be in a file that failed to load
                    }
                    let qualified = match (entry.contains('/'), owner) {
                        (false, NodeId::Phase(r, _) | NodeId::Topic(r, _, _)) => {
                            format!("{}/{entry}", site.roadmaps[r].id)
                        }
                        _ => entry.clone(),
                    };
                    if scope.refused_topics.contains(&qualified) {
                        continue; // the topic's own id was reported
                    }
                    let mut diagnostic = Diagnostic::error(message).with_span(origin.span(map));
                    if let Some(hint) = hint {
                        diagnostic = diagnostic.with_hint(hint);
                    }
                    diags.push(diagnostic);
                }
            }
        }
    }

    report_cycles(site, &edges, map, diags);

    for (owner, target, _) in &edges {
        match *owner {
            NodeId::Phase(r, p) => site.roadmaps[r].phases[p].requires.push(*target),
            NodeId::Topic(r, p, t) => site.roadmaps[r].phases[p].topics[t].requires.push(*target),
            _ => {}
        }
        site.graph.required_by.entry(*target).or_default().push(*owner);
    }
    for list in site.graph.required_by.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
}

type LookupError = (String, Option<String>, Option<String>);

/// Finds `id` or `roadmap/id` among the phases (for a phase) or topics (for a topic).
fn lookup(site: &Site, owner: NodeId, entry: &str) -> Result<NodeId, LookupError> {
    let (own_roadmap, want_phase) = match owner {
        NodeId::Phase(r, _) => (r, true),
        NodeId::Topic(r, _, _) => (r, false),
        _ => unreachable!("only phases and topics have requires"),
    };
    let what = if want_phase { "phase" } else { "topic" };
    let (roadmap_name, id) = match entry.split_once('/') {
        Some((roadmap, id)) => (Some(roadmap), id),
        None => (None, entry),
    };
    let r = match roadmap_name {
        None => own_roadmap,
        Some(name) => match site.roadmaps.iter().position(|r| r.id.as_str() == name) {
            Some(r) => r,
            None => {
                return Err((
                    format!("`requires` names `{entry}`, but there is no roadmap `{name}`"),
                    None,
                    Some(name.to_owned()),
                ));
            }
        },
    };
    let roadmap = &site.roadmaps[r];
    let mut candidates = Vec::new();
    for (p, phase) in roadmap.phases.iter().enumerate() {
        if want_phase {
            if phase.id.as_str() == id {
                return Ok(NodeId::Phase(r, p));
            }
            candidates.push(phase.id.as_str());
        } else {
            for (t, topic) in phase.topics.iter().enumerate() {
                if topic.id.as_str() == id {
                    return Ok(NodeId::Topic(r, p, t));
                }
                candidates.push(topic.id.as_str());
            }
        }
    }
    let hint = crate::diag::closest(id, candidates.iter().copied())
        .map(|best| format!("did you mean `{best}`?"))
        .or_else(|| {
            roadmap_name
                .is_none()
                .then(|| format!("for a {what} of another roadmap, write `<roadmap>/{id}`"))
        });
    Err((
        format!(
            "`requires` names `{entry}`, but roadmap `{}` has no {what} `{id}`",
            roadmap.id
        ),
        hint,
        Some(roadmap.id.to_string()),
    ))
}

/// Reports every loop of requirements, spelled out member by member.
fn report_cycles(site: &Site, edges: &[(NodeId, NodeId, Origin)], map: &SourceMap, diags: &mut Vec<Diagnostic>) {
    let mut next: HashMap<NodeId, Vec<(NodeId, &Origin)>> = HashMap::new();
    for (from, to, origin) in edges {
        next.entry(*from).or_default().push((*to, origin));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnStack,
        Done,
    }
    let mut marks: HashMap<NodeId, Mark> = HashMap::new();
    let mut reported: HashSet<Vec<NodeId>> = HashSet::new();
    let mut starts: Vec<NodeId> = next.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        if marks.contains_key(&start) {
            continue;
        }
        // Iterative DFS: (node, index of the next edge to follow).
        let mut stack: Vec<(NodeId, usize)> = vec![(start, 0)];
        marks.insert(start, Mark::OnStack);
        while let Some(&mut (node, ref mut i)) = stack.last_mut() {
            let out = next.get(&node).map_or(&[][..], Vec::as_slice);
            if *i >= out.len() {
                marks.insert(node, Mark::Done);
                stack.pop();
                continue;
            }
            let (target, origin) = out[*i];
            *i += 1;
            match marks.get(&target) {
                None => {
                    marks.insert(target, Mark::OnStack);
                    stack.push((target, 0));
                }
                Some(Mark::OnStack) => {
                    let pos = stack.iter().position(|(n, _)| *n == target).expect("on stack");
                    let members: Vec<NodeId> = stack[pos..].iter().map(|(n, _)| *n).collect();
                    let mut key = members.clone();
                    key.sort_unstable();
                    if reported.insert(key) {
                        let mut names: Vec<String> = members.iter().map(|n| site.qualified_id(*n)).collect();
                        names.push(site.qualified_id(target));
                        let message = if members.len() == 1 {
                            format!("`{}` requires itself", names[0])
                        } else {
                            format!("requirements form a cycle: {}", names.join(" → "))
                        };
                        diags.push(
                            Diagnostic::error(message)
                                .with_span(origin.span(map))
                                .with_hint("remove one of these `requires` entries so that the chain has a start"),
                        );
                    }
                }
                Some(Mark::Done) => {}
            }
        }
    }
}
