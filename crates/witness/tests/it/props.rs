//! Properties over hostile bodies: reading and checking never panic, and whatever a mutated request gets
//! cosigned is a checkpoint of the honest log.

use std::collections::BTreeMap;

use proptest::prelude::*;
use witness::{add_checkpoint, AddCheckpoint, Latest};

use crate::{cosigner, logs, Log, ORIGIN};

fn state(log: &Log, size: u64) -> BTreeMap<String, Latest> {
    let cosigned =
        add_checkpoint(&cosigner(), &logs(), &BTreeMap::new(), log.request(0, size).as_bytes(), 1)
            .unwrap();
    BTreeMap::from([(ORIGIN.to_owned(), cosigned.latest)])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = AddCheckpoint::parse(&body);
        let _ = add_checkpoint(&cosigner(), &logs(), &BTreeMap::new(), &body, 1);
    }

    #[test]
    fn a_mutated_request_is_refused_or_cosigns_the_honest_log(
        old in 1u64..20,
        grow in 0u64..20,
        at in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        let log = Log::honest(40);
        let new = old + grow;
        let mut body = log.request(old, new).into_bytes();
        let i = at.index(body.len());
        body[i] ^= xor;
        if let Ok(cosigned) = add_checkpoint(&cosigner(), &logs(), &state(&log, old), &body, 2) {
            let size = cosigned.latest.root.size();
            prop_assert_eq!(cosigned.latest.root, log.tree.root_at(size).unwrap());
        }
    }
}
