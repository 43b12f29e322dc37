package browser_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/login"
)

// pages serves fixed HTML pages by path, each with its status.
type page struct {
	status int
	html   string
}

func servePages(t *testing.T, pages map[string]page) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if p.status != 0 {
			w.WriteHeader(p.status)
		}
		_, _ = w.Write([]byte(p.html))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func authorizeAt(t *testing.T, u string, actor browser.Actor, d time.Duration) (*browser.Session, *browser.Callback, error, time.Duration) {
	t.Helper()
	s := newSession(t)
	start := time.Now()
	cb, err := s.Authorize(ctxFor(t, d), u, []string{redirectURI}, actor, browser.Task{Username: "alice", Password: "pw-alice"})
	return s, cb, err, time.Since(start)
}

func TestAuthorizeErrorPages(t *testing.T) {
	t.Parallel()
	srv := servePages(t, map[string]page{
		// A 400 with a button: the status tells.
		"/status": {400, `<!doctype html><title>Bad request</title><h1>invalid redirect_uri</h1>
<p>The redirect_uri does not match a registered one.</p><button onclick="history.back()">Back</button>`},
		// A 200 without controls whose text reads like an error.
		"/text": {200, `<!doctype html><title>Sign in</title><main><h2>Oops</h2><p>The application is not registered.</p><a href="/">Home</a></main>`},
	})
	for _, path := range []string{"/status", "/text"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			_, cb, err, took := authorizeAt(t, srv.URL+path+"?state=s1", login.Auto{}, 20*time.Second)
			var ep *browser.ErrorPage
			if !errors.As(err, &ep) || errors.Is(err, browser.ErrStuck) {
				t.Fatalf("Authorize = %v, %v; want an *ErrorPage and not ErrStuck", cb, err)
			}
			want := map[string]int{"/status": 400, "/text": 200}[path]
			if ep.Status != want || !strings.HasPrefix(ep.URL, srv.URL+path) || ep.Text == "" || strings.Contains(ep.Text, "\n") {
				t.Errorf("error page = %+v, want status %d, the URL and the text on one line", ep, want)
			}
			if took > 3*time.Second {
				t.Errorf("took %s to tell an error page", took)
			}
		})
	}
}

// formHTML is a sign-in form that no actor understands: a member number, a
// PIN and a "Launch" button.
const formHTML = `<!doctype html><title>Member access</title><h1>Member access</h1>
<form id="member-form" method="post" action="/nowhere">
<input type="hidden" name="csrf" value="tok">
<label for="member">Member number</label><input id="member" name="member_no">
<label for="pin">PIN</label><input id="pin" name="pin" type="tel" placeholder="4 digits">
<select name="region"><option>EU</option><option>US</option></select>
<button id="launch" type="submit">Launch</button>
</form><a href="/help">Trouble signing in?</a>`

