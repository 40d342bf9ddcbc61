//! The `next` parameter: where to go after logging in. It may only ever name
//! a path on this site; anything else falls back to `/`.

/// Returns `next` if it is a same-site path, otherwise `/`.
///
/// Refused: absolute URLs (`https://evil.example`), scheme-relative ones
/// (`//evil.example`), backslash tricks (`/\evil.example`, which browsers
/// read as `//`), `javascript:` and other schemes, control characters (a
/// browser strips tab and newline, turning `/\t/evil` into `//evil`), and any
/// of these hidden behind percent-encoding.
///
/// ```
/// use portcullis_axum::safe_next;
///
/// assert_eq!(safe_next(Some("/profile?tab=2")), "/profile?tab=2");
/// assert_eq!(safe_next(Some("//evil.example")), "/");
/// assert_eq!(safe_next(Some("/%2F%2Fevil.example")), "/");
/// assert_eq!(safe_next(None), "/");
/// ```
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(candidate) if is_local_path(candidate) => candidate,
        _ => "/",
    }
}

fn is_local_path(candidate: &str) -> bool {
    // Check the value as given and every percent-decoding of it, so that an
    // encoded `//` or `\` cannot slip through one layer of decoding.
    let mut current = candidate.to_owned();
    for _ in 0..4 {
        if !looks_local(&current) {
            return false;
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            return true;
        }
        current = decoded;
    }
    false
}

fn looks_local(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path.len() <= 2048
}

fn percent_decode(input: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", input.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_pass_through() {
        for ok in [
            "/",
            "/profile",
            "/dashboard?x=1&y=2",
            "/a/b#frag",
            "/search?q=a+b",
            "/caf%C3%A9",
        ] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
    }

    #[test]
    fn anything_leaving_the_site_falls_back_to_root() {
        for bad in [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "evil.example",
            "",
            "/%2F%2Fevil.example",
            "%2F%2Fevil.example",
            "/%5Cevil.example",
            "/%252F%252Fevil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
            "/%0d%0aSet-Cookie:x=y",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?} must be refused");
        }
    }
}
