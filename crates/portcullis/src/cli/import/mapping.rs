//! Where a Flask app keeps each thing Portcullis imports: one [`Mapping`]
//! per known schema (the SQLAlchemy models of the tutorials people build
//! Flask apps from), recognised by its tables and columns, or read from a
//! map file for an app that renamed things.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The schemas `--schema` names.
pub const SCHEMAS: &[&str] = &["seed000", "flask-security", "seed002", "seed003", "seed004"];

/// How a password column is to be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordColumn {
    /// A hash (an unknown format makes an account without a password).
    #[default]
    Hash,
    /// A hash, or else the password itself in plain text (hashed with
    /// argon2id during the import).
    HashOrPlain,
}

/// A role the user row points at: `column` holds the id of a row of
/// `table`, whose `name` column names the role.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleReference {
    /// The user table's column holding the role's id.
    pub column: String,
    /// The roles table.
    pub table: String,
    /// Its key.
    #[serde(default = "id")]
    pub id: String,
    /// Its name column.
    #[serde(default = "name")]
    pub name: String,
}

/// Roles through an association table: rows `(user, role)` of `table`,
/// with the roles' names in `roles_table`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMembership {
    /// The association table (`roles_users`).
    pub table: String,
    /// Its column holding the user's id.
    #[serde(default = "user_id")]
    pub user_column: String,
    /// Its column holding the role's id.
    #[serde(default = "role_id")]
    pub role_column: String,
    /// The roles table.
    pub roles_table: String,
    /// Its key.
    #[serde(default = "id")]
    pub roles_id: String,
    /// Its name column.
    #[serde(default = "name")]
    pub roles_name: String,
}

fn id() -> String {
    "id".into()
}
fn name() -> String {
    "name".into()
}
fn user_id() -> String {
    "user_id".into()
}
fn role_id() -> String {
    "role_id".into()
}

/// Where each imported value lives: table and column names. A column left
/// out is not imported (the account gets Portcullis's default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The users table.
    pub table: String,
    /// Its key: the account's id in the source.
    #[serde(default = "id")]
    pub id: String,
    /// Usernames (made from the address when absent).
    pub username: Option<String>,
    /// Addresses.
    pub email: Option<String>,
    /// Password hashes.
    pub password: Option<String>,
    /// How the password column is to be read.
    #[serde(default)]
    pub password_column: PasswordColumn,
    /// Flask-Security's passlib hashes (pre-hashed with its salt).
    #[serde(default)]
    pub flask_security: bool,
    /// Display names.
    pub name: Option<String>,
    /// First names (joined with `last_name` when there is no `name`).
    pub first_name: Option<String>,
    /// Last names.
    pub last_name: Option<String>,
    /// Whether the account may log in (true when absent).
    pub active: Option<String>,
    /// Whether the address was confirmed: a true boolean, or any value
    /// (a time) that is not null.
    pub confirmed: Option<String>,
    /// When it was confirmed.
    pub confirmed_at: Option<String>,
    /// When the account was created.
    pub created_at: Option<String>,
    /// The most recent login.
    pub current_login_at: Option<String>,
    /// Its address.
    pub current_login_ip: Option<String>,
    /// The login before it.
    pub last_login_at: Option<String>,
    /// Its address.
    pub last_login_ip: Option<String>,
    /// How many logins.
    pub login_count: Option<String>,
    /// An administrator flag: membership of `admin`.
    pub admin: Option<String>,
    /// A column holding one role's name (an enum), lower-cased.
    pub role: Option<String>,
    /// A column holding a role's id.
    pub role_reference: Option<RoleReference>,
    /// Roles through an association table.
    pub role_membership: Option<RoleMembership>,
    /// TOTP seeds in base32.
    pub totp_secret: Option<String>,
    /// Whether two-factor is on (a seed is carried only when it is).
    pub totp_enabled: Option<String>,
    /// Google ids.
    pub google_id: Option<String>,
}

/// What a source database holds: its tables, each with its columns.
pub type Tables = BTreeMap<String, BTreeSet<String>>;