func TestAuthorizeStuckOnUnknownForm(t *testing.T) {
	t.Parallel()
	srv := servePages(t, map[string]page{"/authorize": {200, formHTML}})
	s, cb, err, took := authorizeAt(t, srv.URL+"/authorize?state=s1", login.Auto{}, 20*time.Second)
	var stuck *browser.StuckError
	if !errors.As(err, &stuck) || !errors.Is(err, browser.ErrStuck) || !errors.Is(err, browser.ErrNoCallback) {
		t.Fatalf("Authorize = %v, %v; want a *StuckError that is ErrStuck", cb, err)
	}
	var ep *browser.ErrorPage
	if errors.As(err, &ep) {
		t.Errorf("a page the harness cannot drive is also an error page: %v", err)
	}
	if took > 6*time.Second {
		t.Errorf("took %s to give up on the page", took)
	}
	d := stuck.Diagnosis
	if !strings.HasPrefix(d.URL, srv.URL+"/authorize") || d.Title != "Member access" || d.Status != 200 || !strings.Contains(err.Error(), "/authorize") {
		t.Errorf("diagnosis %s, error %q: want the page's URL, title and status", d, err)
	}
	fields := map[string]browser.Field{}
	for _, f := range d.Fields {
		fields[f.Selector] = f
	}
	if f := fields["#member"]; f.Name != "member_no" || f.Type != "text" || f.Label != "Member number" {
		t.Errorf("field #member = %+v (fields %+v)", f, d.Fields)
	}
	if f := fields["#pin"]; f.Type != "tel" || f.Label != "PIN" || f.Placeholder != "4 digits" {
		t.Errorf("field #pin = %+v (fields %+v)", f, d.Fields)
	}
	if f := fields[`select[name="region"]`]; f.Type != "select" {
		t.Errorf(`field select[name="region"] = %+v (fields %+v)`, f, d.Fields)
	}
	if len(d.Fields) != 3 {
		t.Errorf("fields %+v, want the three visible ones", d.Fields)
	}
	buttons := map[string]browser.Button{}
	for _, b := range d.Buttons {
		buttons[b.Selector] = b
	}
	if b := buttons["#launch"]; b.Text != "Launch" || b.Type != "submit" {
		t.Errorf("button #launch = %+v (buttons %+v)", b, d.Buttons)
	}
	if len(d.Buttons) != 2 {
		t.Errorf("buttons %+v, want Launch and the help link", d.Buttons)
	}
	if len(d.Screenshot) < 8 || string(d.Screenshot[1:4]) != "PNG" || len(d.Screenshot) > 300<<10 {
		t.Errorf("screenshot: %d bytes, want a PNG under 300 KB", len(d.Screenshot))
	}
	script, err := login.ParseScript([]byte(d.Script))
	if err != nil {
		t.Fatalf("the starter script does not parse: %v\n%s", err, d.Script)
	}
	st := script.Steps[0]
	if st.Name != "step" || st.When.Selector != "#member" || st.Click.Value != "#launch" || !regexpMatches(st.When.URL, srv.URL+"/authorize?state=s1") {
		t.Errorf("starter step %+v, want when #member at /authorize and a click on #launch:\n%s", st, d.Script)
	}
	for _, sel := range []string{"#pin", `select[name="region"]`} {
		if !strings.Contains(d.Script, sel) {
			t.Errorf("starter script does not name %s:\n%s", sel, d.Script)
		}
	}
	// Diagnose at any time says the same.
	if again := s.Diagnose(ctxFor(t, 10*time.Second)); len(again.Fields) != 3 || again.Script == "" {
		t.Errorf("Diagnose() = %s", again)
	}
}

func TestAuthorizeActionWithoutEffect(t *testing.T) {
	// Not parallel: it times how fast the harness gives up.
	// The button's click handler does nothing, as a broken script would.
	srv := servePages(t, map[string]page{"/authorize": {200, `<!doctype html><title>Sign in</title>
<form id="f"><input id="username" name="username"><input id="password" name="password" type="password">
<button id="go" type="submit">Sign in</button></form>
<script>document.getElementById('f').addEventListener('submit', e => e.preventDefault());</script>`}})
	_, _, err, took := authorizeAt(t, srv.URL+"/authorize", login.Auto{}, 30*time.Second)
	var stuck *browser.StuckError
	if !errors.As(err, &stuck) || !strings.Contains(stuck.Reason, "unchanged twice") {
		t.Fatalf("Authorize = %v; want a StuckError for an action left without effect twice", err)
	}
	if took > 5*time.Second {
		t.Errorf("took %s to give up, want under 5 s", took)
	}
	if len(stuck.Diagnosis.Actions) != 2 || !strings.HasPrefix(stuck.Diagnosis.Actions[0], "login at "+srv.URL+"/authorize") {
		t.Errorf("diagnosis actions %q, want the two logins", stuck.Diagnosis.Actions)
	}
}

func TestAuthorizeRefreshLoop(t *testing.T) {
	t.Parallel()
	srv := servePages(t, map[string]page{
		"/a": {200, `<!doctype html><meta http-equiv="refresh" content="0; url=/b"><title>a</title><p>Redirecting</p>`},
		"/b": {200, `<!doctype html><meta http-equiv="refresh" content="0; url=/a"><title>b</title><p>Redirecting</p>`},
	})
	_, _, err, took := authorizeAt(t, srv.URL+"/a", login.Auto{}, 40*time.Second)
	var stuck *browser.StuckError
	if !errors.As(err, &stuck) || !strings.Contains(stuck.Reason, "loop") {
		t.Fatalf("Authorize = %v; want a StuckError for the loop", err)
	}
	if took > 15*time.Second {
		t.Errorf("took %s to end the loop", took)
	}
}

