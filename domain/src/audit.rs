//! Reading times typed by people who filter the audit log.

/// The request header through which the server's request layer hands the request's trace id to
/// whoever writes its audit events (never taken from the caller).
pub const TRACE_ID_HEADER: &str = "x-entente-trace-id";

/// The request header through which the request layer hands on the caller's own `X-Request-Id`
/// (when sane), kept in audit details as `caller_request_id`, labelled as the caller's: never
/// the audit row's request id (an incoming header of this name is dropped).
pub const CALLER_REQUEST_ID_HEADER: &str = "x-entente-caller-request-id";

/// Seconds since the epoch for: Unix seconds (`1790000000`), a time ago (`15m`, `24h`, `7d`),
/// a date (`2026-11-26`, midnight UTC), a minute (`2026-11-26T10:00`, UTC, as a browser's
/// datetime field sends it) or RFC 3339 (`2026-11-26T10:00:00+01:00`).
pub fn parse_time(input: &str, now: i64) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let s = input.trim();
    let bad = || {
        format!(
            "{s:?} is not a time: use 2026-11-26, 2026-11-26T10:00, RFC 3339, Unix seconds or 15m/24h/7d"
        )
    };
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    if let Some(unit) = s.chars().last().filter(|c| "smhd".contains(*c))
        && let Ok(n) = s[..s.len() - 1].parse::<i64>()
    {
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => 86_400,
        };
        return n
            .checked_mul(scale)
            .and_then(|d| now.checked_sub(d))
            .filter(|_| n >= 0)
            .ok_or_else(bad);
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    if let Ok(t) = time::PrimitiveDateTime::parse(
        s,
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ) {
        return Ok(t.assume_utc().unix_timestamp());
    }
    if let Ok(d) = time::Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Ok(d.midnight().assume_utc().unix_timestamp());
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_people_type() {
        let now = 1_790_000_000;
        assert_eq!(parse_time("1700000000", now).unwrap(), 1_700_000_000);
        assert_eq!(parse_time("15m", now).unwrap(), now - 900);
        assert_eq!(parse_time("7d", now).unwrap(), now - 7 * 86_400);
        assert_eq!(parse_time("1970-01-02", now).unwrap(), 86_400);
        assert_eq!(parse_time("1970-01-01T01:00", now).unwrap(), 3600);
        assert_eq!(parse_time("1970-01-01T01:00:00+01:00", now).unwrap(), 0);
        for bad in ["yesterday", "", "-5d", "2026-13-01", "9999999999999999999d"] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
    }
}
