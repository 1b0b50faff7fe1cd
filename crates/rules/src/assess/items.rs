//! The item catalogue of `assess`: every condition for rights-respecting implementation as one entry, with its
//! citations (each with its certainty) and its check.
//!
//! Item ids are stable: never renumbered, and a retired id stays reserved. `docs/assess.md` lists every item
//! (a tidy test checks it does).

use domain::vocab::{
    Activity, Category, DeathPenalty, InternetFreedom, Measure, NoticeTiming, RefusalGround,
    ReportInterval, ReservationTopic,
};

use super::{
    action, coverage, ev, ground, instrument, list, standing, ActionKind, Certainty, Citation,
    Facts, Gate, Group, ItemDef, Origin, Status, Verdict, DUAL_MEASURES,
};

const fn cite(text: &'static str, certainty: Certainty) -> Citation {
    Citation { text, certainty, note: None }
}

const fn cite_note(text: &'static str, certainty: Certainty, note: &'static str) -> Citation {
    Citation { text, certainty, note: Some(note) }
}

use Certainty::{Secondary, Unverified, Verified};

const NP_RECALLED: &str =
    "the principle's name is verified; its gist is from recollection, check necessaryandproportionate.org/text";
const STATEMENT: Citation = cite_note(
    "Joint civil-society statement on the UN Convention against Cybercrime (October 2025)",
    Secondary,
    "the conditions are as issue 15 summarises them; the statement was read only through a mirror",
);
const SECONDARY_ONLY: &str =
    "named by secondary sources (EFF, NGO statement); the wording was not seen";
const UNCC_24: &str = "UNCC Art. 24 wording not seen; modelled on Budapest Art. 15 (verified)";
const UNCC_40: &str =
    "UNCC Art. 40 paragraph numbers are believed to be one or two off UNTOC Art. 18 (verified); not verified";

