//! Reading leaf bytes without copying them: [`LeafView`] borrows its strings from the bytes and keeps `meta` in
//! the order the bytes give it, so the canonical-form check needs no map and reading a leaf allocates only for
//! arrays and for strings that contain escapes. Statistics over millions of leaves read them this way;
//! [`super::Leaf::decode`] is this reader followed by a copy.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::{LeafError, VERSION};
use crate::case::CaseState;

/// A leaf read in place: what [`super::Leaf`] holds, borrowed from the bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafView<'a> {
    /// The case id.
    pub case: Cow<'a, str>,
    /// Event number within the case, from 0.
    pub seq: u64,
    /// When the event happened (UTC, whole seconds).
    pub at: OffsetDateTime,
    /// The event's name.
    pub event: Cow<'a, str>,
    /// The state after the event.
    pub state: CaseState,
    /// Hex SHA-256 commitment to the personal fields.
    pub commitment: Cow<'a, str>,
    /// Non-personal facts, keys in strictly increasing byte order.
    pub meta: Vec<(Cow<'a, str>, MetaValue<'a>)>,
}

/// A value of a leaf's `meta`: JSON without floats, objects kept in their byte order.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer.
    Unsigned(u64),
    /// A negative integer.
    Signed(i64),
    /// A number with a fraction or an exponent: never canonical in a leaf, kept so the check can say so.
    Float(f64),
    /// A string.
    Text(Cow<'a, str>),
    /// An array.
    Array(Vec<MetaValue<'a>>),
    /// An object, keys as they appear.
    Object(Vec<(Cow<'a, str>, MetaValue<'a>)>),
}

impl<'a> LeafView<'a> {
    /// Reads canonical leaf bytes; re-encoding must give the same bytes.
    ///
    /// # Errors
    /// As [`super::Leaf::decode`]: not an object, an unknown version, a missing or invalid field, or bytes not
    /// in canonical form (whitespace, keys out of order or repeated, a float, an escape serde_json would not
    /// write).
    pub fn decode(bytes: &'a [u8]) -> Result<LeafView<'a>, LeafError> {
        let mut scratch = Vec::new();
        LeafView::decode_with(bytes, &mut scratch)
    }

    /// [`LeafView::decode`] reusing `scratch` for the canonical-form check, so a stream of leaves allocates
    /// no buffer per leaf.
    ///
    /// # Errors
    /// As [`LeafView::decode`].
    pub fn decode_with(bytes: &'a [u8], scratch: &mut Vec<u8>) -> Result<LeafView<'a>, LeafError> {
        let top: MetaValue<'a> =
            serde_json::from_slice(bytes).map_err(|e| LeafError::NotObject(e.to_string()))?;
        let MetaValue::Object(mut members) = top else {
            return Err(LeafError::NotObject("not an object".into()));
        };
        match take(&mut members, "v").and_then(|v| v.as_u64()) {
            Some(VERSION) => {}
            other => return Err(LeafError::Version(format!("{other:?}"))),
        }
        let mut text = |k: &'static str| match take(&mut members, k) {
            Some(MetaValue::Text(s)) => Ok(s),
            _ => Err(LeafError::Field(k)),
        };
        let (case, commitment, event) = (text("case")?, text("commitment")?, text("event")?);
        let (at, state) = (text("at")?, text("state")?);
        let at = OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
            .map_err(|_| LeafError::Field("at"))?;
        let view = LeafView {
            case,
            seq: take(&mut members, "seq")
                .and_then(|v| v.as_u64())
                .ok_or(LeafError::Field("seq"))?,
            at,
            event,
            state: CaseState::parse(&state).ok_or(LeafError::Field("state"))?,
            commitment,
            meta: match take(&mut members, "meta") {
                Some(MetaValue::Object(meta)) => meta,
                _ => return Err(LeafError::Field("meta")),
            },
        };
        // A key left over is one the encoding does not have.
        if !members.is_empty() {
            return Err(LeafError::NotCanonical);
        }
        scratch.clear();
        view.encode_into(scratch)?;
        if scratch.as_slice() != bytes {
            return Err(LeafError::NotCanonical);
        }
        Ok(view)
    }

    /// The value of meta key `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&MetaValue<'a>> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Writes the canonical bytes of this view to `out`; the encoding [`super::Leaf::encode`] writes.
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), LeafError> {
        if !sorted(&self.meta) {
            return Err(LeafError::NotCanonical);
        }
        super::encode_into(
            out,
            &super::Parts {
                at: self.at,
                case: &self.case,
                commitment: &self.commitment,
                event: &self.event,
                meta: &Members(&self.meta),
                seq: self.seq,
                state: self.state,
            },
        );
        Ok(())
    }

    /// The owned leaf.
    #[must_use]
    pub fn into_owned(self) -> super::Leaf {
        super::Leaf {
            case: self.case.into_owned(),
            seq: self.seq,
            at: self.at,
            event: self.event.into_owned(),
            state: self.state,
            commitment: self.commitment.into_owned(),
            meta: self.meta.into_iter().map(|(k, v)| (k.into_owned(), v.to_json())).collect(),
        }
    }
}

impl<'a> MetaValue<'a> {
    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The non-negative integer, if this is one.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            MetaValue::Unsigned(n) => Some(*n),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    #[must_use]
    pub fn as_array(&self) -> Option<&[MetaValue<'a>]> {
        match self {
            MetaValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value borrowing from JSON.
    #[must_use]
    pub fn from_json(value: &'a Value) -> MetaValue<'a> {
        match value {
            Value::Null => MetaValue::Null,
            Value::Bool(b) => MetaValue::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => MetaValue::Unsigned(u),
                (None, Some(i)) => MetaValue::Signed(i),
                (None, None) => MetaValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => MetaValue::Text(s.as_str().into()),
            Value::Array(items) => {
                MetaValue::Array(items.iter().map(MetaValue::from_json).collect())
            }
            Value::Object(members) => MetaValue::Object(
                members.iter().map(|(k, v)| (k.as_str().into(), MetaValue::from_json(v))).collect(),
            ),
        }
    }

    /// The same value as JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            MetaValue::Null => Value::Null,
            MetaValue::Bool(b) => Value::Bool(*b),
            MetaValue::Unsigned(n) => Value::from(*n),
            MetaValue::Signed(n) => Value::from(*n),
            MetaValue::Float(n) => Value::from(*n),
            MetaValue::Text(s) => Value::String(s.as_ref().to_owned()),
            MetaValue::Array(items) => Value::Array(items.iter().map(MetaValue::to_json).collect()),
            MetaValue::Object(members) => Value::Object(
                members.iter().map(|(k, v)| (k.as_ref().to_owned(), v.to_json())).collect(),
            ),
        }
    }
}

/// Removes the first member named `key` and returns its value.
fn take<'a>(members: &mut Vec<(Cow<'a, str>, MetaValue<'a>)>, key: &str) -> Option<MetaValue<'a>> {
    let i = members.iter().position(|(k, _)| k == key)?;
    Some(members.remove(i).1)
}

/// Whether an object's keys, and those of every object within, strictly increase in byte order.
fn sorted(members: &[(Cow<'_, str>, MetaValue<'_>)]) -> bool {
    members.iter().zip(members.iter().skip(1)).all(|(a, b)| a.0.as_bytes() < b.0.as_bytes())
        && members.iter().all(|(_, v)| nested_sorted(v))
}

fn nested_sorted(value: &MetaValue<'_>) -> bool {
    match value {
        MetaValue::Array(items) => items.iter().all(nested_sorted),
        MetaValue::Object(members) => sorted(members),
        MetaValue::Float(_) => false,
        _ => true,
    }
}

struct Members<'b, 'a>(&'b [(Cow<'a, str>, MetaValue<'a>)]);

impl Serialize for Members<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

impl Serialize for MetaValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MetaValue::Null => serializer.serialize_unit(),
            MetaValue::Bool(b) => serializer.serialize_bool(*b),
            MetaValue::Unsigned(n) => serializer.serialize_u64(*n),
            MetaValue::Signed(n) => serializer.serialize_i64(*n),
            MetaValue::Float(n) => serializer.serialize_f64(*n),
            MetaValue::Text(s) => serializer.serialize_str(s),
            MetaValue::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            MetaValue::Object(members) => Members(members).serialize(serializer),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for MetaValue<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MetaVisitor(std::marker::PhantomData))
    }
}

