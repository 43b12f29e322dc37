package reference_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/oauthcheck/oauthcheck/reference"
)

// RFC 7009 §2.1-2.2: revocation by the token's own client, with the
// cascade from a refresh token to the access tokens of its grant.
func TestRevoke(t *testing.T) {
	e := start(t, nil)
	revoke := func(t *testing.T, tok, hint string, auth clientAuth) *response {
		t.Helper()
		form := url.Values{"token": {tok}}
		if hint != "" {
			form.Set("token_type_hint", hint)
		}
		return e.post(t, "/revoke", form, auth)
	}
	type state struct{ AccessActive, RefreshWorks bool }
	tests := []struct {
		name       string
		token      func(access, refresh string) string
		hint       string
		auth       func(t *testing.T) clientAuth
		wantStatus int
		wantError  string
		want       state
		reason     string
	}{{
		name:  "refresh token",
		token: func(_, rt string) string { return rt }, hint: "refresh_token",
		auth: func(t *testing.T) clientAuth { return e.as(t, reference.RoleConfidential) }, wantStatus: http.StatusOK,
		want: state{false, false}, reason: "RFC 7009 §2.1: revoking a refresh token SHOULD revoke the access tokens of the grant",
	}, {
		name:  "refresh token with the wrong hint",
		token: func(_, rt string) string { return rt }, hint: "access_token",
		auth: func(t *testing.T) clientAuth { return e.as(t, reference.RoleConfidential) }, wantStatus: http.StatusOK,
		want: state{false, false}, reason: "RFC 7009 §2.1: a wrong hint only costs a longer search",
	}, {
		name:  "access token",
		token: func(at, _ string) string { return at }, hint: "access_token",
		auth: func(t *testing.T) clientAuth { return e.as(t, reference.RoleConfidential) }, wantStatus: http.StatusOK,
		want: state{false, true}, reason: "RFC 7009 §2: access tokens can be revoked; the refresh token MAY stay",
	}, {
		name:  "client_secret_post",
		token: func(_, rt string) string { return rt },
		auth: func(t *testing.T) clientAuth {
			c := e.client(t, reference.RoleConfidential)
			return postAuth(c.ID, c.Secret)
		}, wantStatus: http.StatusOK,
		want: state{false, false}, reason: "both secret methods are accepted",
	}, {
		name:  "another client's token",
		token: func(_, rt string) string { return rt },
		auth:  func(t *testing.T) clientAuth { return e.as(t, reference.RoleConfidential2) }, wantStatus: http.StatusBadRequest, wantError: "invalid_grant",
		want: state{true, true}, reason: "RFC 7009 §2.1: the server verifies the token was issued to the requesting client",
	}, {
		name:  "without credentials",
		token: func(_, rt string) string { return rt },
		auth:  func(t *testing.T) clientAuth { return noAuth }, wantStatus: http.StatusUnauthorized, wantError: "invalid_client",
		want: state{true, true}, reason: "RFC 7009 §2.1: confidential clients authenticate",
	}, {
		name:  "client_id alone",
		token: func(_, rt string) string { return rt },
		auth: func(t *testing.T) clientAuth {
			return postAuth(e.client(t, reference.RoleConfidential).ID, "")
		}, wantStatus: http.StatusUnauthorized, wantError: "invalid_client",
		want: state{true, true}, reason: "RFC 7009 §2.1: confidential clients authenticate",
	}, {
		name:  "wrong secret",
		token: func(_, rt string) string { return rt },
		auth: func(t *testing.T) clientAuth {
			return basicAuth(e.client(t, reference.RoleConfidential).ID, "wrong")
		}, wantStatus: http.StatusUnauthorized, wantError: "invalid_client",
		want: state{true, true}, reason: "RFC 7009 §2.1",
	}, {
		name:  "missing token",
		token: func(string, string) string { return "" },
		auth:  func(t *testing.T) clientAuth { return e.as(t, reference.RoleConfidential) }, wantStatus: http.StatusBadRequest, wantError: "invalid_request",
		want: state{true, true}, reason: "RFC 7009 §2.1: token is REQUIRED",
	}, {
		name:  "unknown token",
		token: func(string, string) string { return "not-a-token" },
		auth:  func(t *testing.T) clientAuth { return e.as(t, reference.RoleConfidential) }, wantStatus: http.StatusOK,
		want: state{true, true}, reason: "RFC 7009 §2.2: invalid tokens do not cause an error",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := e.tokens(t, reference.RoleConfidential)
			r := revoke(t, tt.token(tok.AccessToken, tok.RefreshToken), tt.hint, tt.auth(t))
			if r.Status != tt.wantStatus || r.Error() != tt.wantError {
				t.Errorf("got %d %q; want %d %q (%s)\n%s", r.Status, r.Error(), tt.wantStatus, tt.wantError, tt.reason, r.Body)
			}
			if r.Status == http.StatusOK && r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control: got %q; want no-store", r.Header.Get("Cache-Control"))
			}
			got := state{
				AccessActive: e.active(t, tok.AccessToken),
				RefreshWorks: e.refresh(t, reference.RoleConfidential, tok.RefreshToken, nil).Status == http.StatusOK,
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: token state mismatch (-want +got):\n%s", tt.reason, diff)
			}
		})
	}

	t.Run("public client", func(t *testing.T) {
		tok := e.tokens(t, reference.RolePublic)
		if r := revoke(t, tok.RefreshToken, "", e.as(t, reference.RolePublic)); r.Status != http.StatusOK {
			t.Fatalf("public client revoking its own token: got %d; want 200", r.Status)
		}
		if e.active(t, tok.AccessToken) {
			t.Errorf("the access token of the revoked grant is still active")
		}
	})
}
