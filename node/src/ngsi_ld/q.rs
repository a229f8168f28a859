//! The NGSI-LD query language (`q`, ETSI GS CIM 009 clause 4.9): parsing with bounds on
//! length and nesting, and evaluation against an entity.
//!
//! `q=airQualityLevel>=4;airQualityLevel<7`, `name=="Eiffel Tower"|almostFull==false`,
//! `(a==1|b==2);c~="^x"`, ranges `a==1..5`, value lists `a=="x","y"`, sub-attributes
//! `speed.observedAt>…`, and paths into structured values `address[city]=="Paris"`.

use super::context::ActiveContext;
use super::error::NgsiLdError;
use super::model::{Entity, Instance};
use regex::Regex;
use serde_json::Value;

/// Deepest parenthesis nesting accepted.
pub const MAX_NESTING: usize = 32;

/// A parsed `q` expression with expanded attribute names.
#[derive(Debug, Clone)]
pub enum Query {
    /// All must hold.
    And(Vec<Query>),
    /// Any must hold.
    Or(Vec<Query>),
    /// One comparison (or an existence test).
    Term(Term),
}

/// One comparison.
#[derive(Debug, Clone)]
pub struct Term {
    /// The attribute's IRI.
    pub attr: String,
    /// Sub-attribute or member names after `.` (expanded where they are sub-attributes).
    pub sub: Vec<(String, String)>,
    /// Keys inside the value (`[a][b]` or `[a.b]`).
    pub path: Vec<String>,
    /// The comparison, or `None` for an existence test.
    pub test: Option<(Op, Operand)>,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `~=`
    Match,
    /// `!~=`
    NotMatch,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone)]
pub enum Operand {
    /// One value.
    Value(Value),
    /// Any of these values.
    List(Vec<Value>),
    /// Between two values, inclusive.
    Range(Value, Value),
    /// A regular expression.
    Pattern(Box<Regex>),
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    context: &'a ActiveContext,
}

fn bad(message: impl Into<String>) -> NgsiLdError {
    NgsiLdError::InvalidRequest(message.into())
}

