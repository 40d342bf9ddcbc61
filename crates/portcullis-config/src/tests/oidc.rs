//! `[oidc.providers.<id>]`: the Google preset, other providers, the
//! environment, and what is refused.

use super::{env, load_toml, production};
use crate::{ResolvedProvider, Settings, SettingsError};

const GOOGLE: &str = "[oidc.providers.google]\n\
                      client_id = \"1234-abc.apps.googleusercontent.com\"\n\
                      client_secret = \"file-secret-GOCSPX\"\n";

/// The one provider `settings` hold.
fn only(settings: &Settings) -> ResolvedProvider {
    let mut all = settings.oidc_providers();
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

/// The message refusing `vars`.
fn refused_env(vars: &[(&str, &str)]) -> String {
    Settings::load(None, env(vars)).unwrap_err().to_string()
}

/// The message refusing the file `toml`.
fn refused_file(name: &str, toml: &str) -> String {
    load_toml(name, toml, &[]).unwrap_err().to_string()
}

/// A provider `acme` from the environment, with `extra` set over it.
fn acme(extra: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let mut vars = vec![
        ("PORTCULLIS_OIDC__PROVIDERS__ACME__CLIENT_ID", "acme-client"),
        (
            "PORTCULLIS_OIDC__PROVIDERS__ACME__CLIENT_SECRET",
            "acme-secret",
        ),
        (
            "PORTCULLIS_OIDC__PROVIDERS__ACME__ISSUER",
            "https://sso.acme.test",
        ),
    ];
    vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    vars.extend_from_slice(extra);
    Settings::load(None, env(&vars))
}

#[test]
fn no_providers_by_default() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert!(s.oidc.providers.is_empty() && s.oidc_providers().is_empty());
}

#[test]
fn google_needs_only_its_client_id_and_secret() {
    let s = load_toml("google-preset", GOOGLE, &[]).unwrap();
    let google = only(&s);
    assert_eq!(
        google,
        ResolvedProvider {
            id: "google".into(),
            name: "Google".into(),
            issuer: "https://accounts.google.com".into(),
            client_id: "1234-abc.apps.googleusercontent.com".into(),
            client_secret: "file-secret-GOCSPX".into(),
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            redirect_path: "/auth/oidc/google/callback".into(),
            allow_registration: true,
            trust_email: true,
            default_role: None,
            logout_at_provider: false,
        }
    );
}

#[test]
fn registration_settings_are_the_defaults_a_provider_follows() {
    let toml = format!("[registration]\nenabled = false\ndefault_role = \"Citizen\"\n{GOOGLE}");
    let google = only(&load_toml("google-registration", &toml, &[]).unwrap());
    assert!(!google.allow_registration);
    assert_eq!(google.default_role.as_deref(), Some("Citizen"));
    let toml = format!("{toml}allow_registration = true\ndefault_role = \"Googler\"\n");
    let google = only(&load_toml("google-own-registration", &toml, &[]).unwrap());
    assert!(google.allow_registration);
    assert_eq!(google.default_role.as_deref(), Some("Googler"));
}

#[test]
fn a_default_role_is_judged_at_start_as_registrations_is() {
    // The configuration cannot know the stored roles; the server's start
    // checks a provider's role as it checks registration.default_role.
    let toml = format!("{GOOGLE}default_role = \"Nobody\"\n");
    let google = only(&load_toml("google-role", &toml, &[]).unwrap());
    assert_eq!(google.default_role.as_deref(), Some("Nobody"));
}

#[test]
fn google_pointed_elsewhere_is_not_trusted_for_email_by_default() {
    let toml = format!("{GOOGLE}issuer = \"http://127.0.0.1:9000\"\n");
    let google = only(&load_toml("google-elsewhere", &toml, &[]).unwrap());
    assert_eq!(google.issuer, "http://127.0.0.1:9000");
    assert!(!google.trust_email);
    assert_eq!(google.name, "Google");
    let toml = format!("{toml}trust_email = true\n");
    assert!(only(&load_toml("google-elsewhere-trusted", &toml, &[]).unwrap()).trust_email);
}

