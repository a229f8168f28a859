//! Vocabularies of the DCAT-AP catalogue, its VoID statistics and its Data Integrity proof.

/// Declares a vocabulary module: its namespace and documented terms built from it.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $module:ident = $ns:literal {
        $($(#[$term_meta:meta])* $name:ident = $local:literal;)*
    }) => {
        $(#[$meta])*
        pub mod $module {
            /// Namespace IRI.
            pub const NS: &str = $ns;
            $($(#[$term_meta])* pub const $name: &str = concat!($ns, $local);)*
        }
    };
}

vocabulary! {
    /// W3C DCAT 3.
    dcat = "http://www.w3.org/ns/dcat#" {
        /// `dcat:Catalog`.
        CATALOG = "Catalog";
        /// `dcat:Dataset`.
        DATASET = "Dataset";
        /// `dcat:Distribution`.
        DISTRIBUTION = "Distribution";
        /// `dcat:DataService`.
        DATA_SERVICE = "DataService";
        /// `dcat:dataset`.
        DATASET_PROPERTY = "dataset";
        /// `dcat:service`.
        SERVICE = "service";
        /// `dcat:distribution`.
        DISTRIBUTION_PROPERTY = "distribution";
        /// `dcat:accessURL`.
        ACCESS_URL = "accessURL";
        /// `dcat:accessService`.
        ACCESS_SERVICE = "accessService";
        /// `dcat:endpointURL`.
        ENDPOINT_URL = "endpointURL";
        /// `dcat:servesDataset`.
        SERVES_DATASET = "servesDataset";
        /// `dcat:keyword`.
        KEYWORD = "keyword";
        /// `dcat:theme`.
        THEME = "theme";
        /// `dcat:themeTaxonomy`.
        THEME_TAXONOMY = "themeTaxonomy";
        /// `dcat:contactPoint`.
        CONTACT_POINT = "contactPoint";
        /// `dcat:bbox`.
        BBOX = "bbox";
        /// `dcat:startDate`.
        START_DATE = "startDate";
        /// `dcat:endDate`.
        END_DATE = "endDate";
        /// `dcat:landingPage`: the dataset's web page.
        LANDING_PAGE = "landingPage";
        /// `dcat:centroid` of a location.
        CENTROID = "centroid";
        /// `dcat:endpointDescription` of a data service.
        ENDPOINT_DESCRIPTION = "endpointDescription";
    }
}

vocabulary! {
    /// DCMI Metadata Terms.
    dct = "http://purl.org/dc/terms/" {
        /// `dct:title`.
        TITLE = "title";
        /// `dct:description`.
        DESCRIPTION = "description";
        /// `dct:identifier`.
        IDENTIFIER = "identifier";
        /// `dct:publisher`.
        PUBLISHER = "publisher";
        /// `dct:license`.
        LICENSE = "license";
        /// `dct:accessRights`.
        ACCESS_RIGHTS = "accessRights";
        /// `dct:spatial`.
        SPATIAL = "spatial";
        /// `dct:temporal`.
        TEMPORAL = "temporal";
        /// `dct:accrualPeriodicity`.
        ACCRUAL_PERIODICITY = "accrualPeriodicity";
        /// `dct:conformsTo`.
        CONFORMS_TO = "conformsTo";
        /// `dct:modified`.
        MODIFIED = "modified";
        /// `dct:created`.
        CREATED = "created";
        /// `dct:format`.
        FORMAT = "format";
        /// `dct:LicenseDocument`.
        LICENSE_DOCUMENT = "LicenseDocument";
        /// `dct:RightsStatement`.
        RIGHTS_STATEMENT = "RightsStatement";
        /// `dct:Location`.
        LOCATION = "Location";
        /// `dct:PeriodOfTime`.
        PERIOD_OF_TIME = "PeriodOfTime";
        /// `dct:Frequency`.
        FREQUENCY = "Frequency";
        /// `dct:Standard`.
        STANDARD = "Standard";
        /// `dct:MediaTypeOrExtent`.
        MEDIA_TYPE_OR_EXTENT = "MediaTypeOrExtent";
        /// `dct:type` (publisher and licence types).
        TYPE = "type";
        /// `dct:language`.
        LANGUAGE = "language";
        /// `dct:LinguisticSystem`.
        LINGUISTIC_SYSTEM = "LinguisticSystem";
        /// `dct:issued`.
        ISSUED = "issued";
    }
}

vocabulary! {
    /// FOAF (agents).
    foaf = "http://xmlns.com/foaf/0.1/" {
        /// `foaf:Agent`.
        AGENT = "Agent";
        /// `foaf:name`.
        NAME = "name";
        /// `foaf:homepage`.
        HOMEPAGE = "homepage";
        /// `foaf:Document`.
        DOCUMENT = "Document";
    }
}

vocabulary! {
    /// vCard (contact points).
    vcard = "http://www.w3.org/2006/vcard/ns#" {
        /// `vcard:Kind`.
        KIND = "Kind";
        /// `vcard:fn`.
        FN = "fn";
        /// `vcard:hasEmail`.
        HAS_EMAIL = "hasEmail";
        /// `vcard:hasURL`.
        HAS_URL = "hasURL";
        /// `vcard:Organization`.
        ORGANIZATION = "Organization";
    }
}

vocabulary! {
    /// DCAT-AP's own terms.
    dcatap = "http://data.europa.eu/r5r/" {
        /// `dcatap:availability` of a distribution.
        AVAILABILITY = "availability";
    }
}

vocabulary! {
    /// OWL (identity links between a resource's names).
    owl = "http://www.w3.org/2002/07/owl#" {
        /// `owl:sameAs`.
        SAME_AS = "sameAs";
    }
}

vocabulary! {
    /// Hydra Core (paging of the harvestable catalogue).
    hydra = "http://www.w3.org/ns/hydra/core#" {
        /// `hydra:PartialCollectionView`.
        PARTIAL_COLLECTION_VIEW = "PartialCollectionView";
        /// `hydra:view`.
        VIEW = "view";
        /// `hydra:first`.
        FIRST = "first";
        /// `hydra:last`.
        LAST = "last";
        /// `hydra:next`.
        NEXT = "next";
        /// `hydra:previous`.
        PREVIOUS = "previous";
        /// `hydra:totalItems`.
        TOTAL_ITEMS = "totalItems";
        /// `hydra:itemsPerPage`.
        ITEMS_PER_PAGE = "itemsPerPage";
    }
}

vocabulary! {
    /// SKOS (themes as concepts).
    skos = "http://www.w3.org/2004/02/skos/core#" {
        /// `skos:Concept`.
        CONCEPT = "Concept";
        /// `skos:ConceptScheme`.
        CONCEPT_SCHEME = "ConceptScheme";
        /// `skos:prefLabel`.
        PREF_LABEL = "prefLabel";
        /// `skos:inScheme`.
        IN_SCHEME = "inScheme";
    }
}

vocabulary! {
    /// VoID (dataset statistics).
    void = "http://rdfs.org/ns/void#" {
        /// `void:Dataset`.
        DATASET = "Dataset";
        /// `void:triples`.
        TRIPLES = "triples";
        /// `void:distinctSubjects`.
        DISTINCT_SUBJECTS = "distinctSubjects";
        /// `void:entities`.
        ENTITIES = "entities";
        /// `void:classPartition`.
        CLASS_PARTITION = "classPartition";
        /// `void:propertyPartition`.
        PROPERTY_PARTITION = "propertyPartition";
        /// `void:class`.
        CLASS = "class";
        /// `void:property`.
        PROPERTY = "property";
        /// `void:sparqlEndpoint`.
        SPARQL_ENDPOINT = "sparqlEndpoint";
    }
}

vocabulary! {
    /// W3C Data Integrity (the `sec:` vocabulary of proofs).
    sec = "https://w3id.org/security#" {
        /// `sec:proof`.
        PROOF = "proof";
        /// `sec:DataIntegrityProof`.
        DATA_INTEGRITY_PROOF = "DataIntegrityProof";
        /// `sec:cryptosuite`.
        CRYPTOSUITE = "cryptosuite";
        /// `sec:cryptosuiteString` (datatype of the cryptosuite name).
        CRYPTOSUITE_STRING = "cryptosuiteString";
        /// `sec:verificationMethod`.
        VERIFICATION_METHOD = "verificationMethod";
        /// `sec:proofPurpose`.
        PROOF_PURPOSE = "proofPurpose";
        /// `sec:assertionMethod`.
        ASSERTION_METHOD = "assertionMethod";
        /// `sec:proofValue`.
        PROOF_VALUE = "proofValue";
        /// `sec:multibase` (datatype of the proof value).
        MULTIBASE = "multibase";
    }
}

/// EU Publications Office authority tables DCAT-AP draws its controlled values from.
pub mod eu {
    /// Data themes (`dcat:theme`): code and English label.
    pub const DATA_THEMES: &[(&str, &str)] = &[
        ("AGRI", "Agriculture, fisheries, forestry and food"),
        ("ECON", "Economy and finance"),
        ("EDUC", "Education, culture and sport"),
        ("ENER", "Energy"),
        ("ENVI", "Environment"),
        ("GOVE", "Government and public sector"),
        ("HEAL", "Health"),
        ("INTR", "International issues"),
        ("JUST", "Justice, legal system and public safety"),
        ("OP_DATPRO", "Provisional data"),
        ("REGI", "Regions and cities"),
        ("SOCI", "Population and society"),
        ("TECH", "Science and technology"),
        ("TRAN", "Transport"),
    ];
    /// The data theme scheme (`dcat:themeTaxonomy`).
    pub const DATA_THEME_SCHEME: &str =
        "http://publications.europa.eu/resource/authority/data-theme";
    /// Prefix of a data theme IRI (append the code).
    pub const DATA_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme/";
    /// Update frequencies (`dct:accrualPeriodicity`) hanse accepts.
    pub const FREQUENCIES: &[&str] = &[
        "CONT",
        "UPDATE_CONT",
        "1MIN",
        "5MIN",
        "10MIN",
        "15MIN",
        "30MIN",
        "HOURLY",
        "DAILY",
        "WEEKLY",
        "MONTHLY",
        "QUARTERLY",
        "ANNUAL",
        "IRREG",
        "NEVER",
        "UNKNOWN",
    ];
    /// Prefix of a frequency IRI (append the code).
    pub const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
    /// Prefix of an access-right IRI (`PUBLIC`, `RESTRICTED`, `NON_PUBLIC`).
    pub const ACCESS_RIGHT: &str = "http://publications.europa.eu/resource/authority/access-right/";
    /// The file type of a SPARQL endpoint distribution.
    pub const FILE_TYPE_SPARQL: &str =
        "http://publications.europa.eu/resource/authority/file-type/SPARQLQ";
    /// Prefix of a language IRI (append the ISO 639-3 code, e.g. `ENG`).
    pub const LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language/";
    /// Planned availability of a distribution that is meant to stay.
    pub const AVAILABILITY_STABLE: &str =
        "http://publications.europa.eu/resource/authority/planned-availability/STABLE";
    /// ADMS publisher types (append e.g. `LocalAuthority`).
    pub const PUBLISHER_TYPE: &str = "http://purl.org/adms/publishertype/";
    /// ADMS licence types (append e.g. `Attribution`).
    pub const LICENCE_TYPE: &str = "http://purl.org/adms/licencetype/";
    /// CC0 1.0, the default licence of the catalogue's own metadata.
    pub const CC0: &str = "http://creativecommons.org/publicdomain/zero/1.0/";
}
