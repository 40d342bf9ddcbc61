//! Passkeys: WebAuthn credentials an account signs in with, without a
//! password or as the second factor after one.

use crate::domain::session::SessionId;
use crate::domain::user::UserId;
use serde::Serialize;
use time::OffsetDateTime;

/// Database identity of a passkey (not its credential id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PasskeyId(pub i64);

/// Longest name a passkey may have, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A registered passkey as its owner and administrators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInfo {
    /// The row id.
    pub id: PasskeyId,
    /// Whose it is.
    pub user_id: UserId,
    /// What its owner called it ("Laptop", "YubiKey").
    pub name: String,
    /// When it was registered.
    pub created_at: OffsetDateTime,
    /// When it last signed in.
    pub last_used_at: Option<OffsetDateTime>,
    /// The authenticator may copy it to other devices (a synced passkey).
    pub backup_eligible: bool,
    /// It was copied (synced) when last seen.
    pub backed_up: bool,
}

/// A passkey with what the verifier needs: its credential record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// What is shown of it.
    pub info: PasskeyInfo,
    /// The credential id, base64url.
    pub credential_id: String,
    /// The verifier's record of the credential (public key, counter,
    /// flags), as JSON.
    pub credential: String,
    /// The signature counter last accepted.
    pub sign_count: i64,
}

/// A passkey about to be stored.
#[derive(Debug, Clone)]
pub struct NewPasskey {
    /// Whose it is.
    pub user_id: UserId,
    /// The credential id, base64url; unique across accounts.
    pub credential_id: String,
    /// Its name.
    pub name: String,
    /// The verifier's record, JSON.
    pub credential: String,
    /// The counter the registration reported.
    pub sign_count: i64,
    /// The backup-eligible flag.
    pub backup_eligible: bool,
    /// The backed-up flag.
    pub backed_up: bool,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A successful use of a passkey, to record: the counter goes forward
/// only (one statement, so two uses of one assertion cannot both pass).
#[derive(Debug, Clone)]
pub struct PasskeyUse {
    /// Which passkey.
    pub id: PasskeyId,
    /// The counter the signature reported.
    pub sign_count: i64,
    /// The verifier's record with the new counter and flags.
    pub credential: String,
    /// The backed-up flag it reported.
    pub backed_up: bool,
    /// When.
    pub at: OffsetDateTime,
}

/// What a WebAuthn ceremony in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Registering a new passkey for a signed-in account.
    Register,
    /// Signing in without a username.
    Login,
    /// The second step of a login whose password was right.
    SecondFactor,
}

impl CeremonyPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::SecondFactor => "second_factor",
        }
    }

    /// The purpose called `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "register" => Some(Self::Register),
            "login" => Some(Self::Login),
            "second_factor" => Some(Self::SecondFactor),
            _ => None,
        }
    }
}

/// A ceremony in flight: the verifier's state between the options sent to
/// the browser and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// What it is for.
    pub purpose: CeremonyPurpose,
    /// The account it is for (all but sign-in without a username).
    pub user_id: Option<UserId>,
    /// The pending session a second step belongs to.
    pub session_id: Option<SessionId>,
    /// The verifier's state, JSON.
    pub state: String,
    /// When it began.
    pub created_at: OffsetDateTime,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}
