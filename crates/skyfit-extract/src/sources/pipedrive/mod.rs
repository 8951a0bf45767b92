//! Pipedrive: two accounts (scopes `comercial`, `expansao`, one token each), v2 cursor lists
//! for the CRM entities, v1 offset lists for users and the custom-field definitions.

mod client;
mod entities;

pub use client::client;
pub use entities::{ENTITIES, plan};
