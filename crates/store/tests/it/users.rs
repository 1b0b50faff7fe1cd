//! Accounts, sessions, API tokens, disabling, sign-in throttling and second approvers, on SQLite and on
//! PostgreSQL.

use domain::case::Role;
use store::{
    api_token_id, Authenticated, ConfirmError, Store, StoreError, UserError, LOGIN_BACKOFF_BASE,
    LOGIN_BACKOFF_MAX, LOGIN_CLIENT_BUDGET, LOGIN_FREE_FAILURES, LOGIN_WINDOW,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::db::{self, Raw, TestDb};

const NOW: OffsetDateTime = datetime!(2026-11-02 09:00 UTC);
const INES: &str = "correct horse battery";
const ANA: &str = "another long password";
const BEA: &str = "a third long password";

/// Runs `test` on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident, $test:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            $test(&db::sqlite()).await;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some(db) = db::postgres(stringify!($test)).await {
                $test(&db).await;
            }
        }
    };
}

on_both!(accounts_on_sqlite, accounts_on_postgres, accounts);
on_both!(throttling_on_sqlite, throttling_on_postgres, throttling);
on_both!(client_budget_on_sqlite, client_budget_on_postgres, client_budget);
on_both!(disabling_on_sqlite, disabling_on_postgres, disabling);
on_both!(tokens_on_sqlite, tokens_on_postgres, tokens);
on_both!(second_approver_on_sqlite, second_approver_on_postgres, second_approver);
on_both!(corrupt_rows_on_sqlite, corrupt_rows_on_postgres, corrupt_rows);

async fn people(store: &Store) {
    store.add_user("ines", Role::IntakeOfficer, INES, NOW).await.unwrap();
    store.add_user("ana", Role::Approver, ANA, NOW).await.unwrap();
    store.add_user("bea", Role::Approver, BEA, NOW).await.unwrap();
}

async fn accounts(db: &TestDb) {
    let store = db.store().await;
    let ines = store.add_user("ines", Role::IntakeOfficer, INES, NOW).await.unwrap();
    assert_eq!(ines.role, Role::IntakeOfficer);
    store.add_user("ana", Role::Approver, ANA, NOW).await.unwrap();

    // Names are unique; bad names and short passwords are refused before anything is written.
    let dup = store.add_user("ines", Role::Reviewer, INES, NOW).await;
    assert!(matches!(dup, Err(UserError::Store(StoreError::Conflict))), "{dup:?}");
    assert!(matches!(
        store.add_user("bad name", Role::Reviewer, INES, NOW).await,
        Err(UserError::Invalid(_))
    ));
    assert!(matches!(
        store.add_user("short", Role::Reviewer, "short", NOW).await,
        Err(UserError::Invalid(_))
    ));
    let names: Vec<_> = store.users().await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["ana", "ines"]);

    // Passwords rest as Argon2id hashes and are checked.
    assert_eq!(
        store.authenticate("ines", INES, "10.0.0.1", NOW).await.unwrap(),
        Authenticated::User(ines.clone())
    );
    assert_eq!(
        store.authenticate("ines", "wrong", "10.0.0.1", NOW).await.unwrap(),
        Authenticated::Wrong
    );
    assert_eq!(
        store.authenticate("nobody", "wrong", "10.0.0.1", NOW).await.unwrap(),
        Authenticated::Wrong
    );

    // Sessions: found by their token until they expire or end; the CSRF token comes with them.
    let s = store.create_session("ines", NOW).await.unwrap();
    let found = store.session(&s.token, NOW).await.unwrap().unwrap();
    assert_eq!(found.user, ines);
    assert_eq!(found.csrf, s.csrf);
    assert!(store.session(&s.token, s.expires_at).await.unwrap().is_none());
    assert!(store.session("rgs_forged", NOW).await.unwrap().is_none());
    store.end_session(&s.token).await.unwrap();
    assert!(store.session(&s.token, NOW).await.unwrap().is_none());

    // API tokens.
    let token = store.create_api_token("ana", "ci", NOW).await.unwrap();
    assert!(token.starts_with("rgt_"));
    assert_eq!(store.api_token_user(&token).await.unwrap().unwrap().name, "ana");
    assert!(store.api_token_user("rgt_forged").await.unwrap().is_none());
    assert!(matches!(store.create_api_token("nobody", "ci", NOW).await, Err(StoreError::NotFound)));
}

