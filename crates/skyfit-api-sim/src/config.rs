//! Simulator configuration: seed, volumes (`Scale`), clock and faults.
//!
//! Constraint: everything is plain data with defaults in code, so the CLI can build it from
//! flags or a TOML/JSON file (`deny_unknown_fields` everywhere).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::faults::FaultConfig;
use crate::synth::time;

/// Volumes of one Pipedrive account (company).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipedriveScale {
    /// Deals (all statuses).
    pub deals: u64,
    /// Persons.
    pub persons: u64,
    /// Organizations.
    pub organizations: u64,
    /// Activities.
    pub activities: u64,
    /// Pipelines.
    pub pipelines: u64,
    /// Stages (spread over the pipelines).
    pub stages: u64,
    /// Users.
    pub users: u64,
}

/// Record volumes at the default clock (2026-11-25). Counts grow at the same rate if the clock
/// is moved later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// EVO entries (`/api/v1/entries`).
    pub evo_entries: u64,
    /// EVO members (`/api/v2/members`); each has 1..=7 memberships.
    pub evo_members: u64,
    /// EVO sales (`/api/v2/sales`); each has 1..=3 receivables.
    pub evo_sales: u64,
    /// EVO prospects (`/api/v1/prospects`).
    pub evo_prospects: u64,
    /// EVO branches (`/api/v1/configuration`).
    pub evo_branches: u64,
    /// EVO employees (`/api/v2/employees`).
    pub evo_employees: u64,
    /// Pipedrive account `comercial`.
    pub pd_comercial: PipedriveScale,
    /// Pipedrive account `expansao`.
    pub pd_expansao: PipedriveScale,
    /// Zendesk tickets.
    pub zd_tickets: u64,
    /// Zendesk users.
    pub zd_users: u64,
    /// Zendesk organizations.
    pub zd_organizations: u64,
    /// Zendesk groups.
    pub zd_groups: u64,
    /// Zendesk ticket fields.
    pub zd_ticket_fields: u64,
    /// Zendesk ticket forms.
    pub zd_ticket_forms: u64,
}

impl Scale {
    /// A few hundred records per entity: unit and contract tests.
    pub const fn tiny() -> Self {
        Self {
            evo_entries: 2_000,
            evo_members: 200,
            evo_sales: 300,
            evo_prospects: 120,
            evo_branches: 3,
            evo_employees: 12,
            pd_comercial: PipedriveScale {
                deals: 120,
                persons: 150,
                organizations: 40,
                activities: 400,
                pipelines: 3,
                stages: 12,
                users: 5,
            },
            pd_expansao: PipedriveScale {
                deals: 30,
                persons: 40,
                organizations: 10,
                activities: 80,
                pipelines: 2,
                stages: 8,
                users: 3,
            },
            zd_tickets: 150,
            zd_users: 60,
            zd_organizations: 4,
            zd_groups: 5,
            zd_ticket_fields: 12,
            zd_ticket_forms: 3,
        }
    }

    /// Demo scale: a full extraction takes seconds.
    pub const fn small() -> Self {
        Self {
            evo_entries: 200_000,
            evo_members: 10_000,
            evo_sales: 40_000,
            evo_prospects: 5_000,
            evo_branches: 10,
            evo_employees: 100,
            pd_comercial: PipedriveScale {
                deals: 3_000,
                persons: 4_400,
                organizations: 1_000,
                activities: 14_000,
                pipelines: 5,
                stages: 25,
                users: 12,
            },
            pd_expansao: PipedriveScale {
                deals: 200,
                persons: 300,
                organizations: 60,
                activities: 900,
                pipelines: 2,
                stages: 8,
                users: 3,
            },
            zd_tickets: 1_200,
            zd_users: 300,
            zd_organizations: 4,
            zd_groups: 8,
            zd_ticket_fields: 16,
            zd_ticket_forms: 3,
        }
    }

    /// Benchmark scale: 10M entries.
    pub const fn medium() -> Self {
        Self {
            evo_entries: 10_000_000,
            evo_members: 240_000,
            evo_sales: 1_200_000,
            evo_prospects: 60_000,
            evo_branches: 40,
            evo_employees: 600,
            zd_tickets: 12_000,
            zd_users: 1_400,
            ..Self::reference()
        }
    }

    /// The production volumes the reference's docs quote (docs/data-contract.md#volumes).
    pub const fn reference() -> Self {
        Self {
            evo_entries: 110_000_000,
            evo_members: 2_400_000,
            evo_sales: 12_800_000,
            evo_prospects: 612_000,
            evo_branches: 80,
            evo_employees: 1_600,
            pd_comercial: PipedriveScale {
                deals: 30_636,
                persons: 43_500,
                organizations: 10_600,
                activities: 139_000,
                pipelines: 7,
                stages: 35,
                users: 18,
            },
            pd_expansao: PipedriveScale {
                deals: 352,
                persons: 500,
                organizations: 100,
                activities: 2_000,
                pipelines: 2,
                stages: 8,
                users: 2,
            },
            zd_tickets: 12_000,
            zd_users: 1_400,
            zd_organizations: 4,
            zd_groups: 14,
            zd_ticket_fields: 21,
            zd_ticket_forms: 3,
        }
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Result<Self, Error> {
        match name.trim().to_ascii_lowercase().as_str() {
            "tiny" => Ok(Self::tiny()),
            "small" => Ok(Self::small()),
            "medium" => Ok(Self::medium()),
            "reference" | "ref" | "full" => Ok(Self::reference()),
            other => Err(Error::UnknownScale {
                name: other.to_string(),
            }),
        }
    }

    /// The Pipedrive volumes of an account.
    pub fn pipedrive(&self, scope: Scope) -> &PipedriveScale {
        match scope {
            Scope::Comercial => &self.pd_comercial,
            Scope::Expansao => &self.pd_expansao,
        }
    }
}

impl Default for Scale {
    fn default() -> Self {
        Self::small()
    }
}

impl FromStr for Scale {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::preset(s)
    }
}

/// Whole-simulator configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Master seed: same seed + scale + clock ⇒ byte-identical responses.
    pub seed: u64,
    /// Record volumes.
    pub scale: Scale,
    /// Simulated clock (epoch seconds, UTC; EVO reads it as naive local time). Records created
    /// after it do not exist yet; edits and deletions after it have not happened yet.
    pub now: i64,
    /// Faults and rate limits per API (default: none, so tests and benchmarks run at full speed).
    pub faults: FaultConfig,
    /// EVO basic-auth user (the tenant DNS).
    pub evo_user: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            scale: Scale::default(),
            now: time::DEFAULT_NOW,
            faults: FaultConfig::default(),
            evo_user: "skyfit".to_string(),
        }
    }
}

impl SimConfig {
    /// Default configuration with a given seed and scale.
    pub fn new(seed: u64, scale: Scale) -> Self {
        Self {
            seed,
            scale,
            ..Self::default()
        }
    }

    /// Sets the clock.
    pub fn with_now(mut self, now: i64) -> Self {
        self.now = now;
        self
    }

    /// Sets the faults.
    pub fn with_faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }
}

/// A Pipedrive account, called a "scope" (docs/data-contract.md#pipedrive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `comercial`.
    Comercial,
    /// `expansao`.
    Expansao,
}

impl Scope {
    pub(crate) fn from_key(k: u8) -> Self {
        if k == 1 {
            Scope::Expansao
        } else {
            Scope::Comercial
        }
    }

    /// The scope name used by the warehouse.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Comercial => "comercial",
            Scope::Expansao => "expansao",
        }
    }
}
