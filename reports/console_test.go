package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

func TestSummaryGolden(t *testing.T) {
	results, meta := goldenInput(t)
	tests := []struct {
		file string
		opts ConsoleOptions
	}{
		{"summary.txt", ConsoleOptions{}},
		{"summary-color.txt", ConsoleOptions{Color: true}},
		{"summary-quiet.txt", ConsoleOptions{Quiet: true}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := render(t, func(b *bytes.Buffer) error { return WriteSummary(b, results, meta, tt.opts) })
			checkGolden(t, tt.file, got)
			if !tt.opts.Color && bytes.Contains(got, []byte("\x1b[")) {
				t.Error("colour codes without Color (NO_COLOR)")
			}
		})
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name    string
		results []Result
		meta    Meta
		opts    ConsoleOptions
		want    string
	}{
		{
			name:    "quiet with nothing wrong is one line",
			results: Results(loadFixture(t, "shard.json")),
			meta:    MetaOf(loadFixture(t, "shard.json")),
			opts:    ConsoleOptions{Quiet: true},
			want:    "6 checks: 5 PASS, 0 FAIL, 0 ERROR, 1 WARN, 0 INFO, 0 SKIP (23.361s)\n",
		},
		{
			name:    "one flow: no table by flow",
			results: Results(loadFixture(t, "shard.json")),
			meta:    MetaOf(loadFixture(t, "shard.json")),
			want: "VERDICT  ID                   FINDING\n" +
				"WARN     REVOKE-ACCESS-TOKEN  RFC 7009 §2: revoking the access token answered 200, but it is still active\n" +
				"\n6 checks: 5 PASS, 0 FAIL, 0 ERROR, 1 WARN, 0 INFO, 0 SKIP (23.361s)\n",
		},
		{
			name:    "nothing",
			results: nil,
			want:    "\n0 checks: 0 PASS, 0 FAIL, 0 ERROR, 0 WARN, 0 INFO, 0 SKIP\n",
		},
		{
			name:    "expectations of checks that did not run",
			results: nil,
			meta:    Meta{NotRun: []Expectation{{ID: "AUTHCODE-CODE-REUSE", Verdict: catalogue.Fail, Reason: "a known\n deviation"}}},
			want: "\nExpectations of checks that this run did not select (--flows, --label-filter, the reports merged); none was judged:\n" +
				"  AUTHCODE-CODE-REUSE FAIL: a known deviation\n\n0 checks: 0 PASS, 0 FAIL, 0 ERROR, 0 WARN, 0 INFO, 0 SKIP\n",
		},
		{
			name:    "problems",
			results: nil,
			meta:    Meta{Problems: []string{"Suite Timeout Elapsed"}},
			want:    "\nProblems outside the checks:\n  Suite Timeout Elapsed\n\n0 checks: 0 PASS, 0 FAIL, 0 ERROR, 0 WARN, 0 INFO, 0 SKIP\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteSummary(&b, tt.results, tt.meta, tt.opts); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestSummaryLongFinding(t *testing.T) {
	r := Result{ID: "AUTHCODE-CODE-REUSE", Flow: "authcode", Verdict: "FAIL"}
	r.Findings = append(r.Findings, catalogue.Finding{Verdict: catalogue.Fail, Message: strings.Repeat("é", 300) + "\nsecond line"})
	var b bytes.Buffer
	if err := WriteSummary(&b, []Result{r}, Meta{}, ConsoleOptions{}); err != nil {
		t.Fatal(err)
	}
	line := strings.Split(b.String(), "\n")[1]
	if !strings.HasSuffix(line, "é…") || strings.Count(line, "é") != maxHeadline-1 {
		t.Errorf("a long finding is cut at %d characters on one line: %q", maxHeadline, line)
	}
}
