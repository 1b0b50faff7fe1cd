//! The rule catalogue: every safeguard of rules.md as one item (id, title, citations, explanation, check).
//!
//! `rightsgate rules`, the UI and `docs/rules.md` are generated from [`CATALOGUE`]; there is no second copy.
//! Rule ids are stable: never renumbered, and a retired id stays reserved.

use std::borrow::Cow;
use std::collections::BTreeMap;

use aho_corasick::{automaton::OverlappingState, Anchored, Input};
use domain::lawpack::Gravity;
use domain::vocab::{
    AuthorizationKind, Category, DeathPenalty, Effect, Instrument, Measure, Threat, TreatyStatus,
    Urgency,
};
use serde_json::{json, Value};

use crate::analysis::Analysis;

/// One screening rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable kebab-case id.
    pub id: &'static str,
    /// A short title for people.
    pub title: &'static str,
    /// The effects it can have when it fires, strongest first.
    pub effects: &'static [Effect],
    /// The legal texts it rests on.
    pub citations: &'static [&'static str],
    /// When it fires, in words a lawyer can check against rules.md.
    pub explanation: &'static str,
    pub(crate) check: fn(&Analysis<'_>) -> Option<Fired>,
}

/// What a rule says when it fires.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fired {
    pub(crate) effect: Effect,
    pub(crate) message: String,
    pub(crate) facts: BTreeMap<Cow<'static, str>, Value>,
}

fn fired<const N: usize>(
    effect: Effect,
    message: String,
    facts: [(&'static str, Value); N],
) -> Option<Fired> {
    Some(Fired {
        effect,
        message,
        facts: facts.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)).collect(),
    })
}

