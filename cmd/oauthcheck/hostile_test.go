package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/reports"
)

// The secrets of testdata/hostile: its clients', its user's, and the
// tokens it issues.
var hostileSecrets = []string{
	"hostile-secret-a-0123456789", "hostile-secret-b-0123456789", "hostile-password-0123456789",
	"hostile-access-token-0123456789abcdef", "hostile-refresh-token-0123456789abcdef", "hostile-device-code-0123456789abcdef",
	base64.StdEncoding.EncodeToString([]byte("hostile-a:hostile-secret-a-0123456789")),
}

// TestHostileServer runs every flow against a server that serves real
// metadata and then misbehaves on every endpoint at once (testdata/hostile:
// /authorize never answers, tokens come as text/plain, the JWK Set drips a
// byte a second, the device endpoint asks for 15-minute polls,
// introspection sends 5 MB, revocation drops the connection). The run must
// end in bounded time with exit 1 or 4, every flow must report its checks
// (no crashed flow), no report may hold a secret, and memory stays bounded.
func TestHostileServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every flow against a misbehaving server")
	}
	bin := oauthcheckBin(t)
	dir := t.TempDir()
	hostile := filepath.Join(dir, "hostile")
	if out, err := exec.Command("go", "build", "-o", hostile, "../../testdata/hostile").CombinedOutput(); err != nil {
		t.Fatalf("build testdata/hostile: %v\n%s", err, out)
	}
	ready := filepath.Join(dir, "ready")
	srv := exec.Command(hostile, "-addr", "127.0.0.1:0", "-ready", ready)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; time.Sleep(50 * time.Millisecond) {
		if raw, err := os.ReadFile(ready); err == nil {
			base = string(raw)
		}
		if time.Now().After(deadline) {
			t.Fatal("testdata/hostile did not start")
		}
	}
	cfg := filepath.Join(dir, "hostile.yaml")
	if err := os.WriteFile(cfg, []byte(`issuer: `+base+`
redirect_uri: https://client.oauthcheck.test/cb
clients:
  confidential:  {id: hostile-a, secret: hostile-secret-a-0123456789, auth_method: client_secret_basic}
  confidential2: {id: hostile-b, secret: hostile-secret-b-0123456789}
  public:        {id: hostile-p}
  device:        {id: hostile-d}
user: {username: alice, password: hostile-password-0123456789}
login: auto
scope: "openid profile"
`), 0o600); err != nil {
		t.Fatal(err)
	}

	const timeout = 90 * time.Second
	files := map[string]string{"json": filepath.Join(dir, "r.json"), "junit": filepath.Join(dir, "j.xml"), "html": filepath.Join(dir, "r.html")}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--config", cfg, "--timeout", timeout.String(), "--quiet",
		"--json", files["json"], "--junit", files["junit"], "--html", files["html"])
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var peak atomic.Int64
	exited := make(chan struct{})
	go func() {
		for {
			if pss, _ := treeUsage(cmd.Process.Pid); pss > peak.Load() {
				peak.Store(pss)
			}
			select {
			case <-ctx.Done():
				return
			case <-exited:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(exited)
	took := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || (ee.ExitCode() != exitFailed && ee.ExitCode() != exitError) {
		t.Fatalf("run against the hostile server: %v, want exit 1 or 4\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), lastLines(stderr.String(), 30))
	}
	if took > timeout+30*time.Second {
		t.Errorf("the run took %s with --timeout %s", took, timeout)
	}
	if p := peak.Load(); p > 1<<30 {
		t.Errorf("peak memory of the run's process tree: %d MB PSS, over 1 GB", p>>20)
	}
	t.Logf("took %s, peak %d MB PSS", took.Round(time.Second), peak.Load()>>20)

	reps, err := reports.Load(files["json"])
	if err != nil {
		t.Fatal(err)
	}
	byFlow := map[string]int{}
	for _, r := range reports.Results(reports.Merge(reps...)) {
		if strings.Contains(r.Requirement, "crashed") {
			t.Errorf("flow %s crashed: %s", r.Flow, r.Headline())
		}
		byFlow[r.Flow]++
	}
	for _, flow := range flowNames() {
		if byFlow[flow] == 0 {
			t.Errorf("flow %s reported no check", flow)
		}
	}
	outputs := map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes()}
	for name, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s report: %v", name, err)
		}
		outputs[name] = raw
	}
	for name, raw := range outputs {
		for _, s := range hostileSecrets {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("the %s holds the secret %q", name, s)
			}
		}
	}
}
