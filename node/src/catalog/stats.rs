//! VoID statistics of a dataset, computed from the store: triples, distinct subjects, class
//! and property partitions, the temporal extent of observations and the bounding box of
//! geometries.
//!
//! Computing scans the dataset's graphs, so the catalogue service calls this debounced (see
//! `catalog.refresh_interval_secs`), never on every write.

use hanse_vocab::{geo, rdf, sosa};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use oxigraph::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most class or property partitions published per dataset (the biggest are kept).
pub const MAX_PARTITIONS: usize = 200;

/// Errors while computing statistics.
#[derive(Debug, thiserror::Error)]
#[error("cannot compute statistics: {0}")]
pub struct StatsError(String);

/// A bounding box in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    /// Westernmost longitude.
    pub min_lon: f64,
    /// Southernmost latitude.
    pub min_lat: f64,
    /// Easternmost longitude.
    pub max_lon: f64,
    /// Northernmost latitude.
    pub max_lat: f64,
}

impl BoundingBox {
    fn point(lon: f64, lat: f64) -> Self {
        Self {
            min_lon: lon,
            min_lat: lat,
            max_lon: lon,
            max_lat: lat,
        }
    }

    fn extend(&mut self, lon: f64, lat: f64) {
        self.min_lon = self.min_lon.min(lon);
        self.min_lat = self.min_lat.min(lat);
        self.max_lon = self.max_lon.max(lon);
        self.max_lat = self.max_lat.max(lat);
    }

    /// Whether two boxes overlap (edges included).
    pub fn intersects(&self, other: &BoundingBox) -> bool {
        self.min_lon <= other.max_lon
            && other.min_lon <= self.max_lon
            && self.min_lat <= other.max_lat
            && other.min_lat <= self.max_lat
    }

    /// The box as a WKT polygon (`dcat:bbox`).
    pub fn to_wkt(&self) -> String {
        let (w, s, e, n) = (self.min_lon, self.min_lat, self.max_lon, self.max_lat);
        format!("POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))")
    }

    /// Parses `minLon,minLat,maxLon,maxLat`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let numbers: Vec<f64> = text
            .split(',')
            .map(|n| n.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("bbox `{text}`: {e}"))?;
        match numbers[..] {
            [min_lon, min_lat, max_lon, max_lat]
                if min_lon <= max_lon
                    && min_lat <= max_lat
                    && numbers.iter().all(|n| n.is_finite()) =>
            {
                Ok(Self {
                    min_lon,
                    min_lat,
                    max_lon,
                    max_lat,
                })
            }
            _ => Err(format!(
                "bbox `{text}` must be minLon,minLat,maxLon,maxLat with min <= max"
            )),
        }
    }
}

/// What the catalogue publishes about a dataset's content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetStatistics {
    /// Distinct triples over the dataset's graphs (`void:triples`).
    pub triples: u64,
    /// Distinct subjects (`void:distinctSubjects`).
    pub distinct_subjects: u64,
    /// Instances per class (`void:classPartition` / `void:entities`).
    pub classes: BTreeMap<String, u64>,
    /// Triples per predicate (`void:propertyPartition` / `void:triples`).
    pub properties: BTreeMap<String, u64>,
    /// Earliest and latest `sosa:resultTime` / `sosa:phenomenonTime` (xsd:dateTime).
    pub temporal: Option<(String, String)>,
    /// Extent of `geo:asWKT` points.
    pub bbox: Option<BoundingBox>,
    /// The authorities of the IRI subjects (see [`authority`]), sorted; empty when there
    /// are more than `MAX_AUTHORITIES`.
    #[serde(default)]
    pub subject_authorities: Vec<String>,
    /// The authorities of the IRI objects other than classes, likewise.
    #[serde(default)]
    pub object_authorities: Vec<String>,
}

/// Authorities listed at most; a dataset with more lists none.
pub const MAX_AUTHORITIES: usize = 32;

/// The authority of an IRI: `scheme://host/` for hierarchical IRIs, else `scheme:` and the
/// first segment (`urn:uuid:`).
pub fn authority(iri: &str) -> &str {
    if let Some(start) = iri.find("://") {
        let rest = &iri[start + 3..];
        let end = rest.find('/').map_or(iri.len(), |i| start + 3 + i + 1);
        return &iri[..end];
    }
    match iri.find(':') {
        Some(first) => match iri[first + 1..].find(':') {
            Some(second) => &iri[..first + 1 + second + 1],
            None => &iri[..first + 1],
        },
        None => iri,
    }
}

