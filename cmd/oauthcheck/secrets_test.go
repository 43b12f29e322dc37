package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/oauthcheck/oauthcheck/drivers/target/reftarget"
	"github.com/oauthcheck/oauthcheck/reference"
)

// seen records every secret value a reference server hands out: the
// codes, tokens, device and user codes and client secrets in its answers,
// and the private members of its JWK Set.
type seen struct {
	mu     sync.Mutex
	values map[string]bool
}

var secretMembers = []string{"access_token", "refresh_token", "id_token", "code", "device_code", "user_code",
	"client_secret", "registration_access_token", "d", "p", "q", "dp", "dq", "qi"}

func (s *seen) add(v string) {
	if len(v) >= 6 {
		s.mu.Lock()
		s.values[v] = true
		s.mu.Unlock()
	}
}

func (s *seen) record(h http.Header, body []byte) {
	if loc, err := url.Parse(h.Get("Location")); err == nil {
		for _, raw := range []string{loc.RawQuery, loc.Fragment} {
			q, _ := url.ParseQuery(raw)
			for _, k := range secretMembers {
				s.add(q.Get(k))
			}
		}
	}
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, val := range t {
				if str, ok := val.(string); ok {
					for _, m := range secretMembers {
						if k == m {
							s.add(str)
						}
					}
				}
				walk(val)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		walk(v)
	}
}

type recordingWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}

// TestReportsHoldNoSecret runs every check against the reference, strict
// and with its token responses as text/plain and private keys in its JWK
// Set, and searches the console output and every report for every secret
// value the server handed out, its clients' secrets and its user's
// password: none may be there, in any format.
func TestReportsHoldNoSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every check against the reference, twice")
	}
	bin := oauthcheckBin(t)
	for _, weaken := range [][]string{nil, {"jwks-private-key", "token-text-plain"}} {
		t.Run(strings.Join(append([]string{"strict"}, weaken...), "+"), func(t *testing.T) {
			cfg := reference.DefaultConfig()
			reftarget.Quick(&cfg)
			ref, err := reference.New(cfg, reference.WithWeakness(weaken...))
			if err != nil {
				t.Fatal(err)
			}
			s := &seen{values: map[string]bool{}}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rw := &recordingWriter{ResponseWriter: w}
				ref.ServeHTTP(rw, r)
				s.record(w.Header(), rw.buf.Bytes())
			}))
			defer srv.Close()
			if err := ref.SetIssuer(srv.URL); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			tc := reftarget.TargetConfig(ref)
			raw, err := tc.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			cfgPath := filepath.Join(dir, "ref.yaml")
			if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			files := []string{filepath.Join(dir, "r.json"), filepath.Join(dir, "j.xml"), filepath.Join(dir, "r.html")}
			cmd := exec.Command(bin, "run", "--target", srv.URL, "--config", cfgPath, "--json", files[0], "--junit", files[1], "--html", files[2])
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			_ = cmd.Run() // the weakened run fails its checks: exit 1
			for _, c := range tc.Clients {
				s.add(c.Secret)
			}
			s.add(tc.User.Password)
			if len(s.values) < 50 {
				t.Fatalf("only %d secret values seen: the run did not get far\n%s", len(s.values), lastLines(stderr.String(), 20))
			}
			outputs := map[string][]byte{"stdout": stdout.Bytes(), "stderr": stderr.Bytes()}
			for _, f := range files {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatalf("report %s: %v", f, err)
				}
				outputs[filepath.Base(f)] = raw
			}
			for v := range s.values {
				for _, form := range []string{v, url.QueryEscape(v)} {
					for name, out := range outputs {
						if bytes.Contains(out, []byte(form)) {
							t.Errorf("%s holds a secret the server handed out: %.12s…", name, form)
						}
					}
				}
			}
			t.Logf("%d secret values, none in any report", len(s.values))
		})
	}
}
