//! Before → after, as an approver reads a change: what a partner holds as lines in groups (a
//! grant's audience, a rule's issuer and audience, a client), each line marked added, removed or
//! kept. The server makes the lines; the console and the CLI only render them.

use serde::{Deserialize, Serialize};

/// One thing a partner holds: `text` ("orders:read", "subject: pairwise") under `group`
/// ("grant on https://api.example.test").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub group: String,
    pub text: String,
}

impl Held {
    pub fn new(group: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            text: text.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Added,
    Removed,
    Kept,
}

impl Mark {
    /// The sign a diff shows in its margin.
    pub fn sign(self) -> &'static str {
        match self {
            Self::Added => "+",
            Self::Removed => "−",
            Self::Kept => " ",
        }
    }
}

/// One line of a change as its approver reads it: `text` under `group`, added, removed or kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffLine {
    pub mark: Mark,
    pub group: String,
    pub text: String,
}

/// Every line added or removed between `before` and `after`, with the kept lines of each group
/// that changed as context. A group that did not change is left out unless `show_unchanged`
/// says it matters (a promotion shows all the production access it turns on). Groups keep the
/// order in which they first appear (after, then before); lines within a group keep `after`'s
/// order with removed lines last.
pub fn diff(
    before: &[Held],
    after: &[Held],
    show_unchanged: impl Fn(&str) -> bool,
) -> Vec<DiffLine> {
    let mut groups: Vec<&str> = vec![];
    for h in after.iter().chain(before) {
        if !groups.contains(&h.group.as_str()) {
            groups.push(&h.group);
        }
    }
    let mut out = vec![];
    for g in groups {
        let was: Vec<&str> = texts(before, g);
        let is: Vec<&str> = texts(after, g);
        let mut lines: Vec<DiffLine> = is
            .iter()
            .map(|t| {
                line(
                    if was.contains(t) {
                        Mark::Kept
                    } else {
                        Mark::Added
                    },
                    g,
                    t,
                )
            })
            .collect();
        lines.extend(
            was.iter()
                .filter(|t| !is.contains(t))
                .map(|t| line(Mark::Removed, g, t)),
        );
        if lines.iter().any(|l| l.mark != Mark::Kept) || show_unchanged(g) {
            out.extend(lines);
        }
    }
    out
}

/// Whether the change changes anything at all.
pub fn changes_anything(lines: &[DiffLine]) -> bool {
    lines.iter().any(|l| l.mark != Mark::Kept)
}

/// The lines under their groups, in order: what the console and the CLI print.
pub fn grouped(lines: &[DiffLine]) -> Vec<(&str, Vec<&DiffLine>)> {
    let mut out: Vec<(&str, Vec<&DiffLine>)> = vec![];
    for l in lines {
        match out.last_mut() {
            Some((g, ls)) if *g == l.group => ls.push(l),
            _ => out.push((&l.group, vec![l])),
        }
    }
    out
}

/// The diff as plain text, a group per heading and a sign per line (the CLI's output).
pub fn as_text(lines: &[DiffLine]) -> String {
    grouped(lines)
        .into_iter()
        .map(|(g, ls)| {
            let body: Vec<String> = ls
                .iter()
                .map(|l| format!("  {} {}", l.mark.sign(), l.text))
                .collect();
            format!("{g}\n{}", body.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn texts<'a>(held: &'a [Held], group: &str) -> Vec<&'a str> {
    held.iter()
        .filter(|h| h.group == group)
        .map(|h| h.text.as_str())
        .collect()
}

fn line(mark: Mark, group: &str, text: &str) -> DiffLine {
    DiffLine {
        mark,
        group: group.to_owned(),
        text: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(lines: &[(&str, &str)]) -> Vec<Held> {
        lines.iter().map(|(g, t)| Held::new(*g, *t)).collect()
    }

    fn shown(d: &[DiffLine]) -> Vec<String> {
        d.iter()
            .map(|l| format!("{} {}: {}", l.mark.sign(), l.group, l.text))
            .collect()
    }

    #[test]
    fn a_widened_grant_shows_the_added_scope_beside_the_kept_ones_and_hides_untouched_groups() {
        let before = held(&[
            ("stage", "production"),
            ("grant on https://a", "orders:read"),
            ("grant on https://b", "x"),
        ]);
        let after = held(&[
            ("stage", "production"),
            ("grant on https://a", "orders:read"),
            ("grant on https://a", "orders:write"),
            ("grant on https://b", "x"),
        ]);
        assert_eq!(
            shown(&diff(&before, &after, |_| false)),
            [
                "  grant on https://a: orders:read",
                "+ grant on https://a: orders:write"
            ]
        );
    }

    #[test]
    fn removed_lines_and_whole_groups_are_marked_and_kept_groups_show_when_asked() {
        let before = held(&[
            ("stage", "sandbox"),
            ("rule r", "scope: a"),
            ("rule r", "subject: public"),
        ]);
        let after = held(&[("stage", "production"), ("grant on g", "s")]);
        assert_eq!(
            shown(&diff(&before, &after, |g| g == "grant on g")),
            [
                "+ stage: production",
                "− stage: sandbox",
                "+ grant on g: s",
                "− rule r: scope: a",
                "− rule r: subject: public",
            ]
        );
        let text = as_text(&diff(&before, &after, |_| false));
        assert_eq!(
            text,
            "stage\n  + production\n  − sandbox\n\
             grant on g\n  + s\n\
             rule r\n  − scope: a\n  − subject: public"
        );
        let same = diff(&after, &after, |g| g.starts_with("grant"));
        assert_eq!(shown(&same), ["  grant on g: s"]);
        assert!(!changes_anything(&same));
        assert!(changes_anything(&diff(&before, &after, |_| false)));
    }
}
