package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/reports"
)

// A reference weakened in two flows yields exactly those failures, in the
// JSON, JUnit and HTML reports alike and in the exit code.
func TestReportsOfTwoWeakenedFlows(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the browser flows")
	}
	bin := oauthcheckBin(t)
	dir := t.TempDir()
	j, x, h := filepath.Join(dir, "r.json"), filepath.Join(dir, "j.xml"), filepath.Join(dir, "r.html")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--target", "reference", "--weaken", "code-reuse,refresh-no-rotation",
		"--flows", "authcode,refresh", "--quiet", "--json", j, "--junit", x, "--html", h,
		"--label-filter", "id: containsAny {AUTHCODE-CODE-REUSE, AUTHCODE-STATE-ECHO, REFRESH-ROTATION, REFRESH-CLIENT-BINDING}")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailed {
		t.Fatalf("run: %v, want exit %d\n%s", err, exitFailed, out.String())
	}
	want := []string{"AUTHCODE-CODE-REUSE", "REFRESH-ROTATION"}

	reps, err := reports.Load(j)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON []string
	for _, r := range reports.Results(reports.Merge(reps...)) {
		if r.Verdict == "FAIL" {
			fromJSON = append(fromJSON, r.ID)
		}
	}
	sort.Strings(fromJSON)
	if diff := cmp.Diff(want, fromJSON); diff != "" {
		t.Errorf("FAILs in the JSON report (-want +got):\n%s", diff)
	}

	raw, err := os.ReadFile(x)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(raw, &suites); err != nil {
		t.Fatalf("JUnit: %v", err)
	}
	var fromJUnit []string
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				fromJUnit = append(fromJUnit, regexp.MustCompile(`^[A-Z0-9-]+`).FindString(c.Name))
			}
		}
	}
	sort.Strings(fromJUnit)
	if diff := cmp.Diff(want, fromJUnit); diff != "" {
		t.Errorf("failures in the JUnit report (-want +got):\n%s", diff)
	}

	html, err := os.ReadFile(h)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`id="count-FAIL"[^>]*>\s*(\d+)`).FindSubmatch(html)
	if m == nil || string(m[1]) != "2" {
		t.Errorf("HTML count-FAIL: %q, want 2", m)
	}
	for _, id := range want {
		if !bytes.Contains(html, []byte(id)) {
			t.Errorf("HTML does not name %s", id)
		}
	}
}
