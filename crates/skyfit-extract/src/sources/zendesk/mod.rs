//! Zendesk Support: cursor-based incremental exports (tickets, users), the time-based export
//! (organizations), and `next_page` lists (groups, ticket fields, ticket forms). One scope,
//! `support`.

mod client;
mod entities;

pub use client::client;
pub use entities::{ENTITIES, SCOPE, plan};
