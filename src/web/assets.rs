//! The client's files, embedded in the binary. At start-up each gets a name carrying a hash of
//! its content and a gzip copy, so that browsers may keep an asset forever (its name changes
//! with it) while the HTML shell, which names them, is revalidated on every load.

use std::{collections::HashMap, io::Write as _, sync::Arc};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use flate2::{Compression, write::GzEncoder};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The files under `web/`, each after the modules it imports (their hashed names are written
/// into it before it is hashed itself, so a change anywhere renames every importer too).
const SOURCES: &[(&str, &str)] = &[
    ("app.css", include_str!("../../web/app.css")),
    ("icon.svg", include_str!("../../web/icon.svg")),
    ("dom.js", include_str!("../../web/dom.js")),
    ("api.js", include_str!("../../web/api.js")),
    ("format.js", include_str!("../../web/format.js")),
    ("auth.js", include_str!("../../web/auth.js")),
    ("tree.js", include_str!("../../web/tree.js")),
    ("projects.js", include_str!("../../web/projects.js")),
    ("tasks.js", include_str!("../../web/tasks.js")),
    ("edit.js", include_str!("../../web/edit.js")),
    ("chat.js", include_str!("../../web/chat.js")),
    ("account.js", include_str!("../../web/account.js")),
    ("main.js", include_str!("../../web/main.js")),
];
const SHELL: &str = include_str!("../../web/index.html");
/// Where hashed assets are served.
pub const ASSETS_PATH: &str = "/app/assets/";

/// No inline script or style, no `eval`, nothing from elsewhere, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One servable file: its bytes, a gzip copy and a validator.
#[derive(Debug)]
pub struct Asset {
    content_type: &'static str,
    body: Bytes,
    gzip: Bytes,
    etag: HeaderValue,
}

/// Every asset by hashed file name, and the shell that names them.
#[derive(Debug)]
pub struct Assets {
    files: HashMap<String, Asset>,
    shell: Asset,
}

impl Assets {
    /// Hashes, rewrites and compresses the embedded files.
    #[must_use]
    pub fn build() -> Self {
        let mut urls: Vec<(&str, String)> = Vec::new();
        let mut files = HashMap::new();
        for (name, source) in SOURCES {
            let text = urls.iter().fold((*source).to_owned(), |text, (dep, url)| {
                let file = url.trim_start_matches(ASSETS_PATH);
                text.replace(&format!("'./{dep}'"), &format!("'./{file}'"))
            });
            let hashed = hashed_name(name, &text);
            urls.push((name, format!("{ASSETS_PATH}{hashed}")));
            files.insert(hashed, Asset::new(content_type(name), text.into_bytes()));
        }
        let preload: String = urls
            .iter()
            .filter(|(name, _)| name.ends_with(".js") && *name != "main.js")
            .map(|(_, url)| format!("<link rel=\"modulepreload\" href=\"{url}\">\n  "))
            .collect();
        let shell = urls.iter().fold(
            SHELL.replace("{{preload}}", preload.trim_end()),
            |html, (name, url)| html.replace(&format!("{{{{{name}}}}}"), url),
        );
        Self {
            files,
            shell: Asset::new("text/html; charset=utf-8", shell.into_bytes()),
        }
    }

    /// Total gzip size of what a first visit downloads: the shell and every asset.
    #[must_use]
    pub fn first_load_gzip_bytes(&self) -> usize {
        self.shell.gzip.len() + self.files.values().map(|a| a.gzip.len()).sum::<usize>()
    }
}

impl Asset {
    fn new(content_type: &'static str, body: Vec<u8>) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex(&digest[..12]));
        Self {
            content_type,
            gzip: Bytes::from(gzip(&body)),
            body: Bytes::from(body),
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        }
    }

    fn respond(&self, request: &HeaderMap, cache_control: &'static str) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        headers.insert(header::ETAG, self.etag.clone());
        let fresh = request
            .get(header::IF_NONE_MATCH)
            .is_some_and(|tags| tags.as_bytes() == self.etag.as_bytes());
        if fresh {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        let body = if accepts_gzip(request) {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            self.gzip.clone()
        } else {
            self.body.clone()
        };
        (headers, body).into_response()
    }
}

/// `GET /app` and every deep link under it: the HTML shell.
pub async fn shell(State(files): State<Arc<Assets>>, headers: HeaderMap) -> Response {
    let mut response = files.shell.respond(&headers, "no-cache");
    let set = response.headers_mut();
    set.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    set.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    set.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    set.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    response
}

/// `GET /app/assets/{file}`: a hashed asset, cached for a year.
///
/// # Errors
/// 404 for a name that is not (or no longer) an asset.
pub async fn asset(
    State(files): State<Arc<Assets>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let asset = files
        .files
        .get(&file)
        .ok_or(ApiError::NotFound("no such file"))?;
    Ok(asset.respond(&headers, IMMUTABLE))
}

fn hashed_name(name: &str, text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    format!("{stem}.{}.{ext}", hex(&digest[..6]))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail; an empty result would only cost the compression.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

/// Whether `Accept-Encoding` allows gzip (or anything) with a non-zero weight.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| matches!(p, "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_imports_its_dependencies_by_hashed_name() {
        let assets = Assets::build();
        let html = String::from_utf8_lossy(&assets.shell.body).into_owned();
        assert!(!html.contains("{{"), "an unfilled placeholder in the shell");
        for asset in assets.files.values() {
            let text = String::from_utf8_lossy(&asset.body);
            for (name, _) in SOURCES {
                assert!(
                    !text.contains(&format!("'./{name}'")),
                    "an import of {name} kept its plain name"
                );
            }
        }
    }

    #[test]
    fn the_first_load_stays_under_150_kb_compressed() {
        assert!(Assets::build().first_load_gzip_bytes() < 150 * 1024);
    }

    #[test]
    fn gzip_is_refused_only_with_a_zero_weight() {
        let with = |value: &'static str| {
            let mut map = HeaderMap::new();
            map.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            accepts_gzip(&map)
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(!with("gzip;q=0"));
        assert!(!with("br"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
