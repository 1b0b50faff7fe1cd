//! Transparency statistics computed from case-event leaves alone, and the disclosure control applied before
//! they are published (issue 7).
//!
//! [`Aggregator`] streams leaves in ledger order and keeps, besides one counter row per distinct breakdown key,
//! one fixed-size slot per case received in the period and not yet decided: memory is
//! O(K + P · (|case id| + 48 bytes)), where K is the number of distinct breakdown keys (requesting states, ICCS
//! sections, refusal grounds, whole days to decision) and P the number of such open cases at any point of the
//! stream. A case's slot is dropped when its decision is seen, so a ledger where cases are decided within weeks
//! holds only the cases in flight, and the days-to-decision histogram keeps the percentiles exact.
//!
//! Disclosure control is pure as well: [`suppress`] hides small counts and their complements, and
//! [`discrete_laplace`] draws differential-privacy noise from a [`RandomSource`] the caller supplies, so this
//! crate stays free of randomness.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::case::{Departure, Resolution};
use crate::leaf::{LeafView, MetaValue};
use crate::vocab::{Category, Channel, Measure, Outcome, Urgency};
use crate::Day;

/// The outcome columns of the outcome tables, in order; `pending` counts cases not decided at the checkpoint.
pub const OUTCOMES: [&str; 5] = ["approved", "approved_in_part", "refused", "withdrawn", "pending"];
/// The resolutions, in the order of the departure table's columns.
pub const RESOLUTIONS: [Resolution; 4] =
    [Resolution::Approved, Resolution::ApprovedInPart, Resolution::Refused, Resolution::Withdrawn];
/// The departures, in the order of the departure table's rows.
pub const DEPARTURES: [Departure; 3] =
    [Departure::None, Departure::MorePermissive, Departure::MoreRestrictive];
/// The row of the recommendation table for cases with no `screened` leaf yet.
pub const NOT_SCREENED: &str = "not_screened";
/// The row of the refusal-ground table for refusals whose screening cited no refusing rule.
pub const NO_GROUND: &str = "none_cited";
/// The name of the row of column totals.
pub const ALL_ROWS: &str = "all";

const PENDING: usize = 4;
const SECONDS_PER_DAY: i64 = 86_400;
/// Whole days below this are counted in a flat array; larger values (rare) in a map.
const DAYS_FLAT: usize = 4096;

/// An inclusive range of days, matched against a request's `received_day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PeriodDays")]
pub struct Period {
    // INVARIANT: from <= to.
    from: Day,
    to: Day,
}

impl Period {
    /// The period `from..=to`.
    ///
    /// # Errors
    /// [`StatsError::Period`] when `to` is before `from`.
    pub fn new(from: Day, to: Day) -> Result<Period, StatsError> {
        if to < from {
            return Err(StatsError::Period { from, to });
        }
        Ok(Period { from, to })
    }

    /// The half-year (1 January to 30 June, or 1 July to 31 December) that contains `day`.
    pub fn half_year(day: Day) -> Period {
        let date = day.date();
        let (from, to) = if u8::from(date.month()) <= 6 {
            (Day::from_ymd(date.year(), 1, 1), Day::from_ymd(date.year(), 6, 30))
        } else {
            (Day::from_ymd(date.year(), 7, 1), Day::from_ymd(date.year(), 12, 31))
        };
        Period { from: from.unwrap_or(day), to: to.unwrap_or(day) }
    }

    /// The first day.
    pub fn from(&self) -> Day {
        self.from
    }

    /// The last day.
    pub fn to(&self) -> Day {
        self.to
    }

    /// Whether `day` lies in the period.
    pub fn contains(&self, day: Day) -> bool {
        self.from <= day && day <= self.to
    }
}

/// A period as read, before its days are checked.
#[derive(Deserialize)]
struct PeriodDays {
    from: Day,
    to: Day,
}