/// Every item, in the order the assessment lists them.
pub static ITEMS: &[ItemDef] = &[
    // The 13 Necessary & Proportionate principles.
    ItemDef {
        id: "np-01-legality",
        group: Group::NecessaryProportionate,
        title: "Legality: offences in clear, public law",
        method: "Met when every offence of the state's law pack has a citation and at least one source; partly met when some have; not met when none has; unknown when the pack lists no offence.",
        citations: &[cite("N&P principle 1 (legality)", Verified)],
        check: np_legality,
    },
    ItemDef {
        id: "np-02-legitimate-aim",
        group: Group::NecessaryProportionate,
        title: "Legitimate aim: protected activities are never a ground",
        method: "Met when the policy protects all seven protected activities and the state's own law pack criminalizes none of them; partly met when the policy protects some or the state's own law criminalizes one; not met when the policy protects none.",
        citations: &[cite("N&P principle 2 (legitimate aim)", Verified), cite_note("UNCC Art. 6(2)", Unverified, "paragraph and wording not verified")],
        check: np_legitimate_aim,
    },
    ItemDef {
        id: "np-03-necessity",
        group: Group::NecessaryProportionate,
        title: "Necessity: targeted requests for serious crime",
        method: "Met when the policy caps identifiers at 10 or fewer (and above 0) and its serious-crime threshold is at least 4 years; partly met when one holds; not met when neither does.",
        citations: &[cite("N&P principle 3 (necessity)", Verified), cite_note("UNCC Art. 2 (\"serious crime\": at least four years)", Secondary, SECONDARY_ONLY)],
        check: np_necessity,
    },
    ItemDef {
        id: "np-04-adequacy",
        group: Group::NecessaryProportionate,
        title: "Adequacy: more intrusive measures need graver offences",
        method: "Met when the policy's gravity floors rise with intrusiveness (subscriber ≤ traffic ≤ content ≤ interception, traffic ≤ real-time traffic) and content needs more than subscriber data; not met when every floor is the same; partly met otherwise.",
        citations: &[cite("N&P principle 4 (adequacy)", Verified)],
        check: np_adequacy,
    },
    ItemDef {
        id: "np-05-proportionality",
        group: Group::NecessaryProportionate,
        title: "Proportionality: content and interception only for serious crime",
        method: "Met when the policy's floors for content data and for interception are both at least 4 years; partly met when one is; not met when neither is.",
        citations: &[cite("N&P principle 5 (proportionality)", Verified), cite_note("UNCC Art. 24(1)", Unverified, UNCC_24)],
        check: np_proportionality,
    },
    ItemDef {
        id: "np-06-judicial-authority",
        group: Group::NecessaryProportionate,
        title: "Competent judicial authority for interception and real-time collection",
        method: "Met when the policy requires independent judicial authorization for interception and real-time traffic collection and for content data; not met when interception does not need it; partly met otherwise.",
        citations: &[cite_note("N&P principle 6 (competent judicial authority)", Unverified, NP_RECALLED), cite("N&P principle 5 (proportionality)", Verified)],
        check: np_judicial,
    },
    ItemDef {
        id: "np-07-due-process",
        group: Group::NecessaryProportionate,
        title: "Due process and an effective remedy",
        method: "From the framework's domestic_law.effective_remedy: true and in force is met, true and planned partly met, false not met; unknown without it.",
        citations: &[cite_note("N&P principle 7 (due process)", Unverified, NP_RECALLED), cite_note("UNCC Art. 24(2) (right to an effective remedy)", Unverified, UNCC_24)],
        check: np_due_process,
    },
    ItemDef {
        id: "np-08-user-notification",
        group: Group::NecessaryProportionate,
        title: "User notification",
        method: "From the framework's domestic_law.user_notification: prior or after the fact, in force, is met (planned: partly met); none is not met; unknown without it.",
        citations: &[cite_note("N&P principle 8 (user notification)", Unverified, NP_RECALLED)],
        check: np_notification,
    },
    ItemDef {
        id: "np-09-transparency",
        group: Group::NecessaryProportionate,
        title: "Transparency: the use of the powers is published",
        method: "From the framework's publication.statistics: half-yearly or yearly, in force, is met (planned: partly met); none is not met; without a framework, partly met when a store shows the gate's ledger (the gate publishes /transparency), else unknown.",
        citations: &[cite_note("N&P principle 9 (transparency)", Unverified, "the detail (aggregate numbers of requests approved and rejected) is not verified")],
        check: np_transparency,
    },
    ItemDef {
        id: "np-10-public-oversight",
        group: Group::NecessaryProportionate,
        title: "Public oversight by an independent body",
        method: "From the framework's oversight: an independent body that reports publicly, in force, is met (planned: partly met), otherwise not met; without it, partly met when the law pack records an independent data-protection authority, else unknown.",
        citations: &[cite_note("N&P principle 10 (public oversight)", Unverified, NP_RECALLED)],
        check: np_oversight,
    },
    ItemDef {
        id: "np-11-integrity",
        group: Group::NecessaryProportionate,
        title: "Integrity of communications and systems",
        method: "From the framework's domestic_law: no compelled weakening of security and no general data retention, in force, is met (planned: partly met); one of the two is partly met; neither is not met; unknown without it.",
        citations: &[cite_note("N&P principle 11 (integrity of communications and systems)", Unverified, NP_RECALLED)],
        check: np_integrity,
    },
    ItemDef {
        id: "np-12-international-cooperation",
        group: Group::NecessaryProportionate,
        title: "Safeguards for international cooperation",
        method: "Met when the policy requires dual criminality for every measure but preservation and does not accept reciprocity without review; partly met when some of that holds; not met when no measure needs dual criminality.",
        citations: &[cite("N&P principle 12 (safeguards for international cooperation)", Verified)],
        check: np_cooperation,
    },
    ItemDef {
        id: "np-13-illegitimate-access",
        group: Group::NecessaryProportionate,
        title: "Safeguards against illegitimate access",
        method: "Met when the policy requires a use-limitation assurance and caps retention (1 to 730 days); partly met when one holds; not met when neither does.",
        citations: &[cite_note("N&P principle 13 (safeguards against illegitimate access)", Unverified, NP_RECALLED)],
        check: np_illegitimate_access,
    },
    // Convention 108+.
    ItemDef {
        id: "c108-party",
        group: Group::Convention108,
        title: "Party to Convention 108+",
        method: "From the law pack's rights.convention_108_plus: met or not met.",
        citations: &[cite("Convention 108+ (CETS 108 as amended by CETS 223)", Verified)],
        check: c108_party,
    },
    ItemDef {
        id: "c108-independent-authority",
        group: Group::Convention108,
        title: "Independent supervisory authority",
        method: "From the law pack's rights.independent_dpa: met or not met.",
        citations: &[cite_note("Convention 108+ Art. 15", Secondary, "read in the explanatory report (paras 117-130), not the text")],
        check: c108_authority,
    },
    ItemDef {
        id: "c108-transborder-flows",
        group: Group::Convention108,
        title: "Transborder flows only with appropriate protection",
        method: "The gate always checks the requesting state's Convention 108+ status and authority (rule data-protection) and attaches use, onward-transfer and retention conditions; met when the policy also requires the use-limitation assurance and caps retention; partly met otherwise.",
        citations: &[cite("Convention 108+ Art. 14(1)", Verified), cite_note("Convention 108+ Art. 14(2)-(3)", Secondary, "read in the explanatory report (paras 104-111), not the text"), cite("Convention 108+ Art. 5", Verified)],
        check: c108_transborder,
    },
    // The statement's conditions.
    ItemDef {
        id: "stmt-reservations",
        group: Group::Statement,
        title: "Reservations and declarations that protect rights",
        method: "From the framework's reservations (any topic but disputes and other): one deposited is met, only planned partly met, none not met; unknown without a framework.",
        citations: &[STATEMENT],
        check: stmt_reservations,
    },
    ItemDef {
        id: "stmt-dual-criminality",
        group: Group::Statement,
        title: "Cooperation conditioned on dual criminality",
        method: "Not met when the policy does not require dual criminality for every measure but preservation; otherwise met when a dual-criminality declaration is deposited, partly met when it is planned or absent (only the gate conditions it).",
        citations: &[STATEMENT, cite_note("UNCC Art. 40(8)", Unverified, UNCC_40), cite("UNTOC Art. 18(9) (model)", Verified)],
        check: stmt_dual_criminality,
    },
    ItemDef {
        id: "stmt-right-of-refusal",
        group: Group::Statement,
        title: "The right of refusal is exercised",
        method: "The policy's refusing safeguards (protected activities, child peer conduct, dual criminality, serious-crime threshold): all on is met, some partly met, none not met; when a store shows 20 or more decisions and no refusal, at most partly met.",
        citations: &[STATEMENT, cite_note("UNCC Art. 40(21)", Unverified, UNCC_40)],
        check: stmt_refusal,
    },
    ItemDef {
        id: "stmt-statistics",
        group: Group::Statement,
        title: "Statistics of requests received, approved, approved in part and refused",
        method: "From the framework's publication: statistics at an interval with refusals by ground, in force, is met (planned: partly met); no statistics is not met; without a framework, partly met when a store shows the gate's ledger, else unknown.",
        citations: &[STATEMENT, cite("Budapest Art. 27(6) (granting in part)", Verified)],
        check: stmt_statistics,
    },
    ItemDef {
        id: "stmt-stakeholders",
        group: Group::Statement,
        title: "A robust role for stakeholders",
        method: "From the framework's stakeholders.consultation: true and in force is met, planned partly met, false not met; unknown without it.",
        citations: &[STATEMENT],
        check: stmt_stakeholders,
    },
    ItemDef {
        id: "stmt-witnessed-ledger",
        group: Group::Statement,
        title: "Independent oversight of the gate's record",
        method: "Met when the store shows a checkpoint co-signed by at least one witness; not met when a store shows none; partly met when only the framework's oversight.witness commits to it; unknown otherwise.",
        citations: &[STATEMENT, cite_note("N&P principle 10 (public oversight)", Unverified, NP_RECALLED)],
        check: stmt_witness,
    },
    // The Convention's own provisions.
    ItemDef {
        id: "uncc-2-serious-crime",
        group: Group::Uncc,
        title: "Evidence shared only for serious crime",
        method: "Met when the policy's serious-crime threshold is at least 4 years (the Convention's definition); not met below.",
        citations: &[cite_note("UNCC Art. 2 (\"serious crime\")", Secondary, SECONDARY_ONLY), cite_note("UNCC Art. 35(1)(c)", Secondary, SECONDARY_ONLY)],
        check: uncc_serious_crime,
    },
    ItemDef {
        id: "uncc-6-protected-activity",
        group: Group::Uncc,
        title: "Refusal where a protected activity is criminalized",
        method: "A refusal ground: met when the policy protects all seven activities and domestic law provides the ground (in force); partly met when only the gate enforces it, it is planned, or the policy protects some; not met when the policy protects none.",
        citations: &[cite_note("UNCC Art. 6", Unverified, "the article's existence is supported by secondary sources; its wording is not verified"), cite_note("ICCPR Arts 17-22 and 26", Unverified, "not checked in this project's legal note")],
        check: uncc_protected,
    },
    ItemDef {
        id: "uncc-14-15-child-exemption",
        group: Group::Uncc,
        title: "Consensual conduct between children is not prosecuted",
        method: "From the policy's exempt_child_peer_conduct: met or not met.",
        citations: &[cite_note("UNCC Arts 14(4) and 15(4)", Secondary, "paragraphs named by a secondary source; exact wording not verified")],
        check: uncc_child,
    },
    ItemDef {
        id: "uncc-23-realtime-scope",
        group: Group::Uncc,
        title: "Art. 23 reservation narrowing real-time traffic collection",
        method: "From the framework's realtime_scope reservation: deposited is met, planned partly met; without one, partly met when the policy's real-time floor is at least 4 years (the gate narrows in practice), else not met; without a framework, the policy alone decides between partly met and not met.",
        citations: &[cite_note("UNCC Art. 23", Unverified, "the article is named as the scope of procedural measures by a secondary source; the reservation's paragraph is not verified"), cite("Budapest Art. 14 (model)", Verified)],
        check: uncc_realtime_scope,
    },
    ItemDef {
        id: "uncc-24-independent-review",
        group: Group::Uncc,
        title: "Judicial or other independent review of intrusive measures",
        method: "Met when the policy requires independent judicial authorization for traffic and content data and for real-time collection and interception; partly met when for some; not met when for none.",
        citations: &[cite_note("UNCC Art. 24(2)", Unverified, "\"review\" or \"supervision\": the UNCC word is not verified; Budapest Art. 15(2) (verified) says supervision")],
        check: uncc_review,
    },
    ItemDef {
        id: "uncc-24-scope-duration",
        group: Group::Uncc,
        title: "Limits on scope and duration",
        method: "Met when the policy limits the window of traffic data, content data, real-time collection and interception (non-zero max_period_days); partly met when some; not met when none.",
        citations: &[cite_note("UNCC Art. 24(2)", Unverified, UNCC_24)],
        check: uncc_duration,
    },
    ItemDef {
        id: "uncc-24-declaration",
        group: Group::Uncc,
        title: "Declaration: the same safeguards for foreign requests",
        method: "From the framework's conditions_and_safeguards declaration: deposited is met, planned partly met, none not met; unknown without a framework.",
        citations: &[cite_note("UNCC Art. 24(4)", Unverified, "that the safeguards apply when executing foreign requests is from recollection; verify"), STATEMENT],
        check: uncc_24_declaration,
    },
    ItemDef {
        id: "uncc-35-conduct",
        group: Group::Uncc,
        title: "Dual criminality judged on conduct",
        method: "The gate matches offences by ICCS conduct codes at division level (4 digits) or finer; met when every offence of the state's law pack has such a code, partly met when some do, not met when none does; unknown without offences.",
        citations: &[cite_note("UNCC Art. 35(2)", Unverified, "paragraph number uncertain; the principle is supported by UNODC teaching material and Budapest Art. 25(5) (verified)")],
        check: uncc_conduct,
    },
    ItemDef {
        id: "uncc-36-transfer-conditions",
        group: Group::Uncc,
        title: "Data-protection refusal or conditions",
        method: "A refusal ground: the gate's side is the policy's use-limitation requirement and retention cap; domestic law's side the data_protection ground.",
        citations: &[cite_note("UNCC Art. 36(1)(a)-(b)", Secondary, "named in a summary of the EDPS opinion; paragraph numbers not verified")],
        check: uncc_transfer,
    },
    ItemDef {
        id: "uncc-36-onward-transfer",
        group: Group::Uncc,
        title: "Onward transfer only with prior authorization",
        method: "The gate attaches no_onward_transfer to every grant but preservation; met when a data_protection declaration is deposited, partly met otherwise.",
        citations: &[cite_note("UNCC Art. 36(3)", Unverified, "paragraph and wording not verified")],
        check: uncc_onward,
    },
    ItemDef {
        id: "uncc-40-central-authority",
        group: Group::Uncc,
        title: "Central authority notified",
        method: "From the framework's notifications.central_authority: deposited is met, planned partly met, absent not met; unknown without a framework.",
        citations: &[cite_note("UNCC Art. 40(13)", Unverified, UNCC_40)],
        check: uncc_central_authority,
    },
    ItemDef {
        id: "uncc-40-persecution",
        group: Group::Uncc,
        title: "Refusal where the request aims at persecution",
        method: "A refusal ground: the gate's side is the policy's review profiles, review ICCS codes and screening terms (all set: full; some: part); domestic law's side the persecution ground.",
        citations: &[cite_note("UNCC Art. 40(22)", Unverified, "wording and paragraph not verified; the UNTOC model (Art. 16(14)) is verified"), cite("UN Model Treaty on MLA Art. 4(1)(c)", Verified)],
        check: uncc_persecution,
    },
    ItemDef {
        id: "uncc-40-political-offence",
        group: Group::Uncc,
        title: "Refusal for a political offence",
        method: "No rule of the gate refuses for a political offence as such: from the framework's domestic_law.refusal_grounds alone (listed and in force: met; planned: partly met; not listed: not met; unknown without it).",
        citations: &[cite("UN Model Treaty on MLA Art. 4(1)(b)", Verified), cite("Budapest Art. 27(4)(a)", Verified)],
        check: uncc_political,
    },
    ItemDef {
        id: "uncc-40-death-penalty",
        group: Group::Uncc,
        title: "Refusal without a death-penalty assurance",
        method: "A refusal ground the gate always enforces (rule death-penalty); domestic law's side the death_penalty ground; at most partly met when the state's own law pack retains the death penalty.",
        citations: &[cite_note("ICCPR Art. 6", Unverified, "not checked in this project's legal note"), cite_note("UNCC Art. 6", Unverified, "wording not verified")],
        check: uncc_death_penalty,
    },
    ItemDef {
        id: "uncc-40-ne-bis-in-idem",
        group: Group::Uncc,
        title: "Refusal for double jeopardy",
        method: "A refusal ground the gate always enforces (rule ne-bis-in-idem); domestic law's side the ne_bis_in_idem ground.",
        citations: &[cite_note("UN Model Treaty on MLA Art. 4(1)(d)", Unverified, "paragraph not verified"), cite_note("ICCPR Art. 14(7)", Unverified, "not checked in this project's legal note")],
        check: uncc_ne_bis,
    },
    ItemDef {
        id: "uncc-40-human-rights-risk",
        group: Group::Uncc,
        title: "Review where the requesting state's rights climate is poor",
        method: "A refusal ground: the gate's side is the policy's review of requests from states rated not free (rule rights-climate); domestic law's side the human_rights_risk ground.",
        citations: &[cite_note("UNCC Art. 6", Unverified, "the Convention has no express ground; this relies on Art. 6 and Art. 40(21)(b)/(d), paragraphs not verified")],
        check: uncc_rights_risk,
    },
    ItemDef {
        id: "uncc-40-reasons",
        group: Group::Uncc,
        title: "Reasons given for every refusal",
        method: "From the store: met when no refusal lacks a ground, partly met when some do; unknown without a store or before the first refusal.",
        citations: &[cite_note("UNCC Art. 40(24)", Unverified, UNCC_40), cite("UNTOC Art. 18(23) (model)", Verified), cite("Budapest Art. 27(7)", Verified)],
        check: uncc_reasons,
    },
    ItemDef {
        id: "uncc-40-reciprocity",
        group: Group::Uncc,
        title: "No cooperation on reciprocity alone without review",
        method: "From the policy's allow_reciprocity: false is met, true not met.",
        citations: &[cite("N&P principle 12 (safeguards for international cooperation)", Verified)],
        check: uncc_reciprocity,
    },
    ItemDef {
        id: "uncc-41-point-24-7",
        group: Group::Uncc,
        title: "24/7 point of contact notified",
        method: "From the framework's notifications.point_24_7: deposited is met, planned partly met, absent not met; unknown without a framework.",
        citations: &[cite_note("UNCC Art. 41", Secondary, "the network is named by secondary sources; its contents are not verified")],
        check: uncc_point_24_7,
    },
    ItemDef {
        id: "uncc-42-preservation-reservation",
        group: Group::Uncc,
        title: "Art. 42 reservation: preservation and dual criminality",
        method: "From the framework's preservation_dual_criminality reservation: deposited is met, planned partly met, none not met; unknown without a framework.",
        citations: &[cite_note("UNCC Art. 42(4)", Unverified, "paragraph believed to be 42(4); the model, Budapest Art. 29(4), is verified"), cite("Budapest Art. 29(4) (model)", Verified)],
        check: uncc_preservation,
    },
];

