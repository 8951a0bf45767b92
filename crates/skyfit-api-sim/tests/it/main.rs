//! Contract tests: the simulator is started in-process on ephemeral ports and spoken to over
//! HTTP with reqwest, exactly like the extractors will.

mod evo;
mod faults;
mod pipedrive;
mod samples;
mod zendesk;

use serde_json::Value;
use skyfit_api_sim::{RunningSim, Scale, SimConfig, Simulator};

pub async fn start(scale: Scale) -> RunningSim {
    let addr = "127.0.0.1:0".parse().expect("static address");
    Simulator::start(SimConfig::new(7, scale), addr)
        .await
        .expect("simulator starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn evo_get(sim: &RunningSim, path_query: &str) -> (u16, String) {
    let c = sim.credentials();
    let r = client()
        .get(format!("{}{}", sim.evo_url(), path_query))
        .basic_auth(&c.evo_user, Some(&c.evo_password))
        .send()
        .await
        .expect("request");
    let s = r.status().as_u16();
    (s, r.text().await.expect("body"))
}

pub async fn pd_get(
    sim: &RunningSim,
    token: &str,
    path_query: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = client()
        .get(format!("{}{}", sim.pipedrive_url(), path_query))
        .header("x-api-token", token)
        .send()
        .await
        .expect("request");
    let s = r.status().as_u16();
    let h = r.headers().clone();
    (
        s,
        h,
        serde_json::from_str(&r.text().await.expect("body")).expect("json"),
    )
}

pub async fn zd_get(sim: &RunningSim, url: &str) -> (u16, Value) {
    let c = sim.credentials();
    let full = if url.starts_with("http") {
        url.to_string()
    } else {
        format!("{}{}", sim.zendesk_url(), url)
    };
    let r = client()
        .get(full)
        .basic_auth(c.zendesk_user(), Some(&c.zendesk_token))
        .send()
        .await
        .expect("request");
    let s = r.status().as_u16();
    (
        s,
        serde_json::from_str(&r.text().await.expect("body")).expect("json"),
    )
}
