//! Tables of SPARQL solutions held in memory: what a member answers to a sub-query, what the
//! federation joins, and what it hands back to oxigraph for the rest of the query.
//!
//! On the wire a table travels as variable names and rows of terms in N-Triples syntax, in
//! chunks of bounded size (see `p2p::protocol::SolutionChunk`).

use oxigraph::model::{BlankNode, Term, Variable};
use oxigraph::sparql::{QueryEvaluationError, QueryResults, QuerySolution, QuerySolutionIter};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

/// A row of a table: one optional term per variable.
pub type Row = Vec<Option<Term>>;

/// A row on the wire: terms in N-Triples syntax.
pub type WireRow = Vec<Option<String>>;

/// Errors building or combining tables.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// A row or variable name received from a member does not parse.
    #[error("malformed solution from {source_name}: {reason}")]
    Malformed {
        /// Who sent it.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// A join or union would hold more rows than allowed.
    #[error(
        "intermediate result exceeds {limit} rows (federation.max_intermediate_rows); make the query more selective"
    )]
    TooManyRows {
        /// The limit that was hit.
        limit: usize,
    },
}

/// A table of solutions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SolutionTable {
    /// Column names.
    pub variables: Vec<Variable>,
    /// Rows, each as long as `variables`.
    pub rows: Vec<Row>,
}

impl SolutionTable {
    /// A table with the given columns and no rows.
    pub fn empty(variables: Vec<Variable>) -> Self {
        Self {
            variables,
            rows: Vec::new(),
        }
    }

