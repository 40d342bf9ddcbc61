//! How hard the server secret is to guess.
//!
//! The secret keys every HMAC the server computes (CSRF tokens, and more to
//! come), so whoever guesses it forges them offline, at their own pace.
//! Production therefore refuses a secret estimated below [`MIN_BITS`]: 128
//! bits, the usual security level of a symmetric key, far past any offline
//! search.
//!
//! No single estimate is sound for every weak secret, so the estimate is the
//! least of three, each catching what the others miss:
//!
//! - **alphabet**: length × log2 of the alphabet the characters come from:
//!   16 for hex, 64 for base64, otherwise the character classes used
//!   (lower, upper, digits, ASCII punctuation and space, plus each distinct
//!   non-ASCII character). Short secrets and narrow alphabets fail here.
//! - **Shannon**: length × the entropy of the character frequencies. Secrets
//!   of few distinct characters (`aaaa…`, `abab…`) fail here.
//! - **patterns**: the shortest description of the secret as a sequence of
//!   pieces, each costing what choosing it would cost a guesser: a single
//!   character (at most the alphabet's bits, less for one already frequent,
//!   which is how a repeated separator costs little); a copy of an earlier
//!   stretch (where from, how long); or a stretch of up to 16 characters
//!   that zxcvbn reads as one pattern (a dictionary word, keyboard walk,
//!   sequence, date or repeat), at its guess count. `passwordpassword…`, `0123456789abcdef`
//!   repeated and phrases of common words, which have wide alphabets and
//!   flat frequencies but few real choices, fail here. zxcvbn is asked about
//!   short stretches only: it counts guesses in 64 bits, and past that every
//!   reading of a long secret looks alike to it. Only the first
//!   [`PATTERN_WINDOW`] characters count, which bounds the work.
//!
//! The estimate undercounts random text (zxcvbn finds chance patterns in it,
//! like a year among hex digits): `openssl rand -hex 32` and `openssl rand
//! -base64 32` (256 random bits) estimate at about 210 bits, and at no less
//! than 175 in 6000 samples, well clear of the bound. 128 random bits written out (`openssl rand -hex
//! 16`) estimate below the bound, mostly because the Shannon estimate
//! undercounts short strings; the error asks for 32 bytes, as the README does.

use zxcvbn::matching::patterns::MatchPattern;

/// The least estimated strength production accepts.
pub(crate) const MIN_BITS: f64 = 128.0;

/// The least the web layer can key its HMACs with, in any mode.
pub(crate) const MIN_BYTES: usize = 32;

/// Characters the pattern estimate reads.
#[cfg(not(fuzzing))]
const PATTERN_WINDOW: usize = 128;
/// Fewer under the fuzzer (cargo-fuzz sets `cfg(fuzzing)`): instrumented,
/// this estimate takes seconds per secret, and the configuration target
/// checks what the loader does with a secret, not how strong it is.
#[cfg(fuzzing)]
const PATTERN_WINDOW: usize = 20;

/// Characters zxcvbn is shown at once: few enough that even random ones stay
/// within its 64-bit guess counts (10 guesses a character).
const ZXCVBN_WINDOW: usize = 16;

/// Stretches shorter than this are not worth a copy or a pattern.
const MIN_PIECE: usize = 3;

/// The estimated strength of `secret`, in bits (the least of the three).
pub(crate) fn estimated_bits(secret: &str) -> f64 {
    let chars: Vec<char> = secret.chars().collect();
    let per_char = alphabet_size(&chars).log2();
    alphabet_bits(&chars, per_char)
        .min(shannon_bits(&chars))
        .min(pattern_bits(&chars, per_char))
}

