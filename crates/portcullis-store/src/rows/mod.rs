//! Turning result rows into domain values. Written once, generic over the
//! backend's row type: both backends name their columns alike and decode the
//! same Rust types (timestamps through [`Timestamp`]).

mod api_tokens;
mod identities;
mod mail;
mod passkeys;

pub(crate) use api_tokens::{ApiTokenRow, ResolvedTokenRow, scopes_to};
pub(crate) use identities::{IdentityRow, OidcFlowRow, PendingIdentityRow};
pub(crate) use mail::QueuedMailRow;
pub(crate) use passkeys::{CeremonyRow, PasskeyRow};

use crate::timestamp::Timestamp;
use portcullis_core::domain::role::RoleInfo;
use portcullis_core::domain::session::Assurance;
use portcullis_core::store::{Credential, RateCounter, ResolvedSession};
use portcullis_core::{
    AccountKind, AuditEvent, PermissionSet, Role, Session, SessionId, User, UserId,
};
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// A `users` row as a [`User`].
pub(crate) struct UserRow(pub(crate) User);

/// A `users` row plus its `password_hash` column.
pub(crate) struct CredentialRow(pub(crate) Credential);

/// A `sessions` row as a [`Session`].
pub(crate) struct SessionRow(pub(crate) Session);

/// A `roles` row (`name`, `description`) as a [`Role`].
pub(crate) struct RoleRow(pub(crate) Role);

/// One row of `sql::roles::role_info_select!`: a role, its member count and
/// one of its permissions (`None` when it has none).
pub(crate) struct RolePermissionRow {
    name: String,
    description: String,
    members: i64,
    permission: Option<String>,
}

/// An `audit_events` row as an [`AuditEvent`], its `detail` text parsed.
pub(crate) struct AuditRow(pub(crate) AuditEvent);

/// The `hits, window_start` a rate-limit hit returns, as a [`RateCounter`].
pub(crate) struct RateCounterRow(pub(crate) RateCounter);

pub(crate) fn user_from<'r, R>(row: &'r R) -> Result<User, sqlx::Error>
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(User {
        id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        is_active: row.try_get("is_active")?,
        confirmed_at: row
            .try_get::<Option<Timestamp>, _>("confirmed_at")?
            .map(Timestamp::get),
        created_at: row.try_get::<Timestamp, _>("created_at")?.get(),
        last_login_at: row
            .try_get::<Option<Timestamp>, _>("last_login_at")?
            .map(Timestamp::get),
        last_login_ip: row.try_get("last_login_ip")?,
        current_login_at: row
            .try_get::<Option<Timestamp>, _>("current_login_at")?
            .map(Timestamp::get),
        current_login_ip: row.try_get("current_login_ip")?,
        login_count: row.try_get("login_count")?,
        locked_until: row
            .try_get::<Option<Timestamp>, _>("locked_until")?
            .map(Timestamp::get),
        last_seen_at: row
            .try_get::<Option<Timestamp>, _>("last_seen_at")?
            .map(Timestamp::get),
        kind: AccountKind::from_stored(&row.try_get::<String, _>("kind")?).ok_or_else(|| {
            sqlx::Error::ColumnDecode {
                index: "kind".into(),
                source: "not an account kind".into(),
            }
        })?,
    })
}

impl<'r, R> FromRow<'r, R> for UserRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        user_from(row).map(Self)
    }
}

impl<'r, R> FromRow<'r, R> for CredentialRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self(Credential {
            user: user_from(row)?,
            password_hash: row.try_get("password_hash")?,
        }))
    }
}

/// The names a session's columns go by: their own in `sessions` queries,
/// prefixed in the join with `users`, where `id`, `created_at` and
/// `last_seen_at` would otherwise be the account's.
struct SessionColumns {
    id: &'static str,
    created_at: &'static str,
    last_seen_at: &'static str,
    authenticated_at: &'static str,
}

const SESSION_COLUMNS: SessionColumns = SessionColumns {
    id: "id",
    created_at: "created_at",
    last_seen_at: "last_seen_at",
    authenticated_at: "authenticated_at",
};

const JOINED_SESSION_COLUMNS: SessionColumns = SessionColumns {
    id: "session_id",
    created_at: "session_created_at",
    last_seen_at: "session_last_seen_at",
    authenticated_at: "session_authenticated_at",
};

fn session_from<'r, R>(row: &'r R, columns: &SessionColumns) -> Result<Session, sqlx::Error>
where
    R: Row,
    &'r str: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Session {
        id: SessionId(row.try_get(columns.id)?),
        user_id: UserId(row.try_get("user_id")?),
        created_at: row.try_get::<Timestamp, _>(columns.created_at)?.get(),
        last_seen_at: row.try_get::<Timestamp, _>(columns.last_seen_at)?.get(),
        expires_at: row.try_get::<Timestamp, _>("expires_at")?.get(),
        remember: row.try_get("remember")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        assurance: Assurance::parse(row.try_get::<&str, _>("assurance")?),
        authenticated_at: row.try_get::<Timestamp, _>(columns.authenticated_at)?.get(),
    })
}

