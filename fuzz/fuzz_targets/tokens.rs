//! Token formats: `pcl_` API tokens with their CRC, session, reset and
//! confirmation tokens, and the bearer header that carries API tokens.
//! Input: any text.
//!
//! A session token that parses is the canonical base64url of 32 bytes; an
//! API token that parses has the documented shape and a CRC32 that matches
//! (computed here independently); no text is both kinds; an API token made
//! from the input parses, and every single-character change to it is
//! refused; a bearer header gives back its token as written.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use portcullis_axum::fuzzing::bearer_token;
use portcullis_core::SecretToken;
use portcullis_core::token::ApiTokenSecret;
use sha2::{Digest, Sha256};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC32 as six base62 digits, most significant first.
fn check(random: &str) -> String {
    let mut n = u64::from(crc32fast::hash(random.as_bytes()));
    let mut digits = [0u8; 6];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(digits.to_vec()).expect("ASCII")
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Some(token) = SecretToken::parse(&text) {
        assert_eq!(token.expose(), text);
        let bytes = URL_SAFE_NO_PAD.decode(text.as_bytes()).expect("base64url");
        assert_eq!(bytes.len(), 32);
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&bytes),
            text,
            "two spellings of one token"
        );
        assert_eq!(
            token.hash().as_str(),
            hex::encode(Sha256::digest(text.as_bytes()))
        );
        assert!(ApiTokenSecret::parse(&text).is_none());
    }
    if let Some(token) = ApiTokenSecret::parse(&text) {
        assert_eq!(token.expose(), text);
        let rest = text.strip_prefix("pcl_").expect("the prefix");
        assert_eq!(rest.len(), 49);
        assert!(rest.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(check(&rest[..43]), &rest[43..]);
        assert!(SecretToken::parse(&text).is_none());
    }

    // A well-formed API token from the input, and its one-character typos.
    let random: String = Sha256::digest(data)
        .iter()
        .chain(data.iter())
        .cycle()
        .take(43)
        .map(|&b| char::from(BASE62[usize::from(b) % 62]))
        .collect();
    let token = format!("pcl_{random}{}", check(&random));
    let parsed = ApiTokenSecret::parse(&token).expect("a well-formed token parses");
    assert_eq!(
        parsed.hash().as_str(),
        hex::encode(Sha256::digest(token.as_bytes()))
    );
    let pick = data.first().map_or(0, |&b| usize::from(b) % 62);
    for at in 0..token.len() {
        let mut typo = token.clone().into_bytes();
        let original = typo[at];
        typo[at] = BASE62[pick];
        if typo[at] == original {
            typo[at] = BASE62[(pick + 1) % 62];
        }
        let typo = String::from_utf8(typo).expect("ASCII");
        assert!(
            ApiTokenSecret::parse(&typo).is_none(),
            "{typo} (changed at {at}) parses"
        );
    }

    // The bearer header.
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let header = format!("{scheme} {token}");
        assert_eq!(
            bearer_token(&[header.as_bytes()]).as_deref(),
            Some(token.as_str())
        );
    }
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if let Some(found) = bearer_token(&lines) {
        assert_eq!(found.trim(), found);
    }
});