func TestAuthorizeQuietPage(t *testing.T) {
	t.Parallel()
	// A page that says nothing wrong and never moves on is no refusal.
	srv := servePages(t, map[string]page{"/authorize": {200, `<!doctype html><title>One moment</title><p>Please wait while we sign you in.</p>`}})
	_, _, err, took := authorizeAt(t, srv.URL+"/authorize", login.Auto{}, 20*time.Second)
	var stuck *browser.StuckError
	if !errors.As(err, &stuck) || !strings.Contains(stuck.Reason, "nothing to do") {
		t.Fatalf("Authorize = %v; want a StuckError: nothing to do", err)
	}
	// The page has no script, frame or refresh: it cannot move on, and
	// the drive does not wait for it to.
	if took > 1500*time.Millisecond {
		t.Errorf("took %s to give up on a static page", took)
	}
}

// A page with nothing to do but a Refresh header moves on by itself: the
// drive waits for it, and the refresh reaches the redirect URI.
func TestAuthorizeRefreshHeaderMovesOn(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Refresh", "1; url="+redirectURI+"?code=c1&state=s1")
		_, _ = w.Write([]byte(`<!doctype html><title>One moment</title><p>Please wait while we sign you in.</p>`))
	}))
	t.Cleanup(srv.Close)
	_, cb, err, _ := authorizeAt(t, srv.URL+"/authorize", login.Auto{}, 20*time.Second)
	if err != nil || cb.Param("code") != "c1" {
		t.Fatalf("Authorize = %v, %v; want the callback that the Refresh header leads to", cb, err)
	}
}

func TestAuthorizeContextEndsIsStuck(t *testing.T) {
	t.Parallel()
	// A script: the page might still move on, so the drive waits for it
	// until the deadline.
	srv := servePages(t, map[string]page{"/authorize": {200, formHTML + "<script>let waiting = true;</script>"}})
	_, _, err, took := authorizeAt(t, srv.URL+"/authorize", login.Auto{}, 900*time.Millisecond)
	if !errors.Is(err, browser.ErrStuck) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Authorize past its deadline = %v; want ErrStuck and the deadline", err)
	}
	if took > 4*time.Second {
		t.Errorf("took %s after a 900ms deadline", took)
	}
}

// TestDiagnoseStarterScript takes the diagnosis of the reference server's
// login page and logs in with the starter script it holds.
func TestDiagnoseStarterScript(t *testing.T) {
	t.Parallel()
	ref := startReference(t)
	s := newSession(t)
	a := newAuthRequest("oauthcheck-p")
	if err := s.Open(ctxFor(t, 20*time.Second), a.url(ref.URL)); err != nil {
		t.Fatal(err)
	}
	d := s.Diagnose(ctxFor(t, 10*time.Second))
	script, err := login.ParseScript([]byte(d.Script))
	if err != nil {
		t.Fatalf("starter script: %v\n%s", err, d.Script)
	}
	st := script.Steps[0]
	if st.Name != "login" || st.Fill["#username"] != "{{username}}" || st.Fill["#password"] != "{{password}}" || st.Click.Value != "#login" {
		t.Errorf("starter step %+v\n%s", st, d.Script)
	}
	b, err := json.Marshal(d)
	if err != nil || !strings.Contains(string(b), `"selector":"#username"`) || strings.Contains(string(b), "screenshot") {
		t.Errorf("Diagnosis as JSON: %s, %v", b, err)
	}
	// The script gets through the login; the consent page is a step it
	// does not have.
	_, err = s.Authorize(ctxFor(t, 20*time.Second), a.url(ref.URL), []string{redirectURI}, script, ref.task())
	var stuck *browser.StuckError
	if !errors.As(err, &stuck) || len(stuck.Diagnosis.Actions) != 1 || !strings.HasPrefix(stuck.Diagnosis.Actions[0], "login at ") {
		t.Fatalf("Authorize with the starter script = %v; want it stuck at the consent page after the login", err)
	}
	decide, err := login.ParseScript([]byte(stuck.Diagnosis.Script))
	if err != nil || decide.Steps[0].Name != "decide" {
		t.Fatalf("starter script of the consent page: %v\n%s", err, stuck.Diagnosis.Script)
	}
	// Both steps together get a fresh session through.
	both := &login.Script{Name: "starter", Steps: append(script.Steps, decide.Steps...)}
	a = newAuthRequest("oauthcheck-p")
	cb, err := newSession(t).Authorize(ctxFor(t, 20*time.Second), a.url(ref.URL), []string{redirectURI}, both, ref.task())
	if err != nil || cb.Param("code") == "" || cb.Param("state") != a.state {
		t.Errorf("Authorize with the starter scripts of both pages = %v, %v", cb, err)
	}
}

func regexpMatches(re, s string) bool {
	r, err := regexp.Compile(re)
	return err == nil && r.MatchString(s)
}

