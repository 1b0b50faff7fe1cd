//! Unit tests of the case workflow, roles, four-eyes rule and deadlines.

use super::*;
use crate::vocab::{Category, Measure, Outcome, Urgency};

/// Applies events in order from `Received`, returning the final state or the first error's message.
fn check(events: &[Event], expect: &str) {
    let mut state = CaseState::Received;
    for &event in events {
        match state.apply(event) {
            Ok(next) => state = next,
            Err(e) => {
                assert_eq!(e.to_string(), expect);
                return;
            }
        }
    }
    assert_eq!(state.as_str(), expect);
}

#[test]
fn the_happy_path_ends_closed() {
    use Event::*;
    check(&[Screened, ReviewStarted, Decided(Resolution::Approved), Executed, Closed], "closed");
    check(
        &[
            Screened,
            ReviewStarted,
            InformationRequested,
            InformationReceived,
            Decided(Resolution::ApprovedInPart),
        ],
        "approved_in_part",
    );
}

#[test]
fn a_refusal_needs_consultation_first() {
    use Event::*;
    check(
        &[Screened, ReviewStarted, Decided(Resolution::Refused)],
        "a case that is `in_review` cannot take the event `decided_refused`: open a consultation with the requesting state before refusing (UNCC Art. 40)",
    );
    check(
        &[Screened, ReviewStarted, ConsultationOpened, Decided(Resolution::Refused), Closed],
        "closed",
    );
    check(
        &[
            Screened,
            ReviewStarted,
            ConsultationOpened,
            ReviewStarted,
            Decided(Resolution::Approved),
        ],
        "approved",
    );
}

#[test]
fn illegal_transitions_name_state_and_event() {
    use Event::*;
    check(
        &[ReviewStarted],
        "a case that is `received` cannot take the event `review_started`: screen it first",
    );
    check(&[Screened, Executed], "a case that is `screened` cannot take the event `executed`");
    check(
        &[Screened, ReviewStarted, ConsultationOpened, Decided(Resolution::Refused), Executed],
        "a case that is `refused` cannot take the event `executed`",
    );
    check(
        &[Screened, Decided(Resolution::Withdrawn), Closed, Closed],
        "a case that is `closed` cannot take the event `closed`",
    );
}

#[test]
fn states_round_trip_through_their_names() {
    for state in ALL_STATES {
        assert_eq!(CaseState::parse(state.as_str()), Some(*state));
    }
}

#[test]
fn roles_separate_duties() {
    assert!(Role::Approver.may(Action::Act(Event::Decided(Resolution::Approved))));
    assert!(!Role::Reviewer.may(Action::Act(Event::Decided(Resolution::Approved))));
    assert!(!Role::Oversight.may(Action::Act(Event::ReviewStarted)));
    assert!(!Role::Oversight.may(Action::ReadCases));
    assert!(Role::Oversight.may(Action::ReadLedger));
    assert!(Role::Reviewer.may(Action::ReadLedger));
    assert!(!Role::AuditorPublic.may(Action::ReadLedger));
    assert!(!Role::AuditorPublic.may(Action::ReadCases));
    assert!(Role::AuditorPublic.may(Action::ReadAggregates));
    assert!(Role::IntakeOfficer.may(Action::Intake) && !Role::Approver.may(Action::Intake));
    for role in Role::ALL {
        let reads = matches!(role, Role::Oversight | Role::LegalAdviser);
        assert_eq!(role.may(Action::ReadAssessment), reads, "{role}");
    }
}

#[test]
fn departures_have_a_direction() {
    assert_eq!(departure(Outcome::Approve, Resolution::Approved), Departure::None);
    assert_eq!(departure(Outcome::Refuse, Resolution::Approved), Departure::MorePermissive);
    assert_eq!(departure(Outcome::Approve, Resolution::ApprovedInPart), Departure::MoreRestrictive);
    assert_eq!(departure(Outcome::HumanReview, Resolution::Refused), Departure::None);
    assert_eq!(
        departure(Outcome::RequestInformation, Resolution::Approved),
        Departure::MorePermissive
    );
    assert_eq!(departure(Outcome::Approve, Resolution::Withdrawn), Departure::None);
}

