//! Accounts, sessions, API tokens and login rate limiting, on SQLite and on PostgreSQL.

use domain::case::Role;
use store::{Authenticated, Store, StoreError, UserError, LOGIN_MAX_FAILURES, LOGIN_WINDOW};
use time::macros::datetime;
use time::Duration;

use crate::db;

async fn accounts(store: &Store) {
    let now = datetime!(2026-11-02 09:00 UTC);
    let ines =
        store.add_user("ines", Role::IntakeOfficer, "correct horse battery", now).await.unwrap();
    assert_eq!(ines.role, Role::IntakeOfficer);
    store.add_user("ana", Role::Approver, "another long password", now).await.unwrap();

    // Names are unique; bad names and short passwords are refused before anything is written.
    let dup = store.add_user("ines", Role::Reviewer, "correct horse battery", now).await;
    assert!(matches!(dup, Err(UserError::Store(StoreError::Conflict))), "{dup:?}");
    assert!(matches!(
        store.add_user("bad name", Role::Reviewer, "correct horse battery", now).await,
        Err(UserError::Invalid(_))
    ));
    assert!(matches!(
        store.add_user("short", Role::Reviewer, "short", now).await,
        Err(UserError::Invalid(_))
    ));
    let names: Vec<_> = store.users().await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["ana", "ines"]);

    // Passwords rest as Argon2id hashes and are checked.
    assert_eq!(
        store.authenticate("ines", "correct horse battery", now).await.unwrap(),
        Authenticated::User(ines.clone())
    );
    assert_eq!(store.authenticate("ines", "wrong", now).await.unwrap(), Authenticated::Wrong);
    assert_eq!(store.authenticate("nobody", "wrong", now).await.unwrap(), Authenticated::Wrong);

    // Sessions: found by their token until they expire or end; the CSRF token comes with them.
    let s = store.create_session("ines", now).await.unwrap();
    let found = store.session(&s.token, now).await.unwrap().unwrap();
    assert_eq!(found.user, ines);
    assert_eq!(found.csrf, s.csrf);
    assert!(store.session(&s.token, s.expires_at).await.unwrap().is_none());
    assert!(store.session("rgs_forged", now).await.unwrap().is_none());
    store.end_session(&s.token).await.unwrap();
    assert!(store.session(&s.token, now).await.unwrap().is_none());

    // API tokens.
    let token = store.create_api_token("ana", "ci", now).await.unwrap();
    assert!(token.starts_with("rgt_"));
    assert_eq!(store.api_token_user(&token).await.unwrap().unwrap().name, "ana");
    assert!(store.api_token_user("rgt_forged").await.unwrap().is_none());
    assert!(matches!(store.create_api_token("nobody", "ci", now).await, Err(StoreError::NotFound)));

    // Rate limiting: after the allowed failures even the right password is not checked, until the window
    // passes; a success clears the count.
    let later = now + Duration::hours(1);
    for _ in 0..LOGIN_MAX_FAILURES {
        assert_eq!(store.authenticate("ana", "nope", later).await.unwrap(), Authenticated::Wrong);
    }
    let limited = store.authenticate("ana", "another long password", later).await.unwrap();
    assert_eq!(limited, Authenticated::Limited { retry_after: later + LOGIN_WINDOW });
    // Other accounts are unaffected.
    assert!(matches!(
        store.authenticate("ines", "correct horse battery", later).await.unwrap(),
        Authenticated::User(_)
    ));
    let after = later + LOGIN_WINDOW + Duration::seconds(1);
    assert!(matches!(
        store.authenticate("ana", "another long password", after).await.unwrap(),
        Authenticated::User(_)
    ));
    assert_eq!(store.authenticate("ana", "nope", after).await.unwrap(), Authenticated::Wrong);
    assert!(matches!(
        store.authenticate("ana", "another long password", after).await.unwrap(),
        Authenticated::User(_)
    ));
}

#[tokio::test]
async fn accounts_on_sqlite() {
    let db = db::sqlite();
    accounts(&db.store().await).await;
}

#[tokio::test]
async fn accounts_on_postgres() {
    if let Some(db) = db::postgres("users").await {
        accounts(&db.store().await).await;
    }
}
