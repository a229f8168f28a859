//! The catalogue page's search: full-text over title, description, keywords and publisher,
//! the facets CKAN users asked for (theme, publisher, licence, access rights, format,
//! keyword, update frequency) with counts, a map filter by area, sort and paging; and for
//! each result whether this node may use it now, after an agreement, or not — taken from
//! the federation's own source selection, so the page says what a query would do.

use crate::access::Refusal;
use crate::catalog::{AccessRights, BoundingBox, FederatedDataset};
use crate::federation::sources::Sources;
use crate::http::{ApiError, AppState, local_view};
use crate::trust::caller::Caller;
use axum::Json;
use axum::extract::{Query, State};
use hanse_vocab::eu;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most results one page holds.
const MAX_PAGE_SIZE: usize = 100;

/// Parameters of `/api/console/catalogue`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Words that must all appear (title, description, keywords, publisher).
    pub q: Option<String>,
    /// Facet filters (exact values as the facets list them).
    pub theme: Option<String>,
    /// Publisher PeerId.
    pub publisher: Option<String>,
    /// Licence IRI.
    pub licence: Option<String>,
    /// Access-rights code: PUBLIC, RESTRICTED, NON_PUBLIC.
    pub access: Option<String>,
    /// Format IRI.
    pub format: Option<String>,
    /// Keyword.
    pub keyword: Option<String>,
    /// Frequency code.
    pub frequency: Option<String>,
    /// `minLon,minLat,maxLon,maxLat`: the dataset's extent must overlap it.
    pub bbox: Option<String>,
    /// relevance (default), title, publisher, quality, size.
    pub sort: Option<String>,
    /// Page, from 1.
    pub page: Option<usize>,
    /// Results per page (at most 100).
    pub size: Option<usize>,
    /// The DPV purpose the "may you use it" answer is for.
    pub purpose: Option<String>,
}

/// Whether this node may use a dataset.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Usability {
    /// `now`, `aggregates` (an agreement allows aggregate queries only), `agreement`
    /// (after one), or `no`.
    pub state: &'static str,
    /// Why, in words.
    pub reason: String,
}

/// One result.
#[derive(Serialize)]
pub struct Hit {
    #[serde(flatten)]
    dataset: FederatedDataset,
    usable: Usability,
}

/// One facet value.
#[derive(Serialize, PartialEq, Debug)]
pub struct FacetValue {
    value: String,
    label: String,
    count: usize,
}

/// What a search answers.
#[derive(Serialize)]
pub struct SearchResult {
    total: usize,
    page: usize,
    size: usize,
    results: Vec<Hit>,
    facets: BTreeMap<&'static str, Vec<FacetValue>>,
}

/// The code after the last `/` of a vocabulary IRI.
fn code(iri: &str) -> &str {
    iri.rsplit('/').next().unwrap_or(iri)
}

/// Facet values of one dataset, by facet name.
fn facet_values(d: &FederatedDataset) -> Vec<(&'static str, String, String)> {
    let mut values = Vec::new();
    for theme in &d.themes {
        let c = code(theme);
        let label = eu::DATA_THEMES
            .iter()
            .find(|(k, _)| *k == c)
            .map_or(c.to_owned(), |(_, l)| (*l).to_owned());
        values.push(("theme", c.to_owned(), label));
    }
    values.push(("publisher", d.publisher.clone(), d.publisher_name.clone()));
    if let Some(l) = &d.licence {
        values.push(("licence", l.clone(), licence_label(l)));
    }
    if let Some(a) = &d.access_rights {
        values.push((
            "access",
            code(a).to_owned(),
            code(a).replace('_', "-").to_lowercase(),
        ));
    }
    for f in &d.formats {
        values.push(("format", f.clone(), code(f).to_owned()));
    }
    for k in &d.keywords {
        values.push(("keyword", k.clone(), k.clone()));
    }
    if let Some(f) = &d.update_frequency {
        values.push(("frequency", code(f).to_owned(), code(f).to_lowercase()));
    }
    values
}

