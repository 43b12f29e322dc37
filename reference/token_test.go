package reference_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauthcheck/oauthcheck/reference"
)

// ccForm is a client credentials token request.
func ccForm(scope string) url.Values {
	f := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		f.Set("scope", scope)
	}
	return f
}

// The token endpoint reads form posts only (RFC 6749 §3.2), and answers
// every error as JSON with the right status (§5.2).
func TestTokenEndpointRequests(t *testing.T) {
	e := start(t, nil)
	a := e.client(t, reference.RoleConfidential)
	send := func(t *testing.T, method, path, contentType, body string, auth clientAuth) *response {
		req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		auth(req.Header, url.Values{})
		return e.do(t, req)
	}
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name       string
		method     string
		path       string
		ctype      string
		body       string
		wantStatus int
		wantError  string
		reason     string
	}{
		{"GET", http.MethodGet, "/token?grant_type=client_credentials", "", "", http.StatusMethodNotAllowed, "invalid_request", "RFC 6749 §3.2: POST only"},
		{"PUT", http.MethodPut, "/token", form, "grant_type=client_credentials", http.StatusMethodNotAllowed, "invalid_request", "RFC 6749 §3.2: POST only"},
		{"query parameters", http.MethodPost, "/token?grant_type=client_credentials", form, "", http.StatusBadRequest, "invalid_request", "parameters go in the body"},
		{"query and body", http.MethodPost, "/token?scope=api", form, "grant_type=client_credentials", http.StatusBadRequest, "invalid_request", "parameters go in the body"},
		{"JSON body", http.MethodPost, "/token", "application/json", `{"grant_type":"client_credentials"}`, http.StatusBadRequest, "invalid_request", "application/x-www-form-urlencoded only"},
		{"no content type", http.MethodPost, "/token", "", "grant_type=client_credentials", http.StatusBadRequest, "invalid_request", "application/x-www-form-urlencoded only"},
		{"repeated parameter", http.MethodPost, "/token", form, "grant_type=client_credentials&scope=api&scope=email", http.StatusBadRequest, "invalid_request", "RFC 6749 §3.2: MUST NOT be included more than once"},
		{"repeated grant_type", http.MethodPost, "/token", form, "grant_type=client_credentials&grant_type=password", http.StatusBadRequest, "invalid_request", "RFC 6749 §3.2"},
		{"no grant_type", http.MethodPost, "/token", form, "scope=api", http.StatusBadRequest, "invalid_request", "grant_type is REQUIRED"},
		{"unknown grant_type", http.MethodPost, "/token", form, "grant_type=urn:example:magic", http.StatusBadRequest, "unsupported_grant_type", "RFC 6749 §5.2"},
		{"implicit as grant", http.MethodPost, "/token", form, "grant_type=implicit", http.StatusBadRequest, "unsupported_grant_type", "RFC 6749 §5.2"},
		{"password grant", http.MethodPost, "/token", form, "grant_type=password&username=alice&password=" + url.QueryEscape(e.user.Password), http.StatusBadRequest, "unsupported_grant_type", "RFC 9700 §2.4: MUST NOT be used"},
		{"body too large", http.MethodPost, "/token", form, "grant_type=client_credentials&x=" + strings.Repeat("a", 70<<10), http.StatusBadRequest, "invalid_request", "a limit on the body"},
		{"GET /revoke", http.MethodGet, "/revoke", "", "", http.StatusMethodNotAllowed, "invalid_request", "RFC 7009 §2.1: POST"},
		{"GET /introspect", http.MethodGet, "/introspect", "", "", http.StatusMethodNotAllowed, "invalid_request", "RFC 7662 §2.1: POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, tt.method, tt.path, tt.ctype, tt.body, basicAuth(a.ID, a.Secret))
			if r.Status != tt.wantStatus || r.Error() != tt.wantError {
				t.Errorf("got %d %s; want %d %s (%s)\n%s", r.Status, r.Error(), tt.wantStatus, tt.wantError, tt.reason, r.Body)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && r.Header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow: got %q; want POST", r.Header.Get("Allow"))
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q; want no-store", got)
			}
		})
	}
}

