package reference_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

// logoutURL is the end-session request with params.
func (e *env) logoutURL(params url.Values) string { return e.url + "/logout?" + params.Encode() }

// tokensIn runs an approved authorization of role in browser b and
// exchanges the code.
func (e *env) tokensIn(t *testing.T, b *browser, role string) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	f := b.authorize(t, e.authURL(e.codeParams(t, role, verifier)), "approve")
	if f.Params.Get("code") == "" {
		t.Fatalf("no code; last:\n%s", f.Last())
	}
	tok, err := e.oauth2Config(t, role).Exchange(t.Context(), f.Params.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

// OpenID Connect RP-Initiated Logout 1.0: logging out ends the session and
// revokes the refresh tokens granted in it, and nothing else.
func TestLogoutEndsSession(t *testing.T) {
	e := start(t, nil)
	role := reference.RoleConfidential
	b := e.browser(t)
	mine := e.tokensIn(t, b, role)
	other := e.tokensIn(t, e.browser(t), role)
	d := e.startDevice(t, reference.RoleDevice)
	e.decideDevice(t, d, "approve") // in a session of its own
	device := e.pollDevice(t, reference.RoleDevice, d).JSON(t)

	r := b.get(t, e.logoutURL(url.Values{"client_id": {e.client(t, role).ID},
		"post_logout_redirect_uri": {reference.DefaultPostLogoutRedirectURI}, "state": {"st-1"}}))
	if r.Status != http.StatusFound || r.Header.Get("Location") != reference.DefaultPostLogoutRedirectURI+"?state=st-1" {
		t.Errorf("logout: got %d to %q; want 302 to %s?state=st-1", r.Status, r.Header.Get("Location"), reference.DefaultPostLogoutRedirectURI)
	}
	if page := b.get(t, e.authURL(e.codeParams(t, role, oauth2.GenerateVerifier()))); !isLoginPage(page) {
		t.Errorf("after logout, authorize: want the login page; got\n%s", page)
	}
	if got := e.refresh(t, role, mine.RefreshToken, nil); got.Error() != "invalid_grant" {
		t.Errorf("refresh token of the ended session: got %d %s; want invalid_grant", got.Status, got.Error())
	}
	if !e.active(t, mine.AccessToken) {
		t.Errorf("access token of the ended session: inactive; logout revokes refresh tokens only")
	}
	if !ok(e.refresh(t, role, other.RefreshToken, nil)) {
		t.Errorf("refresh token of another session: refused; want it to work")
	}
	if !ok(e.refresh(t, reference.RoleDevice, device["refresh_token"].(string), nil)) {
		t.Errorf("refresh token of a device grant in another session: refused; want it to work")
	}
}

// The end-session endpoint redirects only to a post-logout redirect URI
// registered for the client that client_id or id_token_hint names.
func TestLogoutRedirects(t *testing.T) {
	e := start(t, nil)
	a, bc := e.client(t, reference.RoleConfidential), e.client(t, reference.RoleConfidential2)
	idToken, _ := e.tokens(t, reference.RoleConfidential).Extra("id_token").(string)
	if idToken == "" {
		t.Fatal("no id_token for scope openid")
	}
	registered := reference.DefaultPostLogoutRedirectURI
	tests := []struct {
		name   string
		params url.Values
		post   bool
		want   string // the Location; "" for the signed-out page
		reason string
	}{
		{"client_id", url.Values{"client_id": {a.ID}, "post_logout_redirect_uri": {registered}}, false, registered, "registered for the client"},
		{"id_token_hint", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {registered}, "state": {"x y"}}, false, registered + "?state=x+y", "the hint names the client; state comes back"},
		{"both agree", url.Values{"client_id": {a.ID}, "id_token_hint": {idToken}, "post_logout_redirect_uri": {registered}}, false, registered, "§2: client_id matches the hint"},
		{"both disagree", url.Values{"client_id": {bc.ID}, "id_token_hint": {idToken}, "post_logout_redirect_uri": {registered}}, false, "", "§2: client_id must match the hint's"},
		{"forged hint", url.Values{"id_token_hint": {idToken[:len(idToken)-4] + "AAAA"}, "post_logout_redirect_uri": {registered}}, false, "", "a hint that does not verify names nobody"},
		{"no client", url.Values{"post_logout_redirect_uri": {registered}}, false, "", "no client, no registration to check"},
		{"unregistered", url.Values{"client_id": {a.ID}, "post_logout_redirect_uri": {"https://attacker.example/x"}}, false, "", "RFC 9700 §4.11.2: no open redirect"},
		{"prefix", url.Values{"client_id": {a.ID}, "post_logout_redirect_uri": {registered + "/x"}}, false, "", "exact match"},
		{"client without any", url.Values{"client_id": {e.client(t, reference.RoleDevice).ID}, "post_logout_redirect_uri": {registered}}, false, "", "the device client registered none"},
		{"unknown client", url.Values{"client_id": {"nobody"}, "post_logout_redirect_uri": {registered}}, false, "", "unknown client"},
		{"nothing", url.Values{}, false, "", "a plain logout"},
		{"post", url.Values{"client_id": {a.ID}, "post_logout_redirect_uri": {registered}}, true, registered, "a form post, answered with 303"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser(t)
			var r *response
			if tt.post {
				r = b.post(t, "/logout", tt.params)
			} else {
				r = b.get(t, e.logoutURL(tt.params))
			}
			switch {
			case tt.want == "":
				if r.Status != http.StatusOK || r.Header.Get("Location") != "" || !strings.Contains(string(r.Body), "You are signed out") {
					t.Errorf("got %d to %q; want the signed-out page (%s)", r.Status, r.Header.Get("Location"), tt.reason)
				}
				checkFramingHeaders(t, r)
			case tt.post && r.Status != http.StatusSeeOther, !tt.post && r.Status != http.StatusFound, r.Header.Get("Location") != tt.want:
				t.Errorf("got %d to %q; want a redirect to %q (%s)", r.Status, r.Header.Get("Location"), tt.want, tt.reason)
			}
		})
	}
}