/// Parses `text`, expanding attribute names with `context`.
pub fn parse(text: &str, context: &ActiveContext, max_bytes: usize) -> Result<Query, NgsiLdError> {
    if text.len() > max_bytes {
        return Err(bad(format!(
            "q is {} bytes long; at most {max_bytes} are accepted (ngsi_ld.max_query_bytes)",
            text.len()
        )));
    }
    let mut parser = Parser {
        text,
        pos: 0,
        context,
    };
    let query = parser.or(0)?;
    if parser.pos != text.len() {
        return Err(bad(format!(
            "q: unexpected `{}` at position {}",
            &text[parser.pos..],
            parser.pos
        )));
    }
    Ok(query)
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self, depth: usize) -> Result<Query, NgsiLdError> {
        let mut items = vec![self.and(depth)?];
        while self.eat("|") {
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Query, NgsiLdError> {
        let mut items = vec![self.atom(depth)?];
        while self.eat(";") {
            items.push(self.atom(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::And(items)
        })
    }

    fn atom(&mut self, depth: usize) -> Result<Query, NgsiLdError> {
        if self.eat("(") {
            if depth >= MAX_NESTING {
                return Err(bad(format!(
                    "q nests parentheses deeper than {MAX_NESTING}"
                )));
            }
            let inner = self.or(depth + 1)?;
            if !self.eat(")") {
                return Err(bad(format!("q: missing `)` at position {}", self.pos)));
            }
            return Ok(inner);
        }
        self.term().map(Query::Term)
    }

    fn name(&mut self) -> Result<String, NgsiLdError> {
        let start = self.pos;
        let end = self
            .rest()
            .find(|c: char| {
                matches!(
                    c,
                    '.' | '[' | ']' | '=' | '!' | '<' | '>' | '~' | ';' | '|' | '(' | ')'
                )
            })
            .map_or(self.text.len(), |i| start + i);
        // A compact IRI or a full IRI keeps its colon and slashes.
        let mut end = end;
        if self.text[start..].starts_with("http://") || self.text[start..].starts_with("https://") {
            end = self.text[start..]
                .find(|c: char| {
                    matches!(c, '[' | '=' | '!' | '<' | '>' | '~' | ';' | '|' | '(' | ')')
                })
                .map_or(self.text.len(), |i| start + i);
        }
        if end == start {
            return Err(bad(format!(
                "q: expected an attribute name at position {start}"
            )));
        }
        self.pos = end;
        Ok(self.text[start..end].to_owned())
    }

    fn term(&mut self) -> Result<Term, NgsiLdError> {
        let name = self.name()?;
        let attr = self.context.expand(&name);
        let mut sub = Vec::new();
        while self.eat(".") {
            let member = self.name()?;
            let expanded = self.context.expand(&member);
            sub.push((member, expanded));
        }
        let mut path = Vec::new();
        while self.eat("[") {
            let end = self.rest().find(']').ok_or_else(|| bad("q: missing `]`"))?;
            let inner = &self.rest()[..end];
            path.extend(inner.split('.').map(str::to_owned));
            self.pos += end + 1;
        }
        let op = if self.eat("==") {
            Op::Eq
        } else if self.eat("!=") {
            Op::Ne
        } else if self.eat(">=") {
            Op::Ge
        } else if self.eat("<=") {
            Op::Le
        } else if self.eat(">") {
            Op::Gt
        } else if self.eat("<") {
            Op::Lt
        } else if self.eat("~=") {
            Op::Match
        } else if self.eat("!~=") {
            Op::NotMatch
        } else {
            return Ok(Term {
                attr,
                sub,
                path,
                test: None,
            });
        };
        let operand = self.operand(op)?;
        Ok(Term {
            attr,
            sub,
            path,
            test: Some((op, operand)),
        })
    }

    fn operand(&mut self, op: Op) -> Result<Operand, NgsiLdError> {
        if matches!(op, Op::Match | Op::NotMatch) {
            let text = self.value_text()?;
            let pattern = match serde_json::from_str::<Value>(&text) {
                Ok(Value::String(s)) => s,
                _ => text,
            };
            let regex = regex::RegexBuilder::new(&pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| bad(format!("q: `{pattern}` is not a regular expression: {e}")))?;
            return Ok(Operand::Pattern(Box::new(regex)));
        }
        let first = self.value()?;
        if self.eat("..") {
            let second = self.value()?;
            return Ok(Operand::Range(first, second));
        }
        if self.rest().starts_with(',') {
            let mut values = vec![first];
            while self.eat(",") {
                values.push(self.value()?);
            }
            return Ok(Operand::List(values));
        }
        Ok(Operand::Value(first))
    }

    fn value_text(&mut self) -> Result<String, NgsiLdError> {
        let start = self.pos;
        if self.rest().starts_with('"') {
            let mut escaped = false;
            for (i, c) in self.rest().char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        self.pos = start + i + 1;
                        return Ok(self.text[start..self.pos].to_owned());
                    }
                    _ => escaped = false,
                }
            }
            return Err(bad("q: a quoted value is not closed"));
        }
        let mut end = self.text.len();
        for (i, c) in self.rest().char_indices() {
            if matches!(c, ';' | '|' | ')' | ',') || self.rest()[i..].starts_with("..") {
                end = start + i;
                break;
            }
        }
        if end == start {
            return Err(bad(format!("q: expected a value at position {start}")));
        }
        self.pos = end;
        Ok(self.text[start..end].to_owned())
    }

    fn value(&mut self) -> Result<Value, NgsiLdError> {
        let text = self.value_text()?;
        if text.starts_with('"') {
            return serde_json::from_str(&text)
                .map_err(|e| bad(format!("q: bad string {text}: {e}")));
        }
        // An unquoted value is a number, a boolean, a time or a URI: none holds an operator,
        // a bracket, a quote or a space (`a>>1` is a typo, not a comparison with ">1").
        if let Some(c) = text.chars().find(|c| {
            matches!(c, '<' | '>' | '=' | '!' | '(' | '~' | '"' | '\'') || c.is_whitespace()
        }) {
            return Err(bad(format!(
                "q: `{text}` at position {} is not a value (`{c}` cannot appear unquoted; quote text as \"…\")",
                self.pos - text.len()
            )));
        }
        Ok(match text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => match text.parse::<f64>() {
                Ok(n)
                    if !text.contains(['-', ':'])
                        || text.starts_with('-') && !text[1..].contains(['-', ':']) =>
                {
                    serde_json::Number::from_f64(n).map_or(Value::String(text), Value::Number)
                }
                _ => Value::String(text),
            },
        })
    }
}

