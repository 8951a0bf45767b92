//! A query file's target: what it loads, from which bronze tables, and how.
//!
//! [`Target::analyse`] builds one per query file, once per load, from its `-- @` header and
//! its DataFusion logical plan: the bronze tables are the plan's table scans (a name in a
//! comment or a string is not a table it reads), the stage comes from the target's schema
//! (`core`, or `stg_{source}`). Everything downstream takes the `Target` instead of
//! re-deriving these facts from the SQL text or the table name.
//!
//! A target table's columns as PostgreSQL has them are read by [`columns`] (`columns.rs`).

use std::collections::HashSet;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::logical_expr::LogicalPlan;
use skyfit_core::Source;
use skyfit_lake::LakeStore;
use skyfit_load::sql::TableName;
use skyfit_transform::{QueryFile, SessionOptions, Strategy, TransformSession};

use crate::bronze::{BronzeRef, bronze_table};
pub use crate::columns::{TargetColumn, columns};
use crate::error::{Error, Result};
pub use crate::stage::Stage;

/// One query file, analysed: where its rows go, what it reads and how it is written.
#[derive(Debug, Clone)]
pub struct Target {
    /// The parsed file (path, SQL, data tests).
    pub query: QueryFile,
    /// The target table.
    pub table: TableName,
    pub stage: Stage,
    /// The bronze table whose parts drive the load: the first one the plan scans. Its pending
    /// parts are what the load reads and records in `meta.loaded_parts`.
    pub primary: BronzeRef,
    /// The other bronze tables the plan scans (lookups such as field definitions, unions),
    /// read whole.
    pub secondary: Vec<BronzeRef>,
    /// The business key (`@key`).
    pub key: Vec<String>,
    pub strategy: Strategy,
    /// The parent's key of a `replace_children` target.
    pub parent_key: Option<String>,
    /// The query giving the distinct keys of the parents a `replace_children` load covers
    /// (`@parents`), run over the same parts as the rows.
    pub parents_sql: Option<String>,
    /// The parents' own table (`@parents: relation -> schema.table`): a parent stored there
    /// from a newer run keeps its children.
    pub parent_table: Option<TableName>,
    /// `@version`: the columns holding the record's own change time, compared before the run
    /// order when an upsert meets a stored row.
    pub version: Vec<String>,
    /// `@chunk_by`: the primary table's column a large load is split on ([`crate::passes`]).
    pub chunk_by: Option<String>,
}

impl Target {
    /// `schema.table`, as the header names it.
    pub fn name(&self) -> &str {
        &self.query.target
    }

    pub fn source(&self) -> Source {
        self.primary.source
    }

    /// The primary bronze table's entity (`entries`, `deal_fields`).
    pub fn entity(&self) -> &str {
        &self.primary.entity
    }

    /// The query file's path, as errors and summaries name it.
    pub fn path(&self) -> String {
        self.query.path.display().to_string()
    }

    /// Every bronze table the query reads, the primary first.
    pub fn reads(&self) -> impl Iterator<Item = &BronzeRef> {
        std::iter::once(&self.primary).chain(&self.secondary)
    }

    /// Whether the query reads bronze tables other than its primary (its rows are then not
    /// a function of the primary table's records alone).
    pub fn reads_others(&self) -> bool {
        !self.secondary.is_empty()
    }

    /// Analyses every query file in a session of its own, in which each bronze table a query
    /// names is registered empty (planning needs its schema, not its parts).
    pub async fn analyse_all(
        queries: Vec<QueryFile>,
        options: &SessionOptions,
    ) -> Result<Vec<Target>> {
        let session = TransformSession::with_options(&LakeStore::in_memory(), options)?;
        let mut out = Vec::with_capacity(queries.len());
        for q in queries {
            out.push(Target::analyse(&session, q).await?);
        }
        Ok(out)
    }

