//! The living demo: a store seeded with accounts and cases in every state a central authority sees, so that the
//! queue, the decision forms, the public page and reports show what a reviewer or an oversight body would
//! recognise.
//!
//! Requests come from [`crate::gen`] and are taken in over the last weeks, so due dates fall around now and only
//! some are overdue. People then act on them through the same store calls as the desk: reviews, requests for
//! information, consultations, approvals (with a second approver where four eyes are needed), refusals,
//! withdrawals, departures with reasons, execution within the grant, preservations (running and expired) and
//! closure. Every action goes through `store::Store::act`, so the demo cannot create a state the desk could not.

use domain::case::{disclosure_scope, CaseState, Resolution, Role};
use domain::vocab::{Measure, Outcome};
use rules::Context;
use store::{Actor, Desk, Received, Sealer, Store, StoreError};

use crate::cases::{ActError, ActionName, ActionRequest, Credentials};
use time::{Duration, OffsetDateTime};

/// One demo account and its password, shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The account name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its generated password.
    pub password: String,
}

impl std::fmt::Debug for Account {
    /// Leaves the password out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// What the demo seeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// One account per role, and a second approver.
    pub accounts: Vec<Account>,
    /// How many cases were taken in.
    pub cases: usize,
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The store refused something.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// An action was refused (a bug in the demo's paths).
    #[error("{0}")]
    Act(#[from] ActError),
    /// An account could not be added.
    #[error("{0}")]
    User(#[from] store::UserError),
    /// A generated request did not read back (a bug in the generator).
    #[error("a generated request does not read back: {0}")]
    Generated(String),
}

/// How many days back most of the demo's intake reaches.
const SPREAD_DAYS: i64 = 45;
/// How old the oldest cases are.
const OLD_DAYS: i64 = 150;

/// Seeds `store` with the demo accounts (passwords from `password`) and `n` generated cases worked on up to
/// `now`.
///
/// # Errors
/// [`DemoError`]; the store may then hold part of the demo (it is a throwaway database).
pub async fn seed(
    store: &Store,
    sealer: &Sealer,
    ctx: &Context,
    n: usize,
    now: OffsetDateTime,
    mut password: impl FnMut() -> String,
) -> Result<Seeded, DemoError> {
    let mut accounts = Vec::new();
    for role in Role::ALL {
        let name = role.as_str().replace('_', "-");
        accounts.push(Account { name, role: *role, password: password() });
        if *role == Role::Approver {
            accounts.push(Account {
                name: "approver-2".to_owned(),
                role: *role,
                password: password(),
            });
        }
    }
    for a in &accounts {
        store.add_user(&a.name, a.role, &a.password, now).await?;
    }
    let desk = Desk { sealer, deadlines: &ctx.policy().deadlines };
    let packs: Vec<_> = ctx.lawpacks().collect();
    let mut requests = crate::gen::requests(&packs, ctx.policy(), n, 42);
    // Taken in over the last weeks, newest last, each received by the requester a few hours earlier.
    let spread = Duration::days(SPREAD_DAYS);
    let step = spread / i32::try_from(n.max(1)).unwrap_or(i32::MAX);
    let mut cases = Vec::with_capacity(n);
    let mut preservations = 0usize;
    for (i, request) in requests.iter_mut().enumerate() {
        let position = step * i32::try_from(i).unwrap_or(0);
        // One case in ten, and half the preservations, are older, so that some decisions are months old and
        // some preservations have expired.
        let preservation = request.measure == Measure::Preservation;
        preservations += usize::from(preservation);
        let old = i % 10 == 0 || (preservation && preservations % 2 == 1);
        let at = if old {
            now - Duration::days(OLD_DAYS) + position / 8
        } else {
            now - spread + position
        };
        request.received = at - Duration::hours(3);
        let bytes =
            serde_json::to_vec(&request).map_err(|e| DemoError::Generated(e.to_string()))?;
        let stored =
            crate::intake::take_in(store, sealer, ctx, &[bytes], at, "intake-officer").await?;
        match stored.into_iter().next() {
            Some(Ok(Received::New { id, .. })) => cases.push((id, at)),
            Some(Ok(Received::AlreadyStored { .. })) => {}
            Some(Err(problems)) => {
                return Err(DemoError::Generated(
                    problems.first().map(ToString::to_string).unwrap_or_default(),
                ))
            }
            None => return Err(DemoError::Generated("nothing was stored".to_owned())),
        }
    }
    let people = People::new(&accounts);
    for (i, (id, at)) in cases.iter().enumerate() {
        work(store, &desk, &people, id, *at, now, i).await?;
    }
    Ok(Seeded { accounts, cases: cases.len() })
}

/// The demo's actors.
struct People<'a> {
    reviewer: Actor<'a>,
    adviser: Actor<'a>,
    approver: Actor<'a>,
    intake: Actor<'a>,
    second: Credentials,
}

impl<'a> People<'a> {
    fn new(accounts: &'a [Account]) -> People<'a> {
        let find =
            |role: Role| accounts.iter().find(|a| a.role == role).map_or("", |a| a.name.as_str());
        People {
            reviewer: Actor { name: find(Role::Reviewer), role: Role::Reviewer },
            adviser: Actor { name: find(Role::LegalAdviser), role: Role::LegalAdviser },
            approver: Actor { name: find(Role::Approver), role: Role::Approver },
            intake: Actor { name: find(Role::IntakeOfficer), role: Role::IntakeOfficer },
            second: accounts
                .iter()
                .find(|a| a.role == Role::Approver && a.name != find(Role::Approver))
                .map_or_else(
                    || Credentials { name: String::new(), password: String::new() },
                    |a| Credentials { name: a.name.clone(), password: a.password.clone() },
                ),
        }
    }
}

/// Works on one case as a central authority would, depending on screening's recommendation and on `i` (which
/// spreads cases over the possible paths). Cases taken in during the last week stay open.
async fn work(
    store: &Store,
    desk: &Desk<'_>,
    people: &People<'_>,
    id: &str,
    taken_in: OffsetDateTime,
    now: OffsetDateTime,
    i: usize,
) -> Result<(), DemoError> {
    let age = now - taken_in;
    if age < Duration::days(7) && i % 3 != 0 {
        return Ok(());
    }
    let view = store.case(desk.sealer, id).await?;
    let (Some(decision), Some(bytes)) = (&view.decision, &view.request) else { return Ok(()) };
    let request = domain::Request::parse("", bytes)
        .map_err(|e| DemoError::Generated(format!("{:?}", e.first())))?;
    let outcome = decision.outcome;
    let measure = request.measure;
    // Events happen at increasing times between intake and now.
    let mut t = taken_in;
    let mut tick = || {
        t = std::cmp::min(t + age / 8_i32, now);
        t
    };
    let p = people;
    let on = On { store, desk, id };
    on.plain(&p.reviewer, ActionName::StartReview, tick()).await?;
    if i % 11 == 0 {
        // Withdrawn by the requester while under review.
        on.act(&p.intake, decide(Resolution::Withdrawn, None, None), tick()).await?;
        if i % 2 == 0 {
            on.plain(&p.intake, ActionName::Close, tick()).await?;
        }
        return Ok(());
    }
    match outcome {
        Outcome::RequestInformation => {
            on.plain(&p.reviewer, ActionName::RequestInformation, tick()).await?;
            if i % 2 == 0 {
                on.plain(&p.reviewer, ActionName::InformationReceived, tick()).await?;
            }
        }
        Outcome::HumanReview => {
            if i % 2 == 0 {
                on.plain(&p.adviser, ActionName::OpenConsultation, tick()).await?;
            }
        }
        Outcome::Refuse => {
            on.plain(&p.adviser, ActionName::OpenConsultation, tick()).await?;
            if i % 9 == 4 {
                // A departure: people grant part of what screening would refuse, with a reason and four eyes.
                let reason =
                    "the requesting state gave assurances in consultation that address the finding";
                let act = decide(Resolution::ApprovedInPart, Some(&p.second), Some(reason));
                on.act(&p.approver, act, tick()).await?;
            } else if i % 4 != 1 {
                on.act(&p.approver, decide(Resolution::Refused, None, None), tick()).await?;
                if i % 2 == 0 {
                    on.plain(&p.approver, ActionName::Close, tick()).await?;
                }
            }
        }
        Outcome::Approve | Outcome::ApproveInPart => {
            let granted = if outcome == Outcome::Approve {
                Resolution::Approved
            } else {
                Resolution::ApprovedInPart
            };
            if i % 13 == 5 {
                // A departure the other way: people refuse what screening would grant.
                on.plain(&p.adviser, ActionName::OpenConsultation, tick()).await?;
                let reason = "consultation showed the data is already held by the requesting state";
                let act = decide(Resolution::Refused, Some(&p.second), Some(reason));
                on.act(&p.approver, act, tick()).await?;
                return Ok(());
            }
            if i % 5 == 2 {
                // Still under review.
                return Ok(());
            }
            let intrusive = measure == Measure::Interception
                || decision.granted.iter().any(|g| g.category == domain::vocab::Category::Content);
            let second = intrusive.then_some(&p.second);
            let state = on.act(&p.approver, decide(granted, second, None), tick()).await?;
            if measure == Measure::Preservation {
                // Preservations stay approved until they expire; the oldest have expired.
                return Ok(());
            }
            if state == CaseState::Decided(granted) && i % 3 != 2 {
                let scope = disclosure_scope(&request, decision);
                on.act(
                    &p.approver,
                    ActionRequest { disclosed: scope, ..ActionRequest::plain(ActionName::Execute) },
                    tick(),
                )
                .await?;
                if i % 2 == 0 {
                    on.plain(&p.approver, ActionName::Close, tick()).await?;
                }
            }
        }
    }
    Ok(())
}

fn decide(
    resolution: Resolution,
    second: Option<&Credentials>,
    reason: Option<&str>,
) -> ActionRequest {
    ActionRequest {
        resolution: Some(resolution),
        second: second.cloned(),
        reason: reason.map(str::to_owned),
        ..ActionRequest::plain(ActionName::Decide)
    }
}

/// One case, acted on through the same use case as the desk.
struct On<'a> {
    store: &'a Store,
    desk: &'a Desk<'a>,
    id: &'a str,
}

impl On<'_> {
    async fn act(
        &self,
        actor: &Actor<'_>,
        request: ActionRequest,
        at: OffsetDateTime,
    ) -> Result<CaseState, DemoError> {
        Ok(crate::cases::act(self.store, self.desk, self.id, actor, request, at).await?)
    }

    async fn plain(
        &self,
        actor: &Actor<'_>,
        action: ActionName,
        at: OffsetDateTime,
    ) -> Result<CaseState, DemoError> {
        self.act(actor, ActionRequest::plain(action), at).await
    }
}
