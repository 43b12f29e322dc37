package check

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/client"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/target"
	"github.com/oauthcheck/oauthcheck/suites/catalogue"
)

const testSecret = "registered-client-secret"

// testEnv is an environment whose target is an httptest server that
// answers every request with a small JSON document.
func testEnv(t *testing.T, p Profile) *Env {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"at-from-the-target","path":"`+r.URL.Path+`"}`)
	}))
	t.Cleanup(srv.Close)
	red := evidence.NewRedactor(nil)
	red.Add("client_secret", testSecret)
	hc, err := client.New(client.Options{Redactor: red})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdle)
	return &Env{Target: &target.Target{Issuer: srv.URL, HTTP: hc, Config: &target.Config{Issuer: srv.URL}}, Profile: p}
}

// withBody gives a catalogue ID a body for the duration of the test, as
// check.It does, without registering a ginkgo spec.
func withBody(t *testing.T, id string, body func(*C)) {
	t.Helper()
	if _, ok := catalogue.Lookup(id); !ok {
		t.Fatalf("%s is not in the catalogue", id)
	}
	if bodies[id] != nil {
		t.Fatalf("%s already has a body", id)
	}
	bodies[id] = body
	t.Cleanup(func() { delete(bodies, id) })
}

// withSchedule gives a catalogue ID a scheduling declaration for the
// duration of the test, as check.It does.
func withSchedule(t *testing.T, id string, sc Scheduling) {
	t.Helper()
	old, had := schedules[id]
	schedules[id] = sc
	t.Cleanup(func() {
		if had {
			schedules[id] = old
		} else {
			delete(schedules, id)
		}
	})
}

func run(t *testing.T, env *Env, body func(*C)) *Result {
	t.Helper()
	const id = "AUTHCODE-CODE-REUSE"
	if bodies[id] != nil {
		t.Fatalf("%s already has a body", id)
	}
	bodies[id] = body
	defer delete(bodies, id)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Run(ctx, id, env)
}

func verdicts(fs Findings) []Verdict {
	var out []Verdict
	for _, f := range fs {
		out = append(out, f.Verdict)
	}
	return out
}

func TestRunUnknownID(t *testing.T) {
	env := testEnv(t, BCP)
	for _, id := range []string{"NO-SUCH-CHECK", "JWTAT-SIGNATURE"} { // JWTAT-SIGNATURE: in the catalogue, but no body here
		res := Run(context.Background(), id, env)
		if res.Verdict != Error || len(res.Findings) != 1 || !strings.HasPrefix(res.Findings[0].Message, "no check is registered with ID "+id) {
			t.Errorf("Run(%s) = %s %v; want ERROR \"no check is registered with ID %s\"", id, res.Verdict, res.Findings, id)
		}
		if res.ID != id {
			t.Errorf("Run(%s).ID = %q", id, res.ID)
		}
	}
}

func TestRunHarnessBugs(t *testing.T) {
	tests := []struct {
		name string
		body func(*C)
		want []string
	}{
		{"panic", func(c *C) { c.Pass("got here"); panic("boom") }, []string{"check panicked (a harness bug): boom", "goroutine"}},
		{"nil map", func(c *C) { var m map[string]int; m["x"] = 1 }, []string{"check panicked (a harness bug)", "nil map"}},
		{"nothing recorded", func(c *C) {}, []string{"the check recorded no verdict (a harness bug)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, testEnv(t, BCP), tt.body)
			if res.Verdict != Error {
				t.Errorf("verdict %s, want ERROR (a harness bug is never the server's failure): %v", res.Verdict, res.Findings)
			}
			msg := res.Findings[len(res.Findings)-1].Message
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("last finding %q does not say %q", msg, w)
				}
			}
		})
	}
}

func TestRunVerdicts(t *testing.T) {
	errStep := errors.New("connection reset")
	tests := []struct {
		name         string
		body         func(*C)
		want         Verdict
		wantFindings []Verdict
	}{
		{"pass", func(c *C) { c.Pass("ok") }, Pass, []Verdict{Pass}},
		{"info", func(c *C) { c.Info("tokens are opaque") }, Info, []Verdict{Info}},
		{"pass and info", func(c *C) { c.Info("x"); c.Pass("ok") }, Pass, []Verdict{Info, Pass}},
		{"warn", func(c *C) { c.Pass("ok"); c.Warn("RFC 6749 §10.5", "not revoked") }, Warn, []Verdict{Pass, Warn}},
		{"fail", func(c *C) { c.Fail("RFC 6749 §4.1.2", "reused"); c.Pass("rest ok") }, Fail, []Verdict{Fail, Pass}},
		{"fatal ends the check as ERROR", func(c *C) { c.Pass("first step"); c.Fatalf("step %d failed", 2); c.Pass("unreachable") }, Error, []Verdict{Pass, Error}},
		{"fail now ends the check as FAIL", func(c *C) { c.FailNow("RFC 6749 §5.1", "a fresh code was refused"); c.Pass("unreachable") }, Fail, []Verdict{Fail}},
		{"a broken browser ends browser checks as ERROR", func(c *C) { c.Env.BrowserBroken = "the login page"; c.Session(); c.Pass("unreachable") }, Error, []Verdict{Error}},
		{"skip ends the check", func(c *C) { c.Skipf("grant type not in grant_types_supported"); c.Fail("", "unreachable") }, Skip, []Verdict{Skip}},
		{"require nil goes on", func(c *C) { c.Require(nil, "get a code"); c.Pass("ok") }, Pass, []Verdict{Pass}},
		{"require error ends the check as ERROR", func(c *C) { c.Require(errStep, "get a code"); c.Pass("unreachable") }, Error, []Verdict{Error}},
		{"no browser skips", func(c *C) { c.Session(); c.Pass("unreachable") }, Skip, []Verdict{Skip}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, testEnv(t, BCP), tt.body)
			if res.Verdict != tt.want {
				t.Errorf("verdict %s, want %s: %v", res.Verdict, tt.want, res.Findings)
			}
			if diff := cmp.Diff(tt.wantFindings, verdicts(res.Findings)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
			}
		})
	}
	res := run(t, testEnv(t, BCP), func(c *C) { c.Require(errStep, "get a code") })
	if got := res.Findings[0].Message; got != "get a code: connection reset" {
		t.Errorf("Require's finding = %q, want \"get a code: connection reset\"", got)
	}
	res = run(t, testEnv(t, BCP), func(c *C) { c.Session() })
	if got := res.Findings[0].Message; !strings.Contains(got, "needs a browser") {
		t.Errorf("Session() with no browser: finding %q, want one that says the check needs a browser", got)
	}
}

func TestViolation(t *testing.T) {
	tests := []struct {
		run, strictFrom Profile
		want            Verdict
	}{
		{OAuth2, BCP, Warn},
		{BCP, BCP, Fail},
		{OAuth21, BCP, Fail},
		{OAuth2, OAuth21, Warn},
		{BCP, OAuth21, Warn},
		{OAuth21, OAuth21, Fail},
		{OAuth2, OAuth2, Fail},
	}
	for _, tt := range tests {
		t.Run(tt.run.String()+"/"+tt.strictFrom.String(), func(t *testing.T) {
			res := run(t, testEnv(t, tt.run), func(c *C) {
				c.Violation(tt.strictFrom, "RFC 9700 §2.1.1", "no PKCE required for %s", "oauthcheck-p")
			})
			if res.Verdict != tt.want || len(res.Findings) != 1 {
				t.Fatalf("Violation(%s) under %s: %s %v, want %s", tt.strictFrom, tt.run, res.Verdict, res.Findings, tt.want)
			}
			f := res.Findings[0]
			want := "no PKCE required for oauthcheck-p"
			if tt.want == Warn {
				want += " (FAIL under the " + tt.strictFrom.String() + " profile)"
			}
			if f.Message != want || f.Ref != "RFC 9700 §2.1.1" {
				t.Errorf("finding = %+v, want message %q and the ref", f, want)
			}
		})
	}
}

// A FAIL whose citations are all of a stricter profile than the run's is
// a WARN that says which profile fails it; a citation of RFC 6749 or a
// companion keeps it a FAIL under every profile.
func TestFailUnderProfile(t *testing.T) {
	tests := []struct {
		run  Profile
		ref  string
		now  bool // FailNow
		want Verdict
	}{
		{OAuth2, "RFC 9700 §4.12", false, Warn},
		{BCP, "RFC 9700 §4.12", false, Fail},
		{OAuth2, "RFC 9700 §4.8.2", true, Warn},
		{OAuth2, "RFC 9700 §4.1.3; RFC 6749 §4.1.2.1", false, Fail},
		{OAuth2, "", false, Fail},
		{OAuth2, "RFC 7636 §4.6", true, Fail},
		{BCP, "OAuth 2.1 §2.4.1", false, Warn},
		{OAuth21, "OAuth 2.1 §2.4.1", false, Fail},
		{BCP, "RFC 9700 §2.1.1; OAuth 2.1 §4.1.3", false, Fail},
	}
	for _, tt := range tests {
		t.Run(tt.run.String()+"/"+tt.ref, func(t *testing.T) {
			after := false
			res := run(t, testEnv(t, tt.run), func(c *C) {
				if tt.now {
					c.FailNow(tt.ref, "broke %s", "it")
				}
				c.Fail(tt.ref, "broke %s", "it")
				after = true
			})
			if res.Verdict != tt.want || len(res.Findings) != 1 {
				t.Fatalf("Fail(%q) under %s: %s %v, want %s", tt.ref, tt.run, res.Verdict, res.Findings, tt.want)
			}
			if tt.now && after {
				t.Errorf("FailNow(%q) under %s did not end the check", tt.ref, tt.run)
			}
			want := "broke it"
			if tt.want == Warn {
				want += " (FAIL under the " + DemandedBy(tt.ref).String() + " profile)"
			}
			if f := res.Findings[0]; f.Message != want || f.Ref != tt.ref {
				t.Errorf("finding = %+v, want message %q and the ref", f, want)
			}
		})
	}
}

func TestRunRecordsEvidence(t *testing.T) {
	env := testEnv(t, BCP)
	res := run(t, env, func(c *C) {
		c.Note("first %s", "request")
		resp, err := c.HTTP.Get(c, c.Env.Target.Issuer+"/a", nil)
		c.Require(err, "GET /a")
		c.Pass("got %s with secret %s", resp.Field("path"), testSecret)
		_, err = c.HTTP.Get(c, c.Env.Target.Issuer+"/b", nil)
		c.Require(err, "GET /b")
	})
	if res.Verdict != Pass {
		t.Fatalf("verdict %s: %v", res.Verdict, res.Findings)
	}
	var got [][2]string
	for _, ex := range res.Exchanges {
		got = append(got, [2]string{ex.Note, ex.URL[strings.LastIndex(ex.URL, "/"):]})
	}
	if diff := cmp.Diff([][2]string{{"first request", "/a"}, {"", "/b"}}, got); diff != "" {
		t.Errorf("exchanges (note, path) mismatch (-want +got); a finding ends the note:\n%s", diff)
	}
	if strings.Contains(res.Exchanges[0].ResponseBody, "at-from-the-target") {
		t.Errorf("the recorded response holds the access token: %s", res.Exchanges[0].ResponseBody)
	}
	if msg := res.Findings[0].Message; strings.Contains(msg, testSecret) || !strings.HasPrefix(msg, "got /a with secret <redacted:client_secret#") {
		t.Errorf("finding %q, want the secret redacted", msg)
	}
	if n := len(env.Target.HTTP.Recorder().Exchanges()); n != 0 {
		t.Errorf("the shared client recorded %d exchanges; each check must record into its own", n)
	}
	if res.Duration <= 0 {
		t.Errorf("Duration = %s", res.Duration)
	}
}

// A check has a deadline besides its forced waits: a body that hangs is
// left behind as ERROR, with what it recorded; a body that waits what the
// protocol forces is not cut short.
func TestCheckDeadline(t *testing.T) {
	env := testEnv(t, BCP)
	env.CheckTimeout = 300 * time.Millisecond
	start := time.Now()
	res := run(t, env, func(c *C) {
		c.Pass("first step")
		select {} // a step that ignores its context
	})
	if took := time.Since(start); took > env.CheckTimeout+leftBehind+2*time.Second {
		t.Errorf("Run took %s", took)
	}
	if res.Verdict != Error || !strings.Contains(res.Message(), "deadline passed") || res.Findings[0].Verdict != Pass {
		t.Errorf("a hung check: %s %v", res.Verdict, res.Findings)
	}
	res = run(t, env, func(c *C) {
		c.Wait(500*time.Millisecond, "the polling interval")
		c.Pass("waited longer than the deadline, as the protocol forced")
	})
	if res.Verdict != Pass {
		t.Errorf("a forced wait longer than the deadline: %s %v", res.Verdict, res.Findings)
	}
}

func TestWait(t *testing.T) {
	env := testEnv(t, BCP)
	withBody(t, "DEVICE-SLOW-DOWN-INTERVAL", func(c *C) {
		c.Wait(10*time.Second, "the polling interval")
		c.Pass("unreachable")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := Run(ctx, "DEVICE-SLOW-DOWN-INTERVAL", env)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Run took %s; Wait must end when the check's context does", took)
	}
	if res.Verdict != Error || !strings.Contains(res.Message(), "time ran out while waiting 10s for the polling interval") {
		t.Errorf("Wait past the deadline: %s\n%s", res.Verdict, res.Message())
	}

	res = run(t, env, func(c *C) {
		c.Wait(10*time.Millisecond, "the code to expire")
		_, err := c.HTTP.Get(c, c.Env.Target.Issuer+"/after", nil)
		c.Require(err, "GET")
		c.Pass("ok")
	})
	if res.Verdict != Pass || len(res.Exchanges) != 1 || res.Exchanges[0].Note != "waited 10ms: the code to expire" {
		t.Errorf("Wait: %s %v, exchanges %+v; want PASS and the wait noted on the next exchange", res.Verdict, res.Findings, res.Exchanges)
	}
}

func TestResultMessage(t *testing.T) {
	chk, _ := catalogue.Lookup("AUTHCODE-CODE-REUSE")
	res := &Result{ID: chk.ID, Verdict: Fail, Findings: Findings{
		{Verdict: Pass, Message: "first exchange worked"},
		{Verdict: Fail, Ref: "RFC 6749 §4.1.2", Message: "the replay got 200"},
	}}
	want := "AUTHCODE-CODE-REUSE: " + chk.Requirement + "\nFAIL (RFC 6749 §4.1.2): the replay got 200"
	if got := res.Message(); got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
	unknown := &Result{ID: "NO-SUCH-CHECK", Verdict: Fail, Findings: Findings{{Verdict: Fail, Message: "x"}}}
	if got := unknown.Message(); got != "NO-SUCH-CHECK\nFAIL: x" {
		t.Errorf("Message() of an unknown ID = %q", got)
	}
}

// A wait for the browser, while other checks hold every slot, is the
// run's queue, not the check's time: it does not count against the
// check's deadline, so a busy run does not end checks as ERROR before
// they could start.
func TestDeadlineSparesTheWaitForTheBrowser(t *testing.T) {
	env := testEnv(t, BCP)
	env.CheckTimeout = 500 * time.Millisecond
	env.Browser = &browser.Browser{} // HoldBrowser needs one; no session is opened
	env.BrowserSlots = browser.NewSlots(t.TempDir(), 1)
	release, err := env.BrowserSlots.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(1500*time.Millisecond, release) // another check holds the only slot
	res := run(t, env, func(c *C) {
		c.HoldBrowser()
		c.Pass("got the browser")
	})
	if res.Verdict != Pass {
		t.Errorf("verdict %s, want PASS: %v", res.Verdict, res.Findings)
	}
}

// A Long check takes the browser without waiting for the login
// preflight's verdict; when the verdict says the browser cannot log in,
// the check stops (its login would never pass) and is ERROR with the
// preflight's diagnosis, whatever it found. Another check waits for the
// verdict first.
func TestLongCheckGoesAheadOfThePreflight(t *testing.T) {
	const id = "AUTHCODE-CODE-REUSE"
	for _, tc := range []struct {
		name string
		sc   Scheduling
	}{{"Long", Long}, {"not Long", Scheduling{}}} {
		t.Run(tc.name, func(t *testing.T) {
			withSchedule(t, id, tc.sc)
			env := testEnv(t, BCP)
			env.Browser = &browser.Browser{} // HoldBrowser needs one; no session is opened
			verdictIn := make(chan struct{})
			env.Preflight = func(ctx context.Context) (string, error) {
				const why = "the login preflight could not complete: stuck"
				select {
				case <-verdictIn:
					return why, nil
				default:
				}
				select {
				case <-verdictIn:
					return why, nil
				case <-ctx.Done():
					return "", ctx.Err()
				}
			}
			held := make(chan struct{}, 1)
			done := make(chan *Result, 1)
			go func() {
				done <- run(t, env, func(c *C) {
					c.HoldBrowser()
					held <- struct{}{}
					c.Pass("logged in")
					<-c.Done() // a login that cannot pass, until the check stops
				})
			}()
			select {
			case <-held:
				if !tc.sc.long {
					t.Fatal("a check that is not Long took the browser before the preflight's verdict")
				}
			case <-time.After(300 * time.Millisecond):
				if tc.sc.long {
					t.Fatal("a Long check waited for the preflight's verdict")
				}
			}
			start := time.Now()
			close(verdictIn)
			res := <-done
			if res.Verdict != Error || !strings.Contains(res.Message(), "login preflight could not complete") {
				t.Errorf("verdict %s, want ERROR with the preflight's diagnosis: %v", res.Verdict, res.Findings)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("the check took %s to end after the preflight's verdict", took)
			}
		})
	}
}
