//! What a provider's word is worth: the rules that decide, after a verified
//! ID token, whether to sign an account in, link the identity to one,
//! register a new account, or ask for proof first.
//!
//! Linking by email alone is an account takeover: whoever registers the
//! victim's address at a provider that does not verify it (or pre-registers
//! it here, unconfirmed) would own the victim's sign-in. So an address links
//! an identity to an account only when the provider verified it, the
//! operator trusts that provider's verification, and the local account has
//! confirmed the same address itself. Anything less links nothing and
//! creates nothing on the provider's word; the owner of the address proves
//! it first, by the emailed link or by signing in with their password.

use crate::domain::user::UserId;

/// How far one provider is trusted; from its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPolicy {
    /// The configured id (`google`).
    pub id: String,
    /// Whether this provider's `email_verified` is believed, so a verified
    /// address may link an identity to the account that confirmed it.
    pub trust_email: bool,
    /// Whether a new identity with a verified, trusted address may create
    /// an account.
    pub allow_registration: bool,
    /// The role a new account from this provider receives.
    pub default_role: Option<String>,
}

/// What the provider asserted about the person, from a verified ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The address, if the provider sent one.
    pub email: Option<String>,
    /// Whether the provider says it verified the address.
    pub email_verified: bool,
}

/// The local account that holds the asserted address, if one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountWithAddress {
    /// The account.
    pub user: UserId,
    /// Whether the account has confirmed the address itself.
    pub confirmed: bool,
}

/// What to do with a sign-in whose identity is not linked yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Link the identity to this account, then sign it in (second factor
    /// included) and tell the owner.
    LinkAndSignIn(UserId),
    /// Create an account with the confirmed address, link, sign in.
    Register,
    /// Link and create nothing yet: mail a single-use link to the address
    /// (or, with no address, ask for one), and offer a password sign-in to
    /// link. The page must look the same whether or not an account holds
    /// the address.
    ///
    /// When the link completes for an account that had not confirmed the
    /// address, whoever set that account's password never proved the
    /// address: completing must not hand the prover an account someone
    /// else can still sign in to (the pre-hijacking attack), so it ends
    /// that password and every session along with confirming.
    AskForProof,
    /// Nothing to link to and registration is closed for this provider:
    /// refused, with the same answer whoever asks.
    Refuse,
}

impl ProviderPolicy {
    /// Whether the assertion's address counts as proven: sent, verified by
    /// the provider, and the provider trusted for it.
    pub fn vouches_for_address(&self, assertion: &Assertion) -> bool {
        assertion.email.is_some() && assertion.email_verified && self.trust_email
    }

    /// The rule for an identity that is not linked to any account yet.
    /// `holder` is the account whose address (case-insensitively) is the
    /// asserted one, if any.
    pub fn decide(&self, assertion: &Assertion, holder: Option<AccountWithAddress>) -> Decision {
        if !self.vouches_for_address(assertion) {
            return Decision::AskForProof;
        }
        match holder {
            Some(account) if account.confirmed => Decision::LinkAndSignIn(account.user),
            // An unconfirmed account with the address may be an attacker's
            // pre-registration: it gets nothing, and no second account may
            // take the address either, so its owner proves it by mail.
            Some(_) => Decision::AskForProof,
            None if self.allow_registration => Decision::Register,
            None => Decision::Refuse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(trust_email: bool, allow_registration: bool) -> ProviderPolicy {
        ProviderPolicy {
            id: "corp".into(),
            trust_email,
            allow_registration,
            default_role: None,
        }
    }

    fn said(email: Option<&str>, verified: bool) -> Assertion {
        Assertion {
            email: email.map(str::to_owned),
            email_verified: verified,
        }
    }

    const ALICE: UserId = UserId(7);

    fn holder(confirmed: bool) -> Option<AccountWithAddress> {
        Some(AccountWithAddress {
            user: ALICE,
            confirmed,
        })
    }

    #[test]
    fn only_a_verified_trusted_address_of_a_confirmed_account_links() {
        let trusted = policy(true, true);
        assert_eq!(
            trusted.decide(&said(Some("a@x.example"), true), holder(true)),
            Decision::LinkAndSignIn(ALICE)
        );
        // Unverified, untrusted, unconfirmed or absent: nothing is linked.
        for (policy, assertion, holder) in [
            (
                policy(true, true),
                said(Some("a@x.example"), false),
                holder(true),
            ),
            (
                policy(false, true),
                said(Some("a@x.example"), true),
                holder(true),
            ),
            (
                policy(true, true),
                said(Some("a@x.example"), true),
                holder(false),
            ),
            (policy(true, true), said(None, true), holder(true)),
        ] {
            assert_eq!(
                policy.decide(&assertion, holder),
                Decision::AskForProof,
                "{policy:?} {assertion:?} {holder:?}"
            );
        }
    }

    #[test]
    fn an_unproven_address_gets_the_same_answer_with_and_without_an_account() {
        for trust in [false, true] {
            for registration in [false, true] {
                let policy = policy(trust, registration);
                let unverified = said(Some("a@x.example"), false);
                let answers: Vec<Decision> = [None, holder(false), holder(true)]
                    .into_iter()
                    .map(|h| policy.decide(&unverified, h))
                    .collect();
                assert!(
                    answers.iter().all(|d| *d == Decision::AskForProof),
                    "{policy:?}: {answers:?}"
                );
            }
        }
    }

    #[test]
    fn a_new_proven_address_registers_only_where_the_provider_may_register() {
        let proven = said(Some("new@x.example"), true);
        assert_eq!(policy(true, true).decide(&proven, None), Decision::Register);
        assert_eq!(policy(true, false).decide(&proven, None), Decision::Refuse);
        // Without trust there is no proven address to register with.
        assert_eq!(
            policy(false, true).decide(&proven, None),
            Decision::AskForProof
        );
    }

    #[test]
    fn the_decision_never_links_or_registers_on_an_unproven_address() {
        // Every combination: LinkAndSignIn and Register need all three of
        // sent, verified and trusted.
        for trust in [false, true] {
            for registration in [false, true] {
                for email in [None, Some("a@x.example")] {
                    for verified in [false, true] {
                        for h in [None, holder(false), holder(true)] {
                            let policy = policy(trust, registration);
                            let assertion = said(email, verified);
                            let decision = policy.decide(&assertion, h);
                            let proven = email.is_some() && verified && trust;
                            if matches!(decision, Decision::LinkAndSignIn(_) | Decision::Register) {
                                assert!(proven, "{policy:?} {assertion:?} {h:?} → {decision:?}");
                            }
                            if let Decision::LinkAndSignIn(user) = decision {
                                assert_eq!(Some(user), h.filter(|a| a.confirmed).map(|a| a.user));
                            }
                        }
                    }
                }
            }
        }
    }
}