fn licence_label(iri: &str) -> String {
    let trimmed = iri.trim_end_matches('/');
    if let Some(rest) = trimmed.split("creativecommons.org/licenses/").nth(1) {
        return format!("CC {}", rest.replace('/', " ").to_uppercase());
    }
    if trimmed.contains("publicdomain/zero") {
        return "CC0 1.0".into();
    }
    code(trimmed).to_owned()
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Relevance of `d` for the query words: 0 when a word is missing; title hits count most.
fn relevance(d: &FederatedDataset, query: &[String]) -> u32 {
    let title = d.title.to_lowercase();
    let keywords = d.keywords.join(" ").to_lowercase();
    let rest = format!("{} {}", d.description, d.publisher_name).to_lowercase();
    let mut score = 0;
    for word in query {
        let s = 4 * u32::from(title.contains(word.as_str()))
            + 2 * u32::from(keywords.contains(word.as_str()))
            + u32::from(rest.contains(word.as_str()));
        if s == 0 {
            return 0;
        }
        score += s;
    }
    score.max(1)
}

/// Whether this node may use `d`, from the federation's source selection.
pub fn usability(d: &FederatedDataset, me: &str, sources: &Sources) -> Usability {
    let rights = d.rights();
    let asked = sources.list.iter().any(|s| {
        s.member == d.publisher && s.datasets.iter().any(|x| x.identifier == d.identifier)
    });
    let skipped = sources
        .skipped
        .iter()
        .find(|s| s.member == d.publisher && s.dataset == d.identifier);
    if d.publisher == me {
        return match (rights, asked, skipped) {
            (_, true, _) => Usability {
                state: "now",
                reason: match rights {
                    AccessRights::Public => "open data of this node".into(),
                    _ => "this node's own data, which you may read".into(),
                },
            },
            (AccessRights::Restricted, false, _) => Usability {
                state: "agreement",
                reason: "this node's own restricted data: members use it under an agreement".into(),
            },
            (_, false, Some(skipped)) => Usability {
                state: "no",
                reason: skipped.reason.to_string(),
            },
            (_, false, None) => Usability {
                state: "no",
                reason: Refusal::NotShared.to_string(),
            },
        };
    }
    if asked {
        return Usability {
            state: "now",
            reason: if rights == AccessRights::Restricted {
                "under an agreement this node holds".into()
            } else {
                "the publisher's open offer permits this node".into()
            },
        };
    }
    let Some(skipped) = skipped else {
        return Usability {
            state: "no",
            reason: "not offered to this node".into(),
        };
    };
    let state = match &skipped.reason {
        Refusal::AggregationOnly => "aggregates",
        Refusal::NeedsAgreement { .. } => "agreement",
        _ if rights == AccessRights::Restricted => "agreement",
        _ => "no",
    };
    Usability {
        state,
        reason: skipped.reason.to_string(),
    }
}

/// Filters, sorts and pages `datasets`; facets count the filtered set.
pub fn run(
    datasets: Vec<FederatedDataset>,
    params: &SearchParams,
    usable: impl Fn(&FederatedDataset) -> Usability,
) -> Result<SearchResult, String> {
    let query = params.q.as_deref().map(words).unwrap_or_default();
    let bbox = params.bbox.as_deref().map(BoundingBox::parse).transpose()?;
    let filters = [
        ("theme", &params.theme),
        ("publisher", &params.publisher),
        ("licence", &params.licence),
        ("access", &params.access),
        ("format", &params.format),
        ("keyword", &params.keyword),
        ("frequency", &params.frequency),
    ];
    let mut hits: Vec<(u32, FederatedDataset)> = datasets
        .into_iter()
        .filter_map(|d| {
            let score = if query.is_empty() {
                1
            } else {
                relevance(&d, &query)
            };
            if score == 0 {
                return None;
            }
            let values = facet_values(&d);
            let facets_ok = filters.iter().all(|(name, wanted)| match wanted {
                Some(w) => values.iter().any(|(n, v, _)| n == name && v == w),
                None => true,
            });
            let area_ok = bbox.is_none_or(|b| d.bbox.is_some_and(|x| x.intersects(&b)));
            (facets_ok && area_ok).then_some((score, d))
        })
        .collect();
    match params.sort.as_deref().unwrap_or("relevance") {
        "relevance" => hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.title.cmp(&b.1.title))),
        "title" => hits.sort_by_key(|hit| hit.1.title.to_lowercase()),
        "publisher" => hits.sort_by(|a, b| {
            a.1.publisher_name
                .cmp(&b.1.publisher_name)
                .then(a.1.title.cmp(&b.1.title))
        }),
        "quality" => hits.sort_by_key(|hit| std::cmp::Reverse(hit.1.quality.score)),
        "size" => hits.sort_by_key(|hit| std::cmp::Reverse(hit.1.triples)),
        other => {
            return Err(format!(
                "sort: `{other}` is not one of relevance, title, publisher, quality, size"
            ));
        }
    }
    let mut facets: BTreeMap<&'static str, BTreeMap<String, FacetValue>> = BTreeMap::new();
    for (_, d) in &hits {
        for (name, value, label) in facet_values(d) {
            facets
                .entry(name)
                .or_default()
                .entry(value.clone())
                .or_insert(FacetValue {
                    value,
                    label,
                    count: 0,
                })
                .count += 1;
        }
    }
    let facets = facets
        .into_iter()
        .map(|(name, values)| {
            let mut values: Vec<FacetValue> = values.into_values().collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
            (name, values)
        })
        .collect();
    let size = params.size.unwrap_or(20).clamp(1, MAX_PAGE_SIZE);
    let page = params.page.unwrap_or(1).max(1);
    let total = hits.len();
    let results = hits
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|(_, dataset)| Hit {
            usable: usable(&dataset),
            dataset,
        })
        .collect();
    Ok(SearchResult {
        total,
        page,
        size,
        results,
        facets,
    })
}

/// `GET /api/console/catalogue?q=&theme=&…`: every dataset the caller may see (non-public
/// ones only for people who read them).
#[tracing::instrument(skip_all)]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResult>, ApiError> {
    let me = state.info.peer_id.clone();
    let datasets: Vec<FederatedDataset> = state
        .catalog
        .federated()
        .datasets(&Default::default())
        .into_iter()
        .filter(|d| state.access.sees_entry(&caller, d))
        .collect();
    let federation = state.federation.clone();
    let purpose = params.purpose.clone();
    let local = local_view(&state, &caller);
    let sources =
        tokio::task::spawn_blocking(move || federation.sources(purpose.as_deref(), &local)).await?;
    let result =
        run(datasets, &params, |d| usability(d, &me, &sources)).map_err(ApiError::bad_request)?;
    Ok(Json(result))
}

#[cfg(test)]
mod tests;
