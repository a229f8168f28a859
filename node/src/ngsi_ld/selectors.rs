//! The other selectors of an entity query: the type expression (`type=A,B`, `(A;B),C`) and
//! `scopeQ` (`/Madrid/+/Parque`, `/CompanyA/#`, `;` and `,`).

use super::context::ActiveContext;
use super::error::NgsiLdError;
use super::model::expand_type;

/// A boolean expression over entity types (or scopes): OR of ANDs.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    /// Alternatives; each is a conjunction of terms.
    pub any: Vec<Vec<String>>,
}

fn split_top(text: &str, separator: char) -> Result<Vec<&str>, NgsiLdError> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1).ok_or_else(|| {
                    NgsiLdError::BadRequestData(format!("`{text}`: unbalanced `)`"))
                })?
            }
            c if c == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(NgsiLdError::BadRequestData(format!(
            "`{text}`: unbalanced `(`"
        )));
    }
    parts.push(&text[start..]);
    Ok(parts)
}

/// Parses `A,B`, `(A;B),C`, `A;B` with `leaf` mapping each name; at most one level of
/// parentheses (which is all the grammar allows).
fn parse(
    text: &str,
    leaf: impl Fn(&str) -> Result<String, NgsiLdError>,
) -> Result<Selector, NgsiLdError> {
    let mut any = Vec::new();
    for alternative in split_top(text, ',')? {
        let alternative = alternative.trim();
        let inner = alternative
            .strip_prefix('(')
            .and_then(|a| a.strip_suffix(')'))
            .unwrap_or(alternative);
        let mut all = Vec::new();
        for name in split_top(inner, ';')? {
            let name = name.trim().trim_start_matches('(').trim_end_matches(')');
            if name.is_empty() {
                return Err(NgsiLdError::BadRequestData(format!(
                    "`{text}` has an empty name"
                )));
            }
            all.push(leaf(name)?);
        }
        any.push(all);
    }
    Ok(Selector { any })
}

/// Parses a `type` parameter, expanding names with `context`.
pub fn parse_types(text: &str, context: &ActiveContext) -> Result<Selector, NgsiLdError> {
    parse(text, |name| expand_type(name, context))
}

/// Parses a `scopeQ` parameter.
pub fn parse_scopes(text: &str) -> Result<Selector, NgsiLdError> {
    parse(text, |name| {
        if name.starts_with('/') {
            Ok(name.to_owned())
        } else {
            Err(NgsiLdError::BadRequestData(format!(
                "scope `{name}` must start with `/`"
            )))
        }
    })
}

impl Selector {
    /// Whether the type IRIs `have` satisfy the expression.
    pub fn matches_types(&self, have: &[String]) -> bool {
        self.any
            .iter()
            .any(|all| all.iter().all(|t| have.contains(t)))
    }

    /// Every name the expression mentions, in order, once each.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for name in self.any.iter().flatten() {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    /// Whether the scopes `have` satisfy the scope expression.
    pub fn matches_scopes(&self, have: &[String]) -> bool {
        self.any.iter().any(|all| {
            all.iter()
                .all(|pattern| have.iter().any(|s| scope_matches(pattern, s)))
        })
    }
}

/// MQTT-like scope patterns: `+` one level, `#` any depth (`/#` matches every scope).
fn scope_matches(pattern: &str, scope: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    let scope: Vec<&str> = scope.trim_start_matches('/').split('/').collect();
    for (i, p) in pattern.iter().enumerate() {
        match *p {
            "#" => return true,
            "+" if i < scope.len() => {}
            p if scope.get(i) == Some(&p) => {}
            _ => return false,
        }
    }
    pattern.len() == scope.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_types_select_what_they_say() {
        let s = parse_scopes("/Madrid/+/ParqueNorte").unwrap();
        assert!(s.matches_scopes(&["/Madrid/Gardens/ParqueNorte".into()]));
        assert!(!s.matches_scopes(&["/Madrid/Gardens/Other".into()]));
        let all = parse_scopes("/#").unwrap();
        assert!(all.matches_scopes(&["/a".into()]));
        let and = parse_scopes("/a;/b").unwrap();
        assert!(and.matches_scopes(&["/a".into(), "/b".into()]));
        assert!(!and.matches_scopes(&["/a".into()]));
        let t = parse("(A;B),C", |n| Ok(n.to_owned())).unwrap();
        assert!(t.matches_types(&["A".into(), "B".into()]));
        assert!(t.matches_types(&["C".into()]));
        assert!(!t.matches_types(&["A".into()]));
        assert_eq!(t.names(), vec!["A", "B", "C"]);
        assert!(parse("(A", |n| Ok(n.to_owned())).is_err());
    }
}
