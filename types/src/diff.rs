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
/// order in which they first appear (after, then before); within a group a removed line stands
/// where it was, before what replaced it.
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
        let lines = merged(&was, &is, g);
        if lines.iter().any(|l| l.mark != Mark::Kept) || show_unchanged(g) {
            out.extend(lines);
        }
    }
    out
}

/// One group's lines in reading order, as a text diff shows them: a removed line stands where
/// it was, just before what replaced it ("− Sandbox" then "+ Production").
fn merged(was: &[&str], is: &[&str], group: &str) -> Vec<DiffLine> {
    let (mut i, mut j) = (0, 0);
    let mut out = vec![];
    while i < was.len() || j < is.len() {
        match (was.get(i), is.get(j)) {
            (Some(w), _) if !is.contains(w) => {
                out.push(line(Mark::Removed, group, w));
                i += 1;
            }
            (_, Some(n)) if !was.contains(n) => {
                out.push(line(Mark::Added, group, n));
                j += 1;
            }
            (Some(w), Some(n)) if w == n => {
                out.push(line(Mark::Kept, group, n));
                i += 1;
                j += 1;
            }
            // Kept on both sides but in another order: follow `after`, and skip the line
            // where `before` reaches it.
            (_, Some(n)) => {
                out.push(line(Mark::Kept, group, n));
                j += 1;
            }
            (Some(w), None) => {
                if !out.iter().any(|l| l.text == *w) {
                    out.push(line(Mark::Kept, group, w));
                }
                i += 1;
            }
            (None, None) => break,
        }
        // Lines of `before` already shown (kept, met earlier in `after`) are passed over.
        while was
            .get(i)
            .is_some_and(|w| is.contains(w) && out.iter().any(|l| l.text == *w))
        {
            i += 1;
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
    fn a_replaced_line_reads_as_removed_then_added_where_it_stood() {
        let r = |ts: &[&str]| ts.iter().map(|t| Held::new("rule", *t)).collect::<Vec<_>>();
        let before = r(&["scope a", "public subject", "enabled"]);
        let after = r(&["scope a", "scope b", "pairwise subject", "enabled"]);
        assert_eq!(
            shown(&diff(&before, &after, |_| false)),
            [
                "  rule: scope a",
                "− rule: public subject",
                "+ rule: scope b",
                "+ rule: pairwise subject",
                "  rule: enabled",
            ]
        );
        // Reordered lines are kept once each, in the new order.
        let moved = diff(&r(&["x", "y", "z"]), &r(&["y", "x"]), |_| false);
        assert_eq!(shown(&moved), ["  rule: y", "  rule: x", "− rule: z"]);
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
                "− stage: sandbox",
                "+ stage: production",
                "+ grant on g: s",
                "− rule r: scope: a",
                "− rule r: subject: public",
            ]
        );
        let text = as_text(&diff(&before, &after, |_| false));
        assert_eq!(
            text,
            "stage\n  − sandbox\n  + production\n\
             grant on g\n  + s\n\
             rule r\n  − scope: a\n  − subject: public"
        );
        let same = diff(&after, &after, |g| g.starts_with("grant"));
        assert_eq!(shown(&same), ["  grant on g: s"]);
        assert!(!changes_anything(&same));
        assert!(changes_anything(&diff(&before, &after, |_| false)));
    }
}
