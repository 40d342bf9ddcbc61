//! `users create|show|delete|set-password|grant-role|revoke-role`.

use super::find;
use crate::cli::{UsersCommand, describe};
use crate::startup::Services;
use anyhow::{anyhow, bail};
use portcullis_core::RequestContext;
use std::io::BufRead;

fn password_from_stdin(flag: bool) -> anyhow::Result<String> {
    if !flag {
        bail!("pass --password-stdin and the password on standard input");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub(super) async fn run(services: &Services, command: UsersCommand) -> anyhow::Result<()> {
    let auth = &services.auth;
    let ctx = RequestContext::cli();
    let fail = |e: portcullis_core::Error| anyhow!(describe(e));
    match command {
        UsersCommand::Create {
            username,
            email,
            roles,
            confirmed,
            password_stdin,
        } => {
            let password = password_from_stdin(password_stdin)?;
            let registration = auth
                .parse_registration(&username, &email, &password, &password)
                .map_err(|e| fail(portcullis_core::Error::Validation(e)))?;
            let user = auth
                .admin_create_user(None, registration, &roles, confirmed, &ctx)
                .await
                .map_err(fail)?;
            println!("Created {} (id {}).", user.username, user.id);
        }
        UsersCommand::Show { user, json } => {
            let user = find(services, &user).await?;
            let roles: Vec<String> = auth
                .roles_of(&user)
                .await
                .map_err(fail)?
                .into_iter()
                .map(|r| r.name)
                .collect();
            let permissions = auth.permissions_of(&user).await.map_err(fail)?;
            let sessions = auth.sessions(&user).await.map_err(fail)?.len();
            if json {
                let out = serde_json::json!({"user": user, "roles": roles, "permissions": permissions, "sessions": sessions});
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("id:          {}", user.id);
                println!("username:    {}", user.username);
                println!("email:       {}", user.email);
                println!("active:      {}", if user.is_active { "yes" } else { "no" });
                println!(
                    "confirmed:   {}",
                    if user.confirmed_at.is_some() {
                        "yes"
                    } else {
                        "no"
                    }
                );
                println!(
                    "locked:      {}",
                    user.locked_until
                        .map_or("no".to_owned(), |t| format!("until {t}"))
                );
                println!("roles:       {}", roles.join(", "));
                println!("permissions: {}", permissions.join(", "));
                println!("logins:      {}", user.login_count);
                println!("sessions:    {sessions}");
            }
        }
        UsersCommand::Delete { user } => {
            let user = find(services, &user).await?;
            auth.delete_user(None, &user, &ctx).await.map_err(fail)?;
            println!("Deleted {}.", user.username);
        }
        UsersCommand::SetPassword {
            user,
            password_stdin,
        } => {
            let user = find(services, &user).await?;
            let password = password_from_stdin(password_stdin)?;
            auth.set_password(None, &user, &password, &ctx)
                .await
                .map_err(fail)?;
            println!(
                "Set a new password for {}; their sessions have ended.",
                user.username
            );
        }
        UsersCommand::GrantRole { user, role } => {
            let user = find(services, &user).await?;
            auth.grant_role(None, &user, &role, &ctx)
                .await
                .map_err(fail)?;
            println!("{} now has the role {role}.", user.username);
        }
        UsersCommand::RevokeRole { user, role } => {
            let user = find(services, &user).await?;
            auth.revoke_role(None, &user, &role, &ctx)
                .await
                .map_err(fail)?;
            println!("{} no longer has the role {role}.", user.username);
        }
        _ => unreachable!("the other commands are handled by the caller"),
    }
    Ok(())
}
