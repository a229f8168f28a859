//! Any bytes as NGSI-LD input to a demo city: entity bodies (create, batch upsert, attribute
//! patch, with and without `@context`) and query strings (`q`, `type`, geo-queries, paging).
#![no_main]

use axum::body::Body;
use axum::http::Request;
use hanse_fuzz::{get, harness, post, query_param};
use libfuzzer_sys::fuzz_target;

const LINK: &str = "<https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(input);
    match selector % 8 {
        0 => {
            h.http(
                0,
                post(
                    "/ngsi-ld/v1/entities",
                    "application/ld+json",
                    input.to_vec(),
                ),
                true,
            );
        }
        1 => {
            let mut request = post("/ngsi-ld/v1/entities", "application/json", input.to_vec());
            if let Ok(link) = LINK.parse() {
                request.headers_mut().insert("link", link);
            }
            h.http(0, request, true);
        }
        2 => {
            let uri = "/ngsi-ld/v1/entityOperations/upsert";
            h.http(0, post(uri, "application/ld+json", input.to_vec()), true);
        }
        3 => {
            let Ok(request) = Request::patch(
                "/ngsi-ld/v1/entities/urn%3Angsi-ld%3AAirQualityObserved%3Afuzz/attrs",
            )
            .header("content-type", "application/json")
            .body(Body::from(input.to_vec())) else {
                return;
            };
            h.http(0, request, true);
        }
        4 => {
            let uri = format!(
                "/ngsi-ld/v1/entities?type=AirQualityObserved&q={}",
                query_param(&text)
            );
            h.http(0, get(&uri, "application/json"), false);
        }
        5 => {
            let uri = format!(
                "/ngsi-ld/v1/entities?type=AirQualityObserved&georel=near%3BmaxDistance%3D%3D2000&geometry=Point&coordinates={}",
                query_param(&text)
            );
            h.http(0, get(&uri, "application/geo+json"), false);
        }
        6 => {
            // The whole query string from the input: parameters, paging, options.
            let raw: String = text
                .split(['&', '='])
                .map(query_param)
                .zip(
                    text.chars()
                        .filter(|c| matches!(c, '&' | '='))
                        .map(String::from)
                        .chain(std::iter::repeat(String::new())),
                )
                .map(|(part, separator)| part + &separator)
                .collect();
            h.http(
                0,
                get(&format!("/ngsi-ld/v1/entities?{raw}"), "application/json"),
                false,
            );
        }
        _ => {
            let uri = format!("/ngsi-ld/v1/entities/{}", query_param(&text));
            h.http(0, get(&uri, "application/ld+json"), false);
        }
    }
});
