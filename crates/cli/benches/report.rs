//! Benchmark of issue 7: the full transparency report over N generated cases by `domain::stats::Aggregator`,
//! beside the same aggregation by SQLite `GROUP BY` queries over a table of the same cases, in one run; then
//! the cost of reading leaf bytes (decode and aggregate) on a smaller ledger.
//!
//! Run: `cargo bench -p cli --bench report -- [CASES] [LEAF_CASES]` (defaults 10 000 000 and 1 000 000).
#![allow(clippy::print_stdout, reason = "a benchmark reports its figures on stdout")]

use std::fmt::Write as _;
use std::time::Instant;

use domain::case::{CaseState, Departure, Resolution};
use domain::leaf::{decided_meta, Leaf};
use domain::stats::{Aggregator, CaseEvent, Intake, Period, Report};
use domain::vocab::{Channel, Measure, Outcome, Urgency};
use domain::Day;
use serde_json::{json, Value};
use sqlx::{Connection as _, Row as _};

const STATES: [&str; 26] = [
    "AE", "BH", "BR", "BY", "CN", "DE", "EG", "ET", "FR", "GB", "IN", "IR", "JP", "KE", "KZ", "MY",
    "NG", "NL", "PK", "RU", "SA", "TH", "UG", "US", "VN", "ZA",
];
const SECTIONS: [&str; 11] = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"];
const GROUNDS: [&str; 8] = [
    "dual-criminality",
    "political-offence",
    "death-penalty",
    "protected-activity",
    "non-discrimination",
    "proportionality-data",
    "ne-bis-in-idem",
    "fair-trial",
];
const DAYS: i64 = 181;
const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// Everything the leaves of case `i` say, derived from `i` alone.
#[derive(Debug, Clone, Copy)]
struct Case {
    at: i64,
    day: usize,
    state: usize,
    measure: usize,
    channel: usize,
    urgency: usize,
    categories: u8,
    sections: [usize; 2],
    identifiers: u64,
    recommendation: usize,
    ground: Option<usize>,
    resolution: Option<Resolution>,
    departure: Departure,
    delay_days: i64,
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn case(i: u64, n: u64) -> Case {
    let r = mix(i);
    let at = START + (i128::from(i) * i128::from(DAYS * 86_400) / i128::from(n.max(1))) as i64;
    let recommendation = (r >> 20) as usize % 5;
    let resolution = match (r >> 24) % 20 {
        0 => None,
        1 => Some(Resolution::Withdrawn),
        2..=4 => Some(Resolution::Refused),
        5..=7 => Some(Resolution::ApprovedInPart),
        _ => Some(Resolution::Approved),
    };
    Case {
        at,
        day: ((at - START) / 86_400) as usize,
        state: (r % 26) as usize,
        measure: (r >> 8) as usize % 6,
        channel: (r >> 12) as usize % 4,
        urgency: if (r >> 14) % 20 == 0 { 2 } else { (r >> 16) as usize % 2 },
        categories: 1 + ((r >> 18) % 7) as u8,
        sections: [(r >> 32) as usize % 11, (r >> 36) as usize % 11],
        identifiers: 1 + (r >> 40) % 5,
        recommendation,
        ground: (Outcome::ALL[recommendation] == Outcome::Refuse).then_some((r >> 44) as usize % 8),
        resolution,
        departure: resolution
            .map_or(Departure::None, |d| domain::case::departure(Outcome::ALL[recommendation], d)),
        delay_days: ((r >> 48) % 60) as i64,
    }
}

fn case_id(buf: &mut String, i: u64) -> &str {
    buf.clear();
    let _ = write!(buf, "c-{i:010}");
    buf
}

/// Streams the events of `n` cases in time order: each case is decided `n / 20` cases after its receipt.
fn for_each_event(n: u64, days: &[Day], mut f: impl FnMut(u64, &Case, i64, &CaseEvent<'_>)) {
    let lag = (n / 20).max(1);
    let decide = |j: u64, f: &mut dyn FnMut(u64, &Case, i64, &CaseEvent<'_>)| {
        let c = case(j, n);
        if let Some(resolution) = c.resolution {
            let at = c.at + lag as i64 * DAYS * 86_400 / n as i64 + c.delay_days * 86_400;
            f(j, &c, at, &CaseEvent::Decided { resolution, departure: c.departure });
        }
    };
    for i in 0..n {
        let c = case(i, n);
        let intake = Intake {
            received_day: days[c.day.min(days.len() - 1)],
            requesting_state: STATES[c.state],
            measure: Measure::ALL[c.measure],
            channel: Channel::ALL[c.channel],
            urgency: Urgency::ALL[c.urgency],
            categories: c.categories,
            sections: c.sections.iter().map(|s| SECTIONS[*s]).collect(),
            identifiers: c.identifiers,
        };
        f(i, &c, c.at, &CaseEvent::Received(intake));
        let grounds: Vec<&str> = c.ground.map(|g| GROUNDS[g]).into_iter().collect();
        f(
            i,
            &c,
            c.at,
            &CaseEvent::Screened {
                outcome: Outcome::ALL[c.recommendation],
                refusal_grounds: grounds,
            },
        );
        if i >= lag {
            decide(i - lag, &mut f);
        }
    }
    for j in n.saturating_sub(lag)..n {
        decide(j, &mut f);
    }
}

fn period() -> (Period, Vec<Day>) {
    let from = Day::parse("2026-01-01").unwrap();
    let days: Vec<Day> = (0..DAYS).map(|d| from.plus_days(d)).collect();
    (Period::half_year(from), days)
}

fn aggregate(n: u64) -> (Report, usize) {
    let (period, days) = period();
    let mut agg = Aggregator::new(period);
    let mut peak = 0;
    let mut buf = String::new();
    for_each_event(n, &days, |i, _, at, event| {
        agg.push_event(case_id(&mut buf, i), at, event).unwrap();
        peak = peak.max(agg.open_cases());
    });
    (agg.finish(), peak)
}

fn generate_only(n: u64) -> u64 {
    let (_, days) = period();
    let mut buf = String::new();
    let mut sum = 0u64;
    for_each_event(n, &days, |i, c, at, _| {
        sum = sum.wrapping_add(case_id(&mut buf, i).len() as u64 + c.identifiers + at as u64);
    });
    sum
}

fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l[6..].trim().to_owned()))
        .unwrap_or_else(|| "unknown".to_owned())
}

