//! Who is asking: the one type every front end hands to the access service.
//!
//! HTTP requests get theirs from one extractor (`http::caller`), node-to-node requests from
//! the authenticated libp2p connection. Nothing else decides who a caller is.

use super::roles::Roles;
use libp2p::PeerId;
use std::fmt;

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No credentials: sees what the public may see.
    Visitor,
    /// A person: a local user, an OIDC subject, or whoever holds the admin token.
    Person(Person),
    /// A consortium member, over libp2p.
    Member(PeerId),
    /// A sensor source with its own token: writes its own graph.
    Source {
        /// The source's name.
        name: String,
        /// The named graph it writes.
        graph: String,
    },
}

/// A person and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their name as the audit log records it: a local user's name, an OIDC subject's
    /// name claim, or `operator`.
    pub name: String,
    /// How they proved who they are.
    pub credential: Credential,
    /// What they may do.
    pub roles: Roles,
}

/// How a person proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The node's `admin.token`.
    AdminToken,
    /// A personal token from `hanse user add`.
    UserToken,
    /// A bearer JWT from the configured OIDC issuer.
    Oidc {
        /// The issuer (`iss`).
        issuer: String,
        /// The subject (`sub`).
        subject: String,
    },
    /// Connected over loopback where `http.loopback_operator` is set (demo and tests only).
    Loopback,
}

impl Person {
    /// The holder of the admin token.
    pub fn operator() -> Self {
        Self {
            name: "operator".into(),
            credential: Credential::AdminToken,
            roles: Roles::operator(),
        }
    }
}

impl Caller {
    /// The person behind the request, if one signed in.
    pub fn person(&self) -> Option<&Person> {
        match self {
            Caller::Person(person) => Some(person),
            _ => None,
        }
    }

    /// The roles of the caller (none for visitors, members and sources).
    pub fn roles(&self) -> Roles {
        self.person().map(|p| p.roles.clone()).unwrap_or_default()
    }

    /// Whether the caller is the node's operator.
    pub fn operates(&self) -> bool {
        self.person().is_some_and(|p| p.roles.operates())
    }

    /// Whether the caller showed no credentials.
    pub fn is_visitor(&self) -> bool {
        matches!(self, Caller::Visitor)
    }

    /// The person as the audit log names them (`user:alice`, `oidc:…`), for persons only.
    pub fn person_label(&self) -> Option<String> {
        self.person().map(|_| self.to_string())
    }

    /// What the caller is, in one word, for logs and metrics: `visitor`, `user`, `oidc`,
    /// `operator`, `member` or `source`.
    pub fn kind(&self) -> &'static str {
        match self {
            Caller::Visitor => "visitor",
            Caller::Person(Person {
                credential: Credential::AdminToken | Credential::Loopback,
                ..
            }) => "operator",
            Caller::Person(Person {
                credential: Credential::UserToken,
                ..
            }) => "user",
            Caller::Person(Person {
                credential: Credential::Oidc { .. },
                ..
            }) => "oidc",
            Caller::Member(_) => "member",
            Caller::Source { .. } => "source",
        }
    }
}

/// How the audit log and messages name a caller: `visitor`, `user:alice`,
/// `oidc:<issuer>#<subject> (alice)`, `operator (admin.token)`, `member:<PeerId>`,
/// `source:<name>`.
impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Visitor => f.write_str("visitor"),
            Caller::Person(person) => match &person.credential {
                Credential::AdminToken => f.write_str("operator (admin.token)"),
                Credential::Loopback => f.write_str("operator (loopback, http.loopback_operator)"),
                Credential::UserToken => write!(f, "user:{}", person.name),
                Credential::Oidc { issuer, subject } => {
                    write!(f, "oidc:{issuer}#{subject} ({})", person.name)
                }
            },
            Caller::Member(peer) => write!(f, "member:{peer}"),
            Caller::Source { name, .. } => write!(f, "source:{name}"),
        }
    }
}
