//! A software WebAuthn authenticator, together with the browser's part of
//! the ceremony (the client data), so that the black-box tests can register
//! and use passkeys by talking JSON to the server as a browser would.
//!
//! The crate `webauthn-authenticator-rs` cannot serve here: its soft passkey
//! keeps no resident keys and returns no user handle, so username-less
//! sign-in could not be tried with it. This one is written against the
//! WebAuthn Level 2/3 specification instead: the authenticator data of §6.1,
//! the "none" attestation of §6.5 and §8.7, and the client data of §5.8.1,
//! with ES256 (ECDSA P-256 with SHA-256) keys, as most platform
//! authenticators use.
//!
//! The keys are made with the operating system's random source through
//! p256's `getrandom` feature, and the assertion signatures are DER-encoded
//! through its `der` feature; both come in by feature unification with
//! `webauthn-rs`, which needs them itself.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use ciborium::Value as Cbor;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::Generate as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use webauthn_rs::prelude::Url;

/// The COSE algorithm identifier of ES256, the only one this authenticator
/// can make keys for.
const ES256: i64 = -7;

/// User present: the user touched the authenticator.
const FLAG_UP: u8 = 0x01;
/// User verified: the authenticator checked a PIN or a biometric, which
/// passkeys require since they stand in for the password.
const FLAG_UV: u8 = 0x04;
/// Backup eligible: the credential may be synced to other devices.
const FLAG_BE: u8 = 0x08;
/// Backup state: the credential is currently synced.
const FLAG_BS: u8 = 0x10;
/// Attested credential data included: only at registration.
const FLAG_AT: u8 = 0x40;

/// One credential the authenticator holds, with what it must remember to
/// sign with it later and to find it without being told its id.
#[derive(Clone)]
struct Credential {
    /// The credential id: 32 random bytes, as the relying party will see it.
    id: Vec<u8>,
    /// The relying party the credential is scoped to; it is never offered to
    /// another.
    rp_id: String,
    /// The user handle (`user.id`) the relying party gave at registration,
    /// returned with every assertion so username-less sign-in can find the
    /// account.
    user_handle: Vec<u8>,
    /// The credential's private key.
    key: SigningKey,
    /// The signature counter, reported (after being incremented) with each
    /// assertion when the authenticator counts.
    counter: u32,
}

/// A software platform authenticator holding discoverable ES256 credentials.
///
/// It answers the server's creation and request options with the JSON a
/// browser's `PublicKeyCredential.toJSON()` would give, so that a test can
/// post it back unchanged. It always reports user presence and user
/// verification, as a platform authenticator does once the user has
/// unlocked it.
#[derive(Clone)]
pub(crate) struct SoftAuthenticator {
    /// The credentials, in registration order.
    credentials: Vec<Credential>,
    /// Whether the signature counters count; when they do not, the
    /// credentials behave as synced passkeys (counter 0, backed up).
    counts: bool,
}

impl SoftAuthenticator {
    /// An authenticator bound to one device: counters start at 0 and each
    /// assertion adds 1, so that a relying party can spot a clone whose
    /// counter lags (`without_counter()` gives the synced kind instead).
    pub(crate) fn new() -> Self {
        Self {
            credentials: Vec::new(),
            counts: true,
        }
    }

    /// An authenticator whose credentials behave as synced passkeys do: the
    /// counter is always reported as 0 (a counter cannot be kept consistent
    /// across devices), and the backup eligible and backup state flags are
    /// set, the same at registration and at every assertion.
    pub(crate) fn without_counter() -> Self {
        Self {
            credentials: Vec::new(),
            counts: false,
        }
    }

    /// Makes a new credential, as `navigator.credentials.create()` would.
    ///
    /// `options` is the JSON the server sent: either `{"publicKey": {...}}`
    /// or the inner PublicKeyCredentialCreationOptions itself, in the
    /// standard JSON encoding (base64url `challenge` and `user.id`, `rp.id`,
    /// `pubKeyCredParams`, `excludeCredentials`...). `origin` is what the
    /// browser puts in the client data, such as `http://localhost:8080`; the
    /// relying party id defaults to its host when `rp.id` is absent.
    ///
    /// It returns the RegistrationResponseJSON of `credential.toJSON()`:
    /// `{"id", "rawId", "type": "public-key", "response": {"clientDataJSON",
    /// "attestationObject", "transports": ["internal"]},
    /// "clientExtensionResults": {}, "authenticatorAttachment": "platform"}`,
    /// all binary as base64url without padding.
    ///
    /// It refuses, as a real authenticator does with an InvalidStateError,
    /// when `excludeCredentials` lists one of its own credentials for that
    /// relying party, and when `pubKeyCredParams` does not offer ES256 (-7),
    /// the only algorithm it has keys for.
    pub(crate) fn register(&mut self, options: &Value, origin: &str) -> Result<Value, String> {
        let options = public_key(options);
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .ok_or("the creation options have no challenge")?;
        let rp_id = match options.pointer("/rp/id").and_then(Value::as_str) {
            Some(rp_id) => rp_id.to_owned(),
            None => origin_host(origin)?,
        };
        let user_handle = unb64(
            options
                .pointer("/user/id")
                .and_then(Value::as_str)
                .ok_or("the creation options have no user.id")?,
        )?;

        let offers_es256 = options
            .get("pubKeyCredParams")
            .and_then(Value::as_array)
            .is_some_and(|params| {
                params.iter().any(|param| {
                    param.get("type").and_then(Value::as_str) == Some("public-key")
                        && param.get("alg").and_then(Value::as_i64) == Some(ES256)
                })
            });
        if !offers_es256 {
            return Err(format!(
                "NotSupportedError: pubKeyCredParams does not offer ES256 ({ES256})"
            ));
        }

        // The relying party lists the credentials the account already has so
        // that the same authenticator is not registered twice; an
        // authenticator holding one of them refuses to make another.
        for excluded in options
            .get("excludeCredentials")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = unb64(
                excluded
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or("an excludeCredentials entry has no id")?,
            )?;
            if self
                .credentials
                .iter()
                .any(|c| c.id == id && c.rp_id == rp_id)
            {
                return Err(format!(
                    "InvalidStateError: the authenticator already holds the excluded credential {}",
                    b64(&id)
                ));
            }
        }

