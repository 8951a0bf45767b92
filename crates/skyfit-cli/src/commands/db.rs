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
        DbCommand::Migrate => {
            let applied = skyfit_warehouse::migrate(&mut client).await?;
            if applied.is_empty() {
                println!("Database {} is up to date.", db.target());
            } else {
                for name in &applied {
                    println!("applied  {name}");
                }
                println!("Applied {} migration(s) to {}.", applied.len(), db.target());
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
