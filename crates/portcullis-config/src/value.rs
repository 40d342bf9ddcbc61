//! Reading one value as the type its key declares. Environment variables are
//! always text; TOML values are typed, and a TOML string is read the way the
//! same text in the environment would be, so `max_connections = "10"` and
//! `PORTCULLIS_DATABASE__MAX_CONNECTIONS=10` mean the same. Text keys take
//! their value exactly as given: nothing turns `007` into `7` or a long run of
//! digits into a float.
//!
//! The result is the TOML value the settings types deserialize from: numbers
//! as integers, booleans as booleans, everything else as (checked) text.

use super::keys::Kind;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use toml::Value;

/// The longest duration any key accepts: a century. Durations are added to
/// dates and clock readings (expiries, lockouts, timeouts), and far past
/// that they overflow the calendar (after the year 9999) or the clock;
/// nothing a server does needs longer.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(100 * 31_557_600);

/// A value as it was given.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Raw<'a> {
    Env(&'a str),
    Toml(&'a Value),
}

/// Reads `raw` as `kind`, or says what is wrong with it (without the key,
/// which the caller adds).
pub(crate) fn parse(kind: Kind, raw: Raw<'_>) -> Result<Value, String> {
    match (kind, raw) {
        (Kind::Text | Kind::Path, Raw::Env(text)) => Ok(Value::String(text.to_owned())),
        (Kind::Text | Kind::Path, Raw::Toml(Value::String(text))) => {
            Ok(Value::String(text.clone()))
        }
        (Kind::Text | Kind::Path, Raw::Toml(other)) => {
            Err(format!("{} is not text (write it in quotes)", shown(other)))
        }
        (Kind::Bool, Raw::Toml(Value::Boolean(b))) => Ok(Value::Boolean(*b)),
        (Kind::Number { max }, Raw::Toml(Value::Integer(n))) => u64::try_from(*n)
            .ok()
            .filter(|n| *n <= max)
            .map(|_| Value::Integer(*n))
            .ok_or_else(|| format!("{n} is not a whole number from 0 to {max}")),
        (Kind::Networks, Raw::Toml(Value::Array(items))) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => network(text),
                other => Err(format!(
                    "{} is not an IP address or CIDR range",
                    shown(other)
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (Kind::TextList, Raw::Toml(Value::Array(items))) => {
            match items.iter().find(|item| !item.is_str()) {
                Some(other) => Err(format!("{} is not text (write it in quotes)", shown(other))),
                None => Ok(Value::Array(items.clone())),
            }
        }
        (Kind::TextList, Raw::Env(text)) => Ok(Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        )),
        (Kind::Tables, Raw::Env(_)) => Err("can only be set in the configuration file".to_owned()),
        (Kind::Tables, Raw::Toml(Value::Array(items))) if items.iter().all(Value::is_table) => {
            Ok(Value::Array(items.clone()))
        }
        (_, Raw::Env(text)) => from_text(kind, text),
        (_, Raw::Toml(Value::String(text))) => from_text(kind, text),
        (_, Raw::Toml(other)) => Err(format!("{} is not {}", shown(other), what(kind))),
    }
}

/// Reads text as `kind`.
fn from_text(kind: Kind, text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    let refused = || format!("{text:?} is not {}", what(kind));
    match kind {
        Kind::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Boolean(true)),
            "false" => Ok(Value::Boolean(false)),
            _ => Err(refused()),
        },
        Kind::Number { max } => match trimmed.parse::<u64>() {
            Ok(n) if n <= max => i64::try_from(n).map(Value::Integer).map_err(|_| refused()),
            Ok(_) => Err(format!("{text:?} is more than {max}")),
            Err(_) => Err(refused()),
        },
        Kind::Duration => match humantime::parse_duration(trimmed) {
            Ok(d) if d > MAX_DURATION => Err(format!(
                "{text:?} is longer than {}, the longest duration accepted",
                humantime::format_duration(MAX_DURATION)
            )),
            Ok(_) => Ok(Value::String(trimmed.to_owned())),
            Err(_) => Err(refused()),
        },
        Kind::Url => url::Url::parse(trimmed)
            .map(|_| Value::String(trimmed.to_owned()))
            .map_err(|_| refused()),
        Kind::SocketAddr => trimmed
            .parse::<SocketAddr>()
            .map(|addr| Value::String(addr.to_string()))
            .map_err(|_| refused()),
        Kind::Choice(words) => words
            .iter()
            .find(|w| w.eq_ignore_ascii_case(trimmed))
            .map(|w| Value::String((*w).to_owned()))
            .ok_or_else(refused),
        Kind::Networks => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(network)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Kind::Text | Kind::Path => Ok(Value::String(text.to_owned())),
        Kind::Id => id(text).map(|()| Value::String(text.to_owned())),
        Kind::TextList | Kind::Tables => Err(refused()),
    }
}

