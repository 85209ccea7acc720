//! Shape rules for what people type: partner slugs, audience identifiers, display names,
//! rate-limit tier names and the bounds of a rate. The server judges with these; the console
//! runs the same code in the browser for inline feedback while typing.

/// 2–63 characters of a–z, 0–9 and '-', starting with a letter.
pub fn check_slug(slug: &str) -> Result<(), String> {
    let ok = (2..=63).contains(&slug.len())
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err("slug must be 2–63 characters of a–z, 0–9 and '-', starting with a letter".into())
    }
}

/// An audience identifier is an absolute URI (RFC 8707 §2): https://, http:// or urn:, no fragment.
pub fn check_audience_identifier(id: &str) -> Result<(), String> {
    let scheme_ok = ["https://", "http://", "urn:"]
        .iter()
        .any(|p| id.starts_with(p) && id.len() > p.len());
    let ok = scheme_ok
        && id.len() <= 512
        && !id.contains('#')
        && id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err("audience identifier must be an absolute URI (https://…, http://… or urn:…) without a fragment".into())
    }
}

/// 1–200 printable characters, trimmed.
pub fn check_display_name(name: &str) -> Result<(), String> {
    let t = name.trim();
    if !t.is_empty() && t.chars().count() <= 200 && !t.chars().any(char::is_control) {
        Ok(())
    } else {
        Err("name must be 1–200 characters without control characters".into())
    }
}

/// A tier name: 2–40 characters of a–z, 0–9 and '-', starting with a letter.
pub fn check_tier_name(name: &str) -> Result<(), String> {
    let ok = (2..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err("a tier name is 2–40 characters of a–z, 0–9 and '-', starting with a letter".into())
    }
}

/// A list of scopes as typed: space-separated `scope-token`s (RFC 6749 §3.3: printable ASCII
/// but space, `"` and `\\`). Commas are refused too, though §3.3 allows them: `a, b` is
/// always a list typed the wrong way, and would make a scope `a,` nobody asked for.
pub fn check_scope_list(typed: &str) -> Result<(), String> {
    if typed.contains(',') {
        return Err("separate scopes with spaces, not commas".into());
    }
    // Spaces only, as RFC 6749 §3.3 and the server's parser: a tab or a no-break space is a
    // character that is not allowed, not a separator.
    let tokens = || typed.split(' ').filter(|t| !t.is_empty());
    for token in tokens() {
        if let Some(c) = token
            .chars()
            .find(|&c| !matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}'))
        {
            return Err(format!(
                "{token:?}: a scope is printable ASCII without quotes or backslashes ({c:?} is not allowed)"
            ));
        }
    }
    if tokens().next().is_none() {
        return Err("give at least one scope".into());
    }
    Ok(())
}

/// Claims the issued token owns; a trust rule can never copy a partner value over them.
pub const RESERVED_CLAIMS: [&str; 17] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "client_id",
    "scope",
    "act",
    "may_act",
    "partner",
    "lineage",
    "cnf",
    "typ",
    "azp",
    "trust_rule",
];

/// A trust rule's claims passed through, `email groups=partner_groups` (rename with
/// `from=to`): names of 1–64 of `A–Z a–z 0–9 _ - . :`, none that Entente sets itself.
pub fn check_claim_list(raw: &str) -> Result<(), String> {
    for item in raw.split_whitespace() {
        let (from, to) = item.split_once('=').unwrap_or((item, item));
        for n in [from, to] {
            if n.is_empty()
                || n.len() > 64
                || !n
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
            {
                return Err(format!("claim name {n:?} is not valid"));
            }
        }
        if RESERVED_CLAIMS.contains(&to) {
            return Err(format!(
                "claim {to:?} is set by Entente and cannot be passed through"
            ));
        }
    }
    Ok(())
}

/// A trust rule's claim values that unlock scopes: `claim:value=scope` items, space-separated.
pub fn check_mapping_list(raw: &str) -> Result<(), String> {
    for item in raw.split_whitespace() {
        let shape = || format!("mapping {item:?} must look like claim:value=scope");
        let (cond, scope) = item.split_once('=').ok_or_else(shape)?;
        let (claim, value) = cond.split_once(':').ok_or_else(shape)?;
        if claim.is_empty() || value.is_empty() || scope.is_empty() {
            return Err(shape());
        }
        check_scope_list(scope)?;
    }
    Ok(())
}