/// A guessing client slows only itself: the right password from another client always works, the guesser
/// waits longer and longer, and the waits survive a restart.
async fn throttling(db: &TestDb) {
    let store = db.store().await;
    people(&store).await;
    let (attacker, owner) = ("203.0.113.9", "198.51.100.7");

    // The free failures are answered `Wrong`, then the attacker must wait.
    for _ in 0..LOGIN_FREE_FAILURES {
        assert_eq!(
            store.authenticate("ana", "guess", attacker, NOW).await.unwrap(),
            Authenticated::Wrong
        );
    }
    let first_wait = NOW + LOGIN_BACKOFF_BASE;
    assert_eq!(
        store.authenticate("ana", ANA, attacker, NOW).await.unwrap(),
        Authenticated::Throttled { retry_after: first_wait },
        "nothing is checked while the client waits, not even the right password"
    );

    // The owner, from their own client, signs in at once while the account is under attack.
    assert!(matches!(
        store.authenticate("ana", ANA, owner, NOW).await.unwrap(),
        Authenticated::User(u) if u.name == "ana"
    ));

    // Each further failure doubles the wait, up to the cap.
    let mut at = first_wait;
    let mut wait: Duration = LOGIN_BACKOFF_BASE;
    // Nine doublings reach the cap while every failure is still inside the window.
    for _ in 0..9 {
        assert_eq!(
            store.authenticate("ana", "guess", attacker, at).await.unwrap(),
            Authenticated::Wrong
        );
        wait = (wait * 2_i32).min(LOGIN_BACKOFF_MAX);
        assert_eq!(
            store.authenticate("ana", "guess", attacker, at).await.unwrap(),
            Authenticated::Throttled { retry_after: at + wait }
        );
        at += wait;
    }
    assert_eq!(wait, LOGIN_BACKOFF_MAX);

    // The failures are in the database: a restarted store still makes the attacker wait.
    let restarted = db.store().await;
    let just_before = at - Duration::seconds(1);
    assert_eq!(
        restarted.authenticate("ana", ANA, attacker, just_before).await.unwrap(),
        Authenticated::Throttled { retry_after: at }
    );
    assert!(matches!(
        restarted.authenticate("ana", ANA, owner, just_before).await.unwrap(),
        Authenticated::User(_)
    ));

    // Another account from the same client is not slowed by the failures for `ana`.
    assert!(matches!(
        store.authenticate("bea", BEA, attacker, just_before).await.unwrap(),
        Authenticated::User(_)
    ));

    // Once the wait has passed the client is checked again, and a success clears its failures.
    assert!(matches!(
        store.authenticate("ana", ANA, attacker, at).await.unwrap(),
        Authenticated::User(_)
    ));
    assert_eq!(
        store.authenticate("ana", "typo", attacker, at).await.unwrap(),
        Authenticated::Wrong,
        "the count started again"
    );
    assert!(matches!(
        store.authenticate("ana", ANA, attacker, at).await.unwrap(),
        Authenticated::User(_)
    ));

    // Failures older than the window count for nothing.
    let fresh = NOW + Duration::days(1);
    for _ in 0..LOGIN_FREE_FAILURES {
        store.authenticate("bea", "guess", attacker, fresh).await.unwrap();
    }
    let later = fresh + LOGIN_WINDOW + Duration::seconds(1);
    assert!(matches!(
        store.authenticate("bea", BEA, attacker, later).await.unwrap(),
        Authenticated::User(_)
    ));
}

/// A client spraying guesses over many accounts runs out of its budget; other clients do not.
async fn client_budget(db: &TestDb) {
    let store = db.store().await;
    people(&store).await;
    let (sprayer, owner) = ("203.0.113.66", "198.51.100.7");
    for i in 0..LOGIN_CLIENT_BUDGET {
        let at = NOW + Duration::seconds(i64::try_from(i).unwrap());
        assert_eq!(
            store.authenticate(&format!("user{i}"), "guess", sprayer, at).await.unwrap(),
            Authenticated::Wrong
        );
    }
    let at = NOW + Duration::minutes(5);
    assert_eq!(
        store.authenticate("ines", INES, sprayer, at).await.unwrap(),
        Authenticated::Throttled { retry_after: NOW + LOGIN_WINDOW }
    );
    assert!(matches!(
        store.authenticate("ines", INES, owner, at).await.unwrap(),
        Authenticated::User(_)
    ));
    assert!(matches!(
        store.authenticate("ines", INES, sprayer, NOW + LOGIN_WINDOW + Duration::seconds(1)).await,
        Ok(Authenticated::User(_))
    ));
}

