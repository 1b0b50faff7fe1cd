//! The compiled screening context: a policy and its law packs, with everything that does not depend on the
//! request computed once per run (per-offence facts, ICCS matches against the requested state, the
//! Aho-Corasick automaton of screening terms).

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use domain::lawpack::{Gravity, Offence};
use domain::vocab::{Activity, InternetFreedom, Measure, Profile};
use domain::{InputError, LawPack, Policy};

/// A policy with its law packs, compiled for screening.
#[derive(Debug)]
pub struct Context {
    pub(crate) policy: Policy,
    pub(crate) packs: BTreeMap<String, Pack>,
    pub(crate) terms: AhoCorasick,
    /// The same patterns folding ASCII case, for ASCII facts; `None` when some term is not ASCII.
    pub(crate) terms_ascii: Option<AhoCorasick>,
    // INVARIANT: `term_names[i]` is the policy term whose lower-cased form is pattern i of `terms`.
    pub(crate) term_names: Vec<String>,
    pub(crate) term_starts: TermStarts,
    pub(crate) policy_sha256: String,
    pub(crate) lawpacks_sha256: String,
}

/// One law pack with its offences' request-independent facts.
#[derive(Debug)]
pub(crate) struct Pack {
    pub(crate) pack: LawPack,
    pub(crate) by_id: BTreeMap<String, usize>,
    // INVARIANT: `facts[i]` describes `pack.offences[i]`.
    pub(crate) facts: Vec<OffenceFacts>,
}

/// What the rules need to know about one offence, given the policy and the requested state.
#[derive(Debug, Clone)]
pub(crate) struct OffenceFacts {
    pub(crate) gravity: Gravity,
    /// protected(o): the policy tags it carries, and its codes under `protected_iccs`.
    pub(crate) protected_tags: Vec<Activity>,
    pub(crate) protected_codes: Vec<String>,
    /// in_scope(o).
    pub(crate) in_scope: bool,
    /// dual(o): the first offence of the requested state with a compatible code, if any.
    pub(crate) dual_with: Option<String>,
    /// Codes under a `review_iccs` prefix.
    pub(crate) review_codes: Vec<String>,
}

impl OffenceFacts {
    pub(crate) fn protected(&self) -> bool {
        !self.protected_tags.is_empty() || !self.protected_codes.is_empty()
    }
}

/// Why a policy and law packs cannot be used together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    /// Two law packs have the same code.
    #[error("two law packs have the code `{0}`, expected one file per jurisdiction")]
    DuplicatePack(String),
    /// The policy's state has no law pack.
    #[error("state: no law pack for the policy's state `{0}`, expected a law pack with that code")]
    MissingRequestedState(String),
    /// The screening terms cannot be compiled.
    #[error("screening_terms: cannot be compiled: {0}")]
    Terms(String),
}

/// Compiles a policy and its law packs. The digests are those of the exact bytes read.
pub fn prepare(
    policy: Policy,
    lawpacks: Vec<LawPack>,
    policy_sha256: String,
    lawpacks_sha256: String,
) -> Result<Context, PrepareError> {
    let mut raw = BTreeMap::new();
    for pack in lawpacks {
        if raw.contains_key(&pack.code) {
            return Err(PrepareError::DuplicatePack(pack.code));
        }
        raw.insert(pack.code.clone(), pack);
    }
    let q_codes: Vec<(String, String)> = match raw.get(&policy.state) {
        Some(q) => q
            .offences
            .iter()
            .flat_map(|o| o.iccs.iter().map(|c| (c.clone(), o.id.clone())))
            .collect(),
        None => return Err(PrepareError::MissingRequestedState(policy.state.clone())),
    };
    let packs = raw
        .into_iter()
        .map(|(code, pack)| {
            let by_id = pack.offences.iter().enumerate().map(|(i, o)| (o.id.clone(), i)).collect();
            let facts = pack.offences.iter().map(|o| offence_facts(o, &policy, &q_codes)).collect();
            (code, Pack { pack, by_id, facts })
        })
        .collect();
    let mut term_names = Vec::new();
    let mut patterns = Vec::new();
    for term in &policy.screening_terms {
        let lower = term.trim().to_lowercase();
        if !lower.is_empty() && !patterns.contains(&lower) {
            patterns.push(lower);
            term_names.push(term.trim().to_owned());
        }
    }
    let build = |ascii_fold: bool| {
        AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .start_kind(aho_corasick::StartKind::Anchored)
            .ascii_case_insensitive(ascii_fold)
            .build(&patterns)
            .map_err(|e| PrepareError::Terms(e.to_string()))
    };
    let terms = build(false)?;
    let terms_ascii = if patterns.iter().all(|p| p.is_ascii()) { Some(build(true)?) } else { None };
    let term_starts = TermStarts::new(&patterns);
    Ok(Context {
        policy,
        packs,
        terms,
        terms_ascii,
        term_names,
        term_starts,
        policy_sha256,
        lawpacks_sha256,
    })
}

