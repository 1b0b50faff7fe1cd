//! The law-pack format (`rightsgate/lawpack/v1`, TOML): sourced facts about one jurisdiction that screening needs.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{locate, read_toml, InputError};
use crate::iccs;
use crate::vocab::{Activity, DeathPenalty, InternetFreedom, TreatyStatus};
use crate::Day;

pub mod provenance;

pub use provenance::{Provenance, RightsFact, Source, Tier, Verified};

/// The schema string of version 1 law packs.
pub const SCHEMA: &str = "rightsgate/lawpack/v1";

/// One jurisdiction's law pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LawPack {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// ISO 3166-1 alpha-2 code (or `XA`..`XZ` for test jurisdictions).
    pub code: String,
    /// The jurisdiction's name.
    pub name: String,
    /// When the facts were last checked.
    pub as_of: Day,
    /// Treaty status; an absent instrument means `none`.
    #[serde(default)]
    pub treaties: Treaties,
    /// Rights facts.
    pub rights: Rights,
    /// The offences requests may cite.
    #[serde(default)]
    pub offences: Vec<Offence>,
}

/// Treaty relations of one state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Treaties {
    /// UN Convention against Cybercrime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncc: Option<Treaty>,
    /// Council of Europe Convention on Cybercrime (Budapest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budapest: Option<Treaty>,
}

impl Treaties {
    /// UNCC status, `none` when absent.
    pub fn uncc_status(&self) -> TreatyStatus {
        self.uncc.as_ref().map_or(TreatyStatus::None, |t| t.status)
    }

    /// Budapest status, `none` when absent.
    pub fn budapest_status(&self) -> TreatyStatus {
        self.budapest.as_ref().map_or(TreatyStatus::None, |t| t.status)
    }

    /// UNCC reservations: article numbers whose measure this state will not execute.
    pub fn uncc_reservations(&self) -> &[String] {
        self.uncc.as_ref().map_or(&[], |t| t.reservations.as_slice())
    }
}

/// A state's relation to one treaty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Treaty {
    /// none, signed or party.
    pub status: TreatyStatus,
    /// Article numbers (as strings) whose measure this state will not execute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<String>,
    /// Where the status was verified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
}

/// Rights facts about a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rights {
    /// Death-penalty status.
    pub death_penalty: DeathPenalty,
    /// Party to modernised Convention 108.
    pub convention_108_plus: bool,
    /// Has an independent data-protection authority.
    pub independent_dpa: bool,
    /// Internet-freedom rating.
    pub internet_freedom: InternetFreedom,
    /// Where these facts come from; verified entries name the facts they support.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
}

/// One offence of the jurisdiction's law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offence {
    /// Unique within the pack; what requests cite as `ref`.
    pub id: String,
    /// Where the offence is in the law.
    pub citation: String,
    /// What it is called.
    pub title: String,
    /// Maximum fixed term of imprisonment in years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_years: Option<f64>,
    /// Life imprisonment available.
    #[serde(default)]
    pub life: bool,
    /// Death penalty available.
    #[serde(default)]
    pub death_penalty: bool,
    /// ICCS codes of the conduct.
    pub iccs: Vec<String>,
    /// The UNCC criminalization article (7 to 17) it implements; 0 = none.
    #[serde(default)]
    pub uncc_article: u8,
    /// Protected activities this offence criminalizes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protected: Vec<Activity>,
    /// Where the facts come from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
}

/// How grave an offence is: its maximum term, or unbounded when life or death is available.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub enum Gravity {
    /// A maximum fixed term, in years.
    Years(f64),
    /// Life imprisonment or the death penalty.
    Unbounded,
}

impl Gravity {
    /// Whether this gravity reaches `years`.
    pub fn at_least(self, years: f64) -> bool {
        match self {
            Gravity::Years(y) => y >= years,
            Gravity::Unbounded => true,
        }
    }
}

impl std::fmt::Display for Gravity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gravity::Years(y) => write!(f, "{y} years"),
            Gravity::Unbounded => f.write_str("life or death"),
        }
    }
}

impl Offence {
    /// gravity(o) of rules.md.
    pub fn gravity(&self) -> Gravity {
        if self.life || self.death_penalty {
            Gravity::Unbounded
        } else {
            Gravity::Years(self.max_years.unwrap_or(0.0))
        }
    }

    /// Whether it implements a UNCC criminalization article (7 to 17).
    pub fn is_convention_offence(&self) -> bool {
        (7..=17).contains(&self.uncc_article)
    }
}

/// One fact of a law pack and where it was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// `treaties.uncc`, `rights.death_penalty`, `offence CC275`.
    pub name: String,
    /// Where it is in the file (`line N: treaties.uncc`, `line N: offence ID`).
    pub location: String,
    /// False for a treaty the file leaves out (its status is then `none` by default).
    pub present: bool,
    /// The best verified source, or `None` when no source records provenance.
    pub provenance: Option<Provenance>,
}

