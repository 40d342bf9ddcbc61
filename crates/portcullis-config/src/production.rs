//! What production mode refuses: no secret or a guessable one, no public URL,
//! or a public URL over plain http unless `allow_insecure_http` says so. The
//! mail section adds its own rule (no clear-text SMTP off loopback). OpenID
//! providers need nothing more here: their redirect URI is `public_url` +
//! `redirect_path`, and `public_url` is already required.

use super::secret::{self, MIN_BITS};
use super::{Settings, SettingsError, invalid};

impl Settings {
    pub(super) fn validate_production(&self) -> Result<(), SettingsError> {
        let Some(secret) = &self.secret else {
            return Err(invalid(
                "secret",
                "production mode needs a secret of 32 random bytes",
            ));
        };
        let bits = secret::estimated_bits(secret);
        if bits < MIN_BITS {
            return Err(invalid(
                "secret",
                format!(
                    "is too easy to guess: it is estimated at {bits:.0} bits and production mode \
                     needs {MIN_BITS:.0}; use 32 random bytes, such as the output of \
                     openssl rand -hex 32"
                ),
            ));
        }
        let Some(url) = &self.public_url else {
            return Err(invalid(
                "public_url",
                "production mode needs the URL users reach the server at",
            ));
        };
        // Over http, passwords and session cookies cross the network in the
        // clear and cookies cannot be `Secure`. Someone may still mean it (a
        // closed test network); then they say so, and every start warns.
        if url.scheme() == "http" && !self.allow_insecure_http {
            return Err(invalid(
                "public_url",
                format!(
                    "{:?} is plain http, and production mode needs https; set \
                     allow_insecure_http = true (PORTCULLIS_ALLOW_INSECURE_HTTP) to run \
                     without it anyway",
                    url.as_str()
                ),
            ));
        }
        Ok(())
    }
}