impl TryFrom<PeriodDays> for Period {
    type Error = StatsError;
    fn try_from(days: PeriodDays) -> Result<Period, StatsError> {
        Period::new(days.from, days.to)
    }
}

/// Why statistics cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsError {
    /// The period ends before it starts.
    #[error("period from `{from}` to `{to}` ends before it starts")]
    Period {
        /// The first day given.
        from: Day,
        /// The last day given.
        to: Day,
    },
    /// A leaf lacks a field the statistics need, or holds a value outside the vocabulary.
    #[error("leaf of case `{case}` event `{event}`: meta field `{field}` is missing or invalid")]
    Meta {
        /// The case id.
        case: String,
        /// The event name.
        event: String,
        /// The field.
        field: &'static str,
    },
    /// More distinct values than the compact per-case slot can hold.
    #[error("more than `{limit}` distinct {what}")]
    TooMany {
        /// What overflowed.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// The non-personal facts of a `received` leaf that the statistics use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake<'a> {
    /// The request's own received day (selects the period).
    pub received_day: Day,
    /// The requesting state.
    pub requesting_state: &'a str,
    /// The measure (UNCC Arts 42 to 47).
    pub measure: Measure,
    /// The channel.
    pub channel: Channel,
    /// The urgency.
    pub urgency: Urgency,
    /// The data categories asked for: bit `i` is `Category::ALL[i]`.
    pub categories: u8,
    /// The ICCS sections of the offences.
    pub sections: Vec<&'a str>,
    /// How many identifiers (accounts) the request names.
    pub identifiers: u64,
}

/// What a leaf means for the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseEvent<'a> {
    /// The case was received.
    Received(Intake<'a>),
    /// Screening recommended `outcome`, citing `refusal_grounds` (rule ids with effect refuse).
    Screened {
        /// The recommendation.
        outcome: Outcome,
        /// The refusing rules.
        refusal_grounds: Vec<&'a str>,
    },
    /// People decided.
    Decided {
        /// What they decided.
        resolution: Resolution,
        /// How it compares with the recommendation.
        departure: Departure,
    },
    /// An event the statistics do not count.
    Other,
}

impl<'a> CaseEvent<'a> {
    /// Reads the facts the statistics need from a leaf.
    ///
    /// # Errors
    /// [`StatsError::Meta`] naming the case, the event and the first missing or invalid field.
    pub fn from_leaf(leaf: &'a LeafView<'_>) -> Result<CaseEvent<'a>, StatsError> {
        let bad = |field: &'static str| StatsError::Meta {
            case: leaf.case.as_ref().to_owned(),
            event: leaf.event.as_ref().to_owned(),
            field,
        };
        let text = |field: &'static str| {
            leaf.get(field).and_then(MetaValue::as_str).ok_or_else(|| bad(field))
        };
        let texts = |field: &'static str| -> Result<Vec<&'a str>, StatsError> {
            leaf.get(field)
                .and_then(MetaValue::as_array)
                .ok_or_else(|| bad(field))?
                .iter()
                .map(|v| v.as_str().ok_or_else(|| bad(field)))
                .collect()
        };
        match leaf.event.as_ref() {
            "received" => {
                let mut categories = 0u8;
                for name in texts("categories")? {
                    let i = Category::ALL
                        .iter()
                        .position(|c| c.as_str() == name)
                        .ok_or_else(|| bad("categories"))?;
                    categories |= 1 << i;
                }
                Ok(CaseEvent::Received(Intake {
                    received_day: Day::parse(text("received_day")?)
                        .map_err(|_| bad("received_day"))?,
                    requesting_state: text("requesting_state")?,
                    measure: vocab(Measure::ALL, Measure::as_str, text("measure")?)
                        .ok_or_else(|| bad("measure"))?,
                    channel: vocab(Channel::ALL, Channel::as_str, text("channel")?)
                        .ok_or_else(|| bad("channel"))?,
                    urgency: vocab(Urgency::ALL, Urgency::as_str, text("urgency")?)
                        .ok_or_else(|| bad("urgency"))?,
                    categories,
                    sections: texts("offence_sections")?,
                    identifiers: leaf
                        .get("identifiers")
                        .and_then(MetaValue::as_u64)
                        .ok_or_else(|| bad("identifiers"))?,
                }))
            }
            "screened" => Ok(CaseEvent::Screened {
                outcome: vocab(Outcome::ALL, Outcome::as_str, text("outcome")?)
                    .ok_or_else(|| bad("outcome"))?,
                refusal_grounds: texts("refusal_grounds")?,
            }),
            event if event.starts_with("decided_") => Ok(CaseEvent::Decided {
                resolution: Resolution::parse(text("resolution")?)
                    .ok_or_else(|| bad("resolution"))?,
                departure: DEPARTURES
                    .into_iter()
                    .find(|d| Some(d.as_str()) == leaf.get("departure").and_then(MetaValue::as_str))
                    .ok_or_else(|| bad("departure"))?,
            }),
            _ => Ok(CaseEvent::Other),
        }
    }
}

