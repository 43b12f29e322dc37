package reports

import (
	"sort"
	"strings"
	"time"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/onsi/ginkgo/v2/types"
)

// EntryMeta is the name of the report entry that records a run's [Meta] in
// its JSON report, so that `report merge` can show the target and profile
// later. A suite process adds it from a BeforeSuite:
//
//	ginkgo.BeforeSuite(func() {
//		ginkgo.AddReportEntry(reports.EntryMeta, reports.Meta{Issuer: iss, Profile: "bcp", Version: v},
//			ginkgo.ReportEntryVisibilityNever)
//	})
const EntryMeta = "oauthcheck.meta"

// Meta describes a run in every report: what was tested, how, when, and
// what counts as failing.
type Meta struct {
	Issuer  string `json:"issuer,omitempty"`
	Profile string `json:"profile,omitempty"` // oauth2, bcp or oauth2.1
	Version string `json:"version,omitempty"` // oauthcheck's
	// Start and Duration are the run's, from its report.
	Start    time.Time     `json:"start,omitzero"`
	Duration time.Duration `json:"duration_ns,omitempty"`
	Flows    []string      `json:"flows,omitempty"`
	// FailOn is "must" (the default) or "should"; with "should" the
	// reports show an unexpected WARN as a failure, as the exit code does.
	FailOn string `json:"fail_on,omitempty"`
	// StrictExpect shows stale expectations as failures (--strict-expect).
	StrictExpect bool `json:"strict_expect,omitempty"`
	// Problems are failures outside any check ([Problems]).
	Problems []string `json:"problems,omitempty"`
	// Preflight is the login preflight that ran before the flows, when
	// it could not complete: why, and what the browser saw.
	Preflight *Preflight `json:"preflight,omitempty"`
	// NotRun are the expectations (--expect) of checks that the run did
	// not select (--flows, --label-filter, a shard): none of them was judged.
	NotRun []Expectation `json:"expectations_not_run,omitempty"`
}

// Preflight is what a login preflight that could not complete saw, so that
// a person can fix the login: the page where it stopped, what was on it,
// what the actor did, a screenshot and a starter login script.
type Preflight struct {
	// Reason says why the browser checks did not run.
	Reason  string   `json:"reason"`
	URL     string   `json:"url,omitempty"`
	Title   string   `json:"title,omitempty"`
	Fields  []string `json:"fields,omitempty"`  // "#username (text, label Email)"
	Buttons []string `json:"buttons,omitempty"` // "#kc-login: Sign in"
	Actions []string `json:"actions,omitempty"` // what the actor did, in order
	// Script is a starter login script made from the page.
	Script     string `json:"script,omitempty"`
	Screenshot []byte `json:"screenshot,omitempty"` // PNG
}

// Lines renders the diagnosis for a console: a few indented lines.
func (p *Preflight) Lines() []string {
	out := []string{"why: " + oneLine(p.Reason)}
	if p.URL != "" {
		out = append(out, "stopped at: "+p.URL+titleSuffix(p.Title))
	}
	if len(p.Fields) > 0 {
		out = append(out, "fields seen: "+strings.Join(p.Fields, "; "))
	}
	if len(p.Buttons) > 0 {
		out = append(out, "buttons seen: "+strings.Join(p.Buttons, "; "))
	}
	if len(p.Actions) > 0 {
		out = append(out, "done: "+strings.Join(p.Actions, " → "))
	}
	return out
}

func titleSuffix(t string) string {
	if t == "" {
		return ""
	}
	return " (" + oneLine(t) + ")"
}

// MetaOf reads what a report tells of its run: the start and duration, the
// flows of its checks, its [Problems], and the issuer, profile and version
// from an [EntryMeta] entry (or, without one, the issuer from the suite
// description "oauthcheck ISSUER"). The caller sets FailOn and
// StrictExpect, and may override the rest.
func MetaOf(r types.Report) Meta {
	m := Meta{Start: r.StartTime, Duration: r.RunTime, Problems: Problems(r)}
	if m.Duration == 0 && !r.EndTime.IsZero() && !r.StartTime.IsZero() {
		m.Duration = r.EndTime.Sub(r.StartTime)
	}
	for _, s := range r.SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name != EntryMeta {
				continue
			}
			var em Meta
			if decodeEntry(e, &em) != nil {
				continue
			}
			if em.Preflight != nil && m.Preflight == nil {
				m.Preflight = em.Preflight
			}
			m.Issuer = firstNonEmpty(m.Issuer, em.Issuer)
			m.Profile = firstNonEmpty(m.Profile, em.Profile)
			m.Version = firstNonEmpty(m.Version, em.Version)
		}
	}
	if m.Issuer == "" {
		if iss, ok := strings.CutPrefix(r.SuiteDescription, "oauthcheck "); ok && !strings.Contains(iss, " ") {
			m.Issuer = iss
		}
	}
	m.Flows = FlowsOf(Results(r))
	return m
}

// FlowsOf lists the flows of results, in catalogue order.
func FlowsOf(results []Result) []string {
	have := map[string]bool{}
	for i := range results {
		have[results[i].flowName()] = true
	}
	var out []string
	for _, f := range catalogue.Flows {
		if have[string(f)] {
			out = append(out, string(f))
			delete(have, string(f))
		}
	}
	var other []string
	for f := range have {
		other = append(other, f)
	}
	sort.Strings(other)
	return append(out, other...)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// flowName is the result's flow, or "other" for a spec with none.
func (r *Result) flowName() string {
	if r.Flow == "" {
		return "other"
	}
	return r.Flow
}
