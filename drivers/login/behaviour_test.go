package login_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/login"
	"github.com/oauthcheck/oauthcheck/reference"
)

func startQuirked(t *testing.T, quirks ...string) *refServer {
	t.Helper()
	ref, err := reference.New(reference.DefaultConfig(), reference.WithQuirk(quirks...))
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

// The js-login quirk's login is a script app in two steps posted by
// fetch(), its consent has the scopes as unticked checkboxes, and a
// "Continue" page comes before the redirect.
func TestAutoJSLogin(t *testing.T) {
	t.Parallel()
	ref := startQuirked(t, "js-login")
	s := newSession(t)
	u, state := authURL(ref.URL)
	cb, err := s.Authorize(ctxFor(t, 30*time.Second), u, []string{redirectURI}, login.Auto{}, ref.task())
	if err != nil {
		t.Fatalf("Authorize: %v\nsteps %+v", err, s.Steps())
	}
	if cb.Param("code") == "" || cb.Param("state") != state || cb.Param("iss") != ref.URL {
		t.Errorf("callback %s, want a code, state %q and iss %q", cb.URL, state, ref.URL)
	}
	if diff := cmp.Diff([]string{"login", "login", "approve", "continue"}, actions(s.Steps())); diff != "" {
		t.Errorf("actions mismatch (-want +got):\n%s", diff)
	}

	n := len(s.Steps())
	u, state = authURL(ref.URL)
	task := ref.task()
	task.Deny = true
	cb, err = s.Authorize(ctxFor(t, 30*time.Second), u, []string{redirectURI}, login.Auto{}, task)
	if err != nil {
		t.Fatalf("Authorize to deny: %v", err)
	}
	if cb.Param("error") != "access_denied" || cb.Param("state") != state || cb.Param("code") != "" {
		t.Errorf("denied callback %s, want error=access_denied and the state", cb.URL)
	}
	if diff := cmp.Diff([]string{"deny"}, actions(s.Steps()[n:])); diff != "" {
		t.Errorf("actions of the denial mismatch (-want +got):\n%s", diff)
	}
}

func TestAutoJSLoginDevice(t *testing.T) {
	t.Parallel()
	ref := startQuirked(t, "js-login")
	s := newSession(t)
	dev := startDevice(t, ref.URL)
	task := ref.task()
	task.UserCode = dev.UserCode
	if err := s.VerifyDevice(ctxFor(t, 30*time.Second), dev.VerificationURI, login.Auto{}, task); err != nil {
		t.Fatalf("VerifyDevice: %v\nsteps %+v", err, s.Steps())
	}
	if diff := cmp.Diff([]string{"login", "login", "user_code", "approve"}, actions(s.Steps())); diff != "" {
		t.Errorf("actions mismatch (-want +got):\n%s", diff)
	}
	if status, body := pollDevice(t, ref.URL, dev.DeviceCode); status != 200 || body["access_token"] == nil {
		t.Errorf("token poll after approval: %d %v", status, body)
	}
}

// Asked to deny where the page offers Allow alone, the actors say so.
func TestNoDeny(t *testing.T) {
	all := actors(t)
	cases := []struct {
		actor  string
		quirks []string
		device bool
	}{
		{"auto", []string{"consent-no-deny"}, false},
		{"builtin:reference", []string{"consent-no-deny"}, false},
		{"auto", []string{"consent-no-deny"}, true},
		{"builtin:reference", []string{"consent-no-deny"}, true},
		{"auto", []string{"consent-no-deny", "js-login"}, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/device=%v", c.actor, strings.Join(c.quirks, "+"), c.device), func(t *testing.T) {
			t.Parallel()
			ref := startQuirked(t, c.quirks...)
			s := newSession(t)
			task := ref.task()
			task.Deny = true
			var err error
			if c.device {
				dev := startDevice(t, ref.URL)
				task.UserCode = dev.UserCode
				err = s.VerifyDevice(ctxFor(t, 30*time.Second), dev.VerificationURI, all[c.actor], task)
			} else {
				u, _ := authURL(ref.URL)
				var cb *browser.Callback
				cb, err = s.Authorize(ctxFor(t, 30*time.Second), u, []string{redirectURI}, all[c.actor], task)
				if cb != nil {
					t.Errorf("callback %s", cb.URL)
				}
			}
			var ep *browser.ErrorPage
			if !errors.Is(err, browser.ErrNoDeny) || errors.Is(err, browser.ErrStuck) || errors.As(err, &ep) {
				t.Fatalf("err = %v; want ErrNoDeny alone\nsteps %+v", err, s.Steps())
			}
			if !strings.Contains(err.Error(), ref.URL) {
				t.Errorf("err %q does not name the page", err)
			}
			if slices.Contains(actions(s.Steps()), "approve") {
				t.Errorf("actions %q: approved when asked to deny", actions(s.Steps()))
			}
		})
	}
}