fn vocab<T: Copy>(all: &[T], name: fn(T) -> &'static str, text: &str) -> Option<T> {
    all.iter().copied().find(|v| name(*v) == text)
}

/// What one open case keeps between its `received` leaf and its decision.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Slot {
    /// The `received` leaf's time, in Unix seconds.
    at: i64,
    /// Bit `i` is ICCS section `i` of the interner.
    sections: u32,
    /// Bit `i` is refusal ground `i` of the interner.
    grounds: u64,
    state: u16,
    measure: u8,
    channel: u8,
    urgency: u8,
    categories: u8,
    /// Index into `Outcome::ALL`, or `Outcome::ALL.len()` when not screened.
    recommendation: u8,
}

/// Names numbered in the order first seen; kept as the names alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
struct Interner {
    ids: BTreeMap<String, usize>,
    names: Vec<String>,
}

impl From<Vec<String>> for Interner {
    fn from(names: Vec<String>) -> Interner {
        let ids = names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
        Interner { ids, names }
    }
}

impl From<Interner> for Vec<String> {
    fn from(interner: Interner) -> Vec<String> {
        interner.names
    }
}

impl Interner {
    fn id(&mut self, name: &str, limit: usize, what: &'static str) -> Result<usize, StatsError> {
        if let Some(&i) = self.ids.get(name) {
            return Ok(i);
        }
        let i = self.names.len();
        if i >= limit {
            return Err(StatsError::TooMany { what, limit });
        }
        self.ids.insert(name.to_owned(), i);
        self.names.push(name.to_owned());
        Ok(i)
    }
}

type Row = [u64; 5];

/// A streaming aggregator: push every leaf in ledger order, then [`Aggregator::finish`]; a clone is a
/// snapshot that can be finished while the original keeps counting. It serializes whole (serde), so that a
/// count can be kept and taken up again later from where it stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Aggregator {
    period: Period,
    /// The earliest `received_day` after the period's end among the cases skipped so far.
    later: Option<Day>,
    open: BTreeMap<Box<str>, Slot>,
    states: Interner,
    sections: Interner,
    grounds: Interner,
    totals: Row,
    by_state: Vec<Row>,
    by_measure: Vec<Row>,
    by_channel: Vec<Row>,
    by_urgency: Vec<Row>,
    by_category: Vec<Row>,
    by_section: Vec<Row>,
    by_recommendation: Vec<Row>,
    departures: [[u64; 4]; 3],
    refused_by_ground: Vec<u64>,
    refused_no_ground: u64,
    identifiers: u64,
    days_flat: Vec<u64>,
    days_large: BTreeMap<u64, u64>,
}

