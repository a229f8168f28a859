//! The demo's KPIs, after the U4SSC indicators cities compare: NO₂ and PM2.5, days above
//! the WHO PM2.5 guideline, bicycle counts and car-park occupancy.

use crate::console::kpis::{Kpi, below, named, write};
use hanse_vocab::sosa;
use oxigraph::store::Store;

/// The demo's KPIs (after the U4SSC indicators the cities compare).
pub fn demo_kpis() -> Vec<Kpi> {
    // A mean over no observations is 0 in SPARQL; a member without such sensors must answer
    // no value rather than a perfect score, hence the count.
    let mean_scaled = |property: &str, scale: u32| {
        format!(
            "SELECT ?value WHERE {{ {{ SELECT (AVG(?v) AS ?mean) (COUNT(?v) AS ?n) WHERE {{ ?o <{}> <{property}> ; <{}> ?v }} }} FILTER(?n > 0) BIND(ROUND(?mean * {scale}) / {scale} AS ?value) }}",
            sosa::OBSERVED_PROPERTY,
            sosa::HAS_SIMPLE_RESULT
        )
    };
    let mean = |property: &str| mean_scaled(property, 10);
    let sdm = |model: &str, attribute: &str| {
        format!("https://smartdatamodels.org/dataModel.{model}/{attribute}")
    };
    vec![
        Kpi {
            id: "no2-mean".into(),
            title: "Mean NO₂ concentration".into(),
            description: "Mean of every NO₂ observation held; the EU annual limit is 40 µg/m³ (WHO guideline: 10).".into(),
            unit: "µg/m³".into(),
            target: Some(40.0),
            direction: below(),
            query: mean(&sdm("Environment", "no2")),
        },
        Kpi {
            id: "pm25-mean".into(),
            title: "Mean PM2.5 concentration".into(),
            description: "Mean of every PM2.5 observation held; the WHO annual guideline is 5 µg/m³, the EU limit 25.".into(),
            unit: "µg/m³".into(),
            target: Some(25.0),
            direction: below(),
            query: mean(&sdm("Environment", "pm25")),
        },
        Kpi {
            id: "pm25-days-above-who".into(),
            title: "Days with PM2.5 above the WHO 24-hour guideline".into(),
            description: "Days whose mean PM2.5 exceeds 15 µg/m³; WHO accepts 3 to 4 such days a year.".into(),
            unit: "days".into(),
            target: Some(4.0),
            direction: below(),
            query: format!(
                "SELECT ?value WHERE {{ {{ SELECT (COUNT(?day) AS ?value) WHERE {{ {{ SELECT ?day (AVG(?v) AS ?mean) WHERE {{ ?o <{p}> <{pm25}> ; <{r}> ?v ; <{t}> ?time BIND(SUBSTR(STR(?time), 1, 10) AS ?day) }} GROUP BY ?day }} FILTER(?mean > 15) }} }} FILTER EXISTS {{ ?any <{p}> <{pm25}> }} }}",
                p = sosa::OBSERVED_PROPERTY,
                pm25 = sdm("Environment", "pm25"),
                r = sosa::HAS_SIMPLE_RESULT,
                t = sosa::RESULT_TIME
            ),
        },
        Kpi {
            id: "bicycles-per-hour".into(),
            title: "Bicycles counted per hour".into(),
            description: "Mean hourly count over every bicycle counter.".into(),
            unit: "bicycles/h".into(),
            target: Some(50.0),
            direction: "above".into(),
            query: mean(&sdm("Transportation", "intensity")),
        },
        Kpi {
            id: "parking-occupancy".into(),
            title: "Car park occupancy".into(),
            description: "Mean share of spots taken; above 85 % drivers circle for a spot.".into(),
            unit: "share".into(),
            target: Some(0.85),
            direction: below(),
            query: mean_scaled(&sdm("Parking", "occupancy"), 100),
        },
    ]
}

/// Stores the demo's KPIs on a node whose store is `store` and whose KPI graph is `graph`.
pub fn install_demo(store: &Store, iris: &crate::catalog::NodeIris) -> Result<(), String> {
    let graph = named(&iris.kpis());
    for kpi in demo_kpis() {
        write(store, &graph, &kpi)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SparqlSection;
    use crate::console::kpis::{evaluate, read};
    use crate::store::sparql::SparqlService;
    use oxigraph::model::{NamedNode, Quad};

    #[tokio::test]
    async fn kpis_round_trip_as_rdf_and_evaluate() {
        let store = Store::new().unwrap();
        let sparql = SparqlService::new(store.clone(), SparqlSection::default(), 2);
        let graph = named("hanse://peer/kpis");
        for kpi in demo_kpis() {
            write(&store, &graph, &kpi).unwrap();
        }
        let read_back = read(&store, &graph).unwrap();
        assert_eq!(read_back.len(), 5);
        let mut expected = demo_kpis();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(read_back, expected);
        let no2 = read_back.iter().find(|k| k.id == "no2-mean").unwrap();
        let graph = NamedNode::new_unchecked("urn:graph:air");
        let quads: Vec<Quad> = super::super::data::air_quality(2, 3)
            .into_iter()
            .map(|q| Quad::new(q.subject, q.predicate, q.object, graph.clone()))
            .collect();
        store.extend(quads).unwrap();
        let value = evaluate(&sparql, &no2.query, &crate::access::Visible::All)
            .await
            .unwrap()
            .unwrap();
        assert!(value > 0.0, "{value}");
        // No observations of a property: no value, not a mean of 0.
        let parking = read_back
            .iter()
            .find(|k| k.id == "parking-occupancy")
            .unwrap();
        assert_eq!(
            evaluate(&sparql, &parking.query, &crate::access::Visible::All)
                .await
                .unwrap(),
            None
        );
        let days = read_back
            .iter()
            .find(|k| k.id == "pm25-days-above-who")
            .unwrap();
        assert!(
            evaluate(&sparql, &days.query, &crate::access::Visible::All)
                .await
                .unwrap()
                .is_some()
        );
        let bad = Kpi {
            query: "SELECT ?x WHERE { ?x ?p ?o }".into(),
            ..no2.clone()
        };
        assert!(
            bad.check_query(&sparql)
                .await
                .unwrap_err()
                .contains("?value")
        );
        // Past the node's nesting limit: refused before the parser sees it, naming the key.
        let deep = Kpi {
            query: format!(
                "SELECT ?value WHERE {}{}",
                "{".repeat(2000),
                "}".repeat(2000)
            ),
            ..no2.clone()
        };
        let refused = deep.check_query(&sparql).await.unwrap_err();
        assert!(refused.contains("max_nesting"), "{refused}");
        let bad = Kpi {
            id: "Bad Id".into(),
            ..no2.clone()
        };
        assert!(bad.check().unwrap_err().starts_with("id"));
    }
}
