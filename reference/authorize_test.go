package reference_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

// checkFramingHeaders fails unless a page forbids framing (RFC 9700 §4.16).
func checkFramingHeaders(t testing.TB, r *response) {
	t.Helper()
	if got := r.Header.Get("Content-Security-Policy"); got != "frame-ancestors 'none'" {
		t.Errorf("%s %s: Content-Security-Policy %q; want frame-ancestors 'none'", r.req.Method, r.req.URL.Path, got)
	}
	if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("%s %s: X-Frame-Options %q; want DENY", r.req.Method, r.req.URL.Path, got)
	}
}

// The whole authorization code flow in the browser, step by step.
func TestAuthorizeFlow(t *testing.T) {
	e := start(t, nil)
	cfg := e.oauth2Config(t, reference.RoleConfidential, "openid", "profile")
	verifier := oauth2.GenerateVerifier()
	state := "state-" + oauth2.GenerateVerifier()
	b := e.browser(t)

	login := b.get(t, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
	if !isLoginPage(login) {
		t.Fatalf("GET /authorize without a session: want the login page; got\n%s", login)
	}
	checkFramingHeaders(t, login)

	posted := b.login(t, login, e.user.Password)
	if posted.Status != http.StatusSeeOther {
		t.Fatalf("POST /login: got %d; want 303 (RFC 9700 §4.12)", posted.Status)
	}
	if loc := posted.Location(t); loc.Path != "/authorize/resume" {
		t.Fatalf("POST /login: Location %v; want /authorize/resume", loc)
	}

	consent := b.get(t, posted.Location(t).String())
	if !isConsentPage(consent) {
		t.Fatalf("after login: want the consent page; got\n%s", consent)
	}
	checkFramingHeaders(t, consent)
	for _, want := range []string{cfg.ClientID, "openid profile"} {
		if !strings.Contains(string(consent.Body), want) {
			t.Errorf("the consent page does not name %q", want)
		}
	}

	form := hidden(consent)
	form.Set("action", "approve")
	answer := b.post(t, "/consent", form)
	if answer.Status != http.StatusSeeOther {
		t.Fatalf("POST /consent: got %d; want 303 (RFC 9700 §4.12)", answer.Status)
	}
	loc := answer.Location(t)
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != reference.DefaultRedirectURI {
		t.Fatalf("POST /consent: redirect to %s; want %s", got, reference.DefaultRedirectURI)
	}
	q := loc.Query()
	if q.Get("code") == "" {
		t.Fatalf("no code in %v", loc)
	}
	if diff := cmp.Diff([]string{state, e.url}, []string{q.Get("state"), q.Get("iss")}); diff != "" {
		t.Errorf("state and iss mismatch (-want +got):\n%s", diff)
	}
	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("token response: access %t, refresh %t, type %q; want both and Bearer",
			tok.AccessToken != "", tok.RefreshToken != "", tok.TokenType)
	}
	if tok.Extra("id_token") == nil {
		t.Errorf("no id_token for scope openid")
	}

	// The session skips the login the second time, and the consent of
	// this confidential client, which it remembers.
	again := b.get(t, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
	if again.Status != http.StatusFound || again.Location(t).Query().Get("code") == "" {
		t.Errorf("second authorization with a session: want a redirect with a code; got\n%s", again)
	}
}

// RFC 6749 §4.1.2.1 and RFC 9700 §4.11: an unknown client or a redirect URI
// that is missing, repeated or not registered gets an error page, never a
// redirect, and before any login.
func TestAuthorizeUntrusted(t *testing.T) {
	e := start(t, nil)
	tests := []struct {
		name   string
		edit   func(v url.Values)
		reason string
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "nobody") }, "an unknown client cannot be trusted"},
		{"missing client", func(v url.Values) { v.Del("client_id") }, "client_id is required"},
		{"repeated client", func(v url.Values) { v.Add("client_id", "oauthcheck-b") }, "a repeated client_id is ambiguous"},
		{"unregistered redirect", func(v url.Values) { v.Set("redirect_uri", "https://attacker.example/cb") }, "only registered URIs"},
		{"repeated redirect", func(v url.Values) { v.Add("redirect_uri", reference.DefaultRedirectURI) }, "a repeated redirect_uri is ambiguous"},
		{"longer path", func(v url.Values) { v.Set("redirect_uri", reference.DefaultRedirectURI+"/evil") }, "exact match, not a prefix"},
		{"suffix on host", func(v url.Values) { v.Set("redirect_uri", "https://client.oauthcheck.test.attacker.example/cb") }, "exact match of the host"},
		{"extra query", func(v url.Values) { v.Set("redirect_uri", reference.DefaultRedirectURI+"?x=1") }, "exact match of the query"},
		{"upper-case host", func(v url.Values) { v.Set("redirect_uri", "https://CLIENT.oauthcheck.test/cb") }, "simple string comparison"},
		{"http instead of https", func(v url.Values) { v.Set("redirect_uri", "http://client.oauthcheck.test/cb") }, "the scheme is compared"},
		{"client without redirect URIs", func(v url.Values) {
			v.Set("client_id", "oauthcheck-d")
			v.Del("redirect_uri")
		}, "nothing registered, nothing to answer to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := e.codeParams(t, reference.RoleConfidential, oauth2.GenerateVerifier())
			tt.edit(params)
			r := e.browser(t).get(t, e.authURL(params))
			if r.Status != http.StatusBadRequest {
				t.Errorf("got %d; want 400 (%s)", r.Status, tt.reason)
			}
			if loc := r.Header.Get("Location"); loc != "" {
				t.Errorf("got a redirect to %s; want an error page", loc)
			}
			if !strings.Contains(string(r.Body), `id="message"`) {
				t.Errorf("want the error page; got\n%s", r.Body)
			}
			checkFramingHeaders(t, r)
		})
	}
}