/// Distinct authorities, up to [`MAX_AUTHORITIES`]; `None` once there are more.
struct Authorities(Option<Vec<String>>);

impl Authorities {
    fn add(&mut self, iri: &str) {
        let Some(found) = &mut self.0 else {
            return;
        };
        let authority = authority(iri);
        if !found.iter().any(|a| a == authority) {
            if found.len() == MAX_AUTHORITIES {
                self.0 = None;
                return;
            }
            found.push(authority.to_owned());
        }
    }

    fn into_sorted(self) -> Vec<String> {
        let mut found = self.0.unwrap_or_default();
        found.sort();
        found
    }
}

/// The authorities of the IRI subjects and of the IRI objects (classes aside) in `graphs`;
/// a list is empty when there are too many to publish.
fn authorities(
    store: &Store,
    graphs: &[NamedNode],
) -> Result<(Vec<String>, Vec<String>), StatsError> {
    let mut subjects = Authorities(Some(Vec::new()));
    let mut objects = Authorities(Some(Vec::new()));
    for graph in graphs {
        for quad in store.quads_for_pattern(None, None, None, Some(graph.as_ref().into())) {
            let quad = quad.map_err(|e| StatsError(e.to_string()))?;
            if let NamedOrBlankNode::NamedNode(subject) = &quad.subject {
                subjects.add(subject.as_str());
            }
            if let Term::NamedNode(object) = &quad.object
                && quad.predicate.as_str() != rdf::TYPE
            {
                objects.add(object.as_str());
            }
        }
    }
    Ok((subjects.into_sorted(), objects.into_sorted()))
}

fn values_clause(graphs: &[NamedNode]) -> String {
    let list: Vec<String> = graphs.iter().map(ToString::to_string).collect();
    format!("VALUES ?g {{ {} }}", list.join(" "))
}

fn select(store: &Store, query: &str) -> Result<Vec<Vec<Option<Term>>>, StatsError> {
    let results = SparqlEvaluator::new()
        .parse_query(query)
        .map_err(|e| StatsError(format!("{e} in {query}")))?
        .on_store(store)
        .execute()
        .map_err(|e| StatsError(e.to_string()))?;
    let QueryResults::Solutions(solutions) = results else {
        return Err(StatsError("not a SELECT".into()));
    };
    let variables = solutions.variables().to_vec();
    let mut rows = Vec::new();
    for solution in solutions {
        let solution = solution.map_err(|e| StatsError(e.to_string()))?;
        rows.push(variables.iter().map(|v| solution.get(v).cloned()).collect());
    }
    Ok(rows)
}

fn integer(term: Option<&Term>) -> u64 {
    match term {
        Some(Term::Literal(l)) => l.value().parse().unwrap_or(0),
        _ => 0,
    }
}