/// Every rule, in id order.
pub static CATALOGUE: &[Rule] = &[
    Rule {
        id: "authenticity",
        title: "Authenticity of the requesting authority",
        effects: &[Effect::HumanReview],
        citations: &["UNCC Art. 40 (central authorities and channels)"],
        explanation: "Fires when intake.authenticated is not true: the requesting authority's identity was not verified.",
        check: authenticity,
    },
    Rule {
        id: "child-peer-conduct",
        title: "Consensual conduct between children",
        effects: &[Effect::Refuse],
        citations: &["UNCC Arts 14 and 15 (exemptions for conduct by children)"],
        explanation: "Fires when the policy exempts child peer conduct, review.consensual_peer_conduct is set, and a resolved offence implements UNCC Art. 14 or 15.",
        check: child_peer_conduct,
    },
    Rule {
        id: "data-protection",
        title: "Data protection in the requesting state",
        effects: &[Effect::RequestInformation, Effect::Condition],
        citations: &["UNCC Art. 36", "Convention 108+ Arts 5 and 14"],
        explanation: "For every measure but preservation: requests information when the policy requires use limitation and the requester gave no such assurance; otherwise records a condition when the requesting state is not party to Convention 108+ or has no independent data-protection authority.",
        check: data_protection,
    },
    Rule {
        id: "death-penalty",
        title: "Death penalty",
        effects: &[Effect::RequestInformation, Effect::Condition],
        citations: &["ICCPR Art. 6", "UNCC Art. 6"],
        explanation: "Fires when a resolved offence carries the death penalty and the requesting state retains it or has a moratorium: requests the no-death-penalty assurance, or makes it a condition when given.",
        check: death_penalty,
    },
    Rule {
        id: "dual-criminality",
        title: "Dual criminality",
        effects: &[Effect::Refuse],
        citations: &["UNCC Arts 35 and 40", "N&P principle 12"],
        explanation: "Fires when the measure needs dual criminality under the policy, some resolved offence is in scope, and no resolved in-scope offence matches the conduct of an offence of the requested state (compatible ICCS codes at division level or finer).",
        check: dual_criminality,
    },
    Rule {
        id: "emergency",
        title: "Emergency not explained",
        effects: &[Effect::RequestInformation],
        citations: &["UNCC Art. 2 (\"emergency\")", "UNCC Art. 41"],
        explanation: "Fires when urgency is emergency and the threat is absent or `other`, or the explanation is absent or blank.",
        check: emergency,
    },
    Rule {
        id: "judicial-authorization",
        title: "Independent judicial authorization",
        effects: &[Effect::RequestInformation],
        citations: &["UNCC Art. 24", "N&P principles 5 and 6"],
        explanation: "Fires when authorization is required (the measure is a judicial measure of the policy, or a data measure asks for a judicial category) and the request lacks an independent judicial authorization.",
        check: judicial_authorization,
    },
    Rule {
        id: "legal-basis",
        title: "Legal basis",
        effects: &[Effect::Refuse, Effect::HumanReview],
        citations: &["UNCC Arts 35, 40, 42-47"],
        explanation: "UNCC: refuses when either state is not a party or the requested state reserved the measure's article. Budapest: refuses when either state is not a party. Bilateral: refuses when the requesting state is not a bilateral partner. Reciprocity: human review unless the policy allows it.",
        check: legal_basis,
    },
    Rule {
        id: "ne-bis-in-idem",
        title: "Ne bis in idem",
        effects: &[Effect::Refuse],
        citations: &["UN Model Treaty on MLA Art. 4(1)(d)", "ICCPR Art. 14(7)"],
        explanation: "Fires when the person was finally acquitted or convicted for the same conduct in the requested state.",
        check: ne_bis_in_idem,
    },
    Rule {
        id: "offence-known",
        title: "Offence known in the requesting state's law",
        effects: &[Effect::RequestInformation],
        citations: &["N&P principle 1 (legality)", "UNCC Art. 40 (contents of a request)"],
        explanation: "Fires when an offence ref is not an offence of the requesting state's law pack; one finding names every unknown ref.",
        check: offence_known,
    },
    Rule {
        id: "persecution-risk",
        title: "Risk of persecution",
        effects: &[Effect::HumanReview],
        citations: &["UNCC Art. 40 (persecution clause)", "UNCC Art. 6", "UN Model Treaty on MLA Art. 4(1)(c)"],
        explanation: "Fires when a target profile is one the policy reviews, a resolved offence is classified under a review_iccs prefix, or a screening term matches the facts at the start of a word; one finding names every trigger.",
        check: persecution_risk,
    },
    Rule {
        id: "proportionality-data",
        title: "Proportionality of the data sought",
        effects: &[Effect::Refuse, Effect::Narrow],
        citations: &["UNCC Art. 24", "N&P principles 3-5", "Convention 108+ Art. 5"],
        explanation: "For a data measure with eligible offences: refuses a real-time measure when the gravest eligible offence is below the measure's floor; removes each category whose floor it does not reach, refusing when none is left.",
        check: proportionality_data,
    },
    Rule {
        id: "proportionality-period",
        title: "Proportionality of the period",
        effects: &[Effect::Narrow],
        citations: &["UNCC Art. 24 (scope and duration)", "N&P principle 5"],
        explanation: "For a data measure with a period: each remaining category whose window exceeds its limit (for real-time measures, the smaller non-zero of the category's and the measure's) is cut to the last days of the period up to the limit.",
        check: proportionality_period,
    },
    Rule {
        id: "proportionality-targets",
        title: "Number of targets",
        effects: &[Effect::RequestInformation],
        citations: &["N&P principle 3 (necessity)", "UNCC Art. 23 (specific investigations)"],
        explanation: "Fires when a measure other than information names more identifiers than the policy's max_identifiers.",
        check: proportionality_targets,
    },
    Rule {
        id: "protected-activity",
        title: "Protected activity",
        effects: &[Effect::Refuse],
        citations: &["UNCC Art. 6", "ICCPR Arts 17-22 and 26"],
        explanation: "Fires when a resolved offence criminalizes an activity the policy protects, by its tags or by an ICCS code under a protected_iccs prefix.",
        check: protected_activity,
    },
    Rule {
        id: "request-form",
        title: "Form and contents of the request",
        effects: &[Effect::RequestInformation],
        citations: &["UNCC Art. 40 (contents of a request)"],
        explanation: "Fires when the facts are shorter than 40 characters, a data measure has no period, the period ends before it starts, a measure other than information names no category or no identifier, or a traffic disclosure asks for a category other than traffic.",
        check: request_form,
    },
    Rule {
        id: "rights-climate",
        title: "Human-rights climate of the requesting state",
        effects: &[Effect::HumanReview],
        citations: &["UNCC Art. 6", "N&P principle 12"],
        explanation: "Fires for every measure but preservation when the requesting state's internet-freedom rating is one the policy reviews.",
        check: rights_climate,
    },
    Rule {
        id: "serious-crime",
        title: "Serious crime or Convention offence",
        effects: &[Effect::Refuse],
        citations: &["UNCC Art. 2 (\"serious crime\")", "UNCC Art. 35"],
        explanation: "Fires when every offence is resolved and none is in scope: none implements UNCC Arts 7-17 and none reaches the policy's serious-crime threshold.",
        check: serious_crime,
    },
];

