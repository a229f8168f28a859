//! The node's catalogue as DCAT-AP 3.0.1 RDF, with VoID statistics and ODRL offers.
//!
//! The graph is self-contained so it validates against the official shapes (`shapes.ttl` and
//! `range.ttl`) on its own: every object whose class DCAT-AP constrains is typed in the graph
//! (publishers `foaf:Agent`, licences `dct:LicenseDocument`, themes `skos:Concept` with a
//! label, and so on). Every node is an IRI under the node's `hanse://` space, never a blank
//! node, which keeps RDFC-1.0 canonicalisation linear (policies may bring their own).
//!
//! It also meets DCAT-AP's recommended shapes (`shapes_recommended.ttl`): contact points
//! (the node's own when a dataset names none), publisher and licence types (ADMS), the
//! catalogue's home page, language, licence, spatial coverage and issue date, descriptions
//! and availability of distributions, and the data service's keywords, themes and endpoint
//! description. What the node cannot know (a dataset without any location, a dataset without
//! a licence) stays a warning rather than a guess.

use super::dataset::DatasetDefinition;
use super::iris::NodeIris;
use super::stats::BoundingBox;
use super::stats::DatasetStatistics;
use hanse_vocab::{dcat, dcatap, dct, eu, foaf, geo, hanse, odrl, rdf, skos, vcard, void, xsd};
use oxigraph::model::{Graph, Literal, NamedNode, Term, Triple};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

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
    /// The ADMS publisher type's code (`LocalAuthority`), from the node's role.
    pub publisher_type: &'a str,
    /// The contact point's e-mail address, if configured.
    pub contact_email: Option<&'a str>,
    /// The licence of the catalogue's metadata.
    pub metadata_licence: &'a str,
}

/// The ADMS publisher type of a member with `role`.
pub fn publisher_type(role: crate::config::Role) -> &'static str {
    use crate::config::Role;
    match role {
        Role::City => "LocalAuthority",
        Role::Utility => "Company",
        Role::Research => "Academia-ScientificOrganisation",
        Role::Steward => "IndustryConsortium",
    }
}

/// ADMS licence types of well-known licences (others are left untyped rather than guessed).
fn licence_types(licence: &str) -> &'static [&'static str] {
    let l = licence.trim_end_matches('/');
    if l.contains("publicdomain/zero") || l.contains("publicdomain/mark") {
        &["PublicDomain"]
    } else if l.contains("licenses/by-sa") {
        &["Attribution", "ShareAlike"]
    } else if l.contains("licenses/by-nc") {
        &["Attribution", "NonCommercialUseOnly"]
    } else if l.contains("licenses/by-nd") {
        &["Attribution", "NoDerivativeWork"]
    } else if l.contains("licenses/by") || l.ends_with("/ODbL") || l.contains("odc-by") {
        &["Attribution"]
    } else {
        &[]
    }
}

/// The EU language authority code of a BCP 47 tag's language, for the common ones.
fn language_code(tag: &str) -> Option<&'static str> {
    let primary = tag.split('-').next()?.to_ascii_lowercase();
    Some(match primary.as_str() {
        "en" => "ENG",
        "nl" => "NLD",
        "fr" => "FRA",
        "de" => "DEU",
        "es" => "SPA",
        "it" => "ITA",
        "pt" => "POR",
        "pl" => "POL",
        "da" => "DAN",
        "sv" => "SWE",
        "fi" => "FIN",
        _ => return None,
    })
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

/// `LocalAuthority` → `Local authority`, `STABLE` → `Stable` (labels of vocabulary codes).
fn label_of(code: &str) -> String {
    let mut label = String::new();
    let mut previous_lower = false;
    for c in code.chars() {
        if c == '-' || c == '_' {
            label.push(' ');
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            label.push(' ');
        }
        previous_lower = c.is_lowercase();
        let first = label.is_empty();
        if first {
            label.extend(c.to_uppercase());
        } else {
            label.extend(c.to_lowercase());
        }
    }
    label
}

impl Triples {
    /// A controlled-vocabulary concept with its label (DCAT-AP wants `skos:prefLabel`).
    fn concept(&mut self, iri: &str) {
        self.typed(iri, skos::CONCEPT);
        let code = iri.rsplit('/').next().unwrap_or(iri);
        self.english(iri, skos::PREF_LABEL, &label_of(code));
    }

    fn licence(&mut self, licence: &str) {
        self.typed(licence, dct::LICENSE_DOCUMENT);
        for kind in licence_types(licence) {
            let concept = format!("{}{kind}", eu::LICENCE_TYPE);
            self.link(licence, dct::TYPE, &concept);
            self.concept(&concept);
        }
    }

