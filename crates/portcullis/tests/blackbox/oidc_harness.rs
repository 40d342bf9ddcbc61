//! The OpenID providers the sign-in tests use, tested on their own as a
//! relying party would use them: the real provider's authorization code flow
//! with PKCE, its control endpoints, prompt=login, max_age and logout; and
//! that each misbehaviour of the fake produces the token it claims.

use crate::oidc_provider::{ClientSpec, TestUser};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use url::Url;

/// Where the provider sends the browser back; never fetched.
const REDIRECT_URI: &str = "http://127.0.0.1:9/oidc/callback";
const POST_LOGOUT_URI: &str = "http://127.0.0.1:9/signed-out";
const CLIENT_ID: &str = "portcullis-test";
const CLIENT_SECRET: &str = "a client secret with: colons & spaces";

fn client() -> ClientSpec {
    ClientSpec::new(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
        .post_logout_redirect_uri(POST_LOGOUT_URI)
}

/// A PKCE verifier and its S256 challenge (RFC 7636 section 4.2).
struct Pkce {
    verifier: String,
    challenge: String,
}

fn random_urlsafe(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(buf.as_mut_slice());
    URL_SAFE_NO_PAD.encode(buf)
}

impl Pkce {
    fn new() -> Self {
        let verifier = random_urlsafe(32);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

#[test]
fn s256_matches_the_rfc_7636_example() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

/// A relying party: a browser that keeps cookies and follows redirects
/// itself, and a back channel for discovery, JWKS and the token endpoint.
struct RelyingParty {
    browser: reqwest::Client,
    back: reqwest::Client,
    issuer: String,
    discovery: Value,
}

/// Where an authorization came back to the client.
struct Callback {
    url: Url,
    /// URLs the browser was sent through at the provider, the first one included.
    hops: Vec<Url>,
    state: String,
}

impl Callback {
    fn param(&self, name: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    fn code(&self) -> String {
        self.param("code")
            .unwrap_or_else(|| panic!("no code in {}", self.url))
    }

    /// Whether the provider went through a login or consent step.
    fn interacted(&self) -> bool {
        self.hops
            .iter()
            .any(|hop| hop.path().starts_with("/interaction/"))
    }
}

/// An authorization request's own values.
struct Request {
    state: String,
    nonce: String,
    pkce: Pkce,
}

impl Request {
    fn new() -> Self {
        Self {
            state: random_urlsafe(16),
            nonce: random_urlsafe(16),
            pkce: Pkce::new(),
        }
    }
}

impl RelyingParty {
    async fn new(issuer: &str) -> Self {
        let browser = crate::common::http_client()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let back = crate::common::http_client().no_proxy().build().unwrap();
        let discovery: Value = back
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], issuer);
        Self {
            browser,
            back,
            issuer: issuer.to_owned(),
            discovery,
        }
    }

    fn endpoint(&self, name: &str) -> String {
        self.discovery[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name} in discovery"))
            .to_owned()
    }

    /// Follows the provider's redirects from `url` until one leads away
    /// from it; that one is returned, unfetched.
    async fn follow(&self, url: Url) -> (Url, Vec<Url>) {
        let mut hops = vec![url.clone()];
        let mut current = url;
        for _ in 0..20 {
            let response = self.browser.get(current.clone()).send().await.unwrap();
            let status = response.status();
            let Some(location) = response.headers().get("location") else {
                panic!(
                    "{current} answered {status} without a redirect: {}",
                    response.text().await.unwrap_or_default()
                );
            };
            assert!(status.is_redirection(), "{current}: {status}");
            let next = current.join(location.to_str().unwrap()).unwrap();
            if !next.as_str().starts_with(&self.issuer) {
                return (next, hops);
            }
            hops.push(next.clone());
            current = next;
        }
        panic!("more than 20 redirects at the provider: {hops:?}");
    }

    /// Runs an authorization request with PKCE S256 and `extra` parameters.
    async fn authorize(&self, request: &Request, extra: &[(&str, &str)]) -> Callback {
        let mut url = Url::parse(&self.endpoint("authorization_endpoint")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &request.state)
            .append_pair("nonce", &request.nonce)
            .append_pair("code_challenge", &request.pkce.challenge)
            .append_pair("code_challenge_method", "S256")
            .extend_pairs(extra);
        let (url, hops) = self.follow(url).await;
        assert!(
            url.as_str().starts_with(REDIRECT_URI),
            "sent to {url}, not back to the client"
        );
        let callback = Callback {
            url,
            hops,
            state: String::new(),
        };
        let state = callback.param("state").unwrap_or_default();
        assert_eq!(state, request.state, "state comes back unchanged");
        if let Some(iss) = callback.param("iss") {
            assert_eq!(iss, self.issuer, "RFC 9207 iss names the provider");
        }
        Callback { state, ..callback }
    }

    /// POSTs the code to the token endpoint with client_secret_basic.
    async fn redeem(&self, code: &str, verifier: &str) -> (StatusCode, Value) {
        let response = self
            .back
            .post(self.endpoint("token_endpoint"))
            .basic_auth(form_encode(CLIENT_ID), Some(form_encode(CLIENT_SECRET)))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// The ID token of a successful redemption.
    async fn id_token(&self, callback: &Callback, request: &Request) -> String {
        let (status, body) = self.redeem(&callback.code(), &request.pkce.verifier).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        body["id_token"].as_str().expect("an id_token").to_owned()
    }

    /// A full login: authorize, redeem, verify; the ID token's claims.
    async fn login(&self, extra: &[(&str, &str)]) -> (Value, Callback) {
        let request = Request::new();
        let callback = self.authorize(&request, extra).await;
        let token = self.id_token(&callback, &request).await;
        let claims = self
            .verify(&token)
            .await
            .unwrap_or_else(|err| panic!("the ID token verifies: {err}"));
        assert_eq!(claims["nonce"], request.nonce.as_str());
        (claims, callback)
    }

    async fn jwks(&self) -> JwkSet {
        self.back
            .get(self.endpoint("jwks_uri"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Verifies an RS256 ID token against the provider's JWKS, issuer and
    /// this client as audience; its claims.
    async fn verify(&self, token: &str) -> Result<Value, jsonwebtoken::errors::Error> {
        verify_with(&self.jwks().await, token, &self.issuer)
    }
}

/// RFC 6749 section 2.3.1: client_secret_basic encodes both parts first.
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn verify_with(
    jwks: &JwkSet,
    token: &str,
    issuer: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let header = jsonwebtoken::decode_header(token)?;
    let kid = header.kid.unwrap_or_default();
    let Some(jwk) = jwks.find(&kid) else {
        return Err(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat.into());
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[CLIENT_ID]);
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk)?, &validation)?;
    Ok(data.claims)
}

/// The JSON of a JWT's segment `index` (0 header, 1 claims), unverified.
fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

mod real {
    use super::*;
    use crate::oidc_provider::start_oidc_provider;

    #[tokio::test]
    async fn code_flow_with_pkce_gives_the_users_claims_in_the_id_token() {
        let provider = start_oidc_provider!(vec![client()]);
        assert_eq!(
            provider.issuer(),
            format!("http://127.0.0.1:{}", provider.port())
        );
        let user = TestUser::new("alice-0001").with_email("alice@example.org", true);
        provider.set_user(&user).await;
        let rp = RelyingParty::new(&provider.issuer()).await;
        assert_eq!(
            rp.discovery["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert!(rp.discovery["end_session_endpoint"].is_string());

        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        assert!(
            callback.interacted(),
            "a first login goes through the interaction"
        );
        let token = rp.id_token(&callback, &request).await;
        assert_eq!(segment(&token, 0)["alg"], "RS256");
        let claims = rp.verify(&token).await.expect("the ID token verifies");

        assert_eq!(claims["sub"], "alice-0001");
        assert_eq!(claims["email"], "alice@example.org");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["preferred_username"], "alice-0001");
        assert_eq!(claims["name"], "Test User alice-0001");
        assert_eq!(claims["nonce"], request.nonce.as_str());
        assert_eq!(claims["aud"], CLIENT_ID);
        assert!(claims["auth_time"].is_i64(), "{claims}");

        let log = provider.token_requests().await;
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0]["grant_type"], "authorization_code");
        assert_eq!(log[0]["client_id"], CLIENT_ID);
        assert_eq!(log[0]["code_verifier"], true);
        assert_eq!(log[0]["status"], 200);
    }

    #[tokio::test]
    async fn an_unverified_address_is_reported_unverified() {
        let provider = start_oidc_provider!(vec![client()]);
        provider
            .set_user(&TestUser::new("bob").with_email("bob@example.net", false))
            .await;
        let rp = RelyingParty::new(&provider.issuer()).await;
        let (claims, _) = rp.login(&[]).await;
        assert_eq!(claims["sub"], "bob");
        assert_eq!(claims["email"], "bob@example.net");
        assert_eq!(claims["email_verified"], false);
    }

    #[tokio::test]
    async fn the_default_user_logs_in_until_one_is_set() {
        let provider = start_oidc_provider!(vec![client()]);
        let rp = RelyingParty::new(&provider.issuer()).await;
        let (claims, _) = rp.login(&[]).await;
        assert_eq!(claims["sub"], "oidc-test-user");
        assert_eq!(claims["email_verified"], true);

        // Another user set: the same browser's next authorization logs
        // that one in, over the provider session of the first.
        provider.set_user(&TestUser::new("carol")).await;
        let (claims, callback) = rp.login(&[]).await;
        assert_eq!(claims["sub"], "carol");
        assert!(callback.interacted());
    }

    #[tokio::test]
    async fn login_hint_picks_a_user_set_before() {
        let provider = start_oidc_provider!(vec![client()]);
        provider.set_user(&TestUser::new("dave")).await;
        provider.set_user(&TestUser::new("erin")).await;
        let rp = RelyingParty::new(&provider.issuer()).await;
        let (claims, _) = rp.login(&[("login_hint", "dave")]).await;
        assert_eq!(claims["sub"], "dave");
        // An unknown hint falls back to the user set last.
        let fresh = RelyingParty::new(&provider.issuer()).await;
        let (claims, _) = fresh.login(&[("login_hint", "nobody")]).await;
        assert_eq!(claims["sub"], "erin");
    }

    #[tokio::test]
    async fn deny_next_answers_access_denied_once() {
        let provider = start_oidc_provider!(vec![client()]);
        let rp = RelyingParty::new(&provider.issuer()).await;
        // Denied even with a provider session that would skip the login.
        rp.login(&[]).await;
        provider.deny_next().await;
        let callback = rp.authorize(&Request::new(), &[]).await;
        assert_eq!(callback.param("error").as_deref(), Some("access_denied"));
        assert_eq!(callback.param("code"), None);
        assert!(!callback.state.is_empty());

        let (claims, _) = rp.login(&[]).await;
        assert_eq!(claims["sub"], "oidc-test-user");
    }

    #[tokio::test]
    async fn prompt_login_logs_in_again_with_a_fresh_auth_time() {
        let provider = start_oidc_provider!(vec![client()]);
        let rp = RelyingParty::new(&provider.issuer()).await;
        let (first, _) = rp.login(&[]).await;
        // auth_time counts seconds.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

        let (again, callback) = rp.login(&[]).await;
        assert!(!callback.interacted(), "the provider session is reused");
        assert_eq!(again["auth_time"], first["auth_time"]);

        let (fresh, callback) = rp.login(&[("prompt", "login")]).await;
        assert!(callback.interacted(), "prompt=login logs in again");
        assert!(
            fresh["auth_time"].as_i64().unwrap() > first["auth_time"].as_i64().unwrap(),
            "{fresh} after {first}"
        );
    }

    #[tokio::test]
    async fn max_age_logs_in_again_once_passed() {
        let provider = start_oidc_provider!(vec![client()]);
        let rp = RelyingParty::new(&provider.issuer()).await;
        let (first, _) = rp.login(&[]).await;
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

        let (within, callback) = rp.login(&[("max_age", "3600")]).await;
        assert!(!callback.interacted());
        assert_eq!(within["auth_time"], first["auth_time"]);

        let (past, callback) = rp.login(&[("max_age", "1")]).await;
        assert!(callback.interacted(), "max_age=1 logs in again");
        assert!(past["auth_time"].as_i64().unwrap() > first["auth_time"].as_i64().unwrap());
    }

    #[tokio::test]
    async fn pkce_is_required_and_checked() {
        let provider = start_oidc_provider!(vec![client()]);
        let rp = RelyingParty::new(&provider.issuer()).await;

        // No code_challenge: refused at the authorization endpoint.
        let mut url = Url::parse(&rp.endpoint("authorization_endpoint")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", "openid")
            .append_pair("state", "s");
        let (back, _) = rp.follow(url).await;
        let error = back
            .query_pairs()
            .find(|(key, _)| key == "error")
            .map(|(_, value)| value.into_owned());
        assert_eq!(error.as_deref(), Some("invalid_request"), "{back}");

        // A wrong verifier: the code is not redeemed.
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        let (status, body) = rp.redeem(&callback.code(), &Pkce::new().verifier).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
    }

    #[tokio::test]
    async fn a_code_is_redeemed_once() {
        let provider = start_oidc_provider!(vec![client()]);
        let rp = RelyingParty::new(&provider.issuer()).await;
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        rp.id_token(&callback, &request).await;
        let (status, body) = rp.redeem(&callback.code(), &request.pkce.verifier).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");

        let log = provider.token_requests().await;
        let statuses: Vec<_> = log.iter().map(|entry| entry["status"].clone()).collect();
        assert_eq!(statuses, [200, 400]);
        assert_eq!(log[1]["error"], "invalid_grant");
    }

    #[tokio::test]
    async fn end_session_redirects_to_the_client_without_a_page() {
        let provider = start_oidc_provider!(vec![client()]);
        let rp = RelyingParty::new(&provider.issuer()).await;
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        let id_token = rp.id_token(&callback, &request).await;

        let mut url = Url::parse(&rp.endpoint("end_session_endpoint")).unwrap();
        url.query_pairs_mut()
            .append_pair("id_token_hint", &id_token)
            .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI)
            .append_pair("state", "bye");
        let (back, _) = rp.follow(url).await;
        assert_eq!(back.as_str(), format!("{POST_LOGOUT_URI}?state=bye"));

        // The provider session is gone: the next authorization logs in.
        let (_, callback) = rp.login(&[]).await;
        assert!(callback.interacted());

        // An unregistered post_logout_redirect_uri is refused.
        let mut url = Url::parse(&rp.endpoint("end_session_endpoint")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", CLIENT_ID)
            .append_pair("post_logout_redirect_uri", "http://127.0.0.1:9/elsewhere");
        let response = rp.browser.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(!provider.stderr().is_empty());
    }
}

mod fake {
    use super::*;
    use crate::fake_provider::{FAKE_KID, FakeProvider, Misbehaviour, ROTATED_KID};

    /// A started fake, a relying party for it, and one authorization's ID
    /// token issued under `misbehaviour`, with its request.
    async fn token_under(
        misbehaviour: Misbehaviour,
    ) -> (FakeProvider, RelyingParty, String, Request) {
        let fake = FakeProvider::start(vec![client()]).await;
        fake.set_user(&TestUser::new("mallory-target").with_email("target@example.com", true));
        fake.misbehave(misbehaviour);
        let rp = RelyingParty::new(&fake.issuer()).await;
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        assert!(callback.hops.len() == 1, "the fake redirects straight back");
        let token = rp.id_token(&callback, &request).await;
        (fake, rp, token, request)
    }

    #[tokio::test]
    async fn honest_tokens_verify_with_the_claims() {
        let (fake, rp, token, request) = token_under(Misbehaviour::Honest).await;
        let claims = rp.verify(&token).await.expect("an honest token verifies");
        assert_eq!(claims["sub"], "mallory-target");
        assert_eq!(claims["email"], "target@example.com");
        assert_eq!(claims["email_verified"], true);
        assert_eq!(claims["nonce"], request.nonce.as_str());
        assert_eq!(segment(&token, 0)["kid"], FAKE_KID);
        assert_eq!(fake.token_requests(), 1);

        // Userinfo answers for the access token.
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        let (_, body) = rp.redeem(&callback.code(), &request.pkce.verifier).await;
        let info: Value = rp
            .back
            .get(rp.endpoint("userinfo_endpoint"))
            .bearer_auth(body["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["sub"], "mallory-target");
    }

    #[tokio::test]
    async fn honest_codes_are_single_use_and_need_the_verifier() {
        let (_fake, rp, _, _) = token_under(Misbehaviour::Honest).await;
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        let (status, body) = rp
            .redeem(
                &callback.code(),
                "a-wrong-verifier-of-enough-length-0123456789",
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        rp.id_token(&callback, &request).await;
        let (status, body) = rp.redeem(&callback.code(), &request.pkce.verifier).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
    }

    #[tokio::test]
    async fn wrong_signature_names_a_published_kid_but_does_not_verify() {
        let (_fake, rp, token, _) = token_under(Misbehaviour::WrongSignature).await;
        assert_eq!(segment(&token, 0)["kid"], FAKE_KID);
        let err = rp.verify(&token).await.expect_err("a forged signature");
        assert_eq!(
            *err.kind(),
            jsonwebtoken::errors::ErrorKind::InvalidSignature
        );
        // The claims themselves are the honest ones.
        assert_eq!(segment(&token, 1)["sub"], "mallory-target");
    }

    #[tokio::test]
    async fn alg_none_has_no_signature() {
        let (_fake, rp, token, request) = token_under(Misbehaviour::AlgNone).await;
        assert_eq!(segment(&token, 0)["alg"], "none");
        assert!(token.ends_with('.'), "an empty signature: {token}");
        assert_eq!(segment(&token, 1)["nonce"], request.nonce.as_str());
        assert!(rp.verify(&token).await.is_err());
    }

    #[tokio::test]
    async fn wrong_audience_is_signed_for_another_client() {
        let (_fake, rp, token, _) = token_under(Misbehaviour::WrongAudience).await;
        assert_eq!(segment(&token, 1)["aud"], "another-client");
        let err = rp.verify(&token).await.expect_err("another audience");
        assert_eq!(
            *err.kind(),
            jsonwebtoken::errors::ErrorKind::InvalidAudience
        );
    }

    #[tokio::test]
    async fn wrong_issuer_is_signed_as_another_provider() {
        let (fake, rp, token, _) = token_under(Misbehaviour::WrongIssuer).await;
        assert_ne!(segment(&token, 1)["iss"], fake.issuer().as_str());
        let err = rp.verify(&token).await.expect_err("another issuer");
        assert_eq!(*err.kind(), jsonwebtoken::errors::ErrorKind::InvalidIssuer);
    }

    #[tokio::test]
    async fn expired_is_signed_but_past_its_exp() {
        let (_fake, rp, token, _) = token_under(Misbehaviour::Expired).await;
        let err = rp.verify(&token).await.expect_err("an expired token");
        assert_eq!(
            *err.kind(),
            jsonwebtoken::errors::ErrorKind::ExpiredSignature
        );
    }

    #[tokio::test]
    async fn nonce_mismatch_verifies_with_another_nonce() {
        let (_fake, rp, token, request) = token_under(Misbehaviour::NonceMismatch).await;
        let claims = rp
            .verify(&token)
            .await
            .expect("signed and addressed correctly");
        assert_ne!(claims["nonce"], request.nonce.as_str());
        assert!(claims["nonce"].is_string());
    }

    #[tokio::test]
    async fn unknown_kid_appears_in_the_jwks_on_the_next_fetch() {
        let fake = FakeProvider::start(vec![client()]).await;
        let rp = RelyingParty::new(&fake.issuer()).await;
        // A relying party's cached JWKS, fetched before the token.
        let cached = rp.jwks().await;
        assert!(cached.find(ROTATED_KID).is_none());

        fake.misbehave(Misbehaviour::UnknownKid);
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        let token = rp.id_token(&callback, &request).await;
        assert_eq!(segment(&token, 0)["kid"], ROTATED_KID);
        assert!(verify_with(&cached, &token, &fake.issuer()).is_err());

        let before = fake.jwks_fetches();
        let refreshed = rp.jwks().await;
        assert_eq!(fake.jwks_fetches(), before + 1);
        assert!(refreshed.find(ROTATED_KID).is_some());
        assert!(refreshed.find(FAKE_KID).is_some());
        let claims =
            verify_with(&refreshed, &token, &fake.issuer()).expect("verifies after refresh");
        assert_eq!(claims["nonce"], request.nonce.as_str());
    }

    #[tokio::test]
    async fn replayed_code_is_accepted_twice_by_the_fake() {
        let (fake, rp, _, _) = token_under(Misbehaviour::ReplayedCode).await;
        let request = Request::new();
        let callback = rp.authorize(&request, &[]).await;
        let first = rp.id_token(&callback, &request).await;
        let second = rp.id_token(&callback, &request).await;
        for token in [&first, &second] {
            let claims = rp.verify(token).await.expect("honest tokens");
            assert_eq!(claims["nonce"], request.nonce.as_str());
        }
        assert_eq!(fake.token_requests(), 3);
    }

    #[tokio::test]
    async fn unregistered_redirect_uris_and_clients_are_refused() {
        let fake = FakeProvider::start(vec![client()]).await;
        let rp = RelyingParty::new(&fake.issuer()).await;
        let mut url = Url::parse(&rp.endpoint("authorization_endpoint")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", "http://127.0.0.1:9/elsewhere");
        let response = rp.browser.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        let response = rp
            .back
            .post(rp.endpoint("token_endpoint"))
            .basic_auth(CLIENT_ID, Some("not the secret"))
            .form(&[("grant_type", "authorization_code"), ("code", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}
