//! What a person may do on this node: the roles granted to local users (`hanse user add
//! --role …`) and mapped from OIDC claims (`[oidc.roles]`).
//!
//! A role is a name with an optional scope after `:`. Five names, from least to most:
//!
//! | role | may |
//! |---|---|
//! | `reader`, `reader:DATASET` | read this node's local data beyond the public datasets: every dataset, or one |
//! | `researcher`, `researcher:PURPOSE` | act with this node's identity in the consortium (federated queries, `SERVICE`, queries to one member, previews, KPI comparisons) under its agreements: for any purpose, or for one DPV purpose and those under it |
//! | `editor` | write data: SPARQL Update, Graph Store writes, NGSI-LD writes, dataset definitions, KPIs |
//! | `ingest`, `ingest:SOURCE` | push sensor messages for every source, or one |
//! | `operator` | everything, including agreements, the consortium, the network, the audit log and users |
//!
//! Roles only ever add: a person without any sees what a visitor sees.

use hanse_vocab::dpv;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// One role with its scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Role {
    /// Reads local data beyond the public datasets: every dataset (`None`) or one.
    Reader(Option<String>),
    /// Uses the node's identity and agreements in the consortium: for every purpose (`None`)
    /// or for one DPV purpose (an IRI) and the purposes under it.
    Researcher(Option<String>),
    /// Writes data and dataset definitions.
    Editor,
    /// Pushes sensor messages: for every source (`None`) or one.
    Ingest(Option<String>),
    /// Everything.
    Operator,
}

/// A role text that is not one of the five names, or whose scope is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a role: {reason} (roles: reader[:DATASET], researcher[:PURPOSE], editor, ingest[:SOURCE], operator)"
)]
pub struct RoleError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Expands `dpv:Name` to the DPV namespace; other scopes must be absolute IRIs.
fn purpose_iri(scope: &str) -> Result<String, String> {
    if let Some(local) = scope.strip_prefix("dpv:") {
        return Ok(format!("{}{local}", dpv::NS));
    }
    oxiri::Iri::parse(scope.to_owned())
        .map(|iri| iri.into_inner())
        .map_err(|e| format!("the purpose `{scope}` is neither `dpv:Name` nor an IRI ({e})"))
}

fn identifier(scope: &str, what: &str) -> Result<String, String> {
    let fine = !scope.is_empty()
        && scope.len() <= 128
        && scope
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if fine {
        Ok(scope.to_owned())
    } else {
        Err(format!(
            "the {what} `{scope}` must be 1 to 128 letters, digits, `-`, `_` or `.`"
        ))
    }
}

impl std::str::FromStr for Role {
    type Err = RoleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, scope) = match text.split_once(':') {
            Some((name, scope)) => (name, Some(scope)),
            None => (text, None),
        };
        let error = |reason: String| RoleError {
            text: text.to_owned(),
            reason,
        };
        let unscoped = |role: Role| match scope {
            None => Ok(role),
            Some(_) => Err(error(format!("`{name}` takes no scope"))),
        };
        match name.trim() {
            "reader" => Ok(Role::Reader(
                scope
                    .map(|s| identifier(s, "dataset id"))
                    .transpose()
                    .map_err(error)?,
            )),
            "researcher" => Ok(Role::Researcher(
                scope.map(purpose_iri).transpose().map_err(error)?,
            )),
            "ingest" => Ok(Role::Ingest(
                scope
                    .map(|s| identifier(s, "source name"))
                    .transpose()
                    .map_err(error)?,
            )),
            "editor" => unscoped(Role::Editor),
            "operator" => unscoped(Role::Operator),
            other => Err(error(format!("unknown role name `{other}`"))),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = RoleError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Role> for String {
    fn from(role: Role) -> Self {
        role.to_string()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scoped = |f: &mut fmt::Formatter<'_>, name: &str, scope: &Option<String>| match scope {
            Some(scope) => write!(f, "{name}:{scope}"),
            None => f.write_str(name),
        };
        match self {
            Role::Reader(scope) => scoped(f, "reader", scope),
            Role::Researcher(Some(purpose)) => match purpose.strip_prefix(dpv::NS) {
                Some(local) => write!(f, "researcher:dpv:{local}"),
                None => write!(f, "researcher:{purpose}"),
            },
            Role::Researcher(None) => f.write_str("researcher"),
            Role::Editor => f.write_str("editor"),
            Role::Ingest(scope) => scoped(f, "ingest", scope),
            Role::Operator => f.write_str("operator"),
        }
    }
}

