//! The case workflow: a request from receipt to closure, as a state machine, with the people who may act on it,
//! the four-eyes rule for decisions, and deadlines.
//!
//! Only [`CaseState::apply`] changes a state; every illegal transition is an error naming the state and the event.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::decision::Grant;
use crate::vocab::{Category, Measure, Outcome, Urgency};
use crate::{Decision, Request};

/// Where a case is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Taken in; not yet screened.
    Received,
    /// Screening's decision is stored with its inputs' digests.
    Screened,
    /// A reviewer is working on it.
    InReview,
    /// The requester was asked for more information.
    InformationRequested,
    /// The requesting state is consulted before a refusal (UNCC Art. 40).
    Consultation,
    /// People decided.
    Decided(Resolution),
    /// What was disclosed is recorded.
    Executed,
    /// Nothing more will happen.
    Closed,
}

/// What people decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Granted as asked (within the screening's scope).
    Approved,
    /// Granted in part.
    ApprovedInPart,
    /// Refused.
    Refused,
    /// The requester withdrew the request.
    Withdrawn,
}

/// Something that happens to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Screening ran.
    Screened,
    /// A reviewer took the case.
    ReviewStarted,
    /// The requester was asked for information.
    InformationRequested,
    /// The requester answered.
    InformationReceived,
    /// Consultation with the requesting state opened (required before a refusal).
    ConsultationOpened,
    /// People decided.
    Decided(Resolution),
    /// The data was disclosed (or the measure carried out).
    Executed,
    /// An approved preservation was renewed before it expired (the case stays where it is).
    PreservationRenewed,
    /// The case was closed.
    Closed,
}

impl CaseState {
    /// The state's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::Screened => "screened",
            CaseState::InReview => "in_review",
            CaseState::InformationRequested => "information_requested",
            CaseState::Consultation => "consultation",
            CaseState::Decided(Resolution::Approved) => "approved",
            CaseState::Decided(Resolution::ApprovedInPart) => "approved_in_part",
            CaseState::Decided(Resolution::Refused) => "refused",
            CaseState::Decided(Resolution::Withdrawn) => "withdrawn",
            CaseState::Executed => "executed",
            CaseState::Closed => "closed",
        }
    }

    /// Reads a state from its stored name.
    pub fn parse(name: &str) -> Option<CaseState> {
        ALL_STATES.iter().copied().find(|s| s.as_str() == name)
    }

    /// Whether the case is still open (not decided, executed or closed).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseState::Received
                | CaseState::Screened
                | CaseState::InReview
                | CaseState::InformationRequested
                | CaseState::Consultation
        )
    }

    /// The state after `event`, or why the event is not allowed now.
    pub fn apply(self, event: Event) -> Result<CaseState, TransitionError> {
        use CaseState as S;
        use Event as E;
        let next = match (self, event) {
            (S::Received, E::Screened) => S::Screened,
            (S::Screened | S::Consultation, E::ReviewStarted) => S::InReview,
            (S::InReview, E::InformationRequested) => S::InformationRequested,
            (S::InformationRequested, E::InformationReceived) => S::InReview,
            (S::InReview, E::ConsultationOpened) => S::Consultation,
            // A refusal is preceded by consultation with the requesting state (UNCC Art. 40).
            (S::InReview, E::Decided(r @ (Resolution::Approved | Resolution::ApprovedInPart))) => {
                S::Decided(r)
            }
            (S::Consultation, E::Decided(r)) => S::Decided(r),
            // The requester may withdraw while the case is open.
            (s, E::Decided(Resolution::Withdrawn)) if s.is_open() => {
                S::Decided(Resolution::Withdrawn)
            }
            (S::Decided(Resolution::Approved | Resolution::ApprovedInPart), E::Executed) => {
                S::Executed
            }
            (S::Executed | S::Decided(Resolution::Refused | Resolution::Withdrawn), E::Closed) => {
                S::Closed
            }
            // Renewal keeps the case where it is; whether the measure is a preservation, and whether it has
            // expired, is checked where the case is stored.
            (
                s @ (S::Decided(Resolution::Approved | Resolution::ApprovedInPart) | S::Executed),
                E::PreservationRenewed,
            ) => s,
            (state, event) => return Err(TransitionError { state, event }),
        };
        Ok(next)
    }
}

