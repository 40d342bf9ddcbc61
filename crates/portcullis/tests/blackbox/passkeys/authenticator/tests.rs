//! The authenticator checked against the server's own WebAuthn library,
//! with no server in between: if `webauthn-rs` accepts what it makes,
//! the black-box tests fail only for the server's reasons.

use super::*;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableKey, Passkey, PublicKeyCredential,
    RegisterPublicKeyCredential, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

const ORIGIN: &str = "http://localhost:8080";

fn webauthn() -> Webauthn {
    let origin = Url::parse(ORIGIN).expect("origin");
    WebauthnBuilder::new("localhost", &origin)
        .expect("builder")
        .rp_name("Portcullis")
        .build()
        .expect("webauthn")
}

/// Registers a passkey for `user` through the whole ceremony.
fn register(webauthn: &Webauthn, authenticator: &mut SoftAuthenticator, user: Uuid) -> Passkey {
    let (options, state) = webauthn
        .start_passkey_registration(user, "claire", "Claire", None)
        .expect("start registration");
    let options = serde_json::to_value(&options).expect("options to JSON");
    let response = authenticator.register(&options, ORIGIN).expect("register");
    let response: RegisterPublicKeyCredential =
        serde_json::from_value(response).expect("registration response");
    webauthn
        .finish_passkey_registration(&response, &state)
        .expect("finish registration")
}

/// Signs in with `passkey` (allowCredentials given), returning the
/// library's verdict and keeping the passkey's stored counter up to date
/// on success, as the server must.
fn sign_in(
    webauthn: &Webauthn,
    authenticator: &mut SoftAuthenticator,
    passkey: &mut Passkey,
) -> Result<AuthenticationResult, WebauthnError> {
    let (options, state) = webauthn
        .start_passkey_authentication(std::slice::from_ref(passkey))
        .expect("start authentication");
    let options = serde_json::to_value(&options).expect("options to JSON");
    let response = authenticator
        .authenticate(&options, ORIGIN)
        .expect("authenticate");
    let response: PublicKeyCredential =
        serde_json::from_value(response).expect("authentication response");
    let result = webauthn.finish_passkey_authentication(&response, &state)?;
    passkey.update_credential(&result);
    Ok(result)
}

#[test]
fn registration_is_accepted() {
    let webauthn = webauthn();
    let mut authenticator = SoftAuthenticator::new();
    let passkey = register(&webauthn, &mut authenticator, Uuid::new_v4());
    assert_eq!(
        authenticator.credential_ids(),
        vec![b64(passkey.cred_id().as_slice())]
    );
}

#[test]
fn authentication_is_accepted_and_counts() {
    let webauthn = webauthn();
    let mut authenticator = SoftAuthenticator::new();
    let mut passkey = register(&webauthn, &mut authenticator, Uuid::new_v4());

    let first = sign_in(&webauthn, &mut authenticator, &mut passkey).expect("first");
    assert_eq!(first.counter(), 1);
    assert!(first.user_verified());
    assert!(!first.backup_eligible());
    let second = sign_in(&webauthn, &mut authenticator, &mut passkey).expect("second");
    assert_eq!(second.counter(), 2);
}

#[test]
fn synced_passkeys_report_no_counter_and_backup_flags() {
    let webauthn = webauthn();
    let mut authenticator = SoftAuthenticator::without_counter();
    let mut passkey = register(&webauthn, &mut authenticator, Uuid::new_v4());

    for _ in 0..2 {
        let result = sign_in(&webauthn, &mut authenticator, &mut passkey).expect("sign in");
        assert_eq!(result.counter(), 0);
        assert!(result.backup_eligible());
        assert!(result.backup_state());
    }
}

