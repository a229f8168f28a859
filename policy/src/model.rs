//! The ODRL 2.2 information model as hanse evaluates it.

/// An RDF value on the right of a constraint (or a party, asset or action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An IRI.
    Iri(String),
    /// A literal with its datatype IRI.
    Literal {
        /// The lexical form.
        lexical: String,
        /// The datatype IRI (`xsd:string` for plain strings).
        datatype: String,
    },
}

/// Policy types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// `odrl:Set` (or an untyped `odrl:Policy`).
    Set,
    /// `odrl:Offer`: from an assigner to whoever it may concern.
    Offer,
    /// `odrl:Agreement`: between an assigner and an assignee.
    Agreement,
}

/// A policy with its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `odrl:uid` (or the policy's IRI).
    pub uid: String,
    /// Set, Offer or Agreement.
    pub kind: PolicyKind,
    /// Permissions.
    pub permissions: Vec<Rule>,
    /// Prohibitions.
    pub prohibitions: Vec<Rule>,
    /// Obligations (duties at policy level).
    pub obligations: Vec<Rule>,
}

/// What kind of rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// May.
    Permission,
    /// May not.
    Prohibition,
    /// Must (a duty of a permission, or an obligation).
    Duty,
}

/// A permission, prohibition or duty.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The rule's IRI (or blank node label), used in reports.
    pub id: String,
    /// Permission, prohibition or duty.
    pub kind: RuleKind,
    /// The action IRI, if the rule names one.
    pub action: Option<String>,
    /// The target asset (or asset collection) IRI.
    pub target: Option<String>,
    /// The assignee party (or party collection) IRI.
    pub assignee: Option<String>,
    /// The assigner party IRI.
    pub assigner: Option<String>,
    /// Constraints; all must be satisfied.
    pub constraints: Vec<ConstraintNode>,
    /// Duties of a permission (or consequences of a duty).
    pub duties: Vec<Rule>,
    /// Remedies of a prohibition.
    pub remedies: Vec<Rule>,
}

/// An atomic or logical constraint, or one the parser could not understand.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintNode {
    /// `leftOperand operator rightOperand`.
    Atomic(Constraint),
    /// `and` / `or` / `xone` / `andSequence` over constraints.
    Logical(LogicalConstraint),
    /// A constraint that cannot be evaluated; it is never satisfied (fail closed).
    Malformed {
        /// Its IRI or blank node label.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConstraintNode {
    /// The constraint's IRI or blank node label.
    pub fn id(&self) -> &str {
        match self {
            ConstraintNode::Atomic(c) => &c.id,
            ConstraintNode::Logical(l) => &l.id,
            ConstraintNode::Malformed { id, .. } => id,
        }
    }
}

/// An atomic constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// Its IRI or blank node label.
    pub id: String,
    /// The left operand IRI (e.g. `odrl:dateTime`).
    pub left_operand: String,
    /// The operator IRI (e.g. `odrl:lt`).
    pub operator: String,
    /// The right operand(s).
    pub right_operand: Vec<Value>,
    /// `odrl:dataType`, if given.
    pub data_type: Option<String>,
    /// `odrl:unit`, if given.
    pub unit: Option<String>,
}

/// The logical operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalOperator {
    /// All satisfied.
    And,
    /// At least one satisfied.
    Or,
    /// Exactly one satisfied.
    Xone,
    /// All satisfied, evaluated in order (stops at the first failure).
    AndSequence,
}

/// A logical constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalConstraint {
    /// Its IRI or blank node label.
    pub id: String,
    /// The operator.
    pub operator: LogicalOperator,
    /// The operands, in document order for `andSequence`.
    pub operands: Vec<ConstraintNode>,
}