#[test]
fn any_other_provider_is_named_by_its_id_and_not_trusted_for_email() {
    let s = load_toml(
        "generic",
        "[oidc.providers.my-corp]\n\
         client_id = \"corp-client\"\n\
         client_secret = \"corp-secret\"\n\
         issuer = \"https://sso.corp.test/realms/staff\"\n",
        &[],
    )
    .unwrap();
    let corp = only(&s);
    assert_eq!(corp.id, "my-corp");
    assert_eq!(corp.name, "my-corp");
    assert_eq!(
        corp.issuer, "https://sso.corp.test/realms/staff",
        "kept as given"
    );
    assert!(!corp.trust_email && corp.allow_registration && !corp.logout_at_provider);
    assert_eq!(corp.redirect_path, "/auth/oidc/my-corp/callback");
    assert_eq!(corp.callback_paths(), ["/auth/oidc/my-corp/callback"]);
}

#[test]
fn every_key_of_a_provider_is_read() {
    let s = load_toml(
        "generic-all",
        "[oidc.providers.acme]\n\
         client_id = \"acme-client\"\n\
         client_secret = \"acme-secret\"\n\
         issuer = \"https://sso.acme.test\"\n\
         name = \"Acme SSO\"\n\
         scopes = [\"openid\", \"email\", \"groups\"]\n\
         redirect_path = \"/auth/oidc/acme/callback\"\n\
         allow_registration = false\n\
         trust_email = true\n\
         default_role = \"viewer\"\n\
         logout_at_provider = true\n",
        &[],
    )
    .unwrap();
    let acme = only(&s);
    assert_eq!(acme.name, "Acme SSO");
    assert_eq!(acme.scopes, ["openid", "email", "groups"]);
    assert!(!acme.allow_registration && acme.trust_email && acme.logout_at_provider);
    assert_eq!(acme.default_role.as_deref(), Some("viewer"));
}

#[test]
fn the_environment_alone_declares_a_provider() {
    let s = Settings::load(
        None,
        env(&[
            (
                "PORTCULLIS_OIDC__PROVIDERS__MY_CORP__CLIENT_ID",
                "corp-client",
            ),
            (
                "PORTCULLIS_OIDC__PROVIDERS__MY_CORP__CLIENT_SECRET",
                "corp-secret",
            ),
            (
                "PORTCULLIS_OIDC__PROVIDERS__MY_CORP__ISSUER",
                "https://sso.corp.test",
            ),
            (
                "PORTCULLIS_OIDC__PROVIDERS__MY_CORP__SCOPES",
                "openid, email",
            ),
            ("PORTCULLIS_OIDC__PROVIDERS__MY_CORP__TRUST_EMAIL", "TRUE"),
        ]),
    )
    .unwrap();
    let corp = only(&s);
    assert_eq!(corp.id, "my_corp", "the id in lower case, _ kept");
    assert_eq!(corp.client_id, "corp-client");
    assert_eq!(corp.issuer, "https://sso.corp.test");
    assert_eq!(corp.scopes, ["openid", "email"]);
    assert!(corp.trust_email);
}

#[test]
fn the_environment_overrides_the_file_key_by_key() {
    let s = load_toml(
        "env-over-file",
        GOOGLE,
        &[(
            "PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_SECRET",
            "env-secret",
        )],
    )
    .unwrap();
    let google = only(&s);
    assert_eq!(google.client_secret, "env-secret");
    assert_eq!(google.client_id, "1234-abc.apps.googleusercontent.com");
    // A second provider from the environment joins the file's.
    let s = load_toml(
        "env-beside-file",
        GOOGLE,
        &[
            ("PORTCULLIS_OIDC__PROVIDERS__ACME__CLIENT_ID", "a"),
            ("PORTCULLIS_OIDC__PROVIDERS__ACME__CLIENT_SECRET", "b"),
            (
                "PORTCULLIS_OIDC__PROVIDERS__ACME__ISSUER",
                "https://sso.acme.test",
            ),
        ],
    )
    .unwrap();
    let ids: Vec<String> = s.oidc_providers().into_iter().map(|p| p.id).collect();
    assert_eq!(ids, ["acme", "google"], "sorted by id");
}