/// The longest id.
const MAX_ID: usize = 32;

/// Checks the id `text` (of a table the operator names). An id is a URL
/// segment (`/auth/oidc/<id>/callback`) and a segment of variable names
/// (`PORTCULLIS_OIDC__PROVIDERS__<ID>__CLIENT_ID`, split at `__` and read in
/// lower case), so it is lower case, and neither holds `__` nor ends in `_`,
/// which would move where the variable's segments split.
pub(crate) fn id(text: &str) -> Result<(), String> {
    let fine = (1..=MAX_ID).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
        && !text.contains("__")
        && !text.ends_with('_');
    if fine {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not an id: 1 to {MAX_ID} of a-z, 0-9, _ and -, starting with a letter, \
             without __ or a final _ (it is a URL segment and part of variable names)"
        ))
    }
}

/// The longest DNS name, and the longest label in one.
const MAX_DNS_NAME: usize = 253;
const MAX_DNS_LABEL: usize = 63;

/// Whether `name` is a DNS name in lower case, without a final dot: labels
/// of 1 to 63 of `a-z`, `0-9` and `-`, not starting or ending with `-`,
/// separated by dots, 253 characters at most.
pub(crate) fn is_dns_name(name: &str) -> bool {
    (1..=MAX_DNS_NAME).contains(&name.len())
        && name.split('.').all(|label| {
            (1..=MAX_DNS_LABEL).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// A bare address (one host: /32 or /128) or a CIDR range, as CIDR text
/// without host bits (`10.1.2.3/8` is `10.0.0.0/8`), so that equal ranges
/// compare equal.
fn network(text: &str) -> Result<Value, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map(|net| Value::String(net.trunc().to_string()))
        .map_err(|_| format!("{text:?} is not an IP address or CIDR range"))
}

/// What a value of `kind` looks like, for "… is not a duration".
fn what(kind: Kind) -> String {
    match kind {
        Kind::Text | Kind::Path => "text".to_owned(),
        Kind::Bool => "true or false".to_owned(),
        Kind::Number { max } => format!("a whole number from 0 to {max}"),
        Kind::Duration => "a duration".to_owned(),
        Kind::Url => "a URL".to_owned(),
        Kind::SocketAddr => "an IP address with a port".to_owned(),
        Kind::Choice(words) => format!("one of {}", words.join(", ")),
        Kind::Networks => "a list of IP addresses or CIDR ranges".to_owned(),
        Kind::TextList => "a list of text".to_owned(),
        Kind::Tables => "a list of tables".to_owned(),
        Kind::Id => "an id".to_owned(),
    }
}

/// A TOML value as a message quotes it.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("{text:?}"),
        Value::Table(_) => "a table".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(kind: Kind, text: &str) -> Result<Value, String> {
        parse(kind, Raw::Env(text))
    }

    #[test]
    fn text_is_kept_exactly_as_given() {
        for text in [
            "007",
            "1e400",
            "12345678901234567890123456789012345",
            " padded ",
            "",
        ] {
            assert_eq!(env(Kind::Text, text), Ok(Value::String(text.into())));
        }
        assert!(parse(Kind::Text, Raw::Toml(&Value::Integer(7))).is_err());
    }

    #[test]
    fn numbers_booleans_and_durations_parse_from_text_or_say_why_not() {
        let number = Kind::Number { max: 65535 };
        assert_eq!(env(number, "2525"), Ok(Value::Integer(2525)));
        assert_eq!(
            env(number, "lots"),
            Err("\"lots\" is not a whole number from 0 to 65535".into())
        );
        assert_eq!(
            env(number, "70000"),
            Err("\"70000\" is more than 65535".into())
        );
        assert!(env(number, "-1").is_err() && env(number, "1.5").is_err());
        assert_eq!(env(Kind::Bool, "TRUE"), Ok(Value::Boolean(true)));
        assert_eq!(
            env(Kind::Bool, "yes"),
            Err("\"yes\" is not true or false".into())
        );
        assert_eq!(env(Kind::Duration, "5m"), Ok(Value::String("5m".into())));
        assert_eq!(
            env(Kind::Duration, "soon"),
            Err("\"soon\" is not a duration".into())
        );
        let toml_string = Value::String("10".into());
        assert_eq!(
            parse(number, Raw::Toml(&toml_string)),
            Ok(Value::Integer(10))
        );
        assert!(parse(number, Raw::Toml(&Value::Integer(-3))).is_err());
    }

    #[test]
    fn durations_past_a_century_are_refused_before_they_overflow_a_date() {
        assert_eq!(
            env(Kind::Duration, "100y"),
            Ok(Value::String("100y".into()))
        );
        assert_eq!(
            env(Kind::Duration, "101y"),
            Err("\"101y\" is longer than 100years, the longest duration accepted".into())
        );
        // Past the year 9999: this one used to load, and overflowed the
        // first expiry computed from it.
        assert!(env(Kind::Duration, "10000y").is_err());
        assert!(env(Kind::Duration, "18446744073709551615s").is_err());
    }

    #[test]
    fn networks_are_bare_addresses_or_cidr_ranges_separated_by_commas() {
        let parsed = env(
            Kind::Networks,
            "10.0.0.1, 192.168.0.0/16,::1 ,2001:db8::/32,",
        )
        .unwrap();
        let expected: Vec<Value> = ["10.0.0.1/32", "192.168.0.0/16", "::1/128", "2001:db8::/32"]
            .into_iter()
            .map(|s| Value::String(s.into()))
            .collect();
        assert_eq!(parsed, Value::Array(expected.clone()));
        let toml = Value::Array(vec![
            Value::String("10.0.0.1".into()),
            Value::String("192.168.0.0/16".into()),
            Value::String("::1".into()),
            Value::String("2001:db8::/32".into()),
        ]);
        assert_eq!(
            parse(Kind::Networks, Raw::Toml(&toml)),
            Ok(Value::Array(expected))
        );
        assert_eq!(env(Kind::Networks, ""), Ok(Value::Array(vec![])));
        assert_eq!(
            env(Kind::Networks, "10.0.0.1, proxy.internal"),
            Err("\"proxy.internal\" is not an IP address or CIDR range".into())
        );
    }

    #[test]
    fn ids_are_url_and_variable_segments() {
        for fine in [
            "google",
            "my-corp",
            "my_corp",
            "a",
            "k8s-2",
            &"a".repeat(32),
        ] {
            assert_eq!(id(fine), Ok(()), "{fine}");
        }
        for bad in [
            "",
            "Google",
            "1st",
            "-corp",
            "_corp",
            "my corp",
            "my.corp",
            "my__corp",
            "corp_",
            "caf\u{e9}",
            &"a".repeat(33),
        ] {
            assert!(id(bad).is_err(), "{bad:?}");
        }
        assert!(
            id("Google")
                .unwrap_err()
                .starts_with("\"Google\" is not an id: 1 to 32 of a-z")
        );
    }

    #[test]
    fn dns_names_are_lower_case_labels_separated_by_dots() {
        for fine in ["example.com", "grafana", "a-1.b2.example", &"a".repeat(63)] {
            assert!(is_dns_name(fine), "{fine}");
        }
        for bad in [
            "",
            "Example.com",
            "example.com.",
            ".example.com",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "caf\u{e9}.com",
            &"a".repeat(64),
            &format!("{}.com", vec!["a".repeat(60); 5].join(".")),
        ] {
            assert!(!is_dns_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn choices_ignore_case_and_list_the_alternatives() {
        let tls = Kind::Choice(&["none", "starttls", "tls"]);
        assert_eq!(env(tls, "STARTTLS"), Ok(Value::String("starttls".into())));
        assert_eq!(
            env(tls, "maybe"),
            Err("\"maybe\" is not one of none, starttls, tls".into())
        );
    }
}
