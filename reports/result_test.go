package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// The fixtures under testdata are real JSON reports:
//
//   - weakened.json: `oauthcheck run --flows authcode,refresh --label-filter
//     'priority: containsAny P1 || id: containsAny AUTHCODE-STATE-ECHO'`
//     against `oauthcheck reference --weaken
//     code-reuse,refresh-no-rotation,revoke-access-noop` (its own two flow
//     processes, merged by run);
//   - shard.json: `oauthcheck run --flows revocation` against the same
//     server, as a second CI shard would;
//   - suite.json: the fixture suite of fixture_suite_test.go (go test
//     -run TestFixtureSuiteReport -update rewrites it).
func loadFixture(t *testing.T, name string) types.Report {
	t.Helper()
	reps, err := Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 {
		t.Fatalf("%s: %d reports, want 1", name, len(reps))
	}
	return reps[0]
}

type verdictRow struct {
	ID      string
	Flow    string
	Verdict catalogue.Verdict
}

func verdictRows(rs []Result) []verdictRow {
	var out []verdictRow
	for _, r := range rs {
		out = append(out, verdictRow{r.ID, r.Flow, r.Verdict})
	}
	return out
}

func TestResultsWeakened(t *testing.T) {
	// The reference weakened in two flows yields exactly those failures:
	// the two authcode checks of code reuse and refresh rotation, with
	// the checks that depend on rotation skipped. The other 120 specs of
	// the two flow processes were left out by the label filters.
	got := Results(loadFixture(t, "weakened.json"))
	want := []verdictRow{
		{"AUTHCODE-CODE-REUSE", "authcode", catalogue.Fail},
		{"AUTHCODE-REUSE-REVOKES-TOKENS", "authcode", catalogue.Warn},
		{"AUTHCODE-CONCURRENT-REDEEM", "authcode", catalogue.Fail},
		{"AUTHCODE-REDIRECT-EXACT-MATCH", "authcode", catalogue.Pass},
		{"AUTHCODE-STATE-ECHO", "authcode", catalogue.Pass},
		{"REFRESH-ROTATION", "refresh", catalogue.Fail},
		{"REFRESH-OLD-RT-INVALIDATED", "refresh", catalogue.Skip},
		{"REFRESH-REUSE-DETECTION", "refresh", catalogue.Skip},
	}
	if diff := cmp.Diff(want, verdictRows(got)); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	r := got[0]
	if r.Level != "MUST" || r.Priority != "P1" || !strings.HasPrefix(r.Requirement, "An authorization code is good for a single exchange") {
		t.Errorf("catalogue fields of %s: level %q priority %q requirement %q", r.ID, r.Level, r.Priority, r.Requirement)
	}
	if len(r.Refs) == 0 || r.Refs[0] != (Ref{Name: "RFC 6749 §4.1.2", URL: "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2"}) {
		t.Errorf("refs of %s: %v", r.ID, r.Refs)
	}
	if want := "RFC 6749 §4.1.2: the replayed code was exchanged again: 200 OK with an access_token"; r.Headline() != want {
		t.Errorf("headline of %s = %q, want %q", r.ID, r.Headline(), want)
	}
	if len(r.Exchanges) != 2 || r.Exchanges[1].Note != "replay the same code with identical parameters" || r.Exchanges[1].Status != 200 {
		t.Errorf("exchanges of %s: %+v", r.ID, r.Exchanges)
	}
	if len(r.Browser) != 8 || r.Browser[len(r.Browser)-1].Kind != "callback" {
		t.Errorf("browser steps of %s: %+v", r.ID, r.Browser)
	}
	if r.Output != "" || r.Duration <= 0 {
		t.Errorf("%s: output %q, duration %s: want no output and a duration", r.ID, r.Output, r.Duration)
	}
}

