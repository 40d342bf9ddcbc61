//! A duration value as the configuration reads it (from the environment or
//! as TOML text). Input: the text.
//!
//! A duration it accepts can be added to today's date and to the monotonic
//! clock (what session expiry, lockouts and token lifetimes do with it),
//! and it reads back the same from the way the settings write it out; a
//! refusal quotes the text it refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_config::fuzzing::duration;
use std::time::{Instant, SystemTime};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match duration(&text) {
        Ok(d) => {
            let span = time::Duration::try_from(d).expect("fits a signed duration");
            assert!(
                time::OffsetDateTime::now_utc().checked_add(span).is_some(),
                "{text:?} ({d:?}) overflows a date"
            );
            assert!(
                Instant::now().checked_add(d).is_some(),
                "{text:?} overflows"
            );
            assert!(
                SystemTime::now().checked_add(d).is_some(),
                "{text:?} overflows"
            );
            let written = humantime::format_duration(d).to_string();
            assert_eq!(duration(&written), Ok(d), "{text:?} written as {written:?}");
            assert_eq!(humantime::parse_duration(text.trim()), Ok(d));
        }
        Err(problem) => {
            assert!(problem.contains(&format!("{text:?}")), "{problem}");
        }
    }
});
