//! Names of the values a policy mentions: parties, purposes, dates, durations, lists.

use crate::model::Value;
use hanse_vocab::xsd;

pub(super) fn names(values: &[Value], name: impl Fn(&Value) -> String) -> Vec<String> {
    values.iter().map(name).collect()
}

pub(super) fn local(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}

/// `PublicBenefit` → `public benefit`.
fn words_of(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

pub(super) fn party_name(value: &Value) -> String {
    match value {
        Value::Iri(iri) => {
            if let Some(role) = iri.strip_prefix("role:") {
                format!("members with the {role} role")
            } else if iri.starts_with("did:key:") || iri.starts_with("12D3Koo") {
                let short: String = iri
                    .chars()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                format!("the member …{short}")
            } else {
                format!("<{iri}>")
            }
        }
        Value::Literal { lexical, .. } => lexical.clone(),
    }
}

pub(super) fn purpose_name(value: &Value) -> String {
    match value {
        Value::Iri(iri) if iri.starts_with(hanse_vocab::dpv::NS) => words_of(local(iri)),
        Value::Iri(iri) => format!("<{iri}>"),
        Value::Literal { lexical, .. } => lexical.clone(),
    }
}

pub(super) fn literal_name(value: &Value) -> String {
    match value {
        Value::Literal { lexical, .. } => lexical.clone(),
        Value::Iri(iri) => format!("<{iri}>"),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2027-12-31T00:00:00Z` → `31 December 2027`; other times keep their clock time (UTC).
pub(super) fn date_name(value: &Value) -> String {
    let Value::Literal { lexical, datatype } = value else {
        return literal_name(value);
    };
    let date_part = lexical.get(..10).unwrap_or(lexical);
    let mut fields = date_part.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (fields.next(), fields.next(), fields.next()) else {
        return lexical.clone();
    };
    let (Ok(month), Ok(day)) = (m.parse::<usize>(), d.parse::<u32>()) else {
        return lexical.clone();
    };
    let Some(month_name) = month.checked_sub(1).and_then(|i| MONTHS.get(i)) else {
        return lexical.clone();
    };
    let mut text = format!("{day} {month_name} {y}");
    let time = lexical.get(11..19).unwrap_or("00:00:00");
    if datatype == xsd::DATE_TIME && time != "00:00:00" {
        text.push_str(&format!(" {} UTC", &time[..5]));
    }
    text
}

/// `P30D` → `30 days`, `PT12H` → `12 hours`.
pub(super) fn duration_name(value: &Value) -> String {
    let text = literal_name(value);
    let Some(rest) = text.strip_prefix('P') else {
        return text;
    };
    let mut parts = Vec::new();
    let mut number = String::new();
    let mut in_time = false;
    for c in rest.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' | '.' => number.push(c),
            unit => {
                let name = match (unit, in_time) {
                    ('Y', _) => "year",
                    ('M', false) => "month",
                    ('W', _) => "week",
                    ('D', _) => "day",
                    ('H', _) => "hour",
                    ('M', true) => "minute",
                    ('S', _) => "second",
                    _ => return text,
                };
                let plural = if number == "1" { "" } else { "s" };
                parts.push(format!("{number} {name}{plural}"));
                number.clear();
            }
        }
    }
    if parts.is_empty() {
        text
    } else {
        parts.join(" ")
    }
}

pub(super) fn join_with(items: &[String], separator: &str) -> String {
    items.join(separator)
}

pub(super) fn or_list(items: &[String]) -> String {
    list(items, "or")
}

pub(super) fn and_list(items: &[String]) -> String {
    list(items, "and")
}

fn list(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
