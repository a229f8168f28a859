//! A metadata-quality score per dataset, in the spirit of the EU data portal's Metadata
//! Quality Assessment (MQA): the same dimensions and points, limited to the indicators a
//! catalogue's own triples can answer (MQA's reachability checks fetch URLs; a node scoring
//! its members' catalogues offline does not).

use hanse_vocab::{dcat, dct, eu};
use oxigraph::model::{Graph, NamedNodeRef, TermRef};
use serde::{Deserialize, Serialize};

/// One indicator and whether the dataset meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityCheck {
    /// Findability, Accessibility, Interoperability, Reusability or Contextuality.
    pub dimension: String,
    /// What is checked, e.g. `keywords`.
    pub indicator: String,
    /// MQA points it is worth.
    pub points: u32,
    /// Whether the metadata has it.
    pub passed: bool,
}

/// A dataset's metadata quality.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Quality {
    /// Points earned.
    pub score: u32,
    /// Points possible over the indicators checked.
    pub max: u32,
    /// Excellent, Good, Sufficient or Bad (MQA's thresholds as shares of the maximum).
    pub rating: String,
    /// Every indicator.
    pub checks: Vec<QualityCheck>,
}

fn named(value: &str) -> NamedNodeRef<'_> {
    NamedNodeRef::new_unchecked(value)
}

fn has(graph: &Graph, subject: &str, predicate: &str) -> bool {
    graph
        .objects_for_subject_predicate(named(subject), named(predicate))
        .next()
        .is_some()
}

fn iris(graph: &Graph, subject: &str, predicate: &str) -> Vec<String> {
    graph
        .objects_for_subject_predicate(named(subject), named(predicate))
        .filter_map(|t| match t {
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

/// Scores the dataset `dataset` of a catalogue graph.
pub fn assess(graph: &Graph, dataset: &str) -> Quality {
    let distributions = iris(graph, dataset, dcat::DISTRIBUTION_PROPERTY);
    let any_distribution = |predicate: &str| distributions.iter().any(|d| has(graph, d, predicate));
    let formats: Vec<String> = distributions
        .iter()
        .flat_map(|d| iris(graph, d, dct::FORMAT))
        .collect();
    let licences: Vec<String> = distributions
        .iter()
        .flat_map(|d| iris(graph, d, dct::LICENSE))
        .collect();
    let access_rights = iris(graph, dataset, dct::ACCESS_RIGHTS);
    let checks = [
        (
            "Findability",
            "keywords",
            30,
            has(graph, dataset, dcat::KEYWORD),
        ),
        (
            "Findability",
            "themes",
            30,
            has(graph, dataset, dcat::THEME),
        ),
        (
            "Findability",
            "spatial coverage",
            20,
            has(graph, dataset, dct::SPATIAL),
        ),
        (
            "Findability",
            "temporal coverage",
            20,
            has(graph, dataset, dct::TEMPORAL),
        ),
        (
            "Accessibility",
            "access URL",
            50,
            any_distribution(dcat::ACCESS_URL),
        ),
        (
            "Accessibility",
            "download URL",
            20,
            any_distribution("http://www.w3.org/ns/dcat#downloadURL"),
        ),
        ("Interoperability", "format", 20, !formats.is_empty()),
        (
            "Interoperability",
            "media type",
            10,
            any_distribution("http://www.w3.org/ns/dcat#mediaType"),
        ),
        (
            "Interoperability",
            "format from the EU vocabulary",
            10,
            formats.iter().any(|f| {
                f.starts_with("http://publications.europa.eu/resource/authority/file-type/")
            }),
        ),
        ("Reusability", "licence", 20, !licences.is_empty()),
        (
            "Reusability",
            "licence typed from a vocabulary",
            10,
            licences.iter().any(|l| has(graph, l, dct::TYPE)),
        ),
        (
            "Reusability",
            "access restrictions",
            10,
            !access_rights.is_empty(),
        ),
        (
            "Reusability",
            "access restrictions from the EU vocabulary",
            5,
            access_rights
                .iter()
                .any(|a| a.starts_with(eu::ACCESS_RIGHT)),
        ),
        (
            "Reusability",
            "contact point",
            20,
            has(graph, dataset, dcat::CONTACT_POINT),
        ),
        (
            "Reusability",
            "publisher",
            10,
            has(graph, dataset, dct::PUBLISHER),
        ),
        (
            "Contextuality",
            "date of issue",
            5,
            has(graph, dataset, dct::ISSUED),
        ),
        (
            "Contextuality",
            "modification date",
            5,
            has(graph, dataset, dct::MODIFIED),
        ),
    ];
    let checks: Vec<QualityCheck> = checks
        .into_iter()
        .map(|(dimension, indicator, points, passed)| QualityCheck {
            dimension: dimension.to_owned(),
            indicator: indicator.to_owned(),
            points,
            passed,
        })
        .collect();
    let max: u32 = checks.iter().map(|c| c.points).sum();
    let score: u32 = checks.iter().filter(|c| c.passed).map(|c| c.points).sum();
    // MQA: excellent from 351 of 405, good from 221, sufficient from 121.
    let share = f64::from(score) / f64::from(max.max(1));
    let rating = if share >= 351.0 / 405.0 {
        "Excellent"
    } else if share >= 221.0 / 405.0 {
        "Good"
    } else if share >= 121.0 / 405.0 {
        "Sufficient"
    } else {
        "Bad"
    };
    Quality {
        score,
        max,
        rating: rating.to_owned(),
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode, Triple};

    #[test]
    fn points_follow_what_the_metadata_holds() {
        let mut graph = Graph::new();
        let d = "urn:d";
        let add = |g: &mut Graph, s: &str, p: &str, o: oxigraph::model::Term| {
            g.insert(&Triple::new(
                NamedNode::new_unchecked(s),
                NamedNode::new_unchecked(p),
                o,
            ));
        };
        let bare = assess(&graph, d);
        assert_eq!(bare.score, 0);
        assert_eq!(bare.rating, "Bad");
        add(
            &mut graph,
            d,
            dcat::KEYWORD,
            Literal::new_simple_literal("air").into(),
        );
        add(
            &mut graph,
            d,
            dcat::DISTRIBUTION_PROPERTY,
            NamedNode::new_unchecked("urn:dist").into(),
        );
        add(
            &mut graph,
            "urn:dist",
            dcat::ACCESS_URL,
            NamedNode::new_unchecked("urn:sparql").into(),
        );
        add(
            &mut graph,
            "urn:dist",
            dct::FORMAT,
            NamedNode::new_unchecked(eu::FILE_TYPE_SPARQL).into(),
        );
        let some = assess(&graph, d);
        assert_eq!(some.score, 30 + 50 + 20 + 10);
        assert!(
            some.checks
                .iter()
                .any(|c| c.indicator == "keywords" && c.passed)
        );
        assert!(
            some.checks
                .iter()
                .any(|c| c.indicator == "themes" && !c.passed)
        );
        assert_eq!(some.max, 295);
    }
}