// Errors about a trusted redirect URI go back to the client with error,
// state and iss (RFC 6749 §4.1.2.1, RFC 9207 §2), but only after the user
// has logged in (RFC 9700 §4.11.2).
func TestAuthorizeErrorRedirects(t *testing.T) {
	e := start(t, func(c *reference.Config) {
		c.Clients = append(c.Clients, reference.Client{ID: "cc-only", Secret: "s3cret",
			RedirectURIs: []string{reference.DefaultRedirectURI}, GrantTypes: []string{"client_credentials"}})
		c.Clients = append(c.Clients, reference.Client{ID: "narrow", RedirectURIs: []string{reference.DefaultRedirectURI},
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}})
	})
	tests := []struct {
		name      string
		client    string
		edit      func(v url.Values)
		wantError string
		reason    string
	}{
		{"missing response_type", reference.RoleConfidential, func(v url.Values) { v.Del("response_type") }, "invalid_request", "RFC 6749 §4.1.1: REQUIRED"},
		{"bogus response_type", reference.RoleConfidential, func(v url.Values) { v.Set("response_type", "bogus") }, "unsupported_response_type", "RFC 6749 §4.1.2.1"},
		{"implicit off", reference.RoleConfidential, func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type", "RFC 9700 §2.1.2"},
		{"unknown scope", reference.RoleConfidential, func(v url.Values) { v.Set("scope", "openid admin") }, "invalid_scope", "RFC 6749 §3.3"},
		{"scope not allowed for the client", "narrow", func(v url.Values) { v.Set("scope", "openid email") }, "invalid_scope", "Client.Scopes limits the scope"},
		{"client without the code grant", "cc-only", func(v url.Values) {}, "unauthorized_client", "RFC 6749 §4.1.2.1"},
		{"repeated parameter", reference.RoleConfidential, func(v url.Values) { v.Add("scope", "openid") }, "invalid_request", "RFC 6749 §3.1: parameters MUST NOT be included more than once"},
		{"repeated response_type", reference.RoleConfidential, func(v url.Values) { v.Add("response_type", "code") }, "invalid_request", "RFC 6749 §3.1: no silent pick of one value"},
		{"repeated state", reference.RoleConfidential, func(v url.Values) { v.Add("state", "other") }, "invalid_request", "RFC 6749 §3.1: no silent pick of one value"},
		{"unsupported response_mode", reference.RoleConfidential, func(v url.Values) { v.Set("response_mode", "form_post") }, "invalid_request", "only query and fragment"},
		{"public client without PKCE", reference.RolePublic, func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, "invalid_request", "OAuth 2.1 §4.1.2.1"},
		{"confidential client without PKCE", reference.RoleConfidential, func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, "invalid_request", "RFC 9700 §2.1.1"},
		{"PKCE plain", reference.RolePublic, func(v url.Values) {
			v.Set("code_challenge", oauth2.GenerateVerifier())
			v.Set("code_challenge_method", "plain")
		}, "invalid_request", "RFC 7636 §7.2: S256 only"},
		{"PKCE method defaults to plain", reference.RolePublic, func(v url.Values) { v.Del("code_challenge_method") }, "invalid_request", "RFC 7636 §4.3: no method means plain"},
		{"PKCE unknown method", reference.RolePublic, func(v url.Values) { v.Set("code_challenge_method", "S512") }, "invalid_request", "RFC 7636 §4.4.1"},
		{"PKCE method without challenge", reference.RolePublic, func(v url.Values) { v.Del("code_challenge") }, "invalid_request", "a method alone is malformed"},
		{"PKCE challenge too short", reference.RolePublic, func(v url.Values) { v.Set("code_challenge", "abc") }, "invalid_request", "RFC 7636 §4.2: 43 characters"},
		{"PKCE challenge not base64url", reference.RolePublic, func(v url.Values) { v.Set("code_challenge", strings.Repeat("+", 43)) }, "invalid_request", "RFC 7636 §4.2: base64url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := e.codeParams(t, tt.client, oauth2.GenerateVerifier())
			params.Set("client_id", e.client(t, tt.client).ID)
			tt.edit(params)
			f := e.browser(t).authorize(t, e.authURL(params), "approve")
			if !isLoginPage(f.Steps[0]) {
				t.Errorf("first answer: want the login page, before any error redirect; got\n%s", f.Steps[0])
			}
			if f.Redirect == nil {
				t.Fatalf("want an error redirect (%s); the flow ended with\n%s", tt.reason, f.Last())
			}
			want := map[string]string{"error": tt.wantError, "state": params.Get("state"), "iss": e.url, "code": ""}
			got := map[string]string{}
			for k := range want {
				got[k] = f.Params.Get(k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: error response mismatch (-want +got):\n%s", tt.reason, diff)
			}
			if f.Last().Status != http.StatusFound {
				t.Errorf("error redirect after GET: got %d; want 302", f.Last().Status)
			}
		})
	}
}

