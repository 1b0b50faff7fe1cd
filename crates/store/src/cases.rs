//! Cases: intake of screened requests, the workflow actions of people, purge of personal data, and reads.
//!
//! Every state change is appended to the ledger in the same database transaction as the change itself, so the
//! ledger and the case tables can never disagree. Personal data (the request as received, the screening
//! decision, names in event details) is sealed with XChaCha20-Poly1305 under the deployment's key; the ledger
//! only ever sees the non-personal metadata of `domain::leaf` and a salted commitment.

use std::collections::BTreeMap;

use domain::case::{
    check_disclosure, check_four_eyes, disclosure_scope, Action, CaseState, Event, Resolution,
    Role, Sign,
};
use domain::decision::Grant;
use domain::leaf::{self, Leaf};
use domain::vocab::{Category, Measure, Outcome};
use domain::{Decision, Request};
use sqlx::{QueryBuilder, Row};
use time::OffsetDateTime;

use crate::seal::Sealer;
use crate::{Backend, SecondApprover, Store, StoreError};

/// How long an open case with an overlapping identifier counts as a duplicate.
pub const DUPLICATE_WINDOW_DAYS: i64 = 90;

/// One screened request to take in.
#[derive(Debug, Clone, Copy)]
pub struct Intake<'a> {
    /// The request as read.
    pub request: &'a Request,
    /// Its exact bytes (their digest is in the decision).
    pub bytes: &'a [u8],
    /// Screening's decision.
    pub decision: &'a Decision,
    /// ICCS sections of the resolved offences, sorted, without repeats.
    pub offence_sections: &'a [String],
    /// The policy's deadlines: the case is due this long after `now`, our time of receipt (never the
    /// `received` date the requester wrote).
    pub deadlines: &'a domain::case::Deadlines,
    /// When it was taken in.
    pub now: OffsetDateTime,
    /// Who took it in.
    pub actor: &'a str,
}

/// What intake did with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A new case.
    New {
        /// The case id.
        id: String,
        /// An open case from the same authority with an overlapping identifier, received within 90 days.
        duplicate_of: Option<String>,
    },
    /// The authority's reference was already stored: nothing was written.
    AlreadyStored {
        /// The existing case.
        id: String,
    },
}

/// What a person does to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Take the case for review.
    StartReview,
    /// Ask the requester for information.
    RequestInformation,
    /// The requester answered.
    InformationReceived,
    /// Consult the requesting state (before any refusal).
    OpenConsultation,
    /// Decide. A second, different approver and a reason are needed where the four-eyes rule says so.
    Decide {
        /// What is decided.
        resolution: Resolution,
        /// The second approver, where needed: an account that confirmed with its own password.
        second_approver: Option<SecondApprover>,
        /// Why the decision departs from the recommendation, where it does.
        reason: Option<String>,
    },
    /// Record what was disclosed; it must lie within the granted categories and windows.
    Execute {
        /// Per category and window.
        disclosed: Vec<Grant>,
    },
    /// Keep preserved data for another policy period, before it expires.
    RenewPreservation,
    /// Close the case.
    Close,
}

impl Act {
    fn event(&self) -> Event {
        match self {
            Act::StartReview => Event::ReviewStarted,
            Act::RequestInformation => Event::InformationRequested,
            Act::InformationReceived => Event::InformationReceived,
            Act::OpenConsultation => Event::ConsultationOpened,
            Act::Decide { resolution, .. } => Event::Decided(*resolution),
            Act::Execute { .. } => Event::Executed,
            Act::RenewPreservation => Event::PreservationRenewed,
            Act::Close => Event::Closed,
        }
    }
}

/// What acting on cases needs besides the database: the sealing key and the policy's deadlines (from which
/// preservation expiry and renewal are computed).
#[derive(Debug, Clone, Copy)]
pub struct Desk<'a> {
    /// Opens and seals the case's personal data.
    pub sealer: &'a Sealer,
    /// The policy's deadlines.
    pub deadlines: &'a domain::case::Deadlines,
}

/// Who acts. The store re-reads the account inside the acting transaction: it must exist, be enabled and hold
/// `role`.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The account name.
    pub name: &'a str,
    /// Their role.
    pub role: Role,
}

/// A case as listed: non-personal columns only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The case id.
    pub id: String,
    /// Requesting state.
    pub requesting_state: String,
    /// The requesting authority.
    pub authority: String,
    /// The authority's reference.
    pub reference: String,
    /// The measure.
    pub measure: String,
    /// The urgency.
    pub urgency: String,
    /// Screening's recommendation.
    pub recommended: String,
    /// Where the case is.
    pub state: CaseState,
    /// When it was received.
    pub received_at: OffsetDateTime,
    /// When it is due.
    pub due_at: OffsetDateTime,
    /// A possible duplicate.
    pub duplicate_of: Option<String>,
    /// Whether personal data was purged.
    pub purged: bool,
    /// When preserved data expires, for an approved preservation not yet closed.
    pub preservation_expires_at: Option<OffsetDateTime>,
}

/// One event of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Event number within the case.
    pub seq: u64,
    /// When.
    pub at: OffsetDateTime,
    /// The event's name.
    pub event: String,
    /// The state after it.
    pub state: String,
    /// Who.
    pub actor: String,
    /// In which role.
    pub role: String,
    /// The ledger leaf that records it.
    pub leaf_index: u64,
    /// Unsealed detail (second approver, reason), when not purged.
    pub detail: Option<serde_json::Value>,
}

/// A case with its personal data opened.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseView {
    /// The listed columns.
    pub summary: Summary,
    /// The request bytes as received, unless purged.
    pub request: Option<Vec<u8>>,
    /// Screening's decision, unless purged.
    pub decision: Option<Decision>,
    /// Every event, in order.
    pub timeline: Vec<TimelineEntry>,
}

/// What may be listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only cases in this state.
    pub state: Option<CaseState>,
    /// Only open cases.
    pub open_only: bool,
    /// Only from this requesting state.
    pub requesting_state: Option<String>,
    /// Only approved preservations still running (not closed), earliest expiry first, expired ones included.
    pub preservations: bool,
    /// At most this many (default 100).
    pub limit: Option<u32>,
}

const OPEN_STATES: &[&str] =
    &["received", "screened", "in_review", "information_requested", "consultation"];

/// The sealed personal part of a case.
fn sealed_case(
    sealer: &Sealer,
    id: &str,
    intake: &Intake<'_>,
    salt: &[u8; 32],
) -> Result<Vec<u8>, StoreError> {
    let plain = crate::seal::case_plaintext(intake.bytes, intake.decision, salt)?;
    sealer.seal(&plain, id.as_bytes())
}

fn commitment(salt: &[u8; 32], bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(salt);
    h.update(bytes);
    hex::encode(h.finalize())
}