    /// Analyses one query file in `session`, registering an empty `bronze.*` table for each
    /// one it names that the session does not have yet.
    pub async fn analyse(session: &TransformSession, query: QueryFile) -> Result<Target> {
        let err = |message: String| Error::Query {
            query: query.path.display().to_string(),
            message,
        };
        let mut tables = bronze_tables(session, &query).await?.into_iter();
        let primary = tables
            .next()
            .ok_or_else(|| err("reads no bronze.* table".into()))?;
        let (schema, name) = query.target_parts();
        let stage = Stage::of_schema(schema).ok_or_else(|| {
            err(format!(
                "@target {} is in schema {schema}, which is neither core nor stg_{{source}}",
                query.target
            ))
        })?;
        let table = TableName::new(schema, name);
        let target = Target {
            table,
            stage,
            primary,
            secondary: tables.collect(),
            key: query.key.clone(),
            strategy: query.strategy,
            parent_key: query.parent_key.clone(),
            parents_sql: query.parents_sql(),
            parent_table: query
                .parent_table
                .as_deref()
                .and_then(|t| t.split_once('.'))
                .map(|(s, n)| TableName::new(s, n)),
            version: query.version.clone(),
            chunk_by: query.chunk_by.clone(),
            query,
        };
        if target.stage == Stage::Stg {
            // Fails here, before any load, when the query does not give what finding its
            // unkeyed records needs.
            crate::unkeyed::check(session, &target.query).await?;
        }
        Ok(target)
    }
}

/// The bronze tables `q` reads, from its plan in `session` (see [`bronze_scans`]); the ones
/// the session lacks are registered empty first.
pub async fn bronze_tables(session: &TransformSession, q: &QueryFile) -> Result<Vec<BronzeRef>> {
    register_empty(session, q).await?;
    let df = session.plan(q).await?;
    bronze_scans(df.logical_plan())
}

/// Registers an empty `bronze.*` table for every bronze table the query names and the
/// session lacks. A name that is not `{source}_{entity}` is an error naming it; a query that
/// does not parse is left to [`TransformSession::plan`], whose error points at the line.
async fn register_empty(session: &TransformSession, q: &QueryFile) -> Result<()> {
    let state = session.context().state();
    let dialect = state.config().options().sql_parser.dialect;
    let Ok(statement) = state.sql_to_statement(&q.sql, &dialect) else {
        return Ok(());
    };
    for r in state.resolve_table_references(&statement)? {
        if r.schema() != Some("bronze") || session.context().table_exist(r.clone())? {
            continue;
        }
        let t = BronzeRef::parse(r.table()).ok_or_else(|| Error::Query {
            query: q.path.display().to_string(),
            message: format!(
                "bronze.{} is not {{source}}_{{entity}} with a known source",
                r.table()
            ),
        })?;
        session
            .register_bronze(&bronze_table(&t.name(), t.source, &t.entity, &[]))
            .await?;
    }
    Ok(())
}