impl Aggregator {
    /// An aggregator of the cases received in `period`.
    pub fn new(period: Period) -> Aggregator {
        Aggregator {
            period,
            later: None,
            open: BTreeMap::new(),
            states: Interner::default(),
            sections: Interner::default(),
            grounds: Interner::default(),
            totals: [0; 5],
            by_state: Vec::new(),
            by_measure: vec![[0; 5]; Measure::ALL.len()],
            by_channel: vec![[0; 5]; Channel::ALL.len()],
            by_urgency: vec![[0; 5]; Urgency::ALL.len()],
            by_category: vec![[0; 5]; Category::ALL.len()],
            by_section: Vec::new(),
            by_recommendation: vec![[0; 5]; Outcome::ALL.len() + 1],
            departures: [[0; 4]; 3],
            refused_by_ground: Vec::new(),
            refused_no_ground: 0,
            identifiers: 0,
            days_flat: Vec::new(),
            days_large: BTreeMap::new(),
        }
    }

    /// The period counted.
    pub fn period(&self) -> Period {
        self.period
    }

    /// Moves the period's end to `to`, giving exactly what an aggregator of the longer period would hold
    /// after the same leaves. That holds when no case received after the current end and by `to` has been
    /// skipped; otherwise nothing changes and the answer is `false`. A period is never shortened.
    pub fn widen(&mut self, to: Day) -> bool {
        if to < self.period.to || self.later.is_some_and(|day| day <= to) {
            return false;
        }
        self.period.to = to;
        true
    }

    /// Counts one leaf.
    ///
    /// # Errors
    /// [`StatsError::Meta`] when a counted leaf lacks a field; [`StatsError::TooMany`] past the slot's limits
    /// (65 536 requesting states, 32 ICCS sections, 64 refusal grounds).
    pub fn push(&mut self, leaf: &LeafView<'_>) -> Result<(), StatsError> {
        let event = CaseEvent::from_leaf(leaf)?;
        self.push_event(&leaf.case, leaf.at.unix_timestamp(), &event)
    }

    /// Counts one event of case `case` that happened at `at` (Unix seconds).
    ///
    /// # Errors
    /// As [`Aggregator::push`].
    pub fn push_event(
        &mut self,
        case: &str,
        at: i64,
        event: &CaseEvent<'_>,
    ) -> Result<(), StatsError> {
        match event {
            CaseEvent::Received(intake) => self.received(case, at, intake),
            CaseEvent::Screened { outcome, refusal_grounds } => {
                if !self.open.contains_key(case) {
                    return Ok(());
                }
                let mut grounds = 0u64;
                for g in refusal_grounds {
                    grounds |= 1 << self.grounds.id(g, 64, "refusal grounds")?;
                }
                if self.refused_by_ground.len() < self.grounds.names.len() {
                    self.refused_by_ground.resize(self.grounds.names.len(), 0);
                }
                let rec =
                    Outcome::ALL.iter().position(|o| o == outcome).unwrap_or(Outcome::ALL.len());
                if let Some(slot) = self.open.get_mut(case) {
                    slot.grounds = grounds;
                    slot.recommendation = u8::try_from(rec).unwrap_or(u8::MAX);
                }
                Ok(())
            }
            CaseEvent::Decided { resolution, departure } => {
                let Some(slot) = self.open.remove(case) else { return Ok(()) };
                let col = RESOLUTIONS.iter().position(|r| r == resolution).unwrap_or(0);
                self.count(&slot, col);
                let dep = DEPARTURES.iter().position(|d| d == departure).unwrap_or(0);
                if let Some(cell) = self.departures.get_mut(dep).and_then(|r| r.get_mut(col)) {
                    *cell += 1;
                }
                if *resolution == Resolution::Refused {
                    if slot.grounds == 0 {
                        self.refused_no_ground += 1;
                    }
                    for (i, n) in self.refused_by_ground.iter_mut().enumerate() {
                        if slot.grounds >> i & 1 == 1 {
                            *n += 1;
                        }
                    }
                }
                let days = u64::try_from((at - slot.at).div_euclid(SECONDS_PER_DAY)).unwrap_or(0);
                match usize::try_from(days).ok().filter(|d| *d < DAYS_FLAT) {
                    Some(d) => {
                        if self.days_flat.len() <= d {
                            self.days_flat.resize(d + 1, 0);
                        }
                        if let Some(n) = self.days_flat.get_mut(d) {
                            *n += 1;
                        }
                    }
                    None => *self.days_large.entry(days).or_insert(0) += 1,
                }
                Ok(())
            }
            CaseEvent::Other => Ok(()),
        }
    }