        let id = <[u8; 32]>::generate().to_vec();
        let key = SigningKey::generate();

        // Attested credential data (§6.5.2): a zero AAGUID, as "none"
        // attestation asks for, then the id and the COSE public key.
        let id_len = u16::try_from(id.len()).map_err(|e| e.to_string())?;
        let mut attested = vec![0u8; 16];
        attested.extend_from_slice(&id_len.to_be_bytes());
        attested.extend_from_slice(&id);
        attested.extend_from_slice(&cose_key(&key)?);

        let auth_data = self.authenticator_data(&rp_id, 0, Some(&attested));
        let attestation_object = cbor(&Cbor::Map(vec![
            (text("fmt"), text("none")),
            (text("attStmt"), Cbor::Map(Vec::new())),
            (text("authData"), Cbor::Bytes(auth_data)),
        ]))?;
        let client_data_json = client_data("webauthn.create", challenge, origin);

        self.credentials.push(Credential {
            id: id.clone(),
            rp_id,
            user_handle,
            key,
            counter: 0,
        });

        Ok(json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data_json),
                "attestationObject": b64(&attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }))
    }

    /// Signs an assertion, as `navigator.credentials.get()` would.
    ///
    /// `options` is `{"publicKey": {...}, "mediation": ...}` or the inner
    /// PublicKeyCredentialRequestOptions (`challenge`, `rpId`,
    /// `allowCredentials`, `userVerification`); the relying party id defaults
    /// to the origin's host when `rpId` is absent. With a non-empty
    /// `allowCredentials` it uses the first listed credential it holds for
    /// that relying party; with none it picks, as a discoverable credential,
    /// the most recently registered one for the relying party. It fails when
    /// it holds none that fits.
    ///
    /// It returns the AuthenticationResponseJSON of `credential.toJSON()`:
    /// `{"id", "rawId", "type": "public-key", "response": {"clientDataJSON",
    /// "authenticatorData", "signature", "userHandle"},
    /// "clientExtensionResults": {}, "authenticatorAttachment": "platform"}`.
    /// The user handle is always included, since every credential here is
    /// discoverable and a username-less sign-in needs it.
    pub(crate) fn authenticate(&mut self, options: &Value, origin: &str) -> Result<Value, String> {
        let options = public_key(options);
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .ok_or("the request options have no challenge")?;
        let rp_id = match options.get("rpId").and_then(Value::as_str) {
            Some(rp_id) => rp_id.to_owned(),
            None => origin_host(origin)?,
        };

        let allowed = options
            .get("allowCredentials")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|allowed| {
                allowed
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| "an allowCredentials entry has no id".to_owned())
                    .and_then(unb64)
            })
            .collect::<Result<Vec<_>, _>>()?;

        let index = if allowed.is_empty() {
            self.credentials.iter().rposition(|c| c.rp_id == rp_id)
        } else {
            allowed.iter().find_map(|id| {
                self.credentials
                    .iter()
                    .position(|c| &c.id == id && c.rp_id == rp_id)
            })
        }
        .ok_or_else(|| format!("NotAllowedError: no credential for {rp_id} fits the request"))?;

        let counts = self.counts;
        let credential = &mut self.credentials[index];
        let counter = if counts {
            credential.counter = credential.counter.wrapping_add(1);
            credential.counter
        } else {
            0
        };
        let credential = credential.clone();

        let auth_data = self.authenticator_data(&rp_id, counter, None);
        let client_data_json = client_data("webauthn.get", challenge, origin);

        // §6.3.3 step 11: the signature covers the authenticator data
        // followed by the hash of the client data; the ES256 signature is
        // over the SHA-256 of that, DER-encoded (§6.5.6).
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data_json));
        let signature: Signature = credential.key.sign(&signed);

        Ok(json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data_json),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }))
    }

    /// The base64url ids of the credentials it holds, in registration order,
    /// as the server will have stored them.
    pub(crate) fn credential_ids(&self) -> Vec<String> {
        self.credentials.iter().map(|c| b64(&c.id)).collect()
    }

    /// Sets the sign counter of credential `index` (in registration order),
    /// to simulate a cloned authenticator whose counter went backwards: the
    /// next assertion reports `counter + 1`. It has no visible effect on an
    /// authenticator made with `without_counter()`, which always reports 0.
    ///
    /// # Panics
    ///
    /// When there is no credential `index`, which is a mistake in the test.
    pub(crate) fn set_counter(&mut self, index: usize, counter: u32) {
        self.credentials
            .get_mut(index)
            .expect("set_counter: no credential at that index")
            .counter = counter;
    }

    /// A copy holding the same keys and counters, as a clone of the device
    /// would; the two then count on independently.
    pub(crate) fn duplicate(&self) -> Self {
        self.clone()
    }

    /// The flags byte of the authenticator data (§6.1): user present and
    /// verified always, the backup flags for synced passkeys, and attested
    /// credential data at registration.
    fn flags(&self, attested: bool) -> u8 {
        let mut flags = FLAG_UP | FLAG_UV;
        if !self.counts {
            flags |= FLAG_BE | FLAG_BS;
        }
        if attested {
            flags |= FLAG_AT;
        }
        flags
    }

    /// The authenticator data (§6.1): the SHA-256 of the relying party id,
    /// the flags, the big-endian signature counter and, at registration, the
    /// attested credential data.
    fn authenticator_data(&self, rp_id: &str, counter: u32, attested: Option<&[u8]>) -> Vec<u8> {
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(self.flags(attested.is_some()));
        data.extend_from_slice(&counter.to_be_bytes());
        if let Some(attested) = attested {
            data.extend_from_slice(attested);
        }
        data
    }
}