// The user's denial is access_denied, with state and iss, after a 303.
func TestAuthorizeDeny(t *testing.T) {
	e := start(t, nil)
	params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
	f := e.browser(t).authorize(t, e.authURL(params), "deny")
	if f.Redirect == nil {
		t.Fatalf("deny: want a redirect; got\n%s", f.Last())
	}
	if f.Last().Status != http.StatusSeeOther {
		t.Errorf("deny: got %d; want 303", f.Last().Status)
	}
	want := url.Values{"error": {"access_denied"}, "error_description": {"the user denied the request"},
		"state": {params.Get("state")}, "iss": {e.url}}
	if diff := cmp.Diff(want, f.Params); diff != "" {
		t.Errorf("deny response mismatch (-want +got):\n%s", diff)
	}
}

// prompt=none without a session is login_required, with state and iss.
func TestAuthorizePromptNone(t *testing.T) {
	e := start(t, nil)
	params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
	params.Set("prompt", "none")
	r := e.browser(t).get(t, e.authURL(params))
	if r.Status != http.StatusFound {
		t.Fatalf("prompt=none: got %d; want 302\n%s", r.Status, r)
	}
	q := r.Location(t).Query()
	want := []string{"login_required", params.Get("state"), e.url}
	if diff := cmp.Diff(want, []string{q.Get("error"), q.Get("state"), q.Get("iss")}); diff != "" {
		t.Errorf("error, state, iss mismatch (-want +got):\n%s", diff)
	}
}

