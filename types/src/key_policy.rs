//! The signing-key rotation policy's bounds: one rule for the domain, which refuses a policy
//! outside them, and the console's form, which names the field as it is typed.

/// How long resource servers may cache the JWKS (`Cache-Control: max-age` on it): a successor
/// key must be published at least this long before it signs.
pub const JWKS_MAX_AGE: i64 = 300;
/// Clock skew allowed on top of the longest token lifetime before a retiring key disappears.
pub const RETIREMENT_SKEW: i64 = 60;

/// The field a refused policy is refused for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyField {
    RotationPeriod,
    PublishLead,
    RetirementGrace,
}

/// The pre-publication window (seconds): at least the JWKS cache lifetime, at most 7 days.
pub fn check_publish_lead(publish_lead: i64) -> Result<(), String> {
    if (JWKS_MAX_AGE..=7 * 86_400).contains(&publish_lead) {
        return Ok(());
    }
    Err(format!(
        "the pre-publication window must be between {JWKS_MAX_AGE} seconds (the JWKS cache lifetime) and 7 days"
    ))
}

/// The rotation period (seconds): 1 hour to 366 days, and longer than the pre-publication
/// window (else a key would be replaced before its successor may sign).
pub fn check_rotation_period(rotation_interval: i64, publish_lead: i64) -> Result<(), String> {
    if (3600..=366 * 86_400).contains(&rotation_interval) && rotation_interval > publish_lead {
        return Ok(());
    }
    Err(
        "the rotation period must be between 1 hour and 366 days, and longer than the pre-publication window"
            .into(),
    )
}

/// The retirement grace (seconds): every token a retiring key signed must still verify, so at
/// least the longest token lifetime plus skew; at most 30 days.
pub fn check_retirement_grace(
    retirement_grace: i64,
    longest_token_lifetime: i64,
) -> Result<(), String> {
    let floor = longest_token_lifetime + RETIREMENT_SKEW;
    if (floor..=30 * 86_400).contains(&retirement_grace) {
        return Ok(());
    }
    Err(format!(
        "the retirement grace must be at least {floor} seconds (the longest token lifetime, {longest_token_lifetime} s, plus {RETIREMENT_SKEW} s) and at most 30 days"
    ))
}

/// The whole policy, the first field out of bounds named.
pub fn check_policy(
    rotation_interval: i64,
    publish_lead: i64,
    retirement_grace: i64,
    longest_token_lifetime: i64,
) -> Result<(), (PolicyField, String)> {
    check_publish_lead(publish_lead).map_err(|e| (PolicyField::PublishLead, e))?;
    check_rotation_period(rotation_interval, publish_lead)
        .map_err(|e| (PolicyField::RotationPeriod, e))?;
    check_retirement_grace(retirement_grace, longest_token_lifetime)
        .map_err(|e| (PolicyField::RetirementGrace, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_names_its_field() {
        let day = 86_400;
        assert_eq!(check_policy(30 * day, 600, 2 * day, 3600), Ok(()));
        assert_eq!(
            check_policy(30 * day, 299, 2 * day, 3600).unwrap_err().0,
            PolicyField::PublishLead
        );
        assert_eq!(
            check_policy(30 * day, 8 * day, 2 * day, 3600)
                .unwrap_err()
                .0,
            PolicyField::PublishLead
        );
        assert_eq!(
            check_policy(3599, 300, 2 * day, 3600).unwrap_err().0,
            PolicyField::RotationPeriod
        );
        assert_eq!(
            check_policy(367 * day, 300, 2 * day, 3600).unwrap_err().0,
            PolicyField::RotationPeriod
        );
        // Not longer than the window it must outlast.
        assert_eq!(
            check_policy(7200, 7200, 2 * day, 3600).unwrap_err().0,
            PolicyField::RotationPeriod
        );
        assert_eq!(
            check_policy(30 * day, 600, 3659, 3600).unwrap_err().0,
            PolicyField::RetirementGrace
        );
        assert_eq!(check_policy(30 * day, 600, 3660, 3600), Ok(()));
        assert_eq!(
            check_policy(30 * day, 600, 31 * day, 3600).unwrap_err().0,
            PolicyField::RetirementGrace
        );
    }
}