impl<'r, R> FromRow<'r, R> for SessionRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        session_from(row, &SESSION_COLUMNS).map(Self)
    }
}

impl<'r, R> FromRow<'r, R> for RoleRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self(Role {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
        }))
    }
}

impl<'r, R> FromRow<'r, R> for AuditRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let detail: String = row.try_get("detail")?;
        // Only the store writes this column, always from a JSON value; text
        // that does not parse was put there by hand, and is reported as such.
        let detail = serde_json::from_str(&detail).map_err(|err| sqlx::Error::ColumnDecode {
            index: "detail".to_owned(),
            source: Box::new(err),
        })?;
        Ok(Self(AuditEvent {
            id: row.try_get("id")?,
            at: row.try_get::<Timestamp, _>("at")?.get(),
            kind: row.try_get("kind")?,
            actor: row.try_get::<Option<i64>, _>("actor_id")?.map(UserId),
            target: row.try_get::<Option<i64>, _>("target_id")?.map(UserId),
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            detail,
        }))
    }
}

impl<'r, R> FromRow<'r, R> for RateCounterRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self(RateCounter {
            hits: row.try_get("hits")?,
            window_start: row.try_get::<Timestamp, _>("window_start")?.get(),
        }))
    }
}

impl<'r, R> FromRow<'r, R> for RolePermissionRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            members: row.try_get("members")?,
            permission: row.try_get("permission")?,
        })
    }
}

/// Folds rows ordered by role name, then permission, into one [`RoleInfo`]
/// per role, keeping that order, with each role's grantors from `grantors`
/// (`(role, grantor)` name pairs, ordered by grantor).
pub(crate) fn role_infos(
    rows: Vec<RolePermissionRow>,
    grantors: Vec<(String, String)>,
) -> Vec<RoleInfo> {
    let mut roles: Vec<RoleInfo> = Vec::new();
    for row in rows {
        if roles.last().is_none_or(|role| role.name != row.name) {
            roles.push(RoleInfo {
                name: row.name,
                description: row.description,
                permissions: Vec::new(),
                grantable_by: Vec::new(),
                members: row.members,
            });
        }
        if let Some(role) = roles.last_mut() {
            role.permissions.extend(row.permission);
        }
    }
    for (role, grantor) in grantors {
        if let Some(info) = roles.iter_mut().find(|r| r.name == role) {
            info.grantable_by.push(grantor);
        }
    }
    roles
}

/// One row of [`crate::sql::sessions::RESOLVE_SESSION`]: the session, its
/// account, and one of the account's roles with one of its permissions
/// (either may be absent).
pub(crate) struct ResolvedRow {
    pub(crate) session: Session,
    pub(crate) user: User,
    pub(crate) role: Option<Role>,
    pub(crate) permission: Option<String>,
    pub(crate) two_factor: bool,
}

impl ResolvedRow {
    /// Folds the rows of one session (one per role and permission) into its
    /// resolution, with the roles ordered by name.
    pub(crate) fn fold(rows: Vec<ResolvedRow>) -> Option<ResolvedSession> {
        let mut rows = rows.into_iter();
        let first = rows.next()?;
        let (session, user, two_factor) = (first.session, first.user, first.two_factor);
        let mut roles: Vec<Role> = Vec::new();
        let mut permissions = std::collections::BTreeSet::new();
        for (role, permission) in std::iter::once((first.role, first.permission))
            .chain(rows.map(|r| (r.role, r.permission)))
        {
            if let Some(role) = role
                && !roles.iter().any(|r| r.name == role.name)
            {
                roles.push(role);
            }
            permissions.extend(permission);
        }
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        let permissions =
            PermissionSet::for_roles(roles.iter().map(|r| r.name.as_str()), permissions);
        Some(ResolvedSession {
            session,
            user,
            roles,
            permissions,
            two_factor,
        })
    }
}

impl<'r, R> FromRow<'r, R> for ResolvedRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let session = session_from(row, &JOINED_SESSION_COLUMNS)?;
        let role = match row.try_get::<Option<String>, _>("role_name")? {
            Some(name) => Some(Role {
                name,
                description: row.try_get("role_description")?,
            }),
            None => None,
        };
        Ok(Self {
            session,
            user: user_from(row)?,
            role,
            permission: row.try_get("permission")?,
            two_factor: row.try_get("two_factor")?,
        })
    }
}