fn unix(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

fn from_unix(s: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(s)
        .map_err(|_| StoreError::Corrupt(format!("timestamp `{s}` is out of range")))
}

/// A case id that sorts by intake time: the intake second and the position in the batch, then random bytes.
/// New rows land at the end of the primary-key B-trees instead of at random pages.
fn new_case_id(now: OffsetDateTime, position: usize) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 5];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("c-{:010x}{:06x}{}", unix(now).max(0), position & 0xff_ffff, hex::encode(bytes))
}

fn new_salt() -> [u8; 32] {
    use rand::RngCore;
    let mut salt = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    salt
}

/// A request ready to be stored: every row and both intake leaves are built, sealed and encoded, so that the
/// transaction that stores it does nothing but write. Built by [`Store::prepare_intake`], which needs no
/// database, so callers can prepare on one thread while another writes. Cloned by the group-commit writer
/// (`app::intake::Writer`), which retries each request of a failed group alone.
#[derive(Debug, Clone)]
pub struct PreparedIntake {
    id: String,
    state_key: (String, String, String),
    measure: &'static str,
    urgency: &'static str,
    channel: &'static str,
    recommended: &'static str,
    received: i64,
    due: i64,
    now: i64,
    actor: String,
    /// The request's open keys (`seal::open_key`), sorted, without repeats.
    open_keys: Vec<[u8; 32]>,
    sealed: Vec<u8>,
    leaves: [Vec<u8>; 2],
}

/// The batch's references, sorted, without repeats.
fn batch_references(prepared: &[PreparedIntake]) -> Vec<&str> {
    let mut refs: Vec<&str> = prepared.iter().map(|p| p.state_key.2.as_str()).collect();
    refs.sort_unstable();
    refs.dedup();
    refs
}

