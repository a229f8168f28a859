//! The commented `hanse.toml` that `hanse init` writes: every key with its default and what
//! it means.

use super::file::Config;
use super::node::Role;
use std::net::SocketAddr;

impl Config {
    /// The commented `hanse.toml` written by `hanse init`.
    pub fn template(
        name: &str,
        role: Role,
        http_listen: SocketAddr,
        p2p_listen: SocketAddr,
        mdns: bool,
    ) -> String {
        let d = Config::default();
        format!(
            r#"# hanse node configuration. Every key is optional; the values shown are the defaults
# unless `hanse init` set them. Paths are relative to this file's directory.

[node]
# Display name shown to peers and in the catalogue.
name = "{name}"
# city | utility | research | steward
role = "{role}"

[http]
# Address of the HTTP API (SPARQL endpoint, graph store, node API, console). Keep it on
# localhost unless a reverse proxy with TLS sits in front. Callers without a token are
# visitors and see the public datasets only; people sign in with a personal token
# (`hanse user add`), an OIDC token ([oidc]) or the operator's `admin.token`.
listen = "{http_listen}"
# true: every client on loopback acts as the operator, without a token. For the demo and test
# suites only; refused unless `listen` is a loopback address. Never behind a reverse proxy
# on the same host: every visitor would arrive from loopback.
loopback_operator = false
# Largest request body accepted, in bytes (SPARQL text, uploaded RDF).
max_body_bytes = {max_body}
# SPARQL queries evaluated at once; more requests wait for a free slot.
max_concurrent_queries = {max_queries}
# URL under which browsers and harvesters reach this node; dataset and catalogue IRIs are
# minted under it (default: http://<listen>/).
# public_base_url = "https://data.example.org/"
# Map tiles for the web console's maps; without, maps draw GeoJSON on a plain background.
# map_tile_url = "https://tiles.example.org/{{z}}/{{x}}/{{y}}.png"

[p2p]
# libp2p multiaddresses to listen on. The network starts once consortium.json is installed
# (`hanse consortium install`); only members of that document may connect.
listen = [{p2p_listen}]
# Members to dial at start, e.g. "/ip4/192.0.2.10/tcp/7979/p2p/12D3KooW...".
bootstrap = []
# Find members on the local network with mDNS (`hanse init --mdns`).
mdns = {mdns}
# Most simultaneous connections to one peer, and in total.
max_connections_per_peer = {per_peer}
max_connections = {max_conn}
# Time limit of a node-to-node request, in seconds.
request_timeout_secs = {req_timeout}
# Largest gossip message and largest request/response message, in bytes.
max_gossip_bytes = {max_gossip}
max_message_bytes = {max_message}

[storage]
# oxigraph (RocksDB) store with the node's RDF data.
store = "{store}"
# sled database with node state (agreements, audit log, ingest cursors).
state = "{state}"
# Deepest nesting of blank nodes, collections, JSON-LD objects or RDF/XML elements in an RDF
# document sent to the store (parsing time grows with its square).
max_rdf_nesting = {max_rdf_nesting}

[sparql]
# Wall-clock limit of one query or update, in seconds.
query_timeout_secs = {timeout}
# Most solutions (or triples) one query may return; larger results are refused with an error.
max_result_rows = {max_rows}
# true: a query's default graph is the union of all graphs; false: the store's default graph.
union_default_graph = {union}
# Shape limits, checked before a query is parsed and evaluated; a query over one is refused
# with a 400 that names the limit. Longest query text in bytes (for updates: outside
# INSERT DATA / DELETE DATA blocks, which only http.max_body_bytes bounds).
max_query_bytes = {max_query_bytes}
# Deepest nesting of {{ ( [ brackets; at least max_algebra_depth + 32, since federated
# sub-queries are written back with about one bracket per algebra level.
max_nesting = {max_nesting}
# Deepest and largest parsed algebra (a chain of N UNIONs, OPTIONALs or ||s is N deep).
max_algebra_depth = {max_algebra_depth}
max_algebra_size = {max_algebra_size}
# Joins wider (or algebra deeper) than this run in written order, without the optimiser.
max_optimized_width = {max_optimized_width}

[catalog]
# Publisher name in the catalogue (foaf:name); default: the organisation in the consortium
# document, else node.name.
# organisation = "City of Mechelen"
# Largest catalogue published or accepted from a member, in bytes.
max_bytes = {cat_max}
# Quiet time after a dataset edit before the catalogue is re-signed and published, in ms.
publish_debounce_ms = {cat_debounce}
# After data changes, dataset statistics are recomputed at most this often, in seconds.
refresh_interval_secs = {cat_refresh}
# How often catalogue versions are compared with a connected member, in seconds.
sync_interval_secs = {cat_sync}
# Time each peer may make this node spend verifying catalogues it hands over, in ms; refills
# over 50 s. Past it, that peer's catalogues wait (anti-entropy fetches them later).
verify_budget_ms = {cat_verify}
# E-mail of the catalogue's contact point (for datasets that name none).
# contact_email = "opendata@example.org"
# Licence of the catalogue's metadata (not of the data).
metadata_licence = "{cat_licence}"

[access]
# Longest an agreement this node grants stays valid, in days.
max_agreement_days = {acc_days}
# Longest remote query accepted, in bytes.
max_query_bytes = {acc_query}
# Size of one chunk of a remote query's answer, in bytes; larger answers take several messages.
answer_chunk_bytes = {acc_chunk}

[ingest]
# Source mapping files, one per source (see docs/ingest.md and docs/sources/).
sources_dir = "{ing_dir}"
# Most observations written in one transaction; messages are acknowledged after it commits.
max_batch_observations = {ing_batch}
# Messages waiting for the writer before sources are slowed down (backpressure).
queue_capacity = {ing_queue}
# Largest POST /api/ingest/{{source}} body, in bytes.
max_http_bytes = {ing_http}
# How long an HTTP push waits for its batch to be durable before answering 503, in seconds.
write_timeout_secs = {ing_timeout}
# How often hourly aggregates are computed and expired raw observations deleted, in seconds.
retention_interval_secs = {ing_retention}

[federation]
# Wall-clock limit of one federated query (`/sparql?federated=true`), in seconds.
timeout_secs = {fed_timeout}
# How long one member may take to answer one sub-query, in seconds; a member that takes
# longer is marked failed and the answer partial.
source_timeout_secs = {fed_source_timeout}
# Sub-queries in flight at once, over all members.
max_in_flight = {fed_in_flight}
# Most rows a member's answer or an intermediate join may hold.
max_intermediate_rows = {fed_rows}
# Bindings sent per bound-join sub-query (VALUES block size).
bound_join_block = {fed_block}
# Purpose stated when a query names none, e.g. "https://w3id.org/dpv#AcademicResearch".
# default_purpose = "https://w3id.org/dpv#ServiceProvision"

[ngsi_ld]
# Named graph for NGSI-LD entities whose type no dataset claims (a dataset claims a type by
# listing it in conforms_to); default hanse://<PeerId>/graph/ngsi-ld.
# graph = "https://city.example/graph/ngsi-ld"
# Most entities in one batch operation (larger batches are refused, not truncated), and the
# largest page of a query.
max_batch_entities = {ngsi_batch}
max_page_size = {ngsi_page}
# Most instances of one attribute in a temporal answer (past it: 206 with Content-Range).
max_temporal_instances = {ngsi_temporal}
# Longest q / scopeQ expression (bytes) and deepest JSON nesting accepted.
max_query_bytes = {ngsi_q}
max_json_depth = {ngsi_depth}
# User @contexts: fetch timeout (s), largest document (bytes), documents cached, reuse (s).
context_timeout_secs = {ngsi_ctx_timeout}
context_max_bytes = {ngsi_ctx_bytes}
context_cache_entries = {ngsi_ctx_entries}
context_cache_secs = {ngsi_ctx_secs}

[ngsi_ld.context_files]
# @context URL = local file, for sites without Internet access. Core contexts are embedded.
# "https://smartdatamodels.org/context.jsonld" = "contexts/smartdatamodels.jsonld"

[oidc]
# Single sign-on: bearer JWTs from one OpenID Connect issuer (Keycloak, Azure AD, an eID),
# verified against its keys, audience and expiry checked, claims mapped to roles
# (docs/callers.md). Off without an issuer.
# issuer = "https://login.example.org/realms/city"
# audience = "hanse"
# jwks_url = "https://login.example.org/realms/city/protocol/openid-connect/certs"
# jwks_file = "oidc-jwks.json"
# roles_claim = "realm_access.roles"
# name_claim = "preferred_username"
# default_roles = []
# For "Sign in with …" in the console (authorization code with PKCE, public client):
# client_id = "hanse-console"
# authorization_endpoint = "https://login.example.org/realms/city/protocol/openid-connect/auth"
# token_endpoint = "https://login.example.org/realms/city/protocol/openid-connect/token"

[oidc.roles]
# claim value = [hanse roles]: reader[:DATASET], researcher[:PURPOSE], editor,
# ingest[:SOURCE], operator.
# "city-analysts" = ["reader"]
# "researchers" = ["researcher:dpv:ScientificResearch"]

[egress]
# URLs the node may fetch on a caller's behalf: user @context documents, SERVICE endpoints.
# URL prefixes or exact URLs; the node fetches nothing else a request names.
allow = []
# allow = ["https://smartdatamodels.org/", "https://query.wikidata.org/sparql"]

[log]
# EnvFilter directive, e.g. "info" or "hanse_node=debug,info". HANSE_LOG overrides it.
level = "{level}"
# text | json
format = "text"
"#,
            max_body = d.http.max_body_bytes,
            max_queries = d.http.max_concurrent_queries,
            p2p_listen = super::p2p::P2pSection::listen_addresses(p2p_listen)
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", "),
            per_peer = d.p2p.max_connections_per_peer,
            max_conn = d.p2p.max_connections,
            req_timeout = d.p2p.request_timeout_secs,
            max_gossip = d.p2p.max_gossip_bytes,
            max_message = d.p2p.max_message_bytes,
            store = d.storage.store.display(),
            state = d.storage.state.display(),
            max_rdf_nesting = d.storage.max_rdf_nesting,
            timeout = d.sparql.query_timeout_secs,
            max_rows = d.sparql.max_result_rows,
            union = d.sparql.union_default_graph,
            max_query_bytes = d.sparql.max_query_bytes,
            max_nesting = d.sparql.max_nesting,
            max_algebra_depth = d.sparql.max_algebra_depth,
            max_algebra_size = d.sparql.max_algebra_size,
            max_optimized_width = d.sparql.max_optimized_width,
            level = d.log.level,
            cat_max = d.catalog.max_bytes,
            cat_debounce = d.catalog.publish_debounce_ms,
            cat_refresh = d.catalog.refresh_interval_secs,
            cat_sync = d.catalog.sync_interval_secs,
            cat_verify = d.catalog.verify_budget_ms,
            cat_licence = d.catalog.metadata_licence,
            acc_days = d.access.max_agreement_days,
            acc_query = d.access.max_query_bytes,
            acc_chunk = d.access.answer_chunk_bytes,
            ing_dir = d.ingest.sources_dir.display(),
            ing_batch = d.ingest.max_batch_observations,
            ing_queue = d.ingest.queue_capacity,
            ing_http = d.ingest.max_http_bytes,
            ing_timeout = d.ingest.write_timeout_secs,
            ing_retention = d.ingest.retention_interval_secs,
            fed_timeout = d.federation.timeout_secs,
            fed_source_timeout = d.federation.source_timeout_secs,
            fed_in_flight = d.federation.max_in_flight,
            fed_rows = d.federation.max_intermediate_rows,
            fed_block = d.federation.bound_join_block,
            ngsi_batch = d.ngsi_ld.max_batch_entities,
            ngsi_page = d.ngsi_ld.max_page_size,
            ngsi_temporal = d.ngsi_ld.max_temporal_instances,
            ngsi_q = d.ngsi_ld.max_query_bytes,
            ngsi_depth = d.ngsi_ld.max_json_depth,
            ngsi_ctx_timeout = d.ngsi_ld.context_timeout_secs,
            ngsi_ctx_bytes = d.ngsi_ld.context_max_bytes,
            ngsi_ctx_entries = d.ngsi_ld.context_cache_entries,
            ngsi_ctx_secs = d.ngsi_ld.context_cache_secs,
        )
    }
}