fn p(field: &str) -> String {
    format!("policy.{field}")
}

fn np_legality(f: &Facts<'_>) -> Verdict {
    let offences = &f.pack.offences;
    let sourced =
        offences.iter().filter(|o| !o.citation.trim().is_empty() && !o.sources.is_empty());
    let unsourced: Vec<&str> = offences
        .iter()
        .filter(|o| o.citation.trim().is_empty() || o.sources.is_empty())
        .map(|o| o.id.as_str())
        .collect();
    let n = sourced.count();
    let status = match (offences.len(), n) {
        (0, _) => Status::Unknown,
        (total, n) if n == total => Status::Met,
        (_, 0) => Status::NotMet,
        _ => Status::PartlyMet,
    };
    Verdict {
        status,
        evidence: vec![
            ev(Origin::Lawpack, "offences", format!("{n} of {} offences cited with a source", offences.len())),
            ev(Origin::Gate, "rule offence-known", "an offence the requesting state's law pack does not hold is never screened as known"),
        ],
        action: action(
            ActionKind::Practice,
            format!("record a citation and a source for offences {} in the law pack (rightsgate lawpack check --strict)", list(&unsourced)),
        ),
    }
}

fn np_legitimate_aim(f: &Facts<'_>) -> Verdict {
    let gate = coverage(&f.policy.protected_activities, Activity::ALL);
    let own: Vec<String> = f
        .pack
        .offences
        .iter()
        .filter(|o| !o.protected.is_empty())
        .map(|o| format!("{} ({}: {})", o.id, o.citation, list(&o.protected)))
        .collect();
    let status = match (gate, own.is_empty()) {
        (Gate::Full, true) => Status::Met,
        (Gate::Off, _) => Status::NotMet,
        _ => Status::PartlyMet,
    };
    let act = if gate == Gate::Full {
        action(
            ActionKind::LegalReform,
            format!(
                "review the state's own offences that criminalize a protected activity: {}",
                own.join("; ")
            ),
        )
    } else {
        let missing: Vec<&Activity> =
            Activity::ALL.iter().filter(|a| !f.policy.protected_activities.contains(a)).collect();
        action(ActionKind::Policy, format!("add {} to policy.protected_activities", list(&missing)))
    };
    Verdict {
        status,
        evidence: vec![
            ev(Origin::Policy, p("protected_activities"), list(&f.policy.protected_activities)),
            ev(
                Origin::Lawpack,
                "offences[].protected",
                if own.is_empty() { "none".to_owned() } else { own.join("; ") },
            ),
        ],
        action: act,
    }
}