/// The batch's open keys, sorted, without repeats.
fn batch_open_keys(prepared: &[PreparedIntake]) -> Vec<[u8; 32]> {
    let mut keys: Vec<[u8; 32]> =
        prepared.iter().flat_map(|p| p.open_keys.iter().copied()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// `existing`'s rows `(state, authority, reference, id)` as a map from the first three to the case id.
fn by_state_key(
    rows: Vec<(String, String, String, String)>,
) -> BTreeMap<(String, String, String), String> {
    rows.into_iter()
        .map(|(state, authority, reference, id)| ((state, authority, reference), id))
        .collect()
}

/// How much of an open key `case_open_keys` holds (migration 0010): 128 bits, so two different keys share a
/// row's key with probability 2^-128 per pair.
const INDEXED: usize = 16;

/// The part of an open key that `case_open_keys` holds.
fn indexed(key: &[u8; 32]) -> &[u8] {
    &key[..INDEXED]
}

/// The earliest open case holding an indexed key: our time of receipt, its `received` leaf (which orders cases
/// taken in within the same second) and its id.
type Earliest = (i64, i64, String);

/// The matches a lookup found, by indexed key, given back under the batch's whole keys (`batch_open_keys`).
fn by_whole_key(
    keys: Vec<[u8; 32]>,
    found: &BTreeMap<Vec<u8>, Earliest>,
) -> BTreeMap<[u8; 32], Earliest> {
    keys.into_iter().filter_map(|k| found.get(indexed(&k)).map(|e| (k, e.clone()))).collect()
}

/// The states a case list reads one by one, each an ordered index range: `None` for every state (no state
/// filter), an empty list when the filters exclude each other.
fn list_states(filter: &Filter) -> Option<Vec<&'static str>> {
    match (filter.state, filter.open_only) {
        (None, false) => None,
        (None, true) => Some(OPEN_STATES.to_vec()),
        (Some(state), true) if !state.is_open() => Some(Vec::new()),
        (Some(state), _) => Some(vec![state.as_str()]),
    }
}

/// A case list's requesting-state filter, as an `AND` clause.
fn push_requesting_state<DB: sqlx::Database>(qb: &mut QueryBuilder<'_, DB>, filter: &Filter)
where
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if let Some(rs) = &filter.requesting_state {
        qb.push(" AND requesting_state = ").push_bind(rs.clone());
    }
}

macro_rules! case_queries {
    ($db:ty, $conn:ty, $ledger:path, $users:path) => {
        use super::*;
        use $ledger as ledger_sql;
        use $users as users_sql;
        use users_sql::account;

        pub(crate) async fn intake(
            conn: &mut $conn,
            prepared: Vec<PreparedIntake>,
        ) -> Result<Vec<Received>, StoreError> {
            let mut out = Vec::with_capacity(prepared.len());
            let stored = existing(conn, &prepared).await?;
            let since = prepared.iter().map(|p| p.now).min().unwrap_or(0) - DUPLICATE_WINDOW_DAYS * 86_400;
            let sharing = open_sharing(conn, &prepared, since).await?;
            let mut in_batch: BTreeMap<(String, String, String), String> = BTreeMap::new();
            // Open keys of the batch's new cases, each with the first case (in batch order) that holds it.
            let mut batch_keys: BTreeMap<[u8; 32], (usize, String)> = BTreeMap::new();
            let mut rows: Vec<(PreparedIntake, Option<String>)> = Vec::new();
            for p in prepared {
                if let Some(id) = in_batch.get(&p.state_key).or_else(|| stored.get(&p.state_key)) {
                    out.push(Received::AlreadyStored { id: id.clone() });
                    continue;
                }
                // The original is the earliest open case sharing a key: a stored one, else an earlier one of
                // this batch.
                let stored_dup = p.open_keys.iter().filter_map(|k| sharing.get(k)).min().map(|(_, _, id)| id.clone());
                let dup = stored_dup.or_else(|| {
                    p.open_keys.iter().filter_map(|k| batch_keys.get(k)).min().map(|(_, id)| id.clone())
                });
                let position = rows.len();
                for k in &p.open_keys {
                    batch_keys.entry(*k).or_insert_with(|| (position, p.id.clone()));
                }
                in_batch.insert(p.state_key.clone(), p.id.clone());
                out.push(Received::New { id: p.id.clone(), duplicate_of: dup.clone() });
                rows.push((p, dup));
            }
            if rows.is_empty() {
                return Ok(out);
            }
            let first_leaf = ledger_sql::tree_size(conn).await?;
            let mut leaves: Vec<Vec<u8>> = Vec::with_capacity(rows.len() * 2);
            for (p, _) in &mut rows {
                leaves.extend(std::mem::take(&mut p.leaves));
            }
            // Row `r`'s leaves are `first_leaf + 2r` (received) and the next (screened).
            let received_leaf = |r: usize| to_i64(first_leaf + 2 * r as u64);
            // Multi-row inserts, chunked below SQLite's bound-parameter limit; the sealed bytes move into them.
            for (n, chunk) in rows.chunks_mut(200).enumerate() {
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO cases (id, requesting_state, authority, reference, measure, urgency, channel, \
                     recommended, state, received_at, due_at, preservation_expires_at, duplicate_of, next_seq, sealed, \
                     open_keys, received_leaf) ",
                );
                qb.push_values(chunk.iter_mut().enumerate(), |mut b, (i, (p, dup))| {
                    b.push_bind(p.id.clone())
                        .push_bind(p.state_key.0.clone())
                        .push_bind(p.state_key.1.clone())
                        .push_bind(p.state_key.2.clone())
                        .push_bind(p.measure)
                        .push_bind(p.urgency)
                        .push_bind(p.channel)
                        .push_bind(p.recommended)
                        .push_bind(CaseState::Screened.as_str())
                        .push_bind(p.received)
                        .push_bind(p.due)
                        .push_bind(None::<i64>)
                        .push_bind(dup.clone())
                        .push_bind(2_i64)
                        .push_bind(std::mem::take(&mut p.sealed))
                        .push_bind(p.open_keys.concat())
                        .push_bind(received_leaf(n * 200 + i));
                });
                qb.build().execute(&mut *conn).await?;
            }
            // Each case's keys are sorted and without repeats (`prepare_intake`), and received leaves are unique.
            let mut keys: Vec<(&[u8; 32], i64, i64)> = rows
                .iter()
                .enumerate()
                .flat_map(|(r, (p, _))| p.open_keys.iter().map(move |k| (k, p.now, received_leaf(r))))
                .collect();
            // In the primary key's order, so that SQLite walks the index's pages once instead of at random.
            keys.sort_unstable();
            remember_open_keys(conn, &keys).await?;
            for (n, chunk) in rows.chunks(100).enumerate() {
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO case_events (case_id, seq, at, event, state, actor, role, leaf_index, detail) ",
                );
                let events: Vec<(usize, &(PreparedIntake, Option<String>), i64)> = chunk
                    .iter()
                    .enumerate()
                    .flat_map(|(i, r)| [(i, r, 0_i64), (i, r, 1_i64)])
                    .collect();
                qb.push_values(events, |mut b, (i, (p, _), seq)| {
                    let (event, state) = if seq == 0 { ("received", "received") } else { ("screened", "screened") };
                    b.push_bind(p.id.clone())
                        .push_bind(seq)
                        .push_bind(p.now)
                        .push_bind(event)
                        .push_bind(state)
                        .push_bind(p.actor.clone())
                        .push_bind(Role::IntakeOfficer.as_str())
                        .push_bind(received_leaf(n * 100 + i) + seq)
                        .push_bind(None::<Vec<u8>>);
                });
                qb.build().execute(&mut *conn).await?;
            }
            ledger_sql::append_at(conn, first_leaf, &leaves).await?;
            Ok(out)
        }

        /// Carries the rows of `case_open_identifiers` (the table before migration 0009) over to
        /// `case_open_keys` and `cases.open_keys`, then drops that table. Run inside one transaction by
        /// [`Store::connect`], so an interrupted upgrade is redone whole on the next connect.
        /// `still_there` counts the old table; checked again under the transaction's lock, since another process
        /// may have finished the upgrade first.
        pub(crate) async fn carry_open_identifiers(conn: &mut $conn, still_there: &str) -> Result<(), StoreError> {
            let (old,): (i64,) = sqlx::query_as(still_there).fetch_one(&mut *conn).await?;
            if old == 0 {
                return Ok(());
            }
            let mut after = (String::new(), Vec::new());
            // The case being gathered and its keys; rows come ordered by case.
            let mut case: Option<(String, Vec<u8>)> = None;
            loop {
                let rows = QueryBuilder::<$db>::new(
                    "SELECT i.ident_key, i.requesting_state, i.authority, i.taken_in_at, i.case_id, c.received_leaf \
                     FROM case_open_identifiers AS i JOIN cases AS c ON c.id = i.case_id \
                     WHERE (i.case_id, i.ident_key) > (",
                )
                .push_bind(after.0.clone())
                .push(", ")
                .push_bind(after.1.clone())
                .push(") ORDER BY i.case_id, i.ident_key LIMIT 10000")
                .build()
                .fetch_all(&mut *conn)
                .await?;
                let mut keys = Vec::with_capacity(rows.len());
                for row in &rows {
                    let ident: Vec<u8> = row.try_get(0)?;
                    let ident = <[u8; 32]>::try_from(ident.as_slice()).map_err(|_| {
                        StoreError::Corrupt("`case_open_identifiers.ident_key` is not 32 bytes".to_owned())
                    })?;
                    let state: String = row.try_get(1)?;
                    let authority: String = row.try_get(2)?;
                    let id: String = row.try_get(4)?;
                    let leaf: i64 = row.try_get(5)?;
                    keys.push((crate::seal::open_key(&ident, &state, &authority), row.try_get::<i64, _>(3)?, leaf, id.clone()));
                    after = (id, ident.to_vec());
                }
                let rows: Vec<(&[u8; 32], i64, i64)> = keys.iter().map(|(k, at, leaf, _)| (k, *at, *leaf)).collect();
                remember_open_keys(conn, &rows).await?;
                for (key, _, _, id) in &keys {
                    if case.as_ref().is_some_and(|(c, _)| c != id) {
                        if let Some((c, gathered)) = case.take() {
                            set_open_keys(conn, &c, &gathered).await?;
                        }
                    }
                    case.get_or_insert_with(|| (id.clone(), Vec::new())).1.extend_from_slice(key);
                }
                if keys.len() < 10_000 {
                    break;
                }
            }
            if let Some((c, gathered)) = case {
                set_open_keys(conn, &c, &gathered).await?;
            }
            sqlx::query("DROP TABLE case_open_identifiers").execute(&mut *conn).await?;
            Ok(())
        }

        /// Sets a case's own copy of its open keys (`cases.open_keys`).
        pub(crate) async fn set_open_keys(conn: &mut $conn, id: &str, keys: &[u8]) -> Result<(), StoreError> {
            QueryBuilder::<$db>::new("UPDATE cases SET open_keys = ")
                .push_bind(keys.to_vec())
                .push(" WHERE id = ")
                .push_bind(id.to_owned())
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// Writes `(open key, our time of receipt, the case's received leaf)` rows to `case_open_keys` (the key's
        /// indexed part), in multi-row inserts.
        pub(crate) async fn remember_open_keys(conn: &mut $conn, keys: &[(&[u8; 32], i64, i64)]) -> Result<(), StoreError> {
            for chunk in keys.chunks(300) {
                let mut qb = QueryBuilder::<$db>::new("INSERT INTO case_open_keys (open_key, taken_in_at, case_leaf) ");
                qb.push_values(chunk, |mut b, (k, at, leaf)| {
                    b.push_bind(indexed(k).to_vec()).push_bind(*at).push_bind(*leaf);
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Deletes an open case's rows from `case_open_keys`: exactly `keys` (its `cases.open_keys`, 32 bytes
        /// each, of which the table holds the indexed part), found by the whole primary key, so the cost does not
        /// depend on how many cases share a key.
        ///
        /// # Errors
        /// [`StoreError::Corrupt`] if `keys` is not whole keys or the table does not hold exactly these rows.
        pub(crate) async fn forget_open_keys(conn: &mut $conn, id: &str, keys: &[u8]) -> Result<(), StoreError> {
            if keys.len() % 32 != 0 {
                return Err(StoreError::Corrupt(format!("`cases.open_keys` of case `{id}` is not whole keys")));
            }
            if keys.is_empty() {
                return Ok(());
            }
            let mut qb =
                QueryBuilder::<$db>::new("DELETE FROM case_open_keys WHERE case_leaf = (SELECT received_leaf FROM cases WHERE id = ");
            qb.push_bind(id.to_owned())
                .push(") AND taken_in_at = (SELECT at FROM case_events WHERE seq = 0 AND case_id = ")
                .push_bind(id.to_owned())
                .push(") AND open_key IN (");
            let mut sep = qb.separated(", ");
            for k in keys.chunks_exact(32) {
                sep.push_bind(k[..INDEXED].to_vec());
            }
            qb.push(")");
            let done = qb.build().execute(&mut *conn).await?;
            if done.rows_affected() != (keys.len() / 32) as u64 {
                return Err(StoreError::Corrupt(format!(
                    "`case_open_keys` does not hold the {} open keys of case `{id}`",
                    keys.len() / 32
                )));
            }
            Ok(())
        }

        /// Refuses an actor whose account does not exist, is disabled, or does not hold the role it acts in.
        async fn check_actor(conn: &mut $conn, actor: &Actor<'_>) -> Result<(), StoreError> {
            match account(conn, actor.name).await? {
                None => Err(StoreError::Account(format!("no account `{}`", actor.name))),
                Some((_, true)) => Err(StoreError::Account(format!("account `{}` is disabled", actor.name))),
                Some((role, false)) if role != actor.role => Err(StoreError::Account(format!(
                    "account `{}` holds the role `{role}`, not `{}`",
                    actor.name, actor.role
                ))),
                Some(_) => Ok(()),
            }
        }

        pub(crate) async fn act(
            conn: &mut $conn,
            desk: &Desk<'_>,
            id: &str,
            actor: &Actor<'_>,
            act: &Act,
            now: OffsetDateTime,
        ) -> Result<CaseState, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT state, recommended, measure, next_seq, sealed, preservation_expires_at, open_keys FROM cases \
                 WHERE id = ",
            )
            .push_bind(id.to_owned())
            .build()
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
            let state_name: String = row.try_get(0)?;
            let recommended: String = row.try_get(1)?;
            let measure: String = row.try_get(2)?;
            let seq: i64 = row.try_get(3)?;
            let sealed: Option<Vec<u8>> = row.try_get(4)?;
            let expires: Option<i64> = row.try_get(5)?;
            let open_keys: Option<Vec<u8>> = row.try_get(6)?;
            let state = CaseState::parse(&state_name)
                .ok_or_else(|| StoreError::Corrupt(format!("case `{id}` has unknown state `{state_name}`")))?;
            let measure = Measure::ALL
                .iter()
                .copied()
                .find(|m| m.as_str() == measure)
                .ok_or_else(|| StoreError::Corrupt(format!("case `{id}` has unknown measure `{measure}`")))?;
            let event = act.event();
            if !actor.role.may(Action::Act(event)) {
                return Err(StoreError::Forbidden { role: actor.role, action: event.as_str() });
            }
            check_actor(conn, actor).await?;
            let next = state.apply(event)?;
            // Opened once: the decision's grant feeds the four-eyes rule and the disclosure check, the salt the
            // leaf's commitment.
            let opened = match &sealed {
                Some(bytes) => Some(open_case(desk.sealer, id, bytes)?),
                None => None,
            };
            let mut meta = BTreeMap::new();
            let mut detail: Option<serde_json::Value> = None;
            let mut decided = false;
            let mut renewed = false;
            match act {
                Act::Decide { resolution, second_approver, reason } => {
                    let recommended = Outcome::ALL
                        .iter()
                        .copied()
                        .find(|o| o.as_str() == recommended)
                        .ok_or_else(|| StoreError::Corrupt(format!("case `{id}` has unknown recommendation")))?;
                    let granted: Vec<Category> = opened
                        .iter()
                        .flat_map(|(_, decision, _)| decision.granted.iter().map(|g| g.category))
                        .collect();
                    let second = second_approver.as_ref().map(SecondApprover::name);
                    let sign = Sign {
                        resolution: *resolution,
                        approver: actor.name,
                        second_approver: second,
                        reason: reason.as_deref(),
                    };
                    let departure = check_four_eyes(recommended, measure, &granted, &sign)?;
                    if let Some(second) = second {
                        // Re-read in this transaction: the account may have been disabled since it confirmed.
                        match account(conn, second).await? {
                            Some((Role::Approver, false)) => {}
                            Some((_, true)) => {
                                return Err(StoreError::Account(format!("second approver `{second}` is disabled")))
                            }
                            _ => {
                                return Err(StoreError::Account(format!(
                                    "second approver `{second}` is not an approver account"
                                )))
                            }
                        }
                    }
                    meta = leaf::decided_meta(*resolution, departure, second.is_some());
                    detail = Some(serde_json::json!({
                        "approver": actor.name,
                        "second_approver": second,
                        "reason": reason,
                        "departure": departure.as_str(),
                    }));
                    decided = true;
                }
                Act::Execute { disclosed } => {
                    let (request, decision, _) = opened.as_ref().ok_or_else(|| {
                        StoreError::Invalid { field: "/disclosed".to_owned(), detail: format!("case `{id}` was purged: its grant cannot be checked") }
                    })?;
                    let request = Request::parse("", request)
                        .map_err(|_| StoreError::Corrupt(format!("the stored request of case `{id}` no longer reads")))?;
                    let scope = disclosure_scope(&request, decision);
                    check_disclosure(&scope, disclosed).map_err(|e| StoreError::Invalid {
                        field: format!("/disclosed/{}/{}", e.index, e.field),
                        detail: e.message,
                    })?;
                    meta = leaf::executed_meta(disclosed);
                    detail = Some(serde_json::json!({ "disclosed": disclosed }));
                }
                Act::RenewPreservation => {
                    if measure != Measure::Preservation {
                        return Err(StoreError::Invalid {
                            field: "/action".to_owned(),
                            detail: format!("case `{id}` is a `{}` request, not a preservation", measure.as_str()),
                        });
                    }
                    let expires = expires.map(from_unix).transpose()?.ok_or_else(|| {
                        StoreError::Corrupt(format!("approved preservation `{id}` has no expiry"))
                    })?;
                    if expires <= now {
                        return Err(StoreError::Invalid {
                            field: "/action".to_owned(),
                            detail: format!(
                                "the preservation of case `{id}` expired on {}: it cannot be renewed, a new request is needed",
                                expires.date()
                            ),
                        });
                    }
                    meta = leaf::renewed_meta(desk.deadlines.preservation_days);
                    renewed = true;
                }
                _ => {}
            }
            // Only closed cases are purged, and a closed case takes no event.
            let commitment = opened
                .map(|(_, _, c)| c)
                .ok_or_else(|| StoreError::Corrupt(format!("open case `{id}` has no sealed data")))?;
            let leaf_index = ledger_sql::tree_size(conn).await?;
            let leaf_bytes = Leaf {
                case: id.to_owned(),
                seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("case `{id}` has a negative event number")))?,
                at: now,
                event: event.as_str().to_owned(),
                state: next,
                commitment,
                meta,
            }
            .encode();
            let detail_sealed = match &detail {
                Some(d) => Some(desk.sealer.seal(&serde_json::to_vec(d).map_err(|e| StoreError::Crypto(e.to_string()))?, id.as_bytes())?),
                None => None,
            };
            let mut qb = QueryBuilder::<$db>::new("UPDATE cases SET state = ");
            qb.push_bind(next.as_str()).push(", next_seq = ").push_bind(seq + 1);
            if decided {
                qb.push(", decided_at = ").push_bind(unix(now));
                let grants = matches!(next, CaseState::Decided(Resolution::Approved | Resolution::ApprovedInPart));
                if grants && measure == Measure::Preservation {
                    qb.push(", preservation_expires_at = ").push_bind(unix(desk.deadlines.preservation_expires(now)));
                }
            }
            if renewed {
                qb.push(", preservation_expires_at = ").push_bind(unix(desk.deadlines.preservation_expires(now)));
            }
            if next == CaseState::Closed {
                qb.push(", closed_at = ").push_bind(unix(now));
            }
            if state.is_open() && !next.is_open() {
                // A case that leaves the open queue can no longer be a duplicate's original: its open keys go.
                if let Some(keys) = &open_keys {
                    forget_open_keys(conn, id, keys).await?;
                }
                qb.push(", open_keys = NULL");
            }
            qb.push(" WHERE id = ").push_bind(id.to_owned()).push(" AND next_seq = ").push_bind(seq);
            let done = qb.build().execute(&mut *conn).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict);
            }
            QueryBuilder::<$db>::new(
                "INSERT INTO case_events (case_id, seq, at, event, state, actor, role, leaf_index, detail) VALUES (",
            )
            .push_bind(id.to_owned())
            .push(", ")
            .push_bind(seq)
            .push(", ")
            .push_bind(unix(now))
            .push(", ")
            .push_bind(event.as_str())
            .push(", ")
            .push_bind(next.as_str())
            .push(", ")
            .push_bind(actor.name.to_owned())
            .push(", ")
            .push_bind(actor.role.as_str())
            .push(", ")
            .push_bind(to_i64(leaf_index))
            .push(", ")
            .push_bind(detail_sealed)
            .push(")")
            .build()
            .execute(&mut *conn)
            .await?;
            ledger_sql::append(conn, &[leaf_bytes]).await?;
            Ok(next)
        }

        pub(crate) async fn summaries(conn: &mut $conn, filter: &Filter) -> Result<Vec<Summary>, StoreError> {
            const COLUMNS: &str = "id, requesting_state, authority, reference, measure, urgency, recommended, state, \
                 received_at, due_at, duplicate_of, purged_at, preservation_expires_at";
            // A literal, so that even a generic plan knows how few rows are wanted.
            let limit = filter.limit.unwrap_or(100);
            let mut qb = QueryBuilder::<$db>::new("");
            if filter.preservations {
                // One range of the partial index `cases_running_preservations`.
                qb.push(format!(
                    "SELECT {COLUMNS} FROM cases WHERE preservation_expires_at IS NOT NULL \
                     AND state IN ('approved', 'approved_in_part', 'executed')"
                ));
                // The state filters narrow the partial index's states; each of `list_states` is one of them.
                match list_states(filter) {
                    Some(states) if states.is_empty() => return Ok(Vec::new()),
                    Some(states) => {
                        qb.push(" AND state IN (");
                        let mut sep = qb.separated(", ");
                        for state in states {
                            sep.push_bind(state);
                        }
                        qb.push(")");
                    }
                    None => {}
                }
                push_requesting_state(&mut qb, filter);
                qb.push(format!(" ORDER BY preservation_expires_at, id LIMIT {limit}"));
            } else {
                match list_states(filter) {
                    // One range of `cases_due`.
                    None => {
                        qb.push(format!("SELECT {COLUMNS} FROM cases WHERE 1 = 1"));
                        push_requesting_state(&mut qb, filter);
                    }
                    Some(states) if states.is_empty() => return Ok(Vec::new()),
                    // The first `limit` of each state, one range of `cases_state_due` each, merged.
                    Some(states) => {
                        qb.push(format!("SELECT {COLUMNS} FROM ("));
                        for (i, state) in states.iter().enumerate() {
                            if i > 0 {
                                qb.push(" UNION ALL ");
                            }
                            qb.push(format!("SELECT * FROM (SELECT {COLUMNS} FROM cases WHERE state = "));
                            qb.push_bind(*state);
                            push_requesting_state(&mut qb, filter);
                            qb.push(format!(" ORDER BY due_at, id LIMIT {limit}) AS s{i}"));
                        }
                        qb.push(") AS q");
                    }
                }
                qb.push(format!(" ORDER BY due_at, id LIMIT {limit}"));
            }
            let rows = qb.build().fetch_all(&mut *conn).await?;
            rows.iter().map(summary_row).collect()
        }

        pub(crate) async fn view(conn: &mut $conn, sealer: &Sealer, id: &str) -> Result<CaseView, StoreError> {
            let row = QueryBuilder::<$db>::new(
                "SELECT id, requesting_state, authority, reference, measure, urgency, recommended, state, \
                 received_at, due_at, duplicate_of, purged_at, preservation_expires_at, sealed FROM cases WHERE id = ",
            )
            .push_bind(id.to_owned())
            .build()
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
            let summary = summary_row(&row)?;
            let sealed: Option<Vec<u8>> = row.try_get(13)?;
            let (request, decision) = match sealed {
                Some(bytes) => {
                    let (request, decision, _) = open_case(sealer, id, &bytes)?;
                    (Some(request), Some(decision))
                }
                None => (None, None),
            };
            let rows = QueryBuilder::<$db>::new(
                "SELECT seq, at, event, state, actor, role, leaf_index, detail FROM case_events WHERE case_id = ",
            )
            .push_bind(id.to_owned())
            .push(" ORDER BY seq")
            .build()
            .fetch_all(&mut *conn)
            .await?;
            let mut timeline = Vec::with_capacity(rows.len());
            for r in &rows {
                let detail: Option<Vec<u8>> = r.try_get(7)?;
                let detail = match detail {
                    Some(b) => Some(
                        serde_json::from_slice(&sealer.open(&b, id.as_bytes())?)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    ),
                    None => None,
                };
                timeline.push(TimelineEntry {
                    seq: non_negative(r.try_get(0)?, "case_events.seq")?,
                    at: from_unix(r.try_get(1)?)?,
                    event: r.try_get(2)?,
                    state: r.try_get(3)?,
                    actor: r.try_get(4)?,
                    role: r.try_get(5)?,
                    leaf_index: non_negative(r.try_get(6)?, "case_events.leaf_index")?,
                    detail,
                });
            }
            Ok(CaseView { summary, request, decision, timeline })
        }

        pub(crate) async fn leaf_indices(conn: &mut $conn, id: &str) -> Result<Vec<u64>, StoreError> {
            let rows = QueryBuilder::<$db>::new(
                "SELECT e.leaf_index FROM cases c LEFT JOIN case_events e ON e.case_id = c.id WHERE c.id = ",
            )
            .push_bind(id.to_owned())
            .push(" ORDER BY e.seq")
            .build()
            .fetch_all(&mut *conn)
            .await?;
            if rows.is_empty() {
                return Err(StoreError::NotFound);
            }
            let mut indices = Vec::with_capacity(rows.len());
            for r in &rows {
                let index: Option<i64> = r.try_get(0)?;
                if let Some(index) = index {
                    indices.push(non_negative(index, "case_events.leaf_index")?);
                }
            }
            Ok(indices)
        }

        pub(crate) async fn purge(conn: &mut $conn, before: OffsetDateTime, now: OffsetDateTime) -> Result<u64, StoreError> {
            // Only the events of cases this run purges: those purged before have no details left, and rewriting
            // them on every run wrote every closed case's events again.
            QueryBuilder::<$db>::new(
                "UPDATE case_events SET detail = NULL WHERE detail IS NOT NULL AND case_id IN (SELECT id FROM cases \
                 WHERE state = 'closed' AND sealed IS NOT NULL AND closed_at < ",
            )
            .push_bind(unix(before))
            .push(")")
            .build()
            .execute(&mut *conn)
            .await?;
            let done = QueryBuilder::<$db>::new("UPDATE cases SET sealed = NULL, purged_at = ")
                .push_bind(unix(now))
                .push(" WHERE state = 'closed' AND sealed IS NOT NULL AND closed_at < ")
                .push_bind(unix(before))
                .build()
                .execute(&mut *conn)
                .await?;
            Ok(done.rows_affected())
        }

        pub(crate) async fn count(conn: &mut $conn) -> Result<u64, StoreError> {
            // Kept by a trigger as cases are inserted (migration 0013); cases are never deleted.
            let row = sqlx::query("SELECT cases FROM case_count WHERE one = 1").fetch_one(&mut *conn).await?;
            non_negative(row.try_get(0)?, "case_count.cases")
        }

        fn summary_row(row: &<$db as sqlx::Database>::Row) -> Result<Summary, StoreError> {
            let state: String = row.try_get(7)?;
            Ok(Summary {
                id: row.try_get(0)?,
                requesting_state: row.try_get(1)?,
                authority: row.try_get(2)?,
                reference: row.try_get(3)?,
                measure: row.try_get(4)?,
                urgency: row.try_get(5)?,
                recommended: row.try_get(6)?,
                state: CaseState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("unknown state `{state}`")))?,
                received_at: from_unix(row.try_get(8)?)?,
                due_at: from_unix(row.try_get(9)?)?,
                preservation_expires_at: row.try_get::<Option<i64>, _>(12)?.map(from_unix).transpose()?,
                duplicate_of: row.try_get(10)?,
                purged: row.try_get::<Option<i64>, _>(11)?.is_some(),
            })
        }
    };
}

