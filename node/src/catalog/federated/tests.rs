//! Unit tests of the federated catalogue's filters and extents.

use super::*;

#[test]
fn wkt_polygons_give_their_extent() {
    let b = wkt_extent("POLYGON((4 50, 5 50, 5 52, 4 52, 4 50))").unwrap();
    assert_eq!(
        (b.min_lon, b.min_lat, b.max_lon, b.max_lat),
        (4.0, 50.0, 5.0, 52.0)
    );
    assert!(wkt_extent("POLYGON EMPTY").is_none());
}

#[test]
fn bad_filters_name_the_parameter() {
    let filter = DatasetFilter {
        from: Some("yesterday".into()),
        ..Default::default()
    };
    assert!(filter.compile().unwrap_err().starts_with("from:"));
    let filter = DatasetFilter {
        bbox: Some("1,2".into()),
        ..Default::default()
    };
    assert!(filter.compile().unwrap_err().contains("bbox"));
}
