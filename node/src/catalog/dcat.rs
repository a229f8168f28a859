//! The node's catalogue as DCAT-AP 3.0.1 RDF, with VoID statistics and ODRL offers.
//!
//! The graph is self-contained so it validates against the official shapes (`shapes.ttl` and
//! `range.ttl`) on its own: every object whose class DCAT-AP constrains is typed in the graph
//! (publishers `foaf:Agent`, licences `dct:LicenseDocument`, themes `skos:Concept` with a
//! label, and so on). Every node is an IRI under the node's `hanse://` space, never a blank
//! node, which keeps RDFC-1.0 canonicalisation linear (policies may bring their own).

use super::dataset::DatasetDefinition;
use super::iris::NodeIris;
use super::stats::DatasetStatistics;
use hanse_vocab::{dcat, dct, eu, foaf, geo, hanse, odrl, rdf, skos, vcard, void, xsd};
use oxigraph::model::{Graph, Literal, NamedNode, Term, Triple};
use sha2::{Digest, Sha256};

/// The SPARQL 1.1 Protocol, which the node's data service conforms to.
const SPARQL_PROTOCOL: &str = "https://www.w3.org/TR/sparql11-protocol/";

/// Who publishes the catalogue.
#[derive(Debug, Clone)]
pub struct Publisher<'a> {
    /// The node's IRIs.
    pub iris: &'a NodeIris,
    /// The node's name, e.g. `mechelen`.
    pub node_name: &'a str,
    /// The organisation's name, e.g. `City of Mechelen`.
    pub organisation: &'a str,
    /// The consortium id.
    pub consortium: &'a str,
}

/// Collects triples with short helpers for the shapes this module writes.
struct Triples(Graph);

fn iri(value: &str) -> NamedNode {
    NamedNode::new_unchecked(value)
}

impl Triples {
    fn add(&mut self, subject: &str, predicate: &str, object: impl Into<Term>) {
        self.0
            .insert(&Triple::new(iri(subject), iri(predicate), object.into()));
    }

    fn link(&mut self, subject: &str, predicate: &str, object: &str) {
        self.add(subject, predicate, iri(object));
    }

    fn typed(&mut self, subject: &str, class: &str) {
        self.link(subject, rdf::TYPE, class);
    }

    fn english(&mut self, subject: &str, predicate: &str, text: &str) {
        self.add(
            subject,
            predicate,
            Literal::new_language_tagged_literal_unchecked(text, "en"),
        );
    }

    fn string(&mut self, subject: &str, predicate: &str, text: &str) {
        self.add(subject, predicate, Literal::new_simple_literal(text));
    }

    fn datatyped(&mut self, subject: &str, predicate: &str, value: &str, datatype: &str) {
        self.add(
            subject,
            predicate,
            Literal::new_typed_literal(value, iri(datatype)),
        );
    }

    fn count(&mut self, subject: &str, predicate: &str, n: u64) {
        self.datatyped(subject, predicate, &n.to_string(), xsd::INTEGER);
    }
}

/// A short stable name for an IRI, for partition IRIs.
fn short_hash(value: &str) -> String {
    hex::encode(&Sha256::digest(value.as_bytes())[..8])
}

fn is_date_time(value: &str) -> bool {
    value.parse::<oxsdatatypes::DateTime>().is_ok()
}