fn non_negative(n: i64, column: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("`{column}` is negative (`{n}`)")))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Opens a sealed case: request bytes, decision, commitment.
fn open_case(
    sealer: &Sealer,
    id: &str,
    bytes: &[u8],
) -> Result<(Vec<u8>, Decision, String), StoreError> {
    let case = crate::seal::OpenedCase::read(id, &sealer.open(bytes, id.as_bytes())?)?;
    let decision: Decision = serde_json::from_slice(&case.decision)
        .map_err(|e| StoreError::Corrupt(format!("sealed case `{id}`: decision: {e}")))?;
    let c = commitment(&case.salt, &case.request);
    Ok((case.request, decision, c))
}

pub(crate) mod sqlite {
    case_queries!(
        sqlx::Sqlite,
        sqlx::SqliteConnection,
        crate::ledger::sqlite,
        crate::users::sqlite
    );

    /// The stored cases among the batch's (state, authority, reference) keys: one lookup in the unique index
    /// (reference first) per reference of a JSON array. The statement's text is the same for every batch, so each
    /// connection prepares it once; a statement written out per batch size was parsed and planned again for
    /// nearly every group the server commits.
    pub(super) async fn existing(
        conn: &mut sqlx::SqliteConnection,
        prepared: &[PreparedIntake],
    ) -> Result<BTreeMap<(String, String, String), String>, StoreError> {
        let refs = serde_json::Value::from(batch_references(prepared)).to_string();
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT requesting_state, authority, reference, id FROM cases \
             WHERE reference IN (SELECT value FROM json_each(?1))",
        )
        .bind(refs)
        .fetch_all(&mut *conn)
        .await?;
        Ok(by_state_key(rows))
    }

    /// For each open key of the batch, the earliest open case (our time of receipt, then its received leaf) taken
    /// in within the window that holds it. One index seek per key (`LIMIT 1` on the primary key's order), so the
    /// cost follows the batch alone: neither the open queue nor how many open cases share a popular identifier.
    /// The keys go in as one JSON array of hex strings, so the statement's text never changes and each
    /// connection prepares it once (SQLite has no `LATERAL`; the two scalar subqueries seek the same first row),
    /// and the matches come back as one JSON row: every row streamed from SQLite's connection thread is a hand-off
    /// between threads, which measured half this lookup's time in a server-sized group.
    pub(super) async fn open_sharing(
        conn: &mut sqlx::SqliteConnection,
        prepared: &[PreparedIntake],
        since: i64,
    ) -> Result<BTreeMap<[u8; 32], Earliest>, StoreError> {
        let batch = batch_open_keys(prepared);
        let keys: Vec<String> = batch.iter().map(|k| hex::encode(indexed(k))).collect();
        let keys = serde_json::Value::from(keys).to_string();
        let (found,): (String,) = sqlx::query_as(
            "SELECT json_group_array(json_array(m.hex, m.at, m.leaf, (SELECT id FROM cases WHERE received_leaf = m.leaf))) \
             FROM (SELECT k.hex AS hex, \
             (SELECT taken_in_at FROM case_open_keys WHERE open_key = k.key AND taken_in_at >= ?2 \
              ORDER BY taken_in_at, case_leaf LIMIT 1) AS at, \
             (SELECT case_leaf FROM case_open_keys WHERE open_key = k.key AND taken_in_at >= ?2 \
              ORDER BY taken_in_at, case_leaf LIMIT 1) AS leaf \
             FROM (SELECT value AS hex, unhex(value) AS key FROM json_each(?1)) AS k) AS m \
             WHERE m.leaf IS NOT NULL",
        )
        .bind(keys)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
        let found: Vec<(String, i64, i64, String)> = serde_json::from_str(&found)
            .map_err(|e| StoreError::Corrupt(format!("open keys found: {e}")))?;
        let mut earliest = BTreeMap::new();
        for (key, at, leaf, id) in found {
            let key = hex::decode(&key)
                .map_err(|_| StoreError::Corrupt("open key found is not hex".to_owned()))?;
            earliest.insert(key, (at, leaf, id));
        }
        Ok(by_whole_key(batch, &earliest))
    }
}

