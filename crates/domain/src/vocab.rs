//! The closed vocabularies of the formats: every enumeration is a Rust enum read from its snake_case name.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("Written `", $text, "`.")] #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name as written in the formats.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// How the request reached the requested side.
    Channel { CentralAuthority = "central_authority", Network247 = "network_24_7", Direct = "direct", Diplomatic = "diplomatic" }
}

vocabulary! {
    /// The kind of authority that issued the request.
    AuthorityType { Court = "court", Prosecutor = "prosecutor", Police = "police", CentralAuthority = "central_authority", Other = "other" }
}

vocabulary! {
    /// The treaty the request is made under.
    Instrument { Uncc = "uncc", Budapest = "budapest", Bilateral = "bilateral", Reciprocity = "reciprocity" }
}

vocabulary! {
    /// The cooperation measure asked for (UNCC Arts 42 to 47).
    Measure {
        /// Art. 42: expedited preservation of stored data.
        Preservation = "preservation",
        /// Art. 43: expedited disclosure of preserved traffic data.
        TrafficDisclosure = "traffic_disclosure",
        /// Art. 44: production and disclosure of stored data.
        StoredData = "stored_data",
        /// Art. 45: real-time collection of traffic data.
        RealtimeTraffic = "realtime_traffic",
        /// Art. 46: interception of content data.
        Interception = "interception",
        /// Art. 47: law-enforcement information exchange.
        Information = "information",
    }
}

impl Measure {
    /// The UNCC article the measure is requested under, as the string law packs use in `reservations`.
    pub fn uncc_article(self) -> &'static str {
        match self {
            Measure::Preservation => "42",
            Measure::TrafficDisclosure => "43",
            Measure::StoredData => "44",
            Measure::RealtimeTraffic => "45",
            Measure::Interception => "46",
            Measure::Information => "47",
        }
    }

    /// Whether the measure obtains data from a provider (rules.md: "data measures").
    pub fn is_data_measure(self) -> bool {
        matches!(
            self,
            Measure::TrafficDisclosure
                | Measure::StoredData
                | Measure::RealtimeTraffic
                | Measure::Interception
        )
    }

    /// Whether the measure collects in real time (it has its own gravity floor and window limit).
    pub fn is_realtime(self) -> bool {
        matches!(self, Measure::RealtimeTraffic | Measure::Interception)
    }
}

vocabulary! {
    /// A category of data, in the order grants list them.
    Category { Subscriber = "subscriber", Traffic = "traffic", Content = "content" }
}

vocabulary! {
    /// The kind of identifier that names a target.
    IdentifierType {
        Email = "email", Phone = "phone", Ip = "ip", Account = "account", Domain = "domain",
        Device = "device", Url = "url", Other = "other",
    }
}

vocabulary! {
    /// How urgent the requester says the request is.
    Urgency { Routine = "routine", Urgent = "urgent", Emergency = "emergency" }
}

vocabulary! {
    /// The harm an emergency request says is imminent.
    Threat { Life = "life", SeriousPhysicalHarm = "serious_physical_harm", Other = "other" }
}

vocabulary! {
    /// Who authorized the request in the requesting state.
    AuthorizationKind { Judicial = "judicial", Prosecutorial = "prosecutorial", Administrative = "administrative", None = "none" }
}

vocabulary! {
    /// A profile of a targeted person, recorded by the receiving side at review.
    Profile {
        Journalist = "journalist", HumanRightsDefender = "human_rights_defender", PoliticalOpponent = "political_opponent",
        Activist = "activist", Lgbti = "lgbti", ReligiousMinority = "religious_minority",
        SecurityResearcher = "security_researcher", Whistleblower = "whistleblower", Lawyer = "lawyer",
    }
}

vocabulary! {
    /// An activity protected by international human-rights law that some statutes criminalize.
    Activity {
        Expression = "expression", Assembly = "assembly", Journalism = "journalism", Whistleblowing = "whistleblowing",
        SecurityResearch = "security_research", SexualOrientation = "sexual_orientation", Religion = "religion",
    }
}

vocabulary! {
    /// A state's relation to a treaty.
    TreatyStatus { None = "none", Signed = "signed", Party = "party" }
}

