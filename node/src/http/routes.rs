//! Every route of the node's HTTP API and console, and who may use it ([`ROUTES`]): the
//! table docs/callers.md prints and the gate's end-to-end test walks, kept complete by a
//! test that fails when a route is registered without a row.

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with the same answer for everyone.
    Open,
    /// Anyone; the answer holds what the caller may read (visitors: the public datasets).
    Filtered,
    /// Any signed-in person (or sensor source).
    SignedIn,
    /// A person with this role, or the operator.
    Role(&'static str),
    /// A sensor source with its own token, or a person with `ingest[:SOURCE]`.
    Source,
    /// A person with the `editor` role, or a sensor source in its own graph.
    Write,
}

/// One route (or one use of a route) and who may use it.
#[derive(Debug, Clone, Copy)]
pub struct RouteAccess {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The path as registered (`{id}` for a parameter).
    pub path: &'static str,
    /// Which use of the route the row is about, when it has several (`update`, `federated`).
    pub case: &'static str,
    /// Who may use it.
    pub access: Access,
    /// What it answers, and to whom.
    pub shows: &'static str,
}

const fn row(
    method: &'static str,
    path: &'static str,
    case: &'static str,
    access: Access,
    shows: &'static str,
) -> RouteAccess {
    RouteAccess {
        method,
        path,
        case,
        access,
        shows,
    }
}

use Access::{Filtered, Open, Role as Needs, SignedIn, Source, Write};

