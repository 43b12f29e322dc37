package reference_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/oauthcheck/oauthcheck/reference"
)

// RFC 6749 §4.1.3-4.1.4 with x/oauth2 as the client, for every kind of
// client that may use the grant.
func TestCodeExchange(t *testing.T) {
	e := start(t, nil)
	tests := []struct {
		role        string
		wantRefresh bool
		reason      string
	}{
		{reference.RoleConfidential, true, "Basic authentication"},
		{reference.RolePublic, true, "client_id in the body"},
		{reference.RoleSpecial, true, "Basic with a form-encoded secret (RFC 6749 §2.3.1)"},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			cfg := e.oauth2Config(t, tt.role)
			code, verifier := e.code(t, tt.role)
			tok, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("Exchange (%s): %v", tt.reason, err)
			}
			got := map[string]any{"token_type": tok.TokenType, "refresh": tok.RefreshToken != "",
				"scope": tok.Extra("scope"), "expires_in": tok.ExpiresIn}
			want := map[string]any{"token_type": "Bearer", "refresh": tt.wantRefresh,
				"scope": "openid profile", "expires_in": int64(e.cfg.AccessTTL.Seconds())}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("token response mismatch (-want +got):\n%s", diff)
			}
			if !e.active(t, tok.AccessToken) {
				t.Errorf("the access token is not active")
			}
		})
	}
}

// The token response carries Cache-Control: no-store and Pragma: no-cache
// (RFC 6749 §5.1), and so do errors.
func TestCodeExchangeHeaders(t *testing.T) {
	e := start(t, nil)
	code, verifier := e.code(t, reference.RoleConfidential)
	for i, wantStatus := range []int{http.StatusOK, http.StatusBadRequest} {
		r := e.token(t, e.exchangeForm(code, verifier), e.as(t, reference.RoleConfidential))
		if r.Status != wantStatus {
			t.Fatalf("exchange %d: got %d; want %d\n%s", i+1, r.Status, wantStatus, r)
		}
		got := []string{r.Header.Get("Cache-Control"), r.Header.Get("Pragma"), r.Header.Get("Content-Type")}
		if diff := cmp.Diff([]string{"no-store", "no-cache", "application/json;charset=UTF-8"}, got); diff != "" {
			t.Errorf("exchange %d: headers mismatch (-want +got):\n%s", i+1, diff)
		}
	}
}

// RFC 6749 §4.1.2, RFC 9700 §4.2.4: a code is used once, and its replay
// revokes the tokens already issued from it.
func TestCodeReplay(t *testing.T) {
	e := start(t, nil)
	cfg := e.oauth2Config(t, reference.RoleConfidential)
	code, verifier := e.code(t, reference.RoleConfidential)
	tok, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("first Exchange: %v", err)
	}
	if !e.active(t, tok.AccessToken) {
		t.Fatalf("the access token is not active before the replay")
	}
	_, err = cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if code, status := oauthErr(t, err); code != "invalid_grant" || status != http.StatusBadRequest {
		t.Errorf("replay: got %d %s; want 400 invalid_grant", status, code)
	}
	if e.active(t, tok.AccessToken) {
		t.Errorf("after the replay the access token is still active; want it revoked")
	}
	if r := e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil); r.Error() != "invalid_grant" {
		t.Errorf("after the replay the refresh token gives %d %s; want invalid_grant", r.Status, r.Error())
	}
	if r := e.userinfo(t, tok.AccessToken); r.Status != http.StatusUnauthorized {
		t.Errorf("after the replay userinfo gives %d; want 401", r.Status)
	}
}