fn np_necessity(f: &Facts<'_>) -> Verdict {
    let targets = (1..=10).contains(&f.policy.max_identifiers);
    let serious = f.policy.serious_crime_min_years >= 4.0;
    let status = match (targets, serious) {
        (true, true) => Status::Met,
        (false, false) => Status::NotMet,
        _ => Status::PartlyMet,
    };
    let mut fixes = Vec::new();
    if !targets {
        fixes.push("set policy.max_identifiers to 10 or fewer");
    }
    if !serious {
        fixes.push("set policy.serious_crime_min_years to 4");
    }
    Verdict {
        status,
        evidence: vec![
            ev(Origin::Policy, p("max_identifiers"), f.policy.max_identifiers.to_string()),
            ev(
                Origin::Policy,
                p("serious_crime_min_years"),
                f.policy.serious_crime_min_years.to_string(),
            ),
        ],
        action: action(ActionKind::Policy, fixes.join("; ")),
    }
}

fn np_adequacy(f: &Facts<'_>) -> Verdict {
    let m = &f.policy.min_years;
    let ladder = m.subscriber <= m.traffic
        && m.traffic <= m.content
        && m.content <= m.interception
        && m.traffic <= m.realtime_traffic;
    let flat = m.subscriber == m.traffic
        && m.traffic == m.content
        && m.content == m.realtime_traffic
        && m.realtime_traffic == m.interception;
    let status = if flat {
        Status::NotMet
    } else if ladder && m.content > m.subscriber {
        Status::Met
    } else {
        Status::PartlyMet
    };
    Verdict {
        status,
        evidence: vec![ev(
            Origin::Policy,
            p("min_years"),
            format!(
                "subscriber {}, traffic {}, content {}, realtime_traffic {}, interception {}",
                m.subscriber, m.traffic, m.content, m.realtime_traffic, m.interception
            ),
        )],
        action: action(ActionKind::Policy, "set policy.min_years so that each more intrusive category and measure needs a graver offence (the default: subscriber 0, traffic 3, content 4, realtime_traffic 4, interception 5)"),
    }
}

fn np_proportionality(f: &Facts<'_>) -> Verdict {
    let m = &f.policy.min_years;
    let status = match (m.content >= 4.0, m.interception >= 4.0) {
        (true, true) => Status::Met,
        (false, false) => Status::NotMet,
        _ => Status::PartlyMet,
    };
    Verdict {
        status,
        evidence: vec![
            ev(Origin::Policy, p("min_years.content"), m.content.to_string()),
            ev(Origin::Policy, p("min_years.interception"), m.interception.to_string()),
            ev(
                Origin::Gate,
                "rule proportionality-data",
                "removes a category whose floor the gravest eligible offence does not reach",
            ),
        ],
        action: action(
            ActionKind::Policy,
            "set policy.min_years.content and policy.min_years.interception to at least 4",
        ),
    }
}

fn np_judicial(f: &Facts<'_>) -> Verdict {
    let measures = &f.policy.judicial_measures;
    let interception = measures.contains(&Measure::Interception);
    let all = interception
        && measures.contains(&Measure::RealtimeTraffic)
        && f.policy.judicial_categories.contains(&Category::Content);
    let status = if all {
        Status::Met
    } else if interception {
        Status::PartlyMet
    } else {
        Status::NotMet
    };
    Verdict {
        status,
        evidence: vec![
            ev(Origin::Policy, p("judicial_measures"), list(measures)),
            ev(Origin::Policy, p("judicial_categories"), list(&f.policy.judicial_categories)),
            ev(Origin::Gate, "rule judicial-authorization", "requests information when a required independent judicial authorization is missing"),
        ],
        action: action(ActionKind::Policy, "add interception and realtime_traffic to policy.judicial_measures and content to policy.judicial_categories"),
    }
}

