//! `portcullis roles …`: roles and their permissions, as the system actor.

use super::output::{fail, system};
use crate::startup::Services;
use anyhow::anyhow;
use clap::Subcommand;
use portcullis_core::access::RolesManage;
use portcullis_core::{RequestContext, RoleInfo, RoleSpec};

/// Manage roles and their permissions.
#[derive(Debug, Subcommand)]
pub enum RolesCommand {
    /// Every role with its permissions and member count.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Create a role.
    Create {
        name: String,
        /// What the role is for, shown in listings.
        #[arg(long, default_value = "")]
        description: String,
        /// A permission the role holds (repeatable).
        #[arg(long = "permission")]
        permissions: Vec<String>,
        /// A role whose holders may grant this one (repeatable; only for
        /// roles without administrative permissions).
        #[arg(long = "grantable-by")]
        grantable_by: Vec<String>,
    },
    /// Delete a role (its members lose it).
    Delete { name: String },
    /// Add a permission to a role.
    GrantPermission { role: String, permission: String },
    /// Remove a permission from a role.
    RevokePermission { role: String, permission: String },
}

impl RolesCommand {
    /// Runs the command.
    pub(super) async fn run(self, services: &Services) -> anyhow::Result<()> {
        let roles = services.auth.roles();
        let ctx = RequestContext::cli();
        let manage = system::<RolesManage>();
        match self {
            RolesCommand::List { json } => {
                let listed = roles.list(&manage).await.map_err(fail)?;
                if json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&serde_json::json!({"roles": listed}))?
                    );
                } else {
                    println!("{:<24} {:<8} PERMISSIONS", "ROLE", "MEMBERS");
                    for r in &listed {
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
                grantable_by,
            } => {
                let spec = RoleSpec {
                    name,
                    description,
                    permissions,
                    grantable_by,
                };
                let role = roles.create(&manage, &spec, &ctx).await.map_err(fail)?;
                println!("Created role {}.", role.name);
            }
            RolesCommand::Delete { name } => {
                roles.delete(&manage, &name, &ctx).await.map_err(fail)?;
                println!("Deleted role {name}.");
            }
            RolesCommand::GrantPermission { role, permission } => {
                let mut current = roles.get(&manage, &role).await.map_err(fail)?;
                current.permissions.push(permission.clone());
                update(services, current, &ctx).await?;
                println!("Role {role} now has {permission}.");
            }
            RolesCommand::RevokePermission { role, permission } => {
                let mut current = roles.get(&manage, &role).await.map_err(fail)?;
                let before = current.permissions.len();
                current.permissions.retain(|p| p != &permission);
                if current.permissions.len() == before {
                    return Err(anyhow!("role {role} does not have {permission}"));
                }
                update(services, current, &ctx).await?;
                println!("Role {role} no longer has {permission}.");
            }
        }
        Ok(())
    }
}

async fn update(services: &Services, role: RoleInfo, ctx: &RequestContext) -> anyhow::Result<()> {
    let spec = RoleSpec {
        name: role.name,
        description: role.description,
        permissions: role.permissions,
        grantable_by: role.grantable_by,
    };
    services
        .auth
        .roles()
        .update(&system::<RolesManage>(), &spec, ctx)
        .await
        .map(drop)
        .map_err(fail)
}