/// A disabled account cannot sign in; its sessions and tokens stop at once and stay revoked.
async fn disabling(db: &TestDb) {
    let store = db.store().await;
    people(&store).await;
    let session = store.create_session("ana", NOW).await.unwrap();
    let token = store.create_api_token("ana", "ci", NOW).await.unwrap();
    assert!(store.session(&session.token, NOW).await.unwrap().is_some());

    let off = NOW + Duration::minutes(1);
    store.disable_user("ana", off).await.unwrap();
    assert!(store.session(&session.token, off).await.unwrap().is_none());
    assert!(store.api_token_user(&token).await.unwrap().is_none());
    assert_eq!(
        store.authenticate("ana", ANA, "10.0.0.1", off).await.unwrap(),
        Authenticated::Disabled
    );
    assert_eq!(
        store.authenticate("ana", "wrong", "10.0.0.1", off).await.unwrap(),
        Authenticated::Wrong,
        "a wrong password says nothing about the account"
    );
    assert!(matches!(
        store.create_api_token("ana", "ci", off).await,
        Err(StoreError::Disabled(name)) if name == "ana"
    ));
    // Disabling again keeps the first time.
    store.disable_user("ana", off + Duration::hours(1)).await.unwrap();
    let listed = store.users().await.unwrap();
    let ana = listed.iter().find(|a| a.name == "ana").unwrap();
    assert_eq!(ana.disabled_at, Some(off));
    assert_eq!(listed.iter().find(|a| a.name == "bea").unwrap().disabled_at, None);
    assert!(matches!(store.disable_user("nobody", off).await, Err(StoreError::NotFound)));

    store.enable_user("ana").await.unwrap();
    assert!(matches!(
        store.authenticate("ana", ANA, "10.0.0.1", off).await.unwrap(),
        Authenticated::User(_)
    ));
    assert!(store.api_token_user(&token).await.unwrap().is_none(), "tokens stay revoked");
    assert!(store.session(&session.token, off).await.unwrap().is_none(), "sessions stay ended");
    assert!(store.users().await.unwrap().iter().all(|a| a.disabled_at.is_none()));
    assert!(matches!(store.enable_user("nobody").await, Err(StoreError::NotFound)));
}

/// Tokens are listed by public id and revoked one at a time.
async fn tokens(db: &TestDb) {
    let store = db.store().await;
    people(&store).await;
    let ci = store.create_api_token("ana", "ci", NOW).await.unwrap();
    let later = NOW + Duration::minutes(1);
    let backup = store.create_api_token("ana", "backup", later).await.unwrap();
    let listed = store.api_tokens("ana").await.unwrap();
    let ids: Vec<_> = listed.iter().map(|t| (t.id.as_str(), t.label.as_str())).collect();
    assert_eq!(
        ids,
        [(api_token_id(&ci).as_str(), "ci"), (api_token_id(&backup).as_str(), "backup")]
    );
    assert!(listed.iter().all(|t| t.user == "ana" && t.revoked_at.is_none()));
    assert_eq!(listed[0].created_at, NOW);
    assert!(store.api_tokens("bea").await.unwrap().is_empty());
    assert!(matches!(store.api_tokens("nobody").await, Err(StoreError::NotFound)));

    let gone = NOW + Duration::hours(1);
    store.revoke_api_token("ana", &api_token_id(&ci).to_uppercase(), gone).await.unwrap();
    assert!(store.api_token_user(&ci).await.unwrap().is_none());
    assert!(store.api_token_user(&backup).await.unwrap().is_some(), "only the named token ends");
    let listed = store.api_tokens("ana").await.unwrap();
    assert_eq!(listed[0].revoked_at, Some(gone));
    assert_eq!(listed[1].revoked_at, None);
    // Revoking again changes nothing; another account's id or an unknown id is not found.
    store.revoke_api_token("ana", &api_token_id(&ci), gone + Duration::hours(1)).await.unwrap();
    assert_eq!(store.api_tokens("ana").await.unwrap()[0].revoked_at, Some(gone));
    assert!(matches!(
        store.revoke_api_token("bea", &api_token_id(&backup), gone).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.revoke_api_token("ana", "00000000", gone).await,
        Err(StoreError::NotFound)
    ));
}