/// Every route of the node's HTTP API and console, with who may use it.
pub const ROUTES: &[RouteAccess] = &[
    row("GET", "/health", "", Open, "liveness and version"),
    row(
        "GET",
        "/api/node",
        "",
        Open,
        "name, role, PeerId, did:key, version, store size",
    ),
    row(
        "GET",
        "/sparql",
        "query",
        Filtered,
        "SPARQL query over the graphs the caller may read (visitors: the public datasets)",
    ),
    row(
        "POST",
        "/sparql",
        "query",
        Filtered,
        "the same, by POST or form",
    ),
    row(
        "POST",
        "/sparql",
        "update",
        Needs("editor"),
        "SPARQL Update",
    ),
    row(
        "GET",
        "/sparql",
        "federated",
        Needs("researcher"),
        "federated query across the consortium, with this node's agreements for the purpose (own datasets: those the caller may read)",
    ),
    row(
        "GET",
        "/sparql",
        "service",
        Needs("researcher"),
        "SERVICE to members or allowed endpoints, with this node's agreements",
    ),
    row(
        "GET",
        "/store",
        "",
        Filtered,
        "Graph Store: a graph the caller may read (others are 404), or all it may read",
    ),
    row("PUT", "/store", "", Needs("editor"), "replace a graph"),
    row("POST", "/store", "", Needs("editor"), "add to a graph"),
    row("DELETE", "/store", "", Needs("editor"), "delete a graph"),
    row(
        "GET",
        "/api/peers",
        "",
        SignedIn,
        "connected members with addresses and RTT",
    ),
    row(
        "POST",
        "/api/network/block",
        "",
        Needs("operator"),
        "block or unblock members (fault drills)",
    ),
    row(
        "GET",
        "/api/consortium",
        "",
        Open,
        "the signed membership document and its status",
    ),
    row(
        "POST",
        "/api/consortium",
        "",
        Needs("operator"),
        "submit a signed membership update",
    ),
    row(
        "GET",
        "/api/datasets",
        "",
        Filtered,
        "dataset definitions (non-public ones only to people who read them)",
    ),
    row(
        "POST",
        "/api/datasets",
        "",
        Needs("operator"),
        "describe a new dataset",
    ),
    row(
        "GET",
        "/api/datasets/{id}",
        "",
        Filtered,
        "one definition (a non-public one is 404 to others)",
    ),
    row(
        "PUT",
        "/api/datasets/{id}",
        "",
        Needs("operator"),
        "replace a definition",
    ),
    row(
        "DELETE",
        "/api/datasets/{id}",
        "",
        Needs("operator"),
        "remove a definition",
    ),
    row(
        "GET",
        "/api/catalog",
        "",
        Open,
        "the node's signed catalogue, as published to members",
    ),
    row(
        "GET",
        "/api/catalog/federated",
        "",
        Filtered,
        "every member's datasets (non-public ones only to people who read them)",
    ),
    row(
        "GET",
        "/api/catalog/status",
        "",
        Open,
        "catalogue versions held and recent rejections",
    ),
    row(
        "GET",
        "/api/agreements",
        "",
        Needs("researcher"),
        "this node's agreements",
    ),
    row(
        "POST",
        "/api/agreements",
        "",
        Needs("operator"),
        "negotiate an agreement with a provider",
    ),
    row(
        "GET",
        "/api/agreements/{id}",
        "",
        Needs("researcher"),
        "one agreement and its privacy budget",
    ),
    row(
        "POST",
        "/api/agreements/{id}/revoke",
        "",
        Needs("operator"),
        "revoke an agreement",
    ),
    row(
        "POST",
        "/api/remote/sparql",
        "",
        Needs("researcher"),
        "a query to one member under this node's agreements for the purpose",
    ),
    row(
        "POST",
        "/api/ingest/{source}",
        "",
        Source,
        "push sensor messages or CSV rows",
    ),
    row(
        "GET",
        "/api/ingest/status",
        "",
        Filtered,
        "per-source ingest counters of the sources whose graph the caller may read",
    ),
    row(
        "GET",
        "/api/ingest/dead-letters",
        "",
        Needs("operator"),
        "refused messages with their reasons",
    ),
    row(
        "POST",
        "/api/ingest/dead-letters/replay",
        "",
        Needs("operator"),
        "try refused messages again",
    ),
    row(
        "DELETE",
        "/api/ingest/dead-letters/{id}",
        "",
        Needs("operator"),
        "drop a refused message",
    ),
    row(
        "POST",
        "/api/ingest/retention",
        "",
        Needs("operator"),
        "run retention now",
    ),
    row(
        "GET",
        "/api/users",
        "",
        Needs("operator"),
        "local users and their roles",
    ),
    row(
        "POST",
        "/api/users",
        "",
        Needs("operator"),
        "add a user; the answer holds their token, once",
    ),
    row(
        "DELETE",
        "/api/users/{name}",
        "",
        Needs("operator"),
        "revoke a user",
    ),
    row(
        "POST",
        "/api/users/{name}/token",
        "",
        Needs("operator"),
        "issue a new token",
    ),
    row(
        "GET",
        "/api/audit",
        "",
        Needs("operator"),
        "the signed access-decision log",
    ),
    row(
        "GET",
        "/api/audit/verify",
        "",
        Needs("operator"),
        "verify the log's chain and signatures",
    ),
    row(
        "GET",
        "/auth/login",
        "",
        Open,
        "sign in through the OIDC issuer (404 without one)",
    ),
    row(
        "GET",
        "/auth/callback",
        "",
        Open,
        "the issuer's answer: hands the token to the console",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/entities",
        "",
        Filtered,
        "NGSI-LD query over the datasets the caller may read",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/entities",
        "",
        Write,
        "create an entity (a sensor source: in its own graph)",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/entities/{id}",
        "",
        Filtered,
        "one entity (404 if the caller may not read it)",
    ),
    row(
        "DELETE",
        "/ngsi-ld/v1/entities/{id}",
        "",
        Write,
        "delete an entity",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/entities/{id}/attrs",
        "",
        Write,
        "append attributes",
    ),
    row(
        "PATCH",
        "/ngsi-ld/v1/entities/{id}/attrs",
        "",
        Write,
        "update attributes",
    ),
    row(
        "PATCH",
        "/ngsi-ld/v1/entities/{id}/attrs/{attr}",
        "",
        Write,
        "partial attribute update",
    ),
    row(
        "DELETE",
        "/ngsi-ld/v1/entities/{id}/attrs/{attr}",
        "",
        Write,
        "delete an attribute",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/entityOperations/{op}",
        "query",
        Filtered,
        "batch query",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/entityOperations/{op}",
        "write",
        Write,
        "batch create, upsert, update, delete",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/types",
        "",
        Filtered,
        "entity types the caller may read",
    ),
    row("GET", "/ngsi-ld/v1/types/{name}", "", Filtered, "one type"),
    row(
        "GET",
        "/ngsi-ld/v1/attributes",
        "",
        Filtered,
        "attributes the caller may read",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/attributes/{name}",
        "",
        Filtered,
        "one attribute",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/temporal/entities",
        "",
        Filtered,
        "histories of the entities the caller may read",
    ),
    row(
        "GET",
        "/ngsi-ld/v1/temporal/entities/{id}",
        "",
        Filtered,
        "one entity's history (404 if the caller may not read it)",
    ),
    row(
        "POST",
        "/ngsi-ld/v1/temporal/entityOperations/query",
        "",
        Filtered,
        "temporal query as a body",
    ),
    row("GET", "/ogc", "", Open, "OGC API – Features landing page"),
    row("GET", "/ogc/", "", Open, "the same"),
    row("GET", "/ogc/conformance", "", Open, "conformance classes"),
    row(
        "GET",
        "/ogc/collections",
        "",
        Filtered,
        "one collection per entity type the caller may read",
    ),
    row(
        "GET",
        "/ogc/collections/{id}",
        "",
        Filtered,
        "one collection",
    ),
    row(
        "GET",
        "/ogc/collections/{id}/items",
        "",
        Filtered,
        "features by bbox and datetime",
    ),
    row(
        "GET",
        "/ogc/collections/{id}/items/{feature}",
        "",
        Filtered,
        "one feature",
    ),
    row(
        "GET",
        "/",
        "",
        Open,
        "console home page: the shell, the same for everyone (the page asks the APIs)",
    ),
    row("GET", "/catalogue", "", Open, "console page (shell)"),
    row("GET", "/query", "", Open, "console page (shell)"),
    row("GET", "/sensors", "", Open, "console page (shell)"),
    row("GET", "/kpis", "", Open, "console page (shell)"),
    row(
        "GET",
        "/access",
        "",
        Open,
        "console page (shell); its data needs the researcher role",
    ),
    row(
        "GET",
        "/audit",
        "",
        Open,
        "console page (shell); its data needs the operator",
    ),
    row(
        "GET",
        "/members/{peer}/datasets/{id}",
        "",
        Open,
        "console page (shell) of a member's dataset",
    ),
    row(
        "GET",
        "/console/{file}",
        "",
        Open,
        "the console's scripts and styles",
    ),
    row(
        "GET",
        "/catalog",
        "",
        Open,
        "the harvestable public DCAT-AP catalogue (non-public datasets left out)",
    ),
    row(
        "GET",
        "/dataset/{id}",
        "",
        Open,
        "a dataset's page, or its public description",
    ),
    row(
        "GET",
        "/dataset/{id}/{*part}",
        "",
        Open,
        "a part of a dataset's public description",
    ),
    row("GET", "/publisher", "", Open, "the node's agent"),
    row("GET", "/contact", "", Open, "the node's contact point"),
    row(
        "GET",
        "/sparql/description",
        "",
        Open,
        "SPARQL service description",
    ),
    row(
        "GET",
        "/resolve",
        "",
        Open,
        "a hanse:// IRI's HTTP name (303)",
    ),
    row(
        "GET",
        "/api/console/session",
        "",
        Open,
        "who the node says the caller is",
    ),
    row(
        "GET",
        "/api/console/overview",
        "",
        Filtered,
        "home page: members, key figures over what the caller may read, health",
    ),
    row(
        "GET",
        "/api/console/catalogue",
        "",
        Filtered,
        "catalogue search (non-public datasets only to people who read them)",
    ),
    row(
        "GET",
        "/api/console/datasets/{peer}/{id}",
        "",
        Filtered,
        "one dataset's page data",
    ),
    row(
        "GET",
        "/api/console/datasets/{peer}/{id}/preview",
        "",
        Filtered,
        "a preview: of this node's dataset if the caller may read it; of a member's, asked with this node's identity for researchers (others get the reason it was refused)",
    ),
    row(
        "GET",
        "/api/console/sensors",
        "",
        Filtered,
        "sensors the caller may read, with latest values",
    ),
    row(
        "GET",
        "/api/console/sensors/series",
        "",
        Filtered,
        "one series, from graphs the caller may read",
    ),
    row(
        "GET",
        "/api/console/live",
        "",
        Filtered,
        "server-sent readings from graphs the caller may read",
    ),
    row(
        "GET",
        "/api/console/kpis",
        "",
        Filtered,
        "KPIs computed over what the caller may read",
    ),
    row(
        "POST",
        "/api/console/kpis",
        "",
        Needs("editor"),
        "add or replace a KPI",
    ),
    row(
        "DELETE",
        "/api/console/kpis/{id}",
        "",
        Needs("editor"),
        "delete a KPI",
    ),
    row(
        "POST",
        "/api/console/kpis/{id}/compare",
        "",
        Needs("researcher"),
        "a KPI asked of every member with this node's identity",
    ),
];