/// The size of the alphabet `chars` look drawn from.
fn alphabet_size(chars: &[char]) -> f64 {
    if chars.iter().all(char::is_ascii_digit) {
        return 10.0;
    }
    if chars.iter().all(char::is_ascii_hexdigit) {
        return 16.0;
    }
    let base64 = |c: &char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '=');
    if chars.iter().all(base64) {
        return 64.0;
    }
    let mut size = 0.0;
    for (present, class) in [
        (chars.iter().any(char::is_ascii_lowercase), 26.0),
        (chars.iter().any(char::is_ascii_uppercase), 26.0),
        (chars.iter().any(char::is_ascii_digit), 10.0),
        (
            chars.iter().any(|c| c.is_ascii_punctuation() || *c == ' '),
            33.0,
        ),
    ] {
        if present {
            size += class;
        }
    }
    let mut other: Vec<char> = chars.iter().copied().filter(|c| !c.is_ascii()).collect();
    other.sort_unstable();
    other.dedup();
    // Control characters alone still make an alphabet of one, not of none.
    (size + other.len() as f64).max(1.0)
}

/// Length × log2(alphabet), not counting base64 padding.
fn alphabet_bits(chars: &[char], per_char: f64) -> f64 {
    let padding = chars.iter().rev().take_while(|c| **c == '=').count();
    (chars.len() - padding) as f64 * per_char
}

/// Length × the Shannon entropy of the character frequencies.
fn shannon_bits(chars: &[char]) -> f64 {
    let mut sorted = chars.to_vec();
    sorted.sort_unstable();
    let total = chars.len() as f64;
    let per_char: f64 = sorted
        .chunk_by(|a, b| a == b)
        .map(|run| {
            let p = run.len() as f64 / total;
            -p * p.log2()
        })
        .sum();
    total * per_char
}

/// The cheapest description of the first [`PATTERN_WINDOW`] characters
/// as single characters, copies and zxcvbn patterns.
fn pattern_bits(chars: &[char], per_char: f64) -> f64 {
    let text = &chars[..chars.len().min(PATTERN_WINDOW)];
    let n = text.len();
    let single = single_bits(text, per_char);
    let copies = longest_copies(text);
    // cheapest[i]: the cheapest description of text[..i] found so far.
    let mut cheapest = vec![f64::INFINITY; n + 1];
    cheapest[0] = 0.0;
    let lower = |slot: &mut f64, cost: f64| *slot = slot.min(cost);
    for start in 0..n {
        let here = cheapest[start];
        lower(&mut cheapest[start + 1], here + single[start]);
        if copies[start] >= MIN_PIECE {
            // Where the copy starts (one of `start` places) and how long it is.
            let cost = (start as f64).log2().max(1.0) + (n as f64).log2();
            for slot in &mut cheapest[start + MIN_PIECE..=start + copies[start]] {
                lower(slot, here + cost);
            }
        }
        // Stretches from here that zxcvbn reads as one pattern. It is asked
        // about each stretch whole, rather than for its own best split of a
        // longer one: its split breaks ties by hash order, so the cost
        // of the same secret could differ from one start to the next.
        for end in start + MIN_PIECE..=n.min(start + ZXCVBN_WINDOW) {
            let stretch: String = text[start..end].iter().collect();
            if let [piece] = zxcvbn::zxcvbn(&stretch, &[]).sequence()
                && piece.pattern != MatchPattern::BruteForce
            {
                let guesses = piece.guesses.unwrap_or(1).max(1) as f64;
                lower(&mut cheapest[end], here + guesses.log2());
            }
        }
    }
    cheapest[n]
}

/// What each character costs on its own: at most `per_char`, less for a
/// character already frequent before it (the Krichevsky–Trofimov estimate,
/// an adaptive code that needs no knowledge of the frequencies in advance).
fn single_bits(text: &[char], per_char: f64) -> Vec<f64> {
    let alphabet = per_char.exp2();
    text.iter()
        .enumerate()
        .map(|(i, c)| {
            let seen = text[..i].iter().filter(|d| *d == c).count() as f64;
            let p = (seen + 0.5) / (i as f64 + 0.5 * alphabet);
            (-p.log2()).min(per_char)
        })
        .collect()
}

