//! The browser session cookie (SPEC §13): reading it, and the same-origin rule for the writes it
//! authenticates.

use axum::http::{HeaderMap, Method, header, request::Parts};

use crate::error::ApiError;

/// Name of the cookie holding the web app's session token.
pub const SESSION_COOKIE: &str = "tudu_session";

/// The session token of a request without `Authorization`, once its origin is checked.
///
/// Browsers attach the cookie to every request to this host, including ones a foreign page
/// triggers, so a cookie-authenticated write must prove it comes from our own pages: its `Origin`
/// must be this server's (`SameSite=Strict` alone leaves sibling subdomains and old browsers).
///
/// # Errors
/// 403 for a write (not GET, HEAD or OPTIONS) whose `Origin` is missing or foreign.
pub fn session_token<'p>(parts: &'p Parts, public_url: &str) -> Result<Option<&'p str>, ApiError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        require_same_origin(&parts.headers, public_url)?;
    }
    Ok(Some(token))
}

/// Refuses a request whose `Origin` is not this server's own.
///
/// # Errors
/// 403 when `Origin` is missing or names another origin.
pub fn require_same_origin(headers: &HeaderMap, public_url: &str) -> Result<(), ApiError> {
    if is_same_origin(headers, public_url) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "a request authenticated by the session cookie must come from this site (same-origin Origin header)",
        ))
    }
}

/// Whether `Origin` names this server: the origin of `PUBLIC_URL` (a proxy may rewrite `Host`),
/// or `http`/`https` with the request's own `Host`.
#[must_use]
pub fn is_same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    else {
        return false;
    };
    if origin_of(public_url).is_some_and(|own| own.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host.trim()))
}

/// `scheme://authority` of a URL (what a browser sends as `Origin`).
fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let authority_len = url[scheme_end..]
        .find('/')
        .unwrap_or(url.len() - scheme_end);
    Some(&url[..scheme_end + authority_len])
}

/// The value of the cookie `name`, if the request carries it (and it is not empty).
#[must_use]
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let map = headers(&[(header::COOKIE, "a=1; tudu_session=abc.def; b=2")]);
        assert_eq!(cookie(&map, SESSION_COOKIE), Some("abc.def"));
        let empty = headers(&[(header::COOKIE, "tudu_session=")]);
        assert_eq!(cookie(&empty, SESSION_COOKIE), None);
        let lookalike = headers(&[(header::COOKIE, "xtudu_session=abc")]);
        assert_eq!(cookie(&lookalike, SESSION_COOKIE), None);
    }

    #[test]
    fn origin_must_match_the_host_or_the_public_url() {
        let public = "https://tasks.example.com";
        let own = headers(&[
            (header::ORIGIN, "http://127.0.0.1:8000"),
            (header::HOST, "127.0.0.1:8000"),
        ]);
        assert!(is_same_origin(&own, public));
        let proxied = headers(&[
            (header::ORIGIN, "https://tasks.example.com"),
            (header::HOST, "10.0.0.5:8000"),
        ]);
        assert!(is_same_origin(&proxied, public));
        let foreign = headers(&[
            (header::ORIGIN, "https://evil.example"),
            (header::HOST, "127.0.0.1:8000"),
        ]);
        assert!(!is_same_origin(&foreign, public));
        let other_port = headers(&[
            (header::ORIGIN, "http://127.0.0.1:9000"),
            (header::HOST, "127.0.0.1:8000"),
        ]);
        assert!(!is_same_origin(&other_port, public));
        let missing = headers(&[(header::HOST, "127.0.0.1:8000")]);
        assert!(!is_same_origin(&missing, public));
        let null = headers(&[(header::ORIGIN, "null"), (header::HOST, "127.0.0.1:8000")]);
        assert!(!is_same_origin(&null, public));
    }

    #[test]
    fn origin_of_a_url_drops_its_path() {
        assert_eq!(
            origin_of("https://a.example/x/y"),
            Some("https://a.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8000"),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(origin_of("nonsense"), None);
    }
}
