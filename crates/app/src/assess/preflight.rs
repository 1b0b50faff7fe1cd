//! `preflight`: an outgoing request screened as the requested state would screen it, with that state's law
//! pack and its published policy (or the rights-respecting default when it publishes none), and for each
//! finding what the requester can change.
//!
//! Screening is the one `app::intake::screen` (the request reader and `rules::screen`); the explanation of each
//! finding comes from the rule catalogue, and [`remedy`] maps every rule to what the requester can do about it.

use std::path::Path;

use domain::vocab::Effect;
use domain::{Decision, InputError};
use rules::{Context, Source};

/// Which policy the requested state was screened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    /// The requested state's published policy (the file given).
    Published {
        /// The file read.
        path: String,
    },
    /// No policy was given: the rights-respecting default, with its `state` set to the requested state.
    Default {
        /// The default policy file read.
        path: String,
        /// The state the default file names, replaced by the requested state.
        replaced: String,
    },
}

/// One finding with what the requester can change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The rule id.
    pub rule: String,
    /// The rule's title, from the catalogue.
    pub title: &'static str,
    /// What the finding does to the request.
    pub effect: Effect,
    /// The finding's message.
    pub message: String,
    /// When the rule fires, from the catalogue.
    pub explanation: &'static str,
    /// What the requester can change.
    pub change: &'static str,
}

/// A request screened as the requested state would.
#[derive(Debug, Clone, PartialEq)]
pub struct Preflight {
    /// The requested state.
    pub to: String,
    /// The policy used.
    pub policy: PolicySource,
    /// The decision screening would give.
    pub decision: Decision,
    /// Every finding, in rule-id order, with what the requester can change.
    pub changes: Vec<Change>,
}

/// Screens `bytes` (a request file named `file`) as state `to` would, with the law packs of `lawpacks` and
/// `policy` (the state's published policy), or, when `policy` is `None`, `default_policy` with its state set to
/// `to`.
///
/// # Errors
/// One [`InputError`] per problem with the request, the law packs or the policy.
pub fn preflight(
    file: &str,
    bytes: &[u8],
    to: &str,
    lawpacks: &Path,
    policy: Option<&Path>,
    default_policy: &Path,
) -> Result<Preflight, Vec<InputError>> {
    let (ctx, source) = match policy {
        Some(path) => {
            let ctx = crate::inputs::load_context(lawpacks, path)?;
            if ctx.policy().state != to {
                return Err(vec![InputError::new(
                    path.display().to_string(),
                    "state",
                    format!(
                        "the policy serves \"{}\", expected \"{to}\" (--to)",
                        ctx.policy().state
                    ),
                )]);
            }
            (ctx, PolicySource::Published { path: path.display().to_string() })
        }
        None => default_context(to, lawpacks, default_policy)?,
    };
    let (_, decision) = crate::intake::screen(file, bytes, &ctx)?;
    let changes = decision
        .findings
        .iter()
        .map(|finding| {
            let rule = rules::CATALOGUE.iter().find(|r| r.id == finding.rule);
            Change {
                rule: finding.rule.to_string(),
                title: rule.map_or("", |r| r.title),
                effect: finding.effect,
                message: finding.message.clone(),
                explanation: rule.map_or("", |r| r.explanation),
                change: remedy(&finding.rule)
                    .unwrap_or("ask the requested state's central authority"),
            }
        })
        .collect();
    Ok(Preflight { to: to.to_owned(), policy: source, decision, changes })
}

/// The default policy with its `state` line set to `to`: the bytes screened are exactly the bytes digested.
fn default_context(
    to: &str,
    lawpacks: &Path,
    default_policy: &Path,
) -> Result<(Context, PolicySource), Vec<InputError>> {
    let name = default_policy.display().to_string();
    let bytes = std::fs::read(default_policy)
        .map_err(|e| vec![InputError::new(&name, "", format!("cannot read the policy: {e}"))])?;
    let text = String::from_utf8(bytes)
        .map_err(|_| vec![InputError::new(&name, "", "not UTF-8 text, expected a TOML file")])?;
    let policy = domain::Policy::parse(&name, &text)?;
    let replaced = policy.state;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let at = domain::error::locate(&text, "state");
    let index = at
        .strip_prefix("line ")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(1));
    match index.and_then(|i| lines.get_mut(i)) {
        Some(line) => *line = format!("state = \"{to}\""),
        None => {
            return Err(vec![InputError::new(&name, "state", "cannot find the state line to set")])
        }
    }
    let mut policy_text = lines.join("\n");
    policy_text.push('\n');
    let packs = crate::inputs::read_lawpack_dir(lawpacks)?;
    let sources: Vec<Source<'_>> =
        packs.iter().map(|(n, b)| Source { name: n, bytes: b }).collect();
    let ctx = rules::from_sources(Source { name: &name, bytes: policy_text.as_bytes() }, &sources)?;
    Ok((ctx, PolicySource::Default { path: name, replaced }))
}

/// What a requester can change about a finding of `rule`; `None` for an id the catalogue does not hold.
pub fn remedy(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "authenticity" => "send the request through the central authority or another channel the requested state can authenticate (signed, or confirmed by call-back)",
        "child-peer-conduct" => "nothing: the requested state does not assist with consensual conduct between children of similar age",
        "data-protection" => "give the assurance that the data will be used only for the stated proceedings (assurances.use_limited_to_proceedings), and expect conditions on use, onward transfer and retention",
        "death-penalty" => "give the assurance that the death penalty will not be sought or carried out (assurances.no_death_penalty)",
        "dual-criminality" => "state the conduct so that it matches an offence of the requested state, or cite the offence of your law whose conduct is also criminal there; otherwise expect a refusal",
        "emergency" => "state the threat (life or serious physical harm) and explain why the harm is imminent, or send the request as urgent or routine",
        "judicial-authorization" => "add an authorization by an independent judge or court (authorization.kind = judicial, authorization.independent = true)",
        "legal-basis" => "use a legal basis both states are party to, and do not ask for a measure the requested state has reserved",
        "ne-bis-in-idem" => "nothing: the person was finally judged in the requested state for the same conduct",
        "offence-known" => "cite each offence by its id in your state's law pack, as your law defines it",
        "persecution-risk" => "expect review by a person; state in the facts why the conduct is an ordinary crime, not the person's work, activity, identity or opinions",
        "proportionality-data" => "ask only for the data categories the offence's gravity supports, or cite the graver offence if there is one",
        "proportionality-period" => "narrow the window to the limit, or explain in the facts why a longer window is needed (it will otherwise be narrowed as stated)",
        "proportionality-targets" => "name fewer identifiers, each tied to the facts, or send separate, justified requests",
        "protected-activity" => "nothing: the requested state refuses assistance for conduct that is a protected activity",
        "request-form" => "complete the request: facts of at least 40 characters, the period from..to in order, and the categories and identifiers sought",
        "rights-climate" => "expect review by a person; give the assurances and the detail that show the request concerns an ordinary crime",
        "serious-crime" => "cite an offence that is a serious crime (at least the requested state's threshold) or a Convention offence; otherwise expect a refusal",
        _ => return None,
    })
}