/// For each position, the longest stretch from it that also starts at an
/// earlier position (overlapping allowed: `aaaa` is `a` and a copy of 3).
fn longest_copies(text: &[char]) -> Vec<usize> {
    (0..text.len())
        .map(|start| {
            (0..start)
                .map(|from| {
                    text[start..]
                        .iter()
                        .zip(&text[from..])
                        .take_while(|(a, b)| a == b)
                        .count()
                })
                .max()
                .unwrap_or(0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn random_bytes() -> [u8; 32] {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        bytes
    }

    /// What `openssl rand -hex 32` and `openssl rand -base64 32` print, and
    /// the URL-safe base64 some generators use instead.
    fn generated() -> [String; 3] {
        [
            hex::encode(random_bytes()),
            base64::engine::general_purpose::STANDARD.encode(random_bytes()),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes()),
        ]
    }

    #[test]
    fn generated_secrets_of_32_random_bytes_pass_with_room_to_spare() {
        // Over 6000 samples the weakest estimate was 175 bits and the mean
        // 211; a few dozen here keep the suite quick.
        let mut weakest = f64::MAX;
        for _ in 0..20 {
            for secret in generated() {
                let bits = estimated_bits(&secret);
                assert!(bits >= MIN_BITS, "{secret} estimated at {bits:.0} bits");
                weakest = weakest.min(bits);
            }
        }
        assert!(
            weakest > MIN_BITS + 32.0,
            "weakest estimate {weakest:.0} bits"
        );
    }

    #[test]
    fn openssl_output_passes() {
        for secret in [
            "34b9f94e2013752a56a46c8b8a96658226c1b1b4c0945b30eaefb2c96e46e428",
            "5a9615132fff686a316846a37d10747825c51da81206ec0700575bbd250f67c3",
            "7U6Qqz1zZTzC2hlJILOX3QOgayWLE65VrdOmrRwOE4A=",
            "HKdG5F/rireN9gwIrq/GXj0B3KS/PJR2q4EFFx6+rtk=",
        ] {
            assert!(estimated_bits(secret) >= MIN_BITS, "{secret}");
        }
    }

    #[test]
    fn repeated_sequential_and_dictionary_secrets_fail() {
        for secret in [
            "passwordpasswordpasswordpassword".to_owned(),
            "password".repeat(12),
            "0123456789abcdef".repeat(2),
            "0123456789abcdef".repeat(6),
            "a".repeat(64),
            "abcdefghijklmnopqrstuvwxyz0123456789".to_owned(),
            "correct horse battery staple correct horse battery staple".to_owned(),
            "the quick brown fox jumps over the lazy dog again".to_owned(),
            "my super secret production key for portcullis".to_owned(),
            "test-secret-0123456789-abcdefghijklmnop".to_owned(),
            "qwertyuiopasdfghjklzxcvbnm1234567890".to_owned(),
            // 128 random bits written out: at the bound, under the estimate.
            "34b9f94e2013752a56a46c8b8a966582".to_owned(),
        ] {
            let bits = estimated_bits(&secret);
            assert!(bits < MIN_BITS, "{secret} estimated at {bits:.0} bits");
        }
    }

    #[test]
    fn each_estimate_catches_its_kind_of_weakness() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        // Flat and wide, but one word over and over: only patterns see it.
        let words = chars(&"Tr0ub4dor&3".repeat(6));
        assert!(pattern_bits(&words, alphabet_size(&words).log2()) < MIN_BITS);
        assert!(shannon_bits(&words) > MIN_BITS);
        // Few distinct characters in a random-looking order: Shannon sees it.
        let two = chars("abbaababbbaabaabbabaaabbababbbaabababbaabbaabab");
        assert!(shannon_bits(&two) < MIN_BITS);
        // Short: the alphabet estimate sees it.
        let short = chars("Zq3$");
        assert!(alphabet_bits(&short, alphabet_size(&short).log2()) < 30.0);
        assert_eq!(alphabet_size(&chars("deadbeef")), 16.0);
        assert_eq!(alphabet_size(&chars("dead+beef/Q=")), 64.0);
        assert_eq!(alphabet_size(&chars("a b")), 59.0);
    }
}
