//! A secret value that never prints: its `Debug` and `Display` write "•••" (the keychain is
//! the only place a secret goes; logs, errors and diagnostics show this instead).

use std::fmt;

/// What a secret prints as.
pub const REDACTED: &str = "•••";

/// A secret value: its Debug and Display print "•••"; only [`Secret::expose`] gives the text.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}
