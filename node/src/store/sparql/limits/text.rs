//! The check on a query's text, before parsing: its length and bracket nesting.

use super::shape::{QueryShapeLimits, ShapeError};
use crate::store::nesting::{skip_iri, skip_string};

/// Checks a query's text: its length, and how deeply its brackets nest outside strings,
/// IRIs and comments. Linear in the text, no recursion.
pub fn check_text(text: &str, limits: &QueryShapeLimits) -> Result<(), ShapeError> {
    check_scanned(text.len(), &scan(text), limits)
}

/// [`check_text`] for an update: its length outside `INSERT DATA` / `DELETE DATA` blocks
/// (flat data, parsed without recursion; only `http.max_body_bytes` bounds them).
pub fn check_update_text(text: &str, limits: &QueryShapeLimits) -> Result<(), ShapeError> {
    let scanned = scan(text);
    check_scanned(text.len() - scanned.data_bytes, &scanned, limits)
}

fn check_scanned(
    bytes: usize,
    scanned: &Scanned,
    limits: &QueryShapeLimits,
) -> Result<(), ShapeError> {
    if bytes > limits.max_bytes {
        return Err(ShapeError::TooLong {
            bytes,
            limit: limits.max_bytes,
        });
    }
    if scanned.deepest > limits.max_nesting {
        return Err(ShapeError::Nesting {
            depth: scanned.deepest,
            limit: limits.max_nesting,
        });
    }
    Ok(())
}

/// What one pass over SPARQL text finds.
struct Scanned {
    /// Deepest nesting of `{`, `(` and `[`.
    deepest: usize,
    /// Bytes inside `DATA { … }` blocks.
    data_bytes: usize,
}

/// One pass over SPARQL text: bracket nesting outside string literals, `<IRI>`s, comments
/// and escaped characters, and the extent of `DATA` blocks.
fn scan(text: &str) -> Scanned {
    let bytes = text.as_bytes();
    let (mut i, mut depth, mut deepest) = (0, 0usize, 0usize);
    // Depth at which the current DATA block opened, and where.
    let mut data_block: Option<(usize, usize)> = None;
    let mut data_bytes = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'(' | b'[' => {
                if bytes[i] == b'{' && data_block.is_none() && follows_data_keyword(bytes, i) {
                    data_block = Some((depth, i));
                }
                depth += 1;
                deepest = deepest.max(depth);
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
                if let Some((opened_at, start)) = data_block
                    && depth == opened_at
                {
                    data_bytes += i - start;
                    data_block = None;
                }
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
    Scanned {
        deepest,
        data_bytes,
    }
}

/// Whether the `{` at `open` follows the keyword `DATA` (of `INSERT DATA` / `DELETE DATA`).
fn follows_data_keyword(bytes: &[u8], open: usize) -> bool {
    let before = &bytes[..open];
    let trimmed = before.trim_ascii_end();
    trimmed.len() >= 4
        && trimmed[trimmed.len() - 4..].eq_ignore_ascii_case(b"DATA")
        && trimmed.len().checked_sub(5).is_none_or(|k| {
            !(trimmed[k].is_ascii_alphanumeric() || trimmed[k] == b'_' || trimmed[k] == b':')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sparql::limits::shape::small_limits as limits;

    #[test]
    fn bracket_depth_skips_strings_iris_and_comments() {
        let bracket_depth = |text: &str| scan(text).deepest;
        assert_eq!(bracket_depth("SELECT * { ?s ?p ?o }"), 1);
        assert_eq!(bracket_depth("SELECT * { ?s ?p \"((({{{\" }"), 1);
        assert_eq!(bracket_depth("SELECT * { ?s ?p '''a\n((('''}"), 1);
        assert_eq!(bracket_depth("SELECT * { ?s <http://e/(((> ?o }"), 1);
        assert_eq!(bracket_depth("SELECT * { ?s ?p ?o # ((((\n }"), 1);
        assert_eq!(
            bracket_depth("SELECT * { ?s ?p ?o FILTER(?o < 3 && (?o > 1)) }"),
            3
        );
        assert_eq!(bracket_depth("ASK { [ :p [ :p ( 1 ) ] ] }"), 4);
    }

    #[test]
    fn deep_text_is_refused_before_parsing() {
        let deep = format!("SELECT * {}?s ?p ?o{}", "{".repeat(11), "}".repeat(11));
        let err = check_text(&deep, &limits()).unwrap_err();
        assert_eq!(
            err,
            ShapeError::Nesting {
                depth: 11,
                limit: 10
            }
        );
        assert_eq!(
            err.to_string(),
            "query nesting 11 exceeds the limit of 10 (sparql.max_nesting)"
        );
        let long = "#".repeat(10_001);
        assert!(matches!(
            check_text(&long, &limits()),
            Err(ShapeError::TooLong { bytes: 10_001, .. })
        ));
    }

    #[test]
    fn data_blocks_do_not_count_against_the_update_length() {
        let triples: String = (0..2_000)
            .map(|i| format!("<http://e/s{i}> <http://e/p> \"{{{{((\" . "))
            .collect();
        let update = format!("INSERT DATA {{ GRAPH <http://e/g> {{ {triples} }} }}");
        assert!(update.len() > 10_000);
        check_update_text(&update, &limits()).unwrap();
        assert!(matches!(
            check_text(&update, &limits()),
            Err(ShapeError::TooLong { .. })
        ));
        // Nesting inside a data block still counts: blank-node lists recurse in the parser.
        let nested = format!(
            "insert data {{ <http://e/s> <http://e/p> {}1{} }}",
            "[ <http://e/p> ".repeat(11),
            " ]".repeat(11)
        );
        assert!(matches!(
            check_update_text(&nested, &limits()),
            Err(ShapeError::Nesting { .. })
        ));
        // A WHERE clause outside data blocks counts in full.
        let long_where = format!("DELETE WHERE {{ {} }}", "?s <http://e/p> ?o . ".repeat(600));
        assert!(matches!(
            check_update_text(&long_where, &limits()),
            Err(ShapeError::TooLong { .. })
        ));
    }
}
