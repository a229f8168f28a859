//! Left operands (what the world says) and operators (how it compares to the policy).

use crate::model::Value;
use crate::request::{Request, WorldState};
use crate::taxonomy::purpose_is_a;
use hanse_vocab::{hanse, odrl, xsd};
use oxsdatatypes::{DateTime, DayTimeDuration, Duration};
use std::str::FromStr;

/// Left operands this engine evaluates; any other is an error (fail closed).
pub const KNOWN_LEFT_OPERANDS: &[&str] = &[
    odrl::DATE_TIME,
    odrl::ELAPSED_TIME,
    odrl::COUNT,
    odrl::PURPOSE,
    odrl::RECIPIENT,
    odrl::SPATIAL,
    hanse::MINIMUM_GROUP_SIZE,
    hanse::TEMPORAL_RESOLUTION,
    hanse::PRIVACY_UNIT,
    hanse::PERMITTED_AGGREGATE,
    hanse::EPSILON,
    hanse::PRIVACY_BUDGET,
    hanse::LOWER_BOUND,
    hanse::UPPER_BOUND,
    hanse::MAX_CONTRIBUTIONS,
    hanse::MAX_GROUPS,
    hanse::BUDGET_PERIOD,
];

/// The value of a left operand for this request and world.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A point in time.
    DateTime(DateTime),
    /// A time span.
    Duration(DayTimeDuration),
    /// A number.
    Number(f64),
    /// A DPV purpose IRI (compared along the DPV hierarchy).
    Purpose(String),
    /// Facts naming a party (PeerId, `role:…`, organisation): matches if any matches.
    Party(Vec<String>),
    /// A region IRI (compared along `odrl:partOf`).
    Region(String),
    /// IRIs the node applies (the privacy unit, permitted aggregates): matches if any is the
    /// right operand exactly.
    Terms(Vec<String>),
}

/// Reads `iri`'s value from the request and world.
pub fn left_operand(iri: &str, request: &Request, world: &WorldState) -> Result<Operand, String> {
    match iri {
        odrl::DATE_TIME => Ok(Operand::DateTime(world.now)),
        odrl::ELAPSED_TIME => {
            let start = world
                .agreement_start
                .ok_or("elapsedTime needs the agreement's start time")?;
            world
                .now
                .checked_sub(start)
                .map(Operand::Duration)
                .ok_or_else(|| "elapsedTime overflows".to_owned())
        }
        odrl::COUNT => world
            .use_count
            .map(|c| Operand::Number(c as f64))
            .ok_or_else(|| "count needs the number of uses so far".to_owned()),
        odrl::PURPOSE => request
            .purpose
            .clone()
            .map(Operand::Purpose)
            .ok_or_else(|| "the request states no purpose".to_owned()),
        odrl::RECIPIENT => {
            if request.recipient.is_empty() {
                Err("the request names no recipient".to_owned())
            } else {
                Ok(Operand::Party(request.recipient.iter().cloned().collect()))
            }
        }
        odrl::SPATIAL => request
            .spatial
            .clone()
            .map(Operand::Region)
            .ok_or_else(|| "the request states no region".to_owned()),
        hanse::MINIMUM_GROUP_SIZE => world
            .group_size
            .map(|g| Operand::Number(g as f64))
            .ok_or_else(|| "the answer's group size is not known".to_owned()),
        hanse::TEMPORAL_RESOLUTION => world
            .temporal_resolution
            .map(Operand::Duration)
            .ok_or_else(|| "the answer's temporal resolution is not known".to_owned()),
        other => privacy_operand(other, world),
    }
}

/// The hanse privacy profile's left operands, from what the answer guarantees.
fn privacy_operand(iri: &str, world: &WorldState) -> Result<Operand, String> {
    let facts = world.privacy.as_ref();
    let noised = |what: &str| format!("{what} applies only to a differentially private answer");
    match iri {
        hanse::PRIVACY_UNIT => facts
            .map(|f| Operand::Terms(vec![f.unit.clone()]))
            .ok_or_else(|| "the answer is not an aggregation-only answer".to_owned()),
        hanse::PERMITTED_AGGREGATE => facts
            .map(|f| Operand::Terms(f.permitted_aggregates.clone()))
            .ok_or_else(|| "the answer is not an aggregation-only answer".to_owned()),
        hanse::EPSILON => facts
            .and_then(|f| f.epsilon)
            .map(Operand::Number)
            .ok_or_else(|| noised("epsilon")),
        hanse::PRIVACY_BUDGET => facts
            .and_then(|f| f.spent)
            .map(Operand::Number)
            .ok_or_else(|| noised("privacyBudget")),
        hanse::LOWER_BOUND => facts
            .and_then(|f| f.bounds)
            .map(|(lower, _)| Operand::Number(lower))
            .ok_or_else(|| noised("lowerBound")),
        hanse::UPPER_BOUND => facts
            .and_then(|f| f.bounds)
            .map(|(_, upper)| Operand::Number(upper))
            .ok_or_else(|| noised("upperBound")),
        hanse::MAX_CONTRIBUTIONS => facts
            .and_then(|f| f.max_contributions)
            .map(|n| Operand::Number(n as f64))
            .ok_or_else(|| noised("maxContributions")),
        hanse::MAX_GROUPS => facts
            .and_then(|f| f.max_groups)
            .map(|n| Operand::Number(n as f64))
            .ok_or_else(|| noised("maxGroups")),
        hanse::BUDGET_PERIOD => facts
            .and_then(|f| f.budget_period_days)
            .map(|n| Operand::Number(n as f64))
            .ok_or_else(|| noised("budgetPeriod")),
        other => Err(format!("unknown left operand <{other}>")),
    }
}

