//! Aligned text tables: SPARQL JSON results, and the CLI's listings.

use anyhow::Context;
use oxigraph::model::{Literal, Term};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput,
};
use std::io::Write;

/// Widest a cell gets before it is cut with an ellipsis.
const MAX_CELL: usize = 60;
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// `rows` under `header`, each column as wide as its widest cell, two spaces apart (a last
/// column is not padded), one line each.
pub fn aligned(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let text: Vec<String> = cells
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", text.join("  ").trim_end())
    };
    let mut out = line(&mut header.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// "1 entry", "2 entries".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Prints SPARQL JSON solutions as a table followed by the row count.
pub fn print_solutions(json: &[u8], out: &mut impl Write) -> anyhow::Result<()> {
    let parsed = QueryResultsParser::from_format(QueryResultsFormat::Json)
        .for_slice(json)
        .context("the node returned malformed SPARQL JSON")?;
    let SliceQueryResultsParserOutput::Solutions(solutions) = parsed else {
        return print_boolean(json, out);
    };
    let header: Vec<String> = solutions
        .variables()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect();
    let mut rows = Vec::new();
    for solution in solutions {
        let solution = solution.context("the node returned malformed SPARQL JSON")?;
        rows.push(
            solution
                .values()
                .iter()
                .map(|t| t.as_ref().map(cell).unwrap_or_default())
                .collect::<Vec<_>>(),
        );
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    writeln!(out, "{}", line(&header).trim_end())?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    )?;
    for row in &rows {
        writeln!(out, "{}", line(row).trim_end())?;
    }
    writeln!(
        out,
        "({} row{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}

/// Prints an ASK answer.
pub fn print_boolean(json: &[u8], out: &mut impl Write) -> anyhow::Result<()> {
    match QueryResultsParser::from_format(QueryResultsFormat::Json)
        .for_slice(json)
        .context("the node returned malformed SPARQL JSON")?
    {
        SliceQueryResultsParserOutput::Boolean(value) => writeln!(out, "{value}")?,
        SliceQueryResultsParserOutput::Solutions(_) => {
            anyhow::bail!("expected a boolean result")
        }
    }
    Ok(())
}

/// A compact, readable form of a term: numbers bare, strings quoted, IRIs in angle brackets.
fn cell(term: &Term) -> String {
    let text = match term {
        Term::Literal(literal) => literal_cell(literal),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_CELL {
        let cut: String = text.chars().take(MAX_CELL - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn literal_cell(literal: &Literal) -> String {
    if let Some(lang) = literal.language() {
        return format!("\"{}\"@{lang}", literal.value());
    }
    let datatype = literal.datatype().as_str();
    match datatype.strip_prefix(XSD) {
        Some("string") => format!("\"{}\"", literal.value()),
        Some(
            "integer" | "decimal" | "double" | "float" | "boolean" | "int" | "long"
            | "nonNegativeInteger",
        ) => literal.value().to_owned(),
        Some(local) => format!("\"{}\"^^xsd:{local}", literal.value()),
        None => format!("\"{}\"^^<{datatype}>", literal.value()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_line_up_whatever_the_cell_widths() {
        let rows = vec![
            vec!["1".to_owned(), "a-long-peer-id".to_owned(), "x".to_owned()],
            vec!["12".to_owned(), "p".to_owned(), "y".to_owned()],
        ];
        let text = aligned(&["seq", "requester", "reason"], &rows);
        assert_eq!(
            text,
            "seq  requester       reason\n1    a-long-peer-id  x\n12   p               y\n"
        );
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(count(2, "entry", "entries"), "2 entries");
    }

    #[test]
    fn renders_an_aligned_table() {
        let json = br#"{"head":{"vars":["s","n"]},"results":{"bindings":[
            {"s":{"type":"uri","value":"http://e/a"},"n":{"type":"literal","value":"3","datatype":"http://www.w3.org/2001/XMLSchema#integer"}},
            {"s":{"type":"uri","value":"http://e/bb"}}]}}"#;
        let mut out = Vec::new();
        print_solutions(json, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "s             | n\n--------------+--\n<http://e/a>  | 3\n<http://e/bb> |\n(2 rows)\n"
        );
    }
}