// Client authentication at the token endpoint (RFC 6749 §2.3, §5.2).
func TestClientAuthentication(t *testing.T) {
	e := start(t, nil)
	a := e.client(t, reference.RoleConfidential)
	s := e.client(t, reference.RoleSpecial)
	p := e.client(t, reference.RolePublic)
	both := func(h http.Header, f url.Values) {
		basicAuth(a.ID, a.Secret)(h, f)
		f.Set("client_secret", a.Secret)
	}
	withID := func(id string) clientAuth {
		return func(h http.Header, f url.Values) {
			basicAuth(a.ID, a.Secret)(h, f)
			f.Set("client_id", id)
		}
	}
	header := func(v string) clientAuth {
		return func(h http.Header, _ url.Values) { h.Set("Authorization", v) }
	}
	tests := []struct {
		name       string
		auth       clientAuth
		wantStatus int
		wantError  string
		reason     string
	}{
		{"basic", basicAuth(a.ID, a.Secret), http.StatusOK, "", "client_secret_basic"},
		{"post", postAuth(a.ID, a.Secret), http.StatusOK, "", "client_secret_post"},
		{"basic with the same client_id in the body", withID(a.ID), http.StatusOK, "", "RFC 6749 §2.3.1 allows client_id alongside"},
		{"special basic, form-encoded", basicAuth(s.ID, s.Secret), http.StatusOK, "", "RFC 6749 §2.3.1: id and secret are form-encoded first"},
		{"special post", postAuth(s.ID, s.Secret), http.StatusOK, "", "the body is form-encoded anyway"},
		{"special basic, raw", rawBasic(s.ID, s.Secret), http.StatusUnauthorized, "invalid_client", "RFC 6749 §2.3.1: a raw secret with reserved characters does not decode to the secret"},
		{"wrong secret", basicAuth(a.ID, a.Secret+"x"), http.StatusUnauthorized, "invalid_client", "RFC 6749 §5.2"},
		{"wrong secret, post", postAuth(a.ID, "x"), http.StatusUnauthorized, "invalid_client", "RFC 6749 §5.2"},
		{"unknown client", basicAuth("nobody", "x"), http.StatusUnauthorized, "invalid_client", "RFC 6749 §5.2"},
		{"no credentials", noAuth, http.StatusUnauthorized, "invalid_client", "RFC 6749 §5.2"},
		{"confidential without secret", postAuth(a.ID, ""), http.StatusUnauthorized, "invalid_client", "a confidential client must authenticate"},
		{"public with a secret", postAuth(p.ID, "x"), http.StatusUnauthorized, "invalid_client", "a public client has no secret"},
		{"public through basic", basicAuth(p.ID, ""), http.StatusUnauthorized, "invalid_client", "a public client has no secret"},
		{"bearer scheme", header("Bearer " + a.Secret), http.StatusUnauthorized, "invalid_client", "only Basic"},
		{"bad base64", header("Basic !!!"), http.StatusUnauthorized, "invalid_client", "malformed Basic"},
		{"no colon", header("Basic " + "YWJj"), http.StatusUnauthorized, "invalid_client", "malformed Basic"},
		{"two methods", both, http.StatusBadRequest, "invalid_request", "RFC 6749 §2.3: MUST NOT use more than one method"},
		{"unknown parameter", func(h http.Header, f url.Values) { basicAuth(a.ID, a.Secret)(h, f); f.Set("foo", "bar") }, http.StatusOK, "", "RFC 6749 §3.2: MUST ignore unrecognized parameters"},
		{"basic with another client_id", withID(e.client(t, reference.RoleConfidential2).ID), http.StatusBadRequest, "invalid_request", "two client identities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.token(t, ccForm("api"), tt.auth)
			if r.Status != tt.wantStatus || r.Error() != tt.wantError {
				t.Errorf("got %d %s; want %d %s (%s)\n%s", r.Status, r.Error(), tt.wantStatus, tt.wantError, tt.reason, r.Body)
			}
			wantChallenge := ""
			if tt.wantStatus == http.StatusUnauthorized {
				wantChallenge = `Basic realm="oauthcheck-reference"`
			}
			if got := r.Header.Get("WWW-Authenticate"); got != wantChallenge {
				t.Errorf("WWW-Authenticate: got %q; want %q (RFC 6749 §5.2)", got, wantChallenge)
			}
		})
	}
}