// A user code that the server does not take is a refusal: the page is an
// error page of its kind, and the harness is not stuck.
func TestCodeOnceRefused(t *testing.T) {
	for name, actor := range actors(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ref := startReference(t)
			s := newSession(t)
			dev := startDevice(t, ref.URL)
			task := ref.task()
			task.UserCode = "WXYZ-BCDF"
			if task.UserCode == dev.UserCode {
				t.Skip("the device got the wrong code")
			}
			err := s.VerifyDevice(ctxFor(t, 30*time.Second), dev.VerificationURI, login.CodeOnce(actor), task)
			var ep *browser.ErrorPage
			if !errors.Is(err, login.ErrUserCodeRefused) || !errors.As(err, &ep) || errors.Is(err, browser.ErrStuck) {
				t.Fatalf("VerifyDevice with a wrong code = %v; want ErrUserCodeRefused and an *ErrorPage, not ErrStuck", err)
			}
			if ep.Status != http.StatusBadRequest || !strings.Contains(ep.Text, "unknown or expired") || !strings.Contains(ep.URL, "/device") {
				t.Errorf("error page %+v, want the device page's 400 and its message", ep)
			}
		})
	}
}

// formlessServer is a login app without forms, as hosted login pages
// often are: the username, then the password, each posted by fetch() from
// a button's click handler; a consent with the scopes as unticked
// checkboxes, "Continue" and "Cancel"; then a page that links back to the
// application, which redirects to the redirect URI.
func formlessServer(t *testing.T) *httptest.Server {
	t.Helper()
	const app = `<!doctype html><title>Sign in</title><div id="app"></div><script>
const app = document.getElementById('app'), state = new URLSearchParams(location.search).get('state');
const post = (path, body) => fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)}).then(r => r.json());
const show = html => { app.innerHTML = html; };
function identify() {
  show('<div class="field"><span>Email</span><input id="email" aria-label="Email address"></div><div class="btn" role="button" id="next">Next</div><a href="/help">Need help?</a>');
  document.getElementById('next').addEventListener('click', async () => {
    const a = await post('/api/identify', {email: document.getElementById('email').value});
    if (a.ok) setTimeout(() => password(a.who), 150); else show('<p>Unknown account</p>');
  });
}
function password(who) {
  show('<p>Hello ' + who + '</p><input type="password" id="secret"><button id="signin" type="button">Sign in</button><button type="button">Forgot password?</button>');
  document.getElementById('signin').addEventListener('click', async () => {
    const a = await post('/api/password', {email: who, password: document.getElementById('secret').value});
    if (a.ok) consent(); else show('<p id="err">Wrong password</p>');
  });
}
function consent() {
  show('<h2>Demo app wants to access your account</h2><label><input type="checkbox" value="read"> Read your profile</label>' +
    '<label><input type="checkbox" value="write"> Update your profile</label>' +
    '<label><input type="checkbox" id="remember"> Remember my decision</label>' +
    '<div><button id="cancel" type="button">Cancel</button><button id="ok" type="button">Continue</button></div>');
  const decide = async action => {
    const scopes = [...document.querySelectorAll('input[type=checkbox][value]')].filter(b => b.checked).map(b => b.value);
    const a = await post('/api/consent', {action: action, scopes: scopes, state: state,
      remember: document.getElementById('remember').checked});
    location.assign(a.next);
  };
  document.getElementById('ok').addEventListener('click', () => decide('approve'));
  document.getElementById('cancel').addEventListener('click', () => decide('deny'));
}
identify();
</script>`
	cb := func(q url.Values) string { return redirectURI + "?" + q.Encode() }
	answer := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(app))
	})
	mux.HandleFunc("POST /api/identify", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Email string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		time.Sleep(100 * time.Millisecond) // a server takes its time
		answer(w, map[string]any{"ok": req.Email == "alice", "who": req.Email})
	})
	mux.HandleFunc("POST /api/password", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Email, Password string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		time.Sleep(100 * time.Millisecond)
		answer(w, map[string]any{"ok": req.Email == "alice" && req.Password == "pw-alice"})
	})
	mux.HandleFunc("POST /api/consent", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Action, State string
			Scopes        []string
			Remember      bool
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		switch {
		case req.Action == "deny":
			answer(w, map[string]string{"next": cb(url.Values{"error": {"access_denied"}, "state": {req.State}})})
		case req.Remember || len(req.Scopes) != 2:
			answer(w, map[string]string{"next": "/oops?why=" + url.QueryEscape(fmt.Sprintf("scopes %v, remember %v", req.Scopes, req.Remember))})
		default:
			answer(w, map[string]string{"next": "/done?state=" + url.QueryEscape(req.State)})
		}
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>All set</title><p>You are signed in.</p><a id="back" href="/go?state=%s">Back to the application</a>`,
			html.EscapeString(url.QueryEscape(r.FormValue("state"))))
	})
	mux.HandleFunc("GET /go", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, cb(url.Values{"code": {"formless-code"}, "state": {r.FormValue("state")}}), http.StatusFound)
	})
	// An error page that also links back to the application: no actor
	// may follow it.
	mux.HandleFunc("GET /oops", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Sign in</title><p>Something went wrong: invalid request (%s).</p><a href="/go?state=oops">Back to the application</a>`,
			html.EscapeString(r.FormValue("why")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestAutoFormlessLogin(t *testing.T) {
	t.Parallel()
	srv := formlessServer(t)
	s := newSession(t)
	task := browser.Task{Username: "alice", Password: "pw-alice"}
	cb, err := s.Authorize(ctxFor(t, 30*time.Second), srv.URL+"/authorize?state=st-1", []string{redirectURI}, login.Auto{}, task)
	if err != nil {
		t.Fatalf("Authorize: %v\nsteps %+v", err, s.Steps())
	}
	if cb.Param("code") != "formless-code" || cb.Param("state") != "st-1" {
		t.Errorf("callback %s, want the code and the state", cb.URL)
	}
	if diff := cmp.Diff([]string{"login", "login", "approve", "continue"}, actions(s.Steps())); diff != "" {
		t.Errorf("actions mismatch (-want +got):\n%s", diff)
	}

	// Denying, "Continue" is no approval when there is a "Cancel".
	s = newSession(t)
	task.Deny = true
	cb, err = s.Authorize(ctxFor(t, 30*time.Second), srv.URL+"/authorize?state=st-2", []string{redirectURI}, login.Auto{}, task)
	if err != nil {
		t.Fatalf("Authorize to deny: %v\nsteps %+v", err, s.Steps())
	}
	if cb.Param("error") != "access_denied" || cb.Param("state") != "st-2" {
		t.Errorf("callback %s, want access_denied", cb.URL)
	}
	if diff := cmp.Diff([]string{"login", "login", "deny"}, actions(s.Steps())); diff != "" {
		t.Errorf("actions mismatch (-want +got):\n%s", diff)
	}
}

func TestAutoLeavesErrorPagesAlone(t *testing.T) {
	t.Parallel()
	srv := formlessServer(t)
	s := newSession(t)
	cb, err := s.Authorize(ctxFor(t, 20*time.Second), srv.URL+"/oops?why=test", []string{redirectURI}, login.Auto{},
		browser.Task{Username: "alice", Password: "pw-alice"})
	var ep *browser.ErrorPage
	if !errors.As(err, &ep) || ep.Status != 200 || !strings.Contains(ep.Text, "invalid request (test)") {
		t.Fatalf("Authorize at an error page = %v, %v; want an *ErrorPage, no click on its link", cb, err)
	}
	if a := actions(s.Steps()); len(a) != 0 {
		t.Errorf("actions %q on an error page", a)
	}
}

// lateServer draws its login form by script a second after the page has
// loaded.
func lateServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Sign in</title><div id="root"><p>Loading</p></div><script>
setTimeout(() => { document.getElementById('root').innerHTML = '<form id="late-form" method="post" action="/login">' +
  '<input type="hidden" name="state" value="%s"><input id="user" name="user"><input id="pw" name="pw" type="password">' +
  '<button id="go">Go</button></form>'; }, 1000);
</script>`, html.EscapeString(r.FormValue("state")))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("user") != "alice" || r.FormValue("pw") != "pw-alice" {
			http.Error(w, "wrong", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, redirectURI+"?code=late-code&state="+url.QueryEscape(r.FormValue("state")), http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestScriptWaitsForItsSelector(t *testing.T) {
	t.Parallel()
	script, err := login.ParseScript([]byte(`
name: late
steps:
  - name: login
    when: {selector: "#late-form"}
    fill: {"#user": "{{username}}", "#pw": "{{password}}"}
    click: "#go"
`))
	if err != nil {
		t.Fatal(err)
	}
	srv := lateServer(t)
	s := newSession(t)
	for i, state := range []string{"first", "second", "third"} {
		cb, err := s.Authorize(ctxFor(t, 20*time.Second), srv.URL+"/authorize?state="+state, []string{redirectURI}, script,
			browser.Task{Username: "alice", Password: "pw-alice"})
		if err != nil {
			t.Fatalf("visit %d: Authorize: %v", i+1, err)
		}
		if cb.Param("code") != "late-code" || cb.Param("state") != state {
			t.Errorf("visit %d: callback %s", i+1, cb.URL)
		}
	}
}