/// The values an instance offers to a comparison.
fn instance_values<'a>(instance: &'a Instance, term: &Term, out: &mut Vec<&'a Value>) {
    let mut target: &Value = match instance.get("type").and_then(Value::as_str) {
        Some("Relationship") => match instance.get("object") {
            Some(v) => v,
            None => return,
        },
        Some("LanguageProperty") => {
            if let Some(Value::Object(map)) = instance.get("languageMap") {
                out.extend(map.values());
            }
            return;
        }
        _ => match instance.get("value") {
            Some(v) => v,
            None => return,
        },
    };
    let mut sub_instance: Option<&Instance> = Some(instance);
    for (member, expanded) in &term.sub {
        // A sub-attribute, a core member (observedAt, unitCode…), else a key of the value.
        if let Some(inst) = sub_instance
            && let Some(found) = inst.get(expanded).or_else(|| inst.get(member))
        {
            match found {
                Value::Object(map) if map.contains_key("type") => {
                    sub_instance = Some(map);
                    target = map
                        .get("value")
                        .or_else(|| map.get("object"))
                        .unwrap_or(found);
                }
                other => {
                    sub_instance = None;
                    target = other;
                }
            }
            continue;
        }
        sub_instance = None;
        match target.get(member.as_str()) {
            Some(v) => target = v,
            None => return,
        }
    }
    for key in &term.path {
        match target.get(key.as_str()) {
            Some(v) => target = v,
            None => return,
        }
    }
    match target {
        Value::Array(items) => out.extend(items.iter()),
        other => out.push(other),
    }
}

fn as_comparable(value: &Value) -> &Value {
    match value {
        Value::Object(map) => map.get("@value").unwrap_or(value),
        other => other,
    }
}

fn compare(left: &Value, right: &Value) -> Option<std::cmp::Ordering> {
    match (as_comparable(left), as_comparable(right)) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => {
            match (
                hanse_sensors::parse_time_text(a),
                hanse_sensors::parse_time_text(b),
            ) {
                (Some(x), Some(y)) if a.len() > 9 && b.len() > 9 => Some(x.cmp(&y)),
                _ => Some(a.cmp(b)),
            }
        }
        (Value::String(a), Value::Number(b)) => a.parse::<f64>().ok()?.partial_cmp(&b.as_f64()?),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (a, b) if a == b => Some(std::cmp::Ordering::Equal),
        _ => None,
    }
}

/// Whether `value` satisfies `op operand`.
pub(super) fn holds(value: &Value, op: Op, operand: &Operand) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match (op, operand) {
        (Op::Match, Operand::Pattern(r)) => value.as_str().is_some_and(|s| r.is_match(s)),
        (Op::NotMatch, Operand::Pattern(r)) => value.as_str().is_some_and(|s| !r.is_match(s)),
        (Op::Eq, Operand::Value(v)) => compare(value, v) == Some(Equal),
        (Op::Ne, Operand::Value(v)) => compare(value, v) != Some(Equal),
        (Op::Eq, Operand::List(vs)) => vs.iter().any(|v| compare(value, v) == Some(Equal)),
        (Op::Ne, Operand::List(vs)) => vs.iter().all(|v| compare(value, v) != Some(Equal)),
        (Op::Eq, Operand::Range(lo, hi)) => {
            matches!(compare(value, lo), Some(Greater | Equal))
                && matches!(compare(value, hi), Some(Less | Equal))
        }
        (Op::Ne, Operand::Range(lo, hi)) => {
            !(matches!(compare(value, lo), Some(Greater | Equal))
                && matches!(compare(value, hi), Some(Less | Equal)))
        }
        (Op::Gt, Operand::Value(v)) => compare(value, v) == Some(Greater),
        (Op::Ge, Operand::Value(v)) => matches!(compare(value, v), Some(Greater | Equal)),
        (Op::Lt, Operand::Value(v)) => compare(value, v) == Some(Less),
        (Op::Le, Operand::Value(v)) => matches!(compare(value, v), Some(Less | Equal)),
        _ => false,
    }
}