    fn received(&mut self, case: &str, at: i64, intake: &Intake<'_>) -> Result<(), StatsError> {
        if !self.period.contains(intake.received_day) {
            if intake.received_day > self.period.to {
                let day = intake.received_day;
                self.later = Some(self.later.map_or(day, |d| d.min(day)));
            }
            return Ok(());
        }
        let state = self.states.id(intake.requesting_state, 1 << 16, "requesting states")?;
        if self.by_state.len() <= state {
            self.by_state.resize(state + 1, [0; 5]);
        }
        let mut sections = 0u32;
        for s in &intake.sections {
            sections |= 1 << self.sections.id(s, 32, "ICCS sections")?;
        }
        if self.by_section.len() < self.sections.names.len() {
            self.by_section.resize(self.sections.names.len(), [0; 5]);
        }
        let index = |all: usize| u8::try_from(all).unwrap_or(u8::MAX);
        let slot = Slot {
            at,
            sections,
            grounds: 0,
            state: u16::try_from(state).unwrap_or(u16::MAX),
            measure: index(Measure::ALL.iter().position(|m| *m == intake.measure).unwrap_or(0)),
            channel: index(Channel::ALL.iter().position(|c| *c == intake.channel).unwrap_or(0)),
            urgency: index(Urgency::ALL.iter().position(|u| *u == intake.urgency).unwrap_or(0)),
            categories: intake.categories,
            recommendation: index(Outcome::ALL.len()),
        };
        self.identifiers += intake.identifiers;
        self.open.insert(case.into(), slot);
        Ok(())
    }

    /// Adds one case to column `col` of every outcome table.
    fn count(&mut self, slot: &Slot, col: usize) {
        let bump = |row: Option<&mut Row>| {
            if let Some(cell) = row.and_then(|r| r.get_mut(col)) {
                *cell += 1;
            }
        };
        bump(Some(&mut self.totals));
        bump(self.by_state.get_mut(usize::from(slot.state)));
        bump(self.by_measure.get_mut(usize::from(slot.measure)));
        bump(self.by_channel.get_mut(usize::from(slot.channel)));
        bump(self.by_urgency.get_mut(usize::from(slot.urgency)));
        bump(self.by_recommendation.get_mut(usize::from(slot.recommendation)));
        for (i, row) in self.by_category.iter_mut().enumerate() {
            if slot.categories >> i & 1 == 1 {
                bump(Some(row));
            }
        }
        for (i, row) in self.by_section.iter_mut().enumerate() {
            if slot.sections >> i & 1 == 1 {
                bump(Some(row));
            }
        }
    }

    /// The number of open cases held right now (the per-case part of the memory bound).
    pub fn open_cases(&self) -> usize {
        self.open.len()
    }

