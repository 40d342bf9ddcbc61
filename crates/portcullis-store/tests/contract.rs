//! The storage contract: every case runs against SQLite and PostgreSQL, each
//! on a fresh database, so the two backends cannot drift apart.
//!
//! PostgreSQL cases skip (with a notice on stderr) when no server answers,
//! except under `CI`, where they fail. See `portcullis_store::testing`.
#![allow(clippy::unwrap_used)]

// The cases live in contract/, one file per area; this file is the crate root.
#[path = "contract/account_state.rs"]
mod account_state;
#[path = "contract/api_tokens.rs"]
mod api_tokens;
#[path = "contract/audit.rs"]
mod audit;
#[path = "contract/email_tokens.rs"]
mod email_tokens;
#[path = "contract/harness.rs"]
mod harness;
#[path = "contract/identities.rs"]
mod identities;
#[path = "contract/mail.rs"]
mod mail;
#[path = "contract/own_sessions.rs"]
mod own_sessions;
#[path = "contract/passkeys.rs"]
mod passkeys;
#[path = "contract/profiles.rs"]
mod profiles;
#[path = "contract/rate_limits.rs"]
mod rate_limits;
#[path = "contract/role_admin.rs"]
mod role_admin;
#[path = "contract/roles.rs"]
mod roles;
#[path = "contract/schema.rs"]
mod schema;
#[path = "contract/sessions.rs"]
mod sessions;
#[path = "contract/user_search.rs"]
mod user_search;
#[path = "contract/users.rs"]
mod users;

/// The case functions, one namespace for the macro below.
mod cases {
    pub use super::account_state::*;
    pub use super::api_tokens::*;
    pub use super::audit::*;
    pub use super::email_tokens::*;
    pub use super::identities::*;
    pub use super::mail::*;
    pub use super::own_sessions::*;
    pub use super::passkeys::*;
    pub use super::profiles::*;
    pub use super::rate_limits::*;
    pub use super::role_admin::*;
    pub use super::roles::*;
    pub use super::schema::*;
    pub use super::sessions::*;
    pub use super::user_search::*;
    pub use super::users::*;
}

/// Generates `sqlite::<case>` and `postgres::<case>` tests from each
/// `async fn <case>(&Fixture)` in [`cases`].
macro_rules! contract {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = crate::harness::Fixture::sqlite().await;
                    crate::cases::$case(&fixture).await;
                    fixture.finish().await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(fixture) = crate::harness::Fixture::postgres().await else {
                        return;
                    };
                    crate::cases::$case(&fixture).await;
                    fixture.finish().await;
                }
            )+
        }
    };
}

