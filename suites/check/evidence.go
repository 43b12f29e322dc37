package check

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/onsi/ginkgo/v2"
)

// The names of the report entries a check attaches; reports read them.
const (
	EntryVerdict    = "oauthcheck.verdict"
	EntryExchanges  = "oauthcheck.exchanges"
	EntryBrowser    = "oauthcheck.browser"
	EntryScreenshot = "oauthcheck.screenshot"
)

// VerdictEntry is the report entry of a check's verdict.
type VerdictEntry struct {
	ID       string   `json:"id"`
	Verdict  Verdict  `json:"verdict"`
	Findings Findings `json:"findings"`
	Refs     []string `json:"refs"`
}

func (v VerdictEntry) String() string {
	return fmt.Sprintf("%s %s\n%s", v.Verdict, v.ID, v.Findings)
}

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

// ScreenshotEntry is a PNG, base64-encoded in the JSON report.
type ScreenshotEntry struct {
	Note string `json:"note"`
	PNG  string `json:"png_base64"`
}

func (s ScreenshotEntry) String() string { return "screenshot: " + s.Note }

// Attach adds a result to the current spec's report entries.
func Attach(res *Result) {
	chk, _ := Lookup(res.ID)
	var refs []string
	if chk != nil {
		refs = chk.Refs
	}
	vis := ginkgo.ReportEntryVisibilityFailureOrVerbose
	ginkgo.AddReportEntry(EntryVerdict, VerdictEntry{ID: res.ID, Verdict: res.Verdict, Findings: res.Findings, Refs: refs}, vis)
	if len(res.Exchanges) > 0 {
		ginkgo.AddReportEntry(EntryExchanges, Exchanges(res.Exchanges), vis)
	}
	if len(res.Steps) > 0 {
		ginkgo.AddReportEntry(EntryBrowser, Steps(res.Steps), vis)
	}
	for _, s := range res.Shots {
		ginkgo.AddReportEntry(EntryScreenshot, ScreenshotEntry{Note: s.Note, PNG: base64.StdEncoding.EncodeToString(s.PNG)},
			ginkgo.ReportEntryVisibilityNever)
	}
}