    /// Counts the cases still open as pending and returns the exact statistics.
    pub fn finish(mut self) -> Report {
        let open = std::mem::take(&mut self.open);
        for slot in open.values() {
            self.count(slot, PENDING);
        }
        let outcome_columns = || OUTCOMES.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let named = |interner: &Interner, rows: &[Row]| {
            let mut pairs: Vec<(String, Vec<u64>)> =
                interner.names.iter().cloned().zip(rows.iter().map(|r| r.to_vec())).collect();
            pairs.sort();
            pairs.into_iter().unzip::<_, _, Vec<_>, Vec<_>>()
        };
        let vocab_rows = |names: Vec<&str>, rows: &[Row]| {
            (
                names.into_iter().map(str::to_owned).collect(),
                rows.iter().map(|r| r.to_vec()).collect(),
            )
        };
        let outcome_table =
            |id, title, (rows, counts): (Vec<String>, Vec<Vec<u64>>), all: bool| Table {
                id,
                title,
                rows,
                columns: outcome_columns(),
                counts,
                row_total: Some("received"),
                column_totals: all,
            };
        let mut rec_names: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        rec_names.push(NOT_SCREENED);
        let (mut ground_rows, mut ground_counts) = {
            let counts: Vec<Row> =
                self.refused_by_ground.iter().map(|n| [*n, 0, 0, 0, 0]).collect();
            named(&self.grounds, &counts)
        };
        ground_rows.push(NO_GROUND.to_owned());
        ground_counts.push(vec![self.refused_no_ground]);
        for row in &mut ground_counts {
            row.truncate(1);
        }
        let tables = vec![
            outcome_table(
                "totals",
                "Requests received and their outcomes",
                (vec![ALL_ROWS.to_owned()], vec![self.totals.to_vec()]),
                false,
            ),
            outcome_table(
                "recommendation",
                "Screening recommendation beside the final decision",
                vocab_rows(rec_names, &self.by_recommendation),
                true,
            ),
            Table {
                id: "departure",
                title: "Decisions departing from the screening recommendation, by direction",
                rows: DEPARTURES.iter().map(|d| d.as_str().to_owned()).collect(),
                columns: RESOLUTIONS.iter().map(|r| r.as_str().to_owned()).collect(),
                counts: self.departures.iter().map(|r| r.to_vec()).collect(),
                row_total: Some("decided"),
                column_totals: true,
            },
            Table {
                id: "refusal_ground",
                title: "Refusals by ground (a refusal can cite several grounds)",
                rows: ground_rows,
                columns: vec!["refused".to_owned()],
                counts: ground_counts,
                row_total: None,
                column_totals: false,
            },
            outcome_table(
                "requesting_state",
                "By requesting state",
                named(&self.states, &self.by_state),
                true,
            ),
            outcome_table(
                "measure",
                "By measure (UNCC Arts 42 to 47)",
                vocab_rows(Measure::ALL.iter().map(|m| m.as_str()).collect(), &self.by_measure),
                true,
            ),
            outcome_table(
                "category",
                "By data category (a request can ask for several)",
                vocab_rows(Category::ALL.iter().map(|c| c.as_str()).collect(), &self.by_category),
                false,
            ),
            outcome_table(
                "iccs_section",
                "By ICCS section of the offence (a request can name several)",
                named(&self.sections, &self.by_section),
                false,
            ),
            outcome_table(
                "urgency",
                "By urgency (emergency requests separately)",
                vocab_rows(Urgency::ALL.iter().map(|u| u.as_str()).collect(), &self.by_urgency),
                true,
            ),
            outcome_table(
                "channel",
                "By channel",
                vocab_rows(Channel::ALL.iter().map(|c| c.as_str()).collect(), &self.by_channel),
                true,
            ),
        ];
        let mut histogram: Vec<(u64, u64)> = self
            .days_flat
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(d, n)| (d as u64, *n))
            .collect();
        histogram.extend(self.days_large.iter().map(|(d, n)| (*d, *n)));
        Report {
            period: self.period,
            tables,
            identifiers: self.identifiers,
            days: DaysToDecision::from_histogram(histogram),
        }
    }
}

/// The exact statistics of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The reporting period.
    pub period: Period,
    /// The tables, `totals` first.
    pub tables: Vec<Table>,
    /// Identifiers (accounts) named by the requests received, summed.
    pub identifiers: u64,
    /// Days from receipt to decision.
    pub days: DaysToDecision,
}

