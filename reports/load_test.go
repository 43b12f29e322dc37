package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/onsi/ginkgo/v2/types"
)

func TestLoad(t *testing.T) {
	reps, err := Load(filepath.Join("testdata", "weakened.json"), filepath.Join("testdata", "shard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || len(reps[0].SpecReports) != 128 || len(reps[1].SpecReports) != 64 {
		t.Fatalf("Load: %d reports", len(reps))
	}

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"missing", filepath.Join(dir, "nope.json"), "nope.json: no such file"},
		{"empty", write("empty.json", "  \n"), "empty.json: the file is empty"},
		{"not JSON", write("junit.xml", "<testsuites/>"), "junit.xml: not a ginkgo JSON report"},
		{"broken JSON", write("cut.json", `[{"SuiteDescription": "x", `), "cut.json: not a ginkgo JSON report"},
		{"other JSON", write("other.json", `[{"name": "x"}]`), "other.json: report 0 has no suite description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "reports: load") {
				t.Errorf("Load(%s) = %v, want an error containing %q", tt.name, err, tt.wantErr)
			}
		})
	}
	if _, err := Load(); err == nil {
		t.Error("Load() with no files should fail")
	}
	// A single report object, not in an array, is read too.
	one := loadFixture(t, "shard.json")
	raw, err := os.ReadFile(filepath.Join("testdata", "shard.json"))
	if err != nil {
		t.Fatal(err)
	}
	obj := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(string(raw)), "["), "]")
	got, err := Load(write("object.json", obj))
	if err != nil || len(got) != 1 || got[0].SuiteDescription != one.SuiteDescription {
		t.Errorf("Load(object) = %d reports, %v", len(got), err)
	}
}

func TestMerge(t *testing.T) {
	a, b := loadFixture(t, "weakened.json"), loadFixture(t, "shard.json")
	nA, nB := len(a.SpecReports), len(b.SpecReports)
	m := Merge(a, b)
	if len(a.SpecReports) != nA || len(b.SpecReports) != nB {
		t.Fatal("Merge changed its inputs")
	}
	// Of the 64 specs each flow's process lists, the merge keeps those the
	// label filter selected: 5 authcode, 3 refresh, 6 revocation, and 5
	// more, because weakened.json (merged by run without this package)
	// kept only its first process's filter, which also selects the authcode
	// specs of its refresh process. Results counts each check once.
	if got := len(m.SpecReports); got != 19 {
		t.Errorf("merged %d spec reports, want 19", got)
	}
	if m.SuiteSucceeded {
		t.Error("a merge with a failed suite succeeded")
	}
	if !m.StartTime.Equal(a.StartTime) || !m.EndTime.Equal(b.EndTime) || m.RunTime != b.EndTime.Sub(a.StartTime) {
		t.Errorf("merged times %s – %s (%s); want the earliest start %s and the latest end %s",
			m.StartTime, m.EndTime, m.RunTime, a.StartTime, b.EndTime)
	}
	if want := "(" + a.SuiteConfig.LabelFilter + ") || (" + b.SuiteConfig.LabelFilter + ")"; m.SuiteConfig.LabelFilter != want {
		t.Errorf("merged label filter %q, want %q", m.SuiteConfig.LabelFilter, want)
	}
	if _, err := types.ParseLabelFilter(m.SuiteConfig.LabelFilter); err != nil {
		t.Errorf("merged label filter does not parse: %v", err)
	}
	// The results of the merge are those of both shards, in catalogue order.
	want := append(Results(a), Results(b)...)
	sortResults(want)
	if diff := cmp.Diff(want, Results(m)); diff != "" {
		t.Errorf("merged results mismatch (-want +got):\n%s", diff)
	}
	// Merging a report with itself adds no result.
	if diff := cmp.Diff(Results(a), Results(Merge(a, a))); diff != "" {
		t.Errorf("a report merged with itself (-want +got):\n%s", diff)
	}
	// Only succeeded suites make a succeeded merge.
	if !Merge(b, b).SuiteSucceeded {
		t.Error("two succeeded suites merged into a failed one")
	}
	if empty := Merge(); !empty.SuiteSucceeded || len(empty.SpecReports) != 0 {
		t.Errorf("Merge() = %+v", empty)
	}
}

// TestMergeKeepsNotRun: after a merge, a check that one shard selected but
// never ran (the suite timed out) still fails, while the checks each shard
// left out for the other stay out.
func TestMergeKeepsNotRun(t *testing.T) {
	timedOut := runFixture(t, "timeout")
	m := Merge(loadFixture(t, "shard.json"), timedOut)
	var got []verdictRow
	for _, r := range Results(m) {
		if r.Flow == "tokenendpoint" {
			got = append(got, verdictRow{r.ID, r.Flow, r.Verdict})
		}
	}
	want := []verdictRow{{"TOKEN-POST-ONLY", "tokenendpoint", "ERROR"}, {"TOKEN-AT-LIFETIME", "tokenendpoint", "ERROR"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if len(Results(m)) != len(Results(loadFixture(t, "shard.json")))+2 {
		t.Errorf("the merge has %d results", len(Results(m)))
	}
	if d := MetaOf(m).Duration; d <= 0 || d > 24*time.Hour*365 {
		t.Errorf("merged duration %s", d)
	}
}
