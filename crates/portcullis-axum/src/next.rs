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

/// What `safe_next` promises, checked independently of how it decides: the
/// value is a path on this site (one leading `/`, no `\\`, no control
/// character, and resolved against `https://site.example/` it stays there)
/// as given and after each percent-decoding a browser, a proxy or an
/// application might apply, and decoding it settles within four rounds.
/// Its property tests and the fuzz target hold it to this.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn is_same_site_path(path: &str) -> bool {
    let Ok(base) = url::Url::parse("https://site.example/") else {
        return false;
    };
    let mut layer = path.to_owned();
    for _ in 0..4 {
        let plain = layer.starts_with('/')
            && !layer.starts_with("//")
            && !layer.contains('\\')
            && !layer.chars().any(char::is_control);
        let stays = base.join(&layer).is_ok_and(|url| {
            url.scheme() == "https"
                && url.host_str() == Some("site.example")
                && url.port().is_none()
                && url.username().is_empty()
                && url.password().is_none()
        });
        if !plain || !stays {
            return false;
        }
        let decoded = strict_percent_decode(&layer);
        if decoded == layer {
            return true;
        }
        layer = decoded;
    }
    false
}

/// Every `%XX` with two hex digits as its byte, everything else as it is.
#[cfg(any(test, feature = "fuzzing"))]
fn strict_percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