// RFC 8252 §7.3: a registered http loopback redirect URI matches with any
// port, and nothing else is relaxed.
func TestAuthorizeLoopbackAnyPort(t *testing.T) {
	const registered = "http://127.0.0.1/cb"
	e := start(t, func(c *reference.Config) {
		c.Clients = append(c.Clients, reference.Client{ID: "native", RedirectURIs: []string{registered},
			GrantTypes: []string{"authorization_code", "refresh_token"}})
	})
	tests := []struct {
		name   string
		uri    string
		want   bool
		reason string
	}{
		{"as registered", registered, true, "exact match"},
		{"any port", "http://127.0.0.1:49152/cb", true, "RFC 8252 §7.3: any port"},
		{"other port", "http://127.0.0.1:8765/cb", true, "RFC 8252 §7.3: any port"},
		{"localhost", "http://localhost:49152/cb", false, "the host is compared"},
		{"IPv6 loopback", "http://[::1]:49152/cb", false, "the host is compared"},
		{"other path", "http://127.0.0.1:49152/cb/x", false, "the path is compared"},
		{"query", "http://127.0.0.1:49152/cb?x=1", false, "the query is compared"},
		{"https", "https://127.0.0.1:49152/cb", false, "the scheme is compared"},
		{"userinfo", "http://user@127.0.0.1:49152/cb", false, "no userinfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			params := e.codeParams(t, "native", verifier)
			params.Set("redirect_uri", tt.uri)
			f := e.browser(t).authorize(t, e.authURL(params), "approve")
			got := f.Redirect != nil && f.Params.Get("code") != ""
			if got != tt.want {
				t.Fatalf("code delivered to %s: got %v; want %v (%s)\nlast: %s", tt.uri, got, tt.want, tt.reason, f.Last())
			}
			if !tt.want {
				if f.Last().Status != http.StatusBadRequest {
					t.Errorf("got %d; want the 400 error page", f.Last().Status)
				}
				return
			}
			if got := f.Redirect.Scheme + "://" + f.Redirect.Host + f.Redirect.Path; got != tt.uri {
				t.Errorf("redirected to %s; want %s", got, tt.uri)
			}
			// The token request names the very URI of the authorization request.
			code := f.Params.Get("code")
			other := "http://127.0.0.1:1/cb"
			if r := e.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {other}, "code_verifier": {verifier}}, postAuth("native", "")); r.Error() != "invalid_grant" {
				t.Errorf("token request with redirect_uri %s: got %d %s; want invalid_grant", other, r.Status, r.Error())
			}
			code = e.codeFor(t, params)
			if r := e.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {tt.uri}, "code_verifier": {verifier}}, postAuth("native", "")); r.Status != http.StatusOK {
				t.Errorf("token request with redirect_uri %s: got %d; want 200\n%s", tt.uri, r.Status, r)
			}
		})
	}
}

// Without redirect_uri, the only registered URI is used, and the token
// request may then omit it (RFC 6749 §4.1.3), or name a registered one.
func TestAuthorizeWithoutRedirectURI(t *testing.T) {
	e := start(t, nil)
	verifier := oauth2.GenerateVerifier()
	params := e.codeParams(t, reference.RolePublic, verifier)
	params.Del("redirect_uri")
	f := e.browser(t).authorize(t, e.authURL(params), "approve")
	if f.Redirect == nil || f.Redirect.Scheme+"://"+f.Redirect.Host+f.Redirect.Path != reference.DefaultRedirectURI {
		t.Fatalf("want a redirect to %s; got %v", reference.DefaultRedirectURI, f.Redirect)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {f.Params.Get("code")}, "code_verifier": {verifier}}
	if r := e.token(t, form, e.as(t, reference.RolePublic)); r.Status != http.StatusOK {
		t.Errorf("token request without redirect_uri: got %d; want 200\n%s", r.Status, r)
	}
	form.Set("code", e.codeFor(t, params))
	form.Set("redirect_uri", "https://attacker.example/cb")
	if r := e.token(t, form, e.as(t, reference.RolePublic)); r.Error() != "invalid_grant" {
		t.Errorf("token request with an unregistered redirect_uri: got %d %s; want invalid_grant", r.Status, r.Error())
	}
}

// response_mode=fragment puts the response in the fragment; the implicit
// grant, when switched on, always does.
func TestAuthorizeFragment(t *testing.T) {
	e := start(t, func(c *reference.Config) { c.Implicit = true })
	params := e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())
	params.Set("response_mode", "fragment")
	f := e.browser(t).authorize(t, e.authURL(params), "approve")
	if f.Redirect == nil || f.Redirect.RawQuery != "" || f.Params.Get("code") == "" || f.Params.Get("iss") != e.url {
		t.Fatalf("response_mode=fragment: want code and iss in the fragment; got %v", f.Redirect)
	}

	params = e.codeParams(t, reference.RolePublic, "")
	params.Set("response_type", "token")
	params.Del("code_challenge")
	params.Del("code_challenge_method")
	f = e.browser(t).authorize(t, e.authURL(params), "approve")
	if f.Redirect == nil || f.Redirect.RawQuery != "" || f.Params.Get("access_token") == "" {
		t.Fatalf("implicit: want an access token in the fragment; got %v", f.Redirect)
	}
	if !e.active(t, f.Params.Get("access_token")) {
		t.Errorf("the implicit access token is not active")
	}
	if f.Params.Get("refresh_token") != "" {
		t.Errorf("the implicit grant issued a refresh token")
	}

	params.Set("response_mode", "query")
	f = e.browser(t).authorize(t, e.authURL(params), "approve")
	if f.Params.Get("error") != "invalid_request" || f.Params.Get("access_token") != "" {
		t.Errorf("implicit with response_mode=query: got %v; want invalid_request and no token", f.Redirect)
	}
}