func TestVerifyDeviceRefusedApproval(t *testing.T) {
	t.Parallel()
	// The page that answers the approval is an error page: a refusal.
	srv := servePages(t, map[string]page{
		"/device": {200, `<!doctype html><title>Connect a device</title><form method="post" action="/code">
<label for="user_code">Code</label><input id="user_code" name="user_code"><button type="submit">Continue</button></form>`},
		"/code": {200, `<!doctype html><title>Connect?</title><p>The application asks for access.</p><form method="post" action="/decide">
<button name="action" value="approve">Allow</button><button name="action" value="deny">Deny</button></form>`},
		"/decide": {400, `<!doctype html><title>Expired</title><p>This request has expired.</p>`},
	})
	s := newSession(t)
	err := s.VerifyDevice(ctxFor(t, 20*time.Second), srv.URL+"/device", login.Auto{}, browser.Task{UserCode: "ABCD-EFGH"})
	var ep *browser.ErrorPage
	if !errors.As(err, &ep) || ep.Status != 400 || !strings.HasSuffix(ep.URL, "/decide") {
		t.Fatalf("VerifyDevice = %v; want the *ErrorPage that answered the approval", err)
	}
}

func TestAuthorizeUnreachablePage(t *testing.T) {
	t.Parallel()
	// Continuing leads to a host the browser may not resolve.
	srv := servePages(t, map[string]page{"/done": {200, `<!doctype html><title>All set</title><p>You are signed in.</p>
<a href="http://idp.oauthcheck.invalid/next">Continue</a>`}})
	_, _, err, _ := authorizeAt(t, srv.URL+"/done", login.Auto{}, 20*time.Second)
	var stuck *browser.StuckError
	if !errors.As(err, &stuck) || !strings.Contains(stuck.Reason, "could not load") || !strings.Contains(stuck.Reason, "idp.oauthcheck.invalid") ||
		stuck.Diagnosis.URL != "http://idp.oauthcheck.invalid/next" {
		t.Fatalf("Authorize = %v (%+v); want a StuckError naming the page that did not load", err, stuck)
	}
}

func TestAuthorizeLoginThatDoesNotPass(t *testing.T) {
	t.Parallel()
	// Each wrong login answers with the form and a new message, so the page
	// changes every time; the harness still stops before a lockout.
	var posts atomic.Int32
	mux := http.NewServeMux()
	form := func(w http.ResponseWriter, msg string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Sign in</title><p>%s</p><form method="post" action="/login">
<input id="username" name="username"><input id="password" name="password" type="password"><button>Sign in</button></form>`, msg)
	}
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) { form(w, "Welcome") })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		form(w, fmt.Sprintf("Wrong password, attempt %d", posts.Add(1)))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, _, err, _ := authorizeAt(t, srv.URL+"/authorize", login.Auto{}, 30*time.Second)
	var stuck *browser.StuckError
	if !errors.As(err, &stuck) || !strings.Contains(stuck.Reason, "login action was taken") {
		t.Fatalf("Authorize = %v; want a StuckError for a login that does not pass", err)
	}
	if n := posts.Load(); n > 3 {
		t.Errorf("the harness sent the login %d times, want at most 3", n)
	}
}

// A click that the browser does not carry out within an action's time (a
// busy machine: Chromium answers late; here an overlay that keeps the
// button from being clicked for longer than that) does not end the drive:
// the harness looks for the click's effect and, the page unchanged, acts
// again, as a person would click once more.
func TestAuthorizeClickSlowerThanAnAction(t *testing.T) {
	t.Parallel()
	srv := servePages(t, map[string]page{
		"/authorize": {200, `<!doctype html><title>Allow access?</title><p>The application asks for access.</p>
<div id="veil" style="position:fixed;inset:0;z-index:10;background:rgba(255,255,255,0.01)"></div>
<form method="get" action="/decide"><button name="action" value="approve">Allow</button><button name="action" value="deny">Deny</button></form>
<script>setTimeout(() => document.getElementById('veil').remove(), 6500)</script>`},
		"/decide": {200, `<!doctype html><title>Done</title><script>location.href = ` + "`" + redirectURI + "?code=c1&state=s1`" + `</script>`},
	})
	_, cb, err, _ := authorizeAt(t, srv.URL+"/authorize", login.Auto{}, 40*time.Second)
	if err != nil || cb.Param("code") != "c1" {
		t.Fatalf("Authorize = %v, %v; want the code once the button could be clicked", cb, err)
	}
}