fn domestic<'a>(f: &Facts<'a>) -> Option<&'a domain::framework::DomesticLaw> {
    f.framework.and_then(|fw| fw.domestic_law.as_ref())
}

fn unknown_without(table: &str, fix: &str) -> Verdict {
    Verdict {
        status: Status::Unknown,
        evidence: vec![ev(Origin::Framework, table, "not stated (no framework or no such table)")],
        action: action(
            ActionKind::Practice,
            format!("state it in the framework file's {table}: {fix}"),
        ),
    }
}

fn np_due_process(f: &Facts<'_>) -> Verdict {
    let fix = "give every person affected by a measure an effective remedy before a court";
    let Some(d) = domestic(f) else { return unknown_without("[domestic_law]", fix) };
    Verdict {
        status: if d.effective_remedy { standing(d.status) } else { Status::NotMet },
        evidence: vec![ev(
            Origin::Framework,
            "domestic_law.effective_remedy",
            format!("{} ({})", d.effective_remedy, d.status),
        )],
        action: action(ActionKind::LegalReform, fix),
    }
}

fn np_notification(f: &Facts<'_>) -> Verdict {
    let fix = "notify the person affected by a covert measure, at the latest once notice no longer defeats its purpose";
    let Some(d) = domestic(f) else { return unknown_without("[domestic_law]", fix) };
    Verdict {
        status: if d.user_notification == NoticeTiming::None {
            Status::NotMet
        } else {
            standing(d.status)
        },
        evidence: vec![ev(
            Origin::Framework,
            "domestic_law.user_notification",
            format!("{} ({})", d.user_notification, d.status),
        )],
        action: action(ActionKind::LegalReform, fix),
    }
}

fn ledger_evidence(f: &Facts<'_>) -> Vec<super::Evidence> {
    match f.practice {
        Some(pr) => vec![ev(
            Origin::Practice,
            "ledger",
            format!("{} requests received, {} decided, {} refused; the gate publishes them at /transparency", pr.received, pr.decided, pr.refused),
        )],
        None => vec![ev(Origin::Practice, "ledger", "no store was read")],
    }
}

fn np_transparency(f: &Facts<'_>) -> Verdict {
    let mut evidence = ledger_evidence(f);
    let fix = "commit to publishing statistics of requests at least yearly (framework publication.statistics)";
    let status = match f.framework.and_then(|fw| fw.publication.as_ref()) {
        Some(pb) => {
            evidence.push(ev(
                Origin::Framework,
                "publication.statistics",
                format!("{} ({})", pb.statistics, pb.status),
            ));
            if pb.statistics == ReportInterval::None {
                Status::NotMet
            } else {
                standing(pb.status)
            }
        }
        None if f.practice.is_some() => Status::PartlyMet,
        None => Status::Unknown,
    };
    Verdict { status, evidence, action: action(ActionKind::Practice, fix) }
}

fn np_oversight(f: &Facts<'_>) -> Verdict {
    let dpa = f.pack.rights.independent_dpa;
    let mut evidence = vec![ev(Origin::Lawpack, "rights.independent_dpa", dpa.to_string())];
    let status = match f.framework.and_then(|fw| fw.oversight.as_ref()) {
        Some(o) => {
            evidence.push(ev(
                Origin::Framework,
                "oversight",
                format!(
                    "{}: independent {}, reports publicly {} ({})",
                    o.body, o.independent, o.reports_publicly, o.status
                ),
            ));
            if o.independent && o.reports_publicly {
                standing(o.status)
            } else {
                Status::NotMet
            }
        }
        None if dpa => Status::PartlyMet,
        None => Status::Unknown,
    };
    Verdict {
        status,
        evidence,
        action: action(ActionKind::LegalReform, "give an independent body full access to the handling of requests and the power to report publicly (framework [oversight])"),
    }
}

fn np_integrity(f: &Facts<'_>) -> Verdict {
    let fix = "no compelled weakening of security and no general data retention";
    let Some(d) = domestic(f) else { return unknown_without("[domestic_law]", fix) };
    let status = match (d.no_backdoor_mandate, d.no_general_retention) {
        (true, true) => standing(d.status),
        (false, false) => Status::NotMet,
        _ => Status::PartlyMet,
    };
    Verdict {
        status,
        evidence: vec![
            ev(
                Origin::Framework,
                "domestic_law.no_backdoor_mandate",
                format!("{} ({})", d.no_backdoor_mandate, d.status),
            ),
            ev(
                Origin::Framework,
                "domestic_law.no_general_retention",
                format!("{} ({})", d.no_general_retention, d.status),
            ),
        ],
        action: action(ActionKind::LegalReform, format!("ensure in domestic law: {fix}")),
    }
}

fn np_cooperation(f: &Facts<'_>) -> Verdict {
    let dual = coverage(&f.policy.dual_criminality_measures, DUAL_MEASURES);
    let status = match (dual, f.policy.allow_reciprocity) {
        (Gate::Full, false) => Status::Met,
        (Gate::Off, _) => Status::NotMet,
        _ => Status::PartlyMet,
    };
    Verdict {
        status,
        evidence: vec![
            ev(
                Origin::Policy,
                p("dual_criminality_measures"),
                list(&f.policy.dual_criminality_measures),
            ),
            ev(Origin::Policy, p("allow_reciprocity"), f.policy.allow_reciprocity.to_string()),
        ],
        action: action(
            ActionKind::Policy,
            format!(
                "set policy.dual_criminality_measures to {} and policy.allow_reciprocity to false",
                list(DUAL_MEASURES)
            ),
        ),
    }
}

fn np_illegitimate_access(f: &Facts<'_>) -> Verdict {
    let use_limit = f.policy.require_use_limitation;
    let retention = (1..=730).contains(&f.policy.max_retention_days);
    let status = match (use_limit, retention) {
        (true, true) => Status::Met,
        (false, false) => Status::NotMet,
        _ => Status::PartlyMet,
    };
    Verdict {
        status,
        evidence: vec![
            ev(Origin::Policy, p("require_use_limitation"), use_limit.to_string()),
            ev(Origin::Policy, p("max_retention_days"), f.policy.max_retention_days.to_string()),
        ],
        action: action(ActionKind::Policy, "set policy.require_use_limitation to true and policy.max_retention_days to at most 730"),
    }
}

fn c108_party(f: &Facts<'_>) -> Verdict {
    let party = f.pack.rights.convention_108_plus;
    Verdict {
        status: if party { Status::Met } else { Status::NotMet },
        evidence: vec![ev(Origin::Lawpack, "rights.convention_108_plus", party.to_string())],
        action: action(ActionKind::LegalReform, "ratify the amending protocol (CETS 223) and bring domestic data-protection law into line with it"),
    }
}

