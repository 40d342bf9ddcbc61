//! A Flask app's users, read through a [`Mapping`] into the accounts the
//! import makes.

use super::mapping::Mapping;
use super::source::{Row, Source};
use super::values;
use portcullis_core::hashing::{self, FLASK_SECURITY_PREFIX, FLASK_SECURITY_SINGLE_PREFIX};
use portcullis_core::services::import::{ImportedAccount, ImportedPassword};
use portcullis_core::store::LoginHistory;
use std::collections::HashMap;

/// How Flask-Security hashed the passwords being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlaskSecurityHashing {
    /// Its default: the password is HMAC-ed with `SECURITY_PASSWORD_SALT`
    /// before the hash.
    Double,
    /// `SECURITY_PASSWORD_SINGLE_HASH = True`.
    Single,
}

/// Reads every user through `mapping`.
pub async fn read(
    source: &Source,
    mapping: &Mapping,
    hashing: FlaskSecurityHashing,
) -> anyhow::Result<Vec<ImportedAccount>> {
    let columns = mapping.columns();
    let rows = source.rows(&mapping.table, &columns).await?;
    let index: HashMap<&str, usize> = columns.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let role_names = match &mapping.role_reference {
        Some(r) => source
            .rows(&r.table, &[r.id.as_str(), r.name.as_str()])
            .await?
            .into_iter()
            .filter_map(pair)
            .collect(),
        None => HashMap::new(),
    };
    let mut memberships: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(m) = &mapping.role_membership {
        let names: HashMap<String, String> = source
            .rows(
                &m.roles_table,
                &[m.roles_id.as_str(), m.roles_name.as_str()],
            )
            .await?
            .into_iter()
            .filter_map(pair)
            .collect();
        for (user, role) in source
            .rows(&m.table, &[m.user_column.as_str(), m.role_column.as_str()])
            .await?
            .into_iter()
            .filter_map(pair)
        {
            if let Some(name) = names.get(&role) {
                memberships.entry(user).or_default().push(name.clone());
            }
        }
    }

    let mut accounts = Vec::with_capacity(rows.len());
    for row in rows {
        let get = |column: &Option<String>| -> Option<&str> {
            let i = index.get(column.as_deref()?)?;
            row.get(*i)?.as_deref()
        };
        let source_id = row.first().cloned().flatten().unwrap_or_default();
        let mut roles = memberships.remove(&source_id).unwrap_or_default();
        if let Some(r) = &mapping.role_reference
            && let Some(role) = get(&Some(r.column.clone())).and_then(|id| role_names.get(id))
        {
            roles.push(role.clone());
        }
        if let Some(role) = get(&mapping.role).filter(|r| !r.is_empty()) {
            roles.push(role.to_lowercase());
        }
        let (roles, admin) = split_admin(roles, get(&mapping.admin).is_some_and(values::truthy));
        let name = get(&mapping.name).map(str::to_owned).or_else(|| {
            let parts: Vec<&str> = [get(&mapping.first_name), get(&mapping.last_name)]
                .into_iter()
                .flatten()
                .filter(|p| !p.trim().is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        let totp_on = match &mapping.totp_enabled {
            Some(_) => get(&mapping.totp_enabled).is_some_and(values::truthy),
            None => true,
        };
        accounts.push(ImportedAccount {
            source_id,
            username: get(&mapping.username).map(str::to_owned),
            email: get(&mapping.email).map(str::to_owned),
            name,
            password: password(get(&mapping.password), mapping, hashing),
            active: mapping.active.is_none() || get(&mapping.active).is_some_and(values::truthy),
            confirmed: get(&mapping.confirmed).is_some_and(values::truthy),
            confirmed_at: get(&mapping.confirmed_at).and_then(values::timestamp),
            created_at: get(&mapping.created_at).and_then(values::timestamp),
            history: LoginHistory {
                current_login_at: get(&mapping.current_login_at).and_then(values::timestamp),
                current_login_ip: get(&mapping.current_login_ip).map(str::to_owned),
                last_login_at: get(&mapping.last_login_at).and_then(values::timestamp),
                last_login_ip: get(&mapping.last_login_ip).map(str::to_owned),
                login_count: get(&mapping.login_count)
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0),
            },
            roles,
            admin,
            totp_secret: get(&mapping.totp_secret)
                .filter(|s| totp_on && !s.trim().is_empty())
                .map(str::to_owned),
            google_id: get(&mapping.google_id).map(str::to_owned),
        });
    }
    Ok(accounts)
}

/// An `admin` role (any case) is membership of Portcullis's `admin`.
fn split_admin(roles: Vec<String>, flagged: bool) -> (Vec<String>, bool) {
    let mut admin = flagged;
    let mut rest = Vec::with_capacity(roles.len());
    for role in roles {
        if role.trim().eq_ignore_ascii_case("admin") {
            admin = true;
        } else if !rest.contains(&role) {
            rest.push(role);
        }
    }
    (rest, admin)
}

fn pair(row: Row) -> Option<(String, String)> {
    let mut it = row.into_iter();
    Some((it.next()??, it.next()??))
}

/// The stored password as the verifier is to read it.
fn password(stored: Option<&str>, mapping: &Mapping, fs: FlaskSecurityHashing) -> ImportedPassword {
    let Some(stored) = stored else {
        return ImportedPassword::None;
    };
    let stored = values::hash_text(stored);
    if stored.is_empty() {
        return ImportedPassword::None;
    }
    let known = hashing::format_name(&stored) != "unknown";
    if mapping.flask_security && known {
        let prefix = match fs {
            FlaskSecurityHashing::Double => FLASK_SECURITY_PREFIX,
            FlaskSecurityHashing::Single => FLASK_SECURITY_SINGLE_PREFIX,
        };
        return ImportedPassword::Hash(format!("{prefix}{stored}"));
    }
    match mapping.password_column {
        super::mapping::PasswordColumn::HashOrPlain if !known => ImportedPassword::Plain(stored),
        _ => ImportedPassword::Hash(stored),
    }
}

#[cfg(test)]
mod tests {
    use super::super::mapping::PasswordColumn;
    use super::*;

    #[test]
    fn an_admin_role_in_any_case_is_the_admin_flag() {
        let (roles, admin) = split_admin(vec!["ADMIN".into(), "editor".into()], false);
        assert!(admin);
        assert_eq!(roles, vec!["editor".to_owned()]);
        assert_eq!(split_admin(vec![], true), (vec![], true));
    }

    #[test]
    fn flask_security_hashes_are_marked_and_plain_text_only_where_a_schema_stores_it() {
        let bcrypt = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";
        let fs = Mapping {
            flask_security: true,
            ..Mapping::default()
        };
        assert_eq!(
            password(Some(bcrypt), &fs, FlaskSecurityHashing::Double),
            ImportedPassword::Hash(format!("{FLASK_SECURITY_PREFIX}{bcrypt}"))
        );
        assert_eq!(
            password(Some(bcrypt), &fs, FlaskSecurityHashing::Single),
            ImportedPassword::Hash(format!("{FLASK_SECURITY_SINGLE_PREFIX}{bcrypt}"))
        );
        let plain = Mapping {
            password_column: PasswordColumn::HashOrPlain,
            ..Mapping::default()
        };
        assert_eq!(
            password(Some("hunter2"), &plain, FlaskSecurityHashing::Double),
            ImportedPassword::Plain("hunter2".into())
        );
        assert_eq!(
            password(Some(bcrypt), &plain, FlaskSecurityHashing::Double),
            ImportedPassword::Hash(bcrypt.into())
        );
        assert_eq!(
            password(
                Some("hunter2"),
                &Mapping::default(),
                FlaskSecurityHashing::Double
            ),
            ImportedPassword::Hash("hunter2".into()),
            "an unknown format stays a hash, which the import reports"
        );
    }
}