/// A warning about a law pack that does not make it invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub InputError);

impl LawPack {
    /// Reads and validates a law pack. Every problem is reported, each with file, line and offence id.
    pub fn parse(file: &str, text: &str) -> Result<LawPack, Vec<InputError>> {
        let pack: LawPack = read_toml(file, text).map_err(|e| vec![e])?;
        let problems = pack.check(file, text);
        if problems.is_empty() {
            Ok(pack)
        } else {
            Err(problems)
        }
    }

    /// The checks of formats.md §2 that serde cannot express.
    pub fn check(&self, file: &str, text: &str) -> Vec<InputError> {
        let table = iccs::Table::embedded();
        let mut problems = Vec::new();
        if self.schema != SCHEMA {
            problems.push(InputError::new(
                file,
                locate(text, "schema"),
                format!("unknown schema \"{}\", expected \"{SCHEMA}\"", self.schema),
            ));
        }
        if !crate::request::is_country(&self.code) {
            problems.push(InputError::new(
                file,
                locate(text, "code"),
                format!(
                    "invalid country code \"{}\", expected ISO 3166-1 alpha-2 in upper case",
                    self.code
                ),
            ));
        }
        for (name, treaty) in [("uncc", &self.treaties.uncc), ("budapest", &self.treaties.budapest)]
        {
            for article in treaty.iter().flat_map(|t| &t.reservations) {
                if article.is_empty() || !article.bytes().all(|b| b.is_ascii_digit()) {
                    problems.push(InputError::new(
                        file,
                        locate(text, name),
                        format!("treaties.{name}.reservations: invalid article \"{article}\", expected an article number such as \"46\""),
                    ));
                }
            }
        }
        self.check_sources(file, text, &mut problems);
        let mut seen = BTreeSet::new();
        for offence in &self.offences {
            let at = offence_location(text, &offence.id);
            let mut problem =
                |message: String| problems.push(InputError::new(file, at.clone(), message));
            if offence.id.trim().is_empty() {
                problem("id: empty, expected a non-empty offence id".to_owned());
            }
            if !seen.insert(offence.id.as_str()) {
                problem(format!(
                    "id: duplicate offence id \"{}\", expected ids unique within the file",
                    offence.id
                ));
            }
            match offence.max_years {
                None if !(offence.life || offence.death_penalty) => {
                    problem("max_years: missing, expected a number of years unless life or death_penalty is true".to_owned())
                }
                Some(y) if !y.is_finite() || y < 0.0 => {
                    problem(format!("max_years: {y} is not allowed, expected a number of years of at least 0"))
                }
                _ => {}
            }
            if offence.iccs.is_empty() {
                problem("iccs: empty, expected at least one ICCS code".to_owned());
            }
            for (i, code) in offence.iccs.iter().enumerate() {
                if !table.contains(code) {
                    problem(format!(
                        "iccs[{i}]: unknown ICCS code \"{code}\", expected a code of data/iccs.tsv"
                    ));
                }
            }
            if offence.uncc_article != 0 && !offence.is_convention_offence() {
                problem(format!(
                    "uncc_article: {} is out of range, expected 7 to 17 (or 0 for none)",
                    offence.uncc_article
                ));
            }
        }
        problems
    }

