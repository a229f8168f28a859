//! The middle steps of starting a node: joining the consortium's network when the node
//! directory holds one, then opening the services that hold and answer for its data, each
//! given the parts it needs.

use super::error::NodeError;
use super::storage::Storage;
use crate::access::{AccessService, AgreementStore};
use crate::audit::AuditLog;
use crate::catalog::{CatalogParts, CatalogService};
use crate::config::Config;
use crate::federation::FederationService;
use crate::ingest::{IngestParts, IngestService};
use crate::ngsi_ld::{NgsiLdParts, NgsiLdService};
use crate::node_dir::NodeDir;
use crate::p2p::{self, Network, NetworkClient};
use crate::store::geo_index::GeoIndex;
use crate::store::sparql::SparqlService;
use crate::store::subject_filter::SubjectFilter;
use crate::trust::egress::Egress;
use crate::trust::membership::{CONSORTIUM_FILE, CurrentMembership};
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

/// The consortium the node is in and its network, listening.
pub struct Consortium {
    /// The current membership document.
    pub membership: CurrentMembership,
    /// The network, its event loop not yet running.
    pub network: Network,
}

impl Consortium {
    /// Joins the consortium installed in `dir`; `None` when there is none.
    pub async fn join(
        dir: &NodeDir,
        storage: &Storage,
        config: &Config,
        cancel: &CancellationToken,
    ) -> Result<Option<Self>, NodeError> {
        let path = dir.root().join(CONSORTIUM_FILE);
        if !path.exists() {
            tracing::info!(
                "no {CONSORTIUM_FILE} in the node directory: running without the p2p network (install one with `hanse consortium install`)"
            );
            return Ok(None);
        }
        let membership = CurrentMembership::load(&path)?;
        let network = p2p::start(
            &storage.identity,
            &config.p2p,
            membership.clone(),
            cancel.child_token(),
        )
        .await?;
        Ok(Some(Consortium {
            membership,
            network,
        }))
    }
}

/// The services of a node, opened and wired together.
pub struct Services {
    /// The filter of stored entity IRIs.
    pub subjects: SubjectFilter,
    /// The audit log of remote access decisions.
    pub audit: AuditLog,
    /// Datasets and catalogues.
    pub catalog: CatalogService,
    /// Sensor ingest.
    pub ingest: IngestService,
    /// The NGSI-LD API.
    pub ngsi_ld: NgsiLdService,
    /// The SPARQL engine.
    pub sparql: SparqlService,
    /// Agreements, rights and remote queries.
    pub access: AccessService,
    /// Federated queries.
    pub federation: FederationService,
    /// The network's client, when the node is in a consortium.
    pub network: Option<NetworkClient>,
    /// The current membership, when the node is in a consortium.
    pub membership: Option<CurrentMembership>,
}

impl Services {
    /// Opens every service over `storage`.
    pub fn open(
        dir: &NodeDir,
        config: &Config,
        storage: &Storage,
        consortium: Option<&Consortium>,
        http_addr: SocketAddr,
    ) -> Result<Self, NodeError> {
        let network = consortium.map(|c| c.network.client.clone());
        let membership = consortium.map(|c| c.membership.clone());
        let subjects = SubjectFilter::new(storage.store.clone());
        let catalog = CatalogService::open(CatalogParts {
            identity: storage.identity.clone(),
            node_name: config.node.name.clone(),
            config: config.catalog.clone(),
            store: storage.store.clone(),
            subjects: subjects.clone(),
            state: storage.state.clone(),
            membership: membership.clone(),
            role: config.node.role,
            public_base: Some(config.http.public_base(http_addr)),
        })?;
        let egress = Egress::new(&config.egress);
        let (ingest, ngsi_ld) =
            open_data_services(dir, config, storage, &catalog, &subjects, &egress)?;
        let audit = AuditLog::open(&storage.state, storage.identity.clone())?;
        let sparql = SparqlService::new(
            storage.store.clone(),
            config.sparql.clone(),
            config.http.max_concurrent_queries,
        );
        let access = AccessService::new(
            storage.identity.clone(),
            catalog.clone(),
            AgreementStore::open(&storage.state)?,
            audit.clone(),
            sparql.clone(),
            membership.clone(),
            config.access.clone(),
        );
        let federation = FederationService::new(
            catalog.clone(),
            access.clone(),
            sparql.clone(),
            network.clone(),
            config.federation.clone(),
            egress,
        );
        Ok(Services {
            subjects,
            audit,
            catalog,
            ingest,
            ngsi_ld,
            sparql,
            access,
            federation,
            network,
            membership,
        })
    }
}

/// The services that write data: the sensor ingest and the NGSI-LD API, sharing a spatial
/// index of the entities.
fn open_data_services(
    dir: &NodeDir,
    config: &Config,
    storage: &Storage,
    catalog: &CatalogService,
    subjects: &SubjectFilter,
    egress: &Egress,
) -> Result<(IngestService, NgsiLdService), NodeError> {
    let geo_index = GeoIndex::default();
    let ingest = IngestService::open(IngestParts {
        root: dir.root().to_owned(),
        config: config.ingest.clone(),
        store: storage.store.clone(),
        state: storage.state.clone(),
        catalog: catalog.clone(),
        geo_index: geo_index.clone(),
        subjects: subjects.clone(),
        observations: storage.observations.clone(),
    })?;
    let ngsi_ld = NgsiLdService::new(NgsiLdParts {
        store: storage.store.clone(),
        observations: storage.observations.clone(),
        geo: geo_index,
        subjects: subjects.clone(),
        catalog: catalog.clone(),
        config: config.ngsi_ld.clone(),
        root: dir.root().to_owned(),
        egress: egress.clone(),
        timeout: config.sparql.query_timeout(),
        max_concurrent: config.http.max_concurrent_queries,
    })?;
    Ok((ingest, ngsi_ld))
}