impl Mapping {
    /// The mapping of a named schema.
    pub fn preset(schema: &str) -> Option<Mapping> {
        let s = |v: &str| Some(v.to_owned());
        Some(match schema {
            "seed000" => Mapping {
                table: "users".into(),
                id: id(),
                username: s("username"),
                email: s("email"),
                password: s("password_hash"),
                active: s("is_active"),
                admin: s("is_admin"),
                confirmed: s("confirmed"),
                confirmed_at: s("confirmed_on"),
                created_at: s("created_at"),
                current_login_at: s("last_login"),
                totp_secret: s("two_factor_secret"),
                totp_enabled: s("two_factor_enabled"),
                role_reference: Some(RoleReference {
                    column: "role_id".into(),
                    table: "roles".into(),
                    id: id(),
                    name: name(),
                }),
                ..Mapping::default()
            },
            "flask-security" => Mapping {
                table: "user".into(),
                id: id(),
                username: s("username"),
                email: s("email"),
                password: s("password"),
                flask_security: true,
                first_name: s("first_name"),
                last_name: s("last_name"),
                active: s("active"),
                confirmed: s("confirmed_at"),
                confirmed_at: s("confirmed_at"),
                created_at: s("created_at"),
                current_login_at: s("current_login_at"),
                current_login_ip: s("current_login_ip"),
                last_login_at: s("last_login_at"),
                last_login_ip: s("last_login_ip"),
                login_count: s("login_count"),
                totp_secret: None,
                role_membership: Some(RoleMembership {
                    table: "roles_users".into(),
                    user_column: user_id(),
                    role_column: role_id(),
                    roles_table: "role".into(),
                    roles_id: id(),
                    roles_name: name(),
                }),
                ..Mapping::default()
            },
            "seed002" => Mapping {
                table: "users".into(),
                id: id(),
                email: s("email"),
                name: s("name"),
                google_id: s("google_id"),
                // The addresses came from Google's sign-in, which vouches
                // for them.
                confirmed: s("google_id"),
                role: s("role"),
                active: s("is_active"),
                created_at: s("created_at"),
                current_login_at: s("last_login"),
                ..Mapping::default()
            },
            "seed003" => Mapping {
                table: "users".into(),
                id: id(),
                email: s("email"),
                password: s("password"),
                created_at: s("created_on"),
                admin: s("is_admin"),
                ..Mapping::default()
            },
            "seed004" => Mapping {
                table: "user".into(),
                id: id(),
                username: s("username"),
                email: s("email"),
                password: s("password"),
                password_column: PasswordColumn::HashOrPlain,
                ..Mapping::default()
            },
            _ => return None,
        })
    }

