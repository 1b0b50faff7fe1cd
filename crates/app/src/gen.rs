//! Synthetic requests for load tests, benchmarks and demos: realistic shapes drawn from the law packs in use,
//! seeded so that the same seed always gives the same requests.

use domain::request::{
    Assurances, Authorization, Data, Emergency, Identifier, Intake, LegalBasis, OffenceRef, Period,
    Requesting, Review,
};
use domain::vocab::{
    AuthorityType, AuthorizationKind, Category, Channel, IdentifierType, Instrument, Measure,
    Profile, Threat, Urgency,
};
use domain::{Day, LawPack, Request};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use time::OffsetDateTime;

/// How many of the last fragments name something a screening term catches.
const SENSITIVE: usize = 3;

const FRAGMENTS: &[&str] = &[
    "Between March and May the account was used to send invoices that diverted payments to mule accounts.",
    "The suspects logged into the victim's mailbox with stolen credentials and changed the payment details.",
    "Ransomware encrypted the hospital's patient records and the attackers demanded payment in cryptocurrency.",
    "The account exchanged images of children with other users of a hosting service in the requested state.",
    "Investigators traced the command-and-control server to a provider with data centres in the requested state.",
    "The wallet received the proceeds of the scheme within hours of each transfer and forwarded them onward.",
    "Several victims reported messages from the same phone number offering fake investment opportunities.",
    "Subscriber records are needed to identify who opened the account and from which network address.",
    "The group used a messaging service to coordinate the laundering of funds through online shops.",
    "Traffic data would show which addresses connected to the server during the period of the attacks.",
    "A consultant for the company noticed unusual logins from abroad and alerted the authorities.",
    "The suspect is a blogger who published posts criticising the governor's handling of the floods.",
    "Witnesses describe the suspect as an activist who organised a demonstration outside the ministry.",
    "The posts were described by the prosecutor as false news and propaganda against the State.",
];

/// Generates `n` requests to `policy_state` from the other states of `packs`, deterministically from `seed`.
///
/// The mix is that of a central authority's intake: most requests invoke a treaty both states are party to, cite
/// a serious or Convention offence, and come authenticated with the usual assurances; a minority test each
/// safeguard (wrong basis, minor or protected offences, missing assurances, sensitive targets).
pub fn requests(packs: &[&LawPack], policy: &domain::Policy, n: usize, seed: u64) -> Vec<Request> {
    requests_from(packs, policy, 0..n, seed)
}

/// Like [`requests`], numbering references and identifiers from `range.start`, so that consecutive ranges
/// generated in chunks never share a reference or an identifier.
pub fn requests_from(
    packs: &[&LawPack],
    policy: &domain::Policy,
    range: std::ops::Range<usize>,
    seed: u64,
) -> Vec<Request> {
    let mut rng = StdRng::seed_from_u64(seed);
    let requesters: Vec<&LawPack> = packs
        .iter()
        .copied()
        .filter(|p| p.code != policy.state && !p.offences.is_empty())
        .collect();
    let requested = packs.iter().copied().find(|p| p.code == policy.state);
    range.map(|i| one(&mut rng, &requesters, requested, policy, i)).collect()
}

/// The instrument a careful requester would invoke between `r` and `q`, if any.
fn fitting_instrument(
    r: &LawPack,
    q: Option<&LawPack>,
    policy: &domain::Policy,
) -> Option<Instrument> {
    use domain::vocab::TreatyStatus::Party;
    let q = q?;
    if r.treaties.uncc_status() == Party && q.treaties.uncc_status() == Party {
        Some(Instrument::Uncc)
    } else if r.treaties.budapest_status() == Party && q.treaties.budapest_status() == Party {
        Some(Instrument::Budapest)
    } else if policy.bilateral_partners.contains(&r.code) {
        Some(Instrument::Bilateral)
    } else {
        None
    }
}