// Every way a token request for a code can be wrong.
func TestCodeExchangeErrors(t *testing.T) {
	e := start(t, nil, reference.WithWeakness(string(reference.PKCEOptionalConf)))
	tests := []struct {
		name       string
		role       string                                     // the client that asked for the code
		edit       func(t *testing.T, form url.Values) string // changes the request; returns the role that sends it
		noPKCE     bool                                       // ask for the code without a challenge
		wantStatus int
		wantError  string
		retryOK    bool // whether the right request still succeeds afterwards
		reason     string
	}{{
		name:       "unknown code",
		role:       reference.RoleConfidential,
		edit:       func(t *testing.T, f url.Values) string { f.Set("code", "nope"); return reference.RoleConfidential },
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant", retryOK: true,
		reason: "RFC 6749 §5.2",
	}, {
		name:       "another confidential client",
		role:       reference.RoleConfidential,
		edit:       func(t *testing.T, f url.Values) string { return reference.RoleConfidential2 },
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant", retryOK: true,
		reason: "RFC 6749 §4.1.3: the code is bound to its client; another client cannot burn it",
	}, {
		name:       "a public client",
		role:       reference.RoleConfidential,
		edit:       func(t *testing.T, f url.Values) string { return reference.RolePublic },
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant", retryOK: true,
		reason: "RFC 6749 §4.1.3: the code is bound to its client",
	}, {
		name:       "public code, confidential client",
		role:       reference.RolePublic,
		edit:       func(t *testing.T, f url.Values) string { return reference.RoleConfidential },
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant", retryOK: true,
		reason: "RFC 6749 §4.1.3: the code is bound to its client",
	}, {
		name:       "wrong secret",
		role:       reference.RoleConfidential,
		edit:       func(t *testing.T, f url.Values) string { return "wrong-secret" },
		wantStatus: http.StatusUnauthorized, wantError: "invalid_client", retryOK: true,
		reason: "RFC 6749 §5.2",
	}, {
		name:       "public client without client_id",
		role:       reference.RolePublic,
		edit:       func(t *testing.T, f url.Values) string { return "no-client" },
		wantStatus: http.StatusUnauthorized, wantError: "invalid_client", retryOK: true,
		reason: "RFC 6749 §3.2.1: a public client sends client_id",
	}, {
		name: "other redirect_uri",
		role: reference.RoleConfidential,
		edit: func(t *testing.T, f url.Values) string {
			f.Set("redirect_uri", reference.DefaultRedirectURI+"/x")
			return reference.RoleConfidential
		},
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant",
		reason: "RFC 6749 §4.1.3: identical to the authorization request's",
	}, {
		name:       "missing redirect_uri",
		role:       reference.RoleConfidential,
		edit:       func(t *testing.T, f url.Values) string { f.Del("redirect_uri"); return reference.RoleConfidential },
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant",
		reason: "RFC 6749 §4.1.3: REQUIRED when it was in the authorization request",
	}, {
		name: "PKCE mismatch",
		role: reference.RolePublic,
		edit: func(t *testing.T, f url.Values) string {
			f.Set("code_verifier", oauth2.GenerateVerifier())
			return reference.RolePublic
		},
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant",
		reason: "RFC 7636 §4.6; a failed attempt burns the code, so verifiers cannot be guessed",
	}, {
		name:       "PKCE verifier missing",
		role:       reference.RolePublic,
		edit:       func(t *testing.T, f url.Values) string { f.Del("code_verifier"); return reference.RolePublic },
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant",
		reason: "RFC 7636 §4.6",
	}, {
		name: "PKCE verifier too short",
		role: reference.RolePublic,
		edit: func(t *testing.T, f url.Values) string {
			f.Set("code_verifier", f.Get("code_verifier")[:42])
			return reference.RolePublic
		},
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant",
		reason: "RFC 7636 §4.1: 43 to 128 characters",
	}, {
		name: "PKCE verifier equal to the challenge",
		role: reference.RolePublic,
		edit: func(t *testing.T, f url.Values) string {
			f.Set("code_verifier", oauth2.S256ChallengeFromVerifier(f.Get("code_verifier")))
			return reference.RolePublic
		},
		wantStatus: http.StatusBadRequest, wantError: "invalid_grant",
		reason: "RFC 7636 §4.6: the method bound at authorization is used, not plain",
	}, {
		name:   "PKCE downgrade",
		role:   reference.RoleConfidential,
		noPKCE: true,
		edit: func(t *testing.T, f url.Values) string {
			f.Set("code_verifier", oauth2.GenerateVerifier())
			return reference.RoleConfidential
		},
		wantStatus: http.StatusBadRequest, wantError: "invalid_request",
		reason: "RFC 9700 §4.8.2: a verifier for a code without a challenge is refused",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			params := e.codeParams(t, tt.role, verifier)
			if tt.noPKCE {
				params.Del("code_challenge")
				params.Del("code_challenge_method")
				verifier = ""
			}
			code := e.codeFor(t, params)
			good := e.exchangeForm(code, verifier)
			bad := e.exchangeForm(code, verifier)
			sender := tt.edit(t, bad)
			var auth clientAuth
			switch sender {
			case "wrong-secret":
				auth = basicAuth(e.client(t, tt.role).ID, "wrong")
			case "no-client":
				auth = noAuth
			default:
				auth = e.as(t, sender)
			}
			r := e.token(t, bad, auth)
			if r.Status != tt.wantStatus || r.Error() != tt.wantError {
				t.Errorf("got %d %s; want %d %s (%s)\n%s", r.Status, r.Error(), tt.wantStatus, tt.wantError, tt.reason, r.Body)
			}
			retry := e.token(t, good, e.as(t, tt.role))
			if gotOK := retry.Status == http.StatusOK; gotOK != tt.retryOK {
				t.Errorf("the right request afterwards: got %d; want success %v (%s)", retry.Status, tt.retryOK, tt.reason)
			}
		})
	}
}

// A client that may not use the grant gets unauthorized_client.
func TestCodeGrantNotAllowed(t *testing.T) {
	e := start(t, nil)
	r := e.token(t, e.exchangeForm("whatever", ""), e.as(t, reference.RoleDevice))
	if r.Status != http.StatusBadRequest || r.Error() != "unauthorized_client" {
		t.Errorf("device client redeeming a code: got %d %s; want 400 unauthorized_client", r.Status, r.Error())
	}
}
