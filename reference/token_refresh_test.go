package reference_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

// refreshWith refreshes tok with x/oauth2, the way a client's token source
// does once the access token has expired.
func refreshWith(t *testing.T, cfg *oauth2.Config, rt string) (*oauth2.Token, error) {
	t.Helper()
	return cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
}

// RFC 9700 §4.14.2: every refresh rotates the refresh token, the old one
// stops working, and its replay revokes the whole family, access tokens
// included.
func TestRefreshRotationAndReuse(t *testing.T) {
	e := start(t, nil)
	for _, role := range []string{reference.RoleConfidential, reference.RolePublic} {
		t.Run(role, func(t *testing.T) {
			cfg := e.oauth2Config(t, role)
			first := e.tokens(t, role)
			second, err := refreshWith(t, cfg, first.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
				t.Fatalf("refresh: new refresh token %q; want a fresh one", second.RefreshToken)
			}
			if second.AccessToken == first.AccessToken || !e.active(t, second.AccessToken) {
				t.Fatalf("refresh: want a new, active access token")
			}
			if second.Extra("id_token") != nil {
				t.Errorf("refresh: got an id_token; the reference sends none on refresh")
			}

			// The old refresh token is refused, and that replay revokes the family.
			_, err = refreshWith(t, cfg, first.RefreshToken)
			if code, status := oauthErr(t, err); code != "invalid_grant" || status != http.StatusBadRequest {
				t.Errorf("old refresh token: got %d %s; want 400 invalid_grant", status, code)
			}
			if _, err := refreshWith(t, cfg, second.RefreshToken); err == nil {
				t.Errorf("after the replay the newest refresh token still works; want the family revoked")
			}
			for name, tok := range map[string]string{"first access": first.AccessToken, "second access": second.AccessToken} {
				if e.active(t, tok) {
					t.Errorf("after the replay the %s token is active; want it revoked", name)
				}
			}
		})
	}
}

// Refresh errors: client binding, scope, expiry and the wrong kind of token.
func TestRefreshErrors(t *testing.T) {
	e := start(t, func(c *reference.Config) {
		c.Clients = append(c.Clients, reference.Client{ID: "no-refresh", Secret: "s3cret",
			RedirectURIs: []string{reference.DefaultRedirectURI}, GrantTypes: []string{"authorization_code"}})
	})
	tests := []struct {
		name       string
		sender     string
		edit       func(tok *oauth2.Token, form url.Values)
		wantStatus int
		wantError  string
		stillOK    bool // whether the refresh token works afterwards
		reason     string
	}{
		{"another client", reference.RoleConfidential2, nil, http.StatusBadRequest, "invalid_grant", true,
			"RFC 6749 §6: bound to its client; another client cannot burn it"},
		{"a public client", reference.RolePublic, nil, http.StatusBadRequest, "invalid_grant", true,
			"RFC 6749 §6: bound to its client"},
		{"wider scope", reference.RoleConfidential, func(_ *oauth2.Token, f url.Values) { f.Set("scope", "openid profile email") },
			http.StatusBadRequest, "invalid_scope", true, "RFC 6749 §6: MUST NOT include any scope not originally granted"},
		{"unknown scope", reference.RoleConfidential, func(_ *oauth2.Token, f url.Values) { f.Set("scope", "admin") },
			http.StatusBadRequest, "invalid_scope", true, "RFC 6749 §6"},
		{"unknown token", reference.RoleConfidential, func(_ *oauth2.Token, f url.Values) { f.Set("refresh_token", "nope") },
			http.StatusBadRequest, "invalid_grant", true, "RFC 6749 §5.2"},
		{"access token instead", reference.RoleConfidential, func(tok *oauth2.Token, f url.Values) { f.Set("refresh_token", tok.AccessToken) },
			http.StatusBadRequest, "invalid_grant", true, "an access token is not a refresh token"},
		{"client without the grant", "no-refresh", nil, http.StatusBadRequest, "unauthorized_client", true,
			"RFC 6749 §5.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := e.tokens(t, reference.RoleConfidential)
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
			if tt.edit != nil {
				tt.edit(tok, form)
			}
			r := e.token(t, form, e.as(t, tt.sender))
			if r.Status != tt.wantStatus || r.Error() != tt.wantError {
				t.Errorf("got %d %s; want %d %s (%s)\n%s", r.Status, r.Error(), tt.wantStatus, tt.wantError, tt.reason, r.Body)
			}
			after := e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil)
			if gotOK := after.Status == http.StatusOK; gotOK != tt.stillOK {
				t.Errorf("the refresh token afterwards: got %d; want success %v", after.Status, tt.stillOK)
			}
		})
	}
}

