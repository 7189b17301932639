//! Text output exactly as the reference SDK produces it: Python's float `repr`, `str` of
//! JSON numbers, and `json.dump(obj, indent=2)` (ASCII-only output, `", "`/`": "` separators).

use serde_json::{Number, Value};
use std::io::{self, Write};

/// Python's `repr(float)`: shortest round-trip digits, `.0` on integral values, exponent
/// form below 1e-4 and from 1e16 (`1e-05`, `1e+16`).
pub fn float_repr(x: f64) -> String {
    let mut out = Vec::with_capacity(24);
    push_float_repr(&mut out, x);
    // Only ASCII is ever written.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`float_repr`] of `x` to `out` (no allocation besides `out` growing).
pub fn push_float_repr(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if x.is_sign_negative() {
        out.push(b'-');
    }
    if x == 0.0 {
        out.extend_from_slice(b"0.0");
        return;
    }
    // ryu prints the shortest digits that round-trip (as Python's repr does), e.g. "1.2345e-7",
    // "1e16", "123.5": read them back as DIGITS and a decimal point position.
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(x.abs()).as_bytes();
    let (mantissa, exp) = match text.iter().position(|&b| b == b'e') {
        Some(i) => (&text[..i], parse_exp(&text[i + 1..])),
        None => (text, 0),
    };
    let mut digits = [0u8; 24];
    let mut n = 0usize;
    let mut int_len: i32 = 0;
    let mut seen_point = false;
    for &b in mantissa {
        if b == b'.' {
            seen_point = true;
            continue;
        }
        if n == 0 && b == b'0' {
            // Leading zeros move the decimal point, they are not digits.
            if seen_point {
                int_len -= 1;
            }
            continue;
        }
        if n < digits.len() {
            digits[n] = b;
            n += 1;
        }
        if !seen_point {
            int_len += 1;
        }
    }
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let digits = &digits[..n];
    // value = 0.DIGITS × 10^decpt
    let decpt = int_len + exp;
    if decpt <= -4 || decpt > 16 {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let e = decpt - 1;
        out.push(b'e');
        out.push(if e < 0 { b'-' } else { b'+' });
        let e = e.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        push_u64(out, u64::from(e));
    } else if decpt <= 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-decpt) {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
    } else {
        let d = decpt as usize;
        if d >= digits.len() {
            out.extend_from_slice(digits);
            for _ in digits.len()..d {
                out.push(b'0');
            }
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&digits[..d]);
            out.push(b'.');
            out.extend_from_slice(&digits[d..]);
        }
    }
}

fn parse_exp(b: &[u8]) -> i32 {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    let v = digits
        .iter()
        .fold(0i32, |acc, d| acc * 10 + i32::from(d.wrapping_sub(b'0')));
    if neg { -v } else { v }
}

fn push_u64(out: &mut Vec<u8>, v: u64) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

/// Appends Python `str()` of a JSON number as `json.loads` would have read it.
pub fn push_number(out: &mut Vec<u8>, n: &Number) {
    let mut b = itoa::Buffer::new();
    if let Some(i) = n.as_i64() {
        out.extend_from_slice(b.format(i).as_bytes());
    } else if let Some(u) = n.as_u64() {
        out.extend_from_slice(b.format(u).as_bytes());
    } else {
        push_float_repr(out, n.as_f64().unwrap_or(f64::NAN));
    }
}

/// Python `str()` of a JSON number as `json.loads` would have read it (int or float).
pub fn number_str(n: &Number) -> String {
    let mut out = Vec::with_capacity(24);
    push_number(&mut out, n);
    String::from_utf8(out).unwrap_or_default()
}

pub use lab_client::kili::py_round;

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_u16_escape(out: &mut Vec<u8>, u: u16) {
    out.extend_from_slice(&[
        b'\\',
        b'u',
        HEX[usize::from(u >> 12)],
        HEX[usize::from((u >> 8) & 0xf)],
        HEX[usize::from((u >> 4) & 0xf)],
        HEX[usize::from(u & 0xf)],
    ]);
}

/// Appends `s` as Python's `json.dumps` (ensure_ascii) writes a string.
pub fn push_json_string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if b < 0x80 {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                _ => push_u16_escape(out, u16::from(b)),
            }
            i += 1;
        } else {
            // A multi-byte character: `\uXXXX` per UTF-16 unit.
            let c = s[i..].chars().next().unwrap_or('\u{fffd}');
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                push_u16_escape(out, *u);
            }
            i += c.len_utf8();
        }
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

const INDENT: &[u8] = b"\n                                                                ";

