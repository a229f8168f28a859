//! The two hierarchies a request is matched along: ODRL's actions (`read` is a kind of
//! `use`) and W3C DPV's purposes (`AcademicResearch` is a kind of `ResearchAndDevelopment`).

use hanse_vocab::{dpv, odrl};

/// Whether `requested` is `granted` or narrower in the ODRL action hierarchy.
pub fn action_included_in(requested: &str, granted: &str) -> bool {
    within_taxonomy(requested, granted, odrl::NS, odrl::ACTION_PARENTS)
}

/// Whether purpose `narrow` is `broad` or under it in the DPV purpose hierarchy.
pub fn purpose_is_a(narrow: &str, broad: &str) -> bool {
    within_taxonomy(narrow, broad, dpv::NS, dpv::PURPOSE_PARENTS)
}

/// Whether `narrow` is `broad` or below it in a `(child, parent)` table of local names in
/// `namespace`.
fn within_taxonomy(narrow: &str, broad: &str, namespace: &str, parents: &[(&str, &str)]) -> bool {
    if narrow == broad {
        return true;
    }
    let (Some(mut current), Some(broad)) = (
        narrow.strip_prefix(namespace),
        broad.strip_prefix(namespace),
    ) else {
        return false;
    };
    // Bounded by the table size, so a cycle in the table cannot loop forever.
    for _ in 0..parents.len() {
        let Some((_, parent)) = parents.iter().find(|(child, _)| *child == current) else {
            return false;
        };
        if *parent == broad {
            return true;
        }
        current = parent;
    }
    false
}
