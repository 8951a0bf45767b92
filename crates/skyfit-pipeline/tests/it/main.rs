//! Bronze → PostgreSQL through the real SQL in `queries/`, against a real server.

mod bad_values;
mod children;
mod entries;
mod failover;
mod golden_queries;
mod lake_faults;
mod lake_shapes;
mod partitions;
mod preview;
mod progress;
mod side_by_side;
mod support;
mod typed;