// The login form: wrong passwords, forged forms and foreign return URLs.
func TestLogin(t *testing.T) {
	e := start(t, nil)

	b := e.browser(t)
	page := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
	wrong := b.login(t, page, "not-the-password")
	if wrong.Status != http.StatusUnauthorized || !isLoginPageAny(wrong) {
		t.Errorf("wrong password: got %d; want 401 and the login form again", wrong.Status)
	}
	checkFramingHeaders(t, wrong)
	if !strings.Contains(string(wrong.Body), "Wrong username or password") {
		t.Errorf("wrong password: the page does not say so")
	}

	tests := []struct {
		name       string
		edit       func(v url.Values)
		wantStatus int
		wantLoc    string
		reason     string
	}{
		{"good", func(v url.Values) { v.Set("return_to", "/device") }, http.StatusSeeOther, "/device", "303 to the return path"},
		{"no csrf", func(v url.Values) { v.Del("csrf") }, http.StatusForbidden, "", "a forged form is refused"},
		{"wrong csrf", func(v url.Values) { v.Set("csrf", "forged") }, http.StatusForbidden, "", "a forged form is refused"},
		{"absolute return", func(v url.Values) { v.Set("return_to", "https://attacker.example/") }, http.StatusSeeOther, "/", "return stays on the server"},
		{"scheme-relative return", func(v url.Values) { v.Set("return_to", "//attacker.example/") }, http.StatusSeeOther, "/", "return stays on the server"},
		{"backslash return", func(v url.Values) { v.Set("return_to", `/\attacker.example/`) }, http.StatusSeeOther, "/", "browsers read \\ as /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser(t)
			page := b.get(t, "/device")
			form := hidden(page)
			form.Set("username", e.user.Username)
			form.Set("password", e.user.Password)
			tt.edit(form)
			r := b.post(t, "/login", form)
			if r.Status != tt.wantStatus {
				t.Fatalf("got %d; want %d (%s)", r.Status, tt.wantStatus, tt.reason)
			}
			if got := r.Header.Get("Location"); got != tt.wantLoc {
				t.Errorf("Location: got %q; want %q (%s)", got, tt.wantLoc, tt.reason)
			}
		})
	}
}

func isLoginPageAny(r *response) bool { return strings.Contains(string(r.Body), `id="login-form"`) }

// The consent form: forged, unknown, replayed and expired requests.
func TestConsentErrors(t *testing.T) {
	e := start(t, nil)
	consentPage := func(t *testing.T) (*browser, url.Values) {
		b := e.browser(t)
		login := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
		page := b.get(t, b.login(t, login, e.user.Password).Location(t).String())
		if !isConsentPage(page) {
			t.Fatalf("want the consent page; got\n%s", page)
		}
		form := hidden(page)
		form.Set("action", "approve")
		return b, form
	}

	t.Run("forged", func(t *testing.T) {
		b, form := consentPage(t)
		form.Set("csrf", "forged")
		if r := b.post(t, "/consent", form); r.Status != http.StatusForbidden {
			t.Errorf("got %d; want 403", r.Status)
		}
	})
	t.Run("unknown request", func(t *testing.T) {
		b, form := consentPage(t)
		form.Set("req", "nope")
		if r := b.post(t, "/consent", form); r.Status != http.StatusBadRequest {
			t.Errorf("got %d; want 400", r.Status)
		}
	})
	t.Run("answered twice", func(t *testing.T) {
		b, form := consentPage(t)
		if r := b.post(t, "/consent", form); r.Status != http.StatusSeeOther {
			t.Fatalf("first answer: got %d; want 303", r.Status)
		}
		r := b.post(t, "/consent", form)
		if r.Status != http.StatusBadRequest {
			t.Errorf("second answer: got %d; want 400", r.Status)
		}
		checkFramingHeaders(t, r)
	})
	t.Run("expired request", func(t *testing.T) {
		b, form := consentPage(t)
		e.clock.Advance(11 * e.cfg.CodeTTL)
		if r := b.post(t, "/consent", form); r.Status != http.StatusBadRequest {
			t.Errorf("got %d; want 400", r.Status)
		}
	})
	t.Run("unknown resume", func(t *testing.T) {
		r := e.browser(t).get(t, "/authorize/resume?req=nope")
		if r.Status != http.StatusBadRequest {
			t.Errorf("got %d; want 400", r.Status)
		}
		checkFramingHeaders(t, r)
	})
	t.Run("expired resume", func(t *testing.T) {
		b := e.browser(t)
		login := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
		next := b.login(t, login, e.user.Password).Location(t)
		e.clock.Advance(11 * e.cfg.CodeTTL)
		if r := b.get(t, next.String()); r.Status != http.StatusBadRequest {
			t.Errorf("got %d; want 400", r.Status)
		}
	})
	t.Run("resume without session", func(t *testing.T) {
		b := e.browser(t)
		login := b.get(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())))
		next := b.login(t, login, e.user.Password).Location(t)
		if r := e.browser(t).get(t, next.String()); !isLoginPage(r) {
			t.Errorf("resume in another browser: want the login page; got\n%s", r)
		}
	})
}

