//! Text output exactly as the reference SDK produces it: Python's float `repr`, `str` of
//! JSON numbers, and `json.dump(obj, indent=2)` (ASCII-only output, `", "`/`": "` separators).

use serde_json::{Number, Value};
use std::io::{self, Write};

/// Python's `repr(float)`: shortest round-trip digits, `.0` on integral values, exponent
/// form below 1e-4 and from 1e16 (`1e-05`, `1e+16`).
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:e}` gives the shortest digits that round-trip, e.g. "-1.2345e-7", "1e16", "0e0".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    // value = 0.DIGITS × 10^decpt
    let decpt = exp + 1;
    let mut out = String::with_capacity(digits.len() + 8);
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
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", e.abs()));
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..(-decpt) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let d = decpt as usize;
        if d >= digits.len() {
            out.push_str(&digits);
            for _ in digits.len()..d {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..d]);
            out.push('.');
            out.push_str(&digits[d..]);
        }
    }
    out
}

/// Python `str()` of a JSON number as `json.loads` would have read it (int or float).
pub fn number_str(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        float_repr(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Python's `round(x, ndigits)` for floats (correctly rounded, ties to even on the exact value).
pub fn py_round(x: f64, ndigits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.ndigits$}").parse().unwrap_or(x)
}

fn write_json_string<W: Write>(w: &mut W, s: &str) -> io::Result<()> {
    let mut buf = String::with_capacity(s.len() + 2);
    buf.push('"');
    for c in s.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            '\u{08}' => buf.push_str("\\b"),
            '\u{0c}' => buf.push_str("\\f"),
            ' '..='~' => buf.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    buf.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    buf.push('"');
    w.write_all(buf.as_bytes())
}

fn write_indent<W: Write>(w: &mut W, level: usize) -> io::Result<()> {
    w.write_all(b"\n")?;
    for _ in 0..level {
        w.write_all(b"  ")?;
    }
    Ok(())
}

/// Writes `value` as Python's `json.dump(value, f, indent=2)` would, the value being nested
/// `level` levels deep (so an array item is written with `level = 1`).
pub fn write_json<W: Write>(w: &mut W, value: &Value, level: usize) -> io::Result<()> {
    match value {
        Value::Null => w.write_all(b"null"),
        Value::Bool(true) => w.write_all(b"true"),
        Value::Bool(false) => w.write_all(b"false"),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(f64::NAN);
                let s = if f.is_nan() {
                    "NaN".to_string()
                } else if f.is_infinite() {
                    if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
                } else {
                    float_repr(f)
                };
                w.write_all(s.as_bytes())
            } else {
                w.write_all(number_str(n).as_bytes())
            }
        }
        Value::String(s) => write_json_string(w, s),
        Value::Array(items) => {
            if items.is_empty() {
                return w.write_all(b"[]");
            }
            w.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write_indent(w, level + 1)?;
                write_json(w, item, level + 1)?;
            }
            write_indent(w, level)?;
            w.write_all(b"]")
        }
        Value::Object(map) => {
            if map.is_empty() {
                return w.write_all(b"{}");
            }
            w.write_all(b"{")?;
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write_indent(w, level + 1)?;
                write_json_string(w, k)?;
                w.write_all(b": ")?;
                write_json(w, v, level + 1)?;
            }
            write_indent(w, level)?;
            w.write_all(b"}")
        }
    }
}

/// Streams a JSON array in the SDK's layout, one item at a time.
pub struct JsonArrayWriter<W: Write> {
    inner: W,
    count: u64,
}

impl<W: Write> JsonArrayWriter<W> {
    pub fn new(inner: W) -> Self {
        Self { inner, count: 0 }
    }

    pub fn push(&mut self, item: &Value) -> io::Result<()> {
        self.inner
            .write_all(if self.count == 0 { b"[" } else { b"," })?;
        write_indent(&mut self.inner, 1)?;
        write_json(&mut self.inner, item, 1)?;
        self.count += 1;
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
            write_indent(&mut self.inner, 0)?;
            self.inner.write_all(b"]")?;
        }
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
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
        ];
        for (x, want) in cases {
            assert_eq!(float_repr(*x), *want, "repr of {x:e}");
        }
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