#[test]
fn callback_paths_for_google_include_the_flask_tutorials_ones() {
    let google = only(&load_toml("google-paths", GOOGLE, &[]).unwrap());
    assert_eq!(
        google.callback_paths(),
        [
            "/auth/oidc/google/callback",
            "/authorize/google",
            "/auth/authorize/google",
            "/auth/login/google/callback",
        ]
    );
    assert_eq!(
        only(&acme(&[]).unwrap()).callback_paths(),
        ["/auth/oidc/acme/callback"]
    );
}

#[test]
fn google_may_keep_a_legacy_redirect_path_and_no_other_provider_may() {
    for legacy in [
        "/authorize/google",
        "/auth/authorize/google",
        "/auth/login/google/callback",
    ] {
        let s = load_toml(
            "google-legacy",
            GOOGLE,
            &[("PORTCULLIS_OIDC__PROVIDERS__GOOGLE__REDIRECT_PATH", legacy)],
        )
        .unwrap();
        assert_eq!(only(&s).redirect_path, legacy);
    }
    let err = load_toml(
        "google-elsewhere-path",
        &format!("{GOOGLE}redirect_path = \"/callback\"\n"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "configuration key oidc.providers.google.redirect_path \
         (PORTCULLIS_OIDC__PROVIDERS__GOOGLE__REDIRECT_PATH): \"/callback\" is not a path the \
         server serves for google; it must be one of \"/auth/oidc/google/callback\", \
         \"/authorize/google\", \"/auth/authorize/google\", \"/auth/login/google/callback\"; \
         example: /auth/oidc/google/callback"
    );
    let err = acme(&[(
        "PORTCULLIS_OIDC__PROVIDERS__ACME__REDIRECT_PATH",
        "/authorize/google",
    )])
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(
            "configuration key oidc.providers.acme.redirect_path \
             (PORTCULLIS_OIDC__PROVIDERS__ACME__REDIRECT_PATH): \"/authorize/google\" is not a \
             path the server serves for acme; it must be \"/auth/oidc/acme/callback\";"
        ),
        "{err}"
    );
}

#[test]
fn client_id_and_secret_are_required() {
    let err = acme(&[("PORTCULLIS_OIDC__PROVIDERS__ACME__CLIENT_ID", "")])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "configuration key oidc.providers.acme.client_id \
         (PORTCULLIS_OIDC__PROVIDERS__ACME__CLIENT_ID): is required; example: \
         1234567890-abc123.apps.googleusercontent.com"
    );
    let err = refused_env(&[(
        "PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID",
        "1234-abc.apps.googleusercontent.com",
    )]);
    assert!(
        err.starts_with(
            "configuration key oidc.providers.google.client_secret \
             (PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_SECRET): is required"
        ),
        "{err}"
    );
    // A table with no keys still declares the provider, and is refused.
    let err = refused_file("empty-provider", "[oidc.providers.google]\n");
    assert!(
        err.starts_with("configuration key oidc.providers.google.client_id ("),
        "{err}"
    );
}

#[test]
fn an_issuer_is_required_but_for_google() {
    let err = acme(&[("PORTCULLIS_OIDC__PROVIDERS__ACME__ISSUER", "")]);
    // An empty text is no URL at all: refused as it is read.
    assert!(
        err.unwrap_err()
            .to_string()
            .starts_with("configuration key oidc.providers.acme.issuer ("),
    );
    let err = refused_file(
        "no-issuer",
        "[oidc.providers.acme]\nclient_id = \"a\"\nclient_secret = \"b\"\n",
    );
    assert_eq!(
        err,
        "configuration key oidc.providers.acme.issuer \
         (PORTCULLIS_OIDC__PROVIDERS__ACME__ISSUER): is required: only google has a preset \
         (https://accounts.google.com); example: https://sso.example.com"
    );
}

