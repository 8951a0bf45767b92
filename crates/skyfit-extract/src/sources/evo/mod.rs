//! EVO (W12): bare JSON arrays, HTTP Basic, `skip`/`take` with a per-endpoint maximum, date
//! windows on each entity's main date, ~40 requests/min per key.

mod client;
mod entities;

pub use client::client;
pub use entities::{ENTITIES, plan};
