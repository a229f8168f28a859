//! The sub-expressions of a SPARQL expression, so the walks that look inside one (the shape
//! limits, the aggregate guard, the federation planner) do not each list every operator.

use spargebra::algebra::Expression;

/// The direct sub-expressions of `expression`, in order; none for terms, variables, `BOUND`
/// and `EXISTS` (whose pattern is a graph pattern, not an expression).
pub fn children(expression: &Expression) -> Vec<&Expression> {
    use Expression as E;
    match expression {
        E::NamedNode(_) | E::Literal(_) | E::Variable(_) | E::Bound(_) | E::Exists(_) => Vec::new(),
        E::Or(a, b)
        | E::And(a, b)
        | E::Equal(a, b)
        | E::SameTerm(a, b)
        | E::Greater(a, b)
        | E::GreaterOrEqual(a, b)
        | E::Less(a, b)
        | E::LessOrEqual(a, b)
        | E::Add(a, b)
        | E::Subtract(a, b)
        | E::Multiply(a, b)
        | E::Divide(a, b) => vec![a, b],
        E::UnaryPlus(a) | E::UnaryMinus(a) | E::Not(a) => vec![a],
        E::If(a, b, c) => vec![a, b, c],
        E::In(a, list) => std::iter::once(&**a).chain(list).collect(),
        E::Coalesce(list) | E::FunctionCall(_, list) => list.iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spargebra::term::Variable;

    #[test]
    fn children_are_the_operands_in_order() {
        let v = |n: &str| Expression::Variable(Variable::new_unchecked(n));
        let e = Expression::In(Box::new(v("a")), vec![v("b"), v("c")]);
        assert_eq!(children(&e), vec![&v("a"), &v("b"), &v("c")]);
        let e = Expression::If(Box::new(v("a")), Box::new(v("b")), Box::new(v("c")));
        assert_eq!(children(&e).len(), 3);
        assert!(children(&Expression::Bound(Variable::new_unchecked("x"))).is_empty());
    }
}