/// A gravity as a JSON fact: a number of years, or "unbounded".
fn gravity_value(g: Gravity) -> Value {
    match g {
        Gravity::Years(y) => years_value(y),
        Gravity::Unbounded => json!("unbounded"),
    }
}

fn years_value(y: f64) -> Value {
    if y.fract() == 0.0 && y.abs() < 1e15 {
        json!(y as i64)
    } else {
        json!(y)
    }
}

fn authenticity(a: &Analysis<'_>) -> Option<Fired> {
    if a.request.authenticated() {
        return None;
    }
    fired(
        Effect::HumanReview,
        format!(
            "the identity of the requesting authority ({}, {}) was not verified at intake; verify it through a trusted channel before acting",
            a.request.requesting.authority, a.request.requesting.state
        ),
        [("authenticated", json!(false))],
    )
}

fn child_peer_conduct(a: &Analysis<'_>) -> Option<Fired> {
    let peer = a.request.review.as_ref().is_some_and(|r| r.consensual_peer_conduct);
    if !a.ctx.policy.exempt_child_peer_conduct || !peer {
        return None;
    }
    let offences: Vec<&str> = a
        .resolved
        .iter()
        .filter(|o| matches!(o.offence.uncc_article, 14 | 15))
        .map(|o| o.offence.id.as_str())
        .collect();
    if offences.is_empty() {
        return None;
    }
    fired(
        Effect::Refuse,
        format!(
            "the conduct is consensual conduct between children of similar age, which the Convention allows states to exempt from {}, and this policy exempts it",
            offences.join(", ")
        ),
        [("offences", json!(offences)), ("consensual_peer_conduct", json!(true))],
    )
}

fn data_protection(a: &Analysis<'_>) -> Option<Fired> {
    if a.request.measure == Measure::Preservation {
        return None;
    }
    let rights = &a.r.pack.rights;
    let missing_assurance =
        a.ctx.policy.require_use_limitation && !a.request.assurances.use_limited_to_proceedings;
    let weak = !rights.convention_108_plus || !rights.independent_dpa;
    let facts = [
        ("use_limited_to_proceedings", json!(a.request.assurances.use_limited_to_proceedings)),
        ("convention_108_plus", json!(rights.convention_108_plus)),
        ("independent_dpa", json!(rights.independent_dpa)),
    ];
    let state = &a.r.pack.name;
    if missing_assurance {
        let mut message = "the requester gave no assurance that the data will be used only for the stated proceedings; ask for it before any transfer".to_owned();
        if weak {
            message.push_str(&format!(
                "; {state} also lacks {}, so the transfer conditions are essential",
                weakness(rights.convention_108_plus, rights.independent_dpa)
            ));
        }
        return fired(Effect::RequestInformation, message, facts);
    }
    if weak {
        return fired(
            Effect::Condition,
            format!(
                "{state} lacks {}; the data may be transferred only under use limitation, no onward transfer and a retention limit",
                weakness(rights.convention_108_plus, rights.independent_dpa)
            ),
            facts,
        );
    }
    None
}

