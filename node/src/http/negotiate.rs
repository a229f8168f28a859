//! Content negotiation: picking a response format from the `Accept` header.

use axum::http::{HeaderMap, header};

/// Picks the offered format the client prefers most.
///
/// `offered` is in server preference order (the first wins ties and answers a missing or
/// `*/*` Accept). Returns `None` when the client accepts none of them (406).
pub fn negotiate<T: Copy>(headers: &HeaderMap, offered: &[(&str, T)]) -> Option<T> {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return offered.first().map(|(_, v)| *v);
    }
    let ranges = parse_accept(&accept);
    let mut best: Option<(f32, T)> = None;
    for (media_type, value) in offered {
        let q = quality(&ranges, media_type);
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, *value));
        }
    }
    best.map(|(_, v)| v)
}

/// The media types named in `offered`, for a 406 message.
pub fn offered_list<T>(offered: &[(&str, T)]) -> String {
    offered
        .iter()
        .map(|(m, _)| *m)
        .collect::<Vec<_>>()
        .join(", ")
}

struct MediaRange {
    kind: String,
    subtype: String,
    q: f32,
}

fn parse_accept(accept: &str) -> Vec<MediaRange> {
    accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let (kind, subtype) = parts.next()?.trim().split_once('/')?;
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some(MediaRange {
                kind: kind.trim().to_ascii_lowercase(),
                subtype: subtype.trim().to_ascii_lowercase(),
                q,
            })
        })
        .collect()
}

/// The q of the most specific range matching `media_type` (0 when none matches).
fn quality(ranges: &[MediaRange], media_type: &str) -> f32 {
    // Offered types may carry parameters (`text/csv; charset=utf-8`); match on the type only.
    let essence = media_type.split(';').next().unwrap_or(media_type).trim();
    let (kind, subtype) = essence.split_once('/').unwrap_or((essence, ""));
    ranges
        .iter()
        .filter_map(|r| {
            let specificity = match (r.kind.as_str(), r.subtype.as_str()) {
                (k, s) if k == kind && s == subtype => 3,
                (k, "*") if k == kind => 2,
                ("*", "*") => 1,
                _ => return None,
            };
            Some((specificity, r.q))
        })
        .max_by_key(|(specificity, _)| *specificity)
        .map_or(0.0, |(_, q)| q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn pick(accept: &str) -> Option<u8> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        negotiate(
            &headers,
            &[
                ("application/sparql-results+json", 1),
                ("text/csv", 2),
                ("text/tab-separated-values", 3),
            ],
        )
    }

    #[test]
    fn picks_by_quality_and_specificity() {
        assert_eq!(pick("*/*"), Some(1));
        assert_eq!(pick("text/csv"), Some(2));
        assert_eq!(pick("text/*;q=0.5, text/tab-separated-values"), Some(3));
        assert_eq!(pick("text/csv;q=0.2, application/*;q=0.9"), Some(1));
        assert_eq!(pick("image/png"), None);
        assert_eq!(pick("*/*;q=0, text/csv;q=0"), None);
    }
}
