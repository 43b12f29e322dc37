package login_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

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

func newSession(t *testing.T) *browser.Session {
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
	s, err := shared.NewSession(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// actors are the two ways to act on the reference server's pages: its
// built-in script and the automatic actor.
func actors(t *testing.T) map[string]browser.Actor {
	t.Helper()
	script, err := login.Load("builtin:reference")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]browser.Actor{"builtin:reference": script, "auto": login.Auto{}}
}

type refServer struct {
	*reference.Server
	URL string
}

func startReference(t *testing.T) *refServer {
	t.Helper()
	ref, err := reference.New(reference.DefaultConfig())
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

// authURL is an authorization request for the public client with PKCE
// S256; it returns the URL and the state.
func authURL(issuer string) (string, string) {
	state := oauth2.GenerateVerifier()
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {"oauthcheck-p"},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid"},
		"state":                 {state},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"},
	}
	return issuer + "/authorize?" + q.Encode(), state
}

func actions(steps []evidence.Step) []string {
	var out []string
	for _, st := range steps {
		if st.Kind == "action" {
			out = append(out, st.Action)
		}
	}
	return out
}

func TestAuthorizeWithEachActor(t *testing.T) {
	for name, actor := range actors(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ref := startReference(t)
			s := newSession(t)
			u, state := authURL(ref.URL)
			cb, err := s.Authorize(ctxFor(t, 20*time.Second), u, []string{redirectURI}, actor, ref.task())
			if err != nil {
				t.Fatalf("Authorize: %v\nsteps %+v", err, s.Steps())
			}
			if cb.Param("code") == "" || cb.Param("state") != state || cb.Param("iss") != ref.URL {
				t.Errorf("callback %s, want code, state %q and iss %q", cb.URL, state, ref.URL)
			}
			fromPost := false
			for _, st := range s.Steps() {
				fromPost = fromPost || (st.Kind == "redirect" && st.Status == http.StatusSeeOther && st.FromPost)
			}
			if !fromPost {
				t.Errorf("no 303 redirect answering a form POST among the steps: %+v", s.Steps())
			}
			if diff := cmp.Diff([]string{"login", "approve"}, actions(s.Steps())); diff != "" {
				t.Errorf("actions mismatch (-want +got):\n%s", diff)
			}

			// The second authorization reuses the login, and denies.
			n := len(s.Steps())
			u, state = authURL(ref.URL)
			task := ref.task()
			task.Deny = true
			cb, err = s.Authorize(ctxFor(t, 20*time.Second), u, []string{redirectURI}, actor, task)
			if err != nil {
				t.Fatalf("second Authorize: %v", err)
			}
			if cb.Param("error") != "access_denied" || cb.Param("state") != state || cb.Param("code") != "" {
				t.Errorf("denied callback %s, want error=access_denied and the state", cb.URL)
			}
			if diff := cmp.Diff([]string{"deny"}, actions(s.Steps()[n:])); diff != "" {
				t.Errorf("actions of the second authorization mismatch (-want +got); it must reuse the login:\n%s", diff)
			}
		})
	}
}

func TestVerifyDeviceWithEachActor(t *testing.T) {
	cases := []struct {
		actor string
		deny  bool
	}{{"builtin:reference", false}, {"auto", false}, {"builtin:reference", true}}
	all := actors(t)
	for _, c := range cases {
		actor, deny := all[c.actor], c.deny
		{
			t.Run(fmt.Sprintf("%s/deny=%v", c.actor, deny), func(t *testing.T) {
				t.Parallel()
				ref := startReference(t)
				s := newSession(t)
				dev := startDevice(t, ref.URL)
				task := ref.task()
				task.UserCode, task.Deny = dev.UserCode, deny
				if err := s.VerifyDevice(ctxFor(t, 20*time.Second), dev.VerificationURI, actor, task); err != nil {
					t.Fatalf("VerifyDevice: %v\nsteps %+v", err, s.Steps())
				}
				decision := "approve"
				if deny {
					decision = "deny"
				}
				if diff := cmp.Diff([]string{"login", "user_code", decision}, actions(s.Steps())); diff != "" {
					t.Errorf("actions mismatch (-want +got):\n%s", diff)
				}
				status, body := pollDevice(t, ref.URL, dev.DeviceCode)
				switch {
				case !deny && (status != 200 || body["access_token"] == nil):
					t.Errorf("token poll after approval: %d %v", status, body)
				case deny && (status != 400 || body["error"] != "access_denied"):
					t.Errorf("token poll after denial: %d %v, want 400 access_denied", status, body)
				}
			})
		}
	}
}

type device struct {
	DeviceCode      string `json:"device_code"`
	UserCode        string `json:"user_code"`
	VerificationURI string `json:"verification_uri"`
}

func startDevice(t *testing.T, issuer string) *device {
	t.Helper()
	resp, err := http.PostForm(issuer+"/device_authorization", url.Values{"client_id": {"oauthcheck-d"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d device
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 || d.UserCode == "" || d.VerificationURI == "" {
		t.Fatalf("device authorization: %d %v %+v", resp.StatusCode, err, d)
	}
	return &d
}

func pollDevice(t *testing.T, issuer, deviceCode string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(issuer+"/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}, "client_id": {"oauthcheck-d"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// twoStepServer asks for the username on one page and the password on the
// next, as many vendors do, then redirects to the redirect URI.
func twoStepServer(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Sign in</title><body>%s</body>`, body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<form method="post" action="/identify"><input type="hidden" name="state" value="`+html.EscapeString(r.FormValue("state"))+`">
<label for="identifier">Email or username</label><input id="identifier" name="identifier">
<button type="submit" id="next">Next</button></form>`)
	})
	mux.HandleFunc("POST /identify", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"user": {r.FormValue("identifier")}, "state": {r.FormValue("state")}}
		http.Redirect(w, r, "/password?"+q.Encode(), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /password", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<form method="post" action="/password"><p>Hello `+html.EscapeString(r.FormValue("user"))+`</p>
<input type="hidden" name="user" value="`+html.EscapeString(r.FormValue("user"))+`"><input type="hidden" name="state" value="`+html.EscapeString(r.FormValue("state"))+`">
<input type="password" id="pw" name="pw"><button type="submit" id="signin">Sign in</button></form>`)
	})
	mux.HandleFunc("POST /password", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("user") != "alice" || r.FormValue("pw") != "pw-alice" {
			page(w, `<p id="error">Wrong username or password.</p>`)
			return
		}
		http.Redirect(w, r, redirectURI+"?code=twostep-code&state="+url.QueryEscape(r.FormValue("state")), http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestTwoStepLogin(t *testing.T) {
	script, err := login.Load("testdata/twostep.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, actor := range map[string]browser.Actor{"script": script, "auto": login.Auto{}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := twoStepServer(t)
			s := newSession(t)
			cb, err := s.Authorize(ctxFor(t, 20*time.Second), srv.URL+"/authorize?state=st-123", []string{redirectURI}, actor,
				browser.Task{Username: "alice", Password: "pw-alice"})
			if err != nil {
				t.Fatalf("Authorize: %v\nsteps %+v\npage %s", err, s.Steps(), s.Text(ctxFor(t, 5*time.Second)))
			}
			if cb.Param("code") != "twostep-code" || cb.Param("state") != "st-123" {
				t.Errorf("callback %s, want the two-step server's code and state", cb.URL)
			}
			if diff := cmp.Diff([]string{"login", "login"}, actions(s.Steps())); diff != "" {
				t.Errorf("actions mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
