package browser_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-rod/rod/lib/launcher"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/drivers/login"
	"github.com/oauthcheck/oauthcheck/reference"
)

// One Chromium serves every test of this binary: launched on first use,
// closed by TestMain.
var (
	launchOnce sync.Once
	shared     *browser.Browser
	launchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

func sharedBrowser(t *testing.T) *browser.Browser {
	t.Helper()
	launchOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shared, launchErr = browser.Launch(ctx, browser.Options{})
	})
	if errors.Is(launchErr, browser.ErrNoChromium) {
		t.Skipf("no Chromium on this machine: %v", launchErr)
	}
	if launchErr != nil {
		t.Fatalf("launch Chromium: %v", launchErr)
	}
	return shared
}

func newSession(t *testing.T) *browser.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := sharedBrowser(t).NewSession(ctx)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// refServer is a strict reference server on a loopback port.
type refServer struct {
	*reference.Server
	URL string
}

func startReference(t *testing.T, opts ...reference.Option) *refServer {
	t.Helper()
	ref, err := reference.New(reference.DefaultConfig(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ref)
	t.Cleanup(srv.Close)
	if err := ref.SetIssuer(srv.URL); err != nil {
		t.Fatal(err)
	}
	return &refServer{ref, srv.URL}
}

func (r *refServer) task() browser.Task {
	u := r.Config().Users[0]
	return browser.Task{Username: u.Username, Password: u.Password}
}

const redirectURI = reference.DefaultRedirectURI

// authRequest is an authorization request with PKCE S256, as a careful
// client sends it.
type authRequest struct {
	clientID, state, verifier string
	extra                     url.Values
}

func newAuthRequest(clientID string) *authRequest {
	return &authRequest{clientID: clientID, state: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
}

func (a *authRequest) url(issuer string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {a.clientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid"},
		"state":                 {a.state},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(a.verifier)},
		"code_challenge_method": {"S256"},
	}
	for k, v := range a.extra {
		q[k] = v
	}
	return issuer + "/authorize?" + q.Encode()
}

// redeem exchanges a code at the token endpoint: the code the browser
// caught is a real one.
func redeem(t *testing.T, issuer string, a *authRequest, code string) {
	t.Helper()
	resp, err := http.PostForm(issuer+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {a.clientID}, "code_verifier": {a.verifier},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 || body["access_token"] == nil {
		t.Errorf("redeem the caught code: %d %v", resp.StatusCode, body)
	}
}

func scriptActor(t *testing.T) browser.Actor {
	t.Helper()
	a, err := login.Load("builtin:reference")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestHostResolverRules(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
		want  string
	}{
		{"none", nil, "MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"},
		{"hosts", []string{"idp.example.com", "auth.example.org"},
			"MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1 , EXCLUDE idp.example.com , EXCLUDE auth.example.org"},
		{"duplicates, blanks and loopback dropped", []string{"idp.example.com", "", "idp.example.com", "localhost", "127.0.0.1"},
			"MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1 , EXCLUDE idp.example.com"},
		{"IP literals kept, IPv6 in brackets", []string{"172.17.0.2", "::1", "[::1]", "127.0.0.2"},
			"MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1 , EXCLUDE 172.17.0.2 , EXCLUDE [::1] , EXCLUDE 127.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := browser.HostResolverRules(tt.allow); got != tt.want {
				t.Errorf("HostResolverRules(%q)\n got %q\nwant %q", tt.allow, got, tt.want)
			}
		})
	}
}

func TestHostsOf(t *testing.T) {
	got := browser.HostsOf("https://idp.example.com:8443/realms/x", "relative/path", "http://127.0.0.1:9/", "::bad", "https://[::1]:443/")
	if diff := cmp.Diff([]string{"idp.example.com", "127.0.0.1", "::1"}, got); diff != "" {
		t.Errorf("HostsOf mismatch (-want +got):\n%s", diff)
	}
}

