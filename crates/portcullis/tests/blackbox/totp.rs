//! RFC 6238 codes computed by the tests themselves (HMAC-SHA-1, 6 digits,
//! 30-second steps), independent of the server's implementation, from the
//! base32 key an authenticator app would be given.

use hmac::{Hmac, KeyInit, Mac};

/// Decodes RFC 4648 base32 (no padding needed).
fn base32(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0u32;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let value = ALPHABET
            .find(c.to_ascii_uppercase())
            .unwrap_or_else(|| panic!("not base32: {c:?}"));
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// The code of `secret` (base32) for the 30-second step holding `unix`.
pub fn code(secret: &str, unix: i64) -> String {
    let counter = (unix / 30) as u64;
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&base32(secret)).unwrap();
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    format!("{:06}", binary % 1_000_000)
}

#[test]
fn the_tests_codes_follow_rfc_6238() {
    // Appendix B: seed "12345678901234567890" (base32 below), 8 digits at
    // 59 s is 94287082; the 6-digit code is its last six.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(code(secret, 59), "287082");
    assert_eq!(code(secret, 1_111_111_109), "081804");
    assert_eq!(code(secret, 20_000_000_000), "353130");
}
