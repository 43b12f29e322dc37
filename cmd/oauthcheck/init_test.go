package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/reports"
)

// oauthcheck init against the reference writes a config with which run
// passes: it discovers the server, registers the clients through RFC 7591
// (their secrets as ${ENV}, the values printed once as export lines) and
// names the user, whose password comes from the environment.
func TestInitAgainstReference(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every check against the reference")
	}
	bin := oauthcheckBin(t)
	srv := startReference(t)
	user := srv.Config().User
	dir := t.TempDir()
	out := filepath.Join(dir, "oauthcheck.yaml")
	cmd := exec.Command(bin, "init", "--target", srv.URL, "--register", "--user", user.Username, "--out", out)
	cmd.Env = append(os.Environ(), "OAUTHCHECK_PASSWORD="+user.Password, "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("init: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"issuer: \"" + srv.URL + "\"", "login: auto", "redirect_uri: \"" + target.DefaultRedirectURI + "\"",
		"secret: \"${OAUTHCHECK_A_SECRET}\"", "password: \"${OAUTHCHECK_PASSWORD}\"", "#   grant types:"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the config lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(string(raw), user.Password) {
		t.Errorf("the config holds the password itself")
	}
	env := append(os.Environ(), "OAUTHCHECK_PASSWORD="+user.Password, "NO_COLOR=1")
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		if !ok {
			t.Fatalf("stdout line %q is not an export line", line)
		}
		name, value, _ := strings.Cut(kv, "=")
		env = append(env, name+"="+strings.ReplaceAll(strings.Trim(value, "'"), `'\''`, "'"))
	}
	if !strings.Contains(stdout.String(), "OAUTHCHECK_A_SECRET=") {
		t.Errorf("no secret printed for the confidential client:\n%s", stdout.String())
	}
	if _, err := target.LoadConfig(out); err == nil {
		t.Errorf("the config loads without its environment; it should name the secrets as ${…}")
	}
	report := filepath.Join(dir, "r.json")
	run := exec.Command(bin, "run", "--config", out, "--quiet", "--json", report)
	run.Env = env
	var rout, rerr bytes.Buffer
	run.Stdout, run.Stderr = &rout, &rerr
	if err := run.Run(); err != nil {
		var bad []string
		if reps, lerr := reports.Load(report); lerr == nil {
			for _, r := range reports.Results(reports.Merge(reps...)) {
				if r.Verdict != "PASS" && r.Verdict != "SKIP" {
					bad = append(bad, fmt.Sprintf("%s %s: %s", r.Verdict, r.ID, r.Headline()))
				}
			}
		}
		t.Fatalf("run with the config that init wrote: %v\n%s\n%s", err, strings.Join(bad, "\n"), lastLines(rerr.String(), 20))
	}
	t.Logf("run: %s", lastLines(rout.String(), 1))
}
