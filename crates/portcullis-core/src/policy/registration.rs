//! Who may sign up, and whether a registration says that an address is
//! already taken.

/// The self-registration policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationPolicy {
    /// Self-registration is open. When closed, accounts come from
    /// administrators and the command line only.
    pub enabled: bool,
    /// Answer "this address is already registered". When off (the safe
    /// default), a taken address gets the same answer and the same work as
    /// a new one, and its owner is told by email that someone tried; the
    /// same holds for changing to a taken address.
    pub reveal_taken: bool,
}

impl Default for RegistrationPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            reveal_taken: false,
        }
    }
}
