//! The decision format (`rightsgate/decision/v1`, JSON): what screening recommends for one request.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::vocab::{Category, Effect, Outcome};
use crate::Day;

/// The schema string of version 1 decisions.
pub const SCHEMA: &str = "rightsgate/decision/v1";

/// A screening recommendation. A person decides; the case workflow records both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The request's reference.
    pub reference: String,
    /// The recommendation.
    pub outcome: Outcome,
    /// Every rule that did not simply pass, ordered by rule id.
    pub findings: Vec<Finding>,
    /// The scope granted (or that would be granted once resolved).
    pub granted: Vec<Grant>,
    /// Transfer conditions, sorted.
    pub conditions: Vec<String>,
    /// Digests of the exact inputs.
    pub inputs: Inputs,
    /// The engine that screened, with its version.
    pub engine: String,
}

/// One rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The rule id.
    pub rule: Cow<'static, str>,
    /// What the finding does to the decision.
    pub effect: Effect,
    /// The legal texts the rule rests on.
    pub citations: Vec<Cow<'static, str>>,
    /// A message a reviewing lawyer can read without the code.
    pub message: String,
    /// The request facts relied on.
    pub facts: BTreeMap<Cow<'static, str>, serde_json::Value>,
}

/// The scope granted for one data category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The category.
    pub category: Category,
    /// First day of the window, when the request has a period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Day>,
    /// Last day of the window, when the request has a period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Day>,
}

/// SHA-256 digests (lower-case hex) of the exact bytes screened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// The request file, or the line without its line terminator.
    pub request_sha256: String,
    /// The policy file.
    pub policy_sha256: String,
    /// Every `*.toml` file of the law-pack directory, concatenated in file-name order.
    pub lawpacks_sha256: String,
}

impl Decision {
    /// Reads a decision, strictly.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Decision, Vec<crate::InputError>> {
        let decision: Decision = crate::error::read_json(file, bytes).map_err(|e| vec![e])?;
        if decision.schema != SCHEMA {
            return Err(vec![crate::InputError::new(
                file,
                "$.schema",
                format!("unknown schema \"{}\", expected \"{SCHEMA}\"", decision.schema),
            )]);
        }
        Ok(decision)
    }
}
