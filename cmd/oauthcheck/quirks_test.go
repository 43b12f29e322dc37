package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/oauthcheck/oauthcheck/reference"
	"github.com/oauthcheck/oauthcheck/reports"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// TestQuirks runs every check against the reference with each quirk
// switched on: behaviour that the RFCs allow and real servers show. No
// check may FAIL a compliant server, none may end as ERROR, and each
// check that declares a case for the quirk gives one of its verdicts.
// Every quirk is declared by some check.
func TestQuirks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every check against the reference once per quirk")
	}
	bin := oauthcheckBin(t)
	declared := map[string]map[string][]check.Verdict{} // quirk → check → verdicts
	for _, id := range check.Registered() {
		for _, rc := range check.Cases(id) {
			if rc.Quirk != "" {
				if declared[rc.Quirk] == nil {
					declared[rc.Quirk] = map[string][]check.Verdict{}
				}
				declared[rc.Quirk][id] = rc.Want
			}
		}
	}
	for _, q := range reference.AllQuirks() {
		name := string(q.Name)
		t.Run(name, func(t *testing.T) {
			// Two runs side by side (go test's -parallel is the cores):
			// a run's end is mostly the refresh flow's checks that run by
			// themselves, which leave the cores idle.
			t.Parallel()
			if len(declared[name]) == 0 {
				t.Errorf("no check declares a case for the quirk %s: what does it prove?", name)
			}
			report := filepath.Join(t.TempDir(), "report.json")
			cmd := exec.Command(bin, "run", "--target", "reference", "--quirk", name, "--quiet", "--json", report)
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			reps, err := reports.Load(report)
			if err != nil {
				t.Fatalf("run --quirk %s: %v (%v)\n%s", name, err, runErr, lastLines(stderr.String(), 20))
			}
			var bad []string
			for _, r := range reports.Results(reports.Merge(reps...)) {
				if r.Verdict == "FAIL" || r.Verdict == "ERROR" {
					bad = append(bad, fmt.Sprintf("%s %s: %s", r.Verdict, r.ID, r.Headline()))
				}
				if want, ok := declared[name][r.ID]; ok && !slices.Contains(want, r.Verdict) {
					bad = append(bad, fmt.Sprintf("%s under %s: %s, want one of %v: %s", r.ID, name, r.Verdict, want, r.Headline()))
				}
			}
			for _, b := range bad {
				t.Error(b)
			}
			if runErr != nil && len(bad) == 0 {
				t.Errorf("run --quirk %s: %v\n%s", name, runErr, lastLines(stdout.String(), 5))
			}
			t.Log(lastLines(stdout.String(), 1))
		})
	}
}
