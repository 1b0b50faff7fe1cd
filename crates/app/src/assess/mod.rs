//! `assess` and `preflight` as use cases: reading a state's inputs from disk, gathering what its ledger shows
//! in practice, and rendering the `rightsgate/assessment/v1` document as JSON, Markdown and HTML.
//!
//! The assessment itself is the pure `rules::assess`; this module does the IO around it, so the CLI and the
//! desk produce the same document from the same inputs.

use std::path::Path;

use domain::framework::Framework;
use domain::stats::{Period, NO_GROUND};
use domain::{Day, InputError, LawPack, Policy};
use rules::assess::{Assessment, Cosigned, Facts, Inputs, PracticeEvidence};
use store::{Store, StoreError};

mod preflight;
mod render;

pub use preflight::{preflight, remedy, Change, PolicySource, Preflight};
pub use render::{catalogue_markdown, html, json, markdown};

/// Where frameworks are looked for when `--framework` is not given: `frameworks/<STATE>.toml`.
pub const DEFAULT_FRAMEWORKS: &str = "frameworks";

/// A state's inputs, read and checked, with the digests of their exact bytes.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The state's law pack.
    pub pack: LawPack,
    /// The policy its gate applies.
    pub policy: Policy,
    /// Its declared framework, when one was read.
    pub framework: Option<Framework>,
    /// Digests of the bytes read.
    pub inputs: Inputs,
}

impl Loaded {
    /// The assessment of these inputs, with what a store showed when one was read.
    pub fn assess(&self, practice: Option<&PracticeEvidence>) -> Assessment {
        let facts = Facts {
            pack: &self.pack,
            policy: &self.policy,
            framework: self.framework.as_ref(),
            practice,
        };
        rules::assess::assess(&facts, self.inputs.clone())
    }
}

fn read(path: &Path) -> Result<(String, Vec<u8>), InputError> {
    let name = path.display().to_string();
    std::fs::read(path)
        .map(|bytes| (name.clone(), bytes))
        .map_err(|e| InputError::new(&name, "", format!("cannot read: {e}")))
}

fn text<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    std::str::from_utf8(bytes).map_err(|e| {
        InputError::new(
            name,
            "",
            format!("not UTF-8 text at byte {}, expected a TOML file", e.valid_up_to()),
        )
    })
}

/// Reads the law pack of `state` from a law-pack directory (every file must be valid, as for screening), the
/// policy (which must serve `state`) and, when given, the framework (which must be `state`'s). Every problem of
/// every file is reported.
///
/// # Errors
/// One [`InputError`] per problem, naming the file, line or field and what was expected.
pub fn load(
    state: &str,
    lawpacks: &Path,
    policy: &Path,
    framework: Option<&Path>,
) -> Result<Loaded, Vec<InputError>> {
    let mut problems = Vec::new();
    let mut found: Option<(LawPack, String)> = None;
    match crate::inputs::read_lawpack_dir(lawpacks) {
        Ok(files) => {
            for (name, bytes) in files {
                let parsed =
                    text(&name, &bytes).map_err(|e| vec![e]).and_then(|t| LawPack::parse(&name, t));
                match parsed {
                    Ok(pack) if pack.code == state => {
                        found = Some((pack, rules::sha256_hex(&bytes)));
                    }
                    Ok(_) => {}
                    Err(mut e) => problems.append(&mut e),
                }
            }
        }
        Err(mut e) => problems.append(&mut e),
    }
    if found.is_none() && problems.is_empty() {
        problems.push(InputError::new(
            lawpacks.display().to_string(),
            "",
            format!("no law pack for state \"{state}\", expected a file with code = \"{state}\""),
        ));
    }
    let policy = read_policy(policy, Some(state)).map_err(|mut e| problems.append(&mut e)).ok();
    let framework = match framework {
        None => None,
        Some(path) => match read_framework(path, state) {
            Ok(f) => Some(f),
            Err(mut e) => {
                problems.append(&mut e);
                None
            }
        },
    };
    match (found, policy) {
        (Some((pack, lawpack_sha256)), Some((policy, policy_sha256))) if problems.is_empty() => {
            let (framework, framework_sha256) = match framework {
                Some((f, digest)) => (Some(f), Some(digest)),
                None => (None, None),
            };
            Ok(Loaded {
                pack,
                policy,
                framework,
                inputs: Inputs { lawpack_sha256, policy_sha256, framework_sha256 },
            })
        }
        _ => Err(problems),
    }
}

