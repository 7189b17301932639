//! A message of the window's catalogue as data: its key (`err.…`) and the values of its
//! `{placeholders}`, so the window words it in its user's language. The English of every key
//! is the `Display` of the error it comes from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A catalogue message: `key` with `params`; `detail`, when present, is another message that
/// fills this one's `{detail}` (an input problem inside a file or a task).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    /// The catalogue key, `err.…`.
    pub key: String,
    /// Values of the message's placeholders.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub params: BTreeMap<String, String>,
    /// The message filling `{detail}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub detail: Option<Box<Message>>,
}

impl Message {
    /// `key` with no values yet.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            params: BTreeMap::new(),
            detail: None,
        }
    }

    /// With the value of placeholder `name`.
    pub fn with(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }

    /// With `detail` filling `{detail}`.
    pub fn with_detail(mut self, detail: Message) -> Self {
        self.detail = Some(Box::new(detail));
        self
    }

    /// The message of an error enum serialised as `{"key": variant, "params": {field: value}}`
    /// (serde's adjacent tagging, camelCase variants): key `err.<variant>`, one value per
    /// field; a field that is itself such an enum becomes the [`Message::detail`].
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => Self::from_tagged(v),
            // an error enum of plain fields always serialises
            Err(e) => Self::new("err.internal").with("detail", e),
        }
    }

    fn from_tagged(v: Value) -> Self {
        let Value::Object(mut o) = v else {
            return Self::new("err.internal").with("detail", v);
        };
        let mut m = Self::new(format!(
            "err.{}",
            o.get("key").and_then(Value::as_str).unwrap_or("internal")
        ));
        if let Some(Value::Object(params)) = o.remove("params") {
            for (name, value) in params {
                match value {
                    Value::String(s) => {
                        m.params.insert(name, s);
                    }
                    Value::Object(ref inner) if inner.contains_key("key") => {
                        m.detail = Some(Box::new(Self::from_tagged(value)));
                    }
                    other => {
                        m.params.insert(name, other.to_string());
                    }
                }
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Invalid;

    #[test]
    fn an_enum_variant_gives_its_key_and_fields() {
        let m = Invalid::TaskNameTooLong {
            start: "abc".into(),
            length: 300,
            max: 255,
        }
        .message();
        assert_eq!(m.key, "err.taskNameTooLong");
        assert_eq!(m.params["start"], "abc");
        assert_eq!(m.params["length"], "300");
        assert_eq!(m.params["max"], "255");
        assert_eq!(m.detail, None);
        assert_eq!(
            Invalid::NoTaskToCreate.message(),
            Message::new("err.noTaskToCreate")
        );
    }

    #[test]
    fn a_nested_problem_becomes_the_detail() {
        let m = Invalid::TaskProblem {
            task: "a".into(),
            detail: Box::new(Invalid::UnknownProperty { name: "x".into() }),
        }
        .message();
        assert_eq!(m.key, "err.taskProblem");
        assert_eq!(m.params.len(), 1);
        assert_eq!(
            m.detail.as_deref(),
            Some(&Message::new("err.unknownProperty").with("name", "x"))
        );
    }

    #[test]
    fn serialises_without_empty_parts() {
        let v = serde_json::to_value(Message::new("err.x")).unwrap();
        assert_eq!(v, serde_json::json!({"key": "err.x"}));
        let back: Message = serde_json::from_value(
            serde_json::json!({"key": "err.y", "params": {"a": "1"}, "detail": {"key": "err.z"}}),
        )
        .unwrap();
        assert_eq!(
            back,
            Message::new("err.y")
                .with("a", 1)
                .with_detail(Message::new("err.z"))
        );
    }
}
