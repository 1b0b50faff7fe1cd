//! The per-request analysis: the terms of rules.md (resolved offences, E, G, the categories left after
//! `proportionality-data`, the windows after `proportionality-period`) computed once, so that the rules and the
//! combining step read the same facts.

use domain::lawpack::{Gravity, Offence};
use domain::request::{Period, Request};
use domain::vocab::{Category, Measure};
use domain::Day;

use crate::context::{Context, OffenceFacts, Pack};

/// Everything the rules read about one request.
#[derive(Debug)]
pub struct Analysis<'a> {
    pub(crate) request: &'a Request,
    pub(crate) ctx: &'a Context,
    /// R: the requesting state's law pack.
    pub(crate) r: &'a Pack,
    /// Q: the requested state's law pack.
    pub(crate) q: &'a Pack,
    /// Resolved offences, in request order.
    pub(crate) resolved: Vec<Resolved<'a>>,
    /// Offence refs not in R, in request order, without repeats.
    pub(crate) unknown: Vec<&'a str>,
    /// G: the largest gravity among eligible offences, `None` when E is empty.
    pub(crate) g: Option<Gravity>,
    /// Distinct requested categories, in canonical order.
    pub(crate) categories: Vec<Category>,
    /// `proportionality-data`, when the rule applies.
    pub(crate) data: Option<DataScope>,
    /// Categories left after `proportionality-data`, with their windows after `proportionality-period`.
    pub(crate) windows: Vec<Window>,
}

/// A request offence found in R.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolved<'a> {
    pub(crate) offence: &'a Offence,
    pub(crate) facts: &'a OffenceFacts,
}

/// What `proportionality-data` decided.
#[derive(Debug, Clone)]
pub(crate) struct DataScope {
    /// The measure's own floor, when G is below it.
    pub(crate) measure_floor: Option<f64>,
    /// Requested categories whose floor G does not reach.
    pub(crate) removed: Vec<(Category, f64)>,
}

/// One category left after `proportionality-data`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) category: Category,
    /// The granted window (the requested period, or the last L days of it).
    pub(crate) period: Option<Period>,
    /// Set when `proportionality-period` shortened the window: (requested days, limit L).
    pub(crate) cut: Option<(i64, u64)>,
}

impl<'a> Analysis<'a> {
    /// Analyses a request whose law packs are known to be loaded.
    pub(crate) fn new(request: &'a Request, ctx: &'a Context, r: &'a Pack, q: &'a Pack) -> Self {
        let mut resolved = Vec::with_capacity(request.offences.len());
        let mut unknown: Vec<&str> = Vec::new();
        for cited in &request.offences {
            match r.by_id.get(&cited.reference) {
                Some(&i) => {
                    if let (Some(offence), Some(facts)) = (r.pack.offences.get(i), r.facts.get(i)) {
                        resolved.push(Resolved { offence, facts });
                    }
                }
                None => {
                    if !unknown.contains(&cited.reference.as_str()) {
                        unknown.push(&cited.reference);
                    }
                }
            }
        }
        let g = resolved
            .iter()
            .filter(|o| o.facts.in_scope && !o.facts.protected())
            .map(|o| o.facts.gravity)
            .fold(None, |acc: Option<Gravity>, g| match acc {
                Some(a) if a >= g => Some(a),
                _ => Some(g),
            });
        let categories: Vec<Category> =
            Category::ALL.iter().copied().filter(|c| request.data.categories.contains(c)).collect();
        let measure = request.measure;
        let policy = &ctx.policy;
        let data = match g {
            Some(g) if measure.is_data_measure() => {
                let measure_floor =
                    policy.min_years.measure(measure).filter(|&floor| !g.at_least(floor));
                let removed = categories
                    .iter()
                    .map(|&c| (c, policy.min_years.category(c)))
                    .filter(|&(_, floor)| !g.at_least(floor))
                    .collect();
                Some(DataScope { measure_floor, removed })
            }
            _ => None,
        };
        let windows = categories
            .iter()
            .copied()
            .filter(|c| data.as_ref().is_none_or(|d| !d.removed.iter().any(|(r, _)| r == c)))
            .map(|category| window(category, measure, request.data.period, ctx))
            .collect();
        Analysis { request, ctx, r, q, resolved, unknown, g, categories, data, windows }
    }

    /// Whether a data measure is asked for.
    pub(crate) fn data_measure(&self) -> bool {
        self.request.measure.is_data_measure()
    }
}

/// The window for one category: the requested period, cut to the last L days when it is longer.
fn window(category: Category, measure: Measure, period: Option<Period>, ctx: &Context) -> Window {
    let limits = &ctx.policy.max_period_days;
    let Some(period) = period.filter(|_| measure != Measure::Preservation) else {
        return Window { category, period: None, cut: None };
    };
    let mut limit = limits.category(category);
    if let Some(m) = limits.measure(measure) {
        limit = match (limit, m) {
            (0, m) => m,
            (l, 0) => l,
            (l, m) => l.min(m),
        };
    }
    let days = period.days();
    if measure.is_data_measure() && limit > 0 && days > 0 && days as u64 > limit {
        let from: Day = period.to.minus_days(limit as i64 - 1);
        Window { category, period: Some(Period { from, to: period.to }), cut: Some((days, limit)) }
    } else {
        Window { category, period: Some(period), cut: None }
    }
}
