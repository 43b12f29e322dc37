package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
	"github.com/oauthcheck/oauthcheck/suites/check"
)

// TestListCatalogue checks that list prints every check of the catalogue,
// in order, and which of them are built, as a table and as JSON.
func TestListCatalogue(t *testing.T) {
	t.Parallel()
	all := catalogue.All()
	if len(all) != 92 {
		t.Errorf("catalogue has %d checks, want 92", len(all))
	}
	// built is the truth: the IDs with a check.It in the binary. The first
	// groups are built in full.
	built := map[string]bool{}
	for _, id := range check.Registered() {
		built[id] = true
	}
	for _, c := range all {
		if (c.Flow == "discovery" || c.Flow == "authcode" || c.Flow == "pkce") && !built[c.ID] {
			t.Errorf("%s of the %s group has no check.It", c.ID, c.Flow)
		}
	}

	t.Run("table", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		if code := run([]string{"list"}, &stdout, &stderr); code != exitOK || stderr.Len() != 0 {
			t.Fatalf("list: exit %d, stderr %q; want 0 and none", code, stderr.String())
		}
		lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
		if len(lines) != len(all)+1 {
			t.Fatalf("list printed %d lines, want a header and %d rows:\n%s", len(lines), len(all), stdout.String())
		}
		if got := strings.Fields(lines[0]); !cmp.Equal(got, []string{"ID", "FLOW", "PRIO", "LEVEL", "BUILT", "REQUIREMENT"}) {
			t.Errorf("header = %q", lines[0])
		}
		for i, c := range all {
			f := strings.Fields(lines[i+1])
			if len(f) < 6 {
				t.Errorf("row %d = %q, want 6 columns", i+1, lines[i+1])
				continue
			}
			wantBuilt := "no"
			if built[c.ID] {
				wantBuilt = "yes"
			}
			if got, want := f[:5], []string{c.ID, string(c.Flow), string(c.Priority), string(c.Level), wantBuilt}; !cmp.Equal(got, want) {
				t.Errorf("row %d columns = %q, want %q", i+1, got, want)
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		t.Parallel()
		var stdout, stderr bytes.Buffer
		if code := run([]string{"list", "--json"}, &stdout, &stderr); code != exitOK || stderr.Len() != 0 {
			t.Fatalf("list --json: exit %d, stderr %q; want 0 and none", code, stderr.String())
		}
		var rows []struct {
			ID, Flow, Priority string
			Refs               []string
			Implemented        *bool    `json:"implemented"`
			Labels             []string `json:"labels"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
			t.Fatalf("list --json is not a JSON array of objects: %v", err)
		}
		if len(rows) != len(all) {
			t.Fatalf("list --json has %d objects, want %d", len(rows), len(all))
		}
		for i, c := range all {
			r := rows[i]
			if r.ID != c.ID || r.Flow != string(c.Flow) || r.Priority != string(c.Priority) || !cmp.Equal(r.Refs, c.Refs) {
				t.Errorf("object %d = %s %s %s %q, want %s %s %s %q", i, r.ID, r.Flow, r.Priority, r.Refs, c.ID, c.Flow, c.Priority, c.Refs)
			}
			if r.Implemented == nil {
				t.Errorf("%s: no implemented member", c.ID)
			} else if *r.Implemented != built[c.ID] {
				t.Errorf("%s: implemented = %v, want %v", c.ID, *r.Implemented, built[c.ID])
			}
			if diff := cmp.Diff(c.Labels(), r.Labels); diff != "" {
				t.Errorf("%s: labels mismatch (-want +got):\n%s", c.ID, diff)
			}
			if len(r.Labels) < 3 || r.Labels[0] != "id:"+c.ID || r.Labels[1] != "flow:"+string(c.Flow) || !strings.HasPrefix(r.Labels[2], "level:") {
				t.Errorf("%s: labels = %q, want id:, flow: and level: first", c.ID, r.Labels)
			}
		}
	})
}

// TestRunUsageErrors runs run in this process: every case ends before the
// specs would run (ginkgo's RunSpecs can run once per process only).
func TestRunUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const unset = "OAUTHCHECK_TEST_UNSET_SECRET"
	if _, ok := os.LookupEnv(unset); ok {
		t.Fatalf("%s is set in the environment; this test needs it unset", unset)
	}
	unsetCfg := filepath.Join(dir, "unset.yaml")
	if err := os.WriteFile(unsetCfg, []byte("clients:\n  confidential: {id: a, secret: \"${"+unset+"}\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	okCfg := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(okCfg, []byte("issuer: https://127.0.0.1:1\nclients:\n  confidential: {id: a, secret: s}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string // substrings of the one line of stderr
		reason     string
	}{
		{
			name:       "config beside the reference",
			args:       []string{"run", "--target", "reference", "--config", okCfg},
			wantCode:   exitUsage,
			wantStderr: []string{"--target reference", "--config", "oauthcheck reference --write-config"},
			reason:     "the reference brings its own config: the user's would be ignored",
		},
		{
			name:       "no target",
			args:       []string{"run"},
			wantCode:   exitUsage,
			wantStderr: []string{"--target is required", `"reference"`},
			reason:     "run needs a target",
		},
		{
			name:       "unknown flow",
			args:       []string{"run", "--target", "reference", "--flows", "authcode, oidc"},
			wantCode:   exitUsage,
			wantStderr: []string{`"oidc"`, "--flows", "valid: " + strings.Join(flowNames(), ", ")},
			reason:     "an unknown flow is named with the valid ones",
		},
		{
			name:       "unknown profile",
			args:       []string{"run", "--target", "reference", "--profile", "bogus"},
			wantCode:   exitUsage,
			wantStderr: []string{`"bogus"`, "oauth2, bcp, oauth2.1"},
			reason:     "an unknown profile lists the valid ones",
		},
		{
			name:       "unknown fail-on",
			args:       []string{"run", "--target", "reference", "--fail-on", "bogus"},
			wantCode:   exitUsage,
			wantStderr: []string{"--fail-on", `"bogus"`, "must, should"},
			reason:     "--fail-on takes must or should",
		},
		{
			name:       "bad label filter",
			args:       []string{"run", "--target", "reference", "--label-filter", "((flow: containsAny pkce"},
			wantCode:   exitUsage,
			wantStderr: []string{"--label-filter", "Mismatched '('", "#spec-labels"},
			reason:     "ginkgo's parse error, on one line",
		},
		{
			name:       "a report that cannot be written",
			args:       []string{"run", "--target", "reference", "--junit", "/proc/oauthcheck-none/junit.xml"},
			wantCode:   exitUsage,
			wantStderr: []string{"--junit /proc/oauthcheck-none/junit.xml", "cannot make its folder"},
			reason:     "found before the run, not after it",
		},
		{
			name:       "missing config",
			args:       []string{"run", "--target", "reference", "--config", filepath.Join(dir, "missing.yaml")},
			wantCode:   exitUsage,
			wantStderr: []string{"--config", "missing.yaml"},
			reason:     "a config that cannot be read is a configuration error",
		},
		{
			name:       "unset variable",
			args:       []string{"run", "--target", "http://127.0.0.1:1", "--config", unsetCfg},
			wantCode:   exitUsage,
			wantStderr: []string{"--config", unset, "export"},
			reason:     "a secret from an unset variable is a configuration error, found before discovery",
		},
		{
			name:       "weaken without reference",
			args:       []string{"run", "--target", "http://127.0.0.1:1", "--weaken", "code-reuse"},
			wantCode:   exitUsage,
			wantStderr: []string{"--weaken and --quirk need --target reference"},
			reason:     "only the reference server has weaknesses",
		},
		{
			name:       "missing browser",
			args:       []string{"run", "--target", "reference", "--browser", "/nonexistent"},
			wantCode:   exitUsage,
			wantStderr: []string{"/nonexistent", "chromium", "apt-get install", "--browser"},
			reason:     "a browser that is not there says how to get one",
		},
		{
			name:       "unknown flag",
			args:       []string{"run", "--target", "reference", "--flow", "pkce"},
			wantCode:   exitUsage,
			wantStderr: []string{"--flow", "oauthcheck run --help"},
			reason:     "a flag error says where the help is",
		},
		{
			name:       "closed port",
			args:       []string{"run", "--target", "http://127.0.0.1:1", "--no-browser"},
			wantCode:   exitUnreachable,
			wantStderr: []string{"discovery of http://127.0.0.1:1 failed", "--target"},
			reason:     "a target that does not answer is exit 3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d (%s)\nstderr: %s", tt.args, code, tt.wantCode, tt.reason, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want none", stdout.String())
			}
			errOut := stderr.String()
			if strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") || !strings.HasPrefix(errOut, "oauthcheck: ") {
				t.Errorf("stderr = %q, want one line starting with \"oauthcheck: \"", errOut)
			}
			if strings.Contains(errOut, "\x1b") {
				t.Errorf("stderr = %q has terminal escapes", errOut)
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not contain %q (%s)", errOut, w, tt.reason)
				}
			}
		})
	}
}

// execResult is what a run of the oauthcheck binary gave.
type execResult struct {
	code           int
	stdout, stderr string
}

// execOauthcheck runs the oauthcheck command that testscript.Main put on
// PATH, a process of its own: the checks' ginkgo RunSpecs can run only once
// per process.
func execOauthcheck(t *testing.T, dir string, args ...string) execResult {
	t.Helper()
	bin := oauthcheckBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := execResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("oauthcheck %q: %v", args, err)
	}
	return res
}

// TestRunExitCodesOfVerdicts runs the binary for the exit codes that the
// scripts run_fail_on.txtar and run_no_browser.txtar cannot tell apart.
// A browser that is there but does not start is the machine's setup, a
// configuration error (exit 2), with the fix in its one line.
func TestRunBrowserThatDoesNotStart(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run([]string{"run", "--target", "reference", "--flows", "discovery", "--browser", "/bin/false"}, &stdout, &stderr)
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if code != exitUsage {
		t.Errorf("exit %d, want %d\nstderr: %s", code, exitUsage, stderr.String())
	}
	for _, w := range []string{"oauthcheck: ", "/bin/false", "--browser PATH", "--no-browser"} {
		if !strings.Contains(last, w) {
			t.Errorf("the last line of stderr %q does not contain %q", last, w)
		}
	}
}

func TestRunExitCodesOfVerdicts(t *testing.T) {
	t.Parallel()
	warn := []string{"run", "--target", "reference", "--weaken", "password-grant", "--no-browser",
		"--flows", "discovery", "--label-filter", "id: containsAny META-MATCHES-BEHAVIOUR"}
	expectPath := filepath.Join(t.TempDir(), "expect.yaml")
	expectations := "- id: META-MATCHES-BEHAVIOUR\n  verdict: WARN\n  reason: the password grant is on\n" +
		"- id: AUTHCODE-CODE-REUSE\n  verdict: FAIL\n  reason: not in this run\n"
	if err := os.WriteFile(expectPath, []byte(expectations), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantLine string
	}{
		{"warn passes", warn, exitOK, "\n1 check: 0 PASS, 0 FAIL, 0 ERROR, 1 WARN, 0 INFO, 0 SKIP ("},
		{"warn fails with fail-on should", append(warn[:len(warn):len(warn)], "--fail-on", "should"), exitFailed,
			"\n1 check: 0 PASS, 0 FAIL, 0 ERROR, 1 WARN, 0 INFO, 0 SKIP ("},
		{"an expectation of a check the run did not select is listed", append(warn[:len(warn):len(warn)], "--expect", expectPath), exitOK,
			"none was judged:\n  AUTHCODE-CODE-REUSE FAIL: not in this run\n\n1 check: 0 PASS, 0 FAIL, 0 ERROR, 1 WARN, 0 INFO, 0 SKIP; 1 expected, 0 stale ("},
		{"skips pass", []string{"run", "--target", "reference", "--no-browser", "--flows", "pkce"}, exitOK,
			"\n10 checks: 0 PASS, 0 FAIL, 0 ERROR, 0 WARN, 0 INFO, 10 SKIP ("},
		// A public client's refresh token that does not rotate breaks RFC
		// 9700 §4.14.2, which the oauth2 profile does not hold the server to.
		{"a BCP rule fails under bcp", []string{"run", "--target", "reference", "--weaken", "refresh-no-rotation",
			"--flows", "refresh", "--label-filter", "id: containsAny REFRESH-ROTATION"}, exitFailed,
			"\n1 check: 0 PASS, 1 FAIL, 0 ERROR, 0 WARN, 0 INFO, 0 SKIP ("},
		{"a BCP rule warns under oauth2", []string{"run", "--target", "reference", "--weaken", "refresh-no-rotation",
			"--flows", "refresh", "--label-filter", "id: containsAny REFRESH-ROTATION", "--profile", "oauth2"}, exitOK,
			"\n1 check: 0 PASS, 0 FAIL, 0 ERROR, 1 WARN, 0 INFO, 0 SKIP ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := execOauthcheck(t, t.TempDir(), tt.args...)
			if res.code != tt.wantCode {
				t.Errorf("oauthcheck %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, res.code, tt.wantCode, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stdout, tt.wantLine) {
				t.Errorf("stdout does not contain %q:\n%s", tt.wantLine, res.stdout)
			}
		})
	}
}

// TestRunKeepsSecrets runs the checks against a weakened reference server
// served like a vendor's, with its config file, and looks for its
// secrets in everything the run printed and wrote.
func TestRunKeepsSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ref.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serveReference(ctx, referenceFlags{addr: "127.0.0.1:0", weaken: "code-reuse", writeConfig: cfgPath}, &out)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serveReference: %v", err)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "Serving;") {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serveReference returned early: %v\noutput:\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reference server did not start within 5s; output:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cfg, err := target.LoadConfig(cfgPath)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}

	// The secrets, and the Basic credentials made of them.
	secrets := map[string]string{}
	for role, c := range cfg.Clients {
		if c.Secret == "" {
			continue
		}
		secrets[role+" secret"] = c.Secret
		secrets[role+" basic"] = base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID) + ":" + url.QueryEscape(c.Secret)))
	}
	if cfg.User == nil {
		t.Fatal("the config file has no user")
	}
	secrets["password"] = cfg.User.Password
	if cfg.Clients[target.RoleConfidential] == nil || cfg.Clients[target.RoleConfidential2] == nil {
		t.Fatalf("the config file lacks a confidential client: %+v", cfg.Clients)
	}
	for name, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("%s %q is too short to look for", name, s)
		}
	}

	// Code reuse fails; client binding uses the second confidential client.
	report := filepath.Join(dir, "report.json")
	res := execOauthcheck(t, dir, "run", "--target", cfg.Issuer, "--config", cfgPath, "--flows", "authcode",
		"--label-filter", "id: containsAny {AUTHCODE-CODE-REUSE, AUTHCODE-CLIENT-BINDING}", "--json", report)
	if res.code != exitFailed {
		t.Errorf("run: exit %d, want %d (code reuse fails)\nstdout:\n%s\nstderr:\n%s", res.code, exitFailed, res.stdout, res.stderr)
	}
	for _, w := range []string{"\nFAIL     AUTHCODE-CODE-REUSE ", " RFC 6749 §4.1.2: ", "# replay the same code",
		"> POST " + cfg.Issuer + "/token\n", "\n2 checks: 1 PASS, 1 FAIL, 0 ERROR, 0 WARN, 0 INFO, 0 SKIP ("} {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("stdout does not contain %q:\n%s", w, res.stdout)
		}
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("the JSON report: %v", err)
	}
	for what, text := range map[string]string{"stdout": res.stdout, "stderr": res.stderr, "the JSON report": string(raw)} {
		for name, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the %s", what, name)
			}
		}
	}

	// The report is ginkgo's, with a verdict entry per check that ran.
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil {
		t.Fatalf("the JSON report is not a list of ginkgo reports: %v", err)
	}
	if len(reports) != 1 {
		t.Fatalf("the JSON report has %d reports, want 1", len(reports))
	}
	verdicts := map[string]check.Verdict{}
	for _, s := range reports[0].SpecReports {
		for _, e := range s.ReportEntries {
			if e.Name != catalogue.EntryVerdict {
				continue
			}
			var v catalogue.VerdictEntry
			if err := json.Unmarshal([]byte(e.Value.AsJSON), &v); err != nil {
				t.Errorf("%s entry of %q: %v", catalogue.EntryVerdict, s.LeafNodeText, err)
			}
			verdicts[v.ID] = v.Verdict
		}
	}
	want := map[string]check.Verdict{"AUTHCODE-CODE-REUSE": check.Fail, "AUTHCODE-CLIENT-BINDING": check.Pass}
	if diff := cmp.Diff(want, verdicts); diff != "" {
		t.Errorf("verdicts in the JSON report mismatch (-want +got):\n%s", diff)
	}
}

// A run whose reader goes away (oauthcheck run | head) is not killed where
// it writes: it ends as it would, and stops its browser on its way out.
func TestRunWithoutReaderStopsItsBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a flow in the browser")
	}
	t.Parallel()
	bin := oauthcheckBin(t)
	tmp := t.TempDir() // the browser's profile goes there
	cmd := exec.Command(bin, "run", "--target", "reference", "--flows", "discovery")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "NO_COLOR=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // no reader: every write to stdout fails
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	w.Close()
	var ee *exec.ExitError
	if errors.As(err, &ee) && !ee.Exited() {
		t.Fatalf("the run was killed (%v) instead of ending\nstderr:\n%s", ee, stderr.String())
	}
	if !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("stderr does not say that stdout was gone:\n%s", stderr.String())
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if raw, err := os.ReadFile(p); err == nil && bytes.Contains(raw, []byte(tmp)) {
			t.Errorf("a process of the run outlived it: %s", bytes.ReplaceAll(raw, []byte{0}, []byte{' '}))
		}
	}
}