impl Report {
    /// The table with this id.
    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }
}

/// One table of counts: rows are the values of a breakdown, columns usually the outcomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// A stable id (`totals`, `requesting_state`, ...), also the CSV file name.
    pub id: &'static str,
    /// A title for people.
    pub title: &'static str,
    /// Row keys.
    pub rows: Vec<String>,
    /// Column keys.
    pub columns: Vec<String>,
    /// `counts[row][column]`.
    pub counts: Vec<Vec<u64>>,
    /// The name of the published column of row sums, if any.
    pub row_total: Option<&'static str>,
    /// Whether a row of column sums (`all`) is published; only for breakdowns where each case is in one row.
    pub column_totals: bool,
}

impl Table {
    /// The counts with their published margins: a last column of row sums when `row_total` is set, a last row
    /// of column sums when `column_totals` is set.
    pub fn with_margins(&self) -> Vec<Vec<u64>> {
        let mut grid: Vec<Vec<u64>> = self
            .counts
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if self.row_total.is_some() {
                    r.push(r.iter().sum());
                }
                r
            })
            .collect();
        if self.column_totals {
            let width = grid.first().map_or(0, Vec::len);
            let sums = (0..width).map(|j| grid.iter().filter_map(|r| r.get(j)).sum()).collect();
            grid.push(sums);
        }
        grid
    }
}

/// Whole days from the `received` leaf to the decision, over the cases decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaysToDecision {
    /// Cases decided.
    pub decided: u64,
    /// The median (nearest rank), if any case was decided.
    pub median: Option<u64>,
    /// The 90th percentile (nearest rank).
    pub p90: Option<u64>,
    /// `(days, cases)` for every day count seen, ascending.
    pub histogram: Vec<(u64, u64)>,
}

impl DaysToDecision {
    /// The summary of an exact histogram.
    pub fn from_histogram(histogram: Vec<(u64, u64)>) -> DaysToDecision {
        let decided: u64 = histogram.iter().map(|(_, n)| n).sum();
        let rank = |num: u64, den: u64| {
            let r = (decided * num).div_ceil(den).max(1);
            let mut seen = 0;
            histogram.iter().find(|(_, n)| {
                seen += n;
                seen >= r
            })
        };
        let pick = |num, den| if decided == 0 { None } else { rank(num, den).map(|(d, _)| *d) };
        DaysToDecision { decided, median: pick(1, 2), p90: pick(9, 10), histogram }
    }
}

/// Why a cell is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// The count is between 1 and k − 1 (shown as "<k").
    Small,
    /// The count is withheld so that a small count cannot be recovered from a row or column total.
    Complementary,
}

/// Which cells of a grid to withhold: every count in `1..k`, then complementary cells until no row (when
/// `rows`) and no column (when `columns`) has exactly one withheld cell, so none can be recovered by
/// subtracting the others from the line's total. The complement chosen is the smallest cell left in the line
/// (ties: the first); the loop only adds cells, so it reaches a fixed point.
///
/// `grid` is a table with its margins ([`Table::with_margins`]); `rows` and `columns` say which margins are
/// published.
pub fn suppress(
    grid: &[Vec<u64>],
    k: u64,
    rows: bool,
    columns: bool,
) -> Vec<Vec<Option<Suppression>>> {
    let mut marks: Vec<Vec<Option<Suppression>>> = grid
        .iter()
        .map(|r| r.iter().map(|&v| (v > 0 && v < k).then_some(Suppression::Small)).collect())
        .collect();
    let height = grid.len();
    let width = grid.iter().map(Vec::len).max().unwrap_or(0);
    loop {
        let mut changed = false;
        if rows {
            for i in 0..height {
                let line: Vec<(usize, usize)> = (0..width).map(|j| (i, j)).collect();
                changed |= complete_line(grid, &mut marks, &line);
            }
        }
        if columns {
            for j in 0..width {
                let line: Vec<(usize, usize)> = (0..height).map(|i| (i, j)).collect();
                changed |= complete_line(grid, &mut marks, &line);
            }
        }
        if !changed {
            return marks;
        }
    }
}