/// Every state, in workflow order.
pub const ALL_STATES: &[CaseState] = &[
    CaseState::Received,
    CaseState::Screened,
    CaseState::InReview,
    CaseState::InformationRequested,
    CaseState::Consultation,
    CaseState::Decided(Resolution::Approved),
    CaseState::Decided(Resolution::ApprovedInPart),
    CaseState::Decided(Resolution::Refused),
    CaseState::Decided(Resolution::Withdrawn),
    CaseState::Executed,
    CaseState::Closed,
];

impl Event {
    /// The event's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Screened => "screened",
            Event::ReviewStarted => "review_started",
            Event::InformationRequested => "information_requested",
            Event::InformationReceived => "information_received",
            Event::ConsultationOpened => "consultation_opened",
            Event::Decided(Resolution::Approved) => "decided_approved",
            Event::Decided(Resolution::ApprovedInPart) => "decided_approved_in_part",
            Event::Decided(Resolution::Refused) => "decided_refused",
            Event::Decided(Resolution::Withdrawn) => "decided_withdrawn",
            Event::Executed => "executed",
            Event::PreservationRenewed => "preservation_renewed",
            Event::Closed => "closed",
        }
    }
}

impl Resolution {
    /// The resolution's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Approved => "approved",
            Resolution::ApprovedInPart => "approved_in_part",
            Resolution::Refused => "refused",
            Resolution::Withdrawn => "withdrawn",
        }
    }

    /// Reads a resolution from its name.
    pub fn parse(name: &str) -> Option<Resolution> {
        [
            Resolution::Approved,
            Resolution::ApprovedInPart,
            Resolution::Refused,
            Resolution::Withdrawn,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    fn grants(self) -> bool {
        matches!(self, Resolution::Approved | Resolution::ApprovedInPart)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event that is not allowed in the case's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case that is `{state}` cannot take the event `{event}`{}", hint(*state, *event))]
pub struct TransitionError {
    /// The state the case is in.
    pub state: CaseState,
    /// The event that was refused.
    pub event: Event,
}

fn hint(state: CaseState, event: Event) -> &'static str {
    match (state, event) {
        (CaseState::InReview, Event::Decided(Resolution::Refused)) => {
            ": open a consultation with the requesting state before refusing (UNCC Art. 40)"
        }
        (CaseState::Received, _) => ": screen it first",
        _ => "",
    }
}

/// The people who work with cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes requests in.
    IntakeOfficer,
    /// Reviews cases and asks for information.
    Reviewer,
    /// Advises on the law; reviews and opens consultations.
    LegalAdviser,
    /// Decides.
    Approver,
    /// An oversight body: reads the ledger, checkpoints and every case's proofs, never personal data; changes
    /// nothing.
    Oversight,
    /// Reads aggregates only.
    AuditorPublic,
}

/// What someone may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Take a request in (and have it screened).
    Intake,
    /// Read cases, with personal data.
    ReadCases,
    /// Read aggregate statistics.
    ReadAggregates,
    /// Read the ledger: checkpoints, the leaves of any case (which never hold personal data) and their proofs.
    ReadLedger,
    /// Act on a case with `event`.
    Act(Event),
    /// Read the assessment of the state's framework, with what the ledger shows in practice.
    ReadAssessment,
}

impl Role {
    /// Every role.
    pub const ALL: &'static [Role] = &[
        Role::IntakeOfficer,
        Role::Reviewer,
        Role::LegalAdviser,
        Role::Approver,
        Role::Oversight,
        Role::AuditorPublic,
    ];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::IntakeOfficer => "intake_officer",
            Role::Reviewer => "reviewer",
            Role::LegalAdviser => "legal_adviser",
            Role::Approver => "approver",
            Role::Oversight => "oversight",
            Role::AuditorPublic => "auditor_public",
        }
    }

    /// Reads a role from its name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == name)
    }

    /// Whether this role may take `action`.
    pub fn may(self, action: Action) -> bool {
        use Role as R;
        match action {
            Action::ReadAggregates => true,
            // Personal data is for the people who handle cases; oversight verifies the ledger instead.
            Action::ReadCases => !matches!(self, R::AuditorPublic | R::Oversight),
            Action::ReadLedger => self != R::AuditorPublic,
            Action::Intake => self == R::IntakeOfficer,
            // The framework's assessment is for those who answer for it: oversight and legal advice.
            Action::ReadAssessment => matches!(self, R::Oversight | R::LegalAdviser),
            Action::Act(event) => match event {
                Event::Screened => self == R::IntakeOfficer,
                Event::ReviewStarted | Event::InformationRequested | Event::InformationReceived => {
                    matches!(self, R::Reviewer | R::LegalAdviser | R::Approver)
                }
                Event::ConsultationOpened => matches!(self, R::LegalAdviser | R::Approver),
                Event::Decided(Resolution::Withdrawn) => {
                    matches!(self, R::IntakeOfficer | R::Reviewer | R::LegalAdviser | R::Approver)
                }
                Event::Decided(_) => self == R::Approver,
                Event::Executed | Event::Closed => matches!(self, R::IntakeOfficer | R::Approver),
                // Keeping data longer is a decision: approvers only.
                Event::PreservationRenewed => self == R::Approver,
            },
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a decision compares with screening's recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Departure {
    /// The decision is what screening recommended (or screening left the merits to a person).
    None,
    /// People granted more than screening recommended.
    MorePermissive,
    /// People granted less than screening recommended.
    MoreRestrictive,
}

impl Departure {
    /// The departure's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Departure::None => "none",
            Departure::MorePermissive => "more_permissive",
            Departure::MoreRestrictive => "more_restrictive",
        }
    }
}

