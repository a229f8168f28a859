//! `[node]`: who the node is, and the roles organisations have in a consortium.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of organisation runs the node; it decides what peers may ask of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A city or municipality.
    City,
    /// A water, energy or other utility.
    Utility,
    /// A university or research group.
    Research,
    /// A consortium steward, who admits and removes members.
    Steward,
}

impl Role {
    /// The lowercase name used in configuration and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::City => "city",
            Role::Utility => "utility",
            Role::Research => "research",
            Role::Steward => "steward",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "city" => Ok(Role::City),
            "utility" => Ok(Role::Utility),
            "research" => Ok(Role::Research),
            "steward" => Ok(Role::Steward),
            other => Err(format!(
                "unknown role `{other}`: expected city, utility, research or steward"
            )),
        }
    }
}

/// `[node]`: the node's name and role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeSection {
    /// Display name shown to peers and in the catalogue, e.g. `mechelen`.
    pub name: String,
    /// city | utility | research | steward.
    pub role: Role,
}

impl Default for NodeSection {
    fn default() -> Self {
        Self {
            name: "hanse-node".into(),
            role: Role::City,
        }
    }
}
