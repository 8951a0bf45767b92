//! `skyfit db migrate|status`.

use std::process::ExitCode;

use anyhow::Result;
use skyfit_warehouse::MigrationState;

use crate::cli::DbCommand;
use crate::context::Context;

pub async fn run(ctx: &Context, cmd: DbCommand) -> Result<ExitCode> {
    let db = ctx.database().await?;
    let mut client =
        skyfit_warehouse::connect_with_retry(&db, std::time::Duration::from_secs(60)).await?;
    match cmd {
        DbCommand::Migrate { plan: true } => {
            let plan = skyfit_warehouse::plan(&mut client).await?;
            print!("{plan}");
            println!("Plan only: nothing was changed in {}.", db.target());
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Migrate { plan: false } => {
            let done = skyfit_warehouse::upgrade(&mut client).await?;
            if done.adopt {
                for s in &done.steps {
                    println!("adopted  {:<40} {}", s.table, s.action);
                }
            }
            for name in &done.migrations {
                println!("applied  {name}");
            }
            if done.adopt {
                println!(
                    "Adopted the original warehouse in {}: {} step(s), {} migration(s).",
                    db.target(),
                    done.steps.len(),
                    done.migrations.len()
                );
            } else if done.migrations.is_empty() {
                println!("Database {} is up to date.", db.target());
            } else {
                println!(
                    "Applied {} migration(s) to {}.",
                    done.migrations.len(),
                    db.target()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Status => {
            let mut problems = 0;
            for (m, state) in skyfit_warehouse::status(&client).await? {
                let s = match state {
                    MigrationState::Applied { at } => {
                        format!("applied  {}", at.format("%Y-%m-%d %H:%M:%S UTC"))
                    }
                    MigrationState::Pending => "pending  (run `skyfit db migrate`)".to_string(),
                    MigrationState::Edited => {
                        problems += 1;
                        "EDITED   after it was applied: restore the file, put changes in a new migration".to_string()
                    }
                };
                println!("{:<40} {s}", m.name);
            }
            Ok(if problems > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