impl Query {
    /// Whether `entity` matches.
    pub fn matches(&self, entity: &Entity) -> bool {
        match self {
            Query::And(items) => items.iter().all(|q| q.matches(entity)),
            Query::Or(items) => items.iter().any(|q| q.matches(entity)),
            Query::Term(term) => term.matches(entity),
        }
    }

    /// The attributes the expression names (to pick candidate entities).
    pub fn attributes(&self, out: &mut Vec<String>) {
        match self {
            Query::And(items) | Query::Or(items) => items.iter().for_each(|q| q.attributes(out)),
            Query::Term(term) => out.push(term.attr.clone()),
        }
    }
}

impl Term {
    fn matches(&self, entity: &Entity) -> bool {
        let Some(instances) = entity.attrs.get(&self.attr) else {
            return false;
        };
        let mut values = Vec::new();
        for instance in instances {
            instance_values(instance, self, &mut values);
        }
        match &self.test {
            None => !values.is_empty(),
            Some((op, operand)) => values.iter().any(|v| holds(v, *op, operand)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity(attrs: Value) -> Entity {
        let mut e = Entity {
            id: "urn:x".into(),
            ..Entity::default()
        };
        for (k, v) in attrs.as_object().unwrap() {
            e.attrs.insert(
                format!("https://uri.etsi.org/ngsi-ld/default-context/{k}"),
                vec![v.as_object().unwrap().clone()],
            );
        }
        e
    }

    fn q(text: &str) -> Result<Query, NgsiLdError> {
        let core: Value = serde_json::from_str(
            hanse_vocab::ngsi_ld::embedded_context(hanse_vocab::ngsi_ld::CORE_CONTEXT).unwrap(),
        )
        .unwrap();
        let ctx = ActiveContext::build(&[core["@context"].as_object().unwrap()]).unwrap();
        parse(text, &ctx, 4096)
    }

    #[test]
    fn the_query_language_matches_what_it_says() {
        let e = entity(json!({
            "name": {"type": "Property", "value": "Eiffel Tower"},
            "level": {"type": "Property", "value": 4, "observedAt": "2020-09-09T16:40:00Z"},
            "full": {"type": "Property", "value": false},
            "in": {"type": "Relationship", "object": "urn:ngsi-ld:City:Paris"},
            "address": {"type": "Property", "value": {"city": "Paris", "zip": {"code": "75007"}}}
        }));
        for (text, expected) in [
            (r#"name=="Eiffel Tower""#, true),
            (r#"name=="Pisa Tower";full==false"#, false),
            (r#"name=="Pisa Tower"|full==false"#, true),
            (
                r#"(name=="Pisa Tower"|name=="Eiffel Tower");full==false"#,
                true,
            ),
            ("level>=4;level<7", true),
            ("level==5..9", false),
            ("level==1..4", true),
            ("level==3,4", true),
            ("level!=4", false),
            ("in==urn:ngsi-ld:City:Paris", true),
            ("in==urn:ngsi-ld:City:Pisa", false),
            ("address[city]==\"Paris\"", true),
            ("address[zip.code]==\"75007\"", true),
            ("address.city==\"Paris\"", true),
            ("level.observedAt>2020-01-01T00:00:00Z", true),
            ("name~=\"^Eif\"", true),
            ("missing", false),
            ("level", true),
        ] {
            assert_eq!(q(text).unwrap().matches(&e), expected, "{text}");
        }
        for wrong in [
            "", "(a==1", "a==", "a==\"x", "a~=\"(\"", "a)", "a>>1", "a==<1", "a==1 2", "a==!x",
        ] {
            assert!(q(wrong).is_err(), "{wrong}");
        }
        let deep = format!("{}a==1{}", "(".repeat(40), ")".repeat(40));
        assert!(q(&deep).is_err());
        assert!(q(&"a==1;".repeat(2000)).is_err());
    }
}