/// A newline and `level` two-space indents.
pub fn push_indent(out: &mut Vec<u8>, level: usize) {
    let spaces = level * 2;
    if spaces < INDENT.len() {
        out.extend_from_slice(&INDENT[..=spaces]);
    } else {
        out.push(b'\n');
        out.resize(out.len() + spaces, b' ');
    }
}

/// Appends `value` as Python's `json.dump(value, f, indent=2)` would write it, the value
/// being nested `level` levels deep (so an array item is written with `level = 1`).
pub fn push_json(out: &mut Vec<u8>, value: &Value, level: usize) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.is_nan() {
                    out.extend_from_slice(b"NaN");
                } else if f.is_infinite() {
                    out.extend_from_slice(if f > 0.0 { b"Infinity" } else { b"-Infinity" });
                } else {
                    push_float_repr(out, f);
                }
            } else {
                push_number(out, n);
            }
        }
        Value::String(s) => push_json_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.extend_from_slice(b"[]");
                return;
            }
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_indent(out, level + 1);
                push_json(out, item, level + 1);
            }
            push_indent(out, level);
            out.push(b']');
        }
        Value::Object(map) => {
            push_json_entries(out, map.iter().map(|(k, v)| (k.as_str(), v)), level)
        }
    }
}

/// Appends an object given as `(key, value)` entries, as [`push_json`] writes objects.
pub fn push_json_entries<'a>(
    out: &mut Vec<u8>,
    entries: impl IntoIterator<Item = (&'a str, &'a Value)>,
    level: usize,
) {
    let mut any = false;
    for (k, v) in entries {
        out.push(if any { b',' } else { b'{' });
        any = true;
        push_indent(out, level + 1);
        push_json_string(out, k);
        out.extend_from_slice(b": ");
        push_json(out, v, level + 1);
    }
    if any {
        push_indent(out, level);
        out.push(b'}');
    } else {
        out.extend_from_slice(b"{}");
    }
}

/// Writes `value` as Python's `json.dump(value, f, indent=2)` would, the value being nested
/// `level` levels deep (so an array item is written with `level = 1`).
pub fn write_json<W: Write>(w: &mut W, value: &Value, level: usize) -> io::Result<()> {
    let mut out = Vec::new();
    push_json(&mut out, value, level);
    w.write_all(&out)
}

/// Streams a JSON array in the SDK's layout, one item at a time, formatting each item into
/// one reused buffer.
pub struct JsonArrayWriter<W: Write> {
    inner: W,
    count: u64,
    buf: Vec<u8>,
}

