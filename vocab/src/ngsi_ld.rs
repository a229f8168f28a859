//! NGSI-LD (ETSI GS CIM 009): the core namespace, its terms hanse stores, and the embedded
//! core @contexts, so that no NGSI-LD request ever makes the node fetch them.

/// The NGSI-LD namespace (`ngsi-ld:`).
pub const NS: &str = "https://uri.etsi.org/ngsi-ld/";
/// The namespace `@vocab` of the core context maps undefined terms into.
pub const DEFAULT_CONTEXT: &str = "https://uri.etsi.org/ngsi-ld/default-context/";
/// `ngsi-ld:location`, the default GeoProperty.
pub const LOCATION: &str = "https://uri.etsi.org/ngsi-ld/location";
/// `ngsi-ld:observationSpace`.
pub const OBSERVATION_SPACE: &str = "https://uri.etsi.org/ngsi-ld/observationSpace";
/// `ngsi-ld:operationSpace`.
pub const OPERATION_SPACE: &str = "https://uri.etsi.org/ngsi-ld/operationSpace";
/// `ngsi-ld:createdAt`.
pub const CREATED_AT: &str = "https://uri.etsi.org/ngsi-ld/createdAt";
/// `ngsi-ld:modifiedAt`.
pub const MODIFIED_AT: &str = "https://uri.etsi.org/ngsi-ld/modifiedAt";
/// `ngsi-ld:scope`.
pub const SCOPE: &str = "https://uri.etsi.org/ngsi-ld/scope";
/// Base of the NGSI-LD error types (ProblemDetails `type`).
pub const ERRORS: &str = "https://uri.etsi.org/ngsi-ld/errors/";

/// The core context URL hanse answers with by default (v1.8).
pub const CORE_CONTEXT: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";

const V1_6: &str = include_str!("../contexts/ngsi-ld-core-context-v1.6.jsonld");
const V1_7: &str = include_str!("../contexts/ngsi-ld-core-context-v1.7.jsonld");
const V1_8: &str = include_str!("../contexts/ngsi-ld-core-context-v1.8.jsonld");
const V1_9: &str = include_str!("../contexts/ngsi-ld-core-context-v1.9.jsonld");
const DATA_INTEGRITY_V2: &str = include_str!("../contexts/data-integrity-v2.jsonld");

/// Every embedded context: URL and document (see `vocab/contexts/README.md` for sources
/// and licences).
pub const EMBEDDED_CONTEXTS: &[(&str, &str)] = &[
    (
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
        V1_6,
    ),
    (
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
        V1_7,
    ),
    (CORE_CONTEXT, V1_8),
    // Brokers map the unversioned URL to a current core context; hanse uses its default.
    (
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
        V1_8,
    ),
    (
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld",
        V1_9,
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        DATA_INTEGRITY_V2,
    ),
];

/// The embedded document for `url`, if hanse embeds it.
pub fn embedded_context(url: &str) -> Option<&'static str> {
    EMBEDDED_CONTEXTS
        .iter()
        .find(|(u, _)| *u == url)
        .map(|(_, document)| *document)
}

/// Whether `url` names an NGSI-LD core context (any version, embedded or not): such URLs
/// are never fetched.
pub fn is_core_context(url: &str) -> bool {
    url.starts_with("https://uri.etsi.org/ngsi-ld/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_embedded_context_is_a_json_object_with_a_context() {
        for (url, document) in super::EMBEDDED_CONTEXTS {
            assert!(document.trim_start().starts_with('{'), "{url}");
            assert!(document.contains("\"@context\""), "{url}");
        }
        assert!(super::embedded_context(super::CORE_CONTEXT).is_some());
        assert!(super::embedded_context("https://example.org/c.jsonld").is_none());
    }
}
