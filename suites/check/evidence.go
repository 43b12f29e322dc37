package check

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/onsi/ginkgo/v2"
)

// Exchanges is the report entry of a check's HTTP exchanges.
type Exchanges []*evidence.Exchange

func (xs Exchanges) String() string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, x.String())
	}
	return strings.Join(parts, "\n")
}

// Steps is the report entry of a check's browser steps.
type Steps []evidence.Step

func (ss Steps) String() string {
	var lines []string
	for _, s := range ss {
		line := fmt.Sprintf("%s %s", s.Kind, s.URL)
		if s.Status != 0 {
			line += fmt.Sprintf(" -> %d", s.Status)
		}
		if s.Action != "" {
			line += " [" + s.Action + "]"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// Attach adds a result to the current spec's report entries.
func Attach(res *Result) {
	chk, _ := catalogue.Lookup(res.ID)
	var refs []string
	if chk != nil {
		refs = chk.Refs
	}
	vis := ginkgo.ReportEntryVisibilityFailureOrVerbose
	ginkgo.AddReportEntry(catalogue.EntryVerdict, catalogue.VerdictEntry{ID: res.ID, Verdict: res.Verdict, Findings: res.Findings, Refs: refs, Waited: res.Waited,
		Serial: res.Serial}, vis)
	if len(res.Exchanges) > 0 {
		ginkgo.AddReportEntry(catalogue.EntryExchanges, Exchanges(res.Exchanges), vis)
	}
	if len(res.Steps) > 0 {
		ginkgo.AddReportEntry(catalogue.EntryBrowser, Steps(res.Steps), vis)
	}
	for _, s := range res.Shots {
		ginkgo.AddReportEntry(catalogue.EntryScreenshot, catalogue.ScreenshotEntry{Note: s.Note, PNG: base64.StdEncoding.EncodeToString(s.PNG)},
			ginkgo.ReportEntryVisibilityNever)
	}
}
