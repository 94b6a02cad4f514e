//! Writing JSON in one pass: the request body straight from the typed request, checked against
//! the catalogue as it is written, and the JSON text of members carried in strings.
//!
//! A small `serde::Serializer` rather than `serde_json`'s, for two reasons: strings are scanned
//! for characters to escape eight bytes at a time (a 6 MB event is mostly string), and each value
//! can be checked against its member's descriptor while it is written, so a typed request needs
//! no `serde_json::Value` copy to be validated. Its output is byte for byte what `serde_json`
//! writes for the same calls (compact, the same escapes, numbers through `serde_json` itself).
//!
//! Anything it does not handle — a shape the API's JSON never has, or a value that breaks a rule —
//! stops it with [`Stop`]; the caller then takes the general path (`serde_json`, and for requests
//! the validator of `validate.rs`, whose errors are the ones users see). The checks here only
//! decide whether the fast path may be taken: every rule is the validator's own function.

use std::fmt;

use serde::ser::{self, Serialize};

use super::catalog::{MemberDescriptor, TypeDescriptor};
use super::validate::{Number, check_items, check_number, check_str};

/// Why the writer stopped: the caller falls back to the general path, which reports any error.
#[derive(Debug)]
pub(crate) struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not written by the fast path")
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

/// `value` as compact JSON appended to `out`, unchecked.
pub(crate) fn write<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Stop> {
    value.serialize(Writer { out, expect: Expect::Free })
}

/// `value`, an object with `members`, as compact JSON appended to `out`, if every member follows
/// its descriptor's rules (and no member is unknown or missing).
pub(crate) fn write_checked<T: Serialize + ?Sized>(
    value: &T,
    members: &'static [MemberDescriptor],
    out: &mut Vec<u8>,
) -> Result<(), Stop> {
    value.serialize(Writer { out, expect: Expect::Members(members) })
}

/// What the value being written must be.
#[derive(Clone, Copy)]
enum Expect {
    /// Anything (the content of a JSON-carrying member, or unchecked writing).
    Free,
    /// An object with these members.
    Members(&'static [MemberDescriptor]),
    /// A value of `member`, of type `ty` (the member's type, or its list's item type).
    Value(&'static MemberDescriptor, &'static TypeDescriptor),
}

impl Expect {
    fn number(self, number: Number) -> Result<(), Stop> {
        match self {
            Expect::Free => Ok(()),
            Expect::Value(member, ty) => check_number(member, ty, Some(number)).map_err(|_| Stop),
            Expect::Members(_) => Err(Stop),
        }
    }

    /// The members of the object expected, `None` when unchecked.
    fn object(self) -> Result<Option<&'static [MemberDescriptor]>, Stop> {
        match self {
            Expect::Free => Ok(None),
            Expect::Members(members) => Ok(Some(members)),
            Expect::Value(_, TypeDescriptor::Structure(descriptor)) => Ok(Some(descriptor.members)),
            Expect::Value(..) => Err(Stop),
        }
    }
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    expect: Expect,
}

