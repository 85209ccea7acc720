//! Which partners `/metrics` names: the first `ENTENTE_METRICS_PARTNER_LABELS` partners that get
//! a token keep their slug as the `partner` label, later ones are counted as `other`, so a large
//! federation cannot blow up Prometheus' series count. Per-partner figures of every partner are
//! in the usage API.

use std::collections::HashSet;
use std::sync::RwLock;

pub const OTHER: &str = "other";

pub struct PartnerLabels {
    cap: usize,
    named: RwLock<HashSet<String>>,
}

impl PartnerLabels {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            named: RwLock::default(),
        }
    }

    /// The label for this partner.
    pub fn label(&self, slug: &str) -> String {
        let (known, full) = match self.named.read() {
            Ok(g) => (g.contains(slug), g.len() >= self.cap),
            Err(p) => {
                let g = p.into_inner();
                (g.contains(slug), g.len() >= self.cap)
            }
        };
        if known {
            return slug.to_owned();
        }
        // Past the cap, nothing is written: no exclusive lock on the token path.
        if full {
            return OTHER.to_owned();
        }
        let mut named = match self.named.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if named.len() < self.cap {
            named.insert(slug.to_owned());
            slug.to_owned()
        } else {
            OTHER.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partners_past_the_cap_are_other() {
        let l = PartnerLabels::new(2);
        assert_eq!(l.label("a"), "a");
        assert_eq!(l.label("b"), "b");
        assert_eq!(l.label("c"), OTHER);
        assert_eq!(l.label("a"), "a");
        let none = PartnerLabels::new(0);
        assert_eq!(none.label("a"), OTHER);
    }
}