fn offence_facts(o: &Offence, policy: &Policy, q_codes: &[(String, String)]) -> OffenceFacts {
    let gravity = o.gravity();
    let protected_tags =
        o.protected.iter().copied().filter(|t| policy.protected_activities.contains(t)).collect();
    let protected_codes = o
        .iccs
        .iter()
        .filter(|c| policy.protected_iccs.iter().any(|p| c.starts_with(p.as_str())))
        .cloned()
        .collect();
    let in_scope = o.is_convention_offence() || gravity.at_least(policy.serious_crime_min_years);
    let dual_with = q_codes
        .iter()
        .find(|(qc, _)| o.iccs.iter().any(|c| compatible(c, qc)))
        .map(|(qc, id)| format!("{id} ({qc})"));
    let review_codes = o
        .iccs
        .iter()
        .filter(|c| policy.review_iccs.iter().any(|p| c.starts_with(p.as_str())))
        .cloned()
        .collect();
    OffenceFacts { gravity, protected_tags, protected_codes, in_scope, dual_with, review_codes }
}

/// The first two bytes (ASCII case folded) of every screening term, as a 65,536-bit set: a quick test that
/// rules out the positions where no term can start.
#[derive(Clone)]
pub(crate) struct TermStarts {
    bits: Vec<u64>,
    // INVARIANT: true when some term is shorter than two bytes, so that every position is a candidate.
    short: bool,
}

impl std::fmt::Debug for TermStarts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TermStarts").field("short", &self.short).finish_non_exhaustive()
    }
}

impl TermStarts {
    fn new(patterns: &[String]) -> Self {
        let mut bits = vec![0u64; 1024];
        let mut short = false;
        for p in patterns {
            match p.as_bytes() {
                [a, b, ..] => {
                    let k = key(*a, *b);
                    if let Some(word) = bits.get_mut(k / 64) {
                        *word |= 1 << (k % 64);
                    }
                }
                _ => short = true,
            }
        }
        TermStarts { bits, short }
    }

    /// Whether some term may start at byte `i` of `text`.
    pub(crate) fn may_start_at(&self, text: &[u8], i: usize) -> bool {
        if self.short {
            return true;
        }
        match (text.get(i), text.get(i + 1)) {
            (Some(&a), Some(&b)) => {
                let k = key(a, b);
                self.bits.get(k / 64).is_some_and(|word| word & (1 << (k % 64)) != 0)
            }
            _ => false,
        }
    }
}

fn key(a: u8, b: u8) -> usize {
    (usize::from(a.to_ascii_lowercase()) << 8) | usize::from(b.to_ascii_lowercase())
}

/// compatible(c, d) of rules.md: one code is a prefix of the other and the shorter has at least 4 digits.
pub fn compatible(c: &str, d: &str) -> bool {
    let (short, long) = if c.len() <= d.len() { (c, d) } else { (d, c) };
    short.len() >= 4 && long.starts_with(short)
}

/// A named input file and its exact bytes.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The file name used in errors (and, for law packs, the sort key of the digest).
    pub name: &'a str,
    /// The exact bytes read.
    pub bytes: &'a [u8],
}

