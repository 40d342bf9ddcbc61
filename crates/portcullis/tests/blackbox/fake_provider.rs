//! A hostile OpenID provider, for the failures no honest provider produces:
//! an axum server on a free loopback port with discovery, JWKS, an authorize
//! endpoint that redirects straight back with a code, a token endpoint and
//! userinfo. The ID tokens it issues are crafted as the test's
//! [`Misbehaviour`] says; a relying party must refuse all but `Honest` (and
//! the second redemption under `ReplayedCode`).

use crate::oidc_provider::{ClientSpec, TestUser};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};
use url::Url;

/// How the fake's token endpoint misbehaves, from the next token request on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// A correct ID token.
    Honest,
    /// Signed by a key not in the JWKS, under the `kid` of one that is.
    WrongSignature,
    /// `alg: none` and no signature.
    AlgNone,
    /// `aud` names another client.
    WrongAudience,
    /// `iss` names another provider.
    WrongIssuer,
    /// `exp` an hour in the past (and `iat` before it).
    Expired,
    /// `nonce` is not the one the authorization request sent.
    NonceMismatch,
    /// Signed with a key whose `kid` the JWKS does not list yet; the JWKS
    /// lists it from the next fetch on (for a relying party's refresh).
    UnknownKid,
    /// A correct ID token, but the code is not used up: redeeming it again
    /// succeeds too.
    ReplayedCode,
}

/// The `kid` of the key the JWKS publishes from the start.
pub const FAKE_KID: &str = "fake-key-1";
/// The `kid` of the key [`Misbehaviour::UnknownKid`] signs with.
pub const ROTATED_KID: &str = "fake-key-2";

/// A signing key with its public JWK.
struct Key {
    encoding: EncodingKey,
    jwk: Jwk,
}

impl Key {
    fn generate(kid: &str) -> Self {
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key");
        let der = private.to_pkcs1_der().expect("PKCS#1 DER");
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).expect("JWK");
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Self { encoding, jwk }
    }

    fn sign(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign the ID token")
    }
}

/// RSA key generation takes a while in a test build, so only the published
/// key is made at the start, the others when a misbehaviour needs them.
struct Keys {
    /// In the JWKS from the start.
    published: Key,
    /// Never in the JWKS; signs under [`FAKE_KID`].
    impostor: OnceLock<Key>,
    /// In the JWKS only after an [`Misbehaviour::UnknownKid`] token was issued.
    rotated: OnceLock<Key>,
}

impl Keys {
    fn impostor(&self) -> &Key {
        self.impostor.get_or_init(|| Key::generate(FAKE_KID))
    }

    fn rotated(&self) -> &Key {
        self.rotated.get_or_init(|| Key::generate(ROTATED_KID))
    }
}

/// What an issued code stands for.
#[derive(Clone)]
struct Authorization {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    user: TestUser,
}

struct FakeState {
    issuer: String,
    clients: Vec<ClientSpec>,
    misbehaviour: Misbehaviour,
    user: TestUser,
    codes: HashMap<String, Authorization>,
    access_tokens: HashMap<String, TestUser>,
    /// An `UnknownKid` token went out and the JWKS has not shown its key yet.
    rotation_pending: bool,
    rotated_published: bool,
    jwks_fetches: usize,
    token_requests: usize,
}

type Shared = Arc<(Keys, Mutex<FakeState>)>;

/// A running fake provider; the server stops on drop.
pub struct FakeProvider {
    issuer: String,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeProvider {
    /// Starts the fake with these clients, honest, logging in
    /// `TestUser::new("fake-user")`.
    pub async fn start(clients: Vec<ClientSpec>) -> Self {
        let keys = tokio::task::spawn_blocking(|| Keys {
            published: Key::generate(FAKE_KID),
            impostor: OnceLock::new(),
            rotated: OnceLock::new(),
        })
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let shared: Shared = Arc::new((
            keys,
            Mutex::new(FakeState {
                issuer: issuer.clone(),
                clients,
                misbehaviour: Misbehaviour::Honest,
                user: TestUser::new("fake-user"),
                codes: HashMap::new(),
                access_tokens: HashMap::new(),
                rotation_pending: false,
                rotated_published: false,
                jwks_fetches: 0,
                token_requests: 0,
            }),
        ));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            issuer,
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn issuer(&self) -> String {
        self.issuer.clone()
    }

    /// How the token endpoint answers from now on.
    pub fn misbehave(&self, misbehaviour: Misbehaviour) {
        // The key it signs with, made now rather than in a request.
        match misbehaviour {
            Misbehaviour::WrongSignature => {
                self.shared.0.impostor();
            }
            Misbehaviour::UnknownKid => {
                self.shared.0.rotated();
            }
            _ => {}
        }
        self.state().misbehaviour = misbehaviour;
    }

    /// The user the next authorizations log in.
    pub fn set_user(&self, user: &TestUser) {
        self.state().user = user.clone();
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.state().jwks_fetches
    }

    /// How many requests reached the token endpoint.
    pub fn token_requests(&self) -> usize {
        self.state().token_requests
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.shared.1.lock().unwrap()
    }
}

async fn discovery(State(shared): State<Shared>) -> Json<Value> {
    let issuer = shared.1.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce",
            "email", "email_verified", "preferred_username", "name"
        ],
    }))
}

