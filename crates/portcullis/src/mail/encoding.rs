//! How a mail's text parts go on the wire. Lettre picks quoted-printable
//! for any line past 76 characters, which wraps a link with soft line
//! breaks (`=\r\n`) and turns its `=` into `=3D`: a link copied from the raw
//! message (the dev outbox's `.eml` files, a mail client's source view) no
//! longer works. Every line of a rendered notice fits SMTP's 998-byte limit,
//! so the parts go as they are: 7bit when ASCII, 8bit otherwise.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, MultiPart, SinglePart};

/// SMTP's limit on a line, without its CRLF (RFC 5322 section 2.1.1).
const MAX_LINE: usize = 998;

/// A `multipart/alternative` of `text` and `html`, each readable as sent.
pub fn alternative(text: String, html: String) -> MultiPart {
    MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(readable(text)),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(readable(html)),
        )
}

/// The body as is when every line fits (lines end in CRLF on the wire);
/// lettre's own choice otherwise.
fn readable(text: String) -> Body {
    let crlf = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    let fits = crlf.split("\r\n").all(|line| line.len() <= MAX_LINE) && !crlf.contains('\0');
    if !fits {
        return Body::new(text);
    }
    let encoding = if crlf.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::EightBit
    };
    Body::dangerous_pre_encoded(crlf.into_bytes(), encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://auth.example.com/auth/reset-password/\
                        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?next=%2Fa&x=1";

    #[test]
    fn a_long_link_stays_whole_on_its_line() {
        let body = readable(format!("Hello,\n\n{LINK}\n"));
        assert_eq!(body.encoding(), ContentTransferEncoding::SevenBit);
        let raw = String::from_utf8(body.into_vec()).unwrap();
        assert_eq!(raw, format!("Hello,\r\n\r\n{LINK}\r\n"));
    }

    #[test]
    fn non_ascii_text_goes_as_8bit_and_oversized_lines_are_encoded() {
        let body = readable(format!("Grüße\n{LINK}"));
        assert_eq!(body.encoding(), ContentTransferEncoding::EightBit);
        assert!(String::from_utf8(body.into_vec()).unwrap().contains(LINK));
        let body = readable("x".repeat(MAX_LINE + 1));
        assert_ne!(body.encoding(), ContentTransferEncoding::SevenBit);
    }
}