/// Whether and how `decided` departs from `recommended`.
///
/// A withdrawal is the requester's act and never a departure. `human_review` leaves the merits to a person, so
/// no decision departs from it. `request_information` says the request cannot be granted yet, so granting it
/// departs (more permissive) and refusing it does not.
pub fn departure(recommended: Outcome, decided: Resolution) -> Departure {
    fn rank(r: Resolution) -> u8 {
        match r {
            Resolution::Refused | Resolution::Withdrawn => 0,
            Resolution::ApprovedInPart => 1,
            Resolution::Approved => 2,
        }
    }
    let expected = match recommended {
        _ if decided == Resolution::Withdrawn => return Departure::None,
        Outcome::HumanReview => return Departure::None,
        Outcome::RequestInformation | Outcome::Refuse => Resolution::Refused,
        Outcome::ApproveInPart => Resolution::ApprovedInPart,
        Outcome::Approve => Resolution::Approved,
    };
    match rank(decided).cmp(&rank(expected)) {
        std::cmp::Ordering::Equal => Departure::None,
        std::cmp::Ordering::Greater => Departure::MorePermissive,
        std::cmp::Ordering::Less => Departure::MoreRestrictive,
    }
}

/// A decision as people take it: who, what, and why when it departs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sign<'a> {
    /// What was decided.
    pub resolution: Resolution,
    /// The approver who decides.
    pub approver: &'a str,
    /// The second, different approver, where four eyes are needed.
    pub second_approver: Option<&'a str>,
    /// Why the decision departs from the recommendation.
    pub reason: Option<&'a str>,
}

/// A decision the four-eyes rule refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FourEyesError {
    /// A second approver is needed and missing.
    #[error("a second, different approver must confirm this decision: {0}")]
    SecondApproverMissing(&'static str),
    /// The second approver is the first.
    #[error("the second approver must be a different person from the first (`{0}` signed twice)")]
    SameApprover(String),
    /// A departure needs a recorded reason.
    #[error("the decision departs from screening's recommendation ({0}): record the reason")]
    ReasonMissing(&'static str),
}

/// Checks the four-eyes rule: a decision that departs from the recommendation, and any approval of content
/// data or of interception, needs a second, different approver; a departure needs a reason.
pub fn check_four_eyes(
    recommended: Outcome,
    measure: Measure,
    granted: &[Category],
    sign: &Sign<'_>,
) -> Result<Departure, FourEyesError> {
    let departure = departure(recommended, sign.resolution);
    let intrusive = sign.resolution.grants()
        && (measure == Measure::Interception || granted.contains(&Category::Content));
    let why = match (departure, intrusive) {
        (Departure::None, false) => None,
        (Departure::None, true) => Some("it approves content data or interception"),
        _ => Some("it departs from screening's recommendation"),
    };
    if departure != Departure::None && sign.reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(FourEyesError::ReasonMissing(departure.as_str()));
    }
    if let Some(why) = why {
        match sign.second_approver {
            None => return Err(FourEyesError::SecondApproverMissing(why)),
            Some(second) if second == sign.approver => {
                return Err(FourEyesError::SameApprover(second.to_owned()))
            }
            Some(_) => {}
        }
    }
    Ok(departure)
}

/// A disclosure outside the granted scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DisclosureError {
    /// The position of the offending item in `disclosed`.
    pub index: usize,
    /// The item's field at fault (`category`, `from` or `to`).
    pub field: &'static str,
    /// What is wrong and what was expected.
    pub message: String,
}

