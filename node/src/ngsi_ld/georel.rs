//! Geo-queries (MIM7): `georel` (`near;maxDistance==…`, `near;minDistance==…`, `within`,
//! `contains`, `intersects`, `disjoint`, `equals`, `overlaps`) against a `geometry` and
//! `coordinates`, answered from the spatial index: candidates by envelope, then the exact
//! relation (DE-9IM) or geodesic distance.

use super::context::ActiveContext;
use super::error::NgsiLdError;
use super::geojson;
use crate::store::geo_index::{GeoEntry, GeoIndex};
use geo::{BoundingRect, Closest, ClosestPoint, Distance, Geometry, Haversine, Point, Relate};
use hanse_vocab::ngsi_ld::LOCATION;
use rstar::AABB;

/// Metres per degree of latitude.
const METRES_PER_DEGREE: f64 = 111_320.0;

/// The relation asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rel {
    /// Within `max` and beyond `min` metres.
    Near {
        /// `maxDistance`.
        max: Option<f64>,
        /// `minDistance`.
        min: Option<f64>,
    },
    /// The entity's geometry lies within the query geometry.
    Within,
    /// The entity's geometry contains the query geometry.
    Contains,
    /// They intersect.
    Intersects,
    /// They do not intersect.
    Disjoint,
    /// They are equal.
    Equals,
    /// They overlap.
    Overlaps,
}

/// A parsed geo-query.
#[derive(Debug, Clone)]
pub struct GeoQuery {
    /// The relation.
    pub rel: Rel,
    /// The query geometry.
    pub geometry: Geometry<f64>,
    /// The GeoProperty compared (expanded; `location` by default).
    pub property: String,
}

fn bad(message: impl Into<String>) -> NgsiLdError {
    NgsiLdError::BadRequestData(message.into())
}

fn distance(text: &str, name: &str) -> Result<f64, NgsiLdError> {
    text.parse::<f64>()
        .ok()
        .filter(|d| d.is_finite() && *d >= 0.0)
        .ok_or_else(|| {
            bad(format!(
                "{name} must be a non-negative number of metres, not `{text}`"
            ))
        })
}

/// Parses the geo-query parameters; `None` when none is given.
pub fn parse(
    georel: Option<&str>,
    geometry: Option<&str>,
    coordinates: Option<&str>,
    geoproperty: Option<&str>,
    context: &ActiveContext,
) -> Result<Option<GeoQuery>, NgsiLdError> {
    let Some(georel) = georel else {
        if geometry.is_some() || coordinates.is_some() {
            return Err(bad("geometry and coordinates need a georel"));
        }
        return Ok(None);
    };
    let (Some(kind), Some(coordinates)) = (geometry, coordinates) else {
        return Err(bad("a georel needs geometry and coordinates"));
    };
    let mut parts = georel.split(';');
    let rel = match parts.next().unwrap_or_default() {
        "near" => {
            let (mut max, mut min) = (None, None);
            for part in parts.by_ref() {
                if let Some(v) = part.strip_prefix("maxDistance==") {
                    max = Some(distance(v, "maxDistance")?);
                } else if let Some(v) = part.strip_prefix("minDistance==") {
                    min = Some(distance(v, "minDistance")?);
                } else {
                    return Err(bad(format!(
                        "`{part}`: near takes maxDistance==m or minDistance==m"
                    )));
                }
            }
            if max.is_none() && min.is_none() {
                return Err(bad("near needs maxDistance==m or minDistance==m"));
            }
            Rel::Near { max, min }
        }
        "within" => Rel::Within,
        "contains" => Rel::Contains,
        "intersects" => Rel::Intersects,
        "disjoint" => Rel::Disjoint,
        "equals" => Rel::Equals,
        "overlaps" => Rel::Overlaps,
        other => return Err(bad(format!("`{other}` is not a georel"))),
    };
    if parts.next().is_some() {
        return Err(bad(format!("`{georel}`: only near takes modifiers")));
    }
    if coordinates.len() > 1_000_000 {
        return Err(bad("coordinates are longer than 1 MB"));
    }
    let value: serde_json::Value = serde_json::from_str(coordinates)
        .map_err(|e| bad(format!("coordinates are not a JSON array: {e}")))?;
    if super::model::depth(&value) > 8 {
        return Err(bad("coordinates nest too deep"));
    }
    let geometry = geojson::from_coordinates(kind, &value).map_err(bad)?;
    if matches!(rel, Rel::Near { .. }) && !matches!(geometry, Geometry::Point(_)) {
        return Err(bad("near needs a Point"));
    }
    let property = geoproperty.map_or_else(|| LOCATION.to_owned(), |p| context.expand(p));
    Ok(Some(GeoQuery {
        rel,
        geometry,
        property,
    }))
}