#[test]
fn an_issuer_is_https_or_loopback_http_without_query_or_fragment() {
    let issuer = |url: &str| acme(&[("PORTCULLIS_OIDC__PROVIDERS__ACME__ISSUER", url)]);
    for fine in [
        "https://sso.acme.test",
        "https://sso.acme.test/realms/staff/",
        "http://127.0.0.1:9000",
        "http://127.8.9.10/oidc",
        "http://localhost:8081",
        "http://[::1]:8081",
    ] {
        assert_eq!(only(&issuer(fine).unwrap()).issuer, fine);
    }
    for (bad, why) in [
        (
            "http://sso.acme.test",
            "is not https (plain http is allowed only",
        ),
        ("http://10.0.0.1", "is not https"),
        ("http://localhost.acme.test", "is not https"),
        ("ftp://sso.acme.test", "is not https"),
        (
            "https://sso.acme.test/?tenant=a",
            "has a query or a fragment",
        ),
        ("https://sso.acme.test/#x", "has a query or a fragment"),
        ("sso.acme.test", "is not a URL"),
    ] {
        let err = issuer(bad).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "configuration key oidc.providers.acme.issuer \
                 (PORTCULLIS_OIDC__PROVIDERS__ACME__ISSUER): "
            ) && err.contains(why),
            "{bad}: {err}"
        );
    }
}

#[test]
fn scopes_must_ask_for_an_id_token() {
    let scopes = |list: &str| acme(&[("PORTCULLIS_OIDC__PROVIDERS__ACME__SCOPES", list)]);
    let err = scopes("email, profile").unwrap_err().to_string();
    assert_eq!(
        err,
        "configuration key oidc.providers.acme.scopes \
         (PORTCULLIS_OIDC__PROVIDERS__ACME__SCOPES): must contain \"openid\": without it the \
         provider signs no ID token; example: openid, email, profile"
    );
    let err = load_toml(
        "scopes-in-one",
        &format!("{GOOGLE}scopes = [\"openid email\"]\n"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("configuration key oidc.providers.google.scopes (")
            && err.contains("\"openid email\" is not one scope"),
        "{err}"
    );
    assert_eq!(only(&scopes("openid").unwrap()).scopes, ["openid"]);
}

#[test]
fn ids_are_lower_case_url_segments() {
    let err = refused_file(
        "capital-id",
        "[oidc.providers.Google]\nclient_id = \"a\"\nclient_secret = \"b\"\n",
    );
    assert_eq!(
        err,
        "configuration key oidc.providers.Google (PORTCULLIS_OIDC__PROVIDERS__GOOGLE__*): \
         \"Google\" is not an id: 1 to 32 of a-z, 0-9, _ and -, starting with a letter, without \
         __ or a final _ (it is a URL segment and part of variable names); example: google"
    );
    for id in ["\"my.corp\"", "\"1st\"", "\"\"", "\"corp_\"", "\"a b\""] {
        let err = refused_file(
            "bad-id",
            &format!("[oidc.providers.{id}]\nclient_id = \"a\"\n"),
        );
        assert!(err.contains("is not an id"), "{id}: {err}");
    }
    let err = refused_env(&[("PORTCULLIS_OIDC__PROVIDERS__1ST__CLIENT_ID", "a")]);
    assert!(
        err.starts_with(
            "configuration key oidc.providers.1st (PORTCULLIS_OIDC__PROVIDERS__1ST__*): \"1st\" \
             is not an id"
        ),
        "{err}"
    );
    let err = refused_env(&[(
        &format!("PORTCULLIS_OIDC__PROVIDERS__{}__CLIENT_ID", "A".repeat(33)),
        "a",
    )]);
    assert!(err.contains("is not an id"), "{err}");
    // Built by hand rather than loaded, the same rule holds.
    let mut s = Settings::default();
    s.oidc
        .providers
        .insert("Bad!".into(), crate::OidcProviderSettings::default());
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("is not an id")
    );
}

#[test]
fn ids_differing_only_by_dash_for_underscore_are_refused() {
    // The variable an operator meant for `my-corp` declares `my_corp`.
    let err = load_toml(
        "dash-and-underscore",
        "[oidc.providers.my-corp]\nclient_id = \"a\"\nclient_secret = \"b\"\n\
         issuer = \"https://sso.corp.test\"\n",
        &[("PORTCULLIS_OIDC__PROVIDERS__MY_CORP__CLIENT_SECRET", "c")],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(
            "configuration key oidc.providers.my_corp (PORTCULLIS_OIDC__PROVIDERS__MY_CORP__*): \
             oidc.providers.my_corp and oidc.providers.my-corp differ only by _ for -"
        ) && err.contains("rename my-corp to my_corp"),
        "{err}"
    );
}