pub(crate) mod postgres {
    case_queries!(
        sqlx::Postgres,
        sqlx::PgConnection,
        crate::ledger::postgres,
        crate::users::postgres
    );

    /// The start of an intake transaction, in one round trip (several statements, no parameters): the ledger's
    /// lock, then planner settings for the rest of the transaction: every lookup of intake is an index probe per
    /// reference or key, and nothing else is planned. Without statistics (a store filled faster than autovacuum
    /// analyzes it, or autovacuum off) PostgreSQL's generic plan for the reference lookup was a hash join over a
    /// scan of every case: 280 ms per group at a million cases, and server intake fell from 2,552 to 68 req/s.
    /// The same missing statistics estimate thousands of rows per reference, a cost above `jit_above_cost`, so
    /// every lookup was also compiled (20–60 ms): JIT is off too. Plans are cached per connection, and intake's
    /// statements run only inside intake transactions, so their cached plans are all made under these settings.
    pub(super) const LOCKED_FOR_INTAKE: &str = "LOCK TABLE ledger_leaves IN EXCLUSIVE MODE; \
         SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; \
         SET LOCAL jit = off";

    /// [`sqlite::existing`] as a `LATERAL` lookup per reference of an array: an index seek each, whatever the
    /// planner's statistics say (a store filled faster than autovacuum analyzes it had its `IN` lists planned as
    /// scans of every case).
    pub(super) async fn existing(
        conn: &mut sqlx::PgConnection,
        prepared: &[PreparedIntake],
    ) -> Result<BTreeMap<(String, String, String), String>, StoreError> {
        let refs: Vec<String> = batch_references(prepared).into_iter().map(str::to_owned).collect();
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT c.requesting_state, c.authority, c.reference, c.id FROM unnest($1::text[]) AS r(reference) \
             CROSS JOIN LATERAL (SELECT requesting_state, authority, reference, id FROM cases \
             WHERE reference = r.reference) AS c",
        )
        .bind(refs)
        .fetch_all(&mut *conn)
        .await?;
        Ok(by_state_key(rows))
    }

    /// [`sqlite::open_sharing`] in one prepared statement: a `LATERAL` subquery with `LIMIT 1` per key of an array.
    pub(super) async fn open_sharing(
        conn: &mut sqlx::PgConnection,
        prepared: &[PreparedIntake],
        since: i64,
    ) -> Result<BTreeMap<[u8; 32], Earliest>, StoreError> {
        let batch = batch_open_keys(prepared);
        let keys: Vec<Vec<u8>> = batch.iter().map(|k| indexed(k).to_vec()).collect();
        let rows: Vec<(Vec<u8>, i64, i64, String)> = sqlx::query_as(
            "SELECT k.open_key, o.taken_in_at, o.case_leaf, c.id FROM unnest($1::bytea[]) AS k(open_key) \
             CROSS JOIN LATERAL (SELECT taken_in_at, case_leaf FROM case_open_keys \
             WHERE open_key = k.open_key AND taken_in_at >= $2 ORDER BY taken_in_at, case_leaf LIMIT 1) AS o \
             JOIN cases AS c ON c.received_leaf = o.case_leaf",
        )
        .bind(keys)
        .bind(since)
        .fetch_all(&mut *conn)
        .await?;
        let found = rows.into_iter().map(|(key, at, leaf, id)| (key, (at, leaf, id))).collect();
        Ok(by_whole_key(batch, &found))
    }
}

