//! The hasher: argon2id, its bounds, and the formats imported from other
//! systems.

use super::*;

fn cheap(memory_kib: u32) -> PasswordHasher {
    PasswordHasher::new(HashingConfig {
        memory_kib,
        iterations: 1,
        parallelism: 1,
        max_concurrent: 2,
    })
    .unwrap()
}

#[tokio::test]
async fn a_hash_verifies_its_password_and_nothing_else() {
    let hasher = cheap(1024);
    let hash = hasher.hash("correct horse").await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
    let ok = hasher.verify("correct horse", &hash).await.unwrap();
    assert_eq!(
        ok,
        Verified {
            matches: true,
            needs_rehash: false
        }
    );
    let bad = hasher.verify("correct horsE", &hash).await.unwrap();
    assert!(!bad.matches);
}

#[tokio::test]
async fn changed_parameters_ask_for_a_rehash_only_on_a_match() {
    let old = cheap(1024).hash("pw-123456").await.unwrap();
    let hasher = cheap(2048);
    assert_eq!(
        hasher.verify("pw-123456", &old).await.unwrap(),
        Verified {
            matches: true,
            needs_rehash: true
        }
    );
    assert!(!hasher.verify("wrong", &old).await.unwrap().needs_rehash);
}

#[tokio::test]
async fn unknown_or_garbled_hashes_never_match() {
    let hasher = cheap(1024);
    for stored in ["", "plaintext", "$argon2id$garbage", "md5$abc"] {
        assert!(
            !hasher.verify("plaintext", stored).await.unwrap().matches,
            "{stored}"
        );
    }
    hasher.verify_dummy("anything").await.unwrap();
}

#[tokio::test]
async fn hashes_interoperate_with_the_argon2_crates_own_phc_code() {
    use argon2::{PasswordHasher as _, PasswordVerifier as _};
    let params = Params::new(1024, 1, 1, None).unwrap();
    let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let hasher = cheap(1024);

    let ours = hasher.hash("pw-123456").await.unwrap();
    let parsed = PasswordHash::new(&ours).unwrap();
    assert!(reference.verify_password(b"pw-123456", &parsed).is_ok());
    assert!(reference.verify_password(b"pw-1234567", &parsed).is_err());

    let theirs = reference.hash_password(b"pw-123456").unwrap().to_string();
    assert_eq!(
        hasher.verify("pw-123456", &theirs).await.unwrap(),
        Verified {
            matches: true,
            needs_rehash: false
        }
    );
}

#[tokio::test]
async fn a_hash_costlier_than_the_configuration_still_verifies() {
    let costly = cheap(4096).hash("pw-123456").await.unwrap();
    let hasher = cheap(1024);
    assert_eq!(
        hasher.verify("pw-123456", &costly).await.unwrap(),
        Verified {
            matches: true,
            needs_rehash: true
        }
    );
    assert!(!hasher.verify("pw-654321", &costly).await.unwrap().matches);
}

#[tokio::test]
async fn a_stored_hash_asking_for_absurd_work_is_refused_without_computing_it() {
    let hasher = cheap(1024);
    let real = hasher.hash("pw-123456").await.unwrap();
    let (_, output) = real.rsplit_once('$').unwrap();
    // Each would take terabytes or days if computed; refused, they
    // answer at once.
    for cost in [
        "m=4294967295,t=1,p=1",
        "m=8,t=4294967295,p=1",
        "m=1048577,t=1,p=1",
        "m=1048576,t=5,p=1",
    ] {
        let stored = format!("$argon2id$v=19${cost}$c29tZXNhbHRzb21lc2FsdA${output}");
        assert!(ParsedArgon2::parse(&stored).is_some(), "{stored}");
        let verified = hasher.verify("pw-123456", &stored).await.unwrap();
        assert!(!verified.matches, "{cost}");
    }
}

