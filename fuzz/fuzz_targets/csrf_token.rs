//! The CSRF token a request presents and the token it is due. Input: the
//! server secret on the first line, a session token hash on the second,
//! an anonymous CSRF cookie on the third, then a url-encoded form body.
//!
//! The form's `csrf_token` is found however the body is written, and a form
//! written by a client library with the token among other fields gives back
//! exactly that token; tokens match only when equal; due tokens are
//! base64url HMACs that differ between sessions and between the session and
//! anonymous kinds; an anonymous browser is due a token only for a cookie
//! of the shape the server sets.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use portcullis_axum::fuzzing::{
    csrf_for_anonymous, csrf_for_session, csrf_tokens_match, form_token,
};
use portcullis_core::SecretToken;
use sha2::{Digest, Sha256};

fn is_token_shape(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == b'\n');
    let secret = parts.next().unwrap_or_default();
    let hash = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let cookie = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();

    // Whatever the body, reading it never fails, and what it finds is what
    // any form parser finds first under that name.
    let found = form_token(body);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let first = pairs
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.clone());
    assert_eq!(found, first);

    // A form written with the token among other fields gives it back.
    let token = String::from_utf8_lossy(secret).into_owned();
    let mut written: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .cloned()
        .collect();
    let at = usize::from(body.first().copied().unwrap_or(0)) % (written.len() + 1);
    written.insert(at, ("csrf_token".to_owned(), token.clone()));
    written.push(("csrf_token".to_owned(), "a later copy".to_owned()));
    let encoded = serde_urlencoded::to_string(&written).expect("pairs of text encode");
    assert_eq!(
        form_token(encoded.as_bytes()).as_deref(),
        Some(token.as_str())
    );

    // Matching is equality, and nothing matches a missing token.
    let presented = found.as_deref();
    assert_eq!(
        csrf_tokens_match(Some(&hash), presented),
        presented == Some(hash.as_str())
    );
    assert!(!csrf_tokens_match(None, presented));
    assert!(!csrf_tokens_match(Some(&hash), None));

    // Due tokens.
    let for_session = csrf_for_session(secret, &hash);
    assert!(is_token_shape(&for_session), "{for_session}");
    assert_eq!(for_session, csrf_for_session(secret, &hash));
    assert!(csrf_tokens_match(Some(&for_session), Some(&for_session)));
    let other = format!("{hash}x");
    assert_ne!(for_session, csrf_for_session(secret, &other));
    let anonymous = csrf_for_anonymous(secret, Some(&cookie));
    assert_eq!(anonymous.is_some(), SecretToken::parse(&cookie).is_some());
    assert_eq!(csrf_for_anonymous(secret, None), None);
    if let Some(anonymous) = anonymous {
        assert!(is_token_shape(&anonymous), "{anonymous}");
        assert_ne!(
            anonymous,
            csrf_for_session(secret, &cookie),
            "kinds collide"
        );
    }
    let set = URL_SAFE_NO_PAD.encode(Sha256::digest(data));
    assert!(csrf_for_anonymous(secret, Some(&set)).is_some());
});
