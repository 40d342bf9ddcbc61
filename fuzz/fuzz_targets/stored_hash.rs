//! Stored credential formats: password hashes as the verifier dispatches
//! and parses them (argon2 PHC strings, and the werkzeug, bcrypt, passlib
//! and Django strings imports bring), and sealed secrets (TOTP seeds).
//! Input: a password on the first line, the stored value after it.
//!
//! Dispatch follows the prefix; a PHC string the verifier accepts formats
//! and parses back to the same parameters, with values argon2 allows; a
//! stored value it refuses never verifies; a fresh hash of the password
//! parses with the configured parameters and verifies that password and no
//! other; a stored hash asking for more work than the bounds is refused
//! without being computed; an imported format's string names its format,
//! and one over its bounds is refused; a sealed value opens to what was sealed, and any one character
//! changed in it no longer opens.
#![no_main]

use argon2::password_hash::phc::PasswordHash;
use libfuzzer_sys::fuzz_target;
use portcullis_core::HashingConfig;
use portcullis_core::fuzzing::{
    MAX_STORED_MEMORY_KIB, MAX_STORED_WORK, hash, parse_argon2, parse_imported, stored_format,
    verify,
};
use portcullis_core::sealing::SecretBox;

/// The cheapest parameters argon2 allows, so that every input is quick.
const CHEAP: HashingConfig = HashingConfig {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
    max_concurrent: 1,
};

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let (password, stored) = input.split_once('\n').unwrap_or((&input, ""));

    // "argon2" names exactly the PHC strings the verifier parses; a
    // garbled one is "unknown", like any string of no format.
    assert_eq!(
        stored_format(stored) == "argon2",
        parse_argon2(stored).is_some(),
        "{stored:?}"
    );
    match parse_argon2(stored) {
        Some(parsed) => {
            assert!(stored.starts_with("$argon2"), "{stored:?}");
            assert!(["argon2d", "argon2i", "argon2id"].contains(&parsed.algorithm.as_str()));
            assert!([0x10, 0x13].contains(&parsed.version), "{parsed:?}");
            assert!(parsed.memory_kib >= 8 * parsed.parallelism, "{parsed:?}");
            assert!(
                parsed.iterations >= 1 && parsed.parallelism >= 1,
                "{parsed:?}"
            );
            let phc = PasswordHash::new(stored).expect("the verifier parsed it");
            let written = phc.to_string();
            assert_eq!(
                parse_argon2(&written),
                Some(parsed.clone()),
                "{stored} → {written}"
            );
            // Over the bounds it is refused before any work; within them
            // only cheap ones are computed here, to keep runs quick.
            let work = u64::from(parsed.memory_kib) * u64::from(parsed.iterations);
            let over = parsed.memory_kib > MAX_STORED_MEMORY_KIB || work > MAX_STORED_WORK;
            if over || work <= 4096 {
                let verified = verify(CHEAP, password, stored).expect("cheap parameters are valid");
                assert!(!verified.needs_rehash || verified.matches);
                assert!(!(over && verified.matches), "{stored} is over the bounds");
            }
        }
        None if stored.starts_with("$argon2") => {
            assert_eq!(stored_format(stored), "unknown", "{stored:?}");
            let verified = verify(CHEAP, password, stored).expect("cheap parameters are valid");
            assert!(!verified.matches, "{stored:?} verified without parsing");
        }
        None => {}
    }

    // Formats of other systems: parsed before any work, and over their
    // bounds refused (affordable ones may take a second, so are not run).
    match parse_imported(stored) {
        Some((format, affordable)) => {
            assert_eq!(stored_format(stored), format, "{stored:?}");
            assert!(!stored.starts_with("$argon2"));
            if !affordable {
                let verified = verify(CHEAP, password, stored).expect("cheap parameters are valid");
                assert!(!verified.matches, "{stored:?} is over the bounds");
            }
        }
        None if stored_format(stored) == "unknown" => {
            let verified = verify(CHEAP, password, stored).expect("cheap parameters are valid");
            assert!(!verified.matches, "{stored:?} is of no format");
        }
        None => {}
    }

    // A fresh hash.
    let fresh = hash(CHEAP, password).expect("cheap parameters are valid");
    let parsed = parse_argon2(&fresh).expect("our own hash parses");
    assert_eq!(
        (
            parsed.algorithm.as_str(),
            parsed.version,
            parsed.memory_kib,
            parsed.iterations,
            parsed.parallelism
        ),
        ("argon2id", 0x13, 8, 1, 1)
    );
    let verified = verify(CHEAP, password, &fresh).expect("valid");
    assert!(verified.matches && !verified.needs_rehash);
    let other = format!("{password}\u{0}");
    assert!(!verify(CHEAP, &other, &fresh).expect("valid").matches);

    // Sealed secrets.
    let sealer = SecretBox::new(b"the fuzz targets' secret, 32 bytes", &[]);
    if let Ok(opened) = sealer.open(stored) {
        let again = sealer.open(&sealer.seal(&opened.plaintext)).expect("opens");
        assert_eq!(again.plaintext, opened.plaintext);
    }
    let sealed = sealer.seal(password.as_bytes());
    let opened = sealer.open(&sealed).expect("a fresh seal opens");
    assert_eq!(opened.plaintext, password.as_bytes());
    assert!(!opened.stale);
    let at = data.first().map_or(0, |&b| usize::from(b)) % sealed.len();
    let mut altered: Vec<u8> = sealed.clone().into_bytes();
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).expect("ASCII");
    assert!(
        sealer.open(&altered).is_err(),
        "{sealed} altered at {at} still opens"
    );
});
