//! The query parameters of `/collections/{id}/items`: `bbox` (CRS84, 4 numbers),
//! `datetime` (an instant or an interval `a/b`, `../b`, `a/..`) and `limit`.

use time::OffsetDateTime;

/// Most features one page holds.
pub const MAX_LIMIT: usize = 1000;
/// Features per page when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 10;

/// A time interval; `None` ends are open.
pub type Interval = (Option<OffsetDateTime>, Option<OffsetDateTime>);

/// Parses `bbox=minx,miny,maxx,maxy`.
pub fn bbox(text: &str) -> Result<[f64; 4], String> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| {
            n.trim()
                .parse::<f64>()
                .map_err(|_| format!("bbox: `{n}` is not a number"))
        })
        .collect::<Result<_, _>>()?;
    let [minx, miny, maxx, maxy] = numbers[..] else {
        return Err("bbox takes four numbers: minx,miny,maxx,maxy (CRS84)".into());
    };
    if !(-180.0..=180.0).contains(&minx)
        || !(-180.0..=180.0).contains(&maxx)
        || !(-90.0..=90.0).contains(&miny)
        || !(-90.0..=90.0).contains(&maxy)
        || minx > maxx
        || miny > maxy
    {
        return Err(format!(
            "bbox {text} is not a box in CRS84 (longitude first)"
        ));
    }
    Ok([minx, miny, maxx, maxy])
}

fn instant(text: &str) -> Result<Option<OffsetDateTime>, String> {
    if text.is_empty() || text == ".." {
        return Ok(None);
    }
    hanse_sensors::parse_time_text(text)
        .map(Some)
        .ok_or_else(|| format!("datetime: `{text}` is not an RFC 3339 date-time"))
}

/// Parses `datetime`: one instant (start = end) or an interval.
pub fn datetime(text: &str) -> Result<Interval, String> {
    match text.split_once('/') {
        Some((start, end)) => {
            let interval = (instant(start)?, instant(end)?);
            if let (Some(s), Some(e)) = interval
                && s > e
            {
                return Err(format!(
                    "datetime {text}: the interval ends before it starts"
                ));
            }
            Ok(interval)
        }
        None => {
            let at = instant(text)?;
            if at.is_none() {
                return Err("datetime: an instant or an interval a/b".into());
            }
            Ok((at, at))
        }
    }
}

/// Parses `limit` (default 10, at most 1000).
pub fn limit(text: Option<&str>) -> Result<usize, String> {
    match text {
        None => Ok(DEFAULT_LIMIT),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(format!("limit must be 1 to {MAX_LIMIT}, not `{t}`")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_or_name_the_problem() {
        assert_eq!(bbox("4.4,51.0,4.5,51.1").unwrap(), [4.4, 51.0, 4.5, 51.1]);
        assert!(bbox("4.4,51.0,4.5").is_err());
        assert!(bbox("5,51,4,52").is_err());
        let (s, e) = datetime("2026-01-01T00:00:00Z/..").unwrap();
        assert!(s.is_some() && e.is_none());
        assert!(datetime("2026-02-01T00:00:00Z/2026-01-01T00:00:00Z").is_err());
        assert!(datetime("yesterday").is_err());
        assert_eq!(limit(None).unwrap(), 10);
        assert!(limit(Some("0")).is_err());
        assert!(limit(Some("5000")).is_err());
    }
}
