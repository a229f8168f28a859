//! Bounds on the shape of a SPARQL query or update, checked before anything recursive runs.
//!
//! The SPARQL parser, oxigraph's optimiser and evaluator, and the node's own rewrites (the
//! access guards, the federation planner) all recurse over the query. A few kilobytes of
//! nested brackets or a long chain of `UNION`s would make them overflow any thread's stack and
//! abort the whole process. So every query text passes two checks that use no recursion:
//!
//! 1. [`check_text`] before parsing: the text's length and how deeply its brackets nest (the
//!    parser recurses once per bracket level, about 2.5 to 5.5 KB of stack each);
//! 2. [`check_query`] / [`check_update`] after parsing: the depth and size of the algebra, walked
//!    with an explicit stack (chains such as `a UNION b UNION c …` or `?x = 1 || ?x = 2 || …`
//!    parse flat but become one level per link).
//!
//! What passes is bounded, and the threads that parse and evaluate queries get a stack sized
//! for those bounds ([`QueryShapeLimits::stack_bytes`]). Parsing time is bounded by the text's
//! length (spargebra's scoping work is quadratic in some constructs: 20,000 `LATERAL`s took
//! 15 s), planning time by falling back to written order past `max_optimized_width`.

mod algebra;
mod shape;
mod text;

pub use algebra::{check_query, check_update};
pub use shape::{QueryShape, QueryShapeLimits, ShapeError};
pub use text::{check_text, check_update_text};
