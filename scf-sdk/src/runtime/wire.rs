//! Writing JSON in one pass: the request body straight from the typed request, checked against
//! the catalogue as it is written, and the JSON text of members carried in strings.
//!
//! A small `serde::Serializer` rather than `serde_json`'s, for two reasons: strings are scanned
//! for characters to escape eight bytes at a time (a 6 MB event is mostly string), and each value
//! can be checked against its member's descriptor while it is written, so a typed request needs
//! no `serde_json::Value` copy to be validated. Its output is byte for byte what `serde_json`
//! writes for the same calls (compact, the same escapes, numbers through `serde_json` itself).
//!
//! A member whose value is JSON text sent as a string (`"Event":"{\"k\":1}"`) is written in the
//! same pass: its JSON goes straight into the body, each byte JSON escapes escaped once more as it
//! is written, rather than written out whole and then escaped as a string (see [`EMBEDDED_JSON`]).
//!
//! Anything it does not handle — a shape the API's JSON never has, or a value that breaks a rule —
//! stops it with [`Stop`]; the caller then takes the general path (`serde_json`, and for requests
//! the validator of `validate.rs`, whose errors are the ones users see). The checks here only
//! decide whether the fast path may be taken: every rule is the validator's own function.

use std::cell::Cell;
use std::fmt;

use serde::ser::{self, Serialize};

use super::catalog::{MemberDescriptor, TypeDescriptor};
use super::validate::{Number, check_items, check_length, check_number, check_str};

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
    Sink::with(out, |sink| value.serialize(Writer { sink, expect: Expect::Free }))
}

/// `value`, an object with `members`, as compact JSON appended to `out`, if every member follows
/// its descriptor's rules (and no member is unknown or missing).
pub(crate) fn write_checked<T: Serialize + ?Sized>(
    value: &T,
    members: &'static [MemberDescriptor],
    out: &mut Vec<u8>,
) -> Result<(), Stop> {
    Sink::with(out, |sink| value.serialize(Writer { sink, expect: Expect::Members(members) }))
}

/// The newtype name under which [`json_string`](super::json_string) hands a serializer a value to
/// be sent as the string of its JSON text. Other serializers see an ordinary newtype (serde's are
/// transparent) and get the string; this writer writes the text into the string in one pass.
pub(crate) const EMBEDDED_JSON: &str = "$scf_sdk::private::EmbeddedJson";

thread_local! {
    /// Set by this writer just before it hands an [`EMBEDDED_JSON`] value the writer for its
    /// content, and taken at once by that value: serde gives a `Serialize` no other way to know
    /// that the serializer in front of it can take the JSON itself rather than its text.
    static WRITING_EMBEDDED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the serializer about to be called is this writer asking for an [`EMBEDDED_JSON`]
/// value's JSON itself (once: the answer is cleared).
pub(crate) fn take_embedded_request() -> bool {
    WRITING_EMBEDDED.replace(false)
}

/// Where the writer's JSON goes: the body, or while an embedded value is written (`quoted`), the
/// content of a string in it.
///
/// `repr(C)`, `added` apart from the vector's length: next to each other, the two counters were
/// updated by one 16-byte load right after an 8-byte store to one of them, a store-forwarding stall
/// that took a third of the time of writing strings.
#[repr(C)]
struct Sink {
    /// Backslashes added by quoting so far: the content's own length leaves them out.
    added: usize,
    /// Writing the content of a string: every `"` and `\` written gets a backslash of its own.
    quoted: bool,
    bytes: Vec<u8>,
}

impl Sink {
    /// Runs `write` on a sink that appends to `out`.
    fn with(out: &mut Vec<u8>, write: impl FnOnce(&mut Sink) -> Result<(), Stop>) -> Result<(), Stop> {
        let mut sink = Sink { added: 0, quoted: false, bytes: std::mem::take(out) };
        let result = write(&mut sink);
        *out = sink.bytes;
        result
    }

    /// Bytes JSON never escapes (punctuation, digits, literals).
    fn push(&mut self, byte: u8) {
        self.bytes.push(byte);
    }

    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// `text` as a JSON string.
    fn string(&mut self, text: &str) {
        if self.quoted {
            self.added += write_str::<true>(&mut self.bytes, text);
        } else {
            write_str::<false>(&mut self.bytes, text);
        }
    }
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
    sink: &'a mut Sink,
    expect: Expect,
}

impl Writer<'_> {
    fn number<N: Serialize>(self, value: N, number: Number) -> Result<(), Stop> {
        self.expect.number(number)?;
        // `serde_json`'s digits (itoa, ryu), so the text is the same as it always was.
        serde_json::to_writer(&mut self.sink.bytes, &value).map_err(|_| Stop)
    }

    /// An [`EMBEDDED_JSON`] value: a string holding its JSON text, written in one pass, with the
    /// member's length rules checked on the text's length.
    fn embedded<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        let member = match self.expect {
            Expect::Free => None,
            Expect::Value(member, TypeDescriptor::String) if member.format.is_none() => Some(member),
            _ => return Err(Stop),
        };
        // JSON text in a string inside JSON text in a string: left to the general path.
        if self.sink.quoted {
            return Err(Stop);
        }
        let sink = self.sink;
        sink.push(b'"');
        let start = sink.bytes.len();
        sink.quoted = true;
        sink.added = 0;
        WRITING_EMBEDDED.set(true);
        let result = value.serialize(Writer { sink: &mut *sink, expect: Expect::Free });
        // Still set: `value` was not `json_string`'s and wrote itself some other way.
        let answered = !WRITING_EMBEDDED.replace(false);
        sink.quoted = false;
        result?;
        if !answered {
            return Err(Stop);
        }
        let length = sink.bytes.len() - start - sink.added;
        sink.push(b'"');
        match member {
            Some(member) => check_length(member, length).map_err(|_| Stop),
            None => Ok(()),
        }
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
        self.sink.extend_from_slice(if value { b"true" } else { b"false" });
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
        self.sink.string(value);
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
        self.sink.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Stop> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<(), Stop> {
        if name == EMBEDDED_JSON {
            return self.embedded(value);
        }
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
        self.sink.push(b'[');
        Ok(Seq { sink: self.sink, expect: self.expect, item, count: 0 })
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
        self.sink.push(b'{');
        Ok(Object { sink: self.sink, members: None, seen: 0, count: 0 })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'a>, Stop> {
        let members = self.expect.object()?;
        // Which members were written is kept in a 64-bit mask.
        if members.is_some_and(|members| members.len() > 64) {
            return Err(Stop);
        }
        self.sink.push(b'{');
        Ok(Object { sink: self.sink, members, seen: 0, count: 0 })
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
    sink: &'a mut Sink,
    expect: Expect,
    item: Expect,
    count: usize,
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        if self.count > 0 {
            self.sink.push(b',');
        }
        self.count += 1;
        value.serialize(Writer { sink: self.sink, expect: self.item })
    }

    fn end(self) -> Result<(), Stop> {
        if let Expect::Value(member, _) = self.expect {
            check_items(member, self.count).map_err(|_| Stop)?;
        }
        self.sink.push(b']');
        Ok(())
    }
}