fn c108_authority(f: &Facts<'_>) -> Verdict {
    let dpa = f.pack.rights.independent_dpa;
    Verdict {
        status: if dpa { Status::Met } else { Status::NotMet },
        evidence: vec![ev(Origin::Lawpack, "rights.independent_dpa", dpa.to_string())],
        action: action(ActionKind::LegalReform, "establish a completely independent supervisory authority with powers of investigation and intervention"),
    }
}

fn c108_transborder(f: &Facts<'_>) -> Verdict {
    let both = f.policy.require_use_limitation && f.policy.max_retention_days > 0;
    Verdict {
        status: if both { Status::Met } else { Status::PartlyMet },
        evidence: vec![
            ev(Origin::Gate, "rule data-protection", "conditions every transfer to a state that is not party to Convention 108+ or has no independent authority"),
            ev(Origin::Policy, p("require_use_limitation"), f.policy.require_use_limitation.to_string()),
            ev(Origin::Policy, p("max_retention_days"), f.policy.max_retention_days.to_string()),
        ],
        action: action(ActionKind::Policy, "set policy.require_use_limitation to true and a non-zero policy.max_retention_days"),
    }
}

fn stmt_reservations(f: &Facts<'_>) -> Verdict {
    let Some(fw) = f.framework else {
        return unknown_without(
            "reservations",
            "the reservations and declarations made or planned",
        );
    };
    let protective: Vec<&domain::framework::Reservation> = fw
        .reservations
        .iter()
        .filter(|r| !matches!(r.topic, ReservationTopic::Disputes | ReservationTopic::Other))
        .collect();
    let status =
        if protective.iter().any(|r| r.status == domain::vocab::InstrumentStatus::Deposited) {
            Status::Met
        } else if protective.is_empty() {
            Status::NotMet
        } else {
            Status::PartlyMet
        };
    let mut evidence = super::reservation_evidence(&protective);
    if evidence.is_empty() {
        evidence.push(ev(Origin::Framework, "reservations", "none that protects rights"));
    }
    Verdict {
        status,
        evidence,
        action: action(ActionKind::Reservation, "deposit, with the instrument of ratification, the Art. 42 preservation reservation, an Art. 23 real-time scope reservation and declarations under Arts 24, 36 and 40"),
    }
}

fn stmt_dual_criminality(f: &Facts<'_>) -> Verdict {
    let dual = coverage(&f.policy.dual_criminality_measures, DUAL_MEASURES);
    let (declared, mut evidence) = instrument(f, ReservationTopic::DualCriminality);
    evidence.insert(
        0,
        ev(
            Origin::Policy,
            p("dual_criminality_measures"),
            list(&f.policy.dual_criminality_measures),
        ),
    );
    let (status, act) = if dual != Gate::Full {
        (
            Status::NotMet,
            action(
                ActionKind::Policy,
                format!("set policy.dual_criminality_measures to {}", list(DUAL_MEASURES)),
            ),
        )
    } else if declared == Status::Met {
        (Status::Met, action(ActionKind::None, ""))
    } else {
        (Status::PartlyMet, action(ActionKind::Declaration, "deposit a declaration under Art. 40 that assistance is conditioned on dual criminality"))
    };
    Verdict { status, evidence, action: act }
}

fn stmt_refusal(f: &Facts<'_>) -> Verdict {
    let pol = f.policy;
    let switches = [
        ("protected_activities", !pol.protected_activities.is_empty()),
        ("exempt_child_peer_conduct", pol.exempt_child_peer_conduct),
        ("dual_criminality_measures", !pol.dual_criminality_measures.is_empty()),
        ("serious_crime_min_years", pol.serious_crime_min_years > 0.0),
    ];
    let on = switches.iter().filter(|(_, on)| *on).count();
    let off: Vec<&str> = switches.iter().filter(|(_, on)| !*on).map(|(n, _)| *n).collect();
    let mut evidence: Vec<super::Evidence> = switches
        .iter()
        .map(|(name, on)| ev(Origin::Policy, p(name), if *on { "refuses" } else { "off" }))
        .collect();
    let mut status = match on {
        4 => Status::Met,
        0 => Status::NotMet,
        _ => Status::PartlyMet,
    };
    let mut act =
        action(ActionKind::Policy, format!("turn on the refusing safeguards: {}", list(&off)));
    if let Some(pr) = f.practice {
        let grounds: Vec<String> =
            pr.refusals_by_ground.iter().map(|(g, n)| format!("{g} {n}")).collect();
        evidence.push(ev(
            Origin::Practice,
            "refusals",
            format!(
                "{} of {} decided refused; by ground: {}; {} departures from the recommendation",
                pr.refused,
                pr.decided,
                list(&grounds),
                pr.departures
            ),
        ));
        if pr.decided >= 20 && pr.refused == 0 && status == Status::Met {
            status = Status::PartlyMet;
            act = action(
                ActionKind::Practice,
                "review why no request was refused although the gate recommends refusals",
            );
        }
    }
    Verdict { status, evidence, action: act }
}

fn stmt_statistics(f: &Facts<'_>) -> Verdict {
    let mut evidence = ledger_evidence(f);
    let status = match f.framework.and_then(|fw| fw.publication.as_ref()) {
        Some(pb) => {
            evidence.push(ev(
                Origin::Framework,
                "publication",
                format!(
                    "statistics {}, refusals by ground {} ({})",
                    pb.statistics, pb.refusals_by_ground, pb.status
                ),
            ));
            match (pb.statistics, pb.refusals_by_ground) {
                (ReportInterval::None, _) => Status::NotMet,
                (_, true) => standing(pb.status),
                (_, false) => Status::PartlyMet,
            }
        }
        None if f.practice.is_some() => Status::PartlyMet,
        None => Status::Unknown,
    };
    Verdict {
        status,
        evidence,
        action: action(ActionKind::Practice, "commit to publishing, at least yearly, requests received, approved, approved in part and refused, with refusals by ground (rightsgate report; framework [publication])"),
    }
}

fn stmt_stakeholders(f: &Facts<'_>) -> Verdict {
    let fix =
        "consult civil society, the data-protection authority and parliament on implementation";
    let Some(s) = f.framework.and_then(|fw| fw.stakeholders.as_ref()) else {
        return unknown_without("[stakeholders]", fix);
    };
    Verdict {
        status: if s.consultation { standing(s.status) } else { Status::NotMet },
        evidence: vec![ev(
            Origin::Framework,
            "stakeholders",
            format!(
                "consultation {} ({}){}",
                s.consultation,
                s.status,
                s.who.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
            ),
        )],
        action: action(ActionKind::Practice, fix),
    }
}