/// Only an enabled approver other than the first, with their own password, confirms a decision.
async fn second_approver(db: &TestDb) {
    let store = db.store().await;
    people(&store).await;
    let client = "session:ana";
    let ok = store.confirm_second_approver("ana", "bea", BEA, client, NOW).await.unwrap();
    assert_eq!(ok.name(), "bea");
    let same = store.confirm_second_approver("ana", "ana", ANA, client, NOW).await;
    assert!(matches!(same, Err(ConfirmError::SameAccount)), "{same:?}");
    let wrong = store.confirm_second_approver("ana", "bea", "guess", client, NOW).await;
    assert!(matches!(wrong, Err(ConfirmError::WrongCredentials)), "{wrong:?}");
    let unknown = store.confirm_second_approver("ana", "nobody", "guess", client, NOW).await;
    assert!(matches!(unknown, Err(ConfirmError::WrongCredentials)), "{unknown:?}");
    let role = store.confirm_second_approver("ana", "ines", INES, client, NOW).await;
    assert!(matches!(role, Err(ConfirmError::NotApprover)), "{role:?}");

    // The same throttling as sign-in, per client: a guesser waits, bea herself does not.
    for _ in 1..LOGIN_FREE_FAILURES {
        let _ = store.confirm_second_approver("ana", "bea", "guess", client, NOW).await;
    }
    let throttled = store.confirm_second_approver("ana", "bea", BEA, client, NOW).await;
    assert!(
        matches!(throttled, Err(ConfirmError::Throttled { retry_after }) if retry_after == NOW + LOGIN_BACKOFF_BASE),
        "{throttled:?}"
    );
    let other = store.confirm_second_approver("ines", "bea", BEA, "session:ines", NOW).await;
    assert!(other.is_ok(), "{other:?}");

    store.disable_user("bea", NOW).await.unwrap();
    let disabled = store.confirm_second_approver("ines", "bea", BEA, "session:ines", NOW).await;
    assert!(matches!(disabled, Err(ConfirmError::Disabled)), "{disabled:?}");
}

/// Rows that do not read back are reported as corrupt, naming the table and column, never read as a default.
async fn corrupt_rows(db: &TestDb) {
    let store = db.store().await;
    people(&store).await;
    let session = store.create_session("ana", NOW).await.unwrap();
    match db.raw().await {
        Raw::Sqlite(p) => {
            sqlx::query("UPDATE sessions SET expires_at = ?")
                .bind(i64::MAX)
                .execute(&p)
                .await
                .unwrap();
            sqlx::query("UPDATE users SET disabled_at = ? WHERE name = 'bea'")
                .bind(i64::MAX)
                .execute(&p)
                .await
                .unwrap();
        }
        Raw::Postgres(p) => {
            sqlx::query("UPDATE sessions SET expires_at = $1")
                .bind(i64::MAX)
                .execute(&p)
                .await
                .unwrap();
            sqlx::query("UPDATE users SET disabled_at = $1 WHERE name = 'bea'")
                .bind(i64::MAX)
                .execute(&p)
                .await
                .unwrap();
        }
    }
    let err = store.session(&session.token, NOW).await.unwrap_err().to_string();
    assert!(err.contains("corrupt") && err.contains("sessions.expires_at"), "{err}");
    let err = store.users().await.unwrap_err().to_string();
    assert!(err.contains("users.disabled_at") && err.contains("`bea`"), "{err}");
}

/// Database URLs are never echoed with their password.
#[tokio::test]
async fn database_passwords_are_redacted() {
    assert_eq!(
        store::redact_url("postgres://rg:s3cret@db.example:5432/rg?sslmode=require"),
        "postgres://rg:***@db.example:5432/rg?sslmode=require"
    );
    assert_eq!(
        store::redact_url("postgres://rg@db/rg?password=s3cret&sslmode=disable"),
        "postgres://rg@db/rg?password=***&sslmode=disable"
    );
    assert_eq!(store::redact_url("sqlite:///tmp/a.db?mode=rwc"), "sqlite:///tmp/a.db?mode=rwc");

    let err = Store::connect("mysql://root:s3cret@localhost/db").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::UnsupportedUrl(_)), "{text}");
    assert!(!text.contains("s3cret") && text.contains("root:***@localhost"), "{text}");
    assert!(!format!("{err:?}").contains("s3cret"));

    // Nothing listens on port 9 of the loopback address, so the connection is refused without a network.
    let err =
        Store::connect("postgres://rg:s3cret@127.0.0.1:9/rg?connect_timeout=2").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Connect { .. }), "{text}");
    assert!(!text.contains("s3cret") && text.contains("rg:***@127.0.0.1:9"), "{text}");
    assert!(!format!("{err:?}").contains("s3cret"));
}