/// Builds the catalogue graph (without version and proof, which signing adds).
///
/// `datasets` pairs each definition with its statistics. Definitions were validated when
/// stored; a policy that no longer parses is left out of the graph (and logged).
pub fn build_catalog(
    publisher: &Publisher<'_>,
    datasets: &[(DatasetDefinition, DatasetStatistics)],
) -> Graph {
    let iris = publisher.iris;
    let mut t = Triples(Graph::new());
    let catalog = iris.catalog();
    let agent = iris.publisher();
    let service = iris.sparql_service();

    t.typed(&catalog, dcat::CATALOG);
    t.english(
        &catalog,
        dct::TITLE,
        &format!("Data catalogue of {}", publisher.organisation),
    );
    t.english(
        &catalog,
        dct::DESCRIPTION,
        &format!(
            "Datasets the hanse node `{}` of {} publishes to the consortium `{}`.",
            publisher.node_name, publisher.organisation, publisher.consortium
        ),
    );
    t.link(&catalog, dct::PUBLISHER, &agent);
    t.link(&catalog, dcat::SERVICE, &service);
    t.link(&catalog, dcat::THEME_TAXONOMY, eu::DATA_THEME_SCHEME);
    t.string(&catalog, hanse::CONSORTIUM, publisher.consortium);
    t.typed(eu::DATA_THEME_SCHEME, skos::CONCEPT_SCHEME);
    t.english(eu::DATA_THEME_SCHEME, dct::TITLE, "Data theme");
    t.typed(&agent, foaf::AGENT);
    t.string(&agent, foaf::NAME, publisher.organisation);

    t.typed(&service, dcat::DATA_SERVICE);
    t.english(
        &service,
        dct::TITLE,
        &format!("SPARQL endpoint of {}", publisher.organisation),
    );
    t.link(&service, dcat::ENDPOINT_URL, &service);
    t.link(&service, dct::CONFORMS_TO, SPARQL_PROTOCOL);
    t.link(&service, dct::PUBLISHER, &agent);
    t.typed(SPARQL_PROTOCOL, dct::STANDARD);

    for (definition, stats) in datasets {
        dataset(&mut t, publisher, definition, stats);
    }
    t.0
}

