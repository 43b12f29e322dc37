package reports

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

// Verdicts lists the verdicts in the order reports count them.
var Verdicts = catalogue.Verdicts

// Result is one check's outcome as a report shows it.
type Result struct {
	// ID is the catalogue ID. It is empty for a spec that failed outside
	// any check, such as the stand-in of a flow whose process crashed;
	// Requirement then holds the spec's text.
	ID       string
	Flow     string
	Priority string // P1, P2, P3
	// Level is the strongest keyword of the check's level (MUST, SHOULD,
	// MAY, REQ or DERIVED), as in its level: label; LevelText is the
	// catalogue's level column as written.
	Level       string
	LevelText   string
	Requirement string
	Refs        []Ref
	Verdict     catalogue.Verdict
	// Findings are the observations behind the verdict, in the order the
	// check made them. A spec that failed without a verdict (a panic, a
	// crashed flow) has one ERROR finding with ginkgo's failure message.
	Findings    catalogue.Findings
	Exchanges   []evidence.Exchange
	Browser     []evidence.Step
	Screenshots []Screenshot
	// Output is what a failed spec wrote outside its findings: a crashed
	// flow's stderr, a panic's stack.
	Output   string
	Duration time.Duration
	// Waited is the part of Duration the check spent in waits the
	// protocol forced.
	Waited time.Duration
	// Serial is set when the check ran by itself or after the others of
	// its flow.
	Serial bool

	// Expectation is the expected deviation that names this check, if any
	// ([Apply]); Expected is set when the verdict is the expected one.
	Expectation *Expectation
	Expected    bool
}

// Ref is a section a check is about, with a link to its text.
type Ref struct {
	Name string // "RFC 6749 §4.1.2"
	URL  string // empty when the catalogue knows no link
}

// Screenshot is a PNG of a browser page behind a verdict.
type Screenshot struct {
	Note string
	PNG  []byte
}

// Stale tells an expectation that did not happen: the check ran and gave
// another verdict than the one expected.
func (r *Result) Stale() bool {
	e := r.Expectation
	return e != nil && r.Verdict != e.Verdict && !(e.Intermittent && r.Verdict == catalogue.Pass)
}

// Name is the ID and the requirement, the spec's text.
func (r *Result) Name() string {
	if r.ID == "" {
		return r.Requirement
	}
	return r.ID + ": " + r.Requirement
}

// Headline is the finding that gave the verdict, on one line with its
// section: "RFC 6749 §4.1.2: the replayed code was exchanged again".
func (r *Result) Headline() string {
	for _, f := range r.Findings {
		if f.Verdict == r.Verdict {
			msg := oneLine(f.Message)
			if f.Ref != "" {
				msg = f.Ref + ": " + msg
			}
			return msg
		}
	}
	return ""
}

