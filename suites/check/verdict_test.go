package check

import (
	"testing"
)

func TestVerdictOf(t *testing.T) {
	f := func(vs ...Verdict) []Finding {
		var out []Finding
		for _, v := range vs {
			out = append(out, Finding{Verdict: v, Message: string(v)})
		}
		return out
	}
	tests := []struct {
		name     string
		findings []Finding
		want     Verdict
		reason   string
	}{
		{"nothing", nil, Error, "a check that found nothing is a harness defect"},
		{"pass", f(Pass), Pass, ""},
		{"info only", f(Info, Info), Info, "INFO only when nothing else was found"},
		{"pass and info", f(Info, Pass, Info), Pass, "an observation does not hide a PASS"},
		{"skip and pass", f(Pass, Skip), Skip, "SKIP outranks PASS"},
		{"skip and info", f(Info, Skip), Skip, ""},
		{"warn", f(Pass, Warn, Info), Warn, "a broken SHOULD outranks PASS"},
		{"warn and skip", f(Skip, Warn), Warn, "WARN outranks SKIP"},
		{"fail last", f(Pass, Warn, Skip, Info, Fail), Fail, "FAIL outranks everything"},
		{"fail first", f(Fail, Pass), Fail, ""},
		{"unknown verdict", []Finding{{Verdict: "MAYBE"}}, Error, "a finding with no known verdict is a harness defect"},
		{"error and warn", f(Warn, Error, Pass), Error, "a check that could not finish gives no WARN of its own"},
		{"fail and error", f(Error, Fail), Fail, "a FAIL the exchange showed stands"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verdictOf(tt.findings); got != tt.want {
				t.Errorf("verdictOf(%v) = %s, want %s (%s)", tt.findings, got, tt.want, tt.reason)
			}
		})
	}
}

func TestFindingString(t *testing.T) {
	fs := Findings{
		{Verdict: Fail, Ref: "RFC 6749 §4.1.2", Message: "the code was accepted twice"},
		{Verdict: Info, Message: "tokens are JWTs"},
	}
	want := "FAIL (RFC 6749 §4.1.2): the code was accepted twice\nINFO: tokens are JWTs"
	if got := fs.String(); got != want {
		t.Errorf("Findings.String() = %q, want %q", got, want)
	}
}