/// An object being written: a structure (checked against `members`, if given) or a map.
struct Object<'a> {
    sink: &'a mut Sink,
    members: Option<&'static [MemberDescriptor]>,
    /// Bit `i`: member `i` was written.
    seen: u64,
    count: usize,
}

impl Object<'_> {
    fn comma(&mut self) {
        if self.count > 0 {
            self.sink.push(b',');
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
        self.sink.string(key);
        self.sink.push(b':');
        value.serialize(Writer { sink: self.sink, expect })
    }

    fn end(self) -> Result<(), Stop> {
        if let Some(members) = self.members {
            let missing = members.iter().enumerate().any(|(i, m)| m.required && self.seen & (1 << i) == 0);
            if missing {
                return Err(Stop);
            }
        }
        self.sink.push(b'}');
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        self.comma();
        key.serialize(KeyWriter { sink: self.sink })?;
        self.sink.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        value.serialize(Writer { sink: self.sink, expect: Expect::Free })
    }

    fn end(self) -> Result<(), Stop> {
        self.sink.push(b'}');
        Ok(())
    }
}

/// Writes a map key, which must be a string (other keys are left to `serde_json`).
struct KeyWriter<'a> {
    sink: &'a mut Sink,
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
        self.sink.string(key);
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
/// `\u00XX` for other control characters; nothing else is escaped). `QUOTED`: that string as the
/// content of another string, every `"` and `\\` of it escaped once more. Returns the backslashes
/// that added.
fn write_str<const QUOTED: bool>(out: &mut Vec<u8>, text: &str) -> usize {
    let bytes = text.as_bytes();
    // A long string is reserved for once, with an eighth to spare for escapes, so the buffer is
    // not doubled after it (see `json_string::to_vec`).
    if out.capacity() - out.len() < bytes.len() + 4 {
        out.reserve(bytes.len() + bytes.len() / 8 + 4);
    }
    let quote: &[u8] = if QUOTED { b"\\\"" } else { b"\"" };
    // Most strings have nothing to escape: a scan the compiler vectorises (a fold, not a search
    // that stops early) finds that, and the string is copied whole.
    if !bytes.iter().fold(false, |escape, &byte| escape | (byte < 0x20) | (byte == b'"') | (byte == b'\\')) {
        out.extend_from_slice(quote);
        out.extend_from_slice(bytes);
        out.extend_from_slice(quote);
        return if QUOTED { 2 } else { 0 };
    }
    let mut added = 0;
    out.extend_from_slice(quote);
    let mut start = 0;
    let mut i = 0;
    loop {
        // Eight bytes at a time (the last few padded with a letter): words with nothing to escape
        // are skipped whole, otherwise the scan moves to the first byte that needs it.
        let mask = match bytes.get(i..i + 8) {
            Some(word) => {
                let mut eight = [0; 8];
                eight.copy_from_slice(word);
                escape_mask(u64::from_le_bytes(eight))
            }
            // Built in a register: copied into memory and read back as a word, it stalled the
            // load that followed the byte-sized stores.
            None if i < bytes.len() => escape_mask(
                bytes[i..].iter().rev().fold(u64::from_le_bytes([b'a'; 8]), |word, &byte| word << 8 | u64::from(byte)),
            ),
            None => break,
        };
        if mask == 0 {
            i += 8;
            continue;
        }
        i += (mask.trailing_zeros() / 8) as usize;
        out.extend_from_slice(&bytes[start..i]);
        added += write_escape::<QUOTED>(out, bytes[i]);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.extend_from_slice(quote);
    if QUOTED { added + 2 } else { 0 }
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

/// The escape of `byte`, one that needs escaping; `QUOTED`: with its backslash (and a `"`) escaped
/// once more. Returns the backslashes that added.
fn write_escape<const QUOTED: bool>(out: &mut Vec<u8>, byte: u8) -> usize {
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
            if QUOTED {
                out.push(b'\\');
            }
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
            return usize::from(QUOTED);
        }
    };
    match (QUOTED, short) {
        (false, _) => {
            out.extend_from_slice(&[b'\\', short]);
            0
        }
        // `\"` and `\\` as the content of a string: both characters escaped.
        (true, b'"' | b'\\') => {
            out.extend_from_slice(&[b'\\', b'\\', b'\\', short]);
            2
        }
        (true, _) => {
            out.extend_from_slice(&[b'\\', b'\\', short]);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

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

    /// A request with a member sent as a string of JSON, as generated code declares one.
    #[derive(serde::Serialize)]
    struct Carrier<T: Serialize> {
        #[serde(rename = "Event", serialize_with = "crate::runtime::json_string::serialize")]
        event: T,
    }

    static CARRIER: [MemberDescriptor; 1] = [MemberDescriptor::new("Event", "", TypeDescriptor::String).max_bytes(40)];

    #[test]
    fn json_carried_in_a_string_is_written_in_one_pass_as_serde_json_writes_it() {
        let mut samples: Vec<Value> = vec![
            json!({"k": [1, "two", null, true, -0.5], "o": {}}),
            json!("plain"),
            json!(7),
            json!([]),
            json!({"q\"k\\": "\"\\\u{0}\u{1f}\n\t\r\u{8}\u{c}\u{7f}é€\u{1f600}"}),
        ];
        // Every escape at every position within and across eight-byte words.
        for at in 0..20 {
            for special in ["\"", "\\", "\u{1f}", "\n", "é", "\"\\\u{0}"] {
                samples.push(json!({ "a".repeat(at): format!("{}{special}{}", "a".repeat(at), "b".repeat(20 - at)) }));
            }
        }
        for sample in &samples {
            let carrier = Carrier { event: sample };
            let expected = serde_json::to_string(&json!({ "Event": sample.to_string() })).unwrap();
            // The generic path (what any other serializer gets) and the one-pass writer.
            assert_eq!(serde_json::to_string(&carrier).unwrap(), expected);
            assert_eq!(text(&carrier), expected, "{sample}");
        }
        // The handshake is consumed: serde_json afterwards still gets the string.
        assert_eq!(serde_json::to_string(&Carrier { event: 1 }).unwrap(), r#"{"Event":"1"}"#);
    }

    #[test]
    fn the_length_rule_of_a_json_carrying_member_counts_its_text() {
        let checked = |event: Value| {
            let mut out = Vec::new();
            write_checked(&Carrier { event: &event }, &CARRIER, &mut out).map(|()| String::from_utf8(out).unwrap())
        };
        // 40 bytes of JSON text, 56 in the body with the escapes: within the limit.
        let at_limit = json!({"a": "\"\"\"\"", "bbbbbbbbbbbbbbbbbbb": 1});
        assert_eq!(at_limit.to_string().len(), 40);
        let written = checked(at_limit.clone()).unwrap();
        assert_eq!(written, serde_json::to_string(&json!({ "Event": at_limit.to_string() })).unwrap());
        assert!(checked(json!({"a": "\"\"\"\"", "bbbbbbbbbbbbbbbbbbbb": 1})).is_err());
        // JSON in a string inside the JSON of a string: the general path's.
        assert!(checked(json!(null)).is_ok());
        let mut out = Vec::new();
        let nested = Carrier { event: Carrier { event: 1 } };
        assert!(write(&nested, &mut out).is_err());
        assert_eq!(serde_json::to_string(&nested).unwrap(), r#"{"Event":"{\"Event\":\"1\"}"}"#);
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