#[test]
fn discoverable_authentication_identifies_the_user() {
    let webauthn = webauthn();
    for mut authenticator in [
        SoftAuthenticator::new(),
        SoftAuthenticator::without_counter(),
    ] {
        let user = Uuid::new_v4();
        // An older credential of another user must not be the one picked.
        register(&webauthn, &mut authenticator, Uuid::new_v4());
        let passkey = register(&webauthn, &mut authenticator, user);

        let (options, state) = webauthn
            .start_discoverable_authentication()
            .expect("start discoverable");
        let options = serde_json::to_value(&options).expect("options to JSON");
        assert_eq!(options["mediation"], "conditional");
        let response = authenticator
            .authenticate(&options, ORIGIN)
            .expect("authenticate");
        let response: PublicKeyCredential =
            serde_json::from_value(response).expect("authentication response");

        let (found_user, cred_id) = webauthn
            .identify_discoverable_authentication(&response)
            .expect("identify");
        assert_eq!(found_user, user);
        assert_eq!(cred_id, passkey.cred_id().as_slice());
        assert_eq!(authenticator.credential_ids()[1], b64(cred_id));

        webauthn
            .finish_discoverable_authentication_v2(
                &response,
                state,
                DiscoverableKey::from(&passkey),
            )
            .expect("finish discoverable");
    }
}

#[test]
fn wrong_origin_is_refused() {
    let webauthn = webauthn();
    let mut authenticator = SoftAuthenticator::new();

    // At registration: the library checks the origin before anything
    // else of substance.
    let (options, state) = webauthn
        .start_passkey_registration(Uuid::new_v4(), "claire", "Claire", None)
        .expect("start registration");
    let options = serde_json::to_value(&options).expect("options to JSON");
    let response = authenticator
        .register(&options, "http://evil.example")
        .expect("register");
    let response: RegisterPublicKeyCredential =
        serde_json::from_value(response).expect("registration response");
    let error = webauthn
        .finish_passkey_registration(&response, &state)
        .expect_err("wrong origin accepted at registration");
    assert!(matches!(error, WebauthnError::InvalidRPOrigin), "{error:?}");

    // At sign-in, with a properly registered passkey.
    let passkey = register(&webauthn, &mut authenticator, Uuid::new_v4());
    let (options, state) = webauthn
        .start_passkey_authentication(std::slice::from_ref(&passkey))
        .expect("start authentication");
    let options = serde_json::to_value(&options).expect("options to JSON");
    let response = authenticator
        .authenticate(&options, "http://evil.example")
        .expect("authenticate");
    let response: PublicKeyCredential =
        serde_json::from_value(response).expect("authentication response");
    let error = webauthn
        .finish_passkey_authentication(&response, &state)
        .expect_err("wrong origin accepted at sign-in");
    assert!(matches!(error, WebauthnError::InvalidRPOrigin), "{error:?}");
}

#[test]
fn wrong_type_is_refused() {
    let webauthn = webauthn();
    let mut authenticator = SoftAuthenticator::new();
    let (options, state) = webauthn
        .start_passkey_registration(Uuid::new_v4(), "claire", "Claire", None)
        .expect("start registration");
    let options = serde_json::to_value(&options).expect("options to JSON");
    let mut response = authenticator.register(&options, ORIGIN).expect("register");
    let challenge = options["publicKey"]["challenge"]
        .as_str()
        .expect("challenge");
    response["response"]["clientDataJSON"] =
        b64(&client_data("webauthn.get", challenge, ORIGIN)).into();
    let response: RegisterPublicKeyCredential =
        serde_json::from_value(response).expect("registration response");
    let error = webauthn
        .finish_passkey_registration(&response, &state)
        .expect_err("wrong type accepted");
    assert!(
        matches!(error, WebauthnError::InvalidClientDataType),
        "{error:?}"
    );
}

#[test]
fn replay_against_another_ceremony_is_refused() {
    let webauthn = webauthn();
    let mut authenticator = SoftAuthenticator::new();
    let passkey = register(&webauthn, &mut authenticator, Uuid::new_v4());

    let (first_options, _first_state) = webauthn
        .start_passkey_authentication(std::slice::from_ref(&passkey))
        .expect("start first");
    let (_second_options, second_state) = webauthn
        .start_passkey_authentication(std::slice::from_ref(&passkey))
        .expect("start second");
    let options = serde_json::to_value(&first_options).expect("options to JSON");
    let response = authenticator
        .authenticate(&options, ORIGIN)
        .expect("authenticate");
    let response: PublicKeyCredential =
        serde_json::from_value(response).expect("authentication response");
    let error = webauthn
        .finish_passkey_authentication(&response, &second_state)
        .expect_err("replay accepted");
    assert!(
        matches!(error, WebauthnError::MismatchedChallenge),
        "{error:?}"
    );
}

