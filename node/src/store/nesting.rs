//! How deeply an RDF document nests, measured in one pass without recursion.
//!
//! oxigraph's RDF parsers keep their own stacks, so deep nesting cannot overflow a thread,
//! but their work grows with the square of it: 8,000 nested Turtle collections took 1.5 s to
//! parse, 200,000 (a 1 MB body) would take a quarter of an hour, and RDF/XML elements behave
//! alike. Real data nests a handful of levels, so a document nesting deeper than
//! `storage.max_rdf_nesting` is refused before it is parsed. The string and IRI skipping is
//! shared with the SPARQL text check, whose lexical rules are Turtle's.

use oxigraph::io::RdfFormat;

/// An RDF document nesting deeper than the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{format} nesting deeper than {limit} levels of blank nodes, collections or elements (storage.max_rdf_nesting)"
)]
pub struct RdfNestingError {
    /// The document's format.
    pub format: &'static str,
    /// The limit.
    pub limit: usize,
}

/// Refuses `body` when it nests deeper than `limit`; stops scanning as soon as it does.
pub fn check_rdf_nesting(
    format: RdfFormat,
    body: &[u8],
    limit: usize,
) -> Result<(), RdfNestingError> {
    let exceeds = match format {
        RdfFormat::RdfXml => xml_exceeds(body, limit),
        RdfFormat::JsonLd { .. } => json_exceeds(body, limit),
        _ => turtle_exceeds(body, limit),
    };
    if exceeds {
        Err(RdfNestingError {
            format: format.name(),
            limit,
        })
    } else {
        Ok(())
    }
}

/// Turtle, TriG, N-Triples, N-Quads, N3: `[ ( {` outside strings, IRIs and comments.
fn turtle_exceeds(bytes: &[u8], limit: usize) -> bool {
    let (mut i, mut depth) = (0, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\\' => i += 2,
            quote @ (b'"' | b'\'') => i = skip_string(bytes, i, quote),
            b'<' => i = skip_iri(bytes, i),
            _ => i += 1,
        }
    }
    false
}

/// JSON-LD: `[ {` outside strings.
fn json_exceeds(bytes: &[u8], limit: usize) -> bool {
    let (mut i, mut depth) = (0, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// RDF/XML: open elements, past comments, CDATA, processing instructions, declarations and
/// quoted attribute values.
fn xml_exceeds(bytes: &[u8], limit: usize) -> bool {
    let (mut i, mut depth) = (0, 0usize);
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        if rest.starts_with(b"<!--") {
            i = skip_past(bytes, i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_past(bytes, i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_past(bytes, i + 2, b"?>");
        } else if rest.starts_with(b"<!") {
            i = skip_past(bytes, i + 2, b">");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_past(bytes, i + 2, b">");
        } else {
            let (end, self_closing) = end_of_tag(bytes, i + 1);
            if !self_closing {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            i = end;
        }
    }
    false
}

/// The index after the first `marker` at or after `from` (the end when there is none).
fn skip_past(bytes: &[u8], from: usize, marker: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.windows(marker.len()).position(|w| w == marker))
        .map_or(bytes.len(), |at| from + at + marker.len())
}

/// The index after a start tag's `>` and whether it closed itself (`/>`).
fn end_of_tag(bytes: &[u8], mut i: usize) -> (usize, bool) {
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                i += 1;
            }
            b'>' => return (i + 1, i > 0 && bytes[i - 1] == b'/'),
            _ => i += 1,
        }
    }
    (i, false)
}

/// The index after the string literal starting at `start` (short or long form), in Turtle's
/// and SPARQL's syntax.
pub fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let long = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut i = if long { start + 3 } else { start + 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => {
                if !long {
                    return i + 1;
                }
                if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                    return i + 3;
                }
                i += 1;
            }
            // A short string cannot span lines; stop there so a stray quote cannot hide the
            // rest of the text from the count.
            b'\n' | b'\r' if !long => return i,
            _ => i += 1,
        }
    }
    i
}

/// The index after an `<IRI>` at `start`, or after the `<` alone when it is an operator.
pub fn skip_iri(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'>' => return i + 1,
            b'<' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b'\\' | 0..=0x20 => return start + 1,
            _ => i += 1,
        }
    }
    start + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, middle: &str, close: &str, n: usize) -> Vec<u8> {
        format!("{}{middle}{}", open.repeat(n), close.repeat(n)).into_bytes()
    }

    #[test]
    fn turtle_counts_lists_and_collections_not_strings_or_iris() {
        let ok = b"<s> <p> [ <p> ( 1 2 ) ; <q> \"[[[[((((\" ] . # [[[[\n<s> <p> <urn:x[[[> .";
        assert!(check_rdf_nesting(RdfFormat::Turtle, ok, 2).is_ok());
        assert!(check_rdf_nesting(RdfFormat::Turtle, ok, 1).is_err());
        let deep = nested("[ <p> ", "1", " ]", 65);
        let err = check_rdf_nesting(RdfFormat::Turtle, &deep, 64).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Turtle nesting deeper than 64 levels of blank nodes, collections or elements (storage.max_rdf_nesting)"
        );
    }

    #[test]
    fn json_ld_counts_objects_and_arrays_not_strings() {
        let ok = br#"{"@id": "urn:s", "urn:p": [{"@value": "{[{[{[\"]"}]}"#;
        assert!(
            check_rdf_nesting(
                RdfFormat::JsonLd {
                    profile: Default::default()
                },
                ok,
                3
            )
            .is_ok()
        );
        let deep = nested("{\"urn:p\":", "1", "}", 100);
        assert!(
            check_rdf_nesting(
                RdfFormat::JsonLd {
                    profile: Default::default()
                },
                &deep,
                64
            )
            .is_err()
        );
    }

    #[test]
    fn rdf_xml_counts_open_elements() {
        let ok = br#"<?xml version="1.0"?><!-- <a><b><c> --><rdf:RDF xmlns:rdf="x"><rdf:Description rdf:about="urn:a>b"><p rdf:resource="urn:r"/><q><![CDATA[<x><y>]]></q></rdf:Description></rdf:RDF>"#;
        assert!(check_rdf_nesting(RdfFormat::RdfXml, ok, 3).is_ok());
        assert!(check_rdf_nesting(RdfFormat::RdfXml, ok, 2).is_err());
        let deep = nested("<p><rdf:Description>", "", "</rdf:Description></p>", 40);
        assert!(check_rdf_nesting(RdfFormat::RdfXml, &deep, 64).is_err());
    }
}