contract! {
    // users
    creating_and_fetching_a_user_round_trips_every_field,
    usernames_are_unique_regardless_of_case,
    emails_are_unique_regardless_of_case,
    concurrent_registrations_of_the_same_key_yield_exactly_one_success,
    credential_lookup_finds_by_username_key_and_by_email_key_and_returns_the_hash,
    credential_lookup_prefers_a_username_match_over_an_email_match,
    an_unknown_login_finds_no_credential,
    record_login_shifts_current_to_last_and_counts,
    set_password_hash_replaces_it,
    updating_a_missing_user_is_not_found,
    list_users_pages_in_id_order_and_count_users_counts,
    deleting_a_user_cascades_to_its_sessions_and_role_grants,
    // editing and deleting accounts
    update_user_profile_round_trips_and_stamps_updated_at,
    update_user_profile_reports_the_colliding_field,
    update_user_profile_of_a_missing_user_is_not_found,
    delete_user_cascades_to_sessions_and_memberships_only,
    // user search
    a_search_matches_text_anywhere_in_the_username_or_the_email,
    percent_underscore_and_backslash_in_a_search_match_themselves,
    usernames_of_names_the_accounts_that_exist,
    each_filter_narrows_the_search_alone_and_combined,
    each_sort_key_orders_both_ways_with_never_logged_in_users_last,
    a_hundred_users_page_stably_with_ties_broken_by_id,
    a_page_holds_at_least_one_and_at_most_five_hundred_users,
    // account state
    reserved_attempts_count_up_and_a_login_ends_the_run_but_not_a_lock_set_meanwhile,
    a_lock_is_never_extended_and_a_run_restarts_once_it_expires,
    a_released_attempt_is_given_back_unless_the_account_is_locked,
    concurrent_reservations_each_get_their_own_number,
    set_active_flips_the_flag_and_stamps_updated_at,
    touch_user_sets_last_seen_at_and_nothing_else,
    // roles
    the_admin_role_is_seeded,
    ensure_role_is_idempotent_and_keeps_the_description,
    grant_role_is_idempotent,
    grant_role_is_not_found_for_an_unknown_role_or_user,
    roles_of_lists_the_granted_roles_by_name,
    // administering roles
    the_seeded_admin_role_holds_the_four_admin_permissions,
    revoke_role_reports_whether_there_was_a_membership,
    permissions_of_is_the_sorted_distinct_union_over_the_users_roles,
    set_role_permissions_replaces_the_set_exactly,
    concurrent_permission_replacements_leave_one_set_never_a_mix,
    roles_are_created_described_and_deleted,
    list_roles_gives_every_role_by_name_with_permissions_and_members,
    count_active_members_ignores_deactivated_users,
    // sessions
    sessions_are_created_and_found_by_token_hash,
    a_session_resolves_with_its_account_and_roles_in_one_statement,
    a_session_for_an_unknown_user_is_not_found,
    touch_updates_last_seen_at,
    deleting_a_session_is_idempotent,
    delete_sessions_of_removes_only_that_users_sessions,
    delete_expired_sessions_honours_absolute_expiry,
    delete_expired_sessions_honours_idle_expiry_but_spares_remember_me,
    // a user's own sessions
    sessions_of_lists_a_users_sessions_most_recently_seen_first,
    delete_session_of_refuses_another_users_session,
    delete_other_sessions_keeps_the_named_one,
    // audit log
    an_audit_event_round_trips_every_field,
    audit_events_outlive_the_accounts_they_name,
    audit_lists_newest_first_and_filters_by_user_kind_and_time,
    audit_pages_by_offset_and_limit_and_count_ignores_them,
    // rate limits
    hits_count_up_within_a_window_and_restart_after_it,
    rate_limit_keys_are_independent,
    concurrent_hits_on_one_key_lose_none,
    purging_rate_limits_removes_only_windows_begun_before_the_cutoff,
    // email tokens
    an_email_token_is_peeked_without_use_and_redeemed_once,
    an_expired_email_token_is_refused,
    issuing_an_email_token_voids_older_ones_of_that_purpose_only,
    concurrent_redemptions_of_one_email_token_yield_exactly_one_grant,
    email_tokens_go_with_their_user,
    purging_email_tokens_removes_only_expired_ones,
    mark_confirmed_keeps_the_first_confirmation,
    change_email_switches_the_address_and_its_key_and_refuses_a_taken_one,
    the_pending_email_change_is_the_live_link_of_its_user,
    // API tokens
    a_token_round_trips_and_resolves_with_its_roles_and_their_permissions,
    login_tokens_store_no_scopes_and_carry_the_owner,
    a_token_is_revoked_once_and_only_by_its_owner,
    listing_shows_live_tokens_newest_first,
    revoking_by_kind_leaves_the_other_kinds,
    a_use_is_recorded_at_most_once_per_interval,
    purging_forgets_old_revoked_and_expired_tokens_only,
    tokens_go_with_their_account,
    // external identities
    an_identity_is_linked_found_listed_and_unlinked_by_its_owner_only,
    one_provider_account_links_to_one_local_account_even_in_a_race,
    identities_go_with_their_account,
    a_flow_is_taken_once_with_every_field,
    live_flows_are_capped_and_expired_ones_make_room,
    a_pending_identity_is_found_by_its_browser_and_taken_once,
    // passkeys
    a_passkey_is_one_accounts_and_its_counter_only_moves_forward,
    an_account_keeps_its_first_webauthn_handle,
    a_ceremony_is_taken_once_and_live_ones_are_capped,
    // the mail queue
    a_queued_message_is_claimed_once_per_lease_and_gone_once_delivered,
    a_deferred_message_waits_and_a_failed_one_waits_for_the_operator,
    expired_messages_are_never_claimed_nor_retried_and_purge_by_state,
    a_message_queued_in_a_rolled_back_transaction_is_not_kept,
    concurrent_claimers_never_get_the_same_message,
    // schema
    migrating_twice_is_harmless,
    a_database_left_by_any_older_release_upgrades_straight_to_the_latest,
    a_database_a_newer_release_migrated_is_refused_unless_allowed,
    migration_0002_applies_on_top_of_0001_and_keeps_existing_users,
    migration_0004_applies_on_top_of_0002_and_keeps_existing_users,
    migration_0006_rebuilds_email_tokens_and_keeps_every_link,
    migration_0008_rebuilds_users_and_keeps_everything_that_hangs_off_them,
    migration_0013_rebuilds_users_and_keeps_everything_that_hangs_off_them,
    statistics_are_gathered_on_request,
    service_accounts_have_no_password_and_an_address_comes_with_its_key,
    timestamps_round_trip_at_millisecond_precision,
    the_database_answers_a_ping,
}