/// The roles of one person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roles(BTreeSet<Role>);

impl Roles {
    /// Every role (the node's operator).
    pub fn operator() -> Self {
        Self(BTreeSet::from([Role::Operator]))
    }

    /// Whether the person is an operator.
    pub fn operates(&self) -> bool {
        self.0.contains(&Role::Operator)
    }

    /// Whether the person reads dataset `id` in full (beyond what the public may).
    pub fn reads(&self, id: &str) -> bool {
        self.operates()
            || self.0.iter().any(|role| match role {
                Role::Reader(None) => true,
                Role::Reader(Some(scope)) => scope == id,
                _ => false,
            })
    }

    /// Whether the person reads every local dataset in full.
    pub fn reads_everything(&self) -> bool {
        self.operates() || self.0.contains(&Role::Reader(None))
    }

    /// Whether the person may act with the node's identity in the consortium at all.
    pub fn researches(&self) -> bool {
        self.operates() || self.0.iter().any(|r| matches!(r, Role::Researcher(_)))
    }

    /// Whether the person may use the node's agreements for `purpose` (a DPV IRI; `None`
    /// when the request states none).
    pub fn researches_for(&self, purpose: Option<&str>) -> bool {
        self.operates()
            || self.0.iter().any(|role| match (role, purpose) {
                (Role::Researcher(None), _) => true,
                (Role::Researcher(Some(scope)), Some(purpose)) => {
                    hanse_policy::purpose_is_a(purpose, scope)
                }
                _ => false,
            })
    }

    /// Whether the person writes data.
    pub fn edits(&self) -> bool {
        self.operates() || self.0.contains(&Role::Editor)
    }

    /// Whether the person pushes sensor messages for `source`.
    pub fn ingests(&self, source: &str) -> bool {
        self.operates()
            || self.0.iter().any(|role| match role {
                Role::Ingest(None) => true,
                Role::Ingest(Some(scope)) => scope == source,
                _ => false,
            })
    }

    /// The roles, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Role> {
        self.0.iter()
    }

    /// Whether the person has no role at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(roles: I) -> Self {
        Self(roles.into_iter().collect())
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(no role)");
        }
        let names: Vec<String> = self.0.iter().map(Role::to_string).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(texts: &[&str]) -> Roles {
        texts.iter().map(|t| t.parse::<Role>().unwrap()).collect()
    }

    #[test]
    fn roles_read_back_as_written() {
        for text in [
            "reader",
            "reader:water-consumption",
            "researcher",
            "researcher:dpv:ScientificResearch",
            "researcher:https://example.org/purpose",
            "editor",
            "ingest",
            "ingest:air_1",
            "operator",
        ] {
            assert_eq!(text.parse::<Role>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn malformed_roles_say_what_is_wrong() {
        for (text, said) in [
            ("admin", "unknown role name `admin`"),
            ("editor:x", "`editor` takes no scope"),
            ("reader:", "must be 1 to 128"),
            ("reader:a b", "must be 1 to 128"),
            ("researcher:not an iri", "neither `dpv:Name` nor an IRI"),
        ] {
            let error = text.parse::<Role>().unwrap_err().to_string();
            assert!(error.contains(said), "{text}: {error}");
        }
    }

    #[test]
    fn scopes_limit_what_a_role_grants() {
        let person = roles(&[
            "reader:air",
            "researcher:dpv:ResearchAndDevelopment",
            "ingest:bikes",
        ]);
        assert!(person.reads("air") && !person.reads("water"));
        assert!(!person.reads_everything());
        assert!(person.researches());
        assert!(person.researches_for(Some("https://w3id.org/dpv#ScientificResearch")));
        assert!(!person.researches_for(Some("https://w3id.org/dpv#Marketing")));
        assert!(!person.researches_for(None));
        assert!(person.ingests("bikes") && !person.ingests("air"));
        assert!(!person.edits() && !person.operates());
        let nobody = Roles::default();
        assert!(!nobody.reads("air") && !nobody.researches() && !nobody.edits());
        let operator = Roles::operator();
        assert!(operator.reads("anything") && operator.researches_for(None));
        assert!(operator.edits() && operator.ingests("any"));
    }
}