impl<W: Write> JsonArrayWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            count: 0,
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    pub fn push(&mut self, item: &Value) -> io::Result<()> {
        self.push_with(|out| push_json(out, item, 1))
    }

    /// Adds one item written by `write` (which appends the item's JSON at nesting level 1).
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        self.buf.clear();
        self.buf.push(if self.count == 0 { b'[' } else { b',' });
        push_indent(&mut self.buf, 1);
        write(&mut self.buf);
        self.count += 1;
        self.inner.write_all(&self.buf)?;
        if self.buf.capacity() > 4 * 1024 * 1024 {
            // One huge task must not keep its buffer for the rest of the export.
            self.buf = Vec::with_capacity(64 * 1024);
        }
        Ok(())
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Closes the array and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.count == 0 {
            self.inner.write_all(b"[]")?;
        } else {
            self.inner.write_all(b"\n]")?;
        }
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    // The literals spell the exact binary values (e.g. a tie at …111.25) on purpose.
    #[allow(clippy::excessive_precision)]
    fn float_repr_matches_python() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-2.0, "-2.0"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (0.0000123, "1.23e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1e-300, "1e-300"),
            (1e300, "1e+300"),
            (12.5, "12.5"),
            (100.0, "100.0"),
            (0.6545064391681276, "0.6545064391681276"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (903789145080111.25, "903789145080111.2"), // a tie: Python rounds to even
        ];
        for (x, want) in cases {
            assert_eq!(float_repr(*x), *want, "repr of {x:e}");
        }
    }

    /// The straightforward repr (via `{:e}`), kept to cross-check the allocation-free one.
    fn reference_repr(x: f64) -> String {
        let sci = format!("{x:e}");
        let (mantissa, exp) = sci.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        let (neg, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => (true, m),
            None => (false, mantissa),
        };
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let decpt = exp + 1;
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        if decpt <= -4 || decpt > 16 {
            out.push_str(&digits[..1]);
            if digits.len() > 1 {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            let e = decpt - 1;
            out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
        } else if decpt <= 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-decpt) as usize));
            out.push_str(&digits);
        } else {
            let d = decpt as usize;
            if d >= digits.len() {
                out.push_str(&digits);
                out.push_str(&"0".repeat(d - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..d]);
                out.push('.');
                out.push_str(&digits[d..]);
            }
        }
        out
    }

    #[test]
    fn float_repr_agrees_with_reference_on_random_and_edge_values() {
        let mut seed = 0x2545f4914f6cdd1du64;
        let check = |x: f64| {
            if x.is_finite() {
                let (got, reference) = (float_repr(x), reference_repr(x));
                // Rust's `{:e}` rounds exact ties (x = …111.25) up, Python and ryu to even:
                // there both are shortest round-trips of x, differing in the last digit only.
                if got != reference {
                    assert_eq!(got.len(), reference.len(), "{x:e}");
                    assert_eq!(got.parse::<f64>().unwrap(), x, "{x:e}");
                }
            }
        };
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            check(f64::from_bits(seed));
            // Values of every magnitude around the fixed/exponent switches.
            let e = (seed % 40) as i32 - 20;
            let m = (seed >> 20) as f64 / (1u64 << 44) as f64;
            check(m * 10f64.powi(e));
            check(((seed >> 40) as f64) * 10f64.powi(e));
        }
        for x in [
            1e-4,
            9.999e-5,
            1e16,
            9999999999999998.0,
            1e15,
            0.001,
            123.0,
            1e22,
            1e23,
        ] {
            check(x);
            check(-x);
        }
    }

    #[test]
    fn strings_escape_like_python_ensure_ascii() {
        let cases = [
            ("", "\"\""),
            ("plain text", "\"plain text\""),
            ("a\"b\\c/d", "\"a\\\"b\\\\c/d\""),
            (
                "\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}",
                "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"",
            ),
            ("é€😀x", "\"\\u00e9\\u20ac\\ud83d\\ude00x\""),
        ];
        for (s, want) in cases {
            let mut out = Vec::new();
            push_json_string(&mut out, s);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    #[test]
    fn deep_nesting_indents_past_the_fast_table() {
        let mut v = json!(1);
        for _ in 0..40 {
            v = json!([v]);
        }
        let mut out = Vec::new();
        push_json(&mut out, &v, 0);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(&format!("\n{}1\n", " ".repeat(80))), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn py_round_ties_to_even_on_exact_value() {
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(0.375, 2), 0.38);
        assert_eq!(py_round(2.675, 2), 2.67); // 2.675 is 2.67499999… in binary
        assert_eq!(py_round(1.005, 2), 1.0);
        assert_eq!(py_round(33.333333, 2), 33.33);
        assert_eq!(py_round(-0.125, 2), -0.12);
    }

    #[test]
    fn number_str_keeps_int_and_float_apart() {
        let v: Value = serde_json::from_str("[1, 1.0, -3, 2.50, 1e2]").unwrap();
        let s: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|n| number_str(n.as_number().unwrap()))
            .collect();
        assert_eq!(s, ["1", "1.0", "-3", "2.5", "100.0"]);
    }

    #[test]
    fn json_dump_indent_2_like_python() {
        let v = json!({"a": [1, 2.0, {"b": null}], "e": {}, "l": [], "s": "é\"\\/\n\u{1}\u{7f}😀", "t": true});
        let mut out = Vec::new();
        write_json(&mut out, &v, 0).unwrap();
        let want = "{\n  \"a\": [\n    1,\n    2.0,\n    {\n      \"b\": null\n    }\n  ],\n  \"e\": {},\n  \"l\": [],\n  \"s\": \"\\u00e9\\\"\\\\/\\n\\u0001\\u007f\\ud83d\\ude00\",\n  \"t\": true\n}";
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    #[test]
    fn array_writer_streams_items() {
        let mut w = JsonArrayWriter::new(Vec::new());
        w.push(&json!({"x": 1})).unwrap();
        w.push(&json!([])).unwrap();
        assert_eq!(w.count(), 2);
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(out, "[\n  {\n    \"x\": 1\n  },\n  []\n]");
        let empty = JsonArrayWriter::new(Vec::new()).finish().unwrap();
        assert_eq!(empty, b"[]");
    }

    #[test]
    fn floats_read_from_json_print_back_unchanged() {
        // Hard cases for float parsing: JSON text → f64 must be exact for repr to match Python.
        let mut seed = 0x9e3779b97f4a7c15u64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let x = f64::from_bits(seed);
            if !x.is_finite() {
                continue;
            }
            let text = float_repr(x);
            let back: f64 = serde_json::from_str(&text).unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{text}");
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), x.to_bits());
        }
        for text in [
            "0.30000000000000004",
            "2.2250738585072014e-308",
            "9007199254740993.0",
            "0.1",
        ] {
            let v: f64 = serde_json::from_str(text).unwrap();
            assert_eq!(v, text.parse::<f64>().unwrap(), "{text}");
        }
    }
}
