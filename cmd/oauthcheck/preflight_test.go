package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/reports"
)

// A run against a reference whose login page the actor cannot pass (a
// login script whose steps never apply) ends in seconds with exit 4: the
// browser checks are ERROR with the preflight's one reason, the others
// have their verdicts, and the console and the HTML report show the
// diagnosis with a starter login script.
func TestPreflightStopsBrowserChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flows against the reference")
	}
	bin := oauthcheckBin(t)
	srv := startReference(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "login.yaml")
	if err := os.WriteFile(script, []byte("steps:\n  - name: login\n    when: {selector: \"#no-such-form\"}\n    click: \"#no-such-button\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config()
	cfg.Login = script
	raw, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "ref.yaml")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	jsonPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	cmd := exec.Command(bin, "run", "--config", cfgPath, "--flows", "discovery,authcode,clientcreds", "--json", jsonPath, "--html", htmlPath)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Fatalf("run: %v, want exit 4\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("the run took %s: a login that cannot pass must cost seconds", took)
	}
	for _, want := range []string{"The login preflight could not complete", "stopped at: " + srv.URL, "a starter login script"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	reps, err := reports.Load(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	merged := reports.Merge(reps...)
	if reports.MetaOf(merged).Preflight == nil {
		t.Errorf("the JSON report keeps no preflight diagnosis")
	}
	byVerdict := map[string][]string{}
	for _, r := range reports.Results(merged) {
		byVerdict[string(r.Verdict)] = append(byVerdict[string(r.Verdict)], r.ID)
		if r.Verdict == "ERROR" && !strings.Contains(r.Headline(), "login preflight") {
			t.Errorf("%s is ERROR for another reason: %s", r.ID, r.Headline())
		}
		if r.Verdict == "FAIL" {
			t.Errorf("%s FAILs: %s", r.ID, r.Headline())
		}
	}
	if len(byVerdict["ERROR"]) < 10 || len(byVerdict["PASS"]) < 6 {
		t.Errorf("verdicts %v: want the browser checks ERROR and the others judged", byVerdict)
	}
	html, _ := os.ReadFile(htmlPath)
	if !bytes.Contains(html, []byte(`id="preflight"`)) || !bytes.Contains(html, []byte("data:image/png;base64,")) {
		t.Errorf("the HTML report shows no preflight diagnosis with its screenshot")
	}
}

// A config with no test user is a run without a person to log in: the
// checks that need one SKIP and say why, no login preflight fails, and the
// browser checks that need no login (the framing ones) are judged.
func TestRunWithoutTestUser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flows against the reference")
	}
	t.Parallel()
	bin := oauthcheckBin(t)
	srv := startReference(t)
	dir := t.TempDir()
	cfg := srv.Config()
	cfg.User = nil
	raw, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cfgPath, jsonPath := filepath.Join(dir, "ref.yaml"), filepath.Join(dir, "r.json")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfgPath, "--flows", "authcode,security", "--json", jsonPath)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run: %v, want exit 0\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String()+stdout.String(), "preflight") {
		t.Errorf("the run mentions a login preflight:\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	reps, err := reports.Load(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	skippedForUser := 0
	for _, r := range reports.Results(reports.Merge(reps...)) {
		verdicts[r.ID] = string(r.Verdict)
		switch r.Verdict {
		case "ERROR", "FAIL":
			t.Errorf("%s is %s: %s", r.ID, r.Verdict, r.Headline())
		case "SKIP":
			if strings.Contains(r.Headline(), "no test user") {
				skippedForUser++
			}
		}
	}
	if skippedForUser < 8 {
		t.Errorf("%d checks SKIP for want of a test user, want the authorization checks: %v", skippedForUser, verdicts)
	}
	if v := verdicts["CLICKJACK-IFRAME-BLOCKED"]; v != "PASS" {
		t.Errorf("CLICKJACK-IFRAME-BLOCKED is %q, want PASS: the framing needs no login", v)
	}
}