#[test]
fn unknown_keys_of_a_provider_are_refused_with_the_nearest_one() {
    let err = refused_file("typo", &format!("{GOOGLE}client_secert = \"x\"\n"));
    assert!(
        err.starts_with("unknown configuration key oidc.providers.google.client_secert in ")
            && err.ends_with("; did you mean oidc.providers.google.client_secret?"),
        "{err}"
    );
    let err = refused_file("misplaced", &format!("{GOOGLE}[session]\nissuer = \"x\"\n"));
    assert!(
        err.ends_with("; did you mean oidc.providers.<id>.issuer?"),
        "{err}"
    );
    let err = refused_env(&[("PORTCULLIS_OIDC__PROVIDERS__GOOGLE__SCOPE", "openid")]);
    assert_eq!(
        err,
        "PORTCULLIS_OIDC__PROVIDERS__GOOGLE__SCOPE is not a configuration variable; did you \
         mean PORTCULLIS_OIDC__PROVIDERS__GOOGLE__SCOPES?"
    );
    let err = refused_env(&[("PORTCULLIS_OIDC__PROVIDERS__GOOGLE_CLIENT_ID", "a")]);
    assert_eq!(
        err,
        "PORTCULLIS_OIDC__PROVIDERS__GOOGLE_CLIENT_ID is not a configuration variable; did you \
         mean PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID?"
    );
    let err = refused_env(&[("PORTCULLIS_OIDC__PROVIDERS__GOOGLE", "x")]);
    assert_eq!(
        err,
        "PORTCULLIS_OIDC__PROVIDERS__GOOGLE is not a configuration variable; it names a table: \
         set its keys, such as PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID"
    );
    let err = refused_file("not-a-table", "[oidc.providers]\ngoogle = \"x\"\n");
    assert!(
        err.contains("oidc.providers.google is a section: write [oidc.providers.google]"),
        "{err}"
    );
}

#[test]
fn values_are_read_as_their_keys_type() {
    let err = load_toml(
        "typed",
        &format!("{GOOGLE}trust_email = \"sometimes\"\n"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "configuration key oidc.providers.google.trust_email \
         (PORTCULLIS_OIDC__PROVIDERS__GOOGLE__TRUST_EMAIL): \"sometimes\" is not true or false; \
         example: false"
    );
    let err = refused_env(&[
        ("PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID", "a"),
        ("PORTCULLIS_oidc__providers__google__client_id", "b"),
    ]);
    assert!(err.contains("is set twice"), "{err}");
}

#[test]
fn the_client_secret_stays_out_of_debug() {
    let secret = "file-secret-GOCSPX";
    let s = load_toml("debug", GOOGLE, &[]).unwrap();
    for shown in [
        format!("{s:?}"),
        format!("{:?}", s.oidc),
        format!("{:?}", s.oidc_providers()),
    ] {
        assert!(
            !shown.contains(secret)
                && shown.contains("<redacted>")
                && shown.contains("1234-abc.apps.googleusercontent.com"),
            "{shown}"
        );
    }
    assert!(format!("{s:?}").contains("oidc: OidcSettings"));
    let err = acme(&[("PORTCULLIS_OIDC__PROVIDERS__ACME__SCOPES", "email")]).unwrap_err();
    assert!(!err.to_string().contains("acme-secret"), "{err}");
}

#[test]
fn providers_written_out_load_again_the_same() {
    let s = load_toml(
        "write-out",
        &format!("{GOOGLE}scopes = [\"openid\"]\nlogout_at_provider = true\n"),
        &[],
    )
    .unwrap();
    let written = toml::to_string(&s).unwrap();
    let again = load_toml("write-out-again", &written, &[]).unwrap();
    assert_eq!(again.oidc_providers(), s.oidc_providers());
    assert_eq!(toml::to_string(&again).unwrap(), written);
}

#[test]
fn production_asks_nothing_more_of_a_provider() {
    let s = production(&[
        (
            "PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID",
            "1234-abc.apps.googleusercontent.com",
        ),
        (
            "PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_SECRET",
            "GOCSPX-x",
        ),
    ])
    .unwrap();
    let google = only(&s);
    assert_eq!(
        format!(
            "{}{}",
            s.public_url.unwrap().as_str().trim_end_matches('/'),
            google.redirect_path
        ),
        "https://auth.example.com/auth/oidc/google/callback"
    );
}
