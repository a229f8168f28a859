//! hanse's embedded JSON-LD context for ODRL 2.2, so policies written against the
//! standard context URL parse without fetching anything.
//!
//! Built from the ODRL vocabulary: object properties whose values are IRIs get `@type: @id`,
//! those whose values are ODRL terms (actions, operators, left operands) get
//! `@type: @vocab`, and every class, action, operator and left operand is a term.

/// The URLs the standard ODRL context is published at.
pub const ODRL_CONTEXT_URLS: &[&str] = &[
    "http://www.w3.org/ns/odrl.jsonld",
    "https://www.w3.org/ns/odrl.jsonld",
];

const CLASSES: &[&str] = &[
    "Policy",
    "Set",
    "Offer",
    "Agreement",
    "Request",
    "Ticket",
    "Assertion",
    "Privacy",
    "Asset",
    "Party",
    "Rule",
    "Permission",
    "Prohibition",
    "Duty",
    "Action",
    "Constraint",
    "LogicalConstraint",
    "Operator",
    "LeftOperand",
    "RightOperand",
];
const IRI_PROPERTIES: &[&str] = &[
    "target",
    "assignee",
    "assigner",
    "permission",
    "prohibition",
    "obligation",
    "duty",
    "remedy",
    "consequence",
    "constraint",
    "refinement",
    "partOf",
    "source",
    "uid",
    "profile",
    "inheritFrom",
    "hasPolicy",
    "output",
    "attributedParty",
    "compensatedParty",
    "compensatingParty",
    "consentingParty",
    "informedParty",
    "trackingParty",
];
const TERM_PROPERTIES: &[&str] = &["action", "operator", "leftOperand", "conflict"];
const LITERAL_PROPERTIES: &[&str] = &["rightOperand", "unit", "dataType", "status"];
const LOGICAL: &[&str] = &["and", "or", "xone", "andSequence"];
const OPERATORS: &[&str] = &[
    "eq", "neq", "lt", "lteq", "gt", "gteq", "isA", "hasPart", "isPartOf", "isAllOf", "isAnyOf",
    "isNoneOf",
];
const LEFT_OPERANDS: &[&str] = &[
    "absolutePosition",
    "absoluteSpatialPosition",
    "absoluteTemporalPosition",
    "absoluteSize",
    "count",
    "dateTime",
    "delayPeriod",
    "deliveryChannel",
    "elapsedTime",
    "event",
    "fileFormat",
    "industry",
    "language",
    "media",
    "meteredTime",
    "payAmount",
    "percentage",
    "product",
    "purpose",
    "recipient",
    "relativePosition",
    "relativeSpatialPosition",
    "relativeTemporalPosition",
    "relativeSize",
    "resolution",
    "spatial",
    "spatialCoordinates",
    "systemDevice",
    "timeInterval",
    "unitOfCount",
    "version",
    "virtualLocation",
];
const ACTIONS: &[&str] = &[
    "use",
    "transfer",
    "grantUse",
    "aggregate",
    "annotate",
    "anonymize",
    "archive",
    "concurrentUse",
    "derive",
    "digitize",
    "display",
    "distribute",
    "execute",
    "extract",
    "give",
    "index",
    "install",
    "modify",
    "move",
    "play",
    "present",
    "print",
    "read",
    "reproduce",
    "sell",
    "textToSpeech",
    "transform",
    "translate",
    "acceptTracking",
    "attribute",
    "compensate",
    "delete",
    "ensureExclusivity",
    "include",
    "inform",
    "nextPolicy",
    "obtainConsent",
    "reviewPolicy",
    "uninstall",
    "watermark",
    "write",
];

/// The context document (JSON).
pub fn odrl_context() -> String {
    let mut entries = vec![
        r#""odrl": "http://www.w3.org/ns/odrl/2/""#.to_owned(),
        r#""xsd": "http://www.w3.org/2001/XMLSchema#""#.to_owned(),
        r#""id": "@id""#.to_owned(),
        r#""type": "@type""#.to_owned(),
    ];
    for term in CLASSES
        .iter()
        .chain(OPERATORS)
        .chain(LEFT_OPERANDS)
        .chain(ACTIONS)
    {
        entries.push(format!(r#""{term}": "odrl:{term}""#));
    }
    for term in IRI_PROPERTIES.iter().chain(LOGICAL) {
        entries.push(format!(
            r#""{term}": {{"@type": "@id", "@id": "odrl:{term}"}}"#
        ));
    }
    for term in TERM_PROPERTIES {
        entries.push(format!(
            r#""{term}": {{"@type": "@vocab", "@id": "odrl:{term}"}}"#
        ));
    }
    for term in LITERAL_PROPERTIES {
        entries.push(format!(r#""{term}": {{"@id": "odrl:{term}"}}"#));
    }
    format!("{{\"@context\": {{\n  {}\n}}}}\n", entries.join(",\n  "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_term_is_defined_once() {
        let context = odrl_context();
        for term in ["\"permission\"", "\"isAnyOf\"", "\"purpose\"", "\"read\""] {
            assert_eq!(context.matches(term).count(), 1, "{term}");
        }
    }
}