/// Reads a policy and its digest; when `state` is given, the policy must serve it.
///
/// # Errors
/// One [`InputError`] per problem.
pub fn read_policy(path: &Path, state: Option<&str>) -> Result<(Policy, String), Vec<InputError>> {
    let (name, bytes) = read(path).map_err(|e| vec![e])?;
    let text = text(&name, &bytes).map_err(|e| vec![e])?;
    let policy = Policy::parse(&name, text)?;
    if let Some(state) = state.filter(|s| *s != policy.state) {
        return Err(vec![InputError::new(
            &name,
            field_at(text, "state"),
            format!(
                "the policy serves \"{}\", expected \"{state}\" (the state assessed)",
                policy.state
            ),
        )]);
    }
    Ok((policy, rules::sha256_hex(&bytes)))
}

fn read_framework(path: &Path, state: &str) -> Result<(Framework, String), Vec<InputError>> {
    let (name, bytes) = read(path).map_err(|e| vec![e])?;
    let text = text(&name, &bytes).map_err(|e| vec![e])?;
    let framework = Framework::parse(&name, text)?;
    if framework.state != state {
        return Err(vec![InputError::new(
            &name,
            field_at(text, "state"),
            format!(
                "the framework is \"{}\"'s, expected \"{state}\" (the state assessed)",
                framework.state
            ),
        )]);
    }
    Ok((framework, rules::sha256_hex(&bytes)))
}

/// `line N: field`, or `field` when the line is not found.
fn field_at(text: &str, field: &str) -> String {
    let at = domain::error::locate(text, field);
    if at.is_empty() {
        field.to_owned()
    } else {
        format!("{at}: {field}")
    }
}

/// Why the practice evidence could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    /// The statistics could not be computed from the ledger.
    #[error("computing the statistics from the ledger: {0}")]
    Compute(#[from] crate::report::ComputeError),
    /// A store query failed.
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
}

/// What the store's ledger shows in practice: requests received, decided and refused (every request received
/// up to `today`), refusals by ground, departures, and the latest co-signed checkpoint with its witnesses.
///
/// # Errors
/// [`PracticeError`] when the ledger cannot be read or does not hash to its stored root.
pub async fn practice(store: &Store, today: Day) -> Result<PracticeEvidence, PracticeError> {
    let first = Day::from_ymd(2000, 1, 1).filter(|d| *d <= today).unwrap_or(today);
    let period = Period::new(first, today).unwrap_or_else(|_| Period::half_year(today));
    let (report, root) = crate::report::current(store, period).await?;
    let mut evidence = PracticeEvidence { tree_size: root.size(), ..PracticeEvidence::default() };
    if let Some(totals) = report.table("totals") {
        let row = totals.counts.first().cloned().unwrap_or_default();
        let at = |column: &str| {
            totals.columns.iter().position(|c| c == column).and_then(|i| row.get(i)).copied()
        };
        evidence.received = row.iter().sum();
        evidence.refused = at("refused").unwrap_or(0);
        evidence.decided =
            at("approved").unwrap_or(0) + at("approved_in_part").unwrap_or(0) + evidence.refused;
    }
    if let Some(departures) = report.table("departure") {
        evidence.departures = departures
            .rows
            .iter()
            .zip(&departures.counts)
            .filter(|(row, _)| row.as_str() != "none")
            .map(|(_, counts)| counts.iter().sum::<u64>())
            .sum();
    }
    if let Some(grounds) = report.table("refusal_ground") {
        for (row, counts) in grounds.rows.iter().zip(&grounds.counts) {
            let n = counts.first().copied().unwrap_or(0);
            if row == NO_GROUND {
                evidence.refused_without_ground = n;
            } else if n > 0 {
                evidence.refusals_by_ground.insert(row.clone(), n);
            }
        }
    }
    evidence.cosigned = store.latest_cosigned_checkpoint().await?.map(|(size, note)| {
        let witnesses = ledger::open_note(&note)
            .map(|(text, sigs)| {
                let origin = text.lines().next().unwrap_or_default();
                sigs.into_iter().map(|s| s.name).filter(|n| n != origin).collect()
            })
            .unwrap_or_default();
        Cosigned { size, witnesses }
    });
    Ok(evidence)
}

/// The framework file of `state` in the default directory, when it exists.
pub fn default_framework(state: &str) -> Option<std::path::PathBuf> {
    let path = Path::new(DEFAULT_FRAMEWORKS).join(format!("{state}.toml"));
    path.is_file().then_some(path)
}

#[cfg(test)]
mod tests;