#[cfg(test)]
mod tests {
    use super::ROUTES;
    use std::collections::BTreeSet;

    /// The quoted paths registered in `source` with `.route("…"` or `both(router, "…"`, and
    /// the console's page list, each under `prefix`.
    fn registered(source: &str, prefix: &str) -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        for marker in [".route(\"", "both(router, \"", "        \""] {
            for part in source.split(marker).skip(1) {
                let Some(path) = part.split('"').next() else {
                    continue;
                };
                if path.starts_with('/') {
                    let full = format!("{prefix}{path}");
                    let full = if full.len() > 1 {
                        full.trim_end_matches('/').to_owned()
                    } else {
                        full
                    };
                    paths.insert(full);
                }
            }
        }
        paths
    }

    #[test]
    fn every_route_has_a_row_and_every_row_a_route() {
        let mut routes = registered(include_str!("../http.rs"), "");
        routes.extend(registered(include_str!("../console.rs"), ""));
        routes.extend(registered(include_str!("ngsi_ld.rs"), "/ngsi-ld/v1"));
        routes.extend(registered(include_str!("ogc_features.rs"), "/ogc"));
        // The table itself quotes paths too: only registrations count.
        routes.retain(|p| !p.contains(' '));
        let rows: BTreeSet<String> = ROUTES
            .iter()
            .map(|r| {
                if r.path.len() > 1 {
                    r.path.trim_end_matches('/').to_owned()
                } else {
                    r.path.to_owned()
                }
            })
            .collect();
        let missing: Vec<_> = routes.difference(&rows).collect();
        assert!(
            missing.is_empty(),
            "routes without a row in http::ROUTES (say who may use them): {missing:?}"
        );
        let stale: Vec<_> = rows.difference(&routes).collect();
        assert!(
            stale.is_empty(),
            "rows of http::ROUTES for no route: {stale:?}"
        );
    }
}
