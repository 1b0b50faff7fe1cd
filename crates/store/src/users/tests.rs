//! The throttling arithmetic and the password-work gate, without a database.

use time::macros::datetime;

use super::*;

const NOW: OffsetDateTime = datetime!(2026-11-02 09:00 UTC);

fn check(f: Failures, expect: Option<OffsetDateTime>) {
    assert_eq!(throttle(f, NOW), expect, "{f:?}");
}

fn pair(n: u64, latest: OffsetDateTime) -> Failures {
    Failures { pair: n, pair_latest: Some(latest), client: n, client_oldest: Some(latest) }
}

#[test]
fn backoff_doubles_after_the_free_failures_and_is_capped() {
    assert_eq!(backoff(0), Duration::ZERO);
    assert_eq!(backoff(LOGIN_FREE_FAILURES - 1), Duration::ZERO);
    assert_eq!(backoff(LOGIN_FREE_FAILURES), LOGIN_BACKOFF_BASE);
    assert_eq!(backoff(LOGIN_FREE_FAILURES + 1), LOGIN_BACKOFF_BASE * 2);
    assert_eq!(backoff(LOGIN_FREE_FAILURES + 3), LOGIN_BACKOFF_BASE * 8);
    assert_eq!(backoff(LOGIN_FREE_FAILURES + 30), LOGIN_BACKOFF_MAX);
    assert_eq!(backoff(u64::MAX), LOGIN_BACKOFF_MAX);
}

#[test]
fn a_client_waits_only_for_its_own_failures() {
    // No failures, or fewer than the free ones: no wait.
    check(Failures { pair: 0, pair_latest: None, client: 0, client_oldest: None }, None);
    check(pair(LOGIN_FREE_FAILURES - 1, NOW), None);
    // After the free failures: the backoff from the latest failure, and nothing once it has passed.
    check(pair(LOGIN_FREE_FAILURES, NOW), Some(NOW + LOGIN_BACKOFF_BASE));
    check(pair(LOGIN_FREE_FAILURES + 2, NOW), Some(NOW + LOGIN_BACKOFF_BASE * 4));
    check(pair(LOGIN_FREE_FAILURES, NOW - LOGIN_BACKOFF_BASE), None);
    // A client over its budget across accounts waits for its oldest failure to age out, even for an account
    // it never tried.
    let oldest = NOW - Duration::minutes(10);
    check(
        Failures {
            pair: 0,
            pair_latest: None,
            client: LOGIN_CLIENT_BUDGET,
            client_oldest: Some(oldest),
        },
        Some(oldest + LOGIN_WINDOW),
    );
    check(
        Failures {
            pair: 0,
            pair_latest: None,
            client: LOGIN_CLIENT_BUDGET - 1,
            client_oldest: Some(oldest),
        },
        None,
    );
}

#[tokio::test]
async fn a_saturated_gate_answers_busy_after_the_wait() {
    let gate = Semaphore::new(1);
    let held = turn(&gate, std::time::Duration::from_millis(10)).await.unwrap();
    let busy = turn(&gate, std::time::Duration::from_millis(10)).await;
    assert!(matches!(busy, Err(StoreError::Busy)), "{busy:?}");
    drop(held);
    assert!(turn(&gate, std::time::Duration::from_millis(10)).await.is_ok());
}

#[test]
fn token_ids_are_the_first_eight_hex_digits_of_the_digest() {
    let id = api_token_id("rgt_example");
    assert_eq!(id, hex::encode(&Sha256::digest(b"rgt_example")[..4]));
    assert_eq!(id.len(), 8);
}
