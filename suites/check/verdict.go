package check

import "github.com/oauthcheck/oauthcheck/suites/catalogue"

// Verdict is the outcome of a check; the catalogue defines the verdicts,
// their order and their severity.
type Verdict = catalogue.Verdict

// The verdicts, as the check bodies write them.
const (
	Pass  = catalogue.Pass  // the server was seen doing the right thing
	Fail  = catalogue.Fail  // the exchange shows that the server broke a rule
	Error = catalogue.Error // the harness could not reach a verdict
	Warn  = catalogue.Warn  // a SHOULD is broken, or a MUST of a stricter profile
	Info  = catalogue.Info  // an observation
	Skip  = catalogue.Skip  // the target does not offer what the check needs
)

// Finding is one observation behind a verdict.
type Finding = catalogue.Finding

// Findings is a list of findings, attached to the report as one entry.
type Findings = catalogue.Findings

// verdictOf is the verdict of a list of findings: the most severe one,
// where INFO findings count only when nothing else was found (an
// observation does not hide a PASS). A check that found nothing at all, or
// a finding with no known verdict, is a harness defect: ERROR.
func verdictOf(fs []Finding) Verdict {
	if len(fs) == 0 {
		return Error
	}
	out := Info
	for _, f := range fs {
		if _, err := catalogue.ParseVerdict(string(f.Verdict)); err != nil {
			return Error
		}
		if f.Verdict != Info && (out == Info || f.Verdict.Severity() > out.Severity()) {
			out = f.Verdict
		}
	}
	return out
}