impl Store {
    /// Completes migration 0009 on a store that still has `case_open_identifiers`: carries its rows over to
    /// `case_open_keys` in one transaction and drops it. On a store without it (every open after the first), one
    /// catalogue read and no lock, so opening a store never stalls the writers of other processes.
    pub(crate) async fn carry_open_identifiers(&self) -> Result<(), StoreError> {
        const SQLITE_OLD: &str =
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'case_open_identifiers'";
        const POSTGRES_OLD: &str = "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'case_open_identifiers'";
        match &self.backend {
            Backend::Sqlite(pool) => {
                let (old,): (i64,) = sqlx::query_as(SQLITE_OLD).fetch_one(pool).await?;
                if old > 0 {
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    sqlite::carry_open_identifiers(&mut tx, SQLITE_OLD).await?;
                    tx.commit().await?;
                }
            }
            Backend::Postgres(pool) => {
                let (old,): (i64,) = sqlx::query_as(POSTGRES_OLD).fetch_one(pool).await?;
                if old > 0 {
                    let mut tx = pool.begin().await?;
                    sqlx::query("LOCK TABLE cases IN EXCLUSIVE MODE").execute(&mut *tx).await?;
                    postgres::carry_open_identifiers(&mut tx, POSTGRES_OLD).await?;
                    tx.commit().await?;
                }
            }
        }
        Ok(())
    }