async fn jwks(State(shared): State<Shared>) -> Json<JwkSet> {
    let (keys, state) = &*shared;
    let mut state = state.lock().unwrap();
    state.jwks_fetches += 1;
    if state.rotation_pending {
        state.rotation_pending = false;
        state.rotated_published = true;
    }
    let mut set = vec![keys.published.jwk.clone()];
    if state.rotated_published {
        set.push(keys.rotated().jwk.clone());
    }
    Json(JwkSet { keys: set })
}

#[derive(Deserialize)]
struct AuthorizeParams {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

async fn authorize(
    State(shared): State<Shared>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    let mut state = shared.1.lock().unwrap();
    let registered = state.clients.iter().any(|client| {
        client.client_id == params.client_id && client.redirect_uris.contains(&params.redirect_uri)
    });
    if !registered {
        return (StatusCode::BAD_REQUEST, "unknown client or redirect_uri").into_response();
    }
    if params.code_challenge.is_some() && params.code_challenge_method.as_deref() != Some("S256") {
        return (StatusCode::BAD_REQUEST, "only S256 code challenges").into_response();
    }
    let code = random_token();
    let user = state.user.clone();
    state.codes.insert(
        code.clone(),
        Authorization {
            client_id: params.client_id,
            redirect_uri: params.redirect_uri.clone(),
            nonce: params.nonce,
            code_challenge: params.code_challenge,
            user,
        },
    );
    let mut target = Url::parse(&params.redirect_uri).expect("registered redirect URIs parse");
    {
        let mut query = target.query_pairs_mut();
        query.append_pair("code", &code);
        if let Some(value) = &params.state {
            query.append_pair("state", value);
        }
        query.append_pair("iss", &state.issuer);
    }
    Redirect::to(target.as_str()).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The client's credentials from HTTP Basic (form-urlencoded, RFC 6749
/// section 2.3.1) or from the form.
fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let encoded = value.to_str().ok()?.strip_prefix("Basic ")?;
        let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let unescape = |part: &str| -> Option<String> {
            let pair = format!("v={part}");
            let (_, value) = url::form_urlencoded::parse(pair.as_bytes()).next()?;
            Some(value.into_owned())
        };
        return Some((unescape(id)?, unescape(secret)?));
    }
    Some((form.client_id.clone()?, form.client_secret.clone()?))
}

async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let (keys, state) = &*shared;
    let mut state = state.lock().unwrap();
    state.token_requests += 1;

    let Some((client_id, client_secret)) = client_credentials(&headers, &form) else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "no client credentials",
        );
    };
    let authenticated = state
        .clients
        .iter()
        .any(|client| client.client_id == client_id && client.client_secret == client_secret);
    if !authenticated {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "wrong client credentials",
        );
    }
    if form.grant_type != "authorization_code" {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        );
    }
    let code = form.code.clone().unwrap_or_default();
    let misbehaviour = state.misbehaviour;
    let authorization = if misbehaviour == Misbehaviour::ReplayedCode {
        state.codes.get(&code).cloned()
    } else {
        state.codes.remove(&code)
    };
    let Some(authorization) = authorization else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown or used code",
        );
    };
    if authorization.client_id != client_id
        || form.redirect_uri.as_deref() != Some(authorization.redirect_uri.as_str())
    {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "code issued to another client or redirect_uri",
        );
    }
    if let Some(challenge) = &authorization.code_challenge {
        let verifier = form.code_verifier.as_deref().unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "code_verifier does not match",
            );
        }
    }

    let now = unix_now();
    let (iat, exp) = if misbehaviour == Misbehaviour::Expired {
        (now - 7200, now - 3600)
    } else {
        (now, now + 600)
    };
    let user = &authorization.user;
    let mut claims = json!({
        "iss": if misbehaviour == Misbehaviour::WrongIssuer {
            "http://127.0.0.1:1/another-provider".to_owned()
        } else {
            state.issuer.clone()
        },
        "sub": user.sub,
        "aud": if misbehaviour == Misbehaviour::WrongAudience {
            "another-client".to_owned()
        } else {
            client_id.clone()
        },
        "iat": iat,
        "exp": exp,
        "auth_time": iat,
        "email": user.email,
        "email_verified": user.email_verified,
        "preferred_username": user.preferred_username,
        "name": user.name,
    });
    let nonce = if misbehaviour == Misbehaviour::NonceMismatch {
        Some("not-the-nonce-you-sent".to_owned())
    } else {
        authorization.nonce.clone()
    };
    if let Some(nonce) = nonce {
        claims["nonce"] = Value::String(nonce);
    }
    let id_token = match misbehaviour {
        Misbehaviour::WrongSignature => keys.impostor().sign(FAKE_KID, &claims),
        Misbehaviour::AlgNone => unsigned(&claims),
        Misbehaviour::UnknownKid => {
            if !state.rotated_published {
                state.rotation_pending = true;
            }
            keys.rotated().sign(ROTATED_KID, &claims)
        }
        _ => keys.published.sign(FAKE_KID, &claims),
    };
    let access_token = random_token();
    state
        .access_tokens
        .insert(access_token.clone(), user.clone());
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 600,
        "scope": "openid email profile",
        "id_token": id_token,
    }))
    .into_response()
}

async fn userinfo(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let state = shared.1.lock().unwrap();
    let user = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| state.access_tokens.get(token));
    match user {
        Some(user) => Json(serde_json::to_value(user).unwrap()).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response(),
    }
}

/// `alg: none`: header and claims, and an empty signature.
fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{payload}.")
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}