fn dataset(
    t: &mut Triples,
    publisher: &Publisher<'_>,
    definition: &DatasetDefinition,
    stats: &DatasetStatistics,
) {
    let iris = publisher.iris;
    let id = &definition.id;
    let me = iris.dataset(id);
    let part = |name: &str| iris.dataset_part(id, name);
    t.link(&iris.catalog(), dcat::DATASET_PROPERTY, &me);
    t.link(&iris.sparql_service(), dcat::SERVES_DATASET, &me);
    t.typed(&me, dcat::DATASET);
    t.typed(&me, void::DATASET);
    t.string(&me, dct::IDENTIFIER, id);
    for (predicate, text) in [
        (dct::TITLE, &definition.title),
        (dct::DESCRIPTION, &definition.description),
    ] {
        for (language, value) in &text.0 {
            t.add(
                &me,
                predicate,
                Literal::new_language_tagged_literal_unchecked(value, language),
            );
        }
    }
    match &definition.publisher {
        Some(name) if name != publisher.organisation => {
            let agent = part("publisher");
            t.link(&me, dct::PUBLISHER, &agent);
            t.typed(&agent, foaf::AGENT);
            t.string(&agent, foaf::NAME, name);
        }
        _ => t.link(&me, dct::PUBLISHER, &iris.publisher()),
    }
    for keyword in &definition.keywords {
        t.english(&me, dcat::KEYWORD, keyword);
    }
    for code in &definition.themes {
        let theme = format!("{}{code}", eu::DATA_THEME);
        t.link(&me, dcat::THEME, &theme);
        t.typed(&theme, skos::CONCEPT);
        t.link(&theme, skos::IN_SCHEME, eu::DATA_THEME_SCHEME);
        if let Some((_, label)) = eu::DATA_THEMES.iter().find(|(c, _)| c == code) {
            t.english(&theme, skos::PREF_LABEL, label);
        }
    }
    let access_rights = format!("{}{}", eu::ACCESS_RIGHT, definition.access_rights.code());
    t.link(&me, dct::ACCESS_RIGHTS, &access_rights);
    t.typed(&access_rights, dct::RIGHTS_STATEMENT);
    if definition.contact_name.is_some() || definition.contact_email.is_some() {
        let contact = part("contact");
        t.link(&me, dcat::CONTACT_POINT, &contact);
        t.typed(&contact, vcard::KIND);
        let name = definition
            .contact_name
            .as_deref()
            .unwrap_or(publisher.organisation);
        t.string(&contact, vcard::FN, name);
        if let Some(email) = &definition.contact_email {
            t.link(&contact, vcard::HAS_EMAIL, &format!("mailto:{email}"));
        }
    }
    if let Some(place) = &definition.spatial {
        t.link(&me, dct::SPATIAL, place);
        t.typed(place, dct::LOCATION);
    }
    if let Some(bbox) = &stats.bbox {
        let extent = part("extent");
        t.link(&me, dct::SPATIAL, &extent);
        t.typed(&extent, dct::LOCATION);
        t.datatyped(&extent, dcat::BBOX, &bbox.to_wkt(), geo::WKT_LITERAL);
    }
    if let Some((start, end)) = &stats.temporal
        && is_date_time(start)
        && is_date_time(end)
    {
        let period = part("period");
        t.link(&me, dct::TEMPORAL, &period);
        t.typed(&period, dct::PERIOD_OF_TIME);
        t.datatyped(&period, dcat::START_DATE, start, xsd::DATE_TIME);
        t.datatyped(&period, dcat::END_DATE, end, xsd::DATE_TIME);
    }
    if let Some(code) = &definition.update_frequency {
        let frequency = format!("{}{code}", eu::FREQUENCY);
        t.link(&me, dct::ACCRUAL_PERIODICITY, &frequency);
        t.typed(&frequency, dct::FREQUENCY);
    }
    for standard in &definition.conforms_to {
        t.link(&me, dct::CONFORMS_TO, standard);
        t.typed(standard, dct::STANDARD);
    }
    if let Some(modified) = &definition.modified
        && is_date_time(modified)
    {
        t.datatyped(&me, dct::MODIFIED, modified, xsd::DATE_TIME);
    }
    for graph in &definition.graphs {
        t.link(&me, hanse::GRAPH, graph);
    }

    // VoID statistics.
    t.count(&me, void::TRIPLES, stats.triples);
    t.count(&me, void::DISTINCT_SUBJECTS, stats.distinct_subjects);
    t.link(&me, void::SPARQL_ENDPOINT, &iris.sparql_service());
    for (class, entities) in &stats.classes {
        let partition = part(&format!("class/{}", short_hash(class)));
        t.link(&me, void::CLASS_PARTITION, &partition);
        t.link(&partition, void::CLASS, class);
        t.count(&partition, void::ENTITIES, *entities);
    }
    for (property, triples) in &stats.properties {
        let partition = part(&format!("property/{}", short_hash(property)));
        t.link(&me, void::PROPERTY_PARTITION, &partition);
        t.link(&partition, void::PROPERTY, property);
        t.count(&partition, void::TRIPLES, *triples);
    }
    for authority in &stats.subject_authorities {
        t.string(&me, hanse::SUBJECT_AUTHORITY, authority);
    }
    for authority in &stats.object_authorities {
        t.string(&me, hanse::OBJECT_AUTHORITY, authority);
    }

    // One distribution: the node's SPARQL service, under the dataset's licence and offer.
    let distribution = part("distribution");
    t.link(&me, dcat::DISTRIBUTION_PROPERTY, &distribution);
    t.typed(&distribution, dcat::DISTRIBUTION);
    t.english(
        &distribution,
        dct::TITLE,
        &format!("SPARQL access to {}", definition.title.best()),
    );
    t.link(&distribution, dcat::ACCESS_URL, &iris.sparql_service());
    t.link(&distribution, dcat::ACCESS_SERVICE, &iris.sparql_service());
    t.link(&distribution, dct::FORMAT, eu::FILE_TYPE_SPARQL);
    t.typed(eu::FILE_TYPE_SPARQL, dct::MEDIA_TYPE_OR_EXTENT);
    t.link(&distribution, dct::ACCESS_RIGHTS, &access_rights);
    if let Some(licence) = &definition.licence {
        t.link(&distribution, dct::LICENSE, licence);
        t.typed(licence, dct::LICENSE_DOCUMENT);
    }
    match definition.policy_graph(iris) {
        Ok(Some(policy)) => {
            if let Ok(Some(offer)) = definition.offer(iris) {
                t.link(&me, odrl::HAS_POLICY, &offer.uid);
                t.link(&distribution, odrl::HAS_POLICY, &offer.uid);
                // DCAT-AP's range is odrl:Policy; the subclass is not inferred by validators.
                t.typed(&offer.uid, odrl::POLICY);
            }
            for triple in &policy {
                t.0.insert(triple);
            }
        }
        Ok(None) => {}
        Err(e) => tracing::error!(dataset = %id, "policy left out of the catalogue: {e}"),
    }
}
