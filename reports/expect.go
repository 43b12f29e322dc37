package reports

import (
	"fmt"
	"os"
	"strings"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"go.yaml.in/yaml/v3"
)

// Expect is a file of expected deviations (`--expect FILE`): the checks a
// vendor is known to fail, warn or skip, with the reason.
//
//   - {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: "vendor X reuses codes within 5 s, see https://…"}
//   - id: PKCE-PLAIN-ACCEPTED
//     verdict: WARN
//     reason: plain is kept for an old mobile app
//
// A deviation that a race or chance shows in some runs only is marked
// intermittent: a run in which the check passes does not make it stale.
type Expect struct {
	// Path is the file the expectations came from.
	Path    string
	Entries []Expectation
}

// Expectation is one expected deviation.
type Expectation struct {
	ID      string            `json:"id"`
	Verdict catalogue.Verdict `json:"verdict"`
	Reason  string            `json:"reason"`
	// Intermittent: the deviation shows in some runs only, and a PASS is
	// no sign that it is gone.
	Intermittent bool `json:"intermittent,omitempty"`
	// Line is where the entry starts in its file.
	Line int `json:"-"`
}

func (e Expectation) String() string {
	return fmt.Sprintf("%s %s: %s", e.ID, e.Verdict, e.Reason)
}

// expectable are the verdicts an expectation may name: PASS needs none.
var expectable = []catalogue.Verdict{catalogue.Fail, catalogue.Error, catalogue.Warn, catalogue.Info, catalogue.Skip}

// LoadExpect reads an expectations file. Unknown IDs, verdicts and keys,
// duplicate IDs and missing reasons are errors that name the file, the line
// and the valid values.
func LoadExpect(path string) (*Expect, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reports: expect: %w", err)
	}
	return ParseExpect(raw, path)
}

// ParseExpect parses the YAML of an expectations file; name is used in
// errors.
func ParseExpect(raw []byte, name string) (*Expect, error) {
	ex := &Expect{Path: name}
	fail := func(line int, format string, args ...any) error {
		where := name
		if line > 0 {
			where = fmt.Sprintf("%s:%d", name, line)
		}
		return fmt.Errorf("reports: expect %s: %s", where, fmt.Sprintf(format, args...))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fail(0, "%v", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return ex, nil // an empty file expects nothing
	}
	list := doc.Content[0]
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return ex, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fail(list.Line, "want a YAML list of {id, verdict, reason}, such as\n"+
			"  - {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: \"vendor X reuses codes within 5 s, see …\"}")
	}
	seen := map[string]int{}
	for _, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			return nil, fail(item.Line, "each entry is a mapping with id, verdict and reason")
		}
		e := Expectation{Line: item.Line}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return nil, fail(v.Line, "%s: want a string", k.Value)
			}
			switch k.Value {
			case "id":
				e.ID = strings.TrimSpace(v.Value)
			case "verdict":
				e.Verdict = catalogue.Verdict(strings.ToUpper(strings.TrimSpace(v.Value)))
			case "reason":
				e.Reason = strings.TrimSpace(v.Value)
			case "intermittent":
				switch strings.ToLower(strings.TrimSpace(v.Value)) {
				case "true", "yes":
					e.Intermittent = true
				case "false", "no":
				default:
					return nil, fail(v.Line, "intermittent: want true or false, not %q", v.Value)
				}
			default:
				return nil, fail(k.Line, "unknown key %q; valid: id, verdict, reason, intermittent", k.Value)
			}
		}
		if e.ID == "" {
			return nil, fail(item.Line, "the entry has no id")
		}
		if _, ok := catalogue.Lookup(e.ID); !ok {
			return nil, fail(item.Line, "unknown check ID %q; %s", e.ID, validIDs(e.ID))
		}
		if prev, dup := seen[e.ID]; dup {
			return nil, fail(item.Line, "%s is expected twice (also on line %d)", e.ID, prev)
		}
		seen[e.ID] = item.Line
		switch {
		case e.Verdict == "":
			return nil, fail(item.Line, "%s: no verdict; valid: %s", e.ID, verdictList())
		case e.Verdict == catalogue.Pass:
			return nil, fail(item.Line, "%s: verdict PASS needs no expectation; valid: %s", e.ID, verdictList())
		case !expectableVerdict(e.Verdict):
			return nil, fail(item.Line, "%s: unknown verdict %q; valid: %s", e.ID, string(e.Verdict), verdictList())
		}
		if e.Reason == "" {
			return nil, fail(item.Line, "%s: no reason; say why the vendor deviates, with a link, so the entry can be reviewed", e.ID)
		}
		ex.Entries = append(ex.Entries, e)
	}
	return ex, nil
}

func expectableVerdict(v catalogue.Verdict) bool {
	for _, x := range expectable {
		if v == x {
			return true
		}
	}
	return false
}