impl Writer<'_> {
    fn number<N: Serialize>(self, value: N, number: Number) -> Result<(), Stop> {
        self.expect.number(number)?;
        // `serde_json`'s digits (itoa, ryu), so the text is the same as it always was.
        serde_json::to_writer(&mut *self.out, &value).map_err(|_| Stop)
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = ser::Impossible<(), Stop>;
    type SerializeTupleStruct = ser::Impossible<(), Stop>;
    type SerializeTupleVariant = ser::Impossible<(), Stop>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = ser::Impossible<(), Stop>;

    fn serialize_bool(self, value: bool) -> Result<(), Stop> {
        match self.expect {
            Expect::Free | Expect::Value(_, TypeDescriptor::Bool) => {}
            _ => return Err(Stop),
        }
        self.out.extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), Stop> {
        self.serialize_i64(value.into())
    }

    fn serialize_i16(self, value: i16) -> Result<(), Stop> {
        self.serialize_i64(value.into())
    }

    fn serialize_i32(self, value: i32) -> Result<(), Stop> {
        self.serialize_i64(value.into())
    }

    fn serialize_i64(self, value: i64) -> Result<(), Stop> {
        self.number(value, Number::Signed(value))
    }

    fn serialize_u8(self, value: u8) -> Result<(), Stop> {
        self.serialize_u64(value.into())
    }

    fn serialize_u16(self, value: u16) -> Result<(), Stop> {
        self.serialize_u64(value.into())
    }

    fn serialize_u32(self, value: u32) -> Result<(), Stop> {
        self.serialize_u64(value.into())
    }

    fn serialize_u64(self, value: u64) -> Result<(), Stop> {
        self.number(value, Number::Unsigned(value))
    }

    fn serialize_f32(self, value: f32) -> Result<(), Stop> {
        // Written as `serde_json` writes an `f32` (its shortest digits, not the `f64`'s).
        if !value.is_finite() {
            return Err(Stop);
        }
        self.number(value, Number::Float(value.into()))
    }

    fn serialize_f64(self, value: f64) -> Result<(), Stop> {
        // Not a finite number: `null` in JSON, which the general path handles.
        if !value.is_finite() {
            return Err(Stop);
        }
        self.number(value, Number::Float(value))
    }

    fn serialize_char(self, value: char) -> Result<(), Stop> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, value: &str) -> Result<(), Stop> {
        match self.expect {
            Expect::Free => {}
            Expect::Value(member, ty) => match ty {
                TypeDescriptor::String | TypeDescriptor::DateTime | TypeDescriptor::Enum(_) => {
                    check_str(member, ty, value).map_err(|_| Stop)?;
                }
                _ => return Err(Stop),
            },
            Expect::Members(_) => return Err(Stop),
        }
        write_str(self.out, value);
        Ok(())
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Stop> {
        Err(Stop)
    }

    fn serialize_none(self) -> Result<(), Stop> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Stop> {
        // A `null` member counts as absent for the validator: left to the general path.
        if !matches!(self.expect, Expect::Free) {
            return Err(Stop);
        }
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Stop> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Stop> {
        Err(Stop)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, Stop> {
        let item = match self.expect {
            Expect::Free => Expect::Free,
            Expect::Value(member, TypeDescriptor::List(item)) => Expect::Value(member, item),
            _ => return Err(Stop),
        };
        self.out.push(b'[');
        Ok(Seq { out: self.out, expect: self.expect, item, count: 0 })
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Stop> {
        Err(Stop)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Stop> {
        Err(Stop)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Stop)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a>, Stop> {
        // Maps are written unchecked only: the catalogue describes objects as structures.
        if !matches!(self.expect, Expect::Free) {
            return Err(Stop);
        }
        self.out.push(b'{');
        Ok(Object { out: self.out, members: None, seen: 0, count: 0 })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'a>, Stop> {
        let members = self.expect.object()?;
        // Which members were written is kept in a 64-bit mask.
        if members.is_some_and(|members| members.len() > 64) {
            return Err(Stop);
        }
        self.out.push(b'{');
        Ok(Object { out: self.out, members, seen: 0, count: 0 })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Stop)
    }
}

/// A list being written.
struct Seq<'a> {
    out: &'a mut Vec<u8>,
    expect: Expect,
    item: Expect,
    count: usize,
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        if self.count > 0 {
            self.out.push(b',');
        }
        self.count += 1;
        value.serialize(Writer { out: self.out, expect: self.item })
    }

    fn end(self) -> Result<(), Stop> {
        if let Expect::Value(member, _) = self.expect {
            check_items(member, self.count).map_err(|_| Stop)?;
        }
        self.out.push(b']');
        Ok(())
    }
}

/// An object being written: a structure (checked against `members`, if given) or a map.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    members: Option<&'static [MemberDescriptor]>,
    /// Bit `i`: member `i` was written.
    seen: u64,
    count: usize,
}