// RFC 6749 §4.4 with x/oauth2/clientcredentials as the client.
func TestClientCredentials(t *testing.T) {
	e := start(t, nil)
	for _, role := range []string{reference.RoleConfidential, reference.RoleSpecial} {
		t.Run(role, func(t *testing.T) {
			c := e.client(t, role)
			for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
				cc := clientcredentials.Config{ClientID: c.ID, ClientSecret: c.Secret, TokenURL: e.url + "/token",
					Scopes: []string{"api"}, AuthStyle: style}
				tok, err := cc.Token(t.Context())
				if err != nil {
					t.Fatalf("auth style %d: Token: %v", style, err)
				}
				if tok.RefreshToken != "" {
					t.Errorf("auth style %d: got a refresh token; RFC 6749 §4.4.3 says SHOULD NOT", style)
				}
				in := e.introspect(t, tok.AccessToken)
				got := []any{in["active"], in["client_id"], in["sub"], in["scope"], tok.Extra("scope")}
				if diff := cmp.Diff([]any{true, c.ID, c.ID, "api", "api"}, got); diff != "" {
					t.Errorf("auth style %d: active, client_id, sub, scope mismatch (-want +got):\n%s", style, diff)
				}
			}
		})
	}

	t.Run("headers", func(t *testing.T) {
		r := e.token(t, ccForm(""), e.as(t, reference.RoleConfidential))
		if r.Status != http.StatusOK {
			t.Fatalf("got %d; want 200\n%s", r.Status, r)
		}
		got := []string{r.Header.Get("Cache-Control"), r.Header.Get("Pragma")}
		if diff := cmp.Diff([]string{"no-store", "no-cache"}, got); diff != "" {
			t.Errorf("RFC 6749 §5.1 headers mismatch (-want +got):\n%s", diff)
		}
		m := r.JSON(t)
		if _, ok := m["scope"]; ok {
			t.Errorf("no scope asked: the response has scope %v; want none", m["scope"])
		}
		if _, ok := m["refresh_token"]; ok {
			t.Errorf("client_credentials issued a refresh token")
		}
	})

	tests := []struct {
		name      string
		role      string
		scope     string
		wantError string
		reason    string
	}{
		{"public client", reference.RolePublic, "api", "unauthorized_client", "RFC 6749 §4.4: confidential clients only"},
		{"device client", reference.RoleDevice, "", "unauthorized_client", "RFC 6749 §4.4: confidential clients only"},
		{"openid", reference.RoleConfidential, "openid", "invalid_scope", "no user, no openid"},
		{"unknown scope", reference.RoleConfidential, "api admin", "invalid_scope", "RFC 6749 §3.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.token(t, ccForm(tt.scope), e.as(t, tt.role))
			if r.Status != http.StatusBadRequest || r.Error() != tt.wantError {
				t.Errorf("got %d %s; want 400 %s (%s)\n%s", r.Status, r.Error(), tt.wantError, tt.reason, r.Body)
			}
		})
	}

	t.Run("client without the grant", func(t *testing.T) {
		e := start(t, func(c *reference.Config) {
			c.Clients = append(c.Clients, reference.Client{ID: "web-only", Secret: "s3cret",
				RedirectURIs: []string{reference.DefaultRedirectURI}, GrantTypes: []string{"authorization_code"}})
		})
		r := e.token(t, ccForm(""), basicAuth("web-only", "s3cret"))
		if r.Status != http.StatusBadRequest || r.Error() != "unauthorized_client" {
			t.Errorf("got %d %s; want 400 unauthorized_client", r.Status, r.Error())
		}
	})
}