    /// Takes in a batch of screened requests in one transaction; see [`Store::intake_prepared`].
    ///
    /// # Errors
    /// A database or sealing error; nothing of the batch is written then.
    pub async fn intake(
        &self,
        sealer: &Sealer,
        batch: &[Intake<'_>],
    ) -> Result<Vec<Received>, StoreError> {
        let prepared = batch
            .iter()
            .enumerate()
            .map(|(position, i)| Self::prepare_intake(sealer, i, position))
            .collect::<Result<_, _>>()?;
        self.intake_prepared(prepared).await
    }

    /// Seals and encodes one request for [`Store::intake_prepared`]; needs no database, so callers can prepare
    /// on one thread while another writes. `position` is the request's place in its batch (it orders case ids
    /// taken in within the same second).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] if the reference or the authority's name holds U+0000, which PostgreSQL's text
    /// cannot keep: refused here, for one request and on both backends, rather than inside a group commit, where
    /// it would fail every request of the group. [`StoreError::Crypto`] if sealing fails.
    pub fn prepare_intake(
        sealer: &Sealer,
        i: &Intake<'_>,
        position: usize,
    ) -> Result<PreparedIntake, StoreError> {
        let clear = [
            ("/reference", &i.request.reference),
            ("/requesting/authority", &i.request.requesting.authority),
        ];
        if let Some((field, _)) = clear.iter().find(|(_, text)| text.contains('\0')) {
            return Err(StoreError::Invalid {
                field: (*field).to_owned(),
                detail: "holds U+0000 (NUL), which the store cannot keep as text; expected text without it".to_owned(),
            });
        }
        let id = new_case_id(i.now, position);
        let salt = new_salt();
        let open_keys = sealer.open_keys(i.request);
        let commitment = commitment(&salt, i.bytes);
        let leaf = |seq: u64, event: &str, state: CaseState, meta| {
            Leaf {
                case: id.clone(),
                seq,
                at: i.now,
                event: event.into(),
                state,
                commitment: commitment.clone(),
                meta,
            }
            .encode()
        };
        let leaves = [
            leaf(
                0,
                "received",
                CaseState::Received,
                leaf::received_meta(i.request, i.offence_sections),
            ),
            leaf(1, "screened", CaseState::Screened, leaf::screened_meta(i.decision)),
        ];
        Ok(PreparedIntake {
            sealed: sealed_case(sealer, &id, i, &salt)?,
            state_key: (
                i.request.requesting.state.clone(),
                i.request.requesting.authority.clone(),
                i.request.reference.clone(),
            ),
            measure: i.request.measure.as_str(),
            urgency: i.request.urgency.as_str(),
            channel: i.request.channel.as_str(),
            recommended: i.decision.outcome.as_str(),
            received: unix(i.request.received),
            due: unix(i.deadlines.due(i.request.urgency, i.now)),
            now: unix(i.now),
            actor: i.actor.to_owned(),
            open_keys,
            leaves,
            id,
        })
    }

    /// Stores prepared requests in one transaction: new cases, their identifiers' keyed hashes, their
    /// `received` and `screened` events, and two ledger leaves per case. References already stored (per
    /// requesting state and authority) are skipped, which makes bulk intake resumable.
    ///
    /// # Errors
    /// A database error; nothing of the batch is written then.
    pub async fn intake_prepared(
        &self,
        prepared: Vec<PreparedIntake>,
    ) -> Result<Vec<Received>, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = sqlite::intake(&mut tx, prepared).await?;
                tx.commit().await?;
                Ok(out)
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::Executor::execute(&mut *tx, postgres::LOCKED_FOR_INTAKE).await?;
                let out = postgres::intake(&mut tx, prepared).await?;
                tx.commit().await?;
                Ok(out)
            }
        }
    }

    /// Applies a person's action to a case, with its ledger leaf, in one transaction.
    ///
    /// Enforced here, whoever calls: the actor's account exists, is enabled and holds the role it acts in; the
    /// role may take the action; the case's state allows it; the four-eyes rule, with a second approver that is
    /// another enabled approver account confirmed by its own password; a disclosure lies within the grant;
    /// preservation expiry and renewal follow the policy's deadlines.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Forbidden`] (the role may not do this), [`StoreError::Account`],
    /// [`StoreError::Transition`] (not allowed in the case's state), [`StoreError::FourEyes`],
    /// [`StoreError::Invalid`] (a field of the action, such as a disclosure outside the grant), or a database
    /// error. Nothing is written then.
    pub async fn act(
        &self,
        desk: &Desk<'_>,
        id: &str,
        actor: &Actor<'_>,
        act: &Act,
        now: OffsetDateTime,
    ) -> Result<CaseState, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let state = sqlite::act(&mut tx, desk, id, actor, act, now).await?;
                tx.commit().await?;
                Ok(state)
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("LOCK TABLE ledger_leaves IN EXCLUSIVE MODE").execute(&mut *tx).await?;
                let state = postgres::act(&mut tx, desk, id, actor, act, now).await?;
                tx.commit().await?;
                Ok(state)
            }
        }
    }

    /// Lists cases (non-personal columns), earliest due first.
    ///
    /// # Errors
    /// A database error.
    pub async fn cases(&self, filter: &Filter) -> Result<Vec<Summary>, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::summaries(&mut *pool.acquire().await?, filter).await,
            Backend::Postgres(pool) => {
                postgres::summaries(&mut *pool.acquire().await?, filter).await
            }
        }
    }

    /// One case with its personal data opened and its timeline.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], a sealing error (wrong key), or a database error.
    pub async fn case(&self, sealer: &Sealer, id: &str) -> Result<CaseView, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::view(&mut *pool.acquire().await?, sealer, id).await,
            Backend::Postgres(pool) => {
                postgres::view(&mut *pool.acquire().await?, sealer, id).await
            }
        }
    }

    /// The ledger leaves that record a case's events, in event order: what an oversight body may see of a case
    /// (leaves hold no personal data), without opening its sealed request.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such case, or a database error.
    pub async fn case_leaves(&self, id: &str) -> Result<Vec<u64>, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::leaf_indices(&mut *pool.acquire().await?, id).await,
            Backend::Postgres(pool) => {
                postgres::leaf_indices(&mut *pool.acquire().await?, id).await
            }
        }
    }

    /// Deletes the personal data of cases closed before `before`; the ledger and the statistics stay intact.
    /// Returns how many cases were purged.
    ///
    /// # Errors
    /// A database error; nothing is purged then.
    pub async fn purge(
        &self,
        before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let n = sqlite::purge(&mut tx, before, now).await?;
                tx.commit().await?;
                Ok(n)
            }
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let n = postgres::purge(&mut tx, before, now).await?;
                tx.commit().await?;
                Ok(n)
            }
        }
    }

    /// The number of cases: one row the database keeps as cases are inserted, so the cost does not grow with the
    /// store.
    ///
    /// # Errors
    /// A database error.
    pub async fn case_count(&self) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlite::count(&mut *pool.acquire().await?).await,
            Backend::Postgres(pool) => postgres::count(&mut *pool.acquire().await?).await,
        }
    }
}