fn iri_of(term: Option<&Term>) -> Option<String> {
    match term {
        Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

/// Keeps the `MAX_PARTITIONS` largest entries.
fn largest(rows: Vec<Vec<Option<Term>>>) -> BTreeMap<String, u64> {
    let mut entries: Vec<(String, u64)> = rows
        .iter()
        .filter_map(|row| {
            Some((
                iri_of(row.first()?.as_ref())?,
                integer(row.get(1)?.as_ref()),
            ))
        })
        .collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    entries.truncate(MAX_PARTITIONS);
    entries.into_iter().collect()
}

/// Parses the coordinates of a WKT `POINT(lon lat)` (with an optional CRS prefix).
fn wkt_point(wkt: &str) -> Option<(f64, f64)> {
    let start = wkt.find("POINT")?;
    let inner = wkt[start + 5..]
        .trim()
        .strip_prefix('(')?
        .split(')')
        .next()?;
    let mut numbers = inner.split_whitespace().map(str::parse::<f64>);
    let lon = numbers.next()?.ok()?;
    let lat = numbers.next()?.ok()?;
    (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
}

/// Computes the statistics of the data in `graphs` (blocking: run off the async runtime).
pub fn compute(store: &Store, graphs: &[NamedNode]) -> Result<DatasetStatistics, StatsError> {
    if graphs.is_empty() {
        return Ok(DatasetStatistics::default());
    }
    let values = values_clause(graphs);
    // The dataset's triples, each once. With one graph there are no duplicates to remove,
    // and DISTINCT over millions of triples is the expensive part.
    let distinct_triples = if graphs.len() == 1 {
        format!("{values} GRAPH ?g {{ ?s ?p ?o }}")
    } else {
        format!("SELECT DISTINCT ?s ?p ?o {{ {values} GRAPH ?g {{ ?s ?p ?o }} }}")
    };
    let triples_query = format!(
        "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects) {{ {distinct_triples} }}"
    );
    let counts = select(store, &triples_query)?;
    let (triples, distinct_subjects) = counts
        .first()
        .map(|row| (integer(row[0].as_ref()), integer(row[1].as_ref())))
        .unwrap_or_default();
    let classes = largest(select(
        store,
        &format!(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) {{ {values} GRAPH ?g {{ ?s <{}> ?c }} }} GROUP BY ?c",
            rdf::TYPE
        ),
    )?);
    let properties = largest(select(
        store,
        &format!("SELECT ?p (COUNT(*) AS ?n) {{ {distinct_triples} }} GROUP BY ?p"),
    )?);
    let temporal = select(
        store,
        &format!(
            "SELECT (MIN(?t) AS ?start) (MAX(?t) AS ?end) {{ {values} GRAPH ?g {{ ?o ?time ?t }} \
             VALUES ?time {{ <{}> <{}> }} FILTER(isLiteral(?t)) }}",
            sosa::RESULT_TIME,
            sosa::PHENOMENON_TIME
        ),
    )?
    .into_iter()
    .next()
    .and_then(|row| match (&row[0], &row[1]) {
        (Some(Term::Literal(start)), Some(Term::Literal(end))) => {
            Some((start.value().to_owned(), end.value().to_owned()))
        }
        _ => None,
    });
    let mut bbox: Option<BoundingBox> = None;
    for row in select(
        store,
        &format!(
            "SELECT DISTINCT ?wkt {{ {values} GRAPH ?g {{ ?geometry <{}> ?wkt }} }}",
            geo::AS_WKT
        ),
    )? {
        let Some(Term::Literal(wkt)) = &row[0] else {
            continue;
        };
        if let Some((lon, lat)) = wkt_point(wkt.value()) {
            match &mut bbox {
                Some(b) => b.extend(lon, lat),
                None => bbox = Some(BoundingBox::point(lon, lat)),
            }
        }
    }
    let (subject_authorities, object_authorities) = authorities(store, graphs)?;
    Ok(DatasetStatistics {
        triples,
        distinct_subjects,
        classes,
        properties,
        temporal,
        bbox,
        subject_authorities,
        object_authorities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_of_iris() {
        assert_eq!(
            authority("https://bruges.example/obs/1"),
            "https://bruges.example/"
        );
        assert_eq!(
            authority("https://bruges.example"),
            "https://bruges.example"
        );
        assert_eq!(authority("urn:uuid:1234"), "urn:uuid:");
        assert_eq!(authority("mailto:a@b"), "mailto:");
    }

    #[test]
    fn wkt_points_and_boxes() {
        assert_eq!(wkt_point("POINT(4.48 51.02)"), Some((4.48, 51.02)));
        assert_eq!(
            wkt_point("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT (4.5 51)"),
            Some((4.5, 51.0))
        );
        assert_eq!(wkt_point("LINESTRING(0 0, 1 1)"), None);
        assert_eq!(wkt_point("POINT(nan 1)"), None);
        let b = BoundingBox::parse("4,50,5,52").unwrap();
        assert!(b.intersects(&BoundingBox::point(4.5, 51.0)));
        assert!(!b.intersects(&BoundingBox::point(6.0, 51.0)));
        assert!(BoundingBox::parse("5,50,4,52").is_err());
        assert!(BoundingBox::parse("1,2,3").is_err());
        assert!(b.to_wkt().starts_with("POLYGON((4 50, 5 50"));
    }
}
