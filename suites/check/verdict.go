package check

import (
	"fmt"
	"strings"
)

// Verdict is the outcome of a check.
type Verdict string

// The verdicts (DESIGN.md, "A check").
const (
	Pass Verdict = "PASS" // the requirement holds
	Fail Verdict = "FAIL" // a MUST, MUST NOT or BCP-MUST is broken
	Warn Verdict = "WARN" // a SHOULD is broken, or a MUST that only a stricter profile demands
	Info Verdict = "INFO" // an observation
	Skip Verdict = "SKIP" // the target does not offer what the check needs
)

// Finding is one observation behind a verdict.
type Finding struct {
	Verdict Verdict `json:"verdict"`
	// Ref is the RFC section the finding is about.
	Ref     string `json:"ref,omitempty"`
	Message string `json:"message"`
}

func (f Finding) String() string {
	if f.Ref != "" {
		return fmt.Sprintf("%s (%s): %s", f.Verdict, f.Ref, f.Message)
	}
	return fmt.Sprintf("%s: %s", f.Verdict, f.Message)
}

// Findings is a list of findings, attached to the report as one entry.
type Findings []Finding

func (fs Findings) String() string {
	var lines []string
	for _, f := range fs {
		lines = append(lines, f.String())
	}
	return strings.Join(lines, "\n")
}

// verdictOf is the verdict of a list of findings: FAIL if any failed, else
// WARN if any warned, else SKIP, PASS, and INFO only when nothing else was
// found. A check that found nothing at all is a defect: FAIL.
func verdictOf(fs []Finding) Verdict {
	if len(fs) == 0 {
		return Fail
	}
	for _, v := range []Verdict{Fail, Warn, Skip, Pass, Info} {
		for _, f := range fs {
			if f.Verdict == v {
				return v
			}
		}
	}
	return Fail
}