fn complete_line(
    grid: &[Vec<u64>],
    marks: &mut [Vec<Option<Suppression>>],
    line: &[(usize, usize)],
) -> bool {
    let value = |(i, j): (usize, usize)| grid.get(i).and_then(|r| r.get(j)).copied();
    let marked = |marks: &[Vec<Option<Suppression>>], (i, j): (usize, usize)| {
        marks.get(i).and_then(|r| r.get(j)).copied().flatten().is_some()
    };
    let cells: Vec<(usize, usize)> = line.iter().copied().filter(|c| value(*c).is_some()).collect();
    if cells.iter().filter(|c| marked(marks, **c)).count() != 1 {
        return false;
    }
    let pick =
        cells.iter().copied().filter(|c| !marked(marks, *c)).min_by_key(|c| (value(*c), c.0, c.1));
    match pick.and_then(|(i, j)| marks.get_mut(i).and_then(|r| r.get_mut(j))) {
        Some(cell) => {
            *cell = Some(Suppression::Complementary);
            true
        }
        None => false,
    }
}

/// A source of uniformly distributed 64-bit words, supplied by the caller (a seeded or an OS generator), so
/// that this crate never draws randomness itself.
pub trait RandomSource {
    /// The next uniform word.
    fn next_u64(&mut self) -> u64;
}

/// One draw of the two-sided geometric (discrete Laplace) distribution with `P(z) ∝ α^|z|`, `α = e^(−ε)`:
/// the difference of two geometric draws, each by inversion of a uniform in (0, 1].
///
/// Adding it to a count whose sensitivity is 1 gives ε-differential privacy. The draw uses floating-point
/// logarithms, so it is not hardened against floating-point side channels.
pub fn discrete_laplace(epsilon: f64, rng: &mut impl RandomSource) -> i64 {
    geometric(epsilon, rng) - geometric(epsilon, rng)
}

/// `G ≥ 0` with `P(G ≥ g) = e^(−ε g)`.
fn geometric(epsilon: f64, rng: &mut impl RandomSource) -> i64 {
    // 53 random bits give a uniform in (0, 1] on a grid of 2^-53.
    let u = ((rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
    (-u.ln() / epsilon).floor() as i64
}

/// Adds independent discrete Laplace noise to every count of `table` (margins are then sums of noisy counts,
/// post-processing that spends no budget); a noisy count below zero is published as zero.
pub fn add_noise(table: &Table, epsilon: f64, rng: &mut impl RandomSource) -> Table {
    let mut noisy = table.clone();
    for row in &mut noisy.counts {
        for cell in row.iter_mut() {
            let v = i64::try_from(*cell)
                .unwrap_or(i64::MAX)
                .saturating_add(discrete_laplace(epsilon, rng));
            *cell = u64::try_from(v).unwrap_or(0);
        }
    }
    noisy
}

/// The most noisy counts one case can contribute to: one row in each single-valued table (totals,
/// recommendation, departure, requesting state, measure, urgency, channel), every data category, every ICCS
/// section, and up to `grounds` refusal grounds (the number of rules that can refuse). The privacy budget of a
/// report with per-count ε is `ε × max_contributions(grounds)` by basic composition.
pub fn max_contributions(grounds: usize) -> u64 {
    let sections = crate::iccs::TSV
        .lines()
        .skip(1)
        .filter(|l| l.split('\t').nth(1).map(str::trim) == Some("1"))
        .count();
    (7 + Category::ALL.len() + sections + grounds.max(1)) as u64
}

#[cfg(test)]
mod tests;