fn weakness(c108: bool, dpa: bool) -> &'static str {
    match (c108, dpa) {
        (false, false) => "Convention 108+ membership and an independent data-protection authority",
        (false, true) => "Convention 108+ membership",
        _ => "an independent data-protection authority",
    }
}

fn death_penalty(a: &Analysis<'_>) -> Option<Fired> {
    let status = a.r.pack.rights.death_penalty;
    if !matches!(status, DeathPenalty::Retained | DeathPenalty::Moratorium) {
        return None;
    }
    let offences: Vec<&str> = a
        .resolved
        .iter()
        .filter(|o| o.offence.death_penalty)
        .map(|o| o.offence.id.as_str())
        .collect();
    if offences.is_empty() {
        return None;
    }
    let facts = [
        ("offences", json!(offences)),
        ("death_penalty_status", json!(status.as_str())),
        ("assurance", json!(a.request.assurances.no_death_penalty)),
    ];
    if a.request.assurances.no_death_penalty {
        fired(
            Effect::Condition,
            format!("{} carries the death penalty ({} in {}); the assurance that it will not be sought or carried out is a condition of assistance", offences.join(", "), status, a.r.pack.name),
            facts,
        )
    } else {
        fired(
            Effect::RequestInformation,
            format!("{} carries the death penalty ({} in {}); seek an assurance that it will not be sought or carried out before anything else", offences.join(", "), status, a.r.pack.name),
            facts,
        )
    }
}

fn dual_criminality(a: &Analysis<'_>) -> Option<Fired> {
    if !a.ctx.measure_requires_dual(a.request.measure) {
        return None;
    }
    let in_scope: Vec<_> = a.resolved.iter().filter(|o| o.facts.in_scope).collect();
    if in_scope.is_empty() || in_scope.iter().any(|o| o.facts.dual_with.is_some()) {
        return None;
    }
    let offences: Vec<String> = in_scope
        .iter()
        .map(|o| format!("{} ({})", o.offence.id, o.offence.iccs.join(", ")))
        .collect();
    fired(
        Effect::Refuse,
        format!(
            "no offence of {} punishes the conduct of {}: dual criminality is required for {}",
            a.q.pack.name,
            offences.join(", "),
            a.request.measure
        ),
        [("offences", json!(offences)), ("requested_state", json!(a.q.pack.code))],
    )
}

fn emergency(a: &Analysis<'_>) -> Option<Fired> {
    if a.request.urgency != Urgency::Emergency {
        return None;
    }
    let e = a.request.emergency.as_ref();
    let threat = e.and_then(|e| e.threat);
    let explained = e.and_then(|e| e.explanation.as_deref()).is_some_and(|x| !x.trim().is_empty());
    let threat_ok = matches!(threat, Some(Threat::Life | Threat::SeriousPhysicalHarm));
    if threat_ok && explained {
        return None;
    }
    let mut missing = Vec::new();
    if !threat_ok {
        missing.push("a threat to life or of serious physical harm");
    }
    if !explained {
        missing.push("an explanation of why the harm is imminent");
    }
    fired(
        Effect::RequestInformation,
        format!(
            "the request is marked as an emergency but does not state {}",
            missing.join(" or ")
        ),
        [("threat", json!(threat.map(|t| t.as_str()))), ("explained", json!(explained))],
    )
}

