//! The cookies a request presents, read as the middleware reads them.
//! Input: one `Cookie` header line per line, as raw bytes.
//!
//! Reading never fails; a session value taken as a token is a token's
//! canonical spelling; a flash value names a message only by its exact
//! code; and every cookie Portcullis sets reads back to its value from a
//! request that also carries arbitrary other cookies, with the attributes
//! the site promises (HttpOnly, SameSite=Lax, Path=/, and on https Secure
//! and the `__Host-` prefix, never a Domain).
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use portcullis_axum::fuzzing::{CookieKind, cookie_name, flash_code, request_cookies, set_cookie};
use portcullis_core::SecretToken;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    for secure in [false, true] {
        let read = request_cookies(&lines, secure);
        if let Some(value) = &read.session
            && let Some(token) = SecretToken::parse(value)
        {
            assert_eq!(token.expose(), value);
            let bytes = URL_SAFE_NO_PAD.decode(value).expect("a token is base64url");
            assert_eq!(bytes.len(), 32);
            assert_eq!(
                &URL_SAFE_NO_PAD.encode(&bytes),
                value,
                "two spellings of one token"
            );
        }
        if let Some(value) = &read.flash
            && let Some(code) = flash_code(value)
        {
            assert_eq!(code, value);
        }

        // A token the server sets, derived from the input so runs repeat.
        let token = URL_SAFE_NO_PAD.encode(Sha256::digest(data));
        for (kind, value, present) in [
            (CookieKind::Session, token.as_str(), &read.session),
            (CookieKind::Csrf, token.as_str(), &read.csrf),
            (CookieKind::Flash, "logged_in", &read.flash),
        ] {
            let header = set_cookie(kind, value, secure);
            let name = cookie_name(kind, secure);
            assert!(header.starts_with(&format!("{name}={value}")), "{header}");
            assert_eq!(name.starts_with("__Host-"), secure, "{header}");
            let attributes: Vec<&str> = header.split(';').map(str::trim).collect();
            for wanted in ["HttpOnly", "SameSite=Lax", "Path=/"] {
                assert!(attributes.contains(&wanted), "{wanted} missing: {header}");
            }
            assert_eq!(attributes.contains(&"Secure"), secure, "{header}");
            assert!(
                !attributes
                    .iter()
                    .any(|a| a.to_ascii_lowercase().starts_with("domain")),
                "{header}"
            );

            // Sent back beside the request's own cookies (if they do not
            // already hold one of that name), it reads as set.
            if present.is_some() {
                continue;
            }
            let pair = attributes[0].as_bytes();
            let mut with = lines.clone();
            with.push(pair);
            let back = request_cookies(&with, secure);
            let got = match kind {
                CookieKind::Session => back.session,
                CookieKind::Csrf => back.csrf,
                CookieKind::Flash => back.flash,
            };
            assert_eq!(got.as_deref(), Some(value), "{pair:?} beside {lines:?}");
        }
    }
});