    /// The join identity: no columns, one empty row.
    pub fn unit() -> Self {
        Self {
            variables: Vec::new(),
            rows: vec![Vec::new()],
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The column of `variable`.
    pub fn column(&self, variable: &Variable) -> Option<usize> {
        self.variables.iter().position(|v| v == variable)
    }

    /// Reads a table sent by a member. Blank node labels are prefixed with `scope` so that
    /// blank nodes of different members never meet.
    pub fn from_wire(
        variables: &[String],
        rows: Vec<WireRow>,
        scope: &str,
        source_name: &str,
    ) -> Result<Self, TableError> {
        let malformed = |reason: String| TableError::Malformed {
            source_name: source_name.to_owned(),
            reason,
        };
        let variables = variables
            .iter()
            .map(|v| Variable::new(v).map_err(|e| malformed(format!("variable `{v}`: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut table = Self::empty(variables);
        table.rows.reserve(rows.len());
        for row in rows {
            if row.len() != table.variables.len() {
                return Err(malformed(format!(
                    "a row has {} values for {} variables",
                    row.len(),
                    table.variables.len()
                )));
            }
            let row = row
                .into_iter()
                .map(|value| value.map(|text| parse_term(&text, scope)).transpose())
                .collect::<Result<Row, String>>()
                .map_err(malformed)?;
            table.rows.push(row);
        }
        Ok(table)
    }

    /// The rows in wire form, cut into chunks of at most about `max_bytes` each (a single
    /// larger row still travels, alone).
    pub fn to_wire_chunks(&self, max_bytes: usize) -> Vec<Vec<WireRow>> {
        let mut chunks = Vec::new();
        let mut chunk = Vec::new();
        let mut size = 0;
        for row in &self.rows {
            let wire: WireRow = row
                .iter()
                .map(|t| t.as_ref().map(ToString::to_string))
                .collect();
            let row_size: usize = wire
                .iter()
                .map(|v| v.as_ref().map_or(1, |s| s.len() + 4))
                .sum();
            if !chunk.is_empty() && size + row_size > max_bytes {
                chunks.push(std::mem::take(&mut chunk));
                size = 0;
            }
            size += row_size;
            chunk.push(wire);
        }
        if !chunk.is_empty() || chunks.is_empty() {
            chunks.push(chunk);
        }
        chunks
    }

    /// The variable names, for the wire.
    pub fn variable_names(&self) -> Vec<String> {
        self.variables
            .iter()
            .map(|v| v.as_str().to_owned())
            .collect()
    }

    /// The table without the columns `drop` selects.
    pub fn without_columns(self, drop: impl Fn(&Variable) -> bool) -> SolutionTable {
        let keep: Vec<usize> = (0..self.variables.len())
            .filter(|&i| !drop(&self.variables[i]))
            .collect();
        if keep.len() == self.variables.len() {
            return self;
        }
        SolutionTable {
            variables: keep.iter().map(|&i| self.variables[i].clone()).collect(),
            rows: self
                .rows
                .into_iter()
                .map(|row| keep.iter().map(|&i| row[i].clone()).collect())
                .collect(),
        }
    }

    /// Appends `other`'s rows (a bag union), aligning columns by name.
    pub fn append(&mut self, other: SolutionTable, limit: usize) -> Result<(), TableError> {
        for variable in &other.variables {
            if self.column(variable).is_none() {
                self.variables.push(variable.clone());
                for row in &mut self.rows {
                    row.push(None);
                }
            }
        }
        let positions: Vec<usize> = self
            .variables
            .iter()
            .map(|v| other.column(v).unwrap_or(usize::MAX))
            .collect();
        if self.rows.len() + other.rows.len() > limit {
            return Err(TableError::TooManyRows { limit });
        }
        for row in other.rows {
            self.rows.push(
                positions
                    .iter()
                    .map(|&i| row.get(i).cloned().flatten())
                    .collect(),
            );
        }
        Ok(())
    }

    /// Removes duplicate rows, keeping the first of each.
    pub fn dedup(&mut self) {
        let mut seen = HashSet::with_capacity(self.rows.len());
        self.rows.retain(|row| seen.insert(row.clone()));
    }

    /// The distinct combinations of `variables` over the rows where all are bound.
    pub fn distinct_bindings(&self, variables: &[Variable]) -> Vec<Vec<Term>> {
        let columns: Vec<usize> = variables.iter().filter_map(|v| self.column(v)).collect();
        if columns.len() != variables.len() {
            return Vec::new();
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for row in &self.rows {
            let key: Option<Vec<Term>> = columns.iter().map(|&c| row[c].clone()).collect();
            if let Some(key) = key
                && seen.insert(key.clone())
            {
                out.push(key);
            }
        }
        out
    }

    /// Whether `variable` is bound in every row.
    pub fn always_bound(&self, variable: &Variable) -> bool {
        self.column(variable)
            .is_some_and(|c| self.rows.iter().all(|row| row[c].is_some()))
    }

    /// The SPARQL join of two tables (compatible rows merged), at most `limit` rows.
    pub fn join(&self, other: &SolutionTable, limit: usize) -> Result<SolutionTable, TableError> {
        let shared: Vec<(usize, usize)> = self
            .variables
            .iter()
            .enumerate()
            .filter_map(|(i, v)| other.column(v).map(|j| (i, j)))
            .collect();
        let mut variables = self.variables.clone();
        let extra: Vec<usize> = (0..other.variables.len())
            .filter(|j| !shared.iter().any(|(_, s)| s == j))
            .collect();
        variables.extend(extra.iter().map(|&j| other.variables[j].clone()));
        let mut out = SolutionTable::empty(variables);
        let merge = |left: &Row, right: &Row| -> Option<Row> {
            let mut row = left.clone();
            for &(i, j) in &shared {
                match (&left[i], &right[j]) {
                    (Some(a), Some(b)) if a != b => return None,
                    (None, Some(b)) => row[i] = Some(b.clone()),
                    _ => {}
                }
            }
            row.extend(extra.iter().map(|&j| right[j].clone()));
            Some(row)
        };
        let mut push = |row: Row| -> Result<(), TableError> {
            if out.rows.len() >= limit {
                return Err(TableError::TooManyRows { limit });
            }
            out.rows.push(row);
            Ok(())
        };
        // Hash the right side on the shared columns; rows with an unbound shared value are
        // compatible with many keys and take the slow path.
        let key_of = |row: &Row, pick: &dyn Fn(&(usize, usize)) -> usize| -> Option<Vec<Term>> {
            shared.iter().map(|s| row[pick(s)].clone()).collect()
        };
        let mut index: HashMap<Vec<Term>, Vec<&Row>> = HashMap::new();
        let mut loose: Vec<&Row> = Vec::new();
        for row in &other.rows {
            match key_of(row, &|s| s.1) {
                Some(key) => index.entry(key).or_default().push(row),
                None => loose.push(row),
            }
        }
        for left in &self.rows {
            match key_of(left, &|s| s.0) {
                Some(key) => {
                    for right in index.get(&key).into_iter().flatten() {
                        if let Some(row) = merge(left, right) {
                            push(row)?;
                        }
                    }
                }
                None => {
                    for right in index.values().flatten() {
                        if let Some(row) = merge(left, right) {
                            push(row)?;
                        }
                    }
                }
            }
            for right in &loose {
                if let Some(row) = merge(left, right) {
                    push(row)?;
                }
            }
        }
        Ok(out)
    }

    /// The table as query results: solutions, or for an ASK a boolean (a row means true).
    pub fn into_results(self, ask: bool) -> QueryResults<'static> {
        if ask {
            QueryResults::Boolean(!self.is_empty())
        } else {
            QueryResults::Solutions(self.into_solutions())
        }
    }

    /// The table as oxigraph solutions.
    pub fn into_solutions(self) -> QuerySolutionIter<'static> {
        let variables: Arc<[Variable]> = self.variables.into();
        let names = Arc::clone(&variables);
        QuerySolutionIter::new(
            variables,
            self.rows.into_iter().map(move |row| {
                Ok::<_, QueryEvaluationError>(QuerySolution::from((Arc::clone(&names), row)))
            }),
        )
    }
}

/// Parses one term in N-Triples syntax, scoping blank nodes.
fn parse_term(text: &str, scope: &str) -> Result<Term, String> {
    if let Some(label) = text.strip_prefix("_:") {
        return BlankNode::new(format!("{scope}{label}"))
            .map(Term::from)
            .map_err(|e| format!("blank node `{text}`: {e}"));
    }
    Term::from_str(text).map_err(|e| format!("term `{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{Literal, NamedNode};

    fn var(name: &str) -> Variable {
        Variable::new_unchecked(name)
    }

    fn iri(s: &str) -> Option<Term> {
        Some(NamedNode::new_unchecked(format!("http://e/{s}")).into())
    }

    #[test]
    fn joins_merge_compatible_rows_including_unbound_values() {
        let left = SolutionTable {
            variables: vec![var("a"), var("b")],
            rows: vec![vec![iri("1"), iri("x")], vec![iri("2"), None]],
        };
        let right = SolutionTable {
            variables: vec![var("b"), var("c")],
            rows: vec![vec![iri("x"), iri("c1")], vec![iri("y"), iri("c2")]],
        };
        let joined = left.join(&right, 100).unwrap();
        assert_eq!(joined.variables, vec![var("a"), var("b"), var("c")]);
        let mut rows = joined.rows.clone();
        rows.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(rows.contains(&vec![iri("1"), iri("x"), iri("c1")]));
        assert!(rows.contains(&vec![iri("2"), iri("y"), iri("c2")]));
        assert!(matches!(
            left.join(&right, 2),
            Err(TableError::TooManyRows { limit: 2 })
        ));
        assert_eq!(SolutionTable::unit().join(&right, 10).unwrap().len(), 2);
    }

    #[test]
    fn wire_round_trip_scopes_blank_nodes_and_rejects_garbage() {
        let table = SolutionTable {
            variables: vec![var("s"), var("o")],
            rows: vec![
                vec![
                    iri("s"),
                    Some(Literal::new_language_tagged_literal_unchecked("hé \"q\"", "fr").into()),
                ],
                vec![Some(BlankNode::new_unchecked("b0").into()), None],
            ],
        };
        let chunks = table.to_wire_chunks(10);
        assert_eq!(chunks.len(), 2);
        let rows: Vec<WireRow> = chunks.into_iter().flatten().collect();
        let back = SolutionTable::from_wire(&table.variable_names(), rows, "m1x", "m1").unwrap();
        assert_eq!(back.rows[0], table.rows[0]);
        assert_eq!(
            back.rows[1][0],
            Some(BlankNode::new_unchecked("m1xb0").into())
        );
        let bad = SolutionTable::from_wire(
            &["s".into()],
            vec![vec![Some("<not closed".into())]],
            "",
            "m1",
        );
        assert!(bad.unwrap_err().to_string().contains("m1"));
        let short = SolutionTable::from_wire(&["s".into(), "o".into()], vec![vec![None]], "", "m1");
        assert!(short.is_err());
        assert!(SolutionTable::from_wire(&["1 bad".into()], vec![], "", "m1").is_err());
    }
}