// RFC 6749 §6: a refresh may narrow the scope of the access token; the
// grant keeps its scope, so a later refresh without scope gets it all.
func TestRefreshScopeNarrowing(t *testing.T) {
	e := start(t, nil)
	tok := e.tokens(t, reference.RoleConfidential)
	narrow := e.refresh(t, reference.RoleConfidential, tok.RefreshToken, url.Values{"scope": {"openid"}})
	if narrow.Status != http.StatusOK {
		t.Fatalf("narrowing refresh: got %d; want 200\n%s", narrow.Status, narrow)
	}
	m := narrow.JSON(t)
	if m["scope"] != "openid" {
		t.Errorf("narrowing refresh: scope %v; want openid", m["scope"])
	}
	if got := e.introspect(t, m["access_token"].(string))["scope"]; got != "openid" {
		t.Errorf("narrowed access token: introspected scope %v; want openid", got)
	}
	full := e.refresh(t, reference.RoleConfidential, m["refresh_token"].(string), nil)
	if full.Status != http.StatusOK {
		t.Fatalf("refresh without scope: got %d; want 200\n%s", full.Status, full)
	}
	if got := full.JSON(t)["scope"]; got != "openid profile" {
		t.Errorf("refresh without scope after narrowing: scope %v; want the grant's, openid profile", got)
	}
}

// A refresh token expires after Config.RefreshTTL, and one revoked at
// /revoke stops working.
func TestRefreshExpiryAndRevocation(t *testing.T) {
	e := start(t, func(c *reference.Config) { c.RefreshTTL = time.Hour })
	tok := e.tokens(t, reference.RoleConfidential)
	e.clock.Advance(time.Hour + time.Second)
	if r := e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil); r.Error() != "invalid_grant" {
		t.Errorf("expired refresh token: got %d %s; want invalid_grant", r.Status, r.Error())
	}

	tok = e.tokens(t, reference.RoleConfidential)
	if r := e.post(t, "/revoke", url.Values{"token": {tok.RefreshToken}}, e.as(t, reference.RoleConfidential)); r.Status != http.StatusOK {
		t.Fatalf("revoke: got %d; want 200", r.Status)
	}
	if r := e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil); r.Error() != "invalid_grant" {
		t.Errorf("revoked refresh token: got %d %s; want invalid_grant", r.Status, r.Error())
	}
}

// The device grant's refresh tokens rotate like the others.
func TestRefreshDeviceClient(t *testing.T) {
	e := start(t, nil)
	d := e.startDevice(t, reference.RoleDevice)
	e.decideDevice(t, d, "approve")
	r := e.pollDevice(t, reference.RoleDevice, d)
	if r.Status != http.StatusOK {
		t.Fatalf("poll: got %d; want 200\n%s", r.Status, r)
	}
	rt, _ := r.JSON(t)["refresh_token"].(string)
	next := e.refresh(t, reference.RoleDevice, rt, nil)
	if next.Status != http.StatusOK {
		t.Fatalf("refresh: got %d; want 200\n%s", next.Status, next)
	}
	got := next.JSON(t)
	if diff := cmp.Diff([]any{true, "openid profile"}, []any{got["refresh_token"] != rt, got["scope"]}); diff != "" {
		t.Errorf("device refresh mismatch (-want +got):\n%s", diff)
	}
}