// Results returns one Result per check spec of the report, in catalogue
// order. A check spec is an It with an id: label or a verdict entry, or any
// It that failed (a crashed flow's stand-in, with an empty ID).
//
//   - The verdict comes from the oauthcheck.verdict entry. A spec that
//     failed without one (a panic, a crashed flow) is an ERROR with ginkgo's
//     failure message; one that was skipped is a SKIP with the reason.
//   - Specs the label filter left out are no results. A selected check that
//     never started because its suite ended early (the --timeout) is a FAIL
//     that says so; a failed BeforeSuite or AfterSuite is a FAIL result of
//     its own, since ginkgo then reports none of the suite's checks.
//   - When merged reports hold a check more than once, the one that ran
//     wins, and of two that ran the worse verdict.
func Results(r types.Report) []Result {
	notRun := notRunReason(r)
	var filter types.LabelFilter
	if f, err := types.ParseLabelFilter(r.SuiteConfig.LabelFilter); err == nil {
		filter = f
	}
	type cand struct {
		res Result
		ran bool
		end time.Time
	}
	byKey := map[string]*cand{}
	var keys []string
	for _, s := range r.SpecReports {
		var res Result
		var ran, ok bool
		switch {
		case s.LeafNodeType == types.NodeTypeIt:
			res, ran, ok = resultOf(s)
		case s.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) && s.State.Is(types.SpecStateFailureStates):
			res, ran, ok = suiteNodeResult(r, s), true, true
		}
		if !ok {
			continue
		}
		if !ran {
			if r.SuiteSucceeded || filter == nil || !filter(s.Labels()) {
				continue // left out by the filter, not a check of this run
			}
			res.Verdict = catalogue.Error
			res.Findings = catalogue.Findings{{Verdict: catalogue.Error, Message: "not run: " + notRun}}
		}
		key := res.ID
		if key == "" {
			key = res.Flow + "\x00" + res.Requirement + "\x00" + res.Headline()
		}
		c := &cand{res: res, ran: ran, end: s.EndTime}
		old, seen := byKey[key]
		switch {
		case !seen:
			keys = append(keys, key)
			byKey[key] = c
		case c.ran && !old.ran,
			c.ran == old.ran && c.res.Verdict.Severity() > old.res.Verdict.Severity(),
			c.ran == old.ran && c.res.Verdict == old.res.Verdict && c.end.After(old.end):
			byKey[key] = c
		}
	}
	out := make([]Result, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k].res)
	}
	sortResults(out)
	return out
}

// severity orders verdicts from the best to the worst.
var catalogueIndex = func() map[string]int {
	m := map[string]int{}
	for i, c := range catalogue.All() {
		m[c.ID] = i
	}
	return m
}()

func flowIndex(flow string) int {
	for i, f := range catalogue.Flows {
		if string(f) == flow {
			return i
		}
	}
	return len(catalogue.Flows)
}

// sortResults puts results in catalogue order; checks the catalogue does
// not know come after it, by flow and text.
func sortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, aok := catalogueIndex[rs[i].ID]
		b, bok := catalogueIndex[rs[j].ID]
		switch {
		case aok && bok:
			return a < b
		case aok != bok:
			return aok
		}
		if fa, fb := flowIndex(rs[i].Flow), flowIndex(rs[j].Flow); fa != fb {
			return fa < fb
		}
		return rs[i].Name() < rs[j].Name()
	})
}

// notRunReason says why selected specs of a failed suite never ran.
func notRunReason(r types.Report) string {
	var why []string
	for _, s := range r.SpecReports {
		if s.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) && s.State.Is(types.SpecStateFailureStates) {
			why = append(why, fmt.Sprintf("%s %s: %s", s.LeafNodeType, s.State, oneLine(failureMessage(s))))
		}
	}
	why = append(why, r.SpecialSuiteFailureReasons...)
	if len(why) == 0 {
		return "the suite ended before this check started"
	}
	return "the suite ended before this check started (" + strings.Join(unique(why), "; ") + ")"
}

// suiteNodeResult is the FAIL result of a failed suite-level node, such as
// a BeforeSuite that could not set the target up: ginkgo then reports none
// of the suite's checks, so this result is what fails the run.
func suiteNodeResult(r types.Report, s types.SpecReport) Result {
	res := Result{
		Requirement: fmt.Sprintf("%s of the suite %q", s.LeafNodeType, r.SuiteDescription),
		Verdict:     catalogue.Error,
		Findings:    catalogue.Findings{{Verdict: catalogue.Error, Message: fmt.Sprintf("%s %s: %s", s.LeafNodeType, s.State, failureMessage(s))}},
		Output:      failureOutput(s),
		Duration:    s.RunTime,
	}
	for _, f := range catalogue.Flows {
		if r.SuiteDescription == string(f) {
			res.Flow = string(f) // a flow's own process
		}
	}
	return res
}

// Problems lists what went wrong outside any check that no result shows:
// ginkgo's special failure reasons, such as an interrupted or timed-out
// suite. A run with problems should fail even when no check did.
func Problems(r types.Report) []string {
	return unique(r.SpecialSuiteFailureReasons)
}