fn judicial_authorization(a: &Analysis<'_>) -> Option<Fired> {
    let policy = &a.ctx.policy;
    let measure = a.request.measure;
    let by_measure = policy.judicial_measures.contains(&measure);
    let by_category: Vec<Category> = if measure.is_data_measure() {
        a.categories.iter().copied().filter(|c| policy.judicial_categories.contains(c)).collect()
    } else {
        Vec::new()
    };
    if !by_measure && by_category.is_empty() {
        return None;
    }
    let auth = &a.request.authorization;
    if auth.kind == AuthorizationKind::Judicial && auth.independent {
        return None;
    }
    let why = if by_measure {
        format!("the measure {measure}")
    } else {
        format!("{} data", by_category.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" and "))
    };
    fired(
        Effect::RequestInformation,
        format!(
            "{why} requires authorization by an independent judge; the request has {} authorization{}",
            auth.kind,
            if auth.independent { "" } else { " that is not independent" }
        ),
        [
            ("authorization_kind", json!(auth.kind.as_str())),
            ("independent", json!(auth.independent)),
            ("categories", json!(by_category.iter().map(|c| c.as_str()).collect::<Vec<_>>())),
        ],
    )
}

fn legal_basis(a: &Analysis<'_>) -> Option<Fired> {
    let (r, q) = (&a.r.pack, &a.q.pack);
    let instrument = a.request.legal_basis.instrument;
    let facts = |extra: Value| [("instrument", json!(instrument.as_str())), ("detail", extra)];
    match instrument {
        Instrument::Uncc => {
            let (rs, qs) = (r.treaties.uncc_status(), q.treaties.uncc_status());
            let article = a.request.measure.uncc_article();
            let reserved = q.treaties.uncc_reservations().iter().any(|x| x == article);
            let mut problems = Vec::new();
            if rs != TreatyStatus::Party {
                problems.push(format!(
                    "{} is not a party to the UN Convention against Cybercrime ({rs})",
                    r.name
                ));
            }
            if qs != TreatyStatus::Party && q.code != r.code {
                problems.push(format!(
                    "{} is not a party to the UN Convention against Cybercrime ({qs})",
                    q.name
                ));
            }
            if reserved {
                problems.push(format!(
                    "{} reserved Art. {article}, under which {} is requested",
                    q.name, a.request.measure
                ));
            }
            if problems.is_empty() {
                return None;
            }
            fired(
                Effect::Refuse,
                format!("no UNCC basis: {}", problems.join("; ")),
                facts(
                    json!({ "requesting_status": rs.as_str(), "requested_status": qs.as_str(), "article": article, "reserved": reserved }),
                ),
            )
        }
        Instrument::Budapest => {
            let (rs, qs) = (r.treaties.budapest_status(), q.treaties.budapest_status());
            if rs == TreatyStatus::Party && qs == TreatyStatus::Party {
                return None;
            }
            let mut problems = Vec::new();
            if rs != TreatyStatus::Party {
                problems
                    .push(format!("{} is not a party to the Budapest Convention ({rs})", r.name));
            }
            if qs != TreatyStatus::Party {
                problems
                    .push(format!("{} is not a party to the Budapest Convention ({qs})", q.name));
            }
            problems.dedup();
            fired(
                Effect::Refuse,
                format!("no Budapest basis: {}", problems.join("; ")),
                facts(json!({ "requesting_status": rs.as_str(), "requested_status": qs.as_str() })),
            )
        }
        Instrument::Bilateral => {
            if a.ctx.policy.bilateral_partners.contains(&r.code) {
                return None;
            }
            fired(
                Effect::Refuse,
                format!("no bilateral mutual legal assistance treaty with {} is in force under this policy", r.name),
                facts(json!({ "requesting_state": r.code })),
            )
        }
        Instrument::Reciprocity => {
            if a.ctx.policy.allow_reciprocity {
                return None;
            }
            fired(
                Effect::HumanReview,
                "no treaty is invoked, only reciprocity, which this policy leaves to a person to accept".to_owned(),
                facts(json!({ "allow_reciprocity": false })),
            )
        }
    }
}