func verdictList() string {
	s := make([]string, len(expectable))
	for i, v := range expectable {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// validIDs names the catalogue IDs closest to an unknown one: those of its
// group (the part before the first dash), else all.
func validIDs(id string) string {
	prefix, _, _ := strings.Cut(strings.ToUpper(id), "-")
	var same, all []string
	for _, c := range catalogue.All() {
		all = append(all, c.ID)
		if p, _, _ := strings.Cut(c.ID, "-"); p == prefix {
			same = append(same, c.ID)
		}
	}
	if best := closest(strings.ToUpper(id), all); best != "" {
		if len(same) > 0 {
			return fmt.Sprintf("did you mean %s? valid %s- IDs: %s", best, prefix, strings.Join(same, ", "))
		}
		return fmt.Sprintf("did you mean %s? `oauthcheck list` shows all %d IDs", best, len(all))
	}
	return "valid: " + strings.Join(all, ", ")
}

// closest is the ID at the smallest edit distance from id, if it is close.
func closest(id string, ids []string) string {
	best, bestD := "", len(id)/3+1
	for _, c := range ids {
		if d := editDistance(id, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Outcome is what became of a run's results and expectations.
type Outcome struct {
	// Results are the results, each with the expectation that names it.
	Results []Result
	// Stale are the expectations that did not happen: the check ran and
	// gave another verdict. `--strict-expect` fails the run for them.
	Stale []StaleExpectation
	// NotRun are the expectations whose check was not in the run (another
	// flow, a label filter); they are neither met nor stale.
	NotRun []Expectation
}

// StaleExpectation is an expectation and the verdict the check gave
// instead.
type StaleExpectation struct {
	Expectation
	Got catalogue.Verdict
}

func (s StaleExpectation) String() string {
	return fmt.Sprintf("%s: expected %s, got %s (%s)", s.ID, s.Verdict, s.Got, s.Reason)
}

// Apply marks each result expected or not by the expectations, and reports
// the expectations that did not happen. The results are copied; a nil
// Expect expects nothing.
func Apply(results []Result, ex *Expect) Outcome {
	out := Outcome{Results: make([]Result, len(results))}
	copy(out.Results, results)
	if ex == nil {
		return out
	}
	byID := map[string]*Expectation{}
	for i := range ex.Entries {
		byID[ex.Entries[i].ID] = &ex.Entries[i]
	}
	ran := map[string]bool{}
	for i := range out.Results {
		r := &out.Results[i]
		r.Expectation, r.Expected = nil, false
		e := byID[r.ID]
		if e == nil || r.ID == "" {
			continue
		}
		ran[r.ID] = true
		cp := *e
		r.Expectation = &cp
		r.Expected = r.Verdict == e.Verdict
		if r.Stale() {
			out.Stale = append(out.Stale, StaleExpectation{Expectation: cp, Got: r.Verdict})
		}
	}
	for _, e := range ex.Entries {
		if !ran[e.ID] {
			out.NotRun = append(out.NotRun, e)
		}
	}
	return out
}

// StaleOf lists the stale expectations of results that went through
// [Apply], in the results' order.
func StaleOf(results []Result) []StaleExpectation {
	var out []StaleExpectation
	for i := range results {
		if r := &results[i]; r.Stale() {
			out = append(out, StaleExpectation{Expectation: *r.Expectation, Got: r.Verdict})
		}
	}
	return out
}

// The values of --fail-on.
const (
	FailOnMust   = "must"   // a FAIL fails the run
	FailOnShould = "should" // a FAIL or a WARN fails the run
)

// ParseFailOn checks a --fail-on value.
func ParseFailOn(s string) (string, error) {
	switch s {
	case "", FailOnMust:
		return FailOnMust, nil
	case FailOnShould:
		return FailOnShould, nil
	}
	return "", fmt.Errorf("reports: --fail-on %q: valid: must, should", s)
}

// Failing tells whether this result fails a run: an unexpected FAIL; with
// failOn "should" also an unexpected WARN; with strictExpect also a stale
// expectation. Any other failOn counts as "must".
func (r *Result) Failing(failOn string, strictExpect bool) bool {
	if strictExpect && r.Stale() {
		return true
	}
	if r.Expected {
		return false
	}
	return r.Verdict == catalogue.Fail || (failOn == FailOnShould && r.Verdict == catalogue.Warn)
}

// Errored tells whether the harness could not reach a verdict for some
// check (exit code 4 when nothing failed): an ERROR not expected.
func Errored(results []Result) bool {
	for i := range results {
		if r := &results[i]; r.Verdict == catalogue.Error && !r.Expected {
			return true
		}
	}
	return false
}

// Failed tells whether the run fails (exit code 1): whether any result is
// [Result.Failing].
func Failed(results []Result, failOn string, strictExpect bool) bool {
	for i := range results {
		if results[i].Failing(failOn, strictExpect) {
			return true
		}
	}
	return false
}