    /// Which known schema `tables` holds, if one does.
    pub fn detect(tables: &Tables) -> Option<&'static str> {
        let has = |table: &str, columns: &[&str]| {
            tables
                .get(table)
                .is_some_and(|c| columns.iter().all(|col| c.contains(*col)))
        };
        if has("user", &["fs_uniquifier", "email", "password"]) {
            Some("flask-security")
        } else if has("users", &["username", "password_hash"]) {
            Some("seed000")
        } else if has("users", &["google_id", "email"]) {
            Some("seed002")
        } else if has("users", &["email", "password"]) {
            Some("seed003")
        } else if has("user", &["username", "password"]) {
            Some("seed004")
        } else {
            None
        }
    }

    /// The mapping with every column `tables` does not have dropped (the
    /// tutorials add columns chapter by chapter: an app may have stopped
    /// before two-factor). Errors name what a mapping needs and is missing.
    pub fn fitted(mut self, tables: &Tables) -> Result<Mapping, String> {
        let Some(columns) = tables.get(&self.table) else {
            return Err(format!("the source has no table {:?}", self.table));
        };
        if !columns.contains(&self.id) {
            return Err(format!(
                "the table {:?} has no column {:?}",
                self.table, self.id
            ));
        }
        let keep = |c: &mut Option<String>| {
            if c.as_ref().is_some_and(|name| !columns.contains(name)) {
                *c = None;
            }
        };
        for column in [
            &mut self.username,
            &mut self.email,
            &mut self.password,
            &mut self.name,
            &mut self.first_name,
            &mut self.last_name,
            &mut self.active,
            &mut self.confirmed,
            &mut self.confirmed_at,
            &mut self.created_at,
            &mut self.current_login_at,
            &mut self.current_login_ip,
            &mut self.last_login_at,
            &mut self.last_login_ip,
            &mut self.login_count,
            &mut self.admin,
            &mut self.role,
            &mut self.totp_secret,
            &mut self.totp_enabled,
            &mut self.google_id,
        ] {
            keep(column);
        }
        if self.username.is_none() && self.email.is_none() {
            return Err(format!(
                "the table {:?} has neither a username nor an email column mapped",
                self.table
            ));
        }
        if let Some(r) = &self.role_reference {
            let fits = columns.contains(&r.column)
                && tables
                    .get(&r.table)
                    .is_some_and(|t| t.contains(&r.id) && t.contains(&r.name));
            if !fits {
                self.role_reference = None;
            }
        }
        if let Some(m) = &self.role_membership {
            let fits = tables
                .get(&m.table)
                .is_some_and(|t| t.contains(&m.user_column) && t.contains(&m.role_column))
                && tables
                    .get(&m.roles_table)
                    .is_some_and(|t| t.contains(&m.roles_id) && t.contains(&m.roles_name));
            if !fits {
                self.role_membership = None;
            }
        }
        Ok(self)
    }

    /// The user-table columns the mapping reads, the key first.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = vec![self.id.as_str()];
        for c in [
            &self.username,
            &self.email,
            &self.password,
            &self.name,
            &self.first_name,
            &self.last_name,
            &self.active,
            &self.confirmed,
            &self.confirmed_at,
            &self.created_at,
            &self.current_login_at,
            &self.current_login_ip,
            &self.last_login_at,
            &self.last_login_ip,
            &self.login_count,
            &self.admin,
            &self.role,
            &self.totp_secret,
            &self.totp_enabled,
            &self.google_id,
        ]
        .into_iter()
        .flatten()
        {
            if !out.contains(&c.as_str()) {
                out.push(c);
            }
        }
        if let Some(r) = &self.role_reference
            && !out.contains(&r.column.as_str())
        {
            out.push(&r.column);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(spec: &[(&str, &[&str])]) -> Tables {
        spec.iter()
            .map(|(t, cols)| {
                (
                    (*t).to_owned(),
                    cols.iter().map(|c| (*c).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn each_tutorial_schema_is_recognised_by_its_tables() {
        let fs = tables(&[
            ("user", &["id", "email", "password", "fs_uniquifier"]),
            ("role", &["id", "name"]),
            ("roles_users", &["user_id", "role_id"]),
        ]);
        assert_eq!(Mapping::detect(&fs), Some("flask-security"));
        let seed0 = tables(&[("users", &["id", "username", "email", "password_hash"])]);
        assert_eq!(Mapping::detect(&seed0), Some("seed000"));
        let seed2 = tables(&[("users", &["id", "email", "google_id", "role"])]);
        assert_eq!(Mapping::detect(&seed2), Some("seed002"));
        let seed3 = tables(&[("users", &["id", "email", "password", "created_on"])]);
        assert_eq!(Mapping::detect(&seed3), Some("seed003"));
        let seed4 = tables(&[("user", &["id", "username", "password"])]);
        assert_eq!(Mapping::detect(&seed4), Some("seed004"));
        assert_eq!(Mapping::detect(&tables(&[("accounts", &["id"])])), None);
    }

    #[test]
    fn every_named_schema_has_a_preset() {
        for schema in SCHEMAS {
            assert!(Mapping::preset(schema).is_some(), "{schema}");
        }
        assert!(Mapping::preset("seed999").is_none());
    }

    #[test]
    fn columns_an_app_never_added_are_left_out() {
        let early = tables(&[("users", &["id", "username", "email", "password_hash"])]);
        let fitted = Mapping::preset("seed000").unwrap().fitted(&early).unwrap();
        assert_eq!(fitted.totp_secret, None);
        assert_eq!(fitted.role_reference, None);
        assert_eq!(
            fitted.columns(),
            vec!["id", "username", "email", "password_hash"]
        );
        let none = tables(&[("users", &["id", "password_hash"])]);
        let err = Mapping::preset("seed000")
            .unwrap()
            .fitted(&none)
            .unwrap_err();
        assert!(err.contains("neither a username nor an email"), "{err}");
    }

    #[test]
    fn a_map_file_names_tables_and_columns() {
        let mapping: Mapping = toml::from_str(
            r#"
            table = "members"
            id = "member_id"
            email = "mail"
            password = "pw"
            [role_membership]
            table = "member_roles"
            user_column = "member_id"
            roles_table = "groups"
            "#,
        )
        .unwrap();
        assert_eq!(mapping.table, "members");
        assert_eq!(mapping.role_membership.unwrap().roles_name, "name");
        let typo = toml::from_str::<Mapping>("table = \"u\"\nemial = \"e\"").unwrap_err();
        assert!(typo.to_string().contains("emial"), "{typo}");
    }
}
