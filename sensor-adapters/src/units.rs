//! Units: UN/CEFACT common codes (what Smart Data Models' `unitCode` uses), their QUDT IRIs,
//! the physical range of each quantity, and conversions between units of one quantity.

/// A unit the mapping may name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    /// UN/CEFACT common code (`CEL`, `GQ`, `P1`…).
    pub code: &'static str,
    /// Other spellings accepted in mapping files and SenML `u` (`Cel`, `%RH`, `ug/m3`…).
    pub aliases: &'static [&'static str],
    /// QUDT unit IRI.
    pub qudt: &'static str,
    /// The quantity it measures; conversions stay within one.
    pub quantity: &'static str,
    /// `value_in_base = value * scale + offset`, the base being the quantity's first unit.
    pub scale: f64,
    /// See `scale`.
    pub offset: f64,
    /// Physically possible values, in this unit.
    pub range: (f64, f64),
}

macro_rules! unit {
    ($code:literal, [$($alias:literal),*], $qudt:literal, $quantity:literal, $scale:expr, $offset:expr, $range:expr) => {
        Unit { code: $code, aliases: &[$($alias),*], qudt: concat!("http://qudt.org/vocab/unit/", $qudt), quantity: $quantity, scale: $scale, offset: $offset, range: $range }
    };
}

/// Every unit hanse knows.
pub const UNITS: &[Unit] = &[
    unit!(
        "CEL",
        ["Cel", "°C", "degC"],
        "DEG_C",
        "temperature",
        1.0,
        0.0,
        (-273.15, 1000.0)
    ),
    unit!(
        "KEL",
        ["K"],
        "K",
        "temperature",
        1.0,
        -273.15,
        (0.0, 1273.15)
    ),
    unit!(
        "FAH",
        ["degF", "°F"],
        "DEG_F",
        "temperature",
        5.0 / 9.0,
        -160.0 / 9.0,
        (-459.67, 1832.0)
    ),
    unit!(
        "GQ",
        ["ug/m3", "µg/m³", "ugm3"],
        "MicroGM-PER-M3",
        "mass concentration",
        1.0,
        0.0,
        (0.0, 1e6)
    ),
    unit!(
        "GP",
        ["mg/m3", "mg/m³"],
        "MilliGM-PER-M3",
        "mass concentration",
        1000.0,
        0.0,
        (0.0, 1e3)
    ),
    unit!(
        "C62",
        ["/", "1", "ratio"],
        "UNITLESS",
        "fraction",
        1.0,
        0.0,
        (0.0, 1.0)
    ),
    unit!(
        "P1",
        ["%", "%RH", "%EL", "percent"],
        "PERCENT",
        "fraction",
        0.01,
        0.0,
        (0.0, 100.0)
    ),
    unit!(
        "E50",
        ["count", "vehicles"],
        "NUM",
        "count",
        1.0,
        0.0,
        (0.0, 1e9)
    ),
    unit!("MTR", ["m"], "M", "length", 1.0, 0.0, (-1e7, 1e7)),
    unit!("CMT", ["cm"], "CentiM", "length", 0.01, 0.0, (-1e9, 1e9)),
    unit!("MMT", ["mm"], "MilliM", "length", 0.001, 0.0, (-1e10, 1e10)),
    unit!("PAL", ["Pa"], "PA", "pressure", 1.0, 0.0, (0.0, 1e8)),
    unit!(
        "A97",
        ["hPa"],
        "HectoPA",
        "pressure",
        100.0,
        0.0,
        (0.0, 1e6)
    ),
    unit!("MTS", ["m/s"], "M-PER-SEC", "speed", 1.0, 0.0, (0.0, 1e3)),
    unit!(
        "KMH",
        ["km/h"],
        "KiloM-PER-HR",
        "speed",
        1.0 / 3.6,
        0.0,
        (0.0, 3.6e3)
    ),
    unit!("MQH", ["m3/h"], "M3-PER-HR", "flow", 1.0, 0.0, (0.0, 1e7)),
    unit!("LTR", ["L", "l"], "L", "volume", 0.001, 0.0, (0.0, 1e9)),
    unit!("MTQ", ["m3"], "M3", "volume", 1.0, 0.0, (0.0, 1e9)),
    unit!(
        "DB",
        ["dB", "dBA"],
        "DeciB",
        "sound level",
        1.0,
        0.0,
        (0.0, 250.0)
    ),
];

/// The unit with this code or alias.
pub fn unit(name: &str) -> Option<&'static Unit> {
    UNITS
        .iter()
        .find(|u| u.code == name || u.aliases.contains(&name))
}

/// Why a value cannot be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// A name that is neither a code nor an alias of a known unit.
    #[error("unknown unit `{0}` (known: UN/CEFACT codes such as CEL, GQ, P1, C62, E50, MTR)")]
    Unknown(String),
    /// Units of different quantities.
    #[error("cannot convert {from} ({from_quantity}) to {to} ({to_quantity})")]
    Incompatible {
        /// Source unit code.
        from: &'static str,
        /// Its quantity.
        from_quantity: &'static str,
        /// Target unit code.
        to: &'static str,
        /// Its quantity.
        to_quantity: &'static str,
    },
}

/// Converts `value` from one unit to another of the same quantity.
pub fn convert(value: f64, from: &Unit, to: &Unit) -> Result<f64, UnitError> {
    if from.quantity != to.quantity {
        return Err(UnitError::Incompatible {
            from: from.code,
            from_quantity: from.quantity,
            to: to.code,
            to_quantity: to.quantity,
        });
    }
    if from.code == to.code {
        return Ok(value);
    }
    let base = value * from.scale + from.offset;
    Ok((base - to.offset) / to.scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_within_a_quantity() {
        let (c, f, k) = (
            unit("CEL").unwrap(),
            unit("degF").unwrap(),
            unit("K").unwrap(),
        );
        assert!((convert(212.0, f, c).unwrap() - 100.0).abs() < 1e-9);
        assert!((convert(0.0, c, k).unwrap() - 273.15).abs() < 1e-9);
        assert!(
            (convert(50.0, unit("%").unwrap(), unit("C62").unwrap()).unwrap() - 0.5).abs() < 1e-12
        );
        assert!(
            (convert(0.02, unit("GP").unwrap(), unit("GQ").unwrap()).unwrap() - 20.0).abs() < 1e-9
        );
        assert!(matches!(
            convert(1.0, c, unit("GQ").unwrap()),
            Err(UnitError::Incompatible { .. })
        ));
        assert!(unit("furlong").is_none());
        assert!(
            UNITS
                .iter()
                .all(|u| u.qudt.starts_with(hanse_vocab::unit::NS))
        );
    }
}
