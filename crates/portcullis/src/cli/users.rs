//! `portcullis users …`: listing and managing accounts as the system actor.

use super::output::{fail, find, system};
use crate::startup::Services;
use anyhow::bail;
use clap::Subcommand;
use portcullis_core::access::{UsersManage, UsersRead};
use portcullis_core::{AccountAction, RequestContext};
use std::io::BufRead;

/// Manage users.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List accounts.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// How many accounts to skip, for the next page.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// How many accounts to show at most.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Create an account (active; add --confirmed if you vouch for the
    /// address), or with --service NAME a service account: no email, no
    /// password, no login; it acts through `portcullis tokens create`.
    Create {
        /// The name the user logs in with.
        #[arg(long, required_unless_present = "service", conflicts_with = "service")]
        username: Option<String>,
        /// The user's email address (they can log in with it too).
        #[arg(long, required_unless_present = "service", conflicts_with = "service")]
        email: Option<String>,
        /// Create a service account of this name instead.
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
        /// A role to grant (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Mark the email address confirmed.
        #[arg(long, conflicts_with = "service")]
        confirmed: bool,
        /// Read the password from the first line of standard input.
        #[arg(long, conflicts_with = "service")]
        password_stdin: bool,
    },
    /// One account in detail: roles, permissions, login tracking, sessions.
    Show {
        /// Username or email.
        user: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Delete an account and its sessions.
    Delete {
        /// Username or email.
        user: String,
    },
    /// Set a new password (ends the user's sessions and lifts any lock).
    SetPassword {
        /// Username or email.
        user: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give a user a role.
    GrantRole { user: String, role: String },
    /// Take a role from a user.
    RevokeRole { user: String, role: String },
    /// Lift a lockout now.
    Unlock {
        /// Username or email.
        user: String,
    },
    /// End every session of a user, on every instance.
    RevokeSessions {
        /// Username or email.
        user: String,
    },
    /// Deactivate an account: it cannot log in and its sessions end.
    Disable {
        /// Username or email.
        user: String,
    },
    /// Reactivate an account.
    Enable {
        /// Username or email.
        user: String,
    },
    /// Remove a user's second factors (authenticator and recovery codes) and
    /// end their sessions, for a user who lost their device.
    #[command(name = "reset-2fa")]
    ResetTwoFactor {
        /// Username or email.
        user: String,
    },
}

fn password_from_stdin(flag: bool) -> anyhow::Result<String> {
    if !flag {
        bail!("pass --password-stdin and the password on standard input");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

impl UsersCommand {
    /// Runs the command.
    pub(super) async fn run(self, services: &Services) -> anyhow::Result<()> {
        let accounts = services.auth.accounts();
        let ctx = RequestContext::cli();
        let manage = system::<UsersManage>();
        match self {
            UsersCommand::List {
                json,
                offset,
                limit,
            } => list(services, json, offset, limit).await?,
            UsersCommand::Create {
                service: Some(name),
                roles,
                ..
            } => {
                let user = accounts
                    .create_service(&manage, &name, &roles, &ctx)
                    .await
                    .map_err(fail)?;
                println!(
                    "Created service account {} (id {}). Give it tokens with \
                     `portcullis tokens create {}`.",
                    user.username, user.id, user.username
                );
            }
            UsersCommand::Create {
                username,
                email,
                roles,
                confirmed,
                password_stdin,
                ..
            } => {
                let (Some(username), Some(email)) = (username, email) else {
                    bail!("give --username and --email, or --service NAME");
                };
                let password = password_from_stdin(password_stdin)?;
                let registration = services
                    .auth
                    .registration()
                    .parse(&username, &email, &password, &password)
                    .map_err(|e| fail(portcullis_core::Error::Validation(e)))?;
                let user = accounts
                    .create(&manage, registration, &roles, confirmed, &ctx)
                    .await
                    .map_err(fail)?;
                println!("Created {} (id {}).", user.username, user.id);
            }
            UsersCommand::Show { user, json } => show(services, &user, json).await?,
            UsersCommand::Delete { user } => {
                let user = find(services, &user).await?;
                accounts
                    .delete(&manage, user.id, &ctx)
                    .await
                    .map_err(fail)?;
                println!("Deleted {}.", user.username);
            }
            UsersCommand::SetPassword {
                user,
                password_stdin,
            } => {
                let user = find(services, &user).await?;
                let password = password_from_stdin(password_stdin)?;
                accounts
                    .set_password(&manage, user.id, &password, &ctx)
                    .await
                    .map_err(fail)?;
                println!(
                    "Set a new password for {}; their sessions have ended.",
                    user.username
                );
            }
            UsersCommand::GrantRole { user, role } => {
                let user = find(services, &user).await?;
                accounts
                    .grant_role(&manage, user.id, &role, &ctx)
                    .await
                    .map_err(fail)?;
                println!("{} now has the role {role}.", user.username);
            }
            UsersCommand::RevokeRole { user, role } => {
                let user = find(services, &user).await?;
                accounts
                    .revoke_role(&manage, user.id, &role, &ctx)
                    .await
                    .map_err(fail)?;
                println!("{} no longer has the role {role}.", user.username);
            }
            UsersCommand::Unlock { user } => {
                let user = find(services, &user).await?;
                accounts
                    .apply(&manage, AccountAction::Unlock, user.id, &ctx)
                    .await
                    .map_err(fail)?;
                println!("Unlocked {}.", user.username);
            }
            UsersCommand::RevokeSessions { user } => {
                let user = find(services, &user).await?;
                let count = accounts
                    .apply(&manage, AccountAction::RevokeSessions, user.id, &ctx)
                    .await
                    .map_err(fail)?;
                println!("Ended {count} session(s) of {}.", user.username);
            }
            UsersCommand::Disable { user } => {
                let user = find(services, &user).await?;
                accounts
                    .apply(&manage, AccountAction::Deactivate, user.id, &ctx)
                    .await
                    .map_err(fail)?;
                println!("Disabled {}; their sessions have ended.", user.username);
            }
            UsersCommand::ResetTwoFactor { user } => {
                let user = find(services, &user).await?;
                let had = accounts
                    .reset_two_factor(&manage, user.id, &ctx)
                    .await
                    .map_err(fail)?;
                if had {
                    println!(
                        "Removed the second factor of {}; their sessions have ended.",
                        user.username
                    );
                } else {
                    println!(
                        "{} had no second factor; their sessions have ended.",
                        user.username
                    );
                }
            }
            UsersCommand::Enable { user } => {
                let user = find(services, &user).await?;
                accounts
                    .apply(&manage, AccountAction::Activate, user.id, &ctx)
                    .await
                    .map_err(fail)?;
                println!("Enabled {}.", user.username);
            }
        }
        Ok(())
    }
}

async fn list(services: &Services, json: bool, offset: i64, limit: i64) -> anyhow::Result<()> {
    let (users, total) = services
        .auth
        .accounts()
        .list(&system::<UsersRead>(), offset, limit)
        .await
        .map_err(fail)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"total": total, "users": users}))?
        );
        return Ok(());
    }
    println!(
        "{:<6} {:<24} {:<32} {:<8} {:<10} ROLES",
        "ID", "USERNAME", "EMAIL", "ACTIVE", "CONFIRMED"
    );
    for u in &users {
        println!(
            "{:<6} {:<24} {:<32} {:<8} {:<10} {}",
            u.user.id,
            u.user.username,
            u.user.email.as_deref().unwrap_or("(service)"),
            yes_no(u.user.is_active),
            yes_no(u.user.confirmed_at.is_some()),
            u.roles.join(",")
        );
    }
    println!("{} of {total} users", users.len());
    Ok(())
}

