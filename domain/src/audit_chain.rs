//! The audit trail as a hash chain: every event carries a sequence number and
//! `hash = SHA-256(previous hash ‖ RFC 8785 canonical JSON of the event)`, so editing,
//! deleting or reordering a stored event breaks the chain at that event. Pure: the store links
//! events as it writes them, and `entente audit verify` walks them.

use aws_lc_rs::digest;
use serde::Serialize;
use serde_json::Value;

/// The hash before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// An audit event as the chain covers it: everything stored about it but its hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainedEvent {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub partner: Option<String>,
    /// The details as JSON (their stored text parsed: key order does not matter); stored text
    /// that is not JSON is covered as a string.
    pub details: Value,
    pub request_id: Option<String>,
    pub trace_id: Option<String>,
    pub source: Option<String>,
}

impl ChainedEvent {
    /// The details as stored (text), read the way the chain covers them.
    pub fn details_of(stored: &str) -> Value {
        serde_json::from_str(stored).unwrap_or_else(|_| Value::String(stored.to_owned()))
    }

    /// The RFC 8785 form the hash covers.
    pub fn canonical(&self) -> Vec<u8> {
        // Serialising strings, integers and JSON values cannot fail; an empty form would
        // still be chained (and verified) the same way.
        serde_json_canonicalizer::to_vec(self).unwrap_or_default()
    }
}

/// The hash of `event` following `prev`.
pub fn link(prev: &[u8; 32], event: &ChainedEvent) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(prev);
    ctx.update(&event.canonical());
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

pub fn to_hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Where the chain breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first event that does not verify (for a gap: the sequence number expected there).
    pub seq: i64,
    pub why: String,
}

/// How far the chain verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The last event verified (`from - 1` when there was none).
    pub last_seq: i64,
    pub head: [u8; 32],
    pub events: u64,
}

/// Walks events in sequence order from `from` (whose predecessor's hash is `prev`): each must
/// follow the last without a gap and carry the hash its content and predecessor give.
pub fn verify<I>(from: i64, prev: [u8; 32], events: I) -> Result<Verified, Broken>
where
    I: IntoIterator<Item = (ChainedEvent, String)>,
{
    let mut head = prev;
    let mut expected = from;
    let mut count = 0u64;
    for (event, stored) in events {
        if event.seq != expected {
            return Err(Broken {
                seq: expected,
                why: if event.seq == expected + 1 {
                    format!("event {expected} is missing")
                } else if event.seq > expected {
                    format!("events {expected} to {} are missing", event.seq - 1)
                } else {
                    format!("event {} appears out of order", event.seq)
                },
            });
        }
        let hash = link(&head, &event);
        if from_hex(&stored) != Some(hash) {
            return Err(Broken {
                seq: event.seq,
                why: "its hash does not match its content and the event before it: it or an \
                      earlier event was changed"
                    .into(),
            });
        }
        head = hash;
        expected += 1;
        count += 1;
    }
    Ok(Verified {
        last_seq: expected - 1,
        head,
        events: count,
    })
}

/// A checkpoint: the chain's head at a moment, signed with the audit key (Ed25519) so that a
/// copy kept outside the database proves what the chain held then, in the manner of
/// CloudTrail's digest files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CheckpointClaims {
    /// The last event the checkpoint covers.
    pub seq: i64,
    /// That event's hash (hex).
    pub head: String,
    /// When it was signed (Unix seconds).
    pub iat: i64,
}

/// The JWS `typ` of a checkpoint, so that no other signed object can pass for one.
pub const CHECKPOINT_TYP: &str = "entente-audit-checkpoint+jwt";

/// A compact JWS (EdDSA) of the checkpoint, signed with the audit key.
pub fn sign_checkpoint(
    private_der: &[u8],
    kid: &str,
    claims: &CheckpointClaims,
) -> Result<String, crate::keys::KeyError> {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.typ = Some(CHECKPOINT_TYP.into());
    header.kid = Some(kid.into());
    let key = crate::keys::encoding_key(crate::keys::SigningAlgorithm::EdDsa, private_der);
    jsonwebtoken::encode(&header, claims, &key).map_err(|_| crate::keys::KeyError::Invalid("EdDSA"))
}

/// The claims of a checkpoint JWS whose signature verifies with `key` (the audit key's
/// public JWK) and whose `typ` is a checkpoint's; a sentence otherwise.
pub fn open_checkpoint(
    jws: &str,
    key: &jsonwebtoken::jwk::Jwk,
) -> Result<CheckpointClaims, String> {
    let header = jsonwebtoken::decode_header(jws).map_err(|_| "not a JWS".to_owned())?;
    if header.typ.as_deref() != Some(CHECKPOINT_TYP) || header.alg != jsonwebtoken::Algorithm::EdDSA
    {
        return Err("not an EdDSA audit checkpoint".into());
    }
    let decoding = crate::keys::decoding_key(key).map_err(|e| e.to_string())?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_aud = false;
    jsonwebtoken::decode::<CheckpointClaims>(jws, &decoding, &v)
        .map(|d| d.claims)
        .map_err(|_| "its signature does not verify with the audit key".into())
}

