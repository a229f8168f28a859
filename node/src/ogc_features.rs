//! OGC API – Features, Part 1 Core (MIM7's first requirement) over the same entities and
//! spatial index as the NGSI-LD API: one collection per entity type the caller may see,
//! items as GeoJSON features in CRS84 with `bbox`, `datetime`, `limit` and `next` links,
//! stable feature ids (the entity ids). Reads go through [`NgsiLdService`] with the caller's
//! rights, so the same policy applies (see [`crate::ngsi_ld::NgsiLdService`]).
//!
//! | module | concern |
//! |---|---|
//! | [`collections`] | collection ids for entity types, features from entities |
//! | [`params`] | `bbox`, `datetime`, `limit` |

pub mod collections;
pub mod params;
