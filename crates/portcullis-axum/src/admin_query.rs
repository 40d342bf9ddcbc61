//! The user-list query string shared by the admin pages and the admin API:
//! `?q=&role=&active=&confirmed=&locked=&sort=&order=&page=` (or `offset`).

use portcullis_core::{UserQuery, UserSort};
use serde::{Deserialize, Serialize};

/// Rows per page in the admin UI, and the API's default.
pub(crate) const PAGE_SIZE: i64 = 25;

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct UserListQuery {
    /// Text found anywhere in the username or email (case ignored).
    pub q: Option<String>,
    pub role: Option<String>,
    /// `yes`/`no` (also `true`/`false`); empty means either.
    pub active: Option<String>,
    pub confirmed: Option<String>,
    pub locked: Option<String>,
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
    /// 1-based page (pages) ...
    pub page: Option<i64>,
    /// ... or raw offset (API).
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

fn tri(field: &'static str, value: Option<&str>) -> Result<Option<bool>, (&'static str, String)> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some("yes" | "true" | "1") => Ok(Some(true)),
        Some("no" | "false" | "0") => Ok(Some(false)),
        Some(other) => Err((field, format!("{other:?} is not yes or no."))),
    }
}

impl UserListQuery {
    /// The store query, or the field at fault with a message.
    pub fn to_query(&self) -> Result<UserQuery, (&'static str, String)> {
        // NUL cannot be stored or compared in PostgreSQL text, and no
        // username, address or role name holds a control character.
        for (field, value) in [("q", &self.q), ("role", &self.role)] {
            if value
                .as_deref()
                .is_some_and(|v| v.chars().any(char::is_control))
            {
                return Err((field, "Control characters are not allowed here.".to_owned()));
            }
        }
        let sort = match self.sort.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => UserSort::parse(s).ok_or((
                "sort",
                "Sort by id, username, email, created or last_login.".to_owned(),
            ))?,
            None => UserSort::Id,
        };
        let descending = match self.order.as_deref().filter(|s| !s.is_empty()) {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(("order", "Order is asc or desc.".to_owned())),
        };
        let limit = self.limit.unwrap_or(PAGE_SIZE);
        if !(1..=500).contains(&limit) {
            return Err(("limit", "Limit is between 1 and 500.".to_owned()));
        }
        let offset = match (self.offset, self.page) {
            (Some(offset), _) if offset >= 0 => offset,
            (Some(_), _) => return Err(("offset", "Offset cannot be negative.".to_owned())),
            (None, Some(page)) if page >= 1 => (page - 1).saturating_mul(limit),
            (None, Some(_)) => return Err(("page", "Pages start at 1.".to_owned())),
            (None, None) => 0,
        };
        Ok(UserQuery {
            contains: self
                .q
                .as_deref()
                .map(|q| q.trim().to_lowercase())
                .filter(|q| !q.is_empty()),
            role: self.role.clone().filter(|r| !r.is_empty()),
            active: tri("active", self.active.as_deref())?,
            confirmed: tri("confirmed", self.confirmed.as_deref())?,
            locked: tri("locked", self.locked.as_deref())?,
            now: None,
            sort,
            descending,
            offset,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_become_offsets_and_bad_values_name_their_field() {
        let q = UserListQuery {
            page: Some(3),
            q: Some(" Al ".into()),
            active: Some("yes".into()),
            ..Default::default()
        };
        let query = q.to_query().unwrap();
        assert_eq!(
            (
                query.offset,
                query.limit,
                query.contains.as_deref(),
                query.active
            ),
            (50, 25, Some("al"), Some(true))
        );
        for (bad, field) in [
            (
                UserListQuery {
                    sort: Some("password".into()),
                    ..Default::default()
                },
                "sort",
            ),
            (
                UserListQuery {
                    active: Some("maybe".into()),
                    ..Default::default()
                },
                "active",
            ),
            (
                UserListQuery {
                    page: Some(0),
                    ..Default::default()
                },
                "page",
            ),
            (
                UserListQuery {
                    limit: Some(10_000),
                    ..Default::default()
                },
                "limit",
            ),
        ] {
            assert_eq!(bad.to_query().unwrap_err().0, field);
        }
    }
}