// Dynamic registration takes post_logout_redirect_uris under the rules of
// redirect URIs, and the end-session endpoint honours them.
func TestRegisterPostLogoutRedirectURIs(t *testing.T) {
	e := start(t, nil)
	bad := e.register(t, "application/json", `{"redirect_uris":["https://app.example/cb"],"post_logout_redirect_uris":["http://app.example/bye"],"token_endpoint_auth_method":"none"}`)
	if bad.Status != http.StatusBadRequest || bad.Error() != "invalid_redirect_uri" {
		t.Errorf("http post-logout URI off loopback: got %d %s; want 400 invalid_redirect_uri", bad.Status, bad.Error())
	}
	r := e.register(t, "application/json", `{"redirect_uris":["https://app.example/cb"],"post_logout_redirect_uris":["https://app.example/bye","http://127.0.0.1/bye"],"token_endpoint_auth_method":"none"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("register: got %d\n%s", r.Status, r)
	}
	m := r.JSON(t)
	if uris, _ := m["post_logout_redirect_uris"].([]any); len(uris) != 2 {
		t.Errorf("post_logout_redirect_uris in the response: %v; want both", m["post_logout_redirect_uris"])
	}
	q := url.Values{"client_id": {m["client_id"].(string)}, "post_logout_redirect_uri": {"https://app.example/bye"}}
	if got := e.browser(t).get(t, e.logoutURL(q)).Header.Get("Location"); got != "https://app.example/bye" {
		t.Errorf("logout to the registered URI: Location %q", got)
	}
}

// Under revocation-eventual, logout's revocation takes effect 1.5 s later.
func TestLogoutRevocationEventual(t *testing.T) {
	e := startQuirk(t, reference.QuirkRevocationEventual)
	b := e.browser(t)
	tok := e.tokensIn(t, b, reference.RolePublic)
	b.get(t, e.logoutURL(nil))
	e.clock.Advance(time.Second)
	if !e.active(t, tok.RefreshToken) {
		t.Errorf("1 s after logout the refresh token is inactive; want 1.5 s")
	}
	e.clock.Advance(500 * time.Millisecond)
	if e.active(t, tok.RefreshToken) {
		t.Errorf("1.5 s after logout the refresh token is active")
	}
}

// GET /login?return_to=: after login the browser goes to return_to when it
// is a path on the server, else to the home page.
func TestLoginReturnTo(t *testing.T) {
	for _, quirk := range []bool{false, true} {
		e := start(t, nil)
		if quirk {
			e = startQuirk(t, reference.QuirkJSLogin)
		}
		tests := []struct {
			returnTo, want string
		}{
			{"/device", "/device"},
			{"/authorize/resume?req=x", "/authorize/resume?req=x"},
			{"", "/"},
			{"//attacker.example/x", "/"},
			{"/\\attacker.example/x", "/"},
			{"/\t/attacker.example/x", "/"},
			{"https://attacker.example/x", "/"},
			{"javascript:alert(1)", "/"},
			{"device", "/"},
		}
		for _, tt := range tests {
			b := e.browser(t)
			page := b.get(t, "/login?return_to="+url.QueryEscape(tt.returnTo))
			if !isLoginPage(page) && app(t, page) == nil {
				t.Fatalf("GET /login: want the login page; got\n%s", page)
			}
			r := b.login(t, page, e.user.Password)
			if got := r.next(t); got != e.url+tt.want {
				t.Errorf("js-login %v: return_to %q: after login to %q; want %q", quirk, tt.returnTo, got, e.url+tt.want)
			}
		}
	}
}

// Under the logout-keeps-refresh quirk the end-session endpoint asks to
// confirm; "no" keeps the session, "yes" ends it and leaves the refresh
// tokens of its grants working.
func TestLogoutKeepsRefreshQuirk(t *testing.T) {
	e := startQuirk(t, reference.QuirkLogoutKeepsRefresh)
	role := reference.RoleConfidential
	b := e.browser(t)
	tok := e.tokensIn(t, b, role)
	logout := e.logoutURL(url.Values{"client_id": {e.client(t, role).ID},
		"post_logout_redirect_uri": {reference.DefaultPostLogoutRedirectURI}, "state": {"st-1"}})

	page := b.get(t, logout)
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), `id="logout-form"`) {
		t.Fatalf("logout: got %d; want the confirmation page:\n%s", page.Status, page.Body)
	}
	form := hidden(page)
	form.Set("action", "no")
	b.post(t, "/logout/confirm", form)
	if page := b.get(t, e.authURL(e.codeParams(t, role, oauth2.GenerateVerifier()))); isLoginPage(page) {
		t.Errorf("after answering no, authorize: got the login page; want the session kept")
	}

	form.Set("action", "yes")
	r := b.post(t, "/logout/confirm", form)
	if r.Status != http.StatusFound && r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), reference.DefaultPostLogoutRedirectURI+"?state=st-1") {
		t.Errorf("confirmed logout: got %d to %q; want a redirect to %s?state=st-1", r.Status, r.Header.Get("Location"), reference.DefaultPostLogoutRedirectURI)
	}
	if page := b.get(t, e.authURL(e.codeParams(t, role, oauth2.GenerateVerifier()))); !isLoginPage(page) {
		t.Errorf("after the confirmed logout, authorize: want the login page; got\n%s", page)
	}
	if got := e.refresh(t, role, tok.RefreshToken, nil); !ok(got) {
		t.Errorf("refresh token of the ended session: got %d %s; want it to work under the quirk", got.Status, got.Error())
	}
	if r := b.post(t, "/logout/confirm", url.Values{"action": {"yes"}, "params": {""}}); r.Status != http.StatusForbidden {
		t.Errorf("confirmation without the CSRF token: got %d; want 403", r.Status)
	}
}