/// The bronze tables a logical plan scans, each once, in the order a depth-first walk meets
/// them: a node's inputs (left before right) before the subqueries of its expressions, so the
/// table a query selects from comes before the lookups it joins or probes. A view is looked
/// through unless it is itself a bronze table (a load pass registers one as a filtered view).
pub fn bronze_scans(plan: &LogicalPlan) -> Result<Vec<BronzeRef>> {
    fn walk(
        plan: &LogicalPlan,
        seen: &mut HashSet<BronzeRef>,
        out: &mut Vec<BronzeRef>,
    ) -> datafusion::error::Result<()> {
        if let LogicalPlan::TableScan(scan) = plan {
            if scan.table_name.schema() == Some("bronze") {
                if let Some(t) = BronzeRef::parse(scan.table_name.table())
                    && seen.insert(t.clone())
                {
                    out.push(t);
                }
                return Ok(());
            }
            if let Some(view) = scan.source.get_logical_plan() {
                walk(&view, seen, out)?;
            }
        }
        for input in plan.inputs() {
            walk(input, seen, out)?;
        }
        plan.apply_subqueries(|sub| {
            walk(sub, seen, out)?;
            Ok(TreeNodeRecursion::Continue)
        })?;
        Ok(())
    }
    let (mut seen, mut out) = (HashSet::new(), Vec::new());
    walk(plan, &mut seen, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn queries_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries")
    }

    async fn analyse(sql: &str) -> Result<Target> {
        let q = QueryFile::parse(Path::new("queries/core/x.sql"), sql)?;
        let session = TransformSession::try_new(&LakeStore::in_memory())?;
        Target::analyse(&session, q).await
    }

    /// Every query file analyses; its tables are the ones it reads, the table it selects from
    /// first, and its stage is its schema's.
    #[tokio::test]
    async fn every_query_file_is_analysed_from_its_plan() {
        let queries = skyfit_transform::query::load_dir(&queries_dir()).unwrap();
        let n = queries.len();
        let targets = Target::analyse_all(queries, &SessionOptions::default())
            .await
            .unwrap();
        assert_eq!(targets.len(), n);
        let by_name = |name: &str| targets.iter().find(|t| t.name() == name).unwrap();
        let deals = by_name("core.pd_deals");
        assert_eq!(deals.stage, Stage::Core);
        assert_eq!(deals.primary.name(), "pipedrive_deals");
        assert_eq!(deals.source(), Source::Pipedrive);
        assert!(deals.reads_others(), "{:?}", deals.secondary);
        let entries = by_name("stg_evo.entries_raw");
        assert_eq!((entries.stage, entries.entity()), (Stage::Stg, "entries"));
        assert!(entries.secondary.is_empty());
        assert_eq!(entries.chunk_by.as_deref(), Some("_entry_id"));
        let tags = by_name("core.zd_ticket_tags");
        assert_eq!(tags.strategy, Strategy::ReplaceChildren);
        assert_eq!(tags.primary.name(), "zendesk_tickets");
        for t in &targets {
            let stage = if t.table.schema.as_deref() == Some("core") {
                Stage::Core
            } else {
                Stage::Stg
            };
            assert_eq!(t.stage, stage, "{}", t.name());
        }
    }

    #[tokio::test]
    async fn a_table_named_only_in_a_comment_or_string_is_not_read() {
        let t = analyse(
            "-- @target: core.evo_sales\n-- @key: id\n\
             -- Once read bronze.evo_members too.\n\
             SELECT _line AS id, 'bronze.evo_entries' AS note FROM bronze.evo_sales\n",
        )
        .await
        .unwrap();
        assert_eq!(t.primary.name(), "evo_sales");
        assert!(t.secondary.is_empty(), "{:?}", t.secondary);
    }

    #[tokio::test]
    async fn the_selected_table_comes_before_lookups_in_joins_and_subqueries() {
        let t = analyse(
            "-- @target: core.pd_deals\n-- @key: id\n\
             WITH f AS (SELECT _raw FROM bronze.pipedrive_deal_fields)\n\
             SELECT d._line AS id,\n\
               (SELECT count(*) FROM bronze.pipedrive_users) AS users\n\
             FROM bronze.pipedrive_deals d LEFT JOIN f ON f._raw = d._raw\n",
        )
        .await
        .unwrap();
        let names: Vec<String> = t.reads().map(BronzeRef::name).collect();
        assert_eq!(
            names,
            [
                "pipedrive_deals",
                "pipedrive_deal_fields",
                "pipedrive_users"
            ]
        );
    }

    #[tokio::test]
    async fn what_is_not_a_target_is_refused_by_name() {
        let e = analyse("-- @target: core.x\n-- @key: a\nSELECT 1 AS a\n")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("reads no bronze.* table"), "{e}");
        let e = analyse(
            "-- @target: core.x\n-- @key: a\nSELECT _line AS a FROM bronze.salesforce_leads\n",
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("bronze.salesforce_leads"), "{e}");
        let e = analyse(
            "-- @target: stg_evox.x\n-- @key: a\nSELECT _line AS a FROM bronze.evo_sales\n",
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("neither core nor stg_"), "{e}");
    }

    #[tokio::test]
    async fn a_stg_query_without_its_src_cte_is_refused_up_front() {
        let e = analyse(
            "-- @target: stg_evo.sales_raw\n-- @key: sale_id\n\
             SELECT _line AS sale_id FROM bronze.evo_sales\n",
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("no CTE named `src`"), "{e}");
        let e = analyse(
            "-- @target: stg_evo.sales_raw\n-- @key: sale_id\n\
             WITH src AS (SELECT _line AS sale_id FROM bronze.evo_sales)\n\
             SELECT sale_id FROM src WHERE sale_id IS NOT NULL\n",
        )
        .await
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("does not give the key columns or lineage"),
            "{e}"
        );
        analyse(
            "-- @target: stg_evo.sales_raw\n-- @key: sale_id\n\
             WITH src AS (SELECT _line AS sale_id, _raw, _line, _source_file FROM bronze.evo_sales)\n\
             SELECT sale_id FROM src WHERE sale_id IS NOT NULL\n",
        )
        .await
        .unwrap();
    }

    #[test]
    fn stages_match_whole_schema_names() {
        assert_eq!(Stage::of_schema("core"), Some(Stage::Core));
        assert_eq!(Stage::of_schema("stg_pipedrive"), Some(Stage::Stg));
        assert_eq!(Stage::of_schema("stg_"), None);
        assert_eq!(Stage::of_schema("stg_evo_old"), None);
        assert_eq!(Stage::of_schema("core2"), None);
    }
}