func TestResultsFixtureSuite(t *testing.T) {
	report := runFixture(t, "checks")
	got := Results(report)
	type row struct {
		ID, Flow    string
		Verdict     catalogue.Verdict
		Headline    string
		Shots       int
		HasOutput   bool
		Exchanges   int
		Requirement string
	}
	var rows []row
	for _, r := range got {
		req := ""
		if r.ID == "" {
			req = r.Requirement
		}
		rows = append(rows, row{r.ID, r.Flow, r.Verdict, r.Headline(), len(r.Screenshots), r.Output != "", len(r.Exchanges), req})
	}
	want := []row{
		{ID: "IMPLICIT-DISABLED", Flow: "implicit", Verdict: catalogue.Fail, Shots: 1, Exchanges: 1,
			Headline: "OAuth 2.1 §10.1: response_type=token returned an access_token in the fragment"},
		{ID: "IMPLICIT-NO-REFRESH-TOKEN", Flow: "implicit", Verdict: catalogue.Info,
			Headline: "the fragment held no refresh_token; the implicit grant is off for confidential clients"},
		{ID: "IMPLICIT-FRAGMENT-ONLY", Flow: "implicit", Verdict: catalogue.Skip,
			Headline: "the server does not offer the implicit grant (response_types_supported has no token)"},
		{ID: "CC-CLIENT-AUTH-REQUIRED", Flow: "clientcreds", Verdict: catalogue.Error, HasOutput: true,
			Headline: "the spec panicked: assignment to entry in nil map"},
		{ID: "CC-PUBLIC-CLIENT-REJECTED", Flow: "clientcreds", Verdict: catalogue.Error, HasOutput: true,
			Headline: "check: no environment: the suite must call check.SetEnv in BeforeSuite"},
		{ID: "CC-NO-REFRESH-TOKEN", Flow: "clientcreds", Verdict: catalogue.Warn,
			Headline: "RFC 6749 §4.4.3: the client-credentials response has a refresh_token"},
		{ID: "TOKEN-POST-ONLY", Flow: "tokenendpoint", Verdict: catalogue.Pass, Headline: "GET to the token endpoint: 405"},
		{Flow: "introspection", Verdict: catalogue.Error, HasOutput: true, Requirement: "flow introspection crashed",
			Headline: "oauthcheck: the flow's process ended without a report: exit status 2; the other flows went on"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	for _, r := range got {
		switch r.ID {
		case "IMPLICIT-DISABLED":
			if !isPNG(r.Screenshots[0].PNG) || r.Screenshots[0].Note != "the page after the authorization" {
				t.Errorf("screenshot of %s: note %q, png %v", r.ID, r.Screenshots[0].Note, isPNG(r.Screenshots[0].PNG))
			}
		case "CC-CLIENT-AUTH-REQUIRED":
			if !strings.Contains(r.Output, "fixture_suite_test.go") {
				t.Errorf("output of the panic should hold its stack; got %q", r.Output)
			}
		case "":
			if !strings.Contains(r.Output, "invalid memory address") {
				t.Errorf("output of the crashed flow should hold what it wrote; got %q", r.Output)
			}
		}
	}
	if m := MetaOf(report); m.Issuer != fixtureIssuer || m.Profile != "oauth2.1" || m.Version != "v0.0.0-fixture" {
		t.Errorf("MetaOf read %+v from the meta entry", m)
	}
}

func TestResultsSuiteEndedEarly(t *testing.T) {
	tests := []struct {
		mode         string
		want         []verdictRow
		wantHeadline []string
		wantProblems []string
		reason       string
	}{
		{
			mode:         "beforesuite",
			want:         []verdictRow{{"", "", catalogue.Error}},
			wantHeadline: []string{"BeforeSuite failed: setup: discovery failed: the target answered 503"},
			reason:       "ginkgo reports no spec after a failed BeforeSuite, so the BeforeSuite itself is the failing result",
		},
		{
			mode: "timeout",
			want: []verdictRow{{"TOKEN-POST-ONLY", "tokenendpoint", catalogue.Error}, {"TOKEN-AT-LIFETIME", "tokenendpoint", catalogue.Error}},
			wantHeadline: []string{
				"not run: the suite ended before this check started (Suite Timeout Elapsed)",
				"A suite timeout occurred",
			},
			wantProblems: []string{"Suite Timeout Elapsed"},
			reason:       "a selected check that never ran is an ERROR; the one the label filter left out is no result",
		},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			r := runFixture(t, tt.mode)
			got := Results(r)
			if diff := cmp.Diff(tt.want, verdictRows(got)); diff != "" {
				t.Errorf("%s\nresults mismatch (-want +got):\n%s", tt.reason, diff)
			}
			var heads []string
			for _, g := range got {
				heads = append(heads, g.Headline())
			}
			if diff := cmp.Diff(tt.wantHeadline, heads); diff != "" {
				t.Errorf("headlines mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblems, Problems(r), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
			if !Failed(got, FailOnMust, false) && !Errored(got) {
				t.Error("a suite that ended early must not pass the run")
			}
		})
	}
}

// TestFixtureSuiteReport keeps testdata/suite.json, the fixture suite's
// report that the golden tests read, in step with the fixture suite.
func TestFixtureSuiteReport(t *testing.T) {
	live := runFixture(t, "checks")
	path := filepath.Join("testdata", "suite.json")
	if *update {
		raw, err := json.MarshalIndent([]types.Report{live}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored := loadFixture(t, "suite.json")
	// Times, durations and the stacks' line numbers differ from run to run.
	ignore := cmpopts.IgnoreFields(Result{}, "Duration", "Output")
	if diff := cmp.Diff(Results(stored), Results(live), ignore); diff != "" {
		t.Errorf("testdata/suite.json is out of date (run go test ./reports -run TestFixtureSuiteReport -update) (-stored +live):\n%s", diff)
	}
}

// TestResultsInProcess reads a report as the process that ran it holds it:
// entry values are the Go values, with no JSON yet.
func TestResultsInProcess(t *testing.T) {
	for _, name := range []string{"weakened.json", "suite.json"} {
		t.Run(name, func(t *testing.T) {
			fromJSON := loadFixture(t, name)
			inProc := loadFixture(t, name)
			for i := range inProc.SpecReports {
				s := &inProc.SpecReports[i]
				entries := make(types.ReportEntries, len(s.ReportEntries))
				for j, e := range s.ReportEntries {
					var v any
					switch e.Name {
					case catalogue.EntryVerdict:
						v = new(catalogue.VerdictEntry)
					case catalogue.EntryExchanges:
						v = new(check.Exchanges)
					case catalogue.EntryBrowser:
						v = new(check.Steps)
					case catalogue.EntryScreenshot:
						v = new(catalogue.ScreenshotEntry)
					case EntryMeta:
						v = new(Meta)
					default:
						entries[j] = e
						continue
					}
					if err := json.Unmarshal([]byte(e.Value.AsJSON), v); err != nil {
						t.Fatal(err)
					}
					e.Value = types.WrapEntryValue(reflect.ValueOf(v).Elem().Interface())
					entries[j] = e
				}
				s.ReportEntries = entries
			}
			if diff := cmp.Diff(Results(fromJSON), Results(inProc)); diff != "" {
				t.Errorf("in-process results differ from JSON ones (-json +in-process):\n%s", diff)
			}
		})
	}
}

func TestCount(t *testing.T) {
	c := Count(Results(loadFixture(t, "weakened.json")))
	if got, want := c.String(), "8 checks: 2 PASS, 3 FAIL, 0 ERROR, 1 WARN, 0 INFO, 2 SKIP"; got != want {
		t.Errorf("Count = %q, want %q", got, want)
	}
	if got, want := Count(nil).String(), "0 checks: 0 PASS, 0 FAIL, 0 ERROR, 0 WARN, 0 INFO, 0 SKIP"; got != want {
		t.Errorf("Count(nil) = %q, want %q", got, want)
	}
}
