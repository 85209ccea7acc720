//! The step-by-step account of a decision, returned by explain and logged on denial.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Pass,
    Fail,
    Info,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    pub step: &'static str,
    pub outcome: StepOutcome,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Trace(pub Vec<TraceStep>);

impl Trace {
    pub fn pass(&mut self, step: &'static str, detail: impl Into<String>) {
        self.push(step, StepOutcome::Pass, detail.into());
    }
    pub fn info(&mut self, step: &'static str, detail: impl Into<String>) {
        self.push(step, StepOutcome::Info, detail.into());
    }
    pub fn fail(&mut self, step: &'static str, detail: impl Into<String>) {
        self.push(step, StepOutcome::Fail, detail.into());
    }
    fn push(&mut self, step: &'static str, outcome: StepOutcome, detail: String) {
        self.0.push(TraceStep {
            step,
            outcome,
            detail,
        });
    }
    /// The detail of the failing step, if any.
    pub fn failure(&self) -> Option<&TraceStep> {
        self.0.iter().find(|s| s.outcome == StepOutcome::Fail)
    }
}
