//! The limits a query's shape is checked against, the stack they need, and the refusal.

use crate::config::SparqlSection;

/// Limits on a query's text and algebra (`[sparql]` in `hanse.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryShapeLimits {
    /// Longest query text, in bytes; for updates, outside `INSERT DATA`/`DELETE DATA`
    /// blocks (`sparql.max_query_bytes`).
    pub max_bytes: usize,
    /// Deepest bracket nesting `{ ( [` in the text (`sparql.max_nesting`).
    pub max_nesting: usize,
    /// Deepest path through the parsed algebra (`sparql.max_algebra_depth`).
    pub max_depth: usize,
    /// Most patterns, expressions, paths and triple patterns in the algebra
    /// (`sparql.max_algebra_size`).
    pub max_size: usize,
    /// Widest join (or deepest algebra) the optimiser plans (`sparql.max_optimized_width`).
    pub max_optimized_width: usize,
}

impl From<&SparqlSection> for QueryShapeLimits {
    fn from(section: &SparqlSection) -> Self {
        Self {
            max_bytes: section.max_query_bytes,
            max_nesting: section.max_nesting,
            max_depth: section.max_algebra_depth,
            max_size: section.max_algebra_size,
            max_optimized_width: section.max_optimized_width,
        }
    }
}

impl Default for QueryShapeLimits {
    fn default() -> Self {
        Self::from(&SparqlSection::default())
    }
}

/// Stack a query thread needs besides the query (oxigraph's and RocksDB's own frames).
const BASE_STACK: usize = 1024 * 1024;
/// Stack one bracket level costs while parsing, with room to spare: measured in release
/// builds at 2.4 KB for groups and parentheses, 3.5 KB for blank-node lists, 4.6 KB for
/// function calls and 5.3 KB for sub-selects and `EXISTS`.
const STACK_PER_NESTING: usize = 16 * 1024;
/// Stack one algebra level costs in evaluation and in the node's own rewrites, with room:
/// measured at most 2.2 KB per level (a 128-long UNION chain evaluated in 279 KB).
const STACK_PER_DEPTH: usize = 8 * 1024;
/// Stack one level of a chain costs in spargebra's work after parsing (in-scope variables of
/// `SELECT *`, scoping) and when the algebra is dropped: measured at most 456 bytes (a
/// 100,000-long path sequence took 45 MB), rounded up.
const STACK_PER_LINK: usize = 512;
/// Fewest bytes of text one chain link takes (`1+1+…`, `:a/:a/…`).
const BYTES_PER_LINK: usize = 2;

impl QueryShapeLimits {
    /// The stack a thread needs to parse and check any text [`check_text`] admits (a refused
    /// algebra can be as deep as its text is long, so parsing and dropping it are bounded by
    /// `max_bytes`), and to evaluate any algebra [`check_query`] admits.
    pub fn stack_bytes(&self) -> usize {
        let nesting = self.max_nesting.saturating_mul(STACK_PER_NESTING);
        let depth = self.max_depth.saturating_mul(STACK_PER_DEPTH);
        let links = (self.max_bytes / BYTES_PER_LINK).saturating_mul(STACK_PER_LINK);
        BASE_STACK
            .saturating_add(nesting)
            .saturating_add(depth)
            .saturating_add(links)
    }
}

/// Small limits for the checks' unit tests.
#[cfg(test)]
pub fn small_limits() -> QueryShapeLimits {
    QueryShapeLimits {
        max_bytes: 10_000,
        max_nesting: 10,
        max_depth: 20,
        max_size: 200,
        max_optimized_width: 8,
    }
}

/// The measured shape of a parsed query, for choosing how to evaluate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryShape {
    /// Deepest path through the algebra.
    pub depth: usize,
    /// Parts counted.
    pub size: usize,
    /// Most operands of one join (triple patterns and other patterns joined together).
    pub widest_join: usize,
}

impl QueryShape {
    /// Whether the optimiser may plan this query within `limits`: its planning time grows
    /// with the cube of join width and chain length (a 128-pattern join took 3 s to plan, a
    /// 64-pattern one 0.2 s) and no timeout interrupts it.
    pub fn optimizable(&self, limits: &QueryShapeLimits) -> bool {
        self.widest_join <= limits.max_optimized_width && self.depth <= limits.max_optimized_width
    }
}

/// A query or update over one of the limits; the message names the value and the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// The text is longer than `sparql.max_query_bytes`.
    #[error("query of {bytes} bytes exceeds the limit of {limit} bytes (sparql.max_query_bytes)")]
    TooLong {
        /// Length of the text.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Brackets nest deeper than `sparql.max_nesting`.
    #[error("query nesting {depth} exceeds the limit of {limit} (sparql.max_nesting)")]
    Nesting {
        /// Deepest bracket nesting found.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// The algebra is deeper than `sparql.max_algebra_depth`.
    #[error(
        "query algebra depth {depth} exceeds the limit of {limit} (sparql.max_algebra_depth); long chains of UNION, OPTIONAL, MINUS, || or && each add a level"
    )]
    Depth {
        /// Depth of the algebra.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// The algebra has more parts than `sparql.max_algebra_size`.
    #[error("query algebra of {size} parts exceeds the limit of {limit} (sparql.max_algebra_size)")]
    Size {
        /// Parts counted (patterns, expressions, paths, triple patterns).
        size: usize,
        /// The limit.
        limit: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_grows_with_the_limits() {
        let defaults = QueryShapeLimits::default();
        assert!(defaults.stack_bytes() > 16 * 1024 * 1024);
        assert!(defaults.stack_bytes() < 64 * 1024 * 1024);
    }
}
