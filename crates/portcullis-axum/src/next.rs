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

/// Where a sign-in may send the browser afterwards: [`safe_next`]'s
/// same-site path, or, with forward authentication on, an https URL whose
/// host a rule names exactly (the site the proxy sent the browser from).
/// Wildcard hosts never count, and every other absolute URL is `/`.
pub(crate) fn sign_in_next(state: &crate::state::Portcullis, next: Option<&str>) -> String {
    if let (Some(next), Some(forward)) = (next, &state.config().forward_auth)
        && let Some(url) =
            portcullis_core::policy::forward::safe_next_absolute(next, &forward.rules.exact_hosts())
    {
        return url;
    }
    safe_next(next).to_owned()
}

/// Percent-decodings a value may need before it settles; one that still
/// changes after this many is refused.
const MAX_DECODINGS: usize = 4;

fn is_local_path(candidate: &str) -> bool {
    // Check the value as given and every percent-decoding of it, so that an
    // encoded `//` or `\` cannot slip through one layer of decoding.
    let mut current = candidate.to_owned();
    for _ in 0..=MAX_DECODINGS {
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

/// One round of percent-decoding over the whole value. (Form decoding, as
/// this once used, stops at the first `&` and would leave the rest of the
/// value unchecked: `/x&%5Cevil` hid its backslash that way.) `+` stays a
/// plus: in a path it is not a space.
fn percent_decode(input: &str) -> String {
    percent_encoding::percent_decode_str(input)
        .decode_utf8_lossy()
        .into_owned()
}

/// What `safe_next` promises, checked independently of how it decides: the
/// value is a path on this site (one leading `/`, no `\\`, no control
/// character, and resolved against `https://site.example/` it stays there)
/// as given and after each percent-decoding a browser, a proxy or an
/// application might apply, and it settles after at most four decodings.
/// Its property tests and the fuzz target hold it to this.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn is_same_site_path(path: &str) -> bool {
    let Ok(base) = url::Url::parse("https://site.example/") else {
        return false;
    };
    let mut layer = path.to_owned();
    // The value itself and up to four decodings of it.
    for _ in 0..5 {
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

    #[test]
    fn every_layer_is_judged_whole_not_up_to_the_first_ampersand() {
        for bad in [
            "/x&%5Cevil.example",
            "/x&%09/evil.example",
            "/x&y=%0d%0aSet-Cookie:x=y",
            "/x&%255C",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?} must be refused");
        }
        for ok in ["/x&y=1", "/x?a=1&b=%2F", "/x&%25"] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
    }

    #[test]
    fn a_value_still_changing_after_four_decodings_is_refused() {
        // `A` encoded four times settles after four decodings (each one
        // checked); encoded five times it does not.
        assert_eq!(safe_next(Some("/%25252541")), "/%25252541");
        assert_eq!(safe_next(Some("/%2525252541")), "/");
        assert_eq!(safe_next(Some("/%2525252F%2525252Fevil")), "/");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// What redirect tricks are made of, to be put together at random.
        const PIECES: &[&str] = &[
            "/",
            "//",
            "\\",
            "%",
            "%2F",
            "%2f",
            "%5C",
            "%25",
            "%252F",
            "%09",
            "%0A",
            "%00",
            "2F",
            "25",
            "5C",
            "&",
            "?",
            "#",
            "=",
            "+",
            ".",
            "..",
            ":",
            "@",
            "\t",
            "\n",
            " ",
            "a",
            "evil.example",
            "https:",
            "javascript:",
            "\u{ff0f}",
            "\u{e9}",
            "%C3%A9",
            "%FF",
        ];

        fn same_site_or_root(input: &str) -> Result<(), TestCaseError> {
            let out = safe_next(Some(input));
            prop_assert!(out == "/" || out == input, "{:?} became {:?}", input, out);
            prop_assert!(
                is_same_site_path(out),
                "safe_next({:?}) = {:?} is not a same-site path",
                input,
                out
            );
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2048))]

            /// Whatever comes in, what goes out is a path on this site.
            #[test]
            fn every_output_is_a_same_site_path(
                pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..16),
            ) {
                same_site_or_root(&pieces.concat())?;
            }

            #[test]
            fn every_output_of_any_text_is_a_same_site_path(input in any::<String>()) {
                same_site_or_root(&input)?;
                same_site_or_root(&format!("/{input}"))?;
            }
        }
    }
}