vocabulary! {
    /// A state's death-penalty status.
    DeathPenalty { Retained = "retained", Moratorium = "moratorium", AbolishedOrdinary = "abolished_ordinary", Abolished = "abolished" }
}

vocabulary! {
    /// An internet-freedom rating, from an annual index cited in the law pack's sources.
    InternetFreedom { Free = "free", PartlyFree = "partly_free", NotFree = "not_free", Unknown = "unknown" }
}

vocabulary! {
    /// The recommendation screening makes, in order of precedence from strongest to weakest.
    Outcome {
        Refuse = "refuse", RequestInformation = "request_information", HumanReview = "human_review",
        ApproveInPart = "approve_in_part", Approve = "approve",
    }
}

vocabulary! {
    /// What a finding does to the decision, strongest first.
    Effect { Refuse = "refuse", RequestInformation = "request_information", HumanReview = "human_review", Narrow = "narrow", Condition = "condition" }
}

vocabulary! {
    /// How authoritative a law pack's source is, best first.
    Tier {
        /// The state's own legislation, gazette, ministry, parliament, court or supervisory authority; for the
        /// internet-freedom rating, the index publisher's own page.
        Official = "official",
        /// A treaty depositary or intergovernmental body: UN Treaty Collection, UNODC, OHCHR, Council of Europe.
        Intergovernmental = "intergovernmental",
        /// Anything else: law firms, NGOs, press, commentary.
        Secondary = "secondary",
    }
}

vocabulary! {
    /// A fact of a law pack's `[rights]`, as named by a rights source's `facts`.
    RightsFact {
        DeathPenalty = "death_penalty", Convention108Plus = "convention_108_plus", IndependentDpa = "independent_dpa",
        InternetFreedom = "internet_freedom",
    }
}

vocabulary! {
    /// What a framework's reservation table is: a reservation or a declaration.
    InstrumentKind { Reservation = "reservation", Declaration = "declaration" }
}

vocabulary! {
    /// Whether a reservation, declaration or notification is only planned or has been deposited.
    InstrumentStatus { Planned = "planned", Deposited = "deposited" }
}

vocabulary! {
    /// Whether a framework's domestic arrangement is only planned or is in force.
    FrameworkStatus { Planned = "planned", InForce = "in_force" }
}

vocabulary! {
    /// What a reservation or declaration under the UNCC is about.
    ReservationTopic {
        /// Art. 42: refuse preservation where dual criminality is expected to fail at disclosure.
        PreservationDualCriminality = "preservation_dual_criminality",
        /// Art. 23: narrow the offences for which real-time traffic collection is available.
        RealtimeScope = "realtime_scope",
        /// Art. 23 and 46: narrow the offences for which content is intercepted.
        InterceptionScope = "interception_scope",
        /// Art. 40: cooperation is conditioned on dual criminality.
        DualCriminality = "dual_criminality",
        /// Art. 40 and 6: the grounds on which assistance is refused.
        RefusalGrounds = "refusal_grounds",
        /// Art. 24: the conditions and safeguards applied, also to foreign requests.
        ConditionsAndSafeguards = "conditions_and_safeguards",
        /// Art. 36: conditions on transfers of personal data.
        DataProtection = "data_protection",
        /// Art. 63: dispute settlement.
        Disputes = "disputes",
        /// Anything else.
        Other = "other",
    }
}

vocabulary! {
    /// A ground on which domestic law lets the state refuse assistance.
    RefusalGround {
        Persecution = "persecution", PoliticalOffence = "political_offence", DeathPenalty = "death_penalty",
        NeBisInIdem = "ne_bis_in_idem", DualCriminality = "dual_criminality", HumanRightsRisk = "human_rights_risk",
        ProtectedActivity = "protected_activity", DataProtection = "data_protection",
    }
}

vocabulary! {
    /// When a person affected by a covert measure is told of it.
    NoticeTiming { Prior = "prior", AfterTheFact = "after_the_fact", None = "none" }
}

vocabulary! {
    /// How often statistics are published.
    ReportInterval { HalfYearly = "half_yearly", Yearly = "yearly", None = "none" }
}
