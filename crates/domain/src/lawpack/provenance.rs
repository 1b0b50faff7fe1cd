//! Where each fact of a law pack was verified, when, and how authoritative that source is.
//!
//! A `sources` entry is either a plain URL (a supporting source without provenance, as fixture packs and older
//! packs write it) or a table `{ url, tier, verified_on }`; `[rights]` tables also name the `facts` they support.
//! A fact is *verified* when at least one of its sources is a table; its tier is the best tier among those tables
//! and its date the latest `verified_on`. Screening never reads provenance: it is for `rightsgate lawpack check`
//! and the people who review packs.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::vocab::{RightsFact, Tier};
use crate::Day;

/// A source with its provenance: where a fact was verified, how authoritative that is and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verified {
    /// The page the fact was read on.
    pub url: String,
    /// How authoritative the page is.
    pub tier: Tier,
    /// When a person read the fact there.
    pub verified_on: Day,
    /// For `[rights]` sources only: the rights facts this source supports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<RightsFact>,
}

/// One entry of a `sources` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A plain URL: a supporting source without provenance.
    Url(String),
    /// A source with provenance.
    Verified(Verified),
}

impl Source {
    /// The source's URL.
    pub fn url(&self) -> &str {
        match self {
            Source::Url(url) => url,
            Source::Verified(v) => &v.url,
        }
    }

    /// Its provenance, if it has one.
    pub fn verified(&self) -> Option<&Verified> {
        match self {
            Source::Url(_) => None,
            Source::Verified(v) => Some(v),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Source::Url(url) => serializer.serialize_str(url),
            Source::Verified(v) => v.serialize(serializer),
        }
    }
}

// Written by hand rather than `#[serde(untagged)]`, so that a mistake inside a table (an unknown tier, a
// misspelt `verified_on`) is reported with serde's precise message instead of "did not match any variant".
impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourceVisitor;
        impl<'de> Visitor<'de> for SourceVisitor {
            type Value = Source;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a URL or a table { url, tier, verified_on }")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Source, E> {
                Ok(Source::Url(value.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Source, A::Error> {
                Verified::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Source::Verified)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Source, A::Error> {
                Err(de::Error::custom(
                    "expected a URL or a table { url, tier, verified_on }, found a list",
                ))
            }
        }
        deserializer.deserialize_any(SourceVisitor)
    }
}

/// Why a URL is not acceptable as a source, or `None` when it is an absolute http(s) URL with a host name.
pub fn url_problem(url: &str) -> Option<String> {
    if url.trim() != url || url.contains(char::is_whitespace) {
        return Some(format!("\"{url}\" contains white space, expected a URL"));
    }
    let parsed = match url::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(e) => return Some(format!("\"{url}\" is not a URL ({e})")),
    };
    if !matches!(parsed.scheme(), "https" | "http") {
        return Some(format!(
            "\"{url}\" has scheme \"{}\", expected https or http",
            parsed.scheme()
        ));
    }
    match parsed.host_str() {
        Some(host) if host.contains('.') && !host.starts_with('.') && !host.ends_with('.') => None,
        _ => Some(format!(
            "\"{url}\" has no host name, expected a URL such as https://example.org/page"
        )),
    }
}

/// The provenance of one fact: the best tier among its verified sources and the latest date one was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    /// The best tier among the verified sources.
    pub tier: Tier,
    /// The latest `verified_on` among them.
    pub verified_on: Day,
}

/// Combines the verified sources supporting a fact (`None` when there is none).
pub fn provenance<'a>(sources: impl IntoIterator<Item = &'a Verified>) -> Option<Provenance> {
    sources.into_iter().fold(None, |acc: Option<Provenance>, v| {
        Some(match acc {
            None => Provenance { tier: v.tier, verified_on: v.verified_on },
            Some(p) => Provenance {
                tier: p.tier.min(v.tier),
                verified_on: p.verified_on.max(v.verified_on),
            },
        })
    })
}

/// `URL`, or `URL (tier, verified YYYY-MM-DD[, for facts])` for a source with provenance.
impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Url(url) => f.write_str(url),
            Source::Verified(v) if v.facts.is_empty() => {
                write!(f, "{} ({}, verified {})", v.url, v.tier, v.verified_on)
            }
            Source::Verified(v) => {
                let facts: Vec<&str> = v.facts.iter().map(|fact| fact.as_str()).collect();
                write!(
                    f,
                    "{} ({}, verified {}, for {})",
                    v.url,
                    v.tier,
                    v.verified_on,
                    facts.join(", ")
                )
            }
        }
    }
}
