//! Datasets: named graphs on the node plus the DCAT-AP metadata and ODRL offer that describe
//! them, kept in the sled tree `datasets`.
//!
//! A [`DatasetDefinition`] is what an operator writes (a TOML file or flags of `hanse dataset
//! create`); [`DatasetRegistry`] validates and stores them. Every write is checked in full
//! first, so a bad definition never replaces a good one.

use super::iris::NodeIris;
use crate::store::state::NodeState;
use hanse_policy::{Policy, PolicyKind};
use hanse_vocab::eu;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Graph, NamedNode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const TREE: &str = "datasets";
/// Most datasets one node describes (the catalogue must stay signable and gossipable).
pub const MAX_DATASETS: usize = 1_000;
/// Longest policy text accepted, in bytes.
const MAX_POLICY_BYTES: usize = 64 * 1024;

/// Errors of dataset definitions and their storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// A field of the definition is not usable.
    #[error("dataset `{id}`: {field}: {message}")]
    Invalid {
        /// The dataset id (as given).
        id: String,
        /// The field, e.g. `themes`.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// `create` for an id that exists.
    #[error("dataset `{0}` already exists (use update)")]
    Exists(String),
    /// `update`, `show` or `delete` for an id that does not exist.
    #[error("no dataset `{0}`")]
    NotFound(String),
    /// The node already describes [`MAX_DATASETS`] datasets.
    #[error("this node already describes {MAX_DATASETS} datasets, the most it can publish")]
    TooMany,
    /// sled failed.
    #[error("dataset storage: {0}")]
    Storage(#[from] sled::Error),
    /// A stored definition does not decode (written by a newer hanse, or damaged).
    #[error("stored dataset `{id}` cannot be read: {message}")]
    Corrupt {
        /// The key.
        id: String,
        /// The decoder's message.
        message: String,
    },
}

/// Text in one or more languages: a plain string (English) or a table `{ en = "…", nl = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "TextForm")]
pub struct Text(pub BTreeMap<String, String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum TextForm {
    Plain(String),
    Languages(BTreeMap<String, String>),
}

impl From<TextForm> for Text {
    fn from(form: TextForm) -> Self {
        match form {
            TextForm::Plain(text) => Text(BTreeMap::from([("en".to_owned(), text)])),
            TextForm::Languages(map) => Text(map),
        }
    }
}

impl Text {
    /// Text in English.
    pub fn english(text: impl Into<String>) -> Self {
        Text(BTreeMap::from([("en".to_owned(), text.into())]))
    }

    /// The English text, else any.
    pub fn best(&self) -> &str {
        self.0
            .get("en")
            .or_else(|| self.0.values().next())
            .map_or("", String::as_str)
    }
}

/// Who may see the data at all (EU access-right authority table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessRights {
    /// Open data.
    Public,
    /// Shared under the dataset's policy.
    Restricted,
    /// Described, but not shared.
    #[default]
    NonPublic,
}

impl AccessRights {
    /// The right an EU access-right IRI names; `None` for anything else (which callers
    /// treat as non-public: unknown terms deny).
    pub fn from_iri(iri: &str) -> Option<Self> {
        match iri.strip_prefix(eu::ACCESS_RIGHT)? {
            "PUBLIC" => Some(AccessRights::Public),
            "RESTRICTED" => Some(AccessRights::Restricted),
            "NON_PUBLIC" => Some(AccessRights::NonPublic),
            _ => None,
        }
    }

    /// The authority table's code.
    pub fn code(self) -> &'static str {
        match self {
            AccessRights::Public => "PUBLIC",
            AccessRights::Restricted => "RESTRICTED",
            AccessRights::NonPublic => "NON_PUBLIC",
        }
    }
}

/// One dataset as the operator defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetDefinition {
    /// Short identifier, unique on the node: lowercase letters, digits, `-`, `_`.
    pub id: String,
    /// Title (`dct:title`).
    pub title: Text,
    /// Description (`dct:description`).
    pub description: Text,
    /// The named graphs holding the data.
    pub graphs: Vec<String>,
    /// Free keywords (`dcat:keyword`).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// EU data theme codes, e.g. `ENVI`, `TRAN` (`dcat:theme`).
    #[serde(default)]
    pub themes: Vec<String>,
    /// Licence IRI, e.g. `https://creativecommons.org/licenses/by/4.0/`.
    #[serde(default)]
    pub licence: Option<String>,
    /// public | restricted | non-public (default).
    #[serde(default)]
    pub access_rights: AccessRights,
    /// Publisher name; the node's name when absent.
    #[serde(default)]
    pub publisher: Option<String>,
    /// Contact point name.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Contact point e-mail address.
    #[serde(default)]
    pub contact_email: Option<String>,
    /// A place IRI (e.g. GeoNames) the data covers; the bounding box is computed.
    #[serde(default)]
    pub spatial: Option<String>,
    /// EU frequency code, e.g. `HOURLY`, `CONT`.
    #[serde(default)]
    pub update_frequency: Option<String>,
    /// Standards the data follows (IRIs), e.g. a Smart Data Models type.
    #[serde(default)]
    pub conforms_to: Vec<String>,
    /// The ODRL offer (Turtle) that governs use; `<>` stands for the dataset. Without one
    /// the dataset is listed but nothing may be done with it remotely.
    #[serde(default)]
    pub policy: Option<String>,
    /// When the definition last changed (set by the node).
    #[serde(default)]
    pub modified: Option<String>,
}

