//! Bronze → PostgreSQL through the real SQL in `queries/`, against a real server.

mod entries;
