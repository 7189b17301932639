//! Grant tokens (`grant/files` and `import-data`): signed, self-contained and never stored.
//!
//! A grant says "caller S may use the files (or the initial data) I until time E". It is only
//! ever checked by this sandbox, so instead of a database row per grant (an insert, a clean-up
//! of expired rows and a lookup: a third of the create path's writes) the token carries its
//! claims and an HMAC-SHA256 of them under a key kept in the data folder's database. A token
//! survives a restart of the sandbox on the same data folder, cannot be forged or altered
//! without the key, and is refused once expired or when presented as the other kind.
//!
//! Form: `g1.<claims: base64url JSON {k, s, i, e}>.<mac: base64url>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const PREFIX: &str = "g1.";
const KEY_NAME: &str = "grant_key";

/// What a grant token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Grant {
    /// The kind (`store::TOKEN_FILES` or `store::TOKEN_DATA`).
    #[serde(rename = "k")]
    pub kind: String,
    /// The access id it was issued to.
    #[serde(rename = "s")]
    pub subject: String,
    /// The granted file or initial-data ids.
    #[serde(rename = "i")]
    pub ids: Vec<String>,
    /// Expiry, in ms since the epoch.
    #[serde(rename = "e")]
    pub expires_ms: i64,
}

impl Grant {
    pub(crate) fn covers(&self, id: &str) -> bool {
        self.ids.iter().any(|i| i == id)
    }
}

/// The signing key of a data folder.
pub(crate) struct GrantKey([u8; 32]);

impl std::fmt::Debug for GrantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GrantKey(..)")
    }
}

impl GrantKey {
    /// The data folder's key, created (random) the first time. Two processes opening a new
    /// folder at once end up with the same key: the first one stored wins.
    pub(crate) fn load_or_create(c: &Connection) -> rusqlite::Result<GrantKey> {
        let stored = |c: &Connection| -> rusqlite::Result<Option<[u8; 32]>> {
            let v: Option<String> = c
                .query_row("SELECT value FROM meta WHERE key = ?1", [KEY_NAME], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(v.and_then(|v| {
                let mut key = [0u8; 32];
                hex::decode_to_slice(v, &mut key).ok().map(|()| key)
            }))
        };
        if let Some(key) = stored(c)? {
            return Ok(GrantKey(key));
        }
        let fresh: [u8; 32] = rand::random();
        // a damaged value is replaced; an existing good one is kept
        c.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value
             WHERE length(meta.value) != 64 OR meta.value GLOB '*[^0-9a-fA-F]*'",
            rusqlite::params![KEY_NAME, hex::encode(fresh)],
        )?;
        Ok(GrantKey(stored(c)?.unwrap_or(fresh)))
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }

    /// A token for `grant`.
    pub(crate) fn issue(&self, grant: &Grant) -> String {
        let claims = B64.encode(serde_json::to_vec(grant).expect("a grant serializes"));
        let mut mac = self.mac();
        mac.update(claims.as_bytes());
        let sig = B64.encode(mac.finalize().into_bytes());
        format!("{PREFIX}{claims}.{sig}")
    }

    /// The grant of a token of `kind` that this key signed and that has not expired at `now_ms`.
    pub(crate) fn check(&self, kind: &str, token: &str, now_ms: i64) -> Option<Grant> {
        let (claims, sig) = token.strip_prefix(PREFIX)?.split_once('.')?;
        let sig = B64.decode(sig).ok()?;
        let mut mac = self.mac();
        mac.update(claims.as_bytes());
        mac.verify_slice(&sig).ok()?;
        let grant: Grant = serde_json::from_slice(&B64.decode(claims).ok()?).ok()?;
        (grant.kind == kind && grant.expires_ms > now_ms).then_some(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
            .unwrap();
        c
    }

    fn grant(kind: &str, expires_ms: i64) -> Grant {
        Grant {
            kind: kind.into(),
            subject: "alice".into(),
            ids: vec!["f1".into(), "f2".into()],
            expires_ms,
        }
    }

    #[test]
    fn a_token_gives_back_its_grant_until_it_expires() {
        let key = GrantKey::load_or_create(&db()).unwrap();
        let g = grant("grant-files", 1_000);
        let t = key.issue(&g);
        assert!(t.starts_with("g1."));
        assert_eq!(key.check("grant-files", &t, 999), Some(g.clone()));
        assert!(g.covers("f2") && !g.covers("f3"));
        assert_eq!(key.check("grant-files", &t, 1_000), None, "expired");
        assert_eq!(key.check("grant-data", &t, 0), None, "the other kind");
    }

    #[test]
    fn altered_forged_or_foreign_tokens_are_refused() {
        let c = db();
        let key = GrantKey::load_or_create(&c).unwrap();
        let t = key.issue(&grant("grant-files", i64::MAX));
        // other claims under the same signature
        let (claims, sig) = t.strip_prefix("g1.").unwrap().split_once('.').unwrap();
        let mut more = grant("grant-files", i64::MAX);
        more.ids.push("f3".into());
        let swapped = format!(
            "g1.{}.{sig}",
            B64.encode(serde_json::to_vec(&more).unwrap())
        );
        assert_eq!(key.check("grant-files", &swapped, 0), None);
        // a flipped signature byte, a missing part, garbage
        let mut bad = B64.decode(sig).unwrap();
        bad[0] ^= 1;
        let flipped = format!("g1.{claims}.{}", B64.encode(bad));
        for t in [
            flipped.as_str(),
            "g1.abc",
            "",
            "not-a-token",
            "g1..",
            &t[..t.len() - 1],
        ] {
            assert_eq!(key.check("grant-files", t, 0), None, "{t:?}");
        }
        // signed by another data folder's key
        let other = GrantKey::load_or_create(&db()).unwrap();
        assert_eq!(other.check("grant-files", &t, 0), None);
        assert!(key.check("grant-files", &t, 0).is_some());
    }

    #[test]
    fn the_key_is_kept_in_the_database() {
        let c = db();
        let t = GrantKey::load_or_create(&c)
            .unwrap()
            .issue(&grant("grant-data", i64::MAX));
        let again = GrantKey::load_or_create(&c).unwrap();
        assert!(
            again.check("grant-data", &t, 0).is_some(),
            "same key after reopening"
        );
        let stored: String = c
            .query_row("SELECT value FROM meta WHERE key = 'grant_key'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(stored.len(), 64);
    }

    #[test]
    fn a_damaged_key_is_replaced_and_the_new_one_kept() {
        let c = db();
        c.execute(
            "INSERT INTO meta (key, value) VALUES ('grant_key', 'not hex')",
            [],
        )
        .unwrap();
        let t = GrantKey::load_or_create(&c)
            .unwrap()
            .issue(&grant("grant-files", i64::MAX));
        let again = GrantKey::load_or_create(&c).unwrap();
        assert!(again.check("grant-files", &t, 0).is_some());
    }
}
