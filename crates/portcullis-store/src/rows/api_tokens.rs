//! `api_tokens` rows as [`ApiToken`]s, and the rows of a token's
//! resolution folded into a [`ResolvedToken`].

use super::user_from;
use crate::timestamp::Timestamp;
use portcullis_core::domain::api_token::{ApiToken, ApiTokenId, Scopes, TokenKind};
use portcullis_core::store::ResolvedToken;
use portcullis_core::{Role, UserId};
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// An `api_tokens` row (its columns under the names `token_columns!`
/// gives them) as an [`ApiToken`].
pub(crate) struct ApiTokenRow(pub(crate) ApiToken);

/// One row of `RESOLVE_TOKEN`: the token, its account, and one of the
/// account's roles with one of that role's permissions.
pub(crate) struct ResolvedTokenRow {
    token: ApiToken,
    user: portcullis_core::User,
    role: Option<Role>,
    permission: Option<String>,
    two_factor: bool,
}

/// The scopes column: NULL for a login token, else space-separated.
fn scopes_from(stored: Option<String>) -> Scopes {
    match stored {
        None => Scopes::Owner,
        Some(list) => Scopes::Only(list.split_whitespace().map(str::to_owned).collect()),
    }
}

/// The scopes as stored (see [`scopes_from`]).
pub(crate) fn scopes_to(scopes: &Scopes) -> Option<String> {
    scopes.listed().map(|list| list.join(" "))
}

fn token_from<'r, R>(row: &'r R) -> Result<ApiToken, sqlx::Error>
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    let kind: String = row.try_get("token_kind")?;
    Ok(ApiToken {
        id: ApiTokenId(row.try_get("token_id")?),
        user_id: UserId(row.try_get("user_id")?),
        kind: TokenKind::from_stored(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "token_kind".into(),
            source: "not a token kind".into(),
        })?,
        name: row.try_get("token_name")?,
        scopes: scopes_from(row.try_get("scopes")?),
        created_at: row.try_get::<Timestamp, _>("token_created_at")?.get(),
        expires_at: row
            .try_get::<Option<Timestamp>, _>("token_expires_at")?
            .map(Timestamp::get),
        last_used_at: row
            .try_get::<Option<Timestamp>, _>("last_used_at")?
            .map(Timestamp::get),
        last_used_ip: row.try_get("last_used_ip")?,
        revoked_at: row
            .try_get::<Option<Timestamp>, _>("revoked_at")?
            .map(Timestamp::get),
        created_by: row.try_get::<Option<i64>, _>("created_by")?.map(UserId),
    })
}

impl<'r, R> FromRow<'r, R> for ApiTokenRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        token_from(row).map(Self)
    }
}

impl<'r, R> FromRow<'r, R> for ResolvedTokenRow
where
    R: Row,
    &'r str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Timestamp: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let role = match row.try_get::<Option<String>, _>("role_name")? {
            Some(name) => Some(Role {
                name,
                description: row.try_get("role_description")?,
            }),
            None => None,
        };
        Ok(Self {
            token: token_from(row)?,
            user: user_from(row)?,
            role,
            permission: row.try_get("permission")?,
            two_factor: row.try_get("two_factor")?,
        })
    }
}

impl ResolvedTokenRow {
    /// Folds the rows of one token (one per role and permission) into its
    /// resolution, with the roles ordered by name, each with its sorted
    /// permissions.
    pub(crate) fn fold(rows: Vec<ResolvedTokenRow>) -> Option<ResolvedToken> {
        let mut rows = rows.into_iter().peekable();
        let first = rows.peek()?;
        let (token, user, two_factor) = (first.token.clone(), first.user.clone(), first.two_factor);
        let mut roles: Vec<(Role, Vec<String>)> = Vec::new();
        for row in rows {
            let Some(role) = row.role else { continue };
            let at = match roles.iter().position(|(r, _)| r.name == role.name) {
                Some(at) => at,
                None => {
                    roles.push((role, Vec::new()));
                    roles.len() - 1
                }
            };
            if let Some(permission) = row.permission
                && !roles[at].1.contains(&permission)
            {
                roles[at].1.push(permission);
            }
        }
        roles.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        for (_, permissions) in &mut roles {
            permissions.sort();
        }
        Some(ResolvedToken {
            token,
            user,
            roles,
            two_factor,
        })
    }
}