fn ne_bis_in_idem(a: &Analysis<'_>) -> Option<Fired> {
    if !a.request.review.as_ref().is_some_and(|r| r.final_judgment_in_requested_state) {
        return None;
    }
    fired(
        Effect::Refuse,
        format!(
            "the person was finally acquitted or convicted in {} for the same conduct",
            a.q.pack.name
        ),
        [("final_judgment_in_requested_state", json!(true))],
    )
}

fn offence_known(a: &Analysis<'_>) -> Option<Fired> {
    if a.unknown.is_empty() {
        return None;
    }
    fired(
        Effect::RequestInformation,
        format!(
            "{} {} not an offence in the law pack of {}; ask the requester for the exact provision",
            a.unknown.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(", "),
            if a.unknown.len() == 1 { "is" } else { "are" },
            a.r.pack.name
        ),
        [("unknown_refs", json!(a.unknown))],
    )
}

fn persecution_risk(a: &Analysis<'_>) -> Option<Fired> {
    let mut profiles: Vec<&str> = Vec::new();
    for p in a.request.review.iter().flat_map(|r| &r.profiles) {
        if a.ctx.reviews_profile(*p) && !profiles.contains(&p.as_str()) {
            profiles.push(p.as_str());
        }
    }
    let mut codes: Vec<String> = Vec::new();
    for o in &a.resolved {
        for code in &o.facts.review_codes {
            let entry = format!("{} ({code})", o.offence.id);
            if !codes.contains(&entry) {
                codes.push(entry);
            }
        }
    }
    let terms = matched_terms(a);
    if profiles.is_empty() && codes.is_empty() && terms.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !profiles.is_empty() {
        parts.push(format!("the target is recorded as {}", profiles.join(", ")));
    }
    if !codes.is_empty() {
        parts.push(format!(
            "the offence is classified as rights-sensitive conduct: {}",
            codes.join(", ")
        ));
    }
    if !terms.is_empty() {
        parts.push(format!(
            "the facts mention {}",
            terms.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ")
        ));
    }
    fired(
        Effect::HumanReview,
        format!("a person must assess the risk of persecution: {}", parts.join("; ")),
        [("profiles", json!(profiles)), ("offences", json!(codes)), ("terms", json!(terms))],
    )
}

/// The policy's screening terms that match the facts at the start of a word, in policy order.
fn matched_terms<'c>(a: &Analysis<'c>) -> Vec<&'c str> {
    let mut hits = vec![false; a.ctx.term_names.len()];
    // ASCII facts need no lower-cased copy: the automaton folds ASCII case itself, and folding ASCII case never
    // changes whether a character is a letter or digit. Other text is lower-cased as rules.md says.
    let lowered;
    let (automaton, facts) = match &a.ctx.terms_ascii {
        Some(ascii) if a.request.facts.is_ascii() => (ascii, a.request.facts.as_str()),
        _ => {
            lowered = a.request.facts.to_lowercase();
            (&a.ctx.terms, lowered.as_str())
        }
    };
    // Only matches that start a word count. Each word start is first checked against the set of the terms'
    // first two bytes, which rules out almost every position; the automaton then runs anchored at the few
    // positions left, instead of scanning every byte of the facts.
    let bytes = facts.as_bytes();
    let mut previous_is_word = false;
    for (i, c) in facts.char_indices() {
        if !previous_is_word && a.ctx.term_starts.may_start_at(bytes, i) {
            let input = Input::new(facts).span(i..facts.len()).anchored(Anchored::Yes);
            let mut state = OverlappingState::start();
            loop {
                automaton.find_overlapping(input.clone(), &mut state);
                let Some(m) = state.get_match() else { break };
                if let Some(hit) = hits.get_mut(m.pattern().as_usize()) {
                    *hit = true;
                }
            }
        }
        previous_is_word = c.is_alphanumeric();
    }
    a.ctx.term_names.iter().zip(hits).filter(|(_, hit)| *hit).map(|(t, _)| t.as_str()).collect()
}