/// Metres from `point` to the nearest point of `geometry` (0 inside it).
pub fn metres(point: &Point<f64>, geometry: &Geometry<f64>) -> f64 {
    if let Geometry::Point(p) = geometry {
        return Haversine.distance(*point, *p);
    }
    if geometry.relate(point).is_intersects() {
        return 0.0;
    }
    match geometry.closest_point(point) {
        Closest::Intersection(_) => 0.0,
        Closest::SinglePoint(p) => Haversine.distance(*point, p),
        Closest::Indeterminate => f64::INFINITY,
    }
}

impl GeoQuery {
    /// Whether an entity's geometry satisfies the query; with `near`, also its distance.
    pub fn test(&self, geometry: &Geometry<f64>) -> Option<f64> {
        match self.rel {
            Rel::Near { max, min } => {
                let Geometry::Point(point) = &self.geometry else {
                    return None;
                };
                let d = metres(point, geometry);
                let ok = max.is_none_or(|m| d <= m) && min.is_none_or(|m| d >= m);
                ok.then_some(d)
            }
            rel => {
                let matrix = geometry.relate(&self.geometry);
                let ok = match rel {
                    Rel::Within => matrix.is_within(),
                    Rel::Contains => matrix.is_contains(),
                    Rel::Intersects => matrix.is_intersects(),
                    Rel::Disjoint => matrix.is_disjoint(),
                    Rel::Equals => *geometry == self.geometry || matrix.is_equal_topo(),
                    Rel::Overlaps => matrix.is_overlaps(),
                    Rel::Near { .. } => false,
                };
                ok.then_some(0.0)
            }
        }
    }

    /// The envelope candidates must intersect, or `None` when every geometry is a candidate.
    fn envelope(&self) -> Option<AABB<[f64; 2]>> {
        match self.rel {
            Rel::Disjoint | Rel::Near { max: None, .. } => None,
            Rel::Near { max: Some(max), .. } => {
                let Geometry::Point(p) = &self.geometry else {
                    return None;
                };
                let dlat = max / METRES_PER_DEGREE;
                let cos = p.y().to_radians().cos().abs().max(1e-6);
                let dlon = (max / (METRES_PER_DEGREE * cos)).min(360.0);
                Some(AABB::from_corners(
                    [p.x() - dlon, p.y() - dlat],
                    [p.x() + dlon, p.y() + dlat],
                ))
            }
            _ => {
                let rect = self.geometry.bounding_rect()?;
                Some(AABB::from_corners(
                    [rect.min().x, rect.min().y],
                    [rect.max().x, rect.max().y],
                ))
            }
        }
    }

    /// Index entries of the queried GeoProperty that satisfy the query, with distances.
    pub fn candidates(&self, index: &GeoIndex) -> Vec<(GeoEntry, f64)> {
        let entries = match self.envelope() {
            Some(envelope) => index.intersecting(&envelope),
            None => index.all(),
        };
        entries
            .into_iter()
            .filter(|e| e.attr == self.property)
            .filter_map(|e| self.test(&e.geometry).map(|d| (e, d)))
            .collect()
    }
}
