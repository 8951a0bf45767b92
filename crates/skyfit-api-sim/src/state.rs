//! What the three listeners share: the seed and volumes, the simulated clock, the expected
//! credentials, the faults set through the admin API, the counters and the rate limiter.
//! Its own module so that the request pipeline and the admin API can read it without
//! depending on the module that starts the listeners.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use crate::config::Scale;
use crate::faults::ApiFaults;
use crate::http::Api;
use crate::limits::Limiter;
use crate::stats::{Counters, SimStats};
use crate::synth::{Gen, hash};

/// The credentials a client must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// EVO basic-auth user (tenant DNS).
    pub evo_user: String,
    /// EVO basic-auth password (secret key).
    pub evo_password: String,
    /// Pipedrive `x-api-token` of the `comercial` account.
    pub pipedrive_token_comercial: String,
    /// Pipedrive `x-api-token` of the `expansao` account.
    pub pipedrive_token_expansao: String,
    /// Zendesk agent e-mail; the basic-auth user is `{email}/token`.
    pub zendesk_email: String,
    /// Zendesk API token (basic-auth password).
    pub zendesk_token: String,
}

impl Credentials {
    /// Deterministic credentials for a seed (so a demo can be restarted without reconfiguring).
    pub fn for_seed(seed: u64, evo_user: &str) -> Self {
        Self {
            evo_user: evo_user.to_string(),
            evo_password: hash::hex_id(seed ^ 0xE70, 32),
            pipedrive_token_comercial: hash::hex_id(seed ^ 0x9D1, 40),
            pipedrive_token_expansao: hash::hex_id(seed ^ 0x9D2, 40),
            zendesk_email: "admin@skyfit.example".to_string(),
            zendesk_token: hash::hex_id(seed ^ 0x2D1, 40),
        }
    }

    /// The Zendesk basic-auth user name (`{email}/token`).
    pub fn zendesk_user(&self) -> String {
        format!("{}/token", self.zendesk_email)
    }
}

/// State shared by the listeners.
pub(crate) struct Shared {
    pub seed: u64,
    pub scale: Scale,
    pub now: AtomicI64,
    pub creds: Credentials,
    pub faults: [RwLock<ApiFaults>; 3],
    pub counters: [Counters; 3],
    pub limiter: Mutex<Limiter>,
    pub started: Instant,
    /// Path and query of the latest requests per API (see [`RunningSim::requests`]).
    pub requests: [Mutex<VecDeque<String>>; 3],
}

impl Shared {
    pub fn generator(&self) -> Gen {
        Gen {
            seed: self.seed,
            scale: self.scale,
            now: self.now.load(Ordering::Relaxed),
        }
    }

    pub fn faults(&self, api: Api) -> ApiFaults {
        match self.faults[api.idx()].read() {
            Ok(f) => f.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set_faults(&self, api: Api, f: ApiFaults) {
        match self.faults[api.idx()].write() {
            Ok(mut g) => *g = f,
            Err(poisoned) => *poisoned.into_inner() = f,
        }
    }

    pub fn stats(&self) -> SimStats {
        SimStats {
            evo: self.counters[0].snapshot(),
            pipedrive: self.counters[1].snapshot(),
            zendesk: self.counters[2].snapshot(),
        }
    }
}
