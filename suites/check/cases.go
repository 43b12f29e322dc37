package check

import (
	"fmt"
	"slices"
	"time"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

// RefCase is a run of a check against the bundled reference server with
// one weakness or one quirk switched on, and the verdicts the check must
// then give. It is declared beside the check, in its check.It call, and
// each suite's own test runs it:
//
//	check.It("AUTHCODE-CODE-REUSE", body, check.Control("code-reuse", check.Fail))
type RefCase struct {
	// Weakness names a protection of the reference switched off: a
	// negative control, under which the check must FAIL or WARN.
	Weakness string
	// Quirk names behaviour the RFCs allow, switched on: under it the
	// check must not FAIL.
	Quirk string
	// Want are the verdicts the check may give.
	Want []Verdict
	// Ref shapes the reference server beyond the weakness or quirk.
	Ref RefOptions
}

// RefOptions shape the reference server of a RefCase: what the case needs
// besides its weakness or quirk, such as a lifetime short enough to wait
// out. Zero values keep the suite's reference as it is.
type RefOptions struct {
	// Implicit switches the implicit grant on.
	Implicit bool
	// CodeTTL, DeviceTTL and RefreshTTL set the lifetimes of codes,
	// device codes and refresh tokens.
	CodeTTL, DeviceTTL, RefreshTTL time.Duration
	// TLS serves the reference over https, with a CA made at start that
	// the config names; Insecure makes the harness's client skip the
	// certificate's verification (for a certificate that does not
	// verify: the check under test still verifies it).
	TLS, Insecure bool
}

// Control declares a negative control: under the weakness, the check must
// end with one of the verdicts, FAIL or WARN.
func Control(weakness string, want ...Verdict) RefCase {
	return RefCase{Weakness: weakness, Want: want}
}

// Quirk declares a compliant quirk: under it, the check must end with one
// of the verdicts, none of them FAIL.
func Quirk(quirk string, want ...Verdict) RefCase {
	return RefCase{Quirk: quirk, Want: want}
}

// With returns the case with the reference shaped by o.
func (rc RefCase) With(o RefOptions) RefCase {
	rc.Ref = o
	return rc
}

// Name is the weakness or quirk of the case, as the reference names it.
func (rc RefCase) Name() string {
	if rc.Quirk != "" {
		return "quirk " + rc.Quirk
	}
	return "weakness " + rc.Weakness
}

// valid tells what is wrong with a declaration for the check chk, or "".
// A negative control wants FAIL or WARN; for a check that the catalogue
// grades with neither (an advisory one, such as a usability
// recommendation), it wants the INFO that reports the deviation.
func (rc RefCase) valid(chk *catalogue.Check) string {
	shows := []Verdict{Fail, Warn}
	if !slices.ContainsFunc(chk.Grades, func(g catalogue.Grade) bool { return g.Verdict == Fail || g.Verdict == Warn }) {
		shows = []Verdict{Info}
	}
	switch {
	case (rc.Weakness == "") == (rc.Quirk == ""):
		return "names neither or both a weakness and a quirk"
	case len(rc.Want) == 0:
		return "wants no verdict"
	case rc.Weakness != "" && slices.ContainsFunc(rc.Want, func(v Verdict) bool { return !slices.Contains(shows, v) }):
		return fmt.Sprintf("is a negative control that accepts %v: it must give %v", rc.Want, shows)
	case rc.Quirk != "" && (slices.Contains(rc.Want, Fail) || slices.Contains(rc.Want, Error)):
		return fmt.Sprintf("is a quirk that accepts %v: a compliant server must not FAIL", rc.Want)
	}
	return ""
}

var cases = map[string][]RefCase{}

// Cases returns the reference cases declared for a check.
func Cases(id string) []RefCase { return append([]RefCase(nil), cases[id]...) }
