//! The provider adapter (`portcullis-oidc`) against the real OpenID
//! provider and the hostile one: discovery, the authorization URL with PKCE
//! and nonce, the code exchange, and every ID token a careful relying party
//! refuses, each with the reason the audit log will name.

use crate::fake_provider::{FakeProvider, Misbehaviour};
use crate::oidc_provider::{ClientSpec, TestUser};
use portcullis_core::provider::{AuthorizationRequest, IdentityProvider, ProviderError};
use portcullis_oidc::{HttpClient, OidcProvider, ProviderConfig};
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/oidc/corp/callback";
const CLIENT_ID: &str = "portcullis";
const CLIENT_SECRET: &str = "the client's secret";

fn client() -> ClientSpec {
    ClientSpec::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
}

fn adapter(issuer: &str) -> OidcProvider {
    OidcProvider::new(
        ProviderConfig {
            id: "corp".into(),
            name: "Corp".into(),
            issuer: issuer.into(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_url: REDIRECT_URI.into(),
            scopes: vec!["email".into(), "profile".into()],
        },
        HttpClient::new().unwrap(),
    )
    .unwrap()
}

fn request(force_login: bool) -> AuthorizationRequest {
    AuthorizationRequest {
        state: format!("state-{}", uuid::Uuid::new_v4()),
        pkce_verifier: format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ),
        nonce: format!("nonce-{}", uuid::Uuid::new_v4()),
        force_login,
        max_age: None,
    }
}

/// Follows the provider's redirects, as a browser with cookies would, from
/// the adapter's authorization URL back to the callback; returns its code.
async fn code_for(browser: &reqwest::Client, url: &str, request: &AuthorizationRequest) -> String {
    let mut current = Url::parse(url).unwrap();
    for _ in 0..20 {
        let response = browser.get(current.clone()).send().await.unwrap();
        let location = response
            .headers()
            .get("location")
            .unwrap_or_else(|| {
                panic!(
                    "{current} answered {} without a redirect",
                    response.status()
                )
            })
            .to_str()
            .unwrap()
            .to_owned();
        let next = current.join(&location).unwrap();
        if next.as_str().starts_with(REDIRECT_URI) {
            let params: Vec<(String, String)> = next.query_pairs().into_owned().collect();
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(get("state").as_deref(), Some(request.state.as_str()));
            return get("code").unwrap_or_else(|| panic!("no code in {next}"));
        }
        current = next;
    }
    panic!("the provider never sent the browser back");
}

fn browser() -> reqwest::Client {
    crate::common::http_client()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_real_provider_signs_a_person_in_once_per_code_with_the_right_secrets() {
    let Some(provider) = crate::oidc_provider::OidcProvider::start(vec![client()]) else {
        return;
    };
    provider
        .set_user(&TestUser::new("248289761001").with_email("jane@corp.example", false))
        .await;
    let corp = adapter(&provider.issuer());
    let browser = browser();

    let asked = request(false);
    let url = corp.authorization_url(&asked).await.unwrap();
    let sent = Url::parse(&url).unwrap();
    let params: Vec<(String, String)> = sent.query_pairs().into_owned().collect();
    let has = |k: &str, v: &str| params.iter().any(|(a, b)| a == k && b == v);
    assert!(has("code_challenge_method", "S256") && has("state", &asked.state));
    assert!(has("nonce", &asked.nonce) && has("client_id", CLIENT_ID));
    assert!(
        params.iter().all(|(_, v)| *v != asked.pkce_verifier),
        "the verifier stays here"
    );
    let scopes = &params.iter().find(|(k, _)| k == "scope").unwrap().1;
    assert!(
        scopes.contains("openid") && scopes.contains("email"),
        "{scopes}"
    );

    let code = code_for(&browser, &url, &asked).await;
    let who = corp
        .redeem(&code, &asked.pkce_verifier, &asked.nonce)
        .await
        .unwrap();
    assert_eq!(who.issuer, provider.issuer());
    assert_eq!(who.subject, "248289761001");
    assert_eq!(who.email.as_deref(), Some("jane@corp.example"));
    assert!(!who.email_verified, "the provider said unverified");
    assert!(who.auth_time.is_some());

    // The same code again is refused by the provider.
    let again = corp
        .redeem(&code, &asked.pkce_verifier, &asked.nonce)
        .await
        .unwrap_err();
    assert!(matches!(again, ProviderError::CodeRefused(_)), "{again:?}");

    // A code with another flow's verifier, or answered with another nonce.
    let second = request(false);
    let code = code_for(
        &browser,
        &corp.authorization_url(&second).await.unwrap(),
        &second,
    )
    .await;
    let wrong_verifier = corp
        .redeem(&code, &asked.pkce_verifier, &second.nonce)
        .await
        .unwrap_err();
    assert!(
        matches!(wrong_verifier, ProviderError::CodeRefused(_)),
        "{wrong_verifier:?}"
    );
    let third = request(true);
    let url = corp.authorization_url(&third).await.unwrap();
    assert!(url.contains("prompt=login"), "{url}");
    let code = code_for(&browser, &url, &third).await;
    let wrong_nonce = corp
        .redeem(&code, &third.pkce_verifier, &asked.nonce)
        .await
        .unwrap_err();
    assert_eq!(wrong_nonce, ProviderError::TokenRefused { reason: "nonce" });
}

/// Runs one flow against the fake under `misbehaviour`.
async fn redeemed_under(
    misbehaviour: Misbehaviour,
) -> (
    FakeProvider,
    Result<portcullis_core::provider::VerifiedIdentity, ProviderError>,
) {
    let fake = FakeProvider::start(vec![client()]).await;
    fake.set_user(&TestUser::new("victim").with_email("victim@example.com", true));
    let corp = adapter(&fake.issuer());
    let asked = request(false);
    let url = corp.authorization_url(&asked).await.unwrap();
    fake.misbehave(misbehaviour);
    let code = code_for(&browser(), &url, &asked).await;
    let outcome = corp.redeem(&code, &asked.pkce_verifier, &asked.nonce).await;
    (fake, outcome)
}

#[tokio::test]
async fn every_forged_or_misdirected_id_token_is_refused_with_its_reason() {
    let (_, honest) = redeemed_under(Misbehaviour::Honest).await;
    let honest = honest.unwrap();
    assert_eq!(honest.subject, "victim");
    assert!(honest.email_verified);
    for (misbehaviour, reason) in [
        (Misbehaviour::WrongSignature, "signature"),
        (Misbehaviour::AlgNone, "algorithm"),
        (Misbehaviour::WrongAudience, "audience"),
        (Misbehaviour::WrongIssuer, "issuer"),
        (Misbehaviour::Expired, "expired"),
        (Misbehaviour::NonceMismatch, "nonce"),
    ] {
        let (_, outcome) = redeemed_under(misbehaviour).await;
        assert_eq!(
            outcome,
            Err(ProviderError::TokenRefused { reason }),
            "{misbehaviour:?}"
        );
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_the_token_then_verifies() {
    let (fake, outcome) = redeemed_under(Misbehaviour::UnknownKid).await;
    let who = outcome.expect("verified with the key read again");
    assert_eq!(who.subject, "victim");
    assert_eq!(fake.jwks_fetches(), 2, "discovery's keys, then once more");
}
