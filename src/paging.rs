//! What the paged lists (tasks, conversations) share: opaque keyset cursors and the
//! `Link: <…>; rel="next"` header that carries them.

use axum::http::{HeaderValue, Uri};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Serialize, de::DeserializeOwned};

/// `position` as an opaque cursor: URL-safe base64 of its JSON.
#[must_use]
pub fn encode_cursor<T: Serialize>(position: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

/// The position an [`encode_cursor`] string holds; `None` for anything else.
#[must_use]
pub fn decode_cursor<T: DeserializeOwned>(raw: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `<path?query-with-the-new-cursor>; rel="next"`, relative to the request so that every
/// path a list is served on (compatibility routes included) pages through itself.
#[must_use]
pub fn next_link(uri: &Uri, cursor: &str) -> Option<HeaderValue> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        if key != "cursor" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("cursor", cursor);
    HeaderValue::try_from(format!("<{}?{}>; rel=\"next\"", uri.path(), query.finish())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_keeps_the_query_and_replaces_the_cursor() {
        let uri: Uri = "/api/v1/tasks?limit=2&cursor=old&q=a%20b"
            .parse()
            .expect("uri");
        let link = next_link(&uri, "new").expect("a header value");
        assert_eq!(
            link,
            "</api/v1/tasks?limit=2&q=a+b&cursor=new>; rel=\"next\""
        );
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_none() {
        let position = (String::from("2026-11-22T10:00:00Z"), 7_i64);
        let raw = encode_cursor(&position);
        assert_eq!(decode_cursor::<(String, i64)>(&raw), Some(position));
        assert_eq!(decode_cursor::<(String, i64)>("not-a-cursor"), None);
    }
}
