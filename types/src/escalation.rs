//! A partner's escalation path as the record form edits it: steps in order, each a name, a
//! contact and hours. The console shows one row per step and checks each as it is typed; the
//! server reads the same text form (`name | contact | hours` per line) with the same rules.

/// Steps a path may have.
pub const MAX_STEPS: usize = 10;

/// One step as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub contact: String,
    pub hours: String,
}

impl Step {
    fn blank(&self) -> bool {
        [&self.name, &self.contact, &self.hours]
            .iter()
            .all(|f| f.trim().is_empty())
    }
}

/// What is wrong with one step, said beside it (nothing for a blank row: it is left out).
pub fn step_problem(s: &Step) -> Option<String> {
    if s.blank() {
        return None;
    }
    if [&s.name, &s.contact, &s.hours]
        .iter()
        .any(|f| f.contains('|'))
    {
        return Some("a step cannot contain “|”".into());
    }
    let missing: Vec<&str> = [
        ("name", &s.name),
        ("contact", &s.contact),
        ("hours", &s.hours),
    ]
    .into_iter()
    .filter(|(_, v)| v.trim().is_empty())
    .map(|(n, _)| n)
    .collect();
    (!missing.is_empty()).then(|| format!("add its {}, or remove the step", missing.join(" and ")))
}

/// The steps as the form sends them: one `name | contact | hours` line each, blank rows left out.
pub fn as_text(steps: &[Step]) -> String {
    steps
        .iter()
        .filter(|s| !s.blank())
        .map(|s| {
            format!(
                "{} | {} | {}",
                s.name.trim(),
                s.contact.trim(),
                s.hours.trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the text form back: one step per non-empty line, or which line is wrong.
pub fn parse(text: &str) -> Result<Vec<Step>, String> {
    let steps: Vec<Step> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(
            |(i, line)| match line.split('|').map(str::trim).collect::<Vec<_>>()[..] {
                [name, contact, hours] => Ok(Step {
                    name: name.into(),
                    contact: contact.into(),
                    hours: hours.into(),
                }),
                _ => Err(format!(
                    "escalation step {}: give a name, a contact and hours",
                    i + 1
                )),
            },
        )
        .collect::<Result<_, _>>()?;
    if steps.len() > MAX_STEPS {
        return Err(format!("the escalation path has at most {MAX_STEPS} steps"));
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(n: &str, c: &str, h: &str) -> Step {
        Step {
            name: n.into(),
            contact: c.into(),
            hours: h.into(),
        }
    }

    #[test]
    fn a_step_names_what_it_lacks_and_blank_rows_are_left_out() {
        assert_eq!(step_problem(&step("", "", " ")), None);
        assert_eq!(
            step_problem(&step("NOC", "", "")).as_deref(),
            Some("add its contact and hours, or remove the step")
        );
        assert!(step_problem(&step("N|OC", "x", "y")).is_some());
        assert_eq!(step_problem(&step("NOC", "+1 555", "24x7")), None);
        let steps = [
            step("NOC", "+1 555", "24x7"),
            step("", "", ""),
            step("CISO", "c@x", "office"),
        ];
        let text = as_text(&steps);
        assert_eq!(text, "NOC | +1 555 | 24x7\nCISO | c@x | office");
        assert_eq!(parse(&text).unwrap(), [steps[0].clone(), steps[2].clone()]);
        assert!(parse("just a name").unwrap_err().contains("step 1"));
        assert!(parse(&"a | b | c\n".repeat(11)).is_err());
    }
}
