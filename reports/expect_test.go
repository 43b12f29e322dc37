package reports

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

func TestParseExpect(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    []Expectation
		wantErr []string
		reason  string
	}{
		{
			name: "block and flow style",
			yaml: "- id: AUTHCODE-CODE-REUSE\n  verdict: FAIL\n  reason: vendor X reuses codes within 5 s\n" +
				"- {id: PKCE-PLAIN-ACCEPTED, verdict: warn, reason: \"kept for an old app, see https://example.test/x\"}\n",
			want: []Expectation{
				{ID: "AUTHCODE-CODE-REUSE", Verdict: catalogue.Fail, Reason: "vendor X reuses codes within 5 s", Line: 1},
				{ID: "PKCE-PLAIN-ACCEPTED", Verdict: catalogue.Warn, Reason: "kept for an old app, see https://example.test/x", Line: 4},
			},
			reason: "verdicts are case-insensitive",
		},
		{name: "empty file", yaml: "", reason: "an empty file expects nothing"},
		{name: "only comments", yaml: "# nothing expected yet\n"},
		{
			name:    "unknown ID",
			yaml:    "- {id: AUTHCODE-CODE-REUS, verdict: FAIL, reason: r}\n",
			wantErr: []string{"x.yaml:1", `unknown check ID "AUTHCODE-CODE-REUS"`, "did you mean AUTHCODE-CODE-REUSE?", "valid AUTHCODE- IDs:", "AUTHCODE-STATE-ECHO"},
			reason:  "the error names the closest ID and the valid ones of its group",
		},
		{
			name:    "unknown ID and group",
			yaml:    "- {id: NOPE, verdict: FAIL, reason: r}\n",
			wantErr: []string{`unknown check ID "NOPE"`, "valid: META-WELLKNOWN, "},
		},
		{
			name:    "unknown verdict",
			yaml:    "- {id: AUTHCODE-CODE-REUSE, verdict: FAILED, reason: r}\n",
			wantErr: []string{"x.yaml:1", `unknown verdict "FAILED"`, "valid: FAIL, ERROR, WARN, INFO, SKIP"},
		},
		{
			name:    "PASS",
			yaml:    "- {id: AUTHCODE-CODE-REUSE, verdict: PASS, reason: r}\n",
			wantErr: []string{"PASS needs no expectation", "valid: FAIL, ERROR, WARN, INFO, SKIP"},
		},
		{name: "no verdict", yaml: "- {id: AUTHCODE-CODE-REUSE, reason: r}\n", wantErr: []string{"no verdict; valid: FAIL"}},
		{name: "no reason", yaml: "- {id: AUTHCODE-CODE-REUSE, verdict: FAIL}\n", wantErr: []string{"AUTHCODE-CODE-REUSE: no reason"}},
		{name: "no id", yaml: "- {verdict: FAIL, reason: r}\n", wantErr: []string{"x.yaml:1", "no id"}},
		{
			name:    "duplicate",
			yaml:    "- {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: r}\n- {id: AUTHCODE-CODE-REUSE, verdict: WARN, reason: r}\n",
			wantErr: []string{"x.yaml:2", "expected twice (also on line 1)"},
		},
		{
			name:    "unknown key",
			yaml:    "- {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: r, because: x}\n",
			wantErr: []string{`unknown key "because"; valid: id, verdict, reason, intermittent`},
		},
		{
			name:    "intermittent not a boolean",
			yaml:    "- {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: r, intermittent: often}\n",
			wantErr: []string{"x.yaml:1", `intermittent: want true or false, not "often"`},
		},
		{name: "not a list", yaml: "AUTHCODE-CODE-REUSE: FAIL\n", wantErr: []string{"want a YAML list of {id, verdict, reason}"}},
		{name: "not YAML", yaml: "- {id: [\n", wantErr: []string{"reports: expect x.yaml:"}},
		{name: "entry not a mapping", yaml: "- AUTHCODE-CODE-REUSE\n", wantErr: []string{"each entry is a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExpect([]byte(tt.yaml), "x.yaml")
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("want an error, got %+v (%s)", got, tt.reason)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q (%s)", err, w, tt.reason)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Entries, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nmismatch (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestLoadExpect(t *testing.T) {
	ex, err := LoadExpect(filepath.Join("testdata", "expect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Entries) != 5 || ex.Path != filepath.Join("testdata", "expect.yaml") {
		t.Errorf("LoadExpect = %+v", ex)
	}
	if _, err := LoadExpect(filepath.Join("testdata", "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("LoadExpect(missing) = %v, want an error naming the file", err)
	}
}

func TestApply(t *testing.T) {
	ex, err := LoadExpect(filepath.Join("testdata", "expect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	results := Results(loadFixture(t, "weakened.json"))
	out := Apply(results, ex)
	if results[0].Expectation != nil {
		t.Error("Apply changed its input")
	}
	type mark struct {
		ID       string
		Verdict  catalogue.Verdict
		Expected bool
		Stale    bool
	}
	var got []mark
	for _, r := range out.Results {
		if r.Expectation != nil {
			got = append(got, mark{r.ID, r.Verdict, r.Expected, r.Stale()})
		}
	}
	want := []mark{
		{"AUTHCODE-CODE-REUSE", catalogue.Fail, true, false},
		{"AUTHCODE-STATE-ECHO", catalogue.Pass, false, true},
		{"REFRESH-ROTATION", catalogue.Fail, false, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("marks mismatch (-want +got):\n%s", diff)
	}
	var stale []string
	for _, s := range out.Stale {
		stale = append(stale, s.String())
	}
	wantStale := []string{
		"AUTHCODE-STATE-ECHO: expected FAIL, got PASS (an old vendor bug that was fixed: stale)",
		"REFRESH-ROTATION: expected WARN, got FAIL (FAPI 2.0 keeps the old refresh token; the run gives FAIL, so this entry is stale)",
	}
	if diff := cmp.Diff(wantStale, stale); diff != "" {
		t.Errorf("stale mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(out.Stale, StaleOf(out.Results)); diff != "" {
		t.Errorf("StaleOf differs from Apply's list (-apply +staleof):\n%s", diff)
	}
	var notRun []string
	for _, e := range out.NotRun {
		notRun = append(notRun, e.ID)
	}
	if diff := cmp.Diff([]string{"IMPLICIT-FRAGMENT-ONLY", "DEVICE-SLOW-DOWN-EMITTED"}, notRun); diff != "" {
		t.Errorf("not run mismatch (-want +got):\n%s", diff)
	}
	if c := Count(out.Results); c.Expected != 1 || c.Stale != 2 {
		t.Errorf("counts %+v", c)
	}
	if got := Apply(results, nil); len(got.Results) != len(results) || len(got.Stale)+len(got.NotRun) != 0 {
		t.Errorf("Apply(nil) = %+v", got)
	}
}

// An intermittent deviation is expected when it shows, and a PASS does
// not make it stale; another verdict does.
func TestApplyIntermittent(t *testing.T) {
	ex, err := ParseExpect([]byte(`
- {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: a race, intermittent: true}
- {id: AUTHCODE-STATE-ECHO, verdict: FAIL, reason: a race, intermittent: true}
- {id: REFRESH-ROTATION, verdict: WARN, reason: a race, intermittent: true}
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := Apply(Results(loadFixture(t, "weakened.json")), ex)
	got := map[string][2]bool{}
	for _, r := range out.Results {
		if r.Expectation != nil {
			got[r.ID] = [2]bool{r.Expected, r.Stale()}
		}
	}
	want := map[string][2]bool{
		"AUTHCODE-CODE-REUSE": {true, false},  // FAIL: shown
		"AUTHCODE-STATE-ECHO": {false, false}, // PASS: not shown this run
		"REFRESH-ROTATION":    {false, true},  // FAIL instead of WARN: stale
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(expected, stale) mismatch (-want +got):\n%s", diff)
	}
	if len(out.Stale) != 1 || out.Stale[0].ID != "REFRESH-ROTATION" {
		t.Errorf("stale %v, want REFRESH-ROTATION only", out.Stale)
	}
}

func TestFailed(t *testing.T) {
	parse := func(y string) *Expect {
		ex, err := ParseExpect([]byte(y), "t.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return ex
	}
	weakened := Results(loadFixture(t, "weakened.json")) // 3 FAIL, 1 WARN
	shard := Results(loadFixture(t, "shard.json"))       // 1 WARN
	allFails := parse(`
- {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: r}
- {id: AUTHCODE-CONCURRENT-REDEEM, verdict: FAIL, reason: r}
- {id: REFRESH-ROTATION, verdict: FAIL, reason: r}
`)
	allFailsAndWarn := parse(`
- {id: AUTHCODE-CODE-REUSE, verdict: FAIL, reason: r}
- {id: AUTHCODE-CONCURRENT-REDEEM, verdict: FAIL, reason: r}
- {id: REFRESH-ROTATION, verdict: FAIL, reason: r}
- {id: AUTHCODE-REUSE-REVOKES-TOKENS, verdict: WARN, reason: r}
`)
	stalePass := parse("- {id: REVOKE-CLIENT-AUTH, verdict: FAIL, reason: r}\n")
	notRun := parse("- {id: DEVICE-SLOW-DOWN-EMITTED, verdict: FAIL, reason: r}\n")
	tests := []struct {
		name    string
		results []Result
		expect  *Expect
		failOn  string
		strict  bool
		want    bool
		reason  string
	}{
		{"must, FAILs", weakened, nil, "must", false, true, "an unexpected FAIL fails"},
		{"must, FAILs expected", weakened, allFails, "must", false, false, "expected FAILs do not fail"},
		{"should, FAILs expected, WARN not", weakened, allFails, "should", false, true, "an unexpected WARN fails under should"},
		{"should, all expected", weakened, allFailsAndWarn, "should", false, false, ""},
		{"must, WARN only", shard, nil, "must", false, false, "WARN does not fail under must"},
		{"should, WARN only", shard, nil, "should", false, true, ""},
		{"unknown failOn is must", shard, nil, "bogus", false, false, ""},
		{"stale, not strict", shard, stalePass, "must", false, false, "a stale expectation is only reported"},
		{"stale, strict", shard, stalePass, "must", true, true, "--strict-expect fails on it"},
		{"not run, strict", shard, notRun, "must", true, false, "an expectation whose check was not run is not stale"},
		{"no results", nil, nil, "should", true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := Apply(tt.results, tt.expect).Results
			if got := Failed(rs, tt.failOn, tt.strict); got != tt.want {
				t.Errorf("Failed = %v, want %v (%s)", got, tt.want, tt.reason)
			}
		})
	}
}

func TestParseFailOn(t *testing.T) {
	for in, want := range map[string]string{"": "must", "must": "must", "should": "should"} {
		if got, err := ParseFailOn(in); got != want || err != nil {
			t.Errorf("ParseFailOn(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFailOn("may"); err == nil || !strings.Contains(err.Error(), "valid: must, should") {
		t.Errorf("ParseFailOn(may) = %v", err)
	}
}