fn proportionality_data(a: &Analysis<'_>) -> Option<Fired> {
    let scope = a.data.as_ref()?;
    let g = a.g?;
    let left = a.categories.len() - scope.removed.len();
    let removed: Vec<&str> = scope.removed.iter().map(|(c, _)| c.as_str()).collect();
    let floors: BTreeMap<&str, Value> =
        scope.removed.iter().map(|(c, f)| (c.as_str(), years_value(*f))).collect();
    let facts = |floor: Option<f64>| {
        [
            ("gravity", gravity_value(g)),
            ("measure_floor", floor.map_or(Value::Null, years_value)),
            ("removed", json!(removed)),
            ("category_floors", json!(floors)),
        ]
    };
    if let Some(floor) = scope.measure_floor {
        return fired(
            Effect::Refuse,
            format!(
                "{} needs an offence punishable by at least {floor} years; the gravest eligible offence carries {g}",
                a.request.measure
            ),
            facts(Some(floor)),
        );
    }
    if scope.removed.is_empty() {
        return None;
    }
    let detail = scope
        .removed
        .iter()
        .map(|(c, f)| format!("{c} data needs at least {f} years"))
        .collect::<Vec<_>>()
        .join(", ");
    if left == 0 {
        fired(
            Effect::Refuse,
            format!("the gravest eligible offence carries {g}, too little for any category requested: {detail}"),
            facts(None),
        )
    } else {
        fired(
            Effect::Narrow,
            format!(
                "the gravest eligible offence carries {g}; {detail}, so {} removed",
                if removed.len() == 1 {
                    format!("{} is", removed.join(""))
                } else {
                    format!("{} are", removed.join(" and "))
                }
            ),
            facts(None),
        )
    }
}

fn proportionality_period(a: &Analysis<'_>) -> Option<Fired> {
    if !a.data_measure() {
        return None;
    }
    let cuts: Vec<_> =
        a.windows.iter().filter_map(|w| Some((w.category, w.cut?, w.period?))).collect();
    if cuts.is_empty() {
        return None;
    }
    let messages: Vec<String> = cuts
        .iter()
        .map(|(c, (days, limit), p)| {
            format!(
                "{c} data window of {days} days exceeds the {limit}-day limit; narrowed to {}..{}",
                p.from, p.to
            )
        })
        .collect();
    let limits: BTreeMap<&str, Value> =
        cuts.iter().map(|(c, (_, l), _)| (c.as_str(), json!(l))).collect();
    let requested = cuts.first().map_or(0, |(_, (d, _), _)| *d);
    fired(
        Effect::Narrow,
        messages.join("; "),
        [("requested_days", json!(requested)), ("limit_days", json!(limits))],
    )
}

fn proportionality_targets(a: &Analysis<'_>) -> Option<Fired> {
    let n = a.request.data.identifiers.len() as u64;
    let max = a.ctx.policy.max_identifiers;
    if a.request.measure == Measure::Information || n <= max {
        return None;
    }
    fired(
        Effect::RequestInformation,
        format!("the request names {n} identifiers, more than the {max} allowed; ask the requester to show why each target is needed"),
        [("identifiers", json!(n)), ("max_identifiers", json!(max))],
    )
}