#[test]
fn four_eyes_for_departures_and_intrusive_approvals() {
    let sign = |resolution, second, reason| Sign {
        resolution,
        approver: "ana",
        second_approver: second,
        reason,
    };
    let subscriber = [Category::Subscriber];
    let content = [Category::Content];
    assert_eq!(
        check_four_eyes(
            Outcome::Approve,
            Measure::StoredData,
            &subscriber,
            &sign(Resolution::Approved, None, None)
        ),
        Ok(Departure::None)
    );
    assert_eq!(
        check_four_eyes(
            Outcome::Approve,
            Measure::StoredData,
            &content,
            &sign(Resolution::Approved, None, None)
        ),
        Err(FourEyesError::SecondApproverMissing("it approves content data or interception"))
    );
    assert_eq!(
        check_four_eyes(
            Outcome::Approve,
            Measure::Interception,
            &content,
            &sign(Resolution::Approved, Some("ana"), None)
        ),
        Err(FourEyesError::SameApprover("ana".into()))
    );
    assert_eq!(
        check_four_eyes(
            Outcome::Refuse,
            Measure::StoredData,
            &subscriber,
            &sign(Resolution::Approved, Some("ben"), None)
        ),
        Err(FourEyesError::ReasonMissing("more_permissive"))
    );
    assert_eq!(
        check_four_eyes(
            Outcome::Refuse,
            Measure::StoredData,
            &subscriber,
            &sign(
                Resolution::Approved,
                Some("ben"),
                Some("the requester showed the speech was incitement")
            )
        ),
        Ok(Departure::MorePermissive)
    );
}

#[test]
fn due_dates_follow_urgency() {
    let received = time::macros::datetime!(2026-11-02 10:00 UTC);
    let d = Deadlines::default();
    assert_eq!(d.due(Urgency::Emergency, received), time::macros::datetime!(2026-11-02 18:00 UTC));
    assert_eq!(d.due(Urgency::Urgent, received), time::macros::datetime!(2026-11-07 10:00 UTC));
    assert_eq!(d.due(Urgency::Routine, received), time::macros::datetime!(2026-12-02 10:00 UTC));
    assert_eq!(d.preservation_expires(received), time::macros::datetime!(2027-01-31 10:00 UTC));
}

#[test]
fn renewal_keeps_an_approved_or_executed_case_where_it_is() {
    use Event::*;
    check(
        &[Screened, ReviewStarted, Decided(Resolution::Approved), PreservationRenewed],
        "approved",
    );
    check(
        &[Screened, ReviewStarted, Decided(Resolution::Approved), Executed, PreservationRenewed],
        "executed",
    );
    check(
        &[Screened, ReviewStarted, PreservationRenewed],
        "a case that is `in_review` cannot take the event `preservation_renewed`",
    );
    check(
        &[
            Screened,
            ReviewStarted,
            Decided(Resolution::Approved),
            Executed,
            Closed,
            PreservationRenewed,
        ],
        "a case that is `closed` cannot take the event `preservation_renewed`",
    );
    assert!(Role::Approver.may(Action::Act(PreservationRenewed)));
    assert!(!Role::Reviewer.may(Action::Act(PreservationRenewed)));
}

fn grant(category: Category, window: Option<(&str, &str)>) -> Grant {
    let day = |s: &str| crate::Day::parse(s).unwrap();
    Grant { category, from: window.map(|w| day(w.0)), to: window.map(|w| day(w.1)) }
}

/// Checks a disclosure against a grant: `Ok` or the error's index, field and message.
fn check_disclosed(
    granted: &[Grant],
    disclosed: &[Grant],
    expect: Result<(), (usize, &str, &str)>,
) {
    let got = check_disclosure(granted, disclosed).map_err(|e| (e.index, e.field, e.message));
    let expect = expect.map_err(|(i, f, m)| (i, f, m.to_owned()));
    assert_eq!(got, expect);
}

#[test]
fn disclosure_lies_within_the_grant() {
    let window = Some(("2026-01-01", "2026-03-31"));
    let granted = [grant(Category::Subscriber, None), grant(Category::Traffic, window)];
    check_disclosed(&granted, &[], Ok(()));
    check_disclosed(&granted, &[grant(Category::Subscriber, None)], Ok(()));
    check_disclosed(
        &granted,
        &[grant(Category::Traffic, Some(("2026-02-01", "2026-03-31")))],
        Ok(()),
    );
    check_disclosed(
        &granted,
        &[grant(Category::Subscriber, None), grant(Category::Content, None)],
        Err((1, "category", "`content` was not granted: expected one of subscriber, traffic")),
    );
    check_disclosed(
        &granted,
        &[grant(Category::Traffic, Some(("2025-12-31", "2026-01-31")))],
        Err((0, "from", "`traffic` disclosed for 2025-12-31 to 2026-01-31, outside the granted window: expected a window within 2026-01-01 to 2026-03-31")),
    );
    check_disclosed(
        &granted,
        &[grant(Category::Traffic, Some(("2026-01-01", "2026-04-01")))],
        Err((0, "to", "`traffic` disclosed for 2026-01-01 to 2026-04-01, outside the granted window: expected a window within 2026-01-01 to 2026-03-31")),
    );
    check_disclosed(
        &granted,
        &[grant(Category::Traffic, None)],
        Err((0, "from", "`traffic` disclosed for no window, outside the granted window: expected a window within 2026-01-01 to 2026-03-31")),
    );
    check_disclosed(
        &[],
        &[grant(Category::Subscriber, None)],
        Err((0, "category", "`subscriber` was not granted: nothing was granted")),
    );
}