/// Reads a policy and a directory's law packs from bytes the caller has read, and compiles them.
///
/// `lawpacks` must be every `*.toml` file of the directory; they are digested in file-name order. Every problem
/// of every file is reported.
pub fn from_sources(
    policy: Source<'_>,
    lawpacks: &[Source<'_>],
) -> Result<Context, Vec<InputError>> {
    use sha2::{Digest, Sha256};
    let mut problems = Vec::new();
    let mut sorted: Vec<&Source<'_>> = lawpacks.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(b.name));
    let mut digest = Sha256::new();
    let mut packs = Vec::new();
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    for source in &sorted {
        digest.update(source.bytes);
        let text = match std::str::from_utf8(source.bytes) {
            Ok(text) => text,
            Err(e) => {
                problems.push(InputError::new(
                    source.name,
                    "",
                    format!("not UTF-8 text at byte {}, expected a TOML file", e.valid_up_to()),
                ));
                continue;
            }
        };
        match LawPack::parse(source.name, text) {
            Ok(pack) => {
                if let Some(first) = names.insert(pack.code.clone(), source.name) {
                    problems.push(InputError::new(
                        source.name,
                        "code",
                        format!("law pack code \"{}\" is also used by {first}, expected one file per jurisdiction", pack.code),
                    ));
                }
                packs.push(pack);
            }
            Err(mut errors) => problems.append(&mut errors),
        }
    }
    let lawpacks_sha256 = hex::encode(digest.finalize());
    let policy_text = std::str::from_utf8(policy.bytes).map_err(|e| {
        vec![InputError::new(
            policy.name,
            "",
            format!("not UTF-8 text at byte {}, expected a TOML file", e.valid_up_to()),
        )]
    });
    let parsed = policy_text.and_then(|text| Policy::parse(policy.name, text));
    let policy_value = match parsed {
        Ok(p) => Some(p),
        Err(mut errors) => {
            problems.append(&mut errors);
            None
        }
    };
    let Some(policy_value) = policy_value else { return Err(problems) };
    if !problems.is_empty() {
        return Err(problems);
    }
    let policy_name = policy.name;
    prepare(policy_value, packs, crate::sha256_hex(policy.bytes), lawpacks_sha256)
        .map_err(|e| vec![InputError::new(policy_name, "", e.to_string())])
}

impl Context {
    /// The policy screening applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The law pack for a state.
    pub fn lawpack(&self, code: &str) -> Option<&LawPack> {
        self.packs.get(code).map(|p| &p.pack)
    }

    /// Every law pack, by code.
    pub fn lawpacks(&self) -> impl Iterator<Item = &LawPack> {
        self.packs.values().map(|p| &p.pack)
    }

    /// The ICCS sections (two digits) of a request's offences that resolve in its requesting state's law
    /// pack, sorted, without repeats: the offence classification the ledger and statistics record.
    pub fn offence_sections(&self, request: &domain::Request) -> Vec<String> {
        let mut sections: Vec<String> = self
            .lawpack(&request.requesting.state)
            .into_iter()
            .flat_map(|pack| {
                request
                    .offences
                    .iter()
                    .filter_map(|o| pack.offence(&o.reference))
                    .flat_map(|o| o.iccs.iter())
            })
            .filter_map(|code| code.get(..2).map(str::to_owned))
            .collect();
        sections.sort();
        sections.dedup();
        sections
    }

    pub(crate) fn measure_requires_dual(&self, measure: Measure) -> bool {
        self.policy.dual_criminality_measures.contains(&measure)
    }

    pub(crate) fn reviews_profile(&self, profile: Profile) -> bool {
        self.policy.review_profiles.contains(&profile)
    }

    pub(crate) fn reviews_climate(&self, rating: InternetFreedom) -> bool {
        self.policy.review_internet_freedom.contains(&rating)
    }
}

#[cfg(test)]
mod tests {
    use super::compatible;

    #[test]
    fn compatible_needs_division_level() {
        assert!(compatible("0701", "0701"));
        assert!(compatible("0701", "070112"));
        assert!(compatible("070112", "0701"));
        assert!(!compatible("07", "07"));
        assert!(!compatible("07", "0701"));
        assert!(!compatible("0701", "0702"));
        assert!(!compatible("09031", "09033"));
    }
}