async fn sqlite(n: u64) -> (f64, f64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for pragma in
        ["PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF", "PRAGMA cache_size = -262144"]
    {
        sqlx::query(pragma).execute(&mut db).await.unwrap();
    }
    sqlx::query(
        "CREATE TABLE cases (id TEXT NOT NULL, received_day TEXT NOT NULL, requesting_state TEXT NOT NULL, \
         measure TEXT NOT NULL, channel TEXT NOT NULL, urgency TEXT NOT NULL, categories INTEGER NOT NULL, \
         sections INTEGER NOT NULL, identifiers INTEGER NOT NULL, recommendation TEXT NOT NULL, \
         grounds INTEGER NOT NULL, outcome TEXT NOT NULL, departure TEXT, days INTEGER)",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let load = Instant::now();
    let (_, days) = period();
    let mut tx = db.begin().await.unwrap();
    let mut rows: Vec<(String, Case)> = Vec::with_capacity(1000);
    let mut buf = String::new();
    let lag = (n / 20).max(1);
    for i in 0..n {
        rows.push((case_id(&mut buf, i).to_owned(), case(i, n)));
        if rows.len() == 1000 || i + 1 == n {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO cases (id, received_day, requesting_state, measure, channel, urgency, categories, \
                 sections, identifiers, recommendation, grounds, outcome, departure, days) ",
            );
            q.push_values(rows.drain(..), |mut b, (id, c)| {
                let decided = lag as i64 * DAYS * 86_400 / n as i64 + c.delay_days * 86_400;
                let sections = c.sections.iter().fold(0i64, |m, s| m | 1 << s);
                b.push_bind(id)
                    .push_bind(days[c.day.min(days.len() - 1)].to_string())
                    .push_bind(STATES[c.state])
                    .push_bind(Measure::ALL[c.measure].as_str())
                    .push_bind(Channel::ALL[c.channel].as_str())
                    .push_bind(Urgency::ALL[c.urgency].as_str())
                    .push_bind(i64::from(c.categories))
                    .push_bind(sections)
                    .push_bind(c.identifiers as i64)
                    .push_bind(Outcome::ALL[c.recommendation].as_str())
                    .push_bind(c.ground.map_or(0i64, |g| 1 << g))
                    .push_bind(c.resolution.map_or("pending", Resolution::as_str))
                    .push_bind(c.resolution.map(|_| c.departure.as_str()))
                    .push_bind(c.resolution.map(|_| decided / 86_400));
            });
            q.build().execute(&mut *tx).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    let load = load.elapsed().as_secs_f64();
    let where_ = "WHERE received_day BETWEEN '2026-01-01' AND '2026-06-30'";
    let bits = |col: &str, n: usize| {
        (0..n).map(|b| format!("SUM(({col} >> {b}) & 1)")).collect::<Vec<_>>().join(", ")
    };
    let queries = [
        format!("SELECT outcome, COUNT(*) FROM cases {where_} GROUP BY outcome"),
        format!("SELECT recommendation, outcome, COUNT(*) FROM cases {where_} GROUP BY 1, 2"),
        format!("SELECT departure, outcome, COUNT(*) FROM cases {where_} AND outcome <> 'pending' GROUP BY 1, 2"),
        format!("SELECT {}, SUM(grounds = 0) FROM cases {where_} AND outcome = 'refused'", bits("grounds", 8)),
        format!("SELECT requesting_state, outcome, COUNT(*) FROM cases {where_} GROUP BY 1, 2"),
        format!("SELECT measure, outcome, COUNT(*) FROM cases {where_} GROUP BY 1, 2"),
        format!("SELECT outcome, {} FROM cases {where_} GROUP BY 1", bits("categories", 3)),
        format!("SELECT outcome, {} FROM cases {where_} GROUP BY 1", bits("sections", 11)),
        format!("SELECT urgency, outcome, COUNT(*) FROM cases {where_} GROUP BY 1, 2"),
        format!("SELECT channel, outcome, COUNT(*) FROM cases {where_} GROUP BY 1, 2"),
        format!("SELECT SUM(identifiers) FROM cases {where_}"),
        format!("SELECT days, COUNT(*) FROM cases {where_} AND outcome <> 'pending' GROUP BY 1"),
    ];
    let t = Instant::now();
    let mut pending = 0u64;
    for (qi, q) in queries.iter().enumerate() {
        let rows = sqlx::query(q).fetch_all(&mut db).await.unwrap();
        if qi == 0 {
            for r in &rows {
                if r.get::<String, _>(0) == "pending" {
                    pending = r.get::<i64, _>(1) as u64;
                }
            }
        }
    }
    (load, t.elapsed().as_secs_f64(), pending)
}

/// What reading `n` cases' leaves costs: (seconds through `Tally::push_all`, seconds of the floor, leaves,
/// leaf bytes).
fn leaves(n: u64) -> (f64, f64, u64, u64) {
    let (period, days) = period();
    let mut tally = app::report::Tally::new(period);
    let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(100_000);
    let mut timed = 0.0;
    let mut count = 0u64;
    let mut bytes = 0u64;
    let mut buf = String::new();
    // The floor: what no reading of these leaves can avoid, hashing each into the Merkle frontier (one thread).
    let mut frontier = ledger::Frontier::new();
    let mut floor = 0.0;
    // The same path as `rightsgate report` and the public page: decode, count, hash into the frontier.
    let mut flush = |chunk: &mut Vec<Vec<u8>>, tally: &mut app::report::Tally| {
        let t = Instant::now();
        for leaf in chunk.iter() {
            frontier.push(ledger::leaf_hash(leaf), |_, _| {});
        }
        floor += t.elapsed().as_secs_f64();
        bytes += chunk.iter().map(|l| l.len() as u64).sum::<u64>();
        let t = Instant::now();
        tally.push_all(chunk).unwrap();
        chunk.clear();
        timed += t.elapsed().as_secs_f64();
    };
    for_each_event(n, &days, |i, c, at, event| {
        let at = time::OffsetDateTime::from_unix_timestamp(at).unwrap();
        let (name, state, meta) = match event {
            CaseEvent::Received(intake) => {
                let categories: Vec<&str> = domain::vocab::Category::ALL
                    .iter()
                    .enumerate()
                    .filter(|(b, _)| intake.categories >> b & 1 == 1)
                    .map(|(_, c)| c.as_str())
                    .collect();
                let meta: Value = json!({
                    "requesting_state": intake.requesting_state, "requested_state": "NL", "authority_type": "court",
                    "channel": intake.channel.as_str(), "instrument": "uncc", "measure": intake.measure.as_str(),
                    "uncc_article": intake.measure.uncc_article(), "categories": categories,
                    "identifiers": intake.identifiers, "offence_sections": intake.sections, "urgency": intake.urgency.as_str(),
                    "received_day": intake.received_day.to_string(),
                });
                ("received".to_owned(), CaseState::Received, meta)
            }
            CaseEvent::Screened { outcome, refusal_grounds } => (
                "screened".to_owned(),
                CaseState::Screened,
                json!({"outcome": outcome.as_str(), "rules": refusal_grounds, "refusal_grounds": refusal_grounds}),
            ),
            CaseEvent::Decided { resolution, departure } => (
                format!("decided_{}", resolution.as_str()),
                CaseState::Decided(*resolution),
                Value::Object(decided_meta(*resolution, *departure, false).into_iter().collect()),
            ),
            CaseEvent::Other => return,
        };
        let leaf = Leaf {
            case: case_id(&mut buf, i).to_owned(),
            seq: 0,
            at,
            event: name,
            state,
            commitment: "00".repeat(32),
            meta: meta.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        };
        let _ = c;
        chunk.push(leaf.encode());
        count += 1;
        if chunk.len() == 100_000 {
            flush(&mut chunk, &mut tally);
        }
    });
    flush(&mut chunk, &mut tally);
    // What a report that takes up a kept tally adds to reading the new leaves: writing the tally's kept form
    // and reading it back.
    let t = Instant::now();
    let kept = tally.to_kept();
    let write = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let back = app::report::Tally::from_kept(&kept).unwrap();
    let read = t.elapsed().as_secs_f64();
    println!(
        "kept tally: {} bytes ({} open cases), written in {write:.3} s, read back in {read:.3} s",
        kept.len(),
        back.open_cases()
    );
    assert_eq!(
        back.finish(),
        tally.clone().finish(),
        "the kept tally counts what the tally counts"
    );
    let (stats, root) = tally.finish();
    assert_eq!(root, frontier.root(), "the tally and the floor hash the same leaves");
    let t = Instant::now();
    let doc = app::report::publish(&stats, app::report::Control::exact(), None);
    let html = app::report::html::page(&doc);
    println!("publish and render HTML ({} bytes): {:.3} s", html.len(), t.elapsed().as_secs_f64());
    (timed, floor, count, bytes)
}

fn main() {
    let arg = |i: usize, default: u64| {
        std::env::args()
            .filter(|a| !a.starts_with("--"))
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let n = arg(1, 10_000_000);
    let leaf_n = arg(2, 1_000_000);
    println!("cases: {n}");
    let t = Instant::now();
    let sum = generate_only(n);
    let gen = t.elapsed().as_secs_f64();
    println!("generating the events alone: {gen:.2} s (checksum {sum})");
    let t = Instant::now();
    let (report, peak_open) = aggregate(n);
    let ours = t.elapsed().as_secs_f64();
    let pending = report.table("totals").map_or(0, |t| t.counts[0][4]);
    println!("Aggregator (generation included): {ours:.2} s; peak open cases {peak_open}; pending {pending}; peak RSS {}", peak_rss_mib());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (load, sql, sql_pending) = runtime.block_on(sqlite(n));
    assert_eq!(sql_pending, pending, "SQLite and the aggregator disagree");
    println!("SQLite: loading {load:.2} s (not compared); 12 GROUP BY queries {sql:.2} s");
    println!("ratio Aggregator / SQLite: {:.2}", ours / sql);
    if leaf_n > 0 {
        let (decode, floor, count, bytes) = leaves(leaf_n);
        let per = |s: f64| s * 1e6 / count as f64;
        println!(
            "leaf bytes: {leaf_n} cases, {count} leaves (mean {} bytes) decoded, counted and hashed in {decode:.2} s \
             ({:.2} µs per leaf); floor, hashing them into the frontier on one thread: {floor:.2} s ({:.2} µs per leaf); \
             ratio {:.2}",
            bytes / count.max(1),
            per(decode),
            per(floor),
            decode / floor
        );
    }
}