/// webauthn-rs refuses an assertion whose counter is not above the
/// stored one with `WebauthnError::CredentialPossibleCompromise`
/// (`require_valid_counter_value` is on by default); it checks this
/// after the signature, so the error means a genuine but lagging
/// authenticator: a cloned device.
#[test]
fn counter_regression_is_refused() {
    let webauthn = webauthn();
    let mut authenticator = SoftAuthenticator::new();
    let mut passkey = register(&webauthn, &mut authenticator, Uuid::new_v4());
    let mut clone = authenticator.duplicate();

    for expected in 1..=2 {
        let result = sign_in(&webauthn, &mut authenticator, &mut passkey).expect("sign in");
        assert_eq!(result.counter(), expected);
    }

    authenticator.set_counter(0, 0);
    let error = sign_in(&webauthn, &mut authenticator, &mut passkey)
        .expect_err("counter regression accepted");
    assert!(
        matches!(error, WebauthnError::CredentialPossibleCompromise),
        "{error:?}"
    );

    // A clone of the device made before the two sign-ins lags the same way.
    let error = sign_in(&webauthn, &mut clone, &mut passkey).expect_err("cloned device accepted");
    assert!(
        matches!(error, WebauthnError::CredentialPossibleCompromise),
        "{error:?}"
    );

    // The original, still ahead, goes on being accepted.
    authenticator.set_counter(0, 2);
    let result = sign_in(&webauthn, &mut authenticator, &mut passkey).expect("sign in");
    assert_eq!(result.counter(), 3);
}

#[test]
fn excluded_credential_is_not_registered_twice() {
    let webauthn = webauthn();
    let mut authenticator = SoftAuthenticator::new();
    let passkey = register(&webauthn, &mut authenticator, Uuid::new_v4());

    let (options, _state) = webauthn
        .start_passkey_registration(
            Uuid::new_v4(),
            "claire",
            "Claire",
            Some(vec![passkey.cred_id().clone()]),
        )
        .expect("start registration");
    let options = serde_json::to_value(&options).expect("options to JSON");
    let error = authenticator
        .register(&options, ORIGIN)
        .expect_err("excluded credential registered");
    assert!(error.starts_with("InvalidStateError"), "{error}");
    assert_eq!(authenticator.credential_ids().len(), 1);

    // Another authenticator does not hold it, so it may register.
    let mut other = SoftAuthenticator::new();
    other.register(&options, ORIGIN).expect("other registers");
}

#[test]
fn no_fitting_credential_is_an_error() {
    let mut authenticator = SoftAuthenticator::new();
    let options = json!({"publicKey": {"challenge": "AAAA", "rpId": "localhost"}});
    assert!(authenticator.authenticate(&options, ORIGIN).is_err());

    let webauthn = webauthn();
    register(&webauthn, &mut authenticator, Uuid::new_v4());
    let elsewhere = json!({"challenge": "AAAA", "rpId": "example.com"});
    assert!(authenticator.authenticate(&elsewhere, ORIGIN).is_err());
    let unknown = json!({
        "challenge": "AAAA",
        "allowCredentials": [{"type": "public-key", "id": b64(&[7; 32])}],
    });
    assert!(authenticator.authenticate(&unknown, ORIGIN).is_err());
    // No rpId: the origin's host, which the credential is scoped to.
    let default_rp = json!({"challenge": "AAAA"});
    assert!(authenticator.authenticate(&default_rp, ORIGIN).is_ok());
}

#[test]
fn client_data_is_in_browser_order() {
    assert_eq!(
        String::from_utf8(client_data("webauthn.get", "q-_w", ORIGIN)).expect("utf-8"),
        r#"{"type":"webauthn.get","challenge":"q-_w","origin":"http://localhost:8080","crossOrigin":false}"#
    );
}