func TestFindBadPath(t *testing.T) {
	const bad = "/no/such/dir/chromium"
	if _, err := browser.Find(bad); err == nil || !strings.Contains(err.Error(), "--browser "+bad) {
		t.Errorf("Find(%q): err = %v, want one naming --browser and the path", bad, err)
	}
	if _, err := browser.Launch(context.Background(), browser.Options{Bin: bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Launch with Bin %q: err = %v, want one naming the path", bad, err)
	}
	if p, err := browser.Find(""); err == nil && p == "" {
		t.Errorf("Find(\"\") = \"\", nil; want a path or ErrNoChromium")
	} else if err != nil && !errors.Is(err, browser.ErrNoChromium) {
		t.Errorf("Find(\"\"): err = %v, want ErrNoChromium when none is found", err)
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	ref := startReference(t)
	s := newSession(t)
	s.SetRedact(evidence.NewRedactor(nil).URL)
	a := newAuthRequest("oauthcheck-p")
	cb, err := s.Authorize(ctxFor(t, 20*time.Second), a.url(ref.URL), []string{redirectURI}, scriptActor(t), ref.task())
	if err != nil {
		t.Fatalf("Authorize: %v\nsteps: %+v", err, s.Steps())
	}
	code := cb.Param("code")
	if code == "" || cb.Param("state") != a.state || cb.Param("iss") != ref.URL {
		t.Errorf("callback %s: code %q, state %q (want %q), iss %q (want %q)", cb.URL, code, cb.Param("state"), a.state, cb.Param("iss"), ref.URL)
	}
	if !strings.HasPrefix(cb.URL.String(), redirectURI+"?") {
		t.Errorf("callback URL %s does not start with the redirect URI", cb.URL)
	}
	redeem(t, ref.URL, a, code)

	steps := s.Steps()
	var kinds, actions []string
	sawPostRedirect, sawLoginPage := false, false
	for _, st := range steps {
		kinds = append(kinds, string(st.Kind))
		if st.Kind == "action" {
			actions = append(actions, st.Action)
		}
		if st.Kind == "redirect" && st.Status == http.StatusSeeOther && st.FromPost {
			sawPostRedirect = true
		}
		if st.Kind == "document" && st.Status == 200 && strings.Contains(st.URL, "/authorize?") {
			sawLoginPage = true
		}
		if strings.Contains(st.URL, code) {
			t.Errorf("step %+v holds the code: Redact was not applied", st)
		}
		if st.At.IsZero() {
			t.Errorf("step %+v has no time", st)
		}
	}
	if diff := cmp.Diff([]string{"login", "approve"}, actions); diff != "" {
		t.Errorf("actions mismatch (-want +got):\n%s\nsteps: %v", diff, kinds)
	}
	if !sawPostRedirect {
		t.Errorf("no 303 redirect with FromPost among the steps: %+v", steps)
	}
	if !sawLoginPage {
		t.Errorf("no document step for the authorization endpoint: %+v", steps)
	}
	if last := steps[len(steps)-1]; last.Kind != "callback" || !strings.Contains(last.URL, "<redacted:code#") {
		t.Errorf("last step = %+v, want the callback with the code redacted", last)
	}
}

// The harness prefers the headless shell, and runs on full Chromium when
// that is all a machine has (or --browser names it): a login, a consent
// and a second authorization in the same session, there too.
func TestAuthorizeInFullChromium(t *testing.T) {
	t.Parallel()
	bin, ok := launcher.LookPath() // go-rod's list: Chrome and Chromium, not the shell
	if !ok {
		t.Skip("no full Chromium on this machine (Debian: apt-get install chromium)")
	}
	ctx := ctxFor(t, 60*time.Second)
	b, err := browser.Launch(ctx, browser.Options{Bin: bin})
	if err != nil {
		t.Fatalf("launch %s: %v", bin, err)
	}
	t.Cleanup(b.Close)
	s, err := b.NewSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ref := startReference(t)
	for i := range 2 {
		a := newAuthRequest("oauthcheck-p")
		cb, err := s.Authorize(ctx, a.url(ref.URL), []string{redirectURI}, scriptActor(t), ref.task())
		if err != nil {
			t.Fatalf("Authorize %d in %s: %v\nsteps: %+v", i+1, bin, err, s.Steps())
		}
		redeem(t, ref.URL, a, cb.Param("code"))
	}
	if diff := cmp.Diff([]string{"login", "approve", "approve"}, actionsOf(s.Steps())); diff != "" {
		t.Errorf("actions in %s (-want +got):\n%s", bin, diff)
	}
}

func TestAuthorizeReusesLogin(t *testing.T) {
	t.Parallel()
	ref := startReference(t)
	s := newSession(t)
	actor := scriptActor(t)
	first, err := s.Authorize(ctxFor(t, 20*time.Second), newAuthRequest("oauthcheck-p").url(ref.URL), []string{redirectURI}, actor, ref.task())
	if err != nil {
		t.Fatalf("first Authorize: %v", err)
	}
	n := len(s.Steps())
	a := newAuthRequest("oauthcheck-p2")
	second, err := s.Authorize(ctxFor(t, 20*time.Second), a.url(ref.URL), []string{redirectURI}, actor, ref.task())
	if err != nil {
		t.Fatalf("second Authorize: %v", err)
	}
	if second.Param("code") == "" || second.Param("code") == first.Param("code") || second.Param("state") != a.state {
		t.Errorf("second callback %s, want a new code and its own state", second.URL)
	}
	actions := actionsOf(s.Steps()[n:])
	if diff := cmp.Diff([]string{"approve"}, actions); diff != "" {
		t.Errorf("actions of the second authorization mismatch (-want +got); the session's login must be reused:\n%s", diff)
	}
}

func TestAuthorizeDeny(t *testing.T) {
	t.Parallel()
	ref := startReference(t)
	s := newSession(t)
	a := newAuthRequest("oauthcheck-p")
	task := ref.task()
	task.Deny = true
	cb, err := s.Authorize(ctxFor(t, 20*time.Second), a.url(ref.URL), []string{redirectURI}, scriptActor(t), task)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if cb.Param("error") != "access_denied" || cb.Param("code") != "" || cb.Param("state") != a.state {
		t.Errorf("callback %s, want error=access_denied with the state and no code", cb.URL)
	}
}

func TestAuthorizeErrorPage(t *testing.T) {
	// Not parallel: it times how fast an error page is told.
	ref := startReference(t)
	s := newSession(t)
	a := newAuthRequest("no-such-client")
	for name, actor := range map[string]browser.Actor{"script": scriptActor(t), "auto": login.Auto{}} {
		start := time.Now()
		cb, err := s.Authorize(ctxFor(t, 20*time.Second), a.url(ref.URL), []string{redirectURI}, actor, ref.task())
		took := time.Since(start)
		var ep *browser.ErrorPage
		if !errors.As(err, &ep) {
			t.Fatalf("%s: Authorize with an unknown client = %v, %v; want an *ErrorPage", name, cb, err)
		}
		if errors.Is(err, browser.ErrStuck) {
			t.Errorf("%s: an error page is also ErrStuck: %v", name, err)
		}
		if ep.Status != http.StatusBadRequest || !strings.Contains(ep.URL, "/authorize") || !strings.Contains(ep.Text, "client_id") ||
			ep.Title != "Request refused" || strings.Contains(ep.Text, "\n") {
			t.Errorf("%s: error page = %+v, want status 400, the URL, the title and the text", name, ep)
		}
		if !strings.Contains(err.Error(), "/authorize") || !strings.Contains(err.Error(), "400") {
			t.Errorf("%s: error %q does not name the page and its status", name, err)
		}
		if took > 3*time.Second { // short of the waits for a page that may move on
			t.Errorf("%s: Authorize took %s to tell an error page, want under 3 s", name, took)
		}
	}
	if text := s.Text(ctxFor(t, 5*time.Second)); !strings.Contains(text, "client_id") {
		t.Errorf("Text() = %q, want the error page's text", text)
	}
	png, err := s.Screenshot(ctxFor(t, 5*time.Second))
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Errorf("Screenshot: %d bytes, %v; want a PNG", len(png), err)
	}
}

func TestAuthorizeFragment(t *testing.T) {
	t.Parallel()
	ref := startReference(t)
	s := newSession(t)
	a := newAuthRequest("oauthcheck-p")
	a.extra = url.Values{"response_mode": {"fragment"}}
	cb, err := s.Authorize(ctxFor(t, 20*time.Second), a.url(ref.URL), []string{redirectURI}, scriptActor(t), ref.task())
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if cb.Query.Get("code") != "" || cb.Fragment.Get("code") == "" || cb.Param("code") != cb.Fragment.Get("code") || cb.Param("state") != a.state {
		t.Errorf("callback %s: query %v fragment %v; want the response in the fragment", cb.URL, cb.Query, cb.Fragment)
	}
}

func TestAuthorizeContextEnds(t *testing.T) {
	t.Parallel()
	// A login page with a script, which might move on by itself: the
	// drive waits for it until the deadline.
	ref := startReference(t, reference.WithQuirk(string(reference.QuirkJSLogin)))
	s := newSession(t)
	idle := actorFunc(func() (browser.Action, error) { return browser.ActNone, nil }) // never logs in
	start := time.Now()
	_, err := s.Authorize(ctxFor(t, 700*time.Millisecond), newAuthRequest("oauthcheck-p").url(ref.URL), []string{redirectURI}, idle, browser.Task{})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline") {
		t.Errorf("Authorize past its deadline: err = %v, want a deadline error", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Authorize took %s after a 700ms deadline", took)
	}
}

func TestVerifyDevice(t *testing.T) {
	t.Parallel()
	ref := startReference(t)
	s := newSession(t)
	dev := startDevice(t, ref.URL, "oauthcheck-d")
	task := ref.task()
	task.UserCode = dev.UserCode
	if err := s.VerifyDevice(ctxFor(t, 20*time.Second), dev.VerificationURI, scriptActor(t), task); err != nil {
		t.Fatalf("VerifyDevice: %v\nsteps %+v", err, s.Steps())
	}
	actions := actionsOf(s.Steps())
	if diff := cmp.Diff([]string{"login", "user_code", "approve"}, actions); diff != "" {
		t.Errorf("actions mismatch (-want +got):\n%s", diff)
	}
	if status, body := pollDevice(t, ref.URL, "oauthcheck-d", dev.DeviceCode); status != 200 || body["access_token"] == nil {
		t.Errorf("token poll after approval: %d %v", status, body)
	}

	// After its decision the session rests, logged in: a pool keeps it,
	// and the next device's user code needs no login.
	pool := browser.NewPool(1)
	t.Cleanup(pool.Close)
	pool.Put(s)
	again := pool.Get(context.Background())
	if again != s {
		t.Fatalf("Get after Put of a session that decided on a user code = %p, want the session %p", again, s)
	}
	next := startDevice(t, ref.URL, "oauthcheck-d")
	task.UserCode = next.UserCode
	if err := again.VerifyDevice(ctxFor(t, 20*time.Second), next.VerificationURI, scriptActor(t), task); err != nil {
		t.Fatalf("VerifyDevice in the pooled session: %v", err)
	}
	actions = actionsOf(again.Steps())
	if diff := cmp.Diff([]string{"user_code", "approve"}, actions); diff != "" {
		t.Errorf("actions in the pooled session mismatch (-want +got); its login must serve:\n%s", diff)
	}
}

func TestConnect(t *testing.T) {
	b := sharedBrowser(t)
	if !strings.HasPrefix(b.ControlURL(), "ws://") {
		t.Errorf("ControlURL() = %q, want a DevTools ws:// URL", b.ControlURL())
	}
	other, err := browser.Connect(ctxFor(t, 10*time.Second), b.ControlURL())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	s, err := other.NewSession(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatalf("NewSession through a connected browser: %v", err)
	}
	s.Close()
	other.Close() // leaves the launched browser running
	s2, err := b.NewSession(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatalf("the launched browser stopped when a connected one closed: %v", err)
	}
	s2.Close()
	if _, err := browser.Connect(ctxFor(t, 5*time.Second), "ws://127.0.0.1:1/devtools/browser/x"); err == nil || !strings.Contains(err.Error(), "browser: connect to") {
		t.Errorf("Connect to nothing: err = %v, want one that says \"browser: connect to\"", err)
	}
}

// device is a device authorization response (RFC 8628 §3.2).
type device struct {
	DeviceCode      string `json:"device_code"`
	UserCode        string `json:"user_code"`
	VerificationURI string `json:"verification_uri"`
}

func startDevice(t *testing.T, issuer, clientID string) *device {
	t.Helper()
	resp, err := http.PostForm(issuer+"/device_authorization", url.Values{"client_id": {clientID}, "scope": {"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d device
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 || d.UserCode == "" {
		t.Fatalf("device authorization: %d %v %+v", resp.StatusCode, err, d)
	}
	return &d
}

func pollDevice(t *testing.T, issuer, clientID, deviceCode string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(issuer+"/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}, "client_id": {clientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

type actorFunc func() (browser.Action, error)

func (f actorFunc) Act(context.Context, *browser.Page, browser.Task) (browser.Action, error) {
	return f()
}

// A pool keeps a session that rests after an authorization, without what
// it recorded, and gives it back logged in; a session used otherwise since
// is closed, not kept.
func TestPool(t *testing.T) {
	t.Parallel()
	ref := startReference(t)
	pool := browser.NewPool(1)
	t.Cleanup(pool.Close)
	s := newSession(t)
	actor := scriptActor(t)
	if _, err := s.Authorize(ctxFor(t, 20*time.Second), newAuthRequest("oauthcheck-p").url(ref.URL), []string{redirectURI}, actor, ref.task()); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	pool.Put(s)
	got := pool.Get(context.Background())
	if got != s {
		t.Fatalf("Get after Put of a session at rest = %p, want the session %p", got, s)
	}
	if n := len(got.Steps()); n != 0 {
		t.Errorf("the pooled session kept %d steps of the check before", n)
	}
	if _, err := got.Authorize(ctxFor(t, 20*time.Second), newAuthRequest("oauthcheck-p").url(ref.URL), []string{redirectURI}, actor, ref.task()); err != nil {
		t.Fatalf("Authorize in the pooled session: %v", err)
	}
	actions := actionsOf(got.Steps())
	if diff := cmp.Diff([]string{"approve"}, actions); diff != "" {
		t.Errorf("actions in the pooled session mismatch (-want +got); its login must serve:\n%s", diff)
	}

	if err := got.Open(ctxFor(t, 10*time.Second), ref.URL+"/.well-known/openid-configuration"); err != nil {
		t.Fatalf("Open: %v", err)
	}
	pool.Put(got)
	if again := pool.Get(context.Background()); again != nil {
		t.Errorf("Get after Put of a session that opened a page since its authorization = %p, want none", again)
	}
	if pool.Get(context.Background()) != nil {
		t.Errorf("an empty pool gave a session")
	}
}

// A session at rest that one process has no room for goes on the run's
// shelf, and another process connected to the same browser takes it,
// logged in: its next authorization shows only the consent page. A pool
// that closes leaves its sessions there too; the shelf holds no more than
// its size, and a session that is not at rest never goes on it.
func TestShelf(t *testing.T) {
	t.Parallel()
	ref := startReference(t)
	b := sharedBrowser(t)
	other, err := browser.Connect(ctxFor(t, 10*time.Second), b.ControlURL())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(other.Close)
	shelf := browser.NewShelf(t.TempDir(), 1)
	here, there := browser.NewPool(0), browser.NewPool(1)
	here.Share(shelf, b)
	there.Share(shelf, other)
	t.Cleanup(here.Close)
	t.Cleanup(there.Close)

	actor := scriptActor(t)
	s := newSession(t)
	if _, err := s.Authorize(ctxFor(t, 20*time.Second), newAuthRequest("oauthcheck-p").url(ref.URL), []string{redirectURI}, actor, ref.task()); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	here.Put(s) // no room here: to the shelf
	got := there.Get(ctxFor(t, 10*time.Second))
	if got == nil {
		t.Fatal("the other process found nothing on the shelf")
	}
	if _, err := got.Authorize(ctxFor(t, 20*time.Second), newAuthRequest("oauthcheck-p").url(ref.URL), []string{redirectURI}, actor, ref.task()); err != nil {
		t.Fatalf("Authorize in the session taken from the shelf: %v", err)
	}
	actions := actionsOf(got.Steps())
	if diff := cmp.Diff([]string{"approve"}, actions); diff != "" {
		t.Errorf("actions in the session taken from the shelf mismatch (-want +got); its login must serve:\n%s", diff)
	}
	if here.Get(ctxFor(t, 10*time.Second)) != nil {
		t.Error("a session taken from the shelf was there again")
	}

	// The other process ends: its pool leaves the session on the shelf,
	// and this one takes it back.
	there.Put(got)
	there.Close()
	back := here.Get(ctxFor(t, 10*time.Second))
	if back == nil {
		t.Fatal("a closing pool did not leave its session on the shelf")
	}
	if _, err := back.Authorize(ctxFor(t, 20*time.Second), newAuthRequest("oauthcheck-p").url(ref.URL), []string{redirectURI}, actor, ref.task()); err != nil {
		t.Fatalf("Authorize in the session taken back: %v", err)
	}

	// Not at rest: closed, not shelved.
	if err := back.Open(ctxFor(t, 10*time.Second), ref.URL+"/.well-known/openid-configuration"); err != nil {
		t.Fatalf("Open: %v", err)
	}
	here.Put(back)
	if s := here.Get(ctxFor(t, 10*time.Second)); s != nil {
		t.Errorf("a session that opened a page since its authorization went on the shelf")
		s.Close()
	}
}

// actionsOf is the actions of the person among steps, in order.
func actionsOf(steps []evidence.Step) []string {
	var actions []string
	for _, st := range steps {
		if st.Kind == "action" {
			actions = append(actions, st.Action)
		}
	}
	return actions
}
