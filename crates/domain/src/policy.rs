//! The policy format (`rightsgate/policy/v1`, TOML): the deploying authority's own safeguards.

use serde::{Deserialize, Serialize};

use crate::case::Deadlines;
use crate::error::{locate, read_toml, InputError};
use crate::vocab::{Activity, Category, InternetFreedom, Measure, Profile};

/// The schema string of version 1 policies.
pub const SCHEMA: &str = "rightsgate/policy/v1";

/// Thresholds and switches the rules read. Every field is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// A name for people.
    pub name: String,
    /// The requested state this policy serves.
    pub state: String,
    /// Least maximum penalty, in years, of a "serious crime".
    pub serious_crime_min_years: f64,
    /// Measures that require dual criminality.
    pub dual_criminality_measures: Vec<Measure>,
    /// Activities whose criminalization is refused.
    pub protected_activities: Vec<Activity>,
    /// ICCS prefixes treated as protected whatever the offence's tags.
    pub protected_iccs: Vec<String>,
    /// ICCS prefixes of rights-sensitive conduct a person looks at.
    pub review_iccs: Vec<String>,
    /// Target profiles a person looks at.
    pub review_profiles: Vec<Profile>,
    /// Internet-freedom ratings of requesting states a person looks at.
    pub review_internet_freedom: Vec<InternetFreedom>,
    /// Words whose start in the facts sends the request to a person.
    pub screening_terms: Vec<String>,
    /// Refuse consensual conduct between children of similar age.
    pub exempt_child_peer_conduct: bool,
    /// Whether reciprocity alone is a basis without human review.
    pub allow_reciprocity: bool,
    /// States with which a bilateral MLA treaty is in force.
    pub bilateral_partners: Vec<String>,
    /// Data categories that need independent judicial authorization.
    pub judicial_categories: Vec<Category>,
    /// Measures that need independent judicial authorization.
    pub judicial_measures: Vec<Measure>,
    /// Most identifiers in one request.
    pub max_identifiers: u64,
    /// Longest retention the requester may keep data; 0 = no condition.
    pub max_retention_days: u64,
    /// Whether a use-limitation assurance is required.
    pub require_use_limitation: bool,
    /// Least offence gravity per category and intrusive measure.
    pub min_years: MinYears,
    /// Longest window per category and intrusive measure; 0 = no limit.
    pub max_period_days: MaxPeriodDays,
    /// Case deadlines (an optional extension of version 1; absent = the defaults of [`Deadlines`]).
    #[serde(default)]
    pub deadlines: Deadlines,
}

/// Least offence gravity (max_years) for each data category and intrusive measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinYears {
    /// Subscriber data.
    pub subscriber: f64,
    /// Traffic data.
    pub traffic: f64,
    /// Content data.
    pub content: f64,
    /// Real-time traffic collection.
    pub realtime_traffic: f64,
    /// Interception.
    pub interception: f64,
}

/// Longest window, in days, for each data category and intrusive measure; 0 = no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxPeriodDays {
    /// Subscriber data.
    pub subscriber: u64,
    /// Traffic data.
    pub traffic: u64,
    /// Content data.
    pub content: u64,
    /// Real-time traffic collection.
    pub realtime_traffic: u64,
    /// Interception.
    pub interception: u64,
}

impl MinYears {
    /// The floor for a category.
    pub fn category(&self, category: Category) -> f64 {
        match category {
            Category::Subscriber => self.subscriber,
            Category::Traffic => self.traffic,
            Category::Content => self.content,
        }
    }

    /// The floor for a real-time measure, if the measure has one.
    pub fn measure(&self, measure: Measure) -> Option<f64> {
        match measure {
            Measure::RealtimeTraffic => Some(self.realtime_traffic),
            Measure::Interception => Some(self.interception),
            _ => None,
        }
    }
}

impl MaxPeriodDays {
    /// The limit for a category; 0 = none.
    pub fn category(&self, category: Category) -> u64 {
        match category {
            Category::Subscriber => self.subscriber,
            Category::Traffic => self.traffic,
            Category::Content => self.content,
        }
    }

    /// The limit for a real-time measure, if the measure has one; 0 = none.
    pub fn measure(&self, measure: Measure) -> Option<u64> {
        match measure {
            Measure::RealtimeTraffic => Some(self.realtime_traffic),
            Measure::Interception => Some(self.interception),
            _ => None,
        }
    }
}

impl Policy {
    /// Reads and validates a policy.
    pub fn parse(file: &str, text: &str) -> Result<Policy, Vec<InputError>> {
        let policy: Policy = read_toml(file, text).map_err(|e| vec![e])?;
        let problems = policy.check(file, text);
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(problems)
        }
    }

    /// The checks serde cannot express.
    pub fn check(&self, file: &str, text: &str) -> Vec<InputError> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            let key = field.split(['.', '[']).next().unwrap_or(field);
            let at = locate(text, key);
            let location = if at.is_empty() { field.to_owned() } else { format!("{at}: {field}") };
            problems.push(InputError::new(file, location, message));
        };
        if self.schema != SCHEMA {
            problem("schema", format!("unknown schema \"{}\", expected \"{SCHEMA}\"", self.schema));
        }
        if !crate::request::is_country(&self.state) {
            problem(
                "state",
                format!(
                    "invalid country code \"{}\", expected ISO 3166-1 alpha-2 in upper case",
                    self.state
                ),
            );
        }
        for (field, prefixes) in
            [("protected_iccs", &self.protected_iccs), ("review_iccs", &self.review_iccs)]
        {
            for (i, prefix) in prefixes.iter().enumerate() {
                if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                    problem(
                        &format!("{field}[{i}]"),
                        format!("invalid ICCS prefix \"{prefix}\", expected digits"),
                    );
                }
            }
        }
        for (i, term) in self.screening_terms.iter().enumerate() {
            if term.trim().is_empty() {
                problem(
                    &format!("screening_terms[{i}]"),
                    "empty term, expected a word or word start".to_owned(),
                );
            }
        }
        for (i, state) in self.bilateral_partners.iter().enumerate() {
            if !crate::request::is_country(state) {
                problem(
                    &format!("bilateral_partners[{i}]"),
                    format!("invalid country code \"{state}\", expected ISO 3166-1 alpha-2 in upper case"),
                );
            }
        }
        let years = [
            ("serious_crime_min_years", self.serious_crime_min_years),
            ("min_years.subscriber", self.min_years.subscriber),
            ("min_years.traffic", self.min_years.traffic),
            ("min_years.content", self.min_years.content),
            ("min_years.realtime_traffic", self.min_years.realtime_traffic),
            ("min_years.interception", self.min_years.interception),
        ];
        for (field, value) in years {
            if !value.is_finite() || value < 0.0 {
                problem(
                    field,
                    format!("{value} is not allowed, expected a number of years of at least 0"),
                );
            }
        }
        problems
    }
}