// scrubber redacts again the evidence a report reads, so that a report
// never shows a secret, even from an older or faulty recorder.
var scrubber = evidence.NewRedactor(nil)

// resultOf reads one It spec. ok is false for a spec that is not a check
// and did not fail; ran is false for a spec that never started.
func resultOf(s types.SpecReport) (res Result, ran, ok bool) {
	labels := map[string][]string{}
	for _, l := range s.Labels() {
		if k, v, found := strings.Cut(l, ":"); found {
			labels[k] = append(labels[k], strings.TrimSpace(v))
		}
	}
	first := func(k string) string {
		if len(labels[k]) > 0 {
			return labels[k][0]
		}
		return ""
	}
	var ve *catalogue.VerdictEntry
	for _, e := range s.ReportEntries {
		switch e.Name {
		case catalogue.EntryVerdict:
			var v catalogue.VerdictEntry
			if decodeEntry(e, &v) == nil {
				ve = &v
			}
		case catalogue.EntryExchanges:
			var xs []evidence.Exchange
			if decodeEntry(e, &xs) == nil {
				for i := range xs {
					scrubber.Exchange(&xs[i])
				}
				res.Exchanges = xs
			}
		case catalogue.EntryBrowser:
			var ss []evidence.Step
			if decodeEntry(e, &ss) == nil {
				for i := range ss {
					scrubber.Step(&ss[i])
				}
				res.Browser = ss
			}
		case catalogue.EntryScreenshot:
			var sh catalogue.ScreenshotEntry
			if decodeEntry(e, &sh) == nil {
				if png, err := base64.StdEncoding.DecodeString(sh.PNG); err == nil && isPNG(png) {
					res.Screenshots = append(res.Screenshots, Screenshot{Note: sh.Note, PNG: png})
				}
			}
		}
	}
	res.ID = first("id")
	if res.ID == "" && ve != nil {
		res.ID = ve.ID
	}
	failed := s.State.Is(types.SpecStateFailureStates)
	if res.ID == "" && !failed {
		return Result{}, false, false
	}
	ran = !neverRan(s)

	if chk, found := catalogue.Lookup(res.ID); found {
		res.Flow, res.Priority, res.Level, res.LevelText = string(chk.Flow), string(chk.Priority), string(chk.Level), chk.LevelNote
		res.Requirement = chk.Requirement
		res.Refs = refsOf(chk.Refs)
	} else {
		res.Flow, res.Priority, res.Level = first("flow"), first("priority"), first("level")
		res.Requirement = s.LeafNodeText
		if res.ID != "" {
			res.Requirement = strings.TrimPrefix(s.LeafNodeText, res.ID+": ")
		}
		if ve != nil && len(ve.Refs) > 0 {
			res.Refs = refsOf(ve.Refs)
		}
	}
	res.Duration = s.RunTime

	switch {
	case ve != nil:
		res.Waited, res.Serial = ve.Waited, ve.Serial
		res.Verdict = ve.Verdict
		res.Findings = append(catalogue.Findings(nil), ve.Findings...)
		// A spec can fail after its check ended (a cleanup, the spec's
		// timeout); a verdict that does not fail the spec is then wrong.
		if failed && res.Verdict != catalogue.Fail && res.Verdict != catalogue.Warn && res.Verdict != catalogue.Error {
			res.Verdict = catalogue.Error
			res.Findings = append(res.Findings, catalogue.Finding{Verdict: catalogue.Error,
				Message: fmt.Sprintf("the spec %s after the check's verdict: %s", s.State, failureMessage(s))})
		}
	case failed:
		// A spec that failed with no verdict (a panic outside the check,
		// a crashed flow's stand-in) is the harness's trouble.
		res.Verdict = catalogue.Error
		res.Findings = catalogue.Findings{{Verdict: catalogue.Error, Message: failureMessage(s)}}
	case s.State.Is(types.SpecStateSkipped | types.SpecStatePending):
		res.Verdict = catalogue.Skip
		msg := strings.TrimSpace(s.Failure.Message)
		if s.State == types.SpecStatePending {
			msg = "the spec is pending"
		}
		if msg == "" {
			msg = "skipped"
		}
		res.Findings = catalogue.Findings{{Verdict: catalogue.Skip, Message: msg}}
	default:
		res.Verdict = catalogue.Pass
	}
	if failed && (ve == nil || res.Verdict != ve.Verdict) {
		res.Output = failureOutput(s)
	}
	return res, ran, true
}