async fn show(services: &Services, login: &str, json: bool) -> anyhow::Result<()> {
    let user = find(services, login).await?;
    let detail = services
        .auth
        .accounts()
        .detail(&system::<UsersRead>(), user.id)
        .await
        .map_err(fail)?;
    let all = detail.permission_set().is_all();
    let sessions = detail.sessions.len();
    if json {
        let out = serde_json::json!({
            "user": detail.user, "roles": detail.roles, "permissions": detail.permissions,
            "all_permissions": all, "sessions": sessions,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let user = &detail.user;
    println!("id:          {}", user.id);
    println!("username:    {}", user.username);
    match user.mailbox() {
        Some(email) => println!("email:       {email}"),
        None => println!("kind:        service account (no email, no password)"),
    }
    println!("active:      {}", yes_no(user.is_active));
    println!("confirmed:   {}", yes_no(user.confirmed_at.is_some()));
    println!(
        "locked:      {}",
        user.locked_until
            .map_or("no".to_owned(), |t| format!("until {t}"))
    );
    println!("roles:       {}", detail.roles.join(", "));
    if all {
        println!("permissions: every permission (admin)");
    } else {
        println!("permissions: {}", detail.permissions.join(", "));
    }
    println!("logins:      {}", user.login_count);
    println!("sessions:    {sessions}");
    Ok(())
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}