impl Object<'_> {
    fn comma(&mut self) {
        if self.count > 0 {
            self.out.push(b',');
        }
        self.count += 1;
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Stop> {
        let expect = match self.members {
            None => Expect::Free,
            Some(members) => {
                let index = members.iter().position(|m| m.name == key).ok_or(Stop)?;
                self.seen |= 1 << index;
                Expect::Value(&members[index], &members[index].ty)
            }
        };
        self.comma();
        write_str(self.out, key);
        self.out.push(b':');
        value.serialize(Writer { out: self.out, expect })
    }

    fn end(self) -> Result<(), Stop> {
        if let Some(members) = self.members {
            let missing = members.iter().enumerate().any(|(i, m)| m.required && self.seen & (1 << i) == 0);
            if missing {
                return Err(Stop);
            }
        }
        self.out.push(b'}');
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        self.comma();
        key.serialize(KeyWriter { out: self.out })?;
        self.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        value.serialize(Writer { out: self.out, expect: Expect::Free })
    }

    fn end(self) -> Result<(), Stop> {
        self.out.push(b'}');
        Ok(())
    }
}

/// Writes a map key, which must be a string (other keys are left to `serde_json`).
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
}

macro_rules! not_a_string {
    ($($method:ident($($ty:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $ty),*) -> Result<(), Stop> { Err(Stop) })*
    };
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = ser::Impossible<(), Stop>;
    type SerializeTuple = ser::Impossible<(), Stop>;
    type SerializeTupleStruct = ser::Impossible<(), Stop>;
    type SerializeTupleVariant = ser::Impossible<(), Stop>;
    type SerializeMap = ser::Impossible<(), Stop>;
    type SerializeStruct = ser::Impossible<(), Stop>;
    type SerializeStructVariant = ser::Impossible<(), Stop>;

    not_a_string! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
        serialize_unit_struct(&'static str), serialize_unit_variant(&'static str, u32, &'static str),
    }

    fn serialize_str(self, key: &str) -> Result<(), Stop> {
        write_str(self.out, key);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Stop> {
        Err(Stop)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, key: &T) -> Result<(), Stop> {
        key.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Stop> {
        Err(Stop)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Stop> {
        Err(Stop)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Stop> {
        Err(Stop)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Stop> {
        Err(Stop)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Stop)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Stop> {
        Err(Stop)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Stop> {
        Err(Stop)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Stop)
    }
}

/// `text` as a JSON string, with `serde_json`'s escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
/// `\u00XX` for other control characters; nothing else is escaped).
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // A long string is reserved for once, with an eighth to spare for escapes, so the buffer is
    // not doubled after it (see `json_string::to_vec`).
    if out.capacity() - out.len() < bytes.len() + 2 {
        out.reserve(bytes.len() + bytes.len() / 8 + 2);
    }
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time: words with nothing to escape are skipped whole, otherwise the
        // scan moves to the first byte that needs it.
        if let Some(word) = bytes.get(i..i + 8) {
            let mut eight = [0; 8];
            eight.copy_from_slice(word);
            let mask = escape_mask(u64::from_le_bytes(eight));
            if mask == 0 {
                i += 8;
                continue;
            }
            i += (mask.trailing_zeros() / 8) as usize;
        } else if !needs_escape(bytes[i]) {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        write_escape(out, bytes[i]);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// The high bit of each byte of `word` (little-endian) that may need escaping: `"`, `\` or below
/// 0x20. The lowest bit set is always a byte that does (a false one can only follow a true one,
/// carried by the subtraction), which is all the scan relies on.
#[inline]
fn escape_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    below_space | has_zero(word ^ (ONES * u64::from(b'"'))) | has_zero(word ^ (ONES * u64::from(b'\\')))
}

/// The escape of `byte`, one that needs escaping.
fn write_escape(out: &mut Vec<u8>, byte: u8) {
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::runtime::catalog::{StringFormat, StructDescriptor};

    fn text<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = Vec::new();
        write(value, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut samples: Vec<String> = (0u8..0x80).map(|b| format!("ab{}cdefghijklmnop", char::from(b))).collect();
        samples.push("é\"ü\\€\u{1f600}\n\u{7f}".repeat(9));
        samples.push(String::new());
        // Every position within and across eight-byte words, and runs of escapes.
        for at in 0..20 {
            for special in ["\"", "\\", "\u{1f}", "\n", "\u{7f}", "é", "\"\\\u{0}"] {
                samples.push(format!("{}{special}{}", "a".repeat(at), "b".repeat(20 - at)));
            }
        }
        samples.push("\"".repeat(17));
        for sample in &samples {
            assert_eq!(text(sample), serde_json::to_string(sample).unwrap(), "{sample:?}");
        }
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them() {
        let value = json!({
            "b": [true, false, null], "n": [0, -1, u64::MAX, i64::MIN, 0.1, 1e-7, 2.5e300, -0.0],
            "s": "x\u{1}y", "o": {"z": {}, "a": []},
        });
        assert_eq!(text(&value), value.to_string());
        let map = BTreeMap::from([("k\"1", "v"), ("k2", "w")]);
        assert_eq!(text(&map), serde_json::to_string(&map).unwrap());
        assert_eq!(text(&1.5f32), serde_json::to_string(&1.5f32).unwrap());
    }

    #[test]
    fn shapes_json_never_has_stop_the_writer() {
        let mut out = Vec::new();
        assert!(write(&f64::NAN, &mut out).is_err());
        assert!(write(&BTreeMap::from([(1, 2)]), &mut out).is_err());
        assert!(write(&(1, 2), &mut out).is_err());
    }

    static TAG: StructDescriptor = StructDescriptor::new(
        "Tag",
        "Tag",
        "",
        &[MemberDescriptor::new("Key", "", TypeDescriptor::String).required().max_bytes(3)],
    );
    static MEMBERS: [MemberDescriptor; 3] = [
        MemberDescriptor::new("Name", "", TypeDescriptor::String).required().format(StringFormat::Name),
        MemberDescriptor::new("Count", "", TypeDescriptor::Int64).max(5.0),
        MemberDescriptor::new("Tags", "", TypeDescriptor::List(&TypeDescriptor::Structure(&TAG))).max_items(1),
    ];

    #[derive(serde::Serialize)]
    struct Tag {
        #[serde(rename = "Key")]
        key: &'static str,
    }

    #[derive(serde::Serialize)]
    struct Request {
        #[serde(rename = "Name")]
        name: &'static str,
        #[serde(rename = "Count", skip_serializing_if = "Option::is_none")]
        count: Option<i64>,
        #[serde(rename = "Tags")]
        tags: Vec<Tag>,
    }

    fn checked(request: &Request) -> Result<String, Stop> {
        let mut out = Vec::new();
        write_checked(request, &MEMBERS, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn checked_writing_stops_at_any_broken_rule() {
        let ok = Request { name: "a-b", count: Some(5), tags: vec![Tag { key: "abc" }] };
        assert_eq!(checked(&ok).unwrap(), r#"{"Name":"a-b","Count":5,"Tags":[{"Key":"abc"}]}"#);
        for broken in [
            Request { name: "1ab", count: None, tags: vec![] },
            Request { name: "a", count: Some(6), tags: vec![] },
            Request { name: "a", count: None, tags: vec![Tag { key: "abcd" }] },
            Request { name: "a", count: None, tags: vec![Tag { key: "a" }, Tag { key: "b" }] },
        ] {
            assert!(checked(&broken).is_err());
        }
        // An unknown member, a missing required one.
        let mut out = Vec::new();
        assert!(write_checked(&json!({"Name": "a", "Other": 1}), &MEMBERS, &mut out).is_err());
        #[derive(serde::Serialize)]
        struct Empty {}
        assert!(write_checked(&Empty {}, &MEMBERS, &mut out).is_err());
    }
}
