//! `safe_next` only ever answers the value itself or `/`, and what it
//! answers is a path on this site however often it is percent-decoded; a
//! plain path is let through; and its answer is its own answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_axum::fuzzing::is_same_site_path;
use portcullis_axum::safe_next;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let out = safe_next(Some(&input));
    assert!(out == "/" || out == input, "{input:?} became {out:?}");
    assert!(
        is_same_site_path(out),
        "safe_next({input:?}) = {out:?} is not a same-site path"
    );
    assert_eq!(safe_next(Some(out)), out, "not idempotent on {input:?}");

    // Nothing here can be decoded or leave the site: it must pass unchanged.
    let plain = input.starts_with('/')
        && !input.starts_with("//")
        && input.len() <= 2048
        && input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._~?=&#:@!$'()*+,;".contains(&b));
    if plain {
        assert_eq!(out, input, "the plain path {input:?} was refused");
    }
});
