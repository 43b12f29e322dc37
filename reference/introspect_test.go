package reference_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauthcheck/oauthcheck/reference"
)

// RFC 7662 §2.1: only authenticated confidential clients may introspect.
func TestIntrospectAuth(t *testing.T) {
	e := start(t, nil)
	tok := e.tokens(t, reference.RoleConfidential)
	a := e.client(t, reference.RoleConfidential)
	tests := []struct {
		name       string
		auth       clientAuth
		wantStatus int
		wantError  string
		reason     string
	}{
		{"basic", basicAuth(a.ID, a.Secret), http.StatusOK, "", "client_secret_basic"},
		{"post", postAuth(a.ID, a.Secret), http.StatusOK, "", "client_secret_post"},
		{"another confidential client", e.as(t, reference.RoleConfidential2), http.StatusOK, "", "any confidential client of this server"},
		{"no credentials", noAuth, http.StatusUnauthorized, "invalid_client", "RFC 7662 §2.1: MUST require authorization"},
		{"wrong secret", basicAuth(a.ID, "wrong"), http.StatusUnauthorized, "invalid_client", "RFC 7662 §2.1"},
		{"public client", e.as(t, reference.RolePublic), http.StatusUnauthorized, "invalid_client", "a public client cannot authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.post(t, "/introspect", url.Values{"token": {tok.AccessToken}}, tt.auth)
			if r.Status != tt.wantStatus || r.Error() != tt.wantError {
				t.Fatalf("got %d %q; want %d %q (%s)\n%s", r.Status, r.Error(), tt.wantStatus, tt.wantError, tt.reason, r.Body)
			}
			if tt.wantStatus == http.StatusUnauthorized {
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				if _, ok := r.JSON(t)["active"]; ok {
					t.Errorf("a refused caller learned whether the token is active")
				}
			}
		})
	}
	if r := e.post(t, "/introspect", url.Values{}, e.as(t, reference.RoleConfidential)); r.Error() != "invalid_request" {
		t.Errorf("no token: got %d %q; want invalid_request", r.Status, r.Error())
	}
}

// RFC 7662 §2.2: an inactive token of any kind gets {"active":false} and
// nothing more.
func TestIntrospectInactive(t *testing.T) {
	e := start(t, func(c *reference.Config) { c.AccessTTL = time.Minute })
	tests := []struct {
		name   string
		token  func(t *testing.T) string
		reason string
	}{
		{"unknown", func(t *testing.T) string { return "not-a-token" }, "never issued"},
		{"revoked access token", func(t *testing.T) string {
			tok := e.tokens(t, reference.RoleConfidential)
			e.post(t, "/revoke", url.Values{"token": {tok.AccessToken}}, e.as(t, reference.RoleConfidential))
			return tok.AccessToken
		}, "revoked at /revoke"},
		{"expired access token", func(t *testing.T) string {
			tok := e.tokens(t, reference.RoleConfidential)
			e.clock.Advance(time.Minute + time.Second)
			return tok.AccessToken
		}, "past exp"},
		{"rotated refresh token", func(t *testing.T) string {
			tok := e.tokens(t, reference.RoleConfidential)
			e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil)
			return tok.RefreshToken
		}, "exchanged once already"},
		{"token of a replayed code", func(t *testing.T) string {
			code, verifier := e.code(t, reference.RoleConfidential)
			first := e.token(t, e.exchangeForm(code, verifier), e.as(t, reference.RoleConfidential))
			e.token(t, e.exchangeForm(code, verifier), e.as(t, reference.RoleConfidential))
			return first.JSON(t)["access_token"].(string)
		}, "revoked by the replay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token(t)
			r := e.post(t, "/introspect", url.Values{"token": {tok}}, e.as(t, reference.RoleConfidential))
			if r.Status != http.StatusOK {
				t.Fatalf("got %d; want 200 (%s)", r.Status, tt.reason)
			}
			if diff := cmp.Diff(map[string]any{"active": false}, r.JSON(t)); diff != "" {
				t.Errorf("%s: response mismatch (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}

// RFC 7662 §2.2: an active token's metadata agrees with the token
// response, the JWT and the issuer.
func TestIntrospectActive(t *testing.T) {
	e := start(t, nil)
	tok := e.tokens(t, reference.RoleConfidential)
	claims := verifyAccessToken(t, e, tok.AccessToken)
	now := e.clock.Now()
	want := map[string]any{
		"active":     true,
		"client_id":  "oauthcheck-a",
		"scope":      tok.Extra("scope"),
		"token_type": "Bearer",
		"exp":        float64(now.Add(e.cfg.AccessTTL).Unix()),
		"iat":        float64(now.Unix()),
		"iss":        e.url,
		"aud":        e.url,
		"sub":        e.user.Username,
		"username":   e.user.Username,
		"jti":        claims["jti"],
	}
	if diff := cmp.Diff(want, e.introspect(t, tok.AccessToken)); diff != "" {
		t.Errorf("access token mismatch (-want +got):\n%s", diff)
	}
	if claims["exp"] != want["exp"] {
		t.Errorf("JWT exp %v; introspection exp %v; want equal", claims["exp"], want["exp"])
	}

	rt := e.introspect(t, tok.RefreshToken)
	got := []any{rt["active"], rt["token_type"], rt["client_id"], rt["scope"], rt["exp"]}
	if diff := cmp.Diff([]any{true, "refresh_token", "oauthcheck-a", "openid profile", float64(now.Add(e.cfg.RefreshTTL).Unix())}, got); diff != "" {
		t.Errorf("refresh token mismatch (-want +got):\n%s", diff)
	}

	c := e.client(t, reference.RoleConfidential2)
	cc, err := (&clientcredentials.Config{ClientID: c.ID, ClientSecret: c.Secret, TokenURL: e.url + "/token"}).Token(t.Context())
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	m := e.introspect(t, cc.AccessToken)
	if m["sub"] != c.ID || m["client_id"] != c.ID || m["username"] != nil {
		t.Errorf("client credentials token: sub %v, client_id %v, username %v; want %s, %s and none", m["sub"], m["client_id"], m["username"], c.ID, c.ID)
	}
}