fn literal(value: &Value) -> Option<(&str, &str)> {
    match value {
        Value::Literal { lexical, datatype } => Some((lexical, datatype)),
        Value::Iri(_) => None,
    }
}

fn iri(value: &Value) -> Option<&str> {
    match value {
        Value::Iri(i) => Some(i),
        Value::Literal { .. } => None,
    }
}

fn single<'a>(operator: &str, right: &[&'a Value]) -> Result<&'a Value, String> {
    match right {
        [one] => Ok(one),
        _ => Err(format!(
            "<{operator}> takes one right operand, got {}",
            right.len()
        )),
    }
}

/// Orders a left operand against one right operand (for eq, neq, lt, lteq, gt, gteq).
fn order(left: &Operand, right: &Value) -> Result<std::cmp::Ordering, String> {
    let mismatch = || format!("cannot compare {left:?} with {right:?}");
    match left {
        Operand::DateTime(now) => {
            let (lexical, datatype) = literal(right).ok_or_else(mismatch)?;
            let value = if datatype == xsd::DATE_TIME || datatype.ends_with("#dateTimeStamp") {
                DateTime::from_str(lexical).map_err(|e| format!("bad dateTime `{lexical}`: {e}"))?
            } else if datatype.ends_with("#date") {
                DateTime::from_str(&format!("{lexical}T00:00:00"))
                    .map_err(|e| format!("bad date `{lexical}`: {e}"))?
            } else {
                return Err(mismatch());
            };
            now.partial_cmp(&value)
                .ok_or_else(|| "dateTimes with and without time zone cannot be ordered".to_owned())
        }
        Operand::Duration(elapsed) => {
            let (lexical, _) = literal(right).ok_or_else(mismatch)?;
            let value = DayTimeDuration::from_str(lexical)
                .or_else(|_| {
                    Duration::from_str(lexical)
                        .ok()
                        .and_then(|d| DayTimeDuration::try_from(d).ok())
                        .ok_or(())
                })
                .map_err(|()| format!("bad or month-based duration `{lexical}`"))?;
            Ok(elapsed.cmp(&value))
        }
        Operand::Number(n) => {
            let (lexical, _) = literal(right).ok_or_else(mismatch)?;
            let value = f64::from_str(lexical.trim())
                .map_err(|_| format!("`{lexical}` is not a number"))?;
            n.partial_cmp(&value)
                .ok_or_else(|| "NaN cannot be ordered".to_owned())
        }
        Operand::Purpose(_) | Operand::Party(_) | Operand::Region(_) | Operand::Terms(_) => {
            Err(format!(
                "resources are compared with eq, neq, isA, isPartOf, hasPart, isAnyOf, isAllOf or isNoneOf, not ordered ({})",
                mismatch()
            ))
        }
    }
}

/// Whether the left operand "is" the right resource (hierarchy-aware).
fn matches_resource(left: &Operand, right: &Value, world: &WorldState) -> Result<bool, String> {
    let right = iri(right).ok_or_else(|| format!("expected a resource, got {right:?}"))?;
    Ok(match left {
        Operand::Purpose(p) => purpose_is_a(p, right),
        Operand::Party(facts) => facts
            .iter()
            .any(|f| f == right || world.is_part_of(f, right)),
        Operand::Region(r) => world.is_part_of(r, right),
        Operand::Terms(terms) => terms.iter().any(|t| t == right),
        other => return Err(format!("{other:?} is not a resource")),
    })
}

/// Applies `operator` (an ODRL operator IRI), with `world` for hierarchy lookups.
pub fn compare_in(
    operator: &str,
    left: &Operand,
    right: &[&Value],
    world: &WorldState,
) -> Result<bool, String> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let local = operator.strip_prefix(odrl::NS).unwrap_or(operator);
    let resource_like = matches!(
        left,
        Operand::Purpose(_) | Operand::Party(_) | Operand::Region(_) | Operand::Terms(_)
    );
    match local {
        "eq" | "neq" if resource_like => {
            let value = single(operator, right)?;
            let exact = match (left, iri(value)) {
                (Operand::Purpose(p) | Operand::Region(p), Some(r)) => p == r,
                (Operand::Party(facts) | Operand::Terms(facts), Some(r)) => {
                    facts.iter().any(|f| f == r)
                }
                _ => return Err(format!("expected a resource, got {value:?}")),
            };
            Ok(if local == "eq" { exact } else { !exact })
        }
        "eq" => Ok(order(left, single(operator, right)?)? == Equal),
        "neq" => Ok(order(left, single(operator, right)?)? != Equal),
        "lt" => Ok(order(left, single(operator, right)?)? == Less),
        "lteq" => Ok(order(left, single(operator, right)?)? != Greater),
        "gt" => Ok(order(left, single(operator, right)?)? == Greater),
        "gteq" => Ok(order(left, single(operator, right)?)? != Less),
        "isA" | "isPartOf" => matches_resource(left, single(operator, right)?, world),
        "hasPart" => {
            let value = iri(single(operator, right)?).ok_or("hasPart needs a resource")?;
            Ok(match left {
                Operand::Region(r) | Operand::Purpose(r) => {
                    world.is_part_of(value, r) || purpose_is_a(value, r)
                }
                Operand::Party(facts) => facts.iter().any(|f| world.is_part_of(value, f)),
                other => return Err(format!("{other:?} is not a resource")),
            })
        }
        "isAnyOf" => {
            for value in right {
                if matches_resource(left, value, world)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        "isNoneOf" => {
            for value in right {
                if matches_resource(left, value, world)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        "isAllOf" => {
            for value in right {
                if !matches_resource(left, value, world)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Err(format!("unknown operator <{operator}>")),
    }
}