fn protected_activity(a: &Analysis<'_>) -> Option<Fired> {
    let hits: Vec<_> = a.resolved.iter().filter(|o| o.facts.protected()).collect();
    if hits.is_empty() {
        return None;
    }
    let described: Vec<String> = hits
        .iter()
        .map(|o| {
            let mut why: Vec<String> =
                o.facts.protected_tags.iter().map(|t| t.as_str().replace('_', " ")).collect();
            why.extend(o.facts.protected_codes.iter().map(|c| format!("ICCS {c}")));
            format!(
                "{} ({}, {}) criminalizes protected activity: {}",
                o.offence.id,
                o.offence.citation,
                o.offence.title,
                why.join(", ")
            )
        })
        .collect();
    let tags: Vec<&str> = hits
        .iter()
        .flat_map(|o| o.facts.protected_tags.iter().map(|t| t.as_str()))
        .fold(Vec::new(), |mut acc, t| {
            if !acc.contains(&t) {
                acc.push(t);
            }
            acc
        });
    fired(
        Effect::Refuse,
        described.join("; "),
        [
            ("offences", json!(hits.iter().map(|o| o.offence.id.as_str()).collect::<Vec<_>>())),
            ("activities", json!(tags)),
        ],
    )
}

fn request_form(a: &Analysis<'_>) -> Option<Fired> {
    let r = a.request;
    let mut problems = Vec::new();
    let facts_len = r.facts.trim().chars().count();
    if facts_len < 40 {
        problems.push(format!(
            "the facts have {facts_len} characters, fewer than the 40 needed to describe a case"
        ));
    }
    if r.measure.is_data_measure() && r.data.period.is_none() {
        problems.push(format!("{} needs a period", r.measure));
    }
    if let Some(p) = r.data.period {
        if p.from > p.to {
            problems.push(format!("the period starts ({}) after it ends ({})", p.from, p.to));
        }
    }
    if r.measure != Measure::Information {
        if r.data.categories.is_empty() {
            problems.push("no data category is named".to_owned());
        }
        if r.data.identifiers.is_empty() {
            problems.push("no identifier is named".to_owned());
        }
    }
    if r.measure == Measure::TrafficDisclosure {
        let other: Vec<&str> =
            a.categories.iter().filter(|c| **c != Category::Traffic).map(|c| c.as_str()).collect();
        if !other.is_empty() {
            problems.push(format!(
                "a disclosure of preserved traffic data (Art. 43) cannot ask for {}",
                other.join(" or ")
            ));
        }
    }
    if problems.is_empty() {
        return None;
    }
    fired(
        Effect::RequestInformation,
        format!("the request is incomplete: {}", problems.join("; ")),
        [("problems", json!(problems))],
    )
}

fn rights_climate(a: &Analysis<'_>) -> Option<Fired> {
    let rating = a.r.pack.rights.internet_freedom;
    if a.request.measure == Measure::Preservation || !a.ctx.reviews_climate(rating) {
        return None;
    }
    fired(
        Effect::HumanReview,
        format!(
            "{} is rated {} for internet freedom; a person reviews requests from it",
            a.r.pack.name,
            rating.as_str().replace('_', " ")
        ),
        [("internet_freedom", json!(rating.as_str()))],
    )
}

fn serious_crime(a: &Analysis<'_>) -> Option<Fired> {
    if !a.unknown.is_empty() || a.resolved.is_empty() || a.resolved.iter().any(|o| o.facts.in_scope)
    {
        return None;
    }
    let offences: Vec<String> =
        a.resolved.iter().map(|o| format!("{} ({})", o.offence.id, o.facts.gravity)).collect();
    fired(
        Effect::Refuse,
        format!(
            "{} neither implements a Convention offence (UNCC Arts 7-17) nor is punishable by at least {} years",
            offences.join(", "),
            a.ctx.policy.serious_crime_min_years
        ),
        [("offences", json!(offences)), ("threshold_years", years_value(a.ctx.policy.serious_crime_min_years))],
    )
}

#[cfg(test)]
mod tests {
    use super::CATALOGUE;

    #[test]
    fn catalogue_is_in_id_order_and_ids_are_unique() {
        for pair in CATALOGUE.windows(2) {
            assert!(pair[0].id < pair[1].id, "{} before {}", pair[0].id, pair[1].id);
        }
    }
}