impl DatasetDefinition {
    /// A minimal definition (title, one graph); the rest is optional.
    pub fn new(id: &str, title: &str, graph: &str) -> Self {
        Self {
            id: id.to_owned(),
            title: Text::english(title),
            description: Text::english(title),
            graphs: vec![graph.to_owned()],
            keywords: Vec::new(),
            themes: Vec::new(),
            licence: None,
            access_rights: AccessRights::default(),
            publisher: None,
            contact_name: None,
            contact_email: None,
            spatial: None,
            update_frequency: None,
            conforms_to: Vec::new(),
            policy: None,
            modified: None,
        }
    }

    /// Parses a TOML definition.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn invalid(&self, field: &'static str, message: impl Into<String>) -> DatasetError {
        DatasetError::Invalid {
            id: self.id.clone(),
            field,
            message: message.into(),
        }
    }

    /// Checks every field; `iris` resolves `<>` in the policy to this dataset.
    pub fn validate(&self, iris: &NodeIris) -> Result<(), DatasetError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(self.invalid("id", "use 1 to 64 lowercase letters, digits, `-` or `_`"));
        }
        for (field, text) in [("title", &self.title), ("description", &self.description)] {
            if text.0.is_empty() || text.0.values().any(|t| t.trim().is_empty()) {
                return Err(self.invalid(field, "must not be empty"));
            }
            if let Some(tag) = text.0.keys().find(|tag| !is_language_tag(tag)) {
                return Err(self.invalid(field, format!("`{tag}` is not a language tag")));
            }
        }
        if self.graphs.is_empty() {
            return Err(self.invalid("graphs", "name at least one named graph"));
        }
        for graph in &self.graphs {
            check_iri(graph).map_err(|m| self.invalid("graphs", m))?;
        }
        if let Some(keyword) = self
            .keywords
            .iter()
            .find(|k| k.trim().is_empty() || k.len() > 200)
        {
            return Err(self.invalid(
                "keywords",
                format!("`{keyword}` must be 1 to 200 characters"),
            ));
        }
        if let Some(theme) = self
            .themes
            .iter()
            .find(|t| !eu::DATA_THEMES.iter().any(|(code, _)| code == t))
        {
            let codes: Vec<&str> = eu::DATA_THEMES.iter().map(|(code, _)| *code).collect();
            return Err(self.invalid(
                "themes",
                format!("`{theme}` is not an EU data theme ({})", codes.join(", ")),
            ));
        }
        if let Some(frequency) = &self.update_frequency
            && !eu::FREQUENCIES.contains(&frequency.as_str())
        {
            return Err(self.invalid(
                "update_frequency",
                format!(
                    "`{frequency}` is not an EU frequency code ({})",
                    eu::FREQUENCIES.join(", ")
                ),
            ));
        }
        for (field, iri) in [("licence", &self.licence), ("spatial", &self.spatial)] {
            if let Some(iri) = iri {
                check_iri(iri).map_err(|m| self.invalid(field, m))?;
            }
        }
        for iri in &self.conforms_to {
            check_iri(iri).map_err(|m| self.invalid("conforms_to", m))?;
        }
        if let Some(email) = &self.contact_email {
            let ok = email.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty() && host.contains('.') && !email.contains(char::is_whitespace)
            });
            if !ok {
                return Err(self.invalid(
                    "contact_email",
                    format!("`{email}` is not an e-mail address"),
                ));
            }
        }
        if self.policy.is_some() {
            self.offer(iris)?;
        }
        Ok(())
    }

    /// The policy as RDF, `<>` resolved to the dataset IRI; `None` without a policy.
    pub fn policy_graph(&self, iris: &NodeIris) -> Result<Option<Graph>, DatasetError> {
        let Some(text) = &self.policy else {
            return Ok(None);
        };
        if text.len() > MAX_POLICY_BYTES {
            return Err(self.invalid(
                "policy",
                format!(
                    "{} bytes, more than the {MAX_POLICY_BYTES} allowed",
                    text.len()
                ),
            ));
        }
        let parser = RdfParser::from_format(RdfFormat::Turtle)
            .with_base_iri(iris.dataset(&self.id))
            .map_err(|e| self.invalid("policy", e.to_string()))?;
        let mut graph = Graph::new();
        for triple in parser.for_slice(text.as_bytes()) {
            let quad = triple.map_err(|e| self.invalid("policy", format!("Turtle: {e}")))?;
            graph.insert(oxigraph::model::TripleRef::from(quad.as_ref()));
        }
        Ok(Some(graph))
    }

    /// The dataset's ODRL offer (an `odrl:Offer` or `odrl:Set`), parsed and checked.
    pub fn offer(&self, iris: &NodeIris) -> Result<Option<Policy>, DatasetError> {
        let Some(graph) = self.policy_graph(iris)? else {
            return Ok(None);
        };
        let mut policies = hanse_policy::from_graph(&graph);
        if policies.len() != 1 {
            return Err(self.invalid(
                "policy",
                format!(
                    "must hold exactly one odrl:Offer or odrl:Set, found {}",
                    policies.len()
                ),
            ));
        }
        let policy = policies.remove(0);
        if policy.kind == PolicyKind::Agreement {
            return Err(self.invalid(
                "policy",
                "an odrl:Agreement is made per consumer; publish an odrl:Offer",
            ));
        }
        if policy.uid.starts_with("_:") {
            return Err(self.invalid(
                "policy",
                "the policy needs an IRI (e.g. `<#offer>`), not a blank node",
            ));
        }
        Ok(Some(policy))
    }
}

