package check

import (
	"flag"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// fakeT stands in for *testing.T in RunSpecs: the suite below has a
// failing spec on purpose.
type fakeT struct {
	mu     sync.Mutex
	failed bool
}

func (f *fakeT) Fail() { f.mu.Lock(); f.failed = true; f.mu.Unlock() }

var itOnce sync.Once

// TestIt registers checks as ginkgo specs and runs them. Its steps are in
// one test because ginkgo's suite is global to the process: every check.It
// call must come before the one RunSpecs.
func TestIt(t *testing.T) {
	ran := false
	itOnce.Do(func() { ran = true })
	if !ran {
		t.Skip("ginkgo runs its suite once per process (-count > 1)")
	}

	t.Run("unknown ID", func(t *testing.T) {
		before := len(RegistrationErrors())
		if !It("NO-SUCH-CHECK", func(c *C) { c.Pass("never") }) {
			t.Errorf("It returned false")
		}
		errs := RegistrationErrors()
		if len(errs) != before+1 || errs[before] != `check.It("NO-SUCH-CHECK"): no such ID in the catalogue` {
			t.Errorf("RegistrationErrors() = %q, want the unknown ID named", errs)
		}
		if slices.Contains(Registered(), "NO-SUCH-CHECK") {
			t.Errorf("Registered() holds the unknown ID")
		}
	})

	t.Run("registered twice", func(t *testing.T) {
		before := len(RegistrationErrors())
		It("TLS-CERTIFICATE-VALID", func(c *C) { c.Pass("the certificate chains to a trusted root") })
		if n := len(RegistrationErrors()); n != before {
			t.Fatalf("the first registration gave errors %q", RegistrationErrors()[before:])
		}
		if !slices.Contains(Registered(), "TLS-CERTIFICATE-VALID") {
			t.Errorf("Registered() = %v, want TLS-CERTIFICATE-VALID", Registered())
		}
		It("TLS-CERTIFICATE-VALID", func(c *C) { c.Fail("", "the second body must never run") })
		errs := RegistrationErrors()
		if len(errs) != before+1 || errs[before] != `check.It("TLS-CERTIFICATE-VALID"): registered twice` {
			t.Errorf("RegistrationErrors() = %q, want the duplicate named", errs)
		}
	})

	t.Run("specs", func(t *testing.T) {
		if f := flag.Lookup("test.count"); f != nil && f.Value.String() != "1" {
			t.Skip("ginkgo's RunSpecs allows only -count=1")
		}
		It("TLS-MODERN-VERSIONS", func(c *C) { c.Fail("RFC 8996", "TLS 1.0 handshake succeeded") })
		It("TLS-HTTPS-ENFORCED", func(c *C) { c.Skipf("the target is served over http only") })
		It("JWTAT-TYP", func(c *C) { c.Warn("RFC 9068 §2.1", "typ is JWT"); c.Pass("signed") }, ginkgo.Label("extra"))
		if !slices.IsSorted(Registered()) {
			t.Errorf("Registered() = %v is not sorted", Registered())
		}
		SetEnv(testEnv(t, BCP))
		defer SetEnv(nil)

		var report types.Report
		ginkgo.ReportAfterSuite("capture", func(r ginkgo.Report) { report = r })
		suiteCfg, reporterCfg := ginkgo.GinkgoConfiguration()
		suiteCfg.LabelFilter = ""
		suiteCfg.FocusStrings, suiteCfg.SkipStrings = nil, nil
		reporterCfg.Succinct, reporterCfg.NoColor = true, true
		ft := &fakeT{}
		ok := ginkgo.RunSpecs(ft, "check.It", suiteCfg, reporterCfg)
		if ok || !ft.failed {
			t.Errorf("RunSpecs = %v (failed %v), want a failed suite: TLS-MODERN-VERSIONS fails", ok, ft.failed)
		}

		byID := map[string]types.SpecReport{}
		for _, s := range report.SpecReports {
			if s.LeafNodeType == types.NodeTypeIt {
				byID[strings.SplitN(s.LeafNodeText, ":", 2)[0]] = s
			}
		}
		tests := []struct {
			id      string
			state   types.SpecState
			verdict Verdict
			message string // in the failure or skip message
		}{
			{"TLS-CERTIFICATE-VALID", types.SpecStatePassed, Pass, ""},
			{"TLS-MODERN-VERSIONS", types.SpecStateFailed, Fail, "FAIL (RFC 8996): TLS 1.0 handshake succeeded"},
			{"TLS-HTTPS-ENFORCED", types.SpecStateSkipped, Skip, "SKIP: the target is served over http only"},
			{"JWTAT-TYP", types.SpecStatePassed, Warn, ""},
		}
		for _, tt := range tests {
			s, found := byID[tt.id]
			if !found {
				t.Errorf("%s: no spec in the report", tt.id)
				continue
			}
			chk, _ := catalogue.Lookup(tt.id)
			if s.LeafNodeText != chk.ID+": "+chk.Requirement {
				t.Errorf("%s: spec text %q, want the ID and the requirement", tt.id, s.LeafNodeText)
			}
			if s.State != tt.state {
				t.Errorf("%s: state %s, want %s (%s)", tt.id, s.State, tt.state, s.Failure.Message)
			}
			if tt.message != "" && !strings.Contains(s.Failure.Message, tt.message) {
				t.Errorf("%s: message %q does not say %q", tt.id, s.Failure.Message, tt.message)
			}
			for _, l := range chk.Labels() {
				if !slices.Contains(s.LeafNodeLabels, l) {
					t.Errorf("%s: labels %v lack %s", tt.id, s.LeafNodeLabels, l)
				}
			}
			var entry *catalogue.VerdictEntry
			for _, e := range s.ReportEntries {
				if e.Name == catalogue.EntryVerdict {
					if v, ok := e.GetRawValue().(catalogue.VerdictEntry); ok {
						entry = &v
					}
				}
			}
			if entry == nil || entry.ID != tt.id || entry.Verdict != tt.verdict || !slices.Equal(entry.Refs, chk.Refs) {
				t.Errorf("%s: verdict entry %+v, want %s with the check's refs", tt.id, entry, tt.verdict)
			}
		}
		if s := byID["JWTAT-TYP"]; !slices.Contains(s.LeafNodeLabels, "extra") {
			t.Errorf("JWTAT-TYP: labels %v lack the decorator's label", s.LeafNodeLabels)
		}
	})
}