struct MetaVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for MetaVisitor<'a> {
    type Value = MetaValue<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(MetaValue::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(MetaValue::Bool(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(MetaValue::Unsigned(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).map_or(MetaValue::Signed(v), MetaValue::Unsigned))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(MetaValue::Float(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(MetaValue::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(MetaValue::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(MetaValue::Text(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(MetaValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(Key(key)) = map.next_key()? {
            members.push((key, map.next_value()?));
        }
        Ok(MetaValue::Object(members))
    }
}

/// An object key, borrowed from the bytes unless it holds an escape.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_str(MetaVisitor(std::marker::PhantomData))? {
            MetaValue::Text(s) => Ok(Key(s)),
            _ => Err(de::Error::custom("an object key is a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::case::{Departure, Resolution};
    use crate::leaf::{decided_meta, Leaf};

    fn leaf() -> Leaf {
        let mut meta = decided_meta(Resolution::ApprovedInPart, Departure::MoreRestrictive, true);
        meta.insert("granted".into(), json!([{"category": "subscriber", "from": "2026-01-01"}]));
        meta.insert("note".into(), json!("tab\there \"quoted\" é \u{1}"));
        meta.insert("count".into(), json!(-3));
        Leaf {
            case: "c-0001".into(),
            seq: 4,
            at: time::macros::datetime!(2026-11-02 10:00:00 UTC),
            event: "decided_approved_in_part".into(),
            state: CaseState::Decided(Resolution::ApprovedInPart),
            commitment: "ab".repeat(32),
            meta,
        }
    }

    /// What the bytes must be, read the slow way: a JSON value whose re-serialization (sorted keys, no
    /// whitespace) gives the same bytes, with no float anywhere and exactly the leaf's fields.
    fn canonical_by_value(bytes: &[u8]) -> bool {
        fn no_float(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::Number(n) => n.is_u64() || n.is_i64(),
                serde_json::Value::Array(a) => a.iter().all(no_float),
                serde_json::Value::Object(o) => o.values().all(no_float),
                _ => true,
            }
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else { return false };
        let Some(obj) = value.as_object() else { return false };
        let text = |k: &str| obj.get(k).and_then(serde_json::Value::as_str);
        serde_json::to_vec(&value).ok().as_deref() == Some(bytes)
            && no_float(&value)
            && obj.len() == 8
            && obj.get("v").and_then(serde_json::Value::as_u64) == Some(VERSION)
            && obj.get("seq").is_some_and(serde_json::Value::is_u64)
            && obj.get("meta").is_some_and(serde_json::Value::is_object)
            && text("case").is_some()
            && text("commitment").is_some()
            && text("event").is_some()
            && text("state").and_then(CaseState::parse).is_some()
            && text("at").is_some_and(|at| {
                let t = OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339);
                t.is_ok_and(|t| {
                    t.offset().is_utc()
                        && t.nanosecond() == 0
                        && t.format(&time::format_description::well_known::Rfc3339).ok().as_deref()
                            == Some(at)
                })
            })
    }

    #[test]
    fn a_view_reads_what_the_leaf_wrote_and_copies_back_to_it() {
        let leaf = leaf();
        let bytes = leaf.encode();
        let view = LeafView::decode(&bytes).unwrap();
        assert_eq!(view, leaf.view());
        assert!(matches!(view.case, Cow::Borrowed(_)), "plain strings are borrowed, not copied");
        assert_eq!(view.get("departure").and_then(MetaValue::as_str), Some("more_restrictive"));
        assert_eq!(view.into_owned(), leaf);
    }

    #[test]
    fn bytes_out_of_canonical_form_are_refused() {
        let text = String::from_utf8(leaf().encode()).unwrap();
        let cases = [
            text.replace("\"count\":-3", "\"count\":-3.0"),
            text.replace("\"count\":-3", "\"count\":-3e0"),
            text.replace(
                "{\"category\":\"subscriber\",\"from\":\"2026-01-01\"}",
                "{\"from\":\"2026-01-01\",\"category\":\"subscriber\"}",
            ),
            text.replace("\"seq\":4", "\"seq\":4,\"seq\":4"),
            text.replace("\"c-0001\"", "\"c-\\u0030001\""),
            text.replace("\"v\":1", "\"v\":1,\"x\":0"),
            text.replace("2026-11-02T10:00:00Z", "2026-11-02T11:00:00+01:00"),
            text.replace("\"count\":-3", "\"count\": -3"),
        ];
        for case in cases {
            assert_ne!(case, text, "the replacement must apply");
            assert!(LeafView::decode(case.as_bytes()).is_err(), "accepted {case}");
            assert!(!canonical_by_value(case.as_bytes()), "the reference accepts {case}");
        }
    }

    proptest! {
        /// Any one-byte change, insertion or deletion is accepted exactly when the slow reading accepts it.
        #[test]
        fn agrees_with_the_slow_reading(pos in 0usize..400, byte in prop::sample::select(
            b" \t,:{}[]\"\\0123456789-.eEaZT+u".to_vec()), op in 0u8..3) {
            let mut bytes = leaf().encode();
            let pos = pos % bytes.len();
            match op {
                0 => bytes[pos] = byte,
                1 => bytes.insert(pos, byte),
                _ => { bytes.remove(pos); }
            }
            prop_assert_eq!(LeafView::decode(&bytes).is_ok(), canonical_by_value(&bytes));
        }
    }
}