/// The scope a disclosure must lie within: screening's grant; or, where screening granted nothing and people
/// approved anyway (a recorded four-eyes departure), what the request asked for and never more (no window for
/// preservation, whose period is not a disclosure window). The `information` measure discloses no data.
pub fn disclosure_scope(request: &Request, decision: &Decision) -> Vec<Grant> {
    if !decision.granted.is_empty() || request.measure == Measure::Information {
        return decision.granted.clone();
    }
    let period = request.data.period.filter(|_| request.measure != Measure::Preservation);
    let mut scope: Vec<Grant> = Vec::new();
    for category in &request.data.categories {
        if !scope.iter().any(|g| g.category == *category) {
            scope.push(Grant {
                category: *category,
                from: period.map(|p| p.from),
                to: period.map(|p| p.to),
            });
        }
    }
    scope
}

/// Checks that every disclosed item lies within the granted scope: its category is granted, and where the
/// grant has a window, the item has one inside it. An empty disclosure (nothing was found or handed over) is
/// within any scope.
///
/// # Errors
/// The first item outside the scope, naming its position and field.
pub fn check_disclosure(granted: &[Grant], disclosed: &[Grant]) -> Result<(), DisclosureError> {
    for (index, item) in disclosed.iter().enumerate() {
        let fail = |field, message: String| Err(DisclosureError { index, field, message });
        let windows: Vec<&Grant> = granted.iter().filter(|g| g.category == item.category).collect();
        if windows.is_empty() {
            let names: Vec<&str> = granted.iter().map(|g| g.category.as_str()).collect();
            let expected = if names.is_empty() {
                "nothing was granted".to_owned()
            } else {
                format!("expected one of {}", names.join(", "))
            };
            return fail(
                "category",
                format!("`{}` was not granted: {expected}", item.category.as_str()),
            );
        }
        let inside = |g: &Grant| match (g.from, g.to) {
            (Some(from), Some(to)) => {
                matches!((item.from, item.to), (Some(a), Some(b)) if from <= a && a <= b && b <= to)
            }
            _ => true,
        };
        if !windows.iter().any(|g| inside(g)) {
            let allowed: Vec<String> =
                windows.iter().filter_map(|g| Some(format!("{} to {}", g.from?, g.to?))).collect();
            let field = match (item.from, item.to) {
                (None, _) => "from",
                (Some(a), _) if windows.iter().all(|g| g.from.is_some_and(|f| a < f)) => "from",
                _ => "to",
            };
            let shown = match (item.from, item.to) {
                (Some(a), Some(b)) => format!("{a} to {b}"),
                _ => "no window".to_owned(),
            };
            return fail(field, format!("`{}` disclosed for {shown}, outside the granted window: expected a window within {}", item.category.as_str(), allowed.join(" or ")));
        }
    }
    Ok(())
}

/// Time allowed to answer, by urgency (policy `[deadlines]`, with the defaults below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    /// Emergencies, in hours (default 8).
    #[serde(default = "default_emergency_hours")]
    pub emergency_hours: u32,
    /// Urgent requests, in days (default 5).
    #[serde(default = "default_urgent_days")]
    pub urgent_days: u32,
    /// Routine requests, in days (default 30).
    #[serde(default = "default_routine_days")]
    pub routine_days: u32,
    /// How long preserved data is kept unless renewed, in days (default 90).
    #[serde(default = "default_preservation_days")]
    pub preservation_days: u32,
}

fn default_emergency_hours() -> u32 {
    8
}
fn default_urgent_days() -> u32 {
    5
}
fn default_routine_days() -> u32 {
    30
}
fn default_preservation_days() -> u32 {
    90
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            emergency_hours: default_emergency_hours(),
            urgent_days: default_urgent_days(),
            routine_days: default_routine_days(),
            preservation_days: default_preservation_days(),
        }
    }
}

impl Deadlines {
    /// When a case received at `received` is due.
    pub fn due(&self, urgency: Urgency, received: OffsetDateTime) -> OffsetDateTime {
        let allowed = match urgency {
            Urgency::Emergency => Duration::hours(i64::from(self.emergency_hours)),
            Urgency::Urgent => Duration::days(i64::from(self.urgent_days)),
            Urgency::Routine => Duration::days(i64::from(self.routine_days)),
        };
        received.checked_add(allowed).unwrap_or(received)
    }

    /// When preserved data expires: `preservation_days` after `from` (the decision, or the last renewal).
    pub fn preservation_expires(&self, from: OffsetDateTime) -> OffsetDateTime {
        from.checked_add(Duration::days(i64::from(self.preservation_days))).unwrap_or(from)
    }
}

#[cfg(test)]
mod tests;
