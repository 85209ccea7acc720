//! How an audit event reads on a page: one line saying what changed, the before/after diff of
//! its fields, and the address of the object it is about.

use serde_json::Value;

type Fields = serde_json::Map<String, Value>;

fn text(v: &Value) -> String {
    match v {
        Value::Null => "(none)".to_owned(),
        Value::String(s) if s.is_empty() => "(none)".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An object's fields; nothing (`null`, a creation's "before") is an object without any.
fn fields(v: &Value) -> Option<Fields> {
    match v {
        Value::Object(m) => Some(m.clone()),
        Value::Null => Some(Fields::new()),
        _ => None,
    }
}

/// (before, after) when the details carry both as objects (or nothing).
fn before_after(v: &Value) -> Option<(Fields, Fields)> {
    let (b, a) = (fields(v.get("before")?)?, fields(v.get("after")?)?);
    (!b.is_empty() || !a.is_empty()).then_some((b, a))
}

/// The fields beside before and after (a reason, the caller's request id), never the partner
/// (the row shows it).
fn rest(m: &Fields) -> impl Iterator<Item = (&String, &Value)> {
    m.iter()
        .filter(|(k, _)| !["before", "after", "partner"].contains(&k.as_str()))
}

/// The details in one line: `key before → after` for each field that changed (or `before →
/// after` for a stage or a state), then the other fields as `key value`.
pub fn change_line(details: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(details) else {
        return details.to_owned();
    };
    let Some(m) = v.as_object() else {
        return text(&v);
    };
    let mut parts: Vec<String> = vec![];
    if let Some((before, after)) = before_after(&v) {
        for (k, a) in after.iter().filter(|(k, a)| before.get(*k) != Some(*a)) {
            let b = before.get(k).map(text).unwrap_or_else(|| "(none)".into());
            parts.push(format!("{k} {b} → {}", text(a)));
        }
        for k in before.keys().filter(|k| !after.contains_key(*k)) {
            parts.push(format!("{k} removed"));
        }
    } else if let (Some(b), Some(a)) = (m.get("before"), m.get("after")) {
        parts.push(format!("{} → {}", text(b), text(a)));
    }
    parts.extend(rest(m).map(|(k, v)| format!("{k} {}", text(v))));
    parts.join("; ")
}

/// The expanded view: `-`/`+` lines for what changed, then ` key: value` for the other fields.
pub fn diff_lines(details: &str) -> Vec<(char, String)> {
    let Ok(v) = serde_json::from_str::<Value>(details) else {
        return vec![(' ', details.to_owned())];
    };
    let Some(m) = v.as_object() else {
        return vec![(' ', text(&v))];
    };
    let mut out = vec![];
    if let Some((before, after)) = before_after(&v) {
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let (b, a) = (before.get(k), after.get(k));
            if b == a {
                continue;
            }
            if let Some(b) = b {
                out.push(('-', format!("{k}: {}", text(b))));
            }
            if let Some(a) = a {
                out.push(('+', format!("{k}: {}", text(a))));
            }
        }
    } else if let (Some(b), Some(a)) = (m.get("before"), m.get("after")) {
        out.push(('-', text(b)));
        out.push(('+', text(a)));
    }
    out.extend(rest(m).map(|(k, v)| (' ', format!("{k}: {}", text(v)))));
    out
}

/// The console page of the object an event is about, when it has one.
pub fn object_link(target: &str, partner: Option<&str>) -> Option<String> {
    let (kind, id) = target.split_once(':')?;
    Some(match (kind, partner) {
        ("partner", _) => format!("/partners/{id}"),
        ("client", Some(p)) => format!("/partners/{p}/clients/{id}"),
        ("issuer" | "trust_rule", Some(p)) => format!("/partners/{p}/trust"),
        ("grant" | "grants", Some(p)) => format!("/partners/{p}?tab=grants"),
        ("invite", Some(p)) => format!("/partners/{p}?tab=users"),
        // The request itself, however old, with a way back to the partner's others.
        ("change_request", Some(p)) => {
            format!("/changes?show=all&partner={p}&request={id}#request-{id}")
        }
        ("change_request", None) => format!("/changes?show=all&request={id}#request-{id}"),
        ("audience" | "scope", _) => "/audiences".to_owned(),
        ("key", _) => "/keys".to_owned(),
        ("rate_tier", _) => "/rate-limits".to_owned(),
        ("admin", _) => "/users".to_owned(),
        (_, Some(p)) => format!("/partners/{p}"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_as_one_line_and_as_a_diff() {
        let d = r#"{"before":{"scopes":"a","name":"x"},"after":{"scopes":"a b","name":"x"}}"#;
        assert_eq!(change_line(d), "scopes a → a b");
        assert_eq!(
            diff_lines(d),
            vec![
                ('-', "scopes: a".to_owned()),
                ('+', "scopes: a b".to_owned())
            ]
        );
        assert_eq!(
            diff_lines(r#"{"reason":"leak"}"#),
            vec![(' ', "reason: leak".to_owned())]
        );
        assert_eq!(change_line("not json"), "not json");
        let stage = r#"{"before":"production","after":"suspended","reason":"leak"}"#;
        assert_eq!(change_line(stage), "production → suspended; reason leak");
        assert_eq!(
            diff_lines(stage),
            vec![
                ('-', "production".to_owned()),
                ('+', "suspended".to_owned()),
                (' ', "reason: leak".to_owned())
            ]
        );
    }

    #[test]
    fn events_link_to_their_object() {
        assert_eq!(
            object_link("client:c1", Some("acme")).as_deref(),
            Some("/partners/acme/clients/c1")
        );
        assert_eq!(
            object_link("change_request:7", Some("acme")).as_deref(),
            Some("/changes?show=all&partner=acme&request=7#request-7")
        );
        assert_eq!(
            object_link("change_request:7", None).as_deref(),
            Some("/changes?show=all&request=7#request-7")
        );
        assert_eq!(
            object_link("partner:acme", Some("acme")).as_deref(),
            Some("/partners/acme")
        );
        assert_eq!(object_link("token:abc", None), None);
    }
}