fn stmt_witness(f: &Facts<'_>) -> Verdict {
    let declared = f.framework.and_then(|fw| fw.oversight.as_ref()).map(|o| (o.witness, o.status));
    let mut evidence = vec![ev(
        Origin::Framework,
        "oversight.witness",
        match declared {
            Some((w, s)) => format!("{w} ({s})"),
            None => "not stated".to_owned(),
        },
    )];
    let status = match f.practice {
        Some(pr) => {
            evidence.push(ev(
                Origin::Practice,
                "cosigned checkpoint",
                match &pr.cosigned {
                    Some(c) => format!("size {} co-signed by {}", c.size, list(&c.witnesses)),
                    None => "none".to_owned(),
                },
            ));
            if pr.cosigned.as_ref().is_some_and(|c| !c.witnesses.is_empty()) {
                Status::Met
            } else {
                Status::NotMet
            }
        }
        None if declared.is_some_and(|(w, _)| w) => Status::PartlyMet,
        None => Status::Unknown,
    };
    Verdict {
        status,
        evidence,
        action: action(ActionKind::Practice, "have the oversight body run a witness and serve with --witness, so every published checkpoint is co-signed"),
    }
}

fn uncc_serious_crime(f: &Facts<'_>) -> Verdict {
    let years = f.policy.serious_crime_min_years;
    Verdict {
        status: if years >= 4.0 { Status::Met } else { Status::NotMet },
        evidence: vec![
            ev(Origin::Policy, p("serious_crime_min_years"), years.to_string()),
            ev(Origin::Gate, "rule serious-crime", "refuses when no resolved offence is in scope"),
        ],
        action: action(ActionKind::Policy, "set policy.serious_crime_min_years to 4"),
    }
}

fn uncc_protected(f: &Facts<'_>) -> Verdict {
    let gate = coverage(&f.policy.protected_activities, Activity::ALL);
    let evidence =
        vec![ev(Origin::Policy, p("protected_activities"), list(&f.policy.protected_activities))];
    ground(
        f,
        gate,
        evidence,
        RefusalGround::ProtectedActivity,
        "add every protected activity to policy.protected_activities",
    )
}

fn uncc_child(f: &Facts<'_>) -> Verdict {
    let on = f.policy.exempt_child_peer_conduct;
    Verdict {
        status: if on { Status::Met } else { Status::NotMet },
        evidence: vec![ev(Origin::Policy, p("exempt_child_peer_conduct"), on.to_string())],
        action: action(ActionKind::Policy, "set policy.exempt_child_peer_conduct to true (and use the Art. 14(4) and 15(4) options in domestic law)"),
    }
}

fn uncc_realtime_scope(f: &Facts<'_>) -> Verdict {
    let floor = f.policy.min_years.realtime_traffic;
    let (declared, mut evidence) = instrument(f, ReservationTopic::RealtimeScope);
    evidence.push(ev(Origin::Policy, p("min_years.realtime_traffic"), floor.to_string()));
    let status = match declared {
        Status::Met | Status::PartlyMet => declared,
        _ if floor >= 4.0 => Status::PartlyMet,
        _ => Status::NotMet,
    };
    Verdict {
        status,
        evidence,
        action: action(ActionKind::Reservation, "deposit an Art. 23 reservation limiting real-time traffic collection to the offences for which interception is available, and keep policy.min_years.realtime_traffic at least 4"),
    }
}

fn uncc_review(f: &Facts<'_>) -> Verdict {
    let cats = coverage(&f.policy.judicial_categories, &[Category::Traffic, Category::Content]);
    let meas =
        coverage(&f.policy.judicial_measures, &[Measure::RealtimeTraffic, Measure::Interception]);
    let status = match (cats, meas) {
        (Gate::Full, Gate::Full) => Status::Met,
        (Gate::Off, Gate::Off) => Status::NotMet,
        _ => Status::PartlyMet,
    };
    Verdict {
        status,
        evidence: vec![
            ev(Origin::Policy, p("judicial_categories"), list(&f.policy.judicial_categories)),
            ev(Origin::Policy, p("judicial_measures"), list(&f.policy.judicial_measures)),
        ],
        action: action(ActionKind::Policy, "set policy.judicial_categories to traffic, content and policy.judicial_measures to realtime_traffic, interception"),
    }
}

fn uncc_duration(f: &Facts<'_>) -> Verdict {
    let d = &f.policy.max_period_days;
    let limits = [
        ("traffic", d.traffic),
        ("content", d.content),
        ("realtime_traffic", d.realtime_traffic),
        ("interception", d.interception),
    ];
    let bounded = limits.iter().filter(|(_, v)| *v > 0).count();
    let open: Vec<&str> = limits.iter().filter(|(_, v)| *v == 0).map(|(n, _)| *n).collect();
    let status = match bounded {
        4 => Status::Met,
        0 => Status::NotMet,
        _ => Status::PartlyMet,
    };
    Verdict {
        status,
        evidence: vec![ev(
            Origin::Policy,
            p("max_period_days"),
            limits.iter().map(|(n, v)| format!("{n} {v}")).collect::<Vec<_>>().join(", "),
        )],
        action: action(
            ActionKind::Policy,
            format!("set a non-zero policy.max_period_days for {}", list(&open)),
        ),
    }
}

fn uncc_24_declaration(f: &Facts<'_>) -> Verdict {
    let (status, evidence) = instrument(f, ReservationTopic::ConditionsAndSafeguards);
    Verdict {
        status,
        evidence,
        action: action(ActionKind::Declaration, "deposit a declaration under Art. 24 that foreign requests are executed under the same conditions and safeguards as domestic measures, including prior independent judicial authorization"),
    }
}

fn uncc_conduct(f: &Facts<'_>) -> Verdict {
    let offences = &f.pack.offences;
    let coarse: Vec<&str> = offences
        .iter()
        .filter(|o| !o.iccs.iter().any(|c| c.len() >= 4))
        .map(|o| o.id.as_str())
        .collect();
    let status = match (offences.len(), coarse.len()) {
        (0, _) => Status::Unknown,
        (_, 0) => Status::Met,
        (total, n) if n == total => Status::NotMet,
        _ => Status::PartlyMet,
    };
    Verdict {
        status,
        evidence: vec![
            ev(
                Origin::Lawpack,
                "offences[].iccs",
                format!(
                    "{} of {} offences coded at division level or finer",
                    offences.len() - coarse.len(),
                    offences.len()
                ),
            ),
            ev(
                Origin::Gate,
                "rule dual-criminality",
                "matches conduct by ICCS code, whatever the offence is called",
            ),
        ],
        action: action(
            ActionKind::Practice,
            format!(
                "code offences {} at ICCS division level (4 digits) or finer in the law pack",
                list(&coarse)
            ),
        ),
    }
}

fn uncc_transfer(f: &Facts<'_>) -> Verdict {
    let use_limit = f.policy.require_use_limitation;
    let cap = f.policy.max_retention_days > 0;
    let gate = match (use_limit, cap) {
        (true, true) => Gate::Full,
        (false, false) => Gate::Off,
        _ => Gate::Part,
    };
    let evidence = vec![
        ev(Origin::Policy, p("require_use_limitation"), use_limit.to_string()),
        ev(Origin::Policy, p("max_retention_days"), f.policy.max_retention_days.to_string()),
    ];
    ground(
        f,
        gate,
        evidence,
        RefusalGround::DataProtection,
        "set policy.require_use_limitation to true and a non-zero policy.max_retention_days",
    )
}