    /// Every source URL must be an absolute http(s) URL; only `[rights]` sources name `facts`, and each verified
    /// one must name at least one.
    fn check_sources(&self, file: &str, text: &str, problems: &mut Vec<InputError>) {
        let mut lists: Vec<(String, String, &[Source])> = Vec::new();
        for (name, treaty) in [("uncc", &self.treaties.uncc), ("budapest", &self.treaties.budapest)]
        {
            if let Some(treaty) = treaty {
                lists.push((
                    locate(text, name),
                    format!("treaties.{name}.sources"),
                    &treaty.sources,
                ));
            }
        }
        lists.push((locate(text, "rights"), "rights.sources".to_owned(), &self.rights.sources));
        for offence in &self.offences {
            lists.push((
                offence_location(text, &offence.id),
                "sources".to_owned(),
                &offence.sources,
            ));
        }
        for (at, field, sources) in lists {
            let rights = field == "rights.sources";
            for (i, source) in sources.iter().enumerate() {
                let mut problem = |message: String| {
                    problems.push(InputError::new(
                        file,
                        at.clone(),
                        format!("{field}[{i}]: {message}"),
                    ))
                };
                if let Some(why) = provenance::url_problem(source.url()) {
                    problem(why);
                }
                let Some(verified) = source.verified() else { continue };
                if !rights && !verified.facts.is_empty() {
                    problem(
                        "facts: only [rights] sources name facts, expected no facts here"
                            .to_owned(),
                    );
                }
                if rights && verified.facts.is_empty() {
                    problem(format!(
                        "facts: missing, expected the rights facts this source supports, from {}",
                        RightsFact::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
    }

    /// Every fact of the pack that a source should support, with its provenance: the two treaty statuses, the
    /// four rights facts and each offence.
    pub fn facts(&self, text: &str) -> Vec<Fact> {
        let mut facts = Vec::new();
        for (name, treaty) in [("uncc", &self.treaties.uncc), ("budapest", &self.treaties.budapest)]
        {
            facts.push(Fact {
                name: format!("treaties.{name}"),
                location: joined(&locate(text, name), &format!("treaties.{name}")),
                present: treaty.is_some(),
                provenance: treaty.as_ref().and_then(|t| {
                    provenance::provenance(t.sources.iter().filter_map(Source::verified))
                }),
            });
        }
        for fact in RightsFact::ALL {
            let supporting = self
                .rights
                .sources
                .iter()
                .filter_map(Source::verified)
                .filter(|v| v.facts.contains(fact));
            facts.push(Fact {
                name: format!("rights.{}", fact.as_str()),
                location: joined(
                    &locate(text, fact.as_str()),
                    &format!("rights.{}", fact.as_str()),
                ),
                present: true,
                provenance: provenance::provenance(supporting),
            });
        }
        for offence in &self.offences {
            facts.push(Fact {
                name: format!("offence {}", offence.id),
                location: offence_location(text, &offence.id),
                present: true,
                provenance: provenance::provenance(
                    offence.sources.iter().filter_map(Source::verified),
                ),
            });
        }
        facts
    }

    /// Non-fatal problems: offences and rights facts without sources.
    pub fn warnings(&self, file: &str, text: &str) -> Vec<Warning> {
        let mut warnings = Vec::new();
        if self.rights.sources.is_empty() {
            warnings.push(Warning(InputError::new(
                file,
                locate(text, "rights"),
                "rights: no sources, expected URLs for the rights facts",
            )));
        }
        for offence in &self.offences {
            if offence.sources.is_empty() {
                warnings.push(Warning(InputError::new(
                    file,
                    offence_location(text, &offence.id),
                    "sources: none, expected at least one source URL",
                )));
            }
        }
        warnings
    }

    /// The offence with this id.
    pub fn offence(&self, id: &str) -> Option<&Offence> {
        self.offences.iter().find(|o| o.id == id)
    }
}

/// Offences of different packs coded with the same ICCS conduct but given different UNCC articles or protected
/// tags; one per conduct, naming every differing tagging and the offences that carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagConflict {
    /// The ICCS codes, sorted.
    pub iccs: Vec<String>,
    /// Each distinct tagging (UNCC article, protected activities) with the `CODE:ID` offences that carry it.
    pub taggings: Vec<(u8, Vec<Activity>, Vec<String>)>,
}

/// Where packs tag one ICCS conduct (the same set of codes) differently. Differences within one pack are left
/// alone: a state may punish one conduct under two articles of different reach.
pub fn tag_conflicts<'a>(packs: impl IntoIterator<Item = &'a LawPack>) -> Vec<TagConflict> {
    use std::collections::BTreeMap;
    type Tagging = (u8, Vec<Activity>);
    let mut by_conduct: BTreeMap<Vec<String>, BTreeMap<Tagging, Vec<String>>> = BTreeMap::new();
    let mut packs_by_conduct: BTreeMap<Vec<String>, BTreeSet<&str>> = BTreeMap::new();
    for pack in packs {
        for offence in &pack.offences {
            let mut iccs = offence.iccs.clone();
            iccs.sort();
            iccs.dedup();
            let mut protected = offence.protected.clone();
            protected.sort();
            protected.dedup();
            packs_by_conduct.entry(iccs.clone()).or_default().insert(&pack.code);
            by_conduct
                .entry(iccs)
                .or_default()
                .entry((offence.uncc_article, protected))
                .or_default()
                .push(format!("{}:{}", pack.code, offence.id));
        }
    }
    by_conduct
        .into_iter()
        .filter(|(iccs, taggings)| {
            taggings.len() > 1 && packs_by_conduct.get(iccs).is_some_and(|p| p.len() > 1)
        })
        .map(|(iccs, taggings)| TagConflict {
            iccs,
            taggings: taggings
                .into_iter()
                .map(|((article, protected), ids)| (article, protected, ids))
                .collect(),
        })
        .collect()
}

/// `location: label`, or `label` where the location is unknown.
fn joined(location: &str, label: &str) -> String {
    if location.is_empty() {
        label.to_owned()
    } else {
        format!("{location}: {label}")
    }
}

/// `line N: offence ID`, where line N holds the offence's `id = "ID"`.
fn offence_location(text: &str, id: &str) -> String {
    let needle_dq = format!("\"{id}\"");
    let needle_sq = format!("'{id}'");
    let line = text.lines().position(|line| {
        let line = line.trim_start();
        line.starts_with("id") && (line.contains(&needle_dq) || line.contains(&needle_sq))
    });
    match line {
        Some(n) => format!("line {}: offence {id}", n + 1),
        None => format!("offence {id}"),
    }
}

#[cfg(test)]
mod tests;