fn one(
    rng: &mut StdRng,
    requesters: &[&LawPack],
    requested: Option<&LawPack>,
    policy: &domain::Policy,
    i: usize,
) -> Request {
    let policy_state = policy.state.as_str();
    let pack = requesters.choose(rng).copied();
    let state = pack.map_or("XX", |p| p.code.as_str()).to_owned();
    let serious: Vec<_> = pack
        .map(|p| {
            p.offences
                .iter()
                .filter(|o| {
                    o.protected.is_empty()
                        && (o.is_convention_offence() || o.gravity().at_least(4.0))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut offences: Vec<OffenceRef> = (0..rng.gen_range(1..=2))
        .filter_map(|_| {
            if rng.gen_bool(0.85) && !serious.is_empty() {
                serious.choose(rng).copied()
            } else {
                pack.and_then(|p| p.offences.choose(rng))
            }
        })
        .map(|o| OffenceRef { reference: o.id.clone(), description: o.title.clone() })
        .collect();
    if offences.is_empty() || rng.gen_bool(0.03) {
        offences.push(OffenceRef {
            reference: format!("UNKNOWN-{}", rng.gen_range(1..99)),
            description: "as charged".into(),
        });
    }
    let measure = *[
        Measure::StoredData,
        Measure::StoredData,
        Measure::StoredData,
        Measure::Preservation,
        Measure::TrafficDisclosure,
        Measure::RealtimeTraffic,
        Measure::Interception,
        Measure::Information,
    ]
    .choose(rng)
    .unwrap_or(&Measure::StoredData);
    let categories: Vec<Category> = match measure {
        Measure::TrafficDisclosure | Measure::RealtimeTraffic => vec![Category::Traffic],
        Measure::Interception => vec![Category::Content],
        Measure::Information => Vec::new(),
        _ => Category::ALL.iter().copied().filter(|_| rng.gen_bool(0.6)).collect(),
    };
    let n_ids = if measure == Measure::Information { 0 } else { rng.gen_range(1..=11) };
    let identifiers = (0..n_ids)
        .map(|k| {
            let kind = *IdentifierType::ALL.choose(rng).unwrap_or(&IdentifierType::Account);
            Identifier { kind, value: format!("{}-{i}-{k}@example.org", kind.as_str()) }
        })
        .collect();
    let to = Day::from_ymd(2026, rng.gen_range(1..=10), rng.gen_range(1..=28))
        .unwrap_or(Day::from(time::Date::MIN));
    let period = (measure != Measure::Information
        && (measure.is_data_measure() || rng.gen_bool(0.3)))
    .then(|| Period { from: to.minus_days(rng.gen_range(0..400)), to });
    let mut facts = String::new();
    let target = rng.gen_range(300..=1000);
    let sensitive = rng.gen_bool(0.1);
    let plain = FRAGMENTS.len() - SENSITIVE;
    while facts.chars().count() < target {
        let k = if sensitive { rng.gen_range(0..FRAGMENTS.len()) } else { rng.gen_range(0..plain) };
        let fragment = FRAGMENTS.get(k).copied().unwrap_or("");
        if !facts.is_empty() {
            facts.push(' ');
        }
        facts.push_str(fragment);
    }
    let urgency = *[
        Urgency::Routine,
        Urgency::Routine,
        Urgency::Routine,
        Urgency::Urgent,
        Urgency::Emergency,
    ]
    .choose(rng)
    .unwrap_or(&Urgency::Routine);
    let emergency = (urgency == Urgency::Emergency).then(|| Emergency {
        threat: Some(*Threat::ALL.choose(rng).unwrap_or(&Threat::Life)),
        explanation: rng
            .gen_bool(0.8)
            .then(|| "A named person was threatened with death within the next day.".into()),
    });
    let judicial = rng.gen_bool(0.9);
    let instrument = match pack.and_then(|p| fitting_instrument(p, requested, policy)) {
        Some(fit) if rng.gen_bool(0.9) => fit,
        _ => *Instrument::ALL.choose(rng).unwrap_or(&Instrument::Uncc),
    };
    Request {
        schema: domain::request::SCHEMA.to_owned(),
        reference: format!("GEN-{state}-{i:08}"),
        received: OffsetDateTime::UNIX_EPOCH + time::Duration::minutes(29_000_000 + i as i64),
        channel: *Channel::ALL.choose(rng).unwrap_or(&Channel::CentralAuthority),
        requesting: Requesting {
            state,
            authority: "Office of the Prosecutor General".to_owned(),
            authority_type: *AuthorityType::ALL.choose(rng).unwrap_or(&AuthorityType::Prosecutor),
        },
        requested_state: policy_state.to_owned(),
        legal_basis: LegalBasis { instrument },
        measure,
        data: Data { categories, identifiers, period },
        offences,
        facts,
        urgency,
        emergency,
        authorization: Authorization {
            kind: if judicial {
                AuthorizationKind::Judicial
            } else {
                AuthorizationKind::Prosecutorial
            },
            independent: judicial || rng.gen_bool(0.2),
            authority: judicial.then(|| "Investigating judge".to_owned()),
        },
        assurances: Assurances {
            use_limited_to_proceedings: rng.gen_bool(0.95),
            no_death_penalty: rng.gen_bool(0.5),
            retention_days: rng.gen_bool(0.3).then(|| rng.gen_range(30..1500)),
        },
        intake: Some(Intake { authenticated: rng.gen_bool(0.95) }),
        review: rng.gen_bool(0.05).then(|| Review {
            profiles: vec![*Profile::ALL.choose(rng).unwrap_or(&Profile::Journalist)],
            final_judgment_in_requested_state: rng.gen_bool(0.05),
            consensual_peer_conduct: rng.gen_bool(0.05),
        }),
    }
}