/// Checks the chain against signed checkpoints: the event at each checkpoint's place must be
/// there with the hash the checkpoint signed. `hash_at` reads a stored event's hash.
pub fn check_against(
    checkpoints: &[CheckpointClaims],
    hash_at: impl Fn(i64) -> Option<String>,
) -> Result<(), Broken> {
    for c in checkpoints {
        match hash_at(c.seq) {
            Some(h) if h == c.head => {}
            Some(_) => {
                return Err(Broken {
                    seq: c.seq,
                    why: format!(
                        "the checkpoint signed at {} holds another hash for event {}: the chain \
                         was rewritten up to it",
                        c.iat, c.seq
                    ),
                });
            }
            None => {
                return Err(Broken {
                    seq: c.seq,
                    why: format!(
                        "the checkpoint signed at {} covers event {}, which is gone: events were \
                         deleted",
                        c.iat, c.seq
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, details: &str) -> ChainedEvent {
        ChainedEvent {
            seq,
            at: 1_700_000_000 + seq,
            actor: "admin:ada@example.test".into(),
            action: "partner.create".into(),
            target: "partner:acme".into(),
            partner: Some("acme".into()),
            details: ChainedEvent::details_of(details),
            request_id: None,
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            source: None,
        }
    }

    fn chain(n: i64) -> Vec<(ChainedEvent, String)> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let e = event(seq, &format!(r#"{{"b":{seq},"a":"x"}}"#));
                prev = link(&prev, &e);
                (e, to_hex(&prev))
            })
            .collect()
    }

    #[test]
    fn the_canonical_form_is_rfc_8785() {
        let e = event(7, r#"{"z": 1, "a": [true, null, "é"]}"#);
        assert_eq!(
            String::from_utf8(e.canonical()).unwrap(),
            r#"{"action":"partner.create","actor":"admin:ada@example.test","at":1700000007,"details":{"a":[true,null,"é"],"z":1},"partner":"acme","request_id":null,"seq":7,"source":null,"target":"partner:acme","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#
        );
        // Key order and spacing of the stored details do not matter; their content does.
        assert_eq!(
            link(&GENESIS, &event(1, r#"{"a":1,"b":2}"#)),
            link(&GENESIS, &event(1, r#"{ "b": 2, "a": 1 }"#))
        );
        assert_ne!(
            link(&GENESIS, &event(1, r#"{"a":1}"#)),
            link(&GENESIS, &event(1, r#"{"a":2}"#))
        );
    }

    #[test]
    fn a_whole_chain_verifies() {
        let v = verify(1, GENESIS, chain(5)).unwrap();
        assert_eq!((v.last_seq, v.events), (5, 5));
        assert_eq!(to_hex(&v.head), chain(5)[4].1);
        // From the middle, given the hash before it.
        let all = chain(5);
        let prev = from_hex(&all[1].1).unwrap();
        assert_eq!(verify(3, prev, all[2..].to_vec()).unwrap().last_seq, 5);
        assert_eq!(verify(1, GENESIS, vec![]).unwrap().last_seq, 0);
    }

    #[test]
    fn an_edit_a_gap_and_a_reorder_are_named() {
        let mut edited = chain(5);
        edited[2].0.actor = "admin:mallory@example.test".into();
        assert_eq!(verify(1, GENESIS, edited).unwrap_err().seq, 3);

        let mut rehashed = chain(5);
        // Changing an event and its own hash still breaks the next one.
        rehashed[1].0.details = serde_json::json!({"b": 99});
        let prev = from_hex(&rehashed[0].1).unwrap();
        rehashed[1].1 = to_hex(&link(&prev, &rehashed[1].0));
        assert_eq!(verify(1, GENESIS, rehashed).unwrap_err().seq, 3);

        let mut gap = chain(5);
        gap.remove(3);
        let e = verify(1, GENESIS, gap).unwrap_err();
        assert_eq!((e.seq, e.why.as_str()), (4, "event 4 is missing"));

        let mut swapped = chain(5);
        swapped.swap(1, 2);
        assert_eq!(verify(1, GENESIS, swapped).unwrap_err().seq, 2);

        // Swapping two events' contents but keeping their places and hashes: caught too.
        let mut contents = chain(5);
        let (a, b) = (contents[1].0.clone(), contents[2].0.clone());
        contents[1].0 = ChainedEvent { seq: 2, ..b };
        contents[2].0 = ChainedEvent { seq: 3, ..a };
        assert_eq!(verify(1, GENESIS, contents).unwrap_err().seq, 2);

        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex("é".repeat(32).as_str()), None);
        assert_eq!(from_hex(&"g".repeat(64)), None);
    }
}

#[cfg(test)]
mod checkpoint_tests {
    use super::*;
    use crate::keys::{SigningAlgorithm, generate};

    #[test]
    fn a_checkpoint_verifies_with_its_key_only() {
        let key = generate(SigningAlgorithm::EdDsa).unwrap();
        let claims = CheckpointClaims {
            seq: 41,
            head: "ab".repeat(32),
            iat: 1_700_000_000,
        };
        let jws = sign_checkpoint(&key.private_der, &key.kid, &claims).unwrap();
        assert_eq!(open_checkpoint(&jws, &key.public_jwk), Ok(claims.clone()));
        let other = generate(SigningAlgorithm::EdDsa).unwrap();
        assert!(open_checkpoint(&jws, &other.public_jwk).is_err());
        // A token signed by the same key but not a checkpoint is refused.
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        let plain = jsonwebtoken::encode(
            &header,
            &claims,
            &crate::keys::encoding_key(SigningAlgorithm::EdDsa, &key.private_der),
        )
        .unwrap();
        assert!(open_checkpoint(&plain, &key.public_jwk).is_err());

        let at = |seq: i64| (seq == 41).then(|| "ab".repeat(32));
        assert_eq!(check_against(std::slice::from_ref(&claims), at), Ok(()));
        let rewritten = check_against(std::slice::from_ref(&claims), |_| Some("cd".repeat(32)));
        assert_eq!(rewritten.unwrap_err().seq, 41);
        let gone = check_against(&[claims], |_| None).unwrap_err();
        assert!(gone.why.contains("deleted"), "{}", gone.why);
    }
}
