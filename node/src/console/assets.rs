//! The console's files, embedded in the binary at compile time (no Node.js, no bundler):
//! `node/console/*`, served under `/console/`, and the page shell every console route
//! answers with (the page's script renders the route).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `(name, media type, bytes)` of every file.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../console/style.css"),
    ),
    ("app.js", JS, include_bytes!("../../console/app.js")),
    ("ui.js", JS, include_bytes!("../../console/ui.js")),
    ("map.js", JS, include_bytes!("../../console/map.js")),
    ("chart.js", JS, include_bytes!("../../console/chart.js")),
    ("editor.js", JS, include_bytes!("../../console/editor.js")),
    ("home.js", JS, include_bytes!("../../console/home.js")),
    (
        "catalogue.js",
        JS,
        include_bytes!("../../console/catalogue.js"),
    ),
    ("dataset.js", JS, include_bytes!("../../console/dataset.js")),
    ("query.js", JS, include_bytes!("../../console/query.js")),
    ("sensors.js", JS, include_bytes!("../../console/sensors.js")),
    ("kpis.js", JS, include_bytes!("../../console/kpis.js")),
    (
        "signed-in.js",
        JS,
        include_bytes!("../../console/signed-in.js"),
    ),
    (
        "operator.js",
        JS,
        include_bytes!("../../console/operator.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../console/favicon.svg"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";

/// The page shell (`index.html`).
const SHELL: &[u8] = include_bytes!("../../console/index.html");

/// Security headers of everything the console serves: scripts and styles only from the
/// node itself; images also from a configured tile server.
fn secured(mut response: Response, tile_origin: Option<&str>) -> Response {
    let images = match tile_origin {
        Some(origin) => format!("'self' data: {origin}"),
        None => "'self' data:".to_owned(),
    };
    let policy = format!(
        "default-src 'self'; img-src {images}; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The origin (`scheme://host[:port]`) of a tile URL template.
fn origin_of(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    Some(&url[..end])
}

/// The page shell, for every console route.
pub fn shell(tile_url: Option<&str>) -> Response {
    let response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], SHELL).into_response();
    secured(response, tile_url.and_then(origin_of))
}

/// `GET /`, `/catalogue`, …: the page shell.
pub async fn page(axum::Extension(console): axum::Extension<super::ConsoleState>) -> Response {
    shell(console.tile_url())
}

/// `GET /console/{file}`.
pub async fn file(
    axum::Extension(console): axum::Extension<super::ConsoleState>,
    Path(name): Path<String>,
) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, media_type, bytes)) => secured(
            ([(header::CONTENT_TYPE, *media_type)], *bytes).into_response(),
            console.tile_url().and_then(origin_of),
        ),
        None => (
            StatusCode::NOT_FOUND,
            format!("the console has no file `{name}`\n"),
        )
            .into_response(),
    }
}

/// Bytes of all the console's files (shell included): what a first visit can load at most.
#[cfg(test)]
fn total_bytes() -> usize {
    SHELL.len() + FILES.iter().map(|(_, _, b)| b.len()).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_origins_and_weight() {
        assert_eq!(
            origin_of("https://tiles.example.org/{z}/{x}/{y}.png"),
            Some("https://tiles.example.org")
        );
        assert_eq!(origin_of("not a url"), None);
        // The budget is 400 KB gzipped for the first page; unzipped is stricter.
        assert!(total_bytes() < 400 * 1024, "{} bytes", total_bytes());
    }
}
