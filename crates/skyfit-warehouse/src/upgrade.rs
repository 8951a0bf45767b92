//! `skyfit db migrate` and its `--plan`: the one place that chooses between adopting a
//! warehouse the original system built (`adopt`) and applying pending migrations (`migrate`).

use tokio_postgres::Client;
use tracing::info;

use crate::adopt::{self, Plan};
use crate::error::{Error, Result};
use crate::migrate::{
    self, MigrationState, apply_pending, lock, migrate, original, status, unlock,
};

/// What [`upgrade`] would do, without changing anything: the adoption steps for an original
/// warehouse (refusing as [`upgrade`] would), else the pending migrations.
pub async fn plan(client: &mut Client) -> Result<Plan> {
    if original(client).await? {
        let mut tx = client
            .transaction()
            .await
            .map_err(Error::pg("starting the plan"))?;
        let plan = adopt::plan(&mut tx).await;
        tx.rollback().await.map_err(Error::pg("ending the plan"))?;
        return plan;
    }
    Ok(Plan {
        migrations: status(client)
            .await?
            .into_iter()
            .filter(|(_, s)| *s == MigrationState::Pending)
            .map(|(m, _)| m.name.to_string())
            .collect(),
        ..Plan::default()
    })
}

/// `skyfit db migrate`: adopts an original warehouse (plan, steps, every migration and the
/// old grants in one transaction) or applies the pending migrations. Returns what was done.
pub async fn upgrade(client: &mut Client) -> Result<Plan> {
    if !original(client).await? {
        let applied = migrate(client).await?;
        return Ok(Plan {
            migrations: applied,
            ..Plan::default()
        });
    }
    lock(client).await?;
    let result = adopt_locked(client).await;
    unlock(client, result).await
}

async fn adopt_locked(client: &mut Client) -> Result<Plan> {
    let mut tx = client
        .transaction()
        .await
        .map_err(Error::pg("starting the adoption"))?;
    // Another process may have adopted it while this one waited for the lock.
    if !migrate::is_original(&tx).await? {
        drop(tx);
        let applied = apply_pending(client).await?;
        return Ok(Plan {
            migrations: applied,
            ..Plan::default()
        });
    }
    let plan = adopt::apply(&mut tx).await?;
    tx.commit()
        .await
        .map_err(Error::pg("committing the adoption"))?;
    info!(
        steps = plan.steps.len(),
        migrations = plan.migrations.len(),
        "Adopted the original warehouse."
    );
    Ok(plan)
}
