//! The web app of SPEC §13, served at `/app`: the embedded client files, the browser session
//! and the quick-add parser. Everything else it shows comes from the public REST API.

pub mod assets;
pub mod parse;
pub mod session;

use std::sync::Arc;

use axum::{
    Router,
    http::{HeaderMap, header},
    routing::get,
};

use crate::state::AppState;

/// Where the web app lives.
pub const APP_PATH: &str = "/app";

/// The web app's routes: the shell and its deep links, hashed assets, and `/app/api/…`.
pub fn router() -> Router<AppState> {
    let files = Arc::new(assets::Assets::build());
    let pages = Router::new()
        .route("/app", get(assets::shell))
        .route("/app/", get(assets::shell))
        .route("/app/{*path}", get(assets::shell))
        .route("/app/assets/{file}", get(assets::asset))
        .with_state(files);
    pages
        .merge(session::router())
        .merge(parse::router())
        // The shell's catch-all must not answer for the app's API: an unknown route there is a
        // JSON 404 like any other API route.
        .route(
            "/app/api/{*rest}",
            axum::routing::any(crate::error::not_found),
        )
}

/// Whether a request prefers HTML (a browser navigating) to JSON.
#[must_use]
pub fn wants_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let quality = |wanted: &str| {
        accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';').map(str::trim);
                let kind = parts.next()?;
                kind.eq_ignore_ascii_case(wanted).then(|| {
                    parts
                        .find_map(|p| p.strip_prefix("q="))
                        .and_then(|q| q.parse::<f32>().ok())
                        .unwrap_or(1.0)
                })
            })
            .fold(0.0_f32, f32::max)
    };
    let html = quality("text/html");
    html > 0.0 && html >= quality("application/json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::ACCEPT, HeaderValue::from_static(value));
        map
    }

    #[test]
    fn browsers_want_html_and_api_clients_do_not() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(wants_html(&accept(browser)));
        assert!(!wants_html(&accept("application/json")));
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&accept("application/json, text/html;q=0.5")));
        assert!(!wants_html(&accept("text/html;q=0")));
        assert!(!wants_html(&HeaderMap::new()));
    }
}
