//! GeoJSON geometries (the values of GeoProperties) to and from `geo` geometries and WKT,
//! the form GeoSPARQL stores (`geo:asWKT`). CRS84: longitude first.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::{Value, json};

/// Most coordinates one geometry may hold.
pub const MAX_COORDINATES: usize = 100_000;

/// The GeoJSON geometry types NGSI-LD accepts.
const TYPES: &[&str] = &[
    "Point",
    "LineString",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
];

/// Whether `name` is a GeoJSON geometry type.
pub fn is_geometry_type(name: &str) -> bool {
    TYPES.contains(&name)
}

/// Checks that `value` is a GeoJSON geometry hanse can store.
pub fn check(value: &Value) -> Result<(), String> {
    parse(value).map(|_| ())
}

/// A GeoJSON geometry object as a `geo` geometry.
pub fn parse(value: &Value) -> Result<Geometry<f64>, String> {
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or("a geometry needs a `type`")?;
    let coordinates = value
        .get("coordinates")
        .ok_or("a geometry needs `coordinates`")?;
    from_coordinates(kind, coordinates)
}

/// A geometry from its type name and `coordinates` (as in a georel query).
pub fn from_coordinates(kind: &str, coordinates: &Value) -> Result<Geometry<f64>, String> {
    let mut budget = MAX_COORDINATES;
    let geometry = match kind {
        "Point" => Geometry::Point(Point(coord(coordinates, &mut budget)?)),
        "LineString" => Geometry::LineString(line(coordinates, &mut budget, 2)?),
        "Polygon" => Geometry::Polygon(polygon(coordinates, &mut budget)?),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            array(coordinates)?
                .iter()
                .map(|c| coord(c, &mut budget).map(Point))
                .collect::<Result<_, _>>()?,
        )),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            array(coordinates)?
                .iter()
                .map(|c| line(c, &mut budget, 2))
                .collect::<Result<_, _>>()?,
        )),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            array(coordinates)?
                .iter()
                .map(|c| polygon(c, &mut budget))
                .collect::<Result<_, _>>()?,
        )),
        other => return Err(format!("`{other}` is not a GeoJSON geometry type")),
    };
    Ok(geometry)
}

fn array(value: &Value) -> Result<&Vec<Value>, String> {
    value
        .as_array()
        .ok_or_else(|| "coordinates must be arrays".to_owned())
}

fn coord(value: &Value, budget: &mut usize) -> Result<Coord<f64>, String> {
    let items = array(value)?;
    if *budget == 0 {
        return Err(format!("more than {MAX_COORDINATES} coordinates"));
    }
    *budget -= 1;
    match items.as_slice() {
        [x, y] | [x, y, _] => {
            let (x, y) = (
                x.as_f64()
                    .ok_or("a position's coordinates must be numbers")?,
                y.as_f64()
                    .ok_or("a position's coordinates must be numbers")?,
            );
            if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                return Err(format!(
                    "[{x}, {y}] is outside longitude -180..180, latitude -90..90 (CRS84: longitude first)"
                ));
            }
            Ok(Coord { x, y })
        }
        _ => Err("a position is [longitude, latitude] (or with an altitude)".into()),
    }
}

fn line(value: &Value, budget: &mut usize, min: usize) -> Result<LineString<f64>, String> {
    let points = array(value)?
        .iter()
        .map(|c| coord(c, budget))
        .collect::<Result<Vec<_>, _>>()?;
    if points.len() < min {
        return Err(format!("a line needs at least {min} positions"));
    }
    Ok(LineString(points))
}

fn polygon(value: &Value, budget: &mut usize) -> Result<Polygon<f64>, String> {
    let mut rings = array(value)?
        .iter()
        .map(|ring| {
            let ring = line(ring, budget, 4)?;
            if ring.0.first() != ring.0.last() {
                return Err("a polygon's ring must end where it starts".to_owned());
            }
            Ok(ring)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if rings.is_empty() {
        return Err("a polygon needs a ring".into());
    }
    let exterior = rings.remove(0);
    Ok(Polygon::new(exterior, rings))
}

fn position(c: &Coord<f64>) -> Value {
    json!([c.x, c.y])
}

fn positions(line: &LineString<f64>) -> Value {
    Value::Array(line.0.iter().map(position).collect())
}

fn rings(polygon: &Polygon<f64>) -> Value {
    let mut all = vec![positions(polygon.exterior())];
    all.extend(polygon.interiors().iter().map(positions));
    Value::Array(all)
}

/// A `geo` geometry as a GeoJSON object (`None` for kinds GeoJSON geometries here lack).
pub fn to_value(geometry: &Geometry<f64>) -> Option<Value> {
    let (kind, coordinates) = match geometry {
        Geometry::Point(p) => ("Point", position(&p.0)),
        Geometry::LineString(l) => ("LineString", positions(l)),
        Geometry::Polygon(p) => ("Polygon", rings(p)),
        Geometry::MultiPoint(m) => (
            "MultiPoint",
            Value::Array(m.0.iter().map(|p| position(&p.0)).collect()),
        ),
        Geometry::MultiLineString(m) => (
            "MultiLineString",
            Value::Array(m.0.iter().map(positions).collect()),
        ),
        Geometry::MultiPolygon(m) => (
            "MultiPolygon",
            Value::Array(m.0.iter().map(rings).collect()),
        ),
        _ => return None,
    };
    Some(json!({"type": kind, "coordinates": coordinates}))
}

/// WKT text of a geometry, as stored in `geo:asWKT`.
pub fn to_wkt(geometry: &Geometry<f64>) -> String {
    use wkt::ToWkt;
    geometry.wkt_string()
}

/// Parses WKT text (a `geo:asWKT` literal; an optional `<crs>` prefix is skipped).
pub fn from_wkt(text: &str) -> Option<Geometry<f64>> {
    use std::str::FromStr;
    let text = match text.trim_start().strip_prefix('<') {
        Some(rest) => rest.split_once('>').map(|(_, t)| t)?,
        None => text,
    };
    let parsed = wkt::Wkt::<f64>::from_str(text.trim()).ok()?;
    Geometry::try_from(parsed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geojson_wkt_round_trips() {
        for value in [
            json!({"type": "Point", "coordinates": [13.3986, 52.5547]}),
            json!({"type": "Polygon", "coordinates": [[[100.0, 0.0], [101.0, 0.0], [101.0, 1.0], [100.0, 1.0], [100.0, 0.0]]]}),
            json!({"type": "LineString", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
            json!({"type": "MultiPolygon", "coordinates": [[[[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]]]]}),
        ] {
            let geometry = parse(&value).unwrap();
            let wkt = to_wkt(&geometry);
            let back = from_wkt(&wkt).unwrap();
            assert_eq!(to_value(&back).unwrap(), value, "{wkt}");
        }
        assert!(parse(&json!({"type": "Point", "coordinates": [200, 0]})).is_err());
        assert!(parse(&json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})).is_err());
        assert!(from_wkt("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(1 2)").is_some());
    }
}