// failureMessage is ginkgo's failure message of a spec, with the panic's
// value when it panicked.
func failureMessage(s types.SpecReport) string {
	msg := strings.TrimSpace(s.Failure.Message)
	if p := strings.TrimSpace(s.Failure.ForwardedPanic); p != "" {
		if msg == "" || msg == "Test Panicked" {
			msg = "the spec panicked: " + p
		} else {
			msg += ": " + p
		}
	}
	if msg == "" {
		msg = "the spec " + s.State.String()
	}
	return msg
}

// failureOutput is the evidence of a failure outside any check: where it
// happened, the panic's stack and what the spec wrote.
func failureOutput(s types.SpecReport) string {
	var parts []string
	if loc := s.Failure.Location; loc.FileName != "" {
		where := loc.FileName
		if loc.LineNumber > 0 {
			where += fmt.Sprintf(":%d", loc.LineNumber)
		}
		parts = append(parts, "at "+where)
		if s.Failure.ForwardedPanic != "" && loc.FullStackTrace != "" {
			parts = append(parts, strings.TrimSpace(loc.FullStackTrace))
		}
	}
	if out := strings.TrimSpace(s.CapturedStdOutErr); out != "" {
		parts = append(parts, out)
	}
	if out := strings.TrimSpace(s.CapturedGinkgoWriterOutput); out != "" {
		parts = append(parts, out)
	}
	return strings.Join(parts, "\n\n")
}

// decodeEntry decodes a report entry's value: the JSON of a report read
// back from a file, or the value itself in the process that ran the spec.
func decodeEntry(e types.ReportEntry, v any) error {
	raw := []byte(e.Value.AsJSON)
	if len(raw) == 0 {
		var err error
		if raw, err = json.Marshal(e.Value.GetRawValue()); err != nil {
			return err
		}
	}
	return json.Unmarshal(raw, v)
}

func refsOf(names []string) []Ref {
	out := make([]Ref, 0, len(names))
	for _, n := range names {
		out = append(out, Ref{Name: n, URL: catalogue.RefURL(n)})
	}
	return out
}

func isPNG(b []byte) bool {
	return len(b) > 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n"
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Counts are the numbers of results by verdict.
type Counts struct {
	Total     int
	ByVerdict map[catalogue.Verdict]int
	// Expected counts the results whose verdict was expected and not
	// PASS; Stale the expectations that did not happen.
	Expected int
	Stale    int
}

// Count counts results by verdict.
func Count(results []Result) Counts {
	c := Counts{ByVerdict: map[catalogue.Verdict]int{}}
	for _, v := range Verdicts {
		c.ByVerdict[v] = 0
	}
	for i := range results {
		r := &results[i]
		c.Total++
		c.ByVerdict[r.Verdict]++
		if r.Expected {
			c.Expected++
		}
		if r.Stale() {
			c.Stale++
		}
	}
	return c
}

// String is the counts line: "21 checks: 14 PASS, 3 FAIL, 1 WARN, 0 INFO,
// 3 SKIP".
func (c Counts) String() string {
	parts := make([]string, len(Verdicts))
	for i, v := range Verdicts {
		parts[i] = fmt.Sprintf("%d %s", c.ByVerdict[v], v)
	}
	noun := "checks"
	if c.Total == 1 {
		noun = "check"
	}
	s := fmt.Sprintf("%d %s: %s", c.Total, noun, strings.Join(parts, ", "))
	if c.Expected > 0 || c.Stale > 0 {
		s += fmt.Sprintf("; %d expected, %d stale", c.Expected, c.Stale)
	}
	return s
}