/// Builds the clientDataJSON bytes of a ceremony (§5.8.1), `type_` being
/// `webauthn.create` or `webauthn.get`, exposed so that tests can craft
/// responses with the wrong origin or the wrong type.
///
/// The challenge is put in exactly as the server sent it (base64url). The
/// members come in the order browsers write them, which §5.8.1.2's limited
/// verification algorithm relies on, rather than the sorted order
/// `serde_json` would give.
pub(crate) fn client_data(type_: &str, challenge_b64url: &str, origin: &str) -> Vec<u8> {
    let quote = |s: &str| Value::String(s.to_owned()).to_string();
    format!(
        r#"{{"type":{},"challenge":{},"origin":{},"crossOrigin":false}}"#,
        quote(type_),
        quote(challenge_b64url),
        quote(origin),
    )
    .into_bytes()
}

/// The PublicKeyCredential*Options inside `{"publicKey": ...}`, or the value
/// itself when it is not wrapped, since servers send either.
fn public_key(options: &Value) -> &Value {
    options.get("publicKey").unwrap_or(options)
}

/// The host of an origin, the relying party id a browser assumes when the
/// options name none.
fn origin_host(origin: &str) -> Result<String, String> {
    Url::parse(origin)
        .map_err(|e| format!("the origin {origin:?} is not a URL: {e}"))?
        .host_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("the origin {origin:?} has no host"))
}

/// Base64url without padding, the encoding of every binary member of the
/// WebAuthn JSON.
fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a binary member of the server's options: base64url as the
/// standard says, but padded or plain base64 too, so that an encoding slip
/// on the server side shows up where it matters rather than here.
fn unb64(encoded: &str) -> Result<Vec<u8>, String> {
    let trimmed = encoded.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| STANDARD_NO_PAD.decode(trimmed))
        .map_err(|e| format!("{encoded:?} is not base64url: {e}"))
}

/// The credential public key as a COSE_Key (RFC 9052 §7, RFC 9053 §7.1.1):
/// `{1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}`, in the
/// canonical CBOR key order CTAP2 prescribes (which the order above is).
fn cose_key(key: &SigningKey) -> Result<Vec<u8>, String> {
    let point = key.verifying_key().to_sec1_point(false);
    // An uncompressed SEC1 point is 0x04 followed by x and y, 32 bytes each.
    let (x, y) = match point.as_bytes() {
        [0x04, rest @ ..] if rest.len() == 64 => rest.split_at(32),
        _ => return Err("the public key is not an uncompressed P-256 point".to_owned()),
    };
    cbor(&Cbor::Map(vec![
        (int(1), int(2)),
        (int(3), int(ES256)),
        (int(-1), int(1)),
        (int(-2), Cbor::Bytes(x.to_vec())),
        (int(-3), Cbor::Bytes(y.to_vec())),
    ]))
}

/// A CBOR integer.
fn int(n: i64) -> Cbor {
    Cbor::Integer(n.into())
}

/// A CBOR text string.
fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

/// Encodes a CBOR value; the maps are written in the order given, which the
/// callers keep canonical.
fn cbor(value: &Cbor) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests;
