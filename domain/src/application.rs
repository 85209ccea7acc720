//! An organisation's application to become a partner, sent from the public form: what it must
//! hold, and the slug its partner gets.

use serde::{Deserialize, Serialize};

use crate::onboarding::{email, text};

/// What an applicant tells us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub organisation: String,
    /// The organisation's web site (`https://…`), optional.
    pub website: String,
    pub contact_name: String,
    pub contact_email: String,
    /// What they want to build with our APIs.
    pub use_case: String,
}

impl Application {
    /// Trims every field and lower-cases the e-mail address.
    pub fn normalised(self) -> Self {
        Self {
            organisation: self.organisation.trim().to_owned(),
            website: self.website.trim().to_owned(),
            contact_name: self.contact_name.trim().to_owned(),
            contact_email: self.contact_email.trim().to_ascii_lowercase(),
            use_case: self.use_case.trim().to_owned(),
        }
    }

    /// The first problem, as a sentence naming the field (fields as `normalised` leaves them).
    pub fn check(&self) -> Result<(), String> {
        if self.organisation.chars().count() < 2 {
            return Err("organisation: give your organisation's name".into());
        }
        text("organisation", &self.organisation, 200)?;
        if !self.website.is_empty() {
            let host = self.website.strip_prefix("https://").unwrap_or_default();
            if host.is_empty()
                || self.website.len() > 200
                || !self.website.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err("website: an https:// address, at most 200 characters".into());
            }
        }
        if self.contact_name.is_empty() {
            return Err("your name: tell us who you are".into());
        }
        text("your name", &self.contact_name, 200)?;
        if self.contact_email.is_empty() {
            return Err("e-mail: we need an address to reply to".into());
        }
        email("e-mail", &self.contact_email)?;
        let len = self.use_case.chars().count();
        if len < 20 {
            return Err(
                "what you want to build: a sentence or two (at least 20 characters)".into(),
            );
        }
        if len > 2000
            || self
                .use_case
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err("what you want to build: at most 2000 characters of text".into());
        }
        Ok(())
    }
}

/// A slug made from an organisation's name: lower-case ASCII letters and digits joined by
/// single dashes, starting with a letter, at most 40 characters ("partner" when nothing is
/// left). The store appends a number when it is taken.
pub fn slug_for(organisation: &str) -> String {
    let mut slug = String::new();
    for c in organisation.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || (c.is_ascii_digit() && !slug.is_empty()) {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.len() < 2 {
        "partner".into()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Application {
        Application {
            organisation: "Wonka Industries".into(),
            website: "https://wonka.example".into(),
            contact_name: "Charlie Bucket".into(),
            contact_email: "charlie@wonka.example".into(),
            use_case: "Our ordering app calls your orders API for our shops.".into(),
        }
    }

    #[test]
    fn a_complete_application_passes() {
        assert_eq!(good().check(), Ok(()));
        let no_site = Application {
            website: String::new(),
            ..good()
        };
        assert_eq!(no_site.check(), Ok(()));
    }

    #[test]
    fn each_field_is_checked_and_named() {
        let cases = [
            (
                Application {
                    organisation: "W".into(),
                    ..good()
                },
                "organisation",
            ),
            (
                Application {
                    website: "http://wonka.example".into(),
                    ..good()
                },
                "website",
            ),
            (
                Application {
                    website: "https://wonka example".into(),
                    ..good()
                },
                "website",
            ),
            (
                Application {
                    contact_name: String::new(),
                    ..good()
                },
                "your name",
            ),
            (
                Application {
                    contact_email: "charlie".into(),
                    ..good()
                },
                "e-mail",
            ),
            (
                Application {
                    use_case: "APIs".into(),
                    ..good()
                },
                "build",
            ),
            (
                Application {
                    use_case: "x".repeat(2001),
                    ..good()
                },
                "build",
            ),
            (
                Application {
                    organisation: "Wonka\u{0}".into(),
                    ..good()
                },
                "organisation",
            ),
        ];
        for (app, field) in cases {
            let e = app.check().expect_err(field);
            assert!(e.contains(field), "{e}");
        }
    }

    #[test]
    fn normalising_trims_and_lowercases_the_address() {
        let a = Application {
            contact_email: "  Charlie@Wonka.Example ".into(),
            organisation: " Wonka ".into(),
            ..good()
        }
        .normalised();
        assert_eq!(a.contact_email, "charlie@wonka.example");
        assert_eq!(a.organisation, "Wonka");
    }

    #[test]
    fn slugs_are_made_from_the_name() {
        assert_eq!(slug_for("Wonka Industries"), "wonka-industries");
        assert_eq!(slug_for("  ACME, Inc. "), "acme-inc");
        assert_eq!(slug_for("42 Bits"), "bits");
        assert_eq!(slug_for("Ünïcode Ltd"), "n-code-ltd");
        assert_eq!(slug_for("株式会社"), "partner");
        assert_eq!(slug_for(&"a".repeat(100)).len(), 40);
        for name in ["Wonka Industries", "x", "--", "A-b-C 9"] {
            assert!(crate::names::check_slug(&slug_for(name)).is_ok(), "{name}");
        }
    }
}

/// The network an application's source address counts under: an IPv4 address itself, an IPv6
/// address's /48 (what one site is typically given, so a single applicant cannot spread over
/// its own 2^80 addresses). `None` for something that is not an address.
pub fn source_network(source: &str) -> Option<String> {
    match source.trim().parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => Some(v4.to_string()),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(v4.to_string()),
            None => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
            }
        },
    }
}

#[cfg(test)]
mod network_tests {
    use super::source_network;

    #[test]
    fn ipv6_counts_per_48_and_ipv4_per_address() {
        assert_eq!(
            source_network("2001:db8:1:ffff::1"),
            source_network("2001:db8:1:0:abcd::9")
        );
        assert_ne!(
            source_network("2001:db8:1::1"),
            source_network("2001:db8:2::1")
        );
        assert_eq!(
            source_network("203.0.113.7").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            source_network("::ffff:203.0.113.7").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(source_network("not an address"), None);
    }
}