    fn location_extent(&mut self, location: &str, bbox: &BoundingBox) {
        self.typed(location, dct::LOCATION);
        self.datatyped(location, dcat::BBOX, &bbox.to_wkt(), geo::WKT_LITERAL);
        let centroid = format!(
            "POINT({} {})",
            (bbox.min_lon + bbox.max_lon) / 2.0,
            (bbox.min_lat + bbox.max_lat) / 2.0
        );
        self.datatyped(location, dcat::CENTROID, &centroid, geo::WKT_LITERAL);
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
    let agent_type = format!("{}{}", eu::PUBLISHER_TYPE, publisher.publisher_type);
    t.link(&agent, dct::TYPE, &agent_type);
    t.concept(&agent_type);
    t.link(&catalog, dct::LICENSE, publisher.metadata_licence);
    t.licence(publisher.metadata_licence);
    if let Some(home) = iris.public_base() {
        t.link(&catalog, foaf::HOMEPAGE, home);
        t.typed(home, foaf::DOCUMENT);
    }
    let contact = iris.contact();
    t.typed(&contact, vcard::KIND);
    t.typed(&contact, vcard::ORGANIZATION);
    t.string(&contact, vcard::FN, publisher.organisation);
    if let Some(email) = publisher.contact_email {
        t.link(&contact, vcard::HAS_EMAIL, &format!("mailto:{email}"));
    }
    if let Some(home) = iris.public_base() {
        t.link(&contact, vcard::HAS_URL, home);
    }
    let mut languages = BTreeSet::from(["ENG"]);
    let mut themes = BTreeSet::new();
    let mut places = BTreeSet::new();
    let mut extent: Option<BoundingBox> = None;
    for (definition, stats) in datasets {
        for tag in definition
            .title
            .0
            .keys()
            .chain(definition.description.0.keys())
        {
            languages.extend(language_code(tag));
        }
        themes.extend(definition.themes.iter().cloned());
        places.extend(definition.spatial.iter().cloned());
        if let Some(b) = stats.bbox {
            extent = Some(match extent {
                None => b,
                Some(e) => BoundingBox {
                    min_lon: e.min_lon.min(b.min_lon),
                    min_lat: e.min_lat.min(b.min_lat),
                    max_lon: e.max_lon.max(b.max_lon),
                    max_lat: e.max_lat.max(b.max_lat),
                },
            });
        }
    }
    for code in languages {
        let language = format!("{}{code}", eu::LANGUAGE);
        t.link(&catalog, dct::LANGUAGE, &language);
        t.typed(&language, dct::LINGUISTIC_SYSTEM);
    }
    for place in &places {
        t.link(&catalog, dct::SPATIAL, place);
        t.typed(place, dct::LOCATION);
    }
    if let Some(extent) = extent {
        let location = format!("{catalog}/extent");
        t.link(&catalog, dct::SPATIAL, &location);
        t.location_extent(&location, &extent);
    }

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
    t.link(&service, dcat::CONTACT_POINT, &contact);
    t.link(
        &service,
        dcat::ENDPOINT_DESCRIPTION,
        &iris.sparql_description(),
    );
    for keyword in ["SPARQL", "linked data", "federated query"] {
        t.english(&service, dcat::KEYWORD, keyword);
    }
    for code in &themes {
        t.link(&service, dcat::THEME, &format!("{}{code}", eu::DATA_THEME));
    }

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
    if let Some(page) = iris.to_http(&me) {
        t.link(&me, dcat::LANDING_PAGE, &page);
        t.typed(&page, foaf::DOCUMENT);
    }
    if definition.contact_name.is_none() && definition.contact_email.is_none() {
        t.link(&me, dcat::CONTACT_POINT, &iris.contact());
    } else {
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
        t.location_extent(&extent, bbox);
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
    t.english(
        &distribution,
        dct::DESCRIPTION,
        &format!(
            "The data of \"{}\" through the SPARQL endpoint of {}, under the dataset's usage policy{}.",
            definition.title.best(),
            publisher.organisation,
            match definition.access_rights {
                super::dataset::AccessRights::Public => "",
                super::dataset::AccessRights::Restricted => " (only with an agreement)",
                super::dataset::AccessRights::NonPublic => " (not shared)",
            }
        ),
    );
    t.link(&distribution, dcatap::AVAILABILITY, eu::AVAILABILITY_STABLE);
    t.concept(eu::AVAILABILITY_STABLE);
    t.link(&distribution, dcat::ACCESS_URL, &iris.sparql_service());
    t.link(&distribution, dcat::ACCESS_SERVICE, &iris.sparql_service());
    t.link(&distribution, dct::FORMAT, eu::FILE_TYPE_SPARQL);
    t.typed(eu::FILE_TYPE_SPARQL, dct::MEDIA_TYPE_OR_EXTENT);
    t.link(&distribution, dct::ACCESS_RIGHTS, &access_rights);
    if let Some(licence) = &definition.licence {
        t.link(&distribution, dct::LICENSE, licence);
        t.licence(licence);
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