/// The seconds a trust rule's tokens may live, when the rule sets it.
pub const RULE_LIFETIME: std::ops::RangeInclusive<i64> = 30..=86_400;
/// What is said of a lifetime outside `RULE_LIFETIME`.
pub const RULE_LIFETIME_WRONG: &str = "token lifetime must be between 30 seconds and 24 hours";

/// A trust rule's token lifetime as typed: blank (the audience's) or within `RULE_LIFETIME`.
pub fn check_rule_lifetime(raw: &str) -> Result<Option<i64>, String> {
    match raw.trim() {
        "" => Ok(None),
        t => match t.parse::<i64>() {
            Ok(l) if RULE_LIFETIME.contains(&l) => Ok(Some(l)),
            Ok(_) => Err(RULE_LIFETIME_WRONG.into()),
            Err(_) => {
                Err("the token lifetime is a number of seconds, or blank for the audience's".into())
            }
        },
    }
}

/// Highest sustained rate a tier or override may set (per second).
pub const MAX_PER_SECOND: i64 = 1_000_000;
/// Largest burst a tier or override may set.
pub const MAX_BURST: i64 = 10_000_000;

/// An e-mail address as people are known here: at most 254 bytes (RFC 5321), a local part, an
/// `@` and a domain with a dot, no spaces. `email` as typed, trimmed and lower-cased.
pub fn check_email(email: &str) -> Result<(), String> {
    let ok = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !email.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err("enter a valid e-mail address".into())
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn trust_rule_fields_as_typed() {
        assert!(check_claim_list("email groups=partner_groups").is_ok());
        assert!(
            check_claim_list("email=sub")
                .unwrap_err()
                .contains("set by Entente")
        );
        assert!(check_claim_list("bad!name").is_err());
        assert!(check_mapping_list("groups:admins=orders:write").is_ok());
        assert!(
            check_mapping_list("groups=orders:write")
                .unwrap_err()
                .contains("claim:value=scope")
        );
        assert!(check_mapping_list("g:a=orders,write").is_err());
        assert_eq!(check_rule_lifetime(" "), Ok(None));
        assert_eq!(check_rule_lifetime("120"), Ok(Some(120)));
        assert!(
            check_rule_lifetime("5")
                .unwrap_err()
                .contains("between 30 seconds")
        );
        assert!(
            check_rule_lifetime("soon")
                .unwrap_err()
                .contains("number of seconds")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lists() {
        assert!(check_scope_list("orders:read orders:write").is_ok());
        assert!(check_scope_list("  a  b ").is_ok());
        let comma = check_scope_list("orders:read, orders:write").unwrap_err();
        assert!(comma.contains("commas"), "{comma}");
        assert!(check_scope_list("a\"b").unwrap_err().contains("quotes"));
        assert!(check_scope_list("a\\b").is_err());
        assert!(check_scope_list("café").is_err());
        assert!(check_scope_list("a\tb").is_err());
        assert!(check_scope_list("a\u{a0}b").is_err());
        assert!(
            check_scope_list("   ")
                .unwrap_err()
                .contains("at least one")
        );
    }

    #[test]
    fn emails() {
        for good in ["pat@acme.example", "a.b+c@sub.example.co"] {
            assert!(check_email(good).is_ok(), "{good}");
        }
        let long = format!("{}@example.test", "a".repeat(250));
        for bad in [
            "",
            "pat",
            "@acme.example",
            "pat@acme",
            "pat@.acme",
            "pat @acme.example",
            &long,
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs() {
        assert!(check_slug("acme").is_ok());
        assert!(check_slug("acme-2").is_ok());
        for bad in ["a", "Acme", "2acme", "ac me", "acme_", &"a".repeat(64)] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn audience_identifiers() {
        assert!(check_audience_identifier("https://api.example.test").is_ok());
        assert!(check_audience_identifier("urn:example:orders").is_ok());
        for bad in [
            "api.example.test",
            "https://",
            "https://a#b",
            "ftp://x",
            "https://a b",
        ] {
            assert!(check_audience_identifier(bad).is_err(), "{bad}");
        }
    }
}