fn uncc_onward(f: &Facts<'_>) -> Verdict {
    let (declared, mut evidence) = instrument(f, ReservationTopic::DataProtection);
    evidence.insert(
        0,
        ev(
            Origin::Gate,
            "conditions",
            "no_onward_transfer is attached to every grant but preservation",
        ),
    );
    Verdict {
        status: if declared == Status::Met { Status::Met } else { Status::PartlyMet },
        evidence,
        action: action(ActionKind::Declaration, "deposit a declaration under Art. 36 that onward transfer needs prior written authorization"),
    }
}

fn notification(
    f: &Facts<'_>,
    pick: fn(&domain::framework::Notifications) -> Option<&domain::framework::Notification>,
    field: &str,
    fix: &str,
) -> Verdict {
    let Some(fw) = f.framework else { return unknown_without(field, fix) };
    let found = fw.notifications.as_ref().and_then(pick);
    let status = match found.map(|n| n.status) {
        Some(domain::vocab::InstrumentStatus::Deposited) => Status::Met,
        Some(domain::vocab::InstrumentStatus::Planned) => Status::PartlyMet,
        None => Status::NotMet,
    };
    Verdict {
        status,
        evidence: vec![ev(
            Origin::Framework,
            field,
            found.map_or("none".to_owned(), |n| format!("{} ({})", n.body, n.status)),
        )],
        action: action(ActionKind::Notification, fix),
    }
}

fn uncc_central_authority(f: &Facts<'_>) -> Verdict {
    notification(
        f,
        |n| n.central_authority.as_ref(),
        "notifications.central_authority",
        "notify the Secretary-General of the central authority for mutual legal assistance",
    )
}

fn uncc_point_24_7(f: &Facts<'_>) -> Verdict {
    notification(
        f,
        |n| n.point_24_7.as_ref(),
        "notifications.point_24_7",
        "designate and notify the 24/7 point of contact",
    )
}

fn uncc_persecution(f: &Facts<'_>) -> Verdict {
    let pol = f.policy;
    let parts = [
        !pol.review_profiles.is_empty(),
        !pol.review_iccs.is_empty(),
        !pol.screening_terms.is_empty(),
    ];
    let on = parts.iter().filter(|b| **b).count();
    let gate = match on {
        3 => Gate::Full,
        0 => Gate::Off,
        _ => Gate::Part,
    };
    let evidence = vec![
        ev(Origin::Policy, p("review_profiles"), list(&pol.review_profiles)),
        ev(Origin::Policy, p("review_iccs"), list(&pol.review_iccs)),
        ev(Origin::Policy, p("screening_terms"), format!("{} terms", pol.screening_terms.len())),
    ];
    ground(f, gate, evidence, RefusalGround::Persecution, "set policy.review_profiles, policy.review_iccs and policy.screening_terms (the default's values)")
}

fn uncc_political(f: &Facts<'_>) -> Verdict {
    let evidence = vec![ev(Origin::Gate, "catalogue", "no rule refuses for a political offence as such; protected-activity covers criminalized expression")];
    ground(f, Gate::Absent, evidence, RefusalGround::PoliticalOffence, "")
}

fn uncc_death_penalty(f: &Facts<'_>) -> Verdict {
    let own = f.pack.rights.death_penalty;
    let evidence = vec![
        ev(
            Origin::Gate,
            "rule death-penalty",
            "requests the no-death-penalty assurance, or makes it a condition",
        ),
        ev(Origin::Lawpack, "rights.death_penalty", own.as_str()),
    ];
    let mut verdict = ground(f, Gate::Full, evidence, RefusalGround::DeathPenalty, "");
    if matches!(own, DeathPenalty::Retained | DeathPenalty::Moratorium)
        && verdict.status == Status::Met
    {
        verdict.status = Status::PartlyMet;
        verdict.action = action(ActionKind::LegalReform, "abolish the death penalty");
    }
    verdict
}

fn uncc_ne_bis(f: &Facts<'_>) -> Verdict {
    let evidence = vec![ev(
        Origin::Gate,
        "rule ne-bis-in-idem",
        "refuses when the person was finally judged in the requested state for the same conduct",
    )];
    ground(f, Gate::Full, evidence, RefusalGround::NeBisInIdem, "")
}

fn uncc_rights_risk(f: &Facts<'_>) -> Verdict {
    let on = f.policy.review_internet_freedom.contains(&InternetFreedom::NotFree);
    let evidence = vec![ev(
        Origin::Policy,
        p("review_internet_freedom"),
        list(&f.policy.review_internet_freedom),
    )];
    ground(
        f,
        if on { Gate::Full } else { Gate::Off },
        evidence,
        RefusalGround::HumanRightsRisk,
        "add not_free to policy.review_internet_freedom",
    )
}

fn uncc_reasons(f: &Facts<'_>) -> Verdict {
    let (status, evidence) = match f.practice {
        None => (Status::Unknown, vec![ev(Origin::Practice, "refusals", "no store was read")]),
        Some(pr) => (
            // With no refusal yet, the store shows nothing either way.
            if pr.refused == 0 {
                Status::Unknown
            } else if pr.refused_without_ground == 0 {
                Status::Met
            } else {
                Status::PartlyMet
            },
            vec![ev(
                Origin::Practice,
                "refusals",
                format!("{} refused, {} without a ground", pr.refused, pr.refused_without_ground),
            )],
        ),
    };
    Verdict {
        status,
        evidence,
        action: action(ActionKind::Practice, "record the ground of every refusal (refuse from a screening recommendation, or record the reason of a departure)"),
    }
}

fn uncc_reciprocity(f: &Facts<'_>) -> Verdict {
    let allow = f.policy.allow_reciprocity;
    Verdict {
        status: if allow { Status::NotMet } else { Status::Met },
        evidence: vec![ev(Origin::Policy, p("allow_reciprocity"), allow.to_string())],
        action: action(ActionKind::Policy, "set policy.allow_reciprocity to false, so a request on reciprocity alone goes to a person"),
    }
}

fn uncc_preservation(f: &Facts<'_>) -> Verdict {
    let (status, mut evidence) = instrument(f, ReservationTopic::PreservationDualCriminality);
    evidence.push(ev(
        Origin::Policy,
        p("dual_criminality_measures"),
        if f.policy.dual_criminality_measures.contains(&Measure::Preservation) {
            "includes preservation (the Convention allows this only with the reservation)"
        } else {
            "excludes preservation"
        },
    ));
    Verdict {
        status,
        evidence,
        action: action(ActionKind::Reservation, "deposit the Art. 42 reservation: preservation may be refused for offences other than the Convention's where dual criminality is expected to fail at disclosure"),
    }
}
