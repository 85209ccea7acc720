//! A partner's lifecycle: `applied → in_review → sandbox → production`, with `suspended` (the
//! kill switch) and `offboarded` (the end). Only the transitions below are allowed. The stages
//! themselves are the shared vocabulary's (`entente_types::stage`).

pub use entente_types::stage::Stage;

/// Whether a partner may move `from` → `to` by an ordinary stage change. Suspension and
/// reactivation have their own verbs (they revoke, record a reason, restore the stage before);
/// `resume` is the stage a suspended partner returns to.
pub fn check_transition(from: Stage, to: Stage) -> Result<(), String> {
    use Stage::*;
    let ok = matches!(
        (from, to),
        (Applied, InReview)
            | (InReview, Applied)
            | (InReview, Sandbox)
            | (Sandbox, Production)
            | (Production, Sandbox)
            | (
                Applied | InReview | Sandbox | Production | Suspended,
                Offboarded
            )
    );
    if ok {
        Ok(())
    } else if to == Suspended || from == Suspended {
        Err("use suspend and reactivate to enter or leave the suspended stage".into())
    } else {
        Err(format!(
            "a partner cannot move from {} to {}",
            from.as_str(),
            to.as_str()
        ))
    }
}

/// Suspension is possible from any stage but `offboarded` (and not twice).
pub fn check_suspend(from: Stage) -> Result<(), String> {
    match from {
        Stage::Suspended => Err("the partner is already suspended".into()),
        Stage::Offboarded => Err("an offboarded partner cannot be suspended".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_lifecycle_transitions_are_allowed() {
        use Stage::*;
        for (from, to) in [
            (Applied, InReview),
            (InReview, Sandbox),
            (Sandbox, Production),
            (Production, Offboarded),
            (Suspended, Offboarded),
        ] {
            assert!(check_transition(from, to).is_ok(), "{from:?} → {to:?}");
        }
        for (from, to) in [
            (Applied, Production),
            (Applied, Sandbox),
            (Offboarded, Sandbox),
            (Production, Suspended),
            (Suspended, Production),
            (Sandbox, Applied),
        ] {
            assert!(check_transition(from, to).is_err(), "{from:?} → {to:?}");
        }
        assert!(check_suspend(Production).is_ok());
        assert!(check_suspend(Suspended).is_err());
        assert!(check_suspend(Offboarded).is_err());
        assert!(Sandbox.holds_tokens() && Production.holds_tokens());
        assert!(!Suspended.holds_tokens() && !Applied.holds_tokens() && !Offboarded.holds_tokens());
        assert_eq!("in_review".parse::<Stage>().unwrap(), InReview);
        assert!("live".parse::<Stage>().is_err());
    }
}
