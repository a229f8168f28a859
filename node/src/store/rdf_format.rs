//! Choosing RDF and SPARQL result formats from file names, media types and short names.

use oxigraph::io::RdfFormat;
use oxigraph::sparql::results::QueryResultsFormat;
use std::path::Path;

/// The RDF formats hanse reads and writes, in the order they are offered.
pub fn rdf_formats() -> [RdfFormat; 6] {
    [
        RdfFormat::Turtle,
        RdfFormat::NTriples,
        RdfFormat::RdfXml,
        json_ld(),
        RdfFormat::NQuads,
        RdfFormat::TriG,
    ]
}

/// Plain JSON-LD (no profile).
pub fn json_ld() -> RdfFormat {
    // `from_extension` is the public way to build the profile-less JSON-LD variant.
    RdfFormat::from_extension("jsonld").unwrap_or(RdfFormat::NQuads)
}

/// The format of an RDF file from its extension (`.ttl`, `.nt`, `.nq`, `.trig`, `.rdf`, `.jsonld`…).
pub fn rdf_format_from_path(path: &Path) -> Option<RdfFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    // `.gz` and friends are not supported; `.owl` and `.xml` are usually RDF/XML.
    match ext.as_str() {
        "owl" | "xml" => Some(RdfFormat::RdfXml),
        "json" => Some(json_ld()),
        other => RdfFormat::from_extension(other),
    }
}

/// An RDF format from a short name given on the command line (`turtle`, `ttl`, `nt`…) or a media type.
pub fn rdf_format_from_name(name: &str) -> Option<RdfFormat> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "turtle" => Some(RdfFormat::Turtle),
        "ntriples" | "n-triples" => Some(RdfFormat::NTriples),
        "nquads" | "n-quads" => Some(RdfFormat::NQuads),
        "rdfxml" | "rdf/xml" | "xml" => Some(RdfFormat::RdfXml),
        "json-ld" | "json" => Some(json_ld()),
        other if other.contains('/') => RdfFormat::from_media_type(other),
        other => RdfFormat::from_extension(other),
    }
}

/// The SPARQL result formats hanse writes, in the order they are offered (JSON first: it is
/// the default for clients that accept anything).
pub fn result_formats() -> [QueryResultsFormat; 4] {
    [
        QueryResultsFormat::Json,
        QueryResultsFormat::Xml,
        QueryResultsFormat::Csv,
        QueryResultsFormat::Tsv,
    ]
}

/// Media types that also name a result format although they are not its canonical type.
pub fn result_format_aliases() -> [(&'static str, QueryResultsFormat); 2] {
    [
        ("application/json", QueryResultsFormat::Json),
        ("application/xml", QueryResultsFormat::Xml),
    ]
}

/// Names accepted by `--format` for results.
pub const RDF_FORMAT_NAMES: &str = "turtle, ntriples, nquads, trig, rdfxml, jsonld";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_names_map_to_formats() {
        assert_eq!(
            rdf_format_from_path(Path::new("a.ttl")),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(
            rdf_format_from_path(Path::new("a.NQ")),
            Some(RdfFormat::NQuads)
        );
        assert_eq!(rdf_format_from_path(Path::new("a.jsonld")), Some(json_ld()));
        assert_eq!(
            rdf_format_from_path(Path::new("a.owl")),
            Some(RdfFormat::RdfXml)
        );
        assert_eq!(rdf_format_from_path(Path::new("a.csv")), None);
        assert_eq!(rdf_format_from_name("TriG"), Some(RdfFormat::TriG));
        assert_eq!(rdf_format_from_name("text/turtle"), Some(RdfFormat::Turtle));
        assert!(matches!(json_ld(), RdfFormat::JsonLd { .. }));
    }
}