#[test]
fn the_configured_cost_is_always_affordable() {
    let costly = Params::new(2 * MAX_STORED_MEMORY_KIB, 3, 1, None).unwrap();
    let stored = format!(
        "$argon2id$v=19$m={},t=3,p=1$c29tZXNhbHRzb21lc2FsdA$Zb6l6iFmKBnEe4vUUJj3LjgeVhhybLN2jiVDA7WxXyg",
        2 * MAX_STORED_MEMORY_KIB
    );
    let parsed = ParsedArgon2::parse(&stored).unwrap();
    assert!(parsed.affordable(&costly));
    assert!(!parsed.affordable(&Params::default()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn working_memory_never_exceeds_one_buffer_per_permit() {
    let hasher = cheap(1024);
    let hash = hasher.hash("pw-123456").await.unwrap();
    let attempts: Vec<_> = (0..16)
        .map(|_| {
            let (hasher, hash) = (hasher.clone(), hash.clone());
            tokio::spawn(async move { hasher.verify("pw-123456", &hash).await })
        })
        .collect();
    for attempt in attempts {
        assert!(attempt.await.unwrap().unwrap().matches);
    }
    let buffers = hasher.memory.free.lock().unwrap().len();
    assert!(
        (1..=2).contains(&buffers),
        "{buffers} buffers for 2 permits"
    );
    assert_eq!(hasher.permits.available_permits(), 2);
}

#[test]
fn default_parameters_are_owasp_argon2id() {
    let config = HashingConfig::default();
    assert_eq!(
        (config.memory_kib, config.iterations, config.parallelism),
        (19456, 2, 1)
    );
}

/// Hashes of `pw-Grüße-1` made by the libraries themselves (werkzeug 3.1,
/// bcrypt 5.0, libpass 1.9, whose `passlib` module Flask-Security uses; the
/// pre-2.3 werkzeug strings with Python's `hmac`, as that werkzeug's
/// `_hash_internal` made them), at low cost so the tests stay quick.
const IMPORTED: &[(&str, &str)] = &[
    (
        "werkzeug-pbkdf2",
        "pbkdf2:sha256:1000$6LGije1BPv3z6KLW$92d81c07ac871c0de8d0c1ba4c87a9dcf470918309ff3b925ddc6b178f1b78f6",
    ),
    (
        "werkzeug-pbkdf2",
        "pbkdf2:sha512:1000$u99qH7VtypWuCVo7$63bb3c6d463c32a2602cc60facf0c5b0ed27012205407c20911b81c0e6613e18707306c595a7d06ec5f2e1dde921a0ee53772f062cc9909ce429d8c22f6f4cc6",
    ),
    (
        "werkzeug-scrypt",
        "scrypt:1024:8:1$MBdSByWSlefetlhd$0e132ecc10ea5306f7b89542c383e21dbe1e6c1adb1acfa938bbb91f2424d38d1ebd559321346fd948fb5b2b45f544b3782239e87b8f3b0fdc6d0a74e57fd4bd",
    ),
    (
        "bcrypt",
        "$2b$04$H/lQ46nQdbceDW52.4qi9OhVS3Anbx7BH0EjIQO3hnpV8a4bAQSj6",
    ),
    (
        "bcrypt",
        "$2y$04$DnMEFje9qHdETFghsx4ceu5L3l3f.8gmV.lkTZh89X1tzi84T/2YS",
    ),
    (
        "bcrypt-sha256",
        "$bcrypt-sha256$v=2,t=2b,r=4$UUQAdiJBYnxw5ejduq4qSO$iFvlFaOg/4hoNHna5GIcP2G.QZ4NGpG",
    ),
    (
        "bcrypt-sha256",
        "$bcrypt-sha256$2b,4$MELg85qmk37Vw8Go7z5yte$rWDARL0ys8OvSuZxhmaOeL7itpePeGC",
    ),
    (
        "passlib-pbkdf2",
        "$pbkdf2-sha512$1000$.P9/b03pHcPY.38P4TznPA$ppnHIDg4GrN0SNrZzLlNv.XBlp7oFTf6TsATfkLiW8eyVLOgQJ64essUaBJhSq39R4X9wY7W47Hot4/yWT8auA",
    ),
    (
        "django-pbkdf2",
        "pbkdf2_sha256$1000$27bZCrD2cNcj$a7bG4kjneOToOeeanENKtq1Pk3wwreT6VRQMl83bals=",
    ),
    (
        "werkzeug-legacy",
        "sha256$Xy7$eb8908036685b8a515e849fbd6bf5702608ebf0830b8134fdbf27be2bd9e89f4",
    ),
    (
        "werkzeug-legacy",
        "sha1$$2e296052a1cc84340485870b88b314138663b952",
    ),
];

#[tokio::test]
async fn hashes_of_other_systems_verify_their_password_and_ask_for_argon2id() {
    let hasher = cheap(1024);
    for (format, stored) in IMPORTED {
        assert_eq!(format_name(stored), *format, "{stored}");
        assert_eq!(
            hasher.verify("pw-Grüße-1", stored).await.unwrap(),
            Verified {
                matches: true,
                needs_rehash: true
            },
            "{stored}"
        );
        for wrong in ["pw-Grüße-2", "pw-Gruße-1", "", "pw-Grüße-1 "] {
            let verified = hasher.verify(wrong, stored).await.unwrap();
            assert!(
                !verified.matches && !verified.needs_rehash,
                "{wrong} {stored}"
            );
        }
    }
}

#[tokio::test]
async fn imported_hashes_are_of_the_password_as_typed_not_normalised() {
    // werkzeug hashed the bytes it was given; the decomposed ü is another
    // password to it.
    let hasher = cheap(1024);
    let decomposed = "pw-Gru\u{308}ße-1";
    for (_, stored) in IMPORTED {
        assert!(
            !hasher.verify(decomposed, stored).await.unwrap().matches,
            "{stored}"
        );
    }
}

#[tokio::test]
async fn bcrypt_judges_only_the_first_72_bytes_as_every_bcrypt_does() {
    // bcrypt.hashpw(b"x" * 72, gensalt(4))
    let stored = "$2b$04$9RFEe3P0ccHcNKkIdAeKhunQ0WeGG2KnRwoDOL6AInYOEVGB1uRDu";
    let hasher = cheap(1024);
    let exact = "x".repeat(72);
    assert!(hasher.verify(&exact, stored).await.unwrap().matches);
    assert!(
        hasher
            .verify(&format!("{exact}tail"), stored)
            .await
            .unwrap()
            .matches
    );
    assert!(
        !hasher
            .verify(&"x".repeat(71), stored)
            .await
            .unwrap()
            .matches
    );
}

/// `hash_password("ﬁnal-Café-9" in NFKD)` of Flask-Security-Too 5.9 with
/// `SECURITY_PASSWORD_SALT = "fs-salt-123"`, pre-hashed (the default) and
/// with `SECURITY_PASSWORD_SINGLE_HASH = True`.
const FLASK_SECURITY: &[(bool, &str)] = &[
    (
        true,
        "$argon2id$v=19$m=1024,t=1,p=1$HgMgBKD0fg9hbK3VmhMCQA$ij40JpI+RXk2fTo/pXINyxgL7Cn4Ii/IfLYBidP5mzM",
    ),
    (
        true,
        "$2b$04$MEdvekZ7aBxU.T99S/vrJeySJUZ4M/qokUA3m6Ltl/zIPyJfgUaSG",
    ),
    (
        true,
        "$pbkdf2-sha512$1000$LUXIeS8FgNAaA.D8XysFoA$QIOqgHJ2ocu1ELgi26SpvjEaKdpbKT9jQ0S.FyhNSFyfd3O4GLPWFXlU8dE2Z.XtqjXLLY/ci/Qn71XA5b89Aw",
    ),
    (
        true,
        "$pbkdf2-sha256$1000$M2bs3Vtr7X0v5RzjHCNkjA$O2EVuCJ2q/eLlU2x/F7ya3qE53aYxbVPlmP5PucKZVo",
    ),
    (
        false,
        "$argon2id$v=19$m=1024,t=1,p=1$kNJa6x1jLEVIqTUmZKzVOg$Lf8eokeMS8UyiIBULLPt9qu2+hh5HMgZSfemSxiJyy0",
    ),
    (
        false,
        "$2b$04$bwbHcAai2EuETYNCZME6eOFqdPbVOC9b9AjNCIHufl5OJzed217nu",
    ),
    (
        false,
        "$pbkdf2-sha512$1000$UIoRghACIISQEmIM4by3Ng$5zMECvEia4HY46mS0F5EYxGE6OLNC5gA4bOtCC3Hnl/.swME9.JsvbTlBZKEOmt9T16z4L.CMbM9Nyrqr46JpQ",
    ),
    (
        false,
        "$pbkdf2-sha256$1000$/n.PkZIyZgzhfG.tNYYwJg$a8Bw/isNHd0V8OepPNRT7JLU.Tj4o0tlxRj/YgWcjtA",
    ),
];

fn marked(prehashed: bool, inner: &str) -> String {
    let prefix = if prehashed {
        FLASK_SECURITY_PREFIX
    } else {
        FLASK_SECURITY_SINGLE_PREFIX
    };
    format!("{prefix}{inner}")
}

#[tokio::test]
async fn flask_security_hashes_verify_with_its_salt_in_every_normal_form() {
    let hasher = cheap(1024).with_flask_security_salt(Some("fs-salt-123"));
    let wrong_salt = cheap(1024).with_flask_security_salt(Some("fs-salt-124"));
    let no_salt = cheap(1024);
    // As typed (a ligature and a composed é), NFKC as Portcullis keeps its
    // own, and NFKD as Flask-Security hashed it.
    let forms = ["ﬁnal-Café-9", "final-Café-9", "final-Cafe\u{301}-9"];
    for (prehashed, inner) in FLASK_SECURITY {
        let stored = marked(*prehashed, inner);
        for typed in forms {
            assert_eq!(
                hasher.verify(typed, &stored).await.unwrap(),
                Verified {
                    matches: true,
                    needs_rehash: true
                },
                "{typed} {stored}"
            );
        }
        assert!(
            !hasher
                .verify("final-Cafe-9", &stored)
                .await
                .unwrap()
                .matches
        );
        // Pre-hashed ones need the right salt; single-hash ones none.
        let with_wrong = wrong_salt.verify(forms[0], &stored).await.unwrap().matches;
        let without = no_salt.verify(forms[0], &stored).await.unwrap().matches;
        assert_eq!((with_wrong, without), (!prehashed, !prehashed), "{stored}");
        // Unmarked, a pre-hashed string is a hash of the HMAC, not of the
        // password; a single-hash argon2 string is of the NFKD form.
        if *prehashed {
            assert!(
                !hasher.verify(forms[0], inner).await.unwrap().matches,
                "{inner}"
            );
        }
    }
}

#[tokio::test]
async fn imported_hashes_asking_for_absurd_work_are_refused_without_computing_them() {
    let hasher = cheap(1024);
    for stored in [
        "pbkdf2:sha256:4294967295$salt$92d81c07ac871c0de8d0c1ba4c87a9dcf470918309ff3b925ddc6b178f1b78f6",
        "pbkdf2_sha256$100000000$salt$a7bG4kjneOToOeeanENKtq1Pk3wwreT6VRQMl83bals=",
        "scrypt:1073741824:8:1$salt$0e13",
        "scrypt:1024:8:4294967295$salt$0e13",
        "$2b$31$H/lQ46nQdbceDW52.4qi9OhVS3Anbx7BH0EjIQO3hnpV8a4bAQSj6",
        "$bcrypt-sha256$v=2,t=2b,r=31$UUQAdiJBYnxw5ejduq4qSO$iFvlFaOg/4hoNHna5GIcP2G.QZ4NGpG",
    ] {
        let parsed = imported::Imported::parse(stored).expect(stored);
        assert!(!parsed.affordable(), "{stored}");
        let started = std::time::Instant::now();
        assert!(!hasher.verify("pw-Grüße-1", stored).await.unwrap().matches);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{stored}"
        );
    }
}

#[test]
fn malformed_imported_hashes_are_unknown() {
    for stored in [
        "pbkdf2:sha256$salt$00",
        "pbkdf2:md5:1000$salt$00",
        "pbkdf2:sha256:01000$salt$00",
        "pbkdf2:sha256:1000$salt$xyz",
        "pbkdf2:sha256:1000$salt$",
        "scrypt:1000:8:1$salt$00",
        "sha256$salt$00",
        "md5$salt$d41d8cd98f00b204e9800998ecf8427e",
        "$2b$04$short",
        "$2c$04$H/lQ46nQdbceDW52.4qi9OhVS3Anbx7BH0EjIQO3hnpV8a4bAQSj6",
        "$bcrypt-sha256$v=2,t=2a,r=4$UUQAdiJBYnxw5ejduq4qSO$iFvlFaOg/4hoNHna5GIcP2G.QZ4NGpG",
        "$pbkdf2-md5$1000$salt$abc",
        "pbkdf2_sha256$1000$$a7bG4kjneOToOeeanENKtq1Pk3wwreT6VRQMl83bals=",
        "plain$$pw-Grüße-1",
        "pw-Grüße-1",
    ] {
        assert_eq!(format_name(stored), "unknown", "{stored}");
    }
}

#[tokio::test]
async fn a_hash_of_a_password_in_any_normal_form_verifies_in_every_form() {
    // What a login rehashes is the password as typed: the new hash must
    // verify at the next login whichever form the keyboard sends then.
    let hasher = cheap(1024);
    let forms = ["ﬁnal-Café-9", "final-Café-9", "final-Cafe\u{301}-9"];
    for hashed in forms {
        let stored = hasher.hash(hashed).await.unwrap();
        for typed in forms {
            let verified = hasher.verify(typed, &stored).await.unwrap();
            assert!(
                verified.matches && !verified.needs_rehash,
                "{hashed} → {typed}"
            );
        }
        assert!(
            !hasher
                .verify("final-Cafe-9", &stored)
                .await
                .unwrap()
                .matches
        );
    }
}
