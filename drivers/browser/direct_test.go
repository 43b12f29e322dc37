package browser_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthcheck/oauthcheck/drivers/browser"
	"github.com/oauthcheck/oauthcheck/drivers/evidence"
	"github.com/oauthcheck/oauthcheck/reference"
)

// Against a server that remembers consent, an authorization in a session
// that has logged in needs no page: it goes over plain HTTP with the
// session's cookies, loads no document in the browser, and the cookies
// the server sets on the way reach the session. The first authorization,
// which shows the login and consent pages, goes through the browser.
func TestAuthorizeDirect(t *testing.T) {
	t.Parallel()
	ref, err := reference.New(reference.DefaultConfig(), reference.WithQuirk(string(reference.QuirkConsentRemembered)))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	agents := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authorize" {
			mu.Lock()
			agents[r.Header.Get("User-Agent")]++
			mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: "seen", Value: "yes", Path: "/"})
		}
		ref.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	if err := ref.SetIssuer(srv.URL); err != nil {
		t.Fatal(err)
	}
	u := ref.Config().Users[0]
	task := browser.Task{Username: u.Username, Password: u.Password}
	s := newSession(t)
	s.SetDirect(&http.Client{Timeout: 10 * time.Second})
	actor := scriptActor(t)

	first := newAuthRequest("oauthcheck-p")
	if _, err := s.Authorize(ctxFor(t, 20*time.Second), first.url(srv.URL), []string{redirectURI}, actor, task); err != nil {
		t.Fatalf("first Authorize: %v", err)
	}
	n := len(s.Steps())
	// The redirect to the redirect URI is among the first authorization's
	// steps when Authorize returns, not recorded later among the next one's.
	if got := kindsOf(s.Steps()[max(0, n-2):]); got != "redirect callback" {
		t.Errorf("the first authorization's steps end with %q, want the redirect to the redirect URI and the callback", got)
	}
	a := newAuthRequest("oauthcheck-p")
	cb, err := s.Authorize(ctxFor(t, 20*time.Second), a.url(srv.URL), []string{redirectURI}, actor, task)
	if err != nil {
		t.Fatalf("second Authorize: %v", err)
	}
	if cb.Param("state") != a.state {
		t.Errorf("callback %s, want state %s", cb.URL, a.state)
	}
	redeem(t, srv.URL, a, cb.Param("code"))
	if got := kindsOf(s.Steps()[n:]); got != "redirect callback" {
		t.Errorf("steps of the second authorization: %q, want one redirect and the callback, no document", got)
	}
	mu.Lock()
	if len(agents) != 1 {
		t.Errorf("the authorization requests came with the User-Agents %v: the direct ones should send the page's", agents)
	}
	for agent := range agents {
		if !strings.Contains(agent, "Chrome") {
			t.Errorf("an authorization request came with User-Agent %q, not a browser's", agent)
		}
	}
	mu.Unlock()
	cookies, err := s.Cookies(ctxFor(t, 5*time.Second), srv.URL+"/authorize")
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, c := range cookies {
		seen = seen || c.Name == "seen" && c.Value == "yes"
	}
	if !seen {
		t.Errorf("the session's cookies %v lack the one the server set on the direct request", cookies)
	}

	// A client the session has not approved gets the consent page: the
	// browser takes over and the person approves.
	n = len(s.Steps())
	b := newAuthRequest("oauthcheck-p2")
	cb, err = s.Authorize(ctxFor(t, 20*time.Second), b.url(srv.URL), []string{redirectURI}, actor, task)
	if err != nil {
		t.Fatalf("third Authorize: %v", err)
	}
	redeem(t, srv.URL, b, cb.Param("code"))
	var actions []string
	for _, st := range s.Steps()[n:] {
		if st.Kind == evidence.StepAction {
			actions = append(actions, st.Action)
		}
	}
	if strings.Join(actions, " ") != "approve" {
		t.Errorf("actions of the third authorization: %v, want the approval of the consent page", actions)
	}
}

// kindsOf is the kinds of steps, in order, separated by spaces.
func kindsOf(steps []evidence.Step) string {
	kinds := make([]string, len(steps))
	for i, st := range steps {
		kinds[i] = string(st.Kind)
	}
	return strings.Join(kinds, " ")
}
