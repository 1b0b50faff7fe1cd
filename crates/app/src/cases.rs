//! The case workflow as one use case: a person's action on a case, with the second approver's confirmation
//! where four eyes are needed, used by the API, the desk's forms and `rightsgate case act`.
//!
//! The order matters and is the same for every caller: the role check comes before any password is checked
//! (so an action a role may not take is not a password oracle), then the second approver confirms with their
//! own password, then the store applies the action and enforces every invariant in one transaction.

use domain::case::{Action, CaseState, Event, Resolution};
use domain::decision::Grant;
use serde::Deserialize;
use store::{Act, Actor, Desk, SecondApprover, Store, StoreError};
use time::OffsetDateTime;

/// The workflow actions, by their stable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionName {
    /// Take the case for review.
    StartReview,
    /// Ask the requester for information.
    RequestInformation,
    /// The requester answered.
    InformationReceived,
    /// Consult the requesting state (before any refusal).
    OpenConsultation,
    /// Decide (approve, approve in part, refuse, or record a withdrawal).
    Decide,
    /// Record what was disclosed.
    Execute,
    /// Keep preserved data for another policy period.
    RenewPreservation,
    /// Close the case.
    Close,
}

impl ActionName {
    /// Every action with its name.
    pub const ALL: [(ActionName, &'static str); 8] = [
        (ActionName::StartReview, "start_review"),
        (ActionName::RequestInformation, "request_information"),
        (ActionName::InformationReceived, "information_received"),
        (ActionName::OpenConsultation, "open_consultation"),
        (ActionName::Decide, "decide"),
        (ActionName::Execute, "execute"),
        (ActionName::RenewPreservation, "renew_preservation"),
        (ActionName::Close, "close"),
    ];

    /// Reads an action from its name.
    pub fn parse(name: &str) -> Option<ActionName> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(a, _)| *a)
    }

    /// The action's name.
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(a, _)| *a == self).map_or("", |(_, n)| n)
    }

    /// The event the action records; a decision without a resolution is checked as an approval (the strictest
    /// role).
    pub fn event(self, resolution: Option<Resolution>) -> Event {
        match self {
            ActionName::StartReview => Event::ReviewStarted,
            ActionName::RequestInformation => Event::InformationRequested,
            ActionName::InformationReceived => Event::InformationReceived,
            ActionName::OpenConsultation => Event::ConsultationOpened,
            ActionName::Decide => Event::Decided(resolution.unwrap_or(Resolution::Approved)),
            ActionName::Execute => Event::Executed,
            ActionName::RenewPreservation => Event::PreservationRenewed,
            ActionName::Close => Event::Closed,
        }
    }
}

/// A name and a password, as typed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The account name.
    pub name: String,
    /// Its password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    /// Leaves the password out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("name", &self.name).finish_non_exhaustive()
    }
}

/// One action as a person asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// What to do.
    pub action: ActionName,
    /// For `decide`: the resolution.
    pub resolution: Option<Resolution>,
    /// For `decide`: why the decision departs from the recommendation, where it does.
    pub reason: Option<String>,
    /// For `decide`, where four eyes are needed: the second approver's own credentials.
    pub second: Option<Credentials>,
    /// For `execute`: what was disclosed.
    pub disclosed: Vec<Grant>,
}

impl ActionRequest {
    /// An action without fields.
    pub fn plain(action: ActionName) -> ActionRequest {
        ActionRequest {
            action,
            resolution: None,
            reason: None,
            second: None,
            disclosed: Vec::new(),
        }
    }
}

/// Why an action was not taken. Nothing was written then.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// A field of the action is missing or wrong: a JSON pointer into the action and what was expected.
    #[error("{field}: {detail}")]
    Field {
        /// `/resolution`, `/second_approver/password`, ….
        field: String,
        /// What is wrong and what was expected.
        detail: String,
    },
    /// The second approver was not confirmed (wrong password, not an approver, disabled, throttled, busy).
    #[error("{0}")]
    Confirm(#[from] store::ConfirmError),
    /// The store refused the action (role, state, four eyes, grant) or failed.
    #[error("{0}")]
    Store(#[from] StoreError),
}

fn field(field: &str, detail: impl Into<String>) -> ActError {
    ActError::Field { field: field.to_owned(), detail: detail.into() }
}

/// Takes `request` on case `id` as `actor` (an account the caller authenticated), at `now`.
///
/// # Errors
/// [`ActError`]; nothing is written then.
pub async fn act(
    store: &Store,
    desk: &Desk<'_>,
    id: &str,
    actor: &Actor<'_>,
    request: ActionRequest,
    now: OffsetDateTime,
) -> Result<CaseState, ActError> {
    let event = request.action.event(request.resolution);
    if !actor.role.may(Action::Act(event)) {
        return Err(StoreError::Forbidden { role: actor.role, action: event.as_str() }.into());
    }
    let act = match request.action {
        ActionName::StartReview => Act::StartReview,
        ActionName::RequestInformation => Act::RequestInformation,
        ActionName::InformationReceived => Act::InformationReceived,
        ActionName::OpenConsultation => Act::OpenConsultation,
        ActionName::Execute => Act::Execute { disclosed: request.disclosed },
        ActionName::RenewPreservation => Act::RenewPreservation,
        ActionName::Close => Act::Close,
        ActionName::Decide => {
            let resolution = request
                .resolution
                .ok_or_else(|| field("/resolution", "a decision needs a resolution: approved, approved_in_part, refused or withdrawn"))?;
            let second_approver = match &request.second {
                Some(c) => Some(confirm_second(store, actor.name, c, now).await?),
                None => None,
            };
            Act::Decide {
                resolution,
                second_approver,
                reason: request.reason.filter(|r| !r.trim().is_empty()),
            }
        }
    };
    Ok(store.act(desk, id, actor, &act, now).await?)
}

/// Confirms a second approver by their own password. Failed checks are throttled per first approver, so that
/// someone guessing an approver's password through four-eyes decisions only slows themselves.
async fn confirm_second(
    store: &Store,
    first: &str,
    second: &Credentials,
    now: OffsetDateTime,
) -> Result<SecondApprover, ActError> {
    let client = format!("session:{first}");
    Ok(store.confirm_second_approver(first, &second.name, &second.password, &client, now).await?)
}
