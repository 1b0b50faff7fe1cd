//! Unit tests of the transparency statistics: known counts from a generated ledger, exact percentiles,
//! suppression that leaves no cell recoverable, and the noise distribution.

use proptest::prelude::*;
use serde_json::json;
use time::macros::datetime;
use time::Duration;

use super::*;
use crate::case::CaseState;
use crate::leaf::{decided_meta, Leaf};
use serde_json::Value;

/// A seeded SplitMix64, enough for tests.
struct SplitMix(u64);

impl RandomSource for SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn leaf(
    case: usize,
    seq: u64,
    at: time::OffsetDateTime,
    event: &str,
    meta: BTreeMap<String, Value>,
) -> Leaf {
    Leaf {
        case: format!("c-{case:05}"),
        seq,
        at,
        event: event.to_owned(),
        state: CaseState::Received,
        commitment: "00".repeat(32),
        meta,
    }
}

fn object(value: &Value) -> BTreeMap<String, Value> {
    value
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

const STATES: [&str; 3] = ["BR", "DE", "US"];

/// Case `i`: received on day `i % 200` of 2026 (so some fall outside the first half-year), decided `i % 7`
/// days later unless `i % 5 == 4` (pending); resolution cycles through the four.
fn ledger(n: usize) -> Vec<Leaf> {
    let start = datetime!(2026-01-01 09:00 UTC);
    let mut leaves = Vec::new();
    for i in 0..n {
        let at = start + Duration::days((i % 200) as i64);
        let day = Day::from(at.date()).to_string();
        leaves.push(leaf(
            i,
            0,
            at,
            "received",
            object(&json!({
                "requesting_state": STATES[i % 3], "requested_state": "NL", "authority_type": "court",
                "channel": "central_authority", "instrument": "uncc", "measure": Measure::ALL[i % 6].as_str(),
                "uncc_article": "44", "categories": if i % 2 == 0 { json!(["subscriber"]) } else { json!(["subscriber", "content"]) },
                "identifiers": i % 4, "offence_sections": ["07"], "urgency": if i % 10 == 0 { "emergency" } else { "routine" },
                "received_day": day,
            })),
        ));
        let ground = if i % 3 == 0 { json!(["dual-criminality"]) } else { json!([]) };
        leaves.push(leaf(
            i,
            1,
            at,
            "screened",
            object(&json!({"outcome": "approve", "refusal_grounds": ground, "rules": []})),
        ));
        if i % 5 != 4 {
            let r = RESOLUTIONS[i % 4];
            leaves.push(leaf(
                i,
                2,
                at + Duration::days((i % 7) as i64) + Duration::hours(1),
                &format!("decided_{}", r.as_str()),
                decided_meta(r, Departure::None, false),
            ));
        }
    }
    leaves
}

fn first_half() -> Period {
    Period::half_year(Day::parse("2026-03-01").unwrap())
}

#[test]
fn a_generated_ledger_gives_exactly_its_known_counts() {
    let n = 1000;
    let mut agg = Aggregator::new(first_half());
    for l in ledger(n) {
        agg.push(&l.view()).unwrap();
    }
    let report = agg.finish();
    // Day of year i % 200 falls in the first half (181 days) when i % 200 < 181.
    let in_period: Vec<usize> = (0..n).filter(|i| i % 200 < 181).collect();
    let mut expect = [0u64; 5];
    let mut by_state = [[0u64; 5]; 3];
    let mut identifiers = 0;
    let mut refused_grounded = 0;
    for &i in &in_period {
        let col = if i % 5 == 4 { 4 } else { i % 4 };
        expect[col] += 1;
        by_state[i % 3][col] += 1;
        identifiers += (i % 4) as u64;
        if col == 2 && i % 3 == 0 {
            refused_grounded += 1;
        }
    }
    let totals = report.table("totals").unwrap();
    assert_eq!(totals.counts, vec![expect.to_vec()]);
    assert_eq!(totals.with_margins()[0][5], in_period.len() as u64);
    let states = report.table("requesting_state").unwrap();
    assert_eq!(states.rows, STATES.to_vec());
    assert_eq!(states.counts, by_state.iter().map(|r| r.to_vec()).collect::<Vec<_>>());
    assert_eq!(report.identifiers, identifiers);
    let grounds = report.table("refusal_ground").unwrap();
    assert_eq!(grounds.rows, vec!["dual-criminality", NO_GROUND]);
    assert_eq!(grounds.counts[0], vec![refused_grounded]);
    assert_eq!(grounds.counts[0][0] + grounds.counts[1][0], expect[2]);
    let categories = report.table("category").unwrap();
    let content: u64 = categories.counts[2].iter().sum();
    assert_eq!(content, in_period.iter().filter(|i| *i % 2 == 1).count() as u64);
    let urgency = report.table("urgency").unwrap();
    assert_eq!(
        urgency.counts[2].iter().sum::<u64>(),
        in_period.iter().filter(|i| *i % 10 == 0).count() as u64
    );
    let decided: Vec<u64> =
        in_period.iter().filter(|i| *i % 5 != 4).map(|i| (i % 7) as u64).collect();
    assert_eq!(report.days.decided, decided.len() as u64);
    let mut sorted = decided;
    sorted.sort_unstable();
    assert_eq!(report.days.median, Some(sorted[sorted.len().div_ceil(2) - 1]));
    assert_eq!(report.days.p90, Some(sorted[(sorted.len() * 9).div_ceil(10) - 1]));
    // Every single-valued breakdown sums to the totals.
    for id in ["recommendation", "requesting_state", "measure", "urgency", "channel"] {
        let grid = report.table(id).unwrap().with_margins();
        assert_eq!(grid.last().unwrap()[..5], expect, "{id}");
    }
}

#[test]
fn cases_decided_are_dropped_from_the_open_map() {
    let mut agg = Aggregator::new(first_half());
    for l in ledger(100) {
        agg.push(&l.view()).unwrap();
    }
    assert_eq!(agg.open_cases(), (0..100).filter(|i| i % 5 == 4).count());
}

/// The aggregator of `period` after `leaves`.
fn counted(period: Period, leaves: &[Leaf]) -> Aggregator {
    let mut agg = Aggregator::new(period);
    for l in leaves {
        agg.push(&l.view()).unwrap();
    }
    agg
}

#[test]
fn a_widened_period_counts_as_if_it_had_ended_there_from_the_start() {
    let leaves = ledger(1000);
    // Cases 0..60 are received on days 0..59, up to 1 March (day 59): none after it is skipped.
    let split = leaves.iter().position(|l| l.case == "c-00060").unwrap();
    let march = Period::new(first_half().from(), Day::parse("2026-03-01").unwrap()).unwrap();
    let mut agg = counted(march, &leaves[..split]);
    assert!(agg.widen(first_half().to()));
    assert_eq!(agg.period(), first_half());
    for l in &leaves[split..] {
        agg.push(&l.view()).unwrap();
    }
    assert_eq!(agg.finish(), counted(first_half(), &leaves).finish());
}

#[test]
fn a_period_is_not_widened_past_a_skipped_case_nor_shortened() {
    let leaves = ledger(1000);
    let split = leaves.iter().position(|l| l.case == "c-00100").unwrap();
    let march = Period::new(first_half().from(), Day::parse("2026-03-01").unwrap()).unwrap();
    // Case 60, received on 2 March, was skipped.
    let mut agg = counted(march, &leaves[..split]);
    assert!(!agg.widen(Day::parse("2026-03-02").unwrap()));
    assert!(!agg.widen(Day::parse("2026-02-28").unwrap()));
    assert_eq!(agg.period(), march);
    assert!(agg.widen(march.to()));
}

#[test]
fn an_aggregator_read_back_from_its_serialized_form_counts_on_identically() {
    let leaves = ledger(1000);
    let half = leaves.len() / 2;
    let agg = counted(first_half(), &leaves[..half]);
    let text = serde_json::to_string(&agg).unwrap();
    let mut back: Aggregator = serde_json::from_str(&text).unwrap();
    assert_eq!(back.open_cases(), agg.open_cases());
    for l in &leaves[half..] {
        back.push(&l.view()).unwrap();
    }
    assert_eq!(back.finish(), counted(first_half(), &leaves).finish());
    // A reversed period is refused, naming it.
    let reversed = text.replacen(r#""to":"2026-06-30""#, r#""to":"2025-06-30""#, 1);
    let err = serde_json::from_str::<Aggregator>(&reversed).unwrap_err().to_string();
    assert!(err.contains("ends before it starts"), "{err}");
}

#[test]
fn a_leaf_without_a_needed_field_is_named() {
    let mut l = ledger(1).remove(0);
    l.meta.remove("measure");
    let err = Aggregator::new(first_half()).push(&l.view()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "leaf of case `c-00000` event `received`: meta field `measure` is missing or invalid"
    );
}

#[test]
fn percentiles_use_the_nearest_rank() {
    let d = DaysToDecision::from_histogram(vec![(1, 5), (2, 4), (30, 1)]);
    assert_eq!((d.decided, d.median, d.p90), (10, Some(1), Some(2)));
    let d = DaysToDecision::from_histogram(vec![]);
    assert_eq!((d.decided, d.median, d.p90), (0, None, None));
}

#[test]
fn half_years_and_reversed_periods() {
    let p = Period::half_year(Day::parse("2026-08-09").unwrap());
    assert_eq!(
        (p.from().to_string(), p.to().to_string()),
        ("2026-07-01".into(), "2026-12-31".into())
    );
    let err = Period::new(Day::parse("2026-02-01").unwrap(), Day::parse("2026-01-01").unwrap());
    assert_eq!(
        err.unwrap_err().to_string(),
        "period from `2026-02-01` to `2026-01-01` ends before it starts"
    );
}

/// Every line with a published total holds zero or at least two withheld cells, and every small count is withheld.
fn assert_protected(
    grid: &[Vec<u64>],
    marks: &[Vec<Option<Suppression>>],
    k: u64,
    rows: bool,
    columns: bool,
) {
    for (r, m) in grid.iter().zip(marks) {
        for (v, s) in r.iter().zip(m) {
            if *v > 0 && *v < k {
                assert_eq!(*s, Some(Suppression::Small));
            }
        }
    }
    if rows {
        for (i, m) in marks.iter().enumerate() {
            let n = m.iter().filter(|s| s.is_some()).count();
            assert!(n != 1, "row {i} of {grid:?} has one withheld cell: {marks:?}");
        }
    }
    if columns {
        for j in 0..grid[0].len() {
            let n = marks.iter().filter(|m| m[j].is_some()).count();
            assert!(n != 1, "column {j} of {grid:?} has one withheld cell: {marks:?}");
        }
    }
}

#[test]
fn a_lone_small_cell_takes_the_smallest_neighbour_with_it() {
    let table = Table {
        id: "t",
        title: "t",
        rows: vec!["a".into(), "b".into()],
        columns: vec!["x".into(), "y".into()],
        counts: vec![vec![3, 40], vec![20, 50]],
        row_total: Some("total"),
        column_totals: true,
    };
    let grid = table.with_margins();
    let marks = suppress(&grid, 5, true, true);
    use Suppression::*;
    assert_eq!(marks[0], vec![Some(Small), Some(Complementary), None]);
    assert_eq!(marks[1], vec![Some(Complementary), Some(Complementary), None]);
    assert_eq!(marks[2], vec![None, None, None]);
    assert_protected(&grid, &marks, 5, true, true);
}

proptest! {
    #[test]
    fn suppression_never_leaves_a_cell_recoverable(
        counts in (1usize..7, 1usize..7).prop_flat_map(|(r, c)| prop::collection::vec(prop::collection::vec(0u64..30, c), r)),
        k in 2u64..8,
        row_total in any::<bool>(),
        column_totals in any::<bool>(),
    ) {
        let columns = counts[0].len();
        let table = Table {
            id: "t", title: "t",
            rows: (0..counts.len()).map(|i| i.to_string()).collect(),
            columns: (0..columns).map(|i| i.to_string()).collect(),
            counts,
            row_total: row_total.then_some("total"),
            column_totals,
        };
        let grid = table.with_margins();
        let marks = suppress(&grid, k, row_total, column_totals);
        assert_protected(&grid, &marks, k, row_total, column_totals);
    }
}

#[test]
fn discrete_laplace_noise_has_the_stated_mean_and_variance() {
    for (epsilon, seed) in [(0.1, 1), (0.5, 2), (1.0, 3), (2.0, 4)] {
        let mut rng = SplitMix(seed);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| discrete_laplace(epsilon, &mut rng) as f64).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let alpha = (-epsilon).exp();
        let expect_var = 2.0 * alpha / (1.0 - alpha).powi(2);
        // The standard error of the mean is sqrt(var / n); allow five of them.
        assert!(
            mean.abs() < 5.0 * (expect_var / n as f64).sqrt(),
            "epsilon {epsilon}: mean {mean}"
        );
        assert!(
            (var / expect_var - 1.0).abs() < 0.03,
            "epsilon {epsilon}: variance {var}, expected {expect_var}"
        );
        // P(Z = 0) = (1 - α) / (1 + α).
        let zeros = draws.iter().filter(|x| **x == 0.0).count() as f64 / n as f64;
        let p0 = (1.0 - alpha) / (1.0 + alpha);
        assert!(
            (zeros - p0).abs() < 5.0 * (p0 * (1.0 - p0) / n as f64).sqrt(),
            "epsilon {epsilon}: P(0) {zeros}"
        );
    }
}

#[test]
fn noisy_counts_are_never_negative_and_the_budget_counts_every_table() {
    let report = {
        let mut agg = Aggregator::new(first_half());
        for l in ledger(50) {
            agg.push(&l.view()).unwrap();
        }
        agg.finish()
    };
    let mut rng = SplitMix(9);
    let noisy = add_noise(report.table("requesting_state").unwrap(), 0.1, &mut rng);
    assert_eq!(noisy.rows, STATES.to_vec());
    assert_eq!(max_contributions(3), 7 + 3 + 11 + 3);
}