fn check_iri(iri: &str) -> Result<(), String> {
    NamedNode::new(iri)
        .map(|_| ())
        .map_err(|e| format!("`{iri}` is not an absolute IRI: {e}"))
}

fn is_language_tag(tag: &str) -> bool {
    oxigraph::model::Literal::new_language_tagged_literal("x", tag).is_ok()
}

/// The node's dataset definitions in sled; cheap to clone.
#[derive(Clone)]
pub struct DatasetRegistry {
    tree: sled::Tree,
    iris: NodeIris,
    /// Counts this process's changes, so derived views (who sees which graphs) know when
    /// to recompute.
    generation: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl DatasetRegistry {
    /// Opens the registry in the node's state database.
    pub fn open(state: &NodeState, iris: NodeIris) -> Result<Self, DatasetError> {
        Ok(Self {
            tree: state.db().open_tree(TREE)?,
            iris,
            generation: Default::default(),
        })
    }

    /// Changes to the definitions so far; grows with every create, update and delete.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn changed(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// The node's IRIs.
    pub fn iris(&self) -> &NodeIris {
        &self.iris
    }

    /// Every dataset, by id.
    pub fn list(&self) -> Result<Vec<DatasetDefinition>, DatasetError> {
        self.tree
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                decode(&key, &value)
            })
            .collect()
    }

    /// One dataset.
    pub fn get(&self, id: &str) -> Result<DatasetDefinition, DatasetError> {
        match self.tree.get(id.as_bytes())? {
            Some(value) => decode(id.as_bytes(), &value),
            None => Err(DatasetError::NotFound(id.to_owned())),
        }
    }

    /// Adds a new dataset.
    pub fn create(&self, definition: DatasetDefinition) -> Result<DatasetDefinition, DatasetError> {
        if self.tree.contains_key(definition.id.as_bytes())? {
            return Err(DatasetError::Exists(definition.id));
        }
        if self.tree.len() >= MAX_DATASETS {
            return Err(DatasetError::TooMany);
        }
        self.put(definition)
    }

    /// Replaces an existing dataset's definition.
    pub fn update(&self, definition: DatasetDefinition) -> Result<DatasetDefinition, DatasetError> {
        if !self.tree.contains_key(definition.id.as_bytes())? {
            return Err(DatasetError::NotFound(definition.id));
        }
        self.put(definition)
    }

    fn put(&self, mut definition: DatasetDefinition) -> Result<DatasetDefinition, DatasetError> {
        definition.validate(&self.iris)?;
        definition.modified = Some(oxsdatatypes::DateTime::now().to_string());
        let bytes = serde_json::to_vec(&definition).map_err(|e| DatasetError::Corrupt {
            id: definition.id.clone(),
            message: e.to_string(),
        })?;
        self.tree.insert(definition.id.as_bytes(), bytes)?;
        self.tree.flush()?;
        self.changed();
        Ok(definition)
    }

    /// Removes a dataset's description (its graphs stay in the store).
    pub fn delete(&self, id: &str) -> Result<(), DatasetError> {
        if self.tree.remove(id.as_bytes())?.is_none() {
            return Err(DatasetError::NotFound(id.to_owned()));
        }
        self.tree.flush()?;
        self.changed();
        Ok(())
    }
}