// Every page the server renders forbids framing (RFC 9700 §4.16).
func TestFramingHeadersEveryPage(t *testing.T) {
	e := start(t, nil)
	var pages []*response
	f := e.browser(t).authorize(t, e.authURL(e.codeParams(t, reference.RolePublic, oauth2.GenerateVerifier())), "approve")
	for _, r := range f.Steps {
		if r.Status == http.StatusOK {
			pages = append(pages, r)
		}
	}
	pages = append(pages, e.browser(t).get(t, "/authorize?client_id=nobody"), e.get(t, "/"))
	d := e.startDevice(t, reference.RoleDevice)
	b, devicePage := e.deviceLogin(t)
	pages = append(pages, devicePage, b.submitUserCode(t, devicePage, "WRONG"), b.submitUserCode(t, devicePage, d.UserCode),
		b.get(t, d.VerificationURIComplete), b.get(t, "/device?result=approved"), b.get(t, "/device?result=denied"))
	if len(pages) < 9 {
		t.Fatalf("collected %d pages; want at least 9", len(pages))
	}
	for _, p := range pages {
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: Content-Type %q; want text/html", p.req.URL.Path, p.Header.Get("Content-Type"))
		}
		checkFramingHeaders(t, p)
	}
}

// An authorization code expires after Config.CodeTTL.
func TestCodeExpiry(t *testing.T) {
	e := start(t, func(c *reference.Config) { c.CodeTTL = 10 * time.Second })
	code, verifier := e.code(t, reference.RoleConfidential)
	e.clock.Advance(11 * time.Second)
	r := e.token(t, e.exchangeForm(code, verifier), e.as(t, reference.RoleConfidential))
	if r.Error() != "invalid_grant" {
		t.Errorf("expired code: got %d %s; want 400 invalid_grant", r.Status, r.Error())
	}
}

// RFC 6749 §3.1: unknown parameters are ignored and empty ones count as
// absent.
func TestAuthorizeParameterHygiene(t *testing.T) {
	e := start(t, nil)
	tests := []struct {
		name      string
		edit      func(v url.Values)
		wantScope string
		reason    string
	}{
		{"unknown parameter", func(v url.Values) { v.Set("foo", "bar") }, "openid profile", "RFC 6749 §3.1: MUST ignore unrecognized parameters"},
		{"empty scope", func(v url.Values) { v.Set("scope", "") }, "openid profile", "RFC 6749 §3.3: the default scope"},
		{"no scope", func(v url.Values) { v.Del("scope") }, "openid profile", "RFC 6749 §3.3: the default scope"},
		{"extra spaces in scope", func(v url.Values) { v.Set("scope", "  api   email ") }, "api email", "RFC 6749 §3.3: space-delimited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			params := e.codeParams(t, reference.RoleConfidential, verifier)
			tt.edit(params)
			code := e.codeFor(t, params)
			r := e.token(t, e.exchangeForm(code, verifier), e.as(t, reference.RoleConfidential))
			if r.Status != http.StatusOK {
				t.Fatalf("exchange: got %d; want 200\n%s", r.Status, r)
			}
			if got := r.JSON(t)["scope"]; got != tt.wantScope {
				t.Errorf("scope: got %v; want %q (%s)", got, tt.wantScope, tt.reason)
			}
		})
	}
}
