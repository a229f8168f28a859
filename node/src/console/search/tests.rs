//! Search, facets and sort over hand-made summaries.

use super::*;

fn dataset(
    id: &str,
    publisher: &str,
    theme: &str,
    keywords: &[&str],
    rights: &str,
) -> FederatedDataset {
    FederatedDataset {
        publisher: publisher.into(),
        publisher_name: format!("City {publisher}"),
        iri: format!("hanse://{publisher}/dataset/{id}"),
        identifier: id.into(),
        title: format!("{id} data"),
        description: "hourly observations".into(),
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        themes: vec![format!("{}{theme}", eu::DATA_THEME)],
        classes: vec![],
        properties: vec![],
        triples: 10,
        subject_authorities: vec![],
        object_authorities: vec![],
        graphs: vec![],
        bbox: None,
        temporal: None,
        access_rights: Some(format!("{}{rights}", eu::ACCESS_RIGHT)),
        licence: None,
        policy: None,
        catalog_version: 1,
        landing_page: None,
        homepage: None,
        update_frequency: None,
        formats: vec![],
        places: vec![],
        quality: Default::default(),
    }
}

fn sample() -> Vec<FederatedDataset> {
    vec![
        dataset("air", "a", "ENVI", &["air quality"], "PUBLIC"),
        dataset("bikes", "a", "TRAN", &["bicycle"], "PUBLIC"),
        dataset("parking", "b", "TRAN", &["parking"], "PUBLIC"),
        dataset("water", "c", "ENER", &["water"], "RESTRICTED"),
    ]
}

fn open(_: &FederatedDataset) -> Usability {
    Usability {
        state: "now",
        reason: String::new(),
    }
}

#[test]
fn a_facet_narrows_the_results_and_counts_follow() {
    let all = run(sample(), &SearchParams::default(), open).unwrap();
    assert_eq!(all.total, 4);
    let themes = &all.facets["theme"];
    assert_eq!(
        themes[0],
        FacetValue {
            value: "TRAN".into(),
            label: "Transport".into(),
            count: 2
        }
    );
    let transport = run(
        sample(),
        &SearchParams {
            theme: Some("TRAN".into()),
            ..Default::default()
        },
        open,
    )
    .unwrap();
    assert_eq!(transport.total, 2);
    assert_eq!(transport.facets["publisher"].len(), 2);
    let restricted = run(
        sample(),
        &SearchParams {
            access: Some("RESTRICTED".into()),
            ..Default::default()
        },
        open,
    )
    .unwrap();
    assert_eq!(restricted.total, 1);
}

#[test]
fn full_text_needs_every_word_and_ranks_titles_first() {
    let hits = run(
        sample(),
        &SearchParams {
            q: Some("parking data".into()),
            ..Default::default()
        },
        open,
    )
    .unwrap();
    assert_eq!(hits.total, 1);
    let none = run(
        sample(),
        &SearchParams {
            q: Some("tram".into()),
            ..Default::default()
        },
        open,
    )
    .unwrap();
    assert_eq!(none.total, 0);
    let bad = run(
        sample(),
        &SearchParams {
            sort: Some("colour".into()),
            ..Default::default()
        },
        open,
    );
    assert!(bad.err().is_some_and(|e| e.starts_with("sort:")));
    let by_title = run(
        sample(),
        &SearchParams {
            sort: Some("title".into()),
            size: Some(2),
            page: Some(2),
            ..Default::default()
        },
        open,
    )
    .unwrap();
    assert_eq!(by_title.results.len(), 2);
    assert_eq!(by_title.results[0].dataset.identifier, "parking");
}