fn decode(key: &[u8], value: &[u8]) -> Result<DatasetDefinition, DatasetError> {
    serde_json::from_slice(value).map_err(|e| DatasetError::Corrupt {
        id: String::from_utf8_lossy(key).into_owned(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::PeerId;

    fn iris() -> NodeIris {
        NodeIris::new(&PeerId::random())
    }

    fn field_of(error: DatasetError) -> &'static str {
        match error {
            DatasetError::Invalid { field, .. } => field,
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn toml_definitions_parse_with_plain_or_multilingual_text() {
        let definition = DatasetDefinition::from_toml(
            r#"
            id = "air-quality"
            title = { en = "Air quality", nl = "Luchtkwaliteit" }
            description = "Hourly NO2, PM10 and PM2.5"
            graphs = ["https://data.example.org/graph/air"]
            themes = ["ENVI"]
            access_rights = "public"
            licence = "https://creativecommons.org/licenses/by/4.0/"
            policy = """
              @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
              <#offer> a odrl:Offer ; odrl:permission [ odrl:action odrl:use ; odrl:target <> ] .
            """
            "#,
        )
        .unwrap();
        assert_eq!(definition.title.0["nl"], "Luchtkwaliteit");
        assert_eq!(definition.description.best(), "Hourly NO2, PM10 and PM2.5");
        let iris = iris();
        definition.validate(&iris).unwrap();
        let offer = definition.offer(&iris).unwrap().unwrap();
        assert_eq!(offer.uid, format!("{}#offer", iris.dataset("air-quality")));
        assert_eq!(
            offer.permissions[0].target.as_deref(),
            Some(iris.dataset("air-quality").as_str())
        );
        assert!(DatasetDefinition::from_toml("id = \"x\"\nunknown = 1").is_err());
    }

    #[test]
    fn each_bad_field_is_named() {
        let iris = iris();
        let good = DatasetDefinition::new("bikes", "Bicycle counts", "urn:graph:bikes");
        good.validate(&iris).unwrap();
        type Mutation = Box<dyn Fn(&mut DatasetDefinition)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("id", Box::new(|d| d.id = "Bad Id".into())),
            ("title", Box::new(|d| d.title = Text::english(" "))),
            ("description", Box::new(|d| d.description = Text::default())),
            ("graphs", Box::new(|d| d.graphs.clear())),
            ("graphs", Box::new(|d| d.graphs = vec!["not an iri".into()])),
            ("themes", Box::new(|d| d.themes = vec!["WEATHER".into()])),
            (
                "update_frequency",
                Box::new(|d| d.update_frequency = Some("SOMETIMES".into())),
            ),
            ("licence", Box::new(|d| d.licence = Some("cc-by".into()))),
            (
                "contact_email",
                Box::new(|d| d.contact_email = Some("nobody".into())),
            ),
            (
                "policy",
                Box::new(|d| d.policy = Some("this is not turtle".into())),
            ),
            ("policy", Box::new(|d| d.policy = Some(String::new()))),
            (
                "policy",
                Box::new(|d| {
                    d.policy = Some(
                        "@prefix odrl: <http://www.w3.org/ns/odrl/2/> . [] a odrl:Offer .".into(),
                    )
                }),
            ),
        ];
        for (field, mutate) in cases {
            let mut bad = good.clone();
            mutate(&mut bad);
            assert_eq!(field_of(bad.validate(&iris).unwrap_err()), field);
        }
    }

    #[test]
    fn registry_creates_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let state = NodeState::open(dir.path()).unwrap();
        let registry = DatasetRegistry::open(&state, iris()).unwrap();
        let definition = DatasetDefinition::new("bikes", "Bicycle counts", "urn:graph:bikes");
        let stored = registry.create(definition.clone()).unwrap();
        assert!(stored.modified.is_some());
        assert!(matches!(
            registry.create(definition.clone()),
            Err(DatasetError::Exists(_))
        ));
        let mut changed = definition.clone();
        changed.keywords.push("cycling".into());
        registry.update(changed).unwrap();
        assert_eq!(registry.get("bikes").unwrap().keywords, ["cycling"]);
        let mut bad = definition.clone();
        bad.themes.push("NOPE".into());
        assert!(registry.update(bad).is_err());
        assert_eq!(registry.get("bikes").unwrap().keywords, ["cycling"], "kept");
        registry.delete("bikes").unwrap();
        assert!(matches!(
            registry.get("bikes"),
            Err(DatasetError::NotFound(_))
        ));
        assert!(matches!(
            registry.delete("bikes"),
            Err(DatasetError::NotFound(_))
        ));
    }
}
