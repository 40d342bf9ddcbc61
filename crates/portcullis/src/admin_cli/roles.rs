//! `roles list|create|delete|grant-permission|revoke-permission`.

use crate::cli::{RolesCommand, describe};
use crate::settings::Settings;
use crate::startup::Services;
use anyhow::anyhow;
use portcullis_core::{RequestContext, RoleSpec, SystemClock};
use std::sync::Arc;

pub(crate) async fn run(settings: Settings, command: RolesCommand) -> anyhow::Result<()> {
    let services = Services::open(&settings, Arc::new(SystemClock)).await?;
    let auth = &services.auth;
    let ctx = RequestContext::cli();
    let fail = |e: portcullis_core::Error| anyhow!(describe(e));
    match command {
        RolesCommand::List { json } => {
            let roles = auth.list_roles().await.map_err(fail)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"roles": roles}))?
                );
            } else {
                println!("{:<24} {:<8} PERMISSIONS", "ROLE", "MEMBERS");
                for r in &roles {
                    println!(
                        "{:<24} {:<8} {}",
                        r.name,
                        r.members,
                        r.permissions.join(",")
                    );
                }
            }
        }
        RolesCommand::Create {
            name,
            description,
            permissions,
        } => {
            let spec = RoleSpec {
                name,
                description,
                permissions,
            };
            let role = auth.create_role(None, &spec, &ctx).await.map_err(fail)?;
            println!("Created role {}.", role.name);
        }
        RolesCommand::Delete { name } => {
            auth.delete_role(None, &name, &ctx).await.map_err(fail)?;
            println!("Deleted role {name}.");
        }
        RolesCommand::GrantPermission { role, permission } => {
            let mut current = auth.role(&role).await.map_err(fail)?;
            current.permissions.push(permission.clone());
            update(auth, current, &ctx).await.map_err(fail)?;
            println!("Role {role} now has {permission}.");
        }
        RolesCommand::RevokePermission { role, permission } => {
            let mut current = auth.role(&role).await.map_err(fail)?;
            let before = current.permissions.len();
            current.permissions.retain(|p| p != &permission);
            if current.permissions.len() == before {
                return Err(anyhow!("role {role} does not have {permission}"));
            }
            update(auth, current, &ctx).await.map_err(fail)?;
            println!("Role {role} no longer has {permission}.");
        }
    }
    Ok(())
}

async fn update(
    auth: &portcullis_core::AuthService,
    role: portcullis_core::RoleInfo,
    ctx: &RequestContext,
) -> Result<portcullis_core::RoleInfo, portcullis_core::Error> {
    let spec = RoleSpec {
        name: role.name,
        description: role.description,
        permissions: role.permissions,
    };
    auth.update_role(None, &spec, ctx).await
}
