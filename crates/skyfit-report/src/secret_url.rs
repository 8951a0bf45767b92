//! [`SecretUrl`]: a URL that never prints.
//!
//! A Slack or Teams webhook URL *is* its credential (the token is in the path or the query
//! string), and a Pushgateway URL may carry basic-auth credentials. `Debug`, `Display` and
//! `Serialize` show only the scheme and host (`https://hooks.slack.com/***`); the full URL
//! is read with [`SecretUrl::expose`], only where the request is made. Text that may echo it
//! (an HTTP library's error, a response body) goes through [`SecretUrl::scrub`] first.

use std::fmt;

use reqwest::Url;

use crate::error::{Error, Result};

#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    url: Url,
    /// The text it was parsed from (`:443`, case and escapes as given), scrubbed too.
    raw: String,
}

impl SecretUrl {
    /// Parses an `http` or `https` URL. The error never contains the URL itself.
    pub fn try_new(url: &str) -> Result<Self> {
        let parsed = Url::parse(url.trim()).map_err(|e| Error::InvalidUrl {
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::InvalidUrl {
                reason: format!("scheme `{}` is not http or https", parsed.scheme()),
            });
        }
        if parsed.host_str().is_none() {
            return Err(Error::InvalidUrl {
                reason: "no host".into(),
            });
        }
        Ok(SecretUrl {
            url: parsed,
            raw: url.trim().to_string(),
        })
    }

    /// The full URL. Call only where the request is made.
    pub fn expose(&self) -> &Url {
        &self.url
    }

    /// The URL with `path` appended to its own path (for the Pushgateway's
    /// `/metrics/job/...`).
    pub(crate) fn join_path(&self, path: &str) -> SecretUrl {
        let mut url = self.url.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/{}", path.trim_start_matches('/')));
        SecretUrl {
            raw: url.as_str().to_string(),
            url,
        }
    }

    /// `text` with every part of this URL that could be a credential replaced by `***`: the
    /// whole URL, its path and query, path segments and query values of 6 characters or
    /// more, and the user name and password.
    pub fn scrub(&self, text: &str) -> String {
        let url = &self.url;
        let mut secrets: Vec<String> = vec![url.as_str().to_string(), self.raw.clone()];
        secrets.push(url.as_str().trim_end_matches('/').to_string());
        if url.path().len() > 1 {
            secrets.push(url.path().to_string());
        }
        if let Some(q) = url.query() {
            secrets.push(q.to_string());
        }
        if let Some(p) = url.password() {
            secrets.push(p.to_string());
        }
        if !url.username().is_empty() {
            secrets.push(url.username().to_string());
        }
        if let Some(segments) = url.path_segments() {
            secrets.extend(segments.filter(|s| s.len() >= 6).map(str::to_string));
        }
        for (_, v) in url.query_pairs() {
            if v.len() >= 6 {
                secrets.push(v.into_owned());
            }
        }
        for (_, v) in url
            .query()
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|kv| kv.split_once('='))
        {
            if v.len() >= 6 {
                secrets.push(v.to_string());
            }
        }
        // Longest first, so a segment does not break up the whole URL's replacement.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        let mut out = text.to_string();
        for s in secrets.iter().filter(|s| !s.is_empty()) {
            out = out.replace(s.as_str(), "***");
        }
        out
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.url.host_str() {
            Some(host) => write!(f, "{}://{host}/***", self.url.scheme()),
            None => f.write_str("***"),
        }
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({self})")
    }
}

impl std::str::FromStr for SecretUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        SecretUrl::try_new(s)
    }
}

impl<'de> serde::Deserialize<'de> for SecretUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SecretUrl::try_new(&s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for SecretUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLACK: &str = "https://hooks.slack.com/services/T0001/B0002/XXXXsecretXXXX";
    const TEAMS: &str = "https://prod-27.westeurope.logic.azure.com:443/workflows/abc123def456/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sig=SiGnAtUrE123";

    #[test]
    fn never_prints_the_path_or_query() {
        let u = SecretUrl::try_new(SLACK).unwrap();
        let all = format!("{u} {u:?} {u:#?} {}", serde_json::to_string(&u).unwrap());
        assert!(!all.contains("secret"), "{all}");
        assert!(!all.contains("services"), "{all}");
        assert_eq!(u.to_string(), "https://hooks.slack.com/***");

        let u = SecretUrl::try_new("https://user:hunter2@push.example.com/pg").unwrap();
        let all = format!("{u} {u:?}");
        assert!(!all.contains("hunter2") && !all.contains("user"), "{all}");
    }

    #[test]
    fn errors_never_echo_the_url() {
        let err = SecretUrl::try_new("ftp://hooks.example.com/T0/verysecret").unwrap_err();
        assert!(!err.to_string().contains("verysecret"), "{err}");
        let err = SecretUrl::try_new("not a url /verysecret").unwrap_err();
        assert!(!err.to_string().contains("verysecret"), "{err}");
    }

    #[test]
    fn scrubs_tokens_from_text() {
        let u = SecretUrl::try_new(TEAMS).unwrap();
        let text = format!(
            "error sending request for url ({TEAMS}): sig=SiGnAtUrE123 workflow abc123def456"
        );
        let clean = u.scrub(&text);
        assert!(!clean.contains("SiGnAtUrE123"), "{clean}");
        assert!(!clean.contains("abc123def456"), "{clean}");
        assert!(
            clean.starts_with("error sending request for url (***)"),
            "{clean}"
        );

        let u = SecretUrl::try_new(SLACK).unwrap();
        assert_eq!(u.scrub("token XXXXsecretXXXX"), "token ***");
    }

    #[test]
    fn joins_paths() {
        let u = SecretUrl::try_new("http://pg.local:9091/").unwrap();
        assert_eq!(
            u.join_path("metrics/job/skyfit").expose().as_str(),
            "http://pg.local:9091/metrics/job/skyfit"
        );
        let u = SecretUrl::try_new("http://proxy.local/pushgateway").unwrap();
        assert_eq!(
            u.join_path("/metrics/job/skyfit").expose().as_str(),
            "http://proxy.local/pushgateway/metrics/job/skyfit"
        );
    }
}
